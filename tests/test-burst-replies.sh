#!/usr/bin/env bash
# Bursts of replies on one NBD connection (daemon/nbdconn.c, on_socket):
# the daemon reads every reply that has arrived in one pass, and must
# never notify libnbd when no reply is waiting (that leaves libnbd out
# of its ready state and later commands stall until the request
# timeout).  Thousands of pipelined requests on a single connection,
# driven from the main loop and then from a worker thread, through the
# raw protocol (versions 1 and 2) and through libnbdcache, must all
# succeed well inside a 5 s request timeout, each reaching the server
# exactly once.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
bench_client="$abs_top_builddir/bench/bench-client"
[ -x "$bench_client" ] || requires false

start_logged_disk

n_raw=3000 n_lib=5000
expect=$(( 2 * n_raw + n_lib ))
# --threads 0 with one connection: everything on the main loop;
# --threads 2 with two: connection 1 is driven by a worker thread.
for run in 0:1 2:2; do
    threads=${run%:*} conns=${run#*:}
    : > "$tmpdir/log"
    start_nbdcached_export disk "$disk_uri" connections=$conns \
        request-timeout=5 warm-ttl=0 coalesce=false -- --threads $threads
    for v in 1 2; do
        out="$(pipeline disk $n_raw 4096 20 "" $v)"
        echo "threads $threads, protocol $v: $out"
        [ "$(echo "$out" | jq 'j["ok"]')" = $n_raw ] ||
            fail "threads $threads, protocol $v: not every request succeeded: $out"
    done
    # The library (protocol 2), random offsets, 64 in flight; it exits
    # non-zero if any request fails.
    $VG "$bench_client" daemon random --socket "$sock" --export disk \
        --requests $n_lib --depth 64 --size 4096 > "$tmpdir/lib.json" ||
        fail "threads $threads: libnbdcache requests failed"
    # Not cache_lines: nbdkit keeps writing at its old offset after the
    # truncation above, so the log starts with NULs and is "binary" to
    # grep, which then only counts.
    n=$(grep -cE ' Cache id=[0-9]+ offset=' "$tmpdir/log" || :)
    [ "$n" -eq $expect ] ||
        fail "threads $threads: $n Cache commands reached the server, expected $expect"
    stop_nbdcached
done
