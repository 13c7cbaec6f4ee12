/* input.c - input paths checked by type; pipes spooled once into a temporary copy */
#include "input.h"
#include "textio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* write() all of it, again after EINTR and short writes. */
static bool write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/*
 * The extension a copy without one gets, from its first bytes (see input.h).  The
 * gzip case reads the first line through textio (gz.h owns zlib).
 */
static const char *guess_suffix(const char *path)
{
	unsigned char head[4] = { 0 };
	struct sb_lines l;
	const char *s = ".csv";
	FILE *f = fopen(path, "rb");
	size_t got;
	int r;

	if (!f)
		return s;
	got = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (got >= 1 && ((head[0] >= 0x80 && head[0] <= 0x8f) || head[0] == 0xde ||
			 head[0] == 0xdf))
		return ".msgpack";
	if (sb_lines_open(&l, path, NULL) != SB_OK)
		return s;
	while ((r = sb_lines_next(&l, NULL)) == 1) {
		const char *p = l.buf + strspn(l.buf, " \t");

		if (*p == '\0')
			continue;
		if (*p == '{')
			s = l.is_gzip ? ".jsonl.gz" : ".jsonl";
		else if (l.is_gzip)
			s = ".csv.gz";
		break;
	}
	sb_lines_close(&l);
	return s;
}

/* Copies the pipe 'in->name' into a new private folder. */
static enum sb_err spool(struct sb_input *in, struct sb_errbuf *err)
{
	enum { CHUNK = 1 << 20 };
	const char *tmp = getenv("TMPDIR"), *base = strrchr(in->name, '/');
	unsigned char *buf = NULL;
	enum sb_err rc = SB_OK;
	size_t dlen, plen;
	struct stat st;
	int src, dst = -1;

	base = base ? base + 1 : in->name;
	if (!*base)
		base = "input";
	if (!tmp || !*tmp)
		tmp = "/tmp";
	dlen = strlen(tmp) + sizeof("/sentibt-spool-XXXXXX");
	plen = dlen + 1 + strlen(base) + sizeof(".jsonl.gz");
	in->spool_dir = malloc(dlen);
	in->spool_path = malloc(plen);
	buf = malloc(CHUNK);
	if (!in->spool_dir || !in->spool_path || !buf) {
		rc = sb_errf(err, SB_ENOMEM, "%s: out of memory", in->name);
		goto out_forget;
	}
	snprintf(in->spool_dir, dlen, "%s/sentibt-spool-XXXXXX", tmp);
	if (!mkdtemp(in->spool_dir)) {
		rc = sb_errf(err, SB_EIO, "%s: cannot create a temporary folder for the pipe's content in %s: %s",
			     in->name, tmp, strerror(errno));
		goto out_forget;
	}
	snprintf(in->spool_path, plen, "%s/%s", in->spool_dir, base);

	/* For a FIFO, open() waits for a writer, as reading it with cat would. */
	src = open(in->name, O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		rc = sb_errf(err, SB_EIO, "%s: cannot open: %s", in->name, strerror(errno));
		goto out_free;
	}
	if (fstat(src, &st) != 0 || (rc = sb_check_file_type(in->name, &st, true, err))) {
		if (!rc)
			rc = sb_errf(err, SB_EIO, "%s: cannot stat: %s", in->name, strerror(errno));
		goto out_close_src;
	}
	dst = open(in->spool_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (dst < 0) {
		rc = sb_errf(err, SB_EIO, "%s: cannot create a temporary copy %s: %s", in->name,
			     in->spool_path, strerror(errno));
		goto out_close_src;
	}
	for (;;) {
		ssize_t got = read(src, buf, CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = sb_errf(err, SB_EIO, "%s: cannot read: %s", in->name, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		if ((uint64_t)got > SB_SPOOL_MAX - in->size) {
			rc = sb_errf(err, SB_EINVAL,
				     "%s: expected a pipe of at most %llu bytes (4 GiB), got more; save it to a file and give its path",
				     in->name, (unsigned long long)SB_SPOOL_MAX);
			break;
		}
		if (!write_all(dst, buf, (size_t)got)) {
			rc = sb_errf(err, SB_EIO, "%s: cannot write its temporary copy %s: %s",
				     in->name, in->spool_path, strerror(errno));
			break;
		}
		in->size += (uint64_t)got;
	}
	if (close(dst) != 0 && !rc)
		rc = sb_errf(err, SB_EIO, "%s: cannot write its temporary copy %s: %s", in->name,
			     in->spool_path, strerror(errno));
	if (!rc && !strchr(base, '.')) {
		const char *suf = guess_suffix(in->spool_path);
		size_t n = strlen(in->spool_path);
		char *named = malloc(n + strlen(suf) + 1);

		if (!named) {
			rc = sb_errf(err, SB_ENOMEM, "%s: out of memory", in->name);
		} else {
			memcpy(named, in->spool_path, n);
			strcpy(named + n, suf);
			if (rename(in->spool_path, named) != 0) {
				rc = sb_errf(err, SB_EIO, "%s: cannot rename its temporary copy: %s",
					     in->name, strerror(errno));
				free(named);
			} else {
				free(in->spool_path);
				in->spool_path = named;
			}
		}
	}
out_close_src:
	close(src);
out_free:
	free(buf);
	if (rc)
		return rc;
	in->path = in->spool_path;
	in->spooled = true;
	return SB_OK;

out_forget:             /* nothing created yet: nothing for sb_input_close() to remove */
	free(buf);
	free(in->spool_dir);
	free(in->spool_path);
	in->spool_dir = in->spool_path = NULL;
	return rc;
}

enum sb_err sb_input_open(struct sb_input *in, const char *name, struct sb_errbuf *err)
{
	struct stat st;
	enum sb_err rc;

	memset(in, 0, sizeof(*in));
	in->name = in->path = name;
	if (stat(name, &st) != 0)
		return sb_errf(err, SB_EIO, "%s: cannot open: %s", name, strerror(errno));
	rc = sb_check_file_type(name, &st, true, err);
	if (rc || S_ISREG(st.st_mode))
		return rc;
	rc = spool(in, err);
	if (rc)
		sb_input_close(in);
	return rc;
}

void sb_input_close(struct sb_input *in)
{
	if (in->spool_path)
		unlink(in->spool_path);
	if (in->spool_dir)
		rmdir(in->spool_dir);
	free(in->spool_path);
	free(in->spool_dir);
	in->spool_path = in->spool_dir = NULL;
	in->path = in->name;
	in->spooled = false;
}

void sb_input_rename_msg(const struct sb_input *in, char *msg, size_t cap)
{
	char out[2048];
	size_t n = 0, plen, nlen;
	const char *p = msg, *hit;

	if (!in->spooled || !msg || cap == 0)
		return;
	plen = strlen(in->path);
	nlen = strlen(in->name);
	while ((hit = strstr(p, in->path)) != NULL) {
		size_t pre = (size_t)(hit - p);

		if (n + pre + nlen >= sizeof(out))
			break;
		memcpy(out + n, p, pre);
		memcpy(out + n + pre, in->name, nlen);
		n += pre + nlen;
		p = hit + plen;
	}
	if (p == msg)
		return;
	snprintf(out + n, sizeof(out) - n, "%s", p);
	snprintf(msg, cap, "%s", out);
}
