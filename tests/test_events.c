/* test_events.c - sentiment loaders: JSON Lines, MessagePack, CSV news files
 *
 * Every expected value is worked out by hand in this file (times from the calendar,
 * counts from the records written here); the real-file facts were computed with
 * Python's csv and datetime modules, not with sentibt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../loaders/events.h"

/* An article's score and confidence as the nearest double of their exact decimal. */
#define SC(ev, i) sb_dec_to_double((ev).score_e9[i])
#define CF(ev, i) sb_dec_to_double((ev).conf_e9[i])

#include <dirent.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];
static const char *argv0;

/* 2024-03-01T12:34:56Z: 2024-01-01 is day 19723 (1704067200 / 86400), plus 31 days of
 * January and 29 of February = day 19783; 19783 * 86400 + 12*3600 + 34*60 + 56. */
#define T_20240301_123456 INT64_C(1709296496)

static const char *tmp_path(const char *name)
{
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, name);
	return p;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *write_text(const char *name, const char *text)
{
	return write_file(name, text, strlen(text));
}

static const char *write_gz(const char *name, const char *text)
{
	const char *path = tmp_path(name);
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
	assert_int_equal(gzclose(gz), Z_OK);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sentibt-test-events-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	(void)state;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(tmp_path(e->d_name));
	closedir(d);
	return rmdir(tmpdir);
}

static const struct sb_events_opts FIELD = { .conf_mode = SB_CONF_FIELD };

/* Loads 'path' and asserts success. */
static void load_ok(struct sb_events *ev, const char *path, const struct sb_events_opts *o,
		    struct sb_input_info *info)
{
	struct sb_errbuf err = { { 0 } };
	enum sb_err rc;

	sb_events_init(ev);
	rc = sb_events_load(ev, path, o, info, &err);
	if (rc != SB_OK)
		fail_msg("unexpected error: %s", err.msg);
}

/* Loads 'path', asserts failure with 'want' in the message and 'ev' empty. */
static void load_bad(const char *path, const struct sb_events_opts *o, const char *want)
{
	struct sb_errbuf err = { { 0 } };
	struct sb_events ev;
	struct sb_input_info info;
	enum sb_err rc;

	sb_events_init(&ev);
	rc = sb_events_load(&ev, path, o, &info, &err);
	assert_int_not_equal(rc, SB_OK);
	assert_int_equal(ev.n, 0);
	assert_null(ev.t_us);
	assert_null(ev.score_e9);
	assert_null(ev.conf_e9);
	if (!strstr(err.msg, want))
		fail_msg("message '%s' lacks '%s'", err.msg, want);
}

/* ---- bad inputs, table-driven ---- */

#define OKLINE "{\"published_at\":\"2024-01-01T00:00:00Z\",\"sentiment_score\":0.1,\"confidence\":0.5}\n"

static void test_bad_inputs(void **state)
{
	static const struct { const char *name, *text, *want; } cases[] = {
		{ "notjson.jsonl", OKLINE "not json\n", "notjson.jsonl:2: expected a JSON object" },
		{ "array.jsonl", "[1,2]\n", "array.jsonl:1: expected a JSON object" },
		{ "trailing.jsonl", OKLINE "{\"published_at\":1,\"sentiment_score\":0,\"confidence\":0} x\n",
		  "trailing.jsonl:2: expected a JSON object" },
		{ "notime.jsonl", "{\"sentiment_score\":0.1,\"confidence\":0.5}\n",
		  "notime.jsonl:1: expected a published_at" },
		{ "nulltime.jsonl", OKLINE OKLINE "{\"published_at\":null,\"sentiment_score\":0.1,\"confidence\":0.5}\n",
		  "nulltime.jsonl:3: expected a published_at" },
		{ "badtime.jsonl", "{\"published_at\":\"2023-02-29T00:00:00Z\",\"sentiment_score\":0.1,\"confidence\":0.5}\n",
		  "badtime.jsonl:1: expected published_at as an RFC 3339" },
		{ "fractime.jsonl", "{\"published_at\":1709296496.5,\"sentiment_score\":0.1,\"confidence\":0.5}\n",
		  "fractime.jsonl:1: expected published_at as an RFC 3339" },
		{ "booltime.jsonl", "{\"published_at\":true,\"sentiment_score\":0.1,\"confidence\":0.5}\n",
		  "booltime.jsonl:1: expected published_at" },
		{ "noscore.jsonl", "\n" OKLINE "{\"published_at\":1,\"confidence\":0.5}\n",
		  "noscore.jsonl:3: expected a sentiment_score" },
		{ "strscore.jsonl", "{\"published_at\":1,\"sentiment_score\":\"0.5\",\"confidence\":0.5}\n",
		  "strscore.jsonl:1: expected sentiment_score as a number" },
		{ "bigscore.jsonl", "{\"published_at\":1,\"sentiment_score\":1.5,\"confidence\":0.5}\n",
		  "bigscore.jsonl:1: expected sentiment_score in [-1, 1]" },
		{ "negscore.jsonl", "{\"published_at\":1,\"sentiment_score\":-1.0000001,\"confidence\":0.5}\n",
		  "negscore.jsonl:1: expected sentiment_score in [-1, 1]" },
		{ "infscore.jsonl", "{\"published_at\":1,\"sentiment_score\":1e999,\"confidence\":0.5}\n",
		  "infscore.jsonl:1: expected sentiment_score in [-1, 1], got inf" },
		{ "nanscore.jsonl", "{\"published_at\":1,\"sentiment_score\":NaN,\"confidence\":0.5}\n",
		  "nanscore.jsonl:1: expected a JSON object" },
		{ "noconf.jsonl", "{\"published_at\":1,\"sentiment_score\":0.5}\n",
		  "noconf.jsonl:1: expected a confidence" },
		{ "negconf.jsonl", "{\"published_at\":1,\"sentiment_score\":0.5,\"confidence\":-0.01}\n",
		  "negconf.jsonl:1: expected confidence in [0, 1]" },
		{ "bigconf.jsonl", "{\"published_at\":1,\"sentiment_score\":0.5,\"confidence\":1.01}\n",
		  "bigconf.jsonl:1: expected confidence in [0, 1]" },
		{ "symstr.jsonl", "{\"published_at\":1,\"sentiment_score\":0.5,\"confidence\":1,\"symbols\":\"BTC\"}\n",
		  "symstr.jsonl:1: expected symbols as an array of strings" },
		{ "symnum.jsonl", OKLINE "{\"published_at\":1,\"sentiment_score\":0.5,\"confidence\":1,\"key_entities\":[\"BTC\",1]}\n",
		  "symnum.jsonl:2: expected key_entities as an array of strings" },
		{ "badid.jsonl", "{\"id\":[1],\"published_at\":1,\"sentiment_score\":0.5,\"confidence\":1}\n",
		  "badid.jsonl:1: expected id as a string or a number" },
		{ "empty.jsonl", "", "empty.jsonl:1: expected at least one article" },
		{ "blank.jsonl", "\n  \n", "blank.jsonl:3: expected at least one article" },
		{ "empty.csv", "", "empty.csv:1: expected a CSV header" },
		{ "headeronly.csv", "date,sentiment_score,confidence\n",
		  "headeronly.csv:2: expected at least one article after the header" },
		{ "noconfcol.csv", "date,sentiment_score\n2024-01-01,0.5\n",
		  "noconfcol.csv:1: expected a confidence column" },
		{ "notimecol.csv", "when,sentiment_score,confidence\n2024-01-01,0.5,1\n",
		  "notimecol.csv:1: expected a time column 'date'" },
		{ "noscorecol.csv", "date,score,confidence\n2024-01-01,0.5,1\n",
		  "noscorecol.csv:1: expected a score column 'sentiment_score'" },
		{ "fields.csv", "date,sentiment_score,confidence\n2024-01-01,0.5,1\n2024-01-02,0.5\n",
		  "fields.csv:3: expected 3 fields as in the header, got 2" },
		{ "csvscore.csv", "date,sentiment_score,confidence\n2024-01-01,abc,1\n",
		  "csvscore.csv:2: expected a number in column 'sentiment_score', got 'abc'" },
		{ "csvnan.csv", "date,sentiment_score,confidence\n2024-01-01,0.1,1\n2024-01-01,nan,1\n",
		  "csvnan.csv:3: expected a number in column 'sentiment_score', got 'nan'" },
		{ "csvtwice.csv", "date,sentiment_score,confidence,sentiment_score\n2024-01-01,0.5,1,-0.5\n",
		  "csvtwice.csv:1: expected each column once, got 'sentiment_score' twice" },
		{ "csvrange.csv", "date,sentiment_score,confidence\n2024-01-01,-2,1\n",
		  "csvrange.csv:2: expected sentiment_score in [-1, 1]" },
		{ "csvtime.csv", "date,sentiment_score,confidence\n5-7-2022 04:24,0.5,1\n",
		  "csvtime.csv:2: expected a time between 1900 and 2200 (RFC 3339 or integer epoch) in column 'date'" },
		{ "csvnotime.csv", "date,sentiment_score,confidence\n,0.5,1\n",
		  "csvnotime.csv:2: expected a time between 1900 and 2200 (RFC 3339 or integer epoch) in column 'date', got ''" },
		{ "csvnoconf.csv", "date,sentiment_score,confidence\n2024-01-01,0.5,\n",
		  "csvnoconf.csv:2: expected a number in column 'confidence', got ''" },
		/* the quote opened on line 3 is never closed: the record's first line is named */
		{ "openq.csv", "date,text,sentiment_score,confidence\n2024-01-01,a,0.5,1\n2024-01-02,\"b\nc\n",
		  "openq.csv:3: expected a closing quote" },
		/* a multi-line record starting on line 4 has a bad score: line 4 is named */
		{ "mlbad.csv", "date,text,sentiment_score,confidence\n2024-01-01,\"x\ny\",0.5,1\n"
			       "2024-01-02,\"p\n\nq\",zz,1\n",
		  "mlbad.csv:4: expected a number in column 'sentiment_score', got 'zz'" },
		{ "news.txt", OKLINE, "news.txt: expected a sentiment file named .jsonl, .msgpack or .csv" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		load_bad(write_text(cases[i].name, cases[i].text), &FIELD, cases[i].want);

	/* missing file */
	load_bad(tmp_path("nosuch.jsonl"), &FIELD, "nosuch.jsonl: cannot open");
	/* the confidence error says how to choose */
	load_bad(tmp_path("noconfcol.csv"), &FIELD, "--confidence const:X");
	load_bad(tmp_path("noconfcol.csv"), &FIELD, "--confidence abs");
	/* a constant confidence outside [0, 1] */
	{
		struct sb_events_opts o = { .conf_mode = SB_CONF_CONST, .conf_const = 1.5 };

		load_bad(tmp_path("noconfcol.csv"), &o, "expected a constant confidence in [0, 1]");
	}
	/* no article about the entity */
	{
		struct sb_events_opts o = { .entity = "BTC" };

		load_bad(write_text("eth.jsonl",
				    "{\"published_at\":1,\"sentiment_score\":0.5,\"confidence\":1,\"symbols\":[\"ETH\"]}\n"),
			 &o, "expected at least one article about BTC, got none among 1");
	}
}

/* A load that fails leaves a previously filled 'ev' empty, not half-replaced. */
static void test_error_empties_ev(void **state)
{
	struct sb_events ev;
	struct sb_errbuf err;

	(void)state;
	load_ok(&ev, write_text("one.jsonl", OKLINE), &FIELD, NULL);
	assert_int_equal(ev.n, 1);
	assert_int_not_equal(sb_events_load(&ev, write_text("bad.jsonl", OKLINE "x\n"), &FIELD,
					    NULL, &err), SB_OK);
	assert_int_equal(ev.n, 0);
	assert_null(ev.t_us);
	sb_events_release(&ev);
	sb_events_release(&ev);      /* safe twice */
}

/* ---- timestamps, sorting ---- */

static void test_time_forms(void **state)
{
	/* Five spellings around 2024-03-01T12:34:56Z, scores tag the lines. */
	const char *text =
		"{\"published_at\":1709296496123456,\"sentiment_score\":0.4,\"confidence\":0.9}\n"
		"{\"published_at\":\"2024-03-01T14:34:56.5+02:00\",\"sentiment_score\":0.5,\"confidence\":0.9}\n"
		"{\"published_at\":1709296496,\"sentiment_score\":0.1,\"confidence\":0.9}\n"
		"\n"
		"{\"published_at\":\"1709296496123\",\"sentiment_score\":0.3,\"confidence\":0.9}\n"
		"{\"published_at\":\"2024-03-01T12:34:56Z\",\"sentiment_score\":0.2,\"confidence\":0.9}\n"
		"{\"published_at\":\"2024-03-01T07:04:56.000250-05:30\",\"sentiment_score\":0.6,\"confidence\":0.9}\n";
	const int64_t s = T_20240301_123456 * 1000000;
	/* s, s (same instant, file order), +123 ms, +123456 us, +0.5 s (14:34:56.5 at +02:00
	 * is 12:34:56.5Z), and 07:04:56.000250 at -05:30 is 12:34:56.000250Z. */
	const int64_t want_t[] = { s, s, s + 250, s + 123000, s + 123456, s + 500000 };
	const double want_s[] = { 0.1, 0.2, 0.6, 0.3, 0.4, 0.5 };
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	load_ok(&ev, write_text("times.jsonl", text), &FIELD, &info);
	assert_int_equal(ev.n, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(ev.t_us[i], want_t[i]);
		assert_true(SC(ev, i) == want_s[i]);
		assert_true(CF(ev, i) == 0.9);
	}
	assert_string_equal(info.kind, "sentiment-jsonl");
	assert_int_equal(info.rows, 6);
	assert_int_equal(info.rows_used, 6);
	assert_int_equal(info.rows_dropped, 0);
	assert_int_equal(info.duplicates, 0);
	assert_int_equal(info.t_first_us, s);
	assert_int_equal(info.t_last_us, s + 500000);
	sb_events_release(&ev);
}

static void test_stable_sort(void **state)
{
	/* times (s): 30 10 30 20 10 30 20; scores 0.01..0.07 in file order */
	const char *text =
		"{\"published_at\":30,\"sentiment_score\":0.01,\"confidence\":1}\n"
		"{\"published_at\":10,\"sentiment_score\":0.02,\"confidence\":1}\n"
		"{\"published_at\":30,\"sentiment_score\":0.03,\"confidence\":1}\n"
		"{\"published_at\":20,\"sentiment_score\":0.04,\"confidence\":1}\n"
		"{\"published_at\":10,\"sentiment_score\":0.05,\"confidence\":1}\n"
		"{\"published_at\":30,\"sentiment_score\":0.06,\"confidence\":1}\n"
		"{\"published_at\":20,\"sentiment_score\":0.07,\"confidence\":1}\n";
	const int64_t want_t[] = { 10, 10, 20, 20, 30, 30, 30 };
	const double want_s[] = { 0.02, 0.05, 0.04, 0.07, 0.01, 0.03, 0.06 };
	struct sb_events ev;

	(void)state;
	load_ok(&ev, write_text("stable.jsonl", text), &FIELD, NULL);
	assert_int_equal(ev.n, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(ev.t_us[i], want_t[i] * 1000000);
		assert_true(SC(ev, i) == want_s[i]);
	}
	sb_events_release(&ev);
}

/* ---- ids, aliases, entity ---- */

static void test_duplicates_and_aliases(void **state)
{
	/* ids x y x(dup) z y(dup, via alias) and two articles without id (never dups) */
	const char *text =
		"{\"id\":\"x\",\"published_at\":1,\"sentiment_score\":0.1,\"confidence\":1}\n"
		"{\"article_id\":\"y\",\"published_at\":2,\"sentiment_score\":0.2,\"confidence\":1}\n"
		"{\"id\":\"x\",\"published_at\":3,\"sentiment_score\":0.3,\"confidence\":1}\n"
		"{\"id\":\"z\",\"published_at\":4,\"sentiment_score\":0.4,\"confidence\":1}\n"
		"{\"article_id\":\"y\",\"published_at\":5,\"sentiment_score\":0.5,\"confidence\":1}\n"
		"{\"published_at\":6,\"sentiment_score\":0.6,\"confidence\":1}\n"
		"{\"published_at\":6,\"sentiment_score\":0.6,\"confidence\":1}\n"
		"{\"id\":7,\"published_at\":7,\"sentiment_score\":0.7,\"confidence\":1}\n"
		"{\"id\":\"7\",\"published_at\":8,\"sentiment_score\":0.8,\"confidence\":1}\n";
	const double want_s[] = { 0.1, 0.2, 0.4, 0.6, 0.6, 0.7 };
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	load_ok(&ev, write_text("dups.jsonl", text), &FIELD, &info);
	assert_int_equal(ev.n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_true(SC(ev, i) == want_s[i]);
	assert_int_equal(info.rows, 9);
	assert_int_equal(info.rows_used, 6);
	assert_int_equal(info.duplicates, 3);   /* x, y, and the number 7 vs the string "7" */
	assert_int_equal(info.rows_dropped, 0);
	sb_events_release(&ev);
}

static void test_entity_filter(void **state)
{
	const char *text =
		"{\"published_at\":1,\"sentiment_score\":0.1,\"confidence\":1,\"symbols\":[\"btc\",\"ETH\"]}\n"
		"{\"published_at\":2,\"sentiment_score\":0.2,\"confidence\":1,\"symbols\":[\"ETH\"]}\n"
		"{\"published_at\":3,\"sentiment_score\":0.3,\"confidence\":1,\"key_entities\":[\"BTC\"]}\n"
		"{\"published_at\":4,\"sentiment_score\":0.4,\"confidence\":1}\n"
		"{\"published_at\":5,\"sentiment_score\":0.5,\"confidence\":1,\"symbols\":[]}\n"
		"{\"published_at\":6,\"sentiment_score\":0.6,\"confidence\":1,\"symbols\":[\"BTCUSD\"]}\n";
	const char *nosym =
		"{\"published_at\":1,\"sentiment_score\":0.1,\"confidence\":1}\n"
		"{\"published_at\":2,\"sentiment_score\":0.2,\"confidence\":1}\n";
	struct sb_events_opts o = { .entity = "BTC" };
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	load_ok(&ev, write_text("entity.jsonl", text), &o, &info);
	assert_int_equal(ev.n, 2);
	assert_true(SC(ev, 0) == 0.1);
	assert_true(SC(ev, 1) == 0.3);
	assert_int_equal(info.rows, 6);
	assert_int_equal(info.rows_used, 2);
	assert_int_equal(info.rows_dropped, 4);
	assert_string_equal(info.dropped_why, "4 not about BTC");
	sb_events_release(&ev);

	/* without an entity everything is kept */
	load_ok(&ev, tmp_path("entity.jsonl"), &FIELD, &info);
	assert_int_equal(ev.n, 6);
	assert_int_equal(info.rows_dropped, 0);
	sb_events_release(&ev);

	/* --entity on a file without symbols cannot apply: an error, not a silent no-op */
	load_bad(write_text("nosym.jsonl", nosym), &o, "expected articles with symbols");
	load_ok(&ev, tmp_path("nosym.jsonl"), &FIELD, &info);
	assert_int_equal(ev.n, 2);
	sb_events_release(&ev);
}

/*
 * The range is checked after rounding to 10^-9: the doubles next to 1, -1 and 0 are
 * those decimals (as 0.30000000000000004 is 0.3), a value beyond is named as read.
 */
static void test_range_after_rounding(void **state)
{
	const char *text =
		"{\"published_at\":1,\"sentiment_score\":1.0000000000000002,\"confidence\":1.0000000000000002}\n"
		"{\"published_at\":2,\"sentiment_score\":-1.0000000000000002,\"confidence\":-1e-17}\n"
		"{\"published_at\":3,\"sentiment_score\":0.9999999999999999,\"confidence\":0.30000000000000004}\n";
	struct sb_events ev;

	(void)state;
	load_ok(&ev, write_text("edges.jsonl", text), &FIELD, NULL);
	assert_int_equal(ev.n, 3);
	assert_int_equal(ev.score_e9[0], 1000000000);
	assert_int_equal(ev.conf_e9[0], 1000000000);
	assert_int_equal(ev.score_e9[1], -1000000000);
	assert_int_equal(ev.conf_e9[1], 0);
	assert_int_equal(ev.score_e9[2], 1000000000);
	assert_int_equal(ev.conf_e9[2], 300000000);
	sb_events_release(&ev);
	load_bad(write_text("beyond.jsonl", "{\"published_at\":1,\"sentiment_score\":-1.0000001,\"confidence\":0.5}\n"),
		 &FIELD, "beyond.jsonl:1: expected sentiment_score in [-1, 1], got -1.0000001");
	load_bad(write_text("beyondc.jsonl", "{\"published_at\":1,\"sentiment_score\":0.5,\"confidence\":1.000000002}\n"),
		 &FIELD, "beyondc.jsonl:1: expected confidence in [0, 1], got 1.000000002");
}

/* Ids that were merged: "" twice (no id, as an empty CSV cell); numbers past 2^53. */
static void test_ids_kept_apart(void **state)
{
	const char *text =
		"{\"id\":\"\",\"published_at\":1,\"sentiment_score\":0.1,\"confidence\":1}\n"
		"{\"id\":\"\",\"published_at\":2,\"sentiment_score\":0.2,\"confidence\":1}\n"
		"{\"id\":9007199254740991,\"published_at\":3,\"sentiment_score\":0.3,\"confidence\":1}\n";
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	load_ok(&ev, write_text("emptyids.jsonl", text), &FIELD, &info);
	assert_int_equal(ev.n, 3);
	assert_int_equal(info.duplicates, 0);
	sb_events_release(&ev);
	load_bad(write_text("bigid.jsonl",
			    "{\"id\":1764000000000000001,\"published_at\":1,\"sentiment_score\":0.1,\"confidence\":1}\n"),
		 &FIELD, "bigid.jsonl:1: expected id as a string or a number below 2^53");
	/* 2^53 itself: 2^53 + 1 reads as it, so two ids would merge */
	load_bad(write_text("bigid2.jsonl",
			    "{\"id\":9007199254740992,\"published_at\":1,\"sentiment_score\":0.1,\"confidence\":1}\n"),
		 &FIELD, "bigid2.jsonl:1: expected id as a string or a number below 2^53");
}

static void test_conf_modes_jsonl(void **state)
{
	const char *text =
		"{\"published_at\":1,\"sentiment_score\":-0.25}\n"
		"{\"published_at\":2,\"sentiment_score\":0.75,\"confidence\":5}\n";
	struct sb_events_opts abs_o = { .conf_mode = SB_CONF_ABS_SCORE };
	struct sb_events_opts const_o = { .conf_mode = SB_CONF_CONST, .conf_const = 0.3 };
	struct sb_events ev;

	(void)state;
	/* abs/const override the file's (here invalid) confidence */
	load_ok(&ev, write_text("modes.jsonl", text), &abs_o, NULL);
	assert_int_equal(ev.n, 2);
	assert_true(CF(ev, 0) == 0.25);
	assert_true(CF(ev, 1) == 0.75);
	sb_events_release(&ev);
	load_ok(&ev, tmp_path("modes.jsonl"), &const_o, NULL);
	assert_true(CF(ev, 0) == 0.3);
	assert_true(CF(ev, 1) == 0.3);
	sb_events_release(&ev);
}

/* ---- gzip ---- */

static void test_jsonl_gz(void **state)
{
	const char *text =
		"{\"published_at\":\"2024-03-01T12:34:56Z\",\"sentiment_score\":-0.5,\"confidence\":0.25}\n"
		"{\"published_at\":1709296497000,\"sentiment_score\":1,\"confidence\":0}\n";
	struct sb_events ev;
	struct sb_input_info info;
	char big[64 * 1024];
	size_t len = 0;
	FILE *f;
	char *bytes;
	long n;

	(void)state;
	load_ok(&ev, write_gz("news.jsonl.gz", text), &FIELD, &info);
	assert_int_equal(ev.n, 2);
	assert_int_equal(ev.t_us[0], T_20240301_123456 * 1000000);
	assert_int_equal(ev.t_us[1], (T_20240301_123456 + 1) * 1000000);
	assert_true(SC(ev, 0) == -0.5 && CF(ev, 0) == 0.25);
	assert_true(SC(ev, 1) == 1.0 && CF(ev, 1) == 0.0);
	assert_string_equal(info.kind, "sentiment-jsonl");
	sb_events_release(&ev);

	/* a truncated gzip stream is an error, not a short file */
	while (len + 200 < sizeof(big))
		len += (size_t)snprintf(big + len, sizeof(big) - len,
					"{\"published_at\":%zu,\"sentiment_score\":0.%zu,\"confidence\":1}\n",
					len, len % 7);
	write_gz("full.jsonl.gz", big);
	f = fopen(tmp_path("full.jsonl.gz"), "rb");
	assert_non_null(f);
	bytes = malloc(1 << 16);
	n = (long)fread(bytes, 1, 1 << 16, f);
	fclose(f);
	assert_true(n > 100);
	load_bad(write_file("cut.jsonl.gz", bytes, (size_t)n / 2), &FIELD,
		 "expected a complete gzip stream");
	free(bytes);
}

/* ---- MessagePack ---- */

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static const char *write_sbuf(const char *name, msgpack_sbuffer *sb)
{
	const char *p = write_file(name, sb->data, sb->size);

	msgpack_sbuffer_clear(sb);
	return p;
}

static void test_msgpack(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct sb_events ev;
	struct sb_input_info info;
	struct sb_events_opts o = { .entity = "BTC" };
	const int64_t s = T_20240301_123456 * 1000000;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

	/* record 1: RFC 3339 string, float scores, BTC in symbols */
	msgpack_pack_map(&pk, 5);
	pack_str(&pk, "id"); pack_str(&pk, "a");
	pack_str(&pk, "published_at"); pack_str(&pk, "2024-03-01T12:34:56Z");
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.625);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 0.5);
	pack_str(&pk, "symbols"); msgpack_pack_array(&pk, 2); pack_str(&pk, "ETH"); pack_str(&pk, "BTC");
	/* record 2: integer ms epoch (1 s earlier), integer score, alias fields, ignored extras */
	msgpack_pack_map(&pk, 6);
	pack_str(&pk, "article_id"); pack_str(&pk, "b");
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, (T_20240301_123456 - 1) * 1000);
	pack_str(&pk, "sentiment_score"); msgpack_pack_int(&pk, -1);
	pack_str(&pk, "confidence"); msgpack_pack_float(&pk, 0.75f);
	pack_str(&pk, "key_entities"); msgpack_pack_array(&pk, 1); pack_str(&pk, "btc");
	pack_str(&pk, "headline"); msgpack_pack_nil(&pk);
	/* record 3: duplicate id "a" */
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "id"); pack_str(&pk, "a");
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, T_20240301_123456);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.1);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 0.1);
	/* record 4: not about BTC */
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, T_20240301_123456);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.2);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 0.2);
	pack_str(&pk, "symbols"); msgpack_pack_array(&pk, 1); pack_str(&pk, "SOL");
	load_ok(&ev, write_sbuf("good.msgpack", &sb), &o, &info);
	assert_int_equal(ev.n, 2);
	assert_int_equal(ev.t_us[0], s - 1000000);
	assert_true(SC(ev, 0) == -1.0 && CF(ev, 0) == 0.75);
	assert_int_equal(ev.t_us[1], s);
	assert_true(SC(ev, 1) == 0.625 && CF(ev, 1) == 0.5);
	assert_string_equal(info.kind, "sentiment-msgpack");
	assert_int_equal(info.rows, 4);
	assert_int_equal(info.duplicates, 1);
	assert_int_equal(info.rows_dropped, 1);
	assert_string_equal(info.dropped_why, "1 not about BTC");
	sb_events_release(&ev);

	/* many records cross the 64 KiB read chunks: 20000 maps of ~60 bytes */
	for (int i = 0; i < 20000; i++) {
		msgpack_pack_map(&pk, 3);
		pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 1700000000 + (20000 - i));
		pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, (i % 3) * 0.5 - 0.5);
		pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	}
	assert_true(sb.size > 3 * 65536);
	load_ok(&ev, write_sbuf("many.msgpack", &sb), &FIELD, &info);
	assert_int_equal(ev.n, 20000);
	assert_int_equal(ev.t_us[0], INT64_C(1700000001) * 1000000);      /* i = 19999 */
	assert_int_equal(ev.t_us[19999], INT64_C(1700020000) * 1000000);  /* i = 0 */
	assert_true(SC(ev, 0) == 0.0);      /* 19999 % 3 = 1 -> 0.0 */
	assert_true(SC(ev, 19999) == -0.5); /* 0 % 3 = 0 -> -0.5 */
	sb_events_release(&ev);

	/* bad: record 2 is not a map */
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 1);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.5);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	msgpack_pack_int(&pk, 7);
	load_bad(write_sbuf("notmap.msgpack", &sb), &FIELD, "notmap.msgpack: record 2: expected a map");

	/* bad: NaN score in record 1 */
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 1);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, NAN);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	load_bad(write_sbuf("nan.msgpack", &sb), &FIELD,
		 "nan.msgpack: record 1: expected sentiment_score in [-1, 1]");

	/* bad: string score, missing time, symbols not strings */
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "published_at"); pack_str(&pk, "2024-13-01");
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.5);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	load_bad(write_sbuf("badtime.msgpack", &sb), &FIELD,
		 "badtime.msgpack: record 1: expected published_at");
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.5);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	load_bad(write_sbuf("notime.msgpack", &sb), &FIELD,
		 "notime.msgpack: record 1: expected a published_at");
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 1);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.5);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	pack_str(&pk, "symbols"); msgpack_pack_array(&pk, 1); msgpack_pack_int(&pk, 1);
	load_bad(write_sbuf("sym.msgpack", &sb), &FIELD,
		 "sym.msgpack: record 1: expected symbols as an array of strings");

	/* bad: truncated inside record 2 */
	for (int i = 0; i < 2; i++) {
		msgpack_pack_map(&pk, 3);
		pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 1);
		pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.5);
		pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	}
	sb.size -= 5;
	load_bad(write_sbuf("cut.msgpack", &sb), &FIELD,
		 "cut.msgpack: record 2: expected a complete map");

	/* gzip'd msgpack is refused with a hint */
	load_bad(write_gz("z.msgpack.gz", "\x81\xa1" "a\x01"), &FIELD,
		 "z.msgpack.gz: expected an uncompressed MessagePack stream");

	/* bad: empty stream */
	load_bad(write_text("empty.msgpack", ""), &FIELD,
		 "empty.msgpack: record 1: expected at least one article");
	msgpack_sbuffer_destroy(&sb);
}

/* ---- repeated keys: cJSON keeps the first, Python's json the last ---- */

#define REST "\"published_at\":1,\"confidence\":1"

static void test_repeated_keys_jsonl(void **state)
{
	static const struct { const char *name, *text, *want; } cases[] = {
		{ "k_score.jsonl", OKLINE "{" REST ",\"sentiment_score\":0.1,\"sentiment_score\":0.9}\n",
		  "k_score.jsonl:2: key 'sentiment_score' appears twice; expected each key once" },
		/* a null first value is still a second key: Python would take the 1 */
		{ "k_time.jsonl", "{\"published_at\":null,\"published_at\":1,\"sentiment_score\":0,\"confidence\":1}\n",
		  "k_time.jsonl:1: key 'published_at' appears twice" },
		{ "k_conf.jsonl", "{\"published_at\":1,\"sentiment_score\":0,\"confidence\":1,\"confidence\":0}\n",
		  "k_conf.jsonl:1: key 'confidence' appears twice" },
		{ "k_id.jsonl", "{\"id\":\"a\"," REST ",\"sentiment_score\":0,\"id\":\"b\"}\n",
		  "k_id.jsonl:1: key 'id' appears twice" },
		{ "k_aid.jsonl", "{\"article_id\":1,\"article_id\":1," REST ",\"sentiment_score\":0}\n",
		  "k_aid.jsonl:1: key 'article_id' appears twice" },
		{ "k_sym.jsonl", "{\"symbols\":[\"BTC\"],\"symbols\":[]," REST ",\"sentiment_score\":0}\n",
		  "k_sym.jsonl:1: key 'symbols' appears twice" },
		{ "k_ke.jsonl", "{\"key_entities\":[],\"key_entities\":[]," REST ",\"sentiment_score\":0}\n",
		  "k_ke.jsonl:1: key 'key_entities' appears twice" },
		/* the same key spelled with an escape: "\u005f" is '_' */
		{ "k_esc.jsonl", "{" REST ",\"sentiment_score\":0.1,\"sentiment\\u005fscore\":0.9}\n",
		  "k_esc.jsonl:1: key 'sentiment_score' appears twice" },
		/* alias pairs with different values */
		{ "a_id.jsonl", OKLINE OKLINE "{\"id\":\"a\",\"article_id\":\"b\"," REST ",\"sentiment_score\":0}\n",
		  "a_id.jsonl:3: both 'id' and 'article_id' given, with different values; expected one of them" },
		/* 5 and "5" are different JSON values */
		{ "a_id5.jsonl", "{\"id\":\"5\",\"article_id\":5," REST ",\"sentiment_score\":0}\n",
		  "a_id5.jsonl:1: both 'id' and 'article_id'" },
		{ "a_sym.jsonl", "{\"symbols\":[\"BTC\"],\"key_entities\":[\"ETH\"]," REST ",\"sentiment_score\":0}\n",
		  "a_sym.jsonl:1: both 'symbols' and 'key_entities' given, with different values" },
	};
	struct sb_events ev;
	struct sb_input_info info;
	struct sb_events_opts cst = { .conf_mode = SB_CONF_CONST, .conf_const = 0.5 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		load_bad(write_text(cases[i].name, cases[i].text), &FIELD, cases[i].want);

	/* confidence is not read under --confidence const: its repeat does not matter */
	load_ok(&ev, tmp_path("k_conf.jsonl"), &cst, NULL);
	assert_int_equal(ev.n, 1);
	assert_true(CF(ev, 0) == 0.5);
	sb_events_release(&ev);

	/*
	 * Accepted: a repeated key sentibt does not read; both aliases with equal values;
	 * an alias pair where one is null (null = absent).  Ids: "a" (line 1), "a" again
	 * via id = article_id (line 2, a duplicate), "b" via article_id (line 3).
	 */
	load_ok(&ev, write_text("k_ok.jsonl",
				"{\"headline\":\"x\",\"headline\":\"y\",\"id\":\"a\"," REST ",\"sentiment_score\":0.1}\n"
				"{\"id\":\"a\",\"article_id\":\"a\",\"symbols\":[\"BTC\"],\"key_entities\":[\"BTC\"],"
				REST ",\"sentiment_score\":0.2}\n"
				"{\"id\":null,\"article_id\":\"b\"," REST ",\"sentiment_score\":0.3}\n"),
		&FIELD, &info);
	assert_int_equal(ev.n, 2);
	assert_true(SC(ev, 0) == 0.1 && SC(ev, 1) == 0.3);
	assert_int_equal(info.rows, 3);
	assert_int_equal(info.duplicates, 1);
	sb_events_release(&ev);
}

static void test_repeated_keys_msgpack(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

	/* record 1 fine, record 2 with sentiment_score twice */
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 1);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.5);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.1);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 2);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.9);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	load_bad(write_sbuf("k_score.msgpack", &sb), &FIELD,
		 "k_score.msgpack: record 2: key 'sentiment_score' appears twice; expected each key once");

	/* a nil first value still counts as a key */
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "published_at"); msgpack_pack_nil(&pk);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 2);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.9);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	load_bad(write_sbuf("k_time.msgpack", &sb), &FIELD,
		 "k_time.msgpack: record 1: key 'published_at' appears twice");

	/* id and article_id that disagree */
	msgpack_pack_map(&pk, 5);
	pack_str(&pk, "article_id"); pack_str(&pk, "b");
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 2);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.9);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	pack_str(&pk, "id"); pack_str(&pk, "a");
	load_bad(write_sbuf("a_id.msgpack", &sb), &FIELD,
		 "a_id.msgpack: record 1: both 'id' and 'article_id' given, with different values; expected one of them");

	/* symbols and key_entities that disagree */
	msgpack_pack_map(&pk, 5);
	pack_str(&pk, "symbols"); msgpack_pack_array(&pk, 1); pack_str(&pk, "BTC");
	pack_str(&pk, "key_entities"); msgpack_pack_array(&pk, 0);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 2);
	pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.9);
	pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	load_bad(write_sbuf("a_sym.msgpack", &sb), &FIELD,
		 "a_sym.msgpack: record 1: both 'symbols' and 'key_entities'");

	/* accepted: equal aliases, a repeated unread key; ids a (rec 1) and a (rec 2, dup) */
	for (int i = 0; i < 2; i++) {
		msgpack_pack_map(&pk, 7);
		pack_str(&pk, "id"); pack_str(&pk, "a");
		pack_str(&pk, "article_id"); pack_str(&pk, "a");
		pack_str(&pk, "source"); pack_str(&pk, "x");
		pack_str(&pk, "source"); pack_str(&pk, "y");
		pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 2 + i);
		pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.25 * (i + 1));
		pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
	}
	load_ok(&ev, write_sbuf("k_ok.msgpack", &sb), &FIELD, &info);
	assert_int_equal(ev.n, 1);
	assert_true(SC(ev, 0) == 0.25);
	assert_int_equal(info.duplicates, 1);
	sb_events_release(&ev);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * published_at must lie in [1900-01-01, 2200-01-01): 2200-01-01 is 7258118400 s after
 * the epoch (84006 days), 1900-01-01 is 2208988800 s before it (25567 days).
 */
static void test_time_bounds(void **state)
{
	static const struct { const char *name, *text, *want; } bad[] = {
		{ "t2200.jsonl", "{\"published_at\":\"2200-01-01T00:00:00Z\",\"sentiment_score\":0,\"confidence\":1}\n",
		  "t2200.jsonl:1: expected published_at as an RFC 3339 time or an integer epoch (s, ms or us) between 1900 and 2200, got \"2200-01-01T00:00:00Z\"" },
		{ "n2200.jsonl", OKLINE "{\"published_at\":7258118400,\"sentiment_score\":0,\"confidence\":1}\n",
		  "n2200.jsonl:2: expected published_at as an RFC 3339 time or an integer epoch (s, ms or us) between 1900 and 2200, got 7258118400" },
		{ "n1899.jsonl", "{\"published_at\":-2208988801,\"sentiment_score\":0,\"confidence\":1}\n",
		  "n1899.jsonl:1: expected published_at" },
		{ "smax.jsonl", "{\"published_at\":\"9223372036854775807\",\"sentiment_score\":0,\"confidence\":1}\n",
		  "smax.jsonl:1: expected published_at" },
		{ "smin.jsonl", "{\"published_at\":\"-9223372036854775808\",\"sentiment_score\":0,\"confidence\":1}\n",
		  "smin.jsonl:1: expected published_at" },
		{ "t1899.csv", "date,sentiment_score,confidence\n1899-12-31T23:59:59Z,0,1\n",
		  "t1899.csv:2: expected a time between 1900 and 2200 (RFC 3339 or integer epoch) in column 'date', got '1899-12-31T23:59:59Z'" },
		{ "ms2200.csv", "date,sentiment_score,confidence\n7258118400000,0,1\n",
		  "ms2200.csv:2: expected a time between 1900 and 2200" },
	};
	const char *text =
		"{\"published_at\":\"2199-12-31T23:59:59.999999Z\",\"sentiment_score\":0.1,\"confidence\":1}\n"
		"{\"published_at\":7258118399,\"sentiment_score\":0.2,\"confidence\":1}\n"
		"{\"published_at\":-2208988800,\"sentiment_score\":0.3,\"confidence\":1}\n"
		"{\"published_at\":\"1900-01-01\",\"sentiment_score\":0.4,\"confidence\":1}\n";
	struct sb_events ev;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_timestamp ts;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		load_bad(write_text(bad[i].name, bad[i].text), &FIELD, bad[i].want);

	load_ok(&ev, write_text("inrange.jsonl", text), &FIELD, NULL);
	assert_int_equal(ev.n, 4);
	assert_int_equal(ev.t_us[0], INT64_C(-2208988800) * 1000000);
	assert_int_equal(ev.t_us[1], INT64_C(-2208988800) * 1000000);
	assert_int_equal(ev.t_us[2], INT64_C(7258118399) * 1000000);
	assert_int_equal(ev.t_us[3], INT64_C(7258118400) * 1000000 - 1);
	sb_events_release(&ev);

	/* the msgpack timestamp extension: 2199-12-31T23:59:59 in, 2200-01-01 out */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (int i = 0; i < 2; i++) {
		ts.tv_sec = INT64_C(7258118399) + i;
		ts.tv_nsec = 0;
		msgpack_pack_map(&pk, 3);
		pack_str(&pk, "published_at"); msgpack_pack_timestamp(&pk, &ts);
		pack_str(&pk, "sentiment_score"); msgpack_pack_double(&pk, 0.5);
		pack_str(&pk, "confidence"); msgpack_pack_double(&pk, 1.0);
		if (i == 0) {
			load_ok(&ev, write_sbuf("ts2199.msgpack", &sb), &FIELD, NULL);
			assert_int_equal(ev.n, 1);
			assert_int_equal(ev.t_us[0], INT64_C(7258118399) * 1000000);
			sb_events_release(&ev);
		}
	}
	load_bad(write_sbuf("ts2200.msgpack", &sb), &FIELD,
		 "ts2200.msgpack: record 1: expected published_at as an RFC 3339 time, an integer epoch (s, ms or us) or a msgpack timestamp, between 1900 and 2200");
	msgpack_sbuffer_destroy(&sb);
}

/* ---- CSV ---- */

static void test_csv_mapping(void **state)
{
	/* quoted text with commas, a quoted field spanning lines, unsorted times */
	const char *text =
		"when,text,score\n"
		"2024-03-01 12:34:57,\"Bitcoin rises, again\",-0.5\n"
		"2024-03-01 12:34:56,\"two\n"
		"lines, \"\"quoted\"\"\",0.25\n"
		"\n"
		"2024-03-01T12:34:58Z,plain,0\n";
	struct sb_events_opts o = { .time_col = "when", .score_col = "score",
				    .conf_mode = SB_CONF_ABS_SCORE };
	const int64_t s = T_20240301_123456 * 1000000;
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	load_ok(&ev, write_text("map.csv", text), &o, &info);
	assert_int_equal(ev.n, 3);
	assert_int_equal(ev.t_us[0], s);
	assert_int_equal(ev.t_us[1], s + 1000000);
	assert_int_equal(ev.t_us[2], s + 2000000);
	assert_true(SC(ev, 0) == 0.25 && CF(ev, 0) == 0.25);
	assert_true(SC(ev, 1) == -0.5 && CF(ev, 1) == 0.5);
	assert_true(SC(ev, 2) == 0.0 && CF(ev, 2) == 0.0);
	assert_string_equal(info.kind, "sentiment-csv");
	assert_int_equal(info.rows, 3);
	sb_events_release(&ev);

	o.conf_mode = SB_CONF_CONST;
	o.conf_const = 0.8;
	load_ok(&ev, write_gz("map.csv.gz", text), &o, &info);
	assert_int_equal(ev.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(CF(ev, i) == 0.8);
	sb_events_release(&ev);

	/* a mapped column that is not there */
	o.time_col = "date";
	load_bad(tmp_path("map.csv"), &o, "map.csv:1: expected a time column 'date'");
}

static void test_csv_defaults(void **state)
{
	/* default names, a confidence column, ids, symbols, ';' delimiter */
	const char *text =
		"id;published_at;sentiment_score;confidence;symbols\n"
		"a;2024-03-01T12:34:56Z;0.5;0.9;\"BTC,ETH\"\n"
		"b;1709296497;-0.5;0.8;['ETH']\n"
		"a;1709296498;0.1;0.1;BTC\n"
		"c;1709296499;0.2;0.2;btc|SOL\n";
	const char *acc = "date,text,Accurate Sentiments\n2024-03-01,x,0.5\n";
	struct sb_events_opts o = { .entity = "BTC" };
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	load_ok(&ev, write_text("semi.csv", text), &o, &info);
	assert_int_equal(ev.n, 2);
	assert_true(SC(ev, 0) == 0.5 && CF(ev, 0) == 0.9);
	assert_true(SC(ev, 1) == 0.2 && CF(ev, 1) == 0.2);
	assert_int_equal(info.rows, 4);
	assert_int_equal(info.duplicates, 1);
	assert_int_equal(info.rows_dropped, 1);
	sb_events_release(&ev);

	/* "Accurate Sentiments" is the second default score column; 2024-03-01 = midnight */
	o.entity = NULL;
	o.conf_mode = SB_CONF_CONST;
	o.conf_const = 1.0;
	load_ok(&ev, write_text("acc.csv", acc), &o, &info);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.t_us[0], (T_20240301_123456 - 45296) * 1000000);
	assert_true(SC(ev, 0) == 0.5 && CF(ev, 0) == 1.0);
	sb_events_release(&ev);
}

/* ---- writing ---- */

static void test_write_roundtrip(void **state)
{
	const char *text =
		"{\"published_at\":\"2024-03-01T12:34:56.000001Z\",\"sentiment_score\":0.1,\"confidence\":0.3333333333333333}\n"
		"{\"published_at\":-86400,\"sentiment_score\":-0.9999999999999999,\"confidence\":1e-300}\n"
		"{\"published_at\":1709296496,\"sentiment_score\":0.30000000000000004,\"confidence\":1}\n";
	const char *want =
		/* decimals of 10^-9: 0.30000000000000004 is the double next to 0.3, i.e. 0.3;
		 * -0.9999999999999999 and 1/3 lose digits (rounded, counted) */
		"{\"published_at\":\"1969-12-31T00:00:00Z\",\"sentiment_score\":-1,\"confidence\":0}\n"
		"{\"published_at\":\"2024-03-01T12:34:56Z\",\"sentiment_score\":0.3,\"confidence\":1}\n"
		"{\"published_at\":\"2024-03-01T12:34:56.000001Z\",\"sentiment_score\":0.1,\"confidence\":0.333333333}\n";
	struct sb_events ev, back;
	struct sb_errbuf err;
	char buf[1024];
	size_t n;
	FILE *f;
	DIR *d;
	struct dirent *e;

	(void)state;
	load_ok(&ev, write_text("rt.jsonl", text), &FIELD, NULL);
	assert_int_equal(sb_events_write_jsonl(&ev, tmp_path("rt-out.jsonl"), &err), SB_OK);
	load_ok(&back, tmp_path("rt-out.jsonl"), &FIELD, NULL);
	assert_int_equal(back.n, ev.n);
	for (size_t i = 0; i < ev.n; i++) {
		assert_int_equal(back.t_us[i], ev.t_us[i]);
		assert_int_equal(back.score_e9[i], ev.score_e9[i]);
		assert_int_equal(back.conf_e9[i], ev.conf_e9[i]);
	}
	sb_events_release(&back);

	/* exact text: shortest digits that read back exactly */
	f = fopen(tmp_path("rt-out.jsonl"), "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, want);

	/* no temporary file is left behind */
	d = opendir(tmpdir);
	assert_non_null(d);
	while ((e = readdir(d)))
		assert_null(strstr(e->d_name, ".tmp-"));
	closedir(d);

	/* an unwritable place is an error */
	assert_int_equal(sb_events_write_jsonl(&ev, tmp_path("no/such/dir.jsonl"), &err), SB_EIO);
	sb_events_release(&ev);
}

/* ---- the real news file ---- */

static bool find_shared(const char *rel, char *out, size_t size)
{
	const char *env = getenv("SENTIBT_SHARED");
	char root[512];
	const char *slash;

	if (env) {
		snprintf(out, size, "%s/%s", env, rel);
		return access(out, R_OK) == 0;
	}
	/* from the repo root (make runs tests there), else from argv[0] =
	 * <root>/build/<kind>/tests/test_events */
	snprintf(out, size, "../shared/%s", rel);
	if (access(out, R_OK) == 0)
		return true;
	slash = argv0 ? strrchr(argv0, '/') : NULL;
	if (!slash)
		return false;
	snprintf(root, sizeof(root), "%.*s", (int)(slash - argv0), argv0);
	snprintf(out, size, "%s/../../../../shared/%s", root, rel);
	return access(out, R_OK) == 0;
}

static void test_real_bitcoin_news(void **state)
{
	static const char rel[] = "crypto-sentiment-backtest/Bitcoin-Price-Prediction-Experiments__"
		"Bitcoin-Dataset-Viewer-and-Preparer/data/final_data/bitcoin_news_sentiments_21_23.csv";
	/* Facts from Python's csv module on this file: 9956 rows; min time
	 * 2021-11-05 04:42:00 (score 0.998557984828949), max 2023-12-19 05:25:00;
	 * 571 rows in [2022-06-15 03:00, 2022-07-19 20:20); 3409 positive scores; no
	 * quoted field spans lines.  Epochs from datetime(..., tzinfo=utc).timestamp(). */
	const int64_t first = INT64_C(1636087320) * 1000000, last = INT64_C(1702963500) * 1000000;
	const int64_t lo = INT64_C(1655262000) * 1000000, hi = INT64_C(1658262000) * 1000000;
	struct sb_events_opts o = { .conf_mode = SB_CONF_ABS_SCORE };
	struct sb_events ev;
	struct sb_input_info info;
	char path[1024];
	size_t in = 0, pos = 0;

	(void)state;
	if (!find_shared(rel, path, sizeof(path))) {
		printf("SKIP: real bitcoin news file not found (../shared or $SENTIBT_SHARED)\n");
		skip();
	}
	load_ok(&ev, path, &o, &info);
	assert_int_equal(ev.n, 9956);
	assert_int_equal(info.rows, 9956);
	assert_int_equal(info.rows_used, 9956);
	assert_int_equal(info.t_first_us, first);
	assert_int_equal(info.t_last_us, last);
	assert_true(SC(ev, 0) == 0.998557985);   /* 0.998557984828949, rounded to 10^-9 */
	assert_true(info.rounded > 0);
	for (size_t i = 0; i < ev.n; i++) {
		assert_true(i == 0 || ev.t_us[i - 1] <= ev.t_us[i]);
		assert_true(CF(ev, i) == fabs(SC(ev, i)));
		in += ev.t_us[i] >= lo && ev.t_us[i] < hi;
		pos += SC(ev, i) > 0;
	}
	assert_int_equal(in, 571);
	assert_int_equal(pos, 3409);
	sb_events_release(&ev);

	o.conf_mode = SB_CONF_CONST;
	o.conf_const = 0.5;
	load_ok(&ev, path, &o, &info);
	assert_int_equal(ev.n, 9956);
	for (size_t i = 0; i < ev.n; i++)
		assert_true(CF(ev, i) == 0.5);
	sb_events_release(&ev);

	/* without a confidence choice the file is refused with a hint */
	load_bad(path, &FIELD, "choose --confidence const:X");
}

/*
 * Size headers that announce more than the file holds (issue 10): msgpack-c would
 * allocate what they say (8 GB for a 22-byte file; 1.5 GB for 62 MB of nils), so they
 * are refused before it sees them, in constant memory.
 */
static void test_msgpack_hostile_sizes(void **state)
{
	static const unsigned char arr32[22] = { 0xdd, 0xff, 0xff, 0xff, 0xff,
		0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		0x80, 0x80, 0x80, 0x80 };
	static const unsigned char str32[] = { 0x81, 0xa1, 'x', 0xdb, 0xff, 0xff, 0xff, 0xf0,
					       'a', 'b', 'c' };
	static const unsigned char map32[] = { 0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0 };
	const size_t n_nils = 200000;
	unsigned char *nils = malloc(n_nils + 8);

	(void)state;
	load_bad(write_file("arr32.msgpack", (const char *)arr32, sizeof(arr32)), &FIELD,
		 "arr32.msgpack: record 1: expected a MessagePack record of at most");
	load_bad(write_file("str32.msgpack", (const char *)str32, sizeof(str32)), &FIELD,
		 "str32.msgpack: record 1: expected a MessagePack record of at most");
	load_bad(write_file("map32.msgpack", (const char *)map32, sizeof(map32)), &FIELD,
		 "map32.msgpack: record 1: expected a MessagePack record of at most");
	/* an array of 200,000 nils that is really there: more objects than a record may hold */
	assert_non_null(nils);
	nils[0] = 0x81; nils[1] = 0xa1; nils[2] = 'x'; nils[3] = 0xdd;
	nils[4] = (unsigned char)(n_nils >> 24); nils[5] = (unsigned char)(n_nils >> 16);
	nils[6] = (unsigned char)(n_nils >> 8); nils[7] = (unsigned char)n_nils;
	memset(nils + 8, 0xc0, n_nils);
	load_bad(write_file("nils.msgpack", (const char *)nils, n_nils + 8), &FIELD,
		 "nils.msgpack: record 1: expected a MessagePack record of at most");
	free(nils);
	/* the never-used byte 0xc1 */
	load_bad(write_file("c1.msgpack", "\xc1", 1), &FIELD,
		 "c1.msgpack: record 1: expected a MessagePack record");
}

/* A float32 0.7f was meant as 0.7: read as its shortest decimal, not 0.699999988. */
static void test_msgpack_float32_decimal(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "published_at"); msgpack_pack_int64(&pk, 1700000000);
	pack_str(&pk, "sentiment_score"); msgpack_pack_float(&pk, -0.3f);
	pack_str(&pk, "confidence"); msgpack_pack_float(&pk, 0.7f);
	load_ok(&ev, write_sbuf("f32.msgpack", &sb), &FIELD, &info);
	assert_int_equal(ev.score_e9[0], -300000000);
	assert_int_equal(ev.conf_e9[0], 700000000);
	assert_int_equal(info.rounded, 0);
	sb_events_release(&ev);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * A quoted news field of 80,000 lines (1 MB) loads whole; the record scan is linear
 * (it was quadratic: 79 s for 1 MB).
 */
static void test_csv_long_multiline_field(void **state)
{
	const size_t lines = 80000;
	const char *head = "date,text,sentiment_score,confidence\n2024-03-01 00:00:00,\"";
	const char *tail = "\",0.5,0.9\n2024-03-01 00:01:00,short,-0.25,0.5\n";
	size_t n = strlen(head) + lines * 13 + strlen(tail);
	char *text = malloc(n + 1), *p;
	struct sb_events ev;
	struct sb_input_info info;

	(void)state;
	assert_non_null(text);
	p = text + sprintf(text, "%s", head);
	for (size_t i = 0; i < lines; i++)
		p += sprintf(p, "%s", i % 2 ? "said \"\"x\"\"\n" : "a, b; c\tdd\n");
	sprintf(p, "%s", tail);
	load_ok(&ev, write_text("long.csv", text), &FIELD, &info);
	assert_int_equal(ev.n, 2);
	assert_int_equal(ev.score_e9[0], 500000000);
	assert_int_equal(ev.score_e9[1], -250000000);
	sb_events_release(&ev);
	free(text);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_error_empties_ev),
		cmocka_unit_test(test_time_forms),
		cmocka_unit_test(test_stable_sort),
		cmocka_unit_test(test_duplicates_and_aliases),
		cmocka_unit_test(test_entity_filter),
		cmocka_unit_test(test_range_after_rounding),
		cmocka_unit_test(test_ids_kept_apart),
		cmocka_unit_test(test_conf_modes_jsonl),
		cmocka_unit_test(test_jsonl_gz),
		cmocka_unit_test(test_msgpack),
		cmocka_unit_test(test_repeated_keys_jsonl),
		cmocka_unit_test(test_repeated_keys_msgpack),
		cmocka_unit_test(test_time_bounds),
		cmocka_unit_test(test_csv_mapping),
		cmocka_unit_test(test_csv_defaults),
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_msgpack_hostile_sizes),
		cmocka_unit_test(test_msgpack_float32_decimal),
		cmocka_unit_test(test_csv_long_multiline_field),
		cmocka_unit_test(test_real_bitcoin_news),
	};

	(void)argc;
	argv0 = argv[0];
	return cmocka_run_group_tests(tests, setup, teardown);
}
