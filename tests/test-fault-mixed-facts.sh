#!/usr/bin/env bash
# A pool whose connections reached servers with different facts (a
# balancer in front of unlike servers, or a server replaced while part
# of the pool was connected).  The export's facts are those of the
# connection that came up last, and requests are aligned and cut by
# them; each connection must still send only what its own server
# accepts.  Here connection 0 came up first, and its server differs
# from that of connection 1, whose facts are the export's:
#  - "readmin" (fallback = read): connection 0's server cannot cache
#    and has a minimum block size of 4096, the export's is 512; its
#    reads are rounded out to 4096, never past its last whole block,
#    and a chunk wholly past that block is refused unsent;
#  - "nocache" (fallback = error): connection 0's server cannot cache;
#    the chunks go to connection 1, whose server can;
#  - "bigmin": connection 0's server has a minimum of 4096; its Cache
#    commands are rounded out to it;
#  - "smallmax": connection 0's server takes at most 1 MiB in one
#    command; it sends a 32 MiB chunk as 32 commands of 1 MiB;
#  - "cachefirst" (fallback = error): the other way round from
#    "nocache": connection 0's server can cache, connection 1's cannot,
#    so the export's facts say it cannot; requests are still accepted,
#    and go to connection 0.
# Before, libnbd refused each such chunk on connection 0 (EINVAL, "not
# sent to the server"), or sent a Cache longer than the server's
# maximum, which it failed.
#
# The servers are eval plugins whose answers depend on the handle that
# "open" gave each connection: "first" for the first to connect.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires nbdkit eval --version
requires_nbdkit_filter log
requires python3 --version

M=$((1024*1024))
G=$((1024*M))
# A server whose minimum is 4096 has a partial last block of 512.
SIZE=$((G + 4096 + 512))

# mixed_disk NAME CAN_CACHE FIRST_MIN FIRST_MAX LATER_MIN LATER_MAX
# [LATER_CACHE]:
# start_nbdkit NAME, an eval disk of $SIZE logged to $tmpdir/log-NAME
# that advertises multi-conn.  The first connection's server answers
# can_cache with CAN_CACHE and has the minimum and maximum block sizes
# FIRST_MIN and FIRST_MAX; later ones answer LATER_CACHE (default
# native) and have LATER_MIN and LATER_MAX.  The preferred size is 4096.  It fails with EINVAL a Cache
# or Read that its sizes do not allow.  Once $tmpdir/NAME/gone exists,
# later connections get ESHUTDOWN and cannot connect again.
mixed_disk ()
{
    local sizes="case \$2 in first) min=$3 max=$4;; *) min=$5 max=$6;; esac"
    local strict="$sizes
if [ \$((\$4 % min)) != 0 ] || [ \$((\$3 % min)) != 0 ] || [ \$3 -gt \$max ]; then
  echo 'EINVAL not allowed by the block sizes' >&2; exit 1
fi"
    mkdir "$tmpdir/$1"
    start_nbdkit "$1" --filter=log eval logfile="$tmpdir/log-$1" \
        get_size="echo $SIZE" thread_model='echo parallel' \
        open="if mkdir $tmpdir/$1/c0 2>/dev/null; then echo first
              elif [ -e $tmpdir/$1/gone ]; then echo 'EIO gone' >&2; exit 1
              else echo later; fi" \
        can_multi_conn='exit 0' \
        can_cache="case \$2 in first) echo $2;; *) echo ${7:-native};; esac" \
        block_size="$sizes; echo \$min 4096 \$max" \
        cache="$strict
if [ \$2 = later ] && [ -e $tmpdir/$1/gone ]; then
  echo 'ESHUTDOWN going' >&2; exit 1
fi" \
        pread="$strict
dd if=/dev/zero count=\$3 iflag=count_bytes 2>/dev/null"
}
mixed_disk readmin none 4096 $((32*M)) 512 $((32*M))
mixed_disk nocache none 512 $((32*M)) 512 $((32*M))
mixed_disk bigmin native 4096 $((32*M)) 512 $((32*M))
mixed_disk smallmax native 512 $M 512 $((32*M))
mixed_disk cachefirst native 512 $((32*M)) 512 $((32*M)) none

conf=
for e in readmin nocache bigmin smallmax cachefirst; do
    uri=${e}_uri
    conf+="[export $e]
uri = ${!uri}
connections = 2
warm-ttl = 0
coalesce = false
"
    [ $e != readmin ] || conf+="fallback = read
"
    [ $e != nocache ] || conf+="request-timeout = 2
"
done
start_nbdcached_conf -t 1 <<< "$conf"

# facts N: export N's facts, once both of its connections are up.
facts ()
{
    ctl exports --json | jq "[j[$1]['connections']['up'], j[$1]['can_cache'],
        j[$1]['block_size']['minimum'], j[$1]['block_size']['maximum']]"
}
facts_are () { [ "$(facts "$1")" = "$2" ]; }
for n in 0 1 2 3; do
    wait_until 10 facts_are $n "[2, true, 512, $((32*M))]" ||
        fail "export $n: $(ctl exports --json)"
done
wait_until 10 facts_are 4 "[2, false, 512, $((32*M))]" ||
    fail "export 4: $(ctl exports --json)"

# commands LOG: the "offset count" of every Cache and Read in LOG.
commands ()
{
    { command_lines Cache "$1"; command_lines Read "$1"; } | sort -n
}
# refused: the daemon's warnings of commands libnbd refused.
refused () { log_count 'libnbd refused'; }

# 1. readmin: a read of [512, 1024) on connection 0 is one of [0, 4096);
# one across the end of its last whole block stops there.
ctl cache readmin 512 512
ctl cache readmin $((G + 4096 - 512)) 1024
[ "$(commands "$tmpdir/log-readmin" | tr '\n' ' ')" = "0 4096 $G 4096 " ] ||
    fail "readmin: $(commands "$tmpdir/log-readmin")"
# The partial last block itself, which the export's facts allow, is
# nothing connection 0's server can read: refused, and not sent.
expect_status 1 "readmin: the partial block" ctl cache readmin $((G + 4096)) 512
grep -q "refused before it was sent to the server" "$tmpdir/err" ||
    fail "readmin: not refused"
grep -q "connection 0: the chunk at offset $((G + 4096)), 512 bytes, lies past the last whole block" \
    "$tmpdir/nbdcached.log" || fail "readmin: no warning"
[ "$(commands "$tmpdir/log-readmin" | wc -l)" = 2 ] ||
    fail "readmin: $(commands "$tmpdir/log-readmin")"

# 2. nocache: two chunks, both sent as Cache by connection 1.
ctl cache nocache 0 $((64*M))
commands "$tmpdir/log-nocache" | check_chunks 0 $((64*M)) $((32*M)) $((32*M)) 512
! grep -q ' Read id=' "$tmpdir/log-nocache" || fail "nocache: a read"

# 3. bigmin: one Cache of [0, 4096) on connection 0.
ctl cache bigmin 512 512
[ "$(commands "$tmpdir/log-bigmin" | tr '\n' ' ')" = "0 4096 " ] ||
    fail "bigmin: $(commands "$tmpdir/log-bigmin")"

# 4. smallmax: 32 MiB on connection 0, 1 MiB at a time.
ctl cache smallmax 0 $((32*M))
commands "$tmpdir/log-smallmax" | check_chunks 0 $((32*M)) $M $M 512

# 5. nocache: connection 1 goes for good, connection 0 stays up.  A
# request waits for a connection whose server can cache, and at its
# deadline fails, saying why.
touch "$tmpdir/nocache/gone"
expect_status 1 "nocache without connection 1" \
    ctl cache nocache $((64*M)) $((32*M))
grep -q "no connection up can serve it: their servers do not support NBD_CMD_CACHE" \
    "$tmpdir/err" || fail "nocache: not the reason"
[ "$(export_state 1)" = up ] || fail "nocache: $(export_state 1)"

# 6. cachefirst: two chunks, both sent as Cache by connection 0,
# although the export's facts (connection 1's) say it cannot cache.
ctl cache cachefirst 0 $((64*M))
commands "$tmpdir/log-cachefirst" |
    check_chunks 0 $((64*M)) $((32*M)) $((32*M)) 512
! grep -q ' Read id=' "$tmpdir/log-cachefirst" || fail "cachefirst: a read"

[ "$(refused)" = 0 ] || fail "libnbd refused commands"
! grep 'error=EINVAL' "$tmpdir"/log-* || fail "the servers refused commands"
[ "$(ctl stats --json | jq "[e['errors'] for e in j['exports']]")" = \
  '[1, 1, 0, 0, 0]' ] || fail "errors: $(ctl stats --json)"
stop_nbdcached
