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

# A server that accepts every connection but fails every command with
# ESHUTDOWN: the reconnect delay still doubles up to
# reconnect-max-delay (a connection that served nothing is no reason
# to start again from reconnect-delay), and the request ends at its
# deadline.  Before, the daemon reconnected every 0.1 s, 30 times in
# the 3 s.
start_nbdcached_export disk "$disk_uri" connections=1 \
    reconnect-delay=0.1 reconnect-max-delay=0.8 request-timeout=3
touch "$tmpdir/errors-on"
lost0=$(log_count 'lost: .*reconnecting in')
status=0
ctl cache disk 0 1M 2> "$tmpdir/err" || status=$?
[ $status -eq 1 ] || fail "the request did not fail at its deadline: $status"
lost=$(( $(log_count 'lost: .*reconnecting in') - lost0 ))
echo "connections lost in 3 s: $lost"
grep 'lost: .*reconnecting in' "$tmpdir/nbdcached.log" | tail -n "$lost"
[ "$lost" -le 10 ] || fail "reconnected $lost times in 3 s: no backoff"
log_grew 'lost: .*reconnecting in 0.8 s' 0 ||
    fail "the delay never reached reconnect-max-delay"
rm "$tmpdir/errors-on"
ctl cache disk 0 1M || fail "no recovery once the server stopped refusing"
stop_nbdcached
