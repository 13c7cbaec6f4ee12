/* sweep.c - the axes of summary.csv, the metric over one or two of them, the colour scale */
#include "sweep.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/grid.h"         /* the exit axes' names */
#include "../loaders/textio.h"
#include "../strategies/strategy.h"

/* the first metric column of summary.csv: parameters come before it */
#define FIRST_METRIC "total_return"

bool sb_metric_is_fraction(const char *name)
{
	static const char *const f[] = { "total_return", "max_drawdown", "win_rate", "exposure",
					 "avg_trade_return", "bh_return", "bh_max_drawdown",
					 "excess_return", "is_total_return", "oos_total_return" };

	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
		if (!strcmp(name, f[k]))
			return true;
	return false;
}

/* Lower is better for these; higher for every other metric. */
static bool lower_is_better(const char *name)
{
	return !strcmp(name, "max_drawdown") || !strcmp(name, "bh_max_drawdown");
}

bool sb_column_is_duration(const char *name)
{
	if (!strcmp(name, "window") || !strcmp(name, "latency") ||
	    !strcmp(name, sb_exit_axis_names[SB_EX_MAX_HOLD]))     /* --max-hold 30m */
		return true;
	for (const struct sb_strategy *const *st = sb_strategies; *st; st++)
		for (int k = 0; k < (*st)->n_axes; k++)
			if (!strcmp((*st)->axes[k].name, name))
				return (*st)->axes[k].is_duration;
	return false;
}

void sb_fmt_duration(double sec, char *buf, size_t cap)
{
	static const struct { double s; const char *u; } u[] = {
		{ 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" } };

	if (sec == 0 || isnan(sec)) {
		snprintf(buf, cap, isnan(sec) ? "-" : "0");
		return;
	}
	for (size_t k = 0; k < sizeof(u) / sizeof(u[0]); k++)
		if (fmod(sec, u[k].s) == 0) {
			snprintf(buf, cap, "%.0f%s", sec / u[k].s, u[k].u);
			return;
		}
	snprintf(buf, cap, "%.4gs", sec);
}

void sb_sweep_fmt_param(const char *col, double v, char *buf, size_t cap)
{
	if (sb_column_is_duration(col))
		sb_fmt_duration(v, buf, cap);
	else if (!strcmp(col, "side"))
		snprintf(buf, cap, "%s", v > 0 ? "long" : v < 0 ? "short" : "both");
	else
		snprintf(buf, cap, "%.4g", v);
}

static bool same(double a, double b)
{
	return a == b || fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static size_t index_of(const double *vals, size_t n, double v)
{
	for (size_t k = 0; k < n; k++)
		if (same(vals[k], v))
			return k;
	return SIZE_MAX;
}

/* A slice value: a duration, a side or a number; false when it is none. */
static bool slice_value(const char *col, const char *s, double *v)
{
	int64_t us;

	if (sb_column_is_duration(col)) {
		if (!sb_parse_duration(s, &us))
			return false;
		*v = (double)us / (double)SB_US_PER_SEC;
		return true;
	}
	if (!strcmp(col, "side")) {
		*v = !strcmp(s, "long") ? 1 : !strcmp(s, "short") ? -1 : !strcmp(s, "both") ? 0 : NAN;
		return !isnan(*v);
	}
	return sb_parse_double(s, v);
}

/* Better of two metric values (NaN is worst). */
static bool better(double a, double b, int dir)
{
	if (isnan(a))
		return false;
	return isnan(b) || (dir > 0 ? a > b : a < b);
}

/* The p-th percentile (0..1) of sorted x[0..n), interpolated. */
static double percentile(const double *x, size_t n, double p)
{
	double k = p * (double)(n - 1);
	size_t i = (size_t)k;

	return i + 1 < n ? x[i] + (k - (double)i) * (x[i + 1] - x[i]) : x[n - 1];
}

static void param_list(const struct sb_sweep *s, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int c = s->p0; c < s->p1 && len < cap; c++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", c > s->p0 ? ", " : "",
					s->t->names[c]);
}

enum sb_err sb_sweep_init(struct sb_sweep *s, const struct sb_table *t, const char *metric,
			  const struct sb_slice *slice, struct sb_errbuf *err)
{
	double fixed[SB_SLICE_MAX], *x;
	int fcol[SB_SLICE_MAX];
	char list[2048];
	size_t nx = 0;

	memset(s, 0, sizeof(*s));
	s->t = t;
	s->metric = metric;
	s->p0 = sb_table_col(t, "id") + 1;
	s->p1 = sb_table_col(t, FIRST_METRIC);
	if (s->p0 < 1 || s->p1 < s->p0)
		return sb_errf(err, SB_EPARSE, "summary.csv:1: expected columns 'id', then the "
			       "parameters, then '%s' and the other metrics", FIRST_METRIC);
	s->mcol = sb_table_col(t, metric);
	if (s->mcol < s->p1) {
		size_t len = 0;

		for (int c = s->p1; c < t->ncol && len < sizeof(list); c++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						c > s->p1 ? ", " : "", t->names[c]);
		return sb_errf(err, SB_EINVAL, "--metric: '%s' is not a metric of summary.csv "
			       "(one of: %s)", metric, list);
	}
	s->dir = lower_is_better(metric) ? -1 : 1;
	s->pct = sb_metric_is_fraction(metric);
	for (int k = 0; slice && k < slice->n; k++) {
		fcol[k] = sb_table_col(t, slice->name[k]);
		if (fcol[k] < s->p0 || fcol[k] >= s->p1) {
			param_list(s, list, sizeof(list));
			return sb_errf(err, SB_EINVAL, "--slice: '%s' is not a parameter of "
				       "summary.csv (one of: %s)", slice->name[k], list);
		}
		if (!slice_value(slice->name[k], slice->text[k], &fixed[k]))
			return sb_errf(err, SB_EINVAL, "--slice: %s: expected %s, got '%s'",
				       slice->name[k], sb_column_is_duration(slice->name[k]) ?
				       "a duration like 5m" : !strcmp(slice->name[k], "side") ?
				       "long, short or both" : "a number", slice->text[k]);
	}
	s->use = calloc(t->nrow ? t->nrow : 1, sizeof(*s->use));
	x = malloc((t->nrow ? t->nrow : 1) * sizeof(*x));
	if (!s->use || !x) {
		free(x);
		return sb_errf(err, SB_ENOMEM, "out of memory");
	}
	s->best = SIZE_MAX;
	for (size_t r = 0; r < t->nrow; r++) {
		double v = sb_table_cell(t, r, s->mcol);

		s->use[r] = true;
		for (int k = 0; slice && k < slice->n; k++)
			if (!same(sb_table_cell(t, r, fcol[k]), fixed[k]))
				s->use[r] = false;
		if (!s->use[r])
			continue;
		s->n_use++;
		if (s->best == SIZE_MAX || better(v, sb_table_cell(t, s->best, s->mcol), s->dir))
			s->best = r;
		if (!isnan(v))
			x[nx++] = sb_sweep_value(s, r);
	}
	if (s->n_use == 0) {
		free(x);
		return sb_errf(err, SB_EINVAL, "--slice: no combination of summary.csv matches");
	}
	for (int c = s->p0; c < s->p1; c++) {
		struct sb_axis_view *a = &s->ax[s->nax];
		size_t n = 0;

		a->v = malloc(t->nrow * sizeof(*a->v));
		if (!a->v) {
			free(x);
			return sb_errf(err, SB_ENOMEM, "out of memory");
		}
		for (size_t r = 0; r < t->nrow; r++) {
			double v = sb_table_cell(t, r, c);

			if (s->use[r] && !isnan(v) && index_of(a->v, n, v) == SIZE_MAX)
				a->v[n++] = v;
		}
		if (n < 2) {
			free(a->v);
			a->v = NULL;
			continue;
		}
		qsort(a->v, n, sizeof(*a->v), cmp_double);
		a->n = n;
		a->col = c;
		a->name = t->names[c];
		a->dur = sb_column_is_duration(a->name);
		s->varies[c] = true;
		s->nax++;
	}
	/* colour scale: the 2nd..98th percentiles, centred on 0 when the values take both signs */
	qsort(x, nx, sizeof(*x), cmp_double);
	if (nx) {
		s->lo = percentile(x, nx, 0.02);
		s->hi = percentile(x, nx, 0.98);
	}
	free(x);
	if (!(s->lo < s->hi)) {
		s->lo = nx ? s->lo - 0.5 : -1;
		s->hi = s->lo + 1;
	}
	/* two slopes: white at 0, each side reaching its end colour at its own percentile */
	s->diverging = s->lo < 0 && s->hi > 0;
	return SB_OK;
}

void sb_sweep_release(struct sb_sweep *s)
{
	for (int k = 0; k < s->nax; k++)
		free(s->ax[k].v);
	free(s->use);
	memset(s, 0, sizeof(*s));
}

int sb_sweep_axis(const struct sb_sweep *s, const char *name)
{
	for (int k = 0; k < s->nax; k++)
		if (!strcmp(s->ax[k].name, name))
			return k;
	return -1;
}

void sb_sweep_axis_list(const struct sb_sweep *s, char *buf, size_t cap)
{
	size_t len = 0;

	snprintf(buf, cap, "%s", s->nax ? "" : "none");
	for (int k = 0; k < s->nax && len < cap; k++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? ", " : "", s->ax[k].name);
}

double sb_sweep_value(const struct sb_sweep *s, size_t r)
{
	return sb_table_cell(s->t, r, s->mcol) * (s->pct ? 100.0 : 1.0);
}

void sb_sweep_params(const struct sb_sweep *s, size_t r, bool all, const char *sep,
		     char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int c = s->p0; c < s->p1 && len < cap; c++) {
		char v[64];

		if (!all && !s->varies[c])
			continue;
		sb_sweep_fmt_param(s->t->names[c], sb_table_cell(s->t, r, c), v, sizeof(v));
		len += (size_t)snprintf(buf + len, cap - len, "%s%s=%s", len ? sep : "",
					s->t->names[c], v);
	}
}

void sb_sweep_metric_label(const struct sb_sweep *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", s->metric, !strcmp(s->metric, "sharpe") ? " (annualised)" : "",
		 s->pct ? " (%)" : "");
}

static int cmp_median(const void *a, const void *b)
{
	return cmp_double(a, b);
}

void sb_sweep_grid(const struct sb_sweep *s, int a, int b, enum sb_reduce red, double *z,
		   size_t *row)
{
	const struct sb_table *t = s->t;
	size_t nx = s->ax[a].n, ny = b >= 0 ? s->ax[b].n : 1, cells = nx * ny;
	double *acc = NULL;
	size_t *cnt = NULL;

	for (size_t k = 0; k < cells; k++) {
		z[k] = NAN;
		row[k] = SIZE_MAX;
	}
	if (red == SB_REDUCE_MEDIAN) {
		acc = malloc(t->nrow * sizeof(*acc));
		cnt = calloc(cells, sizeof(*cnt));
		if (!acc || !cnt) {
			free(acc);
			free(cnt);
			return;      /* all NaN: no chart rather than a wrong one */
		}
	}
	for (size_t r = 0; r < t->nrow; r++) {
		size_t xi, yi = 0, k;
		bool in = s->use[r];

		/* slice: every other axis at the best combination's value */
		for (int o = 0; o < s->nax && in && red == SB_REDUCE_SLICE; o++)
			if (o != a && o != b)
				in = same(sb_table_cell(t, r, s->ax[o].col),
					  sb_table_cell(t, s->best, s->ax[o].col));
		if (!in)
			continue;
		xi = index_of(s->ax[a].v, nx, sb_table_cell(t, r, s->ax[a].col));
		if (b >= 0)
			yi = index_of(s->ax[b].v, ny, sb_table_cell(t, r, s->ax[b].col));
		if (xi == SIZE_MAX || yi == SIZE_MAX)
			continue;
		k = yi * nx + xi;
		if (red == SB_REDUCE_MEDIAN) {
			cnt[k]++;
			continue;
		}
		if (row[k] == SIZE_MAX || better(sb_table_cell(t, r, s->mcol),
						 sb_table_cell(t, row[k], s->mcol), s->dir)) {
			row[k] = r;
			z[k] = sb_sweep_value(s, r);
		}
	}
	if (red != SB_REDUCE_MEDIAN)
		return;
	/* the median of each cell over the other axes, NaN values left out */
	for (size_t k = 0; k < cells; k++) {
		size_t n = 0;

		if (!cnt[k])
			continue;
		for (size_t r = 0; r < t->nrow; r++) {
			double v = sb_sweep_value(s, r);

			if (!s->use[r] || isnan(v) ||
			    index_of(s->ax[a].v, nx, sb_table_cell(t, r, s->ax[a].col)) != k % nx ||
			    (b >= 0 && index_of(s->ax[b].v, ny, sb_table_cell(t, r, s->ax[b].col)) !=
			     k / nx))
				continue;
			acc[n++] = v;
		}
		if (n) {
			qsort(acc, n, sizeof(*acc), cmp_median);
			z[k] = n % 2 ? acc[n / 2] : 0.5 * (acc[n / 2 - 1] + acc[n / 2]);
		}
	}
	free(acc);
	free(cnt);
}

/* Good is blue on both scales: red - white - blue, or pale - dark blue. */
static const unsigned diverging_rgb[5] = { 0xb2182b, 0xef8a62, 0xf7f7f7, 0x67a9cf, 0x2166ac };
static const unsigned sequential_rgb[5] = { 0xf7fbff, 0xc6dbef, 0x6baed6, 0x2171b5, 0x08306b };

/*
 * The position 0..1 of v on the scale, 1 = best.  A diverging scale has two slopes, so
 * that zero is white and the best and the worst cells both take the end colours even
 * when one side reaches much further than the other.
 */
static double scale_pos(const struct sb_sweep *s, double v)
{
	double u = !s->diverging ? (v - s->lo) / (s->hi - s->lo)
		 : v < 0 ? 0.5 - 0.5 * v / s->lo : 0.5 + 0.5 * v / s->hi;

	u = u < 0 ? 0 : u > 1 ? 1 : u;
	return s->dir > 0 ? u : 1 - u;
}

void sb_sweep_colour(const struct sb_sweep *s, double v, char rgb[8], bool *dark)
{
	const unsigned *p = s->diverging ? diverging_rgb : sequential_rgb;
	double u = scale_pos(s, v) * 4, c[3], lum;
	int i = u >= 4 ? 3 : (int)u;

	for (int k = 0; k < 3; k++) {
		double a = (p[i] >> (16 - 8 * k)) & 0xff, b = (p[i + 1] >> (16 - 8 * k)) & 0xff;

		c[k] = a + (u - i) * (b - a);
	}
	/* relative luminance (sRGB weights, close enough for a label colour) */
	lum = (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255.0;
	*dark = lum < 0.5;
	snprintf(rgb, 8, "#%02x%02x%02x", (int)lrint(c[0]), (int)lrint(c[1]), (int)lrint(c[2]));
}

void sb_sweep_gnuplot_palette(const struct sb_sweep *s, char *buf, size_t cap)
{
	const unsigned *p = s->diverging ? diverging_rgb : sequential_rgb;
	size_t len = (size_t)snprintf(buf, cap, "set palette defined (");

	/*
	 * cbrange runs lo..hi; position lo is the worst unless lower is better.  Positions
	 * are values, so a diverging palette puts white at 0 and has two slopes (scale_pos).
	 */
	for (int k = 0; k < 5 && len < cap; k++) {
		double at = !s->diverging ? s->lo + (s->hi - s->lo) * k / 4.0
			  : k < 2 ? s->lo * (1 - k / 2.0) : s->hi * (k - 2) / 2.0;

		len += (size_t)snprintf(buf + len, cap - len, "%s%.17g '#%06x'", k ? ", " : "",
					at, p[s->dir > 0 ? k : 4 - k]);
	}
	if (len < cap)
		snprintf(buf + len, cap - len, ")");
}
