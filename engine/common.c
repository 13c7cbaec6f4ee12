/* common.c - error formatting, time formatting, durations */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
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
			if (v > INT64_MAX / units[i].mult)
				return false;
			*us = (int64_t)v * units[i].mult;
			return true;
		}
	}
	return false;
}

void *sb_aligned_alloc(size_t n_bytes)
{
	size_t rounded = (n_bytes + 63) / 64 * 64;
	void *p;

	if (rounded == 0)
		rounded = 64;
	p = aligned_alloc(64, rounded);
	if (p)
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
