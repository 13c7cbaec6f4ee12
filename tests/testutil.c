/* testutil.c - temporary folders and files for the unit tests */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "testutil.h"
#include "../engine/results.h"     /* sb_remove_tree */

char tu_tmpdir[1024];

int tu_tmpdir_setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tu_tmpdir, sizeof(tu_tmpdir), "%s/sentibt-test-XXXXXX",
		 base && *base ? base : "/tmp");
	return mkdtemp(tu_tmpdir) ? 0 : -1;
}

int tu_tmpdir_teardown(void **state)
{
	(void)state;
	sb_remove_tree(tu_tmpdir);
	return 0;
}

void tu_write_bytes(const char *name, const void *data, size_t n, bool gz, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", tu_tmpdir, name);
	if (gz) {
		gzFile g = gzopen(out, "wb");

		assert_non_null(g);
		if (n)
			assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
		assert_int_equal(gzclose(g), Z_OK);
	} else {
		FILE *f = fopen(out, "wb");

		assert_non_null(f);
		if (n)
			assert_int_equal(fwrite(data, 1, n, f), n);
		assert_int_equal(fclose(f), 0);
	}
}

void tu_write_text(const char *name, const char *text, bool gz, char out[PATH_MAX])
{
	tu_write_bytes(name, text, strlen(text), gz, out);
}

void tu_copy_cut(const char *src, const char *dst, long keep, long flip)
{
	FILE *f = fopen(src, "rb"), *g = fopen(dst, "wb");
	int ch;

	assert_non_null(f);
	assert_non_null(g);
	for (long i = 0; i < keep && (ch = fgetc(f)) != EOF; i++)
		fputc(i == flip ? ch ^ 0xff : ch, g);
	fclose(f);
	assert_int_equal(fclose(g), 0);
}

void tu_near(double got, double want, double tol, const char *what, const char *file, int line)
{
	if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) {
		print_error("%s = %.17g, want %.17g (tol %g)\n", what, got, want, tol);
		_fail(file, line);
	}
}

void tu_is_nan(double v, const char *what, const char *file, int line)
{
	if (!isnan(v)) {
		print_error("%s = %.17g, want NaN\n", what, v);
		_fail(file, line);
	}
}
