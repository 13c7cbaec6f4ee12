/* sentibt.c - entry point: git-style subcommand dispatch */
#include "cli.h"
#include "../core/common.h"
#include "../run/mpi.h"

#include <stdio.h>
#include <string.h>

struct cmd_struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

/* Weak so that a command still being written does not break the build. */
#pragma weak cmd_sample
#pragma weak cmd_convert
#pragma weak cmd_fetch
#pragma weak cmd_sweep
#pragma weak cmd_verify
#pragma weak cmd_report
#pragma weak cmd_batch

static const struct cmd_struct commands[] = {
	{ "backtest", cmd_backtest, "run the threshold strategy once and write its results" },
	{ "sweep",    cmd_sweep,    "run a parameter grid in parallel; summary + top-K curves" },
	{ "events",   cmd_events,   "the event study: forward returns after each article, by score" },
	{ "sample",   cmd_sample,   "write the seeded synthetic sample data (offline)" },
	{ "convert",  cmd_convert,  "turn a sentiment CSV/JSONL/msgpack file into JSON Lines" },
	{ "fetch",    cmd_fetch,    "download Tardis datasets or any URL into the cache" },
	{ "score",    cmd_score,    "score raw news with an LLM (cached, rate-limited, costed) or a lexicon" },
	{ "batch",    cmd_batch,    "run a grid over many experiments (symbols, sources, periods)" },
	{ "verify",   cmd_verify,   "re-run a result folder from its manifest and compare" },
	{ "report",   cmd_report,   "plot a result folder (gnuplot) and write report.html" },
	{ "strategies", cmd_strategies, "list the strategies (--strategy) and their sweep axes" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: sentibt [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].fn)
			fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'sentibt help COMMAND' or 'sentibt COMMAND --help' shows a command's options.\n"
		     "exit codes: 0 success, 1 failure (bad input, I/O, network), 2 usage error\n");
}

/* The command called 'name', or NULL after "not a command", with a did-you-mean. */
static const struct cmd_struct *find_command(const char *name)
{
	static const char *const global_opts[] = { "--help", "--version" };
	const char *names[N_COMMANDS];
	const char *s;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (commands[i].fn && strcmp(commands[i].name, name) == 0)
			return &commands[i];
		names[i] = commands[i].fn ? commands[i].name : NULL;
	}
	s = name[0] == '-' ? sb_cli_suggest(name, global_opts, 2)
			   : sb_cli_suggest(name, names, N_COMMANDS);
	if (s)
		fprintf(stderr, "sentibt: '%s' is not a %s; did you mean '%s'? See 'sentibt help'.\n",
			name, name[0] == '-' ? "command or option" : "command", s);
	else
		fprintf(stderr, "sentibt: '%s' is not a command. See 'sentibt help'.\n", name);
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd_struct *cmd;

	if (argc < 2) {
		usage(stderr);
		return SB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return SB_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("sentibt %s\n", SB_VERSION);
		return SB_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		char help_flag[] = "--help";
		char *sub_argv[3] = { argv[2], help_flag, NULL };

		cmd = find_command(argv[2]);
		if (!cmd)
			return SB_EXIT_USAGE;
		return cmd->fn(2, sub_argv);
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return SB_EXIT_USAGE;
	/* Under mpirun (an MPI=1 build): sweep and batch share the work; others refuse. */
	sb_mpi_start(&argc, &argv);
	if (sb_mpi_size() > 1 && strcmp(cmd->name, "sweep") && strcmp(cmd->name, "batch")) {
		if (sb_mpi_rank() == 0)
			fprintf(stderr, "sentibt %s: runs in one process; under mpirun only sweep and batch spread over ranks\n",
				cmd->name);
		return sb_mpi_finish(SB_EXIT_USAGE);
	}
	return sb_mpi_finish(cmd->fn(argc - 1, argv + 1));
}
