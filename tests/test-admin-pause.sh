#!/usr/bin/env bash
# pause holds an export's cache requests back from its server (they
# are still accepted) and resume lets them go; exports show the state.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk 100M
start_nbdcached -e disk="$disk_uri"

paused () { ctl exports --json | jq 'j[0]["paused"]'; }

[ "$(paused)" = false ] || fail "a new export is paused"
ctl pause disk
[ "$(paused)" = true ] || fail "pause: exports do not show paused"
ctl exports | grep -qE '^disk +up,paused +100M ' || fail "table: not paused"
# Pausing twice is harmless.
ctl pause disk

ctl cache disk 0 1M &
cache_pid=$!
cleanup_fn "kill $cache_pid 2>/dev/null"
# The request is accepted ...
for (( i=0; i < 50; i++ )); do
    [ "$(ctl stats --json | jq 'j["exports"][0]["in_flight"]')" = 1 ] && break
    sleep 0.1
done
[ "$(ctl stats --json | jq '[j["exports"][0][k] for k in ("paused", "in_flight")]')" = \
  "[true, 1]" ] || fail "the request was not accepted while paused"
# ... but nothing reaches the server.
sleep 1
kill -0 $cache_pid 2>/dev/null || fail "cache finished while paused"
[ -z "$(cache_lines "$tmpdir/log")" ] ||
    fail "a Cache reached the server while paused: $(cache_lines "$tmpdir/log")"

ctl resume disk
wait $cache_pid || fail "cache failed after resume"
[ "$(cache_lines "$tmpdir/log")" = "0 1048576" ] ||
    fail "after resume: $(cache_lines "$tmpdir/log")"
[ "$(paused)" = false ] || fail "resume: exports still show paused"
ctl exports | grep -qE '^disk +up +100M ' || fail "table: still paused"

# Unknown exports and missing operands.
status=0
ctl pause nosuch 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] && grep -q "No such file or directory" "$tmpdir/err" ||
    fail "pause nosuch: status $status, not ENOENT"
status=0
ctl pause "" 2>"$tmpdir/err" || status=$?
[ $status -eq 2 ] && grep -q "pause: EXPORT must not be empty" \
    "$tmpdir/err" || fail "pause '': status $status: $(cat "$tmpdir/err")"
status=0
ctl resume 2>/dev/null || status=$?
[ $status -eq 2 ] || fail "resume without EXPORT exited $status, expected 2"
status=0
ctl reload extra 2>/dev/null || status=$?
[ $status -eq 2 ] || fail "reload with an operand exited $status, expected 2"
