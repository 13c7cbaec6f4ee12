/* test_strategies.c - the strategy list, window sums, decayed and volume signals by hand */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../strategies/strategy.h"
#include "../strategies/window_sums.h"

#define T0  INT64_C(1704067200000000)     /* 2024-01-01T00:00:00Z */
#define D   (60 * SB_US_PER_SEC)

static void make_candles(struct sb_candles *c, size_t n, const double *volume)
{
	assert_int_equal(sb_candles_alloc(c, n, NULL), SB_OK);
	c->t0_us = T0;
	c->interval_us = D;
	for (size_t i = 0; i < n; i++) {
		c->open[i] = c->high[i] = c->low[i] = c->close[i] = 100.0;
		c->volume[i] = volume ? volume[i] : 1.0;
	}
}

/* Signals are in 10^-9 units; 'want' in plain numbers, NaN for none. */
static void expect(const double *got, const double *want, size_t n, double tol)
{
	for (size_t i = 0; i < n; i++) {
		bool ok = isnan(want[i]) ? isnan(got[i]) : fabs(got[i] - want[i] * 1e9) <= tol;

		if (!ok) {
			print_error("signal[%zu] = %.17g, want %.17g x 10^9\n", i, got[i], want[i]);
			fail();
		}
	}
}

static void test_registry(void **state)
{
	(void)state;
	assert_string_equal(sb_strategies[0]->name, "mean");
	assert_ptr_equal(sb_strategy_find("mean"), &sb_strategy_mean);
	assert_ptr_equal(sb_strategy_find("decayed"), &sb_strategy_decayed);
	assert_ptr_equal(sb_strategy_find("volume"), &sb_strategy_volume);
	assert_null(sb_strategy_find("Mean"));
	assert_null(sb_strategy_find(""));
	for (int s = 0; sb_strategies[s]; s++) {
		assert_true(sb_strategies[s]->n_axes <= SB_STRATEGY_MAX_AXES);
		assert_non_null(sb_strategies[s]->signal);
	}
}

/* The block sums equal the plain definition on random data, every W. */
static void test_window_sums(void **state)
{
	enum { N = 600 };
	static const size_t Ws[] = { 1, 2, 3, 7, 50, 599, 600, 1000 };
	double x[N], out[N], suf[N], pw[N + 1], r = 0.97;
	uint64_t s = 12345;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		s = s * 6364136223846793005u + 1442695040888963407u;
		x[i] = (double)((int64_t)(s >> 33) % 2001 - 1000);    /* integers */
	}
	pw[0] = 1.0;
	for (size_t k = 1; k <= N; k++)
		pw[k] = exp2(-(double)k * 0.04);
	(void)r;
	for (size_t wi = 0; wi < sizeof(Ws) / sizeof(Ws[0]); wi++) {
		size_t W = Ws[wi];

		/* weight 1, integer data: exact */
		sb_window_sums(x, N, W, NULL, suf, out);
		for (size_t i = 0; i < N; i++) {
			double want = 0.0;

			for (size_t j = i + 1 > W ? i + 1 - W : 0; j <= i; j++)
				want += x[j];
			if (out[i] != want) {
				print_error("W %zu: sum[%zu] = %.17g, want %.17g\n", W, i, out[i], want);
				fail();
			}
		}
		/* decaying weights: within rounding of the plain sum */
		sb_window_sums(x, N, W, pw, suf, out);
		for (size_t i = 0; i < N; i++) {
			double want = 0.0, mag = 0.0;

			for (size_t j = i + 1 > W ? i + 1 - W : 0; j <= i; j++) {
				want += pw[i - j] * x[j];
				mag += fabs(pw[i - j] * x[j]);
			}
			if (!(fabs(out[i] - want) <= 1e-13 * mag)) {
				print_error("W %zu: decayed sum[%zu] = %.17g, want %.17g\n", W, i, out[i],
					    want);
				fail();
			}
		}
	}
}

/*
 * Decayed, H = 1 candle, W = 3 candles, k = 0.5.  Candle 0: 0.8; candle 1: -0.2
 * (confidence 0.9; a third article of confidence 0.4 in candle 1 is left out).
 *   i=0: 0.8
 *   i=1: (0.5 * 0.8 + 1 * -0.2) / 1.5 = 0.2 / 1.5 = 0.1333...
 *   i=2: (0.25 * 0.8 + 0.5 * -0.2) / 0.75 = 0.1 / 0.75 = 0.1333...
 *   i=3: window [1, 3]: -0.2 alone
 *   i=4: window [2, 4]: none
 */
static void test_decayed_by_hand(void **state)
{
	struct sb_candles c;
	struct sb_signal_work w;
	struct sb_errbuf err;
	int64_t t[] = { T0 + 10 * SB_US_PER_SEC, T0 + 70 * SB_US_PER_SEC, T0 + 80 * SB_US_PER_SEC };
	int32_t sc[] = { 800000000, -200000000, 1000000000 };
	int32_t cf[] = { 900000000, 900000000, 400000000 };
	struct sb_events ev = { 3, t, sc, cf };
	struct sb_signal_params p = { 500000000, 3 * D, 0, { D, 0 } };
	const double want[5] = { 0.8, 0.2 / 1.5, 0.1 / 0.75, -0.2, NAN };
	double sig[5];
	uint32_t nw[5];

	(void)state;
	sb_candles_init(&c);
	make_candles(&c, 5, NULL);
	sb_signal_work_init(&w);
	assert_int_equal(sb_strategy_decayed.signal(&w, &c, &ev, &p, sig, nw, NULL, &err), SB_OK);
	expect(sig, want, 5, 1e-6);
	assert_int_equal(nw[1], 2);
	assert_int_equal(nw[4], 0);
	/* twice with the same scratch: the same bits (the scratch was left clean) */
	{
		double again[5];

		assert_int_equal(sb_strategy_decayed.signal(&w, &c, &ev, &p, again, NULL, NULL, &err),
				 SB_OK);
		assert_memory_equal(again, sig, sizeof(sig));
	}
	/* a half-life far longer than the window: nearly the plain mean (the weight of a
	 * candle-old article is 2^(-60 s / 100 years), 1 - 1.9e-8) */
	p.extra[0] = SB_DURATION_MAX_US;
	assert_int_equal(sb_strategy_decayed.signal(&w, &c, &ev, &p, sig, NULL, NULL, &err), SB_OK);
	expect(sig, (const double[]){ 0.8, 0.3, 0.3, -0.2, NAN }, 5, 10.0);
	p.extra[0] = 0;
	assert_int_equal(sb_strategy_decayed.signal(&w, &c, &ev, &p, sig, NULL, NULL, &err),
			 SB_EINVAL);
	sb_signal_work_release(&w);
	sb_candles_release(&c);
}

/*
 * Volume, F = 1.5, M = 2 candles; an article of 0.6 in every candle (W = 1), volumes
 * 1, 1, 1, 4, 1, 1.5:
 *   i=0: no trailing volume -> none
 *   i=1: 1 > 1.5 * 1? no;  i=2: no
 *   i=3: 4 > 1.5 * (1 + 1) / 2 = 1.5: yes -> 0.6
 *   i=4: 1 > 1.5 * (1 + 4) / 2? no
 *   i=5: 1.5 > 1.5 * (4 + 1) / 2 = 3.75? no
 * With F = 0: every candle after the first keeps its signal (volumes > 0).
 */
static void test_volume_by_hand(void **state)
{
	const double vol[6] = { 1, 1, 1, 4, 1, 1.5 };
	struct sb_candles c;
	struct sb_signal_work w;
	struct sb_errbuf err;
	int64_t t[6];
	int32_t sc[6], cf[6];
	struct sb_events ev = { 6, t, sc, cf };
	struct sb_signal_params p = { 500000000, D, 0, { 1500000000, 2 * D } };
	double sig[6];

	(void)state;
	for (int i = 0; i < 6; i++) {
		t[i] = T0 + i * D + SB_US_PER_SEC;
		sc[i] = 600000000;
		cf[i] = 900000000;
	}
	sb_candles_init(&c);
	make_candles(&c, 6, vol);
	sb_signal_work_init(&w);
	assert_int_equal(sb_strategy_volume.signal(&w, &c, &ev, &p, sig, NULL, NULL, &err), SB_OK);
	expect(sig, (const double[]){ NAN, NAN, NAN, 0.6, NAN, NAN }, 6, 0);
	p.extra[0] = 0;
	assert_int_equal(sb_strategy_volume.signal(&w, &c, &ev, &p, sig, NULL, NULL, &err), SB_OK);
	expect(sig, (const double[]){ NAN, 0.6, 0.6, 0.6, 0.6, 0.6 }, 6, 0);
	p.extra[1] = D + 1;          /* not whole candles */
	assert_int_equal(sb_strategy_volume.signal(&w, &c, &ev, &p, sig, NULL, NULL, &err),
			 SB_EINVAL);
	sb_signal_work_release(&w);
	sb_candles_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_window_sums),
		cmocka_unit_test(test_decayed_by_hand),
		cmocka_unit_test(test_volume_by_hand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
