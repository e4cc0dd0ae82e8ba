#!/usr/bin/env bash
# A reload cannot move the pid file: a new pid-file in the file is
# reported as taking effect at the next restart, is not created, and
# at exit the daemon removes the pid file it did write.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_nbdkit disk memory 100M
start_nbdcached_conf <<EOC
[export disk]
uri = $disk_uri
EOC
pidfile="$tmpdir/nbdcached.pid"
[ "$(cat "$pidfile")" = "$nbdcached_pid" ] || fail "wrong pid file"

cat > "$tmpdir/conf" <<EOC
[daemon]
pid-file = $tmpdir/other.pid
[export disk]
uri = $disk_uri
EOC
ctl reload
grep -q "reload: socket, pid-file, threads and socket ownership changes take effect at the next restart" \
    "$tmpdir/nbdcached.log" || fail "the pid-file change was not reported"
ctl cache disk 0 1M
[ ! -e "$tmpdir/other.pid" ] || fail "the reload created the new pid file"

stop_nbdcached
[ ! -e "$pidfile" ] || fail "the pid file was not removed at exit"
[ ! -e "$tmpdir/other.pid" ] || fail "the new pid file was created at exit"
