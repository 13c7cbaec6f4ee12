/* events.h - scored news articles, sorted by publication time */
#ifndef SB_EVENTS_H
#define SB_EVENTS_H

#include "../core/common.h"
#include "../core/decimal.h"
#include "candles.h"   /* struct sb_input_info */

/*
 * Articles sorted by t_us ascending; equal times keep file order.  Scores and
 * confidences are exact decimals in units of 10^-9 (core/decimal.h): 0.7 is
 * 700000000.  A number read from a file is taken as the nearest double and then to
 * the nearest 10^-9 (ties to even): exact for every value with at most 9 decimals;
 * values with more are rounded and counted (sb_input_info.rounded).
 */
struct sb_events {
	size_t   n;
	int64_t *t_us;          /* published_at, microseconds UTC */
	int32_t *score_e9;      /* in [-10^9, 10^9] */
	int32_t *conf_e9;       /* in [0, 10^9] */
};

/* Where a file has no confidence column, the user says what confidence means. */
enum sb_conf_mode {
	SB_CONF_FIELD = 0,   /* read it from the file (required) */
	SB_CONF_CONST,       /* every article gets conf_const */
	SB_CONF_ABS_SCORE,   /* confidence = |score| */
};

struct sb_events_opts {
	const char *entity;          /* keep articles whose symbols include it; NULL = all */
	enum sb_conf_mode conf_mode;
	double conf_const;
	/* CSV column mapping (for .csv/.csv.gz news files); NULL = defaults
	 * ("date", "Accurate Sentiments"/"sentiment_score", "confidence"). */
	const char *time_col, *score_col, *conf_col;
};

/* Reads "field", "abs" or "const:X" (X in [0, 1]) into o->conf_mode/conf_const. */
bool sb_conf_mode_parse(const char *s, struct sb_events_opts *o);

void sb_events_init(struct sb_events *ev);
void sb_events_release(struct sb_events *ev);

/*
 * sb_events_load() reads a sentiment file: JSON Lines (.jsonl, .jsonl.gz), a
 * MessagePack stream of maps (.msgpack), or a CSV with a header (.csv, .csv.gz)
 * through the column mapping in 'o'.  Fields, aliases, timestamp forms and the
 * duplicate-id rule are those of DESIGN.md.  On error 'ev' is left empty and 'err'
 * says "path:line: what was expected".
 */
enum sb_err sb_events_load(struct sb_events *ev, const char *path,
			   const struct sb_events_opts *o, struct sb_input_info *info,
			   struct sb_errbuf *err);

/* Writes 'ev' as JSON Lines to 'path' (via a temporary file and rename). */
enum sb_err sb_events_write_jsonl(const struct sb_events *ev, const char *path,
				  struct sb_errbuf *err);

#endif
