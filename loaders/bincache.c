/* bincache.c - MessagePack entries (mpk.h): a header, raw little-endian columns, loader stats */
#include "bincache.h"
#include "digest_memo.h"
#include "../core/atomic.h"
#include "../core/thread.h"
#include "mpk.h"
#include "gz.h"     /* sb_crc32 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The container format; each object has its own schema (bincache.h). */
#define MAGIC "sentibt-cache-3"   /* 3: the CRC-32 trailer */
#define STR_(x) #x
#define STR(x) STR_(x)
#define KIND_CANDLES "candles-" STR(SB_CACHE_CANDLES_SCHEMA)
#define KIND_EVENTS "events-" STR(SB_CACHE_EVENTS_SCHEMA)

static void key_add_str(struct sb_sha256 *h, const char *s)
{
	s = s ? s : "";
	sb_sha256_update(h, s, strlen(s) + 1);     /* with the NUL, so fields don't run together */
}

enum sb_err sb_cache_key_candles(const char *memo_dir, const char *const *paths,
				 size_t npaths, int64_t interval_us, char key[SB_SHA256_HEX],
				 char (*digests)[SB_SHA256_HEX], struct sb_errbuf *err)
{
	struct sb_sha256 h;
	char num[32];
	enum sb_err rc = sb_sha256_begin(&h, err);

	if (rc)
		return rc;
	key_add_str(&h, MAGIC " " KIND_CANDLES);
	snprintf(num, sizeof(num), "%lld", (long long)interval_us);
	key_add_str(&h, num);
	for (size_t i = 0; i < npaths; i++) {
		char d[SB_SHA256_HEX];

		rc = sb_digest_memo_file(memo_dir, paths[i], d, NULL, err);
		if (rc) {
			sb_sha256_end(&h, key);
			return rc;
		}
		key_add_str(&h, d);
		if (digests)
			memcpy(digests[i], d, SB_SHA256_HEX);
	}
	sb_sha256_end(&h, key);
	return SB_OK;
}

enum sb_err sb_cache_key_events(const char *memo_dir, const char *path,
				const struct sb_events_opts *o, char key[SB_SHA256_HEX],
				char digest[SB_SHA256_HEX], struct sb_errbuf *err)
{
	struct sb_sha256 h;
	char d[SB_SHA256_HEX], num[64];
	enum sb_err rc = sb_digest_memo_file(memo_dir, path, d, NULL, err);

	if (rc || (rc = sb_sha256_begin(&h, err)))
		return rc;
	key_add_str(&h, MAGIC " " KIND_EVENTS);
	key_add_str(&h, d);
	key_add_str(&h, o->entity);
	snprintf(num, sizeof(num), "%d %.17g", (int)o->conf_mode, o->conf_const);
	key_add_str(&h, num);
	key_add_str(&h, o->time_col);
	key_add_str(&h, o->score_col);
	key_add_str(&h, o->conf_col);
	sb_sha256_end(&h, key);
	if (digest)
		memcpy(digest, d, SB_SHA256_HEX);
	return SB_OK;
}

/* ---- writing ---- */

static void pack_infos(FILE *f, const struct sb_input_info *info, size_t n)
{
	sb_mpk_put_array(f, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		sb_mpk_put_array(f, 12);
		sb_mpk_put_str(f, info[i].path);
		sb_mpk_put_str(f, info[i].kind);
		sb_mpk_put_uint(f, info[i].rows);
		sb_mpk_put_uint(f, info[i].rows_used);
		sb_mpk_put_uint(f, info[i].rows_dropped);
		sb_mpk_put_uint(f, info[i].duplicates);
		sb_mpk_put_str(f, info[i].dropped_why);
		sb_mpk_put_int(f, info[i].t_first_us);
		sb_mpk_put_int(f, info[i].t_last_us);
		sb_mpk_put_uint(f, info[i].rounded);
		sb_mpk_put_uint(f, info[i].filled_candles);
		sb_mpk_put_int(f, info[i].longest_gap_us);
	}
}

/*
 * An entry is the MessagePack document, then its CRC-32 (4 bytes, little-endian): a
 * flipped bit anywhere makes it a miss, not wrong candles.  The document is written
 * to the temporary file (open_entry), then close_entry() maps what was written (still
 * in the page cache: no second copy in memory), appends its CRC and commits.
 */
struct entry_out {
	struct sb_atomic a;
	FILE *f;          /* a.f: where the document goes */
};

static bool open_entry(const char *dir, const char *key, struct entry_out *o)
{
	char final[4200];

	if (!dir || !*dir || sb_mkdirs(dir, NULL))
		return false;
	snprintf(final, sizeof(final), "%s/%s.mpk", dir, key);
	if (sb_atomic_open(&o->a, final, NULL) != SB_OK)
		return false;
	o->f = o->a.f;
	return true;
}

static void close_entry(struct entry_out *o)
{
	struct stat st;
	void *m = MAP_FAILED;
	int fd = fileno(o->a.f);
	bool ok = fflush(o->a.f) == 0 && !ferror(o->a.f) && fstat(fd, &st) == 0 &&
		  st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX;

	if (ok)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m != MAP_FAILED) {
		uint32_t crc = sb_crc32(m, (size_t)st.st_size);
		unsigned char t[4] = { (unsigned char)crc, (unsigned char)(crc >> 8),
				       (unsigned char)(crc >> 16), (unsigned char)(crc >> 24) };

		munmap(m, (size_t)st.st_size);
		if (fwrite(t, 1, 4, o->a.f) == 4) {
			sb_atomic_commit(&o->a, NULL);   /* best effort: a failed entry is a later miss */
			return;
		}
	}
	sb_atomic_abort(&o->a);
}

void sb_cache_store_candles(const char *dir, const char *key, const struct sb_candles *c,
			    const struct sb_input_info *info, size_t ninfo)
{
	const size_t bytes = c->n * sizeof(double);
	struct entry_out out;
	FILE *f;

	if (!open_entry(dir, key, &out))
		return;
	f = out.f;
	sb_mpk_put_array(f, 14);
	sb_mpk_put_str(f, MAGIC);
	sb_mpk_put_str(f, KIND_CANDLES);
	sb_mpk_put_uint(f, c->n);
	sb_mpk_put_int(f, c->t0_us);
	sb_mpk_put_int(f, c->interval_us);
	sb_mpk_put_bin(f, c->open, bytes);
	sb_mpk_put_bin(f, c->high, bytes);
	sb_mpk_put_bin(f, c->low, bytes);
	sb_mpk_put_bin(f, c->close, bytes);
	sb_mpk_put_bin(f, c->volume, bytes);
	sb_mpk_put_bin(f, c->buy_volume, bytes);
	sb_mpk_put_bin(f, c->sell_volume, bytes);
	sb_mpk_put_bin(f, c->trades, c->n * sizeof(uint64_t));
	pack_infos(f, info, ninfo);
	close_entry(&out);
}

void sb_cache_store_events(const char *dir, const char *key, const struct sb_events *ev,
			   const struct sb_input_info *info)
{
	struct entry_out out;
	FILE *f;

	if (!open_entry(dir, key, &out))
		return;
	f = out.f;
	sb_mpk_put_array(f, 7);
	sb_mpk_put_str(f, MAGIC);
	sb_mpk_put_str(f, KIND_EVENTS);
	sb_mpk_put_uint(f, ev->n);
	sb_mpk_put_bin(f, ev->t_us, ev->n * sizeof(int64_t));
	sb_mpk_put_bin(f, ev->score_e9, ev->n * sizeof(int32_t));
	sb_mpk_put_bin(f, ev->conf_e9, ev->n * sizeof(int32_t));
	pack_infos(f, info, 1);
	close_entry(&out);
}

/* ---- reading ---- */

/* read(2) until 'len' bytes are in, false on an error or a short file */
static bool read_whole(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t got = read(fd, buf, len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		buf += got;
		len -= (size_t)got;
	}
	return true;
}

struct entry {
	char *buf;
	size_t len;
	bool mapped;                   /* buf is a mapping of the file, else malloc'd */
	struct sb_mpk_doc *doc;
	struct sb_mpk_val items[14];   /* the top-level array, n_items of it */
	uint32_t n_items;
};

/* True when v is the string s. */
static bool str_is(const struct sb_mpk_val *v, const char *s)
{
	return v->type == SB_MPK_STR && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

/*
 * Another program may still cut an entry in place (cp over it, a truncating editor)
 * while it is mapped: reading a page past the new end then raises SIGBUS.  While a
 * thread reads a mapped entry, a handler sends a SIGBUS inside that mapping back to
 * it (siglongjmp) and the entry is a miss; any other SIGBUS goes to the handler that
 * was there before.  The handler is installed while some thread reads an entry.
 */
static _Thread_local sigjmp_buf *bus_jmp;
static _Thread_local const char *bus_lo;
static _Thread_local size_t bus_len;
static struct sigaction bus_prev;
static unsigned bus_users;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	const char *a = si->si_addr;

	if (bus_jmp && bus_lo && a >= bus_lo && (size_t)(a - bus_lo) < bus_len)
		siglongjmp(*bus_jmp, 1);
	if (bus_prev.sa_flags & SA_SIGINFO) {
		bus_prev.sa_sigaction(sig, si, uc);
	} else if (bus_prev.sa_handler == SIG_DFL || bus_prev.sa_handler == SIG_IGN) {
		/* the fault comes back on return, with the default action */
		signal(SIGBUS, SIG_DFL);
	} else {
		bus_prev.sa_handler(sig);
	}
}

static void bus_guard(bool on)
{
	sb_shared_lock();
	if (on && bus_users++ == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_bus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, &bus_prev);
	} else if (!on && --bus_users == 0) {
		sigaction(SIGBUS, &bus_prev, NULL);
	}
	sb_shared_unlock();
}

/*
 * The entry's bytes: mapped, read-only, from the page cache (tens of MB that are
 * only read, once: no copy, and no fresh memory to fault in, which costs as much as
 * the rest of the load in a VM); read into memory when it cannot be mapped.  Entries
 * are replaced by rename (core/atomic), never rewritten in place by sentibt; another
 * program that cuts one while mapped is caught by bus_guard().
 */
static bool entry_bytes(struct entry *e, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SIZE_MAX)
		goto out;
	e->len = (size_t)st.st_size;
	e->buf = mmap(NULL, e->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (e->buf != MAP_FAILED) {
		e->mapped = true;
		/* a page past a cut end faults anywhere in the last page */
		bus_len = e->len + (size_t)sysconf(_SC_PAGESIZE);
		bus_lo = e->buf;
		ok = true;
		goto out;
	}
	e->buf = malloc(e->len);
	ok = e->buf && read_whole(fd, e->buf, e->len);
out:
	close(fd);
	return ok;
}

static bool entry_open(struct entry *e, const char *dir, const char *key, const char *kind,
		       uint32_t n_items)
{
	char path[4200];
	struct sb_mpk_val root;

	memset(e, 0, sizeof(*e));
	if (!dir || !*dir || n_items > sizeof(e->items) / sizeof(e->items[0]))
		return false;
	snprintf(path, sizeof(path), "%s/%s.mpk", dir, key);
	if (!entry_bytes(e, path) || e->len < 4)
		return false;
	{   /* the CRC-32 trailer (close_entry) */
		const unsigned char *t = (const unsigned char *)e->buf + e->len - 4;
		uint32_t want = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
				(uint32_t)t[3] << 24;

		if (sb_crc32(e->buf, e->len - 4) != want)
			return false;
	}
	e->doc = sb_mpk_parse(e->buf, e->len - 4, &root);
	if (!e->doc || root.type != SB_MPK_ARRAY || root.n != n_items)
		return false;
	for (uint32_t i = 0; i < n_items; i++)
		e->items[i] = sb_mpk_item(&root, i);
	e->n_items = n_items;
	return str_is(&e->items[0], MAGIC) && str_is(&e->items[1], kind);
}

static void entry_close(struct entry *e)
{
	sb_mpk_doc_free(e->doc);
	bus_lo = NULL;
	if (e->mapped)
		munmap(e->buf, e->len);
	else
		free(e->buf);
}

static bool get_u64(const struct sb_mpk_val *v, uint64_t *out)
{
	if (v->type != SB_MPK_UINT)
		return false;
	*out = v->u;
	return true;
}

static bool get_i64(const struct sb_mpk_val *v, int64_t *out)
{
	if (v->type == SB_MPK_UINT && v->u <= INT64_MAX)
		*out = (int64_t)v->u;
	else if (v->type == SB_MPK_INT)
		*out = v->i;
	else
		return false;
	return true;
}

static bool get_col(const struct sb_mpk_val *v, void *dst, size_t bytes)
{
	if (v->type != SB_MPK_BIN || v->n != bytes)
		return false;
	if (bytes)
		memcpy(dst, v->s, bytes);
	return true;
}

/* Checked before allocating: the entry really holds n values of 'size' bytes. */
static bool bin_holds(const struct sb_mpk_val *v, uint64_t n, size_t size)
{
	return v->type == SB_MPK_BIN && v->n / size == n && v->n % size == 0;
}

static bool get_str(const struct sb_mpk_val *v, char *dst, size_t cap)
{
	if (v->type != SB_MPK_STR || v->n >= cap)
		return false;
	memcpy(dst, v->s, v->n);
	dst[v->n] = '\0';
	return true;
}

static bool get_infos(const struct sb_mpk_val *v, struct sb_input_info *info, size_t n)
{
	if (v->type != SB_MPK_ARRAY || v->n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct sb_mpk_val a = sb_mpk_item(v, (uint32_t)i);
		struct sb_mpk_val f[12];

		if (a.type != SB_MPK_ARRAY || a.n != 12)
			return false;
		for (uint32_t j = 0; j < 12; j++)
			f[j] = sb_mpk_item(&a, j);
		if (!get_str(&f[0], info[i].path, sizeof(info[i].path)) ||
		    !get_str(&f[1], info[i].kind, sizeof(info[i].kind)) ||
		    !get_u64(&f[2], &info[i].rows) || !get_u64(&f[3], &info[i].rows_used) ||
		    !get_u64(&f[4], &info[i].rows_dropped) || !get_u64(&f[5], &info[i].duplicates) ||
		    !get_str(&f[6], info[i].dropped_why, sizeof(info[i].dropped_why)) ||
		    !get_i64(&f[7], &info[i].t_first_us) || !get_i64(&f[8], &info[i].t_last_us) ||
		    !get_u64(&f[9], &info[i].rounded) ||
		    !get_u64(&f[10], &info[i].filled_candles) || !get_i64(&f[11], &info[i].longest_gap_us))
			return false;
	}
	return true;
}

/*
 * A cache entry is an input like any other: a damaged or forged one must not crash
 * or mislead, so what the loaders guarantee is checked again and a violation is a
 * miss (the source is parsed again and the entry rewritten).
 */
static bool candles_valid(const struct sb_candles *c)
{
	if (c->n == 0 || c->interval_us <= 0 || c->interval_us > SB_US_PER_DAY ||
	    c->t0_us < SB_TIME_MIN_US || c->t0_us >= SB_TIME_MAX_US ||
	    sb_floordiv(c->t0_us, c->interval_us) * c->interval_us != c->t0_us ||
	    (uint64_t)c->n > (uint64_t)(SB_TIME_MAX_US - c->t0_us) / (uint64_t)c->interval_us)
		return false;
	for (size_t i = 0; i < c->n; i++)
		if (!(c->close[i] > 0.0 && c->close[i] < HUGE_VAL) ||
		    !(c->low[i] > 0.0 && c->low[i] <= c->high[i] && c->high[i] < HUGE_VAL) ||
		    !(c->open[i] >= c->low[i] && c->open[i] <= c->high[i]) ||
		    !(c->close[i] >= c->low[i] && c->close[i] <= c->high[i]) ||
		    !(c->volume[i] >= 0.0 && c->volume[i] < HUGE_VAL))
			return false;
	return true;
}

static bool events_valid(const struct sb_events *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		if (ev->t_us[i] < SB_TIME_MIN_US || ev->t_us[i] >= SB_TIME_MAX_US ||
		    (i && ev->t_us[i] < ev->t_us[i - 1]) ||
		    ev->score_e9[i] < -SB_DEC_SCALE || ev->score_e9[i] > SB_DEC_SCALE ||
		    ev->conf_e9[i] < 0 || ev->conf_e9[i] > SB_DEC_SCALE)
			return false;
	return ev->n > 0;
}

static __attribute__((noinline)) bool
load_candles(struct entry *ep, const char *dir, const char *key, struct sb_candles *c,
	     struct sb_input_info *info, size_t ninfo, volatile bool *owns)
{
	uint64_t n;
	bool ok = false;

	if (!entry_open(ep, dir, key, KIND_CANDLES, 14) || !get_u64(&ep->items[2], &n) ||
	    n > SIZE_MAX / sizeof(double) || !bin_holds(&ep->items[5], n, sizeof(double)) ||
	    sb_candles_alloc_raw(c, (size_t)n, NULL))   /* every column copied whole below */
		goto out;
	*owns = true;
	ok = get_i64(&ep->items[3], &c->t0_us) && get_i64(&ep->items[4], &c->interval_us) &&
	     get_col(&ep->items[5], c->open, c->n * sizeof(double)) &&
	     get_col(&ep->items[6], c->high, c->n * sizeof(double)) &&
	     get_col(&ep->items[7], c->low, c->n * sizeof(double)) &&
	     get_col(&ep->items[8], c->close, c->n * sizeof(double)) &&
	     get_col(&ep->items[9], c->volume, c->n * sizeof(double)) &&
	     get_col(&ep->items[10], c->buy_volume, c->n * sizeof(double)) &&
	     get_col(&ep->items[11], c->sell_volume, c->n * sizeof(double)) &&
	     get_col(&ep->items[12], c->trades, c->n * sizeof(uint64_t)) &&
	     get_infos(&ep->items[13], info, ninfo) && candles_valid(c);
	if (!ok)
		sb_candles_release(c);
out:
	return ok;
}

static __attribute__((noinline)) bool
load_events(struct entry *ep, const char *dir, const char *key, struct sb_events *ev,
	    struct sb_input_info *info, volatile bool *owns)
{
	uint64_t n;
	bool ok = false;

	if (!entry_open(ep, dir, key, KIND_EVENTS, 7) || !get_u64(&ep->items[2], &n) ||
	    n > SIZE_MAX / sizeof(double) || !bin_holds(&ep->items[3], n, sizeof(int64_t)))
		goto out;
	ev->n = (size_t)n;
	ev->t_us = NULL;
	ev->score_e9 = ev->conf_e9 = NULL;
	*owns = true;
	/* written whole by get_col() before any use */
	ev->t_us = sb_aligned_alloc_raw(ev->n * sizeof(int64_t));
	ev->score_e9 = sb_aligned_alloc_raw(ev->n * sizeof(int32_t));
	ev->conf_e9 = sb_aligned_alloc_raw(ev->n * sizeof(int32_t));
	ok = ev->t_us && ev->score_e9 && ev->conf_e9 &&
	     get_col(&ep->items[3], ev->t_us, ev->n * sizeof(int64_t)) &&
	     get_col(&ep->items[4], ev->score_e9, ev->n * sizeof(int32_t)) &&
	     get_col(&ep->items[5], ev->conf_e9, ev->n * sizeof(int32_t)) &&
	     get_infos(&ep->items[6], info, 1) && events_valid(ev);
	if (!ok)
		sb_events_release(ev);
out:
	return ok;
}

/*
 * Runs load(ep, ...) on a zeroed entry with SIGBUS inside its mapping sent back here
 * (bus_guard()); the entry is closed either way.  *cut: the file was cut while read.
 */
#define GUARDED(ok, cut, call)						\
	do {								\
		sigjmp_buf jb_;						\
									\
		memset(&e, 0, sizeof(e));				\
		bus_guard(true);					\
		if (sigsetjmp(jb_, 1) == 0) {				\
			bus_jmp = &jb_;					\
			ok = call;					\
		} else {						\
			cut = true;					\
		}							\
		bus_jmp = NULL;						\
		entry_close(&e);					\
		bus_guard(false);					\
	} while (0)

bool sb_cache_load_candles(const char *dir, const char *key, struct sb_candles *c,
			   struct sb_input_info *info, size_t ninfo)
{
	/* not automatic: it changes between sigsetjmp() and a siglongjmp() */
	static _Thread_local struct entry e;
	volatile bool ok = false, cut = false, owns = false;

	GUARDED(ok, cut, load_candles(&e, dir, key, c, info, ninfo, &owns));
	if (cut && owns)
		sb_candles_release(c);
	return ok;
}

bool sb_cache_load_events(const char *dir, const char *key, struct sb_events *ev,
			  struct sb_input_info *info)
{
	/* not automatic: it changes between sigsetjmp() and a siglongjmp() */
	static _Thread_local struct entry e;
	volatile bool ok = false, cut = false, owns = false;

	GUARDED(ok, cut, load_events(&e, dir, key, ev, info, &owns));
	if (cut && owns)
		sb_events_release(ev);
	return ok;
}
