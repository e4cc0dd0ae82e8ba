#!/usr/bin/env bash
# An export whose last connection was lost is "reconnecting" until an
# attempt to reopen one fails: requests that arrive meanwhile are
# accepted and wait for the connection (their deadlines run, and one
# that passes fails with ENOTCONN, the connection lost), rather
# than failing with ENOTCONN for what may be a moment's outage (a
# server restart, or a connection the daemon dropped itself).  Once an
# attempt fails the export is "down" and requests fail at once.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter log

start_nbdkit disk --filter=log memory 1G logfile="$tmpdir/before.log"
# The first attempt to reconnect comes $delay s after the loss: 3 s,
# or 10 s under valgrind, where every nbdcachectl run takes a second
# or more and the checks of the reconnecting state below must fit
# before that attempt.
if measuring; then delay=3; else delay=10; fi
start_nbdcached_export disk "$disk_uri" connections=1 \
    reconnect-delay=$delay reconnect-max-delay=$delay

export_is up || fail "not up at start"

# The server restarts: the connection is lost, a new server listens.
kill_and_wait "$disk_pid"
rm -f "$tmpdir/disk.sock"
start_nbdkit disk --filter=log memory 1G logfile="$tmpdir/after.log"
wait_until 2 export_is reconnecting ||
    fail "state $(export_state), expected reconnecting"
ctl exports | grep -qE '^disk +reconnecting ' ||
    fail "table: $(ctl exports)"

# Accepted at once, completed once the connection is back.
ctl cache disk 0 1M || fail "a request while reconnecting failed"
[ "$(cache_lines "$tmpdir/after.log")" = "0 1048576" ] ||
    fail "the new server got: $(cache_lines "$tmpdir/after.log")"
export_is up || fail "state $(export_state) after reconnecting"
grep -q "export disk: reconnecting: the server closed the connection" \
     "$tmpdir/nbdcached.log" || fail "the loss was not logged, or not clearly"
grep -q "export disk: up again" "$tmpdir/nbdcached.log" ||
    fail "the return was not logged"

# A request whose deadline passes while the export is still
# reconnecting fails with ENOTCONN, saying the connection was lost: a
# request-timeout of 1 s, shorter than the $delay s until the first
# attempt.
echo "request-timeout = 1" >> "$tmpdir/export.conf"
ctl reload
wait_until 10 export_is up || fail "state $(export_state) after the reload"

# Now the server goes for good: after the first failed attempt the
# export is down, and requests fail at once.
kill_and_wait "$disk_pid"
rm -f "$tmpdir/disk.sock"
wait_until 2 export_is reconnecting ||
    fail "state $(export_state), expected reconnecting"
status=0
ctl cache disk 0 1M 2>"$tmpdir/err" || status=$?
[ $status -eq 1 ] &&
    grep -q "connection to the export's server was lost and is not back yet" \
         "$tmpdir/err" ||
    fail "past its deadline while reconnecting: status $status, $(cat "$tmpdir/err")"
wait_until $(( delay + 7 )) export_is down ||
    fail "state $(export_state), expected down"
status=0
ctl cache disk 0 1M 2>"$tmpdir/err" || status=$?
[ $status -eq 1 ] && grep -q 'export "disk" is down' "$tmpdir/err" ||
    fail "status $status: $(cat "$tmpdir/err")"
stop_nbdcached
