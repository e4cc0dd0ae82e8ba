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
# And a fast export whose two command slots six pipelining clients
# keep full, so that most of their output may wait.
start_nbdkit fast memory 1G
cat > "$tmpdir/batch.conf" <<EOF
[export disk]
uri = $disk_uri
connections = 1
max-in-flight = 1

[export fast]
uri = $fast_uri
connections = 1
max-in-flight = 2
EOF
start_nbdcached -c "$tmpdir/batch.conf"

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

# Batched or not, every request of every client gets exactly one event
# (pipeline.py checks the rule for its connection).
pids=()
for k in 1 2 3 4 5 6; do
    pipeline fast 500 4096 30 $(( k * 65536 )) 2 \
        > "$tmpdir/pipeline.$k" &
    pids+=($!)
done
for k in 1 2 3 4 5 6; do
    wait "${pids[$((k - 1))]}" || {
        cat "$tmpdir/pipeline.$k" >&2
        fail "client $k: the exactly-once rule was broken"
    }
    grep -q '"ok": 500' "$tmpdir/pipeline.$k" ||
        fail "client $k: $(cat "$tmpdir/pipeline.$k")"
done
echo "six clients x 500 pipelined requests: every one completed once"
