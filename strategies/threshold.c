/* threshold.c - per-candle sentiment signal of the threshold strategy */
#include "threshold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum sb_err sb_threshold_signal(const struct sb_candles *c, const struct sb_events *ev,
				const struct sb_signal_params *p, double *signal,
				uint32_t *n_in_window, struct sb_signal_stats *st,
				struct sb_errbuf *err)
{
	const int64_t D = c->interval_us;
	struct sb_signal_stats local = { 0, 0, 0 };
	int64_t *cand;            /* candle index of each usable article, nondecreasing */
	double *score;
	size_t m = 0, lo = 0, hi = 0;
	int64_t W;

	if (p->window_us <= 0 || p->window_us % D != 0)
		return sb_errf(err, SB_EINVAL,
			       "window must be a positive whole number of candles (%lld us is not a multiple of the %lld us interval)",
			       (long long)p->window_us, (long long)D);
	if (p->latency_us < 0)
		return sb_errf(err, SB_EINVAL, "latency must not be negative");
	W = p->window_us / D;

	cand = malloc((ev->n ? ev->n : 1) * sizeof(*cand));
	score = malloc((ev->n ? ev->n : 1) * sizeof(*score));
	if (!cand || !score) {
		free(cand);
		free(score);
		return sb_errf(err, SB_ENOMEM, "out of memory building the signal");
	}
	/* Events are sorted by t_pub and L is constant, so candle indices come sorted. */
	for (size_t a = 0; a < ev->n; a++) {
		int64_t j;

		/* Range first, so that outside_range does not depend on k. */
		j = sb_floordiv(ev->t_us[a] + p->latency_us - c->t0_us, D);
		if (j < 0 || (uint64_t)j >= c->n) {
			local.outside_range++;
			continue;
		}
		if (!(ev->confidence[a] >= p->min_confidence)) {
			local.below_confidence++;
			continue;
		}
		cand[m] = j;
		score[m] = ev->score[a];
		m++;
	}
	local.used = m;

	for (size_t i = 0; i < c->n; i++) {
		int64_t first = (int64_t)i - W + 1;
		double sum = 0.0;

		while (hi < m && cand[hi] <= (int64_t)i)
			hi++;
		while (lo < hi && cand[lo] < first)
			lo++;
		for (size_t a = lo; a < hi; a++)
			sum += score[a];
		signal[i] = hi > lo ? sum / (double)(hi - lo) : NAN;
		if (n_in_window)
			n_in_window[i] = (uint32_t)(hi - lo);
	}
	free(cand);
	free(score);
	if (st)
		*st = local;
	return SB_OK;
}
