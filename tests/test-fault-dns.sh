#!/usr/bin/env bash
# A server's host name that cannot be resolved because the nameserver
# never answers: libnbd looks names up with a blocking getaddrinfo,
# which must not hold up the daemon.  While lookups for "remote" hang,
# the healthy export is served at once (the request reaches nbdkit),
# "exports" answers and shows it up, the watchdog pings keep their
# period, no more than one lookup thread runs for the connection,
# "remote" is down "timed out resolving the host name", and SIGTERM
# exits 0 at once although a lookup is stuck.
#
# The daemon runs in a private mount namespace where /etc/resolv.conf
# names a nameserver that never answers (start_nameserver), with
# timeout:3 and attempts:2: a lookup gives up after 6 to 12 s, so a
# daemon stalled by one is stalled long enough to see.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
start_nameserver

python3 "$abs_srcdir/notify-listen.py" "$tmpdir/notify" "$tmpdir/msgs" \
        --times &
cleanup_fn "kill $!"
wait_for_file "$tmpdir/notify"

start_logged_disk

# Elapsed milliseconds since the microsecond time $1 ($EPOCHREALTIME
# without the dot).
now_us () { echo "${EPOCHREALTIME/./}"; }
ms_since () { echo $(( ($(now_us) - $1) / 1000 )); }

# A stall by one lookup lasts 6 s or more; a working daemon answers in
# milliseconds (valgrind makes that about a second).
if measuring; then limit_ms=2000; else limit_ms=4000; fi

# timed WHAT CMD [ARGS...]: run CMD (its output in $tmpdir/out), fail
# if it fails or takes longer than limit_ms.
timed ()
{
    local what=$1 t0 ms
    shift
    t0=$(now_us)
    "$@" >"$tmpdir/out" || fail "$what failed: $(cat "$tmpdir/out")"
    ms=$(ms_since "$t0")
    echo "$what: $ms ms"
    [ "$ms" -lt "$limit_ms" ] || fail "$what took $ms ms (limit $limit_ms)"
}

# Retry "remote" every 0.5 s at most, so that a daemon that looks the
# name up on its own loop would be stuck most of the time.
# (ThreadSanitizer would sleep 1 s at exit because the lookup thread
# is still alive; the exit time measured below is the daemon's.)
t0=$(now_us)
NBDCACHED="$tmpdir/nbdcached-dns" VG= NOTIFY_SOCKET="$tmpdir/notify" \
    WATCHDOG_USEC=1000000 \
    TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}atexit_sleep_ms=0" \
    start_nbdcached_conf <<EOF
[export disk]
uri = $disk_uri
[export remote]
uri = nbd://some-name.invalid/
connect-timeout = 1
reconnect-max-delay = 0.5
EOF
ms=$(ms_since "$t0")
echo "ready after $ms ms"
# It waits for remote's first attempt: connect-timeout, 1 s.
[ "$ms" -lt $((1000 + limit_ms)) ] || fail "ready only after $ms ms"
[ "$(cat "$tmpdir/nbdcached.pid")" = "$nbdcached_pid" ] ||
    fail "the daemon's pid is not the one started"

# Connect job threads, named by the daemon: the lookups in progress.
lookups ()
{
    grep -lx connect-job /proc/"$nbdcached_pid"/task/*/comm 2>/dev/null |
        wc -l
}
lookup_running () { [ "$(lookups)" -ge 1 ]; }

# For 6 s, a whole lookup's time: cache requests on the healthy export
# and "exports", each answered promptly; count the lookup threads.
max_lookups=0
for i in 1 2 3 4 5 6; do
    timed "cache disk #$i" ctl cache disk $((i * 1048576)) 1M
    timed "exports #$i" ctl exports --json
    [ "$(jq '" ".join(e["name"] + "=" + e["state"] for e in j)' \
         <"$tmpdir/out")" = "disk=up remote=down" ] ||
        fail "unexpected exports: $(cat "$tmpdir/out")"
    n=$(lookups)
    [ "$n" -le "$max_lookups" ] || max_lookups=$n
    sleep 1
done
echo "at most $max_lookups lookup thread(s) at a time"
[ "$max_lookups" -le 1 ] ||
    fail "$max_lookups lookup threads for one connection"

# Every request reached the server.
[ "$(cache_lines "$tmpdir/log")" = \
  "$(for i in 1 2 3 4 5 6; do echo "$((i * 1048576)) 1048576"; done)" ] ||
    fail "the server did not see the requests: $(cache_lines "$tmpdir/log")"

# The watchdog pinged every 0.5 s all along.
read -r pings gap < <(awk '$2 == "WATCHDOG=1" {
        if (n++) { g = $1 - p; if (g > m) m = g }; p = $1 }
    END { printf "%d %d\n", n, m * 1000 }' "$tmpdir/msgs")
echo "$pings watchdog pings, largest gap $gap ms"
[ "$pings" -ge 10 ] || fail "only $pings watchdog pings"
[ "$gap" -lt 1500 ] || fail "the watchdog pings stopped for $gap ms"

grep -q "export remote: down: timed out resolving the host name" \
     "$tmpdir/nbdcached.log" || fail "the daemon did not say why remote is down"
# And so does "exports": the timeout, or once the lookup has given up,
# its failure.
jq 'j[1].get("reason")' <"$tmpdir/out" |
    grep -qE '^timed out resolving the host name$|getaddrinfo: .*some-name\.invalid' ||
    fail "exports does not say why remote is down: $(cat "$tmpdir/out")"

# SIGTERM while a lookup is stuck (there is one most of the time).
wait_until 10 lookup_running ||
    fail "no lookup in progress to interrupt"
( sleep 20; kill -9 "$nbdcached_pid" ) 2>/dev/null &
killer=$!
t0=$(now_us)
kill "$nbdcached_pid"
status=0
wait "$nbdcached_pid" || status=$?
ms=$(ms_since "$t0")
kill "$killer" 2>/dev/null || :
echo "exit status $status after SIGTERM, in $ms ms"
[ "$status" -eq 0 ] || fail "nbdcached exited with status $status"
[ "$ms" -lt "$limit_ms" ] || fail "SIGTERM took $ms ms"
