/* score_run.h - `sentibt score`: raw news -> scored sentiment JSON Lines (a run)
 *
 * sb_score_run() reads the news, takes what it can from the cache, sends the rest to
 * an OpenAI-compatible /chat/completions endpoint (or scores it with the built-in
 * lexicon), and writes into 'out_dir' (a folder the caller makes atomic):
 *   scores.jsonl   one line per scored article, in file order: the fields the engine
 *                  reads (id, published_at, sentiment_score, confidence, key_entities)
 *                  plus summary, source, headline, model, prompt_version, token
 *                  counts, cost_usd, cost_source, cached, requests;
 *   errors.jsonl   one line per article that could not be scored: id, line, reason;
 *   manifest.json  inputs, settings (never the key), totals.
 * How requests are scheduled (concurrency, buckets, 429, backoff, breaker): score.md.
 */
#ifndef SB_SCORE_RUN_H
#define SB_SCORE_RUN_H

#include "news.h"

struct sb_score_spec {
	const char *news_path;
	struct sb_news_opts news;
	const char *out_dir;
	bool        lexicon;            /* --backend lexicon: offline, no cache, no cost */
	const char *base_url;           /* ".../v1": POST {base_url}/chat/completions */
	const char *model;
	const char *api_key;            /* NULL: no Authorization header */
	const char *cache_dir;          /* NULL: no cache */
	bool        cache_read;         /* false: ask again, but store the answers */
	const char *prices_path;        /* NULL: costs unknown */
	int         concurrency;        /* requests at once */
	int         retries;            /* attempts per article in all (429, 5xx, timeouts) */
	int         breaker;            /* consecutive failed requests that stop the run; 0 never */
	int         max_tokens;
	double      temperature;
	double      rpm, tpm;           /* requests and tokens per minute; 0 unlimited */
	int64_t     timeout_us, idle_timeout_us, retry_base_us, retry_cap_us;
	uint64_t    seed;               /* jitter of the backoff */
	size_t      max_text;           /* bytes of title + text sent per article */
	bool        progress;           /* a progress line on stderr */
	int         argc;               /* the command line, for the manifest */
	char      **argv;
};

/* Defaults of everything but paths, model and key. */
void sb_score_spec_defaults(struct sb_score_spec *s);

struct sb_score_totals {
	size_t   articles, scored, from_cache, duplicates, errors;
	size_t   requests, retries, rate_limited, invalid_retried;
	size_t   cost_estimated, cost_unpriced;
	uint64_t prompt_tokens, completion_tokens;   /* paid in this run */
	double   cost_usd;          /* spent in this run (cache hits cost nothing) */
	double   cost_usd_cached;   /* what the cache hits had cost when they were paid */
	double   seconds;
	/* per article, for --compare: the score (NaN when none) and the latency of its
	 * successful request in seconds (NaN when cached or failed) */
	double  *score, *latency_s;
};

void sb_score_totals_release(struct sb_score_totals *t);

/* Returns SB_OK (some articles may be in errors.jsonl) or an error for the run. */
enum sb_err sb_score_run(const struct sb_score_spec *s, struct sb_score_totals *t,
			 struct sb_errbuf *err);

#endif
