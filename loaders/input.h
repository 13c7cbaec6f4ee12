/* input.h - what an input path is, checked before anything hashes, opens or parses it */
#ifndef SB_INPUT_H
#define SB_INPUT_H

#include "../core/common.h"
#include "../core/filetype.h"

#include <sys/stat.h>

/* A pipe or FIFO is copied once, up to this many bytes (4 GiB); more is an error. */
#define SB_SPOOL_MAX (UINT64_C(4) << 30)

/*
 * An input file as the loaders read it.  A regular file is read where it is.  A pipe
 * or FIFO (including /dev/fd/N from a shell's process substitution) can be read only
 * once, but sentibt reads an input several times (SHA-256 for the cache key and the
 * manifest, a peek at the first row, the parse), so its bytes are first copied once
 * into a private temporary folder ($TMPDIR, else /tmp), then hashed and parsed from
 * there; the copy goes with sb_input_close().  Anything else (a character or block
 * device such as /dev/zero, a directory, a socket) is an error naming the path and
 * what it is, before a byte is read.
 */
struct sb_input {
	const char *name;     /* as given: what messages and the manifest show */
	const char *path;     /* what to open: 'name', or the spooled copy */
	bool spooled;
	uint64_t size;        /* bytes copied, when spooled */
	char *spool_dir, *spool_path;   /* private to input.c */
};

/*
 * sb_input_open() checks 'name' (stat, following symlinks) and spools a pipe.  A
 * spooled copy keeps the name's last component ('news.jsonl'); when that has no
 * extension (/dev/fd/63) one is chosen from the content, so that loaders that tell
 * formats by name still can: '.jsonl' when the first non-blank character (after
 * gunzip) is '{', '.msgpack' when the first byte is a MessagePack map, else '.csv'
 * (all with '.gz' when gzip'd).  'name' must outlive 'in'.
 * Errors: "NAME: cannot open: ...", "NAME: expected a regular file or a pipe, got a
 * character device", "NAME: expected a pipe of at most 4 GiB ...".
 */
enum sb_err sb_input_open(struct sb_input *in, const char *name, struct sb_errbuf *err);
void sb_input_close(struct sb_input *in);   /* removes the copy; safe twice, and after a failed open */

/*
 * A loader names the path it opened; sb_input_rename_msg() puts the name the user
 * gave back in place of a spooled copy's path in 'msg' (a NUL-terminated buffer of
 * 'cap' bytes).  No-op for a file that was not spooled.
 */
void sb_input_rename_msg(const struct sb_input *in, char *msg, size_t cap);

#endif
