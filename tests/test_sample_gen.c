/*
 * test_sample_gen.c - the SYNTHETIC sample generator: PRNG vectors, byte-identical
 * output per seed, Tardis format of the trades files, news counts and fields, and the
 * planted weak link between scores and the following 30-minute returns (measured here
 * from the written files only, not from the generator's state).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../loaders/sample_gen.h"
#include "../loaders/textio.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#define DAY SB_US_PER_DAY
/* 2024-03-01T00:00:00Z = 19783 days after the epoch (worked out: 54 years, 13 leap days
 * 1972..2020, 31+29 days of Jan and Feb 2024): 19783 * 86400 = 1709251200 s. */
#define MAR1_US (INT64_C(1709251200) * SB_US_PER_SEC)

static void make_tmpdir(char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/sentibt-sample-XXXXXX");
	assert_non_null(mkdtemp(buf));
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4200];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		remove(path);
	}
	closedir(d);
	rmdir(dir);
}

static void generate(const char *dir, uint64_t seed, int days, double apd)
{
	struct sb_sample_opts o;
	struct sb_sample_stats st;
	struct sb_errbuf err = { "" };

	sb_sample_opts_init(&o);
	o.out_dir = dir;
	o.seed = seed;
	o.days = days;
	o.articles_per_day = apd;
	if (sb_sample_generate(&o, &st, &err) != SB_OK)
		fail_msg("generate: %s", err.msg);
	assert_int_equal(st.trade_files, 2 * (size_t)days);
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long len;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

static bool same_file(const char *a, const char *b)
{
	size_t na, nb;
	unsigned char *ba = slurp(a, &na), *bb = slurp(b, &nb);
	bool same = na == nb && memcmp(ba, bb, na) == 0;

	free(ba);
	free(bb);
	return same;
}

static const char *const names_1day[] = {
	"binance_trades_2024-03-01_BTCUSDT.csv.gz",
	"binance_trades_2024-03-01_ETHUSDT.csv.gz",
	"news.jsonl",
};

/* ---- PRNG ----------------------------------------------------------------------- */

static void test_splitmix64_vectors(void **state)
{
	/* Published splitmix64 outputs for seed 1234567 (e.g. Rosetta Code's task). */
	uint64_t x = 1234567;

	(void)state;
	assert_true(sb_splitmix64(&x) == UINT64_C(6457827717110365317));
	assert_true(sb_splitmix64(&x) == UINT64_C(3203168211198807973));
	assert_true(sb_splitmix64(&x) == UINT64_C(9817491932198370423));
}

static void test_xoshiro_vectors(void **state)
{
	/* State {1,2,3,4}: out = rotl(s1*5, 7)*9 = rotl(10, 7)*9 = 1280*9 = 11520; the
	 * update then makes s1 = 2 ^ (3 ^ 1) = 0, so the second output is 0.  The next two
	 * are the reference implementation's published values. */
	struct sb_rng r = { { 1, 2, 3, 4 } };
	struct sb_rng a, b, c;

	(void)state;
	assert_true(sb_rng_next(&r) == 11520);
	assert_true(sb_rng_next(&r) == 0);
	assert_true(sb_rng_next(&r) == UINT64_C(1509978240));
	assert_true(sb_rng_next(&r) == UINT64_C(1215971899390074240));

	sb_rng_seed(&a, 42);
	sb_rng_seed(&b, 42);
	sb_rng_seed(&c, 43);
	int differ = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t va = sb_rng_next(&a), vb = sb_rng_next(&b), vc = sb_rng_next(&c);
		double u;
		assert_true(va == vb);
		differ += va != vc;
		u = sb_rng_uniform(&a);
		(void)sb_rng_uniform(&b);
		(void)sb_rng_uniform(&c);
		assert_true(u >= 0.0 && u < 1.0);
	}
	assert_true(differ > 990);
}

/* ---- options -------------------------------------------------------------------- */

static void test_symbols_option(void **state)
{
	struct sb_sample_opts o;
	struct sb_errbuf err;

	(void)state;
	sb_sample_opts_init(&o);
	assert_int_equal(o.n_symbols, 2);
	assert_string_equal(o.symbols[0], "BTCUSDT");
	assert_string_equal(o.symbols[1], "ETHUSDT");
	assert_int_equal(o.days, 7);
	assert_true(o.seed == 42);
	assert_true(o.start_us == MAR1_US);

	assert_int_equal(sb_sample_set_symbols(&o, "SOLUSDT,BTCUSDT,ETHUSDT", &err), SB_OK);
	assert_int_equal(o.n_symbols, 3);
	assert_string_equal(o.symbols[0], "SOLUSDT");
	assert_string_equal(o.symbols[2], "ETHUSDT");

	assert_int_equal(sb_sample_set_symbols(&o, "btcusdt", &err), SB_EINVAL);
	assert_non_null(strstr(err.msg, "btcusdt"));
	assert_int_equal(sb_sample_set_symbols(&o, "BTCUSDT,,ETHUSDT", &err), SB_EINVAL);
	assert_int_equal(sb_sample_set_symbols(&o, "BTCUSDT,BTCUSDT", &err), SB_EINVAL);
	assert_non_null(strstr(err.msg, "twice"));
	assert_int_equal(sb_sample_set_symbols(&o, "", &err), SB_EINVAL);
	assert_int_equal(sb_sample_set_symbols(&o, "A,B1,C2,D3,E4,F5,G6,H7,I8", &err), SB_EINVAL);
	/* unchanged after the errors */
	assert_int_equal(o.n_symbols, 3);
	assert_string_equal(o.symbols[0], "SOLUSDT");
}

static void test_trades_path(void **state)
{
	char buf[256];

	(void)state;
	assert_true(sb_sample_trades_path(buf, sizeof(buf), "out", "binance",
					  MAR1_US + 6 * DAY, "ETHUSDT"));
	assert_string_equal(buf, "out/binance_trades_2024-03-07_ETHUSDT.csv.gz");
	/* 2024 is a leap year: 29 days after 2024-02-01 is 2024-03-01. */
	assert_true(sb_sample_trades_path(buf, sizeof(buf), "d", "binance", MAR1_US - DAY, "X1"));
	assert_string_equal(buf, "d/binance_trades_2024-02-29_X1.csv.gz");
	assert_false(sb_sample_trades_path(buf, 10, "out", "binance", MAR1_US, "BTCUSDT"));
}

static void test_bad_options(void **state)
{
	struct sb_sample_opts o;
	struct sb_errbuf err;
	char dir[64], path[128];
	FILE *f;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	sb_sample_opts_init(&o);
	o.out_dir = dir;
	o.days = 0;
	assert_int_equal(sb_sample_generate(&o, NULL, &err), SB_EINVAL);
	o.days = 1;
	o.start_us = MAR1_US + 1;
	assert_int_equal(sb_sample_generate(&o, NULL, &err), SB_EINVAL);
	o.start_us = MAR1_US;
	o.articles_per_day = -1;
	assert_int_equal(sb_sample_generate(&o, NULL, &err), SB_EINVAL);

	/* The output "folder" is a file: an I/O error naming it, and nothing written. */
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	o.articles_per_day = 10;
	o.out_dir = path;
	assert_int_equal(sb_sample_generate(&o, NULL, &err), SB_EIO);
	assert_non_null(strstr(err.msg, path));
	remove_tree(dir);
}

/* ---- determinism ---------------------------------------------------------------- */

static void test_same_seed_same_bytes(void **state)
{
	char d1[64], d2[64], d3[64], a[200], b[200];

	(void)state;
	make_tmpdir(d1, sizeof(d1));
	make_tmpdir(d2, sizeof(d2));
	make_tmpdir(d3, sizeof(d3));
	generate(d1, 7, 1, 400);
	generate(d2, 7, 1, 400);
	generate(d3, 8, 1, 400);
	for (size_t i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "%s/%s", d1, names_1day[i]);
		snprintf(b, sizeof(b), "%s/%s", d2, names_1day[i]);
		assert_true(same_file(a, b));
		snprintf(b, sizeof(b), "%s/%s", d3, names_1day[i]);
		assert_false(same_file(a, b));
		/* no temporary left behind */
		snprintf(b, sizeof(b), "%s/%s.tmp", d1, names_1day[i]);
		assert_int_equal(access(b, F_OK), -1);
	}
	/* The gzip header's mtime (bytes 4-7) is zero, so the bytes cannot depend on the clock. */
	{
		size_t n;
		unsigned char *g;
		snprintf(a, sizeof(a), "%s/%s", d1, names_1day[0]);
		g = slurp(a, &n);
		assert_true(n > 10 && g[0] == 0x1f && g[1] == 0x8b && g[2] == 8);
		assert_true(g[4] == 0 && g[5] == 0 && g[6] == 0 && g[7] == 0);
		free(g);
	}
	remove_tree(d1);
	remove_tree(d2);
	remove_tree(d3);
}

/* ---- trades files --------------------------------------------------------------- */

struct series {
	int64_t *t;            /* local_timestamp */
	double  *p;
	size_t   n, cap;
};

static void series_push(struct series *s, int64_t t, double p)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1 << 16;
		s->t = realloc(s->t, s->cap * sizeof(*s->t));
		s->p = realloc(s->p, s->cap * sizeof(*s->p));
		assert_non_null(s->t);
		assert_non_null(s->p);
	}
	s->t[s->n] = t;
	s->p[s->n++] = p;
}

/* Number of decimals of a plain decimal number, or -1 when it is not one. */
static int decimals(const char *s)
{
	const char *dot = strchr(s, '.');

	for (const char *c = s; *c; c++)
		if (!(*c >= '0' && *c <= '9') && c != dot)
			return -1;
	return dot ? (int)strlen(dot + 1) : 0;
}

/*
 * Reads one daily trades file and checks it against the Tardis layout; appends its rows
 * to 's'.  Returns the number of rows; '*back' counts rows whose timestamp is below the
 * previous row's.  '*last_id' carries the id across the days (0: none yet).
 */
static size_t check_trades_file(const char *path, const char *symbol, int64_t day_us,
				double p_lo, double p_hi, struct series *s, size_t *back,
				int64_t *last_id)
{
	struct sb_lines l;
	struct sb_errbuf err;
	char *f[10];
	int64_t prev_local = day_us, prev_ts = INT64_MIN, v;
	size_t rows = 0;
	int rc;

	if (sb_lines_open(&l, path, &err) != SB_OK)
		fail_msg("%s", err.msg);
	assert_true(l.is_gzip);
	assert_int_equal(sb_lines_next(&l, &err), 1);
	assert_string_equal(l.buf, "exchange,symbol,timestamp,local_timestamp,id,side,price,amount");
	while ((rc = sb_lines_next(&l, &err)) == 1) {
		int64_t ts, local;
		double price, amount;

		if (sb_csv_split(l.buf, ',', f, 10) != 8)
			fail_msg("%s:%llu: expected 8 fields", path, (unsigned long long)l.lineno);
		assert_string_equal(f[0], "binance");
		assert_string_equal(f[1], symbol);
		assert_true(sb_parse_int64(f[2], &ts));
		assert_true(sb_parse_int64(f[3], &local));
		assert_true(ts % 1000 == 0);                    /* exchange ms */
		/* latency: positive, a few ms, never above the 40 ms cap + 1 ms rounding */
		assert_true(local > ts && local - ts <= 41000);
		assert_true(local >= prev_local);                /* ordered by local_timestamp */
		assert_true(local >= day_us && local < day_us + DAY);   /* split by local time */
		if (ts < prev_ts)
			(*back)++;
		prev_ts = ts;
		prev_local = local;
		assert_true(sb_parse_int64(f[4], &v));
		if (*last_id)
			assert_true(v == *last_id + 1);
		*last_id = v;
		assert_true(!strcmp(f[5], "buy") || !strcmp(f[5], "sell"));
		assert_true(sb_parse_double(f[6], &price));
		assert_true(decimals(f[6]) >= 0 && decimals(f[6]) <= 2);
		assert_true(price > p_lo && price < p_hi);
		assert_true(sb_parse_double(f[7], &amount));
		assert_true(decimals(f[7]) >= 0 && decimals(f[7]) <= 5);
		assert_true(amount > 0.0);
		series_push(s, local, price);
		rows++;
	}
	if (rc < 0)
		fail_msg("%s", err.msg);
	sb_lines_close(&l);
	return rows;
}

static void load_symbol(const char *dir, const char *symbol, int days, double p0,
			struct series *s, size_t *back)
{
	char path[256];
	int64_t last_id = 0;

	for (int d = 0; d < days; d++) {
		size_t rows;
		double rate;

		assert_true(sb_sample_trades_path(path, sizeof(path), dir, "binance",
						  MAR1_US + d * DAY, symbol));
		/* A price beyond +-40% of the start in a week would be absurd for the model. */
		rows = check_trades_file(path, symbol, MAR1_US + d * DAY, 0.6 * p0, 1.4 * p0, s,
					 back, &last_id);
		rate = (double)rows / 86400.0;
		if (rate < 1.0 || rate > 3.0)
			fail_msg("%s: %.3f trades/s, expected 1-3", path, rate);
	}
}

static void test_trades_are_tardis(void **state)
{
	char dir[64];
	struct series btc = { 0 }, eth = { 0 };
	size_t back_btc = 0, back_eth = 0;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	generate(dir, 42, 2, 1500);
	load_symbol(dir, "BTCUSDT", 2, 62000.0, &btc, &back_btc);
	load_symbol(dir, "ETHUSDT", 2, 3400.0, &eth, &back_eth);
	/* exchange time goes backwards now and then (latency jitter), but rarely */
	assert_true(back_btc > 0 && back_btc < btc.n / 100);
	assert_true(back_eth > 0 && back_eth < eth.n / 100);
	/* the first trade is near the stated start price */
	assert_true(fabs(btc.p[0] / 62000.0 - 1.0) < 0.01);
	assert_true(fabs(eth.p[0] / 3400.0 - 1.0) < 0.01);
	free(btc.t); free(btc.p); free(eth.t); free(eth.p);
	remove_tree(dir);
}

/* ---- news ----------------------------------------------------------------------- */

struct art {
	int64_t t;
	double score, conf;
	int btc, eth;
};

static size_t load_news(const char *dir, int days, struct art **out)
{
	char path[256];
	struct sb_lines l;
	struct sb_errbuf err;
	struct art *a = NULL;
	size_t n = 0, cap = 0, out_of_order = 0;
	int64_t prev = INT64_MIN;
	cJSON *ids = cJSON_CreateObject();
	int rc;

	snprintf(path, sizeof(path), "%s/news.jsonl", dir);
	if (sb_lines_open(&l, path, &err) != SB_OK)
		fail_msg("%s", err.msg);
	while ((rc = sb_lines_next(&l, &err)) == 1) {
		cJSON *j = cJSON_Parse(l.buf), *x;
		struct art r = { 0, 0, 0, 0, 0 };
		const char *pub;

		if (!j)
			fail_msg("%s:%llu: expected JSON", path, (unsigned long long)l.lineno);
		x = cJSON_GetObjectItemCaseSensitive(j, "id");
		assert_true(cJSON_IsString(x));
		assert_null(cJSON_GetObjectItemCaseSensitive(ids, x->valuestring));   /* unique */
		cJSON_AddItemToObject(ids, x->valuestring, cJSON_CreateTrue());
		x = cJSON_GetObjectItemCaseSensitive(j, "published_at");
		assert_true(cJSON_IsString(x));
		pub = x->valuestring;
		assert_int_equal(strlen(pub), 20);
		assert_int_equal(pub[19], 'Z');
		assert_true(sb_parse_time(pub, &r.t));
		assert_true(r.t >= MAR1_US && r.t < MAR1_US + days * DAY);
		if (r.t < prev)
			out_of_order++;
		prev = r.t;
		x = cJSON_GetObjectItemCaseSensitive(j, "sentiment_score");
		assert_true(cJSON_IsNumber(x));
		r.score = x->valuedouble;
		assert_true(r.score >= -1.0 && r.score <= 1.0);
		x = cJSON_GetObjectItemCaseSensitive(j, "confidence");
		assert_true(cJSON_IsNumber(x));
		r.conf = x->valuedouble;
		assert_true(r.conf >= 0.0 && r.conf <= 1.0);
		x = cJSON_GetObjectItemCaseSensitive(j, "symbols");
		assert_true(cJSON_IsArray(x));
		assert_true(cJSON_GetArraySize(x) >= 1);
		for (cJSON *s = x->child; s; s = s->next) {
			assert_true(cJSON_IsString(s));
			r.btc |= !strcmp(s->valuestring, "BTC");
			r.eth |= !strcmp(s->valuestring, "ETH");
		}
		x = cJSON_GetObjectItemCaseSensitive(j, "source");
		assert_true(cJSON_IsString(x) && x->valuestring[0]);
		x = cJSON_GetObjectItemCaseSensitive(j, "headline");
		assert_true(cJSON_IsString(x) && x->valuestring[0]);
		cJSON_Delete(j);
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			a = realloc(a, cap * sizeof(*a));
			assert_non_null(a);
		}
		a[n++] = r;
	}
	if (rc < 0)
		fail_msg("%s", err.msg);
	sb_lines_close(&l);
	cJSON_Delete(ids);
	/* "mostly" sorted: a few swapped neighbours at most */
	assert_true(out_of_order <= n / 50);
	*out = a;
	return n;
}

static void test_news_counts_and_fields(void **state)
{
	char dir[64];
	struct art *a;
	size_t n, pos = 0, neg = 0, btc = 0, eth = 0, both = 0, other = 0;
	size_t per_day[2] = { 0, 0 };

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	generate(dir, 42, 2, 1500);
	n = load_news(dir, 2, &a);
	for (size_t i = 0; i < n; i++) {
		per_day[(a[i].t - MAR1_US) / DAY]++;
		pos += a[i].score > 0;
		neg += a[i].score < 0;
		btc += a[i].btc;
		eth += a[i].eth;
		both += a[i].btc && a[i].eth;
		other += !a[i].btc && !a[i].eth;
	}
	for (int d = 0; d < 2; d++)
		if (per_day[d] < 1275 || per_day[d] > 1725)
			fail_msg("day %d: %zu articles, expected 1500 +- 15%%", d, per_day[d]);
	/* about as many long as short signals */
	assert_true(pos > 0.9 * neg && pos < 1.1 * neg);
	/* BTC and ETH both covered, some both at once, some about other coins only */
	assert_true(btc > eth && eth > n / 5);
	assert_true(both > 0 && other > 0);
	free(a);
	remove_tree(dir);

	/* another rate */
	make_tmpdir(dir, sizeof(dir));
	generate(dir, 3, 1, 200);
	n = load_news(dir, 1, &a);
	if (n < 170 || n > 230)
		fail_msg("%zu articles, expected 200 +- 15%%", n);
	free(a);
	remove_tree(dir);
}

/* ---- the planted link ----------------------------------------------------------- */

/* Price of the last trade at or before t, or NAN. */
static double price_at(const struct series *s, int64_t t)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {                /* first index with s->t > t */
		size_t mid = lo + (hi - lo) / 2;
		if (s->t[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? NAN : s->p[lo - 1];
}

struct corr {
	double n, sx, sy, sxx, syy, sxy;
};

static void corr_add(struct corr *c, double x, double y)
{
	c->n += 1;
	c->sx += x;
	c->sy += y;
	c->sxx += x * x;
	c->syy += y * y;
	c->sxy += x * y;
}

static double corr_value(const struct corr *c)
{
	double cov = c->sxy - c->sx * c->sy / c->n;
	double vx = c->sxx - c->sx * c->sx / c->n;
	double vy = c->syy - c->sy * c->sy / c->n;
	return cov / sqrt(vx * vy);
}

static void test_planted_link(void **state)
{
	enum { DAYS = 4 };
	const int64_t h = 30 * 60 * SB_US_PER_SEC;
	char dir[64];
	struct series btc = { 0 }, eth = { 0 };
	size_t back = 0, n;
	struct art *a;
	struct corr all = { 0 }, lo = { 0 }, hi = { 0 }, fut = { 0 };

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	generate(dir, 42, DAYS, 1500);
	load_symbol(dir, "BTCUSDT", DAYS, 62000.0, &btc, &back);
	load_symbol(dir, "ETHUSDT", DAYS, 3400.0, &eth, &back);
	n = load_news(dir, DAYS, &a);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			const struct series *s = k ? &eth : &btc;
			double p0, p1, p_1, r, r_past;

			if (!(k ? a[i].eth : a[i].btc))
				continue;
			if (a[i].t + h > MAR1_US + DAYS * DAY || a[i].t - h < MAR1_US)
				continue;
			p_1 = price_at(s, a[i].t - h);
			p0 = price_at(s, a[i].t);
			p1 = price_at(s, a[i].t + h);
			if (isnan(p_1) || isnan(p0) || isnan(p1))
				continue;
			r = log(p1 / p0);
			r_past = log(p0 / p_1);
			corr_add(&all, a[i].score, r);
			corr_add(&fut, a[i].score, r_past);
			if (a[i].conf >= 0.7)
				corr_add(&hi, a[i].score, r);
			else if (a[i].conf < 0.5)
				corr_add(&lo, a[i].score, r);
		}
	}
	double c_all = corr_value(&all), c_hi = corr_value(&hi), c_lo = corr_value(&lo);
	double c_past = corr_value(&fut);
	print_message("planted link: corr(score, next 30 min) = %.3f (n %.0f); conf >= 0.7: %.3f "
		      "(n %.0f); conf < 0.5: %.3f (n %.0f); previous 30 min: %.3f\n", c_all,
		      all.n, c_hi, hi.n, c_lo, lo.n, c_past);
	assert_true(all.n > 3000);
	/* positive but weak */
	assert_true(c_all > 0.02 && c_all < 0.3);
	/* stronger for confident articles */
	assert_true(c_hi > c_lo);
	/* the link points forward: nothing planted in the past returns */
	assert_true(fabs(c_past) < 0.06);
	free(a);
	free(btc.t); free(btc.p); free(eth.t); free(eth.p);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitmix64_vectors),
		cmocka_unit_test(test_xoshiro_vectors),
		cmocka_unit_test(test_symbols_option),
		cmocka_unit_test(test_trades_path),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_trades_are_tardis),
		cmocka_unit_test(test_news_counts_and_fields),
		cmocka_unit_test(test_planted_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
