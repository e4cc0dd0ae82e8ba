#!/usr/bin/env bash
# nbdcached tests: libnbdcache against odd answers of a daemon, and
# when its own poll(2) fails (test-lib-bad-replies.c).  The peer is
# bad-daemon.py: it closes right after hello, answers twice, answers
# without members, names an export null, or answers late.
source "$abs_srcdir/functions.sh"
set -e

requires python3 --version
make_tmpdir

for mode in closeafterhello dupreply flatreply nullname slow; do
    sock="$tmpdir/$mode.sock"
    PYTHONDONTWRITEBYTECODE=1 python3 "$abs_srcdir/bad-daemon.py" \
        "$sock" "$mode" &
    pid=$!
    cleanup_fn "kill $pid"
    wait_for_file "$sock"
    vg_prog "$abs_builddir/test-lib-bad-replies" "$sock" "$mode"
done
