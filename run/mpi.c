/* mpi.c - runs spread over Open MPI ranks; the only file that calls MPI (see mpi.h)
 *
 * Compiled with -DSB_MPI (make MPI=1, mpicc) it calls Open MPI; without, every function
 * is its one-process case.  Rows travel as raw struct sb_metrics bytes: the ranks of a
 * run are the same binary on the same architecture (docs/scale-out.md).
 */
#include "mpi.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/digest.h"

#ifdef SB_MPI
#include <mpi.h>
#endif

static struct sb_mpi_sweep_stats g_last;
static bool g_have_last;

const struct sb_mpi_sweep_stats *sb_mpi_last_sweep(void)
{
	return g_have_last ? &g_last : NULL;
}

void sb_mpi_fault(const char *where)
{
	const char *f = getenv("SENTIBT_MPI_FAULT"), *colon;
	char *end;
	long r;

	if (!f || !(colon = strchr(f, ':')) || strcmp(colon + 1, where))
		return;
	r = strtol(f, &end, 10);
	if (end == colon && r == sb_mpi_rank())
		raise(SIGKILL);
}

/* The whole grid in this process. */
static enum sb_err sweep_one(const struct sb_candles *c, const struct sb_events *ev,
			     const struct sb_grid *g, const struct sb_sweep_opts *o,
			     struct sb_metrics *m, struct sb_sweep_stats *st,
			     struct sb_mpi_sweep_stats *ms, struct sb_errbuf *err)
{
	struct sb_sweep_stats local;
	enum sb_err rc = sb_sweep_run(c, ev, g, o, m, &local, err);

	if (st)
		*st = local;
	memset(&g_last, 0, sizeof(g_last));
	g_last.ranks = 1;
	g_last.parts = local.groups;
	g_last.rows[0] = g->count;
	g_last.seconds[0] = local.seconds_total;
	g_last.row_bytes = sizeof(struct sb_metrics);
	g_have_last = rc == SB_OK;
	if (ms)
		*ms = g_last;
	return rc;
}

#ifndef SB_MPI

void sb_mpi_start(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
}

int sb_mpi_rank(void) { return 0; }
int sb_mpi_size(void) { return 1; }
bool sb_mpi_built(void) { return false; }
int sb_mpi_finish(int rc) { return rc; }
void sb_mpi_bcast_text(char *buf, size_t cap) { (void)buf; (void)cap; }
bool sb_mpi_all_ok(bool ok) { return ok; }
void sb_mpi_set_local(bool local) { (void)local; }

enum sb_err sb_mpi_load_inputs(const struct sb_run_opts *o, struct sb_run_inputs *in,
			       struct sb_errbuf *err)
{
	return sb_run_load_inputs(o, in, err);
}

enum sb_err sb_mpi_sweep(const struct sb_candles *c, const struct sb_events *ev,
			 const struct sb_grid *g, const struct sb_sweep_opts *o,
			 struct sb_metrics *m, struct sb_sweep_stats *st,
			 struct sb_mpi_sweep_stats *ms, struct sb_errbuf *err)
{
	return sweep_one(c, ev, g, o, m, st, ms, err);
}

#else /* SB_MPI */

static int g_rank, g_size = 1;
static bool g_started;
static bool g_local;      /* sb_mpi_set_local(): this rank alone, as one process */

void sb_mpi_start(int *argc, char ***argv)
{
	int provided;

	/* Run directly (not by mpirun), an MPI build is one process without MPI. */
	if (!getenv("OMPI_COMM_WORLD_SIZE"))
		return;
	/* FUNNELED: OpenMP threads never call MPI; only the main thread does. */
	if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
		fputs("sentibt: MPI_Init failed\n", stderr);
		exit(1);
	}
	g_started = true;
	MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &g_size);
}

int sb_mpi_rank(void) { return g_local ? 0 : g_rank; }
int sb_mpi_size(void) { return g_local ? 1 : g_size; }
bool sb_mpi_built(void) { return true; }
void sb_mpi_set_local(bool local) { g_local = local; }

int sb_mpi_finish(int rc)
{
	if (!g_started)
		return rc;
	if (rc != 0 && g_size > 1) {
		fprintf(stderr, "sentibt: rank %d of %d failed (exit %d): stopping every rank; "
				"no result is written\n", g_rank, g_size, rc);
		fflush(stderr);
		MPI_Abort(MPI_COMM_WORLD, rc);
	}
	MPI_Finalize();
	return rc;
}

void sb_mpi_bcast_text(char *buf, size_t cap)
{
	if (g_size > 1)
		MPI_Bcast(buf, (int)cap, MPI_CHAR, 0, MPI_COMM_WORLD);
	buf[cap - 1] = '\0';
}

bool sb_mpi_all_ok(bool ok)
{
	int in = ok, out = ok;

	if (g_size > 1)
		MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
	return out != 0;
}

enum sb_err sb_mpi_load_inputs(const struct sb_run_opts *o, struct sb_run_inputs *in,
			       struct sb_errbuf *err)
{
	enum sb_err rc = SB_OK;

	/*
	 * Rank 0 alone downloads the tardis: days (one request per file, and no rank
	 * mistakes another node's live download for a dead one's leftover); then every
	 * rank loads at once.  Candle and article cache entries that several ranks write
	 * together are safe: each writes its own temporary file and renames it (the same
	 * bytes), and a reader sees a whole entry or none.
	 */
	if (sb_mpi_rank() == 0)
		rc = sb_run_fetch_refs(o, err);
	if (rc)
		return rc;           /* sb_mpi_finish() aborts the ranks waiting below */
	if (sb_mpi_size() > 1)
		MPI_Barrier(MPI_COMM_WORLD);
	return sb_run_load_inputs(o, in, err);
}

/* ---- the plan: which rank runs which part ---- */

/* A signal costs about this many lanes of simulation (measured on the bench grid). */
#define SIGNAL_COST_LANES 4.0

struct unit {
	struct sb_sweep_part part;
	double cost;
	int rank;
};

static int cmp_cost_desc(const void *a, const void *b)
{
	const struct unit *x = *(struct unit *const *)a, *y = *(struct unit *const *)b;

	if (x->cost != y->cost)
		return x->cost > y->cost ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Cuts the grid into units (a whole group, or lane ranges of it when groups are fewer
 * than 4 per rank) and gives each, the costliest first, to the rank with the least
 * estimated work (longest processing time first).  Every rank computes the same plan.
 */
static struct unit *make_plan(const struct sb_grid *g, int size, size_t *n_units)
{
	size_t n_groups, n_lanes, cuts, per, n = 0;
	struct unit *u, **order;
	double *load;

	sb_sweep_shape(g, &n_groups, &n_lanes);
	cuts = n_groups >= 4 * (size_t)size ? 1 : (4 * (size_t)size + n_groups - 1) / n_groups;
	per = (n_lanes + cuts - 1) / cuts;
	per = (per + SB_SWEEP_LANE_BLOCK - 1) / SB_SWEEP_LANE_BLOCK * SB_SWEEP_LANE_BLOCK;
	u = malloc(n_groups * cuts * sizeof(*u));
	order = malloc(n_groups * cuts * sizeof(*order));
	load = calloc((size_t)size, sizeof(*load));
	if (!u || !order || !load) {
		free(u);
		free(order);
		free(load);
		return NULL;
	}
	for (size_t gr = 0; gr < n_groups; gr++)
		for (size_t l = 0; l < n_lanes; l += per) {
			u[n].part = (struct sb_sweep_part){ gr, l, n_lanes - l < per ? n_lanes - l : per };
			u[n].cost = SIGNAL_COST_LANES + (double)u[n].part.lane_count;
			order[n] = &u[n];
			n++;
		}
	qsort(order, n, sizeof(*order), cmp_cost_desc);
	for (size_t i = 0; i < n; i++) {
		int best = 0;

		for (int r = 1; r < size; r++)
			if (load[r] < load[best])
				best = r;
		order[i]->rank = best;
		load[best] += order[i]->cost;
	}
	free(order);
	free(load);
	*n_units = n;
	return u;
}

/* SHA-256 of what the sweep reads, to check that every rank loaded the same. */
static enum sb_err fingerprint(const struct sb_candles *c, const struct sb_events *ev,
			       const struct sb_sweep_opts *o, char hex[SB_SHA256_HEX],
			       struct sb_errbuf *err)
{
	const double *cols[] = { c->open, c->high, c->low, c->close, c->volume };
	const size_t head[] = { c->n, ev->n, o->first, o->count };
	struct sb_sha256 h;
	enum sb_err rc = sb_sha256_begin(&h, err);

	if (rc)
		return rc;
	sb_sha256_update(&h, head, sizeof(head));
	sb_sha256_update(&h, &c->t0_us, sizeof(c->t0_us));
	sb_sha256_update(&h, &c->interval_us, sizeof(c->interval_us));
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
		if (cols[k])
			sb_sha256_update(&h, cols[k], c->n * sizeof(double));
	if (ev->n) {
		sb_sha256_update(&h, ev->t_us, ev->n * sizeof(*ev->t_us));
		sb_sha256_update(&h, ev->score_e9, ev->n * sizeof(*ev->score_e9));
		sb_sha256_update(&h, ev->conf_e9, ev->n * sizeof(*ev->conf_e9));
	}
	sb_sha256_end(&h, hex);
	return SB_OK;
}

/* Messages of at most 1 GiB: MPI counts are ints. */
#define CHUNK ((size_t)1 << 30)
#define TAG_ROWS 15

static void send_bytes(const char *p, size_t n)
{
	for (size_t off = 0; off < n; off += CHUNK)
		MPI_Send(p + off, (int)(n - off < CHUNK ? n - off : CHUNK), MPI_BYTE, 0, TAG_ROWS,
			 MPI_COMM_WORLD);
}

static void recv_bytes(char *p, size_t n, int from)
{
	for (size_t off = 0; off < n; off += CHUNK)
		MPI_Recv(p + off, (int)(n - off < CHUNK ? n - off : CHUNK), MPI_BYTE, from, TAG_ROWS,
			 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

/* The rows of rank r, in plan order, copied between m[] and buf (pack: m -> buf). */
static size_t copy_rows(const struct sb_grid *g, const struct unit *u, size_t n_units, int r,
			struct sb_metrics *m, struct sb_metrics *buf, bool pack)
{
	size_t k = 0;

	for (size_t i = 0; i < n_units; i++) {
		if (u[i].rank != r)
			continue;
		for (size_t l = 0; l < u[i].part.lane_count; l++, k++) {
			size_t id = sb_sweep_combo_id(g, u[i].part.group, u[i].part.lane_first + l);

			if (buf) {
				if (pack)
					buf[k] = m[id];
				else
					m[id] = buf[k];
			}
		}
	}
	return k;
}

/* Per rank, gathered on rank 0 for the stats. */
struct rank_report {
	double seconds;
	uint64_t rows, bytes;
};

enum sb_err sb_mpi_sweep(const struct sb_candles *c, const struct sb_events *ev,
			 const struct sb_grid *g, const struct sb_sweep_opts *o,
			 struct sb_metrics *m, struct sb_sweep_stats *st,
			 struct sb_mpi_sweep_stats *ms, struct sb_errbuf *err)
{
	struct sb_sweep_part *mine = NULL;
	struct unit *u;
	struct sb_sweep_stats local;
	struct rank_report me = { 0 }, *all = NULL;
	struct sb_metrics *buf = NULL;
	char hex[SB_SHA256_HEX], root_hex[SB_SHA256_HEX];
	size_t n_units, n_mine = 0;
	enum sb_err rc;

	if (sb_mpi_size() == 1)
		return sweep_one(c, ev, g, o, m, st, ms, err);
	rc = fingerprint(c, ev, o, hex, err);
	if (rc)
		return rc;
	memcpy(root_hex, hex, sizeof(hex));
	MPI_Bcast(root_hex, (int)sizeof(root_hex), MPI_CHAR, 0, MPI_COMM_WORLD);
	if (memcmp(root_hex, hex, sizeof(hex)))
		return sb_errf(err, SB_EINVAL,
			       "rank %d loaded other candles or articles than rank 0 (SHA-256 %.16s... vs %.16s...): every rank must read the same inputs",
			       g_rank, hex, root_hex);

	u = make_plan(g, g_size, &n_units);
	if (u)
		mine = malloc((n_units ? n_units : 1) * sizeof(*mine));
	if (!u || !mine) {
		free(u);
		return sb_errf(err, SB_ENOMEM, "out of memory for the plan of %zu combinations",
			       g->count);
	}
	for (size_t i = 0; i < n_units; i++)
		if (u[i].rank == g_rank)
			mine[n_mine++] = u[i].part;
	rc = sb_sweep_run_parts(c, ev, g, o, mine, n_mine, m, &local, err);
	free(mine);
	if (rc) {
		free(u);
		return rc;
	}
	if (st)
		*st = local;

	me.seconds = local.seconds_total;
	me.rows = copy_rows(g, u, n_units, g_rank, m, NULL, true);
	me.bytes = g_rank ? me.rows * sizeof(struct sb_metrics) : 0;
	if (g_rank == 0 && !(all = calloc((size_t)g_size, sizeof(*all)))) {
		free(u);
		return sb_errf(err, SB_ENOMEM, "out of memory");
	}
	MPI_Gather(&me, (int)sizeof(me), MPI_BYTE, all, (int)sizeof(me), MPI_BYTE, 0,
		   MPI_COMM_WORLD);

	if (g_rank != 0) {
		if (me.rows && !(buf = malloc(me.rows * sizeof(*buf)))) {
			free(u);
			return sb_errf(err, SB_ENOMEM, "out of memory for %llu rows",
				       (unsigned long long)me.rows);
		}
		copy_rows(g, u, n_units, g_rank, m, buf, true);
		sb_mpi_fault("send");
		send_bytes((const char *)buf, me.rows * sizeof(*buf));
	} else {
		for (int r = 1; r < g_size && !rc; r++) {
			size_t n = all[r].rows;

			free(buf);
			buf = n ? malloc(n * sizeof(*buf)) : NULL;
			if (n && !buf) {
				rc = sb_errf(err, SB_ENOMEM, "out of memory for the rows of rank %d", r);
				break;
			}
			recv_bytes((char *)buf, n * sizeof(*buf), r);
			copy_rows(g, u, n_units, r, m, buf, false);
		}
		memset(&g_last, 0, sizeof(g_last));
		g_last.ranks = g_size;
		g_last.parts = n_units;
		g_last.row_bytes = sizeof(struct sb_metrics);
		for (int r = 0; r < g_size && r < 256; r++) {
			g_last.rows[r] = all[r].rows;
			g_last.bytes_sent[r] = all[r].bytes;
			g_last.seconds[r] = all[r].seconds;
		}
		g_have_last = rc == SB_OK;
		if (ms)
			*ms = g_last;
	}
	free(buf);
	free(all);
	free(u);
	return rc;
}

#endif /* SB_MPI */
