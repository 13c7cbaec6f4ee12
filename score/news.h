/* news.h - raw (unscored) news articles: JSON Lines or CSV, in file order */
#ifndef SB_NEWS_H
#define SB_NEWS_H

#include "../core/common.h"

struct sb_news_item {
	uint64_t line;          /* where it starts in the file, 1-based */
	int64_t  t_us;          /* published_at */
	char    *id;            /* NULL: the record has none */
	char    *title, *text, *source;   /* NULL when absent; title or text is there */
};

struct sb_news {
	struct sb_news_item *a;
	size_t n;
};

/* Column names for a CSV file; NULL = the defaults listed in sb_news_load(). */
struct sb_news_opts {
	const char *id_col, *time_col, *title_col, *text_col, *source_col;
	size_t limit;           /* keep the first 'limit' articles; 0 = all */
};

/*
 * Reads a news file, JSON Lines (one object per line, blank lines skipped) or CSV
 * with a header (by the name: .csv, .csv.gz), plain or gzip'd.  Fields: id (string or
 * integer; alias article_id), published_at (alias date, time; RFC 3339 or epoch
 * s/ms/µs), title (alias headline), text (alias content, body), source; a record
 * needs a time and a title or a text.  Errors name the line: "news.jsonl:3: expected
 * published_at (or date, time), got none".  On error 'nw' is empty.
 */
enum sb_err sb_news_load(struct sb_news *nw, const char *path, const struct sb_news_opts *o,
			 struct sb_errbuf *err);
void sb_news_release(struct sb_news *nw);

#endif
