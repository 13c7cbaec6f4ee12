/*
 * sample_gen.h - the seeded generator of SYNTHETIC sample data (`sentibt sample`).
 *
 * Everything written here is made up: prices, trades and news are simulated so that the
 * pipeline can be tried, tested and benchmarked offline.  Do not draw conclusions about
 * real markets from them.
 *
 * What is written into the output folder:
 *   {exchange}_trades_{YYYY-MM-DD}_{SYMBOL}.csv.gz   one per symbol per day, the Tardis
 *       daily-file layout (header exchange,symbol,timestamp,local_timestamp,id,side,price,
 *       amount; times in us since the epoch; rows ordered by local_timestamp and split into
 *       days by it; timestamp is the exchange's millisecond time and can go backwards a
 *       little between rows, as in real files; id increases by one per row; several rows
 *       (fills of one taker order) can share one timestamp pair; BTC and ETH prices have
 *       a 0.01 tick (coins under $1 a finer one) and, like real Tardis files, trailing
 *       zeros are trimmed: "62000.1", "3400"; BTC starts near 62000, ETH near 3400).
 *   news.jsonl   the articles of the whole span, one JSON object per line (id, published_at
 *       RFC 3339 UTC with Z, symbols, sentiment_score in [-1,1], confidence in [0,1],
 *       source, headline, model "synthetic"); ordered by published_at except for a few
 *       neighbours swapped on purpose (real feeds arrive slightly out of order).
 *
 * The model, per symbol, on a one-second grid:
 *   - log-price: Gaussian steps whose variance follows a GARCH(1,1) updated every minute
 *     (volatility clustering), plus the drift planted by the news (below);
 *   - trade arrivals: a Poisson process whose intensity is piecewise constant per second
 *     and moves with a time-of-day cycle, the current GARCH volatility and self-decaying
 *     bursts; a taker order sometimes fills at several price levels at once;
 *   - buys print at the ask (mid rounded up to the tick), sells at the bid.
 * The planted link: every article carries a hidden value v ~ N(0,1).  Its score is
 * tanh(0.9 x) with x = c v + sqrt(1 - c^2) e (c = confidence, e independent noise), so a
 * higher confidence means a score that tells more about v.  Starting 0-90 s after
 * publication, v moves the log-price of each of the article's symbols that has trades by
 * k v spread evenly over 10-30 minutes, k being a fixed fraction of the symbol's 30-minute
 * volatility.  The correlation of a score with the next 30-minute log return is about 0.1
 * overall and higher for confident articles: weak, something for a threshold strategy to
 * find, but far from a sure thing.  Scores are symmetric around 0 (as many long as short).
 *
 * Determinism: one xoshiro256** stream per purpose, seeded through splitmix64 from the
 * seed; numbers are formatted by hand (no printf, no locale); gzip goes through gz.h,
 * zlib's gzopen("wb6"), whose header has mtime 0, so the same seed and options give byte-
 * identical files on the same zlib and libm (the files are written in parallel, but
 * each one's bytes do not depend on the thread count).
 */
#ifndef SB_SAMPLE_GEN_H
#define SB_SAMPLE_GEN_H

#include "../core/common.h"
#include "../core/rng.h"   /* the sample is drawn from sb_rng */

#define SB_SAMPLE_MAX_SYMBOLS 8
#define SB_SAMPLE_SYMBOL_MAX  24     /* bytes with the NUL */
#define SB_SAMPLE_MAX_DAYS    366
#define SB_SAMPLE_MAX_ARTICLES_PER_DAY 1000000

struct sb_sample_opts {
	const char *out_dir;                 /* created like mkdir -p when missing */
	const char *exchange;                /* file prefix and first column: "binance" */
	uint64_t    seed;
	int         days;                    /* 1 .. SB_SAMPLE_MAX_DAYS */
	int64_t     start_us;                /* midnight UTC of the first day */
	double      articles_per_day;        /* all symbols together, 0 .. MAX */
	size_t      n_symbols;               /* 1 .. SB_SAMPLE_MAX_SYMBOLS */
	char        symbols[SB_SAMPLE_MAX_SYMBOLS][SB_SAMPLE_SYMBOL_MAX];
};

struct sb_sample_stats {
	size_t   trade_files;
	uint64_t trades;                     /* rows over all trades files */
	uint64_t articles;
	uint64_t bytes;                      /* compressed trades + news bytes */
};

/*
 * sb_sample_opts_init() sets the defaults: out "data/sample", exchange "binance", seed 42,
 * 7 days from 2024-03-01, BTCUSDT and ETHUSDT, 1500 articles a day.
 */
void sb_sample_opts_init(struct sb_sample_opts *o);

/*
 * sb_sample_set_symbols() replaces o->symbols with the comma-separated list 'list'
 * (e.g. "BTCUSDT,ETHUSDT"): each 2-20 characters of A-Z and 0-9, no duplicates, at most
 * SB_SAMPLE_MAX_SYMBOLS.  Returns SB_OK, or SB_EINVAL with a message ('o' unchanged).
 */
enum sb_err sb_sample_set_symbols(struct sb_sample_opts *o, const char *list,
				  struct sb_errbuf *err);

/*
 * sb_sample_trades_path() writes "{dir}/{exchange}_trades_{YYYY-MM-DD}_{symbol}.csv.gz"
 * for the day starting at 'day_us' into 'out'.  Returns false when it does not fit.
 */
bool sb_sample_trades_path(char *out, size_t n, const char *dir, const char *exchange,
			   int64_t day_us, const char *symbol);

/*
 * sb_sample_generate() writes the trades files and news.jsonl described above into
 * o->out_dir.  Each file is written under "<name>.tmp" and renamed when complete, so no
 * partial file ever has a final name; existing files are replaced.  Fills 'st' (may be
 * NULL).  Returns SB_OK, SB_EINVAL for bad options, SB_ENOMEM or SB_EIO, with a message
 * naming the path in 'err' (may be NULL).
 */
enum sb_err sb_sample_generate(const struct sb_sample_opts *o, struct sb_sample_stats *st,
			       struct sb_errbuf *err);

#endif
