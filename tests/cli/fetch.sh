#!/bin/sh
# fetch.sh - `sentibt fetch` against tests/fetch_server.py, a fault-injecting HTTP/1.1
# server on 127.0.0.1 (never the network).  Run from the repo root with ./sentibt built.
set -u

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found; fetch tests not run"
	exit 0
fi
BIN=${SENTIBT_BIN:-./sentibt}   # CI points it at the sanitizer build
[ -x "$BIN" ] || { echo "fetch.sh: $BIN not built"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/sentibt-fetch.XXXXXX")
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

KEY=sbkey_RECOGNISABLE_9d41c7e2
export FETCH_SERVER_KEY="$KEY"
unset TARDIS_API_KEY MYKEY SENTIBT_TARDIS_BASE_URL 2>/dev/null
export SENTIBT_RETRY_BASE_MS=20
mkdir -p "$T/files"
printf 'version one\n' >"$T/files/note.txt"

python3 tests/fetch_server.py --port-file "$T/port" --log "$T/log" --files "$T/files" &
SRV=$!
i=0
while [ ! -s "$T/port" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "FAIL: the test server did not start"; exit 1; }
	sleep 0.05
done
PORT=$(cat "$T/port")
BASE="http://127.0.0.1:$PORT/v1"
N=0

fail() { echo "FAIL: $*"; for f in "$T"/out.*; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done; exit 1; }
ok() { N=$((N + 1)); }

# run NAME ARGS... : ./sentibt with stdout+stderr in $T/out.NAME, exit code in $rc
run() {
	name=$1; shift
	"$BIN" "$@" >"$T/out.$name" 2>&1
	rc=$?
}
has() { grep -qF -- "$2" "$T/out.$1" || fail "$1: output lacks '$2'"; }
# nreq SUBSTRING : requests logged whose path contains SUBSTRING
nreq() {
	python3 -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if sys.argv[2] in json.loads(l)["path"]))' "$T/log" "$1"
}
# logq SUBSTRING EXPR : python EXPR over the list E of log entries matching SUBSTRING
logq() {
	python3 -c 'import json,sys
E=[json.loads(l) for l in open(sys.argv[1])]
E=[e for e in E if sys.argv[2] in e["path"]]
print(eval(sys.argv[3]))' "$T/log" "$1" "$2"
}
# expect PATH FILE : FILE holds exactly what the server serves for PATH
expect() {
	python3 tests/fetch_server.py --body "$1" >"$T/expected" || fail "no body for $1"
	cmp -s "$T/expected" "$2" || fail "$2 differs from the served body of $1"
}
no_temps() {
	left=$(find "$1" -name '*.part.*' | head -1)
	[ -z "$left" ] || fail "temporary file left: $left"
}

# --- help and usage ---------------------------------------------------------------
run help fetch --help
[ $rc -eq 0 ] || fail "--help exit $rc"
has help "EXCLUSIVE"
has help "exit codes"
for o in --max-bytes --deadline --min-rate --rate-window SENTIBT_FETCH_MAX_BYTES; do has help "$o"; done
run badcap fetch url "http://127.0.0.1:$PORT/fault/ok/x.jsonl" --cache "$T/u0" --max-bytes 0
[ $rc -eq 2 ] || fail "--max-bytes 0: exit $rc, expected 2"
has badcap "--max-bytes: expected a size"
run baddl fetch url "http://127.0.0.1:$PORT/fault/ok/x.jsonl" --cache "$T/u0" --deadline 5x
[ $rc -eq 2 ] || fail "--deadline 5x: exit $rc, expected 2"
has baddl "--deadline: expected a duration"
run baddate fetch tardis --exchange deribit --data-type trades --symbols X --from 2020-02-30 --to 2020-03-02 --base-url "$BASE" --cache "$T/u0"
[ $rc -eq 2 ] || fail "impossible date: exit $rc, expected 2"
has baddate "--from: expected a date YYYY-MM-DD, got '2020-02-30'"
run emptyrange fetch tardis --exchange deribit --data-type trades --symbols X --from 2020-03-02 --to 2020-03-02 --base-url "$BASE" --cache "$T/u0"
[ $rc -eq 2 ] || fail "--to == --from: exit $rc, expected 2"
[ "$(nreq /v1/deribit/)" -eq 0 ] || fail "usage errors made requests"
ok

# --- several days and symbols, with a key; names as the official clients ---------
TARDIS_API_KEY=$KEY run par fetch tardis --exchange ex-par --data-type trades,quotes \
	--symbols BTC-PERPETUAL,eth/usd:x --from 2020-04-01 --to 2020-04-04 \
	--cache "$T/c1" --base-url "$BASE"
[ $rc -eq 0 ] || fail "parallel fetch: exit $rc"
has par "fetched 12, already cached 0, failed 0"
for d in 01 02 03; do
	for t in trades quotes; do
		expect "/v1/ex-par/$t/2020/04/$d/BTC-PERPETUAL.csv.gz" "$T/c1/ex-par_${t}_2020-04-${d}_BTC-PERPETUAL.csv.gz"
		# symbol upper-cased with / and : -> '-' in the URL; the file keeps it, sanitised
		expect "/v1/ex-par/$t/2020/04/$d/ETH-USD-X.csv.gz" "$T/c1/ex-par_${t}_2020-04-${d}_eth-usd-x.csv.gz"
	done
done
[ "$(ls "$T/c1" | wc -l)" -eq 12 ] || fail "expected exactly 12 files in the cache"
[ "$(nreq /v1/ex-par/)" -eq 12 ] || fail "expected 12 requests"
[ "$(logq /v1/ex-par/ 'all(e["auth"] == "match" for e in E)')" = True ] || fail "Authorization was not 'Bearer <key>'"
[ "$(logq /v1/ex-par/ 'all(e["ua"].startswith("sentibt/") for e in E)')" = True ] || fail "User-Agent does not name sentibt"
[ "$(logq /v1/ex-par/ 'all(e["accept_encoding"] is None for e in E)')" = True ] || fail "Accept-Encoding was sent"
gzip -dc "$T/c1/ex-par_trades_2020-04-02_BTC-PERPETUAL.csv.gz" | head -1 >"$T/hdr"
[ "$(cat "$T/hdr")" = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount" ] || fail "not a trades CSV"
no_temps "$T/c1"
ok

# --- the second run makes no request at all -----------------------------------------
before=$(nreq /v1/ex-par/)
TARDIS_API_KEY=$KEY run par2 fetch tardis --exchange ex-par --data-type trades,quotes \
	--symbols BTC-PERPETUAL,eth/usd:x --from 2020-04-01 --to 2020-04-04 \
	--cache "$T/c1" --base-url "$BASE"
[ $rc -eq 0 ] || fail "second run: exit $rc"
has par2 "fetched 0, already cached 12, failed 0"
[ "$(nreq /v1/ex-par/)" -eq "$before" ] || fail "the second run made requests"
ok

# --- transfers really overlap; one connection reused with --jobs 1 -----------------
run slow fetch tardis --exchange ex-slow --data-type trades --symbols SLOWA,SLOWB,SLOWC,SLOWD \
	--from 2020-05-01 --to 2020-05-02 --cache "$T/c2" --base-url "$BASE" --jobs 4
[ $rc -eq 0 ] || fail "slow parallel fetch: exit $rc"
[ "$(logq /v1/ex-slow/ 'max(e["inflight"] for e in E) >= 3')" = True ] || fail "transfers did not run in parallel"
TARDIS_API_KEY=$KEY run reuse fetch tardis --exchange ex-reuse --data-type trades --symbols A \
	--from 2020-05-01 --to 2020-05-05 --cache "$T/c3" --base-url "$BASE" --jobs 1
[ $rc -eq 0 ] || fail "--jobs 1: exit $rc"
[ "$(logq /v1/ex-reuse/ 'len(E) == 4 and len(set(e["port"] for e in E)) == 1')" = True ] || fail "the connection was not reused"
ok

# --- 429 with Retry-After in seconds, then as an HTTP date ---------------------------
run r429 fetch tardis --exchange ex-429 --data-type trades --symbols RL429 --from 2020-06-01 --to 2020-06-02 --cache "$T/c4" --base-url "$BASE"
[ $rc -eq 0 ] || fail "429 then 200: exit $rc"
expect /v1/ex-429/trades/2020/06/01/RL429.csv.gz "$T/c4/ex-429_trades_2020-06-01_RL429.csv.gz"
[ "$(logq /v1/ex-429/ '[e["status"] for e in E] == [429, 200]')" = True ] || fail "429: expected requests 429, 200"
[ "$(logq /v1/ex-429/ 'E[1]["t"] - E[0]["t"] >= 0.95')" = True ] || fail "Retry-After: 1 not honoured (base delay is 20 ms)"
run rdate fetch tardis --exchange ex-date --data-type trades --symbols RLDATE --from 2020-06-01 --to 2020-06-02 --cache "$T/c4" --base-url "$BASE"
[ $rc -eq 0 ] || fail "429 (date) then 200: exit $rc"
# the date is now+2 s truncated to a second, so at least 1 s must have passed
[ "$(logq /v1/ex-date/ 'len(E) == 2 and E[1]["t"] - E[0]["t"] >= 0.95')" = True ] || fail "Retry-After as an HTTP date not honoured"
ok

# --- 500 twice, a cut-short body: retried to success ---------------------------------
run r500 fetch tardis --exchange ex-500 --data-type trades --symbols FAIL500X2 --from 2020-06-01 --to 2020-06-02 --cache "$T/c5" --base-url "$BASE"
[ $rc -eq 0 ] || fail "500 500 200: exit $rc"
[ "$(logq /v1/ex-500/ '[e["status"] for e in E] == [500, 500, 200]')" = True ] || fail "500: expected 500, 500, 200"
[ "$(logq /v1/ex-500/ 'E[2]["path"].endswith("?retryAttempt=2")')" = True ] || fail "no cache-busting retryAttempt query"
expect /v1/ex-500/trades/2020/06/01/FAIL500X2.csv.gz "$T/c5/ex-500_trades_2020-06-01_FAIL500X2.csv.gz"
run cut fetch tardis --exchange ex-cut --data-type trades --symbols CUT --from 2020-06-01 --to 2020-06-02 --cache "$T/c5" --base-url "$BASE"
[ $rc -eq 0 ] || fail "cut body then 200: exit $rc"
[ "$(nreq /v1/ex-cut/)" -eq 2 ] || fail "cut body: expected 2 requests"
expect /v1/ex-cut/trades/2020/06/01/CUT.csv.gz "$T/c5/ex-cut_trades_2020-06-01_CUT.csv.gz"
no_temps "$T/c5"
ok

# --- a corrupt gzip (bad CRC) and a non-gzip body are never cached -----------------
run corrupt fetch tardis --exchange ex-bad --data-type trades --symbols CORRUPT --from 2020-06-01 --to 2020-06-02 --cache "$T/c6" --base-url "$BASE" --retries 2
[ $rc -eq 1 ] || fail "corrupt gzip: exit $rc, expected 1"
has corrupt "gzip"
has corrupt "gave up after 2 attempts"
has corrupt "failed 1"
[ "$(nreq /v1/ex-bad/)" -eq 2 ] || fail "corrupt: expected 2 attempts"
[ ! -e "$T/c6/ex-bad_trades_2020-06-01_CORRUPT.csv.gz" ] || fail "a corrupt file was cached"
run notgz fetch tardis --exchange ex-bad --data-type trades --symbols NOTGZ --from 2020-06-01 --to 2020-06-02 --cache "$T/c6" --base-url "$BASE" --retries 1
[ $rc -eq 1 ] || fail "non-gzip body: exit $rc"
has notgz "not gzip"
[ -z "$(ls "$T/c6")" ] || fail "files left after failures: $(ls "$T/c6")"
ok

# --- bounds (issue 10): size cap, minimum rate, deadline; nothing cached or left ----------
F="http://127.0.0.1:$PORT/fault"
# an endless body (once 2.65 GB in 10 s): stopped at the cap, not retried
SENTIBT_FETCH_MAX_BYTES=1M run endless fetch url "$F/endless/news.jsonl" --cache "$T/b"
[ $rc -eq 1 ] || fail "endless body: exit $rc, expected 1"
has endless "$F/endless/news.jsonl: the body passed the size cap of 1048576 bytes (1.0 MiB"
[ "$(nreq /fault/endless/)" -eq 1 ] || fail "a body over the size cap was retried"
# a size over the cap announced by Content-Length: stopped before the body
run big fetch url "$F/big/news.jsonl" --cache "$T/b" --max-bytes 100K
[ $rc -eq 1 ] || fail "announced size over --max-bytes: exit $rc, expected 1"
has big "$F/big/news.jsonl: the Content-Length is over the size cap of 102400 bytes"
# 2 bytes a second is never idle: below the minimum rate, retried, then a failure
SENTIBT_FETCH_MIN_RATE=1K SENTIBT_FETCH_RATE_WINDOW=1 run slow fetch url "$F/trickle/news.jsonl" --cache "$T/b" --retries 2
[ $rc -eq 1 ] || fail "2 bytes/s under a 1 KiB/s minimum: exit $rc, expected 1"
has slow "$F/trickle/news.jsonl: too slow: "
has slow "below the minimum rate of 1024 bytes/s over 1 s"
has slow "gave up after 2 attempts"
[ "$(nreq /fault/trickle/)" -eq 2 ] || fail "too slow: expected 2 attempts"
# the same with no minimum: the deadline ends it, and is not retried
run dl fetch url "$F/trickle/news.jsonl" --cache "$T/b" --min-rate 0 --deadline 1s
[ $rc -eq 1 ] || fail "2 bytes/s past --deadline 1s: exit $rc, expected 1"
has dl "$F/trickle/news.jsonl: not done within the deadline of 1 s"
[ "$(nreq /fault/trickle/)" -eq 3 ] || fail "the deadline was retried"
[ -z "$(ls -A "$T/b")" ] || fail "bounds: files left: $(ls -A "$T/b")"
ok

# --- a length that disagrees with Content-Length fails for every file, not only gzip ----
# Content-Length 10 bytes short (libcurl keeps that many: a cut last row, stored before)
run longcl fetch url "$F/longbody/news.jsonl" --cache "$T/l" --retries 2
[ $rc -eq 1 ] || fail "body longer than Content-Length: exit $rc, expected 1"
has longcl "$F/longbody/news.jsonl: the body is longer than its Content-Length of 2140 bytes"
has longcl "gave up after 2 attempts"
run shortcl fetch url "$F/shortbody/news.jsonl" --cache "$T/l" --retries 2
[ $rc -eq 1 ] || fail "body shorter than Content-Length: exit $rc, expected 1"
has shortcl "$F/shortbody/news.jsonl: body cut short"
[ -z "$(ls -A "$T/l")" ] || fail "length mismatch: files left: $(ls -A "$T/l")"
# the same body, framed right, is stored as served
run okcl fetch url "$F/ok/news.jsonl" --cache "$T/l"
[ $rc -eq 0 ] || fail "the right body: exit $rc"
expect /fault/ok/news.jsonl "$T/l/news.jsonl"
ok

# --- an HTML page where data is expected: final, never stored ---------------------------
run html fetch url "$F/html/news.jsonl" --cache "$T/h"
[ $rc -eq 1 ] || fail "text/html for news.jsonl: exit $rc, expected 1"
has html "$F/html/news.jsonl: expected JSON lines, got Content-Type 'text/html; charset=utf-8'"
[ "$(nreq /fault/html/)" -eq 1 ] || fail "an HTML page was retried"
run htmlbody fetch url "$F/htmlbody/news.csv" --cache "$T/h"
[ $rc -eq 1 ] || fail "an HTML body for news.csv: exit $rc, expected 1"
has htmlbody "$F/htmlbody/news.csv: expected CSV, got an HTML/XML page starting '..  <!DOCTYPE html>"
# a body no file of the promised format can start with, or none at all: never stored
for name in news.jsonl news.csv news.msgpack; do
	run junk fetch url "$F/binjunk/$name" --cache "$T/h"
	[ $rc -eq 1 ] && grep -q "expected .*, got \(a body that does not start\|binary bytes\)" "$T/out.junk" ||
		fail "binary junk as $name: exit $rc: $(cat "$T/out.junk")"
done
run empty fetch url "$F/empty/news.jsonl" --cache "$T/h"
[ $rc -eq 1 ] && grep -q "expected JSON lines, got an empty body" "$T/out.empty" ||
	fail "an empty body as news.jsonl: exit $rc: $(cat "$T/out.empty")"
run htmlgz fetch tardis --exchange ex-html --data-type trades --symbols HTMLPAGE --from 2020-06-01 --to 2020-06-02 --cache "$T/h" --base-url "$BASE"
[ $rc -eq 1 ] || fail "text/html for a .csv.gz: exit $rc, expected 1"
has htmlgz "ex-html trades HTMLPAGE 2020-06-01: $BASE/ex-html/trades/2020/06/01/HTMLPAGE.csv.gz: expected gzip data, got Content-Type 'text/html"
[ "$(nreq /v1/ex-html/)" -eq 1 ] || fail "an HTML page for a .csv.gz was retried"
[ -z "$(ls -A "$T/h")" ] || fail "HTML pages: files left: $(ls -A "$T/h")"
# a name that promises no data format keeps what came
run htmlok fetch url "$F/html/page.html" --cache "$T/h"
[ $rc -eq 0 ] || fail "an HTML page as page.html: exit $rc"
ok

# --- 401 and 404 are final; the first one stops the rest ---------------------------
run a401 fetch tardis --exchange ex-401 --data-type trades --symbols BTC-PERPETUAL --from 2020-07-01 --to 2020-07-05 --cache "$T/c7" --base-url "$BASE" --jobs 1
[ $rc -eq 1 ] || fail "401: exit $rc, expected 1"
has a401 "that day needs an API key: set TARDIS_API_KEY (only the first day of each month is free)"
has a401 "failed 1, cancelled 3"
# the last day is asked first (as the official clients do), it fails, nothing else is asked
[ "$(logq /v1/ex-401/ '[e["path"] for e in E] == ["/v1/ex-401/trades/2020/07/04/BTC-PERPETUAL.csv.gz"]')" = True ] || fail "401: expected one request, for the last day"
[ -z "$(ls "$T/c7")" ] || fail "401: files left"
MYKEY=wrong-key run a401b fetch tardis --exchange ex-401 --data-type trades --symbols ETH --from 2020-07-02 --to 2020-07-03 --cache "$T/c7" --base-url "$BASE" --api-key-env MYKEY
[ $rc -eq 1 ] || fail "401 with a wrong key: exit $rc"
has a401b "the API key in MYKEY has no access"
MYKEY=$KEY run keyenv fetch tardis --exchange ex-401 --data-type trades --symbols SOL --from 2020-07-02 --to 2020-07-03 --cache "$T/c7" --base-url "$BASE" --api-key-env MYKEY
[ $rc -eq 0 ] || fail "--api-key-env MYKEY: exit $rc"
[ "$(logq /SOL.csv.gz 'E[0]["auth"]')" = match ] || fail "--api-key-env: key not sent"
run a404 fetch tardis --exchange ex-404 --data-type trades --symbols NOTFOUND --from 2020-07-01 --to 2020-07-02 --cache "$T/c7" --base-url "$BASE"
[ $rc -eq 1 ] || fail "404: exit $rc"
has a404 "HTTP 404 not found"
[ "$(nreq /v1/ex-404/)" -eq 1 ] || fail "404 was retried"
# with transfers in flight: they are cancelled and their temps removed
run cancel fetch tardis --exchange ex-cancel --data-type trades --symbols SLOWA,SLOWB,NOTFOUND --from 2020-07-01 --to 2020-07-02 --cache "$T/c10" --base-url "$BASE" --jobs 4
[ $rc -eq 1 ] || fail "404 with others in flight: exit $rc"
has cancel "failed 1, cancelled 2"
[ -z "$(ls -A "$T/c10")" ] || fail "cancelled transfers left files: $(ls -A "$T/c10")"
# a 5xx that never ends: bounded attempts
run down fetch tardis --exchange ex-down --data-type trades --symbols DOWN500 --from 2020-07-01 --to 2020-07-02 --cache "$T/c7" --base-url "$BASE" --retries 3
[ $rc -eq 1 ] || fail "always 500: exit $rc"
[ "$(nreq /v1/ex-down/)" -eq 3 ] || fail "--retries 3: expected 3 attempts"
ok

# --- fetch url: ETag revalidation ------------------------------------------------------
URL="http://127.0.0.1:$PORT/files/note.txt"
run u1 fetch url "$URL" --cache "$T/u"
[ $rc -eq 0 ] || fail "fetch url: exit $rc"
[ "$(cat "$T/u/note.txt")" = "version one" ] || fail "fetch url: wrong content"
[ -f "$T/u/note.txt.meta" ] || fail "no .meta sidecar"
run u2 fetch url "$URL" --cache "$T/u"
[ $rc -eq 0 ] || fail "fetch url again: exit $rc"
has u2 "already cached 1"
[ "$(logq /files/note.txt '[(e["status"], e["inm"]) for e in E] == [(200, False), (304, True)]')" = True ] || fail "no conditional request / 304"
[ "$(cat "$T/u/note.txt")" = "version one" ] || fail "304 changed the cached copy"
printf 'version two\n' >"$T/files/note.txt"
run u3 fetch url "$URL" --cache "$T/u" --name renamed.txt
run u4 fetch url "$URL" --cache "$T/u"
[ $rc -eq 0 ] || fail "fetch url changed: exit $rc"
has u4 "fetched 1"
has u4 ") -> $T/u/note.txt"          # the summary says where the file went
has u3 ") -> $T/u/renamed.txt"
[ "$(cat "$T/u/note.txt")" = "version two" ] || fail "changed file not fetched"
[ "$(cat "$T/u/renamed.txt")" = "version two" ] || fail "--name not honoured"
no_temps "$T/u"
ok

# --- two processes on the same files at once -------------------------------------------
for p in 1 2; do
	"$BIN" fetch tardis --exchange ex-two --data-type trades --symbols SLOWA,SLOWB,PLAIN \
		--from 2020-08-01 --to 2020-08-02 --cache "$T/c8" --base-url "$BASE" >"$T/out.two$p" 2>&1 &
	eval "pid$p=\$!"
done
wait "$pid1"; rc1=$?
wait "$pid2"; rc2=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] || fail "two processes: exits $rc1 $rc2"
for s in SLOWA SLOWB PLAIN; do
	expect "/v1/ex-two/trades/2020/08/01/$s.csv.gz" "$T/c8/ex-two_trades_2020-08-01_$s.csv.gz"
done
[ "$(ls "$T/c8" | wc -l)" -eq 3 ] || fail "two processes: expected 3 files, got $(ls "$T/c8")"
ok

# --- a killed run leaves nothing at the final path; its temp is removed later ----------
"$BIN" fetch tardis --exchange ex-kill --data-type trades --symbols SLOWK --from 2020-09-01 \
	--to 2020-09-02 --cache "$T/c9" --base-url "$BASE" -q >"$T/out.kill" 2>&1 &
kp=$!
i=0
while [ -z "$(find "$T/c9" -name '*.part.*' 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
kill -9 $kp; wait $kp 2>/dev/null
[ -n "$(find "$T/c9" -name '*.part.*')" ] || fail "expected a temp file from the killed run"
[ ! -e "$T/c9/ex-kill_trades_2020-09-01_SLOWK.csv.gz" ] || fail "killed run left a final file"
# a temp owned by a live process (this shell) must stay
live="$T/c9/other.csv.gz.part.$$.0badf00d"
: >"$live"
run kill2 fetch tardis --exchange ex-kill --data-type trades --symbols SLOWK --from 2020-09-01 --to 2020-09-02 --cache "$T/c9" --base-url "$BASE"
[ $rc -eq 0 ] || fail "run after kill: exit $rc"
[ "$(find "$T/c9" -name '*.part.*')" = "$live" ] || fail "stale temp not removed or live temp removed: $(find "$T/c9" -name '*.part.*')"
expect /v1/ex-kill/trades/2020/09/01/SLOWK.csv.gz "$T/c9/ex-kill_trades_2020-09-01_SLOWK.csv.gz"
ok

# --- backtest --prices tardis:...: the days are fetched once, then read from the cache ---
# The Tardis cache is data/cache/tardis under the working directory (no option or variable
# moves it), so these runs work in $T/bt, not in the repository.  The server's day file
# holds 50 trades at minute i + 1 s, price 8000 + i/2 (i = 0..49), so the 1m grid runs
# from 2024-03-01T00:00 to 2024-03-02T00:49: 1440 + 50 = 1490 candles.  Articles: 0.9 in
# candle 2024-03-01 00:10 -> long at its close (00:11:00) at 8005; 0.0 in candle
# 2024-03-02 00:20 -> |0| < 0.1: exit at its close (00:21:00) at 8010.  No signal between: hold.
mkdir -p "$T/bt"
cat >"$T/bt-news.jsonl" <<'EOF2'
{"id":"bt1","published_at":"2024-03-01T00:10:30Z","sentiment_score":0.9,"confidence":0.9,"symbols":["BTC"]}
{"id":"bt2","published_at":"2024-03-02T00:20:30Z","sentiment_score":0.0,"confidence":0.9,"symbols":["BTC"]}
EOF2
# bt NAME : the backtest, day files cached in $T/bt/tardis (--tardis-cache); stdout+stderr
# in $T/out.NAME, exit code in $rc
bt() {
	SENTIBT_TARDIS_BASE_URL="$BASE" TARDIS_API_KEY=$KEY "$BIN" backtest \
		--prices tardis:ex-bt:trades:BTCUSDT:2024-03-01..2024-03-03 --sentiment "$T/bt-news.jsonl" \
		--tardis-cache "$T/bt/tardis" --candle-cache '' --out "$T/bt-$1" -q >"$T/out.$1" 2>&1
	rc=$?
}
bt bt1
[ $rc -eq 0 ] || fail "backtest over tardis: exit $rc"
[ "$(nreq /v1/ex-bt/)" -eq 2 ] || fail "backtest over tardis: expected 2 requests, got $(nreq /v1/ex-bt/)"
[ "$(logq /v1/ex-bt/ 'sorted(e["path"] for e in E)')" = "['/v1/ex-bt/trades/2024/03/01/BTCUSDT.csv.gz', '/v1/ex-bt/trades/2024/03/02/BTCUSDT.csv.gz']" ] ||
	fail "backtest over tardis: not the two day files"
for dd in 01 02; do
	expect "/v1/ex-bt/trades/2024/03/$dd/BTCUSDT.csv.gz" "$T/bt/tardis/ex-bt_trades_2024-03-${dd}_BTCUSDT.csv.gz"
done
[ "$(wc -l <"$T/bt-bt1/equity.csv")" -eq 1491 ] || fail "backtest over tardis: equity.csv has $(wc -l <"$T/bt-bt1/equity.csv") lines, expected 1 + 1490 candles"
[ "$(grep -c '"rows":	50,' "$T/bt-bt1/manifest.json")" -eq 2 ] || fail "backtest over tardis: expected 2 price inputs of 50 rows in the manifest"
[ "$(sed -n 2p "$T/bt-bt1/trades.csv" | cut -d, -f1-5)" = "2024-03-01T00:11:00Z,8005,2024-03-02T00:21:00Z,8010,long" ] ||
	fail "backtest over tardis: trade $(sed -n 2p "$T/bt-bt1/trades.csv"), expected long 00:11 @ 8005 -> 2024-03-02 00:21 @ 8010"
[ "$(wc -l <"$T/bt-bt1/trades.csv")" -eq 2 ] || fail "backtest over tardis: expected exactly one trade"
no_temps "$T/bt"
bt bt2
[ $rc -eq 0 ] || fail "second backtest over tardis: exit $rc"
[ "$(nreq /v1/ex-bt/)" -eq 2 ] || fail "second backtest over tardis made requests"
cmp -s "$T/bt-bt1/metrics.json" "$T/bt-bt2/metrics.json" || fail "second backtest over tardis: other metrics"
ok

# --- on a terminal (script(1) gives one), a progress line: files, bytes, rate --------
if command -v script >/dev/null 2>&1; then
	script -qec "$BIN fetch tardis --exchange ex-prog --data-type trades --symbols SLOW1 \
		--from 2024-03-01 --to 2024-03-02 --base-url $BASE --cache $T/prog" /dev/null \
		>"$T/out.prog" 2>&1 </dev/null
	grep -q "fetch: .* of .* ([0-9]* %), .*/s, ETA [0-9]* s -> $T/prog/ex-prog_trades_2024-03-01_SLOW1.csv.gz" "$T/out.prog" ||
		fail "no progress line with total, percentage, ETA and destination: $(tr '\r' '\n' <"$T/out.prog" | tail -3)"
	grep -q "fetched 1, .* -> $T/prog" "$T/out.prog" || fail "the summary does not name where the files went"
	[ -n "$(tr -cd '\r' <"$T/out.prog")" ] || fail "progress line not redrawn with CR"
	has prog "fetched 1"
	# and none on a pipe: the slow run above wrote to a file
	grep -q "fetch: .*/s" "$T/out.slow" && fail "progress line on a pipe"
	[ -z "$(tr -cd '\r' <"$T/out.slow")" ] || fail "CR written to a pipe"
	ok
else
	echo "SKIP: script(1) not installed: fetch progress on a terminal not tested"
fi

# --- the key appears nowhere: not in any output, cache file or server log --------------
if grep -rlF "$KEY" "$T"; then fail "the API key leaked into the files above"; fi
ok

echo "fetch.sh: $N groups passed"
