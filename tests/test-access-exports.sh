#!/usr/bin/env bash
# Per-export access lists by peer credentials: a user not on an
# export's allow-users / allow-groups gets EPERM for it and does not
# see it in exports or stats; a listed user or group member does; root
# always does.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nobody

start_nbdkit disk memory 1G
start_nbdcached_conf <<EOC
[daemon]
socket-mode = 0666
[export open]
uri = $disk_uri
[export secret]
uri = $disk_uri
allow-users = root, daemon
[export by-group]
uri = $disk_uri
allow-groups = nogroup
EOC

names () { jq '[e["name"] for e in j]'; }

[ "$(ctl exports --json | names)" = '["open", "secret", "by-group"]' ] ||
    fail "root does not see every export"
[ "$(ctl_as_nobody exports --json | names)" = \
  '["open", "by-group"]' ] || fail "nobody sees the wrong exports"
[ "$(ctl_as_nobody stats --json |
     jq '[e["name"] for e in j["exports"]]')" = \
  '["open", "by-group"]' ] || fail "stats show a hidden export"

ctl_as_nobody cache open 0 1M
ctl_as_nobody cache by-group 0 1M
expect_status 1 "nobody warming the secret export" \
    ctl_as_nobody cache secret 0 1M
grep -q "Operation not permitted" "$tmpdir/err" || fail "not EPERM"
grep -q "denied export secret" "$tmpdir/nbdcached.log" || fail "denial not logged"
ctl cache secret 0 1M
stop_nbdcached
