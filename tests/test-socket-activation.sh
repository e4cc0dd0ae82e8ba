#!/usr/bin/env bash
# Socket activation: systemd-socket-activate listens; the first
# client's connect starts nbdcached, which serves on the passed socket
# and, at exit, leaves it alone (never unlinks it).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires systemd-socket-activate --version

start_logged_disk
sock="$tmpdir/activated.sock"
systemd-socket-activate -l "$sock" -- \
    $VG "$NBDCACHED" -v -e disk="$disk_uri" -P "$tmpdir/nbdcached.pid" \
    > "$tmpdir/nbdcached.log" 2>&1 &
pid=$!
cleanup_fn "kill_and_wait $pid"
wait_for_file "$sock"
[ ! -e "$tmpdir/nbdcached.pid" ] || fail "the daemon started before a client came"
backlog=
! ss -V >/dev/null 2>&1 || backlog=$(listen_backlog "$sock")

# This connect starts the daemon; the request waits in the backlog.
"$NBDCACHECTL" -s "$sock" cache disk 0 1M
[ "$(cache_lines "$tmpdir/log")" = "0 1048576" ] || fail "the cache did not reach the server"
grep -q "listening on the socket passed by systemd" "$tmpdir/nbdcached.log" ||
    fail "the passed socket was not used"
# systemd's backlog (its Backlog=) is kept.
[ -z "$backlog" ] || [ "$(listen_backlog "$sock")" = "$backlog" ] ||
    fail "the backlog went from $backlog to $(listen_backlog "$sock")"

kill "$pid"
status=0
wait "$pid" || status=$?
[ $status -eq 0 ] || fail "exit status $status"
[ -S "$sock" ] || fail "the daemon removed systemd's socket"
