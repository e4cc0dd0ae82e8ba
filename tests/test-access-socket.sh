#!/usr/bin/env bash
# The socket is created with mode 0660 by default; socket-mode,
# socket-owner and socket-group change it.  A user who cannot open the
# socket cannot talk to the daemon at all.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nobody

start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"
[ "$(stat -c %a "$sock")" = 660 ] || fail "default mode $(stat -c %a "$sock")"
# The socket listens with a backlog of SOMAXCONN (up to the system's
# limit), not the 128 that libevent would set again.
if ss -V >/dev/null 2>&1 && [ "$(cat /proc/sys/net/core/somaxconn)" -gt 128 ]
then
    [ "$(listen_backlog "$sock")" -gt 128 ] ||
        fail "the socket's backlog is $(listen_backlog "$sock")"
fi
status=0
ctl_as_nobody exports 2> "$tmpdir/err" || status=$?
[ $status -eq 1 ] && grep -q "Permission denied" "$tmpdir/err" ||
    fail "nobody reached a 0660 root socket: $(cat "$tmpdir/err")"
stop_nbdcached

start_nbdcached_conf <<EOC
[daemon]
socket-mode = 0640
socket-owner = nobody
socket-group = nogroup
[export disk]
uri = $disk_uri
EOC
[ "$(stat -c '%a %U %G' "$sock")" = "640 nobody nogroup" ] ||
    fail "socket is $(stat -c '%a %U %G' "$sock")"
ctl_as_nobody cache disk 0 1M
stop_nbdcached

# Octal without the leading 0, as chmod(1) reads it: 600, not the
# decimal 600 (which would be 01130).  A count key such as connections
# is decimal even with a leading 0: 010 is ten connections.
start_nbdcached_conf <<EOC
[daemon]
socket-mode = 600
[export disk]
uri = $disk_uri
connections = 010
EOC
[ "$(stat -c %a "$sock")" = 600 ] || fail "socket-mode = 600 gave $(stat -c %a "$sock")"
connections_up () { [ "$(ctl stats --json | jq "j['exports'][0]['connections_up']")" = "$1" ]; }
wait_until 10 connections_up 10 ||
    fail "connections = 010 did not give 10 connections: $(ctl stats --json)"
stop_nbdcached

# A daemon that cannot give its socket the owner asked for (here
# nobody, which may not chown to root) refuses to start, says why, and
# leaves no socket file behind.
mkdir "$tmpdir/nobody"
chown nobody:nogroup "$tmpdir/nobody"
printf '[daemon]\nsocket-owner = root\n[export disk]\nuri = %s\n' "$disk_uri" \
    > "$tmpdir/nobody/conf"
expect_status 1 "a socket it cannot chown" as_nobody $VG "$NBDCACHED" \
    -c "$tmpdir/nobody/conf" -s "$tmpdir/nobody/d.sock"
grep -q "setting the owner of $tmpdir/nobody/d.sock: Operation not permitted" \
    "$tmpdir/err" || fail "the reason is not logged"
[ ! -e "$tmpdir/nobody/d.sock" ] || fail "it left its socket file behind"

# A symbolic link where the pid file goes (placed by whoever can write
# to that directory) is refused, not followed: the file it points to is
# not overwritten, and the daemon exits 1.
echo precious > "$tmpdir/precious"
ln -s "$tmpdir/precious" "$tmpdir/link.pid"
expect_status 1 "a pid file that is a symbolic link" timeout 10 \
    $VG "$NBDCACHED" -e disk="$disk_uri" -s "$tmpdir/l.sock" \
    -P "$tmpdir/link.pid"
[ "$(cat "$tmpdir/precious")" = precious ] ||
    fail "the daemon wrote through the symbolic link"
grep -q "link.pid: Too many levels of symbolic links" "$tmpdir/err" ||
    fail "the reason is not logged"
