#!/usr/bin/env bash
# Stopping with cache requests in flight: the daemon closes its
# clients and exits 0 promptly, without waiting for a slow server.
# nbdcached(8) says such requests are dropped and their clients
# disconnected; PROTOCOL.md 4.3 lists ESHUTDOWN "when the daemon is
# stopping".  Either is accepted: no event at all, or an ESHUTDOWN
# event for every accepted request; never a success or a partial set.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay

# Every Cache takes 5 s: far longer than the daemon may take to stop.
start_nbdkit disk --filter=delay memory 1G delay-cache=5
start_nbdcached -e disk="$disk_uri"

export nbdcached_pid
python3 - <<'PY'
import os, signal, sys, time
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.environ["abs_srcdir"])
from rawclient import Client, Closed, check

c = Client()
c.hello()
N = 3
c.send_raw(b"".join(
    b'{"op":"cache","id":%d,"export":"disk","offset":%d,"count":4096}\n'
    % (i + 1, i * 4096) for i in range(N)))
for i in range(N):
    r = c.recv()
    check(r == {"id": i + 1, "cookie": i + 1, "ok": True}, "reply", r)
time.sleep(0.3)                 # the chunks are now at the server

start = time.monotonic()
os.kill(int(os.environ["nbdcached_pid"]), signal.SIGTERM)
events = []
try:
    while True:
        events.append(c.recv(timeout=3))
except Closed:
    pass
took = time.monotonic() - start
check(took < 3, "the daemon took %.1f s to close the connection" % took)
check(events == [] or
      sorted(e.get("cookie") for e in events) == list(range(1, N + 1)),
      "some accepted requests got an event before EOF, some not", events)
for e in events:
    check(e.get("event") == "complete" and e["ok"] is False
          and e["error"]["errno"] == "ESHUTDOWN", "expected ESHUTDOWN", e)
print("ok")
PY

stop_status=0
wait "$nbdcached_pid" || stop_status=$?
[ $stop_status -eq 0 ] || fail "the daemon exited $stop_status"
[ ! -e "$sock" ] || fail "the socket was not removed"
