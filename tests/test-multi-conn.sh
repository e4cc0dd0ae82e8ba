#!/usr/bin/env bash
# The pool opens several connections only to a server that advertises
# multi-conn: without it exactly one, whatever is configured; with it,
# as many as configured.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter log
requires_nbdkit_filter multi-conn


# connects LOG: how many NBD connections the log filter saw.
connects () { grep -c ' Connect export=' "$1" || :; }

start_nbdkit single --filter=log --filter=multi-conn memory 1G \
    multi-conn-mode=disable logfile="$tmpdir/single.log"
start_nbdkit multi --filter=log memory 1G logfile="$tmpdir/multi.log"

start_nbdcached_conf <<INI
[export single]
uri = $single_uri
connections = 4

[export multi]
uri = $multi_uri
connections = 2
INI

for (( i=0; i < 100; i++ )); do
    ctl exports --json >"$tmpdir/exports"
    [ "$(jq 'j[1]["connections"]["up"]' <"$tmpdir/exports")" = 2 ] && break
    sleep 0.1
done
cat "$tmpdir/exports"

[ "$(jq 'j[0]["can_multi_conn"]' <"$tmpdir/exports")" = false ] ||
    fail "single: can_multi_conn should be false"
[ "$(jq 'j[0]["connections"]' <"$tmpdir/exports")" = \
  '{"configured": 4, "used": 1, "up": 1}' ] || fail "single: connections"
[ "$(jq 'j[1]["can_multi_conn"]' <"$tmpdir/exports")" = true ] ||
    fail "multi: can_multi_conn should be true"
[ "$(jq 'j[1]["connections"]' <"$tmpdir/exports")" = \
  '{"configured": 2, "used": 2, "up": 2}' ] || fail "multi: connections"

# Give a wrongly opened extra connection time to show up, and use the
# pools so that every connection is exercised.
for (( i=0; i < 8; i++ )); do
    ctl cache single $((i*64))M 64M
    ctl cache multi $((i*64))M 64M
done

[ "$(connects "$tmpdir/single.log")" -eq 1 ] ||
    fail "single: the server saw $(connects "$tmpdir/single.log") connections"
[ "$(connects "$tmpdir/multi.log")" -eq 2 ] ||
    fail "multi: the server saw $(connects "$tmpdir/multi.log") connections"

# And all the Cache requests used those connections only.
grep ' Cache id=' "$tmpdir/single.log" | grep -v ' connection=1 ' && 
    fail "single: a Cache on another connection"
grep ' Cache id=' "$tmpdir/multi.log" | grep -vE ' connection=[12] ' &&
    fail "multi: a Cache on another connection"
# Each 64M request is two chunks, which go to the two connections.
for c in 1 2; do
    grep -q " connection=$c Cache id=" "$tmpdir/multi.log" ||
        fail "multi: connection $c carried no Cache request"
done
