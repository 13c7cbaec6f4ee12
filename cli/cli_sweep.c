/* cli_sweep.c - `sentibt sweep`: the grid, summary.csv, curves of the best combinations */
#include "cli.h"
#include "cli_runopts.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/backtest.h"
#include "../engine/results.h"
#include "../engine/stats.h"
#include "../engine/sweep.h"
#include "../loaders/textio.h"

static const char usage_text[] =
"usage: sentibt sweep --prices FILE... --sentiment FILE [grid options] [--out DIR]\n"
"\n"
"Runs every combination of the grid and writes DIR/summary.csv (one row per\n"
"combination, in grid order), and DIR/equity/<id>.csv and DIR/trades/<id>.csv for the\n"
"top K combinations and those asked for with --keep.  Each strategy option takes a\n"
"value, a list 'a,b,c' or an inclusive range 'start:stop:step' (values start + n*step),\n"
"e.g. --threshold 0.05:0.95:0.01 --min-confidence 0.5,0.7,0.9 --window 5m,15m.\n"
"The grid is the Cartesian product; the first parameter column varies slowest.\n"
"\n"
"sweep options:\n"
"      --top K               curves for the K best combinations (default 10)\n"
"      --rank-by METRIC      any summary metric, psr or dsr (default sharpe);\n"
"                            max_drawdown ranks lowest first, every other highest\n"
"                            first; empty (undefined) values rank last; ties by id\n"
"      --keep ID,...         curves for these combination ids as well\n"
"      --threads N           OpenMP threads (default OMP_NUM_THREADS, else all cores);\n"
"                            results are byte-identical for any N\n"
"      --kernel NAME         auto (default), avx512, generic or scalar (the reference);\n"
"                            all give byte-identical results\n"
"A progress line (combinations done, rate, ETA) appears on a terminal once a sweep has\n"
"run for a second ($SENTIBT_PROGRESS_DELAY seconds); never on a pipe or with -q.\n"
"\n";

struct progress {
	double start;
	double delay;    /* seconds before the line appears: 1, or $SENTIBT_PROGRESS_DELAY */
	double last;     /* when it was last drawn */
	bool shown;
};

/* At most ~6 Hz, only on a terminal, only once the sweep has taken 'delay' seconds. */
static void show_progress(void *ctx, size_t done, size_t total)
{
	struct progress *p = ctx;
	double el = omp_get_wtime() - p->start;
	double rate = el > 0 ? (double)done / el : 0;

	if (done < total && (el < p->delay || el - p->last < 1.0 / 6))
		return;
	p->last = el;
	if (!p->shown && done == total)
		return;           /* finished within a second: never shown */
	p->shown = true;
	fprintf(stderr, "\rsweep: %zu/%zu combinations  %.0f/s  ETA %.0fs   ", done, total, rate,
		rate > 0 ? (double)(total - done) / rate : 0.0);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

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
static double row_psr(const struct sb_metrics *m, size_t n)
{
	return sb_psr(m->sharpe_pc, 0.0, (double)n, m->skew, m->kurtosis);
}

static double row_dsr(const struct sb_metrics *m, const struct sb_dsr *d, size_t n)
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
				    const char *rank_by, struct sb_errbuf *err)
{
	cJSON *o = cJSON_CreateObject();

	if (o) {
		sb_json_add_num(o, "n_trials", (double)d->n_trials);
		cJSON_AddStringToObject(o, "n_trials_note",
					"combinations with a defined Sharpe ratio (not independent "
					"trials: an upper bound, so the DSR errs low)");
		sb_json_add_num(o, "var_sharpe", d->var_sr);
		sb_json_add_num(o, "sr0", d->sr0);
		cJSON_AddStringToObject(o, "sharpe_note", "per-candle (not annualised) Sharpe ratios");
		sb_json_add_num(o, "candles", (double)n_candles);
		cJSON_AddStringToObject(o, "rank_by", rank_by);
		sb_json_add_num(o, "best_id", (double)best);
		sb_json_add_num(o, "best_sharpe_per_candle", m[best].sharpe_pc);
		sb_json_add_num(o, "best_skew", m[best].skew);
		sb_json_add_num(o, "best_kurtosis", m[best].kurtosis);
		sb_json_add_num(o, "best_psr", row_psr(&m[best], n_candles));
		sb_json_add_num(o, "best_dsr", row_dsr(&m[best], d, n_candles));
	}
	return sb_write_json(path, o, err);
}

/* summary.csv; after the metrics: skew, kurtosis (raw) of per-candle returns, psr, dsr. */
static enum sb_err write_summary(const char *path, const struct sb_grid *g,
				 const struct sb_metrics *m, const struct sb_dsr *d,
				 size_t n_candles, struct sb_errbuf *err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	fputs("id", f);
	for (int k = 0; k < g->n_axes; k++)
		fprintf(f, ",%s", sb_grid_axis_name(g, k));
	for (int k = 0; k < SB_N_METRICS; k++)
		fprintf(f, ",%s", sb_metric_names[k]);
	fputs(",skew,kurtosis,psr,dsr\n", f);
	for (size_t id = 0; id < g->count; id++) {
		size_t x = id, idx[SB_MAX_AXES];

		for (int k = g->n_axes - 1; k >= 0; k--) {
			idx[k] = x % g->ax[k].n;
			x /= g->ax[k].n;
		}
		fprintf(f, "%zu", id);
		for (int k = 0; k < g->n_axes; k++) {
			fputc(',', f);
			sb_fput_axis_value(f, &g->ax[k], g->ax[k].v[idx[k]]);
		}
		for (int k = 0; k < SB_N_METRICS; k++) {
			fputc(',', f);
			sb_fput_num(f, sb_metric_value(&m[id], k));
		}
		{
			const double extra[] = { m[id].skew, m[id].kurtosis,
						 row_psr(&m[id], n_candles),
						 row_dsr(&m[id], d, n_candles) };

			for (size_t k = 0; k < sizeof(extra) / sizeof(extra[0]); k++) {
				fputc(',', f);
				sb_fput_num(f, extra[k]);
			}
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		return sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return SB_OK;
}

/* Writes equity/<id>.csv and trades/<id>.csv; checks the re-run equals the sweep. */
static enum sb_err write_curves(const char *dir, const struct sb_run_inputs *in,
				const struct sb_grid *g, size_t id, const struct sb_metrics *swept,
				struct sb_errbuf *err)
{
	struct sb_recorder rec;
	struct sb_metrics m;
	struct sb_combo combo;
	char eq[4200], tr[4200], name[64];
	enum sb_err rc;

	sb_grid_combo(g, id, &combo);
	rc = sb_backtest_recorded(&in->candles, &in->events, &combo, &rec, &m, err);
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
		rc = sb_backtest_write_curves(&in->candles, &rec, eq, tr, err);
	sb_recorder_release(&rec);
	return rc;
}

/*
 * Curves of the top combinations, then of --keep ones, one combination per thread:
 * each is an independent scalar re-run and two files.  The first error in list
 * order is reported.
 */
static enum sb_err write_all_curves(const char *dir, const struct sb_run_inputs *in,
				    const struct sb_grid *g, const struct sb_metrics *m,
				    const size_t *order, size_t n_top, const size_t *keep,
				    size_t n_keep, int threads, struct sb_errbuf *err)
{
	const size_t n = n_top + n_keep;
	size_t first_bad = SIZE_MAX;

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : omp_get_max_threads())
	for (size_t i = 0; i < n; i++) {
		size_t id = i < n_top ? order[i] : keep[i - n_top];
		struct sb_errbuf e;

		if (write_curves(dir, in, g, id, &m[id], &e)) {
#pragma omp critical
			if (i < first_bad) {
				first_bad = i;
				*err = e;
			}
		}
	}
	return first_bad == SIZE_MAX ? SB_OK : SB_EIO;
}

static bool parse_count(const char *s, size_t *v)
{
	int64_t x;

	if (!sb_parse_int64(s, &x) || x < 0)
		return false;
	*v = (size_t)x;
	return true;
}

int cmd_sweep(int argc, char **argv)
{
	struct sb_run_opts o;
	struct sb_run_inputs in;
	struct sb_sweep_opts so = { 0 };
	struct sb_sweep_stats st;
	struct sb_run_dir dir;
	struct sb_errbuf err;
	struct progress prog = { 0 };
	struct sb_metrics *m = NULL;
	struct sb_dsr dsr;
	size_t *order = NULL, top = 10, n_top, *keep = NULL, n_keep = 0;
	char path[4200];
	const char *rank_by;
	double *rank_key = NULL;
	int rank_idx, rc = sb_run_opts_parse(&o, "sweep", argc, argv, usage_text);

	if (rc >= 0)
		return rc;
	rc = SB_EXIT_USAGE;
	rank_by = o.rank_by ? o.rank_by : "sharpe";
	rank_idx = sb_metric_index(rank_by);
	if (rank_idx < 0 && strcmp(rank_by, "psr") && strcmp(rank_by, "dsr")) {
		sb_cli_usage_error("sweep", "--rank-by: unknown metric '%s' (a summary.csv metric, psr or dsr)",
				   rank_by);
		goto out_opts;
	}
	if (o.top && !parse_count(o.top, &top)) {
		sb_cli_usage_error("sweep", "--top: expected a count, got '%s'", o.top);
		goto out_opts;
	}
	if (o.threads) {
		size_t nt;

		if (!parse_count(o.threads, &nt) || nt < 1 || nt > 4096) {
			sb_cli_usage_error("sweep", "--threads: expected a count from 1 to 4096, got '%s'",
					   o.threads);
			goto out_opts;
		}
		so.threads = (int)nt;
	}
	if (o.kernel && !sb_kernel_parse(o.kernel, &so.kernel)) {
		sb_cli_usage_error("sweep", "--kernel: expected auto, avx512, generic or scalar");
		goto out_opts;
	}
	if (so.kernel == SB_KERNEL_AVX512 && !sb_kernel_avx512_supported()) {
		sb_cli_usage_error("sweep", "--kernel avx512: this CPU (or build) lacks one of %s",
				   sb_kernel_avx512_features);
		goto out_opts;
	}
	if (o.keep) {
		struct sb_axis ids;

		if (sb_axis_parse(&ids, "keep", o.keep, false, &err)) {
			sb_cli_usage_error("sweep", "%s", err.msg);
			goto out_opts;
		}
		keep = malloc(ids.n * sizeof(*keep));
		for (size_t i = 0; keep && i < ids.n; i++) {
			/* Read as decimals (10^-9 units): an id is a whole one. */
			int64_t id = ids.v[i] / SB_DEC_SCALE;

			if (ids.v[i] < 0 || ids.v[i] % SB_DEC_SCALE || (uint64_t)id >= o.grid.count) {
				char num[SB_DEC_LEN];

				sb_cli_usage_error("sweep", "--keep: %s is not a combination id (0..%zu)",
						   sb_dec_format(ids.v[i], num), o.grid.count - 1);
				free(ids.v);
				goto out_opts;
			}
			keep[n_keep++] = (size_t)id;
		}
		free(ids.v);
	}
	rc = SB_EXIT_FAIL;
	if (!sb_run_load_inputs(&o, &in))
		goto out_inputs;
	m = calloc(o.grid.count, sizeof(*m));
	order = malloc(o.grid.count * sizeof(*order));
	if (!m || !order) {
		sb_cli_error("out of memory for %zu combinations", o.grid.count);
		goto out_inputs;
	}
	if (!o.quiet && isatty(STDERR_FILENO)) {
		const char *delay = getenv("SENTIBT_PROGRESS_DELAY");

		prog.start = omp_get_wtime();
		prog.delay = 1.0;
		if (delay && !sb_parse_double(delay, &prog.delay))
			prog.delay = 1.0;
		prog.last = -1.0;
		so.progress = show_progress;
		so.progress_ctx = &prog;
	}
	if (sb_sweep_run(&in.candles, &in.events, &o.grid, &so, m, &st, &err)) {
		sb_cli_error("%s", err.msg);
		goto out_inputs;
	}
	if (prepare_dsr(m, o.grid.count, &dsr, &err)) {
		sb_cli_error("%s", err.msg);
		goto out_inputs;
	}
	rank_key = malloc(o.grid.count * sizeof(*rank_key));
	if (!rank_key) {
		sb_cli_error("out of memory");
		goto out_inputs;
	}
	for (size_t i = 0; i < o.grid.count; i++) {
		order[i] = i;
		rank_key[i] = rank_idx >= 0 ? sb_metric_value(&m[i], rank_idx)
			    : !strcmp(rank_by, "psr") ? row_psr(&m[i], in.candles.n)
			    : row_dsr(&m[i], &dsr, in.candles.n);
	}
	g_rank_key = rank_key;
	g_rank_dir = strcmp(rank_by, "max_drawdown") == 0 ? -1 : 1;
	qsort(order, o.grid.count, sizeof(*order), cmp_rank);
	n_top = top < o.grid.count ? top : o.grid.count;

	if (sb_run_dir_begin(&dir, o.out, o.force, &err)) {
		sb_cli_error("%s", err.msg);
		goto out_inputs;
	}
	if (sb_path_join(path, sizeof(path), dir.tmp, "summary.csv", &err) ||
	    write_summary(path, &o.grid, m, &dsr, in.candles.n, &err) ||
	    sb_path_join(path, sizeof(path), dir.tmp, "stats.json", &err) ||
	    write_stats_json(path, &dsr, m, order[0], in.candles.n, rank_by, &err) ||
	    sb_path_join(path, sizeof(path), dir.tmp, "equity", &err) || sb_mkdirs(path, &err) ||
	    sb_path_join(path, sizeof(path), dir.tmp, "trades", &err) || sb_mkdirs(path, &err))
		goto out_abort;
	if (write_all_curves(dir.tmp, &in, &o.grid, m, order, n_top, keep, n_keep, so.threads,
			     &err))
		goto out_abort;
	/* The manifest is the last file written: it lists every output. */
	if (sb_cli_write_manifest(dir.tmp, &o, &in, argc, argv, &err))
		goto out_abort;
	if (sb_run_dir_commit(&dir, &err))
		goto out_abort;

	if (!o.quiet) {
		printf("sweep: %zu combinations (%zu signal groups) over %zu candles, %zu articles\n",
		       o.grid.count, st.groups, in.candles.n, in.events.n);
		printf("       %.3f s on %d threads (%.3f s of it building signals), kernel %s: "
		       "%.3g combination-candles/s\n", st.seconds_total, st.threads, st.seconds_signal,
		       st.kernel, (double)o.grid.count * (double)in.candles.n / st.seconds_total);
		printf("results: %s/summary.csv; curves of the top %zu by %s in %s/equity/ and %s/trades/\n",
		       dir.final, n_top, rank_by, dir.final, dir.final);
		printf("deflated Sharpe of the best (id %zu): DSR %.4g, PSR %.4g; N = %zu trials, "
		       "V[SR] = %.4g, SR0 = %.4g per candle (%s/stats.json)\n", order[0],
		       row_dsr(&m[order[0]], &dsr, in.candles.n), row_psr(&m[order[0]], in.candles.n),
		       dsr.n_trials, dsr.var_sr, dsr.sr0, dir.final);
		printf("%6s %10s %10s %8s %10s %10s %12s %8s %7s %7s\n", "id", "threshold", "min_conf",
		       "window", rank_by, "total_ret", "max_drawdown", "trades",
		       "psr", "dsr");
		for (size_t i = 0; i < n_top && i < 10; i++) {
			struct sb_combo cb;
			const struct sb_metrics *mm = &m[order[i]];
			char h[SB_DEC_LEN], k[SB_DEC_LEN], w[SB_DEC_LEN];

			sb_grid_combo(&o.grid, order[i], &cb);
			printf("%6zu %10s %10s %7ss %10.4g %10.4g %12.4g %8llu %7.4f %7.4f\n",
			       order[i], sb_axis_format(&o.grid.ax[SB_AX_THRESHOLD], cb.threshold, h),
			       sb_axis_format(&o.grid.ax[SB_AX_MIN_CONFIDENCE], cb.min_confidence, k),
			       sb_axis_format(&o.grid.ax[SB_AX_WINDOW], cb.window_us, w), rank_key[order[i]],
			       mm->total_return, mm->max_drawdown, (unsigned long long)mm->trades,
			       row_psr(mm, in.candles.n), row_dsr(mm, &dsr, in.candles.n));
		}
	}
	rc = SB_EXIT_OK;
	goto out_inputs;
out_abort:
	sb_cli_error("%s", err.msg);
	sb_run_dir_abort(&dir);
out_inputs:
	free(rank_key);
	free(m);
	free(order);
	sb_run_inputs_release(&in);
out_opts:
	free(keep);
	sb_run_opts_release(&o);
	return rc;
}
