#!/usr/bin/env bash
# A server that answers ESHUTDOWN makes the daemon soft-disconnect
# (nbd_shutdown) and reconnect; the request is sent again and, once
# the server stops refusing, succeeds.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter error

start_nbdkit disk --filter=log --filter=error memory 1G \
    error-cache=ESHUTDOWN error-cache-rate=100% error-cache-file="$tmpdir/errors-on" \
    logfile="$tmpdir/log"
start_nbdcached_export disk "$disk_uri" connections=1 \
    reconnect-delay=0.2 reconnect-max-delay=0.2

touch "$tmpdir/errors-on"
ctl cache disk 0 1M &
ctl_pid=$!
wait_until 5 grep -q "server is shutting down" "$tmpdir/nbdcached.log" ||
    fail "the daemon did not act on ESHUTDOWN"
rm "$tmpdir/errors-on"
wait $ctl_pid || fail "the request failed after the server recovered"

# The log filter saw the daemon disconnect and come back.
[ "$(grep -c 'connection=[0-9]* Connect' "$tmpdir/log")" -ge 2 ] ||
    fail "no reconnection reached the server"
[ "$(ctl stats --json | jq 'j["exports"][0]["reconnects"]')" -ge 1 ] ||
    fail "no reconnect counted"
stop_nbdcached
