/*
 * fetch.c - the one module that calls libcurl (see fetch.h): the downloader, and the
 * streamed JSON POSTs of the scorer (sb_http_*, at the end)
 */
#include "fetch.h"
#include "gz.h"
#include "textio.h"
#include "../core/json.h"

#include <curl/curl.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_BASE_URL   "https://datasets.tardis.dev/v1"
#define DEFAULT_CACHE_DIR  "data/cache/tardis"
#define USER_AGENT         "sentibt/" SB_VERSION " (+libcurl)"
#define STALE_AGE_S        (30 * 60)       /* a temp this old is dead even if its pid lives */
#define MAX_FILES          1000000
#define PROGRESS_MS        166             /* at most ~6 progress lines a second */
#define ERRBODY_MAX        512             /* start of a non-200 body kept for messages */
#define RETRY_AFTER_MAX_MS (3600 * 1000LL)
#define HEAD_MAX           64              /* start of a body kept for the type checks */
#define DEFAULT_MAX_BYTES      (UINT64_C(32) << 30)            /* 32 GiB */
#define DEFAULT_DEADLINE_MS    (INT64_C(6) * 3600 * 1000)      /* 6 h */
#define DEFAULT_MIN_RATE       1024                            /* bytes/s ... */
#define DEFAULT_RATE_WINDOW_MS (INT64_C(60) * 1000)            /* ... over 60 s */

/* ---------------------------------------------------------------- options, names */

bool sb_fetch_parse_bytes(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *p = s, *u;
	uint64_t v = 0;
	int shift = 0;

	if (!s || *p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > SB_FETCH_BYTES_MAX)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p && (u = strchr(units, *p >= 'a' ? *p - 'a' + 'A' : *p))) {
		shift = 10 * (int)(u - units + 1);
		p++;
		if (p[0] == 'i' && p[1] == 'B')
			p += 2;
	}
	if (*p || v > SB_FETCH_BYTES_MAX >> shift)
		return false;
	*out = v << shift;
	return true;
}

bool sb_fetch_parse_ms(const char *s, int64_t *ms)
{
	int64_t v;

	if (sb_parse_int64(s, &v)) {               /* bare digits: seconds */
		if (!s || *s < '0' || *s > '9' || v > SB_FETCH_DURATION_MAX / 1000)
			return false;
		*ms = v * 1000;
		return true;
	}
	if (!sb_parse_duration(s, &v) || v / 1000 > SB_FETCH_DURATION_MAX || (v > 0 && v < 1000))
		return false;                      /* below 1 ms would round to "none" */
	*ms = v / 1000;
	return true;
}

static void env_bytes(const char *name, uint64_t *v)
{
	const char *env = getenv(name);

	if (env && *env)
		(void)sb_fetch_parse_bytes(env, v);    /* left as it is when invalid */
}

static void env_ms(const char *name, int64_t *v)
{
	const char *env = getenv(name);

	if (env && *env)
		(void)sb_fetch_parse_ms(env, v);
}

void sb_fetch_opts_init(struct sb_fetch_opts *o)
{
	const char *env;
	char *end;

	memset(o, 0, sizeof(*o));
	o->cache_dir = DEFAULT_CACHE_DIR;
	env = getenv("SENTIBT_TARDIS_BASE_URL");
	o->base_url = (env && *env) ? env : DEFAULT_BASE_URL;
	o->api_key_env = "TARDIS_API_KEY";
	o->jobs = 8;
	o->retries = 8;
	o->retry_base_ms = 1000;
	env = getenv("SENTIBT_RETRY_BASE_MS");
	if (env && *env) {
		long v;

		errno = 0;
		v = strtol(env, &end, 10);
		if (!errno && *end == '\0' && v >= 0 && v <= 600000)
			o->retry_base_ms = v;
	}
	o->retry_cap_ms = 120000;
	o->idle_timeout_s = 120;
	/* several GB a day for the big Tardis files; an endless body stops here */
	o->max_bytes = DEFAULT_MAX_BYTES;
	env_bytes("SENTIBT_FETCH_MAX_BYTES", &o->max_bytes);
	if (o->max_bytes == 0)
		o->max_bytes = DEFAULT_MAX_BYTES;      /* a cap of nothing is a mistake */
	o->deadline_ms = DEFAULT_DEADLINE_MS;
	env_ms("SENTIBT_FETCH_DEADLINE", &o->deadline_ms);
	if (o->deadline_ms == 0)
		o->deadline_ms = DEFAULT_DEADLINE_MS;
	o->min_rate = DEFAULT_MIN_RATE;
	env_bytes("SENTIBT_FETCH_MIN_RATE", &o->min_rate);
	o->rate_window_ms = DEFAULT_RATE_WINDOW_MS;
	env_ms("SENTIBT_FETCH_RATE_WINDOW", &o->rate_window_ms);
	if (o->rate_window_ms == 0)
		o->rate_window_ms = DEFAULT_RATE_WINDOW_MS;
	o->quiet = false;
	o->progress = true;
}

bool sb_fetch_is_tardis_ref(const char *s)
{
	return s && strncmp(s, "tardis:", 7) == 0;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Inverse of sb_days_from_civil (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doy = z - era * 146097;                                 /* day of era */
	yoe = (doy - doy / 1460 + doy / 36524 - doy / 146096) / 365;
	*y = yoe + era * 400;
	doy = doy - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	if (*m <= 2)
		(*y)++;
}

static bool digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* Parses exactly 10 chars "YYYY-MM-DD" at 's' (no terminator check). */
static bool parse_day_n(const char *s, int64_t *day)
{
	unsigned y, m, d;

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return false;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	*day = sb_days_from_civil(y, m, d);
	return true;
}

bool sb_fetch_parse_day(const char *s, int64_t *day)
{
	return s && strlen(s) == 10 && parse_day_n(s, day);
}

void sb_fetch_format_day(int64_t day, char out[16])
{
	int64_t y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(out, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void sb_fetch_ref_release(struct sb_tardis_ref *r)
{
	free(r->exchange);
	free(r->data_type);
	free(r->symbol);
	r->exchange = r->data_type = r->symbol = NULL;
}

enum sb_err sb_fetch_parse_tardis_ref(const char *ref, struct sb_tardis_ref *r,
				      struct sb_errbuf *err)
{
	static const char form[] =
		"expected tardis:EXCHANGE:DATA_TYPE:SYMBOL:YYYY-MM-DD[..YYYY-MM-DD]";
	const char *ex, *dt, *sym, *dates, *c1, *c2, *last;
	size_t dl;

	memset(r, 0, sizeof(*r));
	if (!sb_fetch_is_tardis_ref(ref))
		return sb_errf(err, SB_EINVAL, "'%s': %s", ref ? ref : "", form);
	ex = ref + 7;
	c1 = strchr(ex, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	last = strrchr(ex, ':');
	if (!c1 || !c2 || last == c2 || c1 == ex || c2 == c1 + 1 || last == c2 + 1)
		return sb_errf(err, SB_EINVAL, "'%s': %s", ref, form);
	dt = c1 + 1;
	sym = c2 + 1;
	dates = last + 1;
	dl = strlen(dates);
	if (dl == 10) {
		if (!parse_day_n(dates, &r->from_day))
			goto bad_date;
		r->to_day = r->from_day + 1;
	} else if (dl == 22 && dates[10] == '.' && dates[11] == '.') {
		if (!parse_day_n(dates, &r->from_day) || !parse_day_n(dates + 12, &r->to_day))
			goto bad_date;
		if (r->to_day <= r->from_day)
			return sb_errf(err, SB_EINVAL,
				       "'%s': the end date is exclusive and must be after the start"
				       " (for one day write just YYYY-MM-DD)", ref);
	} else {
		goto bad_date;
	}
	if (memchr(ex, '/', (size_t)(c1 - ex)) || memchr(dt, '/', (size_t)(c2 - dt)))
		return sb_errf(err, SB_EINVAL, "'%s': exchange and data type cannot contain '/'",
			       ref);
	r->exchange = dup_n(ex, (size_t)(c1 - ex));
	r->data_type = dup_n(dt, (size_t)(c2 - dt));
	r->symbol = dup_n(sym, (size_t)(last - sym));
	if (!r->exchange || !r->data_type || !r->symbol) {
		sb_fetch_ref_release(r);
		return sb_errf(err, SB_ENOMEM, "out of memory");
	}
	return SB_OK;
bad_date:
	return sb_errf(err, SB_EINVAL, "'%s': expected a real date YYYY-MM-DD or a range"
		       " YYYY-MM-DD..YYYY-MM-DD after the last ':', got '%s'", ref, dates);
}

/* Appends 's' to out[*len], keeping room for the terminator. */
static bool put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > cap)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

bool sb_fetch_tardis_url(char *out, size_t cap, const char *base, const char *exchange,
			 const char *data_type, const char *symbol, int64_t day)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = 0, bl = strlen(base);
	char buf[64];
	int64_t y;
	unsigned m, d;

	if (cap == 0)
		return false;
	out[0] = '\0';
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	civil_from_days(day, &y, &m, &d);
	snprintf(buf, sizeof(buf), "/%04lld/%02u/%02u/", (long long)y, m, d);
	if (!put(out, cap, &len, base, bl) || !put(out, cap, &len, "/", 1) ||
	    !put(out, cap, &len, exchange, strlen(exchange)) || !put(out, cap, &len, "/", 1) ||
	    !put(out, cap, &len, data_type, strlen(data_type)) ||
	    !put(out, cap, &len, buf, strlen(buf)))
		return false;
	for (const unsigned char *p = (const unsigned char *)symbol; *p; p++) {
		unsigned char c = *p;
		char enc[3];

		if (c == '/' || c == ':')
			c = '-';
		else if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			if (!put(out, cap, &len, (const char *)&c, 1))
				return false;
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[c >> 4];
		enc[2] = hex[c & 15];
		if (!put(out, cap, &len, enc, 3))
			return false;
	}
	return put(out, cap, &len, ".csv.gz", 7);
}

bool sb_fetch_tardis_name(char *out, size_t cap, const char *exchange,
			  const char *data_type, const char *symbol, int64_t day)
{
	char ds[16];
	size_t len = 0;

	if (cap == 0)
		return false;
	out[0] = '\0';
	sb_fetch_format_day(day, ds);
	if (!put(out, cap, &len, exchange, strlen(exchange)) || !put(out, cap, &len, "_", 1) ||
	    !put(out, cap, &len, data_type, strlen(data_type)) || !put(out, cap, &len, "_", 1) ||
	    !put(out, cap, &len, ds, strlen(ds)) || !put(out, cap, &len, "_", 1))
		return false;
	for (const char *p = symbol; *p; p++) {
		char c = strchr(":\\/?*<>|\"", *p) ? '-' : *p;

		if (!put(out, cap, &len, &c, 1))
			return false;
	}
	return put(out, cap, &len, ".csv.gz", 7);
}

/* ----------------------------------------------------------------------- backoff */

int64_t sb_fetch_backoff_ms(int attempt, long base_ms, long cap_ms, int factor,
			    int64_t retry_after_ms, double jitter01)
{
	int64_t d = base_ms > 0 ? base_ms : 0, cap = cap_ms > 0 ? cap_ms : 0;

	if (factor < 1)
		factor = 1;
	d *= factor;
	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (jitter01 > 0 && jitter01 < 1)
		d += (int64_t)(jitter01 * (double)d / 2);
	if (retry_after_ms >= 0) {
		if (retry_after_ms > RETRY_AFTER_MAX_MS)
			retry_after_ms = RETRY_AFTER_MAX_MS;
		if (d < retry_after_ms)
			d = retry_after_ms;
	}
	return d;
}

/* ------------------------------------------------------------------ file helpers */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(2685821657736338717);
}

static enum sb_err mkdir_p(const char *dir, struct sb_errbuf *err)
{
	char *p = strdup(dir);
	struct stat st;

	if (!p)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	for (char *q = p + 1; ; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;

		*q = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			sb_errf(err, SB_EIO, "cannot create folder '%s': %s", p, strerror(errno));
			free(p);
			return SB_EIO;
		}
		*q = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return sb_errf(err, SB_EIO, "'%s' is not a folder", dir);
	return SB_OK;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* True when 'path' looks like a finished download: regular, gzip magic, >= 20 bytes. */
static bool cached_gz_ok(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 20)
		return false;
	return sb_file_is_gzip(path);
}

/*
 * Removes temporaries left by killed runs: "<x>.part.<pid>.<hex>" whose pid is gone,
 * or which have not been written for STALE_AGE_S (the pid may have been reused), and
 * the official clients' "<x><hex>.unconfirmed" older than that.  A live transfer
 * writes at least every idle_timeout_s, so its temp is never this old.
 */
static void remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *n = de->d_name, *p = NULL, *q;
		char path[4096];
		struct stat st;
		bool stale = false;
		long pid = 0;
		size_t nl = strlen(n);

		for (q = strstr(n, ".part."); q; q = strstr(q + 1, ".part."))
			p = q;
		if (!p && !(nl > 12 && strcmp(n + nl - 12, ".unconfirmed") == 0))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, n) >= sizeof(path))
			continue;
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (now - st.st_mtime > STALE_AGE_S)
			stale = true;
		if (p && !stale) {
			for (q = p + 6; *q >= '0' && *q <= '9' && pid < 100000000; q++)
				pid = pid * 10 + (*q - '0');
			if (*q == '.' && pid > 0 && pid != (long)getpid() &&
			    kill((pid_t)pid, 0) != 0 && errno == ESRCH)
				stale = true;
		}
		if (stale)
			(void)unlink(path);
	}
	closedir(d);
}

/* -------------------------------------------------------------- the transfer run */

enum item_state { IT_QUEUED, IT_ACTIVE, IT_FETCHED, IT_CACHED, IT_FAILED, IT_CANCELLED };

struct item {
	char   *url;              /* never holds the key */
	char   *path;             /* final file */
	char   *label;            /* for messages */
	char   *meta_path;        /* URL mode: validators sidecar, else NULL */
	char   *etag, *lastmod;   /* validators to send, or NULL */
	unsigned day_of_month;    /* Tardis mode, else 0 */
	bool    gz;               /* check the body as gzip */
	const char *expect;       /* the data format the name promises, or NULL */
	int     attempts;
	int64_t ready_ms;         /* do not start before this (backoff) */
	int64_t deadline_ms;      /* give up at this time; 0 before the first request */
	enum item_state state;
};

struct xfer;

struct run {
	const struct sb_fetch_opts *o;
	struct item *items;
	size_t   n_items;
	const char *dir;
	const char *key;          /* NULL without one; never printed */
	bool     tardis;
	CURLM   *multi;
	struct xfer **active;     /* o->jobs slots */
	int      n_active;
	uint64_t rng;
	bool     stop;            /* a final error happened */
	enum sb_err rc;
	struct sb_errbuf *err;
	struct sb_fetch_stats st;
	bool     show_progress;
	int64_t  t0_ms, last_progress_ms;
};

/* Why a transfer was stopped from a callback; XF_TOOBIG and XF_TYPE are final. */
enum xfer_fail { XF_NONE, XF_DISK, XF_CORRUPT, XF_NOTGZ, XF_TYPE, XF_TOOBIG, XF_SLOW };

struct xfer {
	struct run  *run;
	struct item *it;
	CURL *easy;
	struct curl_slist *hdrs;
	char *tmp;                /* temp path, or NULL before the first 200 byte */
	int   fd;
	long  status;             /* of the response whose body is arriving */
	char  etag[256], lastmod[128];
	char  body[ERRBODY_MAX + 1];
	size_t body_len;
	uint64_t got;             /* bytes written to tmp */
	uint64_t rx;              /* body bytes received, any status (the size cap) */
	unsigned char head[HEAD_MAX];
	size_t head_len;
	bool  ctype_checked, head_checked;
	bool  excess;             /* libcurl saw bytes past Content-Length */
	int64_t win_ms;           /* start of the current minimum-rate window */
	curl_off_t win_bytes;     /* bytes received before it */
	curl_off_t total;         /* the body's announced length (Content-Length), or 0 */
	int64_t slow_ms;          /* XF_SLOW: the window that was too slow, */
	curl_off_t slow_bytes;    /* and what it got */
	enum xfer_fail fail;
	int   fail_errno;
	char  why[192];           /* XF_NOTGZ, XF_TYPE: what came instead */
	struct sb_gz_check *gz;   /* the body checked as gzip; NULL before its first byte */
	char  curl_err[CURL_ERROR_SIZE];
};

static void note(const struct run *r, const char *fmt, ...) SB_PRINTF(2, 3);

static void note(const struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o->quiet)
		return;
	if (r->show_progress)
		fputs("\r\033[K", stderr);
	fputs("sentibt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int open_tmp(struct xfer *x)
{
	struct run *r = x->run;
	size_t n = strlen(x->it->path) + 64;

	x->tmp = malloc(n);
	if (!x->tmp)
		return -1;
	for (int tries = 0; tries < 8; tries++) {
		snprintf(x->tmp, n, "%s.part.%ld.%08x", x->it->path, (long)getpid(),
			 (unsigned)(rng_next(&r->rng) >> 32));
		x->fd = open(x->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (x->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	x->fail_errno = errno;
	free(x->tmp);
	x->tmp = NULL;
	return -1;
}

/* Streams gzip bytes through a check; false when they cannot be a valid gzip file. */
static bool gz_feed(struct xfer *x, const unsigned char *p, size_t n)
{
	if (!x->gz && !(x->gz = sb_gz_check_new()))
		return false;
	return sb_gz_check_feed(x->gz, p, n);
}

/* The start of a body for messages: printable ASCII kept, the rest as '.'. */
static void show_start(const unsigned char *p, size_t n, char out[40])
{
	size_t k = n < 32 ? n : 32;

	out[0] = '\'';
	for (size_t i = 0; i < k; i++)
		out[1 + i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	snprintf(out + 1 + k, 40 - 1 - k, "'%s", n > k ? "..." : "");
}

/* True when 'p' starts like an HTML or XML page (a BOM and blanks skipped). */
static bool looks_like_markup(const unsigned char *p, size_t n)
{
	static const char *const tags[] = { "<!doctype", "<html", "<?xml" };

	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		n -= 3;
	}
	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t k = strlen(tags[i]);

		if (n >= k && strncasecmp((const char *)p, tags[i], k) == 0)
			return true;
	}
	return false;
}

/*
 * A data file announced as a web page is never the data: a login or captive portal,
 * a CDN error page, a wrong URL answered by a site's index.  False (x->fail set)
 * when the Content-Type of the 200 says HTML or XML and the name promises data.
 */
static bool ctype_ok(struct xfer *x)
{
	static const char *const bad[] = { "text/html", "application/xhtml", "text/xml",
					   "application/xml" };
	const char *ct = NULL;
	char shown[72];
	size_t k = 0;

	x->ctype_checked = true;
	if (!x->it->expect || curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK
	    || !ct)
		return true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strncasecmp(ct, bad[i], strlen(bad[i])) != 0)
			continue;
		for (; ct[k] && k < sizeof(shown) - 1; k++)
			shown[k] = (unsigned char)ct[k] >= 0x20 && ct[k] != 0x7f ? ct[k] : '.';
		shown[k] = '\0';
		snprintf(x->why, sizeof(x->why), "expected %s, got Content-Type '%s'",
			 x->it->expect, shown);
		x->fail = XF_TYPE;
		return false;
	}
	return true;
}

/*
 * How a plain (not gzip) data body of the format 'expect' can start: JSON Lines with
 * '{' (a BOM and blanks skipped), MessagePack with a map, CSV with text (no control
 * bytes but tab, CR, LF); never empty.  NULL when it can, else what is wrong.
 */
static const char *start_wrong(const char *expect, const unsigned char *p, size_t n)
{
	const unsigned char *q = p;
	size_t m = n;

	if (n == 0)
		return "an empty body";
	if (m >= 3 && q[0] == 0xef && q[1] == 0xbb && q[2] == 0xbf)
		q += 3, m -= 3;
	while (m > 0 && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
		q++, m--;
	if (m == 0)
		return "a body of blanks only";
	if (!strcmp(expect, "JSON lines"))
		return *q != '{' ? "a body that does not start with a JSON object" : NULL;
	if (!strcmp(expect, "MessagePack"))
		return (p[0] & 0xf0) == 0x80 || p[0] == 0xde || p[0] == 0xdf ? NULL
		       : "a body that does not start with a MessagePack map";
	if (!strcmp(expect, "CSV"))
		for (size_t i = 0; i < n; i++)
			if (p[i] == 0x7f || (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n'))
				return "binary bytes, not CSV text";
	return NULL;
}

/*
 * Checks the start of a 200 body once enough of it is in x->head ('at_end': all of
 * it is): the gzip magic for ".gz", no HTML or XML page where data is expected, and a
 * start the format allows (start_wrong()).  False with x->fail set when it contradicts
 * the name.
 */
static bool head_ok(struct xfer *x, bool at_end)
{
	const struct item *it = x->it;
	char shown[40];

	if (x->head_checked || !it->expect)
		return true;
	if (it->gz) {
		if (x->head_len < 2 && !at_end)
			return true;
		x->head_checked = true;
		if (x->head_len >= 2 && x->head[0] == 0x1f && x->head[1] == 0x8b)
			return true;
	} else {
		const char *wrong;

		if (x->head_len < HEAD_MAX && !at_end)
			return true;
		x->head_checked = true;
		wrong = start_wrong(it->expect, x->head, x->head_len);
		if (!looks_like_markup(x->head, x->head_len) && !wrong)
			return true;
		if (wrong && !looks_like_markup(x->head, x->head_len)) {
			show_start(x->head, x->head_len, shown);
			x->fail = XF_TYPE;
			snprintf(x->why, sizeof(x->why), "expected %s, got %s%s%s", it->expect, wrong,
				 x->head_len ? " starting " : "", x->head_len ? shown : "");
			return false;
		}
	}
	show_start(x->head, x->head_len, shown);
	if (looks_like_markup(x->head, x->head_len)) {
		x->fail = XF_TYPE;
		snprintf(x->why, sizeof(x->why), "expected %s, got an HTML/XML page starting %s",
			 it->expect, shown);
	} else {
		x->fail = XF_NOTGZ;           /* retried: a proxy may have mangled it */
		snprintf(x->why, sizeof(x->why), "the body is not gzip (no 1f 8b magic): %s",
			 x->head_len ? shown : "it is empty");
		if (x->head_len)
			snprintf(x->why + strlen(x->why), sizeof(x->why) - strlen(x->why),
				 " (%02x %02x)", x->head[0], x->head_len > 1 ? x->head[1] : 0);
	}
	return false;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct xfer *x = ud;
	size_t n = sz * nm, off = 0;
	long status = 0;

	/* the cap holds whether a length was announced or not: an endless body stops */
	if (n > x->run->o->max_bytes - x->rx) {
		x->fail = XF_TOOBIG;
		return 0;
	}
	x->rx += n;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != x->status) {           /* another response (libcurl skips redirects') */
		x->status = status;
		x->body_len = 0;
	}
	if (x->status != 200) {              /* an error page: keep its start for messages */
		size_t k = ERRBODY_MAX - x->body_len;

		if (k > n)
			k = n;
		memcpy(x->body + x->body_len, p, k);
		x->body_len += k;
		x->body[x->body_len] = '\0';
		return n;
	}
	if (!x->ctype_checked && !ctype_ok(x))
		return 0;
	if (x->head_len < HEAD_MAX) {
		size_t k = HEAD_MAX - x->head_len < n ? HEAD_MAX - x->head_len : n;

		memcpy(x->head + x->head_len, p, k);
		x->head_len += k;
		if (!head_ok(x, false))
			return 0;
	}
	if (!x->tmp && open_tmp(x) != 0) {
		x->fail = XF_DISK;
		return 0;
	}
	if (x->it->gz && !gz_feed(x, (const unsigned char *)p, n)) {
		x->fail = XF_CORRUPT;
		return 0;
	}
	while (off < n) {
		ssize_t w = write(x->fd, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			x->fail = XF_DISK;
			x->fail_errno = w < 0 ? errno : ENOSPC;
			return 0;
		}
		off += (size_t)w;
	}
	x->got += n;
	return n;
}

/*
 * libcurl's own notes.  "Excess found" is its only report of a body longer than its
 * Content-Length: it keeps the announced bytes, says so here and closes the
 * connection.  It sees the excess when it comes in the same read as the end of the
 * body; later bytes stay unread on the socket.  Request headers (with the key) pass
 * here too and are not looked at.
 */
static int on_debug(CURL *h, curl_infotype type, char *p, size_t n, void *ud)
{
	struct xfer *x = ud;

	(void)h;
	if (type == CURLINFO_TEXT && n >= 12 && memcmp(p, "Excess found", 12) == 0)
		x->excess = true;
	return 0;
}

/*
 * The minimum rate: a window of rate_window_ms that brought less than min_rate
 * bytes/s on average stops the transfer.  libcurl calls this at least about once a
 * second, data or not (its idle timeout keeps a timer running).
 */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = ud;
	const struct sb_fetch_opts *o = x->run->o;
	int64_t now = mono_ms(), span = now - x->win_ms;

	x->total = dltotal;        /* for the progress line's total, percentage and ETA */
	(void)ultotal;
	(void)ulnow;
	if (span < o->rate_window_ms)
		return 0;
	if ((double)(dlnow - x->win_bytes) * 1000.0 < (double)o->min_rate * (double)span) {
		x->fail = XF_SLOW;
		x->slow_ms = span;
		x->slow_bytes = dlnow - x->win_bytes;
		return 1;
	}
	x->win_ms = now;
	x->win_bytes = dlnow;
	return 0;
}

static void xfer_free(struct xfer *x, bool remove_tmp)
{
	if (x->easy) {
		curl_multi_remove_handle(x->run->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->hdrs);
	if (x->fd >= 0)
		close(x->fd);
	if (x->tmp) {
		if (remove_tmp)
			(void)unlink(x->tmp);
		free(x->tmp);
	}
	sb_gz_check_free(x->gz);
	free(x);
}

static void drop_active(struct run *r, struct xfer *x)
{
	for (int i = 0; i < r->n_active; i++)
		if (r->active[i] == x) {
			r->active[i] = r->active[--r->n_active];
			break;
		}
}

/* Adds a header line "name: value"; false on out of memory. */
static bool add_header(struct curl_slist **l, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *h = malloc(n);
	struct curl_slist *nl;

	if (!h)
		return false;
	snprintf(h, n, "%s: %s", name, value);
	nl = curl_slist_append(*l, h);
	memset(h, 0, n);                        /* may hold the key */
	free(h);
	if (!nl)
		return false;
	*l = nl;
	return true;
}

static void fail_deadline(struct run *r, struct item *it, const char *why);

static enum sb_err start_item(struct run *r, struct item *it)
{
	const struct sb_fetch_opts *o = r->o;
	struct xfer *x;
	char *url = it->url, *url_retry = NULL;
	bool ok = true;
	int64_t now = mono_ms(), left;

	/* Another process (or an earlier group) may have finished it meanwhile. */
	if (r->tardis && cached_gz_ok(it->path)) {
		it->state = IT_CACHED;
		r->st.cached++;
		return SB_OK;
	}
	if (!it->deadline_ms)
		it->deadline_ms = now + o->deadline_ms;
	left = it->deadline_ms - now;
	if (left <= 0) {                        /* retry_or_fail() keeps this rare */
		fail_deadline(r, it, NULL);
		return SB_OK;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return sb_errf(r->err, SB_ENOMEM, "out of memory");
	x->run = r;
	x->it = it;
	x->fd = -1;
	x->win_ms = now;
	x->easy = curl_easy_init();
	if (!x->easy) {
		free(x);
		return sb_errf(r->err, SB_ENOMEM, "cannot create a curl handle");
	}
	if (r->tardis && it->attempts > 0) {
		/* as the official clients do: a cache-busting query on retries */
		size_t n = strlen(url) + 32;

		url_retry = malloc(n);
		if (url_retry) {
			snprintf(url_retry, n, "%s?retryAttempt=%d", url, it->attempts);
			url = url_retry;
		}
	}
	if (r->key) {
		size_t n = strlen(r->key) + 8;
		char *v = malloc(n);

		ok = v != NULL;
		if (v) {
			snprintf(v, n, "Bearer %s", r->key);
			ok = add_header(&x->hdrs, "Authorization", v);
			memset(v, 0, n);
			free(v);
		}
	}
	if (it->etag)
		ok = ok && add_header(&x->hdrs, "If-None-Match", it->etag);
	if (it->lastmod)
		ok = ok && add_header(&x->hdrs, "If-Modified-Since", it->lastmod);
	if (!ok) {
		free(url_retry);
		xfer_free(x, true);
		return sb_errf(r->err, SB_ENOMEM, "out of memory");
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->curl_err);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	/* libcurl drops a custom Authorization header when a redirect changes host */
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	/* the bounds: idle timeout, what is left of the deadline, size cap, minimum rate */
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME, o->idle_timeout_s);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT, o->idle_timeout_s);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)left);
	/* stops an announced oversize at once; on_body() counts the rest */
	curl_easy_setopt(x->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
	if (o->min_rate > 0) {
		curl_easy_setopt(x->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(x->easy, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(x->easy, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(x->easy, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(x->easy, CURLOPT_DEBUGDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_VERBOSE, 1L);    /* to on_debug(), never printed */
	/* CURLOPT_ACCEPT_ENCODING deliberately unset: bytes are stored as served */
	free(url_retry);                        /* libcurl copied it */
	if (curl_multi_add_handle(r->multi, x->easy) != CURLM_OK) {
		xfer_free(x, true);
		return sb_errf(r->err, SB_ENET, "cannot start a transfer");
	}
	it->state = IT_ACTIVE;
	r->active[r->n_active++] = x;
	return SB_OK;
}

/* Stops everything after a final error: pending items are cancelled, temps removed. */
static void cancel_all(struct run *r)
{
	while (r->n_active > 0) {
		struct xfer *x = r->active[--r->n_active];

		x->it->state = IT_CANCELLED;
		r->st.cancelled++;
		xfer_free(x, true);
	}
	for (size_t i = 0; i < r->n_items; i++)
		if (r->items[i].state == IT_QUEUED) {
			r->items[i].state = IT_CANCELLED;
			r->st.cancelled++;
		}
}

static void fmt_bytes(double b, char out[32])
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(out, 32, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

/* A duration for messages: "6 h", "90 s", "250 ms". */
static void fmt_ms(int64_t ms, char out[32])
{
	if (ms >= 3600000 && ms % 3600000 == 0)
		snprintf(out, 32, "%lld h", (long long)(ms / 3600000));
	else if (ms >= 60000 && ms % 60000 == 0)
		snprintf(out, 32, "%lld min", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(out, 32, "%lld s", (long long)(ms / 1000));
	else
		snprintf(out, 32, "%lld ms", (long long)ms);
}

static void fail_final(struct run *r, struct item *it, enum sb_err code, const char *fmt, ...)
	SB_PRINTF(4, 5);

static void fail_final(struct run *r, struct item *it, enum sb_err code, const char *fmt, ...)
{
	va_list ap;
	char msg[768];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	it->state = IT_FAILED;
	r->st.failed++;
	if (!r->stop) {
		r->stop = true;
		r->rc = code;
		sb_errf(r->err, code, "%s: %s", it->label, msg);
	} else {
		note(r, "%s: %s", it->label, msg);
	}
}

/*
 * The limits name the URL too: in Tardis mode the label names the file, and its URL
 * holds no secret (the key goes in a header).
 */
static const char *url_note(const struct run *r, const struct item *it, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", r->tardis ? it->url : "", r->tardis ? ": " : "");
	return buf;
}

/* The deadline is final: a retry could only pass it again. */
static void fail_deadline(struct run *r, struct item *it, const char *why)
{
	char d[32], u[4200];

	fmt_ms(r->o->deadline_ms, d);
	fail_final(r, it, SB_ENET, "%snot done within the deadline of %s from its first request"
		   " (--deadline or SENTIBT_FETCH_DEADLINE)%s%s%s", url_note(r, it, u, sizeof(u)),
		   d, why ? " (" : "", why ? why : "", why ? ")" : "");
}

/* Requeues 'it' after a backoff, or fails it when its attempts or its time are used up. */
static void retry_or_fail(struct run *r, struct item *it, int factor, int64_t retry_after_ms,
			  const char *why)
{
	int64_t d;
	double j = (double)(rng_next(&r->rng) >> 11) / 9007199254740992.0;

	it->attempts++;
	if (it->attempts >= r->o->retries) {
		fail_final(r, it, SB_ENET, "%s; gave up after %d attempts", why, it->attempts);
		return;
	}
	d = sb_fetch_backoff_ms(it->attempts, r->o->retry_base_ms, r->o->retry_cap_ms, factor,
				retry_after_ms, j);
	if (mono_ms() + d >= it->deadline_ms) {
		char w[4800];

		snprintf(w, sizeof(w), "%s; no time left for attempt %d", why, it->attempts + 1);
		fail_deadline(r, it, w);
		return;
	}
	it->ready_ms = mono_ms() + d;
	it->state = IT_QUEUED;
	note(r, "%s: %s; retry %d/%d in %.1f s", it->label, why, it->attempts + 1,
	     r->o->retries, (double)d / 1000.0);
}

static bool retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		return true;
	default:
		return false;
	}
}

/*
 * Writes "{path}.meta" atomically: url, ETag, Last-Modified and size as JSON.
 * (Before core/json, one line written by hand; load_meta() reads both.)
 */
static bool write_meta(const struct xfer *x)
{
	struct sb_json *o = sb_json_new_object();
	struct sb_errbuf err;

	sb_json_add_str(o, "url", x->it->url);
	sb_json_add_str(o, "etag", x->etag);
	sb_json_add_str(o, "last_modified", x->lastmod);
	sb_json_add_u64(o, "size", x->got);
	return sb_json_write(x->it->meta_path, o, SB_JSON_ATOMIC, &err) == SB_OK;
}

/* A response header's value as libcurl has it (the last response), or "". */
static void get_header(struct xfer *x, const char *name, char *out, size_t cap)
{
	struct curl_header *h;

	out[0] = '\0';
	if (curl_easy_header(x->easy, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
	    strlen(h->value) < cap)
		snprintf(out, cap, "%s", h->value);
}

static void finish_200(struct run *r, struct xfer *x)
{
	struct item *it = x->it;
	curl_off_t clen = -1;
	char why[160];

	if (!x->tmp && open_tmp(x) != 0) {       /* an empty body */
		fail_final(r, it, SB_EIO, "cannot create a file in '%s': %s", r->dir,
			   strerror(x->fail_errno));
		return;
	}
	/*
	 * Whatever the format: a length that disagrees with Content-Length is a cut or
	 * a broken framing, and a text file would lose its last row unnoticed.
	 */
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
	if (x->excess) {
		snprintf(why, sizeof(why), "the body is longer than its Content-Length of %lld"
			 " bytes", (long long)clen);
		retry_or_fail(r, it, 1, -1, why);
		return;
	}
	if (clen >= 0 && (uint64_t)clen != x->got) {
		snprintf(why, sizeof(why), "body %s (%llu of %lld bytes)", (uint64_t)clen > x->got
			 ? "cut short" : "longer than its Content-Length",
			 (unsigned long long)x->got, (long long)clen);
		retry_or_fail(r, it, 1, -1, why);
		return;
	}
	if (it->gz && !sb_gz_check_complete(x->gz)) {
		retry_or_fail(r, it, 1, -1, "the gzip stream ends early");
		return;
	}
	if (fsync(x->fd) != 0 || close(x->fd) != 0) {
		x->fd = -1;
		fail_final(r, it, SB_EIO, "cannot write '%s': %s", x->tmp, strerror(errno));
		return;
	}
	x->fd = -1;
	get_header(x, "ETag", x->etag, sizeof(x->etag));
	get_header(x, "Last-Modified", x->lastmod, sizeof(x->lastmod));
	if (rename(x->tmp, it->path) != 0) {
		fail_final(r, it, SB_EIO, "cannot rename into '%s': %s", it->path,
			   strerror(errno));
		return;
	}
	free(x->tmp);
	x->tmp = NULL;
	fsync_dir(r->dir);
	if (it->meta_path) {
		if (x->etag[0] || x->lastmod[0]) {
			if (!write_meta(x))
				note(r, "%s.meta: cannot write it; the next run downloads again",
				     it->path);
		} else {
			(void)unlink(it->meta_path);   /* stale validators */
		}
	}
	it->state = IT_FETCHED;
	r->st.fetched++;
	r->st.bytes += x->got;
}

static void final_http(struct run *r, struct xfer *x)
{
	struct item *it = x->it;
	const char *env = r->o->api_key_env;

	switch (x->status) {
	case 401:
		if (!r->key && it->day_of_month != 1)
			fail_final(r, it, SB_ENET, "HTTP 401: that day needs an API key: set %s"
				   " (only the first day of each month is free)", env);
		else if (!r->key)
			fail_final(r, it, SB_ENET, "HTTP 401 unauthorized: set %s to an API key"
				   " with access to this data", env);
		else
			fail_final(r, it, SB_ENET, "HTTP 401 unauthorized: the API key in %s has no"
				   " access to this exchange, data type or date (check its plan)",
				   env);
		break;
	case 403:
		fail_final(r, it, SB_ENET, "HTTP 403 forbidden: the server refused this request"
			   "%s", r->tardis ? " (check that the key in the environment covers it)"
			   : "");
		break;
	case 404:
		fail_final(r, it, SB_ENET, "HTTP 404 not found: %s", r->tardis ?
			   "check the exchange id (e.g. binance-futures), the data type (e.g."
			   " trades, incremental_book_L2), the symbol and that the date is"
			   " available" : "check the URL");
		break;
	case 400:
		fail_final(r, it, SB_ENET, "HTTP 400 bad request: check the exchange, data type,"
			   " symbol and dates");
		break;
	default:
		fail_final(r, it, SB_ENET, "HTTP %ld: unexpected status", x->status);
		break;
	}
}

/* Retry-After in ms, -1 without one (a 429 then waits 60 * base); libcurl parses it. */
static int64_t retry_after_ms(struct xfer *x)
{
	struct curl_header *h;
	curl_off_t s = 0;

	if (curl_easy_header(x->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return -1;
	/* seconds or an HTTP date; 0 for "0", a past date, or one libcurl cannot read */
	curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &s);
	if (s <= 0)
		return 0;
	return s > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : (int64_t)s * 1000;
}

static void finish_xfer(struct run *r, struct xfer *x, CURLcode res)
{
	const struct sb_fetch_opts *o = r->o;
	struct item *it = x->it;
	char why[4608], u[4200], a[32], b[32];

	drop_active(r, x);
	x->status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (res == CURLE_OK && x->fail == XF_NONE && x->status == 200 &&
	    (x->ctype_checked || ctype_ok(x)))
		(void)head_ok(x, true);              /* a body too short to check before */
	if (x->fail == XF_DISK) {
		fail_final(r, it, SB_EIO, "cannot write into '%s': %s", r->dir,
			   strerror(x->fail_errno));
	} else if (x->fail == XF_TOOBIG || res == CURLE_FILESIZE_EXCEEDED) {
		/* final: the same file would be as large the next time */
		fmt_bytes((double)o->max_bytes, a);
		fail_final(r, it, SB_ENET, "%s%s the size cap of %llu bytes (%s; --max-bytes or"
			   " SENTIBT_FETCH_MAX_BYTES)", url_note(r, it, u, sizeof(u)),
			   x->fail == XF_TOOBIG ? "the body passed" : "the Content-Length is over",
			   (unsigned long long)o->max_bytes, a);
	} else if (x->fail == XF_TYPE) {
		fail_final(r, it, SB_ENET, "%s%s", url_note(r, it, u, sizeof(u)), x->why);
	} else if (x->fail == XF_NOTGZ) {
		retry_or_fail(r, it, 1, -1, x->why);
	} else if (x->fail == XF_CORRUPT) {
		retry_or_fail(r, it, 1, -1, "corrupt gzip data");
	} else if (x->fail == XF_SLOW) {
		/* retried: a new connection may take another route or server */
		fmt_ms(x->slow_ms, a);
		fmt_ms(o->rate_window_ms, b);
		snprintf(why, sizeof(why), "%stoo slow: %lld bytes in %s, below the minimum rate"
			 " of %llu bytes/s over %s (--min-rate, --rate-window or"
			 " SENTIBT_FETCH_MIN_RATE, SENTIBT_FETCH_RATE_WINDOW)",
			 url_note(r, it, u, sizeof(u)), (long long)x->slow_bytes, a,
			 (unsigned long long)o->min_rate, b);
		retry_or_fail(r, it, 1, -1, why);
	} else if (res == CURLE_OPERATION_TIMEDOUT &&
		   /* libcurl's clock (CLOCK_MONOTONIC_RAW) may be ~0.05% apart from ours */
		   mono_ms() + (o->deadline_ms >> 10) + 50 >= it->deadline_ms) {
		fmt_bytes((double)x->rx, a);
		snprintf(why, sizeof(why), "%s received", a);
		fail_deadline(r, it, why);
	} else if (res != CURLE_OK) {
		snprintf(why, sizeof(why), "%s%s", res == CURLE_PARTIAL_FILE ? "body cut short: "
			 : "", x->curl_err[0] ? x->curl_err : curl_easy_strerror(res));
		if (retryable_curl(res))
			retry_or_fail(r, it, 1, -1, why);
		else
			fail_final(r, it, SB_ENET, "%s", why);
	} else if (x->status == 200) {
		finish_200(r, x);
	} else if (x->status == 304 && (it->etag || it->lastmod)) {
		it->state = IT_CACHED;
		r->st.cached++;
	} else if (x->status == 429) {
		int64_t ra = retry_after_ms(x);

		retry_or_fail(r, it, 1, ra >= 0 ? ra : 60 * (int64_t)o->retry_base_ms,
			      "HTTP 429 too many requests");
	} else if (x->status >= 500 || x->status == 408 ||
		   (x->status == 400 && strstr(x->body, "ISO 8601 format"))) {
		/* 400 "ISO 8601 format": a known transient CDN bug (tardis-python 22cefb2) */
		snprintf(why, sizeof(why), "HTTP %ld", x->status);
		retry_or_fail(r, it, x->status == 500 ? 2 : 1, retry_after_ms(x), why);
	} else {
		final_http(r, x);
	}
	xfer_free(x, true);
}

static void show_progress(struct run *r, bool force)
{
	int64_t now = mono_ms();
	uint64_t bytes = r->st.bytes, got = 0, total = r->st.bytes;
	size_t done = 0;
	bool sized = true;        /* every file not done yet is transferring, with a length */
	char b[32], rate[32], tot[32];
	double secs, bps;

	if (!r->show_progress || (!force && now - r->last_progress_ms < PROGRESS_MS))
		return;
	r->last_progress_ms = now;
	for (int i = 0; i < r->n_active; i++) {
		got += r->active[i]->got;
		total += r->active[i]->total > 0 ? (uint64_t)r->active[i]->total : 0;
		sized = sized && r->active[i]->total > 0;
	}
	bytes += got;
	for (size_t i = 0; i < r->n_items; i++)
		done += r->items[i].state >= IT_FETCHED;
	sized = sized && r->n_active > 0 && done + (size_t)r->n_active == r->n_items;
	secs = (double)(now - r->t0_ms) / 1000.0;
	bps = secs > 0.05 ? (double)bytes / secs : 0;
	fmt_bytes((double)bytes, b);
	fmt_bytes(bps, rate);
	fprintf(stderr, "\r\033[Kfetch: ");
	if (r->n_items > 1)
		fprintf(stderr, "%zu/%zu files, ", done, r->n_items);
	if (sized && total >= bytes) {
		fmt_bytes((double)total, tot);
		fprintf(stderr, "%s of %s (%.0f %%), %s/s", b, tot, 100.0 * (double)bytes / (double)total,
			rate);
		if (bps > 0)
			fprintf(stderr, ", ETA %.0f s", (double)(total - bytes) / bps);
	} else {
		fprintf(stderr, "%s, %s/s", b, rate);
	}
	fprintf(stderr, " -> %s", r->n_items == 1 ? r->items[0].path : r->dir);
	fflush(stderr);
}

/* The next queued item ready to start, and the earliest ready time of those waiting. */
static struct item *next_ready(struct run *r, int64_t now, int64_t *earliest)
{
	*earliest = INT64_MAX;
	for (size_t i = 0; i < r->n_items; i++) {
		struct item *it = &r->items[i];

		if (it->state != IT_QUEUED)
			continue;
		if (it->ready_ms <= now)
			return it;
		if (it->ready_ms < *earliest)
			*earliest = it->ready_ms;
	}
	return NULL;
}

static enum sb_err run_items(struct run *r)
{
	const struct sb_fetch_opts *o = r->o;
	int jobs = o->jobs > 0 ? o->jobs : 1;
	enum sb_err rc = SB_OK;

	r->active = calloc((size_t)jobs, sizeof(*r->active));
	if (!r->active)
		return sb_errf(r->err, SB_ENOMEM, "out of memory");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {   /* reference-counted */
		free(r->active);
		return sb_errf(r->err, SB_ENET, "cannot initialise libcurl");
	}
	r->multi = curl_multi_init();
	if (!r->multi) {
		rc = sb_errf(r->err, SB_ENET, "cannot initialise libcurl");
		goto out_global;
	}
	curl_multi_setopt(r->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)jobs);
	curl_multi_setopt(r->multi, CURLMOPT_MAXCONNECTS, (long)jobs);
	r->t0_ms = r->last_progress_ms = mono_ms();
	r->show_progress = o->progress && !o->quiet && isatty(2);
	for (;;) {
		int64_t now = mono_ms(), earliest = INT64_MAX;
		struct item *it;
		CURLMsg *msg;
		int running, left, finished;
		long wait_ms;

		while (!r->stop && r->n_active < jobs && (it = next_ready(r, now, &earliest))) {
			rc = start_item(r, it);
			if (rc != SB_OK) {
				r->stop = true;
				r->rc = rc;
				break;
			}
		}
		if (r->stop) {
			cancel_all(r);
			break;
		}
		if (r->n_active == 0) {
			next_ready(r, now, &earliest);
			if (earliest == INT64_MAX)
				break;                       /* nothing left */
		}
		if (curl_multi_perform(r->multi, &running) != CURLM_OK) {
			r->stop = true;
			r->rc = sb_errf(r->err, SB_ENET, "libcurl multi interface error");
			continue;
		}
		finished = 0;
		while ((msg = curl_multi_info_read(r->multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				struct xfer *x = NULL;

				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
				finish_xfer(r, x, msg->data.result);
				finished++;
			}
		show_progress(r, false);
		if (finished || r->stop)
			continue;                /* start the next ones (or stop) at once */
		wait_ms = r->show_progress ? PROGRESS_MS : 1000;
		next_ready(r, mono_ms(), &earliest);
		if (earliest != INT64_MAX && r->n_active < jobs) {
			int64_t d = earliest - mono_ms();

			if (d < wait_ms)
				wait_ms = d > 0 ? (long)d : 0;
		}
		curl_multi_poll(r->multi, NULL, 0, (int)wait_ms, NULL);
	}
	if (r->show_progress) {
		show_progress(r, true);
		fputs("\r\033[K", stderr);
	}
	curl_multi_cleanup(r->multi);
	r->multi = NULL;
	rc = r->rc;
out_global:
	curl_global_cleanup();
	free(r->active);
	r->active = NULL;
	return rc;
}

static void run_init(struct run *r, const struct sb_fetch_opts *o, const char *dir,
		     struct sb_errbuf *err)
{
	struct timespec ts;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->dir = dir;
	r->err = err;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		 ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)r;
	if (!r->rng)
		r->rng = 1;
}

static void items_free(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].url);
		free(items[i].path);
		free(items[i].label);
		free(items[i].meta_path);
		free(items[i].etag);
		free(items[i].lastmod);
	}
	free(items);
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* The data format a file name promises (what the loaders read), or NULL. */
static const char *expected_format(const char *name)
{
	static const struct { const char *ext, *what; } fmts[] = {
		{ ".gz", "gzip data" }, { ".jsonl", "JSON lines" }, { ".ndjson", "JSON lines" },
		{ ".csv", "CSV" }, { ".msgpack", "MessagePack" }, { ".mpk", "MessagePack" },
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		size_t k = strlen(fmts[i].ext);

		if (n > k && strcmp(name + n - k, fmts[i].ext) == 0)
			return fmts[i].what;
	}
	return NULL;
}

/* ------------------------------------------------------------------ Tardis mode */

static bool plain_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == '?' || *s == '#' || *s == '%' || (unsigned char)*s <= ' ')
			return false;
	return true;
}

static enum sb_err add_tardis_item(const struct sb_fetch_opts *o, struct item *it,
				   const char *exchange, const char *dt, const char *sym,
				   int64_t day, struct sb_errbuf *err)
{
	char url[4096], name[1024], ds[16];
	int64_t y;
	unsigned m, d;
	size_t n;

	if (!sb_fetch_tardis_url(url, sizeof(url), o->base_url, exchange, dt, sym, day) ||
	    !sb_fetch_tardis_name(name, sizeof(name), exchange, dt, sym, day))
		return sb_errf(err, SB_EINVAL, "symbol '%s' is too long", sym);
	sb_fetch_format_day(day, ds);
	civil_from_days(day, &y, &m, &d);
	n = strlen(exchange) + strlen(dt) + strlen(sym) + 32;
	it->url = strdup(url);
	it->path = path_join(o->cache_dir, name);
	it->label = malloc(n);
	if (!it->url || !it->path || !it->label)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	snprintf(it->label, n, "%s %s %s %s", exchange, dt, sym, ds);
	it->day_of_month = d;
	it->gz = true;
	it->expect = expected_format(it->path);
	it->state = IT_QUEUED;
	return SB_OK;
}

enum sb_err sb_fetch_tardis(const struct sb_fetch_opts *o, const struct sb_tardis_req *req,
			    struct sb_fetch_stats *st, struct sb_errbuf *err)
{
	struct run r;
	struct item *items;
	size_t n_days, n = 0, cap;
	const char *key;
	enum sb_err rc;

	if (st)
		memset(st, 0, sizeof(*st));
	if (!req->exchange || !plain_id(req->exchange))
		return sb_errf(err, SB_EINVAL, "expected an exchange id like 'deribit', got '%s'",
			       req->exchange ? req->exchange : "");
	for (size_t i = 0; i < req->n_data_types; i++)
		if (!plain_id(req->data_types[i]))
			return sb_errf(err, SB_EINVAL, "expected a data type like 'trades', got '%s'",
				       req->data_types[i]);
	for (size_t i = 0; i < req->n_symbols; i++)
		if (!req->symbols[i][0])
			return sb_errf(err, SB_EINVAL, "expected a symbol, got an empty one");
	if (req->n_data_types == 0 || req->n_symbols == 0)
		return sb_errf(err, SB_EINVAL, "expected at least one data type and one symbol");
	if (req->to_day <= req->from_day)
		return sb_errf(err, SB_EINVAL, "the end date is exclusive and must be after the"
			       " start date");
	n_days = (size_t)(req->to_day - req->from_day);
	if (n_days > MAX_FILES / req->n_data_types / req->n_symbols)
		return sb_errf(err, SB_EINVAL, "too many files requested (at most %d)", MAX_FILES);
	cap = n_days * req->n_data_types * req->n_symbols;
	rc = mkdir_p(o->cache_dir, err);
	if (rc != SB_OK)
		return rc;
	remove_stale_temps(o->cache_dir);
	items = calloc(cap, sizeof(*items));
	if (!items)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	/*
	 * Per symbol and type: the last day, then the first, then the rest, as the
	 * official clients do, so a key lacking access to the range fails early.
	 */
	for (size_t s = 0; s < req->n_symbols; s++)
		for (size_t t = 0; t < req->n_data_types; t++)
			for (size_t k = 0; k < n_days; k++) {
				int64_t day = k == 0 ? req->to_day - 1 : k == 1 ? req->from_day
					      : req->from_day + (int64_t)k - 1;
				struct item *it = &items[n];

				rc = add_tardis_item(o, it, req->exchange, req->data_types[t],
						     req->symbols[s], day, err);
				n++;
				if (rc != SB_OK)
					goto out_items;
				if (cached_gz_ok(it->path))
					it->state = IT_CACHED;
			}
	run_init(&r, o, o->cache_dir, err);
	key = getenv(o->api_key_env);
	r.key = key && *key ? key : NULL;
	for (const char *k = r.key; k && *k; k++)
		if ((unsigned char)*k < 0x20 || *k == 0x7f) {
			/* it would break the header; say where it is, never what it is */
			rc = sb_errf(err, SB_EINVAL, "the API key in $%s contains control characters",
				     o->api_key_env);
			goto out_items;
		}
	r.tardis = true;
	r.items = items;
	r.n_items = n;
	for (size_t i = 0; i < n; i++)
		r.st.cached += items[i].state == IT_CACHED;
	rc = run_items(&r);
	if (st) {
		*st = r.st;
		snprintf(st->dest, sizeof(st->dest), "%s", r.dir);
	}
out_items:
	items_free(items, n);
	return rc;
}

/* -------------------------------------------------------------------- URL mode */

/* A copy of the non-empty string 'key' of the object 'o', or NULL. */
static char *meta_get(const struct sb_json *o, const char *key)
{
	const char *s = sb_json_string(sb_json_get(o, key));

	return s && s[0] ? strdup(s) : NULL;
}

/* Loads validators from it->meta_path when they describe the cached file of this URL. */
static void load_meta(struct item *it)
{
	struct sb_json *o;
	struct sb_errbuf err;
	struct stat st;
	const char *url;
	uint64_t size;

	if (stat(it->path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if (sb_json_load(it->meta_path, 1u << 20, &o, &err) != SB_OK)
		return;
	url = sb_json_string(sb_json_get(o, "url"));
	if (url && strcmp(url, it->url) == 0 && sb_json_u64(sb_json_get(o, "size"), &size) &&
	    size == (uint64_t)st.st_size) {
		it->etag = meta_get(o, "etag");
		it->lastmod = meta_get(o, "last_modified");
	}
	sb_json_free(o);
}

/* The URL's last path segment with unsafe characters replaced, or NULL. */
static char *name_from_url(const char *url)
{
	const char *p = strstr(url, "://"), *end, *slash;
	char *name;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "?#");
	slash = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '/')
			slash = q;
	if (!slash || slash + 1 >= end)
		return NULL;
	name = dup_n(slash + 1, (size_t)(end - slash - 1));
	if (!name)
		return NULL;
	for (char *q = name; *q; q++)
		if (strchr(":\\/?*<>|\"%", *q) || (unsigned char)*q < ' ')
			*q = '-';
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		free(name);
		return NULL;
	}
	return name;
}

/* The URL for messages: no user:password@, no query string (either may hold secrets). */
static char *url_label(const char *url)
{
	const char *p = strstr(url, "://"), *host = p ? p + 3 : url, *at, *slash;
	size_t n = strlen(url) + 8;
	char *out = malloc(n);

	if (!out)
		return NULL;
	slash = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(slash - host));
	snprintf(out, n, "%.*s%s", (int)(host - url), url, at ? at + 1 : host);
	if (strpbrk(out, "?#"))
		strcpy(strpbrk(out, "?#"), "?...");
	return out;
}

enum sb_err sb_fetch_url(const struct sb_fetch_opts *o, const char *url, const char *name,
			 struct sb_fetch_stats *st, struct sb_errbuf *err)
{
	struct run r;
	struct item it;
	char *nm;
	enum sb_err rc;

	if (st)
		memset(st, 0, sizeof(*st));
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return sb_errf(err, SB_EINVAL, "'%s': expected an http:// or https:// URL", url);
	nm = name ? strdup(name) : name_from_url(url);
	if (!nm)
		return sb_errf(err, name ? SB_ENOMEM : SB_EINVAL, "cannot name the file from"
			       " the URL; give --name NAME");
	if (!nm[0] || strchr(nm, '/') || !strcmp(nm, ".") || !strcmp(nm, "..")) {
		sb_errf(err, SB_EINVAL, "expected a plain file name, got '%s'", nm);
		free(nm);
		return SB_EINVAL;
	}
	rc = mkdir_p(o->cache_dir, err);
	if (rc != SB_OK) {
		free(nm);
		return rc;
	}
	remove_stale_temps(o->cache_dir);
	memset(&it, 0, sizeof(it));
	it.url = strdup(url);
	it.path = path_join(o->cache_dir, nm);
	it.label = url_label(url);
	if (it.path) {
		size_t n = strlen(it.path) + 6;

		it.meta_path = malloc(n);
		if (it.meta_path)
			snprintf(it.meta_path, n, "%s.meta", it.path);
	}
	free(nm);
	if (!it.url || !it.path || !it.label || !it.meta_path) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_item;
	}
	{
		size_t pl = strlen(it.path);

		it.gz = pl > 3 && strcmp(it.path + pl - 3, ".gz") == 0;
	}
	it.expect = expected_format(it.path);
	load_meta(&it);
	it.state = IT_QUEUED;
	run_init(&r, o, o->cache_dir, err);
	r.items = &it;
	r.n_items = 1;
	rc = run_items(&r);
	if (st) {
		*st = r.st;
		snprintf(st->dest, sizeof(st->dest), "%s", it.path);
	}
out_item:
	free(it.url);
	free(it.path);
	free(it.label);
	free(it.meta_path);
	free(it.etag);
	free(it.lastmod);
	return rc;
}

/* ----------------------------------------------------------------- for backtest */

enum sb_err sb_fetch_resolve_tardis(const char *ref, const struct sb_fetch_opts *o,
				    char ***paths_out, size_t *n_out, struct sb_errbuf *err)
{
	struct sb_tardis_ref tr;
	struct sb_tardis_req req;
	const char *dt[1], *sym[1];
	char **paths = NULL, name[1024];
	size_t n = 0;
	enum sb_err rc;

	*paths_out = NULL;
	*n_out = 0;
	rc = sb_fetch_parse_tardis_ref(ref, &tr, err);
	if (rc != SB_OK)
		return rc;
	dt[0] = tr.data_type;
	sym[0] = tr.symbol;
	memset(&req, 0, sizeof(req));
	req.exchange = tr.exchange;
	req.data_types = dt;
	req.n_data_types = 1;
	req.symbols = sym;
	req.n_symbols = 1;
	req.from_day = tr.from_day;
	req.to_day = tr.to_day;
	rc = sb_fetch_tardis(o, &req, NULL, err);
	if (rc != SB_OK)
		goto out_ref;
	paths = calloc((size_t)(tr.to_day - tr.from_day), sizeof(*paths));
	if (!paths) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_ref;
	}
	for (int64_t d = tr.from_day; d < tr.to_day; d++) {
		if (!sb_fetch_tardis_name(name, sizeof(name), tr.exchange, tr.data_type,
					  tr.symbol, d) ||
		    !(paths[n] = path_join(o->cache_dir, name))) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
			goto out_paths;
		}
		n++;
	}
	*paths_out = paths;
	*n_out = n;
	goto out_ref;
out_paths:
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
out_ref:
	sb_fetch_ref_release(&tr);
	return rc;
}

/* ---- streamed JSON POSTs over libcurl multi (the scorer's requests, fetch.h) ---- */

struct post_xfer {
	struct sb_http *h;
	CURL *easy;
	struct curl_slist *hdrs;
	sb_http_body_fn fn;
	void *user;
	int64_t idle_us, last_rx;
	long status;
	bool aborted;
	char errbody[200];
	size_t errbody_len;
	struct post_xfer *next;
};

struct sb_http {
	CURLM *multi;
	struct post_xfer *xfers;   /* running */
	size_t running;
};

int64_t sb_http_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum sb_err sb_http_new(struct sb_http **out, struct sb_errbuf *err)
{
	struct sb_http *h;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)   /* reference-counted */
		return sb_errf(err, SB_ENET, "cannot initialise libcurl");
	h = calloc(1, sizeof(*h));
	if (!h || !(h->multi = curl_multi_init())) {
		free(h);
		return sb_errf(err, SB_ENOMEM, "out of memory");
	}
	*out = h;
	return SB_OK;
}

static void post_xfer_free(struct post_xfer *x)
{
	curl_multi_remove_handle(x->h->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	free(x);
}

void sb_http_free(struct sb_http *h)
{
	if (!h)
		return;
	while (h->xfers) {
		struct post_xfer *x = h->xfers;

		h->xfers = x->next;
		post_xfer_free(x);
	}
	curl_multi_cleanup(h->multi);
	free(h);
}

/* Headers only show that the server is alive; their values come from libcurl's getters. */
static size_t post_on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct post_xfer *x = ud;

	(void)buf;
	x->last_rx = sb_http_now_us();
	return size * n;
}

static size_t post_on_body(char *buf, size_t size, size_t n, void *ud)
{
	struct post_xfer *x = ud;
	size_t len = size * n;

	x->last_rx = sb_http_now_us();
	if (!x->status)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status > 299) {   /* kept for the message */
		size_t k = sizeof(x->errbody) - 1 - x->errbody_len;

		k = len < k ? len : k;
		memcpy(x->errbody + x->errbody_len, buf, k);
		x->errbody_len += k;
		return len;
	}
	if (!x->fn(x->user, buf, len)) {
		x->aborted = true;
		return 0;   /* CURLE_WRITE_ERROR */
	}
	return len;
}

enum sb_err sb_http_post(struct sb_http *h, const char *url, const char *bearer,
			 const char *body, int64_t timeout_us, int64_t idle_us,
			 sb_http_body_fn fn, void *user, struct sb_errbuf *err)
{
	struct post_xfer *x = calloc(1, sizeof(*x));
	struct curl_slist *l;
	char auth[1024];

	if (!x || !(x->easy = curl_easy_init())) {
		free(x);
		return sb_errf(err, SB_ENOMEM, "out of memory");
	}
	x->h = h;
	x->fn = fn;
	x->user = user;
	x->idle_us = idle_us;
	x->last_rx = sb_http_now_us();
	l = curl_slist_append(NULL, "Content-Type: application/json");
	l = l ? curl_slist_append(l, "Accept: text/event-stream") : NULL;
	/* no "Expect: 100-continue" round trip (some servers never answer it: a 1 s stall) */
	l = l ? curl_slist_append(l, "Expect:") : NULL;
	if (l && bearer) {
		if (snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer) >= (int)sizeof(auth)) {
			curl_slist_free_all(l);
			l = NULL;
		} else {
			struct curl_slist *l2 = curl_slist_append(l, auth);

			if (!l2)
				curl_slist_free_all(l);
			l = l2;
		}
		memset(auth, 0, sizeof(auth));   /* the key stays in libcurl's copy only */
	}
	x->hdrs = l;
	if (!l) {
		curl_easy_cleanup(x->easy);
		free(x);
		return sb_errf(err, SB_ENOMEM, "out of memory (or an API key over 1000 bytes)");
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "sentibt/" SB_VERSION);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)(timeout_us / 1000));
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_us / 1000));
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, post_on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, post_on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		curl_slist_free_all(x->hdrs);
		curl_easy_cleanup(x->easy);
		free(x);
		return sb_errf(err, SB_ENOMEM, "cannot start a transfer");
	}
	x->next = h->xfers;
	h->xfers = x;
	h->running++;
	return SB_OK;
}

size_t sb_http_running(const struct sb_http *h)
{
	return h->running;
}

static void post_finish(struct sb_http *h, struct post_xfer *x, CURLcode cc, bool idle,
		   struct sb_http_result *r)
{
	struct post_xfer **pp = &h->xfers;

	memset(r, 0, sizeof(*r));
	r->user = x->user;
	r->retry_after_us = -1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	{   /* Retry-After, seconds or an HTTP date: libcurl parses it (0 for a past date) */
		struct curl_header *hd;
		curl_off_t s = 0;

		if (curl_easy_header(x->easy, "Retry-After", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK) {
			curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &s);
			r->retry_after_us = (s > 0 ? (s < 86400 ? s : 86400) : 0) * (int64_t)1000000;
		}
	}
	if (idle) {
		r->kind = SB_HTTP_TIMEOUT;
		snprintf(r->detail, sizeof(r->detail), "no data received for %lld ms",
			 (long long)(x->idle_us / 1000));
	} else if (x->aborted) {
		r->kind = SB_HTTP_ABORTED;
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		r->kind = SB_HTTP_TIMEOUT;
		snprintf(r->detail, sizeof(r->detail), "%s", curl_easy_strerror(cc));
	} else if (cc != CURLE_OK) {
		r->kind = SB_HTTP_NETERR;
		snprintf(r->detail, sizeof(r->detail), "%s", curl_easy_strerror(cc));
	} else {
		r->kind = SB_HTTP_DONE;
		/* a one-line excerpt of an error body */
		for (size_t i = 0; i < x->errbody_len; i++)
			if (x->errbody[i] == '\n' || x->errbody[i] == '\r' || x->errbody[i] == '\t')
				x->errbody[i] = ' ';
		snprintf(r->detail, sizeof(r->detail), "%.*s", (int)x->errbody_len, x->errbody);
	}
	while (*pp != x)
		pp = &(*pp)->next;
	*pp = x->next;
	h->running--;
	post_xfer_free(x);
}

size_t sb_http_poll(struct sb_http *h, int64_t wait_us, struct sb_http_result *out, size_t max)
{
	size_t n = 0;
	int still, left;
	CURLMsg *m;
	int64_t now;

	if (wait_us > 0)
		curl_multi_poll(h->multi, NULL, 0, (int)((wait_us + 999) / 1000), NULL);
	curl_multi_perform(h->multi, &still);
	while (n < max && (m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct post_xfer *x;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		post_finish(h, x, m->data.result, false, &out[n++]);
	}
	now = sb_http_now_us();
	for (struct post_xfer *x = h->xfers, *next; x && n < max; x = next) {
		next = x->next;
		if (x->idle_us > 0 && now - x->last_rx > x->idle_us)
			post_finish(h, x, CURLE_OK, true, &out[n++]);
	}
	return n;
}
