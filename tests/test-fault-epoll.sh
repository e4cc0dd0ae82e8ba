#!/usr/bin/env bash
# A socket the daemon cannot watch: fail-calls.so makes epoll_ctl
# refuse to watch one more descriptor (ENOSPC, as when
# fs.epoll.max_user_watches is reached; libevent's event_add fails
# the same way when it cannot grow its tables).  The daemon never
# exits for it, and nothing waits for ever on a socket nobody watches:
#   1. a reconnected NBD socket: that attempt fails, the next one
#      connects, and requests reach the server;
#   2. a client being accepted: it is closed, with a warning;
#   3. a client that was at max-client-requests, when its requests
#      complete and its socket must be read again: it is disconnected,
#      with a warning (it would otherwise send requests nobody reads);
#   4. a client that reads its replies slowly, when the daemon must
#      wait for its socket to take more: it is disconnected, with a
#      warning (it would otherwise wait for replies never sent).
# After each, the next client is served.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay
requires_failing_shim

start_logged_disk
cat > "$tmpdir/conf" <<EOF
[daemon]
max-client-requests = 2
[export disk]
uri = $disk_uri
connections = 1
reconnect-delay = 0.1
[export slow]
uri = nbd+unix:///?socket=$tmpdir/slow.sock
connections = 1
EOF
start_nbdkit slow --filter=delay memory 1G delay-cache=2
start_nbdcached_failing -c "$tmpdir/conf"
wait_until 10 export_is up 0 || fail "disk did not come up"
wait_until 10 export_is up 1 || fail "slow did not come up"

unwatched='warning: client .*disconnecting: cannot watch its socket'

served ()                       # WHAT: the next client is served
{
    ctl cache disk 256M 64K || fail "$1: the next client was not served"
    kill -0 "$nbdcached_pid" 2>/dev/null || fail "$1: the daemon died"
}

# disconnected WHAT PID BEFORE: the client PID, a script that prints
# how it ended ("served", "closed" or "hung") to $tmpdir/out, was
# disconnected with a warning (more than BEFORE were logged), and the
# next client is served.  Disarms the shim once PID is done.
disconnected ()
{
    local what=$1 pid=$2 before=$3
    wait "$pid" || fail "$what: $(cat "$tmpdir/out")"
    arm_failures 0 0
    [ "$(cat "$tmpdir/out")" = closed ] ||
        fail "$what: the client was $(cat "$tmpdir/out")"
    [ "$(log_count "$unwatched")" -gt "$before" ] || fail "$what: not logged"
    served "$what"
}

# 1. The NBD socket of a reconnect.  The test watches the log, not the
# daemon (a client would take the failure), until it has reconnected.
before=$(reconnects)
arm_failures 0 1 epoll_ctl
restart_logged_disk
wait_until 20 reconnected_since "$before" ||
    fail "reconnect: the connection did not come back"
[ "$(armed_calls)" -ge 1 ] || fail "reconnect: no watch was failed"
arm_failures 0 0
grep -q 'export disk: connection 0: cannot connect: cannot watch the socket' \
    "$tmpdir/nbdcached.log" || fail "reconnect: the failed watch is not logged"
grep -q 'libevent: .*No space left on device' "$tmpdir/nbdcached.log" ||
    fail "reconnect: libevent's reason is not logged"
ctl cache disk 512M 64K || fail "reconnect: a request was not served"
cache_lines "$tmpdir/log" | grep -qx "536870912 65536" ||
    fail "reconnect: the request did not reach the server"
served reconnect

# 2. A client being accepted.
arm_failures 0 1 epoll_ctl
expect_status 1 "a client that cannot be watched" ctl exports
arm_failures 0 0
grep -q "lost" "$tmpdir/err" || fail "accept: the client was told $(cat "$tmpdir/err")"
grep -q "warning: accept: cannot watch the client's socket" \
    "$tmpdir/nbdcached.log" || fail "accept: not logged"
served accept

# 3. A throttled client: three requests on the slow export at once.
# The daemon takes two and stops reading (max-client-requests = 2)
# until they complete, 2 s later, when it must watch the socket again.
# It cannot: the client is disconnected, rather than left to send a
# request nobody will ever read.
run_py_bg > "$tmpdir/out" 2>&1 <<'EOF_PY'
import rawclient
c = rawclient.Client()
c.hello()
c.send_raw(rawclient.cache_lines("slow", [(i * 65536, 65536)
                                         for i in range(3)], first_id=2))
c.next_id = 5


def run():
    for i in range(3):
        c.recv_reply(timeout=20)
    for i in range(3):
        c.wait_complete(i + 1, timeout=20)
    # All done: one more request must be read, and answered.
    c.request({"op": "cache", "export": "slow", "offset": 0,
               "count": 65536}, timeout=10)


rawclient.print_outcome(run)
EOF_PY
warned=$(log_count "$unwatched")
sleep 1
arm_failures 0 1 epoll_ctl
disconnected throttled $py_pid "$warned"

# 4. A slow reader: 3000 "exports" requests at once, more replies than
# the socket holds; the client reads nothing for a second.  The daemon
# must watch the socket for room (the socket is watched for reading
# already, so that is a change, EPOLL_CTL_MOD), and cannot until the
# client is done.
run_py_bg "$tmpdir" > "$tmpdir/out" 2>&1 <<'EOF_PY'
import os, sys, time, rawclient
c = rawclient.Client()
c.hello()
open(sys.argv[1] + "/ready", "w").close()
while not os.path.exists(sys.argv[1] + "/go"):
    time.sleep(0.01)
c.send_raw(b"".join(b'{"op":"exports","id":%d}\n' % (i + 2)
                    for i in range(3000)))
time.sleep(1)
rawclient.print_outcome(lambda: [c.recv_reply(timeout=10)
                                 for i in range(3000)])
EOF_PY
warned=$(log_count "$unwatched")
wait_for_file "$tmpdir/ready"
arm_failures 0 1000000 epoll_ctl_mod
touch "$tmpdir/go"
disconnected "slow reader" $py_pid "$warned"
