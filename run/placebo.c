/* placebo.c - placebo news: is the best of the grid better than the best on random news?
 *
 * A sweep picks the best of many combinations, so its best looks good even on news that
 * says nothing.  Each placebo article set keeps the real articles' times and confidences
 * structure but breaks their link with prices, two ways at once:
 *   - the scores are permuted across the articles (Fisher-Yates), and
 *   - the publication times are shifted circularly, by one random offset per set, within
 *     the span of the candles: t' = t0 + ((t - t0 + offset) mod span), which keeps the
 *     clustering of news in time but moves it against the prices.
 * The WHOLE grid runs on every placebo set, and the real grid's best --rank-by value is
 * compared with the distribution of the placebo grids' bests, so that the search itself
 * is accounted for.  Everything comes from one seeded xoshiro256** stream, drawn before
 * any grid runs, so results are reproducible for a seed and identical for any thread
 * count.
 */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/results.h"
#include "../core/rng.h"

struct art {
	int64_t t;
	int32_t s, k;
	size_t seq;
};

static int cmp_art(const void *pa, const void *pb)
{
	const struct art *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Placebo set from 'ev' into 'out' (arrays owned by the caller, ev->n each). */
static void make_placebo(const struct sb_events *ev, const struct sb_candles *c,
			 struct sb_rng *r, struct art *tmp, struct sb_events *out,
			 int64_t *offset)
{
	if (ev->n == 0) {
		out->n = 0;
		*offset = 0;
		return;
	}
	const int64_t span = (int64_t)c->n * c->interval_us;
	size_t n = ev->n;

	*offset = (int64_t)sb_rng_below(r, (uint64_t)span);
	for (size_t i = 0; i < n; i++) {
		int64_t rel = ev->t_us[i] - c->t0_us;
		int64_t m = ((rel % span) + span) % span;

		tmp[i] = (struct art){ c->t0_us + (m + *offset) % span, 0, ev->conf_e9[i], i };
	}
	/* scores permuted: article i gets the score of article perm[i] */
	for (size_t i = 0; i < n; i++)
		tmp[i].s = ev->score_e9[i];
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)sb_rng_below(r, i);
		int32_t x = tmp[i - 1].s;

		tmp[i - 1].s = tmp[j].s;
		tmp[j].s = x;
	}
	qsort(tmp, n, sizeof(*tmp), cmp_art);
	for (size_t i = 0; i < n; i++) {
		out->t_us[i] = tmp[i].t;
		out->score_e9[i] = tmp[i].s;
		out->conf_e9[i] = tmp[i].k;
	}
	out->n = n;
}

/* Higher is better, but for max_drawdown; NaN (undefined) is worst. */
static bool better(double a, double b, int dir)
{
	if (isnan(a) || isnan(b))
		return !isnan(a) && isnan(b);
	return dir > 0 ? a > b : a < b;
}

enum sb_err sb_run_placebo(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			   const struct sb_sweep_request *req, const struct sb_sweep_result *real,
			   size_t n_placebo, uint64_t seed, const char *dir,
			   struct sb_placebo_result *pr, struct sb_errbuf *err)
{
	const int dir_rank = strcmp(req->rank_by, "max_drawdown") == 0 ? -1 : 1;
	const double best_real = real->rank_key[real->order[0]];
	struct sb_run_inputs fake = *in;
	struct sb_engine_range r;
	struct sb_rng rng;
	struct art *tmp;
	char path[4200];
	double ties = 0, below = 0, not_below = 0;
	FILE *f;
	enum sb_err rc = sb_run_range(o, &in->candles, &r.first, &r.n, err);

	memset(pr, 0, sizeof(*pr));
	if (rc)
		return rc;
	pr->n = n_placebo;
	pr->seed = seed;
	pr->best = calloc(n_placebo ? n_placebo : 1, sizeof(*pr->best));
	pr->best_id = calloc(n_placebo ? n_placebo : 1, sizeof(*pr->best_id));
	pr->offset_us = calloc(n_placebo ? n_placebo : 1, sizeof(*pr->offset_us));
	pr->n_keep = req->n_keep;
	pr->keep_vals = calloc((n_placebo ? n_placebo : 1) * (req->n_keep ? req->n_keep : 1),
			       sizeof(*pr->keep_vals));
	pr->keep_percentile = calloc(req->n_keep ? req->n_keep : 1, sizeof(*pr->keep_percentile));
	tmp = malloc(in->events.n * sizeof(*tmp));
	fake.events.t_us = malloc(in->events.n * sizeof(int64_t));
	fake.events.score_e9 = malloc(in->events.n * sizeof(int32_t));
	fake.events.conf_e9 = malloc(in->events.n * sizeof(int32_t));
	if (!pr->best || !pr->best_id || !pr->offset_us || !pr->keep_vals ||
	    !pr->keep_percentile || !tmp || !fake.events.t_us ||
	    !fake.events.score_e9 || !fake.events.conf_e9) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out;
	}
	sb_rng_seed(&rng, seed);
	for (size_t p = 0; p < n_placebo; p++) {
		struct sb_sweep_result res;

		make_placebo(&in->events, &in->candles, &rng, tmp, &fake.events, &pr->offset_us[p]);
		rc = sb_run_grid(o, &fake, req, &r, &res, err);
		if (rc)
			goto out;
		pr->best_id[p] = res.order[0];
		pr->best[p] = res.rank_key[res.order[0]];
		for (size_t k = 0; k < req->n_keep; k++)
			pr->keep_vals[p * req->n_keep + k] = res.rank_key[req->keep[k]];
		sb_grid_result_release(&res);
		if (better(best_real, pr->best[p], dir_rank))
			below++;
		else if (better(pr->best[p], best_real, dir_rank))
			not_below++;
		else
			ties++;
	}
	pr->best_real = best_real;
	/* the share of placebo bests the real best beats, ties counted half */
	pr->best_percentile = n_placebo ? (below + 0.5 * ties) / (double)n_placebo : NAN;
	/* P(placebo best >= real best), with the real grid counted as one draw */
	pr->p_value = (1.0 + not_below + ties) / (double)(n_placebo + 1);
	/* a kept combination against the same combination on the placebo sets */
	for (size_t k = 0; k < req->n_keep; k++) {
		double v = real->rank_key[req->keep[k]], b = 0, t = 0;

		for (size_t p = 0; p < n_placebo; p++) {
			double x = pr->keep_vals[p * req->n_keep + k];

			b += better(v, x, dir_rank);
			t += !better(v, x, dir_rank) && !better(x, v, dir_rank);
		}
		pr->keep_percentile[k] = n_placebo ? (b + 0.5 * t) / (double)n_placebo : NAN;
	}

	/* placebo.csv: one row per placebo set */
	rc = sb_path_join(path, sizeof(path), dir, "placebo.csv", err);
	if (rc)
		goto out;
	f = fopen(path, "w");
	if (!f) {
		rc = sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	fprintf(f, "placebo,offset_s,best_id,best_%s", req->rank_by);
	for (size_t k = 0; k < req->n_keep; k++)
		fprintf(f, ",id_%zu", req->keep[k]);
	fputc('\n', f);
	for (size_t p = 0; p < n_placebo; p++) {
		char num[SB_DEC_LEN];

		fprintf(f, "%zu,%s,%zu,", p, sb_dec_format(pr->offset_us[p] * 1000, num),
			pr->best_id[p]);
		sb_fput_num(f, pr->best[p]);
		for (size_t k = 0; k < req->n_keep; k++) {
			fputc(',', f);
			sb_fput_num(f, pr->keep_vals[p * req->n_keep + k]);
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		rc = sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
out:
	free(tmp);
	free(fake.events.t_us);
	free(fake.events.score_e9);
	free(fake.events.conf_e9);
	return rc;
}

void sb_placebo_result_release(struct sb_placebo_result *pr)
{
	free(pr->best);
	free(pr->best_id);
	free(pr->offset_us);
	free(pr->keep_vals);
	free(pr->keep_percentile);
	memset(pr, 0, sizeof(*pr));
}

enum sb_err sb_placebo_events(const struct sb_events *ev, const struct sb_candles *c,
			      uint64_t seed, size_t which, struct sb_events *out,
			      int64_t *offset, struct sb_errbuf *err)
{
	struct art *tmp = malloc((ev->n ? ev->n : 1) * sizeof(*tmp));
	struct sb_rng rng;

	if (!tmp)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	sb_rng_seed(&rng, seed);
	for (size_t p = 0; p <= which; p++)
		make_placebo(ev, c, &rng, tmp, out, offset);
	free(tmp);
	return SB_OK;
}
