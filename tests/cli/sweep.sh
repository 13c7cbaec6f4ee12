#!/bin/sh
# sweep.sh - `sentibt sweep` end to end on a generated day: summary.csv layout and grid
# order, byte-identical results for any thread count and kernel, every sampled row equal
# to a `sentibt backtest` of the same parameters, the top-K / --keep curves, usage errors
# and no progress output when stderr is not a terminal.
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $common, $grid are word lists on purpose
set -u

TEST_NAME=sweep
. tests/cli/lib/common.sh

if command -v python3 >/dev/null 2>&1; then have_py=1; else have_py=0; fi

if ! "$BIN" sample --out "$d/s" --days 1 >"$d/sample.out" 2>&1; then
	echo "FAIL: sentibt sample: $(cat "$d/sample.out")"
	exit 1
fi
P="$d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz"
S="$d/s/news.jsonl"
[ -s "$P" ] && [ -s "$S" ] || { echo "FAIL: sample did not write $P and $S"; exit 1; }

common="--prices $P --sentiment $S --entity BTC --candle-cache= --interval 1m"
# 5 thresholds (a range) x 2 confidences x 2 windows x 2 exit bands (a range) x 1 fee
# x 2 slippages x 2 latencies = 160 combinations; 5 x 2 x 2 = 20 lanes per group (not a
# multiple of 8), 2 x 2 x 2 = 8 signal groups.
grid="--threshold 0.1:0.5:0.1 --min-confidence 0.5,0.7 --window 5m,15m
 --exit-band 0.05:0.1:0.05 --fee-bps 5 --slippage-bps 0,2 --latency 0s,2m"
ncomb=160

sweep() { "$BIN" sweep $common $grid "$@"; }

# ---------------------------------------------------------------------------------------
# The reference run: top 3 by total_return, quiet.
# ---------------------------------------------------------------------------------------
sweep --top 3 --rank-by total_return --out "$d/r" -q >"$d/r.out" 2>"$d/r.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: sweep exit $rc: $(cat "$d/r.err")"; exit 1; }
[ -s "$d/r.err" ] && fail "sweep wrote on stderr: $(cat "$d/r.err")" || ok "sweep silent on stderr"
sum="$d/r/summary.csv"
[ -s "$sum" ] || { echo "FAIL: no $sum"; exit 1; }

want_header="id,threshold,min_confidence,window,exit_band,fee_bps,slippage_bps,latency,stop_loss,take_profit,trailing_stop,max_hold,side,total_return,sharpe,sortino,max_drawdown,calmar,trades,closed_trades,win_rate,profit_factor,exposure,avg_trade_return,final_equity,skew,kurtosis,psr,dsr,bh_return,bh_sharpe,bh_max_drawdown,excess_return,exits_signal,exits_stop,exits_take,exits_trail,exits_time"
[ "$(head -n 1 "$sum")" = "$want_header" ] && ok "summary.csv header" ||
	fail "summary.csv header is '$(head -n 1 "$sum")'"
n=$(($(wc -l <"$sum") - 1))
[ "$n" -eq $ncomb ] && ok "summary.csv has $ncomb rows" || fail "summary.csv has $n rows, want $ncomb"

# Grid order, worked out here: the first column varies slowest.  Range values are the
# decimals as typed (start + n*step in decimal: 0.3, where binary floating point gives
# 0.30000000000000004).  Windows and latencies are in seconds.
id=0
: >"$d/want_params"
for t in 0.1 0.2 0.3 0.4 0.5; do
for k in 0.5 0.7; do
for w in 300 900; do
for e in 0.05 0.1; do
for s in 0 2; do
for l in 0 120; do
	echo "$id,$t,$k,$w,$e,5,$s,$l" >>"$d/want_params"
	id=$((id + 1))
done; done; done; done; done; done
tail -n +2 "$sum" | cut -d, -f1-8 >"$d/got_params"
if cmp -s "$d/want_params" "$d/got_params"; then
	ok "rows in grid order with exact parameter values"
else
	fail "parameter columns differ from the grid order:"
	diff "$d/want_params" "$d/got_params" | head -5
fi
# the sweep must not be degenerate: most combinations trade
ntr=$(tail -n +2 "$sum" | awk -F, '$19 > 0' | wc -l)      # trades
[ "$ntr" -gt $((ncomb / 2)) ] && ok "$ntr of $ncomb combinations trade" ||
	fail "only $ntr of $ncomb combinations trade"

# ---------------------------------------------------------------------------------------
# Determinism: any thread count, any kernel, the same bytes.
# ---------------------------------------------------------------------------------------
same_summary() {   # $1 = label, $2 = run folder
	if cmp -s "$sum" "$2/summary.csv"; then ok "summary.csv identical: $1"
	else fail "summary.csv differs: $1"; fi
}
for nt in 1 2 4; do
	OMP_NUM_THREADS=$nt sweep --top 0 --out "$d/omp$nt" -q >/dev/null 2>"$d/err" ||
		fail "OMP_NUM_THREADS=$nt: $(cat "$d/err")"
	same_summary "OMP_NUM_THREADS=$nt" "$d/omp$nt"
done
for nt in 1 2 3 4; do
	sweep --top 0 --threads $nt --out "$d/thr$nt" -q >/dev/null 2>"$d/err" ||
		fail "--threads $nt: $(cat "$d/err")"
	same_summary "--threads $nt" "$d/thr$nt"
done
kernels="scalar generic auto"
grep -q avx512f /proc/cpuinfo 2>/dev/null && kernels="$kernels avx512" ||
	echo "SKIP: no AVX-512, --kernel avx512 not compared"
for k in $kernels; do
	sweep --top 0 --kernel $k --threads 3 --out "$d/k-$k" -q >/dev/null 2>"$d/err" ||
		fail "--kernel $k: $(cat "$d/err")"
	same_summary "--kernel $k" "$d/k-$k"
done

# ---------------------------------------------------------------------------------------
# Top 3 by total_return, ranked here with sort (highest first, ties by id), and --keep.
# ---------------------------------------------------------------------------------------
ids_in() {   # $1 = folder: the ids of its <id>.csv files, sorted, space-separated
	for f in "$1"/*.csv; do
		[ -e "$f" ] || continue
		b=${f##*/}
		echo "${b%.csv}"
	done | sort -n | tr '\n' ' '
}
top3=$(tail -n +2 "$sum" | sort -t, -k14,14gr -k1,1n | head -n 3 | cut -d, -f1 | sort -n | tr '\n' ' ')
got=$(ids_in "$d/r/equity")
[ "$got" = "$top3" ] && ok "equity/ holds the top 3 by total_return: $top3" ||
	fail "equity/ holds '$got', want '$top3'"
got=$(ids_in "$d/r/trades")
[ "$got" = "$top3" ] && ok "trades/ holds the top 3" || fail "trades/ holds '$got', want '$top3'"

# --rank-by dsr: the top 2 by the summary's dsr column (the last one; empty ranks last).
sweep --top 2 --rank-by dsr --out "$d/dsr" -q >/dev/null 2>"$d/err" || fail "--rank-by dsr: $(cat "$d/err")"
ndsr=$(head -n 1 "$d/dsr/summary.csv" | tr ',' '\n' | grep -nx dsr | cut -d: -f1)
top2=$(tail -n +2 "$d/dsr/summary.csv" | awk -F, -v c="$ndsr" '$c != ""' |
	sort -t, -k"$ndsr","$ndsr"gr -k1,1n | head -n 2 | cut -d, -f1 | sort -n | tr '\n' ' ')
got=$(ids_in "$d/dsr/equity")
[ -n "$ndsr" ] && [ "$got" = "$top2" ] && ok "--rank-by dsr picks the top 2 by dsr: $top2" ||
	fail "--rank-by dsr: equity/ holds '$got', want '$top2'"

sweep --top 3 --rank-by total_return --keep 0,5 --out "$d/keep" -q >/dev/null 2>"$d/err" ||
	fail "--keep 0,5: $(cat "$d/err")"
want_keep=$(printf '%s\n' $top3 0 5 | sort -nu | tr '\n' ' ')
got=$(ids_in "$d/keep/equity")
[ "$got" = "$want_keep" ] && ok "--keep 0,5 adds 0 and 5: $got" ||
	fail "--keep: equity/ holds '$got', want '$want_keep'"
for id in 0 5; do
	[ -s "$d/keep/trades/$id.csv" ] || fail "--keep: no trades/$id.csv"
done

# ---------------------------------------------------------------------------------------
# Rows against `sentibt backtest` with the row's parameters: first, last, some in
# between, the top 3 and the kept ids.
# ---------------------------------------------------------------------------------------
cat >"$d/cmp.py" <<'EOF'
import csv, json, struct, sys
def ulps(a, b):
    ia, ib = (struct.unpack("<q", struct.pack("<d", x))[0] for x in (a, b))
    return abs(ia - ib)
summary, rid, metrics = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(summary, newline="") as f:
    rows = list(csv.DictReader(f))
row = rows[rid]
assert int(row["id"]) == rid
m = json.load(open(metrics))
bad = []
names = ["total_return", "sharpe", "sortino", "max_drawdown", "calmar", "trades",
         "closed_trades", "win_rate", "profit_factor", "exposure", "avg_trade_return",
         "final_equity"]
for k in names:
    cell, js = row[k], m.get(k, "missing")
    if js == "missing":
        bad.append("%s missing from metrics.json" % k)
    elif cell == "":
        if js is not None:
            bad.append("%s: summary empty, backtest %r" % (k, js))
    elif js is None:
        bad.append("%s: summary %s, backtest null" % (k, cell))
    elif float(cell) != float(js):
        bad.append("%s: summary %s, backtest %r (%d ulp apart)"
                   % (k, cell, js, ulps(float(cell), float(js))))
if bad:
    print("; ".join(bad))
    sys.exit(1)
EOF

check_ids="0 33 70 101 127 $((ncomb - 1)) $top3 5"
checked=0
for id in $(printf '%s\n' $check_ids | sort -nu); do
	row=$(sed -n "$((id + 2))p" "$sum")
	IFS=, read -r _ t k w e f s l _ <<EOF
$row
EOF
	out="$d/bt$id"
	if ! "$BIN" backtest $common --threshold "$t" --min-confidence "$k" --window "${w}s" \
		--exit-band "$e" --fee-bps "$f" --slippage-bps "$s" --latency "${l}s" \
		--out "$out" -q >/dev/null 2>"$d/err"; then
		fail "backtest of row $id: $(cat "$d/err")"
		continue
	fi
	checked=$((checked + 1))
	if [ $have_py -eq 1 ]; then
		if msg=$(python3 "$d/cmp.py" "$sum" "$id" "$out/metrics.json" 2>&1); then
			ok "row $id equals backtest metrics.json"
		else
			fail "row $id differs from backtest: $msg"
		fi
	fi
	for x in equity trades; do
		for run in r keep; do
			[ -e "$d/$run/$x/$id.csv" ] || continue
			cmp -s "$d/$run/$x/$id.csv" "$out/$x.csv" &&
				ok "$run/$x/$id.csv identical to backtest's $x.csv" ||
				fail "$run/$x/$id.csv differs from backtest's $x.csv"
		done
	done
done
[ $have_py -eq 1 ] || echo "SKIP: python3 missing, metrics of $checked rows not compared"
[ "$checked" -ge 6 ] || fail "only $checked rows checked against backtest"

# ---------------------------------------------------------------------------------------
# Usage errors: exit 2, a message naming the option, no output folder.
# ---------------------------------------------------------------------------------------
usage_err() {   # $1 = label, $2 = word the message must contain, rest = extra options
	label=$1 word=$2
	shift 2
	"$BIN" sweep $common "$@" --out "$d/bad" -q >/dev/null 2>"$d/err"
	rc=$?
	if [ $rc -ne 2 ]; then
		fail "$label: exit $rc, want 2 ($(cat "$d/err"))"
	elif ! grep -q -- "$word" "$d/err"; then
		fail "$label: message does not mention '$word': $(cat "$d/err")"
	else
		ok "$label: exit 2"
	fi
	[ -e "$d/bad" ] && { fail "$label: output folder created"; rm -rf "$d/bad"; }
	for x in "$d"/bad.tmp*; do [ -e "$x" ] && fail "$label: left $x"; done
}
usage_err "--rank-by nosuch" "nosuch" $grid --rank-by nosuch
usage_err "range stop < start" "--threshold" --threshold 0.5:0.1:0.1
usage_err "range step 0" "--exit-band" --exit-band 0.05:0.2:0
usage_err "range of garbage" "--min-confidence" --min-confidence 0.5:x:0.1
usage_err "window range step 0" "--window" --window 1m:10m:0m
usage_err "range with a 4th part" "--threshold" --threshold 0.1:0.5:0.1:0.9
usage_err "empty list item" "--threshold" --threshold 0.1,,0.3
usage_err "--keep beyond the grid" "--keep" $grid --keep $ncomb
usage_err "--kernel nosuch" "--kernel" --kernel nosuch

# ---------------------------------------------------------------------------------------
# Progress goes to a terminal only: with stderr on a file, no '\r' and nothing at all.
# ---------------------------------------------------------------------------------------
sweep --top 1 --out "$d/prog" >"$d/prog.out" 2>"$d/prog.err"
rc=$?
[ $rc -eq 0 ] || fail "sweep without -q: exit $rc"
if [ -n "$(tr -cd '\r' <"$d/prog.err")" ]; then
	fail "progress ('\\r') written to a stderr that is not a terminal"
elif grep -qv '^sentibt sweep: left out: ' "$d/prog.err"; then   # the coverage line only
	fail "stderr not empty: $(head -c 300 "$d/prog.err")"
else
	ok "no progress on a non-terminal stderr"
fi
[ -n "$(tr -cd '\r' <"$d/prog.out")" ] && fail "'\\r' in stdout"
grep -q "$ncomb combinations" "$d/prog.out" && ok "stdout reports $ncomb combinations" ||
	fail "stdout does not report the combination count: $(head -n 2 "$d/prog.out")"

# On a terminal (script(1) gives one), a sweep that takes over a second shows a
# progress line: combinations done, rate, ETA, redrawn with '\r'.  The delay is cut to
# 0 so that a sweep of a few hundredths of a second shows it.
if command -v script >/dev/null 2>&1; then
	SENTIBT_PROGRESS_DELAY=0 script -qec "$BIN sweep $common --threshold 0.05:0.95:0.01 --min-confidence 0.5:0.99:0.01 \
		--exit-band 0.05,0.1,0.2 --window 5m,15m --kernel scalar --threads 1 --top 0 \
		--out $d/tty" /dev/null >"$d/tty.out" 2>&1 </dev/null
	if [ -n "$(tr -cd '\r' <"$d/tty.out")" ] && grep -q "combinations ([0-9]* %), ETA [0-9]* s" "$d/tty.out"; then
		ok "progress line on a terminal"
		# one line, erased at the end: never ended by a newline, the last one erased
		python3 -c 'import re, sys
out = open(sys.argv[1], "rb").read().decode()
last = [m.start() for m in re.finditer(r"combinations \(\d+ %\)", out)][-1]
sys.exit(bool(re.search(r"combinations \(\d+ %\)[^\r\n]*\n", out)) or out.rfind("\r\x1b[K") < last)' "$d/tty.out" &&
			ok "progress line erased, never printed with a newline" ||
			fail "progress line left or printed twice: $(tr '\r' '|' <"$d/tty.out" | head -c 400)"
	else
		fail "no progress line on a terminal: $(head -c 300 "$d/tty.out")"
	fi
else
	echo "SKIP: script(1) not installed: progress on a terminal not tested"
fi

# The manifest's digests of the curves (taken as they were written, engine/results.c)
# equal an independent SHA-256 of the files.
if [ $have_py -eq 1 ]; then
	python3 - "$d/r" >"$d/digests.out" 2>&1 <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
outs = [o for o in m["outputs"] if o["path"].startswith(("equity/", "trades/"))]
bad = [o["path"] for o in outs
       if hashlib.sha256(open(os.path.join(d, o["path"]), "rb").read()).hexdigest() != o["sha256"]
       or os.path.getsize(os.path.join(d, o["path"])) != o["size"]]
print("%d curve files, %d mismatched %s" % (len(outs), len(bad), bad))
sys.exit(1 if bad or len(outs) != 6 else 0)
PY
	[ $? -eq 0 ] && ok "manifest digests of the curves: $(cat "$d/digests.out")" ||
		fail "manifest digests of the curves: $(cat "$d/digests.out")"
else
	echo "SKIP: python3 not installed: manifest digests of the curves not checked"
fi

# An existing result folder is not overwritten without --force.
sweep --top 0 --out "$d/r" -q >/dev/null 2>"$d/err"
rc=$?
[ $rc -ne 0 ] && ok "existing folder refused (exit $rc)" || fail "existing folder overwritten"
cmp -s "$sum" "$d/omp1/summary.csv" || fail "refused run altered the existing summary.csv"

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all sweep checks passed"
