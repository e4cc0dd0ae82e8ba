#!/usr/bin/env bash
# Per-client limits: a client at max-client-requests is not read from
# until some of its requests complete, so the daemon never holds more
# than the limit for it; all its requests still complete, once each.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay

start_nbdkit disk --filter=delay memory 1G delay-cache=50ms
start_nbdcached_conf <<EOC
[daemon]
max-client-requests = 4
[export disk]
uri = $disk_uri
EOC

pipeline disk 60 65536 30 > "$tmpdir/result" &
pipe=$!
max=0
while kill -0 $pipe 2>/dev/null; do
    n="$(ctl stats --json | jq 'j["in_flight"]')"
    [ "$n" -gt "$max" ] && max=$n
    sleep 0.05
done
wait $pipe || fail "exactly-once check failed: $(cat "$tmpdir/result")"
cat "$tmpdir/result"
echo "most requests in flight seen: $max"
[ "$max" -le 4 ] || fail "in flight reached $max, limit 4"
# Under valgrind the sampling is too slow to be sure of catching any.
! measuring || [ "$max" -ge 1 ] || fail "never saw a request in flight"
[ "$(jq 'j["ok"]' < "$tmpdir/result")" = 60 ] ||
    fail "not all requests completed"
stop_nbdcached
