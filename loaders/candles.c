/* candles.c - Tardis trades or OHLCV CSV(.gz) files to one columnar candle array */
#include "candles.h"
#include "textio.h"
#include "../core/digest.h"
#include "../core/thread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Upper bound on the candle grid, whatever --max-gap allows: 2^25 candles is a year
 * of 1s candles or 63 years of 1m candles (about 5 GB while loading).  The gap limit
 * is what stops one bogus timestamp years away, before any memory is taken.
 */
#define GRID_MAX ((size_t)1 << 25)

/*
 * Duplicate Tardis trades.  A trade id seen again is the same trade (a feed replayed
 * after a reconnect, two captures stitched together): the first copy counts, the
 * others are counted as duplicates and left out.  Files are ordered by
 * local_timestamp and a repeat arrives close to its original, so the loader remembers
 * the ids of the trades whose local_timestamp is within DUP_WINDOW_US of the latest
 * one read (across the files of one load), at most DUP_MAX_IDS of them (the oldest
 * go first): about 70 bytes an id, at most ~70 MB, whatever the span of the files.
 * Within that window the test is exact: ids are compared byte for byte (the hash
 * only finds the candidates).  An id repeated after more than DUP_WINDOW_US is not
 * recognised.  Empty ids (Tardis leaves the cell empty when the exchange gives none)
 * and files without an 'id' column are not checked.
 */
#define DUP_WINDOW_US (10 * 60 * SB_US_PER_SEC)
#define DUP_MAX_IDS ((size_t)1 << 20)

#define MAX_COLS 4096   /* fields per line; the header decides how many are expected */

enum kind { KIND_NONE = 0, KIND_TARDIS, KIND_OHLCV };

static const char *kind_name(enum kind k)
{
	return k == KIND_TARDIS ? "tardis-trades" : "ohlcv";
}

enum side { SIDE_UNKNOWN = 0, SIDE_BUY, SIDE_SELL };

/* Column positions found in the header; -1 when absent. */
struct header {
	enum kind kind;
	int ncols;
	int ts, lts, side, price, amount, sym, id; /* Tardis; 'symbol', 'id' optional */
	int time, open, high, low, close, volume;  /* OHLCV */
	char text[200];                            /* the header as read, for messages */
};

/* One parsed data row.  A Tardis trade fills o = h = l = c = price, v = amount. */
struct row {
	int64_t t;       /* candle time: exchange 'timestamp' or the OHLCV row time */
	int64_t lt;      /* Tardis 'local_timestamp'; = t for OHLCV */
	double o, h, l, c, v;
	enum side side;
	const char *id;  /* Tardis trade id; NULL when the file has none or it is empty */
	size_t id_len;
	uint64_t id_hash; /* its hash, when 'id' and 'id_hashed' (only the table needs it) */
	bool id_hashed;
	uint64_t line;   /* the row's line in its file */
};

/* One open input file. */
static uint64_t hash_id(const char *s, size_t len);
struct infile;
static size_t field_len(const struct infile *f, int col);

struct infile {
	bool plain;          /* the line had no quotes: fields[i + 1] - 1 ends field i */
	const char *path;
	struct sb_lines lines;
	struct header hdr;
	char **fields;
	bool open;
	bool hashing;        /* 'sha' sees every byte as the file is read */
	struct sb_sha256 sha;
};

/*
 * A candle during the load.  'first'/'last' are the earliest and latest row times
 * seen in it, so that out-of-order trades still give the right open and close.
 */
struct bucket {
	double o, h, l, c, v, buy, sell;
	uint64_t rows;
	int64_t first, last;
	uint32_t file;           /* index of the file of its first row, for the gap counts */
};

/*
 * The growing grid: bucket j of the result is b[front + j] and covers absolute
 * interval number k0 + j (times floor(t / d)).  Slack at the front lets a late trade
 * open an earlier candle without moving everything each time.
 */
struct grid {
	struct bucket *b;
	size_t front, n, cap;
	int64_t k0, d;
	int64_t max_gap;         /* longest gap allowed, us; 0 = no limit */
	bool digest;             /* each file's SHA-256 taken as it is read (filestat) */
};

/*
 * The instrument of the first Tardis row read (of the first file given): every row
 * of every file of one load must name the same one, or two series would merge.
 */
struct symref {
	char sym[64];
	size_t len;
	const char *path;
	uint64_t line;
	bool set;
};

/* What one file contributed; 'span' is what overlap checks compare. */
struct filestat {
	uint64_t rows;
	int64_t t_min, t_max;              /* candle times */
	int64_t span_min, span_max;        /* local_timestamp (Tardis) or row time */
	uint64_t span_min_line;
	int64_t first_span;                /* of the first data row, for ordering */
	int64_t min_gap;                   /* OHLCV: smallest spacing of consecutive rows */
	uint64_t min_gap_line;
	uint64_t duplicates;               /* Tardis rows whose id was seen before */
	uint64_t filled;                   /* empty candles in the gaps its rows close */
	int64_t longest_gap;               /* longest of those gaps when checked, us */
	char sha256[SB_SHA256_HEX];        /* of the whole file, when the grid asked ("") */
};

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int find_col(char **names, int n, const char *want)
{
	for (int i = 0; i < n; i++)
		if (strcasecmp(names[i], want) == 0)
			return i;
	return -1;
}

static enum sb_err missing_col(const struct infile *f, const char *col, struct sb_errbuf *err)
{
	return sb_errf(err, SB_EPARSE, "%s:1: expected a column %s in the %s header, got '%s'",
		       f->path, col, f->hdr.kind == KIND_TARDIS ? "Tardis trades" : "OHLCV",
		       f->hdr.text);
}

/*
 * Reads the header line of 'f' and tells the kind: a Tardis trades file names
 * 'local_timestamp' (or 'exchange'), an OHLCV file names open/high/low/close.
 */
static enum sb_err read_header(struct infile *f, struct sb_errbuf *err)
{
	static const char *const time_names[] = {
		"timestamp", "time", "date", "datetime", "open_time",
	};
	struct header *h = &f->hdr;
	char *names[MAX_COLS];
	int r, n;

	r = sb_lines_next(&f->lines, err);
	if (r < 0)
		return SB_EPARSE;
	if (r == 0 || f->lines.len == 0)
		return sb_errf(err, SB_EPARSE,
			       "%s:1: expected a header line (Tardis trades or OHLCV columns), got %s",
			       f->path, r == 0 ? "an empty file" : "an empty line");
	snprintf(h->text, sizeof(h->text), "%s", f->lines.buf);
	if (f->lines.len >= sizeof(h->text))
		memcpy(h->text + sizeof(h->text) - 4, "...", 4);
	n = sb_csv_split(f->lines.buf, ',', names, MAX_COLS);
	if (n < 0)
		return sb_errf(err, SB_EPARSE,
			       "%s:1: expected a CSV header of at most %d columns without open quotes, got '%s'",
			       f->path, MAX_COLS, h->text);
	for (int i = 0; i < n; i++)
		names[i] = trim(names[i]);
	h->ncols = n;
	h->ts = h->lts = h->side = h->price = h->amount = h->sym = h->id = -1;
	h->time = h->open = h->high = h->low = h->close = h->volume = -1;

	if (find_col(names, n, "local_timestamp") >= 0 || find_col(names, n, "exchange") >= 0) {
		h->kind = KIND_TARDIS;
		h->ts = find_col(names, n, "timestamp");
		h->lts = find_col(names, n, "local_timestamp");
		h->side = find_col(names, n, "side");
		h->price = find_col(names, n, "price");
		h->amount = find_col(names, n, "amount");
		h->sym = find_col(names, n, "symbol");
		h->id = find_col(names, n, "id");
		if (h->ts < 0)
			return missing_col(f, "'timestamp'", err);
		if (h->lts < 0)
			return missing_col(f, "'local_timestamp'", err);
		if (h->side < 0)
			return missing_col(f, "'side'", err);
		if (h->price < 0)
			return missing_col(f, "'price'", err);
		if (h->amount < 0)
			return missing_col(f, "'amount'", err);
	} else {
		h->open = find_col(names, n, "open");
		h->high = find_col(names, n, "high");
		h->low = find_col(names, n, "low");
		h->close = find_col(names, n, "close");
		h->volume = find_col(names, n, "volume");
		for (size_t i = 0; i < sizeof(time_names) / sizeof(time_names[0]) && h->time < 0; i++)
			h->time = find_col(names, n, time_names[i]);
		if (h->open < 0 && h->high < 0 && h->low < 0 && h->close < 0)
			return sb_errf(err, SB_EPARSE,
				       "%s:1: expected a Tardis trades header (exchange,symbol,timestamp,local_timestamp,id,side,price,amount) or an OHLCV header (timestamp,open,high,low,close[,volume]), got '%s'",
				       f->path, h->text);
		h->kind = KIND_OHLCV;
		if (h->time < 0)
			return missing_col(f, "for the time ('timestamp', 'time', 'date', 'datetime' or 'open_time')", err);
		if (h->open < 0)
			return missing_col(f, "'open'", err);
		if (h->high < 0)
			return missing_col(f, "'high'", err);
		if (h->low < 0)
			return missing_col(f, "'low'", err);
		if (h->close < 0)
			return missing_col(f, "'close'", err);
	}
	{
		const int used[] = { h->ts, h->lts, h->side, h->price, h->amount, h->sym, h->id,
				     h->time, h->open, h->high, h->low, h->close, h->volume };
		const char *twice = sb_csv_used_twice(names, n, used, (int)(sizeof(used) / sizeof(used[0])));

		if (twice)
			return sb_errf(err, SB_EPARSE,
				       "%s:1: expected each column once, got '%s' twice in '%s'",
				       f->path, twice, h->text);
	}
	f->fields = malloc(sizeof(*f->fields) * (size_t)n);
	if (!f->fields)
		return sb_errf(err, SB_ENOMEM, "%s: out of memory", f->path);
	return SB_OK;
}

static enum sb_err infile_open(struct infile *f, const char *path, bool digest,
			       struct sb_errbuf *err)
{
	enum sb_err rc;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if (digest) {
		if ((rc = sb_sha256_begin(&f->sha, err)))
			return rc;
		f->hashing = true;
	}
	rc = sb_lines_open_hashed(&f->lines, path, f->hashing ? &f->sha : NULL, err);
	if (rc)
		return rc;
	f->open = true;
	return read_header(f, err);
}

static void infile_close(struct infile *f)
{
	if (f->open)
		sb_lines_close(&f->lines);
	free(f->fields);
	f->fields = NULL;
	f->open = false;
}

static unsigned long long lineno(const struct infile *f)
{
	return (unsigned long long)f->lines.lineno;
}

static enum sb_err bad_field(const struct infile *f, int col, const char *what,
			     struct sb_errbuf *err)
{
	return sb_errf(err, SB_EPARSE, "%s:%llu: expected %s in field %d, got '%.60s'",
		       f->path, lineno(f), what, col + 1, f->fields[col]);
}

/*
 * A price: in [1e-12, 1e12].  Beyond, no market quotes, and the metrics would overflow
 * or lose every digit (1e308 made a drawdown of 1.6e303; 4.9e-324 printed as 0).
 */
#define PRICE_MIN 1e-12
#define PRICE_MAX 1e12
/* An amount or volume: in [0, 1e18], so that sums over any file stay finite. */
#define AMOUNT_MAX 1e18

static enum sb_err get_price(const struct infile *f, int col, const char *name, double *out,
			     struct sb_errbuf *err)
{
	char what[96];

	if (!sb_parse_double(f->fields[col], out) || !(*out >= PRICE_MIN && *out <= PRICE_MAX)) {
		snprintf(what, sizeof(what), "a price from 1e-12 to 1e12 in column '%s'", name);
		return bad_field(f, col, what, err);
	}
	return SB_OK;
}

static enum sb_err get_amount(const struct infile *f, int col, const char *name, double *out,
			      struct sb_errbuf *err)
{
	char what[96];

	if (!sb_parse_double(f->fields[col], out) || !(*out >= 0 && *out <= AMOUNT_MAX)) {
		snprintf(what, sizeof(what), "a number from 0 to 1e18 in column '%s'", name);
		return bad_field(f, col, what, err);
	}
	return SB_OK;
}

/*
 * Tardis times: integer microseconds in [SB_TIME_MIN_US, SB_TIME_MAX_US), as
 * sb_parse_time() takes; before 1973 (1e14) means seconds or ms were given.
 */
static enum sb_err get_us(const struct infile *f, int col, const char *name, int64_t *out,
			  struct sb_errbuf *err)
{
	char what[128];
	bool ok = sb_parse_int64(f->fields[col], out);

	if (ok && (*out < SB_TIME_MIN_US || *out >= SB_TIME_MAX_US)) {
		snprintf(what, sizeof(what),
			 "a timestamp between 1900 and 2200 (microseconds since the epoch) in column '%s'",
			 name);
		return bad_field(f, col, what, err);
	}
	if (!ok || *out < INT64_C(100000000000000)) {
		snprintf(what, sizeof(what),
			 "a time in microseconds since the epoch in column '%s'", name);
		return bad_field(f, col, what, err);
	}
	return SB_OK;
}

/* Checks the row's symbol against 'ref', or makes it the reference when none is set. */
static enum sb_err check_symbol(const struct infile *f, struct symref *ref,
				struct sb_errbuf *err)
{
	const char *s;
	size_t n;

	if (f->hdr.kind != KIND_TARDIS || f->hdr.sym < 0)
		return SB_OK;
	s = f->fields[f->hdr.sym];
	if (ref->set) {
		/* every row asks: the length first, then the bytes, in line */
		n = f->plain ? field_len(f, f->hdr.sym) : strlen(s);
		if (n == ref->len) {
			size_t i = 0;

			while (i < n && s[i] == ref->sym[i])
				i++;
			if (i == n)
				return SB_OK;
		}
		return sb_errf(err, SB_EINVAL,
			       "%s:%llu: expected symbol '%s' (as in %s:%llu), got '%.60s'; one price series is one instrument",
			       f->path, lineno(f), ref->sym, ref->path,
			       (unsigned long long)ref->line, s);
	}
	n = strlen(s);
	if (n >= sizeof(ref->sym))
		return bad_field(f, f->hdr.sym, "a symbol of at most 63 bytes in column 'symbol'",
				 err);
	memcpy(ref->sym, s, n + 1);
	ref->len = n;
	ref->path = f->path;
	ref->line = f->lines.lineno;
	ref->set = true;
	return SB_OK;
}

/*
 * An OHLCV row's low and high must bound its open and close: a row that breaks this
 * (a truncated close, columns swapped) would otherwise trade at a price that never was.
 */
static enum sb_err check_range(const struct infile *f, const struct row *r,
			       struct sb_errbuf *err)
{
	const struct header *h = &f->hdr;
	const char *a, *b;
	int ca, cb;

	if (r->l > r->h) {
		ca = h->low, cb = h->high, a = "low", b = "above high";
	} else if (r->o < r->l) {
		ca = h->open, cb = h->low, a = "open", b = "below low";
	} else if (r->c < r->l) {
		ca = h->close, cb = h->low, a = "close", b = "below low";
	} else if (r->o > r->h) {
		ca = h->open, cb = h->high, a = "open", b = "above high";
	} else if (r->c > r->h) {
		ca = h->close, cb = h->high, a = "close", b = "above high";
	} else {
		return SB_OK;
	}
	return sb_errf(err, SB_EPARSE,
		       "%s:%llu: expected low <= open, close <= high, got %s %.40s %s %.40s",
		       f->path, lineno(f), a, f->fields[ca], b, f->fields[cb]);
}

/*
 * The fast path of a Tardis row.  The fields a day of trades is made of (digits,
 * one '.', "buy"/"sell") are read here without strtoll/strtod; anything else (signs,
 * exponents, spaces, more digits than a double holds exactly, a value out of range)
 * goes to the checked parsers above, which give the same numbers, or the message.
 */

/*
 * Unsigned decimal digits only, at most 18 of them: true with the value.  A time
 * then passes get_us() exactly when 1e14 <= v < SB_TIME_MAX_US.
 */
static bool fast_uint(const char *s, int64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; (unsigned char)(s[i] - '0') < 10; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (s[i] != '\0' || i == 0 || i > 18)
		return false;
	*out = (int64_t)v;
	return true;
}

/* True when the 8 bytes of v (little-endian) are all ASCII digits. */
static bool eight_digits(uint64_t v)
{
	return ((v & UINT64_C(0xf0f0f0f0f0f0f0f0)) |
		(((v + UINT64_C(0x0606060606060606)) & UINT64_C(0xf0f0f0f0f0f0f0f0)) >> 4)) ==
	       UINT64_C(0x3333333333333333);
}

/* The value of 8 ASCII digits (little-endian load), by three multiplications. */
static uint64_t eight_value(uint64_t v)
{
	const uint64_t mask = UINT64_C(0x000000ff000000ff);

	v -= UINT64_C(0x3030303030303030);
	v = v * 10 + (v >> 8);
	return ((v & mask) * UINT64_C(0x000f424000000064) +
		((v >> 16) & mask) * UINT64_C(0x0000271000000001)) >> 32;
}

/* A time of 'len' bytes: the 16 digits of every time from 2001 to 2286 in two loads. */
static bool fast_us(const char *s, size_t len, int64_t *out)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t a, b;

	if (len == 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		if (!eight_digits(a) || !eight_digits(b))
			return false;
		*out = (int64_t)(eight_value(a) * 100000000 + eight_value(b));
		return *out >= INT64_C(100000000000000) && *out < SB_TIME_MAX_US;
	}
#endif
	(void)len;
	return fast_uint(s, out) && *out >= INT64_C(100000000000000) && *out < SB_TIME_MAX_US;
}

/*
 * digits[.digits] with at most 19 significant digits, the integer of all digits m
 * at most 2^53 and k <= 22 decimals: m and 10^k are exact doubles, so m / 10^k
 * (decimal_value()) is the correctly rounded quotient, the double strtod() returns
 * (Clinger's fast path).  The number is m and k until then: the caller checks m and
 * divides last, so that no test waits for a division.
 */
struct decimal {
	uint64_t m;
	unsigned k;
};

static bool fast_decimal(const char *s, struct decimal *out)
{
	uint64_t m = 0;
	size_t i, nd, k = 0;

	for (i = 0; (unsigned char)(s[i] - '0') < 10; i++)
		m = m * 10 + (uint64_t)(s[i] - '0');
	nd = i;
	if (nd == 0)
		return false;
	if (s[i] == '.') {
		const char *f = s + i + 1;

		for (k = 0; (unsigned char)(f[k] - '0') < 10; k++)
			m = m * 10 + (uint64_t)(f[k] - '0');
		if (k == 0 || f[k] != '\0')
			return false;
		nd += k;
	} else if (s[i] != '\0') {
		return false;
	}
	if (nd > 19 || k > 22 || m > (UINT64_C(1) << 53))
		return false;
	out->m = m;
	out->k = (unsigned)k;
	return true;
}

static double decimal_value(struct decimal d)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};

	return (double)d.m / pow10[d.k];
}

#if defined(__GNUC__) && defined(__x86_64__)   /* gcc and clang */
#include <immintrin.h>
#define HAVE_DECIMAL16 1
/*
 * fast_decimal() of a field of 1 to 16 bytes whose length is known, without a loop:
 * a masked load (nothing read past the field), the digits and the dot found by two
 * compares, the dot squeezed out and the digits right-aligned by one shuffle, their
 * value summed pairwise by multiply-adds.  Accepts and gives exactly what
 * fast_decimal() does; its digit loops stop at a length that changes from row to row
 * (19502.7, 19501.02), a mispredicted branch per number.
 */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static bool fast_decimal16(const char *s, size_t len, struct decimal *out)
{
	const __mmask16 in = (__mmask16)((1u << len) - 1);
	const __m128i v = _mm_maskz_loadu_epi8(in, s);
	const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
	const __mmask16 dot = _mm_mask_cmpeq_epi8_mask(in, v, _mm_set1_epi8('.'));
	const __mmask16 dig = _mm_mask_cmplt_epu8_mask(in, d, _mm_set1_epi8(10));
	unsigned p, nd;
	__m128i idx, x;
	uint64_t m;

	if ((__mmask16)(dig | dot) != in || (dot & (dot - 1)))
		return false;                     /* not a digit, or two dots */
	p = dot ? (unsigned)__builtin_ctz(dot) : (unsigned)len;
	if (p == 0 || p + 1 == len)
		return false;                     /* ".5", "5.", "" */
	nd = dot ? (unsigned)len - 1 : (unsigned)len;
	/* output byte j takes digit j - (16 - nd), one further on from the dot; < 0: 0 */
	idx = _mm_sub_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
			   _mm_set1_epi8((char)(16 - nd)));
	idx = _mm_sub_epi8(idx, _mm_cmpgt_epi8(idx, _mm_set1_epi8((char)(p - 1))));
	x = _mm_shuffle_epi8(d, idx);
	x = _mm_maddubs_epi16(x, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1,
					       10, 1));
	x = _mm_madd_epi16(x, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
	x = _mm_packus_epi32(x, x);
	x = _mm_madd_epi16(x, _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
	m = (uint64_t)(uint32_t)_mm_cvtsi128_si32(x) * 100000000 +
	    (uint32_t)_mm_extract_epi32(x, 1);
	if (m > (UINT64_C(1) << 53))
		return false;
	out->m = m;
	out->k = dot ? (unsigned)len - 1 - p : 0;
	return true;
}
#endif

/* fast_decimal() of a field of 'len' bytes, by fast_decimal16() where the CPU can. */
static bool fast_decimal_len(const char *s, size_t len, struct decimal *out)
{
#if defined(HAVE_DECIMAL16)
	static int avx512 = -1;          /* chosen once; loaders on several threads agree */
	int a = __atomic_load_n(&avx512, __ATOMIC_RELAXED);

	if (a < 0) {
		a = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
		__atomic_store_n(&avx512, a, __ATOMIC_RELAXED);
	}
	if (a && len - 1 < 16)
		return fast_decimal16(s, len, out);
#endif
	(void)len;
	return fast_decimal(s, out);
}

/* The length of field 'col' of a line split without quotes. */
static size_t field_len(const struct infile *f, int col)
{
	const char *end = col + 1 < f->hdr.ncols ? f->fields[col + 1] - 1
						 : f->lines.buf + f->lines.len;

	return (size_t)(end - f->fields[col]);
}

/* The numbers and side of a Tardis row on the fast path; false: take the slow one. */
static bool fast_tardis(const struct infile *f, struct row *r)
{
	const struct header *h = &f->hdr;
	const char *s = f->fields[h->side];
	struct decimal price, amount;

	if (!f->plain)
		return false;
	if (!fast_us(f->fields[h->ts], field_len(f, h->ts), &r->t) ||
	    !fast_us(f->fields[h->lts], field_len(f, h->lts), &r->lt) ||
	    !fast_decimal_len(f->fields[h->price], field_len(f, h->price), &price) ||
	    price.m == 0 ||                   /* the price > 0, without its division */
	    !fast_decimal_len(f->fields[h->amount], field_len(f, h->amount), &amount))
		return false;
	if (s[0] == 'b' && s[1] == 'u' && s[2] == 'y' && s[3] == '\0')
		r->side = SIDE_BUY;
	else if (s[0] == 's' && s[1] == 'e' && s[2] == 'l' && s[3] == 'l' && s[4] == '\0')
		r->side = SIDE_SELL;
	else
		return false;
	r->c = decimal_value(price);
	if (!(r->c >= PRICE_MIN && r->c <= PRICE_MAX))
		return false;                 /* the slow path names it (get_price) */
	r->v = decimal_value(amount);
	r->o = r->h = r->l = r->c;
	return true;
}

/*
 * A trade's exchange time more than a day from the time it was received is a
 * damaged row, not a late message: one such row 2 days ahead stretched a day of
 * candles over three (filled, within --max-gap) and marked the book at its price.
 */
#define MAX_CLOCK_SKEW_US (INT64_C(86400) * SB_US_PER_SEC)

static bool skew_ok(const struct infile *f, const struct row *r, struct sb_errbuf *err)
{
	int64_t d = r->t - r->lt;

	if (d <= MAX_CLOCK_SKEW_US && d >= -MAX_CLOCK_SKEW_US)
		return true;
	sb_errf(err, SB_EPARSE,
		"%s:%llu: expected 'timestamp' within a day of 'local_timestamp', got %lld s %s it",
		f->path, lineno(f), (long long)((d < 0 ? -d : d) / SB_US_PER_SEC),
		d < 0 ? "before" : "after");
	return false;
}

/*
 * Reads the next data row of 'f' into 'r', skipping blank lines.  Returns 1, 0 at
 * the end of the file, -1 on error (message in err).
 */
static int next_row(struct infile *f, struct row *r, struct sb_errbuf *err)
{
	const struct header *h = &f->hdr;
	int r_lines, n;

	do {
		r_lines = sb_lines_next_csv(&f->lines, f->fields, h->ncols, &n, &f->plain, err);
		if (r_lines <= 0)
			return r_lines;
	} while (f->lines.len == 0);
	if (n != h->ncols) {
		if (n < 0)
			sb_errf(err, SB_EPARSE,
				"%s:%llu: expected %d comma-separated fields as in the header, got more (or an open quote)",
				f->path, lineno(f), h->ncols);
		else
			sb_errf(err, SB_EPARSE,
				"%s:%llu: expected %d comma-separated fields as in the header, got %d",
				f->path, lineno(f), h->ncols, n);
		return -1;
	}
	if (h->kind == KIND_TARDIS) {
		/* first, so that the id's slot is on its way while the numbers are read */
		r->id = h->id >= 0 && f->fields[h->id][0] ? f->fields[h->id] : NULL;
		if (r->id)
			r->id_len = f->plain ? field_len(f, h->id) : strlen(r->id);
		r->id_hash = 0;
		r->id_hashed = false;
		if (fast_tardis(f, r))
			return skew_ok(f, r, err) ? 1 : -1;
	}
	if (h->kind == KIND_TARDIS) {
		const char *s = f->fields[h->side];

		if (get_us(f, h->ts, "timestamp", &r->t, err) ||
		    get_us(f, h->lts, "local_timestamp", &r->lt, err) ||
		    get_price(f, h->price, "price", &r->c, err) ||
		    get_amount(f, h->amount, "amount", &r->v, err))
			return -1;
		r->o = r->h = r->l = r->c;
		if (strcmp(s, "buy") == 0) {
			r->side = SIDE_BUY;
		} else if (strcmp(s, "sell") == 0) {
			r->side = SIDE_SELL;
		} else if (strcmp(s, "unknown") == 0) {
			r->side = SIDE_UNKNOWN;
		} else {
			bad_field(f, h->side, "'buy', 'sell' or 'unknown' in column 'side'", err);
			return -1;
		}
		if (!skew_ok(f, r, err))
			return -1;
	} else {
		if (!sb_parse_time(f->fields[h->time], &r->t)) {
			bad_field(f, h->time,
				  "a time between 1900 and 2200 (epoch s/ms/us, 'YYYY-MM-DD HH:MM:SS' UTC or RFC 3339) in the time column",
				  err);
			return -1;
		}
		r->lt = r->t;
		if (get_price(f, h->open, "open", &r->o, err) ||
		    get_price(f, h->high, "high", &r->h, err) ||
		    get_price(f, h->low, "low", &r->l, err) ||
		    get_price(f, h->close, "close", &r->c, err) ||
		    check_range(f, r, err))
			return -1;
		r->v = 0;
		r->id = NULL;
		if (h->volume >= 0 && get_amount(f, h->volume, "volume", &r->v, err))
			return -1;
		r->side = SIDE_UNKNOWN;
	}
	return 1;
}

static void grid_free(struct grid *g)
{
	free(g->b);
	memset(g, 0, sizeof(*g));
}

/*
 * Widens the grid by 'add_front' candles before the first and 'add_back' after the
 * last; new candles are empty.  Grows the storage geometrically at the end used.
 */
static enum sb_err grid_grow(struct grid *g, size_t add_front, size_t add_back)
{
	size_t n = g->n + add_front + add_back;

	if (add_front > g->front || g->front + g->n + add_back > g->cap) {
		size_t slack_front = (add_front || g->front) ? n / 4 + 16 : 0;
		size_t cap = slack_front + n + n / 2 + 64;
		struct bucket *nb = malloc(cap * sizeof(*nb));

		if (!nb)
			return SB_ENOMEM;
		if (g->n)
			memcpy(nb + slack_front + add_front, g->b + g->front, g->n * sizeof(*nb));
		free(g->b);
		g->b = nb;
		g->front = slack_front + add_front;
		g->cap = cap;
	}
	g->front -= add_front;
	memset(g->b + g->front, 0, add_front * sizeof(*g->b));
	memset(g->b + g->front + add_front + g->n, 0, add_back * sizeof(*g->b));
	g->n = n;
	g->k0 -= (int64_t)add_front;
	return SB_OK;
}

/* "3d", "2d 17h 29m", "90s", "250ms": the non-zero units of a duration. */
static void format_duration(int64_t us, char *out, size_t size)
{
	static const struct { int64_t us; const char *unit; } units[] = {
		{ SB_US_PER_DAY, "d" }, { 3600 * SB_US_PER_SEC, "h" },
		{ 60 * SB_US_PER_SEC, "m" }, { SB_US_PER_SEC, "s" }, { 1000, "ms" }, { 1, "us" },
	};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && len < size; i++) {
		int64_t q = us / units[i].us;

		if (q == 0)
			continue;
		us -= q * units[i].us;
		len += (size_t)snprintf(out + len, size - len, "%s%lld%s", len ? " " : "",
					(long long)q, units[i].unit);
	}
	if (len == 0)
		snprintf(out, size, "0s");
}

/*
 * A new candle k outside the grid opens a gap of 'empty' candles between it and the
 * nearest candle with rows (the grid's first and last candles always have rows).
 * Checked before the grid grows: a gap longer than the limit is an error naming the
 * row.  'lo' is the first empty candle.
 */
static enum sb_err check_gap(const struct grid *g, int64_t lo, size_t empty, const char *path,
			     uint64_t line, struct filestat *st, struct sb_errbuf *err)
{
	int64_t gap = (int64_t)empty * g->d;
	char a[SB_TIME_LEN], b[SB_TIME_LEN], want[64], got[64];

	if (gap > st->longest_gap)
		st->longest_gap = gap;
	if (g->max_gap == 0 || gap <= g->max_gap)
		return SB_OK;
	sb_format_time(lo * g->d, a);
	sb_format_time((lo + (int64_t)empty) * g->d, b);
	format_duration(g->max_gap, want, sizeof(want));
	format_duration(gap, got, sizeof(got));
	return sb_errf(err, SB_EINVAL,
		       "%s:%llu: expected no gap in prices longer than %s (--max-gap), got %s without a price, from %s to %s",
		       path, (unsigned long long)line, want, got, a, b);
}

/*
 * Candle k (of the row at 't') widens a grid of the n candles from k0 by 'add_front'
 * before and 'add_back' after them: the checks of the gap it opens (st->longest_gap)
 * and of the grid's size, with the message naming the row on error.
 */
static enum sb_err grid_widen(const struct grid *g, int64_t k0, size_t n, int64_t k, int64_t t,
			      const char *path, uint64_t line, struct filestat *st,
			      size_t *add_front, size_t *add_back, struct sb_errbuf *err)
{
	enum sb_err rc = SB_OK;
	char ts[SB_TIME_LEN], t0[SB_TIME_LEN];

	*add_front = *add_back = 0;
	if (n == 0) {
		*add_back = 1;
	} else if (k < k0) {
		*add_front = (size_t)(k0 - k);
		rc = check_gap(g, k + 1, *add_front - 1, path, line, st, err);
	} else if (k - k0 >= (int64_t)n) {
		*add_back = (size_t)(k - k0) - n + 1;
		rc = check_gap(g, k0 + (int64_t)n, *add_back - 1, path, line, st, err);
	}
	if (rc || (*add_front <= GRID_MAX && *add_back <= GRID_MAX &&
		   n + *add_front + *add_back <= GRID_MAX))
		return rc;
	sb_format_time(t, ts);
	sb_format_time((n ? k0 : k) * g->d, t0);
	return sb_errf(err, SB_EINVAL,
		       "%s:%llu: expected times within %zu candles of each other, got %s with candles starting %s (a bad timestamp, or an interval too fine for the span)",
		       path, (unsigned long long)line, GRID_MAX, ts, t0);
}

struct solo;
static bool solo_widened(struct solo *so, int64_t t, uint64_t line);
static void solo_stop(struct solo *so);

/*
 * The bucket for time 't', widening the grid as needed; NULL with a message on error.
 * A file loaded on its own ('so') notes the rows that widen its grid, and stops
 * (so->fallback) where only the grid of the files before it can tell.
 */
static struct bucket *grid_slot(struct grid *g, int64_t t, const char *path, uint64_t line,
				struct filestat *st, struct solo *so, struct sb_errbuf *err)
{
	int64_t k = sb_floordiv(t, g->d);
	enum sb_err rc;
	size_t add_front, add_back;

	if (g->n && k >= g->k0 && k - g->k0 < (int64_t)g->n)
		return &g->b[g->front + (size_t)(k - g->k0)];
	if (so && !solo_widened(so, t, line))
		return NULL;
	if (grid_widen(g, g->k0, g->n, k, t, path, line, st, &add_front, &add_back, err)) {
		if (so)
			solo_stop(so);          /* the merge tells, against the grid before */
		return NULL;
	}
	if (g->n == 0)
		g->k0 = k;
	rc = grid_grow(g, add_front, add_back);
	if (rc) {
		if (so)
			solo_stop(so);
		sb_errf(err, rc, "%s:%llu: out of memory for %zu candles", path,
			(unsigned long long)line, g->n + add_front + add_back);
		return NULL;
	}
	return &g->b[g->front + (size_t)(k - g->k0)];
}

/* Adds one row to its candle: open of the earliest time, close of the latest. */
static void bucket_add(struct bucket *b, const struct row *r)
{
	if (b->rows == 0) {
		b->o = r->o;
		b->h = r->h;
		b->l = r->l;
		b->c = r->c;
		b->first = b->last = r->t;
	} else {
		if (r->t < b->first) {          /* ties keep the first in file order */
			b->o = r->o;
			b->first = r->t;
		}
		if (r->t >= b->last) {          /* ties take the last in file order */
			b->c = r->c;
			b->last = r->t;
		}
		if (r->h > b->h)
			b->h = r->h;
		if (r->l < b->l)
			b->l = r->l;
	}
	b->v += r->v;
	if (r->side == SIDE_BUY)
		b->buy += r->v;
	else if (r->side == SIDE_SELL)
		b->sell += r->v;
	b->rows++;
}

/* ---- the ids of recent trades (see DUP_WINDOW_US) ---- */

/* One remembered id: inline when short (every id format Tardis has), else on the heap. */
struct seen_id {
	int64_t lt;              /* local_timestamp of its trade */
	uint64_t hash;
	uint32_t len;
	char s[44];              /* the id when len < sizeof(s), else a char * to it */
};

/*
 * A ring of the ids in arrival order and an open-addressing table with linear
 * probing.  Ids are numbered in arrival order ('seq'); the live ones are the n from
 * 'head' on, id s at ring position s % cap (cap <= DUP_MAX_IDS = 2^20).  A slot is
 * 32 bits, so that the table of a busy day's window (4 slots per id of the ring:
 * 512 KB for 32,768) stays in the L2 cache: 12 bits of the id's hash (the top one set,
 * 0 = free) above its ring position (20 bits).  Probing reads the table, and the
 * ring only when the 11 bits of hash agree (1 in 2,048 other ids), for a live
 * position (from 'head' on) whose id is then compared whole: a slot whose position
 * has since been taken by another id can only find that id, when it is the same.
 * Forgetting the oldest id touches only the ring: its slot stays, stale, until the
 * table is rebuilt from the live ids, when live and stale slots fill half of it; it
 * has 4 slots per id the ring holds, so a rebuild comes after at least 'cap' new ids.
 *
 * Until the table is needed ('hashed' false) there is none: while every id is a
 * decimal number written canonically (no leading zero, at most 19 digits) and larger
 * than the one before, as most exchanges' trade ids are, a new id is one larger than
 * the newest ('last'), and any other is looked up by binary search in the ring, which
 * is then sorted.  The first id that breaks this builds the table from the live ids.
 */
struct idwin {
	struct seen_id *e;
	size_t cap, n;
	uint64_t head;           /* number of the oldest live id */
	uint32_t *slot;
	size_t nslot, used;      /* slots; those not free (live or stale) */
	int64_t lt_max;
	bool hashed;             /* the table holds every live id */
	uint64_t last;           /* !hashed and n: the value of the newest id */
};

static uint64_t hash_id(const char *s, size_t len)
{
	uint64_t h = len * UINT64_C(0x9e3779b97f4a7c15), w = 0;

	if (len >= 8) {
		for (; len > 8; s += 8, len -= 8) {  /* 8 bytes a step */
			memcpy(&w, s, 8);
			h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
			h ^= h >> 29;
		}
		memcpy(&w, s + len - 8, 8);          /* the last 8, some hashed already */
	} else {
		for (; len; len--)
			w = w << 8 | (unsigned char)s[len - 1];
	}
	h ^= w;
	/* murmur3's finaliser: ids that differ in their last digit land far apart */
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	return h ^ (h >> 33);
}

static const char *seen_str(const struct seen_id *e)
{
	const char *p;

	if (e->len < sizeof(e->s))
		return e->s;
	memcpy(&p, e->s, sizeof(p));
	return p;
}

static struct seen_id *idwin_at(const struct idwin *w, uint64_t seq)
{
	return &w->e[seq & (w->cap - 1)];
}

static void idwin_free(struct idwin *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct seen_id *e = idwin_at(w, w->head + i);

		if (e->len >= sizeof(e->s))
			free((void *)seen_str(e));
	}
	free(w->e);
	free(w->slot);
	memset(w, 0, sizeof(*w));
}

#define IDWIN_POS_BITS 20
_Static_assert(DUP_MAX_IDS <= (size_t)1 << IDWIN_POS_BITS, "a ring position fits a slot");

/* The 12 bits of hash a slot keeps, the top one set. */
static uint32_t idwin_tag(uint64_t h)
{
	return (uint32_t)(h >> 52) | 0x800;
}

/* Puts id number 'seq' (hash 'h') in the first free slot of its probe. */
static void idwin_put(struct idwin *w, uint64_t seq, uint64_t h)
{
	size_t mask = w->nslot - 1, i = h & mask;

	while (w->slot[i])
		i = (i + 1) & mask;
	w->slot[i] = idwin_tag(h) << IDWIN_POS_BITS | (uint32_t)(seq & (w->cap - 1));
	w->used++;
}

/* A new table of 4 slots per ring entry with the live ids only. */
static bool idwin_rebuild(struct idwin *w)
{
	if (w->nslot == 4 * w->cap) {
		memset(w->slot, 0, w->nslot * sizeof(*w->slot));
	} else {
		uint32_t *slot = calloc(4 * w->cap, sizeof(*slot));

		if (!slot)
			return false;
		free(w->slot);
		w->slot = slot;
		w->nslot = 4 * w->cap;
	}
	w->used = 0;
	for (size_t i = 0; i < w->n; i++)
		idwin_put(w, w->head + i, idwin_at(w, w->head + i)->hash);
	return true;
}

/* A ring twice as large (each id at its number modulo the new size) and a table. */
static bool idwin_grow(struct idwin *w)
{
	size_t cap = w->cap ? w->cap * 2 : 1024;
	struct seen_id *e = malloc(cap * sizeof(*e));

	if (!e)
		return false;
	for (size_t i = 0; i < w->n; i++)
		e[(w->head + i) & (cap - 1)] = *idwin_at(w, w->head + i);
	free(w->e);
	w->e = e;
	w->cap = cap;
	return !w->hashed || idwin_rebuild(w);
}

/* The value of an id written as a decimal number canonically ("0", or no leading zero,
 * at most 19 digits); false for any other id. */
static bool id_value(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 19 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)(s[i] - '0') > 9)
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

/* Without the table: whether value v is among the ids numbered [head, head + n), whose
 * values increase. */
static bool idwin_search(const struct idwin *w, uint64_t head, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct seen_id *e = idwin_at(w, head + mid);
		uint64_t x = 0;

		id_value(seen_str(e), e->len, &x);   /* true: only such ids are kept */
		if (x == v)
			return true;
		if (x < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The table, from the live ids: the ids no longer increase.  Their hashes were not
 * needed until now. */
static bool idwin_to_hashed(struct idwin *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct seen_id *e = idwin_at(w, w->head + i);

		e->hash = hash_id(seen_str(e), e->len);
	}
	w->hashed = true;
	return w->cap == 0 || idwin_rebuild(w);   /* no ring yet: idwin_grow() builds it */
}

/* Forgets the oldest id (its slot goes stale). */
static void idwin_drop_oldest(struct idwin *w)
{
	const struct seen_id *e = idwin_at(w, w->head);

	if (e->len >= sizeof(e->s))
		free((void *)seen_str(e));
	w->head++;
	w->n--;
}

/* Starts fetching the table slot of an id of hash 'h' from memory. */
static void idwin_prefetch(const struct idwin *w, uint64_t h)
{
	if (w->hashed && w->nslot)
		__builtin_prefetch(&w->slot[h & (w->nslot - 1)]);
}

/*
 * Whether 'id' (hash 'h') is among the ids numbered [head, head + n), which must be
 * live ones of 'w' (every live id has its slot).
 */
static bool idwin_find(const struct idwin *w, uint64_t head, size_t n, const char *id,
		       size_t len, uint64_t h)
{
	size_t mask = w->nslot - 1, rmask = w->cap - 1;
	uint32_t tag = idwin_tag(h), s;
	uint64_t v;

	if (!w->hashed)                  /* every live id a number: by value */
		return n && id_value(id, len, &v) && idwin_search(w, head, n, v);

	for (size_t i = h & mask; n && (s = w->slot[i]) != 0; i = (i + 1) & mask) {
		const struct seen_id *c;
		size_t pos = s & (((uint32_t)1 << IDWIN_POS_BITS) - 1);

		if (s >> IDWIN_POS_BITS != tag || ((pos - (size_t)head) & rmask) >= n)
			continue;
		c = &w->e[pos];
		if (c->hash == h && c->len == len && memcmp(seen_str(c), id, len) == 0)
			return true;
	}
	return false;
}

/* Room for one more id at the end of the ring (the oldest goes at DUP_MAX_IDS). */
static bool idwin_room(struct idwin *w)
{
	if (w->n == w->cap) {
		if (w->cap >= DUP_MAX_IDS)
			idwin_drop_oldest(w);
		else if (!idwin_grow(w))
			return false;
	}
	return !w->hashed || w->used + 1 <= w->nslot / 2 || idwin_rebuild(w);
}

/* Whether an id of value-or-not 'numeric' (value v) keeps the ring increasing; else
 * the table is built.  False when out of memory. */
static bool idwin_keep_order(struct idwin *w, bool numeric, uint64_t v)
{
	if (w->hashed || (numeric && (w->n == 0 || v > w->last)))
		return true;
	return idwin_to_hashed(w);
}

/* Appends a remembered id, taking over its string; false when out of memory. */
static bool idwin_append(struct idwin *w, const struct seen_id *e)
{
	uint64_t seq, v = 0;
	bool numeric = !w->hashed && id_value(seen_str(e), e->len, &v);

	if (!idwin_keep_order(w, numeric, v) || !idwin_room(w))
		return false;
	seq = w->head + w->n;
	*idwin_at(w, seq) = *e;
	w->n++;
	if (w->hashed) {                 /* e may come from a window that kept no hashes */
		struct seen_id *c = idwin_at(w, seq);

		c->hash = hash_id(seen_str(c), c->len);
		idwin_put(w, seq, c->hash);
	} else {
		w->last = v;
	}
	return true;
}

/* *h = hash_id(id, len) once the window has a table, if not done yet. */
static void need_hash(const struct idwin *w, const char *id, size_t len, uint64_t *h,
		      bool *hashed)
{
	if (w->hashed && !*hashed) {
		*h = hash_id(id, len);
		*hashed = true;
	}
}

/*
 * Returns 1 when 'id' was among the remembered ids (a duplicate), 0 when it is new
 * (and now remembered), -1 when out of memory.  'len' is strlen(id); *h is
 * hash_id(id, len) when *hashed, else it is computed here if the table needs it.
 */
static int idwin_check(struct idwin *w, const char *id, size_t len, uint64_t *h,
		       bool *hashed, int64_t lt)
{
	struct seen_id *e;
	uint64_t seq, v = 0;
	bool numeric;

	if (w->n == 0 || lt > w->lt_max)
		w->lt_max = lt;
	while (w->n && idwin_at(w, w->head)->lt < w->lt_max - DUP_WINDOW_US)
		idwin_drop_oldest(w);
	numeric = !w->hashed && id_value(id, len, &v);
	need_hash(w, id, len, h, hashed);
	/* increasing: larger than the newest is new, without a look */
	if (!(numeric && (w->n == 0 || v > w->last)) &&
	    idwin_find(w, w->head, w->n, id, len, *h))
		return 1;
	if (!idwin_keep_order(w, numeric, v) || !idwin_room(w))
		return -1;
	need_hash(w, id, len, h, hashed);   /* the table may have been built just now */
	seq = w->head + w->n;
	e = idwin_at(w, seq);            /* written in place */
	e->lt = lt;
	e->hash = *h;                    /* meaningful when hashed */
	e->len = (uint32_t)len;
	if (len < sizeof(e->s)) {
		memcpy(e->s, id, len + 1);
	} else {
		char *copy = malloc(len + 1);

		if (!copy)
			return -1;
		memcpy(copy, id, len + 1);
		memcpy(e->s, &copy, sizeof(copy));
	}
	w->n++;
	if (w->hashed)
		idwin_put(w, seq, *h);
	else
		w->last = v;
	return 0;
}

/*
 * Opens 'path', reads its header and first data row: the kind and the time used to
 * order the files.  The file is closed again.
 */
static enum sb_err peek_file(const char *path, enum kind *kind, int64_t *first,
			     struct symref *ref, struct sb_errbuf *err)
{
	struct infile f;
	struct row r;
	enum sb_err rc;
	int got;

	rc = infile_open(&f, path, false, err);
	if (rc)
		goto out_close;
	*kind = f.hdr.kind;
	got = next_row(&f, &r, err);
	if (got < 0) {
		rc = SB_EPARSE;
		goto out_close;
	}
	if (got == 0) {
		rc = sb_errf(err, SB_EPARSE, "%s:%llu: expected at least one data row after the header",
			     path, lineno(&f) + 1);
		goto out_close;
	}
	*first = r.lt;
	rc = check_symbol(&f, ref, err);
out_close:
	infile_close(&f);
	return rc;
}

/*
 * Rows travel from the parser to the grid in batches: on a thread of their own when
 * the process may use a second CPU (sb_load_threads()), so that parsing (and, on a
 * third thread, inflating) overlaps the grid and the duplicate window; else the
 * same batches are filled in line.  The grid sees the same rows in the same order
 * either way, and a parser error arrives after the rows before it, as in one loop.
 */
#define BATCH_ROWS 4096
#define BATCHES 4

struct batch {
	struct row rows[BATCH_ROWS];
	size_t n;
	char *ids;               /* the rows' ids, NUL-terminated, one after another */
	size_t ids_len, ids_cap;
	int end;                 /* 0: rows follow; 1: the end of the file; -1: 'err' */
	enum sb_err rc;
	struct sb_errbuf err;
	uint64_t lines;          /* the file's lines read so far */
};

struct parser {
	struct infile *f;
	struct symref *ref;      /* set by the peeks: only read while loading */
	struct batch *b;         /* nb of them: BATCHES, or 1 filled in line */
	size_t nb;
	struct sb_pipe pipe;     /* thread NULL: the batch is filled in line */
};

/* Parses rows of p->f into 'b' until it is full, the file ends or an error. */
static void fill_batch(struct parser *p, struct batch *b)
{
	b->n = 0;
	b->ids_len = 0;
	b->end = 0;
	while (b->n < BATCH_ROWS) {
		struct row *r = &b->rows[b->n];
		int got = next_row(p->f, r, &b->err);

		if (got <= 0) {
			b->end = got == 0 ? 1 : -1;
			b->rc = SB_EPARSE;
			break;
		}
		b->rc = check_symbol(p->f, p->ref, &b->err);
		if (b->rc) {
			b->end = -1;
			break;
		}
		r->line = p->f->lines.lineno;
		if (r->id) {              /* the line buffer is reused: keep a copy */
			if (b->ids_len + r->id_len + 1 > b->ids_cap) {
				size_t cap = (b->ids_len + r->id_len + 1) * 2;
				char *ids = realloc(b->ids, cap);

				if (!ids) {
					b->rc = sb_errf(&b->err, SB_ENOMEM, "%s:%llu: out of memory",
							p->f->path, lineno(p->f));
					b->end = -1;
					break;
				}
				b->ids = ids;
				b->ids_cap = cap;
			}
			memcpy(b->ids + b->ids_len, r->id, r->id_len + 1);
			/* offset + 1 until taken (NULL stays "no id") */
			r->id = (const char *)(uintptr_t)(b->ids_len + 1);
			b->ids_len += r->id_len + 1;
		}
		b->n++;
	}
	b->lines = p->f->lines.lineno;
}

static void *parser_main(void *arg)
{
	struct parser *p = arg;
	struct batch *b;

	while ((b = sb_queue_pop(p->pipe.empty)) != NULL) {
		fill_batch(p, b);
		if (!sb_queue_push(p->pipe.full, b) || b->end)
			break;
	}
	return NULL;
}

static void parser_stop(struct parser *p)
{
	sb_pipe_stop(&p->pipe);
	for (size_t i = 0; p->b && i < p->nb; i++)
		free(p->b[i].ids);
	free(p->b);
	memset(p, 0, sizeof(*p));
}

/* Sets up the batches, and the parser thread when 'threads' (else fills in line). */
static bool parser_start(struct parser *p, struct infile *f, struct symref *ref, bool threads)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->ref = ref;
	p->nb = threads ? BATCHES : 1;
	p->b = calloc(p->nb, sizeof(*p->b));
	if (!p->b)
		return false;
	if (threads) {
		void *bufs[BATCHES];

		for (size_t i = 0; i < BATCHES; i++)
			bufs[i] = &p->b[i];
		sb_pipe_start(&p->pipe, bufs, BATCHES, parser_main, p);   /* else in line */
	}
	return true;
}

/* The next batch in file order; give it back with parser_done(). */
static struct batch *parser_next(struct parser *p)
{
	if (!p->pipe.thread) {
		fill_batch(p, &p->b[0]);
		return &p->b[0];
	}
	return sb_queue_pop(p->pipe.full);   /* never NULL: only parser_stop() closes it */
}

static void parser_done(struct parser *p, struct batch *b)
{
	if (p->pipe.thread && !b->end)
		sb_queue_push(p->pipe.empty, b);
}


/*
 * ---- files loaded on their own, on several cores, merged in the order of a serial load ----
 *
 * A serial load carries three things from one file into the next: the duplicate
 * window (the ids of the last 10 minutes), the grid's extent (against which a new
 * candle's gap is measured) and the candles themselves (a candle that two files
 * share sums its volumes in file order).  A file loaded on its own starts with none of
 * them, and notes what it needs to be merged exactly as if it had followed the files
 * before it:
 *
 * - its first id rows, until one comes DUP_WINDOW_US after its first row: once the
 *   files spans do not overlap (every earlier local_timestamp below this file's), that
 *   row's check forgets every earlier id, and from there the two windows are the same.
 *   The merge asks each noted id the earlier files' ids still remembered at that row;
 *   one found (a duplicate across the boundary) means another answer, and the file is
 *   loaded again after the others, serially;
 * - the rows that widened its own grid, and its first: the only rows that can widen
 *   the grid of the files before it (a serial gap is never longer than its own); the
 *   merge replays them against that grid, for the same gaps, errors and messages;
 * - the rows of candles up to one minute after its first local_timestamp: the ones an
 *   earlier file can share.  The merge adds them to such a candle one by one, in file
 *   order; a shared candle whose rows were not all noted (too many) means a serial load.
 *
 * Anything else that depends on the files before (a gap too long for the file alone,
 * overlapping spans, out of memory) is left to a serial load of the file at its turn.
 */
#define SOLO_IDS_MAX ((size_t)1 << 18)     /* id rows noted */
#define SOLO_CELLS_MAX ((size_t)1 << 15)   /* rows of early candles noted */
#define SOLO_CELLS_AHEAD (60 * SB_US_PER_SEC)

struct dup_rec {                 /* an id row, with what the file's own window said */
	uint64_t hash;
	int64_t lt;
	uint32_t off, len;       /* the id at solo.idtext + off */
	bool dup;
};

struct cell_rec {                /* a row of an early candle */
	int64_t t;
	double o, h, l, c, v;
	enum side side;
};

struct ext_rec {                 /* a row that widened the grid, or the first */
	int64_t t;
	uint64_t line;
};

enum ids_end { IDS_NOTING = 0, IDS_SYNCED, IDS_FULL };

struct solo {
	int64_t first_lt;
	int64_t d;
	bool started;
	enum ids_end ids_end;            /* NOTING at the end: the file ended first */
	struct dup_rec *dup;
	size_t ndup, dup_cap;
	char *idtext;
	size_t idtext_len, idtext_cap;
	size_t win_max;                  /* the largest window while noting */
	int64_t k_log;                   /* candles up to k_log are noted... */
	int64_t k_unlogged;              /* ...those before k_unlogged completely */
	struct cell_rec *cell;
	size_t ncell, cell_cap;
	struct ext_rec *ext;
	size_t next, ext_cap;
	bool fallback;                   /* stopped: a serial load will tell */
	const int *cancel;               /* set: stop as soon as possible */
};

static void solo_free(struct solo *so)
{
	free(so->dup);
	free(so->idtext);
	free(so->cell);
	free(so->ext);
	memset(so, 0, sizeof(*so));
}

static void solo_stop(struct solo *so)
{
	so->fallback = true;
}

/* Room for one more of 'size' bytes in *p (holding *n of *cap); false: none. */
static bool solo_more(void *pp, size_t *cap, size_t n, size_t size)
{
	void **p = pp, *q;
	size_t c;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 256;
	q = realloc(*p, c * size);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

static bool solo_widened(struct solo *so, int64_t t, uint64_t line)
{
	if (!solo_more(&so->ext, &so->ext_cap, so->next, sizeof(*so->ext))) {
		solo_stop(so);
		return false;
	}
	so->ext[so->next++] = (struct ext_rec){ t, line };
	return true;
}

static void solo_first_row(struct solo *so, int64_t lt)
{
	so->started = true;
	so->first_lt = lt;
	so->k_log = sb_floordiv(lt + SOLO_CELLS_AHEAD, so->d);
	so->k_unlogged = so->k_log + 1;
}

/* Before the window's check of an id row: whether to note it. */
static bool solo_noting(struct solo *so, const struct row *r)
{
	if (so->ids_end == IDS_NOTING && r->lt - so->first_lt >= DUP_WINDOW_US)
		so->ids_end = IDS_SYNCED;
	return so->ids_end == IDS_NOTING;
}

static void solo_note_id(struct solo *so, struct row *r, bool dup, size_t win)
{
	if (!r->id_hashed) {             /* the merge looks it up in a table, maybe */
		r->id_hash = hash_id(r->id, r->id_len);
		r->id_hashed = true;
	}
	if (so->ndup == SOLO_IDS_MAX || r->id_len > UINT32_MAX - so->idtext_len ||
	    !solo_more(&so->dup, &so->dup_cap, so->ndup, sizeof(*so->dup))) {
		so->ids_end = IDS_FULL;
		return;
	}
	while (so->idtext_len + r->id_len > so->idtext_cap)
		if (!solo_more(&so->idtext, &so->idtext_cap, so->idtext_cap, 1)) {
			so->ids_end = IDS_FULL;
			return;
		}
	memcpy(so->idtext + so->idtext_len, r->id, r->id_len);
	so->dup[so->ndup++] = (struct dup_rec){ r->id_hash, r->lt, (uint32_t)so->idtext_len,
						(uint32_t)r->id_len, dup };
	so->idtext_len += r->id_len;
	if (win > so->win_max)
		so->win_max = win;
}

/* A row that went into candle k. */
static void solo_note_cell(struct solo *so, const struct row *r, int64_t k)
{
	if (k > so->k_log)
		return;
	if (so->ncell < SOLO_CELLS_MAX &&
	    solo_more(&so->cell, &so->cell_cap, so->ncell, sizeof(*so->cell)))
		so->cell[so->ncell++] = (struct cell_rec){ r->t, r->o, r->h, r->l, r->c, r->v,
							   r->side };
	else if (k < so->k_unlogged)
		so->k_unlogged = k;
}

/* Where the rows of one file go, and what it saw of them. */
struct take {
	struct grid *g;
	struct idwin *ids;
	struct filestat *st;
	struct solo *so;
	const char *path;
	uint32_t file;
	bool ohlcv;
	int64_t prev;            /* the previous row's time (OHLCV) */
	struct sb_errbuf *err;
};

/* One row of the file, in file order, into the window and the grid. */
static enum sb_err take_row(struct take *t, struct row *r)
{
	struct filestat *st = t->st;
	struct solo *so = t->so;
	struct bucket *b;

	if (t->ohlcv && st->rows) {
		if (r->t <= t->prev) {
			char a[SB_TIME_LEN], pt[SB_TIME_LEN];

			sb_format_time(r->t, a);
			sb_format_time(t->prev, pt);
			return sb_errf(t->err, SB_EPARSE,
				       "%s:%llu: expected a time after the previous row's %s (rows strictly increasing), got %s",
				       t->path, (unsigned long long)r->line, pt, a);
		}
		if (r->t - t->prev < st->min_gap) {
			st->min_gap = r->t - t->prev;
			st->min_gap_line = r->line;
		}
	}
	t->prev = r->t;
	if (st->rows == 0) {
		st->span_min = st->span_max = r->lt;
		st->span_min_line = r->line;
		st->first_span = r->lt;
		if (so)
			solo_first_row(so, r->lt);
	}
	if (r->lt < st->span_min) {
		st->span_min = r->lt;
		st->span_min_line = r->line;
	}
	if (r->lt > st->span_max)
		st->span_max = r->lt;
	st->rows++;
	if (r->id) {
		bool note = so && solo_noting(so, r);
		int dup = idwin_check(t->ids, r->id, r->id_len, &r->id_hash, &r->id_hashed, r->lt);

		if (dup < 0)
			return sb_errf(t->err, SB_ENOMEM, "%s:%llu: out of memory", t->path,
				       (unsigned long long)r->line);
		if (note)
			solo_note_id(so, r, dup, t->ids->n);
		if (dup) {
			st->duplicates++;
			return SB_OK;
		}
	}
	b = grid_slot(t->g, r->t, t->path, r->line, st, so, t->err);
	if (!b)
		return SB_EINVAL;
	if (so)
		solo_note_cell(so, r, t->g->k0 + (int64_t)(b - t->g->b - t->g->front));
	if (b->rows == 0)
		b->file = t->file;
	bucket_add(b, r);
	if (st->rows - st->duplicates == 1)
		st->t_min = st->t_max = r->t;
	if (r->t < st->t_min)
		st->t_min = r->t;
	if (r->t > st->t_max)
		st->t_max = r->t;
	return SB_OK;
}

/* Starts fetching the table slot of a row's id a few rows ahead, its hash kept for
 * the row (id still an offset + 1 into the batch's ids); with no table, nothing. */
static void idwin_prefetch_row(const struct idwin *w, const struct batch *bt, struct row *r)
{
	if (!w->hashed)
		return;
	r->id_hash = hash_id(bt->ids + ((uintptr_t)r->id - 1), r->id_len);
	r->id_hashed = true;
	idwin_prefetch(w, r->id_hash);
}

/* Whether a file loaded on its own was told to stop. */
static bool cancelled(struct solo *so)
{
	if (!so || !__atomic_load_n(so->cancel, __ATOMIC_RELAXED))
		return false;
	solo_stop(so);
	return true;
}

/*
 * Streams every row of 'path' (file number 'file') into the grid: after the files
 * before it when 'so' is NULL, else on its own, noting in 'so' what the merge needs.
 * 'threads': inflate and parse on threads of their own (else the same batches are
 * filled in line: their rows are then taken from the cache, their window slots
 * fetched a few rows ahead, which is faster here than taking each row as it is parsed).
 */
static enum sb_err load_file(struct grid *g, const char *path, uint32_t file,
			     struct filestat *st, struct symref *ref, struct idwin *ids,
			     struct solo *so, bool threads, struct sb_errbuf *err)
{
	struct infile f;
	struct parser p = { 0 };
	struct take t = { .g = g, .ids = ids, .st = st, .so = so, .path = path, .file = file,
			  .err = err };
	struct batch *bt;
	enum sb_err rc;
	int end;

	memset(st, 0, sizeof(*st));
	st->min_gap = INT64_MAX;
	rc = infile_open(&f, path, g->digest, err);
	if (rc)
		goto out_close;
	t.ohlcv = f.hdr.kind == KIND_OHLCV;
	if (threads)
		sb_lines_readahead(&f.lines);        /* inflate on another core while parsing */
	if (!parser_start(&p, &f, ref, threads)) {
		rc = sb_errf(err, SB_ENOMEM, "%s: out of memory", path);
		goto out_close;
	}
	do {
		bt = parser_next(&p);
		if (cancelled(so)) {
			rc = SB_EINVAL;
			goto out_close;
		}
		for (size_t i = 0; i < bt->n; i++) {
			struct row *br = &bt->rows[i];

			/* the window's table may be larger than the cache: a few rows ahead */
			if (i + 8 < bt->n && bt->rows[i + 8].id)
				idwin_prefetch_row(ids, bt, &bt->rows[i + 8]);
			if (br->id)
				br->id = bt->ids + ((uintptr_t)br->id - 1);
			rc = take_row(&t, br);
			if (rc)
				goto out_close;
		}
		end = bt->end;              /* read before the batch goes back */
		parser_done(&p, bt);
	} while (!end);
	if (end < 0) {
		if (err)
			*err = bt->err;
		rc = bt->rc;
		goto out_close;
	}
	if (st->rows == 0)
		rc = sb_errf(err, SB_EPARSE, "%s:%llu: expected at least one data row after the header",
			     path, (unsigned long long)bt->lines + 1);
out_close:
	parser_stop(&p);
	infile_close(&f);                /* the reader's threads stopped: no more bytes */
	if (f.hashing) {
		char hex[SB_SHA256_HEX];

		sb_sha256_end(&f.sha, hex);
		if (!rc)                 /* read to its end: the file whole */
			memcpy(st->sha256, hex, sizeof(hex));
	}
	return rc;
}

/* A file loaded on its own (by a worker), waiting for its merge. */
struct solo_slot {
	size_t oi;                       /* its position in the load order */
	struct grid g;
	struct idwin ids;
	struct filestat st;
	struct solo so;
	enum sb_err rc;
	struct sb_errbuf err;
};

static void slot_clear(struct solo_slot *s)
{
	grid_free(&s->g);
	idwin_free(&s->ids);
	solo_free(&s->so);
	memset(&s->st, 0, sizeof(s->st));
	s->rc = SB_OK;
	s->err.msg[0] = '\0';
}

/*
 * The earlier files' ids that the windows of a serial load would still hold after
 * file s's noted id rows: [*head, *head + *n) of 'ids'.  False when one of them is the
 * id of a noted row that s's own window took as new (a duplicate across the files'
 * boundary), or when it cannot tell: a serial load must decide.
 */
static bool merge_ids(const struct idwin *ids, const struct solo *so, uint64_t *head,
		      size_t *n, int64_t *lt_max)
{
	*head = ids->head;
	*n = ids->n;
	*lt_max = ids->lt_max;
	if (*n == 0 || so->ndup == 0)
		return true;
	if (*n + so->win_max > DUP_MAX_IDS)
		return false;            /* the serial window would drop ids for room */
	for (size_t j = 0; j < so->ndup && *n; j++) {
		const struct dup_rec *d = &so->dup[j];

		if (d->lt > *lt_max)
			*lt_max = d->lt;
		while (*n && idwin_at(ids, *head)->lt < *lt_max - DUP_WINDOW_US) {
			++*head;
			--*n;
		}
		if (!d->dup && idwin_find(ids, *head, *n, so->idtext + d->off, d->len, d->hash))
			return false;
	}
	if (*n && so->ids_end == IDS_FULL)
		return false;
	if (so->ids_end == IDS_SYNCED)
		*n = 0;                  /* the next id row's check forgets them all */
	return true;
}

/* The grid's extent after the rows that widened s's grid, checked as a serial load does. */
static enum sb_err merge_extent(const struct grid *g, const struct solo_slot *s,
				const char *path, struct filestat *st, struct sb_errbuf *err)
{
	int64_t k0 = g->k0;
	size_t n = g->n;

	st->longest_gap = 0;
	for (size_t j = 0; j < s->so.next; j++) {
		const struct ext_rec *e = &s->so.ext[j];
		int64_t k = sb_floordiv(e->t, g->d);
		size_t add_front, add_back;
		enum sb_err rc;

		if (n && k >= k0 && k - k0 < (int64_t)n)
			continue;
		rc = grid_widen(g, k0, n, k, e->t, path, e->line, st, &add_front, &add_back, err);
		if (rc)
			return rc;
		if (n == 0)
			k0 = k;
		k0 -= (int64_t)add_front;
		n += add_front + add_back;
	}
	return SB_OK;
}

/* The bucket of candle k in 'g', NULL outside it. */
static struct bucket *grid_at(const struct grid *g, int64_t k)
{
	return g->n && k >= g->k0 && k - g->k0 < (int64_t)g->n ? &g->b[g->front + (size_t)(k - g->k0)]
							    : NULL;
}

/* Whether every candle s shares with 'g' has all its rows noted. */
static bool merge_cells_known(const struct grid *g, const struct solo_slot *s)
{
	for (size_t j = 0; j < s->g.n; j++) {
		int64_t k = s->g.k0 + (int64_t)j;
		const struct bucket *b = grid_at(g, k);

		if (s->g.b[s->g.front + j].rows && b && b->rows && k >= s->so.k_unlogged)
			return false;
	}
	return true;
}

/* s's candles into 'g': shared ones row by row in file order, the others as they are. */
static enum sb_err merge_grid(struct grid *g, struct solo_slot *s)
{
	const struct grid *w = &s->g;
	int64_t lo, hi;
	enum sb_err rc;

	if (g->n == 0) {
		grid_free(g);
		*g = s->g;
		memset(&s->g, 0, sizeof(s->g));
		return SB_OK;
	}
	lo = w->k0 < g->k0 ? w->k0 : g->k0;
	hi = w->k0 + (int64_t)w->n > g->k0 + (int64_t)g->n ? w->k0 + (int64_t)w->n
							    : g->k0 + (int64_t)g->n;
	rc = grid_grow(g, (size_t)(g->k0 - lo), (size_t)(hi - g->k0 - (int64_t)g->n));
	if (rc)
		return rc;
	for (size_t j = 0; j < s->so.ncell; j++) {       /* candles with rows: shared */
		const struct cell_rec *c = &s->so.cell[j];
		struct bucket *b = grid_at(g, sb_floordiv(c->t, g->d));
		struct row r = { .t = c->t, .o = c->o, .h = c->h, .l = c->l, .c = c->c, .v = c->v,
				 .side = c->side };

		if (b->rows)
			bucket_add(b, &r);
	}
	for (size_t j = 0; j < w->n; j++) {
		struct bucket *b = grid_at(g, w->k0 + (int64_t)j);

		if (w->b[w->front + j].rows && !b->rows)
			*b = w->b[w->front + j];
	}
	return SB_OK;
}

/* The earlier files' ids [head, head + n) of 'ids', then those of s's window. */
static enum sb_err merge_window(struct idwin *ids, struct solo_slot *s, uint64_t head, size_t n,
				int64_t lt_max)
{
	struct idwin *w = &s->ids;

	if (w->n == 0)
		return SB_OK;            /* no id row: the window is as it was */
	while (ids->head < head)
		idwin_drop_oldest(ids);
	if (n == 0) {
		idwin_free(ids);
		*ids = *w;
		memset(w, 0, sizeof(*w));
		return SB_OK;
	}
	while (w->n) {
		if (!idwin_append(ids, idwin_at(w, w->head)))
			return SB_ENOMEM;
		w->head++;               /* its string, if any, is the window's now */
		w->n--;
	}
	if (w->lt_max > lt_max)
		lt_max = w->lt_max;
	ids->lt_max = lt_max;
	return SB_OK;
}

/*
 * File 'file' (at 'path'), loaded on its own into s, after the files merged so far
 * into 'g' and 'ids' (whose local_timestamps are all below 'lt_hi', when 'any'):
 * the state and counts of a serial load, or its error.  *serial: it cannot tell, load
 * the file serially instead (nothing was changed).
 */
static enum sb_err merge_solo(struct grid *g, struct idwin *ids, bool any, int64_t lt_hi,
			      struct solo_slot *s, const char *path, struct filestat *st,
			      bool *serial, struct sb_errbuf *err)
{
	uint64_t head;
	size_t n;
	int64_t lt_max;
	enum sb_err rc;

	*serial = true;
	if (s->so.fallback || s->rc == SB_ENOMEM || (any && s->st.rows && lt_hi >= s->st.span_min) ||
	    !merge_ids(ids, &s->so, &head, &n, &lt_max))
		return SB_OK;
	*st = s->st;
	rc = merge_extent(g, s, path, st, err);
	if (rc || s->rc) {
		*serial = false;
		if (!rc && err)
			*err = s->err;
		return rc ? rc : s->rc;
	}
	if (!merge_cells_known(g, s))
		return SB_OK;
	*serial = false;
	rc = merge_grid(g, s);
	if (!rc)
		rc = merge_window(ids, s, head, n, lt_max);
	if (rc)
		return sb_errf(err, rc, "%s: out of memory", path);
	return SB_OK;
}

void sb_candles_init(struct sb_candles *c)
{
	memset(c, 0, sizeof(*c));
}

void sb_candles_release(struct sb_candles *c)
{
	free(c->open);
	free(c->high);
	free(c->low);
	free(c->close);
	free(c->volume);
	free(c->buy_volume);
	free(c->sell_volume);
	free(c->trades);
	sb_candles_init(c);
}

static enum sb_err candles_alloc(struct sb_candles *c, size_t n, void *(*alloc)(size_t),
				 struct sb_errbuf *err)
{
	size_t bytes = n * sizeof(double);

	sb_candles_release(c);
	if (n > SIZE_MAX / sizeof(double))
		return sb_errf(err, SB_ENOMEM, "out of memory for %zu candles", n);
	c->open = alloc(bytes);
	c->high = alloc(bytes);
	c->low = alloc(bytes);
	c->close = alloc(bytes);
	c->volume = alloc(bytes);
	c->buy_volume = alloc(bytes);
	c->sell_volume = alloc(bytes);
	c->trades = alloc(n * sizeof(uint64_t));
	if (!c->open || !c->high || !c->low || !c->close || !c->volume || !c->buy_volume ||
	    !c->sell_volume || !c->trades) {
		sb_candles_release(c);
		return sb_errf(err, SB_ENOMEM, "out of memory for %zu candles", n);
	}
	c->n = n;
	return SB_OK;
}

enum sb_err sb_candles_alloc(struct sb_candles *c, size_t n, struct sb_errbuf *err)
{
	return candles_alloc(c, n, sb_aligned_alloc, err);
}

enum sb_err sb_candles_alloc_raw(struct sb_candles *c, size_t n, struct sb_errbuf *err)
{
	return candles_alloc(c, n, sb_aligned_alloc_raw, err);
}

/* Counts the empty candles of each gap for the file of the candle that ends it. */
static void count_filled(const struct grid *g, struct filestat *st)
{
	const struct bucket *b = g->b + g->front;
	uint64_t run = 0;

	for (size_t i = 0; i < g->n; i++) {
		if (b[i].rows == 0) {
			run++;
		} else if (run) {      /* the last candle has rows: every run ends */
			st[b[i].file].filled += run;
			run = 0;
		}
	}
}

/* Copies the grid into 'c', carrying the previous close through empty candles. */
static enum sb_err grid_to_candles(const struct grid *g, enum kind kind, struct sb_candles *c,
				   struct sb_errbuf *err)
{
	const struct bucket *b = g->b + g->front;
	double prev = 0;
	enum sb_err rc;

	rc = sb_candles_alloc(c, g->n, err);
	if (rc)
		return rc;
	c->t0_us = g->k0 * g->d;
	c->interval_us = g->d;
	for (size_t i = 0; i < g->n; i++) {
		if (b[i].rows == 0) {   /* never the first: t0 is the earliest row's candle */
			c->open[i] = c->high[i] = c->low[i] = c->close[i] = prev;
			continue;
		}
		c->open[i] = b[i].o;
		c->high[i] = b[i].h;
		c->low[i] = b[i].l;
		c->close[i] = prev = b[i].c;
		c->volume[i] = b[i].v;
		c->buy_volume[i] = b[i].buy;
		c->sell_volume[i] = b[i].sell;
		c->trades[i] = kind == KIND_TARDIS ? b[i].rows : 0;
	}
	return SB_OK;
}

static void format_interval(int64_t us, char *out, size_t size)
{
	if (us % SB_US_PER_DAY == 0)
		snprintf(out, size, "%lldd", (long long)(us / SB_US_PER_DAY));
	else if (us % (3600 * SB_US_PER_SEC) == 0)
		snprintf(out, size, "%lldh", (long long)(us / (3600 * SB_US_PER_SEC)));
	else if (us % (60 * SB_US_PER_SEC) == 0)
		snprintf(out, size, "%lldm", (long long)(us / (60 * SB_US_PER_SEC)));
	else if (us % SB_US_PER_SEC == 0)
		snprintf(out, size, "%llds", (long long)(us / SB_US_PER_SEC));
	else if (us % 1000 == 0)
		snprintf(out, size, "%lldms", (long long)(us / 1000));
	else
		snprintf(out, size, "%lldus", (long long)us);
}

/* Files overlap when their spans intersect; 'a' was loaded before 'b'. */
static enum sb_err check_overlap(const char *pa, const struct filestat *a, const char *pb,
				 const struct filestat *b, enum kind kind, struct sb_errbuf *err)
{
	char a0[SB_TIME_LEN], a1[SB_TIME_LEN], b0[SB_TIME_LEN], b1[SB_TIME_LEN];

	if (a->span_min > b->span_max || b->span_min > a->span_max)
		return SB_OK;
	sb_format_time(a->span_min, a0);
	sb_format_time(a->span_max, a1);
	sb_format_time(b->span_min, b0);
	sb_format_time(b->span_max, b1);
	return sb_errf(err, SB_EINVAL,
		       "%s:%llu: expected %s not overlapping those of '%s' (%s .. %s), got %s .. %s",
		       pb, (unsigned long long)b->span_min_line,
		       kind == KIND_TARDIS ? "local_timestamps" : "row times", pa, a0, a1, b0, b1);
}

static void fill_info(struct sb_input_info *info, const char *path, enum kind kind,
		      const struct filestat *st)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->path, sizeof(info->path), "%s", path);
	snprintf(info->kind, sizeof(info->kind), "%s", kind_name(kind));
	info->rows = st->rows;
	info->rows_used = st->rows - st->duplicates;
	info->duplicates = st->duplicates;
	info->t_first_us = st->t_min;
	info->t_last_us = st->t_max;
	info->filled_candles = st->filled;
	info->longest_gap_us = st->longest_gap;
	memcpy(info->sha256, st->sha256, sizeof(info->sha256));
}


/* After the file at position oi of the load order: its span against those before. */
static enum sb_err after_file(const char *const *paths, const size_t *order, size_t oi,
			      const struct filestat *st, enum kind kind, struct sb_errbuf *err)
{
	size_t i = order[oi];

	for (size_t oj = 0; oj < oi; oj++) {
		size_t j = order[oj];
		enum sb_err rc = check_overlap(paths[j], &st[j], paths[i], &st[i], kind, err);

		if (rc)
			return rc;
	}
	return SB_OK;
}

static unsigned long reloads;

unsigned long sb_candles_reloads(void)
{
	return __atomic_load_n(&reloads, __ATOMIC_RELAXED);
}

/*
 * Several files at once: 'workers' threads each take a free slot, then the next file
 * in the load order, load it on its own into the slot and hand it over; this thread
 * merges them in that order (merge_solo()), or loads one serially where the merge
 * cannot tell.  At most 'nslots' files are loaded or waiting at once.
 */
struct par_load {
	const char *const *paths;
	const size_t *order;
	size_t n, nslots;
	int64_t d, max_gap;
	bool digest;
	struct symref *ref;
	struct solo_slot *slots;
	struct sb_queue *free, *done;    /* slots free, slots loaded (in any order) */
	size_t next;                     /* the next position in the order to load */
	int cancel;
};

static void *solo_main(void *arg)
{
	struct par_load *p = arg;

	for (;;) {
		struct solo_slot *s = sb_queue_pop(p->free);
		size_t oi, i;

		if (!s)
			break;
		oi = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		if (oi >= p->n) {
			sb_queue_push(p->free, s);
			break;
		}
		s->oi = oi;
		i = p->order[oi];
		s->g.d = p->d;
		s->g.max_gap = p->max_gap;
		s->g.digest = p->digest;
		s->so.d = p->d;
		s->so.cancel = &p->cancel;
		s->rc = load_file(&s->g, p->paths[i], (uint32_t)i, &s->st, p->ref, &s->ids, &s->so,
				  false, &s->err);
		if (!sb_queue_push(p->done, s))
			break;
	}
	return NULL;
}

static enum sb_err load_parallel(struct grid *g, struct idwin *ids, const char *const *paths,
				 const size_t *order, size_t n, size_t workers,
				 struct filestat *st, struct symref *ref, enum kind kind,
				 bool *no_thread, struct sb_errbuf *err)
{
	struct par_load p = { .paths = paths, .order = order, .n = n, .nslots = workers + 1,
			      .d = g->d, .max_gap = g->max_gap, .digest = g->digest, .ref = ref };
	struct sb_thread *th[64];
	struct solo_slot **ready = NULL;     /* loaded, waiting for their turn */
	size_t nth = 0, nready = 0;
	enum sb_err rc = SB_OK;
	int64_t lt_hi = 0;

	p.slots = calloc(p.nslots, sizeof(*p.slots));
	ready = calloc(p.nslots, sizeof(*ready));
	p.free = sb_queue_new(p.nslots);
	p.done = sb_queue_new(p.nslots);
	if (!p.slots || !ready || !p.free || !p.done)
		goto out_nomem;
	for (size_t k = 0; k < p.nslots; k++)
		sb_queue_push(p.free, &p.slots[k]);
	while (nth < workers && nth < 64 && (th[nth] = sb_thread_start(solo_main, &p)) != NULL)
		nth++;
	if (nth == 0) {
		*no_thread = true;       /* nothing done: the caller loads serially */
		goto out;
	}
	for (size_t oi = 0; oi < n && !rc; oi++) {
		struct solo_slot *s = NULL;
		size_t i = order[oi];
		bool serial;

		for (size_t k = 0; k < nready && !s; k++)
			if (ready[k]->oi == oi) {
				s = ready[k];
				ready[k] = ready[--nready];
			}
		while (!s) {
			s = sb_queue_pop(p.done);    /* never NULL: only closed below */
			if (s->oi != oi) {
				ready[nready++] = s;
				s = NULL;
			}
		}

		rc = merge_solo(g, ids, oi > 0, lt_hi, s, paths[i], &st[i], &serial, err);
		if (!rc && serial) {
			__atomic_fetch_add(&reloads, 1, __ATOMIC_RELAXED);
			rc = load_file(g, paths[i], (uint32_t)i, &st[i], ref, ids, NULL, false, err);
		}
		slot_clear(s);
		sb_queue_push(p.free, s);
		if (!rc)
			rc = after_file(paths, order, oi, st, kind, err);
		if (!rc && (oi == 0 || st[i].span_max > lt_hi))
			lt_hi = st[i].span_max;
	}
	goto out;
out_nomem:
	rc = sb_errf(err, SB_ENOMEM, "out of memory");
out:
	__atomic_store_n(&p.cancel, 1, __ATOMIC_RELAXED);
	if (p.free)
		sb_queue_close(p.free);
	if (p.done)
		sb_queue_close(p.done);
	while (nth)
		sb_thread_join(th[--nth]);
	for (size_t k = 0; p.slots && k < p.nslots; k++)
		slot_clear(&p.slots[k]);
	sb_queue_free(p.free);
	sb_queue_free(p.done);
	free(p.slots);
	free(ready);
	return rc;
}

enum sb_err sb_candles_load(struct sb_candles *c, const char *const *paths, size_t npaths,
			    int64_t interval_us, struct sb_input_info *info,
			    struct sb_errbuf *err)
{
	return sb_candles_load_ex(c, paths, npaths, interval_us, SB_MAX_GAP_DEFAULT_US, info,
				  err);
}

static enum sb_err candles_load(struct sb_candles *c, const char *const *paths, size_t npaths,
				int64_t interval_us, int64_t max_gap_us, bool digest,
				struct sb_input_info *info, struct sb_errbuf *err)
{
	struct grid g = { .digest = digest };
	struct idwin ids = { 0 };
	size_t *order = NULL;
	int64_t *first = NULL;
	struct filestat *st = NULL;
	struct symref ref = { .set = false };
	enum kind kind = KIND_NONE;
	enum sb_err rc = SB_OK;
	int64_t min_gap = INT64_MAX;
	size_t gap_file = 0, workers;
	bool no_thread = false;          /* no thread could be started for a parallel load */
	char ibuf[32];

	sb_candles_release(c);
	format_interval(interval_us, ibuf, sizeof(ibuf));
	if (interval_us < SB_US_PER_SEC || interval_us > SB_US_PER_DAY ||
	    interval_us % SB_US_PER_SEC != 0)
		return sb_errf(err, SB_EINVAL,
			       "expected a candle interval of whole seconds from 1s to 1d, got %s",
			       interval_us > 0 ? ibuf : "a non-positive interval");
	if (!paths || npaths == 0)
		return sb_errf(err, SB_EINVAL, "expected at least one input file");
	if (npaths > UINT32_MAX)
		return sb_errf(err, SB_EINVAL, "expected at most %u input files", UINT32_MAX);
	if (max_gap_us < 0)
		return sb_errf(err, SB_EINVAL, "expected a maximum gap >= 0 (0 = no limit)");
	order = malloc(npaths * sizeof(*order));
	first = malloc(npaths * sizeof(*first));
	st = calloc(npaths, sizeof(*st));
	if (!order || !first || !st) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}

	/* Peek at every file first: kinds must agree, and the first rows give the order. */
	for (size_t i = 0; i < npaths; i++) {
		enum kind k;

		rc = peek_file(paths[i], &k, &first[i], &ref, err);
		if (rc)
			goto out_free;
		if (i > 0 && k != kind) {
			rc = sb_errf(err, SB_EINVAL,
				     "%s:1: expected the same kind of file as '%s' (%s; one load takes one kind), got a header of kind %s",
				     paths[i], paths[0], kind_name(kind), kind_name(k));
			goto out_free;
		}
		kind = k;
		/* insertion sort, stable: equal first times keep the order given */
		size_t j = i;
		while (j > 0 && first[order[j - 1]] > first[i]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}

	g.d = interval_us;
	g.max_gap = max_gap_us;
	workers = npaths > 1 ? sb_load_cpus() : 1;
	if (workers > npaths)
		workers = npaths;
	if (workers > 1)
		rc = load_parallel(&g, &ids, paths, order, npaths, workers, st, &ref, kind,
				   &no_thread, err);
	if (workers <= 1 || no_thread)
		for (size_t oi = 0; oi < npaths && !rc; oi++) {
			size_t i = order[oi];

			rc = load_file(&g, paths[i], (uint32_t)i, &st[i], &ref, &ids, NULL,
				       sb_load_threads(), err);
			if (!rc)
				rc = after_file(paths, order, oi, st, kind, err);
		}
	if (rc)
		goto out_free;
	idwin_free(&ids);
	for (size_t oi = 0; oi < npaths; oi++) {
		size_t i = order[oi];

		if (st[i].min_gap < min_gap) {
			min_gap = st[i].min_gap;
			gap_file = i;
		}
	}

	/* An OHLCV row is one candle of the file's interval: it can be merged, not split. */
	if (kind == KIND_OHLCV && min_gap != INT64_MAX && interval_us % min_gap != 0) {
		char gbuf[32];

		format_interval(min_gap, gbuf, sizeof(gbuf));
		rc = sb_errf(err, SB_EINVAL,
			     "%s:%llu: expected a candle interval that is a multiple of the rows' spacing (%s here), got %s%s",
			     paths[gap_file], (unsigned long long)st[gap_file].min_gap_line, gbuf,
			     ibuf, interval_us < min_gap ? " (finer than the file's candles)" : "");
		goto out_free;
	}
	count_filled(&g, st);
	for (size_t i = 0; info && i < npaths; i++)
		fill_info(&info[i], paths[i], kind, &st[i]);
	rc = grid_to_candles(&g, kind, c, err);

out_free:
	idwin_free(&ids);
	grid_free(&g);
	free(order);
	free(first);
	free(st);
	if (rc)
		sb_candles_release(c);
	return rc;
}

enum sb_err sb_candles_load_ex(struct sb_candles *c, const char *const *paths, size_t npaths,
			       int64_t interval_us, int64_t max_gap_us,
			       struct sb_input_info *info, struct sb_errbuf *err)
{
	return candles_load(c, paths, npaths, interval_us, max_gap_us, false, info, err);
}

enum sb_err sb_candles_load_hashed(struct sb_candles *c, const char *const *paths,
				   size_t npaths, int64_t interval_us, int64_t max_gap_us,
				   struct sb_input_info *info, struct sb_errbuf *err)
{
	return candles_load(c, paths, npaths, interval_us, max_gap_us, true, info, err);
}

void sb_candles_view(const struct sb_candles *c, size_t first, size_t n, struct sb_candles *v)
{
	*v = *c;
	v->n = n;
	v->t0_us = c->t0_us + (int64_t)first * c->interval_us;
	v->open = c->open + first;
	v->high = c->high + first;
	v->low = c->low + first;
	v->close = c->close + first;
	v->volume = c->volume + first;
	v->buy_volume = c->buy_volume + first;
	v->sell_volume = c->sell_volume + first;
	v->trades = c->trades + first;
}
