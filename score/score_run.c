/* score_run.c - the scoring run: cache, scheduler, outputs (see score_run.h, docs/score.md)
 *
 * The scheduler is one loop on one thread: libcurl's multi interface carries the
 * concurrent requests (sb_http_* in loaders/fetch.c), and between polls the loop starts what the
 * limits allow.  A request starts when: fewer than 'limit' are running ('limit' is
 * --concurrency, halved on each 429 and raised by one after every 10 successes in a
 * row), the time is past the global pause (a 429's Retry-After) and the job's own
 * backoff, and both token buckets (requests/min, tokens/min with the request's
 * estimated tokens reserved, corrected by its reported usage) have room.
 */
#include "score_run.h"
#include "answer.h"
#include "cache.h"
#include "../loaders/fetch.h"   /* sb_http_*: the streamed POSTs */
#include "lexicon.h"
#include "prices.h"
#include "ratelimit.h"
#include "sse.h"
#include "../core/digest.h"
#include "../core/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum state { PENDING = 0, DONE_OK, DONE_ERR };

struct job {
	size_t   idx;                   /* the article */
	char    *message;               /* the user message (the article as sent) */
	char     key[SB_SHA256_HEX];
	enum state state;
	bool     cached;
	size_t   dup_of;                /* SIZE_MAX, or the earlier article with the same key */
	struct sb_answer ans;
	uint64_t pt, ct;                /* tokens over every request of this article */
	double   cost;                  /* NaN: unknown */
	enum sb_cost_source src;
	double   latency_s;
	int      attempts, requests;
	int      paid;                  /* requests charged: answers, and streams cut after usage */
	bool     running, invalid_retried;
	int64_t  not_before, started;
	double   reserved;              /* tokens taken from the bucket at the start */
	char    *bad;                   /* the invalid answer sent back with the retry */
	char     why[400];              /* the reason of the retry, or of the error */
	struct sb_chat_stream cs;
	struct sb_errbuf stream_err;
	bool     stream_failed;
};

struct run {
	const struct sb_score_spec *s;
	struct sb_score_totals *t;
	struct sb_news nw;
	struct job *jobs;
	struct sb_prices prices;
	bool have_prices;
	struct sb_price price;
	struct sb_score_cache *cache;
	struct sb_http *http;
	char url[4096];
	struct sb_bucket rpm, tpm;
	struct sb_breaker breaker;
	uint64_t rng;
	int limit, streak;
	int64_t pause_until, t0, last_progress;
	size_t finished;                /* articles settled (cached, scored, failed) */
	char last_failure[400];
};

void sb_score_spec_defaults(struct sb_score_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->cache_read = true;
	s->concurrency = 8;
	s->retries = 4;
	s->breaker = 10;
	s->max_tokens = 300;
	s->timeout_us = 120 * SB_US_PER_SEC;
	s->idle_timeout_us = 30 * SB_US_PER_SEC;
	s->retry_base_us = SB_US_PER_SEC;
	s->retry_cap_us = 60 * SB_US_PER_SEC;
	s->max_text = 8000;
}

void sb_score_totals_release(struct sb_score_totals *t)
{
	free(t->score);
	free(t->latency_s);
	t->score = t->latency_s = NULL;
}

/* ---- the request ---- */

static size_t utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/*
 * "Title: ...\nSource: ...\n\n<text>", at most max_text bytes.  No time and no id:
 * the same article republished is the same question (one cache entry).
 */
static char *user_message(const struct sb_news_item *it, size_t max_text)
{
	size_t tl = it->text ? strlen(it->text) : 0, cap;
	char *m;
	int n;

	cap = 200 + (it->title ? strlen(it->title) : 0) + (it->source ? strlen(it->source) : 0) + tl;
	m = malloc(cap);
	if (!m)
		return NULL;
	n = snprintf(m, cap, "%s%s%sSource: %s\n", it->title ? "Title: " : "",
		     it->title ? it->title : "", it->title ? "\n" : "",
		     it->source ? it->source : "unknown");
	if (tl) {
		strcat(m + n, "\n");
		strcat(m + n, it->text);
		n += 1 + (int)tl;
	}
	if ((size_t)n > max_text)
		m[utf8_cut(m, max_text)] = '\0';
	return m;
}

static void cache_key(const struct run *r, const char *message, char key[SB_SHA256_HEX])
{
	struct sb_sha256 h;
	const char *parts[3] = { r->s->base_url, r->s->model, SB_PROMPT_VERSION };

	if (sb_sha256_begin(&h, NULL) != SB_OK) {
		key[0] = '\0';
		return;
	}
	for (int i = 0; i < 3; i++)
		sb_sha256_update(&h, parts[i], strlen(parts[i]) + 1);   /* NUL-separated */
	sb_sha256_update(&h, message, strlen(message));
	sb_sha256_end(&h, key);
}

static char *request_body(const struct run *r, const struct job *j)
{
	struct sb_json *o = sb_json_new_object(), *msgs, *m, *so;
	char *text;

	sb_json_add_str(o, "model", r->s->model);
	msgs = sb_json_add_array(o, "messages");
	m = sb_json_add_object(msgs, NULL);
	sb_json_add_str(m, "role", "system");
	sb_json_add_str(m, "content", sb_score_system_prompt);
	m = sb_json_add_object(msgs, NULL);
	sb_json_add_str(m, "role", "user");
	sb_json_add_str(m, "content", j->message);
	if (j->bad) {   /* the retry of an invalid answer names what was wrong */
		char again[600];

		m = sb_json_add_object(msgs, NULL);
		sb_json_add_str(m, "role", "assistant");
		sb_json_add_str(m, "content", j->bad);
		snprintf(again, sizeof(again),
			 "That answer is invalid: %s. Answer again with only the JSON object.", j->why);
		m = sb_json_add_object(msgs, NULL);
		sb_json_add_str(m, "role", "user");
		sb_json_add_str(m, "content", again);
	}
	sb_json_add_bool(o, "stream", true);
	so = sb_json_add_object(o, "stream_options");
	sb_json_add_bool(so, "include_usage", true);
	sb_json_add_num(o, "temperature", r->s->temperature);
	sb_json_add_u64(o, "max_tokens", (uint64_t)r->s->max_tokens);
	text = sb_json_print(o, false);
	sb_json_free(o);
	return text;
}

static bool on_body(void *user, const char *data, size_t n)
{
	struct job *j = user;

	if (sb_chat_stream_feed(&j->cs, data, n, &j->stream_err) != SB_OK) {
		j->stream_failed = true;
		return false;
	}
	return true;
}

/* ---- cache entries: the answer's JSON plus what it cost ---- */

static struct sb_json *answer_json(const struct sb_answer *a)
{
	struct sb_json *o = sb_json_new_object(), *e;

	sb_json_add_num(o, "sentiment_score", a->score);
	sb_json_add_num(o, "confidence", a->confidence);
	e = sb_json_add_array(o, "key_entities");
	for (size_t i = 0; i < a->n_entities; i++)
		sb_json_add_str(e, NULL, a->entities[i]);
	sb_json_add_str(o, "summary", a->summary);
	return o;
}

static void add_cost(struct sb_json *o, const struct job *j)
{
	sb_json_add_u64(o, "prompt_tokens", j->pt);
	sb_json_add_u64(o, "completion_tokens", j->ct);
	sb_json_add_num(o, "cost_usd", j->cost);   /* null when unknown */
	sb_json_add_str(o, "cost_source", sb_cost_source_name(j->src));
}

static enum sb_err cache_store(struct run *r, struct job *j, struct sb_errbuf *err)
{
	struct sb_json *o;
	char *text;
	enum sb_err rc;

	if (!r->cache)
		return SB_OK;
	o = answer_json(&j->ans);
	add_cost(o, j);
	text = sb_json_print(o, false);
	sb_json_free(o);
	if (!text)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	rc = sb_score_cache_put(r->cache, j->key, text, err);
	free(text);
	return rc;
}

/* An entry is checked like an answer; one that does not pass is a miss. */
static bool cache_lookup(struct run *r, struct job *j, struct sb_errbuf *err, enum sb_err *rc)
{
	char *text = NULL, why[200];
	struct sb_json *o;
	uint64_t pt, ct;
	const char *src;
	bool ok;

	*rc = SB_OK;
	if (!r->cache || !r->s->cache_read)
		return false;
	if ((*rc = sb_score_cache_get(r->cache, j->key, &text, err)) != SB_OK || !text)
		return false;
	o = sb_json_parse(text, strlen(text));
	ok = sb_answer_parse(text, strlen(text), &j->ans, why, sizeof(why)) &&
	     sb_json_u64(sb_json_get(o, "prompt_tokens"), &pt) &&
	     sb_json_u64(sb_json_get(o, "completion_tokens"), &ct);
	if (ok) {
		j->pt = pt;
		j->ct = ct;
		j->cost = sb_json_number(sb_json_get(o, "cost_usd"));
		src = sb_json_string(sb_json_get(o, "cost_source"));
		j->src = !src ? SB_COST_NONE : !strcmp(src, "api") ? SB_COST_API :
			 !strcmp(src, "usage") ? SB_COST_USAGE :
			 !strcmp(src, "estimate") ? SB_COST_ESTIMATE : SB_COST_NONE;
	}
	sb_json_free(o);
	free(text);
	return ok;
}

/* ---- the scheduler ---- */

static void settle(struct run *r, struct job *j, enum state st)
{
	/* what a request needed goes now: memory stays O(concurrency) beyond the news */
	sb_chat_stream_release(&j->cs);
	free(j->message);
	free(j->bad);
	j->message = j->bad = NULL;
	j->state = st;
	r->finished++;
	if (st == DONE_ERR)
		r->t->errors++;
}

static void fail_job(struct run *r, struct job *j, const char *fmt, ...) SB_PRINTF(3, 4);

static void fail_job(struct run *r, struct job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->why, sizeof(j->why), fmt, ap);
	va_end(ap);
	settle(r, j, DONE_ERR);
}

static double estimate_tokens(const struct run *r, const struct job *j)
{
	return (double)sb_tokens_estimate(strlen(sb_score_system_prompt) + strlen(j->message) +
					  (j->bad ? strlen(j->bad) + 300 : 0)) +
	       (double)r->s->max_tokens;
}

static enum sb_err start(struct run *r, struct job *j, int64_t now, struct sb_errbuf *err)
{
	char *body = request_body(r, j);
	enum sb_err rc;

	if (!body)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	sb_chat_stream_release(&j->cs);
	j->stream_failed = false;
	rc = sb_http_post(r->http, r->url, r->s->api_key, body, r->s->timeout_us,
			  r->s->idle_timeout_us, on_body, j, err);
	free(body);
	if (rc)
		return rc;
	j->running = true;
	j->started = now;
	j->requests++;
	r->t->requests++;
	j->reserved = estimate_tokens(r, j);
	sb_bucket_take(&r->rpm, 1, now);
	sb_bucket_take(&r->tpm, j->reserved, now);
	return SB_OK;
}

/* A failed request that may be retried: backoff, or the article's error. */
static void retry_later(struct run *r, struct job *j, int64_t now, int64_t at_least,
			const char *what)
{
	int64_t wait;

	sb_breaker_result(&r->breaker, false);
	snprintf(r->last_failure, sizeof(r->last_failure), "%s", what);
	j->attempts++;
	if (j->attempts >= r->s->retries) {
		fail_job(r, j, "%s (after %d attempts)", what, j->attempts);
		return;
	}
	r->t->retries++;
	wait = sb_backoff_us(j->attempts, r->s->retry_base_us, r->s->retry_cap_us, &r->rng);
	j->not_before = now + (wait > at_least ? wait : at_least);
}

/* What a request sends: the prompt, the article, and an invalid answer sent back. */
static size_t sent_bytes(const struct job *j)
{
	return strlen(sb_score_system_prompt) + strlen(j->message) +
	       (j->bad ? strlen(j->bad) + 100 : 0);
}

static void charge(struct run *r, struct job *j, size_t sent)
{
	uint64_t pt, ct;
	enum sb_cost_source src;
	double cost;
	bool first;

	if (j->cs.has_usage) {
		pt = j->cs.prompt_tokens;
		ct = j->cs.completion_tokens;
		src = SB_COST_USAGE;
	} else {   /* what was sent and what came back, at 4 bytes a token */
		pt = sb_tokens_estimate(sent);
		ct = sb_tokens_estimate(j->cs.content_len);
		src = SB_COST_ESTIMATE;
	}
	cost = !isnan(j->cs.api_cost) ? j->cs.api_cost : sb_price_cost(&r->price, pt, ct);
	if (!isnan(j->cs.api_cost))
		src = SB_COST_API;
	else if (!r->price.known)
		src = SB_COST_NONE;
	/*
	 * An article's source is the weakest of its paid requests'. A 429, a 5xx or a cut
	 * stream before any usage is not paid: it neither adds cost nor makes it unknown.
	 */
	first = j->paid++ == 0;
	if (first || src == SB_COST_NONE || (src == SB_COST_ESTIMATE && j->src != SB_COST_NONE))
		j->src = src;
	j->pt += pt;
	j->ct += ct;
	j->cost = first ? cost : j->cost + cost;
	if (!isnan(cost))
		r->t->cost_usd += cost;
	r->t->prompt_tokens += pt;
	r->t->completion_tokens += ct;
	sb_bucket_take(&r->tpm, (double)(pt + ct) - j->reserved, sb_http_now_us());
	j->reserved = 0;
}

static enum sb_err handle_one(struct run *r, const struct sb_http_result *res,
			      struct sb_errbuf *err);

/*
 * A server may quote the request's headers in an error body (some proxies do): the key
 * is cut out of the excerpt, whole or cut short at its end, before any message sees it.
 */
static void redact_key(char *s, const char *key)
{
	size_t kl = key ? strlen(key) : 0, sl;
	char *p = s;

	if (kl < 5)   /* "[key]" never lengthens the text */
		return;
	while ((p = strstr(p, key)) != NULL) {
		memmove(p + 5, p + kl, strlen(p + kl) + 1);
		memcpy(p, "[key]", 5);
		p += 5;
	}
	sl = strlen(s);
	for (size_t n = kl - 1 < sl ? kl - 1 : sl; n >= 4; n--)
		if (!memcmp(s + sl - n, key, n)) {
			snprintf(s + sl - n, n + 1, "%s", "[key]");
			break;
		}
}

/* The stream's buffers (up to 3 MiB) are freed after every response. */
static enum sb_err handle(struct run *r, const struct sb_http_result *got,
			  struct sb_errbuf *err)
{
	struct sb_http_result red = *got, *res = &red;
	struct job *j = res->user;
	enum sb_err rc;

	redact_key(red.detail, r->s->api_key);
	rc = handle_one(r, res, err);

	sb_chat_stream_release(&j->cs);
	/* a request that got no answer used no tokens: its reservation goes back */
	sb_bucket_take(&r->tpm, -j->reserved, sb_http_now_us());
	j->reserved = 0;
	return rc;
}

static enum sb_err handle_one(struct run *r, const struct sb_http_result *res,
			      struct sb_errbuf *err)
{
	struct job *j = res->user;
	int64_t now = sb_http_now_us();
	char what[400];

	j->running = false;
	if (res->kind == SB_HTTP_DONE && res->status >= 200 && res->status <= 299) {
		char why[300];
		struct sb_errbuf serr;

		if (sb_chat_stream_finish(&j->cs, &serr) != SB_OK) {
			if (j->cs.has_usage)   /* the provider billed what it reported */
				charge(r, j, sent_bytes(j));
			snprintf(what, sizeof(what), "bad stream: %.300s", serr.msg);
			retry_later(r, j, now, 0, what);
			return SB_OK;
		}
		sb_breaker_result(&r->breaker, true);
		if (++r->streak >= 10 && r->limit < r->s->concurrency) {
			r->limit++;
			r->streak = 0;
		}
		charge(r, j, sent_bytes(j));
		if (!sb_answer_parse(j->cs.content ? j->cs.content : "", j->cs.content_len, &j->ans,
				     why, sizeof(why))) {
			if (j->invalid_retried) {
				fail_job(r, j, "invalid answer after a retry: %s", why);
				return SB_OK;
			}
			j->invalid_retried = true;
			r->t->invalid_retried++;
			snprintf(j->why, sizeof(j->why), "%s", why);
			free(j->bad);
			j->bad = strdup(j->cs.content ? j->cs.content : "");
			if (!j->bad)
				return sb_errf(err, SB_ENOMEM, "out of memory");
			j->not_before = now;
			return SB_OK;
		}
		j->latency_s = (double)(now - j->started) / 1e6;
		settle(r, j, DONE_OK);
		return cache_store(r, j, err);
	}
	if (res->kind == SB_HTTP_DONE && res->status == 429) {
		int64_t wait = res->retry_after_us >= 0 ? res->retry_after_us : 0;

		r->t->rate_limited++;
		r->streak = 0;
		r->limit = r->limit > 1 ? r->limit / 2 : 1;
		if (r->rpm.per_minute > 0)
			sb_bucket_set_rate(&r->rpm, r->rpm.per_minute / 2 > 1 ? r->rpm.per_minute / 2 : 1, now);
		if (now + wait > r->pause_until)
			r->pause_until = now + wait;
		snprintf(what, sizeof(what), "HTTP 429 (rate limited): %s", res->detail);
		/* a 429 is the server pacing us, not failing: the breaker does not count it */
		j->attempts++;
		if (j->attempts >= r->s->retries) {
			fail_job(r, j, "%s (after %d attempts)", what, j->attempts);
			return SB_OK;
		}
		r->t->retries++;
		j->not_before = now + wait;
		return SB_OK;
	}
	if (res->kind == SB_HTTP_DONE && (res->status >= 500 || res->status == 408)) {
		snprintf(what, sizeof(what), "HTTP %ld: %s", res->status, res->detail);
		retry_later(r, j, now, 0, what);
		return SB_OK;
	}
	if (res->kind == SB_HTTP_DONE)   /* 400, 401, 403, 404: every article would fail */
		return sb_errf(err, SB_ENET, "%s: HTTP %ld: %s%s", r->url, res->status, res->detail,
			       res->status == 401 || res->status == 403 ?
			       " (check $SENTIBT_LLM_API_KEY or $OPENAI_API_KEY)" : "");
	if (j->cs.has_usage)   /* cut after the usage arrived: billed */
		charge(r, j, sent_bytes(j));
	if (res->kind == SB_HTTP_ABORTED)
		snprintf(what, sizeof(what), "bad stream: %.300s", j->stream_err.msg);
	else
		snprintf(what, sizeof(what), "%s: %s",
			 res->kind == SB_HTTP_TIMEOUT ? "timeout" : "network error", res->detail);
	retry_later(r, j, now, 0, what);
	return SB_OK;
}

static void progress(struct run *r, bool last)
{
	int64_t now = sb_http_now_us();
	double el = (double)(now - r->t0) / 1e6, rate;
	size_t total = r->nw.n, done = r->finished;

	if (!r->s->progress || (!last && now - r->last_progress < 166000))   /* <= 6 Hz */
		return;
	r->last_progress = now;
	rate = el > 0 ? (double)(done - r->t->from_cache) / el : 0;
	fprintf(stderr, "\rscore: %zu/%zu (%zu cached, %zu errors)  %.1f/s  ETA %s%.0fs  $%.4f ",
		done, total, r->t->from_cache, r->t->errors, rate, rate > 0 ? "" : "~",
		rate > 0 ? (double)(total - done) / rate : 0.0, r->t->cost_usd);
	if (last)
		fputc('\n', stderr);
}

static bool ready(const struct job *j, int64_t now, int64_t *wake)
{
	if (j->state != PENDING || j->running || j->dup_of != SIZE_MAX)
		return false;
	if (j->not_before > now) {
		if (*wake > j->not_before - now)
			*wake = j->not_before - now;
		return false;
	}
	return true;
}

/* Starts what the limits allow, from the first unsettled article on; the wait until
 * something may change is lowered into *wake. */
static enum sb_err start_ready(struct run *r, size_t *lo, int64_t now, int64_t *wake,
			       struct sb_errbuf *err)
{
	enum sb_err rc;

	while (*lo < r->nw.n && (r->jobs[*lo].state != PENDING || r->jobs[*lo].dup_of != SIZE_MAX))
		(*lo)++;
	for (size_t i = *lo; i < r->nw.n && (int)sb_http_running(r->http) < r->limit; i++) {
		struct job *j = &r->jobs[i];
		int64_t wb;

		if (!ready(j, now, wake))
			continue;
		wb = sb_bucket_wait(&r->rpm, 1, now);
		if (wb == 0)
			wb = sb_bucket_wait(&r->tpm, estimate_tokens(r, j), now);
		if (wb > 0) {   /* in article order: a later one does not overtake */
			if (*wake > wb)
				*wake = wb;
			break;
		}
		if ((rc = start(r, j, now, err)) != SB_OK)
			return rc;
	}
	return SB_OK;
}

static enum sb_err schedule(struct run *r, size_t todo, struct sb_errbuf *err)
{
	struct sb_http_result res[16];
	size_t lo = 0, settled0 = r->finished;
	enum sb_err rc;

	while (r->finished - settled0 < todo) {
		int64_t now = sb_http_now_us(), wake = 200000;
		size_t k;

		if (r->breaker.open) {
			if (sb_http_running(r->http) == 0)
				return sb_errf(err, SB_ENET,
					       "%s: stopped after %d failed requests in a row (the circuit breaker, --breaker); last: %s",
					       r->url, r->breaker.consecutive, r->last_failure);
		} else if (now < r->pause_until) {
			wake = r->pause_until - now;
		} else if ((rc = start_ready(r, &lo, now, &wake, err)) != SB_OK) {
			return rc;
		}
		if (wake < 1000)
			wake = 1000;
		if (sb_http_running(r->http) == 0) {
			usleep((useconds_t)wake);
			continue;
		}
		k = sb_http_poll(r->http, wake, res, 16);
		for (size_t i = 0; i < k; i++)
			if ((rc = handle(r, &res[i], err)) != SB_OK)
				return rc;
		progress(r, false);
	}
	return SB_OK;
}

/* ---- outputs ---- */

static const struct job *answer_of(const struct run *r, const struct job *j)
{
	return j->dup_of != SIZE_MAX ? &r->jobs[j->dup_of] : j;
}

static struct sb_json *score_line(const struct run *r, const struct job *j)
{
	const struct sb_news_item *it = &r->nw.a[j->idx];
	const struct job *a = answer_of(r, j);
	struct sb_json *o = sb_json_new_object(), *ans = answer_json(&a->ans), *e;
	char when[SB_TIME_LEN];

	sb_format_time(it->t_us, when);
	sb_json_add_str(o, "id", it->id);
	sb_json_add_str(o, "published_at", when);
	/* the answer's members, moved over in order */
	while ((e = sb_json_detach_first(ans)) != NULL)
		sb_json_add(o, sb_json_key(e), e);
	sb_json_free(ans);
	sb_json_add_str(o, "source", it->source);
	sb_json_add_str(o, "headline", it->title);
	sb_json_add_str(o, "model", r->s->lexicon ? "lexicon" : r->s->model);
	sb_json_add_str(o, "prompt_version", r->s->lexicon ? SB_LEXICON_VERSION : SB_PROMPT_VERSION);
	add_cost(o, a);
	sb_json_add_bool(o, "cached", a->cached || j->dup_of != SIZE_MAX);
	sb_json_add_u64(o, "requests", (uint64_t)(j->dup_of != SIZE_MAX ? 0 : j->requests));
	return o;
}

static struct sb_json *error_line(const struct run *r, const struct job *j)
{
	const struct sb_news_item *it = &r->nw.a[j->idx];
	struct sb_json *o = sb_json_new_object();

	sb_json_add_str(o, "id", it->id);
	sb_json_add_u64(o, "line", it->line);
	sb_json_add_str(o, "reason", answer_of(r, j)->why);
	sb_json_add_u64(o, "requests", (uint64_t)j->requests);
	return o;
}

static enum sb_err write_lines(const struct run *r, const char *name, enum state want,
			       struct sb_json *(*line)(const struct run *, const struct job *),
			       struct sb_errbuf *err)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", r->s->out_dir, name);
	f = fopen(path, "w");
	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	for (size_t i = 0; i < r->nw.n; i++) {
		const struct job *j = &r->jobs[i];
		struct sb_json *o;
		char *text;

		if (answer_of(r, j)->state != want)
			continue;
		o = line(r, j);
		text = sb_json_print(o, false);
		sb_json_free(o);
		if (!text) {
			fclose(f);
			return sb_errf(err, SB_ENOMEM, "out of memory");
		}
		fputs(text, f);
		fputc('\n', f);
		free(text);
	}
	if ((fflush(f) != 0) | ferror(f) | (fclose(f) != 0))
		return sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return SB_OK;
}

static enum sb_err write_manifest(const struct run *r, struct sb_errbuf *err)
{
	const struct sb_score_spec *s = r->s;
	const struct sb_score_totals *t = r->t;
	struct sb_json *m = sb_json_new_object(), *a, *o;
	char path[4200], hex[SB_SHA256_HEX];
	uint64_t size = 0;
	enum sb_err rc;

	sb_json_add_str(m, "command", "score");
	sb_json_add_str(m, "version", SB_VERSION);
	a = sb_json_add_array(m, "argv");
	for (int i = 0; i < s->argc; i++)
		sb_json_add_str(a, NULL, s->argv[i]);
	o = sb_json_add_object(m, "input");
	sb_json_add_str(o, "path", s->news_path);
	if ((rc = sb_sha256_file(s->news_path, hex, &size, err)) != SB_OK) {
		sb_json_free(m);
		return rc;
	}
	sb_json_add_str(o, "sha256", hex);
	sb_json_add_u64(o, "bytes", size);
	sb_json_add_u64(o, "articles", r->nw.n);
	sb_json_add_str(m, "backend", s->lexicon ? "lexicon" : "openai");
	sb_json_add_str(m, "base_url", s->lexicon ? NULL : s->base_url);
	sb_json_add_str(m, "model", s->lexicon ? "lexicon" : s->model);
	sb_json_add_str(m, "prompt_version", s->lexicon ? SB_LEXICON_VERSION : SB_PROMPT_VERSION);
	sb_json_add_bool(m, "api_key_set", s->api_key != NULL);   /* never the key */
	o = sb_json_add_object(m, "prices");
	sb_json_add_str(o, "path", r->have_prices ? r->prices.path : NULL);
	sb_json_add_str(o, "updated", r->have_prices ? r->prices.updated : NULL);
	sb_json_add_bool(o, "model_priced", r->price.known);
	if (r->price.known) {
		sb_json_add_num(o, "input_per_1m", r->price.input_per_m);
		sb_json_add_num(o, "output_per_1m", r->price.output_per_m);
		sb_json_add_str(o, "date", r->price.date);
	}
	sb_json_add_str(m, "cache", r->cache ? sb_score_cache_path(r->cache) : NULL);
	o = sb_json_add_object(m, "totals");
	sb_json_add_u64(o, "articles", t->articles);
	sb_json_add_u64(o, "scored", t->scored);
	sb_json_add_u64(o, "from_cache", t->from_cache);
	sb_json_add_u64(o, "duplicates", t->duplicates);
	sb_json_add_u64(o, "errors", t->errors);
	sb_json_add_u64(o, "requests", t->requests);
	sb_json_add_u64(o, "retries", t->retries);
	sb_json_add_u64(o, "rate_limited", t->rate_limited);
	sb_json_add_u64(o, "invalid_answers_retried", t->invalid_retried);
	sb_json_add_u64(o, "prompt_tokens", t->prompt_tokens);
	sb_json_add_u64(o, "completion_tokens", t->completion_tokens);
	sb_json_add_num(o, "cost_usd", t->cost_usd);
	sb_json_add_num(o, "cost_usd_of_cached", t->cost_usd_cached);
	sb_json_add_u64(o, "articles_cost_estimated", t->cost_estimated);
	sb_json_add_u64(o, "articles_cost_unknown", t->cost_unpriced);
	sb_json_add_num(o, "seconds", t->seconds);
	o = sb_json_add_object(m, "outputs");
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "errors.jsonl" : "scores.jsonl";

		snprintf(path, sizeof(path), "%s/%s", s->out_dir, name);
		if ((rc = sb_sha256_file(path, hex, NULL, err)) != SB_OK) {
			sb_json_free(m);
			return rc;
		}
		sb_json_add_str(o, name, hex);
	}
	snprintf(path, sizeof(path), "%s/manifest.json", s->out_dir);
	return sb_json_write(path, m, 0, err);
}

/* ---- the run ---- */

static enum sb_err prepare(struct run *r, struct sb_errbuf *err)
{
	const struct sb_score_spec *s = r->s;
	enum sb_err rc;

	if (!s->lexicon) {
		if (snprintf(r->url, sizeof(r->url), "%s%schat/completions", s->base_url,
			     s->base_url[0] && s->base_url[strlen(s->base_url) - 1] == '/' ? "" : "/") >=
		    (int)sizeof(r->url))
			return sb_errf(err, SB_EINVAL, "--base-url too long");
		if (s->prices_path) {
			if ((rc = sb_prices_load(&r->prices, s->prices_path, err)) != SB_OK)
				return rc;
			r->have_prices = true;
			r->price = sb_prices_get(&r->prices, s->model);
		}
		if (s->cache_dir && (rc = sb_score_cache_open(&r->cache, s->cache_dir, err)) != SB_OK)
			return rc;
		if ((rc = sb_http_new(&r->http, err)) != SB_OK)
			return rc;
	}
	if ((rc = sb_news_load(&r->nw, s->news_path, &s->news, err)) != SB_OK)
		return rc;
	r->jobs = calloc(r->nw.n, sizeof(*r->jobs));
	r->t->score = malloc(r->nw.n * sizeof(double));
	r->t->latency_s = malloc(r->nw.n * sizeof(double));
	if (!r->jobs || !r->t->score || !r->t->latency_s)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	return SB_OK;
}

static int by_key(const void *a, const void *b)
{
	const struct job *x = *(const struct job *const *)a, *y = *(const struct job *const *)b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Articles whose message is the same (same key) are asked once: the first in the file. */
static enum sb_err mark_duplicates(struct run *r, struct sb_errbuf *err)
{
	struct job **v = malloc(r->nw.n * sizeof(*v));

	if (!v)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nw.n; i++)
		v[i] = &r->jobs[i];
	qsort(v, r->nw.n, sizeof(*v), by_key);
	for (size_t i = 1; i < r->nw.n; i++)
		if (!strcmp(v[i]->key, v[i - 1]->key)) {
			v[i]->dup_of = v[i - 1]->dup_of != SIZE_MAX ? v[i - 1]->dup_of : v[i - 1]->idx;
			r->t->duplicates++;
			r->finished++;   /* settled with the first (progress counts it) */
		}
	free(v);
	return SB_OK;
}

/* Builds each article's job: its message and key, the cache hit or the duplicate. */
static enum sb_err plan(struct run *r, size_t *todo, struct sb_errbuf *err)
{
	enum sb_err rc;

	*todo = 0;
	for (size_t i = 0; i < r->nw.n; i++) {
		struct job *j = &r->jobs[i];

		j->idx = i;
		j->dup_of = SIZE_MAX;
		j->cost = NAN;
		j->latency_s = NAN;
		sb_chat_stream_init(&j->cs);
		if (r->s->lexicon) {
			const struct sb_news_item *it = &r->nw.a[i];

			sb_lexicon_score(it->title, it->text, &j->ans);
			j->cost = 0;
			j->src = SB_COST_LOCAL;
			settle(r, j, DONE_OK);
			continue;
		}
		j->message = user_message(&r->nw.a[i], r->s->max_text);
		if (!j->message)
			return sb_errf(err, SB_ENOMEM, "out of memory");
		cache_key(r, j->message, j->key);
	}
	if (!r->s->lexicon && (rc = mark_duplicates(r, err)) != SB_OK)
		return rc;
	for (size_t i = 0; i < r->nw.n && !r->s->lexicon; i++) {
		struct job *j = &r->jobs[i];

		if (j->dup_of != SIZE_MAX)
			continue;
		if (cache_lookup(r, j, err, &rc)) {
			j->cached = true;
			r->t->from_cache++;
			settle(r, j, DONE_OK);
		} else if (rc) {
			return rc;
		} else {
			(*todo)++;
		}
	}
	return SB_OK;
}

static void totals(struct run *r)
{
	struct sb_score_totals *t = r->t;

	t->articles = r->nw.n;
	for (size_t i = 0; i < r->nw.n; i++) {
		const struct job *j = &r->jobs[i], *a = answer_of(r, j);

		t->score[i] = a->state == DONE_OK ? a->ans.score : NAN;
		t->latency_s[i] = j->latency_s;
		if (a->state != DONE_OK)
			continue;
		t->scored++;
		if (j->cached && !isnan(j->cost))
			t->cost_usd_cached += j->cost;
		if (j->cached || j->dup_of != SIZE_MAX || r->s->lexicon)
			continue;
		t->cost_estimated += j->src == SB_COST_ESTIMATE;
		t->cost_unpriced += j->src == SB_COST_NONE;
	}
}

static void release(struct run *r)
{
	for (size_t i = 0; r->jobs && i < r->nw.n; i++) {
		free(r->jobs[i].message);
		free(r->jobs[i].bad);
		sb_chat_stream_release(&r->jobs[i].cs);
	}
	free(r->jobs);
	sb_news_release(&r->nw);
	if (r->have_prices)
		sb_prices_release(&r->prices);
	sb_score_cache_close(r->cache);
	sb_http_free(r->http);
}

enum sb_err sb_score_run(const struct sb_score_spec *s, struct sb_score_totals *t,
			 struct sb_errbuf *err)
{
	struct run r;
	size_t todo = 0;
	enum sb_err rc;

	memset(&r, 0, sizeof(r));
	memset(t, 0, sizeof(*t));
	r.s = s;
	r.t = t;
	r.t0 = sb_http_now_us();
	r.limit = s->concurrency > 0 ? s->concurrency : 1;
	r.rng = s->seed;
	r.breaker.threshold = s->breaker;
	sb_bucket_init(&r.rpm, s->rpm, r.t0);
	sb_bucket_init(&r.tpm, s->tpm, r.t0);
	if ((rc = prepare(&r, err)) != SB_OK || (rc = plan(&r, &todo, err)) != SB_OK)
		goto out;
	if (todo && (rc = schedule(&r, todo, err)) != SB_OK)
		goto out;
	totals(&r);
	t->seconds = (double)(sb_http_now_us() - r.t0) / 1e6;
	if ((rc = write_lines(&r, "scores.jsonl", DONE_OK, score_line, err)) != SB_OK ||
	    (rc = write_lines(&r, "errors.jsonl", DONE_ERR, error_line, err)) != SB_OK ||
	    (rc = write_manifest(&r, err)) != SB_OK)
		goto out;
	progress(&r, true);
out:
	if (rc && s->progress)
		fputc('\n', stderr);
	release(&r);
	return rc;
}
