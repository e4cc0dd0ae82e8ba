#!/usr/bin/env bash
# The message size limit (PROTOCOL.md sections 1 and 5): a line of
# 65535 bytes is accepted; a longer one, or 65536 bytes without an LF
# yet, gets an EMSGSIZE error with id null and the connection closes.
# Other clients are not affected.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"

run_py <<'PY'
from rawclient import Client, check, expect_error

LIMIT = 65535                   # bytes, LF excluded

def padded(n, rid=2):
    """A valid exports request padded with blanks to N bytes."""
    body = b'{"op":"exports","id":%d}' % rid
    return body + b" " * (n - len(body))

bystander = Client()
bystander.hello()

# Exactly the limit: fine, and the connection goes on.
c = Client()
c.hello()
c.send_line(padded(LIMIT))
r = c.recv()
check(r["ok"] and r["id"] == 2, "a %d-byte line was refused" % LIMIT, r)
# The limit split across writes, the LF coming late: still fine.
c.send_raw(padded(LIMIT, 3))
c.expect_silence(0.3)
c.send_raw(b"\n")
r = c.recv()
check(r["ok"] and r["id"] == 3, "a late LF", r)
r = c.request({"op": "exports"})
check(r["ok"], "exports after the longest line", r)
c.close()

def too_long(data, hello=True):
    c = Client()
    if hello:
        c.hello()
    c.send_raw(data)
    r = c.recv()
    expect_error(r, "EMSGSIZE", None)
    check(r["error"]["message"] == "message longer than 65535 bytes",
          "the limit it names", r)
    c.expect_closed()

# One byte over, with its LF.
too_long(padded(LIMIT + 1) + b"\n")
# Well over.
too_long(padded(70000) + b"\n")
# 65536 bytes and no LF: the daemon does not wait for the end.
too_long(padded(LIMIT + 1))
# Before hello too.
too_long(padded(70000) + b"\n", hello=False)
# Several messages in one write are fine, as long as each is short:
# the limit is per line, not per read.
c = Client()
c.hello()
c.send_raw(b"".join(padded(30000, 10 + i) + b"\n" for i in range(4)))
for i in range(4):
    r = c.recv()
    check(r["ok"] and r["id"] == 10 + i, "batched long lines", r)
c.close()

# The daemon still serves the first client.
r = bystander.request({"op": "exports"})
check(r["ok"], "the bystander was disturbed", r)
print("ok")
PY
