#!/usr/bin/env bash
# nbdcached tests: libnbdcache when the daemon breaks the protocol
# (test-lib-bad-daemon.c).  The peer is bad-daemon.py, a stand-in that
# sends what the real daemon never does: an over-long line, a line
# that is not JSON, an event for an unknown cookie, or an "id": null
# error for a line the library wrote.
source "$abs_srcdir/functions.sh"
set -e

requires python3 --version
make_tmpdir

for mode in long badjson unknownid idnull; do
    case $mode in
        long) reason="daemon sent an over-long message" ;;
        badjson) reason="malformed JSON" ;;
        unknownid) reason="daemon sent a message for an unknown or already answered id" ;;
        idnull) reason="the daemon could not read a message: id missing" ;;
    esac
    sock="$tmpdir/$mode.sock"
    PYTHONDONTWRITEBYTECODE=1 python3 "$abs_srcdir/bad-daemon.py" \
        "$sock" "$mode" &
    pid=$!
    cleanup_fn "kill $pid"
    wait_for_file "$sock"
    vg_prog "$abs_builddir/test-lib-bad-daemon" "$sock" "$reason"
done
