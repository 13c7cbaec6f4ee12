/* fuzz_tardis_csv.c - sb_candles_load() on Tardis trades rows
 *
 * The Tardis header is put in front so that every run reaches the row parser (the
 * ohlcv_csv target fuzzes headers); a form feed in the input starts a second file,
 * for the ordering, overlap and one-symbol checks across files.
 */
#include "fuzz.h"

static const char header[] = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_candles(header, data, size);
	return 0;
}
