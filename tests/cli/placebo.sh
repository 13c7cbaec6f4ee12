#!/bin/sh
# placebo.sh - sweep --placebo N --seed S: N placebo grids, reproducible for a seed and
# identical for any thread count; the p-value recomputed from placebo.csv.
TEST_NAME=placebo
. tests/cli/lib/common.sh

if ! "$BIN" sample --out "$d/s" --days 2 >"$d/sample.out" 2>&1; then
	echo "FAIL: sentibt sample: $(cat "$d/sample.out")"
	exit 1
fi
P=$(ls "$d"/s/binance_trades_*_BTCUSDT.csv.gz | tr '\n' ' ')
in="--prices $P --sentiment $d/s/news.jsonl --entity BTC --interval 5m --candle-cache= --top 1"
grid="--threshold 0.1:0.5:0.1 --min-confidence 0.6,0.8 --window 15m,30m"

# shellcheck disable=SC2086
"$BIN" sweep $in $grid --placebo 12 --seed 7 --out "$d/a" >"$d/a.out" 2>"$d/err" ||
	fail "placebo sweep: $(cat "$d/err")"
[ "$(sed 1d "$d/a/placebo.csv" | wc -l)" -eq 12 ] && ok "placebo.csv: 12 sets" ||
	fail "placebo.csv: $(cat "$d/a/placebo.csv")"
head -1 "$d/a/placebo.csv" | grep -q '^placebo,offset_s,best_id,best_sharpe$' && ok "placebo.csv header" ||
	fail "header: $(head -1 "$d/a/placebo.csv")"
# shellcheck disable=SC2086
"$BIN" sweep $in $grid --placebo 12 --seed 7 --threads 1 --kernel scalar --out "$d/b" -q 2>/dev/null
cmp -s "$d/a/placebo.csv" "$d/b/placebo.csv" && cmp -s "$d/a/summary.csv" "$d/b/summary.csv" &&
	ok "same seed, one thread, scalar kernel: identical" || fail "placebo differs across threads/kernels"
# shellcheck disable=SC2086
"$BIN" sweep $in $grid --placebo 12 --seed 8 --out "$d/c" -q 2>/dev/null
cmp -s "$d/a/placebo.csv" "$d/c/placebo.csv" && fail "another seed gave the same placebo sets" ||
	ok "another seed, other placebo sets"
"$BIN" verify "$d/a" >"$d/v" 2>&1 && ok "verify of a placebo sweep" || fail "verify: $(cat "$d/v")"
if command -v python3 >/dev/null; then
	python3 - "$d/a" "$d/a.out" <<'PY' && ok "p-value and percentile recomputed from the files" || fail "p-value"
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/summary.csv")))
best = max(float(r["sharpe"]) for r in rows if r["sharpe"] != "")
pl = [float(r["best_sharpe"]) for r in csv.DictReader(open(sys.argv[1] + "/placebo.csv"))]
ge = sum(1 for x in pl if x >= best)
below = sum(1 for x in pl if x < best)
p = (1 + ge) / (len(pl) + 1)
out = open(sys.argv[2]).read()
m = re.search(r"beats ([0-9.]+) % of the placebo grids' bests, p = ([0-9.e-]+)", out)
assert m, out
assert abs(float(m.group(1)) - 100 * below / len(pl)) < 0.05, (m.group(1), below)
assert abs(float(m.group(2)) - p) < 1e-3 * p, (m.group(2), p)
PY
fi

if command -v python3 >/dev/null; then
	python3 - "$d/a/stats.json" <<'PY' && ok "stats.json: the placebo block" || fail "stats.json placebo: $(cat "$d/a/stats.json")"
import json, sys
p = json.load(open(sys.argv[1]))["placebo"]
assert p["n"] == 12 and p["seed"] == 7 and 0 < p["p_value"] <= 1 and 0 <= p["best_percentile"] <= 1, p
assert "permuted" in p["method"] and p["keep"] == [], p
PY
fi
# --keep ids: a column each, against themselves
# shellcheck disable=SC2086
"$BIN" sweep $in $grid --placebo 5 --seed 7 --keep 0,3 --out "$d/k" >"$d/k.out" 2>/dev/null
head -1 "$d/k/placebo.csv" | grep -q ',id_0,id_3$' && grep -q "kept id 3:" "$d/k.out" &&
	ok "--keep ids: a column each and a percentile" || fail "keep: $(head -2 "$d/k/placebo.csv")"
# the first 5 placebo sets do not depend on how many follow
cut -d, -f1-4 "$d/k/placebo.csv" | head -6 >"$d/k5"
head -6 "$d/a/placebo.csv" | cut -d, -f1-4 >"$d/a5"
cmp -s "$d/k5" "$d/a5" && ok "placebo set i is the same whatever N" || fail "placebo sets depend on N"

# usage errors
# shellcheck disable=SC2086
expect_usage "placebo on backtest" "is an option of sweep only" backtest $in --placebo 3
# shellcheck disable=SC2086
expect_usage "placebo not a count" "--placebo: expected a count" sweep $in $grid --placebo -1
# shellcheck disable=SC2086
expect_usage "placebo with walk-forward" "--placebo runs on a plain sweep" sweep $in $grid --placebo 3 --split 50%

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all placebo checks passed"
