#!/usr/bin/env bash
# Protocol version 2 (PROTOCOL.md 4.2): the daemon may hold a cache
# request's cookie reply for up to 1 ms, to send it together with a
# fast request's event.  Whatever the timing:
#  - a version 1 client gets its reply at once, as before;
#  - a version 2 client gets each reply no later than 1 ms (plus
#    scheduling) after the request, and always before the event;
#  - replies stay in request order: a held reply goes out before any
#    later reply, error or not;
#  - every cookie gets one reply and one event.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

# Cache requests take 1 s: a reply that waited for its event would
# arrive a second late.
start_slow_disk 1
start_nbdcached_nodedup disk="$disk_uri"

run_py <<'PY'
import time
from rawclient import Client, cache_lines, check, expect_error

def cache(c, offset, rid, count=4096):
    c.send({"op": "cache", "id": rid, "export": "disk",
            "offset": offset, "count": count})

# Both versions are spoken; the daemon answers with the smaller.
for v, want in ((1, 1), (2, 2), (3, 2)):
    c = Client()
    check(c.hello(v)["version"] == want, "hello version %d" % v)
    c.close()

for version in (1, 2):
    c = Client()
    c.hello(version)
    # A slow request: the reply must not wait for the event.
    t0 = time.monotonic()
    cache(c, 0, 10)
    r = c.recv(timeout=0.5)
    t_reply = time.monotonic() - t0
    check(r == {"id": 10, "cookie": 1, "ok": True},
          "v%d: reply before the event" % version, r)
    check(t_reply < 0.5, "v%d: reply took %.3f s" % (version, t_reply))
    ev = c.recv(timeout=5)
    check(ev == {"event": "complete", "cookie": 1, "id": 10, "ok": True},
          "v%d: event" % version, ev)
    check(time.monotonic() - t0 >= 0.9, "v%d: the event came early"
          % version)

    # A held reply goes out before a later error reply and a later
    # reply to another op, in request order.
    batch = (b'{"op":"cache","id":20,"export":"disk","offset":8192,"count":1}\n'
             b'{"op":"cache","id":21,"export":"disk","offset":0,"count":0}\n'
             b'{"op":"exports","id":22}\n'
             b'{"op":"cache","id":23,"export":"disk","offset":16384,"count":1}\n')
    c.send_raw(batch)
    got = [c.recv(timeout=0.5) for _ in range(4)]
    check([m.get("id") for m in got] == [20, 21, 22, 23],
          "v%d: replies in request order" % version, got)
    check(got[0] == {"id": 20, "cookie": 2, "ok": True}, "reply 20", got[0])
    expect_error(got[1], "EINVAL", 21)
    check(got[2]["ok"] and "exports" in got[2], "reply 22", got[2])
    check(got[3] == {"id": 23, "cookie": 3, "ok": True}, "reply 23", got[3])
    evs = sorted((c.recv(timeout=5) for _ in range(2)),
                 key=lambda m: m["cookie"])
    check(evs == [{"event": "complete", "cookie": 2, "id": 20, "ok": True},
                  {"event": "complete", "cookie": 3, "id": 23, "ok": True}],
          "v%d: events" % version, evs)
    c.expect_silence(0.3)
    c.close()

# Many pipelined requests on version 2: one reply and one event per
# cookie, each reply before its event, replies in request order.
c = Client()
c.hello(2)
N = 64
c.send_raw(cache_lines("disk", [(i * 4096, 4096) for i in range(N)],
                       first_id=100))
replies, events, seen_reply = [], {}, set()
while len(replies) < N or len(events) < N:
    m = c.recv(timeout=10)
    if "event" in m:
        check(m["cookie"] in seen_reply, "event before its reply", m)
        check(m["cookie"] not in events, "cookie completed twice", m)
        events[m["cookie"]] = m
    else:
        check(m["ok"], "request refused", m)
        check(m["cookie"] not in seen_reply, "two replies for a cookie", m)
        seen_reply.add(m["cookie"])
        replies.append(m)
check([r["id"] for r in replies] == list(range(100, 100 + N)),
      "pipelined replies in request order")
check(all(events[r["cookie"]]["id"] == r["id"] for r in replies),
      "events match their replies")
c.expect_silence(0.3)
c.close()

# A message too long to frame, after a held reply: the reply still
# comes first, then the EMSGSIZE error, then the daemon closes.
c = Client()
c.hello(2)
c.send_raw(b'{"op":"cache","id":30,"export":"disk","offset":2097152,"count":1}\n'
           + b"x" * 70000)
r = c.recv(timeout=2)
check(r == {"id": 30, "cookie": 1, "ok": True}, "held reply before the error", r)
expect_error(c.recv(timeout=2), "EMSGSIZE")
c.expect_closed(2)
c.close()

# A client that goes away with replies held: the daemon carries on.
c = Client()
c.hello(2)
cache(c, 1 << 20, 1)
c.close()
c = Client()
c.hello(2)
check(c.request({"op": "stats"})["ok"], "stats after a client left")
c.close()
PY

# What reached the server: every accepted request of the first two
# clients and of the pipelined one, once each (those of the clients
# that left, at 1048576 and 2097152, may or may not have been sent).
n=$(cache_lines "$tmpdir/log" | grep -Evc '^(1048576|2097152) ' || :)
[ "$n" -eq 70 ] ||
    fail "expected 2 x 3 + 64 = 70 Cache requests at the server, got $n"
stop_nbdcached
