/* test_exits.c - DESIGN.md "Exits and sides", each rule on candles worked by hand */
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
#include "../engine/grid.h"
#include "../engine/kernels.h"
#include "../engine/sim.h"

#define MIN (INT64_C(60) * SB_US_PER_SEC)
#define MAXN 8

/*
 * Candles as rows {open, high, low, close, signal} (signal NaN: none).  All cases use
 * h = 0.5, e = 0.1 and no costs, so an all-in entry at P buys q = 10000 / P units and an
 * exit at X leaves cash q X (long) or 10000 + q (P - X) (short).
 */
struct run {
	double o[MAXN], h[MAXN], l[MAXN], c[MAXN], s[MAXN];
	double pos[MAXN], eq[MAXN];
	struct sb_accum a;
	struct sb_recorder rec;
	struct sb_metrics m;
};

enum { O, H, L, C, S };

/* Exits in the engine's units: fractions as typed, the factors as grid.c forms them. */
static struct sb_trade_params params(double sl, double tp, double ts, uint64_t hold, int side)
{
	struct sb_trade_params p = { 0.5, 0.1, 0.0, 0, side, 0, { 0 }, { 0 }, { 0 } };
	struct { double x; unsigned bit; double *f; int sign; } e[] = {
		{ sl, SB_EXIT_ON_STOP, p.stop_f, -1 },
		{ tp, SB_EXIT_ON_TAKE, p.take_f, 1 },
		{ ts, SB_EXIT_ON_TRAIL, p.trail_f, -1 },
	};

	for (int k = 0; k < 3; k++) {
		int64_t x = (int64_t)llround(e[k].x * 1e9);

		if (!x)
			continue;
		p.exits |= e[k].bit;
		e[k].f[0] = (double)(SB_DEC_SCALE + e[k].sign * x) / 1e9;
		e[k].f[1] = (double)(SB_DEC_SCALE - e[k].sign * x) / 1e9;
	}
	if (hold) {
		p.exits |= SB_EXIT_ON_TIME;
		p.max_hold = hold;
	}
	p.threshold *= 1e9;
	p.exit_band *= 1e9;
	return p;
}

static void run(struct run *r, size_t n, const double (*rows)[5], const struct sb_trade_params *p)
{
	struct sb_bars b = { r->o, r->h, r->l, r->c };
	struct sb_accum k;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		r->o[i] = rows[i][O];
		r->h[i] = rows[i][H];
		r->l[i] = rows[i][L];
		r->c[i] = rows[i][C];
		r->s[i] = rows[i][S] * 1e9;
	}
	r->rec.position = r->pos;
	r->rec.equity = r->eq;
	sb_accum_init(&r->a);
	sb_sim_bars(n, &b, r->s, p, &r->a, &r->rec);
	assert_false(r->rec.oom);
	sb_metrics_finish(&r->a, n, MIN, &r->m);
	/* the sweep's exits kernels give the same sums, bit for bit */
	sb_kernel_exits_scalar(n, &b, r->s, p, 1, &k);
	assert_memory_equal(&k.cash, &r->a.cash, offsetof(struct sb_accum, entry_price));
	assert_memory_equal(k.risk_exits, r->a.risk_exits, sizeof(k.risk_exits));
	sb_kernel_exits(n, &b, r->s, p, 1, &k);
	assert_memory_equal(&k.cash, &r->a.cash, offsetof(struct sb_accum, entry_price));
	assert_memory_equal(k.risk_exits, r->a.risk_exits, sizeof(k.risk_exits));
	if (!sb_kernel_avx512_supported())
		return;
	sb_kernel_exits_avx512(n, &b, r->s, p, 1, &k);
	assert_memory_equal(&k.cash, &r->a.cash, offsetof(struct sb_accum, entry_price));
	assert_memory_equal(k.risk_exits, r->a.risk_exits, sizeof(k.risk_exits));
}

static void trade_is(const struct run *r, size_t k, size_t entry, size_t exit, int side,
		     double entry_price, double exit_price, enum sb_exit_reason why)
{
	const struct sb_trade *t = &r->rec.trades[k];

	assert_true(k < r->rec.n_trades);
	assert_int_equal(t->entry_i, entry);
	assert_int_equal(t->exit_i, exit);
	assert_int_equal(t->side, side);
	assert_true(t->entry_price == entry_price);
	assert_true(t->exit_price == exit_price);
	assert_int_equal(t->reason, why);
	assert_int_equal(t->open, why == SB_EXIT_END);
}

/*
 * A gap through the stop.  Long at the close of candle 0, P = 100, SL = 0.05: the stop
 * S = 100 x 0.95 = 95 (0.95 is rounded once; 100 x that rounds to 95 exactly).
 *   (a) candle 1 opens at 93, below S: exit at the open, 93 (not at 95): cash 100 x 93
 *   (b) candle 1 opens at 97 and its low 94 reaches S: exit at S: cash 100 x 95
 *   (c) a short, P = 100: S = 100 x 1.05 = 105; candle 1 opens at 108: exit at 108,
 *       cash 10000 + 100 x (100 - 108) = 9200; opening at 101 with a high of 106: at 105
 */
static void test_gap_through_stop(void **state)
{
	const struct sb_trade_params p = params(0.05, 0, 0, 0, 0);
	const double gap[][5] = { { 100, 100, 100, 100, 0.8 }, { 93, 96, 92, 94, NAN } };
	const double touch[][5] = { { 100, 100, 100, 100, 0.8 }, { 97, 98, 94, 96, NAN } };
	const double sgap[][5] = { { 100, 100, 100, 100, -0.8 }, { 108, 109, 104, 104, NAN } };
	const double stouch[][5] = { { 100, 100, 100, 100, -0.8 }, { 101, 106, 100, 104, NAN } };
	struct run r;

	(void)state;
	assert_true(100.0 * p.stop_f[0] == 95.0);
	run(&r, 2, gap, &p);
	trade_is(&r, 0, 0, 1, 1, 100, 93, SB_EXIT_STOP);
	assert_true(r.m.final_equity == 9300.0);
	assert_true(r.pos[1] == 0.0);
	assert_int_equal(r.m.exits[SB_EXIT_STOP], 1);
	assert_int_equal(r.m.exits[SB_EXIT_SIGNAL], 0);
	NEAR(r.m.exposure, 0.5, 0);     /* candle 1 ends flat */
	free(r.rec.trades);
	run(&r, 2, touch, &p);
	trade_is(&r, 0, 0, 1, 1, 100, 95, SB_EXIT_STOP);
	assert_true(r.m.final_equity == 9500.0);
	free(r.rec.trades);
	run(&r, 2, sgap, &p);
	trade_is(&r, 0, 0, 1, -1, 100, 108, SB_EXIT_STOP);
	assert_true(r.m.final_equity == 9200.0);
	free(r.rec.trades);
	run(&r, 2, stouch, &p);
	trade_is(&r, 0, 0, 1, -1, 100, 105, SB_EXIT_STOP);
	assert_true(r.m.final_equity == 9500.0);
	free(r.rec.trades);
}

/*
 * Stop and take in one candle: long P = 100, SL = TP = 0.05 (S = 95, T = 105).
 *   candle 1: open 100, high 106, low 94: both reached, the stop first: exit at 95
 * The take alone: candle 1 high 106, low 99: exit at 105; a gap above T (open 107): at 107.
 * Even when the open gaps above T, a low that reaches S is a stop (the stop is checked
 * first, literally as DESIGN orders it): open 107, low 94 -> 95.
 */
static void test_stop_and_take_one_candle(void **state)
{
	const struct sb_trade_params p = params(0.05, 0.05, 0, 0, 0);
	const double both[][5] = { { 100, 100, 100, 100, 0.8 }, { 100, 106, 94, 101, NAN } };
	const double take[][5] = { { 100, 100, 100, 100, 0.8 }, { 101, 106, 99, 102, NAN } };
	const double gap[][5] = { { 100, 100, 100, 100, 0.8 }, { 107, 108, 106, 107, NAN } };
	const double gap_low[][5] = { { 100, 100, 100, 100, 0.8 }, { 107, 108, 94, 100, NAN } };
	struct run r;

	(void)state;
	assert_true(100.0 * p.take_f[0] == 105.0);
	run(&r, 2, both, &p);
	trade_is(&r, 0, 0, 1, 1, 100, 95, SB_EXIT_STOP);
	free(r.rec.trades);
	run(&r, 2, take, &p);
	trade_is(&r, 0, 0, 1, 1, 100, 105, SB_EXIT_TAKE);
	assert_true(r.m.final_equity == 10500.0);
	assert_int_equal(r.m.exits[SB_EXIT_TAKE], 1);
	assert_true(r.m.win_rate == 1.0);
	free(r.rec.trades);
	run(&r, 2, gap, &p);
	trade_is(&r, 0, 0, 1, 1, 100, 107, SB_EXIT_TAKE);
	free(r.rec.trades);
	run(&r, 2, gap_low, &p);
	trade_is(&r, 0, 0, 1, 1, 100, 95, SB_EXIT_STOP);
	free(r.rec.trades);
}

/*
 * A trailing stop that ratchets, then fires.  Long P = 100, TS = 0.1, and a fixed
 * SL = 0.05 (S = 95): the nearer (higher) stop applies.
 *   candle 1: M = 100: trail 90, fixed 95 -> 95; low 99: hold; then M = 110
 *   candle 2: trail 110 x 0.9 = 99 > 95; low 105: hold.  Its own high 120 counts only
 *             after its checks (with it, 108 would have been reached); then M = 120
 *   candle 3: trail 120 x 0.9 = 108; low 107: exit at 108, a "trail" exit
 * q = 100: cash 10800.  The short mirror: P = 100, lowest lows 90 then 80: 80 x 1.1 = 88;
 * candle 3's high 89 reaches it: exit at 88 (the factor 1.1 rounds; 80 x 1.1 rounds to
 * 88 exactly), cash 10000 + 100 x 12 = 11200.
 */
static void test_trailing_ratchets_then_fires(void **state)
{
	const struct sb_trade_params p = params(0.05, 0, 0.1, 0, 0);
	const double rows[][5] = {
		{ 100, 100, 100, 100, 0.8 }, { 101, 110, 99, 108, NAN },
		{ 108, 120, 105, 115, NAN }, { 114, 115, 107, 110, NAN },
	};
	const double srows[][5] = {
		{ 100, 100, 100, 100, -0.8 }, { 99, 101, 90, 92, NAN },
		{ 92, 95, 80, 85, NAN }, { 86, 89, 84, 87, NAN },
	};
	struct run r;

	(void)state;
	assert_true(110.0 * p.trail_f[0] == 99.0 && 120.0 * p.trail_f[0] == 108.0);
	run(&r, 4, rows, &p);
	assert_int_equal(r.rec.n_trades, 1);
	trade_is(&r, 0, 0, 3, 1, 100, 108, SB_EXIT_TRAIL);
	assert_true(r.m.final_equity == 10800.0);
	assert_int_equal(r.m.exits[SB_EXIT_TRAIL], 1);
	assert_int_equal(r.m.exits[SB_EXIT_STOP], 0);
	free(r.rec.trades);
	assert_true(80.0 * p.trail_f[1] == 88.0);
	run(&r, 4, srows, &p);
	trade_is(&r, 0, 0, 3, -1, 100, 88, SB_EXIT_TRAIL);
	assert_true(r.m.final_equity == 11200.0);
	free(r.rec.trades);
}

/*
 * A time exit: max hold 2 candles.  Long at close 0 (P = 100): exit at the close of
 * candle 2, 104, a "time" exit; strong signals at closes 3 and 4 do not enter (not
 * re-armed: no |s| < e since the exit); close 5's 0.05 re-arms; close 6's 0.8 enters.
 * When the signal exits at the same close, the exit is the signal's.
 */
static void test_time_exit(void **state)
{
	const struct sb_trade_params p = params(0, 0, 0, 2, 0);
	const double rows[][5] = {
		{ 100, 100, 100, 100, 0.8 }, { 100, 103, 99, 102, 0.7 },
		{ 102, 105, 101, 104, 0.7 }, { 104, 104, 104, 104, 0.9 },
		{ 104, 104, 104, 104, 0.9 }, { 104, 104, 104, 104, 0.05 },
		{ 104, 104, 104, 104, 0.8 }, { 104, 104, 104, 104, NAN },
	};
	const double same[][5] = {
		{ 100, 100, 100, 100, 0.8 }, { 100, 101, 99, 101, NAN }, { 101, 103, 100, 102, 0.0 },
	};
	struct run r;

	(void)state;
	run(&r, 8, rows, &p);
	assert_int_equal(r.rec.n_trades, 2);
	trade_is(&r, 0, 0, 2, 1, 100, 104, SB_EXIT_TIME);
	trade_is(&r, 1, 6, 7, 1, 104, 104, SB_EXIT_END);
	assert_int_equal(r.m.exits[SB_EXIT_TIME], 1);
	assert_int_equal(r.m.exits[SB_EXIT_END], 1);
	assert_true(r.pos[1] == 100.0 && r.pos[2] == 0.0 && r.pos[5] == 0.0 && r.pos[6] > 0.0);
	free(r.rec.trades);
	run(&r, 3, same, &p);
	trade_is(&r, 0, 0, 2, 1, 100, 102, SB_EXIT_SIGNAL);
	assert_int_equal(r.m.exits[SB_EXIT_TIME], 0);
	free(r.rec.trades);
}

/*
 * Re-arming after a stop in candle 1 (long P = 100, SL = 0.05, low 90 -> exit at 95):
 *   (a) close 1's signal 0.8: no entry at close 1 (flat at that close), none at close 2
 *       (0.9, not re-armed), close 3's 0.05 re-arms (no entry: below h), close 4's 0.8
 *       enters at 100.
 *   (b) close 1's own signal 0.05 re-arms ("candle i's included"): close 2's 0.9 enters.
 *   (c) with h = 0.05 < e = 0.1, close 3's 0.08 re-arms and enters at the same close.
 */
static void test_rearm(void **state)
{
	struct sb_trade_params p = params(0.05, 0, 0, 0, 0);
	const double a_rows[][5] = {
		{ 100, 100, 100, 100, 0.8 }, { 99, 99, 90, 96, 0.8 }, { 96, 97, 95, 97, 0.9 },
		{ 97, 99, 96, 98, 0.05 }, { 98, 100, 98, 100, 0.8 },
	};
	const double b_rows[][5] = {
		{ 100, 100, 100, 100, 0.8 }, { 99, 99, 90, 96, 0.05 }, { 96, 97, 95, 97, 0.9 },
	};
	const double c_rows[][5] = {
		{ 100, 100, 100, 100, 0.8 }, { 99, 99, 90, 96, 0.8 }, { 96, 97, 95, 97, 0.9 },
		{ 97, 99, 96, 98, 0.08 },
	};
	struct run r;

	(void)state;
	run(&r, 5, a_rows, &p);
	assert_int_equal(r.rec.n_trades, 2);
	trade_is(&r, 0, 0, 1, 1, 100, 95, SB_EXIT_STOP);
	trade_is(&r, 1, 4, 4, 1, 100, 100, SB_EXIT_END);
	assert_true(r.pos[1] == 0.0 && r.pos[2] == 0.0 && r.pos[3] == 0.0);
	free(r.rec.trades);
	run(&r, 3, b_rows, &p);
	assert_int_equal(r.rec.n_trades, 2);
	assert_int_equal(r.rec.trades[1].entry_i, 2);
	free(r.rec.trades);
	p.threshold = 0.05e9;
	run(&r, 4, c_rows, &p);
	assert_int_equal(r.rec.n_trades, 2);
	assert_int_equal(r.rec.trades[1].entry_i, 3);
	free(r.rec.trades);
}

/* A signal exit does not need re-arming: exit at close 1 (0.0), enter at close 2. */
static void test_signal_exit_stays_armed(void **state)
{
	const struct sb_trade_params p = params(0.05, 0, 0, 0, 0);
	const double rows[][5] = {
		{ 100, 100, 100, 100, 0.8 }, { 100, 101, 99, 100, 0.0 }, { 100, 101, 99, 101, 0.9 },
	};
	struct run r;

	(void)state;
	run(&r, 3, rows, &p);
	assert_int_equal(r.rec.n_trades, 2);
	trade_is(&r, 0, 0, 1, 1, 100, 100, SB_EXIT_SIGNAL);
	assert_int_equal(r.rec.trades[1].entry_i, 2);
	free(r.rec.trades);
}

/* Long-only ignores a short signal (-0.8 at close 0), enters on 0.8 at close 1;
 * short-only the reverse. */
static void test_sides(void **state)
{
	const double rows[][5] = {
		{ 100, 100, 100, 100, -0.8 }, { 101, 101, 101, 101, 0.8 },
		{ 102, 102, 102, 102, -0.9 }, { 103, 103, 103, 103, NAN },
	};
	struct sb_trade_params p = params(0, 0, 0, 0, 1);
	struct run r;

	(void)state;
	run(&r, 4, rows, &p);
	assert_int_equal(r.rec.n_trades, 1);
	trade_is(&r, 0, 1, 3, 1, 101, 103, SB_EXIT_END);
	assert_true(r.pos[0] == 0.0);
	free(r.rec.trades);
	p.side = -1;
	run(&r, 4, rows, &p);
	trade_is(&r, 0, 0, 3, -1, 100, 103, SB_EXIT_END);
	free(r.rec.trades);
	p.side = 0;
	run(&r, 4, rows, &p);
	trade_is(&r, 0, 0, 3, -1, 100, 103, SB_EXIT_END);
	assert_true(sb_trade_params_plain(&p));
	free(r.rec.trades);
}

/* The grid forms each factor from the exact decimal, rounded once; --max-hold counts
 * whole candles; an exit axis printed as typed. */
static void test_grid_factors(void **state)
{
	struct sb_grid g = { 0 };
	struct sb_errbuf err;
	struct sb_combo c;
	struct sb_trade_params tp;
	struct sb_axis bad;
	static const char *const spec[SB_N_AXES] = { "0.5", "0.7", "5m", "0.1", "5", "0", "0s" };
	static const char *const ex[SB_N_EXIT_AXES] = { "0.02,0", "0.07", "0.015", "0m,30m",
						       "long,both,short" };
	char buf[SB_DEC_LEN];

	(void)state;
	g.strategy = NULL;
	g.n_axes = SB_N_AXES + SB_N_EXIT_AXES;
	g.has_exits = true;
	g.interval_us = 5 * MIN;
	for (int k = 0; k < SB_N_AXES; k++)
		assert_int_equal(sb_axis_parse(&g.ax[k], "x", spec[k],
					       k == SB_AX_WINDOW || k == SB_AX_LATENCY, &err), SB_OK);
	for (int j = 0; j < SB_N_EXIT_AXES; j++) {
		struct sb_axis *a = &g.ax[sb_grid_exit_axis(&g, j)];

		assert_int_equal(j == SB_EX_SIDE ? sb_axis_parse_side(a, "side", ex[j], &err)
				 : sb_axis_parse(a, "x", ex[j], j == SB_EX_MAX_HOLD, &err), SB_OK);
	}
	assert_int_equal(sb_grid_finish(&g, &err), SB_OK);
	assert_int_equal(g.count, 12);
	assert_string_equal(sb_grid_axis_name(&g, SB_N_AXES + SB_EX_SIDE), "side");
	/* id 3: stop 0.02, max hold 30m, side long (the exit axes vary fastest) */
	sb_grid_combo(&g, 3, &c);
	sb_combo_trade_params(&c, &tp);
	assert_true(tp.stop_f[0] == 0.98 && tp.stop_f[1] == 1.02);
	assert_true(tp.take_f[0] == 1.07 && tp.take_f[1] == 0.93);
	assert_true(tp.trail_f[0] == 0.985 && tp.trail_f[1] == 1.015);
	assert_int_equal(tp.max_hold, 6);
	assert_int_equal(tp.side, 1);
	assert_int_equal(tp.exits, SB_EXIT_ON_STOP | SB_EXIT_ON_TAKE | SB_EXIT_ON_TRAIL |
				   SB_EXIT_ON_TIME);
	sb_grid_combo(&g, 7, &c);        /* stop 0, max hold 0m, side both */
	sb_combo_trade_params(&c, &tp);
	assert_int_equal(tp.exits, SB_EXIT_ON_TAKE | SB_EXIT_ON_TRAIL);
	assert_int_equal(tp.side, 0);
	assert_string_equal(sb_axis_format(&g.ax[sb_grid_exit_axis(&g, SB_EX_SIDE)], -1, buf),
			    "short");
	assert_int_not_equal(sb_axis_parse_side(&bad, "side", "long:short:1", &err), SB_OK);
	assert_int_not_equal(sb_axis_parse_side(&bad, "side", "up", &err), SB_OK);
	assert_null(bad.v);
	sb_grid_release(&g);
}

/* Every lane's metrics equal, bit for bit. */
static void check_same(const struct sb_accum *want, const struct sb_accum *got, size_t nl,
		       size_t n, const char *kname)
{
	for (size_t k = 0; k < nl; k++) {
		struct sb_metrics mw, mg;

		sb_metrics_finish(&want[k], n, MIN, &mw);
		sb_metrics_finish(&got[k], n, MIN, &mg);
		if (memcmp(&mw, &mg, sizeof(mw))) {
			print_error("kernel %s, lane %zu: final equity %.17g, scalar %.17g\n",
				    kname, k, mg.final_equity, mw.final_equity);
			fail();
		}
	}
}


/*
 * --max-hold N counts candles (DESIGN: "candles or a duration"): on 5m candles "3" is
 * 3 x 300 s = 15m, held in us as "15m" is, so summary.csv and the manifest show 900;
 * lists and ranges of counts; one unit per axis ("0" goes with either); no negative,
 * fractional or signed counts; at most 100 years.
 */
static void test_max_hold_candles(void **state)
{
	struct sb_grid g = { 0 };
	struct sb_errbuf err;
	struct sb_axis a, d;
	struct sb_combo c;
	struct sb_trade_params tp;
	static const char *const spec[SB_N_AXES] = { "0.5", "0.7", "5m", "0.1", "5", "0", "0s" };
	static const char *const ex[SB_N_EXIT_AXES] = { "0", "0", "0", "0,3", "both" };
	static const char *const bad[] = {
		"-1", "+3", "3 ", " 3", "1.5", "3c", "", "60,4h", "0,60,4h", "4h,60", "60:4h:60",
		"0:4h:60", "0m:240:1h", "3,3", "0,0m",
		"10512001",              /* 100 years of 5m candles = 10512000 */
		"99999999999999999999",  /* over int64 */
	};
	char buf[SB_DEC_LEN];

	(void)state;
	/* one value: 3 candles of 5m = 15 minutes, a duration axis shown in seconds */
	assert_int_equal(sb_axis_parse_candles(&a, "max-hold", "3", 5 * MIN, &err), SB_OK);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.v[0], 15 * MIN);
	assert_true(a.is_duration && a.in_candles);
	assert_string_equal(sb_axis_format(&a, a.v[0], buf), "900");
	assert_int_equal(sb_axis_parse_candles(&d, "max-hold", "15m", 5 * MIN, &err), SB_OK);
	assert_int_equal(d.v[0], a.v[0]);
	assert_false(d.in_candles);
	free(a.v);
	free(d.v);
	/* a list and a range of counts on 1m candles: 4h = 240 candles */
	assert_int_equal(sb_axis_parse_candles(&a, "max-hold", "0,60,240", MIN, &err), SB_OK);
	assert_int_equal(a.n, 3);
	assert_true(a.v[0] == 0 && a.v[1] == 60 * MIN && a.v[2] == 240 * MIN);
	assert_int_equal(sb_axis_parse_candles(&d, "max-hold", "0m,1h,4h", MIN, &err), SB_OK);
	assert_memory_equal(a.v, d.v, 3 * sizeof(*a.v));
	free(a.v);
	free(d.v);
	assert_int_equal(sb_axis_parse_candles(&a, "max-hold", "60:240:60", MIN, &err), SB_OK);
	assert_int_equal(a.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(a.v[i], (int64_t)(60 * (i + 1)) * MIN);
	free(a.v);
	/* 0 is off in either unit: it goes with counts and with durations */
	assert_int_equal(sb_axis_parse_candles(&a, "max-hold", "0,4h", MIN, &err), SB_OK);
	assert_false(a.in_candles);
	free(a.v);
	assert_int_equal(sb_axis_parse_candles(&a, "max-hold", "0m,240", MIN, &err), SB_OK);
	assert_true(a.in_candles && a.v[1] == 240 * MIN);
	free(a.v);
	/* the most: 100 years of 5m candles */
	assert_int_equal(sb_axis_parse_candles(&a, "max-hold", "10512000", 5 * MIN, &err), SB_OK);
	assert_int_equal(a.v[0], INT64_C(36500) * SB_US_PER_DAY);
	free(a.v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sb_axis_parse_candles(&a, "max-hold", bad[i], 5 * MIN, &err) == SB_OK)
			fail_msg("--max-hold '%s' accepted (%zu values)", bad[i], a.n);
		assert_null(a.v);
		assert_non_null(strstr(err.msg, "--max-hold: "));
	}
	assert_int_equal(sb_axis_parse_candles(&a, "max-hold", "60,4h", MIN, &err), SB_EINVAL);
	assert_non_null(strstr(err.msg, "mixes numbers of candles"));
	/* through the grid: 3 candles of 5m -> the sim's max hold of 3 candles */
	g.n_axes = SB_N_AXES + SB_N_EXIT_AXES;
	g.has_exits = true;
	g.interval_us = 5 * MIN;
	for (int k = 0; k < SB_N_AXES; k++)
		assert_int_equal(sb_axis_parse(&g.ax[k], "x", spec[k],
					       k == SB_AX_WINDOW || k == SB_AX_LATENCY, &err), SB_OK);
	for (int j = 0; j < SB_N_EXIT_AXES; j++) {
		struct sb_axis *x = &g.ax[sb_grid_exit_axis(&g, j)];

		assert_int_equal(j == SB_EX_SIDE ? sb_axis_parse_side(x, "side", ex[j], &err)
				 : j == SB_EX_MAX_HOLD
				 ? sb_axis_parse_candles(x, "max-hold", ex[j], g.interval_us, &err)
				 : sb_axis_parse(x, "x", ex[j], false, &err), SB_OK);
	}
	assert_int_equal(sb_grid_finish(&g, &err), SB_OK);
	assert_int_equal(g.count, 2);
	sb_grid_combo(&g, 1, &c);
	sb_combo_trade_params(&c, &tp);
	assert_int_equal(c.max_hold_us, 15 * MIN);
	assert_int_equal(tp.max_hold, 3);
	assert_int_equal(tp.exits, SB_EXIT_ON_TIME);
	sb_grid_combo(&g, 0, &c);
	sb_combo_trade_params(&c, &tp);
	assert_int_equal(tp.exits, 0);
	sb_grid_release(&g);
}

/*
 * The kernels against the scalar path over a grid of exit values: 2,000 seeded candles
 * (a random walk with wicks and gaps), a signal on about a third of them, and 3 x 2 x 2
 * x 3 x 3 exit values x 6 (h, e, cost) lanes, exit-free ones among them, so that blocks are all plain, all
 * exits, or mixed.  Every kernel behind sb_kernel_dispatch() must give each lane the
 * metrics of sb_sim_bars(), bit for bit.
 */
static void test_kernels_match_scalar(void **state)
{
	enum { N = 2000 };
	static const double sl[] = { 0, 0.002, 0.01 }, tp[] = { 0, 0.004 }, ts[] = { 0, 0.003 };
	static const uint64_t hold[] = { 0, 7, 40 };
	static const int side[] = { 0, 1, -1 };
	static const enum sb_kernel kinds[] = { SB_KERNEL_SCALAR, SB_KERNEL_GENERIC,
						SB_KERNEL_AVX512 };
	double *o = malloc(4 * N * sizeof(double)), *sig = malloc(N * sizeof(double));
	double *h = o + N, *l = o + 2 * N, *c = o + 3 * N;
	const struct sb_bars b = { o, h, l, c };
	struct sb_trade_params *p = malloc(3 * 2 * 2 * 3 * 3 * 6 * sizeof(*p));
	struct sb_accum *want, *got;
	size_t nl = 0;
	uint64_t risk = 0, seed = 12345;
	double price = 100.0;

	(void)state;
	assert_non_null(o);
	assert_non_null(sig);
	assert_non_null(p);
	for (size_t i = 0; i < N; i++) {
		double u[5];

		for (int k = 0; k < 5; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			u[k] = (double)(seed >> 11) / 9007199254740992.0;
		}
		o[i] = u[4] < 0.05 ? price * (1.0 + (u[0] - 0.5) * 0.01) : price;  /* gaps */
		c[i] = o[i] * (1.0 + (u[1] - 0.5) * 0.006);
		h[i] = fmax(o[i], c[i]) * (1.0 + u[2] * 0.003);
		l[i] = fmin(o[i], c[i]) * (1.0 - u[3] * 0.003);
		price = c[i];
		sig[i] = u[4] < 0.35 ? round((u[0] * 2.0 - 1.0) * 1e3) * 1e6 : NAN;
	}
	for (size_t a = 0; a < 3; a++)
		for (size_t bq = 0; bq < 2; bq++)
			for (size_t t = 0; t < 2; t++)
				for (size_t m = 0; m < 3; m++)
					for (size_t sd = 0; sd < 3; sd++)
						for (size_t he = 0; he < 6; he++) {
							struct sb_trade_params x = params(sl[a], tp[bq], ts[t],
								hold[m], side[sd]);

							x.threshold = (0.2 + 0.1 * (double)(he % 3)) * 1e9;
							x.exit_band = (he < 3 ? 0.05 : 0.15) * 1e9;
							x.cost = he % 2 ? 0.0005 : 0.0;
							p[nl++] = x;
						}
	want = malloc(nl * sizeof(*want));
	got = malloc(nl * sizeof(*got));
	assert_non_null(want);
	assert_non_null(got);
	for (size_t k = 0; k < nl; k++) {
		sb_accum_init(&want[k]);
		sb_sim_bars(N, &b, sig, &p[k], &want[k], NULL);
		for (int r = SB_EXIT_STOP; r < SB_EXIT_END; r++)
			risk += want[k].risk_exits[r];
	}
	/* the data exercises every exit */
	for (int r = SB_EXIT_STOP; r < SB_EXIT_END; r++) {
		uint64_t nr = 0;

		for (size_t k = 0; k < nl; k++)
			nr += want[k].risk_exits[r];
		assert_true(nr > 100);
	}
	for (size_t ki = 0; ki < sizeof(kinds) / sizeof(kinds[0]); ki++) {
		const char *kname;
		sb_kernel_fn fn;
		sb_exits_kernel_fn xk;

		if (kinds[ki] == SB_KERNEL_AVX512 && !sb_kernel_avx512_supported()) {
			printf("SKIP: no AVX-512 (the avx512 kernels are not tested)\n");
			continue;
		}
		fn = sb_kernel_get(kinds[ki], &kname);
		xk = sb_kernel_exits_get(kinds[ki]);
		/* whole, and in uneven slices (blocks cut differently) */
		for (int pass = 0; pass < 2; pass++) {
			const size_t step = pass ? 13 : nl;

			memset(got, 0xA5, nl * sizeof(*got));
			for (size_t k0 = 0; k0 < nl; k0 += step)
				sb_kernel_dispatch(fn, xk, N, &b, sig, p + k0,
						   nl - k0 < step ? nl - k0 : step, got + k0);
			check_same(want, got, nl, N, kname);
		}
	}
	assert_true(risk > 0);
	free(o);
	free(sig);
	free(p);
	free(want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gap_through_stop),
		cmocka_unit_test(test_stop_and_take_one_candle),
		cmocka_unit_test(test_trailing_ratchets_then_fires),
		cmocka_unit_test(test_time_exit),
		cmocka_unit_test(test_rearm),
		cmocka_unit_test(test_signal_exit_stays_armed),
		cmocka_unit_test(test_sides),
		cmocka_unit_test(test_grid_factors),
		cmocka_unit_test(test_max_hold_candles),
		cmocka_unit_test(test_kernels_match_scalar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
