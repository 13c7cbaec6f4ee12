/* strategy.h - strategies as signals: candles + articles + one parameter group -> signal
 *
 * A strategy turns the candles, the articles and the parameters that shape a signal
 * (min-confidence k, window W, latency L, and its own axes) into one number per candle,
 * or NaN where it has none.  The engine's rule (DESIGN.md steps 3-7: enter above h,
 * exit inside e, costs) and its kernels are the same for every strategy; they only
 * see the signal.  Signals are in units of 10^-9 (a mean score of 0.5 is 500000000.0),
 * the unit in which thresholds are exact integers.
 *
 * Adding a strategy: a file in strategies/ defining a 'struct sb_strategy' (name, its
 * axes, its signal function), listed in sb_strategies[] (strategy.c).  The CLI, the grid,
 * summary.csv, manifests and verify pick its axes up from there; nothing in engine/
 * changes.
 */
#ifndef SB_STRATEGY_H
#define SB_STRATEGY_H

#include "../loaders/candles.h"
#include "../loaders/events.h"

#define SB_STRATEGY_MAX_AXES 2

/* The parameters that shape a signal; combinations sharing them share one signal. */
struct sb_signal_params {
	int64_t min_conf_e9;      /* k in 10^-9 units: articles with confidence >= k count */
	int64_t window_us;        /* W: a whole number of candles, >= 1 candle */
	int64_t latency_us;       /* L: an article is usable at t_pub + L */
	int64_t extra[SB_STRATEGY_MAX_AXES];   /* the strategy's own axes, in their units */
};

struct sb_signal_stats {
	uint64_t used;             /* articles that fell inside the candle range */
	uint64_t below_confidence; /* left out by min_confidence */
	uint64_t outside_range;    /* available before the first or after the last candle */
};

#define SB_CONF_BUCKETS 1024

/* An in-range article: its candle (at t_pub + L), score and confidence (10^-9 units). */
struct sb_conf_rec {
	uint32_t cand;
	int32_t  score, conf;
};

/*
 * Step 1 for one (candles, events, latency): the articles inside the candles by
 * confidence.  Bucket b (the top 10 bits of the confidence, sign flipped) holds
 * rec[bucket_at[b], bucket_at[b + 1]), in the events' order; so a signal reads the
 * articles of confidence >= k only, and moving it from one k to another reads those
 * between the two.  Copies side by side: a move reads them in order, where indices
 * into the events' arrays would cost a cache miss each per article.  Built once, read
 * by any number of signal works (threads) at once (sb_signal_work_share()).
 */
struct sb_article_index {
	const struct sb_events *ev;    /* what it was built from */
	const struct sb_candles *c;
	int64_t latency_us;
	bool    valid;
	/* new at each sb_article_index_begin(), unique in the process: a work tells the
	 * index it summed from one rebuilt in place or another at the same address */
	uint64_t gen;
	size_t  n_in;                  /* articles inside the candle range */
	uint64_t outside;              /* articles outside it */
	struct sb_conf_rec *rec;       /* n_in */
	size_t  cap;                   /* records rec holds */
	uint32_t bucket_at[SB_CONF_BUCKETS + 1];
	/* while being built in parts: part p's first record in bucket b, its outside count */
	uint32_t (*part_at)[SB_CONF_BUCKETS];
	uint64_t *part_outside;
	int     parts;
};

/*
 * Building an index in parts (threads) gives the same index as in one: begin (one
 * thread), count (every part), place (one thread, after every count), fill (every
 * part, after place).  The caller keeps ev and c unchanged while the index is used.
 */
enum sb_err sb_article_index_begin(struct sb_article_index *x, const struct sb_candles *c,
				   const struct sb_events *ev, int64_t latency_us, int parts,
				   struct sb_errbuf *err);
void sb_article_index_count(struct sb_article_index *x, int part);
void sb_article_index_place(struct sb_article_index *x);
void sb_article_index_fill(struct sb_article_index *x, int part);
/* All four steps in one thread. */
enum sb_err sb_article_index_build(struct sb_article_index *x, const struct sb_candles *c,
				   const struct sb_events *ev, int64_t latency_us,
				   struct sb_errbuf *err);
void sb_article_index_init(struct sb_article_index *x);
void sb_article_index_release(struct sb_article_index *x);

/*
 * Scratch space for building many signals from the same candles and articles: the
 * articles are indexed once per latency and reused (or an index shared by all threads
 * is read), and no buffer is allocated (or page-faulted in) again per signal.  Not
 * shared by threads.
 */
struct sb_signal_work {
	struct sb_article_index own;   /* built here when no shared index fits */
	const struct sb_article_index *shared;
	const struct sb_article_index *sums_idx;   /* whose articles csum/ccnt sum, */
	uint64_t sums_gen;                         /* and which build of it */
	/* Per candle: the exact sum and number of the confident articles of min-confidence
	 * sums_k (when sums_set), kept for the next call: signals that differ only in their
	 * window (or the strategy's own axes) share them. */
	int64_t *csum;
	uint32_t *ccnt;
	bool     sums_set;
	int64_t  sums_k;
	struct sb_signal_stats sums_st;
	/* Set by sb_signal_candle_sums() when it moved the sums from moved_from_k: bit j
	 * of 'changed' is set for every candle j whose sum or count it changed (the
	 * caller that uses them clears them, else the next move does). */
	bool     moved;
	bool     kept;                 /* the last call kept the sums as they were */
	int64_t  moved_from_k;
	uint64_t *changed;
	/* What the mean strategy last wrote (mean.c): which buffer, for which k and W.
	 * Every call of sb_signal_candle_sums() forgets it; only the mean strategy's own
	 * signal function sets it again (not sb_mean_signal_w(), which others build on). */
	const double *mean_buf;
	int64_t  mean_k;
	size_t   mean_W;
	double  *scratch[3];           /* n candles each, for a strategy's own use */
	size_t   cap_candles;
};

void sb_signal_work_init(struct sb_signal_work *w);
void sb_signal_work_release(struct sb_signal_work *w);
/* Signals of w read x (when it was built from their candles, events and latency)
 * instead of an index of w's own; x must outlive w's use of it.  NULL: none. */
void sb_signal_work_share(struct sb_signal_work *w, const struct sb_article_index *x);

/*
 * A strategy's signal of candles c and articles ev into signal[0, c->n).  The work w
 * remembers what it computed (by the addresses of c, ev and signal): between two calls
 * with the same w, the caller must not change those arrays' contents, nor write into
 * a signal buffer it passes again (the mean moves its last signal instead of
 * computing it whole); anything else is computed afresh.
 */
typedef enum sb_err (*sb_signal_fn)(struct sb_signal_work *w, const struct sb_candles *c,
				    const struct sb_events *ev,
				    const struct sb_signal_params *p, double *signal,
				    uint32_t *n_in_window, struct sb_signal_stats *st,
				    struct sb_errbuf *err);

/* One sweep axis of a strategy, beyond k, W and L. */
struct sb_strategy_axis {
	const char *name;          /* summary.csv column and manifest key: "half_life" */
	const char *option;        /* command-line option: "half-life" */
	bool        is_duration;   /* microseconds; otherwise a decimal in 10^-9 units */
	const char *deflt;         /* default, as typed: "1h" */
	int64_t     lo, hi;        /* accepted values, inclusive, in the axis's units */
	bool        whole_candles; /* a duration that must be a whole number of candles */
	const char *help;          /* one line for --help */
};

struct sb_strategy {
	const char *name;          /* --strategy NAME */
	const char *summary;       /* one line */
	int         n_axes;
	struct sb_strategy_axis axes[SB_STRATEGY_MAX_AXES];
	sb_signal_fn signal;
};

/* The strategies, NULL-terminated; the first is the default ("mean"). */
extern const struct sb_strategy *const sb_strategies[];
const struct sb_strategy *sb_strategy_find(const char *name);   /* NULL when unknown */

/*
 * The steps every strategy shares, for their signal functions: checks W and L, indexes
 * the articles (step 1) and fills w->csum/w->ccnt with the per-candle exact sums of
 * the articles with confidence >= k (step 2's filter), in O(candles + articles); keeps
 * them when the previous call had the same k, L, candles and events, and moves them
 * when only k changed (adding or taking out the articles between the two k).  The
 * caller reads them and must not change them.  *W_candles receives W in candles.
 */
enum sb_err sb_signal_candle_sums(struct sb_signal_work *w, const struct sb_candles *c,
				  const struct sb_events *ev, const struct sb_signal_params *p,
				  size_t *W_candles, struct sb_signal_stats *st,
				  struct sb_errbuf *err);
/* Sets w->csum and w->ccnt back to zero and forgets whose sums they were. */
void sb_signal_candle_sums_clear(struct sb_signal_work *w, size_t n);

/*
 * The windowed mean (the seed's signal, DESIGN.md steps 1-2), exact; see mean.c.
 * n_in_window[i] (may be NULL) receives the number of articles in candle i's window.
 */
#define SB_SIGNAL_MAX_ARTICLES (UINT32_C(1) << 23)
enum sb_err sb_mean_signal_w(struct sb_signal_work *w, const struct sb_candles *c,
			     const struct sb_events *ev, const struct sb_signal_params *p,
			     double *signal, uint32_t *n_in_window, struct sb_signal_stats *st,
			     struct sb_errbuf *err);
/* The same with a scratch space of its own. */
enum sb_err sb_mean_signal(const struct sb_candles *c, const struct sb_events *ev,
			   const struct sb_signal_params *p, double *signal,
			   uint32_t *n_in_window, struct sb_signal_stats *st,
			   struct sb_errbuf *err);

extern const struct sb_strategy sb_strategy_mean, sb_strategy_decayed, sb_strategy_volume;

#endif
