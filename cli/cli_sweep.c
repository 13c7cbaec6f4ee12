/* cli_sweep.c - `sentibt sweep`: the grid, summary.csv, curves of the best combinations */
#include "cli.h"
#include "cli_runopts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/sweep.h"
#include "../loaders/textio.h"
#include "../run/mpi.h"

static const char usage_text[] =
"usage: sentibt sweep --prices FILE... --sentiment FILE [grid options] [--out DIR]\n"
"\n"
"Runs every combination of the grid and writes DIR/summary.csv (one row per\n"
"combination, in grid order), and DIR/equity/<id>.csv and DIR/trades/<id>.csv for the\n"
"top K combinations and those asked for with --keep.  Each strategy option takes a\n"
"value, an inclusive range 'start:stop:step' (values start + n*step) or a comma list\n"
"of both, e.g. --threshold 0.05:0.95:0.01 --min-confidence 0.5,0.7,0.9 --window 5m,15m\n"
"--stop-loss 0,0.01:0.03:0.01 (a value given twice is an error).\n"
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
"      --walk-forward train=D,test=D[,step=D]   walk-forward folds: the grid on each\n"
"                            training part, its best (by --rank-by) traded on the test\n"
"                            part that follows (walkforward.csv, oos_equity.csv)\n"
"      --split P%            one fold: the first P% of the candles train, the rest test\n"
"      --placebo N           also run the grid on N placebo article sets (scores\n"
"                            permuted, times shifted) and rank the best against theirs\n"
"      --seed S              seed of the placebo sets (default 1)\n"
"      --dry-run             load the inputs, print the grid size, signal groups,\n"
"                            estimated time and disk, run nothing, exit 0\n"
"      --yes                 run a grid of more than 1,000,000 combinations (without\n"
"                            it such a grid is a usage error: a mistyped step should\n"
"                            not start hours of work)\n"
"A progress line (combinations done, percentage, ETA) appears on a terminal once a\n"
"sweep has run for a second ($SENTIBT_PROGRESS_DELAY seconds) and is erased at the\n"
"end; never on a pipe or with -q.\n"
"\n";

/*
 * A grid over this many combinations needs --yes (or --dry-run): a typo in a range
 * (0.05:0.95:0.0001) should not start hours of work without a word.
 */
#define GRID_LIMIT SB_GRID_LIMIT


struct progress {
	double start;
	double delay;    /* seconds before the line appears: 1, or $SENTIBT_PROGRESS_DELAY */
	double last;     /* when it was last drawn */
	size_t passes;   /* grids run in all: 1 + placebo sets (0: unknown, e.g. folds) */
	size_t pass;     /* the current one, from 0 */
	size_t last_done;
	double t_first, w_first;   /* time and work at the first call (setup is done by then) */
	bool tty, shown;
	FILE *log;       /* $SENTIBT_ETA_LOG: every call, for scripts/check-eta */
};

/*
 * One line on stderr, at most ~6 Hz, only on a terminal and once the sweep has taken
 * 'delay' seconds; erased by progress_end(), never finished with a newline.  The ETA
 * is the remaining work at the rate measured since the first call, so that the fixed
 * cost before the first task ends (allocation, the first signals) is not taken for a
 * slow rate (measured from the start, the ETA was 74 % off at 10 % done on the bench
 * grid); scripts/check-eta checks it against the actual end.
 */
static void show_progress(void *ctx, size_t done, size_t total)
{
	struct progress *p = ctx;
	double el = sb_wtime() - p->start, work, all, eta;

	if (done < p->last_done)      /* the engine started the next grid (placebo, fold) */
		p->pass++;
	p->last_done = done;
	work = (double)p->pass * (double)total + (double)done;
	all = (double)(p->passes ? p->passes : p->pass + 1) * (double)total;
	if (p->w_first <= 0) {
		p->t_first = el;
		p->w_first = work;
	}
	if (work > p->w_first)
		eta = (el - p->t_first) * (all - work) / (work - p->w_first);
	else
		eta = work > 0 ? el * (all - work) / work : 0;
	if (p->log)
		fprintf(p->log, "%.4f %.0f %.0f %.4f\n", el, work, all, eta);
	/* the grids are done; what follows is writing (summary.csv, the curves): say so */
	if (p->tty && p->shown && p->passes && work >= all) {
		fprintf(stderr, "\r\033[Ksweep: %.0f combinations done; writing summary.csv and the curves",
			all);
		fflush(stderr);
		return;
	}
	if (!p->tty || done >= total || el < p->delay || el - p->last < 1.0 / 6)
		return;
	p->last = el;
	p->shown = true;
	if (!p->passes) {          /* folds: their count is not known here, nor an overall ETA */
		fprintf(stderr, "\r\033[Ksweep: grid %zu: %zu/%zu combinations (%.0f %%)",
			p->pass + 1, done, total, 100.0 * (double)done / (double)total);
		fflush(stderr);
		return;
	}
	fprintf(stderr, "\r\033[Ksweep: %.0f/%.0f combinations (%.0f %%)", work, all,
		100.0 * work / all);
	if (p->passes > 1)
		fprintf(stderr, ", grid %zu/%zu", p->pass + 1, p->passes);
	if (work > 0)
		fprintf(stderr, ", ETA %.0f s", eta);
	fflush(stderr);
}

/* Erases the line (before anything else is printed); safe twice. */
static void progress_end(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
	p->tty = false;
	if (p->log) {
		fprintf(p->log, "end %.4f\n", sb_wtime() - p->start);
		fclose(p->log);
		p->log = NULL;
	}
}

static void fmt_bytes(double b, char out[32])
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;

	while (b >= 1000 && u < 4) {
		b /= 1000;
		u++;
	}
	snprintf(out, 32, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

/* --dry-run: what the sweep would do and cost (run/estimate.c has the calibrated rates). */
static void dry_run(const struct sb_run_opts *o, const struct sb_run_inputs *in,
		    const struct sb_sweep_request *req, size_t n)
{
	struct sb_sweep_estimate e;
	char on_ranks[48] = "", s1[32], s2[32], s3[32], s4[32], b1[32], b2[32], b3[32];

	sb_run_sweep_estimate(o, in, req, n, &e);
	sb_cli_grouped(o->grid.count, s1);
	sb_cli_grouped((uint64_t)e.groups, s2);
	sb_cli_grouped(n, s3);
	sb_cli_grouped(in->events.n, s4);
	printf("sweep --dry-run: %s combinations in %s signal groups over %s candles, %s articles\n",
	       s1, s2, s3, s4);
	if (req->placebo)
		printf("  x %zu grids (the real one and %zu placebo sets)\n", req->placebo + 1,
		       req->placebo);
	if (e.ranks > 1)
		snprintf(on_ranks, sizeof(on_ranks), "%d MPI ranks x ", e.ranks);
	printf("  estimated time: %.3g s on %s%d thread%s, kernel %s (grid %.3g s at %.3g "
	       "combination-candles/s a thread, signals %.3g s, summary.csv %.3g s, curves of %.0f combinations %.3g s)\n",
	       e.t_sweep + e.t_signal + e.t_summary + e.t_curves, on_ranks, e.threads,
	       e.threads == 1 ? "" : "s", e.kernel, e.t_sweep, e.rate, e.t_signal, e.t_summary,
	       e.curves, e.t_curves);
	if (e.exits_share > 0)
		printf("  the lanes run in the exits kernels (a stop, take, trailing stop, max hold "
		       "or side), at %.2gx that rate\n", e.exits_rate);
	fmt_bytes(e.bytes_summary + e.bytes_equity, b1);
	fmt_bytes(e.bytes_summary, b2);
	fmt_bytes(e.bytes_equity, b3);
	printf("  estimated disk: %s in %s (summary.csv %s, equity/ %s; trades/ grow with the trades)\n",
	       b1, o->out, b2, b3);
	printf("  rates calibrated by 'make bench' on a 2-core AVX-512 machine; nothing was run\n");
}

static bool parse_count(const char *s, size_t *v)
{
	int64_t x;

	if (!sb_parse_int64(s, &x) || x < 0)
		return false;
	*v = (size_t)x;
	return true;
}

/* Under mpirun: each rank's share, time and bytes sent to rank 0. */
static void print_mpi(const struct sb_mpi_sweep_stats *ms)
{
	if (!ms || ms->ranks < 2)
		return;
	printf("       spread over %d MPI ranks in %zu parts; %zu bytes per combination sent:\n",
	       ms->ranks, ms->parts, ms->row_bytes);
	for (int r = 0; r < ms->ranks && r < 256; r++)
		printf("       rank %d: %zu combinations in %.3f s, %zu bytes sent\n", r, ms->rows[r],
		       ms->seconds[r], ms->bytes_sent[r]);
}

/* The run's figures and the top of the ranking, for a terminal. */
static void print_top(const struct sb_run_opts *o, const struct sb_run_inputs *in,
		      const struct sb_sweep_request *req, const struct sb_sweep_result *res)
{
	const struct sb_sweep_stats *st = &res->stats;
	const size_t best = res->order[0], n = res->n_candles;
	int others = 0;

	printf("sweep: %zu combinations (%zu signal groups) over %zu candles, %zu articles\n",
	       o->grid.count, st->groups, n, in->events.n);
	printf("       %.3f s on %d threads (%.3f s of it building signals), kernel %s: "
	       "%.3g combination-candles/s\n", st->seconds_total, st->threads, st->seconds_signal,
	       st->kernel, (double)o->grid.count * (double)n / st->seconds_total);
	print_mpi(sb_mpi_last_sweep());
	printf("results: %s/summary.csv; curves of the top %zu by %s in %s/equity/ and %s/trades/\n",
	       res->dir, res->n_top, req->rank_by, res->dir, res->dir);
	printf("deflated Sharpe of the best (id %zu): DSR %.4g, PSR %.4g; N = %zu trials, "
	       "V[SR] = %.4g, SR0 = %.4g per candle (%s/stats.json)\n", best,
	       sb_run_row_dsr(&res->m[best], &res->dsr, n), sb_run_row_psr(&res->m[best], n),
	       res->dsr.n_trials, res->dsr.var_sr, res->dsr.sr0, res->dir);
	printf("buy and hold over the same candles: return %.4g, Sharpe %.4g, max drawdown %.4g\n",
	       res->bh.total_return, res->bh.sharpe, res->bh.max_drawdown);
	if (res->placebo.n)
		printf("placebo news (%zu sets, seed %llu, scores permuted, times shifted): the best %s "
		       "%.4g beats %.1f %% of the placebo grids' bests, p = %.4g (%s/placebo.csv)\n",
		       res->placebo.n, (unsigned long long)res->placebo.seed, req->rank_by,
		       res->placebo.best_real, 100.0 * res->placebo.best_percentile,
		       res->placebo.p_value, res->dir);
	for (size_t k = 0; k < res->placebo.n_keep; k++)
		printf("  kept id %zu: %s %.4g beats %.1f %% of its own values on the placebo sets\n",
		       req->keep[k], req->rank_by, res->rank_key[req->keep[k]],
		       100.0 * res->placebo.keep_percentile[k]);
	/* the other axes that vary (exit band, costs, latency, the strategy's, the exits)
	 * follow as name=value, so that two rows never look alike */
	for (int k = 0; k < o->grid.n_axes; k++)
		others += k != SB_AX_THRESHOLD && k != SB_AX_MIN_CONFIDENCE && k != SB_AX_WINDOW &&
			  o->grid.ax[k].n > 1;
	printf("%6s %10s %10s %8s %10s %10s %12s %8s %7s %7s%s\n", "id", "threshold", "min_conf",
	       "window", req->rank_by, "total_ret", "max_drawdown", "trades", "psr", "dsr",
	       others ? "  other parameters" : "");
	for (size_t i = 0; i < res->n_top && i < 10; i++) {
		const size_t id = res->order[i];
		const struct sb_metrics *mm = &res->m[id];
		struct sb_combo cb;
		char h[SB_DEC_LEN], k[SB_DEC_LEN], w[SB_DEC_LEN];

		sb_grid_combo(&o->grid, id, &cb);
		printf("%6zu %10s %10s %7ss %10.4g %10.4g %12.4g %8llu %7.4f %7.4f", id,
		       sb_axis_format(&o->grid.ax[SB_AX_THRESHOLD], cb.threshold, h),
		       sb_axis_format(&o->grid.ax[SB_AX_MIN_CONFIDENCE], cb.min_confidence, k),
		       sb_axis_format(&o->grid.ax[SB_AX_WINDOW], cb.window_us, w), res->rank_key[id],
		       mm->total_return, mm->max_drawdown, (unsigned long long)mm->trades,
		       sb_run_row_psr(mm, n), sb_run_row_dsr(mm, &res->dsr, n));
		if (others) {
			int64_t v[SB_MAX_AXES];

			sb_grid_values(&o->grid, id, v);
			putchar(' ');
			for (int a = 0; a < o->grid.n_axes; a++)
				if (a != SB_AX_THRESHOLD && a != SB_AX_MIN_CONFIDENCE &&
				    a != SB_AX_WINDOW && o->grid.ax[a].n > 1)
					printf(" %s=%s", sb_grid_axis_name(&o->grid, a),
					       sb_axis_format(&o->grid.ax[a], v[a], h));
		}
		putchar('\n');
	}
}

/* --walk-forward / --split: the folds, then a table of them. */
static int walk_forward(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			const struct sb_sweep_request *req, const struct sb_walk_spec *w, int argc,
			char **argv, struct progress *prog)
{
	struct sb_walk_result wr;
	struct sb_errbuf err = { "" };
	enum sb_err e = sb_run_walk_forward(o, in, req, w, argc, argv, &wr, &err);

	progress_end(prog);
	if (e) {
		sb_cli_error("%s", err.msg);
		sb_walk_result_release(&wr);
		return SB_EXIT_FAIL;
	}
	if (!o->quiet) {
		printf("walk-forward: %zu fold%s, best by %s on each training part, traded on the test part\n",
		       wr.n_folds, wr.n_folds == 1 ? "" : "s", req->rank_by);
		printf("%5s %8s %14s %14s %10s %10s\n", "fold", "id", "in-sample ret", "out-sample ret",
		       "is sharpe", "oos sharpe");
		for (size_t i = 0; i < wr.n_folds; i++)
			printf("%5zu %8zu %14.4g %14.4g %10.4g %10.4g\n", i, wr.best[i],
			       wr.in_sample[i].total_return, wr.out_sample[i].total_return,
			       wr.in_sample[i].sharpe, wr.out_sample[i].sharpe);
		printf("out-of-sample growth, folds compounded: %.6g, buy-and-hold %.6g (%s/walkforward.csv, oos_equity.csv)\n",
		       wr.oos_growth, wr.oos_bh_growth, wr.dir);
	}
	sb_walk_result_release(&wr);
	return SB_EXIT_OK;
}

int cmd_sweep(int argc, char **argv)
{
	struct sb_run_opts o;
	struct sb_run_inputs in;
	struct sb_sweep_request req = { .top = 10 };
	struct sb_sweep_result res = { 0 };
	struct sb_errbuf err = { "" };
	struct progress prog = { 0 };
	struct sb_walk_spec wspec;
	size_t *keep = NULL, n_keep = 0;
	int rc = sb_run_opts_parse(&o, "sweep", argc, argv, usage_text);

	if (rc >= 0)
		return rc;
	rc = SB_EXIT_USAGE;
	req.rank_by = o.rank_by ? o.rank_by : "sharpe";
	if (!sb_cli_metric_ok(req.rank_by)) {
		sb_cli_bad_metric("sweep", "--rank-by", req.rank_by);
		goto out_opts;
	}
	if (o.top && !parse_count(o.top, &req.top)) {
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
		req.engine.threads = (int)nt;
	}
	if (o.kernel && !sb_kernel_parse(o.kernel, &req.engine.kernel)) {
		sb_cli_usage_error("sweep", "--kernel: expected auto, avx512, generic or scalar");
		goto out_opts;
	}
	if (req.engine.kernel == SB_KERNEL_AVX512 && !sb_kernel_avx512_supported()) {
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
		req.keep = keep;
		req.n_keep = n_keep;
	}
	if (o.placebo && (!parse_count(o.placebo, &req.placebo) || req.placebo > 100000)) {
		sb_cli_usage_error("sweep", "--placebo: expected a count from 0 to 100000, got '%s'",
				   o.placebo);
		goto out_opts;
	}
	req.seed = 1;
	if (o.seed) {
		size_t s;

		if (!parse_count(o.seed, &s)) {
			sb_cli_usage_error("sweep", "--seed: expected a non-negative integer, got '%s'",
					   o.seed);
			goto out_opts;
		}
		req.seed = s;
	}
	if (req.placebo && (o.walk_forward || o.split)) {
		sb_cli_usage_error("sweep", "--placebo runs on a plain sweep, not with --walk-forward or --split");
		goto out_opts;
	}
	req.spread = sb_mpi_size() > 1;
	if (req.spread && (req.placebo || o.walk_forward || o.split)) {
		sb_cli_usage_error("sweep", "--placebo, --walk-forward and --split run in one process, not under mpirun with %d ranks",
				   sb_mpi_size());
		goto out_opts;
	}
	if ((o.walk_forward || o.split) &&
	    !sb_walk_spec_parse(o.walk_forward, o.split, &wspec, err.msg, sizeof(err.msg))) {
		sb_cli_usage_error("sweep", "%s", err.msg);
		goto out_opts;
	}
	if (o.grid.count > GRID_LIMIT && !o.yes && !o.dry_run) {
		char s1[32], s2[32];

		sb_cli_grouped(o.grid.count, s1);
		sb_cli_grouped(sb_sweep_groups(&o.grid), s2);
		sb_cli_usage_error("sweep", "the grid has %s combinations (%s signal groups), over "
				   "the limit of 1,000,000: see what it would cost with --dry-run, "
				   "then run it with --yes", s1, s2);
		goto out_opts;
	}
	rc = SB_EXIT_FAIL;
	if (sb_mpi_load_inputs(&o, &in, &err)) {
		sb_cli_error("%s", err.msg);
		goto out_inputs;
	}
	if ((rc = sb_run_opts_check_inputs(&o, &in)) >= 0)
		goto out_inputs;
	rc = SB_EXIT_FAIL;
	prog.tty = !o.quiet && isatty(STDERR_FILENO) && sb_mpi_rank() == 0;
	if (getenv("SENTIBT_ETA_LOG") && !o.dry_run)      /* undocumented: scripts/check-eta */
		prog.log = fopen(getenv("SENTIBT_ETA_LOG"), "w");
	if (prog.tty || prog.log) {
		const char *delay = getenv("SENTIBT_PROGRESS_DELAY");

		prog.start = sb_wtime();
		prog.delay = 1.0;
		if (delay && !sb_parse_double(delay, &prog.delay))
			prog.delay = 1.0;
		prog.last = -1.0;
		prog.passes = o.walk_forward || o.split ? 0 : 1 + req.placebo;
		req.engine.progress = show_progress;
		req.engine.progress_ctx = &prog;
	}
	if (o.dry_run) {
		size_t first, n;

		if (sb_run_range(&o, &in.candles, &first, &n, &err)) {
			sb_cli_error("%s", err.msg);
			goto out_inputs;
		}
		if (sb_mpi_rank() == 0)      /* under mpirun: once */
			dry_run(&o, &in, &req, n);
		rc = SB_EXIT_OK;
		goto out_inputs;
	}
	if (o.walk_forward || o.split) {
		rc = walk_forward(&o, &in, &req, &wspec, argc, argv, &prog);
		goto out_inputs;
	}
	rc = sb_run_sweep(&o, &in, &req, argc, argv, &res, &err);
	progress_end(&prog);
	if (rc) {
		rc = SB_EXIT_FAIL;
		sb_cli_error("%s", err.msg);
		goto out_inputs;
	}
	if (!o.quiet && sb_mpi_rank() == 0)
		print_top(&o, &in, &req, &res);
	rc = SB_EXIT_OK;
out_inputs:
	sb_sweep_result_release(&res);
	sb_run_inputs_release(&in);
out_opts:
	free(keep);
	sb_run_opts_release(&o);
	return rc;
}
