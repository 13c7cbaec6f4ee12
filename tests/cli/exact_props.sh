#!/bin/sh
# exact_props.sh - properties of exact decisions (DESIGN step 2: "every decision is exact
# in decimal ... whatever the order of summation"; Sweeps: "byte-identical for any thread
# count, between the SIMD and the scalar path"), on the tie-heavy data of
# tests/oracle/exact_oracle.py gen.  summary.csv must be byte-identical when
#   (a) articles sharing a timestamp come in another order, or the whole file is shuffled;
#   (b) each score and confidence is written as a neighbouring double (0.3 as
#       0.30000000000000004, 0.7 as 0.7000000000000001 or 0.6999999999999998);
#   (c) the kernel is scalar, generic, auto or avx512 (when the CPU has it), or the
#       thread count is 1 or 2.
# Every run has the binary cache off (--candle-cache=), so no run reads another's result.
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $grid is a word list on purpose
set -u

TEST_NAME=exact_props
. tests/cli/lib/common.sh

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found: cannot generate the tie-heavy data of the exact properties"
	exit 0
fi
O=tests/oracle/exact_oracle.py
python3 "$O" gen "$d/in" >"$d/gen.out" 2>&1 ||
	{ echo "FAIL: oracle gen: $(cat "$d/gen.out")"; exit 1; }
ok "$(cat "$d/gen.out")"

# 91 thresholds x 11 confidences (0.5, 0.54, ..., 0.82, ..., 0.9) x 2 windows x 3 exit
# bands x 2 latencies = 12,012 combinations, with costs so that every metric is compared.
grid="--interval 1m --threshold 0.05:0.95:0.01 --min-confidence 0.5:0.9:0.04 --window 1m,5m
 --exit-band 0.1,0.15,0.2 --fee-bps 5 --slippage-bps 1 --latency 0s,30s"

run() {   # $1 = run name, $2 = sentiment file, then extra options
	name=$1 news=$2
	shift 2
	"$BIN" sweep --prices "$d/in/prices.csv" --sentiment "$news" $grid --candle-cache= \
		--top 0 -q --out "$d/$name" "$@" >"$d/$name.out" 2>&1 ||
		{ fail "sweep $name: $(cat "$d/$name.out")"; return 1; }
}

same() {   # $1 = run name, $2 = what differs from the reference run
	[ -s "$d/$1/summary.csv" ] || return 0      # its run failed, already reported
	if cmp -s "$d/ref/summary.csv" "$d/$1/summary.csv"; then
		ok "summary.csv identical: $2"
		return
	fi
	fail "summary.csv differs: $2"
	python3 "$O" diff "$d/ref/summary.csv" "$d/$1/summary.csv" --show 3 | sed 's/^/    /'
}

run ref "$d/in/news.jsonl" || { echo "FAIL: the reference sweep failed"; exit 1; }
n=$(($(wc -l <"$d/ref/summary.csv") - 1))
[ "$n" -eq 12012 ] && ok "reference sweep: $n rows" ||
	fail "reference sweep has $n rows, want 12012"

# (a) order of the articles
run reordered "$d/in/news-reordered.jsonl" &&
	same reordered "articles sharing a timestamp in another order"
run shuffled "$d/in/news-shuffled.jsonl" && same shuffled "articles in random order"

# (b) the same decimals written as neighbouring doubles
run noisy "$d/in/news-noisy.jsonl" &&
	same noisy "scores and confidences written as neighbouring doubles (0.30000000000000004)"

# (c) kernels and threads
kernels="scalar generic auto"
grep -q avx512f /proc/cpuinfo 2>/dev/null && kernels="$kernels avx512" ||
	echo "SKIP: no AVX-512, --kernel avx512 not compared"
for k in $kernels; do
	run "k-$k" "$d/in/news.jsonl" --kernel "$k" && same "k-$k" "--kernel $k"
done
for t in 1 2; do
	run "t-$t" "$d/in/news.jsonl" --threads "$t" && same "t-$t" "--threads $t"
done

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all exact property checks passed"
