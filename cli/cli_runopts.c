/* cli_runopts.c - options shared by backtest and sweep; loading candles and articles */
#include "cli_runopts.h"
#include "cli.h"

#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../loaders/bincache.h"
#include "../loaders/fetch.h"
#include "../loaders/input.h"
#include "../loaders/textio.h"

const char sb_run_opts_help[] =
"inputs:\n"
"  -p, --prices FILE...      Tardis trades CSV(.gz) or OHLCV candle CSV(.gz), told apart\n"
"                            by their header; several daily files of one symbol concatenate.\n"
"                            Repeat the flag or list the files after it.  A reference\n"
"                            tardis:EXCHANGE:TYPE:SYMBOL:FROM..TO (TO exclusive) reads the\n"
"                            day files from the Tardis cache and fetches the missing ones\n"
"      --tardis-cache DIR    that cache (default data/cache/tardis; see 'sentibt fetch')\n"
"  -s, --sentiment FILE      articles: .jsonl, .jsonl.gz, .msgpack, or a news .csv(.gz)\n"
"      --interval D          candle length, 1s .. 1d (default 1m)\n"
"      --max-gap D           longest gap in prices filled with the previous close and\n"
"                            zero volume (default 3d); a longer one is an error naming\n"
"                            the file and line.  0 = no limit (the grid stays capped at\n"
"                            2^25 candles, up to ~5 GB).  Filled candles are counted in\n"
"                            the manifest\n"
"      --entity SYM          keep articles whose symbols include SYM (all when the file\n"
"                            has no symbols)\n"
"      --confidence MODE     field (default), abs (|score|) or const:X, for files\n"
"                            without a confidence column\n"
"      --time-col, --score-col, --confidence-col NAME   column mapping for news CSVs\n"
"strategy (DESIGN.md, the threshold strategy):\n"
"      --strategy NAME       how articles make the signal: mean (default, exact),\n"
"                            decayed, volume; 'sentibt strategies' lists them and\n"
"                            their options (--half-life, --volume-factor, ...)\n"
"      --threshold H         enter long when the signal > H, short when < -H (default 0.5)\n"
"      --min-confidence K    only articles with confidence >= K count (default 0.7)\n"
"      --window W            articles of the last W (whole candles) are averaged (default 5m)\n"
"      --exit-band E         exit when |signal| < E (default 0.1)\n"
"      --fee-bps F           fee per side in basis points (default 5)\n"
"      --slippage-bps S      slippage per side in basis points (default 0)\n"
"      --latency L           an article is usable L after publication (default 0s)\n"
"output:\n"
"  -o, --out DIR             result folder (default results/<command>-<UTC time>); written\n"
"                            under a temporary name and renamed when complete\n"
"      --force               replace DIR when it exists\n"
"      --candle-cache DIR    binary candle cache (default data/cache/candles; '' = off)\n"
"  -q, --quiet               no table, no progress\n"
"  -h, --help                this text\n"
"Input files are regular files or pipes (a pipe, e.g. <(zcat x.gz), is read once into a\n"
"temporary copy, at most 4 GiB); devices, folders and sockets are an error.\n"
"exit codes: 0 success, 1 failure (bad input, I/O, network), 2 usage error\n";

enum {
	OPT_INTERVAL = 256, OPT_THRESHOLD, OPT_MIN_CONF, OPT_WINDOW, OPT_EXIT_BAND,
	OPT_FEE, OPT_SLIP, OPT_LATENCY, OPT_ENTITY, OPT_CONFIDENCE, OPT_TIME_COL,
	OPT_SCORE_COL, OPT_CONF_COL, OPT_FORCE, OPT_CANDLE_CACHE, OPT_TOP, OPT_RANK_BY,
	OPT_KEEP, OPT_THREADS, OPT_KERNEL, OPT_TARDIS_CACHE, OPT_STRATEGY, OPT_MAX_GAP,
	OPT_STRATEGY_AXIS,           /* + the index in strategy_axis_opts() */
};

#define MAX_STRATEGY_OPTS 16

static const struct option long_opts[] = {
	{ "prices", required_argument, NULL, 'p' },
	{ "sentiment", required_argument, NULL, 's' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "max-gap", required_argument, NULL, OPT_MAX_GAP },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "min-confidence", required_argument, NULL, OPT_MIN_CONF },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "exit-band", required_argument, NULL, OPT_EXIT_BAND },
	{ "fee-bps", required_argument, NULL, OPT_FEE },
	{ "slippage-bps", required_argument, NULL, OPT_SLIP },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "entity", required_argument, NULL, OPT_ENTITY },
	{ "confidence", required_argument, NULL, OPT_CONFIDENCE },
	{ "time-col", required_argument, NULL, OPT_TIME_COL },
	{ "score-col", required_argument, NULL, OPT_SCORE_COL },
	{ "confidence-col", required_argument, NULL, OPT_CONF_COL },
	{ "out", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "candle-cache", required_argument, NULL, OPT_CANDLE_CACHE },
	{ "tardis-cache", required_argument, NULL, OPT_TARDIS_CACHE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "rank-by", required_argument, NULL, OPT_RANK_BY },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "strategy", required_argument, NULL, OPT_STRATEGY },
	{ NULL, 0, NULL, 0 },
};

/* Every strategy's own axes, as options (one entry per distinct option name). */
struct strat_opt {
	const char *option;
	const char *spec;            /* as typed, or NULL */
};

static int strategy_axis_opts(struct strat_opt *so)
{
	int n = 0;

	for (int s = 0; sb_strategies[s]; s++)
		for (int k = 0; k < sb_strategies[s]->n_axes; k++) {
			const char *opt = sb_strategies[s]->axes[k].option;
			int i = 0;

			while (i < n && strcmp(so[i].option, opt))
				i++;
			if (i == n && n < MAX_STRATEGY_OPTS)
				so[n++] = (struct strat_opt){ opt, NULL };
		}
	return n;
}

static const char *const axis_defaults[SB_N_AXES] = {
	"0.5", "0.7", "5m", "0.1", "5", "0", "0s",
};

static int add_price(struct sb_run_opts *o, const char *path)
{
	if (o->n_prices == SB_MAX_PRICE_FILES)
		return sb_cli_usage_error(o->cmd, "more than %d price files", SB_MAX_PRICE_FILES);
	o->prices[o->n_prices++] = path;
	return -1;
}

/* Values that parse but make no sense; prints a usage error and releases o on failure. */
static bool check_ranges(struct sb_run_opts *o)
{
	/* Bounds in 10^-9 units, as the axes hold them. */
	static const struct { int axis; int64_t lo, hi; const char *what; } rules[] = {
		{ SB_AX_THRESHOLD, 0, SB_DEC_SCALE, "a threshold in [0, 1] (signals are means of scores in [-1, 1])" },
		{ SB_AX_MIN_CONFIDENCE, 0, SB_DEC_SCALE, "a confidence in [0, 1]" },
		{ SB_AX_EXIT_BAND, 0, SB_DEC_SCALE, "an exit band in [0, 1]" },
		{ SB_AX_FEE_BPS, 0, 9999 * SB_DEC_SCALE, "basis points in [0, 9999]" },
		{ SB_AX_SLIPPAGE_BPS, 0, 9999 * SB_DEC_SCALE, "basis points in [0, 9999]" },
	};

	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		const struct sb_axis *a = &o->grid.ax[rules[r].axis];

		for (size_t i = 0; i < a->n; i++)
			if (!(a->v[i] >= rules[r].lo && a->v[i] <= rules[r].hi)) {
				char num[SB_DEC_LEN];

				sb_cli_usage_error(o->cmd, "--%s: expected %s, got %s",
						   sb_axis_options[rules[r].axis], rules[r].what,
						   sb_axis_format(a, a->v[i], num));
				sb_run_opts_release(o);
				return false;
			}
	}
	/* Costs of 100 % or more per side would make the all-in fills meaningless. */
	for (size_t i = 0; i < o->grid.ax[SB_AX_FEE_BPS].n; i++)
		for (size_t j = 0; j < o->grid.ax[SB_AX_SLIPPAGE_BPS].n; j++)
			if (o->grid.ax[SB_AX_FEE_BPS].v[i] + o->grid.ax[SB_AX_SLIPPAGE_BPS].v[j] >=
			    10000 * SB_DEC_SCALE) {
				sb_cli_usage_error(o->cmd, "--fee-bps plus --slippage-bps must stay below 10000 (100%%)");
				sb_run_opts_release(o);
				return false;
			}
	return true;
}

int sb_run_opts_parse(struct sb_run_opts *o, const char *cmd, int argc, char **argv,
		      const char *usage_text)
{
	static char default_out[128];
	bool sweep = strcmp(cmd, "sweep") == 0;
	struct sb_errbuf err;
	struct strat_opt so[MAX_STRATEGY_OPTS];
	struct option opts[sizeof(long_opts) / sizeof(long_opts[0]) + MAX_STRATEGY_OPTS];
	const size_t n_base = sizeof(long_opts) / sizeof(long_opts[0]) - 1;
	const struct sb_strategy *st;
	int c, rc, n_so = strategy_axis_opts(so);

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->interval = "1m";
	o->max_gap = "3d";
	o->candle_cache = "data/cache/candles";
	o->strategy = sb_strategies[0]->name;
	for (int k = 0; k < SB_N_AXES; k++)
		o->axis_spec[k] = axis_defaults[k];
	memcpy(opts, long_opts, n_base * sizeof(opts[0]));
	for (int i = 0; i < n_so; i++)
		opts[n_base + (size_t)i] = (struct option){ so[i].option, required_argument, NULL,
							    OPT_STRATEGY_AXIS + i };
	opts[n_base + (size_t)n_so] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;      /* 0, not 1: glibc then also forgets a previous parse (verify re-runs) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:s:o:qh", opts, NULL)) != -1) {
		if (c >= OPT_STRATEGY_AXIS && c < OPT_STRATEGY_AXIS + n_so) {
			so[c - OPT_STRATEGY_AXIS].spec = optarg;
			continue;
		}
		switch (c) {
		case 'p':
			if ((rc = add_price(o, optarg)) >= 0)
				return rc;
			break;
		case 's': o->sentiment = optarg; break;
		case OPT_INTERVAL: o->interval = optarg; break;
		case OPT_MAX_GAP: o->max_gap = optarg; break;
		case OPT_THRESHOLD: o->axis_spec[SB_AX_THRESHOLD] = optarg; break;
		case OPT_MIN_CONF: o->axis_spec[SB_AX_MIN_CONFIDENCE] = optarg; break;
		case OPT_WINDOW: o->axis_spec[SB_AX_WINDOW] = optarg; break;
		case OPT_EXIT_BAND: o->axis_spec[SB_AX_EXIT_BAND] = optarg; break;
		case OPT_FEE: o->axis_spec[SB_AX_FEE_BPS] = optarg; break;
		case OPT_SLIP: o->axis_spec[SB_AX_SLIPPAGE_BPS] = optarg; break;
		case OPT_LATENCY: o->axis_spec[SB_AX_LATENCY] = optarg; break;
		case OPT_ENTITY: o->entity = optarg; break;
		case OPT_CONFIDENCE: o->confidence = optarg; break;
		case OPT_TIME_COL: o->time_col = optarg; break;
		case OPT_SCORE_COL: o->score_col = optarg; break;
		case OPT_CONF_COL: o->conf_col = optarg; break;
		case 'o': o->out = optarg; break;
		case OPT_FORCE: o->force = true; break;
		case OPT_CANDLE_CACHE: o->candle_cache = optarg; break;
		case OPT_TARDIS_CACHE: o->tardis_cache = optarg; break;
		case OPT_STRATEGY: o->strategy = optarg; break;
		case 'q': o->quiet = true; break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(sb_run_opts_help, stdout);
			return SB_EXIT_OK;
		case OPT_TOP: case OPT_RANK_BY: case OPT_KEEP: case OPT_THREADS: case OPT_KERNEL:
			if (!sweep)
				return sb_cli_usage_error(cmd, "'%s' is an option of sweep only",
							  argv[optind - 1]);
			if (c == OPT_TOP) o->top = optarg;
			else if (c == OPT_RANK_BY) o->rank_by = optarg;
			else if (c == OPT_KEEP) o->keep = optarg;
			else if (c == OPT_THREADS) o->threads = optarg;
			else o->kernel = optarg;
			break;
		case ':':
			return sb_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		default:
			return sb_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++)       /* files listed after --prices */
		if ((rc = add_price(o, argv[i])) >= 0)
			return rc;
	if (o->n_prices == 0)
		return sb_cli_usage_error(cmd, "--prices FILE is required");
	if (!o->sentiment)
		return sb_cli_usage_error(cmd, "--sentiment FILE is required");
	if (!sb_parse_duration(o->interval, &o->interval_us) || o->interval_us < SB_US_PER_SEC ||
	    o->interval_us > SB_US_PER_DAY || o->interval_us % SB_US_PER_SEC)
		return sb_cli_usage_error(cmd, "--interval: expected whole seconds from 1s to 1d, got '%s'",
					  o->interval);
	if (!sb_parse_duration(o->max_gap, &o->max_gap_us))
		return sb_cli_usage_error(cmd, "--max-gap: expected a duration such as 3d, 12h or 0 (no limit), got '%s'",
					  o->max_gap);
	st = sb_strategy_find(o->strategy);
	if (!st)
		return sb_cli_usage_error(cmd, "--strategy: expected one of mean, decayed, volume (see 'sentibt strategies'), got '%s'",
					  o->strategy);
	o->grid.strategy = st;
	o->grid.n_axes = SB_N_AXES + st->n_axes;
	/* a strategy's option given with another strategy is a mistake, not ignored */
	for (int i = 0; i < n_so; i++) {
		bool mine = false;

		for (int k = 0; k < st->n_axes; k++)
			if (!strcmp(st->axes[k].option, so[i].option)) {
				o->axis_spec[SB_N_AXES + k] = so[i].spec ? so[i].spec : st->axes[k].deflt;
				mine = true;
			}
		if (so[i].spec && !mine)
			return sb_cli_usage_error(cmd, "--%s is not an option of --strategy %s (see 'sentibt strategies')",
						  so[i].option, st->name);
	}
	for (int k = 0; k < o->grid.n_axes; k++) {
		bool dur = k >= SB_N_AXES ? st->axes[k - SB_N_AXES].is_duration
					  : k == SB_AX_WINDOW || k == SB_AX_LATENCY;
		const char *opt = sb_grid_axis_option(&o->grid, k);

		if (sb_axis_parse(&o->grid.ax[k], opt, o->axis_spec[k], dur, &err)) {
			sb_run_opts_release(o);
			return sb_cli_usage_error(cmd, "%s", err.msg);
		}
		if (!sweep && o->grid.ax[k].n != 1) {
			sb_run_opts_release(o);
			return sb_cli_usage_error(cmd, "--%s takes one value here; use 'sentibt sweep' for grids",
						  opt);
		}
		for (size_t i = 0; k >= SB_N_AXES && i < o->grid.ax[k].n; i++) {
			const struct sb_strategy_axis *sa = &st->axes[k - SB_N_AXES];
			char lo[SB_DEC_LEN], hi[SB_DEC_LEN], got[SB_DEC_LEN];

			if (sa->whole_candles && o->grid.ax[k].v[i] % o->interval_us) {
				sb_cli_usage_error(cmd, "--%s: %s s is not a whole number of %s candles",
						   opt, sb_axis_format(&o->grid.ax[k], o->grid.ax[k].v[i], got),
						   o->interval);
				sb_run_opts_release(o);
				return SB_EXIT_USAGE;
			}
			if (o->grid.ax[k].v[i] < sa->lo || o->grid.ax[k].v[i] > sa->hi) {
				sb_cli_usage_error(cmd, "--%s: expected %s .. %s%s, got %s%s", opt,
						   sb_axis_format(&o->grid.ax[k], sa->lo, lo),
						   sb_axis_format(&o->grid.ax[k], sa->hi, hi),
						   dur ? " s" : "",
						   sb_axis_format(&o->grid.ax[k], o->grid.ax[k].v[i], got),
						   dur ? " s" : "");
				sb_run_opts_release(o);
				return SB_EXIT_USAGE;
			}
		}
	}
	if (!check_ranges(o))
		return SB_EXIT_USAGE;
	for (size_t i = 0; i < o->grid.ax[SB_AX_WINDOW].n; i++) {
		int64_t w = o->grid.ax[SB_AX_WINDOW].v[i];

		if (w <= 0 || w % o->interval_us != 0) {
			sb_run_opts_release(o);
			return sb_cli_usage_error(cmd, "--window: %lld s is not a whole number of %s candles",
						  (long long)(w / SB_US_PER_SEC), o->interval);
		}
	}
	if (sb_grid_finish(&o->grid, &err)) {
		sb_run_opts_release(o);
		return sb_cli_usage_error(cmd, "%s", err.msg);
	}
	if (!o->out) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		snprintf(default_out, sizeof(default_out), "results/%s-%04d%02d%02d-%02d%02d%02d",
			 cmd, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		o->out = default_out;
	}
	return -1;
}

void sb_run_opts_release(struct sb_run_opts *o)
{
	sb_grid_release(&o->grid);
}

static bool events_opts_from(const struct sb_run_opts *o, struct sb_events_opts *eo)
{
	memset(eo, 0, sizeof(*eo));
	eo->entity = o->entity;
	eo->time_col = o->time_col;
	eo->score_col = o->score_col;
	eo->conf_col = o->conf_col;
	eo->conf_mode = SB_CONF_FIELD;
	return !o->confidence || sb_conf_mode_parse(o->confidence, eo);
}

/* Appends 'path' (copied) to the resolved price paths. */
static bool push_path(struct sb_run_inputs *in, size_t *cap, const char *path)
{
	if (in->n_price_files == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **np = realloc(in->price_paths, ncap * sizeof(*np));

		if (!np)
			return false;
		in->price_paths = np;
		*cap = ncap;
	}
	in->price_paths[in->n_price_files] = strdup(path);
	return in->price_paths[in->n_price_files++] != NULL;
}

/* Expands tardis: references into cached day files, fetching the missing ones. */
static bool resolve_prices(const struct sb_run_opts *o, struct sb_run_inputs *in)
{
	size_t cap = 0;

	for (size_t i = 0; i < o->n_prices; i++) {
		struct sb_fetch_opts fo;
		struct sb_errbuf err;
		char **days = NULL;
		size_t n_days = 0;
		bool ok = true;

		if (!sb_fetch_is_tardis_ref(o->prices[i])) {
			if (!push_path(in, &cap, o->prices[i]))
				goto oom;
			continue;
		}
		sb_fetch_opts_init(&fo);
		fo.quiet = o->quiet;
		if (o->tardis_cache)
			fo.cache_dir = o->tardis_cache;
		if (sb_fetch_resolve_tardis(o->prices[i], &fo, &days, &n_days, &err)) {
			sb_cli_error("%s", err.msg);
			return false;
		}
		for (size_t d = 0; d < n_days; d++) {
			ok = ok && push_path(in, &cap, days[d]);
			free(days[d]);
		}
		free(days);
		if (!ok)
			goto oom;
	}
	return true;
oom:
	sb_cli_error("out of memory");
	return false;
}

/* The digest and size of each input, hashed once for the cache key and the manifest. */
static void note_digest(struct sb_input_info *info, const char *path,
			const char digest[SB_SHA256_HEX])
{
	struct stat st;

	memcpy(info->sha256, digest, SB_SHA256_HEX);
	info->size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/*
 * A cached array passed the gap limit of the run that stored it; one with a gap
 * longer than this run's limit is a miss, so that the loader reports the gap.
 */
static bool gaps_within(const struct sb_input_info *info, size_t n, int64_t max_gap_us)
{
	for (size_t i = 0; max_gap_us && i < n; i++)
		if (info[i].longest_gap_us > max_gap_us)
			return false;
	return true;
}

/*
 * Every input goes through sb_input_open() before it is hashed or read (pipes are
 * spooled, devices refused); the loaders read src[].path, messages and the manifest
 * show the names given.
 */
static bool load_candles(const struct sb_run_opts *o, struct sb_run_inputs *in)
{
	const size_t n = in->n_price_files;
	const char *cache = o->candle_cache;
	char key[SB_SHA256_HEX], (*digests)[SB_SHA256_HEX];
	struct sb_input *src;
	const char **paths;
	bool keyed, ok = false;
	struct sb_errbuf err;
	size_t opened = 0;

	in->price_info = calloc(n, sizeof(*in->price_info));
	digests = calloc(n, sizeof(*digests));
	src = calloc(n, sizeof(*src));
	paths = calloc(n, sizeof(*paths));
	if (!in->price_info || !digests || !src || !paths) {
		sb_cli_error("out of memory");
		goto out_free;
	}
	for (; opened < n; opened++) {
		if (sb_input_open(&src[opened], in->price_paths[opened], &err)) {
			sb_cli_error("%s", err.msg);
			goto out_free;
		}
		paths[opened] = src[opened].path;
	}
	keyed = !sb_cache_key_candles(paths, n, o->interval_us, key, digests, &err);
	if (keyed && cache && *cache &&
	    sb_cache_load_candles(cache, key, &in->candles, in->price_info, n) &&
	    gaps_within(in->price_info, n, o->max_gap_us)) {
		ok = true;
	} else if (sb_candles_load_ex(&in->candles, paths, n, o->interval_us, o->max_gap_us,
				      in->price_info, &err)) {
		for (size_t i = 0; i < n; i++)
			sb_input_rename_msg(&src[i], err.msg, sizeof(err.msg));
		sb_cli_error("%s", err.msg);
	} else {
		for (size_t i = 0; i < n; i++)
			snprintf(in->price_info[i].path, sizeof(in->price_info[i].path), "%s",
				 src[i].name);
		if (keyed && cache && *cache)
			sb_cache_store_candles(cache, key, &in->candles, in->price_info, n);
		ok = true;
	}
	for (size_t i = 0; ok && i < n; i++) {
		snprintf(in->price_info[i].path, sizeof(in->price_info[i].path), "%s", src[i].name);
		if (keyed)
			note_digest(&in->price_info[i], paths[i], digests[i]);
	}
out_free:
	for (size_t i = 0; src && i < opened; i++)
		sb_input_close(&src[i]);
	free(src);
	free(paths);
	free(digests);
	return ok;
}

static bool load_events(const struct sb_run_opts *o, const struct sb_events_opts *eo,
			struct sb_run_inputs *in)
{
	const char *cache = o->candle_cache;
	char key[SB_SHA256_HEX], digest[SB_SHA256_HEX];
	struct sb_input src;
	struct sb_errbuf err;
	bool keyed, ok = false;

	if (sb_input_open(&src, o->sentiment, &err)) {
		sb_cli_error("%s", err.msg);
		return false;
	}
	keyed = !sb_cache_key_events(src.path, eo, key, digest, NULL);
	if (keyed && cache && *cache &&
	    sb_cache_load_events(cache, key, &in->events, &in->sentiment_info)) {
		ok = true;
	} else if (sb_events_load(&in->events, src.path, eo, &in->sentiment_info, &err)) {
		sb_input_rename_msg(&src, err.msg, sizeof(err.msg));
		sb_cli_error("%s", err.msg);
	} else {
		snprintf(in->sentiment_info.path, sizeof(in->sentiment_info.path), "%s", src.name);
		if (keyed && cache && *cache)
			sb_cache_store_events(cache, key, &in->events, &in->sentiment_info);
		ok = true;
	}
	if (ok) {
		snprintf(in->sentiment_info.path, sizeof(in->sentiment_info.path), "%s", src.name);
		if (keyed)
			note_digest(&in->sentiment_info, src.path, digest);
	}
	sb_input_close(&src);
	return ok;
}

bool sb_run_load_inputs(const struct sb_run_opts *o, struct sb_run_inputs *in)
{
	struct sb_events_opts eo;

	memset(in, 0, sizeof(*in));
	sb_candles_init(&in->candles);
	sb_events_init(&in->events);
	if (!events_opts_from(o, &eo)) {
		sb_cli_error("--confidence: expected field, abs or const:X with X in [0, 1], got '%s'",
			     o->confidence);
		return false;
	}
	return resolve_prices(o, in) && load_candles(o, in) && load_events(o, &eo, in);
}

void sb_run_inputs_release(struct sb_run_inputs *in)
{
	sb_candles_release(&in->candles);
	sb_events_release(&in->events);
	for (size_t i = 0; in->price_paths && i < in->n_price_files; i++)
		free(in->price_paths[i]);
	free(in->price_paths);
	free(in->price_info);
	memset(in, 0, sizeof(*in));
}
