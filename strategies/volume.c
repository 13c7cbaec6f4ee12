/* volume.c - volume-confirmed sentiment: the mean signal, only where volume spikes
 *
 * signal_i = the mean signal of candle i (mean.c, exact) when candle i's volume exceeds
 * F times the mean volume of the M candles before it (fewer at the start of the data),
 * and no signal (NaN: the book holds) otherwise, or at the first candle.  M = the
 * volume window in candles.  The test is made in double precision as
 * volume_i * m > F * (sum of the m trailing volumes), m = min(M, i), the trailing sums
 * formed in a fixed order (strategies/window_sums.c): volumes are binary numbers from
 * the price file, so this comparison is exact only up to their rounding.
 */
#include "strategy.h"
#include "window_sums.h"

#include <math.h>

static enum sb_err volume_signal(struct sb_signal_work *w, const struct sb_candles *c,
				 const struct sb_events *ev, const struct sb_signal_params *p,
				 double *signal, uint32_t *n_in_window,
				 struct sb_signal_stats *st, struct sb_errbuf *err)
{
	const size_t n = c->n;
	const double F = (double)p->extra[0] / (double)SB_DEC_SCALE;
	const int64_t Mus = p->extra[1];
	double *trail;
	size_t M;
	enum sb_err rc;

	if (Mus <= 0 || Mus % c->interval_us != 0)
		return sb_errf(err, SB_EINVAL,
			       "volume window must be a positive whole number of candles (%lld us is not a multiple of the %lld us interval)",
			       (long long)Mus, (long long)c->interval_us);
	M = (size_t)(Mus / c->interval_us);
	rc = sb_mean_signal_w(w, c, ev, p, signal, n_in_window, st, err);
	if (rc)
		return rc;
	trail = w->scratch[0];
	sb_window_sums(c->volume, n, M, NULL, w->scratch[1], trail);
	for (size_t i = n; i-- > 0;) {
		size_t m = i < M ? i : M;

		/* trail[i - 1] is the sum of the m volumes before candle i */
		if (m == 0 || !(c->volume[i] * (double)m > F * trail[i - 1]))
			signal[i] = NAN;
	}
	return SB_OK;
}

const struct sb_strategy sb_strategy_volume = {
	.name = "volume",
	.summary = "the mean signal, only in candles whose volume exceeds F x its trailing mean",
	.n_axes = 2,
	.axes = {
		{ .name = "volume_factor", .option = "volume-factor", .is_duration = false,
		  .deflt = "1.5", .lo = 0, .hi = 1000 * SB_DEC_SCALE,
		  .help = "a candle's volume must exceed F x the trailing mean (default 1.5; 0 .. 1000)" },
		{ .name = "volume_window", .option = "volume-window", .is_duration = true,
		  .deflt = "1h", .lo = 1, .hi = SB_DURATION_MAX_US, .whole_candles = true,
		  .help = "the trailing mean's span, whole candles (default 1h)" },
	},
	.signal = volume_signal,
};
