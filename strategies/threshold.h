/* threshold.h - the seed strategy's signal: the windowed mean score of confident articles */
#ifndef SB_THRESHOLD_H
#define SB_THRESHOLD_H

#include "../loaders/candles.h"
#include "../loaders/events.h"

/* The parameters that shape a signal; combinations sharing them share one signal. */
struct sb_signal_params {
	int64_t min_conf_e9;      /* k in 10^-9 units: articles with confidence >= k count */
	int64_t window_us;        /* W: a whole number of candles, >= 1 candle */
	int64_t latency_us;       /* L: an article is usable at t_pub + L */
};

struct sb_signal_stats {
	uint64_t used;             /* articles that fell inside the candle range */
	uint64_t below_confidence; /* left out by min_confidence */
	uint64_t outside_range;    /* available before the first or after the last candle */
};

/*
 * Scratch space for building many signals from the same candles and articles: the
 * candle index of every article is computed once per latency and reused, and no
 * buffer is allocated (or page-faulted in) again per signal.  Not shared by threads.
 */
struct sb_signal_work {
	const struct sb_events *ev;    /* what the cached indices belong to */
	const struct sb_candles *c;
	int64_t latency_us;
	bool    valid;
	size_t  n_in;                  /* articles inside the candle range */
	uint64_t outside;              /* articles outside it */
	int64_t *cand_all;             /* candle of each in-range article, sorted */
	int32_t *score_all, *conf_all; /* 10^-9 units */
	size_t   cap;                  /* articles the arrays above hold */
	int64_t *csum;                 /* per candle: sum of the confident scores */
	uint32_t *ccnt;                /* per candle: their number */
	size_t   cap_candles;
};

void sb_signal_work_init(struct sb_signal_work *w);
void sb_signal_work_release(struct sb_signal_work *w);

/* sb_threshold_signal() with reusable scratch; same results. */
enum sb_err sb_threshold_signal_w(struct sb_signal_work *w, const struct sb_candles *c,
				  const struct sb_events *ev, const struct sb_signal_params *p,
				  double *signal, uint32_t *n_in_window,
				  struct sb_signal_stats *st, struct sb_errbuf *err);

/*
 * sb_threshold_signal() implements steps 1-2 of DESIGN.md: an article is available at
 * t_pub + L and belongs to candle j = floor((t_pub + L - t0) / D); the signal of candle
 * i is the mean score of the articles with confidence >= k whose j lies in
 * [i - W + 1, i].  signal[i] is NaN where there is none (NaN compares false, so the
 * engine holds).  n_in_window[i] (may be NULL) receives the number of articles in the
 * window.  O(candles + articles) whatever W: per-candle sums, then a sliding sum,
 * without a data-dependent branch.
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
 * Fails (SB_EINVAL) when W is not a positive multiple of the candle interval, L is
 * negative, or a window holds SB_SIGNAL_MAX_ARTICLES articles or more.
 */
#define SB_SIGNAL_MAX_ARTICLES (UINT32_C(1) << 23)
enum sb_err sb_threshold_signal(const struct sb_candles *c, const struct sb_events *ev,
				const struct sb_signal_params *p, double *signal,
				uint32_t *n_in_window, struct sb_signal_stats *st,
				struct sb_errbuf *err);

#endif
