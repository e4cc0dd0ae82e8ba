#!/usr/bin/env bash
# proto/PROTOCOL.md is enough to write a client: spec-client.py, a
# second client written from the spec alone (not from rawclient.py or
# the C code), holds a whole session with the daemon (handshake,
# exports, good, bad and malformed requests one by one and pipelined,
# stats, half-close) and checks every reply, cookie and completion
# against the spec, and every Cache command that reached nbdkit.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires python3 --version

start_logged_disk
start_nbdcached -e disk="$disk_uri"

# SIGINT: a client stuck on a read shows where, in a traceback.
PYTHONDONTWRITEBYTECODE=1 \
    timeout -s INT 50 python3 "$abs_srcdir/spec-client.py" "$sock" disk "$tmpdir/log"
