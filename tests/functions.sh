# nbdcached test helpers, sourced by every shell test (after nbdkit's
# tests/functions.sh.in).  Tests are run by automake's harness with
# the environment of tests/Makefile.am: NBDCACHED, NBDCACHECTL point at
# the built programs; exit 77 means "skipped".

set -u

# Register a command to run when the test exits, whatever the reason.
# Commands run in reverse order of registration.
_cleanup_cmds=()
cleanup_fn ()
{
    _cleanup_cmds+=("$*")
}
_cleanup_failed=
_run_cleanup ()
{
    local status=$?
    local i
    for (( i=${#_cleanup_cmds[@]}-1; i>=0; i-- )); do
        eval "${_cleanup_cmds[$i]}" || :
    done
    [ -n "$_cleanup_failed" ] && [ $status -eq 0 ] && status=1
    exit $status
}

# Under "make check-valgrind" VG is a valgrind command line that exits
# 119 on any error or leak.  vg_prog runs a test program (a libtool
# wrapper) under it; without VG it just runs the program.
vg_prog ()
{
    if [ -n "${VG:-}" ]; then
        "$abs_top_builddir/libtool" --mode=execute $VG "$@"
    else
        "$@"
    fi
}

# Stop a daemon started by start_nbdcached at exit.  It exits 0 on
# SIGTERM, so any other exit status (valgrind's 119, a sanitizer's
# report) fails the test; death by a signal the test sent does not.
_stop_daemon_at_exit ()
{
    local pid=$1 status=0
    kill "$pid" 2>/dev/null || :
    wait "$pid" 2>/dev/null || status=$?
    if [ $status -ne 0 ] && [ $status -lt 128 ]; then
        echo "$0: nbdcached exited with status $status:" >&2
        tail -n 40 "$tmpdir/nbdcached.log" >&2
        _cleanup_failed=1
    fi
}
trap _run_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# requires CMD [ARGS...]: skip the test unless CMD ARGS succeeds.
requires ()
{
    "$@" >/dev/null 2>&1 || skip "'$*' failed"
}

# skip WHY: end the test as skipped (exit 77), saying why.
skip ()
{
    echo "$0: skipped: $*" >&2
    exit 77
}

# requires_nbdkit_filter NAME: skip unless nbdkit has the filter.
requires_nbdkit_filter ()
{
    requires nbdkit --filter="$1" null --dump-plugin
}

# A fresh scratch directory, removed at exit.  Sets $tmpdir.
make_tmpdir ()
{
    tmpdir="$(mktemp -d "${TMPDIR:-/tmp}/nbdcached-test.XXXXXX")"
    cleanup_fn "rm -rf '$tmpdir'"
}

# measuring: true unless under valgrind, where memory and time figures
# describe valgrind, not nbdcached.
measuring ()
{
    [ -z "${VG:-}" ]
}

# fail MESSAGE...: print and exit 1.
fail ()
{
    echo "$0: FAIL: $*" >&2
    exit 1
}

# wait_for_file PATH [SECONDS]: wait until PATH exists.
wait_for_file ()
{
    local i
    for (( i=0; i < ${2:-10}*50; i++ )); do
        [ -e "$1" ] && return 0
        sleep 0.02
    done
    fail "timed out waiting for $1"
}

# wait_until SECONDS CMD [ARGS...]: run CMD every 0.1 s until it
# succeeds, for at most SECONDS; returns its last status.  CMD's
# arguments are expanded once, so to poll a "$(...)" wrap it in a
# function.
wait_until ()
{
    local i n=$(( $1 * 10 ))
    shift
    for (( i=1; i < n; i++ )); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

# kill_and_wait PID: SIGTERM, then SIGKILL after 5 s.  Reaps PID when
# it is a child of this shell (a zombie would otherwise look alive).
kill_and_wait ()
{
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for (( i=0; i < 50; i++ )); do
        kill -0 "$pid" 2>/dev/null || return 0
        if [ "$(ps -o stat= -p "$pid" 2>/dev/null)" = Z ]; then
            wait "$pid" 2>/dev/null || :
            return 0
        fi
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || :
    wait "$pid" 2>/dev/null || :
}

# start_nbdkit NAME [NBDKIT ARGS...]: start nbdkit on the Unix socket
# $tmpdir/NAME.sock, wait for it, and stop it at exit.  Sets
# ${NAME}_uri and ${NAME}_pid.
start_nbdkit ()
{
    local name=$1; shift
    local sock="$tmpdir/$name.sock" pidfile="$tmpdir/$name.pid"
    # --exit-with-parent implies --foreground, so run it in the
    # background ourselves.
    nbdkit --exit-with-parent -U "$sock" -P "$pidfile" "$@" &
    local pid=$!
    cleanup_fn "kill_and_wait $pid"
    local i
    for (( i=0; i < 100; i++ )); do
        [ -s "$pidfile" ] && break
        kill -0 "$pid" 2>/dev/null || fail "nbdkit $* failed to start"
        sleep 0.1
    done
    [ -s "$pidfile" ] || fail "nbdkit $* did not start"
    printf -v "${name}_uri" '%s' "nbd+unix:///?socket=$sock"
    printf -v "${name}_pid" '%s' "$pid"
}

# start_nbdcached [ARGS...]: start the daemon on $tmpdir/nbdcached.sock
# in the background, logging to $tmpdir/nbdcached.log, wait until it
# writes its pid file (it is then serving), and stop it at exit.  Sets
# $sock (also exported as NBDCACHE_SOCKET) and $nbdcached_pid.
start_nbdcached ()
{
    sock="$tmpdir/nbdcached.sock"
    export NBDCACHE_SOCKET="$sock"
    rm -f "$tmpdir/nbdcached.pid"
    $VG "$NBDCACHED" -s "$sock" -P "$tmpdir/nbdcached.pid" -v "$@" \
        >>"$tmpdir/nbdcached.log" 2>&1 &
    nbdcached_pid=$!
    cleanup_fn "_stop_daemon_at_exit $nbdcached_pid"
    local i
    for (( i=0; i < 1000; i++ )); do
        [ -s "$tmpdir/nbdcached.pid" ] && return 0
        kill -0 "$nbdcached_pid" 2>/dev/null || {
            cat "$tmpdir/nbdcached.log" >&2
            fail "nbdcached exited during start-up"
        }
        sleep 0.02
    done
    cat "$tmpdir/nbdcached.log" >&2
    fail "nbdcached did not become ready"
}

# start_nbdcached_export NAME URI [KEY=VALUE...] [-- ARGS...]:
# start_nbdcached with ARGS and the configuration file
# $tmpdir/export.conf, which has the one export NAME of URI, with these
# settings in its section.
start_nbdcached_export ()
{
    local conf="$tmpdir/export.conf"
    printf '[export %s]\nuri = %s\n' "$1" "$2" > "$conf"
    shift 2
    while [ $# -gt 0 ]; do
        if [ "$1" = -- ]; then
            shift
            break
        fi
        printf '%s = %s\n' "${1%%=*}" "${1#*=}" >> "$conf"
        shift
    done
    start_nbdcached -c "$conf" "$@"
}

# start_nbdcached_conf [ARGS...]: start_nbdcached with the
# configuration file $tmpdir/conf, written from stdin.
start_nbdcached_conf ()
{
    cat > "$tmpdir/conf"
    start_nbdcached -c "$tmpdir/conf" "$@"
}

# start_logged_disk [SIZE]: start_nbdkit disk, a memory disk of SIZE
# (default 1G) whose requests are logged to $tmpdir/log (skip without
# nbdkit's log filter).
start_logged_disk ()
{
    requires nbdkit --version
    requires_nbdkit_filter log
    start_nbdkit disk --filter=log memory "${1:-1G}" logfile="$tmpdir/log"
}

# replace_disk NBDKIT-ARGS...: kill the server "disk" at once, unless
# it is dead already (or was never started), and start nbdkit
# NBDKIT-ARGS on the same socket: a server that crashed and came back,
# perhaps with another export.
replace_disk ()
{
    kill -9 "${disk_pid:-}" 2>/dev/null || :
    wait "${disk_pid:-}" 2>/dev/null || :
    rm -f "$tmpdir/disk.sock" "$tmpdir/disk.pid"
    start_nbdkit disk "$@"
}

# replace_logged_disk NBDKIT-ARGS...: replace_disk with nbdkit's log
# filter, logging to a fresh file each time: $disk_log, which is
# $tmpdir/log1 the first time, then log2, and so on.
disk_logs=0
replace_logged_disk ()
{
    disk_logs=$((disk_logs + 1))
    disk_log="$tmpdir/log$disk_logs"
    replace_disk --filter=log "$@" logfile="$disk_log"
}

# restart_logged_disk: the logged disk (start_logged_disk, of the
# default size) killed and started again on the same socket and log.
restart_logged_disk ()
{
    replace_disk --filter=log memory 1G logfile="$tmpdir/log"
}

# chunks_in_flight [EXPORT]: how many chunks export EXPORT (from 0, in
# configuration order; default 0) has handed to its connections and
# not finished ("chunks_in_flight" in stats).
# chunks_in_flight_are N [EXPORT]: exactly N?  For wait_until.
chunks_in_flight ()
{
    ctl stats --json | jq "j['exports'][${1:-0}]['chunks_in_flight']"
}
chunks_in_flight_are () { [ "$(chunks_in_flight "${2:-0}")" = "$1" ]; }
some_chunk_in_flight () { [ "$(chunks_in_flight)" -ge 1 ]; }

# log_count PATTERN: how many lines of the daemon's log match PATTERN
# (grep -E); log_grew PATTERN N: more than N do (for wait_until).
log_count ()
{
    grep -cE "$1" "$tmpdir/nbdcached.log" || :
}
log_grew () { [ "$(log_count "$1")" -gt "$2" ]; }

# reconnects: how many times connection 0 of an export reconnected;
# reconnected_since N: more than N.
reconnects () { log_count 'connection 0: reconnected'; }
reconnected_since () { log_grew 'connection 0: reconnected' "$1"; }

# start_losing_disk SECONDS: start_nbdkit disk, a 1G eval disk (skip
# without the eval plugin) that answers every Cache at once except the
# first one at offset 0, which takes SECONDS: a server that "loses" one
# command while it answers the others.  Logged to $tmpdir/log.
start_losing_disk ()
{
    requires nbdkit eval --version
    requires_nbdkit_filter log
    start_nbdkit disk --filter=log eval logfile="$tmpdir/log" \
        get_size='echo 1G' can_cache='echo native' \
        thread_model='echo parallel' \
        pread='dd if=/dev/zero count=$3 iflag=count_bytes 2>/dev/null' \
        cache="if [ \$4 -eq 0 ] && mkdir $tmpdir/lost 2>/dev/null; then sleep $1; fi"
}

# keep_answering N: in the background, N cache requests of 4K on
# export disk at offsets 1M, 2M, ..., one every 0.1 s, so that its
# connection keeps answering; a failed one is noted in
# $tmpdir/busy-failed.  Sets $busy to the loop's pid.
keep_answering ()
{
    : > "$tmpdir/busy-failed"
    ( for (( i=1; i <= $1; i++ )); do
          "$NBDCACHECTL" -s "$sock" cache disk $((i * 1048576)) 4K \
              >/dev/null 2>&1 || echo "$i" >> "$tmpdir/busy-failed"
          sleep 0.1
      done ) &
    busy=$!
    cleanup_fn "kill $busy 2>/dev/null"
}

# start_nameserver [NAME IP DELAY]: for the DNS tests.  Skip unless
# the test runs as root and unshare -m with mount --bind works; start
# dns-server.py (it never answers, or answers for NAME after DELAY
# seconds, see there) and write $tmpdir/nbdcached-dns, which runs
# nbdcached (under $VG, if any) in a private mount namespace whose
# /etc/resolv.conf names only that nameserver, with timeout:3 and
# attempts:2.  Start the daemon with NBDCACHED="$tmpdir/nbdcached-dns"
# VG= start_nbdcached...
start_nameserver ()
{
    [ "$(id -u)" = 0 ] ||
        skip "needs root (nameserver on port 53, mount --bind)"
    : > "$tmpdir/resolv.conf"
    unshare -m -- mount --bind "$tmpdir/resolv.conf" /etc/resolv.conf \
            2>"$tmpdir/err" ||
        skip "unshare -m with mount --bind does not work: $(cat "$tmpdir/err")"

    python3 "$abs_srcdir/dns-server.py" "$tmpdir/ns-addr" "$@" &
    cleanup_fn "kill $!"
    wait_for_file "$tmpdir/ns-addr"
    printf 'nameserver %s\noptions timeout:3 attempts:2\n' \
           "$(cat "$tmpdir/ns-addr")" > "$tmpdir/resolv.conf"

    # unshare and sh exec, so that the daemon keeps the pid that
    # start_nbdcached sees.
    cat > "$tmpdir/nbdcached-dns" <<EOF
#!/bin/sh
exec unshare -m -- sh -c 'mount --bind "\$0" /etc/resolv.conf && exec "\$@"' \\
    "$tmpdir/resolv.conf" ${VG:-} "$NBDCACHED" "\$@"
EOF
    chmod +x "$tmpdir/nbdcached-dns"
}

# start_slow_disk DELAY [NBDKIT ARGS...]: start_nbdkit disk, a 1G memory
# disk whose Cache requests take DELAY each and are logged to
# $tmpdir/log (skip without nbdkit's log and delay filters).
start_slow_disk ()
{
    local delay=$1
    shift
    requires nbdkit --version
    requires_nbdkit_filter log
    requires_nbdkit_filter delay
    start_nbdkit disk --filter=log --filter=delay memory 1G \
        delay-cache="$delay" logfile="$tmpdir/log" "$@"
}

# start_nbdcached_nodedup NAME=URI...: start_nbdcached with these
# exports, warm-ttl = 0 and coalesce = false, for tests that count
# exactly which requests reach the server.
start_nbdcached_nodedup ()
{
    local e
    : > "$tmpdir/nodedup.conf"
    for e in "$@"; do
        printf '[export %s]\nuri = %s\nwarm-ttl = 0\ncoalesce = false\n' \
            "${e%%=*}" "${e#*=}" \
            >> "$tmpdir/nodedup.conf"
    done
    start_nbdcached -c "$tmpdir/nodedup.conf"
}

# stop_nbdcached: SIGTERM the daemon, wait, and fail if it did not
# exit 0.
stop_nbdcached ()
{
    kill "$nbdcached_pid"
    local status=0
    wait "$nbdcached_pid" || status=$?
    [ $status -eq 0 ] || {
        cat "$tmpdir/nbdcached.log" >&2
        fail "nbdcached exited with status $status"
    }
}

# requires_failing_shim: skip under valgrind, whose allocator replaces
# the malloc that fail-calls.so wraps.  Before starting any server.
requires_failing_shim ()
{
    [ -z "${VG:-}" ] || skip "valgrind replaces the allocator the shim wraps"
}

# start_nbdcached_failing ARGS...: start_nbdcached with fail-calls.so
# preloaded, its failures (of allocations, epoll_ctl or timers) armed
# through $tmpdir/arm (arm_failures, armed_calls).
start_nbdcached_failing ()
{
    requires_failing_shim
    local shim="$abs_builddir/.libs/fail-calls.so"
    [ -f "$shim" ] || fail "$shim was not built"
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    LD_PRELOAD="$shim" FAIL_ARM_FILE="$tmpdir/arm" start_nbdcached "$@"
}

# arm_failures SKIP COUNT [epoll_ctl|epoll_ctl_mod|timer]: after SKIP
# more allocations of the daemon (or, with epoll_ctl, SKIP more
# descriptors it starts to watch; with epoll_ctl_mod, SKIP more changes
# to what it watches; with timer, SKIP more timers it starts), the
# next COUNT fail (see fail-calls.c).
arm_failures ()
{
    echo "$1 $2 ${3:-}" > "$tmpdir/arm"
    rm -f "$tmpdir/arm.count"
    kill -USR2 "$nbdcached_pid"
    wait_for_file "$tmpdir/arm.count"
}

# armed_calls: how many calls of the armed kind the daemon made since
# arm_failures.
armed_calls ()
{
    rm -f "$tmpdir/arm.count"
    kill -USR1 "$nbdcached_pid"
    wait_for_file "$tmpdir/arm.count"
    cat "$tmpdir/arm.count"
}

# oom_warnings: how many warnings in the daemon's log name a want of
# memory.
oom_warnings ()
{
    log_count 'warning: .*(Cannot allocate memory|out of memory)'
}

# listen_backlog PATH: the backlog of the Unix socket listening at PATH
# (what ss shows as its Send-Q).
listen_backlog ()
{
    ss -xlH | awk -v path="$1" '$5 == path { print $4 }'
}

# ctl ARGS...: run nbdcachectl against the test daemon.
ctl ()
{
    $VG "$NBDCACHECTL" -s "$sock" "$@"
}

# cache_lines LOGFILE: the "offset count" (decimal) of every Cache
# request nbdkit's log filter recorded, sorted by offset.
cache_lines ()
{
    command_lines Cache "$1"
}

# command_lines COMMAND LOGFILE: the same for every COMMAND (Read, ...).
command_lines ()
{
    grep -E " $1 id=[0-9]+ offset=" "$2" |
        sed -E 's/.* offset=(0x[0-9a-f]+) count=(0x[0-9a-f]+).*/\1 \2/' |
        while read -r off cnt; do
            printf '%d %d\n' "$off" "$cnt"
        done | sort -n
}

# check_chunks START END MAX STEP ALIGN: check the "offset count" lines
# (as cache_lines prints them) on stdin against what a request for
# [START, END) should have sent to the server (see check-chunks.py).
check_chunks ()
{
    python3 "$abs_srcdir/check-chunks.py" "$@"
}

# jq EXPR: evaluate the Python expression EXPR on the JSON read from
# stdin (bound to j) and print the result (see jq.py).
jq ()
{
    python3 "$abs_srcdir/jq.py" "$@"
}

# export_state [N]: the state ("up", "down", ...) that "exports" reports
# for the daemon's export N (from 0, in configuration order; default 0).
export_state ()
{
    ctl exports --json | jq "j[${1:-0}]['state']"
}

# export_is STATE [N]: is export N (default 0) in STATE?  For wait_until.
export_is ()
{
    [ "$(export_state "${2:-0}")" = "$1" ]
}

# run_py [ARGS...]: run the Python program on stdin with ARGS, with
# the helpers in $abs_srcdir (rawclient, ...) importable and without
# writing bytecode into the source tree.
py_cmd=(env "PYTHONPATH=$abs_srcdir${PYTHONPATH:+:$PYTHONPATH}"
        PYTHONDONTWRITEBYTECODE=1 python3 -)
run_py ()
{
    "${py_cmd[@]}" "$@"
}

# run_py_as_nobody [ARGS...]: run_py as nobody:nogroup (as_nobody).
run_py_as_nobody ()
{
    as_nobody "${py_cmd[@]}" "$@"
}

# run_py_bg [ARGS...]: run_py in the background.  Sets $py_pid to the
# Python process itself, which the test can wait for, and which is
# killed at exit.  ("run_py ... &" would give the pid of a subshell,
# and killing that leaves Python running.)
run_py_bg ()
{
    # Without job control a background command's stdin would be
    # /dev/null; the program is on this function's stdin.  env execs
    # python3, so $! is Python's pid.
    "${py_cmd[@]}" "$@" <&0 &
    py_pid=$!
    cleanup_fn "kill $py_pid 2>/dev/null"
}

# pipeline EXPORT N SIZE [TIMEOUT] [STRIDE] [VERSION]: send N
# pipelined cache requests and check the exactly-once rule; prints a
# JSON summary (see pipeline.py).
pipeline ()
{
    PYTHONDONTWRITEBYTECODE=1 python3 "$abs_srcdir/pipeline.py" "$@"
}

# requires_nobody: skip unless the test can switch to the unprivileged
# user nobody (group nogroup) with setpriv, i.e. it runs as root; make
# $tmpdir reachable for nobody.  Call after make_tmpdir.
requires_nobody ()
{
    requires setpriv --version
    can_be_nobody || requires false
    chmod 0755 "$tmpdir"
}

# can_be_nobody: can the test switch to nobody:nogroup (it runs as
# root, and both exist)?  For tests with an optional part as nobody,
# which call chmod 0755 "$tmpdir" first.
can_be_nobody ()
{
    [ "$(id -u)" = 0 ] && setpriv --version >/dev/null 2>&1 &&
        getent passwd nobody >/dev/null && getent group nogroup >/dev/null
}

# as_nobody CMD [ARGS...]: run CMD as nobody:nogroup, no other groups.
as_nobody ()
{
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

# ctl_as_nobody ARGS...: nbdcachectl against the test daemon, as nobody.
ctl_as_nobody ()
{
    as_nobody "$NBDCACHECTL" -s "$sock" "$@"
}

# expect_status N WHAT CMD [ARGS...]: run CMD with its stdout in
# $tmpdir/out and its stderr in $tmpdir/err (both then printed), and
# fail unless it exits N.
expect_status ()
{
    local want=$1 what=$2 status=0
    shift 2
    "$@" >"$tmpdir/out" 2>"$tmpdir/err" || status=$?
    cat "$tmpdir/out" "$tmpdir/err"
    [ $status -eq "$want" ] || fail "$what: exit $status, expected $want"
}
