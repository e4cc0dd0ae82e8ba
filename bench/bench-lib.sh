# nbdcached benchmarks: what run-bench.sh and compare-daemons.sh share.
# Sourced, not run.

# bench_tmpdir: make $tmp, a fresh directory, and remove it at exit,
# after killing every process whose pid is in $pids.
bench_tmpdir () {
    tmp="$(mktemp -d /tmp/nbdcached-bench.XXXXXX)"
    pids=()
    trap bench_cleanup EXIT
}
bench_cleanup () {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
    wait 2>/dev/null || :
    rm -rf "$tmp"
}

# start_nbdkit NAME ARGS...: nbdkit ARGS on $tmp/NAME.sock, stopped at
# exit; returns once it is listening.
start_nbdkit () {
    local name=$1; shift
    nbdkit --exit-with-parent -U "$tmp/$name.sock" -P "$tmp/$name.pid" "$@" &
    pids+=($!)
    while [ ! -s "$tmp/$name.pid" ]; do sleep 0.05; done
}

# uri NAME: the NBD URI of the server start_nbdkit NAME started.
uri () { echo "nbd+unix:///?socket=$tmp/$1.sock"; }
