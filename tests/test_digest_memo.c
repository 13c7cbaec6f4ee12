/* test_digest_memo.c - input digests remembered by file identity and times, never wrong */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "../loaders/digest_memo.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The digest through the memo, checked against hashing the file afresh. */
static bool memo_digest(const char *dir, const char *path, char hex[SB_SHA256_HEX])
{
	char want[SB_SHA256_HEX];
	struct sb_errbuf err = { "" };
	bool hit = true;

	if (sb_digest_memo_file(dir, path, hex, &hit, &err))
		fail_msg("sb_digest_memo_file(%s): %s", path, err.msg);
	if (sb_sha256_file(path, want, NULL, &err))
		fail_msg("sb_sha256_file(%s): %s", path, err.msg);
	assert_string_equal(hex, want);
	return hit;
}

static int records_in(const char *memo)
{
	char sub[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(sub, sizeof(sub), "%.3000s/digests", memo);
	if (!(d = opendir(sub)))
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The record of 'path' (its name is the device and inode in hex). */
static void record_of(const char *memo, const char *path, char out[PATH_MAX])
{
	struct stat st;
	int n;

	assert_int_equal(stat(path, &st), 0);
	n = snprintf(out, PATH_MAX, "%.3000s/digests/%llx-%llx", memo,
		     (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	assert_true(n > 0 && n < PATH_MAX);
}

/* Rewrites the file in place with other bytes of the same length and its old mtime. */
static void rewrite_same_size(const char *path, const char *text)
{
	struct stat st;
	struct timespec times[2];
	int fd;

	assert_int_equal(stat(path, &st), 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(futimens(fd, times), 0);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, times[1].tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, times[1].tv_nsec);
}

/*
 * One pass through every rule, with one wait of SB_DIGEST_SETTLE_S + 1 s so that the
 * files are old enough to be recorded:
 *   - no memo folder: hashed, nothing recorded;
 *   - a file written just now: hashed, not recorded (a write in the same tick could
 *     share its times);
 *   - a settled file: recorded, then found;
 *   - the same file rewritten with other bytes of the same size and its old mtime:
 *     its change time moved, so the memo misses and the new digest is given;
 *   - a damaged record, and a record of another file put in its place: misses.
 */
static void test_memo_rules(void **state)
{
	char memo[PATH_MAX], a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], rec[PATH_MAX];
	char other[PATH_MAX], hex[SB_SHA256_HEX], first[SB_SHA256_HEX], text[600];
	FILE *f;
	size_t n;

	(void)state;
	if (!sb_digest_memo_trusted(tu_tmpdir)) {
		print_message("SKIP: %s is not on a file system whose times the memo trusts\n",
			      tu_tmpdir);
		skip();
	}
	snprintf(memo, sizeof(memo), "%.1000s/memo", tu_tmpdir);
	tu_write_text("a.csv", "timestamp,open,high,low,close,volume\n1,1,1,1,1,1\n", false, a);
	tu_write_text("b.csv", "timestamp,open,high,low,close,volume\n2,2,2,2,2,2\n", false, b);
	tu_write_text("c.csv", "timestamp,open,high,low,close,volume\n3,3,3,3,3,3\n", false, c);

	assert_false(memo_digest(NULL, a, hex));
	assert_false(memo_digest("", a, hex));
	assert_false(memo_digest(memo, a, hex));          /* too fresh to be recorded */
	assert_false(memo_digest(memo, a, hex));
	assert_int_equal(records_in(memo), 0);

	sleep(SB_DIGEST_SETTLE_S + 1);
	assert_false(memo_digest(memo, a, first));
	assert_true(memo_digest(memo, a, hex));
	assert_string_equal(hex, first);
	assert_false(memo_digest(memo, b, hex));
	assert_false(memo_digest(memo, c, hex));
	assert_int_equal(records_in(memo), 3);

	/* same size, same mtime, other bytes: the change time tells */
	rewrite_same_size(a, "timestamp,open,high,low,close,volume\n9,9,9,9,9,9\n");
	assert_false(memo_digest(memo, a, hex));
	assert_string_not_equal(hex, first);

	/* a damaged record: one digit of its digest changed */
	record_of(memo, b, rec);
	assert_non_null(f = fopen(rec, "r+"));
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	{
		char *d = strstr(text, "sha256=");

		assert_non_null(d);
		d[7] = d[7] == '0' ? '1' : '0';
	}
	rewind(f);
	fwrite(text, 1, n, f);
	fclose(f);
	assert_false(memo_digest(memo, b, hex));

	/* c's record in b's place: the identity does not match */
	record_of(memo, c, other);
	assert_true(memo_digest(memo, c, hex));
	assert_non_null(f = fopen(other, "r"));
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	assert_non_null(f = fopen(rec, "w"));
	fwrite(text, 1, n, f);
	fclose(f);
	assert_false(memo_digest(memo, b, hex));
}

/* What cannot be hashed is refused as sb_sha256_file() refuses it, memo or not. */
static void test_memo_refuses_what_hashing_refuses(void **state)
{
	char memo[PATH_MAX], hex[SB_SHA256_HEX], missing[PATH_MAX];
	struct sb_errbuf err = { "" };

	(void)state;
	snprintf(memo, sizeof(memo), "%.1000s/memo", tu_tmpdir);
	snprintf(missing, sizeof(missing), "%.1000s/no-such-file.csv", tu_tmpdir);
	assert_int_equal(sb_digest_memo_file(memo, missing, hex, NULL, &err), SB_EIO);
	assert_non_null(strstr(err.msg, "no-such-file.csv"));
	assert_int_equal(sb_digest_memo_file(memo, "/dev/zero", hex, NULL, &err), SB_EINVAL);
	assert_int_equal(sb_digest_memo_file(memo, tu_tmpdir, hex, NULL, &err), SB_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memo_rules),
		cmocka_unit_test(test_memo_refuses_what_hashing_refuses),
	};

	return cmocka_run_group_tests_name("digest_memo", tests, tu_tmpdir_setup,
					   tu_tmpdir_teardown);
}
