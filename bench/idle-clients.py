#!/usr/bin/env python3
# idle-clients.py SOCKET N PID: open N client connections to nbdcached,
# each doing the hello handshake, then print the daemon's VmRSS (kB)
# while they are all connected idle.
import json
import socket
import sys
import time

path, n, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b'{"op":"hello","id":1,"version":1}\n')
    socks.append(s)
for s in socks:
    buf = b""
    while b"\n" not in buf:
        buf += s.recv(4096)
    assert json.loads(buf.split(b"\n")[0])["ok"]
time.sleep(0.5)
for line in open("/proc/%s/status" % pid):
    if line.startswith("VmRSS:"):
        print(line.split()[1])
for s in socks:
    s.close()
