/* test_textio.c - the line reader, CSV splitting, strict parsers and time helpers, by hand */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "../loaders/textio.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* 2024-03-01T00:00:00Z: 54 years 1970..2023 with 13 leap days = 19723 days, plus
 * January (31) and February 2024 (29) = 19783 days; x 86400 = 1709251200 s. */
#define MAR1_S INT64_C(1709251200)
#define US SB_US_PER_SEC

/* Reads all of 'path' and checks the lines are exactly want[0..n). */
static void expect_lines(const char *path, const char *const *want, size_t n)
{
	struct sb_lines l;
	struct sb_errbuf err = { "" };

	assert_int_equal(sb_lines_open(&l, path, &err), SB_OK);
	for (size_t i = 0; i < n; i++) {
		int r = sb_lines_next(&l, &err);

		if (r != 1)
			fail_msg("%s: line %zu: got %d (%s), expected '%s'", path, i + 1, r, err.msg,
				 want[i]);
		assert_string_equal(l.buf, want[i]);
		assert_int_equal(l.len, strlen(want[i]));
		assert_int_equal(l.lineno, i + 1);
	}
	assert_int_equal(sb_lines_next(&l, &err), 0);
	assert_int_equal(sb_lines_next(&l, &err), 0);     /* end of file stays the end */
	sb_lines_close(&l);
	sb_lines_close(&l);                              /* safe twice */
}

/* Reads 'path' to the end and expects an error whose message holds each of want[]. */
static void expect_read_error(const char *path, const char *want1, const char *want2)
{
	struct sb_lines l;
	struct sb_errbuf err = { "" };
	int r;
	long lines = 0;

	assert_int_equal(sb_lines_open(&l, path, &err), SB_OK);
	while ((r = sb_lines_next(&l, &err)) == 1)
		lines++;
	sb_lines_close(&l);
	if (r != -1)
		fail_msg("%s: read %ld lines and ended with %d, expected an error", path, lines, r);
	if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
		fail_msg("%s: message '%s' lacks '%s' / '%s'", path, err.msg, want1,
			 want2 ? want2 : "");
}

static void test_lines_plain_and_gzip(void **state)
{
	static const char *const ab[] = { "a,b", "", "c" };
	static const char *const hdr[] = { "h1,h2", "\xef\xbb\xbfx" };
	char p[PATH_MAX];

	(void)state;
	tu_write_text("plain.csv", "a,b\n\nc\n", false, p);
	assert_false(sb_file_is_gzip(p));
	expect_lines(p, ab, 3);
	tu_write_text("plain.csv.gz", "a,b\n\nc\n", true, p);
	assert_true(sb_file_is_gzip(p));
	expect_lines(p, ab, 3);
	/* a gzip'd file under a plain name is still read as gzip (magic, not name) */
	tu_write_text("disguised.csv", "a,b\n\nc\n", true, p);
	assert_true(sb_file_is_gzip(p));
	expect_lines(p, ab, 3);
	tu_write_text("crlf.csv", "a,b\r\n\r\nc\r\n", false, p);
	expect_lines(p, ab, 3);
	tu_write_text("crlf.csv.gz", "a,b\r\n\r\nc\r\n", true, p);
	expect_lines(p, ab, 3);
	tu_write_text("nonl.csv", "a,b\n\nc", false, p);
	expect_lines(p, ab, 3);
	tu_write_text("nonl.csv.gz", "a,b\n\nc", true, p);
	expect_lines(p, ab, 3);
	/* a BOM is dropped on line 1 only */
	tu_write_text("bom.csv", "\xef\xbb\xbfh1,h2\r\n\xef\xbb\xbfx\n", false, p);
	expect_lines(p, hdr, 2);
	tu_write_text("bom.csv.gz", "\xef\xbb\xbfh1,h2\n\xef\xbb\xbfx", true, p);
	expect_lines(p, hdr, 2);
	tu_write_text("empty.csv", "", false, p);
	expect_lines(p, NULL, 0);
	tu_write_text("empty.csv.gz", "", true, p);
	expect_lines(p, NULL, 0);
}

static void test_lines_missing_file(void **state)
{
	struct sb_lines l;
	struct sb_errbuf err = { "" };
	char p[PATH_MAX];

	(void)state;
	snprintf(p, sizeof(p), "%s/no-such-file.csv", tu_tmpdir);
	assert_int_equal(sb_lines_open(&l, p, &err), SB_EIO);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "cannot open"));
	sb_lines_close(&l);
}

/* Lines of SB_LINE_MAX - 1 bytes are read; SB_LINE_MAX bytes is "path:line: ..." */
static void test_lines_too_long(void **state)
{
	size_t n = 4 + (SB_LINE_MAX - 1) + 1;
	char *text = malloc(n + SB_LINE_MAX + 1);
	char p[PATH_MAX], want[PATH_MAX + 16];
	struct sb_lines l;
	struct sb_errbuf err = { "" };

	(void)state;
	assert_non_null(text);
	memcpy(text, "hdr\n", 4);
	memset(text + 4, 'x', SB_LINE_MAX - 1);
	text[n - 1] = '\n';
	tu_write_bytes("longest.csv", text, n, false, p);
	assert_int_equal(sb_lines_open(&l, p, &err), SB_OK);
	assert_int_equal(sb_lines_next(&l, &err), 1);
	assert_int_equal(sb_lines_next(&l, &err), 1);
	assert_int_equal(l.len, SB_LINE_MAX - 1);
	assert_int_equal(sb_lines_next(&l, &err), 0);
	sb_lines_close(&l);

	/* one byte more on line 2 */
	memset(text + 4, 'y', SB_LINE_MAX);
	text[4 + SB_LINE_MAX] = '\n';
	for (int gz = 0; gz <= 1; gz++) {
		tu_write_bytes(gz ? "toolong.csv.gz" : "toolong.csv", text, 4 + SB_LINE_MAX + 1,
			    gz, p);
		snprintf(want, sizeof(want), "%s:2: ", p);
		expect_read_error(p, want, "expected a line shorter than");
	}
	free(text);
}

/* n numbered lines "line <i>,<i*7>\n" in a malloc'd buffer of *len bytes. */
static char *numbered_lines(int n, size_t *len)
{
	char *buf = malloc((size_t)n * 32 + 1);
	size_t off = 0;

	assert_non_null(buf);
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, 32, "line %d,%d\n", i, i * 7);
	*len = off;
	return buf;
}

static long file_size(const char *p)
{
	FILE *f = fopen(p, "rb");
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	fclose(f);
	return n;
}

static void test_lines_damaged_gzip(void **state)
{
	size_t len;
	char *text = numbered_lines(20000, &len);
	char full[PATH_MAX], cut[PATH_MAX], crc[PATH_MAX], notrailer[PATH_MAX];
	long size;

	(void)state;
	tu_write_bytes("full.csv.gz", text, len, true, full);
	free(text);
	size = file_size(full);
	assert_true(size > 1000);

	snprintf(cut, sizeof(cut), "%s/cut.csv.gz", tu_tmpdir);
	tu_copy_cut(full, cut, size / 2, -1);
	expect_read_error(cut, cut, "truncated or corrupt");

	/* only the 8-byte trailer (CRC-32, length) missing: still truncated */
	snprintf(notrailer, sizeof(notrailer), "%s/notrailer.csv.gz", tu_tmpdir);
	tu_copy_cut(full, notrailer, size - 8, -1);
	expect_read_error(notrailer, notrailer, "truncated or corrupt");

	/* every byte there, but the CRC-32 (trailer bytes -8..-5) is wrong */
	snprintf(crc, sizeof(crc), "%s/badcrc.csv.gz", tu_tmpdir);
	tu_copy_cut(full, crc, size, size - 8);
	expect_read_error(crc, crc, "truncated or corrupt");
}

/* Writes dst = the bytes of src1 (and src2 if not NULL), then n bytes of 'tail'. */
static void concat(const char *dst, const char *src1, const char *src2, const void *tail,
		   size_t n)
{
	const char *srcs[2] = { src1, src2 };
	FILE *g = fopen(dst, "wb");
	int ch;

	assert_non_null(g);
	for (int i = 0; i < 2 && srcs[i]; i++) {
		FILE *f = fopen(srcs[i], "rb");

		assert_non_null(f);
		while ((ch = fgetc(f)) != EOF)
			fputc(ch, g);
		fclose(f);
	}
	if (n)
		assert_int_equal(fwrite(tail, 1, n, g), n);
	assert_int_equal(fclose(g), 0);
}

/* Reads 'path' to the end: n_lines lines, then an error naming 'ntrail' trailing bytes. */
static void expect_trailing(const char *path, long n_lines, unsigned long long ntrail)
{
	struct sb_lines l;
	struct sb_errbuf err = { "" };
	char want[PATH_MAX + 128];
	long lines = 0;
	int r;

	assert_int_equal(sb_lines_open(&l, path, &err), SB_OK);
	while ((r = sb_lines_next(&l, &err)) == 1)
		lines++;
	sb_lines_close(&l);
	assert_int_equal(r, -1);
	assert_int_equal(lines, n_lines);
	snprintf(want, sizeof(want),
		 "%s: expected end of file after the gzip stream, got %llu trailing bytes", path,
		 ntrail);
	assert_string_equal(err.msg, want);
}

/*
 * A NUL byte cuts a C string: anything after it in the line would be silently lost,
 * so the reader refuses the line, plain or gzip'd, in the middle of a buffer or at
 * the very end of a file without a newline, and reads the lines before it.
 */
static void test_lines_nul_byte(void **state)
{
	static const struct { const char *name; const char *text; size_t n; unsigned line, byte; } cases[] = {
		{ "nul_mid.csv", "a,b\n1,2\0,3\n4,5\n", 14, 2, 4 },
		{ "nul_first.csv", "\0a,b\n", 5, 1, 1 },
		{ "nul_last.csv", "a,b\n1,2\n3\0", 11, 3, 2 },
		{ "nul_crlf.csv", "a,b\r\n\r\0\n", 8, 2, 2 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int gz = 0; gz <= 1; gz++) {
			char p[PATH_MAX], name[64], want[PATH_MAX + 160];
			struct sb_lines l;
			struct sb_errbuf err = { "" };
			unsigned good = 0;
			int r;

			snprintf(name, sizeof(name), "%s%s", cases[i].name, gz ? ".gz" : "");
			tu_write_bytes(name, cases[i].text, cases[i].n, gz, p);
			assert_int_equal(sb_lines_open(&l, p, &err), SB_OK);
			while ((r = sb_lines_next(&l, &err)) == 1)
				good++;
			sb_lines_close(&l);
			assert_int_equal(r, -1);
			assert_int_equal(good, cases[i].line - 1);
			snprintf(want, sizeof(want),
				 "%s:%u: expected text, got an unexpected NUL byte at byte %u of the line (a binary or damaged file?)",
				 p, cases[i].line, cases[i].byte);
			assert_string_equal(err.msg, want);
		}
	}
}

/* A NUL after the 128 KiB buffer boundary, in a line that spans two buffers. */
static void test_lines_nul_across_buffers(void **state)
{
	size_t n = (1u << 17) + 4096;
	char *text = malloc(n), p[PATH_MAX];
	struct sb_lines l;
	struct sb_errbuf err = { "" };

	(void)state;
	assert_non_null(text);
	memcpy(text, "h\n", 2);
	memset(text + 2, 'x', n - 3);
	text[(1u << 17) + 100] = '\0';
	text[n - 1] = '\n';
	tu_write_bytes("nul_span.csv", text, n, false, p);
	free(text);
	assert_int_equal(sb_lines_open(&l, p, &err), SB_OK);
	assert_int_equal(sb_lines_next(&l, &err), 1);
	assert_int_equal(sb_lines_next(&l, &err), -1);
	sb_lines_close(&l);
	assert_non_null(strstr(err.msg, ":2: expected text, got an unexpected NUL byte at byte 131171 "));
}

/*
 * Only regular files and pipes are read: /dev/zero would never end, a folder has no
 * lines.  Refused before a byte is read, naming the path and what it is.
 */
static void test_lines_not_a_file(void **state)
{
	struct sb_lines l;
	struct sb_errbuf err = { "" };

	(void)state;
	assert_int_equal(sb_lines_open(&l, "/dev/zero", &err), SB_EINVAL);
	assert_string_equal(err.msg, "/dev/zero: expected a regular file or a pipe, got a character device");
	sb_lines_close(&l);
	assert_int_equal(sb_lines_open(&l, tu_tmpdir, &err), SB_EINVAL);
	assert_non_null(strstr(err.msg, "expected a regular file or a pipe, got a directory"));
	sb_lines_close(&l);
	assert_false(sb_file_is_gzip("/dev/zero"));
	assert_false(sb_file_is_gzip(tu_tmpdir));
}

/*
 * A FIFO is read once, front to back: sb_file_is_gzip() does not peek at it (that
 * would eat bytes the reader needs), and the line reader gets every line.
 */
static void test_lines_fifo(void **state)
{
	static const char *const want[] = { "a,b", "1,2" };
	char p[PATH_MAX];
	pid_t pid;
	int status;

	(void)state;
	snprintf(p, sizeof(p), "%s/lines.fifo", tu_tmpdir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_false(sb_file_is_gzip(p));          /* returns at once: no writer needed */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *f = fopen(p, "w");

		if (!f || fputs("a,b\n1,2\n", f) < 0 || fclose(f) != 0)
			_exit(1);
		_exit(0);
	}
	expect_lines(p, want, 2);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(p);
}

/* Concatenated members are one stream; anything else after the last one is an error. */
static void test_lines_gzip_members(void **state)
{
	static const char *const ab[] = { "a,b", "c", "d" };
	static const unsigned char zeros[3] = { 0, 0, 0 };
	static const unsigned char magic_only[1] = { 0x1f };
	static const unsigned char bad_member[6] = { 0x1f, 0x8b, 'x', 'y', 'z', '\n' };
	char m1[PATH_MAX], m2[PATH_MAX], big[PATH_MAX], t[PATH_MAX];
	size_t len;
	char *text, *junk;

	(void)state;
	tu_write_text("m1.csv.gz", "a,b\nc", true, m1);       /* no '\n': joins the next member */
	tu_write_text("m2.csv.gz", "\nd\n", true, m2);
	snprintf(t, sizeof(t), "%s/members.csv.gz", tu_tmpdir);
	concat(t, m1, m2, NULL, 0);
	expect_lines(t, ab, 3);

	/* the reproducer: echo garbage >> t.gz adds 8 bytes */
	snprintf(t, sizeof(t), "%s/garbage.csv.gz", tu_tmpdir);
	concat(t, m1, m2, "garbage\n", 8);
	expect_trailing(t, 3, 8);
	/* zero padding is no member; "c" has no '\n', the error comes before it */
	concat(t, m1, NULL, zeros, sizeof(zeros));
	expect_trailing(t, 1, 3);
	concat(t, m1, m2, magic_only, 1);                  /* one byte cannot start a member */
	expect_trailing(t, 3, 1);
	/* the magic, then no valid header: a damaged member, not trailing bytes */
	concat(t, m1, NULL, bad_member, sizeof(bad_member));
	expect_read_error(t, t, "truncated or corrupt");
	/* an empty member (gzip of nothing) is fine; garbage after it is not */
	tu_write_text("empty.gz", "", true, m2);
	snprintf(t, sizeof(t), "%s/then-empty.csv.gz", tu_tmpdir);
	concat(t, m1, m2, NULL, 0);
	expect_lines(t, ab, 2);
	concat(t, m1, m2, "x", 1);
	expect_trailing(t, 1, 1);

	/* a stream and a tail both larger than the reader's 128 KiB buffers */
	text = numbered_lines(300000, &len);
	tu_write_bytes("big.csv.gz", text, len, true, big);
	free(text);
	assert_true(file_size(big) > 3 * (1 << 17) / 2);
	junk = malloc(300001);
	assert_non_null(junk);
	memset(junk, 'j', 300001);
	snprintf(t, sizeof(t), "%s/big-garbage.csv.gz", tu_tmpdir);
	concat(t, big, NULL, junk, 300001);
	free(junk);
	expect_trailing(t, 300000, 300001);
}

/*
 * A transcript of reading 'path' with sb_lines_next_csv() (scan 'width'), or, with
 * width -2, with sb_lines_next() and sb_csv_split() on a copy: line by line the
 * number, the fields (or the line when it has too many or an open quote), whether
 * it was plain, and the end or the message.
 */
static char *csv_transcript(const char *path, int width)
{
	struct sb_lines l;
	struct sb_errbuf err = { "" };
	size_t cap = 1 << 20, len = 0;
	char *out = malloc(cap), *fields[8], copy[4096];
	int r, n;
	bool plain;

	assert_non_null(out);
	if (width != -2)
		sb_lines_scan_width(width);
	assert_int_equal(sb_lines_open(&l, path, &err), SB_OK);
	for (;;) {
		if (width == -2) {
			r = sb_lines_next(&l, &err);
			if (r == 1) {
				assert_true(l.len < sizeof(copy));
				memcpy(copy, l.buf, l.len + 1);
				plain = !strchr(copy, '"');
				n = sb_csv_split(copy, ',', fields, 8);
			}
		} else {
			r = sb_lines_next_csv(&l, fields, 8, &n, &plain, &err);
		}
		if (r != 1)
			break;
		if (cap - len < 8192) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		len += (size_t)snprintf(out + len, cap - len, "%llu %d %d:", (unsigned long long)l.lineno,
					n, n > 0 && plain);
		for (int i = 0; i < n; i++)
			len += (size_t)snprintf(out + len, cap - len, "[%s]", fields[i]);
		out[len++] = '\n';
	}
	snprintf(out + len, cap - len, "end %d %s\n", r, r < 0 ? err.msg : "");
	sb_lines_close(&l);
	sb_lines_scan_width(-1);
	return out;
}

/*
 * Lines of every length with commas, quotes, CRs and empty fields, plain and gzip'd
 * (lines across the decoder's chunks), and a NUL: the same fields and messages
 * whichever way sb_lines_next_csv() scans, and as sb_lines_next() + sb_csv_split().
 */
static void test_lines_csv_every_width(void **state)
{
	static const char alphabet[] = "aaaaa1111...,,,,,  \"\r";
	size_t cap = 700000, len = 0;
	char *text = malloc(cap), path[4][PATH_MAX];
	uint64_t x = 7;

	(void)state;
	assert_non_null(text);
	len += (size_t)sprintf(text, "a,b,c\n");
	while (len < cap - 400) {
		int n;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = (int)(x % 200);
		for (int i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* quotes and CRs rarely, so that most lines take the fast way */
			text[len++] = alphabet[x % (x & 0x300 ? sizeof(alphabet) - 3 : sizeof(alphabet) - 1)];
		}
		text[len++] = '\n';
	}
	tu_write_bytes("w.csv", text, len, false, path[0]);
	tu_write_bytes("w.csv.gz", text, len, true, path[1]);
	text[len - 3000] = '\0';             /* a NUL late in the file */
	tu_write_bytes("wnul.csv", text, len, false, path[2]);
	tu_write_bytes("wnul.csv.gz", text, len, true, path[3]);
	free(text);
	for (int k = 0; k < 4; k++) {
		char *want = csv_transcript(path[k], -2);
		int widths[] = { 0, 16, 64 };

		assert_non_null(strstr(want, k < 2 ? "end 0" : "unexpected NUL byte"));
		for (size_t w = 0; w < 3; w++) {
			char *got;

			if (widths[w] == 64 && !__builtin_cpu_supports("avx512bw"))
				continue;
			got = csv_transcript(path[k], widths[w]);
			if (strcmp(got, want) != 0) {
				size_t i = 0;

				while (got[i] == want[i])
					i++;
				while (i > 0 && want[i - 1] != '\n')
					i--;
				fail_msg("%s, %d bytes at a time: from '%.200s', expected '%.200s'",
					 path[k], widths[w], got + i, want + i);
			}
			free(got);
		}
		free(want);
	}
}

static void test_csv_split(void **state)
{
	char *f[8];
	char l1[] = "a,\"b, c\",,\"say \"\"hi\"\"\",\"\"";
	char l2[] = "a,";
	char l3[] = "";
	char l4[] = "a,b,c";
	char l5[] = "a,\"bc";
	char l6[] = "\"ab\"c,d";
	char l7[] = "x\ty\t\"z\tw\"";
	char l8[] = "a,b";
	char l9[] = "\"a\"\"";
	char l10[] = "ab\"c,d";

	(void)state;
	assert_int_equal(sb_csv_split(l1, ',', f, 8), 5);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "b, c");
	assert_string_equal(f[2], "");
	assert_string_equal(f[3], "say \"hi\"");
	assert_string_equal(f[4], "");
	assert_int_equal(sb_csv_split(l2, ',', f, 8), 2);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "");
	assert_int_equal(sb_csv_split(l3, ',', f, 8), 1);
	assert_string_equal(f[0], "");
	assert_int_equal(sb_csv_split(l4, ',', f, 2), -1);       /* three fields, max two */
	assert_int_equal(sb_csv_split(l8, ',', f, 2), 2);        /* exactly max */
	assert_int_equal(sb_csv_split(l5, ',', f, 8), -1);       /* quote left open */
	assert_int_equal(sb_csv_split(l9, ',', f, 8), -1);       /* "" escape, then open */
	assert_int_equal(sb_csv_split(l6, ',', f, 8), -1);       /* text after the closing quote */
	assert_int_equal(sb_csv_split(l7, '\t', f, 8), 3);
	assert_string_equal(f[0], "x");
	assert_string_equal(f[1], "y");
	assert_string_equal(f[2], "z\tw");
	/* a quote inside an unquoted field is plain text */
	assert_int_equal(sb_csv_split(l10, ',', f, 8), 2);
	assert_string_equal(f[0], "ab\"c");
}

static void test_parse_double(void **state)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "\t1", "1\n", "nan", "NaN", "-nan", "inf", "-inf", "infinity",
		"1e999", "-1e999", "1,5", "1.5x", "x", ".", "-", "e5", "1e",
	};
	double v;

	(void)state;
	assert_true(sb_parse_double("1.5", &v));
	assert_true(v == 1.5);
	assert_true(sb_parse_double("-2e3", &v));
	assert_true(v == -2000.0);
	assert_true(sb_parse_double("0.1", &v));
	assert_true(v == 0.1);
	assert_true(sb_parse_double(".5", &v));
	assert_true(v == 0.5);
	assert_true(sb_parse_double("1e-400", &v));     /* underflow to ~0 is accepted */
	assert_true(v >= 0.0 && v < 1e-300);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		if (sb_parse_double(bad[i], &v))
			fail_msg("sb_parse_double accepted '%s' as %g", bad[i], v);
		assert_true(v == 42);                   /* *out untouched on failure */
	}
	assert_false(sb_parse_double(NULL, &v));
}

static void test_parse_int64(void **state)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "+1", "1.0", "1e3", "0x10", "12a", "-", "9223372036854775808",
		"-9223372036854775809", "99999999999999999999",
	};
	int64_t v;

	(void)state;
	assert_true(sb_parse_int64("0", &v));
	assert_int_equal(v, 0);
	assert_true(sb_parse_int64("-17", &v));
	assert_int_equal(v, -17);
	assert_true(sb_parse_int64("9223372036854775807", &v));
	assert_true(v == INT64_MAX);
	assert_true(sb_parse_int64("-9223372036854775808", &v));
	assert_true(v == INT64_MIN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		if (sb_parse_int64(bad[i], &v))
			fail_msg("sb_parse_int64 accepted '%s' as %lld", bad[i], (long long)v);
		assert_int_equal(v, 42);
	}
}

static void time_is(const char *s, int64_t want)
{
	int64_t t = -1;

	if (!sb_parse_time(s, &t))
		fail_msg("sb_parse_time rejected '%s'", s);
	if (t != want)
		fail_msg("sb_parse_time('%s') = %lld, expected %lld", s, (long long)t,
			 (long long)want);
}

static void test_parse_time(void **state)
{
	static const char *const bad[] = {
		"2023-02-29",            /* 2023 is no leap year */
		"1900-02-29",            /* divisible by 100, not by 400 */
		"2024-13-01", "2024-00-10", "2024-04-31", "2024-03-00", "2024-03-32",
		"2024-03-01T24:00:00Z", "2024-03-01T12:60:00Z", "2024-03-01T12:00:61Z",
		"2024-3-1", "2024-03-01T", "2024-03-01T12", "2024-03-01T12:34:56.Z",
		"2024-03-01T12:34:56+2", "2024-03-01T12:34:56+24:00", "2024-03-01T12:34:56Zjunk",
		"2024-03-01x", "", " 1709251200", "1709251200 ", "+1709251200", "1.5", "yesterday",
		/* out of [1900, 2200): just outside, far outside, and the int64 ends */
		"1899-12-31T23:59:59.999999Z", "2200-01-01T00:00:00Z", "2200-01-01T01:00:00+01:00",
		"1899-12-31T22:59:59-01:00",   /* 1899-12-31T23:59:59Z */
		"-2208988801", "-2208988800001", "-2208988800000001",
		"7258118400", "7258118400000", "7258118400000000",
		"99999999999", "99999999999999", "0001-01-01", "9999-12-31T23:59:59Z",
		"9223372036854775807", "-9223372036854775808", "-9223372036854775807",
	};
	int64_t t;

	(void)state;
	time_is("2024-03-01T00:00:00Z", MAR1_S * US);
	time_is("2024-03-01t00:00:00z", MAR1_S * US);
	time_is("2024-03-01", MAR1_S * US);                         /* date only = midnight */
	/* 12:34:56 = 45296 s */
	time_is("2024-03-01T12:34:56Z", (MAR1_S + 45296) * US);
	time_is("2024-03-01 12:34:56", (MAR1_S + 45296) * US);      /* no zone: UTC */
	/* +02:00: 12:34:56 local is 10:34:56 UTC = 38096 s */
	time_is("2024-03-01T12:34:56+02:00", (MAR1_S + 38096) * US);
	/* -05:30: 12:34:56 local is 18:04:56 UTC = 65096 s */
	time_is("2024-03-01T12:34:56-05:30", (MAR1_S + 65096) * US);
	/* 01:00+02:00 is 23:00 the day before: 1709251200 - 3600 */
	time_is("2024-03-01T01:00:00+02:00", (MAR1_S - 3600) * US);
	time_is("2024-03-01T00:00:00.5Z", MAR1_S * US + 500000);
	time_is("2024-03-01T00:00:00.123456Z", MAR1_S * US + 123456);
	time_is("2024-03-01T00:00:00.1234567Z", MAR1_S * US + 123456);   /* truncated to us */
	time_is("2024-03-01T00:00:00.999999999Z", MAR1_S * US + 999999);
	time_is("2024-03-01T12:34:56.25+02:00", (MAR1_S + 38096) * US + 250000);
	/* 2024-02-29 is a day before 2024-03-01 */
	time_is("2024-02-29T00:00:00Z", (MAR1_S - 86400) * US);
	time_is("2000-02-29", INT64_C(951782400) * US);   /* 2000-01-01 = 946684800, + 59 days */
	time_is("1970-01-01T00:00:00Z", 0);
	/* before 1970: one second and a half before the epoch */
	time_is("1969-12-31T23:59:58.5Z", -1500000);
	/* a leap second folds into :59; 2017-01-01 = 1483228800 */
	time_is("2016-12-31T23:59:60Z", INT64_C(1483228799) * US);

	/* epochs by magnitude: < 1e11 seconds, < 1e14 milliseconds, else microseconds */
	time_is("1709251200", MAR1_S * US);
	time_is("1709251200000", MAR1_S * US);
	time_is("1709251200000000", MAR1_S * US);
	time_is("0", 0);
	time_is("-86400", -86400 * US);
	time_is("-1709251200000", -MAR1_S * US);
	time_is("99999999", INT64_C(99999999) * US);             /* seconds, 1973 */
	time_is("100000000000", INT64_C(100000000000) * 1000);   /* smallest in ms */
	time_is("-100000000000", INT64_C(-100000000000) * 1000);   /* ms: -1e8 s, 1966 */
	time_is("100000000000000", INT64_C(100000000000000));    /* smallest in us */

	/*
	 * The accepted range is [1900-01-01, 2200-01-01).  1900-01-01 is 25567 days =
	 * 2208988800 s before the epoch; 2200-01-01 is 84006 days (230 years, 56 leap
	 * days: 1972..2196 less 2100) = 7258118400 s after it.
	 */
	time_is("1900-01-01T00:00:00Z", INT64_C(-2208988800) * US);
	time_is("-2208988800", INT64_C(-2208988800) * US);
	time_is("-2208988800000", INT64_C(-2208988800) * US);
	time_is("-2208988800000000", INT64_C(-2208988800) * US);
	time_is("2199-12-31T23:59:59.999999Z", INT64_C(7258118400) * US - 1);
	time_is("7258118399", INT64_C(7258118399) * US);
	time_is("7258118399999", INT64_C(7258118399999) * 1000);
	time_is("7258118399999999", INT64_C(7258118399999999));
	/* 2200-01-01T01:00+01:00 is 2200-01-01T00:00Z, out; 00:59+01:00 is 23:59Z, in */
	time_is("2200-01-01T00:59:00+01:00", (INT64_C(7258118400) - 60) * US);
	time_is("1899-12-31T23:00:00-01:00", INT64_C(-2208988800) * US);
	assert_int_equal(SB_TIME_MIN_US, INT64_C(-2208988800) * US);
	assert_int_equal(SB_TIME_MAX_US, INT64_C(7258118400) * US);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sb_parse_time(bad[i], &t))
			fail_msg("sb_parse_time accepted '%s' as %lld", bad[i], (long long)t);
	}
}

static void test_days_from_civil(void **state)
{
	(void)state;
	assert_int_equal(sb_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(sb_days_from_civil(1970, 1, 2), 1);
	assert_int_equal(sb_days_from_civil(1969, 12, 31), -1);
	/* 30 years with 7 leap days (1972..1996) */
	assert_int_equal(sb_days_from_civil(2000, 1, 1), 30 * 365 + 7);
	assert_int_equal(sb_days_from_civil(2024, 3, 1), 19783);
	assert_int_equal(sb_days_from_civil(2024, 2, 29), 19782);
	assert_int_equal(sb_days_from_civil(2023, 3, 1), 19783 - 366);
	/* 1900-01-01 is 2208988800 s (the NTP era offset) before the epoch = 25567 days */
	assert_int_equal(sb_days_from_civil(1900, 1, 1), -25567);
}

static void test_parse_duration(void **state)
{
	static const char *const bad[] = {
		"5", "-5m", "5x", "", "m", "5 m", " 5m", "+5m", "5M", "1.5h", "5mm",
		"99999999999999999999d",
		"106751992d",   /* INT64_MAX us = 106751991.17 days */
		"36501d",       /* over SB_DURATION_MAX_US = 100 years of 365 days */
		"3153600001s",  /* 36500 x 86400 + 1 */
	};
	int64_t us;

	(void)state;
	assert_true(sb_parse_duration("90s", &us));
	assert_int_equal(us, INT64_C(90000000));
	assert_true(sb_parse_duration("5m", &us));
	assert_int_equal(us, INT64_C(300000000));
	assert_true(sb_parse_duration("1h", &us));
	assert_int_equal(us, INT64_C(3600000000));
	assert_true(sb_parse_duration("1d", &us));
	assert_int_equal(us, INT64_C(86400000000));
	assert_true(sb_parse_duration("250ms", &us));
	assert_int_equal(us, 250000);
	assert_true(sb_parse_duration("7us", &us));
	assert_int_equal(us, 7);
	assert_true(sb_parse_duration("0", &us));
	assert_int_equal(us, 0);
	assert_true(sb_parse_duration("0s", &us));
	assert_int_equal(us, 0);
	/* the cap is 100 years of 365 days: 36500 x 86400 = 3153600000 s */
	assert_true(sb_parse_duration("36500d", &us));
	assert_int_equal(us, INT64_C(3153600000000000));
	assert_true(sb_parse_duration("3153600000s", &us));
	assert_int_equal(us, INT64_C(3153600000000000));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		us = 42;
		if (sb_parse_duration(bad[i], &us))
			fail_msg("sb_parse_duration accepted '%s' as %lld", bad[i], (long long)us);
	}
	assert_false(sb_parse_duration(NULL, &us));
}

static void num_is(double v, const char *want)
{
	char out[SB_NUM_LEN];

	assert_ptr_equal(sb_fmt_num(v, out), out);
	if (strcmp(out, want) != 0)
		fail_msg("sb_fmt_num: '%s', expected '%s'", out, want);
	assert_true(strtod(out, NULL) == v);
}

static void test_fmt_num(void **state)
{
	char out[SB_NUM_LEN];

	(void)state;
	num_is(0.1, "0.1");
	num_is(0.08, "0.08");
	num_is(100, "100");
	num_is(0, "0");
	num_is(-2.5, "-2.5");
	num_is(1e300, "1e+300");
	num_is(1e-7, "1e-07");
	/* 1/3 = 0.333333333333333314829616256...; 16 digits already read back exactly
	 * (the gap between doubles there is 2^-54 = 5.6e-17) */
	num_is(1.0 / 3, "0.3333333333333333");
	/* 0.1 + 0.2 = 0.3000000000000000444: the classic value that needs 17 digits */
	num_is(0.1 + 0.2, "0.30000000000000004");
	num_is(2.0 / 3, "0.6666666666666666");
	/* -0.0 keeps its sign */
	sb_fmt_num(-0.0, out);
	assert_string_equal(out, "-0");
}

/* The definition of sb_fmt_num(): the first of %.15g, %.16g, %.17g that reads back. */
static void ref_fmt_num(double v, char out[SB_NUM_LEN])
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, SB_NUM_LEN, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
}

/* Whole numbers take a shortcut: the same text as the definition, around its edges. */
static void test_fmt_num_whole(void **state)
{
	static const double edge[] = { 0.0, -0.0, 1, -1, 9, 10, 99, 100, 1e14, -1e14,
				       999999999999999.0, -999999999999999.0, 1e15, -1e15,
				       1e15 + 2, 9007199254740992.0, 1e16, 1e300, 0.5, -0.5,
				       999999999999999.5, 4503599627370495.5, 123456789.0 };
	char got[SB_NUM_LEN], want[SB_NUM_LEN];
	uint64_t x = 88172645463325252u;

	(void)state;
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		sb_fmt_num(edge[i], got);
		ref_fmt_num(edge[i], want);
		if (strcmp(got, want) != 0)
			fail_msg("sb_fmt_num(%.17g): '%s', expected '%s'", edge[i], got, want);
	}
	for (int i = 0; i < 200000; i++) {
		double v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* whole numbers of 1 to 17 digits, either sign, and halves */
		v = (double)(x % 100000000000000000u) / (double)(UINT64_C(1) << (x >> 59));
		v = (x >> 58) & 1 ? -floor(v) : (x >> 57) & 1 ? floor(v) + 0.5 : floor(v);
		sb_fmt_num(v, got);
		ref_fmt_num(v, want);
		if (strcmp(got, want) != 0)
			fail_msg("sb_fmt_num(%.17g): '%s', expected '%s'", v, got, want);
	}
}

static void num_matches(double v)
{
	char got[SB_NUM_LEN], want[SB_NUM_LEN];

	sb_fmt_num(v, got);
	ref_fmt_num(v, want);
	if (strcmp(got, want) != 0)
		fail_msg("sb_fmt_num(%a = %.17g): '%s', expected '%s'", v, v, got, want);
}

/*
 * Every kind of double against the definition: random bits (every exponent,
 * subnormals), ratios and short decimals as metrics are, values next to powers of
 * ten and to roundings that carry (9.999...), halves at 15 and 16 digits.
 */
static void test_fmt_num_matches_printf(void **state)
{
	uint64_t x = 0x9E3779B97F4A7C15u;

	(void)state;
	for (int i = 0; i < 150000; i++) {
		double v, w;
		uint64_t b;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b = x;
		memcpy(&v, &b, sizeof(v));
		if (isfinite(v))
			num_matches(v);
		/* ratios of small integers, as returns and rates come out */
		v = (double)(int64_t)(x % 2000001 - 1000000) / (double)(x % 997 + 1);
		num_matches(v);
		num_matches(v * 1e-9);
		num_matches(v * 1e12);
		/* short decimals, their neighbours, and products of them */
		w = (double)(int64_t)(x % 100000000) / 10000.0;
		num_matches(w);
		num_matches(nextafter(w, 0.0));
		num_matches(nextafter(w, 1e300));
		num_matches(w * 1.0001);
		num_matches(-w / 3.0);
		/* around powers of ten: 9.99..., 10.00..., both sides */
		v = pow(10.0, (double)((int)(x % 40) - 20));
		num_matches(v);
		num_matches(nextafter(v, 0.0));
		num_matches(nextafter(v, 1e300));
		num_matches(v * (1.0 - 1e-16 * (double)(x % 50)));
		/* decimals of exactly 16 and 17 digits (halves when cut to 15 and 16) */
		num_matches(strtod((x & 1) ? "0.1234567890123455" : "1234567.890123455", NULL));
		num_matches((double)(x % 9000000000000000u + 1000000000000000u) / 1e16 + 0.5e-15);
	}
}

/*
 * The digits computed exactly in integers (sb_fmt_num() without printf, core/common.c):
 * decimals that are exact ties when cut to 15, 16 and 17 digits (halves to even), every
 * power of two with its neighbours (the gap below a power of two is half the gap above),
 * the edges of the range the integers hold (about 1e-15 to 1e40) and past them, against
 * the definition.
 */
static void test_fmt_num_exact_ties(void **state)
{
	static const double frac[] = { 0.5, 0.25, 0.125, 0.0625, 0.375, 0.75, 0.03125 };
	uint64_t x = 0x2545F4914F6CDD1Du;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		double n, v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* 10 to 15 digits before the point, a binary fraction after: 16-19 digits */
		n = (double)(x % 1000000000000000u);
		n = floor(n / pow(10.0, (double)(x >> 61)));
		v = n + frac[(x >> 32) % 7];
		num_matches(v);
		num_matches(-v);
		num_matches(v / 1024.0);
		num_matches(v * 65536.0);
		num_matches(nextafter(v, 0.0));
	}
	for (int k = -1074; k <= 1023; k++) {
		double v = ldexp(1.0, k);

		num_matches(v);
		num_matches(nextafter(v, 0.0));
		num_matches(nextafter(v, INFINITY));
		num_matches(v * 1.5);
	}
	for (int k = -330; k <= 308; k++) {
		double v = pow(10.0, (double)k);

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		num_matches(v);
		num_matches(v * (1.0 + (double)(x % 1000) / 1000.0));
		num_matches(nextafter(v, 0.0));
	}
}

static void fixed_is(double v, int decimals, const char *want)
{
	char out[SB_NUM_LEN];
	size_t n = sb_fmt_fixed(v, decimals, out);

	if (strcmp(out, want) != 0)
		fail_msg("sb_fmt_fixed(%.17g, %d): '%s', expected '%s'", v, decimals, out, want);
	assert_int_equal(n, strlen(want));
}

static void test_fmt_fixed(void **state)
{
	(void)state;
	fixed_is(10003.25, 4, "10003.25");
	fixed_is(0.5, 8, "0.5");
	fixed_is(-3, 4, "-3");
	fixed_is(0, 8, "0");
	fixed_is(-0.0, 8, "0");
	fixed_is(0.123456789, 8, "0.12345679");
	fixed_is(0.123456784, 8, "0.12345678");
	fixed_is(-0.000000001, 8, "0");                  /* rounds to zero: no "-0" */
	fixed_is(-0.000000006, 8, "-0.00000001");
	fixed_is(0.05, 8, "0.05");                       /* leading zeros after the point */
	fixed_is(1.5, 0, "2");
	fixed_is(-1234567.000001, 4, "-1234567");
	fixed_is(0.999999999, 8, "1");                   /* rounding carries into the integer */
	fixed_is(1e300, 4, "1e+300");                    /* too large: exact text */
	fixed_is(-1e300, 4, "-1e+300");
}

/*
 * The reference: glibc's printf("%.*f"), which rounds the exact binary value (ties to
 * even), then the house form: trailing zeros and point dropped, "-0" printed as "0".
 */
static void fixed_reference(double v, int d, char *out, size_t cap)
{
	size_t n;

	snprintf(out, cap, "%.*f", d, v);
	n = strlen(out);
	if (strchr(out, '.')) {
		while (out[n - 1] == '0')
			out[--n] = '\0';
		if (out[n - 1] == '.')
			out[--n] = '\0';
	}
	if (!strcmp(out, "-0"))
		strcpy(out, "0");
}

static uint64_t fixed_rng = 12345;
static uint64_t fixed_next(void)
{
	uint64_t z = (fixed_rng += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static int fixed_check(double v, int d)
{
	char got[SB_NUM_LEN], want[512];
	size_t len = sb_fmt_fixed(v, d, got);

	if (fabs(v) * pow(10.0, d) < 9.0e18)
		fixed_reference(v, d, want, sizeof(want));
	else                           /* beyond 64-bit fixed point: the shortest exact text */
		sb_fmt_num(v, want);
	if (strcmp(got, want) != 0 || len != strlen(got)) {
		print_error("%.17g at %d decimals: got '%s', printf gives '%s'\n", v, d, got, want);
		return 1;
	}
	return 0;
}

static void test_fixed_edge_cases(void **state)
{
	static const double v[] = {
		0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, -0.625, 1e-9, -1e-9,
		5e-9, 4.9999999999999e-9, 0.00000000499, 1e-13, -1e-300, 4.9e-324, -4.9e-324,
		2.2250738585072014e-308, 0.1, 0.2, 0.3, 0.7, 1.005, 2.675, 1.0000000005,
		123456789.123456789, 9.0e9, 8.99999999e9, 99999999.999999995, 9.2e10, 1e11,
		4503599627370496.0, 4503599627370497.0, 9007199254740993.0, 9e17, 8.99e18,
		20000.125, 10000.00005, 10000.00015, 0.44167904499999999, 0.000000005,
		0.000000015, 0.000000025, 0.5e-8, 1.5e-8,
		/* v 10^d rounds to a half-integer, the exact product lies off it */
		0.00005, 0.00015, 0.00025, 1.00005, 10000.00025, 12345.00035, 0.000000035,
		0.50000005, 3.00000045, -0.00005, -10000.00025,
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (int d = 0; d <= 12; d++)
			bad += fixed_check(v[i], d);
	assert_int_equal(bad, 0);
}

/* Random bit patterns over the range the fast path takes, and exact decimal ties. */
static void test_fixed_random_against_printf(void **state)
{
	int bad = 0;

	(void)state;
	for (int k = 0; k < 200000 && bad < 10; k++) {
		uint64_t r = fixed_next();
		int d = (int)(fixed_next() % 13);
		double v;

		switch (k % 4) {
		case 0:            /* any double of magnitude 2^-40 .. 2^40 */
			v = ldexp((double)(r >> 11) / 9007199254740992.0 + 0.5,
				  (int)(fixed_next() % 81) - 40);
			break;
		case 1:            /* a price or an equity with a few decimals, as curves hold */
			v = (double)(r % 100000000000) / 10000.0;
			break;
		case 2:            /* halfway cases at d decimals (exact when representable) */
			v = ((double)(r % 2000000) + 0.5) / pow(10.0, d);
			break;
		default:           /* raw bits: subnormals, huge values, NaN, inf fall back */
			memcpy(&v, &r, sizeof(v));
			if (isnan(v) || isinf(v) || fabs(v) * pow(10.0, d) >= 9.0e18)
				continue;
			break;
		}
		if (fixed_next() & 1)
			v = -v;
		bad += fixed_check(v, d);
	}
	assert_int_equal(bad, 0);
}

/* Out of the fixed-point range: the shortest exact text, as summary.csv writes. */
static void test_fixed_fallback(void **state)
{
	char got[SB_NUM_LEN];

	(void)state;
	sb_fmt_fixed(1e300, 4, got);
	assert_string_equal(got, "1e+300");
	sb_fmt_fixed(NAN, 4, got);
	assert_string_equal(got, "nan");
}

static void time_text_is(int64_t t, const char *want)
{
	char a[SB_TIME_LEN], b[SB_TIME_LEN];

	sb_format_time(t, a);
	if (strcmp(a, want) != 0)
		fail_msg("sb_format_time(%lld) = '%s', expected '%s'", (long long)t, a, want);
	assert_int_equal(sb_format_time_fast(t, b), strlen(want));
	assert_string_equal(b, want);
}

static void test_format_time(void **state)
{
	static const int64_t starts[] = {
		0, -86400, -25567 * INT64_C(86400), MAR1_S - 86400, 951782400,
		/* 9999-12-28 (253402300800 s is 10000-01-01, 4 days later): the checks end
		 * within year 9999 (past it the fast path prints midnight: a known bug) */
		INT64_C(253402300800) - 4 * 86400,
	};
	char a[SB_TIME_LEN], b[SB_TIME_LEN];

	(void)state;
	time_text_is(0, "1970-01-01T00:00:00Z");
	time_text_is(-US, "1969-12-31T23:59:59Z");
	time_text_is(-500000, "1969-12-31T23:59:59.500000Z");
	time_text_is(MAR1_S * US, "2024-03-01T00:00:00Z");
	time_text_is(MAR1_S * US + 123456, "2024-03-01T00:00:00.123456Z");
	time_text_is((MAR1_S + 45296) * US, "2024-03-01T12:34:56Z");
	time_text_is((MAR1_S - 1) * US, "2024-02-29T23:59:59Z");
	time_text_is(INT64_C(-2208988800) * US, "1900-01-01T00:00:00Z");

	/* the two agree on consecutive and scattered seconds across day boundaries */
	for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
		for (int64_t k = -7300; k <= 7300; k += 1) {
			int64_t t = (starts[s] + 86400 + k * 23) * US;

			sb_format_time(t, a);
			sb_format_time_fast(t, b);
			if (strcmp(a, b) != 0)
				fail_msg("t=%lld: '%s' vs fast '%s'", (long long)t, a, b);
		}
	}
	/* going backwards and jumping around does not confuse the fast path's day cache */
	for (int64_t k = 200000; k >= -200000; k -= 997) {
		int64_t t = (k * 1013 + (k % 3) * 86400) * US;

		sb_format_time(t, a);
		sb_format_time_fast(t, b);
		if (strcmp(a, b) != 0)
			fail_msg("t=%lld: '%s' vs fast '%s'", (long long)t, a, b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_plain_and_gzip),
		cmocka_unit_test(test_lines_missing_file),
		cmocka_unit_test(test_lines_too_long),
		cmocka_unit_test(test_lines_damaged_gzip),
		cmocka_unit_test(test_lines_gzip_members),
		cmocka_unit_test(test_lines_nul_byte),
		cmocka_unit_test(test_lines_nul_across_buffers),
		cmocka_unit_test(test_lines_not_a_file),
		cmocka_unit_test(test_lines_fifo),
		cmocka_unit_test(test_csv_split),
		cmocka_unit_test(test_lines_csv_every_width),
		cmocka_unit_test(test_parse_double),
		cmocka_unit_test(test_parse_int64),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_days_from_civil),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_fmt_num),
		cmocka_unit_test(test_fmt_fixed),
		cmocka_unit_test(test_fmt_num_whole),
		cmocka_unit_test(test_fmt_num_matches_printf),
		cmocka_unit_test(test_fmt_num_exact_ties),
		cmocka_unit_test(test_fixed_edge_cases),
		cmocka_unit_test(test_fixed_random_against_printf),
		cmocka_unit_test(test_fixed_fallback),
		cmocka_unit_test(test_format_time),
	};

	return cmocka_run_group_tests_name("textio", tests, tu_tmpdir_setup, tu_tmpdir_teardown);
}
