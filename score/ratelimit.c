/* ratelimit.c - token buckets, backoff, circuit breaker (see ratelimit.h) */
#include "ratelimit.h"
#include "../loaders/sample_gen.h"   /* sb_splitmix64 */

#include <math.h>

static double capacity(const struct sb_bucket *b)
{
	return b->per_minute / 60 > 1 ? b->per_minute / 60 : 1;
}

static void refill(struct sb_bucket *b, int64_t now)
{
	if (now > b->t && b->per_minute > 0) {
		b->level += (double)(now - b->t) * b->per_minute / 60e6;
		if (b->level > capacity(b))
			b->level = capacity(b);
	}
	if (now > b->t)
		b->t = now;
}

void sb_bucket_init(struct sb_bucket *b, double per_minute, int64_t now)
{
	b->per_minute = per_minute > 0 ? per_minute : 0;
	b->level = capacity(b);
	b->t = now;
}

int64_t sb_bucket_wait(struct sb_bucket *b, double cost, int64_t now)
{
	double need;

	if (b->per_minute <= 0)
		return 0;
	refill(b, now);
	need = (cost < capacity(b) ? cost : capacity(b)) - b->level;
	if (need <= 0)
		return 0;
	return (int64_t)ceil(need * 60e6 / b->per_minute);
}

void sb_bucket_take(struct sb_bucket *b, double cost, int64_t now)
{
	if (b->per_minute <= 0)
		return;
	refill(b, now);
	b->level -= cost;
	if (b->level > capacity(b))
		b->level = capacity(b);
}

void sb_bucket_set_rate(struct sb_bucket *b, double per_minute, int64_t now)
{
	refill(b, now);
	b->per_minute = per_minute > 0 ? per_minute : 0;
	if (b->level > capacity(b))
		b->level = capacity(b);
}

int64_t sb_backoff_us(int attempt, int64_t base_us, int64_t cap_us, uint64_t *rng)
{
	int64_t d = base_us;
	double u = (double)(sb_splitmix64(rng) >> 11) * 0x1p-53;

	for (int i = 1; i < attempt && d < cap_us; i++)
		d *= 2;
	if (d > cap_us)
		d = cap_us;
	return d + (int64_t)((double)d * u / 2);
}

void sb_breaker_result(struct sb_breaker *b, bool success)
{
	if (success) {
		b->consecutive = 0;
		return;
	}
	b->consecutive++;
	if (b->threshold > 0 && b->consecutive >= b->threshold)
		b->open = true;
}
