/*
 * cli_sample.c - `sentibt sample`: write the seeded SYNTHETIC sample data, offline.
 *
 * The data are made up (see loaders/sample_gen.h for the model and the planted weak link
 * between sentiment and the following returns); they exist to try the pipeline, test it
 * and benchmark it, never to study real markets.
 */
#include "cli.h"
#include "../loaders/sample_gen.h"
#include "../loaders/textio.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sentibt sample [--out DIR] [--seed N] [--days N] [--start YYYY-MM-DD]\n"
		"                      [--symbols SYM,SYM] [--articles-per-day N]\n"
		"\n"
		"Writes SYNTHETIC sample data, generated offline from a seed: the numbers are\n"
		"simulated (volatility clustering, bursty trade arrivals, and a deliberately planted\n"
		"weak link between an article's sentiment and the next 10-30 minutes' return of its\n"
		"symbol). Use them to try and test sentibt, not to learn about real markets.\n"
		"\n"
		"  DIR/binance_trades_YYYY-MM-DD_SYMBOL.csv.gz  Tardis trades CSV, one per symbol per day\n"
		"  DIR/news.jsonl                              scored articles for the whole span\n"
		"\n"
		"The same options and seed give byte-identical files. Files are written under a\n"
		"temporary name and renamed when complete; existing files are replaced.\n"
		"\n"
		"options:\n"
		"  -o, --out DIR              output folder, created if missing (default data/sample)\n"
		"      --seed N               seed, 0 .. 2^63-1 (default 42)\n"
		"  -d, --days N               number of days, 1 .. %d (default 7)\n"
		"      --start YYYY-MM-DD     first day, UTC (default 2024-03-01)\n"
		"      --symbols LIST         comma-separated, e.g. BTCUSDT,ETHUSDT (the default)\n"
		"      --articles-per-day N   articles a day over all symbols, 0 .. %d (default 1500)\n"
		"  -h, --help                 show this help\n"
		"\n"
		"exit codes: 0 success, 1 failure (I/O), 2 usage error\n",
		SB_SAMPLE_MAX_DAYS, SB_SAMPLE_MAX_ARTICLES_PER_DAY);
}

/* "YYYY-MM-DD" exactly, and a real date. */
static bool parse_date(const char *s, int64_t *t_us)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	return sb_parse_time(s, t_us) && *t_us % SB_US_PER_DAY == 0;
}

int cmd_sample(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out",              required_argument, NULL, 'o' },
		{ "seed",             required_argument, NULL, 'e' },
		{ "days",             required_argument, NULL, 'd' },
		{ "start",            required_argument, NULL, 'S' },
		{ "symbols",          required_argument, NULL, 'y' },
		{ "articles-per-day", required_argument, NULL, 'a' },
		{ "help",             no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sb_sample_opts o;
	struct sb_sample_stats st;
	struct sb_errbuf err;
	int64_t v;
	int c;
	char rows[32], bytes[32], arts[32], first[SB_TIME_LEN], last[SB_TIME_LEN];

	sb_sample_opts_init(&o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				return sb_cli_usage_error(argv[0], "--out: expected a folder, got ''");
			o.out_dir = optarg;
			break;
		case 'e':
			if (!sb_parse_int64(optarg, &v) || v < 0)
				return sb_cli_usage_error(argv[0], "--seed: expected an integer "
							  ">= 0, got '%s'", optarg);
			o.seed = (uint64_t)v;
			break;
		case 'd':
			if (!sb_parse_int64(optarg, &v) || v < 1 || v > SB_SAMPLE_MAX_DAYS)
				return sb_cli_usage_error(argv[0], "--days: expected an integer "
							  "1-%d, got '%s'", SB_SAMPLE_MAX_DAYS,
							  optarg);
			o.days = (int)v;
			break;
		case 'S':
			if (!parse_date(optarg, &v) || v < 0)
				return sb_cli_usage_error(argv[0], "--start: expected a date "
							  "YYYY-MM-DD from 1970, got '%s'", optarg);
			o.start_us = v;
			break;
		case 'y':
			if (sb_sample_set_symbols(&o, optarg, &err) != SB_OK)
				return sb_cli_usage_error(argv[0], "--%s", err.msg);
			break;
		case 'a':
			if (!sb_parse_int64(optarg, &v) || v < 0 ||
			    v > SB_SAMPLE_MAX_ARTICLES_PER_DAY)
				return sb_cli_usage_error(argv[0], "--articles-per-day: expected an "
							  "integer 0-%d, got '%s'",
							  SB_SAMPLE_MAX_ARTICLES_PER_DAY, optarg);
			o.articles_per_day = (double)v;
			break;
		case 'h':
			usage(stdout);
			return SB_EXIT_OK;
		default:
			return sb_cli_bad_option(argv[0], longopts, argv, c);
		}
	}
	if (optind < argc)
		return sb_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);

	if (sb_sample_generate(&o, &st, &err) != SB_OK) {
		sb_cli_error("sample: %s", err.msg);
		return SB_EXIT_FAIL;
	}
	sb_cli_grouped(st.trades, rows);
	sb_cli_grouped(st.bytes, bytes);
	sb_cli_grouped(st.articles, arts);
	sb_format_time(o.start_us, first);
	sb_format_time(o.start_us + (int64_t)o.days * SB_US_PER_DAY - SB_US_PER_SEC, last);
	first[10] = last[10] = '\0';
	fprintf(stderr, "sentibt: wrote %zu trades files (%s rows, %zu symbols x %d days, %s to %s) "
		"to %s/\n", st.trade_files, rows, o.n_symbols, o.days, first, last, o.out_dir);
	fprintf(stderr, "sentibt: wrote %s/news.jsonl (%s articles)\n", o.out_dir, arts);
	fprintf(stderr, "sentibt: SYNTHETIC data from seed %llu, %s bytes in all\n",
		(unsigned long long)o.seed, bytes);
	return SB_EXIT_OK;
}
