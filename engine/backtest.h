/* backtest.h - one combination on the scalar path, with its curves and trade log */
#ifndef SB_BACKTEST_H
#define SB_BACKTEST_H

#include "grid.h"
#include "sim.h"
#include "../loaders/candles.h"
#include "../loaders/events.h"

/*
 * sb_backtest_recorded() builds the combination's signal and runs sb_sim_scalar()
 * with a recorder: rec receives per-candle position/equity/drawdown arrays and the
 * trades (free them with sb_recorder_release()).  The metrics equal the sweep's for
 * the same combination, bit for bit.
 */
enum sb_err sb_backtest_recorded(const struct sb_candles *c, const struct sb_events *ev,
				 const struct sb_combo *combo, struct sb_recorder *rec,
				 struct sb_metrics *m, struct sb_errbuf *err);
/*
 * The same, trading only the candles [first, first + n) (signals still built over all
 * of 'c'); rec's arrays and trade indices are relative to 'first': write them with
 * sb_candles_view(c, first, n, ...).
 */
enum sb_err sb_backtest_recorded_range(const struct sb_candles *c, const struct sb_events *ev,
				       const struct sb_combo *combo, size_t first, size_t n,
				       struct sb_recorder *rec, struct sb_metrics *m,
				       struct sb_errbuf *err);
void sb_recorder_release(struct sb_recorder *rec);

/* Writes equity and trade files for one recorded combination to the given paths. */
enum sb_err sb_backtest_write_curves(const struct sb_candles *c, const struct sb_recorder *rec,
				     const char *equity_path, const char *trades_path,
				     struct sb_errbuf *err);

#endif
