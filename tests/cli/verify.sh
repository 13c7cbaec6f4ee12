#!/bin/sh
# verify.sh - manifest.json in backtest and sweep folders, and `sentibt verify`: passes on
# a fresh run, fails (exit 1, with a message naming what) after an input changes, a
# summary.csv or metrics.json value is edited, the manifest's parameters are edited
# (argv and grid together, or the grid alone), and --tolerance accepts a 1e-12 relative
# change.  No environment secret reaches a result folder.
# Run from the repo root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
# shellcheck disable=SC2086  # $common, $grid are word lists on purpose
set -u

TEST_NAME=verify
. tests/cli/lib/common.sh

export TMPDIR="$d"        # verify's re-run folders land here; checked below

"$BIN" sample --out "$d/s" --days 1 >"$d/sample.out" 2>&1 ||
	{ echo "FAIL: sentibt sample: $(cat "$d/sample.out")"; exit 1; }
# The inputs are copied so that changing them cannot touch anything shared.
mkdir "$d/in" && cp "$d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz" "$d/s/news.jsonl" "$d/in/" ||
	exit 1
P="$d/in/binance_trades_2024-03-01_BTCUSDT.csv.gz"
S="$d/in/news.jsonl"
common="--prices $P --sentiment $S --entity BTC --candle-cache="
# 3 thresholds (0.1, 0.3, 0.5) x 2 windows = 6 combinations.
grid="--threshold 0.1:0.5:0.2 --window 5m,15m"

# Runs verify on $1 (more options after it); output in $d/v.out, status in $vrc.
verify() { "$BIN" verify "$@" >"$d/v.out" 2>&1; vrc=$?; }

# Prints the value of column $2 in data row $3 (1-based) of CSV $1.
cell() {
	awk -F, -v col="$2" -v row="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		NR == row + 1 { print $c }' "$1"
}
# Replaces column $2 of data row $3 of CSV $1 with $4.
set_cell() {
	awk -F, -v OFS=, -v col="$2" -v row="$3" -v val="$4" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		NR == row + 1 { $c = val } { print }' "$1" >"$1.new" && mv "$1.new" "$1"
}

# ---------------------------------------------------------------------------------------
# A sweep, run with an API key in the environment.
# ---------------------------------------------------------------------------------------
TARDIS_API_KEY=sekrit-123 "$BIN" sweep $common $grid --top 2 --out "$d/r" -q >"$d/out" 2>&1 ||
	{ echo "FAIL: sweep: $(cat "$d/out")"; exit 1; }
m="$d/r/manifest.json"
[ -s "$m" ] && ok "sweep wrote manifest.json" || { echo "FAIL: no $m"; exit 1; }
grep -rq "sekrit-123" "$d/r" && fail "the API key from the environment is in the result folder" ||
	ok "no environment secret in the result folder"
if command -v python3 >/dev/null 2>&1; then
	python3 - "$d/r" "$P" "$S" <<'EOF' && ok "manifest contents" || fail "manifest contents"
import hashlib, json, os, sys
r, p, s = sys.argv[1:]
m = json.load(open(os.path.join(r, "manifest.json")))
sha = lambda f: hashlib.sha256(open(f, "rb").read()).hexdigest()
assert m["sentibt_version"] and m["build"]["commit"] and m["build"]["compiler"], m["build"]
assert m["argv"][0] == "sweep" and "--threshold" in m["argv"], m["argv"]
g = m["parameters"]["grid"]
# Worked out by hand: 0.1 + 1*0.2 is the decimal 0.3, as typed; windows in seconds.
assert g["threshold"] == [0.1, 0.3, 0.5], g
assert g["window"] == [300, 900] and g["latency"] == [0] and g["min_confidence"] == [0.7], g
assert m["parameters"]["interval"] == 60 and m["parameters"]["entity"] == "BTC"
assert m["parameters"]["top"] == 2 and m["parameters"]["rank_by"] == "sharpe"
ins = {i["role"]: i for i in m["inputs"]}
assert ins["prices"]["path"] == p and ins["prices"]["sha256"] == sha(p), ins
assert ins["prices"]["size"] == os.path.getsize(p) and ins["prices"]["rows"] > 0
assert ins["sentiment"]["path"] == s and ins["sentiment"]["sha256"] == sha(s)
assert ins["sentiment"]["rows"] == sum(1 for _ in open(s)), ins["sentiment"]
want = sorted(os.path.relpath(os.path.join(a, f), r) for a, _, fs in os.walk(r) for f in fs
              if os.path.relpath(os.path.join(a, f), r) != "manifest.json")
got = [o["path"] for o in m["outputs"]]
assert got == want, (got, want)
assert "summary.csv" in got and len([x for x in got if x.startswith("equity/")]) == 2, got
for o in m["outputs"]:
    assert o["sha256"] == sha(os.path.join(r, o["path"])), o
EOF
else
	echo "SKIP: python3 absent, manifest contents not checked"
fi

verify "$d/r"
[ $vrc -eq 0 ] && ok "verify passes on a fresh sweep" || fail "verify fresh sweep: exit $vrc: $(cat "$d/v.out")"
[ -z "$(find "$d" -maxdepth 1 -name 'sentibt-verify-*')" ] && ok "re-run folder removed" ||
	fail "re-run folder left behind: $(find "$d" -maxdepth 1 -name 'sentibt-verify-*')"
verify "$d/r" --keep-rerun
kept=$(find "$d" -maxdepth 1 -name 'sentibt-verify-*')
[ $vrc -eq 0 ] && [ -n "$kept" ] && [ -s "$kept/rerun/summary.csv" ] &&
	ok "--keep-rerun keeps the re-run" || fail "--keep-rerun: exit $vrc, kept '$kept'"
rm -rf "$kept"

# ---------------------------------------------------------------------------------------
# An edited summary.csv cell: the report names the file, row, id and metric.
# ---------------------------------------------------------------------------------------
cp -r "$d/r" "$d/e1"
set_cell "$d/e1/summary.csv" trades 4 99999
verify "$d/e1"
[ $vrc -eq 1 ] && ok "edited cell: exit 1" || fail "edited cell: exit $vrc"
grep -q "summary.csv: row 4 (id 3), column 'trades': was '99999'" "$d/v.out" &&
	ok "edited cell reported by row, id and metric" || fail "edited cell report: $(cat "$d/v.out")"

# A missing output file and an extra one are differences too.
cp -r "$d/r" "$d/e2"
rm "$d/e2/summary.csv"
echo x >"$d/e2/extra.txt"
verify "$d/e2"
[ $vrc -eq 1 ] && grep -q "summary.csv: new in the re-run" "$d/v.out" &&
	grep -q "extra.txt: missing from the re-run" "$d/v.out" &&
	ok "missing and extra files reported" || fail "missing/extra file: exit $vrc: $(cat "$d/v.out")"

# ---------------------------------------------------------------------------------------
# --tolerance: final_equity of row 2 times (1 + 1e-12), worked out by awk here.
# ---------------------------------------------------------------------------------------
cp -r "$d/r" "$d/t"
old=$(cell "$d/t/summary.csv" final_equity 2)
new=$(awk -v x="$old" 'BEGIN { printf "%.17g", x * (1 + 1e-12) }')
[ "$old" != "$new" ] || fail "tolerance setup: '$old' unchanged"
set_cell "$d/t/summary.csv" final_equity 2 "$new"
verify "$d/t"
[ $vrc -eq 1 ] && grep -q "column 'final_equity'" "$d/v.out" &&
	ok "1e-12 relative change: exit 1 without --tolerance" || fail "no tolerance: exit $vrc: $(cat "$d/v.out")"
verify "$d/t" --tolerance 1e-9
[ $vrc -eq 0 ] && ok "1e-12 relative change passes --tolerance 1e-9" ||
	fail "--tolerance 1e-9: exit $vrc: $(cat "$d/v.out")"
verify "$d/t" --tolerance 1e-13
[ $vrc -eq 1 ] && ok "1e-12 relative change fails --tolerance 1e-13" || fail "--tolerance 1e-13: exit $vrc"
set_cell "$d/t/summary.csv" final_equity 2 "$old"
set_cell "$d/t/summary.csv" threshold 2 "0.1000000000001"
verify "$d/t" --tolerance 0.5
[ $vrc -eq 0 ] && ok "tolerance applies to parameter cells too (numbers)" || fail "param cell tol: exit $vrc"

# ---------------------------------------------------------------------------------------
# Edited manifest parameters.
# ---------------------------------------------------------------------------------------
cp -r "$d/r" "$d/p1"
# argv and grid together: thresholds 0.1, 0.5 (0.1:0.5:0.4), so outputs differ.
sed -e 's/"0\.1:0\.5:0\.2"/"0.1:0.5:0.4"/' -e 's/\[0\.1, 0\.3, 0\.5\]/[0.1, 0.5]/' \
	"$d/r/manifest.json" >"$d/p1/manifest.json"
grep -q '"0.1:0.5:0.4"' "$d/p1/manifest.json" && grep -q '\[0.1, 0.5\]' "$d/p1/manifest.json" ||
	fail "manifest edit setup (argv and grid)"
verify "$d/p1"
[ $vrc -eq 1 ] && ok "edited argv and grid: exit 1" || fail "edited argv+grid: exit $vrc: $(cat "$d/v.out")"
grep -q "summary.csv" "$d/v.out" && ! grep -q inconsistent "$d/v.out" &&
	ok "edited argv and grid: outputs differ" || fail "edited argv+grid report: $(cat "$d/v.out")"
cp -r "$d/r" "$d/p2"
sed -e 's/\[0\.1, 0\.3, 0\.5\]/[0.1, 0.3, 0.6]/' \
	"$d/r/manifest.json" >"$d/p2/manifest.json"
verify "$d/p2"
[ $vrc -eq 1 ] && grep -q "manifest parameters inconsistent.*threshold" "$d/v.out" &&
	ok "grid edited alone: inconsistent" || fail "grid only: exit $vrc: $(cat "$d/v.out")"

# Forged manifests: a newer version, an output outside the folder, no inputs at all.
if command -v python3 >/dev/null 2>&1; then
	for what in version outside noinputs; do
		cp -r "$d/r" "$d/f_$what"
		python3 - "$d/f_$what/manifest.json" "$what" <<'EOF'
import json, sys
p, what = sys.argv[1], sys.argv[2]
m = json.load(open(p))
if what == "version":
    m["manifest_version"] = 99
elif what == "outside":
    m["outputs"][0]["path"] = "../../../etc/hostname"
else:
    m["inputs"] = []
json.dump(m, open(p, "w"))
EOF
		verify "$d/f_$what"
		case $what in
		version) want="expected 'manifest_version' from 1 to" ;;
		outside) want="expected outputs inside the result folder, got '../../../etc/hostname'" ;;
		*) want="expected at least 2 'inputs'" ;;
		esac
		[ $vrc -eq 1 ] && grep -qF "$want" "$d/v.out" && ok "forged manifest ($what): refused" ||
			fail "forged manifest ($what): exit $vrc: $(cat "$d/v.out")"
	done
fi

# ---------------------------------------------------------------------------------------
# A changed input: reported by path and hashes, nothing re-run.
# ---------------------------------------------------------------------------------------
cp "$S" "$d/news.orig"
echo '{"id":"x1","published_at":"2024-03-01T12:00:00Z","sentiment_score":0.9,"confidence":1,"symbols":["BTC"]}' >>"$S"
verify "$d/r"
[ $vrc -eq 1 ] && grep -q "input '$S' changed: sha256 was [0-9a-f]\{64\}, now [0-9a-f]\{64\}" "$d/v.out" &&
	ok "changed input named" || fail "changed input: exit $vrc: $(cat "$d/v.out")"
mv "$d/news.orig" "$S"
mv "$P" "$d/moved.csv.gz"
verify "$d/r"
[ $vrc -eq 1 ] && grep -q "input '$P' is missing" "$d/v.out" && ok "missing input named" ||
	fail "missing input: exit $vrc: $(cat "$d/v.out")"
# --input-dir finds the inputs by base name elsewhere.
mkdir "$d/elsewhere" && mv "$d/moved.csv.gz" "$d/elsewhere/binance_trades_2024-03-01_BTCUSDT.csv.gz" &&
	cp "$S" "$d/elsewhere/"
verify "$d/r" --input-dir "$d/elsewhere"
[ $vrc -eq 0 ] && ok "--input-dir remaps inputs" || fail "--input-dir: exit $vrc: $(cat "$d/v.out")"
mv "$d/elsewhere/binance_trades_2024-03-01_BTCUSDT.csv.gz" "$P"

# ---------------------------------------------------------------------------------------
# A backtest folder: manifest, verify, an edited metrics.json value.
# ---------------------------------------------------------------------------------------
"$BIN" backtest $common --threshold 0.3 --out "$d/b" -q >"$d/out" 2>&1 ||
	fail "backtest: $(cat "$d/out")"
[ -s "$d/b/manifest.json" ] && grep -q '"backtest"' "$d/b/manifest.json" &&
	ok "backtest wrote manifest.json" || fail "backtest manifest missing"
verify "$d/b"
[ $vrc -eq 0 ] && ok "verify passes on a fresh backtest" || fail "verify backtest: exit $vrc: $(cat "$d/v.out")"
cp -r "$d/b" "$d/b2"
sed 's/"trades":[[:space:]]*[0-9]*/"trades": 12345/' "$d/b/metrics.json" >"$d/b2/metrics.json"
verify "$d/b2"
[ $vrc -eq 1 ] && grep -q "metrics.json: 'trades': was 12345" "$d/v.out" &&
	ok "edited metrics.json named" || fail "edited metrics.json: exit $vrc: $(cat "$d/v.out")"
set_cell "$d/b2/equity.csv" equity 10 1
verify "$d/b2"
grep -q "equity.csv: row 10, column 'equity': was '1'" "$d/v.out" && ok "equity.csv row named" ||
	fail "equity.csv report: $(cat "$d/v.out")"

# ---------------------------------------------------------------------------------------
# Usage errors.
# ---------------------------------------------------------------------------------------
"$BIN" verify >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "no DIR: exit 2" || fail "no DIR: exit $rc"
"$BIN" verify "$d/r" --tolerance abc >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "bad tolerance: exit 2" || fail "bad tolerance: exit $rc"
"$BIN" verify --help >"$d/h" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "exit codes" "$d/h" && ok "--help" || fail "--help: exit $rc"
"$BIN" verify "$d/nothing-here" >"$d/v.out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "nothing-here/manifest.json" "$d/v.out" && ok "no manifest: exit 1" ||
	fail "no manifest: exit $rc: $(cat "$d/v.out")"

if [ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all verify CLI checks passed"
exit 0
