/* kern_avx512.c - the sweep kernel on AVX-512F: 8 lanes per zmm register */
#include "kernels.h"
#include "lanes.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

#define FEATURE(f) f
/* one string, "avx512f" "," "avx512dq" joined by the compiler: clang takes no list */
#define TARGET __attribute__((target(SB_AVX512_FEATURES(FEATURE, ","))))

/*
 * The same operations, in the same order, as sb_step_transition() and sb_step_mark()
 * in sim.[ch], so every lane rounds exactly as the scalar path does.
 *
 * - Per candle, one branch decides whether anything moves: a flat lane enters when
 *   |s| > h (the same as s > h or s < -h, for any h), a held lane exits when |s| < e,
 *   and "flat with cash > 0" is a mask kept across candles (cash changes only at
 *   transitions).  A NaN signal compares false, so it needs no test of its own.
 * - Transitions run as masked vector operations, entries and exits both, without a
 *   branch on which lanes move: on signals that change from one candle to the next
 *   such branches are mispredicted about half the time (docs/performance.md).  The
 *   state only transitions touch (entry equity, trade counters) stays in memory, so
 *   the per-candle state of NB blocks fits in registers.
 * - A flat lane's mark changes nothing (q == 0: E == cash == E_prev, r == 0), so a
 *   candle where every lane of the NB blocks is flat and none traded is skipped, and
 *   when every lane is flat and |s| is below every threshold nothing is computed.
 * - Exposure is counted at transitions (exit index - entry index), an exact integer
 *   like the scalar path's per-candle count.
 * - Drawdown without a division per candle: while the peak P stays the same, the
 *   largest 1 - E/P is 1 - min(E)/P, because rounded division and subtraction are
 *   monotonic; so each lane keeps the lowest equity since its last new high and
 *   folds 1 - min/P into max_dd only when a new high ends a segment that dipped
 *   (and once at the end).  The maximum is the scalar path's, bit for bit.
 * - Counters are held as doubles, exact below 2^53.
 */
/*
 * Blocks of 8 lanes interleaved per candle: 2 share the per-candle scalar work and
 * give the out-of-order core two independent chains; measured 1.15x over 1 on both
 * bench data shapes (3 and 4 spill registers and are slower).
 */
#define NB 2

struct cold {                       /* per block, touched only at transitions */
	alignas(64) double f[SB_LANES], opf[SB_LANES];
	alignas(64) double entry_eq[SB_LANES], trades[SB_LANES], closed[SB_LANES];
	alignas(64) double wins[SB_LANES], gwin[SB_LANES], gloss[SB_LANES], stret[SB_LANES];
	alignas(64) double expo[SB_LANES];
};

/*
 * Enters and exits the lanes of the go_* masks at close vc of candle i.  Both halves
 * run as masked operations whatever the masks hold: which lanes move is data, and a
 * branch on it is mispredicted on signals that change often.
 */
TARGET static inline __attribute__((always_inline)) void
transition(struct cold *k, __m512d *cash, __m512d *q, __mmask8 go_long, __mmask8 go_short,
	   __mmask8 go_out, __m512d vc, double i)
{
	const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
	const __m512d vi = _mm512_set1_pd(i);
	const __m512d f = _mm512_load_pd(k->f);
	const __mmask8 in = go_long | go_short;
	__m512d entry_eq = _mm512_load_pd(k->entry_eq), expo = _mm512_load_pd(k->expo);

	/* entries */
	{
		__m512d qn = _mm512_div_pd(*cash, _mm512_mul_pd(vc, _mm512_load_pd(k->opf)));
		__m512d amt = _mm512_mul_pd(qn, vc);
		__m512d fee = _mm512_mul_pd(amt, f);
		__m512d trades = _mm512_load_pd(k->trades);

		entry_eq = _mm512_mask_mov_pd(entry_eq, in, *cash);
		*cash = _mm512_mask_sub_pd(*cash, go_long, *cash, _mm512_add_pd(amt, fee));
		*cash = _mm512_mask_add_pd(*cash, go_short, *cash, _mm512_sub_pd(amt, fee));
		*q = _mm512_mask_mov_pd(*q, go_long, qn);
		*q = _mm512_mask_sub_pd(*q, go_short, zero, qn);
		_mm512_store_pd(k->trades, _mm512_mask_add_pd(trades, in, trades, one));
		expo = _mm512_mask_sub_pd(expo, in, expo, vi);
	}
	/* exits */
	{
		__mmask8 was_long = go_out & _mm512_cmp_pd_mask(*q, zero, _CMP_GT_OQ);
		__mmask8 was_short = go_out & ~was_long;
		__m512d amt = _mm512_mul_pd(_mm512_abs_pd(*q), vc);
		__m512d fee = _mm512_mul_pd(amt, f);
		__m512d pnl, wins = _mm512_load_pd(k->wins), closed = _mm512_load_pd(k->closed);
		__m512d gwin = _mm512_load_pd(k->gwin), gloss = _mm512_load_pd(k->gloss);
		__m512d stret = _mm512_load_pd(k->stret);
		__mmask8 win;

		*cash = _mm512_mask_add_pd(*cash, was_long, *cash, _mm512_sub_pd(amt, fee));
		*cash = _mm512_mask_sub_pd(*cash, was_short, *cash, _mm512_add_pd(amt, fee));
		pnl = _mm512_sub_pd(*cash, entry_eq);
		win = go_out & _mm512_cmp_pd_mask(*cash, entry_eq, _CMP_GT_OQ);
		_mm512_store_pd(k->closed, _mm512_mask_add_pd(closed, go_out, closed, one));
		_mm512_store_pd(k->wins, _mm512_mask_add_pd(wins, win, wins, one));
		_mm512_store_pd(k->gwin, _mm512_mask_add_pd(gwin, win, gwin, pnl));
		_mm512_store_pd(k->gloss, _mm512_mask_sub_pd(gloss, go_out & ~win, gloss, pnl));
		_mm512_store_pd(k->stret, _mm512_mask_add_pd(stret, go_out, stret,
			_mm512_sub_pd(_mm512_div_pd(*cash, entry_eq), one)));
		*q = _mm512_mask_mov_pd(*q, go_out, zero);
		expo = _mm512_mask_add_pd(expo, go_out, expo, vi);
	}
	_mm512_store_pd(k->entry_eq, entry_eq);
	_mm512_store_pd(k->expo, expo);
}

TARGET static void avx512_blocks(size_t n, const double *restrict close,
				 const double *restrict signal, struct sb_lanes *Ls)
{
	const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
	__m512d cash[NB], q[NB], e_prev[NB], peak[NB], max_dd[NB], sr[NB], sr2[NB], sd2[NB];
	__m512d sr3[NB], sr4[NB];      /* sum r^3, r^4 as r2 * r, r2 * r2 (sb_step_mark) */
	__m512d low[NB];                /* lowest equity since the last new high */
	__mmask8 in_pos[NB], flat_ok[NB];   /* held; flat with cash > 0 */
	double h_min = Ls[0].h[0];          /* the lowest threshold of the NB blocks */
	struct cold k[NB];

	for (int b = 0; b < NB; b++) {
		struct sb_lanes *L = &Ls[b];

		memset(&k[b], 0, sizeof(k[b]));
		for (int l = 0; l < SB_LANES; l++) {
			k[b].f[l] = L->p[l].cost;
			k[b].opf[l] = 1.0 + L->p[l].cost;    /* as in sb_step_transition */
		}
		cash[b] = _mm512_load_pd(L->cash);
		q[b] = _mm512_load_pd(L->q);
		e_prev[b] = _mm512_load_pd(L->e_prev);
		peak[b] = _mm512_load_pd(L->peak);
		max_dd[b] = _mm512_load_pd(L->max_dd);
		sr[b] = _mm512_load_pd(L->sum_r);
		sr2[b] = _mm512_load_pd(L->sum_r2);
		sd2[b] = _mm512_load_pd(L->sum_down2);
		sr3[b] = _mm512_load_pd(L->sum_r3);
		sr4[b] = _mm512_load_pd(L->sum_r4);
		low[b] = _mm512_load_pd(L->e_prev);
		in_pos[b] = _mm512_cmp_pd_mask(q[b], zero, _CMP_NEQ_OQ);
		flat_ok[b] = (__mmask8)(~in_pos[b] & _mm512_cmp_pd_mask(cash[b], zero, _CMP_GT_OQ));
		for (int l = 0; l < SB_LANES; l++)
			h_min = L->h[l] < h_min ? L->h[l] : h_min;
	}

	for (size_t i = 0; i < n; i++) {
		const __m512d vc = _mm512_set1_pd(close[i]);
		const __m512d as = _mm512_abs_pd(_mm512_set1_pd(signal[i]));
		__mmask8 enter[NB], go_out[NB];
		unsigned any = 0, held = 0;

#pragma GCC unroll 4
		for (int b = 0; b < NB; b++)
			held |= in_pos[b];
		/* Every lane flat and no threshold crossed (or no signal): nothing to do. */
		if (!held && !(fabs(signal[i]) > h_min))
			continue;

		/*
		 * A flat lane moves when s > h or s < -h, that is |s| > h (also for h < 0); a
		 * held one when |s| < e.  A NaN signal compares false: no lane moves.
		 */
#pragma GCC unroll 4
		for (int b = 0; b < NB; b++) {
			enter[b] = _mm512_mask_cmp_pd_mask(flat_ok[b], as, _mm512_load_pd(Ls[b].h),
							   _CMP_GT_OQ);
			go_out[b] = _mm512_mask_cmp_pd_mask(in_pos[b], as, _mm512_load_pd(Ls[b].e),
							    _CMP_LT_OQ);
			any |= (unsigned)(enter[b] | go_out[b]);
		}
		if (any) {
			const __m512d vs = _mm512_set1_pd(signal[i]);

			held = 0;
#pragma GCC unroll 4
			for (int b = 0; b < NB; b++) {
				__mmask8 go_long = _mm512_mask_cmp_pd_mask(enter[b], vs,
						_mm512_load_pd(Ls[b].h), _CMP_GT_OQ);

				transition(&k[b], &cash[b], &q[b], go_long, enter[b] & ~go_long,
					   go_out[b], vc, (double)i);
				in_pos[b] = (__mmask8)((in_pos[b] | enter[b]) & ~go_out[b]);
				/* A flat lane enters only with cash > 0 (a ruined book stays out). */
				flat_ok[b] = (__mmask8)(~in_pos[b] &
					_mm512_cmp_pd_mask(cash[b], zero, _CMP_GT_OQ));
				held |= in_pos[b];
			}
		}
		if (!(held | any))
			continue;
#pragma GCC unroll 4
		for (int b = 0; b < NB; b++) {
			__m512d eq = _mm512_add_pd(cash[b], _mm512_mul_pd(q[b], vc));
			__m512d r = _mm512_sub_pd(_mm512_div_pd(eq, e_prev[b]), one);
			__m512d r2 = _mm512_mul_pd(r, r);
			__mmask8 high = _mm512_cmp_pd_mask(eq, peak[b], _CMP_GT_OQ);
			__mmask8 fold = _mm512_mask_cmp_pd_mask(high, low[b], peak[b], _CMP_LT_OQ);

			sr[b] = _mm512_add_pd(sr[b], r);
			sr2[b] = _mm512_add_pd(sr2[b], r2);
			sr3[b] = _mm512_add_pd(sr3[b], _mm512_mul_pd(r2, r));
			sr4[b] = _mm512_add_pd(sr4[b], _mm512_mul_pd(r2, r2));
			sd2[b] = _mm512_mask_add_pd(sd2[b], _mm512_cmp_pd_mask(r, zero, _CMP_LT_OQ),
						    sd2[b], r2);
			e_prev[b] = eq;
			if (fold) {
				__m512d dd = _mm512_sub_pd(one, _mm512_div_pd(low[b], peak[b]));

				max_dd[b] = _mm512_mask_max_pd(max_dd[b], fold, dd, max_dd[b]);
			}
			peak[b] = _mm512_max_pd(eq, peak[b]);   /* eq where eq > peak */
			low[b] = _mm512_mask_mov_pd(_mm512_min_pd(eq, low[b]), high, eq);
		}
	}
	for (int b = 0; b < NB; b++) {
		struct sb_lanes *L = &Ls[b];

		_mm512_store_pd(L->cash, cash[b]);
		_mm512_store_pd(L->q, q[b]);
		_mm512_store_pd(L->e_prev, e_prev[b]);
		_mm512_store_pd(L->peak, peak[b]);
		/* Fold the last segment (dd is 0 where it did not dip). */
		_mm512_store_pd(L->max_dd, _mm512_max_pd(_mm512_sub_pd(one,
				_mm512_div_pd(low[b], peak[b])), max_dd[b]));
		_mm512_store_pd(L->sum_r, sr[b]);
		_mm512_store_pd(L->sum_r2, sr2[b]);
		_mm512_store_pd(L->sum_down2, sd2[b]);
		_mm512_store_pd(L->sum_r3, sr3[b]);
		_mm512_store_pd(L->sum_r4, sr4[b]);
		for (int l = 0; l < SB_LANES; l++) {
			struct sb_accum *a = &L->acc[l];
			bool held = (in_pos[b] >> l) & 1;

			L->pos[l] = L->q[l] > 0.0 ? 1.0 : L->q[l] < 0.0 ? -1.0 : 0.0;
			/* A position still open was held from its entry to the last candle. */
			L->exposure[l] = k[b].expo[l] + (held ? (double)n : 0.0);
			a->entry_equity = k[b].entry_eq[l];
			a->trades = (uint64_t)k[b].trades[l];
			a->closed = (uint64_t)k[b].closed[l];
			a->wins = (uint64_t)k[b].wins[l];
			a->gross_win = k[b].gwin[l];
			a->gross_loss = k[b].gloss[l];
			a->sum_trade_ret = k[b].stret[l];
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
