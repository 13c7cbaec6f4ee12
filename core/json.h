/* json.h - JSON documents: parse, read, build, write (the only module that calls cJSON)
 *
 * A 'struct sb_json' is one JSON value: an object, an array, a string, a number,
 * true, false or null.  The type is opaque; no type of the library shows here.
 * A document is its root value: sb_json_free() frees the root and everything in it,
 * and pointers to values inside (and their strings) live as long as the root.
 *
 * Reading is NULL-safe: every accessor takes NULL (a missing member) and answers
 * "not that type" / NULL / 0, so lookups chain without checks in between.
 *
 * Building: the sb_json_add_*() functions add a member to an object ('key' = its
 * name) or, with key NULL, an element to an array.  They return false (and the new
 * object or array ones NULL) when out of memory or when the container is NULL; the
 * document then remembers it is incomplete, and sb_json_write() fails on it instead
 * of writing a file with values missing.
 */
#ifndef SB_JSON_H
#define SB_JSON_H

#include "common.h"

struct sb_json;

/* ---- parsing and reading ---- */

/*
 * Parses text[0 .. len) (need not end with a NUL) as one JSON value with nothing but
 * whitespace around it.  NULL when it is not JSON, or out of memory.
 */
struct sb_json *sb_json_parse(const char *text, size_t len);

/*
 * Reads and parses the file 'path' (at most 'max_bytes' when not 0).  Errors:
 * SB_EIO "PATH: cannot open: ..." / "PATH: read failed" / "PATH: larger than N bytes",
 * SB_ENOMEM "out of memory", SB_EPARSE "PATH: expected JSON".  *out is NULL on error.
 */
enum sb_err sb_json_load(const char *path, size_t max_bytes, struct sb_json **out,
			 struct sb_errbuf *err);

void sb_json_free(struct sb_json *v);        /* a root (document); NULL is fine */

bool sb_json_is_object(const struct sb_json *v);
bool sb_json_is_array(const struct sb_json *v);
bool sb_json_is_string(const struct sb_json *v);
bool sb_json_is_number(const struct sb_json *v);
bool sb_json_is_true(const struct sb_json *v);
bool sb_json_is_null(const struct sb_json *v);

/* The string's text; NULL when v is not a string. */
const char *sb_json_string(const struct sb_json *v);
/* The number; NaN when v is not a number. */
double sb_json_number(const struct sb_json *v);
/* True with *out = v when v is an integral number in [0, 2^64) (exact up to 2^53). */
bool sb_json_u64(const struct sb_json *v, uint64_t *out);

/* The member 'key' of an object (case-sensitive; the first when repeated), or NULL. */
const struct sb_json *sb_json_get(const struct sb_json *obj, const char *key);

/*
 * The elements of an array, or the members of an object in file order (repeated keys
 * included): sb_json_first() / sb_json_next() give NULL at the end, and NULL for a
 * value that is neither.  sb_json_key() is a member's name (NULL for an element).
 */
const struct sb_json *sb_json_first(const struct sb_json *v);
const struct sb_json *sb_json_next(const struct sb_json *item);
const char *sb_json_key(const struct sb_json *item);
size_t sb_json_size(const struct sb_json *v);   /* elements or members; 0 for the rest */

#define SB_JSON_FOR_EACH(item, container) \
	for ((item) = sb_json_first(container); (item); (item) = sb_json_next(item))

/*
 * Same type and value, recursively (object members matched by name).  Numbers are
 * equal when within a relative 2^-52 of each other (cJSON's rule).
 */
bool sb_json_equal(const struct sb_json *a, const struct sb_json *b);

/* v as JSON text, indented with tabs or on one line; malloc'd (free()), NULL on ENOMEM. */
char *sb_json_print(const struct sb_json *v, bool indent);

/* ---- building ---- */

struct sb_json *sb_json_new_object(void);   /* NULL when out of memory */
struct sb_json *sb_json_new_array(void);

/* A new empty object / array added to 'o'; NULL when out of memory or o is NULL. */
struct sb_json *sb_json_add_object(struct sb_json *o, const char *key);
struct sb_json *sb_json_add_array(struct sb_json *o, const char *key);
/*
 * Takes the first element or member out of an array or object and returns it as a
 * root (sb_json_free() it, or sb_json_add() it elsewhere); a member keeps its name
 * (sb_json_key).  NULL when empty or not a container.
 */
struct sb_json *sb_json_detach_first(struct sb_json *o);
/* Adds 'v' (a root, now owned by 'o'; freed when it cannot be added). */
bool sb_json_add(struct sb_json *o, const char *key, struct sb_json *v);

/* Exactly: the shortest text that reads back as v (sb_fmt_num); null when not finite. */
bool sb_json_add_num(struct sb_json *o, const char *key, double v);
/*
 * A number given as text, written as it is: decimals such as "0.82" that a double
 * would not print the same.  'text' must be a JSON number (else false, incomplete).
 */
bool sb_json_add_num_text(struct sb_json *o, const char *key, const char *text);
bool sb_json_add_u64(struct sb_json *o, const char *key, uint64_t v);
bool sb_json_add_str(struct sb_json *o, const char *key, const char *s);   /* NULL: null */
bool sb_json_add_bool(struct sb_json *o, const char *key, bool b);
bool sb_json_add_null(struct sb_json *o, const char *key);

/* ---- writing ---- */

/*
 * sb_json_write() writes 'doc' to 'path' as indented JSON (tabs, a newline at the end)
 * and frees it.  doc NULL or incomplete (see above): SB_ENOMEM, nothing written.
 * SB_JSON_ATOMIC writes "PATH.part.PID.HEX" next to it, syncs it and renames it into
 * place, so readers see the old file or the new one, never a part.
 */
#define SB_JSON_ATOMIC 1u
enum sb_err sb_json_write(const char *path, struct sb_json *doc, unsigned flags,
			  struct sb_errbuf *err);

#endif
