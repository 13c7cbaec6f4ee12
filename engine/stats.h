/* stats.h - the normal distribution and the sweep statistics against overfitting:
 * probabilistic and deflated Sharpe ratios (Bailey and Lopez de Prado, "The Sharpe
 * Ratio Efficient Frontier", 2012, and "The Deflated Sharpe Ratio", 2014). */
#ifndef SB_STATS_H
#define SB_STATS_H

#include <stddef.h>

#define SB_EULER_GAMMA 0.57721566490153286061

/* Phi(x), the standard normal CDF, from libm's erfc (accurate in both tails). */
double sb_norm_cdf(double x);

/*
 * sb_norm_ppf() is Phi^-1(p): Acklam's rational approximation (relative error
 * 1.15e-9) refined by one Halley step on erfc, so good to a few ulps.  p <= 0 gives
 * -inf, p >= 1 +inf, NaN gives NaN.
 */
double sb_norm_ppf(double p);

/*
 * sb_moments_from_sums() turns the running sums of n returns (s_k = sum r^k) into the
 * skewness m3 / m2^1.5 and the RAW kurtosis m4 / m2^2 (3 for a normal, not the excess
 * 0), m_k the central moments divided by n (scipy.stats.skew / kurtosis(fisher=False),
 * bias=True).  NaN when n < 2 or m2 <= 0.
 */
void sb_moments_from_sums(double n, double s1, double s2, double s3, double s4,
			  double *skew, double *kurtosis);

/*
 * sb_psr() is the probabilistic Sharpe ratio
 *   PSR(SR*) = Phi( (SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1)/4 SR^2) )
 * with SR and SR* PER-CANDLE (not annualised) Sharpe ratios, T the number of candles
 * (returns), 'kurtosis' RAW.  NaN when an input is NaN, T < 2 or the variance term is
 * not positive.
 */
double sb_psr(double sr, double sr_star, double t, double skew, double kurtosis);

/*
 * sb_expected_max_sr() is SR*_0, the expected maximum of n_trials per-candle Sharpe
 * ratios whose true value is 0 and whose estimates have variance var_sr:
 *   sqrt(V) ((1 - g) Phi^-1(1 - 1/N) + g Phi^-1(1 - 1/(N e))),  g = Euler-Mascheroni.
 * 0 for N < 2 (nothing was selected), NaN when V is NaN or negative.
 */
double sb_expected_max_sr(double n_trials, double var_sr);

/* What the deflated Sharpe ratio of a sweep needs, from all its combinations. */
struct sb_dsr {
	size_t n_trials;   /* combinations with a defined Sharpe ratio: N */
	double var_sr;     /* their sample variance (ddof 1) of per-candle Sharpe: V */
	double sr0;        /* sb_expected_max_sr(N, V) */
};

/*
 * sb_dsr_prepare() fills 'd' from the per-candle Sharpe ratios sr[0..n) (NaN entries
 * skipped).  N counts every combination tried, not independent trials: neighbouring
 * grid points are correlated, so the effective N is smaller and this SR*_0 errs high,
 * i.e. the DSR errs on the conservative side.  Two-pass variance.
 * The DSR of a combination is then sb_psr(sr, d->sr0, T, skew, kurtosis).
 */
void sb_dsr_prepare(const double *sr, size_t n, struct sb_dsr *d);

#endif
