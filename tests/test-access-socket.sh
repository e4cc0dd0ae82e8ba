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
