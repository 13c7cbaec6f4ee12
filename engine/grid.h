/* grid.h - parameter grids: values, lists "a,b,c" and ranges "start:stop:step" */
#ifndef SB_GRID_H
#define SB_GRID_H

#include "../core/common.h"
#include "../core/decimal.h"

#include <stdio.h>
#include "sim.h"
#include "../strategies/strategy.h"

/*
 * The swept parameters, in summary.csv column order; the first varies slowest.  The
 * SB_N_AXES axes of every run come first, then the strategy's own (strategy.h), at most
 * SB_STRATEGY_MAX_AXES, which shape the signal like k, W and L, then (when the grid has
 * them, g->has_exits) the SB_N_EXIT_AXES exit axes, which vary fastest; a grid without
 * them trades as if they were all 0 / both.
 */
enum sb_axis_id {
	SB_AX_THRESHOLD, SB_AX_MIN_CONFIDENCE, SB_AX_WINDOW, SB_AX_EXIT_BAND,
	SB_AX_FEE_BPS, SB_AX_SLIPPAGE_BPS, SB_AX_LATENCY, SB_N_AXES,
	SB_AX_STRATEGY0 = SB_N_AXES,
};

/* The exit axes (DESIGN "Exits and sides"), in column order. */
enum sb_exit_axis {
	SB_EX_STOP_LOSS, SB_EX_TAKE_PROFIT, SB_EX_TRAILING_STOP, SB_EX_MAX_HOLD, SB_EX_SIDE,
	SB_N_EXIT_AXES
};
#define SB_MAX_AXES (SB_N_AXES + SB_STRATEGY_MAX_AXES + SB_N_EXIT_AXES)

extern const char *const sb_axis_names[SB_N_AXES];     /* summary.csv columns */
extern const char *const sb_axis_options[SB_N_AXES];   /* command-line options */
extern const char *const sb_exit_axis_names[SB_N_EXIT_AXES];
extern const char *const sb_exit_axis_options[SB_N_EXIT_AXES];

/* The parameter columns every strategy's summary.csv has (readers such as the report
 * find them by name): the run's axes, then the exit axes. */
#define SB_N_SUMMARY_AXES (SB_N_AXES + SB_N_EXIT_AXES)
static inline const char *sb_summary_axis_name(int k)
{
	return k < SB_N_AXES ? sb_axis_names[k] : sb_exit_axis_names[k - SB_N_AXES];
}

/*
 * Values are exact integers: decimals (threshold, confidence, exit band, bps) in
 * units of 10^-9 as typed (core/decimal.h), durations in microseconds.
 */
struct sb_axis {
	int64_t *v;
	size_t   n;
	bool     is_duration;
	bool     is_side;   /* --side: 0 both, +1 long, -1 short; shown as the words */
	/* --max-hold: a duration axis on which a bare whole number N counts candles of
	 * candle_us (N x candle_us, held in us like any duration); in_candles when the
	 * values were typed so (a nonzero bare number) */
	int64_t  candle_us;
	bool     in_candles;
};

struct sb_grid {
	struct sb_axis ax[SB_MAX_AXES];
	int    n_axes;      /* SB_N_AXES + the strategy's axes (+ SB_N_EXIT_AXES) */
	bool   has_exits;   /* the last SB_N_EXIT_AXES axes are the exit axes */
	int64_t interval_us;   /* the candle length: --max-hold in candles (with has_exits) */
	const struct sb_strategy *strategy;
	size_t count;       /* product of the axis sizes */
};

/* Index in g->ax of exit axis j, or -1 when the grid has none. */
static inline int sb_grid_exit_axis(const struct sb_grid *g, int j)
{
	return g->has_exits ? g->n_axes - SB_N_EXIT_AXES + j : -1;
}
/* The number of the strategy's axes in g (they start at SB_AX_STRATEGY0). */
static inline int sb_grid_strategy_axes(const struct sb_grid *g)
{
	return g->n_axes - SB_N_AXES - (g->has_exits ? SB_N_EXIT_AXES : 0);
}

/* Column name and option of axis k (the strategy's for k >= SB_N_AXES). */
const char *sb_grid_axis_name(const struct sb_grid *g, int k);
const char *sb_grid_axis_option(const struct sb_grid *g, int k);

/* One combination, fully resolved; decimals in 10^-9 units, durations in us. */
struct sb_combo {
	int64_t threshold, min_confidence, exit_band, fee_bps, slippage_bps;
	int64_t window_us, latency_us;
	int64_t extra[SB_STRATEGY_MAX_AXES];     /* the strategy's axes */
	/* exits: fractions in 10^-9 units (0 = off), max hold in us and candles, side */
	int64_t stop_loss, take_profit, trailing_stop, max_hold_us, max_hold_candles;
	int side;
	const struct sb_strategy *strategy;
};

/*
 * sb_axis_parse() reads one value, a list "a,b,c", or an inclusive range
 * "start:stop:step" whose values are start + n*step for n = 0 .. (stop - start) / step,
 * computed on exact integers: "0.05:0.95:0.01" is exactly the 91 decimals a person
 * reads, and the stop is included whenever it lies on the step grid.  Decimals take
 * at most 9 decimals; durations take units ("5m", "1m:10m:1m").  'name' is used in
 * messages.  Values must be distinct.
 */
enum sb_err sb_axis_parse(struct sb_axis *a, const char *name, const char *spec,
			  bool is_duration, struct sb_errbuf *err);
/*
 * The same for a duration axis that also counts candles of candle_us (> 0; --max-hold):
 * "240" = 240 candles = 240 x candle_us, "4h" a duration.  Lists and ranges of either
 * ("0,60,240", "60:240:60"); one axis takes one unit, so a candle count (a bare number
 * other than 0) and a duration with a unit in one spec are an error ("0" is 0 either
 * way and goes with both: "0,4h", "0,60").
 */
enum sb_err sb_axis_parse_candles(struct sb_axis *a, const char *name, const char *spec,
				  int64_t candle_us, struct sb_errbuf *err);
/* The same for --side: "both", "long", "short" or a list of them (no ranges). */
enum sb_err sb_axis_parse_side(struct sb_axis *a, const char *name, const char *spec,
			       struct sb_errbuf *err);
void sb_grid_release(struct sb_grid *g);
/*
 * Multiplies out the axis sizes; fails when the grid is empty or too large.  The
 * caller has set g->strategy (NULL: the mean) and parsed g->n_axes axes.
 */
enum sb_err sb_grid_finish(struct sb_grid *g, struct sb_errbuf *err);

/* The axis values of combination 'id' (grid order; v[k] = 0 past g->n_axes). */
void sb_grid_values(const struct sb_grid *g, size_t id, int64_t v[SB_MAX_AXES]);
/* Writes ",v1,v2,..." as summary.csv shows combination 'id''s parameters. */
void sb_fput_combo_values(FILE *f, const struct sb_grid *g, size_t id);

/* Combination 'id' (0-based, grid order). */
void sb_grid_combo(const struct sb_grid *g, size_t id, struct sb_combo *c);

/* The pieces of a combination as the engine uses them. */
void sb_combo_signal_params(const struct sb_combo *c, struct sb_signal_params *sp);
void sb_combo_trade_params(const struct sb_combo *c, struct sb_trade_params *tp);

/* A value as summary.csv, manifests and tables show it: "0.82", durations in seconds
 * ("300"), sides as words ("long"). */
const char *sb_axis_format(const struct sb_axis *a, int64_t v, char out[SB_DEC_LEN]);
void sb_fput_axis_value(FILE *f, const struct sb_axis *a, int64_t v);
/* The value as the nearest double: the decimal itself, durations in seconds, sides
 * 0 (both), 1 (long), -1 (short). */
double sb_axis_value_double(const struct sb_axis *a, int64_t v);

#endif
