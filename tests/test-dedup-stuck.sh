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
requires nbdkit eval --version
requires_nbdkit_filter log

# The first Cache at offset 0 takes 20 s; every other Cache is instant.
start_nbdkit disk --filter=log eval logfile="$tmpdir/log" \
    get_size='echo 1G' can_cache='echo native' thread_model='echo parallel' \
    pread='dd if=/dev/zero count=$3 iflag=count_bytes 2>/dev/null' \
    cache="if [ \$4 -eq 0 ] && mkdir $tmpdir/hung 2>/dev/null; then sleep 20; fi"
start_nbdcached_export disk "$disk_uri" request-timeout=2 connections=1

# Other requests keep the connection busy, so that it never looks hung.
( for (( i=1; i < 100; i++ )); do
      "$NBDCACHECTL" cache disk $((i * 1048576)) 4K >/dev/null 2>&1 || :
      sleep 0.1
  done ) &
busy=$!
cleanup_fn "kill $busy 2>/dev/null"

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
    echo "$0: skipped: the connection was dropped as hung" >&2
    exit 77
fi
kill $busy 2>/dev/null || :
wait $busy 2>/dev/null || :
