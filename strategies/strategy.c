/* strategy.c - the strategy list and the steps every signal shares */
#include "strategy.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

const struct sb_strategy *const sb_strategies[] = {
	&sb_strategy_mean, &sb_strategy_decayed, &sb_strategy_volume, NULL,
};

const struct sb_strategy *sb_strategy_find(const char *name)
{
	for (int i = 0; sb_strategies[i]; i++)
		if (strcmp(sb_strategies[i]->name, name) == 0)
			return sb_strategies[i];
	return NULL;
}

void sb_article_index_init(struct sb_article_index *x)
{
	memset(x, 0, sizeof(*x));
}

void sb_article_index_release(struct sb_article_index *x)
{
	free(x->rec);
	free(x->part_at);
	free(x->part_outside);
	sb_article_index_init(x);
}

static uint32_t conf_bucket(int32_t conf)
{
	return ((uint32_t)conf ^ UINT32_C(0x80000000)) >> 22;    /* order-preserving */
}

static int32_t clamp32(int64_t v)
{
	return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

static _Atomic uint64_t index_builds;

enum sb_err sb_article_index_begin(struct sb_article_index *x, const struct sb_candles *c,
				   const struct sb_events *ev, int64_t latency_us, int parts,
				   struct sb_errbuf *err)
{
	x->valid = false;                /* until filled: out of memory halfway leaves a mix */
	x->gen = atomic_fetch_add(&index_builds, 1) + 1;
	if (c->n > UINT32_MAX)
		return sb_errf(err, SB_EINVAL, "%zu candles: at most %u can be traded", c->n,
			       (unsigned)UINT32_MAX);
	if (ev->n > x->cap || !x->rec) {
		free(x->rec);
		/* written by sb_article_index_fill() before it is read */
		x->rec = sb_aligned_alloc_raw((ev->n ? ev->n : 1) * sizeof(*x->rec));
		x->cap = x->rec ? ev->n : 0;
	}
	if (parts != x->parts || !x->part_at) {
		free(x->part_at);
		free(x->part_outside);
		x->part_at = malloc((size_t)parts * sizeof(*x->part_at));
		x->part_outside = malloc((size_t)parts * sizeof(*x->part_outside));
		x->parts = parts;
	}
	if (!x->rec || !x->part_at || !x->part_outside) {
		sb_article_index_release(x);
		return sb_errf(err, SB_ENOMEM, "out of memory indexing %zu articles", ev->n);
	}
	x->ev = ev;
	x->c = c;
	x->latency_us = latency_us;
	return SB_OK;
}

/*
 * Step 1: the candle j = floor((t_pub + L - t0) / D) of each article, in turn.  Events
 * are sorted by t_pub and L is constant, so candles come sorted; most articles fall in
 * the candle of the previous one or the next, which saves a 64-bit division each.
 */
struct candle_walk {
	int64_t D, base;                 /* base = t0 - L */
	uint64_t n;
	int64_t j, j_lo;                 /* the last article's candle and its start */
	bool known;
};

static struct candle_walk candle_walk_of(const struct sb_article_index *x)
{
	return (struct candle_walk){ .D = x->c->interval_us,
				     .base = x->c->t0_us - x->latency_us, .n = x->c->n };
}

/* The article's candle, or -1 outside the candles. */
static inline int64_t walk_candle(struct candle_walk *cw, int64_t t_us)
{
	/* |t|, |t0| and L are bounded (loaders/, SB_DURATION_MAX_US): no overflow */
	const int64_t off = t_us - cw->base;

	if (cw->known && off >= cw->j_lo && off < cw->j_lo + cw->D) {
		/* the same candle */
	} else if (cw->known && off >= cw->j_lo + cw->D && off < cw->j_lo + 2 * cw->D) {
		cw->j++;
		cw->j_lo += cw->D;
	} else {
		cw->j = sb_floordiv(off, cw->D);
		cw->j_lo = cw->j * cw->D;
		cw->known = true;
	}
	return cw->j >= 0 && (uint64_t)cw->j < cw->n ? cw->j : -1;
}

/* Part p's articles: [n p / parts, n (p + 1) / parts) of the events. */
static void part_range(const struct sb_article_index *x, int p, size_t *a0, size_t *a1)
{
	*a0 = x->ev->n / (size_t)x->parts * (size_t)p +
	      x->ev->n % (size_t)x->parts * (size_t)p / (size_t)x->parts;
	*a1 = x->ev->n / (size_t)x->parts * ((size_t)p + 1) +
	      x->ev->n % (size_t)x->parts * ((size_t)p + 1) / (size_t)x->parts;
}

/* Part p's articles per bucket (in part_at[p], made offsets by place()). */
void sb_article_index_count(struct sb_article_index *x, int p)
{
	uint32_t *at = x->part_at[p];
	struct candle_walk cw = candle_walk_of(x);
	uint64_t outside = 0;
	size_t a0, a1;

	memset(at, 0, sizeof(x->part_at[p]));
	part_range(x, p, &a0, &a1);
	for (size_t a = a0; a < a1; a++) {
		if (walk_candle(&cw, x->ev->t_us[a]) < 0)
			outside++;
		else
			at[conf_bucket(x->ev->conf_e9[a])]++;
	}
	x->part_outside[p] = outside;
}

/* Bucket by bucket, part by part: where each part's articles of a bucket start. */
void sb_article_index_place(struct sb_article_index *x)
{
	uint32_t next = 0;

	x->outside = 0;
	for (int p = 0; p < x->parts; p++)
		x->outside += x->part_outside[p];
	for (size_t b = 0; b < SB_CONF_BUCKETS; b++) {
		x->bucket_at[b] = next;
		for (int p = 0; p < x->parts; p++) {
			uint32_t m = x->part_at[p][b];

			x->part_at[p][b] = next;
			next += m;             /* < 2^28 articles (loaders/events.c) */
		}
	}
	x->bucket_at[SB_CONF_BUCKETS] = next;
	x->n_in = next;
	x->valid = true;                 /* to be read once every part has filled */
}

/* Part p's records into their places, in the events' order within a bucket. */
void sb_article_index_fill(struct sb_article_index *x, int p)
{
	uint32_t *at = x->part_at[p];
	struct candle_walk cw = candle_walk_of(x);
	size_t a0, a1;

	part_range(x, p, &a0, &a1);
	for (size_t a = a0; a < a1; a++) {
		int64_t j = walk_candle(&cw, x->ev->t_us[a]);

		if (j >= 0)
			x->rec[at[conf_bucket(x->ev->conf_e9[a])]++] = (struct sb_conf_rec){
				(uint32_t)j, x->ev->score_e9[a], x->ev->conf_e9[a] };
	}
}

enum sb_err sb_article_index_build(struct sb_article_index *x, const struct sb_candles *c,
				   const struct sb_events *ev, int64_t latency_us,
				   struct sb_errbuf *err)
{
	enum sb_err rc = sb_article_index_begin(x, c, ev, latency_us, 1, err);

	if (rc)
		return rc;
	sb_article_index_count(x, 0);
	sb_article_index_place(x);
	sb_article_index_fill(x, 0);
	return SB_OK;
}

static bool index_fits(const struct sb_article_index *x, const struct sb_candles *c,
		       const struct sb_events *ev, int64_t latency_us)
{
	return x && x->valid && x->ev == ev && x->c == c && x->latency_us == latency_us;
}

void sb_signal_work_init(struct sb_signal_work *w)
{
	memset(w, 0, sizeof(*w));
}

void sb_signal_work_release(struct sb_signal_work *w)
{
	sb_article_index_release(&w->own);
	free(w->csum);
	free(w->ccnt);
	free(w->changed);
	for (int k = 0; k < 3; k++)
		free(w->scratch[k]);
	sb_signal_work_init(w);
}

void sb_signal_work_share(struct sb_signal_work *w, const struct sb_article_index *x)
{
	/* sums of an index withdrawn are of nothing this work can still name */
	if (w->shared != x && w->sums_idx == w->shared)
		w->sums_idx = NULL;
	w->shared = x;
}

static enum sb_err work_reserve(struct sb_signal_work *w, size_t n_candles,
				struct sb_errbuf *err)
{
	bool ok = true;

	if (n_candles > w->cap_candles || !w->csum) {
		n_candles = n_candles ? n_candles : 1;
		free(w->csum);
		free(w->ccnt);
		free(w->changed);
		/* zero now; each signal leaves them zero for the next */
		w->csum = sb_aligned_alloc(n_candles * sizeof(int64_t));
		w->ccnt = sb_aligned_alloc(n_candles * sizeof(uint32_t));
		w->changed = calloc((n_candles + 63) / 64, sizeof(uint64_t));
		w->moved = false;
		for (int k = 0; k < 3; k++) {
			free(w->scratch[k]);
			w->scratch[k] = malloc(n_candles * sizeof(double));   /* touched only if used */
			ok = ok && w->scratch[k];
		}
		w->cap_candles = n_candles;
		w->sums_set = false;
		w->sums_idx = NULL;
		ok = ok && w->csum && w->ccnt && w->changed;
	}
	if (!ok) {
		sb_signal_work_release(w);
		return sb_errf(err, SB_ENOMEM, "out of memory building the signal");
	}
	return SB_OK;
}

/* The sums of one k moved to another: the articles with lo <= conf < hi added
 * (sign 1) or taken out (-1), their candles marked in 'changed'. */
struct move {
	int64_t *csum;
	uint32_t *ccnt;
	uint64_t *changed;
	int64_t lo, hi, sign;
};

/* An article's share of a move; returns the change in the count of articles used.
 * Masked, not branched on (a branch taken 2 % of the time measured 3.5 x slower
 * here): lo <= conf < hi as one unsigned test. */
static inline size_t move_article(const struct move *mv, const struct sb_conf_rec *r)
{
	const int64_t in = -(int64_t)((uint64_t)((int64_t)r->conf - mv->lo) <
				      (uint64_t)(mv->hi - mv->lo));
	const size_t j = r->cand;

	mv->csum[j] += (mv->sign * r->score) & in;
	mv->ccnt[j] += (uint32_t)(mv->sign & in);
	mv->changed[j / 64] |= (uint64_t)(in & 1) << (j % 64);
	return (size_t)(mv->sign & in);
}

#define MOVE_AHEAD 16

enum sb_err sb_signal_candle_sums(struct sb_signal_work *w, const struct sb_candles *c,
				  const struct sb_events *ev, const struct sb_signal_params *p,
				  size_t *W_candles, struct sb_signal_stats *st,
				  struct sb_errbuf *err)
{
	const int64_t D = c->interval_us, k = p->min_conf_e9;
	const struct sb_article_index *x;
	int64_t *csum;
	uint32_t *ccnt;
	size_t m = 0;
	enum sb_err rc;

	if (p->window_us <= 0 || p->window_us % D != 0)
		return sb_errf(err, SB_EINVAL,
			       "window must be a positive whole number of candles (%lld us is not a multiple of the %lld us interval)",
			       (long long)p->window_us, (long long)D);
	if (p->latency_us < 0)
		return sb_errf(err, SB_EINVAL, "latency must not be negative");
	if (c->n > UINT32_MAX)
		return sb_errf(err, SB_EINVAL, "%zu candles: at most %u can be traded", c->n,
			       (unsigned)UINT32_MAX);
	*W_candles = (size_t)(p->window_us / D);
	w->mean_buf = NULL;               /* whatever the caller writes next is not the mean's */
	w->kept = false;
	if (w->moved) {                   /* the last move's candles, unused: forget them */
		memset(w->changed, 0, (w->cap_candles + 63) / 64 * sizeof(uint64_t));
		w->moved = false;
	}
	if ((rc = work_reserve(w, c->n, err)))
		return rc;
	if (index_fits(w->shared, c, ev, p->latency_us)) {
		x = w->shared;
	} else {
		x = &w->own;
		if (!index_fits(x, c, ev, p->latency_us) &&
		    (rc = sb_article_index_build(&w->own, c, ev, p->latency_us, err)))
			return rc;
	}
	if (w->sums_idx != x || w->sums_gen != x->gen)   /* summed from other articles */
		sb_signal_candle_sums_clear(w, w->cap_candles);
	else if (w->sums_set && w->sums_k == k) {
		if (st)
			*st = w->sums_st;          /* the same sums as the last call */
		w->kept = true;
		return SB_OK;
	}
	csum = w->csum;
	ccnt = w->ccnt;
	if (w->sums_set) {
		/*
		 * The sums of the last call's k, moved to this k: only the articles whose
		 * confidence lies between the two change, added (k lower) or taken out (k
		 * higher), read from the buckets that hold them.  Integer sums: the same
		 * values as summed afresh, in any order.
		 */
		const int64_t lo = k < w->sums_k ? k : w->sums_k, hi = k < w->sums_k ? w->sums_k : k;
		const int64_t sign = k < w->sums_k ? 1 : -1;
		const struct move mv = { csum, ccnt, w->changed, lo, hi, sign };
		const size_t end = x->bucket_at[conf_bucket(clamp32(hi - 1)) + 1];

		m = w->sums_st.used;
		for (size_t i = x->bucket_at[conf_bucket(clamp32(lo))]; i < end; i++) {
			/* the sums a few articles ahead: their candles are far apart */
			if (i + MOVE_AHEAD < end) {
				__builtin_prefetch(&csum[x->rec[i + MOVE_AHEAD].cand], 1);
				__builtin_prefetch(&ccnt[x->rec[i + MOVE_AHEAD].cand], 1);
			}
			m += move_article(&mv, &x->rec[i]);
		}
		w->moved = true;
		w->moved_from_k = w->sums_k;
	} else {
		/* The buckets of confidences >= k; a mask, not a branch, in the first. */
		for (size_t i = x->bucket_at[conf_bucket(clamp32(k))]; i < x->n_in; i++) {
			const struct sb_conf_rec *r = &x->rec[i];
			int64_t take = -(int64_t)(r->conf >= k);

			csum[r->cand] += (int64_t)r->score & take;
			ccnt[r->cand] += (uint32_t)(take & 1);
			m += (size_t)(take & 1);
		}
	}
	/* range was checked first, so outside_range does not depend on k */
	w->sums_st.used = m;
	w->sums_st.outside_range = x->outside;
	w->sums_st.below_confidence = x->n_in - m;
	w->sums_k = k;
	w->sums_set = true;
	w->sums_idx = x;
	w->sums_gen = x->gen;
	if (st)
		*st = w->sums_st;
	return SB_OK;
}

void sb_signal_candle_sums_clear(struct sb_signal_work *w, size_t n)
{
	if (w->sums_set) {
		memset(w->csum, 0, n * sizeof(*w->csum));
		memset(w->ccnt, 0, n * sizeof(*w->ccnt));
	}
	w->sums_set = false;
	w->sums_idx = NULL;
}
