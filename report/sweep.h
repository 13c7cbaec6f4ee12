/* sweep.h - what a sweep's summary.csv shows: its axes, the heatmap or line, the colours
 *
 * The parameter columns of summary.csv are those between "id" and the first metric
 * (total_return); any of them whose value varies over the rows in use (--slice) is an
 * axis, whatever its name, so new parameters need no change here.  A view maps the
 * metric over one axis (a line, with the Sharpe ratio's 95 % interval) or two (a
 * heatmap); the other axes are fixed at the best combination's values, or reduced
 * (the best or the median over them).
 */
#ifndef SB_REPORT_SWEEP_H
#define SB_REPORT_SWEEP_H

#include "../core/common.h"
#include "table.h"

#define SB_SLICE_MAX 16

/* --slice: columns fixed at a value (durations in seconds, side as +1 / -1 / 0). */
struct sb_slice {
	int n;
	char name[SB_SLICE_MAX][64];
	char text[SB_SLICE_MAX][64];    /* as typed, for messages */
};

enum sb_reduce { SB_REDUCE_SLICE, SB_REDUCE_MAX, SB_REDUCE_MEDIAN };

struct sb_axis_view {
	int col;
	const char *name;
	double *v;                  /* distinct values, sorted */
	size_t n;
	bool dur;                   /* seconds, shown as 5m, 1h */
};

struct sb_sweep {
	const struct sb_table *t;
	int mcol, dir;              /* the metric; dir +1: higher is better, -1: lower */
	bool pct;                   /* a fraction, shown in % */
	const char *metric;
	int p0, p1;                 /* parameter columns [p0, p1) */
	bool *use;                  /* rows that match --slice */
	size_t n_use, best;         /* best: the best row in use */
	struct sb_axis_view ax[SB_TABLE_MAX_COLS];
	int nax;                    /* axes that vary */
	bool varies[SB_TABLE_MAX_COLS];
	double lo, hi;              /* the colour scale (robust percentiles), displayed units */
	bool diverging;
};

/*
 * Reads the shape of summary table t for 'metric'.  Usage errors (unknown metric,
 * slice column or value; a slice that leaves no row) come back as SB_EINVAL with a
 * message listing what is allowed.
 */
enum sb_err sb_sweep_init(struct sb_sweep *s, const struct sb_table *t, const char *metric,
			  const struct sb_slice *slice, struct sb_errbuf *err);
void sb_sweep_release(struct sb_sweep *s);

/* The axis named 'name' among those that vary, or -1. */
int sb_sweep_axis(const struct sb_sweep *s, const char *name);
/* "threshold, window" (the axes that vary) into buf. */
void sb_sweep_axis_list(const struct sb_sweep *s, char *buf, size_t cap);

/*
 * The metric over axes a (x) and b (y; -1 for a line): z[yi * nx + xi] (NaN where no
 * combination), in displayed units, and the row each cell comes from (SIZE_MAX for a
 * median).  Arrays of ax[a].n * ax[b].n.
 */
void sb_sweep_grid(const struct sb_sweep *s, int a, int b, enum sb_reduce red, double *z,
		   size_t *row);

/* The metric of row r in displayed units (x 100 for a fraction). */
double sb_sweep_value(const struct sb_sweep *s, size_t r);
/* A value of a column as read: "5m" for durations, "long" for side, %.4g otherwise. */
void sb_sweep_fmt_param(const char *col, double v, char *buf, size_t cap);
/* "threshold=0.3 window=5m" for row r: the axes that vary (all parameters: all=true). */
void sb_sweep_params(const struct sb_sweep *s, size_t r, bool all, const char *sep,
		     char *buf, size_t cap);
/* The display label of the metric: "total_return (%)". */
void sb_sweep_metric_label(const struct sb_sweep *s, char *buf, size_t cap);

/* The colour of value v on the scale: "#rrggbb"; *dark when labels should be white. */
void sb_sweep_colour(const struct sb_sweep *s, double v, char rgb[8], bool *dark);
/* The palette as gnuplot's "set palette defined (...)" with cbrange over lo..hi. */
void sb_sweep_gnuplot_palette(const struct sb_sweep *s, char *buf, size_t cap);

/* Whether a column of summary.csv is a fraction shown in % (total_return, ...). */
bool sb_metric_is_fraction(const char *name);
/* Whether a parameter column holds a duration in seconds (window, latency, ...). */
bool sb_column_is_duration(const char *name);
/* seconds -> "5m", "1h", "90s", "0". */
void sb_fmt_duration(double sec, char *buf, size_t cap);

#endif
