#!/usr/bin/env python3
# nbdcached tests: a stand-in for the daemon that breaks the client
# protocol, for test-lib-bad-daemon.sh (and the others below).  It only
# exists to produce output the real daemon never sends; it serves no
# NBD.
#
# Usage: bad-daemon.py SOCKET MODE
#
# It answers "hello" as the daemon does, then answers any other
# request with MODE's violation and leaves the connection open, so
# that the library itself must notice and close it:
#   long       a line longer than max_message (no newline at all)
#   badjson    a line that is not JSON
#   unknownid  an event for a cookie that was never sent
#   idnull     an error with "id": null, which the daemon sends only
#              for a line it could not read
# or with MODE's odd answer (test-lib-bad-replies.sh):
#   closeafterhello  closes the connection right after "hello"
#   dupreply   answers a request twice, in one write
#   flatreply  answers with nothing but "id", "cookie" and "ok"
#   nullname   lists an export whose name is null, then "disk"
#   slow       answers correctly, but 0.3 s late
#   dieafter2  answers two requests correctly (an export asked for by
#              name is up, 1 MiB), then closes the connection
#   oldexports refuses "exports" naming an export, as a daemon from
#              before that member does, and lists "disk" (4096 bytes)
#   newer      answers as a newer daemon may (PROTOCOL.md section 1):
#              members the client does not know in replies and events,
#              and, before each completion, an event of a kind it does
#              not know, for the same cookie
# or never answers at all (test-ctl-timeout.sh):
#   mute       a daemon that hangs after the handshake
# Connections are served one after the other, until SIGTERM.
import json
import os
import socket
import sys
import time

path, mode = sys.argv[1], sys.argv[2]
violation = {
    "long": b'{"event":"complete","pad":"' + b"a" * 70000,
    "badjson": b"{not json\n",
    "unknownid": b'{"event":"complete","cookie":999999,"id":999999,'
                 b'"ok":true}\n',
    "idnull": b'{"id":null,"ok":false,'
              b'"error":{"errno":"EINVAL","message":"id missing"}}\n',
}.get(mode)


def encode(obj):
    return json.dumps(obj).encode() + b"\n"


def answer(msg):
    """What MODE sends for the request MSG (not hello)."""
    rid, op = msg["id"], msg["op"]
    if violation is not None:
        return violation
    if mode == "mute":
        return b""
    if mode == "dupreply":
        return encode({"id": rid, "exports": [], "ok": True}) * 2
    if mode == "flatreply":
        return encode({"id": rid, "cookie": rid, "ok": True})
    if mode == "dieafter2" and op == "exports" and "export" in msg:
        return encode({"id": rid, "ok": True, "exports": [
            {"name": msg["export"], "state": "up", "size": 1 << 20}]})
    if mode == "oldexports" and op == "exports":
        if "export" in msg:
            return encode({"id": rid, "ok": False, "error": {
                "errno": "EINVAL", "message": 'unknown field "export"'}})
        return encode({"id": rid, "ok": True, "exports": [
            {"name": "other", "size": 512}, {"name": "disk", "size": 4096}]})
    if mode == "nullname" and op == "exports":
        return encode({"id": rid, "ok": True, "exports": [
            {"name": None, "size": 512}, {"name": "disk", "size": 4096}]})
    if mode == "newer" and op == "cache":
        return (encode({"id": rid, "cookie": rid, "ok": True,
                        "queued": 7}) +
                encode({"event": "progress", "cookie": rid, "id": rid,
                        "done": 0}) +
                encode({"event": "complete", "cookie": rid, "id": rid,
                        "ok": True, "chunks": 1, "note": {"a": [1]}}))
    if mode == "newer" and op == "exports":
        return encode({"id": rid, "ok": True, "generation": 3, "exports": [
            {"name": "disk", "size": 4096, "state": "up", "tier": "hot"}]})
    # slow, and nullname for anything but exports: correct answers.
    if mode == "slow":
        time.sleep(0.3)
    if op == "cache":
        return (encode({"id": rid, "cookie": rid, "ok": True}) +
                encode({"event": "complete", "cookie": rid, "id": rid,
                      "ok": True}))
    return encode({"id": rid, "uptime_seconds": 1, "exports": [], "ok": True})

listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path + ".tmp")
listener.listen(1)
os.rename(path + ".tmp", path)   # the test waits for PATH

while True:
    conn, _ = listener.accept()
    served = 0
    try:
        with conn, conn.makefile("rb") as lines:
            for line in lines:
                msg = json.loads(line)
                if msg["op"] == "hello":
                    reply = {"id": msg["id"], "version": 2, "server": "bad",
                             "max_message": 65536, "ok": True}
                    conn.sendall(json.dumps(reply).encode() + b"\n")
                    if mode == "closeafterhello":
                        break
                elif mode == "dieafter2" and served == 2:
                    break
                else:
                    conn.sendall(answer(msg))
                    served += 1
    except OSError:
        pass                    # the client closed with data unread
