#!/usr/bin/env bash
# The server dies with a chunk in flight and comes back with other
# facts.  The chunk is sent again, but fitted to the new facts as a new
# cut would be: in reads of at most 4 MiB when the new server cannot
# cache (fallback = read; before, a 32 MiB read overflowed the 4 MiB
# read buffer and crashed the daemon), in commands no larger than the
# new maximum, and trimmed to the new size, so that a request wholly
# inside it still succeeds when a coalesced neighbour no longer fits.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter log
requires_nbdkit_filter delay
requires_nbdkit_filter nocache
requires_nbdkit_filter blocksize-policy

M=$((1024*1024))
# slow_then NBDKIT-ARGS...: once the (slow) server has a chunk of the
# requests in flight (in case 3 one, or two when the requests came in
# separate passes and were not coalesced), replace it with NBDKIT-ARGS.
slow_then ()
{
    wait_until 10 some_chunk_in_flight ||
        fail "no chunk went to the slow server"
    replace_logged_disk "$@"
}

replace_logged_disk --filter=delay memory 1G delay-cache=3
start_nbdcached_export disk "$disk_uri" connections=1 fallback=read \
    reconnect-delay=0.1 reconnect-max-delay=0.2 warm-ttl=0

# 1. 32 MiB in flight; the new server cannot cache: 8 reads of 4 MiB.
ctl cache disk 0 $((32*M)) > "$tmpdir/out1" 2>&1 &
c=$!
slow_then --filter=nocache pattern 1G cachemode=none
wait $c || fail "the 32 MiB request failed: $(cat "$tmpdir/out1")"
command_lines Read "$disk_log" > "$tmpdir/reads"
check_chunks 0 $((32*M)) $((4*M)) $((4*M)) 1 < "$tmpdir/reads" ||
    fail "not read in pieces of 4 MiB: $(cat "$tmpdir/reads")"

# 2. 1 MiB in flight; the new server's maximum is 64 KiB: 16 commands.
replace_logged_disk --filter=delay memory 1G delay-cache=3
ctl cache disk 0 $M > "$tmpdir/out2" 2>&1 &
c=$!
slow_then --filter=blocksize-policy memory 1G blocksize-minimum=4096 \
    blocksize-preferred=4096 blocksize-maximum=65536
wait $c || fail "the 1 MiB request failed: $(cat "$tmpdir/out2")"
cache_lines "$disk_log" > "$tmpdir/caches"
check_chunks 0 $M 65536 65536 4096 < "$tmpdir/caches" ||
    fail "not cut to the new maximum: $(cat "$tmpdir/caches")"

# 3. Two adjacent 1 MiB requests, coalesced into one 2 MiB chunk; the
# new server has only 1 MiB.  The second fails as past the new end;
# the first is sent alone, and succeeds.
replace_logged_disk --filter=delay memory 1G delay-cache=3
pipeline disk 2 $M 30 > "$tmpdir/result" &
p=$!
slow_then memory $M
wait $p || fail "exactly-once check failed: $(cat "$tmpdir/result")"
[ "$(jq 'j["ok"]' < "$tmpdir/result")" = 1 ] &&
    [ "$(jq 'j["failed"]' < "$tmpdir/result")" = '{"EINVAL": 1}' ] ||
    fail "expected one success and one EINVAL: $(cat "$tmpdir/result")"
[ "$(cache_lines "$disk_log")" = "0 $M" ] ||
    fail "not trimmed to the new size: $(cache_lines "$disk_log")"
[ "$(ctl stats --json | jq "j['exports'][0]['in_flight']")" = 0 ] ||
    fail "requests left in flight"

# 4. A request still queued (the export paused) when the server comes
# back with a larger minimum block size: [512, 1024) was aligned to the
# old server's 512, not to the new one's 4096.  It is warmed as a new
# request for it would be now, rounded out to [0, 4096), not failed.
replace_logged_disk --filter=blocksize-policy memory 1G \
    blocksize-minimum=512 blocksize-preferred=4096 blocksize-maximum=$M
min_is () {
    [ "$(ctl exports --json | jq "j[0]['block_size']['minimum']")" = "$1" ]
}
queued_is () {
    [ "$(ctl stats --json | jq "j['exports'][0]['queued']")" = "$1" ]
}
wait_until 10 min_is 512 || fail "the 512-byte server did not come up"
ctl pause disk
ctl cache disk 512 512 > "$tmpdir/out4" 2>&1 &
c=$!
wait_until 10 queued_is 1 || fail "the request was not queued"
replace_logged_disk --filter=blocksize-policy memory 1G \
    blocksize-minimum=4096 blocksize-preferred=4096 blocksize-maximum=$M
wait_until 20 min_is 4096 || fail "the 4096-byte server did not come up"
ctl resume disk
wait $c || fail "the queued request failed: $(cat "$tmpdir/out4")"
[ "$(cache_lines "$disk_log")" = "0 4096" ] ||
    fail "not rounded out to the new minimum: $(cache_lines "$disk_log")"
