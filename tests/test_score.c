/* test_score.c - score/: the SSE parser, answer checks, token bucket, backoff, breaker,
 * prices, the cache and the news reader (the CLI and the scheduler: tests/cli/score.sh) */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../score/answer.h"
#include "../score/cache.h"
#include "../score/lexicon.h"
#include "../score/news.h"
#include "../score/prices.h"
#include "../score/ratelimit.h"
#include "../score/sse.h"
#include "testutil.h"

/* A stream as OpenAI sends it: role chunk, content in pieces, finish, usage, [DONE]. */
static const char stream[] =
	": keep-alive\n\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"{\\\"sentiment_score\\\": -0.5,\"}}]}\n\n"
	"event: x\nid: 3\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" \\\"confidence\\\": 0.75}\"}}]}\r\n\r\n"
	"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\r"
	"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":17}}\n\n"
	"data: [DONE]\n\n"
	"data: {\"ignored\": after done}\n\n";

static void check_stream(const struct sb_chat_stream *c)
{
	assert_string_equal(c->content, "{\"sentiment_score\": -0.5, \"confidence\": 0.75}");
	assert_true(c->has_usage);
	assert_int_equal(c->prompt_tokens, 120);
	assert_int_equal(c->completion_tokens, 17);
	assert_string_equal(c->finish_reason, "stop");
	assert_true(c->sse.done);
}

/* Every split into two pieces, then byte by byte: the same result. */
static void test_sse_split_anywhere(void **state)
{
	size_t n = strlen(stream);
	struct sb_errbuf err;

	(void)state;
	for (size_t cut = 0; cut <= n; cut++) {
		struct sb_chat_stream c;

		sb_chat_stream_init(&c);
		assert_int_equal(sb_chat_stream_feed(&c, stream, cut, &err), SB_OK);
		assert_int_equal(sb_chat_stream_feed(&c, stream + cut, n - cut, &err), SB_OK);
		assert_int_equal(sb_chat_stream_finish(&c, &err), SB_OK);
		check_stream(&c);
		sb_chat_stream_release(&c);
	}
	{
		struct sb_chat_stream c;

		sb_chat_stream_init(&c);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(sb_chat_stream_feed(&c, stream + i, 1, &err), SB_OK);
		assert_int_equal(sb_chat_stream_finish(&c, &err), SB_OK);
		check_stream(&c);
		sb_chat_stream_release(&c);
	}
}

struct events {
	int n;
	char data[4][64];
};

static bool collect(void *ctx, const char *data, size_t len, struct sb_errbuf *err)
{
	struct events *e = ctx;

	(void)err;
	assert_int_equal(strlen(data), len);
	snprintf(e->data[e->n++], 64, "%s", data);
	return true;
}

/* The SSE rules: multi-line data joined by \n, one space dropped, comments and other
 * fields ignored, an event without data not dispatched, "data" with no colon ignored. */
static void test_sse_rules(void **state)
{
	static const char s[] = "data:a\ndata:  b\n\n: c\nevent: e\n\ndata\n\ndata: x\r\n\ndata: [DONE]\n\ndata: y\n\n";
	struct sb_sse p;
	struct events e = { 0 };
	struct sb_errbuf err;

	(void)state;
	sb_sse_init(&p);
	assert_int_equal(sb_sse_feed(&p, s, strlen(s), collect, &e, &err), SB_OK);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.data[0], "a\n b");
	assert_string_equal(e.data[1], "x");
	assert_true(p.done);
	sb_sse_release(&p);
}

static void test_sse_errors(void **state)
{
	struct sb_chat_stream c;
	struct sb_errbuf err;
	char *big;

	(void)state;
	/* an event that is not JSON names the event */
	sb_chat_stream_init(&c);
	assert_int_equal(sb_chat_stream_feed(&c, "data: {\"choices\":[]}\n\ndata: {oops\n\n", 35, &err),
			 SB_EPARSE);
	assert_non_null(strstr(err.msg, "expected JSON in stream event 2, got '{oops'"));
	sb_chat_stream_release(&c);
	/* a body cut before [DONE] or a finish_reason */
	sb_chat_stream_init(&c);
	assert_int_equal(sb_chat_stream_feed(&c, "data: {\"choices\":[{\"delta\":{\"content\":\"{\"}}]}\n\n", 47, &err), SB_OK);
	assert_int_equal(sb_chat_stream_finish(&c, &err), SB_EPARSE);
	assert_non_null(strstr(err.msg, "expected the stream to end with 'data: [DONE]'"));
	sb_chat_stream_release(&c);
	/* an error object in the stream */
	sb_chat_stream_init(&c);
	assert_int_equal(sb_chat_stream_feed(&c, "data: {\"error\":{\"message\":\"overloaded\"}}\n\ndata: [DONE]\n\n", 57, &err), SB_OK);
	assert_int_equal(sb_chat_stream_finish(&c, &err), SB_EPARSE);
	assert_string_equal(err.msg, "the server sent an error: overloaded");
	sb_chat_stream_release(&c);
	/* a line over the cap is an error, not growth */
	big = malloc(SB_SSE_MAX + 10);
	assert_non_null(big);
	memcpy(big, "data: ", 6);
	memset(big + 6, 'x', SB_SSE_MAX + 4);
	sb_chat_stream_init(&c);
	assert_int_equal(sb_chat_stream_feed(&c, big, SB_SSE_MAX + 10, &err), SB_EPARSE);
	assert_non_null(strstr(err.msg, "expected a line under"));
	sb_chat_stream_release(&c);
	free(big);
	/* an empty body */
	sb_chat_stream_init(&c);
	assert_int_equal(sb_chat_stream_finish(&c, &err), SB_EPARSE);
	sb_chat_stream_release(&c);
}

/* A non-streamed completion (a server that ignores "stream": true). */
static void test_plain_completion(void **state)
{
	static const char body[] = "\n{\"choices\":[{\"message\":{\"content\":\"{}\"},\"finish_reason\":\"stop\"}],"
				   "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"cost\":0.25}}";
	struct sb_chat_stream c;
	struct sb_errbuf err;

	(void)state;
	sb_chat_stream_init(&c);
	assert_int_equal(sb_chat_stream_feed(&c, body, 20, &err), SB_OK);
	assert_int_equal(sb_chat_stream_feed(&c, body + 20, strlen(body) - 20, &err), SB_OK);
	assert_int_equal(sb_chat_stream_finish(&c, &err), SB_OK);
	assert_string_equal(c.content, "{}");
	assert_int_equal(c.prompt_tokens, 5);
	assert_true(c.api_cost == 0.25);
	sb_chat_stream_release(&c);
}

static void no_answer(const char *text, const char *why)
{
	struct sb_answer a;
	char got[300];

	assert_false(sb_answer_parse(text, strlen(text), &a, got, sizeof(got)));
	assert_string_equal(got, why);
}

static void test_answer(void **state)
{
	static const char fenced[] = "```json\n{\"sentiment_score\": -0, \"confidence\": 1, "
				     "\"key_entities\": [\"btc\", \"$ETH\", \"BTC\"], \"summary\": \"ok\"}\n```\n";
	struct sb_answer a;
	char why[300], sum[1000];

	(void)state;
	assert_true(sb_answer_parse(fenced, strlen(fenced), &a, why, sizeof(why)));
	assert_true(a.score == 0.0 && !signbit(a.score));
	assert_true(a.confidence == 1.0);
	assert_int_equal(a.n_entities, 2);
	assert_string_equal(a.entities[0], "BTC");
	assert_string_equal(a.entities[1], "ETH");
	assert_string_equal(a.summary, "ok");
	no_answer("Sure! Positive.", "the answer must be one JSON object, got 'Sure! Positive.'");
	no_answer("[1]", "the answer must be one JSON object, got '[1]'");
	no_answer("{\"confidence\": 0.5, \"key_entities\": []}", "sentiment_score is missing");
	no_answer("{\"sentiment_score\": \"0.5\"}", "sentiment_score must be a number");
	no_answer("{\"sentiment_score\": 1.5, \"confidence\": 0.5, \"key_entities\": []}",
		  "sentiment_score 1.5 is outside [-1, 1]");
	no_answer("{\"sentiment_score\": -1, \"confidence\": -0.01, \"key_entities\": []}",
		  "confidence -0.01 is outside [0, 1]");
	no_answer("{\"sentiment_score\": 0, \"confidence\": 0.5}", "key_entities is missing");
	no_answer("{\"sentiment_score\": 0, \"confidence\": 0.5, \"key_entities\": \"BTC\"}",
		  "key_entities must be an array of ticker symbols");
	no_answer("{\"sentiment_score\": 0, \"confidence\": 0.5, \"key_entities\": [\"Bit coin\"]}",
		  "key_entities must hold ticker symbols (1-15 letters or digits, e.g. \"BTC\"), got Bit coin");
	no_answer("{\"sentiment_score\": 0, \"confidence\": 0.5, \"key_entities\": [], \"summary\": 3}",
		  "summary must be a string");
	/* a long summary is cut at SB_SUMMARY_MAX bytes, not inside a UTF-8 sequence */
	strcpy(sum, "{\"sentiment_score\": 0, \"confidence\": 0.5, \"key_entities\": [], \"summary\": \"");
	for (int i = 0; i < 400; i++)
		strcat(sum, "\xc3\xa9");   /* é, 2 bytes */
	strcat(sum, "\"}");
	assert_true(sb_answer_parse(sum, strlen(sum), &a, why, sizeof(why)));
	assert_int_equal(strlen(a.summary), SB_SUMMARY_MAX);
}

static void test_bucket(void **state)
{
	struct sb_bucket b;

	(void)state;
	/* 120 a minute: 2 a second, holds 2 */
	sb_bucket_init(&b, 120, 0);
	assert_int_equal(sb_bucket_wait(&b, 1, 0), 0);
	sb_bucket_take(&b, 1, 0);
	sb_bucket_take(&b, 1, 0);
	assert_int_equal(sb_bucket_wait(&b, 1, 0), 500000);
	assert_int_equal(sb_bucket_wait(&b, 1, 250000), 250000);
	assert_int_equal(sb_bucket_wait(&b, 1, 500000), 0);
	/* never more than a second's worth, however long it rests */
	assert_int_equal(sb_bucket_wait(&b, 3, 100000000), 0);   /* 3 > 2: waits for full only */
	sb_bucket_take(&b, 2, 100000000);
	assert_int_equal(sb_bucket_wait(&b, 1, 100000000), 500000);
	/* a debt (usage over the reservation) delays the next ones */
	sb_bucket_take(&b, 3, 100000000);   /* level -3 */
	assert_int_equal(sb_bucket_wait(&b, 1, 100000000), 2000000);
	sb_bucket_take(&b, -10, 100000000); /* giving back caps at the size */
	assert_int_equal(sb_bucket_wait(&b, 2, 100000000), 0);
	/* halved rate */
	sb_bucket_set_rate(&b, 60, 100000000);
	sb_bucket_take(&b, 1, 100000000);
	assert_int_equal(sb_bucket_wait(&b, 1, 100000000), 1000000);
	/* 0: no limit */
	sb_bucket_init(&b, 0, 0);
	sb_bucket_take(&b, 1e9, 0);
	assert_int_equal(sb_bucket_wait(&b, 1e9, 0), 0);
}

static void test_backoff_breaker(void **state)
{
	uint64_t r1 = 7, r2 = 7, r3 = 8;
	int64_t a[6], b[6];
	bool differ = false;
	struct sb_breaker br = { 3, 0, false };

	(void)state;
	for (int i = 0; i < 6; i++) {
		int64_t d = 1000;

		for (int k = 1; k <= i && d < 8000; k++)
			d *= 2;
		if (d > 8000)
			d = 8000;
		a[i] = sb_backoff_us(i + 1, 1000, 8000, &r1);
		b[i] = sb_backoff_us(i + 1, 1000, 8000, &r2);
		assert_int_equal(a[i], b[i]);             /* seeded: the same waits */
		assert_true(a[i] >= d && a[i] < d + d / 2);   /* base 2^(n-1), capped, + [0, 50%) */
		differ |= sb_backoff_us(i + 1, 1000, 8000, &r3) != a[i];
	}
	assert_true(differ);
	sb_breaker_result(&br, false);
	sb_breaker_result(&br, false);
	sb_breaker_result(&br, true);                     /* a success resets the count */
	sb_breaker_result(&br, false);
	sb_breaker_result(&br, false);
	assert_false(br.open);
	sb_breaker_result(&br, false);
	assert_true(br.open);
}

static void test_prices(void **state)
{
	char path[PATH_MAX];
	struct sb_prices p;
	struct sb_price q;
	struct sb_errbuf err;

	(void)state;
	tu_write_text("prices.json", "{\"updated\": \"2026-11-30\", \"models\": {"
		      "\"m\": {\"input\": 0.15, \"output\": 0.6, \"date\": \"2026-11-01\"},"
		      "\"n\": {\"input\": 3, \"output\": 15}}}", false, path);
	assert_int_equal(sb_prices_load(&p, path, &err), SB_OK);
	q = sb_prices_get(&p, "m");
	assert_true(q.known);
	assert_string_equal(q.date, "2026-11-01");
	/* hand-worked: (0.15 * 1000 + 0.6 * 500) / 1e6 = 450 / 1e6 */
	assert_true(sb_price_cost(&q, 1000, 500) == 0.00045);
	q = sb_prices_get(&p, "n");
	assert_string_equal(q.date, "2026-11-30");   /* the table's date */
	assert_true(sb_price_cost(&q, 1000000, 1000000) == 18.0);
	q = sb_prices_get(&p, "unknown");
	assert_false(q.known);
	assert_true(isnan(sb_price_cost(&q, 1, 1)));
	sb_prices_release(&p);
	assert_int_equal(sb_tokens_estimate(0), 0);
	assert_int_equal(sb_tokens_estimate(5), 2);
	tu_write_text("bad.json", "{\"models\": {\"m\": {\"input\": -1, \"output\": 1}}}", false, path);
	assert_int_equal(sb_prices_load(&p, path, &err), SB_EPARSE);
	assert_non_null(strstr(err.msg, "models.m.input: expected USD per 1M tokens"));
}

static void test_cache(void **state)
{
	struct sb_score_cache *c;
	struct sb_errbuf err;
	char dir[PATH_MAX], *v;
	const char *k1 = "0000000000000000000000000000000000000000000000000000000000000001";

	(void)state;
	snprintf(dir, sizeof(dir), "%s/llmcache/sub", tu_tmpdir);
	assert_int_equal(sb_score_cache_open(&c, dir, &err), SB_OK);
	assert_int_equal(sb_score_cache_get(c, k1, &v, &err), SB_OK);
	assert_null(v);
	assert_int_equal(sb_score_cache_put(c, k1, "{\"a\":1}", &err), SB_OK);
	sb_score_cache_close(c);
	assert_int_equal(sb_score_cache_open(&c, dir, &err), SB_OK);   /* persisted */
	assert_int_equal(sb_score_cache_get(c, k1, &v, &err), SB_OK);
	assert_string_equal(v, "{\"a\":1}");
	free(v);
	sb_score_cache_close(c);
}

static void test_news(void **state)
{
	char path[PATH_MAX];
	struct sb_news nw;
	struct sb_news_opts o = { 0 };
	struct sb_errbuf err;

	(void)state;
	o.time_col = "when";
	tu_write_text("n.csv.gz", "when,Headline,body,id\n2024-03-01 00:00:00,\"Up, again\",,7\n"
		      "1709251260,,text only,8\n", true, path);
	assert_int_equal(sb_news_load(&nw, path, &o, &err), SB_OK);
	assert_int_equal(nw.n, 2);
	assert_string_equal(nw.a[0].title, "Up, again");
	assert_null(nw.a[0].text);
	assert_string_equal(nw.a[0].id, "7");
	assert_int_equal(nw.a[1].t_us, INT64_C(1709251260000000));
	assert_string_equal(nw.a[1].text, "text only");
	sb_news_release(&nw);
	tu_write_text("n.jsonl", "{\"id\": 5, \"published_at\": \"2024-03-01T00:00:00Z\", \"title\": \"t\"}\n\n"
		      "{\"id\": \"x\", \"title\": \"no time\"}\n", false, path);
	assert_int_equal(sb_news_load(&nw, path, &o, &err), SB_EPARSE);
	assert_non_null(strstr(err.msg, "n.jsonl:3: expected published_at (or date, time), got none"));
	tu_write_text("m.jsonl", "{\"id\": 5, \"published_at\": \"2024-03-01T00:00:00Z\"}\n", false, path);
	assert_int_equal(sb_news_load(&nw, path, &o, &err), SB_EPARSE);
	assert_non_null(strstr(err.msg, "m.jsonl:1: expected a title (or headline) or a text"));
	/* a quoted field over several lines is one record, named by its first line */
	tu_write_text("ml.csv", "when,title,text\n1709251200,\"one\ntwo \"\"q\"\"\",body\n"
		      "1709251260,three,\"open\n", false, path);
	assert_int_equal(sb_news_load(&nw, path, &o, &err), SB_EPARSE);
	assert_non_null(strstr(err.msg, "ml.csv:4: expected a closing quote"));
	tu_write_text("ml.csv", "when,title,text\n1709251200,\"one\ntwo \"\"q\"\"\",body\n"
		      "1709251260,three,x\n", false, path);
	assert_int_equal(sb_news_load(&nw, path, &o, &err), SB_OK);
	assert_int_equal(nw.n, 2);
	assert_string_equal(nw.a[0].title, "one\ntwo \"q\"");
	assert_int_equal(nw.a[1].line, 4);
	sb_news_release(&nw);
	/* invalid UTF-8 would reach the request and scores.jsonl: named, not copied */
	tu_write_text("u.jsonl", "{\"id\": 1, \"published_at\": 1709251200, \"title\": \"caf\u00e9 ok\"}\n"
		      "{\"id\": 2, \"published_at\": 1709251200, \"title\": \"Bitcoin \xff\xfe up\"}\n",
		      false, path);
	assert_int_equal(sb_news_load(&nw, path, &o, &err), SB_EPARSE);
	assert_non_null(strstr(err.msg, "u.jsonl:2: expected UTF-8 text in title, got the byte 0xff at offset 8"));
	tu_write_text("v.csv", "when,title\n1709251200,\xc0\xaf overlong\n", false, path);
	assert_int_equal(sb_news_load(&nw, path, &o, &err), SB_EPARSE);
	assert_non_null(strstr(err.msg, "v.csv:2: expected UTF-8 text in title, got the byte 0xc0 at offset 0"));
}

static void test_lexicon(void **state)
{
	struct sb_answer a;

	(void)state;
	sb_lexicon_score("Dogecoin surges, no crash in sight", NULL, &a);
	/* surges +1, "no crash" flipped +1: 2 words -> score 1, confidence 0.6 */
	assert_true(a.score == 1.0 && a.confidence == 0.6);
	assert_int_equal(a.n_entities, 1);
	assert_string_equal(a.entities[0], "DOGE");
	sb_lexicon_score("Bank lawsuit: Bitcoin drops", "analysts bullish", &a);
	/* "bank" is not "ban"; lawsuit -1, drops -1, bullish +1 -> -1/3, 0.9 */
	assert_true(a.score == -1.0 / 3.0 && a.confidence == 0.9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse_split_anywhere),
		cmocka_unit_test(test_sse_rules),
		cmocka_unit_test(test_sse_errors),
		cmocka_unit_test(test_plain_completion),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_backoff_breaker),
		cmocka_unit_test(test_prices),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_news),
		cmocka_unit_test(test_lexicon),
	};

	return cmocka_run_group_tests(tests, tu_tmpdir_setup, tu_tmpdir_teardown);
}
