/* thread.c - the only file that includes pthread.h (see thread.h) */
#define _GNU_SOURCE             /* sched_getaffinity, CPU_COUNT */
#include "thread.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct sb_queue {
	pthread_mutex_t mu;
	pthread_cond_t  cv;        /* signalled on every change */
	size_t head, n, cap;
	bool closed;
	void *items[];
};

struct sb_queue *sb_queue_new(size_t cap)
{
	struct sb_queue *q = calloc(1, sizeof(*q) + cap * sizeof(q->items[0]));

	if (!q)
		return NULL;
	q->cap = cap;
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		free(q);
		return NULL;
	}
	if (pthread_cond_init(&q->cv, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		free(q);
		return NULL;
	}
	return q;
}

bool sb_queue_push(struct sb_queue *q, void *item)
{
	bool ok;

	pthread_mutex_lock(&q->mu);
	while (q->n == q->cap && !q->closed)
		pthread_cond_wait(&q->cv, &q->mu);
	ok = !q->closed;
	if (ok) {
		q->items[(q->head + q->n) % q->cap] = item;
		q->n++;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return ok;
}

void *sb_queue_pop(struct sb_queue *q)
{
	void *item = NULL;

	pthread_mutex_lock(&q->mu);
	while (q->n == 0 && !q->closed)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->n) {
		item = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return item;
}

void sb_queue_close(struct sb_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void sb_queue_free(struct sb_queue *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

struct sb_thread {
	pthread_t t;
};

struct sb_thread *sb_thread_start(void *(*fn)(void *), void *arg)
{
	struct sb_thread *t = malloc(sizeof(*t));

	if (t && pthread_create(&t->t, NULL, fn, arg) != 0) {
		free(t);
		t = NULL;
	}
	return t;
}

void sb_thread_join(struct sb_thread *t)
{
	if (!t)
		return;
	pthread_join(t->t, NULL);
	free(t);
}

bool sb_pipe_start(struct sb_pipe *p, void *const *bufs, size_t n, void *(*producer)(void *),
		   void *arg)
{
	p->empty = sb_queue_new(n);
	p->full = sb_queue_new(n);
	p->thread = NULL;
	for (size_t i = 0; p->empty && p->full && i < n; i++)
		sb_queue_push(p->empty, bufs[i]);
	if (p->empty && p->full)
		p->thread = sb_thread_start(producer, arg);
	if (!p->thread)
		sb_pipe_stop(p);
	return p->thread != NULL;
}

void sb_pipe_stop(struct sb_pipe *p)
{
	if (p->empty)
		sb_queue_close(p->empty);
	if (p->full)
		sb_queue_close(p->full);
	sb_thread_join(p->thread);
	sb_queue_free(p->empty);
	sb_queue_free(p->full);
	p->empty = p->full = NULL;
	p->thread = NULL;
}

static size_t thread_cap;             /* sb_thread_cap(); 0: none */

void sb_thread_cap(size_t n)
{
	__atomic_store_n(&thread_cap, n, __ATOMIC_RELAXED);
}

/* n, at most the cap. */
static size_t capped(size_t n)
{
	size_t cap = __atomic_load_n(&thread_cap, __ATOMIC_RELAXED);

	return cap && cap < n ? cap : n;
}

/* The CPUs this process may run on (taskset and cpusets count; 1 when unknown), at
 * most the cap. */
static size_t usable_cpus(void)
{
	cpu_set_t set;

	return capped(sched_getaffinity(0, sizeof(set), &set) == 0 ? (size_t)CPU_COUNT(&set) : 1);
}

size_t sb_load_cpus(void)
{
	const char *e = getenv("SENTIBT_LOAD_THREADS");
	size_t cpus = usable_cpus();
	char *end;

	if (e && *e) {
		unsigned long n = strtoul(e, &end, 10);

		if (*end == '\0' && n >= 1 && n <= 64)
			return n == 1 || cpus == 1 ? 1 : capped((size_t)n);
	}
	return cpus > 64 ? 64 : cpus;
}

bool sb_load_threads(void)
{
	return sb_load_cpus() > 1;
}

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

void sb_shared_lock(void)
{
	pthread_mutex_lock(&shared_lock);
}

void sb_shared_unlock(void)
{
	pthread_mutex_unlock(&shared_lock);
}

struct for_job {
	size_t n, next;
	void (*fn)(void *ctx, size_t i);
	void *ctx;
};

static void *for_worker(void *arg)
{
	struct for_job *j = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);

		if (i >= j->n)
			return NULL;
		j->fn(j->ctx, i);
	}
}

void sb_thread_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
	struct for_job job = { n, 0, fn, ctx };
	struct sb_thread *extra[63];
	size_t k = 0, want = usable_cpus();

	if (want > n)
		want = n;
	if (want > 64)
		want = 64;
	/* the caller is one worker; a thread that cannot start leaves its share to the rest */
	for (; k + 1 < want; k++)
		if (!(extra[k] = sb_thread_start(for_worker, &job)))
			break;
	for_worker(&job);
	while (k > 0)
		sb_thread_join(extra[--k]);
}
