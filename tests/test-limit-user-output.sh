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
as_nobody env PYTHONPATH="$abs_srcdir" NBDCACHE_SOCKET="$sock" \
    /usr/bin/env python3 - "$flags" <<'PY' &
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
rss="$(awk '/VmRSS/ {print $2}' /proc/$nbdcached_pid/status)"
echo "daemon RSS with nobody's connections held: ${rss} kB"
! measuring || [ "$rss" -lt 32768 ] || fail "daemon holds ${rss} kB"
ctl cache disk 0 1M                   # others are served
touch "$flags/go"
wait $holder || fail "the holder failed"
stop_nbdcached
