/* gz.c - the only file that includes zlib and ISA-L (see gz.h) */
#include "gz.h"
#include "../core/digest.h"
#include "../core/thread.h"

#include <errno.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- reading ---- */

#define IN_SIZE  (1u << 18)
#define OUT_SIZE (1u << 18)
#define RING     8             /* decoded chunks a read-ahead thread may hold */

static const char *const backend_names[] = { "isal", "zlib" };
static int backend_forced = -1;   /* sb_gz_set_backend(); -1: SENTIBT_GZ, else isal */

/* Why a read failed, told by the decoder; the message is made by sb_gz_read(). */
enum fail { FAIL_NONE, FAIL_TRUNCATED, FAIL_CORRUPT, FAIL_NOMEM, FAIL_TRAILING, FAIL_IO };

/* One decoded chunk handed from the read-ahead thread to the reader. */
struct chunk {
	unsigned char *p;
	size_t n;
	enum fail fail;            /* the chunk ends the stream with this failure */
	const char *reason;        /* FAIL_CORRUPT */
	uint64_t trailing;         /* FAIL_TRAILING */
	int err_no;                /* FAIL_IO */
};

struct sb_gz_reader {
	FILE       *f;
	const char *path;
	enum sb_gz_backend backend;
	z_stream    z;
	struct inflate_state *isal;
	unsigned char *in, *out;  /* raw input (gzip only), decoded bytes */
	const unsigned char *next_in;
	size_t      avail_in;
	size_t      first_len;    /* plain: bytes read by open, in r->out, not handed out yet */
	bool        is_gzip;
	bool        z_live;       /* inflateInit2() done */
	bool        member_end;   /* a member finished; more may follow */
	bool        in_eof, done;
	struct chunk last;        /* what the decoder said last (its failure, if any) */
	/* read-ahead: a thread takes chunks from 'empty', decodes into them and puts
	 * them in 'full', in order; the reader hands them out and gives them back */
	struct sb_pipe pipe;
	struct chunk ring[RING];
	struct chunk *taken;      /* handed out last: back to 'empty' on the next read */
	struct chunk *final;      /* the end or the failure: handed out on every later read */
	struct sb_sha256 *hash;   /* NULL, or every byte read from the file goes through it */
};

void sb_gz_set_backend(enum sb_gz_backend b)
{
	backend_forced = (int)b;
}

enum sb_gz_backend sb_gz_backend(void)
{
	const char *e;

	if (backend_forced >= 0)
		return (enum sb_gz_backend)backend_forced;
	e = getenv("SENTIBT_GZ");
	return e && strcmp(e, "zlib") == 0 ? SB_GZ_ZLIB : SB_GZ_ISAL;
}

const char *sb_gz_backend_name(enum sb_gz_backend b)
{
	return backend_names[b];
}

static bool start_member(struct sb_gz_reader *r)
{
	if (r->backend == SB_GZ_ISAL) {
		isal_inflate_reset(r->isal);
		r->isal->crc_flag = ISAL_GZIP;
		return true;
	}
	return inflateReset(&r->z) == Z_OK;
}

/* fread() of the file, the bytes hashed on their way when asked. */
static size_t read_raw(struct sb_gz_reader *r, void *buf, size_t n)
{
	size_t got = fread(buf, 1, n, r->f);

	if (r->hash && got)
		sb_sha256_update(r->hash, buf, got);
	return got;
}

enum sb_err sb_gz_reader_open(struct sb_gz_reader **rp, FILE *f, const char *path,
			      struct sb_errbuf *err)
{
	return sb_gz_reader_open_hashed(rp, f, path, NULL, err);
}

enum sb_err sb_gz_reader_open_hashed(struct sb_gz_reader **rp, FILE *f, const char *path,
				     struct sb_sha256 *hash, struct sb_errbuf *err)
{
	struct sb_gz_reader *r = calloc(1, sizeof(*r));
	size_t got;

	*rp = NULL;
	if (!r)
		goto out_nomem;
	r->f = f;
	r->hash = hash;
	r->path = path;
	r->backend = sb_gz_backend();
	r->in = malloc(IN_SIZE);
	r->out = malloc(OUT_SIZE);
	if (!r->in || !r->out)
		goto out_nomem;
	/* the first bytes decide: gzip magic, else plain text (handed out as read) */
	got = read_raw(r, r->in, IN_SIZE);
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
	if (r->backend == SB_GZ_ISAL) {
		r->isal = malloc(sizeof(*r->isal));
		if (!r->isal)
			goto out_nomem;
		isal_inflate_init(r->isal);
		r->isal->crc_flag = ISAL_GZIP;
	} else {
		if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK)
			goto out_nomem;
		r->z_live = true;
	}
	r->next_in = r->in;
	r->avail_in = got;
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

/* Moves the unread input to the front and reads more after it; false on a read error. */
static bool refill_in(struct sb_gz_reader *r)
{
	size_t keep = r->avail_in, got;

	if (r->in_eof)
		return true;
	memmove(r->in, r->next_in, keep);
	got = read_raw(r, r->in + keep, IN_SIZE - keep);
	if (got < IN_SIZE - keep) {
		if (ferror(r->f)) {
			r->last.fail = FAIL_IO;
			r->last.err_no = errno;
			return false;
		}
		r->in_eof = true;
	}
	r->next_in = r->in;
	r->avail_in = keep + got;
	return true;
}

/*
 * After a member: another member (gzip magic), the end of the file, or trailing
 * bytes, which are counted to the end for the message.  Returns 1 to go on with a
 * new member, 0 at the end, -1 on error.
 */
static int after_member(struct sb_gz_reader *r)
{
	uint64_t trailing;

	while (r->avail_in < 2 && !r->in_eof)
		if (!refill_in(r))
			return -1;
	if (r->avail_in == 0)
		return 0;
	if (r->avail_in >= 2 && r->next_in[0] == 0x1f && r->next_in[1] == 0x8b) {
		if (!start_member(r)) {
			r->last.fail = FAIL_NOMEM;
			return -1;
		}
		r->member_end = false;
		return 1;
	}
	trailing = r->avail_in;
	while (!r->in_eof) {
		r->avail_in = 0;
		if (!refill_in(r))
			return -1;
		trailing += r->avail_in;
	}
	r->last.fail = FAIL_TRAILING;
	r->last.trailing = trailing;
	return -1;
}

static const char *isal_reason(int ret)
{
	switch (ret) {
	case ISAL_INVALID_BLOCK:       return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:      return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:    return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:     return "incorrect header check";
	case ISAL_UNSUPPORTED_METHOD:  return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:  return "incorrect data check";
	default:                       return "invalid data";
	}
}

/*
 * One inflate call on the current member into out[*n .. cap): 1 when the member
 * ended, 0 when it made progress or needs input, -1 on damaged data (r->last says
 * why).  No progress with no input left at the end of the file is a truncation.
 */
static int inflate_some(struct sb_gz_reader *r, unsigned char *out, size_t cap, size_t *n)
{
	size_t in0 = r->avail_in, n0 = *n;

	if (r->backend == SB_GZ_ISAL) {
		struct inflate_state *s = r->isal;
		enum isal_block_state st0 = s->block_state;
		int ret;

		s->next_in = (uint8_t *)(uintptr_t)r->next_in;
		s->avail_in = (uint32_t)r->avail_in;
		s->next_out = out + *n;
		s->avail_out = (uint32_t)(cap - *n);
		ret = isal_inflate(s);
		r->next_in = s->next_in;
		r->avail_in = s->avail_in;
		*n = cap - s->avail_out;
		if (ret < 0) {
			r->last.fail = FAIL_CORRUPT;
			r->last.reason = isal_reason(ret);
			return -1;
		}
		if (s->block_state == ISAL_BLOCK_FINISH)
			return 1;
		/* nothing read, nothing written, no step taken, and no input to come */
		if (r->in_eof && in0 == 0 && *n == n0 && s->block_state == st0) {
			r->last.fail = FAIL_TRUNCATED;
			return -1;
		}
		return 0;
	}
	int ret;

	r->z.next_in = (unsigned char *)(uintptr_t)r->next_in;
	r->z.avail_in = (uInt)r->avail_in;
	r->z.next_out = out + *n;
	r->z.avail_out = (uInt)(cap - *n);
	ret = inflate(&r->z, Z_NO_FLUSH);
	r->next_in = r->z.next_in;
	r->avail_in = r->z.avail_in;
	*n = cap - r->z.avail_out;
	if (ret == Z_STREAM_END)
		return 1;
	if (ret == Z_BUF_ERROR && r->avail_in == 0 && r->in_eof) {
		r->last.fail = FAIL_TRUNCATED;
		return -1;
	}
	if (ret != Z_OK && ret != Z_BUF_ERROR) {
		r->last.fail = ret == Z_MEM_ERROR ? FAIL_NOMEM : FAIL_CORRUPT;
		r->last.reason = r->z.msg ? r->z.msg : "invalid data";
		return -1;
	}
	return 0;
}

/*
 * Decodes the next bytes into out[0 .. cap): their number, 0 at the end of the
 * stream, -1 on failure (r->last; again on every later call).  A chunk is full
 * unless the stream ends or fails.
 */
static long decode(struct sb_gz_reader *r, unsigned char *out, size_t cap)
{
	size_t n = 0;

	if (r->last.fail != FAIL_NONE)    /* a failure stays */
		return -1;
	if (r->done)
		return 0;
	if (!r->is_gzip) {
		if (r->first_len) {
			n = r->first_len;
			r->first_len = 0;
			return (long)n;
		}
		n = r->in_eof ? 0 : read_raw(r, out, cap);
		if (n < cap && ferror(r->f)) {
			r->last.fail = FAIL_IO;
			r->last.err_no = errno;
			return -1;
		}
		if (n == 0)
			r->done = true;
		return (long)n;
	}
	while (n < cap) {
		int ret;

		if (r->member_end) {
			int m = after_member(r);

			if (m < 0)
				break;
			if (m == 0) {
				r->done = true;
				break;
			}
		}
		if (r->avail_in == 0 && !refill_in(r))
			break;
		ret = inflate_some(r, out, cap, &n);
		if (ret < 0)
			break;
		if (ret == 1)
			r->member_end = true;
	}
	/* the bytes decoded before a failure first; the failure on the next call */
	return n == 0 && r->last.fail != FAIL_NONE ? -1 : (long)n;
}

/* The read-ahead thread: decodes chunks until the end, a failure or the close. */
static void *ahead_main(void *arg)
{
	struct sb_gz_reader *r = arg;
	struct chunk *c;

	while ((c = sb_queue_pop(r->pipe.empty)) != NULL) {
		long n = decode(r, c->p, OUT_SIZE);   /* the slot is ours alone */

		c->n = n > 0 ? (size_t)n : 0;
		c->fail = n < 0 ? r->last.fail : FAIL_NONE;
		c->reason = r->last.reason;
		c->trailing = r->last.trailing;
		c->err_no = r->last.err_no;
		if (!sb_queue_push(r->pipe.full, c) || n <= 0)
			break;
	}
	return NULL;
}

static void free_ring(struct sb_gz_reader *r)
{
	for (size_t i = 0; i < RING; i++) {
		free(r->ring[i].p);
		r->ring[i].p = NULL;
	}
}

bool sb_gz_reader_readahead(struct sb_gz_reader *r)
{
	void *bufs[RING];

	if (!r->is_gzip || r->pipe.thread || r->done || r->last.fail || !sb_load_threads())
		return false;
	for (size_t i = 0; i < RING; i++) {
		r->ring[i].p = malloc(OUT_SIZE);
		if (!r->ring[i].p) {
			free_ring(r);
			return false;
		}
		bufs[i] = &r->ring[i];
	}
	if (!sb_pipe_start(&r->pipe, bufs, RING, ahead_main, r)) {
		free_ring(r);
		return false;
	}
	return true;
}

void sb_gz_reader_close(struct sb_gz_reader *r)
{
	if (!r)
		return;
	if (r->pipe.thread) {
		sb_pipe_stop(&r->pipe);
		free_ring(r);
	}
	if (r->z_live)
		inflateEnd(&r->z);
	free(r->isal);
	free(r->in);
	free(r->out);
	free(r);
}

/* The message for a failed read ('c' says why). */
static long failed(const struct sb_gz_reader *r, const struct chunk *c, uint64_t at_line,
		   struct sb_errbuf *err)
{
	switch (c->fail) {
	case FAIL_TRAILING:
		sb_errf(err, SB_EPARSE,
			"%s: expected end of file after the gzip stream, got %llu trailing bytes",
			r->path, (unsigned long long)c->trailing);
		break;
	case FAIL_IO:
		sb_errf(err, SB_EIO, "%s: cannot read: %s", r->path, strerror(c->err_no));
		break;
	case FAIL_NOMEM:
		sb_errf(err, SB_ENOMEM, "%s: out of memory", r->path);
		break;
	case FAIL_TRUNCATED:
		sb_errf(err, SB_EPARSE,
			"%s:%llu: expected a complete gzip stream, got: unexpected end of file (truncated or corrupt file)",
			r->path, (unsigned long long)at_line);
		break;
	default:
		sb_errf(err, SB_EPARSE,
			"%s:%llu: expected a complete gzip stream, got: %s (truncated or corrupt file)",
			r->path, (unsigned long long)at_line, c->reason);
		break;
	}
	return -1;
}

long sb_gz_read(struct sb_gz_reader *r, unsigned char **p, uint64_t at_line,
		struct sb_errbuf *err)
{
	struct chunk *c;
	long n;

	if (!r->pipe.thread) {
		*p = r->out;
		n = decode(r, r->out, OUT_SIZE);
		return n < 0 ? failed(r, &r->last, at_line, err) : n;
	}
	if (r->taken) {               /* the chunk handed out last is free again */
		sb_queue_push(r->pipe.empty, r->taken);
		r->taken = NULL;
	}
	c = r->final ? r->final : sb_queue_pop(r->pipe.full);
	*p = c->p;
	if (c->fail != FAIL_NONE || c->n == 0) {
		r->final = c;         /* the thread has ended: this is the answer from now on */
		return c->fail != FAIL_NONE ? failed(r, c, at_line, err) : 0;
	}
	r->taken = c;
	return (long)c->n;
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

uint32_t sb_crc32(const void *p, size_t n)
{
	uint32_t crc = 0;

	/* ISA-L takes a 64-bit length: one call whatever n */
	crc = crc32_gzip_refl(crc, (const unsigned char *)p, (uint64_t)n);
	return crc;
}
