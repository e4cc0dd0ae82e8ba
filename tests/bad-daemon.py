#!/usr/bin/env python3
# nbdcached tests: a stand-in for the daemon that breaks the client
# protocol, for test-lib-bad-daemon.sh.  It only exists to produce
# output the real daemon never sends; it serves no NBD.
#
# Usage: bad-daemon.py SOCKET MODE
#
# It answers "hello" as the daemon does, then answers any other
# request with MODE's violation and leaves the connection open, so
# that the library itself must notice and close it:
#   long       a line longer than max_message (no newline at all)
#   badjson    a line that is not JSON
#   unknownid  an event for a cookie that was never sent
# Connections are served one after the other, until SIGTERM.
import json
import os
import socket
import sys

path, mode = sys.argv[1], sys.argv[2]
violation = {
    "long": b'{"event":"complete","pad":"' + b"a" * 70000,
    "badjson": b"{not json\n",
    "unknownid": b'{"event":"complete","cookie":999999,"id":999999,'
                 b'"ok":true}\n',
}[mode]

listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path + ".tmp")
listener.listen(1)
os.rename(path + ".tmp", path)   # the test waits for PATH

while True:
    conn, _ = listener.accept()
    try:
        with conn, conn.makefile("rb") as lines:
            for line in lines:
                msg = json.loads(line)
                if msg["op"] == "hello":
                    reply = {"id": msg["id"], "version": 2, "server": "bad",
                             "max_message": 65536, "ok": True}
                    conn.sendall(json.dumps(reply).encode() + b"\n")
                else:
                    conn.sendall(violation)
    except OSError:
        pass                    # the client closed with data unread
