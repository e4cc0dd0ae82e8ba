#!/usr/bin/env bash
# Coalescing: a client streaming consecutive 64 KiB requests gets them
# merged into few NBD commands (never longer than the maximum, never
# past the export's end), and every cookie still completes exactly
# once.  A failing merged command fails every request it covered.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay
requires_nbdkit_filter error

# 8 MiB export.  Coalescing only happens when requests wait for a free
# slot, so one connection with 2 slots and a slow server make them
# pile up deterministically.
start_nbdkit disk --filter=log --filter=error --filter=delay memory 8M \
    delay-cache=50ms error-cache=EIO error-cache-rate=100% \
    error-cache-file="$tmpdir/errors-on" logfile="$tmpdir/log"
start_nbdcached_export disk "$disk_uri" \
    connections=1 max-in-flight=2 warm-ttl=0

# 128 x 64 KiB = the whole 8 MiB export, pipelined.
pipeline disk 128 65536 30 > "$tmpdir/result"
[ "$(jq '[j["ok"], j["failed"]]' < "$tmpdir/result")" = \
  '[128, {}]' ] || fail "$(cat "$tmpdir/result")"
n="$(cache_lines "$tmpdir/log" | wc -l)"
echo "128 requests reached the server as $n NBD commands"
[ "$n" -le 16 ] || fail "too little coalescing: $n commands"
cache_lines "$tmpdir/log" |
    check_chunks 0 $((8*1024*1024)) $((32*1024*1024)) 1 1

# With errors on, merged commands fail, and so does every request
# they covered: each cookie once, all EIO.
touch "$tmpdir/errors-on"
pipeline disk 64 65536 30 > "$tmpdir/result"
[ "$(jq '[j["accepted"], j["ok"], j["failed"]]' \
     < "$tmpdir/result")" = '[64, 0, {"EIO": 64}]' ] ||
    fail "errors: $(cat "$tmpdir/result")"
rm "$tmpdir/errors-on"
stop_nbdcached
