#!/usr/bin/env bash
# max-client-output bounds the replies left unread by all the
# connections of one user together (root excepted), not only by each:
# else a user could hold max-user-clients times max-client-output of
# the daemon's memory with connections that each stay under the limit.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nobody

start_nbdkit disk memory 1G
start_nbdcached_conf <<EOC
[daemon]
socket-mode = 0666
max-client-output = 1M
[export disk]
uri = $disk_uri
EOC

# Eight connections of nobody's, each leaving about 0.8 MiB of replies
# unread (under 1M each; the socket itself holds some of it), until
# $flags/go exists.
flags="$tmpdir/flags"
mkdir -m 0777 "$flags"
run_py_as_nobody "$flags" <<'PY' &
import os, socket, sys, time
from rawclient import Client
held = []
for _ in range(8):
    c = Client()
    c.hello()
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.send_raw(b'{"op":"stats","id":9}\n' * (800 * 1024 // 700))
    held.append(c)
open(os.path.join(sys.argv[1], "held"), "w").close()
while (os.path.isdir(sys.argv[1]) and
       not os.path.exists(os.path.join(sys.argv[1], "go"))):
    time.sleep(0.05)
PY
holder=$!
cleanup_fn "touch $flags/go"
wait_for_file "$flags/held"
disconnected () { log_count 'unread by the clients of uid [0-9]+ together' ; }
over () { [ "$(disconnected)" -ge "$1" ]; }
wait_until 10 over 4 ||
    fail "nobody's connections were not cut off together: $(disconnected)"
ctl cache disk 0 1M                   # others are served
touch "$flags/go"
wait $holder || fail "the holder failed"

# But replies that clients read are not unread: twelve connections of
# nobody's that each get about 100 KiB of replies in the same pass of
# the daemon's loop (queued while it was stopped), 1.2 MiB together,
# and read them at once, are all served in full.
before="$(disconnected)"
run_py_as_nobody "$flags" <<'PY' &
import os, sys, threading, time
from rawclient import Client
def flag(name):
    open(os.path.join(sys.argv[1], name), "w").close()
def await_flag(name):
    while not os.path.exists(os.path.join(sys.argv[1], name)):
        time.sleep(0.02)
n = 150
clients = [Client() for _ in range(12)]
for c in clients:
    c.hello()
flag("ready2")
await_flag("stopped2")              # the daemon is stopped now
for c in clients:
    c.send_raw(b'{"op":"stats","id":9}\n' * n)
flag("sent2")
got = [0] * len(clients)
def read_all(k):
    for _ in range(n):
        if clients[k].recv_reply().get("ok") is True:
            got[k] += 1
threads = [threading.Thread(target=read_all, args=(k,))
           for k in range(len(clients))]
for t in threads: t.start()
for t in threads: t.join()
if got != [n] * len(clients):
    sys.exit("replies read: %s, expected %d each" % (got, n))
PY
reader=$!
cleanup_fn "kill -CONT $nbdcached_pid"
wait_for_file "$flags/ready2"
kill -STOP "$nbdcached_pid"
touch "$flags/stopped2"
wait_for_file "$flags/sent2"
kill -CONT "$nbdcached_pid"
wait $reader || fail "the readers did not get every reply"
[ "$(disconnected)" = "$before" ] ||
    fail "clients that read their replies were cut off as unread"
stop_nbdcached
