/* cli_verify.c - `sentibt verify`: re-run a result folder from its manifest and compare */
#include "cli.h"
#include "cli_runopts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../engine/manifest.h"
#include "../engine/results.h"
#include "../loaders/textio.h"

static const char usage_text[] =
"usage: sentibt verify DIR [--tolerance REL] [--input-dir IDIR] [--keep-rerun]\n"
"\n"
"Re-runs the backtest, sweep or events run that wrote result folder DIR, from\n"
"DIR/manifest.json, and compares every output with the re-run.\n"
"  1. The manifest's grid (events: its interval) must equal what its recorded command\n"
"     line parses to (else \"manifest parameters inconsistent\").\n"
"  2. Every input is found by its recorded path (relative paths from the current\n"
"     folder) and checked by SHA-256; a changed or missing input is reported and\n"
"     nothing is re-run.  Files resolved from a tardis: reference that are no longer\n"
"     cached are fetched again by the re-run and checked afterwards.\n"
"  3. The recorded command runs again into a temporary folder under $TMPDIR (with\n"
"     --out there, --force, -q and --candle-cache= so the loaders run afresh).\n"
"  4. Every file of DIR except manifest.json is compared with the re-run: CSV files\n"
"     cell by cell with columns matched by header name, JSON files key by key,\n"
"     others byte by byte; a missing or extra file is a difference.  The first 20\n"
"     differences are printed (file, row, id, column, old and new value) and counted.\n"
"\n"
"options:\n"
"      --tolerance REL       numbers a, b match when |a-b| <= REL*max(|a|,|b|)\n"
"                            (default 0: identical); text cells must be identical\n"
"      --input-dir IDIR      look for every input file in IDIR by its base name, for\n"
"                            a folder made elsewhere (e.g. the golden tests)\n"
"      --keep-rerun          keep the re-run folder and print its path\n"
"  -h, --help                this text\n"
"\n"
"The build commit, compiler and flags in the manifest are informational, never compared.\n"
"exit codes: 0 outputs identical (within REL), 1 differences, a changed input, an\n"
"inconsistent manifest or a failure, 2 usage error\n";

/* ---------------------------------------------------------------------------------- */
/* verify                                                                               */
/* ---------------------------------------------------------------------------------- */

struct verify_opts {
	const char *dir, *input_dir;
	double tol;
	bool keep_rerun;
};

/* Where input 'path' is looked for: as recorded, or IDIR/<base name>. */
static char *input_location(const struct verify_opts *v, const char *path)
{
	const char *base = strrchr(path, '/');
	char *s;
	size_t n;

	if (!v->input_dir)
		return strdup(path);
	base = base ? base + 1 : path;
	n = strlen(v->input_dir) + strlen(base) + 2;
	s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", v->input_dir, base);
	return s;
}

/* An argv element with a recorded input path (alone or after --opt= / -p / -s) remapped. */
static char *remap_arg(const struct verify_opts *v, const struct sb_manifest *m, const char *a)
{
	static const char *const prefixes[] = { "", "--prices=", "--sentiment=", "-p", "-s" };

	if (!v->input_dir)
		return strdup(a);
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		size_t pl = strlen(prefixes[p]);

		if (strncmp(a, prefixes[p], pl) != 0)
			continue;
		for (size_t i = 0; i < m->n_inputs; i++) {
			if (!m->inputs[i].from_ref && !strcmp(a + pl, m->inputs[i].path)) {
				char *loc = input_location(v, m->inputs[i].path), *s;
				size_t n;

				if (!loc)
					return NULL;
				n = pl + strlen(loc) + 1;
				s = malloc(n);
				if (s)
					snprintf(s, n, "%s%s", prefixes[p], loc);
				free(loc);
				return s;
			}
		}
	}
	return strdup(a);
}

/*
 * The recorded argv with inputs remapped and "--candle-cache= --out OUT --force -q"
 * added at the end (before a "--", if any) so that they override recorded ones.
 */
static char **rerun_argv(const struct verify_opts *v, const struct sb_manifest *m,
			 const char *out, int *argc)
{
	const char *const extra[] = { "--candle-cache=", "--out", out, "--force", "-q" };
	int n_extra = (int)(sizeof(extra) / sizeof(extra[0])), k = 0, dashdash = m->argc;
	char **a = calloc((size_t)(m->argc + n_extra + 1), sizeof(*a));

	if (!a)
		return NULL;
	for (int i = 1; i < m->argc; i++)
		if (!strcmp(m->argv[i], "--")) {
			dashdash = i;
			break;
		}
	for (int i = 0; i < m->argc + n_extra; i++) {
		if (i < dashdash)
			a[k] = i == 0 ? strdup(m->argv[0]) : remap_arg(v, m, m->argv[i]);
		else if (i < dashdash + n_extra)
			a[k] = strdup(extra[i - dashdash]);
		else
			a[k] = remap_arg(v, m, m->argv[i - n_extra]);
		if (!a[k]) {
			sb_free_paths(a, (size_t)k);
			return NULL;
		}
		k++;
	}
	*argc = k;
	return a;
}

static void free_argv(char **a, int n)
{
	sb_free_paths(a, (size_t)n);
}

/* The manifest's grid must be what its argv parses to (someone may edit one only). */
static bool check_consistent(const struct verify_opts *v, const struct sb_manifest *m)
{
	struct sb_run_opts o;
	int argc, rc;
	char **argv = rerun_argv(v, m, "unused", &argc);
	bool ok = true, events = !strcmp(m->command, "events");

	if (!argv) {
		sb_cli_error("out of memory");
		return false;
	}
	if (strcmp(m->command, "backtest") && strcmp(m->command, "sweep") && !events) {
		sb_cli_error("%s/manifest.json: expected argv[0] backtest, sweep or events, got '%s'",
			     v->dir, m->command);
		free_argv(argv, argc);
		return false;
	}
	rc = sb_run_opts_parse(&o, m->command, argc, argv, "");
	if (rc >= 0) {
		sb_cli_error("%s: manifest parameters inconsistent: its argv does not parse", v->dir);
		free_argv(argv, argc);
		return false;
	}
	if ((double)o.interval_us / (double)SB_US_PER_SEC != m->interval_s) {
		sb_cli_error("%s: manifest parameters inconsistent: interval %g s in the grid, %s in argv",
			     v->dir, m->interval_s, o.interval);
		ok = false;
	}
	if (ok && !events &&
	    (o.grid.n_axes != m->n_axes || strcmp(o.grid.strategy->name, m->strategy))) {
		sb_cli_error("%s: manifest parameters inconsistent: strategy %s in the grid, %s in argv",
			     v->dir, m->strategy, o.grid.strategy->name);
		ok = false;
	}
	for (int k = 0; ok && !events && k < o.grid.n_axes; k++) {
		const struct sb_axis *a = &o.grid.ax[k];
		bool same = a->n == m->n_axis[k];

		/* Both sides are the nearest double of the same decimal. */
		for (size_t i = 0; same && i < a->n; i++)
			same = sb_axis_value_double(a, a->v[i]) == m->axis[k][i];
		if (!same) {
			sb_cli_error("%s: manifest parameters inconsistent: parameters.grid.%s differs "
				     "from argv's --%s %s", v->dir, sb_grid_axis_name(&o.grid, k),
				     sb_grid_axis_option(&o.grid, k), o.axis_spec[k]);
			ok = false;
		}
	}
	sb_run_opts_release(&o);
	free_argv(argv, argc);
	return ok;
}

/*
 * Checks each input by SHA-256.  Returns 0 all same, 1 changed/missing (reported).
 * 'after' = the re-run has happened (tardis-resolved files were fetched again).
 */
static int check_inputs(const struct verify_opts *v, const struct sb_manifest *m, bool after)
{
	int bad = 0;

	for (size_t i = 0; i < m->n_inputs; i++) {
		const struct sb_manifest_file *f = &m->inputs[i];
		char *loc = f->from_ref ? strdup(f->path) : input_location(v, f->path);
		char hex[SB_SHA256_HEX];
		struct sb_errbuf err;
		struct stat st;
		FILE *probe;

		if (!loc) {
			sb_cli_error("out of memory");
			return 1;
		}
		/* a pipe or a device would block or change: only a regular file can be read again */
		if (stat(loc, &st) == 0 && !S_ISREG(st.st_mode)) {
			sb_cli_error("input '%s' is not a regular file (a pipe is read once; a device or "
				     "folder is no input): save the input to a file to verify", loc);
			free(loc);
			bad = 1;
			continue;
		}
		probe = fopen(loc, "rb");
		if (!probe) {
			if (!(f->from_ref && !after)) {
				sb_cli_error("input '%s' is missing: %s", loc, strerror(errno));
				bad = 1;
			}
			free(loc);
			continue;
		}
		fclose(probe);
		if (sb_sha256_file(loc, hex, NULL, &err)) {
			sb_cli_error("%s", err.msg);
			bad = 1;
		} else if (strcmp(hex, f->sha256)) {
			sb_cli_error("input '%s' changed: sha256 was %s, now %s", loc, f->sha256, hex);
			bad = 1;
		}
		free(loc);
	}
	return bad;
}

/* Notes outputs that no longer match the manifest's hashes (edited after the run). */
static void note_edited_outputs(const struct verify_opts *v, const struct sb_manifest *m)
{
	for (size_t i = 0; i < m->n_outputs; i++) {
		char path[8500], hex[SB_SHA256_HEX];

		snprintf(path, sizeof(path), "%s/%s", v->dir, m->outputs[i].path);
		if (sb_sha256_file(path, hex, NULL, NULL) == SB_OK && strcmp(hex, m->outputs[i].sha256))
			fprintf(stderr, "sentibt: note: %s differs from the sha256 in its manifest "
				"(edited after the run?)\n", path);
	}
}

static int rerun(const struct verify_opts *v, const struct sb_manifest *m, const char *out)
{
	int argc, rc;
	char **argv = rerun_argv(v, m, out, &argc);

	if (!argv) {
		sb_cli_error("out of memory");
		return SB_EXIT_FAIL;
	}
	rc = !strcmp(m->command, "sweep") ? cmd_sweep(argc, argv)
	     : !strcmp(m->command, "events") ? cmd_events(argc, argv) : cmd_backtest(argc, argv);
	free_argv(argv, argc);
	return rc;
}

static int parse_verify_opts(struct verify_opts *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tolerance", required_argument, NULL, 't' },
		{ "input-dir", required_argument, NULL, 'i' },
		{ "keep-rerun", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(v, 0, sizeof(*v));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!sb_parse_double(optarg, &v->tol) || v->tol < 0 || v->tol >= 1)
				return sb_cli_usage_error("verify", "--tolerance: expected a relative "
							  "tolerance in [0, 1), got '%s'", optarg);
			break;
		case 'i': v->input_dir = optarg; break;
		case 'k': v->keep_rerun = true; break;
		case 'h':
			fputs(usage_text, stdout);
			return SB_EXIT_OK;
		default:
			return sb_cli_bad_option("verify", opts, argv, c);
		}
	}
	if (optind != argc - 1)
		return sb_cli_usage_error("verify", optind == argc ? "expected a result folder DIR"
					  : "expected one result folder DIR");
	v->dir = argv[optind];
	return -1;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_opts v;
	struct sb_manifest m;
	struct sb_diffs *d = NULL;
	struct sb_errbuf err;
	char tmp[4096], out[4200];
	const char *tmpdir = getenv("TMPDIR");
	int rc = parse_verify_opts(&v, argc, argv);

	if (rc >= 0)
		return rc;
	if (sb_manifest_read(v.dir, &m, &err)) {
		sb_cli_error("%s", err.msg);
		return SB_EXIT_FAIL;
	}
	rc = SB_EXIT_FAIL;
	if (!check_consistent(&v, &m) || check_inputs(&v, &m, false))
		goto out_manifest;
	note_edited_outputs(&v, &m);
	snprintf(tmp, sizeof(tmp), "%s/sentibt-verify-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(tmp)) {
		sb_cli_error("%s: cannot create temporary folder: %s", tmp, strerror(errno));
		goto out_manifest;
	}
	snprintf(out, sizeof(out), "%s/rerun", tmp);
	if (rerun(&v, &m, out) != SB_EXIT_OK) {
		sb_cli_error("%s: the re-run failed (see above)", v.dir);
		goto out_tmp;
	}
	if (check_inputs(&v, &m, true))
		goto out_tmp;
	d = calloc(1, sizeof(*d));
	if (!d) {
		sb_cli_error("out of memory");
		goto out_tmp;
	}
	if (sb_compare_dirs(v.dir, out, v.tol, d, &err)) {
		sb_cli_error("%s", err.msg);
		goto out_tmp;
	}
	if (d->count == 0) {
		printf("verify: %s: %zu outputs %s a re-run\n", v.dir, m.n_outputs,
		       v.tol > 0 ? "match (within the tolerance)" : "are identical to");
		rc = SB_EXIT_OK;
	} else {
		printf("verify: %s: %zu difference%s from a re-run:\n", v.dir, d->count,
		       d->count == 1 ? "" : "s");
		for (size_t i = 0; i < d->n_lines; i++)
			printf("  %s\n", d->lines[i]);
		if (d->count > d->n_lines)
			printf("  ... and %zu more\n", d->count - d->n_lines);
	}
out_tmp:
	if (v.keep_rerun)
		printf("verify: re-run kept in %s\n", out);
	else
		sb_remove_tree(tmp);
out_manifest:
	free(d);
	sb_manifest_release(&m);
	return rc;
}
