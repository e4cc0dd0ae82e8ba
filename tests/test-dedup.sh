#!/usr/bin/env bash
# Shared warming: several clients warming the same ranges at the same
# time send each range to the server about once (requests wait on the
# command already in flight), and a range warmed less than warm-ttl
# ago is not sent again; every client still gets every completion.
# After warm-ttl it is sent again.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay

start_nbdkit disk --filter=log --filter=delay memory 64M delay-cache=20ms \
    logfile="$tmpdir/log"
start_nbdcached_export disk "$disk_uri" warm-ttl=5 coalesce=false

# 4 clients x the same 64 ranges of 1 MiB, at once.
for k in 1 2 3 4; do
    pipeline disk 64 1048576 30 > "$tmpdir/r$k" &
    p[$k]=$!
done
for k in 1 2 3 4; do
    wait ${p[$k]} || fail "client $k: $(cat "$tmpdir/r$k")"
    [ "$(jq 'j["ok"]' < "$tmpdir/r$k")" = 64 ] ||
        fail "client $k: $(cat "$tmpdir/r$k")"
done
n="$(cache_lines "$tmpdir/log" | wc -l)"
echo "4 x 64 requests reached the server as $n commands"
[ "$n" -le 77 ] || fail "$n commands for 64 ranges (limit 1.2x)"

# Within warm-ttl: nothing more is sent.
pipeline disk 64 1048576 30 > "$tmpdir/again"
[ "$(cache_lines "$tmpdir/log" | wc -l)" = "$n" ] ||
    fail "recently warmed ranges were sent again"
[ "$(ctl stats --json | jq 'j["exports"][0]["deduplicated"]')" -ge 64 ] ||
    fail "deduplicated not counted"

# After it: sent again.
sleep 5.2
pipeline disk 64 1048576 30 > "$tmpdir/later"
[ "$(cache_lines "$tmpdir/log" | wc -l)" -ge $((n + 64)) ] ||
    fail "ranges were not sent again after warm-ttl"
stop_nbdcached
