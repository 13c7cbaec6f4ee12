/*
 * estimate.c - what a sweep will cost before it runs (sweep --dry-run): time and disk
 * from rates measured on this project's machine, not from a trial run.
 */
#include "run.h"

#include <string.h>

#include "../engine/kernels.h"
#include "../engine/sweep.h"
#include "mpi.h"

/*
 * The rates --dry-run estimates with, calibrated by `make bench` on this project's
 * 2-core AVX-512 machine (2026-11-30): the word kernel at 2.7-2.9e9 combination-candles/s
 * a core alone (make bench-kernel) and 5.0e9 on 2 threads in the sweep; the generic and
 * scalar kernels at the shares of it measured before (0.28x and 0.055x of the previous
 * AVX-512 kernel, which the word kernel runs 1.2x); signals of 50 groups over 525,600
 * candles in 0.06-0.08 s on 2 threads; a year-long curve ~60 ms (re-run, format, hash,
 * write); summary.csv 373 bytes a row, equity.csv 68 bytes a candle.  A busy machine is
 * slower: the progress line's ETA is measured, these are not.
 */
static const struct { const char *kernel; double cc_per_s; } kernel_rates[] = {
	{ "avx512", 2.7e9 }, { "generic", 4.3e8 }, { "scalar", 8.4e7 },
};
/* Lanes with an exit or a side run in the exits kernels, at this share of the kernel's
 * rate: AVX-512 0.14x (0.17x of the previous kernel: README "Exits and sides",
 * scripts/bench-exits), the portable and scalar ones ~0.6x (measured on a 3-day sample,
 * 1 thread). */
static const struct { const char *kernel; double share; } exits_rates[] = {
	{ "avx512", 0.14 }, { "generic", 0.6 }, { "scalar", 0.6 },
};
#define SIGNAL_S_PER_GROUP_CANDLE 4.6e-9
#define CURVE_S_PER_ROW           1.2e-7
#define SUMMARY_BYTES_PER_ROW     373.0
#define EQUITY_BYTES_PER_ROW      68.4
/* writing summary.csv (formatting ~30 numbers a row, the digest): 1,176,120 rows took
 * ~7.5 s here (an outside audit's sweep of threshold x confidence x 120 windows) */
#define SUMMARY_S_PER_ROW         6.4e-6

/* 1 when some lane has an exit or a side (it runs in the exits kernels), else 0. */
static double exits_share(const struct sb_grid *g)
{
	for (int j = 0; g->has_exits && j < SB_N_EXIT_AXES; j++) {
		const struct sb_axis *a = &g->ax[sb_grid_exit_axis(g, j)];

		for (size_t i = 0; i < a->n; i++)
			if (a->v[i] != 0)
				return 1.0;
	}
	return 0.0;
}

void sb_run_sweep_estimate(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			   const struct sb_sweep_request *req, size_t n,
			   struct sb_sweep_estimate *e)
{
	const double passes = 1.0 + (double)req->placebo, combos = (double)o->grid.count;
	double tr;

	memset(e, 0, sizeof(*e));
	e->kernel = "generic";
	e->threads = sb_sweep_threads(req->engine.threads);
	e->ranks = sb_mpi_size();
	e->groups = (double)sb_sweep_groups(&o->grid);
	e->curves = (double)(req->top < o->grid.count ? req->top : o->grid.count) +
		    (double)req->n_keep;
	e->rate = kernel_rates[1].cc_per_s;
	e->exits_share = exits_share(&o->grid);
	e->exits_rate = exits_rates[1].share;
	sb_kernel_get(req->engine.kernel, &e->kernel);
	for (size_t i = 0; i < sizeof(kernel_rates) / sizeof(kernel_rates[0]); i++)
		if (!strcmp(e->kernel, kernel_rates[i].kernel))
			e->rate = kernel_rates[i].cc_per_s;
	for (size_t i = 0; i < sizeof(exits_rates) / sizeof(exits_rates[0]); i++)
		if (!strcmp(e->kernel, exits_rates[i].kernel))
			e->exits_rate = exits_rates[i].share;
	/* under mpirun the grid and its signals are spread over the ranks (the curves not) */
	tr = (double)e->threads * (double)e->ranks;
	e->t_sweep = passes * combos * (double)n / (e->rate * tr) *
		     (1.0 - e->exits_share + e->exits_share / e->exits_rate);
	e->t_signal = passes * e->groups * (double)in->candles.n * SIGNAL_S_PER_GROUP_CANDLE / tr;
	e->t_summary = combos * SUMMARY_S_PER_ROW;
	e->t_curves = e->curves * (double)n * CURVE_S_PER_ROW;
	e->bytes_summary = combos * SUMMARY_BYTES_PER_ROW;
	e->bytes_equity = e->curves * (double)n * EQUITY_BYTES_PER_ROW;
}
