#!/usr/bin/env bash
# A connection on a worker thread holds chunks queued behind its full
# set of commands in flight (daemon/request.c, conn_capacity).  Pausing
# the export must hold those back too: when the commands in flight
# finish, the queued chunk is handed back unsent, is not counted as
# sent or as a retry, and goes out once the export is resumed.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

# Every Cache takes 2 s (10 s under valgrind, where each check below
# takes a second or more).  Two connections (0 on the main loop, 1 on
# a worker thread), one command in flight on each.
if measuring; then delay=2; else delay=10; fi
start_slow_disk $delay
start_nbdcached_export disk "$disk_uri" connections=2 max-in-flight=1 \
    warm-ttl=0 coalesce=false -- --threads 1

stat_of () { ctl stats --json | jq "j['exports'][0]['$1']"; }
arrived () { cache_lines "$tmpdir/log" | wc -l; }
returned () { grep -c '\.\.\.Cache id=[0-9]* return=' "$tmpdir/log" || :; }
both_up () { [ "$(stat_of connections_up)" -eq 2 ]; }
wait_until 30 both_up || fail "the two connections did not come up"

# Four 64K requests at once, pipelined by one client (so that they
# arrive together however slowly processes start): one in flight on
# each connection, one queued on connection 1, one waiting in the
# daemon.  The client waits for all four events.
run_py_bg <<'PY'
from rawclient import Client, check
c = Client(timeout=60)
c.hello()
cookies = [c.request({"op": "cache", "export": "disk", "offset": m << 20,
                      "count": 65536})["cookie"] for m in range(4)]
for k in cookies:
    check(c.wait_complete(k)["ok"], "a cache request failed")
PY
client=$py_pid
for (( i=0; i < 100; i++ )); do
    [ "$(arrived)" -ge 2 ] && [ "$(stat_of chunks)" -ge 3 ] && break
    sleep 0.05
done
[ "$(arrived)" -eq 2 ] || fail "expected 2 Caches in flight, saw $(arrived)"
[ "$(stat_of chunks_in_flight)" -eq 3 ] ||
    fail "expected a chunk queued on connection 1: $(ctl stats --json)"
# The fourth waits for a turn in the pool: "queued", for the export and
# for its client (the one with requests in flight).
client_queued () {
    ctl clients --json | jq '[c["queued"] for c in j if c["in_flight"] > 0]'
}
[ "$(stat_of queued)" -eq 1 ] || fail "expected 1 request queued: $(ctl stats --json)"
[ "$(client_queued)" = "[1]" ] || fail "expected the client's 1 queued: $(ctl clients --json)"

ctl pause disk
# The two in flight finish; nothing more may reach the server.
for (( i=0; i < 300; i++ )); do
    [ "$(returned)" -ge 2 ] && break
    sleep 0.1
done
[ "$(returned)" -eq 2 ] || fail "the commands in flight did not finish"
sleep 1
[ "$(arrived)" -eq 2 ] ||
    fail "a queued chunk reached the server while paused: $(cache_lines "$tmpdir/log")"
[ "$(stat_of chunks_in_flight)" -eq 0 ] || fail "chunks still out while paused"
[ "$(stat_of chunks)" -eq 2 ] || fail "a held-back chunk was counted as sent"
[ "$(stat_of in_flight)" -eq 2 ] || fail "expected 2 requests waiting"
# Of those, the held-back chunk's request has no bytes left to hand
# out (its chunk waits to be sent again); the fourth is still queued.
[ "$(stat_of queued)" -eq 1 ] || fail "expected 1 request queued while paused"

ctl resume disk
wait $client || fail "a cache request failed after resume"
[ "$(cache_lines "$tmpdir/log" | awk '{print $1}' | tr '\n' ' ')" = \
  "0 1048576 2097152 3145728 " ] ||
    fail "each range must reach the server once: $(cache_lines "$tmpdir/log")"
[ "$(stat_of chunks)" -eq 4 ] && [ "$(stat_of retries)" -eq 0 ] &&
    [ "$(stat_of queued)" -eq 0 ] ||
    fail "stats after resume: $(ctl stats --json)"
