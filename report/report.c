/* report.c - the report of a result folder: sweep heatmaps, curves, histograms, report.html
 *
 * The CSVs of the result folder are read and checked (table.h), their plotted columns
 * written as plain whitespace data under OUT/data/ (kept, so a chart can be redrawn by
 * hand) and drawn by gnuplot (gnuplot.h) as PNG and SVG; report.html (html.h) shows
 * them.  Everything goes to a temporary folder renamed into place at the end, so a
 * failure leaves no partial report.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../engine/results.h"
#include "../loaders/textio.h"
#include "gnuplot.h"
#include "html.h"
#include "table.h"

#define MAX_PANELS 24

static const char *axis_unit(int k);

enum sb_err sb_report_parse_slice(const char *s, double fixed[SB_N_SUMMARY_AXES],
				  struct sb_errbuf *err)
{
	char buf[1024], *p, *next;

	for (int k = 0; k < SB_N_SUMMARY_AXES; k++)
		fixed[k] = NAN;
	if (!s)
		return SB_OK;
	if (strlen(s) >= sizeof(buf))
		return sb_errf(err, SB_EINVAL, "--slice: too long");
	strcpy(buf, s);
	for (p = buf; p; p = next) {
		char *eq = strchr(p, '=');
		int k;

		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		if (!eq)
			return sb_errf(err, SB_EINVAL, "--slice: expected AXIS=VALUE, got '%s'", p);
		*eq = '\0';
		for (k = 0; k < SB_N_SUMMARY_AXES && strcmp(sb_summary_axis_name(k), p); k++)
			;
		if (k == SB_N_SUMMARY_AXES)
			return sb_errf(err, SB_EINVAL, "--slice: unknown axis '%s' (one of "
				       "threshold, min_confidence, window, exit_band, fee_bps, "
				       "slippage_bps, latency, stop_loss, take_profit, trailing_stop, "
				       "max_hold, side)", p);
		if (k == SB_N_AXES + SB_EX_SIDE) {      /* as summary.csv reads (table.h) */
			if (strcmp(eq + 1, "both") && strcmp(eq + 1, "long") && strcmp(eq + 1, "short"))
				return sb_errf(err, SB_EINVAL, "--slice: side: expected both, long "
					       "or short, got '%s'", eq + 1);
			fixed[k] = eq[1] == 'l' ? 1.0 : eq[1] == 's' ? -1.0 : 0.0;
		} else if (*axis_unit(k)) {
			int64_t us;

			if (!sb_parse_duration(eq + 1, &us))
				return sb_errf(err, SB_EINVAL, "--slice: %s: expected a duration "
					       "like 5m, got '%s'", p, eq + 1);
			fixed[k] = (double)us / (double)SB_US_PER_SEC;
		} else if (!sb_parse_double(eq + 1, &fixed[k])) {
			return sb_errf(err, SB_EINVAL, "--slice: %s: expected a number, got '%s'",
				       p, eq + 1);
		}
	}
	return SB_OK;
}

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* fclose(), and "PATH: write failed" when it fails (a full disk shows only there). */
static enum sb_err close_file(FILE *f, const char *dat, struct sb_errbuf *err)
{
	return fclose(f) != 0 ? sb_errf(err, SB_EIO, "%s: write failed", dat) : SB_OK;
}

/* ---- the charts of one run ---- */

/* The variables every chart but equity_top.gp takes first. */
static void chart_begin(struct sb_gp *g, const char *dat, const char *title,
			const char *subtitle)
{
	sb_gp_begin(g);
	sb_gp_str(g, "data", dat);
	sb_gp_str(g, "title", title);
	sb_gp_str(g, "subtitle", subtitle);
}

/*
 * equity.csv -> data/<base>.dat and the equity / drawdown / price chart; each curve is
 * also appended to top_dat (may be NULL) as one gnuplot data block, preceded by the
 * curve's buy_hold column as a block of its own when *top_bh is true (set false when the
 * file has none): the benchmark is the same for every curve, so it is written once.
 */
static enum sb_err chart_equity(struct sb_gp *g, const char *csv, const char *out,
				const char *base, const char *title, const char *subtitle,
				FILE *top_dat, bool *top_bh, struct sb_errbuf *err)
{
	static const char *const cols[] = { "time", "close", "position", "equity", "drawdown" };
	struct sb_table t;
	int c[5], bh;
	char dat[SB_GP_PATH];
	FILE *f;
	enum sb_err rc = sb_table_read(&t, csv, err);

	if (rc)
		return rc;
	rc = sb_table_need_cols(&t, csv, cols, c, 5, err);
	if (!rc && t.nrow == 0)
		rc = sb_errf(err, SB_EPARSE, "%s:2: expected at least one row", csv);
	if (rc)
		goto out_table;
	f = sb_gp_open_data(out, base, dat, err);
	if (!f) {
		rc = SB_EIO;
		goto out_table;
	}
	/* buy_hold is optional: result folders older than the benchmark lack it */
	bh = sb_table_col(&t, "buy_hold");
	if (top_dat && top_bh && *top_bh) {
		*top_bh = bh >= 0;
		for (size_t r = 0; bh >= 0 && r < t.nrow; r++)
			fprintf(top_dat, "%.0f %.17g\n", sb_table_cell(&t, r, c[0]),
				sb_table_cell(&t, r, bh));
		if (bh >= 0)
			fputs("\n\n", top_dat);
	}
	fputs("# epoch_s close position_sign equity drawdown buy_hold\n", f);
	for (size_t r = 0; r < t.nrow; r++) {
		double pos = sb_table_cell(&t, r, c[2]);

		fprintf(f, "%.0f %.17g %d %.17g %.17g %.17g\n", sb_table_cell(&t, r, c[0]),
			sb_table_cell(&t, r, c[1]), (pos > 0) - (pos < 0),
			sb_table_cell(&t, r, c[3]), sb_table_cell(&t, r, c[4]),
			bh >= 0 ? sb_table_cell(&t, r, bh) : NAN);
		if (top_dat)
			fprintf(top_dat, "%.0f %.17g\n", sb_table_cell(&t, r, c[0]),
				sb_table_cell(&t, r, c[3]));
	}
	if (top_dat)
		fputs("\n\n", top_dat);
	rc = close_file(f, dat, err);
	if (rc)
		goto out_table;
	chart_begin(g, dat, title, subtitle);
	sb_gp_num(g, "H", 800);
	rc = sb_gp_run(g, "equity.gp", out, base, err);
out_table:
	sb_table_release(&t);
	return rc;
}

/* trades.csv -> data/<base>.dat (returns in %) and the histogram; *n_out = trades. */
static enum sb_err chart_trades(struct sb_gp *g, const char *csv, const char *out,
				const char *base, const char *what, const char *subtitle,
				size_t *n_out, struct sb_errbuf *err)
{
	static const char *const cols[] = { "return" };
	struct sb_table t;
	int c;
	char dat[SB_GP_PATH], title[1024];
	double *x = NULL, mean = 0, bw, iqr;
	size_t n = 0;
	FILE *f;
	enum sb_err rc = sb_table_read(&t, csv, err);

	*n_out = 0;
	if (rc)
		return rc;
	rc = sb_table_need_cols(&t, csv, cols, &c, 1, err);
	if (rc || t.nrow == 0)
		goto out_table;
	x = malloc(t.nrow * sizeof(*x));
	if (!x) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_table;
	}
	for (size_t r = 0; r < t.nrow; r++)
		if (!isnan(sb_table_cell(&t, r, c))) {
			x[n] = 100.0 * sb_table_cell(&t, r, c);
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
	f = sb_gp_open_data(out, base, dat, err);
	if (!f) {
		rc = SB_EIO;
		goto out_table;
	}
	fputs("# trade return, percent\n", f);
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%.17g\n", x[k]);
	rc = close_file(f, dat, err);
	if (rc)
		goto out_table;
	snprintf(title, sizeof(title), "Distribution of trade returns, %s: %zu trades", what, n);
	chart_begin(g, dat, title, subtitle);
	sb_gp_num(g, "binwidth", bw);
	sb_gp_num(g, "mean", mean);
	sb_gp_num(g, "H", 520);
	rc = sb_gp_run(g, "histogram.gp", out, base, err);
	*n_out = n;
out_table:
	free(x);
	sb_table_release(&t);
	return rc;
}

/* The histogram of trades.csv when there is one, and its figure (or "No trades."). */
static enum sb_err trades_figure(struct sb_gp *g, const char *csv, const char *out,
				 const char *base, const char *what, const char *subtitle,
				 FILE *html, struct sb_errbuf *err)
{
	size_t nt;
	enum sb_err rc;

	if (!is_file(csv))
		return SB_OK;
	rc = chart_trades(g, csv, out, base, what, subtitle, &nt, err);
	if (!rc && nt)
		sb_html_figure(html, base, "trade returns");
	else if (!rc)
		fputs("<p class=\"note\">No trades.</p>\n", html);
	return rc;
}

/* ---- sweep ---- */

static bool same(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b));
}

/* The sorted distinct values of column c over the rows in use; returns the count. */
static size_t distinct(const struct sb_table *t, int c, const bool *use, double *out)
{
	size_t n = 0;

	for (size_t r = 0; r < t->nrow; r++) {
		double v = sb_table_cell(t, r, c);
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
	return k == SB_AX_WINDOW || k == SB_AX_LATENCY || k == SB_N_AXES + SB_EX_MAX_HOLD ? "s"
											 : "";
}

static const char *axis_label(int k)
{
	static const char *const l[SB_N_SUMMARY_AXES] = {
		"threshold h", "min confidence k", "window (s)", "exit band e", "fee (bps)",
		"slippage (bps)", "latency (s)", "stop loss", "take profit", "trailing stop",
		"max hold (s)", "side (1 long, -1 short, 0 both)" };

	return l[k];
}

static int g_rank_col, g_rank_dir;
static const struct sb_table *g_rank_t;

static int cmp_rank(const void *a, const void *b)
{
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	double va = sb_table_cell(g_rank_t, ia, g_rank_col);
	double vb = sb_table_cell(g_rank_t, ib, g_rank_col);

	if (isnan(va) != isnan(vb))
		return isnan(va) ? 1 : -1;
	if (!isnan(va) && va != vb)
		return (g_rank_dir > 0 ? va > vb : va < vb) ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

/* The heatmaps; writes their figures into the HTML. */
static enum sb_err sweep_heatmaps(struct sb_gp *g, const struct sb_table *t, int mcol,
				  const char *metric, const double *fixed, const char *out,
				  FILE *html, struct sb_errbuf *err)
{
	int ac[SB_N_SUMMARY_AXES], others[SB_N_SUMMARY_AXES], n_others = 0;
	double *vals[SB_N_SUMMARY_AXES] = { 0 }, lo = INFINITY, hi = -INFINITY;
	size_t nv[SB_N_SUMMARY_AXES] = { 0 }, n_panels = 1, n_use = 0;
	bool *use = calloc(t->nrow ? t->nrow : 1, sizeof(*use));
	enum sb_err rc = SB_OK;

	for (int k = 0; k < SB_N_SUMMARY_AXES; k++) {
		ac[k] = sb_table_col(t, sb_summary_axis_name(k));
		vals[k] = malloc((t->nrow ? t->nrow : 1) * sizeof(double));
		if (!vals[k])
			use = (free(use), NULL);
		if (ac[k] < 0 && (k == SB_AX_THRESHOLD || k == SB_AX_MIN_CONFIDENCE))
			rc = sb_errf(err, SB_EPARSE, "summary.csv:1: expected a column '%s'",
				     sb_summary_axis_name(k));
	}
	if (!use) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}
	if (rc)
		goto out_free;
	for (size_t r = 0; r < t->nrow; r++) {
		use[r] = true;
		for (int k = 0; k < SB_N_SUMMARY_AXES; k++)
			if (!isnan(fixed[k]) &&
			    (ac[k] < 0 || !same(sb_table_cell(t, r, ac[k]), fixed[k])))
				use[r] = false;
		if (use[r]) {
			double v = sb_table_cell(t, r, mcol);

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
	for (int k = 0; k < SB_N_SUMMARY_AXES; k++) {
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
		char dat[SB_GP_PATH], base[64], title[256], sub[1024], xt[4096], yt[4096], cap[1300];
		size_t x = p, pos[SB_N_SUMMARY_AXES] = { 0 }, len;
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
						o ? ", " : "", sb_summary_axis_name(others[o]),
						vals[others[o]][pos[others[o]]], axis_unit(others[o]));
		for (int k = 0; k < SB_N_SUMMARY_AXES; k++)
			if (!isnan(fixed[k]))
				len += (size_t)snprintf(sub + len, sizeof(sub) - len, " [%s=%.4g%s]",
							sb_summary_axis_name(k), fixed[k], axis_unit(k));
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
				in = same(sb_table_cell(t, r, ac[others[o]]),
					  vals[others[o]][pos[others[o]]]);
			if (in)
				z[index_of(vals[1], nv[1], sb_table_cell(t, r, ac[1])) * nv[0] +
				  index_of(vals[0], nv[0], sb_table_cell(t, r, ac[0]))] =
					sb_table_cell(t, r, mcol);
		}
		snprintf(base, sizeof(base), "heatmap_%zu", p);
		f = sb_gp_open_data(out, base, dat, err);
		if (!f) {
			free(z);
			rc = SB_EIO;
			break;
		}
		for (size_t yi = 0; yi < nv[1]; yi++)
			for (size_t xi = 0; xi < nv[0]; xi++)
				fprintf(f, "%.17g%c", z[yi * nv[0] + xi], xi + 1 < nv[0] ? ' ' : '\n');
		free(z);
		rc = close_file(f, dat, err);
		if (rc)
			break;
		tics_cmd(xt, sizeof(xt), "xtics", vals[0], nv[0]);
		tics_cmd(yt, sizeof(yt), "ytics", vals[1], nv[1]);
		chart_begin(g, dat, title, sub);
		sb_gp_num(g, "nx", (double)nv[0]);
		sb_gp_num(g, "ny", (double)nv[1]);
		sb_gp_str(g, "xlabel", axis_label(0));
		sb_gp_str(g, "ylabel", axis_label(1));
		sb_gp_str(g, "cblabel", metric);
		sb_gp_str(g, "xtics", xt);
		sb_gp_str(g, "ytics", yt);
		sb_gp_num(g, "cbmin", diverging ? -m : lo < hi ? lo : lo - 0.5);
		sb_gp_num(g, "cbmax", diverging ? m : lo < hi ? hi : hi + 0.5);
		sb_gp_num(g, "diverging", diverging);
		sb_gp_num(g, "labels", nv[0] <= 20 && nv[1] <= 12);
		sb_gp_num(g, "W", 1000);
		sb_gp_num(g, "H", nv[1] * 3 < nv[0] ? 420 : 640);
		rc = sb_gp_run(g, "heatmap.gp", out, base, err);
		snprintf(cap, sizeof(cap), "%s: %s", title, sub);
		if (!rc)
			sb_html_figure(html, base, cap);
	}
out_free:
	for (int k = 0; k < SB_N_SUMMARY_AXES; k++)
		free(vals[k]);
	free(use);
	return rc;
}

/* The curves and histograms of the top K that have curves, then all of them on one chart. */
static enum sb_err sweep_curves(struct sb_gp *g, const struct sb_report_opts *o,
				const struct sb_table *t, const size_t *order, int idcol,
				int mcol, const char *out, FILE *html, struct sb_errbuf *err)
{
	char dat[SB_GP_PATH], title[1024], names[1024] = "";
	size_t n_curves = 0;
	bool bh = true;                /* the first curve writes the buy-and-hold block */
	FILE *top = sb_gp_open_data(out, "equity_top", dat, err);
	enum sb_err rc = SB_OK;

	if (!top)
		return SB_EIO;
	fputs("<h2>Best combinations</h2>\n", html);
	for (size_t i = 0; i < t->nrow && n_curves < o->top && !rc; i++) {
		size_t r = order[i], id = (size_t)sb_table_cell(t, r, idcol);
		char base[64], what[512], name[64], eq[4200], tr[4200];
		size_t len;

		snprintf(eq, sizeof(eq), "%s/equity/%zu.csv", o->dir, id);
		snprintf(tr, sizeof(tr), "%s/trades/%zu.csv", o->dir, id);
		if (!is_file(eq))
			continue;
		len = 0;
		what[0] = '\0';
		for (int k = 0, first = 1; k < SB_N_SUMMARY_AXES; k++) {
			int c = sb_table_col(t, sb_summary_axis_name(k));

			if (c >= 0) {
				len += (size_t)snprintf(what + len, sizeof(what) - len, "%s%s=%.4g",
							first ? "" : ", ", sb_summary_axis_name(k),
							sb_table_cell(t, r, c));
				first = 0;
			}
		}
		snprintf(title, sizeof(title), "Equity, drawdown, price: combination %zu, #%zu by %s "
			 "(%.4g)", id, n_curves + 1, o->metric, sb_table_cell(t, r, mcol));
		snprintf(base, sizeof(base), "equity_%zu", id);
		fprintf(html, "<h3>#%zu: combination %zu</h3>\n", n_curves + 1, id);
		rc = chart_equity(g, eq, out, base, title, what, top, n_curves ? NULL : &bh, err);
		if (rc)
			break;
		sb_html_figure(html, base, what);
		snprintf(base, sizeof(base), "trades_%zu", id);
		snprintf(name, sizeof(name), "combination %zu", id);
		rc = trades_figure(g, tr, out, base, name, what, html, err);
		len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%sid=%zu", len ? " " : "",
			 !n_curves && bh ? "buy-and-hold " : "", id);
		n_curves++;
	}
	if (fclose(top) != 0 && !rc)
		rc = sb_errf(err, SB_EIO, "%s: write failed", dat);
	if (!rc && n_curves) {
		snprintf(title, sizeof(title), "Equity of the top %zu combinations by %s", n_curves,
			 o->metric);
		sb_gp_begin(g);
		sb_gp_str(g, "data", dat);
		sb_gp_str(g, "names", names);
		sb_gp_str(g, "title", title);
		sb_gp_num(g, "n", (double)(n_curves + (bh ? 1 : 0)));
		rc = sb_gp_run(g, "equity_top.gp", out, "equity_top", err);
		if (!rc)
			sb_html_figure(html, "equity_top", title);
	} else if (!rc) {
		fputs("<p class=\"note\">No equity curves in the result folder.</p>\n", html);
	}
	return rc;
}

static enum sb_err report_sweep(struct sb_gp *g, const struct sb_report_opts *o,
				const char *out, FILE *html, struct sb_errbuf *err)
{
	struct sb_table t;
	char path[4200];
	size_t *order = NULL;
	int mcol, idcol;
	enum sb_err rc;

	snprintf(path, sizeof(path), "%s/summary.csv", o->dir);
	rc = sb_table_read(&t, path, err);
	if (rc)
		return rc;
	mcol = sb_table_col(&t, o->metric);
	idcol = sb_table_col(&t, "id");
	if (mcol < 0 || idcol < 0) {
		rc = sb_errf(err, SB_EPARSE, "%s:1: expected columns 'id' and '%s'", path, o->metric);
		goto out;
	}
	if (t.nrow == 0) {
		rc = sb_errf(err, SB_EPARSE, "%s:2: expected at least one combination", path);
		goto out;
	}
	sb_html_head(html, "sentibt sweep report");
	fprintf(html, "<p>Result folder <code>");
	sb_html_esc(html, o->dir);
	fprintf(html, "</code>: %zu combinations, ranked by %s.</p>\n", t.nrow, o->metric);
	sb_html_manifest(html, o->dir);

	order = malloc(t.nrow * sizeof(*order));
	if (!order) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t r = 0; r < t.nrow; r++)
		order[r] = r;
	g_rank_t = &t;
	g_rank_col = mcol;
	g_rank_dir = strcmp(o->metric, "max_drawdown") ? 1 : -1;
	qsort(order, t.nrow, sizeof(*order), cmp_rank);

	sb_html_stats(html, o->dir);
	sb_html_top_table(html, &t, order, idcol, mcol, o->metric);
	rc = sweep_heatmaps(g, &t, mcol, o->metric, o->slice, out, html, err);
	if (!rc)
		rc = sweep_curves(g, o, &t, order, idcol, mcol, out, html, err);
out:
	free(order);
	sb_table_release(&t);
	return rc;
}

/* ---- backtest ---- */

static enum sb_err report_backtest(struct sb_gp *g, const struct sb_report_opts *o,
				   const char *out, FILE *html, struct sb_errbuf *err)
{
	char path[4200];
	enum sb_err rc;

	sb_html_head(html, "sentibt backtest report");
	fputs("<p>Result folder <code>", html);
	sb_html_esc(html, o->dir);
	fputs("</code>.</p>\n", html);
	sb_html_manifest(html, o->dir);
	rc = sb_html_metrics(html, o->dir, err);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/equity.csv", o->dir);
	rc = chart_equity(g, path, out, "equity", "Equity, drawdown and price", "backtest",
			  NULL, NULL, err);
	if (rc)
		return rc;
	sb_html_figure(html, "equity", "equity, drawdown and price");
	snprintf(path, sizeof(path), "%s/trades.csv", o->dir);
	return trades_figure(g, path, out, "trades", "backtest",
			     "open trades marked at the last close", html, err);
}

/* ---- walk-forward ---- */

/*
 * A walk-forward folder (sweep --walk-forward / --split): the folds table and the
 * stitched out-of-sample equity, one gnuplot data block per fold (equity_top.gp).
 */
static enum sb_err report_walk_forward(struct sb_gp *g, const struct sb_report_opts *o,
				       const char *out, FILE *html, struct sb_errbuf *err)
{
	static const char *const fcols[] = { "fold", "id", "is_total_return", "oos_total_return",
					     "is_sharpe", "oos_sharpe" };
	static const char *const ecols[] = { "time", "fold", "equity" };
	struct sb_table ft, et;
	char path[4200], dat[SB_GP_PATH], names[1024] = "";
	int fc[6], ec[3];
	FILE *f;
	enum sb_err rc;

	snprintf(path, sizeof(path), "%s/walkforward.csv", o->dir);
	rc = sb_table_read(&ft, path, err);
	if (rc)
		return rc;
	rc = sb_table_need_cols(&ft, path, fcols, fc, 6, err);
	if (rc)
		goto out_ft;
	snprintf(path, sizeof(path), "%s/oos_equity.csv", o->dir);
	rc = sb_table_read(&et, path, err);
	if (rc)
		goto out_ft;
	rc = sb_table_need_cols(&et, path, ecols, ec, 3, err);
	if (!rc && et.nrow == 0)
		rc = sb_errf(err, SB_EPARSE, "%s:2: expected at least one row", path);
	if (rc)
		goto out_et;
	sb_html_head(html, "sentibt walk-forward report");
	fprintf(html, "<p>Result folder <code>");
	sb_html_esc(html, o->dir);
	fprintf(html, "</code>: %zu fold%s; in each, the best combination on the training "
		"candles traded the test candles that follow.</p>\n", ft.nrow,
		ft.nrow == 1 ? "" : "s");
	sb_html_manifest(html, o->dir);
	fputs("<table><tr><th>fold</th><th>id</th><th>in-sample return</th>"
	      "<th>out-of-sample return</th><th>in-sample Sharpe</th><th>out-of-sample Sharpe</th></tr>\n",
	      html);
	for (size_t r = 0; r < ft.nrow; r++) {
		fputs("<tr>", html);
		for (int k = 0; k < 6; k++) {
			fputs("<td>", html);
			sb_html_num(html, sb_table_cell(&ft, r, fc[k]));
			fputs("</td>", html);
		}
		fputs("</tr>\n", html);
	}
	fputs("</table>\n", html);
	f = sb_gp_open_data(out, "oos_equity", dat, err);
	if (!f) {
		rc = SB_EIO;
		goto out_et;
	}
	for (size_t r = 0; r < et.nrow; r++) {
		size_t len;

		if (r && sb_table_cell(&et, r, ec[1]) != sb_table_cell(&et, r - 1, ec[1]))
			fputs("\n\n", f);
		if (r == 0 || sb_table_cell(&et, r, ec[1]) != sb_table_cell(&et, r - 1, ec[1])) {
			len = strlen(names);
			snprintf(names + len, sizeof(names) - len, "%sfold=%.0f", len ? " " : "",
				 sb_table_cell(&et, r, ec[1]));
		}
		fprintf(f, "%.0f %.17g\n", sb_table_cell(&et, r, ec[0]), sb_table_cell(&et, r, ec[2]));
	}
	rc = close_file(f, dat, err);
	if (!rc) {
		size_t n = 1;

		for (const char *p = names; *p; p++)
			n += *p == ' ';
		sb_gp_begin(g);
		sb_gp_str(g, "data", dat);
		sb_gp_str(g, "names", names);
		sb_gp_str(g, "title", "Out-of-sample equity, the folds' test parts stitched (compounded)");
		sb_gp_num(g, "n", (double)n);
		rc = sb_gp_run(g, "equity_top.gp", out, "oos_equity", err);
	}
	if (!rc)
		sb_html_figure(html, "oos_equity", "out-of-sample equity by fold");
out_et:
	sb_table_release(&et);
out_ft:
	sb_table_release(&ft);
	return rc;
}

/* ---- event study ---- */

/* "[lo,hi)" (the top bucket "[lo,hi]"), no spaces: one word of gnuplot's 'names'. */
static void bucket_name(char *buf, size_t cap, double lo, double hi, bool top)
{
	snprintf(buf, cap, "[%.4g,%.4g%c", lo, hi, top ? ']' : ')');
}

/* event_path.csv -> data/event_path.dat (one block per bucket with events) and its chart. */
static enum sb_err chart_event_path(struct sb_gp *g, const char *csv, const char *out,
				    FILE *html, struct sb_errbuf *err)
{
	static const char *const cols[] = { "bucket_lo", "bucket_hi", "offset_s", "n", "mean",
					    "ci_lo", "ci_hi" };
	struct sb_table t;
	int c[7];
	char dat[SB_GP_PATH], names[4096] = "", title[256];
	size_t blocks = 0, nmax = 0;
	FILE *f;
	enum sb_err rc = sb_table_read(&t, csv, err);

	if (rc)
		return rc;
	rc = sb_table_need_cols(&t, csv, cols, c, 7, err);
	if (rc)
		goto out_table;
	f = sb_gp_open_data(out, "event_path", dat, err);
	if (!f) {
		rc = SB_EIO;
		goto out_table;
	}
	fputs("# minutes mean_pct ci_lo_pct ci_hi_pct (log return from the entry close, %)\n", f);
	for (size_t r0 = 0; r0 < t.nrow;) {
		double lo = sb_table_cell(&t, r0, c[0]), hi = sb_table_cell(&t, r0, c[1]);
		size_t r1 = r0, rows = 0;

		while (r1 < t.nrow && sb_table_cell(&t, r1, c[0]) == lo &&
		       sb_table_cell(&t, r1, c[1]) == hi)
			r1++;
		for (size_t r = r0; r < r1; r++) {
			double n = sb_table_cell(&t, r, c[3]);

			if (!(n > 0))
				continue;
			if (rows == 0 && blocks)
				fputs("\n\n", f);
			if ((size_t)n > nmax)
				nmax = (size_t)n;
			/* no interval (--path-bootstrap 0): a band of zero width at the mean */
			fprintf(f, "%.17g %.17g %.17g %.17g\n", sb_table_cell(&t, r, c[2]) / 60.0,
				100 * sb_table_cell(&t, r, c[4]),
				100 * (isnan(sb_table_cell(&t, r, c[5])) ? sb_table_cell(&t, r, c[4])
									   : sb_table_cell(&t, r, c[5])),
				100 * (isnan(sb_table_cell(&t, r, c[6])) ? sb_table_cell(&t, r, c[4])
									   : sb_table_cell(&t, r, c[6])));
			rows++;
		}
		if (rows) {
			char nm[128];
			size_t len = strlen(names);

			bucket_name(nm, sizeof(nm), lo, hi, r1 == t.nrow);
			snprintf(names + len, sizeof(names) - len, "%s%s", len ? " " : "", nm);
			blocks++;
		}
		r0 = r1;
	}
	rc = close_file(f, dat, err);
	if (rc)
		goto out_table;
	fputs("<h2>Mean cumulative return path by score bucket</h2>\n", html);
	if (blocks == 0) {
		fputs("<p class=\"note\">No event in any bucket: no path.</p>\n", html);
		goto out_table;
	}
	snprintf(title, sizeof(title), "Mean cumulative log return around the articles, by score "
		 "bucket (up to %zu events per point)", nmax);
	sb_gp_begin(g);
	sb_gp_str(g, "data", dat);
	sb_gp_str(g, "names", names);
	sb_gp_str(g, "title", title);
	sb_gp_str(g, "subtitle", "bands: bootstrap 95% interval of the mean; 0 = the close of "
		  "the article's candle (the entry)");
	sb_gp_num(g, "n", (double)blocks);
	rc = sb_gp_run(g, "event_path.gp", out, "event_path", err);
	if (!rc)
		sb_html_figure(html, "event_path", "mean cumulative log return path by score bucket, "
			       "with its bootstrap 95% interval");
out_table:
	sb_table_release(&t);
	return rc;
}

/* A CSV of the folder as a table under a heading. */
static enum sb_err csv_table(const char *dir, const char *name, const char *heading,
			     const char *note, FILE *html, struct sb_errbuf *err)
{
	struct sb_table t;
	char path[4200];
	enum sb_err rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = sb_table_read(&t, path, err);
	if (rc)
		return rc;
	fprintf(html, "<h2>%s</h2>\n<p class=\"note\">%s (<code>%s</code>)</p>\n", heading,
		note, name);
	sb_html_table(html, &t);
	sb_table_release(&t);
	return SB_OK;
}

/*
 * An events folder (sentibt events): the path chart from event_path.csv (older folders
 * have none: a note), then the tables of ic.csv and event_study.csv.
 */
static enum sb_err report_events(struct sb_gp *g, const struct sb_report_opts *o,
				 const char *out, FILE *html, struct sb_errbuf *err)
{
	char path[4200];
	enum sb_err rc = SB_OK;

	sb_html_head(html, "sentibt event study report");
	fputs("<p>Result folder <code>", html);
	sb_html_esc(html, o->dir);
	fputs("</code>: what the price did after each article, by score bucket.</p>\n", html);
	sb_html_manifest(html, o->dir);
	snprintf(path, sizeof(path), "%s/event_path.csv", o->dir);
	if (is_file(path))
		rc = chart_event_path(g, path, out, html, err);
	else
		fputs("<p class=\"note\">No event_path.csv in the result folder (made by an "
		      "older sentibt): no path chart.</p>\n", html);
	if (!rc)
		rc = csv_table(o->dir, "ic.csv", "Information coefficient per horizon",
			       "Spearman's rank correlation of score with forward log return, its "
			       "t-statistic and the events with a return", html, err);
	if (!rc)
		rc = csv_table(o->dir, "event_study.csv", "Forward returns per horizon and bucket",
			       "Log returns; ci_lo, ci_hi: bootstrap 95% interval of the mean; "
			       "hit_rate: share of returns &gt; 0", html, err);
	return rc;
}

/* ---- the report folder ---- */

enum sb_err sb_report_run(const struct sb_report_opts *o, char *html_out, size_t cap,
			  struct sb_errbuf *err)
{
	char out_default[4200], path[4200], html_path[4200];
	const char *out = o->out;
	struct sb_gp *g;
	struct sb_run_dir rd;
	bool sweep, walk, events;
	FILE *html;
	enum sb_err rc;

	if (!out) {
		snprintf(out_default, sizeof(out_default), "%s/report", o->dir);
		out = out_default;
	}
	snprintf(path, sizeof(path), "%s/summary.csv", o->dir);
	sweep = is_file(path);
	snprintf(path, sizeof(path), "%s/walkforward.csv", o->dir);
	walk = is_file(path);
	snprintf(path, sizeof(path), "%s/event_study.csv", o->dir);
	events = is_file(path);
	snprintf(path, sizeof(path), "%s/metrics.json", o->dir);
	if (!sweep && !walk && !events && !is_file(path))
		return sb_errf(err, SB_EINVAL, "%s: expected a result folder with summary.csv "
			       "(sweep), walkforward.csv (walk-forward), event_study.csv (events) "
			       "or metrics.json (backtest)", o->dir);
	rc = sb_gp_new(&g, o->scripts, err);
	if (rc)
		return rc;
	rc = sb_run_dir_begin(&rd, out, o->force, err);
	if (rc)
		goto out_free;
	rc = sb_path_join(path, sizeof(path), rd.tmp, "data", err);
	if (!rc)
		rc = sb_mkdirs(path, err);
	if (!rc)
		rc = sb_path_join(html_path, sizeof(html_path), rd.tmp, "report.html", err);
	if (rc)
		goto out_abort;
	html = fopen(html_path, "w");
	if (!html) {
		rc = sb_errf(err, SB_EIO, "%s: cannot create: %s", html_path, strerror(errno));
		goto out_abort;
	}
	rc = sweep ? report_sweep(g, o, rd.tmp, html, err)
	   : walk ? report_walk_forward(g, o, rd.tmp, html, err)
	   : events ? report_events(g, o, rd.tmp, html, err)
		  : report_backtest(g, o, rd.tmp, html, err);
	if (rc) {
		fclose(html);
		goto out_abort;
	}
	sb_html_foot(html);
	rc = close_file(html, html_path, err);
	if (!rc)
		rc = sb_run_dir_commit(&rd, err);
	if (rc)
		goto out_abort;
	snprintf(html_out, cap, "%s/report.html", rd.final);
	goto out_free;
out_abort:
	sb_run_dir_abort(&rd);
out_free:
	sb_gp_free(g);
	return rc;
}
