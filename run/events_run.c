/* events_run.c - `sentibt events`: the event study run and its result folder
 *
 * DIR/events.csv       one row per event: published_at, candle_close (the entry time),
 *                      score, confidence, bucket_lo (the lower edge of its bucket, empty
 *                      when outside the edges), in_candle, close (entry price), one
 *                      ret_<H>s column per horizon (seconds), volume_spike
 * DIR/event_study.csv  horizon_s,bucket_lo,bucket_hi,n,mean,median,ci_lo,ci_hi,hit_rate
 * DIR/ic.csv           horizon_s,ic,t_stat,n
 * DIR/event_path.csv  bucket_lo,bucket_hi,offset_s,n,mean,ci_lo,ci_hi: the mean cumulative
 *                      log return from the entry close, per bucket and candle offset
 * DIR/event_stats.json what was dropped, edges used, truncation and overlap per horizon
 * DIR/manifest.json
 * Numbers are exact (shortest round-trip text); undefined values are empty cells.
 */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/results.h"
#include "../loaders/textio.h"

/* ---------------------------------------------------------------------------------- */
/* Options                                                                             */
/* ---------------------------------------------------------------------------------- */

/* The next comma-separated item of *s into buf (false when it does not fit). */
static bool next_item(const char **s, char *buf, size_t cap)
{
	const char *comma = strchr(*s, ',');
	size_t len = comma ? (size_t)(comma - *s) : strlen(*s);

	if (len >= cap)
		return false;
	memcpy(buf, *s, len);
	buf[len] = '\0';
	*s = comma ? comma + 1 : *s + len;
	return true;
}

static enum sb_err parse_horizons(const char *spec, int64_t D, struct sb_es_opts *eo,
				  struct sb_errbuf *err)
{
	const char *s = spec;
	char item[64];

	eo->n_horizons = 0;
	do {
		int64_t h;

		if (!next_item(&s, item, sizeof(item)) || !sb_parse_duration(item, &h) || h <= 0)
			return sb_errf(err, SB_EINVAL,
				       "--horizons: expected durations such as 5m,15m,60m, got '%s'", spec);
		if (h % D)
			return sb_errf(err, SB_EINVAL,
				       "--horizons: %s is not a whole number of %lld s candles", item,
				       (long long)(D / SB_US_PER_SEC));
		if (eo->n_horizons && h <= eo->horizon_us[eo->n_horizons - 1])
			return sb_errf(err, SB_EINVAL, "--horizons: expected increasing durations, got '%s'",
				       spec);
		if (eo->n_horizons == SB_ES_MAX_HORIZONS)
			return sb_errf(err, SB_EINVAL, "--horizons: at most %d horizons",
				       SB_ES_MAX_HORIZONS);
		eo->horizon_us[eo->n_horizons++] = h;
	} while (*s || s[-1] == ',');
	return SB_OK;
}

static enum sb_err parse_buckets(const char *spec, struct sb_es_opts *eo, struct sb_errbuf *err)
{
	const char *s = spec;
	char item[64];

	eo->n_edges = 0;
	if (!strncmp(spec, "quantiles:", 10)) {
		int64_t q;

		if (!sb_parse_int64(spec + 10, &q) || q < 1 || q > SB_ES_MAX_BUCKETS)
			return sb_errf(err, SB_EINVAL,
				       "--buckets: expected quantiles:N with N from 1 to %d, got '%s'",
				       SB_ES_MAX_BUCKETS, spec);
		eo->quantiles = (int)q;
		return SB_OK;
	}
	do {
		int64_t e;

		if (!next_item(&s, item, sizeof(item)) || !sb_dec_parse(item, &e))
			return sb_errf(err, SB_EINVAL,
				       "--buckets: expected increasing score edges such as -1,-0.5,0,0.5,1 (at most 9 decimals) or quantiles:N, got '%s'",
				       spec);
		if (eo->n_edges && e <= eo->edges_e9[eo->n_edges - 1])
			return sb_errf(err, SB_EINVAL, "--buckets: expected increasing edges, got '%s'",
				       spec);
		if (eo->n_edges == SB_ES_MAX_BUCKETS + 1)
			return sb_errf(err, SB_EINVAL, "--buckets: at most %d edges",
				       SB_ES_MAX_BUCKETS + 1);
		eo->edges_e9[eo->n_edges++] = e;
	} while (*s || s[-1] == ',');
	if (eo->n_edges < 2)
		return sb_errf(err, SB_EINVAL, "--buckets: expected at least two edges, got '%s'", spec);
	return SB_OK;
}

enum sb_err sb_run_events_opts(const struct sb_run_opts *o, struct sb_es_opts *eo,
			       struct sb_errbuf *err)
{
	const int64_t D = o->interval_us;
	int64_t v;
	enum sb_err rc;

	sb_es_opts_init(eo);
	eo->min_conf_e9 = o->grid.ax[SB_AX_MIN_CONFIDENCE].v[0];
	eo->latency_us = o->grid.ax[SB_AX_LATENCY].v[0];
	if ((rc = parse_horizons(o->horizons, D, eo, err)) || (rc = parse_buckets(o->buckets, eo, err)))
		return rc;
	if (!sb_parse_int64(o->bootstrap, &v) || v < 0 || v > SB_ES_MAX_BOOTSTRAP)
		return sb_errf(err, SB_EINVAL, "--bootstrap: expected a count from 0 to %d, got '%s'",
			       SB_ES_MAX_BOOTSTRAP, o->bootstrap);
	eo->bootstrap = (uint32_t)v;
	if (!sb_parse_int64(o->seed, &v) || v < 0)
		return sb_errf(err, SB_EINVAL, "--seed: expected a whole number from 0 to 2^63-1, got '%s'",
			       o->seed);
	eo->seed = (uint64_t)v;
	if (!sb_parse_duration(o->volume_window, &v) || v <= 0 || v % D)
		return sb_errf(err, SB_EINVAL,
			       "--volume-window: expected a positive whole number of %lld s candles, got '%s'",
			       (long long)(D / SB_US_PER_SEC), o->volume_window);
	eo->volume_window_us = v;
	if (!sb_parse_duration(o->cluster, &v))
		return sb_errf(err, SB_EINVAL,
			       "--cluster: expected a duration such as 1h, or 0 (every article an event), got '%s'",
			       o->cluster);
	eo->cluster_us = v;
	if (!sb_parse_duration(o->path_before, &v) || v < 0 || v % D ||
	    v / D > SB_ES_MAX_PATH)
		return sb_errf(err, SB_EINVAL,
			       "--path-before: expected 0 to %d whole %lld s candles, got '%s'",
			       SB_ES_MAX_PATH, (long long)(D / SB_US_PER_SEC), o->path_before);
	eo->path_before_us = v;
	if (!sb_parse_duration(o->path_after, &v) || v < 0 || v % D ||
	    v / D > SB_ES_MAX_PATH)
		return sb_errf(err, SB_EINVAL,
			       "--path-after: expected 0 to %d whole %lld s candles, got '%s'",
			       SB_ES_MAX_PATH, (long long)(D / SB_US_PER_SEC), o->path_after);
	eo->path_after_us = v;
	if (!sb_parse_int64(o->path_bootstrap, &v) || v < 0 || v > SB_ES_MAX_BOOTSTRAP)
		return sb_errf(err, SB_EINVAL,
			       "--path-bootstrap: expected a count from 0 to %d, got '%s'",
			       SB_ES_MAX_BOOTSTRAP, o->path_bootstrap);
	eo->path_bootstrap = (uint32_t)v;
	if (o->threads) {
		if (!sb_parse_int64(o->threads, &v) || v < 1 || v > 4096)
			return sb_errf(err, SB_EINVAL, "--threads: expected a count from 1 to 4096, got '%s'",
				       o->threads);
		eo->threads = (int)v;
	}
	return SB_OK;
}

/* ---------------------------------------------------------------------------------- */
/* Writers                                                                             */
/* ---------------------------------------------------------------------------------- */

static enum sb_err close_checked(FILE *f, const char *path, struct sb_errbuf *err)
{
	bool bad = ferror(f) != 0;

	if (fclose(f) != 0 || bad)
		return sb_errf(err, SB_EIO, "%s: write failed: %s", path, strerror(errno));
	return SB_OK;
}

static FILE *open_out(const char *path, struct sb_errbuf *err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		sb_errf(err, SB_EIO, "%s: cannot create: %s", path, strerror(errno));
	return f;
}

static void fput_dec(FILE *f, int64_t v)
{
	char buf[SB_DEC_LEN];

	fputs(sb_dec_format(v, buf), f);
}

static void fput_seconds(FILE *f, int64_t us)
{
	fprintf(f, "%lld", (long long)(us / SB_US_PER_SEC));
}

static void fput_count(FILE *f, size_t n)
{
	fprintf(f, "%zu", n);
}

static enum sb_err write_events_csv(const char *path, const struct sb_candles *c,
				    const struct sb_event_study *es, struct sb_errbuf *err)
{
	FILE *f = open_out(path, err);
	char t[SB_TIME_LEN];

	if (!f)
		return SB_EIO;
	fputs("published_at,candle_close,score,confidence,bucket_lo,in_candle,close", f);
	for (size_t h = 0; h < es->n_horizons; h++) {
		fputs(",ret_", f);
		fput_seconds(f, es->hz[h].horizon_us);
		fputc('s', f);
	}
	fputs(",volume_spike\n", f);
	for (size_t i = 0; i < es->n_events; i++) {
		const struct sb_es_event *e = &es->ev[i];

		sb_format_time(e->t_us, t);
		fputs(t, f);
		fputc(',', f);
		sb_format_time(c->t0_us + (e->candle + 1) * c->interval_us, t);
		fputs(t, f);
		fputc(',', f);
		fput_dec(f, e->score_e9);
		fputc(',', f);
		fput_dec(f, e->conf_e9);
		fputc(',', f);
		if (e->bucket >= 0)
			fput_dec(f, es->edges_e9[e->bucket]);
		fprintf(f, ",%u,", e->in_candle);
		sb_fput_num(f, e->close);
		for (size_t h = 0; h < es->n_horizons; h++) {
			fputc(',', f);
			sb_fput_num(f, es->ret[i * es->n_horizons + h]);
		}
		fputc(',', f);
		sb_fput_num(f, e->volume_spike);
		fputc('\n', f);
	}
	return close_checked(f, path, err);
}

static enum sb_err write_study_csv(const char *path, const struct sb_event_study *es,
				   struct sb_errbuf *err)
{
	FILE *f = open_out(path, err);

	if (!f)
		return SB_EIO;
	fputs("horizon_s,bucket_lo,bucket_hi,n,mean,median,ci_lo,ci_hi,hit_rate\n", f);
	for (size_t h = 0; h < es->n_horizons; h++)
		for (size_t b = 0; b < es->n_buckets; b++) {
			const struct sb_es_cell *x = &es->cell[h * es->n_buckets + b];
			const double v[] = { x->mean, x->median, x->ci_lo, x->ci_hi, x->hit_rate };

			fput_seconds(f, es->hz[h].horizon_us);
			fputc(',', f);
			fput_dec(f, es->edges_e9[b]);
			fputc(',', f);
			fput_dec(f, es->edges_e9[b + 1]);
			fputc(',', f);
			fput_count(f, x->n);
			for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
				fputc(',', f);
				sb_fput_num(f, v[k]);
			}
			fputc('\n', f);
		}
	return close_checked(f, path, err);
}

static enum sb_err write_ic_csv(const char *path, const struct sb_event_study *es,
				struct sb_errbuf *err)
{
	FILE *f = open_out(path, err);

	if (!f)
		return SB_EIO;
	fputs("horizon_s,ic,t_stat,n\n", f);
	for (size_t h = 0; h < es->n_horizons; h++) {
		fput_seconds(f, es->hz[h].horizon_us);
		fputc(',', f);
		sb_fput_num(f, es->hz[h].ic);
		fputc(',', f);
		sb_fput_num(f, es->hz[h].t_stat);
		fputc(',', f);
		fput_count(f, es->hz[h].ic_n);
		fputc('\n', f);
	}
	return close_checked(f, path, err);
}

static enum sb_err write_path_csv(const char *path, const struct sb_candles *c,
				  const struct sb_event_study *es, struct sb_errbuf *err)
{
	FILE *f = open_out(path, err);

	if (!f)
		return SB_EIO;
	fputs("bucket_lo,bucket_hi,offset_s,n,mean,ci_lo,ci_hi\n", f);
	for (size_t b = 0; b < es->n_buckets; b++)
		for (size_t k = 0; k < es->n_offsets; k++) {
			const struct sb_es_path_cell *x = &es->path[b * es->n_offsets + k];

			fput_dec(f, es->edges_e9[b]);
			fputc(',', f);
			fput_dec(f, es->edges_e9[b + 1]);
			fputc(',', f);
			fput_seconds(f, ((int64_t)k - (int64_t)es->path_before) * c->interval_us);
			fputc(',', f);
			fput_count(f, x->n);
			fputc(',', f);
			sb_fput_num(f, x->mean);
			fputc(',', f);
			sb_fput_num(f, x->ci_lo);
			fputc(',', f);
			sb_fput_num(f, x->ci_hi);
			fputc('\n', f);
		}
	return close_checked(f, path, err);
}

/* ---------------------------------------------------------------------------------- */
/* The run                                                                             */
/* ---------------------------------------------------------------------------------- */

void sb_events_result_release(struct sb_events_result *res)
{
	sb_event_study_release(&res->es);
}

enum sb_err sb_run_events(const struct sb_run_opts *o, const struct sb_run_inputs *in,
			  const struct sb_es_opts *eo, int argc, char **argv,
			  struct sb_events_result *res, struct sb_errbuf *err)
{
	static const char *const names[] = { "events.csv", "event_study.csv", "ic.csv",
					      "event_stats.json", "event_path.csv" };
	char path[5][4200];
	struct sb_run_dir dir;
	struct sb_candles view;
	size_t first, n;
	enum sb_err rc;

	memset(res, 0, sizeof(*res));
	/* --from/--to: the study runs on those candles; articles outside them are outside */
	rc = sb_run_range(o, &in->candles, &first, &n, err);
	if (rc)
		return rc;
	sb_candles_view(&in->candles, first, n, &view);
	rc = sb_event_study_run(&view, &in->events, eo, &res->es, err);
	if (rc)
		return rc;
	rc = sb_run_dir_begin(&dir, o->out, o->force, err);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < 5; i++)
		rc = sb_path_join(path[i], sizeof(path[i]), dir.tmp, names[i], err);
	if (rc ||
	    (rc = write_events_csv(path[0], &view, &res->es, err)) ||
	    (rc = write_study_csv(path[1], &res->es, err)) ||
	    (rc = write_ic_csv(path[2], &res->es, err)) ||
	    (rc = sb_write_event_stats_json(path[3], &res->es, err)) ||
	    (rc = write_path_csv(path[4], &view, &res->es, err)) ||
	    /* the manifest is the last file written: it lists every output */
	    (rc = sb_run_write_events_manifest(dir.tmp, o, in, eo, argc, argv, err)) ||
	    (rc = sb_run_dir_commit(&dir, err))) {
		sb_run_dir_abort(&dir);
		return rc;
	}
	snprintf(res->dir, sizeof(res->dir), "%s", dir.final);
	return SB_OK;
}
