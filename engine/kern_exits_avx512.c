/* kern_exits_avx512.c - kern_exits_block.h compiled for AVX-512F (8 lanes per zmm) */
#include "kernels.h"
#include "lanes.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define FEATURE(f) f
#define EXITS_TARGET __attribute__((target(SB_AVX512_FEATURES(FEATURE, ","))))
#define EXITS_BLOCK exits_block_avx512
#include "kern_exits_block.h"

void sb_kernel_exits_avx512(size_t n, const struct sb_bars *b, const double *restrict signal,
			    const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
{
	sb_kernel_exits_blocks(exits_block_avx512, n, b, signal, p, nl, out);
}
#endif
