/*
 * cli_opts.c - what every command's option parsing shares: the did-you-mean for
 * misspelled commands, options and metrics (edit distance over the same tables that
 * getopt_long and the dispatcher use), the metric names, and the two ways a command
 * reports an error (so that no cli_*.c file calls back into the dispatcher, sentibt.c).
 */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../engine/sim.h"   /* sb_metric_names */

void sb_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sentibt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sentibt %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'sentibt help %s'\n", cmd);
	return SB_EXIT_USAGE;
}

/* Optimal string alignment distance (an adjacent swap costs 1), capped at 'cap'. */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[3][64];            /* rows i-2, i-1, i of the table (b up to 63 chars) */

	if (lb >= 64 || la >= 64)
		return cap;
	for (size_t j = 0; j <= lb; j++)
		row[1][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = row[(i + 1) % 3], *prev = row[i % 3], *pp = row[(i + 2) % 3];

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j - 1] + cost;

			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
	}
	return row[(la + 1) % 3][lb] < cap ? row[(la + 1) % 3][lb] : cap;
}

const char *sb_cli_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word), best_d = (size_t)-1, limit = len < 4 ? 1 : len / 3 + 1;
	const char *best = NULL;

	if (!len)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (!cands[i])
			continue;
		d = edit_distance(word, cands[i], 64);
		/* a typed prefix of a longer name (--thres) is as good as a typo */
		if (len >= 3 && !strncmp(cands[i], word, len) && d > 1)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

int sb_cli_bad_option(const char *cmd, const struct option *opts, char **argv, int c)
{
	const char *arg = argv[optind - 1];
	const char *names[256];
	char word[128];
	size_t n = 0;
	const char *s;

	if (c == ':')
		return sb_cli_usage_error(cmd, "option '%s' needs a value", arg);
	if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
		if (optopt)
			return sb_cli_usage_error(cmd, "unknown option '-%c'", optopt);
		return sb_cli_usage_error(cmd, "unknown option '%s'", arg);
	}
	snprintf(word, sizeof(word), "%s", arg + 2);
	word[strcspn(word, "=")] = '\0';
	for (; opts[n].name && n < 256; n++)
		names[n] = opts[n].name;
	s = sb_cli_suggest(word, names, n);
	if (s)
		return sb_cli_usage_error(cmd, "unknown option '--%s'; did you mean '--%s'?", word, s);
	return sb_cli_usage_error(cmd, "unknown option '--%s'", word);
}

/* sweep --rank-by and report --metric: the engine's metrics, then the deflated Sharpe pair. */
static const char *const extra_metrics[] = { "psr", "dsr" };
#define N_EXTRA (sizeof(extra_metrics) / sizeof(extra_metrics[0]))

bool sb_cli_metric_ok(const char *name)
{
	if (sb_metric_index(name) >= 0)
		return true;
	for (size_t i = 0; i < N_EXTRA; i++)
		if (!strcmp(name, extra_metrics[i]))
			return true;
	return false;
}

int sb_cli_bad_metric(const char *cmd, const char *opt, const char *name)
{
	const char *all[SB_N_METRICS + N_EXTRA];
	const char *s;

	for (size_t i = 0; i < SB_N_METRICS; i++)
		all[i] = sb_metric_names[i];
	for (size_t i = 0; i < N_EXTRA; i++)
		all[SB_N_METRICS + i] = extra_metrics[i];
	s = sb_cli_suggest(name, all, SB_N_METRICS + N_EXTRA);
	fprintf(stderr, "sentibt %s: %s: unknown metric '%s'%s%s%s\n", cmd, opt, name,
		s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
	fputs("metrics:", stderr);
	sb_cli_print_metrics(stderr);
	return sb_cli_usage_error(cmd, "expected one of the metrics above");
}

void sb_cli_print_metrics(FILE *out)
{
	for (size_t i = 0; i < SB_N_METRICS; i++)
		fprintf(out, " %s", sb_metric_names[i]);
	for (size_t i = 0; i < N_EXTRA; i++)
		fprintf(out, " %s", extra_metrics[i]);
	fputc('\n', out);
}

int sb_cli_column_options_apply(const char *cmd, const char *time_col, const char *score_col,
				const char *conf_col, const char *path, const char *kind)
{
	const char *opt = time_col ? "--time-col" : score_col ? "--score-col" :
			  conf_col ? "--confidence-col" : NULL;

	if (!opt || !strcmp(kind, "sentiment-csv"))
		return -1;
	return sb_cli_usage_error(cmd, "%s maps the columns of a news CSV, but %s is %s, whose "
				  "fields are fixed (published_at, sentiment_score, confidence); "
				  "price files are told by their header", opt, path,
				  !strcmp(kind, "sentiment-msgpack") ? "MessagePack" : "JSON Lines");
}

const char *sb_cli_grouped(uint64_t v, char out[32])
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), k = 0;

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = tmp[i];
	}
	out[k] = '\0';
	return out;
}
