/* filetype.c - what a path is, for the readers that must refuse devices */
#include "filetype.h"

#include <string.h>
#include <unistd.h>

const char *sb_file_type_name(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISFIFO(mode))
		return "a pipe or FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "a special file";
}

enum sb_err sb_check_file_type(const char *path, const struct stat *st, bool allow_pipe,
			       struct sb_errbuf *err)
{
	if (S_ISREG(st->st_mode) || (allow_pipe && S_ISFIFO(st->st_mode)))
		return SB_OK;
	return sb_errf(err, SB_EINVAL, "%s: expected a regular file%s, got %s", path,
		       allow_pipe ? " or a pipe" : "", sb_file_type_name(st->st_mode));
}

bool sb_exe_dir(char *buf, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
	char *slash;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return true;
}
