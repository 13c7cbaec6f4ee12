/* fuzz_fetch.c - the downloader's parsers of what a server or a user sends:
 * tardis: references and days, and the URL and file name made from a parsed reference.
 * HTTP headers (status, Retry-After, ETag) are read through libcurl's own getters, so
 * there is no header parser of sentibt's left to fuzz here; the validators sidecar
 * (.meta JSON) is read through core/json.
 */
#include "fuzz.h"

#include <string.h>

#include "../../loaders/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = fz_str(data, size);
	struct sb_errbuf err = { { 0 } };
	struct sb_tardis_ref r;
	int64_t day;
	enum sb_err rc;

	if (sb_fetch_parse_day(s, &day)) {
		char back[16];

		sb_fetch_format_day(day, back);
		FZ_CHECK(!strcmp(back, s));
	}

	rc = sb_fetch_parse_tardis_ref(s, &r, &err);
	FZ_CHECK_ERR(rc, err);
	if (rc == SB_OK) {
		char url[512], name[512];

		FZ_CHECK(r.exchange && r.data_type && r.symbol && r.from_day < r.to_day);
		FZ_CHECK(*r.exchange && *r.data_type && !strchr(r.exchange, '/') &&
			 !strchr(r.data_type, '/'));
		if (sb_fetch_tardis_url(url, sizeof(url), "https://example.invalid/v1", r.exchange,
					r.data_type, r.symbol, r.from_day))
			FZ_CHECK(strlen(url) < sizeof(url));
		if (sb_fetch_tardis_name(name, sizeof(name), r.exchange, r.data_type, r.symbol,
					 r.to_day - 1))
			/* "{exchange}_{data_type}_YYYY-MM-DD_" then the symbol, made safe */
			FZ_CHECK(!strpbrk(name + strlen(r.exchange) + strlen(r.data_type) + 13,
					  "/\\:?*<>|\""));
		sb_fetch_ref_release(&r);
	} else {
		FZ_CHECK(!r.exchange && !r.data_type && !r.symbol);
	}
	return 0;
}
