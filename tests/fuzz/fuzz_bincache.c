/* fuzz_bincache.c - the binary cache's readers on a forged entry
 *
 * The input is written as the entry of key "fuzz" and read back as candles (for one
 * and for two input files) and as articles.  bincache.h promises that a damaged or
 * foreign entry is a miss, never a crash, and that a hit is what a loader returns:
 * so a hit must pass the loaders' checks.  Inputs that declare more elements than
 * they have bytes are skipped (fz_msgpack_sane in fuzz.h).  The input is the
 * document: its CRC-32 trailer is added here, so that the readers behind the CRC check
 * see every input (a wrong CRC is a miss, tested in test_bincache.c).
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include "../../loaders/bincache.h"
#include "../../loaders/gz.h"

#include <stdlib.h>

#define KEY "fuzz"

static void check_info(const struct sb_input_info *info)
{
	FZ_CHECK(memchr(info->path, '\0', sizeof(info->path)) &&
		 memchr(info->kind, '\0', sizeof(info->kind)) &&
		 memchr(info->dropped_why, '\0', sizeof(info->dropped_why)));
}

static void candles(const char *dir, size_t ninfo)
{
	struct sb_input_info info[2];
	struct sb_candles c;

	sb_candles_init(&c);
	if (!sb_cache_load_candles(dir, KEY, &c, info, ninfo)) {
		FZ_CHECK(c.n == 0 && !c.open && !c.trades);
		return;
	}
	FZ_CHECK(c.n > 0 && c.interval_us > 0 && c.interval_us <= SB_US_PER_DAY);
	FZ_CHECK(sb_floordiv(c.t0_us, c.interval_us) * c.interval_us == c.t0_us);
	FZ_CHECK(c.t0_us >= SB_TIME_MIN_US && c.t0_us < SB_TIME_MAX_US &&
		 (uint64_t)c.n <= (uint64_t)(SB_TIME_MAX_US - c.t0_us) / (uint64_t)c.interval_us);
	for (size_t i = 0; i < c.n; i++) {
		FZ_CHECK(c.low[i] > 0 && c.high[i] < HUGE_VAL && c.volume[i] >= 0 &&
			 c.volume[i] < HUGE_VAL);
		FZ_CHECK(c.low[i] <= c.open[i] && c.open[i] <= c.high[i] &&
			 c.low[i] <= c.close[i] && c.close[i] <= c.high[i]);
	}
	for (size_t k = 0; k < ninfo; k++)
		check_info(&info[k]);
	sb_candles_release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_input_info info;
	struct sb_events ev;
	const char *dir = fz_dir();

	uint8_t *sealed;
	uint32_t crc;

	if (!fz_msgpack_sane(data, size) || !(sealed = malloc(size + 4)))
		return 0;
	crc = sb_crc32(data, size);
	memcpy(sealed, data, size);
	for (int k = 0; k < 4; k++)
		sealed[size + k] = (uint8_t)(crc >> (8 * k));
	fz_file(KEY ".mpk", NULL, 0, sealed, size + 4);
	free(sealed);
	candles(dir, 1);
	candles(dir, 2);
	sb_events_init(&ev);
	if (sb_cache_load_events(dir, KEY, &ev, &info)) {
		fz_check_events(&ev, NULL, NULL);
		check_info(&info);
	} else {
		FZ_CHECK(ev.n == 0 && !ev.t_us);
	}
	sb_events_release(&ev);
	return 0;
}
