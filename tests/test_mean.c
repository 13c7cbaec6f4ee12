/* test_mean.c - DESIGN.md steps 1-2 (the threshold signal), values worked by hand */
#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../strategies/strategy.h"

/* 2024-01-01T00:00:00Z, 1-minute candles. */
#define T0  INT64_C(1704067200000000)
#define D   (60 * SB_US_PER_SEC)
#define SEC SB_US_PER_SEC

/* Candles with only what the signal reads: n, t0, interval (and a close). */
static void make_candles(struct sb_candles *c, size_t n)
{
	struct sb_errbuf err;

	sb_candles_init(c);
	assert_int_equal(sb_candles_alloc(c, n, &err), SB_OK);
	c->t0_us = T0;
	c->interval_us = D;
	for (size_t i = 0; i < n; i++)
		c->close[i] = 100.0 + (double)i;
}

/* A decimal written in a test as its 10^-9 units (exact for literals with <= 9 decimals). */
#define E9(x) ((int64_t)llround((x) * 1e9))

/*
 * Events built by hand: scores and confidences given as decimals, converted into a
 * static pool (never released through sb_events; one test's events at a time).
 */
static struct sb_events make_events(size_t n, int64_t *t, const double *score,
				    const double *conf)
{
	static int32_t s9[64], k9[64];
	struct sb_events ev = { n, t, s9, k9 };

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		s9[i] = (int32_t)E9(score[i]);
		k9[i] = (int32_t)E9(conf[i]);
	}
	return ev;
}

/* The signal is in 10^-9 units; 'want' in plain numbers. */
static void expect_signal(const double *got, const double *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (isnan(want[i])) {
			if (!isnan(got[i])) {
				print_error("signal[%zu] = %.17g, want NaN\n", i, got[i]);
				fail();
			}
		} else if (!(fabs(got[i] - want[i] * 1e9) <= 1e-6)) {
			print_error("signal[%zu] = %.17g, want %.17g x 10^9\n", i, got[i], want[i]);
			fail();
		}
	}
}

/*
 * Window of 3 candles, k = 0.5, L = 0.  Articles (all confidence 0.9):
 *   a0 at T0+10s   (candle 0) score  0.25
 *   a1 at T0+70s   (candle 1) score  0.5
 *   a2 at T0+100s  (candle 1) score -0.375
 *   a3 at T0+245s  (candle 4) score  0.75
 * signal[i] = mean of the articles whose candle is in [i-2, i]:
 *   i=0: {a0}           0.25                      n=1
 *   i=1: {a0,a1,a2}     (0.25+0.5-0.375)/3 = 0.375/3 = 0.125   n=3
 *   i=2: {a0,a1,a2}     0.125                     n=3
 *   i=3: {a1,a2}        (0.5-0.375)/2 = 0.0625    n=2
 *   i=4: {a3}           0.75                      n=1
 *   i=5: {a3}           0.75                      n=1
 *   i=6: {a3}           0.75                      n=1
 *   i=7: {}             NaN                       n=0
 * (scores are binary fractions, so every mean is exact).
 */
static void test_window_mean(void **state)
{
	struct sb_candles c;
	int64_t t[] = { T0 + 10 * SEC, T0 + 70 * SEC, T0 + 100 * SEC, T0 + 245 * SEC };
	double s[] = { 0.25, 0.5, -0.375, 0.75 };
	double k[] = { 0.9, 0.9, 0.9, 0.9 };
	struct sb_events ev = make_events(4, t, s, k);
	struct sb_signal_params p = { E9(0.5), 3 * D, 0, { 0 } };
	struct sb_signal_stats st;
	struct sb_errbuf err;
	double sig[8];
	uint32_t nw[8];
	const double want[8] = { 0.25, 0.125, 0.125, 0.0625, 0.75, 0.75, 0.75, NAN };
	const uint32_t want_n[8] = { 1, 3, 3, 2, 1, 1, 1, 0 };

	(void)state;
	make_candles(&c, 8);
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, nw, &st, &err), SB_OK);
	expect_signal(sig, want, 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(nw[i], want_n[i]);
	assert_int_equal(st.used, 4);
	assert_int_equal(st.below_confidence, 0);
	assert_int_equal(st.outside_range, 0);
	/* n_in_window and stats are optional. */
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, &err), SB_OK);
	expect_signal(sig, want, 8);
	sb_candles_release(&c);
}

/*
 * k = 0.7, W = 1 candle; four articles in candle 2 (T0+130s..T0+160s):
 *   conf 0.7  score  0.5   kept (>= k is inclusive)
 *   conf 0.69 score -1.0   dropped
 *   conf 0.71 score  0.25  kept
 *   conf 0.0  score  1.0   dropped
 * signal[2] = (0.5 + 0.25)/2 = 0.375, n=2; every other candle NaN.
 * stats: used 2, below_confidence 2.
 */
static void test_min_confidence(void **state)
{
	struct sb_candles c;
	int64_t t[] = { T0 + 130 * SEC, T0 + 140 * SEC, T0 + 150 * SEC, T0 + 160 * SEC };
	double s[] = { 0.5, -1.0, 0.25, 1.0 };
	double k[] = { 0.7, 0.69, 0.71, 0.0 };
	struct sb_events ev = make_events(4, t, s, k);
	struct sb_signal_params p = { E9(0.7), D, 0, { 0 } };
	struct sb_signal_stats st;
	struct sb_errbuf err;
	double sig[4];
	uint32_t nw[4];
	const double want[4] = { NAN, NAN, 0.375, NAN };

	(void)state;
	make_candles(&c, 4);
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, nw, &st, &err), SB_OK);
	expect_signal(sig, want, 4);
	assert_int_equal(nw[2], 2);
	assert_int_equal(nw[1], 0);
	assert_int_equal(st.used, 2);
	assert_int_equal(st.below_confidence, 2);
	assert_int_equal(st.outside_range, 0);

	/* k = 0: every article counts: (0.5 - 1 + 0.25 + 1)/4 = 0.75/4 = 0.1875. */
	p.min_conf_e9 = 0;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, nw, &st, &err), SB_OK);
	assert_true(sig[2] == 0.1875e9);
	assert_int_equal(nw[2], 4);
	assert_int_equal(st.below_confidence, 0);
	sb_candles_release(&c);
}

/*
 * One article published at T0+50s (candle 0), W = 1 candle.
 *   L = 0:   available T0+50s  -> candle 0: signal {0.5, NaN, NaN, NaN}
 *   L = 30s: available T0+80s  -> candle 1: signal {NaN, 0.5, NaN, NaN}
 *   L = 10s: available T0+60s, exactly the start of candle 1 -> candle 1
 *   L = 190s: available T0+240s = T0 + 4D, past the last candle (n = 4) -> dropped
 */
static void test_latency(void **state)
{
	struct sb_candles c;
	int64_t t[] = { T0 + 50 * SEC };
	double s[] = { 0.5 };
	double k[] = { 1.0 };
	struct sb_events ev = make_events(1, t, s, k);
	struct sb_signal_params p = { E9(0.5), D, 0, { 0 } };
	struct sb_signal_stats st;
	struct sb_errbuf err;
	double sig[4];
	const double want0[4] = { 0.5, NAN, NAN, NAN };
	const double want1[4] = { NAN, 0.5, NAN, NAN };
	const double none[4] = { NAN, NAN, NAN, NAN };

	(void)state;
	make_candles(&c, 4);
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, &st, &err), SB_OK);
	expect_signal(sig, want0, 4);

	p.latency_us = 30 * SEC;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, &st, &err), SB_OK);
	expect_signal(sig, want1, 4);

	p.latency_us = 10 * SEC;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, &st, &err), SB_OK);
	expect_signal(sig, want1, 4);

	p.latency_us = 190 * SEC;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, &st, &err), SB_OK);
	expect_signal(sig, none, 4);
	assert_int_equal(st.used, 0);
	assert_int_equal(st.outside_range, 1);
	sb_candles_release(&c);
}

/*
 * Candle boundaries, W = 1 candle:
 *   T0 + 2D - 1us (last microsecond of candle 1) score -0.5 -> candle 1
 *   T0 + 2D       (first microsecond of candle 2) score 0.5 -> candle 2
 * signal {NaN, -0.5, 0.5, NaN}.
 */
static void test_boundary_later_candle(void **state)
{
	struct sb_candles c;
	int64_t t[] = { T0 + 2 * D - 1, T0 + 2 * D };
	double s[] = { -0.5, 0.5 };
	double k[] = { 1.0, 1.0 };
	struct sb_events ev = make_events(2, t, s, k);
	struct sb_signal_params p = { E9(0.5), D, 0, { 0 } };
	struct sb_errbuf err;
	double sig[4];
	uint32_t nw[4];
	const double want[4] = { NAN, -0.5, 0.5, NAN };

	(void)state;
	make_candles(&c, 4);
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, nw, NULL, &err), SB_OK);
	expect_signal(sig, want, 4);
	assert_int_equal(nw[1], 1);
	assert_int_equal(nw[2], 1);
	sb_candles_release(&c);
}

/*
 * n = 3 candles covering [T0, T0 + 3D).  W = 2 candles.
 *   T0 - 3D        score 1.0    before the first candle: dropped (floor(-3) = -3)
 *   T0 - 1us       score 1.0    before: dropped (floor(-1/D) = -1, not 0)
 *   T0 + 3D - 1us  score 0.25   candle 2: kept
 *   T0 + 3D        score 1.0    after the last candle: dropped
 *   T0 + 10D       score 1.0    after: dropped
 * signal {NaN, NaN, 0.25}; stats used 1, outside_range 4.
 */
static void test_outside_range(void **state)
{
	struct sb_candles c;
	int64_t t[] = { T0 - 3 * D, T0 - 1, T0 + 3 * D - 1, T0 + 3 * D, T0 + 10 * D };
	double s[] = { 1.0, 1.0, 0.25, 1.0, 1.0 };
	double k[] = { 1.0, 1.0, 1.0, 1.0, 1.0 };
	struct sb_events ev = make_events(5, t, s, k);
	struct sb_signal_params p = { E9(0.5), 2 * D, 0, { 0 } };
	struct sb_signal_stats st;
	struct sb_errbuf err;
	double sig[3];
	const double want[3] = { NAN, NAN, 0.25 };

	(void)state;
	make_candles(&c, 3);
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, &st, &err), SB_OK);
	expect_signal(sig, want, 3);
	assert_int_equal(st.used, 1);
	assert_int_equal(st.outside_range, 4);
	assert_int_equal(st.below_confidence, 0);
	sb_candles_release(&c);
}

/* No article at all: no signal anywhere, n_in_window 0. */
static void test_no_articles(void **state)
{
	struct sb_candles c;
	struct sb_events ev = make_events(0, NULL, NULL, NULL);
	struct sb_signal_params p = { E9(0.0), 5 * D, 0, { 0 } };
	struct sb_signal_stats st;
	struct sb_errbuf err;
	double sig[3];
	uint32_t nw[3] = { 7, 7, 7 };
	const double want[3] = { NAN, NAN, NAN };

	(void)state;
	make_candles(&c, 3);
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, nw, &st, &err), SB_OK);
	expect_signal(sig, want, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(nw[i], 0);
	assert_int_equal(st.used, 0);
	sb_candles_release(&c);
}

/* W must be a positive whole number of candles; L must not be negative. */
static void test_bad_params(void **state)
{
	struct sb_candles c;
	int64_t t[] = { T0 };
	double s[] = { 0.5 };
	double k[] = { 1.0 };
	struct sb_events ev = make_events(1, t, s, k);
	struct sb_signal_params p = { E9(0.5), 90 * SEC, 0, { 0 } };   /* 1.5 candles */
	struct sb_errbuf err;
	double sig[2];

	(void)state;
	make_candles(&c, 2);
	err.msg[0] = '\0';
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, &err), SB_EINVAL);
	assert_true(err.msg[0] != '\0');
	p.window_us = 0;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, &err), SB_EINVAL);
	p.window_us = -D;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, &err), SB_EINVAL);
	p.window_us = D + 1;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, &err), SB_EINVAL);
	p.window_us = 2 * D;
	p.latency_us = -SEC;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, &err), SB_EINVAL);
	/* err may be NULL. */
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, NULL), SB_EINVAL);
	p.latency_us = 0;
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, &err), SB_OK);
	sb_candles_release(&c);
}

/*
 * Ties are exact.  W = 2 candles, k = 0.82 (typed: an article of confidence exactly
 * 0.82 counts).  Candle 0: 0.1 (conf 0.82), candle 1: 0.2 (conf 0.9), candle 2: 0.3,
 * 0.3, 0.3 (conf 0.81: left out).  signal[1] = (0.1 + 0.2) / 2 = 0.15 exactly, so
 * against h = 0.15 it is not above (in binary floating point, 0.1 + 0.2 > 0.3).
 * Reordering the articles of one candle gives the same signal bit for bit.
 */
static void test_exact_ties(void **state)
{
	struct sb_candles c;
	int64_t t[] = { T0 + 5 * SEC, T0 + 65 * SEC, T0 + 125 * SEC, T0 + 125 * SEC,
			T0 + 125 * SEC };
	double s[] = { 0.1, 0.2, 0.3, 0.3, 0.3 };
	double k[] = { 0.82, 0.9, 0.81, 0.81, 0.81 };
	struct sb_signal_params p = { E9(0.82), 2 * D, 0, { 0 } };
	struct sb_errbuf err;
	double sig[3], sig2[3];
	const double h = (double)E9(0.15);
	struct sb_events ev = make_events(5, t, s, k);

	(void)state;
	assert_true(0.1 + 0.2 > 0.3);          /* why decimals cannot be doubles here */
	make_candles(&c, 3);
	assert_int_equal(sb_mean_signal(&c, &ev, &p, sig, NULL, NULL, &err), SB_OK);
	assert_true(sig[0] == 0.1e9);
	assert_true(sig[1] == h);              /* the mean is 0.15, exactly */
	assert_false(sig[1] > h);
	assert_true(sig[2] == 0.2e9);          /* 0.3s are below k */

	/* 0.2, 0.1, 0.3 in one candle, in every order: the same bits */
	{
		int64_t t3[] = { T0 + 65 * SEC, T0 + 65 * SEC, T0 + 65 * SEC };
		static const double orders[3][3] = {
			{ 0.2, 0.1, 0.3 }, { 0.3, 0.2, 0.1 }, { 0.1, 0.3, 0.2 },
		};
		const double k3[] = { 0.9, 0.9, 0.9 };

		for (int o = 0; o < 3; o++) {
			ev = make_events(3, t3, orders[o], k3);
			assert_int_equal(sb_mean_signal(&c, &ev, &p, sig2, NULL, NULL, &err), SB_OK);
			assert_true(sig2[1] == 0.2e9 && sig2[2] == 0.2e9);
		}
	}
	sb_candles_release(&c);
}

/*
 * One scratch space across many calls, as a sweep thread uses it: the signal moved
 * from the last call's min-confidence (up, down, unchanged, beyond every confidence),
 * with the window changed, the buffer changed, the latency changed (the articles
 * indexed again), other strategies writing the same buffer in between (their own
 * signals checked too), the per-candle counts asked for: every result bit for bit
 * the signal built afresh with a scratch space of its own, and every 97th candle the
 * mean summed here from the articles.
 */
static void test_moved_equals_fresh(void **state)
{
	enum { N = 3001, A = 9000, CALLS = 400 };
	int64_t *t = malloc(A * sizeof(*t));
	int32_t *s9 = malloc(A * sizeof(*s9)), *k9 = malloc(A * sizeof(*k9));
	double *buf[2] = { malloc(N * sizeof(double)), malloc(N * sizeof(double)) };
	double *fresh = malloc(N * sizeof(double));
	uint32_t *nwin = malloc(N * sizeof(uint32_t));
	uint64_t x = 0x2545F4914F6CDD1Du;
	struct sb_signal_work w;
	struct sb_candles c;
	struct sb_events ev;
	struct sb_errbuf err;
	int moves = 0;
	int64_t last_k = 0, latency = 0;
	bool after_other = false;

	(void)state;
	assert_true(t && s9 && k9 && buf[0] && buf[1] && fresh && nwin);
	make_candles(&c, N);
	for (size_t a = 0; a < A; a++) {
		/* clustered: busy hours and long quiet stretches */
		size_t j = a * N / A;

		if (j % 500 >= 300)
			j = j - j % 500 + 299;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t[a] = T0 + (int64_t)j * D + (int64_t)(a % 3) * SEC;
		s9[a] = (int32_t)((int64_t)(x % 2000000001u) - 1000000000);
		/* 0, 0.05, ..., 1, and a third of them 10^-9 below (a cut's own bucket) */
		k9[a] = (int32_t)(((x >> 33) % 21) * 50000000);
		if ((x >> 20) % 3 == 0 && k9[a] > 0)
			k9[a]--;
	}
	ev = (struct sb_events){ A, t, s9, k9 };
	sb_signal_work_init(&w);
	for (int call = 0; call < CALLS; call++) {
		struct sb_signal_params p = { 0 };
		int b, what;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		what = (int)(x % 16);
		b = what == 15 ? 1 : 0;            /* now and then the other buffer */
		p.min_conf_e9 = (int64_t)((x >> 8) % 23) * 50000000 - 50000000;   /* -0.05 .. 1.05 */
		if (after_other || (x >> 50) % 4 == 0)
			p.min_conf_e9 = last_k;     /* the same k again (sums kept) */
		p.window_us = (what < 12 || what == 14 ? 5 : what == 12 ? 1 : what == 13 ? 240 : 4000) * D;
		after_other = what == 14 || what == 11;
		if (what == 10)                    /* another latency: indexed again */
			latency = latency ? 0 : 90 * SEC;
		p.latency_us = latency;
		if ((x >> 44) % 32 == 0)           /* beyond any confidence, int32 too */
			p.min_conf_e9 = (x >> 49) % 2 ? INT64_C(3000000000) : -INT64_C(3000000000);
		if (what == 14 || what == 11) {    /* another strategy writes the buffer */
			const struct sb_strategy *other = what == 14 ? &sb_strategy_decayed
								     : &sb_strategy_volume;
			struct sb_signal_work own;

			p.extra[0] = what == 14 ? 3600 * SEC : 1500000000;   /* half-life; factor */
			p.extra[1] = 10 * D;                                  /* volume window */
			assert_int_equal(other->signal(&w, &c, &ev, &p, buf[0], NULL, NULL, &err), SB_OK);
			sb_signal_work_init(&own);
			assert_int_equal(other->signal(&own, &c, &ev, &p, fresh, NULL, NULL, &err), SB_OK);
			sb_signal_work_release(&own);
			if (memcmp(buf[0], fresh, N * sizeof(double)))
				fail_msg("call %d: %s differs from its signal built afresh", call, other->name);
			continue;
		}
		last_k = p.min_conf_e9;
		moves += w.sums_set && w.sums_k != p.min_conf_e9;
		assert_int_equal(sb_strategy_mean.signal(&w, &c, &ev, &p, buf[b],
							 (x >> 40) % 9 == 0 ? nwin : NULL, NULL, &err),
				 SB_OK);
		assert_int_equal(sb_mean_signal(&c, &ev, &p, fresh, NULL, NULL, &err), SB_OK);
		for (size_t i = 0; i < N; i++)
			if (memcmp(&buf[b][i], &fresh[i], sizeof(double)))
				fail_msg("call %d (k %lld, W %lld candles, buffer %d), candle %zu: %.17g, afresh %.17g",
					 call, (long long)p.min_conf_e9, (long long)(p.window_us / D), b, i,
					 buf[b][i], fresh[i]);
		/* and, on every 97th candle, the mean summed here from the articles */
		for (size_t i = 0; i < N; i += 97) {
			int64_t S = 0, m = 0, W = p.window_us / D;
			double want;

			for (size_t a = 0; a < A; a++) {
				int64_t j = (t[a] + p.latency_us - T0) / D;

				if (j <= (int64_t)i && j > (int64_t)i - W && k9[a] >= p.min_conf_e9) {
					S += s9[a];
					m++;
				}
			}
			want = m ? (double)S / (double)m : NAN;
			if (memcmp(&buf[b][i], &want, sizeof(want)))
				fail_msg("call %d, candle %zu: %.17g, summed here %.17g", call, i,
					 buf[b][i], want);
		}
	}
	assert_true(moves > CALLS / 2);         /* most calls moved the sums */
	sb_signal_work_release(&w);
	sb_candles_release(&c);
	free(t);
	free(s9);
	free(k9);
	free(buf[0]);
	free(buf[1]);
	free(fresh);
	free(nwin);
}

/*
 * The claim in strategies/mean.c: with an exact integer sum S of n < 2^23 scores (10^-9
 * units) and an integer threshold h (|h| <= 10^9), the double RN(S / n) compares
 * with h exactly as the rational S / n does.  Checked here on the hardest cases,
 * sums within a few units of h * n, for small n, random n and n just below 2^23.
 */
static void test_mean_compares_exactly(void **state)
{
	uint64_t x = 0x9E3779B97F4A7C15u;
	uint64_t checked = 0;

	(void)state;
	for (int round = 0; round < 300000; round++) {
		int64_t n, h, S;
		double d, hd;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = round < 1000 ? 1 + round : round % 3 == 0 ? (int64_t)(SB_SIGNAL_MAX_ARTICLES - 1 - x % 64)
							 : 1 + (int64_t)(x % (SB_SIGNAL_MAX_ARTICLES - 1));
		h = (int64_t)((x >> 20) % 2000000001u) - 1000000000;
		for (int64_t dlt = -3; dlt <= 3; dlt++) {
			S = h * n + dlt;
			if (S > n * 1000000000 || S < -n * 1000000000)
				continue;
			d = (double)S / (double)n;
			hd = (double)h;
			assert_true((d > hd) == (S > h * n));
			assert_true((d < hd) == (S < h * n));
			assert_true((d == hd) == (S == h * n));
			/* |s| < e, with e = |h| */
			assert_true((fabs(d) < fabs(hd)) == (llabs(S) < llabs(h) * n));
			checked++;
		}
	}
	assert_true(checked > 1000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_mean),
		cmocka_unit_test(test_min_confidence),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_boundary_later_candle),
		cmocka_unit_test(test_outside_range),
		cmocka_unit_test(test_no_articles),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_exact_ties),
		cmocka_unit_test(test_mean_compares_exactly),
		cmocka_unit_test(test_moved_equals_fresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
