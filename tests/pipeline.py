#!/usr/bin/env python3
# pipeline.py EXPORT N SIZE [TIMEOUT] [STRIDE] [VERSION]
#
# Send N cache requests of SIZE bytes (at offsets 0, STRIDE, 2*STRIDE,
# ...; STRIDE defaults to SIZE, also when given as "") on one
# connection without waiting, speaking protocol VERSION (default 1),
# then collect every reply and event.  Checks the exactly-once rule of
# proto/PROTOCOL.md: every accepted request's cookie is unique and >= 1,
# its reply comes before its event, and it gets exactly one event.
# Prints a JSON summary: {"accepted": n, "rejected": {errno: n},
# "ok": n, "failed": {errno: n}} and exits 1 on any violation.
#
# Exits 3, printing {"closed": "..."} or {"hello": ERRNO}, if the
# daemon closed the connection or refused "hello": outcomes a test of
# the daemon's failures (test-fault-alloc.sh) may accept, and that no
# other test does.

import json
import os
import sys
import time

sys.path.insert(0, os.environ["abs_srcdir"])
from rawclient import Client, Closed, check  # noqa: E402

export = sys.argv[1]
n = int(sys.argv[2])
size = int(sys.argv[3])
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
stride = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else size
version = int(sys.argv[6]) if len(sys.argv) > 6 else 1


def run():
    c = Client(timeout=timeout)
    reply = c.request({"op": "hello", "version": version,
                       "client": "rawclient"})
    if not reply["ok"]:
        print(json.dumps({"hello": reply["error"]["errno"]}))
        sys.exit(3)
    ids = [c.send({"op": "cache", "export": export, "offset": i * stride,
                   "count": size}) for i in range(n)]

    cookie_of = {}          # id -> cookie
    events = {}             # cookie -> [events]
    rejected = {}
    replies = 0
    deadline = time.monotonic() + timeout
    while replies < n or sum(len(v) for v in events.values()) < len(cookie_of):
        msg = c.recv(max(deadline - time.monotonic(), 0.001))
        if "event" in msg:
            cookie = msg["cookie"]
            check(cookie in cookie_of.values(),
                  "event for a cookie whose reply has not arrived", msg)
            events.setdefault(cookie, []).append(msg)
            continue
        check(msg["id"] == ids[replies], "replies out of order", msg)
        replies += 1
        if msg["ok"]:
            cookie = msg["cookie"]
            check(cookie >= 1 and cookie not in cookie_of.values(),
                  "cookie not unique or < 1", msg)
            cookie_of[msg["id"]] = cookie
        else:
            e = msg["error"]["errno"]
            rejected[e] = rejected.get(e, 0) + 1

    # Anything more would be a duplicate completion.
    c.expect_silence(0.5)
    ok = 0
    failed = {}
    for cookie in cookie_of.values():
        evs = events.get(cookie, [])
        check(len(evs) == 1, "cookie %d got %d events" % (cookie, len(evs)), evs)
        if evs[0]["ok"]:
            ok += 1
        else:
            e = evs[0]["error"]["errno"]
            failed[e] = failed.get(e, 0) + 1
    print(json.dumps({"accepted": len(cookie_of), "rejected": rejected,
                      "ok": ok, "failed": failed}, sort_keys=True))


try:
    run()
except (Closed, ConnectionError) as e:
    print(json.dumps({"closed": str(e) or type(e).__name__}))
    sys.exit(3)
