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

enum sb_err sb_mean_signal_w(struct sb_signal_work *w, const struct sb_candles *c,
			     const struct sb_events *ev, const struct sb_signal_params *p,
			     double *signal, uint32_t *n_in_window, struct sb_signal_stats *st,
			     struct sb_errbuf *err)
{
	const size_t n = c->n;
	const int64_t *csum;
	const uint32_t *ccnt;
	int64_t sum = 0;
	uint32_t cnt = 0, cnt_max = 0;
	size_t W;
	enum sb_err rc = sb_signal_candle_sums(w, c, ev, p, &W, st, err);

	if (rc)
		return rc;
	csum = w->csum;
	ccnt = w->ccnt;

	/* Step 2, window: the exact sum of candles [i - W + 1, i], slid along; the mean
	 * is one division (header comment).  cnt < 2^32 as m < 2^28 (events.c). */
	for (size_t i = 0; i < n; i++) {
		double q;

		sum += csum[i];
		cnt += ccnt[i];
		if (i >= W) {
			sum -= csum[i - W];
			cnt -= ccnt[i - W];
		}
		cnt_max = cnt > cnt_max ? cnt : cnt_max;
		q = (double)sum / (double)(cnt ? cnt : 1);
		signal[i] = cnt ? q : NAN;
		if (n_in_window)
			n_in_window[i] = cnt;
	}
	if (cnt_max >= SB_SIGNAL_MAX_ARTICLES)
		return sb_errf(err, SB_EINVAL,
			       "a window holds %u articles; exact means need fewer than %u (choose a shorter --window)",
			       (unsigned)cnt_max, (unsigned)SB_SIGNAL_MAX_ARTICLES);
	return SB_OK;
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
	return sb_mean_signal_w(w, c, ev, p, signal, n_in_window, st, err);
}

const struct sb_strategy sb_strategy_mean = {
	.name = "mean",
	.summary = "the mean score of the confident articles of the last W (DESIGN.md; exact)",
	.n_axes = 0,
	.signal = mean_fn,
};
