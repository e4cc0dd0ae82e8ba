#!/usr/bin/env bash
# A reload that takes a user off an export's allow-users revokes that
# user's requests on it that are not complete: each completes at once
# with EPERM (never a silent loss, and nothing of it is sent after the
# reload), while the requests of users still allowed, and the same
# user's requests on other exports, carry on.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nobody

start_logged_disk 100M
conf () {                                   # ALLOW-USERS of export x
    cat > "$tmpdir/conf" <<EOC
[daemon]
socket-mode = 0666
[export x]
uri = $disk_uri
request-timeout = 30
allow-users = $1
[export y]
uri = $disk_uri
request-timeout = 30
EOC
}
conf "root, nobody"
start_nbdcached -c "$tmpdir/conf"
in_flight_is () { [ "$(ctl stats --json | jq 'j["in_flight"]')" = "$1" ]; }
gone () { ! kill -0 "$1" 2>/dev/null; }

# Held by the pauses: accepted, nothing sent.
ctl pause x
ctl pause y
ctl_as_nobody cache x 0 1M 2> "$tmpdir/nobody-x.err" &
nobody_x=$!
ctl_as_nobody cache y 1M 1M &
nobody_y=$!
ctl cache x 2M 1M &
root_x=$!
cleanup_fn "kill $nobody_x $nobody_y $root_x 2>/dev/null"
wait_until 10 in_flight_is 3 || fail "the requests were not accepted"

conf root
ctl reload
wait_until 5 gone $nobody_x ||
    fail "nobody's request on x was not ended by the reload that revoked it"
status=0
wait $nobody_x || status=$?
[ $status -eq 1 ] || fail "nobody's revoked request: status $status"
grep -q "Operation not permitted" "$tmpdir/nobody-x.err" ||
    fail "nobody's revoked request: not EPERM: $(cat "$tmpdir/nobody-x.err")"
grep -q "no longer allowed" "$tmpdir/nobody-x.err" ||
    fail "the message does not say why: $(cat "$tmpdir/nobody-x.err")"
log_grew "revoked 1 request" 0 || fail "the revocation is not logged"
! gone $root_x && ! gone $nobody_y || fail "the other requests did not stay"

ctl resume x
ctl resume y
wait $root_x || fail "root's request on x failed"
wait $nobody_y || fail "nobody's request on y, which it may still use, failed"
[ "$(cache_lines "$tmpdir/log" | tr '\n' ' ')" = "1048576 1048576 2097152 1048576 " ] ||
    fail "reached the server: $(cache_lines "$tmpdir/log")"
stop_nbdcached
