/* fuzz_gzip.c - textio's line reader (sb_lines_*) on plain text and gzip streams
 *
 * The first byte says how the rest, P, is written to the file:
 *   mode 0: P as it is (raw gzip bytes, damaged streams, or plain text);
 *   mode 1: P gzip'd as one member;
 *   mode 2: P gzip'd as two members, cut in the middle;
 *   mode 3: the first half of P gzip'd, followed by the second half as it is.
 * Bits 2..5 choose the deflate level (0 = stored blocks).  Random bytes rarely make a
 * valid gzip stream, so modes 1-3 are how the fuzzer reaches the line splitting and
 * the member logic; and there the result is known: the lines must be P cut at '\n'
 * (one '\r' before it dropped, a UTF-8 BOM dropped from the first line), and bytes
 * after the last member must be reported.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../loaders/textio.h"

/* Appends P gzip'd at 'level' to buf[*len]; buf has room for compressBound + 64. */
static void gz_member(uint8_t *buf, size_t *len, size_t cap, const uint8_t *p, size_t n,
		      int level)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	FZ_CHECK(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
			      Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = buf + *len;
	z.avail_out = (uInt)(cap - *len);
	FZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	*len = cap - z.avail_out;
	deflateEnd(&z);
}

/* The line reader's output must be exactly P split at '\n'. */
static void check_lines(struct sb_lines *l, const uint8_t *p, size_t n)
{
	struct sb_errbuf err = { { 0 } };
	size_t pos = 0;
	int r;

	while ((r = sb_lines_next(l, &err)) == 1) {
		const uint8_t *nl = memchr(p + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - p) : n, seg = end - pos;
		const uint8_t *s = p + pos;

		if (l->lineno == 1 && seg >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			seg -= 3;
		}
		if (seg && s[seg - 1] == '\r')
			seg--;
		FZ_CHECK(pos < n);
		FZ_CHECK(l->len == seg && !memcmp(l->buf, s, seg) && l->buf[seg] == '\0');
		pos = nl ? end + 1 : n;
	}
	/* lines of 1 MiB and more, and NUL bytes, are refused: only then may a valid
	 * stream fail */
	FZ_CHECK(r == 0 || n >= SB_LINE_MAX - 1 || memchr(p, '\0', n));
	if (r == 0)
		FZ_CHECK(pos == n && sb_lines_next(l, &err) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_errbuf err = { { 0 } };
	struct sb_lines l;
	const uint8_t *p = data + 1;
	size_t n = size ? size - 1 : 0, half = n / 2, len = 0, cap;
	unsigned mode, level;
	uint8_t *buf;
	const char *path;
	uint64_t lines = 0;
	int r;

	if (size == 0)
		return 0;
	mode = data[0] & 3;
	level = ((unsigned)data[0] >> 2) % 10;
	cap = compressBound((uLong)n) * 2 + 128;
	buf = malloc(cap);
	FZ_CHECK(buf != NULL);
	switch (mode) {
	case 0:
		memcpy(buf, p, n);
		len = n;
		break;
	case 1:
		gz_member(buf, &len, cap, p, n, (int)level);
		break;
	case 2:
		gz_member(buf, &len, cap, p, half, (int)level);
		gz_member(buf, &len, cap, p + half, n - half, (int)level);
		break;
	default:
		gz_member(buf, &len, cap, p, half, (int)level);
		memcpy(buf + len, p + half, n - half);
		len += n - half;
		break;
	}
	path = fz_file("lines.gz", NULL, 0, buf, len);
	free(buf);

	FZ_CHECK(sb_lines_open(&l, path, &err) == SB_OK);
	FZ_CHECK(l.is_gzip == (len >= 2 && (mode != 0 || (p[0] == 0x1f && p[1] == 0x8b))));
	if (mode == 1 || mode == 2 || (mode == 0 && !l.is_gzip) || (mode == 3 && half == n)) {
		check_lines(&l, p, mode == 3 ? half : n);
	} else {
		/* damaged or foreign bytes: any number of lines, then the end or an error */
		while ((r = sb_lines_next(&l, &err)) == 1) {
			FZ_CHECK(l.lineno == ++lines && l.len < SB_LINE_MAX && l.buf[l.len] == '\0');
			FZ_CHECK(!memchr(l.buf, '\n', l.len));
		}
		FZ_CHECK_ERR(r == 0 ? SB_OK : SB_EPARSE, err);
		/* a member followed by bytes that are not another member is an error */
		if (mode == 3 && !(n - half >= 2 && p[half] == 0x1f && p[half + 1] == 0x8b))
			FZ_CHECK(r < 0);
	}
	sb_lines_close(&l);
	sb_lines_close(&l);   /* safe twice, as textio.h says */
	return 0;
}
