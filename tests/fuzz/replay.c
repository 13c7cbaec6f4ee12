/* replay.c - runs a fuzz harness without libFuzzer, as a regression test
 *
 *   replay_<target> PATH...
 * feeds each file given, and each file in each folder given (in name order, dot files
 * left out), once to LLVMFuzzerTestOneInput().  A folder that does not exist is
 * skipped (tests/fuzz/crashes/<target>/ exists only once a crash was found).  Each
 * input is copied into a buffer of exactly its size, so that a sanitizer build sees
 * any read past its end.  Fails when no input was run at all.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static size_t runs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	{
		/* exactly 'len' bytes: the slack of 'buf' would hide an overread */
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		fprintf(stderr, "replay: %s\n", path);   /* shown when a run fails */
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	runs++;
	return 0;
}

static int run_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), rc = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (names[i]->d_name[0] != '.' && rc == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				rc = run_file(path);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if ((S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i])) != 0)
			return 1;
	}
	if (runs == 0) {
		fprintf(stderr, "replay: no input to run\n");
		return 1;
	}
	printf("replay: %zu inputs\n", runs);
	return 0;
}
