#!/usr/bin/env bash
# A client that shuts down its sending side after its last request
# (shutdown(2) SHUT_WR, as a shell pipeline into socat does) still gets
# every reply and every event, in both protocol versions, also for the
# lines the daemon had read but held back at max-client-requests; bytes
# after the last LF are no message.  Then the daemon closes.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_slow_disk 200ms
start_nbdcached_conf <<EOC
[daemon]
max-client-requests = 4
[export disk]
uri = $disk_uri
warm-ttl = 0
coalesce = false
EOC

run_py <<'PY'
import socket
from rawclient import Client, Closed, cache_lines, check

M = 1 << 20
for version in (1, 2):
    c = Client(timeout=15)
    c.hello(version)
    base = version * 100
    c.send_raw(cache_lines("disk", [((base + i) * M, M) for i in range(1, 11)])
               + b'{"op":"cache","id":11,"exp')
    c.sock.shutdown(socket.SHUT_WR)
    replies, events = {}, {}
    try:
        while True:
            m = c.recv()
            if "event" in m:
                check(m["cookie"] not in events, "event twice", m)
                check(m["cookie"] in replies.values(),
                      "event before its reply", m)
                events[m["cookie"]] = m
            else:
                check(m["id"] not in replies, "reply twice", m)
                check(m["ok"], "request refused", m)
                replies[m["id"]] = m["cookie"]
    except Closed:
        pass
    check(sorted(replies) == list(range(1, 11)),
          "v%d: replies for ids %r" % (version, sorted(replies)))
    check(sorted(events) == sorted(replies.values()) and
          all(e["ok"] for e in events.values()),
          "v%d: events %r" % (version, events))
    c.close()
print("ok")
PY

for v in 1 2; do
    for (( i=1; i <= 10; i++ )); do
        grep -qx "$(( (v*100 + i) * 1048576 )) 1048576" <(cache_lines "$tmpdir/log") ||
            fail "v$v: request $i did not reach the server"
    done
done
grep -q "ignoring 26 bytes after its last message" "$tmpdir/nbdcached.log" ||
    fail "the trailing bytes were not logged"
stop_nbdcached
