/* lanes.h - the state of a block of 8 lanes, shared by the generic and AVX-512 kernels */
#ifndef SB_LANES_H
#define SB_LANES_H

#include "sim.h"

#include <stdalign.h>

#define SB_LANES 8

/*
 * The fields the per-candle mark touches live as arrays of 8 (one register each);
 * the rest of each lane's struct sb_accum stays in 'acc' and is only touched by
 * sb_step_transition() on the rare candles where a lane trades.
 */
struct sb_lanes {
	alignas(64) double cash[SB_LANES];
	alignas(64) double q[SB_LANES];
	alignas(64) double pos[SB_LANES];       /* -1, 0, +1 */
	alignas(64) double e_prev[SB_LANES];
	alignas(64) double peak[SB_LANES];
	alignas(64) double max_dd[SB_LANES];
	alignas(64) double sum_r[SB_LANES];
	alignas(64) double sum_r2[SB_LANES];
	alignas(64) double sum_down2[SB_LANES];
	alignas(64) double sum_r3[SB_LANES];    /* r2 * r, r2 * r2: as in sb_step_mark() */
	alignas(64) double sum_r4[SB_LANES];
	alignas(64) double exposure[SB_LANES];
	alignas(64) double h[SB_LANES];
	alignas(64) double e[SB_LANES];
	struct sb_trade_params p[SB_LANES];
	struct sb_accum acc[SB_LANES];
};

/*
 * The mark of sb_step_mark() on the 8 lanes at close c, side by side (the same
 * operations per lane; the compiler vectorises the loop).
 */
static inline void sb_lanes_mark(struct sb_lanes *L, double c)
{
	for (int l = 0; l < SB_LANES; l++) {
		double e = L->cash[l] + L->q[l] * c;
		double r = e / L->e_prev[l] - 1.0;
		double r2 = r * r;
		double dd;

		L->sum_r[l] += r;
		L->sum_r2[l] += r2;
		L->sum_r3[l] += r2 * r;
		L->sum_r4[l] += r2 * r2;
		L->sum_down2[l] += r < 0.0 ? r2 : 0.0;
		L->e_prev[l] = e;
		L->peak[l] = e > L->peak[l] ? e : L->peak[l];
		dd = 1.0 - e / L->peak[l];
		L->max_dd[l] = dd > L->max_dd[l] ? dd : L->max_dd[l];
		L->exposure[l] += L->pos[l] != 0.0 ? 1.0 : 0.0;
	}
}

/* Loads lanes [0, nl) of p (nl <= 8); missing lanes repeat the last one. */
void sb_lanes_init(struct sb_lanes *L, const struct sb_trade_params *p, size_t nl);
/* Copies lanes [0, nl) back into out[]. */
void sb_lanes_store(struct sb_lanes *L, size_t nl, struct sb_accum *out);

#endif
