/* manifest_of_run.c - the manifest of a backtest, sweep or events run, from its options and inputs */
#include "run.h"

#include <string.h>

#include "../engine/manifest.h"
#include "mpi.h"

/* What every manifest records: the command line, the loader options and the inputs. */
static void fill_common(struct sb_manifest_run *r, struct sb_coverage *cov,
			const struct sb_run_opts *o, const struct sb_run_inputs *in, int argc,
			char **argv)
{
	memset(r, 0, sizeof(*r));
	sb_run_coverage(o, in, cov, NULL);   /* no overlap was refused before the run */
	r->coverage = cov;
	r->argc = argc;
	r->argv = argv;
	r->grid = &o->grid;
	r->interval_us = o->interval_us;
	r->entity = o->entity;
	r->confidence = o->confidence;
	r->time_col = o->time_col;
	r->score_col = o->score_col;
	r->conf_col = o->conf_col;
	r->price_args = o->prices;
	r->n_price_args = o->n_prices;
	r->price_paths = (const char *const *)in->price_paths;
	r->price_info = in->price_info;
	r->n_price_files = in->n_price_files;
	r->sentiment_path = o->sentiment;
	r->sentiment_info = &in->sentiment_info;
}

enum sb_err sb_run_write_manifest(const char *dir, const struct sb_run_opts *o,
				  const struct sb_run_inputs *in,
				  const struct sb_sweep_request *req, int argc, char **argv,
				  struct sb_errbuf *err)
{
	struct sb_manifest_run r;
	struct sb_coverage cov;

	fill_common(&r, &cov, o, in, argc, argv);
	if (req) {      /* a sweep: what the CLI resolved, not the option text again */
		r.sweep = true;
		r.rank_by = req->rank_by;
		r.top = req->top;
		r.keep = req->keep;
		r.n_keep = req->n_keep;
		r.ranks = req->spread ? sb_mpi_size() : 1;
		r.threads = req->engine.threads;
	}
	return sb_manifest_write(dir, &r, err);
}

enum sb_err sb_run_write_events_manifest(const char *dir, const struct sb_run_opts *o,
					 const struct sb_run_inputs *in,
					 const struct sb_es_opts *eo, int argc, char **argv,
					 struct sb_errbuf *err)
{
	struct sb_manifest_run r;
	struct sb_coverage cov;

	fill_common(&r, &cov, o, in, argc, argv);
	r.events = eo;
	r.buckets_spec = o->buckets;
	return sb_manifest_write(dir, &r, err);
}
