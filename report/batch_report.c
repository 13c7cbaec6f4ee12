/* batch_report.c - batch_report.html: the experiments of a batch, side by side */
#include "batch_report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../engine/results.h"
#include "gnuplot.h"
#include "html.h"

/* The bar chart; false with the reason in 'why' when gnuplot could not draw it. */
static bool draw_chart(const char *dir, const char *title, const struct sb_batch_best *b,
		       size_t n, const char *scripts, struct sb_errbuf *why)
{
	struct sb_gp *g = NULL;
	char dat[SB_GP_PATH];
	FILE *f;
	enum sb_err rc = sb_path_join(dat, sizeof(dat), dir, "data", why);

	if (rc || (rc = sb_mkdirs(dat, why)) || (rc = sb_gp_new(&g, scripts, why)))
		return false;
	f = sb_gp_open_data(dir, "batch_returns", dat, why);
	if (!f) {
		sb_gp_free(g);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %.10g %.10g\n", b[i].name, 100.0 * b[i].total_return,
			100.0 * b[i].bh_return);
	if (fclose(f) != 0) {
		sb_gp_free(g);
		sb_errf(why, SB_EIO, "%s: write failed: %s", dat, strerror(errno));
		return false;
	}
	sb_gp_begin(g);
	sb_gp_str(g, "data", dat);
	sb_gp_text(g, "title", title);
	rc = sb_gp_run(g, "batch.gp", dir, "batch_returns", why);
	sb_gp_free(g);
	return rc == SB_OK;
}

enum sb_err sb_batch_report(const char *dir, const char *title, const struct sb_batch_best *b,
			    size_t n, const char *scripts, struct sb_errbuf *err)
{
	static const char *const heads[] = { "experiment", "best id", "parameters", "ranked by",
					     "value", "total return", "Sharpe", "max drawdown",
					     "trades", "buy and hold", "excess return" };
	struct sb_errbuf why = { "" };
	char path[4200];
	bool chart = draw_chart(dir, title, b, n, scripts, &why);
	enum sb_err rc = sb_path_join(path, sizeof(path), dir, "batch_report.html", err);
	FILE *f;

	if (rc)
		return rc;
	f = fopen(path, "w");
	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	sb_html_head(f, title);
	fputs("<p>Each experiment is one sweep of the same grid, in its own folder (open its "
	      "<code>summary.csv</code>, or run <code>sentibt report</code> on it). The best "
	      "combination of each, by its ranking metric; every row of every experiment is in "
	      "<a href=\"batch_all.csv\">batch_all.csv</a>, these in "
	      "<a href=\"batch_best.csv\">batch_best.csv</a>.</p>\n", f);
	if (chart)
		sb_html_figure(f, "batch_returns",
			       "Total return of each experiment's best combination and of buy and hold over its period (%)");
	else {
		fputs("<p><em>Chart not drawn: ", f);
		sb_html_esc(f, why.msg);
		fputs("</em></p>\n", f);
	}
	fputs("<table>\n<tr>", f);
	for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]); k++)
		fprintf(f, "<th>%s</th>", heads[k]);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		const double v[] = { b[i].rank_value, b[i].total_return, b[i].sharpe,
				     b[i].max_drawdown, b[i].trades, b[i].bh_return,
				     b[i].excess_return };

		fputs("<tr><td><a href=\"", f);
		sb_html_esc(f, b[i].name);
		fputs("/summary.csv\">", f);
		sb_html_esc(f, b[i].name);
		fprintf(f, "</a></td><td>%zu</td><td>", b[i].id);
		sb_html_esc(f, b[i].params);
		fputs("</td><td>", f);
		sb_html_esc(f, b[i].rank_by);
		fputs("</td>", f);
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			fputs("<td>", f);
			sb_html_num(f, v[k]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	sb_html_foot(f, false);
	if (fclose(f) != 0)
		return sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return SB_OK;
}
