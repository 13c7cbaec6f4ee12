/*
 * bench-kernel.c - the exit-free AVX-512 sweep kernel alone, against a baseline build
 * of it, on signals of the benchmark's two shapes (scripts/bench-kernel builds and runs
 * this; docs/performance.md, "Sweep kernel").
 *
 * Usage: bench-kernel DIR RUNS.  DIR holds close.bin and sig_SHAPE_CONF.bin (raw
 * doubles, scripts/bench-kernel-signals.py).  For each shape, the 91 thresholds
 * 0.05:0.95:0.01 of the sweep benchmark (exit band 0.1, cost 5 bps) run on the signals
 * of min-confidence 0.5, 0.7 and 0.9 through the baseline and the current kernel, one
 * after the other RUNS times (the fastest run of each counts: on a shared machine the
 * least disturbed); every lane is compared bit for bit with the scalar reference first.
 * Times are thread CPU time, one thread.
 */
#include "engine/kernels.h"

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

static double *read_doubles(const char *dir, const char *name, size_t *n)
{
	char path[4096];
	FILE *f;
	long size;
	double *d;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "bench-kernel: cannot read %s\n", path);
		exit(1);
	}
	d = malloc((size_t)size);
	if (!d || fread(d, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "bench-kernel: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*n = (size_t)size / sizeof(double);
	return d;
}

int main(int argc, char **argv)
{
	enum { NL = 91, NC = 3 };
	static const char *const shapes[] = { "news", "news_indep" };
	static const char *const names[] = { "persistent mood", "independent scores" };
	static const int confs[NC] = { 50, 70, 90 };
	struct sb_trade_params p[NL];
	struct sb_accum got[NL], want[NL];
	const char *dir = argc > 1 ? argv[1] : ".";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	size_t n, m;
	double *close = read_doubles(dir, "close.bin", &n);

	if (!sb_kernel_avx512_supported()) {
		printf("bench-kernel: this CPU lacks %s: nothing to measure\n",
		       sb_kernel_avx512_features);
		return 0;
	}
	memset(p, 0, sizeof(p));
	for (size_t l = 0; l < NL; l++) {      /* the unit of the signal: 10^-9 */
		p[l].threshold = (double)(5 + l) * 1e7;
		p[l].exit_band = 1e8;
		p[l].cost = 0.0005;
	}
	printf("| kernel alone, c-c/s on one core | baseline | this build | ratio |\n");
	printf("|---|---|---|---|\n");
	for (int s = 0; s < 2; s++) {
		double *sig[NC], t_base = 1e30, t_new = 1e30;

		for (int c = 0; c < NC; c++) {
			char name[64];

			snprintf(name, sizeof(name), "sig_%s_%d.bin", shapes[s], confs[c]);
			sig[c] = read_doubles(dir, name, &m);
			if (m != n) {
				fprintf(stderr, "bench-kernel: %s has %zu values, close.bin %zu\n",
					name, m, n);
				return 1;
			}
			sb_kernel_scalar(n, close, sig[c], p, NL, want);
			sb_kernel_avx512(n, close, sig[c], p, NL, got);
			for (size_t l = 0; l < NL; l++)
				if (memcmp(&got[l], &want[l], offsetof(struct sb_accum, entry_price))) {
					fprintf(stderr, "bench-kernel: %s, lane %zu differs from the "
						"scalar path\n", name, l);
					return 1;
				}
		}
		for (int r = 0; r < runs; r++) {
			double t0 = cpu_seconds(), t1, t2;

			for (int c = 0; c < NC; c++)
				sb_kernel_avx512_base(n, close, sig[c], p, NL, got);
			t1 = cpu_seconds();
			for (int c = 0; c < NC; c++)
				sb_kernel_avx512(n, close, sig[c], p, NL, got);
			t2 = cpu_seconds();
			t_base = t1 - t0 < t_base ? t1 - t0 : t_base;
			t_new = t2 - t1 < t_new ? t2 - t1 : t_new;
		}
		printf("| %s | %.2e | %.2e | %.2fx |\n", names[s], (double)NC * NL * (double)n / t_base,
		       (double)NC * NL * (double)n / t_new, t_base / t_new);
		for (int c = 0; c < NC; c++)
			free(sig[c]);
	}
	free(close);
	return 0;
}
