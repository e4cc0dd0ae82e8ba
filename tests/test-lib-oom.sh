#!/usr/bin/env bash
# nbdcached tests: libnbdcache when memory runs out (test-lib-oom.c),
# against a real daemon and nbdkit.  fail-calls.so, preloaded into the
# test program, fails its allocations (and, for "track", its second
# poll(2)) on the program's own signal.
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
requires_failing_shim
make_tmpdir
start_nbdkit disk memory 1M
start_nbdcached -e disk="$disk_uri"

shim="$abs_builddir/.libs/fail-calls.so"
[ -f "$shim" ] || fail "$shim was not built"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export FAIL_ARM_FILE="$tmpdir/arm"

LD_PRELOAD="$shim" "$abs_builddir/test-lib-oom" "$sock" sweep
LD_PRELOAD="$shim" FAIL_CALLS=poll=2 "$abs_builddir/test-lib-oom" "$sock" track
