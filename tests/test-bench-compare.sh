#!/usr/bin/env bash
# bench/compare-daemons.sh, with the daemon against itself and tiny
# sizes, so that it cannot rot: every round of both workloads must give
# a figure for both sides, and the summary must say who won how often.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
! [ -n "${VG:-}" ] || requires false    # far too slow under valgrind

BENCH_CLIENT="$abs_top_builddir/bench/bench-client" \
    "$abs_top_srcdir/bench/compare-daemons.sh" --rounds 2 --requests 2000 \
    "$NBDCACHED" "$NBDCACHED" > "$tmpdir/out"
cat "$tmpdir/out"
for w in random latency; do
    grep -qE "^$w +new/old per round: [0-9.]+ [0-9.]+\$" "$tmpdir/out" ||
        fail "no two rounds of $w"
    grep -qE "^$w +median new/old [0-9.]+ .* in [0-2] of 2 rounds\$" "$tmpdir/out" ||
        fail "no summary of $w"
done
for v in old new; do
    grep -qE "^$v daemon CPU: [0-9.]+ us per request over 4400 requests\$" \
        "$tmpdir/out" || fail "no CPU figure for $v"
done
# A usage error is one, with status 2.
status=0
BENCH_CLIENT=x "$abs_top_srcdir/bench/compare-daemons.sh" "$NBDCACHED" \
    2> "$tmpdir/err" || status=$?
[ $status = 2 ] && grep -q "^usage:" "$tmpdir/err" || fail "usage: exit $status"
