/* threshold.c - per-candle sentiment signal of the threshold strategy */
#include "threshold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sb_signal_work_init(struct sb_signal_work *w)
{
	memset(w, 0, sizeof(*w));
}

void sb_signal_work_release(struct sb_signal_work *w)
{
	free(w->cand_all);
	free(w->score_all);
	free(w->conf_all);
	free(w->cand);
	free(w->score);
	sb_signal_work_init(w);
}

static enum sb_err work_reserve(struct sb_signal_work *w, size_t n, struct sb_errbuf *err)
{
	if (n <= w->cap && w->cand_all)
		return SB_OK;
	n = n ? n : 1;
	free(w->cand_all);
	free(w->score_all);
	free(w->conf_all);
	free(w->cand);
	free(w->score);
	w->cand_all = malloc(n * sizeof(int64_t));
	w->score_all = malloc(n * sizeof(int32_t));
	w->conf_all = malloc(n * sizeof(int32_t));
	w->cand = malloc(n * sizeof(int64_t));
	w->score = malloc(n * sizeof(int32_t));
	w->cap = n;
	w->valid = false;
	if (!w->cand_all || !w->score_all || !w->conf_all || !w->cand || !w->score) {
		sb_signal_work_release(w);
		return sb_errf(err, SB_ENOMEM, "out of memory building the signal");
	}
	return SB_OK;
}

/*
 * Step 1: the candle of every article at t_pub + L.  Events are sorted by t_pub and L
 * is constant, so candle indices come sorted; most articles fall in the candle of
 * the previous one or the next, which saves a 64-bit division per article.
 */
static void index_articles(struct sb_signal_work *w, const struct sb_candles *c,
			   const struct sb_events *ev, int64_t latency_us)
{
	const int64_t D = c->interval_us;
	int64_t j_cur = 0, j_lo = 0;
	bool known = false;

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
		w->cand_all[w->n_in] = j;
		w->score_all[w->n_in] = ev->score_e9[a];
		w->conf_all[w->n_in] = ev->conf_e9[a];
		w->n_in++;
	}
	w->ev = ev;
	w->c = c;
	w->latency_us = latency_us;
	w->valid = true;
}

enum sb_err sb_threshold_signal_w(struct sb_signal_work *w, const struct sb_candles *c,
				  const struct sb_events *ev, const struct sb_signal_params *p,
				  double *signal, uint32_t *n_in_window,
				  struct sb_signal_stats *st, struct sb_errbuf *err)
{
	const int64_t D = c->interval_us;
	size_t m = 0, lo = 0, hi = 0;
	int64_t W, sum = 0;
	enum sb_err rc;

	if (p->window_us <= 0 || p->window_us % D != 0)
		return sb_errf(err, SB_EINVAL,
			       "window must be a positive whole number of candles (%lld us is not a multiple of the %lld us interval)",
			       (long long)p->window_us, (long long)D);
	if (p->latency_us < 0)
		return sb_errf(err, SB_EINVAL, "latency must not be negative");
	W = p->window_us / D;
	if ((rc = work_reserve(w, ev->n, err)))
		return rc;
	if (!w->valid || w->ev != ev || w->c != c || w->latency_us != p->latency_us)
		index_articles(w, c, ev, p->latency_us);

	/* Step 2, filter: range was checked first, so outside_range does not depend on k. */
	for (size_t a = 0; a < w->n_in; a++) {
		w->cand[m] = w->cand_all[a];
		w->score[m] = w->score_all[a];
		m += w->conf_all[a] >= p->min_conf_e9;
	}
	if (st) {
		st->used = m;
		st->outside_range = w->outside;
		st->below_confidence = w->n_in - m;
	}

	/* Step 2, window: the exact sum of [i - W + 1, i], slid along (header comment). */
	for (size_t i = 0; i < c->n; i++) {
		int64_t first = (int64_t)i - W + 1;

		while (hi < m && w->cand[hi] <= (int64_t)i)
			sum += w->score[hi++];
		while (lo < hi && w->cand[lo] < first)
			sum -= w->score[lo++];
		if (hi - lo >= SB_SIGNAL_MAX_ARTICLES)
			return sb_errf(err, SB_EINVAL,
				       "a window holds %zu articles; exact means need fewer than %u (choose a shorter --window)",
				       hi - lo, (unsigned)SB_SIGNAL_MAX_ARTICLES);
		signal[i] = hi > lo ? (double)sum / (double)(hi - lo) : NAN;
		if (n_in_window)
			n_in_window[i] = (uint32_t)(hi - lo);
	}
	return SB_OK;
}

enum sb_err sb_threshold_signal(const struct sb_candles *c, const struct sb_events *ev,
				const struct sb_signal_params *p, double *signal,
				uint32_t *n_in_window, struct sb_signal_stats *st,
				struct sb_errbuf *err)
{
	struct sb_signal_work w;
	enum sb_err rc;

	sb_signal_work_init(&w);
	rc = sb_threshold_signal_w(&w, c, ev, p, signal, n_in_window, st, err);
	sb_signal_work_release(&w);
	return rc;
}
