/* event_study.h - the event study: what prices did after each article (sentibt events)
 *
 * Pure computation, no I/O: candles + articles + options -> one row per event (the
 * article's candle, its entry close, its forward log returns, its volume spike ratio)
 * and the aggregates (per horizon and score bucket: count, mean, median, bootstrap
 * interval of the mean, hit rate; per horizon: the information coefficient).
 *
 * Definitions (README "Event study" says the same for users):
 *  - Articles map to candles as in the strategy (strategies/strategy.h, DESIGN step 1):
 *    an article published at t belongs to candle j = floor((t + L - t0) / D).  Articles
 *    before the first or after the last candle are dropped and counted; then those with
 *    confidence < k (exact decimals); then, with a cluster duration C > 0, every article
 *    published less than C after the article that opened the current cluster (the
 *    first kept article, then the first one published at or after opening + C, ...).
 *    The rest are the events, in publication order (ties: file order).
 *  - Entry: the close of candle j, c_j (the first close at which the article is known).
 *    Forward log return at horizon H candles: ln(c_{j+H} / c_j); none (NaN, counted as
 *    truncated) when j + H is past the last candle.
 *  - Volume spike ratio: the mean volume of candles j+1 .. j+H1 (H1 = the shortest
 *    horizon) over the mean volume of the V candles j-V+1 .. j (the --volume-window
 *    before j+1).  Undefined (NaN) and counted when j + H1 is past the last candle,
 *    when fewer than V candles precede j+1 (the start of the data), or when the
 *    trailing volume is 0.  Sums are plain double sums in candle order.
 *  - Buckets: edges e_0 < ... < e_m (exact decimals).  Bucket b holds the scores s with
 *    e_b <= s < e_{b+1}; the last bucket also holds s = e_m.  Scores outside [e_0, e_m]
 *    are in no bucket (counted).  Quantile buckets (q of them): e_0 = the lowest score,
 *    e_q = the highest, e_i = the score of rank floor(i n / q) + 1 among the n event
 *    scores sorted ascending (1-based), so that without ties bucket i holds the ranks
 *    floor(i n/q)+1 .. floor((i+1) n/q); equal edges (ties) are merged, so fewer than q
 *    buckets can result.
 *  - Per horizon and bucket, over the events with a return: n; mean (summed in event
 *    order); median (the mean of the two middle values for even n); hit rate = the share
 *    of returns > 0 (a zero return is not a hit, in every bucket, negative scores
 *    included); the percentile bootstrap interval of the mean: B resamples of n returns
 *    drawn with replacement, their means sorted, ci_lo = the k-th smallest and ci_hi =
 *    the k-th largest, k = max(1, ceil(0.025 B)).  Resample r of cell c (horizon-major,
 *    buckets ascending, c = h * buckets + b) draws from xoshiro256** seeded with
 *    sb_rng_seed(splitmix64(seed) + c) (core/rng.h), indices by Lemire's
 *    unbiased bounded method on the top 32 bits; so cells are independent of each
 *    other and of the thread count.
 *  - IC per horizon: Spearman's rank correlation of score with forward return over the
 *    events with a return (all of them, in a bucket or not): ranks averaged over ties
 *    (exact ties: scores are decimals, returns compared as doubles), Pearson's
 *    correlation of the ranks computed on exact integers (doubled ranks); t = ic *
 *    sqrt((n - 2) / (1 - ic^2)).  ic undefined when n < 2 or either side is constant;
 *    t undefined when n < 3 or |ic| = 1.
 *  - Overlap, per horizon: the return windows (j, j+H] of two events overlap when their
 *    candles are less than H apart (same candle: the same return).  'overlapping' counts
 *    the events with a return whose window overlaps another's; 'disjoint_windows' is
 *    the largest number of events with pairwise disjoint windows (taken greedily in
 *    candle order: an event counts when its candle is at least H after the last one
 *    counted), a rough count of the independent observations.  The bootstrap and the t-statistic assume independent events; with
 *    overlap they overstate the precision.  A cluster duration C >= H * D leaves no two
 *    events of the same horizon overlapping.
 *  - Event path: for each event in a bucket and each candle offset o in [-P, F], the
 *    cumulative log return relative to the entry close, path(o) = ln(c_{j+o} / c_j)
 *    (path(0) = 0); an event whose j + o lies outside the candles is left out at that
 *    offset (n counts per offset).  Per bucket and offset: n, mean (summed in event
 *    order) and the percentile bootstrap interval of the mean as above with B_path
 *    resamples; path cell (b, k) (k = o + P) uses cell number n_horizons * buckets + b *
 *    (P + F + 1) + k (after the horizon cells), so each has its own stream.
 */
#ifndef SB_EVENT_STUDY_H
#define SB_EVENT_STUDY_H

#include "../core/common.h"
#include "../loaders/candles.h"
#include "../loaders/events.h"

#define SB_ES_MAX_HORIZONS 16
#define SB_ES_MAX_BUCKETS  64
#define SB_ES_MAX_BOOTSTRAP 1000000
#define SB_ES_MAX_PATH 100000             /* candles before, and after, the event */

struct sb_es_opts {
	int64_t  min_conf_e9;                   /* k: events have confidence >= k */
	int64_t  latency_us;                    /* L >= 0 */
	size_t   n_horizons;                    /* 1 .. SB_ES_MAX_HORIZONS */
	int64_t  horizon_us[SB_ES_MAX_HORIZONS];/* whole candles, strictly increasing */
	size_t   n_edges;                       /* 0: quantile buckets; else 2 .. MAX+1 */
	int64_t  edges_e9[SB_ES_MAX_BUCKETS + 1];   /* strictly increasing */
	int      quantiles;                     /* with n_edges = 0: 1 .. SB_ES_MAX_BUCKETS */
	int64_t  volume_window_us;              /* V: whole candles, >= 1 candle */
	int64_t  cluster_us;                    /* C: 0 = every kept article is an event */
	uint32_t bootstrap;                     /* B: 0 = no interval */
	uint64_t seed;
	int      threads;                       /* for the bootstrap; 0 = OpenMP's default */
	int64_t  path_before_us, path_after_us; /* P, F: whole candles, 0 .. MAX_PATH each */
	uint32_t path_bootstrap;                /* B_path: resamples per path cell; 0 = none */
};

/* One event (one kept article). */
struct sb_es_event {
	int64_t  t_us;             /* published_at */
	int64_t  candle;           /* j */
	int32_t  score_e9, conf_e9;
	int32_t  bucket;           /* -1: outside the edges */
	uint32_t in_candle;        /* events in candle j, this one included */
	double   close;            /* c_j */
	double   volume_spike;     /* NaN when undefined */
};

/* One horizon x bucket cell of event_study.csv; NaN where undefined (n = 0, B = 0). */
struct sb_es_cell {
	size_t n;
	double mean, median, ci_lo, ci_hi, hit_rate;
};

/* One bucket x offset cell of event_path.csv; NaN where undefined (n = 0, B_path = 0). */
struct sb_es_path_cell {
	size_t n;
	double mean, ci_lo, ci_hi;
};

struct sb_es_horizon {
	int64_t horizon_us;
	size_t  candles;               /* H */
	size_t  with_return;           /* events with a forward return */
	size_t  truncated;             /* events whose j + H is past the last candle */
	size_t  overlapping;           /* events whose window overlaps another's */
	size_t  disjoint_windows;      /* most events with pairwise disjoint windows */
	double  ic, t_stat;            /* NaN when undefined */
	size_t  ic_n;                  /* = with_return */
};

struct sb_es_counts {
	uint64_t articles;             /* articles loaded (entity filter, duplicates done) */
	uint64_t outside_range;        /* available before the first / after the last candle */
	uint64_t below_confidence;     /* in range, confidence < k */
	uint64_t clustered_out;        /* within C of their cluster's first article */
	uint64_t events;
	uint64_t outside_buckets;      /* events whose score lies outside [e_0, e_m] */
	uint64_t shared_candle;        /* events whose candle holds another event */
	uint64_t spike_defined, spike_truncated, spike_short_history, spike_zero_volume;
};

struct sb_event_study {
	size_t n_events;
	struct sb_es_event *ev;        /* n_events */
	double *ret;                   /* n_events x n_horizons, row-major; NaN: truncated */
	size_t n_horizons;
	struct sb_es_horizon hz[SB_ES_MAX_HORIZONS];
	size_t n_buckets;              /* 0 when there is no event (quantile buckets) */
	int64_t edges_e9[SB_ES_MAX_BUCKETS + 1];   /* n_buckets + 1 edges */
	struct sb_es_cell *cell;       /* n_horizons x n_buckets, horizon-major */
	size_t path_before;            /* P, candles */
	size_t n_offsets;              /* P + F + 1: offsets -P .. F */
	struct sb_es_path_cell *path;  /* n_buckets x n_offsets, bucket-major */
	struct sb_es_counts counts;
};

/* Defaults of `sentibt events`: horizons 5m,15m,60m,240m, quintiles, B = 1000, seed 1,
 * V = 60m, k = 0, L = 0, no clustering; path P = 60m, F = 240m, B_path = 200. */
void sb_es_opts_init(struct sb_es_opts *o);

/*
 * sb_event_study_run() fills 'es' (released first by the caller or zeroed).  SB_EINVAL
 * with a message for options that do not fit the candles (a horizon or volume window
 * that is not a whole number of candles, unsorted horizons or edges, ...), SB_ENOMEM.
 * The result does not depend on o->threads.
 */
enum sb_err sb_event_study_run(const struct sb_candles *c, const struct sb_events *ev,
			       const struct sb_es_opts *o, struct sb_event_study *es,
			       struct sb_errbuf *err);
void sb_event_study_release(struct sb_event_study *es);   /* safe twice */

/* The pieces, for tests and reuse. */

/* Spearman's rho of x and y (n pairs) with average ranks; NaN when undefined. */
double sb_spearman(const double *x, const double *y, size_t n);
/* t = rho sqrt((n - 2) / (1 - rho^2)); NaN when n < 3, |rho| >= 1 or rho is NaN. */
double sb_spearman_t(double rho, size_t n);
/* The median of x[0..n) (x is reordered); NaN when n = 0. */
double sb_median(double *x, size_t n);
/*
 * The percentile bootstrap interval of the mean of x[0..n) with B resamples from the
 * generator seeded for cell 'cell' (see above); NaN when n = 0 or B = 0.  'scratch'
 * holds B doubles.
 */
void sb_bootstrap_mean_ci(const double *x, size_t n, uint32_t B, uint64_t seed, size_t cell,
			  double *scratch, double *lo, double *hi);
/*
 * Quantile edges of the sorted scores s[0..n) (n >= 1) into q buckets, equal edges
 * merged: writes the edges to 'edges' (at most q + 1) and returns how many buckets.
 */
size_t sb_es_quantile_edges(const int32_t *sorted, size_t n, int q, int64_t *edges);
/* The bucket of score s among n_buckets + 1 edges, -1 when outside. */
int32_t sb_es_bucket(int64_t s, const int64_t *edges, size_t n_buckets);

/*
 * event_stats.json of `sentibt events`: what was dropped and why, the bucket edges
 * used, the volume spike ratio's undefined cases, and per horizon the events with a
 * return, the truncated ones and the overlap (as defined above).
 */
enum sb_err sb_write_event_stats_json(const char *path, const struct sb_event_study *es,
				      struct sb_errbuf *err);

#endif
