#!/bin/sh
# periods.sh - --from/--to (articles before --from feed the first windows), walk-forward
# folds and --split checked against plain sweeps and backtests of the same periods.
TEST_NAME=periods
. tests/cli/lib/common.sh

# --- a hand-worked period: 6 one-minute candles from 2024-01-01T00:00Z, closes 100..105;
# one article at 00:01:30 (candle 1), score 0.9.  Window 3m, threshold 0.5.
# With --from 00:02, candle 2 is the first traded; its window [0, 2] holds the article,
# so the book goes long at candle 2's close (00:03:00), at 102.
cat >"$d/px.csv" <<'CSV'
timestamp,open,high,low,close,volume
1704067200,100,100,100,100,1
1704067260,101,101,101,101,1
1704067320,102,102,102,102,1
1704067380,103,103,103,103,1
1704067440,104,104,104,104,1
1704067500,105,105,105,105,1
CSV
echo '{"published_at":"2024-01-01T00:01:30Z","sentiment_score":0.9,"confidence":0.9}' >"$d/n.jsonl"
bt="--prices $d/px.csv --sentiment $d/n.jsonl --interval 1m --window 3m --threshold 0.5 --min-confidence 0.5 --candle-cache="
# shellcheck disable=SC2086
"$BIN" backtest $bt --from 2024-01-01T00:02:00Z --to 2024-01-01T00:05:00Z --out "$d/p1" -q 2>"$d/err" ||
	fail "backtest --from/--to: $(cat "$d/err")"
[ "$(sed 1d "$d/p1/equity.csv" | wc -l)" -eq 3 ] && ok "--from/--to: 3 candles traded" ||
	fail "equity rows: $(cat "$d/p1/equity.csv")"
head -2 "$d/p1/equity.csv" | tail -1 | grep -q '^2024-01-01T00:03:00Z,102,' &&
	ok "the first row is candle 2 (closing 00:03)" || fail "first row: $(sed -n 2p "$d/p1/equity.csv")"
sed -n 2p "$d/p1/trades.csv" | grep -q '^2024-01-01T00:03:00Z,102,' &&
	ok "an article before --from feeds the first window: long at candle 2" ||
	fail "trades: $(cat "$d/p1/trades.csv")"
# buy and hold over the same 3 candles: in at candle 2's open (102), out at 104
if command -v python3 >/dev/null; then
	python3 - "$d/p1/metrics.json" <<'PY' && ok "buy_and_hold over the period, worked by hand" || fail "buy_and_hold: $(cat "$d/p1/metrics.json")"
import json, sys
m = json.load(open(sys.argv[1]))
want = (10000 / 102 * 104) / 10000 - 1
assert m["buy_and_hold"]["total_return"] == want, m["buy_and_hold"]
assert m["buy_and_hold"]["max_drawdown"] == 0, m["buy_and_hold"]
assert m["excess_return"] == m["total_return"] - want, m
PY
fi
head -1 "$d/p1/equity.csv" | grep -q ',buy_hold$' && sed -n 4p "$d/p1/equity.csv" | grep -q ',10196.0784$' &&
	ok "equity.csv carries the buy-and-hold equity (10000 / 102 x 104)" || fail "equity.csv: $(cat "$d/p1/equity.csv")"
# shellcheck disable=SC2086
"$BIN" backtest $bt --from 2024-01-01T00:02:30Z --to 2024-01-01T00:03:30Z --out "$d/p2" -q 2>"$d/err"
[ $? -eq 1 ] && grep -q "no whole candle lies inside" "$d/err" && [ ! -e "$d/p2" ] &&
	ok "a period without a whole candle: exit 1" || fail "empty period: $(cat "$d/err")"

# --- walk-forward on the sample, each fold against plain runs of its periods ---
if ! "$BIN" sample --out "$d/s" --days 4 >"$d/sample.out" 2>&1; then
	echo "FAIL: sentibt sample: $(cat "$d/sample.out")"
	exit 1
fi
P=$(ls "$d"/s/binance_trades_*_BTCUSDT.csv.gz | tr '\n' ' ')
in="--prices $P --sentiment $d/s/news.jsonl --entity BTC --interval 5m --candle-cache="
grid="--threshold 0.1:0.4:0.1 --min-confidence 0.6,0.8 --window 15m,30m --exit-band 0.05"
# shellcheck disable=SC2086
"$BIN" sweep $in $grid --walk-forward train=2d,test=1d --rank-by total_return --out "$d/wf" \
	-q 2>"$d/err" || fail "walk-forward: $(cat "$d/err")"
[ "$(sed 1d "$d/wf/walkforward.csv" | wc -l)" -eq 2 ] && ok "4 days, train 2d, test 1d: 2 folds" ||
	fail "folds: $(cat "$d/wf/walkforward.csv")"
[ "$(sed 1d "$d/wf/oos_equity.csv" | wc -l)" -eq 576 ] && ok "oos_equity: 2 x 288 candles" ||
	fail "oos rows: $(sed 1d "$d/wf/oos_equity.csv" | wc -l)"
for fold in 0 1; do
	row=$(sed -n "$((fold + 2))p" "$d/wf/walkforward.csv")
	trf=$(echo "$row" | cut -d, -f2) trt=$(echo "$row" | cut -d, -f3)
	tef=$(echo "$row" | cut -d, -f4) tet=$(echo "$row" | cut -d, -f5) id=$(echo "$row" | cut -d, -f6)
	# the training period's own sweep ranks the same id first
	# shellcheck disable=SC2086
	"$BIN" sweep $in $grid --from "$trf" --to "$trt" --rank-by total_return --top 1 \
		--out "$d/tr$fold" -q 2>/dev/null
	best=$(ls "$d/tr$fold/equity" | sed 's/\.csv$//')
	[ "$best" = "$id" ] && ok "fold $fold: the training sweep's best is id $id" ||
		fail "fold $fold: training sweep's best '$best', walk-forward chose '$id'"
	# the test period's backtest with that id's parameters gives the out-of-sample metrics
	srow=$(sed -n "$((id + 2))p" "$d/tr$fold/summary.csv")
	t=$(echo "$srow" | cut -d, -f2) k=$(echo "$srow" | cut -d, -f3) w=$(echo "$srow" | cut -d, -f4)
	# shellcheck disable=SC2086
	"$BIN" backtest $in --threshold "$t" --min-confidence "$k" --window "${w}s" --exit-band 0.05 \
		--from "$tef" --to "$tet" --out "$d/te$fold" -q 2>/dev/null
	want=$(echo "$row" | cut -d, -f23)       # oos_total_return, after the 5 exit axes
	got=$(sed -n 's/.*"total_return":[[:space:]]*\([^,]*\),.*/\1/p' "$d/te$fold/metrics.json" | head -1)
	[ -z "$got" ] && got=$(grep '"total_return"' "$d/te$fold/metrics.json" | sed 's/.*: *//; s/,$//')
	[ "$want" = "$got" ] && ok "fold $fold: out-of-sample return equals the test period's backtest ($got)" ||
		fail "fold $fold: walkforward.csv oos_total_return '$want', backtest '$got'"
	# its buy-and-hold and excess: those of the test period's backtest
	python3 - "$d/te$fold/metrics.json" "$row" "$(head -1 "$d/wf/walkforward.csv")" >"$d/bh$fold" 2>&1 <<'EOF2' ||
import json, sys
m = json.load(open(sys.argv[1]))
row = dict(zip(sys.argv[3].split(","), sys.argv[2].split(",")))
bh, ex = float(row["oos_bh_return"]), float(row["oos_excess_return"])
assert bh == m["buy_and_hold"]["total_return"], (bh, m["buy_and_hold"])
assert ex == m["total_return"] - m["buy_and_hold"]["total_return"], (ex, m)
EOF2
		fail "fold $fold: buy-and-hold of the test part: $(cat "$d/bh$fold")"
done
# the stitched buy-and-hold compounds the test parts' own: its last value is the product
python3 - "$d/wf/oos_equity.csv" "$d/wf/walkforward.csv" >"$d/bhs" 2>&1 <<'EOF2' &&
import csv, sys
eq = list(csv.DictReader(open(sys.argv[1])))
folds = list(csv.DictReader(open(sys.argv[2])))
want = 10000.0
for f in folds:
    want *= 1 + float(f["oos_bh_return"])
got = float(eq[-1]["buy_hold"])
assert abs(got - want) <= 1e-9 * want, (got, want)
EOF2
	ok "walk-forward: buy-and-hold per fold equals the test periods' backtests, stitched by compounding" ||
	fail "stitched buy-and-hold: $(cat "$d/bhs")"
# overlapping test parts are refused (their candles would count twice in the stitched curve)
# shellcheck disable=SC2086
"$BIN" sweep $in $grid --walk-forward train=2d,test=1d,step=12h --out "$d/wfo" -q 2>"$d/err"
rc=$?
[ $rc -eq 2 ] && grep -q "step >= test" "$d/err" && [ ! -e "$d/wfo" ] &&
	ok "walk-forward: step < test is a usage error" || fail "step < test: exit $rc: $(cat "$d/err")"
"$BIN" verify "$d/wf" >"$d/v" 2>&1 && ok "verify of a walk-forward run" || fail "verify: $(cat "$d/v")"
if command -v gnuplot >/dev/null; then
	"$BIN" report "$d/wf" >"$d/rep" 2>&1 && [ -s "$d/wf/report/oos_equity.png" ] &&
		grep -q "out-of-sample return" "$d/wf/report/report.html" &&
		ok "report of a walk-forward folder: the stitched equity and the folds table" ||
		fail "walk-forward report: $(cat "$d/rep")"
else
	echo "SKIP: gnuplot absent, walk-forward report not drawn"
fi

# --- --split 50%: one fold at the middle candle ---
# shellcheck disable=SC2086
"$BIN" sweep $in $grid --split 50% --out "$d/sp" -q 2>"$d/err" || fail "split: $(cat "$d/err")"
sed -n 2p "$d/sp/walkforward.csv" | cut -d, -f2-5 | grep -q '^2024-03-01T00:00:00Z,2024-03-03T00:00:00Z,2024-03-03T00:00:00Z,2024-03-05T00:00:00Z$' &&
	ok "--split 50%: train and test halves" || fail "split row: $(sed -n 2p "$d/sp/walkforward.csv")"

# --- usage errors ---
# shellcheck disable=SC2086
expect_usage "walk-forward without test" "--walk-forward: expected" sweep $in $grid --walk-forward train=2d
# shellcheck disable=SC2086
expect_usage "walk-forward on backtest" "is an option of sweep only" backtest $in --walk-forward train=2d,test=1d
# shellcheck disable=SC2086
expect_usage "split 100%" "--split: expected a percentage strictly" sweep $in $grid --split 100%
# shellcheck disable=SC2086
expect_usage "split and walk-forward" "exclude each other" sweep $in $grid --split 50% --walk-forward train=1d,test=1d
# shellcheck disable=SC2086
expect_usage "to before from" "--to must be after --from" sweep $in $grid --from 2024-03-02 --to 2024-03-01
# shellcheck disable=SC2086
expect_usage "from not a time" "--from: expected a date" backtest $in --from yesterday

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all period checks passed"
