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

/* "00" .. "99" */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes the k lowest decimal digits of v (leading zeros included) at out[0, k). */
static inline void put_digits(uint64_t v, int k, char *out)
{
	while (k >= 2) {
		memcpy(out + k - 2, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
		k -= 2;
	}
	if (k)
		out[0] = (char)('0' + v % 10);
}

/* 10^0 .. 10^19 */
static const uint64_t p10[20] = {
	1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
	1000000000u, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
	100000000000000u, 1000000000000000u, 10000000000000000u, 100000000000000000u,
	1000000000000000000u, 10000000000000000000u
};

/* Writes v in decimal, no leading zeros ("0" for 0); returns the length. */
static inline size_t put_uint(uint64_t v, char *out)
{
	/* floor(log10(v)) from the bit length (1233 / 4096 ~ log10(2)), then corrected */
	int t = ((64 - __builtin_clzll(v | 1)) * 1233) >> 12;
	int k = t + (v >= p10[t]);

	k = k ? k : 1;
	put_digits(v, k, out);
	return (size_t)k;
}

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

/* sb_aligned_alloc() without the zeroing: pages are touched only when written. */
void *sb_aligned_alloc_raw(size_t n_bytes)
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
	return p;
}

void *sb_aligned_alloc(size_t n_bytes)
{
	void *p = sb_aligned_alloc_raw(n_bytes);

	if (p)
		memset(p, 0, n_bytes ? (n_bytes + 63) / 64 * 64 : 64);
	return p;
}

/*
 * d[0, prec) (prec significant digits, d[0] != '0') times 10^(x - prec + 1), written as
 * printf's %.{prec}g writes it: exponent form when x < -4 or x >= prec, trailing zeros
 * dropped; '-' first when neg.
 */
static void put_g(char out[SB_NUM_LEN], bool neg, const char *d, int prec, int x)
{
	int nd = prec, len = 0, k;

	while (nd > 1 && d[nd - 1] == '0')
		nd--;
	if (neg)
		out[len++] = '-';
	if (x < -4 || x >= prec) {
		out[len++] = d[0];
		if (nd > 1) {
			out[len++] = '.';
			memcpy(out + len, d + 1, (size_t)nd - 1);
			len += nd - 1;
		}
		snprintf(out + len, (size_t)(SB_NUM_LEN - len), "e%c%02d",
			 x < 0 ? '-' : '+', x < 0 ? -x : x);
	} else if (x < 0) {
		out[len++] = '0';
		out[len++] = '.';
		for (k = 0; k < -x - 1; k++)
			out[len++] = '0';
		memcpy(out + len, d, (size_t)nd);
		out[len + nd] = '\0';
	} else {
		memcpy(out + len, d, (size_t)x + 1 < (size_t)nd ? (size_t)x + 1 : (size_t)nd);
		for (k = nd; k < x + 1; k++)
			out[len + k] = '0';
		len += x + 1;
		if (nd > x + 1) {
			out[len++] = '.';
			memcpy(out + len, d + x + 1, (size_t)(nd - x - 1));
			len += nd - x - 1;
		}
		out[len] = '\0';
	}
}

/*
 * The exact digits, without printf.  v = m 2^e (a normal double, m < 2^53); for
 * kk = prec - 1 - X (X = floor(log10 v)), v 10^kk = m 2^(e + kk) 5^kk = NUM / DEN with
 *   NUM = m 2^max(p2,0) 5^max(kk,0),   DEN = 2^max(-p2,0) 5^max(-kk,0),   p2 = e + kk,
 * both integers, and the prec digits D are NUM / DEN rounded half to even (as printf
 * rounds the exact value).  D 10^-kk reads back as v when it lies within half the gap
 * to v's neighbours, |D 10^-kk - v| < 2^(e-1), that is 2 |NUM - D DEN| < B = NUM / m;
 * a tie reads back when m is even (ties go to even); below a power of two (m = 2^52)
 * the gap is half as wide: 4 |NUM - D DEN| <= B, a tie going to v.  Exact in 128-bit
 * integers for about 1e-15 < v < 1e40; false outside (printf then).
 */
__extension__ typedef unsigned __int128 u128;

struct num_digits {
	uint64_t d;                     /* prec digits: 10^(prec - 1) <= d < 10^prec */
	int x;                          /* the exponent of the first */
	bool back;                      /* d 10^(x - prec + 1) reads back as v */
};

/* 5^i for i <= 54 (5^27 < 2^64) */
static u128 pow5_128(int i)
{
	static const uint64_t p5[28] = {
		1u, 5u, 25u, 125u, 625u, 3125u, 15625u, 78125u, 390625u, 1953125u, 9765625u,
		48828125u, 244140625u, 1220703125u, 6103515625u, 30517578125u,
		152587890625u, 762939453125u, 3814697265625u, 19073486328125u,
		95367431640625u, 476837158203125u, 2384185791015625u, 11920928955078125u,
		59604644775390625u, 298023223876953125u, 1490116119384765625u,
		7450580596923828125u,
	};

	return i <= 27 ? p5[i] : (u128)p5[27] * p5[i - 27];
}

static int u128_bits(u128 x)
{
	uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;

	return hi ? 128 - __builtin_clzll(hi) : lo ? 64 - __builtin_clzll(lo) : 0;
}

static bool exact_digits(double v, int prec, struct num_digits *out)
{
	uint64_t bits, m;
	int be, e, x;

	memcpy(&bits, &v, sizeof(bits));
	be = (int)((bits >> 52) & 0x7ff);
	if (be == 0 || be == 0x7ff || (bits >> 63))
		return false;                   /* subnormal, inf, NaN, negative */
	m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
	e = be - 1075;
	/* v in [2^(e+52), 2^(e+53)): X is this or one more (checked below) */
	x = (int)floor((double)(e + 52) * 0.301029995663981195);
	for (int tries = 0; tries < 4; tries++) {
		const int kk = prec - 1 - x, p2 = e + kk;
		const int sh_num = p2 > 0 ? p2 : 0, sh_den = p2 < 0 ? -p2 : 0;
		u128 f5n, f5d, num, den, q, r, err, B;
		bool up;

		if (kk > 54 || kk < -54)
			return false;
		f5n = kk > 0 ? pow5_128(kk) : 1;
		f5d = kk < 0 ? pow5_128(-kk) : 1;
		if (u128_bits(f5n) + 53 + sh_num > 125 || u128_bits(f5d) + sh_den > 125)
			return false;
		B = f5n << sh_num;
		num = B * m;
		den = f5d << sh_den;
		if (f5d == 1) {
			q = num >> sh_den;
			r = num - (q << sh_den);
		} else {
			q = num / den;
			r = num - q * den;
		}
		if (q >= p10[prec]) {
			x++;
			continue;
		}
		if (q < p10[prec - 1]) {
			x--;
			continue;
		}
		up = 2 * r > den || (2 * r == den && (q & 1));
		err = up ? den - r : r;
		if (err == 0)
			out->back = true;
		else if (!up && m == UINT64_C(1) << 52 && be > 1)
			out->back = 4 * err <= B;       /* below a power of two */
		else
			out->back = 2 * err < B || (2 * err == B && !(m & 1));
		q += up;
		if (q == p10[prec]) {                   /* 99..9 rounded up to 100..0 */
			q = p10[prec - 1];
			x++;
		}
		out->d = (uint64_t)q;
		out->x = x;
		return true;
	}
	return false;
}

const char *sb_fmt_num(double v, char out[SB_NUM_LEN])
{
	/*
	 * A whole number below 10^15 (trade counts, 0, 1) is what %.15g prints: all of
	 * its at most 15 digits, no point, no exponent, and it reads back; "-0" keeps
	 * its sign, so it takes the general path.
	 */
	if (fabs(v) < 1e15 && v == (double)(int64_t)v && (v != 0.0 || !signbit(v))) {
		int64_t i = (int64_t)v;
		size_t len = 0;

		if (i < 0) {
			out[len++] = '-';
			i = -i;
		}
		len += put_uint((uint64_t)i, out + len);
		out[len] = '\0';
		return out;
	}
	if (isfinite(v) && v != 0.0) {
		struct num_digits nd;
		int prec = 15;

		for (; prec <= 17 && exact_digits(fabs(v), prec, &nd); prec++) {
			if (nd.back || prec == 17) {
				char d[17];

				put_digits(nd.d, prec, d);
				put_g(out, signbit(v), d, prec, nd.x);
				return out;
			}
		}
	}
	/* outside the integers' range (|v| < 1e-15 or > 1e40), -0, inf, NaN: printf */
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

/* How many zeros the four digits of 0 < g < 10000 end with. */
static inline int zeros4(uint32_t g)
{
	/* of a pair "00".."99": 2 for "00", 1 for "10".."90" */
	static const unsigned char pair[100] = {
		2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	uint32_t lo = g % 100;

	return lo ? pair[lo] : 2 + pair[g / 100];
}

/* put_digits(g, 4, out) on 32 bits: the curves' cells are 4-digit groups, and the
 * 64-bit divisions of put_digits() made sb_fmt_fixed() 10-15 % slower (measured). */
static inline void put4(uint32_t g, char *out)
{
	memcpy(out, digit_pairs + 2 * (g / 100), 2);
	memcpy(out + 2, digit_pairs + 2 * (g % 100), 2);
}

/* put_uint(v, out), without a loop below 10^8 (equities, prices). */
static inline size_t put_small(uint64_t v, char *out)
{
	char t[16];
	uint32_t hi, lo;
	size_t n;

	if (v < 10) {
		out[0] = (char)('0' + v);
		return 1;
	}
	if (v >= 100000000)
		return put_uint(v, out);
	hi = (uint32_t)(v / 10000);
	lo = (uint32_t)(v % 10000);
	put4(hi, t);
	put4(lo, t + 4);
	memset(t + 8, 0, 8);                  /* copied below, never shown */
	n = v >= 10000 ? 5 + (size_t)(hi >= 10) + (hi >= 100) + (hi >= 1000)
		       : 2 + (size_t)(lo >= 100) + (lo >= 1000);
	memcpy(out, t + 8 - n, 8);            /* the caller's out has room for 8 */
	return n;
}

/*
 * x = round(|v| 10^d) for the curves' d (4, 8) in one multiplication.  Below 2^52
 * every half-integer h is a double, and rounding is monotonic: an exact product p < h
 * gives y = RN(p) <= h, p > h gives y >= h.  So unless y is itself a half-integer,
 * p and y lie strictly on the same side of every h, and round to the same integer
 * (ties to even concern only p = h).  False (take the exact path) when y is a
 * half-integer, and for y >= 2^52, NaN and inf.
 */
static inline bool fixed_fast(double v, double scale, uint64_t *x)
{
	const double y = fabs(v) * scale;
	uint64_t n;
	double frac;

	if (!(y < 0x1p52))
		return false;
	n = (uint64_t)y;                      /* floor: y >= 0 */
	frac = y - (double)n;                 /* exact below 2^52 */
	if (frac == 0.5)
		return false;
	*x = n + (frac > 0.5);
	return true;
}

/* The body of sb_fmt_fixed(), inlined per constant d (divisions by constants). */
static inline __attribute__((always_inline)) size_t fmt_fixed(double v, int d, char *out)
{
	uint64_t bits, mant, x, ip, fp;
	int e;
	u128 prod;
	size_t len = 0;

	if ((d == 4 || d == 8) && fixed_fast(v, (double)p10[d], &x)) {
		ip = x / p10[d];
		fp = x % p10[d];
		if (signbit(v) && x != 0)
			out[len++] = '-';
		len += put_small(ip, out + len);
		if (fp) {
			int zeros;

			out[len] = '.';
			if (d == 4) {
				put4((uint32_t)fp, out + len + 1);
				zeros = zeros4((uint32_t)fp);
			} else {
				uint32_t hi = (uint32_t)(fp / 10000), lo = (uint32_t)(fp % 10000);

				put4(hi, out + len + 1);
				put4(lo, out + len + 5);
				zeros = lo ? zeros4(lo) : 4 + zeros4(hi);
			}
			len += 1 + (size_t)(d - zeros);
		}
		out[len] = '\0';
		return len;
	}
	if (!(fabs(v) * (double)p10[d] < 9.0e18)) {     /* also NaN and inf */
		sb_fmt_num(v, out);
		return strlen(out);
	}
	/* v = mant * 2^e exactly; x = round(v * 10^d), the exact product rounded once */
	memcpy(&bits, &v, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff);
	mant = bits & ((UINT64_C(1) << 52) - 1);
	if (e) {
		mant |= UINT64_C(1) << 52;
		e -= 1075;
	} else {
		e = -1074;
	}
	prod = (u128)mant * p10[d];                    /* < 2^93 */
	if (e >= 0) {
		x = (uint64_t)(prod << e);               /* < 9e18, checked above */
	} else if (-e >= 100) {
		x = 0;                                   /* below 2^-7: rounds to 0 */
	} else {
		u128 q = prod >> -e, rem = prod - (q << -e), half = (u128)1 << (-e - 1);

		/* ties to even, as printf rounds an exact binary value */
		if (rem > half || (rem == half && (q & 1)))
			q++;
		x = (uint64_t)q;
	}
	ip = x / p10[d];
	fp = x % p10[d];
	if ((bits >> 63) && x != 0)
		out[len++] = '-';
	len += put_uint(ip, out + len);
	if (fp) {
		int keep = d;

		/* trailing zeros dropped first: then every digit left is written */
		while (fp % 100 == 0) {
			fp /= 100;
			keep -= 2;
		}
		if (fp % 10 == 0) {
			fp /= 10;
			keep--;
		}
		out[len] = '.';
		put_digits(fp, keep, out + len + 1);
		len += 1 + (size_t)keep;
	}
	out[len] = '\0';
	return len;
}

size_t sb_fmt_fixed(double v, int decimals, char out[SB_NUM_LEN])
{
	switch (decimals) {      /* the curves' decimals get their own copies */
	case 4:
		return fmt_fixed(v, 4, out);
	case 8:
		return fmt_fixed(v, 8, out);
	default:
		return fmt_fixed(v, decimals < 0 ? 0 : decimals > 12 ? 12 : decimals, out);
	}
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
