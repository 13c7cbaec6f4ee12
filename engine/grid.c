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

const char *const sb_exit_axis_names[SB_N_EXIT_AXES] = {
	"stop_loss", "take_profit", "trailing_stop", "max_hold", "side",
};

const char *const sb_exit_axis_options[SB_N_EXIT_AXES] = {
	"stop-loss", "take-profit", "trailing-stop", "max-hold", "side",
};

static const char *const side_words[3] = { "short", "both", "long" };   /* side + 1 */

/* What a value was typed as, on an axis that counts candles (sb_axis_parse_candles()). */
enum { TYPED_CANDLES = 1, TYPED_DURATION = 2 };

/* A bare whole number of candles of candle_us, as microseconds (at most 100 years). */
static bool parse_candle_count(int64_t candle_us, const char *s, int64_t *v)
{
	const int64_t max = SB_DURATION_MAX_US / candle_us;
	int64_t n = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (max - (*s - '0')) / 10)
			return false;
		n = n * 10 + (*s - '0');
	}
	*v = n * candle_us;
	return true;
}

/* One value; on a candle axis, *typed gains how it was typed (a 0 is either). */
static bool parse_value(const struct sb_axis *a, const char *s, int64_t *v, unsigned *typed)
{
	if (a->is_side) {
		for (int k = 0; k < 3; k++)
			if (!strcmp(s, side_words[k])) {
				*v = k - 1;
				return true;
			}
		return false;
	}
	if (a->candle_us > 0) {
		bool bare = *s && s[strspn(s, "0123456789")] == '\0';

		if (!(bare ? parse_candle_count(a->candle_us, s, v) : sb_parse_duration(s, v)))
			return false;
		if (*v != 0)
			*typed |= bare ? TYPED_CANDLES : TYPED_DURATION;
		return true;
	}
	return a->is_duration ? sb_parse_duration(s, v) : sb_dec_parse(s, v);
}

static const char *value_what(const struct sb_axis *a)
{
	return a->is_side ? "both, long or short"
	       : a->candle_us > 0 ? "a number of candles (240) or a duration such as 4h"
	       : a->is_duration ? "a duration such as 5m" : "a decimal number (at most 9 decimals)";
}

static enum sb_err push(struct sb_axis *a, size_t *cap, int64_t v, const char *name,
			struct sb_errbuf *err)
{
	if (a->n == SB_AXIS_MAX)
		return sb_errf(err, SB_EINVAL, "--%s: more than %d values", name, SB_AXIS_MAX);
	if (a->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		int64_t *nv = realloc(a->v, ncap * sizeof(*nv));

		if (!nv)
			return sb_errf(err, SB_ENOMEM, "out of memory");
		a->v = nv;
		*cap = ncap;
	}
	a->v[a->n++] = v;
	return SB_OK;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

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
			       const char *spec, unsigned *typed, struct sb_errbuf *err)
{
	const char *what = value_what(a);
	int64_t start, stop, step;
	uint64_t span;
	char *parts[3];
	enum sb_err rc = SB_OK;

	if (a->is_side)
		return sb_errf(err, SB_EINVAL, "--%s: expected %s or a list of them, got '%s'",
			       name, what, spec);
	if (split(buf, ':', parts, 3) != 3 || !parse_value(a, parts[0], &start, typed) ||
	    !parse_value(a, parts[1], &stop, typed) || !parse_value(a, parts[2], &step, typed))
		return sb_errf(err, SB_EINVAL, "--%s: expected start:stop:step with %s each, got '%s'",
			       name, what, spec);
	if (!(step > 0) || stop < start)
		return sb_errf(err, SB_EINVAL, "--%s: expected start <= stop and step > 0 in '%s'",
			       name, spec);
	/* Both ends are at most 10^18 in magnitude, so stop - start cannot overflow. */
	span = (uint64_t)(stop - start) / (uint64_t)step;
	if (span >= SB_AXIS_MAX)
		return sb_errf(err, SB_EINVAL, "--%s: '%s' has too many values", name, spec);
	for (uint64_t k = 0; k <= span && !rc; k++)
		rc = push(a, cap, start + (int64_t)k * step, name, err);
	return rc;
}

/* A comma list whose items are values or inclusive ranges: "0,0.01:0.03:0.01". */
static enum sb_err parse_list(struct sb_axis *a, size_t *cap, const char *name, char *buf,
			      unsigned *typed, struct sb_errbuf *err)
{
	const char *what = value_what(a);
	enum sb_err rc = SB_OK;

	for (char *item = buf; item && !rc;) {
		char *next = strchr(item, ',');
		int64_t v;

		if (next)
			*next++ = '\0';
		if (strchr(item, ':')) {
			char text[4096];

			snprintf(text, sizeof(text), "%s", item);   /* parse_range cuts 'item' */
			rc = parse_range(a, cap, name, item, text, typed, err);
			item = next;
			continue;
		}
		if (!parse_value(a, item, &v, typed))
			return sb_errf(err, SB_EINVAL, "--%s: expected %s, got '%s'", name, what,
				       item);
		rc = push(a, cap, v, name, err);
		item = next;
	}
	return rc;
}

static enum sb_err axis_parse(struct sb_axis *a, const char *name, const char *spec,
			      struct sb_errbuf *err)
{
	char buf[4096];
	size_t cap = 0;
	unsigned typed = 0;
	enum sb_err rc;
	if (strlen(spec) >= sizeof(buf))
		return sb_errf(err, SB_EINVAL, "--%s: value too long", name);
	strcpy(buf, spec);
	rc = parse_list(a, &cap, name, buf, &typed, err);
	/* one unit per axis: "60,4h" is more likely a slip than a wish */
	if (!rc && typed == (TYPED_CANDLES | TYPED_DURATION))
		rc = sb_errf(err, SB_EINVAL, "--%s: '%s' mixes numbers of candles (bare numbers) "
			     "and durations (with a unit); give every value in one of them",
			     name, spec);
	a->in_candles = typed == TYPED_CANDLES;
	if (!rc) {
		/* Distinct values: sort a copy, compare neighbours (O(n log n)). */
		int64_t *sorted = malloc(a->n * sizeof(*sorted));

		if (!sorted) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
		} else {
			memcpy(sorted, a->v, a->n * sizeof(*sorted));
			qsort(sorted, a->n, sizeof(*sorted), cmp_i64);
			for (size_t i = 1; i < a->n && !rc; i++)
				if (sorted[i] == sorted[i - 1] && a->in_candles) {
					rc = sb_errf(err, SB_EINVAL, "--%s: value %lld given twice in '%s'",
						     name, (long long)(sorted[i] / a->candle_us), spec);
				} else if (sorted[i] == sorted[i - 1]) {
					char num[SB_DEC_LEN];

					rc = sb_errf(err, SB_EINVAL, "--%s: value %s%s given twice in '%s'",
						     name, sb_axis_format(a, sorted[i], num),
						     a->is_duration ? "s" : "", spec);
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

enum sb_err sb_axis_parse(struct sb_axis *a, const char *name, const char *spec,
			  bool is_duration, struct sb_errbuf *err)
{
	memset(a, 0, sizeof(*a));
	a->is_duration = is_duration;
	return axis_parse(a, name, spec, err);
}

enum sb_err sb_axis_parse_candles(struct sb_axis *a, const char *name, const char *spec,
				  int64_t candle_us, struct sb_errbuf *err)
{
	memset(a, 0, sizeof(*a));
	a->is_duration = true;
	a->candle_us = candle_us;
	return candle_us > 0 ? axis_parse(a, name, spec, err)
			     : sb_errf(err, SB_EINVAL, "--%s: no candle length", name);
}

enum sb_err sb_axis_parse_side(struct sb_axis *a, const char *name, const char *spec,
			       struct sb_errbuf *err)
{
	memset(a, 0, sizeof(*a));
	a->is_side = true;
	return axis_parse(a, name, spec, err);
}

const char *sb_grid_axis_name(const struct sb_grid *g, int k)
{
	int x = sb_grid_exit_axis(g, 0);

	return k < SB_N_AXES ? sb_axis_names[k]
	       : x >= 0 && k >= x ? sb_exit_axis_names[k - x]
	       : g->strategy->axes[k - SB_N_AXES].name;
}

const char *sb_grid_axis_option(const struct sb_grid *g, int k)
{
	int x = sb_grid_exit_axis(g, 0);

	return k < SB_N_AXES ? sb_axis_options[k]
	       : x >= 0 && k >= x ? sb_exit_axis_options[k - x]
	       : g->strategy->axes[k - SB_N_AXES].option;
}

void sb_grid_release(struct sb_grid *g)
{
	for (int k = 0; k < SB_MAX_AXES; k++) {
		free(g->ax[k].v);
		g->ax[k].v = NULL;
		g->ax[k].n = 0;
	}
	g->count = 0;
}

enum sb_err sb_grid_finish(struct sb_grid *g, struct sb_errbuf *err)
{
	uint64_t count = 1;

	if (!g->strategy)
		g->strategy = sb_strategies[0];
	if (g->n_axes < SB_N_AXES)
		g->n_axes = SB_N_AXES + g->strategy->n_axes;
	for (int k = 0; k < g->n_axes; k++) {
		if (g->ax[k].n == 0)
			return sb_errf(err, SB_EINVAL, "--%s has no value", sb_grid_axis_option(g, k));
		count *= g->ax[k].n;
		if (count > SB_GRID_MAX)
			return sb_errf(err, SB_EINVAL, "the grid has more than %llu combinations",
				       (unsigned long long)SB_GRID_MAX);
	}
	g->count = (size_t)count;
	return SB_OK;
}

void sb_grid_values(const struct sb_grid *g, size_t id, int64_t v[SB_MAX_AXES])
{
	for (int k = SB_MAX_AXES - 1; k >= 0; k--) {
		if (k >= g->n_axes) {
			v[k] = 0;
			continue;
		}
		v[k] = g->ax[k].v[id % g->ax[k].n];
		id /= g->ax[k].n;
	}
}

void sb_fput_combo_values(FILE *f, const struct sb_grid *g, size_t id)
{
	int64_t v[SB_MAX_AXES];

	sb_grid_values(g, id, v);
	for (int k = 0; k < g->n_axes; k++) {
		fputc(',', f);
		sb_fput_axis_value(f, &g->ax[k], v[k]);
	}
}

void sb_grid_combo(const struct sb_grid *g, size_t id, struct sb_combo *c)
{
	int64_t v[SB_MAX_AXES];

	sb_grid_values(g, id, v);
	c->threshold = v[SB_AX_THRESHOLD];
	c->min_confidence = v[SB_AX_MIN_CONFIDENCE];
	c->window_us = v[SB_AX_WINDOW];
	c->exit_band = v[SB_AX_EXIT_BAND];
	c->fee_bps = v[SB_AX_FEE_BPS];
	c->slippage_bps = v[SB_AX_SLIPPAGE_BPS];
	c->latency_us = v[SB_AX_LATENCY];
	for (int k = 0; k < SB_STRATEGY_MAX_AXES; k++)
		c->extra[k] = k < sb_grid_strategy_axes(g) ? v[SB_AX_STRATEGY0 + k] : 0;
	c->stop_loss = c->take_profit = c->trailing_stop = c->max_hold_us = 0;
	c->max_hold_candles = 0;
	c->side = 0;
	if (g->has_exits) {
		int x = sb_grid_exit_axis(g, 0);

		c->stop_loss = v[x + SB_EX_STOP_LOSS];
		c->take_profit = v[x + SB_EX_TAKE_PROFIT];
		c->trailing_stop = v[x + SB_EX_TRAILING_STOP];
		c->max_hold_us = v[x + SB_EX_MAX_HOLD];
		c->max_hold_candles = g->interval_us > 0 ? c->max_hold_us / g->interval_us : 0;
		c->side = (int)v[x + SB_EX_SIDE];
	}
	c->strategy = g->strategy;
}

void sb_combo_signal_params(const struct sb_combo *c, struct sb_signal_params *sp)
{
	sp->min_conf_e9 = c->min_confidence;
	sp->window_us = c->window_us;
	sp->latency_us = c->latency_us;
	for (int k = 0; k < SB_STRATEGY_MAX_AXES; k++)
		sp->extra[k] = c->extra[k];
}

/* f[0] = 1 + sign x (a long's factor), f[1] = 1 - sign x (a short's), x in 10^-9. */
static void factors(int64_t x, int sign, double f[2])
{
	f[0] = (double)(SB_DEC_SCALE + sign * x) / (double)SB_DEC_SCALE;
	f[1] = (double)(SB_DEC_SCALE - sign * x) / (double)SB_DEC_SCALE;
}

void sb_combo_trade_params(const struct sb_combo *c, struct sb_trade_params *tp)
{
	/* In the signal's unit (10^-9), exact integers in a double: see strategies/mean.c. */
	tp->threshold = (double)c->threshold;
	tp->exit_band = (double)c->exit_band;
	/* One rounding, the same everywhere: f = (fee + slippage) / 10^4, from the exact
	 * sum in 10^-9 bps (at most 2 * 10^13, exact in a double). */
	tp->cost = (double)(c->fee_bps + c->slippage_bps) / (10000.0 * (double)SB_DEC_SCALE);
	/* Exits: each factor formed exactly in 10^-9 units (|x| < 2^53), divided once. */
	memset(tp->stop_f, 0, sizeof(tp->stop_f));
	memset(tp->take_f, 0, sizeof(tp->take_f));
	memset(tp->trail_f, 0, sizeof(tp->trail_f));
	tp->exits = 0;
	tp->side = c->side;
	tp->max_hold = 0;
	if (c->stop_loss > 0) {
		tp->exits |= SB_EXIT_ON_STOP;
		factors(c->stop_loss, -1, tp->stop_f);
	}
	if (c->take_profit > 0) {
		tp->exits |= SB_EXIT_ON_TAKE;
		factors(c->take_profit, 1, tp->take_f);
	}
	if (c->trailing_stop > 0) {
		tp->exits |= SB_EXIT_ON_TRAIL;
		factors(c->trailing_stop, -1, tp->trail_f);
	}
	if (c->max_hold_candles > 0) {
		tp->exits |= SB_EXIT_ON_TIME;
		tp->max_hold = (uint64_t)c->max_hold_candles;
	}
}

const char *sb_axis_format(const struct sb_axis *a, int64_t v, char out[SB_DEC_LEN])
{
	if (a->is_side) {
		strcpy(out, side_words[v < 0 ? 0 : v > 0 ? 2 : 1]);
		return out;
	}
	/* Microseconds are 10^-6 s: as 10^-9 units, times 1000 (100 years fit in int64). */
	return sb_dec_format(a->is_duration ? v * 1000 : v, out);
}

void sb_fput_axis_value(FILE *f, const struct sb_axis *a, int64_t v)
{
	char buf[SB_DEC_LEN];

	fputs(sb_axis_format(a, v, buf), f);
}

double sb_axis_value_double(const struct sb_axis *a, int64_t v)
{
	if (a->is_side)
		return (double)v;
	return a->is_duration ? (double)v / (double)SB_US_PER_SEC : sb_dec_to_double(v);
}
