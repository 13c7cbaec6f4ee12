/* cli_report.c - `sentibt report DIR`: options in, report/report.h does the work */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../loaders/textio.h"
#include "../report/report.h"

static const char usage_text[] =
"usage: sentibt report DIR [--out DIR/report] [--metric sharpe] [--top K]\n"
"                          [--x AXIS [--y AXIS]] [--reduce max|median]\n"
"                          [--slice COLUMN=VALUE,...] [--scripts DIR] [--force]\n"
"\n"
"Writes OUT/report.html, one self-contained page whose charts zoom and show values\n"
"on hover (dygraphs, inlined from Debian's libjs-dygraphs; without it the page shows\n"
"the images), and the charts as PNG and SVG for papers (gnuplot).  For a sweep\n"
"(DIR/summary.csv): the top table, the metric over the parameters that vary (a line\n"
"for one, a heatmap for two, and a small heatmap for every pair when more vary),\n"
"the equity, drawdown and price with the trades of the top K combinations that have\n"
"curves, the overfitting check.  For a backtest (DIR/metrics.json): its curves,\n"
"trades and metrics; walk-forward and events folders get theirs.\n"
"\n"
"options:\n"
"  -o, --out DIR         output folder (default DIR/report); replaced only with --force\n"
"  -m, --metric NAME     a summary.csv metric to map and rank by (default sharpe;\n"
"                        max_drawdown ranks lowest first)\n"
"  -k, --top K           combinations to chart (default 5; the table shows 10)\n"
"      --x AXIS          the heatmap's x axis (or the line's), --y AXIS its y axis:\n"
"                        parameters that vary (default: the first two that vary)\n"
"      --reduce HOW      the other axes: max (the best over them) or median; default:\n"
"                        fixed at the best combination's values\n"
"      --slice LIST      keep the combinations with these values, e.g.\n"
"                        window=5m,latency=0 (durations as in sweep)\n"
"      --scripts DIR     the gnuplot scripts (default: found next to the binary)\n"
"  -f, --force           replace an existing OUT\n"
"  -h, --help            this help\n"
"\n"
"exit codes: 0 ok, 1 failure (bad folder or file, gnuplot missing or failing), 2 usage\n";

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "metric", required_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 'k' },
		{ "slice", required_argument, NULL, 'l' },
		{ "scripts", required_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'f' },
		{ "x", required_argument, NULL, 'X' },
		{ "y", required_argument, NULL, 'Y' },
		{ "reduce", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sb_report_opts o = { .metric = "sharpe", .top = 5 };
	struct sb_errbuf err = { { 0 } };
	const char *slice = NULL;
	char html[4200];
	bool usage;
	int64_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:m:k:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'm': o.metric = optarg; break;
		case 'l': slice = optarg; break;
		case 'S': o.scripts = optarg; break;
		case 'f': o.force = true; break;
		case 'X': o.x = optarg; break;
		case 'Y': o.y = optarg; break;
		case 'R':
			if (!strcmp(optarg, "max"))
				o.reduce = SB_REDUCE_MAX;
			else if (!strcmp(optarg, "median"))
				o.reduce = SB_REDUCE_MEDIAN;
			else
				return sb_cli_usage_error("report", "--reduce: expected max or median, "
							  "got '%s'", optarg);
			break;
		case 'k':
			if (!sb_parse_int64(optarg, &v) || v < 0 || v > 1000)
				return sb_cli_usage_error("report", "--top: expected 0 to 1000, got '%s'",
							  optarg);
			o.top = (size_t)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs("\nmetrics:", stdout);
			sb_cli_print_metrics(stdout);
			return SB_EXIT_OK;
		default:
			return sb_cli_bad_option("report", longopts, argv, c);
		}
	}
	if (optind != argc - 1)
		return sb_cli_usage_error("report", "expected one result folder");
	o.dir = argv[optind];
	if (!sb_cli_metric_ok(o.metric))
		return sb_cli_bad_metric("report", "--metric", o.metric);
	if (sb_report_parse_slice(slice, &o.slice, &err))
		return sb_cli_usage_error("report", "%s", err.msg);
	if (sb_report_run(&o, html, sizeof(html), &usage, &err)) {
		if (usage)
			return sb_cli_usage_error("report", "%s", err.msg);
		sb_cli_error("%s", err.msg);
		return SB_EXIT_FAIL;
	}
	printf("report: %s\n", html);
	return SB_EXIT_OK;
}
