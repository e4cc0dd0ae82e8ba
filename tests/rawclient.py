#!/usr/bin/env python3
# rawclient.py: speak the nbdcached client protocol (proto/PROTOCOL.md)
# byte for byte, for the protocol tests.
#
# Used as a module by the tests' inline Python, which functions.sh's
# run_py makes importable:
#
#   run_py <<'PY'
#   from rawclient import Client, check
#   c = Client()                  # connects to $NBDCACHE_SOCKET
#   c.hello()
#   r = c.request({"op": "exports"})
#   PY
#
# Every wait has a timeout (TIMEOUT seconds unless told), so a daemon
# that stays silent fails the test instead of hanging it.

import json
import os
import select
import socket
import sys
import time

TIMEOUT = 5.0


class ProtocolTestError(Exception):
    pass


def check(cond, what, *context):
    """Fail the test with WHAT (and CONTEXT) unless COND holds."""
    if not cond:
        msg = what
        for c in context:
            msg += "\n  " + repr(c)
        raise ProtocolTestError(msg)


class Closed(Exception):
    """The daemon closed the connection (EOF or ECONNRESET)."""


class Client:
    def __init__(self, path=None, timeout=TIMEOUT):
        self.path = path or os.environ["NBDCACHE_SOCKET"]
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)
        self.sock.setblocking(False)
        self.buf = b""
        self.next_id = 1
        self.events = []        # events received while waiting for replies

    def close(self):
        self.sock.close()

    # ---- sending ----

    def send_raw(self, data):
        """Send DATA (bytes or str) exactly as given."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def send_line(self, line):
        """Send LINE (bytes or str) followed by LF."""
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.send_raw(line + b"\n")

    def new_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def send(self, obj):
        """Send OBJ as one JSON line, giving it a fresh id unless it
        has one.  Returns the id."""
        if "id" not in obj:
            obj = dict(obj, id=self.new_id())
        self.send_line(json.dumps(obj, separators=(",", ":")))
        return obj["id"]

    # ---- receiving ----

    def _fill(self, deadline):
        """Read more bytes into self.buf.  Raises Closed on EOF or
        reset, TimeoutError at DEADLINE."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no message from the daemon within the timeout")
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            raise TimeoutError("no message from the daemon within the timeout")
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            raise Closed("connection reset by the daemon")
        except BlockingIOError:
            return
        if not data:
            raise Closed("EOF from the daemon")
        self.buf += data

    def recv_line(self, timeout=None):
        """The next line from the daemon (bytes, without LF)."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        while b"\n" not in self.buf:
            self._fill(deadline)
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def recv(self, timeout=None):
        """The next message from the daemon, decoded."""
        line = self.recv_line(timeout)
        try:
            msg = json.loads(line.decode("utf-8"))
        except ValueError as e:
            raise ProtocolTestError("daemon sent invalid JSON: %r (%s)"
                                    % (line, e))
        check(isinstance(msg, dict), "daemon message is not an object", line)
        check("ok" in msg and isinstance(msg["ok"], bool),
              "daemon message lacks a boolean ok", msg)
        if not msg["ok"]:
            err = msg.get("error")
            check(isinstance(err, dict) and isinstance(err.get("errno"), str)
                  and isinstance(err.get("message"), str),
                  "failed message lacks error.errno/error.message", msg)
        return msg

    def recv_reply(self, timeout=None):
        """The next reply, setting aside any events in self.events."""
        while True:
            msg = self.recv(timeout)
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg

    def request(self, obj, timeout=None):
        """Send OBJ and return its reply; the reply's id must match."""
        rid = self.send(obj)
        reply = self.recv_reply(timeout)
        check(reply.get("id") == rid, "reply id %r, expected %r"
              % (reply.get("id"), rid), obj, reply)
        return reply

    def hello(self, version=1):
        reply = self.request({"op": "hello", "version": version,
                              "client": "rawclient"})
        check(reply["ok"], "hello failed", reply)
        return reply

    def wait_complete(self, cookie, timeout=None):
        """Wait for the complete event of COOKIE and return it."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        while True:
            for ev in self.events:
                if ev.get("event") == "complete" and ev.get("cookie") == cookie:
                    self.events.remove(ev)
                    return ev
            msg = self.recv(max(deadline - time.monotonic(), 0.001))
            check("event" in msg, "unexpected reply while waiting for an event",
                  msg)
            self.events.append(msg)

    def expect_accepted(self, n):
        """The first N cache requests of a new connection (ids 1..N)
        were accepted, with cookies 1..N."""
        for i in range(1, n + 1):
            r = self.recv()
            check(r == {"id": i, "cookie": i, "ok": True}, "reply", r)

    def expect_closed(self, timeout=None):
        """The daemon must close the connection, sending nothing more."""
        try:
            line = self.recv_line(timeout)
        except Closed:
            return
        raise ProtocolTestError("expected the daemon to close the connection, "
                                "got %r" % line)

    def expect_silence(self, timeout=0.5):
        """Nothing must arrive for TIMEOUT seconds."""
        try:
            line = self.recv_line(timeout)
        except TimeoutError:
            return
        raise ProtocolTestError("expected no message, got %r" % line)


def cache_lines(export, ranges, first_id=1):
    """Cache requests for RANGES ((offset, count) pairs) of EXPORT, with
    ids FIRST_ID, FIRST_ID + 1, ..., as one block of lines, to send
    pipelined in one write."""
    return b"".join(
        b'{"op":"cache","id":%d,"export":"%s","offset":%d,"count":%d}\n'
        % (first_id + i, export.encode("utf-8"), offset, count)
        for i, (offset, count) in enumerate(ranges))


def cpu_seconds(pid):
    """The CPU time (user and system, all threads) that process PID has
    used so far, in seconds: how tests tell a daemon that spins from
    one that sleeps."""
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()   # after "(comm)"
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_outcome(run):
    """Call RUN() and print how it ended: "served" (it returned),
    "closed" (the daemon closed the connection) or "hung" (a wait timed
    out).  For tests in which the daemon may drop a client."""
    try:
        run()
        print("served")
    except Closed:
        print("closed")
    except TimeoutError:
        print("hung")


def expect_error(msg, errno_name, rid="any"):
    """Check MSG is a failed reply with ERRNO_NAME (and id RID)."""
    check(msg.get("ok") is False, "expected ok:false (%s)" % errno_name, msg)
    check(msg["error"]["errno"] == errno_name,
          "expected errno %s, got %s" % (errno_name, msg["error"]["errno"]),
          msg)
    if rid != "any":
        check("id" in msg and msg["id"] == rid,
              "expected id %r, got %r" % (rid, msg.get("id")), msg)


if __name__ == "__main__":
    # As a program: send each argument as one line after a hello and
    # print every line received until TIMEOUT seconds of silence or EOF.
    c = Client()
    c.hello()
    for arg in sys.argv[1:]:
        c.send_line(arg)
    try:
        while True:
            print(c.recv_line(timeout=1.0).decode("utf-8", "replace"))
    except (TimeoutError, Closed):
        pass
