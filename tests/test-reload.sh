#!/usr/bin/env bash
# SIGHUP reload while requests are in flight: an unchanged export keeps
# its connections and every request completes exactly once; a removed
# export finishes its requests, then closes; an added one serves; a
# changed one is replaced.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay

start_nbdkit slow --filter=log --filter=delay memory 1G delay-cache=300ms \
    logfile="$tmpdir/slow.log"
start_nbdkit other memory 1G
start_nbdcached_conf <<EOC
[export keep]
uri = $slow_uri
[export gone]
uri = $slow_uri
[export change]
uri = $other_uri
EOC

pipeline keep 40 1048576 30 > "$tmpdir/keep" &
keep=$!
pipeline gone 20 1048576 30 > "$tmpdir/gone" &
gone=$!
# Reload only once the daemon has accepted every request of both (a
# fixed sleep lost that race on a loaded machine); at 300 ms per Cache
# they are still in flight.
all_accepted () {
    [ "$(ctl stats --json | jq \
         '[e["requests"] for e in j["exports"] if e["name"] != "change"]')" = \
      '[40, 20]' ]
}
wait_until 10 all_accepted || fail "the daemon did not accept every request"
cat > "$tmpdir/conf" <<EOC
[export keep]
uri = $slow_uri
[export change]
uri = $other_uri
connections = 2
[export added]
uri = $other_uri
EOC
kill -HUP "$nbdcached_pid"
wait $keep || fail "keep: $(cat "$tmpdir/keep")"
wait $gone || fail "gone: $(cat "$tmpdir/gone")"
cat "$tmpdir/keep" "$tmpdir/gone"
[ "$(jq '[j["ok"], j["failed"]]' < "$tmpdir/keep")" = '[40, {}]' ] ||
    fail "requests on the unchanged export were lost"
[ "$(jq '[j["ok"], j["failed"]]' < "$tmpdir/gone")" = '[20, {}]' ] ||
    fail "the removed export did not finish its requests"

[ "$(ctl exports --json | jq \
     '[(e["name"], e["connections"]["configured"]) for e in j]')" = \
  '[["keep", 4], ["change", 2], ["added", 4]]' ] || fail "unexpected exports after reload"
ctl cache added 0 1M
ctl cache change 0 1M
status=0
ctl cache gone 0 1M 2>/dev/null || status=$?
[ $status -eq 1 ] || fail "the removed export still serves"
wait_until 5 grep -q "export gone: closed" "$tmpdir/nbdcached.log" ||
    fail "the removed export never closed"
# "keep" was never reconnected: the server saw its 4 connections only.
[ "$(ctl stats --json | jq \
     '[e["reconnects"] for e in j["exports"] if e["name"] == "keep"][0]')" = 0 ] ||
    fail "the unchanged export reconnected"
stop_nbdcached
