#!/usr/bin/env bash
# Out of memory during a reload and during a stop: fail-calls.so fails
# each allocation of a reload that removes an export, one per run.
# Whichever fails, the daemon stays up and the reload either takes
# effect whole (the removed export is then closed) or is refused with
# a warning and the old configuration kept whole; the export that
# stays serves at once.  Then a SIGTERM with every
# allocation failing: the daemon still stops cleanly (status 0, its
# socket removed), as it must when the system is short of memory.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_failing_shim

start_logged_disk
both="[export disk]
uri = $disk_uri
[export gone]
uri = $disk_uri"
one="[export disk]
uri = $disk_uri"
names () { ctl exports --json | jq '" ".join(sorted(e["name"] for e in j))'; }
reloaded='reloaded: |reload failed|warning: reload'
reloaded_since ()              # or the daemon is gone
{
    log_grew "$reloaded" "$1" || ! kill -0 "$nbdcached_pid" 2>/dev/null
}
both_up () { export_is up 0 && export_is up 1; }
closed='export gone: closed'

# fresh_daemon: a new daemon serving both exports, so that each reload
# is its first (buffers that grow once have not yet grown).
fresh_daemon ()
{
    [ -z "${nbdcached_pid:-}" ] || stop_nbdcached
    echo "$both" > "$tmpdir/conf"
    start_nbdcached_failing -c "$tmpdir/conf"
    wait_until 20 both_up || fail "the exports did not come up"
}

# reload CONF: write CONF, SIGHUP, and wait until the reload has ended
# (taken or refused).
reload ()
{
    local before
    before=$(log_count "$reloaded")
    echo "$1" > "$tmpdir/conf"
    kill -HUP "$nbdcached_pid"
    wait_until 20 reloaded_since "$before" || {
        tail -5 "$tmpdir/nbdcached.log" >&2
        fail "the reload did not end"
    }
}

# Measure what the reload allocates, with nothing failing.
fresh_daemon
arm_failures 1000000000 0
reload "$one"
n=$(armed_calls)
[ "$(names)" = disk ] || fail "the reload did not remove gone: $(names)"
[ "$n" -gt 0 ] || fail "the shim counted no allocation"
echo "reload: $n allocations"

declare -A seen
for (( s=0; s < n; s++ )); do
    fresh_daemon
    warnings=$(oom_warnings) closes=$(log_count "$closed")
    arm_failures $s 1
    reload "$one"
    arm_failures 0 0
    kill -0 "$nbdcached_pid" 2>/dev/null ||
        fail "allocation $s: the daemon died"
    # Whole, or not at all: both exports (refused) or disk alone.
    case "$(names)" in
    disk)
        outcome=taken
        # The removed export finishes, and is closed and freed.
        wait_until 20 log_grew "$closed" "$closes" ||
            fail "allocation $s: the removed export was never closed" ;;
    "disk gone")
        outcome=refused
        [ "$(oom_warnings)" -gt "$warnings" ] ||
            fail "allocation $s: refused without a warning"
        ctl cache gone 0 64K ||
            fail "allocation $s: the kept export gone does not serve" ;;
    *) fail "allocation $s: exports are now: $(names)" ;;
    esac
    ctl cache disk 512M 64K ||
        fail "allocation $s: disk does not serve after the reload"
    echo "reload, allocation $s: $outcome"
    seen[$outcome]=1
done
[ -n "${seen[refused]:-}" ] || fail "no reload was refused for want of memory"

# A stop with every allocation failing.
arm_failures 0 1000000000
kill "$nbdcached_pid"
status=0
timeout 30 tail --pid="$nbdcached_pid" -f /dev/null || fail "the stop hung"
wait "$nbdcached_pid" || status=$?
[ $status -eq 0 ] || {
    tail -5 "$tmpdir/nbdcached.log" >&2
    fail "the stop, with no memory, exited with status $status"
}
[ ! -e "$sock" ] || fail "the stop, with no memory, left its socket"
