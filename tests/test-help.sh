#!/usr/bin/env bash
# --help, --version and usage errors of nbdcached and nbdcachectl:
# help and version exit 0, usage errors exit 2.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir

# Where expect_status leaves a command's stdout and stderr.
out="$tmpdir/out"
err="$tmpdir/err"

# The version configure was given, from the build's config.h.
version="$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
               "$abs_builddir/../config.h")"
[ -n "$version" ] || fail "cannot find PACKAGE_VERSION in config.h"

# runs_with N PROG ARGS...: PROG ARGS must exit N (see expect_status).
runs_with ()
{
    local want=$1 prog=$2
    shift 2
    expect_status "$want" "$(basename "$prog") $*" $VG "$prog" "$@"
}

for prog in "$NBDCACHED" "$NBDCACHECTL"; do
    name="$(basename "$prog")"

    runs_with 0 "$prog" --help
    grep -q "^Usage: $name " "$out" || fail "$name --help: no Usage line"
    runs_with 0 "$prog" -h
    grep -q "^Usage: $name " "$out" || fail "$name -h: no Usage line"

    runs_with 0 "$prog" --version
    [ "$(cat "$out")" = "$name $version" ] ||
        fail "$name --version printed '$(cat "$out")', expected '$name $version'"
    runs_with 0 "$prog" -V
    [ "$(cat "$out")" = "$name $version" ] || fail "$name -V"

    runs_with 2 "$prog" --no-such-option
    grep -q "Try '$name --help'" "$err" ||
        fail "$name --no-such-option does not point to --help"
    [ ! -s "$out" ] || fail "$name --no-such-option wrote to stdout"
done

# nbdcached takes no operands.
runs_with 2 "$NBDCACHED" stray-operand
grep -q "stray-operand" "$err" || fail "nbdcached: operand not named"

# nbdcached -t out of range, or not a number.
runs_with 2 "$NBDCACHED" -t -1 --check-config
runs_with 2 "$NBDCACHED" -t 65 --check-config
runs_with 2 "$NBDCACHED" -t two --check-config

# nbdcachectl usage errors: no command, unknown command, wrong
# operands, bad sizes.  None of them needs a daemon: the socket does
# not exist, so any attempt to connect would exit 1, not 2.
nosock="$tmpdir/no-daemon.sock"
runs_with 2 "$NBDCACHECTL" -s "$nosock"
grep -q "no command" "$err" || fail "nbdcachectl: no 'no command' message"
runs_with 2 "$NBDCACHECTL" -s "$nosock" frobnicate
grep -q "frobnicate" "$err" || fail "nbdcachectl: unknown command not named"
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk 1Q 1
grep -q "1Q" "$err" || fail "nbdcachectl: bad size not named"
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk 0 1Q
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk 0
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk 0 1 2
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk -1 1
grep -q "OFFSET '-1': must not be negative" "$err" ||
    fail "nbdcachectl: a negative OFFSET is not reported as such"
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk 0 -5M
grep -q "COUNT '-5M': must not be negative" "$err" ||
    fail "nbdcachectl: a negative COUNT is not reported as such"
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk 0 1.5G
grep -q "COUNT '1.5G': not a whole number" "$err" ||
    fail "nbdcachectl: a fraction is not reported as such"
runs_with 2 "$NBDCACHECTL" -s "$nosock" warm
runs_with 2 "$NBDCACHECTL" -s "$nosock" warm disk --in-flight 0
runs_with 2 "$NBDCACHECTL" -s "$nosock" warm disk --request-size 0
# What no export could accept is a usage error before any connection.
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk 0 0
grep -q "COUNT must not be 0" "$err" || fail "nbdcachectl: COUNT 0 not reported"
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache disk 1 8E
grep -q "OFFSET + COUNT is larger than 2^63-1" "$err" ||
    fail "nbdcachectl: a range past 2^63-1 not reported"
runs_with 2 "$NBDCACHECTL" -s "$nosock" cache '' 0 1
grep -q "EXPORT must not be empty" "$err" ||
    fail "nbdcachectl: an empty export name not reported"
runs_with 2 "$NBDCACHECTL" -s '' exports
grep -q "the path is empty" "$err" || fail "nbdcachectl: -s '' not reported"
# --timeout takes seconds above 0, with a fraction or not, and nothing
# else (no sign, exponent, suffix or blank); it is a global option.
for t in 0 0.0 -1 +5 abc '' 1e3 inf nan 5s ' 5' . 1.2.3 99999999999; do
    runs_with 2 "$NBDCACHECTL" -s "$nosock" --timeout "$t" exports
    grep -qF -- "--timeout '$t': " "$err" ||
        fail "nbdcachectl --timeout '$t': the value is not named"
done
runs_with 2 "$NBDCACHECTL" -s "$nosock" exports --timeout 1
runs_with 2 "$NBDCACHECTL" -s "$nosock" --timeout
for t in 10 0.5 .5 5. 1.25; do
    runs_with 1 "$NBDCACHECTL" -s "$nosock" --timeout "$t" exports
    grep -q "nbdcache_connect: .*No such file" "$err" ||
        fail "nbdcachectl --timeout $t: not accepted"
done
runs_with 1 "$NBDCACHECTL" -s "$nosock" -t 2 exports
runs_with 2 "$NBDCACHECTL" -s "$nosock" exports extra
runs_with 2 "$NBDCACHECTL" -s "$nosock" exports --no-such-option

# Subcommand help.
for cmd in exports cache warm stats; do
    runs_with 0 "$NBDCACHECTL" -s "$nosock" "$cmd" --help
    grep -q "^Usage: nbdcachectl .*$cmd" "$out" ||
        fail "nbdcachectl $cmd --help: no Usage line"
done

# And without a daemon, a real command fails with 1 (not 2).
runs_with 1 "$NBDCACHECTL" -s "$nosock" exports

# Help and version that cannot be written (a full disk) are failures.
for args in --help --version "cache --help"; do
    status=0
    $VG "$NBDCACHECTL" $args > /dev/full 2> "$err" || status=$?
    [ $status -eq 1 ] && grep -q "write error on standard output" "$err" ||
        fail "nbdcachectl $args to a full disk: exit $status, $(cat "$err")"
done
