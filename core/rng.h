/*
 * rng.h - the one pseudo-random generator of sentibt: xoshiro256** (Blackman & Vigna)
 * seeded through splitmix64, so that every seeded result (the sample, the bootstrap,
 * the placebo sets) is the same on every machine and for any thread count.
 */
#ifndef SB_RNG_H
#define SB_RNG_H

#include <stdint.h>

/* xoshiro256** (Blackman & Vigna).  Any state but all-zero is valid. */
struct sb_rng {
	uint64_t s[4];
};

/* sb_splitmix64() advances '*x' by the golden gamma and returns the next output. */
uint64_t sb_splitmix64(uint64_t *x);
/* sb_rng_seed() fills the state with four splitmix64 outputs from 'seed'. */
void sb_rng_seed(struct sb_rng *r, uint64_t seed);
/* sb_rng_next() returns the next 64-bit output. */
uint64_t sb_rng_next(struct sb_rng *r);
/* sb_rng_below() returns a uniform integer in [0, n), n > 0, without bias (rejection). */
uint64_t sb_rng_below(struct sb_rng *r, uint64_t n);
/* sb_rng_uniform() returns a double in [0, 1) from the top 53 bits. */
double sb_rng_uniform(struct sb_rng *r);

#endif
