#!/usr/bin/env bash
# Out of memory: every allocation the daemon makes to serve a client
# (accepting it, "hello", a pipeline of cache requests, "exports",
# "stats", "clients") is made to fail in turn by fail-calls.so, one
# per run, for a daemon that has served such a client before and for
# the first client of a fresh daemon; and so are the first ones it
# makes when its NBD connection is lost and reopened.  Whichever
# fails, the daemon stays up, and the client
#   - is served, or
#   - gets ENOMEM (a refused request, or a request that fails), or
#   - is disconnected, with a warning in the daemon's log;
# no reply is garbled, every accepted request gets exactly one
# completion (pipeline.py), and the next client is served normally.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_failing_shim

# One connection with room for two commands, so that a pipeline queues,
# coalesces and takes turns; no dedup, so every request is sent.
start_logged_disk
start_nbdcached_export disk "$disk_uri" connections=1 max-in-flight=2 \
    warm-ttl=0
stop_nbdcached
start_nbdcached_failing -c "$tmpdir/export.conf"

# outcome_ctl OP STATUS: classify what "nbdcachectl OP --json" did
# (output in $tmpdir/out): "ok" (the reply is whole: CHECK_OP holds),
# "enomem" or "closed".  Fails on anything else.
outcome_ctl ()
{
    local op=$1 status=$2
    if [ "$status" -eq 0 ]; then
        [ "$(jq "$(check_$op)" <"$tmpdir/out")" = true ] ||
            fail "$op: a garbled reply: $(cat "$tmpdir/out")"
        echo ok
    elif grep -q 'Cannot allocate memory' "$tmpdir/out"; then
        echo enomem
    elif grep -q 'the connection to the daemon was lost' "$tmpdir/out"; then
        echo closed
    else
        fail "$op: exit $status: $(cat "$tmpdir/out")"
    fi
}
check_exports () { echo 'sorted(j[0]) == ["block_size", "can_cache", "can_multi_conn", "connections", "name", "paused", "size", "state"] and j[0]["name"] == "disk" and j[0]["state"] == "up" and j[0]["block_size"]["maximum"] == 33554432'; }
check_stats () { echo 'j["exports"][0]["name"] == "disk" and len(j["exports"][0]["latency"]["counts"]) == len(j["exports"][0]["latency"]["bounds_us"]) + 1 and j["clients"] >= 1 and len(j["client_list"]) >= 1'; }
check_clients () { echo 'len(j) >= 1 and all(sorted(c) == ["bytes_in_flight", "gid", "id", "in_flight", "name", "pid", "queued", "requests", "uid"] for c in j)'; }

# outcome_pipeline STATUS: the same for pipeline.py, which has
# already checked the exactly-once rule when it exits 0 or 3.
outcome_pipeline ()
{
    local status=$1
    case "$status" in
    0)
        [ "$(jq 'j["accepted"] + sum(j["rejected"].values()) == 8 and set(j["rejected"]) <= {"ENOMEM"} and set(j["failed"]) <= {"ENOMEM"} and j["ok"] + sum(j["failed"].values()) == j["accepted"]' <"$tmpdir/out")" = true ] ||
            fail "pipeline: $(cat "$tmpdir/out")"
        if grep -q ENOMEM "$tmpdir/out"; then echo enomem; else echo ok; fi ;;
    3)
        if grep -q '"hello": "ENOMEM"' "$tmpdir/out"; then echo enomem
        elif grep -q '"closed"' "$tmpdir/out"; then echo closed
        else fail "pipeline: $(cat "$tmpdir/out")"
        fi ;;
    *)
        fail "pipeline: exit $status: $(cat "$tmpdir/out")" ;;
    esac
}

# run_case NAME: run the client of case NAME once, output in
# $tmpdir/out; prints its exit status.
run_case ()
{
    local status=0
    case "$1" in
    pipeline)
        # 8 adjacent 64K requests, protocol 2.
        timeout 60 env PYTHONDONTWRITEBYTECODE=1 \
            python3 "$abs_srcdir/pipeline.py" disk 8 65536 30 "" 2 \
            >"$tmpdir/out" 2>&1 || status=$?
        ;;
    *)
        timeout 60 "$NBDCACHECTL" -s "$sock" "$1" --json \
            >"$tmpdir/out" 2>&1 || status=$?
        ;;
    esac
    echo $status
}

# fail_one CASE S: run CASE once with its allocation S (from 0) failing,
# check the outcome (above) and that the next client is served, and
# note the outcome in seen[CASE.OUTCOME].
declare -A seen
fail_one ()
{
    local case=$1 s=$2 warnings status outcome
    warnings=$(oom_warnings)
    arm_failures $s 1
    status=$(run_case $case)
    arm_failures 0 0
    [ "$status" -ne 124 ] || fail "$case, allocation $s: the client hung"
    kill -0 "$nbdcached_pid" 2>/dev/null ||
        fail "$case, allocation $s: the daemon died"
    if [ $case = pipeline ]; then
        outcome=$(outcome_pipeline "$status")
    else
        outcome=$(outcome_ctl $case "$status")
    fi
    if [ "$outcome" = closed ] && [ "$(oom_warnings)" -le "$warnings" ]; then
        fail "$case, allocation $s: disconnected without a warning"
    fi
    echo "$case, allocation $s: $outcome"
    seen[$case.$outcome]=1

    # The next client is served.
    "$NBDCACHECTL" -s "$sock" cache disk 512M 64K ||
        fail "$case, allocation $s: the next client was not served"
}

# measure CASE: how many allocations serving CASE takes.
measure ()
{
    local n
    arm_failures 1000000000 0
    [ "$(run_case $1)" -eq 0 ] || fail "$1 failed with nothing failing"
    n=$(armed_calls)
    [ "$n" -gt 0 ] || fail "$1: the shim counted no allocation"
    echo $n
}

for case in pipeline exports stats clients; do
    # After one run, so that buffers that grow once have grown.
    run_case $case >/dev/null
    n=$(measure $case)
    echo "$case: $n allocations"
    for (( s=0; s < n; s++ )); do
        fail_one $case $s
    done
    # The want of memory was felt in each case: the sweep is not empty.
    [ -n "${seen[$case.enomem]:-}" ] || fail "$case: never got ENOMEM"
done
# Accepting a client allocates, so some were disconnected.
[ -n "${seen[pipeline.closed]:-}" ] || fail "no client was disconnected"
grep -q 'warning: accept: .*Cannot allocate memory' "$tmpdir/nbdcached.log" ||
    fail "a client that could not be accepted is not logged"

# The first client of a fresh daemon: the buffers that grow once (the
# encoders' of replies and events, the clients' list) grow for it, so
# their first allocations are failed too.  A new daemon each time.
fresh_daemon ()
{
    stop_nbdcached
    start_nbdcached_failing -c "$tmpdir/export.conf"
}
fresh_daemon
n=$(measure pipeline)
echo "first pipeline: $n allocations"
for (( s=0; s < n; s++ )); do
    fresh_daemon
    fail_one pipeline $s
done

# The server dies and comes back.  The loss reaches the main thread
# without allocating, and an allocation of the attempt to reconnect
# (its connect job, the job's copy of the settings) fails only that
# attempt, which is retried.  Only the first allocations are failed:
# deeper in the attempt they are glibc's, setting up the attempt's
# thread, and libnbd's, which do not all survive it.
# Under a sanitizer (ASan, TSan), failing an allocation made while a
# thread starts trips the runtime's own check (pthread_getattr_np),
# before the thread runs any of nbdcached's code: that part is for
# plain builds only.
if grep -qE 'lib(asan|tsan)' "/proc/$nbdcached_pid/maps"; then
    echo "reconnect: skipped under a sanitizer"
    exit 0
fi
for (( s=0; s < 6; s++ )); do
    before=$(reconnects)
    arm_failures $s 1
    restart_logged_disk
    wait_until 20 reconnected_since "$before" ||
        fail "reconnect, allocation $s: the connection did not come back"
    arm_failures 0 0
    kill -0 "$nbdcached_pid" 2>/dev/null ||
        fail "reconnect, allocation $s: the daemon died"
    "$NBDCACHECTL" -s "$sock" cache disk 512M 64K ||
        fail "reconnect, allocation $s: a request was not served"
    echo "reconnect, allocation $s: reconnected"
done
grep -q 'cannot connect: cannot set up the attempt to connect: Cannot allocate memory' \
    "$tmpdir/nbdcached.log" ||
    fail "no attempt to reconnect failed for want of memory"
