/*
 * bench-kernel.c - the exit-free AVX-512 sweep kernel alone, against a baseline build
 * of it, on the sweep benchmark's data (scripts/bench-kernel builds and runs this;
 * docs/performance.md, "Sweep kernel").
 *
 * Usage: bench-kernel DIR RUNS.  DIR is the benchmark's data (scripts/bench-data.py):
 * candles_1m.csv, news.jsonl and news_indep.jsonl, loaded and turned into signals by
 * the engine's own loaders and windowed mean (window 5m) at min-confidence 0.5, 0.7 and
 * 0.9.  The 91 thresholds 0.05:0.95:0.01 of the sweep benchmark (exit band 0.1, cost
 * 5 bps) run on them through the baseline and the current kernel, one after the other
 * RUNS times (the fastest run of each counts: on a shared machine the least
 * disturbed); every lane is compared with the scalar reference first.  Times are thread
 * CPU time, one thread.
 */
#include "engine/kernels.h"
#include "loaders/candles.h"
#include "loaders/events.h"
#include "strategies/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the baseline's kernel, compiled from git with its symbol renamed */
void sb_kernel_avx512_base(size_t n, const double *restrict close,
			   const double *restrict signal, const struct sb_trade_params *p,
			   size_t nl, struct sb_accum *out);

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Every field the kernels fill, compared exactly (doubles as bits, counters with ==). */
static bool same_accum(const struct sb_accum *a, const struct sb_accum *b)
{
	const double da[] = { a->cash, a->q, a->e_prev, a->peak, a->max_dd, a->sum_r, a->sum_r2,
			      a->sum_down2, a->sum_r3, a->sum_r4, a->exposure, a->entry_equity,
			      a->gross_win, a->gross_loss, a->sum_trade_ret };
	const double db[] = { b->cash, b->q, b->e_prev, b->peak, b->max_dd, b->sum_r, b->sum_r2,
			      b->sum_down2, b->sum_r3, b->sum_r4, b->exposure, b->entry_equity,
			      b->gross_win, b->gross_loss, b->sum_trade_ret };

	return !memcmp(da, db, sizeof(da)) && a->trades == b->trades && a->closed == b->closed &&
	       a->wins == b->wins && a->pos == b->pos;
}

static void die(const char *what, const struct sb_errbuf *err)
{
	fprintf(stderr, "bench-kernel: %s: %s\n", what, err->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	enum { NL = 91, NC = 3 };
	static const char *const shapes[] = { "news.jsonl", "news_indep.jsonl" };
	static const char *const names[] = { "persistent mood", "independent scores" };
	static const int confs[NC] = { 50, 70, 90 };
	struct sb_trade_params p[NL];
	struct sb_accum got[NL], want[NL];
	const char *dir = argc > 1 ? argv[1] : "data/bench";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	char path[4096];
	const char *paths[1] = { path };
	struct sb_candles c;
	struct sb_errbuf err = { "" };
	size_t n;

	if (!sb_kernel_avx512_supported()) {
		printf("bench-kernel: this CPU lacks %s: nothing to measure\n",
		       sb_kernel_avx512_features);
		return 0;
	}
	sb_candles_init(&c);
	snprintf(path, sizeof(path), "%s/candles_1m.csv", dir);
	if (sb_candles_load(&c, paths, 1, 60 * SB_US_PER_SEC, NULL, &err))
		die(path, &err);
	n = c.n;
	memset(p, 0, sizeof(p));
	for (size_t l = 0; l < NL; l++) {      /* the unit of the signal: 10^-9 */
		p[l].threshold = (double)(5 + l) * 1e7;
		p[l].exit_band = 1e8;
		p[l].cost = 0.0005;
	}
	printf("| kernel alone, c-c/s on one core | baseline | this build | ratio |\n");
	printf("|---|---|---|---|\n");
	for (int s = 0; s < 2; s++) {
		const struct sb_events_opts eo = { 0 };
		struct sb_events ev;
		double *sig[NC], t_base = 1e30, t_new = 1e30;

		sb_events_init(&ev);
		snprintf(path, sizeof(path), "%s/%s", dir, shapes[s]);
		if (sb_events_load(&ev, path, &eo, NULL, &err))
			die(path, &err);
		for (int k = 0; k < NC; k++) {
			const struct sb_signal_params sp = { .min_conf_e9 = confs[k] * 10000000LL,
							     .window_us = 5 * 60 * SB_US_PER_SEC };

			sig[k] = malloc(n * sizeof(double));
			if (!sig[k] || sb_mean_signal(&c, &ev, &sp, sig[k], NULL, NULL, &err))
				die("signal", &err);
			sb_kernel_scalar(n, c.close, sig[k], p, NL, want);
			sb_kernel_avx512(n, c.close, sig[k], p, NL, got);
			for (size_t l = 0; l < NL; l++)
				if (!same_accum(&got[l], &want[l])) {
					fprintf(stderr, "bench-kernel: %s, min-confidence 0.%d, lane %zu "
						"differs from the scalar path\n", shapes[s], confs[k], l);
					return 1;
				}
		}
		sb_events_release(&ev);
		for (int r = 0; r < runs; r++) {
			double t0 = cpu_seconds(), t1, t2;

			for (int k = 0; k < NC; k++)
				sb_kernel_avx512_base(n, c.close, sig[k], p, NL, got);
			t1 = cpu_seconds();
			for (int k = 0; k < NC; k++)
				sb_kernel_avx512(n, c.close, sig[k], p, NL, got);
			t2 = cpu_seconds();
			t_base = t1 - t0 < t_base ? t1 - t0 : t_base;
			t_new = t2 - t1 < t_new ? t2 - t1 : t_new;
		}
		printf("| %s | %.2e | %.2e | %.2fx |\n", names[s],
		       (double)NC * NL * (double)n / t_base, (double)NC * NL * (double)n / t_new,
		       t_base / t_new);
		for (int k = 0; k < NC; k++)
			free(sig[k]);
	}
	sb_candles_release(&c);
	return 0;
}
