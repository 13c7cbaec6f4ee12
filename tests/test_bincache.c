/* test_bincache.c - SHA-256 of files, cache keys, and cache entries stored and loaded */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "../loaders/bincache.h"
#include "../loaders/gz.h"
#include "../loaders/sample_gen.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIN (60 * SB_US_PER_SEC)

static void path_of(const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", tu_tmpdir, name);
}

/* Number of entries in 'dir' whose name contains 'part' ("" = all). */
static int count_in(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strstr(e->d_name, part))
			n++;
	}
	closedir(d);
	return n;
}

/* ---- SHA-256 of known contents (FIPS 180-2 examples) ---- */

static void sha_is(const char *name, const void *data, size_t n, const char *want)
{
	char p[PATH_MAX], hex[SB_SHA256_HEX];
	uint64_t size = 12345;
	struct sb_errbuf err = { "" };

	tu_write_bytes(name, data, n, false, p);
	if (sb_sha256_file(p, hex, &size, &err))
		fail_msg("sb_sha256_file: %s", err.msg);
	assert_string_equal(hex, want);
	assert_int_equal(size, n);
	/* *size may be NULL */
	assert_int_equal(sb_sha256_file(p, hex, NULL, &err), SB_OK);
	assert_string_equal(hex, want);
}

static void test_sha256_known(void **state)
{
	static const char two_blocks[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = malloc(1000000);
	char p[PATH_MAX], hex[SB_SHA256_HEX];
	struct sb_errbuf err = { "" };

	(void)state;
	sha_is("abc.bin", "abc", 3,
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha_is("empty.bin", "", 0,
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha_is("two-blocks.bin", two_blocks, strlen(two_blocks),
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	sha_is("million-a.bin", million, 1000000,
	       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);

	path_of("no-such-file", p);
	assert_int_equal(sb_sha256_file(p, hex, NULL, &err), SB_EIO);
	assert_non_null(strstr(err.msg, p));
}

/* ---- keys ---- */

static const char trades_a[] =
	"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
	"bitmex,XBTUSD,1704067210000000,1704067210100000,a1,buy,100,1\n";
static const char trades_b[] =
	"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
	"bitmex,XBTUSD,1704153610000000,1704153610100000,b1,sell,101,2\n";

static void key_candles(const char *p1, const char *p2, int64_t interval, char key[SB_SHA256_HEX])
{
	const char *paths[2] = { p1, p2 };
	struct sb_errbuf err = { "" };

	if (sb_cache_key_candles(NULL, paths, p2 ? 2 : 1, interval, key, NULL, &err))
		fail_msg("sb_cache_key_candles: %s", err.msg);
	assert_int_equal(strlen(key), 64);
}

static void test_key_candles(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], a2[PATH_MAX], acopy[PATH_MAX], missing[PATH_MAX];
	char k[SB_SHA256_HEX], k2[SB_SHA256_HEX], dig[2][SB_SHA256_HEX], hex[SB_SHA256_HEX];
	char modified[sizeof(trades_a)];
	const char *paths[2];
	struct sb_errbuf err = { "" };
	struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	(void)state;
	tu_write_text("key-a.csv", trades_a, false, a);
	tu_write_text("key-b.csv", trades_b, false, b);
	key_candles(a, b, MIN, k);

	/* same content, same options: same key; digests[] get each file's SHA-256 */
	paths[0] = a;
	paths[1] = b;
	assert_int_equal(sb_cache_key_candles(NULL, paths, 2, MIN, k2, dig, &err), SB_OK);
	assert_string_equal(k, k2);
	assert_int_equal(sb_sha256_file(a, hex, NULL, &err), SB_OK);
	assert_string_equal(dig[0], hex);
	assert_int_equal(sb_sha256_file(b, hex, NULL, &err), SB_OK);
	assert_string_equal(dig[1], hex);

	/* a copy under another name, in another folder, with another mtime: same key */
	assert_int_equal(mkdir(strcat(strcpy(acopy, tu_tmpdir), "/elsewhere"), 0777), 0);
	strcat(acopy, "/renamed.csv.gz");
	{
		FILE *f = fopen(acopy, "wb");

		assert_non_null(f);
		fputs(trades_a, f);
		assert_int_equal(fclose(f), 0);
	}
	key_candles(acopy, b, MIN, k2);
	assert_string_equal(k, k2);
	assert_int_equal(utimes(a, tv), 0);
	key_candles(a, b, MIN, k2);
	assert_string_equal(k, k2);

	/* one byte of one file changed: another key */
	memcpy(modified, trades_a, sizeof(trades_a));
	modified[strlen(modified) - 2] = '2';       /* amount 1 -> 2 */
	tu_write_text("key-a2.csv", modified, false, a2);
	key_candles(a2, b, MIN, k2);
	assert_string_not_equal(k, k2);

	/* another interval, another order, fewer files: other keys */
	key_candles(a, b, 5 * MIN, k2);
	assert_string_not_equal(k, k2);
	key_candles(b, a, MIN, k2);
	assert_string_not_equal(k, k2);
	key_candles(a, NULL, MIN, k2);
	assert_string_not_equal(k, k2);

	/* a missing file is an error naming it */
	path_of("no-such.csv", missing);
	paths[1] = missing;
	assert_int_equal(sb_cache_key_candles(NULL, paths, 2, MIN, k2, NULL, &err), SB_EIO);
	assert_non_null(strstr(err.msg, missing));
}

static void key_events(const char *path, const struct sb_events_opts *o, char key[SB_SHA256_HEX])
{
	struct sb_errbuf err = { "" };

	if (sb_cache_key_events(NULL, path, o, key, NULL, &err))
		fail_msg("sb_cache_key_events: %s", err.msg);
	assert_int_equal(strlen(key), 64);
}

static void test_key_events(void **state)
{
	static const char news[] =
		"{\"id\":\"a\",\"published_at\":\"2024-03-01T00:00:00Z\",\"sentiment_score\":0.5,"
		"\"confidence\":0.9,\"symbols\":[\"BTC\"]}\n";
	struct sb_events_opts base = { NULL, SB_CONF_FIELD, 0, NULL, NULL, NULL }, o;
	char p[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX];
	char k[SB_SHA256_HEX], k2[SB_SHA256_HEX], dig[SB_SHA256_HEX], hex[SB_SHA256_HEX];
	char changed[sizeof(news)];
	struct sb_errbuf err = { "" };
	struct timeval tv[2] = { { 1100000000, 0 }, { 1100000000, 0 } };

	(void)state;
	tu_write_text("news.jsonl", news, false, p);
	key_events(p, &base, k);
	assert_int_equal(sb_cache_key_events(NULL, p, &base, k2, dig, &err), SB_OK);
	assert_string_equal(k, k2);
	assert_int_equal(sb_sha256_file(p, hex, NULL, &err), SB_OK);
	assert_string_equal(dig, hex);

	/* renamed copy, touched file: same key */
	tu_write_text("copy-of-news.jsonl", news, false, p2);
	key_events(p2, &base, k2);
	assert_string_equal(k, k2);
	assert_int_equal(utimes(p, tv), 0);
	key_events(p, &base, k2);
	assert_string_equal(k, k2);

	/* one byte changed (0.5 -> 0.6) */
	memcpy(changed, news, sizeof(news));
	strstr(changed, "0.5")[2] = '6';
	assert_non_null(strstr(changed, "0.6"));
	tu_write_text("news-changed.jsonl", changed, false, p3);
	key_events(p3, &base, k2);
	assert_string_not_equal(k, k2);

	/* the entity and the confidence mode are part of the key */
	o = base;
	o.entity = "BTC";
	key_events(p, &o, k2);
	assert_string_not_equal(k, k2);
	o.entity = "ETH";
	{
		char k3[SB_SHA256_HEX];

		key_events(p, &o, k3);
		assert_string_not_equal(k2, k3);
	}
	o = base;
	o.conf_mode = SB_CONF_ABS_SCORE;
	key_events(p, &o, k2);
	assert_string_not_equal(k, k2);
	o.conf_mode = SB_CONF_CONST;
	o.conf_const = 0.5;
	key_events(p, &o, k2);
	o.conf_const = 0.75;
	{
		char k3[SB_SHA256_HEX];

		key_events(p, &o, k3);
		assert_string_not_equal(k2, k3);
	}
	o = base;
	o.time_col = "date";
	key_events(p, &o, k2);
	assert_string_not_equal(k, k2);

	/* an events key never equals the candle key of the same file */
	key_candles(p, NULL, MIN, k2);
	assert_string_not_equal(k, k2);
}

/* ---- entries ---- */

/* Five candles with values a loader could not make up, including -0.0, a subnormal
 * and a value whose last bit matters. */
static void make_candles(struct sb_candles *c)
{
	/* valid candles (the cache checks them) with awkward doubles: the smallest
	 * subnormal, 0.1 + 0.2, 1e300 */
	static const double vals[5] = { 8000.5, 7.25, 4.9406564584124654e-324, 0.1 + 0.2, 1e300 };

	sb_candles_init(c);
	assert_int_equal(sb_candles_alloc(c, 5, NULL), SB_OK);
	c->t0_us = INT64_C(1709251200) * SB_US_PER_SEC;
	c->interval_us = MIN;
	for (size_t i = 0; i < 5; i++) {
		c->open[i] = vals[i];
		c->high[i] = 1e300;
		c->low[i] = 4.9406564584124654e-324;
		c->close[i] = vals[(i + 3) % 5];
		c->volume[i] = (double)i * 1.25;
		c->buy_volume[i] = (double)i / 3;
		c->sell_volume[i] = -(double)i / 7;
		c->trades[i] = UINT64_C(1) << (60 - i);
	}
}

static void make_info(struct sb_input_info *info, int k)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->path, sizeof(info->path), "/data/day-%d.csv.gz", k);
	snprintf(info->kind, sizeof(info->kind), "%s", k ? "tardis-trades" : "ohlcv");
	info->rows = UINT64_C(156602) + (uint64_t)k;
	info->rows_used = UINT64_C(156600);
	info->rows_dropped = 2;
	info->duplicates = 7;
	info->rounded = UINT64_C(3) + (uint64_t)k;
	snprintf(info->dropped_why, sizeof(info->dropped_why), "2 outside candle range");
	info->t_first_us = INT64_C(-5) - k;          /* negative: before 1970 */
	info->t_last_us = INT64_C(1709337599999999);
	info->filled_candles = UINT64_C(4321) + (uint64_t)k;
	info->longest_gap_us = INT64_C(259200000000) - k;   /* the gap limit needs it back */
}

static void same_info(const struct sb_input_info *got, const struct sb_input_info *want)
{
	assert_string_equal(got->path, want->path);
	assert_string_equal(got->kind, want->kind);
	assert_int_equal(got->rows, want->rows);
	assert_int_equal(got->rows_used, want->rows_used);
	assert_int_equal(got->rows_dropped, want->rows_dropped);
	assert_int_equal(got->duplicates, want->duplicates);
	assert_int_equal(got->rounded, want->rounded);
	assert_string_equal(got->dropped_why, want->dropped_why);
	assert_true(got->t_first_us == want->t_first_us);
	assert_true(got->t_last_us == want->t_last_us);
	assert_int_equal(got->filled_candles, want->filled_candles);
	assert_true(got->longest_gap_us == want->longest_gap_us);
}

static void same_candles(const struct sb_candles *got, const struct sb_candles *want)
{
	size_t b = want->n * sizeof(double);

	assert_int_equal(got->n, want->n);
	assert_true(got->t0_us == want->t0_us);
	assert_true(got->interval_us == want->interval_us);
	assert_memory_equal(got->open, want->open, b);
	assert_memory_equal(got->high, want->high, b);
	assert_memory_equal(got->low, want->low, b);
	assert_memory_equal(got->close, want->close, b);
	assert_memory_equal(got->volume, want->volume, b);
	assert_memory_equal(got->buy_volume, want->buy_volume, b);
	assert_memory_equal(got->sell_volume, want->sell_volume, b);
	assert_memory_equal(got->trades, want->trades, want->n * sizeof(uint64_t));
	assert_int_equal((uintptr_t)got->open % 64, 0);
	assert_int_equal((uintptr_t)got->trades % 64, 0);
}

static const char KEY1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char KEY2[] = "2222222222222222222222222222222222222222222222222222222222222222";

static void test_candles_roundtrip(void **state)
{
	struct sb_candles c, got;
	struct sb_input_info info[2], ginfo[2];
	char dir[PATH_MAX], entry[PATH_MAX + 80];

	(void)state;
	make_candles(&c);
	make_info(&info[0], 0);
	make_info(&info[1], 1);
	path_of("cache-c/deeper", dir);             /* missing parents are created */
	sb_cache_store_candles(dir, KEY1, &c, info, 2);
	snprintf(entry, sizeof(entry), "%s/%s.mpk", dir, KEY1);
	assert_int_equal(access(entry, R_OK), 0);
	assert_int_equal(count_in(dir, ""), 1);     /* the entry alone: no temporary left */

	sb_candles_init(&got);
	memset(ginfo, 0x55, sizeof(ginfo));
	assert_true(sb_cache_load_candles(dir, KEY1, &got, ginfo, 2));
	same_candles(&got, &c);
	same_info(&ginfo[0], &info[0]);
	same_info(&ginfo[1], &info[1]);
	sb_candles_release(&got);

	/* another key in the same folder is a miss; the wrong number of infos too */
	assert_false(sb_cache_load_candles(dir, KEY2, &got, ginfo, 2));
	assert_int_equal(got.n, 0);
	assert_false(sb_cache_load_candles(dir, KEY1, &got, ginfo, 1));
	assert_int_equal(got.n, 0);
	assert_null(got.open);

	/* storing again replaces the entry */
	c.close[4] = 42;
	sb_cache_store_candles(dir, KEY1, &c, info, 2);
	assert_int_equal(count_in(dir, ""), 1);
	assert_true(sb_cache_load_candles(dir, KEY1, &got, ginfo, 2));
	assert_true(got.close[4] == 42);
	sb_candles_release(&got);
	sb_candles_release(&c);

	/* zero candles: no loader makes them, so such an entry is invalid, a miss */
	sb_candles_init(&c);
	assert_int_equal(sb_candles_alloc(&c, 0, NULL), SB_OK);
	c.t0_us = -SB_US_PER_DAY;
	c.interval_us = SB_US_PER_DAY;
	sb_cache_store_candles(dir, KEY2, &c, info, 1);
	assert_false(sb_cache_load_candles(dir, KEY2, &got, ginfo, 1));
	assert_int_equal(got.n, 0);
	sb_candles_release(&got);
	sb_candles_release(&c);
}

static void make_events(struct sb_events *ev, size_t n)
{
	sb_events_init(ev);
	ev->n = n;
	ev->t_us = sb_aligned_alloc(n * sizeof(int64_t));
	ev->score_e9 = sb_aligned_alloc(n * sizeof(int32_t));
	ev->conf_e9 = sb_aligned_alloc(n * sizeof(int32_t));
	assert_non_null(ev->t_us);
	assert_non_null(ev->score_e9);
	assert_non_null(ev->conf_e9);
	for (size_t i = 0; i < n; i++) {
		/* before 1970 and after, microseconds that are not whole seconds */
		ev->t_us[i] = INT64_C(-86400000000) + (int64_t)i * INT64_C(170925120012345);
		ev->score_e9[i] = i % 2 ? -1000000000 / (int32_t)(i + 3) : 100000000 * (int32_t)(i % 11);
		ev->conf_e9[i] = 1000000000 / (int32_t)(i + 1);
	}
}

static void test_events_roundtrip(void **state)
{
	struct sb_events ev, got;
	struct sb_input_info info, ginfo;
	char dir[PATH_MAX];

	(void)state;
	make_events(&ev, 7);
	make_info(&info, 3);
	snprintf(info.kind, sizeof(info.kind), "sentiment-jsonl");
	path_of("cache-e", dir);
	sb_cache_store_events(dir, KEY1, &ev, &info);
	assert_int_equal(count_in(dir, ".mpk"), 1);
	assert_int_equal(count_in(dir, ".tmp-"), 0);

	sb_events_init(&got);
	memset(&ginfo, 0x55, sizeof(ginfo));
	assert_true(sb_cache_load_events(dir, KEY1, &got, &ginfo));
	assert_int_equal(got.n, 7);
	assert_memory_equal(got.t_us, ev.t_us, 7 * sizeof(int64_t));
	assert_memory_equal(got.score_e9, ev.score_e9, 7 * sizeof(int32_t));
	assert_memory_equal(got.conf_e9, ev.conf_e9, 7 * sizeof(int32_t));
	same_info(&ginfo, &info);
	sb_events_release(&got);

	/* a candle entry is not an events entry, and the other way round */
	{
		struct sb_candles c;

		sb_candles_init(&c);
		assert_false(sb_cache_load_candles(dir, KEY1, &c, &ginfo, 1));
		assert_int_equal(c.n, 0);
		assert_null(c.open);
	}
	sb_events_release(&ev);
}

/* Copies the first 'keep' bytes of 'src' over 'dst' (with byte 'patch_at' set to 'patch'
 * when patch_at >= 0); 'keep' < 0 keeps everything. */
/*
 * Copies entry src to dst, cut to 'keep' bytes (-1: whole) and with byte patch_at set
 * to 'patch' (-1: none).  A patched copy gets its CRC-32 trailer sealed again (unless
 * g_no_reseal), so that the checks behind the CRC are what the test reaches.
 */
static bool g_no_reseal;

static long damage(const char *src, const char *dst, long keep, long patch_at, int patch)
{
	FILE *f = fopen(src, "rb");
	char *buf = malloc(1 << 16);
	long n;

	assert_non_null(f);
	assert_non_null(buf);
	n = (long)fread(buf, 1, 1 << 16, f);
	fclose(f);
	if (patch_at >= 0 && patch_at < n) {
		buf[patch_at] = (char)patch;
		if (!g_no_reseal && n >= 4) {
			uint32_t crc = sb_crc32(buf, (size_t)n - 4);

			for (int k = 0; k < 4; k++)
				buf[n - 4 + k] = (char)(crc >> (8 * k));
		}
	}
	f = fopen(dst, "wb");
	assert_non_null(f);
	fwrite(buf, 1, (size_t)(keep < 0 || keep > n ? n : keep), f);
	assert_int_equal(fclose(f), 0);
	free(buf);
	return n;
}

static void expect_candle_miss(const char *dir, const char *key, const char *what)
{
	struct sb_candles got;
	struct sb_input_info ginfo[2];

	sb_candles_init(&got);
	if (sb_cache_load_candles(dir, key, &got, ginfo, 2))
		fail_msg("%s: loaded as a hit", what);
	if (got.n != 0 || got.open || got.close || got.trades)
		fail_msg("%s: output not left empty", what);
}

static void test_damaged_entries(void **state)
{
	struct sb_candles c;
	struct sb_events ev, gev;
	struct sb_input_info info[2], ginfo;
	char dir[PATH_MAX], good[PATH_MAX + 80], bad[PATH_MAX + 80], what[64];
	long size;

	(void)state;
	make_candles(&c);
	make_info(&info[0], 0);
	make_info(&info[1], 1);
	path_of("cache-d", dir);
	sb_cache_store_candles(dir, KEY1, &c, info, 2);
	snprintf(good, sizeof(good), "%s/%s.mpk", dir, KEY1);
	snprintf(bad, sizeof(bad), "%s/%s.mpk", dir, KEY2);
	size = damage(good, bad, -1, -1, 0);
	assert_true(size > 5 * 8 * 8);

	/* truncated anywhere: a miss */
	for (long keep = 0; keep < size; keep += keep < 40 ? 1 : 37) {
		snprintf(what, sizeof(what), "truncated to %ld bytes", keep);
		damage(good, bad, keep, -1, 0);
		expect_candle_miss(dir, KEY2, what);
	}
	damage(good, bad, size - 1, -1, 0);
	expect_candle_miss(dir, KEY2, "one byte short");

	/* one flipped bit in a column, the CRC left as it was: a miss, not other candles */
	g_no_reseal = true;
	{
		FILE *f = fopen(good, "rb");
		int b;

		assert_non_null(f);
		assert_int_equal(fseek(f, 200, SEEK_SET), 0);   /* inside the open column */
		b = fgetc(f);
		fclose(f);
		damage(good, bad, -1, 200, b ^ 0x20);
	}
	expect_candle_miss(dir, KEY2, "a flipped bit");
	g_no_reseal = false;

	/* the layout: fixarray(14) 0x9e, fixstr(15) 0xaf + "sentibt-cache-3", fixstr(9) 0xa9 +
	 * "candles-3" (the object's schema), then n = 5 as positive fixint at 1 + 16 + 10 = 27 */
	{
		unsigned char head[28];
		FILE *f = fopen(good, "rb");

		assert_non_null(f);
		assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
		fclose(f);
		assert_int_equal(head[0], 0x9e);
		assert_int_equal(head[1], 0xaf);
		assert_memory_equal(head + 2, "sentibt-cache-3", 15);
		assert_int_equal(head[17], 0xa9);
		assert_memory_equal(head + 18, "candles-3", 9);
		assert_int_equal(head[27], 5);
	}
	damage(good, bad, -1, 27, 6);          /* n says 6, columns hold 5 */
	expect_candle_miss(dir, KEY2, "n = 6");
	damage(good, bad, -1, 27, 0x7f);       /* n says 127 */
	expect_candle_miss(dir, KEY2, "n = 127");
	damage(good, bad, -1, 5, 'X');         /* another magic */
	expect_candle_miss(dir, KEY2, "foreign magic");
	damage(good, bad, -1, 0, 0x9d);        /* an array of 13 */
	expect_candle_miss(dir, KEY2, "13 items");
	damage(good, bad, -1, 25, 0xc0);       /* nil where n should be */
	expect_candle_miss(dir, KEY2, "nil n");

	/* garbage and trailing garbage */
	{
		static const char junk[] = "\xde\xad\xbe\xef not msgpack at all \xc1\xc1\xc1";
		FILE *f = fopen(bad, "wb");

		assert_non_null(f);
		fwrite(junk, 1, sizeof(junk) - 1, f);
		assert_int_equal(fclose(f), 0);
		expect_candle_miss(dir, KEY2, "garbage");
		damage(good, bad, -1, -1, 0);
		f = fopen(bad, "ab");
		assert_non_null(f);
		fputc(0x01, f);
		assert_int_equal(fclose(f), 0);
		expect_candle_miss(dir, KEY2, "a byte after the entry");
	}

	/* a folder where the entry should be */
	assert_int_equal(unlink(bad), 0);
	assert_int_equal(mkdir(bad, 0777), 0);
	expect_candle_miss(dir, KEY2, "a folder");
	assert_int_equal(rmdir(bad), 0);

	/* events: truncated entries are misses, the output left empty */
	make_events(&ev, 9);
	sb_cache_store_events(dir, KEY1, &ev, &info[0]);   /* replaces the candle entry */
	size = damage(good, bad, -1, -1, 0);
	for (long keep = 0; keep < size; keep += keep < 40 ? 1 : 29) {
		damage(good, bad, keep, -1, 0);
		sb_events_init(&gev);
		if (sb_cache_load_events(dir, KEY2, &gev, &ginfo))
			fail_msg("events truncated to %ld bytes: a hit", keep);
		assert_int_equal(gev.n, 0);
		assert_null(gev.t_us);
		assert_null(gev.score_e9);
		assert_null(gev.conf_e9);
	}
	/* the untouched events entry still loads */
	sb_events_init(&gev);
	assert_true(sb_cache_load_events(dir, KEY1, &gev, &ginfo));
	assert_int_equal(gev.n, 9);
	sb_events_release(&gev);
	sb_events_release(&ev);
	sb_candles_release(&c);
}

static void test_missing_and_unwritable(void **state)
{
	struct sb_candles c, got;
	struct sb_events ev, gev;
	struct sb_input_info info, ginfo;
	char dir[PATH_MAX], file[PATH_MAX], under[PATH_MAX + 32];
	struct stat st;

	(void)state;
	make_candles(&c);
	make_events(&ev, 3);
	make_info(&info, 0);
	sb_candles_init(&got);
	sb_events_init(&gev);

	/* a missing cache folder is a miss and is not created by loading */
	path_of("never-made", dir);
	assert_false(sb_cache_load_candles(dir, KEY1, &got, &ginfo, 1));
	assert_false(sb_cache_load_events(dir, KEY1, &gev, &ginfo));
	assert_int_equal(got.n, 0);
	assert_int_equal(gev.n, 0);
	assert_int_not_equal(stat(dir, &st), 0);
	/* "" and NULL mean no cache */
	assert_false(sb_cache_load_candles("", KEY1, &got, &ginfo, 1));
	assert_false(sb_cache_load_candles(NULL, KEY1, &got, &ginfo, 1));
	assert_false(sb_cache_load_events("", KEY1, &gev, &ginfo));
	sb_cache_store_candles("", KEY1, &c, &info, 1);
	sb_cache_store_candles(NULL, KEY1, &c, &info, 1);
	sb_cache_store_events("", KEY1, &ev, &info);

	/* a cache folder under a regular file cannot be made: storing does nothing */
	tu_write_text("a-regular-file", "keep me\n", false, file);
	snprintf(under, sizeof(under), "%s/cache", file);
	sb_cache_store_candles(under, KEY1, &c, &info, 1);
	sb_cache_store_events(under, KEY1, &ev, &info);
	assert_int_equal(stat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 8);
	assert_false(sb_cache_load_candles(under, KEY1, &got, &ginfo, 1));
	assert_false(sb_cache_load_events(under, KEY1, &gev, &ginfo));
	assert_int_equal(got.n, 0);
	assert_int_equal(gev.n, 0);
	/* the cache "folder" is itself a regular file */
	sb_cache_store_candles(file, KEY1, &c, &info, 1);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, 8);
	assert_int_equal(count_in(tu_tmpdir, ".tmp-"), 0);

	sb_candles_release(&c);
	sb_events_release(&ev);
}

/*
 * Entries that are well-formed MessagePack but say impossible things (issue 10: an
 * interval of 0 crashed the signal builder with SIGFPE, -1 gave garbage with exit 0,
 * far-off article times overflowed): checked like any input, a miss.
 */
static void test_forged_entries(void **state)
{
	struct sb_candles c, got;
	struct sb_events ev, gev;
	struct sb_input_info info[1], ginfo[1];
	char dir[PATH_MAX];
	static const int64_t intervals[] = { 0, -1, -MIN, SB_US_PER_DAY + 1, 7 };

	(void)state;
	make_info(&info[0], 1);
	path_of("cache-forged", dir);
	for (size_t k = 0; k < sizeof(intervals) / sizeof(intervals[0]); k++) {
		make_candles(&c);
		c.interval_us = intervals[k];
		sb_cache_store_candles(dir, KEY1, &c, info, 1);
		sb_candles_init(&got);
		if (sb_cache_load_candles(dir, KEY1, &got, ginfo, 1))
			fail_msg("interval %lld: a hit", (long long)intervals[k]);
		assert_int_equal(got.n, 0);
		sb_candles_release(&c);
	}
	/* t0 not on the interval grid; times beyond 2200; a close outside [low, high]; NaN */
	for (int k = 0; k < 4; k++) {
		make_candles(&c);
		if (k == 0)
			c.t0_us += 1;
		if (k == 1)
			c.t0_us = SB_TIME_MAX_US - MIN;
		if (k == 2)
			c.close[2] = c.high[2] * 2;
		if (k == 3)
			c.open[1] = NAN;
		sb_cache_store_candles(dir, KEY1, &c, info, 1);
		sb_candles_init(&got);
		if (sb_cache_load_candles(dir, KEY1, &got, ginfo, 1))
			fail_msg("forged candles case %d: a hit", k);
		sb_candles_release(&c);
	}
	/* the same entry, valid, is a hit: the checks are not just refusing everything */
	make_candles(&c);
	sb_cache_store_candles(dir, KEY1, &c, info, 1);
	assert_true(sb_cache_load_candles(dir, KEY1, &got, ginfo, 1));
	sb_candles_release(&got);
	sb_candles_release(&c);

	/* events: unsorted, a time beyond 2200, a score or confidence out of range */
	for (int k = 0; k < 5; k++) {
		make_events(&ev, 7);
		if (k == 0)
			ev.t_us[3] = ev.t_us[2] - 1;
		if (k == 1)
			ev.t_us[6] = SB_TIME_MAX_US;
		if (k == 2)
			ev.score_e9[1] = 1000000001;
		if (k == 3)
			ev.conf_e9[4] = -1;
		if (k == 4)
			ev.t_us[0] = INT64_MIN;
		sb_cache_store_events(dir, KEY2, &ev, info);
		sb_events_init(&gev);
		if (sb_cache_load_events(dir, KEY2, &gev, ginfo))
			fail_msg("forged events case %d: a hit", k);
		assert_int_equal(gev.n, 0);
		sb_events_release(&ev);
	}
	make_events(&ev, 7);
	sb_cache_store_events(dir, KEY2, &ev, info);
	assert_true(sb_cache_load_events(dir, KEY2, &gev, ginfo));
	sb_events_release(&gev);
	sb_events_release(&ev);
}

/*
 * What the loaders produce, pinned to the cache schema versions (bincache.h): the
 * SHA-256 of the candles and articles loaded from a one-day seeded sample, through
 * every text loader (test_loader_output_pinned), with the loads' accounts.  When a
 * loader's output changes, this test fails until SB_CACHE_*_SCHEMA is bumped (so no
 * old entry is served) and the digest below is recorded again for the new version.
 */
#define SAMPLE_CANDLES_SCHEMA 3
#define SAMPLE_CANDLES_SHA "65d856bff115161c5bc3c066e28d7cc9a05c1cfee15b9a51d0dfed9602042aba"
#define SAMPLE_EVENTS_SCHEMA 2
#define SAMPLE_EVENTS_SHA "a04c8ca436f6287aea7cc75a11440d51c37c090dc9bbf152c2aebcf330ec3eef"

/*
 * An entry cut in place while it is mapped (cp over it, an editor: sentibt itself
 * only renames): a page past the new end raises SIGBUS, which must be a miss, not
 * the process killed.  A child loads the entry again and again while this process
 * rewrites it in place (truncate, write); every load is a miss or the whole entry.
 * The race is hit in most runs here, never falsely failed.
 */
static void test_entry_cut_while_mapped(void **state)
{
	enum { N = 300000, LOADS = 20 };
	struct sb_candles c;
	struct sb_input_info info;
	char dir[PATH_MAX], entry[PATH_MAX + 80];
	struct stat st;
	char *bytes;
	FILE *f;
	pid_t pid;
	int status;

	(void)state;
	sb_candles_init(&c);
	assert_int_equal(sb_candles_alloc(&c, N, NULL), SB_OK);
	c.t0_us = 1704067200LL * SB_US_PER_SEC;
	c.interval_us = MIN;
	for (size_t i = 0; i < N; i++) {
		c.open[i] = c.high[i] = c.low[i] = c.close[i] = 100.0 + (double)(i % 7);
		c.volume[i] = 1.0;
		c.trades[i] = i;
	}
	make_info(&info, 0);
	path_of("cache-cut", dir);
	sb_cache_store_candles(dir, KEY1, &c, &info, 1);
	snprintf(entry, sizeof(entry), "%s/%s.mpk", dir, KEY1);
	assert_int_equal(stat(entry, &st), 0);
	bytes = malloc((size_t)st.st_size);
	assert_non_null(bytes);
	f = fopen(entry, "rb");
	assert_non_null(f);
	assert_int_equal(fread(bytes, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timeval t0, t1;

		gettimeofday(&t0, NULL);
		for (int k = 0; ; k++) {
			struct sb_candles got;
			struct sb_input_info gi;

			sb_candles_init(&got);
			if (!sb_cache_load_candles(dir, KEY1, &got, &gi, 1))
				goto next;
			if (got.n != N || memcmp(got.close, c.close, N * sizeof(double)) != 0 ||
			    memcmp(got.trades, c.trades, N * sizeof(uint64_t)) != 0)
				_exit(3);
			sb_candles_release(&got);
next:
			gettimeofday(&t1, NULL);
			if (k >= LOADS && (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_usec - t0.tv_usec) >
					  1500000)
				break;
		}
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		f = fopen(entry, "r+b");            /* in place: the same inode, cut */
		if (f) {
			assert_int_equal(fwrite(bytes, 1, (size_t)st.st_size, f), (size_t)st.st_size);
			fflush(f);
			usleep(2000);               /* whole for a while, then cut */
			assert_int_equal(ftruncate(fileno(f), 0), 0);
			fclose(f);
		}
	}
	if (WIFSIGNALED(status))
		fail_msg("the loading process was killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(bytes);
	sb_candles_release(&c);
}

/* The numbers of a load's account (not its path or digest): a cache entry keeps them too. */
static void digest_info(struct sb_sha256 *h, const struct sb_input_info *in)
{
	const uint64_t v[] = { in->rows, in->rows_used, in->rows_dropped, in->duplicates,
			       in->rounded, (uint64_t)in->t_first_us, (uint64_t)in->t_last_us,
			       in->filled_candles, (uint64_t)in->longest_gap_us };

	sb_sha256_update(h, v, sizeof(v));
	sb_sha256_update(h, in->dropped_why, strlen(in->dropped_why));
}

static void digest_candles(struct sb_sha256 *h, const struct sb_candles *c)
{
	const void *cols[] = { c->open, c->high, c->low, c->close, c->volume, c->buy_volume,
			       c->sell_volume };

	sb_sha256_update(h, &c->n, sizeof(c->n));
	sb_sha256_update(h, &c->t0_us, sizeof(c->t0_us));
	sb_sha256_update(h, &c->interval_us, sizeof(c->interval_us));
	for (int k = 0; k < 7; k++)
		sb_sha256_update(h, cols[k], c->n * sizeof(double));
	sb_sha256_update(h, c->trades, c->n * sizeof(uint64_t));
}

static void digest_events(struct sb_sha256 *h, const struct sb_events *ev)
{
	sb_sha256_update(h, &ev->n, sizeof(ev->n));
	sb_sha256_update(h, ev->t_us, ev->n * sizeof(*ev->t_us));
	sb_sha256_update(h, ev->score_e9, ev->n * sizeof(*ev->score_e9));
	sb_sha256_update(h, ev->conf_e9, ev->n * sizeof(*ev->conf_e9));
}

static void put_e9(FILE *f, int32_t v)
{
	fprintf(f, "%s%d.%09d", v < 0 ? "-" : "", abs(v) / 1000000000, abs(v) % 1000000000);
}

/*
 * Every loader's output on the sample, pinned: the Tardis trades (1m candles), an OHLCV
 * CSV written from them with every 7th row left out (5m candles, gaps filled), the JSON
 * Lines articles (entity BTC) and a news CSV written from them, each with its account.
 * A change of what any loader produces changes a digest: bump the schema it caches under.
 */
static void test_loader_output_pinned(void **state)
{
	struct sb_sample_opts o;
	struct sb_sample_stats st;
	struct sb_errbuf err = { "" };
	struct sb_candles c, c5;
	struct sb_events ev, evc;
	struct sb_events_opts eo = { .entity = "BTC" }, csv_o = { 0 };
	struct sb_input_info info;
	struct sb_sha256 hc, he;
	char dir[PATH_MAX], prices[PATH_MAX + 64], news[PATH_MAX + 64], ohlcv[PATH_MAX + 64];
	char csv[PATH_MAX + 64], hex_c[SB_SHA256_HEX], hex_e[SB_SHA256_HEX], t[SB_TIME_LEN];
	const char *pp = prices, *po = ohlcv;
	FILE *f;

	(void)state;
	path_of("pinned-sample", dir);
	sb_sample_opts_init(&o);
	o.out_dir = dir;
	o.days = 1;
	o.articles_per_day = 400;
	assert_int_equal(sb_sample_generate(&o, &st, &err), SB_OK);
	assert_true(sb_sample_trades_path(prices, sizeof(prices), dir, o.exchange, o.start_us,
					  "BTCUSDT"));
	snprintf(news, sizeof(news), "%s/news.jsonl", dir);
	snprintf(ohlcv, sizeof(ohlcv), "%s/klines.csv", dir);
	snprintf(csv, sizeof(csv), "%s/news.csv", dir);
	sb_candles_init(&c);
	sb_candles_init(&c5);
	sb_events_init(&ev);
	sb_events_init(&evc);
	assert_int_equal(sb_sha256_begin(&hc, NULL), SB_OK);
	assert_int_equal(sb_sha256_begin(&he, NULL), SB_OK);

	assert_int_equal(sb_candles_load(&c, &pp, 1, 60 * SB_US_PER_SEC, &info, &err), SB_OK);
	digest_candles(&hc, &c);
	digest_info(&hc, &info);
	assert_non_null(f = fopen(ohlcv, "w"));
	fputs("timestamp,open,high,low,close,volume\n", f);
	for (size_t i = 0; i < c.n; i++)
		if (i % 7 != 3)
			fprintf(f, "%lld,%.17g,%.17g,%.17g,%.17g,%.17g\n",
				(long long)((c.t0_us + (int64_t)i * c.interval_us) / 1000), c.open[i],
				c.high[i], c.low[i], c.close[i], c.volume[i]);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(sb_candles_load(&c5, &po, 1, 300 * SB_US_PER_SEC, &info, &err), SB_OK);
	assert_true(c5.n > 0 && info.rows < c.n);
	digest_candles(&hc, &c5);
	digest_info(&hc, &info);

	assert_int_equal(sb_events_load(&ev, news, &eo, &info, &err), SB_OK);
	digest_events(&he, &ev);
	digest_info(&he, &info);
	assert_non_null(f = fopen(csv, "w"));
	fputs("date,sentiment_score,confidence\n", f);
	for (size_t i = 0; i < ev.n; i++) {
		sb_format_time(ev.t_us[i], t);
		fprintf(f, "%s,", t);
		put_e9(f, ev.score_e9[i]);
		fputc(',', f);
		put_e9(f, ev.conf_e9[i]);
		fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(sb_events_load(&evc, csv, &csv_o, &info, &err), SB_OK);
	assert_int_equal(evc.n, ev.n);
	digest_events(&he, &evc);
	digest_info(&he, &info);
	sb_sha256_end(&hc, hex_c);
	sb_sha256_end(&he, hex_e);

	printf("loaded sample: candles %s (schema %d), articles %s (schema %d)\n", hex_c,
	       SB_CACHE_CANDLES_SCHEMA, hex_e, SB_CACHE_EVENTS_SCHEMA);
	if (SB_CACHE_CANDLES_SCHEMA != SAMPLE_CANDLES_SCHEMA ||
	    SB_CACHE_EVENTS_SCHEMA != SAMPLE_EVENTS_SCHEMA)
		fail_msg("a cache schema was bumped: record the digests printed above for it");
	if (strcmp(hex_c, SAMPLE_CANDLES_SHA) != 0)
		fail_msg("the candle loaders' output changed: bump SB_CACHE_CANDLES_SCHEMA "
			 "(loaders/bincache.h), then record the new digest here");
	if (strcmp(hex_e, SAMPLE_EVENTS_SHA) != 0)
		fail_msg("the article loaders' output changed: bump SB_CACHE_EVENTS_SCHEMA "
			 "(loaders/bincache.h), then record the new digest here");
	sb_candles_release(&c);
	sb_candles_release(&c5);
	sb_events_release(&ev);
	sb_events_release(&evc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known),
		cmocka_unit_test(test_key_candles),
		cmocka_unit_test(test_key_events),
		cmocka_unit_test(test_candles_roundtrip),
		cmocka_unit_test(test_events_roundtrip),
		cmocka_unit_test(test_damaged_entries),
		cmocka_unit_test(test_forged_entries),
		cmocka_unit_test(test_loader_output_pinned),
		cmocka_unit_test(test_entry_cut_while_mapped),
		cmocka_unit_test(test_missing_and_unwritable),
	};

	return cmocka_run_group_tests_name("bincache", tests, tu_tmpdir_setup, tu_tmpdir_teardown);
}
