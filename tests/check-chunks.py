#!/usr/bin/env python3
# check-chunks.py START END MAX STEP ALIGN < chunks
#
# Check the "offset count" lines (decimal, as printed by cache_lines
# in functions.sh) describing the NBD_CMD_CACHE requests a server
# received:
#   - together they cover [START, END) exactly once (no gap, no overlap);
#   - no chunk is empty or longer than MAX bytes;
#   - every chunk boundary inside (START, END) is a multiple of STEP;
#   - every offset and count is a multiple of ALIGN.
# Exits 1 with a reason on the first violation.

import sys


def die(msg):
    sys.stderr.write("check-chunks.py: FAIL: %s\n" % msg)
    sys.exit(1)


start, end, maxlen, step, align = (int(a) for a in sys.argv[1:6])
chunks = sorted(tuple(int(x) for x in line.split())
                for line in sys.stdin if line.strip())
if not chunks:
    die("no Cache request reached the server")

pos = start
for off, cnt in chunks:
    if off != pos:
        die("chunk at %d, expected one at %d (%s)"
            % (off, pos, "overlap" if off < pos else "gap"))
    if cnt == 0 or cnt > maxlen:
        die("chunk [%d, +%d) is empty or longer than %d" % (off, cnt, maxlen))
    if off % align or cnt % align:
        die("chunk [%d, +%d) is not aligned to %d" % (off, cnt, align))
    if off != start and off % step:
        die("chunk boundary %d is not a multiple of %d" % (off, step))
    pos = off + cnt
if pos != end:
    die("chunks end at %d, expected %d" % (pos, end))
print("check-chunks.py: %d chunks cover [%d, %d)" % (len(chunks), start, end))
