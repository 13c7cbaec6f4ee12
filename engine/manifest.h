/* manifest.h - manifest.json of a result folder, and comparing two result folders */
#ifndef SB_MANIFEST_H
#define SB_MANIFEST_H

#include "../core/common.h"
#include "event_study.h"
#include "grid.h"
#include "../loaders/candles.h"
#include "../core/digest.h"

#define SB_MANIFEST_NAME "manifest.json"
#define SB_MANIFEST_VERSION 1

/*
 * What the candles and the articles share (run/coverage.c), recorded as "coverage":
 * nothing is left out silently.  Articles are counted outside the candles as DESIGN
 * step 1 drops them (t_pub + L before the first candle or at/after the end of the
 * last), at the grid's smallest and largest latency (the counts are monotone in L).
 */
struct sb_coverage {
	size_t   candles;             /* loaded candles, [t0_us, t1_us) */
	int64_t  t0_us, t1_us;
	uint64_t filled_candles;      /* candles with no trade (no row): the previous close */
	uint64_t articles_read;       /* records in the sentiment file */
	uint64_t articles;            /* kept after the entity filter and duplicates */
	uint64_t not_about_entity;    /* left out by --entity */
	size_t   n_latency;           /* 1 or 2 */
	struct {
		int64_t  latency_us;
		uint64_t before, after;   /* outside the candles, left out */
	} outside[2];
};

/* Everything a manifest records about one run; the writer copies, never keeps. */
struct sb_manifest_run {
	int argc;
	char *const *argv;                  /* argv[0] = the command: backtest, sweep, events */
	const struct sb_grid *grid;         /* backtest and sweep */
	/* events: its parameters replace the strategy and the grid */
	const struct sb_es_opts *events;
	const char *buckets_spec;           /* --buckets as typed */
	int64_t interval_us;
	const char *entity, *confidence;    /* NULL = not given (all / "field") */
	const char *time_col, *score_col, *conf_col;   /* NULL = the loader's defaults */
	bool sweep;                         /* top, rank_by and keep are recorded for sweeps */
	size_t top;
	const char *rank_by;
	const size_t *keep;
	size_t n_keep;
	int ranks, threads;                 /* sweeps: MPI ranks and OpenMP threads (0: not recorded) */
	const char *const *price_args;      /* --prices as given (files or tardis: refs) */
	size_t n_price_args;
	const char *const *price_paths;     /* the files read, refs resolved */
	const struct sb_input_info *price_info;   /* n_price_files entries */
	size_t n_price_files;
	const char *sentiment_path;
	const struct sb_input_info *sentiment_info;
	const struct sb_coverage *coverage;       /* NULL = not recorded */
};

/*
 * sb_manifest_write() writes DIR/manifest.json: version, build (commit, compiler,
 * flags), argv, the resolved parameters (grid values with durations in seconds),
 * every input with size and SHA-256 (hashed now) and the loader's statistics, and
 * every file already in DIR with its SHA-256 (relative paths, sorted).  Call it last,
 * just before the folder is renamed into place.  Nothing from the environment is
 * recorded.  Numbers are exact (sb_fmt_num).
 */
enum sb_err sb_manifest_write(const char *dir, const struct sb_manifest_run *r,
			      struct sb_errbuf *err);

/* A manifest read back, as verify needs it; strings are malloc'd. */
struct sb_manifest_file {
	char *path;                 /* inputs: as recorded; outputs: relative to the folder */
	char sha256[SB_SHA256_HEX];
	bool from_ref;              /* input resolved from a tardis: reference */
};

struct sb_manifest {
	char *command;
	char **argv;                /* argc strings plus a NULL */
	int argc;
	char *strategy;             /* "mean" when the manifest names none; "" for events */
	int n_axes;                 /* SB_N_AXES + the strategy's axes; 0 for events */
	double *axis[SB_MAX_AXES];  /* grid values; durations in seconds */
	size_t n_axis[SB_MAX_AXES];
	double interval_s;
	struct sb_manifest_file *inputs, *outputs;
	size_t n_inputs, n_outputs;
};

/*
 * sb_manifest_read() parses DIR/manifest.json.  Fails with "path: expected ..." when
 * a required field is missing or of the wrong type.  'm' is empty on error.
 */
enum sb_err sb_manifest_read(const char *dir, struct sb_manifest *m, struct sb_errbuf *err);
void sb_manifest_release(struct sb_manifest *m);      /* safe twice */

/*
 * The files under 'dir' (recursively; regular files only) as sorted relative paths,
 * leaving out the top-level manifest.json.  *paths is malloc'd (free with
 * sb_free_paths).
 */
enum sb_err sb_list_files(const char *dir, char ***paths, size_t *n, struct sb_errbuf *err);
void sb_free_paths(char **paths, size_t n);

/*
 * The first differences found, for a readable report: at most SB_DIFF_LINES lines
 * are kept; 'count' counts all of them.
 */
#define SB_DIFF_LINES 20
struct sb_diffs {
	size_t count;
	size_t n_lines;
	char lines[SB_DIFF_LINES][512];
};

/*
 * sb_cells_equal(): equal text, or both cells numbers (sb_parse_double) with
 * |a - b| <= tol * max(|a|, |b|).  Non-numeric cells (including empty ones) must be
 * identical.  tol = 0 asks for the same numbers.
 */
bool sb_cells_equal(const char *a, const char *b, double tol);

/*
 * sb_compare_csv_files() compares CSV 'new_path' with 'old_path', columns matched by
 * header name: a column only in one file, a different row count or a cell that is not
 * sb_cells_equal() each add a difference, worded "NAME: row R (id I), column 'C': was
 * X, now Y" (the id when the file has an id column; R counts data rows from 1).
 * 'name' labels the file in messages.  Errors only when a file cannot be read.
 */
enum sb_err sb_compare_csv_files(const char *old_path, const char *new_path, const char *name,
				 double tol, struct sb_diffs *d, struct sb_errbuf *err);

/*
 * sb_compare_json_files() compares two JSON objects key by key: numbers with
 * sb_cells_equal's tolerance, everything else exactly ("NAME: 'key': was X, now Y").
 */
enum sb_err sb_compare_json_files(const char *old_path, const char *new_path, const char *name,
				  double tol, struct sb_diffs *d, struct sb_errbuf *err);

/*
 * sb_compare_dirs() compares every file of result folder 'new_dir' with 'old_dir'
 * (manifest.json left out): a missing or extra file is a difference; *.csv files are
 * compared by sb_compare_csv_files, *.json by sb_compare_json_files, others byte by byte.
 */
enum sb_err sb_compare_dirs(const char *old_dir, const char *new_dir, double tol,
			    struct sb_diffs *d, struct sb_errbuf *err);

#endif
