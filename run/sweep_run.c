/* sweep_run.c - a sweep run: the grid, its ranking, summary.csv, stats.json, the curves */
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

/* What the top K are chosen by: a summary metric, or psr / dsr. */
static const double *g_rank_key;   /* per combination; qsort has no context argument */
static int g_rank_dir;             /* +1 highest first, -1 lowest first */

/* Undefined (NaN) values rank last; ties by id. */
static int cmp_rank(const void *a, const void *b)
{
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	double va = g_rank_key[ia], vb = g_rank_key[ib];

	if (isnan(va) != isnan(vb))
		return isnan(va) ? 1 : -1;
	if (!isnan(va) && va != vb)
		return (g_rank_dir > 0 ? va > vb : va < vb) ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

/* PSR against SR* = 0 and DSR against d->sr0 of combination id, over T = n candles. */
double sb_run_row_psr(const struct sb_metrics *m, size_t n)
{
	return sb_psr(m->sharpe_pc, 0.0, (double)n, m->skew, m->kurtosis);
}

double sb_run_row_dsr(const struct sb_metrics *m, const struct sb_dsr *d, size_t n)
{
	return sb_psr(m->sharpe_pc, d->sr0, (double)n, m->skew, m->kurtosis);
}

/* N, V and SR*_0 of the DSR from every combination's per-candle Sharpe (stats.h). */
static enum sb_err prepare_dsr(const struct sb_metrics *m, size_t count, struct sb_dsr *d,
			       struct sb_errbuf *err)
{
	double *sr = malloc(count * sizeof(*sr));

	if (!sr)
		return sb_errf(err, SB_ENOMEM, "out of memory for %zu Sharpe ratios", count);
	for (size_t i = 0; i < count; i++)
		sr[i] = m[i].sharpe_pc;
	sb_dsr_prepare(sr, count, d);
	free(sr);
	return SB_OK;
}

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

	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
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
						 sb_run_row_dsr(&m[id], d, n_candles),
						 bh->total_return, bh->sharpe, bh->max_drawdown,
						 m[id].total_return - bh->total_return };

			for (size_t k = 0; k < sizeof(extra) / sizeof(extra[0]); k++) {
				fputc(',', f);
				sb_fput_num(f, extra[k]);
			}
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
static enum sb_err write_curves(const char *dir, const struct sb_run_inputs *in,
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
	rc = sb_backtest_recorded_range(&in->candles, &in->events, &combo, first, n, &rec, &m,
					err);
	if (rc)
		return rc;
	/* The curves come from the scalar path: they must tell the summary row's story. */
	if (memcmp(&m, swept, sizeof(m)) != 0) {
		sb_recorder_release(&rec);
		return sb_errf(err, SB_EINVAL,
			       "internal error: combination %zu re-run on the scalar path differs from the sweep (try --kernel scalar, and please report it)",
			       id);
	}
	snprintf(name, sizeof(name), "equity/%zu.csv", id);
	rc = sb_path_join(eq, sizeof(eq), dir, name, err);
	snprintf(name, sizeof(name), "trades/%zu.csv", id);
	if (!rc)
		rc = sb_path_join(tr, sizeof(tr), dir, name, err);
	if (!rc)
		rc = sb_backtest_write_curves(&view, &rec, eq, tr, err);
	sb_recorder_release(&rec);
	return rc;
}

/*
 * Curves of the top combinations, then of the kept ones, one combination per task
 * (engine/sweep.c's parallel loop): each is an independent scalar re-run and two files.
 * The first error in list order is reported.
 */
struct curves_ctx {
	const char *dir;
	const struct sb_run_inputs *in;
	const struct sb_grid *g;
	const struct sb_metrics *m;
	const size_t *order, *keep;
	size_t n_top, first, n;          /* n_top ids; the candles traded */
	struct sb_errbuf *errs;          /* one per task */
};

static bool curve_task(void *p, size_t i)
{
	struct curves_ctx *c = p;
	size_t id = i < c->n_top ? c->order[i] : c->keep[i - c->n_top];

	return write_curves(c->dir, c->in, c->g, c->first, c->n, id, &c->m[id], &c->errs[i]) ==
	       SB_OK;
}

static enum sb_err write_all_curves(const char *dir, const struct sb_run_inputs *in,
				    const struct sb_grid *g, const struct sb_metrics *m,
				    const struct sb_engine_range *r, const size_t *order, size_t n_top,
				    const size_t *keep, size_t n_keep, int threads,
				    struct sb_errbuf *err)
{
	struct curves_ctx ctx = { dir, in, g, m, order, keep, n_top, r->first, r->n, NULL };
	const size_t n = n_top + n_keep;
	size_t bad;

	if (n == 0)
		return SB_OK;
	ctx.errs = calloc(n, sizeof(*ctx.errs));
	if (!ctx.errs)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	bad = sb_parallel_for(n, threads, curve_task, &ctx);
	if (bad != SIZE_MAX && err)
		*err = ctx.errs[bad];
	free(ctx.errs);
	return bad == SIZE_MAX ? SB_OK : SB_EIO;
}

void sb_sweep_result_release(struct sb_sweep_result *res)
{
	free(res->m);
	free(res->order);
	free(res->rank_key);
	sb_placebo_result_release(&res->placebo);
	memset(res, 0, sizeof(*res));
}

/*
 * sb_run_grid() runs the grid over the candles of 'r' and ranks it: res->m, order,
 * rank_key, n_top and dsr.  No file is written.
 */
enum sb_err sb_run_grid(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			const struct sb_sweep_request *req, const struct sb_engine_range *r,
			struct sb_sweep_result *res, struct sb_errbuf *err)
{
	const size_t count = o->grid.count;
	const int rank_idx = sb_metric_index(req->rank_by);
	struct sb_sweep_opts eo = req->engine;
	enum sb_err rc;

	memset(res, 0, sizeof(*res));
	res->m = calloc(count, sizeof(*res->m));
	res->order = malloc(count * sizeof(*res->order));
	res->rank_key = malloc(count * sizeof(*res->rank_key));
	if (!res->m || !res->order || !res->rank_key) {
		sb_sweep_result_release(res);
		return sb_errf(err, SB_ENOMEM, "out of memory for %zu combinations", count);
	}
	eo.first = r->first;
	eo.count = r->n;
	if (req->spread)          /* over the MPI ranks: the rows gathered on rank 0 */
		rc = sb_mpi_sweep(&in->candles, &in->events, &o->grid, &eo, res->m, &res->stats,
				  NULL, err);
	else
		rc = sb_sweep_run(&in->candles, &in->events, &o->grid, &eo, res->m, &res->stats,
				  err);
	if (!rc && req->spread && sb_mpi_rank() != 0)
		return SB_OK;         /* a worker: its rows are sent, rank 0 ranks and writes */
	if (!rc)
		rc = prepare_dsr(res->m, count, &res->dsr, err);
	if (rc) {
		sb_sweep_result_release(res);
		return rc;
	}
	for (size_t i = 0; i < count; i++) {
		res->order[i] = i;
		res->rank_key[i] = rank_idx >= 0 ? sb_metric_value(&res->m[i], rank_idx)
				 : !strcmp(req->rank_by, "psr") ? sb_run_row_psr(&res->m[i], r->n)
				 : sb_run_row_dsr(&res->m[i], &res->dsr, r->n);
	}
	g_rank_key = res->rank_key;
	g_rank_dir = strcmp(req->rank_by, "max_drawdown") == 0 ? -1 : 1;
	qsort(res->order, count, sizeof(*res->order), cmp_rank);
	res->n_top = req->top < count ? req->top : count;
	res->n_candles = r->n;
	return SB_OK;
}

enum sb_err sb_run_sweep(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			 const struct sb_sweep_request *req, int argc, char **argv,
			 struct sb_sweep_result *res, struct sb_errbuf *err)
{
	struct sb_engine_range r;
	struct sb_run_dir dir;
	struct sb_sweep_request as_run;   /* for the manifest: the threads that ran */
	char path[4200];
	enum sb_err rc;

	rc = sb_run_range(o, &in->candles, &r.first, &r.n, err);
	if (rc)
		return rc;
	rc = sb_run_grid(o, in, req, &r, res, err);
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
	if ((rc = sb_path_join(path, sizeof(path), dir.tmp, "summary.csv", err)) ||
	    (rc = write_summary(path, &o->grid, res->m, &res->dsr, &res->bh, r.n, err)) ||
	    (sb_mpi_fault("write"), false) ||
	    (rc = sb_path_join(path, sizeof(path), dir.tmp, "stats.json", err)) ||
	    (req->placebo && (rc = sb_run_placebo(o, in, req, res, req->placebo, req->seed,
						  dir.tmp, &res->placebo, err))) ||
	    (rc = write_stats_json(path, &res->dsr, res->m, res->order[0], r.n, req, res, err)) ||
	    (rc = sb_path_join(path, sizeof(path), dir.tmp, "equity", err)) ||
	    (rc = sb_mkdirs(path, err)) ||
	    (rc = sb_path_join(path, sizeof(path), dir.tmp, "trades", err)) ||
	    (rc = sb_mkdirs(path, err)) ||
	    (rc = write_all_curves(dir.tmp, in, &o->grid, res->m, &r, res->order, res->n_top,
				   req->keep, req->n_keep, req->engine.threads, err)) ||
	    /* the manifest is the last file written: it lists every output */
	    (rc = sb_run_write_manifest(dir.tmp, o, in, &as_run, argc, argv, err)) ||
	    (rc = sb_run_dir_commit(&dir, err))) {
		sb_run_dir_abort(&dir);
		return rc;
	}
	snprintf(res->dir, sizeof(res->dir), "%s", dir.final);
	return SB_OK;
}
