#!/bin/sh
# golden.sh - golden regression tests: the committed result folders in tests/golden/ must
# equal a fresh re-run, checked by `sentibt verify`.  Their inputs are not committed: the
# sample is regenerated (seed 42, 1 day; deterministic by design) and the real pair is
# taken from ${SENTIBT_SHARED:-../shared}, both under the base names the manifests record
# (scripts/make-golden ran them from relative paths) and found with --input-dir.
# After an intended change of results, rebuild them with `make golden` and review.
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
set -u

TEST_NAME=golden
. tests/cli/lib/common.sh

export TMPDIR="$d"
gold=tests/golden

# ---------------------------------------------------------------------------------------
# (a) the synthetic sample
# ---------------------------------------------------------------------------------------
if [ ! -s "$gold/sample-sweep/manifest.json" ]; then
	fail "$gold/sample-sweep is missing (run make golden)"
elif ! "$BIN" sample --out "$d/sample" --seed 42 --days 1 >"$d/out" 2>&1; then
	fail "sentibt sample: $(cat "$d/out")"
else
	"$BIN" verify "$gold/sample-sweep" --input-dir "$d/sample" >"$d/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && ok "golden sample-sweep verified" ||
		fail "golden sample-sweep: exit $rc (intended? run make golden and review):
$(cat "$d/out")"
	# The manifest must hold no machine paths: the golden folders move between machines.
	grep -q '"/' "$gold/sample-sweep/manifest.json" &&
		fail "absolute path in $gold/sample-sweep/manifest.json" || ok "sample-sweep manifest has relative paths"
fi

# ---------------------------------------------------------------------------------------
# (b) the real pair
# ---------------------------------------------------------------------------------------
shared=${SENTIBT_SHARED:-../shared}
base=$shared/crypto-sentiment-backtest
rp=$base/Benicio1007__Bot_trading/data/dataset/2022/BTCUSDT_1m.csv
rs=$base/Bitcoin-Price-Prediction-Experiments__Bitcoin-Dataset-Viewer-and-Preparer/data/final_data/bitcoin_news_sentiments_21_23.csv
if [ ! -r "$rp" ] || [ ! -r "$rs" ]; then
	echo "SKIP: real data absent ($rp or $rs; set SENTIBT_SHARED); golden real-sweep not checked"
elif [ ! -s "$gold/real-sweep/manifest.json" ]; then
	fail "$gold/real-sweep is missing (run make golden)"
else
	mkdir "$d/real"
	ln -s "$(cd "$(dirname "$rp")" && pwd)/BTCUSDT_1m.csv" "$d/real/BTCUSDT_1m.csv"
	ln -s "$(cd "$(dirname "$rs")" && pwd)/bitcoin_news_sentiments_21_23.csv" \
		"$d/real/bitcoin_news_sentiments_21_23.csv"
	"$BIN" verify "$gold/real-sweep" --input-dir "$d/real" >"$d/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && ok "golden real-sweep verified" ||
		fail "golden real-sweep: exit $rc (intended? run make golden and review):
$(cat "$d/out")"
fi

if [ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all golden checks passed"
exit 0
