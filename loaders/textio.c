/* textio.c - gz line reader, CSV splitting, strict number and time parsing */
#include "textio.h"
#include "gz.h"
#include "../core/filetype.h"   /* sb_check_file_type, stat */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

bool sb_file_is_gzip(const char *path)
{
	unsigned char magic[2];
	struct stat st;
	FILE *f;
	bool gz;

	/* Only a regular file: peeking at a pipe would eat the bytes its reader needs. */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !(f = fopen(path, "rb")))
		return false;
	gz = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	fclose(f);
	return gz;
}

enum sb_err sb_lines_open(struct sb_lines *l, const char *path, struct sb_errbuf *err)
{
	return sb_lines_open_hashed(l, path, NULL, err);
}

enum sb_err sb_lines_open_hashed(struct sb_lines *l, const char *path, struct sb_sha256 *hash,
				 struct sb_errbuf *err)
{
	struct stat st;
	enum sb_err rc;

	memset(l, 0, sizeof(*l));
	l->path = path;
	/* A device such as /dev/zero would never end: refused before it is opened, and
	 * again on what was opened.  A pipe is read once, front to back, which is fine. */
	if (stat(path, &st) == 0 && (rc = sb_check_file_type(path, &st, true, err)))
		return rc;
	l->f = fopen(path, "rb");
	if (!l->f)
		return sb_errf(err, SB_EIO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fileno(l->f), &st) == 0 && (rc = sb_check_file_type(path, &st, true, err))) {
		sb_lines_close(l);
		return rc;
	}
	l->cap = 4096;
	l->own = l->buf = malloc(l->cap);
	if (!l->own) {
		sb_lines_close(l);
		return sb_errf(err, SB_ENOMEM, "%s: out of memory", path);
	}
	rc = sb_gz_reader_open_hashed(&l->gz, l->f, path, hash, err);
	if (rc) {
		sb_lines_close(l);
		return rc;
	}
	l->is_gzip = sb_gz_reader_is_gzip(l->gz);
	return SB_OK;
}

void sb_lines_close(struct sb_lines *l)
{
	sb_gz_reader_close(l->gz);
	if (l->f)
		fclose(l->f);
	free(l->own);
	l->f = NULL;
	l->gz = NULL;
	l->buf = l->own = NULL;
	l->out = NULL;
	l->out_pos = l->out_len = 0;
}

void sb_lines_readahead(struct sb_lines *l)
{
	sb_gz_reader_readahead(l->gz);
}

int sb_lines_next(struct sb_lines *l, struct sb_errbuf *err)
{
	l->len = 0;
	/* a whole line in the decoded bytes, short and without NUL: cut in place */
	if (l->out_pos < l->out_len) {
		unsigned char *p = l->out + l->out_pos;
		const unsigned char *nl = memchr(p, '\n', l->out_len - l->out_pos);
		size_t n = nl ? (size_t)(nl - p) : 0;

		if (nl && n < SB_LINE_MAX && !memchr(p, '\0', n)) {
			l->buf = (char *)p;
			l->len = n;
			l->out_pos += n + 1;
			goto out_line;
		}
	}
	l->buf = l->own;
	for (;;) {
		const unsigned char *p, *nl, *nul;
		size_t n;

		if (l->out_pos == l->out_len) {
			long got = sb_gz_read(l->gz, &l->out, l->lineno + 1, err);

			if (got < 0)
				return -1;
			l->out_pos = 0;
			l->out_len = (size_t)got;
			if (got == 0) {
				if (l->len == 0)
					return 0;
				break;              /* last line without '\n' */
			}
		}
		p = l->out + l->out_pos;
		nl = memchr(p, '\n', l->out_len - l->out_pos);
		n = nl ? (size_t)(nl - p) : l->out_len - l->out_pos;
		if (n > SB_LINE_MAX - 1 - l->len) {
			sb_errf(err, SB_EPARSE, "%s:%llu: expected a line shorter than %u bytes",
				l->path, (unsigned long long)l->lineno + 1, SB_LINE_MAX);
			return -1;
		}
		/* Callers see a C string: a NUL would silently cut the line short. */
		nul = memchr(p, '\0', n);
		if (nul) {
			sb_errf(err, SB_EPARSE,
				"%s:%llu: expected text, got an unexpected NUL byte at byte %zu of the line (a binary or damaged file?)",
				l->path, (unsigned long long)l->lineno + 1,
				l->len + (size_t)(nul - p) + 1);
			return -1;
		}
		if (l->len + n + 1 > l->cap) {
			size_t ncap = l->cap;
			char *nb;

			while (ncap < l->len + n + 1)
				ncap *= 2;
			nb = realloc(l->own, ncap);
			if (!nb) {
				sb_errf(err, SB_ENOMEM, "%s: out of memory", l->path);
				return -1;
			}
			l->buf = l->own = nb;
			l->cap = ncap;
		}
		memcpy(l->buf + l->len, p, n);
		l->len += n;
		l->out_pos += n + (nl != NULL);
		if (nl)
			break;
	}
out_line:
	if (l->len && l->buf[l->len - 1] == '\r')
		l->len--;
	l->buf[l->len] = '\0';
	l->lineno++;
	/* A UTF-8 byte-order mark on the first line is not part of the header. */
	if (l->lineno == 1 && l->len >= 3 && !memcmp(l->buf, "\xef\xbb\xbf", 3)) {
		memmove(l->buf, l->buf + 3, l->len - 2);
		l->len -= 3;
	}
	return 1;
}

/* The bytes of w equal to the byte in every lane of 'b': 0x80 in each, exactly. */
static uint64_t bytes_eq(uint64_t w, uint64_t b)
{
	const uint64_t lo7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
	uint64_t x = w ^ b;

	return ~(((x & lo7) + lo7) | x | lo7);
}

/*
 * A line split at commas in place, as sb_csv_split() would when it has no quote:
 * eight bytes at a time.  Returns the number of fields; a quote or more than 'max'
 * fields undoes the split and hands the line to sb_csv_split().
 */
static int split_fields(char *line, size_t len, char **fields, int max, bool *plain)
{
	const uint64_t comma = UINT64_C(0x2c2c2c2c2c2c2c2c), quote = UINT64_C(0x2222222222222222);
	size_t i = 0;
	int n = 1;

	fields[0] = line;
	for (; i + 8 <= len; i += 8) {
		uint64_t w, m;

		memcpy(&w, line + i, 8);
		if (bytes_eq(w, quote))
			goto out_slow;
		for (m = bytes_eq(w, comma); m; m &= m - 1) {
			size_t at = i + (size_t)(__builtin_ctzll(m) >> 3);

			if (n == max)
				goto out_slow;
			line[at] = '\0';
			fields[n++] = line + at + 1;
		}
	}
	for (; i < len; i++) {
		if (line[i] == '"')
			goto out_slow;
		if (line[i] == ',') {
			if (n == max)
				goto out_slow;
			line[i] = '\0';
			fields[n++] = line + i + 1;
		}
	}
	*plain = true;
	return n;
out_slow:
	for (int k = 1; k < n; k++)
		fields[k][-1] = ',';
	*plain = false;
	return sb_csv_split(line, ',', fields, max);
}

#if defined(__SSE2__)
/*
 * One step of the scans below over 'width' bytes at p + off of the next line, given
 * the bit masks of their newlines, commas, and quotes or NULs: the commas before a
 * newline cut in place (*n fields so far).  Returns 1 when the line ended there (l
 * set to it), 0 to go on, -1 to give up (a quote or NUL, more than 'max' fields).
 */
static inline int scan_step(struct sb_lines *l, unsigned char *p, size_t off, uint64_t mn,
			    uint64_t mc, uint64_t mb, char **fields, int max, int *n)
{
	if (mn) {
		uint64_t before = (mn & (0 - mn)) - 1;

		mc &= before;
		mb &= before;
	}
	if (mb)
		return -1;
	for (; mc; mc &= mc - 1) {
		size_t at = off + (size_t)__builtin_ctzll(mc);

		if (*n == max)
			return -1;
		p[at] = '\0';
		fields[(*n)++] = (char *)p + at + 1;
	}
	if (mn) {
		size_t len = off + (size_t)__builtin_ctzll(mn);

		l->out_pos += len + 1;
		if (len && p[len - 1] == '\r')
			len--;
		p[len] = '\0';
		l->buf = (char *)p;
		l->len = len;
		l->lineno++;
		return 1;
	}
	return 0;
}

/* Puts back the commas of the n fields cut so far; 0, as a scan that gave up returns. */
static int scan_undo(char **fields, int n)
{
	for (int k = 1; k < n; k++)
		fields[k][-1] = ',';
	return 0;
}

/*
 * The next line, when it lies whole in the decoded bytes with 16 more readable after
 * each step and has no quote or NUL: newline, commas, quotes and NULs found together,
 * 16 bytes at a time, the commas cut in place.  Returns its number of fields, or 0
 * (nothing changed): take the general way.  Not the first line (a byte-order mark).
 */
static int next_plain_line(struct sb_lines *l, char **fields, int max)
{
	unsigned char *p = l->out + l->out_pos;
	size_t avail = l->out_len - l->out_pos, off;
	const __m128i nl = _mm_set1_epi8('\n'), comma = _mm_set1_epi8(','),
		      quote = _mm_set1_epi8('"'), zero = _mm_setzero_si128();
	int n = 1, r = 0;

	fields[0] = (char *)p;
	for (off = 0; l->lineno && !r && off + 16 <= avail && off < SB_LINE_MAX - 16; off += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + off));

		r = scan_step(l, p, off, (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)),
			      (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)),
			      (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
								       _mm_cmpeq_epi8(v, zero))),
			      fields, max, &n);
	}
	return r > 0 ? n : scan_undo(fields, n);
}
#endif

#if defined(__SSE2__) && defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX512_SCAN 1
/* next_plain_line() 64 bytes at a time, for CPUs with AVX-512BW: the same result. */
__attribute__((target("avx512f,avx512bw")))
static int next_plain_line_512(struct sb_lines *l, char **fields, int max)
{
	unsigned char *p = l->out + l->out_pos;
	size_t avail = l->out_len - l->out_pos, off;
	const __m512i nl = _mm512_set1_epi8('\n'), comma = _mm512_set1_epi8(','),
		      quote = _mm512_set1_epi8('"'), zero = _mm512_setzero_si512();
	int n = 1, r = 0;

	fields[0] = (char *)p;
	for (off = 0; l->lineno && !r && off + 64 <= avail && off < SB_LINE_MAX - 64; off += 64) {
		__m512i v = _mm512_loadu_si512((const void *)(p + off));

		r = scan_step(l, p, off, _mm512_cmpeq_epi8_mask(v, nl),
			      _mm512_cmpeq_epi8_mask(v, comma),
			      _mm512_cmpeq_epi8_mask(v, quote) | _mm512_cmpeq_epi8_mask(v, zero),
			      fields, max, &n);
	}
	return r > 0 ? n : scan_undo(fields, n);
}
#endif

/* Bytes scanned at a time by sb_lines_next_csv(): -1 until chosen (the widest the CPU
 * has), 64, 16 or 0 (none: sb_lines_next() and a split). */
static int scan_width = -1;

void sb_lines_scan_width(int bytes)
{
	__atomic_store_n(&scan_width, bytes, __ATOMIC_RELAXED);
}

int sb_lines_next_csv(struct sb_lines *l, char **fields, int max, int *nfields, bool *plain,
		      struct sb_errbuf *err)
{
	int r, width = __atomic_load_n(&scan_width, __ATOMIC_RELAXED);

	if (width < 0) {                 /* chosen once; loaders on several threads agree */
#if defined(HAVE_AVX512_SCAN)
		width = __builtin_cpu_supports("avx512bw") ? 64 : 16;
#else
		width = 16;
#endif
		__atomic_store_n(&scan_width, width, __ATOMIC_RELAXED);
	}
#if defined(HAVE_AVX512_SCAN)
	if (width == 64 && (*nfields = next_plain_line_512(l, fields, max)) > 0) {
		*plain = true;
		return 1;
	}
#endif
#if defined(__SSE2__)
	if (width != 0 && (*nfields = next_plain_line(l, fields, max)) > 0) {
		*plain = true;
		return 1;
	}
#endif
	r = sb_lines_next(l, err);
	if (r == 1)
		*nfields = split_fields(l->buf, l->len, fields, max, plain);
	return r;
}

int sb_csv_split(char *line, char delim, char **fields, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *out, *start;

		if (n == max)
			return -1;
		start = out = p;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0')
					return -1;              /* quote left open */
				if (*p == '"') {
					if (p[1] == '"') {
						*out++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*out++ = *p++;
			}
			if (*p != delim && *p != '\0')
				return -1;                      /* text after closing quote */
		} else {
			while (*p && *p != delim)
				p++;
			out = p;
		}
		fields[n++] = start;
		if (*p == '\0') {
			*out = '\0';
			return n;
		}
		*out = '\0';
		p++;
	}
}

bool sb_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	/* Decimal only: strtod would also take hex floats ("0x10") and "infinity". */
	if (s[strspn(s, "0123456789+-.eE")] != '\0')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v))
		return false;
	if (errno == ERANGE && fabs(v) > 1.0)      /* overflow; underflow to ~0 is fine */
		return false;
	*out = v;
	return true;
}

bool sb_parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || *s == ' ' || *s == '\t' || *s == '+')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return false;
	*out = (int64_t)v;
	return true;
}

int64_t sb_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil. */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at *p into *v. */
static bool digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

static bool parse_rfc3339(const char *s, int64_t *t_us)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac = 0, offset_s = 0;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return false;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return false;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return false;
		if (*p == '.') {
			int nd = 0;

			p++;
			while (*p >= '0' && *p <= '9') {
				if (nd < 6)
					frac = frac * 10 + (*p - '0');
				nd++;
				p++;
			}
			if (nd == 0)
				return false;
			for (; nd < 6; nd++)
				frac *= 10;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om, sign = *p == '-' ? -1 : 1;

			p++;
			if (!digits(&p, 2, &oh))
				return false;
			if (*p == ':')
				p++;
			if (!digits(&p, 2, &om) || oh > 23 || om > 59)
				return false;
			offset_s = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0')
		return false;
	if (sec == 60)
		sec = 59;     /* a leap second is folded into the second before */
	*t_us = ((sb_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
		  mi * 60 + sec - offset_s) * SB_US_PER_SEC) + frac;
	return true;
}

bool sb_parse_time(const char *s, int64_t *t_us)
{
	const int64_t e11 = INT64_C(100000000000), e14 = INT64_C(100000000000000);
	int64_t v, t;

	if (sb_parse_int64(s, &v)) {
		/* no |v|: -INT64_MIN overflows; the products below stay under 1e17 */
		if (v > -e11 && v < e11)                  /* |v| < 1e11: seconds */
			t = v * SB_US_PER_SEC;
		else if (v > -e14 && v < e14)             /* |v| < 1e14: milliseconds */
			t = v * 1000;
		else
			t = v;
	} else if (!parse_rfc3339(s, &t)) {
		return false;
	}
	if (t < SB_TIME_MIN_US || t >= SB_TIME_MAX_US)
		return false;
	*t_us = t;
	return true;
}

const char *sb_csv_used_twice(char **names, int n, const int *used, int nused)
{
	for (int u = 0; u < nused; u++)
		for (int i = 0; used[u] >= 0 && i < n; i++)
			if (i != used[u] && strcasecmp(names[i], names[used[u]]) == 0)
				return names[used[u]];
	return NULL;
}

/* ---- CSV records over several lines ---- */

/*
 * Whether a record ends inside a quoted field (the sb_csv_split rules: quotes open a
 * field only at its start; "" inside quotes is a literal quote), scanned one joined
 * line at a time: the state carries over, so a record of many lines costs linear
 * time.  A quote that ends a line closes its field whatever follows, since the next
 * byte of the record is the joining '\n', so the state at a line's end is exact.
 */
struct quote_state {
	bool in_q, at_start;
};

static void quote_scan(struct quote_state *q, const char *s, char delim)
{
	for (; *s; s++) {
		if (q->in_q) {
			if (*s == '"') {
				if (s[1] == '"')
					s++;
				else
					q->in_q = false;
			}
		} else if (q->at_start && *s == '"') {
			q->in_q = true;
			q->at_start = false;
		} else {
			q->at_start = *s == delim;
		}
	}
}

int sb_csv_record_next(struct sb_lines *l, char delim, struct sb_csv_record *r,
		       struct sb_errbuf *err)
{
	struct quote_state qs = { .in_q = false, .at_start = true };
	int got;

	do {
		got = sb_lines_next(l, err);
		if (got <= 0)
			return got;
	} while (l->len == 0);
	r->first = l->lineno;
	r->len = 0;
	for (;;) {
		size_t start = r->len + (r->len ? 1 : 0);

		if (start + l->len > SB_LINE_MAX) {
			sb_errf(err, SB_EPARSE, "%s:%llu: expected a record shorter than %u bytes (unbalanced quote?)",
				l->path, (unsigned long long)r->first, SB_LINE_MAX);
			return -1;
		}
		if (start + l->len + 1 > r->cap) {
			size_t ncap = (start + l->len + 1) * 2;
			char *nb = realloc(r->buf, ncap);

			if (!nb) {
				sb_errf(err, SB_ENOMEM, "%s: out of memory", l->path);
				return -1;
			}
			r->buf = nb;
			r->cap = ncap;
		}
		if (r->len)
			r->buf[r->len] = '\n';
		memcpy(r->buf + start, l->buf, l->len + 1);
		r->len = start + l->len;
		quote_scan(&qs, r->buf + start, delim);
		if (!qs.in_q)
			return 1;
		got = sb_lines_next(l, err);
		if (got < 0)
			return -1;
		if (got == 0) {
			sb_errf(err, SB_EPARSE, "%s:%llu: expected a closing quote, the quoted field opened here runs to the end of the file",
				l->path, (unsigned long long)r->first);
			return -1;
		}
	}
}

void sb_csv_record_free(struct sb_csv_record *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
