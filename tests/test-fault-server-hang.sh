#!/usr/bin/env bash
# A server that never answers: past request-timeout the request
# completes with ETIMEDOUT, and the daemon drops the hung connection
# (libnbd cannot cancel) and reconnects.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_slow_disk 60
start_nbdcached_export disk "$disk_uri" request-timeout=1.5 reconnect-delay=0.1

start=$SECONDS
status=0
ctl cache disk 0 1M 2> "$tmpdir/err" || status=$?
elapsed=$((SECONDS - start))
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status"
grep -q "timed out" "$tmpdir/err" || fail "not ETIMEDOUT"
[ $elapsed -le 5 ] || fail "took ${elapsed}s, deadline 1.5s"
wait_until 5 grep -q "dropping it" "$tmpdir/nbdcached.log" ||
    fail "the hung connection was not dropped"
reconnected () {
    [ "$(ctl stats --json | jq 'j["exports"][0]["reconnects"]')" -ge 1 ]
}
wait_until 5 reconnected || fail "no reconnect after dropping the hung connection"
[ "$(ctl stats --json | jq 'j["exports"][0]["timeouts"]')" = 1 ] ||
    fail "timeouts not counted"
stop_nbdcached
