/* cache.h - the answers already paid for: a content-addressed SQLite store (the only
 * file that calls SQLite)
 *
 * One table, key -> value: the key is the SHA-256 (hex) of what decides the answer
 * (base URL, model, prompt version, article text; score/score_run.c builds it), the
 * value the answer's JSON text.  Each answer is committed as soon as it arrives (WAL
 * journal), so a run that is killed keeps everything it received, and the next one
 * sends only what is missing.  Several runs may share a cache (a 10 s busy timeout).
 */
#ifndef SB_SCORE_CACHE_H
#define SB_SCORE_CACHE_H

#include "../core/common.h"
#include "../core/digest.h"

struct sb_score_cache;

/* Opens (creating the folder and the file when needed) DIR/scores.sqlite. */
enum sb_err sb_score_cache_open(struct sb_score_cache **c, const char *dir,
				struct sb_errbuf *err);
void sb_score_cache_close(struct sb_score_cache *c);   /* NULL is fine */
/* *value: the stored text (free()), or NULL when the key is not there. */
enum sb_err sb_score_cache_get(struct sb_score_cache *c, const char key[SB_SHA256_HEX],
			       char **value, struct sb_errbuf *err);
/* Stores (or replaces) the value of 'key', committed before it returns. */
enum sb_err sb_score_cache_put(struct sb_score_cache *c, const char key[SB_SHA256_HEX],
			       const char *value, struct sb_errbuf *err);
/* The file's path, for messages and the manifest. */
const char *sb_score_cache_path(const struct sb_score_cache *c);

#endif
