#!/bin/sh
# report_browser.sh - every kind of report.html opened in headless Chromium
# (tests/browser/check-pages.py): a sweep over three axes (heatmap and pairs), a
# one-axis sweep (line with the Sharpe interval), a backtest, a walk-forward and an
# events folder.  Each page must draw all its charts with no JavaScript error and no
# empty chart, and fetch nothing; a screenshot of each is kept in
# ${SENTIBT_TEST_OUT:-build/test-output}/report_browser/ to be looked at.
# Skipped (with the reason) without gnuplot, dygraphs or a Chromium that starts, and
# under SENTIBT_SANITIZED=1 (it tests pages, not the binary).
# shellcheck disable=SC2086  # $common is a word list on purpose
set -u

TEST_NAME=report_browser
. tests/cli/lib/common.sh

if [ "${SENTIBT_SANITIZED:-0}" = 1 ]; then
	echo "SKIP: the browser test runs in the plain build only (it tests pages, not the binary)"
	exit 0
fi
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "SKIP: gnuplot not installed (apt-get install gnuplot-nox): no report to open"
	exit 0
fi
if [ ! -f /usr/share/javascript/dygraphs/dygraph.min.js ] && [ -z "${SENTIBT_DYGRAPHS:-}" ]; then
	echo "SKIP: libjs-dygraphs not installed: the pages are static, nothing to run"
	exit 0
fi

"$BIN" sample --out "$d/s" --days 1 >"$d/sample.out" 2>&1 ||
	{ echo "FAIL: sentibt sample: $(cat "$d/sample.out")"; exit 1; }
common="--prices $d/s/binance_trades_2024-03-01_BTCUSDT.csv.gz --sentiment $d/s/news.jsonl
 --entity BTC --candle-cache= --interval 1m -q"
run() {   # run NAME SENTIBT-ARGS...: a result folder $d/NAME and its report
	name=$1
	shift
	if "$BIN" "$@" --out "$d/$name" >"$d/$name.out" 2>&1 &&
		"$BIN" report "$d/$name" >"$d/$name.rep" 2>&1; then
		pages="$pages $d/$name/report/report.html"
	else
		fail "$name: $(cat "$d/$name.out" "$d/$name.rep" 2>/dev/null)"
	fi
}
pages=""
run sweep3 sweep $common --threshold 0.2:0.5:0.1 --min-confidence 0.5,0.6,0.7 \
	--window 5m,15m --top 3
run sweep1 sweep $common --threshold 0.1:0.6:0.1 --min-confidence 0.6 --top 2
run backtest backtest $common --threshold 0.3 --min-confidence 0.6
run walkforward sweep $common --threshold 0.2,0.4 --min-confidence 0.6 \
	--walk-forward train=12h,test=4h
run events events $common
# and every interactive page the other CLI tests made (kept by tests/cli/lib/common.sh
# when scripts/run-tests runs them all; static pages, without dygraphs, have no charts)
others=0
if [ -n "${SENTIBT_PAGES:-}" ] && [ -d "$SENTIBT_PAGES" ]; then
	for p in $(find "$SENTIBT_PAGES" -name '*.html' | sort); do
		grep -q 'class="sb-chart"' "$p" || continue
		pages="$pages $p"
		others=$((others + 1))
	done
fi

# Two broken copies of the sweep page, which the check must catch: a chart with no
# data, and a script that throws before the charts are drawn.
if [ -f "$d/sweep3/report/report.html" ]; then
	mkdir -p "$d/bad_empty/report" "$d/bad_throw/report"
	sed '0,/"data":\[\[/s//"data":[],"was":[[/' "$d/sweep3/report/report.html" \
		>"$d/bad_empty/report/report.html"
	sed 's|<body>|<body><script>sentibtNoSuchFunction();</script>|' \
		"$d/sweep3/report/report.html" >"$d/bad_throw/report/report.html"
fi

out=${SENTIBT_TEST_OUT:-build/test-output}/report_browser
rm -rf "$out"
# one Chromium for every page and the broken ones (pages failing is expected of those)
# shellcheck disable=SC2086  # $pages: one word per page
python3 tests/browser/check-pages.py "$out" $pages "$d/bad_empty/report/report.html" \
	"$d/bad_throw/report/report.html" >"$d/check.out" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
	grep '^SKIP' "$d/check.out" | head -1
	exit 0
fi
sed 's/^/  /' "$d/check.out"
for p in $pages; do
	grep -q "^ok: $p: ok: [0-9]* charts drawn" "$d/check.out" || fail "$p in Chromium (above)"
done
echo "ok: $others pages of the other CLI tests opened as well"
grep -q "^FAIL: $d/bad_empty/report/report.html: error: empty chart" "$d/check.out" &&
	ok "a chart with no data is caught" || fail "the empty chart was not caught"
grep -q "^FAIL: $d/bad_throw/report/report.html: .*sentibtNoSuchFunction" "$d/check.out" &&
	ok "a JavaScript error is caught" || fail "the JavaScript error was not caught"
[ "$(ls "$out"/*.png 2>/dev/null | wc -l)" -ge 7 ] && ok "screenshots in $out" ||
	fail "screenshots missing in $out"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all browser checks passed"
