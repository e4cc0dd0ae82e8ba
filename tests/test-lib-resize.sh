#!/usr/bin/env bash
# nbdcached tests: the server of an export comes back with another
# size, and a libnbdcache handle that had learnt the old size warms
# ranges beyond the old end (test-lib-resize.c).
source "$abs_srcdir/functions.sh"
set -e

make_tmpdir
start_logged_disk 1G
start_nbdcached_export disk "$disk_uri" reconnect-delay=0.1 \
    reconnect-max-delay=0.2

export_size () { ctl exports --json | jq "j[0].get('size')"; }

coproc prog { vg_prog "$abs_builddir/test-lib-resize" "$sock"; }
prog_pid=$prog_PID
read -r line <&"${prog[0]}" || fail "test-lib-resize did not start"
[ "$line" = grow ] || fail "test-lib-resize said '$line'"

replace_logged_disk memory 2G
wait_until 10 eval '[ "$(export_size)" = $((2 << 30)) ]' ||
    fail "the daemon did not see the new size: $(export_size)"
echo go >&"${prog[1]}"
wait "$prog_pid" || fail "test-lib-resize failed"

# Both ranges past the old end reached the new server.
M=$((1 << 20))
grep -qx "$((1536 * M)) $M" <(cache_lines "$disk_log") ||
    fail "nbdcache_cache's range did not reach the server"
grep -qx "$((1537 * M)) $M" <(cache_lines "$disk_log") ||
    fail "nbdcache_aio_cache's range did not reach the server"
