#!/usr/bin/env bash
# Settings that only mean something at start: a reload reports a
# change of one the file sets ("takes effect at the next restart"),
# but not of one the command line sets (-s, -P, -t), which wins over
# the file now and at the next restart.  A reload cannot move the pid
# file, and at exit the daemon removes the pid file it did write.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

restart_warning="reload: socket, pid-file, threads and socket ownership changes take effect at the next restart"

start_nbdkit disk memory 100M
start_nbdcached_conf <<EOC
[daemon]
threads = 1
[export disk]
uri = $disk_uri
EOC
pidfile="$tmpdir/nbdcached.pid"
[ "$(cat "$pidfile")" = "$nbdcached_pid" ] || fail "wrong pid file"

# Nothing changed: nothing to report.
ctl reload
! grep -q "$restart_warning" "$tmpdir/nbdcached.log" ||
    fail "a reload of the same file reported a change"

# The file names another pid file and socket, but -P and -s win.
cat > "$tmpdir/conf" <<EOC
[daemon]
threads = 1
pid-file = $tmpdir/other.pid
socket = $tmpdir/other.sock
[export disk]
uri = $disk_uri
EOC
ctl reload
! grep -q "$restart_warning" "$tmpdir/nbdcached.log" ||
    fail "a change overridden by the command line was reported"
ctl cache disk 0 1M
[ ! -e "$tmpdir/other.pid" ] || fail "the reload created the new pid file"

# A change of what the file alone sets is reported.
sed -i 's/^threads = 1$/threads = 3/' "$tmpdir/conf"
ctl reload
grep -q "$restart_warning" "$tmpdir/nbdcached.log" ||
    fail "the threads change was not reported"
ctl cache disk 1M 1M

stop_nbdcached
[ ! -e "$pidfile" ] || fail "the pid file was not removed at exit"
[ ! -e "$tmpdir/other.pid" ] || fail "the new pid file was created at exit"
