/* threshold.h - the seed strategy's signal: the windowed mean score of confident articles */
#ifndef SB_THRESHOLD_H
#define SB_THRESHOLD_H

#include "../loaders/candles.h"
#include "../loaders/events.h"

/* The parameters that shape a signal; combinations sharing them share one signal. */
struct sb_signal_params {
	double  min_confidence;   /* k: articles with confidence >= k count */
	int64_t window_us;        /* W: a whole number of candles, >= 1 candle */
	int64_t latency_us;       /* L: an article is usable at t_pub + L */
};

struct sb_signal_stats {
	uint64_t used;             /* articles that fell inside the candle range */
	uint64_t below_confidence; /* left out by min_confidence */
	uint64_t outside_range;    /* available before the first or after the last candle */
};

/*
 * sb_threshold_signal() implements steps 1-2 of DESIGN.md: an article is available at
 * t_pub + L and belongs to candle j = floor((t_pub + L - t0) / D); the signal of candle
 * i is the mean score of the articles with confidence >= k whose j lies in
 * [i - W + 1, i], summed in time order.  signal[i] is NaN where there is none (NaN
 * compares false, so the engine holds).  n_in_window[i] (may be NULL) receives the
 * number of articles in the window.  Fails (SB_EINVAL) when W is not a positive
 * multiple of the candle interval or L is negative.  O(n + articles * W).
 */
enum sb_err sb_threshold_signal(const struct sb_candles *c, const struct sb_events *ev,
				const struct sb_signal_params *p, double *signal,
				uint32_t *n_in_window, struct sb_signal_stats *st,
				struct sb_errbuf *err);

#endif
