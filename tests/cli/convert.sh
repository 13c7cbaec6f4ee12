#!/bin/sh
# convert.sh - `sentibt convert`: round trip, CSV mapping, bad input, usage errors.
# Run from the repo root with ./sentibt built.  Expected outputs are written by hand.
set -u
BIN=${SENTIBT_BIN:-./sentibt}   # CI points it at the sanitizer build
T=$(mktemp -d "${TMPDIR:-/tmp}/sentibt-convert-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

# --- JSONL round trip: unsorted input, aliases, a duplicate id, extra fields ---
cat >"$T/in.jsonl" <<'EOF'
{"id":"b","published_at":"2024-03-01T14:34:57+02:00","sentiment_score":-0.5,"confidence":0.25,"headline":"x, y"}
{"article_id":"a","published_at":1709296496,"sentiment_score":0.1,"confidence":1,"key_entities":["BTC"]}

{"id":"b","published_at":1,"sentiment_score":0.9,"confidence":0.9}
{"published_at":"2024-03-01T12:34:56.5Z","sentiment_score":0,"confidence":0.3333333333333333}
EOF
# 1709296496 = 2024-03-01T12:34:56Z; 14:34:57+02:00 = 12:34:57Z; the second "b" is a duplicate.
# Scores and confidences are decimals of 10^-9: 1/3 is written 0.333333333.
cat >"$T/want.jsonl" <<'EOF'
{"published_at":"2024-03-01T12:34:56Z","sentiment_score":0.1,"confidence":1}
{"published_at":"2024-03-01T12:34:56.500000Z","sentiment_score":0,"confidence":0.333333333}
{"published_at":"2024-03-01T12:34:57Z","sentiment_score":-0.5,"confidence":0.25}
EOF
$BIN convert "$T/in.jsonl" --out "$T/out1.jsonl" 2>"$T/err" || fail "convert exited $?: $(cat "$T/err")"
cmp -s "$T/out1.jsonl" "$T/want.jsonl" || { diff "$T/want.jsonl" "$T/out1.jsonl"; fail "round trip output differs"; }
grep -q "3 articles" "$T/err" || fail "summary lacks '3 articles': $(cat "$T/err")"
grep -q "1 duplicates" "$T/err" || fail "summary lacks '1 duplicates': $(cat "$T/err")"
$BIN convert "$T/out1.jsonl" -o "$T/out2.jsonl" 2>/dev/null || fail "second convert failed"
cmp -s "$T/out1.jsonl" "$T/out2.jsonl" || fail "convert of its own output is not identical"

# --- gzip'd JSONL ---
if command -v gzip >/dev/null 2>&1; then
	gzip -c "$T/in.jsonl" >"$T/in.jsonl.gz"
	$BIN convert "$T/in.jsonl.gz" -q -o "$T/outgz.jsonl" 2>"$T/err" || fail "gz convert failed: $(cat "$T/err")"
	[ ! -s "$T/err" ] || fail "-q still printed: $(cat "$T/err")"
	cmp -s "$T/outgz.jsonl" "$T/want.jsonl" || fail ".jsonl.gz output differs"
else
	echo "SKIP: gzip not installed, .jsonl.gz part skipped"
fi

# --- entity filter ---
$BIN convert "$T/in.jsonl" --entity btc -o "$T/btc.jsonl" 2>"$T/err" || fail "entity convert failed"
[ "$(wc -l <"$T/btc.jsonl")" -eq 1 ] || fail "entity filter kept $(wc -l <"$T/btc.jsonl") lines, want 1"
grep -q "2 not about btc" "$T/err" || fail "summary lacks '2 not about btc': $(cat "$T/err")"

# --- CSV through the column mapping, multi-line quoted text ---
printf 'when,text,score\n2024-03-01 12:34:57,"up, again",-0.75\n2024-03-01 12:34:56,"two\nlines",0.5\n' >"$T/news.csv"
$BIN convert "$T/news.csv" --time-col when --score-col score --confidence abs -o "$T/csv.jsonl" 2>/dev/null ||
	fail "csv convert failed"
printf '%s\n' '{"published_at":"2024-03-01T12:34:56Z","sentiment_score":0.5,"confidence":0.5}' \
	'{"published_at":"2024-03-01T12:34:57Z","sentiment_score":-0.75,"confidence":0.75}' >"$T/wantcsv.jsonl"
cmp -s "$T/csv.jsonl" "$T/wantcsv.jsonl" || fail "csv (abs) output differs"
$BIN convert "$T/news.csv" --time-col when --score-col score --confidence const:0.2 --force -o "$T/csv.jsonl" 2>/dev/null ||
	fail "csv const convert failed"
[ "$(grep -c '"confidence":0.2}' "$T/csv.jsonl")" -eq 2 ] || fail "const:0.2 not applied"
# no confidence column and no choice: exit 1 with a hint
$BIN convert "$T/news.csv" --time-col when --score-col score -o "$T/nc.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "missing confidence column: exit $rc, want 1"
grep -q "news.csv:1: expected a confidence column" "$T/err" || fail "message: $(cat "$T/err")"
grep -q -- "--confidence abs" "$T/err" || fail "no hint in: $(cat "$T/err")"
[ ! -e "$T/nc.jsonl" ] || fail "output written despite the error"

# --- bad input: exit 1, file:line in the message, no output, old output untouched ---
printf '%s\n' '{"published_at":1,"sentiment_score":0.5,"confidence":1}' \
	'{"published_at":2,"sentiment_score":1.5,"confidence":1}' >"$T/bad.jsonl"
$BIN convert "$T/bad.jsonl" -o "$T/bad-out.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "bad input: exit $rc, want 1"
grep -q "bad.jsonl:2: expected sentiment_score in \[-1, 1\]" "$T/err" || fail "message: $(cat "$T/err")"
[ ! -e "$T/bad-out.jsonl" ] || fail "partial output left behind"
echo old >"$T/keep.jsonl"
$BIN convert "$T/bad.jsonl" -o "$T/keep.jsonl" 2>/dev/null && fail "bad input accepted"
[ "$(cat "$T/keep.jsonl")" = old ] || fail "existing output clobbered on error"
ls "$T" | grep -q '\.tmp-' && fail "temporary file left in $T"
$BIN convert "$T/missing.jsonl" -o "$T/m.jsonl" 2>/dev/null
[ $? -eq 1 ] || fail "missing input: want exit 1"

# --- usage ---
$BIN convert --help >"$T/help" || fail "--help exit $?"
grep -q "exit codes" "$T/help" || fail "--help lacks exit codes"
for opt in --out --time-col --score-col --confidence-col --confidence --entity; do
	grep -q -- "$opt" "$T/help" || fail "--help lacks $opt"
done
$BIN convert "$T/in.jsonl" 2>/dev/null; [ $? -eq 2 ] || fail "no --out: want exit 2"
$BIN convert -o "$T/x.jsonl" 2>/dev/null; [ $? -eq 2 ] || fail "no input: want exit 2"
$BIN convert "$T/in.jsonl" -o "$T/x.jsonl" --confidence const:2 2>/dev/null
[ $? -eq 2 ] || fail "--confidence const:2: want exit 2"
$BIN convert "$T/in.jsonl" -o "$T/x.jsonl" --bogus 2>/dev/null; [ $? -eq 2 ] || fail "--bogus: want exit 2"
[ ! -e "$T/x.jsonl" ] || fail "output written on a usage error"

# --- the real bitcoin news CSV (9956 rows, counted with Python's csv module) ---
SHARED=${SENTIBT_SHARED:-../shared}
REAL="$SHARED/crypto-sentiment-backtest/Bitcoin-Price-Prediction-Experiments__Bitcoin-Dataset-Viewer-and-Preparer/data/final_data/bitcoin_news_sentiments_21_23.csv"
if [ -r "$REAL" ]; then
	$BIN convert "$REAL" --confidence abs -o "$T/real.jsonl" 2>"$T/err" || fail "real file: $(cat "$T/err")"
	[ "$(wc -l <"$T/real.jsonl")" -eq 9956 ] || fail "real file: $(wc -l <"$T/real.jsonl") lines, want 9956"
	head -n 1 "$T/real.jsonl" | grep -q '"published_at":"2021-11-05T04:42:00Z"' || fail "real file: wrong first time"
	tail -n 1 "$T/real.jsonl" | grep -q '"published_at":"2023-12-19T05:25:00Z"' || fail "real file: wrong last time"
else
	echo "SKIP: $REAL not found (set SENTIBT_SHARED), real-file part skipped"
fi
exit 0
