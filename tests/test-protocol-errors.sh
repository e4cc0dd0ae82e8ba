#!/usr/bin/env bash
# Bad requests after hello (PROTOCOL.md sections 1, 4.2 and 5): each
# gets an ok:false reply with the specified errno and id, nothing
# reaches the NBD server, and the connection stays usable.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk
start_nbdcached -e disk="$disk_uri"

run_py <<'PY'
import sys
from rawclient import Client, ProtocolTestError, check, expect_error

G = 1 << 30
deep = '{"a":' * 20 + '1' + '}' * 20

# (line, errno, id in the reply, what the message should mention)
cases = [
    # Not JSON, not an object, trailing text.
    (b'{"op":', "EINVAL", None, None),
    (b'{"op":"exports","id":3', "EINVAL", None, None),
    (b'[1,2]', "EINVAL", None, "object"),
    (b'"hello"', "EINVAL", None, None),
    (b'42', "EINVAL", None, None),
    (b'{"op":"exports","id":3} x', "EINVAL", None, None),
    (b'{"op":"exports","id":3}{"op":"exports","id":4}', "EINVAL", None, None),
    (b"{'op':'exports','id':3}", "EINVAL", None, None),
    (b'{"op":"exports","id":3,}', "EINVAL", None, None),
    # NUL byte, invalid UTF-8, depth.
    (b'{"op":"exports","id":3}\0', "EINVAL", None, "NUL"),
    (b'{"op":"exports",\0"id":3}', "EINVAL", None, "NUL"),
    (b'{"op":"cache","id":3,"export":"\xff\xfe","offset":0,"count":1}',
     "EINVAL", None, None),
    (b'{"op":"cache","id":3,"export":"\xc3","offset":0,"count":1}',
     "EINVAL", None, None),
    (('{"op":"exports","id":3,"x":%s}' % deep).encode(), "EINVAL", None,
     "nested"),
    # id.
    (b'{"op":"exports"}', "EINVAL", None, "id"),
    (b'{"op":"exports","id":0}', "EINVAL", None, "id"),
    (b'{"op":"exports","id":"3"}', "EINVAL", None, "id"),
    (b'{"op":"exports","id":-3}', "EINVAL", None, "id"),
    (b'{"op":"exports","id":3.5}', "EINVAL", None, "id"),
    (b'{"op":"exports","id":null}', "EINVAL", None, "id"),
    # An id out of range cannot be read either: it is not echoed.
    (b'{"op":"exports","id":9223372036854775808}', "ERANGE", None, "id"),
    (b'{"op":"exports","id":18446744073709551616}', "ERANGE", None, "id"),
    # op.
    (b'{"id":5}', "EINVAL", 5, "op"),
    (b'{"op":7,"id":5}', "EINVAL", 5, "op"),
    (b'{"op":"nosuch","id":5}', "ENOSYS", 5, "nosuch"),
    (b'{"op":"EXPORTS","id":5}', "ENOSYS", 5, None),
    # Members.
    (b'{"op":"exports","id":6,"bogus":1}', "EINVAL", 6, "bogus"),
    # A repeated member: refused, not "the last one counts" (this one
    # would warm, where a reader keeping the first would list exports).
    (b'{"op":"exports","id":6,"op":"cache","export":"disk","offset":0,'
     b'"count":1}', "EINVAL", None, "repeats a member name"),
    (b'{"op":"cache","id":6,"export":"disk","offset":0,"count":1,"x":0}',
     "EINVAL", 6, '"x"'),
    (b'{"op":"cache","id":6,"export":"disk","offset":0}', "EINVAL", 6,
     "count"),
    (b'{"op":"cache","id":6,"offset":0,"count":1}', "EINVAL", 6, "export"),
    (b'{"op":"cache","id":6,"export":"disk","count":1}', "EINVAL", 6,
     "offset"),
    (b'{"op":"cache","id":6,"export":"disk","offset":"0","count":1}',
     "EINVAL", 6, "offset"),
    (b'{"op":"cache","id":6,"export":"disk","offset":null,"count":1}',
     "EINVAL", 6, "offset"),
    (b'{"op":"cache","id":6,"export":"disk","offset":[0],"count":1}',
     "EINVAL", 6, "offset"),
    (b'{"op":"cache","id":6,"export":"disk","offset":true,"count":1}',
     "EINVAL", 6, "offset"),
    (b'{"op":"cache","id":6,"export":5,"offset":0,"count":1}', "EINVAL", 6,
     "export"),
    # Numbers.
    (b'{"op":"cache","id":7,"export":"disk","offset":-1,"count":1}',
     "EINVAL", 7, "negative"),
    (b'{"op":"cache","id":7,"export":"disk","offset":0,"count":1.5}',
     "EINVAL", 7, "count"),
    (b'{"op":"cache","id":7,"export":"disk","offset":0,"count":1.0}',
     "EINVAL", 7, "count"),
    (b'{"op":"cache","id":7,"export":"disk","offset":0,"count":1e3}',
     "EINVAL", 7, "count"),
    (b'{"op":"cache","id":7,"export":"disk","offset":18446744073709551616,'
     b'"count":1}', "ERANGE", 7, "offset"),
    (b'{"op":"cache","id":7,"export":"disk","offset":0,'
     b'"count":99999999999999999999999}', "ERANGE", 7, "count"),
    (b'{"op":"cache","id":7,"export":"disk","offset":9223372036854775808,'
     b'"count":1}', "ERANGE", 7, "offset"),
    (b'{"op":"cache","id":7,"export":"disk","offset":-9223372036854775809,'
     b'"count":1}', "EINVAL", 7, "offset"),
    # What the cache op checks (section 4.2).
    (b'{"op":"cache","id":8,"export":"disk","offset":0,"count":0}',
     "EINVAL", 8, "count"),
    (('{"op":"cache","id":8,"export":"disk","offset":%d,"count":1}' % G)
     .encode(), "EINVAL", 8, "past the end"),
    (('{"op":"cache","id":8,"export":"disk","offset":%d,"count":2}' % (G - 1))
     .encode(), "EINVAL", 8, "past the end"),
    (b'{"op":"cache","id":8,"export":"disk","offset":9223372036854775807,'
     b'"count":9223372036854775807}', "EINVAL", 8, "past the end"),
    (b'{"op":"cache","id":8,"export":"disk","offset":1,'
     b'"count":9223372036854775807}', "EINVAL", 8, "past the end"),
    (b'{"op":"cache","id":8,"export":"nosuch","offset":0,"count":1}',
     "ENOENT", 8, "nosuch"),
    (b'{"op":"cache","id":8,"export":"","offset":0,"count":1}',
     "ENOENT", 8, None),
    (b'{"op":"cache","id":8,"export":"DISK","offset":0,"count":1}',
     "ENOENT", 8, None),
    (b'{"op":"cache","id":8,"export":"disk","offset":0,"count":1,"flags":1}',
     "EINVAL", 8, "flags"),
    (b'{"op":"cache","id":8,"export":"disk","offset":0,"count":1,'
     b'"flags":2147483648}', "EINVAL", 8, "flags"),
    # A large id is echoed exactly.
    (b'{"op":"nosuch","id":9223372036854775807}', "ENOSYS",
     9223372036854775807, None),
]

# Check every case, and report all the failures at the end.
failures = []
c = Client()
c.hello()
for line, errno, rid, mention in cases:
    c.send_line(line)
    r = c.recv()
    try:
        check("event" not in r, "an event for a rejected request", r)
        expect_error(r, errno, rid)
        if mention is not None:
            check(mention.lower() in r["error"]["message"].lower(),
                  "the message does not mention %r" % mention, r)
    except ProtocolTestError as e:
        failures.append("%r:\n  %s" % (line, e))
    # The connection is still usable.
    r = c.request({"op": "exports", "id": 1000})
    check(r["ok"], "exports after %r" % line, r)

# Blank lines get no reply at all.
c.send_raw(b"\n \n\t\r\n")
c.expect_silence(0.3)

# Members may come in any order, "flags":0 is allowed, and whitespace
# (space, tab, CR) around the object is fine.
c.send_line(b' \t{"count":4096,"flags":0,"offset":8192,"export":"disk",'
            b'"id":11,"op":"cache"}\t\r')
r = c.recv()
check(r == {"id": 11, "cookie": 1, "ok": True}, "a valid request", r)
ev = c.wait_complete(1)
check(ev == {"event": "complete", "cookie": 1, "id": 11, "ok": True},
      "complete event", ev)
c.expect_silence(0.3)
c.close()
if failures:
    sys.exit("FAIL: %d of %d bad requests got a wrong reply:\n%s"
             % (len(failures), len(cases), "\n".join(failures)))
print("ok: %d bad requests" % len(cases))
PY

# Only the one valid request reached the server.
[ "$(cache_lines "$tmpdir/log")" = "8192 4096" ] ||
    fail "unexpected Cache requests: $(cache_lines "$tmpdir/log")"
