/* http.c - JSON POSTs with streamed bodies over libcurl multi (see http.h) */
#include "http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct xfer {
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
	struct xfer *next;
};

struct sb_http {
	CURLM *multi;
	struct xfer *xfers;   /* running */
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

static void xfer_free(struct xfer *x)
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
		struct xfer *x = h->xfers;

		h->xfers = x->next;
		xfer_free(x);
	}
	curl_multi_cleanup(h->multi);
	free(h);
}

/* Headers only show that the server is alive; their values come from libcurl's getters. */
static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;

	(void)buf;
	x->last_rx = sb_http_now_us();
	return size * n;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
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
	struct xfer *x = calloc(1, sizeof(*x));
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
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
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

static void finish(struct sb_http *h, struct xfer *x, CURLcode cc, bool idle,
		   struct sb_http_result *r)
{
	struct xfer **pp = &h->xfers;

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
	xfer_free(x);
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
		struct xfer *x;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finish(h, x, m->data.result, false, &out[n++]);
	}
	now = sb_http_now_us();
	for (struct xfer *x = h->xfers, *next; x && n < max; x = next) {
		next = x->next;
		if (x->idle_us > 0 && now - x->last_rx > x->idle_us)
			finish(h, x, CURLE_OK, true, &out[n++]);
	}
	return n;
}
