/* batch.h - a batch run's tables: the best combination of each experiment, and every row
 *
 * `sentibt batch SPEC.json` (cli/cli_batch.c, docs/batch.md) runs one sweep per
 * experiment into OUT/<name>/; these read those folders back and write the tables that
 * compare them.  The experiments share one grid, so their summary.csv share a header.
 */
#ifndef SB_BATCH_H
#define SB_BATCH_H

#include "../core/common.h"

#define SB_BATCH_NAME_MAX 64

/* The best combination of one experiment (by the sweep's --rank-by), for the report. */
struct sb_batch_best {
	char name[SB_BATCH_NAME_MAX + 1];
	char rank_by[32];
	size_t id;
	double rank_value, total_return, sharpe, max_drawdown, trades, bh_return, excess_return;
	char params[512];            /* "threshold=0.3 min_confidence=0.5 ..." */
};

/* A name that is a plain folder name: 1-64 of [A-Za-z0-9_-]. */
bool sb_batch_name_ok(const char *name);

/*
 * sb_batch_tables() reads DIR/<name>/stats.json (best_id, rank_by) and summary.csv of
 * each experiment and writes DIR/batch_best.csv (experiment, then its best row) and
 * DIR/batch_all.csv (experiment, then all its rows, experiments in spec order), and
 * fills best[0 .. n).  Fails naming the file when one is missing or malformed, or when
 * two experiments' summary.csv headers differ.
 */
enum sb_err sb_batch_tables(const char *dir, const char *const *names, size_t n,
			    struct sb_batch_best *best, struct sb_errbuf *err);

/*
 * OUT/manifest.json of a batch: the command, the spec as run and the experiments'
 * folders (each has its own manifest, for verify).  It also marks OUT as a result
 * folder that --force may replace.
 */
struct sb_json;
enum sb_err sb_batch_write_manifest(const char *path, const struct sb_json *spec,
				    const char *const *names, size_t n, int argc, char **argv,
				    struct sb_errbuf *err);

#endif
