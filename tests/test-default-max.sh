#!/usr/bin/env bash
# A server that advertises no block sizes gets chunks of at most the
# NBD default maximum, 32M, cut on multiples of 32M.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk 200M
start_nbdcached_nodedup disk="$disk_uri"

M=$((1024*1024))

# The memory plugin advertises nothing: the daemon says so.
ctl exports --json >"$tmpdir/exports"
[ "$(jq 'j[0]["block_size"]' <"$tmpdir/exports")" = \
  '{"minimum": 1, "preferred": 4096, "maximum": 33554432, "advertised": false}' ] ||
    fail "unexpected block_size: $(cat "$tmpdir/exports")"

ctl cache disk 0 100M
cache_lines "$tmpdir/log" | tee "$tmpdir/cache"
check_chunks 0 $((100*M)) $((32*M)) $((32*M)) 1 <"$tmpdir/cache"
[ "$(wc -l <"$tmpdir/cache")" -eq 4 ] || fail "expected 4 chunks"

# Unaligned and crossing a 32M boundary: [31M+7, 33M+7) is cut at 32M,
# and nothing is rounded (the minimum is 1).
n=$(wc -l <"$tmpdir/log")
ctl cache disk $((31*M + 7)) 2M
tail -n +$((n+1)) "$tmpdir/log" >"$tmpdir/log2"
[ "$(cache_lines "$tmpdir/log2" | tr '\n' ' ')" = \
  "$((31*M + 7)) $((M - 7)) $((32*M)) $((M + 7)) " ] ||
    fail "unexpected chunks: $(cache_lines "$tmpdir/log2")"
