/* http.h - the scorer's HTTP client: JSON POSTs over libcurl's multi interface
 *
 * The second of the two files that call libcurl (the first is loaders/fetch.c, the
 * downloader, whose rules are about files: see docs/architecture.md).  This one
 * streams a response body to a callback as it arrives, and knows nothing of what is
 * asked: score/score_run.c decides what to send, when, and what to retry.
 * No libcurl type shows here.
 */
#ifndef SB_HTTP_H
#define SB_HTTP_H

#include "../core/common.h"

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
