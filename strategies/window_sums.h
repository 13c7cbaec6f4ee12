/* window_sums.h - weighted sums over a sliding window, in a fixed order */
#ifndef SB_WINDOW_SUMS_H
#define SB_WINDOW_SUMS_H

#include <stddef.h>

/*
 * out[i] = sum over j in [max(0, i - W + 1), i] of pw[i - j] * x[j], with pw[k] = r^k
 * (pw[0] = 1, W + 1 entries), or weight 1 when pw is NULL.  O(n): each x[j] enters
 * through one prefix and at most one suffix sum, in an order that depends only on n
 * and W, so the result is the same bits on every run and thread.  Rounding: a few
 * ulps of each partial sum; no cancellation of terms that leave the window.
 * 'suf' is scratch of W doubles (at most n).  W >= 1.
 */
void sb_window_sums(const double *x, size_t n, size_t W, const double *pw, double *suf,
		    double *out);

#endif
