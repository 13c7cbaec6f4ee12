/* kern_avx512.c - the sweep kernel on AVX-512F: 8 lanes per zmm register */
#include "kernels.h"
#include "lanes.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <math.h>
#include <stdalign.h>

#define TARGET __attribute__((target("avx512f,avx512dq")))

/*
 * The same operations, in the same order, as sb_step_transition() and sb_step_mark()
 * in sim.[ch], so every lane rounds exactly as the scalar path does.  Transitions
 * run as masked vector operations on the candles where some lane trades; counters
 * are held as doubles (exact below 2^53).  The drawdown division runs only when
 * some lane may set a new maximum: E < peak * (1 - max_dd) * (1 + 1e-9) is a
 * conservative test (its slack dwarfs the rounding of both sides), and lanes that
 * fail it cannot beat their max_dd.
 */
#define NB 1   /* blocks of 8 lanes interleaved per candle: amortises the per-candle work */

TARGET static void avx512_blocks(size_t n, const double *restrict close,
				 const double *restrict signal, struct sb_lanes *Ls)
{
	const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
	const __m512d slack = _mm512_set1_pd(1.0 + 1e-9);
	__m512d h[NB], nh[NB], e[NB], f[NB], opf[NB], cash[NB], q[NB], pos[NB], e_prev[NB];
	__m512d peak[NB], max_dd[NB], sr[NB], sr2[NB], sd2[NB], expo[NB], dd_ratio[NB];
	__m512d entry_eq[NB], trades[NB], closed[NB], wins[NB], gwin[NB], gloss[NB], stret[NB];
	__mmask8 in_pos[NB];

	for (int b = 0; b < NB; b++) {
		struct sb_lanes *L = &Ls[b];
		alignas(64) double fv[SB_LANES];

		for (int l = 0; l < SB_LANES; l++)
			fv[l] = L->p[l].cost;
		f[b] = _mm512_load_pd(fv);
		opf[b] = _mm512_add_pd(one, f[b]);       /* 1.0 + f, as in sb_step_transition */
		h[b] = _mm512_load_pd(L->h);
		nh[b] = _mm512_sub_pd(zero, h[b]);
		e[b] = _mm512_load_pd(L->e);
		cash[b] = _mm512_load_pd(L->cash);
		q[b] = _mm512_load_pd(L->q);
		pos[b] = _mm512_load_pd(L->pos);
		e_prev[b] = _mm512_load_pd(L->e_prev);
		peak[b] = _mm512_load_pd(L->peak);
		max_dd[b] = _mm512_load_pd(L->max_dd);
		sr[b] = _mm512_load_pd(L->sum_r);
		sr2[b] = _mm512_load_pd(L->sum_r2);
		sd2[b] = _mm512_load_pd(L->sum_down2);
		expo[b] = _mm512_load_pd(L->exposure);
		dd_ratio[b] = _mm512_mul_pd(_mm512_sub_pd(one, max_dd[b]), slack);
		entry_eq[b] = trades[b] = closed[b] = wins[b] = zero;
		gwin[b] = gloss[b] = stret[b] = zero;
		in_pos[b] = _mm512_cmp_pd_mask(pos[b], zero, _CMP_NEQ_OQ);
	}

	for (size_t i = 0; i < n; i++) {
		const double c = close[i], s = signal[i];
		const __m512d vc = _mm512_set1_pd(c);
		__mmask8 moved[NB] = { 0 };
		bool active = false;

		if (!isnan(s)) {
			const __m512d vs = _mm512_set1_pd(s);
			const __m512d as = _mm512_set1_pd(fabs(s));

#pragma GCC unroll 4
			for (int b = 0; b < NB; b++) {
				__mmask8 go_long = (__mmask8)(~in_pos[b] &
							      _mm512_cmp_pd_mask(vs, h[b], _CMP_GT_OQ));
				__mmask8 go_short = (__mmask8)(~in_pos[b] & ~go_long &
							       _mm512_cmp_pd_mask(vs, nh[b], _CMP_LT_OQ));
				__mmask8 go_out = in_pos[b] & _mm512_cmp_pd_mask(as, e[b], _CMP_LT_OQ);
				__mmask8 in = go_long | go_short;

				if (!(in | go_out))
					continue;
				if (in) {
					__m512d qn = _mm512_div_pd(cash[b], _mm512_mul_pd(vc, opf[b]));
					__m512d amt = _mm512_mul_pd(qn, vc);
					__m512d fee = _mm512_mul_pd(amt, f[b]);

					entry_eq[b] = _mm512_mask_mov_pd(entry_eq[b], in, cash[b]);
					cash[b] = _mm512_mask_sub_pd(cash[b], go_long, cash[b],
								     _mm512_add_pd(amt, fee));
					cash[b] = _mm512_mask_add_pd(cash[b], go_short, cash[b],
								     _mm512_sub_pd(amt, fee));
					q[b] = _mm512_mask_mov_pd(q[b], go_long, qn);
					q[b] = _mm512_mask_sub_pd(q[b], go_short, zero, qn);
					pos[b] = _mm512_mask_mov_pd(pos[b], go_long, one);
					pos[b] = _mm512_mask_sub_pd(pos[b], go_short, zero, one);
					trades[b] = _mm512_mask_add_pd(trades[b], in, trades[b], one);
				}
				if (go_out) {
					__mmask8 was_long = go_out &
						_mm512_cmp_pd_mask(pos[b], zero, _CMP_GT_OQ);
					__mmask8 was_short = go_out & ~was_long;
					__m512d amt = _mm512_mul_pd(_mm512_abs_pd(q[b]), vc);
					__m512d fee = _mm512_mul_pd(amt, f[b]);
					__m512d pnl;
					__mmask8 win;

					cash[b] = _mm512_mask_add_pd(cash[b], was_long, cash[b],
								     _mm512_sub_pd(amt, fee));
					cash[b] = _mm512_mask_sub_pd(cash[b], was_short, cash[b],
								     _mm512_add_pd(amt, fee));
					pnl = _mm512_sub_pd(cash[b], entry_eq[b]);
					win = go_out & _mm512_cmp_pd_mask(cash[b], entry_eq[b], _CMP_GT_OQ);
					closed[b] = _mm512_mask_add_pd(closed[b], go_out, closed[b], one);
					wins[b] = _mm512_mask_add_pd(wins[b], win, wins[b], one);
					gwin[b] = _mm512_mask_add_pd(gwin[b], win, gwin[b], pnl);
					gloss[b] = _mm512_mask_sub_pd(gloss[b], go_out & ~win, gloss[b], pnl);
					stret[b] = _mm512_mask_add_pd(stret[b], go_out, stret[b],
						_mm512_sub_pd(_mm512_div_pd(cash[b], entry_eq[b]), one));
					q[b] = _mm512_mask_mov_pd(q[b], go_out, zero);
					pos[b] = _mm512_mask_mov_pd(pos[b], go_out, zero);
				}
				moved[b] = in | go_out;
				in_pos[b] = (__mmask8)((in_pos[b] | in) & ~go_out);
			}
		}
#pragma GCC unroll 4
		for (int b = 0; b < NB; b++)
			active |= (in_pos[b] | moved[b]) != 0;
		/* A flat lane's mark changes nothing (q == 0: E == cash == E_prev, r == 0). */
		if (!active)
			continue;
#pragma GCC unroll 4
		for (int b = 0; b < NB; b++) {
			__m512d eq = _mm512_add_pd(cash[b], _mm512_mul_pd(q[b], vc));
			__m512d r = _mm512_sub_pd(_mm512_div_pd(eq, e_prev[b]), one);
			__m512d r2 = _mm512_mul_pd(r, r);
			__mmask8 dd_check;

			sr[b] = _mm512_add_pd(sr[b], r);
			sr2[b] = _mm512_add_pd(sr2[b], r2);
			sd2[b] = _mm512_mask_add_pd(sd2[b], _mm512_cmp_pd_mask(r, zero, _CMP_LT_OQ),
						    sd2[b], r2);
			e_prev[b] = eq;
			peak[b] = _mm512_mask_mov_pd(peak[b], _mm512_cmp_pd_mask(eq, peak[b], _CMP_GT_OQ), eq);
			dd_check = _mm512_cmp_pd_mask(eq, _mm512_mul_pd(peak[b], dd_ratio[b]), _CMP_LT_OQ);
			if (dd_check) {
				__m512d dd = _mm512_sub_pd(one, _mm512_div_pd(eq, peak[b]));

				max_dd[b] = _mm512_mask_mov_pd(max_dd[b],
					_mm512_cmp_pd_mask(dd, max_dd[b], _CMP_GT_OQ), dd);
				dd_ratio[b] = _mm512_mul_pd(_mm512_sub_pd(one, max_dd[b]), slack);
			}
			expo[b] = _mm512_mask_add_pd(expo[b], in_pos[b], expo[b], one);
		}
	}
	for (int b = 0; b < NB; b++) {
		struct sb_lanes *L = &Ls[b];
		alignas(64) double v[7][SB_LANES];

		_mm512_store_pd(L->cash, cash[b]);
		_mm512_store_pd(L->q, q[b]);
		_mm512_store_pd(L->pos, pos[b]);
		_mm512_store_pd(L->e_prev, e_prev[b]);
		_mm512_store_pd(L->peak, peak[b]);
		_mm512_store_pd(L->max_dd, max_dd[b]);
		_mm512_store_pd(L->sum_r, sr[b]);
		_mm512_store_pd(L->sum_r2, sr2[b]);
		_mm512_store_pd(L->sum_down2, sd2[b]);
		_mm512_store_pd(L->exposure, expo[b]);
		_mm512_store_pd(v[0], entry_eq[b]);
		_mm512_store_pd(v[1], trades[b]);
		_mm512_store_pd(v[2], closed[b]);
		_mm512_store_pd(v[3], wins[b]);
		_mm512_store_pd(v[4], gwin[b]);
		_mm512_store_pd(v[5], gloss[b]);
		_mm512_store_pd(v[6], stret[b]);
		for (int l = 0; l < SB_LANES; l++) {
			struct sb_accum *a = &L->acc[l];

			a->entry_equity = v[0][l];
			a->trades = (uint64_t)v[1][l];
			a->closed = (uint64_t)v[2][l];
			a->wins = (uint64_t)v[3][l];
			a->gross_win = v[4][l];
			a->gross_loss = v[5][l];
			a->sum_trade_ret = v[6][l];
		}
	}
}

void sb_kernel_avx512(size_t n, const double *restrict close, const double *restrict signal,
		      const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
{
	struct sb_lanes L[NB];

	for (size_t b = 0; b < nl; b += NB * SB_LANES) {
		size_t m = nl - b < NB * SB_LANES ? nl - b : NB * SB_LANES;

		for (int k = 0; k < NB; k++) {
			size_t off = (size_t)k * SB_LANES;
			size_t mk = m > off ? (m - off < SB_LANES ? m - off : SB_LANES) : 0;

			/* A block beyond the grid repeats the last lane; its result is dropped. */
			sb_lanes_init(&L[k], mk ? p + b + off : p + b + m - 1, mk ? mk : 1);
		}
		avx512_blocks(n, close, signal, L);
		for (int k = 0; k < NB; k++) {
			size_t off = (size_t)k * SB_LANES;

			if (m > off)
				sb_lanes_store(&L[k], m - off < SB_LANES ? m - off : SB_LANES,
					       out + b + off);
		}
	}
}
#endif
