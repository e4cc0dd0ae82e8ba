#!/usr/bin/env bash
# Timers libevent cannot start: fail-calls.so makes every event_add
# with a timeout fail, as it does when libevent cannot grow its timer
# heap.  A connection's timers (the delay before the next attempt,
# the connect timeout) are then kept by main's janitor instead, for
# connections on the main thread and on a worker thread alike, and so
# are the listener's:
#   1. a server that dies is still retried, with backoff, and the
#      connections come back when it does;
#   2. an attempt to connect to a server that never answers still
#      times out after connect-timeout (1 s here), not sooner and not
#      never;
#   3. at EMFILE, a pause in accepting still ends, without spinning;
#   4. a protocol 2 reply is sent at once instead of held.
# The daemon never exits for it.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_failing_shim

# A server that accepts connections and never says a word.
run_py_bg "$tmpdir/silent.sock" <<'EOF_PY'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
EOF_PY
wait_for_file "$tmpdir/silent.sock"

start_logged_disk
cat > "$tmpdir/conf" <<EOF
[export disk]
uri = $disk_uri
connections = 2
reconnect-delay = 0.1
reconnect-max-delay = 0.4
[export silent]
uri = nbd+unix:///?socket=$tmpdir/silent.sock
connect-timeout = 1
reconnect-delay = 0.1
reconnect-max-delay = 0.2
EOF
# One worker thread: connection 0 of each export is on the main
# thread, disk's connection 1 on the worker.
start_nbdcached_failing -c "$tmpdir/conf" --threads 1
both_up () { [ "$(ctl stats --json | jq 'j["exports"][0]["connections_up"]')" = 2 ]; }
wait_until 10 both_up || fail "disk's two connections did not come up"


# 1. The server dies, with every timer failing from now on.  The
# test watches the log, not the daemon, while the shim is armed.
arm_failures 0 1000000 timer
kill -9 "$disk_pid"
wait "$disk_pid" 2>/dev/null || :
for c in 0 1; do
    lost="export disk: connection $c: cannot start the retry timer: Cannot allocate memory"
    # Two attempts each, made by the janitor, and each failed.
    wait_until 20 log_grew "$lost" 1 ||
        fail "connection $c: the janitor made no attempt: $(log_count "$lost") lost retries"
done
[ "$(log_count 'export disk: connection 1: cannot start the connect timer')" -ge 1 ] ||
    fail "the attempts' connect timers were not lost"
back0=$(log_count 'export disk: connection 0: reconnected')
back1=$(log_count 'export disk: connection 1: reconnected')
restart_logged_disk
wait_until 20 log_grew 'export disk: connection 0: reconnected' "$back0" ||
    fail "connection 0 did not come back"
wait_until 20 log_grew 'export disk: connection 1: reconnected' "$back1" ||
    fail "connection 1 did not come back"
kill -0 "$nbdcached_pid" || fail "the daemon died"

# 2. The silent server.  Its connection makes one attempt at a time:
# once a new one has lost its connect timer, the next "timed out
# connecting" is that attempt's, and it must come about 1 s later.
lost='export silent: connection 0: cannot start the connect timer'
timeouts='export silent: connection 0: .*timed out connecting'
wait_until 20 log_grew "$lost" "$(log_count "$lost")" ||
    fail "no attempt on the silent server lost its connect timer"
start=$(date +%s%N)
before=$(log_count "$timeouts")
wait_until 20 log_grew "$timeouts" "$before" ||
    fail "an attempt without its connect timer never timed out"
took=$(( ($(date +%s%N) - start) / 1000000 ))
echo "an attempt without its connect timer timed out after $took ms"
[ "$took" -ge 800 ] || fail "it timed out too soon ($took ms)"
# 3. The daemon at EMFILE pauses accepting; the timer that ends the
# pause cannot start, so the janitor ends it: no spinning meanwhile,
# and new clients are served once descriptors are free.
requires prlimit --version
prlimit --pid "$nbdcached_pid" --nofile=64:64
run_py "$nbdcached_pid" < "$abs_srcdir/emfile-clients.py"
[ "$(log_count 'cannot start the timer to resume accepting')" -ge 1 ] ||
    fail "no pause at EMFILE lost its timer"

# 4. A cache request on a paused export: its reply, which protocol 2
# holds for a moment, cannot get a hold timer, so it goes out at once,
# not only with the completion (which the pause holds back).
ctl pause disk
run_py <<'EOF_PY'
import rawclient
c = rawclient.Client(timeout=5)
c.hello(version=2)
r = c.request({"op": "cache", "export": "disk", "offset": 4096,
               "count": 4096}, timeout=2)
rawclient.check(r["ok"] and r["cookie"] >= 1, "cache refused", r)
print("reply %r before the completion" % r)
EOF_PY
ctl resume disk
arm_failures 0 0

ctl cache disk 0 1M || fail "disk does not serve after it all"
cache_lines "$tmpdir/log" | grep -qx "0 1048576" ||
    fail "the request did not reach the server"
kill -0 "$nbdcached_pid" || fail "the daemon died"
