/* cli_backtest.c - `sentibt backtest`: one combination, with its curves and trade log */
#include "cli.h"
#include "cli_runopts.h"

#include <stdio.h>
#include <stdlib.h>

#include "../engine/results.h"
#include "../engine/sim.h"
#include "../strategies/threshold.h"

static const char usage_text[] =
"usage: sentibt backtest --prices FILE... --sentiment FILE [options] [--out DIR]\n"
"\n"
"Runs the threshold strategy of DESIGN.md once and writes DIR/metrics.json,\n"
"DIR/equity.csv and DIR/trades.csv, then prints the metrics.\n"
"\n";

/* Runs one combination with recording; the caller frees rec's arrays and trades. */
static enum sb_err run_recorded(const struct sb_candles *c, const struct sb_events *ev,
				const struct sb_combo *combo, struct sb_recorder *rec,
				struct sb_metrics *m, struct sb_errbuf *err)
{
	struct sb_signal_params sp;
	struct sb_trade_params tp;
	struct sb_accum acc;
	double *signal = malloc(c->n * sizeof(double));
	uint32_t *nwin = malloc(c->n * sizeof(uint32_t));
	enum sb_err rc;

	rec->position = malloc(c->n * sizeof(double));
	rec->equity = malloc(c->n * sizeof(double));
	rec->drawdown = malloc(c->n * sizeof(double));
	if (!signal || !nwin || !rec->position || !rec->equity || !rec->drawdown) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}
	sb_combo_signal_params(combo, &sp);
	sb_combo_trade_params(combo, &tp);
	rc = sb_threshold_signal(c, ev, &sp, signal, nwin, NULL, err);
	if (rc)
		goto out_free;
	rec->n_in_window = nwin;
	sb_accum_init(&acc);
	sb_sim_scalar(c->n, c->close, signal, &tp, &acc, rec);
	rec->n_in_window = NULL;
	if (rec->oom) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory recording trades");
		goto out_free;
	}
	sb_metrics_finish(&acc, c->n, c->interval_us, m);
out_free:
	free(signal);
	free(nwin);
	return rc;
}

static void recorder_release(struct sb_recorder *rec)
{
	free(rec->position);
	free(rec->equity);
	free(rec->drawdown);
	free(rec->trades);
}

int cmd_backtest(int argc, char **argv)
{
	struct sb_run_opts o;
	struct sb_run_inputs in;
	struct sb_recorder rec = { 0 };
	struct sb_metrics m;
	struct sb_combo combo;
	struct sb_run_dir dir;
	struct sb_errbuf err;
	char path[4200];
	int rc = sb_run_opts_parse(&o, "backtest", argc, argv, usage_text);

	if (rc >= 0)
		return rc;
	rc = SB_EXIT_FAIL;
	if (!sb_run_load_inputs(&o, &in))
		goto out_inputs;
	sb_grid_combo(&o.grid, 0, &combo);
	if (run_recorded(&in.candles, &in.events, &combo, &rec, &m, &err)) {
		sb_cli_error("%s", err.msg);
		goto out_rec;
	}
	if (sb_run_dir_begin(&dir, o.out, o.force, &err)) {
		sb_cli_error("%s", err.msg);
		goto out_rec;
	}
	if (sb_path_join(path, sizeof(path), dir.tmp, "metrics.json", &err) ||
	    sb_write_metrics_json(path, &m, &err) ||
	    sb_path_join(path, sizeof(path), dir.tmp, "equity.csv", &err) ||
	    sb_write_equity_csv(path, &in.candles, &rec, &err) ||
	    sb_path_join(path, sizeof(path), dir.tmp, "trades.csv", &err) ||
	    sb_write_trades_csv(path, &in.candles, &rec, &err) ||
	    sb_run_dir_commit(&dir, &err)) {
		sb_cli_error("%s", err.msg);
		sb_run_dir_abort(&dir);
		goto out_rec;
	}
	if (!o.quiet) {
		printf("backtest: %zu candles, %zu articles -> %s\n", in.candles.n, in.events.n,
		       dir.final);
		sb_print_metrics(stdout, &m);
	}
	rc = SB_EXIT_OK;
out_rec:
	recorder_release(&rec);
out_inputs:
	sb_run_inputs_release(&in);
	sb_run_opts_release(&o);
	return rc;
}
