#!/usr/bin/env bash
# A server that leaves one command unanswered while it answers the
# others: its connection keeps making progress, so it is not dropped.
# A later request for the same range must not wait on that stuck
# command (it could only time out, and the range would never be warmed
# while the command lasts): past request-timeout the command no longer
# counts as "in flight" for sharing, and the range is sent again.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

# The first Cache at offset 0 takes 20 s; every other Cache is instant.
start_losing_disk 20
start_nbdcached_export disk "$disk_uri" request-timeout=2 connections=1

# Other requests keep the connection busy, so that it never looks hung.
keep_answering 99

status=0
ctl cache disk 0 4K 2>"$tmpdir/err" || status=$?
[ $status -eq 1 ] && grep -q "timed out" "$tmpdir/err" ||
    fail "the first request should time out: status $status, $(cat "$tmpdir/err")"
# The stuck command is now older than request-timeout (its connection
# is dropped only at twice that, see test-fault-stuck-command.sh): this
# one is sent.
sleep 0.5
ctl cache disk 0 4K || fail "the same range again waited on the stuck command"
[ "$(cache_lines "$tmpdir/log" | grep -c '^0 4096$')" -eq 2 ] ||
    fail "offset 0 reached the server $(cache_lines "$tmpdir/log" | grep -c '^0 4096$') times, expected 2"
if grep -q "dropping it" "$tmpdir/nbdcached.log"; then
    # Too slow a machine to keep the connection busy: the case was not
    # exercised (a dropped connection resends the range anyway).
    skip "the connection was dropped as hung"
fi
kill $busy 2>/dev/null || :
wait $busy 2>/dev/null || :
