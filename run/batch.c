/* batch.c - a batch run's tables, read back from its experiments' result folders */
#include "batch.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json.h"
#include "../engine/results.h"
#include "mpi.h"
#include "../loaders/textio.h"

#define LINE_CAP (1u << 20)          /* a summary.csv line is far shorter */

bool sb_batch_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SB_BATCH_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_' || name[i] == '-'))
			return false;
	return true;
}

/* The 'k'-th comma-separated cell of 'line' (no quoting in summary.csv) into out. */
static bool cell(const char *line, int k, char *out, size_t cap)
{
	const char *p = line, *e;

	for (; k > 0; k--) {
		p = strchr(p, ',');
		if (!p)
			return false;
		p++;
	}
	e = p + strcspn(p, ",\n");
	if ((size_t)(e - p) >= cap)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

static double num_cell(const char *line, int k)
{
	char buf[64];
	double v;

	return k >= 0 && cell(line, k, buf, sizeof(buf)) && sb_parse_double(buf, &v) ? v : NAN;
}

static int col_of(const char *header, const char *name)
{
	char buf[64];

	for (int k = 0; cell(header, k, buf, sizeof(buf)); k++)
		if (!strcmp(buf, name))
			return k;
	return -1;
}

/* Reads one line (without its cap being passed); false at the end or on a long line. */
static bool read_line(FILE *f, char **line, size_t *cap, const char *path, size_t lineno,
		      enum sb_err *rc, struct sb_errbuf *err)
{
	ssize_t n = getline(line, cap, f);

	if (n < 0)
		return false;
	if ((size_t)n > LINE_CAP) {
		*rc = sb_errf(err, SB_EPARSE, "%s:%zu: line longer than %u bytes", path, lineno,
			      LINE_CAP);
		return false;
	}
	if (n > 0 && (*line)[n - 1] == '\n')
		(*line)[n - 1] = '\0';
	return true;
}

/* best_id and rank_by from DIR/NAME/stats.json. */
static enum sb_err read_stats(const char *path, size_t *best_id, char *rank_by, size_t cap,
			      struct sb_errbuf *err)
{
	struct sb_json *doc;
	uint64_t id;
	const char *rb;
	enum sb_err rc = sb_json_load(path, 1u << 24, &doc, err);

	if (rc)
		return rc;
	rb = sb_json_string(sb_json_get(doc, "rank_by"));
	if (!sb_json_u64(sb_json_get(doc, "best_id"), &id) || !rb) {
		sb_json_free(doc);
		return sb_errf(err, SB_EPARSE, "%s: expected best_id and rank_by", path);
	}
	*best_id = (size_t)id;
	snprintf(rank_by, cap, "%s", rb);
	sb_json_free(doc);
	return SB_OK;
}

/* One experiment: its rows appended to 'all', its best row to 'bestf' and *b. */
static enum sb_err one_experiment(const char *dir, const char *name, bool first, char **header0,
				  FILE *all, FILE *bestf, struct sb_batch_best *b,
				  struct sb_errbuf *err)
{
	char sub[4200], path[4300];
	char *line = NULL;
	size_t cap = 0, lineno = 1, best_id = 0;
	enum sb_err rc;
	FILE *f;
	int ret_col, id_col;

	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	if ((rc = sb_path_join(sub, sizeof(sub), dir, name, err)) ||
	    (rc = sb_path_join(path, sizeof(path), sub, "stats.json", err)) ||
	    (rc = read_stats(path, &best_id, b->rank_by, sizeof(b->rank_by), err)) ||
	    (rc = sb_path_join(path, sizeof(path), sub, "summary.csv", err)))
		return rc;
	b->id = best_id;
	f = fopen(path, "r");
	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot open: %s", path, strerror(errno));
	if (!read_line(f, &line, &cap, path, lineno, &rc, err)) {
		if (!rc)
			rc = sb_errf(err, SB_EPARSE, "%s: empty, expected a header", path);
		goto out;
	}
	if (first) {
		*header0 = strdup(line);
		if (!*header0) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
			goto out;
		}
		fprintf(all, "experiment,%s\n", line);
		fprintf(bestf, "experiment,%s\n", line);
	} else if (strcmp(*header0, line)) {
		rc = sb_errf(err, SB_EPARSE, "%s:1: a header other than the first experiment's: the experiments must share one grid and strategy",
			     path);
		goto out;
	}
	id_col = col_of(line, "id");
	ret_col = col_of(line, "total_return");
	if (id_col != 0 || ret_col < 1) {
		rc = sb_errf(err, SB_EPARSE, "%s:1: expected the columns id, ..., total_return", path);
		goto out;
	}
	{
		const char *h = *header0;
		const int c_rank = col_of(h, b->rank_by), c_sh = col_of(h, "sharpe"),
			  c_dd = col_of(h, "max_drawdown"), c_tr = col_of(h, "trades"),
			  c_bh = col_of(h, "bh_return"), c_ex = col_of(h, "excess_return");
		bool found = false;

		while (read_line(f, &line, &cap, path, ++lineno, &rc, err)) {
			fprintf(all, "%s,%s\n", name, line);
			if (lineno - 2 != best_id)
				continue;
			found = true;
			fprintf(bestf, "%s,%s\n", name, line);
			b->rank_value = num_cell(line, c_rank);
			b->total_return = num_cell(line, ret_col);
			b->sharpe = num_cell(line, c_sh);
			b->max_drawdown = num_cell(line, c_dd);
			b->trades = num_cell(line, c_tr);
			b->bh_return = num_cell(line, c_bh);
			b->excess_return = num_cell(line, c_ex);
			for (int k = 1, len = 0; k < ret_col && len < (int)sizeof(b->params) - 1; k++) {
				char hn[64], v[64];

				if (cell(h, k, hn, sizeof(hn)) && cell(line, k, v, sizeof(v)))
					len += snprintf(b->params + len, sizeof(b->params) - (size_t)len,
							"%s%s=%s", k > 1 ? " " : "", hn, v);
			}
		}
		if (!rc && !found)
			rc = sb_errf(err, SB_EPARSE, "%s: no row for the best id %zu of stats.json",
				     path, best_id);
	}
out:
	free(line);
	fclose(f);
	return rc;
}

enum sb_err sb_batch_tables(const char *dir, const char *const *names, size_t n,
			    struct sb_batch_best *best, struct sb_errbuf *err)
{
	char pall[4200], pbest[4200];
	char *header0 = NULL;
	FILE *all = NULL, *bestf = NULL;
	enum sb_err rc;

	if ((rc = sb_path_join(pall, sizeof(pall), dir, "batch_all.csv", err)) ||
	    (rc = sb_path_join(pbest, sizeof(pbest), dir, "batch_best.csv", err)))
		return rc;
	all = fopen(pall, "w");
	bestf = fopen(pbest, "w");
	if (!all || !bestf)
		rc = sb_errf(err, SB_EIO, "%s: cannot create: %s", all ? pbest : pall,
			     strerror(errno));
	for (size_t i = 0; !rc && i < n; i++)
		rc = one_experiment(dir, names[i], i == 0, &header0, all, bestf, &best[i], err);
	free(header0);
	if (all && fclose(all) != 0 && !rc)
		rc = sb_errf(err, SB_EIO, "%s: write failed: %s", pall, strerror(errno));
	if (bestf && fclose(bestf) != 0 && !rc)
		rc = sb_errf(err, SB_EIO, "%s: write failed: %s", pbest, strerror(errno));
	return rc;
}

enum sb_err sb_batch_write_manifest(const char *path, const struct sb_json *spec,
				    const char *const *names, size_t n, int argc, char **argv,
				    struct sb_errbuf *err)
{
	struct sb_json *root = sb_json_new_object(), *a;
	char *text = sb_json_print(spec, false);

	sb_json_add_u64(root, "manifest_version", 1);
	sb_json_add_str(root, "sentibt_version", SB_VERSION);
	sb_json_add_str(root, "command", "batch");
	sb_json_add_u64(root, "mpi_ranks", (uint64_t)sb_mpi_size());
	a = sb_json_add_array(root, "argv");
	for (int i = 0; i < argc; i++)
		sb_json_add_str(a, NULL, argv[i]);
	/* the spec, re-parsed from its own text: the document takes what it is given */
	sb_json_add(root, "spec", text ? sb_json_parse(text, strlen(text)) : NULL);
	free(text);
	a = sb_json_add_array(root, "experiments");
	for (size_t i = 0; i < n; i++)
		sb_json_add_str(a, NULL, names[i]);
	return sb_json_write(path, root, 0, err);
}
