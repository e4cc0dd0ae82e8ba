#!/usr/bin/env bash
# max-in-flight bounds the Cache commands outstanding on a connection:
# with one connection and max-in-flight = 2, the server never has more
# than 2 at once, and a long request still completes.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_slow_disk 50ms
start_nbdcached_export disk "$disk_uri" connections=1 max-in-flight=2

# One request of 12 chunks (384M in 32M chunks) and, at the same time,
# another of 4.
ctl cache disk 0 384M &
p1=$!
ctl cache disk 512M 128M
wait $p1

# The most Cache commands the server had at once, from the log
# filter's entry ("Cache id=N") and exit ("...Cache id=N return") lines.
max=$(awk '/ Cache id=/ { n++; if (n > max) max = n }
           /\.\.\.Cache id=/ { n-- }
           END { print max+0 }' "$tmpdir/log")
echo "at most $max Cache commands in flight"
[ "$max" -le 2 ] || fail "$max Cache commands were in flight at once"
[ "$max" -eq 2 ] || fail "never 2 in flight: the window is not used"
[ "$(cache_lines "$tmpdir/log" | wc -l)" -eq 16 ] || fail "expected 16 chunks"
check_chunks 0 $((384*1048576)) 33554432 33554432 1 \
    < <(cache_lines "$tmpdir/log" | awk '$1 < 512*1048576')
