/* inputs.c - a run's inputs: Tardis references resolved, files checked, the cache used */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/atomic.h"   /* sb_path_within */
#include "../core/thread.h"
#include "../engine/sweep.h"
#include "../loaders/bincache.h"
#include "../loaders/fetch.h"
#include "../loaders/input.h"

static bool events_opts_from(const struct sb_run_opts *o, struct sb_events_opts *eo)
{
	memset(eo, 0, sizeof(*eo));
	eo->entity = o->entity;
	eo->time_col = o->time_col;
	eo->score_col = o->score_col;
	eo->conf_col = o->conf_col;
	eo->conf_mode = SB_CONF_FIELD;
	return !o->confidence || sb_conf_mode_parse(o->confidence, eo);
}

/* Appends 'path' (copied) to the resolved price paths. */
static bool push_path(struct sb_run_inputs *in, size_t *cap, const char *path)
{
	if (in->n_price_files == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **np = realloc(in->price_paths, ncap * sizeof(*np));

		if (!np)
			return false;
		in->price_paths = np;
		*cap = ncap;
	}
	in->price_paths[in->n_price_files] = strdup(path);
	return in->price_paths[in->n_price_files++] != NULL;
}

/* Expands tardis: references into cached day files, fetching the missing ones. */
static bool resolve_prices(const struct sb_run_opts *o, struct sb_run_inputs *in,
			   struct sb_errbuf *err)
{
	size_t cap = 0;

	for (size_t i = 0; i < o->n_prices; i++) {
		struct sb_fetch_opts fo;
		char **days = NULL;
		size_t n_days = 0;
		bool ok = true;

		if (!sb_fetch_is_tardis_ref(o->prices[i])) {
			if (!push_path(in, &cap, o->prices[i]))
				goto oom;
			continue;
		}
		sb_fetch_opts_init(&fo);
		fo.quiet = o->quiet;
		if (o->tardis_cache)
			fo.cache_dir = o->tardis_cache;
		if (sb_fetch_resolve_tardis(o->prices[i], &fo, &days, &n_days, err))
			return false;
		for (size_t d = 0; d < n_days; d++) {
			ok = ok && push_path(in, &cap, days[d]);
			free(days[d]);
		}
		free(days);
		if (!ok)
			goto oom;
	}
	return true;
oom:
	sb_errf(err, SB_ENOMEM, "out of memory");
	return false;
}

/* The digest and size of each input, hashed once for the cache key and the manifest. */
static void note_digest(struct sb_input_info *info, const char *path,
			const char digest[SB_SHA256_HEX])
{
	struct stat st;

	memcpy(info->sha256, digest, SB_SHA256_HEX);
	info->size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/*
 * A cached array passed the gap limit of the run that stored it; one with a gap
 * longer than this run's limit is a miss, so that the loader reports the gap.
 */
static bool gaps_within(const struct sb_input_info *info, size_t n, int64_t max_gap_us)
{
	for (size_t i = 0; max_gap_us && i < n; i++)
		if (info[i].longest_gap_us > max_gap_us)
			return false;
	return true;
}

/*
 * The threads the user asked for: --threads N, else OMP_NUM_THREADS (its first
 * number), which set the sweep's too; 0 when neither: the loaders then use every CPU.
 * One thread means one: no loader threads beside the main one either.
 */
static size_t threads_asked(const struct sb_run_opts *o)
{
	const char *s = o->threads && *o->threads ? o->threads : getenv("OMP_NUM_THREADS");
	char *end;
	unsigned long n;

	if (!s || !*s)
		return 0;
	n = strtoul(s, &end, 10);
	return (*end == '\0' || *end == ',') && n >= 1 && n <= 4096 ? (size_t)n : 0;
}

/*
 * Every input goes through sb_input_open() before it is hashed or read (pipes are
 * spooled, devices refused); the loaders read src[].path, messages and the manifest
 * show the names given.
 */
static bool load_candles(const struct sb_run_opts *o, struct sb_run_inputs *in,
			 struct sb_errbuf *err)
{
	const size_t n = in->n_price_files;
	const char *cache = o->candle_cache;
	char key[SB_SHA256_HEX], (*digests)[SB_SHA256_HEX];
	struct sb_input *src;
	const char **paths;
	bool keyed, cached, digested, ok = false;
	size_t opened = 0;

	in->price_info = calloc(n, sizeof(*in->price_info));
	digests = calloc(n, sizeof(*digests));
	src = calloc(n, sizeof(*src));
	paths = calloc(n, sizeof(*paths));
	if (!in->price_info || !digests || !src || !paths) {
		sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}
	for (; opened < n; opened++) {
		if (sb_input_open(&src[opened], in->price_paths[opened], err))
			goto out_free;
		paths[opened] = src[opened].path;
	}
	/*
	 * With a cache the digests come first (they make the key); without one they are
	 * for the manifest only, and are taken as the loader reads the files (one read
	 * of each instead of two).
	 */
	cached = cache && *cache;
	keyed = cached && !sb_cache_key_candles(cache, paths, n, o->interval_us, key, digests,
						NULL);
	if (keyed && sb_cache_load_candles(cache, key, &in->candles, in->price_info, n) &&
	    gaps_within(in->price_info, n, o->max_gap_us)) {
		ok = true;
	} else if ((cached ? sb_candles_load_ex : sb_candles_load_hashed)(&in->candles, paths, n,
			o->interval_us, o->max_gap_us, in->price_info, err)) {
		for (size_t i = 0; i < n; i++)
			sb_input_rename_msg(&src[i], err->msg, sizeof(err->msg));
	} else {
		for (size_t i = 0; i < n; i++)
			snprintf(in->price_info[i].path, sizeof(in->price_info[i].path), "%s",
				 src[i].name);
		if (keyed)
			sb_cache_store_candles(cache, key, &in->candles, in->price_info, n);
		ok = true;
		for (size_t i = 0; !cached && i < n; i++)
			memcpy(digests[i], in->price_info[i].sha256, SB_SHA256_HEX);
	}
	digested = keyed || !cached;            /* from the key, or taken while loading */
	for (size_t i = 0; ok && i < n; i++) {
		snprintf(in->price_info[i].path, sizeof(in->price_info[i].path), "%s", src[i].name);
		if (digested)
			note_digest(&in->price_info[i], paths[i], digests[i]);
	}
out_free:
	for (size_t i = 0; src && i < opened; i++)
		sb_input_close(&src[i]);
	free(src);
	free(paths);
	free(digests);
	return ok;
}

static bool load_events(const struct sb_run_opts *o, const struct sb_events_opts *eo,
			struct sb_run_inputs *in, struct sb_errbuf *err)
{
	const char *cache = o->candle_cache;
	char key[SB_SHA256_HEX], digest[SB_SHA256_HEX];
	struct sb_input src;
	bool keyed, ok = false;

	if (sb_input_open(&src, o->sentiment, err))
		return false;
	keyed = !sb_cache_key_events(cache, src.path, eo, key, digest, NULL);
	if (keyed && cache && *cache &&
	    sb_cache_load_events(cache, key, &in->events, &in->sentiment_info)) {
		ok = true;
	} else if (sb_events_load(&in->events, src.path, eo, &in->sentiment_info, err)) {
		sb_input_rename_msg(&src, err->msg, sizeof(err->msg));
	} else {
		snprintf(in->sentiment_info.path, sizeof(in->sentiment_info.path), "%s", src.name);
		if (keyed && cache && *cache)
			sb_cache_store_events(cache, key, &in->events, &in->sentiment_info);
		ok = true;
	}
	if (ok) {
		snprintf(in->sentiment_info.path, sizeof(in->sentiment_info.path), "%s", src.name);
		if (keyed)
			note_digest(&in->sentiment_info, src.path, digest);
	}
	sb_input_close(&src);
	return ok;
}

/* True when every input is a regular file (pipes are spooled in turn, as given). */
static bool all_regular(const struct sb_run_opts *o, const struct sb_run_inputs *in)
{
	struct stat st;

	for (size_t i = 0; i < in->n_price_files; i++)
		if (stat(in->price_paths[i], &st) != 0 || !S_ISREG(st.st_mode))
			return false;
	return o->sentiment && stat(o->sentiment, &st) == 0 && S_ISREG(st.st_mode);
}

/* load_events() on a thread of its own, beside load_candles() */
struct events_job {
	const struct sb_run_opts *o;
	const struct sb_events_opts *eo;
	struct sb_run_inputs *in;
	struct sb_errbuf err;
	bool ok;
};

static void *events_thread(void *p)
{
	struct events_job *j = p;

	j->ok = load_events(j->o, j->eo, j->in, &j->err);
	return NULL;
}

enum sb_err sb_run_load_inputs(const struct sb_run_opts *o, struct sb_run_inputs *in,
			       struct sb_errbuf *err)
{
	struct sb_events_opts eo;
	struct events_job job;
	struct sb_thread *t = NULL;
	size_t threads;
	bool ok;

	memset(in, 0, sizeof(*in));
	sb_candles_init(&in->candles);
	sb_events_init(&in->events);
	threads = threads_asked(o);
	sb_thread_cap(threads);            /* the loaders' threads */
	if (threads)                       /* and the engine's everywhere, manifests' hashes too */
		sb_sweep_default_threads((int)threads);
	if (!events_opts_from(o, &eo))
		return sb_errf(err, SB_EINVAL,
			       "--confidence: expected field, abs or const:X with X in [0, 1], got '%s'",
			       o->confidence);
	if (!resolve_prices(o, in, err))
		return err && err->msg[0] ? SB_EINVAL : SB_EIO;
	/* --force replaces the folder: an input inside it would be deleted with it */
	for (size_t i = 0; o->force && o->out && i <= in->n_price_files; i++) {
		const char *p = i < in->n_price_files ? in->price_paths[i] : o->sentiment;

		if (sb_path_within(p, o->out))
			return sb_errf(err, SB_EINVAL,
				       "%s: an input inside %s, which --force would replace; write the results to another folder",
				       p, o->out);
	}
	/*
	 * The prices and the news are independent until both are loaded: with a second
	 * CPU, the news are hashed and loaded (or taken from the cache) beside the
	 * candles (regular files only: two names may be one pipe).  A failure of the
	 * candles is reported first, as when run in turn.
	 */
	memset(&job, 0, sizeof(job));
	job.o = o;
	job.eo = &eo;
	job.in = in;
	if (sb_load_threads() && all_regular(o, in))
		t = sb_thread_start(events_thread, &job);
	ok = load_candles(o, in, err);
	if (t)
		sb_thread_join(t);
	else if (ok)
		job.ok = load_events(o, &eo, in, &job.err);
	if (ok && !job.ok) {
		if (err)
			*err = job.err;
		ok = false;
	}
	if (!ok)
		return err && err->msg[0] ? SB_EINVAL : SB_EIO;
	return SB_OK;
}

enum sb_err sb_run_fetch_refs(const struct sb_run_opts *o, struct sb_errbuf *err)
{
	struct sb_run_inputs in;
	bool ok;

	memset(&in, 0, sizeof(in));
	sb_candles_init(&in.candles);
	sb_events_init(&in.events);
	ok = resolve_prices(o, &in, err);
	sb_run_inputs_release(&in);
	return ok ? SB_OK : err && err->msg[0] ? SB_EINVAL : SB_EIO;
}

void sb_run_inputs_release(struct sb_run_inputs *in)
{
	sb_candles_release(&in->candles);
	sb_events_release(&in->events);
	for (size_t i = 0; in->price_paths && i < in->n_price_files; i++)
		free(in->price_paths[i]);
	free(in->price_paths);
	free(in->price_info);
	memset(in, 0, sizeof(*in));
}

enum sb_err sb_run_range(const struct sb_run_opts *o, const struct sb_candles *c,
			 size_t *first, size_t *n, struct sb_errbuf *err)
{
	const int64_t D = c->interval_us, end = c->t0_us + (int64_t)c->n * D;
	int64_t lo = o->from_us > c->t0_us ? o->from_us : c->t0_us;
	int64_t hi = o->to_us < end ? o->to_us : end;
	int64_t i0 = (lo - c->t0_us + D - 1) / D;     /* first candle starting at or after lo */
	int64_t i1 = (hi - c->t0_us) / D;             /* candles ending at or before hi */
	char a[SB_TIME_LEN], b[SB_TIME_LEN];

	if (hi <= lo || i1 <= i0) {
		sb_format_time(c->t0_us, a);
		sb_format_time(end, b);
		return sb_errf(err, SB_EINVAL,
			       "--from/--to: no whole candle lies inside the period (the candles span %s .. %s)",
			       a, b);
	}
	*first = (size_t)i0;
	*n = (size_t)(i1 - i0);
	return SB_OK;
}
