/* test_placebo.c - placebo article sets: what they keep, what they break, reproducibly */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../run/run.h"

#define T0 INT64_C(1704067200000000)
#define D  (60 * SB_US_PER_SEC)
#define N  7

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/*
 * 10 one-minute candles (span 600 s); 7 articles.  A placebo set must keep the
 * multiset of scores, move every time by the same offset modulo the span (so the
 * gaps between articles, modulo the span, are kept), keep each confidence with its
 * (shifted) time, come out sorted, and be the same for the same seed and set number.
 */
static void test_placebo_invariants(void **state)
{
	int64_t t[N] = { T0 + 5 * SB_US_PER_SEC, T0 + 70 * SB_US_PER_SEC, T0 + 70 * SB_US_PER_SEC,
			 T0 + 200 * SB_US_PER_SEC, T0 + 310 * SB_US_PER_SEC,
			 T0 + 480 * SB_US_PER_SEC, T0 + 599 * SB_US_PER_SEC };
	int32_t s[N] = { 100000000, -200000000, 300000000, 400000000, -500000000, 600000000,
			 700000000 };
	int32_t k[N] = { 10, 20, 30, 40, 50, 60, 70 };
	struct sb_events ev = { N, t, s, k };
	int64_t t2[N], t3[N];
	int32_t s2[N], k2[N], s3[N], k3[N], sa[N], sb[N];
	struct sb_events out = { N, t2, s2, k2 }, again = { N, t3, s3, k3 };
	struct sb_candles c;
	int64_t off, off2;
	const int64_t span = 10 * D;
	int moved = 0;

	(void)state;
	sb_candles_init(&c);
	assert_int_equal(sb_candles_alloc(&c, 10, NULL), SB_OK);
	c.t0_us = T0;
	c.interval_us = D;
	for (size_t which = 0; which < 5; which++) {
		assert_int_equal(sb_placebo_events(&ev, &c, 42, which, &out, &off, NULL), SB_OK);
		assert_true(off >= 0 && off < span);
		/* the same scores, permuted */
		memcpy(sa, s, sizeof(sa));
		memcpy(sb, s2, sizeof(sb));
		qsort(sa, N, sizeof(int32_t), cmp_i32);
		qsort(sb, N, sizeof(int32_t), cmp_i32);
		assert_memory_equal(sa, sb, sizeof(sa));
		/* every time shifted by 'off' modulo the span, its confidence with it */
		for (size_t i = 0; i < N; i++) {
			int64_t want = T0 + (t[i] - T0 + off) % span;
			size_t j = 0;

			while (j < N && !(t2[j] == want && k2[j] == k[i]))
				j++;
			assert_true(j < N);
			moved += t2[j] != t[i];
		}
		for (size_t i = 1; i < N; i++)
			assert_true(t2[i - 1] <= t2[i]);
		/* reproducible */
		assert_int_equal(sb_placebo_events(&ev, &c, 42, which, &again, &off2, NULL), SB_OK);
		assert_true(off2 == off);
		assert_memory_equal(t3, t2, sizeof(t2));
		assert_memory_equal(s3, s2, sizeof(s2));
	}
	assert_true(moved > 0);
	/* another seed, another set */
	assert_int_equal(sb_placebo_events(&ev, &c, 43, 0, &again, &off2, NULL), SB_OK);
	assert_int_equal(sb_placebo_events(&ev, &c, 42, 0, &out, &off, NULL), SB_OK);
	assert_true(off != off2 || memcmp(s2, s3, sizeof(s2)) != 0);
	sb_candles_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placebo_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
