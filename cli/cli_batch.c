/* cli_batch.c - `sentibt batch SPEC.json`: one grid, many experiments (docs/batch.md)
 *
 * Each experiment becomes the command line of a sweep ("sweep --prices ... --out
 * OUT/<name> -q" plus the spec's grid and options), parsed and run by cmd_sweep()
 * exactly as if typed: its folder is an ordinary sweep result, and its manifest's argv
 * re-runs it (`sentibt verify OUT/<name>`).  Under mpirun the experiments are dealt
 * to the ranks in turn, each run whole on its rank; rank 0 writes the tables.
 */
#include "cli.h"
#include "cli_runopts.h"

#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/atomic.h"   /* sb_path_within */
#include "../core/json.h"
#include "../engine/results.h"
#include "../report/batch_report.h"
#include "../run/batch.h"
#include "../run/mpi.h"

#define MAX_EXPERIMENTS 10000
#define MAX_ARGS (SB_MAX_PRICE_FILES + 256)   /* a command line: the files and options */

static const char usage_text[] =
"usage: sentibt batch SPEC.json [--out DIR] [--force] [-q] [--scripts DIR]\n"
"\n"
"Runs one sweep per experiment of SPEC.json (a grid, shared options and a list of\n"
"experiments: prices, sentiment, entity, period; docs/batch.md) and writes\n"
"  DIR/<name>/           each experiment's result folder (sentibt verify DIR/<name>)\n"
"  DIR/batch_best.csv    one row per experiment: its best combination (--rank-by)\n"
"  DIR/batch_all.csv     every row of every experiment, the experiment first\n"
"  DIR/batch_report.html the experiments side by side, with a bar chart (gnuplot)\n"
"  DIR/manifest.json     the command, the spec as run, the experiments\n"
"DIR (default results/<SPEC name without .json>) appears whole or not at all.\n"
"Under mpirun (an MPI=1 build) the experiments are spread over the ranks.\n"
"\n"
"options:\n"
"      --out DIR         the batch folder; replaced only with --force\n"
"      --force           replace an existing DIR\n"
"  -q, --quiet           print nothing but errors\n"
"      --scripts DIR     the gnuplot scripts (default: found next to the binary)\n"
"  -h, --help            this help\n"
"\n"
"exit codes: 0 ok, 1 failure (an experiment failed, I/O), 2 usage or spec error\n";

/* Spec keys that the batch sets itself, per experiment, or never. */
static const char *const reserved[] = { "prices", "sentiment", "entity", "from", "to", "out",
					"force", "quiet", "help", "walk-forward", "split", "dry-run" };

struct experiment {
	const char *name;
	char **argv;                 /* argc strings, room for a NULL and extra arguments */
	int argc, cap;
};

struct batch {
	const char *spec_path;
	struct sb_json *spec;
	struct experiment *ex;
	size_t n;
};

/* Appends a copy of s; false when the command line is full (or out of memory). */
static bool push(struct experiment *e, const char *s)
{
	char *c;

	if (e->argc + 8 >= e->cap) {
		int ncap = e->cap ? 2 * e->cap : 64;
		char **na;

		if (ncap > MAX_ARGS || !(na = realloc(e->argv, (size_t)ncap * sizeof(*na))))
			return false;
		e->argv = na;
		e->cap = ncap;
	}
	if (!(c = strdup(s)))
		return false;
	e->argv[e->argc++] = c;
	return true;
}

/* --key value for each member of an option object (strings, or numbers written exactly). */
static bool push_options(struct experiment *e, const struct sb_json *obj, const char *where,
			 const char *spec)
{
	const struct sb_json *it;
	char opt[128], num[SB_NUM_LEN];

	if (!obj)
		return true;
	if (!sb_json_is_object(obj)) {
		sb_cli_usage_error("batch", "%s: %s: expected an object of option: value", spec, where);
		return false;
	}
	SB_JSON_FOR_EACH(it, obj) {
		const char *key = sb_json_key(it), *val = sb_json_string(it);

		for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
			if (!strcmp(key, reserved[k])) {
				sb_cli_usage_error("batch", "%s: %s.%s: not allowed here (each experiment names its inputs and period; the batch sets --out)",
						   spec, where, key);
				return false;
			}
		if (!val && sb_json_is_number(it))
			val = sb_fmt_num(sb_json_number(it), num);
		if (!val && sb_json_is_true(it)) {     /* a flag: "yes": true is --yes */
			snprintf(opt, sizeof(opt), "--%s", key);
			if (!push(e, opt)) {
				sb_cli_usage_error("batch", "%s: %s: too many options", spec, where);
				return false;
			}
			continue;
		}
		if (!val) {
			sb_cli_usage_error("batch", "%s: %s.%s: expected a string, a number or true (a flag such as \"yes\")", spec,
					   where, key);
			return false;
		}
		snprintf(opt, sizeof(opt), "--%s", key);
		if (!push(e, opt) || !push(e, val)) {
			sb_cli_usage_error("batch", "%s: %s: too many options", spec, where);
			return false;
		}
	}
	return true;
}

/*
 * A price file, or a glob pattern of them as a shell would expand it (sorted; one that
 * matches nothing is an error), or a tardis: reference.
 */
static bool push_prices(struct experiment *e, const char *pat, size_t i, const char *spec)
{
	glob_t gl;
	bool ok = true;

	if (!strpbrk(pat, "*?[") || !strncmp(pat, "tardis:", 7))
		return push(e, pat) || !sb_cli_usage_error("batch", "%s: experiments[%zu]: too many price files",
							   spec, i);
	if (glob(pat, 0, NULL, &gl) != 0) {
		sb_cli_usage_error("batch", "%s: experiments[%zu].prices: '%s' matches no file", spec,
				   i, pat);
		return false;
	}
	for (size_t k = 0; ok && k < gl.gl_pathc; k++)
		ok = push(e, gl.gl_pathv[k]);
	globfree(&gl);
	if (!ok)
		sb_cli_usage_error("batch", "%s: experiments[%zu]: too many price files", spec, i);
	return ok;
}

/* A string member (required or not); false (message printed) when of another type. */
static bool str_member(const struct sb_json *x, const char *key, bool required, size_t i,
		       const char *spec, const char **out)
{
	const struct sb_json *v = sb_json_get(x, key);

	*out = sb_json_string(v);
	if ((v && !*out) || (required && !v)) {
		sb_cli_usage_error("batch", "%s: experiments[%zu].%s: expected a string", spec, i, key);
		return false;
	}
	return true;
}

/* Experiment i's sweep command line, without --out. */
static bool build_experiment(struct batch *b, size_t i, const struct sb_json *x)
{
	struct experiment *e = &b->ex[i];
	const struct sb_json *prices = sb_json_get(x, "prices"), *p;
	const char *sentiment, *entity, *from, *to;
	static const char *const keys[] = { "name", "prices", "sentiment", "entity", "from", "to",
					    "options" };
	char where[64];

	if (!sb_json_is_object(x)) {
		sb_cli_usage_error("batch", "%s: experiments[%zu]: expected an object", b->spec_path, i);
		return false;
	}
	SB_JSON_FOR_EACH(p, x) {
		size_t k = 0;

		while (k < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[k], sb_json_key(p)))
			k++;
		if (k == sizeof(keys) / sizeof(keys[0])) {
			sb_cli_usage_error("batch", "%s: experiments[%zu]: unknown key '%s' (name, prices, sentiment, entity, from, to, options)",
					   b->spec_path, i, sb_json_key(p));
			return false;
		}
	}
	if (!str_member(x, "name", true, i, b->spec_path, &e->name) ||
	    !str_member(x, "sentiment", true, i, b->spec_path, &sentiment) ||
	    !str_member(x, "entity", false, i, b->spec_path, &entity) ||
	    !str_member(x, "from", false, i, b->spec_path, &from) ||
	    !str_member(x, "to", false, i, b->spec_path, &to))
		return false;
	if (!sb_batch_name_ok(e->name)) {
		sb_cli_usage_error("batch", "%s: experiments[%zu].name: '%s' is not 1 to %d of A-Z a-z 0-9 _ -",
				   b->spec_path, i, e->name, SB_BATCH_NAME_MAX);
		return false;
	}
	for (size_t k = 0; k < i; k++)
		if (!strcmp(b->ex[k].name, e->name)) {
			sb_cli_usage_error("batch", "%s: experiments[%zu].name: '%s' repeats experiments[%zu]",
					   b->spec_path, i, e->name, k);
			return false;
		}
	if (!(sb_json_is_string(prices) || (sb_json_is_array(prices) && sb_json_size(prices) > 0))) {
		sb_cli_usage_error("batch", "%s: experiments[%zu].prices: expected a file or tardis: reference, or a list of them",
				   b->spec_path, i);
		return false;
	}
	if (!push(e, "sweep") || !push(e, "--prices")) {
		sb_cli_error("out of memory");
		return false;
	}
	if (sb_json_is_string(prices) && !push_prices(e, sb_json_string(prices), i, b->spec_path))
		return false;
	SB_JSON_FOR_EACH(p, prices) {
		if (!sb_json_is_string(p)) {
			sb_cli_usage_error("batch", "%s: experiments[%zu].prices: expected strings",
					   b->spec_path, i);
			return false;
		}
		if (!push_prices(e, sb_json_string(p), i, b->spec_path))
			return false;
	}
	if (!push(e, "--sentiment") || !push(e, sentiment) ||
	    (entity && (!push(e, "--entity") || !push(e, entity))) ||
	    (from && (!push(e, "--from") || !push(e, from))) ||
	    (to && (!push(e, "--to") || !push(e, to)))) {
		sb_cli_usage_error("batch", "%s: experiments[%zu]: more than %d arguments",
				   b->spec_path, i, MAX_ARGS);
		return false;
	}
	snprintf(where, sizeof(where), "experiments[%zu].options", i);
	return push_options(e, sb_json_get(b->spec, "grid"), "grid", b->spec_path) &&
	       push_options(e, sb_json_get(b->spec, "options"), "options", b->spec_path) &&
	       push_options(e, sb_json_get(x, "options"), where, b->spec_path);
}

static void batch_release(struct batch *b)
{
	for (size_t i = 0; b->ex && i < b->n; i++) {
		for (int k = 0; k < b->ex[i].argc; k++)
			free(b->ex[i].argv[k]);
		free(b->ex[i].argv);
	}
	free(b->ex);
	sb_json_free(b->spec);
}

/* Reads the spec and builds every experiment's command line; an exit code or -1. */
static int load_spec(struct batch *b)
{
	struct sb_errbuf err = { "" };
	const struct sb_json *xs, *x, *it;
	size_t i = 0;

	if (sb_json_load(b->spec_path, 16u << 20, &b->spec, &err)) {
		sb_cli_error("%s", err.msg);
		return SB_EXIT_USAGE;
	}
	SB_JSON_FOR_EACH(it, b->spec)
		if (strcmp(sb_json_key(it), "grid") && strcmp(sb_json_key(it), "options") &&
		    strcmp(sb_json_key(it), "experiments") && strcmp(sb_json_key(it), "comment"))
			return sb_cli_usage_error("batch", "%s: unknown key '%s' (grid, options, experiments, comment)",
						  b->spec_path, sb_json_key(it));
	xs = sb_json_get(b->spec, "experiments");
	if (!sb_json_is_object(b->spec) || !sb_json_is_object(sb_json_get(b->spec, "grid")) ||
	    !sb_json_is_array(xs) || sb_json_size(xs) == 0 || sb_json_size(xs) > MAX_EXPERIMENTS)
		return sb_cli_usage_error("batch", "%s: expected an object with \"grid\": {...} and \"experiments\": [1 to %d experiments]",
					  b->spec_path, MAX_EXPERIMENTS);
	b->n = sb_json_size(xs);
	b->ex = calloc(b->n, sizeof(*b->ex));
	if (!b->ex) {
		sb_cli_error("out of memory");
		return SB_EXIT_FAIL;
	}
	SB_JSON_FOR_EACH(x, xs) {
		if (!build_experiment(b, i, x))
			return SB_EXIT_USAGE;
		i++;
	}
	return -1;
}

/* Runs cmd_sweep on a copy of the command line (getopt permutes it) plus extra args. */
static int run_sweep(const struct experiment *e, const char *const *extra, int n_extra)
{
	char **argv = malloc((size_t)(e->argc + n_extra + 1) * sizeof(*argv));
	int argc = 0, rc;

	if (!argv) {
		sb_cli_error("out of memory");
		return SB_EXIT_FAIL;
	}
	for (int k = 0; k < e->argc; k++)
		argv[argc++] = e->argv[k];
	for (int k = 0; k < n_extra; k++)
		argv[argc++] = (char *)extra[k];
	argv[argc] = NULL;
	rc = cmd_sweep(argc, argv);
	free(argv);
	return rc;
}

/* The experiment's options parsed as sweep parses them (on a copy: getopt permutes). */
static bool parse_experiment(const struct batch *b, size_t i, struct sb_run_opts *o)
{
	const struct experiment *e = &b->ex[i];
	char **argv = malloc((size_t)(e->argc + 1) * sizeof(*argv));
	bool ok;

	if (!argv) {
		sb_cli_error("out of memory");
		return false;
	}
	memcpy(argv, e->argv, sizeof(*argv) * (size_t)e->argc);
	argv[e->argc] = NULL;
	ok = sb_run_opts_parse(o, "sweep", e->argc, argv, "") < 0;
	free(argv);
	if (!ok)
		fprintf(stderr, "sentibt batch: %s: in experiment '%s'\n", b->spec_path, e->name);
	return ok;
}

/*
 * Every experiment's options must parse before anything runs; with --force, no input
 * (nor the spec) may lie inside the batch folder that it replaces.
 */
static int check_experiments(const struct batch *b, const char *out, bool force)
{
	if (force && sb_path_within(b->spec_path, out)) {
		sb_cli_error("%s: the spec is inside %s, which --force would replace", b->spec_path,
			     out);
		return SB_EXIT_FAIL;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct sb_run_opts o;

		if (!parse_experiment(b, i, &o))
			return SB_EXIT_USAGE;
		for (size_t k = 0; force && k <= o.n_prices; k++) {
			const char *p = k < o.n_prices ? o.prices[k] : o.sentiment;

			if (p && sb_path_within(p, out)) {
				sb_cli_error("%s: experiment '%s': its input %s is inside %s, which --force would replace",
					     b->spec_path, b->ex[i].name, p, out);
				sb_run_opts_release(&o);
				return SB_EXIT_FAIL;
			}
		}
		if (o.grid.count > SB_GRID_LIMIT && !o.yes) {
			sb_cli_usage_error("batch", "%s: experiment '%s': the grid has %zu combinations, over the limit of 1,000,000: add \"yes\": true to \"options\" to run it",
					   b->spec_path, b->ex[i].name, o.grid.count);
			sb_run_opts_release(&o);
			return SB_EXIT_USAGE;
		}
		sb_run_opts_release(&o);
	}
	return -1;
}

/* Fetches the tardis: days of every experiment once, before the experiments share them. */
static int fetch_refs(const struct batch *b)
{
	struct sb_errbuf err = { "" };

	for (size_t i = 0; i < b->n; i++) {
		struct sb_run_opts o;
		bool any = false;

		for (int k = 0; k < b->ex[i].argc; k++)
			any |= strncmp(b->ex[i].argv[k], "tardis:", 7) == 0;
		if (!any)
			continue;
		if (!parse_experiment(b, i, &o))
			return SB_EXIT_USAGE;
		if (sb_run_fetch_refs(&o, &err)) {
			sb_cli_error("experiment '%s': %s", b->ex[i].name, err.msg);
			sb_run_opts_release(&o);
			return SB_EXIT_FAIL;
		}
		sb_run_opts_release(&o);
	}
	return -1;
}

/* Rank 0, once every experiment is in: the tables, the page, the manifest; then commit. */
static int finish_batch(const struct batch *b, struct sb_run_dir *dir, const char *scripts,
			bool quiet, int argc, char **argv)
{
	struct sb_errbuf err = { "" };
	struct sb_batch_best *best = calloc(b->n, sizeof(*best));
	const char **names = calloc(b->n, sizeof(*names));
	char path[4200];
	enum sb_err rc;

	if (!best || !names) {
		free(best);
		free(names);
		sb_cli_error("out of memory");
		return SB_EXIT_FAIL;
	}
	for (size_t i = 0; i < b->n; i++)
		names[i] = b->ex[i].name;
	rc = sb_batch_tables(dir->tmp, names, b->n, best, &err);
	if (!rc)
		rc = sb_batch_report(dir->tmp, "sentibt batch: the best combination of each experiment",
				     best, b->n, scripts, &err);
	if (!rc)
		rc = sb_path_join(path, sizeof(path), dir->tmp, "manifest.json", &err);
	if (!rc)
		rc = sb_batch_write_manifest(path, b->spec, names, b->n, argc, argv, &err);
	if (!rc)
		rc = sb_run_dir_commit(dir, &err);
	if (rc) {
		sb_cli_error("%s", err.msg);
		free(best);
		free(names);
		return SB_EXIT_FAIL;
	}
	if (!quiet) {
		printf("batch: %zu experiments in %s (batch_best.csv, batch_all.csv, batch_report.html)\n",
		       b->n, dir->final);
		printf("%-20s %8s %12s %12s %12s %12s  %s\n", "experiment", "best id", "ranked value",
		       "total_ret", "max_drawdown", "buy&hold", "parameters");
		for (size_t i = 0; i < b->n; i++)
			printf("%-20s %8zu %12.4g %12.4g %12.4g %12.4g  %s\n", best[i].name, best[i].id,
			       best[i].rank_value, best[i].total_return, best[i].max_drawdown,
			       best[i].bh_return, best[i].params);
	}
	free(best);
	free(names);
	return SB_EXIT_OK;
}

int cmd_batch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "scripts", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct batch b = { 0 };
	struct sb_run_dir dir = { 0 };
	struct sb_errbuf err = { "" };
	const char *out = NULL, *scripts = NULL;
	char default_out[4096], tmp[4096];
	bool force = false, quiet = false, ok = true;
	const int rank = sb_mpi_rank(), size = sb_mpi_size();
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case 'q': quiet = true; break;
		case 'S': scripts = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			return SB_EXIT_OK;
		case ':':
			return sb_cli_usage_error("batch", "%s needs a value", argv[optind - 1]);
		default:
			return sb_cli_bad_option("batch", longopts, argv, c);
		}
	}
	if (optind != argc - 1)
		return sb_cli_usage_error("batch", "expected one SPEC.json");
	b.spec_path = argv[optind];
	if (!out) {
		const char *base = strrchr(b.spec_path, '/') ? strrchr(b.spec_path, '/') + 1 : b.spec_path;
		size_t len = strlen(base);

		if (len > 5 && !strcmp(base + len - 5, ".json"))
			len -= 5;
		snprintf(default_out, sizeof(default_out), "results/%.*s", (int)len, base);
		out = default_out;
	}
	if ((rc = load_spec(&b)) >= 0 || (rc = check_experiments(&b, out, force)) >= 0)
		goto out;
	/* Rank 0 fetches the tardis: days and opens the folder; the others learn its name. */
	tmp[0] = '\0';
	if (rank == 0 && (rc = fetch_refs(&b)) < 0) {
		if (sb_run_dir_begin(&dir, out, force, &err)) {
			sb_cli_error("%s", err.msg);
			rc = SB_EXIT_FAIL;
		} else {
			snprintf(tmp, sizeof(tmp), "%s", dir.tmp);
		}
	}
	sb_mpi_bcast_text(tmp, sizeof(tmp));
	if (!tmp[0]) {
		rc = rc >= 0 ? rc : SB_EXIT_FAIL;   /* rank 0 said why */
		goto out;
	}
	/* Experiment i on rank i mod N, each as one process would run it. */
	sb_mpi_set_local(true);
	for (size_t i = (size_t)rank; ok && i < b.n; i += (size_t)size) {
		char sub[4200];
		const char *extra[] = { "--out", sub, "-q" };

		if (sb_path_join(sub, sizeof(sub), tmp, b.ex[i].name, &err)) {
			sb_cli_error("%s", err.msg);
			ok = false;
			break;
		}
		if (!quiet)
			fprintf(stderr, "batch: experiment %zu/%zu '%s'%s\n", i + 1, b.n, b.ex[i].name,
				size > 1 ? " (this rank)" : "");
		if (run_sweep(&b.ex[i], extra, 3) != SB_EXIT_OK) {
			sb_cli_error("batch: experiment '%s' failed; no batch result is written",
				     b.ex[i].name);
			ok = false;
		}
	}
	sb_mpi_set_local(false);
	if (!sb_mpi_all_ok(ok)) {
		if (rank == 0)
			sb_run_dir_abort(&dir);
		sb_mpi_all_ok(true);     /* the folder is gone before any rank aborts the run */
		rc = SB_EXIT_FAIL;
		goto out;
	}
	rc = rank == 0 ? finish_batch(&b, &dir, scripts, quiet, argc, argv) : SB_EXIT_OK;
	if (rc && rank == 0)
		sb_run_dir_abort(&dir);
out:
	batch_release(&b);
	return rc;
}
