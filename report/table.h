/* table.h - a CSV of a result folder (summary.csv, equity.csv, trades.csv) read as numbers */
#ifndef SB_REPORT_TABLE_H
#define SB_REPORT_TABLE_H

#include "../core/common.h"

#include <math.h>

#define SB_TABLE_MAX_COLS 64

/*
 * Every cell is a double: columns whose name ends in "time" as epoch seconds, the
 * "side" column as +1 (long), -1 (short) or 0 (both), an empty cell as NaN, any other cell as a
 * strict decimal number (loaders/textio.h).
 */
struct sb_table {
	char *names[SB_TABLE_MAX_COLS];
	int ncol;
	size_t nrow;
	double *v;                  /* nrow x ncol, row by row */
};

/*
 * Reads 'path' (plain or gzip'd, a header line first; empty lines are skipped).
 * Errors name the place: "path:LINE: expected 3 fields, got 2".  On failure 't' is
 * left empty, to be released or not.
 */
enum sb_err sb_table_read(struct sb_table *t, const char *path, struct sb_errbuf *err);
void sb_table_release(struct sb_table *t);

/* The index of the column 'name', or -1. */
int sb_table_col(const struct sb_table *t, const char *name);

/* Every column in names[0..n) must exist: idx[k] = its index, or "path:1: expected a
 * column 'x'". */
enum sb_err sb_table_need_cols(const struct sb_table *t, const char *path,
			       const char *const *names, int *idx, int n, struct sb_errbuf *err);

/* Row r of column c; NaN when c < 0 (a column that is not there). */
static inline double sb_table_cell(const struct sb_table *t, size_t r, int c)
{
	return c < 0 ? NAN : t->v[r * (size_t)t->ncol + (size_t)c];
}

#endif
