/* report.h - `sentibt report`: the charts (gnuplot) and report.html of a result folder
 *
 * A sweep folder (summary.csv) gets the metric over the axes that vary (a line for
 * one, a heatmap for two, small multiples of every pair for more: sweep.h), the curves
 * and trade histograms of its top combinations and the top table (and stats.json:
 * deflated Sharpe, buy and hold, placebo news); an events folder (event_study.csv) the
 * mean cumulative return path by score bucket (event_path.csv) and the tables of ic.csv
 * and event_study.csv; a backtest folder (metrics.json) its curves, histogram and
 * metrics.  The plotted columns are kept under OUT/data/; report.html draws the curves itself with
 * dygraphs (page.h) when it is installed.  The report is built in a temporary folder
 * renamed into place at the end, so a failure leaves no report.  docs/report.md.
 */
#ifndef SB_REPORT_H
#define SB_REPORT_H

#include "../core/common.h"
#include "sweep.h"

struct sb_report_opts {
	const char *dir;            /* the result folder */
	const char *out;            /* the report folder; NULL: DIR/report */
	const char *metric;         /* the summary.csv column to map and rank by */
	const char *scripts;        /* the gnuplot scripts; NULL: found (report/gnuplot.h) */
	struct sb_slice slice;      /* columns fixed at a value */
	const char *x, *y;          /* the axes to map (NULL: chosen from those that vary) */
	enum sb_reduce reduce;      /* what the other axes do: sliced at the best, max, median */
	size_t top;                 /* combinations to chart */
	bool force;                 /* replace an existing OUT */
};

/*
 * "window=5m,latency=0" -> the names and values of 'slice' (checked against summary.csv
 * when the report runs); s may be NULL (nothing fixed).  SB_EINVAL with a message for a
 * usage error.
 */
enum sb_err sb_report_parse_slice(const char *s, struct sb_slice *slice,
				  struct sb_errbuf *err);

/*
 * Writes the report; 'html' (cap bytes) receives the path of the final report.html.
 * *usage is set when the error is the options' (an unknown metric or axis: exit 2).
 */
enum sb_err sb_report_run(const struct sb_report_opts *o, char *html, size_t cap,
			  bool *usage, struct sb_errbuf *err);

#endif
