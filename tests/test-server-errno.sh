#!/usr/bin/env bash
# Each error an NBD server can send for NBD_CMD_CACHE reaches the
# client as the complete event's errno name (PROTOCOL.md 4.3), with
# the failed chunk in the message.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter error

args=()
for e in EPERM EIO ENOMEM EINVAL ENOSPC; do
    start_nbdkit "$e" --filter=error memory 1G error-cache="$e" \
        error-cache-rate=1
    uri="${e}_uri"
    args+=(-e "$e=${!uri}")
done
start_nbdcached "${args[@]}"

run_py <<'PY'
from rawclient import Client, check, expect_error

c = Client()
c.hello()
for i, e in enumerate(["EPERM", "EIO", "ENOMEM", "EINVAL", "ENOSPC"]):
    r = c.request({"op": "cache", "export": e, "offset": 4096, "count": 8192})
    check(r["ok"] and r["cookie"] == i + 1, "reply", r)
    ev = c.wait_complete(r["cookie"])
    expect_error(ev, e, r["id"])
    check("chunk at offset 4096, 8192 bytes" in ev["error"]["message"],
          "the message does not name the chunk", ev)
print("ok")
PY

# The pools are all still up.
ctl exports --json >"$tmpdir/exports"
[ "$(jq '[e["state"] for e in j]' <"$tmpdir/exports")" = \
  '["up", "up", "up", "up", "up"]' ] || fail "an export went down"
