/* common.h - error codes, error messages and small helpers shared by every module */
#ifndef SB_COMMON_H
#define SB_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define SB_VERSION "0.1.0"

enum sb_err { SB_OK = 0, SB_ENOMEM, SB_EIO, SB_EPARSE, SB_ENET, SB_EINVAL };

/*
 * A message is written once, where the context is known, e.g.
 * "data/x.csv.gz:1042: expected a number in column 'price', got 'abc'".
 * Callers print it as "sentibt: <msg>".
 */
struct sb_errbuf {
	char msg[1024];
};

#if defined(__GNUC__)
#define SB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SB_PRINTF(a, b)
#endif

/* sb_errf() formats into 'e' (no-op when e is NULL) and returns 'code'. */
enum sb_err sb_errf(struct sb_errbuf *e, enum sb_err code, const char *fmt, ...)
	SB_PRINTF(3, 4);

/* Time units: every time in sentibt is int64 microseconds since the epoch, UTC. */
#define SB_US_PER_SEC INT64_C(1000000)
#define SB_US_PER_DAY (INT64_C(86400) * SB_US_PER_SEC)

/*
 * The times sentibt accepts: [1900-01-01T00:00:00Z, 2200-01-01T00:00:00Z).  Anything
 * outside is a unit mistake or a corrupt value, and the bound keeps every later
 * sum or product of times far from int64 overflow.
 * 1900: 70 years with 17 leap days before 1970 = 25567 days = 2208988800 s.
 * 2200: 230 years with 56 leap days (1972..2196 minus 2100) = 84006 days = 7258118400 s.
 */
#define SB_TIME_MIN_US INT64_C(-2208988800000000)   /* 1900-01-01T00:00:00Z */
#define SB_TIME_MAX_US INT64_C(7258118400000000)    /* 2200-01-01T00:00:00Z, excluded */

/* floor division for possibly negative numerators (times before 1970). */
static inline int64_t sb_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Formats 't' as "YYYY-MM-DDTHH:MM:SSZ" (with ".ffffff" when not whole seconds). */
#define SB_TIME_LEN 96
void sb_format_time(int64_t t_us, char out[SB_TIME_LEN]);

/*
 * sb_parse_duration() reads "90s", "5m", "1h", "1d", "250ms", "0" into microseconds.
 * Returns false on anything else (negative, over SB_DURATION_MAX_US, unknown unit).
 */
#define SB_DURATION_MAX_US (INT64_C(36500) * SB_US_PER_DAY)   /* 100 years */
bool sb_parse_duration(const char *s, int64_t *us);

/*
 * sb_fmt_num() writes the shortest of %.15g/%.16g/%.17g that reads back as exactly v,
 * so outputs are exact and still readable ("0.08", not "0.080000000000000002").
 */
#define SB_NUM_LEN 32
const char *sb_fmt_num(double v, char out[SB_NUM_LEN]);

/*
 * sb_fmt_fixed() writes v rounded to 'decimals' places (0..12): the exact binary
 * value rounded once, ties to even, as printf("%.*f") rounds it, with trailing zeros
 * (and point) trimmed ("10003.25", "0.5", "-3") and no sign on a value that rounds to
 * 0; no snprintf, no locale, many times faster than printf.  Values too large for
 * 64-bit fixed point (|v| 10^decimals >= 9e18), NaN and inf fall back to sb_fmt_num().
 * Returns the length.  Used for long per-candle curves (equity.csv).
 */
size_t sb_fmt_fixed(double v, int decimals, char out[SB_NUM_LEN]);

/* Like sb_format_time() for whole seconds; much faster on consecutive times. */
size_t sb_format_time_fast(int64_t t_us, char out[SB_TIME_LEN]);

/* mkdir -p: creates 'path' and its missing parents. */
enum sb_err sb_mkdirs(const char *path, struct sb_errbuf *err);

/* Allocation that reports SB_ENOMEM through the caller instead of aborting. */
void *sb_aligned_alloc(size_t n_bytes);   /* 64-byte aligned, zeroed; free with free() */
/* The same, not zeroed: for arrays written in full before they are read (no pass over
 * them, and no page is touched before it is written). */
void *sb_aligned_alloc_raw(size_t n_bytes);

#endif
