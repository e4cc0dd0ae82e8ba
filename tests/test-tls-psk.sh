#!/usr/bin/env bash
# TLS for real: nbdkit --tls=require with a PSK file made by psktool;
# an export with tls = require and the right key warms; with a wrong
# key it stays down.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires psktool --version
requires python3 --version

psktool -u alice -p "$tmpdir/keys.psk" >/dev/null
psktool -u alice -p "$tmpdir/wrong.psk" >/dev/null
start_nbdkit disk --tls=require --tls-psk="$tmpdir/keys.psk" \
    --filter=log memory 1G logfile="$tmpdir/log"
start_nbdcached_conf <<EOC
[export secure]
uri = nbds+unix://alice@/?socket=$tmpdir/disk.sock
tls = require
tls-psk-file = $tmpdir/keys.psk
[export wrong-key]
uri = nbds+unix://alice@/?socket=$tmpdir/disk.sock
tls = require
tls-psk-file = $tmpdir/wrong.psk
reconnect-delay = 5
EOC

[ "$(ctl exports --json | jq '[e["state"] for e in j]')" = \
  '["up", "down"]' ] || fail "unexpected export states"
ctl cache secure 0 10M
[ "$(cache_lines "$tmpdir/log" | wc -l)" -ge 1 ] || fail "no Cache over TLS"
grep -q "export wrong-key: down:" "$tmpdir/nbdcached.log" ||
    fail "no reason logged for the wrong key"
stop_nbdcached
