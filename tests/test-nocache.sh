#!/usr/bin/env bash
# A server without NBD_CMD_CACHE: exports says can_cache false, and a
# cache request fails with ENOTSUP without reaching the server.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter log
requires_nbdkit_filter nocache

start_nbdkit disk --filter=log --filter=nocache memory 1G cachemode=none \
    logfile="$tmpdir/log"
start_nbdcached -e disk="$disk_uri"

ctl exports --json >"$tmpdir/exports"
cat "$tmpdir/exports"
[ "$(jq 'j[0]["state"]' <"$tmpdir/exports")" = up ] ||
    fail "the export is not up"
[ "$(jq 'j[0]["can_cache"]' <"$tmpdir/exports")" = \
  false ] || fail "can_cache should be false"

status=0
ctl cache disk 0 1M 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status, expected 1"
grep -qE "not support|Operation not supported" "$tmpdir/err" ||
    fail "the message does not say the server lacks cache support"

status=0
ctl warm disk --no-progress 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "warm exited $status, expected 1"
grep -qE "not support|Operation not supported" "$tmpdir/err" ||
    fail "warm: the message does not say the server lacks cache support"

# The connection was used (Connect is logged) but no Cache was sent.
grep -q ' Connect export=' "$tmpdir/log" || fail "no connection was logged"
[ -z "$(cache_lines "$tmpdir/log")" ] || fail "a Cache reached the server"
