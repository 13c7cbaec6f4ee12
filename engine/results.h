/* results.h - result folders (atomic), metrics.json, equity.csv, trades.csv, event_stats.json */
#ifndef SB_RESULTS_H
#define SB_RESULTS_H

#include "sim.h"
#include "../loaders/candles.h"

#include <stdio.h>

/*
 * A run is written into "<final>.tmp-XXXXXX" next to the final folder and renamed
 * when complete, so a crash or an error never leaves a half-written result at the
 * final path.  An existing final folder is replaced only with 'force'.
 */
struct sb_run_dir {
	char final[4096];
	char tmp[4096];
	bool force;
};

/* Checks the final path (exists and !force -> SB_EINVAL) and creates the temporary one. */
enum sb_err sb_run_dir_begin(struct sb_run_dir *d, const char *final, bool force,
			     struct sb_errbuf *err);
/* Renames the temporary folder into place (replacing an old one when forced). */
enum sb_err sb_run_dir_commit(struct sb_run_dir *d, struct sb_errbuf *err);
/* Removes the temporary folder and everything in it. */
void sb_run_dir_abort(struct sb_run_dir *d);
/* Joins dir and name into out (SB_EINVAL when too long). */
enum sb_err sb_path_join(char *out, size_t cap, const char *dir, const char *name,
			 struct sb_errbuf *err);
/* rm -rf (used for temporary folders only) */
void sb_remove_tree(const char *path);

/* Prints a double exactly (shortest round-trip text), or nothing when NaN. */
void sb_fput_num(FILE *f, double v);

/*
 * The SHA-256 (64 hex digits + NUL) and size of a file this process wrote with
 * sb_write_equity_csv(), taken from the bytes as they were written; false when the
 * file was not written so, or has changed since (inode, size or mtime differ).
 */
bool sb_written_digest(const char *path, char hex[65], uint64_t *size);

/* metrics.json: the metrics, then (bh may be NULL) excess_return and buy_and_hold {...}. */
enum sb_err sb_write_metrics_json(const char *path, const struct sb_metrics *m,
				  const struct sb_metrics *bh, struct sb_errbuf *err);
/* equity.csv: time (candle close, UTC), close, position, equity, drawdown. */
enum sb_err sb_write_equity_csv(const char *path, const struct sb_candles *c,
				const struct sb_recorder *rec, struct sb_errbuf *err);
/*
 * The columns every curve over the same candles shares (close, buy_hold), formatted
 * once for all of them: init for n_parts parts (false: too many rows, or no memory;
 * write without), sb_curve_cols_fill() every part (on as many threads), then pass it
 * to sb_write_equity_csv_cols() for each curve: the same bytes as without.  About 25
 * bytes a row are resident.
 */
struct sb_curve_cols {
	size_t n, n_parts;            /* the candles' n, open and close it was filled from */
	const double *open, *close;
	char *text;                   /* row i: close then buy_hold, at off[i] */
	uint32_t *off;
	uint8_t *len;                 /* row i: their lengths at 2i and 2i + 1 */
};
bool sb_curve_cols_init(struct sb_curve_cols *k, const struct sb_candles *c, size_t n_parts);
void sb_curve_cols_fill(struct sb_curve_cols *k, size_t part);
void sb_curve_cols_release(struct sb_curve_cols *k);
/* equity.csv as above, with the shared columns of k (NULL: none); a recorder without
 * drawdown gets it from its equity, as sb_sim_bars() computes it. */
enum sb_err sb_write_equity_csv_cols(const char *path, const struct sb_candles *c,
				     const struct sb_recorder *rec, const struct sb_curve_cols *k,
				     struct sb_errbuf *err);
/* trades.csv: one row per trade, the last one flagged open when still held. */
enum sb_err sb_write_trades_csv(const char *path, const struct sb_candles *c,
				const struct sb_recorder *rec, struct sb_errbuf *err);

/* A short readable table of the metrics, for a terminal. */
void sb_print_metrics(FILE *out, const struct sb_metrics *m);

#endif
