#!/usr/bin/env bash
# The benchmark, with tiny sizes and one run, so that it cannot rot:
# every workload must produce a figure for both sides.  (The real run
# is "make bench"; its figures are in README.md.)
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires numfmt --version
! [ -n "${VG:-}" ] || requires false    # far too slow under valgrind

NBDCACHED="$NBDCACHED" NBDCACHECTL="$NBDCACHECTL" \
BENCH_CLIENT="$abs_top_builddir/bench/bench-client" \
BENCH_RELAY="$abs_top_builddir/bench/bench-relay" \
    "$abs_top_srcdir/bench/run-bench.sh" --quick --out "$tmpdir/out"
python3 - "$tmpdir/out/results.csv" <<'EOP'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
names = {(r["workload"], r["metric"]) for r in rows}
for want in [("latency", "median_us"), ("latency", "relay_floor_median_us"),
             ("latency", "spinning_relay_floor_median_us"),
             ("latency", "busy_poll_200us_median_us"),
             ("random", "rps"),
             ("sequential", "rps"), ("sequential", "nbd_commands_per_run"),
             ("sequential", "nbd_commands_in_server_log"),
             ("many_processes", "rps"), ("many_processes", "hop_only_rps"),
             ("many_processes", "busy_poll_200us_rps"),
             ("many_processes", "cpu_us_per_request"),
             ("many_processes", "rps_ceiling"),
             ("shared_warm", "nbd_commands"),
             ("idle_clients", "rss_kib"), ("whole_warm", "chunks_32M_per_s")]:
    assert want in names, "missing %s" % (want,)
for r in rows:
    if r["target"] != "context":
        assert float(r["daemon"]) > 0, r
# Both relays (the floor of any hop) relayed real requests.
for metric in ["relay_floor_median_us", "spinning_relay_floor_median_us"]:
    relay = next(r for r in rows if r["metric"] == metric)
    assert float(relay["direct"]) > 0 and float(relay["daemon"]) > 0, relay
# The hop alone (which the bench checks sent no NBD command) ran.
hop = next(r for r in rows if r["metric"] == "hop_only_rps")
assert float(hop["daemon"]) > 0, hop
# So did the 32 processes with busy-polling on.
bp = next(r for r in rows if r["metric"] == "busy_poll_200us_rps")
assert float(bp["direct"]) > 0 and float(bp["daemon"]) > 0, bp
# The CPU accounting of the many-processes case: each side's CPU per
# request is the sum of its parts, and the clients, which time their
# own requests to the nanosecond, used some.  (The daemon and nbdkit
# are counted in 10 ms clock ticks, too coarse for this run's few
# milliseconds to be asserted on.)
cpu = {r["metric"]: r for r in rows if r["workload"] == "many_processes"}
for side, parts in [("direct", ["clients", "nbdkit"]),
                    ("daemon", ["clients", "nbdcached", "nbdkit"])]:
    got = [float(cpu[p + "_cpu_us_per_request"][side]) for p in parts]
    assert got[0] > 0 and all(g >= 0 for g in got), (side, got)
    total = float(cpu["cpu_us_per_request"][side])
    assert abs(total - sum(got)) < 0.02, (side, total, got)
assert float(cpu["rps_ceiling"]["daemon"]) >= 0, cpu["rps_ceiling"]
# The server's own log: the direct side sent one command per request,
# and coalescing made the daemon send fewer.
log = next(r for r in rows if r["metric"] == "nbd_commands_in_server_log")
assert int(log["direct"]) == 2000, log
assert 0 < int(log["daemon"]) < int(log["direct"]), log
print("%d rows OK" % len(rows))
EOP
