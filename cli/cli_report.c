/* cli_report.c - `sentibt report DIR`: gnuplot charts and report.html of a result folder
 *
 * The CSVs of the result folder are read and checked here, and their plotted columns
 * written as plain whitespace data under OUT/data/ (kept, so a chart can be redrawn by
 * hand); gnuplot (the scripts/report/ *.gp files, run by fork/exec with -e variables, no shell)
 * draws each chart as PNG and SVG.  Everything goes to a temporary folder renamed into
 * place at the end, so a failure leaves no partial report.
 */
#include "cli.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../engine/grid.h"
#include "../engine/results.h"
#include "../loaders/textio.h"

static const char usage_text[] =
"usage: sentibt report DIR [--out DIR/report] [--metric sharpe] [--top K]\n"
"                          [--slice AXIS=VALUE,...] [--scripts DIR] [--force]\n"
"\n"
"Draws the charts of a result folder with gnuplot (PNG and SVG) and writes\n"
"OUT/report.html.  For a sweep (DIR/summary.csv): a heatmap of the metric over\n"
"threshold x min_confidence, one per combination of the other varying parameters\n"
"(or only those of --slice), the equity / drawdown / price curves and the trade-return\n"
"histograms of the top K combinations that have curves, and the top-K table with the\n"
"probabilistic and deflated Sharpe ratios.  For a backtest (DIR/metrics.json,\n"
"equity.csv, trades.csv): its curves, histogram and metrics.  DIR/manifest.json, when\n"
"present, is summarised.\n"
"\n"
"options:\n"
"  -o, --out DIR         output folder (default DIR/report); replaced only with --force\n"
"  -m, --metric NAME     a summary.csv column to map and rank by (default sharpe;\n"
"                        max_drawdown ranks lowest first)\n"
"  -k, --top K           combinations to chart (default 5; the table shows 10)\n"
"  -s, --slice LIST      fix other axes, e.g. window=5m,latency=0 (durations as in\n"
"                        sweep, other axes as numbers)\n"
"      --scripts DIR     the gnuplot scripts (default: found next to the binary)\n"
"  -f, --force           replace an existing OUT\n"
"  -h, --help            this help\n"
"\n"
"exit codes: 0 ok, 1 failure (bad folder or file, gnuplot missing or failing), 2 usage\n";

#define MAX_COLS 64
#define MAX_PANELS 24
#define TABLE_ROWS 10

/* A CSV read as numbers: time columns as epoch seconds, side as +1/-1, empty = NaN. */
struct table {
	char *names[MAX_COLS];
	int ncol;
	size_t nrow;
	double *v;                  /* nrow x ncol */
};

static void table_release(struct table *t)
{
	for (int c = 0; c < t->ncol; c++)
		free(t->names[c]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int table_col(const struct table *t, const char *name)
{
	for (int c = 0; c < t->ncol; c++)
		if (!strcmp(t->names[c], name))
			return c;
	return -1;
}

static double cell(const struct table *t, size_t r, int c)
{
	return c < 0 ? NAN : t->v[r * (size_t)t->ncol + (size_t)c];
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static enum sb_err parse_cell(const char *name, const char *s, double *out)
{
	int64_t t;

	if (!*s) {
		*out = NAN;
		return SB_OK;
	}
	if (ends_with(name, "time")) {
		if (!sb_parse_time(s, &t))
			return SB_EPARSE;
		*out = (double)t / (double)SB_US_PER_SEC;
		return SB_OK;
	}
	if (!strcmp(name, "side")) {
		if (strcmp(s, "long") && strcmp(s, "short"))
			return SB_EPARSE;
		*out = !strcmp(s, "long") ? 1.0 : -1.0;
		return SB_OK;
	}
	return sb_parse_double(s, out) ? SB_OK : SB_EPARSE;
}

static enum sb_err table_read(struct table *t, const char *path, struct sb_errbuf *err)
{
	struct sb_lines l;
	char *f[MAX_COLS];
	size_t cap = 0;
	int n, got;
	enum sb_err rc;

	memset(t, 0, sizeof(*t));
	rc = sb_lines_open(&l, path, err);
	if (rc)
		return rc;
	got = sb_lines_next(&l, err);
	if (got <= 0) {
		rc = got < 0 ? SB_EIO : sb_errf(err, SB_EPARSE, "%s:1: expected a CSV header", path);
		goto out_close;
	}
	n = sb_csv_split(l.buf, ',', f, MAX_COLS);
	if (n < 1) {
		rc = sb_errf(err, SB_EPARSE, "%s:1: expected a CSV header of at most %d columns",
			     path, MAX_COLS);
		goto out_close;
	}
	for (int c = 0; c < n; c++) {
		t->names[c] = strdup(f[c]);
		t->ncol = c + 1;
		if (!t->names[c]) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
			goto out_close;
		}
	}
	while ((got = sb_lines_next(&l, err)) > 0) {
		if (!*l.buf)
			continue;
		n = sb_csv_split(l.buf, ',', f, MAX_COLS);
		if (n != t->ncol) {
			rc = sb_errf(err, SB_EPARSE, "%s:%llu: expected %d fields, got %d", path,
				     (unsigned long long)l.lineno, t->ncol, n);
			goto out_close;
		}
		if (t->nrow == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			double *v = realloc(t->v, ncap * (size_t)t->ncol * sizeof(*v));

			if (!v) {
				rc = sb_errf(err, SB_ENOMEM, "%s: out of memory", path);
				goto out_close;
			}
			t->v = v;
			cap = ncap;
		}
		for (int c = 0; c < n; c++)
			if (parse_cell(t->names[c], f[c], &t->v[t->nrow * (size_t)t->ncol + (size_t)c])) {
				rc = sb_errf(err, SB_EPARSE, "%s:%llu: column '%s': expected %s, got '%s'",
					     path, (unsigned long long)l.lineno, t->names[c],
					     ends_with(t->names[c], "time") ? "a time" : "a number", f[c]);
				goto out_close;
			}
		t->nrow++;
	}
	rc = got < 0 ? SB_EIO : SB_OK;
out_close:
	sb_lines_close(&l);
	if (rc)
		table_release(t);
	return rc;
}

/* Every column a plot needs must exist. */
static enum sb_err need_cols(const struct table *t, const char *path, const char *const *names,
			     int *idx, int n, struct sb_errbuf *err)
{
	for (int k = 0; k < n; k++) {
		idx[k] = table_col(t, names[k]);
		if (idx[k] < 0)
			return sb_errf(err, SB_EPARSE, "%s:1: expected a column '%s'", path, names[k]);
	}
	return SB_OK;
}

/* ---- gnuplot ---- */

struct gp {
	char scripts[4096];         /* with a trailing '/' */
	char vars[16384];           /* the -e assignments of the chart being built */
	size_t len;
	bool overflow;
};

static void gp_begin(struct gp *g)
{
	g->len = 0;
	g->vars[0] = '\0';
	g->overflow = false;
}

static void gp_append(struct gp *g, const char *s)
{
	size_t n = strlen(s);

	if (g->len + n + 1 > sizeof(g->vars)) {
		g->overflow = true;
		return;
	}
	memcpy(g->vars + g->len, s, n + 1);
	g->len += n;
}

/* name='value' with gnuplot's single-quote escape ('' for '). */
static void gp_str(struct gp *g, const char *name, const char *value)
{
	char one[2] = { 0 };

	gp_append(g, name);
	gp_append(g, "='");
	for (const char *p = value; *p; p++) {
		one[0] = *p == '\n' ? ' ' : *p;
		gp_append(g, one);
		if (*p == '\'')
			gp_append(g, "'");
	}
	gp_append(g, "'; ");
}

static void gp_num(struct gp *g, const char *name, double v)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s=%.17g; ", name, v);
	gp_append(g, buf);
}

/* Opens OUT/data/BASE.dat for writing; its path goes to 'dat' (for gnuplot). */
static FILE *open_dat(const char *out, const char *base, char dat[4300], struct sb_errbuf *err)
{
	FILE *f;

	snprintf(dat, 4300, "%s/data/%s.dat", out, base);
	f = fopen(dat, "w");
	if (!f)
		sb_errf(err, SB_EIO, "%s: cannot create: %s", dat, strerror(errno));
	return f;
}

/* Runs script with the variables set, once for PNG and once for SVG: OUT/<base>.{png,svg}. */
static enum sb_err gp_run(struct gp *g, const char *script, const char *outdir,
			  const char *base, struct sb_errbuf *err)
{
	static const char *const fmts[] = { "png", "svg" };
	char spath[4200];

	if (snprintf(spath, sizeof(spath), "%s%s", g->scripts, script) >= (int)sizeof(spath))
		return sb_errf(err, SB_EINVAL, "%s: path too long", g->scripts);
	for (int k = 0; k < 2; k++) {
		struct gp full = *g;
		char out[4200];
		pid_t pid;
		int status;

		snprintf(out, sizeof(out), "%s/%s.%s", outdir, base, fmts[k]);
		gp_str(&full, "fmt", fmts[k]);
		gp_str(&full, "out", out);
		gp_str(&full, "script_dir", g->scripts);
		if (full.overflow)
			return sb_errf(err, SB_EINVAL, "%s: gnuplot arguments too long", base);
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			return sb_errf(err, SB_EIO, "cannot start gnuplot: %s", strerror(errno));
		if (pid == 0) {
			char *const av[] = { (char *)"gnuplot", (char *)"-e", full.vars, spath, NULL };
			char log[4200];
			int fd;

			/* gnuplot's warnings (e.g. empty heatmap cells) go to a log, not the terminal. */
			snprintf(log, sizeof(log), "%s/data/gnuplot.log", outdir);
			fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (fd >= 0) {
				dup2(fd, STDERR_FILENO);
				close(fd);
			}
			execvp("gnuplot", av);
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return sb_errf(err, SB_EIO, "waiting for gnuplot: %s", strerror(errno));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			return sb_errf(err, SB_EIO, "cannot run gnuplot (install gnuplot-nox)");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return sb_errf(err, SB_EIO, "gnuplot failed on %s for %s.%s (see its messages in %s/data/gnuplot.log)",
				       spath, base, fmts[k], outdir);
	}
	return SB_OK;
}

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* --scripts, $SENTIBT_REPORT_SCRIPTS, next to the binary (as built or installed), ./ */
static enum sb_err find_scripts(struct gp *g, const char *opt, struct sb_errbuf *err)
{
	char exe[4096], cand[4][4200], probe[4400];
	const char *env = getenv("SENTIBT_REPORT_SCRIPTS");
	int nc = 0;
	ssize_t n;

	if (opt || env) {
		snprintf(cand[nc++], sizeof(cand[0]), "%s/", opt ? opt : env);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			char *slash;

			exe[n] = '\0';
			slash = strrchr(exe, '/');
			if (slash)
				*slash = '\0';
			snprintf(cand[nc++], sizeof(cand[0]), "%s/../../scripts/report/", exe);
			snprintf(cand[nc++], sizeof(cand[0]), "%s/../share/sentibt/report/", exe);
			snprintf(cand[nc++], sizeof(cand[0]), "%s/scripts/report/", exe);
		}
		snprintf(cand[nc++], sizeof(cand[0]), "scripts/report/");
	}
	for (int k = 0; k < nc; k++) {
		if (snprintf(probe, sizeof(probe), "%sheatmap.gp", cand[k]) >= (int)sizeof(probe) ||
		    !is_file(probe))
			continue;
		if (snprintf(g->scripts, sizeof(g->scripts), "%s", cand[k]) < (int)sizeof(g->scripts))
			return SB_OK;
	}
	return sb_errf(err, SB_EINVAL, "%sheatmap.gp: gnuplot scripts not found "
		       "(give --scripts DIR or set SENTIBT_REPORT_SCRIPTS)", cand[0]);
}

/* ---- HTML ---- */

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

static void html_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("&ndash;", f);
	else
		fprintf(f, "%.4g", v);
}

static void html_figure(FILE *f, const char *base, const char *caption)
{
	fprintf(f, "<figure><a href=\"%s.svg\"><img src=\"%s.png\" alt=\"", base, base);
	html_esc(f, caption);
	fputs("\"></a><figcaption>", f);
	html_esc(f, caption);
	fprintf(f, " (<a href=\"%s.png\">PNG</a>, <a href=\"%s.svg\">SVG</a>)</figcaption></figure>\n",
		base, base);
}

static cJSON *read_json(const char *path, struct sb_errbuf *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;
	cJSON *j = NULL;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && len < (64L << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) &&
	    fread(buf, 1, (size_t)len, f) == (size_t)len) {
		buf[len] = '\0';
		j = cJSON_Parse(buf);
		if (!j)
			sb_errf(err, SB_EPARSE, "%s: expected JSON", path);
	}
	free(buf);
	fclose(f);
	return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* The manifest's key facts, whatever of them it has; nothing when absent. */
static void html_manifest(FILE *f, const char *dir)
{
	char path[4200];
	cJSON *m;
	const cJSON *x;
	struct sb_errbuf err;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	m = read_json(path, &err);
	if (!m) {
		fputs("<p class=\"note\">No manifest.json in the result folder.</p>\n", f);
		return;
	}
	fputs("<h2>Run</h2>\n<table class=\"kv\">\n", f);
	if (jstr(m, "sentibt_version")) {
		fputs("<tr><th>version</th><td>", f);
		html_esc(f, jstr(m, "sentibt_version"));
		fputs("</td></tr>\n", f);
	}
	x = cJSON_GetObjectItemCaseSensitive(m, "build");
	if (jstr(x, "commit")) {
		fputs("<tr><th>commit</th><td><code>", f);
		html_esc(f, jstr(x, "commit"));
		fputs("</code></td></tr>\n", f);
	}
	x = cJSON_GetObjectItemCaseSensitive(m, "argv");
	if (cJSON_IsArray(x)) {
		const cJSON *a;

		fputs("<tr><th>command</th><td><code>sentibt", f);
		cJSON_ArrayForEach(a, x)
			if (cJSON_IsString(a)) {
				fputc(' ', f);
				html_esc(f, a->valuestring);
			}
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	x = cJSON_GetObjectItemCaseSensitive(m, "inputs");
	if (cJSON_IsArray(x)) {
		const cJSON *in;

		fputs("<table><tr><th>input</th><th>path</th><th>rows</th><th>first</th>"
		      "<th>last</th><th>SHA-256</th></tr>\n", f);
		cJSON_ArrayForEach(in, x) {
			const char *keys[] = { "role", "path" };
			const cJSON *rows = cJSON_GetObjectItemCaseSensitive(in, "rows");

			fputs("<tr>", f);
			for (int k = 0; k < 2; k++) {
				fputs("<td>", f);
				html_esc(f, jstr(in, keys[k]) ? jstr(in, keys[k]) : "");
				fputs("</td>", f);
			}
			fputs("<td>", f);
			if (cJSON_IsNumber(rows))
				fprintf(f, "%.0f", rows->valuedouble);
			fputs("</td><td>", f);
			html_esc(f, jstr(in, "first") ? jstr(in, "first") : "");
			fputs("</td><td>", f);
			html_esc(f, jstr(in, "last") ? jstr(in, "last") : "");
			fputs("</td><td><code>", f);
			html_esc(f, jstr(in, "sha256") ? jstr(in, "sha256") : "");
			fputs("</code></td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	cJSON_Delete(m);
}

static void html_head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	html_esc(f, title);
	fputs("</title>\n<style>\n"
	      "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}\n"
	      "table{border-collapse:collapse;margin:1em 0;font-size:90%}\n"
	      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
	      "th{background:#f0f0f0}\ntable.kv td,table.kv th{text-align:left}\n"
	      "img{max-width:100%;border:1px solid #ddd}\nfigure{margin:1.5em 0}\n"
	      ".note{color:#666;font-size:90%}\ncode{font-size:90%}\n"
	      "</style></head><body>\n<h1>", f);
	html_esc(f, title);
	fputs("</h1>\n", f);
}

/* ---- the charts ---- */

/* equity.csv -> data/<base>.dat and the equity / drawdown / price chart. */
static enum sb_err chart_equity(struct gp *g, const char *csv, const char *out,
				const char *base, const char *title, const char *subtitle,
				FILE *top_dat,
				struct sb_errbuf *err)
{
	static const char *const cols[] = { "time", "close", "position", "equity", "drawdown" };
	struct table t;
	int c[5];
	char dat[4300];
	FILE *f;
	enum sb_err rc = table_read(&t, csv, err);

	if (rc)
		return rc;
	rc = need_cols(&t, csv, cols, c, 5, err);
	if (!rc && t.nrow == 0)
		rc = sb_errf(err, SB_EPARSE, "%s:2: expected at least one row", csv);
	if (rc)
		goto out_table;
	f = open_dat(out, base, dat, err);
	if (!f) {
		rc = SB_EIO;
		goto out_table;
	}
	fputs("# epoch_s close position_sign equity drawdown\n", f);
	for (size_t r = 0; r < t.nrow; r++) {
		double pos = cell(&t, r, c[2]);

		fprintf(f, "%.0f %.17g %d %.17g %.17g\n", cell(&t, r, c[0]), cell(&t, r, c[1]),
			(pos > 0) - (pos < 0), cell(&t, r, c[3]), cell(&t, r, c[4]));
		if (top_dat)
			fprintf(top_dat, "%.0f %.17g\n", cell(&t, r, c[0]), cell(&t, r, c[3]));
	}
	if (top_dat)
		fputs("\n\n", top_dat);
	if (fclose(f) != 0) {
		rc = sb_errf(err, SB_EIO, "%s: write failed", dat);
		goto out_table;
	}
	gp_begin(g);
	gp_str(g, "data", dat);
	gp_str(g, "title", title);
	gp_str(g, "subtitle", subtitle);
	gp_num(g, "H", 800);
	rc = gp_run(g, "equity.gp", out, base, err);
out_table:
	table_release(&t);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* trades.csv -> data/<base>.dat (returns in %) and the histogram; *n_out = trades. */
static enum sb_err chart_trades(struct gp *g, const char *csv, const char *out,
				const char *base, const char *what, const char *subtitle,
				size_t *n_out,
				struct sb_errbuf *err)
{
	static const char *const cols[] = { "return" };
	struct table t;
	int c;
	char dat[4300], title[1024];
	double *x = NULL, mean = 0, bw, iqr;
	size_t n = 0;
	FILE *f;
	enum sb_err rc = table_read(&t, csv, err);

	*n_out = 0;
	if (rc)
		return rc;
	rc = need_cols(&t, csv, cols, &c, 1, err);
	if (rc || t.nrow == 0)
		goto out_table;
	x = malloc(t.nrow * sizeof(*x));
	if (!x) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_table;
	}
	for (size_t r = 0; r < t.nrow; r++)
		if (!isnan(cell(&t, r, c))) {
			x[n] = 100.0 * cell(&t, r, c);
			mean += x[n++];
		}
	if (n == 0)
		goto out_table;
	mean /= (double)n;
	qsort(x, n, sizeof(*x), cmp_double);
	/* Freedman-Diaconis bin width, bounded to 5..60 bins over the range. */
	iqr = x[(3 * n) / 4] - x[n / 4];
	bw = 2.0 * iqr / cbrt((double)n);
	if (!(bw > (x[n - 1] - x[0]) / 60.0))
		bw = (x[n - 1] - x[0]) / 60.0;
	if (bw > (x[n - 1] - x[0]) / 5.0)
		bw = (x[n - 1] - x[0]) / 5.0;
	if (!(bw > 0))
		bw = fabs(x[0]) > 0 ? fabs(x[0]) / 10.0 : 0.1;
	f = open_dat(out, base, dat, err);
	if (!f) {
		rc = SB_EIO;
		goto out_table;
	}
	fputs("# trade return, percent\n", f);
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%.17g\n", x[k]);
	if (fclose(f) != 0) {
		rc = sb_errf(err, SB_EIO, "%s: write failed", dat);
		goto out_table;
	}
	snprintf(title, sizeof(title), "Distribution of trade returns, %s: %zu trades", what, n);
	gp_begin(g);
	gp_str(g, "data", dat);
	gp_str(g, "title", title);
	gp_str(g, "subtitle", subtitle);
	gp_num(g, "binwidth", bw);
	gp_num(g, "mean", mean);
	gp_num(g, "H", 520);
	rc = gp_run(g, "histogram.gp", out, base, err);
	*n_out = n;
out_table:
	free(x);
	table_release(&t);
	return rc;
}

/* ---- sweep ---- */

struct report_opts {
	const char *dir, *out, *metric, *slice, *scripts;
	size_t top;
	bool force;
};

/* --slice axis=value,...: fixed[k] = value or NaN. */
static int parse_slice(const char *s, double *fixed)
{
	char buf[1024], *p, *next;

	for (int k = 0; k < SB_N_AXES; k++)
		fixed[k] = NAN;
	if (!s)
		return 0;
	if (strlen(s) >= sizeof(buf))
		return sb_cli_usage_error("report", "--slice: too long");
	strcpy(buf, s);
	for (p = buf; p; p = next) {
		char *eq = strchr(p, '=');
		int k;

		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		if (!eq)
			return sb_cli_usage_error("report", "--slice: expected AXIS=VALUE, got '%s'", p);
		*eq = '\0';
		for (k = 0; k < SB_N_AXES && strcmp(sb_axis_names[k], p); k++)
			;
		if (k == SB_N_AXES)
			return sb_cli_usage_error("report", "--slice: unknown axis '%s' (one of "
						  "threshold, min_confidence, window, exit_band, fee_bps, "
						  "slippage_bps, latency)", p);
		if (k == SB_AX_WINDOW || k == SB_AX_LATENCY) {
			int64_t us;

			if (!sb_parse_duration(eq + 1, &us))
				return sb_cli_usage_error("report", "--slice: %s: expected a duration "
							  "like 5m, got '%s'", p, eq + 1);
			fixed[k] = (double)us / (double)SB_US_PER_SEC;
		} else if (!sb_parse_double(eq + 1, &fixed[k])) {
			return sb_cli_usage_error("report", "--slice: %s: expected a number, got '%s'",
						  p, eq + 1);
		}
	}
	return 0;
}

static bool same(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b));
}

/* The sorted distinct values of column c over the rows in use; returns the count. */
static size_t distinct(const struct table *t, int c, const bool *use, double *out)
{
	size_t n = 0;

	for (size_t r = 0; r < t->nrow; r++) {
		double v = cell(t, r, c);
		size_t k;

		if (!use[r] || isnan(v))
			continue;
		for (k = 0; k < n && !same(out[k], v); k++)
			;
		if (k == n)
			out[n++] = v;
	}
	qsort(out, n, sizeof(*out), cmp_double);
	return n;
}

static size_t index_of(const double *vals, size_t n, double v)
{
	for (size_t k = 0; k < n; k++)
		if (same(vals[k], v))
			return k;
	return 0;
}

static void tics_cmd(char *buf, size_t cap, const char *axis, const double *v, size_t n)
{
	size_t len = (size_t)snprintf(buf, cap, "set %s (", axis);
	size_t step = n > 25 ? (n + 24) / 25 : 1;        /* at most ~25 labels */

	for (size_t k = 0; k < n && len < cap; k += step)
		len += (size_t)snprintf(buf + len, cap - len, "%s\"%.4g\" %zu", k ? ", " : "",
					v[k], k);
	if (len < cap)
		snprintf(buf + len, cap - len, ")");
}

/* summary.csv gives durations in seconds; say so next to their values. */
static const char *axis_unit(int k)
{
	return k == SB_AX_WINDOW || k == SB_AX_LATENCY ? "s" : "";
}

static const char *axis_label(int k)
{
	static const char *const l[SB_N_AXES] = {
		"threshold h", "min confidence k", "window (s)", "exit band e", "fee (bps)",
		"slippage (bps)", "latency (s)" };

	return l[k];
}

static int g_rank_col, g_rank_dir;
static const struct table *g_rank_t;

static int cmp_rank(const void *a, const void *b)
{
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	double va = cell(g_rank_t, ia, g_rank_col), vb = cell(g_rank_t, ib, g_rank_col);

	if (isnan(va) != isnan(vb))
		return isnan(va) ? 1 : -1;
	if (!isnan(va) && va != vb)
		return (g_rank_dir > 0 ? va > vb : va < vb) ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

/* The heatmaps; writes their figures into the HTML. */
static enum sb_err sweep_heatmaps(struct gp *g, const struct table *t, int mcol,
				  const char *metric, const double *fixed, const char *out,
				  FILE *html, struct sb_errbuf *err)
{
	int ac[SB_N_AXES], others[SB_N_AXES], n_others = 0;
	double *vals[SB_N_AXES] = { 0 }, lo = INFINITY, hi = -INFINITY;
	size_t nv[SB_N_AXES] = { 0 }, n_panels = 1, n_use = 0;
	bool *use = calloc(t->nrow ? t->nrow : 1, sizeof(*use));
	enum sb_err rc = SB_OK;

	for (int k = 0; k < SB_N_AXES; k++) {
		ac[k] = table_col(t, sb_axis_names[k]);
		vals[k] = malloc((t->nrow ? t->nrow : 1) * sizeof(double));
		if (!vals[k])
			use = (free(use), NULL);
		if (ac[k] < 0 && (k == SB_AX_THRESHOLD || k == SB_AX_MIN_CONFIDENCE))
			rc = sb_errf(err, SB_EPARSE, "summary.csv:1: expected a column '%s'",
				     sb_axis_names[k]);
	}
	if (!use) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}
	if (rc)
		goto out_free;
	for (size_t r = 0; r < t->nrow; r++) {
		use[r] = true;
		for (int k = 0; k < SB_N_AXES; k++)
			if (!isnan(fixed[k]) && (ac[k] < 0 || !same(cell(t, r, ac[k]), fixed[k])))
				use[r] = false;
		if (use[r]) {
			double v = cell(t, r, mcol);

			n_use++;
			if (!isnan(v)) {
				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
			}
		}
	}
	if (n_use == 0) {
		rc = sb_errf(err, SB_EINVAL, "--slice: no combination of summary.csv matches");
		goto out_free;
	}
	for (int k = 0; k < SB_N_AXES; k++) {
		if (ac[k] >= 0)
			nv[k] = distinct(t, ac[k], use, vals[k]);
		if (k != SB_AX_THRESHOLD && k != SB_AX_MIN_CONFIDENCE && nv[k] > 1) {
			others[n_others++] = k;
			n_panels *= nv[k];
		}
	}
	if (!(lo <= hi)) {
		lo = -1;
		hi = 1;
	}
	fprintf(html, "<h2>%s over threshold &times; min confidence</h2>\n", metric);
	if (n_panels > MAX_PANELS)
		fprintf(html, "<p class=\"note\">%zu combinations of the other parameters; the "
			"first %d are shown: choose others with --slice.</p>\n", n_panels, MAX_PANELS);
	for (size_t p = 0; p < n_panels && p < MAX_PANELS && !rc; p++) {
		char dat[4300], base[64], title[256], sub[1024], xt[4096], yt[4096], cap[1300];
		size_t x = p, pos[SB_N_AXES] = { 0 }, len;
		bool diverging = lo < 0 && hi > 0;
		double m = fmax(fabs(lo), fabs(hi));
		double *z;
		FILE *f;

		for (int o = n_others - 1; o >= 0; o--) {
			pos[others[o]] = x % nv[others[o]];
			x /= nv[others[o]];
		}
		snprintf(title, sizeof(title), "%s%s over threshold x min confidence", metric,
			 strcmp(metric, "sharpe") ? "" : " (annualised)");
		len = (size_t)snprintf(sub, sizeof(sub), "%s", n_others ? "" : "all combinations");
		for (int o = 0; o < n_others; o++)
			len += (size_t)snprintf(sub + len, sizeof(sub) - len, "%s%s=%.4g%s",
						o ? ", " : "", sb_axis_names[others[o]],
						vals[others[o]][pos[others[o]]], axis_unit(others[o]));
		for (int k = 0; k < SB_N_AXES; k++)
			if (!isnan(fixed[k]))
				len += (size_t)snprintf(sub + len, sizeof(sub) - len, " [%s=%.4g%s]",
							sb_axis_names[k], fixed[k], axis_unit(k));
		z = malloc(nv[0] * nv[1] * sizeof(*z));
		if (!z) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
			break;
		}
		for (size_t k = 0; k < nv[0] * nv[1]; k++)
			z[k] = NAN;
		for (size_t r = 0; r < t->nrow; r++) {
			bool in = use[r];

			for (int o = 0; o < n_others && in; o++)
				in = same(cell(t, r, ac[others[o]]), vals[others[o]][pos[others[o]]]);
			if (in)
				z[index_of(vals[1], nv[1], cell(t, r, ac[1])) * nv[0] +
				  index_of(vals[0], nv[0], cell(t, r, ac[0]))] = cell(t, r, mcol);
		}
		snprintf(base, sizeof(base), "heatmap_%zu", p);
		f = open_dat(out, base, dat, err);
		if (!f) {
			free(z);
			rc = SB_EIO;
			break;
		}
		for (size_t yi = 0; yi < nv[1]; yi++)
			for (size_t xi = 0; xi < nv[0]; xi++)
				fprintf(f, "%.17g%c", z[yi * nv[0] + xi], xi + 1 < nv[0] ? ' ' : '\n');
		free(z);
		if (fclose(f) != 0) {
			rc = sb_errf(err, SB_EIO, "%s: write failed", dat);
			break;
		}
		tics_cmd(xt, sizeof(xt), "xtics", vals[0], nv[0]);
		tics_cmd(yt, sizeof(yt), "ytics", vals[1], nv[1]);
		gp_begin(g);
		gp_str(g, "data", dat);
		gp_str(g, "title", title);
		gp_str(g, "subtitle", sub);
		gp_num(g, "nx", (double)nv[0]);
		gp_num(g, "ny", (double)nv[1]);
		gp_str(g, "xlabel", axis_label(0));
		gp_str(g, "ylabel", axis_label(1));
		gp_str(g, "cblabel", metric);
		gp_str(g, "xtics", xt);
		gp_str(g, "ytics", yt);
		gp_num(g, "cbmin", diverging ? -m : lo < hi ? lo : lo - 0.5);
		gp_num(g, "cbmax", diverging ? m : lo < hi ? hi : hi + 0.5);
		gp_num(g, "diverging", diverging);
		gp_num(g, "labels", nv[0] <= 20 && nv[1] <= 12);
		gp_num(g, "W", 1000);
		gp_num(g, "H", nv[1] * 3 < nv[0] ? 420 : 640);
		rc = gp_run(g, "heatmap.gp", out, base, err);
		snprintf(cap, sizeof(cap), "%s: %s", title, sub);
		if (!rc)
			html_figure(html, base, cap);
	}
out_free:
	for (int k = 0; k < SB_N_AXES; k++)
		free(vals[k]);
	free(use);
	return rc;
}

static enum sb_err report_sweep(struct gp *g, const struct report_opts *o, const char *out,
				FILE *html, struct sb_errbuf *err)
{
	struct table t;
	char path[4200], dat[4300], title[1024], names[1024] = "";
	double fixed[SB_N_AXES];
	size_t *order = NULL, n_curves = 0;
	int mcol, idcol;
	FILE *top = NULL;
	cJSON *stats;
	enum sb_err rc;

	parse_slice(o->slice, fixed);        /* checked before */
	snprintf(path, sizeof(path), "%s/summary.csv", o->dir);
	rc = table_read(&t, path, err);
	if (rc)
		return rc;
	mcol = table_col(&t, o->metric);
	idcol = table_col(&t, "id");
	if (mcol < 0 || idcol < 0) {
		rc = sb_errf(err, SB_EPARSE, "%s:1: expected columns 'id' and '%s'", path, o->metric);
		goto out_table;
	}
	if (t.nrow == 0) {
		rc = sb_errf(err, SB_EPARSE, "%s:2: expected at least one combination", path);
		goto out_table;
	}
	html_head(html, "sentibt sweep report");
	fprintf(html, "<p>Result folder <code>");
	html_esc(html, o->dir);
	fprintf(html, "</code>: %zu combinations, ranked by %s.</p>\n", t.nrow, o->metric);
	html_manifest(html, o->dir);

	order = malloc(t.nrow * sizeof(*order));
	if (!order) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_table;
	}
	for (size_t r = 0; r < t.nrow; r++)
		order[r] = r;
	g_rank_t = &t;
	g_rank_col = mcol;
	g_rank_dir = strcmp(o->metric, "max_drawdown") ? 1 : -1;
	qsort(order, t.nrow, sizeof(*order), cmp_rank);

	/* stats.json: the deflated Sharpe ratio of the sweep's best. */
	snprintf(path, sizeof(path), "%s/stats.json", o->dir);
	stats = read_json(path, err);
	fputs("<h2>Overfitting check</h2>\n", html);
	if (stats) {
		const char *keys[] = { "n_trials", "var_sharpe", "sr0", "best_id", "best_psr",
				       "best_dsr" };
		const char *rank_by = jstr(stats, "rank_by");

		fprintf(html, "<p>The deflated Sharpe ratio (Bailey and L&oacute;pez de Prado, 2014) "
			"is the probability that the best combination's true Sharpe ratio beats "
			"SR0, the best per-candle Sharpe expected from N trials of a worthless "
			"strategy (N = combinations tried, V = variance of their per-candle Sharpe "
			"ratios). Best by %s.</p>\n<table class=\"kv\">\n", rank_by ? rank_by : "?");
		for (int k = 0; k < 6; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(stats, keys[k]);

			fprintf(html, "<tr><th>%s</th><td>", keys[k]);
			html_num(html, cJSON_IsNumber(v) ? v->valuedouble : NAN);
			fputs("</td></tr>\n", html);
		}
		fputs("</table>\n", html);
		cJSON_Delete(stats);
	} else {
		fputs("<p class=\"note\">No stats.json in the result folder.</p>\n", html);
	}

	/* The top-K table. */
	fprintf(html, "<h2>Top %d by %s</h2>\n<table><tr><th>id</th>",
		TABLE_ROWS, o->metric);
	for (int k = 0; k < SB_N_AXES; k++)
		if (table_col(&t, sb_axis_names[k]) >= 0)
			fprintf(html, "<th>%s</th>", sb_axis_names[k]);
	fprintf(html, "<th>%s</th><th>total_return</th><th>max_drawdown</th><th>trades</th>"
		"<th>psr</th><th>dsr</th></tr>\n", o->metric);
	for (size_t i = 0; i < t.nrow && i < TABLE_ROWS; i++) {
		static const char *const mc[] = { "total_return", "max_drawdown", "trades", "psr",
						  "dsr" };
		size_t r = order[i];

		fprintf(html, "<tr><td>%.0f</td>", cell(&t, r, idcol));
		for (int k = 0; k < SB_N_AXES; k++)
			if (table_col(&t, sb_axis_names[k]) >= 0) {
				fputs("<td>", html);
				html_num(html, cell(&t, r, table_col(&t, sb_axis_names[k])));
				fputs("</td>", html);
			}
		fputs("<td>", html);
		html_num(html, cell(&t, r, mcol));
		fputs("</td>", html);
		for (int k = 0; k < 5; k++) {
			fputs("<td>", html);
			html_num(html, cell(&t, r, table_col(&t, mc[k])));
			fputs("</td>", html);
		}
		fputs("</tr>\n", html);
	}
	fputs("</table>\n<p class=\"note\">psr: probability that the true Sharpe ratio is "
	      "above 0; dsr: that it is above SR0 (see above). Both use the per-candle Sharpe, "
	      "the number of candles, skewness and raw kurtosis of the per-candle returns.</p>\n",
	      html);

	rc = sweep_heatmaps(g, &t, mcol, o->metric, fixed, out, html, err);
	if (rc)
		goto out_order;

	/* Curves of the top K that have them. */
	snprintf(dat, sizeof(dat), "%s/data/equity_top.dat", out);
	top = fopen(dat, "w");
	if (!top) {
		rc = sb_errf(err, SB_EIO, "%s: cannot create: %s", dat, strerror(errno));
		goto out_order;
	}
	fputs("<h2>Best combinations</h2>\n", html);
	for (size_t i = 0; i < t.nrow && n_curves < o->top && !rc; i++) {
		size_t r = order[i], id = (size_t)cell(&t, r, idcol), nt;
		char base[64], what[512], name[64], eq[4200], tr[4200];
		size_t len;

		snprintf(eq, sizeof(eq), "%s/equity/%zu.csv", o->dir, id);
		snprintf(tr, sizeof(tr), "%s/trades/%zu.csv", o->dir, id);
		if (!is_file(eq))
			continue;
		len = 0;
		what[0] = '\0';
		for (int k = 0, first = 1; k < SB_N_AXES; k++) {
			int c = table_col(&t, sb_axis_names[k]);

			if (c >= 0) {
				len += (size_t)snprintf(what + len, sizeof(what) - len, "%s%s=%.4g",
							first ? "" : ", ", sb_axis_names[k],
							cell(&t, r, c));
				first = 0;
			}
		}
		snprintf(title, sizeof(title), "Equity, drawdown, price: combination %zu, #%zu by %s "
			 "(%.4g)", id, n_curves + 1, o->metric, cell(&t, r, mcol));
		snprintf(base, sizeof(base), "equity_%zu", id);
		fprintf(html, "<h3>#%zu: combination %zu</h3>\n", n_curves + 1, id);
		rc = chart_equity(g, eq, out, base, title, what, top, err);
		if (rc)
			break;
		html_figure(html, base, what);
		snprintf(base, sizeof(base), "trades_%zu", id);
		if (is_file(tr)) {
			snprintf(name, sizeof(name), "combination %zu", id);
			rc = chart_trades(g, tr, out, base, name, what, &nt, err);
			if (!rc && nt)
				html_figure(html, base, "trade returns");
			else if (!rc)
				fputs("<p class=\"note\">No trades.</p>\n", html);
		}
		len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%sid=%zu", len ? " " : "", id);
		n_curves++;
	}
	if (fclose(top) != 0 && !rc)
		rc = sb_errf(err, SB_EIO, "%s: write failed", dat);
	if (!rc && n_curves) {
		snprintf(title, sizeof(title), "Equity of the top %zu combinations by %s", n_curves,
			 o->metric);
		gp_begin(g);
		gp_str(g, "data", dat);
		gp_str(g, "names", names);
		gp_str(g, "title", title);
		gp_num(g, "n", (double)n_curves);
		rc = gp_run(g, "equity_top.gp", out, "equity_top", err);
		if (!rc)
			html_figure(html, "equity_top", title);
	} else if (!rc) {
		fputs("<p class=\"note\">No equity curves in the result folder.</p>\n", html);
	}
out_order:
	free(order);
out_table:
	table_release(&t);
	return rc;
}

static enum sb_err report_backtest(struct gp *g, const struct report_opts *o, const char *out,
				   FILE *html, struct sb_errbuf *err)
{
	char path[4200], tr[4200];
	cJSON *m, *x;
	size_t nt;
	enum sb_err rc;

	snprintf(path, sizeof(path), "%s/metrics.json", o->dir);
	m = read_json(path, err);
	if (!m)
		return sb_errf(err, SB_EPARSE, "%s: expected a JSON object of metrics", path);
	html_head(html, "sentibt backtest report");
	fputs("<p>Result folder <code>", html);
	html_esc(html, o->dir);
	fputs("</code>.</p>\n", html);
	html_manifest(html, o->dir);
	fputs("<h2>Metrics</h2>\n<table class=\"kv\">\n", html);
	cJSON_ArrayForEach(x, m) {
		fputs("<tr><th>", html);
		html_esc(html, x->string ? x->string : "");
		fputs("</th><td>", html);
		html_num(html, cJSON_IsNumber(x) ? x->valuedouble : NAN);
		fputs("</td></tr>\n", html);
	}
	fputs("</table>\n", html);
	cJSON_Delete(m);
	snprintf(path, sizeof(path), "%s/equity.csv", o->dir);
	rc = chart_equity(g, path, out, "equity", "Equity, drawdown and price", "backtest",
			  NULL, err);
	if (rc)
		return rc;
	html_figure(html, "equity", "equity, drawdown and price");
	snprintf(tr, sizeof(tr), "%s/trades.csv", o->dir);
	if (is_file(tr)) {
		rc = chart_trades(g, tr, out, "trades", "backtest", "open trades marked at the last "
				  "close", &nt, err);
		if (!rc && nt)
			html_figure(html, "trades", "trade returns");
		else if (!rc)
			fputs("<p class=\"note\">No trades.</p>\n", html);
	}
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "metric", required_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 'k' },
		{ "slice", required_argument, NULL, 's' },
		{ "scripts", required_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_opts o = { .metric = "sharpe", .top = 5 };
	struct gp *g = NULL;
	struct sb_run_dir rd;
	struct sb_errbuf err;
	char out_default[4200], path[4200], html_path[4200];
	double fixed[SB_N_AXES];
	bool sweep;
	FILE *html;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:m:k:s:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'm': o.metric = optarg; break;
		case 's': o.slice = optarg; break;
		case 'S': o.scripts = optarg; break;
		case 'f': o.force = true; break;
		case 'k': {
			int64_t v;

			if (!sb_parse_int64(optarg, &v) || v < 0 || v > 1000)
				return sb_cli_usage_error("report", "--top: expected 0 to 1000, got '%s'",
							  optarg);
			o.top = (size_t)v;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			return SB_EXIT_OK;
		case ':':
			return sb_cli_usage_error("report", "%s needs a value", argv[optind - 1]);
		default:
			return sb_cli_usage_error("report", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return sb_cli_usage_error("report", "expected one result folder");
	o.dir = argv[optind];
	if (parse_slice(o.slice, fixed))
		return SB_EXIT_USAGE;
	if (!o.out) {
		snprintf(out_default, sizeof(out_default), "%s/report", o.dir);
		o.out = out_default;
	}
	snprintf(path, sizeof(path), "%s/summary.csv", o.dir);
	sweep = is_file(path);
	snprintf(path, sizeof(path), "%s/metrics.json", o.dir);
	if (!sweep && !is_file(path)) {
		sb_cli_error("%s: expected a result folder with summary.csv (sweep) or "
			     "metrics.json (backtest)", o.dir);
		return SB_EXIT_FAIL;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		sb_cli_error("out of memory");
		return SB_EXIT_FAIL;
	}
	rc = SB_EXIT_FAIL;
	if (find_scripts(g, o.scripts, &err) || sb_run_dir_begin(&rd, o.out, o.force, &err)) {
		sb_cli_error("%s", err.msg);
		goto out_free;
	}
	if (sb_path_join(path, sizeof(path), rd.tmp, "data", &err) || sb_mkdirs(path, &err) ||
	    sb_path_join(html_path, sizeof(html_path), rd.tmp, "report.html", &err))
		goto out_abort;
	html = fopen(html_path, "w");
	if (!html) {
		sb_errf(&err, SB_EIO, "%s: cannot create: %s", html_path, strerror(errno));
		goto out_abort;
	}
	if (sweep ? report_sweep(g, &o, rd.tmp, html, &err)
		  : report_backtest(g, &o, rd.tmp, html, &err)) {
		fclose(html);
		goto out_abort;
	}
	fputs("<p class=\"note\">Made by <code>sentibt report</code> with gnuplot; the plotted "
	      "data are in data/.</p>\n</body></html>\n", html);
	if (fclose(html) != 0) {
		sb_errf(&err, SB_EIO, "%s: write failed", html_path);
		goto out_abort;
	}
	if (sb_run_dir_commit(&rd, &err))
		goto out_abort;
	printf("report: %s/report.html\n", rd.final);
	rc = SB_EXIT_OK;
	goto out_free;
out_abort:
	sb_cli_error("%s", err.msg);
	sb_run_dir_abort(&rd);
out_free:
	free(g);
	return rc;
}
