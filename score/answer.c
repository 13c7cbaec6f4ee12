/* answer.c - the system prompt and the checks on the model's answer (see answer.h) */
#include "answer.h"
#include "../core/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char sb_score_system_prompt[] =
	"You rate the sentiment of one crypto news article for traders of the assets it is "
	"about. Answer with one JSON object and nothing else:\n"
	"{\"sentiment_score\": number from -1 (very bearish) to 1 (very bullish), 0 neutral,\n"
	" \"confidence\": number from 0 to 1, how sure you are of the score,\n"
	" \"key_entities\": array of the ticker symbols of the crypto assets the article is "
	"about, upper case, e.g. [\"BTC\", \"ETH\"], [] when none,\n"
	" \"summary\": one sentence, at most 30 words}\n"
	"Rate the likely effect on the price over the next hours, not the tone of the prose.";

static bool no(char *why, size_t cap, const char *fmt, ...) SB_PRINTF(3, 4);

static bool no(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return false;
}

/* The text between a leading ```json (or ```) fence and the closing ```. */
static void strip_fence(const char **t, size_t *n)
{
	const char *s = *t, *e = *t + *n;

	while (s < e && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\t'))
		e--;
	if (e - s >= 6 && !memcmp(s, "```", 3) && !memcmp(e - 3, "```", 3)) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));

		if (nl && nl < e - 3) {
			s = nl + 1;
			e -= 3;
		}
	}
	*t = s;
	*n = (size_t)(e - s);
}

static bool unit_number(const struct sb_json *o, const char *key, double lo, double *out,
			char *why, size_t cap)
{
	const struct sb_json *v = sb_json_get(o, key);

	if (!v)
		return no(why, cap, "%s is missing", key);
	if (!sb_json_is_number(v))
		return no(why, cap, "%s must be a number", key);
	*out = sb_json_number(v);
	if (!(*out >= lo && *out <= 1.0)) {
		char num[SB_NUM_LEN];

		return no(why, cap, "%s %s is outside [%g, 1]", key, sb_fmt_num(*out, num), lo);
	}
	if (*out == 0.0)
		*out = 0.0;   /* -0 prints as 0 */
	return true;
}

static bool symbol(const char *s, char out[SB_ENTITY_LEN])
{
	size_t n = 0;

	if (*s == '$')
		s++;
	for (; *s; s++) {
		char c = *s;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) || n + 1 >= SB_ENTITY_LEN)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return n > 0;
}

static bool entities(const struct sb_json *o, struct sb_answer *a, char *why, size_t cap)
{
	const struct sb_json *arr = sb_json_get(o, "key_entities"), *e;

	a->n_entities = 0;
	if (!arr)
		return no(why, cap, "key_entities is missing");
	if (!sb_json_is_array(arr))
		return no(why, cap, "key_entities must be an array of ticker symbols");
	SB_JSON_FOR_EACH(e, arr) {
		char sym[SB_ENTITY_LEN];
		bool seen = false;

		if (!sb_json_is_string(e) || !symbol(sb_json_string(e), sym))
			return no(why, cap,
				  "key_entities must hold ticker symbols (1-15 letters or digits, e.g. \"BTC\"), got %.40s",
				  sb_json_is_string(e) ? sb_json_string(e) : "a non-string");
		for (size_t i = 0; i < a->n_entities; i++)
			seen |= !strcmp(a->entities[i], sym);
		if (seen)
			continue;
		if (a->n_entities == SB_MAX_ENTITIES)
			return no(why, cap, "key_entities must hold at most %d symbols",
				  SB_MAX_ENTITIES);
		memcpy(a->entities[a->n_entities++], sym, SB_ENTITY_LEN);
	}
	return true;
}

bool sb_answer_parse(const char *text, size_t len, struct sb_answer *a, char *why,
		     size_t why_cap)
{
	struct sb_json *o;
	const char *sum;
	bool ok;

	memset(a, 0, sizeof(*a));
	strip_fence(&text, &len);
	o = sb_json_parse(text, len);
	if (!sb_json_is_object(o)) {
		sb_json_free(o);
		return no(why, why_cap, "the answer must be one JSON object, got '%.60s'", text);
	}
	ok = unit_number(o, "sentiment_score", -1.0, &a->score, why, why_cap) &&
	     unit_number(o, "confidence", 0.0, &a->confidence, why, why_cap) &&
	     entities(o, a, why, why_cap);
	sum = sb_json_string(sb_json_get(o, "summary"));
	if (ok && sb_json_get(o, "summary") && !sum && !sb_json_is_null(sb_json_get(o, "summary")))
		ok = no(why, why_cap, "summary must be a string");
	if (ok && sum) {
		size_t n = strlen(sum);

		if (n > SB_SUMMARY_MAX) {
			n = SB_SUMMARY_MAX;
			while (n > 0 && ((unsigned char)sum[n] & 0xC0) == 0x80)
				n--;   /* not inside a UTF-8 sequence */
		}
		memcpy(a->summary, sum, n);
		a->summary[n] = '\0';
	}
	sb_json_free(o);
	return ok;
}
