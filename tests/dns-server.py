#!/usr/bin/env python3
# dns-server.py ADDR_FILE [NAME IP DELAY]: a nameserver for the DNS
# fault tests.  It binds UDP and TCP port 53 on a free loopback address
# 127.X.Y.Z (random, so that tests running at the same time do not
# collide), writes that address to ADDR_FILE once listening, and
# serves until killed.  Needs root for port 53.
#
# Without NAME, it never answers: a nameserver that is down.  With
# NAME IP DELAY, it answers a query for NAME after DELAY seconds: with
# IP for type A, with no records (NOERROR) for any other type; other
# names get NXDOMAIN at once.  TCP connections are never accepted.
import os
import random
import socket
import struct
import sys
import threading
import time


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


def question(query):
    """The question section of QUERY: (name, qtype, bytes), or None."""
    pos, labels = 12, []
    while pos < len(query) and query[pos] != 0:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    end = pos + 5                   # the zero byte, QTYPE, QCLASS
    if end > len(query):
        return None
    qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
    return ".".join(labels).lower(), qtype, query[12:end]


def answer(query, name, ip):
    """The reply to QUERY, for NAME at IP."""
    q = question(query)
    if q is None:
        return None
    qname, qtype, qbytes = q
    (qid,) = struct.unpack("!H", query[:2])
    if qname.rstrip(".") != name:
        return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + qbytes
    records = b""
    if qtype == 1:                  # A
        records = (struct.pack("!HHHIH", 0xc00c, 1, 1, 60, 4) +
                   socket.inet_aton(ip))
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if records else 0,
                        0, 0) + qbytes + records)


for _ in range(100):
    addr = "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 255),
                             random.randint(1, 254))
    socks = bind_both(addr)
    if socks:
        break
else:
    sys.exit("dns-server.py: no free loopback address")

with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(addr + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])

udp = socks[0]
if len(sys.argv) < 5:
    while True:
        udp.recvfrom(4096)          # swallow every query

name, ip, delay = sys.argv[2].lower(), sys.argv[3], float(sys.argv[4])


def reply_later(query, peer):
    q = question(query)
    if q is not None and q[0].rstrip(".") == name:
        time.sleep(delay)
    reply = answer(query, name, ip)
    if reply is not None:
        udp.sendto(reply, peer)


while True:
    query, peer = udp.recvfrom(4096)
    threading.Thread(target=reply_later, args=(query, peer),
                     daemon=True).start()
