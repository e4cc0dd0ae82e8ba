#!/usr/bin/env bash
# max-user-requests: the connections of one user (not root) together
# have at most that many requests not yet completed.  Beyond it the
# daemon reads no more cache requests from them (their other requests
# still are) until some complete, or a reload raises the limit.  Root
# and other users are not held.  Nothing is lost: every request is
# accepted in the end and completes exactly once, and each range
# reaches the server.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires python3 --version
requires_nobody
getent passwd daemon >/dev/null || requires false

start_logged_disk
conf="$tmpdir/nbdcached.conf"
write_conf () {                          # MAX-USER-REQUESTS
    cat > "$conf" <<EOC
[daemon]
socket-mode = 0666
max-client-requests = 4
max-user-requests = $1
[export disk]
uri = $disk_uri
EOC
}
write_conf 6
start_nbdcached -c "$conf"
ctl pause disk

flags="$tmpdir/flags"
mkdir -m 0777 "$flags"
# holder.py NCLIENTS NREQUESTS FIRST-MIB NAME [held]: NCLIENTS
# connections each send NREQUESTS cache requests of 64 KiB, each at its
# own MiB from FIRST-MIB on; then flags/NAME.sent.  With "held", once
# flags/NAME.check exists, one more connection checks that it is still
# served (hello, exports) but that its cache request is not read
# (no reply); then flags/NAME.checked.  Then every request must be
# accepted once and complete once, without error.
cat > "$tmpdir/holder.py" <<'PY'
import os, sys, time
from rawclient import Client, check
nclients, nreqs, first, name = (int(sys.argv[1]), int(sys.argv[2]),
                                int(sys.argv[3]), sys.argv[4])
flags = os.environ["FLAGS"]
def flag(what):
    open(os.path.join(flags, name + "." + what), "w").close()
def await_flag(what):
    while not os.path.exists(os.path.join(flags, name + "." + what)):
        time.sleep(0.02)
mib = first
def send_cache(c):
    global mib
    c.send({"op": "cache", "export": "disk", "offset": mib << 20,
            "count": 65536})
    mib += 1
conns = []
for _ in range(nclients):
    c = Client(timeout=60)
    c.hello()
    for _ in range(nreqs):
        send_cache(c)
    conns.append((c, nreqs))
flag("sent")
if len(sys.argv) > 5:
    await_flag("check")
    o = Client(timeout=60)
    o.hello()
    r = o.request({"op": "exports"})
    check(r.get("ok") is True, "exports while the user is held", r)
    send_cache(o)
    o.expect_silence(0.5)
    conns.append((o, 1))
    flag("checked")
for c, n in conns:
    cookies = []
    for _ in range(n):
        r = c.recv_reply()
        check(r.get("ok") is True and "cookie" in r, "accepted", r)
        cookies.append(r["cookie"])
    check(len(set(cookies)) == n, "distinct cookies", cookies)
    for cookie in cookies:
        ev = c.wait_complete(cookie)
        check(ev.get("ok") is True, "completed without error", ev)
    for ev in c.events:
        check(False, "an event more than once, or unasked", ev)
    c.expect_silence(0.2)
print("%s: %d requests, each completed once" %
      (name, sum(n for _, n in conns)))
PY
export FLAGS="$flags"
run_holder () {                        # RUNNER HOLDER-ARGS...
    local runner=$1; shift
    "$runner" "${py_cmd[@]}" "$@" < "$tmpdir/holder.py" &
}
as_daemon () { setpriv --reuid=daemon --regid=daemon --clear-groups -- "$@"; }
as_root () { "$@"; }
# The requests of uid UID not yet completed, over its connections.
user_in_flight () {
    ctl clients --json |
        jq "sum(c['in_flight'] for c in j if c['uid'] == $1)"
}
in_flight_is () { [ "$(user_in_flight "$1")" = "$2" ]; }

# nobody: three connections of four requests each (each under its own
# max-client-requests), twelve together: six are taken.
run_holder as_nobody 3 4 0 nobody held
pids=$!
wait_for_file "$flags/nobody.sent"
wait_until 10 in_flight_is 65534 6 ||
    fail "nobody's requests in flight: $(user_in_flight 65534), want 6"
sleep 0.3
in_flight_is 65534 6 ||
    fail "the daemon took more of nobody's: $(user_in_flight 65534)"
held_lines () { log_count 'uid 65534 has [0-9]+ requests in flight \(max-user-requests\)'; }
[ "$(log_count 'uid 65534 has 6 requests in flight \(max-user-requests\)')" = 1 ] ||
    fail "reaching max-user-requests was not logged once"
# nbdcachectl clients says which connections are held, and at what.
held_at () {
    ctl clients --json |
        jq "sorted(c.get('held', '-') for c in j if c['uid'] == $1)"
}
case "$(held_at 65534)" in
    *'"max-user-requests"'*) ;;
    *) fail "no connection of nobody's shown held at max-user-requests: $(held_at 65534)" ;;
esac
touch "$flags/nobody.check"
wait_for_file "$flags/nobody.checked"
in_flight_is 65534 6 ||
    fail "a new connection's cache request was read: $(user_in_flight 65534)"

# Another user, and root, are not held by nobody's limit.
run_holder as_daemon 2 3 100 daemon
pids="$pids $!"
run_holder as_root 2 4 200 root
pids="$pids $!"
wait_until 10 in_flight_is 1 6 ||
    fail "uid 1 was held by another user's limit: $(user_in_flight 1)"
wait_until 10 in_flight_is 0 8 ||
    fail "root was held: $(user_in_flight 0)"
in_flight_is 65534 6 || fail "nobody's count moved: $(user_in_flight 65534)"

# A reload that raises the limit reads the held connections at once,
# although nothing completes while the export is paused: all thirteen.
write_conf 100
ctl reload
wait_until 10 in_flight_is 65534 13 ||
    fail "the reload did not wake nobody's connections: $(user_in_flight 65534)"

ctl resume disk
for p in $pids; do
    wait "$p" || fail "a holder failed (see above)"
done
# Each range reached the server: 13 + 6 + 8 requests, 64 KiB at the
# start of MiBs 0-12, 100-105 and 200-207.
expected="$( { seq 0 12; seq 100 105; seq 200 207; } |
    while read -r m; do echo "$((m << 20)) 65536"; done | sort -n)"
[ "$(cache_lines "$tmpdir/log")" = "$expected" ] ||
    fail "the server did not get exactly the ranges asked:
$(cache_lines "$tmpdir/log")"
stop_nbdcached

# Held at the limit while requests complete all the time: eight
# connections of one user, 25 requests each, through a limit of 4.
# Each completion reads one held connection again; all 200 complete,
# once each, and the user never has more than 4.
start_nbdkit slow --filter=delay memory 1G delay-cache=20ms
write_conf 4
sed -i "s|^uri = .*|uri = $slow_uri|" "$conf"
start_nbdcached -c "$conf"
run_holder as_nobody 8 25 0 churn
churn=$!
max=0
while kill -0 $churn 2>/dev/null; do
    n="$(user_in_flight 65534)"
    [ "$n" -gt "$max" ] && max=$n
    sleep 0.05
done
wait $churn || fail "the churning holder failed (see above)"
echo "most of nobody's requests in flight seen: $max"
[ "$max" -le 4 ] || fail "nobody had $max requests in flight, limit 4"
! measuring || [ "$max" -ge 1 ] || fail "never saw a request in flight"
# Held a hundred times or so, said once (at most every 10 s), with
# the first daemon's line.
! measuring || [ "$(held_lines)" = 2 ] ||
    fail "being held was logged $(held_lines) times, not once per daemon"
stop_nbdcached
