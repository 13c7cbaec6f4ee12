/* fuzz_events_msgpack.c - sb_events_load() on a MessagePack stream of maps (.msgpack)
 *
 * Inputs that declare more elements than they have bytes are skipped (fz_msgpack_sane
 * in fuzz.h): msgpack-c would reserve gigabytes for them before reading any.
 */
#include "fuzz.h"

static const struct sb_events_opts opts[] = {
	{ .conf_mode = SB_CONF_FIELD },
	{ .entity = "BTC", .conf_mode = SB_CONF_ABS_SCORE },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_msgpack_sane(data, size))
		return 0;
	fz_events("in.msgpack", opts, sizeof(opts) / sizeof(opts[0]), data, size);
	return 0;
}
