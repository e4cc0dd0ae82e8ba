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
requires setpriv --version
[ "$(id -u)" = 0 ] || requires false       # needs root to switch users
getent passwd nobody >/dev/null || requires false
getent group nogroup >/dev/null || requires false
chmod 0755 "$tmpdir"

start_nbdkit disk memory 1G
cat > "$tmpdir/conf" <<EOC
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
start_nbdcached -c "$tmpdir/conf"

as_nobody () {
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}
names () { python3 "$abs_srcdir/jq.py" '[e["name"] for e in j]'; }

[ "$(ctl exports --json | names)" = '["open", "secret", "by-group"]' ] ||
    fail "root does not see every export"
[ "$(as_nobody "$NBDCACHECTL" -s "$sock" exports --json | names)" = \
  '["open", "by-group"]' ] || fail "nobody sees the wrong exports"
[ "$(as_nobody "$NBDCACHECTL" -s "$sock" stats --json |
     python3 "$abs_srcdir/jq.py" '[e["name"] for e in j["exports"]]')" = \
  '["open", "by-group"]' ] || fail "stats show a hidden export"

as_nobody "$NBDCACHECTL" -s "$sock" cache open 0 1M
as_nobody "$NBDCACHECTL" -s "$sock" cache by-group 0 1M
status=0
as_nobody "$NBDCACHECTL" -s "$sock" cache secret 0 1M 2> "$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "nobody could warm the secret export"
grep -q "Operation not permitted" "$tmpdir/err" || fail "not EPERM"
grep -q "denied export secret" "$tmpdir/nbdcached.log" || fail "denial not logged"
ctl cache secret 0 1M
stop_nbdcached
