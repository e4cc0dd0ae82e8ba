#!/usr/bin/env bash
# With fallback = read, a pool whose connections reached servers that
# differ: some can cache, some cannot (a server replaced while part of
# the pool was connected, or a balancer in front of both kinds).  The
# export's facts are those of the connection that came up last; here
# they say the server can cache, so chunks of up to max-chunk (32 MiB)
# reach a connection that must read.  It reads such a chunk itself, 4
# MiB at a time into its buffer, stops at the first read that fails,
# and the chunk completes once.  Before, it handed the chunk back
# unsent and main sent it again unchanged.  When that connection was
# connection 0 (on the main loop, and it wins ties) the chunk went
# round between the two for ever without the main loop polling again:
# the daemon answered nothing, not even SIGTERM, and request-timeout
# never ended the request.  On a worker thread's connection it went
# round until another connection was free, and no read was sent.
#
# The servers are eval plugins whose can_cache answer depends on the
# order of the connections, so that which connection reads is known.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires nbdkit eval --version
requires_nbdkit_filter log
requires python3 --version

M=$((1024*1024))

# eval_disk NAME LOG CAN_CACHE [PREAD]: start_nbdkit NAME, a 1G eval
# disk logged to LOG that advertises multi-conn, whose can_cache is the
# script CAN_CACHE, and whose pread is PREAD before reading zeroes.
eval_disk ()
{
    start_nbdkit "$1" --filter=log eval logfile="$2" \
        get_size='echo 1G' thread_model='echo parallel' \
        can_multi_conn='exit 0' can_cache="$3" cache='exit 0' \
        pread="${4:-}
dd if=/dev/zero count=\$3 iflag=count_bytes 2>/dev/null"
}

# Export "first": connection 0 came up first, to a server without
# cache; connection 1 after it, to one with cache.  The first read at
# 8 MiB fails, once; reads from 4 MiB on wait while $tmpdir/slow exists.
mkdir "$tmpdir/first"
eval_disk disk "$tmpdir/log-first" \
    "if mkdir $tmpdir/first/c0 2>/dev/null; then echo none; else echo native; fi" \
    "if [ \$4 -eq $((8*M)) ] && mkdir $tmpdir/first/failed 2>/dev/null; then
       echo 'EIO injected' >&2; exit 1
     fi
     while [ \$4 -ge $((4*M)) ] && [ -e $tmpdir/slow ]; do sleep 0.1; done"
cleanup_fn "rm -f '$tmpdir/slow'"
# Export "thread": connection 0 with cache; of 1 and 2, on worker
# threads, the first to connect without, the second with cache, and
# later, so that its facts are the export's.
mkdir "$tmpdir/thread"
eval_disk threaded "$tmpdir/log-thread" \
    "if mkdir $tmpdir/thread/c0 2>/dev/null; then echo native
     elif mkdir $tmpdir/thread/c1 2>/dev/null; then echo none
     else sleep 1; echo native; fi"

# Export "slow": as "first", but every read takes 0.5 s.
mkdir "$tmpdir/slow-disk"
eval_disk slow "$tmpdir/log-slow" \
    "if mkdir $tmpdir/slow-disk/c0 2>/dev/null; then echo none; else echo native; fi" \
    "sleep 0.5"

start_nbdcached_conf -t 2 <<EOC
[export first]
uri = $disk_uri
connections = 2
fallback = read
warm-ttl = 0
coalesce = false
request-timeout = 10
reconnect-delay = 0.1
reconnect-max-delay = 0.2
[export thread]
uri = $threaded_uri
connections = 3
fallback = read
warm-ttl = 0
coalesce = false
request-timeout = 10
[export slow]
uri = $slow_uri
connections = 2
fallback = read
warm-ttl = 0
request-timeout = 1.5
EOC

# mixed N UP: export N has UP connections up and, from the last one,
# the facts of a server that caches: 32 MiB chunks.
mixed ()
{
    [ "$(ctl exports --json | jq "[j[$1]['connections']['up'], \
         j[$1]['can_cache'], j[$1]['block_size']['maximum']]")" = \
      "[$2, true, $((32*M))]" ]
}
wait_until 10 mixed 0 2 || fail "export first: $(ctl exports --json)"
wait_until 10 mixed 1 3 || fail "export thread: $(ctl exports --json)"
wait_until 10 mixed 2 2 || fail "export slow: $(ctl exports --json)"
grep "the server changed the export" "$tmpdir/nbdcached.log"

# ctl_within SECONDS ARGS...: ctl, killed after SECONDS (the old daemon
# could stop answering).
ctl_within ()
{
    timeout "$1" $VG "$NBDCACHECTL" -s "$sock" "${@:2}"
}

# mark LOG: note where LOG (nbdkit's, which it keeps open) ends now;
# since LOG: the lines added to it after the mark, in $tmpdir/since.
mark () { wc -l < "$1" > "$1.mark"; }
since () { tail -n +$(( $(cat "$1.mark") + 1 )) "$1" > "$tmpdir/since"; }

# reads_stopped: export slow's 32 MiB chunk, whose requests have all
# gone, has left connection 0, and its reads stopped short of the 8 it
# takes whole (counted in $reads, since its log's mark).
reads_stopped ()
{
    wait_until 10 chunks_in_flight_are 0 2 || fail "the chunk is still read"
    sleep 1
    since "$tmpdir/log-slow"
    reads=$(command_lines Read "$tmpdir/since" | wc -l)
    echo "$reads reads"
    ! measuring || [ "$reads" -lt 8 ] ||
        fail "read to its end: $(command_lines Read "$tmpdir/since")"
}

# retries N: export N's chunks sent again (none should be: no
# connection was lost).
retries () { ctl stats --json | jq "j['exports'][$1]['retries']"; }

# reads_fit LOG: every Read in LOG is at most 4 MiB.
reads_fit ()
{
    command_lines Read "$1" | awk -v max=$((4*M)) '
        $2 > max { print "read of " $2 " at " $1; bad = 1 }
        END { exit bad }'
}

# 1. A 32 MiB chunk on connection 0, which reads: the read at 8 MiB
# fails, no read after it is sent, and the request fails once, with
# that error.
mark "$tmpdir/log-first"
pipeline first 1 $((32*M)) 20 > "$tmpdir/result" ||
    fail "exactly-once check failed: $(cat "$tmpdir/result")"
cat "$tmpdir/result"
[ "$(jq 'j["failed"]' < "$tmpdir/result")" = '{"EIO": 1}' ] ||
    fail "expected EIO: $(cat "$tmpdir/result")"
since "$tmpdir/log-first"
[ "$(command_lines Read "$tmpdir/since" | tr '\n' ' ')" = \
  "0 $((4*M)) $((4*M)) $((4*M)) $((8*M)) $((4*M)) " ] ||
    fail "reads after the failed one: $(command_lines Read "$tmpdir/since")"
! grep -q ' Cache id=' "$tmpdir/since" ||
    fail "the chunk was sent again: $(cache_lines "$tmpdir/since")"

# 2. 64 MiB: [0, 32M) to connection 0, read 4 MiB at a time, and
# [32M, 64M) to connection 1, cached; promptly and nothing sent twice.
mark "$tmpdir/log-first"
start=$(date +%s)
ctl_within 30 cache first 0 $((64*M))
elapsed=$(( $(date +%s) - start ))
! measuring || [ $elapsed -lt 5 ] || fail "64 MiB took $elapsed s"
since "$tmpdir/log-first"
command_lines Read "$tmpdir/since" |
    check_chunks 0 $((32*M)) $((4*M)) $((4*M)) 1
reads_fit "$tmpdir/since"
[ "$(cache_lines "$tmpdir/since")" = "$((32*M)) $((32*M))" ] ||
    fail "caches: $(cache_lines "$tmpdir/since")"
[ "$(retries 0)" = 0 ] || fail "export first: $(retries 0) chunks sent again"

# 3. 96 MiB over the three connections of "thread", one 32 MiB chunk
# each: the one on the connection that reads is read 4 MiB at a time
# there, the others are cached, and none is sent twice.
ctl_within 30 cache thread 0 $((96*M))
{ cache_lines "$tmpdir/log-thread"; command_lines Read "$tmpdir/log-thread"; } |
    check_chunks 0 $((96*M)) $((32*M)) $((4*M)) 1
[ "$(command_lines Read "$tmpdir/log-thread" | wc -l)" = 8 ] ||
    fail "expected one chunk read in 8: $(command_lines Read "$tmpdir/log-thread")"
reads_fit "$tmpdir/log-thread"
[ "$(retries 1)" = 0 ] || fail "export thread: $(retries 1) chunks sent again"

# 4. An admin pauses the export while connection 0 is half way through
# reading a chunk: the pause holds back chunks not yet sent, but this
# one was, as a Cache on a server that can would be; it is read to its
# end, and the request completes while the export is still paused.
mark "$tmpdir/log-first"
touch "$tmpdir/slow"
ctl_within 30 cache first 0 $((32*M)) > "$tmpdir/out4" 2>&1 &
c=$!
second_read ()
{
    since "$tmpdir/log-first"
    grep -q " Read id=[0-9]* offset=$(printf '0x%x' $((4*M))) " "$tmpdir/since"
}
wait_until 10 second_read || fail "no second read: $(cat "$tmpdir/since")"
ctl pause first
rm "$tmpdir/slow"
wait $c || fail "the request failed: $(cat "$tmpdir/out4")"
[ "$(ctl exports --json | jq "j[0]['paused']")" = true ] ||
    fail "the export is no longer paused"
since "$tmpdir/log-first"
command_lines Read "$tmpdir/since" |
    check_chunks 0 $((32*M)) $((4*M)) $((4*M)) 1
ctl resume first

# 5. The server dies while connection 0 is half way through reading a
# chunk, and comes back able to cache on every connection: the chunk
# is sent again, as a Cache, and the request succeeds once.
mark "$tmpdir/log-first"
touch "$tmpdir/slow"
ctl_within 30 cache first 0 $((32*M)) > "$tmpdir/out5" 2>&1 &
c=$!
wait_until 10 second_read || fail "no second read: $(cat "$tmpdir/since")"
replace_disk --filter=log memory 1G logfile="$tmpdir/log-after"
rm "$tmpdir/slow"
wait $c || fail "the request failed: $(cat "$tmpdir/out5")"
[ "$(cache_lines "$tmpdir/log-after")" = "0 $((32*M))" ] ||
    fail "not sent again whole: $(cache_lines "$tmpdir/log-after")"
[ "$(retries 0)" -ge 1 ] || fail "export first: the chunk was not sent again"
[ "$(ctl stats --json | jq "[e['in_flight'] for e in j['exports']]")" = \
  '[0, 0, 0]' ] || fail "requests left in flight"

# 6. A 32 MiB chunk on connection 0 of "slow" takes 8 reads of 0.5 s,
# 4 s: longer than request-timeout (1.5 s).  Its request times out,
# once; then nobody wants the chunk, and its reads stop, within one
# read of the janitor's next pass.  The connection, whose server
# answers every read, is not dropped as hung for want of a reply
# meanwhile, and serves the next request.
mark "$tmpdir/log-slow"
status=0
ctl_within 30 cache slow 0 $((32*M)) 2> "$tmpdir/err6" || status=$?
cat "$tmpdir/err6"
[ $status = 1 ] && grep -q "did not finish within request-timeout" "$tmpdir/err6" ||
    fail "expected ETIMEDOUT, exit $status"
reads_stopped
[ "$(grep -c '\.\.\.Read id=[0-9]* return=0' "$tmpdir/since")" = "$reads" ] ||
    fail "a read is unanswered: $(cat "$tmpdir/since")"
! grep "export slow: connection 0: .*dropping it" "$tmpdir/nbdcached.log" ||
    fail "connection 0 dropped as hung while its server answered"
[ "$(ctl stats --json | jq "j['exports'][2]['reconnects']")" = 0 ] ||
    fail "export slow reconnected"
ctl_within 30 cache slow $((32*M)) 4M
[ "$(ctl stats --json | jq "[j['exports'][2][k] for k in ('errors', 'timeouts')]")" = \
  '[1, 1]' ] || fail "export slow: $(ctl stats --json)"

# 7. The same, but the client disconnects after the second read: the
# reads stop too.
mark "$tmpdir/log-slow"
# (timeout itself in the background, so that killing it kills the
# client.)
timeout 30 $VG "$NBDCACHECTL" -s "$sock" cache slow $((64*M)) $((32*M)) \
    > "$tmpdir/out7" 2>&1 &
c=$!
slow_second_read ()
{
    since "$tmpdir/log-slow"
    grep -q " Read id=[0-9]* offset=$(printf '0x%x' $((68*M))) " "$tmpdir/since"
}
wait_until 10 slow_second_read || fail "no second read: $(cat "$tmpdir/since")"
kill $c
wait $c || :
reads_stopped
[ "$(ctl stats --json | jq "[j['exports'][2][k] for k in ('in_flight', 'timeouts')]")" = \
  '[0, 1]' ] || fail "export slow: $(ctl stats --json)"
stop_nbdcached
