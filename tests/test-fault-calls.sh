#!/usr/bin/env bash
# Calls that fail only when the system is out of a resource, made to
# fail once by fail-calls.so (fail-calls.c): the daemon says why, and
# either recovers by itself or refuses to start.  It never hangs and
# never serves half set up.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

shim="$abs_builddir/.libs/fail-calls.so"
[ -f "$shim" ] || fail "$shim was not built"
# A sanitizer's runtime checks that it comes first among the libraries;
# here the shim does, and calls on into the runtime's interceptors.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# 1. The thread of a connection attempt cannot be started
# (connect-job.c).  The attempt fails like any other, with the reason,
# and the next one connects.  With --threads 0 it is the daemon's first
# pthread_create.
start_logged_disk
printf '[export disk]\nuri = %s\nreconnect-delay = 0.1\n' "$disk_uri" \
    > "$tmpdir/conf"
LD_PRELOAD="$shim" FAIL_CALLS=pthread_create=1 \
    start_nbdcached -c "$tmpdir/conf" --threads 0
wait_until 10 export_is up || fail "the export never came up"
grep -q "cannot start a thread to connect: Resource temporarily unavailable" \
    "$tmpdir/nbdcached.log" || fail "the failed thread is not logged"
ctl cache disk 0 1M
[ "$(cache_lines "$tmpdir/log")" = "0 1048576" ] ||
    fail "the cache request did not reach the server"
stop_nbdcached

# refuses_to_start WHAT MESSAGE FAIL_CALLS ARGS...: the daemon, with
# FAIL_CALLS, exits 1 at start-up logging MESSAGE, without writing its
# pid file (it never became ready) or leaving its socket file behind.
refuses_to_start ()
{
    local what=$1 message=$2 calls=$3
    shift 3
    rm -f "$tmpdir/nbdcached.pid" "$tmpdir/d.sock"
    expect_status 1 "$what" env LD_PRELOAD="$shim" FAIL_CALLS="$calls" \
        $VG "$NBDCACHED" -s "$tmpdir/d.sock" -P "$tmpdir/nbdcached.pid" \
        -c "$tmpdir/conf" "$@"
    grep -q "$message" "$tmpdir/err" || fail "$what: the reason is not logged"
    [ ! -e "$tmpdir/nbdcached.pid" ] || fail "$what: it wrote its pid file"
    [ ! -e "$tmpdir/d.sock" ] || fail "$what: it left its socket file behind"
}

# 2. The second of two worker threads cannot be started (worker.c).
refuses_to_start "a worker thread" \
    "pthread_create: Resource temporarily unavailable" pthread_create=2 \
    --threads 2

# 3. The timer that bounds batched output cannot be made (client.c).
refuses_to_start "the batch timer" "timerfd_create: Too many open files" \
    timerfd_create=1

# 4. libevent has no memory for the listener (listener.c, listener_wrap):
# the socket file made for it and the timer made before it go too.
refuses_to_start "the listener" \
    "evconnlistener_new: Cannot allocate memory" evconnlistener_new=1
grep -q "error: cannot start: no socket to listen on" "$tmpdir/err" ||
    fail "the listener: no final reason"

# 5. A copy of a string (strdup) fails at start-up, each in turn, up to
# the first that start-up survives without a word: the daemon either
# refuses to start, saying what it could not copy (the -s and -P of
# config_apply_command_line among them), and leaves nothing behind;
# or it starts and serves.  (Once it has started, the failed copy may
# be libnbd's, in the first connection attempt: that attempt fails,
# and the export serves once the connection is retried.)
started_or_gone ()
{
    [ -s "$tmpdir/nbdcached.pid" ] || ! kill -0 "$pid" 2>/dev/null
}
serves () { "$NBDCACHECTL" -s "$tmpdir/d.sock" cache disk 0 1M; }
oom='Cannot allocate memory|out of memory'
seen=
for (( k=1; k <= 50; k++ )); do
    rm -f "$tmpdir/nbdcached.pid" "$tmpdir/d.sock"
    env LD_PRELOAD="$shim" FAIL_CALLS=strdup=$k $VG "$NBDCACHED" \
        -s "$tmpdir/d.sock" -P "$tmpdir/nbdcached.pid" -c "$tmpdir/conf" \
        > "$tmpdir/err" 2>&1 &
    pid=$!
    wait_until 20 started_or_gone || fail "strdup $k: neither started nor gone"
    if [ -s "$tmpdir/nbdcached.pid" ]; then
        wait_until 20 serves || fail "strdup $k: started, but does not serve"
        kill "$pid"
        wait "$pid" || fail "strdup $k: exit $? after SIGTERM"
        echo "strdup $k: started"
        grep -qE "$oom" "$tmpdir/err" || break
        continue
    fi
    status=0
    wait "$pid" || status=$?
    cat "$tmpdir/err"
    [ $status -eq 1 ] || fail "strdup $k: exit $status, expected 1"
    grep -qE "$oom" "$tmpdir/err" || fail "strdup $k: the reason is not logged"
    seen+=$(grep -oE "applying --(socket|pid-file)|copying the socket path" \
                 "$tmpdir/err" | tr -d ' ' || :)
    [ ! -e "$tmpdir/d.sock" ] || fail "strdup $k: it left its socket file behind"
    echo "strdup $k: refused to start"
done
[ $k -le 50 ] || fail "start-up never survived a failed strdup"
for what in applying--socket applying--pid-file copyingthesocketpath; do
    [[ $seen == *$what* ]] || fail "no strdup failed in '$what'"
done
