/* test_decimal.c - exact decimals: parsing as typed, rounding of binary inputs, printing */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../core/decimal.h"

static void parses(const char *s, int64_t want)
{
	int64_t v = -12345;

	if (!sb_dec_parse(s, &v) || v != want) {
		print_error("'%s' -> %lld, want %lld\n", s, (long long)v, (long long)want);
		fail();
	}
}

static void refuses(const char *s)
{
	int64_t v;

	if (sb_dec_parse(s, &v)) {
		print_error("'%s' parsed as %lld, want a refusal\n", s, (long long)v);
		fail();
	}
}

static void test_parse(void **state)
{
	(void)state;
	parses("0.82", 820000000);
	parses("0.820", 820000000);
	parses("+0.5", 500000000);
	parses("-0.5", -500000000);
	parses(".5", 500000000);
	parses("5.", INT64_C(5000000000));
	parses("5", INT64_C(5000000000));
	parses("0", 0);
	parses("-0", 0);
	parses("1e-3", 1000000);
	parses("2.5E-1", 250000000);
	parses("0.000000001", 1);
	parses("0.0000000010000", 1);
	parses("1000000000", INT64_C(1000000000000000000));       /* 10^9, the largest */
	parses("0.00000000000000000000000000000000000000000000", 0);
	parses("12345678.9", INT64_C(12345678900000000));
	refuses("0.0000000001");           /* a 10th decimal */
	refuses("0.1234567891");
	refuses("1000000000.1");           /* beyond 10^9 */
	refuses("1e10");
	refuses("");
	refuses(".");
	refuses("-");
	refuses("e5");
	refuses("1e");
	refuses("1e+");
	refuses("0.5x");
	refuses(" 0.5");
	refuses("nan");
	refuses("inf");
	refuses("0x1p-1");
	refuses("1e99999999999");
}

/* Every decimal of at most 9 decimals in [-1, 1] read as a double comes back exactly. */
static void test_from_double_exact(void **state)
{
	char buf[64];
	bool rounded;
	uint64_t x = 88172645463325252u;

	(void)state;
	/* all 1, 2, 3 decimals, and random 9-decimal values */
	for (int64_t k = -1000; k <= 1000; k++) {
		snprintf(buf, sizeof(buf), "%.3f", (double)k / 1000.0);
		assert_int_equal(sb_dec_from_double(strtod(buf, NULL), &rounded), k * 1000000);
		assert_false(rounded);
	}
	for (int i = 0; i < 200000; i++) {
		int64_t u;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		u = (int64_t)(x % 2000000001u) - 1000000000;
		snprintf(buf, sizeof(buf), "%s%lld.%09lld", u < 0 ? "-" : "", (long long)(llabs(u) / 1000000000),
			 (long long)(llabs(u) % 1000000000));
		if (sb_dec_from_double(strtod(buf, NULL), &rounded) != u || rounded) {
			print_error("'%s' -> %lld\n", buf, (long long)sb_dec_from_double(strtod(buf, NULL), NULL));
			fail();
		}
	}
	/* the double next to 0.3 is still 0.3: 0.1 + 0.2 */
	assert_int_equal(sb_dec_from_double(0.1 + 0.2, &rounded), 300000000);
	assert_false(rounded);
	/* more than 9 decimals: rounded to the nearest and said so */
	assert_int_equal(sb_dec_from_double(0.998557984828949, &rounded), 998557985);
	assert_true(rounded);
	assert_int_equal(sb_dec_from_double(1.0 / 3.0, &rounded), 333333333);
	assert_true(rounded);
	assert_int_equal(sb_dec_from_double(-2.0 / 3.0, &rounded), -666666667);
	assert_true(rounded);
}

static void test_format(void **state)
{
	char buf[SB_DEC_LEN];

	(void)state;
	assert_string_equal(sb_dec_format(820000000, buf), "0.82");
	assert_string_equal(sb_dec_format(-500000000, buf), "-0.5");
	assert_string_equal(sb_dec_format(0, buf), "0");
	assert_string_equal(sb_dec_format(1, buf), "0.000000001");
	assert_string_equal(sb_dec_format(INT64_C(3000000000), buf), "3");
	assert_string_equal(sb_dec_format(INT64_C(12345678900000000), buf), "12345678.9");
	assert_string_equal(sb_dec_format(INT64_MIN + 1, buf), "-9223372036.854775807");
	/* printing then parsing gives the same units */
	for (int64_t v = -2000000; v <= 2000000; v += 997) {
		int64_t back;

		assert_true(sb_dec_parse(sb_dec_format(v * 499, buf), &back));
		assert_int_equal(back, v * 499);
	}
	assert_true(sb_dec_to_double(820000000) == 0.82);
	assert_true(sb_dec_to_double(-1) == -1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_from_double_exact),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
