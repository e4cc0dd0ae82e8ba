#!/usr/bin/env bash
# Logging: under journald (JOURNAL_STREAM set) every stderr line starts
# with a "<N>" syslog priority and no program name; otherwise lines
# start with "nbdcached:".  Export and client lines carry their prefix.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_nbdkit disk memory 1G
JOURNAL_STREAM=8:1234 start_nbdcached -e disk="$disk_uri"
ctl cache disk 0 1M
stop_nbdcached
grep -v '^nbdkit' "$tmpdir/nbdcached.log" > "$tmpdir/daemon.log"
cat "$tmpdir/daemon.log"
! grep -qv '^<[0-7]>' "$tmpdir/daemon.log" || fail "a line without a priority"
grep -q '^<6>export disk: up' "$tmpdir/daemon.log" || fail "no info line with the export prefix"
grep -q '^<7>client [0-9]* (pid [0-9]*, uid [0-9]*): connected' "$tmpdir/daemon.log" ||
    fail "no debug line with the client prefix"

status=0
"$NBDCACHED" --check-config -c "$tmpdir/missing.conf" 2> "$tmpdir/err" || status=$?
[ $status -eq 1 ] && grep -q "^nbdcached: warning: $tmpdir/missing.conf: No such file" "$tmpdir/err" ||
    fail "plain stderr format: $(cat "$tmpdir/err")"
