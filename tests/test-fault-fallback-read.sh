#!/usr/bin/env bash
# A server without cache support: by default requests fail at once
# with ENOTSUP; with "fallback = read" the daemon emulates cache with
# reads of at most 4 MiB into a scratch buffer.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter nocache

start_nbdkit disk --filter=log --filter=nocache memory 64M cachemode=none \
    logfile="$tmpdir/log"
start_nbdcached_conf <<EOC
[export strict]
uri = $disk_uri
[export emulated]
uri = $disk_uri
fallback = read
EOC

status=0
ctl cache strict 0 1M 2> "$tmpdir/err" || status=$?
[ $status -eq 1 ] && grep -q "does not support" "$tmpdir/err" ||
    fail "strict export: exit $status: $(cat "$tmpdir/err")"

ctl cache emulated 1000 10M
command_lines Read "$tmpdir/log" |
    check_chunks 1000 $((1000 + 10*1024*1024)) \
        $((4*1024*1024)) $((4*1024*1024)) 1
! grep -q ' Cache id=' "$tmpdir/log" || fail "a Cache reached a server without cache"
[ "$(ctl exports --json | jq \
     '[(e["name"], e["can_cache"], e["block_size"]["maximum"]) for e in j]')" = \
  '[["strict", false, 33554432], ["emulated", false, 4194304]]' ] ||
    fail "unexpected exports"
stop_nbdcached
