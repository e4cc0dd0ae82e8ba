#!/usr/bin/env bash
# nbdcachectl --timeout bounds all its waiting for the daemon.  A cache
# or warm of an export whose server takes 4 s per Cache (nbdkit's
# delay filter) ends when the time is up, with exit 124 and a message
# saying what it waited for; the daemon then drops the request of the
# client that went, and nothing is left behind.  A stopped daemon,
# which holds the handshake, and a daemon that never replies are
# bounded too; a command that ends in time is not disturbed.  (The
# usage errors of --timeout are in test-help.sh.)
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires python3 --version

start_slow_disk 4
start_nbdcached -e disk="$disk_uri"
wait_until 10 export_is up || fail "disk did not come up"

# ms SECONDS: SECONDS (a decimal) in milliseconds.
ms () { awk -v s="$1" 'BEGIN { printf "%d\n", s * 1000 }'; }

# timed_out SECONDS WHAT ARGS...: nbdcachectl --timeout SECONDS ARGS
# must exit 124 after SECONDS, give or take the start of the program,
# with nothing on stdout and the message "timed out after SECONDS s
# WHAT" alone on stderr.
timed_out ()
{
    local seconds=$1 what=$2 start took slack=2000
    shift 2
    measuring || slack=20000       # valgrind starts slowly
    start=$(date +%s%N)
    expect_status 124 "--timeout $seconds $*" ctl --timeout "$seconds" "$@"
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$(cat "$tmpdir/err")" = \
      "nbdcachectl: timed out after $seconds s $what" ] ||
        fail "--timeout $seconds $*: the message is not 'timed out after $seconds s $what'"
    [ ! -s "$tmpdir/out" ] || fail "--timeout $seconds $*: wrote to stdout"
    [ $took -ge "$(ms "$seconds")" ] &&
        [ $took -lt $(( $(ms "$seconds") + slack )) ] ||
        fail "--timeout $seconds $*: exited after $took ms"
    echo "--timeout $seconds $*: exit 124 after $took ms"
}

# idle: the daemon has no client but the one asking, and no request
# in flight.  For wait_until.
idle ()
{
    [ "$(ctl clients --json | jq 'len(j)')" = 1 ] &&
        [ "$(ctl stats --json | jq '[j["in_flight"],
                                     j["exports"][0]["chunks_in_flight"]]')" \
              = '[0, 0]' ]
}

# The completions of cache and warm.
timed_out 1 "waiting for the daemon to warm disk" cache disk 0 4K
wait_until 15 idle || fail "the daemon still works for a client that has gone"
timed_out 0.5 "waiting for the daemon to warm disk" warm disk --no-progress
wait_until 15 idle || fail "the daemon still works for the warm that timed out"

# In time, nothing changes: a cache of 4 s under a timeout of 30 s.
ctl --timeout 30 cache disk 1M 4K
ctl -t 30 stats > "$tmpdir/out"
grep -qE '^disk +up ' "$tmpdir/out" || fail "stats under --timeout"

# A stopped daemon: the connection is queued, the handshake waits.
kill -STOP "$nbdcached_pid"
cleanup_fn "kill -CONT $nbdcached_pid"
timed_out 0.5 "connecting to the daemon" stats
kill -CONT "$nbdcached_pid"
ctl stats > /dev/null

# A daemon that answers the handshake and then nothing (bad-daemon.py:
# the real one always answers these at once).
python3 "$abs_srcdir/bad-daemon.py" "$tmpdir/mute.sock" mute &
cleanup_fn "kill $!"
wait_for_file "$tmpdir/mute.sock"
sock="$tmpdir/mute.sock"
timed_out 0.5 "waiting for the daemon's reply to stats" stats --json
timed_out 0.5 "waiting for the daemon's reply to exports" exports
timed_out 0.5 "waiting for the daemon's reply to pause" pause disk
timed_out 0.5 "waiting for the daemon to look up the size of disk" \
    warm disk
