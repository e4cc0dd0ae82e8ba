#!/usr/bin/env bash
# Out of file descriptors (EMFILE) on accept: the daemon pauses
# accepting instead of spinning on the readable listening socket, and
# serves new clients once descriptors are free again.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"
requires prlimit --version
# 64 descriptors for the daemon only, from now on.
prlimit --pid "$nbdcached_pid" --nofile=64:64
pid=$nbdcached_pid

run_py "$pid" < "$abs_srcdir/emfile-clients.py"
grep -q "Too many open files" "$tmpdir/nbdcached.log" || fail "EMFILE not logged"
