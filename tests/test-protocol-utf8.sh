#!/usr/bin/env bash
# Every message the daemon sends is valid UTF-8 JSON (PROTOCOL.md
# section 1), also error messages that quote what the client sent:
# quoting a long name must not cut a multi-byte character in half.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"

run_py <<'PY'
import json, sys
from rawclient import Client, check

c = Client()
c.hello()
failures = []
# Names of 1 + 2*n bytes, so that any cut at an even byte count falls
# inside a character; also 3- and 4-byte characters.
for name in ["a" + "\u00e9" * 40, "\u00e9" * 40, "ab" + "\u20ac" * 30,
             "a" + "\U0001f600" * 20, "\"\\" * 40]:
    for line in (
        {"op": "cache", "id": 2, "export": name, "offset": 0, "count": 1},
        {"op": name, "id": 3},
        {"op": "exports", "id": 4, name: 1},
    ):
        c.send_line(json.dumps(line, ensure_ascii=False))
        raw = c.recv_line()
        try:
            msg = json.loads(raw.decode("utf-8"))
            check(msg["ok"] is False and msg["id"] == line["id"], "reply", msg)
            check(msg["error"]["message"].isprintable(), "message", msg)
        except Exception as e:
            failures.append("%r\n  -> %r\n  %s" % (line, raw, e))
        # Still in step.
        r = c.request({"op": "exports"})
        check(r["ok"], "exports", r)
# A long client name in hello is kept cut at a character boundary: it
# comes back in stats and clients, which must stay valid for everyone.
for name in ["a" + "\u00e9" * 40, "ab" + "\u20ac" * 30, "\U0001f600" * 20]:
    m = Client()
    m.send_line(json.dumps({"op": "hello", "id": 1, "version": 1,
                            "client": name}, ensure_ascii=False))
    m.recv()
    for op in ("stats", "clients"):
        m.send_line(json.dumps({"op": op, "id": 2}))
        raw = m.recv_line()
        try:
            msg = json.loads(raw.decode("utf-8"))
            names = [x["name"] for x in msg.get("client_list", msg.get("clients", []))]
            check(any(name.startswith(x) and len(x.encode()) > 50 for x in names),
                  "the long name is missing or too short", names)
        except Exception as e:
            failures.append("%s with client %r\n  -> %r\n  %s" % (op, name, raw[:300], e))
    m.close()
if failures:
    sys.exit("FAIL: %d replies are not valid UTF-8 JSON:\n%s"
             % (len(failures), "\n".join(failures)))
print("ok")
PY
