#!/bin/sh
# hostile.sh - issue 10: hostile inputs end in a clear error naming the file (exit 1) or
# work, never hang, never take memory in proportion to a time span.  The reproducers of
# the hostile-input campaign are in tests/regress/ (see its README).  Run from the repo
# root with ./sentibt built.  Exit 0 = pass; "SKIP:" lines for skips.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
set -u

TEST_NAME=hostile
. tests/cli/lib/common.sh

R=tests/regress
news=$R/news.jsonl
if command -v timeout >/dev/null 2>&1; then TO="timeout 60"; else TO=""; fi
# A private TMPDIR, to see that spooled copies of pipes are removed.
mkdir -p "$d/tmp"

# run CMD ARGS...: sentibt CMD into $d/out, stdout+stderr in $d/err, exit code in $rc.
run() {
	cmd=$1; shift
	rm -rf "$d/out"
	# shellcheck disable=SC2086  # $TO is a word list on purpose
	TMPDIR="$d/tmp" $TO "$BIN" "$cmd" --candle-cache= -q --out "$d/out" "$@" >"$d/err" 2>&1
	rc=$?
}
# expect_fail DESC TEXT CMD ARGS...: exit 1, TEXT (fixed string) in the message, no output.
expect_fail() {
	desc=$1 text=$2; shift 2
	run "$@"
	[ $rc -eq 1 ] && ok "$desc: exit 1" || fail "$desc: exit $rc, want 1: $(head -c 400 "$d/err")"
	grep -qF -- "$text" "$d/err" && ok "$desc: message" ||
		fail "$desc: message lacks '$text': $(head -c 400 "$d/err")"
	[ ! -e "$d/out" ] || fail "$desc: output folder created"
}
expect_ok() {   # DESC CMD ARGS...
	desc=$1; shift
	run "$@"
	[ $rc -eq 0 ] && ok "$desc: exit 0" || fail "$desc: exit $rc: $(head -c 400 "$d/err")"
}
# mfield KEY N: the N-th value of KEY in $d/out/manifest.json
mfield() { grep "\"$1\":" "$d/out/manifest.json" | sed -n "$2p" | sed 's/^[^:]*:[[:space:]]*//; s/[",]//g'; }
no_spool_left() {
	[ -z "$(ls -A "$d/tmp")" ] && ok "$1: no temporary copy left" ||
		fail "$1: left in TMPDIR: $(ls -A "$d/tmp")"
}

# ---------------------------------------------------------------------------------------
# 1. Two trades 59 years apart (197 bytes): was 11.8 s, 4.37 GB, a 1.5 GB equity.csv and
#    exit 0.  Two OHLCV rows 60 years apart: 2.48 GB before an error.  Now a gap longer
#    than --max-gap (3d) is an error at the row that opens it, before memory is taken.
# ---------------------------------------------------------------------------------------
expect_fail "trades 59 years apart" \
	"tardis-59y-gap.csv:3: expected no gap in prices longer than 3d (--max-gap), got 21549d 23h 59m without a price, from 2024-01-01T00:01:00Z to 2083-01-01T00:00:00Z" \
	backtest --prices $R/tardis-59y-gap.csv --sentiment "$news"
expect_fail "OHLCV rows 60 years apart (sweep)" \
	"ohlcv-60y-gap.csv:3: expected no gap in prices longer than 3d (--max-gap), got 21914d" \
	sweep --prices $R/ohlcv-60y-gap.csv --sentiment "$news"
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$d/rss" "$BIN" backtest --prices $R/tardis-59y-gap.csv \
		--sentiment "$news" --candle-cache= -q --out "$d/out" >/dev/null 2>&1
	kb=$(tail -1 "$d/rss")
	[ "$kb" -lt 100000 ] && ok "59 years apart: peak RSS $kb KB" ||
		fail "59 years apart: peak RSS $kb KB, want < 100000"
else
	echo "SKIP: /usr/bin/time absent, peak RSS not measured"
fi

# A gap of exactly 4 days in 1h candles: an error by default, filled and counted with
# --max-gap 4d (96 candles) or 0, in backtest and sweep; verify re-runs it.
cat >"$d/gap.csv" <<'EOF'
timestamp,open,high,low,close,volume
2024-03-01 00:00:00,100,101,99,100,1
2024-03-01 01:00:00,100,102,99,101,1
2024-03-01 02:00:00,101,103,100,102,1
2024-03-05 03:00:00,102,104,101,103,1
EOF
expect_fail "4-day gap, default limit" \
	"gap.csv:5: expected no gap in prices longer than 3d (--max-gap), got 4d without a price, from 2024-03-01T03:00:00Z to 2024-03-05T03:00:00Z" \
	backtest --prices "$d/gap.csv" --sentiment "$news" --interval 1h --window 1h
expect_fail "4-day gap, --max-gap 95h" "got 4d without a price" \
	backtest --prices "$d/gap.csv" --sentiment "$news" --interval 1h --window 1h --max-gap 95h
expect_ok "4-day gap, --max-gap 4d" \
	backtest --prices "$d/gap.csv" --sentiment "$news" --interval 1h --window 1h --max-gap 4d
if [ $rc -eq 0 ]; then
	[ "$(mfield filled_candles 1)" = 96 ] && ok "manifest: filled_candles 96" ||
		fail "manifest: filled_candles $(mfield filled_candles 1), want 96"
	[ "$(mfield longest_gap_s 1)" = 345600 ] && ok "manifest: longest_gap_s 345600" ||
		fail "manifest: longest_gap_s $(mfield longest_gap_s 1), want 345600"
	n=$(($(wc -l <"$d/out/equity.csv") - 1))
	[ "$n" -eq 100 ] && ok "equity.csv: 100 hourly rows" || fail "equity.csv: $n rows, want 100"
	TMPDIR="$d/tmp" "$BIN" verify "$d/out" >"$d/verify.log" 2>&1 &&
		ok "verify re-runs with --max-gap" || fail "verify: $(cat "$d/verify.log")"
fi
expect_ok "4-day gap, --max-gap 0 (no limit)" \
	sweep --prices "$d/gap.csv" --sentiment "$news" --interval 1h --window 1h --max-gap 0 \
	--threshold 0.3,0.5
run backtest --prices "$d/gap.csv" --sentiment "$news" --max-gap 3x
[ $rc -eq 2 ] && ok "--max-gap 3x: usage error" || fail "--max-gap 3x: exit $rc, want 2"
"$BIN" backtest --help | grep -q -- "--max-gap" && ok "--help documents --max-gap" ||
	fail "--help lacks --max-gap"

# The binary cache holds the longest gap: an entry stored under --max-gap 4d is not a
# way around a smaller limit later.
C="$d/cache"
TMPDIR="$d/tmp" "$BIN" backtest --prices "$d/gap.csv" --sentiment "$news" --interval 1h \
	--window 1h --max-gap 4d --candle-cache "$C" -q --out "$d/c1" >"$d/err" 2>&1 &&
	ok "cache filled under --max-gap 4d" || fail "cache run: $(cat "$d/err")"
TMPDIR="$d/tmp" "$BIN" backtest --prices "$d/gap.csv" --sentiment "$news" --interval 1h \
	--window 1h --candle-cache "$C" -q --out "$d/c2" >"$d/err" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -qF "gap.csv:5: expected no gap" "$d/err" &&
	ok "cache hit does not bypass the default limit" ||
	fail "cached gap under the default limit: exit $rc: $(cat "$d/err")"

# ---------------------------------------------------------------------------------------
# 2. OHLCV rows whose low/high do not bound open/close: a truncated last row (close 62
#    under a low of 62039) gave a -99.9 % backtest with exit 0.
# ---------------------------------------------------------------------------------------
expect_fail "close below low" \
	"ohlcv-close-below-low.csv:4: expected low <= open, close <= high, got close 62 below low 62039.0" \
	backtest --prices $R/ohlcv-close-below-low.csv --sentiment "$news"

# ---------------------------------------------------------------------------------------
# 3. Not a regular file.  /dev/zero hung in SHA-256; a FIFO was drained by the hash and
#    then fopen blocked; a pipe read as empty.  Devices and folders are errors naming the
#    path; FIFOs and pipes are read once into a temporary copy, and work.
# ---------------------------------------------------------------------------------------
cat >"$d/px.csv" <<'EOF'
time,open,high,low,close,volume
2024-03-01T00:00:00Z,100,100,100,100,1
2024-03-01T00:01:00Z,100,100,100,100,1
2024-03-01T00:02:00Z,100,105,100,105,1
2024-03-01T00:03:00Z,105,110,105,110,1
2024-03-01T00:04:00Z,110,110,110,110,1
2024-03-01T00:05:00Z,110,120,110,120,1
EOF
expect_fail "/dev/zero as --prices" \
	"/dev/zero: expected a regular file or a pipe, got a character device" \
	backtest --prices /dev/zero --sentiment "$news"
expect_fail "/dev/zero as --sentiment" \
	"/dev/zero: expected a regular file or a pipe, got a character device" \
	sweep --prices "$d/px.csv" --sentiment /dev/zero
expect_fail "a folder as --prices" "$d/tmp: expected a regular file or a pipe, got a directory" \
	backtest --prices "$d/tmp" --sentiment "$news"
"$BIN" convert /dev/zero --out "$d/conv.jsonl" >"$d/err" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -qF "got a character device" "$d/err" && ok "convert /dev/zero: exit 1" ||
	fail "convert /dev/zero: exit $rc: $(cat "$d/err")"

expect_ok "regular files (reference)" backtest --prices "$d/px.csv" --sentiment "$news"
if [ $rc -eq 0 ]; then
	cp "$d/out/metrics.json" "$d/ref.metrics.json"
	cp "$d/out/equity.csv" "$d/ref.equity.csv"
	ref_sha=$(mfield sha256 1)
fi
same_as_ref() {   # DESC
	cmp -s "$d/out/metrics.json" "$d/ref.metrics.json" &&
		cmp -s "$d/out/equity.csv" "$d/ref.equity.csv" &&
		ok "$1: same results as the regular files" || fail "$1: results differ"
	[ "$(mfield sha256 1)" = "$ref_sha" ] && ok "$1: manifest has the content's SHA-256" ||
		fail "$1: manifest sha256 $(mfield sha256 1), want $ref_sha"
	no_spool_left "$1"
}

mkfifo "$d/px.fifo"
mkfifo "$d/feed.jsonl"
cat "$d/px.csv" >"$d/px.fifo" &
cat "$news" >"$d/feed.jsonl" &
expect_ok "FIFOs as --prices and --sentiment" \
	backtest --prices "$d/px.fifo" --sentiment "$d/feed.jsonl"
[ $rc -eq 0 ] && same_as_ref "FIFOs"
[ $rc -eq 0 ] && grep -qF "\"path\":	\"$d/px.fifo\"" "$d/out/manifest.json" &&
	ok "FIFOs: the manifest names the FIFO" || fail "FIFOs: manifest path"
wait

rm -rf "$d/out"
cat "$d/px.csv" | TMPDIR="$d/tmp" $TO "$BIN" backtest --prices /dev/stdin --sentiment "$news" \
	--candle-cache= -q --out "$d/out" >"$d/err" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "a pipe on /dev/stdin: exit 0" || fail "a pipe on /dev/stdin: exit $rc: $(cat "$d/err")"
[ $rc -eq 0 ] && same_as_ref "a pipe on /dev/stdin"

# a bad row through a pipe is reported under the name given, not the temporary copy's
rm -rf "$d/out"
sed '4s/105,1$/abc,1/' "$d/px.csv" | TMPDIR="$d/tmp" $TO "$BIN" backtest --prices /dev/stdin \
	--sentiment "$news" --candle-cache= -q --out "$d/out" >"$d/err" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -qF "sentibt: /dev/stdin:4: expected a price from 1e-12 to 1e12 in column 'close'" "$d/err" &&
	ok "bad row in a pipe: named /dev/stdin:4" || fail "bad row in a pipe: exit $rc: $(cat "$d/err")"
no_spool_left "bad row in a pipe"

if command -v bash >/dev/null 2>&1; then
	# <(...) gives /dev/fd/N: no name to tell the sentiment format by, so it is sniffed
	run_ps() {
		rm -rf "$d/out"
		TMPDIR="$d/tmp" $TO bash -c '"$1" backtest --prices <(cat "$2") --sentiment <(cat "$3") \
			--candle-cache= -q --out "$4"' sh "$BIN" "$d/px.csv" "$news" "$d/out" >"$d/err" 2>&1
		rc=$?
	}
	run_ps
	[ $rc -eq 0 ] && ok "process substitution: exit 0" ||
		fail "process substitution: exit $rc: $(cat "$d/err")"
	[ $rc -eq 0 ] && same_as_ref "process substitution"
else
	echo "SKIP: bash absent, process substitution not tested"
fi

# ---------------------------------------------------------------------------------------
# 4. Anything after a NUL byte in a row was silently ignored.
# ---------------------------------------------------------------------------------------
expect_fail "NUL byte in a price row" \
	"nul-in-row.csv:3: expected text, got an unexpected NUL byte at byte 56 of the line" \
	backtest --prices $R/nul-in-row.csv --sentiment "$news"
expect_fail "NUL byte in a JSON Lines record" \
	"nul-in-row.jsonl:2: expected text, got an unexpected NUL byte" \
	backtest --prices "$d/px.csv" --sentiment $R/nul-in-row.jsonl

# ---------------------------------------------------------------------------------------
# 5. Duplicate Tardis trades doubled the volume, and the manifest said duplicates: 0.
# ---------------------------------------------------------------------------------------
expect_ok "duplicate trade ids" backtest --prices $R/tardis-duplicate-ids.csv --sentiment "$news"
if [ $rc -eq 0 ]; then
	[ "$(mfield duplicates 1)" = 2 ] && [ "$(mfield rows 1)" = 7 ] &&
		[ "$(mfield rows_used 1)" = 5 ] && ok "manifest: 7 rows, 5 used, 2 duplicates" ||
		fail "manifest: rows $(mfield rows 1) used $(mfield rows_used 1) duplicates $(mfield duplicates 1)"
fi

# ---------------------------------------------------------------------------------------
# 6. --force replaced a folder holding the run's own input (deleted with it, exit 0);
#    convert --force wrote over its input; verify hung on a run whose input was a FIFO.
# ---------------------------------------------------------------------------------------
mkdir -p "$d/own"
cp "$news" "$d/own/news.jsonl"
TMPDIR="$d/tmp" "$BIN" backtest --candle-cache= -q --prices "$d/px.csv" --sentiment "$d/own/news.jsonl" \
	--out "$d/own" --force >"$d/err" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "which --force would replace" "$d/err" && [ -s "$d/own/news.jsonl" ] &&
	ok "--force over a folder holding the input: refused, the input kept" ||
	fail "--force over the input's folder: exit $rc: $(head -c 300 "$d/err")"
cp "$news" "$d/conv.jsonl"
"$BIN" convert "$d/conv.jsonl" --out "$d/conv.jsonl" --force >"$d/err" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "is the input" "$d/err" && cmp -s "$news" "$d/conv.jsonl" &&
	ok "convert onto its own input: refused, the input unchanged" ||
	fail "convert in place: exit $rc: $(head -c 300 "$d/err")"
TMPDIR="$d/tmp" "$BIN" backtest --candle-cache= -q --prices "$d/px.csv" --sentiment "$news" \
	--out "$d/rep_in" >"$d/err" 2>&1
"$BIN" report "$d/rep_in" --out "$d/rep_in" --force >"$d/err" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "which --force would replace" "$d/err" && [ -s "$d/rep_in/metrics.json" ] &&
	ok "report --out onto its own result folder with --force: refused, the results kept" ||
	fail "report over its results: exit $rc: $(head -c 300 "$d/err")"
if mkfifo "$d/fifo.jsonl" 2>/dev/null; then
	cat "$news" >"$d/fifo.jsonl" &
	TMPDIR="$d/tmp" "$BIN" backtest --candle-cache= -q --prices "$d/px.csv" \
		--sentiment "$d/fifo.jsonl" --out "$d/fifo_run" >"$d/err" 2>&1
	rc=$?
	wait
	if [ $rc -eq 0 ]; then
		timeout 20 "$BIN" verify "$d/fifo_run" >"$d/err" 2>&1
		rc=$?
		[ $rc -eq 1 ] && grep -q "not a regular file" "$d/err" &&
			ok "verify of a run read from a FIFO: exit 1 at once, not a hang" ||
			fail "verify with a FIFO input: exit $rc: $(head -c 300 "$d/err")"
	else
		fail "backtest from a FIFO: exit $rc: $(head -c 300 "$d/err")"
	fi
else
	echo "SKIP: mkfifo failed, the FIFO verify case not tested"
fi

if [ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all hostile-input CLI checks passed"
exit 0
