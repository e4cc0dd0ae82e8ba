#!/usr/bin/env bash
# Socket activation with sockets nbdcached cannot use: two passed
# sockets, or a datagram socket.  The daemon logs why and exits 1
# without serving (listener.c: listener_activated).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires python3 --version
requires systemd-socket-activate --version

# activate_and_fail WHAT MESSAGE SOCKET SOCKET-ACTIVATE-ARGS...: start
# nbdcached under systemd-socket-activate, wake it with a connect (or
# a datagram) to SOCKET, and check it exits 1 logging MESSAGE.
activate_and_fail ()
{
    local what=$1 message=$2 first=$3
    shift 3
    rm -f "$tmpdir"/*.sock "$tmpdir/nbdcached.pid"
    : > "$tmpdir/nbdcached.log"
    systemd-socket-activate "$@" -- \
        $VG "$NBDCACHED" -v -e disk=nbd+unix:///?socket=/nonexistent \
        -P "$tmpdir/nbdcached.pid" > "$tmpdir/nbdcached.log" 2>&1 &
    local pid=$! status=0
    cleanup_fn "kill_and_wait $pid"
    wait_for_file "$first"
    python3 - "$first" <<'PY' || :
import socket, sys
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_UNIX, kind)
    try:
        if kind == socket.SOCK_STREAM:
            s.connect(sys.argv[1])
        else:
            s.sendto(b"x", sys.argv[1])
        break
    except OSError:
        pass
PY
    wait "$pid" || status=$?
    cat "$tmpdir/nbdcached.log"
    [ $status -eq 1 ] || fail "$what: exit status $status, expected 1"
    grep -q "$message" "$tmpdir/nbdcached.log" ||
        fail "$what: the reason is not logged"
    [ ! -e "$tmpdir/nbdcached.pid" ] || fail "$what: the daemon started serving"
}

activate_and_fail "two sockets" "systemd passed 2 sockets" "$tmpdir/a.sock" \
    -l "$tmpdir/a.sock" -l "$tmpdir/b.sock"
activate_and_fail "a datagram socket" "not a listening Unix stream socket" \
    "$tmpdir/a.sock" -d -l "$tmpdir/a.sock"
