/* atomic.c - temporary file, fsync, rename */
#include "atomic.h"
#include "thread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The process umask, read once by whichever thread asks first (the loaders write cache
 * entries and digest records on two threads at once).  Read from /proc/self/status
 * (Linux 4.7+) where it can be: umask() reads it only by setting it, and a file that
 * another thread creates meanwhile would get the temporary mask.
 */
static mode_t read_umask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned mask;
	mode_t m;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Umask: %o", &mask) == 1) {
			fclose(f);
			return (mode_t)(mask & 0777);
		}
	}
	if (f)
		fclose(f);
	m = umask(022);
	umask(m);
	return m;
}

static mode_t process_umask(void)
{
	static mode_t mask;
	static bool known;
	mode_t m;

	sb_shared_lock();
	if (!known) {
		mask = read_umask();
		known = true;
	}
	m = mask;
	sb_shared_unlock();
	return m;
}

mode_t sb_file_mode(void)
{
	return 0666 & ~process_umask();
}

enum sb_err sb_mkdtemp(char *tmpl, struct sb_errbuf *err)
{
	if (!mkdtemp(tmpl))
		return sb_errf(err, SB_EIO, "%s: cannot create temporary folder: %s", tmpl,
			       strerror(errno));
	/* mkdtemp makes it 0700; a result folder is an ordinary one once renamed */
	if (chmod(tmpl, 0777 & ~process_umask()) != 0) {
		int e = errno;

		rmdir(tmpl);
		return sb_errf(err, SB_EIO, "%s: cannot set the folder's mode: %s", tmpl,
			       strerror(e));
	}
	return SB_OK;
}

static enum sb_err make_tmp(struct sb_atomic *a, const char *path, int *fd,
			    struct sb_errbuf *err)
{
	memset(a, 0, sizeof(*a));
	if (strlen(path) >= sizeof(a->path))
		return sb_errf(err, SB_EINVAL, "%s: path too long", path);
	strcpy(a->path, path);
	snprintf(a->tmp, sizeof(a->tmp), "%s.tmp-XXXXXX", path);
	*fd = mkstemp(a->tmp);
	if (*fd < 0)
		return sb_errf(err, SB_EIO, "%s: cannot create a temporary file: %s", a->tmp,
			       strerror(errno));
	/* mkstemp makes it 0600; these are ordinary data files (0666 & ~umask) */
	fchmod(*fd, sb_file_mode());
	return SB_OK;
}

enum sb_err sb_atomic_open(struct sb_atomic *a, const char *path, struct sb_errbuf *err)
{
	int fd;
	enum sb_err rc = make_tmp(a, path, &fd, err);

	if (rc)
		return rc;
	a->f = fdopen(fd, "wb");
	if (!a->f) {
		rc = sb_errf(err, SB_EIO, "%s: %s", a->tmp, strerror(errno));
		close(fd);
		unlink(a->tmp);
	}
	return rc;
}

enum sb_err sb_atomic_open_path(struct sb_atomic *a, const char *path, struct sb_errbuf *err)
{
	int fd;
	enum sb_err rc = make_tmp(a, path, &fd, err);

	if (!rc)
		close(fd);
	return rc;
}

enum sb_err sb_atomic_commit(struct sb_atomic *a, struct sb_errbuf *err)
{
	int e = 0;

	if (a->f) {
		if (fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0)
			e = errno ? errno : EIO;
		if (fclose(a->f) != 0 && !e)
			e = errno ? errno : EIO;
		a->f = NULL;
	} else {
		int fd = open(a->tmp, O_RDONLY);

		if (fd < 0 || fsync(fd) != 0)
			e = errno;
		if (fd >= 0)
			close(fd);
	}
	if (e) {
		unlink(a->tmp);
		return sb_errf(err, SB_EIO, "%s: cannot write: %s", a->tmp, strerror(e));
	}
	if (rename(a->tmp, a->path) != 0) {
		e = errno;
		unlink(a->tmp);
		return sb_errf(err, SB_EIO, "%s: cannot rename into place: %s", a->path,
			       strerror(e));
	}
	return SB_OK;
}

void sb_atomic_abort(struct sb_atomic *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
	if (a->tmp[0])
		unlink(a->tmp);
}

bool sb_path_within(const char *path, const char *dir)
{
	struct stat st;
	char *p, *d;
	size_t n;
	bool in;

	/* a link is replaced itself (rename, FTW_PHYS removal): what it points to survives */
	if (!path || !dir || (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)))
		return false;
	p = realpath(path, NULL);
	d = p ? realpath(dir, NULL) : NULL;
	n = d ? strlen(d) : 0;
	in = p && d && strncmp(p, d, n) == 0 &&
	     (p[n] == '\0' || p[n] == '/' || (n == 1 && d[0] == '/'));
	free(p);
	free(d);
	return in;
}
