#!/bin/sh
# batch.sh - `sentibt batch SPEC.json`: a batch of 3 experiments equals 3 separate sweeps
# byte for byte; each experiment folder passes `sentibt verify`; batch_best.csv holds the
# best row of each (checked against awk over the separate sweeps' summary.csv) and
# batch_all.csv every row; spec errors (and a grid over the limit without "yes": true)
# exit 2 and a failing experiment exits 1, both with
# nothing at the output path; with the MPI build, 2 and 3 ranks give the same tables, and
# tardis: days shared by two experiments on two ranks are requested once (loopback server).
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $grid is a word list on purpose
set -u

TEST_NAME=batch
. tests/cli/lib/common.sh

"$BIN" sample --out "$d/s" --days 2 >/dev/null 2>&1 || { echo "FAIL: sentibt sample"; exit 1; }
S=$d/s
B1=$S/binance_trades_2024-03-01_BTCUSDT.csv.gz B2=$S/binance_trades_2024-03-02_BTCUSDT.csv.gz
E1=$S/binance_trades_2024-03-01_ETHUSDT.csv.gz E2=$S/binance_trades_2024-03-02_ETHUSDT.csv.gz

cat >"$d/spec.json" <<EOF
{
  "comment": "three experiments, one grid",
  "grid": { "threshold": "0.1:0.5:0.1", "min-confidence": "0.5,0.7", "window": "5m,15m",
            "exit-band": 0.05 },
  "options": { "interval": "1m", "top": 2, "rank-by": "sharpe", "candle-cache": "$d/cache",
               "threads": 1 },
  "experiments": [
    { "name": "btc-day1", "prices": "$B1", "sentiment": "$S/news.jsonl", "entity": "BTC" },
    { "name": "btc-mid", "prices": ["$B1", "$B2"], "sentiment": "$S/news.jsonl", "entity": "BTC",
      "from": "2024-03-01T12:00:00Z", "to": "2024-03-02T12:00:00Z" },
    { "name": "eth", "prices": ["$E1", "$E2"], "sentiment": "$S/news.jsonl", "entity": "ETH",
      "options": { "fee-bps": 10 } }
  ]
}
EOF
grid="--threshold 0.1:0.5:0.1 --min-confidence 0.5,0.7 --window 5m,15m --exit-band 0.05
 --interval 1m --top 2 --rank-by sharpe --candle-cache $d/cache --threads 1"

"$BIN" batch "$d/spec.json" --out "$d/b" >"$d/b.out" 2>&1 || { echo "FAIL: batch: $(cat "$d/b.out")"; exit 1; }
"$BIN" sweep --prices "$B1" --sentiment "$S/news.jsonl" --entity BTC $grid --out "$d/one/btc-day1" -q &&
"$BIN" sweep --prices "$B1" "$B2" --sentiment "$S/news.jsonl" --entity BTC \
	--from 2024-03-01T12:00:00Z --to 2024-03-02T12:00:00Z $grid --out "$d/one/btc-mid" -q &&
"$BIN" sweep --prices "$E1" "$E2" --sentiment "$S/news.jsonl" --entity ETH $grid --fee-bps 10 \
	--out "$d/one/eth" -q || { echo "FAIL: the separate sweeps failed"; exit 1; }

# Every file but the manifest, byte for byte.
same_dir() {
	(cd "$1" && find . -type f ! -name manifest.json | sort) >"$d/a.list"
	(cd "$2" && find . -type f ! -name manifest.json | sort) >"$d/b.list"
	cmp -s "$d/a.list" "$d/b.list" && [ -s "$d/a.list" ] || return 1
	while read -r f; do cmp -s "$1/$f" "$2/$f" || return 1; done <"$d/a.list"
}
for x in btc-day1 btc-mid eth; do
	same_dir "$d/one/$x" "$d/b/$x" && ok "$x: the batch folder equals a separate sweep" ||
		fail "$x: the batch folder differs from a separate sweep"
	"$BIN" verify "$d/b/$x" >"$d/v.out" 2>&1 && ok "$x: sentibt verify passes" ||
		fail "$x: verify: $(cat "$d/v.out")"
done
cmp -s "$d/one/btc-day1/summary.csv" "$d/one/eth/summary.csv" &&
	fail "two experiments gave the same summary.csv (inputs not used?)"

# The best row of each, worked out from the separate sweeps: highest sharpe, empty last,
# ties by the lower id.
for x in btc-day1 btc-mid eth; do
	want=$(awk -F, 'NR == 1 { for (k = 1; k <= NF; k++) if ($k == "sharpe") c = k; next }
		$c != "" && (best == "" || $c + 0 > bv) { best = $1; bv = $c + 0 }
		END { print best }' "$d/one/$x/summary.csv")
	got=$(awk -F, -v x="$x" '$1 == x { print $2 }' "$d/b/batch_best.csv")
	[ -n "$want" ] && [ "$got" = "$want" ] && ok "$x: batch_best.csv row is id $want" ||
		fail "$x: batch_best.csv says id '$got', the summary's best sharpe is id '$want'"
	row=$(awk -F, -v x="$x" '$1 == x' "$d/b/batch_best.csv" | cut -d, -f2-)
	grep -qxF "$row" "$d/one/$x/summary.csv" && ok "$x: its best row is the summary.csv row" ||
		fail "$x: best row not in its summary.csv"
done
n_all=$(($(wc -l <"$d/b/batch_all.csv") - 1))
[ "$n_all" -eq 60 ] && [ "$(head -n 1 "$d/b/batch_all.csv")" = "experiment,$(head -n 1 "$d/one/eth/summary.csv")" ] &&
	ok "batch_all.csv: 3 x 20 rows under the summary header" || fail "batch_all.csv: $n_all rows"
grep -q '<td><a href="eth/summary.csv">eth</a>' "$d/b/batch_report.html" &&
	ok "batch_report.html lists the experiments" || fail "batch_report.html lacks the eth row"
if command -v gnuplot >/dev/null 2>&1; then
	[ -s "$d/b/batch_returns.png" ] && [ -s "$d/b/batch_returns.svg" ] &&
		ok "the bar chart is drawn" || fail "no batch_returns.png/svg"
fi
ls -d "$d"/b.tmp-* >/dev/null 2>&1 && fail "a temporary folder is left"
"$BIN" verify "$d/b" >"$d/v.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "a batch folder: verify each experiment's folder" "$d/v.out" &&
	ok "verify on the batch folder itself points to the experiments' folders" ||
	fail "verify on the batch folder: exit $rc: $(cat "$d/v.out")"

# Spec errors (exit 2) and a failing experiment (exit 1): nothing at the output path.
bad() {
	what=$1 want_rc=$2 want=$3
	"$BIN" batch "$d/bad.json" --out "$d/bad" -q >"$d/bad.out" 2>&1
	rc=$?
	[ $rc -eq "$want_rc" ] && grep -q -- "$want" "$d/bad.out" && [ ! -e "$d/bad" ] &&
		! ls -d "$d"/bad.tmp-* >/dev/null 2>&1 &&
		ok "$what: exit $rc, nothing written" || fail "$what: exit $rc: $(cat "$d/bad.out")"
}
sed 's/"window": "5m,15m",/"window": "5m,15m",,/' "$d/spec.json" >"$d/bad.json"
bad "a spec that is not JSON" 2 "bad.json: expected JSON (stops at line 3, column"
sed 's/"comment"/"commnet"/' "$d/spec.json" >"$d/bad.json"
bad "unknown spec key" 2 "unknown key 'commnet'"
sed 's/"name": "eth"/"name": "btc-mid"/' "$d/spec.json" >"$d/bad.json"
bad "repeated name" 2 "'btc-mid' repeats experiments\[1\]"
sed 's/"name": "eth"/"name": "..\/eth"/' "$d/spec.json" >"$d/bad.json"
bad "a name that is a path" 2 "is not 1 to 64"
sed 's/"out"//; s/"top": 2/"out": "x"/' "$d/spec.json" >"$d/bad.json"
bad "--out in the options" 2 "options.out: not allowed"
sed 's/"window": "5m,15m"/"window": "5q"/' "$d/spec.json" >"$d/bad.json"
bad "a grid value the sweep rejects" 2 "in experiment 'btc-day1'"
sed "s|\"sentiment\": \"$S/news.jsonl\", \"entity\": \"ETH\"|\"sentiment\": \"$d/missing.jsonl\", \"entity\": \"ETH\"|" \
	"$d/spec.json" >"$d/bad.json"
bad "a missing input in the last experiment" 1 "experiment 'eth' failed"
# The sweep's grid limit: refused before anything runs (exit 2, naming the experiment),
# unless "yes": true (a flag) in the options; then the run goes on (here to a missing file).
sed 's/"threshold": "0.1:0.5:0.1"/"threshold": "0.0001:1:0.0001"/; s/"min-confidence": "0.5,0.7"/"min-confidence": "0.01:1:0.01"/' \
	"$d/spec.json" >"$d/bad.json"
bad "a grid over 1,000,000 combinations" 2 "experiment 'btc-day1': the grid has 2000000 combinations.*\"yes\": true"
sed 's/"threshold": "0.1:0.5:0.1"/"threshold": "0.0001:1:0.0001"/; s/"min-confidence": "0.5,0.7"/"min-confidence": "0.01:1:0.01"/; s/"threads": 1/"threads": 1, "yes": true/' \
	"$d/spec.json" | sed "s|$S/news.jsonl|$d/missing.jsonl|" >"$d/bad.json"
bad "a grid over the limit with \"yes\": true runs" 1 "experiment 'btc-day1' failed"
sed 's/"threads": 1/"threads": 1, "yes": true/' "$d/spec.json" >"$d/yes.json"
"$BIN" batch "$d/yes.json" --out "$d/byes" -q >"$d/byes.out" 2>&1 &&
	cmp -s "$d/b/eth/summary.csv" "$d/byes/eth/summary.csv" &&
	ok "\"yes\": true is the flag --yes (same tables)" || fail "\"yes\": true: $(cat "$d/byes.out")"
sed 's/"threads": 1/"threads": 1, "dry-run": true/' "$d/spec.json" >"$d/bad.json"
bad "dry-run in the options" 2 "options.dry-run: not allowed"

# ---------------------------------------------------------------------------------------
# Under mpirun (the MPI build): the same tables; tardis: days fetched once.
# ---------------------------------------------------------------------------------------
MPIBIN=${SENTIBT_MPI_BIN:-build/mpi/sentibt}
if [ "${SENTIBT_SANITIZED:-0}" = 1 ]; then
	echo "SKIP: batch under mpirun runs with the plain MPI build only"
	[ $fails -eq 0 ]
	exit
fi
if ! command -v mpirun >/dev/null 2>&1 || [ ! -x "$MPIBIN" ]; then
	[ "${SENTIBT_REQUIRE_MPI:-0}" = 1 ] && fail "mpirun or $MPIBIN missing (SENTIBT_REQUIRE_MPI=1)"
	echo "SKIP: batch under mpirun (needs mpirun and $MPIBIN: make MPI=1)"
	[ $fails -eq 0 ]
	exit
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_plm_rsh_agent=false
for np in 2 3; do
	timeout -k 10 120 mpirun -np $np --oversubscribe "$MPIBIN" batch "$d/spec.json" --out "$d/mpi$np" -q >"$d/mpi.out" 2>&1 &&
		cmp -s "$d/b/batch_all.csv" "$d/mpi$np/batch_all.csv" &&
		cmp -s "$d/b/batch_best.csv" "$d/mpi$np/batch_best.csv" &&
		same_dir "$d/b/eth" "$d/mpi$np/eth" &&
		ok "$np ranks: the same tables and folders as one process" ||
		fail "$np ranks: $(cat "$d/mpi.out")"
done
timeout -k 10 120 mpirun -np 2 --oversubscribe "$MPIBIN" batch "$d/bad.json" --out "$d/bad" -q >"$d/bad.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ ! -e "$d/bad" ] && ! ls -d "$d"/bad.tmp-* >/dev/null 2>&1 &&
	ok "2 ranks, an experiment fails on rank 0: exit $rc, nothing written" ||
	fail "2 ranks, a failing experiment: exit $rc: $(cat "$d/bad.out")"

# Two experiments over the same tardis: days, on two ranks: two requests in all.
FETCH_SERVER_KEY=k python3 tests/fetch_server.py --port-file "$d/port" --log "$d/log" &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$d"' EXIT INT TERM
i=0
while [ ! -s "$d/port" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
cat >"$d/bt-news.jsonl" <<'EOF2'
{"id":"bt1","published_at":"2024-03-01T00:10:30Z","sentiment_score":0.9,"confidence":0.9,"symbols":["BTC"]}
{"id":"bt2","published_at":"2024-03-02T00:20:30Z","sentiment_score":0.0,"confidence":0.9,"symbols":["BTC"]}
EOF2
ref=tardis:ex-batch:trades:BTCUSDT:2024-03-01..2024-03-03
cat >"$d/tardis.json" <<EOF
{ "grid": { "threshold": "0.1,0.5", "min-confidence": 0.5 },
  "options": { "tardis-cache": "$d/tardis", "candle-cache": "", "threads": 1 },
  "experiments": [
    { "name": "all", "prices": "$ref", "sentiment": "$d/bt-news.jsonl" },
    { "name": "day2", "prices": "$ref", "sentiment": "$d/bt-news.jsonl", "from": "2024-03-02" } ] }
EOF
SENTIBT_TARDIS_BASE_URL="http://127.0.0.1:$(cat "$d/port")/v1" TARDIS_API_KEY=k \
	timeout -k 10 120 mpirun -np 2 --oversubscribe -x SENTIBT_TARDIS_BASE_URL -x TARDIS_API_KEY \
	"$MPIBIN" batch "$d/tardis.json" --out "$d/tb" -q >"$d/tb.out" 2>&1
rc=$?
n=$(grep -c '/v1/ex-batch/' "$d/log")
[ $rc -eq 0 ] && [ "$n" -eq 2 ] && [ -s "$d/tb/day2/summary.csv" ] &&
	ok "tardis: days shared by two experiments on two ranks: $n requests" ||
	fail "tardis batch: exit $rc, $n requests: $(cat "$d/tb.out")"

[ $fails -eq 0 ]
