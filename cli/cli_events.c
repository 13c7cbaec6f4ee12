/* cli_events.c - `sentibt events`: the event study (engine/event_study.h) */
#include "cli.h"
#include "cli_runopts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../engine/results.h"   /* sb_fput_num */

static const char usage_text[] =
"usage: sentibt events --prices FILE... --sentiment FILE [options] [--out DIR]\n"
"\n"
"The event study: what the price did after each article.  Every article kept (the\n"
"--entity, --confidence and --min-confidence filters, the --latency, and the\n"
"candle rule of the strategy: an article published at t is known at the close of\n"
"candle floor((t + L - t0) / D)) is an event; its entry price is that close.\n"
"Writes DIR/events.csv (one row per event: times, score, confidence, bucket, entry\n"
"close, the forward log return ln(close[j+H] / close[j]) of each horizon, the\n"
"volume spike ratio), DIR/event_study.csv (per horizon and score bucket: n, mean,\n"
"median, bootstrap 95% interval of the mean, hit rate), DIR/ic.csv (per horizon:\n"
"Spearman correlation of score with forward return, its t-statistic, n),\n"
"DIR/event_path.csv (per bucket and candle offset from -P to +F: the mean cumulative\n"
"log return ln(close[j+o] / close[j]) with its bootstrap 95% interval),\n"
"DIR/event_stats.json (what was dropped, truncated and overlapping) and\n"
"DIR/manifest.json; prints the IC table.\n"
"\n"
"event study options:\n"
"      --min-confidence K    only articles with confidence >= K are events (default 0:\n"
"                            every article)\n"
"      --latency L           an article is known L after publication (default 0s)\n"
"      --horizons H,...      forward horizons, whole candles, increasing (default\n"
"                            5m,15m,60m,240m); a horizon past the last candle gives no\n"
"                            return (empty; counted as truncated per horizon)\n"
"      --buckets SPEC        score buckets: increasing edges such as -1,-0.5,0,0.5,1\n"
"                            (bucket [lo, hi), the top one [lo, hi]; scores outside\n"
"                            the edges are in none, counted), or quantiles:N (default\n"
"                            quantiles:5): edges at the lowest score, the scores of\n"
"                            rank floor(i n/N) + 1 (1-based, ascending) and the highest,\n"
"                            equal edges merged; the edges used are in event_stats.json\n"
"      --bootstrap B         resamples for the 95% interval of a bucket's mean\n"
"                            (percentile method; default 1000; 0 = none)\n"
"      --seed S              seed of the bootstrap (default 1); results are the same\n"
"                            for a seed whatever --threads\n"
"      --threads N           threads for the bootstrap (default OMP_NUM_THREADS, else\n"
"                            all cores)\n"
"      --volume-window V     the spike ratio is the mean volume of the candles of the\n"
"                            shortest horizon after the event's candle over the mean\n"
"                            volume of the V (whole candles) up to and including it\n"
"                            (default 60m); empty without a full window or with zero\n"
"                            volume\n"
"      --path-before P, --path-after F   the event path's offsets, whole candles\n"
"                            (default 60m and 240m): event_path.csv has one row per\n"
"                            bucket and offset -P .. +F; events whose offset lies\n"
"                            outside the candles are left out there (n per offset)\n"
"      --path-bootstrap B    resamples for the path's intervals (default 200: one\n"
"                            interval per offset is costly; 0 = none)\n"
"      --cluster C           overlapping articles: 0 (default) makes every article an\n"
"                            event and counts the overlap (event_stats.json); C > 0\n"
"                            keeps only the first article of each cluster: an article\n"
"                            published less than C after the one that opened the\n"
"                            cluster is dropped (counted).  C >= a horizon leaves no\n"
"                            overlapping return windows at that horizon\n"
"Hit rate is the share of returns > 0 in every bucket (a zero return is no hit).\n"
"README \"Event study\" has every definition.\n"
"\n";

/* The IC table and the counts, for a terminal. */
static void print_study(const struct sb_run_inputs *in, const struct sb_events_result *res)
{
	const struct sb_event_study *es = &res->es;
	const struct sb_es_counts *c = &es->counts;

	printf("events: %zu candles, %llu articles -> %llu events (%llu outside the candles, "
	       "%llu below min-confidence, %llu clustered out) -> %s\n", in->candles.n,
	       (unsigned long long)c->articles, (unsigned long long)c->events,
	       (unsigned long long)c->outside_range, (unsigned long long)c->below_confidence,
	       (unsigned long long)c->clustered_out, res->dir);
	printf("%10s %8s %8s %10s %10s %12s\n", "horizon_s", "n", "trunc", "ic", "t_stat",
	       "overlapping");
	for (size_t h = 0; h < es->n_horizons; h++) {
		const struct sb_es_horizon *hz = &es->hz[h];

		printf("%10lld %8zu %8zu ", (long long)(hz->horizon_us / SB_US_PER_SEC),
		       hz->ic_n, hz->truncated);
		if (isnan(hz->ic))
			printf("%10s ", "");
		else
			printf("%10.4f ", hz->ic);
		if (isnan(hz->t_stat))
			printf("%10s ", "");
		else
			printf("%10.3f ", hz->t_stat);
		printf("%12zu\n", hz->overlapping);
	}
}

int cmd_events(int argc, char **argv)
{
	struct sb_run_opts o;
	struct sb_run_inputs in;
	struct sb_es_opts eo;
	struct sb_events_result res = { 0 };
	struct sb_errbuf err = { "" };
	int rc = sb_run_opts_parse(&o, "events", argc, argv, usage_text);

	if (rc >= 0)
		return rc;
	if (sb_run_events_opts(&o, &eo, &err)) {
		sb_run_opts_release(&o);
		return sb_cli_usage_error("events", "%s", err.msg);
	}
	if ((rc = sb_run_opts_load(&o, &in)) >= 0)
		goto out;
	rc = SB_EXIT_FAIL;
	if (sb_run_events(&o, &in, &eo, argc, argv, &res, &err)) {
		sb_cli_error("%s", err.msg);
		goto out;
	}
	if (!o.quiet)
		print_study(&in, &res);
	rc = SB_EXIT_OK;
out:
	sb_events_result_release(&res);
	sb_run_inputs_release(&in);
	sb_run_opts_release(&o);
	return rc;
}
