/* decimal.c - exact decimals as scaled integers */
#include "decimal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool sb_dec_parse(const char *s, int64_t *v)
{
	/* Significant digits go into 'mant' (at most 19 kept exactly); 'exp10' is the
	 * power of ten of its last digit.  Digits that are 0 past 19 only shift. */
	uint64_t mant = 0;
	int exp10 = 0, ndig = 0, e = 0;
	bool neg = false, any = false, dropped_nonzero = false;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++) {
		any = true;
		if (ndig < 19) {
			mant = mant * 10 + (uint64_t)(*s - '0');
			ndig += mant != 0;
		} else {
			exp10++;
			dropped_nonzero |= *s != '0';
		}
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			any = true;
			if (ndig < 19) {
				mant = mant * 10 + (uint64_t)(*s - '0');
				ndig += mant != 0;
				exp10--;
			} else {
				dropped_nonzero |= *s != '0';
			}
		}
	}
	if (!any)
		return false;
	if (*s == 'e' || *s == 'E') {
		bool eneg = false, edig = false;

		s++;
		if (*s == '+' || *s == '-')
			eneg = *s++ == '-';
		for (; *s >= '0' && *s <= '9'; s++) {
			edig = true;
			if (e < 10000)
				e = e * 10 + (*s - '0');
		}
		if (!edig)
			return false;
		exp10 += eneg ? -e : e;
	}
	if (*s != '\0' || dropped_nonzero)
		return false;
	/* value = mant * 10^exp10; in units: mant * 10^(exp10 + 9). */
	exp10 += SB_DEC_DIGITS;
	while (exp10 < 0) {
		if (mant % 10 != 0)
			return false;      /* a non-zero digit past the 9th decimal */
		mant /= 10;
		exp10++;
	}
	while (exp10 > 0 && mant != 0) {
		if (mant > (uint64_t)SB_DEC_MAX_UNITS / 10)
			return false;
		mant *= 10;
		exp10--;
	}
	if (mant > (uint64_t)SB_DEC_MAX_UNITS)
		return false;
	*v = neg ? -(int64_t)mant : (int64_t)mant;
	return true;
}

int64_t sb_dec_from_double(double x, bool *rounded)
{
	double y = x * (double)SB_DEC_SCALE;
	double n = nearbyint(y);          /* the default rounding mode: ties to even */

	if (rounded)
		*rounded = fabs(y - n) > 1e-6;
	return (int64_t)n;
}

double sb_dec_to_double(int64_t v)
{
	return (double)v / (double)SB_DEC_SCALE;
}

const char *sb_dec_format(int64_t v, char out[SB_DEC_LEN])
{
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	uint64_t ip = a / (uint64_t)SB_DEC_SCALE, fp = a % (uint64_t)SB_DEC_SCALE;
	int len = snprintf(out, SB_DEC_LEN, "%s%llu", v < 0 ? "-" : "", (unsigned long long)ip);

	if (fp) {
		char frac[SB_DEC_DIGITS + 1];
		int k = SB_DEC_DIGITS;

		snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)fp);
		while (frac[k - 1] == '0')
			k--;
		snprintf(out + len, SB_DEC_LEN - (size_t)len, ".%.*s", k, frac);
	}
	return out;
}
