/* atomic.h - a file appears whole at its final path, or not at all
 *
 * The one writer of single files that other runs or tools may read while they are
 * being written (caches, converted inputs, the sample, downloads): write a temporary
 * file "<path>.tmp-XXXXXX" next to the final one, flush and fsync it, then rename it
 * into place (atomic on POSIX file systems); on any failure the temporary file goes
 * and the final path is untouched.  Result folders are made atomic one level up
 * (engine/results.h: a temporary folder renamed when complete).
 */
#ifndef SB_ATOMIC_H
#define SB_ATOMIC_H

#include "common.h"

#include <stdio.h>
#include <sys/types.h>

struct sb_atomic {
	FILE *f;               /* open for writing ("wb"), or NULL in path mode */
	char path[4096];       /* the final path */
	char tmp[4096 + 16];   /* the temporary file, next to it */
};

/* The mode of a new ordinary file: 0666 & ~umask (what open(2) would give). */
mode_t sb_file_mode(void);

/*
 * mkdtemp(3) on 'tmpl' ("...XXXXXX", rewritten), then the mode a plain mkdir would
 * give (0777 & ~umask) instead of mkdtemp's 0700, so that a folder renamed into
 * place is like any other.  On failure nothing is left and 'err' names the path.
 */
enum sb_err sb_mkdtemp(char *tmpl, struct sb_errbuf *err);

/* Creates the temporary file (mode 0666 & ~umask) and opens it as a->f. */
enum sb_err sb_atomic_open(struct sb_atomic *a, const char *path, struct sb_errbuf *err);

/* Path mode: creates the temporary file for a writer that opens it by name (a->tmp). */
enum sb_err sb_atomic_open_path(struct sb_atomic *a, const char *path, struct sb_errbuf *err);

/*
 * Flushes, checks for write errors, fsyncs and closes a->f (in path mode: fsyncs
 * a->tmp), then renames a->tmp to a->path.  On failure a->tmp is removed and 'err'
 * names the file and the reason.
 */
enum sb_err sb_atomic_commit(struct sb_atomic *a, struct sb_errbuf *err);

/* Closes and removes the temporary file; the final path is untouched. */
void sb_atomic_abort(struct sb_atomic *a);

/*
 * sb_path_within() is true when 'path' names 'dir' itself or a file under it (both
 * resolved: links, "..", relative names); false when either does not exist, or when
 * 'dir' is itself a link (replacing it leaves what it points to).  A run asked to
 * replace 'dir' (--force) refuses inputs for which this holds.
 */
bool sb_path_within(const char *path, const char *dir);

#endif
