#!/usr/bin/env bash
# The server is killed with a chunk in flight and comes back smaller,
# so the lost chunk now lies past the end.  It must not reach the new
# server, and the request's event must not blame the server for a
# command that it never received.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter log
requires_nbdkit_filter delay

start_nbdkit disk --filter=delay memory 1G delay-cache=3
start_nbdcached_export disk "$disk_uri" \
    reconnect-delay=0.1 reconnect-max-delay=0.2 request-timeout=20

M=$((1024*1024))
status=0
ctl cache disk $((512*M)) $M 2>"$tmpdir/err" &
ctl_pid=$!
wait_until 5 chunks_in_flight_are 1 || fail "the chunk never reached the server"
replace_disk --filter=log memory 1M logfile="$tmpdir/log"

wait "$ctl_pid" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status, expected 1"
grep -q "Invalid argument" "$tmpdir/err" || fail "the error is not EINVAL"
! grep -q "server failed" "$tmpdir/err" ||
    fail "the server is blamed for a chunk it never received"
[ -z "$(cache_lines "$tmpdir/log")" ] ||
    fail "a chunk past the new end reached the server"
