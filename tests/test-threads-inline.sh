#!/usr/bin/env bash
# --threads 0: the main loop drives the NBD connections itself (no
# worker threads, no hand-offs).  Requests split, complete exactly
# once, survive a lost connection, and the daemon stops cleanly.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk
start_nbdcached -t 0 -e disk="$disk_uri"
grep -q "0 worker threads" "$tmpdir/nbdcached.log" || fail "not inline"

ctl cache disk 1000 100M
cache_lines "$tmpdir/log" |
    check_chunks 1000 $((1000 + 100*1024*1024)) \
        $((32*1024*1024)) $((32*1024*1024)) 1
pipeline disk 300 65536 30 > "$tmpdir/result"
[ "$(jq '[j["ok"], j["failed"]]' < "$tmpdir/result")" = \
  '[300, {}]' ] || fail "$(cat "$tmpdir/result")"
stop_nbdcached
