/* manifest_of_run.c - the manifest of a backtest, sweep or events run, from its options and inputs */
#include "run.h"

#include <stdlib.h>
#include <string.h>

#include "../engine/manifest.h"
#include "../loaders/textio.h"

/* What every manifest records: the command line, the loader options and the inputs. */
static void fill_common(struct sb_manifest_run *r, const struct sb_run_opts *o,
			const struct sb_run_inputs *in, int argc, char **argv)
{
	memset(r, 0, sizeof(*r));
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
				  const struct sb_run_inputs *in, int argc, char **argv,
				  struct sb_errbuf *err)
{
	struct sb_manifest_run r;
	struct sb_axis keep = { 0 };
	size_t *ids = NULL;
	int64_t top = 10;
	enum sb_err rc;

	fill_common(&r, o, in, argc, argv);
	r.sweep = strcmp(o->cmd, "sweep") == 0;
	r.rank_by = o->rank_by ? o->rank_by : "sharpe";
	/* sweep has checked these already; here they are only resolved. */
	if (o->top && !sb_parse_int64(o->top, &top))
		top = 10;
	r.top = (size_t)top;
	if (o->keep && !sb_axis_parse(&keep, "keep", o->keep, false, NULL)) {
		ids = malloc((keep.n ? keep.n : 1) * sizeof(*ids));
		if (!ids) {
			free(keep.v);
			return sb_errf(err, SB_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < keep.n; i++)
			ids[i] = (size_t)(keep.v[i] / SB_DEC_SCALE);   /* checked by sweep */
		r.keep = ids;
		r.n_keep = keep.n;
	}
	rc = sb_manifest_write(dir, &r, err);
	free(keep.v);
	free(ids);
	return rc;
}

enum sb_err sb_run_write_events_manifest(const char *dir, const struct sb_run_opts *o,
					 const struct sb_run_inputs *in,
					 const struct sb_es_opts *eo, int argc, char **argv,
					 struct sb_errbuf *err)
{
	struct sb_manifest_run r;

	fill_common(&r, o, in, argc, argv);
	r.events = eo;
	r.buckets_spec = o->buckets;
	return sb_manifest_write(dir, &r, err);
}
