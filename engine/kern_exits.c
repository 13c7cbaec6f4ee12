/* kern_exits.c - the lanes whose combinations have risk exits or a side */
#include "kernels.h"
#include "lanes.h"

#include <math.h>

#define EXITS_BLOCK exits_block_generic
#define EXITS_TARGET
#include "kern_exits_block.h"

/*
 * The reference for these lanes (--kernel scalar): lane after lane, candle by candle,
 * through sb_step_candle().  A flat lane that did not trade skips its mark (q == 0: E ==
 * cash == E_prev, r == 0, so the mark changes nothing, as in the exit-free kernels).
 */
void sb_kernel_exits_scalar(size_t n, const struct sb_bars *b, const double *restrict signal,
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

/* Blocks of 8 lanes of any lane count through 'block' (kern_exits_block.h). */
void sb_kernel_exits_blocks(void (*block)(size_t, const struct sb_bars *, const double *,
					  struct sb_lanes *),
			    size_t n, const struct sb_bars *b, const double *signal,
			    const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
{
	struct sb_lanes L;

	for (size_t l0 = 0; l0 < nl; l0 += SB_LANES) {
		size_t m = nl - l0 < SB_LANES ? nl - l0 : SB_LANES;

		sb_lanes_init(&L, p + l0, m);
		block(n, b, signal, &L);
		sb_lanes_store(&L, m, out + l0);
	}
}

void sb_kernel_exits(size_t n, const struct sb_bars *b, const double *restrict signal,
		     const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
{
	sb_kernel_exits_blocks(exits_block_generic, n, b, signal, p, nl, out);
}

sb_exits_kernel_fn sb_kernel_exits_get(enum sb_kernel k)
{
	if (k == SB_KERNEL_AUTO)
		k = sb_kernel_avx512_supported() ? SB_KERNEL_AVX512 : SB_KERNEL_GENERIC;
	switch (k) {
	case SB_KERNEL_SCALAR:
		return sb_kernel_exits_scalar;
#if defined(__x86_64__) && defined(__GNUC__)
	case SB_KERNEL_AVX512:
		return sb_kernel_exits_avx512;
#endif
	default:
		return sb_kernel_exits;
	}
}

static bool all_plain(const struct sb_trade_params *p, size_t nl)
{
	for (size_t l = 0; l < nl; l++)
		if (!sb_trade_params_plain(&p[l]))
			return false;
	return true;
}

void sb_kernel_dispatch(sb_kernel_fn k, sb_exits_kernel_fn xk, size_t n,
			const struct sb_bars *b, const double *restrict signal,
			const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
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
			xk(n, b, signal, p + l0, m, out + l0);
	}
}
