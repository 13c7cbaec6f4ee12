/* kern_exits_block.h - one block of 8 lanes with exits; included once per ISA
 *
 * The includer defines EXITS_BLOCK (the function's name) and EXITS_TARGET (a target
 * attribute, or nothing), as libdeflate builds one template per ISA.  Per candle the
 * lanes' cheap tests run side by side on plain arrays of 8 (the compiler vectorises
 * them): a lane can only act on this candle when
 *   - it is held and its open, low or high reaches its fixed stop, trailing stop or take
 *     (levels formed as sb_step_candle() forms them), its max hold is over, or the
 *     signal is inside its exit band;
 *   - it is flat and the signal could re-arm it (|s| < e, while it waits) or else
 *     enter (|s| > h, on a side the lane trades).
 * Those lanes, rare, go through sb_step_candle() itself, so every decision and fill is
 * the scalar path's; the other held lanes only raise (lower) their best price, as its
 * checks would.  The marks are generic_block()'s (kernels.c): a flat lane that did not
 * trade skips it, bit-identical to marking.
 */
#include <math.h>

EXITS_TARGET static void EXITS_BLOCK(size_t n, const struct sb_bars *b,
				     const double *restrict signal, struct sb_lanes *L)
{
	/* per lane: the open trade's fixed stop, take, trail factor (0 or inf: none) */
	double stop[SB_LANES], take[SB_LANES], trail_f[SB_LANES], best[SB_LANES];
	double held_until[SB_LANES], wait[SB_LANES], side[SB_LANES];
	int in_pos = 0;

	for (int l = 0; l < SB_LANES; l++) {
		side[l] = (double)L->p[l].side;      /* 0 both: any sign passes */
		held_until[l] = INFINITY;
		wait[l] = 0.0;
		stop[l] = take[l] = trail_f[l] = best[l] = 0.0;
	}
	for (size_t i = 0; i < n; i++) {
		const double o = b->open[i], hi = b->high[i], lo = b->low[i], c = b->close[i];
		const double s = signal[i], as = fabs(s);
		const double di = (double)i;
		bool traded = false;
		unsigned act = 0;

		for (int l = 0; l < SB_LANES; l++) {
			const double pos = L->pos[l];
			double tr = best[l] * trail_f[l];
			bool a;

			if (pos > 0.0)
				a = o <= stop[l] || lo <= stop[l] || o <= tr || lo <= tr ||
				    o >= take[l] || hi >= take[l];
			else if (pos < 0.0)
				a = o >= stop[l] || hi >= stop[l] || o >= tr || hi >= tr ||
				    o <= take[l] || lo <= take[l];
			else    /* waiting: only a re-arm; else an entry on a side the lane trades */
				a = wait[l] != 0.0 ? as < L->e[l] : as > L->h[l] && side[l] * s >= 0.0;
			if (pos != 0.0)      /* NaN compares false: no signal, no signal exit */
				a = a || di >= held_until[l] || as < L->e[l];
			act |= (unsigned)a << l;
		}
		for (int l = 0; act && l < SB_LANES; l++) {
			struct sb_accum *a = &L->acc[l];
			const struct sb_trade_params *p = &L->p[l];

			if (!((act >> l) & 1))
				continue;
			a->cash = L->cash[l];
			a->q = L->q[l];
			a->pos = (int)L->pos[l];
			a->best = best[l];
			if (sb_step_candle(a, p, b, s, i, NULL))
				traded = true;
			L->cash[l] = a->cash;
			L->q[l] = a->q;
			L->pos[l] = (double)a->pos;
			best[l] = a->best;
			wait[l] = a->wait_rearm ? 1.0 : 0.0;
			if (a->pos == 0)
				continue;
			/* the levels of the trade just opened (or still open) */
			{
				const int k = a->pos < 0 ? 1 : 0;      /* the factors' index */
				const double none_lo = k ? INFINITY : -INFINITY;

				stop[l] = p->exits & SB_EXIT_ON_STOP ? a->entry_price * p->stop_f[k]
								    : none_lo;
				take[l] = p->exits & SB_EXIT_ON_TAKE ? a->entry_price * p->take_f[k]
								    : -none_lo;
				trail_f[l] = p->exits & SB_EXIT_ON_TRAIL ? p->trail_f[k]
									 : k ? INFINITY : 0.0;
				held_until[l] = p->exits & SB_EXIT_ON_TIME
						? (double)a->entry_i + (double)p->max_hold : INFINITY;
			}
		}
		if (act && traded) {
			in_pos = 0;
			for (int l = 0; l < SB_LANES; l++)
				in_pos |= L->pos[l] != 0.0;
		}
		/* held lanes that did not act: their checks passed; the extreme counts now */
		for (int l = 0; l < SB_LANES; l++) {
			bool up = L->pos[l] > 0.0 && !((act >> l) & 1) && hi > best[l];
			bool down = L->pos[l] < 0.0 && !((act >> l) & 1) && lo < best[l];

			best[l] = up ? hi : down ? lo : best[l];
		}
		if (!in_pos && !traded)
			continue;
		sb_lanes_mark(L, c);
	}
}
