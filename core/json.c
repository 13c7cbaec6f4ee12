/* json.c - JSON documents through cJSON (see json.h); no other file includes cJSON.h
 *
 * A 'struct sb_json *' is a 'cJSON *': the struct is never defined, the pointers are
 * only converted here.  An object or array that could not take a value is marked in
 * its valueint (unused by cJSON for containers), and sb_json_write() looks for marks.
 */
#include "json.h"
#include "atomic.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INCOMPLETE 0x5b1

static cJSON *J(struct sb_json *v)
{
	return (cJSON *)(void *)v;
}

static const cJSON *CJ(const struct sb_json *v)
{
	return (const cJSON *)(const void *)v;
}

static struct sb_json *S(cJSON *v)
{
	return (struct sb_json *)(void *)v;
}

/* cJSON_IsObject() and the others, inline: the JSON Lines loader calls them per field. */
static inline bool is(const cJSON *v, int type)
{
	return v && (v->type & 0xFF) == type;
}

/* ---- parsing and reading ---- */

/* sb_json_parse(); on failure *bad (when not NULL) is where the text stops being JSON. */
static struct sb_json *parse_at(const char *text, size_t len, const char **bad)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);

	if (bad)
		*bad = end ? end : text;
	if (!j)
		return NULL;
	/* cJSON's whitespace: any byte up to ' ', as before and inside the value */
	for (; end < text + len; end++)
		if ((unsigned char)*end > ' ') {
			cJSON_Delete(j);
			if (bad)
				*bad = end;
			return NULL;
		}
	return S(j);
}

struct sb_json *sb_json_parse(const char *text, size_t len)
{
	return parse_at(text, len, NULL);
}

enum sb_err sb_json_load(const char *path, size_t max_bytes, struct sb_json **out,
			 struct sb_errbuf *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;
	const char *bad = NULL;
	enum sb_err rc = SB_OK;

	*out = NULL;
	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot open: %s", path, strerror(errno));
	do {
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				rc = sb_errf(err, SB_ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (max_bytes && len > max_bytes) {
			rc = sb_errf(err, SB_EIO, "%s: larger than %zu bytes", path, max_bytes);
			goto out;
		}
	} while (got > 0);
	if (ferror(f)) {
		rc = sb_errf(err, SB_EIO, "%s: read failed", path);
		goto out;
	}
	*out = parse_at(buf, len, &bad);
	if (!*out) {
		size_t line = 1, col = 1;

		for (const char *p = buf; p && p < bad && p < buf + len; p++, col++)
			if (*p == '\n') {
				line++;
				col = 0;
			}
		rc = sb_errf(err, SB_EPARSE, "%s: expected JSON (stops at line %zu, column %zu)",
			     path, line, col);
	}
out:
	free(buf);
	fclose(f);
	return rc;
}

void sb_json_free(struct sb_json *v)
{
	cJSON_Delete(J(v));
}

bool sb_json_is_object(const struct sb_json *v)
{
	return is(CJ(v), cJSON_Object);
}

bool sb_json_is_array(const struct sb_json *v)
{
	return is(CJ(v), cJSON_Array);
}

bool sb_json_is_string(const struct sb_json *v)
{
	return is(CJ(v), cJSON_String);
}

bool sb_json_is_number(const struct sb_json *v)
{
	return is(CJ(v), cJSON_Number);
}

bool sb_json_is_true(const struct sb_json *v)
{
	return is(CJ(v), cJSON_True);
}

bool sb_json_is_null(const struct sb_json *v)
{
	return is(CJ(v), cJSON_NULL);
}

const char *sb_json_string(const struct sb_json *v)
{
	return is(CJ(v), cJSON_String) ? CJ(v)->valuestring : NULL;
}

double sb_json_number(const struct sb_json *v)
{
	return is(CJ(v), cJSON_Number) ? CJ(v)->valuedouble : NAN;
}

bool sb_json_u64(const struct sb_json *v, uint64_t *out)
{
	double d = sb_json_number(v);

	if (!(d >= 0.0 && d < 18446744073709551616.0) || d != floor(d))   /* 2^64 */
		return false;
	*out = (uint64_t)d;
	return true;
}

const struct sb_json *sb_json_get(const struct sb_json *obj, const char *key)
{
	return is(CJ(obj), cJSON_Object) ? S(cJSON_GetObjectItemCaseSensitive(CJ(obj), key)) : NULL;
}

const struct sb_json *sb_json_first(const struct sb_json *v)
{
	return is(CJ(v), cJSON_Array) || is(CJ(v), cJSON_Object) ? S(CJ(v)->child) : NULL;
}

const struct sb_json *sb_json_next(const struct sb_json *item)
{
	return item ? S(CJ(item)->next) : NULL;
}

const char *sb_json_key(const struct sb_json *item)
{
	return item ? CJ(item)->string : NULL;
}

size_t sb_json_size(const struct sb_json *v)
{
	size_t n = 0;

	for (const struct sb_json *e = sb_json_first(v); e; e = sb_json_next(e))
		n++;
	return n;
}

bool sb_json_equal(const struct sb_json *a, const struct sb_json *b)
{
	return cJSON_Compare(CJ(a), CJ(b), 1);
}

char *sb_json_print(const struct sb_json *v, bool indent)
{
	/* cJSON allocates with malloc: no hooks are set (this is the only caller). */
	if (!v)
		return NULL;
	return indent ? cJSON_Print(CJ(v)) : cJSON_PrintUnformatted(CJ(v));
}

/* ---- building ---- */

struct sb_json *sb_json_new_object(void)
{
	return S(cJSON_CreateObject());
}

struct sb_json *sb_json_new_array(void)
{
	return S(cJSON_CreateArray());
}

/* Adds 'item' (NULL: it could not be made) to o, or marks o incomplete. */
static bool add_item(struct sb_json *o, const char *key, cJSON *item)
{
	cJSON *c = J(o);
	bool ok = false;

	if (!c) {
		cJSON_Delete(item);
		return false;
	}
	if (item && (cJSON_IsArray(c) || cJSON_IsObject(c)))
		ok = key && cJSON_IsObject(c) ? cJSON_AddItemToObject(c, key, item)
					      : !key && cJSON_IsArray(c) && cJSON_AddItemToArray(c, item);
	if (!ok) {
		cJSON_Delete(item);
		c->valueint = INCOMPLETE;
	}
	return ok;
}

bool sb_json_add(struct sb_json *o, const char *key, struct sb_json *v)
{
	return add_item(o, key, J(v));
}

struct sb_json *sb_json_detach_first(struct sb_json *o)
{
	cJSON *c = J(o);

	if (!(is(c, cJSON_Array) || is(c, cJSON_Object)) || !c->child)
		return NULL;
	return S(cJSON_DetachItemViaPointer(c, c->child));
}

struct sb_json *sb_json_add_object(struct sb_json *o, const char *key)
{
	cJSON *c = o ? cJSON_CreateObject() : NULL;

	return add_item(o, key, c) ? S(c) : NULL;
}

struct sb_json *sb_json_add_array(struct sb_json *o, const char *key)
{
	cJSON *c = o ? cJSON_CreateArray() : NULL;

	return add_item(o, key, c) ? S(c) : NULL;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		if (!(*++s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

bool sb_json_add_num_text(struct sb_json *o, const char *key, const char *text)
{
	/* Raw text, so the value reads back exactly (cJSON prints %.15g when it can). */
	return add_item(o, key, o && is_json_number(text) ? cJSON_CreateRaw(text) : NULL);
}

bool sb_json_add_num(struct sb_json *o, const char *key, double v)
{
	char buf[SB_NUM_LEN];

	if (!isfinite(v))
		return sb_json_add_null(o, key);
	return sb_json_add_num_text(o, key, sb_fmt_num(v, buf));
}

bool sb_json_add_u64(struct sb_json *o, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return sb_json_add_num_text(o, key, buf);
}

bool sb_json_add_str(struct sb_json *o, const char *key, const char *s)
{
	if (!s)
		return sb_json_add_null(o, key);
	return add_item(o, key, o ? cJSON_CreateString(s) : NULL);
}

bool sb_json_add_bool(struct sb_json *o, const char *key, bool b)
{
	return add_item(o, key, o ? cJSON_CreateBool(b) : NULL);
}

bool sb_json_add_null(struct sb_json *o, const char *key)
{
	return add_item(o, key, o ? cJSON_CreateNull() : NULL);
}

/* ---- writing ---- */

static bool complete(const cJSON *v)
{
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return true;
	if (v->valueint == INCOMPLETE)
		return false;
	for (const cJSON *c = v->child; c; c = c->next)
		if (!complete(c))
			return false;
	return true;
}

enum sb_err sb_json_write(const char *path, struct sb_json *doc, unsigned flags,
			  struct sb_errbuf *err)
{
	char *text = doc && complete(J(doc)) ? cJSON_Print(J(doc)) : NULL;
	struct sb_atomic a;
	enum sb_err rc = SB_OK;
	FILE *f;

	cJSON_Delete(J(doc));
	if (!text)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	/* atomic: core/atomic's temporary file, fsync and rename */
	if (flags & SB_JSON_ATOMIC) {
		rc = sb_atomic_open(&a, path, err);
		f = rc ? NULL : a.f;
	} else {
		f = fopen(path, "w");
		if (!f)
			rc = sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	}
	if (!f) {
		free(text);
		return rc;
	}
	fputs(text, f);
	fputc('\n', f);
	free(text);
	if (flags & SB_JSON_ATOMIC)
		return sb_atomic_commit(&a, err);
	if ((fflush(f) != 0) | ferror(f) | (fclose(f) != 0))
		rc = sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return rc;
}
