#!/usr/bin/env bash
# nbdcached tests: libnbdcache against odd answers of a daemon, and
# when its own poll(2) fails (test-lib-bad-replies.c).  The peer is
# bad-daemon.py: it closes right after hello, answers twice, answers
# without members, names an export null, refuses "exports" naming an
# export (as an older daemon does), answers late, or as a newer daemon
# may (members and an event kind the library does not know); and a send
# fails in one thread while another waits in nbdcache_poll.
source "$abs_srcdir/functions.sh"
set -e

requires python3 --version
make_tmpdir

# run_mode MODE [DAEMON-MODE]: the program's MODE against bad-daemon.py
# in DAEMON-MODE (default: MODE).
run_mode ()
{
    local sock="$tmpdir/$1.sock" pid
    env -u LD_PRELOAD -u FAIL_CALLS PYTHONDONTWRITEBYTECODE=1 \
        python3 "$abs_srcdir/bad-daemon.py" \
        "$sock" "${2:-$1}" &
    pid=$!
    cleanup_fn "kill $pid"
    wait_for_file "$sock"
    vg_prog "$abs_builddir/test-lib-bad-replies" "$sock" "$1"
}

for mode in closeafterhello dupreply flatreply nullname oldexports slow \
            newer; do
    run_mode $mode
done

# A send that fails (ENOBUFS, from fail-calls.so) in one thread while
# another sleeps in nbdcache_poll.
shim="$abs_builddir/.libs/fail-calls.so"
[ -f "$shim" ] || fail "$shim was not built"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
LD_PRELOAD="$shim" FAIL_CALLS=send=2 run_mode sendfails slow
