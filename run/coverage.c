/* coverage.c - what the candles and the articles share, counted (nothing left out silently) */
#include "run.h"

#include <string.h>

#include "../engine/manifest.h"

/* The first index of the sorted t[0..n) with t[i] >= x. */
static size_t lower_bound(const int64_t *t, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Articles with t + L before t0 (before) and at or after t1 (after): DESIGN step 1. */
static void outside_at(const struct sb_events *ev, int64_t t0, int64_t t1, int64_t L,
		       uint64_t *before, uint64_t *after)
{
	*before = lower_bound(ev->t_us, ev->n, t0 - L);
	*after = ev->n - lower_bound(ev->t_us, ev->n, t1 - L);
}

enum sb_err sb_run_coverage(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			    struct sb_coverage *cov, struct sb_errbuf *err)
{
	const struct sb_axis *lat = &o->grid.ax[SB_AX_LATENCY];
	const struct sb_candles *c = &in->candles;
	const struct sb_input_info *si = &in->sentiment_info;
	int64_t lmin = 0, lmax = 0;
	bool any_inside = false;
	char a[SB_TIME_LEN], b[SB_TIME_LEN], e0[SB_TIME_LEN], e1[SB_TIME_LEN];

	memset(cov, 0, sizeof(*cov));
	cov->candles = c->n;
	cov->t0_us = c->t0_us;
	cov->t1_us = c->t0_us + (int64_t)c->n * c->interval_us;
	for (size_t i = 0; i < in->n_price_files; i++)
		cov->filled_candles += in->price_info[i].filled_candles;
	cov->articles_read = si->rows;
	cov->articles = in->events.n;
	/* the events loader drops rows only for --entity (duplicates are counted apart) */
	cov->not_about_entity = si->rows_dropped;
	for (size_t i = 0; i < lat->n; i++) {
		uint64_t bf, af;

		lmin = i == 0 || lat->v[i] < lmin ? lat->v[i] : lmin;
		lmax = i == 0 || lat->v[i] > lmax ? lat->v[i] : lmax;
		outside_at(&in->events, cov->t0_us, cov->t1_us, lat->v[i], &bf, &af);
		any_inside = any_inside || bf + af < in->events.n;
	}
	cov->n_latency = lmin == lmax ? 1 : 2;
	cov->outside[0].latency_us = lmin;
	cov->outside[1].latency_us = lmax;
	for (size_t i = 0; i < cov->n_latency; i++)
		outside_at(&in->events, cov->t0_us, cov->t1_us, cov->outside[i].latency_us,
			   &cov->outside[i].before, &cov->outside[i].after);
	if (any_inside || !in->events.n || !c->n)
		return SB_OK;
	sb_format_time(cov->t0_us, a);
	sb_format_time(cov->t1_us, b);
	sb_format_time(in->events.t_us[0], e0);
	sb_format_time(in->events.t_us[in->events.n - 1], e1);
	return sb_errf(err, SB_EINVAL,
		       "no article of %s (published %s .. %s) falls inside the candles of %s%s "
		       "(%s .. %s)%s: nothing to trade on; are these the right files?",
		       si->path, e0, e1, in->price_info[0].path,
		       in->n_price_files > 1 ? " and the other price files" : "", a, b,
		       lmax ? " at any --latency" : "");
}
