/* prices.c - the price table and costs (see prices.h) */
#include "prices.h"
#include "../core/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool price_field(const struct sb_json *m, const char *key)
{
	double v = sb_json_number(sb_json_get(m, key));

	return v >= 0 && v < 1e6;
}

enum sb_err sb_prices_load(struct sb_prices *p, const char *path, struct sb_errbuf *err)
{
	const struct sb_json *models, *m;
	enum sb_err rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", path);
	if ((rc = sb_json_load(path, 1u << 20, &p->doc, err)) != SB_OK)
		return rc;
	models = sb_json_get(p->doc, "models");
	if (!sb_json_is_object(models)) {
		sb_prices_release(p);
		return sb_errf(err, SB_EPARSE, "%s: expected an object 'models'", path);
	}
	SB_JSON_FOR_EACH(m, models) {
		const char *bad = !price_field(m, "input") ? "input" :
				  !price_field(m, "output") ? "output" : NULL;

		if (bad) {
			rc = sb_errf(err, SB_EPARSE,
				     "%s: models.%s.%s: expected USD per 1M tokens, a number in [0, 1e6)",
				     path, sb_json_key(m), bad);
			sb_prices_release(p);
			return rc;
		}
	}
	snprintf(p->updated, sizeof(p->updated), "%s",
		 sb_json_string(sb_json_get(p->doc, "updated")) ?
		 sb_json_string(sb_json_get(p->doc, "updated")) : "");
	return SB_OK;
}

void sb_prices_release(struct sb_prices *p)
{
	sb_json_free(p->doc);
	p->doc = NULL;
}

struct sb_price sb_prices_get(const struct sb_prices *p, const char *model)
{
	const struct sb_json *m = sb_json_get(sb_json_get(p ? p->doc : NULL, "models"), model);
	struct sb_price r = { 0 };
	const char *date = sb_json_string(sb_json_get(m, "date"));

	if (!m)
		return r;
	r.known = true;
	r.input_per_m = sb_json_number(sb_json_get(m, "input"));
	r.output_per_m = sb_json_number(sb_json_get(m, "output"));
	snprintf(r.date, sizeof(r.date), "%s", date ? date : p->updated);
	return r;
}

const char *sb_cost_source_name(enum sb_cost_source s)
{
	switch (s) {
	case SB_COST_API: return "api";
	case SB_COST_USAGE: return "usage";
	case SB_COST_ESTIMATE: return "estimate";
	case SB_COST_LOCAL: return "local";
	case SB_COST_NONE: break;
	}
	return "none";
}

double sb_price_cost(const struct sb_price *p, uint64_t in_tokens, uint64_t out_tokens)
{
	if (!p->known)
		return NAN;
	return (p->input_per_m * (double)in_tokens + p->output_per_m * (double)out_tokens) / 1e6;
}

uint64_t sb_tokens_estimate(size_t bytes)
{
	return (bytes + 3) / 4;
}
