#!/usr/bin/env bash
# Concurrent requests share an export's pool: a small request sent
# after a huge one is not queued behind all of the huge one's chunks
# (request.c: the pending requests take turns for free slots).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

# One connection, one command at a time, 50 ms per Cache: the huge
# request (20 chunks) takes a second on its own.
start_slow_disk 50ms
start_nbdcached_export disk "$disk_uri" connections=1 max-in-flight=1

run_py <<'PY'
from rawclient import Client, check

M = 1 << 20
huge = Client()
huge.hello()
small = Client()
small.hello()
huge.send({"op": "cache", "id": 1, "export": "disk", "offset": 0,
           "count": 20 * 32 * M})
check(huge.recv()["ok"], "huge: reply")
small.send({"op": "cache", "id": 1, "export": "disk", "offset": 900 * M,
            "count": M})
check(small.recv()["ok"], "small: reply")
ev = small.recv(timeout=5)
check(ev.get("event") == "complete" and ev["ok"], "small: event", ev)
# The huge request must still be running.
huge.expect_silence(0.05)
ev = huge.recv(timeout=5)
check(ev.get("event") == "complete" and ev["ok"], "huge: event", ev)
print("ok")
PY

# In the server's order, the small request's chunk came within the
# first few.
pos=$(grep ' Cache id=' "$tmpdir/log" | grep -n 'offset=0x38400000 ' | cut -d: -f1)
echo "the small request was Cache number $pos of 21"
[ -n "$pos" ] && [ "$pos" -le 3 ] || fail "the small request waited its turn"
