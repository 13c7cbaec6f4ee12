/* gz.c - the only file that includes zlib (see gz.h) */
#include "gz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- reading ---- */

#define IN_SIZE  (1u << 17)
#define OUT_SIZE (1u << 17)

struct sb_gz_reader {
	FILE       *f;
	const char *path;
	z_stream    z;
	unsigned char *in, *out;  /* raw input (gzip only), decoded bytes */
	size_t      first_len;    /* plain: bytes read by open, in r->out, not handed out yet */
	bool        is_gzip;
	bool        z_live;       /* inflateInit2() done */
	bool        member_end;   /* inflate finished a member; more may follow */
	bool        in_eof, done;
};

enum sb_err sb_gz_reader_open(struct sb_gz_reader **rp, FILE *f, const char *path,
			      struct sb_errbuf *err)
{
	struct sb_gz_reader *r = calloc(1, sizeof(*r));
	size_t got;

	*rp = NULL;
	if (!r)
		goto out_nomem;
	r->f = f;
	r->path = path;
	r->in = malloc(IN_SIZE);
	r->out = malloc(OUT_SIZE);
	if (!r->in || !r->out)
		goto out_nomem;
	/* the first bytes decide: gzip magic, else plain text (handed out as read) */
	got = fread(r->in, 1, IN_SIZE, f);
	if (got < IN_SIZE && ferror(f)) {
		int e = errno;

		sb_gz_reader_close(r);
		return sb_errf(err, SB_EIO, "%s: cannot read: %s", path, strerror(e));
	}
	r->in_eof = got < IN_SIZE;
	r->is_gzip = got >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;
	if (!r->is_gzip) {
		memcpy(r->out, r->in, got);
		r->first_len = got;
		*rp = r;
		return SB_OK;
	}
	if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK)
		goto out_nomem;
	r->z_live = true;
	r->z.next_in = r->in;
	r->z.avail_in = (uInt)got;
	*rp = r;
	return SB_OK;

out_nomem:
	sb_gz_reader_close(r);
	return sb_errf(err, SB_ENOMEM, "%s: out of memory", path);
}

bool sb_gz_reader_is_gzip(const struct sb_gz_reader *r)
{
	return r->is_gzip;
}

void sb_gz_reader_close(struct sb_gz_reader *r)
{
	if (!r)
		return;
	if (r->z_live)
		inflateEnd(&r->z);
	free(r->in);
	free(r->out);
	free(r);
}

/* Moves the unread input to the front and reads more after it; -1 on a read error. */
static int refill_in(struct sb_gz_reader *r, struct sb_errbuf *err)
{
	size_t keep = r->z.avail_in, got;

	if (r->in_eof)
		return 0;
	memmove(r->in, r->z.next_in, keep);
	got = fread(r->in + keep, 1, IN_SIZE - keep, r->f);
	if (got < IN_SIZE - keep) {
		if (ferror(r->f)) {
			sb_errf(err, SB_EIO, "%s: cannot read: %s", r->path, strerror(errno));
			return -1;
		}
		r->in_eof = true;
	}
	r->z.next_in = r->in;
	r->z.avail_in = (uInt)(keep + got);
	return 0;
}

/*
 * After a member: another member (gzip magic), the end of the file, or trailing
 * bytes, which are counted to the end for the message.  Returns 1 to go on with a
 * new member, 0 at the end, -1 on error.
 */
static int after_member(struct sb_gz_reader *r, struct sb_errbuf *err)
{
	uint64_t trailing;

	while (r->z.avail_in < 2 && !r->in_eof)
		if (refill_in(r, err) < 0)
			return -1;
	if (r->z.avail_in == 0)
		return 0;
	if (r->z.avail_in >= 2 && r->z.next_in[0] == 0x1f && r->z.next_in[1] == 0x8b) {
		inflateReset(&r->z);
		r->member_end = false;
		return 1;
	}
	trailing = r->z.avail_in;
	while (!r->in_eof) {
		r->z.avail_in = 0;
		if (refill_in(r, err) < 0)
			return -1;
		trailing += r->z.avail_in;
	}
	sb_errf(err, SB_EPARSE, "%s: expected end of file after the gzip stream, got %llu trailing bytes",
		r->path, (unsigned long long)trailing);
	return -1;
}

/* Plain input: the bytes read by open first, then straight from the file. */
static long read_plain(struct sb_gz_reader *r, struct sb_errbuf *err)
{
	size_t got = r->first_len;

	if (got) {
		r->first_len = 0;
		return (long)got;
	}
	got = r->in_eof ? 0 : fread(r->out, 1, OUT_SIZE, r->f);
	if (got < OUT_SIZE && ferror(r->f)) {
		sb_errf(err, SB_EIO, "%s: cannot read: %s", r->path, strerror(errno));
		return -1;
	}
	if (got == 0)
		r->done = true;
	return (long)got;
}

long sb_gz_read(struct sb_gz_reader *r, const unsigned char **p, uint64_t at_line,
		struct sb_errbuf *err)
{
	*p = r->out;
	if (r->done)
		return 0;
	if (!r->is_gzip)
		return read_plain(r, err);
	r->z.next_out = r->out;
	r->z.avail_out = OUT_SIZE;
	while (r->z.avail_out == OUT_SIZE) {
		int ret;

		if (r->member_end) {
			int m = after_member(r, err);

			if (m < 0)
				return -1;
			if (m == 0) {
				r->done = true;
				break;
			}
		}
		if (r->z.avail_in == 0 && refill_in(r, err) < 0)
			return -1;
		ret = inflate(&r->z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END) {
			r->member_end = true;
		} else if (ret == Z_BUF_ERROR && r->z.avail_in == 0 && r->in_eof) {
			sb_errf(err, SB_EPARSE,
				"%s:%llu: expected a complete gzip stream, got: unexpected end of file (truncated or corrupt file)",
				r->path, (unsigned long long)at_line);
			return -1;
		} else if (ret != Z_OK && ret != Z_BUF_ERROR) {
			sb_errf(err, ret == Z_MEM_ERROR ? SB_ENOMEM : SB_EPARSE,
				"%s:%llu: expected a complete gzip stream, got: %s (truncated or corrupt file)",
				r->path, (unsigned long long)at_line,
				r->z.msg ? r->z.msg : "invalid data");
			return -1;
		}
	}
	return (long)(OUT_SIZE - r->z.avail_out);
}

/* ---- writing ---- */

struct sb_gz_writer {
	gzFile gz;
	char   path[];
};

struct sb_gz_writer *sb_gz_writer_open(const char *path, int level, struct sb_errbuf *err)
{
	size_t n = strlen(path) + 1;
	struct sb_gz_writer *w = malloc(sizeof(*w) + n);
	char mode[8];

	if (!w) {
		sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(ENOMEM));
		return NULL;
	}
	memcpy(w->path, path, n);
	snprintf(mode, sizeof(mode), "wb%d", level < 0 ? 0 : level > 9 ? 9 : level);
	w->gz = gzopen(path, mode);
	if (!w->gz) {
		sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

enum sb_err sb_gz_write(struct sb_gz_writer *w, const void *p, size_t n, struct sb_errbuf *err)
{
	const char *b = p;

	while (n > 0) {
		unsigned k = n > (1u << 30) ? 1u << 30 : (unsigned)n;
		int zerr;

		if (gzwrite(w->gz, b, k) != (int)k) {
			const char *msg = gzerror(w->gz, &zerr);

			return sb_errf(err, SB_EIO, "%s: write failed: %s", w->path,
				       zerr == Z_ERRNO ? strerror(errno) : msg);
		}
		b += k;
		n -= k;
	}
	return SB_OK;
}

enum sb_err sb_gz_writer_close(struct sb_gz_writer *w, struct sb_errbuf *err)
{
	int zerr = gzclose(w->gz);
	enum sb_err rc = SB_OK;

	if (zerr != Z_OK)
		rc = sb_errf(err, SB_EIO, "%s: cannot finish the gzip file (zlib error %d)", w->path,
			     zerr);
	free(w);
	return rc;
}

/* ---- checking ---- */

struct sb_gz_check {
	z_stream z;
	int      state;           /* 0 nothing yet, 1 inside a member, 2 a member ended */
	unsigned char out[32768]; /* decoded bytes, thrown away */
};

struct sb_gz_check *sb_gz_check_new(void)
{
	struct sb_gz_check *c = calloc(1, sizeof(*c));

	if (c && inflateInit2(&c->z, 16 + MAX_WBITS) != Z_OK) {
		free(c);
		return NULL;
	}
	return c;
}

bool sb_gz_check_feed(struct sb_gz_check *c, const void *bytes, size_t n)
{
	const unsigned char *p = bytes;

	while (n > 0) {
		int ret;

		if (c->state == 2 && inflateReset(&c->z) != Z_OK)   /* another member */
			return false;
		c->state = 1;
		c->z.next_in = (unsigned char *)p;
		c->z.avail_in = (uInt)(n > 1u << 30 ? 1u << 30 : n);
		for (;;) {
			c->z.next_out = c->out;
			c->z.avail_out = sizeof(c->out);
			ret = inflate(&c->z, Z_NO_FLUSH);
			if (ret == Z_STREAM_END) {
				c->state = 2;
				break;
			}
			if (ret == Z_BUF_ERROR && c->z.avail_in == 0)
				break;
			if (ret != Z_OK)
				return false;
			if (c->z.avail_in == 0 && c->z.avail_out != 0)
				break;
		}
		size_t used = (size_t)(c->z.next_in - p);

		p += used;
		n -= used;
	}
	return true;
}

bool sb_gz_check_complete(const struct sb_gz_check *c)
{
	return c && c->state == 2;
}

void sb_gz_check_free(struct sb_gz_check *c)
{
	if (!c)
		return;
	inflateEnd(&c->z);
	free(c);
}
