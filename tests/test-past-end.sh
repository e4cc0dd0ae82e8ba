#!/usr/bin/env bash
# Ranges the daemon must refuse before sending anything: past the end
# of the export, and empty.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_logged_disk
start_nbdcached -e disk="$disk_uri"

# expect_fail STATUS PATTERN ARGS...: ctl ARGS exits STATUS with
# PATTERN in its message.
expect_fail ()
{
    local want=$1 pattern=$2 status=0; shift 2
    ctl "$@" 2>"$tmpdir/err" || status=$?
    cat "$tmpdir/err"
    [ $status -eq "$want" ] || fail "ctl $* exited $status, expected $want"
    grep -q -- "$pattern" "$tmpdir/err" ||
        fail "ctl $*: message lacks '$pattern'"
}

expect_fail 1 "past the end" cache disk 1G 1
expect_fail 1 "past the end" cache disk $((1024*1024*1024 - 1)) 2
expect_fail 1 "past the end" cache disk 0 2G
expect_fail 1 "past the end" cache disk 2G 1M
# The sum does not fit the protocol's integers, and an empty range:
# no export could take them, so nbdcachectl refuses them itself, as
# usage errors (the daemon's refusals are in test-protocol-errors).
expect_fail 2 "2^63" cache disk 512M 9223372036854775807
expect_fail 2 "must not be 0" cache disk 0 0

# The last byte itself is fine (and proves the log is being written).
ctl cache disk $((1024*1024*1024 - 1)) 1

cache_lines "$tmpdir/log" >"$tmpdir/cache"
cat "$tmpdir/cache"
[ "$(cat "$tmpdir/cache")" = "$((1024*1024*1024 - 1)) 1" ] ||
    fail "a refused request reached the server"
