#!/bin/sh
# backtest.sh - `sentibt backtest` end to end: a tiny hand-made pair with a hand-computed
# result, the atomic output folder, usage and input errors, then the real data pair.
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
set -u

TEST_NAME=backtest
. tests/cli/lib/common.sh

if command -v python3 >/dev/null 2>&1; then have_py=1; else have_py=0; fi

# ---------------------------------------------------------------------------------------
# The tiny pair.  Six 1m candles from 2024-01-01T00:00Z, close 100,100,105,110,110,120.
# Articles (k = 0.7, W = 1m, L = 0, h = 0.5, e = 0.1, f = 5 bps + 0):
#   a1 00:00:30 score  0.8 conf 0.9  -> candle 0: flat, 0.8 > 0.5: long at 100
#   a4 00:02:00 score  0.9 conf 0.3  -> below k, ignored
#   a2 00:03:10 score  0.0 conf 0.9  -> candle 3: |0| < 0.1: exit at 110
#   a3 00:04:20 score -0.6 conf 0.95 -> candle 4: flat, -0.6 < -0.5: short at 110
#   candle 5 has no signal: the short stays open, marked at 120.
# By hand, f = 0.0005:
#   q1 = 10000 / (100 * 1.0005) = 99.950024987506...
#   cash after exit = q1 * 110 * 0.9995 = 10989.005497251375
#   q2 = cash / (110 * 1.0005) = 99.850124912556...
#   final = cash + q2*110*0.9995 - q2*120 = cash - q2 * 10.055 = 9985.0124912556...
# trades 2 (the short open), closed 1; equity.csv has 6 rows.
# ---------------------------------------------------------------------------------------
cat >"$d/prices.csv" <<'EOF'
time,open,high,low,close,volume
2024-01-01T00:00:00Z,100,100,100,100,1
2024-01-01T00:01:00Z,100,100,100,100,1
2024-01-01T00:02:00Z,100,105,100,105,1
2024-01-01T00:03:00Z,105,110,105,110,1
2024-01-01T00:04:00Z,110,110,110,110,1
2024-01-01T00:05:00Z,110,120,110,120,1
EOF
cat >"$d/news.jsonl" <<'EOF'
{"id":"a1","published_at":"2024-01-01T00:00:30Z","sentiment_score":0.8,"confidence":0.9}
{"id":"a4","published_at":"2024-01-01T00:02:00Z","sentiment_score":0.9,"confidence":0.3}
{"id":"a2","published_at":"2024-01-01T00:03:10Z","sentiment_score":0.0,"confidence":0.9}
{"id":"a3","published_at":"2024-01-01T00:04:20Z","sentiment_score":-0.6,"confidence":0.95}
EOF

opts="--interval 1m --window 1m --min-confidence 0.7 --exit-band 0.1 --fee-bps 5
 --slippage-bps 0 --latency 0s --candle-cache="

# shellcheck disable=SC2086  # $opts is a word list on purpose
run_bt() { "$BIN" backtest --prices "$d/prices.csv" --sentiment "$d/news.jsonl" $opts "$@"; }

no_tmp_left() {   # $1 = final folder path
	for x in "$1".tmp-*; do
		[ -e "$x" ] && { fail "temporary folder left behind: $x"; return; }
	done
}

run_bt --threshold 0.5 --out "$d/run" -q >"$d/out" 2>"$d/err"
rc=$?
if [ $rc -ne 0 ]; then
	fail "tiny backtest exit $rc: $(cat "$d/err")"
else
	ok "tiny backtest exit 0"
	for f in metrics.json equity.csv trades.csv; do
		[ -s "$d/run/$f" ] || fail "missing $d/run/$f"
	done
	# equity.csv: header + one row per candle
	n=$(wc -l <"$d/run/equity.csv")
	[ "$n" -eq 7 ] && ok "equity.csv 6 rows" || fail "equity.csv has $n lines, want 7"
	# trades.csv: header + 2 trades; the first a closed long, the second an open short
	n=$(wc -l <"$d/run/trades.csv")
	[ "$n" -eq 3 ] && ok "trades.csv 2 rows" || fail "trades.csv has $n lines, want 3"
	row1=$(sed -n 2p "$d/run/trades.csv")
	row2=$(sed -n 3p "$d/run/trades.csv")
	case $row1 in
	2024-01-01T00:01:00Z,100,2024-01-01T00:04:00Z,110,long,*,0,signal) ok "trade 1 closed long 100->110" ;;
	*) fail "trade 1 row: $row1" ;;
	esac
	case $row2 in
	2024-01-01T00:05:00Z,110,*,120,short,*,1,end) ok "trade 2 open short at 110, marked 120" ;;
	*) fail "trade 2 row: $row2" ;;
	esac
	if [ $have_py -eq 1 ]; then
		python3 - "$d/run/metrics.json" <<'EOF' || fail "metrics.json check"
import json, math, sys
m = json.load(open(sys.argv[1]))
keys = ["total_return", "sharpe", "sortino", "max_drawdown", "calmar", "trades",
        "closed_trades", "win_rate", "profit_factor", "exposure", "avg_trade_return",
        "final_equity", "exits", "excess_return", "buy_and_hold"]
bad = [k for k in keys if k not in m] + [k for k in m if k not in keys]
if bad:
    sys.exit("metrics.json keys wrong: %s" % bad)
f = 0.0005
q1 = 10000 / (100 * (1 + f))
cash = q1 * 110 * (1 - f)
q2 = cash / (110 * (1 + f))
final = cash + q2 * 110 * (1 - f) - q2 * 120
assert abs(final - 9985.0124912556) < 1e-6, final      # the comment's arithmetic
want = {"final_equity": final, "total_return": final / 10000 - 1, "trades": 2,
        "closed_trades": 1, "win_rate": 1.0,
        # candles 0,1,2 long, 3 flat, 4,5 short -> 5/6
        "exposure": 5 / 6,
        # one closed trade: 10989.0054972513.../10000 - 1
        "avg_trade_return": cash / 10000 - 1,
        # worst: E5 = final vs the peak E3 = cash
        "max_drawdown": 1 - final / cash}
for k, v in want.items():
    if m[k] is None or abs(m[k] - v) > 1e-9 * max(1, abs(v)):
        sys.exit("%s = %r, want %r" % (k, m[k], v))
if m["profit_factor"] is not None:   # no losing closed trade: empty
    sys.exit("profit_factor = %r, want null" % m["profit_factor"])
print("ok: metrics.json keys and hand-computed values")
EOF
	else
		echo "SKIP: python3 absent, metrics.json values not checked"
		grep -q '"final_equity"' "$d/run/metrics.json" || fail "no final_equity in metrics.json"
	fi
fi

# ---------------------------------------------------------------------------------------
# An existing --out is not touched without --force; --force replaces it.
# ---------------------------------------------------------------------------------------
if [ -d "$d/run" ]; then
	echo marker >"$d/run/marker"
	cp "$d/run/metrics.json" "$d/metrics.before"
	run_bt --threshold 0.95 --out "$d/run" -q >"$d/out" 2>"$d/err"
	rc=$?
	[ $rc -eq 1 ] && ok "existing --out: exit 1" || fail "existing --out: exit $rc, want 1"
	[ -f "$d/run/marker" ] && cmp -s "$d/metrics.before" "$d/run/metrics.json" &&
		ok "existing --out unchanged" || fail "existing --out was modified"
	grep -q -- "--force" "$d/err" || fail "no hint about --force: $(cat "$d/err")"
	no_tmp_left "$d/run"

	# h = 0.95: no signal beyond it, no trade, equity stays 10000.
	run_bt --threshold 0.95 --out "$d/run" --force -q >"$d/out" 2>"$d/err"
	rc=$?
	[ $rc -eq 0 ] && ok "--force: exit 0" || fail "--force: exit $rc: $(cat "$d/err")"
	[ ! -e "$d/run/marker" ] && ok "--force replaced the folder" || fail "--force left the old folder's files"
	grep -q '"final_equity":[[:space:]]*10000' "$d/run/metrics.json" &&
		grep -q '"trades":[[:space:]]*0' "$d/run/metrics.json" &&
		ok "--force output is the new run" || fail "--force output: $(cat "$d/run/metrics.json")"
	[ "$(wc -l <"$d/run/trades.csv")" -eq 1 ] || fail "--force: trades.csv should have only its header"
	no_tmp_left "$d/run"
	for x in "$d"/run.old-*; do
		[ -e "$x" ] && fail "old folder left behind: $x"
	done
fi

# ---------------------------------------------------------------------------------------
# Usage errors: exit 2, nothing written.  Help: exit 0.
# ---------------------------------------------------------------------------------------
expect_usage() {   # description, then args
	desc=$1; shift
	run_bt --out "$d/usage" "$@" >"$d/out" 2>"$d/err"
	rc=$?
	[ $rc -eq 2 ] && ok "$desc: exit 2" || fail "$desc: exit $rc, want 2"
	[ -s "$d/err" ] || fail "$desc: no message on stderr"
	[ ! -e "$d/usage" ] || fail "$desc: output folder created"
}
expect_usage "unknown option" --no-such-option
expect_usage "bad threshold" --threshold abc
expect_usage "grid given to backtest" --threshold 0.1,0.2
expect_usage "negative fee" --fee-bps -5
expect_usage "fee of 100%" --fee-bps 9000 --slippage-bps 1000
expect_usage "min-confidence above 1" --min-confidence 1.5
expect_usage "negative threshold" --threshold -0.5
expect_usage "negative exit band" --exit-band -1
expect_usage "latency of 1000 years" --latency 365000d
# A window that is not a whole number of candles: the options contradict each other.
expect_usage "window of 1.5 candles" --window 90s
grep -q "window" "$d/err" || fail "window of 1.5 candles: message: $(cat "$d/err")"
no_tmp_left "$d/usage"

# --force replaces a result folder, never a folder of other files or a file.
mkdir -p "$d/thesis" && echo "x" >"$d/thesis/thesis.tex" && echo "x" >"$d/afile"
for target in "$d/thesis" "$d/afile"; do
	run_bt --out "$target" --force -q >"$d/out" 2>"$d/err"
	rc=$?
	[ $rc -eq 1 ] && grep -q "not a sentibt result folder" "$d/err" &&
		ok "--force refuses to replace $(basename "$target")" ||
		fail "--force on $(basename "$target"): exit $rc: $(cat "$d/err")"
done
[ -s "$d/thesis/thesis.tex" ] && [ -s "$d/afile" ] || fail "--force destroyed files that are not results"
"$BIN" backtest --sentiment "$d/news.jsonl" --out "$d/usage" >/dev/null 2>&1
rc=$?; [ $rc -eq 2 ] && ok "missing --prices: exit 2" || fail "missing --prices: exit $rc, want 2"

"$BIN" help backtest >"$d/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "help backtest: exit 0" || fail "help backtest: exit $rc"
grep -q -- "--prices" "$d/out" || fail "help backtest does not mention --prices"
"$BIN" backtest --help >"$d/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "backtest --help: exit 0" || fail "backtest --help: exit $rc"

# ---------------------------------------------------------------------------------------
# Bad inputs: exit 1, "file:line:" in the message, no output folder, no temporary leftovers.
# ---------------------------------------------------------------------------------------
cat >"$d/bad.csv" <<'EOF'
time,open,high,low,close,volume
2024-01-01T00:00:00Z,100,100,100,100,1
2024-01-01T00:01:00Z,100,100,100,abc,1
EOF
# expect_bad DESC WHERE PRICES SENTIMENT: exit 1, WHERE named in the message, nothing
# written at the output path.
expect_bad() {
	"$BIN" backtest --prices "$3" --sentiment "$4" --candle-cache= \
		--out "$d/badrun" -q >"$d/out" 2>"$d/err"
	rc=$?
	[ $rc -eq 1 ] && ok "$1: exit 1" || fail "$1: exit $rc, want 1"
	grep -q "$2" "$d/err" && ok "$1: message names $2" ||
		fail "$1: message lacks $2: $(cat "$d/err")"
	[ ! -e "$d/badrun" ] || fail "$1: output folder created"
	no_tmp_left "$d/badrun"
}
expect_bad "bad price file" "bad.csv:3" "$d/bad.csv" "$d/news.jsonl"

cat >"$d/bad.jsonl" <<'EOF'
{"id":"a1","published_at":"2024-01-01T00:00:30Z","sentiment_score":0.8,"confidence":0.9}
{"id":"a2","published_at":"2024-01-01T00:03:10Z","sentiment_score":"high","confidence":0.9}
EOF
expect_bad "bad sentiment file" "bad.jsonl:2" "$d/prices.csv" "$d/bad.jsonl"
expect_bad "missing price file" "does-not-exist.csv" "$d/does-not-exist.csv" "$d/news.jsonl"

# ---------------------------------------------------------------------------------------
# The real pair: 50000 one-minute BTCUSDT candles of 2022 and a news CSV scored
# -1..1 without a confidence column (so --confidence abs).
# ---------------------------------------------------------------------------------------
shared=${SENTIBT_SHARED:-../shared}
base=$shared/crypto-sentiment-backtest
rp=$base/Benicio1007__Bot_trading/data/dataset/2022/BTCUSDT_1m.csv
rs=$base/Bitcoin-Price-Prediction-Experiments__Bitcoin-Dataset-Viewer-and-Preparer/data/final_data/bitcoin_news_sentiments_21_23.csv
if [ ! -r "$rp" ] || [ ! -r "$rs" ]; then
	echo "SKIP: real data absent ($rp or $rs; set SENTIBT_SHARED)"
else
	"$BIN" backtest --prices "$rp" --sentiment "$rs" --confidence abs --candle-cache= \
		--out "$d/real" -q >"$d/out" 2>"$d/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "real pair: exit $rc: $(cat "$d/err")"
	else
		ok "real pair: exit 0"
		n=$(($(wc -l <"$d/real/equity.csv") - 1))
		[ "$n" -eq 50000 ] && ok "real pair: 50000 equity rows" ||
			fail "real pair: $n equity rows, want 50000"
		if [ $have_py -eq 1 ]; then
			python3 - "$d/real/metrics.json" <<'EOF' || fail "real pair sanity"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["trades"] >= 1, m
assert m["final_equity"] is not None and m["final_equity"] > 0, m
assert m["closed_trades"] <= m["trades"], m
assert 0 <= m["max_drawdown"] < 1, m
assert 0 <= m["exposure"] <= 1, m
print("ok: real pair: %d trades, final equity %.2f" % (m["trades"], m["final_equity"]))
EOF
		else
			echo "SKIP: python3 absent, real pair metrics not checked"
		fi
	fi
fi

# --- leftovers of killed runs (kill -9) are removed; a live run's folder is not ---
# A dead owner: a pid that does not exist.  A live owner: this shell, with its real
# start time (field 22 of /proc/$$/stat), and the same pid with another start time
# (a reused pid: the folder's run is dead).
dead=99999
while [ -e "/proc/$dead" ]; do dead=$((dead + 1)); done
start=$(sed 's/.*) //' "/proc/$$/stat" | cut -d' ' -f20)
mkdir -p "$d/kept.tmp-$dead-5-aaaaaa/equity" "$d/kept.tmp-$$-$start-bbbbbb" \
	"$d/kept.tmp-$$-$((start + 1))-cccccc" "$d/other.tmp-$dead-5-dddddd"
echo x >"$d/kept.tmp-$dead-5-aaaaaa/equity/1.csv"
run_bt --threshold 0.5 --out "$d/kept" -q >"$d/out" 2>"$d/err" || fail "run beside stale folders: $(cat "$d/err")"
[ ! -e "$d/kept.tmp-$dead-5-aaaaaa" ] && [ ! -e "$d/kept.tmp-$$-$((start + 1))-cccccc" ] &&
	ok "temporary folders of dead runs removed" || fail "stale temporary folders left: $(ls "$d")"
[ -d "$d/kept.tmp-$$-$start-bbbbbb" ] && ok "a live run's temporary folder kept" ||
	fail "a live run's temporary folder was removed"
[ -d "$d/other.tmp-$dead-5-dddddd" ] && ok "other outputs' folders untouched" ||
	fail "another output's temporary folder was removed"

if [ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all backtest CLI checks passed"
exit 0
