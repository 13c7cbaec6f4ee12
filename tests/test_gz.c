/* test_gz.c - the gzip reader's two inflaters (ISA-L, zlib), with and without the
 * read-ahead thread: the same bytes, the same chunks, the same errors; zlib's own
 * deflate makes the files and the original text is the oracle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "../loaders/gz.h"
#include "../loaders/textio.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The four ways to read: inflater x read-ahead. */
struct mode {
	enum sb_gz_backend backend;
	bool ahead;
};
static const struct mode modes[] = {
	{ SB_GZ_ISAL, false }, { SB_GZ_ZLIB, false }, { SB_GZ_ISAL, true }, { SB_GZ_ZLIB, true },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

/* Lines of digits and letters from a seeded generator: ~'n' bytes. */
static char *make_text(size_t n, size_t *len)
{
	char *t = malloc(n + 64);
	uint64_t x = 88172645463325252u;
	size_t off = 0;

	assert_non_null(t);
	while (off < n) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		off += (size_t)sprintf(t + off, "row,%llu,%s,%.6f\n",
				       (unsigned long long)(x % 100000000u), x & 1 ? "buy" : "sell",
				       (double)(x >> 40) / 1e4);
	}
	*len = off;
	return t;
}

/* Appends p[0..n) gzip'd at 'level' as one member to f. */
static void put_member(FILE *f, const char *p, size_t n, int level)
{
	z_stream z;
	uLong cap = compressBound((uLong)n) + 64;
	unsigned char *buf = malloc(cap);

	assert_non_null(buf);
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(fwrite(buf, 1, cap - z.avail_out, f), cap - z.avail_out);
	deflateEnd(&z);
	free(buf);
}

/*
 * Writes 'text' to tmpdir/name as members cut at the given offsets (levels 6, 0 =
 * stored, 1, 9, ...), with an empty member among them.
 */
static void write_members(const char *name, const char *text, size_t len, const size_t *cuts,
			  size_t ncuts, char out[PATH_MAX])
{
	static const int levels[] = { 6, 0, 1, 9 };
	size_t from = 0;
	FILE *f;

	snprintf(out, PATH_MAX, "%s/%s", tu_tmpdir, name);
	f = fopen(out, "wb");
	assert_non_null(f);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		put_member(f, text + from, to - from, levels[i % 4]);
		if (i == 1)
			put_member(f, "", 0, 6);
		from = to;
	}
	assert_int_equal(fclose(f), 0);
}

/* Reads all of 'path' in mode m; the bytes (malloc'd) and the chunk sizes' checksum. */
static char *read_all(const char *path, const struct mode *m, size_t *len, uint64_t *chunks)
{
	struct sb_errbuf err = { "" };
	struct sb_gz_reader *r;
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	char *out = malloc(cap);
	unsigned char *p;
	long got;

	assert_non_null(f);
	assert_non_null(out);
	sb_gz_set_backend(m->backend);
	assert_int_equal(sb_gz_reader_open(&r, f, path, &err), SB_OK);
	assert_true(sb_gz_reader_is_gzip(r));
	if (m->ahead && !sb_gz_reader_readahead(r))
		print_message("read-ahead not started (one CPU?): the synchronous reader is checked twice\n");
	*chunks = 0;
	for (;;) {
		got = sb_gz_read(r, &p, 0, &err);
		if (got < 0)
			fail_msg("%s: %s", path, err.msg);
		if (got == 0)
			break;
		*chunks = *chunks * 31 + (uint64_t)got;
		while (n + (size_t)got > cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		memcpy(out + n, p, (size_t)got);
		n += (size_t)got;
	}
	/* the end stays the end */
	assert_int_equal(sb_gz_read(r, &p, 0, &err), 0);
	sb_gz_reader_close(r);
	fclose(f);
	*len = n;
	return out;
}

/* Members of every kind: each mode decodes exactly the text, in the same chunks. */
static void test_members_all_modes(void **state)
{
	size_t len, cuts[5];
	char *text = make_text(3u << 20, &len), path[PATH_MAX];
	uint64_t chunks0 = 0;

	(void)state;
	cuts[0] = 1;                 /* a one-byte member */
	cuts[1] = 100000;
	cuts[2] = 1500000;           /* a stored (level 0) member in between */
	cuts[3] = 1500001;
	cuts[4] = 2900000;
	write_members("members.gz", text, len, cuts, 5, path);
	for (size_t i = 0; i < NMODES; i++) {
		size_t n;
		uint64_t chunks;
		char *got = read_all(path, &modes[i], &n, &chunks);

		if (n != len || memcmp(got, text, len) != 0)
			fail_msg("mode %s%s: %zu bytes decoded, expected the %zu of the text",
				 sb_gz_backend_name(modes[i].backend), modes[i].ahead ? "+ahead" : "",
				 n, len);
		if (i == 0)
			chunks0 = chunks;
		assert_true(chunks == chunks0);
		free(got);
	}
	sb_gz_set_backend(SB_GZ_ISAL);
	free(text);
}

/* Reads 'path' by lines in mode m: the error message (or "" at a clean end). */
static void read_lines(const char *path, const struct mode *m, char msg[1024])
{
	struct sb_errbuf err = { "" };
	struct sb_lines l;
	int r;

	sb_gz_set_backend(m->backend);
	assert_int_equal(sb_lines_open(&l, path, &err), SB_OK);
	if (m->ahead)
		sb_lines_readahead(&l);
	while ((r = sb_lines_next(&l, &err)) == 1)
		;
	sb_lines_close(&l);
	snprintf(msg, 1024, "%s", r == 0 ? "" : err.msg);
}

static long size_of(const char *p)
{
	FILE *f = fopen(p, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n;
}

/* dst = the first 'keep' bytes of src, byte 'flip' inverted (-1: none), then 'tail'. */
static void damage(const char *src, const char *dst, long keep, long flip, const char *tail)
{
	tu_copy_cut(src, dst, keep, flip);
	if (tail) {
		FILE *g = fopen(dst, "ab");

		assert_non_null(g);
		fputs(tail, g);
		assert_int_equal(fclose(g), 0);
	}
}

/*
 * Truncated anywhere, a wrong CRC, bytes after the last member: the same message,
 * naming the file and the line, from every mode.  A byte flipped inside the deflate
 * data fails in every mode, naming the file (where and why depend on the inflater).
 */
static void test_damage_same_errors(void **state)
{
	size_t len, cuts[2] = { 400000, 800000 };
	char *text = make_text(1u << 20, &len), full[PATH_MAX], bad[PATH_MAX];
	char want[1024], got[1024];
	long size;

	(void)state;
	write_members("full.gz", text, len, cuts, 2, full);
	free(text);
	size = size_of(full);
	snprintf(bad, sizeof(bad), "%s/bad.gz", tu_tmpdir);
	for (int k = 0; k < 12; k++) {
		long keep = k < 10 ? size * (k + 1) / 11 : size - 8 + (k - 10) * 4, flip = -1;
		const char *tail = NULL;

		if (k == 10) {              /* all there, the last CRC-32 wrong */
			keep = size;
			flip = size - 7;
		} else if (k == 11) {       /* all there, then junk */
			keep = size;
			tail = "junk\n";
		}
		damage(full, bad, keep, flip, tail);
		for (size_t i = 0; i < NMODES; i++) {
			read_lines(bad, &modes[i], i ? got : want);
			if (i == 0 && (!strstr(want, bad) || !want[0]))
				fail_msg("case %d: '%s' does not name %s", k, want, bad);
			if (i && strcmp(got, want) != 0)
				fail_msg("case %d, %s%s: '%s', expected '%s'", k,
					 sb_gz_backend_name(modes[i].backend),
					 modes[i].ahead ? "+ahead" : "", got, want);
		}
	}
	damage(full, bad, size, size / 2, NULL);
	for (size_t i = 0; i < NMODES; i++) {
		read_lines(bad, &modes[i], got);
		if (!strstr(got, bad) || !strstr(got, "(truncated or corrupt file)"))
			fail_msg("flipped byte, mode %zu: '%s'", i, got);
	}
	sb_gz_set_backend(SB_GZ_ISAL);
}

/* SENTIBT_GZ picks the inflater when no program set one; ISA-L by default. */
static void test_backend_choice(void **state)
{
	(void)state;
	assert_string_equal(sb_gz_backend_name(SB_GZ_ISAL), "isal");
	assert_string_equal(sb_gz_backend_name(SB_GZ_ZLIB), "zlib");
	sb_gz_set_backend(SB_GZ_ZLIB);
	assert_int_equal(sb_gz_backend(), SB_GZ_ZLIB);
	sb_gz_set_backend(SB_GZ_ISAL);
	assert_int_equal(sb_gz_backend(), SB_GZ_ISAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_all_modes),
		cmocka_unit_test(test_damage_same_errors),
		cmocka_unit_test(test_backend_choice),
	};

	return cmocka_run_group_tests(tests, tu_tmpdir_setup, tu_tmpdir_teardown);
}
