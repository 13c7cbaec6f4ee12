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
	const char *axis_spec[SB_MAX_AXES];  /* as typed; defaults filled in */
	const char *entity, *confidence, *time_col, *score_col, *conf_col;
	const char *out;
	const char *candle_cache;            /* folder of the binary candle cache, "" = off */
	const char *tardis_cache;            /* where tardis: references are cached (NULL: default) */
	bool force, quiet;
	/* sweep only (threads: sweep and events) */
	const char *top, *rank_by, *keep, *threads, *kernel;
	/* events only, as typed (defaults filled in by the parser) */
	const char *horizons, *buckets, *bootstrap, *seed, *volume_window, *cluster;
	/* resolved */
	int64_t interval_us;
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

/* Loads candles and events (Tardis references resolved, the cache used). */
enum sb_err sb_run_load_inputs(const struct sb_run_opts *o, struct sb_run_inputs *in,
			       struct sb_errbuf *err);
void sb_run_inputs_release(struct sb_run_inputs *in);

/*
 * sb_run_write_manifest() fills a manifest from the options and loaded inputs of a
 * backtest or sweep (argv as given to the command) and writes DIR/manifest.json.
 */
enum sb_err sb_run_write_manifest(const char *dir, const struct sb_run_opts *o,
				  const struct sb_run_inputs *in, int argc, char **argv,
				  struct sb_errbuf *err);

/* backtest: one combination recorded; DIR/metrics.json, equity.csv, trades.csv, manifest. */
struct sb_backtest_result {
	struct sb_metrics m;
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
};

struct sb_sweep_result {
	struct sb_metrics *m;        /* per combination, grid order */
	size_t *order;               /* ids, best first */
	double *rank_key;            /* per combination: the value ranked by */
	size_t n_top;
	struct sb_dsr dsr;
	struct sb_sweep_stats stats;
	char dir[4096];              /* the result folder, once committed */
};

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

#endif
