#!/usr/bin/env bash
# nbdcached benchmark: each workload through direct libnbd and through
# nbdcached on the same nbdkit server, several runs each, medians, and
# the ratio daemon/direct.  Prints a table, writes CSV (and a PNG when
# gnuplot is installed) to the output directory.
#
#   bench/run-bench.sh [--quick] [--runs N] [--out DIR]
#
# Run from a build tree by "make bench" (or "make check" with --quick,
# so the benchmark cannot rot).  Absolute figures depend on the
# machine; compare the ratios.  See README.md, "Performance".
set -euo pipefail

quick=0 runs=5 out="${BENCH_OUT:-bench-results}"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; runs=1 ;;
        --runs) runs="$2"; shift ;;
        --out) out="$2"; shift ;;
        *) echo "usage: $0 [--quick] [--runs N] [--out DIR]" >&2; exit 2 ;;
    esac
    shift
done
: "${NBDCACHED:?}" "${NBDCACHECTL:?}" "${BENCH_CLIENT:?}" "${BENCH_RELAY:?}"
mkdir -p "$out"
source "$(dirname "$0")/bench-lib.sh"
bench_tmpdir

if [ $quick = 1 ]; then
    size=256M reqs=2000 lat_reqs=200 warm_size=64M idle=50 procs=4 shared=4
else
    size=4G reqs=50000 lat_reqs=3000 warm_size=1G idle=1000 procs=32 shared=8
fi
warm_bytes=$(numfmt --from=iec "$warm_size")

start_daemon () {                  # CONFIG-TEXT
    printf '%s\n' "$1" > "$tmp/conf"
    rm -f "$tmp/d.pid"
    "$NBDCACHED" -c "$tmp/conf" -s "$tmp/d.sock" -P "$tmp/d.pid" \
        2>>"$tmp/daemon.log" &
    dpid=$!
    pids+=($dpid)
    while [ ! -s "$tmp/d.pid" ]; do sleep 0.05; done
}
stop_daemon () { kill "$dpid"; wait "$dpid" 2>/dev/null || :; }
field () { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
chunks () {                        # NBD commands the daemon has sent
    "$NBDCACHECTL" -s "$tmp/d.sock" stats --json |
        python3 -c 'import json,sys; print(sum(e["chunks"] for e in json.load(sys.stdin)["exports"]))'
}
median () { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
repeat () {                        # FIELD CMD...: the median of FIELD over $runs runs
    local f=$1; shift
    for (( i=0; i < runs; i++ )); do "$@" | field "$f"; done | median
}
# interleave NAME DIRECT-CMD DAEMON-CMD: run both $runs times,
# alternating, so that both sides meet the same noise of a shared
# machine; each run's JSON line goes to $tmp/NAME.direct|daemon.
interleave () {
    : > "$tmp/$1.direct"
    : > "$tmp/$1.daemon"
    for (( i=0; i < runs; i++ )); do
        $2 >> "$tmp/$1.direct"
        $3 >> "$tmp/$1.daemon"
    done
}
med () {                           # NAME SIDE FIELD: median over the runs
    while read -r line; do echo "$line" | field "$3"; done < "$tmp/$1.$2" | median
}

results="$out/results.csv"
echo "workload,metric,direct,daemon,ratio,target" > "$results"
row () {                           # WORKLOAD METRIC DIRECT DAEMON TARGET
    local ratio
    ratio="$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.2f", (a > 0) ? b / a : 0 }')"
    echo "$1,$2,$3,$4,$ratio,$5" >> "$results"
}

start_nbdkit mem memory "$size"
start_nbdkit null null "$size"

# Workloads 1 to 4 measure the request path itself: repeated runs
# would otherwise hit the "recently warmed" set (warm-ttl), so it is
# off there; workload 5 measures exactly that set.

# 1. Latency: one request at a time, 64 KiB.
lat_conf="[export bench]
uri = $(uri mem)
connections = 1
warm-ttl = 0"
start_daemon "$lat_conf"
direct () { "$BENCH_CLIENT" direct "$@" --uri "$(uri mem)"; }
daemon () { "$BENCH_CLIENT" daemon "$@" --socket "$tmp/d.sock"; }
relayed () { "$BENCH_CLIENT" direct "$@" --uri "$(uri relay)"; }
interleave lat "direct latency --requests $lat_reqs" \
    "daemon latency --requests $lat_reqs"
row latency median_us "$(med lat direct median_us)" "$(med lat daemon median_us)" "<= 2.0"
row latency p99_us "$(med lat direct p99_us)" "$(med lat daemon p99_us)" "-"
# For context, the floor: direct libnbd through bench-relay, a process
# that only copies bytes, so pays the same extra sleeps and wake-ups
# as any process in the middle and does nothing else.  Then the same
# through a relay that never sleeps (--spin), as a busy-polling proxy
# would, to show that trading a CPU for the wake-ups does not lower
# that floor on this machine.
relay_floor () {                   # ROW-METRIC [--spin]
    local metric=$1; shift
    rm -f "$tmp/relay.sock"
    "$BENCH_RELAY" "$@" "$tmp/relay.sock" "$tmp/mem.sock" &
    relay_pid=$!
    pids+=($relay_pid)
    while [ ! -S "$tmp/relay.sock" ]; do
        kill -0 "$relay_pid" || { echo "$0: bench-relay failed" >&2; exit 1; }
        sleep 0.05
    done
    interleave relay "direct latency --requests $lat_reqs" \
        "relayed latency --requests $lat_reqs"
    row latency "$metric" "$(med relay direct median_us)" \
        "$(med relay daemon median_us)" "context"
    kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || :
}
relay_floor relay_floor_median_us
relay_floor spinning_relay_floor_median_us --spin
# And the daemon that trades CPU for latency the same way, by its
# opt-in busy-poll-us (nbdcached(8)).
stop_daemon
start_daemon "[daemon]
busy-poll-us = 200

$lat_conf"
interleave lat_bp "direct latency --requests $lat_reqs" \
    "daemon latency --requests $lat_reqs"
row latency busy_poll_200us_median_us "$(med lat_bp direct median_us)" \
    "$(med lat_bp daemon median_us)" "<= 2.0 (opt-in)"
stop_daemon
start_daemon "$lat_conf"

# 2. Random pipelined: 64 in flight, one client, one NBD connection.
interleave random "direct random --requests $reqs --depth 64" \
    "daemon random --requests $reqs --depth 64"
row random rps "$(med random direct rps)" "$(med random daemon rps)" ">= 0.8"

# 3. Sequential stream: consecutive 64 KiB requests.  Also count the
# NBD commands that reached the server for the same requests.
c0="$(chunks)"
interleave seq "direct sequential --requests $reqs --depth 64" \
    "daemon sequential --requests $reqs --depth 64"
c1="$(chunks)"
row sequential rps "$(med seq direct rps)" "$(med seq daemon rps)" ">= 1.5"
row sequential nbd_commands_per_run "$reqs" "$(( (c1 - c0) / runs ))" "< 1.0"
stop_daemon

# The same stream once more from each side, on a server with nbdkit's
# log filter: the NBD commands that really reached the server.
start_nbdkit logged --filter=log memory "$size" logfile="$tmp/logged.log"
server_caches () { grep -cE ' Cache id=[0-9]+ offset=' "$tmp/logged.log" || :; }
"$BENCH_CLIENT" direct sequential --uri "$(uri logged)" --requests $reqs \
    --depth 64 > /dev/null
l0="$(server_caches)"
start_daemon "[export bench]
uri = $(uri logged)
connections = 1
warm-ttl = 0"
"$BENCH_CLIENT" daemon sequential --socket "$tmp/d.sock" --requests $reqs \
    --depth 64 > /dev/null
l1="$(server_caches)"
row sequential nbd_commands_in_server_log "$l0" "$(( l1 - l0 ))" "< 1.0"
stop_daemon

# 4. Many processes: $procs clients x 64 in flight on a pool of 4,
# against direct libnbd with 4 connections x 64.
start_daemon "[export bench]
uri = $(uri mem)
connections = 4
warm-ttl = 0"
# The processes connect first and start together at a common time, so
# that what is measured is the requests' throughput, not 32 process
# start-ups; the direct side starts the same way.
# CPU time (user and system) PID has used so far, in µs: all its
# threads, living and gone.  The kernel counts it to the nanosecond but
# shows it in clock ticks (10 ms), so each run records its totals, and
# the rows divide their sums over all runs by all the requests (see
# per_request).
cpu_us () {
    sed 's/.*) //' "/proc/$1/stat" |
        awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($12 + $13) * 1e6 / hz }'
}
server_pid="$(cat "$tmp/mem.pid")"
many () {                          # [BENCH-CLIENT-ARGS...]
    local start p=() s0 d0
    start=$(( $(date +%s%N) + 500000000 + procs * 20000000 ))
    for (( k=0; k < procs; k++ )); do
        "$BENCH_CLIENT" daemon random --socket "$tmp/d.sock" \
            --requests $((reqs / procs)) --depth 64 --seed $k \
            --start-at $start "$@" > "$tmp/many.$k" &
        p+=($!)
    done
    s0="$(cpu_us "$server_pid")" d0="$(cpu_us "$dpid")"
    wait "${p[@]}"
    cat "$tmp"/many.* | python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin]
start, server, daemon = (int(a) for a in sys.argv[1:])
n = sum(r["requests"] for r in runs)
print(json.dumps({
    "rps": n / ((max(r["end_ns"] for r in runs) - start) / 1e9),
    "requests": n, "clients_cpu_us": sum(r["cpu_us"] for r in runs),
    "daemon_cpu_us": daemon, "server_cpu_us": server}))' \
        $start $(( $(cpu_us "$server_pid") - s0 )) $(( $(cpu_us "$dpid") - d0 ))
    rm -f "$tmp"/many.*
}
many_direct () {
    local s0 out
    s0="$(cpu_us "$server_pid")"
    out="$("$BENCH_CLIENT" direct random --uri "$(uri mem)" --requests $reqs \
        --depth 64 --connections 4 --start-at $(( $(date +%s%N) + 300000000 )))"
    # (Not a pipeline: its parts start together, so an argument of the
    # second part would be read before the first part has run.)
    python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print(json.dumps({"rps": r["rps"], "requests": r["requests"],
                  "clients_cpu_us": r["cpu_us"], "daemon_cpu_us": 0,
                  "server_cpu_us": int(sys.argv[2])}))' \
        "$out" $(( $(cpu_us "$server_pid") - s0 ))
}
interleave mp many_direct many
row many_processes rps "$(med mp direct rps)" "$(med mp daemon rps)" ">= 0.8"
# Where the CPU goes, in µs per request (context).  The clients are
# the one direct libnbd process, or the $procs libnbdcache processes;
# the server is nbdkit.  These processes keep every CPU busy, so each
# side's requests/s is about the CPUs' time divided by its CPU per
# request ("cpus_busy" checks that).  Then a process in the middle
# that did no more than the direct libnbd process does (the same NBD
# commands through libnbd, and nothing for its clients) would reach
# "ceiling" of direct's requests/s: the most that this case allows
# any such design on this machine.
per_request () {                   # NAME SIDE FIELD: sum over the runs / requests
    python3 -c '
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print("%.2f" % (sum(r[sys.argv[2]] for r in runs) /
                sum(r["requests"] for r in runs)))' "$tmp/$1.$2" "$3"
}
cl_d="$(per_request mp direct clients_cpu_us)"
sv_d="$(per_request mp direct server_cpu_us)"
cl="$(per_request mp daemon clients_cpu_us)"
dm="$(per_request mp daemon daemon_cpu_us)"
sv="$(per_request mp daemon server_cpu_us)"
# A full run is long enough for every party to use some CPU; a part
# that shows none was not measured.
if [ $quick = 0 ]; then
    for v in "$cl_d" "$sv_d" "$cl" "$dm" "$sv"; do
        awk -v v="$v" 'BEGIN { exit !(v > 0) }' ||
            { echo "$0: a CPU accounting part is 0: $cl_d $sv_d $cl $dm $sv" >&2
              exit 1; }
    done
fi
sum () { awk -v a="$1" -v b="$2" -v c="${3:-0}" 'BEGIN { printf "%.2f", a + b + c }'; }
row many_processes cpu_us_per_request "$(sum "$cl_d" "$sv_d")" \
    "$(sum "$cl" "$dm" "$sv")" "context"
row many_processes clients_cpu_us_per_request "$cl_d" "$cl" "context"
row many_processes nbdcached_cpu_us_per_request "-" "$dm" "context"
row many_processes nbdkit_cpu_us_per_request "$sv_d" "$sv" "context"
busy () { awk -v r="$1" -v c="$2" -v n="$(nproc)" 'BEGIN { printf "%.2f", r * c / 1e6 / n }'; }
row many_processes cpus_busy "$(busy "$(med mp direct rps)" "$(sum "$cl_d" "$sv_d")")" \
    "$(busy "$(med mp daemon rps)" "$(sum "$cl" "$dm" "$sv")")" "context"
row many_processes rps_ceiling "$(med mp direct rps)" \
    "$(awk -v r="$(med mp direct rps)" -v d="$(sum "$cl_d" "$sv_d")" \
           -v m="$(sum "$cl" "$cl_d" "$sv")" 'BEGIN { printf "%.1f", r * d / m }')" \
    "context"
stop_daemon
# The same with the opt-in busy-poll-us of the latency row, which a
# loop with more than one NBD command in flight does not spin for: it
# must cost this case nothing.
start_daemon "[daemon]
busy-poll-us = 200

[export bench]
uri = $(uri mem)
connections = 4
warm-ttl = 0"
interleave mp_bp many_direct many
row many_processes busy_poll_200us_rps "$(med mp_bp direct rps)" \
    "$(med mp_bp daemon rps)" "context"
stop_daemon

# For context, the hop alone: the same 32 processes through the
# daemon, on a range it has just warmed, so that it answers every
# request from its "recently warmed" set and sends no NBD command.
# What the daemon and the clients cost without the NBD work, against
# direct libnbd doing the NBD work.
start_daemon "[export bench]
uri = $(uri mem)
connections = 4
warm-ttl = 3600"
"$NBDCACHECTL" -s "$tmp/d.sock" cache bench 0 "$warm_bytes" > /dev/null
c0="$(chunks)"
# Four times the requests, so that the run lasts about as long as the
# real one (a later --requests wins).
for (( r=0; r < runs; r++ )); do
    many --length "$warm_bytes" --requests $((4 * reqs / procs)) | field rps
done > "$tmp/hop"
[ "$(chunks)" = "$c0" ] ||
    { echo "$0: the hop-only run sent NBD commands" >&2; exit 1; }
row many_processes hop_only_rps "$(med mp direct rps)" "$(median < "$tmp/hop")" \
    "context"
stop_daemon

# 5. Shared warm: $shared processes warm the same range at once; NBD
# commands reaching the server, against one process warming alone.
# A fresh daemon with the default warm-ttl.
start_daemon "[export bench]
uri = $(uri mem)"
alone=$(( warm_bytes / 65536 ))
c0="$(chunks)"
for (( k=0; k < shared; k++ )); do
    "$BENCH_CLIENT" daemon warm --socket "$tmp/d.sock" --length "$warm_bytes" > /dev/null &
    p[$k]=$!
done
wait "${p[@]:0:$shared}"
c1="$(chunks)"
row shared_warm nbd_commands "$alone" "$((c1 - c0))" "<= 1.2"

# 6. Idle clients: the daemon's RSS with $idle clients connected.
rss="$(python3 "$(dirname "$0")/idle-clients.py" "$tmp/d.sock" $idle "$dpid")"
row idle_clients rss_kib "-" "$rss" "<= 32768 KiB"
stop_daemon

# 7. Whole-export warm on a server where cache does real work: the
# cache filter reads every cached block from the pattern plugin into
# its cache (noextents stops nbdcopy from skipping anything).  Every
# run gets a fresh server, so no side finds the data already cached.
# Best direct settings found (4 connections x 4 x 32 MiB) against
# nbdcachectl warm with its defaults.
# Each run starts its server and stops it itself: warm_nbdcopy runs in
# a pipeline's subshell, where nothing it sets survives.
fresh_work_server () {
    rm -f "$tmp/work.sock" "$tmp/work.pid"
    start_nbdkit work --filter=noextents --filter=cache pattern "$warm_size" \
        cache-on-read=true
    work_pid="$(cat "$tmp/work.pid")"
}
stop_work_server () { kill "$work_pid"; wait "$work_pid" 2>/dev/null || :; }
rate () { awk -v sz="$warm_bytes" -v a="$1" -v b="$2" \
          'BEGIN {print sz / 33554432 / (b - a)}'; }
warm_direct () {
    fresh_work_server
    "$BENCH_CLIENT" direct warm --uri "$(uri work)" --size 33554432 \
        --connections 4 --depth 4
    stop_work_server
}
warm_daemon () {
    local s e
    fresh_work_server
    start_daemon "[export bench]
uri = $(uri work)
warm-ttl = 0"
    s=$(date +%s.%N)
    "$NBDCACHECTL" -s "$tmp/d.sock" warm bench --no-progress > /dev/null
    e=$(date +%s.%N)
    stop_daemon
    stop_work_server
    echo "{\"rps\": $(rate "$s" "$e")}"
}
warm_nbdcopy () {
    local s e
    fresh_work_server
    s=$(date +%s.%N)
    nbdcopy "$(uri work)" null: 2>/dev/null
    e=$(date +%s.%N)
    stop_work_server
    echo "{\"rps\": $(rate "$s" "$e")}"
}
interleave warm warm_direct warm_daemon
row whole_warm chunks_32M_per_s "$(med warm direct rps)" "$(med warm daemon rps)" ">= 0.9"
if command -v nbdcopy >/dev/null; then
    row whole_warm nbdcopy_chunks_32M_per_s "$(repeat rps warm_nbdcopy)" "-" "context"
fi

# The table.
column -t -s, "$results"
if command -v gnuplot >/dev/null; then
    awk -F, 'NR > 1 && $5 != "0.00" && $3 != "-" {print NR-1, $5, $1 "/" $2}' "$results" > "$tmp/plot.dat"
    gnuplot -e "set terminal png size 900,400; set output '$out/ratios.png';
                set style fill solid; set boxwidth 0.6; set xtics rotate by -30;
                set ylabel 'daemon / direct'; unset key;
                plot '$tmp/plot.dat' using 1:2:xtic(3) with boxes" || :
fi
echo "results in $results"
