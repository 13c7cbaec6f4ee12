/* sweep_run.c - a sweep run: summary.csv, stats.json, the curves (the ranked grid: grid_run.c) */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json.h"
#include "../engine/backtest.h"
#include "../engine/results.h"
#include "mpi.h"

/* stats.json: the deflated Sharpe ratio of the best combination and its inputs. */
static enum sb_err write_stats_json(const char *path, const struct sb_dsr *d,
				    const struct sb_metrics *m, size_t best, size_t n_candles,
				    const struct sb_sweep_request *req,
				    const struct sb_sweep_result *res, struct sb_errbuf *err)
{
	const char *rank_by = req->rank_by;
	const struct sb_placebo_result *pr = &res->placebo;
	struct sb_json *o = sb_json_new_object(), *p, *a;

	if (o) {
		sb_json_add_num(o, "n_trials", (double)d->n_trials);
		sb_json_add_str(o, "n_trials_note",
				"combinations with a defined Sharpe ratio (not independent "
				"trials: an upper bound, so the DSR errs low)");
		sb_json_add_num(o, "var_sharpe", d->var_sr);
		sb_json_add_num(o, "sr0", d->sr0);
		sb_json_add_str(o, "sharpe_note", "per-candle (not annualised) Sharpe ratios");
		sb_json_add_num(o, "candles", (double)n_candles);
		sb_json_add_str(o, "rank_by", rank_by);
		sb_json_add_num(o, "best_id", (double)best);
		sb_json_add_num(o, "best_sharpe_per_candle", m[best].sharpe_pc);
		sb_json_add_num(o, "best_skew", m[best].skew);
		sb_json_add_num(o, "best_kurtosis", m[best].kurtosis);
		sb_json_add_num(o, "best_psr", sb_run_row_psr(&m[best], n_candles));
		sb_json_add_num(o, "best_dsr", sb_run_row_dsr(&m[best], d, n_candles));
		p = sb_json_add_object(o, "buy_and_hold");
		sb_json_add_num(p, "total_return", res->bh.total_return);
		sb_json_add_num(p, "sharpe", res->bh.sharpe);
		sb_json_add_num(p, "max_drawdown", res->bh.max_drawdown);
	}
	if (o && req->placebo) {
		p = sb_json_add_object(o, "placebo");
		sb_json_add_num(p, "n", (double)pr->n);
		sb_json_add_num(p, "seed", (double)pr->seed);
		sb_json_add_str(p, "method", "scores permuted across articles, publication times "
					     "shifted circularly by a random offset within the candles' span");
		sb_json_add_num(p, "best_real", pr->best_real);
		sb_json_add_num(p, "best_percentile", pr->best_percentile);
		sb_json_add_num(p, "p_value", pr->p_value);
		a = sb_json_add_array(p, "keep");
		for (size_t k = 0; a && k < pr->n_keep; k++) {
			struct sb_json *e = sb_json_add_object(a, NULL);

			sb_json_add_num(e, "id", (double)req->keep[k]);
			sb_json_add_num(e, "value", res->rank_key[req->keep[k]]);
			sb_json_add_num(e, "percentile", pr->keep_percentile[k]);
		}
	}
	return sb_json_write(path, o, 0, err);
}

/*
 * summary.csv; after the metrics: skew, kurtosis (raw) of per-candle returns, psr, dsr,
 * then the buy-and-hold benchmark of the period (the same on every row), the row's
 * excess return over it, and the closed trades by why they ended (exits_signal,
 * exits_stop, exits_take, exits_trail, exits_time).
 */
static enum sb_err write_summary(const char *path, const struct sb_grid *g,
				 const struct sb_metrics *m, const struct sb_dsr *d,
				 const struct sb_metrics *bh, size_t n_candles,
				 struct sb_errbuf *err)
{
	FILE *f = fopen(path, "w");
	char bh_text[3 * SB_NUM_LEN + 4] = "";   /* the same on every row: formatted once */
	const double bhv[] = { bh->total_return, bh->sharpe, bh->max_drawdown };

	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	for (size_t k = 0; k < sizeof(bhv) / sizeof(bhv[0]); k++) {
		char num[SB_NUM_LEN];

		strcat(bh_text, ",");
		if (!isnan(bhv[k]))
			strcat(bh_text, sb_fmt_num(bhv[k], num));
	}
	fputs("id", f);
	for (int k = 0; k < g->n_axes; k++)
		fprintf(f, ",%s", sb_grid_axis_name(g, k));
	for (int k = 0; k < SB_N_METRICS; k++)
		fprintf(f, ",%s", sb_metric_names[k]);
	fputs(",skew,kurtosis,psr,dsr,bh_return,bh_sharpe,bh_max_drawdown,excess_return", f);
	for (int r = SB_EXIT_SIGNAL; r < SB_EXIT_END; r++)
		fprintf(f, ",exits_%s", sb_exit_reason_names[r]);
	fputc('\n', f);
	for (size_t id = 0; id < g->count; id++) {
		fprintf(f, "%zu", id);
		sb_fput_combo_values(f, g, id);
		for (int k = 0; k < SB_N_METRICS; k++) {
			fputc(',', f);
			sb_fput_num(f, sb_metric_value(&m[id], k));
		}
		{
			const double extra[] = { m[id].skew, m[id].kurtosis,
						 sb_run_row_psr(&m[id], n_candles),
						 sb_run_row_dsr(&m[id], d, n_candles) };

			for (size_t k = 0; k < sizeof(extra) / sizeof(extra[0]); k++) {
				fputc(',', f);
				sb_fput_num(f, extra[k]);
			}
			fputs(bh_text, f);
			fputc(',', f);
			sb_fput_num(f, m[id].total_return - bh->total_return);
		}
		for (int r = SB_EXIT_SIGNAL; r < SB_EXIT_END; r++)
			fprintf(f, ",%llu", (unsigned long long)m[id].exits[r]);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		return sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return SB_OK;
}

/* Writes equity/<id>.csv and trades/<id>.csv; checks the re-run equals the sweep. */
static enum sb_err write_curves(struct sb_backtest_work *w, const struct sb_curve_cols *cols,
				const char *dir, const struct sb_run_inputs *in,
				const struct sb_grid *g, size_t first, size_t n, size_t id,
				const struct sb_metrics *swept, struct sb_errbuf *err)
{
	struct sb_recorder rec;
	struct sb_metrics m;
	struct sb_combo combo;
	struct sb_candles view;
	char eq[4200], tr[4200], name[64];
	enum sb_err rc;

	sb_grid_combo(g, id, &combo);
	sb_candles_view(&in->candles, first, n, &view);
	rc = sb_backtest_recorded_work(w, &in->candles, &in->events, &combo, first, n, &rec, &m,
				       err);
	if (rc)
		return rc;
	/* The curves come from the scalar path: they must tell the summary row's story. */
	if (memcmp(&m, swept, sizeof(m)) != 0)
		return sb_errf(err, SB_EINVAL,
			       "internal error: combination %zu re-run on the scalar path differs from the sweep (try --kernel scalar, and please report it)",
			       id);
	snprintf(name, sizeof(name), "equity/%zu.csv", id);
	rc = sb_path_join(eq, sizeof(eq), dir, name, err);
	snprintf(name, sizeof(name), "trades/%zu.csv", id);
	if (!rc)
		rc = sb_path_join(tr, sizeof(tr), dir, name, err);
	if (!rc)
		rc = sb_write_equity_csv_cols(eq, &view, &rec, cols, err);
	if (!rc)
		rc = sb_write_trades_csv(tr, &view, &rec, err);
	return rc;
}

/*
 * summary.csv, then the curves of the top combinations and of the kept ones, one file
 * or combination per task (engine/sweep.c's parallel loop): each curve is an
 * independent scalar re-run and two files, on its thread's buffers.  The curves run
 * in the order of their signal, so that a thread finds the signal it built last more
 * often.  The first error in list order (summary, top, kept) is reported.
 */
struct outputs_ctx {
	const char *dir, *summary;
	const struct sb_run_opts *o;
	const struct sb_run_inputs *in;
	const struct sb_sweep_result *res;
	const size_t *keep;
	size_t first, n;                  /* the candles traded */
	size_t *ids;                      /* per curve task, in the order they run */
	size_t *pos;                      /* per curve task: its place in the list */
	struct sb_backtest_work *work;    /* one per thread, the sweep's */
	struct sb_curve_cols cols;        /* close and buy_hold, formatted once */
	bool have_cols;
	struct sb_errbuf *errs;           /* per list place: 0 summary, 1 + curve */
	bool *bad;
};

static enum sb_err write_summary(const char *path, const struct sb_grid *g,
				 const struct sb_metrics *m, const struct sb_dsr *d,
				 const struct sb_metrics *bh, size_t n_candles,
				 struct sb_errbuf *err);

static bool output_task(void *p, size_t i, int slot)
{
	struct outputs_ctx *c = p;
	const struct sb_sweep_result *res = c->res;
	size_t at = i == 0 ? 0 : 1 + c->pos[i - 1];
	enum sb_err rc;

	if (i == 0)
		rc = write_summary(c->summary, &c->o->grid, res->m, &res->dsr, &res->bh, c->n,
				   &c->errs[0]);
	else
		rc = write_curves(&c->work[slot], c->have_cols ? &c->cols : NULL, c->dir, c->in,
				  &c->o->grid, c->first, c->n, c->ids[i - 1], &res->m[c->ids[i - 1]],
				  &c->errs[at]);
	c->bad[at] = rc != SB_OK;
	return rc == SB_OK;
}

static bool cols_task(void *p, size_t i)
{
	struct outputs_ctx *c = p;

	sb_curve_cols_fill(&c->cols, i);
	return true;
}

/* qsort context: the combination of each list place, by its signal group */
static const struct sb_grid *g_sort_grid;
static const size_t *g_sort_ids;

static int cmp_signal(const void *a, const void *b)
{
	size_t pa = *(const size_t *)a, pb = *(const size_t *)b;
	struct sb_combo ca, cb;
	struct sb_signal_params sa, sb;
	int d;

	sb_grid_combo(g_sort_grid, g_sort_ids[pa], &ca);
	sb_grid_combo(g_sort_grid, g_sort_ids[pb], &cb);
	sb_combo_signal_params(&ca, &sa);
	sb_combo_signal_params(&cb, &sb);
	d = memcmp(&sa, &sb, sizeof(sa));
	if (d)
		return d;
	return pa < pb ? -1 : pa > pb;
}

static enum sb_err write_outputs(const char *dir, const char *summary,
				 const struct sb_run_opts *o, const struct sb_run_inputs *in,
				 const struct sb_engine_range *r, const struct sb_sweep_result *res,
				 const size_t *keep, size_t n_keep, int threads,
				 struct sb_backtest_work *works, struct sb_errbuf *err)
{
	const size_t n = res->n_top + n_keep;
	const int slots = sb_sweep_threads(threads);
	struct outputs_ctx ctx = { .dir = dir, .summary = summary, .o = o, .in = in, .res = res,
				   .keep = keep, .first = r->first, .n = r->n };
	size_t *list = malloc((n ? n : 1) * sizeof(*list));
	enum sb_err rc = SB_OK;

	ctx.ids = malloc((n ? n : 1) * sizeof(*ctx.ids));
	ctx.pos = malloc((n ? n : 1) * sizeof(*ctx.pos));
	ctx.work = works;
	ctx.errs = calloc(n + 1, sizeof(*ctx.errs));
	ctx.bad = calloc(n + 1, sizeof(*ctx.bad));
	if (!list || !ctx.ids || !ctx.pos || !ctx.errs || !ctx.bad) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		list[k] = k < res->n_top ? res->order[k] : keep[k - res->n_top];
		ctx.pos[k] = k;
	}
	g_sort_grid = &o->grid;
	g_sort_ids = list;
	qsort(ctx.pos, n, sizeof(*ctx.pos), cmp_signal);
	for (size_t k = 0; k < n; k++)
		ctx.ids[k] = list[ctx.pos[k]];
	if (n >= 2) {                     /* the shared columns, once for all the curves */
		struct sb_candles view;

		sb_candles_view(&in->candles, r->first, r->n, &view);
		ctx.have_cols = sb_curve_cols_init(&ctx.cols, &view, (size_t)slots);
		if (ctx.have_cols)
			sb_parallel_for((size_t)slots, threads, cols_task, &ctx);
	}
	sb_parallel_for_slots(n + 1, threads, output_task, &ctx);
	if (ctx.have_cols)
		sb_curve_cols_release(&ctx.cols);
	for (size_t k = 0; k <= n; k++)
		if (ctx.bad[k]) {
			if (err)
				*err = ctx.errs[k];
			rc = SB_EIO;
			break;
		}
out:
	free(list);
	free(ctx.ids);
	free(ctx.pos);
	free(ctx.errs);
	free(ctx.bad);
	return rc;
}

void sb_sweep_result_release(struct sb_sweep_result *res)
{
	sb_placebo_result_release(&res->placebo);
	sb_grid_result_release(res);
}

/* sb_run_sweep() with one buffer set per thread, shared by the sweep and the curves */
static enum sb_err run_sweep(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			     const struct sb_sweep_request *req, int argc, char **argv,
			     struct sb_backtest_work *works, struct sb_article_index *index,
			     struct sb_sweep_result *res, struct sb_errbuf *err)
{
	struct sb_sweep_request with_works = *req;
	struct sb_engine_range r;
	struct sb_run_dir dir;
	struct sb_sweep_request as_run;   /* for the manifest: the threads that ran */
	char path[4200], summary[4200];
	enum sb_err rc;

	rc = sb_run_range(o, &in->candles, &r.first, &r.n, err);
	if (rc)
		return rc;
	with_works.engine.works = works;
	with_works.engine.index = index;  /* this sweep's only: not the placebo sets' */
	rc = sb_run_grid(o, in, &with_works, &r, res, err);
	if (rc || (req->spread && sb_mpi_rank() != 0))
		return rc;
	/* once for the run (not in sb_run_grid: placebo sets and folds do not need it) */
	sb_buy_hold(r.n, in->candles.open[r.first], in->candles.close + r.first,
		    in->candles.interval_us, &res->bh);

	as_run = *req;
	as_run.engine.threads = res->stats.threads;
	rc = sb_run_dir_begin(&dir, o->out, o->force, err);
	if (rc)
		return rc;
	if ((rc = sb_path_join(summary, sizeof(summary), dir.tmp, "summary.csv", err)) ||
	    (sb_mpi_fault("write"), false) ||
	    (rc = sb_path_join(path, sizeof(path), dir.tmp, "stats.json", err)) ||
	    (req->placebo && (rc = sb_run_placebo(o, in, req, res, req->placebo, req->seed,
						  dir.tmp, &res->placebo, err))) ||
	    (rc = write_stats_json(path, &res->dsr, res->m, res->order[0], r.n, req, res, err)) ||
	    (rc = sb_path_join(path, sizeof(path), dir.tmp, "equity", err)) ||
	    (rc = sb_mkdirs(path, err)) ||
	    (rc = sb_path_join(path, sizeof(path), dir.tmp, "trades", err)) ||
	    (rc = sb_mkdirs(path, err)) ||
	    (rc = write_outputs(dir.tmp, summary, o, in, &r, res, req->keep, req->n_keep,
				req->engine.threads, works, err)) ||
	    /* the manifest is the last file written: it lists every output */
	    (rc = sb_run_write_manifest(dir.tmp, o, in, &as_run, argc, argv, err)) ||
	    (rc = sb_run_dir_commit(&dir, err))) {
		sb_run_dir_abort(&dir);
		return rc;
	}
	snprintf(res->dir, sizeof(res->dir), "%s", dir.final);
	return SB_OK;
}

enum sb_err sb_run_sweep(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			 const struct sb_sweep_request *req, int argc, char **argv,
			 struct sb_sweep_result *res, struct sb_errbuf *err)
{
	const int slots = sb_sweep_threads(req->engine.threads);
	struct sb_backtest_work *works = calloc((size_t)slots, sizeof(*works));
	struct sb_article_index index;    /* the sweep's, read again by the curves */
	enum sb_err rc;

	if (!works)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	for (int t = 0; t < slots; t++)
		sb_backtest_work_init(&works[t]);
	sb_article_index_init(&index);
	rc = run_sweep(o, in, req, argc, argv, works, &index, res, err);
	for (int t = 0; t < slots; t++)
		sb_backtest_work_release(&works[t]);
	sb_article_index_release(&index);
	free(works);
	return rc;
}
