#!/usr/bin/env bash
# A client that sends half a message and stalls holds nothing up: other
# clients are served meanwhile, and when it finishes its line it gets
# its reply.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"

run_py <<'EOP'
from rawclient import Client, check
staller = Client()
staller.hello()
staller.send_raw('{"op":"cache","export":"disk","off')
other = Client()
other.hello()
r = other.request({"op": "cache", "export": "disk", "offset": 0, "count": 4096})
check(r["ok"], "other client's cache refused", r)
check(other.wait_complete(r["cookie"])["ok"], "other client's cache failed")
staller.expect_silence(0.3)
staller.send_line('set":0,"count":4096,"id":9}')
r = staller.recv_reply()
check(r["ok"] and r["id"] == 9, "stalled request not answered", r)
check(staller.wait_complete(r["cookie"])["ok"], "stalled request failed")
EOP
stop_nbdcached
