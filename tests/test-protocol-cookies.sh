#!/usr/bin/env bash
# Cookies and completion events (PROTOCOL.md section 4.2 and 4.3): an
# accepted cache request gets a reply with a cookie before its one
# complete event; cookies number the accepted requests 1, 2, 3, ... per
# connection; rejected requests take no cookie; pipelined requests are
# answered in order and each completed exactly once.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk
start_nbdcached_nodedup disk="$disk_uri"

run_py <<'PY'
from rawclient import Client, check, expect_error

M = 1 << 20

def cache(c, offset, count, rid):
    c.send({"op": "cache", "id": rid, "export": "disk",
            "offset": offset, "count": count})

# One request: the reply, then the event, nothing else.
c = Client()
c.hello()
cache(c, 0, M, 5)
r = c.recv()
check(r == {"id": 5, "cookie": 1, "ok": True}, "cache reply", r)
ev = c.recv()
check(ev == {"event": "complete", "cookie": 1, "id": 5, "ok": True},
      "complete event", ev)
c.expect_silence(0.3)

# A rejected request takes no cookie; the next accepted one is 2.
cache(c, 0, 0, 6)
expect_error(c.recv(), "EINVAL", 6)
cache(c, M, 3 * 32 * M, 7)       # three chunks, one event
r = c.recv()
check(r == {"id": 7, "cookie": 2, "ok": True}, "cookie after a rejection", r)
ev = c.recv()
check(ev == {"event": "complete", "cookie": 2, "id": 7, "ok": True},
      "complete event 2", ev)
c.expect_silence(0.3)

# 200 requests pipelined without reading, mixed with other ops and a
# rejected request.
N = 200
batch = b""
for i in range(N):
    batch += (b'{"op":"cache","id":%d,"export":"disk","offset":%d,"count":%d}\n'
              % (1000 + i, (i % 100) * 8 * M, 1 + i * 4099))
    if i == 50:
        batch += b'{"op":"exports","id":50}\n'
    if i == 100:
        batch += b'{"op":"cache","id":100,"export":"nosuch","offset":0,"count":1}\n'
c.send_raw(batch)

replies = []                    # in arrival order
completed = {}                  # cookie -> event
order = []                      # ("reply", cookie) / ("complete", cookie)
while len(replies) < N + 2 or len(completed) < N:
    m = c.recv()
    if "event" in m:
        check(m["event"] == "complete" and m["ok"], "bad event", m)
        check(m["cookie"] not in completed, "cookie completed twice", m)
        completed[m["cookie"]] = m
        order.append(("complete", m["cookie"]))
    else:
        replies.append(m)
        if "cookie" in m:
            order.append(("reply", m["cookie"]))

# Replies come in request order.
ids = [r["id"] for r in replies]
want = []
for i in range(N):
    want.append(1000 + i)
    if i == 50:
        want.append(50)
    if i == 100:
        want.append(100)
check(ids == want, "replies out of order", ids)
r = replies[ids.index(50)]
check(r["ok"] and "exports" in r, "exports reply", r)
expect_error(replies[ids.index(100)], "ENOENT", 100)

# Cookies: 3, 4, ..., N+2 in order, distinct.
cookies = [r["cookie"] for r in replies if "cookie" in r]
check(cookies == list(range(3, N + 3)), "cookies not 3..N+2", cookies)
check(all(r["ok"] for r in replies if "cookie" in r), "a cache failed")

# Each completed exactly once, with the id of its request, and only
# after its reply.
check(sorted(completed) == cookies, "completions do not match cookies",
      sorted(completed))
for r in replies:
    if "cookie" in r:
        check(completed[r["cookie"]]["id"] == r["id"], "event id mismatch",
              r, completed[r["cookie"]])
        check(order.index(("reply", r["cookie"]))
              < order.index(("complete", r["cookie"])),
              "complete before its reply", r)
c.expect_silence(0.3)

# A second connection numbers its cookies from 1 again, while the
# first goes on from where it was.
d = Client()
d.hello()
cache(d, 0, M, 1)
check(d.recv()["cookie"] == 1, "second connection: first cookie")
check(d.recv()["event"] == "complete", "second connection: event")
cache(c, 0, M, 2)
check(c.recv()["cookie"] == N + 3, "first connection: next cookie")
check(c.recv()["event"] == "complete", "first connection: event")
c.close()
d.close()
print("ok")
PY

# Every request reached the server: 1 + 3 + 200 + 2 requests, and
# the 200 pipelined ones added up to the right number of bytes.
ctl stats --json >"$tmpdir/stats"
[ "$(jq \
     '[j["exports"][0]["requests"], j["exports"][0]["errors"], j["in_flight"]]' \
     <"$tmpdir/stats")" = "[204, 0, 0]" ] ||
    fail "unexpected stats: $(cat "$tmpdir/stats")"
total=$(cache_lines "$tmpdir/log" | awk '{ s += $2 } END { print s }')
want=$(( 1048576 + 3*32*1048576 + 2*1048576 ))
for (( i=0; i < 200; i++ )); do want=$(( want + 1 + i*4099 )); done
[ "$total" -eq "$want" ] || fail "the server saw $total bytes, expected $want"
