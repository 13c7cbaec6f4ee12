/* test_fetch.c - URL building, file naming, tardis: references, backoff, the limits'
 * parsers and defaults, and sb_fetch_resolve_tardis() on a prepared cache (loopback only). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../loaders/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Days since the epoch worked out by hand: 2020-01-01 is 18262 (50 years, 12 leap days). */
#define D_2020_04_01 (18262 + 31 + 29 + 31)

static void test_url(void **state)
{
	char b[256];

	(void)state;
	assert_true(sb_fetch_tardis_url(b, sizeof(b), "https://datasets.tardis.dev/v1", "deribit",
					"trades", "BTC-PERPETUAL", D_2020_04_01));
	assert_string_equal(b, "https://datasets.tardis.dev/v1/deribit/trades/2020/04/01/BTC-PERPETUAL.csv.gz");
	/* trailing slash on the base; lower case, '/' and ':' */
	assert_true(sb_fetch_tardis_url(b, sizeof(b), "http://127.0.0.1:9/v1/", "binance",
					"incremental_book_L2", "btc/usd:x", D_2020_04_01 + 30));
	assert_string_equal(b, "http://127.0.0.1:9/v1/binance/incremental_book_L2/2020/05/01/BTC-USD-X.csv.gz");
	/* tardis-node's test: "??USDT" -> "%3F%3FUSDT"; a space -> %20 */
	assert_true(sb_fetch_tardis_url(b, sizeof(b), "B", "bitget", "trades", "??usdt a", 0));
	assert_string_equal(b, "B/bitget/trades/1970/01/01/%3F%3FUSDT%20A.csv.gz");
	/* too small: false, never a cut URL */
	assert_false(sb_fetch_tardis_url(b, 20, "https://datasets.tardis.dev/v1", "deribit",
					 "trades", "BTC-PERPETUAL", 0));
}

static void test_name(void **state)
{
	char b[256];

	(void)state;
	/* the official docs' curl example */
	assert_true(sb_fetch_tardis_name(b, sizeof(b), "deribit", "trades", "BTC-PERPETUAL",
					 18262 - 61));   /* 2019-11-01: Nov + Dec = 61 days */
	assert_string_equal(b, "deribit_trades_2019-11-01_BTC-PERPETUAL.csv.gz");
	/* each of :\/?*<>|" becomes '-', case is kept */
	assert_true(sb_fetch_tardis_name(b, sizeof(b), "x", "quotes", "a:b\\c/d?e*f<g>h|i\"j",
					 D_2020_04_01));
	assert_string_equal(b, "x_quotes_2020-04-01_a-b-c-d-e-f-g-h-i-j.csv.gz");
	assert_false(sb_fetch_tardis_name(b, 10, "deribit", "trades", "X", 0));
}

static void test_days(void **state)
{
	int64_t d = -1;
	char s[16];

	(void)state;
	assert_true(sb_fetch_parse_day("1970-01-01", &d));
	assert_int_equal(d, 0);
	assert_true(sb_fetch_parse_day("2000-03-01", &d));
	assert_int_equal(d, 10957 + 31 + 29);             /* 2000 is a leap year */
	assert_true(sb_fetch_parse_day("2020-02-29", &d));
	assert_false(sb_fetch_parse_day("2021-02-29", &d));
	assert_false(sb_fetch_parse_day("2020-13-01", &d));
	assert_false(sb_fetch_parse_day("2020-04-31", &d));
	assert_false(sb_fetch_parse_day("2020-4-01", &d));
	assert_false(sb_fetch_parse_day("2020-04-01x", &d));
	assert_false(sb_fetch_parse_day("", &d));
	sb_fetch_format_day(D_2020_04_01, s);
	assert_string_equal(s, "2020-04-01");
	sb_fetch_format_day(10957 + 365, s);              /* 2000 has 366 days */
	assert_string_equal(s, "2000-12-31");
}

static void test_ref(void **state)
{
	struct sb_tardis_ref r;
	struct sb_errbuf e;

	(void)state;
	assert_true(sb_fetch_is_tardis_ref("tardis:x"));
	assert_false(sb_fetch_is_tardis_ref("data/x.csv.gz"));
	assert_false(sb_fetch_is_tardis_ref(NULL));

	assert_int_equal(sb_fetch_parse_tardis_ref("tardis:deribit:trades:BTC-PERPETUAL:"
						   "2020-04-01..2020-04-03", &r, &e), SB_OK);
	assert_string_equal(r.exchange, "deribit");
	assert_string_equal(r.data_type, "trades");
	assert_string_equal(r.symbol, "BTC-PERPETUAL");
	assert_int_equal(r.from_day, D_2020_04_01);
	assert_int_equal(r.to_day, D_2020_04_01 + 2);
	sb_fetch_ref_release(&r);

	/* one day; a symbol holding ':' (the dates follow the last one) */
	assert_int_equal(sb_fetch_parse_tardis_ref("tardis:bitmex:quotes:XBT:USD:2020-04-01",
						   &r, &e), SB_OK);
	assert_string_equal(r.symbol, "XBT:USD");
	assert_int_equal(r.to_day - r.from_day, 1);
	sb_fetch_ref_release(&r);

	assert_int_equal(sb_fetch_parse_tardis_ref("tardis:deribit:trades:2020-04-01", &r, &e),
			 SB_EINVAL);
	assert_non_null(strstr(e.msg, "expected tardis:EXCHANGE:DATA_TYPE:SYMBOL"));
	assert_int_equal(sb_fetch_parse_tardis_ref("tardis:deribit:trades:X:2020-04-31", &r, &e),
			 SB_EINVAL);
	assert_non_null(strstr(e.msg, "got '2020-04-31'"));
	assert_int_equal(sb_fetch_parse_tardis_ref("tardis:deribit:trades:X:2020-04-02..2020-04-02",
						   &r, &e), SB_EINVAL);
	assert_non_null(strstr(e.msg, "exclusive"));
	assert_int_equal(sb_fetch_parse_tardis_ref("tardis:deribit::X:2020-04-01", &r, &e),
			 SB_EINVAL);
	assert_int_equal(sb_fetch_parse_tardis_ref("tardis:deribit:trades:X:2020-04-01..", &r, &e),
			 SB_EINVAL);
	assert_int_equal(sb_fetch_parse_tardis_ref("file:deribit:trades:X:2020-04-01", &r, &e),
			 SB_EINVAL);
	assert_null(r.exchange);
}

static void test_backoff(void **state)
{
	(void)state;
	/* base 1 s, cap 120 s: 1, 2, 4 ... then the cap */
	assert_int_equal(sb_fetch_backoff_ms(1, 1000, 120000, 1, -1, 0), 1000);
	assert_int_equal(sb_fetch_backoff_ms(2, 1000, 120000, 1, -1, 0), 2000);
	assert_int_equal(sb_fetch_backoff_ms(3, 1000, 120000, 1, -1, 0), 4000);
	assert_int_equal(sb_fetch_backoff_ms(7, 1000, 120000, 1, -1, 0), 64000);
	assert_int_equal(sb_fetch_backoff_ms(8, 1000, 120000, 1, -1, 0), 120000);
	assert_int_equal(sb_fetch_backoff_ms(1000, 1000, 120000, 1, -1, 0), 120000);
	/* a 500 waits twice as long */
	assert_int_equal(sb_fetch_backoff_ms(2, 1000, 120000, 2, -1, 0), 4000);
	/* jitter adds up to half: 0.5 -> +25% */
	assert_int_equal(sb_fetch_backoff_ms(1, 1000, 120000, 1, -1, 0.5), 1250);
	assert_int_equal(sb_fetch_backoff_ms(8, 1000, 120000, 1, -1, 0.5), 150000);
	/* Retry-After is a floor, and at most one hour */
	assert_int_equal(sb_fetch_backoff_ms(1, 1000, 120000, 1, 5000, 0), 5000);
	assert_int_equal(sb_fetch_backoff_ms(3, 1000, 120000, 1, 1000, 0), 4000);
	assert_int_equal(sb_fetch_backoff_ms(1, 1000, 120000, 1, 36000000, 0), 3600000);
	assert_int_equal(sb_fetch_backoff_ms(3, 0, 120000, 1, -1, 0.9), 0);
}

static void test_limits(void **state)
{
	uint64_t b = 7;
	int64_t ms = -1;

	(void)state;
	assert_true(sb_fetch_parse_bytes("0", &b));
	assert_int_equal(b, 0);
	assert_true(sb_fetch_parse_bytes("1024", &b));
	assert_int_equal(b, 1024);
	assert_true(sb_fetch_parse_bytes("1K", &b));
	assert_int_equal(b, 1024);
	assert_true(sb_fetch_parse_bytes("100k", &b));
	assert_int_equal(b, 102400);
	assert_true(sb_fetch_parse_bytes("32G", &b));
	assert_int_equal(b, UINT64_C(32) << 30);
	assert_true(sb_fetch_parse_bytes("5MiB", &b));
	assert_int_equal(b, UINT64_C(5) << 20);
	assert_true(sb_fetch_parse_bytes("1024T", &b));          /* the largest: 1 PiB */
	assert_int_equal(b, SB_FETCH_BYTES_MAX);
	assert_false(sb_fetch_parse_bytes("1025T", &b));
	assert_false(sb_fetch_parse_bytes("99999999999999999999999", &b));
	assert_false(sb_fetch_parse_bytes("1.5G", &b));
	assert_false(sb_fetch_parse_bytes("-1", &b));
	assert_false(sb_fetch_parse_bytes("1KB", &b));
	assert_false(sb_fetch_parse_bytes("K", &b));
	assert_false(sb_fetch_parse_bytes("", &b));

	assert_true(sb_fetch_parse_ms("90", &ms));               /* bare digits: seconds */
	assert_int_equal(ms, 90000);
	assert_true(sb_fetch_parse_ms("250ms", &ms));
	assert_int_equal(ms, 250);
	assert_true(sb_fetch_parse_ms("6h", &ms));
	assert_int_equal(ms, 6 * 3600 * 1000);
	assert_true(sb_fetch_parse_ms("30d", &ms));
	assert_int_equal(ms, SB_FETCH_DURATION_MAX);
	assert_true(sb_fetch_parse_ms("0", &ms));
	assert_int_equal(ms, 0);
	assert_false(sb_fetch_parse_ms("31d", &ms));
	assert_false(sb_fetch_parse_ms("500us", &ms));           /* under 1 ms */
	assert_false(sb_fetch_parse_ms("-5", &ms));
	assert_false(sb_fetch_parse_ms("5x", &ms));
	assert_false(sb_fetch_parse_ms("", &ms));
}

static void test_opts(void **state)
{
	struct sb_fetch_opts o;

	(void)state;
	unsetenv("SENTIBT_TARDIS_BASE_URL");
	unsetenv("SENTIBT_RETRY_BASE_MS");
	unsetenv("SENTIBT_FETCH_MAX_BYTES");
	unsetenv("SENTIBT_FETCH_DEADLINE");
	unsetenv("SENTIBT_FETCH_MIN_RATE");
	unsetenv("SENTIBT_FETCH_RATE_WINDOW");
	sb_fetch_opts_init(&o);
	assert_string_equal(o.cache_dir, "data/cache/tardis");
	assert_string_equal(o.base_url, "https://datasets.tardis.dev/v1");
	assert_string_equal(o.api_key_env, "TARDIS_API_KEY");
	assert_int_equal(o.jobs, 8);
	assert_int_equal(o.retry_base_ms, 1000);
	assert_int_equal(o.idle_timeout_s, 120);
	assert_int_equal(o.max_bytes, UINT64_C(32) << 30);
	assert_int_equal(o.deadline_ms, 6 * 3600 * 1000);
	assert_int_equal(o.min_rate, 1024);
	assert_int_equal(o.rate_window_ms, 60000);
	setenv("SENTIBT_TARDIS_BASE_URL", "http://127.0.0.1:1/v1", 1);
	setenv("SENTIBT_RETRY_BASE_MS", "5", 1);
	setenv("SENTIBT_FETCH_MAX_BYTES", "1M", 1);
	setenv("SENTIBT_FETCH_DEADLINE", "1500ms", 1);
	setenv("SENTIBT_FETCH_MIN_RATE", "0", 1);
	setenv("SENTIBT_FETCH_RATE_WINDOW", "2", 1);
	sb_fetch_opts_init(&o);
	assert_string_equal(o.base_url, "http://127.0.0.1:1/v1");
	assert_int_equal(o.retry_base_ms, 5);
	assert_int_equal(o.max_bytes, 1 << 20);
	assert_int_equal(o.deadline_ms, 1500);
	assert_int_equal(o.min_rate, 0);
	assert_int_equal(o.rate_window_ms, 2000);
	/* nonsense, or a cap, deadline or window of nothing: the defaults stay */
	setenv("SENTIBT_FETCH_MAX_BYTES", "0", 1);
	setenv("SENTIBT_FETCH_DEADLINE", "soon", 1);
	setenv("SENTIBT_FETCH_MIN_RATE", "fast", 1);
	setenv("SENTIBT_FETCH_RATE_WINDOW", "0", 1);
	sb_fetch_opts_init(&o);
	assert_int_equal(o.max_bytes, UINT64_C(32) << 30);
	assert_int_equal(o.deadline_ms, 6 * 3600 * 1000);
	assert_int_equal(o.min_rate, 1024);
	assert_int_equal(o.rate_window_ms, 60000);
	unsetenv("SENTIBT_TARDIS_BASE_URL");
	unsetenv("SENTIBT_RETRY_BASE_MS");
	unsetenv("SENTIBT_FETCH_MAX_BYTES");
	unsetenv("SENTIBT_FETCH_DEADLINE");
	unsetenv("SENTIBT_FETCH_MIN_RATE");
	unsetenv("SENTIBT_FETCH_RATE_WINDOW");
}

/* The smallest valid gzip file: an empty member (header, empty block, CRC 0, size 0). */
static const unsigned char empty_gz[20] = {
	0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

static void put_file(const char *path)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(empty_gz, 1, sizeof(empty_gz), f), sizeof(empty_gz));
	assert_int_equal(fclose(f), 0);
}

static void test_resolve(void **state)
{
	char dir[] = "/tmp/sentibt-test-fetch-XXXXXX", p[512];
	struct sb_fetch_opts o;
	struct sb_errbuf e;
	char **paths = NULL;
	size_t n = 99;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sb_fetch_opts_init(&o);
	o.cache_dir = dir;
	o.base_url = "http://127.0.0.1:1/v1";   /* nothing listens: any request fails */
	o.retries = 2;
	o.retry_base_ms = 1;
	o.quiet = true;
	snprintf(p, sizeof(p), "%s/deribit_trades_2020-04-01_BTC-PERPETUAL.csv.gz", dir);
	put_file(p);
	snprintf(p, sizeof(p), "%s/deribit_trades_2020-04-02_BTC-PERPETUAL.csv.gz", dir);
	put_file(p);

	/* both days cached: no request, the paths in day order */
	assert_int_equal(sb_fetch_resolve_tardis("tardis:deribit:trades:BTC-PERPETUAL:"
						 "2020-04-01..2020-04-03", &o, &paths, &n, &e), SB_OK);
	assert_int_equal(n, 2);
	snprintf(p, sizeof(p), "%s/deribit_trades_2020-04-01_BTC-PERPETUAL.csv.gz", dir);
	assert_string_equal(paths[0], p);
	snprintf(p, sizeof(p), "%s/deribit_trades_2020-04-02_BTC-PERPETUAL.csv.gz", dir);
	assert_string_equal(paths[1], p);
	free(paths[0]);
	free(paths[1]);
	free(paths);

	/* a missing day must be fetched: the connection is refused, retried, then fails */
	assert_int_equal(sb_fetch_resolve_tardis("tardis:deribit:trades:BTC-PERPETUAL:2020-04-03",
						 &o, &paths, &n, &e), SB_ENET);
	assert_null(paths);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "deribit trades BTC-PERPETUAL 2020-04-03"));
	assert_non_null(strstr(e.msg, "gave up after 2 attempts"));
	snprintf(p, sizeof(p), "%s/deribit_trades_2020-04-03_BTC-PERPETUAL.csv.gz", dir);
	assert_int_equal(access(p, F_OK), -1);

	/* a bad reference */
	assert_int_equal(sb_fetch_resolve_tardis("tardis:deribit:trades", &o, &paths, &n, &e),
			 SB_EINVAL);
	assert_null(paths);

	snprintf(p, sizeof(p), "%s/deribit_trades_2020-04-01_BTC-PERPETUAL.csv.gz", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/deribit_trades_2020-04-02_BTC-PERPETUAL.csv.gz", dir);
	unlink(p);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
