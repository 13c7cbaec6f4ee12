/* walkforward.c - out-of-sample tests: walk-forward folds and a single in/out split
 *
 * A fold is a training range and the test range right after it, in whole candles.  The
 * whole grid runs on the training candles and is ranked by --rank-by; the best
 * combination then trades the test candles alone, from a flat book.  Signals are causal
 * (a candle's signal uses articles available by its close), so nothing of the test part
 * reaches the choice; articles from before a range still feed its first windows, as
 * they would have live.
 */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/backtest.h"
#include "../engine/results.h"

bool sb_walk_spec_parse(const char *wf, const char *split, struct sb_walk_spec *w,
			char *why, size_t cap)
{
	memset(w, 0, sizeof(*w));
	if (split) {
		int64_t p;
		size_t len = strlen(split);
		char num[64];

		if (len < 2 || len >= sizeof(num) || split[len - 1] != '%') {
			snprintf(why, cap, "--split: expected a percentage such as 70%%, got '%s'", split);
			return false;
		}
		memcpy(num, split, len - 1);
		num[len - 1] = '\0';
		if (!sb_dec_parse(num, &p) || p <= 0 || p >= 100 * SB_DEC_SCALE) {
			snprintf(why, cap, "--split: expected a percentage strictly between 0%% and 100%%, got '%s'",
				 split);
			return false;
		}
		w->split = true;
		w->split_pct_e9 = p;
		return true;
	}
	for (const char *s = wf; s && *s;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char item[64], *eq;
		int64_t *dst = NULL, us;

		if (len >= sizeof(item))
			len = sizeof(item) - 1;
		memcpy(item, s, len);
		item[len] = '\0';
		eq = strchr(item, '=');
		if (eq) {
			*eq = '\0';
			dst = !strcmp(item, "train") ? &w->train_us : !strcmp(item, "test") ? &w->test_us
			    : !strcmp(item, "step") ? &w->step_us : NULL;
		}
		if (!dst || !sb_parse_duration(eq + 1, &us) || us <= 0) {
			snprintf(why, cap, "--walk-forward: expected train=D,test=D[,step=D] with positive durations, got '%s'",
				 wf);
			return false;
		}
		*dst = us;
		s = comma ? comma + 1 : s + len;
	}
	if (!w->train_us || !w->test_us) {
		snprintf(why, cap, "--walk-forward: expected train=D,test=D[,step=D], got '%s'", wf);
		return false;
	}
	if (!w->step_us)
		w->step_us = w->test_us;
	/* overlapping test parts would count their shared candles twice in the stitched curve */
	if (w->step_us < w->test_us) {
		snprintf(why, cap, "--walk-forward: expected step >= test (test parts one after the other, never overlapping), got '%s'",
			 wf);
		return false;
	}
	return true;
}

/* The folds over the candles of 'r', in candle indices. */
static enum sb_err make_folds(const struct sb_walk_spec *w, const struct sb_engine_range *r,
			      int64_t D, struct sb_fold **folds, size_t *n_folds,
			      struct sb_errbuf *err)
{
	size_t train, test, step, k = 0, cap;

	*folds = NULL;
	*n_folds = 0;
	if (w->split) {
		/* floor(n * p / 100): exact in 128 bits (p in 10^-9 units) */
		train = (size_t)((unsigned __int128)r->n * (uint64_t)w->split_pct_e9 /
				 ((unsigned __int128)100 * SB_DEC_SCALE));
		if (train == 0 || train >= r->n)
			return sb_errf(err, SB_EINVAL, "--split leaves no candle in one part (%zu candles)",
				       r->n);
		*folds = malloc(sizeof(**folds));
		if (!*folds)
			return sb_errf(err, SB_ENOMEM, "out of memory");
		(*folds)[0] = (struct sb_fold){ { r->first, train }, { r->first + train, r->n - train } };
		*n_folds = 1;
		return SB_OK;
	}
	if (w->train_us % D || w->test_us % D || w->step_us % D)
		return sb_errf(err, SB_EINVAL,
			       "--walk-forward: train, test and step must be whole candles of %lld s",
			       (long long)(D / SB_US_PER_SEC));
	train = (size_t)(w->train_us / D);
	test = (size_t)(w->test_us / D);
	step = (size_t)(w->step_us / D);
	if (train + test > r->n)
		return sb_errf(err, SB_EINVAL,
			       "--walk-forward: one fold needs %zu candles, the period has %zu",
			       train + test, r->n);
	cap = (r->n - train - test) / step + 1;
	*folds = malloc(cap * sizeof(**folds));
	if (!*folds)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	for (size_t a = 0; a + train + test <= r->n; a += step)
		(*folds)[k++] = (struct sb_fold){ { r->first + a, train },
						   { r->first + a + train, test } };
	*n_folds = k;
	return SB_OK;
}

static void fput_time_of(FILE *f, const struct sb_candles *c, size_t i)
{
	char t[SB_TIME_LEN];

	sb_format_time(c->t0_us + (int64_t)i * c->interval_us, t);
	fputs(t, f);
}

static const char *const wf_metrics[] = { "total_return", "sharpe", "max_drawdown", "trades" };
#define N_WF_METRICS 4

static void fput_metrics(FILE *f, const struct sb_metrics *m)
{
	for (int k = 0; k < N_WF_METRICS; k++) {
		fputc(',', f);
		sb_fput_num(f, sb_metric_value(m, sb_metric_index(wf_metrics[k])));
	}
}

/* walkforward.csv: a row per fold, times are candle starts/ends (UTC). */
static enum sb_err write_folds(const char *path, const struct sb_run_opts *o,
			       const struct sb_candles *c, const struct sb_walk_result *wr,
			       struct sb_errbuf *err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	fputs("fold,train_from,train_to,test_from,test_to,id", f);
	for (int k = 0; k < o->grid.n_axes; k++)
		fprintf(f, ",%s", sb_grid_axis_name(&o->grid, k));
	for (int k = 0; k < N_WF_METRICS; k++)
		fprintf(f, ",is_%s", wf_metrics[k]);
	for (int k = 0; k < N_WF_METRICS; k++)
		fprintf(f, ",oos_%s", wf_metrics[k]);
	fputs(",oos_bh_return,oos_excess_return\n", f);
	for (size_t i = 0; i < wr->n_folds; i++) {
		const struct sb_fold *fo = &wr->folds[i];

		fprintf(f, "%zu,", i);
		fput_time_of(f, c, fo->train.first);
		fputc(',', f);
		fput_time_of(f, c, fo->train.first + fo->train.n);
		fputc(',', f);
		fput_time_of(f, c, fo->test.first);
		fputc(',', f);
		fput_time_of(f, c, fo->test.first + fo->test.n);
		fprintf(f, ",%zu", wr->best[i]);
		sb_fput_combo_values(f, &o->grid, wr->best[i]);
		fput_metrics(f, &wr->in_sample[i]);
		fput_metrics(f, &wr->out_sample[i]);
		fputc(',', f);
		sb_fput_num(f, wr->oos_bh[i].total_return);
		fputc(',', f);
		sb_fput_num(f, wr->out_sample[i].total_return - wr->oos_bh[i].total_return);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		return sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return SB_OK;
}

void sb_walk_result_release(struct sb_walk_result *wr)
{
	free(wr->folds);
	free(wr->best);
	free(wr->in_sample);
	free(wr->out_sample);
	free(wr->oos_bh);
	memset(wr, 0, sizeof(*wr));
}

/*
 * oos_equity.csv: the test parts one after the other, each fold's equity scaled so that
 * it starts where the previous one ended (the growth of the folds compounds); time is
 * the candle's close, as in equity.csv.  buy_hold is the benchmark chained the same way:
 * in each test part all in at its first open (sim.h), scaled by the earlier parts' growth.
 */
enum sb_err sb_run_walk_forward(const struct sb_run_opts *o, const struct sb_run_inputs *in,
				const struct sb_sweep_request *req, const struct sb_walk_spec *w,
				int argc, char **argv, struct sb_walk_result *wr,
				struct sb_errbuf *err)
{
	const struct sb_candles *c = &in->candles;
	struct sb_engine_range all;
	struct sb_run_dir dir;
	char path[4200];
	double scale = 1.0, bh_scale = 1.0;
	FILE *eq = NULL;
	enum sb_err rc;

	memset(wr, 0, sizeof(*wr));
	rc = sb_run_range(o, c, &all.first, &all.n, err);
	if (!rc)
		rc = make_folds(w, &all, c->interval_us, &wr->folds, &wr->n_folds, err);
	if (rc)
		return rc;
	wr->best = calloc(wr->n_folds, sizeof(*wr->best));
	wr->in_sample = calloc(wr->n_folds, sizeof(*wr->in_sample));
	wr->out_sample = calloc(wr->n_folds, sizeof(*wr->out_sample));
	wr->oos_bh = calloc(wr->n_folds, sizeof(*wr->oos_bh));
	if (!wr->best || !wr->in_sample || !wr->out_sample || !wr->oos_bh)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	rc = sb_run_dir_begin(&dir, o->out, o->force, err);
	if (rc)
		return rc;
	if ((rc = sb_path_join(path, sizeof(path), dir.tmp, "oos_equity.csv", err)))
		goto fail;
	eq = fopen(path, "w");
	if (!eq) {
		rc = sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
		goto fail;
	}
	fputs("time,fold,id,equity,buy_hold\n", eq);
	for (size_t i = 0; i < wr->n_folds; i++) {
		struct sb_sweep_result res;
		struct sb_recorder rec;
		struct sb_combo combo;
		const struct sb_fold *fo = &wr->folds[i];

		rc = sb_run_grid(o, in, req, &fo->train, &res, err);
		if (rc)
			goto fail;
		wr->best[i] = res.order[0];
		wr->in_sample[i] = res.m[res.order[0]];
		sb_grid_result_release(&res);
		sb_grid_combo(&o->grid, wr->best[i], &combo);
		rc = sb_backtest_recorded_range(c, &in->events, &combo, fo->test.first, fo->test.n,
						&rec, &wr->out_sample[i], err);
		if (rc)
			goto fail;
		sb_buy_hold(fo->test.n, c->open[fo->test.first], c->close + fo->test.first,
			    c->interval_us, &wr->oos_bh[i]);
		for (size_t j = 0; j < fo->test.n; j++) {
			fput_time_of(eq, c, fo->test.first + j + 1);
			fprintf(eq, ",%zu,%zu,", i, wr->best[i]);
			sb_fput_num(eq, rec.equity[j] * scale);
			fputc(',', eq);
			sb_fput_num(eq, sb_buy_hold_equity(c->open[fo->test.first],
							   c->close[fo->test.first + j]) * bh_scale);
			fputc('\n', eq);
		}
		scale *= rec.equity[fo->test.n - 1] / SB_INITIAL_EQUITY;
		bh_scale *= sb_buy_hold_equity(c->open[fo->test.first],
					       c->close[fo->test.first + fo->test.n - 1]) / SB_INITIAL_EQUITY;
		sb_recorder_release(&rec);
	}
	wr->oos_growth = scale;
	wr->oos_bh_growth = bh_scale;
	if (fclose(eq) != 0) {
		eq = NULL;
		rc = sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
		goto fail;
	}
	eq = NULL;
	if ((rc = sb_path_join(path, sizeof(path), dir.tmp, "walkforward.csv", err)) ||
	    (rc = write_folds(path, o, c, wr, err)) ||
	    (rc = sb_run_write_manifest(dir.tmp, o, in, req, argc, argv, err)) ||
	    (rc = sb_run_dir_commit(&dir, err)))
		goto fail;
	snprintf(wr->dir, sizeof(wr->dir), "%s", dir.final);
	return SB_OK;
fail:
	if (eq)
		fclose(eq);
	sb_run_dir_abort(&dir);
	return rc;
}
