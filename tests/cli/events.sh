#!/bin/sh
# events.sh - `sentibt events` end to end: a tiny hand-made pair with hand-computed
# returns, a generated day (files, columns, row counts, byte-identical re-runs for any
# thread count, the seed, --cluster, verify), usage errors, then the real data pair.
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $common is a word list on purpose
set -u

TEST_NAME=events
. tests/cli/lib/common.sh

if command -v python3 >/dev/null 2>&1; then have_py=1; else have_py=0; fi

# ---------------------------------------------------------------------------------------
# The tiny pair: six 1m candles from 2024-01-01T00:00Z, close 100,100,105,110,110,120,
# volume 1..6.  Horizons 2m, 3m; buckets -1,0,1; volume window 1m.
#   a1 00:00:30 score  0.8 conf 0.9 -> candle 0 (close 00:01): ret_120s ln(105/100),
#      ret_180s ln(110/100), spike mean(v1,v2)/v0 = 2.5/1, bucket [0, 1]
#   a4 00:02:00 score  0.9 conf 0.3 -> below --min-confidence 0.5: counted, no row
#   a2 00:03:10 score  0.0 conf 0.9 -> candle 3: ret_120s ln(120/110), ret_180s none
#      (3 + 3 > 5: truncated), spike mean(v4,v5)/v3 = 5.5/4, bucket [0, 1] (on the edge)
#   a3 00:04:20 score -0.6 conf 0.95 -> candle 4: both horizons truncated, spike none
#      (its next two candles are not all in the data), bucket [-1, 0)
# ---------------------------------------------------------------------------------------
cat >"$d/prices.csv" <<'EOF'
time,open,high,low,close,volume
2024-01-01T00:00:00Z,100,100,100,100,1
2024-01-01T00:01:00Z,100,100,100,100,2
2024-01-01T00:02:00Z,100,105,100,105,3
2024-01-01T00:03:00Z,105,110,105,110,4
2024-01-01T00:04:00Z,110,110,110,110,5
2024-01-01T00:05:00Z,110,120,110,120,6
EOF
cat >"$d/news.jsonl" <<'EOF'
{"id":"a1","published_at":"2024-01-01T00:00:30Z","sentiment_score":0.8,"confidence":0.9}
{"id":"a4","published_at":"2024-01-01T00:02:00Z","sentiment_score":0.9,"confidence":0.3}
{"id":"a2","published_at":"2024-01-01T00:03:10Z","sentiment_score":0.0,"confidence":0.9}
{"id":"a3","published_at":"2024-01-01T00:04:20Z","sentiment_score":-0.6,"confidence":0.95}
EOF
tiny() {
	"$BIN" events --prices "$d/prices.csv" --sentiment "$d/news.jsonl" --candle-cache= \
		--min-confidence 0.5 --horizons 2m,3m --buckets -1,0,1 --volume-window 1m "$@"
}
tiny --out "$d/tiny" -q >"$d/out" 2>"$d/err"
rc=$?
if [ $rc -ne 0 ]; then
	fail "tiny events exit $rc: $(cat "$d/err")"
else
	ok "tiny events exit 0"
	want="published_at,candle_close,score,confidence,bucket_lo,in_candle,close,ret_120s,ret_180s,volume_spike"
	[ "$(head -n 1 "$d/tiny/events.csv")" = "$want" ] && ok "tiny events.csv header" ||
		fail "tiny events.csv header: $(head -n 1 "$d/tiny/events.csv")"
	[ "$(sed -n 4p "$d/tiny/events.csv")" = "2024-01-01T00:04:20Z,2024-01-01T00:05:00Z,-0.6,0.95,-1,1,110,,," ] &&
		ok "tiny: the last event has no return and no spike" ||
		fail "tiny row 3: $(sed -n 4p "$d/tiny/events.csv")"
	grep -q '"below_confidence":[[:space:]]*1,' "$d/tiny/event_stats.json" &&
		ok "tiny: one article below min-confidence" || fail "tiny stats: $(cat "$d/tiny/event_stats.json")"
	if [ $have_py -eq 1 ]; then
		python3 - "$d/tiny" <<'EOF' || fail "tiny values"
import csv, json, math, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/events.csv")))
assert len(rows) == 3, rows
r1, r2, r3 = rows
assert (r1["published_at"], r1["candle_close"], r1["score"], r1["bucket_lo"], r1["close"]) == \
    ("2024-01-01T00:00:30Z", "2024-01-01T00:01:00Z", "0.8", "0", "100"), r1
# exact: the shortest text of the same double (Python's repr is the shortest round trip)
assert r1["ret_120s"] == repr(math.log(105 / 100)), r1
assert r1["ret_180s"] == repr(math.log(110 / 100)), r1
assert r1["volume_spike"] == "2.5", r1
assert r2["ret_120s"] == repr(math.log(120 / 110)) and r2["ret_180s"] == "", r2
assert r2["volume_spike"] == "1.375" and r2["bucket_lo"] == "0", r2
st = json.load(open(d + "/event_stats.json"))
hz = {h["horizon_s"]: h for h in st["horizons"]}
assert hz[120]["truncated"] == 1 and hz[180]["truncated"] == 2, hz
assert st["events"] == 3 and st["volume_spike"]["truncated"] == 1, st
study = list(csv.DictReader(open(d + "/event_study.csv")))
assert [(s["horizon_s"], s["bucket_lo"], s["bucket_hi"], s["n"]) for s in study] == \
    [("120", "-1", "0", "0"), ("120", "0", "1", "2"), ("180", "-1", "0", "0"), ("180", "0", "1", "1")], study
top = study[1]
m = (math.log(105 / 100) + math.log(120 / 110)) / 2
assert abs(float(top["mean"]) - m) < 1e-15 and abs(float(top["median"]) - m) < 1e-15, top
assert top["hit_rate"] == "1" and float(top["ci_lo"]) <= m <= float(top["ci_hi"]), top
assert study[0]["mean"] == "" and study[0]["hit_rate"] == "", study[0]
ic = list(csv.DictReader(open(d + "/ic.csv")))
# 120 s: scores 0.8 > 0 with returns ln 1.05 < ln(12/11): ic -1, t undefined (n = 2)
assert (ic[0]["ic"], ic[0]["t_stat"], ic[0]["n"]) == ("-1", "", "2"), ic
assert (ic[1]["ic"], ic[1]["n"]) == ("", "1"), ic
print("ok: tiny: returns, spikes, truncation, buckets and ic as worked by hand")
EOF
	else
		echo "SKIP: python3 absent, tiny values not checked"
	fi
fi

# ---------------------------------------------------------------------------------------
# A generated day of BTCUSDT.
# ---------------------------------------------------------------------------------------
if ! "$BIN" sample --out "$d/s" --days 1 >"$d/sample.out" 2>&1; then
	echo "FAIL: sentibt sample: $(cat "$d/sample.out")"
	exit 1
fi
P="$d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz"
S="$d/s/news.jsonl"
common="--prices $P --sentiment $S --entity BTC --candle-cache="
ev() { "$BIN" events $common "$@"; }

ev --out "$d/r1" --threads 1 >"$d/r1.out" 2>"$d/r1.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: events exit $rc: $(cat "$d/r1.err")"; exit 1; }
grep -qv '^sentibt events: left out: ' "$d/r1.err" && fail "events wrote on stderr: $(cat "$d/r1.err")" || ok "events silent on stderr"
grep -q "ic" "$d/r1.out" && ok "events prints the IC table" || fail "no table: $(cat "$d/r1.out")"
for f in events.csv event_study.csv ic.csv event_stats.json event_path.csv manifest.json; do
	[ -s "$d/r1/$f" ] || fail "missing $d/r1/$f"
done
grep -q '"event_path.csv"' "$d/r1/manifest.json" && ok "manifest lists event_path.csv" ||
	fail "manifest lacks event_path.csv"
[ "$(head -n 1 "$d/r1/event_path.csv")" = "bucket_lo,bucket_hi,offset_s,n,mean,ci_lo,ci_hi" ] &&
	ok "event_path.csv header" || fail "event_path.csv header: $(head -n 1 "$d/r1/event_path.csv")"
# defaults P = 60m, F = 240m on 1m candles: 301 offsets x 5 quintiles
n=$(($(wc -l <"$d/r1/event_path.csv") - 1))
[ "$n" -eq 1505 ] && ok "event_path.csv: 5 buckets x 301 offsets" || fail "event_path.csv has $n rows, want 1505"
[ "$(awk -F, 'NR > 1 { print $3 }' "$d/r1/event_path.csv" | sort -n | sed -n '1p;$p' | tr '\n' ' ')" = "-3600 14400 " ] &&
	ok "event_path.csv: offsets -3600 .. 14400 s" || fail "event_path.csv: offset range"
# path(0) = 0 with its interval, and n at offset 0 = every event in a bucket
n0=$(awk -F, 'NR > 1 && $3 == 0 { if ($5 != 0 || $6 != 0 || $7 != 0) bad = 1; s += $4 }
	END { print bad ? "bad" : s }' "$d/r1/event_path.csv")
ne=$(($(wc -l <"$d/r1/events.csv") - 1))
nin=$(awk -F, 'NR > 1 && $5 != "" { k++ } END { print k + 0 }' "$d/r1/events.csv")
[ "$n0" = "$nin" ] && [ "$nin" -eq "$ne" ] && ok "event_path.csv: path(0) = 0, n = $ne events" ||
	fail "event_path.csv at offset 0: $n0, events in buckets $nin of $ne"
[ "$(head -n 1 "$d/r1/event_study.csv")" = "horizon_s,bucket_lo,bucket_hi,n,mean,median,ci_lo,ci_hi,hit_rate" ] &&
	ok "event_study.csv header" || fail "event_study.csv header: $(head -n 1 "$d/r1/event_study.csv")"
[ "$(head -n 1 "$d/r1/ic.csv")" = "horizon_s,ic,t_stat,n" ] && ok "ic.csv header" ||
	fail "ic.csv header: $(head -n 1 "$d/r1/ic.csv")"
[ "$(head -n 1 "$d/r1/events.csv")" = "published_at,candle_close,score,confidence,bucket_lo,in_candle,close,ret_300s,ret_900s,ret_3600s,ret_14400s,volume_spike" ] &&
	ok "events.csv header" || fail "events.csv header: $(head -n 1 "$d/r1/events.csv")"
n=$(($(wc -l <"$d/r1/ic.csv") - 1))
[ "$n" -eq 4 ] && ok "ic.csv: 4 horizons" || fail "ic.csv has $n rows, want 4"
n=$(($(wc -l <"$d/r1/event_study.csv") - 1))
[ "$n" -eq 20 ] && ok "event_study.csv: 4 horizons x 5 quintiles" || fail "event_study.csv has $n rows, want 20"
grep -q '"command":[[:space:]]*"events"' "$d/r1/manifest.json" && ok "manifest: command events" ||
	fail "manifest lacks the command"

if [ $have_py -eq 1 ]; then
	python3 - "$d/r1" <<'EOF' || fail "sample consistency"
import csv, json, sys
d = sys.argv[1]
st = json.load(open(d + "/event_stats.json"))
rows = list(csv.DictReader(open(d + "/events.csv")))
assert len(rows) == st["events"] > 500, (len(rows), st["events"])
assert st["articles"] == st["events"] + st["outside_range"] + st["below_confidence"] + st["clustered_out"], st
study = list(csv.DictReader(open(d + "/event_study.csv")))
ic = {r["horizon_s"]: r for r in csv.DictReader(open(d + "/ic.csv"))}
for h in st["horizons"]:
    hs = str(h["horizon_s"])
    col = "ret_%ss" % hs
    have = sum(1 for r in rows if r[col] != "")
    assert have == h["with_return"] == int(ic[hs]["n"]), (hs, have, h)
    assert h["with_return"] + h["truncated"] == st["events"], h
    assert sum(int(s["n"]) for s in study if s["horizon_s"] == hs) == have - 0, hs
    for s in study:
        if s["horizon_s"] == hs and int(s["n"]) > 1:
            assert float(s["ci_lo"]) <= float(s["mean"]) <= float(s["ci_hi"]), s
            assert 0 <= float(s["hit_rate"]) <= 1, s
# quintiles: the edges of event_stats.json, five buckets of about n/5 each
edges = st["bucket_edges"]
assert len(edges) == 6, edges
first = [int(s["n"]) for s in study if s["horizon_s"] == "300"]
assert all(abs(k - st["events"] / 5) <= 5 for k in first), first
# the planted link of the synthetic data: a positive IC at 5 and 15 minutes
assert float(ic["300"]["ic"]) > 0.03 and float(ic["900"]["ic"]) > 0.03, ic
# the path: n never above offset 0's, decreasing towards the data's ends; its 300 s mean is
# event_study.csv's mean of the same bucket when no event is left out at either place
path = list(csv.DictReader(open(d + "/event_path.csv")))
for r in path:
    if int(r["n"]) > 1:
        assert float(r["ci_lo"]) <= float(r["mean"]) <= float(r["ci_hi"]), r
for s in study:
    if s["horizon_s"] == "300":
        p = [r for r in path if r["bucket_lo"] == s["bucket_lo"] and r["offset_s"] == "300"][0]
        assert p["n"] == s["n"] and abs(float(p["mean"]) - float(s["mean"])) < 1e-15, (p, s)
print("ok: sample: %d events, ic %s" % (st["events"], [ic[k]["ic"][:6] for k in sorted(ic, key=int)]))
EOF
else
	echo "SKIP: python3 absent, sample consistency not checked"
fi

# Byte-identical re-runs: another thread count, and again.
ev --out "$d/r2" --threads 2 -q >/dev/null 2>"$d/err" || fail "second run: $(cat "$d/err")"
ev --out "$d/r3" -q >/dev/null 2>"$d/err" || fail "third run: $(cat "$d/err")"
same=1
for f in events.csv event_study.csv ic.csv event_stats.json event_path.csv; do
	cmp -s "$d/r1/$f" "$d/r2/$f" && cmp -s "$d/r1/$f" "$d/r3/$f" || { same=0; fail "$f differs between runs"; }
done
[ $same -eq 1 ] && ok "outputs byte-identical on 1, 2 and the default threads"

# Another seed: the same counts, means and medians; other intervals.
ev --out "$d/seed2" --seed 2 -q >/dev/null 2>"$d/err" || fail "--seed 2: $(cat "$d/err")"
cut -d, -f1-6,9 "$d/r1/event_study.csv" >"$d/a" && cut -d, -f1-6,9 "$d/seed2/event_study.csv" >"$d/b"
cmp -s "$d/a" "$d/b" && ok "--seed changes no count, mean, median or hit rate" || fail "--seed changed more than the intervals"
cmp -s "$d/r1/event_study.csv" "$d/seed2/event_study.csv" && fail "--seed 2 gave the same intervals" ||
	ok "--seed 2 gives other intervals"
ev --out "$d/nob" --bootstrap 0 -q >/dev/null 2>"$d/err" || fail "--bootstrap 0: $(cat "$d/err")"
[ "$(sed 1d "$d/nob/event_study.csv" | cut -d, -f7,8 | sort -u)" = "," ] &&
	ok "--bootstrap 0: no intervals" || fail "--bootstrap 0 wrote intervals"

# --cluster: fewer events, the rest counted; with 4h no two 4h windows overlap.
ev --out "$d/cl" --cluster 4h -q >/dev/null 2>"$d/err" || fail "--cluster: $(cat "$d/err")"
if [ $have_py -eq 1 ]; then
	python3 - "$d/r1" "$d/cl" <<'EOF' || fail "--cluster counts"
import json, sys
a = json.load(open(sys.argv[1] + "/event_stats.json"))
b = json.load(open(sys.argv[2] + "/event_stats.json"))
assert b["events"] + b["clustered_out"] == a["events"] and b["clustered_out"] > 0, b
assert all(h["overlapping"] == 0 for h in b["horizons"]), b["horizons"]
assert all(h["overlapping"] > 0 for h in a["horizons"]), a["horizons"]
print("ok: --cluster 4h: %d events, %d clustered out, no overlap" % (b["events"], b["clustered_out"]))
EOF
fi

# Fixed edges; verify re-runs the folder.
ev --out "$d/edges" --buckets -1,-0.5,0,0.5,1 --horizons 1m,5m -q >/dev/null 2>"$d/err" ||
	fail "--buckets edges: $(cat "$d/err")"
n=$(($(wc -l <"$d/edges/event_study.csv") - 1))
[ "$n" -eq 8 ] && ok "--buckets with 5 edges: 2 horizons x 4 buckets" || fail "event_study.csv has $n rows, want 8"
"$BIN" verify "$d/edges" >"$d/out" 2>&1 && ok "verify: an events folder re-runs identically" ||
	fail "verify events: $(cat "$d/out")"

# The report of an events folder: the path chart and the two tables.
if command -v gnuplot >/dev/null 2>&1; then
	if "$BIN" report "$d/r1" >"$d/out" 2>"$d/err"; then
		R="$d/r1/report"
		[ -s "$R/event_path.png" ] && [ "$(head -c 8 "$R/event_path.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
			grep -q '<svg' "$R/event_path.svg" && ok "report: event_path.png and .svg" ||
			fail "report: no event_path chart"
		grep -q 'src="event_path.png"' "$R/report.html" && grep -q '<th>t_stat</th>' "$R/report.html" &&
			grep -q '<th>hit_rate</th>' "$R/report.html" &&
			ok "report.html: the path, ic.csv and event_study.csv" || fail "report.html incomplete"
	else
		fail "report of an events folder: $(cat "$d/err")"
	fi
else
	echo "SKIP: gnuplot not installed: the events report not tested"
fi

# An existing --out is kept without --force.
ev --out "$d/r1" -q >/dev/null 2>"$d/err"
rc=$?
[ $rc -eq 1 ] && grep -q -- "--force" "$d/err" && ok "existing --out: exit 1" || fail "existing --out: exit $rc"

# ---------------------------------------------------------------------------------------
# Usage errors: exit 2, a message, nothing written.
# ---------------------------------------------------------------------------------------
expect_usage() {   # description, then args
	desc=$1; shift
	tiny --out "$d/usage" "$@" >"$d/out" 2>"$d/err"
	rc=$?
	[ $rc -eq 2 ] && ok "$desc: exit 2" || fail "$desc: exit $rc, want 2 ($(cat "$d/err"))"
	[ -s "$d/err" ] || fail "$desc: no message on stderr"
	[ ! -e "$d/usage" ] || fail "$desc: output folder created"
}
expect_usage "unknown option" --no-such-option
expect_usage "a strategy option" --threshold 0.5
expect_usage "a strategy's own option" --half-life 1h
expect_usage "horizon of 1.5 candles" --horizons 90s
grep -q "whole number" "$d/err" || fail "horizon 90s: message: $(cat "$d/err")"
expect_usage "horizons not increasing" --horizons 15m,5m
expect_usage "empty horizon" --horizons 5m,
expect_usage "17 horizons" --horizons 1m,2m,3m,4m,5m,6m,7m,8m,9m,10m,11m,12m,13m,14m,15m,16m,17m
expect_usage "equal edges" --buckets 0,0,1
expect_usage "one edge" --buckets 0
expect_usage "edge not a decimal" --buckets -1,abc,1
expect_usage "quantiles:0" --buckets quantiles:0
expect_usage "negative bootstrap" --bootstrap -1
expect_usage "bad seed" --seed x
expect_usage "volume window of half a candle" --volume-window 30s
expect_usage "bad cluster" --cluster soon
expect_usage "path of half a candle" --path-before 30s
expect_usage "negative path" --path-after -1m
expect_usage "negative path bootstrap" --path-bootstrap -1
expect_usage "threads 0" --threads 0
expect_usage "a grid of confidences" --min-confidence 0.5,0.7
expect_usage "min-confidence above 1" --min-confidence 2
"$BIN" backtest --prices "$d/prices.csv" --sentiment "$d/news.jsonl" --horizons 5m \
	--out "$d/usage" >/dev/null 2>"$d/err"
rc=$?
[ $rc -eq 2 ] && grep -q "option of events only" "$d/err" && ok "--horizons given to backtest: exit 2" ||
	fail "--horizons to backtest: exit $rc: $(cat "$d/err")"
"$BIN" events --sentiment "$d/news.jsonl" --out "$d/usage" >/dev/null 2>&1
rc=$?; [ $rc -eq 2 ] && ok "missing --prices: exit 2" || fail "missing --prices: exit $rc, want 2"
"$BIN" help events >"$d/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q -- "--horizons" "$d/out" && grep -q -- "--cluster" "$d/out" &&
	ok "help events: exit 0, documents --horizons and --cluster" || fail "help events: exit $rc"
grep -q -- "--threshold" "$d/out" && fail "help events lists strategy options"
tiny --out "$d/badin" --prices "$d/missing.csv" >/dev/null 2>"$d/err"
rc=$?
[ $rc -eq 1 ] && [ ! -e "$d/badin" ] && ok "missing price file: exit 1, nothing written" ||
	fail "missing price file: exit $rc"

# ---------------------------------------------------------------------------------------
# The real pair: 50000 one-minute BTCUSDT candles of 2022 and the scored Bitcoin news
# (no confidence column: --confidence abs; every article kept at the default k = 0).
# ---------------------------------------------------------------------------------------
shared=${SENTIBT_SHARED:-../shared}
base=$shared/crypto-sentiment-backtest
rp=$base/Benicio1007__Bot_trading/data/dataset/2022/BTCUSDT_1m.csv
rs=$base/Bitcoin-Price-Prediction-Experiments__Bitcoin-Dataset-Viewer-and-Preparer/data/final_data/bitcoin_news_sentiments_21_23.csv
if [ ! -r "$rp" ] || [ ! -r "$rs" ]; then
	echo "SKIP: real data absent ($rp or $rs; set SENTIBT_SHARED)"
else
	"$BIN" events --prices "$rp" --sentiment "$rs" --confidence abs --candle-cache= \
		--out "$d/real" -q >"$d/out" 2>"$d/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "real pair: exit $rc: $(cat "$d/err")"
	else
		ok "real pair: exit 0"
		n=$(($(wc -l <"$d/real/ic.csv") - 1))
		[ "$n" -eq 4 ] && ok "real pair: ic.csv 4 rows" || fail "real pair: ic.csv $n rows"
		if [ $have_py -eq 1 ]; then
			python3 - "$d/real" <<'EOF' || fail "real pair sanity"
import csv, json, sys
d = sys.argv[1]
st = json.load(open(d + "/event_stats.json"))
ic = list(csv.DictReader(open(d + "/ic.csv")))
# 9956 articles of 2021-2023; those of the 50000 candles (2022-06-15 .. 2022-07-19)
assert st["articles"] == 9956 and st["events"] + st["outside_range"] == 9956, st
assert 400 < st["events"] < 800, st
for r in ic:
    assert int(r["n"]) > 500 and -1 <= float(r["ic"]) <= 1, r
print("ok: real pair: %d events; ic per horizon: %s" % (st["events"],
      ", ".join("%ss %.4f (t %.2f, n %s)" % (r["horizon_s"], float(r["ic"]), float(r["t_stat"]), r["n"]) for r in ic)))
EOF
		fi
	fi
fi

if # --from/--to: the study runs on those candles only
# shellcheck disable=SC2086
"$BIN" events --prices "$P" --sentiment "$S" --entity BTC --candle-cache= \
	--from 2024-03-01T06:00:00Z --to 2024-03-01T12:00:00Z --out "$d/ft" -q 2>"$d/err" ||
	fail "events --from/--to: $(cat "$d/err")"
if [ -s "$d/ft/events.csv" ]; then
	bad=$(sed 1d "$d/ft/events.csv" | cut -d, -f2 | awk '$1 <= "2024-03-01T06:00:00Z" || $1 > "2024-03-01T12:00:00Z"' | wc -l)
	[ "$bad" -eq 0 ] && ok "events --from/--to: every event's candle inside the period" ||
		fail "events outside the period: $bad"
fi

[ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all events CLI checks passed"
exit 0
