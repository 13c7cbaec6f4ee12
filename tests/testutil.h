/* testutil.h - what several test programs share: a temporary folder and files in it */
#ifndef SB_TESTUTIL_H
#define SB_TESTUTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* The program's temporary folder, made by tu_tmpdir_setup(). */
extern char tu_tmpdir[1024];

/* cmocka group set-up and tear-down: $TMPDIR/sentibt-test-XXXXXX, removed with its files. */
int tu_tmpdir_setup(void **state);
int tu_tmpdir_teardown(void **state);

/* Writes n bytes (gzip'd when 'gz') to tu_tmpdir/name; the path goes to 'out'. */
void tu_write_bytes(const char *name, const void *data, size_t n, bool gz, char out[PATH_MAX]);
void tu_write_text(const char *name, const char *text, bool gz, char out[PATH_MAX]);
/* dst = the first 'keep' bytes of src, byte 'flip' (if >= 0) inverted. */
void tu_copy_cut(const char *src, const char *dst, long keep, long flip);

/*
 * NEAR(got, want, tol): |got - want| <= tol * max(1, |want|), relative for large values
 * and absolute near 0; IS_NAN(v).  Both fail the cmocka test with the expression.
 */
#define NEAR(got, want, tol) tu_near((got), (want), (tol), #got, __FILE__, __LINE__)
#define IS_NAN(v) tu_is_nan((v), #v, __FILE__, __LINE__)
void tu_near(double got, double want, double tol, const char *what, const char *file, int line);
void tu_is_nan(double v, const char *what, const char *file, int line);

#endif
