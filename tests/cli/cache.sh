#!/bin/sh
# cache.sh - the binary input cache (--candle-cache) seen from `sentibt backtest`: hits give
# the same results, a changed input misses and is parsed afresh, damaged entries are
# rebuilt, '' turns the cache off.  Run from the repo root with ./sentibt built.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
set -u

TEST_NAME=cache
. tests/cli/lib/common.sh

R=$(pwd)
C="$d/cache"
if ! $BIN sample --out "$d/s" --days 1 >"$d/sample.log" 2>&1; then
	cat "$d/sample.log"
	echo "FAIL: sentibt sample failed"
	exit 1
fi
P="$d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz"
N="$d/s/news.jsonl"
[ -f "$P" ] && [ -f "$N" ] || { echo "FAIL: the sample lacks $P or $N"; exit 1; }

# bt NAME ARGS... : a backtest into $d/NAME (log in $d/NAME.log); exit code in $rc
bt() {
	name=$1; shift
	$BIN backtest --entity BTC -q --out "$d/$name" "$@" >"$d/$name.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { echo "--- $d/$name.log"; cat "$d/$name.log"; }
}
n_entries() { ls "$C" | grep -c '\.mpk$'; }
n_temps() { ls -a "$C" | grep -c '\.tmp-'; }
# entry identities (inode + name): a rewritten entry is renamed over, so its inode changes
inodes() { ls -i "$C" | sort -k2; }
# the loader statistics of the manifest's inputs, in order (prices, then sentiment)
stats() { grep -E '"(path|sha256|kind|rows|rows_used|rows_dropped|first|last)":' "$d/$1/manifest.json" | grep -v '"path":	"[a-z]*\.csv"\|"path":	"metrics.json"'; }
# field NAME KEY N : the N-th value of KEY in NAME's manifest
field() { grep "\"$2\":" "$d/$1/manifest.json" | sed -n "$3p" | sed 's/^[^:]*:[[:space:]]*//; s/[",]//g'; }

# --- first run fills the cache, second run hits it -------------------------------------
bt r1 --prices "$P" --sentiment "$N" --candle-cache "$C"
[ $rc -eq 0 ] && ok "first run" || fail "first run: exit $rc"
[ "$(n_entries)" -eq 2 ] && ok "2 entries (candles, articles)" || fail "expected 2 entries, got: $(ls "$C")"
inodes >"$d/inodes1"
bt r2 --prices "$P" --sentiment "$N" --candle-cache "$C"
[ $rc -eq 0 ] || fail "second run: exit $rc"
for f in metrics.json equity.csv trades.csv; do
	cmp -s "$d/r1/$f" "$d/r2/$f" || fail "second run (cache hit): $f differs"
done
stats r1 >"$d/stats1"
stats r2 >"$d/stats2"
cmp -s "$d/stats1" "$d/stats2" || fail "second run: the manifest's input statistics differ"
[ -s "$d/stats1" ] || fail "no input statistics found in the manifest"
[ "$(n_entries)" -eq 2 ] || fail "second run: expected still 2 entries, got: $(ls "$C")"
inodes >"$d/inodes2"
# a miss always stores (write + rename), so untouched entries mean both loads were hits
cmp -s "$d/inodes1" "$d/inodes2" && ok "second run hit the cache, same results" || fail "second run rewrote entries"

# a copy of the articles under another name hits the same entry (content keyed)
cp "$N" "$d/renamed.jsonl"
bt r3 --prices "$P" --sentiment "$d/renamed.jsonl" --candle-cache "$C"
[ $rc -eq 0 ] || fail "renamed copy: exit $rc"
cmp -s "$d/r1/metrics.json" "$d/r3/metrics.json" || fail "renamed copy: metrics differ"
inodes >"$d/inodes3"
cmp -s "$d/inodes1" "$d/inodes3" && ok "a renamed copy hits the cache" || fail "a renamed copy missed the cache"

# --- more articles: a new entry, parsed afresh -----------------------------------------
# 100 articles in candle 12:00 with score 0 and confidence 1: the window mean at the close of
# candle 12:00 (12:01:00) is then about 0, below the exit band 0.1, so a position held
# across 12:01:00 in the first run must now exit there (DESIGN.md step 3).
cp "$N" "$d/news-more.jsonl"
i=0
while [ $i -lt 100 ]; do
	printf '{"id":"cache-test-%d","published_at":"2024-03-01T12:00:%02dZ","symbols":["BTC"],"sentiment_score":0.0,"confidence":1.0,"source":"test","headline":"cache test"}\n' \
		"$i" $((i % 60)) >>"$d/news-more.jsonl"
	i=$((i + 1))
done
rows0=$(wc -l <"$N")
bt r4 --prices "$P" --sentiment "$d/news-more.jsonl" --candle-cache "$C"
[ $rc -eq 0 ] || fail "changed articles: exit $rc"
[ "$(n_entries)" -eq 3 ] && ok "changed articles: a third entry" || fail "changed articles: expected 3 entries, got: $(ls "$C")"
# the sentiment input's rows (2nd "rows" of the manifest) count the 100 new lines: a stale
# entry would say $rows0
[ "$(field r4 rows 2)" = $((rows0 + 100)) ] && ok "changed articles: parsed afresh" ||
	fail "changed articles: sentiment rows $(field r4 rows 2), expected $((rows0 + 100))"
[ "$(field r4 sha256 2)" != "$(field r1 sha256 2)" ] || fail "changed articles: same sha256 in the manifest"
held=$(awk -F, 'NR > 1 && $1 < "2024-03-01T12:01:00Z" && $3 > "2024-03-01T12:01:00Z" { print $1 }' "$d/r1/trades.csv")
if [ -z "$held" ]; then
	fail "precondition: the first run holds no position across 12:01:00"
else
	awk -F, -v e="$held" '$1 == e && $3 == "2024-03-01T12:01:00Z" { f = 1 } END { exit !f }' "$d/r4/trades.csv" &&
		ok "changed articles: the position entered at $held exits at 12:01:00" ||
		fail "changed articles: the position entered at $held does not exit at 12:01:00"
fi

# --- one more trade, 30 minutes into the next day: a new candle entry -------------------
# The day's trades end in candle 23:59, so equity.csv (one row per candle) grows by the
# 31 candles 2024-03-02T00:00 .. 00:30.  1709339400 = 1709251200 (2024-03-01) + 86400 + 1800.
case "$(field r1 last 1)" in
2024-03-01T23:59:*) ;;
*) fail "precondition: the sample's trades end at $(field r1 last 1), not in candle 23:59" ;;
esac
{ gzip -dc "$P"; echo "binance,BTCUSDT,1709339400000000,1709339400000000,cache-test,buy,60000,0.001"; } |
	gzip -c >"$d/more-trades.csv.gz"
bt r5 --prices "$d/more-trades.csv.gz" --sentiment "$N" --candle-cache "$C"
[ $rc -eq 0 ] || fail "changed trades: exit $rc"
[ "$(n_entries)" -eq 4 ] && ok "changed trades: a fourth entry" || fail "changed trades: expected 4 entries, got: $(ls "$C")"
[ "$(field r5 last 1)" = "2024-03-02T00:30:00Z" ] || fail "changed trades: prices last $(field r5 last 1), expected 2024-03-02T00:30:00Z"
l1=$(wc -l <"$d/r1/equity.csv")
l5=$(wc -l <"$d/r5/equity.csv")
[ "$l5" -eq $((l1 + 31)) ] && ok "changed trades: parsed afresh (31 more candles)" ||
	fail "changed trades: equity.csv has $l5 lines, expected $l1 + 31"

# --- damaged entries are rebuilt transparently ------------------------------------------
for e in "$C"/*.mpk; do
	dd if="$e" of="$d/head" bs=10 count=1 2>/dev/null
	cat "$d/head" >"$e"
done
bt r6 --prices "$P" --sentiment "$N" --candle-cache "$C"
[ $rc -eq 0 ] || fail "damaged entries: exit $rc"
cmp -s "$d/r1/metrics.json" "$d/r6/metrics.json" && cmp -s "$d/r1/equity.csv" "$d/r6/equity.csv" &&
	ok "damaged entries: same results" || fail "damaged entries: results differ from the first run"
stats r6 >"$d/stats6"
cmp -s "$d/stats1" "$d/stats6" || fail "damaged entries: the manifest's input statistics differ"
[ "$(n_entries)" -eq 4 ] || fail "damaged entries: expected 4 entries, got: $(ls "$C")"
small=0
for k in $(ls "$C" | grep '\.mpk$'); do
	[ "$(wc -c <"$C/$k")" -gt 10 ] || small=$((small + 1))
done
# the two entries of this run are rewritten; the other two stay damaged until used
[ $small -eq 2 ] && ok "damaged entries: the used ones rewritten" || fail "damaged entries: $small entries of 10 bytes, expected 2"
bt r7 --prices "$P" --sentiment "$N" --candle-cache "$C"
inodes >"$d/inodes7"
bt r8 --prices "$P" --sentiment "$N" --candle-cache "$C"
inodes >"$d/inodes8"
cmp -s "$d/inodes7" "$d/inodes8" ||
	fail "rebuilt entries are not hit again: $(diff "$d/inodes7" "$d/inodes8" | tr '\n' ' '); r8: $(head -c 300 "$d/r8.log")"

# --- '' turns the cache off: nothing written, not even the default folder --------------
mkdir "$d/cwd"
inodes >"$d/inodes9"
(cd "$d/cwd" && "$R/sentibt" backtest --entity BTC -q --out "$d/r9" --prices "$P" \
	--sentiment "$N" --candle-cache '' >"$d/r9.log" 2>&1)
rc=$?
[ $rc -eq 0 ] || { cat "$d/r9.log"; fail "--candle-cache '': exit $rc"; }
cmp -s "$d/r1/metrics.json" "$d/r9/metrics.json" || fail "--candle-cache '': metrics differ"
inodes >"$d/inodes10"
cmp -s "$d/inodes9" "$d/inodes10" || fail "--candle-cache '': the cache folder changed"
[ -z "$(ls -A "$d/cwd")" ] && ok "--candle-cache '' writes no cache" || fail "--candle-cache '': wrote $(ls -A "$d/cwd")"

# Without a cache the prices are hashed as they are read (one read of each file): the
# manifest's digests are the files' own, for gzip'd and plain files, several files
# loaded at once or one after the other, inflated ahead on a second core or not.
$BIN sample --out "$d/s2" --days 2 >/dev/null 2>&1 || fail "sentibt sample --days 2"
P1="$d/s2/binance_trades_2024-03-01_BTCUSDT.csv.gz"
P2="$d/s2/binance_trades_2024-03-02_BTCUSDT.csv"
gzip -dc "$d/s2/binance_trades_2024-03-02_BTCUSDT.csv.gz" >"$P2"
want="$(sha256sum "$P1" "$P2" | cut -d' ' -f1 | tr '\n' ' ')"
for mode in "" "SENTIBT_LOAD_THREADS=1" "taskset -c 0"; do
	[ "$mode" = "taskset -c 0" ] && ! command -v taskset >/dev/null 2>&1 && continue
	rm -rf "$d/rh"
	# shellcheck disable=SC2086  # $mode: a prefix command or an assignment, on purpose
	env $mode "$BIN" backtest --entity BTC -q --out "$d/rh" --prices "$P1" --prices "$P2" \
		--sentiment "$N" --candle-cache '' >"$d/rh.log" 2>&1 || fail "hashed as read ($mode): $(cat "$d/rh.log")"
	got="$(grep -A3 '"role":	"prices"' "$d/rh/manifest.json" | sed -n 's/.*"sha256":[[:space:]]*"\([0-9a-f]*\)".*/\1/p' | tr '\n' ' ')"
	[ "$got" = "$want" ] && ok "no cache${mode:+, $mode}: the manifest's digests are sha256sum's" ||
		fail "no cache ($mode): digests '$got', sha256sum '$want'"
done

[ "$(n_temps)" -eq 0 ] && ok "no temporary files left" || fail "temporary files left: $(ls -a "$C" | grep '\.tmp-')"

if [ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all cache CLI checks passed"
exit 0
