#!/usr/bin/env bash
# --help, --version and usage errors of nbdcached and nbdcachectl:
# help and version exit 0, usage errors exit 2.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir

out="$tmpdir/out"
err="$tmpdir/err"

# The version configure was given, from the build's config.h.
version="$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
               "$abs_builddir/../config.h")"
[ -n "$version" ] || fail "cannot find PACKAGE_VERSION in config.h"

# expect_status N CMD...: run CMD, which must exit N.
expect_status ()
{
    local want=$1 status=0; shift
    "$@" >"$out" 2>"$err" || status=$?
    [ "$status" -eq "$want" ] || {
        cat "$out" "$err" >&2
        fail "'$*' exited $status, expected $want"
    }
}

for prog in "$NBDCACHED" "$NBDCACHECTL"; do
    name="$(basename "$prog")"

    expect_status 0 $VG "$prog" --help
    grep -q "^Usage: $name " "$out" || fail "$name --help: no Usage line"
    expect_status 0 $VG "$prog" -h
    grep -q "^Usage: $name " "$out" || fail "$name -h: no Usage line"

    expect_status 0 $VG "$prog" --version
    [ "$(cat "$out")" = "$name $version" ] ||
        fail "$name --version printed '$(cat "$out")', expected '$name $version'"
    expect_status 0 $VG "$prog" -V
    [ "$(cat "$out")" = "$name $version" ] || fail "$name -V"

    expect_status 2 $VG "$prog" --no-such-option
    grep -q "Try '$name --help'" "$err" ||
        fail "$name --no-such-option does not point to --help"
    [ ! -s "$out" ] || fail "$name --no-such-option wrote to stdout"
done

# nbdcached takes no operands.
expect_status 2 $VG "$NBDCACHED" stray-operand
grep -q "stray-operand" "$err" || fail "nbdcached: operand not named"

# nbdcached -t out of range.
expect_status 2 $VG "$NBDCACHED" -t -1 --check-config
expect_status 2 $VG "$NBDCACHED" -t 65 --check-config
expect_status 2 $VG "$NBDCACHED" -t 65 --check-config

# nbdcachectl usage errors: no command, unknown command, wrong
# operands, bad sizes.  None of them needs a daemon: the socket does
# not exist, so any attempt to connect would exit 1, not 2.
nosock="$tmpdir/no-daemon.sock"
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock"
grep -q "no command" "$err" || fail "nbdcachectl: no 'no command' message"
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" frobnicate
grep -q "frobnicate" "$err" || fail "nbdcachectl: unknown command not named"
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" cache disk 1Q 1
grep -q "1Q" "$err" || fail "nbdcachectl: bad size not named"
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" cache disk 0 1Q
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" cache disk 0
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" cache disk 0 1 2
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" cache disk -1 1
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" warm
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" warm disk --in-flight 0
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" warm disk --request-size 0
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" exports extra
expect_status 2 $VG "$NBDCACHECTL" -s "$nosock" exports --no-such-option

# Subcommand help.
for cmd in exports cache warm stats; do
    expect_status 0 $VG "$NBDCACHECTL" -s "$nosock" "$cmd" --help
    grep -q "^Usage: nbdcachectl .*$cmd" "$out" ||
        fail "nbdcachectl $cmd --help: no Usage line"
done

# And without a daemon, a real command fails with 1 (not 2).
expect_status 1 $VG "$NBDCACHECTL" -s "$nosock" exports
