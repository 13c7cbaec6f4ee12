/* ratelimit.h - token buckets, backoff with jitter, the circuit breaker (no I/O, no clock)
 *
 * Every function takes the current time as 'now' (µs, any monotonic origin), so the
 * rules are unit-tested without waiting; score/score_run.c passes the real clock.
 */
#ifndef SB_RATELIMIT_H
#define SB_RATELIMIT_H

#include "../core/common.h"

/*
 * A token bucket: 'per_minute' units a minute, refilled continuously, holding at most
 * one second's worth (at least 1 unit), so requests are paced evenly over the minute
 * rather than sent in a burst that a provider's shorter windows refuse.  per_minute 0
 * means no limit.  Units are requests or tokens.  The level may go negative when a
 * request used more tokens than it reserved (sb_bucket_take of the difference): the
 * next ones then wait until the debt is paid back.
 */
struct sb_bucket {
	double  per_minute;   /* 0: unlimited */
	double  level;
	int64_t t;            /* time of 'level' */
};

void sb_bucket_init(struct sb_bucket *b, double per_minute, int64_t now);
/*
 * µs to wait until 'cost' units are available (0: now).  A cost larger than the
 * bucket waits for a full bucket, so one big request is never refused forever.
 */
int64_t sb_bucket_wait(struct sb_bucket *b, double cost, int64_t now);
/* Takes 'cost' units (negative: gives them back), even when that leaves a debt. */
void sb_bucket_take(struct sb_bucket *b, double cost, int64_t now);
/* Changes the rate, keeping the level (capped to the new size). */
void sb_bucket_set_rate(struct sb_bucket *b, double per_minute, int64_t now);

/*
 * The wait before attempt 'attempt' + 1 (attempt >= 1 failed so far):
 * min(cap, base * 2^(attempt - 1)) * (1 + u/2), u uniform in [0, 1) from the
 * splitmix64 stream '*rng' (seeded with --seed: tests are deterministic).
 */
int64_t sb_backoff_us(int attempt, int64_t base_us, int64_t cap_us, uint64_t *rng);

/*
 * The circuit breaker: 'threshold' consecutive failed requests (no success between)
 * open it for good; the run then sends nothing more.  threshold 0: never opens.
 */
struct sb_breaker {
	int  threshold, consecutive;
	bool open;
};

void sb_breaker_result(struct sb_breaker *b, bool success);

#endif
