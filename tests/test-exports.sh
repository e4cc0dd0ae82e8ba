#!/usr/bin/env bash
# nbdcachectl exports: the JSON and table forms describe each export
# as the server advertised it (size, cache, multi-conn, block sizes)
# and the pool (4 connections by default, all up).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter blocksize-policy


start_nbdkit plain memory 1G
start_nbdkit sized --filter=blocksize-policy memory 64M \
    blocksize-minimum=512 blocksize-preferred=64K blocksize-maximum=8M
start_nbdcached -e plain="$plain_uri" -e sized="$sized_uri"

# The pool opens its other connections after the first is up: wait
# until all 4 of each export are.
for (( i=0; i < 100; i++ )); do
    ctl exports --json >"$tmpdir/exports"
    [ "$(jq '[e["connections"]["up"] for e in j]' <"$tmpdir/exports")" = \
      "[4, 4]" ] && break
    sleep 0.1
done
cat "$tmpdir/exports"

[ "$(jq 'len(j)' <"$tmpdir/exports")" = 2 ] || fail "expected 2 exports"

# The export without advertised block sizes.
[ "$(jq 'j[0]["name"]' <"$tmpdir/exports")" = plain ] || fail "name"
[ "$(jq 'j[0]["state"]' <"$tmpdir/exports")" = up ] || fail "state"
[ "$(jq 'j[0]["size"]' <"$tmpdir/exports")" = 1073741824 ] || fail "size"
[ "$(jq 'j[0]["can_cache"]' <"$tmpdir/exports")" = true ] || fail "can_cache"
[ "$(jq 'j[0]["can_multi_conn"]' <"$tmpdir/exports")" = true ] ||
    fail "can_multi_conn"
[ "$(jq 'j[0]["block_size"]' <"$tmpdir/exports")" = \
  '{"minimum": 1, "preferred": 4096, "maximum": 33554432, "advertised": false}' ] ||
    fail "plain: block_size"
[ "$(jq 'j[0]["connections"]' <"$tmpdir/exports")" = \
  '{"configured": 4, "used": 4, "up": 4}' ] || fail "plain: connections"

# The export behind blocksize-policy.
[ "$(jq 'j[1]["name"]' <"$tmpdir/exports")" = sized ] || fail "name"
[ "$(jq 'j[1]["size"]' <"$tmpdir/exports")" = 67108864 ] || fail "size"
[ "$(jq 'j[1]["block_size"]' <"$tmpdir/exports")" = \
  '{"minimum": 512, "preferred": 65536, "maximum": 8388608, "advertised": true}' ] ||
    fail "sized: block_size"
[ "$(jq 'j[1]["connections"]' <"$tmpdir/exports")" = \
  '{"configured": 4, "used": 4, "up": 4}' ] || fail "sized: connections"

# The table: a header and one row per export, in order.
ctl exports >"$tmpdir/table"
cat "$tmpdir/table"
[ "$(wc -l <"$tmpdir/table")" -eq 3 ] || fail "table: expected 3 lines"
head -n 1 "$tmpdir/table" | grep -q '^NAME  *STATE  *SIZE' || fail "table: header"
sed -n 2p "$tmpdir/table" |
    grep -qE '^plain +up +1G +yes +yes +1/4K/32M +4/4$' || fail "table: plain row"
sed -n 3p "$tmpdir/table" |
    grep -qE '^sized +up +64M +yes +yes +512/64K/8M +4/4$' || fail "table: sized row"
