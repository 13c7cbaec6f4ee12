/* textio.h - line-by-line reading of plain or gzip'd text, CSV splitting, strict numbers */
#ifndef SB_TEXTIO_H
#define SB_TEXTIO_H

#include "../core/common.h"

#include <stdio.h>

#define SB_LINE_MAX (1u << 20)   /* longest accepted line: 1 MiB */

/*
 * A line reader over plain or gzip'd files (told apart by the gzip magic 1f 8b, not
 * the name) in constant memory, decoded by gz.h: concatenated gzip members are read
 * as one stream, as gzip -d does; a truncated or corrupt gzip stream, or bytes after
 * the last member, is reported as an error, never as a short file.
 */
struct sb_gz_reader;

struct sb_lines {
	FILE    *f;
	const char *path;
	uint64_t lineno;          /* number of the line last returned, 1-based */
	char    *buf;             /* current line, NUL-terminated, no '\n' or '\r'; valid
				   * until the next call (it may point into the decoded
				   * bytes, cut in place) */
	size_t   len;
	bool     is_gzip;
	/* reader state, private to textio.c */
	char    *own;             /* the buffer for lines that span two reads */
	size_t   cap;
	struct sb_gz_reader *gz;  /* hands out the decoded bytes */
	unsigned char *out;       /* the bytes it handed out last */
	size_t   out_pos, out_len;
};

/*
 * sb_lines_open() reads a regular file or a pipe (once, front to back); anything else
 * (/dev/zero, a folder) is refused before it is opened: "path: expected a regular
 * file or a pipe, got a character device" (SB_EINVAL).
 */
enum sb_err sb_lines_open(struct sb_lines *l, const char *path, struct sb_errbuf *err);
/*
 * sb_lines_next() returns 1 with l->buf set, 0 at end of file (again on every later
 * call), -1 on error (message in err): "path:line: ..." for a line too long, a NUL
 * byte in the line ("expected text, got an unexpected NUL byte at byte N of the
 * line": l->buf is a C string, and a NUL would silently cut it) or a damaged gzip
 * stream, "path: expected end of file after the gzip stream, got N trailing bytes"
 * when the last gzip member is followed by something else.
 */
int sb_lines_next(struct sb_lines *l, struct sb_errbuf *err);
/* sb_lines_open() that also hashes every byte of the file as it is read
 * (sb_gz_reader_open_hashed()): at the end of the file, 'hash' has seen it whole. */
struct sb_sha256;
enum sb_err sb_lines_open_hashed(struct sb_lines *l, const char *path, struct sb_sha256 *hash,
				 struct sb_errbuf *err);
void sb_lines_close(struct sb_lines *l);   /* safe twice, and after a failed open */

/*
 * sb_lines_next() and sb_csv_split(l->buf, ',', fields, max) in one: returns as
 * sb_lines_next(); on 1, *nfields is what sb_csv_split() returns (the number of
 * fields, or -1) and *plain whether the line had no quote (field i then ends at
 * fields[i + 1] - 1, the last at l->buf + l->len).  A line without quotes that lies
 * in the decoded bytes, the usual one, is found and split in one pass, 16 bytes at a
 * time.
 */
int sb_lines_next_csv(struct sb_lines *l, char **fields, int max, int *nfields, bool *plain,
		      struct sb_errbuf *err);
/* For tests: how sb_lines_next_csv() finds a line, 64 (AVX-512BW, when the CPU has it),
 * 16 (SSE2) or 0 bytes at a time (sb_lines_next(), then a split); -1: the widest. */
void sb_lines_scan_width(int bytes);

/* Decodes a gzip'd file ahead on a thread of its own (sb_gz_reader_readahead()):
 * the same lines and errors.  Call after sb_lines_open(), at any line. */
void sb_lines_readahead(struct sb_lines *l);

/* True when 'path' is a regular file that starts with the gzip magic 1f 8b (a pipe is
 * never peeked at: that would eat the bytes its reader needs). */
bool sb_file_is_gzip(const char *path);

/*
 * sb_csv_split() splits 'line' in place at 'delim' into at most 'max' fields,
 * honouring RFC 4180 double quotes ("a, b" and "" escapes; quotes are removed).
 * Returns the number of fields, or -1 when there are more than 'max' fields or a
 * quote is left open.  A quoted field cannot span lines.
 */
int sb_csv_split(char *line, char delim, char **fields, int max);

/*
 * A CSV record: a line of 'l', joined (with '\n') to the next ones while a quoted
 * field is open (sb_csv_split's quoting rules), in linear time.  Blank lines are
 * skipped.  sb_csv_record_next() returns 1 with r->buf (NUL-terminated) and r->first
 * (the record's first line), 0 at the end, -1 on an error ("path:FIRST: expected a
 * closing quote ..." or a record over SB_LINE_MAX; a reader's error as it was).
 */
struct sb_csv_record {
	char    *buf;
	size_t   len, cap;
	uint64_t first;
};
int sb_csv_record_next(struct sb_lines *l, char delim, struct sb_csv_record *r,
		       struct sb_errbuf *err);
void sb_csv_record_free(struct sb_csv_record *r);
/*
 * sb_csv_used_twice() returns the name of a column in used[0..nused) (indexes into
 * names, -1 skipped) that the header names twice (case-insensitively), else NULL:
 * which of two 'price' columns a reader takes would be a guess.
 */
const char *sb_csv_used_twice(char **names, int n, const int *used, int nused);

/* Strict parsers: the whole string must be consumed; no spaces, no empty value;
 * decimal notation only (no hex, nan or inf). */
bool sb_parse_double(const char *s, double *out);       /* rejects nan/inf too */
bool sb_parse_int64(const char *s, int64_t *out);

/*
 * sb_parse_time() reads an RFC 3339 time ("2024-03-01T12:34:56Z", "...56.123+02:00",
 * "2024-03-01 12:34:56" taken as UTC, "2024-03-01" = midnight) or an integer epoch
 * in seconds, milliseconds or microseconds told apart by magnitude (|v| < 1e11 s,
 * < 1e14 ms, else us).  Returns false on anything else, including impossible dates
 * and times outside [SB_TIME_MIN_US, SB_TIME_MAX_US) (1900 to 2200, 2200 excluded).
 */
bool sb_parse_time(const char *s, int64_t *t_us);

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
int64_t sb_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
