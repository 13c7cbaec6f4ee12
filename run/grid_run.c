/*
 * grid_run.c - one grid over a range of candles, ranked: what a sweep, each placebo set
 * and each walk-forward fold run (sweep_run.c, placebo.c, walkforward.c call it; it
 * calls none of them)
 */
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void sb_grid_result_release(struct sb_sweep_result *res)
{
	free(res->m);
	free(res->order);
	free(res->rank_key);
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
		sb_grid_result_release(res);
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
		sb_grid_result_release(res);
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
