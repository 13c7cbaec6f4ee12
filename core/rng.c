/* rng.c - xoshiro256** seeded through splitmix64 (see rng.h) */
#include "rng.h"

uint64_t sb_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void sb_rng_seed(struct sb_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = sb_splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sb_rng_next(struct sb_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double sb_rng_uniform(struct sb_rng *r)
{
	return (double)(sb_rng_next(r) >> 11) * 0x1p-53;
}

/* Standard normal, Marsaglia's polar method (only log and sqrt, no trigonometry). */

uint64_t sb_rng_below(struct sb_rng *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = sb_rng_next(r);
	while (x >= lim);
	return x % n;
}
