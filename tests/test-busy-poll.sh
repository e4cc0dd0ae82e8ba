#!/usr/bin/env bash
# busy-poll-us: after a pass of its loop that did work, the daemon
# polls without sleeping for a while, at most that long, then sleeps
# again.  The while adapts to how soon work has come after work: a
# client sending one request at a time keeps the loop awake, requests
# further apart than busy-poll-us do not make it spin at all.  0 (the
# default) never spins, and neither does a loop with more than one NBD
# command in flight.  Checked by the daemon's own CPU time
# (/proc/PID/stat) and its main thread's sleeps (voluntary context
# switches), idle, during and after a stream of requests, while two
# wait for a slow server, for requests far apart, and across a reload
# that turns it off, with requests still reaching the server.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
# CPU time is what this checks; valgrind's own cost would drown it.
! [ -n "${VG:-}" ] || requires false
start_logged_disk
requires_nbdkit_filter delay
start_nbdkit slow --filter=delay memory 1G delay-cache=3

# Out-of-range values are refused with the range.
for bad in -1 1000001 abc; do
    printf '[daemon]\nbusy-poll-us = %s\n[export disk]\nuri = %s\n' \
        "$bad" "$disk_uri" > "$tmpdir/bad.conf"
    if "$NBDCACHED" --check-config -c "$tmpdir/bad.conf" 2>"$tmpdir/err"; then
        fail "busy-poll-us = $bad was accepted"
    fi
    grep -q "busy-poll-us.*must be 0 to 1000000" "$tmpdir/err" ||
        fail "busy-poll-us = $bad: unclear error: $(cat "$tmpdir/err")"
done

# A whole second, the most it may be: the window adapts to the gaps
# between messages, far below it.
# warm-ttl = 0: every request goes to the server, whose reply the loop
# waits for (a range warmed earlier would be answered at once).
write_conf () {
    printf '[daemon]\nbusy-poll-us = %s\n\n[export disk]\nuri = %s\nwarm-ttl = 0\n' \
        "$1" "$disk_uri" > "$tmpdir/conf"
    printf '[export slow]\nuri = %s\nconnections = 1\n' "$slow_uri" \
        >> "$tmpdir/conf"
}
write_conf 1000000
start_nbdcached -c "$tmpdir/conf"
# It costs CPU, so the log says it is on.
[ "$(log_count 'busy-poll-us = 1000000: event loops poll')" = 1 ] ||
    fail "the log does not say that busy-polling is on"
# cpu_ms: the daemon's CPU time so far, all threads, in milliseconds.
cpu_ms () {
    run_py "$nbdcached_pid" <<< \
        'import sys, rawclient; print(int(rawclient.cpu_seconds(sys.argv[1]) * 1000))'
}
# cpu_over SECONDS: the daemon's CPU time during the next SECONDS.
cpu_over () {
    local a b
    a=$(cpu_ms); sleep "$1"; b=$(cpu_ms)
    echo $(( b - a ))
}
# request N: cache 64 KiB at N MiB, which must reach the server.
request () {
    ctl cache disk "$1M" 64K
    cache_lines "$tmpdir/log" | grep -qx "$(( $1 << 20 )) 65536" ||
        fail "the request at $1 MiB did not reach the server"
}

# reload_with US LOG-LINE: reload with busy-poll-us = US, which the
# log must then say once, in LOG-LINE.
reload_with () {
    local reloads
    write_conf "$1"
    reloads=$(log_count 'reloaded:')
    kill -HUP "$nbdcached_pid"
    wait_until 10 log_grew 'reloaded:' "$reloads"
    [ "$(log_count "$2")" = 1 ] ||
        fail "after a reload to busy-poll-us = $1 the log does not say: $2"
}
# sleeps: how often the daemon's main thread, which serves a lone
# request, has gone to sleep so far.  A spinning loop does not.
sleeps () {
    awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$nbdcached_pid/status"
}
# stream N: N requests one after the other, each sent as soon as the
# last one's reply is in (bench-client's latency workload, through
# libnbdcache).  Prints the main thread's sleeps meanwhile.
stream () {
    local a b
    a=$(sleeps)
    "$abs_top_builddir/bench/bench-client" daemon latency --requests "$1" \
        --socket "$sock" --export disk --length $((1 << 30)) \
        > "$tmpdir/stream.json"
    b=$(sleeps)
    [ "$(jq 'j["requests"]' < "$tmpdir/stream.json")" = "$1" ] ||
        fail "the stream of $1 requests: $(cat "$tmpdir/stream.json")"
    echo $(( b - a ))
}

sleep 1.5                       # let start-up's spin run out
idle=$(cpu_over 1)
echo "idle, busy-poll on: ${idle} ms of CPU in 1 s"
[ "$idle" -lt 100 ] || fail "an idle daemon spins: ${idle} ms of CPU in 1 s"

# One request at a time: the window grows until the reply from the
# server and the next request come while the loop still spins, so the
# thread hardly ever sleeps: under 10% of the requests (7 of 2000 seen;
# off, over 20%: see the end).
request 1
slept=$(stream 2000)
echo "2000 requests one at a time: the main thread slept ${slept} times"
[ "$slept" -lt 200 ] ||
    fail "busy-polling did not keep the loop awake: it slept $slept times"

# The window is only as long as the gaps it has seen, well under
# busy-poll-us: idle again at once.
sleep 0.5
idle=$(cpu_over 1)
echo "idle again: ${idle} ms of CPU in 1 s"
[ "$idle" -lt 100 ] || fail "the spin did not end: ${idle} ms of CPU in 1 s"

# A loop with more than one command in flight does not spin: their
# replies come soon anyway (here not for 3 s), and the CPU is better
# left to the server and the clients.  The main loop drives slow's one
# connection, with 2 commands on it (128 KiB apart, so that coalescing
# does not merge them).
pipeline slow 2 65536 30 131072 > "$tmpdir/slow.json" &
slow_pipe=$!
wait_until 2 chunks_in_flight_are 2 1 ||
    fail "the 2 slow commands are not in flight"
waiting=$(cpu_over 0.8)
echo "2 commands in flight, waiting for the server: ${waiting} ms of CPU in 0.8 s"
[ "$waiting" -lt 100 ] ||
    fail "a loop with 2 commands in flight spins: ${waiting} ms in 0.8 s"
wait $slow_pipe || fail "the slow requests: $(cat "$tmpdir/slow.json")"
[ "$(jq 'j["ok"]' < "$tmpdir/slow.json")" = 2 ] ||
    fail "not all slow requests succeeded: $(cat "$tmpdir/slow.json")"
sleep 1.2                       # the spin after their replies

# A reload that lowers busy-poll-us also shortens a window already
# grown: a client pacing its requests 2 ms apart keeps the loop
# spinning under a bound of 1 s, and no longer under one of 100 us.
run_py_bg <<'EOP'
import time, rawclient
c = rawclient.Client()
c.hello(1)
off = 0
while True:
    r = c.request({"op": "cache", "export": "disk", "offset": off,
                   "count": 65536})
    c.wait_complete(r["cookie"])
    off = (off + 65536) % (1 << 30)
    time.sleep(0.002)
EOP
paced=$py_pid
sleep 0.5
spun=$(cpu_over 1)
echo "requests 2 ms apart, busy-poll-us = 1000000: ${spun} ms of CPU in 1 s"
[ "$spun" -ge 200 ] ||
    fail "requests 2 ms apart did not make the loop spin: ${spun} ms in 1 s"
reload_with 100 'busy-poll-us = 100: event loops poll'
sleep 0.2
spun=$(cpu_over 1)
echo "the same after a reload to busy-poll-us = 100: ${spun} ms of CPU in 1 s"
[ "$spun" -lt 100 ] ||
    fail "a reload to busy-poll-us = 100 left a longer window: ${spun} ms in 1 s"
kill "$paced"
wait "$paced" 2>/dev/null || :

# Requests further apart than busy-poll-us do not make it spin: the
# window closes after the first such gap.  (Before the window adapted,
# each of these 8 requests cost a spin of 50 ms, 400 ms in all.)
reload_with 50000 'busy-poll-us = 50000: event loops poll'
sleep 0.5
a=$(cpu_ms)
for n in 3 4 5 6 7 8 9 10; do request $n; sleep 0.25; done
b=$(cpu_ms)
echo "8 requests 0.25 s apart: $(( b - a )) ms of CPU"
[ $(( b - a )) -lt 150 ] ||
    fail "requests further apart than busy-poll-us spin: $(( b - a )) ms"

# A reload turns it off: the same request then leaves the daemon idle,
# and a stream of requests makes it sleep for each.
reload_with 0 'busy-poll-us = 0: event loops sleep'
sleep 1
request 2
after=$(cpu_over 0.8)
echo "after a request with busy-poll off: ${after} ms of CPU in 0.8 s"
[ "$after" -lt 100 ] || fail "busy-poll-us = 0 still spins: ${after} ms in 0.8 s"
# Off, the loop sleeps whenever the server's reply or the next request
# is not there yet when it looks: more than once a request here, and
# still 276 times in 500 under AddressSanitizer, whose slower daemon
# finds more of them waiting.  Over 20% tells sleeping from spinning.
slept=$(stream 500)
echo "500 requests one at a time, busy-poll off: the main thread slept ${slept} times"
[ "$slept" -ge 100 ] ||
    fail "busy-poll-us = 0: the main thread slept only $slept times for 500 requests"
