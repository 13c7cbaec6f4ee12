/* test_grid.c - sb_axis_parse (values, lists, ranges, errors), grid size and grid order */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../engine/grid.h"

#define MIN_US (INT64_C(60) * SB_US_PER_SEC)

/*
 * A decimal value of the grid (10^-9 units) is exactly the decimal 'want' as typed
 * ("0.82"), printed back the same way.
 */
#define SAME(got, want) same_((got), (want), #got, __FILE__, __LINE__)
static void same_(int64_t got, const char *want, const char *what, const char *file, int line)
{
	char buf[SB_DEC_LEN];

	if (strcmp(sb_dec_format(got, buf), want) != 0) {
		print_error("%s = %lld units (%s), want exactly %s\n", what, (long long)got, buf,
			    want);
		_fail(file, line);
	}
}

/* Bitwise equality of doubles. */
#define SAME_D(got, want) do { double g_ = (got), w_ = (want); \
	if (memcmp(&g_, &w_, sizeof(double)) != 0) { \
		print_error("%s = %.17g, want exactly %.17g\n", #got, g_, w_); \
		_fail(__FILE__, __LINE__); } } while (0)

static void parse_ok(struct sb_axis *a, const char *spec, bool dur)
{
	struct sb_errbuf err = { "" };
	enum sb_err rc = sb_axis_parse(a, "threshold", spec, dur, &err);

	if (rc != SB_OK) {
		print_error("'%s': rc %d, message '%s'\n", spec, (int)rc, err.msg);
		fail();
	}
	assert_int_equal(a->is_duration, dur);
}

/*
 * spec must fail with SB_EINVAL, a message naming the option, and an empty axis.
 * Returns false (after printing why) otherwise, so a test can report every bad case.
 */
static bool rejects(const char *name, const char *spec, bool dur, int line)
{
	struct sb_errbuf err = { "" };
	struct sb_axis a;
	char opt[64];
	enum sb_err rc = sb_axis_parse(&a, name, spec, dur, &err);

	snprintf(opt, sizeof(opt), "--%s", name);
	if (rc != SB_EINVAL) {
		print_error("line %d: '%s' (--%s): rc %d, want SB_EINVAL (%d); %zu values\n", line,
			    spec, name, (int)rc, (int)SB_EINVAL, rc == SB_OK ? a.n : 0);
		if (rc == SB_OK)
			free(a.v);
		return false;
	}
	if (!strstr(err.msg, opt)) {
		print_error("line %d: '%s': message '%s' does not name %s\n", line, spec, err.msg,
			    opt);
		return false;
	}
	if (a.n != 0 || a.v != NULL) {
		print_error("line %d: '%s': axis not left empty on error\n", line, spec);
		return false;
	}
	return true;
}

#define parse_bad(name, spec, dur) do { if (!rejects((name), (spec), (dur), __LINE__)) \
	_fail(__FILE__, __LINE__); } while (0)
/* Checks without stopping; the test fails at its end if any case failed. */
#define check_bad(ok, name, spec, dur) ((ok) = rejects((name), (spec), (dur), __LINE__) && (ok))

static void test_single_value(void **state)
{
	struct sb_axis a;

	(void)state;
	parse_ok(&a, "0.25", false);
	assert_int_equal(a.n, 1);
	SAME(a.v[0], "0.25");
	assert_int_equal(a.v[0], 250000000);
	free(a.v);
	parse_ok(&a, "-1e-3", false);
	assert_int_equal(a.n, 1);
	SAME(a.v[0], "-0.001");
	free(a.v);
	parse_ok(&a, "0.82", false);
	assert_int_equal(a.v[0], 820000000);
	free(a.v);
}

static void test_list(void **state)
{
	struct sb_axis a;

	(void)state;
	parse_ok(&a, "0.9,0.1,0.5", false);     /* order kept as given */
	assert_int_equal(a.n, 3);
	SAME(a.v[0], "0.9");
	SAME(a.v[1], "0.1");
	SAME(a.v[2], "0.5");
	free(a.v);
}

/* A list's items may be ranges: "0,0.01:0.03:0.01" is 0, 0.01, 0.02, 0.03 in that order. */
static void test_list_of_ranges(void **state)
{
	static const char *const want[] = { "0", "0.01", "0.02", "0.03", "0.5", "0.7", "0.9" };
	struct sb_axis a;
	bool ok = true;

	(void)state;
	parse_ok(&a, "0,0.01:0.03:0.01,0.5:0.9:0.2", false);
	assert_int_equal(a.n, 7);
	for (size_t n = 0; n < 7; n++)
		SAME(a.v[n], want[n]);
	free(a.v);
	parse_ok(&a, "0m,1h:4h:1h", true);
	assert_int_equal(a.n, 5);
	assert_int_equal(a.v[0], 0);
	assert_int_equal(a.v[4], 4 * 3600 * SB_US_PER_SEC);
	free(a.v);
	check_bad(ok, "stop-loss", "0.01,0.01:0.03:0.01", false);   /* 0.01 twice */
	check_bad(ok, "threshold", "0.1,0.5:0.2:0.1", false);       /* stop below start */
	check_bad(ok, "threshold", "0.1,0.2:0.4", false);           /* no step */
	check_bad(ok, "window", "5m,1m:3m:1m:1m", true);
	assert_true(ok);
}

/*
 * 0.05:0.95:0.01 is exactly the 91 decimals a person reads: 0.05, 0.06, ... 0.82, ...
 * 0.95, each printed as such.  In binary floating point, 0.05 + 77 * 0.01 is
 * 0.8200000000000001: the test shows that, which is why ranges are built on integers.
 */
static void test_range_91(void **state)
{
	struct sb_axis a;
	char want[16];

	(void)state;
	assert_true(0.05 + 77.0 * 0.01 != 0.82);
	parse_ok(&a, "0.05:0.95:0.01", false);
	assert_int_equal(a.n, 91);
	for (size_t n = 0; n < 91; n++) {
		assert_int_equal(a.v[n], 50000000 + (int64_t)n * 10000000);
		snprintf(want, sizeof(want), "0.%02zu", 5 + n);
		if (want[3] == '0')
			want[3] = '\0';               /* "0.10" is written "0.1" */
		SAME(a.v[n], want);
	}
	SAME(a.v[77], "0.82");
	free(a.v);

	parse_ok(&a, "0.50:0.99:0.01", false);
	assert_int_equal(a.n, 50);
	SAME(a.v[0], "0.5");
	SAME(a.v[49], "0.99");
	free(a.v);

	/* The stop is included whenever it lies on the step grid (floating point would
	 * give (0.3 - 0.1) / 0.1 = 1.9999999999999998 and lose it without a fudge). */
	parse_ok(&a, "0.1:0.3:0.1", false);
	assert_int_equal(a.n, 3);
	SAME(a.v[2], "0.3");
	free(a.v);
	parse_ok(&a, "0.3:0.3:0.1", false);
	assert_int_equal(a.n, 1);
	SAME(a.v[0], "0.3");
	free(a.v);
	parse_ok(&a, "0:1:0.3", false);          /* 0, 0.3, 0.6, 0.9 (1.2 > 1) */
	assert_int_equal(a.n, 4);
	SAME(a.v[3], "0.9");
	free(a.v);
	/* Nine decimals are exact, a tenth is refused rather than rounded. */
	parse_ok(&a, "0.000000001:0.000000003:0.000000001", false);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.v[2], 3);
	free(a.v);
}

static void test_durations(void **state)
{
	struct sb_axis a;

	(void)state;
	parse_ok(&a, "1m:10m:1m", true);
	assert_int_equal(a.n, 10);
	for (size_t n = 0; n < 10; n++)
		assert_int_equal(a.v[n], (int64_t)(n + 1) * MIN_US);
	free(a.v);
	parse_ok(&a, "5m,15m", true);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.v[0], 300 * SB_US_PER_SEC);
	assert_int_equal(a.v[1], 900 * SB_US_PER_SEC);
	free(a.v);
	parse_ok(&a, "0", true);                 /* a bare 0 is a duration */
	assert_int_equal(a.n, 1);
	assert_int_equal(a.v[0], 0);
	free(a.v);
	parse_ok(&a, "30s,1h,250ms", true);
	assert_int_equal(a.v[0], 30 * SB_US_PER_SEC);
	assert_int_equal(a.v[1], 3600 * SB_US_PER_SEC);
	{
		char buf[SB_DEC_LEN];

		assert_string_equal(sb_axis_format(&a, a.v[1], buf), "3600");
		assert_string_equal(sb_axis_format(&a, a.v[2], buf), "0.25");
	}
	free(a.v);
}

static void test_errors(void **state)
{
	(void)state;
	/* step <= 0 */
	parse_bad("threshold", "0.1:0.5:0", false);
	parse_bad("threshold", "0.1:0.5:-0.1", false);
	parse_bad("window", "1m:10m:0", true);
	/* stop < start */
	parse_bad("threshold", "0.5:0.1:0.1", false);
	parse_bad("window", "10m:1m:1m", true);
	/* garbage */
	parse_bad("threshold", "abc", false);
	parse_bad("threshold", "0.1x", false);
	parse_bad("threshold", "0.1:abc:0.1", false);
	parse_bad("threshold", "0.1:0.5", false);
	parse_bad("threshold", "nan", false);
	parse_bad("threshold", "inf", false);
	parse_bad("threshold", "0.1234567891", false);     /* a 10th decimal */
	parse_bad("threshold", "0.1:0.5:0.0000000001", false);
	parse_bad("threshold", "1e10", false);             /* beyond 10^9 */
	parse_bad("window", "5", true);          /* a bare number is no duration */
	parse_bad("window", "5x", true);
	parse_bad("window", "-5m", true);
	parse_bad("min_confidence", "0.5;0.7", false);
	/* empty items */
	parse_bad("threshold", "", false);
	parse_bad("threshold", ",", false);
	parse_bad("window", ":", true);
	/* duplicates */
	parse_bad("threshold", "0.1,0.1", false);
	parse_bad("threshold", "0.1,0.2,0.10", false);
	parse_bad("window", "5m,300s", true);
	parse_bad("fee_bps", "0,-0", false);
}

/*
 * A list item that is empty is a typo ("0.1,,0.2" or a trailing comma), not something
 * to skip silently: it must fail like any other bad item.
 */
static void test_empty_list_item(void **state)
{
	bool ok = true;

	(void)state;
	check_bad(ok, "threshold", "0.1,,0.2", false);
	check_bad(ok, "threshold", "0.1,", false);
	check_bad(ok, "threshold", ",0.1", false);
	check_bad(ok, "window", "5m,,15m", true);
	assert_true(ok);
}

/* "a:b:c:d" is not a range: the fourth part must not be dropped silently. */
static void test_range_extra_part(void **state)
{
	bool ok = true;

	(void)state;
	check_bad(ok, "threshold", "0.1:0.5:0.1:0.9", false);
	check_bad(ok, "threshold", "0.1:0.5:0.1:", false);
	check_bad(ok, "window", "1m:10m:1m:5m", true);
	assert_true(ok);
}

/* Builds a grid from specs in axis order; NULL means the single value "0". */
static void grid_build(struct sb_grid *g, const char *const spec[SB_N_AXES])
{
	memset(g, 0, sizeof(*g));
	for (int k = 0; k < SB_N_AXES; k++) {
		bool dur = k == SB_AX_WINDOW || k == SB_AX_LATENCY;
		struct sb_errbuf err = { "" };

		if (sb_axis_parse(&g->ax[k], sb_axis_names[k], spec[k] ? spec[k] : "0", dur, &err)) {
			print_error("axis %s: %s\n", sb_axis_names[k], err.msg);
			fail();
		}
	}
}

static void test_grid_count_and_order(void **state)
{
	/* sizes: threshold 3, min_confidence 2, window 2, exit 1, fee 1, slippage 1, latency 3 */
	static const char *const spec[SB_N_AXES] = {
		"0.1,0.2,0.3", "0.5,0.9", "1m,5m", "0.05", "5", "2", "0s,1m,2m",
	};
	struct sb_grid g;
	struct sb_combo c;
	struct sb_errbuf err = { "" };

	(void)state;
	grid_build(&g, spec);
	assert_int_equal(sb_grid_finish(&g, &err), SB_OK);
	assert_int_equal(g.count, 3 * 2 * 2 * 1 * 1 * 1 * 3);

	/* id 0: every first value */
	sb_grid_combo(&g, 0, &c);
	SAME(c.threshold, "0.1");
	SAME(c.min_confidence, "0.5");
	assert_int_equal(c.window_us, MIN_US);
	SAME(c.exit_band, "0.05");
	SAME(c.fee_bps, "5");
	SAME(c.slippage_bps, "2");
	assert_int_equal(c.latency_us, 0);

	/* id 1: latency (last axis) moves first */
	sb_grid_combo(&g, 1, &c);
	SAME(c.threshold, "0.1");
	SAME(c.min_confidence, "0.5");
	assert_int_equal(c.window_us, MIN_US);
	assert_int_equal(c.latency_us, MIN_US);

	/* id 3 = window index 1, latency 0: window varies next (exit/fee/slip have 1 value) */
	sb_grid_combo(&g, 3, &c);
	SAME(c.threshold, "0.1");
	SAME(c.min_confidence, "0.5");
	assert_int_equal(c.window_us, 5 * MIN_US);
	assert_int_equal(c.latency_us, 0);

	/* id 6 = min_confidence index 1 (block of 2 windows x 3 latencies) */
	sb_grid_combo(&g, 6, &c);
	SAME(c.threshold, "0.1");
	SAME(c.min_confidence, "0.9");
	assert_int_equal(c.window_us, MIN_US);
	assert_int_equal(c.latency_us, 0);

	/* id 12 = threshold index 1 (block of 2 x 2 x 3 = 12): threshold varies slowest */
	sb_grid_combo(&g, 12, &c);
	SAME(c.threshold, "0.2");
	SAME(c.min_confidence, "0.5");
	assert_int_equal(c.window_us, MIN_US);
	assert_int_equal(c.latency_us, 0);

	/* id 23 = 1*12 + 1*6 + 1*3 + 2: threshold 0.2, k 0.9, 5m, 2m */
	sb_grid_combo(&g, 23, &c);
	SAME(c.threshold, "0.2");
	SAME(c.min_confidence, "0.9");
	assert_int_equal(c.window_us, 5 * MIN_US);
	assert_int_equal(c.latency_us, 2 * MIN_US);

	/* id 35: every last value */
	sb_grid_combo(&g, 35, &c);
	SAME(c.threshold, "0.3");
	SAME(c.min_confidence, "0.9");
	assert_int_equal(c.window_us, 5 * MIN_US);
	assert_int_equal(c.latency_us, 2 * MIN_US);
	sb_grid_release(&g);
	assert_null(g.ax[0].v);
	assert_int_equal(g.count, 0);
	sb_grid_release(&g);                     /* safe twice */
}

/* With every axis larger than one, each axis has the stride the column order gives. */
static void test_grid_strides(void **state)
{
	static const char *const spec[SB_N_AXES] = {
		"1,2", "3,4", "1m,2m", "5,6", "7,8", "9,10", "0s,1s",
	};
	struct sb_grid g;
	struct sb_combo c;
	struct sb_errbuf err = { "" };

	(void)state;
	grid_build(&g, spec);
	assert_int_equal(sb_grid_finish(&g, &err), SB_OK);
	assert_int_equal(g.count, 128);
	/* id = t*64 + k*32 + w*16 + e*8 + f*4 + s*2 + L */
	sb_grid_combo(&g, 2, &c);
	SAME(c.slippage_bps, "10");
	assert_int_equal(c.latency_us, 0);
	sb_grid_combo(&g, 4, &c);
	SAME(c.fee_bps, "8");
	SAME(c.slippage_bps, "9");
	sb_grid_combo(&g, 8, &c);
	SAME(c.exit_band, "6");
	SAME(c.fee_bps, "7");
	sb_grid_combo(&g, 16, &c);
	assert_int_equal(c.window_us, 2 * MIN_US);
	SAME(c.exit_band, "5");
	sb_grid_combo(&g, 32, &c);
	SAME(c.min_confidence, "4");
	assert_int_equal(c.window_us, MIN_US);
	sb_grid_combo(&g, 64 + 32 + 8 + 1, &c);
	SAME(c.threshold, "2");
	SAME(c.min_confidence, "4");
	assert_int_equal(c.window_us, MIN_US);
	SAME(c.exit_band, "6");
	SAME(c.fee_bps, "7");
	SAME(c.slippage_bps, "9");
	assert_int_equal(c.latency_us, SB_US_PER_SEC);
	sb_grid_release(&g);
}

static void test_grid_finish_empty_axis(void **state)
{
	struct sb_grid g;
	struct sb_errbuf err = { "" };

	(void)state;
	memset(&g, 0, sizeof(g));
	for (int k = 0; k < SB_N_AXES; k++)
		if (k != SB_AX_EXIT_BAND)
			assert_int_equal(sb_axis_parse(&g.ax[k], sb_axis_names[k], "0",
						       k == SB_AX_WINDOW || k == SB_AX_LATENCY, &err),
					 SB_OK);
	assert_int_equal(sb_grid_finish(&g, &err), SB_EINVAL);
	assert_non_null(strstr(err.msg, "--exit-band"));
	sb_grid_release(&g);
}

static void test_combo_params(void **state)
{
	/* 0.4, 0.6, 0.05, 7 bps, 3 bps in 10^-9 units */
	struct sb_combo c = { .threshold = 400000000, .min_confidence = 600000000,
			      .exit_band = 50000000, .fee_bps = INT64_C(7000000000),
			      .slippage_bps = INT64_C(3000000000), .window_us = 5 * MIN_US,
			      .latency_us = 30 * SB_US_PER_SEC, .extra = { 77, 88 } };
	struct sb_signal_params sp;
	struct sb_trade_params tp;

	(void)state;
	sb_combo_signal_params(&c, &sp);
	sb_combo_trade_params(&c, &tp);
	assert_int_equal(sp.min_conf_e9, 600000000);
	assert_int_equal(sp.window_us, 5 * MIN_US);
	assert_int_equal(sp.latency_us, 30 * SB_US_PER_SEC);
	assert_int_equal(sp.extra[0], 77);      /* the strategy's axes reach its signal */
	assert_int_equal(sp.extra[1], 88);
	SAME_D(tp.threshold, 400000000.0);      /* in the signal's 10^-9 units */
	SAME_D(tp.exit_band, 50000000.0);
	SAME_D(tp.cost, 0.001);                  /* (7 + 3) / 10^4 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_value),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_of_ranges),
		cmocka_unit_test(test_range_91),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_empty_list_item),
		cmocka_unit_test(test_range_extra_part),
		cmocka_unit_test(test_grid_count_and_order),
		cmocka_unit_test(test_grid_strides),
		cmocka_unit_test(test_grid_finish_empty_axis),
		cmocka_unit_test(test_combo_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
