/* backtest_run.c - one combination recorded and written as a result folder */
#include "run.h"

#include <string.h>

#include "../engine/backtest.h"
#include "../engine/results.h"

enum sb_err sb_run_backtest(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			    int argc, char **argv, struct sb_backtest_result *res,
			    struct sb_errbuf *err)
{
	struct sb_recorder rec = { 0 };
	struct sb_combo combo;
	struct sb_run_dir dir;
	char path[4200], path2[4200];
	struct sb_candles view;
	size_t first, n;
	enum sb_err rc;

	sb_grid_combo(&o->grid, 0, &combo);
	rc = sb_run_range(o, &in->candles, &first, &n, err);
	if (!rc)
		rc = sb_backtest_recorded_range(&in->candles, &in->events, &combo, first, n, &rec,
						&res->m, err);
	if (rc)
		return rc;
	sb_candles_view(&in->candles, first, n, &view);
	sb_buy_hold(view.n, view.open[0], view.close, view.interval_us, &res->bh);
	rc = sb_run_dir_begin(&dir, o->out, o->force, err);
	if (rc)
		goto out;
	if ((rc = sb_path_join(path, sizeof(path), dir.tmp, "metrics.json", err)) ||
	    (rc = sb_write_metrics_json(path, &res->m, &res->bh, err)) ||
	    (rc = sb_path_join(path, sizeof(path), dir.tmp, "equity.csv", err)) ||
	    (rc = sb_path_join(path2, sizeof(path2), dir.tmp, "trades.csv", err)) ||
	    (rc = sb_backtest_write_curves(&view, &rec, path, path2, err)) ||
	    /* the manifest is the last file written: it lists every output */
	    (rc = sb_run_write_manifest(dir.tmp, o, in, NULL, argc, argv, err)) ||
	    (rc = sb_run_dir_commit(&dir, err))) {
		sb_run_dir_abort(&dir);
		goto out;
	}
	snprintf(res->dir, sizeof(res->dir), "%s", dir.final);
out:
	sb_recorder_release(&rec);
	return rc;
}
