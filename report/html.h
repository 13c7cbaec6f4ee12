/* html.h - the pieces of report.html: page, escaping, figures and the tables read from
 * the result folder (manifest.json, stats.json, metrics.json, the top of summary.csv)
 *
 * The JSON files are read here (with cJSON, which no header of report/ shows).
 */
#ifndef SB_REPORT_HTML_H
#define SB_REPORT_HTML_H

#include "../core/common.h"
#include "sweep.h"
#include "table.h"

#include <stdio.h>

/* The page: <head> with its style and an <h1>; the closing note and tags. */
void sb_html_head(FILE *f, const char *title);
void sb_html_foot(FILE *f, bool live);

/* Text with < > & " escaped. */
void sb_html_esc(FILE *f, const char *s);
/* %.4g, or an en dash for NaN. */
void sb_html_num(FILE *f, double v);
/* <td>v</td> in the metric's unit: % for fractions (sb_metric_is_fraction), counts whole. */
void sb_html_metric_cell(FILE *f, const char *name, double v);
/* BASE.png linked to BASE.svg, with a caption. */
void sb_html_figure(FILE *f, const char *base, const char *caption);
/* The same folded under a "For papers" line (the interactive page draws its own charts). */
void sb_html_figure_link(FILE *f, const char *base, const char *caption);

/* The number at KEY (or KEY.KEY2) of DIR/FILE's JSON object; NaN when absent. */
double sb_html_json_num(const char *dir, const char *file, const char *key, const char *key2);
/* "strategy mean: threshold=0.3, window=5m, ..." from DIR/manifest.json's single
 * combination (a backtest); "parameters unknown" without a manifest. */
void sb_html_run_params(const char *dir, char *buf, size_t cap);

/* The key facts of DIR/manifest.json (version, commit, command line, inputs); a note
 * when there is none or it cannot be read. */
void sb_html_manifest(FILE *f, const char *dir);
/* The overfitting check of a sweep from DIR/stats.json (deflated Sharpe ratio, buy and
 * hold, placebo news when run); a note when there is none. */
void sb_html_stats(FILE *f, const char *dir);
/* Every column of a CSV as an HTML table (whole numbers without decimals). */
void sb_html_table(FILE *f, const struct sb_table *t);
/* The table of DIR/metrics.json (a backtest); fails when it cannot be read. */
enum sb_err sb_html_metrics(FILE *f, const char *dir, struct sb_errbuf *err);

/*
 * The first rows of summary.csv in rank order (order[] = row indexes, best first): id,
 * the parameters that vary (the others listed once above), the metric, total_return,
 * max_drawdown, trades and dsr, with units.
 */
void sb_html_top_table(FILE *f, const struct sb_sweep *s, const size_t *order);

#endif
