/* digest_memo.c - the SHA-256 of an input file, remembered by its identity and times */
#include "digest_memo.h"
#include "../core/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define RECORD_MAGIC "sentibt-digest 1"
#define CHECK_HEX 16                    /* the record's own check: 64 bits of SHA-256 */

/* What identifies a file's content here: the fields of a record. */
struct file_id {
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
};

static struct file_id file_id_of(const struct stat *st)
{
	return (struct file_id){ (uint64_t)st->st_dev, (uint64_t)st->st_ino,
				 (uint64_t)st->st_size, (int64_t)st->st_mtim.tv_sec,
				 (int64_t)st->st_mtim.tv_nsec, (int64_t)st->st_ctim.tv_sec,
				 (int64_t)st->st_ctim.tv_nsec };
}

static bool file_id_same(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	       a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns;
}

/* The record's text up to its check, for a file and its digest. */
static int record_body(char *out, size_t cap, const struct file_id *id, const char *hex)
{
	return snprintf(out, cap, RECORD_MAGIC " dev=%" PRIu64 " ino=%" PRIu64 " size=%" PRIu64
			" mtime=%" PRId64 ".%09" PRId64 " ctime=%" PRId64 ".%09" PRId64
			" sha256=%s", id->dev, id->ino, id->size, id->mtime_s, id->mtime_ns,
			id->ctime_s, id->ctime_ns, hex);
}

/* The first CHECK_HEX hex digits of the SHA-256 of body; false when SHA-256 failed. */
static bool record_check(const char *body, char check[CHECK_HEX + 1])
{
	char full[SB_SHA256_HEX];
	struct sb_sha256 h;

	if (sb_sha256_begin(&h, NULL))
		return false;
	sb_sha256_update(&h, body, strlen(body));
	sb_sha256_end(&h, full);
	memcpy(check, full, CHECK_HEX);
	check[CHECK_HEX] = '\0';
	return true;
}

static bool record_path(char *out, size_t cap, const char *dir, const struct file_id *id)
{
	int n = snprintf(out, cap, "%s/digests/%" PRIx64 "-%" PRIx64, dir, id->dev, id->ino);

	return n > 0 && (size_t)n < cap;
}

/* The digest recorded for exactly this file, if any (a damaged record is a miss). */
static bool record_read(const char *path, const struct file_id *id, char hex[SB_SHA256_HEX])
{
	char text[512], body[512], check[CHECK_HEX + 1], want[SB_SHA256_HEX];
	const char *c;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	c = strstr(text, " check=");
	if (!c || strlen(c) != 7 + CHECK_HEX + 1 || c[7 + CHECK_HEX] != '\n')
		return false;
	/* the record must be exactly what this file and some digest give, check included */
	if (sscanf(text, "%*s %*s %*s %*s %*s %*s %*s sha256=%64[0-9a-f]", want) != 1 ||
	    strlen(want) != SB_SHA256_HEX - 1)
		return false;
	if (record_body(body, sizeof(body), id, want) != (int)(c - text) ||
	    memcmp(body, text, (size_t)(c - text)) != 0 || !record_check(body, check) ||
	    memcmp(check, c + 7, CHECK_HEX) != 0)
		return false;
	memcpy(hex, want, SB_SHA256_HEX);
	return true;
}

/* Best effort: a record that cannot be written only costs the next run a hash. */
static void record_write(const char *dir, const char *path, const struct file_id *id,
			 const char *hex)
{
	char sub[4096], body[512], check[CHECK_HEX + 1];
	struct sb_errbuf err = { "" };
	struct sb_atomic a;
	int n = snprintf(sub, sizeof(sub), "%s/digests", dir);

	if (n <= 0 || (size_t)n >= sizeof(sub) || sb_mkdirs(sub, &err) ||
	    record_body(body, sizeof(body), id, hex) >= (int)sizeof(body) ||
	    !record_check(body, check) || sb_atomic_open(&a, path, &err))
		return;
	fprintf(a.f, "%s check=%s\n", body, check);
	sb_atomic_commit(&a, &err);
}

/*
 * A local file system that moves a file's change time on every write, by the clock
 * this process reads: the memo is used on these only.  Network file systems stamp
 * times by the server's clock (a skew defeats the settle rule), and FUSE, vfat and
 * exFAT may not keep the change time at all; there every run hashes.
 */
bool sb_digest_memo_trusted(const char *path)
{
	static const unsigned long local[] = {
		0xEF53,                      /* ext2, ext3, ext4 */
		0x58465342,                  /* xfs */
		0x9123683E,                  /* btrfs */
		0x01021994,                  /* tmpfs */
		0xF2F52010,                  /* f2fs */
		0x2FC12FC1,                  /* zfs */
		0x794C7630,                  /* overlayfs (containers) */
		0xCA451A4E,                  /* bcachefs */
	};
	struct statfs fs;

	if (statfs(path, &fs) != 0)
		return false;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if ((unsigned long)fs.f_type == local[i])
			return true;
	return false;
}

/* Not changed in the last SB_DIGEST_SETTLE_S seconds (nor in the future). */
static bool settled(const struct file_id *id)
{
	struct timespec now;
	int64_t last_s = id->mtime_s > id->ctime_s ? id->mtime_s : id->ctime_s;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		return false;
	return (int64_t)now.tv_sec - last_s > SB_DIGEST_SETTLE_S;
}

enum sb_err sb_digest_memo_file(const char *dir, const char *path, char hex[SB_SHA256_HEX],
				bool *memo_hit, struct sb_errbuf *err)
{
	char rec[4096 + 64];
	struct stat st;
	struct file_id before, after;
	enum sb_err rc;

	if (memo_hit)
		*memo_hit = false;
	if (!dir || !*dir || stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    !sb_digest_memo_trusted(path))
		return sb_sha256_file(path, hex, NULL, err);   /* it names what is wrong */
	before = file_id_of(&st);
	if (!record_path(rec, sizeof(rec), dir, &before))
		return sb_sha256_file(path, hex, NULL, err);
	if (record_read(rec, &before, hex)) {
		if (memo_hit)
			*memo_hit = true;
		return SB_OK;
	}
	if ((rc = sb_sha256_file(path, hex, NULL, err)))
		return rc;
	/* unchanged while it was read, and old enough that no later write shares its times */
	if (stat(path, &st) == 0 && (after = file_id_of(&st), file_id_same(&before, &after)) &&
	    settled(&before))
		record_write(dir, rec, &before, hex);
	return SB_OK;
}
