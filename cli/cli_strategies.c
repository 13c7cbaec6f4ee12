/* cli_strategies.c - `sentibt strategies`: the strategies and their sweep axes */
#include "cli.h"
#include "../strategies/strategy.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
"usage: sentibt strategies\n"
"\n"
"Lists the strategies that --strategy NAME selects in backtest and sweep, with the\n"
"options of their own sweep axes (each a value, a range start:stop:step or a comma list\n"
"of both, like --threshold).  Every strategy shares --min-confidence, --window and --latency, and\n"
"the trading rule (--threshold, --exit-band, --fee-bps, --slippage-bps).\n";

int cmd_strategies(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return SB_EXIT_OK;
	}
	if (argc > 1)
		return sb_cli_usage_error("strategies", "unexpected argument '%s'", argv[1]);
	for (int s = 0; sb_strategies[s]; s++) {
		const struct sb_strategy *st = sb_strategies[s];

		printf("%-8s %s%s\n", st->name, st->summary, s == 0 ? " (default)" : "");
		for (int k = 0; k < st->n_axes; k++)
			printf("         --%-16s %s [summary.csv: %s, %s]\n", st->axes[k].option,
			       st->axes[k].help, st->axes[k].name,
			       st->axes[k].is_duration ? "seconds" : "decimal");
	}
	return SB_EXIT_OK;
}
