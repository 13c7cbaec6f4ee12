/* html.c - report.html: escaping, figures, the page, and the tables of the JSON files */
#include "html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json.h"
#include "../engine/grid.h"

#define TABLE_ROWS 10

void sb_html_esc(FILE *f, const char *s)
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

void sb_html_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("&ndash;", f);
	else
		fprintf(f, "%.4g", v);
}

void sb_html_figure(FILE *f, const char *base, const char *caption)
{
	fprintf(f, "<figure><a href=\"%s.svg\"><img src=\"%s.png\" alt=\"", base, base);
	sb_html_esc(f, caption);
	fputs("\"></a><figcaption>", f);
	sb_html_esc(f, caption);
	fprintf(f, " (<a href=\"%s.png\">PNG</a>, <a href=\"%s.svg\">SVG</a>)</figcaption></figure>\n",
		base, base);
}

void sb_html_figure_link(FILE *f, const char *base, const char *caption)
{
	/* folded: the image loads only when opened */
	fputs("<details class=\"paper\"><summary>For papers: ", f);
	sb_html_esc(f, caption);
	fprintf(f, " (<a href=\"%s.png\">PNG</a>, <a href=\"%s.svg\">SVG</a>)</summary>"
		"<a href=\"%s.svg\"><img loading=\"lazy\" src=\"%s.png\" alt=\"", base, base, base,
		base);
	sb_html_esc(f, caption);
	fputs("\"></a></details>\n", f);
}

void sb_html_head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	sb_html_esc(f, title);
	fputs("</title>\n<style>\n"
	      "body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 12px;color:#222}\n"
	      "table{border-collapse:collapse;margin:1em 0;font-size:90%}\n"
	      "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}\n"
	      "table.top{font-size:85%}table.top td{white-space:nowrap}\n"
	      "table.heat td,table.heat th{border:1px solid #fff;padding:2px 4px;font-size:80%;"
	      "min-width:2.2em;text-align:center}\n"
	      "table.heat th{background:#fff;font-weight:normal;color:#444}\n"
	      "table.heat td.na{background:#c8c8c8}table.heat td.best{outline:3px solid #000;"
	      "outline-offset:-3px}\n"
	      "table.heat.small td{min-width:10px;height:10px;padding:0}\n"
	      "table.heat.small th{font-size:70%;padding:0 2px}\n"
	      "table.heat.dense{width:100%;table-layout:fixed}table.heat.dense th:first-child"
	      "{width:7em}\ntable.heat.dense td{min-width:0;padding:0;height:9px}"
	      "table.heat.dense th{font-size:65%;padding:0;overflow:visible;white-space:nowrap}\n"
	      ".multiples{display:flex;flex-wrap:wrap;gap:6px 16px}\n"
	      "details.paper{font-size:85%;color:#666;margin:.4em 0}\n"
	      "th{background:#f0f0f0}\ntable.kv td,table.kv th{text-align:left}\n"
	      "img{max-width:100%;border:1px solid #ddd}\nfigure{margin:1.5em 0}\n"
	      ".note{color:#666;font-size:90%}\ncode{font-size:90%}\ntd code{word-break:break-all}\n"
	      "</style></head><body>\n<h1>", f);
	sb_html_esc(f, title);
	fputs("</h1>\n", f);
}

void sb_html_foot(FILE *f, bool live)
{
	fprintf(f, "<p class=\"note\">Made by <code>sentibt report</code>%s; the PNG and SVG "
		"figures by gnuplot, from the data in data/.</p>\n</body></html>\n",
		live ? " with dygraphs (inlined) for the interactive charts" : "");
}

/* DIR/NAME parsed; NULL when absent or unreadable, with err set when it is not JSON. */
static struct sb_json *read_json(const char *dir, const char *name, char path[4200],
				  struct sb_errbuf *err)
{
	struct sb_json *j;

	snprintf(path, 4200, "%s/%s", dir, name);
	sb_json_load(path, 64u << 20, &j, err);
	return j;
}

static const char *jstr(const struct sb_json *o, const char *key)
{
	return sb_json_string(sb_json_get(o, key));
}

double sb_html_json_num(const char *dir, const char *file, const char *key, const char *key2)
{
	char path[4200];
	struct sb_errbuf err;
	struct sb_json *j = read_json(dir, file, path, &err);
	const struct sb_json *v = sb_json_get(j, key);
	double x;

	if (key2)
		v = sb_json_get(v, key2);
	x = sb_json_is_number(v) ? sb_json_number(v) : NAN;
	sb_json_free(j);
	return x;
}

void sb_html_run_params(const char *dir, char *buf, size_t cap)
{
	char path[4200];
	struct sb_errbuf err;
	struct sb_json *m = read_json(dir, "manifest.json", path, &err);
	const struct sb_json *p = sb_json_get(m, "parameters"), *x;
	size_t len;
	int n = 0;

	if (!sb_json_is_object(sb_json_get(p, "grid"))) {
		snprintf(buf, cap, "parameters unknown (no manifest.json)");
		sb_json_free(m);
		return;
	}
	len = (size_t)snprintf(buf, cap, "strategy %s:", jstr(p, "strategy") ? jstr(p, "strategy")
			       : "mean");
	SB_JSON_FOR_EACH(x, sb_json_get(p, "grid")) {
		const struct sb_json *v = sb_json_is_array(x) ? sb_json_first(x) : x;
		char s[64];

		if (!sb_json_key(x) || len >= cap)
			continue;
		if (sb_json_is_number(v))
			sb_sweep_fmt_param(sb_json_key(x), sb_json_number(v), s, sizeof(s));
		else
			snprintf(s, sizeof(s), "%s", sb_json_string(v) ? sb_json_string(v) : "?");
		len += (size_t)snprintf(buf + len, cap - len, "%s %s=%s", n++ ? "," : "",
					sb_json_key(x), s);
	}
	sb_json_free(m);
}

/* <td>value</td>, escaped; empty when the key is missing or not a string. */
static void td_str(FILE *f, const struct sb_json *o, const char *key, const char *open,
		   const char *close)
{
	fputs(open, f);
	sb_html_esc(f, jstr(o, key) ? jstr(o, key) : "");
	fputs(close, f);
}

void sb_html_manifest(FILE *f, const char *dir)
{
	char path[4200];
	struct sb_json *m;
	const struct sb_json *x;
	struct sb_errbuf err;

	m = read_json(dir, "manifest.json", path, &err);
	if (!m) {
		fputs("<p class=\"note\">No manifest.json in the result folder.</p>\n", f);
		return;
	}
	fputs("<h2>Run</h2>\n<table class=\"kv\">\n", f);
	if (jstr(m, "sentibt_version"))
		td_str(f, m, "sentibt_version", "<tr><th>version</th><td>", "</td></tr>\n");
	x = sb_json_get(m, "build");
	if (jstr(x, "commit"))
		td_str(f, x, "commit", "<tr><th>commit</th><td><code>", "</code></td></tr>\n");
	x = sb_json_get(m, "argv");
	if (sb_json_is_array(x)) {
		const struct sb_json *a;

		fputs("<tr><th>command</th><td><code>sentibt", f);
		SB_JSON_FOR_EACH(a, x)
			if (sb_json_is_string(a)) {
				fputc(' ', f);
				sb_html_esc(f, sb_json_string(a));
			}
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	x = sb_json_get(m, "inputs");
	if (sb_json_is_array(x)) {
		const struct sb_json *in;

		fputs("<table><tr><th>input</th><th>path</th><th>rows</th><th>first</th>"
		      "<th>last</th><th>SHA-256</th></tr>\n", f);
		SB_JSON_FOR_EACH(in, x) {
			const struct sb_json *rows = sb_json_get(in, "rows");

			td_str(f, in, "role", "<tr><td>", "</td>");
			td_str(f, in, "path", "<td>", "</td>");
			fputs("<td>", f);
			if (sb_json_is_number(rows))
				fprintf(f, "%.0f", sb_json_number(rows));
			td_str(f, in, "first", "</td><td>", "");
			td_str(f, in, "last", "</td><td>", "");
			td_str(f, in, "sha256", "</td><td><code>", "</code></td></tr>\n");
		}
		fputs("</table>\n", f);
	}
	sb_json_free(m);
}

void sb_html_metric_cell(FILE *f, const char *name, double v)
{
	if (sb_metric_is_fraction(name) && !isnan(v)) {
		fprintf(f, "<td>%.2f%%</td>", 100 * v);
	} else if (!isnan(v) && v == floor(v) && fabs(v) < 1e15) {
		fprintf(f, "<td>%.0f</td>", v);
	} else {
		fputs("<td>", f);
		sb_html_num(f, v);
		fputs("</td>", f);
	}
}

/* <tr><th>key</th><td>number or dash</td></tr> */
static void kv_num(FILE *f, const char *key, const struct sb_json *v)
{
	fputs("<tr><th>", f);
	sb_html_esc(f, key);
	fputs("</th><td>", f);
	sb_html_num(f, sb_json_number(v));
	fputs("</td></tr>\n", f);
}

/* stats.json's "buy_and_hold": the benchmark over the same candles. */
static void buy_and_hold(FILE *f, const struct sb_json *b)
{
	static const char *const keys[] = { "total_return", "sharpe", "max_drawdown" };

	if (!sb_json_is_object(b))
		return;
	fputs("<h3>Buy and hold</h3>\n<p>All in at the first traded candle's open, marked at every close, "
	      "no costs: the benchmark a strategy has to beat.</p>\n<table class=\"kv\">\n", f);
	for (int k = 0; k < 3; k++) {   /* in the metrics' units: returns and drawdowns in % */
		fputs("<tr><th>", f);
		sb_html_esc(f, keys[k]);
		fputs("</th>", f);
		sb_html_metric_cell(f, keys[k], sb_json_number(sb_json_get(b, keys[k])));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* stats.json's "placebo" (sweep --placebo N): the real best against the placebo bests. */
static void placebo(FILE *f, const struct sb_json *p, const char *rank_by)
{
	static const char *const keys[] = { "n", "seed", "best_real", "best_percentile",
					    "p_value" };
	const struct sb_json *keep, *e;

	if (!sb_json_is_object(p))
		return;
	fprintf(f, "<h3>Placebo news</h3>\n<p>The whole grid re-run on N placebo article sets; "
		"the real grid's best %s (best_real) against the placebo grids' bests: "
		"best_percentile is the share of placebo bests it beats (ties half), p_value = "
		"P(placebo best &ge; real best), the real grid counted as one draw.</p>\n"
		"<table class=\"kv\">\n", rank_by ? rank_by : "?");
	for (int k = 0; k < 5; k++) {
		kv_num(f, keys[k], sb_json_get(p, keys[k]));
		if (k == 1 && jstr(p, "method"))
			td_str(f, p, "method", "<tr><th>method</th><td>", "</td></tr>\n");
	}
	fputs("</table>\n", f);
	keep = sb_json_get(p, "keep");
	if (!sb_json_is_array(keep) || sb_json_size(keep) == 0)
		return;
	fputs("<table><tr><th>kept id</th><th>value</th><th>percentile among the placebo "
	      "values of the same combination</th></tr>\n", f);
	SB_JSON_FOR_EACH(e, keep) {
		fputs("<tr><td>", f);
		sb_html_num(f, sb_json_number(sb_json_get(e, "id")));
		fputs("</td><td>", f);
		sb_html_num(f, sb_json_number(sb_json_get(e, "value")));
		fputs("</td><td>", f);
		sb_html_num(f, sb_json_number(sb_json_get(e, "percentile")));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

void sb_html_stats(FILE *f, const char *dir)
{
	static const char *const keys[] = { "n_trials", "var_sharpe", "sr0", "best_id",
					    "best_psr", "best_dsr" };
	char path[4200];
	struct sb_errbuf err;
	struct sb_json *stats = read_json(dir, "stats.json", path, &err);
	const char *rank_by;

	/* stats.json: the deflated Sharpe ratio of the sweep's best. */
	fputs("<h2>Overfitting check</h2>\n", f);
	if (!stats) {
		fputs("<p class=\"note\">No stats.json in the result folder.</p>\n", f);
		return;
	}
	rank_by = jstr(stats, "rank_by");
	fprintf(f, "<p>The deflated Sharpe ratio (Bailey and L&oacute;pez de Prado, 2014) "
		"is the probability that the best combination's true Sharpe ratio beats "
		"SR0, the best per-candle Sharpe expected from N trials of a worthless "
		"strategy (N = combinations tried, V = variance of their per-candle Sharpe "
		"ratios). Best by %s.</p>\n<table class=\"kv\">\n", rank_by ? rank_by : "?");
	for (int k = 0; k < 6; k++)
		kv_num(f, keys[k], sb_json_get(stats, keys[k]));
	fputs("</table>\n", f);
	buy_and_hold(f, sb_json_get(stats, "buy_and_hold"));
	placebo(f, sb_json_get(stats, "placebo"), rank_by);
	sb_json_free(stats);
}

/* One metric: fractions in %, an object's members as NAME.MEMBER. */
static void metric_row(FILE *f, const char *prefix, const struct sb_json *x)
{
	const char *key = sb_json_key(x) ? sb_json_key(x) : "";
	const struct sb_json *m;
	char name[256];

	snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
	if (sb_json_is_object(x)) {
		SB_JSON_FOR_EACH(m, x)
			metric_row(f, name, m);
		return;
	}
	if (!sb_metric_is_fraction(key) || !sb_json_is_number(x)) {
		kv_num(f, name, x);
		return;
	}
	fputs("<tr><th>", f);
	sb_html_esc(f, name);
	fprintf(f, "</th><td>%.3f%%</td></tr>\n", 100 * sb_json_number(x));
}

enum sb_err sb_html_metrics(FILE *f, const char *dir, struct sb_errbuf *err)
{
	char path[4200];
	struct sb_json *m = read_json(dir, "metrics.json", path, err);
	const struct sb_json *x;

	if (!m)
		return sb_errf(err, SB_EPARSE, "%s: expected a JSON object of metrics", path);
	fputs("<h2>Metrics</h2>\n<table class=\"kv\">\n", f);
	SB_JSON_FOR_EACH(x, m)
		metric_row(f, "", x);
	fputs("</table>\n", f);
	sb_json_free(m);
	return SB_OK;
}

/* <td>number</td> */
static void td_num(FILE *f, double v)
{
	fputs("<td>", f);
	sb_html_num(f, v);
	fputs("</td>", f);
}

void sb_html_table(FILE *f, const struct sb_table *t)
{
	fputs("<table><tr>", f);
	for (int c = 0; c < t->ncol; c++) {
		fputs("<th>", f);
		sb_html_esc(f, t->names[c]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t r = 0; r < t->nrow; r++) {
		fputs("<tr>", f);
		for (int c = 0; c < t->ncol; c++) {
			double v = sb_table_cell(t, r, c);

			if (!isnan(v) && v == floor(v) && fabs(v) < 1e15)
				fprintf(f, "<td>%.0f</td>", v);
			else
				td_num(f, v);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}


void sb_html_top_table(FILE *f, const struct sb_sweep *s, const size_t *order)
{
	static const char *const mc[] = { "total_return", "max_drawdown", "trades", "dsr" };
	const struct sb_table *t = s->t;
	int idcol = sb_table_col(t, "id");
	size_t shown = 0;

	fprintf(f, "<h2>Top %d by %s</h2>\n", TABLE_ROWS, s->metric);
	/* the parameters that never vary: once, not as columns */
	fputs("<p class=\"note\">The same in every combination shown: ", f);
	for (int c = s->p0, first = 1; c < s->p1; c++)
		if (!s->varies[c]) {
			char v[64];

			sb_sweep_fmt_param(t->names[c], sb_table_cell(t, s->best, c), v, sizeof(v));
			fprintf(f, "%s%s=%s", first ? "" : ", ", t->names[c], v);
			first = 0;
		}
	fputs(".</p>\n<table class=\"top\"><tr><th>#</th><th>id</th>", f);
	for (int c = s->p0; c < s->p1; c++)
		if (s->varies[c])
			fprintf(f, "<th>%s</th>", t->names[c]);
	fprintf(f, "<th>%s</th>", s->metric);
	for (int k = 0; k < 4; k++)
		if (strcmp(mc[k], s->metric) && sb_table_col(t, mc[k]) >= 0)
			fprintf(f, "<th>%s</th>", mc[k]);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < t->nrow && shown < TABLE_ROWS; i++) {
		size_t r = order[i];

		if (!s->use[r])
			continue;
		fprintf(f, "<tr><td>%zu</td><td>%.0f</td>", ++shown, sb_table_cell(t, r, idcol));
		for (int c = s->p0; c < s->p1; c++)
			if (s->varies[c]) {
				char v[64];

				sb_sweep_fmt_param(t->names[c], sb_table_cell(t, r, c), v, sizeof(v));
				fprintf(f, "<td>%s</td>", v);
			}
		sb_html_metric_cell(f, s->metric, sb_table_cell(t, r, s->mcol));
		for (int k = 0; k < 4; k++)
			if (strcmp(mc[k], s->metric) && sb_table_col(t, mc[k]) >= 0)
				sb_html_metric_cell(f, mc[k], sb_table_cell(t, r, sb_table_col(t, mc[k])));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p class=\"note\">dsr: the deflated Sharpe ratio, the probability "
	      "that the true Sharpe ratio is above SR0, the best expected from as many worthless "
	      "trials (see the overfitting check below); summary.csv has every column.</p>\n", f);
}
