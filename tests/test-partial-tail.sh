#!/usr/bin/env bash
# An export whose size is not a multiple of the advertised minimum
# block size: its last, partial block cannot be reached by any aligned
# request (NBD, "Block size constraints"), so the daemon leaves it
# out.  A request that reaches into it is cut short and succeeds; one
# that lies wholly inside it is refused, with nothing sent.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter log
requires_nbdkit_filter blocksize-policy

M=$((1024*1024))
# 1M + 512: the whole blocks end at 1M, the partial one is [1M, 1M+512).
start_nbdkit disk --filter=log --filter=blocksize-policy \
    memory $((M + 512)) \
    blocksize-minimum=4096 blocksize-preferred=4096 blocksize-maximum=64K \
    logfile="$tmpdir/log"
start_nbdcached_export disk "$disk_uri" warm-ttl=0 coalesce=false

# new_cache_lines: cache_lines of the log lines since the last call.
seen=0
new_cache_lines ()
{
    tail -n +$((seen + 1)) "$tmpdir/log" >"$tmpdir/new"
    seen=$(( seen + $(wc -l <"$tmpdir/new") ))
    cache_lines "$tmpdir/new"
}

# Reaching into the tail: only the aligned part is sent.
ctl cache disk 1040000 9088
new_cache_lines >"$tmpdir/cache"
[ "$(cat "$tmpdir/cache")" = "1036288 12288" ] ||
    fail "expected one chunk [1036288, 1M): $(cat "$tmpdir/cache")"

# The whole export, as a manifest of everything would ask: the same.
ctl cache disk 0 $((M + 512))
new_cache_lines >"$tmpdir/cache"
check_chunks 0 $M 65536 65536 4096 <"$tmpdir/cache"

# Wholly inside the tail: refused at once, and nothing is sent.
status=0
ctl cache disk $M 512 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache of the tail exited $status, expected 1"
grep -q "partial block" "$tmpdir/err" ||
    fail "the refusal does not explain the partial block"
! grep -q "server failed" "$tmpdir/err" || fail "the server is blamed"
[ -z "$(new_cache_lines)" ] || fail "the tail reached the server"

ctl stats --json >"$tmpdir/stats"
[ "$(jq '[(e["requests"], e["errors"]) for e in j["exports"]]' \
     <"$tmpdir/stats")" = '[[2, 0]]' ] ||
    fail "unexpected stats: $(cat "$tmpdir/stats")"
