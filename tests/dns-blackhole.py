#!/usr/bin/env python3
# dns-blackhole.py ADDR_FILE: a nameserver that never answers.  It
# binds UDP and TCP port 53 on a free loopback address 127.X.Y.Z
# (random, so that tests running at the same time do not collide),
# writes that address to ADDR_FILE once listening, and swallows every
# query until killed.  Needs root for port 53.
import os
import random
import socket
import sys


def bind_both(addr):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        udp.bind((addr, 53))
        tcp.bind((addr, 53))
        tcp.listen(16)              # never accepted
    except OSError:
        udp.close()
        tcp.close()
        return None
    return udp, tcp


for _ in range(100):
    addr = "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 255),
                             random.randint(1, 254))
    socks = bind_both(addr)
    if socks:
        break
else:
    sys.exit("dns-blackhole.py: no free loopback address")

with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(addr + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    socks[0].recvfrom(4096)
