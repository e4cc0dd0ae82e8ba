#!/usr/bin/env bash
# A server that leaves one command unanswered while it answers the
# others.  The connection keeps making progress, so it never looks
# hung, but the lost command would hold one of its max-in-flight slots
# for as long as the connection lives (libnbd cannot cancel one
# command).  Past twice request-timeout the daemon drops the connection
# and reconnects: the slot comes back, and the commands that were in
# flight with it are sent again, so no other request fails.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

# The first Cache at offset 0 takes 60 s; every other Cache is instant.
start_losing_disk 60
start_nbdcached_export disk "$disk_uri" request-timeout=1 connections=1 \
    max-in-flight=2 reconnect-delay=0.1 warm-ttl=0

stat_of () { ctl stats --json | jq "j['exports'][0]['$1']"; }

# Other requests keep the connection answering, each one checked.
keep_answering 40

status=0
ctl cache disk 0 4K 2>"$tmpdir/err" || status=$?
[ $status -eq 1 ] && grep -q "timed out" "$tmpdir/err" ||
    fail "the lost command's request should time out: status $status, $(cat "$tmpdir/err")"

wait_until 10 grep -q "one command unanswered while others were answered" \
    "$tmpdir/nbdcached.log" ||
    fail "the connection holding the lost command was not dropped"
wait $busy
grep "dropping it" "$tmpdir/nbdcached.log"
# The connection's own log line (whose reason admins see) says why.
grep -qE "connection 0: lost: one command unanswered while others were answered for [0-9]+ ms" \
     "$tmpdir/nbdcached.log" || fail "the connection's loss does not say why"
if grep -q "no reply for" "$tmpdir/nbdcached.log"; then
    # The busy requests did not keep the connection answering (too slow
    # a machine): it was dropped as hung, which is another test's case.
    skip "the connection was dropped as hung"
fi
[ ! -s "$tmpdir/busy-failed" ] ||
    fail "requests failed around the drop: $(cat "$tmpdir/busy-failed")"
[ "$(stat_of reconnects)" -eq 1 ] ||
    fail "expected one reconnect: $(ctl stats --json)"
[ "$(stat_of chunks_in_flight)" -eq 0 ] ||
    fail "the lost command still holds a slot: $(ctl stats --json)"
[ "$(stat_of connections_up)" -eq 1 ] || fail "not reconnected"
# And the export serves requests again on the new connection.
ctl cache disk 64M 8K
stop_nbdcached
