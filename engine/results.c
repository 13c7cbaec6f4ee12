/* results.c - atomic result folders and the writers of backtest outputs */
#define _XOPEN_SOURCE 700
#include "results.h"
#include "../core/atomic.h"
#include "../core/decimal.h"
#include "../core/digest.h"
#include "../core/json.h"
#include "../core/thread.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum sb_err sb_path_join(char *out, size_t cap, const char *dir, const char *name,
			 struct sb_errbuf *err)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap)
		return sb_errf(err, SB_EINVAL, "path too long: %s/%s", dir, name);
	return SB_OK;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void sb_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * --force replaces only what sentibt wrote: a folder with a manifest.json (or a
 * metrics.json, summary.csv or report.html), or an empty folder; never a file or
 * a folder of someone's own work.
 */
static bool replaceable(const char *path, const struct stat *st)
{
	static const char *const marks[] = { "manifest.json", "metrics.json", "summary.csv",
					     "report.html" };
	char p[4200];
	DIR *dir;
	struct dirent *e;
	bool empty = true;

	if (!S_ISDIR(st->st_mode))
		return false;
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", path, marks[i]);
		if (access(p, F_OK) == 0)
			return true;
	}
	dir = opendir(path);
	if (!dir)
		return false;
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(dir);
	return empty;
}

/*
 * Temporary folders are named "<final>.tmp-<pid>-<start>-XXXXXX", <start> being the
 * owner's start time in clock ticks since boot (/proc/PID/stat, field 22), so that a
 * later run can tell the folder of a live run from the leftover of a killed one (kill
 * -9 leaves it), even when the pid has been reused since.
 */
static unsigned long long proc_start(long pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	FILE *f;
	size_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');          /* the command name may hold spaces */
	/* after ") ": state is field 3; the start time is field 22 */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

/* Removes "<final>.tmp-PID-START-XXXXXX" folders whose run is no longer alive. */
static void remove_stale_tmp(const char *final)
{
	char parent[4096], path[4096 + 256];
	const char *base = strrchr(final, '/');
	size_t blen;
	DIR *dir;
	struct dirent *e;

	if (base) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(base - final), final);
		if (!parent[0])
			strcpy(parent, "/");
		base++;
	} else {
		strcpy(parent, ".");
		base = final;
	}
	blen = strlen(base);
	dir = opendir(parent);
	if (!dir)
		return;
	while ((e = readdir(dir)) != NULL) {
		long pid;
		unsigned long long start;
		char tail[16];

		if (strncmp(e->d_name, base, blen) != 0 || strncmp(e->d_name + blen, ".tmp-", 5) ||
		    sscanf(e->d_name + blen + 5, "%ld-%llu-%15s", &pid, &start, tail) != 3 ||
		    strlen(tail) != 6 || pid <= 0)
			continue;
		if (proc_start(pid) == start)
			continue;           /* its run is alive */
		snprintf(path, sizeof(path), "%s/%s", parent, e->d_name);
		sb_remove_tree(path);
	}
	closedir(dir);
}

enum sb_err sb_run_dir_begin(struct sb_run_dir *d, const char *final, bool force,
			     struct sb_errbuf *err)
{
	struct stat st;
	char parent[4096];
	char *slash;
	int n;
	size_t len = strlen(final);

	memset(d, 0, sizeof(*d));
	while (len > 1 && final[len - 1] == '/')
		len--;
	if (len == 0 || len + 64 >= sizeof(d->final))
		return sb_errf(err, SB_EINVAL, "bad output folder '%s'", final);
	memcpy(d->final, final, len);
	d->final[len] = '\0';
	d->force = force;
	if (stat(d->final, &st) == 0) {
		if (!force)
			return sb_errf(err, SB_EINVAL,
				       "%s already exists; choose another --out or pass --force to replace it",
				       d->final);
		if (!replaceable(d->final, &st))
			return sb_errf(err, SB_EINVAL,
				       "%s exists and is not a sentibt result folder (no manifest.json); not replaced, even with --force",
				       d->final);
	}
	memcpy(parent, d->final, len + 1);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		enum sb_err rc;

		*slash = '\0';
		rc = sb_mkdirs(parent, err);
		if (rc)
			return rc;
	}
	remove_stale_tmp(d->final);
	n = snprintf(d->tmp, sizeof(d->tmp), "%s.tmp-%ld-%llu-XXXXXX", d->final,
		     (long)getpid(), proc_start((long)getpid()));
	if (n < 0 || (size_t)n >= sizeof(d->tmp))
		return sb_errf(err, SB_EINVAL, "bad output folder '%s'", final);
	return sb_mkdtemp(d->tmp, err);     /* 0777 & ~umask, not mkdtemp's 0700 */
}

enum sb_err sb_run_dir_commit(struct sb_run_dir *d, struct sb_errbuf *err)
{
	char old[4096 + 32];
	struct stat st;
	bool had_old = false;

	if (stat(d->final, &st) == 0) {
		if (!d->force || !replaceable(d->final, &st))
			return sb_errf(err, SB_EINVAL, "%s appeared while running; not replaced",
				       d->final);
		snprintf(old, sizeof(old), "%s.old-%ld", d->final, (long)getpid());
		if (rename(d->final, old) != 0)
			return sb_errf(err, SB_EIO, "%s: cannot move aside: %s", d->final,
				       strerror(errno));
		had_old = true;
	}
	if (rename(d->tmp, d->final) != 0) {
		int e = errno;

		if (had_old)
			rename(old, d->final);
		return sb_errf(err, SB_EIO, "%s: cannot rename into place: %s", d->final,
			       strerror(e));
	}
	if (had_old)
		sb_remove_tree(old);
	d->tmp[0] = '\0';
	return SB_OK;
}

void sb_run_dir_abort(struct sb_run_dir *d)
{
	if (d->tmp[0])
		sb_remove_tree(d->tmp);
	d->tmp[0] = '\0';
}

void sb_fput_num(FILE *f, double v)
{
	char buf[SB_NUM_LEN];

	if (!isnan(v))
		fputs(sb_fmt_num(v, buf), f);
}

/* Comma-separated exact numbers (no trailing comma). */
static void fput_nums(FILE *f, const double *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		sb_fput_num(f, v[i]);
	}
}

static enum sb_err close_checked(FILE *f, const char *path, struct sb_errbuf *err)
{
	bool bad = ferror(f) != 0;

	if (fclose(f) != 0 || bad)
		return sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return SB_OK;
}

enum sb_err sb_write_metrics_json(const char *path, const struct sb_metrics *m,
				  const struct sb_metrics *bh, struct sb_errbuf *err)
{
	struct sb_json *o = sb_json_new_object(), *b;

	for (int i = 0; o && i < SB_N_METRICS; i++)
		sb_json_add_num(o, sb_metric_names[i], sb_metric_value(m, i));
	/* closed trades by why they ended; "end": trades still open */
	b = o ? sb_json_add_object(o, "exits") : NULL;
	for (int r = 0; b && r < SB_N_EXIT_REASONS; r++)
		sb_json_add_u64(b, sb_exit_reason_names[r], m->exits[r]);
	if (o && bh) {
		sb_json_add_num(o, "excess_return", m->total_return - bh->total_return);
		b = sb_json_add_object(o, "buy_and_hold");
		if (b) {
			sb_json_add_num(b, "total_return", bh->total_return);
			sb_json_add_num(b, "sharpe", bh->sharpe);
			sb_json_add_num(b, "max_drawdown", bh->max_drawdown);
			sb_json_add_num(b, "final_equity", bh->final_equity);
		}
	}
	return sb_json_write(path, o, 0, err);
}

/*
 * Digests of the files this process wrote, taken from the bytes as they were written,
 * so that the manifest need not read tens of MB of curves back.  An entry holds the
 * file's inode, size and modification time; a lookup that finds the file changed
 * since (or not there) misses, and the manifest hashes the file itself.
 */
struct known_digest {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char hex[SB_SHA256_HEX];
	struct known_digest *next;
};
static struct known_digest *g_known;

static void known_digest_add(const char *path, const struct stat *st, const char *hex)
{
	struct known_digest *k = calloc(1, sizeof(*k));

	if (!k || !(k->path = strdup(path))) {
		free(k);
		return;                     /* only a cache: the manifest hashes the file */
	}
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = st->st_size;
	k->mtime = st->st_mtim;
	memcpy(k->hex, hex, SB_SHA256_HEX);
	sb_shared_lock();
	k->next = g_known;
	g_known = k;
	sb_shared_unlock();
}

bool sb_written_digest(const char *path, char hex[SB_SHA256_HEX], uint64_t *size)
{
	struct stat st;
	bool found = false;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	sb_shared_lock();
	for (struct known_digest *k = g_known; k && !found; k = k->next)
		if (!strcmp(k->path, path) && k->dev == st.st_dev && k->ino == st.st_ino &&
		    k->size == st.st_size && k->mtime.tv_sec == st.st_mtim.tv_sec &&
		    k->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			memcpy(hex, k->hex, SB_SHA256_HEX);
			*size = (uint64_t)st.st_size;
			found = true;
		}
	sb_shared_unlock();
	return found;
}

/* A file written through one large buffer and hashed on the way out. */
struct hashed_out {
	const char *path;
	int fd;
	char *buf;
	size_t len, cap;
	struct sb_sha256 h;
	int errnum;                     /* first write error, 0 if none */
};

/* 128 KB: the buffer stays in L2 while it is formatted, hashed and written */
#define HASHED_OUT_CAP (1u << 17)

static enum sb_err hashed_open(struct hashed_out *o, const char *path, struct sb_errbuf *err)
{
	enum sb_err rc;

	memset(o, 0, sizeof(*o));
	o->path = path;
	o->cap = HASHED_OUT_CAP;
	if (!(o->buf = malloc(o->cap)))
		return sb_errf(err, SB_ENOMEM, "out of memory");
	if ((rc = sb_sha256_begin(&o->h, err))) {
		free(o->buf);
		return rc;
	}
	o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (o->fd < 0) {
		char hex[SB_SHA256_HEX];

		rc = sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
		sb_sha256_end(&o->h, hex);
		free(o->buf);
		return rc;
	}
	return SB_OK;
}

static void hashed_flush(struct hashed_out *o)
{
	const char *p = o->buf;
	size_t left = o->len;

	sb_sha256_update(&o->h, o->buf, o->len);
	while (left && !o->errnum) {
		ssize_t w = write(o->fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->errnum = w < 0 ? errno : EIO;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	o->len = 0;
}

/* Room for 'need' more bytes at o->buf + o->len. */
static char *hashed_room(struct hashed_out *o, size_t need)
{
	if (o->cap - o->len < need)
		hashed_flush(o);
	return o->buf + o->len;
}

static void hashed_puts(struct hashed_out *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(hashed_room(o, n), s, n);      /* lines and headers are far below the cap */
	o->len += n;
}

/* Flushes, closes, records the digest; the file's bytes are exactly what was hashed. */
static enum sb_err hashed_close(struct hashed_out *o, struct sb_errbuf *err)
{
	char hex[SB_SHA256_HEX];
	struct stat st;

	hashed_flush(o);
	sb_sha256_end(&o->h, hex);
	free(o->buf);
	if (!o->errnum && fstat(o->fd, &st) != 0)
		o->errnum = errno;
	if (close(o->fd) != 0 && !o->errnum)
		o->errnum = errno;
	if (o->errnum)
		return sb_errf(err, SB_EIO, "%s: write failed: %s", o->path, strerror(o->errnum));
	known_digest_add(o->path, &st, hex);
	return SB_OK;
}

/* The text of the last value of a column: curves repeat values for long stretches. */
struct fixed_cell {
	double v;
	int decimals;
	size_t len;
	char text[SB_NUM_LEN];
};

static size_t put_fixed(struct fixed_cell *cell, double v, char *out)
{
	/* compared as bits: -0.0 and 0.0 print alike, but a NaN never equals itself */
	if (memcmp(&v, &cell->v, sizeof(v)) != 0 || cell->len == 0) {
		cell->v = v;
		cell->len = sb_fmt_fixed(v, cell->decimals, cell->text);
	}
	/* all of text: a copy of constant size, without a call; out has the room (below) */
	memcpy(out, cell->text, SB_NUM_LEN);
	return cell->len;
}

/*
 * Fixed decimals (price 1e-8, units 1e-8, equity 1e-4, drawdown 1e-8): curves are for
 * reading and plotting, and a year of minutes must not take seconds to write.  The
 * metrics, from the unrounded values, are exact in metrics.json/summary.csv.
 */
enum { DEC_CLOSE = 8, DEC_POSITION = 8, DEC_EQUITY = 4, DEC_DRAWDOWN = 8, DEC_BUY_HOLD = 4 };

/* The most a row of close and buy_hold takes (each below SB_NUM_LEN) */
#define COLS_ROW_MAX (2 * SB_NUM_LEN)

bool sb_curve_cols_init(struct sb_curve_cols *k, const struct sb_candles *c, size_t n_parts)
{
	const size_t n = c->n ? c->n : 1;

	memset(k, 0, sizeof(*k));
	if (n > UINT32_MAX / COLS_ROW_MAX || n_parts == 0)
		return false;                 /* offsets are 32-bit: each curve formats its own */
	k->n = c->n;
	k->open = c->open;
	k->close = c->close;
	k->n_parts = n_parts;
	/*
	 * Part p fills rows [lo, hi) from offset lo * COLS_ROW_MAX on, densely: the parts
	 * run on their own threads, and only the pages written (~20 bytes a row) become
	 * resident.  Plain pages, not huge ones: those would make the gaps resident.
	 */
	k->text = malloc(n * COLS_ROW_MAX + SB_NUM_LEN);   /* + the over-read of the last row */
	k->off = malloc(n * sizeof(*k->off));
	k->len = malloc(2 * n);
	if (!k->text || !k->off || !k->len) {
		sb_curve_cols_release(k);
		return false;
	}
	return true;
}

void sb_curve_cols_release(struct sb_curve_cols *k)
{
	free(k->text);
	free(k->off);
	free(k->len);
	memset(k, 0, sizeof(*k));
}

/* The first row of part p of n rows in k->n_parts. */
static size_t cols_part_lo(const struct sb_curve_cols *k, size_t p)
{
	return k->n * p / k->n_parts;
}

void sb_curve_cols_fill(struct sb_curve_cols *k, size_t part)
{
	const size_t lo = cols_part_lo(k, part), hi = cols_part_lo(k, part + 1);
	uint32_t at = (uint32_t)(lo * COLS_ROW_MAX);

	for (size_t i = lo; i < hi; i++) {
		char *t = k->text + at;
		size_t lc = sb_fmt_fixed(k->close[i], DEC_CLOSE, t);
		size_t lb = sb_fmt_fixed(sb_buy_hold_equity(k->open[0], k->close[i]), DEC_BUY_HOLD,
					 t + lc);

		k->off[i] = at;
		k->len[2 * i] = (uint8_t)lc;
		k->len[2 * i + 1] = (uint8_t)lb;
		at += (uint32_t)(lc + lb);
	}
}

enum sb_err sb_write_equity_csv(const char *path, const struct sb_candles *c,
				const struct sb_recorder *rec, struct sb_errbuf *err)
{
	return sb_write_equity_csv_cols(path, c, rec, NULL, err);
}

/*
 * The closes of consecutive candles as sb_format_time_fast() writes them, for a
 * fraction of its cost: within a day only the time of day changes, by whole seconds.
 */
struct time_run {
	int64_t day_end_us;           /* the end of the day of 'text'; 0: no fast path */
	int64_t tod;                  /* the time of day of 'text', in seconds */
	char text[SB_TIME_LEN];
	size_t len;
};

static size_t time_run_next(struct time_run *r, int64_t t_us, int64_t step_us, char *out)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627"
				    "28293031323334353637383940414243444546474849505152535455"
				    "5657585960";

	if (r->day_end_us && t_us < r->day_end_us && step_us % SB_US_PER_SEC == 0) {
		int64_t tod = r->tod + step_us / SB_US_PER_SEC;

		r->tod = tod;
		memcpy(r->text + 11, pairs + 2 * (tod / 3600), 2);
		memcpy(r->text + 14, pairs + 2 * (tod / 60 % 60), 2);
		memcpy(r->text + 17, pairs + 2 * (tod % 60), 2);
	} else {
		int64_t sec = sb_floordiv(t_us, SB_US_PER_SEC), day = sb_floordiv(sec, 86400);

		r->len = sb_format_time_fast(t_us, r->text);
		r->tod = sec - day * 86400;
		/* whole seconds and the 20-character form only */
		r->day_end_us = r->len == 20 && t_us % SB_US_PER_SEC == 0
				? (day + 1) * 86400 * SB_US_PER_SEC : 0;
	}
	memcpy(out, r->text, r->len);
	return r->len;
}

enum sb_err sb_write_equity_csv_cols(const char *path, const struct sb_candles *c,
				     const struct sb_recorder *rec, const struct sb_curve_cols *k,
				     struct sb_errbuf *err)
{
	struct hashed_out o;
	struct fixed_cell cells[5] = { { .decimals = DEC_CLOSE }, { .decimals = DEC_POSITION },
				       { .decimals = DEC_EQUITY }, { .decimals = DEC_DRAWDOWN },
				       { .decimals = DEC_BUY_HOLD } };
	double peak = SB_INITIAL_EQUITY, dd;
	struct time_run tr = { 0 };
	enum sb_err rc = hashed_open(&o, path, err);

	if (rc)
		return rc;
	if (k && (k->n != c->n || k->close != c->close || k->open != c->open))
		k = NULL;                     /* formatted for other candles */
	/* buy_hold: the equity of holding the asset from the first open (sim.h) */
	hashed_puts(&o, "time,close,position,equity,drawdown,buy_hold\n");
	for (size_t i = 0; i < c->n; i++) {
		/*
		 * Room for the longest line (a time, five cells of at most SB_NUM_LEN - 1
		 * characters, separators) plus SB_NUM_LEN: each cell is copied SB_NUM_LEN
		 * bytes at a time, the bytes past its length overwritten by what follows.
		 */
		char *line = hashed_room(&o, SB_TIME_LEN + 6 * SB_NUM_LEN + 8);
		size_t len = time_run_next(&tr, c->t0_us + (int64_t)(i + 1) * c->interval_us,
					   c->interval_us, line);

		line[len++] = ',';
		if (k) {
			memcpy(line + len, k->text + k->off[i], SB_NUM_LEN);   /* see put_fixed() */
			len += k->len[2 * i];
		} else {
			len += put_fixed(&cells[0], c->close[i], line + len);
		}
		line[len++] = ',';
		len += put_fixed(&cells[1], rec->position[i], line + len);
		line[len++] = ',';
		len += put_fixed(&cells[2], rec->equity[i], line + len);
		line[len++] = ',';
		if (rec->drawdown) {
			dd = rec->drawdown[i];
		} else {                      /* as sb_sim_bars() records it (sim.h) */
			if (rec->equity[i] > peak)
				peak = rec->equity[i];
			dd = 1.0 - rec->equity[i] / peak;
		}
		len += put_fixed(&cells[3], dd, line + len);
		line[len++] = ',';
		if (k) {
			memcpy(line + len, k->text + k->off[i] + k->len[2 * i], SB_NUM_LEN);
			len += k->len[2 * i + 1];
		} else {
			len += put_fixed(&cells[4], sb_buy_hold_equity(c->open[0], c->close[i]),
					 line + len);
		}
		line[len++] = '\n';
		o.len += len;
	}
	return hashed_close(&o, err);
}

enum sb_err sb_write_trades_csv(const char *path, const struct sb_candles *c,
				const struct sb_recorder *rec, struct sb_errbuf *err)
{
	FILE *f = fopen(path, "w");
	char t_in[SB_TIME_LEN], t_out[SB_TIME_LEN];

	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	fputs("entry_time,entry_price,exit_time,exit_price,side,size,pnl,return,costs,"
	      "signal,articles,open,exit_reason\n", f);
	for (size_t k = 0; k < rec->n_trades; k++) {
		const struct sb_trade *t = &rec->trades[k];

		sb_format_time(c->t0_us + (int64_t)(t->entry_i + 1) * c->interval_us, t_in);
		sb_format_time(c->t0_us + (int64_t)(t->exit_i + 1) * c->interval_us, t_out);
		fprintf(f, "%s,", t_in);
		fput_nums(f, &t->entry_price, 1);
		fprintf(f, ",%s,", t_out);
		fput_nums(f, &t->exit_price, 1);
		fprintf(f, ",%s,", t->side > 0 ? "long" : "short");
		fput_nums(f, (const double[]){ t->size, t->pnl, t->ret, t->costs,
							    t->signal / (double)SB_DEC_SCALE }, 5);
		fprintf(f, ",%u,%d,%s\n", t->articles, t->open ? 1 : 0,
			sb_exit_reason_names[t->open ? SB_EXIT_END : t->reason]);
	}
	return close_checked(f, path, err);
}

void sb_print_metrics(FILE *out, const struct sb_metrics *m)
{
	static const bool is_pct[SB_N_METRICS] = {
		true, false, false, true, false, false, false, true, false, true, true, false,
	};

	for (int i = 0; i < SB_N_METRICS; i++) {
		double v = sb_metric_value(m, i);

		fprintf(out, "  %-17s ", sb_metric_names[i]);
		if (isnan(v))
			fputs("-\n", out);
		else if (i == 5 || i == 6)
			fprintf(out, "%.0f\n", v);
		else if (is_pct[i])
			fprintf(out, "%.4f  (%.2f%%)\n", v, v * 100.0);
		else
			fprintf(out, "%.4f\n", v);
	}
}
