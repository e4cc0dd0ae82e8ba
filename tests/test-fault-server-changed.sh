#!/usr/bin/env bash
# The server comes back with a different export: smaller, larger, with
# other block sizes, without and then with multi-conn.  The daemon
# must notice on reconnecting and accept, refuse and cut requests by
# the server's current facts, and size its pool by them.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter log
requires_nbdkit_filter blocksize-policy
requires nbdkit eval --version

M=$((1024*1024))
G=$((1024*M))

# exports_are EXPR VALUE: wait until EXPR on "exports" gives VALUE.
exports_are ()
{
    local v
    for (( i=0; i < 100; i++ )); do
        v="$(ctl exports --json | jq "$1")"
        [ "$v" = "$2" ] && return 0
        sleep 0.1
    done
    ctl exports --json
    fail "exports: $1 is $v, expected $2"
}

start_nbdkit disk --filter=log memory 1G logfile="$tmpdir/log0"
start_nbdcached_export disk "$disk_uri" connections=2 \
    reconnect-delay=0.1 reconnect-max-delay=0.2 warm-ttl=0 coalesce=false
exports_are 'j[0]["connections"]["up"]' 2

# Smaller: a range past the new end is refused at once, and a range
# inside it still works.
replace_logged_disk memory 1M
exports_are 'j[0]["size"]' $M
status=0
ctl cache disk $((512*M)) $M 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache past the new end exited $status"
grep -q "past the end" "$tmpdir/err" || fail "not refused as past the end"
ctl cache disk 0 $M
[ "$(cache_lines "$tmpdir/log1")" = "0 $M" ] ||
    fail "after shrinking: $(cache_lines "$tmpdir/log1")"

# Larger: the new range is accepted and sent.
replace_logged_disk memory 2G
exports_are 'j[0]["size"]' $((2*G))
ctl cache disk $((3*G/2)) $M
[ "$(cache_lines "$tmpdir/log2")" = "$((3*G/2)) $M" ] ||
    fail "after growing: $(cache_lines "$tmpdir/log2")"

# Other block sizes and no multi-conn: one connection, 4K-aligned
# chunks of at most 64K.
# (An eval plugin, which does not advertise multi-conn, rather than the
# multi-conn filter: nbdkit 1.32's filter can abort when a connection
# closes during its handshake, as the daemon's second one does here.)
replace_logged_disk --filter=blocksize-policy eval \
    get_size='echo 1G' pread='exit 1' \
    can_cache='echo native' cache='exit 0' \
    blocksize-minimum=4096 blocksize-preferred=4096 \
    blocksize-maximum=65536 blocksize-error-policy=error
exports_are '[j[0]["block_size"]["minimum"], j[0]["block_size"]["maximum"], j[0]["can_multi_conn"], j[0]["connections"]["used"], j[0]["connections"]["up"]]' \
    '[4096, 65536, false, 1, 1]'
ctl cache disk 1000 100000
cache_lines "$tmpdir/log3" >"$tmpdir/cache"
check_chunks 0 102400 65536 65536 4096 <"$tmpdir/cache"
! grep -q 'Cache.*return=-1' "$tmpdir/log3" || fail "the server rejected a chunk"

# Multi-conn again: the pool grows back to both connections.
replace_logged_disk memory 1G
exports_are '[j[0]["can_multi_conn"], j[0]["connections"]["used"], j[0]["connections"]["up"]]' \
    '[true, 2, 2]'
ctl cache disk 0 $M
[ "$(cache_lines "$tmpdir/log4")" = "0 $M" ] ||
    fail "after multi-conn came back: $(cache_lines "$tmpdir/log4")"

grep "the server changed the export" "$tmpdir/nbdcached.log"
[ "$(grep -c "the server changed the export" "$tmpdir/nbdcached.log")" = 4 ] ||
    fail "expected four changes in the log"
