/* events.c - sentiment articles from JSON Lines, MessagePack streams and CSV news files
 *
 * Every format parser turns one record into a 'struct article' (what the record
 * said, unchecked), and add_article() applies the rules shared by all formats:
 * required fields, ranges, confidence mode, duplicate ids.  finish() applies the
 * entity filter, sorts stably by time and fills 'struct sb_events'.
 *
 * Decisions (DESIGN.md is silent on them):
 * - conf_mode SB_CONF_CONST / SB_CONF_ABS_SCORE override a confidence field that
 *   the file may carry; SB_CONF_FIELD requires one in every record.
 * - The entity filter applies only when at least one record of the file carries a
 *   symbols field; then a record without symbols is not about the entity and is
 *   dropped.  A file without any symbols is kept whole (said in dropped_why).
 * - A file with no article, or with no article left after the entity filter, is an
 *   error: a backtest on zero articles is almost always a wrong file or symbol.
 * - Duplicate ids are found before the entity filter; the first record wins.
 * - CSV: the delimiter (',', ';' or tab) is the most frequent one outside quotes in
 *   the header line; quoted fields may span lines (the record keeps the number of
 *   its first line); optional columns id/article_id and symbols/key_entities (a
 *   list separated by commas, semicolons, '|' or spaces, brackets and quotes allowed).
 * - MessagePack is read with stdio in 64 KiB chunks; a gzip'd .msgpack(.gz) is
 *   refused with a hint, since zlib is called from textio.c only.
 */
#include "events.h"
#include "textio.h"

#include <cJSON.h>
#include <msgpack.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARTICLES   ((size_t)1 << 28)   /* cap on the record array: 8 GiB */
#define MAX_CSV_COLS   512
#define MSGPACK_CHUNK  (1u << 16)
#define MSGPACK_MAX_RECORD (64u << 20)      /* one map larger than this is an error */
#define MSGPACK_MAX_OBJECTS 100000u         /* objects in one record (an article: dozens) */

enum sym_state { SYM_NONE = 0, SYM_OTHER, SYM_MATCH };

struct rec {
	int64_t  t_us;
	int32_t  score, conf;     /* 10^-9 units */
	uint64_t seq;             /* file order, for a stable sort */
	uint8_t  sym;             /* enum sym_state */
};

/* Open-addressing set of ids (copies), to find duplicates. */
struct idset {
	char  **slot;
	size_t *len;
	size_t  cap, n;
};

struct loader {
	const char *path;
	bool        by_record;    /* messages say "record N" (msgpack) instead of line N */
	const struct sb_events_opts *o;
	struct rec *r;
	size_t      n, cap;
	struct idset ids;
	uint64_t    rows, duplicates, rounded;
	bool        any_symbols;
	struct sb_errbuf *err;
};

/* One record as its format said it, before the shared checks. */
struct article {
	bool        has_time, has_score, has_conf;
	int64_t     t_us;
	double      score, conf;
	const char *score_name, *conf_name;
	const char *id;           /* NULL: no id */
	size_t      id_len;
	char        id_buf[32];   /* numeric ids are formatted here */
	uint8_t     sym;
};

static enum sb_err fail(struct loader *L, uint64_t where, enum sb_err code, const char *fmt, ...)
	SB_PRINTF(4, 5);

static enum sb_err fail(struct loader *L, uint64_t where, enum sb_err code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (L->by_record)
		return sb_errf(L->err, code, "%s: record %llu: %s", L->path,
			       (unsigned long long)where, msg);
	return sb_errf(L->err, code, "%s:%llu: %s", L->path, (unsigned long long)where, msg);
}

/* ---- id set ---- */

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = UINT64_C(1469598103934665603);   /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static void idset_release(struct idset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	free(s->len);
	memset(s, 0, sizeof(*s));
}

static size_t idset_find(const struct idset *s, const char *id, size_t len)
{
	size_t i = (size_t)hash_bytes(id, len) & (s->cap - 1);

	while (s->slot[i] && (s->len[i] != len || memcmp(s->slot[i], id, len) != 0))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static bool idset_grow(struct idset *s)
{
	struct idset bigger = { 0 };

	bigger.cap = s->cap ? s->cap * 2 : 1024;
	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	bigger.len = calloc(bigger.cap, sizeof(*bigger.len));
	if (!bigger.slot || !bigger.len) {
		free(bigger.slot);
		free(bigger.len);
		return false;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slot[i]) {
			size_t j = idset_find(&bigger, s->slot[i], s->len[i]);

			bigger.slot[j] = s->slot[i];
			bigger.len[j] = s->len[i];
		}
	}
	bigger.n = s->n;
	free(s->slot);
	free(s->len);
	*s = bigger;
	return true;
}

/* Returns 1 when 'id' was added, 0 when it was already there, -1 out of memory. */
static int idset_add(struct idset *s, const char *id, size_t len)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && !idset_grow(s))
		return -1;
	i = idset_find(s, id, len);
	if (s->slot[i])
		return 0;
	s->slot[i] = malloc(len + 1);
	if (!s->slot[i])
		return -1;
	memcpy(s->slot[i], id, len);
	s->slot[i][len] = '\0';
	s->len[i] = len;
	s->n++;
	return 1;
}

/* ---- shared rules ---- */

static bool entity_is(const struct loader *L, const char *s, size_t len)
{
	const char *e = L->o->entity;

	return e && strlen(e) == len && strncasecmp(e, s, len) == 0;
}

static enum sb_err add_article(struct loader *L, struct article *a, uint64_t where)
{
	int64_t score, conf;
	bool r1 = false, r2 = false;

	L->rows++;
	if (!a->has_time)
		return fail(L, where, SB_EPARSE, "expected a published_at time, found none");
	if (!a->has_score)
		return fail(L, where, SB_EPARSE, "expected a %s, found none", a->score_name);
	if (!isfinite(a->score) || a->score < -1.0 || a->score > 1.0)
		return fail(L, where, SB_EPARSE, "expected %s in [-1, 1], got %g",
			    a->score_name, a->score);
	score = sb_dec_from_double(a->score, &r1);
	switch (L->o->conf_mode) {
	case SB_CONF_CONST:
		conf = sb_dec_from_double(L->o->conf_const, NULL);
		break;
	case SB_CONF_ABS_SCORE:
		conf = score < 0 ? -score : score;
		break;
	case SB_CONF_FIELD:
	default:
		if (!a->has_conf)
			return fail(L, where, SB_EPARSE,
				    "expected a %s, found none (or choose --confidence const:X or --confidence abs)",
				    a->conf_name);
		if (!isfinite(a->conf) || a->conf < 0.0 || a->conf > 1.0)
			return fail(L, where, SB_EPARSE, "expected %s in [0, 1], got %g",
				    a->conf_name, a->conf);
		conf = sb_dec_from_double(a->conf, &r2);
		break;
	}
	if (a->id) {
		int added = idset_add(&L->ids, a->id, a->id_len);

		if (added < 0)
			return sb_errf(L->err, SB_ENOMEM, "%s: out of memory", L->path);
		if (added == 0) {
			L->duplicates++;
			return SB_OK;
		}
	}
	L->rounded += r1 + r2;
	if (a->sym != SYM_NONE)
		L->any_symbols = true;
	if (L->n == L->cap) {
		size_t ncap = L->cap ? L->cap * 2 : 4096;
		struct rec *nr;

		if (ncap > MAX_ARTICLES)
			return fail(L, where, SB_EINVAL, "expected at most %zu articles",
				    (size_t)MAX_ARTICLES);
		nr = realloc(L->r, ncap * sizeof(*nr));
		if (!nr)
			return sb_errf(L->err, SB_ENOMEM, "%s: out of memory", L->path);
		L->r = nr;
		L->cap = ncap;
	}
	L->r[L->n] = (struct rec){ .t_us = a->t_us, .score = (int32_t)score, .conf = (int32_t)conf,
				   .seq = L->n, .sym = a->sym };
	L->n++;
	return SB_OK;
}

static int cmp_rec(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;

	if (a->t_us != b->t_us)
		return a->t_us < b->t_us ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Applies the entity filter, sorts and moves the records into 'ev'. */
static enum sb_err finish(struct loader *L, struct sb_events *ev, struct sb_input_info *info)
{
	const char *entity = L->o->entity;
	uint64_t dropped = 0;
	size_t k = 0;

	if (entity && L->any_symbols) {
		for (size_t i = 0; i < L->n; i++) {
			if (L->r[i].sym == SYM_MATCH)
				L->r[k++] = L->r[i];
			else
				dropped++;
		}
		L->n = k;
	}
	if (L->n == 0)
		return sb_errf(L->err, SB_EPARSE,
			       "%s: expected at least one article about %s, got none among %llu",
			       L->path, entity ? entity : "the entity", (unsigned long long)L->rows);
	qsort(L->r, L->n, sizeof(*L->r), cmp_rec);

	ev->t_us = sb_aligned_alloc(L->n * sizeof(*ev->t_us));
	ev->score_e9 = sb_aligned_alloc(L->n * sizeof(*ev->score_e9));
	ev->conf_e9 = sb_aligned_alloc(L->n * sizeof(*ev->conf_e9));
	if (!ev->t_us || !ev->score_e9 || !ev->conf_e9) {
		sb_events_release(ev);
		return sb_errf(L->err, SB_ENOMEM, "%s: out of memory", L->path);
	}
	for (size_t i = 0; i < L->n; i++) {
		ev->t_us[i] = L->r[i].t_us;
		ev->score_e9[i] = L->r[i].score;
		ev->conf_e9[i] = L->r[i].conf;
	}
	ev->n = L->n;
	if (info) {
		info->rows = L->rows;
		info->rows_used = L->n;
		info->rows_dropped = dropped;
		info->duplicates = L->duplicates;
		info->rounded = L->rounded;
		info->t_first_us = ev->t_us[0];
		info->t_last_us = ev->t_us[ev->n - 1];
		if (entity && L->any_symbols)
			snprintf(info->dropped_why, sizeof(info->dropped_why),
				 "%llu not about %s", (unsigned long long)dropped, entity);
		else if (entity)
			snprintf(info->dropped_why, sizeof(info->dropped_why),
				 "entity filter %s not applied: the file has no symbols", entity);
	}
	return SB_OK;
}

/* Reads an integral epoch held as a double (JSON number, msgpack float). */
static bool time_from_double(double v, int64_t *t_us)
{
	char buf[32];

	if (!isfinite(v) || v != floor(v) || fabs(v) > 9007199254740992.0)   /* 2^53 */
		return false;
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return sb_parse_time(buf, t_us);
}

/*
 * The keys a record is read by, in alias pairs (second NULL: no alias).  A repeated
 * key is an error: cJSON would take the first, Python's json the last, so the file
 * means different articles to different readers.  So is an alias pair given twice
 * with different values.  confidence counts only when it is read (SB_CONF_FIELD).
 */
static const char *const read_keys[][2] = {
	{ "published_at", NULL }, { "sentiment_score", NULL }, { "confidence", NULL },
	{ "id", "article_id" }, { "symbols", "key_entities" },
};
#define N_READ_KEYS (sizeof(read_keys) / sizeof(read_keys[0]))

/* Index * 2 + (1 for the alias) of 'name' in read_keys, or -1. */
static int read_key_index(const struct loader *L, const char *name, size_t len)
{
	for (size_t i = 0; i < N_READ_KEYS; i++) {
		if (L->o->conf_mode != SB_CONF_FIELD && strcmp(read_keys[i][0], "confidence") == 0)
			continue;
		for (int j = 0; j < 2; j++) {
			const char *k = read_keys[i][j];

			if (k && strlen(k) == len && memcmp(k, name, len) == 0)
				return (int)i * 2 + j;
		}
	}
	return -1;
}

static enum sb_err twice(struct loader *L, uint64_t where, int idx)
{
	return fail(L, where, SB_EPARSE, "key '%s' appears twice; expected each key once",
		    read_keys[idx / 2][idx % 2]);
}

static enum sb_err both_aliases(struct loader *L, uint64_t where, size_t pair)
{
	return fail(L, where, SB_EPARSE,
		    "both '%s' and '%s' given, with different values; expected one of them",
		    read_keys[pair][0], read_keys[pair][1]);
}

/* ---- JSON Lines ---- */

/* The rule above read_keys, for one JSON object. */
static enum sb_err json_check_keys(struct loader *L, const cJSON *obj, uint64_t line)
{
	const cJSON *seen[N_READ_KEYS * 2] = { NULL };
	const cJSON *item;

	cJSON_ArrayForEach(item, obj) {
		int idx;

		if (!item->string)
			continue;
		idx = read_key_index(L, item->string, strlen(item->string));
		if (idx < 0)
			continue;
		if (seen[idx])
			return twice(L, line, idx);
		seen[idx] = item;
	}
	for (size_t i = 0; i < N_READ_KEYS; i++) {
		const cJSON *a = seen[2 * i], *b = seen[2 * i + 1];

		/* null means absent, as in json_field() */
		if (a && b && !cJSON_IsNull(a) && !cJSON_IsNull(b) && !cJSON_Compare(a, b, true))
			return both_aliases(L, line, i);
	}
	return SB_OK;
}

/* The value of 'name' (else of 'alias'); a JSON null counts as absent. */
static const cJSON *json_field(const cJSON *obj, const char *name, const char *alias,
			       const char **used)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*used = name;
	if ((!v || cJSON_IsNull(v)) && alias) {
		v = cJSON_GetObjectItemCaseSensitive(obj, alias);
		*used = alias;
	}
	return v && !cJSON_IsNull(v) ? v : NULL;
}

static enum sb_err json_article(struct loader *L, const cJSON *obj, uint64_t line,
				struct article *a)
{
	const char *name;
	const cJSON *v;
	enum sb_err rc = json_check_keys(L, obj, line);

	if (rc != SB_OK)
		return rc;
	v = json_field(obj, "published_at", NULL, &name);
	if (v) {
		bool ok;

		if (cJSON_IsString(v))
			ok = sb_parse_time(v->valuestring, &a->t_us);
		else if (cJSON_IsNumber(v))
			ok = time_from_double(v->valuedouble, &a->t_us);
		else
			ok = false;
		if (!ok) {
			char *s = cJSON_PrintUnformatted(v);
			enum sb_err e = fail(L, line, SB_EPARSE,
					     "expected published_at as an RFC 3339 time or an integer epoch (s, ms or us) between 1900 and 2200, got %.60s",
					     s ? s : "?");
			free(s);
			return e;
		}
		a->has_time = true;
	}
	v = json_field(obj, "sentiment_score", NULL, &name);
	if (v) {
		if (!cJSON_IsNumber(v))
			return fail(L, line, SB_EPARSE, "expected sentiment_score as a number");
		a->score = v->valuedouble;
		a->has_score = true;
	}
	if (L->o->conf_mode == SB_CONF_FIELD) {
		v = json_field(obj, "confidence", NULL, &name);
		if (v) {
			if (!cJSON_IsNumber(v))
				return fail(L, line, SB_EPARSE, "expected confidence as a number");
			a->conf = v->valuedouble;
			a->has_conf = true;
		}
	}
	v = json_field(obj, "id", "article_id", &name);
	if (v) {
		if (cJSON_IsString(v)) {
			a->id = v->valuestring;
		} else if (cJSON_IsNumber(v)) {
			snprintf(a->id_buf, sizeof(a->id_buf), "%.17g", v->valuedouble);
			a->id = a->id_buf;
		} else {
			return fail(L, line, SB_EPARSE, "expected %s as a string or a number", name);
		}
		a->id_len = strlen(a->id);
	}
	v = json_field(obj, "symbols", "key_entities", &name);
	if (v) {
		const cJSON *s;

		if (!cJSON_IsArray(v))
			return fail(L, line, SB_EPARSE, "expected %s as an array of strings", name);
		a->sym = SYM_OTHER;
		cJSON_ArrayForEach(s, v) {
			if (!cJSON_IsString(s))
				return fail(L, line, SB_EPARSE, "expected %s as an array of strings",
					    name);
			if (entity_is(L, s->valuestring, strlen(s->valuestring)))
				a->sym = SYM_MATCH;
		}
	}
	return SB_OK;
}

static bool is_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

static enum sb_err load_jsonl(struct loader *L)
{
	struct sb_lines lines;
	enum sb_err rc;
	int got;

	rc = sb_lines_open(&lines, L->path, L->err);
	if (rc != SB_OK)
		return rc;
	while ((got = sb_lines_next(&lines, L->err)) == 1) {
		struct article a = { .score_name = "sentiment_score", .conf_name = "confidence" };
		const char *end = NULL;
		cJSON *obj;

		if (is_blank(lines.buf))
			continue;
		obj = cJSON_ParseWithLengthOpts(lines.buf, lines.len + 1, &end, 1);
		if (!obj || !cJSON_IsObject(obj)) {
			rc = fail(L, lines.lineno, SB_EPARSE,
				  "expected a JSON object per line, got '%.40s%s'", lines.buf,
				  lines.len > 40 ? "..." : "");
			cJSON_Delete(obj);
			goto out_close;
		}
		rc = json_article(L, obj, lines.lineno, &a);
		if (rc == SB_OK)
			rc = add_article(L, &a, lines.lineno);
		cJSON_Delete(obj);
		if (rc != SB_OK)
			goto out_close;
	}
	if (got < 0) {
		rc = SB_EPARSE;
		goto out_close;
	}
	if (L->rows == 0)
		rc = fail(L, lines.lineno + 1, SB_EPARSE, "expected at least one article");
out_close:
	sb_lines_close(&lines);
	return rc;
}

/* ---- MessagePack ---- */

static bool mp_str(const msgpack_object *o, const char **s, size_t *len)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*s = o->via.str.ptr;
		*len = o->via.str.size;
		return true;
	}
	if (o->type == MSGPACK_OBJECT_BIN) {
		*s = o->via.bin.ptr;
		*len = o->via.bin.size;
		return true;
	}
	return false;
}

static bool mp_key_is(const msgpack_object *k, const char *name)
{
	const char *s;
	size_t len;

	return mp_str(k, &s, &len) && strlen(name) == len && memcmp(s, name, len) == 0;
}

static bool mp_number(const msgpack_object *o, double *v)
{
	switch (o->type) {
	case MSGPACK_OBJECT_FLOAT32: {
		/* A float32 0.7f was meant as 0.7: take the shortest decimal that reads back
		 * as the same float (at most 9 digits), not the float's binary value. */
		float f = (float)o->via.f64;
		char buf[32];

		for (int prec = 1; prec <= 9; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, (double)f);
			if (strtof(buf, NULL) == f)
				break;
		}
		*v = strtod(buf, NULL);
		return true;
	}
	case MSGPACK_OBJECT_FLOAT64:
		*v = o->via.f64;
		return true;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*v = (double)o->via.u64;
		return true;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = (double)o->via.i64;
		return true;
	default:
		return false;
	}
}

static bool mp_time(const msgpack_object *o, int64_t *t_us)
{
	char buf[64];
	const char *s;
	size_t len;
	msgpack_timestamp ts;

	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		mp_str(o, &s, &len);
		if (len >= sizeof(buf))
			return false;
		memcpy(buf, s, len);
		buf[len] = '\0';
		return strlen(buf) == len && sb_parse_time(buf, t_us);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > (uint64_t)INT64_MAX)
			return false;
		snprintf(buf, sizeof(buf), "%lld", (long long)o->via.u64);
		return sb_parse_time(buf, t_us);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(buf, sizeof(buf), "%lld", (long long)o->via.i64);
		return sb_parse_time(buf, t_us);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return time_from_double(o->via.f64, t_us);
	case MSGPACK_OBJECT_EXT:                    /* the msgpack timestamp type (-1) */
		if (!msgpack_object_to_timestamp(o, &ts) || ts.tv_nsec >= 1000000000u ||
		    ts.tv_sec > INT64_MAX / SB_US_PER_SEC - 1 ||
		    ts.tv_sec < INT64_MIN / SB_US_PER_SEC + 1)
			return false;
		*t_us = ts.tv_sec * SB_US_PER_SEC + ts.tv_nsec / 1000;
		return *t_us >= SB_TIME_MIN_US && *t_us < SB_TIME_MAX_US;   /* as sb_parse_time */
	default:
		return false;
	}
}

/* A string id points into the unpacked zone, alive until add_article() copies it. */
static bool mp_id(const msgpack_object *v, struct article *a)
{
	if (mp_str(v, &a->id, &a->id_len))
		return true;
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		snprintf(a->id_buf, sizeof(a->id_buf), "%llu", (unsigned long long)v->via.u64);
	else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		snprintf(a->id_buf, sizeof(a->id_buf), "%lld", (long long)v->via.i64);
	else
		return false;
	a->id = a->id_buf;
	a->id_len = strlen(a->id_buf);
	return true;
}

/* The rule above read_keys, for one MessagePack map. */
static enum sb_err mp_check_keys(struct loader *L, const msgpack_object *map, uint64_t rec)
{
	const msgpack_object *seen[N_READ_KEYS * 2] = { NULL };

	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[i];
		const char *s;
		size_t len;
		int idx;

		if (!mp_str(&kv->key, &s, &len))
			continue;
		idx = read_key_index(L, s, len);
		if (idx < 0)
			continue;
		if (seen[idx])
			return twice(L, rec, idx);
		seen[idx] = &kv->val;
	}
	for (size_t i = 0; i < N_READ_KEYS; i++) {
		const msgpack_object *a = seen[2 * i], *b = seen[2 * i + 1];

		/* nil means absent, as in mp_article() */
		if (a && b && a->type != MSGPACK_OBJECT_NIL && b->type != MSGPACK_OBJECT_NIL &&
		    !msgpack_object_equal(*a, *b))
			return both_aliases(L, rec, i);
	}
	return SB_OK;
}

static enum sb_err mp_article(struct loader *L, const msgpack_object *map, uint64_t rec,
			      struct article *a)
{
	bool seen_id = false, seen_sym = false;
	enum sb_err rc = mp_check_keys(L, map, rec);

	if (rc != SB_OK)
		return rc;

	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		const msgpack_object *v = &map->via.map.ptr[i].val;

		if (v->type == MSGPACK_OBJECT_NIL)
			continue;
		if (mp_key_is(k, "published_at")) {
			if (!mp_time(v, &a->t_us))
				return fail(L, rec, SB_EPARSE,
					    "expected published_at as an RFC 3339 time, an integer epoch (s, ms or us) or a msgpack timestamp, between 1900 and 2200");
			a->has_time = true;
		} else if (mp_key_is(k, "sentiment_score")) {
			if (!mp_number(v, &a->score))
				return fail(L, rec, SB_EPARSE, "expected sentiment_score as a number");
			a->has_score = true;
		} else if (mp_key_is(k, "confidence") && L->o->conf_mode == SB_CONF_FIELD) {
			if (!mp_number(v, &a->conf))
				return fail(L, rec, SB_EPARSE, "expected confidence as a number");
			a->has_conf = true;
		} else if ((mp_key_is(k, "id") || (mp_key_is(k, "article_id") && !seen_id))) {
			/* "id" wins over its alias whatever the key order */
			if (!mp_id(v, a))
				return fail(L, rec, SB_EPARSE, "expected id as a string or an integer");
			seen_id = mp_key_is(k, "id");
		} else if (mp_key_is(k, "symbols") || (mp_key_is(k, "key_entities") && !seen_sym)) {
			if (v->type != MSGPACK_OBJECT_ARRAY)
				return fail(L, rec, SB_EPARSE, "expected symbols as an array of strings");
			a->sym = SYM_OTHER;
			for (uint32_t j = 0; j < v->via.array.size; j++) {
				const char *s;
				size_t len;

				if (!mp_str(&v->via.array.ptr[j], &s, &len))
					return fail(L, rec, SB_EPARSE,
						    "expected symbols as an array of strings");
				if (entity_is(L, s, len))
					a->sym = SYM_MATCH;
			}
			seen_sym = mp_key_is(k, "symbols");
		}
	}
	return SB_OK;
}

/*
 * The extent of the MessagePack object at p[0..avail): 1 with *len set when it is
 * whole, 0 when more bytes are needed, -1 when it is not MessagePack or holds more
 * than MSGPACK_MAX_OBJECTS objects.  Checked before msgpack-c sees the bytes: its
 * unpacker allocates what a size header announces (a 22-byte file asking for 8 GB),
 * so every announced count is first bounded by the bytes that are really there.
 */
static uint64_t be_read(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int mp_extent(const unsigned char *p, size_t avail, size_t *len)
{
	size_t off = 0;
	uint64_t pending = 1, objects = 0;

	while (pending) {
		unsigned b;
		uint64_t count = 0, skip = 0;
		int nlen = 0, extra = 0;

		if (off >= avail)
			return 0;
		b = p[off++];
		pending--;
		if (++objects > MSGPACK_MAX_OBJECTS)
			return -1;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
			continue;                              /* ints, nil, booleans */
		if (b <= 0x8f) {
			count = 2 * (uint64_t)(b & 0x0f);      /* fixmap */
		} else if (b <= 0x9f) {
			count = b & 0x0f;                      /* fixarray */
		} else if (b <= 0xbf) {
			skip = b & 0x1f;                       /* fixstr */
		} else {
			switch (b) {
			case 0xc4: case 0xd9: nlen = 1; break;             /* bin8, str8 */
			case 0xc5: case 0xda: nlen = 2; break;
			case 0xc6: case 0xdb: nlen = 4; break;
			case 0xc7: nlen = 1; extra = 1; break;             /* ext8/16/32 */
			case 0xc8: nlen = 2; extra = 1; break;
			case 0xc9: nlen = 4; extra = 1; break;
			case 0xca: skip = 4; break;                        /* float32/64 */
			case 0xcb: skip = 8; break;
			case 0xcc: case 0xd0: skip = 1; break;             /* ints */
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;                        /* fixext 1..16 */
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: case 0xdd: case 0xde: case 0xdf: {      /* array/map 16/32 */
				int cb = (b == 0xdc || b == 0xde) ? 2 : 4;

				if (avail - off < (size_t)cb)
					return 0;
				count = be_read(p + off, cb) * (b >= 0xde ? 2 : 1);
				off += (size_t)cb;
				break;
			}
			default:
				return -1;                                     /* 0xc1: never used */
			}
		}
		if (nlen) {
			if (avail - off < (size_t)nlen)
				return 0;
			skip = be_read(p + off, nlen) + (uint64_t)extra;
			off += (size_t)nlen;
		}
		if (count) {
			/* each element takes a byte at least */
			if (count > MSGPACK_MAX_OBJECTS)
				return -1;
			pending += count;
			continue;
		}
		if (skip > avail - off)
			return skip > MSGPACK_MAX_RECORD ? -1 : 0;
		off += (size_t)skip;
	}
	*len = off;
	return 1;
}

static enum sb_err load_msgpack(struct loader *L)
{
	unsigned char *buf = NULL;
	size_t cap = 0, have = 0, pos = 0, want;
	msgpack_zone zone;
	enum sb_err rc = SB_OK;
	bool eof = false;
	FILE *f;

	/* zlib is textio's business (one module per library): no .msgpack.gz */
	if (sb_file_is_gzip(L->path))
		return sb_errf(L->err, SB_EINVAL,
			       "%s: expected an uncompressed MessagePack stream, got gzip data (gunzip it first)",
			       L->path);
	f = fopen(L->path, "rb");
	if (!f)
		return sb_errf(L->err, SB_EIO, "%s: cannot open: %s", L->path, strerror(errno));
	if (!msgpack_zone_init(&zone, MSGPACK_CHUNK)) {
		fclose(f);
		return sb_errf(L->err, SB_ENOMEM, "%s: out of memory", L->path);
	}
	for (;;) {
		uint64_t rec = L->rows + 1;
		size_t len = 0;
		int ext = pos < have ? mp_extent(buf + pos, have - pos, &len) : 0;

		if (ext < 0) {
			rc = fail(L, rec, SB_EPARSE,
				  "expected a MessagePack record of at most %u objects and %u bytes (corrupt data or an impossible size header)",
				  MSGPACK_MAX_OBJECTS, MSGPACK_MAX_RECORD);
			break;
		}
		if (ext > 0) {
			msgpack_object obj;
			size_t off = 0;
			struct article a = { .score_name = "sentiment_score",
					     .conf_name = "confidence" };

			msgpack_zone_clear(&zone);
			if (msgpack_unpack((const char *)buf + pos, len, &off, &zone, &obj) !=
			    MSGPACK_UNPACK_SUCCESS || off != len) {
				rc = fail(L, rec, SB_EPARSE, "expected MessagePack data (corrupt stream)");
				break;
			}
			pos += len;
			if (obj.type != MSGPACK_OBJECT_MAP) {
				rc = fail(L, rec, SB_EPARSE, "expected a map");
				break;
			}
			rc = mp_article(L, &obj, rec, &a);
			if (rc == SB_OK)
				rc = add_article(L, &a, rec);
			if (rc != SB_OK)
				break;
			continue;
		}
		if (eof) {
			if (pos < have)
				rc = fail(L, rec, SB_EPARSE,
					  "expected a complete map, the stream ends inside it (truncated file)");
			else if (L->rows == 0)
				rc = fail(L, 1, SB_EPARSE, "expected at least one article");
			break;
		}
		if (have - pos > MSGPACK_MAX_RECORD) {
			rc = fail(L, rec, SB_EPARSE, "expected a record smaller than %u bytes",
				  MSGPACK_MAX_RECORD);
			break;
		}
		/* keep the unread tail, then read as much again behind it (at least a chunk),
		 * so a long record is scanned O(1) times over, not once per chunk */
		if (have > pos)     /* buf is NULL before the first read: no memmove(NULL, ...) */
			memmove(buf, buf + pos, have - pos);
		have -= pos;
		pos = 0;
		want = have > MSGPACK_CHUNK ? have : MSGPACK_CHUNK;
		if (have + want > cap) {
			size_t ncap = (have + want) * 2;
			unsigned char *nb = realloc(buf, ncap);

			if (!nb) {
				rc = sb_errf(L->err, SB_ENOMEM, "%s: out of memory", L->path);
				break;
			}
			buf = nb;
			cap = ncap;
		}
		{
			size_t got = fread(buf + have, 1, want, f);

			if (got == 0 && ferror(f)) {
				rc = sb_errf(L->err, SB_EIO, "%s: cannot read: %s", L->path,
					     strerror(errno));
				break;
			}
			eof = got == 0;
			have += got;
		}
	}
	msgpack_zone_destroy(&zone);
	free(buf);
	fclose(f);
	return rc;
}

/* ---- CSV ---- */

/*
 * Whether a record ends inside a quoted field (the sb_csv_split rules: quotes open a
 * field only at its start; "" inside quotes is a literal quote), scanned one joined
 * line at a time: the state carries over, so a record of many lines costs linear
 * time.  A quote that ends a line closes its field whatever follows, since the next
 * byte of the record is the joining '\n', so the state at a line's end is exact.
 */
struct quote_state {
	bool in_q, at_start;
};

static void quote_scan(struct quote_state *q, const char *s, char delim)
{
	for (; *s; s++) {
		if (q->in_q) {
			if (*s == '"') {
				if (s[1] == '"')
					s++;
				else
					q->in_q = false;
			}
		} else if (q->at_start && *s == '"') {
			q->in_q = true;
			q->at_start = false;
		} else {
			q->at_start = *s == delim;
		}
	}
}

static char detect_delim(const char *header)
{
	static const char cands[] = { ',', ';', '\t' };
	size_t count[3] = { 0 };
	bool in_q = false;
	char best = ',';
	size_t best_n = 0;

	for (const char *p = header; *p; p++) {
		if (*p == '"')
			in_q = !in_q;
		for (int i = 0; i < 3 && !in_q; i++)
			count[i] += *p == cands[i];
	}
	for (int i = 0; i < 3; i++) {
		if (count[i] > best_n) {
			best = cands[i];
			best_n = count[i];
		}
	}
	return best;
}

static int find_col(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* Finds 'want' if given, else the first default present; *used gets the name. */
static int pick_col(char **names, int n, const char *want, const char *def1,
		    const char *def2, const char **used)
{
	int c;

	if (want) {
		*used = want;
		return find_col(names, n, want);
	}
	*used = def1;
	c = find_col(names, n, def1);
	if (c < 0 && def2) {
		c = find_col(names, n, def2);
		if (c >= 0)
			*used = def2;
	}
	return c;
}

/* Appends "a, b, c" (the header) to buf for messages. */
static void list_cols(char **names, int n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && len + 1 < size; i++) {
		int w = snprintf(buf + len, size - len, "%s'%s'", i ? ", " : "", names[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* Symbols in one CSV cell: "BTC", "BTC,ETH", "['BTC', 'ETH']", "BTC|ETH". */
static uint8_t csv_symbols(const struct loader *L, const char *cell)
{
	static const char seps[] = " ,;|[]'\"\t";
	const char *p = cell;
	uint8_t sym = SYM_OTHER;

	for (;;) {
		size_t len;

		p += strspn(p, seps);
		if (!*p)
			break;
		len = strcspn(p, seps);
		if (entity_is(L, p, len))
			sym = SYM_MATCH;
		p += len;
	}
	return sym;
}

struct csv_cols {
	int n, time, score, conf, id, sym;
	char time_name[128], score_name[128], conf_name[128];
};

static enum sb_err csv_header(struct loader *L, char *line, char delim, struct csv_cols *c)
{
	char *names[MAX_CSV_COLS];
	const char *used;
	char list[400];
	int n = sb_csv_split(line, delim, names, MAX_CSV_COLS);

	if (n < 0)
		return fail(L, 1, SB_EPARSE, "expected a CSV header of at most %d columns",
			    MAX_CSV_COLS);
	c->n = n;
	list_cols(names, n, list, sizeof(list));
	c->time = pick_col(names, n, L->o->time_col, "date", "published_at", &used);
	snprintf(c->time_name, sizeof(c->time_name), "%s", used);
	if (c->time < 0)
		return fail(L, 1, SB_EPARSE,
			    "expected a time column '%s'%s in the header, got %s (choose one with --time-col)",
			    used, L->o->time_col ? "" : " or 'published_at'", list);
	c->score = pick_col(names, n, L->o->score_col, "sentiment_score", "Accurate Sentiments",
			    &used);
	snprintf(c->score_name, sizeof(c->score_name), "%s", used);
	if (c->score < 0)
		return fail(L, 1, SB_EPARSE,
			    "expected a score column '%s'%s in the header, got %s (choose one with --score-col)",
			    used, L->o->score_col ? "" : " or 'Accurate Sentiments'", list);
	c->conf = -1;
	if (L->o->conf_mode == SB_CONF_FIELD) {
		c->conf = pick_col(names, n, L->o->conf_col, "confidence", NULL, &used);
		snprintf(c->conf_name, sizeof(c->conf_name), "%s", used);
		if (c->conf < 0)
			return fail(L, 1, SB_EPARSE,
				    "expected a confidence column '%s', but the file has none (columns %s): choose --confidence const:X (same confidence X in [0,1] for every article) or --confidence abs (confidence = |score|)",
				    used, list);
	}
	c->id = pick_col(names, n, NULL, "id", "article_id", &used);
	c->sym = pick_col(names, n, NULL, "symbols", "key_entities", &used);
	return SB_OK;
}

static enum sb_err csv_row(struct loader *L, char *rec, char delim, const struct csv_cols *c,
			   uint64_t line)
{
	char *f[MAX_CSV_COLS];
	struct article a = { .score_name = c->score_name, .conf_name = c->conf_name };
	int n = sb_csv_split(rec, delim, f, MAX_CSV_COLS);

	if (n != c->n)
		return fail(L, line, SB_EPARSE, "expected %d fields as in the header, got %s%d",
			    c->n, n < 0 ? "a stray quote or more than " : "",
			    n < 0 ? MAX_CSV_COLS : n);
	/* empty cells fail the strict parsers: "got ''" says what was there */
	if (!sb_parse_time(f[c->time], &a.t_us))
		return fail(L, line, SB_EPARSE,
			    "expected a time between 1900 and 2200 (RFC 3339 or integer epoch) in column '%s', got '%.40s'",
			    c->time_name, f[c->time]);
	if (!sb_parse_double(f[c->score], &a.score))
		return fail(L, line, SB_EPARSE, "expected a number in column '%s', got '%.40s'",
			    c->score_name, f[c->score]);
	if (c->conf >= 0 && !sb_parse_double(f[c->conf], &a.conf))
		return fail(L, line, SB_EPARSE, "expected a number in column '%s', got '%.40s'",
			    c->conf_name, f[c->conf]);
	a.has_time = a.has_score = true;
	a.has_conf = c->conf >= 0;
	if (c->id >= 0 && f[c->id][0]) {
		a.id = f[c->id];
		a.id_len = strlen(a.id);
	}
	if (c->sym >= 0)
		a.sym = csv_symbols(L, f[c->sym]);
	return add_article(L, &a, line);
}

static enum sb_err load_csv(struct loader *L)
{
	struct sb_lines lines;
	struct csv_cols cols;
	char *rec = NULL;
	size_t rec_cap = 0;
	enum sb_err rc;
	struct quote_state qs;
	char delim;
	int got;

	rc = sb_lines_open(&lines, L->path, L->err);
	if (rc != SB_OK)
		return rc;
	got = sb_lines_next(&lines, L->err);
	if (got <= 0) {
		rc = got < 0 ? SB_EPARSE
			     : fail(L, 1, SB_EPARSE, "expected a CSV header and at least one article");
		goto out_close;
	}
	delim = detect_delim(lines.buf);
	rc = csv_header(L, lines.buf, delim, &cols);
	if (rc != SB_OK)
		goto out_close;
	while ((got = sb_lines_next(&lines, L->err)) == 1) {
		uint64_t first = lines.lineno;
		size_t len = lines.len;

		if (lines.len == 0)
			continue;
		if (len + 1 > rec_cap) {
			char *nr = realloc(rec, len + 1);

			if (!nr)
				goto out_nomem;
			rec = nr;
			rec_cap = len + 1;
		}
		memcpy(rec, lines.buf, len + 1);
		/* A quoted field may hold newlines: join lines while a quote is open. */
		qs = (struct quote_state){ .in_q = false, .at_start = true };
		quote_scan(&qs, rec, delim);
		while (qs.in_q) {
			size_t joined;

			got = sb_lines_next(&lines, L->err);
			if (got < 0) {
				rc = SB_EPARSE;
				goto out_close;
			}
			if (got == 0) {
				rc = fail(L, first, SB_EPARSE,
					  "expected a closing quote, the quoted field opened here runs to the end of the file");
				goto out_close;
			}
			if (len + 1 + lines.len > SB_LINE_MAX) {
				rc = fail(L, first, SB_EPARSE,
					  "expected a record shorter than %u bytes (unbalanced quote?)",
					  SB_LINE_MAX);
				goto out_close;
			}
			if (len + 2 + lines.len > rec_cap) {
				size_t ncap = (len + 2 + lines.len) * 2;
				char *nr = realloc(rec, ncap);

				if (!nr)
					goto out_nomem;
				rec = nr;
				rec_cap = ncap;
			}
			joined = len;
			rec[len++] = '\n';
			memcpy(rec + len, lines.buf, lines.len + 1);
			len += lines.len;
			quote_scan(&qs, rec + joined, delim);
		}
		rc = csv_row(L, rec, delim, &cols, first);
		if (rc != SB_OK)
			goto out_close;
	}
	if (got < 0) {
		rc = SB_EPARSE;
		goto out_close;
	}
	if (L->rows == 0)
		rc = fail(L, lines.lineno + 1, SB_EPARSE,
			  "expected at least one article after the header");
	goto out_close;
out_nomem:
	rc = sb_errf(L->err, SB_ENOMEM, "%s: out of memory", L->path);
out_close:
	free(rec);
	sb_lines_close(&lines);
	return rc;
}

/* ---- public API ---- */

void sb_events_init(struct sb_events *ev)
{
	memset(ev, 0, sizeof(*ev));
}

bool sb_conf_mode_parse(const char *s, struct sb_events_opts *o)
{
	if (strcmp(s, "field") == 0) {
		o->conf_mode = SB_CONF_FIELD;
		return true;
	}
	if (strcmp(s, "abs") == 0) {
		o->conf_mode = SB_CONF_ABS_SCORE;
		return true;
	}
	if (strncmp(s, "const:", 6) == 0 && sb_parse_double(s + 6, &o->conf_const) &&
	    o->conf_const >= 0.0 && o->conf_const <= 1.0) {
		o->conf_mode = SB_CONF_CONST;
		return true;
	}
	return false;
}

void sb_events_release(struct sb_events *ev)
{
	free(ev->t_us);
	free(ev->score_e9);
	free(ev->conf_e9);
	sb_events_init(ev);
}

static bool has_suffix(const char *s, size_t len, const char *suf)
{
	size_t n = strlen(suf);

	return len >= n && strncasecmp(s + len - n, suf, n) == 0;
}

enum sb_err sb_events_load(struct sb_events *ev, const char *path,
			   const struct sb_events_opts *o, struct sb_input_info *info,
			   struct sb_errbuf *err)
{
	static const struct sb_events_opts defaults = { 0 };
	struct loader L = { .path = path, .o = o ? o : &defaults, .err = err };
	size_t len = strlen(path);
	enum sb_err (*load)(struct loader *);
	const char *kind;
	enum sb_err rc;

	sb_events_release(ev);
	if (has_suffix(path, len, ".gz"))
		len -= 3;
	if (has_suffix(path, len, ".jsonl") || has_suffix(path, len, ".ndjson")) {
		load = load_jsonl;
		kind = "sentiment-jsonl";
	} else if (has_suffix(path, len, ".msgpack") || has_suffix(path, len, ".mpk")) {
		load = load_msgpack;
		kind = "sentiment-msgpack";
		L.by_record = true;
	} else if (has_suffix(path, len, ".csv")) {
		load = load_csv;
		kind = "sentiment-csv";
	} else {
		return sb_errf(err, SB_EINVAL,
			       "%s: expected a sentiment file named .jsonl, .msgpack or .csv (optionally .gz)",
			       path);
	}
	if (L.o->conf_mode == SB_CONF_CONST &&
	    !(L.o->conf_const >= 0.0 && L.o->conf_const <= 1.0))
		return sb_errf(err, SB_EINVAL, "expected a constant confidence in [0, 1], got %g",
			       L.o->conf_const);
	if (info) {
		memset(info, 0, sizeof(*info));
		snprintf(info->path, sizeof(info->path), "%s", path);
		snprintf(info->kind, sizeof(info->kind), "%s", kind);
	}
	rc = load(&L);
	if (rc == SB_OK)
		rc = finish(&L, ev, info);
	idset_release(&L.ids);
	free(L.r);
	if (rc != SB_OK)
		sb_events_release(ev);
	return rc;
}

enum sb_err sb_events_write_jsonl(const struct sb_events *ev, const char *path,
				  struct sb_errbuf *err)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof(".tmp-XXXXXX"));
	enum sb_err rc = SB_OK;
	FILE *f;
	int fd;

	if (!tmp)
		return sb_errf(err, SB_ENOMEM, "%s: out of memory", path);
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp-XXXXXX", sizeof(".tmp-XXXXXX"));
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = sb_errf(err, SB_EIO, "%s: cannot create a temporary file: %s", tmp,
			     strerror(errno));
		goto out_free;
	}
	fchmod(fd, 0644);      /* mkstemp makes it 0600; this is an ordinary data file */
	f = fdopen(fd, "w");
	if (!f) {
		rc = sb_errf(err, SB_EIO, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto out_unlink;
	}
	for (size_t i = 0; i < ev->n; i++) {
		char t[SB_TIME_LEN], s[SB_DEC_LEN], c[SB_DEC_LEN];

		sb_format_time(ev->t_us[i], t);
		sb_dec_format(ev->score_e9[i], s);
		sb_dec_format(ev->conf_e9[i], c);
		fprintf(f, "{\"published_at\":\"%s\",\"sentiment_score\":%s,\"confidence\":%s}\n",
			t, s, c);
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		rc = sb_errf(err, SB_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		fclose(f);
		goto out_unlink;
	}
	if (fclose(f) != 0) {
		rc = sb_errf(err, SB_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (rename(tmp, path) != 0) {
		rc = sb_errf(err, SB_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
		goto out_unlink;
	}
	goto out_free;
out_unlink:
	unlink(tmp);
out_free:
	free(tmp);
	return rc;
}
