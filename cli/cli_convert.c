/* cli_convert.c - `sentibt convert`: any sentiment file to the canonical JSON Lines */
#include "cli.h"
#include "../core/atomic.h"   /* sb_path_within */
#include "../loaders/events.h"
#include "../loaders/input.h"
#include "../loaders/textio.h"

#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sentibt convert IN --out OUT.jsonl [options]\n"
		"\n"
		"Reads a sentiment file and writes it as JSON Lines, one article per line,\n"
		"sorted by time: {\"published_at\":\"RFC 3339 Z\",\"sentiment_score\":s,\"confidence\":c}.\n"
		"IN is told by its name: .jsonl, .msgpack (a stream of maps) or .csv with a\n"
		"header, each optionally .gz; a pipe (read once) without such a name is told\n"
		"by its first bytes.  Fields: published_at (RFC 3339 or integer epoch\n"
		"s/ms/us), sentiment_score in [-1,1], confidence in [0,1], optional id (alias\n"
		"article_id; duplicates after the first are dropped and counted) and symbols\n"
		"(alias key_entities).\n"
		"\n"
		"options:\n"
		"  -o, --out FILE           output JSON Lines file (required); written whole via a\n"
		"                           temporary file and rename, never left partial\n"
		"      --time-col C         CSV: time column (default 'date', then 'published_at');\n"
		"                           --time-col, --score-col and --confidence-col given\n"
		"                           for a JSON Lines or MessagePack input are an error\n"
		"      --score-col C        CSV: score column (default 'sentiment_score', then\n"
		"                           'Accurate Sentiments')\n"
		"      --confidence-col C   CSV: confidence column (default 'confidence')\n"
		"      --confidence MODE    where confidence comes from: 'field' (default, read\n"
		"                           from the file), 'abs' (= |score|), or 'const:X'\n"
		"                           (every article gets X in [0,1]); abs and const\n"
		"                           override a confidence field in the file\n"
		"      --entity SYM         keep only articles whose symbols include SYM (case-\n"
		"                           insensitive); an error when no article has symbols\n"
		"  -f, --force              replace OUT when it exists (else an existing OUT is\n"
		"                           a usage error, and nothing is read)\n"
		"  -q, --quiet              no summary line on stderr\n"
		"  -h, --help               this help\n"
		"\n"
		"A one-line summary (articles, duplicates, dropped, time span) goes to stderr.\n"
		"\n"
		"exit codes: 0 success, 1 failure (bad input with file:line, I/O), 2 usage error\n");
}

int cmd_convert(int argc, char **argv)
{
	enum { OPT_TIME_COL = 256, OPT_SCORE_COL, OPT_CONF_COL, OPT_CONF, OPT_ENTITY };
	static const struct option longopts[] = {
		{ "out",            required_argument, NULL, 'o' },
		{ "time-col",       required_argument, NULL, OPT_TIME_COL },
		{ "score-col",      required_argument, NULL, OPT_SCORE_COL },
		{ "confidence-col", required_argument, NULL, OPT_CONF_COL },
		{ "confidence",     required_argument, NULL, OPT_CONF },
		{ "entity",         required_argument, NULL, OPT_ENTITY },
		{ "force",          no_argument,       NULL, 'f' },
		{ "quiet",          no_argument,       NULL, 'q' },
		{ "help",           no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sb_events_opts o = { 0 };
	struct sb_input_info info;
	struct sb_events ev;
	struct sb_input src;
	struct sb_errbuf err = { { 0 } };
	const char *out = NULL;
	char t0[SB_TIME_LEN], t1[SB_TIME_LEN];
	bool quiet = false, force = false;
	enum sb_err e;
	struct stat st;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:fqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case OPT_TIME_COL:
			o.time_col = optarg;
			break;
		case OPT_SCORE_COL:
			o.score_col = optarg;
			break;
		case OPT_CONF_COL:
			o.conf_col = optarg;
			break;
		case OPT_CONF:
			if (!sb_conf_mode_parse(optarg, &o))
				return sb_cli_usage_error(argv[0],
					"--confidence: expected 'field', 'abs' or 'const:X' with X in [0,1], got '%s'",
					optarg);
			break;
		case OPT_ENTITY:
			if (!*optarg)
				return sb_cli_usage_error(argv[0], "--entity: expected a symbol");
			o.entity = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return SB_EXIT_OK;
		default:
			return sb_cli_bad_option(argv[0], longopts, argv, c);
		}
	}
	if (optind != argc - 1)
		return sb_cli_usage_error(argv[0], "expected exactly one input file, got %d",
					  argc - optind);
	if (!out)
		return sb_cli_usage_error(argv[0], "expected --out OUT.jsonl");
	if (o.conf_col && o.conf_mode != SB_CONF_FIELD)
		return sb_cli_usage_error(argv[0],
					  "--confidence-col needs --confidence field, not abs/const");
	if (!force && lstat(out, &st) == 0)
		return sb_cli_usage_error(argv[0], "%s exists; pass --force to replace it", out);
	/* JSON Lines keep fewer fields than some inputs: never in place */
	if (sb_path_within(argv[optind], out))
		return sb_cli_usage_error(argv[0], "%s is the input; write the JSON Lines to another file",
					  out);

	sb_events_init(&ev);
	if (sb_input_open(&src, argv[optind], &err) != SB_OK) {
		sb_cli_error("%s", err.msg);
		return SB_EXIT_FAIL;
	}
	e = sb_events_load(&ev, src.path, &o, &info, &err);
	if (e == SB_OK && sb_cli_column_options_apply(argv[0], o.time_col, o.score_col, o.conf_col,
						      argv[optind], info.kind) >= 0) {
		sb_input_close(&src);
		sb_events_release(&ev);
		return SB_EXIT_USAGE;
	}
	if (e != SB_OK || sb_events_write_jsonl(&ev, out, &err) != SB_OK) {
		sb_input_rename_msg(&src, err.msg, sizeof(err.msg));
		sb_cli_error("%s", err.msg);
		sb_input_close(&src);
		sb_events_release(&ev);
		return SB_EXIT_FAIL;
	}
	sb_input_close(&src);
	if (!quiet) {
		sb_format_time(info.t_first_us, t0);
		sb_format_time(info.t_last_us, t1);
		fprintf(stderr,
			"sentibt convert: %s: %llu articles written to %s (%s .. %s); %llu read, %llu duplicates, %llu dropped%s%s%s\n",
			argv[optind], (unsigned long long)info.rows_used, out, t0, t1,
			(unsigned long long)info.rows, (unsigned long long)info.duplicates,
			(unsigned long long)info.rows_dropped, info.dropped_why[0] ? " (" : "",
			info.dropped_why, info.dropped_why[0] ? ")" : "");
	}
	sb_events_release(&ev);
	return SB_EXIT_OK;
}
