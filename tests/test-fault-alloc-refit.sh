#!/usr/bin/env bash
# Out of memory while a chunk to be sent again is fitted to a server's
# new facts (chunk_refit, request.c): a 1 MiB chunk in flight, the
# server replaced by one whose maximum is 64 KiB, so that the chunk
# becomes 16 pieces.  fail-calls.so fails each allocation in turn from
# the moment the held-back chunk is let go (a resume), one per run,
# until three have failed inside the refit.  Whichever fails, the
# daemon stays up, the request gets exactly one completion: warmed (all
# of its range reached the server) or ENOMEM, with a warning that names
# the want of memory; one that failed in the refit names the chunk
# and does not blame the server; and the next request is served.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter log
requires_nbdkit_filter delay
requires_nbdkit_filter blocksize-policy
requires_failing_shim

M=$((1024*1024))
is_up () { export_is up; }
refit_failed="export disk: fitting the chunk at offset 0, $M bytes to the server's new limits: Cannot allocate memory"

# setup: a fresh daemon (its cache of free chunks empty, so that the
# refit allocates), its 1 MiB request in flight on a slow server,
# then paused while the server is replaced; $c is the client.
setup ()
{
    [ -z "${nbdcached_pid:-}" ] || stop_nbdcached
    replace_logged_disk --filter=delay memory 1G delay-cache=10
    printf '[export disk]\nuri = %s\nconnections = 1\nwarm-ttl = 0\n%s\n' \
        "$disk_uri" "reconnect-delay = 0.1" > "$tmpdir/conf"
    start_nbdcached_failing -c "$tmpdir/conf" --threads 0
    ctl cache disk 0 $M > "$tmpdir/client" 2>&1 &
    c=$!
    wait_until 10 some_chunk_in_flight || fail "no chunk went to the server"
    ctl pause disk
    replace_logged_disk --filter=blocksize-policy memory 1G blocksize-minimum=4096 \
        blocksize-preferred=4096 blocksize-maximum=65536
    wait_until 20 is_up || fail "the new server did not come up"
}

# resume_failing S: resume with allocation S failing (the resume itself
# may fail: then again, with nothing failing); the client's exit
# status in $status.
resume_failing ()
{
    status=0
    arm_failures "$1" 1
    ctl resume disk >/dev/null 2>&1 || { arm_failures 0 0; ctl resume disk; }
    wait $c || status=$?
    arm_failures 0 0
}

# Measure, with nothing failing.
setup
arm_failures 1000000000 0
ctl resume disk
wait $c || fail "the request failed with nothing failing: $(cat "$tmpdir/client")"
total=$(armed_calls)
arm_failures 0 0
[ "$(cache_lines "$disk_log" | wc -l)" -eq 16 ] ||
    fail "the chunk was not cut in 16 pieces"
echo "resume and refit: $total allocations"

refits=0
for (( s=0; s < total && refits < 3; s++ )); do
    setup
    warnings=$(oom_warnings) refits_before=$(log_count "$refit_failed")
    resume_failing $s
    kill -0 "$nbdcached_pid" 2>/dev/null || fail "allocation $s: the daemon died"
    if [ "$status" -eq 0 ]; then
        outcome=warmed
        check_chunks 0 $M 65536 65536 4096 < <(cache_lines "$disk_log") ||
            fail "allocation $s: succeeded, but not all of it was sent"
    else
        outcome=enomem
        grep -q 'Cannot allocate memory' "$tmpdir/client" ||
            fail "allocation $s: exit $status: $(cat "$tmpdir/client")"
        [ "$(oom_warnings)" -gt "$warnings" ] ||
            fail "allocation $s: ENOMEM without a warning in the log"
    fi
    if log_grew "$refit_failed" "$refits_before"; then
        refits=$((refits + 1))
        [ $outcome = enomem ] ||
            fail "allocation $s: the refit failed, but the request succeeded"
        # Not "the server failed": the server never saw it again.
        grep -q "Cannot allocate memory: the daemon had no memory to send the chunk at offset 0, $M bytes again" "$tmpdir/client" ||
            fail "allocation $s: the client is not told what failed"
    fi
    echo "allocation $s: $outcome"
    [ "$(ctl stats --json | jq "j['exports'][0]['in_flight']")" = 0 ] ||
        fail "allocation $s: a request was left in flight"
    ctl cache disk $((2*M)) 64K || fail "allocation $s: the next request failed"
done
[ $refits -gt 0 ] || fail "no allocation of the refit was failed"
