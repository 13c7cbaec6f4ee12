#!/bin/sh
# perms.sh - result folders and files get the modes a plain mkdir/open would give under
# the caller's umask (0777/0666 & ~umask), not mkdtemp's 0700 (core/atomic.c).
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes
set -u
TEST_NAME=perms
. tests/cli/lib/common.sh

printf 'time,open,high,low,close,volume\n2024-01-01T00:00:00Z,100,100,100,100,1\n2024-01-01T00:01:00Z,100,101,100,101,1\n' >"$d/px.csv"
printf '{"published_at":"2024-01-01T00:00:30Z","sentiment_score":0.8,"confidence":0.9}\n' >"$d/news.jsonl"

for m in 022 077 002; do
	case $m in
	022) want_d=drwxr-xr-x want_f=-rw-r--r-- ;;
	077) want_d=drwx------ want_f=-rw------- ;;
	002) want_d=drwxrwxr-x want_f=-rw-rw-r-- ;;
	esac
	for cmd in backtest sweep; do
		out="$d/$cmd-$m"
		(umask $m && "$BIN" $cmd -q --prices "$d/px.csv" --sentiment "$d/news.jsonl" \
			--window 1m --candle-cache= --out "$out") >"$d/err" 2>&1 ||
			{ fail "$cmd under umask $m: $(cat "$d/err")"; continue; }
		got_d=$(stat -c %A "$out")
		[ "$got_d" = "$want_d" ] && ok "$cmd umask $m: folder $got_d" ||
			fail "$cmd umask $m: folder $got_d, expected $want_d"
		bad=$(find "$out" -type f -printf '%M %p\n' |
			while read -r mode p; do [ "$mode" = "$want_f" ] || echo "$mode $p"; done)
		[ -z "$bad" ] && ok "$cmd umask $m: every file $want_f" ||
			fail "$cmd umask $m: files with another mode: $bad"
		bad=$(find "$out" -mindepth 1 -type d -printf '%M %p\n' |
			while read -r mode p; do [ "$mode" = "$want_d" ] || echo "$mode $p"; done)
		[ -z "$bad" ] && ok "$cmd umask $m: every subfolder $want_d" ||
			fail "$cmd umask $m: subfolders with another mode: $bad"
	done
done
[ "$fails" -eq 0 ]
