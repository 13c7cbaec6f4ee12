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
 * - MessagePack is read with stdio in 64 KiB chunks (mpk.h); a gzip'd .msgpack(.gz)
 *   is refused with a hint.
 */
#include "events.h"
#include "mpk.h"
#include "textio.h"
#include "../core/atomic.h"
#include "../core/json.h"

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
	char num[SB_NUM_LEN];

	L->rows++;
	if (!a->has_time)
		return fail(L, where, SB_EPARSE, "expected a published_at time, found none");
	if (!a->has_score)
		return fail(L, where, SB_EPARSE, "expected a %s, found none", a->score_name);
	/*
	 * Rounded to 10^-9 first, then checked: 1.0000000000000002 (the double after 1) is
	 * 1, as 0.30000000000000004 is 0.3; the message shows the value as it was read.
	 */
	if (!isfinite(a->score) || fabs(a->score) > 2.0 ||
	    (score = sb_dec_from_double(a->score, &r1)) < -SB_DEC_SCALE || score > SB_DEC_SCALE)
		return fail(L, where, SB_EPARSE, "expected %s in [-1, 1], got %s",
			    a->score_name, sb_fmt_num(a->score, num));
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
		if (!isfinite(a->conf) || fabs(a->conf) > 2.0 ||
		    (conf = sb_dec_from_double(a->conf, &r2)) < 0 || conf > SB_DEC_SCALE)
			return fail(L, where, SB_EPARSE, "expected %s in [0, 1], got %s",
				    a->conf_name, sb_fmt_num(a->conf, num));
		break;
	}
	if (a->id && a->id_len) {   /* "" is no id (as an empty CSV cell): never a duplicate */
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

	/* an option that cannot apply is a mistake to report, not to ignore */
	if (entity && !L->any_symbols && L->rows)
		return sb_errf(L->err, SB_EINVAL,
			       "%s: --entity %s: expected articles with symbols (or key_entities) to filter, got none in %llu articles; drop --entity to use them all",
			       L->path, entity, (unsigned long long)L->rows);
	if (entity) {
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
		if (entity)
			snprintf(info->dropped_why, sizeof(info->dropped_why),
				 "%llu not about %s", (unsigned long long)dropped, entity);
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
static enum sb_err json_check_keys(struct loader *L, const struct sb_json *obj, uint64_t line)
{
	const struct sb_json *seen[N_READ_KEYS * 2] = { NULL };
	const struct sb_json *item;

	SB_JSON_FOR_EACH(item, obj) {
		const char *key = sb_json_key(item);
		int idx;

		if (!key)
			continue;
		idx = read_key_index(L, key, strlen(key));
		if (idx < 0)
			continue;
		if (seen[idx])
			return twice(L, line, idx);
		seen[idx] = item;
	}
	for (size_t i = 0; i < N_READ_KEYS; i++) {
		const struct sb_json *a = seen[2 * i], *b = seen[2 * i + 1];

		/* null means absent, as in json_field() */
		if (a && b && !sb_json_is_null(a) && !sb_json_is_null(b) && !sb_json_equal(a, b))
			return both_aliases(L, line, i);
	}
	return SB_OK;
}

/* The value of 'name' (else of 'alias'); a JSON null counts as absent. */
static const struct sb_json *json_field(const struct sb_json *obj, const char *name,
					const char *alias, const char **used)
{
	const struct sb_json *v = sb_json_get(obj, name);

	*used = name;
	if (sb_json_is_null(v))
		v = NULL;
	if (!v && alias) {
		v = sb_json_get(obj, alias);
		*used = alias;
		if (sb_json_is_null(v))
			v = NULL;
	}
	return v;
}

static enum sb_err json_article(struct loader *L, const struct sb_json *obj, uint64_t line,
				struct article *a)
{
	const char *name;
	const struct sb_json *v;
	enum sb_err rc = json_check_keys(L, obj, line);

	if (rc != SB_OK)
		return rc;
	v = json_field(obj, "published_at", NULL, &name);
	if (v) {
		bool ok;

		if (sb_json_is_string(v))
			ok = sb_parse_time(sb_json_string(v), &a->t_us);
		else if (sb_json_is_number(v))
			ok = time_from_double(sb_json_number(v), &a->t_us);
		else
			ok = false;
		if (!ok) {
			char *s = sb_json_print(v, false);
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
		if (!sb_json_is_number(v))
			return fail(L, line, SB_EPARSE, "expected sentiment_score as a number");
		a->score = sb_json_number(v);
		a->has_score = true;
	}
	if (L->o->conf_mode == SB_CONF_FIELD) {
		v = json_field(obj, "confidence", NULL, &name);
		if (v) {
			if (!sb_json_is_number(v))
				return fail(L, line, SB_EPARSE, "expected confidence as a number");
			a->conf = sb_json_number(v);
			a->has_conf = true;
		}
	}
	v = json_field(obj, "id", "article_id", &name);
	if (v) {
		if (sb_json_is_string(v)) {
			a->id = sb_json_string(v);
		} else if (sb_json_is_number(v)) {
			/* past 2^53 neighbouring integers read as one double: distinct ids would merge */
			if (!(fabs(sb_json_number(v)) < 9007199254740992.0))
				return fail(L, line, SB_EPARSE,
					    "expected %s as a string or a number below 2^53, got a larger number (write such ids as strings: they lose digits as JSON numbers)",
					    name);
			snprintf(a->id_buf, sizeof(a->id_buf), "%.17g", sb_json_number(v));
			a->id = a->id_buf;
		} else {
			return fail(L, line, SB_EPARSE, "expected %s as a string or a number", name);
		}
		a->id_len = strlen(a->id);
	}
	v = json_field(obj, "symbols", "key_entities", &name);
	if (v) {
		const struct sb_json *s;

		if (!sb_json_is_array(v))
			return fail(L, line, SB_EPARSE, "expected %s as an array of strings", name);
		a->sym = SYM_OTHER;
		SB_JSON_FOR_EACH(s, v) {
			const char *sym = sb_json_string(s);

			if (!sym)
				return fail(L, line, SB_EPARSE, "expected %s as an array of strings",
					    name);
			if (entity_is(L, sym, strlen(sym)))
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
		struct sb_json *obj;

		if (is_blank(lines.buf))
			continue;
		obj = sb_json_parse(lines.buf, lines.len);
		if (!sb_json_is_object(obj)) {
			rc = fail(L, lines.lineno, SB_EPARSE,
				  "expected a JSON object per line, got '%.40s%s'", lines.buf,
				  lines.len > 40 ? "..." : "");
			sb_json_free(obj);
			goto out_close;
		}
		rc = json_article(L, obj, lines.lineno, &a);
		if (rc == SB_OK)
			rc = add_article(L, &a, lines.lineno);
		sb_json_free(obj);
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

static bool mp_str(const struct sb_mpk_val *v, const char **s, size_t *len)
{
	if (v->type != SB_MPK_STR && v->type != SB_MPK_BIN)
		return false;
	*s = v->s;
	*len = v->n;
	return true;
}

static bool mp_key_is(const struct sb_mpk_val *k, const char *name)
{
	const char *s;
	size_t len;

	return mp_str(k, &s, &len) && strlen(name) == len && memcmp(s, name, len) == 0;
}

static bool mp_number(const struct sb_mpk_val *v, double *out)
{
	switch (v->type) {
	case SB_MPK_FLOAT32: {
		/* A float32 0.7f was meant as 0.7: take the shortest decimal that reads back
		 * as the same float (at most 9 digits), not the float's binary value. */
		float f = (float)v->f;
		char buf[32];

		for (int prec = 1; prec <= 9; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, (double)f);
			if (strtof(buf, NULL) == f)
				break;
		}
		*out = strtod(buf, NULL);
		return true;
	}
	case SB_MPK_FLOAT64:
		*out = v->f;
		return true;
	case SB_MPK_UINT:
		*out = (double)v->u;
		return true;
	case SB_MPK_INT:
		*out = (double)v->i;
		return true;
	default:
		return false;
	}
}

static bool mp_time(const struct sb_mpk_val *v, int64_t *t_us)
{
	char buf[64];
	int64_t sec;
	uint32_t nsec;

	switch (v->type) {
	case SB_MPK_STR:
		if (v->n >= sizeof(buf))
			return false;
		memcpy(buf, v->s, v->n);
		buf[v->n] = '\0';
		return strlen(buf) == v->n && sb_parse_time(buf, t_us);
	case SB_MPK_UINT:
		if (v->u > (uint64_t)INT64_MAX)
			return false;
		snprintf(buf, sizeof(buf), "%lld", (long long)v->u);
		return sb_parse_time(buf, t_us);
	case SB_MPK_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)v->i);
		return sb_parse_time(buf, t_us);
	case SB_MPK_FLOAT32:
	case SB_MPK_FLOAT64:
		return time_from_double(v->f, t_us);
	case SB_MPK_EXT:                            /* the msgpack timestamp type (-1) */
		if (!sb_mpk_timestamp(v, &sec, &nsec) || nsec >= 1000000000u ||
		    sec > INT64_MAX / SB_US_PER_SEC - 1 || sec < INT64_MIN / SB_US_PER_SEC + 1)
			return false;
		*t_us = sec * SB_US_PER_SEC + nsec / 1000;
		return *t_us >= SB_TIME_MIN_US && *t_us < SB_TIME_MAX_US;   /* as sb_parse_time */
	default:
		return false;
	}
}

/* A string id points into the stream's record, alive until add_article() copies it. */
static bool mp_id(const struct sb_mpk_val *v, struct article *a)
{
	if (mp_str(v, &a->id, &a->id_len))
		return true;
	if (v->type == SB_MPK_UINT)
		snprintf(a->id_buf, sizeof(a->id_buf), "%llu", (unsigned long long)v->u);
	else if (v->type == SB_MPK_INT)
		snprintf(a->id_buf, sizeof(a->id_buf), "%lld", (long long)v->i);
	else
		return false;
	a->id = a->id_buf;
	a->id_len = strlen(a->id_buf);
	return true;
}

/* The rule above read_keys, for one MessagePack map. */
static enum sb_err mp_check_keys(struct loader *L, const struct sb_mpk_val *map, uint64_t rec)
{
	struct sb_mpk_val seen[N_READ_KEYS * 2];
	bool has[N_READ_KEYS * 2] = { false };

	for (uint32_t i = 0; i < map->n; i++) {
		struct sb_mpk_val k, v;
		const char *s;
		size_t len;
		int idx;

		sb_mpk_pair(map, i, &k, &v);
		if (!mp_str(&k, &s, &len))
			continue;
		idx = read_key_index(L, s, len);
		if (idx < 0)
			continue;
		if (has[idx])
			return twice(L, rec, idx);
		seen[idx] = v;
		has[idx] = true;
	}
	for (size_t i = 0; i < N_READ_KEYS; i++) {
		const struct sb_mpk_val *a = &seen[2 * i], *b = &seen[2 * i + 1];

		/* nil means absent, as in mp_article() */
		if (has[2 * i] && has[2 * i + 1] && a->type != SB_MPK_NIL && b->type != SB_MPK_NIL &&
		    !sb_mpk_equal(a, b))
			return both_aliases(L, rec, i);
	}
	return SB_OK;
}

static enum sb_err mp_article(struct loader *L, const struct sb_mpk_val *map, uint64_t rec,
			      struct article *a)
{
	bool seen_id = false, seen_sym = false;
	enum sb_err rc = mp_check_keys(L, map, rec);

	if (rc != SB_OK)
		return rc;

	for (uint32_t i = 0; i < map->n; i++) {
		struct sb_mpk_val k, v;

		sb_mpk_pair(map, i, &k, &v);
		if (v.type == SB_MPK_NIL)
			continue;
		if (mp_key_is(&k, "published_at")) {
			if (!mp_time(&v, &a->t_us))
				return fail(L, rec, SB_EPARSE,
					    "expected published_at as an RFC 3339 time, an integer epoch (s, ms or us) or a msgpack timestamp, between 1900 and 2200");
			a->has_time = true;
		} else if (mp_key_is(&k, "sentiment_score")) {
			if (!mp_number(&v, &a->score))
				return fail(L, rec, SB_EPARSE, "expected sentiment_score as a number");
			a->has_score = true;
		} else if (mp_key_is(&k, "confidence") && L->o->conf_mode == SB_CONF_FIELD) {
			if (!mp_number(&v, &a->conf))
				return fail(L, rec, SB_EPARSE, "expected confidence as a number");
			a->has_conf = true;
		} else if ((mp_key_is(&k, "id") || (mp_key_is(&k, "article_id") && !seen_id))) {
			/* "id" wins over its alias whatever the key order */
			if (!mp_id(&v, a))
				return fail(L, rec, SB_EPARSE, "expected id as a string or an integer");
			seen_id = mp_key_is(&k, "id");
		} else if (mp_key_is(&k, "symbols") || (mp_key_is(&k, "key_entities") && !seen_sym)) {
			if (v.type != SB_MPK_ARRAY)
				return fail(L, rec, SB_EPARSE, "expected symbols as an array of strings");
			a->sym = SYM_OTHER;
			for (uint32_t j = 0; j < v.n; j++) {
				struct sb_mpk_val item = sb_mpk_item(&v, j);
				const char *s;
				size_t len;

				if (!mp_str(&item, &s, &len))
					return fail(L, rec, SB_EPARSE,
						    "expected symbols as an array of strings");
				if (entity_is(L, s, len))
					a->sym = SYM_MATCH;
			}
			seen_sym = mp_key_is(&k, "symbols");
		}
	}
	return SB_OK;
}

/*
 * Records are bounded (MSGPACK_MAX_OBJECTS, MSGPACK_MAX_RECORD) before msgpack-c sees
 * their bytes: see mpk.h.
 */
static enum sb_err load_msgpack(struct loader *L)
{
	struct sb_mpk_stream *s;
	enum sb_err rc = SB_OK;
	FILE *f;

	/* only text inputs are read through gz.h: no .msgpack.gz */
	if (sb_file_is_gzip(L->path))
		return sb_errf(L->err, SB_EINVAL,
			       "%s: expected an uncompressed MessagePack stream, got gzip data (gunzip it first)",
			       L->path);
	f = fopen(L->path, "rb");
	if (!f)
		return sb_errf(L->err, SB_EIO, "%s: cannot open: %s", L->path, strerror(errno));
	s = sb_mpk_stream_open(f, MSGPACK_MAX_OBJECTS, MSGPACK_MAX_RECORD);
	if (!s) {
		fclose(f);
		return sb_errf(L->err, SB_ENOMEM, "%s: out of memory", L->path);
	}
	for (;;) {
		uint64_t rec = L->rows + 1;
		struct sb_mpk_val obj;
		struct article a = { .score_name = "sentiment_score", .conf_name = "confidence" };
		int got = sb_mpk_next(s, &obj);

		if (got == 0) {
			if (L->rows == 0)
				rc = fail(L, 1, SB_EPARSE, "expected at least one article");
			break;
		}
		if (got < 0) {
			switch ((enum sb_mpk_stop)got) {
			case SB_MPK_EBOUND:
				rc = fail(L, rec, SB_EPARSE,
					  "expected a MessagePack record of at most %u objects and %u bytes (corrupt data or an impossible size header)",
					  MSGPACK_MAX_OBJECTS, MSGPACK_MAX_RECORD);
				break;
			case SB_MPK_ECORRUPT:
				rc = fail(L, rec, SB_EPARSE, "expected MessagePack data (corrupt stream)");
				break;
			case SB_MPK_ETRUNC:
				rc = fail(L, rec, SB_EPARSE,
					  "expected a complete map, the stream ends inside it (truncated file)");
				break;
			case SB_MPK_ETOOBIG:
				rc = fail(L, rec, SB_EPARSE, "expected a record smaller than %u bytes",
					  MSGPACK_MAX_RECORD);
				break;
			case SB_MPK_EREAD:
				rc = sb_errf(L->err, SB_EIO, "%s: cannot read: %s", L->path,
					     strerror(errno));
				break;
			case SB_MPK_ENOMEM:
			default:
				rc = sb_errf(L->err, SB_ENOMEM, "%s: out of memory", L->path);
				break;
			}
			break;
		}
		if (obj.type != SB_MPK_MAP) {
			rc = fail(L, rec, SB_EPARSE, "expected a map");
			break;
		}
		rc = mp_article(L, &obj, rec, &a);
		if (rc == SB_OK)
			rc = add_article(L, &a, rec);
		if (rc != SB_OK)
			break;
	}
	sb_mpk_stream_close(s);
	fclose(f);
	return rc;
}

/* ---- CSV ---- */

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
	{
		const int cols[] = { c->time, c->score, c->conf, c->id, c->sym };
		const char *twice = sb_csv_used_twice(names, n, cols, 5);

		if (twice)
			return fail(L, 1, SB_EPARSE, "expected each column once, got '%s' twice", twice);
	}
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
	struct sb_csv_record rec = { 0 };
	enum sb_err rc;
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
	while ((got = sb_csv_record_next(&lines, delim, &rec, L->err)) == 1) {
		rc = csv_row(L, rec.buf, delim, &cols, rec.first);
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
out_close:
	sb_csv_record_free(&rec);
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
	struct sb_atomic out;
	enum sb_err rc = sb_atomic_open(&out, path, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < ev->n; i++) {
		char t[SB_TIME_LEN], s[SB_DEC_LEN], c[SB_DEC_LEN];

		sb_format_time(ev->t_us[i], t);
		sb_dec_format(ev->score_e9[i], s);
		sb_dec_format(ev->conf_e9[i], c);
		fprintf(out.f, "{\"published_at\":\"%s\",\"sentiment_score\":%s,\"confidence\":%s}\n",
			t, s, c);
	}
	return sb_atomic_commit(&out, err);
}
