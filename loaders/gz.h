/* gz.h - gzip, the one module that calls zlib and ISA-L: a streaming gzip-or-plain
 * reader (ISA-L's igzip by default, zlib as the fallback), a gzip file writer and a
 * check that bytes form complete gzip data (zlib).  No library type shows here:
 * every handle is opaque. */
#ifndef SB_GZ_H
#define SB_GZ_H

#include "../core/common.h"

#include <stdio.h>

/* ---- reading ---- */

/*
 * The inflater of the readers opened from now on.  ISA-L's igzip (the default) and
 * zlib decode the same bytes and fail on the same damaged streams; zlib is the
 * fallback, chosen with SENTIBT_GZ=zlib in the environment or sb_gz_set_backend()
 * (which wins; for tests and benchmarks).  docs/performance.md has the figures.
 */
enum sb_gz_backend { SB_GZ_ISAL, SB_GZ_ZLIB };
#define SB_GZ_BACKENDS 2

void sb_gz_set_backend(enum sb_gz_backend b);
enum sb_gz_backend sb_gz_backend(void);
const char *sb_gz_backend_name(enum sb_gz_backend b);   /* "isal", "zlib" */

/*
 * A reader over an open stream, plain or gzip'd, told apart by the first bytes (the
 * gzip magic 1f 8b), not the name, in constant memory.  Concatenated gzip members
 * are read as one stream, as gzip -d does.  A truncated or corrupt gzip stream, or
 * bytes after the last member, is an error, never a short file.  (zlib's gzread
 * would take trailing non-gzip bytes for the end of the file, so inflate is called.)
 */
struct sb_gz_reader;

/*
 * sb_gz_reader_open() sets *r to a reader of 'f' and reads its first bytes.  'f'
 * stays the caller's to close, after the reader; 'path', named in messages, must
 * outlive the reader too.  Errors (*r NULL): "path: cannot read: ...", "path: out
 * of memory".
 */
enum sb_err sb_gz_reader_open(struct sb_gz_reader **r, FILE *f, const char *path,
			      struct sb_errbuf *err);
/* The same, every byte read from 'f' also given to sb_sha256_update(hash) (core/digest.h),
 * in the order of the file, whichever thread reads it; once the reader has handed
 * out the end of the stream, the file was hashed whole. */
struct sb_sha256;
enum sb_err sb_gz_reader_open_hashed(struct sb_gz_reader **r, FILE *f, const char *path,
				     struct sb_sha256 *hash, struct sb_errbuf *err);
bool sb_gz_reader_is_gzip(const struct sb_gz_reader *r);
/*
 * sb_gz_read() returns the number of the next decoded bytes, with *p pointing at
 * them (valid until the next call, and the caller's to modify until then: the line
 * reader cuts lines in place); 0 at the end of the stream (again on every later
 * call); -1 on error.  'at_line' is the line named in messages about damaged gzip
 * data: "path:at_line: expected a complete gzip stream, got: unexpected end of file
 * (truncated or corrupt file)" (or zlib's reason instead of 'unexpected end of
 * file'); bytes after the last member: "path: expected end of file after the gzip
 * stream, got N trailing bytes"; "path: cannot read: ...".
 */
long sb_gz_read(struct sb_gz_reader *r, unsigned char **p, uint64_t at_line,
		struct sb_errbuf *err);
void sb_gz_reader_close(struct sb_gz_reader *r);   /* NULL is fine */

/*
 * sb_gz_reader_readahead() moves the decoding of a gzip stream to a thread of its
 * own that runs ahead of sb_gz_read() by at most 8 chunks of 256 KiB, so that
 * inflating and parsing share two cores.  The bytes, their chunks, and the errors
 * (with the line the reader passes when it reaches them) are those of the
 * synchronous reader.  Done only for gzip input, when the process may run on more
 * than one CPU and SENTIBT_LOAD_THREADS is not 1; returns whether it started.  It
 * may be called after reads: the thread goes on where they stopped.
 */
bool sb_gz_reader_readahead(struct sb_gz_reader *r);

/* ---- writing ---- */

/*
 * A gzip file written through zlib's gzopen(path, "wb<level>"): the header carries
 * no name and mtime 0, so the same bytes at the same level give the same file.
 * sb_gz_writer_open() creates or truncates 'path'; NULL on error ("path: cannot
 * create: ...").  sb_gz_write() fails with "path: write failed: ...";
 * sb_gz_writer_close() flushes, closes and frees (always), failing with "path: cannot
 * finish the gzip file (zlib error N)".  After a failed write, close with err NULL.
 */
struct sb_gz_writer;

struct sb_gz_writer *sb_gz_writer_open(const char *path, int level, struct sb_errbuf *err);
enum sb_err sb_gz_write(struct sb_gz_writer *w, const void *p, size_t n, struct sb_errbuf *err);
enum sb_err sb_gz_writer_close(struct sb_gz_writer *w, struct sb_errbuf *err);

/* ---- checking ---- */

/*
 * A check, fed as bytes arrive (a download), that they are gzip data: one member or
 * several, each complete and valid.  A new member starts right after the end of the
 * previous one, so bytes after the last member (even zeros) are checked as a member
 * and fail.  The decoded bytes are thrown away.
 */
struct sb_gz_check;

struct sb_gz_check *sb_gz_check_new(void);      /* NULL: out of memory */
/* False as soon as the bytes fed so far cannot begin a valid gzip file. */
bool sb_gz_check_feed(struct sb_gz_check *c, const void *p, size_t n);
/* True when the bytes fed so far end exactly where a member ends (false for NULL). */
bool sb_gz_check_complete(const struct sb_gz_check *c);
void sb_gz_check_free(struct sb_gz_check *c);   /* NULL is fine */

/* The CRC-32 of gzip over p[0..n) (ISA-L's, folded with carry-less multiplies). */
uint32_t sb_crc32(const void *p, size_t n);

#endif
