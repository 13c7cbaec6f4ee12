/* cli_runopts.h - the options that backtest and sweep share, and loading their inputs */
#ifndef SB_CLI_RUNOPTS_H
#define SB_CLI_RUNOPTS_H

#include "../run/run.h"

/*
 * Parses argv for 'cmd'.  Returns -1 when the run should go on, or an exit code
 * (0 after --help, 2 on a usage error, with the message printed).  For backtest each
 * numeric option must be a single value.
 */
int sb_run_opts_parse(struct sb_run_opts *o, const char *cmd, int argc, char **argv,
		      const char *usage_text);
void sb_run_opts_release(struct sb_run_opts *o);

/* The help text of the shared options, for both commands' usage. */
extern const char sb_run_opts_help[];

#endif
