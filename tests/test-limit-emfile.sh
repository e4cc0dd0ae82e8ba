#!/usr/bin/env bash
# Out of file descriptors (EMFILE) on accept: the daemon pauses
# accepting instead of spinning on the readable listening socket, and
# serves new clients once descriptors are free again.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"
requires prlimit --version
# 64 descriptors for the daemon only, from now on.
prlimit --pid "$nbdcached_pid" --nofile=64:64
pid=$nbdcached_pid

run_py "$pid" <<'EOP'
import os, socket, sys, time
from rawclient import Client, check

def cpu(pid):
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

pid = sys.argv[1]
socks = []
for _ in range(100):                 # more than the daemon can accept
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.environ["NBDCACHE_SOCKET"])
    socks.append(s)
before = cpu(pid)
time.sleep(2)
used = cpu(pid) - before
print("daemon CPU over 2 s at EMFILE: %.2f s" % used)
check(used < 0.5, "the daemon spins at EMFILE (%.2f s CPU in 2 s)" % used)
for s in socks:
    s.close()
time.sleep(0.5)
c = Client(timeout=5)
c.hello()
r = c.request({"op": "cache", "export": "disk", "offset": 0, "count": 4096})
check(r["ok"], "no service after EMFILE", r)
check(c.wait_complete(r["cookie"])["ok"], "cache failed after EMFILE")
EOP
grep -q "Too many open files" "$tmpdir/nbdcached.log" || fail "EMFILE not logged"
