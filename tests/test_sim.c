/* test_sim.c - DESIGN.md steps 3-7 (trading, equity, metrics), values worked by hand */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "../engine/sim.h"
#include "../strategies/strategy.h"

#define HOUR (INT64_C(3600) * SB_US_PER_SEC)
#define DAY  SB_US_PER_DAY
#define MIN  (INT64_C(60) * SB_US_PER_SEC)
#define T0   INT64_C(1704067200000000)   /* 2024-01-01T00:00:00Z */


/* A recorder with position/equity/drawdown arrays of n candles. */
struct rec_buf {
	struct sb_recorder rec;
	double pos[16], eq[16], dd[16];
};

static void rec_init(struct rec_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->rec.position = b->pos;
	b->rec.equity = b->eq;
	b->rec.drawdown = b->dd;
}

/* Runs n candles from a fresh book and finishes the metrics. */
static void run(size_t n, const double *close, const double *sig, double h, double e, double f,
		int64_t interval, struct sb_accum *a, struct rec_buf *b, struct sb_metrics *m)
{
	struct sb_trade_params p = { .threshold = h, .exit_band = e, .cost = f };

	rec_init(b);
	sb_accum_init(a);
	sb_sim_scalar(n, close, sig, &p, a, &b->rec);
	assert_false(b->rec.oom);
	sb_metrics_finish(a, n, interval, m);
}

/*
 * Long round trip with costs: cash 10000, f = 0.0005, h = 0.5, e = 0.1.
 *   close  {100, 105, 110}, signal {0.8, 0.6, 0.0}
 *   candle 0: flat, 0.8 > 0.5 -> long: q = 10000 / (100 * 1.0005) = 99.950024987506...
 *             cash = 10000 - q*100*1.0005 = 0;  E0 = q*100 = 9995.0024987506
 *   candle 1: |0.6| >= 0.1 -> hold;  E1 = q*105 = 10494.752623688
 *   candle 2: |0.0| <  0.1 -> exit:  cash = q*110*(1 - 0.0005) = 10989.005497251
 *   pnl = 989.005497251, costs = q*100*f + q*110*f = q*210*0.0005 = 10.494752623688
 *   total_return = 0.0989005497251, a win; exposure 2/3 (candles 0 and 1 end long)
 *   max drawdown: only E0 < 10000: 1 - E0/10000 = 1 - 100/100.05 = 0.05/100.05
 */
static void test_long_round_trip(void **state)
{
	const double close[] = { 100, 105, 110 }, sig[] = { 0.8, 0.6, 0.0 };
	const double f = 0.0005, q = 10000.0 / (100.0 * (1.0 + f));
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;
	const struct sb_trade *t;

	(void)state;
	run(3, close, sig, 0.5, 0.1, f, MIN, &a, &b, &m);
	NEAR(q, 99.950024987506247, 1e-14);
	NEAR(m.final_equity, q * 110.0 * (1.0 - f), 1e-12);
	NEAR(m.final_equity, 10989.005497251375, 1e-12);
	NEAR(m.total_return, 0.0989005497251375, 1e-11);
	assert_int_equal(m.trades, 1);
	assert_int_equal(m.closed_trades, 1);
	NEAR(m.win_rate, 1.0, 0);
	NEAR(m.avg_trade_return, 0.0989005497251375, 1e-11);
	IS_NAN(m.profit_factor);            /* no losing trade: gross loss 0 */
	NEAR(m.exposure, 2.0 / 3.0, 1e-15);
	NEAR(m.max_drawdown, 0.05 / 100.05, 1e-12);

	NEAR(b.eq[0], 9995.0024987506247, 1e-12);
	NEAR(b.eq[1], 10494.752623688157, 1e-12);
	NEAR(b.eq[2], 10989.005497251375, 1e-12);
	NEAR(b.pos[0], q, 1e-14);
	NEAR(b.pos[1], q, 1e-14);
	NEAR(b.pos[2], 0.0, 0);
	NEAR(b.dd[0], 0.05 / 100.05, 1e-12);
	NEAR(b.dd[1], 0.0, 0);
	NEAR(b.dd[2], 0.0, 0);

	assert_int_equal(b.rec.n_trades, 1);
	t = &b.rec.trades[0];
	assert_int_equal(t->entry_i, 0);
	assert_int_equal(t->exit_i, 2);
	assert_int_equal(t->side, 1);
	assert_false(t->open);
	NEAR(t->entry_price, 100.0, 0);
	NEAR(t->exit_price, 110.0, 0);
	NEAR(t->size, q, 1e-14);
	NEAR(t->pnl, 989.005497251375, 1e-10);
	NEAR(t->ret, 0.0989005497251375, 1e-11);
	NEAR(t->costs, 10.494752623688157, 1e-12);
	NEAR(t->signal, 0.8, 0);
	free(b.rec.trades);
}

/*
 * Short round trip, f = 0.001, h = 0.5, e = 0.1:
 *   close {200, 180, 160}, signal {-0.9, -0.7, 0.05}
 *   candle 0: -0.9 < -0.5 -> short q = 10000/(200*1.001) = 49.95004995005
 *             a = q*200 = 9990.00999001; cash = 10000 + a*(1-0.001)
 *             E0 = cash - q*200 = 10000 - a*0.001 = 9990.00999000999
 *   candle 1: hold; E1 = 10000 + a*0.999 - q*180 = 10989.010989011
 *   candle 2: |0.05| < 0.1 -> exit, cash -= q*160*(1+0.001)
 *             E2 = 10000 + q*(200*0.999 - 160*1.001) = 10000 + q*39.64 = 11980.01998002
 *   costs = q*200*0.001 + q*160*0.001 = q*0.36 = 17.98201798
 *   a win (price fell); max drawdown 1 - E0/10000 = 0.000999000999...
 */
static void test_short_round_trip(void **state)
{
	const double close[] = { 200, 180, 160 }, sig[] = { -0.9, -0.7, 0.05 };
	const double q = 10000.0 / 200.2;
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	run(3, close, sig, 0.5, 0.1, 0.001, MIN, &a, &b, &m);
	NEAR(b.eq[0], 9990.00999000999, 1e-12);
	NEAR(b.eq[1], 10989.010989010989, 1e-12);
	NEAR(m.final_equity, 11980.01998001998, 1e-12);
	NEAR(m.final_equity, 10000.0 + q * 39.64, 1e-12);
	NEAR(m.total_return, 0.1980019980019980, 1e-11);
	NEAR(b.pos[0], -q, 1e-14);
	NEAR(b.pos[1], -q, 1e-14);
	NEAR(b.pos[2], 0.0, 0);
	assert_int_equal(m.trades, 1);
	assert_int_equal(m.closed_trades, 1);
	NEAR(m.win_rate, 1.0, 0);
	NEAR(m.max_drawdown, 1.0 - 9990.00999000999 / 10000.0, 1e-12);
	assert_int_equal(b.rec.n_trades, 1);
	assert_int_equal(b.rec.trades[0].side, -1);
	NEAR(b.rec.trades[0].costs, q * 0.36, 1e-12);
	NEAR(b.rec.trades[0].pnl, q * 39.64, 1e-10);
	free(b.rec.trades);
}

/*
 * A ruined book enters no more trades: close {100, 300, 300, 310}, signal
 * {-0.9, 0, 0.9, 0}, h = 0.5, e = 0.1, f = 0.
 *   candle 0: short q = 10000/100 = 100; cash = 10000 + 100*100 = 20000; E0 = 20000 - 100*100 = 10000
 *   candle 1: |0| < e: exit, cash = 20000 - 100*300 = -10000; E1 = -10000
 *   candle 2: s = 0.9 > h, but cash <= 0: no entry (an all-in "long" would hold -33.3 units)
 *   candle 3: flat; E3 = -10000, total_return = -2, trades 1, closed 1, loss 20000
 */
static void test_ruined_book_stays_out(void **state)
{
	const double close[] = { 100, 300, 300, 310 }, sig[] = { -0.9, 0.0, 0.9, 0.0 };
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	run(4, close, sig, 0.5, 0.1, 0.0, MIN, &a, &b, &m);
	NEAR(b.eq[1], -10000.0, 0);
	NEAR(b.eq[3], -10000.0, 0);
	NEAR(b.pos[2], 0.0, 0);
	NEAR(b.pos[3], 0.0, 0);
	NEAR(m.total_return, -2.0, 0);
	assert_int_equal(m.trades, 1);
	assert_int_equal(m.closed_trades, 1);
	NEAR(m.win_rate, 0.0, 0);
	assert_int_equal(b.rec.n_trades, 1);
	free(b.rec.trades);
}

/*
 * Open at the end (step 6): close {100, 120}, signal {0.8, NaN}, f = 0.0005.
 *   long q = 10000/100.05 at candle 0, never exited.
 *   E1 = q*120 = 11994.002998500750 (no exit cost)
 *   trades 1, closed 0: win_rate, avg_trade_return, profit_factor empty (NaN)
 *   trade log: open, marked at candle 1 / 120, pnl = E1 - 10000, costs = entry fee only
 *   = q*100*0.0005 = 4.99750124937531
 */
static void test_open_at_end(void **state)
{
	const double close[] = { 100, 120 }, sig[] = { 0.8, NAN };
	const double q = 10000.0 / 100.05;
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;
	const struct sb_trade *t;

	(void)state;
	run(2, close, sig, 0.5, 0.1, 0.0005, MIN, &a, &b, &m);
	NEAR(m.final_equity, 11994.002998500750, 1e-12);
	NEAR(m.total_return, 0.1994002998500750, 1e-11);
	assert_int_equal(m.trades, 1);
	assert_int_equal(m.closed_trades, 0);
	IS_NAN(m.win_rate);
	IS_NAN(m.avg_trade_return);
	IS_NAN(m.profit_factor);
	NEAR(m.exposure, 1.0, 0);
	assert_int_equal(b.rec.n_trades, 1);
	t = &b.rec.trades[0];
	assert_true(t->open);
	assert_int_equal(t->entry_i, 0);
	assert_int_equal(t->exit_i, 1);
	NEAR(t->exit_price, 120.0, 0);
	NEAR(t->pnl, 1994.002998500750, 1e-10);
	NEAR(t->costs, 4.99750124937531, 1e-12);
	NEAR(b.pos[1], q, 1e-14);
	free(b.rec.trades);
}

/*
 * h < e (h = 0.05, e = 0.2), f = 0, close 100 throughout, signal 0.1 every candle:
 *   candle 0: flat, 0.1 > 0.05 -> long 100 units (|s| < e, but a flat book enters)
 *   candle 1: held, |0.1| < 0.2 -> exit (and NOT re-enter: one transition per candle)
 *   candle 2: enter again; candle 3: exit.
 * positions {100, 0, 100, 0}; trades 2, closed 2; equity stays 10000, so every
 * r_i = 0: std 0 -> Sharpe empty; no trade beats its entry equity -> win_rate 0.
 */
static void test_h_below_exit_band(void **state)
{
	const double close[] = { 100, 100, 100, 100 }, sig[] = { 0.1, 0.1, 0.1, 0.1 };
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	run(4, close, sig, 0.05, 0.2, 0.0, MIN, &a, &b, &m);
	NEAR(b.pos[0], 100.0, 1e-14);
	NEAR(b.pos[1], 0.0, 0);
	NEAR(b.pos[2], 100.0, 1e-14);
	NEAR(b.pos[3], 0.0, 0);
	assert_int_equal(m.trades, 2);
	assert_int_equal(m.closed_trades, 2);
	NEAR(m.final_equity, 10000.0, 1e-15);
	NEAR(m.win_rate, 0.0, 0);
	NEAR(m.exposure, 0.5, 0);
	IS_NAN(m.sharpe);
	free(b.rec.trades);
}

/*
 * The inequalities are strict: enter on s > h / s < -h, exit on |s| < e.
 *   h = 0.5, e = 0.125, f = 0, close 100; signal {0.5, -0.5, 0.75, 0.125, -0.125, 0.0625}
 *   0.5: not > 0.5, flat; -0.5: not < -0.5, flat; 0.75: long;
 *   0.125 and -0.125: |s| = e, not < e, hold; 0.0625 < e: exit.
 *   positions {0, 0, 100, 100, 100, 0}.
 */
static void test_strict_bounds(void **state)
{
	const double close[] = { 100, 100, 100, 100, 100, 100 };
	const double sig[] = { 0.5, -0.5, 0.75, 0.125, -0.125, 0.0625 };
	const double want[] = { 0, 0, 100, 100, 100, 0 };
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	run(6, close, sig, 0.5, 0.125, 0.0, MIN, &a, &b, &m);
	for (int i = 0; i < 6; i++)
		NEAR(b.pos[i], want[i], 1e-14);
	assert_int_equal(m.trades, 1);
	assert_int_equal(m.closed_trades, 1);
	NEAR(m.exposure, 0.5, 0);
	free(b.rec.trades);
}

/*
 * No signal holds: close {100, 90, 95, 100}, signal {0.8, NaN, NaN, 0.0}, f = 0
 *   long 100 units at 100, held through the NaNs, exit at 100: E {10000, 9000, 9500, 10000}
 * And a flat book stays flat on NaN (second run).
 */
static void test_nan_holds(void **state)
{
	const double close[] = { 100, 90, 95, 100 }, sig[] = { 0.8, NAN, NAN, 0.0 };
	const double none[] = { NAN, NAN, NAN, NAN };
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	run(4, close, sig, 0.5, 0.1, 0.0, MIN, &a, &b, &m);
	NEAR(b.pos[1], 100.0, 1e-14);
	NEAR(b.pos[2], 100.0, 1e-14);
	NEAR(b.pos[3], 0.0, 0);
	NEAR(b.eq[1], 9000.0, 1e-12);
	NEAR(b.eq[2], 9500.0, 1e-12);
	NEAR(m.final_equity, 10000.0, 1e-12);
	assert_int_equal(m.trades, 1);
	assert_int_equal(m.closed_trades, 1);
	NEAR(m.max_drawdown, 0.1, 1e-12);
	free(b.rec.trades);

	/* Never a signal: no trade; Sharpe empty (std 0); nothing moves. */
	run(4, close, none, 0.5, 0.1, 0.0005, MIN, &a, &b, &m);
	assert_int_equal(m.trades, 0);
	assert_int_equal(m.closed_trades, 0);
	NEAR(m.final_equity, 10000.0, 0);
	NEAR(m.total_return, 0.0, 0);
	NEAR(m.max_drawdown, 0.0, 0);
	NEAR(m.exposure, 0.0, 0);
	IS_NAN(m.sharpe);
	IS_NAN(m.sortino);
	IS_NAN(m.win_rate);
	IS_NAN(m.profit_factor);
	IS_NAN(m.avg_trade_return);
	IS_NAN(m.calmar);
	assert_int_equal(b.rec.n_trades, 0);
	for (int i = 0; i < 4; i++)
		NEAR(b.pos[i], 0.0, 0);
	free(b.rec.trades);
}

/*
 * No direct reversal: signal {0.8, -0.9, -0.9, 0.0}, f = 0, close 100.
 *   long at candle 0; s = -0.9 < -h but |s| >= e: held, stays long (no flip to short);
 *   exits at candle 3 (|0| < e). trades 1.
 */
static void test_no_direct_reversal(void **state)
{
	const double close[] = { 100, 100, 100, 100 }, sig[] = { 0.8, -0.9, -0.9, 0.0 };
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	run(4, close, sig, 0.5, 0.1, 0.0, MIN, &a, &b, &m);
	NEAR(b.pos[0], 100.0, 1e-14);
	NEAR(b.pos[1], 100.0, 1e-14);
	NEAR(b.pos[2], 100.0, 1e-14);
	NEAR(b.pos[3], 0.0, 0);
	assert_int_equal(m.trades, 1);
	assert_int_equal(b.rec.trades[0].side, 1);
	free(b.rec.trades);
}

/*
 * Drawdown, Sharpe, Sortino, Calmar: f = 0, long 100 units at candle 0, never exited.
 *   close {100, 120, 90, 130, 104} -> E {10000, 12000, 9000, 13000, 10400}
 *   running peak (with 10000): 10000, 12000, 12000, 13000, 13000
 *   drawdown: 0, 0, 1 - 9000/12000 = 0.25, 0, 1 - 10400/13000 = 0.2 -> max 0.25
 *   r (E_{-1} = 10000): 0, 1/5, -1/4, 4/9, -1/5
 *   mean = (1/5 - 1/4 + 4/9 - 1/5)/5 = (7/36)/5 = 7/180 = 0.038888...
 *   var (ddof=1) = sum (r - mean)^2 / 4 = 2693/32400 = 0.0831172839506...
 *   1h candles: 8760 per 365 days; Sharpe = (7/180)/sqrt(2693/32400)*sqrt(8760) = 12.6250153956...
 *   Sortino (downside deviation over all candles, target 0):
 *     sqrt((1/16 + 1/25)/5); Sortino = mean / that * sqrt(8760) = 25.4214698469...
 *   Calmar on 1d candles: years = 5/365, CAGR = 1.04^(365/5) - 1 = 1.04^73 - 1,
 *     Calmar = CAGR / 0.25.
 */
static void test_drawdown_sharpe(void **state)
{
	const double close[] = { 100, 120, 90, 130, 104 };
	const double sig[] = { 0.8, NAN, NAN, NAN, NAN };
	const double r[5] = { 0.0, 1.0 / 5, -1.0 / 4, 4.0 / 9, -1.0 / 5 };
	const double want_dd[5] = { 0, 0, 0.25, 0, 0.2 };
	double mean = 7.0 / 180.0, var = 0.0, sharpe, sortino;
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	/* Two-pass variance of the hand-derived returns, checked against the fraction. */
	for (int i = 0; i < 5; i++)
		var += (r[i] - mean) * (r[i] - mean);
	var /= 4.0;
	NEAR(var, 2693.0 / 32400.0, 1e-15);
	sharpe = mean / sqrt(2693.0 / 32400.0) * sqrt(8760.0);
	NEAR(sharpe, 12.625015395607413, 1e-13);
	sortino = mean / sqrt((1.0 / 16 + 1.0 / 25) / 5.0) * sqrt(8760.0);
	NEAR(sortino, 25.421469846921884, 1e-13);

	run(5, close, sig, 0.5, 0.1, 0.0, HOUR, &a, &b, &m);
	for (int i = 0; i < 5; i++)
		NEAR(b.dd[i], want_dd[i], 1e-15);
	NEAR(b.eq[3], 13000.0, 1e-12);
	NEAR(m.final_equity, 10400.0, 1e-12);
	NEAR(m.total_return, 0.04, 1e-14);
	NEAR(m.max_drawdown, 0.25, 1e-15);
	NEAR(m.sharpe, sharpe, 1e-12);
	NEAR(m.sortino, sortino, 1e-12);
	NEAR(m.exposure, 1.0, 0);
	assert_int_equal(m.trades, 1);
	assert_int_equal(m.closed_trades, 0);
	free(b.rec.trades);

	run(5, close, sig, 0.5, 0.1, 0.0, DAY, &a, &b, &m);
	NEAR(m.sharpe, mean / sqrt(2693.0 / 32400.0) * sqrt(365.0), 1e-12);
	NEAR(m.calmar, (pow(1.04, 73.0) - 1.0) / 0.25, 1e-10);
	free(b.rec.trades);
}

/*
 * Drawdown measured from 10000 when equity never rises above it:
 *   close {100, 80, 90}, long 100 units at 100: E {10000, 8000, 9000}
 *   drawdown {0, 0.2, 0.1}, max 0.2.
 */
static void test_drawdown_initial_peak(void **state)
{
	const double close[] = { 100, 80, 90 }, sig[] = { 0.9, NAN, NAN };
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	run(3, close, sig, 0.5, 0.1, 0.0, MIN, &a, &b, &m);
	NEAR(b.dd[1], 0.2, 1e-15);
	NEAR(b.dd[2], 0.1, 1e-15);
	NEAR(m.max_drawdown, 0.2, 1e-15);
	free(b.rec.trades);
}

/*
 * Two closed trades, f = 0, h = 0.5, e = 0.1:
 *   close {100, 110, 100, 88}, signal {0.8, 0.0, 0.8, 0.0}
 *   trade 1: long 100 units at 100, exit at 110: cash 11000, pnl +1000, ret 0.1
 *   trade 2: long 110 units at 100, exit at 88:  cash 9680,  pnl -1320, ret 9680/11000-1 = -0.12
 *   win_rate 1/2; profit factor 1000/1320 = 0.757575...; avg trade return (0.1-0.12)/2 = -0.01
 *   exposure: candles 0 and 2 end long -> 2/4 = 0.5; final equity 9680.
 */
static void test_two_trades(void **state)
{
	const double close[] = { 100, 110, 100, 88 }, sig[] = { 0.8, 0.0, 0.8, 0.0 };
	struct sb_accum a;
	struct rec_buf b;
	struct sb_metrics m;

	(void)state;
	run(4, close, sig, 0.5, 0.1, 0.0, MIN, &a, &b, &m);
	assert_int_equal(m.trades, 2);
	assert_int_equal(m.closed_trades, 2);
	NEAR(m.final_equity, 9680.0, 1e-12);
	NEAR(m.total_return, -0.032, 1e-14);
	NEAR(m.win_rate, 0.5, 0);
	NEAR(m.profit_factor, 1000.0 / 1320.0, 1e-13);
	NEAR(m.avg_trade_return, -0.01, 1e-14);
	NEAR(m.exposure, 0.5, 0);
	assert_int_equal(b.rec.n_trades, 2);
	NEAR(b.rec.trades[0].pnl, 1000.0, 1e-11);
	NEAR(b.rec.trades[0].ret, 0.1, 1e-14);
	NEAR(b.rec.trades[1].size, 110.0, 1e-13);
	NEAR(b.rec.trades[1].pnl, -1320.0, 1e-11);
	NEAR(b.rec.trades[1].ret, -0.12, 1e-14);
	assert_int_equal(b.rec.trades[1].entry_i, 2);
	assert_int_equal(b.rec.trades[1].exit_i, 3);
	assert_false(b.rec.trades[1].open);
	free(b.rec.trades);
}

/*
 * No look-ahead, end to end: 6 one-minute candles from T0, close 100..105; one article
 * published at T0 + 3m + 30s (inside candle 3), score 0.9, confidence 0.9.
 * k = 0.5, W = 1m, L = 0; h = 0.5, e = 0.1, f = 0.0005.
 *   signal {NaN, NaN, NaN, 0.9, NaN, NaN} -> long at the close of candle 3 (103):
 *   position {0, 0, 0, q, q, q} with q = 10000/(103*1.0005); equity 10000 before.
 * The same article published exactly at T0 + 3m (the close of candle 2) belongs to
 * candle 3 too: still nothing before candle 3.  With L = 1m it moves to candle 4.
 */
static void run_lookahead(int64_t t_pub, int64_t latency, size_t first_pos)
{
	struct sb_candles c;
	struct sb_errbuf err;
	int64_t t[] = { t_pub };
	int32_t s[] = { 900000000 }, k[] = { 900000000 };     /* 0.9, 0.9 */
	struct sb_events ev = { 1, t, s, k };
	struct sb_signal_params sp = { 500000000, MIN, latency, { 0 } };
	/* h, e in the signal's unit */
	struct sb_trade_params tp = { .threshold = 0.5e9, .exit_band = 0.1e9, .cost = 0.0005 };
	double sig[6];
	struct sb_accum a;
	struct rec_buf b;
	double q;

	sb_candles_init(&c);
	assert_int_equal(sb_candles_alloc(&c, 6, &err), SB_OK);
	c.t0_us = T0;
	c.interval_us = MIN;
	for (int i = 0; i < 6; i++)
		c.close[i] = 100.0 + i;
	q = 10000.0 / (c.close[first_pos] * 1.0005);
	assert_int_equal(sb_mean_signal(&c, &ev, &sp, sig, NULL, NULL, &err), SB_OK);
	rec_init(&b);
	sb_accum_init(&a);
	sb_sim_scalar(c.n, c.close, sig, &tp, &a, &b.rec);
	for (size_t i = 0; i < 6; i++) {
		if (i < first_pos) {
			NEAR(b.pos[i], 0.0, 0);
			NEAR(b.eq[i], 10000.0, 0);
		} else {
			NEAR(b.pos[i], q, 1e-14);
		}
	}
	assert_int_equal(b.rec.n_trades, 1);
	assert_int_equal(b.rec.trades[0].entry_i, first_pos);
	free(b.rec.trades);
	sb_candles_release(&c);
}

static void test_no_lookahead(void **state)
{
	(void)state;
	run_lookahead(T0 + 3 * MIN + 30 * SB_US_PER_SEC, 0, 3);
	run_lookahead(T0 + 3 * MIN, 0, 3);
	run_lookahead(T0 + 3 * MIN - 1, 0, 2);
	run_lookahead(T0 + 3 * MIN + 30 * SB_US_PER_SEC, MIN, 4);
}

/*
 * Buy and hold, by hand: open 100, closes 100, 110, 99: E = 10000, 11000, 9900; returns
 * 0, 0.1, -0.1 (as E_i / E_{i-1} - 1); total -0.01; max drawdown 1 - 9900 / 11000 = 0.1;
 * mean return 0: Sharpe 0.
 */
static void test_buy_hold(void **state)
{
	const double close[3] = { 100, 110, 99 };
	struct sb_metrics m;

	(void)state;
	sb_buy_hold(3, 100.0, close, MIN, &m);
	NEAR(m.final_equity, 9900.0, 1e-12);
	NEAR(m.total_return, -0.01, 1e-15);
	NEAR(m.max_drawdown, 0.1, 1e-15);
	NEAR(m.exposure, 1.0, 0);
	NEAR(m.sharpe, 0.0, 1e-12);
	assert_true(sb_buy_hold_equity(100.0, 110.0) == 11000.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_round_trip),
		cmocka_unit_test(test_short_round_trip),
		cmocka_unit_test(test_ruined_book_stays_out),
		cmocka_unit_test(test_open_at_end),
		cmocka_unit_test(test_h_below_exit_band),
		cmocka_unit_test(test_strict_bounds),
		cmocka_unit_test(test_nan_holds),
		cmocka_unit_test(test_no_direct_reversal),
		cmocka_unit_test(test_drawdown_sharpe),
		cmocka_unit_test(test_drawdown_initial_peak),
		cmocka_unit_test(test_two_trades),
		cmocka_unit_test(test_no_lookahead),
		cmocka_unit_test(test_buy_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
