/* gnuplot.h - the one module that runs gnuplot (no other file starts a program)
 *
 * The charts are the scripts/report/ *.gp files, each run twice (PNG and SVG) by
 * fork/exec, no shell, with its variables given as one -e argument; gnuplot's messages
 * go to OUT/data/gnuplot.log.  The data a script plots are written beforehand as plain
 * whitespace columns under OUT/data/ (sb_gp_open_data).
 */
#ifndef SB_REPORT_GNUPLOT_H
#define SB_REPORT_GNUPLOT_H

#include "../core/common.h"

#include <stdio.h>

#define SB_GP_PATH 4300   /* capacity of a data file path */

struct sb_gp;

/*
 * Finds the scripts: 'scripts' (--scripts), else $SENTIBT_REPORT_SCRIPTS, else next to
 * the binary (BIN/../../scripts/report as built, BIN/../share/sentibt/report as
 * installed, BIN/scripts/report), else ./scripts/report; the folder must hold
 * heatmap.gp.  Free with sb_gp_free().
 */
enum sb_err sb_gp_new(struct sb_gp **g, const char *scripts, struct sb_errbuf *err);
void sb_gp_free(struct sb_gp *g);          /* waits for the gnuplots still running */

/* A chart's variables: sb_gp_begin() clears them, then one call per variable. */
void sb_gp_begin(struct sb_gp *g);
void sb_gp_str(struct sb_gp *g, const char *name, const char *value);   /* quoted */
/*
 * A title for a chart: sb_gp_str() with the text broken into lines of at most about
 * SB_GP_TEXT_WIDTH characters at spaces (a 1000-pixel figure shows ~110 at font 12;
 * longer lines were cut at both edges), up to SB_GP_TEXT_MAX - 1 bytes.
 */
#define SB_GP_TEXT_WIDTH 100
#define SB_GP_TEXT_MAX 1024
void sb_gp_text(struct sb_gp *g, const char *name, const char *value);
/* The breaking of sb_gp_text(): 'in' into 'out' (cap bytes, cut to fit), the line
 * breaks of 'in' made spaces first. */
void sb_gp_wrap(const char *in, char *out, size_t cap);
void sb_gp_num(struct sb_gp *g, const char *name, double v);            /* %.17g */

/*
 * Starts 'script' with the variables, plus fmt, out and script_dir, once for PNG and
 * once for SVG: OUTDIR/BASE.png and OUTDIR/BASE.svg.  Up to 4 gnuplots run at once
 * (the data files are complete before they start); a failure (gnuplot missing or
 * exiting non-zero, its messages in OUTDIR/data/gnuplot.log) is returned by a later
 * sb_gp_run or by sb_gp_finish.
 */
enum sb_err sb_gp_run(struct sb_gp *g, const char *script, const char *outdir,
		      const char *base, struct sb_errbuf *err);
/* Waits for every gnuplot started; the first failure. */
enum sb_err sb_gp_finish(struct sb_gp *g, struct sb_errbuf *err);

/* Creates OUTDIR/data/BASE.dat for writing; its path goes to 'dat' (for sb_gp_str). */
FILE *sb_gp_open_data(const char *outdir, const char *base, char dat[SB_GP_PATH],
		      struct sb_errbuf *err);

#endif
