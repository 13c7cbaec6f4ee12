/* util.c - input files and invariant checks shared by the fuzz harnesses */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../engine/results.h"     /* sb_remove_tree */

#define MAX_FILES 4

static char dir[512];
static struct {
	char name[64];
	char path[600];
	int fd;
} files[MAX_FILES];
static int nfiles;

void fz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "fuzz: check failed: %s (%s:%d)\n", what, file, line);
	abort();
}

void fz_result(enum sb_err rc, const struct sb_errbuf *err, const char *file, int line)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "fuzz: %s:%d: %s\n", file, line, rc == SB_OK ? "ok" : err->msg);
	if (rc != SB_OK && err->msg[0] == '\0')
		fz_fail("a failure with a message", file, line);
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
	abort();
}

static void cleanup(void)
{
	for (int i = 0; i < nfiles; i++)
		close(files[i].fd);
	nfiles = 0;
	if (dir[0])
		sb_remove_tree(dir);
	dir[0] = '\0';
}

/*
 * libFuzzer leaves by _Exit() on a crash and in -merge children, past atexit(): so
 * each folder is named after its process, and folders of processes gone are removed.
 */
static void remove_stale(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[600];
		long pid;

		if (sscanf(e->d_name, "sentibt-fuzz-%ld-", &pid) != 1 || pid <= 0 ||
		    pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
		sb_remove_tree(path);
	}
	closedir(d);
}

const char *fz_dir(void)
{
	const char *base = getenv("TMPDIR");
	struct stat st;

	if (dir[0])
		return dir;
	/* Inputs are rewritten thousands of times a second: keep them in memory. */
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (!base || !*base)
		base = "/tmp";
	remove_stale(base);
	snprintf(dir, sizeof(dir), "%s/sentibt-fuzz-%ld-XXXXXX", base, (long)getpid());
	if (!mkdtemp(dir))
		die(dir);
	atexit(cleanup);
	return dir;
}

static void write_all(int fd, const void *p, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("pwrite");
		}
		p = (const char *)p + w;
		n -= (size_t)w;
		off += w;
	}
}

const char *fz_file(const char *name, const void *pre, size_t plen, const void *data,
		    size_t size)
{
	int i;

	for (i = 0; i < nfiles && strcmp(files[i].name, name) != 0; i++)
		;
	if (i == nfiles) {
		if (nfiles == MAX_FILES || strlen(name) >= sizeof(files[0].name))
			die("fz_file: too many files or too long a name");
		snprintf(files[i].name, sizeof(files[i].name), "%s", name);
		snprintf(files[i].path, sizeof(files[i].path), "%s/%s", fz_dir(), name);
		files[i].fd = open(files[i].path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (files[i].fd < 0)
			die(files[i].path);
		nfiles++;
	}
	if (ftruncate(files[i].fd, 0) != 0)
		die("ftruncate");
	write_all(files[i].fd, pre, plen, 0);
	write_all(files[i].fd, data, size, (off_t)plen);
	return files[i].path;
}

const char *fz_str(const uint8_t *data, size_t size)
{
	static char *buf;
	static size_t cap;

	if (size + 1 > cap) {
		free(buf);
		cap = size + 1;
		buf = malloc(cap);
		if (!buf)
			die("malloc");
	}
	if (size)
		memcpy(buf, data, size);
	buf[size] = '\0';
	return buf;
}

/* ---- MessagePack ---- */

bool fz_msgpack_sane(const uint8_t *p, size_t n)
{
	uint64_t pending = 0;   /* objects announced and not read yet: a byte each at least */
	size_t pos = 0;

	while (pos < n) {
		uint8_t b = p[pos];
		uint64_t head = 1, skip = 0, children = 0;
		int len = 0;           /* bytes of the length or count after the type byte */
		enum { SKIP, ARRAY, MAP } what = SKIP;

		if (b >= 0x80 && b <= 0x8f)
			children = 2u * (b & 15u);
		else if (b >= 0x90 && b <= 0x9f)
			children = b & 15u;
		else if (b >= 0xa0 && b <= 0xbf)
			skip = b & 31u;
		switch (b) {
		case 0xc4: case 0xd9: len = 1; break;                 /* bin8, str8 */
		case 0xc5: case 0xda: len = 2; break;
		case 0xc6: case 0xdb: len = 4; break;
		case 0xc7: len = 1; head = 3; break;                  /* ext8: length, type */
		case 0xc8: len = 2; head = 4; break;
		case 0xc9: len = 4; head = 6; break;
		case 0xcc: case 0xd0: head = 2; break;                /* numbers */
		case 0xcd: case 0xd1: head = 3; break;
		case 0xca: case 0xce: case 0xd2: head = 5; break;
		case 0xcb: case 0xcf: case 0xd3: head = 9; break;
		case 0xd4: head = 3; break;                           /* fixext 1..16 */
		case 0xd5: head = 4; break;
		case 0xd6: head = 6; break;
		case 0xd7: head = 10; break;
		case 0xd8: head = 18; break;
		case 0xdc: len = 2; what = ARRAY; break;
		case 0xdd: len = 4; what = ARRAY; break;
		case 0xde: len = 2; what = MAP; break;
		case 0xdf: len = 4; what = MAP; break;
		default: break;       /* nil, bool, fixint, 0xc1 (msgpack-c stops): 1 byte */
		}
		if (len) {
			uint64_t v = 0;

			if (head == 1)
				head = 1 + (uint64_t)len;
			if (n - pos < head)
				return true;       /* truncated: msgpack-c stops there */
			for (int i = 1; i <= len; i++)
				v = v << 8 | p[pos + (size_t)i];
			if (what == SKIP)
				skip = v;
			else
				children = what == MAP ? 2 * v : v;
		}
		if (pending)
			pending--;
		pending += children;
		if (head + skip > n - pos)
			return true;
		pos += head + skip;
		/* up to 2^20 missing objects (48 MiB) is a truncated input, not a bomb */
		if (pending > n - pos + (UINT64_C(1) << 20))
			return false;
	}
	return true;
}

/* ---- candles ---- */

static bool pos_finite(double v)
{
	return v > 0 && v < HUGE_VAL;
}

/*
 * Tardis trades set o = h = l = c = price, so low <= open, close <= high holds by
 * construction; OHLCV rows are taken as they are (not checked by the loader yet).
 */
static void check_candles(const struct sb_candles *c, int64_t interval,
			  const struct sb_input_info *info, size_t nfiles_in)
{
	bool tardis = strcmp(info[0].kind, "tardis-trades") == 0;
	uint64_t rows = 0, trades = 0;
	int64_t t_end;

	FZ_CHECK(c->n > 0 && c->interval_us == interval);
	FZ_CHECK(c->open && c->high && c->low && c->close && c->volume && c->buy_volume &&
		 c->sell_volume && c->trades);
	FZ_CHECK(sb_floordiv(c->t0_us, interval) * interval == c->t0_us);
	FZ_CHECK(c->t0_us >= SB_TIME_MIN_US && c->t0_us < SB_TIME_MAX_US);
	FZ_CHECK((uint64_t)c->n <= (uint64_t)(SB_TIME_MAX_US - c->t0_us) / (uint64_t)interval);
	t_end = c->t0_us + (int64_t)c->n * interval;
	for (size_t i = 0; i < c->n; i++) {
		FZ_CHECK(pos_finite(c->open[i]) && pos_finite(c->high[i]) &&
			 pos_finite(c->low[i]) && pos_finite(c->close[i]));
		FZ_CHECK(c->volume[i] >= 0 && c->buy_volume[i] >= 0 && c->sell_volume[i] >= 0);
		if (tardis)
			FZ_CHECK(c->low[i] <= c->open[i] && c->open[i] <= c->high[i] &&
				 c->low[i] <= c->close[i] && c->close[i] <= c->high[i]);
		else
			FZ_CHECK(c->trades[i] == 0 && c->buy_volume[i] == 0 && c->sell_volume[i] == 0);
		trades += c->trades[i];
	}
	for (size_t k = 0; k < nfiles_in; k++) {
		FZ_CHECK(strcmp(info[k].kind, info[0].kind) == 0);
		/* a repeated Tardis trade id is dropped and counted as a duplicate */
		FZ_CHECK(info[k].rows > 0 && info[k].rows_used + info[k].duplicates == info[k].rows);
		/* a file whose every trade repeats one of another file has no span of its own */
		if (info[k].rows_used)
			FZ_CHECK(info[k].t_first_us >= c->t0_us &&
				 info[k].t_first_us <= info[k].t_last_us && info[k].t_last_us < t_end);
		rows += info[k].rows_used;
	}
	if (tardis)   /* the first and last candles hold rows: the grid spans the rows */
		FZ_CHECK(trades == rows && c->trades[0] > 0 && c->trades[c->n - 1] > 0);
}

void fz_candles(const char *header, const uint8_t *data, size_t size)
{
	/* 1 day: any two times of 1900..2200 are 110,000 candles apart at most, where a
	 * finer interval lets one odd timestamp fill 2^25 candles (gigabytes under ASan). */
	const int64_t interval = SB_US_PER_DAY;
	/* gzip data would be cut at any 0x0c byte in it: one file then */
	bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
	const uint8_t *ff = size && !gz ? memchr(data, '\f', size) : NULL;
	size_t n1 = ff ? (size_t)(ff - data) : size;
	size_t hlen = header ? strlen(header) : 0;
	const char *paths[2];
	struct sb_input_info info[2];
	struct sb_errbuf err = { { 0 } };
	struct sb_candles c;
	enum sb_err rc;
	size_t np = 1;

	paths[0] = fz_file("a.csv", header, hlen, data, n1);
	if (ff) {
		paths[1] = fz_file("b.csv", header, hlen, ff + 1, size - n1 - 1);
		np = 2;
	}
	sb_candles_init(&c);
	rc = sb_candles_load(&c, paths, np, interval, info, &err);
	FZ_CHECK_ERR(rc, err);
	if (rc == SB_OK)
		check_candles(&c, interval, info, np);
	else
		FZ_CHECK(c.n == 0 && !c.open && !c.close && !c.trades);
	sb_candles_release(&c);
}

/* ---- events ---- */

void fz_check_events(const struct sb_events *ev, const struct sb_events_opts *o,
		     const struct sb_input_info *info)
{
	int64_t conf_const = 0;

	FZ_CHECK(ev->n > 0 && ev->t_us && ev->score_e9 && ev->conf_e9);
	if (o && o->conf_mode == SB_CONF_CONST)
		conf_const = sb_dec_from_double(o->conf_const, NULL);
	for (size_t i = 0; i < ev->n; i++) {
		int32_t s = ev->score_e9[i], c = ev->conf_e9[i];

		FZ_CHECK(ev->t_us[i] >= SB_TIME_MIN_US && ev->t_us[i] < SB_TIME_MAX_US);
		FZ_CHECK(i == 0 || ev->t_us[i - 1] <= ev->t_us[i]);
		FZ_CHECK(s >= -SB_DEC_SCALE && s <= SB_DEC_SCALE);
		FZ_CHECK(c >= 0 && c <= SB_DEC_SCALE);
		if (o && o->conf_mode == SB_CONF_ABS_SCORE)
			FZ_CHECK(c == (s < 0 ? -s : s));
		else if (o && o->conf_mode == SB_CONF_CONST)
			FZ_CHECK(c == conf_const);
	}
	if (!info)
		return;
	FZ_CHECK(info->rows_used == ev->n);
	FZ_CHECK(info->rows == info->rows_used + info->rows_dropped + info->duplicates);
	FZ_CHECK(info->t_first_us == ev->t_us[0] && info->t_last_us == ev->t_us[ev->n - 1]);
	FZ_CHECK(memchr(info->dropped_why, '\0', sizeof(info->dropped_why)));
}

void fz_events(const char *name, const struct sb_events_opts *opts, size_t nopts,
	       const uint8_t *data, size_t size)
{
	const char *path = fz_file(name, NULL, 0, data, size);

	for (size_t k = 0; k < nopts; k++) {
		struct sb_errbuf err = { { 0 } };
		struct sb_input_info info;
		struct sb_events ev;
		enum sb_err rc;

		sb_events_init(&ev);
		rc = sb_events_load(&ev, path, &opts[k], &info, &err);
		FZ_CHECK_ERR(rc, err);
		if (rc == SB_OK)
			fz_check_events(&ev, &opts[k], &info);
		else
			FZ_CHECK(ev.n == 0 && !ev.t_us && !ev.score_e9 && !ev.conf_e9);
		sb_events_release(&ev);
	}
}
