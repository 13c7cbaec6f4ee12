/* kern_exits.c - the lanes whose combinations have risk exits or a side */
#include "kernels.h"
#include "lanes.h"

#include <math.h>

/*
 * Lane after lane, candle by candle, through sb_step_candle(): the scalar path's
 * operations in its order.  A flat lane that did not trade skips its mark (q == 0: E ==
 * cash == E_prev, r == 0, so the mark changes nothing, as in the exit-free kernels).
 */
void sb_kernel_exits(size_t n, const struct sb_bars *b, const double *restrict signal,
		     const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
{
	for (size_t l = 0; l < nl; l++) {
		struct sb_accum *a = &out[l];

		sb_accum_init(a);
		for (size_t i = 0; i < n; i++) {
			bool moved;

			/* flat without a signal: nothing can happen, and the mark changes nothing */
			if (a->pos == 0 && isnan(signal[i]))
				continue;
			moved = sb_step_candle(a, &p[l], b, signal[i], i, NULL);
			if (moved || a->pos != 0)
				sb_step_mark(a, b->close[i]);
		}
	}
}

static bool all_plain(const struct sb_trade_params *p, size_t nl)
{
	for (size_t l = 0; l < nl; l++)
		if (!sb_trade_params_plain(&p[l]))
			return false;
	return true;
}

void sb_kernel_dispatch(sb_kernel_fn k, size_t n, const struct sb_bars *b,
			const double *restrict signal, const struct sb_trade_params *p, size_t nl,
			struct sb_accum *out)
{
	if (all_plain(p, nl)) {
		k(n, b->close, signal, p, nl, out);
		return;
	}
	for (size_t l0 = 0; l0 < nl; l0 += SB_LANES) {
		size_t m = nl - l0 < SB_LANES ? nl - l0 : SB_LANES;

		if (all_plain(p + l0, m))
			k(n, b->close, signal, p + l0, m, out + l0);
		else
			sb_kernel_exits(n, b, signal, p + l0, m, out + l0);
	}
}
