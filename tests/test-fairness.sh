#!/usr/bin/env bash
# An export's pool is shared fairly (pending.c), at every level:
# - between users: a user's one request does not wait behind one chunk
#   of each of another user's many connections;
# - between clients: a client's one request does not wait behind the
#   many requests another client queued first;
# - between a client's own requests: a small request sent after a huge
#   one is not queued behind all of the huge one's chunks.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

# One connection, one command at a time, 50 ms per Cache: twenty
# chunks take a second.  Part 2 warms part 1's ranges again: warm-ttl = 0,
# so that they reach the server again.
start_slow_disk 50ms
start_nbdcached_export disk "$disk_uri" connections=1 max-in-flight=1 \
    warm-ttl=0

# check_position PART OFFSET: OFFSET's Cache was among the first three
# of the 21 the server got for PART (commands 1-21 are part 1, 22-42
# part 2).
check_position ()
{
    local part=$1 offset=$2 pos total
    pos=$(grep ' Cache id=' "$tmpdir/log" | sed -n "$(( part * 21 - 20 )),$(( part * 21 ))p" |
              grep -n "offset=$offset " | cut -d: -f1)
    total=$(grep -c ' Cache id=' "$tmpdir/log")
    echo "part $part: the small request was Cache number $pos of 21"
    [ "$total" -eq $(( part * 21 )) ] ||
        fail "part $part: expected $(( part * 21 )) Cache commands in all, got $total"
    [ -n "$pos" ] && [ "$pos" -le 3 ] ||
        fail "part $part: the small request waited behind the others"
}

# 1. One client: a huge request (20 chunks), then a small one.
run_py <<'PY'
from rawclient import Client, check

M = 1 << 20
c = Client()
c.hello()
c.send({"op": "cache", "id": 1, "export": "disk", "offset": 0,
        "count": 20 * 32 * M})
check(c.recv()["ok"], "huge: reply")
c.send({"op": "cache", "id": 2, "export": "disk", "offset": 900 * M,
        "count": M})
check(c.recv()["ok"], "small: reply")
ev = c.recv(timeout=5)
check(ev.get("event") == "complete" and ev["ok"] and ev["id"] == 2,
      "the small request completes first", ev)
ev = c.recv(timeout=5)
check(ev.get("event") == "complete" and ev["ok"] and ev["id"] == 1,
      "then the huge one", ev)
c.expect_silence(0.1)
print("ok")
PY
check_position 1 0x38400000

# 2. Two clients: one queues 20 one-chunk requests, then the other
# sends one.
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
    r = greedy.recv_reply()         # events that come first are kept
    check(r["ok"] and r["id"] == k + 1, "greedy: reply", r)
polite.send({"op": "cache", "id": 1, "export": "disk", "offset": 901 * M,
             "count": M})
check(polite.recv()["ok"], "polite: reply")
ev = polite.recv(timeout=5)
check(ev.get("event") == "complete" and ev["ok"], "polite: event", ev)
# Every one of the greedy client's requests still completes, once.
done = set()
while len(done) < 20:
    ev = greedy.events.pop(0) if greedy.events else greedy.recv(timeout=5)
    check(ev.get("event") == "complete" and ev["ok"], "greedy: event", ev)
    check(ev["id"] not in done, "greedy: one event per request", ev)
    done.add(ev["id"])
greedy.expect_silence(0.1)
print("ok")
PY
check_position 2 0x38500000

# 3. Two users, while the export is paused: nobody's eight connections
# queue four one-chunk requests each, then uid 1 sends one; then the
# export resumes.  Users take turns before their connections do, so
# uid 1's request is the second command sent, not the ninth (after one
# chunk of each of nobody's connections, as when only connections took
# turns).
can_be_nobody && getent passwd daemon >/dev/null || {
    echo "part 3 skipped: needs root, setpriv and the users nobody and daemon"
    exit 0
}
requires_nobody
stop_nbdcached
printf '[daemon]\nsocket-mode = 0666\n' >> "$tmpdir/export.conf"
start_nbdcached -c "$tmpdir/export.conf"
ctl pause disk
flags="$tmpdir/flags"
mkdir -m 0777 "$flags"
as_nobody "${py_cmd[@]}" "$flags" <<'PY' &
import os, sys
from rawclient import Client, check

M = 1 << 20
greedy = []
for c in range(8):
    g = Client(timeout=30)
    g.hello()
    for k in range(4):
        g.send({"op": "cache", "id": k + 1, "export": "disk",
                "offset": (c * 4 + k) * 32 * M, "count": 32 * M})
    greedy.append(g)
for g in greedy:
    for k in range(4):
        r = g.recv_reply()
        check(r["ok"] and r["id"] == k + 1, "greedy: reply", r)
open(os.path.join(sys.argv[1], "greedy"), "w").close()
for g in greedy:
    done = set()
    while len(done) < 4:
        ev = g.events.pop(0) if g.events else g.recv()
        check(ev.get("event") == "complete" and ev["ok"], "greedy: event", ev)
        check(ev["id"] not in done, "greedy: one event per request", ev)
        done.add(ev["id"])
    g.expect_silence(0.1)
print("greedy: ok")
PY
greedy=$!
wait_for_file "$flags/greedy"
setpriv --reuid=daemon --regid=daemon --clear-groups -- \
    "${py_cmd[@]}" "$flags" <<'PY' &
import os, sys
from rawclient import Client, check

M = 1 << 20
polite = Client(timeout=30)
polite.hello()
polite.send({"op": "cache", "id": 1, "export": "disk", "offset": 902 * M,
             "count": M})
check(polite.recv()["ok"], "polite: reply")
open(os.path.join(sys.argv[1], "polite"), "w").close()
ev = polite.recv()
check(ev.get("event") == "complete" and ev["ok"], "polite: event", ev)
print("polite: ok")
PY
polite=$!
wait_for_file "$flags/polite"
ctl resume disk
wait $polite || fail "uid 1's request did not complete"
wait $greedy || fail "nobody's requests did not all complete once"
pos=$(grep ' Cache id=' "$tmpdir/log" | sed -n '43,$p' |
          grep -n "offset=0x38600000 " | cut -d: -f1)
total=$(grep -c ' Cache id=' "$tmpdir/log")
echo "part 3: uid 1's request was Cache number $pos of 33"
[ "$total" -eq 75 ] || fail "part 3: expected 75 Cache commands in all, got $total"
[ -n "$pos" ] && [ "$pos" -le 2 ] ||
    fail "part 3: uid 1's request waited behind nobody's connections"
