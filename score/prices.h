/* prices.h - the price table (data/llm-prices.json) and the cost of a request
 *
 * The table is a JSON file in the repository, edited by hand when providers change
 * their prices: {"updated": "YYYY-MM-DD", "currency": "USD", "models": {"NAME":
 * {"input": USD per 1M input tokens, "output": USD per 1M output tokens, "date":
 * "YYYY-MM-DD" (when that price was read), "source": "..."}}}.
 */
#ifndef SB_PRICES_H
#define SB_PRICES_H

#include "../core/common.h"

struct sb_json;

struct sb_prices {
	struct sb_json *doc;
	char path[4096];
	char updated[32];
};

struct sb_price {
	bool   known;
	double input_per_m, output_per_m;   /* USD per 1M tokens */
	char   date[32];
};

/* Reads and checks the table ("PATH: models.NAME.input: expected a number >= 0"). */
enum sb_err sb_prices_load(struct sb_prices *p, const char *path, struct sb_errbuf *err);
void sb_prices_release(struct sb_prices *p);
/* The model's price; known false when the table has no such model. */
struct sb_price sb_prices_get(const struct sb_prices *p, const char *model);

/* How a cost was obtained, written next to it ("cost_source"). */
enum sb_cost_source {
	SB_COST_NONE = 0,    /* no price for the model: cost unknown (null) */
	SB_COST_API,         /* the provider's own usage.cost */
	SB_COST_USAGE,       /* reported token counts x the table */
	SB_COST_ESTIMATE,    /* no usage reported: tokens estimated (bytes / 4) x the table */
	SB_COST_LOCAL,       /* scored here (--backend lexicon): nothing paid */
};
const char *sb_cost_source_name(enum sb_cost_source s);

/* (input_per_m * in + output_per_m * out) / 1e6, in that order (tests recompute it). */
double sb_price_cost(const struct sb_price *p, uint64_t in_tokens, uint64_t out_tokens);

/* The token estimate used when a server reports no usage: ceil(bytes / 4). */
uint64_t sb_tokens_estimate(size_t bytes);

#endif
