#!/bin/sh
# strategies.sh - --strategy decayed and volume through the CLI: their axes in
# summary.csv and the manifest, rows equal to a backtest with the row's parameters,
# byte-identical results for any thread count and kernel, verify, usage errors.
TEST_NAME=strategies
. tests/cli/lib/common.sh

if ! "$BIN" sample --out "$d/s" --days 2 >"$d/sample.out" 2>&1; then
	echo "FAIL: sentibt sample: $(cat "$d/sample.out")"
	exit 1
fi
P="$d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz $d/s/binance_trades_2024-03-02_BTCUSDT.csv.gz"
S="$d/s/news.jsonl"
inputs="--prices $P --sentiment $S --entity BTC --candle-cache= --interval 1m"
common="$inputs --top 2"
have_py=0
command -v python3 >/dev/null && have_py=1

out=$("$BIN" strategies) || fail "strategies: exit $?"
for s in mean decayed volume; do
	echo "$out" | grep -q "^$s " && ok "strategies lists $s" || fail "strategies lacks $s: $out"
done
echo "$out" | grep -q -- "--half-life" && echo "$out" | grep -q -- "--volume-factor" &&
	ok "strategies lists the axes" || fail "strategies lacks axes: $out"

# Row $2 of summary.csv $1 equals a backtest of its parameters (then the strategy options).
cat >"$d/cmp.py" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
row, m = rows[int(sys.argv[2])], json.load(open(sys.argv[3]))
for k in ("total_return", "sharpe", "max_drawdown", "trades", "closed_trades", "final_equity"):
    a, b = row[k], m[k]
    if (a == "") != (b is None) or (a != "" and float(a) != float(b)):
        print(k, a, b)
        sys.exit(1)
PY
row_vs_backtest() {
	sum=$1 id=$2
	shift 2
	row=$(sed -n "$((id + 2))p" "$sum")
	t=$(echo "$row" | cut -d, -f2) k=$(echo "$row" | cut -d, -f3) w=$(echo "$row" | cut -d, -f4)
	e=$(echo "$row" | cut -d, -f5) f=$(echo "$row" | cut -d, -f6) s=$(echo "$row" | cut -d, -f7)
	l=$(echo "$row" | cut -d, -f8)
	# shellcheck disable=SC2086
	if ! "$BIN" backtest $inputs --threshold "$t" --min-confidence "$k" --window "${w}s" \
		--exit-band "$e" --fee-bps "$f" --slippage-bps "$s" --latency "${l}s" "$@" \
		--out "$d/bt-$id-$#" -q 2>"$d/err"; then
		fail "backtest of row $id: $(cat "$d/err")"
		return
	fi
	if msg=$(python3 "$d/cmp.py" "$sum" "$id" "$d/bt-$id-$#/metrics.json"); then
		ok "row $id equals its backtest ($*)"
	else
		fail "row $id differs from its backtest ($*): $msg"
	fi
}

# --- decayed: the half_life column, rows against backtest, invariance, verify ---
# shellcheck disable=SC2086
"$BIN" sweep $common --strategy decayed --threshold 0.1:0.3:0.1 --min-confidence 0.6,0.8 \
	--window 30m --half-life 5m,1h --out "$d/dec" -q 2>"$d/err" || fail "decayed sweep: $(cat "$d/err")"
head -1 "$d/dec/summary.csv" | grep -q ',latency,half_life,stop_loss,take_profit,trailing_stop,max_hold,side,total_return,' &&
	ok "summary.csv has half_life after the common axes" || fail "header: $(head -1 "$d/dec/summary.csv")"
[ "$(wc -l <"$d/dec/summary.csv")" -eq 13 ] && ok "3 x 2 x 2 = 12 rows" ||
	fail "rows: $(wc -l <"$d/dec/summary.csv")"
grep -q '"strategy":[[:space:]]*"decayed"' "$d/dec/manifest.json" &&
	grep -q '"half_life":[[:space:]]*\[300, 3600\]' "$d/dec/manifest.json" &&
	ok "manifest records the strategy and its axis" ||
	fail "manifest: $(grep -n 'strategy\|half_life' "$d/dec/manifest.json")"
for k in scalar generic; do
	# shellcheck disable=SC2086
	"$BIN" sweep $common --strategy decayed --threshold 0.1:0.3:0.1 --min-confidence 0.6,0.8 \
		--window 30m --half-life 5m,1h --out "$d/dec-$k" --kernel $k --threads 1 -q 2>/dev/null
	cmp -s "$d/dec/summary.csv" "$d/dec-$k/summary.csv" &&
		ok "decayed: --kernel $k --threads 1 gives the same summary.csv" ||
		fail "decayed: --kernel $k --threads 1 differs"
done
"$BIN" verify "$d/dec" >"$d/v" 2>&1 && ok "verify of a decayed sweep" || fail "verify: $(cat "$d/v")"
if [ $have_py -eq 1 ]; then
	for id in 0 5 11; do
		hl=$(sed -n "$((id + 2))p" "$d/dec/summary.csv" | cut -d, -f9)
		row_vs_backtest "$d/dec/summary.csv" $id --strategy decayed --half-life "${hl}s"
	done
fi

# --- volume: two axes ---
# shellcheck disable=SC2086
"$BIN" sweep $common --strategy volume --threshold 0.1,0.3 --min-confidence 0.6 --window 15m \
	--volume-factor 1,1.5,2,2.5 --volume-window 30m,2h --out "$d/vol" -q 2>"$d/err" ||
	fail "volume sweep: $(cat "$d/err")"
head -1 "$d/vol/summary.csv" | grep -q ',latency,volume_factor,volume_window,stop_loss,take_profit,trailing_stop,max_hold,side,total_return,' &&
	ok "summary.csv has volume_factor, volume_window" || fail "header: $(head -1 "$d/vol/summary.csv")"
vfs=$(sed 1d "$d/vol/summary.csv" | cut -d, -f9 | sort -u | tr '\n' ' ')
[ "$vfs" = "1 1.5 2 2.5 " ] && ok "volume_factor values as typed" || fail "volume_factor: '$vfs'"
if [ $have_py -eq 1 ]; then
	for id in 0 9; do
		r=$(sed -n "$((id + 2))p" "$d/vol/summary.csv")
		vf=$(echo "$r" | cut -d, -f9) vw=$(echo "$r" | cut -d, -f10)
		row_vs_backtest "$d/vol/summary.csv" $id --strategy volume --volume-factor "$vf" \
			--volume-window "${vw}s"
	done
fi
# the volume filter removes signals: fewer trades than the mean with the same parameters
# shellcheck disable=SC2086
"$BIN" sweep $common --threshold 0.1,0.3 --min-confidence 0.6 --window 15m --out "$d/mean" -q 2>/dev/null
trades_of_row1() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "trades") c = i }
	NR == 2 { print $c }' "$1"; }
t_mean=$(trades_of_row1 "$d/mean/summary.csv")
t_vol=$(trades_of_row1 "$d/vol/summary.csv")
[ -n "$t_mean" ] && [ -n "$t_vol" ] && [ "$t_vol" -lt "$t_mean" ] &&
	ok "volume filter trades less ($t_vol) than the mean ($t_mean)" ||
	fail "trades: volume '$t_vol', mean '$t_mean'"

# --- usage errors: exit 2, a message, nothing written ---
expect_usage "unknown strategy" "--strategy: expected one of" sweep $common --strategy median
expect_usage "axis of another strategy" "--half-life is not an option of --strategy mean" sweep $common --half-life 1h
expect_usage "axis of another strategy" "--half-life is not an option of --strategy volume" sweep $common \
	--strategy volume --half-life 1h
expect_usage "half-life below 1s" "--half-life: expected" sweep $common --strategy decayed --half-life 0s
expect_usage "volume window not whole candles" "--volume-window: 90 s is not a whole number" sweep $common \
	--strategy volume --volume-window 90s

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all strategies CLI checks passed"
