/* lexicon.c - the crude built-in scorer (see lexicon.h) */
#include "lexicon.h"

#include <string.h>

/* Lower-case words; a trailing '*' matches any ending ("rall*": rally, rallies, rallied). */
static const char *const bullish[] = {
	"rall*", "surg*", "soar*", "jump*", "climb*", "gain*", "rise", "rises", "rising", "rose",
	"bull*", "rebound*", "recover*", "upgrade*", "approv*", "adopt*", "inflow*", "buy*",
	"breakout*", "outperform*", "partnership*", "launch*", "beat*", "boost*", "optimis*",
	"strong*", "accumulat*", "high", "highs", "record", NULL,
};
static const char *const bearish[] = {
	"slid*", "slide*", "drop*", "fall*", "fell", "plung*", "crash*", "tumbl*", "sink*",
	"sank", "bear*", "sell*", "sold", "dump*", "outflow*", "hack*", "exploit*", "ban",
	"bans", "banned", "lawsuit*", "sue", "sues", "sued", "fraud*", "liquidat*", "collaps*",
	"bankrupt*", "insolven*", "downgrade*", "reject*", "delay*", "weak*", "fear*", "loss",
	"losses", "declin*", "halt*", "probe*", "low", "lows", NULL,
};
static const char *const negations[] = { "not", "no", "never", "without", "despite", NULL };

static const struct { const char *word, *sym; } coins[] = {
	{ "bitcoin", "BTC" }, { "btc", "BTC" }, { "ethereum", "ETH" }, { "ether", "ETH" },
	{ "eth", "ETH" }, { "solana", "SOL" }, { "sol", "SOL" }, { "ripple", "XRP" },
	{ "xrp", "XRP" }, { "cardano", "ADA" }, { "ada", "ADA" }, { "dogecoin", "DOGE" },
	{ "doge", "DOGE" }, { "litecoin", "LTC" }, { "ltc", "LTC" }, { "bnb", "BNB" },
	{ "binance coin", "BNB" }, { "polkadot", "DOT" }, { "avalanche", "AVAX" },
	{ "avax", "AVAX" }, { "chainlink", "LINK" }, { "tron", "TRX" }, { "polygon", "MATIC" },
	{ "tether", "USDT" }, { "usdt", "USDT" }, { "usdc", "USDC" },
};

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Does the lower-cased text at p start with word w (and, if 'whole', end a word there)? */
static bool starts(const char *p, const char *stem, bool whole)
{
	size_t n = strlen(stem);

	return !strncmp(p, stem, n) && (!whole || !is_word_char(p[n]));
}

static bool in_list(const char *p, const char *const *list)
{
	for (; *list; list++) {
		size_t n = strlen(*list);

		if ((*list)[n - 1] == '*' ? !strncmp(p, *list, n - 1) : starts(p, *list, true))
			return true;
	}
	return false;
}

static void add_entity(struct sb_answer *a, const char *sym)
{
	for (size_t i = 0; i < a->n_entities; i++)
		if (!strcmp(a->entities[i], sym))
			return;
	if (a->n_entities < SB_MAX_ENTITIES)
		strcpy(a->entities[a->n_entities++], sym);
}

static void scan(const char *s, int *pos, int *neg, struct sb_answer *a)
{
	char w[4096];
	size_t n = 0;
	bool negate = false;

	if (!s)
		return;
	/* lower-case a bounded copy; the rest of a long text adds little to a word count */
	for (; *s && n + 1 < sizeof(w); s++)
		w[n++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
	w[n] = '\0';
	for (const char *p = w; *p; ) {
		if (!is_word_char(*p)) {
			p++;
			continue;
		}
		if (in_list(p, negations)) {
			negate = true;
		} else {
			int v = in_list(p, bullish) ? 1 : in_list(p, bearish) ? -1 : 0;

			if (negate)
				v = -v;
			*pos += v > 0;
			*neg += v < 0;
			negate = false;
			for (size_t i = 0; i < sizeof(coins) / sizeof(coins[0]); i++)
				if (starts(p, coins[i].word, true))
					add_entity(a, coins[i].sym);
		}
		while (is_word_char(*p))
			p++;
	}
}

void sb_lexicon_score(const char *title, const char *text, struct sb_answer *a)
{
	int pos = 0, neg = 0;

	memset(a, 0, sizeof(*a));
	scan(title, &pos, &neg, a);
	scan(text, &pos, &neg, a);
	if (pos + neg > 0) {
		/* exact in binary for small counts, so outputs do not depend on the compiler */
		a->score = (double)(pos - neg) / (double)(pos + neg);
		a->confidence = pos + neg >= 3 ? 0.9 : 0.3 * (double)(pos + neg);
	}
}
