/* strategy.c - the strategy list and the steps every signal shares */
#include "strategy.h"

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

void sb_signal_work_init(struct sb_signal_work *w)
{
	memset(w, 0, sizeof(*w));
}

void sb_signal_work_release(struct sb_signal_work *w)
{
	free(w->cand_all);
	free(w->own_score);
	free(w->own_conf);
	free(w->csum);
	free(w->ccnt);
	free(w->changed);
	free(w->by_conf);
	free(w->bucket_at);
	for (int k = 0; k < 3; k++)
		free(w->scratch[k]);
	sb_signal_work_init(w);
}

static enum sb_err work_reserve(struct sb_signal_work *w, size_t n, size_t n_candles,
				struct sb_errbuf *err)
{
	bool ok = true;

	if (n > w->cap || !w->cand_all) {
		n = n ? n : 1;
		free(w->cand_all);
		free(w->own_score);
		free(w->own_conf);
		free(w->by_conf);
		w->own_score = w->own_conf = NULL;      /* allocated when needed */
		w->by_conf = NULL;
		w->by_conf_set = false;
		/* written by index_articles() before it is read */
		w->cand_all = sb_aligned_alloc_raw(n * sizeof(uint32_t));
		w->cap = n;
		w->valid = false;
		ok = w->cand_all != NULL;
	}
	if (ok && (n_candles > w->cap_candles || !w->csum)) {
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
		ok = ok && w->csum && w->ccnt && w->changed;
	}
	if (!ok) {
		sb_signal_work_release(w);
		return sb_errf(err, SB_ENOMEM, "out of memory building the signal");
	}
	return SB_OK;
}

/*
 * Step 1: the candle of every article at t_pub + L.  Events are sorted by t_pub and L
 * is constant, so candle indices come sorted; most articles fall in the candle of
 * the previous one or the next, which saves a 64-bit division per article.  The
 * articles in range are then consecutive in ev, whose scores and confidences are used
 * where they are; otherwise (events out of order) they are copied.  False: no memory.
 */
static int64_t article_candle(const struct sb_candles *c, int64_t t_us, int64_t latency_us)
{
	return sb_floordiv(t_us + latency_us - c->t0_us, c->interval_us);
}

static bool index_articles(struct sb_signal_work *w, const struct sb_candles *c,
			   const struct sb_events *ev, int64_t latency_us)
{
	const int64_t D = c->interval_us;
	int64_t j_cur = 0, j_lo = 0;
	bool known = false, consecutive = true;
	size_t a_first = 0;

	w->valid = false;                /* until the end: out of memory halfway leaves a mix */
	w->by_conf_set = false;
	w->n_in = 0;
	w->outside = 0;
	for (size_t a = 0; a < ev->n; a++) {
		int64_t off = ev->t_us[a] + latency_us - c->t0_us;
		int64_t j;

		if (known && off >= j_lo && off < j_lo + D) {
			j = j_cur;
		} else if (known && off >= j_lo + D && off < j_lo + 2 * D) {
			j = ++j_cur;
			j_lo += D;
		} else {
			j = j_cur = sb_floordiv(off, D);
			j_lo = j * D;
			known = true;
		}
		if (j < 0 || (uint64_t)j >= c->n) {
			w->outside++;
			continue;
		}
		if (w->n_in == 0)
			a_first = a;
		else if (a != a_first + w->n_in)
			consecutive = false;
		w->cand_all[w->n_in++] = (uint32_t)j;   /* c->n <= UINT32_MAX, checked */
	}
	if (consecutive) {
		w->score_all = ev->score_e9 + a_first;
		w->conf_all = ev->conf_e9 + a_first;
	} else {
		size_t k = 0;

		if (!w->own_score)
			w->own_score = malloc(w->cap * sizeof(*w->own_score));
		if (!w->own_conf)
			w->own_conf = malloc(w->cap * sizeof(*w->own_conf));
		if (!w->own_score || !w->own_conf)
			return false;
		for (size_t a = 0; a < ev->n; a++) {
			int64_t j = article_candle(c, ev->t_us[a], latency_us);

			if (j >= 0 && (uint64_t)j < c->n) {
				w->own_score[k] = ev->score_e9[a];
				w->own_conf[k++] = ev->conf_e9[a];
			}
		}
		w->score_all = w->own_score;
		w->conf_all = w->own_conf;
	}
	w->ev = ev;
	w->c = c;
	w->latency_us = latency_us;
	w->valid = true;
	w->moves_since_index = 0;
	return true;
}

static uint32_t conf_bucket(int32_t conf)
{
	return ((uint32_t)conf ^ UINT32_C(0x80000000)) >> 22;    /* order-preserving */
}

/* by_conf and bucket_at of the indexed articles (a counting sort); false: no memory. */
static bool index_by_conf(struct sb_signal_work *w)
{
	uint32_t *at;

	if (!w->bucket_at)
		w->bucket_at = malloc((SB_CONF_BUCKETS + 1) * sizeof(*w->bucket_at));
	if (!w->by_conf)
		w->by_conf = sb_aligned_alloc_raw(w->cap * sizeof(*w->by_conf));
	if (!w->bucket_at || !w->by_conf)
		return false;
	at = w->bucket_at;
	memset(at, 0, (SB_CONF_BUCKETS + 1) * sizeof(*at));
	for (size_t a = 0; a < w->n_in; a++)
		at[conf_bucket(w->conf_all[a]) + 1]++;
	for (size_t b = 0; b < SB_CONF_BUCKETS; b++)
		at[b + 1] += at[b];
	/* at[b] is now bucket b's start; filled in order, it ends at bucket b + 1's start */
	for (size_t a = 0; a < w->n_in; a++)
		w->by_conf[at[conf_bucket(w->conf_all[a])]++] = (uint32_t)a;
	for (size_t b = SB_CONF_BUCKETS; b > 0; b--)
		at[b] = at[b - 1];
	at[0] = 0;
	w->by_conf_set = true;
	return true;
}

/* The sums of one k moved to another: the articles with lo <= conf < hi added
 * (sign 1) or taken out (-1), their candles marked in 'changed'. */
struct move {
	const int32_t *conf, *score;
	const uint32_t *cand;
	int64_t *csum;
	uint32_t *ccnt;
	uint64_t *changed;
	int64_t lo, hi, sign;
};

/* Article a's share of a move; returns the change in the count of articles used.
 * Masked, not branched on (a branch taken 2 % of the time measured 3.5 x slower
 * here): lo <= conf < hi as one unsigned test. */
static inline size_t move_article(const struct move *mv, size_t a)
{
	const int64_t in = -(int64_t)((uint64_t)((int64_t)mv->conf[a] - mv->lo) <
				      (uint64_t)(mv->hi - mv->lo));
	const size_t j = mv->cand[a];

	mv->csum[j] += (mv->sign * mv->score[a]) & in;
	mv->ccnt[j] += (uint32_t)(mv->sign & in);
	mv->changed[j / 64] |= (uint64_t)(in & 1) << (j % 64);
	return (size_t)(mv->sign & in);
}

enum sb_err sb_signal_candle_sums(struct sb_signal_work *w, const struct sb_candles *c,
				  const struct sb_events *ev, const struct sb_signal_params *p,
				  size_t *W_candles, struct sb_signal_stats *st,
				  struct sb_errbuf *err)
{
	const int64_t D = c->interval_us, k = p->min_conf_e9;
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
	if ((rc = work_reserve(w, ev->n, c->n, err)))
		return rc;
	if (!w->valid || w->ev != ev || w->c != c || w->latency_us != p->latency_us) {
		sb_signal_candle_sums_clear(w, c->n);
		if (!index_articles(w, c, ev, p->latency_us))
			return sb_errf(err, SB_ENOMEM, "out of memory building the signal");
	} else if (w->sums_set && w->sums_k == k) {
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
		 * higher).  Integer sums: the same values as summed afresh, in any order.
		 */
		const int64_t lo = k < w->sums_k ? k : w->sums_k, hi = k < w->sums_k ? w->sums_k : k;
		const int64_t sign = k < w->sums_k ? 1 : -1;
		const struct move mv = { w->conf_all, w->score_all, w->cand_all, csum, ccnt,
					 w->changed, lo, hi, sign };
		const size_t n_in = w->n_in;

		m = w->sums_st.used;
		if (!w->by_conf_set && w->moves_since_index++ >= 1 && !index_by_conf(w))
			return sb_errf(err, SB_ENOMEM, "out of memory building the signal");
		if (w->by_conf_set) {
			/* the buckets that hold confidences in [lo, hi), the test as below */
			const int32_t lo32 = lo < INT32_MIN ? INT32_MIN : lo > INT32_MAX ? INT32_MAX
											  : (int32_t)lo;
			const int32_t hi32 = hi - 1 < INT32_MIN ? INT32_MIN
					     : hi - 1 > INT32_MAX ? INT32_MAX : (int32_t)(hi - 1);
			const uint32_t *by = w->by_conf;
			const size_t end = w->bucket_at[conf_bucket(hi32) + 1];

			for (size_t i = w->bucket_at[conf_bucket(lo32)]; i < end; i++)
				m += move_article(&mv, by[i]);
		} else {
			for (size_t a = 0; a < n_in; a++)
				m += move_article(&mv, a);
		}
		w->moved = true;
		w->moved_from_k = w->sums_k;
	} else {
		/* A mask, not a branch: whether an article counts is unpredictable. */
		for (size_t a = 0; a < w->n_in; a++) {
			int64_t take = -(int64_t)(w->conf_all[a] >= k);
			size_t j = (size_t)w->cand_all[a];

			csum[j] += (int64_t)w->score_all[a] & take;
			ccnt[j] += (uint32_t)(take & 1);
			m += (size_t)(take & 1);
		}
	}
	/* range was checked first, so outside_range does not depend on k */
	w->sums_st.used = m;
	w->sums_st.outside_range = w->outside;
	w->sums_st.below_confidence = w->n_in - m;
	w->sums_k = k;
	w->sums_set = true;
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
}
