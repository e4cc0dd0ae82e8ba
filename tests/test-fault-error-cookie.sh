#!/usr/bin/env bash
# Server errors reach the cookie whose chunk failed, and only it: with
# the error filter switched on (its file exists) a request fails with
# EIO; switched off, the next succeeds, on the same connections (no
# reconnect).  A random 50% error rate fails some requests, never
# loses or doubles a completion, and never drops a connection.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter error

start_nbdkit disk --filter=error memory 1G \
    error-cache=EIO error-cache-rate=100% error-cache-file="$tmpdir/errors-on"
start_nbdcached -e disk="$disk_uri"

touch "$tmpdir/errors-on"
status=0
ctl cache disk 0 1M 2> "$tmpdir/err" || status=$?
[ $status -eq 1 ] || fail "cache with errors on exited $status"
grep -q "Input/output error" "$tmpdir/err" || fail "not EIO: $(cat "$tmpdir/err")"
rm "$tmpdir/errors-on"
ctl cache disk 0 1M

# A mix: each request is one chunk, half of them fail.
kill_and_wait "$disk_pid"
stop_nbdcached
rm -f "$tmpdir/disk.sock"
start_nbdkit disk --filter=error memory 1G error-cache=EIO error-cache-rate=50%
# One request, one NBD command: no coalescing or dedup to merge them.
start_nbdcached_nodedup disk="$disk_uri"
pipeline disk 400 65536 30 > "$tmpdir/result"
cat "$tmpdir/result"
python3 - "$tmpdir/result" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["accepted"] == 400, r
assert r["ok"] + r["failed"].get("EIO", 0) == 400, r
assert 100 < r["ok"] < 300, r          # about half
EOP
ctl stats --json > "$tmpdir/stats"
[ "$(jq '[j["exports"][0]["reconnects"], j["exports"][0]["connections_up"]]' \
     < "$tmpdir/stats")" = '[0, 4]' ] || fail "a server error dropped a connection: $(cat "$tmpdir/stats")"
stop_nbdcached
