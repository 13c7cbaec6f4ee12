/* fuzz_digest_memo.c - the digest records of loaders/digest_memo.c: files on disk that
 * another program (or a crash) may have cut or changed
 *
 * The input becomes the record of a fixed file (its device and inode name it): with the
 * first byte odd, the rest verbatim; else the record the memo would write for the file
 * (built here from the format digest_memo.h documents), with the rest written over it
 * from the offset in the second byte, cut there when the first byte is 2 mod 4.  What
 * is checked: whatever the record holds, the digest returned is the file's own, and the
 * true record is a hit.
 */
#include "fuzz.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../../core/digest.h"
#include "../../loaders/digest_memo.h"

static const char content[] = "timestamp,open,high,low,close\n1,2,3,1,2\n";

/* The record path and the true record of the file at 'path' (as digest_memo.c writes). */
static void true_record(const char *path, const char *hex, char *rec_path, size_t pcap,
			char *rec, size_t rcap)
{
	struct stat st;
	struct sb_sha256 h;
	char body[512], check[SB_SHA256_HEX];

	FZ_CHECK(stat(path, &st) == 0);
	snprintf(rec_path, pcap, "%s/digests/%" PRIx64 "-%" PRIx64, fz_dir(),
		 (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	snprintf(body, sizeof(body),
		 "sentibt-digest 1 dev=%" PRIu64 " ino=%" PRIu64 " size=%" PRIu64
		 " mtime=%" PRId64 ".%09" PRId64 " ctime=%" PRId64 ".%09" PRId64 " sha256=%s",
		 (uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_size,
		 (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec,
		 (int64_t)st.st_ctim.tv_sec, (int64_t)st.st_ctim.tv_nsec, hex);
	FZ_CHECK(sb_sha256_begin(&h, NULL) == SB_OK);
	sb_sha256_update(&h, body, strlen(body));
	sb_sha256_end(&h, check);
	snprintf(rec, rcap, "%s check=%.16s\n", body, check);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4096], truth[SB_SHA256_HEX], rec_path[4200], rec[600];
	char hex[SB_SHA256_HEX], text[1200], dir[4200];
	struct sb_errbuf err = { { 0 } };
	size_t len;
	bool hit;
	FILE *f;

	if (!path[0]) {
		snprintf(path, sizeof(path), "%s", fz_file("prices.csv", NULL, 0, content,
							    sizeof(content) - 1));
		FZ_CHECK(sb_sha256_file(path, truth, NULL, &err) == SB_OK);
		true_record(path, truth, rec_path, sizeof(rec_path), rec, sizeof(rec));
		snprintf(dir, sizeof(dir), "%s/digests", fz_dir());
		FZ_CHECK(sb_mkdirs(dir, &err) == SB_OK);
		/* the true record is a hit */
		f = fopen(rec_path, "wb");
		FZ_CHECK(f && fputs(rec, f) >= 0 && fclose(f) == 0);
		FZ_CHECK(sb_digest_memo_file(fz_dir(), path, hex, &hit, &err) == SB_OK);
		FZ_CHECK(hit && strcmp(hex, truth) == 0);
	}
	if (size > 0 && (data[0] & 1)) {
		len = size - 1 < sizeof(text) ? size - 1 : sizeof(text);
		memcpy(text, data + 1, len);
	} else {
		size_t at = size > 1 ? data[1] % (strlen(rec) + 1) : 0;
		size_t over = size > 2 ? size - 2 : 0;

		len = strlen(rec);
		memcpy(text, rec, len);
		if (over > sizeof(text) - at)
			over = sizeof(text) - at;
		memcpy(text + at, data + 2, over);
		len = at + over > len ? at + over : len;
		if (size > 0 && (data[0] & 3) == 2)
			len = at + over;
	}
	f = fopen(rec_path, "wb");
	FZ_CHECK(f && fwrite(text, 1, len, f) == len && fclose(f) == 0);
	FZ_CHECK(sb_digest_memo_file(fz_dir(), path, hex, &hit, &err) == SB_OK);
	FZ_CHECK(strcmp(hex, truth) == 0);
	return 0;
}
