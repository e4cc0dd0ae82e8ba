#!/usr/bin/env bash
# The protocol handshake (PROTOCOL.md section 3): hello must come
# first; the daemon picks the smaller version; version 0, a request
# before hello, and an undecodable first message close the connection;
# a second hello is refused but harmless; a client that says nothing
# is closed after hello-timeout.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
printf '[daemon]\nhello-timeout = 1\n' > "$tmpdir/conf"
start_nbdcached -c "$tmpdir/conf" -e disk="$disk_uri"

version="$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
               "$abs_builddir/../config.h")"
export version

run_py <<'PY'
import os
from rawclient import Client, check, expect_error

# hello, version 1: the full reply.
c = Client()
c.send_line('{"op":"hello","id":1,"version":1,"client":"test"}')
r = c.recv()
check(r == {"id": 1, "version": 1,
            "server": "nbdcached " + os.environ["version"],
            "max_message": 65536, "ok": True}, "hello reply", r)
# The connection is usable.
r = c.request({"op": "exports"})
check(r["ok"] and r["exports"][0]["name"] == "disk", "exports after hello", r)

# A second hello: EPROTO, and the connection stays.
r = c.request({"op": "hello", "version": 1})
expect_error(r, "EPROTO", r["id"])
r = c.request({"op": "exports"})
check(r["ok"], "exports after a second hello", r)
c.close()

# A newer client: the daemon answers with its own version.
c = Client()
r = c.request({"op": "hello", "version": 99})
check(r["ok"] and r["version"] == 2, "hello version 99", r)
r = c.request({"op": "exports"})
check(r["ok"], "exports after hello 99", r)
c.close()

# The name is shown to others (clients, stats, the log): control
# characters in it become "?".
c = Client()
r = c.request({"op": "hello", "version": 1, "client": "a\u001b[31mb\nc\u007f"})
check(r["ok"], "hello with control characters", r)
names = [x["name"] for x in c.request({"op": "clients"})["clients"]]
check("a?[31mb?c?" in names, "control characters in the name", names)
c.close()

# "client" is optional.
c = Client()
r = c.request({"op": "hello", "version": 1, "id": 7})
check(r["ok"] and r["id"] == 7, "hello without client", r)
c.close()

# Version 0 is below what the daemon speaks: EPROTONOSUPPORT, close.
c = Client()
r = c.request({"op": "hello", "version": 0})
expect_error(r, "EPROTONOSUPPORT", 1)
c.expect_closed()

# Any other request first: EPROTO, close.
for first in ('{"op":"exports","id":1}', '{"op":"stats","id":1}',
              '{"op":"cache","id":1,"export":"disk","offset":0,"count":1}'):
    c = Client()
    c.send_line(first)
    r = c.recv()
    expect_error(r, "EPROTO", 1)
    c.expect_closed()

# A first message that cannot be decoded: an error, then close.
for first, errno, rid in (('{"op":', "EINVAL", None),
                          ('{"op":"hello","id":1}', "EINVAL", 1),
                          ('{"op":"hello","id":1,"version":"1"}', "EINVAL", 1),
                          ('{"op":"hello","id":1,"version":1,"bogus":1}',
                           "EINVAL", 1),
                          ('{"op":"hello","id":1,"version":1,"client":5}',
                           "EINVAL", 1)):
    c = Client()
    c.send_line(first)
    r = c.recv()
    expect_error(r, errno, rid)
    c.expect_closed()

# Blank lines before hello are ignored, and do not count as the first
# message.
c = Client()
c.send_raw(b"\n  \t\r\n")
c.expect_silence(0.3)
c.hello()
r = c.request({"op": "exports"})
check(r["ok"], "exports after blank lines and hello", r)
c.close()

# Pipelined: hello and requests sent together are answered in order.
c = Client()
c.send_raw(b'{"op":"hello","id":1,"version":1}\n'
           b'{"op":"exports","id":2}\n{"op":"stats","id":3}\n')
ids = [c.recv()["id"] for _ in range(3)]
check(ids == [1, 2, 3], "pipelined replies out of order", ids)
c.close()

# A client that never says hello is closed after hello-timeout (1 s);
# one that did is not.
import time
silent, talker = Client(), Client()
talker.hello()
start = time.monotonic()
silent.expect_closed(timeout=5)
check(time.monotonic() - start >= 0.8, "closed before hello-timeout")
talker.expect_silence(0.3)
check(talker.request({"op": "exports"})["ok"], "a client past hello was closed")
print("ok")
PY
