#!/usr/bin/env bash
# 1000 concurrent client connections: all are served, and the daemon's
# memory stays bounded.  Prints the measured peak RSS (README,
# "Failure behaviour" quotes it).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
ulimit -n 4096 || requires false

start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"
rss0="$(awk '/VmRSS/ {print $2}' /proc/$nbdcached_pid/status)"

run_py <<'EOP'
from rawclient import Client, check
clients = [Client(timeout=30) for _ in range(1000)]
for c in clients:
    c.send({"op": "hello", "id": 1, "version": 1})
for c in clients:
    check(c.recv_reply()["ok"], "hello failed")
for i, c in enumerate(clients):
    c.send({"op": "cache", "export": "disk", "offset": i * 65536,
            "count": 65536, "id": 2})
for c in clients:
    r = c.recv_reply()
    check(r["ok"], "cache refused", r)
    check(c.wait_complete(r["cookie"])["ok"], "cache failed")
stats = clients[0].request({"op": "stats"})
check(stats["clients"] == 1000, "daemon counts %d clients" % stats["clients"])
EOP
rss="$(awk '/VmHWM/ {print $2}' /proc/$nbdcached_pid/status)"
echo "daemon RSS: ${rss0} kB idle, ${rss} kB peak with 1000 clients"
! measuring || [ "$rss" -lt 65536 ] || fail "peak RSS ${rss} kB with 1000 clients"
ctl cache disk 0 1M
stop_nbdcached
