#!/usr/bin/env bash
# Failing many requests at once must survive a client being closed in
# the middle: here the server of a paused export comes back smaller,
# the daemon fails the 1000 requests of a client that has stopped
# reading (export_fail_stale), and their events push it over
# max-client-output.  Closing it then used to end its other requests
# while the failing loop still held one of them: a heap-use-after-free
# that AddressSanitizer sees once the daemon's request cache (4096) is
# full, hence the 5000 requests on a second export first.  Now a
# client over its limits is closed at the end of the pass.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit x memory 1G
start_nbdkit y memory 1G
start_nbdcached_conf <<EOC
[daemon]
max-client-requests = 10000
max-client-output = 128K
[export x]
uri = $x_uri
reconnect-delay = 0.1
reconnect-max-delay = 0.2
[export y]
uri = $y_uri
EOC
ctl pause x
ctl pause y

run_py_bg "$tmpdir" <<'PY'
import os, sys, time
from rawclient import Client, check

def batch(c, reqs):
    """Send REQS 200 at a time, reading the replies (so that the client
    stays under max-client-output while sending)."""
    for k in range(0, len(reqs), 200):
        for _ in [c.send(r) for r in reqs[k:k + 200]]:
            check(c.recv_reply()["ok"], "cache refused")

a = Client(timeout=60)
a.hello()
batch(a, [{"op": "cache", "export": "x", "offset": (800 << 20) + i * 4096,
           "count": 4096} for i in range(1000)])
others = []
for n in range(5):
    c = Client(timeout=60)
    c.hello()
    batch(c, [{"op": "cache", "export": "y", "offset": (n * 1000 + i) * 4096,
               "count": 4096} for i in range(1000)])
    others.append(c)
admin = Client()
admin.hello()
check(admin.request({"op": "resume", "export": "y"})["ok"], "resume y")
for c in others:
    while len(c.events) < 1000:
        c.events.append(c.recv())
open(os.path.join(sys.argv[1], "ready"), "w").close()
time.sleep(5)                   # A never reads again
PY
client=$py_pid
wait_until 60 test -e "$tmpdir/ready" || fail "the clients did not get going"
# x's server comes back at half the size: A's requests are past its end.
kill -9 "$x_pid"
wait "$x_pid" 2>/dev/null || :
rm -f "$tmpdir/x.sock" "$tmpdir/x.pid"
start_nbdkit x memory 512M
wait_until 10 grep -q "the server changed the export" "$tmpdir/nbdcached.log" ||
    fail "the daemon did not notice the smaller export"
wait_until 10 grep -q "not reading its replies" "$tmpdir/nbdcached.log" ||
    fail "the client that stopped reading was not closed"
wait $client || fail "the clients failed"
ctl cache y 0 1M
stop_nbdcached
! grep -qE "Sanitizer|runtime error" "$tmpdir/nbdcached.log" ||
    fail "memory error: $(grep -A3 Sanitizer "$tmpdir/nbdcached.log")"
