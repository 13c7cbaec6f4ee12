/* mean.c - the seed's signal: the windowed mean score of confident articles
 *
 * DESIGN.md steps 1-2: an article is available at t_pub + L and belongs to candle
 * j = floor((t_pub + L - t0) / D); the signal of candle i is the mean score of the
 * articles with confidence >= k whose j lies in [i - W + 1, i]; NaN where there is none
 * (NaN compares false, so the engine holds).  O(candles + articles) whatever W:
 * per-candle sums, then a sliding sum, without a data-dependent branch.
 *
 * Exactness.  Scores are integers in 10^-9 units, so the window sum S is an exact
 * integer (no order of summation matters) and the signal is s = RN(S / n) in the same
 * units, one correctly rounded division of two exact doubles (|S| <= n 10^9 < 2^53).
 * The engine compares s with thresholds that are exact integers h (|h| <= 10^9 <
 * 2^30) in a double, and this decides exactly as the rational mean m = S / n would:
 * RN is monotonic and RN(h) = h, so m >= h gives s >= h and m <= h gives s <= h; and
 * s == h only when m == h, because a rational m != h lies at least 1/n from h, more
 * than half the spacing of doubles near h (at most 2^-24 below 2^30) while n <
 * SB_SIGNAL_MAX_ARTICLES = 2^23.  The same holds for |s| < e (fabs is exact).
 * tests/test_mean.c checks this on the hardest cases.
 */
#include "strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The window's sum and count moved on to candle i: candle i in, candle i - W out. */
static inline void slide(const int64_t *csum, const uint32_t *ccnt, size_t i, size_t W,
			 int64_t *sum, uint32_t *cnt)
{
	*sum += csum[i];
	*cnt += ccnt[i];
	if (i >= W) {
		*sum -= csum[i - W];
		*cnt -= ccnt[i - W];
	}
}

/* The window's sum and count at candle i, from scratch: candles [i - W + 1, i]. */
static void window_at(const int64_t *csum, const uint32_t *ccnt, size_t i, size_t W,
		      int64_t *sum, uint32_t *cnt)
{
	size_t j = i + 1 >= W ? i + 1 - W : 0;

	*sum = 0;
	*cnt = 0;
	for (; j <= i; j++) {
		*sum += csum[j];
		*cnt += ccnt[j];
	}
}

/*
 * The signal of the last call (same buffer, W, candles and articles) moved to this k:
 * only candles whose window holds a changed candle j (i in [j, j + W - 1]) are
 * computed again, each run of them from one window summed afresh and slid along; the
 * same integers, so the same doubles as the whole pass.  At most O(candles) however
 * the changes lie (a run summed afresh starts more than W after the last one ended).
 * Clears the bits it reads.  Returns the largest count it saw.
 */
static uint32_t mean_update(uint64_t *changed, const int64_t *csum, const uint32_t *ccnt,
			    size_t n, size_t W, double *signal)
{
	size_t pos = 0;                   /* candles before pos are up to date */
	bool sliding = false;             /* sum and cnt are those of candle pos - 1 */
	int64_t sum = 0;
	uint32_t cnt = 0, cnt_max = 0;

	for (size_t wd = 0; wd < (n + 63) / 64; wd++) {
		uint64_t bits = changed[wd];

		if (!bits)
			continue;
		changed[wd] = 0;
		for (; bits; bits &= bits - 1) {
			size_t j = wd * 64 + (size_t)__builtin_ctzll(bits);
			uint64_t rest = bits & (bits - 1);

			/* the next changed candle's window: candles far apart miss the cache */
			if (rest) {
				size_t jn = wd * 64 + (size_t)__builtin_ctzll(rest);
				size_t j0 = jn + 1 >= W ? jn + 1 - W : 0;

				__builtin_prefetch(&csum[j0]);
				__builtin_prefetch(&ccnt[j0]);
				__builtin_prefetch(&signal[jn], 1);
			}
			size_t end = j + W - 1 < n - 1 ? j + W - 1 : n - 1;
			size_t i = j > pos ? j : pos;

			if (i > end)
				continue;
			if (!sliding || i != pos)
				window_at(csum, ccnt, i, W, &sum, &cnt);
			else
				slide(csum, ccnt, i, W, &sum, &cnt);
			for (;;) {
				cnt_max = cnt > cnt_max ? cnt : cnt_max;
				signal[i] = cnt ? (double)sum / (double)cnt : NAN;
				if (i == end)
					break;
				slide(csum, ccnt, ++i, W, &sum, &cnt);
			}
			pos = end + 1;
			sliding = true;
		}
	}
	return cnt_max;
}

/*
 * The mean signal; 'keep': the signal stays the strategy's (the mean's own entry,
 * mean_fn()), so that the next call into the same buffer may move it instead of
 * computing it whole.  Callers that go on to change the signal (volume.c) or keep it
 * elsewhere use sb_mean_signal_w(), which never leaves that mark.
 */
static enum sb_err mean_signal(struct sb_signal_work *w, const struct sb_candles *c,
			       const struct sb_events *ev, const struct sb_signal_params *p,
			       double *signal, uint32_t *n_in_window, struct sb_signal_stats *st,
			       bool keep, struct sb_errbuf *err)
{
	const size_t n = c->n;
	const int64_t *csum;
	const uint32_t *ccnt;
	int64_t sum = 0;
	uint32_t cnt = 0, cnt_max = 0;
	size_t W;
	/* what the last call wrote, before sb_signal_candle_sums() forgets it */
	const double *last_buf = w->mean_buf;
	const int64_t last_k = w->mean_k;
	const size_t last_W = w->mean_W;
	enum sb_err rc = sb_signal_candle_sums(w, c, ev, p, &W, st, err);

	if (rc)
		return rc;
	csum = w->csum;
	ccnt = w->ccnt;
	if (keep && !n_in_window && last_buf == signal && last_W == W && n > 0) {
		bool same = w->kept && last_k == p->min_conf_e9;
		bool moved = w->moved && w->moved_from_k == last_k;

		if (same || moved) {
			if (moved) {
				cnt_max = mean_update(w->changed, csum, ccnt, n, W, signal);
				w->moved = false;
			}
			goto done;
		}
	}

	/* Step 2, window: the exact sum of candles [i - W + 1, i], slid along; the mean
	 * is one division (header comment).  cnt < 2^32 as m < 2^28 (events.c). */
	for (size_t i = 0; i < n; i++) {
		double q;

		slide(csum, ccnt, i, W, &sum, &cnt);
		cnt_max = cnt > cnt_max ? cnt : cnt_max;
		q = (double)sum / (double)(cnt ? cnt : 1);
		signal[i] = cnt ? q : NAN;
		if (n_in_window)
			n_in_window[i] = cnt;
	}
done:
	if (cnt_max >= SB_SIGNAL_MAX_ARTICLES)
		return sb_errf(err, SB_EINVAL,
			       "a window holds %u articles; exact means need fewer than %u (choose a shorter --window)",
			       (unsigned)cnt_max, (unsigned)SB_SIGNAL_MAX_ARTICLES);
	if (keep) {                       /* the next call may move it instead */
		w->mean_buf = signal;
		w->mean_k = p->min_conf_e9;
		w->mean_W = W;
	}
	return SB_OK;
}

enum sb_err sb_mean_signal_w(struct sb_signal_work *w, const struct sb_candles *c,
			     const struct sb_events *ev, const struct sb_signal_params *p,
			     double *signal, uint32_t *n_in_window, struct sb_signal_stats *st,
			     struct sb_errbuf *err)
{
	return mean_signal(w, c, ev, p, signal, n_in_window, st, false, err);
}

enum sb_err sb_mean_signal(const struct sb_candles *c, const struct sb_events *ev,
				const struct sb_signal_params *p, double *signal,
				uint32_t *n_in_window, struct sb_signal_stats *st,
				struct sb_errbuf *err)
{
	struct sb_signal_work w;
	enum sb_err rc;

	sb_signal_work_init(&w);
	rc = sb_mean_signal_w(&w, c, ev, p, signal, n_in_window, st, err);
	sb_signal_work_release(&w);
	return rc;
}

static enum sb_err mean_fn(struct sb_signal_work *w, const struct sb_candles *c,
			   const struct sb_events *ev, const struct sb_signal_params *p,
			   double *signal, uint32_t *n_in_window, struct sb_signal_stats *st,
			   struct sb_errbuf *err)
{
	return mean_signal(w, c, ev, p, signal, n_in_window, st, true, err);
}

const struct sb_strategy sb_strategy_mean = {
	.name = "mean",
	.summary = "the mean score of the confident articles of the last W (DESIGN.md; exact)",
	.n_axes = 0,
	.signal = mean_fn,
};
