/* sim.h - the portfolio simulation of the threshold strategy (DESIGN steps 3-7) */
#ifndef SB_SIM_H
#define SB_SIM_H

#include "../core/common.h"

#define SB_INITIAL_EQUITY 10000.0

/* The per-lane parameters: what varies inside a signal group. */
/*
 * The signal, h and e are in one unit; the engine uses 10^-9 (strategies/mean.c
 * explains why the comparisons are then exact), so h = 0.5 is 500000000.0 here.
 */
struct sb_trade_params {
	double threshold;   /* h */
	double exit_band;   /* e */
	double cost;        /* f = fee + slippage, a fraction per side */
	/*
	 * Exits and sides (DESIGN "Exits and sides"); all zero = off, as above.  Each level
	 * is a price times one of these factors, formed exactly from the decimals and
	 * rounded to a double once (engine/grid.c); [0] for a long, [1] for a short:
	 * stop 1 - SL | 1 + SL, take 1 + TP | 1 - TP, trail 1 - TS | 1 + TS.
	 */
	unsigned exits;             /* SB_EXIT_ON_* bits */
	int      side;              /* 0 both, +1 long only, -1 short only */
	uint64_t max_hold;          /* candles, with SB_EXIT_ON_TIME */
	double   stop_f[2], take_f[2], trail_f[2];
};

enum { SB_EXIT_ON_STOP = 1, SB_EXIT_ON_TAKE = 2, SB_EXIT_ON_TRAIL = 4, SB_EXIT_ON_TIME = 8 };

/* True when p trades as the exit-free rule: no risk exit, both sides. */
static inline bool sb_trade_params_plain(const struct sb_trade_params *p)
{
	return !p->exits && !p->side;
}

/* Why a trade ended; "end" = still open after the last candle (step 6). */
enum sb_exit_reason {
	SB_EXIT_SIGNAL, SB_EXIT_STOP, SB_EXIT_TAKE, SB_EXIT_TRAIL, SB_EXIT_TIME, SB_EXIT_END,
	SB_N_EXIT_REASONS
};
extern const char *const sb_exit_reason_names[SB_N_EXIT_REASONS];

/*
 * The running state of one combination.  Only these sums live during a pass, so a
 * sweep needs O(combinations) memory whatever the number of candles.
 */
struct sb_accum {
	double cash, q;                 /* q: signed units held */
	double e_prev, peak, max_dd;
	double sum_r, sum_r2, sum_down2;    /* per-candle returns r_i = E_i/E_{i-1} - 1 */
	/* sum r^3, r^4 (skewness, kurtosis for the PSR/DSR in stats.h): every kernel adds
	 * r2 * r and r2 * r2 (r2 = r * r) right after sum_r2, so all stay bit-identical. */
	double sum_r3, sum_r4;
	double exposure;                /* candles ending in a position */
	double entry_equity;            /* cash before the open trade's entry */
	double gross_win, gross_loss, sum_trade_ret;
	uint64_t trades, closed, wins;
	int pos;                        /* -1 short, 0 flat, +1 long */
	/* Exits (sb_trade_params.exits): the open trade's entry price P, candle and best
	 * price M (highest high for a long, lowest low for a short) since its entry. */
	double entry_price, best;
	size_t entry_i;
	bool wait_rearm;                /* after a risk exit: until some |s| < e */
	uint64_t risk_exits[SB_N_EXIT_REASONS];   /* stop, take, trail, time ([0] unused) */
};

/* One trade, for trades.csv (only recorded on the scalar path). */
struct sb_trade {
	size_t   entry_i, exit_i;       /* candle indices (exit_i unused when open) */
	int      side;                  /* +1 long, -1 short */
	double   entry_price, exit_price, size, pnl, ret, costs;
	double   signal;                /* in the unit of the signal (10^-9) */
	uint32_t articles;
	bool     open;
	enum sb_exit_reason reason;     /* SB_EXIT_END while open */
};

/* Optional per-candle and per-trade output of the scalar path. */
struct sb_recorder {
	double *position, *equity, *drawdown;   /* n each, or NULL */
	const uint32_t *n_in_window;            /* articles per candle window, or NULL */
	struct sb_trade *trades;                /* grown with realloc */
	size_t n_trades, cap_trades;
	bool   oom;
};

struct sb_metrics {
	/* NaN where undefined: written as null (JSON) or an empty cell (CSV). */
	double total_return, sharpe, sortino, max_drawdown, calmar, win_rate,
	       profit_factor, exposure, avg_trade_return, final_equity;
	uint64_t trades, closed_trades;
	/* Moments of the per-candle returns for the PSR/DSR (stats.h), not in
	 * sb_metric_names: sharpe_pc = mean / std (ddof 1), not annualised; skew = m3/m2^1.5;
	 * kurtosis = m4/m2^2, RAW (3 for a normal), m_k the central moments over n. */
	double sharpe_pc, skew, kurtosis;
	/* Closed trades by why they ended (signal, stop, take, trail, time; [SB_EXIT_END]
	 * = trades still open). */
	uint64_t exits[SB_N_EXIT_REASONS];
};

void sb_accum_init(struct sb_accum *a);

/*
 * sb_step_transition() is step 3-4 for one candle: at most one transition (enter long,
 * enter short, or exit) at close c with signal s.  The SIMD kernels call this very
 * function for the lanes that change, so both paths round identically.  Returns true
 * when a transition happened.
 */
bool sb_step_transition(struct sb_accum *a, const struct sb_trade_params *p, double c,
			double s, size_t i, struct sb_recorder *rec);

/* Step 5 and the running sums: mark equity at close c. */
static inline void sb_step_mark(struct sb_accum *a, double c)
{
	double e = a->cash + a->q * c;
	double r = e / a->e_prev - 1.0;
	double r2 = r * r;
	double dd;

	a->sum_r += r;
	a->sum_r2 += r2;
	a->sum_r3 += r2 * r;
	a->sum_r4 += r2 * r2;
	if (r < 0.0)
		a->sum_down2 += r2;
	a->e_prev = e;
	if (e > a->peak)
		a->peak = e;
	dd = 1.0 - e / a->peak;
	if (dd > a->max_dd)
		a->max_dd = dd;
	if (a->pos != 0)
		a->exposure += 1.0;
}

/* The prices of n candles; for close-only data open = high = low = close. */
struct sb_bars {
	const double *open, *high, *low, *close;
};

/*
 * sb_sim_bars() is the reference path: runs n candles for one combination, with the
 * risk exits and sides of p (DESIGN "Exits and sides"; the open, high and low are only
 * read when p has risk exits).  'rec' may be NULL.  The open position at the end stays
 * open (DESIGN step 6).
 *
 * Choices where DESIGN is silent: with a fixed and a trailing stop at the same level
 * the exit counts as "stop"; a time exit is taken at the close after the signal rule,
 * so a signal exit at that close counts as "signal".
 */
void sb_sim_bars(size_t n, const struct sb_bars *b, const double *signal,
		 const struct sb_trade_params *p, struct sb_accum *a, struct sb_recorder *rec);
/*
 * One candle of sb_sim_bars() before its mark: the intrabar exits, the signal's
 * transition at the close (s NaN: none), the time exit.  Returns true when the book
 * entered or exited (a flat book that did neither needs no mark: it changes nothing).
 */
bool sb_step_candle(struct sb_accum *a, const struct sb_trade_params *p,
		    const struct sb_bars *b, double s, size_t i, struct sb_recorder *rec);
/* sb_sim_bars() on close-only candles. */
void sb_sim_scalar(size_t n, const double *close, const double *signal,
		   const struct sb_trade_params *p, struct sb_accum *a, struct sb_recorder *rec);

/*
 * The buy-and-hold benchmark over the same candles: all in at the first candle's open,
 * no costs, marked at every close (E_i = q c_i, q = 10,000 / open_0), so its metrics are
 * defined exactly as the strategy's (the same sb_step_mark()).  It is the number a
 * strategy has to beat: the asset's own return, Sharpe and drawdown over the period.
 */
void sb_buy_hold(size_t n, double open0, const double *close, int64_t interval_us,
		 struct sb_metrics *m);
/* Its equity at candle i, as sb_buy_hold() marks it. */
static inline double sb_buy_hold_equity(double open0, double close_i)
{
	return SB_INITIAL_EQUITY / open0 * close_i;
}

/* Step 7: metrics from the sums; interval_us gives the annualisation. */
void sb_metrics_finish(const struct sb_accum *a, size_t n, int64_t interval_us,
		       struct sb_metrics *m);

/* The metric names in summary/metrics order, and lookup by name for ranking. */
extern const char *const sb_metric_names[];
#define SB_N_METRICS 12
double sb_metric_value(const struct sb_metrics *m, int idx);
int sb_metric_index(const char *name);       /* -1 when unknown */

#endif
