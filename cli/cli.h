/* cli.h - the subcommands of ./sentibt; each lives in cli/cli_<name>.c */
#ifndef SB_CLI_H
#define SB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
int cmd_batch(int argc, char **argv);
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

struct option;

/*
 * The candidate closest to 'word' by edit distance (an adjacent swap counts 1; a
 * typed prefix of 3 or more letters counts 1), when within len/3 + 1 edits
 * (1 for words of 1-3 letters); else NULL.  NULL entries of 'cands' are skipped.
 */
const char *sb_cli_suggest(const char *word, const char *const *cands, size_t n);

/*
 * For getopt_long's ':' (a value missing) and '?' (unknown) returns: prints the usage
 * error, with "did you mean '--x'?" drawn from 'opts' for a misspelled long option,
 * and returns SB_EXIT_USAGE.  Call right after getopt_long (uses optind, optopt).
 */
int sb_cli_bad_option(const char *cmd, const struct option *opts, char **argv, int c);

/*
 * --time-col, --score-col and --confidence-col map a news CSV's columns: given for a
 * sentiment file of another kind ('kind' from the loader) they are a usage error,
 * printed, and SB_EXIT_USAGE is returned; else -1.
 */
int sb_cli_column_options_apply(const char *cmd, const char *time_col, const char *score_col,
				const char *conf_col, const char *path, const char *kind);

/* 1234567 -> "1,234,567" in 'out'; returns 'out'. */
const char *sb_cli_grouped(uint64_t v, char out[32]);

/* Metric names for sweep --rank-by and report --metric: the engine's, psr and dsr. */
bool sb_cli_metric_ok(const char *name);
/* "unknown metric", a did-you-mean and the list of metrics; returns SB_EXIT_USAGE. */
int sb_cli_bad_metric(const char *cmd, const char *opt, const char *name);
/* The metric names, space-separated after a leading space, then a newline. */
void sb_cli_print_metrics(FILE *out);

#endif

