/* candles.h - columnar candle arrays built from Tardis trades or OHLCV CSV files */
#ifndef SB_CANDLES_H
#define SB_CANDLES_H

#include "../core/common.h"

/*
 * Candle i covers [t0_us + i*interval_us, t0_us + (i+1)*interval_us).  Candles are
 * aligned on multiples of the interval since the epoch (1d candles start at 00:00 UTC).
 * The grid has no holes: a candle without trades carries the previous close forward
 * (open = high = low = close) with zero volume and zero trades.  Every column is a
 * 64-byte-aligned array of n values.
 */
struct sb_candles {
	size_t   n;
	int64_t  t0_us;
	int64_t  interval_us;
	double  *open, *high, *low, *close;
	double  *volume;                   /* base units; 0 when the file had no volume */
	double  *buy_volume, *sell_volume; /* taker side (Tardis only; 0 for OHLCV) */
	uint64_t *trades;                  /* trades in the candle (Tardis only) */
};

/* What a loader saw in one input file; copied into the run manifest. */
struct sb_input_info {
	char     path[4096];
	char     kind[32];          /* "tardis-trades", "ohlcv", "sentiment-jsonl", ... */
	uint64_t rows;              /* data rows read (header excluded) */
	uint64_t rows_used;         /* rows that went into the result */
	uint64_t rows_dropped;      /* rows left out (see 'dropped_why') */
	uint64_t duplicates;        /* duplicate ids (sentiment) or duplicate times */
	uint64_t rounded;           /* numbers with more than 9 decimals, rounded (sentiment) */
	char     dropped_why[256];  /* short account, e.g. "12 outside candle range" */
	int64_t  t_first_us, t_last_us;   /* span of the rows used */
	uint64_t filled_candles;    /* prices: empty candles before this file's candles that
				     * carry the previous close (the gaps it closes) */
	int64_t  longest_gap_us;    /* prices: longest such gap, as checked against max_gap */
	char     sha256[65];        /* content digest, when the caller computed it ("" if not) */
	uint64_t size;              /* bytes, with sha256 */
};

void sb_candles_init(struct sb_candles *c);      /* no allocation */

/*
 * sb_candles_view() makes 'v' the candles [first, first + n) of 'c', sharing its
 * columns (no copy; never release a view).  first + n <= c->n.
 */
void sb_candles_view(const struct sb_candles *c, size_t first, size_t n, struct sb_candles *v);
void sb_candles_release(struct sb_candles *c);   /* frees columns; safe twice */

/* Allocates n candles (all columns zeroed); releases what 'c' held before. */
enum sb_err sb_candles_alloc(struct sb_candles *c, size_t n, struct sb_errbuf *err);
/* The same, the arrays not zeroed: for a caller that writes every element (the cache). */
enum sb_err sb_candles_alloc_raw(struct sb_candles *c, size_t n, struct sb_errbuf *err);

/* The longest gap in prices filled by default (--max-gap): 3 days. */
#define SB_MAX_GAP_DEFAULT_US (3 * SB_US_PER_DAY)

/*
 * sb_candles_load_ex() builds one candle array of 'interval_us' from 'npaths' files of
 * one symbol.  Each file is either a Tardis trades CSV or an OHLCV candle CSV, plain
 * or gzip'd (told apart by the gzip magic, not the name), and the kind is told by its
 * header; all files must be of the same kind.  Files are streamed: memory is the
 * candle grid (the candles with rows plus the gaps filled between them) and, for
 * Tardis files, the ids of the last 10 minutes of trades.
 * Several files concatenate in time order; files whose spans overlap are an error, and
 * so are Tardis rows of another symbol than the first row's (one series, one instrument).
 *
 * Gaps: the empty candles between two candles with rows carry the previous close
 * with zero volume and are counted (info[].filled_candles).  A gap longer than
 * 'max_gap_us' (SB_MAX_GAP_DEFAULT_US; 0 = no limit) is an error naming the row that
 * ends it, found before memory is taken for it; gaps are measured in file order (a
 * Tardis row that later fills a candle inside a gap does not shorten the gap seen).
 * With or without the limit, a grid of more than 2^25 candles is an error.
 *
 * Rows: OHLCV prices must be finite, > 0 and low <= open, close <= high.  Tardis
 * trades with an 'id' seen before (same id string, among the trades of the previous
 * 10 minutes of local_timestamp and at most 2^20 of them) are counted as duplicates
 * (info[].duplicates) and left out; empty ids are not checked.
 *
 * info[] (npaths entries, may be NULL) receives per-file statistics; rows = rows_used
 * + duplicates.  On error 'c' is left empty and 'err' says "path:line: what was
 * expected".
 */
enum sb_err sb_candles_load_ex(struct sb_candles *c, const char *const *paths, size_t npaths,
			       int64_t interval_us, int64_t max_gap_us,
			       struct sb_input_info *info, struct sb_errbuf *err);

/*
 * sb_candles_load_ex() that also takes each file's SHA-256 as it reads it (no second
 * read of the file): info[i].sha256 is the digest of the whole file, as
 * sb_sha256_file() gives it.  For runs that need the digests only for the manifest.
 */
enum sb_err sb_candles_load_hashed(struct sb_candles *c, const char *const *paths,
				   size_t npaths, int64_t interval_us, int64_t max_gap_us,
				   struct sb_input_info *info, struct sb_errbuf *err);

/*
 * Several files load at once, one per thread (SENTIBT_LOAD_THREADS, sb_load_cpus()),
 * and are merged in load order into exactly what one thread gives; a file whose merge
 * cannot be told exactly (a duplicate id across its boundary, say) is loaded again,
 * serially, at its turn.  sb_candles_reloads() counts those, since the process began
 * (for tests and benchmarks).
 */
unsigned long sb_candles_reloads(void);

/* sb_candles_load_ex() with max_gap_us = SB_MAX_GAP_DEFAULT_US. */
enum sb_err sb_candles_load(struct sb_candles *c, const char *const *paths, size_t npaths,
			    int64_t interval_us, struct sb_input_info *info,
			    struct sb_errbuf *err);

#endif
