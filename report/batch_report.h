/* batch_report.h - the page that compares the experiments of a batch run */
#ifndef SB_REPORT_BATCH_REPORT_H
#define SB_REPORT_BATCH_REPORT_H

#include "../run/batch.h"

/*
 * sb_batch_report() writes DIR/batch_report.html: a table of each experiment's best
 * combination (by its --rank-by) against buy and hold, and a bar chart of their total
 * returns (DIR/batch_returns.png and .svg, gnuplot's data and log under DIR/data/).
 * Without gnuplot the page says so and the call still succeeds: the tables are the
 * result.  'scripts' as sb_gp_new() takes it (NULL: found next to the binary).
 */
enum sb_err sb_batch_report(const char *dir, const char *title, const struct sb_batch_best *b,
			    size_t n, const char *scripts, struct sb_errbuf *err);

#endif
