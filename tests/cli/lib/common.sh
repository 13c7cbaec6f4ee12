# common.sh - the set-up every CLI test shares (sourced, after TEST_NAME=...):
# ./sentibt must be built; fail/ok count and print results; $d is a temporary folder
# removed on exit; the C locale, so that sort and awk read numbers one way.
BIN=${SENTIBT_BIN:-./sentibt}   # CI points it at the sanitizer build
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok()   { echo "ok: $*"; }

[ -x "$BIN" ] || { echo "FAIL: $BIN not built (run make)"; exit 1; }
d=$(mktemp -d "${TMPDIR:-/tmp}/sentibt-${TEST_NAME:-cli}.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT INT TERM
export LC_ALL=C
