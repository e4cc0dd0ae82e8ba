#!/usr/bin/env bash
# Batching under load (client.c, BATCH_BYTES) never holds an event
# longer than BATCH_WAIT_US: a client whose requests are queued
# behind a busy pool may get its events in batches, but when the
# daemon has nothing else to do, each completion reaches it at once.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires python3 --version

# One command at a time, 50 ms each: while the first request is at the
# server the other five wait in the pending queue, so every event but
# the last is one that may wait.
start_slow_disk 50ms
start_nbdcached_export disk "$disk_uri" connections=1 max-in-flight=1

run_py <<'PY'
import time
from rawclient import Client, check

M = 1 << 20
for version in (1, 2):
    c = Client(timeout=10)
    c.hello(version)
    for i in range(6):
        c.send({"op": "cache", "export": "disk", "offset": (10 * version + i) * M,
                "count": 65536})
    arrived = []
    while len(arrived) < 6:
        msg = c.recv(timeout=10)
        if msg.get("event") == "complete":
            check(msg["ok"], "event ok", msg)
            arrived.append(time.monotonic())
    c.expect_silence(0.1)
    gaps = [round((b - a) * 1000, 1) for a, b in zip(arrived, arrived[1:])]
    print("version", version, "gaps between events (ms):", gaps)
    # The server completes one command every 50 ms.  An event held
    # until the next completion, or until the queue empties, shows up
    # as a gap near 0 followed by one near 100 ms.
    check(sum(1 for g in gaps if g >= 25) >= 4,
          "events were held back instead of sent within the batch wait",
          gaps)
    c.close()
print("ok")
PY
