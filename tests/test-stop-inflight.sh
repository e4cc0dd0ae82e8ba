#!/usr/bin/env bash
# SIGTERM with cache requests in flight drains: the daemon stops
# accepting and reading, lets the requests finish, delivers every
# completion event, then closes its clients and exits 0.  When the
# server is slower than drain-timeout, what is left completes with
# ESHUTDOWN at the timeout.  Either way each cookie gets exactly one
# event before the connection closes.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay

# drain_case DELAY DRAIN-TIMEOUT ERRNO MAX-SECONDS
drain_case ()
{
    rm -f "$tmpdir/disk.sock"
    start_nbdkit disk --filter=delay memory 1G delay-cache="$1"
    start_nbdcached_conf <<EOC
[daemon]
drain-timeout = $2
[export disk]
uri = $disk_uri
EOC
    export nbdcached_pid
    run_py "$3" "$4" <<'PY'
import os, signal, sys, time
from rawclient import Client, Closed, cache_lines, check

want, limit = sys.argv[1], float(sys.argv[2])
c = Client()
c.hello()
N = 3
c.send_raw(cache_lines("disk", [(i * 4096, 4096) for i in range(N)]))
c.expect_accepted(N)
time.sleep(0.3)                 # the chunks are now at the server

start = time.monotonic()
os.kill(int(os.environ["nbdcached_pid"]), signal.SIGTERM)
events = []
try:
    while True:
        events.append(c.recv(timeout=limit + 2))
except Closed:
    pass
took = time.monotonic() - start
check(took < limit, "the daemon took %.1f s to close the connection" % took)
check(sorted(e.get("cookie") for e in events) == list(range(1, N + 1)),
      "not exactly one event per cookie before EOF", events)
for e in events:
    if want == "OK":
        check(e["ok"] is True, "expected success", e)
    else:
        check(e["ok"] is False and e["error"]["errno"] == want,
              "expected " + want, e)
print("drained in %.1f s: %s" % (took, want))
PY
    local status=0
    wait "$nbdcached_pid" || status=$?
    [ $status -eq 0 ] || fail "the daemon exited $status"
    [ ! -e "$sock" ] || fail "the socket was not removed"
    grep -q "draining 3 requests" "$tmpdir/nbdcached.log" ||
        fail "the drain was not logged"
    kill_and_wait "$disk_pid"
    : > "$tmpdir/nbdcached.log"
}

# The server answers within the drain timeout: everything succeeds.
drain_case 1 10 OK 5
# It does not: the rest fails with ESHUTDOWN at the 1 s timeout.
drain_case 10 1 ESHUTDOWN 4
