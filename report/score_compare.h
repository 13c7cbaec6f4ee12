/* score_compare.h - `score --compare`: models side by side on the same articles
 *
 * Per model: latency p50/p95 of its successful requests (linear interpolation
 * between order statistics, numpy's default), articles scored per second of the
 * run's wall time, cost per 1,000 articles (its cost over the articles it was paid
 * for), the daily cost of 'per_day' articles at that rate.  Per pair: sign agreement
 * (the share of articles scored by both whose scores have the same sign, -1/0/+1)
 * and Spearman's rank correlation (average ranks for ties, Pearson on the ranks).
 */
#ifndef SB_SCORE_COMPARE_H
#define SB_SCORE_COMPARE_H

#include "../score/score_run.h"

#include <stdio.h>

struct sb_compare_model {
	const char *model;
	const struct sb_score_totals *t;
};

/* The p-quantile (p in [0, 1]) of the non-NaN values of v; NaN when there is none. */
double sb_quantile(const double *v, size_t n, double p);
/* Over the indices where both are not NaN; NaN when there is none (or no variance). */
double sb_sign_agreement(const double *a, const double *b, size_t n);
double sb_pair_spearman(const double *a, const double *b, size_t n);   /* engine's sb_spearman */

/*
 * Writes the CSV 'path': a row per model (model, scored, errors, latency_p50_s,
 * latency_p95_s, articles_per_s, cost_per_1000_usd, cost_per_day_usd) then a row per
 * pair (model, other, sign_agreement, spearman, common); prints a table to 'out'
 * (NULL: none).
 */
enum sb_err sb_compare_write(const struct sb_compare_model *m, size_t n, double per_day,
			     const char *path, FILE *out, struct sb_errbuf *err);

/*
 * `score --compare`: runs 'spec' once per model (the cache not read), each into
 * DIR/<model>/ (characters other than letters, digits, '-', '_' and '.' as '_', no
 * leading '.'), then writes DIR/compare.csv, the table to 'out' (may be NULL) and the
 * chart.  A chart that cannot be made is not an error: its reason goes to 'plot_err'
 * (empty when it was made).
 */
enum sb_err sb_score_compare_run(const struct sb_score_spec *spec, const char *const *models,
				 size_t n, double per_day, const char *dir, FILE *out,
				 struct sb_errbuf *plot_err, struct sb_errbuf *err);

/*
 * The chart OUTDIR/score_compare.{png,svg} (scripts/report/score_compare.gp, through
 * report/gnuplot.c): cost per 1,000 articles against the median latency, a bar to
 * p95, per model; its data in OUTDIR/data/.  Models without a cost are left out.
 */
enum sb_err sb_compare_plot(const struct sb_compare_model *m, size_t n, const char *outdir,
			    struct sb_errbuf *err);

#endif
