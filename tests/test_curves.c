/* test_curves.c - the curves of a sweep's top combinations: equity.csv written with the
 * shared columns, the drawdown taken from the equity and the fast times give the same
 * bytes as the plain way; recorded runs on reused buffers equal fresh ones; per-candle
 * sums moved from one min-confidence to another, or read from a shared index, equal
 * fresh ones and the articles summed directly */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../engine/backtest.h"
#include "../engine/results.h"
#include "../core/digest.h"

#define SEC SB_US_PER_SEC

/* n candles from t0 every 'step', a random walk of closes (seeded) */
static void make_candles(struct sb_candles *c, size_t n, int64_t t0, int64_t step,
			 unsigned seed)
{
	struct sb_errbuf err;
	double p = 20000.0;

	sb_candles_init(c);
	assert_int_equal(sb_candles_alloc(c, n, &err), SB_OK);
	c->t0_us = t0;
	c->interval_us = step;
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		c->open[i] = p;
		p *= 1.0 + ((double)rand() / RAND_MAX - 0.5) * 0.004;
		p = round(p * 100.0) / 100.0;
		c->close[i] = p;
		c->high[i] = fmax(c->open[i], p);
		c->low[i] = fmin(c->open[i], p);
		c->volume[i] = 1.0;
	}
}

/* Articles every 'every' seconds from t0 with pseudo-random scores and confidences. */
static void make_events(struct sb_events *ev, size_t n, int64_t t0, int64_t every)
{
	ev->n = n;
	ev->t_us = malloc(n * sizeof(*ev->t_us));
	ev->score_e9 = malloc(n * sizeof(*ev->score_e9));
	ev->conf_e9 = malloc(n * sizeof(*ev->conf_e9));
	assert_non_null(ev->t_us);
	assert_non_null(ev->score_e9);
	assert_non_null(ev->conf_e9);
	for (size_t i = 0; i < n; i++) {
		ev->t_us[i] = t0 + (int64_t)i * every * SEC + 7 * SEC;
		ev->score_e9[i] = (int32_t)((rand() % 2001 - 1000) * 1000000);
		ev->conf_e9[i] = (int32_t)((500 + rand() % 500) * 1000000);
	}
}

static void free_events(struct sb_events *ev)
{
	free(ev->t_us);
	free(ev->score_e9);
	free(ev->conf_e9);
}

/* The file at 'path' holds exactly the 'len' bytes of 'want' (sizes and SHA-256s). */
static void file_is(const char *path, const char *want, size_t len)
{
	char hw[SB_SHA256_HEX], hf[SB_SHA256_HEX];
	struct sb_sha256 h;
	struct sb_errbuf err;
	uint64_t size = 0;

	assert_int_equal(sb_sha256_begin(&h, &err), SB_OK);
	sb_sha256_update(&h, want, len);
	sb_sha256_end(&h, hw);
	assert_int_equal(sb_sha256_file(path, hf, &size, &err), SB_OK);
	assert_int_equal(size, len);
	assert_string_equal(hf, hw);
}

/* equity.csv the plain way: every cell formatted on its own, the recorded drawdown. */
static char *reference_csv(const struct sb_candles *c, const struct sb_recorder *rec,
			   const double *dd, size_t *len)
{
	size_t cap = 64 + c->n * (SB_TIME_LEN + 6 * SB_NUM_LEN), at = 0;
	char *out = malloc(cap), t[SB_TIME_LEN], v[5][SB_NUM_LEN];

	assert_non_null(out);
	at += (size_t)sprintf(out, "time,close,position,equity,drawdown,buy_hold\n");
	for (size_t i = 0; i < c->n; i++) {
		sb_format_time(c->t0_us + (int64_t)(i + 1) * c->interval_us, t);
		sb_fmt_fixed(c->close[i], 8, v[0]);
		sb_fmt_fixed(rec->position[i], 8, v[1]);
		sb_fmt_fixed(rec->equity[i], 4, v[2]);
		sb_fmt_fixed(dd[i], 8, v[3]);
		sb_fmt_fixed(sb_buy_hold_equity(c->open[0], c->close[i]), 4, v[4]);
		at += (size_t)sprintf(out + at, "%s,%s,%s,%s,%s,%s\n", t, v[0], v[1], v[2], v[3],
				      v[4]);
	}
	*len = at;
	return out;
}

static void a_combo(struct sb_combo *k, int64_t h_e9, int64_t conf_e9, int64_t window_us)
{
	memset(k, 0, sizeof(*k));
	k->threshold = h_e9;
	k->min_confidence = conf_e9;
	k->exit_band = 100000000;
	k->fee_bps = 5 * SB_DEC_SCALE;
	k->window_us = window_us;
	k->strategy = sb_strategies[0];
}

/*
 * Candles that cross midnight (and, at 1.5 s, that are not whole seconds), before and
 * after 1970: the file written with and without the shared columns, from a recorder
 * without drawdown, equals the plain formatting of the recorded drawdown.
 */
static void check_equity_csv(int64_t t0, int64_t step, size_t n)
{
	struct sb_candles c;
	struct sb_events ev;
	struct sb_combo combo;
	struct sb_recorder rec;
	struct sb_metrics m;
	struct sb_errbuf err;
	struct sb_curve_cols cols;
	char path[] = "/tmp/test_curves_XXXXXX";
	double *dd;
	size_t want_len;
	char *want;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	make_candles(&c, n, t0, step, (unsigned)n);
	make_events(&ev, n / 2, t0, step * 2 / SEC > 0 ? step * 2 / SEC : 1);
	a_combo(&combo, 200000000, 600000000, step * 3);
	assert_int_equal(sb_backtest_recorded(&c, &ev, &combo, &rec, &m, &err), SB_OK);
	assert_null(rec.drawdown);
	assert_true(m.trades > 0);
	/* the drawdown as sb_sim_bars() records it */
	dd = malloc(n * sizeof(*dd));
	assert_non_null(dd);
	{
		struct sb_accum a;
		struct sb_recorder r2 = { 0 };
		struct sb_signal_params sp;
		struct sb_trade_params tp;
		double *signal = malloc(n * sizeof(*signal));
		const struct sb_bars b = { c.open, c.high, c.low, c.close };

		assert_non_null(signal);
		sb_combo_signal_params(&combo, &sp);
		sb_combo_trade_params(&combo, &tp);
		assert_int_equal(sb_mean_signal(&c, &ev, &sp, signal, NULL, NULL, &err), SB_OK);
		r2.drawdown = dd;
		sb_accum_init(&a);
		sb_sim_bars(n, &b, signal, &tp, &a, &r2);
		free(r2.trades);
		free(signal);
	}
	want = reference_csv(&c, &rec, dd, &want_len);
	/* without the shared columns */
	assert_int_equal(sb_write_equity_csv(path, &c, &rec, &err), SB_OK);
	file_is(path, want, want_len);
	/* with them, filled in 3 parts */
	assert_true(sb_curve_cols_init(&cols, &c, 3));
	for (size_t p = 0; p < 3; p++)
		sb_curve_cols_fill(&cols, p);
	assert_int_equal(sb_write_equity_csv_cols(path, &c, &rec, &cols, &err), SB_OK);
	file_is(path, want, want_len);
	sb_curve_cols_release(&cols);
	free(want);
	free(dd);
	sb_recorder_release(&rec);
	free_events(&ev);
	sb_candles_release(&c);
	unlink(path);
}

static void test_equity_csv_minutes_across_days(void **state)
{
	(void)state;
	/* 2024-01-01T22:00:00Z, 1-minute candles for three days */
	check_equity_csv(INT64_C(1704146400000000), 60 * SEC, 3 * 1440);
}

static void test_equity_csv_odd_steps(void **state)
{
	(void)state;
	check_equity_csv(INT64_C(1704146400000000), 7 * SEC, 30000);        /* 7 s */
	check_equity_csv(INT64_C(1704153540000000), 3 * 3600 * SEC, 200);   /* 3 h */
	check_equity_csv(INT64_C(1704146400500000), 60 * SEC, 2000);         /* x.5 s */
	check_equity_csv(INT64_C(1704146400000000), 1500000, 100000);       /* 1.5 s */
	check_equity_csv(-INT64_C(86400) * 3 * SEC, 60 * SEC, 6000);         /* 1969 */
}

/* The same combinations, in turn on one work, give what fresh runs give. */
static void test_recorded_work_reuse(void **state)
{
	struct sb_candles c;
	struct sb_events ev;
	struct sb_backtest_work w;
	struct sb_errbuf err;
	struct sb_combo k[4];
	const size_t n = 5000;

	(void)state;
	make_candles(&c, n, INT64_C(1704067200000000), 60 * SEC, 11);
	make_events(&ev, 3000, INT64_C(1704067200000000), 97);
	a_combo(&k[0], 300000000, 600000000, 5 * 60 * SEC);
	a_combo(&k[1], 500000000, 600000000, 5 * 60 * SEC);    /* the same signal */
	a_combo(&k[2], 300000000, 800000000, 15 * 60 * SEC);   /* another */
	k[3] = k[0];
	sb_backtest_work_init(&w);
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < 4; i++) {
			struct sb_recorder fresh, reused;
			struct sb_metrics mf, mr;

			assert_int_equal(sb_backtest_recorded(&c, &ev, &k[i], &fresh, &mf, &err), SB_OK);
			assert_int_equal(sb_backtest_recorded_work(&w, &c, &ev, &k[i], 0, n, &reused,
								   &mr, &err), SB_OK);
			assert_memory_equal(&mf, &mr, sizeof(mf));
			assert_memory_equal(fresh.position, reused.position, n * sizeof(double));
			assert_memory_equal(fresh.equity, reused.equity, n * sizeof(double));
			assert_int_equal(fresh.n_trades, reused.n_trades);
			assert_memory_equal(fresh.trades, reused.trades,
					    fresh.n_trades * sizeof(*fresh.trades));
			sb_recorder_release(&fresh);
		}
	/* a range of the candles, as the sweep's curves of --from/--to */
	{
		struct sb_recorder fresh, reused;
		struct sb_metrics mf, mr;

		assert_int_equal(sb_backtest_recorded_range(&c, &ev, &k[2], 1000, 2500, &fresh, &mf,
							    &err), SB_OK);
		assert_int_equal(sb_backtest_recorded_work(&w, &c, &ev, &k[2], 1000, 2500, &reused,
							   &mr, &err), SB_OK);
		assert_memory_equal(&mf, &mr, sizeof(mf));
		assert_memory_equal(fresh.equity, reused.equity, 2500 * sizeof(double));
		sb_recorder_release(&fresh);
	}
	sb_backtest_work_release(&w);
	free_events(&ev);
	sb_candles_release(&c);
}

/* The sums and stats of two works (of n candles) are the same. */
static void assert_same_sums(const struct sb_signal_work *a, const struct sb_signal_stats *sa,
			     const struct sb_signal_work *b, const struct sb_signal_stats *sb,
			     size_t n)
{
	assert_memory_equal(sa, sb, sizeof(*sa));
	assert_memory_equal(a->csum, b->csum, n * sizeof(*a->csum));
	assert_memory_equal(a->ccnt, b->ccnt, n * sizeof(*a->ccnt));
}

/*
 * A work's sums and stats against DESIGN.md step 1 done directly, article by article:
 * candle floor((t + L - t0) / D), counted when inside the candles and conf >= k.
 */
static void assert_direct_sums(const struct sb_signal_work *w, const struct sb_signal_stats *st,
			       const struct sb_candles *c, const struct sb_events *ev, int64_t k,
			       int64_t L)
{
	int64_t *sum = calloc(c->n, sizeof(*sum));
	uint32_t *cnt = calloc(c->n, sizeof(*cnt));
	uint64_t used = 0, below = 0, outside = 0;

	assert_non_null(sum);
	assert_non_null(cnt);
	for (size_t a = 0; a < ev->n; a++) {
		int64_t off = ev->t_us[a] + L - c->t0_us;
		int64_t j = off / c->interval_us - (off % c->interval_us < 0);

		if (j < 0 || (uint64_t)j >= c->n) {
			outside++;
		} else if (ev->conf_e9[a] < k) {
			below++;
		} else {
			sum[j] += ev->score_e9[a];
			cnt[j]++;
			used++;
		}
	}
	assert_int_equal(st->used, used);
	assert_int_equal(st->below_confidence, below);
	assert_int_equal(st->outside_range, outside);
	assert_memory_equal(w->csum, sum, c->n * sizeof(*sum));
	assert_memory_equal(w->ccnt, cnt, c->n * sizeof(*cnt));
	free(sum);
	free(cnt);
}

/* Sums moved from one min-confidence to the next equal sums made afresh. */
static void test_sums_moved_between_k(void **state)
{
	static const int64_t ks[] = { 500000000, 900000000, 700000000, 700000000, 950000000,
				      500000000, 0, 1000000000, 600000000, 610000000, 590000000 };
	struct sb_candles c;
	struct sb_events ev;
	struct sb_signal_work w;
	struct sb_errbuf err;
	const size_t n = 20000;

	(void)state;
	make_candles(&c, n, INT64_C(1704067200000000), 60 * SEC, 5);
	make_events(&ev, 30000, INT64_C(1704067200000000), 31);
	sb_signal_work_init(&w);
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		struct sb_signal_params sp = { .min_conf_e9 = ks[i], .window_us = 300 * SEC };
		struct sb_signal_stats st, st2;
		struct sb_signal_work fresh;
		size_t W;

		assert_int_equal(sb_signal_candle_sums(&w, &c, &ev, &sp, &W, &st, &err), SB_OK);
		sb_signal_work_init(&fresh);
		assert_int_equal(sb_signal_candle_sums(&fresh, &c, &ev, &sp, &W, &st2, &err), SB_OK);
		assert_same_sums(&w, &st, &fresh, &st2, n);
		sb_signal_work_release(&fresh);
	}
	sb_signal_work_release(&w);
	free_events(&ev);
	sb_candles_release(&c);
}

/*
 * Articles out of time order (and some outside the candles, at both ends): the sums
 * equal those of the sorted articles.
 */
static void test_sums_of_unsorted_articles(void **state)
{
	struct sb_candles c;
	struct sb_events sorted, shuffled;
	struct sb_signal_work ws, wu;
	struct sb_signal_stats ss, su;
	struct sb_errbuf err;
	const size_t n = 3000, na = 5000;
	const int64_t t0 = INT64_C(1704067200000000);
	struct sb_signal_params sp = { .min_conf_e9 = 700000000, .window_us = 600 * SEC,
				       .latency_us = 30 * SEC };
	size_t W;

	(void)state;
	make_candles(&c, n, t0, 60 * SEC, 9);
	/* from 1 h before the candles to 1 h after them */
	make_events(&sorted, na, t0 - 3600 * SEC, (int64_t)((n * 60 + 7200) / na));
	shuffled.n = na;
	shuffled.t_us = malloc(na * sizeof(int64_t));
	shuffled.score_e9 = malloc(na * sizeof(int32_t));
	shuffled.conf_e9 = malloc(na * sizeof(int32_t));
	for (size_t i = 0; i < na; i++) {
		size_t k = (i * 7919) % na;               /* a permutation: 7919 is prime */

		shuffled.t_us[i] = sorted.t_us[k];
		shuffled.score_e9[i] = sorted.score_e9[k];
		shuffled.conf_e9[i] = sorted.conf_e9[k];
	}
	sb_signal_work_init(&ws);
	sb_signal_work_init(&wu);
	assert_int_equal(sb_signal_candle_sums(&ws, &c, &sorted, &sp, &W, &ss, &err), SB_OK);
	assert_int_equal(sb_signal_candle_sums(&wu, &c, &shuffled, &sp, &W, &su, &err), SB_OK);
	assert_true(ss.outside_range > 0 && ss.used > 0);
	assert_same_sums(&ws, &ss, &wu, &su, n);
	assert_direct_sums(&wu, &su, &c, &shuffled, sp.min_conf_e9, sp.latency_us);
	/* every in-range article indexed once; the sorted ones in time order per bucket */
	assert_int_equal(ws.own.n_in, ss.used + ss.below_confidence);
	assert_int_equal(wu.own.n_in, ws.own.n_in);
	for (size_t b = 0; b < SB_CONF_BUCKETS; b++)
		for (uint32_t i = ws.own.bucket_at[b] + 1; i < ws.own.bucket_at[b + 1]; i++)
			assert_true(ws.own.rec[i - 1].cand <= ws.own.rec[i].cand);
	sb_signal_work_release(&ws);
	sb_signal_work_release(&wu);
	free_events(&sorted);
	free_events(&shuffled);
	sb_candles_release(&c);
}

/*
 * An index built in parts (as the sweep's threads build it) equals one built in one
 * part, for any number of parts; a work that reads it sums as one with its own index,
 * through moves between k; an index of other articles is not read.
 */
static void test_article_index_in_parts(void **state)
{
	static const int64_t ks[] = { 600000000, 500000000, 900000000, 0, 750000000 };
	struct sb_candles c;
	struct sb_events ev, other;
	struct sb_article_index one, parts;
	struct sb_errbuf err;
	const size_t n = 5000;
	const int64_t t0 = INT64_C(1704067200000000);

	(void)state;
	make_candles(&c, n, t0, 60 * SEC, 3);
	/* from 2 h before the candles to past their end: outside at both ends */
	make_events(&ev, 9001, t0 - 7200 * SEC, 41);
	make_events(&other, 4000, t0, 67);
	sb_article_index_init(&one);
	sb_article_index_init(&parts);
	assert_int_equal(sb_article_index_build(&one, &c, &ev, 90 * SEC, &err), SB_OK);
	assert_true(one.outside > 0 && one.n_in > 0 && one.n_in + one.outside == ev.n);
	for (int np = 1; np <= 7; np += 2) {
		assert_int_equal(sb_article_index_begin(&parts, &c, &ev, 90 * SEC, np, &err), SB_OK);
		for (int p = np - 1; p >= 0; p--)       /* in any order */
			sb_article_index_count(&parts, p);
		sb_article_index_place(&parts);
		for (int p = 0; p < np; p++)
			sb_article_index_fill(&parts, p);
		assert_int_equal(parts.n_in, one.n_in);
		assert_int_equal(parts.outside, one.outside);
		assert_memory_equal(parts.bucket_at, one.bucket_at, sizeof(one.bucket_at));
		assert_memory_equal(parts.rec, one.rec, one.n_in * sizeof(*one.rec));
	}
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		struct sb_signal_params sp = { .min_conf_e9 = ks[i], .window_us = 300 * SEC,
					       .latency_us = 90 * SEC };
		struct sb_signal_work ws, wo;
		struct sb_signal_stats ss, so;
		size_t W;

		sb_signal_work_init(&ws);
		sb_signal_work_init(&wo);
		sb_signal_work_share(&ws, &parts);
		for (size_t j = 0; j <= i; j++) {          /* moved through ks[0..i] */
			sp.min_conf_e9 = ks[j];
			assert_int_equal(sb_signal_candle_sums(&ws, &c, &ev, &sp, &W, &ss, &err), SB_OK);
		}
		assert_int_equal(sb_signal_candle_sums(&wo, &c, &ev, &sp, &W, &so, &err), SB_OK);
		assert_ptr_equal(ws.sums_idx, &parts);
		assert_false(ws.own.valid);                  /* never built */
		assert_same_sums(&ws, &ss, &wo, &so, n);
		assert_direct_sums(&ws, &ss, &c, &ev, ks[i], 90 * SEC);
		/* other articles, or another latency: its own index, not the shared one */
		assert_int_equal(sb_signal_candle_sums(&ws, &c, &other, &sp, &W, &ss, &err), SB_OK);
		assert_ptr_equal(ws.sums_idx, &ws.own);
		assert_int_equal(ws.own.n_in + ws.own.outside, other.n);
		sp.latency_us = 0;
		assert_int_equal(sb_signal_candle_sums(&ws, &c, &ev, &sp, &W, &ss, &err), SB_OK);
		assert_ptr_equal(ws.sums_idx, &ws.own);
		assert_int_equal(sb_signal_candle_sums(&wo, &c, &ev, &sp, &W, &so, &err), SB_OK);
		assert_memory_equal(ws.csum, wo.csum, n * sizeof(*ws.csum));
		assert_direct_sums(&ws, &ss, &c, &ev, ks[i], 0);
		sb_signal_work_release(&ws);
		sb_signal_work_release(&wo);
	}
	/*
	 * An index rebuilt in place (the same address) from other articles, or withdrawn
	 * and another built where it was: a work's sums are made afresh, not kept or moved.
	 */
	{
		struct sb_signal_params sp = { .min_conf_e9 = 600000000, .window_us = 300 * SEC,
					       .latency_us = 90 * SEC };
		struct sb_signal_work ws, wo;
		struct sb_signal_stats ss, so;
		size_t W;

		sb_signal_work_init(&ws);
		sb_signal_work_init(&wo);
		sb_signal_work_share(&ws, &parts);
		assert_int_equal(sb_signal_candle_sums(&ws, &c, &ev, &sp, &W, &ss, &err), SB_OK);
		assert_int_equal(sb_article_index_build(&parts, &c, &other, 90 * SEC, &err), SB_OK);
		assert_int_equal(sb_signal_candle_sums(&ws, &c, &other, &sp, &W, &ss, &err), SB_OK);
		assert_int_equal(sb_signal_candle_sums(&wo, &c, &other, &sp, &W, &so, &err), SB_OK);
		assert_ptr_equal(ws.sums_idx, &parts);
		assert_same_sums(&ws, &ss, &wo, &so, n);
		assert_direct_sums(&ws, &ss, &c, &other, sp.min_conf_e9, sp.latency_us);
		/* withdrawn, released, built again at the same address from ev */
		sb_signal_work_share(&ws, NULL);
		sb_article_index_release(&parts);
		assert_int_equal(sb_article_index_build(&parts, &c, &ev, 90 * SEC, &err), SB_OK);
		sb_signal_work_share(&ws, &parts);
		assert_int_equal(sb_signal_candle_sums(&ws, &c, &ev, &sp, &W, &ss, &err), SB_OK);
		assert_int_equal(sb_signal_candle_sums(&wo, &c, &ev, &sp, &W, &so, &err), SB_OK);
		assert_same_sums(&ws, &ss, &wo, &so, n);
		assert_direct_sums(&ws, &ss, &c, &ev, sp.min_conf_e9, sp.latency_us);
		sb_signal_work_release(&ws);
		sb_signal_work_release(&wo);
	}
	sb_article_index_release(&one);
	sb_article_index_release(&parts);
	free_events(&ev);
	free_events(&other);
	sb_candles_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equity_csv_minutes_across_days),
		cmocka_unit_test(test_equity_csv_odd_steps),
		cmocka_unit_test(test_recorded_work_reuse),
		cmocka_unit_test(test_sums_moved_between_k),
		cmocka_unit_test(test_sums_of_unsorted_articles),
		cmocka_unit_test(test_article_index_in_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
