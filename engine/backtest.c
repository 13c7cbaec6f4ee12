/* backtest.c - a recorded run of one combination */
#include "backtest.h"

#include <stdlib.h>
#include <string.h>

#include "results.h"

void sb_recorder_release(struct sb_recorder *rec)
{
	free(rec->position);
	free(rec->equity);
	free(rec->drawdown);
	free(rec->trades);
	memset(rec, 0, sizeof(*rec));
}

enum sb_err sb_backtest_recorded(const struct sb_candles *c, const struct sb_events *ev,
				 const struct sb_combo *combo, struct sb_recorder *rec,
				 struct sb_metrics *m, struct sb_errbuf *err)
{
	return sb_backtest_recorded_range(c, ev, combo, 0, c->n, rec, m, err);
}

void sb_backtest_work_init(struct sb_backtest_work *w)
{
	memset(w, 0, sizeof(*w));
	sb_signal_work_init(&w->sw);
}

void sb_backtest_work_release(struct sb_backtest_work *w)
{
	sb_signal_work_release(&w->sw);
	free(w->signal);
	free(w->nwin);
	free(w->position);
	free(w->equity);
	free(w->trades);
	sb_backtest_work_init(w);
}

/* Room for n candles; every array is written whole before it is read. */
static bool work_room(struct sb_backtest_work *w, size_t n)
{
	if (n <= w->cap && w->signal)
		return true;
	free(w->signal);
	free(w->nwin);
	free(w->position);
	free(w->equity);
	w->signal = sb_aligned_alloc_raw(n * sizeof(double));
	w->nwin = sb_aligned_alloc_raw(n * sizeof(uint32_t));
	w->position = sb_aligned_alloc_raw(n * sizeof(double));
	w->equity = sb_aligned_alloc_raw(n * sizeof(double));
	w->cap = n;
	w->have_signal = false;
	return w->signal && w->nwin && w->position && w->equity;
}

double *sb_backtest_work_signal(struct sb_backtest_work *w, size_t n)
{
	if (!work_room(w, n ? n : 1)) {
		sb_backtest_work_release(w);
		return NULL;
	}
	w->have_signal = false;
	return w->signal;
}

enum sb_err sb_backtest_recorded_work(struct sb_backtest_work *w, const struct sb_candles *c,
				      const struct sb_events *ev, const struct sb_combo *combo,
				      size_t first, size_t n_sim, struct sb_recorder *rec,
				      struct sb_metrics *m, struct sb_errbuf *err)
{
	const struct sb_strategy *s = combo->strategy ? combo->strategy : sb_strategies[0];
	struct sb_signal_params sp;
	struct sb_trade_params tp;
	struct sb_accum acc;
	enum sb_err rc;

	memset(rec, 0, sizeof(*rec));
	if (!work_room(w, c->n ? c->n : 1)) {
		sb_backtest_work_release(w);
		return sb_errf(err, SB_ENOMEM, "out of memory");
	}
	sb_combo_signal_params(combo, &sp);
	sb_combo_trade_params(combo, &tp);
	if (!w->have_signal || w->strategy != (const void *)s || w->c != c || w->ev != ev ||
	    memcmp(&w->sp, &sp, sizeof(sp)) != 0) {
		w->have_signal = false;
		rc = s->signal(&w->sw, c, ev, &sp, w->signal, w->nwin, NULL, err);
		if (rc)
			return rc;
		w->have_signal = true;
		w->strategy = s;
		w->sp = sp;
		w->c = c;
		w->ev = ev;
	}
	if (first > c->n || n_sim > c->n - first || n_sim == 0)
		return sb_errf(err, SB_EINVAL, "candle range [%zu, +%zu) outside the %zu candles",
			       first, n_sim, c->n);
	rec->position = w->position;
	rec->equity = w->equity;
	rec->drawdown = NULL;             /* the writer takes it from the equity */
	rec->trades = w->trades;
	rec->cap_trades = w->cap_trades;
	rec->n_in_window = w->nwin + first;
	sb_accum_init(&acc);
	{
		const struct sb_bars b = { c->open + first, c->high + first, c->low + first,
					   c->close + first };

		sb_sim_bars(n_sim, &b, w->signal + first, &tp, &acc, rec);
	}
	rec->n_in_window = NULL;
	w->trades = rec->trades;          /* grown with realloc */
	w->cap_trades = rec->cap_trades;
	if (rec->oom)
		return sb_errf(err, SB_ENOMEM, "out of memory recording trades");
	sb_metrics_finish(&acc, n_sim, c->interval_us, m);
	return SB_OK;
}

enum sb_err sb_backtest_recorded_range(const struct sb_candles *c, const struct sb_events *ev,
				       const struct sb_combo *combo, size_t first, size_t n_sim,
				       struct sb_recorder *rec, struct sb_metrics *m,
				       struct sb_errbuf *err)
{
	struct sb_backtest_work w;
	enum sb_err rc;

	sb_backtest_work_init(&w);
	rc = sb_backtest_recorded_work(&w, c, ev, combo, first, n_sim, rec, m, err);
	if (!rc) {                        /* the arrays go to rec */
		w.position = w.equity = NULL;
		w.trades = NULL;
	} else {
		memset(rec, 0, sizeof(*rec));
	}
	sb_backtest_work_release(&w);
	return rc;
}

enum sb_err sb_backtest_write_curves(const struct sb_candles *c, const struct sb_recorder *rec,
				     const char *equity_path, const char *trades_path,
				     struct sb_errbuf *err)
{
	enum sb_err rc = sb_write_equity_csv(equity_path, c, rec, err);

	return rc ? rc : sb_write_trades_csv(trades_path, c, rec, err);
}
