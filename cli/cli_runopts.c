/* cli_runopts.c - options shared by backtest, sweep and events; loading candles and articles */
#include "cli_runopts.h"
#include "cli.h"

#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/manifest.h"   /* struct sb_coverage */
#include "../loaders/bincache.h"
#include "../loaders/fetch.h"
#include "../loaders/input.h"
#include "../loaders/textio.h"
#include "../run/mpi.h"

#define HELP_INPUTS \
"inputs:\n" \
"  -p, --prices FILE...      Tardis trades CSV(.gz) or OHLCV candle CSV(.gz), told apart\n" \
"                            by their header; several daily files of one symbol concatenate.\n" \
"                            Repeat the flag or list the files after it.  A reference\n" \
"                            tardis:EXCHANGE:TYPE:SYMBOL:FROM..TO (TO exclusive) reads the\n" \
"                            day files from the Tardis cache and fetches the missing ones\n" \
"      --tardis-cache DIR    that cache (default data/cache/tardis; see 'sentibt fetch')\n" \
"  -s, --sentiment FILE      articles: .jsonl, .jsonl.gz, .msgpack, or a news .csv(.gz)\n" \
"      --interval D          candle length, 1s .. 1d (default 1m)\n" \
"      --max-gap D           longest gap in prices filled with the previous close and\n" \
"                            zero volume (default 3d); a longer one is an error naming\n" \
"                            the file and line.  0 = no limit (the grid stays capped at\n" \
"                            2^25 candles, up to ~5 GB).  Filled candles are counted in\n" \
"                            the manifest\n" \
"      --entity SYM          keep articles whose symbols include SYM (an error when no\n" \
"                            article of the file has symbols)\n" \
"      --confidence MODE     field (default), abs (|score|) or const:X, for files\n" \
"                            without a confidence column\n" \
"      --time-col, --score-col, --confidence-col NAME   column mapping for news CSVs\n"

#define HELP_STRATEGY \
"strategy (DESIGN.md, the threshold strategy):\n" \
"      --strategy NAME       how articles make the signal: mean (default, exact),\n" \
"                            decayed, volume; 'sentibt strategies' lists them and\n" \
"                            their options (--half-life, --volume-factor, ...)\n" \
"      --threshold H         enter long when the signal > H, short when < -H (default 0.5)\n" \
"      --min-confidence K    only articles with confidence >= K count (default 0.7)\n" \
"      --window W            articles of the last W (whole candles) are averaged (default 5m)\n" \
"      --exit-band E         exit when |signal| < E (default 0.1)\n" \
"      --fee-bps F           fee per side in basis points (default 5)\n" \
"      --slippage-bps S      slippage per side in basis points (default 0)\n" \
"      --latency L           an article is usable L after publication (default 0s)\n" \
"exits and sides (DESIGN.md, every strategy; each a sweep axis; 0 = off; 0.02 = 2 %):\n" \
"      --stop-loss SL        exit when the price falls SL below the entry (a long; a short\n" \
"                            mirrored), checked on each later candle's open and low\n" \
"      --take-profit TP      exit when the price rises TP above the entry (open and high)\n" \
"      --trailing-stop TS    exit TS below the best high since the entry (with a stop-loss\n" \
"                            the nearer stop applies)\n" \
"      --max-hold N|D        exit at the close N candles (240) or D (4h, whole candles)\n" \
"                            after the entry's close (0 = off); one unit per sweep axis:\n" \
"                            0,60,240 or 0,1h,4h, not 60,4h.  summary.csv: seconds\n" \
"      --side S              both (default), long (ignore short entries) or short\n" \
"                            After a stop, take, trailing or time exit, no entry until a\n" \
"                            close whose |signal| < the exit band (re-armed).  SL, TS in\n" \
"                            [0, 1), TP in [0, 1000]\n"

#define HELP_PERIOD \
"period:\n" \
"      --from T, --to T      trade only the candles wholly inside [T1, T2) (a date or an\n" \
"                            RFC 3339 time); articles before --from still feed the first\n" \
"                            windows, as they would have live\n"

#define HELP_OUTPUT \
"output:\n" \
"  -o, --out DIR             result folder (default results/<command>-<UTC time>); written\n" \
"                            under a temporary name and renamed when complete\n" \
"  -f, --force               replace DIR when it exists\n" \
"      --candle-cache DIR    binary candle cache (default data/cache/candles; '' = off)\n" \
"  -q, --quiet               no table, no progress\n" \
"  -h, --help                this text\n" \
"Input files are regular files or pipes (a pipe, e.g. <(zcat x.gz), is read once into a\n" \
"temporary copy, at most 4 GiB); devices, folders and sockets are an error.\n" \
"exit codes: 0 success, 1 failure (bad input, I/O, network), 2 usage error\n"

const char sb_run_opts_help[] = HELP_INPUTS HELP_STRATEGY HELP_PERIOD HELP_OUTPUT;

/* The strategies' own options, from their table (so that --help and the man pages list them). */
static void print_strategy_options(FILE *out)
{
	fputs("strategy options (with --strategy NAME; each a sweep axis):\n", out);
	for (int i = 0; sb_strategies[i]; i++)
		for (int k = 0; k < sb_strategies[i]->n_axes; k++) {
			const struct sb_strategy_axis *a = &sb_strategies[i]->axes[k];
			char opt[64];

			snprintf(opt, sizeof(opt), "--%s V", a->option);
			fprintf(out, "      %-20s  (%s) %s\n", opt, sb_strategies[i]->name, a->help);
		}
}
#define HELP_PERIOD_EVENTS \
"period:\n" \
"      --from T, --to T      study only the candles wholly inside [T1, T2) (a date or an\n" \
"                            RFC 3339 time): events, forward returns, the volume history\n" \
"                            and the event path all stay inside the period\n"

const char sb_events_opts_help[] = HELP_INPUTS HELP_PERIOD_EVENTS HELP_OUTPUT;

enum {
	OPT_INTERVAL = 256, OPT_THRESHOLD, OPT_MIN_CONF, OPT_WINDOW, OPT_EXIT_BAND,
	OPT_FEE, OPT_SLIP, OPT_LATENCY, OPT_ENTITY, OPT_CONFIDENCE, OPT_TIME_COL,
	OPT_SCORE_COL, OPT_CONF_COL, OPT_CANDLE_CACHE, OPT_TOP, OPT_RANK_BY,
	OPT_KEEP, OPT_THREADS, OPT_KERNEL, OPT_TARDIS_CACHE, OPT_STRATEGY, OPT_MAX_GAP,
	OPT_FROM, OPT_TO, OPT_WALK_FORWARD, OPT_SPLIT, OPT_PLACEBO, OPT_SEED,
	OPT_HORIZONS, OPT_BUCKETS, OPT_BOOTSTRAP, OPT_VOLUME_WINDOW, OPT_PATH_BEFORE,
	OPT_PATH_AFTER, OPT_PATH_BOOTSTRAP, OPT_CLUSTER,
	OPT_DRY_RUN, OPT_YES,
	OPT_EXIT_AXIS,               /* + the exit axis (grid.h: SB_EX_*) */
	OPT_STRATEGY_AXIS = OPT_EXIT_AXIS + SB_N_EXIT_AXES,    /* + the index in strategy_axis_opts() */
};

#define MAX_STRATEGY_OPTS 16

static const struct option long_opts[] = {
	{ "prices", required_argument, NULL, 'p' },
	{ "sentiment", required_argument, NULL, 's' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "max-gap", required_argument, NULL, OPT_MAX_GAP },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "walk-forward", required_argument, NULL, OPT_WALK_FORWARD },
	{ "split", required_argument, NULL, OPT_SPLIT },
	{ "placebo", required_argument, NULL, OPT_PLACEBO },
	{ "seed", required_argument, NULL, OPT_SEED },
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
	{ "force", no_argument, NULL, 'f' },
	{ "candle-cache", required_argument, NULL, OPT_CANDLE_CACHE },
	{ "tardis-cache", required_argument, NULL, OPT_TARDIS_CACHE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "rank-by", required_argument, NULL, OPT_RANK_BY },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "strategy", required_argument, NULL, OPT_STRATEGY },
	{ "horizons", required_argument, NULL, OPT_HORIZONS },
	{ "buckets", required_argument, NULL, OPT_BUCKETS },
	{ "bootstrap", required_argument, NULL, OPT_BOOTSTRAP },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "path-before", required_argument, NULL, OPT_PATH_BEFORE },
	{ "path-after", required_argument, NULL, OPT_PATH_AFTER },
	{ "path-bootstrap", required_argument, NULL, OPT_PATH_BOOTSTRAP },
	{ "stop-loss", required_argument, NULL, OPT_EXIT_AXIS + SB_EX_STOP_LOSS },
	{ "take-profit", required_argument, NULL, OPT_EXIT_AXIS + SB_EX_TAKE_PROFIT },
	{ "trailing-stop", required_argument, NULL, OPT_EXIT_AXIS + SB_EX_TRAILING_STOP },
	{ "max-hold", required_argument, NULL, OPT_EXIT_AXIS + SB_EX_MAX_HOLD },
	{ "side", required_argument, NULL, OPT_EXIT_AXIS + SB_EX_SIDE },
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

static const char *const exit_defaults[SB_N_EXIT_AXES] = { "0", "0", "0", "0", "both" };

/* The option just parsed as typed: "--window" of "--window 5m", not the "5m". */
static const char *opt_text(char **argv)
{
	if (optarg && optind >= 2 && argv[optind - 1] == optarg && argv[optind - 2][0] == '-')
		return argv[optind - 2];
	return argv[optind - 1];
}

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

/* The exit axes' bounds (DESIGN "Exits and sides"); as check_ranges(). */
static bool check_exits(struct sb_run_opts *o)
{
	static const struct { int axis; int64_t lo, hi; const char *what; } rules[] = {
		{ SB_EX_STOP_LOSS, 0, SB_DEC_SCALE - 1, "a fraction in [0, 1) (0 = off)" },
		{ SB_EX_TAKE_PROFIT, 0, 1000 * SB_DEC_SCALE, "a fraction in [0, 1000] (0 = off)" },
		{ SB_EX_TRAILING_STOP, 0, SB_DEC_SCALE - 1, "a fraction in [0, 1) (0 = off)" },
		{ SB_EX_MAX_HOLD, 0, INT64_MAX, "a number of candles or a duration >= 0 (0 = off)" },
	};
	const char *cmd = o->cmd;

	for (size_t r = 0; o->grid.has_exits && r < sizeof(rules) / sizeof(rules[0]); r++) {
		const struct sb_axis *a = &o->grid.ax[sb_grid_exit_axis(&o->grid, rules[r].axis)];
		const char *opt = sb_exit_axis_options[rules[r].axis];

		for (size_t i = 0; i < a->n; i++) {
			char num[SB_DEC_LEN];

			if (!(a->v[i] >= rules[r].lo && a->v[i] <= rules[r].hi))
				sb_cli_usage_error(cmd, "--%s: expected %s, got %s%s", opt,
						   rules[r].what, sb_axis_format(a, a->v[i], num),
						   a->is_duration ? " s" : "");
			else if (a->is_duration && a->v[i] % o->interval_us)
				sb_cli_usage_error(cmd, "--%s: %s s is not a whole number of %s candles",
						   opt, sb_axis_format(a, a->v[i], num), o->interval);
			else
				continue;
			sb_run_opts_release(o);
			return false;
		}
	}
	return true;
}

int sb_run_opts_parse(struct sb_run_opts *o, const char *cmd, int argc, char **argv,
		      const char *usage_text)
{
	static char default_out[128];
	bool sweep = strcmp(cmd, "sweep") == 0, events = strcmp(cmd, "events") == 0;
	struct sb_errbuf err;
	struct strat_opt so[MAX_STRATEGY_OPTS];
	struct option opts[sizeof(long_opts) / sizeof(long_opts[0]) + MAX_STRATEGY_OPTS + 1];
	const size_t n_base = sizeof(long_opts) / sizeof(long_opts[0]) - 1;
	const struct sb_strategy *st;
	const char *exit_spec[SB_N_EXIT_AXES];
	int c, rc, n_so = strategy_axis_opts(so);

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->interval = "1m";
	o->max_gap = "3d";
	o->candle_cache = "data/cache/candles";
	o->strategy = sb_strategies[0]->name;
	for (int k = 0; k < SB_N_AXES; k++)
		o->axis_spec[k] = axis_defaults[k];
	memcpy(exit_spec, exit_defaults, sizeof(exit_spec));
	if (events) {
		/* the event study looks at every article unless told otherwise */
		o->axis_spec[SB_AX_MIN_CONFIDENCE] = "0";
		o->horizons = "5m,15m,60m,240m";
		o->buckets = "quantiles:5";
		o->bootstrap = "1000";
		o->seed = "1";
		o->volume_window = "60m";
		o->cluster = "0";
		o->path_before = "60m";
		o->path_after = "240m";
		o->path_bootstrap = "200";
	}
	memcpy(opts, long_opts, n_base * sizeof(opts[0]));
	for (int i = 0; i < n_so; i++)
		opts[n_base + (size_t)i] = (struct option){ so[i].option, required_argument, NULL,
							    OPT_STRATEGY_AXIS + i };
	/*
	 * events' --volume-window (the spike ratio's trailing window) shares its name with
	 * the volume strategy's axis, which means the same kind of window; the option is
	 * matched by name below, and only added when no strategy has it.
	 */
	{
		size_t k = n_base + (size_t)n_so;
		bool have_vw = false;

		for (int i = 0; i < n_so; i++)
			have_vw = have_vw || !strcmp(so[i].option, "volume-window");
		if (!have_vw)
			opts[k++] = (struct option){ "volume-window", required_argument, NULL,
						     OPT_VOLUME_WINDOW };
		opts[k] = (struct option){ NULL, 0, NULL, 0 };
	}
	optind = 0;      /* 0, not 1: glibc then also forgets a previous parse (verify re-runs) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:s:o:fqh", opts, NULL)) != -1) {
		if (events && c >= OPT_STRATEGY_AXIS && c < OPT_STRATEGY_AXIS + n_so &&
		    !strcmp(so[c - OPT_STRATEGY_AXIS].option, "volume-window"))
			c = OPT_VOLUME_WINDOW;
		if (events && ((c >= OPT_STRATEGY_AXIS && c < OPT_STRATEGY_AXIS + n_so) ||
			       (c >= OPT_EXIT_AXIS && c < OPT_EXIT_AXIS + SB_N_EXIT_AXES) ||
			       c == OPT_THRESHOLD || c == OPT_WINDOW || c == OPT_EXIT_BAND ||
			       c == OPT_FEE || c == OPT_SLIP || c == OPT_STRATEGY))
			return sb_cli_usage_error(cmd, "'%s' is a strategy option, not an option of events",
						  opt_text(argv));
		if (!events && c >= OPT_HORIZONS && c <= OPT_CLUSTER)
			return sb_cli_usage_error(cmd, "'%s' is an option of events only",
						  opt_text(argv));
		if (c >= OPT_STRATEGY_AXIS && c < OPT_STRATEGY_AXIS + n_so) {
			so[c - OPT_STRATEGY_AXIS].spec = optarg;
			continue;
		}
		if (c >= OPT_EXIT_AXIS && c < OPT_EXIT_AXIS + SB_N_EXIT_AXES) {
			exit_spec[c - OPT_EXIT_AXIS] = optarg;
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
		case OPT_FROM: o->from = optarg; break;
		case OPT_TO: o->to = optarg; break;
		case OPT_WALK_FORWARD: case OPT_SPLIT: case OPT_PLACEBO:
			if (!sweep)
				return sb_cli_usage_error(cmd, "'%s' is an option of sweep only",
							  opt_text(argv));
			if (c == OPT_WALK_FORWARD) o->walk_forward = optarg;
			else if (c == OPT_SPLIT) o->split = optarg;
			else o->placebo = optarg;
			break;
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
		case 'f': o->force = true; break;
		case OPT_CANDLE_CACHE: o->candle_cache = optarg; break;
		case OPT_TARDIS_CACHE: o->tardis_cache = optarg; break;
		case OPT_STRATEGY: o->strategy = optarg; break;
		case 'q': o->quiet = true; break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(events ? sb_events_opts_help : sb_run_opts_help, stdout);
			if (!events)
				print_strategy_options(stdout);
			if (sweep) {
				fputs("metrics (--rank-by):", stdout);
				sb_cli_print_metrics(stdout);
			}
			return SB_EXIT_OK;
		case OPT_HORIZONS: o->horizons = optarg; break;
		case OPT_BUCKETS: o->buckets = optarg; break;
		case OPT_BOOTSTRAP: o->bootstrap = optarg; break;
		case OPT_SEED:      /* placebo sets (sweep) and the bootstrap (events) */
			if (!sweep && !events)
				return sb_cli_usage_error(cmd, "'%s' is an option of sweep and events only",
							  opt_text(argv));
			o->seed = optarg;
			break;
		case OPT_VOLUME_WINDOW: o->volume_window = optarg; break;
		case OPT_CLUSTER: o->cluster = optarg; break;
		case OPT_PATH_BEFORE: o->path_before = optarg; break;
		case OPT_PATH_AFTER: o->path_after = optarg; break;
		case OPT_PATH_BOOTSTRAP: o->path_bootstrap = optarg; break;
		case OPT_THREADS:
			if (!sweep && !events)
				return sb_cli_usage_error(cmd, "'%s' is an option of sweep and events only",
							  opt_text(argv));
			o->threads = optarg;
			break;
		case OPT_TOP: case OPT_RANK_BY: case OPT_KEEP: case OPT_KERNEL:
		case OPT_DRY_RUN: case OPT_YES:
			if (!sweep)
				return sb_cli_usage_error(cmd, "'%s' is an option of sweep only",
							  opt_text(argv));
			if (c == OPT_TOP) o->top = optarg;
			else if (c == OPT_RANK_BY) o->rank_by = optarg;
			else if (c == OPT_KEEP) o->keep = optarg;
			else if (c == OPT_DRY_RUN) o->dry_run = true;
			else if (c == OPT_YES) o->yes = true;
			else o->kernel = optarg;
			break;
		default:
			return sb_cli_bad_option(cmd, opts, argv, c);
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
	o->from_us = INT64_MIN;
	o->to_us = INT64_MAX;
	if (o->from && !sb_parse_time(o->from, &o->from_us))
		return sb_cli_usage_error(cmd, "--from: expected a date or RFC 3339 time (2024-03-01, 2024-03-01T12:00:00Z), got '%s'",
					  o->from);
	if (o->to && !sb_parse_time(o->to, &o->to_us))
		return sb_cli_usage_error(cmd, "--to: expected a date or RFC 3339 time (2024-03-01, 2024-03-01T12:00:00Z), got '%s'",
					  o->to);
	if (o->from && o->to && o->to_us <= o->from_us)
		return sb_cli_usage_error(cmd, "--to must be after --from");
	if (o->walk_forward && o->split)
		return sb_cli_usage_error(cmd, "--walk-forward and --split exclude each other");
	if (o->confidence) {   /* a usage error here, before any input is read */
		struct sb_events_opts eo = { 0 };

		if (!sb_conf_mode_parse(o->confidence, &eo))
			return sb_cli_usage_error(cmd, "--confidence: expected field, abs or const:X with X in [0, 1], got '%s'",
						  o->confidence);
	}
	if (!sb_parse_duration(o->max_gap, &o->max_gap_us))
		return sb_cli_usage_error(cmd, "--max-gap: expected a duration such as 3d, 12h or 0 (no limit), got '%s'",
					  o->max_gap);
	st = sb_strategy_find(o->strategy);
	if (!st)
		return sb_cli_usage_error(cmd, "--strategy: expected one of mean, decayed, volume (see 'sentibt strategies'), got '%s'",
					  o->strategy);
	o->grid.strategy = st;
	o->grid.n_axes = SB_N_AXES + st->n_axes;
	if (!events) {
		o->grid.n_axes += SB_N_EXIT_AXES;
		o->grid.has_exits = true;
		o->grid.interval_us = o->interval_us;
		for (int j = 0; j < SB_N_EXIT_AXES; j++)
			o->axis_spec[sb_grid_exit_axis(&o->grid, j)] = exit_spec[j];
	}
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
		int ex = o->grid.has_exits ? k - sb_grid_exit_axis(&o->grid, 0) : -1;
		bool dur = ex >= 0 ? ex == SB_EX_MAX_HOLD
			   : k >= SB_N_AXES ? st->axes[k - SB_N_AXES].is_duration
			   : k == SB_AX_WINDOW || k == SB_AX_LATENCY;
		const char *opt = sb_grid_axis_option(&o->grid, k);

		if (ex == SB_EX_SIDE ? sb_axis_parse_side(&o->grid.ax[k], opt, o->axis_spec[k], &err)
		    : ex == SB_EX_MAX_HOLD ? sb_axis_parse_candles(&o->grid.ax[k], opt, o->axis_spec[k],
								   o->interval_us, &err)
		    : sb_axis_parse(&o->grid.ax[k], opt, o->axis_spec[k], dur, &err)) {
			sb_run_opts_release(o);
			return sb_cli_usage_error(cmd, "%s", err.msg);
		}
		if (!sweep && o->grid.ax[k].n != 1) {
			sb_run_opts_release(o);
			return sb_cli_usage_error(cmd, "--%s takes one value here; use 'sentibt sweep' for grids",
						  opt);
		}
		for (size_t i = 0; k >= SB_N_AXES && ex < 0 && i < o->grid.ax[k].n; i++) {
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
	if (!check_ranges(o) || !check_exits(o))
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

int sb_run_opts_load(const struct sb_run_opts *o, struct sb_run_inputs *in)
{
	struct sb_errbuf err = { "" };

	if (sb_run_load_inputs(o, in, &err)) {
		sb_cli_error("%s", err.msg);
		return SB_EXIT_FAIL;
	}
	return sb_run_opts_check_inputs(o, in);
}

int sb_run_opts_check_inputs(const struct sb_run_opts *o, const struct sb_run_inputs *in)
{
	struct sb_coverage cov;
	struct sb_errbuf err = { "" };
	char n1[32], n2[32], n3[32];
	uint64_t outside = 0;
	int rc = sb_cli_column_options_apply(o->cmd, o->time_col, o->score_col, o->conf_col,
					     o->sentiment, in->sentiment_info.kind);

	if (rc >= 0)
		return rc;
	if (sb_run_coverage(o, in, &cov, &err)) {
		sb_cli_error("%s", err.msg);
		return SB_EXIT_FAIL;
	}
	if (o->quiet || sb_mpi_rank() != 0)     /* under mpirun, one line, not one per rank */
		return -1;
	/* one line, and only when something was left out or filled: no news is good news */
	for (size_t i = 0; i < cov.n_latency; i++)
		outside += cov.outside[i].before + cov.outside[i].after;
	if (!cov.not_about_entity && !outside && !cov.filled_candles)
		return -1;
	fprintf(stderr, "sentibt %s: left out:", o->cmd);
	if (cov.not_about_entity)
		fprintf(stderr, " %s of %s articles not about %s%s", sb_cli_grouped(cov.not_about_entity, n1),
			sb_cli_grouped(cov.articles_read, n2), o->entity, outside ? ";" : "");
	for (size_t i = 0; outside && i < cov.n_latency; i++) {
		fprintf(stderr, "%s %s before and %s after the candles", i ? "," : "",
			sb_cli_grouped(cov.outside[i].before, n1), sb_cli_grouped(cov.outside[i].after, n2));
		if (cov.n_latency > 1 || cov.outside[i].latency_us)
			fprintf(stderr, " at latency %ss", sb_axis_format(&o->grid.ax[SB_AX_LATENCY],
				cov.outside[i].latency_us, n3));
	}
	if (cov.filled_candles)
		fprintf(stderr, "%s %s of %s candles had no trade (filled with the previous close)",
			cov.not_about_entity || outside ? ";" : "", sb_cli_grouped(cov.filled_candles, n1),
			sb_cli_grouped(cov.candles, n2));
	fputs(" (manifest.json \"coverage\")\n", stderr);
	return -1;
}

void sb_run_opts_release(struct sb_run_opts *o)
{
	sb_grid_release(&o->grid);
}
