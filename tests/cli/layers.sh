#!/bin/sh
# layers.sh - the include rules of docs/architecture.md (scripts/check-layers), and a
# proof that the checker catches an upward include and a library out of its module.
TEST_NAME=layers
. tests/cli/lib/common.sh
[ "${SENTIBT_SANITIZED:-0}" = 1 ] && { echo "SKIP: under the sanitizer run (a static check of the sources, no binary run)"; exit 0; }

out=$(scripts/check-layers 2>&1) && ok "tree: $out" || fail "tree violates the layer rules: $out"

# A copy of the tree with one upward include (loaders -> engine), a stray <zlib.h> and
# a stray msgpack-c sub-header.
mkdir -p "$d/t/scripts"
cp -R core loaders strategies engine run report cli "$d/t/"
cp scripts/check-layers "$d/t/scripts/"
printf '#include "../engine/sim.h"\n' >>"$d/t/loaders/textio.c"
printf '#include <zlib.h>\n' >>"$d/t/engine/grid.c"
printf '#include <msgpack/fbuffer.h>\n' >>"$d/t/loaders/bincache.c"
out=$(sh "$d/t/scripts/check-layers" 2>&1) && fail "checker passed a tree with violations"
echo "$out" | grep -q "loaders/textio.c includes engine/" && ok "upward include caught" ||
	fail "upward include not reported: $out"
echo "$out" | grep -q "engine/grid.c includes <zlib.h>" && ok "library outside its module caught" ||
	fail "stray library include not reported: $out"
echo "$out" | grep -q "loaders/bincache.c includes <msgpack/fbuffer.h>" &&
	ok "library sub-header outside its module caught" ||
	fail "stray msgpack/ include not reported: $out"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all layer checks passed"
