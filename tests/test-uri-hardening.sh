#!/usr/bin/env bash
# URI hardening: files named in a URI are refused unless
# uri-allow-local-file is set; allow-transports restricts transports;
# tls = require refuses a URI without TLS rather than downgrading.
# Clients only ever name exports, never URIs.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
echo "alice:0123456789abcdef" > "$tmpdir/psk"
start_nbdcached_conf <<EOC
[export plain]
uri = $disk_uri
[export local-file]
uri = $disk_uri&tls-psk-file=$tmpdir/psk
[export tcp-only]
uri = $disk_uri
allow-transports = tcp
[export must-tls]
uri = $disk_uri
tls = require
EOC

[ "$(ctl exports --json | jq '[e["state"] for e in j]')" = \
  '["up", "down", "down", "down"]' ] || fail "a hardened export connected"
grep -q "export local-file: down: .*local file access (tls-psk-file) is not allowed" \
    "$tmpdir/nbdcached.log" || fail "no reason logged for local-file"
grep -q "export tcp-only: down: .*transport nbd+unix is not permitted" \
    "$tmpdir/nbdcached.log" || fail "no reason logged for tcp-only"
grep -q "export must-tls: down: .*TLS setting nbd+unix is not permitted" \
    "$tmpdir/nbdcached.log" || fail "no reason logged for must-tls"

# A client cannot smuggle a URI in place of an export name.
run_py "$disk_uri" <<'EOP'
import sys
from rawclient import Client, expect_error
c = Client()
c.hello()
r = c.request({"op": "cache", "export": sys.argv[1], "offset": 0, "count": 1})
expect_error(r, "ENOENT")
r = c.request({"op": "cache", "export": "plain", "offset": 0, "count": 1,
               "uri": "nbd://evil/"})
expect_error(r, "EINVAL")
EOP
stop_nbdcached
