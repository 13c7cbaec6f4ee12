/* fuzz_fetch.c - the downloader's parsers of what a server or a user sends:
 * Retry-After values (sb_fetch_parse_retry_after), tardis: references and days, and
 * the URL and file name made from a parsed reference
 *
 * The validators sidecar (.meta JSON) and the response header callback are private
 * to fetch.c (load_meta, meta_get, on_header), so they are not reached from here.
 */
#include "fuzz.h"

#include <string.h>

#include "../../loaders/fetch.h"

/* 2023-11-14T22:13:20Z: a fixed "now", so that a run can be replayed. */
#define NOW_S INT64_C(1700000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = fz_str(data, size);
	struct sb_errbuf err = { { 0 } };
	struct sb_tardis_ref r;
	int64_t ms, day;
	enum sb_err rc;

	if (sb_fetch_parse_retry_after(s, NOW_S, &ms))
		FZ_CHECK(ms >= 0);

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
