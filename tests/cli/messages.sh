#!/bin/sh
# messages.sh - messages that prevent silent mistakes: what was left out is counted
# (manifest "coverage", checked against hand counts) and summarised on stderr; news
# that misses the candles is an error; options that do not apply, misspelled commands,
# options and metrics are usage errors (exit 2) with a did-you-mean; one meaning per
# short option across commands; convert does not overwrite without --force.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes
set -u
TEST_NAME=messages
. tests/cli/lib/common.sh

# Candles 00:00, 00:01, then 00:04 and 00:05: 00:02 and 00:03 have no row (2 filled).
cat >"$d/px.csv" <<'CSV'
time,open,high,low,close,volume
2024-01-01T00:00:00Z,100,100,100,100,1
2024-01-01T00:01:00Z,100,101,100,101,1
2024-01-01T00:04:00Z,101,102,101,102,1
2024-01-01T00:05:00Z,102,102,101,101,1
CSV
# By hand, candles span [00:00, 00:06): b1 before, x1 not about BTC, i1 i2 i3 inside,
# a1 exactly at the end (after), a2 after.  With --latency 2m, i3 (00:04:30 + 2m =
# 00:06:30) is after too, and b1 (23:58:30 + 2m = 00:00:30) is inside.
cat >"$d/news.jsonl" <<'JSON'
{"id":"b1","published_at":"2023-12-31T23:58:30Z","sentiment_score":0.8,"confidence":0.9,"symbols":["BTC"]}
{"id":"x1","published_at":"2024-01-01T00:00:30Z","sentiment_score":0.8,"confidence":0.9,"symbols":["ETH"]}
{"id":"i1","published_at":"2024-01-01T00:00:30Z","sentiment_score":0.8,"confidence":0.9,"symbols":["BTC"]}
{"id":"i2","published_at":"2024-01-01T00:02:10Z","sentiment_score":0.0,"confidence":0.9,"symbols":["BTC"]}
{"id":"i3","published_at":"2024-01-01T00:04:30Z","sentiment_score":-0.8,"confidence":0.9,"symbols":["BTC"]}
{"id":"a1","published_at":"2024-01-01T00:06:00Z","sentiment_score":0.8,"confidence":0.9,"symbols":["BTC"]}
{"id":"a2","published_at":"2024-01-01T01:00:00Z","sentiment_score":0.8,"confidence":0.9,"symbols":["BTC"]}
JSON
common="--prices $d/px.csv --window 1m --candle-cache="

coverage() {   # $1 = result folder: the manifest's coverage as one line
	python3 -c 'import json,sys
c = json.load(open(sys.argv[1] + "/manifest.json"))["coverage"]
print(c["candles"], c["filled_candles"], c["articles_read"], c["not_about_entity"], c["articles"],
      " ".join("%g:%d:%d" % (o["latency_s"], o["before"], o["after"]) for o in c["outside_candles"]))' "$1"
}

if command -v python3 >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	"$BIN" backtest $common --sentiment "$d/news.jsonl" --entity BTC --out "$d/bt" 2>"$d/err" >/dev/null ||
		fail "backtest: $(cat "$d/err")"
	got=$(coverage "$d/bt")
	[ "$got" = "6 2 7 1 6 0:1:2" ] && ok "backtest coverage: $got" ||
		fail "backtest coverage: got '$got', expected '6 2 7 1 6 0:1:2'"
	grep -qx 'sentibt backtest: left out: 1 of 7 articles not about BTC; 1 before and 2 after the candles; 2 of 6 candles had no trade (filled with the previous close) (manifest.json "coverage")' "$d/err" &&
		ok "stderr summary" || fail "stderr summary: $(cat "$d/err")"
	# shellcheck disable=SC2086
	"$BIN" sweep -q $common --sentiment "$d/news.jsonl" --entity BTC --latency 0,2m --out "$d/sw" 2>"$d/err" ||
		fail "sweep: $(cat "$d/err")"
	got=$(coverage "$d/sw")
	[ "$got" = "6 2 7 1 6 0:1:2 120:0:3" ] && ok "sweep coverage at two latencies: $got" ||
		fail "sweep coverage: got '$got', expected '6 2 7 1 6 0:1:2 120:0:3'"
	[ ! -s "$d/err" ] && ok "-q: no summary" || fail "-q printed: $(cat "$d/err")"
	# shellcheck disable=SC2086
	"$BIN" sweep $common --sentiment "$d/news.jsonl" --entity BTC --latency 0,2m --out "$d/sw2" 2>"$d/err" >/dev/null
	grep -q "left out: 1 of 7 articles not about BTC; 1 before and 2 after the candles at latency 0s, 0 before and 3 after the candles at latency 120s; 2 of 6" "$d/err" &&
		ok "sweep summary at two latencies" || fail "sweep summary: $(cat "$d/err")"
else
	echo "SKIP: python3 missing: manifest coverage not checked"
fi

# No overlap at all: an error naming both files and their spans, no folder.
printf '{"published_at":"2025-06-01T00:00:00Z","sentiment_score":0.8,"confidence":0.9}\n' >"$d/later.jsonl"
for cmd in backtest sweep events; do
	args=$common
	[ $cmd = events ] && args="--prices $d/px.csv --horizons 1m --candle-cache="
	# shellcheck disable=SC2086
	"$BIN" $cmd $args --sentiment "$d/later.jsonl" --out "$d/none-$cmd" >/dev/null 2>"$d/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q "no article of $d/later.jsonl (published 2025-06-01T00:00:00Z .. 2025-06-01T00:00:00Z) falls inside the candles of $d/px.csv (2024-01-01T00:00:00Z .. 2024-01-01T00:06:00Z)" "$d/err" &&
	   [ ! -e "$d/none-$cmd" ]; then
		ok "$cmd: no overlap is an error"
	else
		fail "$cmd: no overlap: exit $rc: $(cat "$d/err")"
	fi
done

# sweep --dry-run: the grid, its signal groups, the estimate; nothing written.  By hand
# (the rates in run/estimate.c): 3 thresholds x 2 min-confidences = 6 combinations in
# 2 groups over 6 candles; disk = 6 x 373 B (summary.csv) + 6 curves x 6 candles x 68.4 B
# (equity) = 2,238 + 2,462.4 = 4.7 kB; time with the scalar kernel on 1 thread =
# 6 x 6 / 8.4e7 + 2 x 6 x 4.6e-9 + 6 x 6.4e-6 (summary.csv) + 6 x 6 x 1.2e-7 = 4.32e-05 s.
# shellcheck disable=SC2086
"$BIN" sweep $common --sentiment "$d/news.jsonl" --threshold 0.3,0.5,0.7 --min-confidence 0.5,0.8 \
	--top 10 --kernel scalar --threads 1 --dry-run --out "$d/dry" >"$d/out" 2>"$d/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -e "$d/dry" ] &&
   grep -q "^sweep --dry-run: 6 combinations in 2 signal groups over 6 candles, 7 articles" "$d/out" &&
   grep -q "estimated time: 4.32e-05 s on 1 thread, kernel scalar" "$d/out" &&
   grep -q "estimated disk: 4.7 kB in $d/dry (summary.csv 2.2 kB, equity/ 2.5 kB" "$d/out"; then
	ok "sweep --dry-run: size, groups, time and disk as computed by hand; nothing written"
else
	fail "sweep --dry-run: exit $rc: $(cat "$d/out" "$d/err")"
fi
# With an exit axis the lanes run in the exits kernels, at 0.6x the scalar rate: 12
# combinations (x --stop-loss 0,0.01), grid 12 x 6 / (8.4e7 x 0.6) = 1.43e-06 s, total
# 1.43e-06 + 2 x 6 x 4.6e-9 + 12 x 6.4e-6 + 10 x 6 x 1.2e-7 = 8.55e-05 s.
# shellcheck disable=SC2086
"$BIN" sweep $common --sentiment "$d/news.jsonl" --threshold 0.3,0.5,0.7 --min-confidence 0.5,0.8 \
	--stop-loss 0,0.01 --top 10 --kernel scalar --threads 1 --dry-run --out "$d/dry" >"$d/out" 2>"$d/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -e "$d/dry" ] &&
   grep -q "estimated time: 8.55e-05 s on 1 thread, kernel scalar (grid 1.43e-06 s" "$d/out" &&
   grep -q "exits kernels .* at 0.6x that rate" "$d/out"; then
	ok "sweep --dry-run with exit axes: the exits kernels' rate, as computed by hand"
else
	fail "sweep --dry-run with exit axes: exit $rc: $(cat "$d/out" "$d/err")"
fi
# Over 1,000,000 combinations: a usage error before anything is loaded, unless --yes.
big="--threshold 0:1:0.001 --min-confidence 0:1:0.001"
# shellcheck disable=SC2086
expect_usage "a grid over the limit" "the grid has 1,002,001 combinations (1,001 signal groups), over the limit of 1,000,000" \
	sweep $common --sentiment "$d/news.jsonl" $big
expect_usage "--confidence const:1.5 (a usage error, not a failure after loading)" "expected field, abs or const:X" \
	backtest --prices x.csv --sentiment y.jsonl --confidence const:1.5
# shellcheck disable=SC2086
"$BIN" sweep $common --sentiment "$d/news.jsonl" $big --dry-run --out "$d/dry" >"$d/out" 2>&1 &&
	grep -q "1,002,001 combinations in 1,001 signal groups" "$d/out" && ok "--dry-run shows a grid over the limit" ||
	fail "--dry-run over the limit: $(cat "$d/out")"

# Options that do not apply to the input.
expect_usage "--time-col with JSON Lines" "--time-col maps the columns of a news CSV, but $d/news.jsonl is JSON Lines" \
	backtest --prices "$d/px.csv" --sentiment "$d/news.jsonl" --window 1m --candle-cache= --time-col when
expect_usage "--score-col with JSON Lines (sweep)" "--score-col maps the columns" \
	sweep --prices "$d/px.csv" --sentiment "$d/news.jsonl" --window 1m --candle-cache= --score-col s

# Did-you-mean, exit 2.
want2() {   # $1 = what, $2 = part of the message, then the command
	what=$1 want=$2
	shift 2
	"$BIN" "$@" >"$d/out" 2>&1
	rc=$?
	[ $rc -eq 2 ] && grep -q -- "$want" "$d/out" && ok "$what: exit 2" || fail "$what: exit $rc: $(cat "$d/out")"
}
want2 "misspelled command" "'sweeep' is not a command; did you mean 'sweep'?" sweeep
want2 "help for a misspelled command" "did you mean 'backtest'?" help bakctest
want2 "misspelled global option" "did you mean '--version'?" --verison
want2 "misspelled option" "unknown option '--thresold'; did you mean '--threshold'?" sweep --thresold 0.5
want2 "misspelled option with a value" "did you mean '--min-confidence'?" backtest --min-confidnce=0.5
want2 "misspelled fetch option" "did you mean '--name'?" fetch url --nmae x http://127.0.0.1:9/x
want2 "misspelled verify option" "did you mean '--tolerance'?" verify --tolerence 0 "$d"
want2 "misspelled score option" "unknown option '--modle'; did you mean '--model'?" score --modle x
want2 "score option without its value" "option '--model' needs a value" score --news x --model
want2 "misspelled batch option" "unknown option '--scirpts'; did you mean '--scripts'?" batch --scirpts x spec.json
want2 "misspelled exit option" "did you mean '--take-profit'?" sweep --take-proft 0.1
want2 "unknown option, no suggestion" "unknown option '--zzzzzzzz'" events --zzzzzzzz
want2 "strategy option given to events, named" "'--window' is a strategy option" events --window 1m
want2 "report --metric sharp" "did you mean 'sharpe'?" report "$d" --metric sharp
grep -q "^metrics: total_return sharpe .* psr dsr" "$d/out" && ok "report lists the metrics" ||
	fail "report --metric sharp: no list of metrics: $(cat "$d/out")"
want2 "sweep --rank-by sharp" "did you mean 'sharpe'?" sweep --prices "$d/px.csv" --sentiment "$d/news.jsonl" --rank-by sharp

# One meaning per short option across all commands, read from every --help.
for c in $("$BIN" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}'); do
	"$BIN" "$c" --help 2>/dev/null | grep -oE '^ +-[a-zA-Z], --[a-z-]+' | sed "s/^ *//; s/,//; s/^/$c /"
done | sort -u >"$d/shorts"
dups=$(awk '{print $2, $3}' "$d/shorts" | sort -u | awk '{n[$1]++; l[$1] = l[$1] " " $2} END {for (k in n) if (n[k] > 1) print k ":" l[k]}')
[ -s "$d/shorts" ] && [ -z "$dups" ] && ok "short options: one meaning each ($(awk '{print $2}' "$d/shorts" | sort -u | tr '\n' ' '))" ||
	fail "short options with several meanings: $dups"

# convert does not overwrite without --force.
echo keep >"$d/conv.jsonl"
"$BIN" convert "$d/news.jsonl" --out "$d/conv.jsonl" -q 2>"$d/err"
rc=$?
[ $rc -eq 2 ] && grep -q "exists; pass --force" "$d/err" && [ "$(cat "$d/conv.jsonl")" = keep ] &&
	ok "convert refuses to overwrite" || fail "convert overwrite: exit $rc, $(cat "$d/err")"
"$BIN" convert "$d/news.jsonl" --out "$d/conv.jsonl" -q --force 2>"$d/err" && [ "$(wc -l <"$d/conv.jsonl")" -eq 7 ] &&
	ok "convert --force replaces" || fail "convert --force: $(cat "$d/err")"
want2 "convert --time-col with JSON Lines" "--time-col maps the columns" convert "$d/news.jsonl" --out "$d/c2.jsonl" --time-col when
[ ! -e "$d/c2.jsonl" ] || fail "convert wrote output after a usage error"

[ "$fails" -eq 0 ]
