#!/usr/bin/env bash
# A request is rounded out to the advertised minimum block size and
# split into chunks of at most the advertised maximum, cut on
# multiples of the maximum (a multiple of the preferred size).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter log
requires_nbdkit_filter blocksize-policy

# The log filter is outermost: it records what the daemon sent.
start_nbdkit disk --filter=log --filter=blocksize-policy memory 64M \
    blocksize-minimum=4096 blocksize-preferred=65536 blocksize-maximum=1M \
    blocksize-error-policy=error logfile="$tmpdir/log"
start_nbdcached -e disk="$disk_uri"

M=$((1024*1024))
ctl cache disk 1000 3M

# [1000, 1000+3M) rounded out to 4K is [0, 3M+4K).
end=$(( (1000 + 3*M + 4095) / 4096 * 4096 ))
cache_lines "$tmpdir/log" | tee "$tmpdir/cache"
check_chunks 0 $end $M $M 4096 <"$tmpdir/cache"
[ "$(wc -l <"$tmpdir/cache")" -eq 4 ] || fail "expected 4 chunks"

# An unaligned range in the middle: [5M+1, 5M+1+2M) becomes
# [5M, 7M+4K), cut at 6M and 7M.
n=$(wc -l <"$tmpdir/log")
ctl cache disk $((5*M + 1)) 2M
tail -n +$((n+1)) "$tmpdir/log" >"$tmpdir/log2"
cache_lines "$tmpdir/log2" | tee "$tmpdir/cache2"
check_chunks $((5*M)) $((7*M + 4096)) $M $M 4096 \
    <"$tmpdir/cache2"

# The last byte of the export: one 4K chunk, ending exactly at the end.
n=$(wc -l <"$tmpdir/log")
ctl cache disk $((64*M - 1)) 1
tail -n +$((n+1)) "$tmpdir/log" >"$tmpdir/log3"
[ "$(cache_lines "$tmpdir/log3")" = "$((64*M - 4096)) 4096" ] ||
    fail "last byte: got $(cache_lines "$tmpdir/log3")"

# The server rejected nothing (blocksize-error-policy=error would
# have turned a misaligned request into EINVAL).
! grep -q 'Cache.*return=-1' "$tmpdir/log" || fail "the server rejected a chunk"
