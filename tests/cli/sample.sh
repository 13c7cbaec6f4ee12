#!/bin/sh
# sample.sh - `sentibt sample`: same seed -> byte-identical files, --help, usage errors.
# Run from the repo root with ./sentibt built.
set -u
fail() { echo "FAIL: $*"; exit 1; }
bin=${SENTIBT_BIN:-./sentibt}   # CI points it at the sanitizer build
[ -x "$bin" ] || fail "$bin not built"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sentibt-sample-sh.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM

# --help: usage on stdout, exit 0, says the data are synthetic and lists the exit codes
"$bin" sample --help >"$tmp/help" 2>"$tmp/err" || fail "--help exit $?"
grep -q '^usage: sentibt sample' "$tmp/help" || fail "--help: no usage line"
grep -q 'SYNTHETIC' "$tmp/help" || fail "--help: does not say SYNTHETIC"
grep -q 'exit codes' "$tmp/help" || fail "--help: no exit codes"
[ -s "$tmp/err" ] && fail "--help wrote to stderr"
"$bin" help sample >/dev/null || fail "'help sample' exit $?"

# two runs with the same seed: the same file names, byte-identical
"$bin" sample --out "$tmp/a" --days 1 2>"$tmp/err_a" || { cat "$tmp/err_a"; fail "run a exit $?"; }
"$bin" sample --out "$tmp/b" --days 1 2>"$tmp/err_b" || { cat "$tmp/err_b"; fail "run b exit $?"; }
expect="binance_trades_2024-03-01_BTCUSDT.csv.gz
binance_trades_2024-03-01_ETHUSDT.csv.gz
news.jsonl"
[ "$(ls "$tmp/a")" = "$expect" ] || fail "files written: $(ls "$tmp/a" | tr '\n' ' ')"
[ "$(ls "$tmp/b")" = "$expect" ] || fail "files written (b): $(ls "$tmp/b" | tr '\n' ' ')"
for f in $expect; do
	cmp -s "$tmp/a/$f" "$tmp/b/$f" || fail "$f differs between two runs with the same seed"
done
# a summary line per kind on stderr
grep -q 'wrote 2 trades files' "$tmp/err_a" || { cat "$tmp/err_a"; fail "no trades summary"; }
grep -q 'news.jsonl' "$tmp/err_a" || fail "no news summary"
# gzip with a zero mtime, Tardis header
if command -v gzip >/dev/null 2>&1; then
	gzip -t "$tmp/a/binance_trades_2024-03-01_BTCUSDT.csv.gz" || fail "gzip -t"
	[ "$(gzip -dc "$tmp/a/binance_trades_2024-03-01_BTCUSDT.csv.gz" | head -n 1)" = \
	  "exchange,symbol,timestamp,local_timestamp,id,side,price,amount" ] || fail "header"
else
	echo "SKIP: gzip not installed, header not checked"
fi

# another seed gives other data; --start and --symbols name the files
"$bin" sample --out "$tmp/c" --days 1 --seed 43 2>/dev/null || fail "seed 43 exit $?"
cmp -s "$tmp/a/news.jsonl" "$tmp/c/news.jsonl" && fail "seed 43 gives the same news"
"$bin" sample --out "$tmp/d" --days 2 --start 2024-02-28 --symbols SOLUSDT \
	--articles-per-day 50 2>/dev/null || fail "--start/--symbols exit $?"
[ "$(ls "$tmp/d")" = "binance_trades_2024-02-28_SOLUSDT.csv.gz
binance_trades_2024-02-29_SOLUSDT.csv.gz
news.jsonl" ] || fail "files with --start 2024-02-28: $(ls "$tmp/d" | tr '\n' ' ')"

# usage errors: exit 2, a message on stderr, nothing written
for args in "--bogus" "--days 0" "--days x" "--seed -1" "--start 2024-02-30" \
	    "--start 2024-3-1" "--symbols btcusdt" "--articles-per-day 1.5" "--days" "extra"; do
	# shellcheck disable=SC2086
	"$bin" sample --out "$tmp/bad" $args >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "sample $args: exit $rc, expected 2"
	[ -s "$tmp/err" ] || fail "sample $args: no message"
	[ -e "$tmp/bad" ] && fail "sample $args: wrote $tmp/bad"
done

# an output folder that cannot be created: exit 1, message naming it, no partial file
: >"$tmp/file"
"$bin" sample --out "$tmp/file/sub" --days 1 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "unwritable --out: exit $rc, expected 1"
grep -q "$tmp/file" "$tmp/err" || fail "unwritable --out: message does not name it"
echo "sample.sh: ok"
