/* bincache.h - binary cache of loaded candles and articles (MessagePack through mpk.h) */
#ifndef SB_BINCACHE_H
#define SB_BINCACHE_H

#include "candles.h"
#include "../core/digest.h"
#include "events.h"


/*
 * An entry is keyed by the SHA-256 of what shapes the result: the kind, the loader
 * options (interval; entity and confidence mode) and the SHA-256 of each source
 * file's content, in order.  So a changed source, or other options, miss the cache;
 * renaming or touching a file does not.  Entries are written to a temporary name and
 * renamed; a damaged or foreign entry is treated as a miss and rewritten.
 */

/*
 * Schema versions of the cached objects.  Bump one whenever what its loader produces
 * changes (a column's type or meaning, a count, a parsing rule), so that an old entry
 * can never be served as today's result: the key and the entry both carry it.
 * tests/test_bincache.c holds a digest of the sample's loaded candles and articles
 * for the current versions and fails when a loader's output moves without a bump.
 *   candles 2: validated on load (interval, times, OHLC bounds)
 *   candles 3: duplicate Tardis trades dropped, filled gaps counted, OHLC bounds
 *   events 2: scores and confidences as 10^-9 integers, rounded values counted
 */
#define SB_CACHE_CANDLES_SCHEMA 3
#define SB_CACHE_EVENTS_SCHEMA 2

/*
 * Key of a candle array; digests[] (npaths entries, may be NULL) gets each file's
 * SHA-256.  The files' digests come from the memo in memo_dir (digest_memo.h) when it
 * knows them; memo_dir NULL or "": every file is hashed.
 */
enum sb_err sb_cache_key_candles(const char *memo_dir, const char *const *paths,
				 size_t npaths, int64_t interval_us, char key[SB_SHA256_HEX],
				 char (*digests)[SB_SHA256_HEX], struct sb_errbuf *err);
/* Key of an article array; digest (may be NULL) gets the file's SHA-256 (memo as above). */
enum sb_err sb_cache_key_events(const char *memo_dir, const char *path,
				const struct sb_events_opts *o, char key[SB_SHA256_HEX],
				char digest[SB_SHA256_HEX], struct sb_errbuf *err);

/* True on a hit: 'c' and info[0..ninfo) are filled as the loader would have. */
bool sb_cache_load_candles(const char *dir, const char *key, struct sb_candles *c,
			   struct sb_input_info *info, size_t ninfo);
bool sb_cache_load_events(const char *dir, const char *key, struct sb_events *ev,
			  struct sb_input_info *info);

/* Best effort: a failure to write the cache only costs the next run time. */
void sb_cache_store_candles(const char *dir, const char *key, const struct sb_candles *c,
			    const struct sb_input_info *info, size_t ninfo);
void sb_cache_store_events(const char *dir, const char *key, const struct sb_events *ev,
			   const struct sb_input_info *info);

#endif
