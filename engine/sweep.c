/* sweep.c - groups, lane blocks, OpenMP partitioning */
#include "sweep.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define LANE_BLOCK SB_SWEEP_LANE_BLOCK   /* lanes per task: one AVX-512 register of doubles */

/* Axis indices of the lane axes (h, e, costs, the exit axes); the group (signal) axes
 * are k, W, L and the strategy's. */
static int lane_axes_of(const struct sb_grid *g, int *axes)
{
	static const int base[] = { SB_AX_THRESHOLD, SB_AX_EXIT_BAND, SB_AX_FEE_BPS,
				    SB_AX_SLIPPAGE_BPS };
	int n = 0;

	for (; n < 4; n++)
		axes[n] = base[n];
	for (int j = 0; g->has_exits && j < SB_N_EXIT_AXES; j++)
		axes[n++] = sb_grid_exit_axis(g, j);
	return n;
}

/*
 * The window varies fastest: consecutive groups differ only in their window, share
 * the per-candle sums of their articles (strategies/strategy.h), and a thread takes
 * them in a row (see the schedule below).  The order does not change any result.
 */
static int group_axes_of(const struct sb_grid *g, int *axes)
{
	int n = 0;

	axes[n++] = SB_AX_MIN_CONFIDENCE;
	axes[n++] = SB_AX_LATENCY;
	for (int k = 0; k < sb_grid_strategy_axes(g); k++)
		axes[n++] = SB_AX_STRATEGY0 + k;
	axes[n++] = SB_AX_WINDOW;
	return n;
}

/* Splits 'x' into indices along 'axes' (the last varies fastest). */
static void unrank(const struct sb_grid *g, const int *axes, int na, size_t x, size_t *idx)
{
	for (int k = na - 1; k >= 0; k--) {
		idx[axes[k]] = x % g->ax[axes[k]].n;
		x /= g->ax[axes[k]].n;
	}
}

/* The grid-order id of a full set of axis indices. */
static size_t rank_id(const struct sb_grid *g, const size_t *idx)
{
	size_t id = 0;

	for (int k = 0; k < g->n_axes; k++)
		id = id * g->ax[k].n + idx[k];
	return id;
}

static size_t product(const struct sb_grid *g, const int *axes, int na)
{
	size_t n = 1;

	for (int k = 0; k < na; k++)
		n *= g->ax[axes[k]].n;
	return n;
}

void sb_sweep_shape(const struct sb_grid *g, size_t *n_groups, size_t *n_lanes)
{
	int group_axes[SB_MAX_AXES], lane_axes[SB_MAX_AXES];
	const int n_gax = group_axes_of(g, group_axes), n_lax = lane_axes_of(g, lane_axes);

	*n_groups = product(g, group_axes, n_gax);
	*n_lanes = product(g, lane_axes, n_lax);
}

size_t sb_sweep_combo_id(const struct sb_grid *g, size_t group, size_t lane)
{
	int group_axes[SB_MAX_AXES], lane_axes[SB_MAX_AXES];
	const int n_gax = group_axes_of(g, group_axes), n_lax = lane_axes_of(g, lane_axes);
	size_t idx[SB_MAX_AXES] = { 0 };

	unrank(g, lane_axes, n_lax, lane, idx);
	unrank(g, group_axes, n_gax, group, idx);
	return rank_id(g, idx);
}

enum sb_err sb_sweep_run(const struct sb_candles *c, const struct sb_events *ev,
			 const struct sb_grid *g, const struct sb_sweep_opts *o,
			 struct sb_metrics *m, struct sb_sweep_stats *st, struct sb_errbuf *err)
{
	return sb_sweep_run_parts(c, ev, g, o, NULL, 0, m, st, err);
}

/*
 * The schedule: chunks of tasks, in grid order, split into one run of consecutive
 * chunks per thread; a thread takes its own from the front, and when they are gone
 * the last chunk of the thread with the most left.  Consecutive groups differ by one
 * step of their slowest axis (one min-confidence), and a strategy moves its sums from
 * the last group it built (strategies/strategy.c): taken in turn, as a dynamic
 * schedule hands them out, every thread's steps are T times as wide (T times the
 * articles to move).  Measured on 2 threads, one threshold x 50 min-confidences
 * (bench-signal's grid): the signals 0.096 -> 0.050 s a thread, the sweep 0.19 ->
 * 0.13 s; the same on the benchmark's 91 thresholds.  Results do not depend on who
 * takes what.
 */
struct sched {
	size_t *lo, *hi;                /* per thread: its chunks [lo, hi) not yet taken */
	int threads;
	size_t chunk, n_tasks;
};

static bool sched_init(struct sched *s, int threads, size_t chunk, size_t n_tasks)
{
	const size_t n_chunks = (n_tasks + chunk - 1) / chunk;

	s->threads = threads;
	s->chunk = chunk;
	s->n_tasks = n_tasks;
	s->lo = malloc((size_t)threads * sizeof(*s->lo));
	s->hi = malloc((size_t)threads * sizeof(*s->hi));
	if (!s->lo || !s->hi)
		return false;
	for (int t = 0; t < threads; t++) {
		s->lo[t] = n_chunks * (size_t)t / (size_t)threads;
		s->hi[t] = n_chunks * (size_t)(t + 1) / (size_t)threads;
	}
	return true;
}

static void sched_release(struct sched *s)
{
	free(s->lo);
	free(s->hi);
}

/* Thread t's next task into *task (its chunk ends at *end); false when none is left. */
static bool sched_next(struct sched *s, int t, size_t *task, size_t *end)
{
	size_t ck = SIZE_MAX;

	if (*task < *end)
		return true;
#pragma omp critical(sb_sweep_sched)
	{
		if (s->lo[t] < s->hi[t]) {
			ck = s->lo[t]++;
		} else {
			int v = -1;

			for (int u = 0; u < s->threads; u++)
				if (s->hi[u] > s->lo[u] &&
				    (v < 0 || s->hi[u] - s->lo[u] > s->hi[v] - s->lo[v]))
					v = u;
			if (v >= 0)
				ck = --s->hi[v];
		}
	}
	if (ck == SIZE_MAX)
		return false;
	*task = ck * s->chunk;
	*end = *task + s->chunk < s->n_tasks ? *task + s->chunk : s->n_tasks;
	return true;
}

/* parts NULL: every group, whole. */
enum sb_err sb_sweep_run_parts(const struct sb_candles *c, const struct sb_events *ev,
			       const struct sb_grid *g, const struct sb_sweep_opts *o,
			       const struct sb_sweep_part *parts, size_t n_parts,
			       struct sb_metrics *m, struct sb_sweep_stats *st,
			       struct sb_errbuf *err)
{
	int group_axes[SB_MAX_AXES], lane_axes[SB_MAX_AXES];
	const int n_gax = group_axes_of(g, group_axes), n_lax = lane_axes_of(g, lane_axes);
	const size_t n_groups = product(g, group_axes, n_gax);
	const size_t n_lanes = product(g, lane_axes, n_lax);
	size_t blocks_per_part = (n_lanes + LANE_BLOCK - 1) / LANE_BLOCK;   /* the largest */
	size_t blocks_per_task, tasks_per_part, n_tasks, n_combos = 0;
	struct sb_sweep_part whole = { 0, 0, n_lanes };
	int chunk = 1;                /* tasks a thread takes at a time */
	struct sb_trade_params *lane_params;
	size_t *lane_ids;            /* [group][lane] -> combination id */
	const char *kname;
	sb_kernel_fn kernel = sb_kernel_get(o->kernel, &kname);
	sb_exits_kernel_fn xkernel = sb_kernel_exits_get(o->kernel);
	size_t done = 0;
	double t_start = omp_get_wtime(), t_signal = 0.0;
	int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
	const size_t first = o->first, n_sim = o->count ? o->count : c->n - first;
	struct sb_bars bars;
	struct sched sched;
	struct sb_article_index own_index, *index = o->index ? o->index : &own_index;
	bool share = false;
	enum sb_err rc = SB_OK;
	struct sb_errbuf first_err = { "" };

	sb_article_index_init(&own_index);
	if (!parts) {
		n_parts = n_groups;
		n_combos = g->count;
	}
	for (size_t p = 0; parts && p < n_parts; p++) {
		if (parts[p].group >= n_groups || parts[p].lane_first > n_lanes ||
		    parts[p].lane_count > n_lanes - parts[p].lane_first)
			return sb_errf(err, SB_EINVAL, "sweep part %zu outside the grid", p);
		n_combos += parts[p].lane_count;
	}
	if (n_parts == 0) {          /* a process with no share of the grid */
		if (st)
			*st = (struct sb_sweep_stats){ .kernel = kname, .threads = threads,
						       .groups = n_groups };
		return SB_OK;
	}
	if (parts) {
		blocks_per_part = 1;
		for (size_t p = 0; p < n_parts; p++)
			if ((parts[p].lane_count + LANE_BLOCK - 1) / LANE_BLOCK > blocks_per_part)
				blocks_per_part = (parts[p].lane_count + LANE_BLOCK - 1) / LANE_BLOCK;
	}
	if (first > c->n || n_sim > c->n - first || n_sim == 0)
		return sb_errf(err, SB_EINVAL, "candle range [%zu, +%zu) outside the %zu candles",
			       first, n_sim, c->n);
	bars = (struct sb_bars){ c->open + first, c->high + first, c->low + first,
				 c->close + first };
	lane_params = malloc(n_lanes * sizeof(*lane_params));
	lane_ids = malloc(n_groups * n_lanes * sizeof(*lane_ids));
	if (!lane_params || !lane_ids) {
		free(lane_params);
		free(lane_ids);
		return sb_errf(err, SB_ENOMEM, "out of memory for %zu combinations", g->count);
	}
	for (size_t l = 0; l < n_lanes; l++) {
		size_t idx[SB_MAX_AXES] = { 0 };
		struct sb_combo combo;

		unrank(g, lane_axes, n_lax, l, idx);
		sb_grid_combo(g, rank_id(g, idx), &combo);
		sb_combo_trade_params(&combo, &lane_params[l]);
		for (size_t gr = 0; gr < n_groups; gr++) {
			unrank(g, group_axes, n_gax, gr, idx);
			lane_ids[gr * n_lanes + l] = rank_id(g, idx);
		}
	}
	/*
	 * Tasks: a run of lane blocks of one part (a group, or the caller's lanes of one).
	 * With many parts a task is a whole part (its signal is built once); with few, parts
	 * are cut so that every thread has work.  The schedule (struct sched) balances
	 * groups of unequal cost (low min-confidence means dense signals and many more
	 * transitions) by stealing the last chunks of the longest run.
	 */
	{
		size_t want_tasks = 4 * (size_t)threads;
		size_t cuts = n_parts >= want_tasks / 2 ? 1 : (want_tasks + n_parts - 1) / n_parts;

		blocks_per_task = (blocks_per_part + cuts - 1) / cuts;
		tasks_per_part = (blocks_per_part + blocks_per_task - 1) / blocks_per_task;
		n_tasks = n_parts * tasks_per_part;
		/* whole groups: the windows of one signal in a row, while that leaves
		 * several chunks per thread (a caller's parts keep their own order) */
		if (!parts && tasks_per_part == 1 &&
		    n_groups / g->ax[SB_AX_WINDOW].n >= 2 * (size_t)threads)
			chunk = (int)g->ax[SB_AX_WINDOW].n;
	}
	if (threads > (int)n_tasks)
		threads = (int)n_tasks;
	/*
	 * One index of the articles for every thread, built by all of them in parts (each
	 * thread its own would page in and fill ~12 MB more a thread): when every group
	 * has the same latency; otherwise each work indexes per latency itself.
	 */
	if (g->ax[SB_AX_LATENCY].n == 1 && threads > 0) {
		struct sb_errbuf ierr;

		/* out of memory: no shared index, each work then builds its own */
		share = sb_article_index_begin(index, c, ev, g->ax[SB_AX_LATENCY].v[0], threads,
					       &ierr) == SB_OK;
	}
	if (!sched_init(&sched, threads, (size_t)chunk, n_tasks)) {
		sb_article_index_release(&own_index);
		sched_release(&sched);
		free(lane_params);
		free(lane_ids);
		return sb_errf(err, SB_ENOMEM, "out of memory for %zu combinations", g->count);
	}

#pragma omp parallel num_threads(threads) reduction(+:t_signal)
	{
		int t = omp_get_thread_num();
		struct sb_backtest_work *bw = o->works ? &o->works[t] : NULL;
		double *signal = bw ? sb_backtest_work_signal(bw, c->n)
				    : sb_aligned_alloc_raw(c->n * sizeof(double));   /* written whole */
		struct sb_accum *acc = malloc(blocks_per_task * LANE_BLOCK * sizeof(*acc));
		struct sb_signal_work own, *work = bw ? &bw->sw : &own;
		size_t cur_group = SIZE_MAX;
		struct sb_errbuf terr;
		bool failed = !signal || !acc;

		if (!bw)
			sb_signal_work_init(&own);
		/* the same for every thread of the team: a barrier all of them reach */
		if (share && omp_get_num_threads() == index->parts) {
			double t0 = omp_get_wtime();

			sb_article_index_count(index, t);
#pragma omp barrier
#pragma omp single
			sb_article_index_place(index);
			sb_article_index_fill(index, t);
#pragma omp barrier
			sb_signal_work_share(work, index);
			t_signal += omp_get_wtime() - t0;      /* step 1 of every signal */
		}
		if (failed) {
#pragma omp critical
			if (!rc) {
				rc = SB_ENOMEM;
				sb_errf(&first_err, SB_ENOMEM, "out of memory for the signal");
			}
		}
		for (size_t task = 0, end = 0; sched_next(&sched, t, &task, &end); task++) {
			const struct sb_sweep_part *pt = parts ? &parts[task / tasks_per_part] : &whole;
			size_t gr = parts ? pt->group : task / tasks_per_part;
			size_t off = (task % tasks_per_part) * blocks_per_task * LANE_BLOCK;
			size_t l0 = pt->lane_first + off, nl;

			if (failed || off >= pt->lane_count)
				continue;
			nl = pt->lane_count - off < blocks_per_task * LANE_BLOCK ? pt->lane_count - off
										 : blocks_per_task * LANE_BLOCK;
			if (gr != cur_group) {
				size_t idx[SB_MAX_AXES] = { 0 };
				struct sb_combo combo;
				struct sb_signal_params sp;
				double t0 = omp_get_wtime();

				unrank(g, group_axes, n_gax, gr, idx);
				sb_grid_combo(g, rank_id(g, idx), &combo);
				sb_combo_signal_params(&combo, &sp);
				if (combo.strategy->signal(work, c, ev, &sp, signal, NULL, NULL, &terr)) {
					failed = true;
#pragma omp critical
					if (!rc) {
						rc = SB_EINVAL;
						first_err = terr;
					}
					continue;
				}
				cur_group = gr;
				t_signal += omp_get_wtime() - t0;
			}
			sb_kernel_dispatch(kernel, xkernel, n_sim, &bars, signal + first,
					   lane_params + l0, nl, acc);
			for (size_t l = 0; l < nl; l++)
				sb_metrics_finish(&acc[l], n_sim, c->interval_us,
						  &m[lane_ids[gr * n_lanes + l0 + l]]);
#pragma omp atomic
			done += nl;
			if (t == 0 && o->progress) {
				size_t d;
#pragma omp atomic read
				d = done;
				o->progress(o->progress_ctx, d, n_combos);
			}
		}
		free(acc);
		if (index == &own_index)
			sb_signal_work_share(work, NULL);   /* the index goes with this call */
		if (!bw) {
			free(signal);
			sb_signal_work_release(&own);
		}
	}
	if (o->progress && !rc)
		o->progress(o->progress_ctx, n_combos, n_combos);
	sched_release(&sched);
	sb_article_index_release(&own_index);
	free(lane_params);
	free(lane_ids);
	if (st) {
		st->kernel = kname;
		st->threads = threads;
		st->groups = n_groups;
		st->seconds_signal = t_signal / threads;
		st->seconds_total = omp_get_wtime() - t_start;
	}
	if (rc && err)
		*err = first_err;
	return rc;
}

size_t sb_parallel_for_slots(size_t n, int threads,
			     bool (*fn)(void *ctx, size_t i, int slot), void *ctx)
{
	size_t first_bad = SIZE_MAX;

#pragma omp parallel for schedule(dynamic, 1) num_threads(sb_sweep_threads(threads))
	for (size_t i = 0; i < n; i++) {
		if (!fn(ctx, i, omp_get_thread_num())) {
#pragma omp critical
			if (i < first_bad)
				first_bad = i;
		}
	}
	return first_bad;
}

struct plain_for {
	bool (*fn)(void *ctx, size_t i);
	void *ctx;
};

static bool plain_task(void *p, size_t i, int slot)
{
	const struct plain_for *f = p;

	(void)slot;
	return f->fn(f->ctx, i);
}

size_t sb_parallel_for(size_t n, int threads, bool (*fn)(void *ctx, size_t i), void *ctx)
{
	struct plain_for f = { fn, ctx };

	return sb_parallel_for_slots(n, threads, plain_task, &f);
}

double sb_wtime(void)
{
	return omp_get_wtime();
}

size_t sb_sweep_groups(const struct sb_grid *g)
{
	int axes[SB_MAX_AXES];
	const int n = group_axes_of(g, axes);

	return product(g, axes, n);
}

int sb_sweep_threads(int threads)
{
	return threads > 0 ? threads : omp_get_max_threads();
}

void sb_sweep_default_threads(int n)
{
	if (n >= 1)
		omp_set_num_threads(n);
}
