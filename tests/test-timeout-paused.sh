#!/usr/bin/env bash
# A paused export still runs its requests' deadlines (PROTOCOL.md,
# "pause"), and the event of a request that times out while nothing
# else happens in the daemon goes out at once: it is queued by a
# timer, not by a client or a server, and must not wait for either.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_logged_disk 100M
start_nbdcached_export disk "$disk_uri" request-timeout=1
ctl pause disk

start=$SECONDS
status=0
timeout 20 "$NBDCACHECTL" cache disk 0 1M 2> "$tmpdir/err" || status=$?
elapsed=$((SECONDS - start))
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status (124: no event within 20 s)"
grep -q "timed out" "$tmpdir/err" || fail "not ETIMEDOUT"
[ $elapsed -le 5 ] || fail "the event came after ${elapsed}s, deadline 1s"
[ -z "$(cache_lines "$tmpdir/log")" ] || fail "a Cache reached the server while paused"
stop_nbdcached
