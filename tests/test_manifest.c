/* test_manifest.c - cell comparison with tolerance, CSV/JSON diff reports, file listing */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../engine/manifest.h"
#include "../engine/results.h"

static char g_dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(g_dir, "/tmp/sb-test-manifest-XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sb_remove_tree(g_dir);
	return 0;
}

static const char *write_file(const char *name, const char *text)
{
	static char paths[4][256];
	static int k;
	char *p = paths[k++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", g_dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void test_cells(void **state)
{
	(void)state;
	assert_true(sb_cells_equal("abc", "abc", 0));
	assert_false(sb_cells_equal("abc", "abd", 0.5));          /* text: exact only */
	assert_true(sb_cells_equal("", "", 0));
	assert_false(sb_cells_equal("", "0", 1));                 /* empty = undefined */
	assert_true(sb_cells_equal("0.5", "5e-1", 0));            /* the same number */
	assert_false(sb_cells_equal("1", "1.000001", 0));
	/* |a-b| = 1e-6, max = 1.000001: relative 9.99999e-7 <= 1e-6 passes, 9e-7 not. */
	assert_true(sb_cells_equal("1", "1.000001", 1e-6));
	assert_false(sb_cells_equal("1", "1.000001", 9e-7));
	/* Signs: |-100 - -101| = 1 <= 0.01 * 101 = 1.01. */
	assert_true(sb_cells_equal("-100", "-101", 0.01));
	assert_false(sb_cells_equal("-100", "-101", 0.009));
	assert_false(sb_cells_equal("0", "1e-300", 0.5));         /* 1e-300 > 0.5e-300 */
	assert_true(sb_cells_equal("0", "1e-300", 1));            /* 1e-300 <= 1 * 1e-300 */
	assert_false(sb_cells_equal("long", "short", 0.9));
	assert_false(sb_cells_equal("1", "x1", 0.9));
}

static void test_csv_same_by_names(void **state)
{
	struct sb_diffs d = { 0 };
	struct sb_errbuf err;
	/* Columns in another order, 1.50 written as 1.5: no difference. */
	const char *a = write_file("a.csv", "id,x,y\n0,1.50,a\n1,2,b\n");
	const char *b = write_file("b.csv", "y,id,x\na,0,1.5\nb,1,2\n");

	(void)state;
	assert_int_equal(sb_compare_csv_files(a, b, "t.csv", 0, &d, &err), SB_OK);
	assert_int_equal(d.count, 0);
}

static void test_csv_report(void **state)
{
	struct sb_diffs d = { 0 };
	struct sb_errbuf err;
	const char *a = write_file("a.csv", "id,sharpe,side,gone\n0,1,long,z\n7,2.5,short,z\n");
	const char *b = write_file("b.csv", "id,sharpe,side,psr\n0,1,long,0.9\n7,2.75,long,0.8\n8,1,long,1\n");

	(void)state;
	assert_int_equal(sb_compare_csv_files(a, b, "summary.csv", 0, &d, &err), SB_OK);
	assert_int_equal(d.count, 5);
	assert_string_equal(d.lines[0], "summary.csv: column 'gone' is missing");
	assert_string_equal(d.lines[1], "summary.csv: column 'psr' is new");
	assert_string_equal(d.lines[2], "summary.csv: row 2 (id 7), column 'sharpe': was '2.5', now '2.75'");
	assert_string_equal(d.lines[3], "summary.csv: row 2 (id 7), column 'side': was 'short', now 'long'");
	assert_string_equal(d.lines[4], "summary.csv: 3 data rows, was 2 (rows from 3 are new)");

	/* 2.75 vs 2.5: |d| = 0.25 <= 0.1 * 2.75 = 0.275, so only the text cell remains. */
	memset(&d, 0, sizeof(d));
	a = write_file("a.csv", "id,sharpe,side\n0,1,long\n7,2.5,short\n");
	b = write_file("b.csv", "id,sharpe,side\n0,1,long\n7,2.75,long\n");
	assert_int_equal(sb_compare_csv_files(a, b, "s", 0.1, &d, &err), SB_OK);
	assert_int_equal(d.count, 1);
	assert_string_equal(d.lines[0], "s: row 2 (id 7), column 'side': was 'short', now 'long'");
}

static void test_csv_rows_missing_no_id(void **state)
{
	struct sb_diffs d = { 0 };
	struct sb_errbuf err;
	const char *a = write_file("a.csv", "t,v\n1,1\n2,2\n3,3\n4,4\n");
	const char *b = write_file("b.csv", "t,v\n1,1\n2,9\n");

	(void)state;
	assert_int_equal(sb_compare_csv_files(a, b, "equity.csv", 0, &d, &err), SB_OK);
	assert_int_equal(d.count, 2);
	assert_string_equal(d.lines[0], "equity.csv: row 2, column 'v': was '2', now '9'");
	assert_string_equal(d.lines[1], "equity.csv: 2 data rows, was 4 (rows from 3 missing)");
}

static void test_csv_cap(void **state)
{
	struct sb_diffs d = { 0 };
	struct sb_errbuf err;
	char ta[4096] = "id,v\n", tb[4096] = "id,v\n";
	const char *a, *b;

	(void)state;
	for (int i = 0; i < 30; i++) {
		snprintf(ta + strlen(ta), sizeof(ta) - strlen(ta), "%d,%d\n", i, i);
		snprintf(tb + strlen(tb), sizeof(tb) - strlen(tb), "%d,%d\n", i, i + 1);
	}
	a = write_file("a.csv", ta);
	b = write_file("b.csv", tb);
	assert_int_equal(sb_compare_csv_files(a, b, "c", 0, &d, &err), SB_OK);
	assert_int_equal(d.count, 30);
	assert_int_equal(d.n_lines, SB_DIFF_LINES);
	assert_string_equal(d.lines[19], "c: row 20 (id 19), column 'v': was '19', now '20'");
}

static void test_csv_unreadable(void **state)
{
	struct sb_diffs d = { 0 };
	struct sb_errbuf err = { "" };
	const char *a = write_file("a.csv", "id\n");
	char missing[300];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/none.csv", g_dir);
	assert_int_not_equal(sb_compare_csv_files(a, missing, "x", 0, &d, &err), SB_OK);
	assert_non_null(strstr(err.msg, "none.csv"));
}

static void test_json(void **state)
{
	struct sb_diffs d = { 0 };
	struct sb_errbuf err;
	const char *a = write_file("a.json", "{\"sharpe\": 1.5, \"trades\": 3, \"x\": null, \"old\": 1}");
	const char *b = write_file("b.json", "{\"sharpe\": 1.5000001, \"trades\": 3, \"x\": null, \"dsr\": 0.5}");

	(void)state;
	assert_int_equal(sb_compare_json_files(a, b, "metrics.json", 0, &d, &err), SB_OK);
	assert_int_equal(d.count, 3);
	assert_string_equal(d.lines[0], "metrics.json: 'sharpe': was 1.5, now 1.5000001");
	assert_string_equal(d.lines[1], "metrics.json: 'old' is missing");
	assert_string_equal(d.lines[2], "metrics.json: 'dsr' is new");
	memset(&d, 0, sizeof(d));
	/* 1e-7 / 1.5000001 = 6.7e-8 <= 1e-7 */
	a = write_file("a.json", "{\"sharpe\": 1.5, \"x\": null}");
	b = write_file("b.json", "{\"sharpe\": 1.5000001, \"x\": null}");
	assert_int_equal(sb_compare_json_files(a, b, "m", 1e-7, &d, &err), SB_OK);
	assert_int_equal(d.count, 0);
}

static void test_dirs(void **state)
{
	struct sb_diffs d = { 0 };
	struct sb_errbuf err;
	char o[300], n[300];
	char **paths;
	size_t np;

	(void)state;
	snprintf(o, sizeof(o), "%s/o/sub", g_dir);
	assert_int_equal(sb_mkdirs(o, &err), SB_OK);
	snprintf(n, sizeof(n), "%s/n/sub", g_dir);
	assert_int_equal(sb_mkdirs(n, &err), SB_OK);
	write_file("o/manifest.json", "{}");
	write_file("o/b.txt", "same");
	write_file("o/sub/a.csv", "id,v\n1,2\n");
	write_file("o/gone.txt", "x");
	write_file("n/manifest.json", "{\"other\": 1}");
	write_file("n/b.txt", "diff");
	write_file("n/sub/a.csv", "id,v\n1,2\n");
	write_file("n/new.txt", "x");
	snprintf(o, sizeof(o), "%s/o", g_dir);
	snprintf(n, sizeof(n), "%s/n", g_dir);
	assert_int_equal(sb_list_files(o, &paths, &np, &err), SB_OK);
	assert_int_equal(np, 3);
	assert_string_equal(paths[0], "b.txt");
	assert_string_equal(paths[1], "gone.txt");
	assert_string_equal(paths[2], "sub/a.csv");
	sb_free_paths(paths, np);
	assert_int_equal(sb_compare_dirs(o, n, 0, &d, &err), SB_OK);
	assert_int_equal(d.count, 3);
	assert_string_equal(d.lines[0], "b.txt: contents differ");
	assert_string_equal(d.lines[1], "gone.txt: missing from the re-run");
	assert_string_equal(d.lines[2], "new.txt: new in the re-run (not in the result folder)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_csv_same_by_names),
		cmocka_unit_test(test_csv_report),
		cmocka_unit_test(test_csv_rows_missing_no_id),
		cmocka_unit_test(test_csv_cap),
		cmocka_unit_test(test_csv_unreadable),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_dirs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
