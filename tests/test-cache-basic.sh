#!/usr/bin/env bash
# nbdcachectl cache EXPORT OFFSET COUNT sends exactly one NBD_CMD_CACHE
# for a small aligned range, with that offset and count.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_logged_disk
start_nbdcached -e disk="$disk_uri"

ctl cache disk 1M 64K

cache_lines "$tmpdir/log" >"$tmpdir/cache"
cat "$tmpdir/cache"
[ "$(cat "$tmpdir/cache")" = "1048576 65536" ] ||
    fail "expected one Cache offset=1048576 count=65536"

# The request completed before ctl returned: nothing is in flight.
ctl stats --json >"$tmpdir/stats"
[ "$(jq 'j["in_flight"]' <"$tmpdir/stats")" = 0 ] ||
    fail "a request is still in flight after 'cache' returned"
[ "$(jq \
      '[j["exports"][0][k] for k in ("requests", "chunks", "bytes", "errors")]' \
      <"$tmpdir/stats")" = "[1, 1, 65536, 0]" ] ||
    fail "unexpected stats: $(cat "$tmpdir/stats")"
