#!/usr/bin/env bash
# Compare two nbdcached binaries (two builds, two commits) on the same
# nbdkit server and the same client, in alternating rounds, so that
# both meet the same noise of a shared machine.  For a change too
# small for "make bench" to show: its ratios to direct libnbd move by
# more between runs than most changes move them.
#
#   bench/compare-daemons.sh [--rounds N] [--requests N] OLD NEW
#
# BENCH_CLIENT must name bench-client (bench/bench-client in a build
# tree).  Each round runs the random workload (64 in flight, one NBD
# connection) and the latency workload through each daemon, in turn
# old-new and new-old.  Prints, per workload, NEW's figure over OLD's
# in each round, the median and how many rounds NEW won; and each
# daemon's CPU time per request over all rounds, read from /proc,
# which the machine's noise moves far less than the rates.
set -euo pipefail

rounds=10 requests=40000
while [ $# -gt 2 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift ;;
        --requests) requests="$2"; shift ;;
        *) break ;;
    esac
    shift
done
if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
    echo "usage: $0 [--rounds N] [--requests N] OLD-NBDCACHED NEW-NBDCACHED" >&2
    exit 2
fi
: "${BENCH_CLIENT:?BENCH_CLIENT must name bench-client}"
declare -A binary=([old]="$1" [new]="$2")
lat_requests=$(( requests / 10 ))

source "$(dirname "$0")/bench-lib.sh"
bench_tmpdir
start_nbdkit mem memory 4G
printf '[export bench]\nuri = %s\nconnections = 1\nwarm-ttl = 0\n' \
    "$(uri mem)" > "$tmp/conf"
declare -A dpid
for v in old new; do
    "${binary[$v]}" -c "$tmp/conf" -s "$tmp/$v.sock" -P "$tmp/$v.pid" \
        2>> "$tmp/$v.log" &
    pids+=($!)
    while [ ! -s "$tmp/$v.pid" ]; do sleep 0.05; done
    dpid[$v]="$(cat "$tmp/$v.pid")"
done

# CPU time PID has used so far, in clock ticks.
ticks () { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# run V WORKLOAD FIELD ARGS...: one run of bench-client through daemon
# V; appends FIELD of its result to $tmp/V.WORKLOAD, and the daemon's
# ticks for it to $tmp/V.ticks.
run () {
    local v=$1 workload=$2 field=$3 t0
    shift 3
    t0="$(ticks "${dpid[$v]}")"
    "$BENCH_CLIENT" daemon "$workload" --socket "$tmp/$v.sock" "$@" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' \
            "$field" >> "$tmp/$v.$workload"
    echo $(( $(ticks "${dpid[$v]}") - t0 )) >> "$tmp/$v.ticks"
}

for (( r=0; r < rounds; r++ )); do
    if (( r % 2 )); then order="new old"; else order="old new"; fi
    for v in $order; do
        run "$v" random rps --requests "$requests" --depth 64
        run "$v" latency median_us --requests "$lat_requests"
    done
done

python3 - "$tmp" "$rounds" "$requests" "$lat_requests" "$(getconf CLK_TCK)" <<'EOF'
import statistics, sys
tmp, rounds, requests, lat_requests, hz = sys.argv[1], *map(int, sys.argv[2:])
def figures(v, w):
    return [float(l) for l in open("%s/%s.%s" % (tmp, v, w))]
for workload, better in (("random", "higher"), ("latency", "lower")):
    old, new = figures("old", workload), figures("new", workload)
    q = [n / o for o, n in zip(old, new)]
    won = sum((x > 1) if better == "higher" else (x < 1) for x in q)
    print("%-8s new/old per round: %s" % (workload, " ".join("%.2f" % x for x in q)))
    print("%-8s median new/old %.3f (%s is better); new better in %d of %d rounds"
          % (workload, statistics.median(q), better, won, rounds))
per_round = requests + lat_requests
for v in ("old", "new"):
    t = sum(figures(v, "ticks"))
    print("%s daemon CPU: %.2f us per request over %d requests"
          % (v, t * 1e6 / hz / (per_round * rounds), per_round * rounds))
EOF
