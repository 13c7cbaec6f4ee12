/* cli_fetch.c - `sentibt fetch`: Tardis datasets or any URL into the local cache */
#include "cli.h"
#include "../core/common.h"
#include "../loaders/fetch.h"
#include "../loaders/textio.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LIST 4096

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sentibt fetch tardis --exchange EX --data-type T[,T...] --symbols S[,S...]\n"
		"                            --from YYYY-MM-DD --to YYYY-MM-DD [OPTIONS]\n"
		"       sentibt fetch url URL [--name NAME] [OPTIONS]\n"
		"\n"
		"'tardis' downloads {base}/{exchange}/{data_type}/YYYY/MM/DD/{SYMBOL}.csv.gz for every\n"
		"day in [--from, --to): --to is EXCLUSIVE, as in the official Tardis clients\n"
		"(--from 2024-01-01 --to 2024-01-02 is one day).  Files are named as the official\n"
		"clients name them, {exchange}_{data_type}_{YYYY-MM-DD}_{symbol}.csv.gz, so an\n"
		"existing ./datasets folder can be given as --cache; a file already there is not\n"
		"requested again.  The API key is read from $TARDIS_API_KEY (see --api-key-env) and\n"
		"sent as 'Authorization: Bearer'; without one only the first day of each month is\n"
		"available.\n"
		"'url' downloads any file (e.g. sentiment data) into the cache and keeps its ETag /\n"
		"Last-Modified in NAME.meta; the next run asks the server and a 304 keeps the copy.\n"
		"\n"
		"Every body goes to a temporary file, is checked, then renamed into place: exactly\n"
		"its Content-Length (shorter or longer fails, whatever the format), valid gzip for\n"
		".gz, and no HTML/XML page (by Content-Type or first bytes) for a data file (.gz,\n"
		".csv, .jsonl, .ndjson, .msgpack, .mpk).  429, 5xx, network errors, cut or overlong\n"
		"bodies and too-slow transfers are retried with exponential backoff; 400/401/403/404,\n"
		"an HTML page, a body over --max-bytes and a file past its --deadline stop the run.\n"
		"Nothing is left at the cache path by a failure.  Two runs on the same files at\n"
		"once are safe (no lock: each downloads to its own temporary file).\n"
		"\n"
		"options:\n"
		"  --exchange EX         exchange id, e.g. deribit, binance-futures\n"
		"  --data-type LIST      e.g. trades,quotes,incremental_book_L2\n"
		"  --symbols LIST        e.g. BTC-PERPETUAL,ETH-PERPETUAL\n"
		"  --from DAY, --to DAY  UTC days, --to exclusive\n"
		"  --cache DIR           cache folder (default data/cache/tardis for tardis,\n"
		"                        data/cache for url)\n"
		"  --name NAME           file name for url (default: the URL's last path segment)\n"
		"  --base-url URL        datasets endpoint (default $SENTIBT_TARDIS_BASE_URL or\n"
		"                        https://datasets.tardis.dev/v1)\n"
		"  --api-key-env NAME    environment variable holding the key (TARDIS_API_KEY)\n"
		"  --jobs N              transfers at once (8)\n"
		"  --retries N           attempts per file in all (8)\n"
		"  --retry-base-ms MS    first backoff step (1000, or $SENTIBT_RETRY_BASE_MS);\n"
		"                        doubles per attempt, capped at 120 s, plus jitter\n"
		"  --idle-timeout S      abort a transfer that receives nothing for S seconds (120)\n"
		"  --max-bytes N         size cap of a body, N bytes or with K/M/G/T (32G; env\n"
		"                        SENTIBT_FETCH_MAX_BYTES); not retried\n"
		"  --deadline T          give up on a file T after its first request, retries and\n"
		"                        waits included: 90s, 30m, 6h, bare digits = seconds (6h;\n"
		"                        env SENTIBT_FETCH_DEADLINE); not retried\n"
		"  --min-rate N          fail a transfer averaging under N bytes/s over a window\n"
		"                        (1K; 0 = no minimum; env SENTIBT_FETCH_MIN_RATE); retried\n"
		"  --rate-window T       that window (60s; env SENTIBT_FETCH_RATE_WINDOW)\n"
		"  -q, --quiet           no progress line or retry notes\n"
		"  -h, --help            this help\n"
		"\n"
		"A progress line is shown when stderr is a terminal; a summary line always ends\n"
		"the run on stderr.\n"
		"exit codes: 0 success, 1 failure (network, HTTP error, disk), 2 usage error\n");
}

/* Splits a comma list in place into 'v'; false on an empty element or too many. */
static bool split_list(char *s, const char **v, size_t max, size_t *n)
{
	*n = 0;
	for (;;) {
		char *c = strchr(s, ',');

		if (c)
			*c = '\0';
		if (!*s || *n == max)
			return false;
		v[(*n)++] = s;
		if (!c)
			return true;
		s = c + 1;
	}
}

static bool parse_pos(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	return sb_parse_int64(s, out) && *out >= lo && *out <= hi;
}

enum {
	OPT_EXCHANGE = 256, OPT_DATA_TYPE, OPT_SYMBOLS, OPT_FROM, OPT_TO, OPT_CACHE, OPT_NAME,
	OPT_BASE_URL, OPT_KEY_ENV, OPT_JOBS, OPT_RETRIES, OPT_RETRY_BASE, OPT_IDLE,
	OPT_MAX_BYTES, OPT_DEADLINE, OPT_MIN_RATE, OPT_RATE_WINDOW
};

static void print_summary(const struct sb_fetch_stats *st)
{
	fprintf(stderr, "sentibt: fetch: fetched %zu, already cached %zu, failed %zu",
		st->fetched, st->cached, st->failed);
	if (st->cancelled)
		fprintf(stderr, ", cancelled %zu", st->cancelled);
	fprintf(stderr, " (%llu bytes)", (unsigned long long)st->bytes);
	if (st->dest[0] && !st->failed && !st->cancelled)
		fprintf(stderr, " -> %s", st->dest);
	fputc('\n', stderr);
}

int cmd_fetch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "exchange",      required_argument, NULL, OPT_EXCHANGE },
		{ "data-type",     required_argument, NULL, OPT_DATA_TYPE },
		{ "data-types",    required_argument, NULL, OPT_DATA_TYPE },
		{ "symbols",       required_argument, NULL, OPT_SYMBOLS },
		{ "from",          required_argument, NULL, OPT_FROM },
		{ "to",            required_argument, NULL, OPT_TO },
		{ "cache",         required_argument, NULL, OPT_CACHE },
		{ "name",          required_argument, NULL, OPT_NAME },
		{ "base-url",      required_argument, NULL, OPT_BASE_URL },
		{ "api-key-env",   required_argument, NULL, OPT_KEY_ENV },
		{ "jobs",          required_argument, NULL, OPT_JOBS },
		{ "retries",       required_argument, NULL, OPT_RETRIES },
		{ "retry-base-ms", required_argument, NULL, OPT_RETRY_BASE },
		{ "idle-timeout",  required_argument, NULL, OPT_IDLE },
		{ "max-bytes",     required_argument, NULL, OPT_MAX_BYTES },
		{ "deadline",      required_argument, NULL, OPT_DEADLINE },
		{ "min-rate",      required_argument, NULL, OPT_MIN_RATE },
		{ "rate-window",   required_argument, NULL, OPT_RATE_WINDOW },
		{ "quiet",         no_argument,       NULL, 'q' },
		{ "help",          no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sb_fetch_opts o;
	struct sb_fetch_stats st;
	struct sb_errbuf err = { { 0 } };
	const char *exchange = NULL, *from = NULL, *to = NULL, *cache = NULL, *name = NULL;
	char *types_s = NULL, *syms_s = NULL;
	const char *mode;
	int c, rc = SB_EXIT_USAGE;
	int64_t v;
	enum sb_err e;

	if (argc < 2) {
		usage(stderr);
		return SB_EXIT_USAGE;
	}
	mode = argv[1];
	if (!strcmp(mode, "-h") || !strcmp(mode, "--help")) {
		usage(stdout);
		return SB_EXIT_OK;
	}
	if (strcmp(mode, "tardis") != 0 && strcmp(mode, "url") != 0)
		return sb_cli_usage_error("fetch", "expected 'tardis' or 'url', got '%s'", mode);
	sb_fetch_opts_init(&o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_EXCHANGE: exchange = optarg; break;
		case OPT_DATA_TYPE: free(types_s); types_s = strdup(optarg); break;
		case OPT_SYMBOLS: free(syms_s); syms_s = strdup(optarg); break;
		case OPT_FROM: from = optarg; break;
		case OPT_TO: to = optarg; break;
		case OPT_CACHE: cache = optarg; break;
		case OPT_NAME: name = optarg; break;
		case OPT_BASE_URL: o.base_url = optarg; break;
		case OPT_KEY_ENV:
			if (!optarg[0]) {
				sb_cli_usage_error("fetch", "--api-key-env: expected a variable name");
				goto out;
			}
			o.api_key_env = optarg;
			break;
		case OPT_JOBS:
			if (!parse_pos(optarg, 1, 256, &v)) {
				sb_cli_usage_error("fetch", "--jobs: expected 1..256, got '%s'", optarg);
				goto out;
			}
			o.jobs = (int)v;
			break;
		case OPT_RETRIES:
			if (!parse_pos(optarg, 1, 1000, &v)) {
				sb_cli_usage_error("fetch", "--retries: expected 1..1000 attempts, got '%s'",
						   optarg);
				goto out;
			}
			o.retries = (int)v;
			break;
		case OPT_RETRY_BASE:
			if (!parse_pos(optarg, 0, 600000, &v)) {
				sb_cli_usage_error("fetch", "--retry-base-ms: expected 0..600000, got '%s'",
						   optarg);
				goto out;
			}
			o.retry_base_ms = (long)v;
			break;
		case OPT_IDLE:
			if (!parse_pos(optarg, 1, 86400, &v)) {
				sb_cli_usage_error("fetch", "--idle-timeout: expected 1..86400 seconds,"
						   " got '%s'", optarg);
				goto out;
			}
			o.idle_timeout_s = (long)v;
			break;
		case OPT_MAX_BYTES:
			if (!sb_fetch_parse_bytes(optarg, &o.max_bytes) || o.max_bytes == 0) {
				sb_cli_usage_error("fetch", "--max-bytes: expected a size like 500M or"
						   " 32G, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_DEADLINE:
			if (!sb_fetch_parse_ms(optarg, &o.deadline_ms) || o.deadline_ms == 0) {
				sb_cli_usage_error("fetch", "--deadline: expected a duration like 90s,"
						   " 30m or 6h (at most 30 days), got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_MIN_RATE:
			if (!sb_fetch_parse_bytes(optarg, &o.min_rate)) {
				sb_cli_usage_error("fetch", "--min-rate: expected bytes per second like"
						   " 1024 or 1K (0: none), got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_RATE_WINDOW:
			if (!sb_fetch_parse_ms(optarg, &o.rate_window_ms) || o.rate_window_ms == 0) {
				sb_cli_usage_error("fetch", "--rate-window: expected a duration like 60s,"
						   " got '%s'", optarg);
				goto out;
			}
			break;
		case 'q': o.quiet = true; o.progress = false; break;
		case 'h': usage(stdout); rc = SB_EXIT_OK; goto out;
		default:
			sb_cli_bad_option("fetch", longopts, argv + 1, c);
			goto out;
		}
	}
	if (!strcmp(mode, "url")) {
		const char *url;

		if (optind + 1 != argc - 1) {
			sb_cli_usage_error("fetch", "url: expected exactly one URL");
			goto out;
		}
		if (exchange || types_s || syms_s || from || to) {
			sb_cli_usage_error("fetch", "url: --exchange/--data-type/--symbols/--from/--to"
					   " are for 'fetch tardis'");
			goto out;
		}
		url = argv[optind + 1];
		o.cache_dir = cache ? cache : "data/cache";
		e = sb_fetch_url(&o, url, name, &st, &err);
	} else {
		const char *types[MAX_LIST], *syms[MAX_LIST];
		struct sb_tardis_req req;

		if (optind != argc - 1) {
			sb_cli_usage_error("fetch", "tardis: unexpected argument '%s'",
					   argv[optind + 1]);
			goto out;
		}
		if (!exchange || !types_s || !syms_s || !from || !to) {
			sb_cli_usage_error("fetch", "tardis: --exchange, --data-type, --symbols,"
					   " --from and --to are required");
			goto out;
		}
		if (name) {
			sb_cli_usage_error("fetch", "--name is for 'fetch url'");
			goto out;
		}
		memset(&req, 0, sizeof(req));
		req.exchange = exchange;
		if (!split_list(types_s, types, MAX_LIST, &req.n_data_types) ||
		    !split_list(syms_s, syms, MAX_LIST, &req.n_symbols)) {
			sb_cli_usage_error("fetch", "expected comma lists without empty items");
			goto out;
		}
		req.data_types = types;
		req.symbols = syms;
		if (!sb_fetch_parse_day(from, &req.from_day)) {
			sb_cli_usage_error("fetch", "--from: expected a date YYYY-MM-DD, got '%s'", from);
			goto out;
		}
		if (!sb_fetch_parse_day(to, &req.to_day)) {
			sb_cli_usage_error("fetch", "--to: expected a date YYYY-MM-DD, got '%s'", to);
			goto out;
		}
		if (req.to_day <= req.from_day) {
			sb_cli_usage_error("fetch", "--to is exclusive and must be after --from"
					   " (--from %s --to %s fetches nothing)", from, to);
			goto out;
		}
		if (cache)
			o.cache_dir = cache;
		e = sb_fetch_tardis(&o, &req, &st, &err);
	}
	if (e != SB_OK) {
		sb_cli_error("%s", err.msg);
		if (e != SB_EINVAL)             /* bad input: nothing was attempted */
			print_summary(&st);
		rc = e == SB_EINVAL ? SB_EXIT_USAGE : SB_EXIT_FAIL;
		goto out;
	}
	print_summary(&st);
	rc = SB_EXIT_OK;
out:
	free(types_s);
	free(syms_s);
	return rc;
}
