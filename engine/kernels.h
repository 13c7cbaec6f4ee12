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
/* AVX-512F intrinsics, 8 lanes per register; only call when the CPU has AVX-512F. */
void sb_kernel_avx512(size_t n, const double *restrict close, const double *restrict signal,
		      const struct sb_trade_params *p, size_t nl, struct sb_accum *out);

/* AUTO picks AVX-512 when the CPU has it (and the build could emit it), else generic. */
sb_kernel_fn sb_kernel_get(enum sb_kernel k, const char **name);
/* Reads "auto", "scalar", "generic", "avx512"; false on anything else. */
bool sb_kernel_parse(const char *s, enum sb_kernel *k);

#endif
