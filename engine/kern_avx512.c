/* kern_avx512.c - the sweep kernel on AVX-512F: 8 lanes per zmm register */
#include "kernels.h"
#include "lanes.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

#define FEATURE(f) f
/* one string, "avx512f" "," "avx512dq" ... joined by the compiler: clang takes no list */
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

/*
 * A block's state that transitions change (the word kernel keeps its per-candle sums
 * in struct wsums; the branchy kernel its cash, units and sums in registers).
 */
struct block {
	alignas(64) double cash[SB_LANES], q[SB_LANES], max_dd[SB_LANES];
	alignas(64) double f[SB_LANES], opf[SB_LANES];
	alignas(64) double entry_eq[SB_LANES], trades[SB_LANES], closed[SB_LANES];
	alignas(64) double wins[SB_LANES], gwin[SB_LANES], gloss[SB_LANES], stret[SB_LANES];
	alignas(64) double expo[SB_LANES], h[SB_LANES], e[SB_LANES];
	/* h and e for the quiet test, a NaN (which never compares true) as +inf, -inf */
	alignas(64) double h_inf[SB_LANES], e_inf[SB_LANES];
	uint8_t rank[SB_LANES];         /* h's index in the call's rank_grid (255: never) */
	__mmask8 in_pos;                /* held before the word */
};

/*
 * Enters and exits the lanes of the go_* masks at close vc of candle i, as
 * sb_step_transition() does.  Both halves run as masked operations whatever the masks
 * hold: which lanes move is data, and a branch on it is mispredicted on signals that
 * change often.  Returns the lanes that left a trade with cash <= 0 (or NaN): they may
 * never enter again, which the word kernel's held bits do not know (it then falls back
 * to the branchy kernel).
 */
TARGET static inline __attribute__((always_inline)) __mmask8
transition(struct block *k, __m512d *cash_p, __m512d *q_p, __mmask8 go_long,
	    __mmask8 go_short, __mmask8 go_out, __m512d vc, double i)
{
	const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
	const __m512d vi = _mm512_set1_pd(i);
	const __m512d f = _mm512_load_pd(k->f);
	const __mmask8 in = go_long | go_short;
	__m512d cash = *cash_p, q = *q_p, d;
	__m512d entry_eq = _mm512_load_pd(k->entry_eq), expo = _mm512_load_pd(k->expo);

	/*
	 * Exits first, then one division for both halves: a lane enters or exits, never
	 * both (word_plan(): entries are the lanes held after the candle and not before),
	 * so an entering lane's cash is the same after the exits' masked updates, and each
	 * lane divides exactly what sb_step_transition() divides -- its units
	 * cash / (c (1 + f)) when it enters, its trade's return cash / entry equity when it
	 * exits.  One division on the chain from one transition to the next, not two.
	 */
	{
		__mmask8 was_long = go_out & _mm512_cmp_pd_mask(q, zero, _CMP_GT_OQ);
		__mmask8 was_short = go_out & ~was_long;
		__m512d amt = _mm512_mul_pd(_mm512_abs_pd(q), vc);
		__m512d fee = _mm512_mul_pd(amt, f);
		__m512d pnl, wins = _mm512_load_pd(k->wins), closed = _mm512_load_pd(k->closed);
		__m512d gwin = _mm512_load_pd(k->gwin), gloss = _mm512_load_pd(k->gloss);
		__m512d stret = _mm512_load_pd(k->stret);
		__mmask8 win;

		cash = _mm512_mask_add_pd(cash, was_long, cash, _mm512_sub_pd(amt, fee));
		cash = _mm512_mask_sub_pd(cash, was_short, cash, _mm512_add_pd(amt, fee));
		d = _mm512_div_pd(cash, _mm512_mask_mov_pd(_mm512_mul_pd(vc,
				  _mm512_load_pd(k->opf)), go_out, entry_eq));
		pnl = _mm512_sub_pd(cash, entry_eq);
		win = go_out & _mm512_cmp_pd_mask(cash, entry_eq, _CMP_GT_OQ);
		_mm512_store_pd(k->closed, _mm512_mask_add_pd(closed, go_out, closed, one));
		_mm512_store_pd(k->wins, _mm512_mask_add_pd(wins, win, wins, one));
		_mm512_store_pd(k->gwin, _mm512_mask_add_pd(gwin, win, gwin, pnl));
		_mm512_store_pd(k->gloss, _mm512_mask_sub_pd(gloss, go_out & ~win, gloss, pnl));
		_mm512_store_pd(k->stret, _mm512_mask_add_pd(stret, go_out, stret,
			_mm512_sub_pd(d, one)));
		q = _mm512_mask_mov_pd(q, go_out, zero);
		expo = _mm512_mask_add_pd(expo, go_out, expo, vi);
	}
	/* entries: d is their units */
	{
		__m512d amt = _mm512_mul_pd(d, vc);
		__m512d fee = _mm512_mul_pd(amt, f);
		__m512d trades = _mm512_load_pd(k->trades);

		entry_eq = _mm512_mask_mov_pd(entry_eq, in, cash);
		cash = _mm512_mask_sub_pd(cash, go_long, cash, _mm512_add_pd(amt, fee));
		cash = _mm512_mask_add_pd(cash, go_short, cash, _mm512_sub_pd(amt, fee));
		q = _mm512_mask_mov_pd(q, go_long, d);
		/* -d as sb_step_transition() negates it: -0 when d underflowed to 0 */
		q = _mm512_mask_xor_pd(q, go_short, d, _mm512_set1_pd(-0.0));
		_mm512_store_pd(k->trades, _mm512_mask_add_pd(trades, in, trades, one));
		expo = _mm512_mask_sub_pd(expo, in, expo, vi);
	}
	_mm512_store_pd(k->entry_eq, entry_eq);
	_mm512_store_pd(k->expo, expo);
	*cash_p = cash;
	*q_p = q;
	return go_out & _mm512_cmp_pd_mask(cash, zero, _CMP_NGT_UQ);
}

/* Candle return r into the sums, as sb_step_mark() adds it (r2 * r, r2 * r2). */
TARGET static inline __attribute__((always_inline)) void
add_return(__m512d r, __m512d *sr, __m512d *sr2, __m512d *sr3, __m512d *sr4, __m512d *sd2)
{
	const __m512d r2 = _mm512_mul_pd(r, r);

	*sr = _mm512_add_pd(*sr, r);
	*sr2 = _mm512_add_pd(*sr2, r2);
	*sr3 = _mm512_add_pd(*sr3, _mm512_mul_pd(r2, r));
	*sr4 = _mm512_add_pd(*sr4, _mm512_mul_pd(r2, r2));
	*sd2 = _mm512_mask_add_pd(*sd2, _mm512_cmp_pd_mask(r, _mm512_setzero_pd(), _CMP_LT_OQ),
				  *sd2, r2);
}

TARGET static void branchy_blocks(size_t n, const double *restrict close,
				 const double *restrict signal, struct sb_lanes *Ls)
{
	const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
	__m512d cash[NB], q[NB], e_prev[NB], peak[NB], max_dd[NB], sr[NB], sr2[NB], sd2[NB];
	__m512d sr3[NB], sr4[NB];      /* sum r^3, r^4 as r2 * r, r2 * r2 (sb_step_mark) */
	__m512d low[NB];                /* lowest equity since the last new high */
	__mmask8 in_pos[NB], flat_ok[NB];   /* held; flat with cash > 0 */
	/* the lowest threshold of the NB blocks; a NaN one (never enters) is left out */
	double h_min = INFINITY;
	struct block k[NB];

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
			__mmask8 high = _mm512_cmp_pd_mask(eq, peak[b], _CMP_GT_OQ);
			__mmask8 fold = _mm512_mask_cmp_pd_mask(high, low[b], peak[b], _CMP_LT_OQ);

			add_return(_mm512_sub_pd(_mm512_div_pd(eq, e_prev[b]), one), &sr[b], &sr2[b],
				   &sr3[b], &sr4[b], &sd2[b]);
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

			/* from the held mask: q may be +-0 when the cash had all but run out */
			L->pos[l] = held ? (signbit(L->q[l]) ? -1.0 : 1.0) : 0.0;
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

/*
 * The word kernel: 64 candles at a time, with a branch per word instead of one per
 * candle.  A branch on which lanes move is mispredicted at about every transition on
 * real signals, and a mispredict costs ~8 ns here, more than marking 16 lanes
 * (docs/performance.md).
 *
 * While a lane's cash is > 0 (checked: see run_word_moves()), whether it is held
 * after candle t follows from the signal alone: it enters at a candle in A (|s| > h),
 * leaves at one in B (|s| < e), and keeps its state elsewhere.  With h >= e, A and B
 * are disjoint and held_t = A_t | (held_t-1 & ~B_t), which is the carry of the sum
 * ~B + A (+ the state before the word) in each bit: 64 candles of 8 lanes in a few
 * vector operations.  Then the transitions run candle by candle where some lane
 * moves (word_moves()), logging cash and units after each, and the marks run over
 * the candles where some lane is held or moved (word_marks()), each with the cash and
 * units of the last transition at or before it, found by a popcount.  The operations
 * per lane are the scalar path's, in its order; only the skipped marks (every lane
 * flat, nothing moved) are left out, which change nothing.
 */
#define WORD 64


struct wsums {
	alignas(64) double e_prev[NB][SB_LANES], peak[NB][SB_LANES], low[NB][SB_LANES];
	alignas(64) double sr[NB][SB_LANES], sr2[NB][SB_LANES], sr3[NB][SB_LANES];
	alignas(64) double sr4[NB][SB_LANES], sd2[NB][SB_LANES];
};

struct wlog {                       /* cash and units after the j-th transition of a word */
	alignas(64) double cash[NB][SB_LANES], q[NB][SB_LANES];
};

/* One word's moves: per block and lane, the candles it enters and leaves at. */
struct wmoves {
	__m512i enter[NB], leave[NB];   /* 8 lanes x 64 candle bits */
	uint64_t any;                   /* some lane moves */
	uint64_t held;                  /* some lane held after the candle */
};

/*
 * Thresholds as ranks.  When the call's thresholds are integers (the signal's unit,
 * 10^-9: engine/grid.c) in an arithmetic progression u_j = u0 + j step of at most
 * RANK_MAX values, |s| > h_l  <=>  rank(|s|) > r_l, where h_l = u_{r_l} and
 * rank(x) = #{j : u_j < x} = #{j : u_j <= k} with k = ceil(x) - 1 (the largest integer
 * below x) = floor((k - u0) / step) + 1, clamped to [0, U].  Exact: k and k - u0 are
 * integers below 2^53, and a quotient of integers below 2^53 by a step below 2^40 is
 * never rounded onto the next integer while it is below 2^9 (1 / step > its half-ulp);
 * beyond that it is clamped anyway.  A NaN |s| gets rank 0 (enters nothing), a NaN
 * threshold rank 255 (never exceeded).  Ranks fit in a byte, so one byte compare gives
 * a lane's 64 candles (word_plan()) where doubles take 8 compares per candle and lane
 * block and a transpose: measured ~1.2x on the whole kernel.
 */
#define RANK_MAX 254

struct rank_grid {
	bool ok;
	double u0, step, top;           /* top = U, the number of thresholds */
};

/* The rank grid of thresholds p[0..nl) (ok false when they do not form one). */
static struct rank_grid rank_grid_of(const struct sb_trade_params *p, size_t nl)
{
	struct rank_grid g = { .ok = false };
	double u[RANK_MAX];
	size_t nu = 0;

	for (size_t i = 0; i < nl; i++) {
		double h = p[i].threshold;
		size_t lo = 0, hi = nu;

		if (isnan(h))
			continue;
		if (!(fabs(h) <= 0x1p52) || h != floor(h))
			return g;
		while (lo < hi) {                /* insert into u[], sorted, once */
			size_t mid = (lo + hi) / 2;

			if (u[mid] < h)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nu && u[lo] == h)
			continue;
		if (nu == RANK_MAX)
			return g;
		memmove(u + lo + 1, u + lo, (nu - lo) * sizeof(*u));
		u[lo] = h;
		nu++;
	}
	if (nu == 0)
		return g;
	g.u0 = u[0];
	g.step = nu > 1 ? u[1] - u[0] : 1.0;
	g.top = (double)nu;
	if (!(g.step <= 0x1p40))
		return g;
	for (size_t j = 0; j < nu; j++)
		if (u[j] != g.u0 + (double)j * g.step)
			return g;
	g.ok = true;
	return g;
}

/* r with h = u_r, or 255 for a NaN h (only called for thresholds of the grid). */
static uint8_t rank_of(const struct rank_grid *g, double h)
{
	return isnan(h) ? 255 : (uint8_t)((h - g->u0) / g->step);
}

/* |s| of candles [w, w + m) (m <= 64) into as[]; beyond the end NaN, which moves nothing. */
TARGET static inline __attribute__((always_inline)) void
word_abs(const double *restrict signal, size_t w, size_t m, double *as)
{
	const __m512d sign = _mm512_set1_pd(-0.0), nan = _mm512_set1_pd(NAN);

	for (size_t o = 0; o < WORD; o += 8) {
		__mmask8 in = o >= m ? 0 : m - o >= 8 ? 0xff : (__mmask8)((1u << (m - o)) - 1);

		_mm512_store_pd(as + o, _mm512_andnot_pd(sign, m == WORD ?
				_mm512_loadu_pd(signal + w + o) :
				_mm512_mask_loadu_pd(nan, in, signal + w + o)));
	}
}

/* rank(as[t]) for the word's 64 candles (see struct rank_grid). */
TARGET static inline __attribute__((always_inline)) void
word_rank(const double *as, const struct rank_grid *g, uint8_t *rank)
{
	const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
	const __m512d u0 = _mm512_set1_pd(g->u0), step = _mm512_set1_pd(g->step);
	const __m512d top = _mm512_set1_pd(g->top);

	for (int j = 0; j < WORD / 8; j++) {
		__m512d k = _mm512_sub_pd(_mm512_roundscale_pd(_mm512_load_pd(as + 8 * j),
				_MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC), one);
		__m512d q = _mm512_add_pd(_mm512_roundscale_pd(_mm512_div_pd(
				_mm512_sub_pd(k, u0), step), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
				one);

		/* max(NaN, 0) is 0: the second operand when either is NaN */
		q = _mm512_min_pd(_mm512_max_pd(q, zero), top);
		_mm_storeu_si64(rank + 8 * j, _mm512_cvtepi64_epi8(_mm512_cvttpd_epi64(q)));
	}
}

/* A word's |s|, shared by the pairs of blocks, and its ranks once a pair needs them. */
struct wsignal {
	alignas(64) double as[WORD];
	alignas(64) uint8_t rank[WORD];
	const struct rank_grid *grid;
	bool ranked;
};

/*
 * The moves of candles [w, w + m) (m <= 64) of the NB blocks, from their |s| (x->as)
 * and, when the thresholds form a rank grid, their ranks; false when nothing happens
 * in them (no lane held, none enters).
 */
TARGET static __attribute__((noinline)) bool
word_plan(struct wsignal *x, const struct block *k, bool e_same, double e_same_value,
	  struct wmoves *mv)
{
	const double *as = x->as;
	const uint8_t *rank = NULL;
	alignas(64) uint8_t ma[NB][WORD], mb[NB][WORD];
	const __m512i one = _mm512_set1_epi64(1);
	uint64_t below = 0;
	unsigned held0 = 0;

	for (int b = 0; b < NB; b++)
		held0 |= k[b].in_pos;
	/*
	 * A quiet word: no |s| above the lowest threshold of a flat lane nor below the
	 * highest exit band of a held one.  Nothing moves and the held lanes stay held
	 * (with no lane held: nothing to do at all).
	 */
	{
		double hq = INFINITY, eq = -INFINITY;
		__mmask8 moves = 0;

		for (int b = 0; b < NB; b++) {
			double hb = _mm512_mask_reduce_min_pd((__mmask8)~k[b].in_pos,
							      _mm512_load_pd(k[b].h_inf));
			double eb = _mm512_mask_reduce_max_pd(k[b].in_pos, _mm512_load_pd(k[b].e_inf));

			hq = hb < hq ? hb : hq;
			eq = eb > eq ? eb : eq;
		}
		for (int j = 0; j < WORD / 8; j++) {
			const __m512d a = _mm512_load_pd(as + 8 * j);

			moves |= _mm512_cmp_pd_mask(a, _mm512_set1_pd(hq), _CMP_GT_OQ) |
				 _mm512_cmp_pd_mask(a, _mm512_set1_pd(eq), _CMP_LT_OQ);
		}
		if (!moves) {
			for (int b = 0; b < NB; b++)
				mv->enter[b] = mv->leave[b] = _mm512_setzero_si512();
			mv->any = 0;
			mv->held = held0 ? ~0ull : 0;
			return held0 != 0;
		}
	}
	if (e_same && x->grid->ok) {
		if (!x->ranked)
			word_rank(as, x->grid, x->rank);
		x->ranked = true;
		rank = x->rank;
	}
	/*
	 * Per candle, the lanes above their threshold and below their exit band; with one
	 * exit band for all lanes (e_same) the candles below it are one word for all.
	 */
	if (e_same) {
		const __m512d ve = _mm512_set1_pd(e_same_value);

		for (int j = 0; j < WORD / 8; j++)
			below |= (uint64_t)_mm512_cmp_pd_mask(_mm512_load_pd(as + 8 * j), ve,
							      _CMP_LT_OQ) << (8 * j);
		for (int t = 0; t < WORD && !rank; t++) {
			const __m512d a = _mm512_set1_pd(as[t]);

			for (int b = 0; b < NB; b++)
				_store_mask8((__mmask8 *)&ma[b][t], _mm512_cmp_pd_mask(a,
					     _mm512_load_pd(k[b].h), _CMP_GT_OQ));
		}
	} else {
		for (int t = 0; t < WORD; t++) {
			const __m512d a = _mm512_set1_pd(as[t]);

			for (int b = 0; b < NB; b++) {
				_store_mask8((__mmask8 *)&ma[b][t], _mm512_cmp_pd_mask(a,
					     _mm512_load_pd(k[b].h), _CMP_GT_OQ));
				_store_mask8((__mmask8 *)&mb[b][t], _mm512_cmp_pd_mask(a,
					     _mm512_load_pd(k[b].e), _CMP_LT_OQ));
			}
		}
	}
	__m512i any = _mm512_setzero_si512(), held_any = _mm512_setzero_si512();

	for (int b = 0; b < NB; b++) {
		__m512i x0, x1, held, cin, moved;

		const __m512i r = _mm512_load_si512(rank ? rank : ma[b]);
		const __m512i zb = e_same ? _mm512_setzero_si512() : _mm512_load_si512(mb[b]);

		/*
		 * Lane l's 64 candles as one word in its qword: A from one compare of ranks,
		 * or from its bit of the per-candle masks; B the same for all lanes (e_same)
		 * or from its bit of mb.  Broadcast into the qword: 8 stores read back by one
		 * load would stall store forwarding.
		 */
		x0 = _mm512_setzero_si512();
		x1 = _mm512_set1_epi64((long long)~below);
		for (int l = 0; l < SB_LANES; l++) {
			const __m512i bit = _mm512_set1_epi8((char)(1 << l));
			const __mmask64 a = rank ? _mm512_cmpgt_epu8_mask(r,
						_mm512_set1_epi8((char)k[b].rank[l]))
						 : _mm512_test_epi8_mask(r, bit);

			x0 = _mm512_mask_set1_epi64(x0, (__mmask8)(1u << l),
						    (long long)_cvtmask64_u64(a));
			if (!e_same)
				x1 = _mm512_mask_set1_epi64(x1, (__mmask8)(1u << l),
					(long long)~_cvtmask64_u64(_mm512_test_epi8_mask(zb, bit)));
		}
		/*
		 * held_t = f_t(held_t-1) with f_t(0) = A_t, f_t(1) = !B_t: the prefix
		 * compositions f_t o ... o f_0 as their two values (x0, x1) per bit, by
		 * doubling: at step d each bit composes with the one d candles earlier (an
		 * identity, 0 -> 0 and 1 -> 1, before the word's start).
		 */
#pragma GCC unroll 6
		for (int d = 1; d < WORD; d *= 2) {
			__m512i p0 = _mm512_slli_epi64(x0, (unsigned)d);
			__m512i p1 = _mm512_or_si512(_mm512_slli_epi64(x1, (unsigned)d),
						     _mm512_set1_epi64((long long)((1ull << d) - 1)));

			/* (later o earlier)(v) = earlier(v) ? later(1) : later(0) */
			__m512i n0 = _mm512_ternarylogic_epi64(p0, x1, x0, 0xca);

			x1 = _mm512_ternarylogic_epi64(p1, x1, x0, 0xca);
			x0 = n0;
		}
		cin = _mm512_maskz_mov_epi64(k[b].in_pos, one);
		held = _mm512_mask_mov_epi64(x0, k[b].in_pos, x1);
		moved = _mm512_xor_si512(held, _mm512_or_si512(_mm512_slli_epi64(held, 1), cin));
		mv->enter[b] = _mm512_and_si512(moved, held);
		mv->leave[b] = _mm512_andnot_si512(held, moved);
		any = _mm512_or_si512(any, moved);
		held_any = _mm512_or_si512(held_any, held);
	}
	mv->any = (uint64_t)_mm512_reduce_or_epi64(any);
	mv->held = (uint64_t)_mm512_reduce_or_epi64(held_any);
	return true;
}

/* A pair's (NB blocks') cash, units and held lanes, in registers across a word's moves. */
struct wregs {
	__m512d cash[NB], q[NB];
	__mmask8 in_pos[NB];
};

TARGET static inline __attribute__((always_inline)) void
wregs_load(struct wregs *x, const struct block *k)
{
	for (int b = 0; b < NB; b++) {
		x->cash[b] = _mm512_load_pd(k[b].cash);
		x->q[b] = _mm512_load_pd(k[b].q);
		x->in_pos[b] = k[b].in_pos;
	}
}

TARGET static inline __attribute__((always_inline)) void
wregs_store(const struct wregs *x, struct block *k)
{
	for (int b = 0; b < NB; b++) {
		_mm512_store_pd(k[b].cash, x->cash[b]);
		_mm512_store_pd(k[b].q, x->q[b]);
		k[b].in_pos = x->in_pos[b];
	}
}

/* The transitions of candle w + t (the j-th of the word), logged in log[j]. */
TARGET static inline __attribute__((always_inline)) __mmask8
word_step(const double *restrict close, const double *restrict signal, size_t w, int t,
	  size_t j, struct block *k, struct wregs *x, const struct wmoves *mv,
	  struct wlog *log)
{
	const __m512i bit = _mm512_set1_epi64((long long)(1ull << t));
	const __m512d vc = _mm512_set1_pd(close[w + (size_t)t]);
	const __m512d vs = _mm512_set1_pd(signal[w + (size_t)t]);
	__mmask8 ruined = 0;

#pragma GCC unroll 4
	for (int b = 0; b < NB; b++) {
		__mmask8 enter = _mm512_test_epi64_mask(mv->enter[b], bit);
		__mmask8 go_out = _mm512_test_epi64_mask(mv->leave[b], bit);
		__mmask8 go_long = _mm512_mask_cmp_pd_mask(enter, vs, _mm512_load_pd(k[b].h),
							   _CMP_GT_OQ);

		ruined |= transition(&k[b], &x->cash[b], &x->q[b], go_long, enter & ~go_long,
				      go_out, vc, (double)(w + (size_t)t));
		_mm512_store_pd(log[j].cash[b], x->cash[b]);
		_mm512_store_pd(log[j].q[b], x->q[b]);
		x->in_pos[b] = (__mmask8)((x->in_pos[b] | enter) & ~go_out);
	}
	return ruined;
}

/*
 * The transitions of a word's moving candles in order, logged in log[1..] (log[0],
 * before the word, is the caller's), for one pair of blocks, or for two side by side
 * (the k-th transition of each together: each pair's arithmetic is one long chain
 * from transition to transition, and two chains fill the core better than one).
 * Sets ruined[] to the lanes ruined (see transition()).
 */
TARGET static __attribute__((noinline)) void
word_moves(const double *restrict close, const double *restrict signal, size_t w,
	   struct block *ka, const struct wmoves *mva, struct wlog *loga,
	   struct block *kb, const struct wmoves *mvb, struct wlog *logb, __mmask8 *ruined)
{
	struct wregs xa, xb;
	uint64_t a = mva->any, b = kb ? mvb->any : 0;
	size_t ja = 1, jb = 1;

	wregs_load(&xa, ka);
	if (kb)
		wregs_load(&xb, kb);
	for (; a && b; a &= a - 1, b &= b - 1) {
		ruined[0] |= word_step(close, signal, w, __builtin_ctzll(a), ja++, ka, &xa, mva,
				       loga);
		ruined[1] |= word_step(close, signal, w, __builtin_ctzll(b), jb++, kb, &xb, mvb,
				       logb);
	}
	for (; a; a &= a - 1)
		ruined[0] |= word_step(close, signal, w, __builtin_ctzll(a), ja++, ka, &xa, mva,
				       loga);
	for (; b; b &= b - 1)
		ruined[1] |= word_step(close, signal, w, __builtin_ctzll(b), jb++, kb, &xb, mvb,
				       logb);
	wregs_store(&xa, ka);
	if (kb)
		wregs_store(&xb, kb);
}

/* E = cash + q c at candle w + t of block b, with the cash and units after the last
 * transition at or before t ((2 << 63) - 1 wraps to all ones). */
TARGET static inline __attribute__((always_inline)) __m512d
word_equity(const double *restrict close, size_t w, int t, uint64_t any,
	    const struct wlog *log, int b)
{
	const struct wlog *lg = &log[__builtin_popcountll(any & ((2ull << t) - 1))];

	return _mm512_add_pd(_mm512_load_pd(lg->cash[b]),
			     _mm512_mul_pd(_mm512_load_pd(lg->q[b]),
					   _mm512_set1_pd(close[w + (size_t)t])));
}

/*
 * The marks of the word's candles where some lane is held or moved, each with the
 * cash and units after the last transition at or before it.  The sums live in
 * registers for the word (no call inside: the compiler keeps them there).
 */
TARGET static __attribute__((noinline)) void
word_marks(const double *restrict close, size_t w, uint64_t marks, uint64_t any,
	   struct block *k, const struct wlog *log, struct wsums *S)
{
	const __m512d one = _mm512_set1_pd(1.0);
	__m512d e_prev[NB], peak[NB], low[NB], sr[NB], sr2[NB], sr3[NB], sr4[NB], sd2[NB];

	for (int b = 0; b < NB; b++) {
		e_prev[b] = _mm512_load_pd(S->e_prev[b]);
		peak[b] = _mm512_load_pd(S->peak[b]);
		low[b] = _mm512_load_pd(S->low[b]);
		sr[b] = _mm512_load_pd(S->sr[b]);
		sr2[b] = _mm512_load_pd(S->sr2[b]);
		sr3[b] = _mm512_load_pd(S->sr3[b]);
		sr4[b] = _mm512_load_pd(S->sr4[b]);
		sd2[b] = _mm512_load_pd(S->sd2[b]);
	}
	/*
	 * Software-pipelined: the division of the next marked candle starts before the
	 * sums of this one, which then find it done (its 13-cycle latency otherwise
	 * keeps the out-of-order core from overlapping candles).
	 */
	if (marks) {
		int t = __builtin_ctzll(marks);
		__m512d eq[NB], d[NB];

#pragma GCC unroll 4
		for (int b = 0; b < NB; b++) {
			eq[b] = word_equity(close, w, t, any, log, b);
			d[b] = _mm512_div_pd(eq[b], e_prev[b]);
		}
		for (;;) {
			const uint64_t rest = marks & (marks - 1);
			const int tn = rest ? __builtin_ctzll(rest) : t;
			__m512d eqn[NB], dn[NB];

#pragma GCC unroll 4
			for (int b = 0; b < NB; b++) {
				eqn[b] = word_equity(close, w, tn, any, log, b);
				dn[b] = _mm512_div_pd(eqn[b], eq[b]);
			}
			__mmask8 high[NB];
			unsigned highs = 0;

#pragma GCC unroll 4
			for (int b = 0; b < NB; b++) {
				high[b] = _mm512_cmp_pd_mask(eq[b], peak[b], _CMP_GT_OQ);
				highs |= high[b];
				add_return(_mm512_sub_pd(d[b], one), &sr[b], &sr2[b], &sr3[b], &sr4[b],
					   &sd2[b]);
			}
			/*
			 * A new high of some lane: a branch, taken rarely (an equity at a new peak
			 * is rare among the candles of a year: 0.01 % of the benchmark's marks),
			 * so the common candle only lowers 'low' (its peak is unchanged: eq <= peak
			 * or NaN, which max_pd and the compare both pass over).
			 */
			if (highs) {
				__mmask8 fold[NB];
				unsigned folds = 0;

				for (int b = 0; b < NB; b++) {
					fold[b] = _mm512_mask_cmp_pd_mask(high[b], low[b], peak[b],
									  _CMP_LT_OQ);
					folds |= fold[b];
				}
				/* after a dip: fold it into max_dd */
				for (int b = 0; folds && b < NB; b++) {
					__m512d dd = _mm512_sub_pd(one, _mm512_div_pd(low[b], peak[b]));
					__m512d md = _mm512_load_pd(k[b].max_dd);

					_mm512_store_pd(k[b].max_dd, _mm512_mask_max_pd(md, fold[b], dd,
											md));
				}
				for (int b = 0; b < NB; b++) {
					peak[b] = _mm512_max_pd(eq[b], peak[b]);   /* eq where eq > peak */
					low[b] = _mm512_mask_mov_pd(_mm512_min_pd(eq[b], low[b]), high[b],
								    eq[b]);
				}
			} else {
#pragma GCC unroll 4
				for (int b = 0; b < NB; b++)
					low[b] = _mm512_min_pd(eq[b], low[b]);
			}
			if (!rest)
				break;
			marks = rest;
			t = tn;
			for (int b = 0; b < NB; b++) {
				eq[b] = eqn[b];
				d[b] = dn[b];
			}
		}
		for (int b = 0; b < NB; b++)
			e_prev[b] = eq[b];
	}
	for (int b = 0; b < NB; b++) {
		_mm512_store_pd(S->e_prev[b], e_prev[b]);
		_mm512_store_pd(S->peak[b], peak[b]);
		_mm512_store_pd(S->low[b], low[b]);
		_mm512_store_pd(S->sr[b], sr[b]);
		_mm512_store_pd(S->sr2[b], sr2[b]);
		_mm512_store_pd(S->sr3[b], sr3[b]);
		_mm512_store_pd(S->sr4[b], sr4[b]);
		_mm512_store_pd(S->sd2[b], sd2[b]);
	}
}

/* NB blocks (a pair) in the word kernel. */
struct wpair {
	struct block k[NB];
	struct wsums S;
	struct wmoves mv;
	double e0;                      /* the exit band if e_same */
	bool e_same;                    /* one exit band for every lane */
	bool live;                      /* false: ruined, the caller runs branchy_blocks() */
	bool active;                    /* something happens in the current word */
	struct wlog log[WORD + 1];
};

/* false (Ls untouched) when the word kernel does not apply: a flat lane without cash
 * never enters, which the held bits do not know */
TARGET static bool wpair_init(struct wpair *P, const struct sb_lanes *Ls,
			      const struct rank_grid *g)
{
	const __m512d zero = _mm512_setzero_pd();

	P->e_same = true;
	P->e0 = Ls[0].e[0];
	P->live = true;
	for (int b = 0; b < NB; b++) {
		const struct sb_lanes *L = &Ls[b];
		struct block *k = &P->k[b];
		struct wsums *S = &P->S;

		if (_mm512_cmp_pd_mask(_mm512_load_pd(L->cash), zero, _CMP_GT_OQ) != 0xff)
			return false;
		memset(k, 0, sizeof(*k));
		for (int l = 0; l < SB_LANES; l++) {
			k->f[l] = L->p[l].cost;
			k->opf[l] = 1.0 + L->p[l].cost;    /* as in sb_step_transition */
			P->e_same &= L->e[l] == P->e0;
		}
		memcpy(k->cash, L->cash, sizeof(k->cash));
		memcpy(k->q, L->q, sizeof(k->q));
		memcpy(k->max_dd, L->max_dd, sizeof(k->max_dd));
		memcpy(k->h, L->h, sizeof(k->h));
		memcpy(k->e, L->e, sizeof(k->e));
		for (int l = 0; l < SB_LANES; l++) {
			k->h_inf[l] = isnan(L->h[l]) ? INFINITY : L->h[l];
			k->e_inf[l] = isnan(L->e[l]) ? -INFINITY : L->e[l];
			k->rank[l] = g->ok ? rank_of(g, L->h[l]) : 255;
		}
		k->in_pos = _mm512_cmp_pd_mask(_mm512_load_pd(L->q), zero, _CMP_NEQ_OQ);
		memcpy(S->e_prev[b], L->e_prev, sizeof(S->e_prev[b]));
		memcpy(S->low[b], L->e_prev, sizeof(S->low[b]));
		memcpy(S->peak[b], L->peak, sizeof(S->peak[b]));
		memcpy(S->sr[b], L->sum_r, sizeof(S->sr[b]));
		memcpy(S->sr2[b], L->sum_r2, sizeof(S->sr2[b]));
		memcpy(S->sr3[b], L->sum_r3, sizeof(S->sr3[b]));
		memcpy(S->sr4[b], L->sum_r4, sizeof(S->sr4[b]));
		memcpy(S->sd2[b], L->sum_down2, sizeof(S->sd2[b]));
	}
	return true;
}

TARGET static void wpair_finish(const struct wpair *P, size_t n, struct sb_lanes *Ls)
{
	const __m512d one = _mm512_set1_pd(1.0);

	for (int b = 0; b < NB; b++) {
		struct sb_lanes *L = &Ls[b];
		const struct block *k = &P->k[b];
		__m512d low = _mm512_load_pd(P->S.low[b]), peak = _mm512_load_pd(P->S.peak[b]);

		memcpy(L->cash, k->cash, sizeof(L->cash));
		memcpy(L->q, k->q, sizeof(L->q));
		memcpy(L->e_prev, P->S.e_prev[b], sizeof(L->e_prev));
		memcpy(L->peak, P->S.peak[b], sizeof(L->peak));
		/* Fold the last segment (dd is 0 where it did not dip). */
		_mm512_store_pd(L->max_dd, _mm512_max_pd(_mm512_sub_pd(one,
				_mm512_div_pd(low, peak)), _mm512_load_pd(k->max_dd)));
		memcpy(L->sum_r, P->S.sr[b], sizeof(L->sum_r));
		memcpy(L->sum_r2, P->S.sr2[b], sizeof(L->sum_r2));
		memcpy(L->sum_down2, P->S.sd2[b], sizeof(L->sum_down2));
		memcpy(L->sum_r3, P->S.sr3[b], sizeof(L->sum_r3));
		memcpy(L->sum_r4, P->S.sr4[b], sizeof(L->sum_r4));
		for (int l = 0; l < SB_LANES; l++) {
			struct sb_accum *a = &L->acc[l];
			bool in = (k->in_pos >> l) & 1;

			L->pos[l] = in ? (signbit(L->q[l]) ? -1.0 : 1.0) : 0.0;   /* as above */
			/* A position still open was held from its entry to the last candle. */
			L->exposure[l] = k->expo[l] + (in ? (double)n : 0.0);
			a->entry_equity = k->entry_eq[l];
			a->trades = (uint64_t)k->trades[l];
			a->closed = (uint64_t)k->closed[l];
			a->wins = (uint64_t)k->wins[l];
			a->gross_win = k->gwin[l];
			a->gross_loss = k->gloss[l];
			a->sum_trade_ret = k->stret[l];
		}
	}
}

/*
 * Pairs per pass over the candles: the benchmark's 91 thresholds (12 blocks) in one, so
 * that the signal and the prices stream through once per group and each word's |s| and
 * ranks are computed once for all of them (~20 KB of state a pair, on the stack).
 */
#define PAIRS_MAX 6

/*
 * Up to PAIRS_MAX pairs of blocks (Ls[p NB .. (p + 1) NB)) over all candles, word by
 * word; a pair where the word kernel does not apply or a lane was ruined runs
 * branchy_blocks() instead (its Ls untouched until then).
 */
TARGET static void word_pairs(size_t n, const double *restrict close,
			      const double *restrict signal, struct sb_lanes *Ls, int pairs,
			      const struct rank_grid *g)
{
	struct wpair P[PAIRS_MAX];

	for (int p = 0; p < pairs; p++)
		P[p].live = wpair_init(&P[p], Ls + p * NB, g);
	for (size_t w = 0; w < n; w += WORD) {
		size_t m = n - w < WORD ? n - w : WORD;
		uint64_t valid = m == WORD ? ~0ull : (1ull << m) - 1;
		struct wpair *mp[PAIRS_MAX];
		int nm = 0;
		struct wsignal x;

		word_abs(signal, w, m, x.as);
		x.grid = g;
		x.ranked = false;

		/* the words after next: the arrays stream from L3 (read once per pass) */
		for (int c = 0; c < WORD; c += 8) {
			_mm_prefetch((const char *)(signal + w + 2 * WORD + c), _MM_HINT_T0);
			_mm_prefetch((const char *)(close + w + 2 * WORD + c), _MM_HINT_T0);
		}

		for (int p = 0; p < pairs; p++) {
			struct wpair *Q = &P[p];

			Q->active = Q->live && word_plan(&x, Q->k, Q->e_same, Q->e0, &Q->mv);
			if (!Q->active)
				continue;
			for (int b = 0; b < NB; b++) {
				memcpy(Q->log[0].cash[b], Q->k[b].cash, sizeof(Q->log[0].cash[b]));
				memcpy(Q->log[0].q[b], Q->k[b].q, sizeof(Q->log[0].q[b]));
			}
			if (Q->mv.any)
				mp[nm++] = Q;
		}
		/* the moving pairs two at a time, side by side (word_moves()) */
		for (int i = 0; i < nm; i += 2) {
			__mmask8 ruined[2] = { 0, 0 };
			struct wpair *b2 = i + 1 < nm ? mp[i + 1] : NULL;

			word_moves(close, signal, w, mp[i]->k, &mp[i]->mv, mp[i]->log,
				   b2 ? b2->k : NULL, b2 ? &b2->mv : NULL, b2 ? b2->log : NULL,
				   ruined);
			for (int j = 0; j < 2; j++)
				if (ruined[j])
					mp[i + j]->live = mp[i + j]->active = false;
		}
		for (int p = 0; p < pairs; p++) {
			struct wpair *Q = &P[p];

			if (Q->active)
				word_marks(close, w, (Q->mv.held | Q->mv.any) & valid, Q->mv.any, Q->k,
					   Q->log, &Q->S);
		}
	}
	for (int p = 0; p < pairs; p++) {
		if (P[p].live)
			wpair_finish(&P[p], n, Ls + p * NB);
		else
			branchy_blocks(n, close, signal, Ls + p * NB);
	}
}

void sb_kernel_avx512(size_t n, const double *restrict close, const double *restrict signal,
		      const struct sb_trade_params *p, size_t nl, struct sb_accum *out)
{
	enum { PASS = PAIRS_MAX * NB * SB_LANES };
	struct sb_lanes L[PAIRS_MAX * NB];
	const struct rank_grid g = rank_grid_of(p, nl);

	/* up to PAIRS_MAX pairs of blocks a pass, the last block of an odd count alone */
	for (size_t b = 0; b < nl; b += PASS) {
		size_t m = nl - b < PASS ? nl - b : PASS;
		int pairs = (int)((m + NB * SB_LANES - 1) / (NB * SB_LANES));

		for (int k = 0; k < pairs * NB; k++) {
			size_t off = (size_t)k * SB_LANES;
			size_t mk = m > off ? (m - off < SB_LANES ? m - off : SB_LANES) : 0;

			/* A block beyond the grid repeats the last lane; its result is dropped. */
			sb_lanes_init(&L[k], mk ? p + b + off : p + b + m - 1, mk ? mk : 1);
		}
		word_pairs(n, close, signal, L, pairs, &g);
		for (int k = 0; k < pairs * NB; k++) {
			size_t off = (size_t)k * SB_LANES;

			if (m > off)
				sb_lanes_store(&L[k], m - off < SB_LANES ? m - off : SB_LANES,
					       out + b + off);
		}
	}
}
#endif
