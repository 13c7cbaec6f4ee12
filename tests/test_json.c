/* test_json.c - core/json: parsing with a length, reading, building exactly, writing */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../core/json.h"
#include "testutil.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* sb_json_parse() of a C string */
static struct sb_json *P(const char *s)
{
	return sb_json_parse(s, strlen(s));
}

static void tmp_path(const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", tu_tmpdir, name);
}

static void test_parse_length(void **state)
{
	/* The length bounds the text: no NUL needed, and what follows is not read. */
	const char text[] = "{\"a\":1}{\"b\":2}";
	struct sb_json *j = sb_json_parse(text, 7);

	(void)state;
	assert_true(sb_json_is_object(j));
	assert_true(sb_json_number(sb_json_get(j, "a")) == 1.0);
	sb_json_free(j);
	assert_null(sb_json_parse(text, sizeof(text) - 1));          /* two values */
	assert_null(sb_json_parse(text, 6));                         /* cut short */
	j = P(" \t[1, 2]\r\n ");                      /* whitespace around */
	assert_true(sb_json_is_array(j));
	assert_int_equal(sb_json_size(j), 2);
	sb_json_free(j);
	assert_null(P("{} x"));
	assert_null(sb_json_parse("", 0));
	assert_null(P("NaN"));
	assert_null(P("{\"a\":1,}"));
	j = P("\"x\"");
	assert_string_equal(sb_json_string(j), "x");
	sb_json_free(j);
}

static void test_read(void **state)
{
	const char *text = "{\"s\":\"h\\u00e9\\n\",\"n\":-2.5e3,\"t\":true,\"z\":null,"
			   "\"a\":[\"x\",3],\"o\":{\"k\":1},\"s\":\"again\",\"big\":1e999}";
	struct sb_json *j = sb_json_parse(text, strlen(text));
	const struct sb_json *e;
	const char *keys[16];
	size_t n = 0;
	uint64_t u;

	(void)state;
	assert_non_null(j);
	assert_string_equal(sb_json_string(sb_json_get(j, "s")), "h\xc3\xa9\n");   /* the first */
	assert_null(sb_json_get(j, "S"));                                           /* case */
	assert_true(sb_json_number(sb_json_get(j, "n")) == -2500.0);
	assert_true(isinf(sb_json_number(sb_json_get(j, "big"))));
	assert_true(sb_json_is_true(sb_json_get(j, "t")));
	assert_true(sb_json_is_null(sb_json_get(j, "z")));
	assert_false(sb_json_is_null(sb_json_get(j, "missing")));
	/* wrong types and NULL answer "no" */
	assert_null(sb_json_string(sb_json_get(j, "n")));
	IS_NAN(sb_json_number(sb_json_get(j, "s")));
	IS_NAN(sb_json_number(NULL));
	assert_null(sb_json_get(sb_json_get(j, "a"), "x"));
	assert_null(sb_json_get(NULL, "x"));
	assert_null(sb_json_first(sb_json_get(j, "s")));
	assert_int_equal(sb_json_size(sb_json_get(j, "n")), 0);
	/* members in file order, repeated keys included */
	SB_JSON_FOR_EACH(e, j)
		keys[n++] = sb_json_key(e);
	assert_int_equal(n, 8);
	assert_string_equal(keys[0], "s");
	assert_string_equal(keys[6], "s");
	assert_int_equal(sb_json_size(j), 8);
	n = 0;
	SB_JSON_FOR_EACH(e, sb_json_get(j, "a")) {
		assert_null(sb_json_key(e));
		n++;
	}
	assert_int_equal(n, 2);
	assert_true(sb_json_u64(sb_json_get(sb_json_get(j, "o"), "k"), &u) && u == 1);
	assert_false(sb_json_u64(sb_json_get(j, "n"), &u));
	assert_false(sb_json_u64(sb_json_get(j, "big"), &u));
	assert_false(sb_json_u64(sb_json_get(j, "s"), &u));
	sb_json_free(j);
}

static void test_u64_and_equal(void **state)
{
	struct sb_json *a = P("[9007199254740992, 0, 0.5, -1, 1e20]");
	struct sb_json *b = P("{\"x\":[1,\"2\"],\"y\":null}");
	struct sb_json *c = P("{\"y\":null,\"x\":[1.0,\"2\"]}");
	struct sb_json *d = P("{\"y\":null,\"x\":[1,2]}");
	const struct sb_json *e = sb_json_first(a);
	uint64_t u;

	(void)state;
	assert_true(sb_json_u64(e, &u) && u == UINT64_C(9007199254740992));
	assert_true(sb_json_u64(e = sb_json_next(e), &u) && u == 0);
	assert_false(sb_json_u64(e = sb_json_next(e), &u));
	assert_false(sb_json_u64(e = sb_json_next(e), &u));
	assert_false(sb_json_u64(sb_json_next(e), &u));       /* 1e20 >= 2^64 */
	assert_true(sb_json_equal(b, c));
	assert_false(sb_json_equal(b, d));
	assert_false(sb_json_equal(b, NULL));
	sb_json_free(a);
	sb_json_free(b);
	sb_json_free(c);
	sb_json_free(d);
}

/* The bytes sb_json_write() gives: cJSON_Print's tabs, then a newline. */
static void test_build_exact(void **state)
{
	struct sb_json *o = sb_json_new_object(), *a, *p;
	char path[PATH_MAX], *text;

	(void)state;
	assert_non_null(o);
	assert_true(sb_json_add_num(o, "tenth", 0.1));
	assert_true(sb_json_add_num(o, "third", 1.0 / 3.0));
	assert_true(sb_json_add_num(o, "big", 1e300));
	assert_true(sb_json_add_num(o, "nan", NAN));
	assert_true(sb_json_add_num(o, "inf", -INFINITY));
	assert_true(sb_json_add_num_text(o, "dec", "0.820"));
	assert_true(sb_json_add_u64(o, "u", UINT64_MAX));
	assert_true(sb_json_add_str(o, "s", "a\"b\\c\n"));
	assert_true(sb_json_add_str(o, "none", NULL));
	assert_true(sb_json_add_bool(o, "yes", true));
	a = sb_json_add_array(o, "arr");
	assert_non_null(a);
	assert_true(sb_json_add_str(a, NULL, "x"));
	assert_true(sb_json_add_u64(a, NULL, 7));
	p = sb_json_add_object(a, NULL);
	assert_true(sb_json_add_null(p, "n"));
	assert_true(sb_json_add(o, "sub", sb_json_new_array()));
	tmp_path("exact.json", path);
	assert_int_equal(sb_json_write(path, o, 0, NULL), SB_OK);
	text = slurp(path);
	assert_string_equal(text,
			    "{\n"
			    "\t\"tenth\":\t0.1,\n"
			    "\t\"third\":\t0.3333333333333333,\n"
			    "\t\"big\":\t1e+300,\n"
			    "\t\"nan\":\tnull,\n"
			    "\t\"inf\":\tnull,\n"
			    "\t\"dec\":\t0.820,\n"
			    "\t\"u\":\t18446744073709551615,\n"
			    "\t\"s\":\t\"a\\\"b\\\\c\\n\",\n"
			    "\t\"none\":\tnull,\n"
			    "\t\"yes\":\ttrue,\n"
			    "\t\"arr\":\t[\"x\", 7, {\n"
			    "\t\t\t\"n\":\tnull\n"
			    "\t\t}],\n"
			    "\t\"sub\":\t[]\n"
			    "}\n");
	free(text);
	/* and it reads back exactly */
	{
		struct sb_json *j;

		assert_int_equal(sb_json_load(path, 0, &j, NULL), SB_OK);
		assert_true(sb_json_number(sb_json_get(j, "third")) == 1.0 / 3.0);
		assert_true(sb_json_number(sb_json_get(j, "tenth")) == 0.1);
		text = sb_json_print(sb_json_get(j, "arr"), false);
		assert_string_equal(text, "[\"x\",7,{\"n\":null}]");
		free(text);
		sb_json_free(j);
	}
}

static void test_incomplete(void **state)
{
	struct sb_json *o = sb_json_new_object(), *a;
	char path[PATH_MAX];
	struct sb_errbuf e;
	FILE *f;

	(void)state;
	/* Not a JSON number, a key in an array, no key in an object: refused and remembered. */
	assert_false(sb_json_add_num_text(o, "x", "0x10"));
	tmp_path("incomplete.json", path);
	assert_int_equal(sb_json_write(path, o, 0, &e), SB_ENOMEM);
	assert_null(f = fopen(path, "r"));
	o = sb_json_new_object();
	a = sb_json_add_array(o, "a");
	assert_false(sb_json_add_str(a, "k", "v"));
	assert_false(sb_json_add_str(o, NULL, "v"));
	assert_int_equal(sb_json_write(path, o, 0, &e), SB_ENOMEM);
	assert_null(f = fopen(path, "r"));
	/* NULL containers: nothing added, nothing crashes */
	assert_false(sb_json_add_u64(NULL, "k", 1));
	assert_null(sb_json_add_object(NULL, "k"));
	assert_false(sb_json_add(NULL, "k", sb_json_new_object()));   /* freed */
	assert_int_equal(sb_json_write(path, NULL, 0, &e), SB_ENOMEM);
	assert_string_equal(e.msg, "out of memory");
	for (const char *bad = "-,01,1.,.5,1e,+1,1.5e+,--1,"; *bad; ) {
		char one[8];
		size_t n = strcspn(bad, ",");

		memcpy(one, bad, n);
		one[n] = '\0';
		o = sb_json_new_object();
		if (sb_json_add_num_text(o, "x", one)) {
			print_error("'%s' taken as a JSON number\n", one);
			fail();
		}
		sb_json_free(o);
		bad += n + 1;
	}
	o = sb_json_new_object();
	assert_true(sb_json_add_num_text(o, "x", "-0.5e-7"));
	assert_true(sb_json_add_num_text(o, "y", "10E+2"));
	sb_json_free(o);
}

static void test_atomic_and_load(void **state)
{
	struct sb_json *o = sb_json_new_object(), *j;
	char path[PATH_MAX], *text;
	struct sb_errbuf e;
	struct dirent *d;
	DIR *dir;

	(void)state;
	tmp_path("meta.json", path);
	sb_json_add_str(o, "url", "http://x/y");
	sb_json_add_u64(o, "size", 12);
	assert_int_equal(sb_json_write(path, o, SB_JSON_ATOMIC, &e), SB_OK);
	text = slurp(path);
	assert_string_equal(text, "{\n\t\"url\":\t\"http://x/y\",\n\t\"size\":\t12\n}\n");
	free(text);
	dir = opendir(tu_tmpdir);
	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL)
		assert_null(strstr(d->d_name, ".tmp-"));
	closedir(dir);
	/* the one-line format of earlier versions reads the same */
	tu_write_text("old.meta", "{\"url\": \"http://x/\\\"y\\u0001\", \"etag\": \"\\\"abc\\\"\", "
		      "\"last_modified\": \"\", \"size\": 12}\n", false, path);
	assert_int_equal(sb_json_load(path, 1 << 20, &j, &e), SB_OK);
	assert_string_equal(sb_json_string(sb_json_get(j, "url")), "http://x/\"y\x01");
	assert_string_equal(sb_json_string(sb_json_get(j, "etag")), "\"abc\"");
	sb_json_free(j);
	/* errors */
	tmp_path("absent.json", path);
	assert_int_equal(sb_json_load(path, 0, &j, &e), SB_EIO);
	assert_null(j);
	assert_non_null(strstr(e.msg, "absent.json: cannot open: "));
	tu_write_text("bad.json", "{\"a\":1} trailing\n", false, path);
	assert_int_equal(sb_json_load(path, 0, &j, &e), SB_EPARSE);
	assert_non_null(strstr(e.msg, "bad.json: expected JSON"));
	tu_write_text("big.json", "[1, 2, 3, 4, 5, 6, 7, 8, 9]", false, path);
	assert_int_equal(sb_json_load(path, 8, &j, &e), SB_EIO);
	assert_non_null(strstr(e.msg, "big.json: larger than 8 bytes"));
	assert_int_equal(sb_json_load(path, 27, &j, &e), SB_OK);
	assert_int_equal(sb_json_size(j), 9);
	sb_json_free(j);
	tmp_path("no/such/dir/x.json", path);
	assert_int_equal(sb_json_write(path, sb_json_new_object(), SB_JSON_ATOMIC, &e), SB_EIO);
	assert_non_null(strstr(e.msg, "x.json.tmp-"));
	assert_non_null(strstr(e.msg, "cannot create a temporary file: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_length),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_u64_and_equal),
		cmocka_unit_test(test_build_exact),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_atomic_and_load),
	};

	return cmocka_run_group_tests(tests, tu_tmpdir_setup, tu_tmpdir_teardown);
}
