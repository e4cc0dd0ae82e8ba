#!/usr/bin/env bash
# Clients share an export's pool fairly: a client's one request does
# not wait behind the many requests another client queued first
# (pending.c: the export serves its clients' flows in turn).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

# One connection, one command at a time, 50 ms per Cache: the greedy
# client's 20 one-chunk requests take a second on their own.
start_slow_disk 50ms
start_nbdcached_export disk "$disk_uri" connections=1 max-in-flight=1

run_py <<'PY'
from rawclient import Client, check

M = 1 << 20
greedy = Client()
greedy.hello()
polite = Client()
polite.hello()
for k in range(20):
    greedy.send({"op": "cache", "id": k + 1, "export": "disk",
                 "offset": k * 32 * M, "count": 32 * M})
for k in range(20):
    check(greedy.recv()["ok"], "greedy: reply", k)
polite.send({"op": "cache", "id": 1, "export": "disk", "offset": 900 * M,
             "count": M})
check(polite.recv()["ok"], "polite: reply")
ev = polite.recv(timeout=5)
check(ev.get("event") == "complete" and ev["ok"], "polite: event", ev)
# Every one of the greedy client's requests still completes, once.
done = set()
while len(done) < 20:
    ev = greedy.recv(timeout=5)
    check(ev.get("event") == "complete" and ev["ok"], "greedy: event", ev)
    check(ev["id"] not in done, "greedy: one event per request", ev)
    done.add(ev["id"])
greedy.expect_silence(0.1)
print("ok")
PY

# In the server's order, the polite client's chunk came within the
# first few, not after the greedy client's twenty.
pos=$(grep ' Cache id=' "$tmpdir/log" | grep -n 'offset=0x38400000 ' | cut -d: -f1)
total=$(grep -c ' Cache id=' "$tmpdir/log")
echo "the polite client's request was Cache number $pos of $total"
[ "$total" -eq 21 ] || fail "expected 21 Cache commands, got $total"
[ -n "$pos" ] && [ "$pos" -le 3 ] || fail "the polite client waited behind the greedy one"
