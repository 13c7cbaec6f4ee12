/* test_report.c - the report's pieces with no gnuplot or browser: the min/max decimation
 * of curves (checked bucket by bucket against a brute-force scan), the colour scale
 * (good is blue whichever way the metric points) and durations as text.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../report/gnuplot.h"
#include "../report/page.h"
#include "../report/sweep.h"

/* A seeded random walk with spikes and NaN gaps. */
static void walk(double *y, size_t n, unsigned seed)
{
	double v = 100;

	srand(seed);
	for (size_t i = 0; i < n; i++) {
		v += (double)(rand() % 2001 - 1000) / 1000.0;
		y[i] = rand() % 997 == 0 ? v * 3 : rand() % 501 == 0 ? NAN : v;
	}
}

/* Every bucket's first and last row and each series' min and max rows are kept, by a
 * scan over each bucket's time range; nothing else is. */
static void test_decimate_envelope(void **state)
{
	enum { N = 100000, M = 3, B = 500 };
	double *t = malloc(N * sizeof(*t)), *y[M];
	unsigned char *keep = malloc(N), *want = calloc(N, 1);
	size_t kept, nwant = 0;

	(void)state;
	for (int k = 0; k < M; k++) {
		y[k] = malloc(N * sizeof(double));
		walk(y[k], N, 7u + (unsigned)k);
	}
	for (size_t i = 0; i < N; i++)
		t[i] = 1672531200.0 + 60.0 * (double)i + (i > N / 2 ? 86400.0 : 0);  /* a gap */
	kept = sb_decimate(N, t, (const double *const *)y, M, B, keep);
	for (int b = 0; b < B; b++) {
		size_t first = SIZE_MAX, last = 0;
		double lo = t[0] + (t[N - 1] - t[0]) * b / B, hi = t[0] + (t[N - 1] - t[0]) * (b + 1) / B;

		for (size_t i = 0; i < N; i++)
			if (t[i] >= lo && t[i] < hi) {
				first = first == SIZE_MAX ? i : first;
				last = i;
			}
		if (first == SIZE_MAX)
			continue;
		want[first] = want[last] = 1;
		for (int k = 0; k < M; k++) {
			size_t imin = SIZE_MAX, imax = SIZE_MAX;

			for (size_t i = first; i <= last; i++) {
				if (isnan(y[k][i]))
					continue;
				if (imin == SIZE_MAX || y[k][i] < y[k][imin])
					imin = i;
				if (imax == SIZE_MAX || y[k][i] > y[k][imax])
					imax = i;
			}
			if (imin != SIZE_MAX)
				want[imin] = want[imax] = 1;
		}
	}
	want[N - 1] = 1;          /* the last row: a bucket of its own */
	for (size_t i = 0; i < N; i++) {
		nwant += want[i];
		if (want[i] != keep[i])
			fail_msg("row %zu: kept %d, want %d", i, keep[i], want[i]);
	}
	assert_int_equal(kept, nwant);
	assert_true(kept <= (size_t)B * (2 * M + 2));
	assert_true(kept < N / 10);
	for (int k = 0; k < M; k++)
		free(y[k]);
	free(t);
	free(keep);
	free(want);
}

/* Short curves are kept whole. */
static void test_decimate_short(void **state)
{
	double t[10], v[10];
	const double *y[1] = { v };
	unsigned char keep[10];

	(void)state;
	for (int i = 0; i < 10; i++) {
		t[i] = i;
		v[i] = i % 3;
	}
	assert_int_equal(sb_decimate(10, t, y, 1, 3, keep), 10);   /* 10 <= 4 x 3 */
}

/* A summary table of nrow rows: id, threshold, total_return, then column 'last'. */
static struct sb_table table4(double *v, size_t nrow, char *last)
{
	static char id[] = "id", th[] = "threshold", tr[] = "total_return";
	struct sb_table t = { .ncol = 4, .nrow = nrow, .v = v };

	t.names[0] = id;
	t.names[1] = th;
	t.names[2] = tr;
	t.names[3] = last;
	return t;
}

/* The best end of the scale is the same blue for a metric where higher is better and
 * for one where lower is (max_drawdown), and labels on it are white. */
static void test_colour_direction(void **state)
{
	double v[] = { 0, 0.1, 0.5, 0.01, 1, 0.2, 1.5, 0.05, 2, 0.3, 2.5, 0.09 };
	static char dd[] = "max_drawdown";
	struct sb_table t = table4(v, 3, dd);
	struct sb_sweep s;
	char best[8], worst[8], best_dd[8];
	bool dark;

	(void)state;
	assert_int_equal(sb_sweep_init(&s, &t, "total_return", NULL, NULL), SB_OK);
	assert_int_equal(s.nax, 1);
	assert_false(s.diverging);               /* all positive: one-sided scale */
	sb_sweep_colour(&s, sb_sweep_value(&s, 2), best, &dark);
	assert_true(dark);
	sb_sweep_colour(&s, sb_sweep_value(&s, 0), worst, &dark);
	assert_false(dark);
	sb_sweep_release(&s);
	assert_int_equal(sb_sweep_init(&s, &t, "max_drawdown", NULL, NULL), SB_OK);
	assert_int_equal(s.dir, -1);
	sb_sweep_colour(&s, sb_sweep_value(&s, 0), best_dd, &dark);   /* lowest drawdown */
	assert_string_equal(best_dd, best);
	assert_int_equal((int)s.best, 0);
	sb_sweep_release(&s);
}

/*
 * A diverging scale has two slopes: with values from -40 to +16 the best cell is the
 * full blue and the worst the full red (not a pale blue on a scale of +-40), zero white.
 */
static void test_colour_two_slopes(void **state)
{
	double v[] = { 0, 0.1, 0, -40, 1, 0.2, 0, -10, 2, 0.3, 0, 0, 3, 0.4, 0, 4, 4, 0.5, 0, 16 };
	static char sh[] = "sharpe";
	struct sb_table t = table4(v, 5, sh);
	struct sb_sweep s;
	char c[8];
	bool dark;

	(void)state;
	assert_int_equal(sb_sweep_init(&s, &t, "sharpe", NULL, NULL), SB_OK);
	assert_true(s.diverging);
	/* the 98th percentile of -40 -10 0 4 16 is 16 - 0.08 * 12 = 15.04: 16 is clipped */
	sb_sweep_colour(&s, 16, c, &dark);
	assert_string_equal(c, "#2166ac");
	sb_sweep_colour(&s, -40, c, &dark);
	assert_string_equal(c, "#b2182b");
	sb_sweep_colour(&s, 0, c, &dark);
	assert_string_equal(c, "#f7f7f7");
	sb_sweep_colour(&s, s.hi / 2, c, &dark);    /* halfway up the positive side */
	assert_string_equal(c, "#67a9cf");
	sb_sweep_release(&s);
}

static void test_durations(void **state)
{
	char b[32];

	(void)state;
	sb_fmt_duration(300, b, sizeof(b));
	assert_string_equal(b, "5m");
	sb_fmt_duration(3600, b, sizeof(b));
	assert_string_equal(b, "1h");
	sb_fmt_duration(90, b, sizeof(b));
	assert_string_equal(b, "90s");
	sb_fmt_duration(0, b, sizeof(b));
	assert_string_equal(b, "0");
	assert_true(sb_column_is_duration("window"));
	assert_true(sb_column_is_duration("half_life"));    /* a strategy's axis */
	assert_false(sb_column_is_duration("threshold"));
}

/*
 * Chart titles broken into lines (sb_gp_wrap): no line longer than the width unless one
 * word is, the words and their order kept (lines joined by spaces give the text back),
 * a short text unchanged, a line break in the text read as a space.
 */
static void test_title_wrap(void **state)
{
	const char *longer = "other axes at the best combination's values: window=1h; "
			     "outlined: the best; grey: no value; colours clipped at the 2nd and "
			     "98th percentiles, and then some more words to make it longer";
	char word[300], out[SB_GP_TEXT_MAX], back[SB_GP_TEXT_MAX];
	size_t lines = 1, len = 0;

	(void)state;
	sb_gp_wrap("Backtest: equity", out, sizeof(out));
	assert_string_equal(out, "Backtest: equity");
	sb_gp_wrap("two\nlines", out, sizeof(out));
	assert_string_equal(out, "two lines");
	sb_gp_wrap(longer, out, sizeof(out));
	for (const char *p = out; *p; p++) {
		if (*p == '\n') {
			lines++;
			len = 0;
			continue;
		}
		assert_true(++len <= SB_GP_TEXT_WIDTH);
	}
	assert_int_equal(lines, 2);
	strcpy(back, out);
	for (char *p = back; *p; p++)
		if (*p == '\n')
			*p = ' ';
	assert_string_equal(back, longer);
	/* one word longer than a line stays whole */
	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	sb_gp_wrap(word, out, sizeof(out));
	assert_string_equal(out, word);
	/* cut to the room given */
	sb_gp_wrap(longer, out, 11);
	assert_string_equal(out, "other axes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimate_envelope),
		cmocka_unit_test(test_decimate_short),
		cmocka_unit_test(test_colour_direction),
		cmocka_unit_test(test_colour_two_slopes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_title_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
