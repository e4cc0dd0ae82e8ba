#!/usr/bin/env bash
# Configuration lines inih cannot hold by itself are read whole
# (daemon/config-feed.c): a 255-byte export name in a section header
# on the first line, after a UTF-8 byte order mark; a comment line and
# a uri line longer than inih's 200-byte buffer, the uri with an
# inline comment.  The server must see the whole export name of the
# uri, and the export must be served under its whole name.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk 100M

# "n" and 127 two-byte characters: 255 bytes.
name="n$(printf '\xc3\xa9%.0s' {1..127})"
[ "$(printf '%s' "$name" | wc -c)" -eq 255 ] || fail "test setup: name length"
remote="$(printf 'r%.0s' {1..230})"
start_nbdcached_conf <<EOC
$(printf '\xef\xbb\xbf')[export $name]
; $(printf 'c%.0s' {1..300})
uri = nbd+unix:///$remote?socket=$tmpdir/disk.sock   ; $(printf 'c%.0s' {1..50})
connections = 1
EOC

[ "$(ctl exports --json | jq 'j[0]["name"]')" = "$name" ] ||
    fail "the export is not served under its whole name"
ctl cache "$name" 0 1M
grep -q "Connect export=$remote tls=" "$tmpdir/log" ||
    fail "the server did not see the whole export name: $(grep Connect "$tmpdir/log")"
[ -n "$(cache_lines "$tmpdir/log")" ] || fail "no Cache reached the server"
