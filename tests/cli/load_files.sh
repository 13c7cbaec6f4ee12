#!/bin/sh
# load_files.sh - several Tardis files loaded at once, one per thread, against one
# thread (SENTIBT_LOAD_THREADS=1): the same candles (the cache entries byte for byte)
# and results; a bad row in the 3rd file is named by file and line, exit 1, no folder.
# Run from the repo root with ./sentibt built.  Exit 0 = pass.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes, so it always succeeds
set -u

TEST_NAME=load_files
. tests/cli/lib/common.sh

# day F (0..3): 20,000 trades over an hour from 2024-01-01T0F:00:30Z; a file's first
# trades are stamped in the last minute of the file before, its first ids repeat the
# last ones of the file before (duplicates across the boundary).  BAD: that data row.
gen() { # gen F BAD
	awk -v f="$1" -v bad="$2" 'BEGIN {
		print "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
		srand(11 + f); n = 20000
		for (i = 0; i < n; i++) {
			lt = 1704067230000000 + f * 3600000000 + int(i * 3599000000 / n)
			t = lt - int(rand() * 3000000)
			id = (i < 30 && i % 3 == 0 && f > 0) ? f * 100000 + n - 1 - i : (f + 1) * 100000 + i
			if (i + 1 == bad) { printf "binance,BTCUSDT,%.0f,%.0f,x,buy,1.2.3,1\n", t, lt; continue }
			printf "binance,BTCUSDT,%.0f,%.0f,%d,%s,%d.%02d,%d.%06d\n", t, lt, id,
			       rand() < 0.5 ? "buy" : "sell", 42000 + int(rand() * 300),
			       int(rand() * 100), int(rand() * 3), int(rand() * 1000000)
		}
	}' | gzip -c >"$d/day$1.csv.gz"
}
for f in 0 1 2 3; do gen $f 0; done
printf '{"published_at":"2024-01-01T01:00:00Z","sentiment_score":0.8,"confidence":0.9}\n' \
	>"$d/news.jsonl"

run() { # run THREADS OUT FILES...: a backtest with its own candle cache
	th=$1 out=$2
	shift 2
	SENTIBT_LOAD_THREADS=$th "$BIN" backtest --prices "$@" --sentiment "$d/news.jsonl" \
		--interval 1m --threshold 0.5 --candle-cache "$d/cache-$out" --out "$d/$out" -q \
		2>"$d/$out.err"
}

# given out of order: loaded in time order either way
run 1 serial "$d/day2.csv.gz" "$d/day0.csv.gz" "$d/day3.csv.gz" "$d/day1.csv.gz" &&
run 2 par "$d/day2.csv.gz" "$d/day0.csv.gz" "$d/day3.csv.gz" "$d/day1.csv.gz" &&
run 3 par3 "$d/day2.csv.gz" "$d/day0.csv.gz" "$d/day3.csv.gz" "$d/day1.csv.gz" &&
	ok "4 files: loaded with 1, 2 and 3 threads" ||
	fail "4 files: $(cat "$d"/*.err)"
for m in par par3; do
	same=1
	for f in "$d"/cache-serial/*; do
		cmp -s "$f" "$d/cache-$m/$(basename "$f")" || same=0
	done
	[ -n "$(ls "$d"/cache-serial)" ] && [ $same -eq 1 ] &&
		cmp -s "$d/serial/equity.csv" "$d/$m/equity.csv" &&
		cmp -s "$d/serial/metrics.json" "$d/$m/metrics.json" &&
		ok "$m: the same candle cache, equity and metrics as one thread" ||
		fail "$m: differs from one thread"
	grep -o '"duplicates":[^,]*' "$d/serial/manifest.json" >"$d/dups.serial"
	grep -o '"duplicates":[^,]*' "$d/$m/manifest.json" >"$d/dups.$m"
	grep -q '"duplicates":[[:space:]]*[1-9]' "$d/dups.serial" && cmp -s "$d/dups.serial" "$d/dups.$m" &&
		ok "$m: the same duplicate counts (some across boundaries)" ||
		fail "$m: duplicates $(cat "$d/dups.$m") against $(cat "$d/dups.serial")"
done

# a bad number on data row 12345 (line 12346) of the third file in time order
gen 2 12345
for th in 1 2; do
	run $th bad$th "$d/day0.csv.gz" "$d/day1.csv.gz" "$d/day2.csv.gz" "$d/day3.csv.gz"
	rc=$?
	[ $rc -eq 1 ] && grep -q "day2.csv.gz:12346: expected a price from 1e-12 to 1e12 in column 'price'" "$d/bad$th.err" &&
		[ ! -e "$d/bad$th" ] &&
		ok "bad row in the 3rd file, $th thread(s): exit 1, file and line named, nothing written" ||
		fail "bad row, $th thread(s): exit $rc: $(cat "$d/bad$th.err")"
done
cmp -s "$d/bad1.err" "$d/bad2.err" && ok "the same message with 1 and 2 threads" ||
	fail "messages differ: $(cat "$d/bad1.err") / $(cat "$d/bad2.err")"

[ "$fails" -eq 0 ]
