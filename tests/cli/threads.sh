#!/bin/sh
# threads.sh - --threads N (else OMP_NUM_THREADS) bounds every thread of the run, not
# only the sweep's: with 1, the loaders (several files, the news beside the candles,
# inflating ahead) and the manifest's hashing start no thread at all; with 2 they do;
# the result folders are the same.  Threads are counted as clone3() calls by strace;
# skips with a message when strace is missing.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $inputs, $args are word lists on purpose
set -u

TEST_NAME=threads
. tests/cli/lib/common.sh

command -v strace >/dev/null 2>&1 || { echo "SKIP: strace not installed (apt-get install strace)"; exit 0; }
strace -f -qq -o /dev/null true 2>/dev/null || { echo "SKIP: strace cannot trace here (ptrace refused)"; exit 0; }
[ "${SENTIBT_SANITIZED:-0}" = 1 ] && { echo "SKIP: thread counts are the plain build's"; exit 0; }
"$BIN" sample --out "$d/s" --days 2 >/dev/null 2>&1 || { echo "FAIL: sentibt sample"; exit 1; }
inputs="--prices $d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz
 --prices $d/s/binance_trades_2024-03-02_BTCUSDT.csv.gz --sentiment $d/s/news.jsonl
 --entity BTC --candle-cache $d/cache -q"
args="$inputs --threshold 0.1,0.3 --min-confidence 0.5,0.7"

# clones CMD...: the threads CMD started (strace's count of clone/clone3 calls)
clones() {
	strace -f -qq -e trace=clone,clone3 -o "$d/strace" "$@" >/dev/null 2>"$d/err" || return 1
	grep -c 'clone3\?(' "$d/strace" || true
}

# Each on a cold cache, so that the loaders parse (several files, news beside).
n=$(clones "$BIN" sweep $args --threads 1 --out "$d/t1") || fail "--threads 1: $(cat "$d/err")"
[ "${n:-1}" -eq 0 ] && ok "--threads 1: no thread started" || fail "--threads 1: $n threads started"
rm -rf "$d/cache"
n=$(clones "$BIN" sweep $args --threads 2 --out "$d/t2") || fail "--threads 2: $(cat "$d/err")"
[ "${n:-0}" -gt 0 ] && ok "--threads 2: $n threads" || fail "--threads 2: none started (the test sees nothing)"
rm -rf "$d/cache"
n=$(OMP_NUM_THREADS=1 clones "$BIN" sweep $args --out "$d/omp1") || fail "OMP_NUM_THREADS=1: $(cat "$d/err")"
[ "${n:-1}" -eq 0 ] && ok "OMP_NUM_THREADS=1: no thread started" || fail "OMP_NUM_THREADS=1: $n threads started"
rm -rf "$d/cache"
n=$(clones "$BIN" events $inputs --threads 1 --out "$d/ev1") || fail "events --threads 1: $(cat "$d/err")"
[ "${n:-1}" -eq 0 ] && ok "events --threads 1: no thread started" || fail "events --threads 1: $n threads started"

for t in 2 1; do
	cmp -s "$d/t$t/summary.csv" "$d/omp1/summary.csv" &&
		ok "--threads $t: summary.csv as with OMP_NUM_THREADS=1" || fail "--threads $t: summary.csv differs"
done

[ $fails -eq 0 ]
