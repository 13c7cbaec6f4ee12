# common.sh - the set-up every CLI test shares (sourced, after TEST_NAME=...):
# ./sentibt must be built; fail/ok count and print results; $d is a temporary folder
# removed on exit; the C locale, so that sort and awk read numbers one way.
BIN=${SENTIBT_BIN:-./sentibt}   # CI points it at the sanitizer build
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok()   { echo "ok: $*"; }

[ -x "$BIN" ] || { echo "FAIL: $BIN not built (run make)"; exit 1; }
d=$(mktemp -d "${TMPDIR:-/tmp}/sentibt-${TEST_NAME:-cli}.XXXXXX") || exit 1
# Pages for the browser test (report_browser.sh, run last by scripts/run-tests): every
# report.html and batch_report.html this test made is kept, with the files beside it.
keep_pages() {
	[ -n "${SENTIBT_PAGES:-}" ] && [ -d "$SENTIBT_PAGES" ] || return 0
	find "$d" \( -name report.html -o -name batch_report.html \) 2>/dev/null |
		while IFS= read -r p; do
			rel=${p#"$d"/}
			dst="$SENTIBT_PAGES/${TEST_NAME:-cli}/$(dirname "$rel")"
			mkdir -p "$dst" && find "$(dirname "$p")" -maxdepth 1 -type f \
				\( -name '*.html' -o -name '*.png' -o -name '*.svg' \) -exec cp {} "$dst/" \;
		done
}
trap 'keep_pages; rm -rf "$d"' EXIT INT TERM
export LC_ALL=C

# expect_usage "what" "part of the message" ARGS...: $BIN ARGS --out $d/bad exits 2 with
# the message and writes nothing.
expect_usage() {
	what=$1 want=$2
	shift 2
	"$BIN" "$@" --out "$d/bad" -q >"$d/usage.out" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$want" "$d/usage.out" && [ ! -e "$d/bad" ]; then
		ok "$what: exit 2"
	else
		fail "$what: exit $rc: $(cat "$d/usage.out")"
	fi
}
