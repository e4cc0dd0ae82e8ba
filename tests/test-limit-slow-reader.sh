#!/usr/bin/env bash
# A client that never reads its replies is disconnected, with a logged
# reason, once max-client-output bytes are waiting for it; the daemon
# does not grow without bound, and other clients are served.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
start_nbdcached_conf <<EOC
[daemon]
max-client-output = 64K
[export disk]
uri = $disk_uri
EOC

run_py <<'EOP'
import socket
from rawclient import Client, Closed
c = Client()
c.hello()
c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
line = b'{"op":"exports","id":7}\n' * 1000
closed = False
try:
    for i in range(200):             # 200,000 requests, never reading
        c.send_raw(line)
except (BrokenPipeError, ConnectionResetError):
    closed = True
assert closed, "the daemon kept buffering for a client that never reads"
EOP
grep -q "replies unread" "$tmpdir/nbdcached.log" || fail "no logged reason"
ctl cache disk 0 1M
rss="$(awk '/VmHWM/ {print $2}' /proc/$nbdcached_pid/status)"
echo "daemon peak RSS: ${rss} kB"
! measuring || [ "$rss" -lt 65536 ] || fail "daemon grew to ${rss} kB"
stop_nbdcached
