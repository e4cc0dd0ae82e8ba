#!/usr/bin/env bash
# A client that disconnects with many requests in flight: the chunks
# already at the server finish and are dropped, no further chunks are
# sent for it, nothing leaks, and another client is not disturbed.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_slow_disk 100ms
start_nbdcached -e disk="$disk_uri"

run_py "$tmpdir/log" <<'EOP'
import sys, time
from rawclient import Client
c = Client()
c.hello()
for i in range(100):                 # 100 x 1 GiB: thousands of chunks
    c.send({"op": "cache", "export": "disk", "offset": 0, "count": 1 << 30})
time.sleep(0.5)
c.close()                            # gone without reading anything
n = sum(1 for l in open(sys.argv[1]) if " Cache id=" in l and "offset=" in l)
open(sys.argv[1] + ".at-close", "w").write("%d\n" % n)
EOP
ctl cache disk 0 1M                  # another client is served
for (( i=0; i < 100; i++ )); do
    [ "$(ctl stats --json | jq \
         '[j["in_flight"], j["exports"][0]["chunks_in_flight"]]')" = '[0, 0]' ] && break
    sleep 0.1
done
(( i < 100 )) || fail "the gone client's requests never drained"
at_close="$(cat "$tmpdir/log.at-close")"
sent="$(cache_lines "$tmpdir/log" | wc -l)"
echo "$at_close chunks had reached the server at the disconnect, $sent in the end"
# 100 GiB were asked for (3200 chunks).  After the disconnect only what
# was already queued in the pool (4 connections x 64) and the other
# client's one chunk may still reach the server.
[ $((sent - at_close)) -le $((4 * 64 + 1)) ] ||
    fail "$((sent - at_close)) chunks sent for a client that had gone"
stop_nbdcached
