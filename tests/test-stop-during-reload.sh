#!/usr/bin/env bash
# A reload that adds an export and a SIGTERM handled in the same pass
# of the loop: the new export's start is still queued when the loop
# stops.  Shutting down must neither touch the freed workers (it did:
# heap-use-after-free under AddressSanitizer) nor open a connection to
# the new export that nothing closes; the daemon exits 0.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter log

start_logged_disk 100M
start_nbdkit disk2 --filter=log memory 100M logfile="$tmpdir/log2"
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
    sleep 0.5
    ! grep -qE "Preconnect|Connect" "$tmpdir/log2" ||
        fail "a connection to the new export was opened while stopping"
    grep -q "reloaded: 2 exports" "$tmpdir/nbdcached.log"
}
for (( try=0; try < 10; try++ )); do
    attempt && exit 0
done
fail "the reload was never handled before the stop in 10 attempts"
