/* kernels.c - the scalar reference kernel, the portable 8-lane kernel, dispatch */
#include "kernels.h"
#include "lanes.h"

#include <math.h>
#include <string.h>

void sb_kernel_scalar(size_t n, const double *restrict close, const double *restrict signal,
		      const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
{
	for (size_t l = 0; l < nl; l++) {
		sb_accum_init(&out[l]);
		sb_sim_scalar(n, close, signal, &p[l], &out[l], NULL);
	}
}

void sb_lanes_init(struct sb_lanes *L, const struct sb_trade_params *p, size_t nl)
{
	memset(L, 0, sizeof(*L));
	for (int l = 0; l < SB_LANES; l++) {
		const struct sb_trade_params *pl = &p[(size_t)l < nl ? (size_t)l : nl - 1];

		L->p[l] = *pl;
		L->h[l] = pl->threshold;
		L->e[l] = pl->exit_band;
		sb_accum_init(&L->acc[l]);
		L->cash[l] = L->acc[l].cash;
		L->e_prev[l] = L->acc[l].e_prev;
		L->peak[l] = L->acc[l].peak;
	}
}

/* sb_step_transition() on lane l of the generic kernel, its hot fields synced. */
static bool lanes_transition(struct sb_lanes *L, int l, double c, double s, size_t i)
{
	struct sb_accum *a = &L->acc[l];
	bool moved;

	a->cash = L->cash[l];
	a->q = L->q[l];
	a->pos = (int)L->pos[l];
	moved = sb_step_transition(a, &L->p[l], c, s, i, NULL);
	L->cash[l] = a->cash;
	L->q[l] = a->q;
	L->pos[l] = (double)a->pos;
	return moved;
}

void sb_lanes_store(struct sb_lanes *L, size_t nl, struct sb_accum *out)
{
	for (size_t l = 0; l < nl; l++) {
		struct sb_accum *a = &L->acc[l];

		a->cash = L->cash[l];
		a->q = L->q[l];
		a->pos = (int)L->pos[l];
		a->e_prev = L->e_prev[l];
		a->peak = L->peak[l];
		a->max_dd = L->max_dd[l];
		a->sum_r = L->sum_r[l];
		a->sum_r2 = L->sum_r2[l];
		a->sum_down2 = L->sum_down2[l];
		a->sum_r3 = L->sum_r3[l];
		a->sum_r4 = L->sum_r4[l];
		a->exposure = L->exposure[l];
		out[l] = *a;
	}
}

/*
 * One block of 8 lanes.  A flat lane's mark changes nothing (q is exactly 0, so
 * E == cash == E_prev, r == 0, peak and drawdown unchanged), so candles where every
 * lane is flat and none traded are skipped: bit-identical to marking them.
 */
static void generic_block(size_t n, const double *restrict close,
			  const double *restrict signal, struct sb_lanes *L)
{
	int in_pos = 0;

	for (size_t i = 0; i < n; i++) {
		const double c = close[i], s = signal[i];
		bool traded = false;

		if (!isnan(s)) {
			for (int l = 0; l < SB_LANES; l++) {
				bool want = L->pos[l] == 0.0 ? (s > L->h[l] || s < -L->h[l])
							     : fabs(s) < L->e[l];

				if (want && lanes_transition(L, l, c, s, i))
					traded = true;
			}
			if (traded) {
				in_pos = 0;
				for (int l = 0; l < SB_LANES; l++)
					in_pos |= L->pos[l] != 0.0;
			}
		}
		if (!in_pos && !traded)
			continue;
		sb_lanes_mark(L, c);
	}
}

void sb_kernel_generic(size_t n, const double *restrict close, const double *restrict signal,
		       const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
{
	struct sb_lanes L;

	for (size_t b = 0; b < nl; b += SB_LANES) {
		size_t m = nl - b < SB_LANES ? nl - b : SB_LANES;

		sb_lanes_init(&L, p + b, m);
		generic_block(n, close, signal, &L);
		sb_lanes_store(&L, m, out + b);
	}
}

#define FEATURE_TEXT(f) f
const char sb_kernel_avx512_features[] = SB_AVX512_FEATURES(FEATURE_TEXT, ",");

bool sb_kernel_avx512_supported(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
#define CPU_HAS(f) __builtin_cpu_supports(f)
	__builtin_cpu_init();
	return SB_AVX512_FEATURES(CPU_HAS, &&);
#undef CPU_HAS
#else
	return false;
#endif
}

sb_kernel_fn sb_kernel_get(enum sb_kernel k, const char **name)
{
	if (k == SB_KERNEL_AUTO)
		k = sb_kernel_avx512_supported() ? SB_KERNEL_AVX512 : SB_KERNEL_GENERIC;
	switch (k) {
	case SB_KERNEL_SCALAR:
		*name = "scalar";
		return sb_kernel_scalar;
#if defined(__x86_64__) && defined(__GNUC__)
	case SB_KERNEL_AVX512:
		*name = "avx512";
		return sb_kernel_avx512;
#endif
	default:
		*name = "generic";
		return sb_kernel_generic;
	}
}

bool sb_kernel_parse(const char *s, enum sb_kernel *k)
{
	static const char *const names[] = { "auto", "scalar", "generic", "avx512" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*k = (enum sb_kernel)i;
			return true;
		}
	return false;
}
