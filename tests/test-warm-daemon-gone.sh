#!/usr/bin/env bash
# nbdcachectl warm when the daemon dies mid-run: the lost connection
# is reported once, as such, not as a failed request with ENOTCONN
# ("Transport endpoint is not connected"), which reads as an export
# whose NBD server is down.
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
requires python3 --version
make_tmpdir
# Every Cache takes 10 s: nothing completes before the daemon dies.
start_slow_disk 10

# warm_and_kill ARGS...: start a daemon, run "warm ARGS" until its
# requests are at the server, kill the daemon with SIGKILL, and check
# that warm exits 1.  Its output is in $tmpdir/out and $tmpdir/err.
warm_and_kill ()
{
    local pid status=0 i
    start_nbdcached -e disk="$disk_uri"
    ctl warm --no-progress --request-size 1M "$@" \
        >"$tmpdir/out" 2>"$tmpdir/err" &
    pid=$!
    for (( i=0; i < 50; i++ )); do
        [ "$(ctl stats --json | jq 'j["exports"][0]["in_flight"]')" = 8 ] &&
            break
        sleep 0.1
    done
    (( i < 50 )) || fail "the requests never reached the daemon"
    kill -9 "$nbdcached_pid"
    wait "$pid" || status=$?
    cat "$tmpdir/out" "$tmpdir/err"
    [ $status -eq 1 ] || fail "warm $*: exit $status, expected 1"
    ! grep -q "nbdcache_aio_cache\|not connected" "$tmpdir/err" ||
        fail "warm $*: the lost daemon reads as a request's error"
}

lost="^nbdcachectl: nbdcache_poll: the connection to the daemon was lost: "

warm_and_kill disk
[ "$(wc -l <"$tmpdir/err")" -eq 1 ] && grep -q "$lost" "$tmpdir/err" ||
    fail "warm disk: not one line saying the connection was lost"

{ echo '{"export":"disk","offset":0,"count":4194304}'
  echo '{"export":"disk","offset":4194304,"count":4194304}'
  echo '{"export":"disk"}'
} >"$tmpdir/manifest"
warm_and_kill --manifest "$tmpdir/manifest"
[ "$(grep -c "$lost" "$tmpdir/err")" -eq 1 ] ||
    fail "warm --manifest: the lost connection is not reported once"
for line in 1 2 3; do
    grep -q "^nbdcachectl: $tmpdir/manifest:$line: .*: not warmed$" \
        "$tmpdir/err" || fail "warm --manifest: line $line is not reported"
done
grep -qE '^warmed 0 ranges of 1 export: .*, 3 failed$' "$tmpdir/out" ||
    fail "warm --manifest: the summary does not count the failures"

# The daemon is lost while warm still asks it for the exports' sizes
# (bad-daemon.py answers two requests, then closes): the loss is said
# once, nothing is sent, and every entry says "not warmed" once,
# however many exports are left to ask about.
bad="$tmpdir/bad.sock"
PYTHONDONTWRITEBYTECODE=1 python3 "$abs_srcdir/bad-daemon.py" \
    "$bad" dieafter2 &
bad_pid=$!
cleanup_fn "kill $bad_pid"
wait_for_file "$bad"
for i in 1 2 3 4 5; do echo "{\"export\":\"e$i\"}"; done > "$tmpdir/five"
status=0
"$NBDCACHECTL" -s "$bad" warm --no-progress --manifest "$tmpdir/five" \
    >"$tmpdir/out" 2>"$tmpdir/err" || status=$?
cat "$tmpdir/out" "$tmpdir/err"
[ $status -eq 1 ] || fail "warm with the daemon lost exited $status"
[ "$(grep -c 'connection to the daemon was lost' "$tmpdir/err")" = 1 ] ||
    fail "the loss is not said exactly once"
[ "$(grep -c ': not warmed$' "$tmpdir/err")" = 5 ] ||
    fail "not every entry says \"not warmed\" once"
