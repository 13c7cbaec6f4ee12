/* fuzz_events_jsonl.c - sb_events_load() on a JSON Lines file (.jsonl, plain or gzip) */
#include "fuzz.h"

/* Once as the CLI's default reads it, once with the entity filter and |score|. */
static const struct sb_events_opts opts[] = {
	{ .conf_mode = SB_CONF_FIELD },
	{ .entity = "BTC", .conf_mode = SB_CONF_ABS_SCORE },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_events("in.jsonl", opts, sizeof(opts) / sizeof(opts[0]), data, size);
	return 0;
}
