#!/usr/bin/env bash
# sd_notify: READY=1 once serving, STATUS= lines, WATCHDOG=1 at half
# WATCHDOG_USEC from the main loop, RELOADING=1 then READY=1 around a
# SIGHUP reload, STOPPING=1 on SIGTERM.  EXTEND_TIMEOUT_USEC= while
# start-up waits for the exports (connect-timeout) and while stopping
# drains (drain-timeout), plus 5 s, so that a unit's TimeoutStartSec=
# and TimeoutStopSec= need not know them.  Read from a NOTIFY_SOCKET
# datagram socket, as systemd would.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
python3 "$abs_srcdir/notify-listen.py" "$tmpdir/notify" "$tmpdir/msgs" &
listener=$!
cleanup_fn "kill $listener"
wait_for_file "$tmpdir/notify"
NOTIFY_SOCKET="$tmpdir/notify" WATCHDOG_USEC=400000 \
    start_nbdcached_conf <<EOF
[daemon]
drain-timeout = 7

[export disk]
uri = $disk_uri
EOF

wait_msg ()
{
    local i
    for (( i=0; i < 50; i++ )); do
        [ "$(grep -c "^$1" "$tmpdir/msgs")" -ge "${2:-1}" ] && return 0
        sleep 0.1
    done
    cat "$tmpdir/msgs" >&2
    fail "no ${2:-1} '$1' message(s)"
}
wait_msg READY=1
grep -q '^STATUS=1 export up, 0 down; 0 clients; 0 requests in flight$' \
    "$tmpdir/msgs" || fail "unexpected STATUS: $(grep STATUS "$tmpdir/msgs")"
sleep 1
n="$(grep -c '^WATCHDOG=1' "$tmpdir/msgs")"
echo "$n watchdog pings in about 1 s"
[ "$n" -ge 3 ] || fail "only $n watchdog pings at a 200 ms period"

kill -HUP "$nbdcached_pid"
wait_msg RELOADING=1
wait_msg READY=1 2
[ "$(grep -E '^(RELOADING|READY)=1' "$tmpdir/msgs" | tail -2 | tr '\n' ' ')" = \
  'RELOADING=1 READY=1 ' ] || fail "RELOADING=1 was not followed by READY=1"

kill "$nbdcached_pid"
wait_msg STOPPING=1
wait "$nbdcached_pid"
# drain-timeout 7 s, plus 5.
grep -A1 '^STOPPING=1' "$tmpdir/msgs" | grep -qx 'EXTEND_TIMEOUT_USEC=12000000' ||
    fail "no EXTEND_TIMEOUT_USEC for the drain: $(cat "$tmpdir/msgs")"

# A SIGHUP during start-up (the server takes 2 s to open the export)
# must not make the daemon say READY=1 before it serves.
requires_nbdkit_filter delay
if measuring; then open_delay=2; else open_delay=20; fi   # valgrind: slow start
start_nbdkit slow --filter=delay memory 1G delay-open=$open_delay
: > "$tmpdir/msgs"
rm -f "$tmpdir/nbdcached.pid"
printf '[export disk]\nuri = %s\nconnect-timeout = %s\n' "$slow_uri" \
    $((open_delay + 9)) > "$tmpdir/slow.conf"
NOTIFY_SOCKET="$tmpdir/notify" \
    $VG "$NBDCACHED" -s "$tmpdir/slow-daemon.sock" -P "$tmpdir/nbdcached.pid" \
    -c "$tmpdir/slow.conf" 2>>"$tmpdir/nbdcached.log" &
slow_daemon=$!
cleanup_fn "kill $slow_daemon 2>/dev/null"
# It listens once its signal handlers are in place.
wait_until 30 grep -q "listening on $tmpdir/slow-daemon.sock" \
    "$tmpdir/nbdcached.log" || fail "the second daemon did not start"
kill -HUP $slow_daemon
sleep 0.5
! grep -qE '^(READY|RELOADING)=1' "$tmpdir/msgs" ||
    fail "READY=1 or RELOADING=1 during start-up: $(cat "$tmpdir/msgs")"
[ ! -e "$tmpdir/nbdcached.pid" ] || fail "serving before the export opened"
wait_until $((open_delay + 15)) grep -q '^READY=1' "$tmpdir/msgs" ||
    fail "no READY=1 once the export opened: $(cat "$tmpdir/msgs")"
[ -s "$tmpdir/nbdcached.pid" ] || fail "READY=1 before the pid file"
# Start-up said how long it might wait: connect-timeout, plus 5 s,
# before READY=1.
[ "$(grep -E '^(EXTEND_TIMEOUT_USEC|READY)=' "$tmpdir/msgs" | head -2 | tr '\n' ' ')" = \
  "EXTEND_TIMEOUT_USEC=$(( (open_delay + 14) * 1000000 )) READY=1 " ] ||
    fail "no EXTEND_TIMEOUT_USEC for the start: $(cat "$tmpdir/msgs")"
kill $slow_daemon
wait $slow_daemon
