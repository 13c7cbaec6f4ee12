/* page.h - report.html's interactive charts: Debian's dygraphs inlined, curves decimated
 *
 * The page stays one self-contained file: dygraphs (libjs-dygraphs, found at run time,
 * see sb_page_open) and the chart data are written into it, nothing is fetched.  Each
 * chart is a JSON block (<script type="application/json" class="sb-chart">) that the
 * page's own script, written by sb_page_close, draws; that script also writes
 * #sb-status ("ok: N charts" or "error: ...") for the browser test.  Without dygraphs
 * the page says so and shows the gnuplot PNGs instead (the static page).
 *
 * Curves are decimated with a min/max envelope per pixel bucket (sb_decimate), so a
 * year of minutes keeps its spikes at a few thousand rows.
 */
#ifndef SB_REPORT_PAGE_H
#define SB_REPORT_PAGE_H

#include "../core/common.h"
#include "table.h"

#include <stdio.h>

#define SB_PAGE_BUCKETS 1200   /* time buckets of an interactive chart (about its pixels) */
#define SB_PLOT_BUCKETS 2000   /* of a gnuplot chart */

struct sb_page {
	FILE *f;
	bool live;                 /* dygraphs found: interactive charts */
	char js[4200], css[4200];  /* its files */
	int charts;                /* charts written */
	int group_charts;          /* charts in the open group, -1 when none is open */
};

/*
 * Looks for dygraph.min.js and dygraph.min.css: in $SENTIBT_DYGRAPHS only when it is
 * set, else next to the binary (BIN/../share/sentibt/dygraphs as installed), then in
 * Debian's /usr/share/javascript/dygraphs.  p->live tells whether they were found.
 */
void sb_page_open(struct sb_page *p, FILE *f);
/* A note when the charts are static (dygraphs missing); nothing otherwise. */
void sb_page_note(const struct sb_page *p);
/* Inlines dygraphs and the drawing script (when live); call before sb_html_foot. */
enum sb_err sb_page_close(struct sb_page *p, struct sb_errbuf *err);

/*
 * Marks in keep[0..n) the rows to plot: per bucket of equal time (buckets over
 * t[0]..t[n-1]), its first and last rows and, for each of the m series, the rows of its
 * minimum and maximum (NaN skipped).  All rows when n <= 4 * buckets.  Returns the
 * number of rows kept.
 */
size_t sb_decimate(size_t n, const double *t, const double *const *y, int m,
		   size_t buckets, unsigned char *keep);

/* A group of time charts that zoom, pan and hover together (one x axis). */
void sb_page_group_begin(struct sb_page *p);
void sb_page_group_end(struct sb_page *p);

/* The trades drawn on a price chart: one set per combination. */
struct sb_page_trades {
	const char *name;
	const struct sb_table *t;   /* trades.csv */
	int entry_time, entry_price, exit_time, exit_price, side;   /* its columns */
};

/*
 * One time chart of the open group: the m series y[k][0..n) over t (epoch seconds),
 * decimated, titled names[k]; series whose index is in 'dashed' (bit k) are dashed;
 * 'fill' fills under the curves (drawdown); trades (may be NULL, ntr sets) are drawn
 * as entry / exit markers with the positions shaded, one set at a time (a selector).
 */
enum sb_err sb_page_time_chart(struct sb_page *p, const char *title, const char *ylabel,
			       size_t n, const double *t, const double *const *y, int m,
			       const char *const *names, unsigned dashed, bool fill,
			       const struct sb_page_trades *tr, int ntr, struct sb_errbuf *err);

/*
 * A chart over a numeric x (a sweep axis, minutes of the event path): m series, each
 * with an optional band lo..hi (NULL: none), NaN = no point.  x_dur: x in seconds,
 * labelled as durations (5m, 1h).
 */
struct sb_page_series {
	const char *name;
	const double *y, *lo, *hi;
};
void sb_page_xy_chart(struct sb_page *p, const char *title, const char *xlabel,
		      const char *ylabel, bool x_dur, size_t n, const double *x,
		      const struct sb_page_series *s, int m);

/* Writes s as a JSON string ("..." with the escapes, "<" as \u003c). */
void sb_page_json_str(FILE *f, const char *s);

#endif
