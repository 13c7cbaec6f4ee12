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

enum sb_err sb_axis_parse(struct sb_axis *a, const char *name, const char *spec,
			  bool is_duration, struct sb_errbuf *err)
{
	char buf[4096], *parts[3], *item, *save = NULL;
	size_t cap = 0;
	enum sb_err rc = SB_OK;
	const char *what = is_duration ? "a duration such as 5m" : "a number";

	memset(a, 0, sizeof(*a));
	a->is_duration = is_duration;
	if (strlen(spec) >= sizeof(buf))
		return sb_errf(err, SB_EINVAL, "--%s: value too long", name);
	strcpy(buf, spec);
	if (strchr(buf, ':')) {
		double start, stop, step;
		int np = 0;
		char *p = buf;
		double span;

		for (char *q = buf; np < 3; q++) {
			if (*q == ':' || *q == '\0') {
				bool end = *q == '\0';

				*q = '\0';
				parts[np++] = p;
				p = q + 1;
				if (end)
					break;
			}
		}
		if (np != 3 || strchr(p - 1, ':') ||
		    !parse_value(parts[0], is_duration, &start) ||
		    !parse_value(parts[1], is_duration, &stop) ||
		    !parse_value(parts[2], is_duration, &step))
			return sb_errf(err, SB_EINVAL,
				       "--%s: expected start:stop:step with %s each, got '%s'", name,
				       what, spec);
		if (!(step > 0) || stop < start)
			return sb_errf(err, SB_EINVAL,
				       "--%s: expected start <= stop and step > 0 in '%s'", name, spec);
		span = (stop - start) / step + 1e-9;
		if (span >= SB_AXIS_MAX)
			return sb_errf(err, SB_EINVAL, "--%s: '%s' has too many values", name, spec);
		for (size_t k = 0; k <= (size_t)floor(span) && !rc; k++)
			rc = push(a, &cap, start + (double)k * step, name, err);
	} else {
		for (item = strtok_r(buf, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
			double v;

			if (!parse_value(item, is_duration, &v)) {
				rc = sb_errf(err, SB_EINVAL, "--%s: expected %s, got '%s'", name, what,
					     item);
				break;
			}
			rc = push(a, &cap, v, name, err);
		}
		if (!rc && a->n == 0)
			rc = sb_errf(err, SB_EINVAL, "--%s: expected at least one value", name);
	}
	for (size_t i = 0; !rc && i < a->n; i++)
		for (size_t j = i + 1; j < a->n; j++)
			if (a->v[i] == a->v[j]) {
				rc = sb_errf(err, SB_EINVAL, "--%s: value '%s' given twice", name,
					     spec);
				break;
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
			return sb_errf(err, SB_EINVAL, "--%s has no value", sb_axis_names[k]);
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
