/* test_load_parallel.c - several price files loaded at once, one per thread, merged in
 * load order: byte for byte what one thread gives (SENTIBT_LOAD_THREADS=1), with the
 * same counts and the same messages, whatever the number of threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "../loaders/candles.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC SB_US_PER_SEC
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)
#define T0 INT64_C(1704067200000000)    /* 2024-01-01T00:00:00Z */

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* One Tardis file of 'rows' trades, local_timestamps from lt0 to about lt0 + span. */
struct day {
	int rows;
	int64_t lt0, span;
	int64_t lag;             /* timestamp = local_timestamp - [0, lag) */
	long id0;                /* ids id0, id0 + 1, ... */
	int dups_prev;           /* the first rows repeat ids of the file before (last_prev, ...) */
	long last_prev;
	int dups_self;           /* every dups_self-th row repeats the id of 3 rows before */
	int word_from;           /* > 0: ids from this row on are words ("t123"), not numbers */
	int bad;                 /* data row (1-based) replaced by 'bad_row' */
	const char *bad_row;
	const char *symbol;
	bool gz;
	uint64_t seed;
};

static void write_tardis(const char *name, const struct day *d, char out[PATH_MAX])
{
	size_t cap = (size_t)d->rows * 120 + 200, len = 0;
	char *text = malloc(cap);
	uint64_t x = d->seed | 1;

	assert_non_null(text);
	len += (size_t)sprintf(text, "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
	for (int i = 0; i < d->rows; i++) {
		int64_t lt = d->lt0 + d->span * i / d->rows;
		int64_t t = lt - (d->lag ? (int64_t)(rnd(&x) % (uint64_t)d->lag) : 0);
		long id = d->id0 + i;

		if (i < d->dups_prev && i % 2 == 0)
			id = d->last_prev - i;
		else if (d->dups_self && i >= 3 && i % d->dups_self == 0)
			id = d->id0 + i - 3;
		if (i + 1 == d->bad)
			len += (size_t)snprintf(text + len, cap - len, "%s\n", d->bad_row);
		else
			len += (size_t)snprintf(text + len, cap - len,
						"binance,%s,%lld,%lld,%s%ld,%s,%d.%02d,%d.%08d\n",
						d->symbol ? d->symbol : "BTCUSDT", (long long)t,
						(long long)lt, d->word_from && i >= d->word_from ? "t" : "",
						id, rnd(&x) & 1 ? "buy" : "sell",
						20000 + (int)(rnd(&x) % 500), (int)(rnd(&x) % 100),
						(int)(rnd(&x) % 3), (int)(rnd(&x) % 100000000));
	}
	tu_write_bytes(name, text, len, d->gz, out);
	free(text);
}

static void expect_same_candles(const struct sb_candles *a, const struct sb_candles *b,
				const char *mode)
{
	const double *ca[] = { a->open, a->high, a->low, a->close, a->volume, a->buy_volume,
			       a->sell_volume };
	const double *cb[] = { b->open, b->high, b->low, b->close, b->volume, b->buy_volume,
			       b->sell_volume };

	if (a->n != b->n || a->t0_us != b->t0_us || a->interval_us != b->interval_us)
		fail_msg("%s: %zu candles from %lld, expected %zu from %lld", mode, b->n,
			 (long long)b->t0_us, a->n, (long long)a->t0_us);
	for (size_t k = 0; k < sizeof(ca) / sizeof(ca[0]); k++)
		for (size_t i = 0; i < a->n; i++)
			if (memcmp(&ca[k][i], &cb[k][i], sizeof(double)) != 0)
				fail_msg("%s: candle %zu, column %zu: %.17g, expected %.17g", mode,
					 i, k, cb[k][i], ca[k][i]);
	if (memcmp(a->trades, b->trades, a->n * sizeof(*a->trades)) != 0)
		fail_msg("%s: trade counts differ", mode);
}

/*
 * Loads 'paths' with 1 thread (the reference), then 2, 3 and 4: the same candles,
 * input infos and message.  Returns the reference's code; 'msg' gets its message;
 * *reloads the files that the parallel loads loaded again serially.
 */
static enum sb_err load_every_way(const char *const *paths, size_t n, int64_t interval,
				  int64_t max_gap, char msg[1024], unsigned long *reloads)
{
	struct sb_input_info *info0 = calloc(n, sizeof(*info0)), *info = calloc(n, sizeof(*info));
	struct sb_candles c0, c;
	struct sb_errbuf err0 = { "" }, err = { "" };
	enum sb_err rc0, rc;
	unsigned long before;

	assert_true(info0 && info);
	sb_candles_init(&c0);
	sb_candles_init(&c);
	assert_int_equal(setenv("SENTIBT_LOAD_THREADS", "1", 1), 0);
	rc0 = sb_candles_load_ex(&c0, paths, n, interval, max_gap, info0, &err0);
	before = sb_candles_reloads();
	for (int th = 2; th <= 4; th++) {
		char mode[32];

		snprintf(mode, sizeof(mode), "%d", th);
		assert_int_equal(setenv("SENTIBT_LOAD_THREADS", mode, 1), 0);
		memset(info, 0x5a, n * sizeof(*info));
		rc = sb_candles_load_ex(&c, paths, n, interval, max_gap, info, &err);
		snprintf(mode, sizeof(mode), "%d threads", th);
		if (rc != rc0 || strcmp(err.msg, err0.msg) != 0)
			fail_msg("%s: code %d '%s', expected %d '%s'", mode, rc, rc ? err.msg : "",
				 rc0, rc0 ? err0.msg : "");
		if (rc0) {
			assert_int_equal(c.n, 0);
			continue;
		}
		expect_same_candles(&c0, &c, mode);
		for (size_t i = 0; i < n; i++)
			if (memcmp(&info0[i], &info[i], sizeof(*info)) != 0)
				fail_msg("%s: the info of %s differs (rows %llu/%llu, duplicates %llu/%llu, filled %llu/%llu, longest gap %lld/%lld)",
					 mode, paths[i], (unsigned long long)info[i].rows,
					 (unsigned long long)info0[i].rows,
					 (unsigned long long)info[i].duplicates,
					 (unsigned long long)info0[i].duplicates,
					 (unsigned long long)info[i].filled_candles,
					 (unsigned long long)info0[i].filled_candles,
					 (long long)info[i].longest_gap_us,
					 (long long)info0[i].longest_gap_us);
	}
	unsetenv("SENTIBT_LOAD_THREADS");
	*reloads = sb_candles_reloads() - before;
	snprintf(msg, 1024, "%s", rc0 ? err0.msg : "");
	sb_candles_release(&c0);
	sb_candles_release(&c);
	free(info0);
	free(info);
	return rc0;
}

/* Up to 9 Tardis files, written and loaded every way. */
struct files {
	int n;
	struct day d[9];
	char path[9][PATH_MAX];
	const char *paths[9];
	char msg[1024];                  /* the load's message, "" on success */
	unsigned long reloads;           /* files loaded again by the parallel loads */
};

/* n hours (up to 4), one file each; a file's first trades fall in the last candle of the one before. */
static void hours(struct files *fs, int n)
{
	memset(fs, 0, sizeof(*fs));
	fs->n = n;
	for (int f = 0; f < n; f++)
		fs->d[f] = (struct day){ .rows = 12000, .lt0 = T0 + f * HOUR + 30 * SEC,
					 .span = HOUR - 2 * SEC, .lag = 3 * SEC,
					 .id0 = 1000000L * (f + 1), .dups_self = 97, .gz = f % 2 == 0,
					 .seed = 77 + (uint64_t)f, .last_prev = 1000000L * f + 12000 - 1 };
}

/* Writes the files as STEM0.csv[.gz], ... */
static void write_files(struct files *fs, const char *stem)
{
	for (int f = 0; f < fs->n; f++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%d.csv%s", stem, f, fs->d[f].gz ? ".gz" : "");
		write_tardis(name, &fs->d[f], fs->path[f]);
		fs->paths[f] = fs->path[f];
	}
}

/* load_every_way() of the files as written. */
static enum sb_err load_files(struct files *fs, int64_t interval, int64_t max_gap)
{
	return load_every_way(fs->paths, (size_t)fs->n, interval, max_gap, fs->msg, &fs->reloads);
}

/*
 * Candles shared by two files (the minute of each boundary) and duplicates within
 * files: merged exactly, without loading anything twice.  The shared candles' volumes
 * are sums of 8-decimal amounts whose rounding depends on the order of addition.
 */
static void test_shared_candles_merged(void **state)
{
	struct files fs;

	(void)state;
	hours(&fs, 4);
	write_files(&fs, "shared");
	assert_int_equal(load_files(&fs, MIN, SB_MAX_GAP_DEFAULT_US), SB_OK);
	assert_int_equal(fs.reloads, 0);
	/* the same with 1s and 1h candles */
	assert_int_equal(load_files(&fs, SEC, SB_MAX_GAP_DEFAULT_US), SB_OK);
	assert_int_equal(fs.reloads, 0);
	assert_int_equal(load_files(&fs, HOUR, SB_MAX_GAP_DEFAULT_US), SB_OK);
}

/* Files given in another order than their times: loaded in time order all the same. */
static void test_files_out_of_order(void **state)
{
	struct files fs;
	const char *given[4];

	(void)state;
	hours(&fs, 4);
	write_files(&fs, "order");
	memcpy(given, fs.paths, sizeof(given));
	fs.paths[0] = given[2];
	fs.paths[1] = given[0];
	fs.paths[2] = given[3];
	fs.paths[3] = given[1];
	assert_int_equal(load_files(&fs, MIN, SB_MAX_GAP_DEFAULT_US), SB_OK);
	assert_int_equal(fs.reloads, 0);
}

/*
 * Ids repeated across the files' boundaries, some twice in the later file (the serial
 * window took the first repeat as a duplicate and did not remember it): the same counts.
 */
static void test_duplicates_across_boundaries(void **state)
{
	struct files fs;
	struct sb_input_info info[4];
	struct sb_candles c;
	struct sb_errbuf err = { "" };

	(void)state;
	hours(&fs, 4);
	fs.d[1].dups_prev = 40;
	fs.d[3].dups_prev = 6;
	fs.d[3].dups_self = 2;           /* the repeats of file 2's ids come twice */
	write_files(&fs, "dups");
	assert_int_equal(load_files(&fs, MIN, SB_MAX_GAP_DEFAULT_US), SB_OK);
	assert_true(fs.reloads >= 2 * 3);        /* files 1 and 3, with 2, 3 and 4 threads */
	sb_candles_init(&c);
	assert_int_equal(sb_candles_load(&c, fs.paths, 4, MIN, info, &err), SB_OK);
	assert_true(info[1].duplicates >= 20);
	sb_candles_release(&c);
}

/*
 * Windows of both kinds meeting in the merges: ids that are increasing numbers need no
 * table, words do.  File 1 turns to words halfway (its window builds a table and the
 * merge appends it to a window without one), file 2 is numbers again after it (its
 * window, without a table, appended to one with), file 3 repeats file 2's numbers
 * (looked up in that table) before its words: the same candles and counts in every
 * way.
 */
static void test_id_windows_of_both_kinds(void **state)
{
	struct files fs;

	(void)state;
	hours(&fs, 4);
	fs.d[1].word_from = 6000;
	fs.d[1].dups_prev = 40;
	fs.d[2].dups_prev = 10;          /* numbers: not file 1's words, so new */
	fs.d[2].span = 5 * MIN;          /* short: file 1's last ids still live at its end */
	fs.d[2].rows = 3000;
	fs.d[3].lt0 = fs.d[2].lt0 + 6 * MIN;   /* and file 2's at file 3's start */
	fs.d[3].last_prev = fs.d[2].id0 + fs.d[2].rows - 1;
	fs.d[3].dups_prev = 40;          /* file 2's numbers again, found in a table */
	fs.d[3].word_from = 50;
	fs.d[3].dups_self = 5;
	write_files(&fs, "kinds");
	assert_int_equal(load_files(&fs, MIN, SB_MAX_GAP_DEFAULT_US), SB_OK);
}

/* A trade of a later file in an early candle of the file before: still exact. */
static void test_late_trade_far_back(void **state)
{
	struct files fs;

	(void)state;
	hours(&fs, 3);
	fs.d[2].bad = 5000;          /* not bad: a trade stamped 50 minutes before its arrival */
	fs.d[2].bad_row = "binance,BTCUSDT,1704070200000000,1704074430000000,7,buy,20001.5,0.12345678";
	write_files(&fs, "late");
	assert_int_equal(load_files(&fs, MIN, SB_MAX_GAP_DEFAULT_US), SB_OK);
}

/*
 * A candle shared with the file before whose rows the later file could not all note
 * (more than it keeps): that file is loaded again, serially, with the same result.
 */
static void test_shared_candle_too_busy(void **state)
{
	struct files fs;

	(void)state;
	hours(&fs, 2);
	fs.d[0].rows = 2000;
	fs.d[0].bad = 2000;          /* not bad: stamped by the exchange after the next hour began */
	fs.d[0].bad_row = "binance,BTCUSDT,1704070801000000,1704070795000000,9,sell,20001.5,0.5";
	fs.d[1].rows = 40000;
	fs.d[1].span = 50 * MIN;
	write_files(&fs, "busy");
	assert_int_equal(load_files(&fs, HOUR, SB_MAX_GAP_DEFAULT_US), SB_OK);
	assert_true(fs.reloads >= 3);
}

/* A bad row in the 2nd or 3rd file, a symbol that changes, overlapping files: the same message. */
static void test_errors_name_file_and_line(void **state)
{
	static const char *const stems[4] = { "bad0-", "bad1-", "bad2-", "bad3-" };
	struct files fs;
	char want[64];

	(void)state;
	for (int k = 0; k < 4; k++) {
		int f = k == 0 ? 1 : 2;

		hours(&fs, 4);
		if (k < 2) {
			fs.d[f].bad = 7001;
			fs.d[f].bad_row = "binance,BTCUSDT,1704067612340000,1704067612340007,x,buy,12.5.5,1";
		} else if (k == 2) {
			fs.d[f].bad = 20;
			fs.d[f].bad_row = "binance,ETHUSDT,1704074431000000,1704074431000000,5,buy,1,1";
		} else {
			fs.d[f].lt0 -= 5 * MIN;    /* overlaps the file before */
		}
		if (k == 1)             /* later: not reported */
			fs.d[3].bad = 2, fs.d[3].bad_row = "binance,BTCUSDT,1,2,3";
		write_files(&fs, stems[k]);
		assert_int_not_equal(load_files(&fs, MIN, SB_MAX_GAP_DEFAULT_US), SB_OK);
		if (!strstr(fs.msg, fs.path[f]))
			fail_msg("case %d: '%s' does not name %s", k, fs.msg, fs.path[f]);
		snprintf(want, sizeof(want), ":%d: ", k < 2 ? 7002 : k == 2 ? 21 : 2);
		if (k < 3 && !strstr(fs.msg, want))
			fail_msg("case %d: '%s' does not name line %s", k, fs.msg, want);
		if ((k == 2 && !strstr(fs.msg, "expected symbol 'BTCUSDT'")) ||
		    (k == 3 && !strstr(fs.msg, "not overlapping")))
			fail_msg("'%s'", fs.msg);
	}
}

/*
 * Gaps: one across a boundary longer than --max-gap (the message names the later
 * file's first row), one inside a file, and the same files with no limit (the gaps
 * filled and counted for the right file).
 */
static void test_gaps_across_files(void **state)
{
	struct files fs;

	(void)state;
	hours(&fs, 4);
	fs.d[2].lt0 += 4 * SB_US_PER_DAY;        /* 4 days after file 1 */
	fs.d[3].lt0 += 4 * SB_US_PER_DAY;
	write_files(&fs, "gap");
	assert_int_equal(load_files(&fs, MIN, SB_MAX_GAP_DEFAULT_US), SB_EINVAL);
	if (!strstr(fs.msg, fs.path[2]) ||
	    !strstr(fs.msg, ":2: expected no gap in prices longer than 3d"))
		fail_msg("'%s'", fs.msg);
	assert_int_equal(load_files(&fs, MIN, 0), SB_OK);
	assert_int_equal(fs.reloads, 0);
	assert_int_equal(load_files(&fs, MIN, 5 * SB_US_PER_DAY), SB_OK);

	/*
	 * A gap inside an hour's file is a trade stamped days after it was received: a
	 * damaged row, refused whatever --max-gap (it stretched the candles over days).
	 */
	hours(&fs, 4);
	fs.d[1].bad = 6000;
	fs.d[1].bad_row = "binance,BTCUSDT,1704499200000000,1704071430000000,5,buy,10,1";
	write_files(&fs, "gapin");
	for (int k = 0; k < 2; k++) {
		assert_int_equal(load_files(&fs, MIN, k ? 0 : SB_MAX_GAP_DEFAULT_US), SB_EPARSE);
		if (!strstr(fs.msg, fs.path[1]) ||
		    !strstr(fs.msg, ":6001: expected 'timestamp' within a day of 'local_timestamp', got 427770 s after it"))
			fail_msg("'%s'", fs.msg);
	}
}

/* More files than threads and slots, plain and gzip'd, 1s candles. */
static void test_many_small_files(void **state)
{
	struct files fs;

	(void)state;
	memset(&fs, 0, sizeof(fs));
	fs.n = 9;
	for (int f = 0; f < fs.n; f++)
		fs.d[f] = (struct day){ .rows = 3000, .lt0 = T0 + f * 10 * MIN + 500000,
					.span = 10 * MIN - SEC, .lag = 1500000,
					.id0 = 100000L * (f + 1), .dups_self = 31, .gz = f % 3 != 1,
					.seed = 5 + (uint64_t)f };
	write_files(&fs, "small");
	assert_int_equal(load_files(&fs, SEC, SB_MAX_GAP_DEFAULT_US), SB_OK);
	assert_int_equal(fs.reloads, 0);
	assert_int_equal(load_files(&fs, MIN, SB_MAX_GAP_DEFAULT_US), SB_OK);
}

/* OHLCV files of 1m rows with boundaries inside an hour, loaded as 1h candles. */
static void test_ohlcv_files(void **state)
{
	char path[3][PATH_MAX], msg[1024];
	const char *paths[3];
	unsigned long reloads;
	uint64_t x = 99;

	(void)state;
	for (int f = 0; f < 3; f++) {
		size_t cap = 400 * 80 + 100, len = 0;
		char *text = malloc(cap), name[32];

		assert_non_null(text);
		len += (size_t)sprintf(text, "timestamp,open,high,low,close,volume\n");
		for (int i = 0; i < 400; i++) {
			long long t = (long long)(T0 + (int64_t)(f * 400 + i) * MIN) / 1000;
			int o = 100 + (int)(rnd(&x) % 10), c = 100 + (int)(rnd(&x) % 10);

			len += (size_t)snprintf(text + len, cap - len, "%lld,%d,%d,%d,%d,%d.%07d\n", t,
						o, (o > c ? o : c) + 1, (o < c ? o : c) - 1, c,
						(int)(rnd(&x) % 9), (int)(rnd(&x) % 10000000));
		}
		snprintf(name, sizeof(name), "ohlcv%d.csv", f);
		tu_write_bytes(name, text, len, f == 1, path[f]);
		paths[f] = path[f];
		free(text);
	}
	assert_int_equal(load_every_way(paths, 3, HOUR, SB_MAX_GAP_DEFAULT_US, msg, &reloads), SB_OK);
	assert_int_equal(reloads, 0);
}

/*
 * Random sets of 2 to 6 Tardis files: overlapping or apart, out of order, trades
 * stamped up to minutes before their arrival, duplicates within and across files,
 * now and then a bad row or another symbol, candles of 1 s to 1 h and gap limits:
 * every thread count gives what one thread gives (load_every_way()).
 */
static void test_random_file_sets(void **state)
{
	static const int64_t intervals[] = { SEC, MIN, 5 * MIN, HOUR };
	static const int64_t gaps[] = { 0, 10 * MIN, SB_MAX_GAP_DEFAULT_US };
	const int cases = getenv("SB_TEST_CASES") ? atoi(getenv("SB_TEST_CASES")) : 12;
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (int k = 0; k < cases; k++) {
		struct files fs;
		char stem[32];
		int64_t lt = T0;

		memset(&fs, 0, sizeof(fs));
		fs.n = 2 + (int)(rnd(&x) % 5);
		for (int f = 0; f < fs.n; f++) {
			struct day *d = &fs.d[f];

			/* the next file starts before, at or after this one's end */
			*d = (struct day){ .rows = 200 + (int)(rnd(&x) % 3000),
					   .lt0 = lt, .span = (int64_t)(1 + rnd(&x) % 40) * MIN,
					   .lag = (int64_t)(rnd(&x) % 4) * (int64_t)(rnd(&x) % 90) * SEC,
					   .id0 = 100000L * (f + 1),
					   .dups_self = rnd(&x) % 3 ? 0 : 2 + (int)(rnd(&x) % 50),
					   .gz = rnd(&x) & 1, .seed = rnd(&x) };
			if (f && rnd(&x) % 2) {
				d->dups_prev = 1 + (int)(rnd(&x) % 60);
				d->last_prev = fs.d[f - 1].id0 + fs.d[f - 1].rows - 1;
			}
			switch (rnd(&x) % 12) {
			case 0:
				d->bad = 1 + (int)(rnd(&x) % (uint64_t)d->rows);
				d->bad_row = "binance,BTCUSDT,1704067200000000,1704067200000000,x,buy,1.2.3,1";
				break;
			case 1:
				d->symbol = "ETHUSDT";
				break;
			default:
				break;
			}
			lt += d->span + ((int64_t)(rnd(&x) % 9) - 1) * MIN +
			      (rnd(&x) % 4 == 0 ? (int64_t)(rnd(&x) % 60) * MIN : 0);
		}
		if (rnd(&x) % 3 == 0) {          /* out of order as given */
			struct day t = fs.d[0];

			fs.d[0] = fs.d[fs.n - 1];
			fs.d[fs.n - 1] = t;
		}
		snprintf(stem, sizeof(stem), "rnd%d-", k);
		write_files(&fs, stem);
		if (load_files(&fs, intervals[rnd(&x) % 4], gaps[rnd(&x) % 3]) && getenv("SB_TEST_VERBOSE"))
			printf("case %d: %s\n", k, fs.msg);
		else if (getenv("SB_TEST_VERBOSE"))
			printf("case %d: ok, %lu reloads\n", k, fs.reloads);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_candles_merged),
		cmocka_unit_test(test_files_out_of_order),
		cmocka_unit_test(test_duplicates_across_boundaries),
		cmocka_unit_test(test_id_windows_of_both_kinds),
		cmocka_unit_test(test_late_trade_far_back),
		cmocka_unit_test(test_shared_candle_too_busy),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_gaps_across_files),
		cmocka_unit_test(test_many_small_files),
		cmocka_unit_test(test_ohlcv_files),
		cmocka_unit_test(test_random_file_sets),
	};

	return cmocka_run_group_tests_name("load_parallel", tests, tu_tmpdir_setup,
					   tu_tmpdir_teardown);
}
