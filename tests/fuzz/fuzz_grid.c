/* fuzz_grid.c - parameter values: sb_axis_parse() (decimal and duration axes),
 * sb_axis_parse_candles() (--max-hold: candles or durations) and sb_dec_parse(), on the
 * input as a NUL-terminated string
 *
 * What is checked: a parsed axis has distinct values within the type's bounds, a
 * failure leaves it empty with a message, and every value prints (sb_axis_format, as
 * summary.csv and manifests show it) as a decimal that reads back exactly; on a candle
 * axis, values typed as counts are whole candles.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/grid.h"

/* candle_us > 0: a --max-hold axis of candles that long (is_duration then) */
static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static void axis(const char *spec, bool is_duration, int64_t candle_us)
{
	struct sb_errbuf err = { { 0 } };
	struct sb_axis a;
	enum sb_err rc = candle_us > 0
			 ? sb_axis_parse_candles(&a, "max-hold", spec, candle_us, &err)
			 : sb_axis_parse(&a, is_duration ? "window" : "threshold", spec,
					 is_duration, &err);

	FZ_CHECK_ERR(rc, err);
	if (rc) {
		FZ_CHECK(a.n == 0 && !a.v);
		return;
	}
	FZ_CHECK(a.n > 0 && a.v && a.is_duration == is_duration);
	{   /* every value once, whatever the list (sorted copy: a range may hold 10^6) */
		int64_t *s = malloc(a.n * sizeof(*s));

		FZ_CHECK(s != NULL);
		memcpy(s, a.v, a.n * sizeof(*s));
		qsort(s, a.n, sizeof(*s), cmp_i64);
		for (size_t i = 1; i < a.n; i++)
			FZ_CHECK(s[i - 1] != s[i]);
		free(s);
	}
	for (size_t i = 0; i < a.n; i++) {
		if (is_duration)
			FZ_CHECK(a.v[i] >= 0 && a.v[i] <= SB_DURATION_MAX_US);
		if (a.in_candles)
			FZ_CHECK(candle_us > 0 && a.v[i] % candle_us == 0);
		else
			FZ_CHECK(a.v[i] >= -SB_DEC_MAX_UNITS && a.v[i] <= SB_DEC_MAX_UNITS);
		/* a lone range ascends (a list of values and ranges: distinct, below) */
		if (strchr(spec, ':') && !strchr(spec, ','))
			FZ_CHECK(i == 0 || a.v[i - 1] < a.v[i]);
		/* a range may hold 10^6 values: print the ends only; sb_dec_parse takes
		 * up to 10^9, durations go to 100 years (3.2 * 10^9 s) */
		if ((i < 64 || a.n - i <= 64) &&
		    (!is_duration || a.v[i] <= SB_DEC_MAX_UNITS / 1000)) {
			char out[SB_DEC_LEN];
			int64_t back;

			/* durations print in seconds: 1 us is 1000 units of 10^-9 */
			FZ_CHECK(sb_dec_parse(sb_axis_format(&a, a.v[i], out), &back));
			FZ_CHECK(back == (is_duration ? a.v[i] * 1000 : a.v[i]));
		}
	}
	free(a.v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = fz_str(data, size);
	int64_t v;

	axis(s, false, 0);
	axis(s, true, 0);
	axis(s, true, 60 * SB_US_PER_SEC);
	axis(s, true, 7 * SB_US_PER_SEC);
	if (sb_dec_parse(s, &v)) {
		char out[SB_DEC_LEN];
		int64_t back;

		FZ_CHECK(v >= -SB_DEC_MAX_UNITS && v <= SB_DEC_MAX_UNITS);
		FZ_CHECK(sb_dec_parse(sb_dec_format(v, out), &back) && back == v);
	}
	return 0;
}
