#!/usr/bin/env bash
# nbdcachectl warm EXPORT warms the whole export exactly once and
# prints a summary; warming an unknown export fails.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk 100M
start_nbdcached_nodedup disk="$disk_uri"

M=$((1024*1024))

ctl warm disk --no-progress >"$tmpdir/out" 2>"$tmpdir/err"
cat "$tmpdir/out" "$tmpdir/err"
grep -qE '^warmed disk: 100M in [0-9.]+s \(.*/s\)$' "$tmpdir/out" ||
    fail "no 'warmed' summary"
# --no-progress: nothing on stderr.
[ ! -s "$tmpdir/err" ] || fail "warm --no-progress wrote to stderr"

cache_lines "$tmpdir/log" | tee "$tmpdir/cache"
check_chunks 0 $((100*M)) $((32*M)) $((32*M)) 1 <"$tmpdir/cache"

# Small requests, many in flight: still exactly once.
n=$(wc -l <"$tmpdir/log")
ctl warm disk --no-progress --request-size 3M --in-flight 64 >"$tmpdir/out"
grep -q '^warmed disk: 100M ' "$tmpdir/out" || fail "no 'warmed' summary"
tail -n +$((n+1)) "$tmpdir/log" >"$tmpdir/log2"
cache_lines "$tmpdir/log2" >"$tmpdir/cache2"
check_chunks 0 $((100*M)) $((3*M)) 1 1 <"$tmpdir/cache2"
[ "$(wc -l <"$tmpdir/cache2")" -ge 34 ] || fail "expected at least 34 chunks"

status=0
ctl warm nosuch --no-progress >"$tmpdir/out" 2>"$tmpdir/err" || status=$?
cat "$tmpdir/out" "$tmpdir/err"
[ $status -eq 1 ] || fail "warm nosuch exited $status, expected 1"
grep -q "nosuch" "$tmpdir/err" || fail "the message does not name the export"
! grep -q warmed "$tmpdir/out" || fail "a summary was printed for a failure"
