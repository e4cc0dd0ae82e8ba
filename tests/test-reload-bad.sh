#!/usr/bin/env bash
# A reload with a bad configuration file is rejected whole, with a log
# line, and the old configuration stays in force; the admin "reload"
# op reports why.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_nbdkit disk memory 1G
start_nbdcached_export disk "$disk_uri"
conf="$tmpdir/export.conf"                # what start_nbdcached_export wrote

printf '[export disk]\nuri = %s\n[export other]\nconnections = 0\n' \
    "$disk_uri" > "$conf"
kill -HUP "$nbdcached_pid"
for (( i=0; i < 50; i++ )); do
    grep -q "reload failed" "$tmpdir/nbdcached.log" && break
    sleep 0.1
done
grep -q "conf:4: \[export other\] connections = 0: must be 1 to 64" \
    "$tmpdir/nbdcached.log" || fail "the reason was not logged"
grep -q "reload failed; the old configuration stays in force" \
    "$tmpdir/nbdcached.log" || fail "the failure was not logged"
ctl cache disk 0 1M
[ "$(ctl exports --json | jq '[e["name"] for e in j]')" = \
  '["disk"]' ] || fail "the exports changed"

# The same through the admin op.
run_py <<'EOP'
from rawclient import Client, expect_error, check
c = Client()
c.hello()
r = c.request({"op": "reload"})
expect_error(r, "EINVAL")
check("connections = 0" in r["error"]["message"], "no reason given", r)
EOP
printf '[export disk]\nuri = %s\n' "$disk_uri" > "$conf"
run_py <<'EOP'
from rawclient import Client, check
c = Client()
c.hello()
r = c.request({"op": "reload"})
check(r["ok"], "a good reload failed", r)
EOP
stop_nbdcached
