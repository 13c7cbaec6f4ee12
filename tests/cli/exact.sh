#!/bin/sh
# exact.sh - sentibt's trading decisions against an exact, independent oracle
# (tests/oracle/exact_oracle.py: python3 standard library, Fraction arithmetic, no code
# shared with the engine).  DESIGN step 2: "every decision is exact in decimal ... (a mean
# equal to h is not above it), whatever the order of summation", and grid ranges are
# "computed in decimal ... and printed as such".
#   1. the oracle's own hand-worked cases (selftest);
#   2. seeded data where ties are everywhere: 3,000 1m candles, ~930 articles whose scores
#      and confidences have one or two decimals, many sharing a candle and a timestamp,
#      some on candle boundaries (with and without the 30s latency);
#   3. a sweep of thresholds 0.05:0.95:0.01 x min-confidences 0.5:0.9:0.01 x windows
#      1m,3m,5m x exit bands 0.05:0.2:0.05 x latencies 0s,30s (89,544 combinations, no
#      fees): every row of summary.csv must print its parameters exactly as typed and have
#      the oracle's trades, closed_trades and exposure;
#   4. for 8 combinations (disagreeing ones spread over the grid, then the busiest of each
#      window and of each quarter of the thresholds), the sign of the position column of
#      equity/ID.csv at every candle, from a second run with --keep (whose summary.csv
#      must equal the first's).
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $inputs, $grid are word lists on purpose
set -u

TEST_NAME=exact
. tests/cli/lib/common.sh

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found: sentibt's decisions not checked against the exact oracle"
	exit 0
fi
O=tests/oracle/exact_oracle.py

# ---------------------------------------------------------------------------------------
# The oracle first: its hand-worked cases, and its two implementations against each other.
# ---------------------------------------------------------------------------------------
if python3 "$O" selftest >"$d/selftest.out" 2>&1; then
	ok "oracle selftest ($(grep -c '^selftest ok' "$d/selftest.out") cases)"
else
	sed 's/^/    /' "$d/selftest.out"
	echo "FAIL: the oracle's selftest failed: the oracle itself is wrong, nothing compared"
	exit 1
fi

python3 "$O" gen "$d/in" >"$d/gen.out" 2>&1 ||
	{ echo "FAIL: oracle gen: $(cat "$d/gen.out")"; exit 1; }
ok "$(cat "$d/gen.out")"

inputs="--prices $d/in/prices.csv --sentiment $d/in/news.jsonl"
grid="--interval 1m --threshold 0.05:0.95:0.01 --min-confidence 0.5:0.9:0.01
 --window 1m,3m,5m --exit-band 0.05:0.2:0.05 --fee-bps 0 --slippage-bps 0 --latency 0s,30s"
# Under the sanitizers (CI's second pass) the same code runs on a fifth of the grid: what
# they look for does not need every combination, and the full grid runs in the first pass.
if [ -n "${SENTIBT_SANITIZED:-}" ]; then
	grid="--interval 1m --threshold 0.05:0.95:0.05 --min-confidence 0.5:0.9:0.02
 --window 1m,3m,5m --exit-band 0.05:0.2:0.05 --fee-bps 0 --slippage-bps 0 --latency 0s,30s"
fi

# ---------------------------------------------------------------------------------------
# The sweep, every row against the oracle.
# ---------------------------------------------------------------------------------------
if ! "$BIN" sweep $inputs $grid --candle-cache= --top 0 -q --out "$d/r" >"$d/r.out" 2>&1; then
	echo "FAIL: sentibt sweep: $(cat "$d/r.out")"
	exit 1
fi
python3 "$O" check $inputs $grid --summary "$d/r/summary.csv" --show 8 \
	--pick 8 --pick-out "$d/ids" >"$d/check.out" 2>&1
rc=$?
sed 's/^/    /' "$d/check.out"
[ $rc -eq 0 ] && ok "every summary.csv row agrees with the exact oracle" ||
	fail "summary.csv disagrees with the exact oracle (above)"

# ---------------------------------------------------------------------------------------
# Per-candle positions of the picked combinations (the same grid again, with --keep).
# ---------------------------------------------------------------------------------------
ids=$(cat "$d/ids" 2>/dev/null)
if [ -z "$ids" ]; then
	fail "the oracle picked no combination ids"
elif ! "$BIN" sweep $inputs $grid --candle-cache= --top 0 --keep "$ids" -q --out "$d/k" \
	>"$d/k.out" 2>&1; then
	fail "sentibt sweep --keep $ids: $(cat "$d/k.out")"
else
	cmp -s "$d/r/summary.csv" "$d/k/summary.csv" && ok "a second run gives the same summary.csv" ||
		fail "a second run (with --keep) gives another summary.csv"
	python3 "$O" positions $inputs $grid --equity-dir "$d/k/equity" --ids "$ids" --show 4 \
		>"$d/pos.out" 2>&1
	rc=$?
	sed 's/^/    /' "$d/pos.out"
	[ $rc -eq 0 ] && ok "positions of combinations $ids agree candle by candle" ||
		fail "positions of equity/ID.csv disagree with the oracle (above)"
fi

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all exact checks passed"
