/* test_input.c - input paths: regular files as they are, pipes spooled once, devices refused */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "../core/digest.h"
#include "../loaders/input.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char jsonl[] =
	"{\"id\":\"a1\",\"published_at\":\"2024-01-01T00:00:30Z\",\"sentiment_score\":0.8,\"confidence\":0.9}\n";

/* The whole content of 'path' (malloc'd, NUL-terminated); *n its length. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(buf);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	buf[*n] = '\0';
	fclose(f);
	return buf;
}

/* Forks a child that writes n bytes of 'data' to 'fd' (or to the FIFO 'path') and exits. */
static pid_t writer(const char *path, int fd, const void *data, size_t n)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int w = path ? open(path, O_WRONLY) : fd;

		if (w < 0 || write(w, data, n) != (ssize_t)n || close(w) != 0)
			_exit(1);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_regular_file(void **state)
{
	struct sb_input in;
	struct sb_errbuf err = { "" };
	char p[PATH_MAX], msg[PATH_MAX + 64];

	(void)state;
	tu_write_text("news.jsonl", jsonl, false, p);
	assert_int_equal(sb_input_open(&in, p, &err), SB_OK);
	assert_false(in.spooled);
	assert_ptr_equal(in.path, p);
	assert_ptr_equal(in.name, p);
	snprintf(msg, sizeof(msg), "%s:1: something", p);
	sb_input_rename_msg(&in, msg, sizeof(msg));       /* nothing to rename */
	assert_non_null(strstr(msg, p));
	sb_input_close(&in);
	sb_input_close(&in);                              /* safe twice */
}

/* Devices, folders, sockets and missing files: an error naming the path and what it is. */
static void test_not_a_file(void **state)
{
	struct sb_input in;
	struct sb_errbuf err = { "" };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char p[PATH_MAX], want[PATH_MAX + 128];
	int s;

	(void)state;
	assert_int_equal(sb_input_open(&in, "/dev/zero", &err), SB_EINVAL);
	assert_string_equal(err.msg, "/dev/zero: expected a regular file or a pipe, got a character device");
	sb_input_close(&in);
	assert_int_equal(sb_input_open(&in, tu_tmpdir, &err), SB_EINVAL);
	snprintf(want, sizeof(want), "%s: expected a regular file or a pipe, got a directory",
		 tu_tmpdir);
	assert_string_equal(err.msg, want);
	snprintf(p, sizeof(p), "%s/no-such.csv", tu_tmpdir);
	assert_int_equal(sb_input_open(&in, p, &err), SB_EIO);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", p);
	assert_string_equal(err.msg, want);

	snprintf(p, sizeof(p), "%s/sock", tu_tmpdir);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	if (strlen(p) < sizeof(sa.sun_path) && (memcpy(sa.sun_path, p, strlen(p) + 1), 1) &&
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		assert_int_equal(sb_input_open(&in, p, &err), SB_EINVAL);
		assert_non_null(strstr(err.msg, "got a socket"));
		unlink(p);
	} else {
		printf("SKIP: cannot bind a unix socket at %s\n", p);
	}
	close(s);
}

/*
 * The hang of the hostile-input campaign: SHA-256 of /dev/zero never ended, and of a
 * FIFO drained it.  Only regular files are hashed, refused before a byte is read.
 */
static void test_sha256_not_a_file(void **state)
{
	char hex[SB_SHA256_HEX], p[PATH_MAX];
	struct sb_errbuf err = { "" };

	(void)state;
	assert_int_equal(sb_sha256_file("/dev/zero", hex, NULL, &err), SB_EINVAL);
	assert_string_equal(err.msg, "/dev/zero: expected a regular file, got a character device");
	snprintf(p, sizeof(p), "%s/hash.fifo", tu_tmpdir);
	assert_int_equal(mkfifo(p, 0600), 0);
	/* no writer: a call that opened it would block forever */
	assert_int_equal(sb_sha256_file(p, hex, NULL, &err), SB_EINVAL);
	assert_non_null(strstr(err.msg, "expected a regular file, got a pipe or FIFO"));
	unlink(p);
}

/* A FIFO named feed.jsonl: copied once, under its own name, then gone on close. */
static void test_fifo_spooled(void **state)
{
	struct sb_input in;
	struct sb_errbuf err = { "" };
	char p[PATH_MAX], msg[2 * PATH_MAX + 64], want[2 * PATH_MAX + 64], *got, dir[PATH_MAX];
	struct stat st;
	size_t n;
	pid_t pid;

	(void)state;
	snprintf(p, sizeof(p), "%s/feed.jsonl", tu_tmpdir);
	assert_int_equal(mkfifo(p, 0600), 0);
	pid = writer(p, -1, jsonl, strlen(jsonl));
	assert_int_equal(sb_input_open(&in, p, &err), SB_OK);
	reap(pid);
	assert_true(in.spooled);
	assert_int_equal(in.size, strlen(jsonl));
	assert_string_not_equal(in.path, p);
	n = strlen(in.path);
	assert_true(n > 11 && !strcmp(in.path + n - 11, "/feed.jsonl"));
	assert_int_equal(stat(in.path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	got = slurp(in.path, &n);
	assert_string_equal(got, jsonl);
	free(got);

	/* a loader's message about the copy names the FIFO */
	snprintf(msg, sizeof(msg), "%s:3: expected x; see %s", in.path, in.path);
	sb_input_rename_msg(&in, msg, sizeof(msg));
	snprintf(want, sizeof(want), "%s:3: expected x; see %s", p, p);
	assert_string_equal(msg, want);

	snprintf(dir, sizeof(dir), "%s", in.path);
	*strrchr(dir, '/') = '\0';
	snprintf(msg, sizeof(msg), "%s", in.path);
	sb_input_close(&in);
	assert_int_not_equal(access(msg, F_OK), 0);        /* the copy and its folder are gone */
	assert_int_not_equal(access(dir, F_OK), 0);
	assert_ptr_equal(in.path, p);
	sb_input_close(&in);
	unlink(p);
}

/*
 * An anonymous pipe as /dev/fd/N (what <(...) gives): no extension, so one is chosen
 * from the content, for loaders that tell formats by name.
 */
static void test_pipe_suffix(void **state)
{
	static const unsigned char mp[] = { 0x81, 0xa1, 'a', 0x01 };   /* {"a": 1} */
	static const struct { const char *what; const void *data; size_t n; bool gz; const char *suffix; } cases[] = {
		{ "jsonl", jsonl, sizeof(jsonl) - 1, false, ".jsonl" },
		{ "jsonl after blank lines", "\n  \n" "{\"a\":1}\n", 12, false, ".jsonl" },
		{ "csv", "date,text\n2024-01-01,x\n", 23, false, ".csv" },
		{ "gzip'd jsonl", jsonl, sizeof(jsonl) - 1, true, ".jsonl.gz" },
		{ "gzip'd csv", "a,b\n1,2\n", 8, true, ".csv.gz" },
		{ "msgpack", mp, sizeof(mp), false, ".msgpack" },
		{ "empty", "", 0, false, ".csv" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_input in;
		struct sb_errbuf err = { "" };
		char src[PATH_MAX], name[64], *data, *got;
		size_t n, want_n, sl = strlen(cases[i].suffix);
		int fd[2];
		pid_t pid;

		/* the bytes to send: the text, or its gzip'd form from a temporary file */
		snprintf(name, sizeof(name), "pipe%zu.bin", i);
		tu_write_bytes(name, cases[i].data, cases[i].n, cases[i].gz, src);
		data = slurp(src, &want_n);
		assert_int_equal(pipe(fd), 0);
		pid = writer(NULL, fd[1], data, want_n);
		close(fd[1]);
		snprintf(name, sizeof(name), "/dev/fd/%d", fd[0]);
		if (sb_input_open(&in, name, &err) != SB_OK)
			fail_msg("%s: %s", cases[i].what, err.msg);
		close(fd[0]);
		reap(pid);
		assert_true(in.spooled);
		n = strlen(in.path);
		if (n < sl || strcmp(in.path + n - sl, cases[i].suffix))
			fail_msg("%s: copy named %s, expected the suffix %s", cases[i].what, in.path,
				 cases[i].suffix);
		got = slurp(in.path, &n);
		assert_int_equal(n, want_n);
		assert_memory_equal(got, data, n);
		free(got);
		free(data);
		sb_input_close(&in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_sha256_not_a_file),
		cmocka_unit_test(test_fifo_spooled),
		cmocka_unit_test(test_pipe_suffix),
	};

	return cmocka_run_group_tests_name("input", tests, tu_tmpdir_setup, tu_tmpdir_teardown);
}
