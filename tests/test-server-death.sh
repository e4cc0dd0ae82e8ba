#!/usr/bin/env bash
# The NBD server dies with cache requests in flight and does not come
# back: the daemon keeps trying to reconnect, the requests complete
# with ENOTCONN at their deadline (request-timeout), the export is
# reported down, later requests for it fail at once, and the daemon
# goes on serving its other exports.  (test-fault-server-killed.sh is
# the case where the server comes back.)
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay

# Every Cache on "doomed" takes 3 s: it is killed well before.
start_nbdkit doomed --filter=delay memory 1G delay-cache=3
start_nbdkit other memory 1G
start_nbdcached_conf <<EOC
[export doomed]
uri = $doomed_uri
request-timeout = 2
[export other]
uri = $other_uri
EOC

status=0
ctl cache doomed 0 100M 2>"$tmpdir/err" &
ctl_pid=$!
# Wait until the chunks are at the server.
for (( i=0; i < 50; i++ )); do
    [ "$(ctl stats --json |
         jq 'j["exports"][0]["chunks_in_flight"]')" = 4 ] &&
        break
    sleep 0.1
done
(( i < 50 )) || fail "the chunks never reached the server"
kill -9 "$doomed_pid"
start=$SECONDS
wait "$ctl_pid" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status, expected 1"
[ $((SECONDS - start)) -le 4 ] || fail "the request outlived its deadline"
grep -q "Transport endpoint is not connected" "$tmpdir/err" ||
    fail "the error is not ENOTCONN"

ctl exports --json >"$tmpdir/exports"
[ "$(jq \
     '[(e["name"], e["state"], e["connections"]["up"]) for e in j]' \
     <"$tmpdir/exports")" = '[["doomed", "down", 0], ["other", "up", 4]]' ] ||
    fail "unexpected exports: $(cat "$tmpdir/exports")"

status=0
ctl cache doomed 0 1 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache on a down export exited $status"
grep -q "down" "$tmpdir/err" || fail "the message does not say down"

ctl cache other 0 100M
ctl stats --json >"$tmpdir/stats"
[ "$(jq \
     '[(e["requests"], e["errors"], e["in_flight"], e["chunks_in_flight"]) for e in j["exports"]]' \
     <"$tmpdir/stats")" = '[[1, 1, 0, 0], [1, 0, 0, 0]]' ] ||
    fail "unexpected stats: $(cat "$tmpdir/stats")"
stop_nbdcached
