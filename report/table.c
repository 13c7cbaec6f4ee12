/* table.c - a CSV read into a table of doubles, checked line by line */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "../engine/sim.h"
#include "../loaders/textio.h"

void sb_table_release(struct sb_table *t)
{
	for (int c = 0; c < t->ncol; c++)
		free(t->names[c]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

int sb_table_col(const struct sb_table *t, const char *name)
{
	for (int c = 0; c < t->ncol; c++)
		if (!strcmp(t->names[c], name))
			return c;
	return -1;
}

enum sb_err sb_table_need_cols(const struct sb_table *t, const char *path,
			       const char *const *names, int *idx, int n, struct sb_errbuf *err)
{
	for (int k = 0; k < n; k++) {
		idx[k] = sb_table_col(t, names[k]);
		if (idx[k] < 0)
			return sb_errf(err, SB_EPARSE, "%s:1: expected a column '%s'", path, names[k]);
	}
	return SB_OK;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static enum sb_err parse_cell(const char *name, const char *s, double *out)
{
	int64_t t;

	if (!*s) {
		*out = NAN;
		return SB_OK;
	}
	/* times: "time", "entry_time", ... and walkforward.csv's "train_from", "test_to" */
	if (ends_with(name, "time") || ends_with(name, "_from") || ends_with(name, "_to")) {
		if (!sb_parse_time(s, &t))
			return SB_EPARSE;
		*out = (double)t / (double)SB_US_PER_SEC;
		return SB_OK;
	}
	if (!strcmp(name, "side")) {
		/* summary.csv's side axis also takes "both" */
		if (strcmp(s, "long") && strcmp(s, "short") && strcmp(s, "both"))
			return SB_EPARSE;
		*out = !strcmp(s, "long") ? 1.0 : !strcmp(s, "short") ? -1.0 : 0.0;
		return SB_OK;
	}
	/* trades.csv: why a trade ended, as its index in sb_exit_reason_names (sim.h) */
	if (!strcmp(name, "exit_reason")) {
		for (int r = 0; r < SB_N_EXIT_REASONS; r++)
			if (!strcmp(s, sb_exit_reason_names[r])) {
				*out = (double)r;
				return SB_OK;
			}
		return SB_EPARSE;
	}
	return sb_parse_double(s, out) ? SB_OK : SB_EPARSE;
}

enum sb_err sb_table_read(struct sb_table *t, const char *path, struct sb_errbuf *err)
{
	struct sb_lines l;
	char *f[SB_TABLE_MAX_COLS];
	size_t cap = 0;
	int n, got;
	enum sb_err rc;

	memset(t, 0, sizeof(*t));
	rc = sb_lines_open(&l, path, err);
	if (rc)
		return rc;
	got = sb_lines_next(&l, err);
	if (got <= 0) {
		rc = got < 0 ? SB_EIO : sb_errf(err, SB_EPARSE, "%s:1: expected a CSV header", path);
		goto out_close;
	}
	n = sb_csv_split(l.buf, ',', f, SB_TABLE_MAX_COLS);
	if (n < 1) {
		rc = sb_errf(err, SB_EPARSE, "%s:1: expected a CSV header of at most %d columns",
			     path, SB_TABLE_MAX_COLS);
		goto out_close;
	}
	for (int c = 0; c < n; c++) {
		t->names[c] = strdup(f[c]);
		t->ncol = c + 1;
		if (!t->names[c]) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
			goto out_close;
		}
	}
	while ((got = sb_lines_next(&l, err)) > 0) {
		if (!*l.buf)
			continue;
		n = sb_csv_split(l.buf, ',', f, SB_TABLE_MAX_COLS);
		if (n != t->ncol) {
			rc = sb_errf(err, SB_EPARSE, "%s:%llu: expected %d fields, got %d", path,
				     (unsigned long long)l.lineno, t->ncol, n);
			goto out_close;
		}
		if (t->nrow == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			double *v = realloc(t->v, ncap * (size_t)t->ncol * sizeof(*v));

			if (!v) {
				rc = sb_errf(err, SB_ENOMEM, "%s: out of memory", path);
				goto out_close;
			}
			t->v = v;
			cap = ncap;
		}
		for (int c = 0; c < n; c++)
			if (parse_cell(t->names[c], f[c], &t->v[t->nrow * (size_t)t->ncol + (size_t)c])) {
				rc = sb_errf(err, SB_EPARSE, "%s:%llu: column '%s': expected %s, got '%s'",
					     path, (unsigned long long)l.lineno, t->names[c],
					     ends_with(t->names[c], "time") ? "a time" : "a number", f[c]);
				goto out_close;
			}
		t->nrow++;
	}
	rc = got < 0 ? SB_EIO : SB_OK;
out_close:
	sb_lines_close(&l);
	if (rc)
		sb_table_release(t);
	return rc;
}
