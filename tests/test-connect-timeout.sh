#!/usr/bin/env bash
# A server that accepts the connection but never finishes the NBD
# handshake: after connect-timeout the export is down, and the daemon
# starts serving instead of waiting forever.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter delay

start_nbdkit slow --filter=delay memory 1G delay-open=20
start=$SECONDS
start_nbdcached_export slow "$slow_uri" connect-timeout=1
[ $((SECONDS - start)) -lt 5 ] || fail "the daemon took too long to start"

ctl exports >"$tmpdir/exports"
cat "$tmpdir/exports"
grep -qE '^slow +down ' "$tmpdir/exports" || fail "slow is not down"
grep -q "export slow: .*timed out connecting" "$tmpdir/nbdcached.log" ||
    fail "the daemon did not log the timeout"

status=0
ctl cache slow 0 1 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache exited $status, expected 1"
grep -q "down" "$tmpdir/err" || fail "the message does not say down"
