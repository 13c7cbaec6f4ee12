/* sample_gen.c - seeded SYNTHETIC trades (Tardis CSV.gz) and news (JSONL); see sample_gen.h */
#include "sample_gen.h"
#include "../core/rng.h"
#include "../core/thread.h"
#include "../core/atomic.h"
#include "gz.h"
#include "textio.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SEC_PER_DAY 86400
#define WRITE_BUF   (1u << 20)
#define LINE_MAX_TRADE 256          /* longest formatted trade row (~170), with margin */

/* ---- PRNG ----------------------------------------------------------------------- */

static double rng_normal(struct sb_rng *r)
{
	double u, v, q;

	do {
		u = 2.0 * sb_rng_uniform(r) - 1.0;
		v = 2.0 * sb_rng_uniform(r) - 1.0;
		q = u * u + v * v;
	} while (q >= 1.0 || q == 0.0);
	return u * sqrt(-2.0 * log(q) / q);
}

/* Uniform integer in [0, n), 0 < n <= 2^32 (53-bit scaling; the bias is negligible here). */
static uint64_t rng_below(struct sb_rng *r, uint64_t n)
{
	return (uint64_t)(sb_rng_uniform(r) * (double)n);
}

/* Poisson count by Knuth's product of uniforms; callers keep lambda <= 500. */
static unsigned rng_poisson(struct sb_rng *r, double lambda)
{
	double limit = exp(-lambda), p = 1.0;
	unsigned k = 0;

	for (;;) {
		p *= sb_rng_uniform(r);
		if (p <= limit)
			return k;
		k++;
	}
}

/* One independent stream per purpose: the seed mixed with a stream number. */
static void stream_seed(struct sb_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * UINT64_C(0xd1b54a32d192ed03));

	sb_rng_seed(r, sb_splitmix64(&x));
}

/* ---- symbols -------------------------------------------------------------------- */

struct sym_model {
	const char *base;
	const char *name;          /* for headlines */
	double p0;                 /* start price */
	double day_vol;            /* GARCH unconditional daily volatility of log price */
	int    price_dec;          /* decimals of the price (tick 10^-price_dec) */
	double amt_median;         /* median trade size in base units */
	int    amt_dec;            /* decimals of the amount (lot step 10^-amt_dec) */
	double news_weight;        /* relative share of articles about it */
};

static const struct sym_model known_syms[] = {
	{ "BTC",  "Bitcoin",   62000.0, 0.022, 2, 0.004,  5, 0.50 },
	{ "ETH",  "Ether",     3400.0,  0.028, 2, 0.05,   4, 0.30 },
	{ "SOL",  "Solana",    130.0,   0.040, 2, 2.0,    2, 0.15 },
	{ "BNB",  "BNB",       400.0,   0.030, 2, 0.5,    3, 0.10 },
	{ "XRP",  "XRP",       0.62,    0.035, 4, 300.0,  0, 0.10 },
	{ "DOGE", "Dogecoin",  0.12,    0.045, 5, 2000.0, 0, 0.08 },
	{ "ADA",  "Cardano",   0.70,    0.040, 4, 300.0,  1, 0.06 },
	{ "AVAX", "Avalanche", 40.0,    0.045, 2, 5.0,    2, 0.06 },
};
#define N_KNOWN (sizeof(known_syms) / sizeof(known_syms[0]))

static const struct sym_model default_sym = { NULL, NULL, 100.0, 0.040, 2, 2.0, 2, 0.10 };

/* The base asset of a trading symbol: "BTCUSDT" -> "BTC". */
static void symbol_base(const char *sym, char *base, size_t n)
{
	static const char *const quotes[] = { "USDT", "USDC", "BUSD", "FDUSD", "USD" };
	size_t len = strlen(sym);

	snprintf(base, n, "%s", sym);
	for (size_t i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
		size_t q = strlen(quotes[i]);
		if (len > q && strcmp(sym + len - q, quotes[i]) == 0) {
			if (len - q < n)
				base[len - q] = '\0';
			return;
		}
	}
}

static const struct sym_model *sym_lookup(const char *base)
{
	for (size_t i = 0; i < N_KNOWN; i++)
		if (strcmp(known_syms[i].base, base) == 0)
			return &known_syms[i];
	return NULL;
}

/* ---- options -------------------------------------------------------------------- */

void sb_sample_opts_init(struct sb_sample_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->out_dir = "data/sample";
	o->exchange = "binance";
	o->seed = 42;
	o->days = 7;
	o->start_us = sb_days_from_civil(2024, 3, 1) * SB_US_PER_DAY;
	o->articles_per_day = 1500.0;
	o->n_symbols = 2;
	memcpy(o->symbols[0], "BTCUSDT", 8);
	memcpy(o->symbols[1], "ETHUSDT", 8);
}

enum sb_err sb_sample_set_symbols(struct sb_sample_opts *o, const char *list,
				  struct sb_errbuf *err)
{
	char syms[SB_SAMPLE_MAX_SYMBOLS][SB_SAMPLE_SYMBOL_MAX];
	size_t n = 0;
	const char *p = list;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len < 2 || len > 20)
			return sb_errf(err, SB_EINVAL, "symbols '%s': expected 2-20 characters per "
				       "symbol, got '%.*s'", list, (int)len, p);
		for (size_t i = 0; i < len; i++)
			if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
				return sb_errf(err, SB_EINVAL, "symbols '%s': expected upper-case "
					       "letters and digits, got '%.*s'", list, (int)len, p);
		if (n == SB_SAMPLE_MAX_SYMBOLS)
			return sb_errf(err, SB_EINVAL, "symbols '%s': expected at most %d symbols",
				       list, SB_SAMPLE_MAX_SYMBOLS);
		memcpy(syms[n], p, len);
		syms[n][len] = '\0';
		for (size_t j = 0; j < n; j++)
			if (strcmp(syms[j], syms[n]) == 0)
				return sb_errf(err, SB_EINVAL, "symbols '%s': '%s' given twice",
					       list, syms[n]);
		n++;
		if (!end)
			break;
		p = end + 1;
	}
	memcpy(o->symbols, syms, sizeof(syms));
	o->n_symbols = n;
	return SB_OK;
}

/* ---- hand-written formatting (no printf, no locale) ------------------------------ */

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* v / 10^dec, non-negative, with trailing fractional zeros (and a bare '.') trimmed. */
static char *put_fixed_trim(char *p, uint64_t v, int dec)
{
	uint64_t scale = 1;

	for (int i = 0; i < dec; i++)
		scale *= 10;
	p = put_u64(p, v / scale);
	uint64_t frac = v % scale;
	if (frac) {
		*p++ = '.';
		for (uint64_t d = scale / 10; frac; d /= 10) {
			*p++ = (char)('0' + frac / d);
			frac %= d;
		}
	}
	return p;
}

/* v / 10^dec with exactly 'dec' decimals, sign allowed: "-0.050". */
static char *put_fixed(char *p, int64_t v, int dec)
{
	uint64_t a, scale = 1;

	for (int i = 0; i < dec; i++)
		scale *= 10;
	if (v < 0)
		*p++ = '-';
	a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	p = put_u64(p, a / scale);
	if (dec > 0) {
		uint64_t frac = a % scale;
		*p++ = '.';
		for (uint64_t d = scale / 10; d; d /= 10) {
			*p++ = (char)('0' + frac / d);
			frac %= d;
		}
	}
	return p;
}

static char *put_2d(char *p, int v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* Civil date of a day number (Hinnant's algorithm), the inverse of sb_days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static char *put_date(char *p, int64_t t_us)
{
	int64_t y;
	int m, d;

	civil_from_days(sb_floordiv(t_us, SB_US_PER_DAY), &y, &m, &d);
	if (y < 1000 || y > 9999)       /* options keep it in range; never mis-pad */
		y = 9999;
	p = put_u64(p, (uint64_t)y);
	*p++ = '-';
	p = put_2d(p, m);
	*p++ = '-';
	return put_2d(p, d);
}

/* RFC 3339 UTC with whole seconds: 2024-03-01T12:34:56Z */
static char *put_rfc3339(char *p, int64_t t_us)
{
	int64_t s = sb_floordiv(t_us, SB_US_PER_SEC) - sb_floordiv(t_us, SB_US_PER_DAY) * SEC_PER_DAY;

	p = put_date(p, t_us);
	*p++ = 'T';
	p = put_2d(p, (int)(s / 3600));
	*p++ = ':';
	p = put_2d(p, (int)(s / 60 % 60));
	*p++ = ':';
	p = put_2d(p, (int)(s % 60));
	*p++ = 'Z';
	return p;
}

bool sb_sample_trades_path(char *out, size_t n, const char *dir, const char *exchange,
			   int64_t day_us, const char *symbol)
{
	char date[16];
	char *e = put_date(date, day_us);

	*e = '\0';
	int len = snprintf(out, n, "%s/%s_trades_%s_%s.csv.gz", dir, exchange, date, symbol);
	return len > 0 && (size_t)len < n;
}

/* ---- files ---------------------------------------------------------------------- */

/* mkdir -p */
static enum sb_err make_dirs(const char *dir, struct sb_errbuf *err)
{
	char path[4096];
	struct stat stt;
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return sb_errf(err, SB_EINVAL, "output folder '%s': expected a path of 1-%zu bytes",
			       dir, sizeof(path) - 1);
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			return sb_errf(err, SB_EIO, "%s: cannot create folder: %s", path,
				       strerror(errno));
		path[i] = c;
	}
	if (stat(dir, &stt) != 0 || !S_ISDIR(stt.st_mode))
		return sb_errf(err, SB_EIO, "%s: expected a folder", dir);
	return SB_OK;
}

/* ---- news ----------------------------------------------------------------------- */

struct article {
	int64_t  t_us;
	double   v;                 /* hidden value that moves the price */
	int32_t  score_milli;       /* sentiment_score * 1000 */
	int32_t  conf_centi;        /* confidence * 100 */
	uint8_t  nsym;
	uint8_t  sym[3];            /* < n_symbols: a traded symbol; else OTHER_BASE + k */
	uint16_t src, tmpl, reason;
};

#define OTHER_BASE 64

/* Bases for articles about coins that are not traded in the sample. */
static const char *const other_coins[] = { "SOL", "XRP", "DOGE", "ADA", "AVAX", "BNB" };
#define N_OTHER (sizeof(other_coins) / sizeof(other_coins[0]))

static const char *const sources[] = {
	"coindesk", "cointelegraph", "theblock", "decrypt", "reuters", "bloomberg",
	"cryptoslate", "x.com",
};
static const char *const pos_tmpl[] = {
	"%s rallies after %s", "%s climbs on %s", "%s jumps after %s",
	"Traders turn bullish on %s after %s",
};
static const char *const neg_tmpl[] = {
	"%s slides after %s", "%s drops on %s", "%s falls after %s",
	"Traders turn bearish on %s after %s",
};
static const char *const neu_tmpl[] = {
	"%s little changed after %s", "%s flat despite %s", "%s steady amid %s",
};
static const char *const reasons[] = {
	"shifting ETF flows", "a swing in funding rates", "a large exchange outflow",
	"regulator comments", "an upgrade timeline update", "whale wallet moves",
	"a looming options expiry", "surprising macro data", "a major fund's holdings filing",
	"miner output changes", "a stablecoin supply change", "new exchange listings",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct news {
	struct article *a;
	size_t n, cap;
};

static enum sb_err news_push(struct news *nw, const struct article *art, struct sb_errbuf *err)
{
	if (nw->n == nw->cap) {
		size_t cap = nw->cap ? nw->cap * 2 : 4096;
		struct article *a = realloc(nw->a, cap * sizeof(*a));
		if (!a)
			return sb_errf(err, SB_ENOMEM, "out of memory for %zu articles", cap);
		nw->a = a;
		nw->cap = cap;
	}
	nw->a[nw->n++] = *art;
	return SB_OK;
}

/* Picks an article's symbols: mostly one traded symbol, sometimes two, sometimes others. */
static void pick_symbols(struct sb_rng *r, const double *w, size_t n_syms, const bool *other_ok,
			 struct article *art)
{
	double total = 0.0, u;
	size_t first = 0;
	bool any_other = false;

	for (size_t k = 0; k < N_OTHER; k++)
		any_other |= other_ok[k];
	art->nsym = 0;
	if (sb_rng_uniform(r) < 0.08 && any_other) {  /* only about an untraded coin */
		for (;;) {
			size_t k = (size_t)rng_below(r, N_OTHER);
			if (other_ok[k]) {
				art->sym[art->nsym++] = (uint8_t)(OTHER_BASE + k);
				return;
			}
		}
	}
	for (size_t i = 0; i < n_syms; i++)
		total += w[i];
	u = sb_rng_uniform(r) * total;
	for (first = 0; first + 1 < n_syms && u >= w[first]; first++)
		u -= w[first];
	art->sym[art->nsym++] = (uint8_t)first;
	if (n_syms > 1 && sb_rng_uniform(r) < 0.12) {
		size_t second = (size_t)rng_below(r, n_syms - 1);
		if (second >= first)
			second++;
		art->sym[art->nsym++] = (uint8_t)second;
	}
	if (sb_rng_uniform(r) < 0.04) {
		size_t k = (size_t)rng_below(r, N_OTHER);
		if (other_ok[k])
			art->sym[art->nsym++] = (uint8_t)(OTHER_BASE + k);
	}
}

static enum sb_err make_news(const struct sb_sample_opts *o, char bases[][SB_SAMPLE_SYMBOL_MAX],
			     struct news *nw, struct sb_errbuf *err)
{
	struct sb_rng r;
	double w[SB_SAMPLE_MAX_SYMBOLS], minute_w[1440];
	bool other_ok[N_OTHER];
	enum sb_err rc;

	stream_seed(&r, o->seed, 1);
	for (size_t i = 0; i < o->n_symbols; i++) {
		const struct sym_model *m = sym_lookup(bases[i]);
		w[i] = (m ? m : &default_sym)->news_weight;
	}
	for (size_t k = 0; k < N_OTHER; k++) {
		other_ok[k] = true;
		for (size_t i = 0; i < o->n_symbols; i++)
			if (strcmp(other_coins[k], bases[i]) == 0)
				other_ok[k] = false;
	}

	double burst = 0.0;
	for (int day = 0; day < o->days; day++) {
		double total = 0.0;
		int64_t day_us = o->start_us + (int64_t)day * SB_US_PER_DAY;

		/* Per-minute weights: a daily cycle (busiest around 14:00 UTC) and news bursts. */
		for (int m = 0; m < 1440; m++) {
			burst *= 0.93;
			if (sb_rng_uniform(&r) < 1.0 / 240)
				burst += 2.0 + 4.0 * sb_rng_uniform(&r);
			minute_w[m] = (1.0 + 0.4 * cos(2.0 * M_PI * (m / 1440.0 - 14.0 / 24.0))) *
				      (1.0 + burst);
			total += minute_w[m];
		}
		for (int m = 0; m < 1440; m++) {
			double lambda = o->articles_per_day * minute_w[m] / total;
			unsigned cnt = lambda > 400.0 ? (unsigned)(lambda + 0.5) : rng_poisson(&r, lambda);
			size_t first = nw->n;

			for (unsigned j = 0; j < cnt; j++) {
				struct article art;
				double c, x;

				memset(&art, 0, sizeof(art));
				art.t_us = day_us + ((int64_t)m * 60 + (int64_t)rng_below(&r, 60)) *
					   SB_US_PER_SEC;
				pick_symbols(&r, w, o->n_symbols, other_ok, &art);
				art.v = rng_normal(&r);
				c = 0.05 + 0.94 * 0.5 * (sb_rng_uniform(&r) + sb_rng_uniform(&r));
				art.conf_centi = (int32_t)lround(c * 100.0);
				c = art.conf_centi / 100.0;
				x = c * art.v + sqrt(1.0 - c * c) * rng_normal(&r);
				art.score_milli = (int32_t)lround(tanh(0.9 * x) * 1000.0);
				art.src = (uint16_t)rng_below(&r, NELEM(sources));
				art.tmpl = (uint16_t)rng_below(&r, 4);
				art.reason = (uint16_t)rng_below(&r, NELEM(reasons));
				if ((rc = news_push(nw, &art, err)) != SB_OK)
					return rc;
			}
			/* Order the minute by time (insertion sort, stable). */
			for (size_t i = first + 1; i < nw->n; i++) {
				struct article t = nw->a[i];
				size_t j = i;
				while (j > first && nw->a[j - 1].t_us > t.t_us) {
					nw->a[j] = nw->a[j - 1];
					j--;
				}
				nw->a[j] = t;
			}
		}
	}
	/* A few neighbours arrive swapped, as real feeds do (only within 3 minutes). */
	for (size_t i = 1; i < nw->n; i++)
		if (sb_rng_uniform(&r) < 0.004 &&
		    nw->a[i].t_us - nw->a[i - 1].t_us < 180 * SB_US_PER_SEC) {
			struct article t = nw->a[i];
			nw->a[i] = nw->a[i - 1];
			nw->a[i - 1] = t;
			i++;
		}
	return SB_OK;
}

static const char *base_name(const char *base)
{
	const struct sym_model *m = sym_lookup(base);
	return m ? m->name : base;
}

static enum sb_err write_news(const struct sb_sample_opts *o, char bases[][SB_SAMPLE_SYMBOL_MAX],
			      const struct news *nw, uint64_t *bytes, struct sb_errbuf *err)
{
	char path[4096], line[1024];
	struct sb_atomic out;
	FILE *f;
	uint64_t idkey = o->seed ^ UINT64_C(0x6e657773);    /* "news" */
	enum sb_err rc;

	if (snprintf(path, sizeof(path), "%s/news.jsonl", o->out_dir) >= (int)sizeof(path))
		return sb_errf(err, SB_EINVAL, "%s: path too long", o->out_dir);
	if ((rc = sb_atomic_open(&out, path, err)))
		return rc;
	f = out.f;
	for (size_t i = 0; i < nw->n; i++) {
		const struct article *a = &nw->a[i];
		const char *names[3];
		char *p = line;
		uint64_t id, x = idkey + i;

		/* splitmix64 of a counter is a bijection: ids are unique. */
		id = sb_splitmix64(&x);
		p = put_str(p, "{\"id\":\"syn-");
		for (int s = 60; s >= 0; s -= 4)
			*p++ = "0123456789abcdef"[(id >> s) & 15];
		p = put_str(p, "\",\"published_at\":\"");
		p = put_rfc3339(p, a->t_us);
		p = put_str(p, "\",\"symbols\":[");
		for (int k = 0; k < a->nsym; k++) {
			names[k] = a->sym[k] >= OTHER_BASE ? other_coins[a->sym[k] - OTHER_BASE]
							    : bases[a->sym[k]];
			if (k)
				*p++ = ',';
			*p++ = '"';
			p = put_str(p, names[k]);
			*p++ = '"';
		}
		p = put_str(p, "],\"sentiment_score\":");
		p = put_fixed(p, a->score_milli, 3);
		p = put_str(p, ",\"confidence\":");
		p = put_fixed(p, a->conf_centi, 2);
		p = put_str(p, ",\"source\":\"");
		p = put_str(p, sources[a->src]);
		p = put_str(p, "\",\"headline\":\"");
		/* Templates and names hold no quote or backslash: no JSON escaping needed. */
		{
			const char *t;
			char head[256];
			if (a->score_milli > 150)
				t = pos_tmpl[a->tmpl % NELEM(pos_tmpl)];
			else if (a->score_milli < -150)
				t = neg_tmpl[a->tmpl % NELEM(neg_tmpl)];
			else
				t = neu_tmpl[a->tmpl % NELEM(neu_tmpl)];
			const char *s1 = strstr(t, "%s");
			const char *s2 = strstr(s1 + 2, "%s");
			size_t hl = 0;
			memcpy(head, t, (size_t)(s1 - t));
			hl = (size_t)(s1 - t);
			hl += (size_t)snprintf(head + hl, sizeof(head) - hl, "%s", base_name(names[0]));
			memcpy(head + hl, s1 + 2, (size_t)(s2 - s1 - 2));
			hl += (size_t)(s2 - s1 - 2);
			snprintf(head + hl, sizeof(head) - hl, "%s%s", reasons[a->reason], s2 + 2);
			p = put_str(p, head);
		}
		p = put_str(p, "\",\"model\":\"synthetic\"}\n");
		if (fwrite(line, 1, (size_t)(p - line), f) != (size_t)(p - line))
			goto out_write_error;
		*bytes += (uint64_t)(p - line);
	}
	return sb_atomic_commit(&out, err);

out_write_error:
	{
		int e = errno;

		sb_atomic_abort(&out);
		return sb_errf(err, SB_EIO, "%s: write failed: %s", out.tmp, strerror(e));
	}
}

/* ---- trades --------------------------------------------------------------------- */

struct trade {
	int64_t ts, local;
	int64_t price;             /* in ticks of 10^-price_dec */
	int64_t amount;            /* in lot steps of 10^-amt_dec */
	uint8_t buy;
};

struct tape {
	struct trade *t;
	size_t n, cap;
};

static enum sb_err tape_push(struct tape *tp, const struct trade *tr, struct sb_errbuf *err)
{
	if (tp->n == tp->cap) {
		size_t cap = tp->cap ? tp->cap * 2 : (size_t)1 << 16;
		struct trade *t = realloc(tp->t, cap * sizeof(*t));
		if (!t)
			return sb_errf(err, SB_ENOMEM, "out of memory for %zu trades", cap);
		tp->t = t;
		tp->cap = cap;
	}
	tp->t[tp->n++] = *tr;
	return SB_OK;
}

/* Share of a symbol's 30-minute volatility that one article with |v| = 1 moves its price. */
#define NEWS_IMPACT 0.3
/* Trade events per second before the cycle, volatility and burst factors. */
#define BASE_RATE   1.15

/*
 * Simulates the symbol with index 'si' over the whole span into 'tp' (ordered by
 * local_timestamp).  The news drift is applied first on a per-second grid.
 */
static enum sb_err simulate_symbol(const struct sb_sample_opts *o, size_t si,
				   const struct sym_model *m, const struct news *nw,
				   struct tape *tp, struct sb_errbuf *err)
{
	size_t n_sec = (size_t)o->days * SEC_PER_DAY;
	double *drift = calloc(n_sec + 1, sizeof(double));
	double *logp = malloc((n_sec + 1) * sizeof(double));
	double var_min = m->day_vol * m->day_vol / 1440.0;     /* per-minute variance */
	double k_news = NEWS_IMPACT * m->day_vol * sqrt(30.0 / 1440.0);
	const double ga = 0.06, gb = 0.92;
	double h = var_min, burst = 0.0, r_min = 0.0;
	double burst_decay = exp(-1.0 / 20.0);
	double tick_p0 = m->p0 * pow(10.0, m->price_dec);
	struct sb_rng r;
	enum sb_err rc = SB_OK;

	if (!drift || !logp) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory for %zu seconds of prices", n_sec);
		goto out_free;
	}
	stream_seed(&r, o->seed, 100 + si);

	/* News drift: k v spread over tau seconds, starting 'delay' after publication. */
	for (size_t i = 0; i < nw->n; i++) {
		const struct article *a = &nw->a[i];
		bool mine = false;
		for (int k = 0; k < a->nsym; k++)
			mine |= a->sym[k] == si;
		if (!mine)
			continue;
		/* Delay and length hashed from (article, symbol): no draw from the path's stream. */
		uint64_t x = o->seed ^ ((uint64_t)i << 8) ^ si;
		uint64_t hsh = sb_splitmix64(&x);
		int64_t delay = (int64_t)(hsh % 91);
		int64_t tau = 600 + (int64_t)((hsh >> 16) % 1201);
		int64_t s0 = (a->t_us - o->start_us) / SB_US_PER_SEC + delay;
		int64_t s1 = s0 + tau;
		double rate = k_news * a->v / (double)tau;
		if (s0 >= (int64_t)n_sec)
			continue;
		if (s1 > (int64_t)n_sec)
			s1 = (int64_t)n_sec;
		drift[s0] += rate;
		drift[s1] -= rate;
	}
	for (size_t s = 1; s <= n_sec; s++)
		drift[s] += drift[s - 1];

	logp[0] = 0.0;
	for (size_t s = 0; s < n_sec; s++) {
		int64_t sec_us = o->start_us + (int64_t)s * SB_US_PER_SEC;
		double sd = sqrt(h / 60.0);
		double z = sd * rng_normal(&r);
		double tod = (double)(s % SEC_PER_DAY) / SEC_PER_DAY;
		double season = 1.0 + 0.35 * cos(2.0 * M_PI * (tod - 15.0 / 24.0));
		double volf = pow(h / var_min, 0.6);
		double lambda;
		int64_t us[512];
		unsigned n_ev;

		logp[s + 1] = logp[s] + drift[s] + z;
		r_min += z;
		if (s % 60 == 59) {             /* GARCH(1,1) on the minute's diffusion return */
			h = (1.0 - ga - gb) * var_min + ga * r_min * r_min + gb * h;
			if (h > 25.0 * var_min)
				h = 25.0 * var_min;
			r_min = 0.0;
		}
		burst *= burst_decay;
		if (sb_rng_uniform(&r) < 1.0 / 600)
			burst += 2.0 + 10.0 * sb_rng_uniform(&r);
		lambda = BASE_RATE * season * volf * (1.0 + burst);
		if (lambda > 400.0)
			lambda = 400.0;
		n_ev = rng_poisson(&r, lambda);
		if (n_ev > 512)
			n_ev = 512;
		for (unsigned j = 0; j < n_ev; j++) {
			int64_t u = (int64_t)rng_below(&r, 1000000);
			unsigned k = j;
			while (k > 0 && us[k - 1] > u) {
				us[k] = us[k - 1];
				k--;
			}
			us[k] = u;
		}
		double step = logp[s + 1] - logp[s];
		double p_buy = 0.5 + 0.3 * tanh(step / (sd + 1e-300));
		for (unsigned j = 0; j < n_ev; j++) {
			struct trade tr;
			double lp = logp[s] + step * (double)us[j] * 1e-6;
			double mid = tick_p0 * exp(lp);
			int64_t t_true = sec_us + us[j];
			/* Latency: ~0.8 ms floor plus a log-normal part, median ~3 ms, cap 40 ms. */
			double lat = 800.0 + exp(7.6 + 0.7 * rng_normal(&r));
			unsigned fills = 1;

			if (lat > 40000.0)
				lat = 40000.0;
			tr.ts = t_true - t_true % 1000;       /* exchange time in whole ms */
			tr.local = t_true + (int64_t)lat;
			tr.buy = sb_rng_uniform(&r) < p_buy;
			tr.price = tr.buy ? (int64_t)ceil(mid) : (int64_t)floor(mid);
			if (tr.price < 1)
				tr.price = 1;
			if (sb_rng_uniform(&r) < 0.15)      /* a taker order sweeping levels */
				fills += 1 + (unsigned)rng_below(&r, 4);
			for (unsigned f = 0; f < fills; f++) {
				double a = m->amt_median * exp(1.1 * rng_normal(&r));
				double steps = a * pow(10.0, m->amt_dec);
				tr.amount = steps < 1.0 ? 1 : (int64_t)llround(steps);
				if ((rc = tape_push(tp, &tr, err)) != SB_OK)
					goto out_free;
				if (tr.buy)
					tr.price++;
				else if (tr.price > 1)
					tr.price--;
			}
		}
	}

	/* Order by local_timestamp: nearly sorted already, so a stable insertion sort. */
	for (size_t i = 1; i < tp->n; i++) {
		if (tp->t[i - 1].local <= tp->t[i].local)
			continue;
		struct trade t = tp->t[i];
		size_t j = i;
		while (j > 0 && tp->t[j - 1].local > t.local) {
			tp->t[j] = tp->t[j - 1];
			j--;
		}
		tp->t[j] = t;
	}
out_free:
	free(drift);
	free(logp);
	return rc;
}

static char *format_trade(char *p, const char *prefix, size_t prefix_len,
			  const struct trade *t, uint64_t id, int price_dec, int amt_dec)
{
	memcpy(p, prefix, prefix_len);                 /* "binance,BTCUSDT," */
	p += prefix_len;
	p = put_i64(p, t->ts);
	*p++ = ',';
	p = put_i64(p, t->local);
	*p++ = ',';
	p = put_u64(p, id);
	p = put_str(p, t->buy ? ",buy," : ",sell,");
	p = put_fixed_trim(p, (uint64_t)t->price, price_dec);
	*p++ = ',';
	p = put_fixed_trim(p, (uint64_t)t->amount, amt_dec);
	*p++ = '\n';
	return p;
}

/* Writes rows [lo, hi) of 'tp' as one daily file; 'first_id' is the id of row lo. */
static enum sb_err write_trades_file(const char *path, const char *exchange, const char *symbol,
				     const struct trade *rows, size_t n, uint64_t first_id,
				     int price_dec, int amt_dec, uint64_t *bytes,
				     struct sb_errbuf *err)
{
	char prefix[64];
	struct sb_atomic out;
	char *buf = malloc(WRITE_BUF + LINE_MAX_TRADE);
	char *p;
	struct sb_gz_writer *gz;
	size_t prefix_len;
	struct stat stt;
	enum sb_err rc;

	if (!buf)
		return sb_errf(err, SB_ENOMEM, "%s: out of memory", path);
	prefix_len = (size_t)snprintf(prefix, sizeof(prefix), "%s,%s,", exchange, symbol);
	if ((rc = sb_atomic_open_path(&out, path, err))) {
		free(buf);
		return rc;
	}
	gz = sb_gz_writer_open(out.tmp, 6, err);
	if (!gz) {
		sb_atomic_abort(&out);
		free(buf);
		return SB_EIO;
	}
	p = put_str(buf, "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
	for (size_t i = 0; i < n; i++) {
		p = format_trade(p, prefix, prefix_len, &rows[i], first_id + i, price_dec,
				 amt_dec);
		if ((size_t)(p - buf) >= WRITE_BUF) {
			if ((rc = sb_gz_write(gz, buf, (size_t)(p - buf), err)))
				goto out_gz_error;
			p = buf;
		}
	}
	if (p > buf && (rc = sb_gz_write(gz, buf, (size_t)(p - buf), err)))
		goto out_gz_error;
	free(buf);
	rc = sb_gz_writer_close(gz, err);
	if (!rc)
		rc = sb_atomic_commit(&out, err);
	else
		sb_atomic_abort(&out);
	if (rc)
		return rc;
	if (stat(path, &stt) == 0)
		*bytes += (uint64_t)stt.st_size;
	return SB_OK;

out_gz_error:
	sb_gz_writer_close(gz, NULL);
	free(buf);
	sb_atomic_abort(&out);
	return rc;
}

/* One day's file of a symbol; days are independent, so they are written in parallel. */
struct day_job {
	const struct sb_sample_opts *o;
	const char *symbol;
	const struct sym_model *m;
	const struct tape *tp;
	const size_t *lo;
	uint64_t first_id;
	enum sb_err *rcs;
	struct sb_errbuf *errs;
	uint64_t *nbytes;
};

static void write_day(void *ctx, size_t d)
{
	const struct day_job *j = ctx;
	char path[4096];
	int64_t day_us = j->o->start_us + (int64_t)d * SB_US_PER_DAY;

	if (!sb_sample_trades_path(path, sizeof(path), j->o->out_dir, j->o->exchange, day_us,
				   j->symbol)) {
		j->rcs[d] = sb_errf(&j->errs[d], SB_EINVAL, "%s: path too long", j->o->out_dir);
		return;
	}
	j->rcs[d] = write_trades_file(path, j->o->exchange, j->symbol, j->tp->t + j->lo[d],
				      j->lo[d + 1] - j->lo[d], j->first_id + j->lo[d],
				      j->m->price_dec, j->m->amt_dec, &j->nbytes[d], &j->errs[d]);
}

static enum sb_err write_symbol_days(const struct sb_sample_opts *o, size_t si,
				     const struct sym_model *m, const struct tape *tp,
				     struct sb_sample_stats *st, struct sb_errbuf *err)
{
	size_t *lo = malloc(((size_t)o->days + 1) * sizeof(size_t));
	enum sb_err rc = SB_OK;
	uint64_t first_id, bytes = 0;
	struct sb_rng r;

	if (!lo)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	/* Day boundaries by local_timestamp; rows after the last day are dropped. */
	{
		size_t i = 0;
		for (int d = 0; d <= o->days; d++) {
			int64_t t = o->start_us + (int64_t)d * SB_US_PER_DAY;
			while (i < tp->n && tp->t[i].local < t)
				i++;
			lo[d] = i;
		}
	}
	stream_seed(&r, o->seed, 200 + si);
	first_id = 3000000000u + rng_below(&r, 500000000u);

	/* Files are independent: write them in parallel; each one's bytes are fixed. */
	enum sb_err *rcs = calloc((size_t)o->days, sizeof(*rcs));
	struct sb_errbuf *errs = calloc((size_t)o->days, sizeof(*errs));
	uint64_t *nbytes = calloc((size_t)o->days, sizeof(*nbytes));
	if (!rcs || !errs || !nbytes) {
		rc = sb_errf(err, SB_ENOMEM, "out of memory");
		goto out_free;
	}
	{
		struct day_job job = { o, o->symbols[si], m, tp, lo, first_id, rcs, errs, nbytes };

		sb_thread_for((size_t)o->days, write_day, &job);
	}
	for (int d = 0; d < o->days; d++) {
		if (rcs[d] != SB_OK && rc == SB_OK) {
			rc = rcs[d];
			if (err)
				*err = errs[d];
		}
		bytes += nbytes[d];
	}
	if (rc == SB_OK && st) {
		st->trade_files += (size_t)o->days;
		st->trades += lo[o->days];
		st->bytes += bytes;
	}
out_free:
	free(rcs);
	free(errs);
	free(nbytes);
	free(lo);
	return rc;
}

/* ---- the whole sample ----------------------------------------------------------- */

enum sb_err sb_sample_generate(const struct sb_sample_opts *o, struct sb_sample_stats *st,
			       struct sb_errbuf *err)
{
	char bases[SB_SAMPLE_MAX_SYMBOLS][SB_SAMPLE_SYMBOL_MAX];
	struct news nw = { NULL, 0, 0 };
	struct sb_sample_stats local = { 0, 0, 0, 0 };
	enum sb_err rc;
	uint64_t news_bytes = 0;

	if (o->days < 1 || o->days > SB_SAMPLE_MAX_DAYS)
		return sb_errf(err, SB_EINVAL, "days: expected 1-%d, got %d", SB_SAMPLE_MAX_DAYS,
			       o->days);
	if (o->n_symbols < 1 || o->n_symbols > SB_SAMPLE_MAX_SYMBOLS)
		return sb_errf(err, SB_EINVAL, "symbols: expected 1-%d", SB_SAMPLE_MAX_SYMBOLS);
	if (!(o->articles_per_day >= 0.0 && o->articles_per_day <= SB_SAMPLE_MAX_ARTICLES_PER_DAY))
		return sb_errf(err, SB_EINVAL, "articles per day: expected 0-%d",
			       SB_SAMPLE_MAX_ARTICLES_PER_DAY);
	if (o->start_us % SB_US_PER_DAY != 0 ||
	    o->start_us < sb_days_from_civil(1970, 1, 1) * SB_US_PER_DAY ||
	    o->start_us > sb_days_from_civil(9000, 1, 1) * SB_US_PER_DAY)
		return sb_errf(err, SB_EINVAL, "start: expected midnight UTC of a day in 1970-9000");
	if (!o->exchange || !*o->exchange || strlen(o->exchange) > 30 ||
	    strpbrk(o->exchange, ",/\"\n"))
		return sb_errf(err, SB_EINVAL, "exchange: expected a plain name of 1-30 characters");
	for (size_t i = 0; i < o->n_symbols; i++)
		symbol_base(o->symbols[i], bases[i], sizeof(bases[i]));
	if ((rc = make_dirs(o->out_dir, err)) != SB_OK)
		return rc;

	if ((rc = make_news(o, bases, &nw, err)) != SB_OK)
		goto out_free;
	for (size_t si = 0; si < o->n_symbols; si++) {
		const struct sym_model *m = sym_lookup(bases[si]);
		struct tape tp = { NULL, 0, 0 };

		if (!m)
			m = &default_sym;
		rc = simulate_symbol(o, si, m, &nw, &tp, err);
		if (rc == SB_OK)
			rc = write_symbol_days(o, si, m, &tp, &local, err);
		free(tp.t);
		if (rc != SB_OK)
			goto out_free;
	}
	if ((rc = write_news(o, bases, &nw, &news_bytes, err)) != SB_OK)
		goto out_free;
	local.articles = nw.n;
	local.bytes += news_bytes;
	if (st)
		*st = local;
out_free:
	free(nw.a);
	return rc;
}
