/* thread.h - the one file that uses POSIX threads: a thread, a bounded queue of
 * pointers between two threads, and the number of CPUs the process may use.  The
 * loaders pipeline their work with these (gzip decoded ahead, rows parsed ahead of
 * the candle grid); OpenMP stays in engine/sweep.c for the sweep. */
#ifndef SB_THREAD_H
#define SB_THREAD_H

#include <stdbool.h>
#include <stddef.h>

/* A FIFO of at most 'cap' pointers; push waits while it is full, pop while empty. */
struct sb_queue;

struct sb_queue *sb_queue_new(size_t cap);     /* NULL: out of memory */
/* Appends 'item' (not NULL), waiting for room; false once the queue is closed. */
bool sb_queue_push(struct sb_queue *q, void *item);
/* The oldest item, waiting for one; NULL once the queue is closed and empty. */
void *sb_queue_pop(struct sb_queue *q);
/* Wakes every waiter: pushes fail from now on, pops take what is left, then NULL. */
void sb_queue_close(struct sb_queue *q);
void sb_queue_free(struct sb_queue *q);        /* NULL is fine; no one may wait on it */

/*
 * A producer thread and its consumer trading a fixed set of buffers through two
 * queues: the producer pops 'empty' ones, fills them and pushes them to 'full'; the
 * consumer pops 'full' ones in order and pushes them back to 'empty'.
 */
struct sb_pipe {
	struct sb_queue *empty, *full;
	struct sb_thread *thread;
};

/* Queues the n buffers as empty and starts producer(arg); false (nothing left
 * running) when it could not. */
bool sb_pipe_start(struct sb_pipe *p, void *const *bufs, size_t n, void *(*producer)(void *),
		   void *arg);
/* Closes both queues (a producer waiting on one returns), joins the producer and
 * frees the queues; safe on a pipe never started or already stopped. */
void sb_pipe_stop(struct sb_pipe *p);

/* A joinable thread running fn(arg); NULL when it could not be started. */
struct sb_thread;

struct sb_thread *sb_thread_start(void *(*fn)(void *), void *arg);
void sb_thread_join(struct sb_thread *t);      /* waits for it and frees it */

/*
 * At most n threads at once for the loaders and sb_thread_for() (0: as many as CPUs),
 * as the user's --threads asks; set before loading.
 */
void sb_thread_cap(size_t n);

/*
 * Whether the loaders may pipeline their work on a second thread: the process may
 * run on more than one CPU (taskset and cpusets count, and sb_thread_cap()) and
 * SENTIBT_LOAD_THREADS is not 1.  Results never depend on it; only the time does.
 */
bool sb_load_threads(void);

/*
 * How many threads the loaders may use at once: 1 when SENTIBT_LOAD_THREADS=1 or
 * the process may run on one CPU only; SENTIBT_LOAD_THREADS=N (2 to 64) asks for N;
 * else one per usable CPU.  Results never depend on it.
 */
size_t sb_load_cpus(void);

/* Runs fn(ctx, i) for every i in [0, n), the indices shared out to one thread per CPU
 * the process may use (at most n); returns when all are done.  For independent jobs
 * whose results go to their own slots, so the order cannot matter. */
void sb_thread_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

/* One process-wide lock for small shared tables (the digests of the files just
 * written, engine/results.c), held for microseconds; not recursive. */
void sb_shared_lock(void);
void sb_shared_unlock(void);

#endif
