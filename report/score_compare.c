/* score_compare.c - the table of `score --compare` (see score_compare.h) */
#include "score_compare.h"
#include "gnuplot.h"
#include "../engine/event_study.h"   /* sb_spearman */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double sb_quantile(const double *v, size_t n, double p)
{
	double *w = malloc((n ? n : 1) * sizeof(*w)), h, r;
	size_t k = 0, lo;

	if (!w)
		return NAN;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			w[k++] = v[i];
	if (k == 0) {
		free(w);
		return NAN;
	}
	qsort(w, k, sizeof(*w), cmp_double);
	h = p * (double)(k - 1);
	lo = (size_t)floor(h);
	r = lo + 1 < k ? w[lo] + (h - (double)lo) * (w[lo + 1] - w[lo]) : w[lo];
	free(w);
	return r;
}

static int sign(double x)
{
	return (x > 0) - (x < 0);
}

double sb_sign_agreement(const double *a, const double *b, size_t n)
{
	size_t both = 0, same = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(a[i]) && !isnan(b[i])) {
			both++;
			same += sign(a[i]) == sign(b[i]);
		}
	return both ? (double)same / (double)both : NAN;
}

double sb_pair_spearman(const double *a, const double *b, size_t n)
{
	double *x = malloc((n ? n : 1) * 2 * sizeof(double)), *y, rho;
	size_t k = 0;

	if (!x)
		return NAN;
	y = x + n;
	for (size_t i = 0; i < n; i++)
		if (!isnan(a[i]) && !isnan(b[i])) {
			x[k] = a[i];
			y[k++] = b[i];
		}
	rho = k >= 2 ? sb_spearman(x, y, k) : NAN;
	free(x);
	return rho;
}

struct row {
	double p50, p95, rate, per_1000;
};

static struct row row_of(const struct sb_score_totals *t)
{
	size_t paid = t->scored - t->from_cache - t->duplicates;
	struct row r;

	r.p50 = sb_quantile(t->latency_s, t->articles, 0.5);
	r.p95 = sb_quantile(t->latency_s, t->articles, 0.95);
	r.rate = t->seconds > 0 ? (double)t->scored / t->seconds : NAN;
	r.per_1000 = paid && t->cost_unpriced == 0 ? t->cost_usd / (double)paid * 1000 : NAN;
	return r;
}

static void put(FILE *f, double v)
{
	char b[SB_NUM_LEN];

	if (!isnan(v))
		fputs(sb_fmt_num(v, b), f);
}

enum sb_err sb_compare_write(const struct sb_compare_model *m, size_t n, double per_day,
			     const char *path, FILE *out, struct sb_errbuf *err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	fputs("model,scored,errors,latency_p50_s,latency_p95_s,articles_per_s,cost_per_1000_usd,"
	      "cost_per_day_usd\n", f);
	if (out)
		fprintf(out, "%-28s %7s %6s %9s %9s %9s %12s %12s\n", "model", "scored", "errors",
			"p50 s", "p95 s", "art/s", "$/1000", "$/day");
	for (size_t i = 0; i < n; i++) {
		const struct sb_score_totals *t = m[i].t;
		struct row r = row_of(t);
		double p50 = r.p50, p95 = r.p95, rate = r.rate, per_1000 = r.per_1000;
		double per_day_usd = per_1000 * per_day / 1000;

		fprintf(f, "%s,%zu,%zu,", m[i].model, t->scored, t->errors);
		put(f, p50), fputc(',', f), put(f, p95), fputc(',', f), put(f, rate), fputc(',', f);
		put(f, per_1000), fputc(',', f), put(f, per_day_usd), fputc('\n', f);
		if (out)
			fprintf(out, "%-28s %7zu %6zu %9.3f %9.3f %9.2f %12.4f %12.2f\n", m[i].model,
				t->scored, t->errors, p50, p95, rate, per_1000, per_day_usd);
	}
	fputs("\nmodel,other,sign_agreement,spearman\n", f);
	if (out)
		fprintf(out, "\n%-28s %-28s %9s %9s\n", "model", "other", "sign agr", "spearman");
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			double sa = sb_sign_agreement(m[i].t->score, m[j].t->score, m[i].t->articles);
			double sp = sb_pair_spearman(m[i].t->score, m[j].t->score, m[i].t->articles);

			fprintf(f, "%s,%s,", m[i].model, m[j].model);
			put(f, sa), fputc(',', f), put(f, sp), fputc('\n', f);
			if (out)
				fprintf(out, "%-28s %-28s %9.3f %9.3f\n", m[i].model, m[j].model, sa, sp);
		}
	if (out)
		fprintf(out, "(daily cost at %.0f articles a day; compare.csv has the figures)\n", per_day);
	if ((fflush(f) != 0) | ferror(f) | (fclose(f) != 0))
		return sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return SB_OK;
}

enum sb_err sb_compare_plot(const struct sb_compare_model *m, size_t n, const char *outdir,
			    struct sb_errbuf *err)
{
	char dat[SB_GP_PATH];
	struct sb_gp *g;
	FILE *f;
	enum sb_err rc;

	if (snprintf(dat, sizeof(dat), "%s/data", outdir) >= (int)sizeof(dat))
		return sb_errf(err, SB_EINVAL, "%s: path too long", outdir);
	if ((rc = sb_mkdirs(dat, err)) != SB_OK)
		return rc;
	f = sb_gp_open_data(outdir, "score_compare", dat, err);
	if (!f)
		return SB_EIO;
	for (size_t i = 0; i < n; i++) {
		struct row r = row_of(m[i].t);

		if (isnan(r.per_1000) || isnan(r.p50))
			continue;
		put(f, r.p50), fputc(' ', f), put(f, r.p95), fputc(' ', f), put(f, r.per_1000);
		fputs(" \"", f);
		for (const char *p = m[i].model; *p; p++)
			fputc(*p == '"' || *p == '\n' ? '_' : *p, f);   /* stays one quoted field */
		fputs("\"\n", f);
	}
	if ((fflush(f) != 0) | ferror(f) | (fclose(f) != 0))
		return sb_errf(err, SB_EIO, "%s: write failed", dat);
	if ((rc = sb_gp_new(&g, NULL, err)) != SB_OK)
		return rc;
	sb_gp_begin(g);
	sb_gp_str(g, "data", dat);
	sb_gp_text(g, "title", "score --compare: cost and latency per model");
	rc = sb_gp_run(g, "score_compare.gp", outdir, "score_compare", err);
	sb_gp_free(g);
	return rc;
}

enum sb_err sb_score_compare_run(const struct sb_score_spec *spec, const char *const *models,
				 size_t n, double per_day, const char *dir, FILE *out,
				 struct sb_errbuf *plot_err, struct sb_errbuf *err)
{
	struct sb_score_totals *t = calloc(n ? n : 1, sizeof(*t));
	struct sb_compare_model *cm = calloc(n ? n : 1, sizeof(*cm));
	char path[4400];
	enum sb_err rc = SB_OK;

	plot_err->msg[0] = '\0';
	if (!t || !cm) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && rc == SB_OK; i++) {
		struct sb_score_spec s = *spec;
		char safe[256];

		snprintf(safe, sizeof(safe), "%s", models[i]);
		for (char *p = safe; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
				*p = '_';
		if (safe[0] == '.')
			safe[0] = '_';   /* never "." or ".." */
		snprintf(path, sizeof(path), "%s/%s", dir, safe);
		s.model = models[i];
		s.out_dir = path;
		s.cache_read = false;   /* measure: every model answers every article */
		if ((rc = sb_mkdirs(path, err)) == SB_OK)
			rc = sb_score_run(&s, &t[i], err);
		cm[i].model = models[i];
		cm[i].t = &t[i];
	}
	if (rc == SB_OK) {
		snprintf(path, sizeof(path), "%s/compare.csv", dir);
		rc = sb_compare_write(cm, n, per_day, path, out, err);
	}
	if (rc == SB_OK)
		sb_compare_plot(cm, n, dir, plot_err);
out:
	for (size_t i = 0; t && i < n; i++)
		sb_score_totals_release(&t[i]);
	free(t);
	free(cm);
	return rc;
}
