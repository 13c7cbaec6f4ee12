/* manifest.c - manifest.json (written and read through core/json) and result comparison */
#include "manifest.h"
#include "sweep.h"
#include "buildinfo.h"
#include "results.h"
#include "../core/json.h"
#include "../loaders/textio.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------------------------- */
/* Listing files                                                                       */
/* ---------------------------------------------------------------------------------- */

struct pathlist {
	char **v;
	size_t n, cap;
};

static bool pathlist_push(struct pathlist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (!nv)
			return false;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n] = strdup(s);
	return l->v[l->n++] != NULL;
}

void sb_free_paths(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

/* Walks root/rel, appending regular files as paths relative to root. */
static enum sb_err walk(const char *root, const char *rel, struct pathlist *l,
			struct sb_errbuf *err)
{
	char dpath[4200], child[4200];
	struct dirent *e;
	DIR *dir;
	enum sb_err rc = SB_OK;

	snprintf(dpath, sizeof(dpath), "%s%s%s", root, *rel ? "/" : "", rel);
	dir = opendir(dpath);
	if (!dir)
		return sb_errf(err, SB_EIO, "%s: cannot open folder: %s", dpath, strerror(errno));
	while (!rc && (e = readdir(dir)) != NULL) {
		struct stat st;
		char full[8500];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", e->d_name) >=
		    (int)sizeof(child)) {
			rc = sb_errf(err, SB_EINVAL, "path too long under %s", dpath);
			break;
		}
		snprintf(full, sizeof(full), "%s/%s", root, child);
		if (lstat(full, &st) != 0) {
			rc = sb_errf(err, SB_EIO, "%s: %s", full, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			/* report/ is drawn from the outputs by `sentibt report`, not an output. */
			if (!*rel && !strcmp(e->d_name, "report"))
				continue;
			rc = walk(root, child, l, err);
		} else if (S_ISREG(st.st_mode)) {
			if (!*rel && !strcmp(e->d_name, SB_MANIFEST_NAME))
				continue;
			if (!pathlist_push(l, child))
				rc = sb_errf(err, SB_ENOMEM, "out of memory");
		}
	}
	closedir(dir);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum sb_err sb_list_files(const char *dir, char ***paths, size_t *n, struct sb_errbuf *err)
{
	struct pathlist l = { 0 };
	enum sb_err rc = walk(dir, "", &l, err);

	*paths = NULL;
	*n = 0;
	if (rc) {
		sb_free_paths(l.v, l.n);
		return rc;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	*paths = l.v;
	*n = l.n;
	return SB_OK;
}

/* ---------------------------------------------------------------------------------- */
/* Writing                                                                             */
/* ---------------------------------------------------------------------------------- */

/* An axis's values as typed: decimals ("0.82"), durations in seconds. */
static void json_axis_array(struct sb_json *g, const char *key, const struct sb_axis *ax)
{
	struct sb_json *a = sb_json_add_array(g, key);
	char buf[SB_DEC_LEN];

	for (size_t i = 0; a && i < ax->n; i++) {
		if (ax->is_side)        /* "both", "long", "short": as typed */
			sb_json_add_str(a, NULL, sb_axis_format(ax, ax->v[i], buf));
		else
			sb_json_add_num_text(a, NULL, sb_axis_format(ax, ax->v[i], buf));
	}
}

static bool is_given(const struct sb_manifest_run *r, const char *path)
{
	for (size_t i = 0; i < r->n_price_args; i++)
		if (!strcmp(r->price_args[i], path))
			return true;
	return false;
}

static enum sb_err add_input(struct sb_json *arr, const char *role, const char *path,
			     const struct sb_input_info *info, bool from_ref, struct sb_errbuf *err)
{
	char hex[SB_SHA256_HEX], t[SB_TIME_LEN];
	uint64_t size;
	struct sb_json *o;
	enum sb_err rc = SB_OK;

	/* The loader step hashed the file already (for the cache key); hash only if not. */
	if (info && info->sha256[0]) {
		memcpy(hex, info->sha256, SB_SHA256_HEX);
		size = info->size;
	} else if ((rc = sb_sha256_file(path, hex, &size, err))) {
		return rc;
	}
	o = sb_json_add_object(arr, NULL);
	if (!o)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	sb_json_add_str(o, "role", role);
	sb_json_add_str(o, "path", path);
	if (from_ref)
		sb_json_add_bool(o, "from_tardis_ref", true);
	sb_json_add_u64(o, "size", size);
	sb_json_add_str(o, "sha256", hex);
	if (!info)
		return SB_OK;
	sb_json_add_str(o, "kind", info->kind);
	sb_json_add_u64(o, "rows", info->rows);
	sb_json_add_u64(o, "rows_used", info->rows_used);
	sb_json_add_u64(o, "rows_dropped", info->rows_dropped);
	sb_json_add_u64(o, "duplicates", info->duplicates);
	if (strncmp(info->kind, "sentiment", 9) == 0)
		sb_json_add_u64(o, "rounded", info->rounded);
	sb_json_add_str(o, "dropped_why", info->dropped_why);
	if (!strcmp(role, "prices")) {
		sb_json_add_u64(o, "filled_candles", info->filled_candles);
		sb_json_add_u64(o, "longest_gap_s", (uint64_t)(info->longest_gap_us / SB_US_PER_SEC));
	}
	if (info->rows_used) {
		sb_format_time(info->t_first_us, t);
		sb_json_add_str(o, "first", t);
		sb_format_time(info->t_last_us, t);
		sb_json_add_str(o, "last", t);
	}
	return SB_OK;
}

/* "coverage": what was left out between the candles and the articles, and why. */
static void add_coverage(struct sb_json *root, const struct sb_coverage *c)
{
	struct sb_json *o = sb_json_add_object(root, "coverage"), *arr;
	char t[SB_TIME_LEN];

	if (!o)
		return;
	sb_json_add_u64(o, "candles", c->candles);
	sb_format_time(c->t0_us, t);
	sb_json_add_str(o, "candles_first", t);
	sb_format_time(c->t1_us, t);
	sb_json_add_str(o, "candles_end", t);
	sb_json_add_u64(o, "filled_candles", c->filled_candles);
	sb_json_add_u64(o, "articles_read", c->articles_read);
	sb_json_add_u64(o, "not_about_entity", c->not_about_entity);
	sb_json_add_u64(o, "articles", c->articles);
	arr = sb_json_add_array(o, "outside_candles");
	for (size_t i = 0; arr && i < c->n_latency; i++) {
		struct sb_json *e = sb_json_add_object(arr, NULL);

		if (!e)
			return;
		sb_json_add_num(e, "latency_s", (double)c->outside[i].latency_us / SB_US_PER_SEC);
		sb_json_add_u64(e, "before", c->outside[i].before);
		sb_json_add_u64(e, "after", c->outside[i].after);
	}
}

struct hash_job {
	const char *dir;
	char **paths;
	char (*hex)[SB_SHA256_HEX];
	uint64_t *size;
	struct sb_errbuf *errs;
};

static bool hash_one(void *ctx, size_t i)
{
	struct hash_job *j = ctx;
	char full[8500];

	snprintf(full, sizeof(full), "%s/%s", j->dir, j->paths[i]);
	/* curves were hashed as they were written (results.c) */
	if (sb_written_digest(full, j->hex[i], &j->size[i]))
		return true;
	return !sb_sha256_file(full, j->hex[i], &j->size[i], &j->errs[i]);
}

static enum sb_err add_outputs(struct sb_json *root, const char *dir, struct sb_errbuf *err)
{
	struct sb_json *arr = sb_json_add_array(root, "outputs");
	char **paths, (*hex)[SB_SHA256_HEX] = NULL;
	uint64_t *size = NULL;
	struct sb_errbuf *errs = NULL;
	size_t n, first_bad = SIZE_MAX;
	enum sb_err rc = sb_list_files(dir, &paths, &n, err);

	if (!rc && (!(hex = calloc(n + 1, sizeof(*hex))) || !(size = calloc(n + 1, sizeof(*size))) ||
		    !(errs = calloc(n + 1, sizeof(*errs)))))
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
	/* Curves of a year of minutes are tens of MB each: hash them on every core. */
	if (!rc) {
		struct hash_job job = { dir, paths, hex, size, errs };

		first_bad = sb_parallel_for(n, 0, hash_one, &job);
		if (first_bad != SIZE_MAX)
			*err = errs[first_bad];
	}
	if (!rc && first_bad != SIZE_MAX)
		rc = SB_EIO;
	for (size_t i = 0; !rc && i < n; i++) {
		struct sb_json *o = sb_json_add_object(arr, NULL);

		if (!o) {
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
			break;
		}
		sb_json_add_str(o, "path", paths[i]);
		sb_json_add_u64(o, "size", size[i]);
		sb_json_add_str(o, "sha256", hex[i]);
	}
	free(hex);
	free(size);
	free(errs);
	sb_free_paths(paths, n);
	return rc;
}

static void json_seconds(struct sb_json *o, const char *key, int64_t us)
{
	sb_json_add_num(o, key, (double)us / (double)SB_US_PER_SEC);
}

/* The event study's parameters: decimals as typed, durations in seconds. */
static void event_study_json(struct sb_json *p, const struct sb_manifest_run *r)
{
	const struct sb_es_opts *e = r->events;
	struct sb_json *o = sb_json_add_object(p, "event_study"), *a;
	char buf[SB_DEC_LEN];

	if (!o)
		return;
	sb_json_add_num_text(o, "min_confidence", sb_dec_format(e->min_conf_e9, buf));
	json_seconds(o, "latency", e->latency_us);
	a = sb_json_add_array(o, "horizons");
	for (size_t h = 0; a && h < e->n_horizons; h++)
		json_seconds(a, NULL, e->horizon_us[h]);
	sb_json_add_str(o, "buckets", r->buckets_spec);
	if (e->n_edges) {
		a = sb_json_add_array(o, "bucket_edges");
		for (size_t i = 0; a && i < e->n_edges; i++)
			sb_json_add_num_text(a, NULL, sb_dec_format(e->edges_e9[i], buf));
	} else {
		sb_json_add_u64(o, "quantiles", (uint64_t)e->quantiles);
	}
	sb_json_add_u64(o, "bootstrap", e->bootstrap);
	sb_json_add_u64(o, "seed", e->seed);
	json_seconds(o, "volume_window", e->volume_window_us);
	json_seconds(o, "cluster", e->cluster_us);
	json_seconds(o, "path_before", e->path_before_us);
	json_seconds(o, "path_after", e->path_after_us);
	sb_json_add_u64(o, "path_bootstrap", e->path_bootstrap);
}

static void params_json(struct sb_json *root, const struct sb_manifest_run *r)
{
	struct sb_json *p = sb_json_add_object(root, "parameters"), *g, *cols, *args;

	if (!p)
		return;
	sb_json_add_str(p, "command", r->events ? "events" : r->sweep ? "sweep" : "backtest");
	sb_json_add_num(p, "interval", (double)r->interval_us / (double)SB_US_PER_SEC);
	sb_json_add_str(p, "entity", r->entity);
	sb_json_add_str(p, "confidence", r->confidence ? r->confidence : "field");
	cols = sb_json_add_object(p, "columns");
	sb_json_add_str(cols, "time", r->time_col);
	sb_json_add_str(cols, "score", r->score_col);
	sb_json_add_str(cols, "confidence", r->conf_col);
	args = sb_json_add_array(p, "prices");
	for (size_t i = 0; args && i < r->n_price_args; i++)
		sb_json_add_str(args, NULL, r->price_args[i]);
	sb_json_add_str(p, "sentiment", r->sentiment_path);
	if (r->sweep) {
		struct sb_json *k = sb_json_add_array(p, "keep");

		sb_json_add_u64(p, "top", r->top);
		sb_json_add_str(p, "rank_by", r->rank_by);
		for (size_t i = 0; k && i < r->n_keep; i++)
			sb_json_add_u64(k, NULL, r->keep[i]);
	}
	if (r->events) {
		event_study_json(p, r);
		return;
	}
	sb_json_add_str(p, "strategy", r->grid->strategy ? r->grid->strategy->name
							 : sb_strategies[0]->name);
	g = sb_json_add_object(p, "grid");
	for (int k = 0; g && k < r->grid->n_axes; k++)
		json_axis_array(g, sb_grid_axis_name(r->grid, k), &r->grid->ax[k]);
	sb_json_add_u64(p, "combinations", r->grid->count);
}

enum sb_err sb_manifest_write(const char *dir, const struct sb_manifest_run *r,
			      struct sb_errbuf *err)
{
	struct sb_json *root = sb_json_new_object(), *b, *argv, *inputs;
	char path[4200];
	enum sb_err rc = SB_OK;

	if (!root)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	sb_json_add_u64(root, "manifest_version", SB_MANIFEST_VERSION);
	sb_json_add_str(root, "sentibt_version", SB_VERSION);
	b = sb_json_add_object(root, "build");
	sb_json_add_str(b, "commit", sb_build_commit);
	sb_json_add_str(b, "compiler", sb_build_compiler);
	sb_json_add_str(b, "flags", sb_build_flags);
	argv = sb_json_add_array(root, "argv");
	for (int i = 0; argv && i < r->argc; i++)
		sb_json_add_str(argv, NULL, r->argv[i]);
	params_json(root, r);
	if (r->ranks > 0) {      /* how it ran; the results do not depend on it */
		b = sb_json_add_object(root, "parallel");
		sb_json_add_u64(b, "mpi_ranks", (uint64_t)r->ranks);
		sb_json_add_u64(b, "threads_per_rank", (uint64_t)r->threads);
	}
	inputs = sb_json_add_array(root, "inputs");
	for (size_t i = 0; !rc && i < r->n_price_files; i++)
		rc = add_input(inputs, "prices", r->price_paths[i],
			       r->price_info ? &r->price_info[i] : NULL,
			       !is_given(r, r->price_paths[i]), err);
	if (!rc && r->sentiment_path)
		rc = add_input(inputs, "sentiment", r->sentiment_path, r->sentiment_info, false, err);
	if (!rc && r->coverage)
		add_coverage(root, r->coverage);
	if (!rc)
		rc = add_outputs(root, dir, err);
	if (!rc)
		rc = sb_path_join(path, sizeof(path), dir, SB_MANIFEST_NAME, err);
	if (rc) {
		sb_json_free(root);
		return rc;
	}
	return sb_json_write(path, root, 0, err);
}

/* ---------------------------------------------------------------------------------- */
/* Reading                                                                             */
/* ---------------------------------------------------------------------------------- */

static enum sb_err read_files(const struct sb_json *arr, const char *key, const char *path,
			      struct sb_manifest_file **out, size_t *n, struct sb_errbuf *err)
{
	size_t cnt = sb_json_size(arr), i = 0;
	const struct sb_json *e;

	if (!sb_json_is_array(arr))
		return sb_errf(err, SB_EPARSE, "%s: expected an array '%s'", path, key);
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	if (!*out)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	SB_JSON_FOR_EACH(e, arr) {
		const char *p = sb_json_string(sb_json_get(e, "path"));
		const char *h = sb_json_string(sb_json_get(e, "sha256"));

		if (!p || !h || strlen(h) != 64)
			return sb_errf(err, SB_EPARSE,
				       "%s: expected 'path' and a 64-digit 'sha256' in %s entry %zu",
				       path, key, i + 1);
		/* an output is a file of the folder: never absolute, never above it */
		if (!strcmp(key, "outputs") &&
		    (p[0] == '/' || !strcmp(p, "..") || !strncmp(p, "../", 3) || strstr(p, "/../") ||
		     (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")) || !p[0]))
			return sb_errf(err, SB_EPARSE,
				       "%s: expected outputs inside the result folder, got '%s' in entry %zu",
				       path, p, i + 1);
		(*out)[i].path = strdup(p);
		if (!(*out)[i].path)
			return sb_errf(err, SB_ENOMEM, "out of memory");
		memcpy((*out)[i].sha256, h, SB_SHA256_HEX);
		(*out)[i].from_ref = sb_json_is_true(sb_json_get(e, "from_tardis_ref"));
		*n = ++i;
	}
	return SB_OK;
}

static enum sb_err read_manifest(const struct sb_json *root, const char *path,
				 struct sb_manifest *m, struct sb_errbuf *err)
{
	const struct sb_json *argv = sb_json_get(root, "argv");
	const struct sb_json *p = sb_json_get(root, "parameters");
	const struct sb_json *g = sb_json_get(p, "grid");
	const struct sb_json *iv = sb_json_get(p, "interval");
	const struct sb_json *e;
	const char *names[SB_MAX_AXES];
	enum sb_err rc;
	int i = 0, exit0 = -1;

	if (!sb_json_is_array(argv) || sb_json_size(argv) < 1)
		return sb_errf(err, SB_EPARSE, "%s: expected an array 'argv'", path);
	m->argv = calloc(sb_json_size(argv) + 1, sizeof(*m->argv));
	if (!m->argv)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	SB_JSON_FOR_EACH(e, argv) {
		if (!sb_json_is_string(e))
			return sb_errf(err, SB_EPARSE, "%s: expected strings in 'argv'", path);
		if (!(m->argv[i] = strdup(sb_json_string(e))))
			return sb_errf(err, SB_ENOMEM, "out of memory");
		m->argc = ++i;
	}
	m->command = strdup(m->argv[0]);
	if (!m->command)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	/* the folders of score and batch have manifests too, but nothing to re-run here */
	if (!strcmp(m->command, "batch"))
		return sb_errf(err, SB_EINVAL, "%s: a batch folder: verify each experiment's folder "
			       "in it (DIR/NAME) instead", path);
	if (strcmp(m->command, "backtest") && strcmp(m->command, "sweep") &&
	    strcmp(m->command, "events"))
		return sb_errf(err, SB_EINVAL, "%s: written by 'sentibt %s', not by backtest, sweep "
			       "or events", path, m->command);
	{
		const struct sb_json *v = sb_json_get(root, "manifest_version");

		if (!sb_json_is_number(v) || sb_json_number(v) < 1 ||
		    sb_json_number(v) > SB_MANIFEST_VERSION)
			return sb_errf(err, SB_EPARSE,
				       "%s: expected 'manifest_version' from 1 to %d (this sentibt's), got %s",
				       path, SB_MANIFEST_VERSION,
				       sb_json_is_number(v) ? "a newer or invalid one" : "none");
	}
	if (!strcmp(m->command, "events")) {
		/* no grid: the event study's parameters are checked by re-parsing argv */
		if (!sb_json_is_number(iv))
			return sb_errf(err, SB_EPARSE, "%s: expected 'parameters' with 'interval'", path);
		m->interval_s = sb_json_number(iv);
		m->strategy = strdup("");
		if (!m->strategy)
			return sb_errf(err, SB_ENOMEM, "out of memory");
	} else if (!sb_json_is_object(g) || !sb_json_is_number(iv)) {
		return sb_errf(err, SB_EPARSE, "%s: expected 'parameters' with 'grid' and 'interval'",
			       path);
	} else {
		const char *s = sb_json_string(sb_json_get(p, "strategy"));
		struct sb_grid sg = { .strategy = sb_strategy_find(s ? s : "mean") };

		m->interval_s = sb_json_number(iv);
		if (!sg.strategy)
			return sb_errf(err, SB_EPARSE, "%s: unknown strategy '%s'", path, s);
		m->strategy = strdup(sg.strategy->name);
		if (!m->strategy)
			return sb_errf(err, SB_ENOMEM, "out of memory");
		m->n_axes = SB_N_AXES + sg.strategy->n_axes + SB_N_EXIT_AXES;
		sg.n_axes = m->n_axes;
		sg.has_exits = true;
		for (int k = 0; k < m->n_axes; k++)
			names[k] = sb_grid_axis_name(&sg, k);
		exit0 = sb_grid_exit_axis(&sg, 0);
	}
	for (int k = 0; k < m->n_axes; k++) {
		const struct sb_json *a = sb_json_get(g, names[k]);
		size_t j = 0;

		/* a manifest from before the exit axes: they were off (0, side both = 0) */
		if (!a && exit0 >= 0 && k >= exit0) {
			m->axis[k] = calloc(1, sizeof(double));
			if (!m->axis[k])
				return sb_errf(err, SB_ENOMEM, "out of memory");
			m->n_axis[k] = 1;
			continue;
		}

		if (!sb_json_is_array(a))
			return sb_errf(err, SB_EPARSE, "%s: expected an array 'parameters.grid.%s'",
				       path, names[k]);
		m->axis[k] = calloc(sb_json_size(a) + 1, sizeof(double));
		if (!m->axis[k])
			return sb_errf(err, SB_ENOMEM, "out of memory");
		SB_JSON_FOR_EACH(e, a) {
			const char *side = sb_json_is_string(e) ? sb_json_string(e) : NULL;

			/* the side axis: its words, read back as sb_axis_value_double() has them */
			if (side && k == exit0 + SB_EX_SIDE && exit0 >= 0 &&
			    (!strcmp(side, "both") || !strcmp(side, "long") || !strcmp(side, "short"))) {
				m->axis[k][j++] = side[0] == 'l' ? 1.0 : side[0] == 's' ? -1.0 : 0.0;
				continue;
			}
			if (!sb_json_is_number(e))
				return sb_errf(err, SB_EPARSE, "%s: expected numbers in 'parameters.grid.%s'",
					       path, names[k]);
			m->axis[k][j++] = sb_json_number(e);
		}
		m->n_axis[k] = j;
	}
	rc = read_files(sb_json_get(root, "inputs"), "inputs", path, &m->inputs, &m->n_inputs,
			err);
	if (!rc)
		rc = read_files(sb_json_get(root, "outputs"), "outputs", path, &m->outputs,
				&m->n_outputs, err);
	/* prices and news at least: a manifest without them would verify nothing */
	if (!rc && m->n_inputs < 2)
		rc = sb_errf(err, SB_EPARSE, "%s: expected at least 2 'inputs' (prices, sentiment), got %zu",
			     path, m->n_inputs);
	return rc;
}

enum sb_err sb_manifest_read(const char *dir, struct sb_manifest *m, struct sb_errbuf *err)
{
	char path[4200];
	struct sb_json *root;
	enum sb_err rc;

	memset(m, 0, sizeof(*m));
	rc = sb_path_join(path, sizeof(path), dir, SB_MANIFEST_NAME, err);
	if (rc)
		return rc;
	rc = sb_json_load(path, 0, &root, err);
	if (rc && rc != SB_EPARSE)
		return rc;
	if (!sb_json_is_object(root)) {
		sb_json_free(root);
		return sb_errf(err, SB_EPARSE, "%s: expected a JSON object", path);
	}
	rc = read_manifest(root, path, m, err);
	sb_json_free(root);
	if (rc)
		sb_manifest_release(m);
	return rc;
}

static void release_files(struct sb_manifest_file *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++)
		free(f[i].path);
	free(f);
}

void sb_manifest_release(struct sb_manifest *m)
{
	for (int i = 0; m->argv && m->argv[i]; i++)
		free(m->argv[i]);
	free(m->argv);
	free(m->command);
	free(m->strategy);
	for (int k = 0; k < SB_MAX_AXES; k++)
		free(m->axis[k]);
	release_files(m->inputs, m->n_inputs);
	release_files(m->outputs, m->n_outputs);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------------------------- */
/* Comparing                                                                           */
/* ---------------------------------------------------------------------------------- */

static SB_PRINTF(2, 3) void sb_diffs_add(struct sb_diffs *d, const char *fmt, ...)
{
	va_list ap;

	d->count++;
	if (d->n_lines == SB_DIFF_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(d->lines[d->n_lines++], sizeof(d->lines[0]), fmt, ap);
	va_end(ap);
}

bool sb_cells_equal(const char *a, const char *b, double tol)
{
	double x, y;

	if (!strcmp(a, b))
		return true;
	if (!sb_parse_double(a, &x) || !sb_parse_double(b, &y))
		return false;
	if (x == y)
		return true;
	return fabs(x - y) <= tol * fmax(fabs(x), fabs(y));
}

#define CSV_MAX_COLS 256

struct csv_side {
	struct sb_lines l;
	bool open;
	char *f[CSV_MAX_COLS];
	int n;
	char *copy;               /* the current line, split in place */
};

/* Reads and splits the next line: 1 with fields, 0 at end, -1 on error. */
static int csv_next(struct csv_side *s, struct sb_errbuf *err)
{
	int r = sb_lines_next(&s->l, err);

	if (r <= 0)
		return r;
	free(s->copy);
	s->copy = strdup(s->l.buf);
	if (!s->copy) {
		sb_errf(err, SB_ENOMEM, "out of memory");
		return -1;
	}
	s->n = sb_csv_split(s->copy, ',', s->f, CSV_MAX_COLS);
	if (s->n < 0) {
		sb_errf(err, SB_EPARSE, "%s:%llu: expected at most %d CSV fields with closed quotes",
			s->l.path, (unsigned long long)s->l.lineno, CSV_MAX_COLS);
		return -1;
	}
	return 1;
}

static int find_col(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* Header names are kept as copies: the sides' buffers move on with each row. */
static char **dup_fields(char **f, int n)
{
	char **v = calloc((size_t)n + 1, sizeof(*v));

	for (int i = 0; v && i < n; i++)
		if (!(v[i] = strdup(f[i]))) {
			sb_free_paths(v, (size_t)i);
			return NULL;
		}
	return v;
}

static enum sb_err compare_rows(struct csv_side *o, struct csv_side *n, const char *name,
				char **oh, int on, const int *map, double tol, struct sb_diffs *d,
				struct sb_errbuf *err)
{
	int id_col = find_col(oh, on, "id");
	uint64_t row = 0, extra_new = 0, extra_old = 0;

	for (;;) {
		int ro = csv_next(o, err), rn = ro < 0 ? 0 : csv_next(n, err);
		char idbuf[96] = "";

		if (ro < 0 || rn < 0)
			return SB_EIO;
		if (ro == 0 && rn == 0)
			break;
		if (ro == 0 || rn == 0) {
			/* Count the rest of the longer file. */
			struct csv_side *s = ro ? o : n;
			uint64_t *extra = ro ? &extra_old : &extra_new;
			int r;

			*extra = 1;
			while ((r = sb_lines_next(&s->l, err)) > 0)
				(*extra)++;
			if (r < 0)
				return SB_EIO;
			break;
		}
		row++;
		if (id_col >= 0 && id_col < o->n)
			snprintf(idbuf, sizeof(idbuf), " (id %s)", o->f[id_col]);
		for (int c = 0; c < on; c++) {
			const char *a = c < o->n ? o->f[c] : "";
			const char *b = map[c] >= 0 && map[c] < n->n ? n->f[map[c]] : "";

			if (map[c] < 0)
				continue;
			if (!sb_cells_equal(a, b, tol))
				sb_diffs_add(d, "%s: row %llu%s, column '%s': was '%s', now '%s'", name,
					     (unsigned long long)row, idbuf, oh[c], a, b);
		}
		if (o->n != n->n)
			sb_diffs_add(d, "%s: row %llu%s: %d fields, was %d", name,
				     (unsigned long long)row, idbuf, n->n, o->n);
	}
	if (extra_old)
		sb_diffs_add(d, "%s: %llu data rows, was %llu (rows from %llu missing)", name,
			     (unsigned long long)row, (unsigned long long)(row + extra_old),
			     (unsigned long long)(row + 1));
	if (extra_new)
		sb_diffs_add(d, "%s: %llu data rows, was %llu (rows from %llu are new)", name,
			     (unsigned long long)(row + extra_new), (unsigned long long)row,
			     (unsigned long long)(row + 1));
	return SB_OK;
}

enum sb_err sb_compare_csv_files(const char *old_path, const char *new_path, const char *name,
				 double tol, struct sb_diffs *d, struct sb_errbuf *err)
{
	struct csv_side o = { 0 }, n = { 0 };
	char **oh = NULL, **nh = NULL;
	int on = 0, nn = 0, map[CSV_MAX_COLS];
	enum sb_err rc = SB_EIO;
	int ro, rn;

	if (sb_lines_open(&o.l, old_path, err))
		return SB_EIO;
	if (sb_lines_open(&n.l, new_path, err)) {
		sb_lines_close(&o.l);
		return SB_EIO;
	}
	ro = csv_next(&o, err);
	rn = ro < 0 ? -1 : csv_next(&n, err);
	if (ro < 0 || rn < 0)
		goto out;
	if (ro == 0 || rn == 0) {
		if (ro != rn)
			sb_diffs_add(d, "%s: %s", name, ro ? "now empty" : "was empty");
		rc = SB_OK;
		goto out;
	}
	on = o.n;
	nn = n.n;
	oh = dup_fields(o.f, on);
	nh = dup_fields(n.f, nn);
	if (!oh || !nh) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out;
	}
	for (int c = 0; c < on; c++) {
		map[c] = find_col(nh, nn, oh[c]);
		if (map[c] < 0)
			sb_diffs_add(d, "%s: column '%s' is missing", name, oh[c]);
	}
	for (int c = 0; c < nn; c++)
		if (find_col(oh, on, nh[c]) < 0)
			sb_diffs_add(d, "%s: column '%s' is new", name, nh[c]);
	rc = compare_rows(&o, &n, name, oh, on, map, tol, d, err);
out:
	sb_free_paths(oh, (size_t)on);
	sb_free_paths(nh, (size_t)nn);
	free(o.copy);
	free(n.copy);
	sb_lines_close(&o.l);
	sb_lines_close(&n.l);
	return rc;
}

enum sb_err sb_compare_json_files(const char *old_path, const char *new_path, const char *name,
				  double tol, struct sb_diffs *d, struct sb_errbuf *err)
{
	struct sb_json *o, *n;
	const struct sb_json *e;

	if (sb_json_load(old_path, 0, &o, err))
		return SB_EPARSE;
	if (sb_json_load(new_path, 0, &n, err)) {
		sb_json_free(o);
		return SB_EPARSE;
	}
	if (!sb_json_is_object(o) || !sb_json_is_object(n)) {
		if (!sb_json_equal(o, n))
			sb_diffs_add(d, "%s: differs", name);
		goto out;
	}
	SB_JSON_FOR_EACH(e, o) {
		const struct sb_json *f = sb_json_get(n, sb_json_key(e));
		char *a, *b;

		if (!f) {
			sb_diffs_add(d, "%s: '%s' is missing", name, sb_json_key(e));
			continue;
		}
		a = sb_json_print(e, false);
		b = sb_json_print(f, false);
		if (a && b && !(sb_json_is_number(e) && sb_json_is_number(f) ? sb_cells_equal(a, b, tol)
				: sb_json_equal(e, f)))
			sb_diffs_add(d, "%s: '%s': was %s, now %s", name, sb_json_key(e), a, b);
		free(a);
		free(b);
	}
	SB_JSON_FOR_EACH(e, n)
		if (!sb_json_get(o, sb_json_key(e)))
			sb_diffs_add(d, "%s: '%s' is new", name, sb_json_key(e));
out:
	sb_json_free(o);
	sb_json_free(n);
	return SB_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static enum sb_err compare_bytes(const char *a, const char *b, const char *name,
				 struct sb_diffs *d, struct sb_errbuf *err)
{
	char ha[SB_SHA256_HEX], hb[SB_SHA256_HEX];

	if (sb_sha256_file(a, ha, NULL, err) || sb_sha256_file(b, hb, NULL, err))
		return SB_EIO;
	if (strcmp(ha, hb))
		sb_diffs_add(d, "%s: contents differ", name);
	return SB_OK;
}

enum sb_err sb_compare_dirs(const char *old_dir, const char *new_dir, double tol,
			    struct sb_diffs *d, struct sb_errbuf *err)
{
	char **op = NULL, **np = NULL;
	size_t on = 0, nn = 0, i = 0, j = 0;
	enum sb_err rc = sb_list_files(old_dir, &op, &on, err);

	if (!rc)
		rc = sb_list_files(new_dir, &np, &nn, err);
	while (!rc && (i < on || j < nn)) {
		int c = i == on ? 1 : j == nn ? -1 : strcmp(op[i], np[j]);
		char a[8500], b[8500];

		if (c < 0) {
			sb_diffs_add(d, "%s: missing from the re-run", op[i++]);
			continue;
		}
		if (c > 0) {
			sb_diffs_add(d, "%s: new in the re-run (not in the result folder)", np[j++]);
			continue;
		}
		snprintf(a, sizeof(a), "%s/%s", old_dir, op[i]);
		snprintf(b, sizeof(b), "%s/%s", new_dir, np[j]);
		if (ends_with(op[i], ".csv"))
			rc = sb_compare_csv_files(a, b, op[i], tol, d, err);
		else if (ends_with(op[i], ".json"))
			rc = sb_compare_json_files(a, b, op[i], tol, d, err);
		else
			rc = compare_bytes(a, b, op[i], d, err);
		i++;
		j++;
	}
	sb_free_paths(op, on);
	sb_free_paths(np, nn);
	return rc;
}
