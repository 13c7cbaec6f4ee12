#!/bin/sh
# install.sh - `make install` into a temporary DESTDIR with a PREFIX: the binary runs a
# backtest on `sentibt sample` data from there (and report finds its gnuplot scripts
# under PREFIX/share, from outside the source tree), every man page renders with
# `man -l` and shows every option of its command's --help, and the bash completion
# completes a command, an option and a metric.
# shellcheck disable=SC2015  # "A && ok || fail": ok() only echoes
set -u
TEST_NAME=install
. tests/cli/lib/common.sh
[ "${SENTIBT_SANITIZED:-0}" = 1 ] && { echo "SKIP: under the sanitizer run (it tests make install, man pages and completion; the plain build runs it)"; exit 0; }

root="$d/root" prefix=/opt/sentibt-test
make --no-print-directory -s install DESTDIR="$root" PREFIX="$prefix" SENTIBT_INSTALL_BIN="$BIN" \
	>"$d/make.log" 2>&1 || { fail "make install: $(tail -5 "$d/make.log")"; exit 1; }
inst="$root$prefix/bin/sentibt"
for f in "$inst" "$root$prefix/share/sentibt/report/heatmap.gp" \
	"$root$prefix/share/man/man1/sentibt.1" "$root$prefix/share/man/man1/sentibt-sweep.1" \
	"$root$prefix/share/bash-completion/completions/sentibt"; do
	[ -f "$f" ] || fail "not installed: ${f#"$root"}"
done
[ -x "$inst" ] && ok "installed under DESTDIR/PREFIX" || { fail "no executable $inst"; exit 1; }

# Run from outside the source tree, so nothing is found through ./scripts.
cmds=$("$inst" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}')
(
	cd "$d" || exit 1
	"$inst" sample --days 1 --symbols BTCUSDT --articles-per-day 300 --out s >sample.log 2>&1 &&
	"$inst" backtest -q --prices s/binance_trades_2024-03-01_BTCUSDT.csv.gz --sentiment s/news.jsonl \
		--candle-cache= --out bt >bt.log 2>&1
) && [ -s "$d/bt/metrics.json" ] && ok "installed binary: sample + backtest" ||
	fail "installed backtest: $(cat "$d/sample.log" "$d/bt.log" 2>/dev/null)"
if command -v gnuplot >/dev/null 2>&1; then
	(cd "$d" && "$inst" report bt --out rep >rep.log 2>&1)
	if grep -q "scripts not found" "$d/rep.log"; then
		fail "installed report does not find its gnuplot scripts: $(cat "$d/rep.log")"
	elif [ -s "$d/rep/report.html" ]; then
		ok "installed report finds PREFIX/share/sentibt/report"
	else
		fail "installed report: $(cat "$d/rep.log")"
	fi
else
	echo "SKIP: gnuplot missing: the installed report is not run"
fi

# score from outside the tree: the default price table is the installed one (a fake
# OpenAI-compatible server on loopback), and the lexicon runs offline.
[ -f "$root$prefix/share/sentibt/llm-prices.json" ] || fail "not installed: share/sentibt/llm-prices.json"
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' '{"id":"a1","published_at":"2024-03-01T00:00:00Z","title":"ID=a1 Bitcoin rallies","text":"WANT=0.62,0.81,BTC MODE=ok"}' >"$d/news-raw.jsonl"
	FAKE_LLM_KEY=k python3 tests/fake_llm_server.py --port-file "$d/port" --log "$d/llm.log" &
	srv=$!
	i=0
	while [ ! -s "$d/port" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
	(cd "$d" && SENTIBT_LLM_API_KEY=k "$inst" score --news news-raw.jsonl --model gpt-4o-mini \
		--base-url "http://127.0.0.1:$(cat port)/v1" --no-cache --out sc >sc.log 2>&1)
	kill "$srv" 2>/dev/null
	grep -q "\"path\":.*share/sentibt/llm-prices.json" "$d/sc/manifest.json" 2>/dev/null &&
		ok "installed score prices with PREFIX/share/sentibt/llm-prices.json" ||
		fail "installed score: no price table: $(cat "$d/sc.log"; grep -A3 '"prices"' "$d/sc/manifest.json")"
	(cd "$d" && "$inst" score --news news-raw.jsonl --backend lexicon --out lex >lex.log 2>&1) &&
		[ -s "$d/lex/scores.jsonl" ] && ok "installed score --backend lexicon" ||
		fail "installed lexicon: $(cat "$d/lex.log")"
fi

# Man pages: one per command, each rendering, each showing its --help's options.
man1="$root$prefix/share/man/man1"
for c in $cmds; do
	[ -f "$man1/sentibt-$c.1" ] || fail "no man page for $c"
done
if command -v man >/dev/null 2>&1; then
	n=0
	for p in "$man1"/*.1; do
		MANWIDTH=200 man -l --warnings=w "$p" >"$d/page" 2>"$d/warn" || fail "man -l $p failed"
		[ -s "$d/warn" ] && fail "man -l $p: $(head -3 "$d/warn")"
		grep -q NAME "$d/page" || fail "man -l $p: no NAME section"
		c=${p##*/sentibt-}; c=${c%.1}
		[ "$p" = "$man1/sentibt.1" ] && continue
		"$inst" "$c" --help | grep -oE '^ {1,8}(-[a-zA-Z], )?--[a-z][a-z0-9-]*' |
			grep -oE -- '--[a-z][a-z0-9-]*' | sort -u >"$d/help-opts"
		grep -oE -- '--[a-z][a-z0-9-]*' "$d/page" | sort -u >"$d/page-opts"
		missing=$(comm -23 "$d/help-opts" "$d/page-opts" | tr '\n' ' ')
		[ -z "$missing" ] || fail "man page of $c lacks $missing"
		n=$((n + 1))
	done
	ok "man -l renders $n command pages with every option of their --help"
else
	echo "SKIP: man is not installed (Debian: man-db): pages not rendered"
fi

# Completion: a command, an option, a metric (bash's own completion machinery).
comp="$root$prefix/share/bash-completion/completions/sentibt"
got=$(bash -c '. "$1"
	c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _sentibt; echo "${COMPREPLY[*]}"; }
	c sentibt swe; c sentibt sweep --thr; c sentibt report r --metric max_; c sentibt fetch u
	complete -p sentibt' _ "$comp" 2>&1)
want="sweep
--threads --threshold
max_drawdown
url"
[ "$(echo "$got" | head -4)" = "$want" ] && ok "completion: command, option, metric, fetch mode" ||
	fail "completion: got '$got'"
echo "$got" | grep -q "complete .*-F _sentibt sentibt" && ok "completion registered" ||
	fail "completion not registered: $got"
[ "$fails" -eq 0 ]
