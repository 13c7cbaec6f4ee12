/* decimal.h - exact decimals as scaled integers (units of 10^-9)
 *
 * Scores, confidences and the strategy parameters typed by the user (threshold,
 * min-confidence, exit band, fee and slippage in bps) are decimals, and every
 * decision on them must be exact (DESIGN.md, step 2).  sentibt holds them as int64
 * counts of 10^-9 ("e9 units"): 0.82 is 820000000, exactly.  Sums of such values are
 * exact integers; comparisons are integer comparisons.  Prices stay binary doubles.
 */
#ifndef SB_DECIMAL_H
#define SB_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_DEC_SCALE INT64_C(1000000000)       /* 10^9 units per 1 */
#define SB_DEC_DIGITS 9
/* Largest magnitude sb_dec_parse() accepts: 10^9, i.e. 10^18 units (int64 holds 9.2e18). */
#define SB_DEC_MAX_UNITS (SB_DEC_SCALE * SB_DEC_SCALE)

/*
 * sb_dec_parse() reads a decimal written by a person: [+-]digits[.digits][e[+-]N]
 * ("0.82", "5", ".5", "2.5e-1").  Exact: fails (returns false) when the value has a
 * non-zero digit beyond the 9th decimal, exceeds 10^9 in magnitude, or is not a number.
 */
bool sb_dec_parse(const char *s, int64_t *v);

/*
 * sb_dec_from_double() takes a value that was read as the nearest double (strtod,
 * cJSON, MessagePack float64) to the nearest multiple of 10^-9, ties to even.
 * For any decimal with at most 9 decimals, |x| <= 1, this is the decimal exactly:
 * the double is within 2^-53 |x| of it, x * 10^9 adds at most half an ulp of 10^9
 * (2^-24), so the product lies within 2e-7 of the integer, far inside +-0.5.
 * *rounded (may be NULL) is set when the value was not within 10^-6 units of a
 * multiple of 10^-9, i.e. when it had more decimals than 9 and precision was lost.
 * |x| must be at most 10^9.
 */
int64_t sb_dec_from_double(double x, bool *rounded);

/* The nearest double to v * 10^-9 (one correctly rounded division). */
double sb_dec_to_double(int64_t v);

/* Writes v as a person writes it: "0.82", "-0.5", "3", "0.000000001". */
#define SB_DEC_LEN 32
const char *sb_dec_format(int64_t v, char out[SB_DEC_LEN]);

#endif
