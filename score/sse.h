/* sse.h - an OpenAI-compatible chat completion stream, parsed as its bytes arrive
 *
 * Two levels, both fed with whatever chunks the network hands out (a chunk may end
 * anywhere: inside a field name, between "\r" and "\n", inside a UTF-8 sequence):
 *   - struct sb_sse: Server-Sent Events (the WHATWG rules that matter here): lines end
 *     with "\n", "\r\n" or "\r"; "data:" lines (one optional space after the colon)
 *     accumulate, joined by "\n", and a blank line dispatches the event; comments
 *     (":...") and other fields are ignored.  "data: [DONE]" ends the stream.
 *   - struct sb_chat_stream: the chat completion on top: each event is a JSON
 *     chunk whose choices[0].delta.content is appended to the answer; a "usage"
 *     object (sent in the last chunk with stream_options.include_usage) gives the
 *     token counts; an "error" object is the server's message.  A body that starts
 *     with '{' is a plain (non-streamed) chat.completion and is parsed whole at the end.
 * Buffers grow by doubling from 4 KiB and are capped (SB_SSE_MAX): a longer line or
 * answer is an error, not growth.
 * The input is untrusted; tests/fuzz/fuzz_sse.c feeds it random bytes and splits.
 */
#ifndef SB_SSE_H
#define SB_SSE_H

#include "../core/common.h"

#define SB_SSE_MAX (1u << 20)   /* longest line, event or answer: 1 MiB */

/* Called once per event with its data (NUL-terminated, 'len' bytes); false stops. */
typedef bool (*sb_sse_event_fn)(void *ctx, const char *data, size_t len,
				struct sb_errbuf *err);

struct sb_sse {
	char  *line, *data;
	size_t line_len, data_len, line_cap, data_cap;
	bool   has_data;       /* a data field was seen in the current event */
	bool   after_cr;       /* the last byte was '\r': a '\n' next is the same line end */
	bool   done;           /* "data: [DONE]" seen; later bytes are ignored */
};

void sb_sse_init(struct sb_sse *s);
void sb_sse_release(struct sb_sse *s);
/*
 * Feeds buf[0 .. n).  Returns SB_OK, SB_EPARSE when a line or event passes
 * SB_SSE_MAX or the callback returned false (its message in 'err'), SB_ENOMEM.
 */
enum sb_err sb_sse_feed(struct sb_sse *s, const char *buf, size_t n, sb_sse_event_fn fn,
			void *ctx, struct sb_errbuf *err);

struct sb_chat_stream {
	struct sb_sse sse;
	char    *content;           /* the answer so far, NUL-terminated */
	size_t   content_len, content_cap;
	char    *plain;             /* a non-streamed body, kept whole */
	size_t   plain_len, plain_cap;
	int      mode;              /* 0 unknown yet, 1 SSE, 2 plain JSON */
	bool     has_usage;
	uint64_t prompt_tokens, completion_tokens;
	double   api_cost;          /* usage.cost when the provider sends one, else NaN */
	char     finish_reason[32];
	char     server_error[256]; /* an "error" object's message, "" when none */
	uint64_t events;
};

void sb_chat_stream_init(struct sb_chat_stream *c);
void sb_chat_stream_release(struct sb_chat_stream *c);
/* Feeds a chunk of the body; errors as sb_sse_feed(), "expected ..." in 'err'. */
enum sb_err sb_chat_stream_feed(struct sb_chat_stream *c, const char *buf, size_t n,
				struct sb_errbuf *err);
/*
 * The body has ended: parses a plain body, and checks that a stream ended with
 * [DONE] or a finish_reason ("expected the stream to end with data: [DONE], got ...").
 */
enum sb_err sb_chat_stream_finish(struct sb_chat_stream *c, struct sb_errbuf *err);

#endif
