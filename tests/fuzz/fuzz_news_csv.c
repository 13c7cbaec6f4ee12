/* fuzz_news_csv.c - sb_events_load() on a news CSV (.csv, plain or gzip)
 *
 * With the default column mapping: once with a confidence column required, once
 * with a constant confidence and the entity filter (as for the scored Bitcoin news).
 */
#include "fuzz.h"

static const struct sb_events_opts opts[] = {
	{ .conf_mode = SB_CONF_FIELD },
	{ .entity = "BTC", .conf_mode = SB_CONF_CONST, .conf_const = 0.8 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_events("in.csv", opts, sizeof(opts) / sizeof(opts[0]), data, size);
	return 0;
}
