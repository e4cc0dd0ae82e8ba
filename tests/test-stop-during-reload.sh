#!/usr/bin/env bash
# A reload that adds an export and a SIGTERM handled in the same pass
# of the loop: the new export's start is still queued when the loop
# stops.  Shutting down must not touch the freed workers (it did:
# heap-use-after-free under AddressSanitizer, which CI runs this
# under), and the daemon exits 0.  Whether the new export's server
# sees a connection is not checked: libevent may handle the two
# signals in separate passes, and then it rightly gets one.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_nbdkit disk memory 100M
start_nbdkit disk2 memory 100M
# One attempt: start with one export, then deliver SIGHUP (the file now
# has a second export) and SIGTERM while the daemon is stopped, so that
# one pass of its loop handles both.  libevent may take SIGTERM first,
# and then there is nothing to reload: returns 1 in that case.
attempt ()
{
    printf '[export disk]\nuri = %s\n' "$disk_uri" > "$tmpdir/conf"
    : > "$tmpdir/nbdcached.log"
    start_nbdcached -c "$tmpdir/conf"
    ctl cache disk 0 1M
    printf '[export disk]\nuri = %s\n[export new]\nuri = %s\n' \
        "$disk_uri" "$disk2_uri" > "$tmpdir/conf"
    kill -STOP "$nbdcached_pid"
    kill -HUP "$nbdcached_pid"
    kill -TERM "$nbdcached_pid"
    kill -CONT "$nbdcached_pid"
    local status=0
    wait "$nbdcached_pid" || status=$?
    cat "$tmpdir/nbdcached.log"
    [ $status -eq 0 ] || fail "nbdcached exited with status $status"
    ! grep -qE "Sanitizer|runtime error" "$tmpdir/nbdcached.log" ||
        fail "memory error while stopping"
    grep -q "reloaded: 2 exports" "$tmpdir/nbdcached.log"
}
for (( try=0; try < 10; try++ )); do
    attempt && exit 0
done
fail "the reload was never handled before the stop in 10 attempts"
