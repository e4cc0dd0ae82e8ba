#!/usr/bin/env bash
# A nameserver that answers, but more slowly than connect-timeout.
# When connect-timeout runs out the attempt is reported down ("timed
# out resolving the host name"), but its lookup goes on, and the late
# answer is used: the connection is made with it, the export comes up
# and a request reaches the server over TCP.  (Thrown away instead,
# every attempt would time out again and the export never come up.)
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter log
# Answers for slow-host.test come after 2.5 s (less than the resolver's
# timeout of 3 s, or it would ask again).
start_nameserver slow-host.test 127.0.0.1 2.5

# The server listens on TCP, on a free port of 127.0.0.1.
port="$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
nbdkit --exit-with-parent -i 127.0.0.1 -p "$port" -P "$tmpdir/remote.pid" \
    --filter=log memory 1G logfile="$tmpdir/log" &
cleanup_fn "kill_and_wait $!"
wait_for_file "$tmpdir/remote.pid"

NBDCACHED="$tmpdir/nbdcached-dns" VG= start_nbdcached_conf <<EOF
[export remote]
uri = nbd://slow-host.test:$port/
connect-timeout = 0.5
EOF

# Ready once the first attempt has timed out, 2 s before the
# answer: the export is down, and says why.
ctl exports --json > "$tmpdir/exports"
[ "$(jq 'j[0]["state"] + ": " + j[0].get("reason", "")' \
     <"$tmpdir/exports")" = "down: timed out resolving the host name" ] ||
    fail "expected down for the lookup: $(cat "$tmpdir/exports")"

wait_until 15 export_is up || fail "the late answer was not used: $(ctl exports)"
grep -q "the host name resolved late; connecting" "$tmpdir/nbdcached.log" ||
    fail "the late lookup was not logged"

ctl cache remote 0 1M
[ "$(cache_lines "$tmpdir/log")" = "0 1048576" ] ||
    fail "the server got: $(cache_lines "$tmpdir/log")"
stop_nbdcached
