#!/usr/bin/env bash
# Stopping and restarting: SIGTERM makes the daemon exit 0 and remove
# its socket and pid file; a second daemon on a socket in use refuses
# to start and leaves it alone; a stale socket left by a killed daemon
# is replaced.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_nbdkit disk memory 1G

# SIGTERM.
start_nbdcached -e disk="$disk_uri"
[ -S "$sock" ] || fail "no socket"
[ "$(cat "$tmpdir/nbdcached.pid")" = "$nbdcached_pid" ] ||
    fail "the pid file does not hold the daemon's pid"
ctl cache disk 0 1M
stop_nbdcached
[ ! -e "$sock" ] || fail "SIGTERM: the socket was not removed"
[ ! -e "$tmpdir/nbdcached.pid" ] || fail "SIGTERM: the pid file was not removed"
grep -q "stopped" "$tmpdir/nbdcached.log" || fail "no 'stopped' in the log"

# SIGINT too.
start_nbdcached -e disk="$disk_uri"
kill -INT "$nbdcached_pid"
status=0
wait "$nbdcached_pid" || status=$?
[ $status -eq 0 ] || fail "SIGINT: exit status $status"
[ ! -e "$sock" ] || fail "SIGINT: the socket was not removed"

# A second daemon while the first runs.
start_nbdcached -e disk="$disk_uri"
first_pid=$nbdcached_pid
status=0
$VG "$NBDCACHED" -s "$sock" -P "$tmpdir/second.pid" -e disk="$disk_uri" \
    >"$tmpdir/second.log" 2>&1 || status=$?
cat "$tmpdir/second.log"
[ $status -eq 1 ] || fail "the second daemon exited $status, expected 1"
grep -q "already listening" "$tmpdir/second.log" ||
    fail "the second daemon did not say why"
[ ! -e "$tmpdir/second.pid" ] || fail "the second daemon wrote a pid file"
# ... and left the first one's socket alone.
[ -S "$sock" ] || fail "the second daemon removed the socket"
ctl cache disk 0 1M
kill -0 "$first_pid" || fail "the first daemon died"

# A file that is not a socket is not touched.
stop_nbdcached
echo precious >"$tmpdir/notasocket"
status=0
$VG "$NBDCACHED" -s "$tmpdir/notasocket" -e disk="$disk_uri" \
    >"$tmpdir/third.log" 2>&1 || status=$?
cat "$tmpdir/third.log"
[ $status -eq 1 ] || fail "a daemon on a regular file exited $status"
[ "$(cat "$tmpdir/notasocket")" = precious ] || fail "the file was changed"

# A socket path too long for an AF_UNIX address, and one that cannot
# be bound: exit 1, saying why, and no pid file.
long="$tmpdir/$(printf 's%.0s' {1..120}).sock"
bad_socket () {                         # PATH MESSAGE
    local status=0
    $VG "$NBDCACHED" -s "$1" -P "$tmpdir/bad.pid" -e disk="$disk_uri" \
        >"$tmpdir/bad.log" 2>&1 || status=$?
    cat "$tmpdir/bad.log"
    [ $status -eq 1 ] || fail "-s $1: exited $status, expected 1"
    grep -qF -- "$2" "$tmpdir/bad.log" || fail "-s $1: not said why"
    [ ! -e "$tmpdir/bad.pid" ] || fail "-s $1: a pid file was written"
}
bad_socket "$long" "socket path too long (${#long} bytes, at most 107): $long"
bad_socket /proc/nbdcached-test.sock \
    "bind /proc/nbdcached-test.sock: No such file or directory"

# A stale socket: kill -9 leaves socket and pid file behind.
start_nbdcached -e disk="$disk_uri"
kill -9 "$nbdcached_pid"
wait "$nbdcached_pid" || :
[ -S "$sock" ] || fail "kill -9 removed the socket?"
start_nbdcached -e disk="$disk_uri"
grep -q "removing stale socket" "$tmpdir/nbdcached.log" ||
    fail "the stale socket was not reported"
ctl cache disk 0 1M
stop_nbdcached
[ ! -e "$sock" ] || fail "the socket was not removed"
