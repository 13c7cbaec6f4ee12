/* fuzz_ohlcv_csv.c - sb_candles_load() on whole files: header, OHLCV rows, plain or gzip
 *
 * The input is the file itself, so the header decides the kind (OHLCV column names,
 * time formats, or Tardis); a form feed starts a second file.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_candles(NULL, data, size);
	return 0;
}
