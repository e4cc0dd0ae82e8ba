#!/usr/bin/env bash
# nbdcached tests: libnbdcache driven by the caller's own poll(2) loop
# (test-lib-fd.c).  The program stops the daemon with SIGSTOP for a
# while to fill the socket; make sure it is running again at exit.
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
requires test -r /proc/self/stat
make_tmpdir
start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"
cleanup_fn "kill -CONT $nbdcached_pid 2>/dev/null"

vg_prog "$abs_builddir/test-lib-fd" "$sock" "$nbdcached_pid"

# The daemon survived being stopped, and SIGTERM still stops it cleanly.
kill -0 "$nbdcached_pid" || fail "nbdcached died"
stop_nbdcached
