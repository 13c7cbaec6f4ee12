/* lexicon.h - a deterministic, offline, CRUDE sentiment scorer (--backend lexicon)
 *
 * Counts words of two short hand-written lists (bullish, bearish) in the title and
 * text, with a negation ("not", "no", "never", "without") flipping the next word:
 * score = (pos - neg) / (pos + neg), confidence = min(1, (pos + neg) / 3) scaled by
 * 0.9, entities from a table of coin names and tickers.  It knows no context, irony,
 * magnitude or who is speaking: it exists so that the pipeline runs with no network
 * and no key (tests, demos), not to measure sentiment.  docs/score.md says so.
 */
#ifndef SB_LEXICON_H
#define SB_LEXICON_H

#include "answer.h"

#define SB_LEXICON_VERSION "lexicon-1"

/* Scores title + text (either may be NULL) into 'a' (summary: empty). */
void sb_lexicon_score(const char *title, const char *text, struct sb_answer *a);

#endif
