#!/usr/bin/env bash
# nbdcached tests: libnbdcache's error reporting (test-lib-errors.c)
# against a real daemon and nbdkit.
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
make_tmpdir
start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"

vg_prog "$abs_builddir/test-lib-errors" "$sock"

# A connect interrupted by a signal (EINTR, here from fail-calls.so)
# is made again, rather than reported: libnbdcache's first connect
# fails so, and nbdcachectl still lists the export.
if [ -z "${VG:-}" ]; then
    shim="$abs_builddir/.libs/fail-calls.so"
    [ -f "$shim" ] || fail "$shim was not built"
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    LD_PRELOAD="$shim" FAIL_CALLS=connect=1 \
        "$NBDCACHECTL" exports > "$tmpdir/out" 2>&1 ||
        fail "a connect interrupted once was not made again: $(cat "$tmpdir/out")"
    grep -q '^disk ' "$tmpdir/out" || fail "no export listed: $(cat "$tmpdir/out")"
fi
