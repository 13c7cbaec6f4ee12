/* sim.c - trade transitions, the scalar reference simulation and the metrics */
#include "sim.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sb_exit_reason_names[SB_N_EXIT_REASONS] = {
	"signal", "stop", "take", "trail", "time", "end",
};

const char *const sb_metric_names[SB_N_METRICS] = {
	"total_return", "sharpe", "sortino", "max_drawdown", "calmar", "trades",
	"closed_trades", "win_rate", "profit_factor", "exposure", "avg_trade_return",
	"final_equity",
};

void sb_accum_init(struct sb_accum *a)
{
	memset(a, 0, sizeof(*a));
	a->cash = SB_INITIAL_EQUITY;
	a->e_prev = SB_INITIAL_EQUITY;
	a->peak = SB_INITIAL_EQUITY;
}

static struct sb_trade *record_trade(struct sb_recorder *rec)
{
	if (!rec || rec->oom)
		return NULL;
	if (rec->n_trades == rec->cap_trades) {
		size_t ncap = rec->cap_trades ? rec->cap_trades * 2 : 64;
		struct sb_trade *t = realloc(rec->trades, ncap * sizeof(*t));

		if (!t) {
			rec->oom = true;
			return NULL;
		}
		rec->trades = t;
		rec->cap_trades = ncap;
	}
	return &rec->trades[rec->n_trades++];
}

/* Closes the position at price x (step 4's exit fill), for 'why'. */
static void close_at(struct sb_accum *a, double f, double x, size_t i, enum sb_exit_reason why,
		     struct sb_recorder *rec)
{
	double amt = fabs(a->q) * x;
	double fee = amt * f;
	double pnl;

	if (a->pos > 0)
		a->cash = a->cash + (amt - fee);
	else
		a->cash = a->cash - (amt + fee);
	pnl = a->cash - a->entry_equity;
	a->closed++;
	if (a->cash > a->entry_equity) {
		a->wins++;
		a->gross_win += pnl;
	} else {
		a->gross_loss -= pnl;
	}
	a->sum_trade_ret += a->cash / a->entry_equity - 1.0;
	if (why != SB_EXIT_SIGNAL) {
		a->risk_exits[why]++;
		a->wait_rearm = true;
	}
	if (rec && !rec->oom && rec->n_trades) {
		struct sb_trade *t = &rec->trades[rec->n_trades - 1];

		t->exit_i = i;
		t->exit_price = x;
		t->pnl = pnl;
		t->ret = a->cash / a->entry_equity - 1.0;
		t->costs += fee;
		t->open = false;
		t->reason = why;
	}
	a->q = 0.0;
	a->pos = 0;
}

bool sb_step_transition(struct sb_accum *a, const struct sb_trade_params *p, double c,
			double s, size_t i, struct sb_recorder *rec)
{
	double f = p->cost;

	if (a->pos == 0) {
		int side = s > p->threshold ? 1 : s < -p->threshold ? -1 : 0;
		double q, amt, fee;
		struct sb_trade *t;

		/* After a risk exit: no entry until a close whose |s| < e (this one counts). */
		if (a->wait_rearm) {
			if (!(fabs(s) < p->exit_band))
				return false;
			a->wait_rearm = false;
		}
		/* long-only ignores short entries and the reverse */
		if (p->side && side != p->side)
			side = 0;
		/*
		 * A short that lost more than the whole book leaves cash <= 0: the book is
		 * ruined and enters no more trades (an all-in entry would hold negative units).
		 */
		if (!side || !(a->cash > 0.0))
			return false;
		/* All in, vectorbt from_signals style: q = cash / (c (1 + f)). */
		q = a->cash / (c * (1.0 + f));
		amt = q * c;
		fee = amt * f;
		a->entry_equity = a->cash;
		if (side > 0)
			a->cash = a->cash - (amt + fee);
		else
			a->cash = a->cash + (amt - fee);
		a->q = side > 0 ? q : -q;
		a->pos = side;
		a->trades++;
		a->entry_price = c;
		a->best = c;
		a->entry_i = i;
		t = record_trade(rec);
		if (t) {
			memset(t, 0, sizeof(*t));
			t->entry_i = i;
			t->side = side;
			t->entry_price = c;
			t->size = q;
			t->costs = fee;
			t->signal = s;
			t->articles = rec->n_in_window ? rec->n_in_window[i] : 0;
			t->open = true;
			t->reason = SB_EXIT_END;
		}
		return true;
	}
	if (fabs(s) < p->exit_band) {
		close_at(a, f, c, i, SB_EXIT_SIGNAL, rec);
		return true;
	}
	return false;
}

/*
 * The intrabar checks of candle i > entry (DESIGN "Exits and sides"): the stop (the
 * nearer of the fixed and the trailing one) at the open, else at its level when the
 * low (long) or high (short) reaches it; then the take the same way.  Then the
 * candle's own extreme updates the best price.  Returns true when the book exited.
 */
static bool step_risk(struct sb_accum *a, const struct sb_trade_params *p, double o,
		      double hi, double lo, size_t i, struct sb_recorder *rec)
{
	const int k = a->pos > 0 ? 0 : 1;
	enum sb_exit_reason why = SB_EXIT_SIGNAL;
	double stop = 0.0;

	if (p->exits & SB_EXIT_ON_STOP) {
		stop = a->entry_price * p->stop_f[k];
		why = SB_EXIT_STOP;
	}
	if (p->exits & SB_EXIT_ON_TRAIL) {
		double t = a->best * p->trail_f[k];

		/* the nearer applies; at the same level the fixed stop names the exit */
		if (why == SB_EXIT_SIGNAL || (k == 0 ? t > stop : t < stop)) {
			stop = t;
			why = SB_EXIT_TRAIL;
		}
	}
	if (why != SB_EXIT_SIGNAL) {
		if (k == 0 ? o <= stop : o >= stop) {
			close_at(a, p->cost, o, i, why, rec);
			return true;
		}
		if (k == 0 ? lo <= stop : hi >= stop) {
			close_at(a, p->cost, stop, i, why, rec);
			return true;
		}
	}
	if (p->exits & SB_EXIT_ON_TAKE) {
		double take = a->entry_price * p->take_f[k];

		if (k == 0 ? o >= take : o <= take) {
			close_at(a, p->cost, o, i, SB_EXIT_TAKE, rec);
			return true;
		}
		if (k == 0 ? hi >= take : lo <= take) {
			close_at(a, p->cost, take, i, SB_EXIT_TAKE, rec);
			return true;
		}
	}
	if (k == 0 ? hi > a->best : lo < a->best)
		a->best = k == 0 ? hi : lo;
	return false;
}

bool sb_step_candle(struct sb_accum *a, const struct sb_trade_params *p,
		    const struct sb_bars *b, double s, size_t i, struct sb_recorder *rec)
{
	/* a position open before this candle (entries happen at closes) */
	if (a->pos != 0 && (p->exits & ~(unsigned)SB_EXIT_ON_TIME) &&
	    step_risk(a, p, b->open[i], b->high[i], b->low[i], i, rec)) {
		/* flat at this close; its signal may re-arm, but no entry before the next */
		if (!isnan(s) && fabs(s) < p->exit_band)
			a->wait_rearm = false;
		return true;
	}
	if (!isnan(s) && sb_step_transition(a, p, b->close[i], s, i, rec))
		return true;
	if (a->pos != 0 && (p->exits & SB_EXIT_ON_TIME) && i - a->entry_i >= p->max_hold) {
		close_at(a, p->cost, b->close[i], i, SB_EXIT_TIME, rec);
		return true;
	}
	return false;
}

void sb_sim_bars(size_t n, const struct sb_bars *b, const double *signal,
		 const struct sb_trade_params *p, struct sb_accum *a, struct sb_recorder *rec)
{
	const double *close = b->close;

	for (size_t i = 0; i < n; i++) {
		sb_step_candle(a, p, b, signal[i], i, rec);
		sb_step_mark(a, close[i]);
		if (rec) {
			if (rec->position)
				rec->position[i] = a->q;
			if (rec->equity)
				rec->equity[i] = a->e_prev;
			if (rec->drawdown)
				rec->drawdown[i] = 1.0 - a->e_prev / a->peak;
		}
	}
	/* An open trade is marked at the last close, without exit cost (step 6). */
	if (rec && !rec->oom && rec->n_trades && rec->trades[rec->n_trades - 1].open && n) {
		struct sb_trade *t = &rec->trades[rec->n_trades - 1];

		t->exit_i = n - 1;
		t->exit_price = close[n - 1];
		t->pnl = a->e_prev - a->entry_equity;
		t->ret = a->e_prev / a->entry_equity - 1.0;
	}
}

void sb_sim_scalar(size_t n, const double *close, const double *signal,
		   const struct sb_trade_params *p, struct sb_accum *a, struct sb_recorder *rec)
{
	const struct sb_bars b = { close, close, close, close };

	sb_sim_bars(n, &b, signal, p, a, rec);
}

void sb_metrics_finish(const struct sb_accum *a, size_t n, int64_t interval_us,
		       struct sb_metrics *m)
{
	double ann = sqrt(365.0 * (double)SB_US_PER_DAY / (double)interval_us);
	double years = (double)n * (double)interval_us / (365.0 * (double)SB_US_PER_DAY);
	double mean = n ? a->sum_r / (double)n : NAN;

	m->final_equity = a->e_prev;
	m->total_return = a->e_prev / SB_INITIAL_EQUITY - 1.0;
	m->max_drawdown = a->max_dd;
	m->trades = a->trades;
	m->closed_trades = a->closed;
	m->exposure = n ? a->exposure / (double)n : NAN;
	m->sharpe = NAN;
	m->sharpe_pc = NAN;
	m->skew = NAN;
	m->kurtosis = NAN;
	if (n >= 2) {
		double var = (a->sum_r2 - a->sum_r * mean) / (double)(n - 1);

		if (var > 0.0) {
			m->sharpe_pc = mean / sqrt(var);
			m->sharpe = m->sharpe_pc * ann;
			sb_moments_from_sums((double)n, a->sum_r, a->sum_r2, a->sum_r3, a->sum_r4,
					     &m->skew, &m->kurtosis);
		}
	}
	m->sortino = n && a->sum_down2 > 0.0 ? mean / sqrt(a->sum_down2 / (double)n) * ann : NAN;
	m->calmar = NAN;
	if (a->max_dd > 0.0 && years > 0.0 && a->e_prev > 0.0)
		m->calmar = (pow(a->e_prev / SB_INITIAL_EQUITY, 1.0 / years) - 1.0) / a->max_dd;
	{
		uint64_t risk = 0;

		for (int r = SB_EXIT_STOP; r < SB_EXIT_END; r++) {
			m->exits[r] = a->risk_exits[r];
			risk += a->risk_exits[r];
		}
		m->exits[SB_EXIT_SIGNAL] = a->closed - risk;
		m->exits[SB_EXIT_END] = a->trades - a->closed;
	}
	m->win_rate = a->closed ? (double)a->wins / (double)a->closed : NAN;
	m->profit_factor = a->gross_loss > 0.0 ? a->gross_win / a->gross_loss : NAN;
	m->avg_trade_return = a->closed ? a->sum_trade_ret / (double)a->closed : NAN;
	/* An overflowing ratio (Calmar over a few hours, say) is undefined, not inf. */
	{
		double *const all[] = { &m->total_return, &m->sharpe, &m->sortino, &m->max_drawdown,
					&m->calmar, &m->win_rate, &m->profit_factor, &m->exposure,
					&m->avg_trade_return, &m->final_equity, &m->sharpe_pc,
					&m->skew, &m->kurtosis };

		for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
			if (!isfinite(*all[k]))
				*all[k] = NAN;
	}
}

double sb_metric_value(const struct sb_metrics *m, int idx)
{
	switch (idx) {
	case 0: return m->total_return;
	case 1: return m->sharpe;
	case 2: return m->sortino;
	case 3: return m->max_drawdown;
	case 4: return m->calmar;
	case 5: return (double)m->trades;
	case 6: return (double)m->closed_trades;
	case 7: return m->win_rate;
	case 8: return m->profit_factor;
	case 9: return m->exposure;
	case 10: return m->avg_trade_return;
	case 11: return m->final_equity;
	default: return NAN;
	}
}

int sb_metric_index(const char *name)
{
	for (int i = 0; i < SB_N_METRICS; i++)
		if (strcmp(sb_metric_names[i], name) == 0)
			return i;
	return -1;
}

void sb_buy_hold(size_t n, double open0, const double *close, int64_t interval_us,
		 struct sb_metrics *m)
{
	struct sb_accum a;

	sb_accum_init(&a);
	a.q = SB_INITIAL_EQUITY / open0;
	a.cash = 0.0;
	a.pos = 1;
	a.trades = 1;
	for (size_t i = 0; i < n; i++)
		sb_step_mark(&a, close[i]);
	sb_metrics_finish(&a, n, interval_us, m);
}
