/* fetch.h - the downloader: Tardis datasets and plain URLs into a local cache (libcurl) */
#ifndef SB_FETCH_H
#define SB_FETCH_H

#include "../core/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How downloads are made.  Every transfer goes through the same machinery:
 *   - libcurl's multi interface, 'jobs' transfers at once, connections reused;
 *   - bounds on every transfer: at most 'max_bytes' of body (announced or received),
 *     at least 'min_rate' bytes/s on average over each 'rate_window_ms', and
 *     'deadline_ms' for a file from its first request, retries and waits included;
 *     also an idle timeout ('idle_timeout_s' seconds below 1 byte/s), no other;
 *   - the body goes to "<final>.part.<pid>.<random>" in the same folder, is checked
 *     (status 200, exactly Content-Length bytes when there is one, nothing of the
 *     type the name contradicts, one or more complete gzip members with valid CRCs
 *     for names ending ".gz"), fsync'd, renamed into place, and the folder fsync'd;
 *   - 429, 5xx, 408, network errors, idle timeouts, too-slow transfers and bodies
 *     cut short or longer than their Content-Length are retried up to 'retries'
 *     attempts in all, waiting min(cap, base * 2^(attempt-1)) plus up to 50% jitter;
 *     a 429 waits at least its Retry-After (seconds or an HTTP date), or 60 * base
 *     when it has none; a 500 waits twice as long.  A body that is not valid gzip is
 *     retried the same way (a proxy or CDN may have mangled it) and reported when
 *     the attempts run out.
 *   - final, never retried: 400/401/403/404 (and other 4xx), a body over the size
 *     cap, a file past its deadline, and an HTML/XML page (by Content-Type or by its
 *     first bytes) where a data file (.gz, .csv, .jsonl, .ndjson, .msgpack, .mpk) was
 *     expected.  The first final error cancels the transfers still running or
 *     waiting, removes their temporary files, and keeps the files already verified.
 * Two processes fetching the same files at once both finish with one valid copy:
 * no lock is taken, each downloads to its own temporary file and rename() is atomic
 * (a transfer is skipped when the final file appeared while it was queued).
 */
struct sb_fetch_opts {
	const char *cache_dir;     /* default "data/cache/tardis" */
	const char *base_url;      /* default $SENTIBT_TARDIS_BASE_URL, else
				      "https://datasets.tardis.dev/v1" */
	const char *api_key_env;   /* environment variable holding the key, "TARDIS_API_KEY" */
	int  jobs;                 /* transfers at once, 8 */
	int  retries;              /* attempts per file in all, 8 */
	long retry_base_ms;        /* first backoff step, 1000 (env SENTIBT_RETRY_BASE_MS) */
	long retry_cap_ms;         /* longest backoff, 120000 */
	long idle_timeout_s;       /* abort a transfer idle this long, 120 */
	uint64_t max_bytes;        /* largest body, 32 GiB (env SENTIBT_FETCH_MAX_BYTES) */
	int64_t deadline_ms;       /* per file from its first request, retries included,
				      6 h (env SENTIBT_FETCH_DEADLINE) */
	uint64_t min_rate;         /* bytes/s, 1 KiB; 0: no minimum (env SENTIBT_FETCH_MIN_RATE) */
	int64_t rate_window_ms;    /* ... on average over each window this long, 60 s
				      (env SENTIBT_FETCH_RATE_WINDOW) */
	bool quiet;                /* no retry notes or progress on stderr (false) */
	bool progress;             /* progress line (<= 6 Hz) when stderr is a terminal (true) */
};

/* Bounds of the limits above, for options and environment variables. */
#define SB_FETCH_BYTES_MAX     (UINT64_C(1) << 50)              /* 1 PiB */
#define SB_FETCH_DURATION_MAX  (INT64_C(30) * 86400 * 1000)     /* 30 days, in ms */

/* Counts for the summary line. */
struct sb_fetch_stats {
	size_t   fetched;          /* files downloaded and verified (or refreshed) */
	size_t   cached;           /* already in the cache (or a 304 for a URL) */
	size_t   failed;           /* files that failed */
	size_t   cancelled;        /* files not finished because another one failed */
	uint64_t bytes;            /* body bytes received into verified files */
	char     dest[4096];       /* where they went: the file (url) or the cache folder */
};

/* A Tardis request: every (data type, symbol, day) in [from_day, to_day). */
struct sb_tardis_req {
	const char  *exchange;
	const char **data_types;
	size_t       n_data_types;
	const char **symbols;
	size_t       n_symbols;
	int64_t      from_day;     /* days since 1970-01-01, inclusive */
	int64_t      to_day;       /* exclusive, like the official clients' 'to' */
};

/* A parsed "tardis:EXCHANGE:DATA_TYPE:SYMBOL:FROM..TO" reference; strings are malloc'd. */
struct sb_tardis_ref {
	char   *exchange, *data_type, *symbol;
	int64_t from_day, to_day;  /* to_day exclusive; a single day gives to = from + 1 */
};

/*
 * Fills 'o' with the defaults above and the environment variables named there (a
 * value that is not a number in range is ignored).
 */
void sb_fetch_opts_init(struct sb_fetch_opts *o);

/*
 * sb_fetch_parse_bytes() reads a byte count: digits with an optional suffix K, M, G
 * or T (powers of 1024; "KiB" etc. too), 0 .. SB_FETCH_BYTES_MAX.
 * sb_fetch_parse_ms() reads a duration: seconds as bare digits, or a number with a
 * unit as sb_parse_duration() reads it ("500ms", "90s", "5m", "6h"), into whole
 * milliseconds, 0 .. SB_FETCH_DURATION_MAX.  Both are false on anything else.
 */
bool sb_fetch_parse_bytes(const char *s, uint64_t *out);
bool sb_fetch_parse_ms(const char *s, int64_t *ms);

/* True when 's' starts with "tardis:". */
bool sb_fetch_is_tardis_ref(const char *s);

/*
 * sb_fetch_parse_day() reads a strict "YYYY-MM-DD" (a real calendar date) into days
 * since 1970-01-01.  sb_fetch_format_day() writes it back ("YYYY-MM-DD", 11 bytes).
 */
bool sb_fetch_parse_day(const char *s, int64_t *day);
void sb_fetch_format_day(int64_t day, char out[16]);

/*
 * sb_fetch_parse_tardis_ref() parses "tardis:EXCHANGE:DATA_TYPE:SYMBOL:YYYY-MM-DD..YYYY-MM-DD"
 * (end exclusive) or "...:SYMBOL:YYYY-MM-DD" (one day).  The symbol may itself hold ':'
 * (the dates follow the last one).  Returns SB_EINVAL with a message saying what was
 * expected; 'r' owns nothing on error.  Free with sb_fetch_ref_release().
 */
enum sb_err sb_fetch_parse_tardis_ref(const char *ref, struct sb_tardis_ref *r,
				      struct sb_errbuf *err);
void sb_fetch_ref_release(struct sb_tardis_ref *r);

/*
 * sb_fetch_tardis_url() writes "{base}/{exchange}/{data_type}/YYYY/MM/DD/{SYM}.csv.gz"
 * where SYM is the symbol upper-cased, '/' and ':' turned into '-', then
 * percent-encoded (everything but A-Z a-z 0-9 - _ . ~).  sb_fetch_tardis_name() writes
 * the official clients' file name "{exchange}_{data_type}_YYYY-MM-DD_{symbol}.csv.gz",
 * the symbol as given with each of :\/?*<>|" turned into '-'.  Both return false
 * when 'out' (of 'cap' bytes) is too small.
 */
bool sb_fetch_tardis_url(char *out, size_t cap, const char *base, const char *exchange,
			 const char *data_type, const char *symbol, int64_t day);
bool sb_fetch_tardis_name(char *out, size_t cap, const char *exchange,
			  const char *data_type, const char *symbol, int64_t day);

/*
 * sb_fetch_backoff_ms() is the wait after 'attempt' failed attempts (1-based):
 * d = min(cap, base * 2^(attempt-1) * factor), plus jitter01 * d / 2 ('jitter01' in
 * [0, 1)); then at least min('retry_after_ms', 1 hour) when that is >= 0.
 */
int64_t sb_fetch_backoff_ms(int attempt, long base_ms, long cap_ms, int factor,
			    int64_t retry_after_ms, double jitter01);

/*
 * sb_fetch_tardis() downloads what is missing of 'req' into o->cache_dir, with the
 * key from the environment variable o->api_key_env sent as "Authorization: Bearer"
 * when set (the key is never printed or stored).  A file already in the cache (a
 * regular file starting with the gzip magic) is not requested at all.  Stale
 * temporary files in the folder (owner pid gone, or older than 30 minutes) are
 * removed first.  'st' (may be NULL) gets the counts.  Returns SB_OK or the first
 * error (message in 'err').
 */
enum sb_err sb_fetch_tardis(const struct sb_fetch_opts *o, const struct sb_tardis_req *req,
			    struct sb_fetch_stats *st, struct sb_errbuf *err);

/*
 * sb_fetch_url() downloads 'url' into o->cache_dir/'name' ('name' NULL: the last path
 * segment of the URL).  Validators (ETag, Last-Modified) go into 'name'.meta (JSON,
 * written atomically); when the file and its .meta exist the request is conditional
 * and a 304 keeps the cached copy (counted as cached).  No Authorization is sent.
 */
enum sb_err sb_fetch_url(const struct sb_fetch_opts *o, const char *url, const char *name,
			 struct sb_fetch_stats *st, struct sb_errbuf *err);

/*
 * sb_fetch_resolve_tardis() parses a tardis: reference (see above), fetches the days
 * missing from the cache, and returns the cache path of each day in order in
 * '*paths_out' (malloc'd array of malloc'd strings, '*n_out' of them; free each and
 * the array).  On error nothing is returned and '*paths_out' is NULL.
 */
enum sb_err sb_fetch_resolve_tardis(const char *ref, const struct sb_fetch_opts *o,
				    char ***paths_out, size_t *n_out, struct sb_errbuf *err);

/*
 * Streamed JSON POSTs over libcurl's multi interface, for the scorer (score/score_run.c
 * decides what to send, when, and what to retry; this knows nothing of what is asked):
 * each response body goes to a callback as it arrives.
 */
struct sb_http;

enum sb_http_kind {
	SB_HTTP_DONE = 0,   /* a response was received whole: see status */
	SB_HTTP_TIMEOUT,    /* the total timeout, or nothing received for idle_us */
	SB_HTTP_NETERR,     /* connection refused or cut, DNS, TLS, ... */
	SB_HTTP_ABORTED,    /* the body callback returned false */
};

struct sb_http_result {
	void   *user;
	enum sb_http_kind kind;
	long    status;           /* HTTP status when DONE */
	int64_t retry_after_us;   /* a Retry-After header (seconds or a date), else -1 */
	char    detail[256];      /* the network error, or the start of a non-2xx body */
};

/* Called with the body of a 2xx response as it arrives; false aborts the transfer. */
typedef bool (*sb_http_body_fn)(void *user, const char *data, size_t n);

enum sb_err sb_http_new(struct sb_http **h, struct sb_errbuf *err);
void sb_http_free(struct sb_http *h);   /* aborts what is running; NULL is fine */

/*
 * Starts POST 'url' with the JSON 'body' (copied), "Accept: text/event-stream" and,
 * when 'bearer' is not NULL, "Authorization: Bearer <bearer>" (never logged).
 * timeout_us bounds the whole transfer, idle_us the time without a byte received.
 */
enum sb_err sb_http_post(struct sb_http *h, const char *url, const char *bearer,
			 const char *body, int64_t timeout_us, int64_t idle_us,
			 sb_http_body_fn fn, void *user, struct sb_errbuf *err);
size_t sb_http_running(const struct sb_http *h);
/*
 * Moves the transfers on for at most wait_us (returns early when one ends) and
 * writes up to 'max' finished ones to out[]; returns how many.
 */
size_t sb_http_poll(struct sb_http *h, int64_t wait_us, struct sb_http_result *out, size_t max);

/* Monotonic clock in µs (for the scheduler's waits). */
int64_t sb_http_now_us(void);

#endif
