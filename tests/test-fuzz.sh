#!/usr/bin/env bash
# A short libFuzzer run of the protocol decoders (tests/fuzz/), with
# ASan and UBSan.  Skipped where clang or its fuzzer runtime is missing.
source "$abs_srcdir/functions.sh"
set -e
requires clang --version
make_tmpdir

src="$abs_top_srcdir"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}' \
    > "$tmpdir/probe.c"
requires clang -fsanitize=fuzzer "$tmpdir/probe.c" -o "$tmpdir/probe"

# The codec's sources, as proto/Makefile.am lists them, instrumented.
proto_sources=()
for f in $(sed -n '/^libproto_la_SOURCES/,/^$/p' "$src/proto/Makefile.am" |
           grep -o '[a-z0-9-]*\.c'); do
    proto_sources+=("$src/proto/$f")
done
[ ${#proto_sources[@]} -gt 0 ] || fail "no sources found in proto/Makefile.am"
clang -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined \
    -I"$abs_top_builddir" -I"$src/proto" -I"$src/common" \
    $(pkg-config --cflags json-c) \
    "$src/tests/fuzz/fuzz-decode.c" "${proto_sources[@]}" \
    "$src/common/strbuf.c" "$src/common/vector.c" \
    $(pkg-config --libs json-c) -o "$tmpdir/fuzz-decode"

mkdir "$tmpdir/corpus"
cp "$src"/tests/fuzz/corpus/* "$tmpdir/corpus/"
"$tmpdir/fuzz-decode" -max_total_time="${FUZZ_SECONDS:-15}" \
    -max_len=4096 -timeout=10 "$tmpdir/corpus" > "$tmpdir/fuzz.log" 2>&1 || {
    tail -n 40 "$tmpdir/fuzz.log"
    fail "the fuzzer found a crash"
}
grep -E 'Done [0-9]+ runs' "$tmpdir/fuzz.log"
