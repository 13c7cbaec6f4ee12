/* window_sums.c - sums over a sliding window with decaying weights, without subtraction */
#include "window_sums.h"

/*
 * Blocks of W candles: the window of candle i (in block [b, b + W)) is the prefix of
 * its own block up to i, plus a suffix of the previous block.  Prefix:
 * P_i = r P_{i-1} + x_i (P_b = x_b).  Suffix of the previous block, computed backwards
 * once when a block starts: SUF_m = r^(b-1-m) x_m + SUF_{m+1}, so that the previous
 * block's part of candle i's window is r^(i-b+1) SUF_(i-W+1).  Every term is added
 * once and never taken out again (a running sum that subtracts what leaves the window
 * would drift, and would not return to zero when the window empties).
 */
void sb_window_sums(const double *x, size_t n, size_t W, const double *pw, double *suf,
		    double *out)
{
	double P = 0.0;

	for (size_t i = 0; i < n; i++) {
		size_t b = i - i % W;
		double v;

		if (i == b) {
			/* a new block: the previous one's suffix sums, backwards */
			if (b >= W) {
				double s = 0.0;

				for (size_t m = b; m-- > b - W;) {
					s += (pw ? pw[b - 1 - m] : 1.0) * x[m];
					suf[m - (b - W)] = s;
				}
			}
			P = x[i];
		} else {
			P = (pw ? pw[1] : 1.0) * P + x[i];
		}
		v = P;
		if (b >= W && i + 1 - W < b)     /* the window reaches into the previous block */
			v += (pw ? pw[i - b + 1] : 1.0) * suf[i + 1 - W - (b - W)];
		out[i] = v;
	}
}
