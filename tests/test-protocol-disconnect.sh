#!/usr/bin/env bash
# Clients that go away with cache requests in flight (or in the middle
# of a message) do not disturb the other clients: their requests still
# finish and are forgotten, and the daemon goes on serving and stops
# cleanly.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

# Every Cache takes 300 ms, so requests are still in flight when their
# clients disconnect.
start_slow_disk 300ms
start_nbdcached_nodedup disk="$disk_uri"

run_py <<'PY'
import time
from rawclient import Client, cache_lines, check

M = 1 << 20

def send_cache(c, n, base):
    c.send_raw(cache_lines("disk", [((base + i) * M, M) for i in range(n)]))

bystander = Client()
bystander.hello()

# A: requests accepted (replies read), then gone before completion.
a = Client()
a.hello()
send_cache(a, 20, 0)
for i in range(20):
    r = a.recv()
    check(r["ok"] and r["cookie"] == i + 1, "A: reply", r)
a.close()

# B: requests sent, nothing read, gone at once.
b = Client()
b.hello()
send_cache(b, 20, 100)
b.close()

# C: half a message, then gone.
c = Client()
c.hello()
c.send_raw(b'{"op":"cache","id":1,"export":"di')
c.close()

# D: gone before hello.
d = Client()
d.send_raw(b'{"op":"hello","id":1,"version":1}\n{"op":"cache","id":2,')
d.close()

# The bystander is served as usual, and sees nothing of the others.
bystander.send({"op": "cache", "id": 7, "export": "disk",
                "offset": 500 * M, "count": M})
r = bystander.recv()
check(r == {"id": 7, "cookie": 1, "ok": True}, "bystander: reply", r)
ev = bystander.recv()
check(ev == {"event": "complete", "cookie": 1, "id": 7, "ok": True},
      "bystander: event", ev)

# The orphaned requests end (at once: their clients are gone), their
# chunks already sent finish, and the other clients are gone.
deadline = time.monotonic() + 8
while True:
    s = bystander.request({"op": "stats"})
    if (s["in_flight"] == 0 and s["clients"] == 1 and
            s["exports"][0]["chunks_in_flight"] == 0) or \
            time.monotonic() > deadline:
        break
    time.sleep(0.1)
check(s["in_flight"] == 0 and s["clients"] == 1,
      "orphaned requests or clients remain", s)
check(s["exports"][0]["chunks_in_flight"] == 0, "chunks in flight", s)
bystander.expect_silence(0.3)
bystander.close()
print("ok")
PY

# A's 20 requests reached the server (B's may or may not have: it
# closed without waiting), and so did the bystander's.
cache_lines "$tmpdir/log" >"$tmpdir/cache"
for (( i=0; i < 20; i++ )); do
    grep -qx "$((i*1048576)) 1048576" "$tmpdir/cache" ||
        fail "A's request $i did not reach the server"
done
grep -qx "$((500*1048576)) 1048576" "$tmpdir/cache" ||
    fail "the bystander's request did not reach the server"

# Still serving, and stops cleanly.
ctl exports >/dev/null
stop_nbdcached
