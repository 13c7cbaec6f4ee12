/* common.c - error formatting, time formatting, durations */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>

enum sb_err sb_errf(struct sb_errbuf *e, enum sb_err code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void sb_format_time(int64_t t_us, char out[SB_TIME_LEN])
{
	int64_t sec = sb_floordiv(t_us, SB_US_PER_SEC);
	int64_t frac = t_us - sec * SB_US_PER_SEC;
	time_t tt = (time_t)sec;
	struct tm tm;

	gmtime_r(&tt, &tm);
	if (frac)
		snprintf(out, SB_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
	else
		snprintf(out, SB_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool sb_parse_duration(const char *s, int64_t *us)
{
	static const struct { const char *unit; int64_t mult; } units[] = {
		{ "us", 1 }, { "ms", 1000 }, { "s", SB_US_PER_SEC },
		{ "m", 60 * SB_US_PER_SEC }, { "h", 3600 * SB_US_PER_SEC },
		{ "d", SB_US_PER_DAY },
	};
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	v = strtoll(s, &end, 10);
	if (*end == '\0') {
		if (v != 0)
			return false;           /* a bare number is ambiguous unless 0 */
		*us = 0;
		return true;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			/* At most 100 years: times plus durations stay far from overflow. */
			if (v > SB_DURATION_MAX_US / units[i].mult)
				return false;
			*us = (int64_t)v * units[i].mult;
			return true;
		}
	}
	return false;
}

void *sb_aligned_alloc(size_t n_bytes)
{
	const size_t huge = (size_t)2 << 20;
	size_t rounded = (n_bytes + 63) / 64 * 64;
	void *p;

	if (rounded == 0)
		rounded = 64;
	/*
	 * Arrays of a year of minutes (MBs each) in transparent huge pages where the
	 * system gives them on request: a first touch then faults once per 2 MB instead
	 * of once per 4 KB (page faults cost a sweep a tenth of its time in a VM,
	 * docs/performance.md).  Only the whole huge pages inside the array are asked
	 * for, so no memory is added.
	 */
	if (posix_memalign(&p, rounded >= huge ? huge : 64, rounded) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (rounded >= huge)
		madvise(p, rounded / huge * huge, MADV_HUGEPAGE);
#endif
	memset(p, 0, rounded);
	return p;
}

const char *sb_fmt_num(double v, char out[SB_NUM_LEN])
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, SB_NUM_LEN, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return out;
}

enum sb_err sb_mkdirs(const char *path, struct sb_errbuf *err)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return sb_errf(err, SB_EINVAL, "path too long: %s", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;

			*p = '\0';
			if (mkdir(buf, 0777) != 0 && errno != EEXIST)
				return sb_errf(err, SB_EIO, "%s: cannot create folder: %s", buf,
					       strerror(errno));
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	return SB_OK;
}

size_t sb_fmt_fixed(double v, int decimals, char out[SB_NUM_LEN])
{
	static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
					1e11, 1e12 };
	char digits[32];
	size_t len = 0, nd = 0;
	double scaled;
	uint64_t x, ip, fp, div;
	int d = decimals < 0 ? 0 : decimals > 12 ? 12 : decimals;

	scaled = fabs(v) * pow10[d];
	if (!(scaled < 9.0e18)) {              /* also NaN and inf */
		sb_fmt_num(v, out);
		return strlen(out);
	}
	x = (uint64_t)llround(scaled);
	div = (uint64_t)pow10[d];
	ip = x / div;
	fp = x % div;
	if (v < 0 && x != 0)
		out[len++] = '-';
	do {
		digits[nd++] = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip);
	while (nd)
		out[len++] = digits[--nd];
	if (fp) {
		int keep = d;

		while (fp % 10 == 0) {
			fp /= 10;
			keep--;
		}
		out[len++] = '.';
		for (int k = keep - 1; k >= 0; k--) {
			out[len + (size_t)k] = (char)('0' + fp % 10);
			fp /= 10;
		}
		len += (size_t)keep;
	}
	out[len] = '\0';
	return len;
}

size_t sb_format_time_fast(int64_t t_us, char out[SB_TIME_LEN])
{
	static __thread int64_t cached_day = INT64_MIN;
	static __thread char day_text[16];
	int64_t sec = sb_floordiv(t_us, SB_US_PER_SEC), day = sb_floordiv(sec, 86400);
	int64_t tod = sec - day * 86400;

	if (t_us % SB_US_PER_SEC != 0) {
		sb_format_time(t_us, out);
		return strlen(out);
	}
	if (day != cached_day) {
		char full[SB_TIME_LEN];

		sb_format_time(day * 86400 * SB_US_PER_SEC, full);
		if (strlen(full) != 20) {      /* years beyond 9999: no fast path */
			sb_format_time(t_us, out);
			return strlen(out);
		}
		memcpy(day_text, full, 11);    /* "YYYY-MM-DDT" */
		cached_day = day;
	}
	memcpy(out, day_text, 11);
	out[11] = (char)('0' + tod / 36000);
	out[12] = (char)('0' + tod / 3600 % 10);
	out[13] = ':';
	out[14] = (char)('0' + tod % 3600 / 600);
	out[15] = (char)('0' + tod % 3600 / 60 % 10);
	out[16] = ':';
	out[17] = (char)('0' + tod % 60 / 10);
	out[18] = (char)('0' + tod % 10);
	out[19] = 'Z';
	out[20] = '\0';
	return 20;
}
