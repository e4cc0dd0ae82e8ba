#!/usr/bin/env bash
# A server unreachable at start: the daemon still starts and serves
# the other exports, reports this one down, keeps retrying, and serves
# it as soon as the server appears.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_nbdkit good memory 1G
start_nbdcached_conf <<EOC
[export late]
uri = nbd+unix:///?socket=$tmpdir/late.sock
reconnect-delay = 0.1
reconnect-max-delay = 0.3
[export good]
uri = $good_uri
EOC

ctl cache good 0 1M
[ "$(ctl exports --json | jq '[e["state"] for e in j]')" = \
  '["down", "up"]' ] || fail "late export not down at start"
! ctl cache late 0 1 2>/dev/null || fail "cache on a down export succeeded"

start_nbdkit late memory 1G
wait_until 5 export_is up || fail "the export never came up"
ctl cache late 0 1M
stop_nbdcached
