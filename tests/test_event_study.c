/* test_event_study.c - the event study (engine/event_study.h), values worked by hand */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "../engine/event_study.h"
#include "../strategies/strategy.h"

/* 2024-01-01T00:00:00Z, 1-minute candles. */
#define T0  INT64_C(1704067200000000)
#define D   (60 * SB_US_PER_SEC)
#define SEC SB_US_PER_SEC

/* A decimal written in a test as its 10^-9 units (exact for literals with <= 9 decimals). */
#define E9(x) ((int64_t)llround((x) * 1e9))

static void make_candles(struct sb_candles *c, size_t n, const double *close,
			 const double *volume)
{
	struct sb_errbuf err;

	sb_candles_init(c);
	assert_int_equal(sb_candles_alloc(c, n, &err), SB_OK);
	c->t0_us = T0;
	c->interval_us = D;
	for (size_t i = 0; i < n; i++) {
		c->open[i] = c->high[i] = c->low[i] = c->close[i] = close[i];
		c->volume[i] = volume ? volume[i] : 1.0;
	}
}

/* Events from a static pool (one test's events at a time; never released). */
static struct sb_events make_events(size_t n, const int64_t *t, const double *score,
				    const double *conf)
{
	static int64_t t9[256];
	static int32_t s9[256], k9[256];
	struct sb_events ev = { n, t9, s9, k9 };

	assert_true(n <= 256);
	for (size_t i = 0; i < n; i++) {
		t9[i] = t[i];
		s9[i] = (int32_t)E9(score[i]);
		k9[i] = (int32_t)E9(conf[i]);
	}
	return ev;
}

/* Options: k = 0, L = 0, the given horizons (minutes), edges -1,0,1, B = 200. */
static void opts(struct sb_es_opts *o, size_t nh, const int *minutes)
{
	sb_es_opts_init(o);
	o->n_horizons = nh;
	for (size_t h = 0; h < nh; h++)
		o->horizon_us[h] = minutes[h] * D;
	o->n_edges = 3;
	o->edges_e9[0] = E9(-1);
	o->edges_e9[1] = 0;
	o->edges_e9[2] = E9(1);
	o->volume_window_us = D;
	o->bootstrap = 200;
	o->threads = 1;
}

/*
 * Six candles, closes 100, 101, 103, 102, 105, 110, volumes 1 .. 6; horizons 2m and 3m;
 * volume window 1m.  Articles:
 *   a0 T0 - 40s        before the first candle: outside (counted)
 *   a1 T0 + 30s        candle 0, score 0.5, conf 0.9
 *   a2 T0 + 90s        candle 1, conf 0.3 < k = 0.7: below confidence (counted)
 *   a3 T0 + 180s       on the boundary: candle 3 (the later one), score -0.5, conf 0.8
 *   a4 T0 + 360s       after the last candle (candle 6 of 6): outside (counted)
 * Returns, horizon 2: a1 ln(c2/c0) = ln(103/100); a3 ln(c5/c3) = ln(110/102).
 * Horizon 3: a1 ln(c3/c0) = ln(102/100); a3: 3 + 3 = 6 > 5, truncated (counted).
 * Volume spike (H1 = 2, V = 1): a1 mean(v1, v2) / mean(v0) = 2.5 / 1 = 2.5;
 *   a3 mean(v4, v5) / v3 = 5.5 / 4 = 1.375.
 */
static void test_forward_returns(void **state)
{
	static const double close[] = { 100, 101, 103, 102, 105, 110 };
	static const double vol[] = { 1, 2, 3, 4, 5, 6 };
	static const int hz[] = { 2, 3 };
	const int64_t t[] = { T0 - 40 * SEC, T0 + 30 * SEC, T0 + 90 * SEC, T0 + 180 * SEC,
			      T0 + 360 * SEC };
	const double score[] = { 0.1, 0.5, 0.9, -0.5, 0.2 }, conf[] = { 1, 0.9, 0.3, 0.8, 1 };
	struct sb_candles c;
	struct sb_events ev = make_events(5, t, score, conf);
	struct sb_es_opts o;
	struct sb_event_study es;
	struct sb_errbuf err;

	(void)state;
	make_candles(&c, 6, close, vol);
	opts(&o, 2, hz);
	o.min_conf_e9 = E9(0.7);
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	assert_int_equal(es.counts.articles, 5);
	assert_int_equal(es.counts.outside_range, 2);
	assert_int_equal(es.counts.below_confidence, 1);
	assert_int_equal(es.n_events, 2);
	assert_int_equal(es.ev[0].candle, 0);
	assert_int_equal(es.ev[1].candle, 3);
	NEAR(es.ev[0].close, 100, 0);
	NEAR(es.ev[1].close, 102, 0);
	assert_true(es.ret[0 * 2 + 0] == log(103.0 / 100.0));
	assert_true(es.ret[1 * 2 + 0] == log(110.0 / 102.0));
	assert_true(es.ret[0 * 2 + 1] == log(102.0 / 100.0));
	IS_NAN(es.ret[1 * 2 + 1]);
	assert_int_equal(es.hz[0].truncated, 0);
	assert_int_equal(es.hz[0].with_return, 2);
	assert_int_equal(es.hz[1].truncated, 1);
	assert_int_equal(es.hz[1].with_return, 1);
	assert_int_equal(es.hz[0].candles, 2);
	NEAR(es.ev[0].volume_spike, 2.5, 0);
	NEAR(es.ev[1].volume_spike, 1.375, 0);
	assert_int_equal(es.counts.spike_defined, 2);
	/* buckets -1,0,1: a1 (0.5) in [0, 1], a3 (-0.5) in [-1, 0) */
	assert_int_equal(es.ev[0].bucket, 1);
	assert_int_equal(es.ev[1].bucket, 0);
	/* two events: ic = -1 (higher score, lower return); t undefined at n = 2 */
	NEAR(es.hz[0].ic, -1, 0);
	IS_NAN(es.hz[0].t_stat);
	IS_NAN(es.hz[1].ic);               /* one pair */
	sb_event_study_release(&es);

	/* Latency 30 s moves a1 to candle 1: ln(c3/c1) at horizon 2; a3 to candle 3 still
	 * (T0+210s); a0 (T0-10s) stays outside, a4 too; V = 2 candles: a1 (j = 1) has a full window [0, 1]: mean 1.5, next two
	 * mean(v2, v3) = 3.5 -> 7/3; a3 mean(v4, v5) / mean(v2, v3) = 5.5 / 3.5. */
	o.latency_us = 30 * SEC;
	o.volume_window_us = 2 * D;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	assert_int_equal(es.n_events, 2);
	assert_int_equal(es.ev[0].candle, 1);
	assert_true(es.ret[0] == log(102.0 / 101.0));
	NEAR(es.ev[0].volume_spike, 3.5 / 1.5, 1e-15);
	NEAR(es.ev[1].volume_spike, 5.5 / 3.5, 1e-15);
	sb_event_study_release(&es);

	/* V = 3 candles: a1 (j = 1) lacks history; a3 has it */
	o.volume_window_us = 3 * D;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	IS_NAN(es.ev[0].volume_spike);
	assert_int_equal(es.counts.spike_short_history, 1);
	NEAR(es.ev[1].volume_spike, 5.5 / 3.0, 1e-15);
	sb_event_study_release(&es);
	sb_candles_release(&c);
}

/*
 * Bucket mean and median.  Closes 100, 200, 100, 100, 400, 100, 50, 50; horizon 1:
 *   r0 = ln 2, r1 = -ln 2, r2 = 0, r3 = 2 ln 2, r4 = -2 ln 2, r5 = -ln 2, r6 = 0.
 * One article per candle 0..6, scores 0.5, -0.5, 0.2, 0.9, -0.1, 0 (on the edge: the
 * upper bucket), -1 (the bottom edge), and one more in candle 0 with score 1 (the top
 * edge: the last bucket, closed).  Edges -1, 0, 1:
 *   [-1, 0): r1, r4, r6 = -ln2, -2 ln2, 0: n 3, mean -ln 2, median -ln 2, hit rate 0
 *   [0, 1]:  r0, r0, r2, r3, r5 = ln2, ln2, 0, 2 ln2, -ln2: n 5, mean 3 ln2 / 5,
 *            median ln 2, hit rate 3/5
 * Candle 0 holds two events: in_candle 2, shared_candle 2.
 */
static void test_bucket_mean_median(void **state)
{
	static const double close[] = { 100, 200, 100, 100, 400, 100, 50, 50 };
	static const int hz[] = { 1 };
	int64_t t[8];
	const double score[] = { 0.5, 1, -0.5, 0.2, 0.9, -0.1, 0, -1 };
	const double conf[] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	const int cand[] = { 0, 0, 1, 2, 3, 4, 5, 6 };
	struct sb_candles c;
	struct sb_events ev;
	struct sb_es_opts o;
	struct sb_event_study es;
	struct sb_errbuf err;
	const double l2 = log(2.0);

	(void)state;
	for (int i = 0; i < 8; i++)
		t[i] = T0 + cand[i] * D + 5 * SEC;
	ev = make_events(8, t, score, conf);
	make_candles(&c, 8, close, NULL);
	opts(&o, 1, hz);
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	assert_int_equal(es.n_buckets, 2);
	assert_int_equal(es.ev[1].bucket, 1);    /* score 1: top edge, last bucket */
	assert_int_equal(es.ev[6].bucket, 1);    /* score 0: on an edge, the upper bucket */
	assert_int_equal(es.ev[7].bucket, 0);    /* score -1: bottom edge */
	assert_int_equal(es.cell[0].n, 3);
	NEAR(es.cell[0].mean, -l2, 1e-15);
	NEAR(es.cell[0].median, -l2, 1e-15);
	NEAR(es.cell[0].hit_rate, 0, 0);
	assert_int_equal(es.cell[1].n, 5);
	NEAR(es.cell[1].mean, 3 * l2 / 5, 1e-15);
	NEAR(es.cell[1].median, l2, 1e-15);
	NEAR(es.cell[1].hit_rate, 0.6, 1e-15);
	assert_true(es.cell[1].ci_lo <= es.cell[1].mean && es.cell[1].mean <= es.cell[1].ci_hi);
	assert_int_equal(es.ev[0].in_candle, 2);
	assert_int_equal(es.ev[2].in_candle, 1);
	assert_int_equal(es.counts.shared_candle, 2);
	assert_int_equal(es.hz[0].truncated, 0);
	assert_int_equal(es.hz[0].with_return, 8);
	sb_event_study_release(&es);

	/* Edges -0.5, 0, 0.5: scores 0.9, 1, -1, -0.1 ... outside [-0.5, 0.5] are in none */
	o.n_edges = 3;
	o.edges_e9[0] = E9(-0.5);
	o.edges_e9[1] = 0;
	o.edges_e9[2] = E9(0.5);
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	/* in: 0.5 (top edge), -0.5 (bottom edge), 0.2, -0.1, 0; out: 1, 0.9, -1 */
	assert_int_equal(es.counts.outside_buckets, 3);
	assert_int_equal(es.cell[0].n + es.cell[1].n, 5);
	sb_event_study_release(&es);
	sb_candles_release(&c);
}

/*
 * Spearman with ties, by hand.  x = 1, 2, 2, 3, 4; y = 10, 30, 20, 20, 50.
 *   ranks x: 1, 2.5, 2.5, 4, 5     ranks y: 1, 4, 2.5, 2.5, 5     mean rank 3
 *   dx: -2, -0.5, -0.5, 1, 2       dy: -2, 1, -0.5, -0.5, 2
 *   sum dx dy = 4 - 0.5 + 0.25 - 0.5 + 4 = 7.25; sum dx^2 = sum dy^2 = 9.5
 *   rho = 7.25 / 9.5 = 29/38 = 0.76315789473684...
 *   t = rho sqrt(3 / (1 - rho^2)) = 29/38 sqrt(3 * 1444 / 603) = 29/38 sqrt(4332/603)
 */
static void test_spearman_ties(void **state)
{
	const double x[] = { 1, 2, 2, 3, 4 }, y[] = { 10, 30, 20, 20, 50 };
	const double c[] = { 7, 7, 7, 7, 7 }, up[] = { 1, 2, 3, 4, 5 }, dn[] = { 5, 4, 3, 2, 1 };
	double rho = sb_spearman(x, y, 5);

	(void)state;
	NEAR(rho, 29.0 / 38.0, 1e-15);
	NEAR(sb_spearman_t(rho, 5), 29.0 / 38.0 * sqrt(4332.0 / 603.0), 1e-14);
	NEAR(sb_spearman(y, x, 5), 29.0 / 38.0, 1e-15);     /* symmetric */
	NEAR(sb_spearman(up, up, 5), 1, 0);
	NEAR(sb_spearman(up, dn, 5), -1, 0);
	IS_NAN(sb_spearman_t(1, 5));
	IS_NAN(sb_spearman(c, y, 5));                       /* a constant side */
	IS_NAN(sb_spearman(x, y, 1));
	IS_NAN(sb_spearman_t(0.5, 2));
}

/* The median: odd and even counts, unsorted input. */
static void test_median(void **state)
{
	double a[] = { 3, 1, 2 }, b[] = { 4, 1, 3, 2 }, e[1];

	(void)state;
	NEAR(sb_median(a, 3), 2, 0);
	NEAR(sb_median(b, 4), 2.5, 0);
	IS_NAN(sb_median(e, 0));
}

/*
 * The bootstrap: the same seed and cell give the same interval, another seed or cell
 * another; the interval holds the mean; one value gives [x, x]; B = 10 gives k = 1: the
 * smallest and the largest resample mean, which lie within [min, max] of the values.
 */
static void test_bootstrap(void **state)
{
	double x[20], scratch[1000], lo1, hi1, lo2, hi2, lo3, hi3, mean = 0;

	(void)state;
	for (int i = 0; i < 20; i++) {
		x[i] = (double)((i * 7) % 20) - 9.5;     /* a permutation of -9.5 .. 9.5 */
		mean += x[i];
	}
	mean /= 20;
	sb_bootstrap_mean_ci(x, 20, 1000, 42, 0, scratch, &lo1, &hi1);
	sb_bootstrap_mean_ci(x, 20, 1000, 42, 0, scratch, &lo2, &hi2);
	assert_true(lo1 == lo2 && hi1 == hi2);
	assert_true(lo1 < mean && mean < hi1);
	/* the standard error is 5.77/sqrt(20) = 1.29: the interval is about +-2.5 */
	assert_true(hi1 - lo1 > 3.5 && hi1 - lo1 < 6.5);
	sb_bootstrap_mean_ci(x, 20, 1000, 43, 0, scratch, &lo3, &hi3);
	assert_true(lo3 != lo1 || hi3 != hi1);
	sb_bootstrap_mean_ci(x, 20, 1000, 42, 1, scratch, &lo3, &hi3);
	assert_true(lo3 != lo1 || hi3 != hi1);
	sb_bootstrap_mean_ci(x, 1, 1000, 42, 0, scratch, &lo3, &hi3);
	assert_true(lo3 == x[0] && hi3 == x[0]);
	sb_bootstrap_mean_ci(x, 20, 10, 42, 0, scratch, &lo3, &hi3);
	assert_true(lo3 >= -9.5 && hi3 <= 9.5 && lo3 <= hi3);
	sb_bootstrap_mean_ci(x, 20, 0, 42, 0, scratch, &lo3, &hi3);
	IS_NAN(lo3);
	IS_NAN(hi3);
	sb_bootstrap_mean_ci(x, 0, 1000, 42, 0, scratch, &lo3, &hi3);
	IS_NAN(lo3);
}

/*
 * Quantile edges: the scores of rank floor(i n / q) + 1, equal edges merged, the top
 * edge kept.
 */
static void test_quantile_edges(void **state)
{
	const int32_t s1[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	const int32_t s2[] = { 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
	const int32_t s3[] = { 1, 2, 3, 4, 5, 5, 5, 5, 5, 5 };
	const int32_t s4[] = { 2, 2, 2 };
	int64_t e[SB_ES_MAX_BUCKETS + 1];

	(void)state;
	assert_int_equal(sb_es_quantile_edges(s1, 10, 5, e), 5);
	assert_true(e[0] == 1 && e[1] == 3 && e[2] == 5 && e[3] == 7 && e[4] == 9 && e[5] == 10);
	for (int32_t v = 1; v <= 10; v++)      /* two scores in each bucket */
		assert_int_equal(sb_es_bucket(v, e, 5), (v - 1) / 2);
	/* ties at the bottom: 0 0 0 merged, buckets [0,1) [1,3) [3,4] */
	assert_int_equal(sb_es_quantile_edges(s2, 10, 5, e), 3);
	assert_true(e[0] == 0 && e[1] == 1 && e[2] == 3 && e[3] == 4);
	/* ties at the top: [1,3) [3,5) [5,5] */
	assert_int_equal(sb_es_quantile_edges(s3, 10, 5, e), 3);
	assert_true(e[0] == 1 && e[1] == 3 && e[2] == 5 && e[3] == 5);
	assert_int_equal(sb_es_bucket(4, e, 3), 1);
	assert_int_equal(sb_es_bucket(5, e, 3), 2);
	/* all equal: one bucket [2, 2] */
	assert_int_equal(sb_es_quantile_edges(s4, 3, 5, e), 1);
	assert_int_equal(sb_es_bucket(2, e, 1), 0);
	assert_int_equal(sb_es_bucket(3, e, 1), -1);
	assert_int_equal(sb_es_bucket(1, e, 1), -1);
	/* seven scores into quintiles: ranks 1 | 2 | 3,4 | 5 | 6,7 */
	assert_int_equal(sb_es_quantile_edges(s1, 7, 5, e), 5);
	assert_true(e[1] == 2 && e[2] == 3 && e[3] == 5 && e[4] == 6 && e[5] == 7);
}

/*
 * Overlap and clusters.  Six candles, closes 100, 110, 130, 160, 200, 250, horizon 2;
 * articles at 0:10, 0:20 (candle 0), 1:15 (candle 1), 3:30 (candle 3), scores 0.1 ..
 * 0.4.  Windows (j, j+2]: candles 0, 0, 1 chain, candle 3 starts at the reach 3:
 * overlapping 3; disjoint windows: candle 0, then 3: 2.
 * IC: returns ln 1.3, ln 1.3 (a tie), ln(160/110), ln(250/160), increasing.  Doubled
 * centred ranks (2r - 5): scores -3, -1, 1, 3; returns -2, -2, 1, 3 (the tie shares
 * 1.5).  Sxy = 6 + 2 + 1 + 9 = 18, Sxx = 20, Syy = 18: ic = 18 / sqrt(360) = 3/sqrt(10).
 * --cluster 1m: 0:10 opens; 0:20 < 1:10 dropped; 1:15 opens; 3:30 opens: 3 events,
 * 1 clustered out.  --cluster 2m: 0:10 opens; 0:20, 1:15 dropped; 3:30 opens.
 */
static void test_overlap_cluster(void **state)
{
	static const double close[] = { 100, 110, 130, 160, 200, 250 };
	static const int hz[] = { 2 };
	const int64_t t[] = { T0 + 10 * SEC, T0 + 20 * SEC, T0 + 75 * SEC, T0 + 210 * SEC };
	const double score[] = { 0.1, 0.2, 0.3, 0.4 }, conf[] = { 1, 1, 1, 1 };
	struct sb_candles c;
	struct sb_events ev = make_events(4, t, score, conf);
	struct sb_es_opts o;
	struct sb_event_study es;
	struct sb_errbuf err;

	(void)state;
	make_candles(&c, 6, close, NULL);
	opts(&o, 1, hz);
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	assert_int_equal(es.n_events, 4);
	assert_int_equal(es.hz[0].overlapping, 3);
	assert_int_equal(es.hz[0].disjoint_windows, 2);
	NEAR(es.hz[0].ic, 3 / sqrt(10.0), 1e-15);
	sb_event_study_release(&es);

	o.cluster_us = D;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	assert_int_equal(es.n_events, 3);
	assert_int_equal(es.counts.clustered_out, 1);
	assert_true(es.ev[1].t_us == T0 + 75 * SEC);
	sb_event_study_release(&es);

	o.cluster_us = 2 * D;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	assert_int_equal(es.n_events, 2);
	assert_int_equal(es.counts.clustered_out, 2);
	assert_int_equal(es.hz[0].overlapping, 0);     /* C >= H D: no overlap */
	assert_int_equal(es.hz[0].disjoint_windows, 2);
	sb_event_study_release(&es);
	sb_candles_release(&c);
}

/* A trailing window of zero volume: no ratio, counted; a zero-volume future: ratio 0. */
static void test_zero_volume(void **state)
{
	static const double close[] = { 100, 101, 102, 103 };
	static const double vol[] = { 1, 0, 0, 5 };
	static const int hz[] = { 1 };
	const int64_t t[] = { T0 + 10 * SEC, T0 + 70 * SEC, T0 + 130 * SEC };
	const double score[] = { 0.1, 0.2, 0.3 }, conf[] = { 1, 1, 1 };
	struct sb_candles c;
	struct sb_events ev = make_events(3, t, score, conf);
	struct sb_es_opts o;
	struct sb_event_study es;
	struct sb_errbuf err;

	(void)state;
	make_candles(&c, 4, close, vol);
	opts(&o, 1, hz);
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	NEAR(es.ev[0].volume_spike, 0, 0);       /* 0 / 1 */
	IS_NAN(es.ev[1].volume_spike);
	IS_NAN(es.ev[2].volume_spike);
	assert_int_equal(es.counts.spike_zero_volume, 2);
	assert_int_equal(es.counts.spike_defined, 1);
	sb_event_study_release(&es);
	sb_candles_release(&c);
}

/* Options that do not fit: each an error with a message, nothing allocated. */
static void test_bad_opts(void **state)
{
	static const double close[] = { 100, 101 };
	static const int hz[] = { 5, 15 };
	const int64_t t[] = { T0 };
	const double score[] = { 0.1 }, conf[] = { 1 };
	struct sb_candles c;
	struct sb_events ev = make_events(1, t, score, conf);
	struct sb_es_opts o;
	struct sb_event_study es;
	struct sb_errbuf err;

	(void)state;
	make_candles(&c, 2, close, NULL);
	opts(&o, 2, hz);
	o.horizon_us[0] = 90 * SEC;                       /* 1.5 candles */
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_EINVAL);
	assert_non_null(strstr(err.msg, "whole number"));
	opts(&o, 2, hz);
	o.horizon_us[1] = o.horizon_us[0];                /* not increasing */
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_EINVAL);
	opts(&o, 2, hz);
	o.edges_e9[1] = o.edges_e9[2];
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_EINVAL);
	opts(&o, 2, hz);
	o.volume_window_us = 30 * SEC;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_EINVAL);
	opts(&o, 2, hz);
	o.n_edges = 0;
	o.quantiles = 0;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_EINVAL);
	/* both horizons past the data: every return truncated, no IC, cells empty */
	opts(&o, 2, hz);
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	assert_int_equal(es.hz[0].truncated, 1);
	assert_int_equal(es.hz[1].truncated, 1);
	assert_int_equal(es.cell[1].n, 0);
	IS_NAN(es.cell[1].mean);
	IS_NAN(es.hz[0].ic);
	sb_event_study_release(&es);
	sb_candles_release(&c);
}

/*
 * Seeded pseudo-random articles over 300 candles (some outside, some below k): the
 * counts agree with the strategy's own indexing (sb_signal_candle_sums), events per
 * candle agree with its per-candle counts, and the result is the same bits on 1 and 2
 * threads (each cell has its own generator).
 */
static void test_consistent_with_strategy(void **state)
{
	enum { N = 300, A = 240 };
	static double close[N], vol[N];
	static int64_t t[A];
	static double score[A], conf[A];
	uint64_t x = 12345;
	struct sb_candles c;
	struct sb_events ev;
	struct sb_es_opts o;
	struct sb_event_study e1, e2;
	struct sb_signal_work w;
	struct sb_signal_params p = { .min_conf_e9 = E9(0.4), .window_us = D, .latency_us = 45 * SEC };
	struct sb_signal_stats st;
	struct sb_errbuf err;
	size_t W, per[N] = { 0 };
	static const int hz[] = { 1, 5, 30 };

	(void)state;
	for (int i = 0; i < N; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		close[i] = 100 + (double)(x >> 58) / 4;
		vol[i] = (double)(x >> 60);
	}
	for (int a = 0; a < A; a++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		t[a] = T0 - 5 * D + a * (N + 10) * D / A + (int64_t)(x >> 60) * SEC;
		score[a] = (double)((int)(x >> 40) % 2001 - 1000) / 1000;
		conf[a] = (double)((x >> 20) % 11) / 10;
	}
	ev = make_events(A, t, score, conf);
	make_candles(&c, N, close, vol);
	opts(&o, 3, hz);
	o.n_edges = 0;
	o.quantiles = 5;
	o.min_conf_e9 = p.min_conf_e9;
	o.latency_us = p.latency_us;
	o.volume_window_us = 10 * D;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &e1, &err), SB_OK);
	sb_signal_work_init(&w);
	assert_int_equal(sb_signal_candle_sums(&w, &c, &ev, &p, &W, &st, &err), SB_OK);
	assert_int_equal(e1.counts.events, st.used);
	assert_int_equal(e1.counts.outside_range, st.outside_range);
	assert_int_equal(e1.counts.below_confidence, st.below_confidence);
	assert_true(st.outside_range > 0 && st.below_confidence > 0);
	for (size_t i = 0; i < e1.n_events; i++)
		per[e1.ev[i].candle]++;
	for (size_t j = 0; j < N; j++)
		assert_int_equal(per[j], w.ccnt[j]);
	sb_signal_candle_sums_clear(&w, N);
	sb_signal_work_release(&w);
	assert_int_equal(e1.n_buckets, 5);
	o.threads = 2;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &e2, &err), SB_OK);
	assert_int_equal(e1.n_events, e2.n_events);
	assert_memory_equal(e1.cell, e2.cell, 3 * 5 * sizeof(*e1.cell));
	assert_memory_equal(e1.hz, e2.hz, sizeof(e1.hz));
	sb_event_study_release(&e1);
	sb_event_study_release(&e2);
	sb_candles_release(&c);
}

/*
 * The event path by hand: 8 candles, closes 100, 102, 104, 101, 99, 105, 108, 110; two
 * events in bucket [0, 1]: e1 in candle 1 (c_j = 102), e2 in candle 5 (c_j = 105);
 * P = 2, F = 3 candles, offsets -2 .. 3.
 *   o = -2: e1 needs candle -1 (left out); e2 ln(101/105)             n = 1
 *   o = -1: e1 ln(100/102), e2 ln(99/105)                             n = 2
 *   o =  0: 0, 0                                                       n = 2
 *   o =  1: e1 ln(104/102), e2 ln(108/105)                            n = 2
 *   o =  2: e1 ln(101/102), e2 ln(110/105)                            n = 2
 *   o =  3: e1 ln(99/102); e2 needs candle 8 of 8 (left out)          n = 1
 * Bucket [-1, 0) holds no event: n = 0 and NaN everywhere.  With one value the
 * interval is that value; with two it lies between them.
 */
static void test_event_path(void **state)
{
	static const double close[] = { 100, 102, 104, 101, 99, 105, 108, 110 };
	static const int hz[] = { 1 };
	const int64_t t[] = { T0 + 70 * SEC, T0 + 310 * SEC };
	const double score[] = { 0.5, 0.25 }, conf[] = { 1, 1 };
	const double e1[] = { NAN, log(100.0 / 102), 0, log(104.0 / 102), log(101.0 / 102),
			      log(99.0 / 102) };
	const double e2[] = { log(101.0 / 105), log(99.0 / 105), 0, log(108.0 / 105),
			      log(110.0 / 105), NAN };
	struct sb_candles c;
	struct sb_events ev = make_events(2, t, score, conf);
	struct sb_es_opts o;
	struct sb_event_study es, es2;
	struct sb_errbuf err;

	(void)state;
	make_candles(&c, 8, close, NULL);
	opts(&o, 1, hz);
	o.path_before_us = 2 * D;
	o.path_after_us = 3 * D;
	o.path_bootstrap = 100;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es, &err), SB_OK);
	assert_int_equal(es.n_buckets, 2);
	assert_int_equal(es.path_before, 2);
	assert_int_equal(es.n_offsets, 6);
	for (size_t k = 0; k < 6; k++) {
		const struct sb_es_path_cell *x0 = &es.path[k], *x = &es.path[6 + k];

		assert_int_equal(x0->n, 0);
		IS_NAN(x0->mean);
		IS_NAN(x0->ci_lo);
		if (isnan(e1[k]) || isnan(e2[k])) {
			double v = isnan(e1[k]) ? e2[k] : e1[k];

			assert_int_equal(x->n, 1);
			assert_true(x->mean == v);
			assert_true(x->ci_lo == v && x->ci_hi == v);
		} else {
			assert_int_equal(x->n, 2);
			assert_true(x->mean == (e1[k] + e2[k]) / 2);
			assert_true(x->ci_lo >= fmin(e1[k], e2[k]) && x->ci_lo <= x->mean);
			assert_true(x->ci_hi <= fmax(e1[k], e2[k]) && x->ci_hi >= x->mean);
		}
	}
	assert_true(es.path[6 + 2].mean == 0 && es.path[6 + 2].ci_lo == 0 &&
		    es.path[6 + 2].ci_hi == 0);
	/* the same with two threads, and no interval without resamples */
	o.threads = 2;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es2, &err), SB_OK);
	for (size_t k = 0; k < 12; k++) {
		assert_int_equal(es2.path[k].n, es.path[k].n);
		assert_memory_equal(&es2.path[k].ci_lo, &es.path[k].ci_lo, sizeof(double));
		assert_memory_equal(&es2.path[k].ci_hi, &es.path[k].ci_hi, sizeof(double));
	}
	sb_event_study_release(&es2);
	o.path_bootstrap = 0;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es2, &err), SB_OK);
	assert_true(es2.path[6 + 1].mean == es.path[6 + 1].mean);
	IS_NAN(es2.path[6 + 1].ci_lo);
	sb_event_study_release(&es2);
	/* not whole candles */
	o.path_after_us = 90 * SEC;
	assert_int_equal(sb_event_study_run(&c, &ev, &o, &es2, &err), SB_EINVAL);
	sb_event_study_release(&es);
	sb_candles_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_returns),
		cmocka_unit_test(test_bucket_mean_median),
		cmocka_unit_test(test_spearman_ties),
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_quantile_edges),
		cmocka_unit_test(test_overlap_cluster),
		cmocka_unit_test(test_zero_volume),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_consistent_with_strategy),
		cmocka_unit_test(test_event_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
