/* sweep.h - the parallel parameter sweep: signal groups x SIMD lane blocks */
#ifndef SB_SWEEP_H
#define SB_SWEEP_H

#include "grid.h"
#include "kernels.h"
#include "sim.h"
#include "backtest.h"
#include "../loaders/candles.h"
#include "../loaders/events.h"

struct sb_sweep_opts {
	enum sb_kernel kernel;     /* SB_KERNEL_AUTO unless a test asks for one */
	int threads;               /* 0: OpenMP's default (OMP_NUM_THREADS or all cores) */
	/* The candles traded: [first, first + count), count 0 = all.  Signals are built
	 * over every candle, so articles before 'first' feed its first windows. */
	size_t first, count;
	/* Called from one thread after each task with combinations done (it rate-limits
	 * itself); may be NULL. */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *progress_ctx;
	/* NULL, or one per thread (sb_sweep_threads(threads) of them): each thread builds
	 * its signals in its own, and leaves them there for the recorded runs that follow
	 * (the curves: memory already faulted in, the articles already indexed). */
	struct sb_backtest_work *works;
	/* NULL, or where the threads build the articles' index that all of them read
	 * (sb_article_index_init()ed by the caller, released by it after its last use):
	 * works then keep reading it after the sweep, for the curves.  NULL: the sweep's
	 * own, gone when it returns. */
	struct sb_article_index *index;
};

struct sb_sweep_stats {
	const char *kernel;        /* name of the kernel that ran */
	int threads;
	size_t groups;             /* distinct (min_confidence, window, latency) signals */
	double seconds_signal;     /* wall time building signals (summed over threads / threads) */
	double seconds_total;      /* wall time of the whole sweep phase */
};

/*
 * sb_sweep_run() computes the metrics of every combination of 'g' into m[id] (grid
 * order).  Combinations sharing (min_confidence, window, latency) form a group whose
 * signal is built once per thread that runs it; their (threshold, exit band, fee,
 * slippage) lanes run side by side.  Memory: O(candles x threads + combinations).
 * The result does not depend on the thread count or the kernel.
 */
enum sb_err sb_sweep_run(const struct sb_candles *c, const struct sb_events *ev,
			 const struct sb_grid *g, const struct sb_sweep_opts *o,
			 struct sb_metrics *m, struct sb_sweep_stats *st, struct sb_errbuf *err);

/*
 * Parts of a sweep, for a caller that spreads one grid over processes (run/mpi.c).
 * The combinations form n_groups signal groups x n_lanes lanes (sb_sweep_shape());
 * lane l of group gr is combination sb_sweep_combo_id(g, gr, l).  A part is the lanes
 * [lane_first, lane_first + lane_count) of one group; cutting at multiples of
 * SB_SWEEP_LANE_BLOCK keeps the SIMD blocks full.
 */
#define SB_SWEEP_LANE_BLOCK 8
struct sb_sweep_part {
	size_t group, lane_first, lane_count;
};
void sb_sweep_shape(const struct sb_grid *g, size_t *n_groups, size_t *n_lanes);
size_t sb_sweep_combo_id(const struct sb_grid *g, size_t group, size_t lane);

/*
 * sb_sweep_run_parts() is sb_sweep_run() for the listed parts only (none: nothing to
 * do, SB_OK): m[id] is written for their combinations and left alone for the others.
 * Each combination's metrics are the same as in a whole sweep, bit for bit.
 */
enum sb_err sb_sweep_run_parts(const struct sb_candles *c, const struct sb_events *ev,
			       const struct sb_grid *g, const struct sb_sweep_opts *o,
			       const struct sb_sweep_part *parts, size_t n_parts,
			       struct sb_metrics *m, struct sb_sweep_stats *st,
			       struct sb_errbuf *err);

/*
 * OpenMP lives in this module only (sweep.c); other layers parallelise through these.
 * sb_parallel_for() runs fn(ctx, i) for i in [0, n) on 'threads' threads (0: OpenMP's
 * default), one index at a time, dynamically scheduled, and returns the lowest i whose
 * fn returned false, or SIZE_MAX.  sb_wtime() is a wall clock in seconds.
 */
size_t sb_parallel_for(size_t n, int threads, bool (*fn)(void *ctx, size_t i), void *ctx);
/* The same, fn told which thread runs it: slot in [0, sb_sweep_threads(threads)), one
 * index at a time per slot (for per-thread buffers reused from one index to the next). */
size_t sb_parallel_for_slots(size_t n, int threads,
			     bool (*fn)(void *ctx, size_t i, int slot), void *ctx);
double sb_wtime(void);

/* The signal groups of 'g' (what sb_sweep_stats.groups will say), and the threads
 * a sweep asked for 'threads' (0 = OpenMP's default) runs on, at most. */
size_t sb_sweep_groups(const struct sb_grid *g);
int sb_sweep_threads(int threads);
/* Makes n (>= 1) the count that threads = 0 means from now on: the user's --threads. */
void sb_sweep_default_threads(int n);

#endif
