/* grid.c - parsing and enumerating parameter grids */
#include "grid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../loaders/textio.h"

#define SB_AXIS_MAX 1000000
#define SB_GRID_MAX (UINT64_C(1) << 32)

const char *const sb_axis_names[SB_N_AXES] = {
	"threshold", "min_confidence", "window", "exit_band", "fee_bps", "slippage_bps",
	"latency",
};

const char *const sb_axis_options[SB_N_AXES] = {
	"threshold", "min-confidence", "window", "exit-band", "fee-bps", "slippage-bps",
	"latency",
};

static bool parse_value(const char *s, bool is_duration, double *v)
{
	int64_t us;

	if (!is_duration)
		return sb_parse_double(s, v);
	if (!sb_parse_duration(s, &us))
		return false;
	*v = (double)us;
	return true;
}

static enum sb_err push(struct sb_axis *a, size_t *cap, double v, const char *name,
			struct sb_errbuf *err)
{
	if (a->n == SB_AXIS_MAX)
		return sb_errf(err, SB_EINVAL, "--%s: more than %d values", name, SB_AXIS_MAX);
	if (a->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		double *nv = realloc(a->v, ncap * sizeof(*nv));

		if (!nv)
			return sb_errf(err, SB_ENOMEM, "out of memory");
		a->v = nv;
		*cap = ncap;
	}
	a->v[a->n++] = v;
	return SB_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Splits 's' in place at 'sep' into at most 'max' parts; -1 when there are more. */
static int split(char *s, char sep, char **parts, int max)
{
	int n = 0;

	for (;;) {
		char *end = strchr(s, sep);

		if (n == max)
			return -1;
		parts[n++] = s;
		if (!end)
			return n;
		*end = '\0';
		s = end + 1;
	}
}

static enum sb_err parse_range(struct sb_axis *a, size_t *cap, const char *name, char *buf,
			       const char *spec, struct sb_errbuf *err)
{
	const char *what = a->is_duration ? "a duration such as 5m" : "a number";
	double start, stop, step, span;
	char *parts[3];
	enum sb_err rc = SB_OK;

	if (split(buf, ':', parts, 3) != 3 || !parse_value(parts[0], a->is_duration, &start) ||
	    !parse_value(parts[1], a->is_duration, &stop) ||
	    !parse_value(parts[2], a->is_duration, &step))
		return sb_errf(err, SB_EINVAL, "--%s: expected start:stop:step with %s each, got '%s'",
			       name, what, spec);
	if (!(step > 0) || stop < start)
		return sb_errf(err, SB_EINVAL, "--%s: expected start <= stop and step > 0 in '%s'",
			       name, spec);
	span = (stop - start) / step + 1e-9;
	if (span >= SB_AXIS_MAX)
		return sb_errf(err, SB_EINVAL, "--%s: '%s' has too many values", name, spec);
	for (size_t k = 0; k <= (size_t)floor(span) && !rc; k++)
		rc = push(a, cap, start + (double)k * step, name, err);
	return rc;
}

static enum sb_err parse_list(struct sb_axis *a, size_t *cap, const char *name, char *buf,
			      struct sb_errbuf *err)
{
	const char *what = a->is_duration ? "a duration such as 5m" : "a number";
	enum sb_err rc = SB_OK;

	for (char *item = buf; item && !rc;) {
		char *next = strchr(item, ',');
		double v;

		if (next)
			*next++ = '\0';
		if (!parse_value(item, a->is_duration, &v))
			return sb_errf(err, SB_EINVAL, "--%s: expected %s, got '%s'", name, what,
				       item);
		rc = push(a, cap, v, name, err);
		item = next;
	}
	return rc;
}

enum sb_err sb_axis_parse(struct sb_axis *a, const char *name, const char *spec,
			  bool is_duration, struct sb_errbuf *err)
{
	char buf[4096];
	size_t cap = 0;
	enum sb_err rc;

	memset(a, 0, sizeof(*a));
	a->is_duration = is_duration;
	if (strlen(spec) >= sizeof(buf))
		return sb_errf(err, SB_EINVAL, "--%s: value too long", name);
	strcpy(buf, spec);
	rc = strchr(buf, ':') ? parse_range(a, &cap, name, buf, spec, err)
			      : parse_list(a, &cap, name, buf, err);
	if (!rc) {
		/* Distinct values: sort a copy, compare neighbours (O(n log n)). */
		double *sorted = malloc(a->n * sizeof(double));

		if (!sorted) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
		} else {
			memcpy(sorted, a->v, a->n * sizeof(double));
			qsort(sorted, a->n, sizeof(double), cmp_double);
			for (size_t i = 1; i < a->n && !rc; i++)
				if (sorted[i] == sorted[i - 1]) {
					char num[SB_NUM_LEN];

					rc = sb_errf(err, SB_EINVAL, "--%s: value %s%s given twice in '%s'",
						     name,
						     sb_fmt_num(is_duration ? sorted[i] / (double)SB_US_PER_SEC
									    : sorted[i], num),
						     is_duration ? "s" : "", spec);
				}
			free(sorted);
		}
	}
	if (rc) {
		free(a->v);
		a->v = NULL;
		a->n = 0;
	}
	return rc;
}

void sb_grid_release(struct sb_grid *g)
{
	for (int k = 0; k < SB_N_AXES; k++) {
		free(g->ax[k].v);
		g->ax[k].v = NULL;
		g->ax[k].n = 0;
	}
	g->count = 0;
}

enum sb_err sb_grid_finish(struct sb_grid *g, struct sb_errbuf *err)
{
	uint64_t count = 1;

	for (int k = 0; k < SB_N_AXES; k++) {
		if (g->ax[k].n == 0)
			return sb_errf(err, SB_EINVAL, "--%s has no value", sb_axis_options[k]);
		count *= g->ax[k].n;
		if (count > SB_GRID_MAX)
			return sb_errf(err, SB_EINVAL, "the grid has more than %llu combinations",
				       (unsigned long long)SB_GRID_MAX);
	}
	g->count = (size_t)count;
	return SB_OK;
}

void sb_grid_combo(const struct sb_grid *g, size_t id, struct sb_combo *c)
{
	double v[SB_N_AXES];

	for (int k = SB_N_AXES - 1; k >= 0; k--) {
		v[k] = g->ax[k].v[id % g->ax[k].n];
		id /= g->ax[k].n;
	}
	c->threshold = v[SB_AX_THRESHOLD];
	c->min_confidence = v[SB_AX_MIN_CONFIDENCE];
	c->window_us = (int64_t)v[SB_AX_WINDOW];
	c->exit_band = v[SB_AX_EXIT_BAND];
	c->fee_bps = v[SB_AX_FEE_BPS];
	c->slippage_bps = v[SB_AX_SLIPPAGE_BPS];
	c->latency_us = (int64_t)v[SB_AX_LATENCY];
}

void sb_combo_signal_params(const struct sb_combo *c, struct sb_signal_params *sp)
{
	sp->min_confidence = c->min_confidence;
	sp->window_us = c->window_us;
	sp->latency_us = c->latency_us;
}

void sb_combo_trade_params(const struct sb_combo *c, struct sb_trade_params *tp)
{
	tp->threshold = c->threshold;
	tp->exit_band = c->exit_band;
	/* One rounding, the same everywhere: f = (fee + slippage) / 10^4. */
	tp->cost = (c->fee_bps + c->slippage_bps) / 10000.0;
}

void sb_fput_axis_value(FILE *f, const struct sb_axis *a, double v)
{
	char buf[SB_NUM_LEN];

	fputs(sb_fmt_num(a->is_duration ? v / (double)SB_US_PER_SEC : v, buf), f);
}
