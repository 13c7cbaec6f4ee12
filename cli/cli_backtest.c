/* cli_backtest.c - `sentibt backtest`: one combination, with its curves and trade log */
#include "cli.h"
#include "cli_runopts.h"

#include <stdio.h>
#include <stdlib.h>

#include "../engine/backtest.h"
#include "../engine/results.h"

static const char usage_text[] =
"usage: sentibt backtest --prices FILE... --sentiment FILE [options] [--out DIR]\n"
"\n"
"Runs the threshold strategy of DESIGN.md once and writes DIR/metrics.json,\n"
"DIR/equity.csv and DIR/trades.csv, then prints the metrics.\n"
"\n";

int cmd_backtest(int argc, char **argv)
{
	struct sb_run_opts o;
	struct sb_run_inputs in;
	struct sb_recorder rec = { 0 };
	struct sb_metrics m;
	struct sb_combo combo;
	struct sb_run_dir dir;
	struct sb_errbuf err;
	char path[4200], path2[4200];
	int rc = sb_run_opts_parse(&o, "backtest", argc, argv, usage_text);

	if (rc >= 0)
		return rc;
	rc = SB_EXIT_FAIL;
	if (!sb_run_load_inputs(&o, &in))
		goto out_inputs;
	sb_grid_combo(&o.grid, 0, &combo);
	if (sb_backtest_recorded(&in.candles, &in.events, &combo, &rec, &m, &err)) {
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
	    sb_path_join(path2, sizeof(path2), dir.tmp, "trades.csv", &err) ||
	    sb_backtest_write_curves(&in.candles, &rec, path, path2, &err) ||
	    sb_cli_write_manifest(dir.tmp, &o, &in, argc, argv, &err) ||
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
	sb_recorder_release(&rec);
out_inputs:
	sb_run_inputs_release(&in);
	sb_run_opts_release(&o);
	return rc;
}
