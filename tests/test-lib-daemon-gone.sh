#!/usr/bin/env bash
# nbdcached tests: libnbdcache when the daemon dies, or the handle is
# closed, with commands in flight (test-lib-daemon-gone.c).  nbdkit's
# delay filter keeps Cache requests of the "slow" export in flight
# for 2 seconds; the program kills the daemon with SIGKILL.
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
requires_nbdkit_filter delay
make_tmpdir
start_nbdkit slow --filter=delay memory 1G delay-cache=2
start_nbdkit fast memory 1G
start_nbdcached -e slow="$slow_uri" -e fast="$fast_uri"

vg_prog "$abs_builddir/test-lib-daemon-gone" "$sock" "$nbdcached_pid"

# The program really did kill the daemon.
status=0
wait "$nbdcached_pid" || status=$?
[ "$status" -eq $((128 + 9)) ] ||
    fail "nbdcached exited with status $status, expected SIGKILL"
