/* filetype.h - what a path is: a regular file, a pipe, a device... */
#ifndef SB_FILETYPE_H
#define SB_FILETYPE_H

#include "common.h"

#include <sys/stat.h>

/*
 * What a file is, for messages: "a regular file", "a directory", "a character
 * device", "a block device", "a pipe or FIFO", "a socket", "a symbolic link" or
 * "a special file".
 */
const char *sb_file_type_name(mode_t mode);

/*
 * sb_check_file_type() fails with "PATH: expected a regular file[ or a pipe], got
 * a character device" (SB_EINVAL) when 'st' describes anything else; pipes pass only
 * when 'allow_pipe'.  For the readers of textio and digest, which open by path.
 */
enum sb_err sb_check_file_type(const char *path, const struct stat *st, bool allow_pipe,
			       struct sb_errbuf *err);

/* The folder of the running binary (files installed beside it are found from it: the
 * report's gnuplot scripts and dygraphs, score's price table); false if unknown. */
bool sb_exe_dir(char *buf, size_t cap);

#endif
