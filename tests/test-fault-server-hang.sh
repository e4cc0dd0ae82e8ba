#!/usr/bin/env bash
# A server that never answers: past request-timeout the request
# completes with ETIMEDOUT, and the daemon drops the hung connection
# (libnbd cannot cancel) and reconnects.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter delay

start_nbdkit disk --filter=log --filter=delay memory 1G delay-cache=60 \
    logfile="$tmpdir/log"
cat > "$tmpdir/conf" <<EOC
[export disk]
uri = $disk_uri
request-timeout = 1.5
reconnect-delay = 0.1
EOC
start_nbdcached -c "$tmpdir/conf"

start=$SECONDS
status=0
ctl cache disk 0 1M 2> "$tmpdir/err" || status=$?
elapsed=$((SECONDS - start))
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status"
grep -q "timed out" "$tmpdir/err" || fail "not ETIMEDOUT"
[ $elapsed -le 5 ] || fail "took ${elapsed}s, deadline 1.5s"
for (( i=0; i < 50; i++ )); do
    grep -q "dropping it" "$tmpdir/nbdcached.log" && break
    sleep 0.1
done
grep -q "dropping it" "$tmpdir/nbdcached.log" || fail "the hung connection was not dropped"
for (( i=0; i < 50; i++ )); do
    [ "$(ctl stats --json | python3 "$abs_srcdir/jq.py" 'j["exports"][0]["reconnects"]')" -ge 1 ] && break
    sleep 0.1
done
(( i < 50 )) || fail "no reconnect after dropping the hung connection"
[ "$(ctl stats --json | python3 "$abs_srcdir/jq.py" 'j["exports"][0]["timeouts"]')" = 1 ] ||
    fail "timeouts not counted"
stop_nbdcached
