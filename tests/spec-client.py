#!/usr/bin/env python3
# spec-client.py SOCKET EXPORT NBDKIT-LOG
#
# A second, independent client of the nbdcached protocol, written from
# proto/PROTOCOL.md alone (not from proto/*.c, libclient/ or
# rawclient.py), so that the spec is tested as a spec: if it left out
# something a client needs, this program could not have been written
# without guessing, and it would fail.
#
# The export must be served by nbdkit's memory plugin (no block sizes
# advertised) behind the log filter writing NBDKIT-LOG, and must not
# have been asked for anything yet.  What this checks, with the spec
# section in brackets, beyond what rawclient.py's tests cover:
#  - version negotiation from a version above the daemon's [3];
#  - whitespace around the object, CR LF line ends, blank lines [1];
#  - every member of the exports and stats replies, with its type [4.1,
#    4.4], and their agreement with each other and with what was sent;
#  - a session of good, bad and malformed requests, waited for one by
#    one and then pipelined in one write, with the cookies predicted
#    from the numbering rule [4.2] and each matched to exactly one
#    complete event carrying the request's id [4.3];
#  - the reply of an admin op without members [4.5];
#  - the ending by shutdown(SHUT_WR): everything owed, then EOF [1];
#  - that every accepted range, and nothing else, reached the server
#    as Cache commands (NBDKIT-LOG), and the rejected ones did not.
# Exits 0 and prints "ok" on success, else prints what broke and exits 1.

import json
import re
import select
import socket
import sys
import time

TIMEOUT = 20.0
MAX_LINE = 65535                # section 1, without the LF
M = 1 << 20


class SpecViolation(Exception):
    pass


def expect(cond, what, *context):
    if not cond:
        raise SpecViolation(what + "".join("\n  " + repr(c) for c in context))


def is_int(v):
    """An integer in the protocol's sense (section 1): not a bool."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63


class Connection:
    """One protocol connection: sends lines, splits what comes back into
    replies (in order) and events (section 2, "Telling messages apart")."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.inbuf = b""
        self.eof = False
        self.replies = []
        self.events = []

    def send_bytes(self, data):
        self.sock.sendall(data)

    def send(self, obj):
        line = json.dumps(obj, separators=(",", ":")).encode()
        expect(len(line) <= MAX_LINE, "request too long", obj)
        self.send_bytes(line + b"\n")

    def half_close(self):
        self.sock.shutdown(socket.SHUT_WR)

    def _read_some(self, deadline):
        left = deadline - time.monotonic()
        expect(left > 0, "timed out waiting for the daemon")
        ready, _, _ = select.select([self.sock], [], [], left)
        if not ready:
            return
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
        self.inbuf += data

    def _take_lines(self):
        while b"\n" in self.inbuf:
            line, self.inbuf = self.inbuf.split(b"\n", 1)
            expect(len(line) <= MAX_LINE, "daemon sent an over-long line")
            msg = json.loads(line.decode("utf-8"))
            expect(isinstance(msg, dict), "message is not an object", msg)
            check_outcome(msg)
            if "event" in msg:
                if msg["event"] == "complete":
                    self.events.append(msg)
                # else: an event kind from a later version; ignore it.
            else:
                self.replies.append(msg)

    def wait(self, done, what, timeout=TIMEOUT):
        """Read until DONE() holds; fail after TIMEOUT or at EOF."""
        deadline = time.monotonic() + timeout
        self._take_lines()
        while not done():
            expect(not self.eof, "connection closed while waiting for " + what)
            self._read_some(deadline)
            self._take_lines()

    def reply(self):
        """The next reply, in request order."""
        self.wait(lambda: self.replies, "a reply")
        return self.replies.pop(0)

    def request(self, obj):
        self.send(obj)
        return self.reply()

    def read_to_eof(self, timeout=TIMEOUT):
        self.wait(lambda: self.eof, "the end of the connection", timeout)
        expect(self.inbuf == b"", "bytes after the last LF", self.inbuf)

    def silent_for(self, seconds):
        """Nothing arrives for SECONDS."""
        ready, _, _ = select.select([self.sock], [], [], seconds)
        if ready:
            raise SpecViolation("unexpected message: %r"
                                % self.sock.recv(65536))


def check_outcome(msg):
    """Every reply and event ends with the outcome (section 2)."""
    expect(msg.get("ok") in (True, False), "no ok member", msg)
    if msg["ok"]:
        expect("error" not in msg, "ok:true with an error", msg)
        return
    err = msg.get("error")
    expect(isinstance(err, dict)
           and isinstance(err.get("errno"), str)
           and re.fullmatch(r"E[A-Z0-9]+", err["errno"])
           and isinstance(err.get("message"), str) and err["message"],
           "malformed error member", msg)


def expect_error(msg, errno, rid):
    expect(msg["ok"] is False and msg["error"]["errno"] == errno
           and msg.get("id", "absent") == rid,
           "expected %s error for id %r" % (errno, rid), msg)


# ---- section 3 ----

def handshake(conn):
    """hello asking for a version above the daemon's: the daemon picks
    its own.  Whitespace around the object and a CR before the LF are
    allowed; a blank line gets no reply."""
    conn.send_bytes(b"\r\n \t\r\n")
    conn.send_bytes(b' \t{"op":"hello","id":1,"version":3,'
                    b'"client":"spec-client"} \r\n')
    r = conn.reply()
    expect(r["ok"] and r["id"] == 1, "hello refused", r)
    expect(r["version"] == 2, "daemon did not pick version 2", r)
    expect(r["max_message"] == MAX_LINE + 1, "max_message", r)
    expect(isinstance(r["server"], str) and r["server"], "server", r)
    expect_error(conn.request({"op": "hello", "id": 2, "version": 2}),
                 "EPROTO", 2)


# ---- section 4.1 ----

EXPORT_STATES = ("connecting", "up", "reconnecting", "down")


def check_export_entry(e):
    """One entry of an exports reply, member by member (4.1)."""
    expect(isinstance(e["name"], str) and e["state"] in EXPORT_STATES
           and isinstance(e["paused"], bool), "export entry", e)
    conns = e["connections"]
    expect(all(is_int(conns[k]) for k in ("configured", "used", "up")),
           "connections", e)
    if "size" not in e:
        expect(not any(k in e for k in
                       ("can_cache", "can_multi_conn", "block_size")),
               "facts without a size", e)
        return
    expect(is_int(e["size"]) and isinstance(e["can_cache"], bool)
           and isinstance(e["can_multi_conn"], bool), "export facts", e)
    bs = e["block_size"]
    expect(all(is_int(bs[k]) and bs[k] >= 1
               for k in ("minimum", "preferred", "maximum"))
           and isinstance(bs["advertised"], bool)
           and bs["minimum"] <= bs["maximum"], "block_size", e)
    if not conns["used"] <= conns["configured"] or \
       (not e["can_multi_conn"] and conns["used"] != 1):
        raise SpecViolation("connections.used: %r" % e)


def wait_until_up(conn, export):
    deadline = time.monotonic() + TIMEOUT
    while True:
        r = conn.request({"op": "exports", "id": 10, "export": export})
        expect(r["ok"] and r["id"] == 10 and len(r["exports"]) == 1,
               "exports with export", r)
        e = r["exports"][0]
        check_export_entry(e)
        if e["state"] == "up":
            return e
        expect(time.monotonic() < deadline, "export never came up", e)
        time.sleep(0.05)


def check_exports(conn, export):
    e = wait_until_up(conn, export)
    expect(e["name"] == export and e["can_cache"] and not e["paused"],
           "export", e)
    # nbdkit's memory plugin advertises no block sizes: the defaults.
    expect(e["block_size"] == {"minimum": 1, "preferred": 4096,
                               "maximum": 32 * M, "advertised": False},
           "default block sizes", e)
    r = conn.request({"op": "exports", "id": 11})
    expect(r["ok"] and e in r["exports"] and "exports_omitted" not in r,
           "whole list", r)
    expect_error(conn.request({"op": "exports", "id": 12,
                               "export": "no-such-export"}), "ENOENT", 12)
    return e


# ---- sections 4.2, 4.3, 5 ----

class Session:
    """Cache requests on one connection, with the cookies the numbering
    rule of 4.2 predicts, and their completions."""

    def __init__(self, conn, export):
        self.conn = conn
        self.export = export
        self.next_cookie = 1
        self.accepted = {}      # cookie -> (id, offset, count)
        self.rejected = []      # (offset, count) never to reach the server

    def cache_request(self, rid, offset, count, export=None):
        return {"op": "cache", "id": rid, "export": export or self.export,
                "offset": offset, "count": count, "flags": 0}

    def expect_accepted(self, reply, rid, offset, count):
        expect(reply == {"id": rid, "cookie": self.next_cookie, "ok": True},
               "expected cookie %d" % self.next_cookie, reply)
        self.accepted[self.next_cookie] = (rid, offset, count)
        self.next_cookie += 1

    def collect_events(self, timeout=TIMEOUT):
        """Wait for one complete event per accepted cookie; each must
        carry its request's id and succeed, and none may repeat."""
        conn = self.conn
        conn.wait(lambda: len(conn.events) >= len(self.accepted),
                  "complete events", timeout)
        seen = {}
        for ev in conn.events:
            c = ev["cookie"]
            expect(c in self.accepted, "event for an unknown cookie", ev)
            expect(c not in seen, "second event for a cookie", ev, seen[c]
                   if c in seen else None)
            expect(ev["id"] == self.accepted[c][0], "event id", ev)
            expect(ev["ok"], "request failed", ev)
            seen[c] = ev
        expect(set(seen) == set(self.accepted), "cookies without events")

    def one_by_one(self, size):
        """Requests waited for one at a time: reply, then event."""
        rid = 100
        for offset, count in ((0, 4096), (M, 1), (2 * M + 1, 3 * M),
                              (size - 512, 512)):
            r = self.conn.request(self.cache_request(rid, offset, count))
            self.expect_accepted(r, rid, offset, count)
            self.conn.wait(lambda: len(self.conn.events) == len(self.accepted),
                           "the event of id %d" % rid)
            rid += 1
        # Rejected at once: no cookie, no event, nothing sent (4.2).
        for rid, offset, count, errno in ((200, size - 4096, 4097, "EINVAL"),
                                          (201, 8 * M, 0, "EINVAL")):
            expect_error(self.conn.request(self.cache_request(
                rid, offset, count)), errno, rid)
            self.rejected.append((offset, count))
        expect_error(self.conn.request(self.cache_request(
            202, 0, 4096, export="no-such-export")), "ENOENT", 202)
        self.collect_events()
        self.conn.silent_for(0.2)

    def pipelined(self, size):
        """One write holding good requests, bad ones and other ops; the
        replies must come in request order (section 2) whatever the
        daemon holds back (4.2), and the connection must stay usable
        after every error (section 5)."""
        base = 16 * M
        lines = []
        expected = []           # (kind, id, offset, count) in order
        for i in range(40):
            rid = 1000 + i
            offset, count = base + i * 3 * M, 64 * 1024 + i * 4096
            lines.append(json.dumps(self.cache_request(rid, offset, count)))
            expected.append(("cache", rid, offset, count))
            if i == 10:
                lines.append('{"op":"cache","id":2000,"export":"%s",'
                             '"offset":0,"count":1,"flags":1}' % self.export)
                expected.append(("EINVAL", 2000, 0, 1))
                self.rejected.append((0, 1))
            if i == 20:
                lines.append('{"op":"stats","id":2001}')
                expected.append(("stats", 2001, None, None))
                lines.append('{"op":"cache","id":2002,')   # not JSON
                expected.append(("EINVAL", None, None, None))
                # \u0000 in a value is found after the id is read; in a
                # member name, before (section 5).
                lines.append('{"op":"cache","id":2007,"export":"a\\u0000b",'
                             '"offset":0,"count":1}')
                expected.append(("EINVAL", 2007, None, None))
                lines.append('{"op":"cache","id":2008,"export":"%s",'
                             '"offset":0,"count":1,"a\\u0000":1}'
                             % self.export)
                expected.append(("EINVAL", None, None, None))
            if i == 30:
                lines.append('{"op":"frobnicate","id":2003}')
                expected.append(("ENOSYS", 2003, None, None))
                lines.append('{"op":"cache","id":2004,"export":"%s",'
                             '"offset":0,"count":1,"colour":"red"}'
                             % self.export)
                expected.append(("EINVAL", 2004, None, None))
                lines.append('{"op":"cache","id":2005,"export":"%s",'
                             '"offset":%d,"count":1}' % (self.export, 2**63))
                expected.append(("ERANGE", 2005, None, None))
                # Member order is not significant (section 1): the id
                # is known even when it comes after the bad member.
                lines.append('{"op":"cache","export":"%s","offset":-1,'
                             '"count":1,"id":2006}' % self.export)
                expected.append(("EINVAL", 2006, None, None))
                # An id of 0 is no id: the reply's is null (section 5).
                lines.append('{"op":"cache","id":0,"export":"%s",'
                             '"offset":0,"count":1}' % self.export)
                expected.append(("EINVAL", None, None, None))
        self.conn.send_bytes(("\n".join(lines) + "\n").encode())
        for kind, rid, offset, count in expected:
            r = self.conn.reply()
            if kind == "cache":
                self.expect_accepted(r, rid, offset, count)
            elif kind == "stats":
                expect(r["ok"] and r["id"] == rid and "exports" in r,
                       "stats reply in the batch", r)
            else:
                expect_error(r, kind, rid)
        self.collect_events()

    def closing(self, size):
        """The last requests, then shutdown(SHUT_WR): every reply and
        event still comes, then the daemon closes (section 1)."""
        offset, count = size - 40 * M, 5 * M
        self.conn.send(self.cache_request(3000, offset, count))
        self.conn.half_close()
        self.conn.read_to_eof()
        self.expect_accepted(self.conn.replies.pop(0), 3000, offset, count)
        expect(not self.conn.replies, "extra replies", self.conn.replies)
        self.collect_events()


# ---- section 4.5 ----

def pause_and_resume(conn, export):
    """An admin op's empty reply is just the id and the outcome; the
    test may not be an admin, and then gets EPERM."""
    for rid, op in ((30, "pause"), (31, "resume")):
        r = conn.request({"op": op, "id": rid, "export": export})
        if r.get("ok") is False and r["error"]["errno"] == "EPERM":
            return
        expect(r == {"id": rid, "ok": True}, op + " reply", r)


# ---- section 4.4 ----

STATS_TOP = {"uptime_seconds": int, "threads": int, "clients": int,
             "requests": int, "in_flight": int, "draining": bool,
             "exports": list, "client_list": list}
STATS_EXPORT = {"name": str, "state": str, "requests": int, "errors": int,
                "chunks": int, "bytes": int, "in_flight": int, "queued": int,
                "chunks_in_flight": int, "connections_up": int,
                "retries": int, "timeouts": int, "reconnects": int,
                "deduplicated": int, "paused": bool, "errors_by_errno": dict,
                "latency": dict}


def check_members(obj, table, what):
    for name, kind in table.items():
        v = obj.get(name)
        ok = is_int(v) if kind is int else isinstance(v, kind)
        expect(ok, "%s: %s missing or not %s" % (what, name, kind.__name__),
               obj)


def check_stats(conn, export, session):
    r = conn.request({"op": "stats", "id": 20})
    expect(r["ok"] and r["id"] == 20, "stats", r)
    check_members(r, STATS_TOP, "stats")
    (e,) = [x for x in r["exports"] if x["name"] == export]
    check_members(e, STATS_EXPORT, "stats export")
    n = len(session.accepted)
    expect(e["requests"] == n and e["errors"] == 0 and e["in_flight"] == 0
           and e["queued"] == 0 and e["chunks_in_flight"] == 0
           and e["errors_by_errno"] == {} and e["paused"] is False,
           "stats export counters after %d good requests" % n, e)
    expect(r["requests"] == n and r["in_flight"] == 0, "stats totals", r)
    lat = e["latency"]
    expect(len(lat["bounds_us"]) == 16 and len(lat["counts"]) == 17
           and sum(lat["counts"]) == lat["count"] == n
           and lat["bounds_us"] == sorted(lat["bounds_us"])
           and is_int(lat["sum_us"]), "latency", lat)
    expect(e["chunks"] >= 1 and is_int(e["bytes"]), "chunks", e)
    return e


# ---- what reached the server ----

CACHE_LINE = re.compile(r" Cache id=\d+ offset=(0x[0-9a-f]+) "
                        r"count=(0x[0-9a-f]+)")


def server_cache_ranges(log_path):
    with open(log_path) as f:
        return sorted((int(m.group(1), 16), int(m.group(2), 16))
                      for m in map(CACHE_LINE.search, f) if m)


def covered(ranges, offset, count):
    """Is [offset, offset+count) inside the union of RANGES (sorted)?"""
    end = offset + count
    for o, c in ranges:
        if o > offset:
            return False
        offset = max(offset, o + c)
        if offset >= end:
            return True
    return False


def check_server_saw(log_path, session, stats_export):
    """Every accepted range was sent; every Cache command lies within
    the accepted ranges (so nothing rejected was sent); the daemon's
    chunk count and byte count match the server's log."""
    deadline = time.monotonic() + 5
    while True:
        seen = server_cache_ranges(log_path)
        if len(seen) >= stats_export["chunks"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect(len(seen) == stats_export["chunks"]
           and sum(c for _, c in seen) == stats_export["bytes"],
           "server's Cache commands != stats chunks/bytes",
           len(seen), stats_export)
    wanted = sorted((o, c) for _, o, c in session.accepted.values())
    for _, offset, count in session.accepted.values():
        expect(covered(seen, offset, count), "range never sent",
               (offset, count), seen)
    for offset, count in seen:
        expect(count <= 32 * M and covered(wanted, offset, count),
               "server got a range nobody asked for", (offset, count))


def main():
    path, export, log_path = sys.argv[1:4]
    conn = Connection(path)
    handshake(conn)
    e = check_exports(conn, export)
    session = Session(conn, export)
    session.one_by_one(e["size"])
    session.pipelined(e["size"])
    pause_and_resume(conn, export)
    stats = check_stats(conn, export, session)
    session.closing(e["size"])
    conn.sock.close()
    # The last request was made after the stats: ask again.
    conn = Connection(path)
    conn.send({"op": "hello", "id": 1, "version": 1})
    expect(conn.reply()["version"] == 1, "version 1 hello")
    stats = check_stats(conn, export, session)
    check_server_saw(log_path, session, stats)
    conn.sock.close()
    print("ok")


if __name__ == "__main__":
    try:
        main()
    except (SpecViolation, KeyError, ValueError) as e:
        print("spec-client: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
