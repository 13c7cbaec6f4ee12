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
# three axes vary: one heatmap over the first two, window at the best's value
for f in heatmap equity_top; do
	is_png "$R/$f.png" && ok "$f.png is a PNG" || fail "$f.png missing or not a PNG"
	grep -q '<svg' "$R/$f.svg" 2>/dev/null && ok "$f.svg is SVG" || fail "$f.svg missing"
done
! grep -q '<image' "$R/heatmap.svg" && [ "$(grep -c '<path' "$R/heatmap.svg")" -ge 12 ] &&
	ok "heatmap.svg: cells as vector shapes, no embedded pixmap" || fail "heatmap.svg embeds an image"
[ ! -e "$R/line.png" ] && ok "no line chart when two or more axes vary" || fail "unexpected line.png"
grep -q 'Every pair of axes' "$R/report.html" &&
	[ "$(grep -c '<table class="heat small"' "$R/report.html")" -eq 3 ] &&
	ok "small multiples: 3 pairs of 3 axes" || fail "no small multiples for 3 axes"
# columns that never vary (exit_band, fee_bps, ...) are not columns of the top table
top=$(sed -n '/<table class="top">/,/<\/tr>/p' "$R/report.html" | head -1)
echo "$top" | grep -q '<th>window</th>' && ! echo "$top" | grep -q '<th>exit_band</th>' &&
	! echo "$top" | grep -q '<th>latency</th>' &&
	ok "top table: varying parameters only" || fail "top table header: $top"
grep -q '<td>15m</td>\|<td>5m</td>' "$R/report.html" && ok "windows shown as durations" ||
	fail "window not shown as 5m/15m"
grep -q '[0-9]%</td>' "$R/report.html" && ok "fractions shown in %" || fail "no % in the top table"
# the interactive page is self-contained: dygraphs inlined, nothing fetched
if [ -f /usr/share/javascript/dygraphs/dygraph.min.js ]; then
	grep -q 'class="sb-chart"' "$R/report.html" && grep -q 'Dygraph' "$R/report.html" &&
		! grep -q '<script src=' "$R/report.html" &&
		ok "report.html: charts with dygraphs inlined" || fail "report.html: no inlined dygraphs"
fi
# without dygraphs: the static page says so and shows the images
SENTIBT_DYGRAPHS=$d/nodygraphs "$BIN" report "$d/sw" --out "$d/static" >/dev/null 2>"$d/err" &&
	grep -q 'static page: dygraphs' "$d/static/report.html" &&
	grep -q '<img src="heatmap.png"' "$d/static/report.html" &&
	! grep -q 'class="sb-chart"' "$d/static/report.html" &&
	ok "no dygraphs: the static page, with a note" || fail "static fallback: $(cat "$d/err")"
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
grep -q 'src="heatmap.png"' "$R/report.html" && grep -q '<table class="heat"' "$R/report.html" &&
	ok "report.html shows the heatmap" || fail "report.html lacks the heatmap"

# an existing report is kept without --force; --force replaces it
"$BIN" report "$d/sw" >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'already exists' "$d/err" && ok "existing report refused (exit 1)" ||
	fail "existing report: exit $rc, $(cat "$d/err")"
"$BIN" report --force "$d/sw" >/dev/null 2>&1 && ok "--force replaces" || fail "--force failed"

# a slice: only window=5m -> threshold x min_confidence, no pairs, no 15m row
"$BIN" report "$d/sw" --slice window=5m --out "$d/slice" >/dev/null 2>"$d/err" &&
	[ -s "$d/slice/heatmap.png" ] && ! grep -q 'Every pair' "$d/slice/report.html" &&
	! grep -q '<td>15m</td>' "$d/slice/report.html" &&
	ok "--slice window=5m: one heatmap of the 5m rows" || fail "--slice: $(cat "$d/err")"

# --x/--y: window across, threshold up; the data file is the 2 x 4 grid
"$BIN" report "$d/sw" --x window --y threshold --out "$d/xy" >/dev/null 2>"$d/err" &&
	[ "$(grep -v '^#' "$d/xy/data/heatmap.dat" | awk '{print $1}' | sort -u | wc -l)" -eq 2 ] &&
	[ "$(grep -v '^#' "$d/xy/data/heatmap.dat" | awk '{print $2}' | sort -u | wc -l)" -eq 4 ] &&
	ok "--x window --y threshold: a 2 x 4 heatmap" || fail "--x/--y: $(cat "$d/err")"
# --reduce median: the cell (threshold 0.3, min_confidence 0.6) is the median over the
# two windows, i.e. their mean, from summary.csv by hand
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["threshold"] == 0.3 && $c["min_confidence"] == 0.6 { s += $c["sharpe"]; n++ }
	END { printf "%.4g", s / n }' "$d/sw/summary.csv")
"$BIN" report "$d/sw" --reduce median --out "$d/med" >/dev/null 2>"$d/err" &&
	grep -q "title=\"threshold=0.3 min_confidence=0.6: sharpe $want\"" "$d/med/report.html" &&
	ok "--reduce median: cell = median over windows ($want)" ||
	fail "--reduce median: want $want: $(cat "$d/err")"
# --max-hold is a duration, in the report as in the sweep: --slice max_hold=30m keeps the
# 1800 s rows, the axis reads 30m; the cell (threshold 0.2, max_hold 30m) by hand
"$BIN" sweep $common --threshold 0.2,0.4 --max-hold 0m,30m --top 1 -q --out "$d/mh" >"$d/err" 2>&1 ||
	fail "sweep --max-hold: $(cat "$d/err")"
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["threshold"] == 0.2 && $c["max_hold"] == 1800 { printf "%.4g", $c["sharpe"] }' "$d/mh/summary.csv")
"$BIN" report "$d/mh" --x max_hold --y threshold --out "$d/mhr" >/dev/null 2>"$d/err" &&
	grep -q "title=\"max_hold=30m threshold=0.2: sharpe $want (id " "$d/mhr/report.html" &&
	"$BIN" report "$d/mh" --slice max_hold=30m --out "$d/mhs" >/dev/null 2>"$d/err" &&
	ok "max_hold as a duration: the axis reads 30m, --slice max_hold=30m" ||
	fail "max_hold in the report: want $want: $(cat "$d/err")"
# max_drawdown, lower is better: with --reduce max each cell is its lowest drawdown over
# the windows, the outlined cell the lowest of all, coloured blue like the best Sharpe
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "max_drawdown") k = i; next }
	m == "" || $k < m { m = $k } END { printf "%.4g", 100 * m }' \
	"$d/sw/summary.csv")
"$BIN" report "$d/sw" --metric max_drawdown --reduce max --out "$d/dd" >/dev/null 2>"$d/err"
cell=$(grep -o '<td style="background:#[0-9a-f]*;color:#[0-9a-f]*" class="best" title="[^"]*"' \
	"$d/dd/report.html" | head -1)
echo "$cell" | grep -q "max_drawdown $want (id" && ok "max_drawdown: the outlined cell is the lowest ($want%)" ||
	fail "max_drawdown best cell: want $want: $cell"
rgb=$(echo "$cell" | sed 's/.*background:#\([0-9a-f]*\).*/\1/')
[ -n "$rgb" ] && [ $((0x$(echo "$rgb" | cut -c5-6))) -gt $((0x$(echo "$rgb" | cut -c1-2))) ] &&
	ok "max_drawdown: the best is blue (#$rgb)" || fail "max_drawdown best colour #$rgb"

# usage errors name what is allowed, exit 2
"$BIN" report "$d/sw" --x nosuch --out "$d/r3" >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 2 ] && grep -q 'axes: threshold, min_confidence, window' "$d/err" && [ ! -e "$d/r3" ] &&
	ok "--x nosuch: exit 2, the axes listed" || fail "--x nosuch: exit $rc, $(cat "$d/err")"
"$BIN" report "$d/sw" --reduce mean >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "--reduce mean: exit 2" || fail "--reduce mean: exit $rc"

# one axis varies: a line of the metric, with the Sharpe ratio's interval around it
"$BIN" sweep $common --threshold 0.2:0.5:0.1 --min-confidence 0.6 --top 1 --out "$d/one" \
	>/dev/null 2>&1 || fail "one-axis sweep"
if "$BIN" report "$d/one" >/dev/null 2>"$d/err"; then
	is_png "$d/one/report/line.png" && [ ! -e "$d/one/report/heatmap.png" ] &&
		ok "one axis: line.png, no heatmap" || fail "one axis: no line.png"
	# the line's values are summary.csv's sharpe column; the band holds each value
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "sharpe") k = i; next }
		{ printf "%.6g\n", $k }' "$d/one/summary.csv" >"$d/want"
	grep -v '^#' "$d/one/report/data/line.dat" | awk '{ printf "%.6g\n", $2 }' >"$d/got"
	cmp -s "$d/want" "$d/got" && ok "line values = summary.csv sharpe" ||
		fail "line values: $(paste "$d/want" "$d/got" | tr '\n' ' ')"
	grep -v '^#' "$d/one/report/data/line.dat" |
		awk '!($3 < $2 && $2 < $4) { bad = 1 } END { exit bad }' &&
		ok "line: 95% interval around every value" || fail "line: interval"
else
	fail "one-axis report: $(cat "$d/err")"
fi

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
"$BIN" report "$d/sw" --metric sharp --out "$d/r2" >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 2 ] && [ ! -e "$d/r2" ] && grep -q 'total_return sharpe sortino' "$d/err" &&
	ok "--metric sharp: exit 2, the metrics listed, no folder" ||
	fail "unknown metric: exit $rc, $(cat "$d/err")"
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
