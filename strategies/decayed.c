/* decayed.c - decayed sentiment: the window's articles weighted by 2^(-age / half-life)
 *
 * signal_i = sum w_a s_a / sum w_a over the confident articles whose candle j lies in
 * the window [i - W + 1, i] (steps 1-2 of DESIGN.md, as for the mean), with weight
 * w_a = 2^(-(i - j) D / H): an article's age is counted from the close of its candle
 * (when it became usable) to the close of candle i, in whole candles, so an article of
 * the current candle weighs 1 and one a half-life older weighs 1/2.  NaN where the
 * window holds no article.
 *
 * Rounding.  Unlike the mean, this signal is not exact in decimal: the weights
 * r^k = exp2(-k D / H) are doubles, and the sums (strategies/window_sums.c) are formed
 * in a fixed order, each term added once, so the result is within a few ulps per term
 * of the exact weighted mean.  A weighted mean that equals a threshold exactly can land
 * on either side of it; the result is the same bits for any thread count, kernel and
 * run.  With H very large the weights are all 1 but for rounding: use the mean
 * strategy for exact decisions.
 */
#include "strategy.h"
#include "window_sums.h"

#include <math.h>
#include <stdlib.h>

static enum sb_err decayed_signal(struct sb_signal_work *w, const struct sb_candles *c,
				  const struct sb_events *ev, const struct sb_signal_params *p,
			   double *signal, uint32_t *n_in_window, struct sb_signal_stats *st,
			   struct sb_errbuf *err)
{
	const size_t n = c->n;
	const int64_t H = p->extra[0];
	double *xs, *xc, *den, *suf, *pw, step;
	uint32_t cnt = 0;
	size_t W, Wt;
	enum sb_err rc;

	if (H <= 0)
		return sb_errf(err, SB_EINVAL, "half-life must be positive");
	rc = sb_signal_candle_sums(w, c, ev, p, &W, st, err);
	if (rc)
		return rc;
	Wt = W < n ? W : n;
	pw = malloc((Wt + 1) * sizeof(double));
	if (!pw)
		return sb_errf(err, SB_ENOMEM, "out of memory building the signal");
	step = (double)c->interval_us / (double)H;
	for (size_t k = 0; k <= Wt; k++)
		pw[k] = exp2(-(double)k * step);
	xs = w->scratch[0];
	xc = w->scratch[1];
	suf = w->scratch[2];
	for (size_t i = 0; i < n; i++) {
		xs[i] = (double)w->csum[i];      /* exact: |csum| < 2^53 */
		xc[i] = (double)w->ccnt[i];
	}
	sb_window_sums(xs, n, W, pw, suf, signal);   /* weighted score sums */
	den = xs;                                    /* xs is no longer needed */
	sb_window_sums(xc, n, W, pw, suf, den);      /* weighted counts */
	free(pw);
	for (size_t i = 0; i < n; i++) {
		cnt += w->ccnt[i];
		if (i >= W)
			cnt -= w->ccnt[i - W];
		signal[i] = cnt ? signal[i] / den[i] : NAN;
		if (n_in_window)
			n_in_window[i] = cnt;
	}
	return SB_OK;
}

const struct sb_strategy sb_strategy_decayed = {
	.name = "decayed",
	.summary = "the window's articles weighted by 2^(-age/half-life), age from their candle's close",
	.n_axes = 1,
	.axes = {
		{ .name = "half_life", .option = "half-life", .is_duration = true, .deflt = "1h",
		  .lo = SB_US_PER_SEC, .hi = SB_DURATION_MAX_US,
		  .help = "an article's weight halves every H (default 1h; 1s .. 100 years)" },
	},
	.signal = decayed_signal,
};
