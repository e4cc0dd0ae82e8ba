#!/usr/bin/env bash
# max-chunk caps the NBD commands the daemon sends below a server's
# advertised maximum (32M by default).  A server may advertise up to
# 4G - 1 (nbdkit's cache filter does), and one command that large can
# outlast request-timeout by itself, where smaller ones served in
# parallel finish in time.  The cap also bounds coalescing, and never
# takes a command below the server's minimum block size.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit eval --version
requires python3 --version
requires_nbdkit_filter log
requires_nbdkit_filter blocksize-policy

M=$((1024*1024))

# A server that advertises a 1G maximum and takes 2 s per 64M to warm,
# serving commands in parallel: an eval disk behind blocksize-policy,
# logged outermost.
start_nbdkit disk --filter=log --filter=blocksize-policy eval \
    logfile="$tmpdir/log" blocksize-maximum=1G \
    get_size='echo 1G' can_cache='echo native' thread_model='echo parallel' \
    pread='dd if=/dev/zero count=$3 iflag=count_bytes 2>/dev/null' \
    cache='ms=$(( $3 * 2000 / 67108864 ))
           sleep $(( ms / 1000 )).$(printf %03d $(( ms % 1000 )))'

# Export "big" has the default cap, "small" one of 8M and one command
# in flight, so that its queued requests coalesce.
start_nbdcached_conf <<EOF
[export big]
uri = $disk_uri
request-timeout = 4

[export small]
uri = $disk_uri
max-chunk = 8M
max-in-flight = 1
warm-ttl = 0
EOF

# The daemon reports what it cuts to: the cap, with the server's
# maximum still "advertised".
ctl exports --json >"$tmpdir/exports"
[ "$(jq '[(e["block_size"]["maximum"], e["block_size"]["advertised"])
           for e in j]' <"$tmpdir/exports")" = \
  '[[33554432, true], [8388608, true]]' ] ||
    fail "unexpected block sizes: $(cat "$tmpdir/exports")"

# 1. 256M as one command would take 8 s, twice request-timeout: the
# request would fail with ETIMEDOUT and the connection be dropped as
# hung.  As eight 32M commands in parallel it takes about 1 s.
ctl cache big 0 256M ||
    fail "256M on a server advertising 1G did not finish in time"
cache_lines "$tmpdir/log" | tee "$tmpdir/cache"
check_chunks 0 $((256*M)) $((32*M)) $((32*M)) 1 <"$tmpdir/cache"
[ "$(wc -l <"$tmpdir/cache")" -eq 8 ] || fail "expected 8 chunks"
! grep -q 'no reply for' "$tmpdir/nbdcached.log" ||
    fail "a connection was taken to be hung: $(cat "$tmpdir/nbdcached.log")"

# 2. max-chunk = 8M: a 24M request in three 8M commands.
n=$(wc -l <"$tmpdir/log")
ctl cache small $((512*M)) 24M
tail -n +$((n+1)) "$tmpdir/log" >"$tmpdir/log2"
cache_lines "$tmpdir/log2" | tee "$tmpdir/cache2"
check_chunks $((512*M)) $((536*M)) $((8*M)) $((8*M)) 1 <"$tmpdir/cache2"
[ "$(wc -l <"$tmpdir/cache2")" -eq 3 ] || fail "expected 3 chunks"

# 3. Coalescing stops at the cap too.  32 requests of 1M queue behind
# one command in flight; merged, they reach the server as commands
# larger than 1M (so coalescing happened) and no larger than 8M.  A
# merged command starts where a request does, and ends at the next
# multiple of the cap at most.
n=$(wc -l <"$tmpdir/log")
echo "{\"export\":\"small\",\"offset\":$((640*M)),\"count\":$((32*M))}" |
    ctl warm --no-progress --request-size 1M --in-flight 32 --manifest -
tail -n +$((n+1)) "$tmpdir/log" >"$tmpdir/log3"
cache_lines "$tmpdir/log3" | tee "$tmpdir/cache3"
check_chunks $((640*M)) $((672*M)) $((8*M)) $M 1 <"$tmpdir/cache3"
awk -v m=$M '$2 > m { merged = 1 } END { exit !merged }' "$tmpdir/cache3" ||
    fail "no request was coalesced, so the cap on merging went untested"

# 4. A cap below the server's minimum block size gives way to it:
# every command must be a multiple of the minimum.
start_nbdkit tiny --filter=log --filter=blocksize-policy memory 16M \
    logfile="$tmpdir/tiny.log" blocksize-minimum=64K \
    blocksize-preferred=64K blocksize-error-policy=error
stop_nbdcached
start_nbdcached_export tiny "$tiny_uri" max-chunk=4K warm-ttl=0
ctl exports --json >"$tmpdir/exports"
[ "$(jq 'j[0]["block_size"]["maximum"]' <"$tmpdir/exports")" = 65536 ] ||
    fail "maximum below the minimum: $(cat "$tmpdir/exports")"
ctl cache tiny 0 256K
cache_lines "$tmpdir/tiny.log" | tee "$tmpdir/cache4"
check_chunks 0 $((256*1024)) 65536 65536 65536 <"$tmpdir/cache4"
! grep -q 'Cache.*return=-1' "$tmpdir/tiny.log" ||
    fail "the server rejected a chunk"
