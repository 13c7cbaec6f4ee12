/* answer.h - what the model is asked, and how its answer is checked
 *
 * The system prompt is versioned: SB_PROMPT_VERSION is part of every cache key and
 * of every output line, so a changed prompt never reuses answers given to the old one.
 * Bump it whenever the text of sb_score_system_prompt changes (docs/score.md).
 */
#ifndef SB_ANSWER_H
#define SB_ANSWER_H

#include "../core/common.h"

#define SB_PROMPT_VERSION "sentibt-1"
extern const char sb_score_system_prompt[];

#define SB_MAX_ENTITIES   16
#define SB_ENTITY_LEN     16    /* a symbol: 1 to 15 of A-Z 0-9, plus NUL */
#define SB_SUMMARY_MAX    600   /* bytes kept of the summary (cut at a UTF-8 boundary) */

struct sb_answer {
	double score;            /* sentiment_score in [-1, 1] */
	double confidence;       /* in [0, 1] */
	size_t n_entities;
	char   entities[SB_MAX_ENTITIES][SB_ENTITY_LEN];
	char   summary[SB_SUMMARY_MAX + 1];
};

/*
 * Reads the model's answer: one JSON object (a ```json fence around it is allowed,
 * models add one) with sentiment_score (a number in [-1, 1]), confidence (in [0, 1]),
 * key_entities (an array of at most SB_MAX_ENTITIES symbols: 1-15 letters or digits,
 * kept upper-cased; "$BTC" is read as BTC; duplicates dropped) and summary (a string,
 * may be missing).  Returns false with the reason in 'why' ("sentiment_score 1.5 is
 * outside [-1, 1]"), the sentence the retry sends back to the model.
 */
bool sb_answer_parse(const char *text, size_t len, struct sb_answer *a, char *why,
		     size_t why_cap);

#endif
