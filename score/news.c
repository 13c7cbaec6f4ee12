/* news.c - raw news from JSON Lines or CSV (see news.h) */
#include "news.h"
#include "../core/json.h"
#include "../loaders/textio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_COLS     256
#define MAX_ARTICLES ((size_t)1 << 26)

static const char *const id_names[] = { "id", "article_id", NULL };
static const char *const time_names[] = { "published_at", "date", "time", NULL };
static const char *const title_names[] = { "title", "headline", NULL };
static const char *const text_names[] = { "text", "content", "body", NULL };
static const char *const source_names[] = { "source", NULL };

void sb_news_release(struct sb_news *nw)
{
	for (size_t i = 0; i < nw->n; i++) {
		free(nw->a[i].id);
		free(nw->a[i].title);
		free(nw->a[i].text);
		free(nw->a[i].source);
	}
	free(nw->a);
	nw->a = NULL;
	nw->n = 0;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/*
 * The offset of the first byte of s that does not start a valid UTF-8 sequence
 * (overlong forms, surrogates and code points past U+10FFFF included), or -1.
 */
static long bad_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (long i = 0; p[i];) {
		unsigned c = p[i];
		int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
			(c & 0xf8) == 0xf0 ? 3 : -1;
		unsigned cp = n == 1 ? c & 0x1f : n == 2 ? c & 0x0f : c & 0x07;

		if (n < 0)
			return i;
		for (int k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		i += n + 1;
	}
	return -1;
}

/* Adds one article from its fields (NULL = absent); checks what every format needs. */
static enum sb_err add(struct sb_news *nw, size_t *cap, const char *path, uint64_t line,
		       const char *id, const char *t, const char *title, const char *text,
		       const char *source, struct sb_errbuf *err)
{
	struct sb_news_item *it;

	if (!t)
		return sb_errf(err, SB_EPARSE, "%s:%llu: expected published_at (or date, time), got none",
			       path, (unsigned long long)line);
	if ((!title || !*title) && (!text || !*text))
		return sb_errf(err, SB_EPARSE, "%s:%llu: expected a title (or headline) or a text (or content, body), got neither",
			       path, (unsigned long long)line);
	{   /* the fields go into JSON (the request, scores.jsonl), which is UTF-8 */
		const char *const fv[] = { id, title, text, source };
		static const char *const fn[] = { "id", "title", "text", "source" };

		for (int k = 0; k < 4; k++) {
			long at = fv[k] ? bad_utf8(fv[k]) : -1;

			if (at >= 0)
				return sb_errf(err, SB_EPARSE,
					       "%s:%llu: expected UTF-8 text in %s, got the byte 0x%02x at offset %ld (re-encode the file as UTF-8)",
					       path, (unsigned long long)line, fn[k],
					       (unsigned char)fv[k][at], at);
		}
	}
	if (nw->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct sb_news_item *na = nc <= MAX_ARTICLES ? realloc(nw->a, nc * sizeof(*na)) : NULL;

		if (!na)
			return sb_errf(err, SB_ENOMEM, "%s: out of memory (or over %zu articles)",
				       path, MAX_ARTICLES);
		nw->a = na;
		*cap = nc;
	}
	it = &nw->a[nw->n];
	memset(it, 0, sizeof(*it));
	it->line = line;
	if (!sb_parse_time(t, &it->t_us))
		return sb_errf(err, SB_EPARSE, "%s:%llu: expected published_at as RFC 3339 or epoch s/ms/us, got '%.60s'",
			       path, (unsigned long long)line, t);
	it->id = dup_or_null(id);
	it->title = dup_or_null(title);
	it->text = dup_or_null(text);
	it->source = dup_or_null(source);
	nw->n++;
	if ((id && *id && !it->id) || (title && *title && !it->title) ||
	    (text && *text && !it->text) || (source && *source && !it->source))
		return sb_errf(err, SB_ENOMEM, "out of memory");
	return SB_OK;
}

/* The first field of 'names' that the object has, as text (numbers formatted). */
static const char *field(const struct sb_json *o, const char *const *names, char num[SB_NUM_LEN],
			 bool *bad)
{
	for (; *names; names++) {
		const struct sb_json *v = sb_json_get(o, *names);

		if (!v || sb_json_is_null(v))
			continue;
		if (sb_json_is_string(v))
			return sb_json_string(v);
		if (sb_json_is_number(v)) {
			uint64_t u;

			if (sb_json_u64(v, &u)) {
				snprintf(num, SB_NUM_LEN, "%llu", (unsigned long long)u);
				return num;
			}
			return sb_fmt_num(sb_json_number(v), num);
		}
		*bad = true;
		return *names;
	}
	return NULL;
}

static enum sb_err load_jsonl(struct sb_news *nw, struct sb_lines *l, const struct sb_news_opts *o,
			      struct sb_errbuf *err)
{
	size_t cap = 0;
	int r;

	while ((r = sb_lines_next(l, err)) == 1) {
		struct sb_json *j;
		char n1[SB_NUM_LEN], n2[SB_NUM_LEN], n3[SB_NUM_LEN], n4[SB_NUM_LEN], n5[SB_NUM_LEN];
		const char *id, *t, *title, *text, *src;
		bool bad = false;
		enum sb_err rc;

		if (l->buf[strspn(l->buf, " \t")] == '\0')
			continue;
		if (o->limit && nw->n >= o->limit)
			break;
		j = sb_json_parse(l->buf, l->len);
		if (!sb_json_is_object(j)) {
			sb_json_free(j);
			return sb_errf(err, SB_EPARSE, "%s:%llu: expected a JSON object", l->path,
				       (unsigned long long)l->lineno);
		}
		id = field(j, id_names, n1, &bad);
		t = field(j, time_names, n2, &bad);
		title = field(j, title_names, n3, &bad);
		text = field(j, text_names, n4, &bad);
		src = field(j, source_names, n5, &bad);
		if (bad) {
			sb_json_free(j);
			return sb_errf(err, SB_EPARSE, "%s:%llu: expected strings or numbers in id, published_at, title, text and source",
				       l->path, (unsigned long long)l->lineno);
		}
		rc = add(nw, &cap, l->path, l->lineno, id, t, title, text, src, err);
		sb_json_free(j);
		if (rc)
			return rc;
	}
	return r < 0 ? SB_EPARSE : SB_OK;
}

static int column(char **names, int n, const char *chosen, const char *const *defaults)
{
	for (int i = 0; i < n; i++) {
		if (chosen) {
			if (!strcmp(names[i], chosen))
				return i;
			continue;
		}
		for (const char *const *d = defaults; *d; d++)
			if (!strcasecmp(names[i], *d))
				return i;
	}
	return -1;
}

static enum sb_err load_csv(struct sb_news *nw, struct sb_lines *l, const struct sb_news_opts *o,
			    struct sb_errbuf *err)
{
	char *f[MAX_COLS];
	int n, ci, ct, cti, ctx, cs;
	size_t cap = 0;
	struct sb_csv_record rec = { 0 };
	int r = sb_lines_next(l, err);

	if (r <= 0)
		return r < 0 ? SB_EPARSE : sb_errf(err, SB_EPARSE, "%s: expected a CSV header", l->path);
	n = sb_csv_split(l->buf, ',', f, MAX_COLS);
	if (n < 0)
		return sb_errf(err, SB_EPARSE, "%s:1: expected a CSV header of at most %d columns",
			       l->path, MAX_COLS);
	ci = column(f, n, o->id_col, id_names);
	ct = column(f, n, o->time_col, time_names);
	cti = column(f, n, o->title_col, title_names);
	ctx = column(f, n, o->text_col, text_names);
	cs = column(f, n, o->source_col, source_names);
	if (ct < 0 || (cti < 0 && ctx < 0))
		return sb_errf(err, SB_EPARSE,
			       "%s:1: expected a time column (%s) and a title or text column (%s, %s) in the header",
			       l->path, o->time_col ? o->time_col : "published_at, date, time",
			       o->title_col ? o->title_col : "title, headline",
			       o->text_col ? o->text_col : "text, content, body");
	/* a record may span lines inside a quoted field (a headline's text with newlines) */
	while ((r = sb_csv_record_next(l, ',', &rec, err)) == 1) {
		const uint64_t first = rec.first;
		int k;
		enum sb_err rc;

		if (o->limit && nw->n >= o->limit)
			break;
		k = sb_csv_split(rec.buf, ',', f, MAX_COLS);
		if (k != n) {
			sb_csv_record_free(&rec);
			return sb_errf(err, SB_EPARSE, "%s:%llu: expected %d fields as in the header, got %d",
				       l->path, (unsigned long long)first, n, k);
		}
		rc = add(nw, &cap, l->path, first, ci >= 0 ? f[ci] : NULL, f[ct],
			 cti >= 0 ? f[cti] : NULL, ctx >= 0 ? f[ctx] : NULL, cs >= 0 ? f[cs] : NULL, err);
		if (rc) {
			sb_csv_record_free(&rec);
			return rc;
		}
	}
	sb_csv_record_free(&rec);
	return r < 0 ? SB_EPARSE : SB_OK;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

enum sb_err sb_news_load(struct sb_news *nw, const char *path, const struct sb_news_opts *o,
			 struct sb_errbuf *err)
{
	struct sb_lines l;
	enum sb_err rc;

	nw->a = NULL;
	nw->n = 0;
	if ((rc = sb_lines_open(&l, path, err)) != SB_OK)
		return rc;
	if (ends_with(path, ".csv") || ends_with(path, ".csv.gz"))
		rc = load_csv(nw, &l, o, err);
	else
		rc = load_jsonl(nw, &l, o, err);
	sb_lines_close(&l);
	if (rc == SB_OK && nw->n == 0)
		rc = sb_errf(err, SB_EPARSE, "%s: expected at least one article", path);
	if (rc)
		sb_news_release(nw);
	return rc;
}
