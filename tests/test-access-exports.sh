#!/usr/bin/env bash
# Per-export access lists by peer credentials: a user not on an
# export's allow-users / allow-groups does not see it in exports or
# stats, and gets the very reply for it that a name no export has gets
# (ENOENT), so that guessing names does not tell which exist; a listed
# user or group member does; root always does.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nobody

# A name of "a" and 40 two-byte characters: its first 64 bytes end
# inside a character.
long="a$(printf '\xc3\xa9%.0s' {1..40})"

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
[export by-many]
uri = $disk_uri
allow-groups = 60099
[export $long]
uri = $disk_uri
allow-users = root
EOC

names () { jq '[e["name"] for e in j]'; }

[ "$(ctl exports --json | names)" = \
  "$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \
     open secret by-group by-many "$long")" ] || fail "root does not see every export"
[ "$(ctl_as_nobody exports --json | names)" = \
  '["open", "by-group"]' ] || fail "nobody sees the wrong exports"
[ "$(ctl_as_nobody stats --json |
     jq '[e["name"] for e in j["exports"]]')" = \
  '["open", "by-group"]' ] || fail "stats show a hidden export"

# Root's requests on the secret export do not show in nobody's totals.
ctl cache secret 0 1M
[ "$(ctl_as_nobody stats --json | jq 'j["requests"]')" = 0 ] ||
    fail "nobody's stats count requests on a hidden export"

ctl_as_nobody cache open 0 1M
ctl_as_nobody cache by-group 0 1M
expect_status 1 "nobody warming the secret export" \
    ctl_as_nobody cache secret 0 1M
sed 's/secret/NAME/g' "$tmpdir/err" > "$tmpdir/err.hidden"
expect_status 1 "nobody warming an export that does not exist" \
    ctl_as_nobody cache secreu 0 1M
sed 's/secreu/NAME/g' "$tmpdir/err" > "$tmpdir/err.missing"
cmp -s "$tmpdir/err.hidden" "$tmpdir/err.missing" ||
    fail "a hidden export is told from a missing one: $(cat "$tmpdir/err.hidden")"
grep -q "No such file or directory" "$tmpdir/err.hidden" ||
    fail "not ENOENT: $(cat "$tmpdir/err.hidden")"
grep -q "denied export secret" "$tmpdir/nbdcached.log" || fail "denial not logged"
ctl cache secret 0 1M
# Asked about by name ("exports" with "export", as nbdcache_get_size
# and so "warm" ask), a hidden export is as missing as from the list.
expect_status 1 "nobody asking for the secret export by name" \
    ctl_as_nobody warm secret
grep -q 'no export named "secret"' "$tmpdir/err" ||
    fail "the hidden export was not reported missing"
ctl warm secret > /dev/null || fail "root cannot warm the secret export"

# A member of many groups (here 100; Linux allows 65536) is still
# matched by the last one.
many=$(seq -s, 60000 60099)
setpriv --reuid=nobody --regid=nogroup --groups="$many" -- \
    "$NBDCACHECTL" -s "$sock" cache by-many 0 1M ||
    fail "a member of 100 groups was refused the export of its 100th"

# The message quotes the name cut at a character boundary: still
# valid UTF-8 (PROTOCOL.md section 1).
expect_status 1 "nobody warming the long-named export" \
    ctl_as_nobody cache "$long" 0 1M
grep -q "No such file or directory" "$tmpdir/err" || fail "long name: not ENOENT"
python3 -c '
import sys
m = open(sys.argv[1], "rb").read().decode("utf-8")
q = m[m.index("named \"") + 7:m.rindex("\"")]
assert sys.argv[2].startswith(q) and len(q.encode()) == 63, q
' "$tmpdir/err" "$long" || fail "long name: message cut inside a character: $(cat "$tmpdir/err")"
stop_nbdcached
