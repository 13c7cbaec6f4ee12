/* report.c - the report of a result folder: sweep views, curves, histograms, report.html
 *
 * The CSVs of the result folder are read and checked (table.h), their plotted columns
 * written as plain whitespace data under OUT/data/ (kept, so a chart can be redrawn by
 * hand) and drawn by gnuplot (gnuplot.h) as PNG and SVG for papers; report.html
 * (html.h) draws the same curves itself with dygraphs (page.h), or shows the PNGs
 * when dygraphs is not installed.  Everything goes to a temporary folder renamed
 * into place at the end, so a failure leaves no partial report.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/atomic.h"   /* sb_path_within */
#include "../engine/results.h"
#include "gnuplot.h"
#include "html.h"
#include "page.h"
#include "table.h"

#define MAX_MULTIPLES 21      /* small multiples: every pair of up to 7 axes */
#define MAX_MARKED_TRADES 400 /* gnuplot draws entry and exit markers up to this many */

/* What every part of a report writes to. */
struct ctx {
	struct sb_gp *g;
	const struct sb_report_opts *o;
	const char *out;            /* the temporary report folder */
	FILE *html;
	struct sb_page page;
};

enum sb_err sb_report_parse_slice(const char *s, struct sb_slice *slice,
				  struct sb_errbuf *err)
{
	char buf[2048], *p, *next;

	memset(slice, 0, sizeof(*slice));
	if (!s)
		return SB_OK;
	if (strlen(s) >= sizeof(buf))
		return sb_errf(err, SB_EINVAL, "--slice: too long");
	strcpy(buf, s);
	for (p = buf; p; p = next) {
		char *eq = strchr(p, '=');

		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		if (!eq || eq == p || !eq[1])
			return sb_errf(err, SB_EINVAL, "--slice: expected COLUMN=VALUE, got '%s'", p);
		*eq = '\0';
		if (slice->n == SB_SLICE_MAX || strlen(p) >= sizeof(slice->name[0]) ||
		    strlen(eq + 1) >= sizeof(slice->text[0]))
			return sb_errf(err, SB_EINVAL, "--slice: at most %d columns of short names "
				       "and values", SB_SLICE_MAX);
		strcpy(slice->name[slice->n], p);
		strcpy(slice->text[slice->n++], eq + 1);
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

/* A gnuplot figure: an image on the static page, links for papers on the live one. */
static void figure(struct ctx *c, const char *base, const char *caption)
{
	if (c->page.live)
		sb_html_figure_link(c->html, base, caption);
	else
		sb_html_figure(c->html, base, caption);
}
/* ---- the charts of one run ---- */

/* The variables every chart but equity_top.gp takes first. */
static void chart_begin(struct sb_gp *g, const char *dat, const char *title,
			const char *subtitle)
{
	sb_gp_begin(g);
	sb_gp_str(g, "data", dat);
	sb_gp_text(g, "title", title);
	sb_gp_text(g, "subtitle", subtitle);
}

/* The columns of an equity.csv; drawdown in percent, buy_hold NaN when absent. */
struct curve {
	size_t n;
	double *t, *close, *pos, *eq, *dd, *bh;
	bool has_bh;
};

static void curve_release(struct curve *cv)
{
	free(cv->t);
	memset(cv, 0, sizeof(*cv));
}

static enum sb_err curve_read(struct curve *cv, const char *csv, struct sb_errbuf *err)
{
	static const char *const cols[] = { "time", "close", "position", "equity", "drawdown" };
	struct sb_table t;
	int c[5], bh;
	enum sb_err rc = sb_table_read(&t, csv, err);

	memset(cv, 0, sizeof(*cv));
	if (rc)
		return rc;
	rc = sb_table_need_cols(&t, csv, cols, c, 5, err);
	if (!rc && t.nrow == 0)
		rc = sb_errf(err, SB_EPARSE, "%s:2: expected at least one row", csv);
	if (!rc && !(cv->t = malloc(6 * t.nrow * sizeof(double))))
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
	if (rc) {
		sb_table_release(&t);
		return rc;
	}
	cv->n = t.nrow;
	cv->close = cv->t + t.nrow;
	cv->pos = cv->close + t.nrow;
	cv->eq = cv->pos + t.nrow;
	cv->dd = cv->eq + t.nrow;
	cv->bh = cv->dd + t.nrow;
	/* buy_hold is optional: result folders older than the benchmark lack it */
	bh = sb_table_col(&t, "buy_hold");
	cv->has_bh = bh >= 0;
	for (size_t r = 0; r < t.nrow; r++) {
		double pos = sb_table_cell(&t, r, c[2]);

		cv->t[r] = sb_table_cell(&t, r, c[0]);
		cv->close[r] = sb_table_cell(&t, r, c[1]);
		cv->pos[r] = (pos > 0) - (pos < 0);
		cv->eq[r] = sb_table_cell(&t, r, c[3]);
		cv->dd[r] = -100.0 * sb_table_cell(&t, r, c[4]);
		cv->bh[r] = sb_table_cell(&t, r, bh);
	}
	sb_table_release(&t);
	return SB_OK;
}

/* Rows of (t, y) decimated to the plot's buckets, as one gnuplot data block. */
static enum sb_err write_block(FILE *f, const double *t, const double *y, size_t n,
			       struct sb_errbuf *err)
{
	unsigned char *keep = malloc(n ? n : 1);

	if (!keep)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	sb_decimate(n, t, &y, 1, SB_PLOT_BUCKETS, keep);
	for (size_t r = 0; r < n; r++)
		if (keep[r])
			fprintf(f, "%.0f %.10g\n", t[r], y[r]);
	fputs("\n\n", f);
	free(keep);
	return SB_OK;
}

/* The trades of tr (may be NULL) as marker data, when there are few enough to mark. */
static enum sb_err trade_markers(struct ctx *c, const struct sb_table *tr, const char *base,
				 char dat[SB_GP_PATH], struct sb_errbuf *err)
{
	static const char *const cols[] = { "entry_time", "entry_price", "side", "exit_time",
					    "exit_price" };
	char name[128];
	int k[5];
	FILE *f;

	dat[0] = '\0';
	if (!tr || tr->nrow == 0 || tr->nrow > MAX_MARKED_TRADES ||
	    sb_table_need_cols(tr, "trades.csv", cols, k, 5, NULL))
		return SB_OK;
	snprintf(name, sizeof(name), "%s_trades", base);
	f = sb_gp_open_data(c->out, name, dat, err);
	if (!f)
		return SB_EIO;
	fputs("# entry_epoch entry_price side exit_epoch exit_price\n", f);
	for (size_t r = 0; r < tr->nrow; r++) {
		for (int j = 0; j < 5; j++)
			fprintf(f, "%.10g%c", sb_table_cell(tr, r, k[j]), j < 4 ? ' ' : '\n');
	}
	return close_file(f, dat, err);
}

/* The equity / drawdown / price chart of one curve (decimated), trades marked when few. */
static enum sb_err chart_equity(struct ctx *c, const struct curve *cv,
				const struct sb_table *tr, const char *base, const char *title,
				const char *subtitle, struct sb_errbuf *err)
{
	const double *ys[5] = { cv->close, cv->pos, cv->eq, cv->dd, cv->bh };
	char dat[SB_GP_PATH], tdat[SB_GP_PATH];
	unsigned char *keep;
	FILE *f;
	enum sb_err rc = trade_markers(c, tr, base, tdat, err);

	if (rc)
		return rc;
	keep = malloc(cv->n);
	if (!keep)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	sb_decimate(cv->n, cv->t, ys, 5, SB_PLOT_BUCKETS, keep);
	f = sb_gp_open_data(c->out, base, dat, err);
	if (!f) {
		free(keep);
		return SB_EIO;
	}
	fputs("# epoch_s close position_sign equity drawdown buy_hold (a min/max envelope of "
	      "the candles)\n", f);
	for (size_t r = 0; r < cv->n; r++)
		if (keep[r])
			fprintf(f, "%.0f %.10g %.0f %.10g %.10g %.10g\n", cv->t[r], cv->close[r],
				cv->pos[r], cv->eq[r], -cv->dd[r] / 100.0, cv->bh[r]);
	free(keep);
	rc = close_file(f, dat, err);
	if (rc)
		return rc;
	chart_begin(c->g, dat, title, subtitle);
	sb_gp_str(c->g, "trades", tdat);
	sb_gp_num(c->g, "H", 800);
	return sb_gp_run(c->g, "equity.gp", c->out, base, err);
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
static enum sb_err trades_figure(struct ctx *c, const char *csv, const char *base,
				 const char *what, const char *subtitle, struct sb_errbuf *err)
{
	size_t nt;
	enum sb_err rc;

	if (!is_file(csv))
		return SB_OK;
	rc = chart_trades(c->g, csv, c->out, base, what, subtitle, &nt, err);
	if (!rc && nt)
		figure(c, base, "trade returns");
	else if (!rc)
		fputs("<p class=\"note\">No trades.</p>\n", c->html);
	return rc;
}

/* trades.csv read for the markers; an empty table when there is none. */
static enum sb_err read_trades(struct sb_table *t, const char *csv, struct sb_errbuf *err)
{
	memset(t, 0, sizeof(*t));
	return is_file(csv) ? sb_table_read(t, csv, err) : SB_OK;
}

static void page_trades(struct sb_page_trades *pt, const char *name, const struct sb_table *t)
{
	pt->name = name;
	pt->t = t;
	pt->entry_time = sb_table_col(t, "entry_time");
	pt->entry_price = sb_table_col(t, "entry_price");
	pt->exit_time = sb_table_col(t, "exit_time");
	pt->exit_price = sb_table_col(t, "exit_price");
	pt->side = sb_table_col(t, "side");
}

/*
 * The interactive curves of k runs on the same candles: equity (and buy and hold),
 * drawdown and price with the trades, on one time axis.
 */
/*
 * The curves of the top combinations; 'same' has bit j set when curve j repeats an
 * earlier one (drawn dashed, so that both show).  Legends get a space after each comma
 * so that the browser can wrap them between parameters.
 */
static enum sb_err page_curves(struct ctx *c, const struct curve *cv, const char *const *names,
			       const struct sb_table *trades, int k, unsigned same,
			       struct sb_errbuf *err)
{
	const double *y[SB_TABLE_MAX_COLS];
	const char *nm[SB_TABLE_MAX_COLS];
	struct sb_page_trades pt[SB_TABLE_MAX_COLS];
	char (*spaced)[1200] = calloc((size_t)k + 1, sizeof(*spaced));
	enum sb_err rc;
	int m = 0;

	if (!spaced)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	for (int j = 0; j < k; j++) {
		size_t o = 0;

		for (const char *p = names[j]; *p && o + 3 < sizeof(spaced[j]); p++) {
			spaced[j][o++] = *p;
			if (*p == ',')
				spaced[j][o++] = ' ';
		}
		y[m] = cv[j].eq;
		nm[m++] = spaced[j];
		page_trades(&pt[j], spaced[j], &trades[j]);
	}
	if (cv[0].has_bh) {
		y[m] = cv[0].bh;
		nm[m++] = "buy and hold";
	}
	sb_page_group_begin(&c->page);
	rc = sb_page_time_chart(&c->page, "Equity (initial 10,000)", "equity", cv[0].n, cv[0].t,
				y, m, nm, same | (cv[0].has_bh ? 1u << k : 0), false, NULL, 0, err);
	for (int j = 0; j < k; j++)
		y[j] = cv[j].dd;
	if (!rc)
		rc = sb_page_time_chart(&c->page, "Drawdown (%)", "drawdown %", cv[0].n, cv[0].t,
					y, k, nm, 0, true, NULL, 0, err);
	y[0] = cv[0].close;
	nm[0] = "close";
	if (!rc)
		rc = sb_page_time_chart(&c->page, "Price, with the trades (triangles: entries, "
					"green long, red short; rings: exits)", "price", cv[0].n,
					cv[0].t, y, 1, nm, 0, false, pt, k, err);
	sb_page_group_end(&c->page);
	free(spaced);
	return rc;
}

/* ---- sweep ---- */

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

/* 'set xtics ("5m" 0, "15m" 1, ...)': each index named by its value, at most ~25. */
static void tics_of(char *buf, size_t cap, const char *axis, const struct sb_axis_view *a)
{
	size_t len = (size_t)snprintf(buf, cap, "set %s (", axis);
	size_t step = a->n > 25 ? (a->n + 24) / 25 : 1;

	for (size_t k = 0; k < a->n && len < cap; k += step) {
		char v[64];

		sb_sweep_fmt_param(a->name, a->v[k], v, sizeof(v));
		len += (size_t)snprintf(buf + len, cap - len, "%s\"%s\" %zu", k ? ", " : "", v, k);
	}
	if (len < cap)
		snprintf(buf + len, cap - len, ")");
}

/* "window (5m, 15m...)": an axis label with its unit. */
static void axis_label(char *buf, size_t cap, const struct sb_axis_view *a)
{
	snprintf(buf, cap, "%s%s", a->name, a->dur ? " (duration)" :
		 strstr(a->name, "bps") ? " (basis points)" : "");
}

/* What the other axes do, for a subtitle: "others at the best's: window=5m". */
static void others_text(const struct sb_sweep *s, int a, int b, enum sb_reduce red,
			char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	if (s->nax <= (b >= 0 ? 2 : 1))
		return;
	if (red != SB_REDUCE_SLICE) {
		snprintf(buf, cap, "each cell the %s over the other axes",
			 red == SB_REDUCE_MAX ? "best" : "median");
		return;
	}
	len = (size_t)snprintf(buf, cap, "other axes at the best combination's values:");
	for (int o = 0; o < s->nax && len < cap; o++) {
		char v[64];

		if (o == a || o == b)
			continue;
		sb_sweep_fmt_param(s->ax[o].name, sb_table_cell(s->t, s->best, s->ax[o].col), v,
				   sizeof(v));
		len += (size_t)snprintf(buf + len, cap - len, " %s=%s", s->ax[o].name, v);
	}
}

/* The cell of z with the best value, or SIZE_MAX. */
static size_t best_cell(const struct sb_sweep *s, const double *z, size_t n)
{
	size_t b = SIZE_MAX;

	for (size_t k = 0; k < n; k++)
		if (!isnan(z[k]) && (b == SIZE_MAX || (s->dir > 0 ? z[k] > z[b] : z[k] < z[b])))
			b = k;
	return b;
}

/* An HTML heatmap: one coloured cell per combination, values on hover (and printed
 * when the grid is small); 'small' for the multiples. */
static void heat_table(FILE *f, const struct sb_sweep *s, int a, int b, const double *z,
		       const size_t *row, bool small)
{
	const struct sb_axis_view *ax = &s->ax[a], *ay = &s->ax[b];
	size_t nx = ax->n, bc = best_cell(s, z, nx * ay->n);
	bool text = !small && nx <= 16, dense = !small && nx > 16;
	size_t every = small ? (nx + 7) / 8 : dense ? (nx + 11) / 12 : 1;   /* labelled columns */

	fprintf(f, "<table class=\"heat%s\"><tr><th>%s \\ %s</th>", small ? " small" :
		dense ? " dense" : "", ay->name, ax->name);
	for (size_t xi = 0; xi < nx; xi++) {
		char v[64];

		sb_sweep_fmt_param(ax->name, ax->v[xi], v, sizeof(v));
		fprintf(f, "<th>%s</th>", xi % every ? "" : v);
	}
	fputs("</tr>\n", f);
	for (size_t yi = ay->n; yi-- > 0;) {
		char v[64];

		sb_sweep_fmt_param(ay->name, ay->v[yi], v, sizeof(v));
		fprintf(f, "<tr><th>%s</th>", v);
		for (size_t xi = 0; xi < nx; xi++) {
			size_t k = yi * nx + xi;
			char rgb[8], xv[64], tip[600];
			bool dark;

			if (isnan(z[k])) {
				fputs("<td class=\"na\" title=\"no value\"></td>", f);
				continue;
			}
			sb_sweep_colour(s, z[k], rgb, &dark);
			sb_sweep_fmt_param(ax->name, ax->v[xi], xv, sizeof(xv));
			snprintf(tip, sizeof(tip), "%s=%s %s=%s: %s %.4g", ax->name, xv, ay->name, v,
				 s->metric, z[k]);
			if (row[k] != SIZE_MAX) {
				size_t len = strlen(tip);

				snprintf(tip + len, sizeof(tip) - len, " (id %.0f)",
					 sb_table_cell(s->t, row[k], sb_table_col(s->t, "id")));
			}
			fprintf(f, "<td style=\"background:%s;color:%s\"%s title=\"", rgb,
				dark ? "#fff" : "#111", k == bc ? " class=\"best\"" : "");
			sb_html_esc(f, tip);
			fputs("\">", f);
			if (text)
				fprintf(f, "%.3g", z[k]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* The heading of a sweep view and its note. */
static void view_heading(struct ctx *c, const char *title, const char *sub, const char *more)
{
	fputs("<h3>", c->html);
	sb_html_esc(c->html, title);
	fputs("</h3>\n<p class=\"note\">", c->html);
	sb_html_esc(c->html, sub);
	fprintf(c->html, "%s</p>\n", more);
}

/* heatmap.gp over axes a (x) and b (y), and the HTML heatmap. */
static enum sb_err sweep_heatmap(struct ctx *c, const struct sb_sweep *s, int a, int b,
				 const double *z, const size_t *row, struct sb_errbuf *err)
{
	const struct sb_axis_view *ax = &s->ax[a], *ay = &s->ax[b];
	char dat[SB_GP_PATH], title[512], sub[2048], xt[4096], yt[4096], xl[128], yl[128],
	     ml[128], pal[512];
	size_t nx = ax->n, ny = ay->n, bc = best_cell(s, z, nx * ny);
	FILE *f = sb_gp_open_data(c->out, "heatmap", dat, err);
	enum sb_err rc;

	if (!f)
		return SB_EIO;
	fputs("# x_index y_index value label_rgb\n", f);
	for (size_t k = 0; k < nx * ny; k++) {
		char rgb[8];
		bool dark;

		if (isnan(z[k]))
			continue;
		sb_sweep_colour(s, z[k], rgb, &dark);
		fprintf(f, "%zu %zu %.10g %d\n", k % nx, k / nx, z[k], dark ? 0xffffff : 0x111111);
	}
	rc = close_file(f, dat, err);
	if (rc)
		return rc;
	sb_sweep_metric_label(s, ml, sizeof(ml));
	snprintf(title, sizeof(title), "%s over %s x %s", ml, ax->name, ay->name);
	others_text(s, a, b, c->o->reduce, sub, sizeof(sub));
	if (!sub[0])
		snprintf(sub, sizeof(sub), "all combinations");
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "; outlined: the best; grey: "
		 "no value; colours clipped at the 2nd and 98th percentiles");
	tics_of(xt, sizeof(xt), "xtics", ax);
	tics_of(yt, sizeof(yt), "ytics", ay);
	axis_label(xl, sizeof(xl), ax);
	axis_label(yl, sizeof(yl), ay);
	sb_sweep_gnuplot_palette(s, pal, sizeof(pal));
	chart_begin(c->g, dat, title, sub);
	sb_gp_num(c->g, "nx", (double)nx);
	sb_gp_num(c->g, "ny", (double)ny);
	sb_gp_str(c->g, "xlabel", xl);
	sb_gp_str(c->g, "ylabel", yl);
	sb_gp_str(c->g, "cblabel", ml);
	sb_gp_str(c->g, "xtics", xt);
	sb_gp_str(c->g, "ytics", yt);
	sb_gp_str(c->g, "palette", pal);
	sb_gp_num(c->g, "cbmin", s->lo);
	sb_gp_num(c->g, "cbmax", s->hi);
	sb_gp_num(c->g, "labels", nx <= 20 && ny <= 14);
	sb_gp_num(c->g, "bx", bc == SIZE_MAX ? -1 : (double)(bc % nx));
	sb_gp_num(c->g, "by", bc == SIZE_MAX ? -1 : (double)(bc / nx));
	sb_gp_num(c->g, "W", 1000);
	sb_gp_num(c->g, "H", ny * 3 < nx ? 420 : 640);
	rc = sb_gp_run(c->g, "heatmap.gp", c->out, "heatmap", err);
	if (rc)
		return rc;
	view_heading(c, title, sub, " (hover a cell for its combination)");
	heat_table(c->html, s, a, b, z, row, false);
	figure(c, "heatmap", title);
	return SB_OK;
}

/*
 * The Sharpe ratio's 95 % interval (Lo 2002, Mertens 2002, as in the PSR): the
 * annualised Sharpe +- 1.96 A sqrt((1 - g3 SR + (g4 - 1)/4 SR^2) / (T - 1)), SR = the
 * per-candle Sharpe, A = sqrt(candles per year), T = candles (stats.json, manifest.json).
 */
static void sharpe_band(const struct ctx *c, const struct sb_sweep *s, const size_t *row,
			size_t n, double *lo, double *hi)
{
	double T = sb_html_json_num(c->o->dir, "stats.json", "candles", NULL);
	double iv = sb_html_json_num(c->o->dir, "manifest.json", "parameters", "interval");
	double A = sqrt(365.0 * 86400.0 / iv);
	int sk = sb_table_col(s->t, "skew"), ku = sb_table_col(s->t, "kurtosis");

	for (size_t k = 0; k < n; k++) {
		double sr, v, se;

		lo[k] = hi[k] = NAN;
		if (row[k] == SIZE_MAX || !(T > 1) || !(iv > 0) || sk < 0 || ku < 0)
			continue;
		sr = sb_table_cell(s->t, row[k], s->mcol) / A;
		v = 1 - sb_table_cell(s->t, row[k], sk) * sr +
		    (sb_table_cell(s->t, row[k], ku) - 1) / 4 * sr * sr;
		if (!(v > 0))
			continue;
		se = A * sqrt(v / (T - 1));
		lo[k] = sr * A - 1.96 * se;
		hi[k] = sr * A + 1.96 * se;
	}
}

/* line.gp over axis a, and the interactive line. */
static enum sb_err sweep_line(struct ctx *c, const struct sb_sweep *s, int a, const double *z,
			      const size_t *row, struct sb_errbuf *err)
{
	const struct sb_axis_view *ax = &s->ax[a];
	char dat[SB_GP_PATH], title[512], sub[2048], xt[4096] = "", xl[128], ml[128];
	size_t n = ax->n, bc = best_cell(s, z, n);
	bool band = !strcmp(s->metric, "sharpe") && c->o->reduce != SB_REDUCE_MEDIAN;
	double *lo = malloc(2 * n * sizeof(*lo)), *hi = lo ? lo + n : NULL;
	struct sb_page_series ps;
	FILE *f;
	enum sb_err rc;

	if (!lo)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++)
		lo[k] = hi[k] = NAN;
	if (band)
		sharpe_band(c, s, row, n, lo, hi);
	f = sb_gp_open_data(c->out, "line", dat, err);
	if (!f) {
		free(lo);
		return SB_EIO;
	}
	fputs("# x value interval_lo interval_hi\n", f);
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%.10g %.10g %.10g %.10g\n", ax->dur ? (double)k : ax->v[k], z[k],
			isnan(lo[k]) ? z[k] : lo[k], isnan(hi[k]) ? z[k] : hi[k]);
	rc = close_file(f, dat, err);
	if (rc)
		goto out_free;
	sb_sweep_metric_label(s, ml, sizeof(ml));
	axis_label(xl, sizeof(xl), ax);
	snprintf(title, sizeof(title), "%s over %s", ml, ax->name);
	others_text(s, a, -1, c->o->reduce, sub, sizeof(sub));
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "%s%s", sub[0] ? "; " : "",
		 band ? "band: 95% interval of the Sharpe ratio (skewness and kurtosis "
		 "of the returns)" : "circled: the best");
	if (ax->dur)
		tics_of(xt, sizeof(xt), "xtics", ax);
	chart_begin(c->g, dat, title, sub);
	sb_gp_str(c->g, "xtics", xt);
	sb_gp_num(c->g, "band", band);
	sb_gp_str(c->g, "xlabel", xl);
	sb_gp_str(c->g, "ylabel", ml);
	sb_gp_num(c->g, "bx", bc == SIZE_MAX ? 0 : ax->dur ? (double)bc : ax->v[bc]);
	sb_gp_num(c->g, "by", bc == SIZE_MAX ? 0 : z[bc]);
	sb_gp_num(c->g, "H", 520);
	rc = sb_gp_run(c->g, "line.gp", c->out, "line", err);
	if (rc)
		goto out_free;
	view_heading(c, title, sub, "");
	ps.name = s->metric;
	ps.y = z;
	ps.lo = band ? lo : NULL;
	ps.hi = band ? hi : NULL;
	sb_page_xy_chart(&c->page, title, ax->name, ml, ax->dur, n, ax->v, &ps, 1);
	figure(c, "line", title);
out_free:
	free(lo);
	return rc;
}

/* The axes to map: --x/--y, else the first two that vary; -1 for none. */
static enum sb_err view_axes(const struct sb_report_opts *o, const struct sb_sweep *s,
			     int ax[2], bool *usage, struct sb_errbuf *err)
{
	const char *names[2] = { o->x, o->y };
	char list[1024];

	ax[0] = ax[1] = -1;
	sb_sweep_axis_list(s, list, sizeof(list));
	if (o->y && !o->x) {
		*usage = true;
		return sb_errf(err, SB_EINVAL, "--y needs --x");
	}
	for (int k = 0; k < 2; k++)
		if (names[k]) {
			ax[k] = sb_sweep_axis(s, names[k]);
			if (k == 1 && ax[1] >= 0 && ax[1] == ax[0]) {
				*usage = true;
				return sb_errf(err, SB_EINVAL, "--x and --y: expected two different axes, got '%s' twice",
					       names[1]);
			}
			if (ax[k] < 0) {
				*usage = true;
				return sb_errf(err, SB_EINVAL, "--%c: '%s' is not an axis that varies "
					       "in this sweep (axes: %s)", k ? 'y' : 'x', names[k], list);
			}
		}
	for (int k = 0, next = 0; k < 2 && !o->x; k++) {
		while (next < s->nax && next == ax[0])
			next++;
		if (next < s->nax)
			ax[k] = next++;
	}
	return SB_OK;
}

/* The main view: a heatmap over two axes, a line over one. */
static enum sb_err sweep_view(struct ctx *c, const struct sb_sweep *s, bool *usage,
			      struct sb_errbuf *err)
{
	int ax[2];
	size_t cells;
	double *z;
	size_t *row;
	enum sb_err rc = view_axes(c->o, s, ax, usage, err);

	if (rc)
		return rc;
	fprintf(c->html, "<h2>%s over the parameters</h2>\n", s->metric);
	if (ax[0] < 0) {
		fputs("<p class=\"note\">No parameter varies: nothing to map.</p>\n", c->html);
		return SB_OK;
	}
	cells = s->ax[ax[0]].n * (ax[1] >= 0 ? s->ax[ax[1]].n : 1);
	z = malloc(cells * sizeof(*z));
	row = malloc(cells * sizeof(*row));
	if (!z || !row) {
		free(z);
		free(row);
		return sb_errf(err, SB_ENOMEM, "out of memory");
	}
	sb_sweep_grid(s, ax[0], ax[1], c->o->reduce, z, row);
	rc = ax[1] >= 0 ? sweep_heatmap(c, s, ax[0], ax[1], z, row, err)
			: sweep_line(c, s, ax[0], z, row, err);
	free(z);
	free(row);
	return rc;
}

/* More than two axes vary: a small heatmap for every pair, on the report's one scale. */
static enum sb_err sweep_multiples(struct ctx *c, const struct sb_sweep *s,
				   struct sb_errbuf *err)
{
	int shown = 0;

	if (s->nax <= 2)
		return SB_OK;
	fprintf(c->html, "<h2>Every pair of axes</h2>\n<p class=\"note\">%s over each pair of "
		"the %d axes that vary; in each, the other axes %s. One colour scale for all; "
		"outlined: the best cell. Choose a pair for the large map with --x and --y.</p>\n"
		"<div class=\"multiples\">\n", s->metric, s->nax, c->o->reduce == SB_REDUCE_SLICE ?
		"are at the best combination's values" : c->o->reduce == SB_REDUCE_MAX ?
		"are reduced to their best" : "are reduced to their median");
	for (int a = 0; a < s->nax; a++)
		for (int b = a + 1; b < s->nax && shown < MAX_MULTIPLES; b++) {
			size_t cells = s->ax[a].n * s->ax[b].n;
			double *z = malloc(cells * sizeof(*z));
			size_t *row = malloc(cells * sizeof(*row));

			if (!z || !row) {
				free(z);
				free(row);
				return sb_errf(err, SB_ENOMEM, "out of memory");
			}
			sb_sweep_grid(s, a, b, c->o->reduce, z, row);
			fputs("<div>", c->html);
			heat_table(c->html, s, a, b, z, row, true);
			fputs("</div>\n", c->html);
			free(z);
			free(row);
			shown++;
		}
	fputs("</div>\n", c->html);
	return SB_OK;
}

/* The curves and histograms of the top K that have curves, then all of them together. */
static enum sb_err sweep_curves(struct ctx *c, const struct sb_sweep *s, const size_t *order,
				struct sb_errbuf *err)
{
	const struct sb_report_opts *o = c->o;
	const struct sb_table *t = s->t;
	int idcol = sb_table_col(t, "id");
	char dat[SB_GP_PATH], title[1024], names_gp[4096] = "";
	char (*names)[1100] = calloc(o->top ? o->top : 1, sizeof(*names));
	const char **nm = calloc(o->top ? o->top : 1, sizeof(*nm));
	struct curve *cv = calloc(o->top ? o->top : 1, sizeof(*cv));
	struct sb_table *tr = calloc(o->top ? o->top : 1, sizeof(*tr));
	size_t k = 0, later_len = 0;
	FILE *top = NULL, *html = NULL;
	char *later = NULL, twin[32] = "";
	unsigned same = 0;   /* bit k: curve k repeats an earlier one (dashed on the page) */
	enum sb_err rc = SB_OK;

	fputs("<h2>Best combinations: curves</h2>\n", c->html);
	if (!names || !nm || !cv || !tr) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}
	/* the interactive charts come first: the sections of each combination wait here */
	html = c->html;
	c->html = open_memstream(&later, &later_len);
	if (!c->html) {
		c->html = html;
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}
	top = sb_gp_open_data(c->out, "equity_top", dat, err);
	if (!top) {
		rc = SB_EIO;
		goto out_free;
	}
	for (size_t i = 0; i < t->nrow && k < o->top && !rc; i++) {
		size_t r = order[i], id = (size_t)sb_table_cell(t, r, idcol);
		char base[64], what[1024], name[64], eq[4200], trp[4200];

		snprintf(eq, sizeof(eq), "%s/equity/%zu.csv", o->dir, id);
		snprintf(trp, sizeof(trp), "%s/trades/%zu.csv", o->dir, id);
		if (!is_file(eq))
			continue;
		rc = curve_read(&cv[k], eq, err);
		if (!rc)
			rc = read_trades(&tr[k], trp, err);
		if (rc)
			break;
		if (cv[k].n != cv[0].n || cv[k].t[0] != cv[0].t[0]) {
			rc = sb_errf(err, SB_EPARSE, "%s: expected the candles of equity/%.0f.csv",
				     eq, sb_table_cell(t, order[0], idcol));
			break;
		}
		/*
		 * legends: the rank and the parameters that vary, no spaces (gnuplot's words);
		 * a curve equal to an earlier one says so ("#8=#7"), else it would hide
		 */
		sb_sweep_params(s, r, s->nax == 0, ",", what, sizeof(what));
		for (size_t j = 0; j < k; j++)
			if (k < 31 && !memcmp(cv[j].eq, cv[k].eq, cv[k].n * sizeof(*cv[k].eq))) {
				same |= 1u << k;
				snprintf(twin, sizeof(twin), "=#%zu", j + 1);
				break;
			}
		snprintf(names[k], sizeof(names[k]), "#%zu%s:%s", k + 1, same >> k & 1 ? twin : "",
			 what);
		nm[k] = names[k];
		sb_sweep_params(s, r, true, ", ", what, sizeof(what));
		snprintf(title, sizeof(title), "Combination %zu, #%zu by %s (%.4g)", id, k + 1,
			 o->metric, sb_table_cell(t, r, s->mcol));
		snprintf(base, sizeof(base), "equity_%zu", id);
		rc = chart_equity(c, &cv[k], &tr[k], base, title, what, err);
		if (rc)
			break;
		fprintf(c->html, "<h3>#%zu: combination %zu</h3>\n<p>", k + 1, id);
		sb_html_esc(c->html, what);
		fputs("</p>\n", c->html);
		figure(c, base, what);
		snprintf(base, sizeof(base), "trades_%zu", id);
		snprintf(name, sizeof(name), "combination %zu", id);
		rc = trades_figure(c, trp, base, name, what, err);
		if (!rc)
			rc = write_block(top, cv[k].t, cv[k].eq, cv[k].n, err);
		snprintf(names_gp + strlen(names_gp), sizeof(names_gp) - strlen(names_gp), "%s%s",
			 k ? " " : "", names[k]);
		k++;
	}
	if (!rc && k && cv[0].has_bh) {
		rc = write_block(top, cv[0].t, cv[0].bh, cv[0].n, err);
		snprintf(names_gp + strlen(names_gp), sizeof(names_gp) - strlen(names_gp),
			 " buy-and-hold");
	}
	if (fclose(top) != 0 && !rc)
		rc = sb_errf(err, SB_EIO, "%s: write failed", dat);
	if (!rc && k) {
		snprintf(title, sizeof(title), "Equity of the top %zu combinations by %s", k,
			 o->metric);
		sb_gp_begin(c->g);
		sb_gp_str(c->g, "data", dat);
		sb_gp_str(c->g, "names", names_gp);
		sb_gp_text(c->g, "title", title);
		sb_gp_num(c->g, "n", (double)(k + (cv[0].has_bh ? 1 : 0)));
		rc = sb_gp_run(c->g, "equity_top.gp", c->out, "equity_top", err);
		if (!rc)
			figure(c, "equity_top", title);
	} else if (!rc) {
		fputs("<p class=\"note\">No equity curves in the result folder.</p>\n", c->html);
	}
out_free:
	if (html) {
		fclose(c->html);
		c->html = html;
		if (!rc && k)
			rc = page_curves(c, cv, nm, tr, (int)k, same, err);
		if (later)
			fwrite(later, 1, later_len, c->html);
		free(later);
	}
	for (size_t j = 0; cv && tr && j < o->top; j++) {
		curve_release(&cv[j]);
		sb_table_release(&tr[j]);
	}
	free(names);
	free(nm);
	free(cv);
	free(tr);
	return rc;
}

static enum sb_err report_sweep(struct ctx *c, bool *usage, struct sb_errbuf *err)
{
	const struct sb_report_opts *o = c->o;
	struct sb_table t;
	struct sb_sweep s;
	char path[4200];
	size_t *order = NULL;
	enum sb_err rc;

	snprintf(path, sizeof(path), "%s/summary.csv", o->dir);
	rc = sb_table_read(&t, path, err);
	if (rc)
		return rc;
	if (t.nrow == 0) {
		rc = sb_errf(err, SB_EPARSE, "%s:2: expected at least one combination", path);
		goto out_table;
	}
	rc = sb_sweep_init(&s, &t, o->metric, &o->slice, err);
	if (rc) {
		*usage = rc == SB_EINVAL;
		goto out_sweep;
	}
	order = malloc(t.nrow * sizeof(*order));
	if (!order) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_sweep;
	}
	for (size_t r = 0; r < t.nrow; r++)
		order[r] = r;
	g_rank_t = &t;
	g_rank_col = s.mcol;
	g_rank_dir = s.dir;
	qsort(order, t.nrow, sizeof(*order), cmp_rank);

	sb_html_head(c->html, "sentibt sweep report");
	fprintf(c->html, "<p>Result folder <code>");
	sb_html_esc(c->html, o->dir);
	fprintf(c->html, "</code>: %zu combinations, ranked by %s.</p>\n", t.nrow, o->metric);
	sb_page_note(&c->page);
	sb_html_top_table(c->html, &s, order);
	rc = sweep_view(c, &s, usage, err);
	if (!rc)
		rc = sweep_multiples(c, &s, err);
	if (!rc)
		rc = sweep_curves(c, &s, order, err);
	if (!rc) {
		sb_html_stats(c->html, o->dir);
		sb_html_manifest(c->html, o->dir);
	}
out_sweep:
	free(order);
	sb_sweep_release(&s);
out_table:
	sb_table_release(&t);
	return rc;
}

/* The options that depend on summary.csv (metric, slice, axes), checked on their own. */
static enum sb_err sweep_options(const struct sb_report_opts *o, bool *usage,
				 struct sb_errbuf *err)
{
	struct sb_table t;
	struct sb_sweep s;
	char path[4200];
	int ax[2];
	enum sb_err rc;

	snprintf(path, sizeof(path), "%s/summary.csv", o->dir);
	rc = sb_table_read(&t, path, err);
	if (rc)
		return rc;
	rc = sb_sweep_init(&s, &t, o->metric, &o->slice, err);
	if (rc)
		*usage = rc == SB_EINVAL;
	else
		rc = view_axes(o, &s, ax, usage, err);
	sb_sweep_release(&s);
	sb_table_release(&t);
	return rc;
}

/* ---- backtest ---- */

static enum sb_err report_backtest(struct ctx *c, struct sb_errbuf *err)
{
	const struct sb_report_opts *o = c->o;
	char path[4200], params[1024], title[1200];
	struct curve cv;
	struct sb_table tr;
	const char *name;
	enum sb_err rc;

	sb_html_run_params(o->dir, params, sizeof(params));
	sb_html_head(c->html, "sentibt backtest report");
	fputs("<p>Result folder <code>", c->html);
	sb_html_esc(c->html, o->dir);
	fputs("</code>: ", c->html);
	sb_html_esc(c->html, params);
	fputs(".</p>\n", c->html);
	sb_page_note(&c->page);
	rc = sb_html_metrics(c->html, o->dir, err);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/equity.csv", o->dir);
	rc = curve_read(&cv, path, err);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/trades.csv", o->dir);
	rc = read_trades(&tr, path, err);
	if (rc)
		goto out_curve;
	snprintf(title, sizeof(title), "Backtest: equity, drawdown and price");
	rc = chart_equity(c, &cv, &tr, "equity", title, params, err);
	if (rc)
		goto out_trades;
	fputs("<h2>Curves</h2>\n", c->html);
	name = "strategy";
	rc = page_curves(c, &cv, &name, &tr, 1, 0, err);
	if (rc)
		goto out_trades;
	figure(c, "equity", "equity, drawdown and price");
	rc = trades_figure(c, path, "trades", "backtest", "open trades marked at the last close",
			   err);
	if (!rc)
		sb_html_manifest(c->html, o->dir);
out_trades:
	sb_table_release(&tr);
out_curve:
	curve_release(&cv);
	return rc;
}

/* ---- walk-forward ---- */

/*
 * The stitched out-of-sample equity, one series per fold (one in all past 12 folds),
 * and the stitched buy-and-hold (dashed) when the folder has it (bh: its column, or -1).
 */
static enum sb_err page_folds(struct ctx *c, const struct sb_table *et, const int *ec, int bh,
			      struct sb_errbuf *err)
{
	enum { MAX_FOLDS = 12 };
	const double *y[MAX_FOLDS + 1];
	const char *nm[MAX_FOLDS + 1];
	char names[MAX_FOLDS][32];
	size_t n = et->nrow;
	double *t = malloc((MAX_FOLDS + 2) * n * sizeof(*t)), *v = t ? t + n : NULL;
	int m = 1;
	enum sb_err rc;

	if (!t)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	for (size_t r = 1; r < n; r++)
		m += sb_table_cell(et, r, ec[1]) != sb_table_cell(et, r - 1, ec[1]);
	if (m > MAX_FOLDS)
		m = 1;
	for (size_t k = 0; k < (size_t)m * n; k++)
		v[k] = NAN;
	for (size_t r = 0, f = 0; r < n; r++) {
		bool first = r == 0 || sb_table_cell(et, r, ec[1]) != sb_table_cell(et, r - 1, ec[1]);

		if (first && r && m > 1)
			f++;
		if (first && (m > 1 || r == 0)) {
			snprintf(names[f], sizeof(names[f]), m > 1 ? "fold %.0f" : "out of sample",
				 sb_table_cell(et, r, ec[1]));
			nm[f] = names[f];
			y[f] = v + f * n;
		}
		t[r] = sb_table_cell(et, r, ec[0]);
		v[f * n + r] = sb_table_cell(et, r, ec[2]);
	}
	if (bh >= 0) {
		double *b = v + (size_t)m * n;

		for (size_t r = 0; r < n; r++)
			b[r] = sb_table_cell(et, r, bh);
		y[m] = b;
		nm[m] = "buy-and-hold";
	}
	rc = sb_page_time_chart(&c->page, "Out-of-sample equity, the folds' test parts stitched",
				"equity", n, t, y, m + (bh >= 0), nm, bh >= 0 ? 1u << m : 0, false,
				NULL, 0, err);
	free(t);
	return rc;
}

/*
 * A walk-forward folder (sweep --walk-forward / --split): the folds table and the
 * stitched out-of-sample equity, one gnuplot data block per fold (equity_top.gp).
 */
static enum sb_err report_walk_forward(struct ctx *c, struct sb_errbuf *err)
{
	const struct sb_report_opts *o = c->o;
	struct sb_gp *g = c->g;
	FILE *html = c->html;
	static const char *const fcols[] = { "fold", "id", "is_total_return", "oos_total_return",
					     "is_sharpe", "oos_sharpe" };
	static const char *const ecols[] = { "time", "fold", "equity" };
	struct sb_table ft, et;
	char path[4200], dat[SB_GP_PATH], names[1024] = "";
	int fc[6], ec[3], bh;
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
	sb_page_note(&c->page);
	fputs("<table><tr><th>fold</th><th>id</th><th>in-sample return</th>"
	      "<th>out-of-sample return</th><th>in-sample Sharpe</th><th>out-of-sample Sharpe</th></tr>\n",
	      html);
	for (size_t r = 0; r < ft.nrow; r++) {
		fputs("<tr>", html);
		for (int k = 0; k < 6; k++) {   /* returns in %, as everywhere */
			const char *n = fcols[k];

			n += !strncmp(n, "is_", 3) ? 3 : !strncmp(n, "oos_", 4) ? 4 : 0;
			sb_html_metric_cell(html, n, sb_table_cell(&ft, r, fc[k]));
		}
		fputs("</tr>\n", html);
	}
	fputs("</table>\n", html);
	bh = sb_table_col(&et, "buy_hold");   /* absent from folders before the benchmark */
	rc = page_folds(c, &et, ec, bh, err);
	if (rc)
		goto out_et;
	f = sb_gp_open_data(c->out, "oos_equity", dat, err);
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
	if (bh >= 0) {   /* the stitched benchmark, one more block */
		fputs("\n\n", f);
		for (size_t r = 0; r < et.nrow; r++)
			fprintf(f, "%.0f %.17g\n", sb_table_cell(&et, r, ec[0]),
				sb_table_cell(&et, r, bh));
		snprintf(names + strlen(names), sizeof(names) - strlen(names), " buy-and-hold");
	}
	rc = close_file(f, dat, err);
	if (!rc) {
		size_t n = 1;

		for (const char *p = names; *p; p++)
			n += *p == ' ';
		sb_gp_begin(g);
		sb_gp_str(g, "data", dat);
		sb_gp_str(g, "names", names);
		sb_gp_text(g, "title", "Out-of-sample equity, the folds' test parts stitched (compounded)");
		sb_gp_num(g, "n", (double)n);
		rc = sb_gp_run(g, "equity_top.gp", c->out, "oos_equity", err);
	}
	if (!rc) {
		figure(c, "oos_equity", "out-of-sample equity by fold");
		sb_html_manifest(html, o->dir);
	}
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

/* The event path as an interactive chart: one series per bucket, its band the interval. */
static enum sb_err page_event_path(struct ctx *c, const struct sb_table *t, const int *col,
				   const char *title, struct sb_errbuf *err)
{
	enum { MAX_BUCKETS = 16 };
	struct sb_page_series s[MAX_BUCKETS];
	char names[MAX_BUCKETS][128];
	size_t nx = 0;
	int m = 0;
	double *x = malloc((1 + 3 * MAX_BUCKETS) * (t->nrow + 1) * sizeof(*x)), *v;

	if (!x)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	/* the offsets, sorted and distinct */
	for (size_t r = 0; r < t->nrow; r++)
		x[nx++] = sb_table_cell(t, r, col[2]) / 60.0;
	qsort(x, nx, sizeof(*x), cmp_double);
	{
		size_t w = 0;

		for (size_t r = 0; r < nx; r++)
			if (r == 0 || x[r] != x[w - 1])
				x[w++] = x[r];
		nx = w;
	}
	v = x + nx;
	for (size_t k = 0; k < 3 * MAX_BUCKETS * nx; k++)
		v[k] = NAN;
	for (size_t r0 = 0; r0 < t->nrow && m < MAX_BUCKETS;) {
		double lo = sb_table_cell(t, r0, col[0]), hi = sb_table_cell(t, r0, col[1]);
		double *y = v + 3 * (size_t)m * nx;
		size_t r1 = r0, rows = 0;

		while (r1 < t->nrow && sb_table_cell(t, r1, col[0]) == lo &&
		       sb_table_cell(t, r1, col[1]) == hi)
			r1++;
		for (size_t r = r0; r < r1; r++) {
			size_t i = 0;

			if (!(sb_table_cell(t, r, col[3]) > 0))
				continue;
			while (i < nx && x[i] != sb_table_cell(t, r, col[2]) / 60.0)
				i++;
			y[i] = 100 * sb_table_cell(t, r, col[4]);
			y[nx + i] = 100 * sb_table_cell(t, r, col[5]);
			y[2 * nx + i] = 100 * sb_table_cell(t, r, col[6]);
			rows++;
		}
		if (rows) {
			bucket_name(names[m], sizeof(names[m]), lo, hi, r1 == t->nrow);
			s[m] = (struct sb_page_series){ names[m], y, y + nx, y + 2 * nx };
			m++;
		}
		r0 = r1;
	}
	sb_page_xy_chart(&c->page, title, "minutes from the article's candle close",
			 "mean cumulative log return (%)", false, nx, x, s, m);
	free(x);
	return SB_OK;
}

/* event_path.csv -> data/event_path.dat (one block per bucket with events) and its chart. */
static enum sb_err chart_event_path(struct ctx *c, const char *csv, struct sb_errbuf *err)
{
	struct sb_gp *g = c->g;
	FILE *html = c->html;
	static const char *const cols[] = { "bucket_lo", "bucket_hi", "offset_s", "n", "mean",
					    "ci_lo", "ci_hi" };
	struct sb_table t;
	int col[7];
	char dat[SB_GP_PATH], names[4096] = "", title[256];
	size_t blocks = 0, nmax = 0;
	FILE *f;
	enum sb_err rc = sb_table_read(&t, csv, err);

	if (rc)
		return rc;
	rc = sb_table_need_cols(&t, csv, cols, col, 7, err);
	if (rc)
		goto out_table;
	f = sb_gp_open_data(c->out, "event_path", dat, err);
	if (!f) {
		rc = SB_EIO;
		goto out_table;
	}
	fputs("# minutes mean_pct ci_lo_pct ci_hi_pct (log return from the entry close, %)\n", f);
	for (size_t r0 = 0; r0 < t.nrow;) {
		double lo = sb_table_cell(&t, r0, col[0]), hi = sb_table_cell(&t, r0, col[1]);
		size_t r1 = r0, rows = 0;

		while (r1 < t.nrow && sb_table_cell(&t, r1, col[0]) == lo &&
		       sb_table_cell(&t, r1, col[1]) == hi)
			r1++;
		for (size_t r = r0; r < r1; r++) {
			double n = sb_table_cell(&t, r, col[3]);

			if (!(n > 0))
				continue;
			if (rows == 0 && blocks)
				fputs("\n\n", f);
			if ((size_t)n > nmax)
				nmax = (size_t)n;
			/* no interval (--path-bootstrap 0): a band of zero width at the mean */
			fprintf(f, "%.17g %.17g %.17g %.17g\n", sb_table_cell(&t, r, col[2]) / 60.0,
				100 * sb_table_cell(&t, r, col[4]),
				100 * (isnan(sb_table_cell(&t, r, col[5])) ? sb_table_cell(&t, r, col[4])
									   : sb_table_cell(&t, r, col[5])),
				100 * (isnan(sb_table_cell(&t, r, col[6])) ? sb_table_cell(&t, r, col[4])
									   : sb_table_cell(&t, r, col[6])));
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
	sb_gp_text(g, "title", title);
	sb_gp_text(g, "subtitle", "bands: bootstrap 95% interval of the mean; 0 = the close of "
		  "the article's candle (the entry)");
	sb_gp_num(g, "n", (double)blocks);
	rc = sb_gp_run(g, "event_path.gp", c->out, "event_path", err);
	if (!rc)
		rc = page_event_path(c, &t, col, title, err);
	if (!rc)
		figure(c, "event_path", "mean cumulative log return path by score bucket, "
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
static enum sb_err report_events(struct ctx *c, struct sb_errbuf *err)
{
	const struct sb_report_opts *o = c->o;
	FILE *html = c->html;
	char path[4200];
	enum sb_err rc = SB_OK;

	sb_html_head(html, "sentibt event study report");
	fputs("<p>Result folder <code>", html);
	sb_html_esc(html, o->dir);
	fputs("</code>: what the price did after each article, by score bucket.</p>\n", html);
	sb_page_note(&c->page);
	snprintf(path, sizeof(path), "%s/event_path.csv", o->dir);
	if (is_file(path))
		rc = chart_event_path(c, path, err);
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
	if (!rc)
		sb_html_manifest(html, o->dir);
	return rc;
}

/* ---- the report folder ---- */

enum sb_err sb_report_run(const struct sb_report_opts *o, char *html_out, size_t cap,
			  bool *usage, struct sb_errbuf *err)
{
	char out_default[4200], path[4200], html_path[4200];
	const char *out = o->out;
	struct ctx c = { .o = o };
	struct sb_run_dir rd;
	bool sweep, walk, events;
	enum sb_err rc;

	*usage = false;
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
	if (sweep) {
		rc = sweep_options(o, usage, err);      /* usage errors before any folder */
		if (rc)
			return rc;
	}
	if (o->force && sb_path_within(o->dir, out))   /* the results would go with it */
		return sb_errf(err, SB_EINVAL, "%s: the result folder is inside %s, which --force would replace; write the report elsewhere",
			       o->dir, out);
	rc = sb_gp_new(&c.g, o->scripts, err);
	if (rc)
		return rc;
	rc = sb_run_dir_begin(&rd, out, o->force, err);
	if (rc)
		goto out_free;
	c.out = rd.tmp;
	rc = sb_path_join(path, sizeof(path), rd.tmp, "data", err);
	if (!rc)
		rc = sb_mkdirs(path, err);
	if (!rc)
		rc = sb_path_join(html_path, sizeof(html_path), rd.tmp, "report.html", err);
	if (rc)
		goto out_abort;
	c.html = fopen(html_path, "w");
	if (!c.html) {
		rc = sb_errf(err, SB_EIO, "%s: cannot create: %s", html_path, strerror(errno));
		goto out_abort;
	}
	sb_page_open(&c.page, c.html);
	rc = sweep ? report_sweep(&c, usage, err)
	   : walk ? report_walk_forward(&c, err)
	   : events ? report_events(&c, err)
		  : report_backtest(&c, err);
	if (!rc)
		rc = sb_page_close(&c.page, err);
	if (!rc)
		rc = sb_gp_finish(c.g, err);
	if (rc) {
		fclose(c.html);
		goto out_abort;
	}
	sb_html_foot(c.html, c.page.live);
	rc = close_file(c.html, html_path, err);
	if (!rc)
		rc = sb_run_dir_commit(&rd, err);
	if (rc)
		goto out_abort;
	snprintf(html_out, cap, "%s/report.html", rd.final);
	goto out_free;
out_abort:
	{
		struct sb_errbuf ignored;

		sb_gp_finish(c.g, &ignored);   /* no gnuplot writing into what is removed */
	}
	sb_run_dir_abort(&rd);
out_free:
	sb_gp_free(c.g);
	return rc;
}
