#!/bin/sh
# report.sh - `sentibt report` on a small sweep and a backtest of a generated day: the
# charts (PNG with its magic bytes, SVG), report.html naming the best combination and
# its DSR, usage and folder errors, and no partial report folder on failure.
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $common is a word list on purpose
set -u

TEST_NAME=report
. tests/cli/lib/common.sh

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "SKIP: gnuplot not installed (apt-get install gnuplot-nox): report not tested"
	exit 0
fi

"$BIN" sample --out "$d/s" --days 1 >"$d/sample.out" 2>&1 ||
	{ echo "FAIL: sentibt sample: $(cat "$d/sample.out")"; exit 1; }
common="--prices $d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz --sentiment $d/s/news.jsonl
 --entity BTC --candle-cache= --interval 1m"
# 4 thresholds x 3 confidences x 2 windows = 24 combinations, top 3 with curves
"$BIN" sweep $common --threshold 0.2:0.5:0.1 --min-confidence 0.5,0.6,0.7 --window 5m,15m \
	--top 3 --out "$d/sw" >"$d/sweep.out" 2>&1 ||
	{ echo "FAIL: sweep: $(cat "$d/sweep.out")"; exit 1; }

is_png() {   # the 8-byte PNG signature 89 50 4E 47 0D 0A 1A 0A
	[ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

# --- sweep report ---
if "$BIN" report "$d/sw" >"$d/rep.out" 2>"$d/rep.err"; then
	ok "report exits 0"
else
	fail "report exited $?: $(cat "$d/rep.err")"
fi
R="$d/sw/report"
# window varies (5m, 15m): one heatmap per window value
for f in heatmap_0 heatmap_1 equity_top; do
	is_png "$R/$f.png" && ok "$f.png is a PNG" || fail "$f.png missing or not a PNG"
	grep -q '<svg' "$R/$f.svg" 2>/dev/null && ok "$f.svg is SVG" || fail "$f.svg missing"
done
[ ! -e "$R/heatmap_2.png" ] && ok "two heatmaps for two windows" || fail "unexpected heatmap_2"
# the best by sharpe, from summary.csv by hand: highest sharpe, empty cells last, ties by id
best=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "sharpe") c = i; next }
	$c != "" && (b == "" || $c + 0 > v) { v = $c + 0; b = $1 } END { print b }' "$d/sw/summary.csv")
[ -n "$best" ] || fail "no best id in summary.csv"
is_png "$R/equity_$best.png" && ok "equity curve of the best ($best)" || fail "no equity_$best.png"
is_png "$R/trades_$best.png" && ok "trade histogram of the best" || fail "no trades_$best.png"
n_eq=$(ls "$R"/equity_[0-9]*.png 2>/dev/null | wc -l)
[ "$n_eq" -eq 3 ] && ok "3 equity charts (--top 3 curves exist)" || fail "$n_eq equity charts, want 3"
grep -q "combination $best" "$R/report.html" && ok "report.html names the best id" ||
	fail "report.html does not mention combination $best"
grep -q '<th>dsr</th>' "$R/report.html" && grep -q 'best_dsr' "$R/report.html" &&
	ok "report.html has the psr/dsr table and stats.json facts" || fail "no dsr in report.html"
grep -q 'src="heatmap_0.png"' "$R/report.html" && ok "report.html shows the heatmap" ||
	fail "report.html lacks heatmap_0.png"

# an existing report is kept without --force; --force replaces it
"$BIN" report "$d/sw" >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'already exists' "$d/err" && ok "existing report refused (exit 1)" ||
	fail "existing report: exit $rc, $(cat "$d/err")"
"$BIN" report --force "$d/sw" >/dev/null 2>&1 && ok "--force replaces" || fail "--force failed"

# a slice: only window=5m -> one heatmap
"$BIN" report "$d/sw" --slice window=5m --out "$d/slice" >/dev/null 2>"$d/err" &&
	[ -s "$d/slice/heatmap_0.png" ] && [ ! -e "$d/slice/heatmap_1.png" ] &&
	ok "--slice window=5m: one heatmap" || fail "--slice: $(cat "$d/err")"

# placebo news and buy and hold from stats.json in the overfitting section
"$BIN" sweep $common --threshold 0.3,0.5 --min-confidence 0.6 --placebo 3 --keep 0 \
	--out "$d/pl" >/dev/null 2>"$d/err" || fail "sweep --placebo 3: $(cat "$d/err")"
if "$BIN" report "$d/pl" >/dev/null 2>"$d/err"; then
	grep -q '<th>p_value</th>' "$d/pl/report/report.html" &&
		grep -q '<th>best_percentile</th>' "$d/pl/report/report.html" &&
		grep -q 'Buy and hold' "$d/pl/report/report.html" &&
		ok "report.html: placebo (p_value) and buy and hold" || fail "report.html lacks the placebo block"
else
	fail "report of a placebo sweep: $(cat "$d/err")"
fi

# --- failures: exit code, message, no report folder left behind ---
"$BIN" report "$d/nope" --out "$d/r1" >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'expected a result folder' "$d/err" && ok "missing DIR: exit 1" ||
	fail "missing DIR: exit $rc, $(cat "$d/err")"
[ ! -e "$d/r1" ] && ok "no report folder for a missing DIR" || fail "left $d/r1"
mkdir "$d/bad" && printf 'id,threshold,sharpe\n0,0.1,1\n1,0.2\n' >"$d/bad/summary.csv"
"$BIN" report "$d/bad" >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'summary.csv:3: expected 3 fields' "$d/err" &&
	ok "short row: exit 1 with file:line" || fail "short row: exit $rc, $(cat "$d/err")"
[ -z "$(ls "$d/bad" | grep -v '^summary.csv$')" ] && ok "no partial report folder" ||
	fail "partial output in $d/bad: $(ls "$d/bad")"
"$BIN" report "$d/sw" --metric nosuch --out "$d/r2" >/dev/null 2>"$d/err"; rc=$?
[ $rc -ne 0 ] && [ ! -e "$d/r2" ] && ok "unknown metric fails, no folder" ||
	fail "unknown metric: exit $rc"
"$BIN" report "$d/sw" --slice bogus=1 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "bad --slice: exit 2" || fail "bad --slice: exit $rc"
"$BIN" report >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "no DIR: exit 2" || fail "no DIR: exit $rc"
"$BIN" report --help | grep -q 'usage: sentibt report' && ok "--help" || fail "--help"

# --- backtest report ---
"$BIN" backtest $common --threshold 0.3 --min-confidence 0.6 --out "$d/bt" >/dev/null 2>&1 ||
	fail "backtest failed"
if "$BIN" report "$d/bt" >/dev/null 2>"$d/err"; then
	is_png "$d/bt/report/equity.png" && is_png "$d/bt/report/trades.png" &&
		grep -q 'total_return' "$d/bt/report/report.html" &&
		ok "backtest report: curve, histogram, metrics" || fail "backtest report incomplete"
else
	fail "backtest report: $(cat "$d/err")"
fi

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all report checks passed"
