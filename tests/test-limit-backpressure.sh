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
# The daemon, taking at most 4 requests of a client at a time.
start_limited () {
    start_nbdcached_conf <<EOC
[daemon]
max-client-requests = 4
[export disk]
uri = $disk_uri
EOC
}
start_limited

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

# A client held at the limit is not read, but its hang-up is still
# noticed at once: its requests end, and it no longer counts as a
# client.  The export is paused, so that nothing else (a completion
# it cannot be sent, or the requests' deadline of 60 s) would end them.
start_limited
ctl pause disk
run_py <<'PY' || fail "the throttled client could not send its requests"
import time
from rawclient import Client
c = Client()
c.hello(2)
for i in range(50):
    c.send({"op": "cache", "export": "disk", "offset": i * 65536,
            "count": 65536})
time.sleep(0.5)                 # the daemon takes 4, then stops reading
c.close()
PY
stat_is () { [ "$(ctl stats --json | jq "j['$1']")" = "$2" ]; }
# Only nbdcachectl's own connection is left.
wait_until 5 stat_is clients 1 ||
    fail "the throttled client's hang-up went unnoticed: $(ctl stats --json)"
stat_is in_flight 0 || fail "its requests are still in flight"
ctl resume disk
ctl cache disk 0 1M
stop_nbdcached

# A reload that raises max-client-requests reads a held client again
# at once, although nothing completes while the export is paused.
start_limited
ctl pause disk
run_py_bg <<'PY'
import time
from rawclient import Client
c = Client()
c.hello()
for i in range(10):
    c.send({"op": "cache", "export": "disk", "offset": i * 65536,
            "count": 65536})
time.sleep(60)
PY
in_flight_is () { stat_is in_flight "$1"; }
wait_until 10 in_flight_is 4 ||
    fail "not held at 4: $(ctl stats --json | jq 'j["in_flight"]')"
# nbdcachectl clients shows the client held, and at which limit.
held () { ctl clients --json | jq "[c.get('held') for c in j]"; }
[ "$(held)" = '["max-client-requests", null]' ] ||
    fail "nbdcachectl clients: $(held)"
sed -i 's/^max-client-requests = 4$/max-client-requests = 100/' "$tmpdir/conf"
ctl reload
wait_until 10 in_flight_is 10 ||
    fail "the reload did not read the held client: $(ctl stats --json | jq 'j["in_flight"]')"
[ "$(held)" = '[null, null]' ] || fail "still shown held: $(held)"
kill "$py_pid"
ctl resume disk
stop_nbdcached
