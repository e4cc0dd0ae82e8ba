#!/usr/bin/env bash
# SIGTERM while the export's server is gone and the requests' chunks
# wait in the retry queue for a connection that never comes back: at
# drain-timeout every request completes with ESHUTDOWN exactly once,
# the queued retries are dropped (never sent), and the daemon exits 0
# (with no leak under check-valgrind).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay

start_nbdkit disk --filter=delay memory 1G delay-cache=10
start_nbdcached_conf <<EOC
[daemon]
drain-timeout = 1
[export disk]
uri = $disk_uri
warm-ttl = 0
coalesce = false
EOC
export nbdcached_pid disk_pid
run_py <<'PY'
import os, signal, time
from rawclient import Client, Closed, cache_lines, check

c = Client()
c.hello()
N = 3
c.send_raw(cache_lines("disk", [(i * 1048576, 4096) for i in range(N)]))
c.expect_accepted(N)
time.sleep(0.3)                 # the chunks are now at the server

# The server dies: its chunks come back for retry, and no connection
# is up to take them.
os.kill(int(os.environ["disk_pid"]), signal.SIGKILL)
c.expect_silence(0.5)

start = time.monotonic()
os.kill(int(os.environ["nbdcached_pid"]), signal.SIGTERM)
events = []
try:
    while True:
        events.append(c.recv(timeout=5))
except Closed:
    pass
took = time.monotonic() - start
check(took < 4, "the daemon took %.1f s to close the connection" % took)
check(sorted(e.get("cookie") for e in events) == list(range(1, N + 1)),
      "not exactly one event per cookie before EOF", events)
for e in events:
    check(e["ok"] is False and e["error"]["errno"] == "ESHUTDOWN" and
          e["error"]["message"] == "the daemon is stopping",
          "expected ESHUTDOWN", e)
print("drained in %.1f s" % took)
PY
status=0
wait "$nbdcached_pid" || status=$?
[ $status -eq 0 ] || fail "the daemon exited $status"
grep -q "draining 3 requests" "$tmpdir/nbdcached.log" ||
    fail "the drain was not logged"
grep -q "drain timeout: failing 3 requests with ESHUTDOWN" \
    "$tmpdir/nbdcached.log" || fail "the drain timeout was not logged"
