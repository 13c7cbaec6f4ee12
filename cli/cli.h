/* cli.h - the subcommands of ./sentibt; each lives in cli/cli_<name>.c */
#ifndef SB_CLI_H
#define SB_CLI_H

/* Exit codes, documented in `sentibt help` and the README. */
enum { SB_EXIT_OK = 0, SB_EXIT_FAIL = 1, SB_EXIT_USAGE = 2 };

/* Each command gets argv with argv[0] = its own name and returns an exit code. */
int cmd_backtest(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_strategies(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_score(int argc, char **argv);

/* Prints "sentibt: <msg>\n" to stderr. */
void sb_cli_error(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* Prints "sentibt CMD: <msg>" plus "try 'sentibt help CMD'" and returns SB_EXIT_USAGE. */
int sb_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

#endif
