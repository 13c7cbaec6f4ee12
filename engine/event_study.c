/* event_study.c - the event study (see event_study.h for every definition) */
#include "event_study.h"
#include "sweep.h"                  /* sb_parallel_for */
#include "../core/decimal.h"
#include "../core/json.h"
#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 sb_i128;

void sb_es_opts_init(struct sb_es_opts *o)
{
	static const int64_t minutes[] = { 5, 15, 60, 240 };

	memset(o, 0, sizeof(*o));
	o->n_horizons = sizeof(minutes) / sizeof(minutes[0]);
	for (size_t h = 0; h < o->n_horizons; h++)
		o->horizon_us[h] = minutes[h] * 60 * SB_US_PER_SEC;
	o->quantiles = 5;
	o->volume_window_us = 60 * 60 * SB_US_PER_SEC;
	o->bootstrap = 1000;
	o->seed = 1;
	o->path_before_us = 60 * 60 * SB_US_PER_SEC;
	o->path_after_us = 240 * 60 * SB_US_PER_SEC;
	o->path_bootstrap = 200;
}

void sb_event_study_release(struct sb_event_study *es)
{
	free(es->ev);
	free(es->ret);
	free(es->cell);
	free(es->path);
	memset(es, 0, sizeof(*es));
}

/* ---------------------------------------------------------------------------------- */
/* Statistics                                                                          */
/* ---------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double sb_median(double *x, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(x, n, sizeof(*x), cmp_double);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

struct ranked {
	double v;
	size_t i;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * Doubled average ranks minus (n + 1): d[i] = 2 rank_i - (n + 1), an integer (a tie
 * group at 0-based positions p .. q-1 has the average 1-based rank (p + 1 + q) / 2).
 */
static bool centred_ranks(const double *x, size_t n, int64_t *d)
{
	struct ranked *r = malloc(n * sizeof(*r));

	if (!r)
		return false;
	for (size_t i = 0; i < n; i++)
		r[i] = (struct ranked){ x[i], i };
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (size_t p = 0; p < n;) {
		size_t q = p + 1;

		while (q < n && r[q].v == r[p].v)
			q++;
		for (size_t k = p; k < q; k++)
			d[r[k].i] = (int64_t)(p + q + 1) - (int64_t)(n + 1);
		p = q;
	}
	free(r);
	return true;
}

/* Spearman's rho into *rho (NaN when undefined); false when out of memory. */
static bool spearman(const double *x, const double *y, size_t n, double *rho)
{
	int64_t *dx, *dy;
	sb_i128 sxy = 0, sxx = 0, syy = 0;
	bool ok;

	*rho = NAN;
	if (n < 2)
		return true;
	dx = malloc(n * sizeof(*dx));
	dy = malloc(n * sizeof(*dy));
	ok = dx && dy && centred_ranks(x, n, dx) && centred_ranks(y, n, dy);
	if (ok) {
		/* Exact: |d| < 2n, so each product is below 4n^2 and the sums below 4n^3. */
		for (size_t i = 0; i < n; i++) {
			sxy += (sb_i128)dx[i] * dy[i];
			sxx += (sb_i128)dx[i] * dx[i];
			syy += (sb_i128)dy[i] * dy[i];
		}
		if (sxx > 0 && syy > 0) {
			double r = (double)sxy / sqrt((double)sxx * (double)syy);

			*rho = r > 1 ? 1 : r < -1 ? -1 : r;
		}
	}
	free(dx);
	free(dy);
	return ok;
}

double sb_spearman(const double *x, const double *y, size_t n)
{
	double rho;

	return spearman(x, y, n, &rho) ? rho : NAN;
}

double sb_spearman_t(double rho, size_t n)
{
	if (n < 3 || isnan(rho) || fabs(rho) >= 1)
		return NAN;
	return rho * sqrt((double)(n - 2) / (1 - rho * rho));
}

/* A uniform index in [0, n), n <= 2^32 - 1: Lemire's method on the top 32 bits. */
static uint32_t bounded(struct sb_rng *r, uint32_t n)
{
	uint32_t x = (uint32_t)(sb_rng_next(r) >> 32);
	uint64_t m = (uint64_t)x * n;
	uint32_t l = (uint32_t)m;

	if (l < n) {
		uint32_t t = (uint32_t)-n % n;

		while (l < t) {
			x = (uint32_t)(sb_rng_next(r) >> 32);
			m = (uint64_t)x * n;
			l = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

void sb_bootstrap_mean_ci(const double *x, size_t n, uint32_t B, uint64_t seed, size_t cell,
			  double *scratch, double *lo, double *hi)
{
	struct sb_rng r;
	uint64_t s = seed;
	size_t k;

	*lo = *hi = NAN;
	if (n == 0 || B == 0 || n > UINT32_MAX)
		return;
	sb_rng_seed(&r, sb_splitmix64(&s) + (uint64_t)cell);
	for (uint32_t b = 0; b < B; b++) {
		double sum = 0;

		for (size_t i = 0; i < n; i++)
			sum += x[bounded(&r, (uint32_t)n)];
		scratch[b] = sum / (double)n;
	}
	qsort(scratch, B, sizeof(*scratch), cmp_double);
	k = ((size_t)B + 39) / 40;            /* ceil(0.025 B), at least 1 */
	*lo = scratch[k - 1];
	*hi = scratch[B - k];
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

size_t sb_es_quantile_edges(const int32_t *s, size_t n, int q, int64_t *edges)
{
	size_t m = 1;

	edges[0] = s[0];
	for (int i = 1; i < q; i++) {
		/* rank floor(i n / q) + 1, 1-based: index floor(i n / q) */
		int64_t e = s[(size_t)i * n / (size_t)q];

		if (e != edges[m - 1])
			edges[m++] = e;
	}
	edges[m++] = s[n - 1];     /* the top edge is kept: [max, max] when max was an edge */
	return m - 1;
}

int32_t sb_es_bucket(int64_t s, const int64_t *edges, size_t n_buckets)
{
	size_t lo = 0, hi = n_buckets;   /* the largest b < n_buckets with edges[b] <= s */

	if (n_buckets == 0 || s < edges[0] || s > edges[n_buckets])
		return -1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (edges[mid] <= s)
			lo = mid;
		else
			hi = mid;
	}
	return (int32_t)lo;
}

/* ---------------------------------------------------------------------------------- */
/* The study                                                                           */
/* ---------------------------------------------------------------------------------- */

static enum sb_err check_opts(const struct sb_candles *c, const struct sb_es_opts *o,
			      struct sb_errbuf *err)
{
	const int64_t D = c->interval_us;

	if (D <= 0)
		return sb_errf(err, SB_EINVAL, "candles without an interval");
	if (o->n_horizons < 1 || o->n_horizons > SB_ES_MAX_HORIZONS)
		return sb_errf(err, SB_EINVAL, "expected 1 to %d horizons, got %zu",
			       SB_ES_MAX_HORIZONS, o->n_horizons);
	for (size_t h = 0; h < o->n_horizons; h++) {
		if (o->horizon_us[h] <= 0 || o->horizon_us[h] % D)
			return sb_errf(err, SB_EINVAL,
				       "horizon %lld s is not a positive whole number of %lld s candles",
				       (long long)(o->horizon_us[h] / SB_US_PER_SEC),
				       (long long)(D / SB_US_PER_SEC));
		if (h && o->horizon_us[h] <= o->horizon_us[h - 1])
			return sb_errf(err, SB_EINVAL, "horizons must be increasing");
	}
	if (o->volume_window_us <= 0 || o->volume_window_us % D)
		return sb_errf(err, SB_EINVAL,
			       "volume window %lld s is not a positive whole number of %lld s candles",
			       (long long)(o->volume_window_us / SB_US_PER_SEC),
			       (long long)(D / SB_US_PER_SEC));
	if (o->latency_us < 0 || o->cluster_us < 0)
		return sb_errf(err, SB_EINVAL, "latency and cluster duration must not be negative");
	if (o->n_edges == 0) {
		if (o->quantiles < 1 || o->quantiles > SB_ES_MAX_BUCKETS)
			return sb_errf(err, SB_EINVAL, "expected 1 to %d quantile buckets, got %d",
				       SB_ES_MAX_BUCKETS, o->quantiles);
	} else {
		if (o->n_edges < 2 || o->n_edges > SB_ES_MAX_BUCKETS + 1)
			return sb_errf(err, SB_EINVAL, "expected 2 to %d bucket edges, got %zu",
				       SB_ES_MAX_BUCKETS + 1, o->n_edges);
		for (size_t i = 1; i < o->n_edges; i++)
			if (o->edges_e9[i] <= o->edges_e9[i - 1])
				return sb_errf(err, SB_EINVAL, "bucket edges must be increasing");
	}
	if (o->bootstrap > SB_ES_MAX_BOOTSTRAP || o->path_bootstrap > SB_ES_MAX_BOOTSTRAP)
		return sb_errf(err, SB_EINVAL, "expected at most %d bootstrap resamples, got %u",
			       SB_ES_MAX_BOOTSTRAP,
			       o->bootstrap > o->path_bootstrap ? o->bootstrap : o->path_bootstrap);
	if (o->path_before_us < 0 || o->path_before_us % D || o->path_after_us < 0 ||
	    o->path_after_us % D || o->path_before_us / D > SB_ES_MAX_PATH ||
	    o->path_after_us / D > SB_ES_MAX_PATH)
		return sb_errf(err, SB_EINVAL,
			       "path window -%lld s .. %lld s is not 0 to %d whole %lld s candles each side",
			       (long long)(o->path_before_us / SB_US_PER_SEC),
			       (long long)(o->path_after_us / SB_US_PER_SEC), SB_ES_MAX_PATH,
			       (long long)(D / SB_US_PER_SEC));
	return SB_OK;
}

/* Steps: candle of each article, range, confidence, clusters -> es->ev. */
static enum sb_err select_events(const struct sb_candles *c, const struct sb_events *ev,
				 const struct sb_es_opts *o, struct sb_event_study *es,
				 struct sb_errbuf *err)
{
	const int64_t D = c->interval_us;
	int64_t opened = 0;
	bool open = false;
	size_t n = 0;

	es->ev = malloc((ev->n ? ev->n : 1) * sizeof(*es->ev));
	if (!es->ev)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	es->counts.articles = ev->n;
	for (size_t a = 0; a < ev->n; a++) {
		int64_t j = sb_floordiv(ev->t_us[a] + o->latency_us - c->t0_us, D);

		if (j < 0 || (uint64_t)j >= c->n) {
			es->counts.outside_range++;
			continue;
		}
		if (ev->conf_e9[a] < o->min_conf_e9) {
			es->counts.below_confidence++;
			continue;
		}
		if (o->cluster_us > 0) {
			if (open && ev->t_us[a] - opened < o->cluster_us) {
				es->counts.clustered_out++;
				continue;
			}
			open = true;
			opened = ev->t_us[a];
		}
		es->ev[n++] = (struct sb_es_event){
			.t_us = ev->t_us[a], .candle = j, .score_e9 = ev->score_e9[a],
			.conf_e9 = ev->conf_e9[a], .bucket = -1, .in_candle = 0,
			.close = c->close[j], .volume_spike = NAN,
		};
	}
	es->n_events = n;
	es->counts.events = n;
	if (n > UINT32_MAX)
		return sb_errf(err, SB_EINVAL, "more than %u events", UINT32_MAX);
	return SB_OK;
}

/* Events sharing a candle; the volume spike ratio (computed once per candle). */
static void per_candle(const struct sb_candles *c, const struct sb_es_opts *o,
		       struct sb_event_study *es)
{
	const int64_t D = c->interval_us;
	const size_t H1 = (size_t)(o->horizon_us[0] / D), V = (size_t)(o->volume_window_us / D);
	struct sb_es_counts *ct = &es->counts;

	for (size_t p = 0; p < es->n_events;) {
		size_t q = p + 1, j = (size_t)es->ev[p].candle;
		double spike = NAN;

		while (q < es->n_events && es->ev[q].candle == es->ev[p].candle)
			q++;
		if (j + H1 >= c->n) {
			ct->spike_truncated += q - p;
		} else if (j + 1 < V) {
			ct->spike_short_history += q - p;
		} else {
			double fwd = 0, trail = 0;

			for (size_t i = j + 1 - V; i <= j; i++)
				trail += c->volume[i];
			for (size_t i = j + 1; i <= j + H1; i++)
				fwd += c->volume[i];
			if (trail > 0) {
				spike = (fwd / (double)H1) / (trail / (double)V);
				ct->spike_defined += q - p;
			} else {
				ct->spike_zero_volume += q - p;
			}
		}
		for (size_t k = p; k < q; k++) {
			es->ev[k].in_candle = (uint32_t)(q - p);
			es->ev[k].volume_spike = spike;
		}
		if (q - p > 1)
			ct->shared_candle += q - p;
		p = q;
	}
}

static enum sb_err set_buckets(const struct sb_es_opts *o, struct sb_event_study *es,
			       struct sb_errbuf *err)
{
	if (o->n_edges) {
		memcpy(es->edges_e9, o->edges_e9, o->n_edges * sizeof(int64_t));
		es->n_buckets = o->n_edges - 1;
	} else if (es->n_events) {
		int32_t *s = malloc(es->n_events * sizeof(*s));

		if (!s)
			return sb_errf(err, SB_ENOMEM, "out of memory");
		for (size_t i = 0; i < es->n_events; i++)
			s[i] = es->ev[i].score_e9;
		qsort(s, es->n_events, sizeof(*s), cmp_i32);
		es->n_buckets = sb_es_quantile_edges(s, es->n_events, o->quantiles, es->edges_e9);
		free(s);
	}
	for (size_t i = 0; i < es->n_events; i++) {
		es->ev[i].bucket = sb_es_bucket(es->ev[i].score_e9, es->edges_e9, es->n_buckets);
		es->counts.outside_buckets += es->ev[i].bucket < 0;
	}
	return SB_OK;
}

/* Returns, truncation, overlap and the IC of horizon h. */
static enum sb_err horizon(const struct sb_candles *c, const struct sb_es_opts *o, size_t h,
			   struct sb_event_study *es, double *xs, double *ys, struct sb_errbuf *err)
{
	struct sb_es_horizon *hz = &es->hz[h];
	const size_t H = (size_t)(o->horizon_us[h] / c->interval_us);
	int64_t reach = INT64_MIN, last = INT64_MIN;
	size_t group = 0, m = 0;

	hz->horizon_us = o->horizon_us[h];
	hz->candles = H;
	for (size_t i = 0; i < es->n_events; i++) {
		size_t j = (size_t)es->ev[i].candle;
		double *r = &es->ret[i * es->n_horizons + h];

		if (j + H >= c->n) {
			*r = NAN;
			hz->truncated++;
			continue;
		}
		*r = log(c->close[j + H] / c->close[j]);
		xs[m] = (double)es->ev[i].score_e9;
		ys[m++] = *r;
		/* windows (j, j+H]: the next event overlaps when its j is below the reach */
		if ((int64_t)j >= reach) {
			if (group > 1)
				hz->overlapping += group;
			group = 0;
		}
		if (last == INT64_MIN || (int64_t)j >= last + (int64_t)H) {
			hz->disjoint_windows++;
			last = (int64_t)j;
		}
		group++;
		if ((int64_t)(j + H) > reach)
			reach = (int64_t)(j + H);
	}
	if (group > 1)
		hz->overlapping += group;
	hz->with_return = m;
	hz->ic_n = m;
	if (!spearman(xs, ys, m, &hz->ic))
		return sb_errf(err, SB_ENOMEM, "out of memory");
	hz->t_stat = sb_spearman_t(hz->ic, m);
	return SB_OK;
}

/* The cells, each with its own generator: any thread may run any cell. */
struct cells_ctx {
	const struct sb_event_study *es;
	const struct sb_es_opts *o;
	const double *vals;          /* per horizon, the returns grouped by bucket */
	const size_t *off;           /* (n_buckets + 1) offsets per horizon into vals */
	struct sb_es_cell *cell;
};

static bool run_cell(void *p, size_t ci)
{
	struct cells_ctx *x = p;
	const size_t nb = x->es->n_buckets, h = ci / nb, b = ci % nb;
	const size_t *off = x->off + h * (nb + 1);
	const double *v = x->vals + h * x->es->n_events + off[b];
	const size_t n = off[b + 1] - off[b];
	struct sb_es_cell *cell = &x->cell[ci];
	double sum = 0, *copy, *scratch;
	size_t hits = 0;

	*cell = (struct sb_es_cell){ n, NAN, NAN, NAN, NAN, NAN };
	if (n == 0)
		return true;
	copy = malloc(n * sizeof(*copy));
	scratch = malloc((x->o->bootstrap ? x->o->bootstrap : 1) * sizeof(*scratch));
	if (!copy || !scratch) {
		free(copy);
		free(scratch);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		sum += v[i];
		hits += v[i] > 0;
	}
	cell->mean = sum / (double)n;
	cell->hit_rate = (double)hits / (double)n;
	memcpy(copy, v, n * sizeof(*copy));
	cell->median = sb_median(copy, n);
	sb_bootstrap_mean_ci(v, n, x->o->bootstrap, x->o->seed, ci, scratch, &cell->ci_lo,
			     &cell->ci_hi);
	free(copy);
	free(scratch);
	return true;
}

static enum sb_err aggregate(const struct sb_es_opts *o, struct sb_event_study *es,
			     struct sb_errbuf *err)
{
	const size_t nh = es->n_horizons, nb = es->n_buckets, ne = es->n_events;
	struct cells_ctx x;
	double *vals;
	size_t *off;
	enum sb_err rc = SB_OK;

	es->cell = calloc(nh * nb > 0 ? nh * nb : 1, sizeof(*es->cell));
	vals = malloc((nh * ne > 0 ? nh * ne : 1) * sizeof(*vals));
	off = calloc(nh * (nb + 1), sizeof(*off));
	if (!es->cell || !vals || !off) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out;
	}
	/* a counting sort per horizon: each bucket's returns in event order */
	for (size_t h = 0; h < nh; h++) {
		size_t *of = off + h * (nb + 1), *fill;

		for (size_t i = 0; i < ne; i++)
			if (es->ev[i].bucket >= 0 && !isnan(es->ret[i * nh + h]))
				of[es->ev[i].bucket + 1]++;
		for (size_t b = 0; b < nb; b++)
			of[b + 1] += of[b];
		fill = malloc((nb ? nb : 1) * sizeof(*fill));
		if (!fill) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(fill, of, nb * sizeof(*fill));
		for (size_t i = 0; i < ne; i++)
			if (es->ev[i].bucket >= 0 && !isnan(es->ret[i * nh + h]))
				vals[h * ne + fill[es->ev[i].bucket]++] = es->ret[i * nh + h];
		free(fill);
	}
	x = (struct cells_ctx){ es, o, vals, off, es->cell };
	if (nh * nb > 0 && sb_parallel_for(nh * nb, o->threads, run_cell, &x) != SIZE_MAX)
		rc = sb_errf(err, SB_ENOMEM, "out of memory in the bootstrap");
out:
	free(vals);
	free(off);
	return rc;
}

/* The event path: per bucket and offset, over the bucket's events (event order). */
struct path_ctx {
	const struct sb_candles *c;
	const struct sb_event_study *es;
	const struct sb_es_opts *o;
	const size_t *idx;           /* event indexes grouped by bucket, event order */
	const size_t *off;           /* n_buckets + 1 offsets into idx */
};

static bool run_path_cell(void *p, size_t ci)
{
	struct path_ctx *x = p;
	const struct sb_event_study *es = x->es;
	const size_t no = es->n_offsets, b = ci / no, k = ci % no;
	const int64_t o = (int64_t)k - (int64_t)es->path_before, nc = (int64_t)x->c->n;
	const size_t *ev = x->idx + x->off[b], cap = x->off[b + 1] - x->off[b];
	const uint32_t B = x->o->path_bootstrap;
	struct sb_es_path_cell *cell = &es->path[ci];
	double *v, *scratch, sum = 0;
	size_t n = 0;

	*cell = (struct sb_es_path_cell){ 0, NAN, NAN, NAN };
	if (cap == 0)
		return true;
	v = malloc(cap * sizeof(*v));
	scratch = malloc((B ? B : 1) * sizeof(*scratch));
	if (!v || !scratch) {
		free(v);
		free(scratch);
		return false;
	}
	for (size_t i = 0; i < cap; i++) {
		int64_t j = es->ev[ev[i]].candle, t = j + o;

		if (t < 0 || t >= nc)
			continue;
		v[n] = log(x->c->close[t] / x->c->close[j]);
		sum += v[n++];
	}
	cell->n = n;
	if (n) {
		cell->mean = sum / (double)n;
		sb_bootstrap_mean_ci(v, n, B, x->o->seed, es->n_horizons * es->n_buckets + ci,
				     scratch, &cell->ci_lo, &cell->ci_hi);
	}
	free(v);
	free(scratch);
	return true;
}

static enum sb_err event_path(const struct sb_candles *c, const struct sb_es_opts *o,
			      struct sb_event_study *es, struct sb_errbuf *err)
{
	const size_t nb = es->n_buckets, ne = es->n_events;
	size_t *idx, *off, *fill;
	struct path_ctx x;
	enum sb_err rc = SB_OK;

	es->path_before = (size_t)(o->path_before_us / c->interval_us);
	es->n_offsets = es->path_before + (size_t)(o->path_after_us / c->interval_us) + 1;
	es->path = calloc(nb * es->n_offsets > 0 ? nb * es->n_offsets : 1, sizeof(*es->path));
	idx = malloc((ne ? ne : 1) * sizeof(*idx));
	off = calloc(nb + 1, sizeof(*off));
	fill = malloc((nb ? nb : 1) * sizeof(*fill));
	if (!es->path || !idx || !off || !fill) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ne; i++)
		if (es->ev[i].bucket >= 0)
			off[es->ev[i].bucket + 1]++;
	for (size_t b = 0; b < nb; b++)
		off[b + 1] += off[b];
	memcpy(fill, off, nb * sizeof(*fill));
	for (size_t i = 0; i < ne; i++)
		if (es->ev[i].bucket >= 0)
			idx[fill[es->ev[i].bucket]++] = i;
	x = (struct path_ctx){ c, es, o, idx, off };
	if (nb * es->n_offsets > 0 &&
	    sb_parallel_for(nb * es->n_offsets, o->threads, run_path_cell, &x) != SIZE_MAX)
		rc = sb_errf(err, SB_ENOMEM, "out of memory in the path bootstrap");
out:
	free(idx);
	free(off);
	free(fill);
	return rc;
}

enum sb_err sb_event_study_run(const struct sb_candles *c, const struct sb_events *ev,
			       const struct sb_es_opts *o, struct sb_event_study *es,
			       struct sb_errbuf *err)
{
	double *xs = NULL, *ys = NULL;
	enum sb_err rc;

	memset(es, 0, sizeof(*es));
	if ((rc = check_opts(c, o, err)) || (rc = select_events(c, ev, o, es, err)))
		goto fail;
	es->n_horizons = o->n_horizons;
	es->ret = malloc((es->n_events * o->n_horizons > 0 ? es->n_events * o->n_horizons : 1) *
			 sizeof(*es->ret));
	xs = malloc((es->n_events ? es->n_events : 1) * sizeof(*xs));
	ys = malloc((es->n_events ? es->n_events : 1) * sizeof(*ys));
	if (!es->ret || !xs || !ys) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto fail;
	}
	per_candle(c, o, es);
	if ((rc = set_buckets(o, es, err)))
		goto fail;
	for (size_t h = 0; h < o->n_horizons; h++)
		if ((rc = horizon(c, o, h, es, xs, ys, err)))
			goto fail;
	free(xs);
	free(ys);
	xs = ys = NULL;
	if ((rc = aggregate(o, es, err)) || (rc = event_path(c, o, es, err)))
		goto fail;
	return SB_OK;
fail:
	free(xs);
	free(ys);
	sb_event_study_release(es);
	return rc;
}

/* event_stats.json: what was dropped, truncated and overlapping (results.h names the rest) */
enum sb_err sb_write_event_stats_json(const char *path, const struct sb_event_study *es,
				      struct sb_errbuf *err)
{
	const struct sb_es_counts *c = &es->counts;
	struct sb_json *o = sb_json_new_object(), *a, *v;
	char buf[SB_DEC_LEN];

	if (!o)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	sb_json_add_u64(o, "articles", c->articles);
	sb_json_add_u64(o, "outside_range", c->outside_range);
	sb_json_add_u64(o, "below_confidence", c->below_confidence);
	sb_json_add_u64(o, "clustered_out", c->clustered_out);
	sb_json_add_u64(o, "events", c->events);
	sb_json_add_u64(o, "outside_buckets", c->outside_buckets);
	sb_json_add_u64(o, "shared_candle", c->shared_candle);
	a = sb_json_add_array(o, "bucket_edges");
	for (size_t i = 0; a && es->n_buckets && i <= es->n_buckets; i++)
		sb_json_add_num_text(a, NULL, sb_dec_format(es->edges_e9[i], buf));
	v = sb_json_add_object(o, "volume_spike");
	sb_json_add_u64(v, "defined", c->spike_defined);
	sb_json_add_u64(v, "truncated", c->spike_truncated);
	sb_json_add_u64(v, "short_history", c->spike_short_history);
	sb_json_add_u64(v, "zero_volume", c->spike_zero_volume);
	a = sb_json_add_array(o, "horizons");
	for (size_t h = 0; a && h < es->n_horizons; h++) {
		const struct sb_es_horizon *hz = &es->hz[h];
		struct sb_json *e = sb_json_add_object(a, NULL);

		sb_json_add_num(e, "horizon_s", (double)hz->horizon_us / (double)SB_US_PER_SEC);
		sb_json_add_u64(e, "candles", hz->candles);
		sb_json_add_u64(e, "with_return", hz->with_return);
		sb_json_add_u64(e, "truncated", hz->truncated);
		sb_json_add_u64(e, "overlapping", hz->overlapping);
		sb_json_add_u64(e, "disjoint_windows", hz->disjoint_windows);
	}
	return sb_json_write(path, o, 0, err);
}
