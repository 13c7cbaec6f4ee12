#!/bin/sh
# exits.sh - DESIGN's "Exits and sides" through the real binary:
#   1. a sweep over stop-loss x take-profit x trailing stop x max hold x side (with costs)
#      on the exact oracle's seeded data with gaps: every summary.csv row against the
#      oracle's independent simulation (tests/oracle/exact_oracle.py exits): trades,
#      closed_trades, exposure, exits by reason, win_rate and final_equity, exactly;
#   2. the same sweep with 1 and 2 threads and with --kernel scalar: byte-identical;
#   3. every exit axis at zero reproduces the committed golden sample sweep (today's
#      results) byte for byte, and so does a run without the options;
#   4. backtest: trades.csv says why and where each trade ended, metrics.json counts
#      exits by reason; verify re-runs an exits sweep; bad values are usage errors;
#   5. --max-hold in candles (a bare number) on a hand-worked pair: the time exit where
#      worked out by hand, and byte for byte the same results as the duration.
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $inputs, $grid, $exits are word lists on purpose
set -u

TEST_NAME=exits
. tests/cli/lib/common.sh

# ---------------------------------------------------------------------------------------
# 1-2. the oracle, threads, kernels
# ---------------------------------------------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found: exits not checked against the oracle"
else
	O=tests/oracle/exact_oracle.py
	python3 "$O" gen "$d/in" --gaps --candles 2000 --bursts 300 >"$d/gen.out" 2>&1 ||
		fail "oracle gen: $(cat "$d/gen.out")"
	inputs="--prices $d/in/prices.csv --sentiment $d/in/news.jsonl"
	grid="--interval 1m --threshold 0.2,0.4 --min-confidence 0.6 --window 3m --exit-band 0.1
 --fee-bps 0,10 --slippage-bps 0 --latency 0s"
	exits="--stop-loss 0,0.003 --take-profit 0,0.005 --trailing-stop 0,0.004
 --max-hold 0:20:10 --side both,long,short"
	if ! "$BIN" sweep $inputs $grid $exits --candle-cache= --top 3 -q --out "$d/r" \
		>"$d/r.out" 2>&1; then
		fail "sentibt sweep with exits: $(cat "$d/r.out")"
	else
		python3 "$O" exits $inputs $grid $exits --summary "$d/r/summary.csv" --show 6 \
			>"$d/check.out" 2>&1
		rc=$?
		sed 's/^/    /' "$d/check.out"
		[ $rc -eq 0 ] && ok "every row with exits agrees with the oracle" ||
			fail "summary.csv with exits disagrees with the oracle (above)"
		for run in "--threads 1" "--threads 2" "--kernel scalar --threads 2"; do
			"$BIN" sweep $inputs $grid $exits --candle-cache= --top 3 -q $run \
				--out "$d/t" --force >"$d/t.out" 2>&1 ||
				fail "sweep $run: $(cat "$d/t.out")"
			cmp -s "$d/r/summary.csv" "$d/t/summary.csv" &&
				diff -r "$d/r/trades" "$d/t/trades" >/dev/null &&
				ok "sweep $run: the same summary.csv and trades" ||
				fail "sweep $run: another summary.csv or trades"
		done
		"$BIN" verify "$d/r" >"$d/v.out" 2>&1 && ok "verify re-runs the exits sweep" ||
			fail "verify of the exits sweep: $(cat "$d/v.out")"
		# the max hold above is in candles (0:20:10 = 0, 10, 20 on 1m): as durations
		exits_d=$(echo "$exits" | sed 's/0:20:10/0m,10m,20m/')
		"$BIN" sweep $inputs $grid $exits_d \
			--candle-cache= --top 3 -q --out "$d/m" >"$d/m.out" 2>&1 ||
			fail "sweep --max-hold 0m,10m,20m: $(cat "$d/m.out")"
		cut -d, -f12 "$d/r/summary.csv" | sort -u | tr '\n' ' ' >"$d/holds"
		[ "$(cat "$d/holds")" = "0 1200 600 max_hold " ] &&
			cmp -s "$d/r/summary.csv" "$d/m/summary.csv" &&
			diff -r "$d/r/trades" "$d/m/trades" >/dev/null &&
			ok "--max-hold 0:20:10 (candles) = 0m,10m,20m: the same summary.csv (seconds) and trades" ||
			fail "--max-hold in candles against durations: max_hold $(cat "$d/holds")"
		# each reason appears in the top combinations' trade logs, with a price
		awk -F, 'FNR > 1 && $5 != "" { print $NF }' "$d"/r/trades/*.csv | sort -u \
			>"$d/reasons"
		grep -qx signal "$d/reasons" && grep -Eqx 'stop|trail|take|time' "$d/reasons" &&
			ok "trades.csv names exit reasons ($(tr '\n' ' ' <"$d/reasons"))" ||
			fail "trades.csv reasons: $(cat "$d/reasons")"
	fi
fi

# ---------------------------------------------------------------------------------------
# 3. all exits off = today's results (the golden sample sweep, made before the exits)
# ---------------------------------------------------------------------------------------
gold=tests/golden/sample-sweep
if ! "$BIN" sample --out "$d/s" --seed 42 --days 1 >"$d/s.out" 2>&1; then
	fail "sentibt sample: $(cat "$d/s.out")"
else
	sp="--prices $d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz --sentiment $d/s/news.jsonl"
	sg="--entity BTC --interval 5m --candle-cache= --threshold 0.2,0.4 --min-confidence 0.5,0.7
 --window 5m,15m --top 2"
	"$BIN" sweep $sp $sg --stop-loss 0 --take-profit 0 --trailing-stop 0 --max-hold 0m \
		--side both -q --out "$d/z" >"$d/z.out" 2>&1 || fail "zero exits: $(cat "$d/z.out")"
	"$BIN" sweep $sp $sg -q --out "$d/n" >"$d/n.out" 2>&1 || fail "no exits: $(cat "$d/n.out")"
	for run in z n; do
		cmp -s "$gold/summary.csv" "$d/$run/summary.csv" &&
			diff -r "$gold/trades" "$d/$run/trades" >/dev/null &&
			diff -r "$gold/equity" "$d/$run/equity" >/dev/null &&
			ok "exits off ($run): the golden summary, trades and equity byte for byte" ||
			fail "exits off ($run) differs from $gold"
	done
	# --max-hold counts candles of the --interval: 3 on 5m candles = 15m, shown in seconds
	"$BIN" sweep $sp $sg --max-hold 0,3 -q --out "$d/c5" >"$d/c5.out" 2>&1 ||
		fail "--max-hold 0,3 on 5m: $(cat "$d/c5.out")"
	"$BIN" sweep $sp $sg --max-hold 0m,15m -q --out "$d/d5" >"$d/d5.out" 2>&1 ||
		fail "--max-hold 0m,15m on 5m: $(cat "$d/d5.out")"
	[ "$(awk -F, 'NR > 1 { print $12 }' "$d/c5/summary.csv" | sort -u | tr '\n' ' ')" = "0 900 " ] &&
		cmp -s "$d/c5/summary.csv" "$d/d5/summary.csv" &&
		diff -r "$d/c5/trades" "$d/d5/trades" >/dev/null &&
		ok "--max-hold 0,3 on 5m candles = 0m,15m (max_hold 0, 900 s; summary and trades)" ||
		fail "--max-hold 0,3 on 5m candles differs from 0m,15m"
	# the top table names the exit values of each row (they vary): its rows' ids and
	# stop_loss= against summary.csv's id and stop_loss columns
	if "$BIN" sweep $sp $sg --stop-loss 0,0.002 --side both,long --out "$d/tab" >"$d/tab.out" 2>&1; then
		awk 'NR > 1 && $1 ~ /^[0-9]+$/ && NF >= 10 {
			for (i = 11; i <= NF; i++) if ($i ~ /^stop_loss=/) { sub(/^stop_loss=/, "", $i); print $1 "," $i }
		}' "$d/tab.out" >"$d/tab.got"
		awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } { print $1 "," $c["stop_loss"] }' \
			"$d/tab/summary.csv" | sort >"$d/tab.all"
		[ "$(wc -l <"$d/tab.got")" -eq 2 ] && [ -z "$(sort "$d/tab.got" | comm -23 - "$d/tab.all")" ] &&
			grep -q "side=" "$d/tab.out" &&
			ok "the sweep's top table shows each row's exit values" ||
			fail "top table: $(cat "$d/tab.out")"
	else
		fail "sweep with exit axes: $(cat "$d/tab.out")"
	fi
	# a backtest with a stop: its trade log and metrics
	if "$BIN" backtest $sp --entity BTC --interval 5m --candle-cache= --threshold 0.2 \
		--min-confidence 0.5 --stop-loss 0.002 --take-profit 0.004 -q --out "$d/b" \
		>"$d/b.out" 2>&1; then
		head -1 "$d/b/trades.csv" | grep -q ',open,exit_reason$' &&
			ok "backtest trades.csv has exit_reason" || fail "trades.csv header"
		stops=$(awk -F, 'NR > 1 && $NF == "stop"' "$d/b/trades.csv" | wc -l)
		python3 - "$d/b/metrics.json" "$stops" <<'EOF' && ok "metrics.json counts $stops stops" ||
import json, sys
m = json.load(open(sys.argv[1]))
ex = m["exits"]
closed = sum(ex[k] for k in ("signal", "stop", "take", "trail", "time"))
sys.exit(0 if ex["stop"] == int(sys.argv[2]) > 0 and closed == m["closed_trades"] else 1)
EOF
			fail "metrics.json exits: $(cat "$d/b/metrics.json")"
	else
		fail "backtest with exits: $(cat "$d/b.out")"
	fi
	# bad values
	expect_usage "stop-loss 1" "expected a fraction in \[0, 1)" backtest $sp --stop-loss 1
	expect_usage "negative take" "--take-profit" sweep $sp --take-profit -0.1
	expect_usage "side up" "expected both, long or short" sweep $sp --side up
	expect_usage "side range" "expected both, long or short" sweep $sp --side long:short:1
	expect_usage "max-hold 90s" "not a whole number of 1m candles" sweep $sp --max-hold 90s
	expect_usage "max-hold -1" "--max-hold: expected a number of candles" backtest $sp --max-hold -1
	expect_usage "max-hold -1m" "--max-hold: expected a number of candles" sweep $sp --max-hold -1m
	expect_usage "max-hold 1.5" "--max-hold: expected a number of candles" sweep $sp --max-hold 1.5
	expect_usage "max-hold candles and a duration" "--max-hold: '0,60,4h' mixes numbers of candles" \
		sweep $sp --max-hold 0,60,4h
	expect_usage "max-hold range of both" "--max-hold: '60:4h:60' mixes" sweep $sp --max-hold 60:4h:60
	expect_usage "max-hold 60,60" "--max-hold: value 60 given twice" sweep $sp --max-hold 60,60
	expect_usage "backtest list" "takes one value here" backtest $sp --trailing-stop 0.01,0.02
	expect_usage "events" "is a strategy option" events $sp --stop-loss 0.01
fi

# ---------------------------------------------------------------------------------------
# 5. --max-hold N counts candles (DESIGN: "candles or a duration").  Eight 1m candles from
# 2024-01-01T00:00Z, each closing at 100 + its index, open = high = low = close; one
# article a1 (00:00:30, score 0.8, conf 0.9).  k = 0.7, W = 1m, h = 0.5, e = 0.1, no
# costs.  Candle 0's signal 0.8 > 0.5: long 100 units at close 0 (100); candles 1..7 have
# no article, so no signal: the position stays open.  By hand:
#   --max-hold 3 (= 3m on 1m candles): time exit at the close of candle 0 + 3 (00:04:00)
#     at 103: pnl 300, final equity 10300; then flat (nothing re-arms);
#   --max-hold 5: exit at 105, 10500;  0 (off): open to the end, marked at 107, 10700.
#   summary.csv's max_hold in seconds: 0, 180, 300.
# ---------------------------------------------------------------------------------------
{
	echo "time,open,high,low,close,volume"
	for i in 0 1 2 3 4 5 6 7; do
		echo "2024-01-01T00:0$i:00Z,10$i,10$i,10$i,10$i,1"
	done
} >"$d/tiny.csv"
echo '{"id":"a1","published_at":"2024-01-01T00:00:30Z","sentiment_score":0.8,"confidence":0.9}' \
	>"$d/tiny.jsonl"
tp="--prices $d/tiny.csv --sentiment $d/tiny.jsonl --interval 1m --window 1m --threshold 0.5
 --min-confidence 0.7 --exit-band 0.1 --fee-bps 0 --slippage-bps 0 --candle-cache= -q"
for mh in 3 3m; do
	"$BIN" backtest $tp --max-hold $mh --out "$d/h$mh" >"$d/h.out" 2>&1 ||
		fail "backtest --max-hold $mh: $(cat "$d/h.out")"
done
[ "$(sed -n 2p "$d/h3/trades.csv")" = \
  "2024-01-01T00:01:00Z,100,2024-01-01T00:04:00Z,103,long,100,300,0.030000000000000027,0,0.8,1,0,time" ] &&
	[ "$(wc -l <"$d/h3/trades.csv")" -eq 2 ] &&
	ok "backtest --max-hold 3: the time exit at the close of candle 0 + 3, at 103" ||
	fail "backtest --max-hold 3 trades.csv: $(cat "$d/h3/trades.csv")"
cmp -s "$d/h3/trades.csv" "$d/h3m/trades.csv" && cmp -s "$d/h3/equity.csv" "$d/h3m/equity.csv" &&
	cmp -s "$d/h3/metrics.json" "$d/h3m/metrics.json" &&
	ok "backtest --max-hold 3 = --max-hold 3m on 1m candles (trades, equity, metrics)" ||
	fail "backtest --max-hold 3 differs from 3m"
"$BIN" sweep $tp --max-hold 0,3,5 --out "$d/hs" >"$d/h.out" 2>&1 ||
	fail "sweep --max-hold 0,3,5: $(cat "$d/h.out")"
"$BIN" sweep $tp --max-hold 0m,3m,5m --out "$d/hsm" >"$d/h.out" 2>&1 ||
	fail "sweep --max-hold 0m,3m,5m: $(cat "$d/h.out")"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ printf "%s:%s:%s ", $c["max_hold"], $c["final_equity"], $c["exits_time"] }' \
	"$d/hs/summary.csv" >"$d/hs.got"
[ "$(cat "$d/hs.got")" = "0:10700:0 180:10300:1 300:10500:1 " ] &&
	ok "sweep --max-hold 0,3,5: max_hold in seconds, the final equities worked out by hand" ||
	fail "sweep --max-hold 0,3,5: max_hold:final_equity:exits_time $(cat "$d/hs.got")"
cmp -s "$d/hs/summary.csv" "$d/hsm/summary.csv" &&
	ok "sweep --max-hold 0,3,5 = 0m,3m,5m: summary.csv byte for byte" ||
	fail "sweep --max-hold 0,3,5 differs from 0m,3m,5m"
"$BIN" sweep $tp --max-hold 0,60 --out "$d/hv" >"$d/h.out" 2>&1 ||
	fail "sweep --max-hold 0,60: $(cat "$d/h.out")"
grep -q '"max_hold":[[:space:]]*\[0, 3600\]' "$d/hv/manifest.json" &&
	"$BIN" verify "$d/hv" >"$d/v.out" 2>&1 &&
	ok "verify re-runs --max-hold 0,60 (the manifest's grid in seconds, argv as typed)" ||
	fail "verify of --max-hold 0,60: $(cat "$d/v.out")"

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all exits checks passed"
