/* cli_runopts.h - the options that backtest and sweep share, and loading their inputs */
#ifndef SB_CLI_RUNOPTS_H
#define SB_CLI_RUNOPTS_H

#include "../engine/grid.h"
#include "../loaders/candles.h"
#include "../loaders/events.h"

#define SB_MAX_PRICE_FILES 4096

struct sb_run_opts {
	const char *cmd;                     /* "backtest" or "sweep" */
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
	/* sweep only */
	const char *top, *rank_by, *keep, *threads, *kernel;
	/* resolved */
	int64_t interval_us;
	int64_t max_gap_us;                  /* 0 = no limit */
	struct sb_grid grid;
};

/*
 * Parses argv for 'cmd'.  Returns -1 when the run should go on, or an exit code
 * (0 after --help, 2 on a usage error, with the message printed).  For backtest each
 * numeric option must be a single value.
 */
int sb_run_opts_parse(struct sb_run_opts *o, const char *cmd, int argc, char **argv,
		      const char *usage_text);
void sb_run_opts_release(struct sb_run_opts *o);

/* What the inputs are, after loading; kept for the manifest. */
struct sb_run_inputs {
	struct sb_candles candles;
	struct sb_events events;
	struct sb_input_info *price_info;    /* n_price_files entries */
	size_t n_price_files;
	char **price_paths;                  /* resolved paths (tardis: refs expanded) */
	struct sb_input_info sentiment_info;
};

/* Loads candles and events; prints "sentibt: <message>" and returns false on failure. */
bool sb_run_load_inputs(const struct sb_run_opts *o, struct sb_run_inputs *in);
void sb_run_inputs_release(struct sb_run_inputs *in);

/*
 * sb_cli_write_manifest() (cli/cli_verify.c, next to what reads it back) fills a
 * manifest from the parsed options and loaded inputs of backtest/sweep (argv as given
 * to the command) and writes DIR/manifest.json.
 */
enum sb_err sb_cli_write_manifest(const char *dir, const struct sb_run_opts *o,
				  const struct sb_run_inputs *in, int argc, char **argv,
				  struct sb_errbuf *err);

/* The help text of the shared options, for both commands' usage. */
extern const char sb_run_opts_help[];

#endif
