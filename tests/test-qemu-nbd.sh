#!/usr/bin/env bash
# Against qemu-nbd, which advertises block sizes 1/4K/32M and refuses
# a Cache longer than 32M with EINVAL: warming a 100M export succeeds,
# so the daemon kept every chunk within the advertised maximum.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires qemu-nbd --version
requires python3 --version


truncate -s 100M "$tmpdir/disk.img"
qemu-nbd -t -f raw -k "$tmpdir/q.sock" --pid-file="$tmpdir/q.pid" \
    "$tmpdir/disk.img" >"$tmpdir/q.log" 2>&1 &
qpid=$!
cleanup_fn "kill_and_wait $qpid"
wait_for_file "$tmpdir/q.pid"
wait_for_file "$tmpdir/q.sock"

start_nbdcached_nodedup disk="nbd+unix:///?socket=$tmpdir/q.sock"

ctl exports --json >"$tmpdir/exports"
cat "$tmpdir/exports"
[ "$(jq 'j[0]["state"]' <"$tmpdir/exports")" = up ] || fail "not up"
[ "$(jq 'j[0]["size"]' <"$tmpdir/exports")" = 104857600 ] || fail "size"
[ "$(jq 'j[0]["can_cache"]' <"$tmpdir/exports")" = true ] || fail "can_cache"
[ "$(jq 'j[0]["block_size"]' <"$tmpdir/exports")" = \
  '{"minimum": 1, "preferred": 4096, "maximum": 33554432, "advertised": true}' ] ||
    fail "unexpected block_size"
# qemu-nbd does not advertise multi-conn for this export: one connection.
[ "$(jq 'j[0]["can_multi_conn"]' <"$tmpdir/exports")" = false ] ||
    fail "can_multi_conn"
[ "$(jq 'j[0]["connections"]["used"]' <"$tmpdir/exports")" = 1 ] ||
    fail "more than one connection used"

ctl warm disk --no-progress >"$tmpdir/out"
cat "$tmpdir/out"
grep -q '^warmed disk: 100M ' "$tmpdir/out" || fail "no 'warmed' summary"

# One request of 100M too, and an unaligned one crossing 32M.
ctl cache disk 0 100M
ctl cache disk $((32*1024*1024 - 1)) $((32*1024*1024 + 2))

ctl stats --json >"$tmpdir/stats"
[ "$(jq '[j["exports"][0]["errors"], j["exports"][0]["bytes"]]' \
     <"$tmpdir/stats")" = "[0, $((200*1024*1024 + 32*1024*1024 + 2))]" ] ||
    fail "unexpected stats: $(cat "$tmpdir/stats")"
