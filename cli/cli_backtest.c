/* cli_backtest.c - `sentibt backtest`: one combination, with its curves and trade log */
#include "cli.h"
#include "cli_runopts.h"

#include <stdio.h>
#include <stdlib.h>

#include "../engine/results.h"   /* sb_print_metrics */

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
	struct sb_backtest_result res;
	struct sb_errbuf err = { "" };
	int rc = sb_run_opts_parse(&o, "backtest", argc, argv, usage_text);

	if (rc >= 0)
		return rc;
	if ((rc = sb_run_opts_load(&o, &in)) >= 0)
		goto out;
	rc = SB_EXIT_FAIL;
	if (sb_run_backtest(&o, &in, argc, argv, &res, &err)) {
		sb_cli_error("%s", err.msg);
		goto out;
	}
	if (!o.quiet) {
		printf("backtest: %zu candles, %zu articles -> %s\n", in.candles.n, in.events.n,
		       res.dir);
		sb_print_metrics(stdout, &res.m);
		printf("buy and hold: return %.4g, Sharpe %.4g, max drawdown %.4g; excess return %.4g\n",
		       res.bh.total_return, res.bh.sharpe, res.bh.max_drawdown,
		       res.m.total_return - res.bh.total_return);
	}
	rc = SB_EXIT_OK;
out:
	sb_run_inputs_release(&in);
	sb_run_opts_release(&o);
	return rc;
}
