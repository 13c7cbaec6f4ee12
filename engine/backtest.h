/* backtest.h - one combination on the scalar path, with its curves and trade log */
#ifndef SB_BACKTEST_H
#define SB_BACKTEST_H

#include "grid.h"
#include "sim.h"
#include "../strategies/strategy.h"
#include "../loaders/candles.h"
#include "../loaders/events.h"

/*
 * sb_backtest_recorded() builds the combination's signal and runs sb_sim_scalar()
 * with a recorder: rec receives per-candle position and equity arrays (no drawdown:
 * sb_write_equity_csv() takes it from the equity) and the trades (free them with
 * sb_recorder_release()).  The metrics equal the sweep's for
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

/*
 * Buffers for many recorded runs on one thread (the curves of a sweep's top
 * combinations): the signal, the strategy's scratch space and the recorder's arrays are
 * allocated once and reused, and the signal is kept when the next combination has the
 * same strategy and signal parameters (same candles and events).
 */
struct sb_backtest_work {
	struct sb_signal_work sw;
	double *signal, *position, *equity;   /* no drawdown: written from the equity */
	uint32_t *nwin;
	size_t cap;                       /* candles the arrays above hold */
	struct sb_trade *trades;          /* the recorder's trades, kept for their room */
	size_t cap_trades;
	bool have_signal;                 /* signal holds the one of these: */
	const void *strategy;
	struct sb_signal_params sp;
	const struct sb_candles *c;
	const struct sb_events *ev;
};

void sb_backtest_work_init(struct sb_backtest_work *w);
void sb_backtest_work_release(struct sb_backtest_work *w);
/* w's signal array with room for n candles, for a caller that builds signals in it
 * with w->sw (the sweep); w no longer holds a signal of its own.  NULL: no memory. */
double *sb_backtest_work_signal(struct sb_backtest_work *w, size_t n);
/*
 * sb_backtest_recorded_range() on w's buffers: rec's arrays and trades belong to w and
 * stay valid until the next call or sb_backtest_work_release() (do not release rec).
 */
enum sb_err sb_backtest_recorded_work(struct sb_backtest_work *w, const struct sb_candles *c,
				      const struct sb_events *ev, const struct sb_combo *combo,
				      size_t first, size_t n, struct sb_recorder *rec,
				      struct sb_metrics *m, struct sb_errbuf *err);

/* Writes equity and trade files for one recorded combination to the given paths. */
enum sb_err sb_backtest_write_curves(const struct sb_candles *c, const struct sb_recorder *rec,
				     const char *equity_path, const char *trades_path,
				     struct sb_errbuf *err);

#endif
