/* mpk.h - MessagePack, the one module that calls msgpack-c: writing to a FILE,
 * reading one document (a cache entry) or a stream of records (a sentiment file).
 * No msgpack-c type shows here: values are tagged structs, handles are opaque. */
#ifndef SB_MPK_H
#define SB_MPK_H

#include "../core/common.h"

#include <stdio.h>

/* ---- writing ---- */

/*
 * Each call appends one value to 'f' in its shortest encoding; a write error stays
 * on 'f' (ferror) for the caller to check once at the end.
 */
void sb_mpk_put_array(FILE *f, uint32_t n);                /* then n values */
void sb_mpk_put_str(FILE *f, const char *s);               /* a C string, as str */
void sb_mpk_put_uint(FILE *f, uint64_t v);
void sb_mpk_put_int(FILE *f, int64_t v);
void sb_mpk_put_bin(FILE *f, const void *p, size_t n);

/* ---- values ---- */

enum sb_mpk_type {
	SB_MPK_NIL,
	SB_MPK_BOOL,              /* .b */
	SB_MPK_UINT,              /* an integer >= 0, however it was encoded: .u */
	SB_MPK_INT,               /* a negative integer: .i */
	SB_MPK_FLOAT32,           /* .f, the float's exact value */
	SB_MPK_FLOAT64,           /* .f */
	SB_MPK_STR,               /* .s, .n bytes: not NUL-terminated, may hold NULs */
	SB_MPK_BIN,               /* .s, .n bytes */
	SB_MPK_ARRAY,             /* .n items: sb_mpk_item() */
	SB_MPK_MAP,               /* .n key-value pairs: sb_mpk_pair() */
	SB_MPK_EXT,               /* .ext_type, .s, .n bytes; sb_mpk_timestamp() */
};

/*
 * A decoded value.  What it points at (strings, items) lives as long as the
 * document or the stream record it came from.
 */
struct sb_mpk_val {
	enum sb_mpk_type type;
	uint32_t n;
	int8_t ext_type;
	union {
		bool b;
		uint64_t u;
		int64_t i;
		double f;
		const char *s;
	};
	const void *obj_;         /* private to mpk.c */
};

struct sb_mpk_val sb_mpk_item(const struct sb_mpk_val *array, uint32_t i);   /* i < n */
void sb_mpk_pair(const struct sb_mpk_val *map, uint32_t i, struct sb_mpk_val *key,
		 struct sb_mpk_val *val);                                    /* i < n */
/* Deep equality: same types, same values, same items in the same order. */
bool sb_mpk_equal(const struct sb_mpk_val *a, const struct sb_mpk_val *b);
/* An ext of type -1 in one of the three timestamp layouts (4, 8 or 12 bytes). */
bool sb_mpk_timestamp(const struct sb_mpk_val *v, int64_t *sec, uint32_t *nsec);

/*
 * Every object is bounded before msgpack-c sees its bytes: its unpacker allocates
 * what a size header announces (a 22-byte file asking for 8 GB), so each announced
 * count is first checked against the bytes that are really there and the limits.
 */

/* ---- one document ---- */

struct sb_mpk_doc;

/*
 * sb_mpk_parse() decodes bytes[0..n), which must hold exactly one object, into *root.
 * NULL when they do not (or when out of memory).  The values point into 'bytes',
 * which must outlive the document.
 */
struct sb_mpk_doc *sb_mpk_parse(const void *bytes, size_t n, struct sb_mpk_val *root);
void sb_mpk_doc_free(struct sb_mpk_doc *d);        /* NULL is fine */

/* ---- a stream of records ---- */

struct sb_mpk_stream;

/* Why sb_mpk_next() stopped, when it returns < 0. */
enum sb_mpk_stop {
	SB_MPK_EBOUND = -1,   /* not MessagePack, or a record over max_objects / max_bytes */
	SB_MPK_ECORRUPT = -2, /* msgpack-c refused the record's bytes */
	SB_MPK_ETRUNC = -3,   /* the stream ends inside a record */
	SB_MPK_ETOOBIG = -4,  /* more than max_bytes read without a whole record */
	SB_MPK_EREAD = -5,    /* a read error, errno says which */
	SB_MPK_ENOMEM = -6,
};

/*
 * sb_mpk_stream_open() reads records from 'f' (which stays the caller's, and must
 * outlive the stream) in 64 KiB chunks, each record at most 'max_objects' objects
 * and 'max_bytes' bytes.  NULL when out of memory.
 */
struct sb_mpk_stream *sb_mpk_stream_open(FILE *f, uint32_t max_objects, size_t max_bytes);
/* 1 with *rec set (valid until the next call), 0 at the end of the stream, or an
 * enum sb_mpk_stop. */
int sb_mpk_next(struct sb_mpk_stream *s, struct sb_mpk_val *rec);
void sb_mpk_stream_close(struct sb_mpk_stream *s);  /* NULL is fine */

#endif
