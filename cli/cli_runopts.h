/* cli_runopts.h - the options that backtest, sweep and events share */
#ifndef SB_CLI_RUNOPTS_H
#define SB_CLI_RUNOPTS_H

#include "../run/run.h"

/*
 * Parses argv for 'cmd' ("backtest", "sweep" or "events").  Returns -1 when the run
 * should go on, or an exit code (0 after --help, 2 on a usage error, with the message
 * printed).  For backtest and events each numeric option must be a single value.
 * events takes the inputs, --min-confidence (default 0 there), --latency, --threads
 * and its own options (kept as typed in o->horizons ... o->cluster, defaults filled
 * in); a strategy option given to events is a usage error, and so is an events
 * option given to backtest or sweep.
 */
int sb_run_opts_parse(struct sb_run_opts *o, const char *cmd, int argc, char **argv,
		      const char *usage_text);
void sb_run_opts_release(struct sb_run_opts *o);

/* A sweep grid over this many combinations needs --yes (or --dry-run): sweep, batch. */
#define SB_GRID_LIMIT 1000000

/*
 * sb_run_load_inputs() with the error printed, then the checks below: returns -1
 * when the run goes on, else an exit code ('in' is released by the caller either way).
 */
int sb_run_opts_load(const struct sb_run_opts *o, struct sb_run_inputs *in);

/*
 * After sb_run_load_inputs(): refuses options that do not apply to the inputs
 * (returns 2), refuses news that does not overlap the candles at all (returns 1),
 * and unless -q prints on stderr what was left out (filled candles, articles not
 * about --entity, articles outside the candles).  Returns -1 when the run goes on.
 */
int sb_run_opts_check_inputs(const struct sb_run_opts *o, const struct sb_run_inputs *in);

/* The help text of the shared options: backtest and sweep; events (no strategy). */
extern const char sb_run_opts_help[];
extern const char sb_events_opts_help[];

#endif
