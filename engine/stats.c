/* stats.c - normal CDF/quantile, return moments, PSR and DSR (see stats.h) */
#include "stats.h"

#include <math.h>

double sb_norm_cdf(double x)
{
	return 0.5 * erfc(-x / sqrt(2.0));
}

/* P. J. Acklam, "An algorithm for computing the inverse normal cumulative
 * distribution function" (2003): rational approximations in a central region and
 * two tails. */
static double acklam(double p)
{
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
		2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
		2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
		2.445134137142996e+00, 3.754408661907416e+00 };
	const double p_low = 0.02425;
	double q, r;

	if (p < p_low) {
		q = sqrt(-2.0 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
	}
	if (p > 1.0 - p_low) {
		q = sqrt(-2.0 * log1p(-p));
		return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
	}
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

double sb_norm_ppf(double p)
{
	double x, e, u;

	if (isnan(p))
		return NAN;
	if (p <= 0.0)
		return -INFINITY;
	if (p >= 1.0)
		return INFINITY;
	x = acklam(p);
	/* One Halley step (Acklam's refinement): the error drops to rounding level. */
	e = 0.5 * erfc(-x / sqrt(2.0)) - p;
	u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
	return x - u / (1.0 + x * u / 2.0);
}

void sb_moments_from_sums(double n, double s1, double s2, double s3, double s4,
			  double *skew, double *kurtosis)
{
	double mu, m2, m3, m4;

	*skew = NAN;
	*kurtosis = NAN;
	if (!(n >= 2.0))
		return;
	mu = s1 / n;
	/* Central from raw moments; returns have |mean| << std, so little cancellation. */
	m2 = s2 / n - mu * mu;
	m3 = s3 / n - 3.0 * mu * (s2 / n) + 2.0 * mu * mu * mu;
	m4 = s4 / n - 4.0 * mu * (s3 / n) + 6.0 * mu * mu * (s2 / n) - 3.0 * mu * mu * mu * mu;
	if (!(m2 > 0.0))
		return;
	*skew = m3 / (m2 * sqrt(m2));
	*kurtosis = m4 / (m2 * m2);
}

double sb_psr(double sr, double sr_star, double t, double skew, double kurtosis)
{
	double v = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr;

	if (isnan(sr) || isnan(sr_star) || isnan(v) || !(t >= 2.0) || !(v > 0.0))
		return NAN;
	return sb_norm_cdf((sr - sr_star) * sqrt(t - 1.0) / sqrt(v));
}

double sb_expected_max_sr(double n_trials, double var_sr)
{
	if (isnan(var_sr) || var_sr < 0.0 || isnan(n_trials))
		return NAN;
	if (n_trials < 2.0)
		return 0.0;
	return sqrt(var_sr) * ((1.0 - SB_EULER_GAMMA) * sb_norm_ppf(1.0 - 1.0 / n_trials) +
			       SB_EULER_GAMMA * sb_norm_ppf(1.0 - 1.0 / (n_trials * M_E)));
}

void sb_dsr_prepare(const double *sr, size_t n, struct sb_dsr *d)
{
	double sum = 0.0, ss = 0.0, mean;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(sr[i])) {
			sum += sr[i];
			k++;
		}
	d->n_trials = k;
	d->var_sr = NAN;
	d->sr0 = k == 1 ? 0.0 : NAN;
	if (k < 2)
		return;
	mean = sum / (double)k;
	for (size_t i = 0; i < n; i++)
		if (!isnan(sr[i]))
			ss += (sr[i] - mean) * (sr[i] - mean);
	d->var_sr = ss / (double)(k - 1);
	d->sr0 = sb_expected_max_sr((double)k, d->var_sr);
}
