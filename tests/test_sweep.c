/* test_sweep.c - lane kernels and sb_sweep_run against the scalar path, bit for bit */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../engine/backtest.h"
#include "../engine/grid.h"
#include "../engine/kernels.h"
#include "../engine/sim.h"
#include "../engine/sweep.h"
#include "../strategies/strategy.h"

#define MIN_US  (INT64_C(60) * SB_US_PER_SEC)
#define T0      INT64_C(1709251200000000)   /* 2024-03-01T00:00:00Z */
#define N_CANDLES 3000
#define N_EVENTS  700

/* splitmix64: a fixed, seeded sequence, so the data are the same on every run. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static double rng_unit(void)        /* [0, 1) */
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

struct fixture {
	struct sb_candles c;
	struct sb_events ev;
};

/*
 * N_CANDLES 1m candles: a random walk in log price with jumps, so longs and shorts both
 * win and lose.  N_EVENTS articles at random times (a few before the first candle and
 * after the last, to be dropped), scores in [-1, 1], confidences in [0, 1].
 */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct sb_errbuf err;
	double p = 50000.0;

	if (!fx)
		return -1;
	sb_candles_init(&fx->c);
	sb_events_init(&fx->ev);
	if (sb_candles_alloc(&fx->c, N_CANDLES, &err))
		return -1;
	fx->c.t0_us = T0;
	fx->c.interval_us = MIN_US;
	rng_state = 20240301;
	for (size_t i = 0; i < N_CANDLES; i++) {
		double step = (rng_unit() - 0.5) * 0.004;

		if (rng_unit() < 0.01)
			step *= 10.0;
		p *= exp(step);
		fx->c.open[i] = fx->c.high[i] = fx->c.low[i] = fx->c.close[i] = p;
		fx->c.volume[i] = 1.0;
	}
	fx->ev.t_us = malloc(N_EVENTS * sizeof(int64_t));
	fx->ev.score_e9 = malloc(N_EVENTS * sizeof(int32_t));
	fx->ev.conf_e9 = malloc(N_EVENTS * sizeof(int32_t));
	if (!fx->ev.t_us || !fx->ev.score_e9 || !fx->ev.conf_e9)
		return -1;
	for (size_t a = 0; a < N_EVENTS; a++) {
		/* span: 10 minutes before the first candle to 10 minutes after the last */
		int64_t span = (N_CANDLES + 20) * MIN_US;

		fx->ev.t_us[a] = T0 - 10 * MIN_US + (int64_t)(rng_unit() * (double)span);
		/* three and two decimals, in 10^-9 units */
		fx->ev.score_e9[a] = (int32_t)round((rng_unit() * 2.0 - 1.0) * 1000.0) * 1000000;
		fx->ev.conf_e9[a] = (int32_t)round(rng_unit() * 100.0) * 10000000;
	}
	/* sorted by time (insertion sort: stable, equal times keep their order) */
	for (size_t a = 1; a < N_EVENTS; a++) {
		int64_t t = fx->ev.t_us[a];
		int32_t s = fx->ev.score_e9[a], k = fx->ev.conf_e9[a];
		size_t b = a;

		for (; b > 0 && fx->ev.t_us[b - 1] > t; b--) {
			fx->ev.t_us[b] = fx->ev.t_us[b - 1];
			fx->ev.score_e9[b] = fx->ev.score_e9[b - 1];
			fx->ev.conf_e9[b] = fx->ev.conf_e9[b - 1];
		}
		fx->ev.t_us[b] = t;
		fx->ev.score_e9[b] = s;
		fx->ev.conf_e9[b] = k;
	}
	fx->ev.n = N_EVENTS;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	sb_candles_release(&fx->c);
	sb_events_release(&fx->ev);
	free(fx);
	return 0;
}

static bool have_avx512(void)
{
	return sb_kernel_avx512_supported();
}

/* Field by field: doubles compared as bits, counters with ==.  No tolerance anywhere. */
static bool accum_same(const struct sb_accum *got, const struct sb_accum *want,
		       const char *kname, size_t nl, size_t lane)
{
	static const struct { const char *name; size_t off; } dbl[] = {
#define F(x) { #x, offsetof(struct sb_accum, x) }
		F(cash), F(q), F(e_prev), F(peak), F(max_dd), F(sum_r), F(sum_r2),
		F(sum_down2), F(exposure), F(entry_equity), F(gross_win), F(gross_loss),
		F(sum_trade_ret),
#undef F
	};
	bool ok = true;

	for (size_t k = 0; k < sizeof(dbl) / sizeof(dbl[0]); k++) {
		const char *g = (const char *)got + dbl[k].off, *w = (const char *)want + dbl[k].off;

		if (memcmp(g, w, sizeof(double)) != 0) {
			double gv, wv;

			memcpy(&gv, g, sizeof(gv));
			memcpy(&wv, w, sizeof(wv));
			print_error("%s, %zu lanes, lane %zu: %s = %.17g, reference %.17g\n", kname,
				    nl, lane, dbl[k].name, gv, wv);
			ok = false;
		}
	}
	if (got->trades != want->trades || got->closed != want->closed ||
	    got->wins != want->wins || got->pos != want->pos) {
		print_error("%s, %zu lanes, lane %zu: trades/closed/wins/pos %llu/%llu/%llu/%d, "
			    "reference %llu/%llu/%llu/%d\n", kname, nl, lane,
			    (unsigned long long)got->trades, (unsigned long long)got->closed,
			    (unsigned long long)got->wins, got->pos,
			    (unsigned long long)want->trades, (unsigned long long)want->closed,
			    (unsigned long long)want->wins, want->pos);
		ok = false;
	}
	return ok;
}

/*
 * Lane parameters cycling through the cases that matter: with and without costs, h < e
 * (enter and exit on alternate signals), h > e, h = 0, a threshold that never triggers
 * (h >= 1 > |s|), an exit band of 0 (never exits) and one above 1 (exits on any signal).
 */
static void lane_params(size_t nl, size_t salt, struct sb_trade_params *p)
{
	static const struct { double h, e, f; } cases[] = {
		/* h and e in the signal's unit, 10^-9; f the cost (no exits: all off) */
		{ 0.5e9, 0.1e9, 0.0005 }, { 0.05e9, 0.2e9, 0.0 }, { 0.3e9, 0.05e9, 0.003 },
		{ 1.5e9, 0.1e9, 0.0005 }, { 0.0, 0.1e9, 0.001 }, { 0.2e9, 0.0, 0.0 },
		{ 0.1e9, 1.5e9, 0.0002 }, { 0.7e9, 0.3e9, 0.01 }, { 0.15e9, 0.15e9, 0.0005 },
		{ 2.0e9, 2.0e9, 0.0 }, { 0.4e9, 0.02e9, 0.0 },
	};
	const size_t nc = sizeof(cases) / sizeof(cases[0]);

	for (size_t l = 0; l < nl; l++)
		p[l] = (struct sb_trade_params){ .threshold = cases[(l * 7 + salt) % nc].h,
						 .exit_band = cases[(l * 7 + salt) % nc].e,
						 .cost = cases[(l * 7 + salt) % nc].f };
}

/* (a): every kernel equals an independent per-lane sb_sim_scalar() loop. */
static void test_kernels_bit_identical(void **state)
{
	static const size_t lane_counts[] = { 1, 3, 7, 8, 9, 15, 16, 17, 33 };
	static const struct sb_signal_params sigs[] = {
		{ 0, 5 * MIN_US, 0, { 0 } }, { 600000000, 15 * MIN_US, 2 * MIN_US, { 0 } },
		{ 300000000, MIN_US, 0, { 0 } },
	};
	static const enum sb_kernel kinds[] = {
		SB_KERNEL_SCALAR, SB_KERNEL_GENERIC, SB_KERNEL_AVX512,
	};
	struct fixture *fx = *state;
	double *signal = malloc(N_CANDLES * sizeof(double));
	struct sb_trade_params p[33];
	struct sb_accum want[33], got[33];
	struct sb_errbuf err;
	bool ok = true, avx = have_avx512();
	size_t n_sig = 0;

	assert_non_null(signal);
	if (!avx)
		printf("SKIP: no AVX-512 (the avx512 kernel is not tested)\n");
	for (size_t si = 0; si < sizeof(sigs) / sizeof(sigs[0]); si++) {
		assert_int_equal(sb_mean_signal(&fx->c, &fx->ev, &sigs[si], signal, NULL, NULL,
						     &err), SB_OK);
		n_sig = 0;
		for (size_t i = 0; i < N_CANDLES; i++)
			n_sig += !isnan(signal[i]);
		/* signals exist but not on every candle: holds are exercised too */
		assert_in_range(n_sig, 100, N_CANDLES - 100);
		for (size_t ci = 0; ci < sizeof(lane_counts) / sizeof(lane_counts[0]); ci++) {
			size_t nl = lane_counts[ci];
			uint64_t total_trades = 0;

			lane_params(nl, si + ci, p);
			for (size_t l = 0; l < nl; l++) {
				sb_accum_init(&want[l]);
				sb_sim_scalar(N_CANDLES, fx->c.close, signal, &p[l], &want[l], NULL);
				total_trades += want[l].trades;
			}
			/* the data must exercise the engine: lanes trade, some do not */
			if (nl >= 8)
				assert_true(total_trades > 10 * nl / 2);
			for (size_t ki = 0; ki < sizeof(kinds) / sizeof(kinds[0]); ki++) {
				const char *kname = "?";
				sb_kernel_fn fn;

				if (kinds[ki] == SB_KERNEL_AVX512 && !avx)
					continue;
				fn = sb_kernel_get(kinds[ki], &kname);
				/* the dispatcher gives the kernel asked for */
				assert_string_equal(kname, kinds[ki] == SB_KERNEL_SCALAR ? "scalar" :
							   kinds[ki] == SB_KERNEL_GENERIC ? "generic" :
							   "avx512");
				memset(got, 0xA5, sizeof(got));   /* kernels must initialise out[] */
				fn(N_CANDLES, fx->c.close, signal, p, nl, got);
				for (size_t l = 0; l < nl; l++)
					ok = accum_same(&got[l], &want[l], kname, nl, l) && ok;
			}
		}
	}
	free(signal);
	assert_true(ok);
}

/*
 * The generic and AVX-512 kernels (the latter where the CPU has it) on lanes
 * [0, nl) for nl = nl_min, nl_min + step, ... <= nl_max, each against want[].
 */
static bool kernels_match(size_t n, const double *close, const double *signal,
			  const struct sb_trade_params *p, const struct sb_accum *want,
			  size_t nl_min, size_t nl_max, size_t step)
{
	static const enum sb_kernel kinds[] = { SB_KERNEL_GENERIC, SB_KERNEL_AVX512 };
	struct sb_accum got[64];
	bool ok = true, avx = have_avx512();

	assert_true(nl_max <= 64);
	for (size_t ki = 0; ki < 2; ki++) {
		const char *kname;
		sb_kernel_fn fn;

		if (kinds[ki] == SB_KERNEL_AVX512 && !avx)
			continue;
		fn = sb_kernel_get(kinds[ki], &kname);
		for (size_t nl = nl_min; nl <= nl_max; nl += step) {
			memset(got, 0xA5, sizeof(got));   /* kernels must initialise out[] */
			fn(n, close, signal, p, nl, got);
			for (size_t l = 0; l < nl; l++)
				ok = accum_same(&got[l], &want[l], kname, nl, l) && ok;
		}
	}
	return ok;
}

/* A synthetic signal with long flat stretches, huge moves and NaN gaps. */
static void test_kernels_synthetic_signal(void **state)
{
	struct fixture *fx = *state;
	double *signal = malloc(N_CANDLES * sizeof(double));
	struct sb_trade_params p[17];
	struct sb_accum want[17];
	bool ok;

	assert_non_null(signal);
	rng_state = 7;
	for (size_t i = 0; i < N_CANDLES; i++) {
		double u = rng_unit();

		signal[i] = u < 0.6 ? NAN : (rng_unit() * 2.0 - 1.0);
		if ((i / 500) % 2 == 1)
			signal[i] = NAN;            /* long stretches with no signal */
	}
	lane_params(17, 3, p);
	for (size_t l = 0; l < 17; l++) {
		sb_accum_init(&want[l]);
		sb_sim_scalar(N_CANDLES, fx->c.close, signal, &p[l], &want[l], NULL);
	}
	ok = kernels_match(N_CANDLES, fx->c.close, signal, p, want, 17, 17, 1);
	free(signal);
	assert_true(ok);
}

/*
 * Many transitions (issue 11): a signal drawn independently on every candle, so lanes
 * enter and exit every few candles and the lanes of one block move on different
 * candles; thresholds spread over the whole range of |s| as a sweep's are, h < e,
 * h == e and h > e among them, and NaN gaps.  Every kernel against sb_sim_scalar().
 */
static void test_kernels_many_transitions(void **state)
{
	enum { NL = 41 };
	struct fixture *fx = *state;
	double *signal = malloc(N_CANDLES * sizeof(double));
	struct sb_trade_params p[NL];
	struct sb_accum want[NL];
	static const double bands[] = { 0.1e9, 0.0, 0.5e9, 0.05e9 };
	bool ok;
	uint64_t trades = 0;

	assert_non_null(signal);
	rng_state = 11;
	for (size_t i = 0; i < N_CANDLES; i++) {
		/* multiples of 10^-4 in 10^-9 units, as mean scores are; a third missing */
		double u = rng_unit();

		signal[i] = u < 0.3 ? NAN : round((rng_unit() * 2.0 - 1.0) * 1e4) * 1e5;
	}
	for (size_t l = 0; l < NL; l++) {
		p[l] = (struct sb_trade_params){ .threshold = (double)(l * 25) * 1e6, /* 0 .. 1.0 */
						 .exit_band = bands[l % 4],
						 .cost = l % 3 ? 0.0005 : 0.0 };
		sb_accum_init(&want[l]);
		sb_sim_scalar(N_CANDLES, fx->c.close, signal, &p[l], &want[l], NULL);
		trades += want[l].trades;
	}
	/* the shape this test is for: on average a trade every few candles per lane */
	assert_true(trades > (uint64_t)NL * N_CANDLES / 20);
	/* 1, 9, 17, 25, 33, 41 lanes */
	ok = kernels_match(N_CANDLES, fx->c.close, signal, p, want, 1, NL, 8);
	free(signal);
	assert_true(ok);
}

/*
 * The word kernel (kern_avx512.c) works 64 candles at a time: every length around a
 * word's end, a first candle that moves, words with no signal at all (skipped) next
 * to words where every candle moves, negative thresholds (always in), one exit band
 * for every lane and one per lane, h < e and h > e.  Every kernel against
 * sb_sim_scalar().
 */
static void test_kernels_word_edges(void **state)
{
	enum { NL = 19 };
	static const size_t lengths[] = { 1, 2, 63, 64, 65, 127, 128, 129, 191, 640, 1000 };
	struct fixture *fx = *state;
	double *signal = malloc(N_CANDLES * sizeof(double));
	struct sb_trade_params p[NL];
	struct sb_accum want[NL];
	bool ok = true;

	assert_non_null(signal);
	rng_state = 23;
	for (size_t i = 0; i < N_CANDLES; i++) {
		/* words 2-3 without a signal; elsewhere a move on most candles */
		signal[i] = (i / 64) % 8 == 2 || (i / 64) % 8 == 3 ? NAN :
			    round((rng_unit() * 2.0 - 1.0) * 1e4) * 1e5;
	}
	signal[0] = 0.9e9;                  /* the first candle moves */
	for (int same_band = 0; same_band < 2; same_band++) {
		for (size_t l = 0; l < NL; l++)
			p[l] = (struct sb_trade_params){
				.threshold = ((double)l - 3.0) * 0.06e9,    /* -0.18 .. 0.9 */
				.exit_band = same_band ? 0.1e9 : (double)(l % 5) * 0.07e9,
				.cost = l % 2 ? 0.0005 : 0.0 };
		for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
			for (size_t l = 0; l < NL; l++) {
				sb_accum_init(&want[l]);
				sb_sim_scalar(lengths[k], fx->c.close, signal, &p[l], &want[l], NULL);
			}
			ok = kernels_match(lengths[k], fx->c.close, signal, p, want, NL, NL, 1) && ok;
		}
	}
	free(signal);
	assert_true(ok);
}

/*
 * Thresholds as ranks (kern_avx512.c, struct rank_grid): with one exit band for every
 * lane and integer thresholds in an arithmetic progression, the AVX-512 kernel decides
 * |s| > h by comparing ranks in bytes.  Signals on and next to every threshold (equal,
 * +-1/2, +-1, the doubles either side), below the first and above the last, 0, -0,
 * NaN, +-infinity and 1e300; sets of thresholds that form a grid (the sweep's 91,
 * negative ones, one value repeated, a NaN threshold among them, 254 values, values
 * near 2^52) and sets that do not (255 values, uneven steps, fractions, a step above
 * 2^40), each against sb_sim_scalar() lane by lane.
 */
static void test_kernels_threshold_ranks(void **state)
{
	enum { N = 1500, NL_MAX = 300, NSETS = 10 };
	struct fixture *fx = *state;
	double *signal = malloc(N * sizeof(double));
	struct sb_trade_params *p = calloc(NL_MAX, sizeof(*p));
	struct sb_accum *want = calloc(NL_MAX, sizeof(*want)), *got = calloc(NL_MAX, sizeof(*got));
	bool ok = true;

	assert_non_null(signal);
	assert_non_null(p);
	assert_non_null(want);
	assert_non_null(got);
	if (!have_avx512()) {
		free(signal), free(p), free(want), free(got);
		skip();
	}
	for (int set = 0; set < NSETS; set++) {
		size_t nl = 0;
		uint64_t trades;
		double lo, hi;

		/* the thresholds, in the signal's unit (10^-9) */
		switch (set) {
		case 0:                          /* the sweep's 0.05:0.95:0.01 */
			for (; nl < 91; nl++)
				p[nl].threshold = (double)(5 + nl) * 1e7;
			break;
		case 1:                          /* negative ones, and a NaN threshold */
			for (; nl < 13; nl++)
				p[nl].threshold = nl == 6 ? NAN : ((double)nl - 4.0) * 0.1e9;
			break;
		case 2:                          /* one value, repeated */
			for (; nl < 9; nl++)
				p[nl].threshold = 0.3e9;
			break;
		case 3:                          /* 254 values: still a grid */
		case 4:                          /* 255 values: too many for bytes */
			for (; nl < (set == 3 ? 254u : 255u); nl++)
				p[nl].threshold = (double)nl * 3.0e6;
			break;
		case 5:                          /* uneven steps */
			for (; nl < 11; nl++)
				p[nl].threshold = (double)(nl * nl) * 1e7;
			break;
		case 6:                          /* fractions of the unit */
			for (; nl < 11; nl++)
				p[nl].threshold = (double)nl * 0.1e9 + 0.25;
			break;
		case 7:                          /* a step above 2^40 */
			for (; nl < 5; nl++)
				p[nl].threshold = (double)nl * 0x1p41;
			break;
		case 8:                          /* near 2^52, a step of 1 */
			for (; nl < 17; nl++)
				p[nl].threshold = 0x1p52 - 20.0 + (double)nl;
			break;
		default:                         /* the same grid, lanes in reverse order */
			for (; nl < 91; nl++)
				p[nl].threshold = (double)(95 - nl) * 1e7;
			break;
		}
		lo = hi = 0.0;
		for (size_t l = 0; l < nl; l++) {
			p[l].exit_band = 0.04e9;
			p[l].cost = l % 2 ? 0.0005 : 0.0;
			if (!isnan(p[l].threshold)) {
				lo = l == 0 || p[l].threshold < lo ? p[l].threshold : lo;
				hi = l == 0 || p[l].threshold > hi ? p[l].threshold : hi;
			}
		}
		rng_state = 41 + (uint64_t)set;
		for (size_t i = 0; i < N; i++) {
			double h = p[rng_next() % nl].threshold, u = rng_unit();

			if (isnan(h))
				h = lo;
			signal[i] = u < 0.12 ? h : u < 0.2 ? nextafter(h, INFINITY) :
				    u < 0.28 ? nextafter(h, -INFINITY) : u < 0.34 ? h + 0.5 :
				    u < 0.40 ? h - 0.5 : u < 0.44 ? h + 1.0 : u < 0.48 ? h - 1.0 :
				    u < 0.52 ? lo - 1.0 : u < 0.56 ? nextafter(hi, INFINITY) :
				    u < 0.58 ? 0.0 : u < 0.60 ? -0.0 : u < 0.63 ? NAN :
				    u < 0.64 ? INFINITY : u < 0.65 ? -INFINITY : u < 0.66 ? 1e300 :
				    u < 0.80 ? 0.0 : h * 1.0000001;
			if (rng_unit() < 0.5)
				signal[i] = -signal[i];  /* shorts: |s| the same */
		}
		trades = 0;
		for (size_t l = 0; l < nl; l++) {
			sb_accum_init(&want[l]);
			sb_sim_scalar(N, fx->c.close, signal, &p[l], &want[l], NULL);
			trades += want[l].trades;
		}
		assert_true(trades > nl * 20);  /* every set trades */
		memset(got, 0xA5, NL_MAX * sizeof(*got));
		sb_kernel_avx512(N, fx->c.close, signal, p, nl, got);
		for (size_t l = 0; l < nl; l++)
			ok = accum_same(&got[l], &want[l], "avx512 (ranks)", nl, l) && ok;
	}
	free(signal);
	free(p);
	free(want);
	free(got);
	assert_true(ok);
}

/*
 * Prices that triple and crash again and again: shorts lose more than the whole book,
 * cash turns negative and the book is ruined (no more entries).  The kernels must
 * still equal the scalar path, and some lane must indeed be ruined.
 */
static void test_kernels_ruinous_prices(void **state)
{
	enum { N = 4000, NL = 17 };
	double *close = malloc(N * sizeof(double)), *signal = malloc(N * sizeof(double));
	struct sb_trade_params p[NL];
	struct sb_accum want[NL];
	bool ok;
	int ruined = 0;

	(void)state;
	assert_non_null(close);
	assert_non_null(signal);
	rng_state = 11;
	for (size_t i = 0; i < N; i++) {
		close[i] = 100.0 * (1.0 + 2.5 * (0.5 + 0.5 * sin((double)i / 40.0))) *
			   (0.9 + 0.2 * rng_unit());
		signal[i] = rng_unit() < 0.3 ? NAN : (rng_unit() * 2.0 - 1.0) * 1e9;
	}
	lane_params(NL, 5, p);
	for (size_t l = 0; l < NL; l++) {
		sb_accum_init(&want[l]);
		sb_sim_scalar(N, close, signal, &p[l], &want[l], NULL);
		ruined += !(want[l].cash > 0.0) && want[l].pos == 0;
	}
	assert_true(ruined > 0);
	ok = kernels_match(N, close, signal, p, want, NL, NL, 1);
	free(close);
	free(signal);
	assert_true(ok);
}

/*
 * Thresholds and exit bands the grid never makes but the kernel contract covers: NaN
 * (never enters / never exits), negative, zero, infinite, on prices that ruin some
 * lanes, so the word kernel falls back to its branchy kernel.  A NaN threshold in the
 * first lane of a block once made that fallback skip every candle (its lowest
 * threshold started from the first lane's and a NaN stays NaN).  Lengths across
 * partial words, 1 to 4 pairs of blocks (odd counts too).
 */
static void test_kernels_odd_thresholds(void **state)
{
	enum { N = 700, NL = 37 };
	static const double hs[] = { NAN, -0.3e9, 0.0, 0.2e9, INFINITY, 0.6e9, -INFINITY };
	static const double es[] = { 0.1e9, NAN, 0.5e9, -0.2e9, INFINITY, 0.0 };
	static const size_t lengths[] = { 0, 1, 65, 130, N };
	double *close = malloc(N * sizeof(double)), *signal = malloc(N * sizeof(double));
	struct sb_trade_params p[NL];
	struct sb_accum want[NL];
	bool ok = true;
	int ruined = 0;

	(void)state;
	assert_non_null(close);
	assert_non_null(signal);
	rng_state = 31;
	for (size_t i = 0; i < N; i++) {
		close[i] = 100.0 * (1.0 + 2.5 * (0.5 + 0.5 * sin((double)i / 9.0))) *
			   (0.9 + 0.2 * rng_unit());
		signal[i] = rng_unit() < 0.3 ? NAN : (rng_unit() * 2.0 - 1.0) * 1e9;
	}
	for (size_t l = 0; l < NL; l++)
		p[l] = (struct sb_trade_params){ .threshold = hs[l % 7], .exit_band = es[l % 6],
						 .cost = l % 3 ? 0.004 : 0.0 };
	for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
		for (size_t l = 0; l < NL; l++) {
			sb_accum_init(&want[l]);
			sb_sim_scalar(lengths[k], close, signal, &p[l], &want[l], NULL);
			ruined += !(want[l].cash > 0.0) && want[l].pos == 0;
		}
		ok = kernels_match(lengths[k], close, signal, p, want, 1, NL, 4) && ok;
	}
	assert_true(ruined > 0);
	free(close);
	free(signal);
	assert_true(ok);
}

/*
 * Fees that eat the book: after hundreds of trades at 60 % the cash is subnormal and
 * an entry's units round to 0, so a short holds -0 units (the scalar path negates
 * them) and a position is open with q == 0: pos must still say long or short.
 */
static void test_kernels_cash_underflow(void **state)
{
	enum { N = 6000, NL = 19 };
	double *close = malloc(N * sizeof(double)), *signal = malloc(N * sizeof(double));
	struct sb_trade_params p[NL];
	struct sb_accum want[NL];
	bool ok;
	int tiny = 0;

	(void)state;
	assert_non_null(close);
	assert_non_null(signal);
	rng_state = 41;
	for (size_t i = 0; i < N; i++) {
		close[i] = 100.0 * (1.0 + 0.001 * rng_unit());
		signal[i] = rng_unit() < 0.1 ? NAN : (rng_unit() * 2.0 - 1.0) * 1e9;
	}
	for (size_t l = 0; l < NL; l++) {
		p[l] = (struct sb_trade_params){ .threshold = (double)(l % 4) * 0.1e9,
						 .exit_band = (double)(1 + l % 3) * 0.2e9,
						 .cost = 0.6 + 0.05 * (double)(l % 7) };
		sb_accum_init(&want[l]);
		sb_sim_scalar(N, close, signal, &p[l], &want[l], NULL);
		tiny += want[l].pos != 0 && want[l].q == 0.0;
	}
	assert_true(tiny > 0);                  /* open with no units */
	ok = kernels_match(N, close, signal, p, want, 1, NL, 6);
	free(close);
	free(signal);
	assert_true(ok);
}

static void grid_build(struct sb_grid *g, const char *const spec[SB_N_AXES])
{
	struct sb_errbuf err = { "" };

	memset(g, 0, sizeof(*g));
	for (int k = 0; k < SB_N_AXES; k++) {
		bool dur = k == SB_AX_WINDOW || k == SB_AX_LATENCY;

		if (sb_axis_parse(&g->ax[k], sb_axis_names[k], spec[k], dur, &err)) {
			print_error("%s: %s\n", sb_axis_names[k], err.msg);
			fail();
		}
	}
	if (sb_grid_finish(g, &err)) {
		print_error("%s\n", err.msg);
		fail();
	}
}

/*
 * (b): m[id] equals sb_backtest_recorded() for every id, and m is byte-identical for
 * 1..4 threads and every kernel.
 */
static void run_sweep_checks(struct fixture *fx, const char *const spec[SB_N_AXES],
			     size_t want_count, size_t want_groups)
{
	static const enum sb_kernel kinds[] = {
		SB_KERNEL_SCALAR, SB_KERNEL_GENERIC, SB_KERNEL_AVX512, SB_KERNEL_AUTO,
	};
	struct sb_grid g;
	struct sb_metrics *ref, *m;
	struct sb_sweep_opts o = { 0 };
	struct sb_sweep_stats st;
	struct sb_errbuf err;
	size_t bad = 0, traded = 0;
	bool avx = have_avx512();

	grid_build(&g, spec);
	assert_int_equal(g.count, want_count);
	ref = calloc(g.count, sizeof(*ref));
	m = calloc(g.count, sizeof(*m));
	assert_non_null(ref);
	assert_non_null(m);

	o.kernel = SB_KERNEL_SCALAR;
	o.threads = 1;
	assert_int_equal(sb_sweep_run(&fx->c, &fx->ev, &g, &o, ref, &st, &err), SB_OK);
	assert_int_equal(st.groups, want_groups);
	for (size_t id = 0; id < g.count; id++) {
		struct sb_combo combo;
		struct sb_recorder rec;
		struct sb_metrics bm;

		sb_grid_combo(&g, id, &combo);
		assert_int_equal(sb_backtest_recorded(&fx->c, &fx->ev, &combo, &rec, &bm, &err),
				 SB_OK);
		sb_recorder_release(&rec);
		traded += bm.trades > 0;
		if (memcmp(&bm, &ref[id], sizeof(bm)) != 0) {
			if (bad++ < 5)
				print_error("id %zu: sweep total_return %.17g final %.17g trades %llu; "
					    "backtest %.17g %.17g %llu\n", id, ref[id].total_return,
					    ref[id].final_equity, (unsigned long long)ref[id].trades,
					    bm.total_return, bm.final_equity,
					    (unsigned long long)bm.trades);
		}
	}
	if (bad)
		print_error("%zu of %zu combinations differ from sb_backtest_recorded\n", bad,
			    g.count);
	assert_int_equal(bad, 0);
	assert_true(traded > g.count / 4);       /* most combinations do trade */

	for (size_t ki = 0; ki < sizeof(kinds) / sizeof(kinds[0]); ki++) {
		if (kinds[ki] == SB_KERNEL_AVX512 && !avx)
			continue;
		for (int t = 1; t <= 4; t++) {
			memset(m, 0x5A, g.count * sizeof(*m));
			o.kernel = kinds[ki];
			o.threads = t;
			assert_int_equal(sb_sweep_run(&fx->c, &fx->ev, &g, &o, m, &st, &err), SB_OK);
			if (memcmp(m, ref, g.count * sizeof(*m)) != 0) {
				size_t id = 0;

				while (memcmp(&m[id], &ref[id], sizeof(*m)) == 0)
					id++;
				print_error("kernel %s, %d threads: m[%zu] differs from the scalar "
					    "1-thread run (final %.17g vs %.17g)\n", st.kernel, t, id,
					    m[id].final_equity, ref[id].final_equity);
				fail();
			}
		}
	}
	/* OpenMP's default thread count too */
	o.kernel = SB_KERNEL_AUTO;
	o.threads = 0;
	assert_int_equal(sb_sweep_run(&fx->c, &fx->ev, &g, &o, m, &st, &err), SB_OK);
	assert_memory_equal(m, ref, g.count * sizeof(*m));

	/*
	 * sb_sweep_run_parts() (the MPI ranks' share): the odd groups cut into lane ranges
	 * (3 and the rest), the parts in reverse order, on 2 threads; the other groups are
	 * not run and their rows stay untouched.
	 */
	{
		size_t n_groups, n_lanes, n_parts = 0, id;
		struct sb_sweep_part parts[256];
		struct sb_metrics poison;

		sb_sweep_shape(&g, &n_groups, &n_lanes);
		const size_t cut = n_lanes > 3 ? 3 : n_lanes / 2;    /* 0: one part per group */

		assert_true(n_groups * 2 <= 256);
		for (size_t gr = n_groups; gr-- > 0;)
			if (gr % 2) {
				parts[n_parts++] = (struct sb_sweep_part){ gr, cut, n_lanes - cut };
				if (cut)
					parts[n_parts++] = (struct sb_sweep_part){ gr, 0, cut };
			}
		memset(m, 0x5A, g.count * sizeof(*m));
		memset(&poison, 0x5A, sizeof(poison));
		o.threads = 2;
		assert_int_equal(sb_sweep_run_parts(&fx->c, &fx->ev, &g, &o, parts, n_parts, m, &st,
						    &err), SB_OK);
		for (size_t gr = 0; gr < n_groups; gr++)
			for (size_t l = 0; l < n_lanes; l++) {
				id = sb_sweep_combo_id(&g, gr, l);
				assert_memory_equal(&m[id], gr % 2 ? &ref[id] : &poison, sizeof(*m));
			}
		if (n_parts) {
			parts[0].lane_count = n_lanes + 1;     /* past the last lane */
			assert_int_equal(sb_sweep_run_parts(&fx->c, &fx->ev, &g, &o, parts, n_parts,
							    m, &st, &err), SB_EINVAL);
		}
		assert_int_equal(sb_sweep_run_parts(&fx->c, &fx->ev, &g, &o, parts, 0, m, &st, &err),
				 SB_OK);
	}
	free(ref);
	free(m);
	sb_grid_release(&g);
}

static void test_sweep_matches_backtest(void **state)
{
	/* 5 x 3 x 2 x 1 = 30 lanes (3 blocks of 8 and one of 6); 3 x 2 x 2 = 12 groups */
	static const char *const spec[SB_N_AXES] = {
		"0.05,0.2,0.35,0.6,1.5", "0,0.5,0.8", "1m,5m", "0.02,0.1,0.3", "0,10", "0",
		"0s,2m",
	};

	run_sweep_checks(*state, spec, 5 * 3 * 2 * 3 * 2 * 1 * 2, 12);
}

static void test_sweep_small_lane_counts(void **state)
{
	/* 9 lanes (a block of 8 and one of 1), 2 x 3 x 1 = 6 groups */
	static const char *const spec[SB_N_AXES] = {
		"0.1:0.5:0.2", "0.2,0.7", "1m,3m,10m", "0.05:0.25:0.1", "4", "1", "1m",
	};
	/* 3 lanes (one partial block), 4 groups, with a range on min_confidence */
	static const char *const spec3[SB_N_AXES] = {
		"0.25", "0.1:0.4:0.1", "2m", "0.05", "0,5,20", "0", "0s",
	};

	run_sweep_checks(*state, spec, 3 * 2 * 3 * 3, 6);
	run_sweep_checks(*state, spec3, 4 * 3, 4);
}

/*
 * (c): a hand-computed combination inside a sweep.  Four 1m candles closing 100, 120,
 * 150, 140; two articles, both confidence 0.9: a1 in candle 0 (score 0.8), a2 in candle
 * 1 (score 0.05).  fee 2000 bps + slippage 500 bps: f = 0.25, chosen so that every
 * step is exact in binary.
 *
 * threshold 0.5, k 0.5, W 1m, e 0.1: signal 0.8, 0.05, -, -.
 *   candle 0: long, q = 10000 / (100 * 1.25) = 80, cash = 10000 - (8000 + 2000) = 0,
 *             E = 80 * 100 = 8000
 *   candle 1: |0.05| < 0.1: exit, amt = 80 * 120 = 9600, fee 2400, cash = E = 7200
 *   candles 2, 3: flat, E = 7200.  final 7200, 1 trade closed, a loss, exposure 1/4,
 *             max drawdown 1 - 7200/10000.
 * W 1m, e 0.01: 0.05 is no exit; open at the end: E = 80 * 140 = 11200.
 * W 2m, e 0.1: windows [i-1, i]: signal 0.8, (0.8 + 0.05)/2 = 0.425, 0.05, -: exit at
 *   candle 2: amt = 80 * 150 = 12000, fee 3000, cash = 9000.
 * W 2m, e 0.01: open at the end, 11200.
 * threshold 0.9 (0.8 never > 0.9) or k 0.95 (no article counts): no trade, 10000.
 */
static void test_sweep_hand_case(void **state)
{
	static const char *const spec[SB_N_AXES] = {
		"0.5,0.9", "0.5,0.95", "1m,2m", "0.01,0.1", "2000", "500", "0s",
	};
	static const double close[4] = { 100, 120, 150, 140 };
	int64_t t[2] = { T0 + 30 * SB_US_PER_SEC, T0 + MIN_US + 45 * SB_US_PER_SEC };
	int32_t score[2] = { 800000000, 50000000 }, conf[2] = { 900000000, 900000000 };
	struct sb_candles c;
	struct sb_events ev = { 2, t, score, conf };
	struct sb_grid g;
	struct sb_metrics m[16];
	struct sb_sweep_opts o = { 0 };
	struct sb_errbuf err;

	(void)state;
	sb_candles_init(&c);
	assert_int_equal(sb_candles_alloc(&c, 4, &err), SB_OK);
	c.t0_us = T0;
	c.interval_us = MIN_US;
	memcpy(c.close, close, sizeof(close));
	grid_build(&g, spec);
	assert_int_equal(g.count, 16);
	for (int k = 0; k < 3; k++) {
		static const enum sb_kernel kinds[] = {
			SB_KERNEL_SCALAR, SB_KERNEL_GENERIC, SB_KERNEL_AVX512,
		};

		if (kinds[k] == SB_KERNEL_AVX512 && !have_avx512())
			continue;
		o.kernel = kinds[k];
		o.threads = 2;
		assert_int_equal(sb_sweep_run(&c, &ev, &g, &o, m, NULL, &err), SB_OK);
		/* id = t*8 + k*4 + W*2 + e   (e index 0 = 0.01, 1 = 0.1) */
		for (size_t id = 0; id < 16; id++) {
			size_t ti = id / 8, ki = id / 4 % 2, wi = id / 2 % 2, ei = id % 2;
			double want = 10000.0;

			if (ti == 0 && ki == 0)
				want = ei == 0 ? 11200.0 : wi == 0 ? 7200.0 : 9000.0;
			if (m[id].final_equity != want) {
				print_error("kernel %d, id %zu: final_equity %.17g, want %.17g\n", k, id,
					    m[id].final_equity, want);
				fail();
			}
			assert_int_equal(m[id].trades, want == 10000.0 ? 0 : 1);
		}
		/* id 1: t 0.5, k 0.5, W 1m, e 0.1 in full */
		assert_true(m[1].total_return == 7200.0 / 10000.0 - 1.0);
		assert_int_equal(m[1].closed_trades, 1);
		assert_true(m[1].win_rate == 0.0);
		assert_true(m[1].exposure == 0.25);
		assert_true(m[1].max_drawdown == 1.0 - 7200.0 / 10000.0);
		assert_true(m[1].profit_factor == 0.0);    /* no gross win over a 2800 loss */
		/* id 0: open at the end, no closed trade */
		assert_int_equal(m[0].closed_trades, 0);
		assert_true(isnan(m[0].win_rate));
		assert_true(m[0].exposure == 1.0);
	}
	sb_grid_release(&g);
	sb_candles_release(&c);
}

/* A window that is not a whole number of candles fails cleanly, with a message. */
static void test_sweep_bad_window(void **state)
{
	static const char *const spec[SB_N_AXES] = {
		"0.5", "0.5", "90s", "0.1", "5", "0", "0s",
	};
	struct fixture *fx = *state;
	struct sb_grid g;
	struct sb_metrics m[1];
	struct sb_sweep_opts o = { 0 };
	struct sb_errbuf err = { "" };

	grid_build(&g, spec);
	o.threads = 2;
	assert_int_equal(sb_sweep_run(&fx->c, &fx->ev, &g, &o, m, NULL, &err), SB_EINVAL);
	assert_non_null(strstr(err.msg, "window"));
	sb_grid_release(&g);
}

/*
 * Kernel dispatch (issue 10): kern_avx512.c is compiled for AVX-512F and DQ, so auto
 * may pick it only when the CPU has both.  The feature list is the one the target
 * attribute is built from; the CPU's flags are read independently from /proc/cpuinfo.
 */
static void test_kernel_dispatch_features(void **state)
{
	char line[8192], flags[8192] = "", feats[64], *save = NULL;
	bool all = true;
	const char *name;
	FILE *f;

	(void)state;
	assert_string_equal(sb_kernel_avx512_features, "avx512f,avx512dq,avx512bw");
	sb_kernel_get(SB_KERNEL_AUTO, &name);
	assert_string_equal(name, sb_kernel_avx512_supported() ? "avx512" : "generic");
#if defined(__x86_64__) && defined(__GNUC__)
	f = fopen("/proc/cpuinfo", "r");
	if (!f) {
		printf("SKIP: no /proc/cpuinfo, CPU flags not cross-checked\n");
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			snprintf(flags, sizeof(flags), " %s", strchr(line, ':') + 1);
			break;
		}
	fclose(f);
	flags[strcspn(flags, "\n")] = ' ';
	snprintf(feats, sizeof(feats), "%s", sb_kernel_avx512_features);
	for (char *t = strtok_r(feats, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char want[80];

		snprintf(want, sizeof(want), " %s ", t);
		all = all && strstr(flags, want) != NULL;
	}
	assert_int_equal(sb_kernel_avx512_supported(), all);
	printf("CPU has %s: %s\n", sb_kernel_avx512_features, all ? "yes" : "no");
#else
	assert_false(sb_kernel_avx512_supported());
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_dispatch_features),
		cmocka_unit_test(test_kernels_bit_identical),
		cmocka_unit_test(test_kernels_synthetic_signal),
		cmocka_unit_test(test_kernels_many_transitions),
		cmocka_unit_test(test_kernels_word_edges),
		cmocka_unit_test(test_kernels_threshold_ranks),
		cmocka_unit_test(test_kernels_ruinous_prices),
		cmocka_unit_test(test_kernels_odd_thresholds),
		cmocka_unit_test(test_kernels_cash_underflow),
		cmocka_unit_test(test_sweep_matches_backtest),
		cmocka_unit_test(test_sweep_small_lane_counts),
		cmocka_unit_test(test_sweep_hand_case),
		cmocka_unit_test(test_sweep_bad_window),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
