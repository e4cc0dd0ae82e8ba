#!/usr/bin/env bash
# Coalescing across clients and across the whole pending queue: two
# clients each queue 100 requests for every other 64 KiB of a range,
# so that no request is next to any other of its own client's, and
# the neighbour of each is far down the queue.  They must reach the
# server as a handful of commands covering the range, and every cookie
# still completes exactly once.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk 64M
start_nbdcached_export disk "$disk_uri" connections=1 warm-ttl=0

# Hold everything in the pending queue while both clients queue up.
ctl pause disk
run_py "$NBDCACHECTL" "$sock" <<'PY'
import subprocess, sys
from rawclient import Client, cache_lines, check

K = 65536
clients = []
for parity in (0, 1):
    c = Client(timeout=60)
    c.hello()
    c.send_raw(cache_lines("disk", [((2 * i + parity) * K, K)
                                    for i in range(100)], first_id=2))
    cookies = []
    for i in range(100):
        r = c.recv_reply()
        check(r.get("ok") is True and r.get("id") == i + 2, "reply", r)
        cookies.append(r["cookie"])
    clients.append((c, cookies))

subprocess.run([sys.argv[1], "-s", sys.argv[2], "resume", "disk"],
               check=True)
for c, cookies in clients:
    for k in cookies:
        ev = c.wait_complete(k)
        check(ev.get("ok") is True, "a request failed", ev)
    c.expect_silence(0.3)       # and no completion twice
PY

# 200 x 64 KiB = [0, 12.5 MiB), within one 32 MiB maximum command.
n="$(cache_lines "$tmpdir/log" | wc -l)"
echo "200 requests from 2 clients reached the server as $n NBD commands"
[ "$n" -le 4 ] || fail "too little coalescing: $n commands"
cache_lines "$tmpdir/log" | check_chunks 0 $((200 * 65536)) $((32*1024*1024)) 1 1
stop_nbdcached
