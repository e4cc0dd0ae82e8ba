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
