#!/usr/bin/env python3
# notify-listen.py PATH OUT [--times]: bind a Unix datagram socket at
# PATH (for NOTIFY_SOCKET) and append every sd_notify message received
# to OUT, one line per assignment, flushing as it goes.  With --times
# each line starts with when it arrived (time.monotonic(), seconds)
# and a space.  Runs until killed.
import socket
import sys
import time

times = sys.argv[3:] == ["--times"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        data = s.recv(4096).decode("utf-8", "replace")
        stamp = "%.3f " % time.monotonic() if times else ""
        for line in data.split("\n"):
            if line:
                out.write(stamp + line + "\n")
        out.flush()
