# emfile-clients.py PID: connect more clients than the daemon PID has
# descriptors for, check that it does not spin while at EMFILE (under
# 0.5 s of CPU in 2 s), close them, and check that a new client is
# served.  Run with run_py (functions.sh), NBDCACHE_SOCKET set, an
# export "disk".
import os, socket, sys, time
from rawclient import Client, check, cpu_seconds as cpu

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
