/* kernels.h - lane kernels: one signal group, many (threshold, exit band, cost) lanes */
#ifndef SB_KERNELS_H
#define SB_KERNELS_H

#include "sim.h"

/*
 * A kernel runs 'nl' combinations that share 'signal' over n candles and leaves each
 * combination's sums in out[l] (initialised by the kernel).  Every kernel must give
 * results bit-identical to sb_kernel_scalar(): same operations in the same order per
 * lane, transitions through sb_step_transition(), no FMA contraction.
 */
typedef void (*sb_kernel_fn)(size_t n, const double *restrict close,
			     const double *restrict signal, const struct sb_trade_params *p,
			     size_t nl, struct sb_accum *out);

enum sb_kernel { SB_KERNEL_AUTO, SB_KERNEL_SCALAR, SB_KERNEL_GENERIC, SB_KERNEL_AVX512 };

/* The reference: sb_sim_scalar() lane after lane. */
void sb_kernel_scalar(size_t n, const double *restrict close, const double *restrict signal,
		      const struct sb_trade_params *p, size_t nl, struct sb_accum *out);
/* Portable blocks of 8 lanes in plain C that any compiler may vectorise (x86-64, ARM). */
void sb_kernel_generic(size_t n, const double *restrict close, const double *restrict signal,
		       const struct sb_trade_params *p, size_t nl, struct sb_accum *out);
/*
 * The CPU features kern_avx512.c is compiled for: one list, expanded with X(feature)
 * for each and SEP between them, into its target attribute and into the run-time
 * check, so that a feature the kernel is built with is never left unchecked (a CPU
 * with AVX-512F but not DQ, such as Knights Landing, must not get it).
 */
#define SB_AVX512_FEATURES(X, SEP) X("avx512f") SEP X("avx512dq") SEP X("avx512bw")

/* AVX-512 intrinsics, 8 lanes per register; only call when sb_kernel_avx512_supported(). */
void sb_kernel_avx512(size_t n, const double *restrict close, const double *restrict signal,
		      const struct sb_trade_params *p, size_t nl, struct sb_accum *out);

/* True when the build has the AVX-512 kernel and the CPU has every feature it uses. */
bool sb_kernel_avx512_supported(void);
/* The features as text, "avx512f,avx512dq,avx512bw", for messages and tests. */
extern const char sb_kernel_avx512_features[];

/*
 * Lanes with exits or a side (!sb_trade_params_plain()) run in kern_exits*.c, with the
 * same contract: results bit-identical to sb_sim_bars() lane by lane.
 * sb_kernel_exits_scalar() is the reference (each lane through sb_step_candle(), sim.h);
 * sb_kernel_exits() runs blocks of 8 lanes whose cheap per-candle tests run side by side
 * and whose rare transitions go through sb_step_candle() (kern_exits_block.h);
 * sb_kernel_exits_avx512() is that block compiled for AVX-512 (only call it when
 * sb_kernel_avx512_supported()).
 */
typedef void (*sb_exits_kernel_fn)(size_t n, const struct sb_bars *b,
				   const double *restrict signal,
				   const struct sb_trade_params *p, size_t nl,
				   struct sb_accum *out);
void sb_kernel_exits_scalar(size_t n, const struct sb_bars *b, const double *restrict signal,
			    const struct sb_trade_params *p, size_t nl, struct sb_accum *out);
void sb_kernel_exits(size_t n, const struct sb_bars *b, const double *restrict signal,
		     const struct sb_trade_params *p, size_t nl, struct sb_accum *out);
void sb_kernel_exits_avx512(size_t n, const struct sb_bars *b, const double *restrict signal,
			    const struct sb_trade_params *p, size_t nl, struct sb_accum *out);
struct sb_lanes;
/* Runs blocks of 8 lanes through 'block' (sb_lanes_init(), block, sb_lanes_store()). */
void sb_kernel_exits_blocks(void (*block)(size_t, const struct sb_bars *, const double *,
					  struct sb_lanes *),
			    size_t n, const struct sb_bars *b, const double *signal,
			    const struct sb_trade_params *p, size_t nl, struct sb_accum *out);
/* The exits kernel that goes with --kernel k (AUTO: AVX-512 when supported). */
sb_exits_kernel_fn sb_kernel_exits_get(enum sb_kernel k);
/*
 * Runs lanes [0, nl) of p: with 'k' when every lane is plain (the exit-free kernels,
 * unchanged), else block of SB_LANES by block, each plain block with 'k' and the others
 * with 'xk'.  The results do not depend on how lanes are blocked.
 */
void sb_kernel_dispatch(sb_kernel_fn k, sb_exits_kernel_fn xk, size_t n,
			const struct sb_bars *b, const double *restrict signal,
			const struct sb_trade_params *p, size_t nl, struct sb_accum *out);

/* AUTO picks AVX-512 when sb_kernel_avx512_supported(), else generic. */
sb_kernel_fn sb_kernel_get(enum sb_kernel k, const char **name);
/* Reads "auto", "scalar", "generic", "avx512"; false on anything else. */
bool sb_kernel_parse(const char *s, enum sb_kernel *k);

#endif
