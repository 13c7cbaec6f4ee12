/* digest_memo.h - the SHA-256 of an input file, remembered by its identity and times
 *
 * The cache's keys start from the SHA-256 of every input file; hashing a year of Tardis
 * trades (tens of GB) on every run would cost seconds before anything is read.  A file
 * whose device, inode, size, modification time and change time are those recorded next
 * to its digest has the recorded digest, as git's index and make assume: any write to
 * a file moves its change time, which no program can set back.  Three rules keep the
 * memo from lying:
 *   - a digest is recorded only for a file that did not change while it was hashed and
 *     whose times are at least SB_DIGEST_SETTLE_S seconds old, so that a later write
 *     cannot share its timestamps even where they are coarse (a clock tick, FAT's 2 s);
 *   - each record carries a check of its own fields: a damaged record is a miss;
 *   - only on local file systems that keep change times by this machine's clock (ext4,
 *     xfs, btrfs, tmpfs, f2fs, zfs, overlayfs, bcachefs); on network file systems,
 *     FUSE, vfat or exFAT every run hashes.
 * Records live in DIR/digests/, one small text file per (device, inode), written
 * atomically; failing to read or write one only costs a full hash.
 */
#ifndef SB_DIGEST_MEMO_H
#define SB_DIGEST_MEMO_H

#include "../core/common.h"
#include "../core/digest.h"

#define SB_DIGEST_SETTLE_S 2

/* Whether the file system holding 'path' is one whose times the memo trusts. */
bool sb_digest_memo_trusted(const char *path);

/*
 * The SHA-256 of the file at 'path' (regular files only, as sb_sha256_file()), from
 * the record in DIR/digests/ when it matches the file, else hashed and recorded.  With
 * dir NULL or "" it is always hashed.  *memo_hit (may be NULL) says which.
 */
enum sb_err sb_digest_memo_file(const char *dir, const char *path, char hex[SB_SHA256_HEX],
				bool *memo_hit, struct sb_errbuf *err);

#endif
