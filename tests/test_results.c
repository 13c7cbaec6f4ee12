/* test_results.c - the exact fixed-point formatter of the curve writers, against printf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../engine/results.h"

/*
 * The reference: glibc's printf("%.*f"), which rounds the exact binary value (ties to
 * even), then the house form: trailing zeros and point dropped, "-0" printed as "0".
 */
static void reference(double v, int d, char *out, size_t cap)
{
	size_t n;

	snprintf(out, cap, "%.*f", d, v);
	n = strlen(out);
	if (strchr(out, '.')) {
		while (out[n - 1] == '0')
			out[--n] = '\0';
		if (out[n - 1] == '.')
			out[--n] = '\0';
	}
	if (!strcmp(out, "-0"))
		strcpy(out, "0");
}

static uint64_t rng = 12345;
static uint64_t next(void)
{
	uint64_t z = (rng += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static int check(double v, int d)
{
	char got[SB_NUM_LEN], want[512];
	size_t len = sb_fmt_fixed_exact(v, d, got);

	if (fabs(v) * pow(10.0, d) < 9.0e18)
		reference(v, d, want, sizeof(want));
	else                           /* beyond 64-bit fixed point: the shortest exact text */
		sb_fmt_num(v, want);
	if (strcmp(got, want) != 0 || len != strlen(got)) {
		print_error("%.17g at %d decimals: got '%s', printf gives '%s'\n", v, d, got, want);
		return 1;
	}
	return 0;
}

static void test_fixed_edge_cases(void **state)
{
	static const double v[] = {
		0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, -0.625, 1e-9, -1e-9,
		5e-9, 4.9999999999999e-9, 0.00000000499, 1e-13, -1e-300, 4.9e-324, -4.9e-324,
		2.2250738585072014e-308, 0.1, 0.2, 0.3, 0.7, 1.005, 2.675, 1.0000000005,
		123456789.123456789, 9.0e9, 8.99999999e9, 99999999.999999995, 9.2e10, 1e11,
		4503599627370496.0, 4503599627370497.0, 9007199254740993.0, 9e17, 8.99e18,
		20000.125, 10000.00005, 10000.00015, 0.44167904499999999, 0.000000005,
		0.000000015, 0.000000025, 0.5e-8, 1.5e-8,
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (int d = 0; d <= 12; d++)
			bad += check(v[i], d);
	assert_int_equal(bad, 0);
}

/* Random bit patterns over the range the fast path takes, and exact decimal ties. */
static void test_fixed_random_against_printf(void **state)
{
	int bad = 0;

	(void)state;
	for (int k = 0; k < 200000 && bad < 10; k++) {
		uint64_t r = next();
		int d = (int)(next() % 13);
		double v;

		switch (k % 4) {
		case 0:            /* any double of magnitude 2^-40 .. 2^40 */
			v = ldexp((double)(r >> 11) / 9007199254740992.0 + 0.5,
				  (int)(next() % 81) - 40);
			break;
		case 1:            /* a price or an equity with a few decimals, as curves hold */
			v = (double)(r % 100000000000) / 10000.0;
			break;
		case 2:            /* halfway cases at d decimals (exact when representable) */
			v = ((double)(r % 2000000) + 0.5) / pow(10.0, d);
			break;
		default:           /* raw bits: subnormals, huge values, NaN, inf fall back */
			memcpy(&v, &r, sizeof(v));
			if (isnan(v) || isinf(v) || fabs(v) * pow(10.0, d) >= 9.0e18)
				continue;
			break;
		}
		if (next() & 1)
			v = -v;
		bad += check(v, d);
	}
	assert_int_equal(bad, 0);
}

/* Out of the fixed-point range: the shortest exact text, as summary.csv writes. */
static void test_fixed_fallback(void **state)
{
	char got[SB_NUM_LEN];

	(void)state;
	sb_fmt_fixed_exact(1e300, 4, got);
	assert_string_equal(got, "1e+300");
	sb_fmt_fixed_exact(NAN, 4, got);
	assert_string_equal(got, "nan");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_edge_cases),
		cmocka_unit_test(test_fixed_random_against_printf),
		cmocka_unit_test(test_fixed_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
