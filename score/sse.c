/* sse.c - Server-Sent Events and the chat completion stream on top (see sse.h) */
#include "sse.h"
#include "../core/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_sse_init(struct sb_sse *s)
{
	memset(s, 0, sizeof(*s));
}

void sb_sse_release(struct sb_sse *s)
{
	free(s->line);
	free(s->data);
	sb_sse_init(s);
}

/* Room for 'need' bytes and a NUL in *p (capacity *cap), doubling from 4 KiB; the
 * callers keep 'need' within SB_SSE_MAX. */
static bool ensure(char **p, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 4096;
	char *np;

	if (*p && need + 1 <= *cap)
		return true;
	while (c < need + 1)
		c *= 2;
	np = realloc(*p, c);
	if (!np)
		return false;
	*p = np;
	*cap = c;
	return true;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

/* One complete line (without its end): a field, or a blank line that dispatches. */
static enum sb_err line_done(struct sb_sse *s, sb_sse_event_fn fn, void *ctx,
			     struct sb_errbuf *err)
{
	const char *l = s->line ? s->line : "";
	size_t n = s->line_len;

	s->line_len = 0;
	if (n == 0) {
		bool ok = true;

		/* an event whose data is empty or blank carries nothing (WHATWG: not dispatched) */
		if (!s->has_data || blank(s->data, s->data_len)) {
			s->data_len = 0;
			s->has_data = false;
			return SB_OK;
		}
		s->data[s->data_len] = '\0';
		if (s->data_len == 6 && !memcmp(s->data, "[DONE]", 6))
			s->done = true;
		else
			ok = fn(ctx, s->data, s->data_len, err);
		s->data_len = 0;
		s->has_data = false;
		return ok ? SB_OK : SB_EPARSE;
	}
	if (n < 5 || memcmp(l, "data:", 5) != 0)
		return SB_OK;                 /* a comment, "event:", "id:", "retry:" */
	l += 5, n -= 5;
	if (n && *l == ' ')
		l++, n--;
	if (s->data_len + n + 1 > SB_SSE_MAX)
		return sb_errf(err, SB_EPARSE, "expected an event under %u bytes, got more",
			       SB_SSE_MAX);
	if (!ensure(&s->data, &s->data_cap, s->data_len + n + 1))
		return sb_errf(err, SB_ENOMEM, "out of memory");
	if (s->has_data)
		s->data[s->data_len++] = '\n';
	memcpy(s->data + s->data_len, l, n);
	s->data_len += n;
	s->has_data = true;
	return SB_OK;
}

enum sb_err sb_sse_feed(struct sb_sse *s, const char *buf, size_t n, sb_sse_event_fn fn,
			void *ctx, struct sb_errbuf *err)
{
	enum sb_err rc;

	for (size_t i = 0; i < n && !s->done; i++) {
		char ch = buf[i];

		if (ch == '\n' && s->after_cr) {   /* the "\n" of a "\r\n" split or not */
			s->after_cr = false;
			continue;
		}
		s->after_cr = ch == '\r';
		if (ch == '\n' || ch == '\r') {
			if ((rc = line_done(s, fn, ctx, err)) != SB_OK)
				return rc;
			continue;
		}
		if (s->line_len >= SB_SSE_MAX)
			return sb_errf(err, SB_EPARSE, "expected a line under %u bytes, got more",
				       SB_SSE_MAX);
		if (!ensure(&s->line, &s->line_cap, s->line_len + 1))
			return sb_errf(err, SB_ENOMEM, "out of memory");
		s->line[s->line_len++] = ch;
	}
	return SB_OK;
}

/* ---- the chat completion ---- */

void sb_chat_stream_init(struct sb_chat_stream *c)
{
	memset(c, 0, sizeof(*c));
	sb_sse_init(&c->sse);
	c->api_cost = NAN;
}

void sb_chat_stream_release(struct sb_chat_stream *c)
{
	sb_sse_release(&c->sse);
	free(c->content);
	free(c->plain);
	sb_chat_stream_init(c);
}

static enum sb_err append(char **buf, size_t *len, size_t *cap, const char *s, size_t n,
			  struct sb_errbuf *err)
{
	if (*len + n > SB_SSE_MAX)
		return sb_errf(err, SB_EPARSE, "expected an answer under %u bytes, got more",
			       SB_SSE_MAX);
	if (!ensure(buf, cap, *len + n))
		return sb_errf(err, SB_ENOMEM, "out of memory");
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return SB_OK;
}

static void take_usage(struct sb_chat_stream *c, const struct sb_json *u)
{
	uint64_t p, k;

	if (sb_json_u64(sb_json_get(u, "prompt_tokens"), &p) &&
	    sb_json_u64(sb_json_get(u, "completion_tokens"), &k)) {
		c->has_usage = true;
		c->prompt_tokens = p;
		c->completion_tokens = k;
		if (sb_json_number(sb_json_get(u, "cost")) >= 0)   /* OpenRouter and others */
			c->api_cost = sb_json_number(sb_json_get(u, "cost"));
	}
}

/* One chunk or a whole completion: 'delta' is "delta" (streamed) or "message". */
static enum sb_err take_object(struct sb_chat_stream *c, const struct sb_json *o,
			       const char *delta, struct sb_errbuf *err)
{
	const struct sb_json *choice = sb_json_first(sb_json_get(o, "choices"));
	const struct sb_json *e = sb_json_get(o, "error");
	const char *text = sb_json_string(sb_json_get(sb_json_get(choice, delta), "content"));
	const char *fin = sb_json_string(sb_json_get(choice, "finish_reason"));

	if (!sb_json_is_object(o))
		return sb_errf(err, SB_EPARSE, "expected a JSON object in the stream");
	if (e) {
		const char *m = sb_json_string(sb_json_get(e, "message"));

		snprintf(c->server_error, sizeof(c->server_error), "%s",
			 m ? m : sb_json_string(e) ? sb_json_string(e) : "an error object");
	}
	if (text) {
		enum sb_err rc = append(&c->content, &c->content_len, &c->content_cap, text, strlen(text), err);

		if (rc)
			return rc;
	}
	if (fin)
		snprintf(c->finish_reason, sizeof(c->finish_reason), "%s", fin);
	if (sb_json_is_object(sb_json_get(o, "usage")))
		take_usage(c, sb_json_get(o, "usage"));
	return SB_OK;
}

static bool on_event(void *ctx, const char *data, size_t len, struct sb_errbuf *err)
{
	struct sb_chat_stream *c = ctx;
	struct sb_json *o = sb_json_parse(data, len);
	enum sb_err rc;

	c->events++;
	if (!o) {
		sb_errf(err, SB_EPARSE, "expected JSON in stream event %llu, got '%.60s'",
			(unsigned long long)c->events, data);
		return false;
	}
	rc = take_object(c, o, "delta", err);
	sb_json_free(o);
	return rc == SB_OK;
}

enum sb_err sb_chat_stream_feed(struct sb_chat_stream *c, const char *buf, size_t n,
				struct sb_errbuf *err)
{
	if (c->mode == 0) {
		size_t i = 0;

		while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
			i++;
		if (i == n)
			return SB_OK;
		/* whitespace before the first byte is dropped, however the body was split */
		c->mode = buf[i] == '{' ? 2 : 1;
		buf += i;
		n -= i;
	}
	if (c->mode == 2)
		return append(&c->plain, &c->plain_len, &c->plain_cap, buf, n, err);
	return sb_sse_feed(&c->sse, buf, n, on_event, c, err);
}

enum sb_err sb_chat_stream_finish(struct sb_chat_stream *c, struct sb_errbuf *err)
{
	if (c->mode == 2) {
		struct sb_json *o = sb_json_parse(c->plain, c->plain_len);
		enum sb_err rc;

		if (!o)
			return sb_errf(err, SB_EPARSE, "expected a JSON chat completion, got '%.60s'",
				       c->plain);
		rc = take_object(c, o, "message", err);
		sb_json_free(o);
		if (rc)
			return rc;
	}
	if (c->server_error[0])
		return sb_errf(err, SB_EPARSE, "the server sent an error: %s", c->server_error);
	if (c->mode != 2 && !c->sse.done && !c->finish_reason[0])
		return sb_errf(err, SB_EPARSE,
			       "expected the stream to end with 'data: [DONE]', got the end of the body after %llu events",
			       (unsigned long long)c->events);
	return SB_OK;
}
