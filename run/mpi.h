/* mpi.h - runs spread over Open MPI ranks (run/mpi.c: the only file that calls MPI)
 *
 * Built with `make MPI=1`, run/mpi.c calls Open MPI; otherwise it compiles to a
 * one-process stub with the same functions (rank 0 of 1), so callers never test for
 * MPI.  Even an MPI build starts MPI only when mpirun started it (Open MPI's
 * OMPI_COMM_WORLD_SIZE in the environment): run directly, it is one process.
 *
 * The rules a run follows under mpirun (docs/scale-out.md):
 * - every rank parses the same command line and loads the same inputs, all at once
 *   after rank 0 alone has downloaded the tardis: days into the cache;
 * - a grid is cut into parts (signal group x lane range) balanced by estimated cost;
 *   each rank runs its parts with OpenMP and sends their metrics to rank 0, which alone
 *   writes the result folder, the same bytes as one process would (but the manifest);
 * - any rank that fails prints its message, "rank R of N", and aborts every rank
 *   (MPI_Abort): no result is renamed into place, and a temporary folder left by a
 *   killed rank 0 is removed by the next run to the same path (engine/results.c).
 */
#ifndef SB_MPI_H
#define SB_MPI_H

#include "run.h"

/* Starts MPI when mpirun started this process; a no-op otherwise (and in the stub). */
void sb_mpi_start(int *argc, char ***argv);
int sb_mpi_rank(void);          /* 0 when not under MPI */
int sb_mpi_size(void);          /* 1 when not under MPI */
bool sb_mpi_built(void);        /* true in an MPI=1 build */

/*
 * sb_mpi_finish() ends the process's part in the run with exit code 'rc': MPI_Finalize
 * when all went well; with several ranks and rc != 0, a line "rank R of N failed"
 * and MPI_Abort, which ends every rank (no return).  Returns rc.
 */
int sb_mpi_finish(int rc);

/* sb_run_load_inputs() on every rank, once rank 0 has fetched the tardis: days. */
enum sb_err sb_mpi_load_inputs(const struct sb_run_opts *o, struct sb_run_inputs *in,
			       struct sb_errbuf *err);

/* What the last distributed sweep did, for the terminal and docs/scale-out.md. */
struct sb_mpi_sweep_stats {
	int ranks;
	size_t parts;                 /* parts the grid was cut into */
	size_t rows[256];             /* per rank (the first 256): combinations run */
	size_t bytes_sent[256];       /* and bytes sent to rank 0 (rank 0: 0) */
	double seconds[256];          /* its sweep phase */
	size_t row_bytes;             /* bytes per combination on the wire */
};

/*
 * sb_mpi_sweep() is sb_sweep_run() spread over the ranks: each runs its share and
 * rank 0 receives every row, so m[] is whole on rank 0 only (the other ranks hold
 * their own rows).  The ranks' inputs are checked to be the same first.  One process:
 * sb_sweep_run().  'ms' may be NULL.
 */
enum sb_err sb_mpi_sweep(const struct sb_candles *c, const struct sb_events *ev,
			 const struct sb_grid *g, const struct sb_sweep_opts *o,
			 struct sb_metrics *m, struct sb_sweep_stats *st,
			 struct sb_mpi_sweep_stats *ms, struct sb_errbuf *err);
const struct sb_mpi_sweep_stats *sb_mpi_last_sweep(void);   /* NULL before one */

/*
 * Collectives for batch runs (every rank calls them in the same order; one process:
 * no-ops).  sb_mpi_bcast_text() sends rank 0's NUL-terminated buf to every rank;
 * sb_mpi_all_ok() is true when 'ok' is true on every rank.
 */
void sb_mpi_bcast_text(char *buf, size_t cap);
bool sb_mpi_all_ok(bool ok);
/*
 * Between sb_mpi_set_local(true) and (false) this rank is on its own: sb_mpi_rank()
 * is 0, sb_mpi_size() 1, and sweeps neither wait for nor send to the others (a batch
 * runs whole experiments on each rank).  The collectives above still span every rank.
 */
void sb_mpi_set_local(bool local);

/*
 * A test hook: with SENTIBT_MPI_FAULT=R:WHERE in the environment, rank R kills itself
 * (SIGKILL) when it reaches 'where' ("send": before sending its rows, "write": rank 0
 * with its temporary folder half written).
 */
void sb_mpi_fault(const char *where);

#endif
