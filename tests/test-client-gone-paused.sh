#!/usr/bin/env bash
# A client that leaves with requests the daemon has not sent yet (here
# on a paused export): the requests end at once (ECANCELED, no event:
# nobody is left to tell).  They are not sent later, do not wait for
# their deadline or count as timeouts, and do not hold up a drain.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk 100M
start_nbdcached_export disk "$disk_uri" request-timeout=60 warm-ttl=0
ctl pause disk

run_py <<'PY'
import time
from rawclient import Client, check

M = 1 << 20
c = Client()
c.hello()
for i in range(3):
    r = c.request({"op": "cache", "export": "disk", "offset": i * M,
                   "count": M})
    check(r["ok"], "cache refused", r)
c.close()

admin = Client()
admin.hello()
deadline = time.monotonic() + 2
while True:
    s = admin.request({"op": "stats"})
    e = s["exports"][0]
    if e["in_flight"] == 0 or time.monotonic() > deadline:
        break
    time.sleep(0.05)
check(e["in_flight"] == 0, "the requests of a gone client are still in flight", s)
check(e["timeouts"] == 0, "they were counted as timeouts", s)
check(e["errors_by_errno"].get("ECANCELED") == 3, "not cancelled", s)
admin.close()
print("ok")
PY

ctl resume disk
sleep 0.5
[ -z "$(cache_lines "$tmpdir/log")" ] ||
    fail "a gone client's requests were sent: $(cache_lines "$tmpdir/log")"

# The same while stopping: the drain does not wait for them.
ctl pause disk
run_py <<'PY'
from rawclient import Client, check
c = Client()
c.hello()
r = c.request({"op": "cache", "export": "disk", "offset": 0, "count": 1 << 20})
check(r["ok"], "cache refused", r)
c.close()
PY
start=$SECONDS
stop_nbdcached
[ $((SECONDS - start)) -le 3 ] || fail "the drain took $((SECONDS - start)) s"
grep -q "draining 0 requests" "$tmpdir/nbdcached.log" ||
    fail "the drain waited for a gone client's request: $(grep draining "$tmpdir/nbdcached.log")"
