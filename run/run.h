/* run.h - the run layer: a resolved run -> inputs loaded -> results written -> manifest
 *
 * What backtest, sweep and verify share below the CLI: the CLI turns options into a
 * struct sb_run_opts (cli/cli_runopts.c) and calls these; they load the inputs (Tardis
 * references fetched, pipes spooled, the binary cache), run the engine, write a result
 * folder atomically and its manifest, and return errors instead of printing them.
 */
#ifndef SB_RUN_H
#define SB_RUN_H

#include "../engine/event_study.h"
#include "../engine/grid.h"
#include "../engine/sim.h"
#include "../engine/stats.h"
#include "../engine/sweep.h"
#include "../loaders/candles.h"
#include "../loaders/events.h"

#define SB_MAX_PRICE_FILES 4096

struct sb_run_opts {
	const char *cmd;                     /* "backtest", "sweep" or "events" */
	const char *prices[SB_MAX_PRICE_FILES];
	size_t n_prices;
	const char *sentiment;
	const char *interval;
	const char *strategy;                /* --strategy NAME (default "mean") */
	const char *max_gap;                 /* --max-gap as typed (default "3d") */
	const char *from, *to;               /* --from / --to as typed, or NULL */
	const char *walk_forward, *split;    /* sweep: --walk-forward SPEC, --split P% */
	const char *placebo;                 /* sweep: --placebo N (with --seed) */
	const char *axis_spec[SB_MAX_AXES];  /* as typed; defaults filled in */
	const char *entity, *confidence, *time_col, *score_col, *conf_col;
	const char *out;
	const char *candle_cache;            /* folder of the binary candle cache, "" = off */
	const char *tardis_cache;            /* where tardis: references are cached (NULL: default) */
	bool force, quiet;
	bool dry_run, yes;          /* sweep: --dry-run, --yes (a grid over the limit) */
	/* sweep only (threads: sweep and events) */
	const char *top, *rank_by, *keep, *threads, *kernel;
	/* events only, as typed (defaults filled in by the parser) */
	const char *horizons, *buckets, *bootstrap, *volume_window, *cluster;
	const char *path_before, *path_after, *path_bootstrap;   /* events: event_path.csv */
	const char *seed;                    /* --seed: placebo sets (sweep), bootstrap (events) */
	/* resolved */
	int64_t interval_us;
	int64_t from_us, to_us;              /* INT64_MIN / INT64_MAX when not given */
	int64_t max_gap_us;                  /* 0 = no limit */
	struct sb_grid grid;
};

/* What the inputs are, after loading; kept for the manifest. */
struct sb_run_inputs {
	struct sb_candles candles;
	struct sb_events events;
	struct sb_input_info *price_info;    /* n_price_files entries */
	size_t n_price_files;
	char **price_paths;                  /* resolved paths (tardis: refs expanded) */
	struct sb_input_info sentiment_info;
};

/*
 * The candles traded, [*first, *first + *n): those that lie wholly inside
 * [from, to) (all without --from/--to).  Fails when none does.  Articles before
 * 'first' still feed its first windows, as they would have live.
 */
enum sb_err sb_run_range(const struct sb_run_opts *o, const struct sb_candles *c,
			 size_t *first, size_t *n, struct sb_errbuf *err);

/* Loads candles and events (Tardis references resolved, the cache used). */
enum sb_err sb_run_load_inputs(const struct sb_run_opts *o, struct sb_run_inputs *in,
			       struct sb_errbuf *err);
void sb_run_inputs_release(struct sb_run_inputs *in);
/* Fetches the missing days of o's tardis: references into the cache; loads nothing. */
enum sb_err sb_run_fetch_refs(const struct sb_run_opts *o, struct sb_errbuf *err);

struct sb_coverage;

/*
 * sb_run_coverage() counts what the loaded candles and articles share (struct
 * sb_coverage, engine/manifest.h): filled candles, articles left out by --entity and
 * outside the candles at the grid's smallest and largest latency.  Returns SB_EINVAL,
 * with both files and their spans in 'err', when no article falls inside the candles
 * at any latency of the grid (nothing to trade on); 'cov' is filled either way.
 */
enum sb_err sb_run_coverage(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			    struct sb_coverage *cov, struct sb_errbuf *err);

struct sb_sweep_request;

/*
 * sb_run_write_manifest() fills a manifest from the options and loaded inputs of a
 * backtest (req NULL) or sweep (argv as given to the command) and writes
 * DIR/manifest.json.
 */
enum sb_err sb_run_write_manifest(const char *dir, const struct sb_run_opts *o,
				  const struct sb_run_inputs *in,
				  const struct sb_sweep_request *req, int argc, char **argv,
				  struct sb_errbuf *err);

/* backtest: one combination recorded; DIR/metrics.json, equity.csv, trades.csv, manifest. */
struct sb_backtest_result {
	struct sb_metrics m;
	struct sb_metrics bh;        /* buy and hold over the same candles */
	char dir[4096];              /* the result folder, once committed */
};
enum sb_err sb_run_backtest(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			    int argc, char **argv, struct sb_backtest_result *res,
			    struct sb_errbuf *err);

/* sweep: what the CLI resolved from --top, --rank-by, --keep, --threads, --kernel. */
struct sb_sweep_request {
	size_t top;                  /* curves of the best 'top' */
	const char *rank_by;         /* a metric name, "psr" or "dsr" */
	const size_t *keep;          /* ids whose curves are written too */
	size_t n_keep;
	struct sb_sweep_opts engine; /* threads, kernel, progress */
	size_t placebo;              /* placebo article sets to run the grid on (0: none) */
	uint64_t seed;               /* their seed */
	bool spread;                 /* the grid spread over the MPI ranks (run/mpi.h) */
};

/* Placebo news (placebo.c): the grid's best against the bests of N placebo grids. */
struct sb_placebo_result {
	size_t n;
	uint64_t seed;
	double best_real;            /* the real grid's best --rank-by value */
	double *best;                /* per placebo set: its grid's best */
	size_t *best_id;
	int64_t *offset_us;          /* its circular time shift */
	double best_percentile;      /* share of placebo bests the real best beats (ties 1/2) */
	double p_value;              /* (1 + #placebo bests >= real best) / (N + 1) */
	size_t n_keep;               /* the --keep ids, each against itself on the placebos */
	double *keep_vals;           /* [placebo][keep]: its --rank-by value there */
	double *keep_percentile;     /* share of those the real value beats (ties 1/2) */
};

struct sb_sweep_result {
	struct sb_metrics *m;        /* per combination, grid order */
	size_t *order;               /* ids, best first */
	double *rank_key;            /* per combination: the value ranked by */
	size_t n_top;
	size_t n_candles;            /* candles traded (the --from/--to period) */
	struct sb_metrics bh;        /* buy and hold over them (sb_run_sweep) */
	struct sb_placebo_result placebo;   /* when req->placebo */
	struct sb_dsr dsr;
	struct sb_sweep_stats stats;
	char dir[4096];              /* the result folder, once committed */
};

/* The candles traded: [first, first + n). */
struct sb_engine_range {
	size_t first, n;
};

/*
 * sb_run_grid() runs the grid over the candles of 'r' and ranks it (res->m, order,
 * rank_key, n_top, dsr, stats); it writes nothing.  sb_run_sweep() and the walk-forward
 * folds use it.
 */
enum sb_err sb_run_grid(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			const struct sb_sweep_request *req, const struct sb_engine_range *r,
			struct sb_sweep_result *res, struct sb_errbuf *err);

/* PSR against SR* = 0, and DSR against the sweep's SR0, of one row over n candles. */
double sb_run_row_psr(const struct sb_metrics *m, size_t n);
double sb_run_row_dsr(const struct sb_metrics *m, const struct sb_dsr *d, size_t n);

/*
 * sb_run_sweep() runs the grid, ranks it, and writes summary.csv, stats.json, the
 * curves of the top and kept combinations and the manifest into o->out.
 */
enum sb_err sb_run_sweep(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			 const struct sb_sweep_request *req, int argc, char **argv,
			 struct sb_sweep_result *res, struct sb_errbuf *err);
void sb_sweep_result_release(struct sb_sweep_result *res);
/* Frees what sb_run_grid() filled (not the placebo part). */
void sb_grid_result_release(struct sb_sweep_result *res);

/* Runs the placebo grids and writes DIR/placebo.csv (a row per placebo set). */
enum sb_err sb_run_placebo(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			   const struct sb_sweep_request *req, const struct sb_sweep_result *real,
			   size_t n_placebo, uint64_t seed, const char *dir,
			   struct sb_placebo_result *pr, struct sb_errbuf *err);
void sb_placebo_result_release(struct sb_placebo_result *pr);
/*
 * Placebo set number 'which' (0-based) of 'seed', as sb_run_placebo() makes it, into
 * 'out' (arrays of ev->n owned by the caller); *offset gets its time shift.
 */
enum sb_err sb_placebo_events(const struct sb_events *ev, const struct sb_candles *c,
			      uint64_t seed, size_t which, struct sb_events *out,
			      int64_t *offset, struct sb_errbuf *err);

/* Out-of-sample tests (walkforward.c): --walk-forward train=D,test=D[,step=D] or --split P%. */
struct sb_walk_spec {
	bool split;
	int64_t split_pct_e9;           /* P in 10^-9 units: the first P % of the candles train */
	int64_t train_us, test_us, step_us;   /* step defaults to test */
};
/* Parses the options (one of them NULL); false with the reason in 'why'. */
bool sb_walk_spec_parse(const char *walk_forward, const char *split, struct sb_walk_spec *w,
			char *why, size_t cap);

struct sb_fold {
	struct sb_engine_range train, test;
};

struct sb_walk_result {
	struct sb_fold *folds;
	size_t n_folds;
	size_t *best;                   /* per fold: the id chosen on the training candles */
	struct sb_metrics *in_sample;   /* its metrics there */
	struct sb_metrics *out_sample;  /* and on the test candles */
	struct sb_metrics *oos_bh;      /* buy-and-hold over each test part */
	double oos_growth;              /* product of the folds' final equity / 10,000 */
	double oos_bh_growth;           /* the same for buy-and-hold */
	char dir[4096];
};

/*
 * sb_run_walk_forward() runs the grid on each fold's training candles, trades the best
 * by req->rank_by on its test candles, and writes walkforward.csv (a row per fold),
 * oos_equity.csv (the test parts stitched, compounding) and the manifest into o->out.
 */
enum sb_err sb_run_walk_forward(const struct sb_run_opts *o, const struct sb_run_inputs *in,
				const struct sb_sweep_request *req, const struct sb_walk_spec *w,
				int argc, char **argv, struct sb_walk_result *wr,
				struct sb_errbuf *err);
void sb_walk_result_release(struct sb_walk_result *wr);

/*
 * events (the event study, engine/event_study.h).  sb_run_events_opts() resolves the
 * options as typed (o->horizons ... o->cluster, o->threads, k and L from the grid)
 * against the candle interval; SB_EINVAL with a message naming the option when one is
 * wrong (a usage error).
 */
enum sb_err sb_run_events_opts(const struct sb_run_opts *o, struct sb_es_opts *eo,
			       struct sb_errbuf *err);

/* sb_run_events() runs the study and writes DIR/events.csv, event_study.csv, ic.csv,
 * event_stats.json and the manifest. */
struct sb_events_result {
	struct sb_event_study es;
	char dir[4096];              /* the result folder, once committed */
};
enum sb_err sb_run_events(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			  const struct sb_es_opts *eo, int argc, char **argv,
			  struct sb_events_result *res, struct sb_errbuf *err);
void sb_events_result_release(struct sb_events_result *res);

/* The manifest of an events run: the inputs as for backtest, the event study's
 * parameters instead of a grid. */
enum sb_err sb_run_write_events_manifest(const char *dir, const struct sb_run_opts *o,
					 const struct sb_run_inputs *in,
					 const struct sb_es_opts *eo, int argc, char **argv,
					 struct sb_errbuf *err);

/* sweep --dry-run: the cost of a sweep over n candles, from calibrated rates (estimate.c). */
struct sb_sweep_estimate {
	const char *kernel;
	int threads, ranks;
	double groups, curves, rate, exits_share, exits_rate;
	double t_sweep, t_signal, t_summary, t_curves;   /* seconds */
	double bytes_summary, bytes_equity;
};
void sb_run_sweep_estimate(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			   const struct sb_sweep_request *req, size_t n,
			   struct sb_sweep_estimate *e);

#endif
