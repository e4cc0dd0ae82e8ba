#!/usr/bin/env bash
# An error from the NBD server reaches the client with its errno and
# message; the daemon and its connection survive it, and the next
# request succeeds once the server stops failing.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter log
requires_nbdkit_filter error

# The error filter fails every Cache while $tmpdir/inject exists.
touch "$tmpdir/inject"
start_nbdkit disk --filter=log --filter=error memory 1G \
    error-cache=EIO error-cache-rate=1 error-cache-file="$tmpdir/inject" \
    logfile="$tmpdir/log"
start_nbdcached -e disk="$disk_uri"

# conns_up: how many pooled connections are up.
conns_up ()
{
    ctl exports --json | jq 'j[0]["connections"]["up"]'
}
all_up () { [ "$(conns_up)" = 4 ]; }
wait_until 10 all_up || fail "the pool did not come up"

status=0
ctl cache disk 0 1M 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status, expected 1"
grep -q "Input/output error" "$tmpdir/err" || fail "the message lacks EIO's text"
# The Cache did reach the server, which failed it.
[ "$(cache_lines "$tmpdir/log")" = "0 1048576" ] || fail "no Cache reached the server"
grep -q 'Cache id=.* return=-1' "$tmpdir/log" || fail "the server did not fail it"

# A multi-chunk request fails as a whole, naming the failed chunk.
status=0
ctl cache disk 0 100M 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status, expected 1"
grep -q "Input/output error: the server failed the chunk at offset [0-9]*, [0-9]* bytes" \
    "$tmpdir/err" || fail "the message does not name the chunk"

# The daemon and every connection of its pool are still up.
[ "$(conns_up)" = 4 ] || fail "a connection did not survive the errors"

# The server recovers: the next request succeeds.
rm "$tmpdir/inject"
n=$(wc -l <"$tmpdir/log")
ctl cache disk 2M 1M
tail -n +$((n+1)) "$tmpdir/log" >"$tmpdir/log2"
[ "$(cache_lines "$tmpdir/log2")" = "2097152 1048576" ] ||
    fail "the retry did not reach the server"

ctl stats --json >"$tmpdir/stats"
[ "$(jq \
     '[j["exports"][0]["requests"], j["exports"][0]["errors"], j["in_flight"]]' \
     <"$tmpdir/stats")" = "[3, 2, 0]" ] ||
    fail "unexpected stats: $(cat "$tmpdir/stats")"
