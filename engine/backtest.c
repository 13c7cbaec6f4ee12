/* backtest.c - a recorded run of one combination */
#include "backtest.h"

#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "../strategies/strategy.h"

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

enum sb_err sb_backtest_recorded_range(const struct sb_candles *c, const struct sb_events *ev,
				       const struct sb_combo *combo, size_t first, size_t n_sim,
				       struct sb_recorder *rec, struct sb_metrics *m,
				       struct sb_errbuf *err)
{
	struct sb_signal_params sp;
	struct sb_trade_params tp;
	struct sb_accum acc;
	size_t n = c->n ? c->n : 1;
	double *signal = sb_aligned_alloc(n * sizeof(double));
	uint32_t *nwin = sb_aligned_alloc(n * sizeof(uint32_t));
	enum sb_err rc;

	memset(rec, 0, sizeof(*rec));
	rec->position = sb_aligned_alloc(n * sizeof(double));
	rec->equity = sb_aligned_alloc(n * sizeof(double));
	rec->drawdown = sb_aligned_alloc(n * sizeof(double));
	if (!signal || !nwin || !rec->position || !rec->equity || !rec->drawdown) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}
	sb_combo_signal_params(combo, &sp);
	sb_combo_trade_params(combo, &tp);
	{
		struct sb_signal_work w;
		const struct sb_strategy *s = combo->strategy ? combo->strategy : sb_strategies[0];

		sb_signal_work_init(&w);
		rc = s->signal(&w, c, ev, &sp, signal, nwin, NULL, err);
		sb_signal_work_release(&w);
	}
	if (rc)
		goto out_free;
	if (first > c->n || n_sim > c->n - first || n_sim == 0) {
		rc = sb_errf(err, SB_EINVAL, "candle range [%zu, +%zu) outside the %zu candles",
			     first, n_sim, c->n);
		goto out_free;
	}
	rec->n_in_window = nwin + first;
	sb_accum_init(&acc);
	{
		const struct sb_bars b = { c->open + first, c->high + first, c->low + first,
					   c->close + first };

		sb_sim_bars(n_sim, &b, signal + first, &tp, &acc, rec);
	}
	rec->n_in_window = NULL;
	if (rec->oom) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory recording trades");
		goto out_free;
	}
	sb_metrics_finish(&acc, n_sim, c->interval_us, m);
out_free:
	free(signal);
	free(nwin);
	if (rc)
		sb_recorder_release(rec);
	return rc;
}

enum sb_err sb_backtest_write_curves(const struct sb_candles *c, const struct sb_recorder *rec,
				     const char *equity_path, const char *trades_path,
				     struct sb_errbuf *err)
{
	enum sb_err rc = sb_write_equity_csv(equity_path, c, rec, err);

	return rc ? rc : sb_write_trades_csv(trades_path, c, rec, err);
}
