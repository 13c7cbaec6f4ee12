/* fuzz_sse.c - the chat completion stream (score/sse.c): untrusted bytes from a server
 *
 * The first byte of the input chooses where the rest is cut into pieces; the body is
 * fed piece by piece, then once whole.  What is checked: both feedings agree (the
 * parser does not depend on where the network splits the body), a failure says why,
 * and the answer never passes its cap.
 */
#include "fuzz.h"

#include <string.h>

#include "../../score/answer.h"
#include "../../score/sse.h"

static enum sb_err feed(const uint8_t *data, size_t size, size_t step, struct sb_chat_stream *c,
			struct sb_errbuf *err)
{
	enum sb_err rc = SB_OK;

	sb_chat_stream_init(c);
	for (size_t i = 0; i < size && rc == SB_OK; i += step)
		rc = sb_chat_stream_feed(c, (const char *)data + i, size - i < step ? size - i : step, err);
	if (rc == SB_OK)
		rc = sb_chat_stream_finish(c, err);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_chat_stream a, b;
	struct sb_errbuf ea = { { 0 } }, eb = { { 0 } };
	enum sb_err ra, rb;
	size_t step;

	if (size == 0)
		return 0;
	step = 1 + data[0] % 17;
	ra = feed(data + 1, size - 1, step, &a, &ea);
	rb = feed(data + 1, size - 1, size, &b, &eb);
	FZ_CHECK(ra == rb);
	FZ_CHECK_ERR(ra, ea);
	if (ra == SB_OK) {
		struct sb_answer ans;
		char why[300];

		FZ_CHECK(a.content_len == b.content_len && a.content_len <= SB_SSE_MAX);
		FZ_CHECK(a.content_len == 0 || !memcmp(a.content, b.content, a.content_len));
		FZ_CHECK(a.has_usage == b.has_usage && a.prompt_tokens == b.prompt_tokens);
		if (a.content && sb_answer_parse(a.content, a.content_len, &ans, why, sizeof(why)))
			FZ_CHECK(ans.score >= -1 && ans.score <= 1 && ans.confidence >= 0 &&
				 ans.confidence <= 1 && ans.n_entities <= SB_MAX_ENTITIES);
	}
	sb_chat_stream_release(&a);
	sb_chat_stream_release(&b);
	return 0;
}
