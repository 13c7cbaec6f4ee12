/* cli_score.c - `sentibt score`: raw news -> scored sentiment JSON Lines (score/) */
#include "cli.h"
#include "../core/atomic.h"       /* sb_path_within */
#include "../core/common.h"
#include "../core/filetype.h"     /* sb_exe_dir */
#include "../engine/results.h"      /* sb_run_dir: the result folder, atomic */
#include "../loaders/textio.h"
#include "../report/score_compare.h"
#include "../score/score_run.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MODELS 16

static const char usage_text[] =
"usage: sentibt score --news FILE --out DIR [--model M | --compare M1,M2,...] [options]\n"
"       sentibt score --news FILE --out DIR --backend lexicon\n"
"\n"
"Scores raw news with an LLM behind an OpenAI-compatible API (POST BASE/chat/completions,\n"
"streamed) and writes DIR/scores.jsonl (the sentiment file backtest, sweep and events\n"
"read), DIR/errors.jsonl (articles that could not be scored, with the reason) and\n"
"DIR/manifest.json (settings and totals: articles, cache hits, requests, tokens, cost).\n"
"News: JSON Lines or CSV (.csv) with published_at (or date, time), title (or headline)\n"
"and/or text (or content, body), optional id and source.  Answers are cached by\n"
"SHA-256 of (base URL, model, prompt version, article): a re-run, or a run after a\n"
"kill, pays only for what is missing.  The API key is read from $SENTIBT_LLM_API_KEY,\n"
"else $OPENAI_API_KEY (none: no Authorization header, for local servers); it is never\n"
"printed or written.  docs/score.md has the prompt, the cache, costs and limits.\n"
"\n"
"options:\n"
"  --news FILE            the articles (required)\n"
"  --out DIR              the result folder (required); --force replaces one\n"
"  --backend B            openai (default) or lexicon: a crude offline word-list scorer\n"
"  --base-url URL         API base (default $SENTIBT_LLM_BASE_URL or https://api.openai.com/v1)\n"
"  --model M              model name (default $SENTIBT_LLM_MODEL)\n"
"  --cache DIR            answer cache (default data/cache/llm); --no-cache: none;\n"
"  --refresh              ask again even when cached (the new answers are stored)\n"
"  --prices FILE          price table (default data/llm-prices.json, else the one\n"
"                         installed with the binary)\n"
"  --concurrency N        requests at once (8)\n"
"  --rpm N, --tpm N       requests / tokens per minute (0 = no limit; default 0)\n"
"  --retries N            attempts per article in all, for 429, 5xx, timeouts (4)\n"
"  --retry-base T         first backoff step (1s); doubles per attempt, plus jitter\n"
"  --retry-cap T          longest backoff (60s)\n"
"  --timeout T            whole request (120s); --idle-timeout T: no byte for T (30s)\n"
"  --breaker N            stop after N failed requests in a row (10; 0 = never)\n"
"  --seed N               seed of the backoff jitter (0)\n"
"  --max-tokens N         answer length (300); --temperature X (0)\n"
"  --max-text N           bytes of each article sent (8000)\n"
"  --limit N              the first N articles only (a sample)\n"
"  --id-col, --time-col, --title-col, --text-col, --source-col NAME   CSV columns\n"
"  --compare M1,M2,...    score the articles with each model (cache not read), and\n"
"                         compare latency, throughput, cost and agreement: DIR/compare.csv,\n"
"                         a chart DIR/score_compare.png/.svg (gnuplot), DIR/MODEL/ per model\n"
"  --articles-per-day N   the daily volume for --compare's cost projection (10000)\n"
"  --progress             the progress line even when stderr is not a terminal\n"
"  -q, --quiet            no progress, no summary\n"
"  --force                replace an existing result folder\n"
"  -h, --help             this help\n"
"\n"
"Durations: 250ms, 30s, 5m.  exit codes: 0 success (articles that could not be scored\n"
"are in errors.jsonl), 1 failure (bad input, HTTP 4xx, the circuit breaker; nothing is\n"
"left at DIR), 2 usage error\n";

/* in the order of longopts[] below (messages name an option by its index) */
enum {
	OPT_NEWS = 256, OPT_OUT, OPT_BACKEND, OPT_BASE_URL, OPT_MODEL, OPT_CACHE, OPT_NO_CACHE,
	OPT_REFRESH, OPT_PRICES, OPT_CONC, OPT_RPM, OPT_TPM, OPT_RETRIES, OPT_RETRY_BASE,
	OPT_RETRY_CAP, OPT_TIMEOUT, OPT_IDLE, OPT_BREAKER, OPT_SEED, OPT_MAX_TOKENS, OPT_TEMP,
	OPT_MAX_TEXT, OPT_LIMIT, OPT_ID_COL, OPT_TIME_COL, OPT_TITLE_COL, OPT_TEXT_COL,
	OPT_SOURCE_COL, OPT_COMPARE, OPT_PER_DAY, OPT_PROGRESS, OPT_FORCE
};

static const struct option longopts[] = {
	{ "news", required_argument, NULL, OPT_NEWS },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "base-url", required_argument, NULL, OPT_BASE_URL },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "refresh", no_argument, NULL, OPT_REFRESH },
	{ "prices", required_argument, NULL, OPT_PRICES },
	{ "concurrency", required_argument, NULL, OPT_CONC },
	{ "rpm", required_argument, NULL, OPT_RPM },
	{ "tpm", required_argument, NULL, OPT_TPM },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "retry-base", required_argument, NULL, OPT_RETRY_BASE },
	{ "retry-cap", required_argument, NULL, OPT_RETRY_CAP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "breaker", required_argument, NULL, OPT_BREAKER },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "max-tokens", required_argument, NULL, OPT_MAX_TOKENS },
	{ "temperature", required_argument, NULL, OPT_TEMP },
	{ "max-text", required_argument, NULL, OPT_MAX_TEXT },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "id-col", required_argument, NULL, OPT_ID_COL },
	{ "time-col", required_argument, NULL, OPT_TIME_COL },
	{ "title-col", required_argument, NULL, OPT_TITLE_COL },
	{ "text-col", required_argument, NULL, OPT_TEXT_COL },
	{ "source-col", required_argument, NULL, OPT_SOURCE_COL },
	{ "compare", required_argument, NULL, OPT_COMPARE },
	{ "articles-per-day", required_argument, NULL, OPT_PER_DAY },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct score_cli {
	struct sb_score_spec spec;
	const char *out, *compare;
	char *models[MAX_MODELS];
	size_t n_models;
	int64_t per_day;
	bool force, quiet, progress;
};

static bool num_arg(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	return sb_parse_int64(s, out) && *out >= lo && *out <= hi;
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

/* Options -> spec; returns -1 to go on, or the exit code (help, usage error). */
static int parse(struct score_cli *c, int argc, char **argv)
{
	struct sb_score_spec *s = &c->spec;
	int64_t v;
	double d;
	int opt;

	memset(c, 0, sizeof(*c));
	sb_score_spec_defaults(s);
	c->per_day = 10000;
	s->base_url = env_or("SENTIBT_LLM_BASE_URL", "https://api.openai.com/v1");
	s->model = env_or("SENTIBT_LLM_MODEL", NULL);
	s->cache_dir = "data/cache/llm";
	s->prices_path = "data/llm-prices.json";
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		const char *a = optarg;

		switch (opt) {
		case OPT_NEWS: s->news_path = a; break;
		case OPT_OUT: c->out = a; break;
		case OPT_BACKEND:
			if (strcmp(a, "openai") && strcmp(a, "lexicon"))
				return sb_cli_usage_error("score", "--backend: expected openai or lexicon, got '%s'", a);
			s->lexicon = !strcmp(a, "lexicon");
			break;
		case OPT_BASE_URL: s->base_url = a; break;
		case OPT_MODEL: s->model = a; break;
		case OPT_CACHE: s->cache_dir = a; break;
		case OPT_NO_CACHE: s->cache_dir = NULL; break;
		case OPT_REFRESH: s->cache_read = false; break;
		case OPT_PRICES: s->prices_path = a; break;
		case OPT_CONC: case OPT_RETRIES: case OPT_BREAKER: case OPT_MAX_TOKENS:
			if (!num_arg(a, opt == OPT_BREAKER ? 0 : 1, opt == OPT_MAX_TOKENS ? 100000 : 1000, &v))
				return sb_cli_usage_error("score", "--%s: expected a whole number in [%d, %d], got '%s'",
							  longopts[opt - OPT_NEWS].name, opt == OPT_BREAKER ? 0 : 1,
							  opt == OPT_MAX_TOKENS ? 100000 : 1000, a);
			*(opt == OPT_CONC ? &s->concurrency : opt == OPT_RETRIES ? &s->retries :
			  opt == OPT_BREAKER ? &s->breaker : &s->max_tokens) = (int)v;
			break;
		case OPT_RPM: case OPT_TPM:
			if (!sb_parse_double(a, &d) || !(d >= 0 && d <= 1e12))
				return sb_cli_usage_error("score", "--%s: expected a number >= 0, got '%s'",
							  opt == OPT_RPM ? "rpm" : "tpm", a);
			*(opt == OPT_RPM ? &s->rpm : &s->tpm) = d;
			break;
		case OPT_RETRY_BASE: case OPT_RETRY_CAP: case OPT_TIMEOUT: case OPT_IDLE:
			if (!sb_parse_duration(a, &v) || v <= 0 || v > 86400 * SB_US_PER_SEC)
				return sb_cli_usage_error("score", "--%s: expected a duration such as 250ms, 30s, 5m (at most 1d), got '%s'",
							  longopts[opt - OPT_NEWS].name, a);
			*(opt == OPT_RETRY_BASE ? &s->retry_base_us : opt == OPT_RETRY_CAP ? &s->retry_cap_us :
			  opt == OPT_TIMEOUT ? &s->timeout_us : &s->idle_timeout_us) = v;
			break;
		case OPT_SEED:
			if (!num_arg(a, 0, INT64_MAX, &v))
				return sb_cli_usage_error("score", "--seed: expected a whole number >= 0, got '%s'", a);
			s->seed = (uint64_t)v;
			break;
		case OPT_TEMP:
			if (!sb_parse_double(a, &d) || !(d >= 0 && d <= 2))
				return sb_cli_usage_error("score", "--temperature: expected a number in [0, 2], got '%s'", a);
			s->temperature = d;
			break;
		case OPT_MAX_TEXT: case OPT_LIMIT: case OPT_PER_DAY:
			if (!num_arg(a, 1, INT64_C(1) << 40, &v))
				return sb_cli_usage_error("score", "--%s: expected a whole number >= 1, got '%s'",
							  longopts[opt - OPT_NEWS].name, a);
			if (opt == OPT_MAX_TEXT)
				s->max_text = (size_t)v;
			else if (opt == OPT_LIMIT)
				s->news.limit = (size_t)v;
			else
				c->per_day = v;
			break;
		case OPT_ID_COL: s->news.id_col = a; break;
		case OPT_TIME_COL: s->news.time_col = a; break;
		case OPT_TITLE_COL: s->news.title_col = a; break;
		case OPT_TEXT_COL: s->news.text_col = a; break;
		case OPT_SOURCE_COL: s->news.source_col = a; break;
		case OPT_COMPARE: c->compare = a; break;
		case OPT_PROGRESS: c->progress = true; break;
		case OPT_FORCE: c->force = true; break;
		case 'q': c->quiet = true; break;
		case 'h': fputs(usage_text, stdout); return SB_EXIT_OK;
		default:          /* ':' a missing value, '?' an unknown option */
			return sb_cli_bad_option("score", longopts, argv, opt);
		}
	}
	if (optind < argc)
		return sb_cli_usage_error("score", "unexpected argument '%s'", argv[optind]);
	if (!s->news_path || !c->out)
		return sb_cli_usage_error("score", "--news and --out are required");
	if (c->compare) {
		char *p = strdup(c->compare), *save = NULL;

		if (!p)
			return SB_EXIT_FAIL;
		for (char *m = strtok_r(p, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			if (c->n_models == MAX_MODELS) {
				free(p);
				return sb_cli_usage_error("score", "--compare: at most %d models", MAX_MODELS);
			}
			c->models[c->n_models++] = m;
		}
		if (c->n_models < 2 || s->lexicon) {
			free(p);
			return sb_cli_usage_error("score", "--compare: expected at least two models (and --backend openai)");
		}
		c->compare = p;   /* owns the names */
	} else if (!s->lexicon && !s->model) {
		return sb_cli_usage_error("score", "--model is required (or $SENTIBT_LLM_MODEL, or --backend lexicon)");
	}
	if (s->retry_cap_us < s->retry_base_us)
		s->retry_cap_us = s->retry_base_us;
	s->api_key = env_or("SENTIBT_LLM_API_KEY", env_or("OPENAI_API_KEY", NULL));
	s->progress = !c->quiet && (c->progress || isatty(STDERR_FILENO));
	/* the price table is optional unless named: without it costs are unknown.  The
	 * default is looked for in ./data, then next to the binary (as built, as installed
	 * by make install), like the report's gnuplot scripts. */
	if (!strcmp(s->prices_path, "data/llm-prices.json") && access(s->prices_path, R_OK) != 0) {
		static char found[4200];
		char exe[4000];

		s->prices_path = NULL;
		if (sb_exe_dir(exe, sizeof(exe))) {
			snprintf(found, sizeof(found), "%s/../../data/llm-prices.json", exe);
			if (access(found, R_OK) != 0)
				snprintf(found, sizeof(found), "%s/../share/sentibt/llm-prices.json", exe);
			if (access(found, R_OK) == 0)
				s->prices_path = found;
		}
	}
	return -1;
}

static void print_summary(const char *what, const struct sb_score_totals *t, const char *dir)
{
	printf("%s: %zu articles: %zu scored (%zu from the cache, %zu duplicates), %zu errors\n",
	       what, t->articles, t->scored, t->from_cache, t->duplicates, t->errors);
	printf("%s: %zu requests (%zu retries, %zu rate-limited, %zu invalid answers retried), "
	       "%llu prompt + %llu completion tokens, cost $%.6f",
	       what, t->requests, t->retries, t->rate_limited, t->invalid_retried,
	       (unsigned long long)t->prompt_tokens, (unsigned long long)t->completion_tokens,
	       t->cost_usd);   /* to the micro-dollar for reading; manifest.json has every digit */
	if (t->cost_estimated)
		printf(" (estimated for %zu articles: no usage reported)", t->cost_estimated);
	if (t->cost_unpriced)
		printf(" (unknown for %zu articles: model not in the price table)", t->cost_unpriced);
	printf(" -> %s\n", dir);
}

static int run_compare(struct score_cli *c, const char *tmp, struct sb_errbuf *err)
{
	struct sb_errbuf perr = { "" };

	if (sb_score_compare_run(&c->spec, (const char *const *)c->models, c->n_models,
				 (double)c->per_day, tmp, c->quiet ? NULL : stdout, &perr, err) != SB_OK)
		return SB_EXIT_FAIL;
	if (perr.msg[0] && !c->quiet)   /* without gnuplot the table and CSV still stand */
		fprintf(stderr, "sentibt: score: no chart: %s\n", perr.msg);
	return SB_EXIT_OK;
}

int cmd_score(int argc, char **argv)
{
	struct score_cli c;
	struct sb_run_dir dir;
	struct sb_score_totals t;
	struct sb_errbuf err = { "" };
	int rc = parse(&c, argc, argv);

	if (rc >= 0)
		return rc;
	c.spec.argc = argc;
	c.spec.argv = argv;
	{   /* --force would delete what the run reads (and the paid answers of the cache) */
		const char *in[] = { c.spec.news_path, c.spec.cache_dir, c.spec.prices_path };

		for (int k = 0; c.force && k < 3; k++)
			if (in[k] && sb_path_within(in[k], c.out)) {
				sb_cli_error("%s: an input (or the cache) inside %s, which --force would replace; write the results to another folder",
					     in[k], c.out);
				free((char *)c.compare);
				return SB_EXIT_FAIL;
			}
	}
	if (sb_run_dir_begin(&dir, c.out, c.force, &err) != SB_OK) {
		sb_cli_error("%s", err.msg);
		free((char *)c.compare);
		return SB_EXIT_FAIL;
	}
	c.spec.out_dir = dir.tmp;
	if (c.compare) {
		rc = run_compare(&c, dir.tmp, &err);
	} else {
		rc = sb_score_run(&c.spec, &t, &err) == SB_OK ? SB_EXIT_OK : SB_EXIT_FAIL;
		if (rc == SB_EXIT_OK && !c.quiet && c.spec.lexicon)
			printf("score: %zu articles scored offline by the lexicon (crude word lists) -> %s\n",
			       t.scored, c.out);
		else if (rc == SB_EXIT_OK && !c.quiet)
			print_summary("score", &t, c.out);
		sb_score_totals_release(&t);
	}
	if (rc == SB_EXIT_OK && sb_run_dir_commit(&dir, &err) != SB_OK)
		rc = SB_EXIT_FAIL;
	if (rc != SB_EXIT_OK) {
		sb_run_dir_abort(&dir);
		sb_cli_error("%s", err.msg);
	}
	free((char *)c.compare);
	return rc;
}
