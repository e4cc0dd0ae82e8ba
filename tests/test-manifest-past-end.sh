#!/usr/bin/env bash
# nbdcachectl warm --manifest: a range that runs past the end of its
# export, or starts beyond it, fails with the export's size named and
# is not sent; the other entries of the same export are still warmed.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nbdkit_filter log

M=$((1024*1024))
start_nbdkit data --filter=log memory $((10*M)) logfile="$tmpdir/data.log"
start_nbdcached_nodedup data="$data_uri"

{ echo "{\"export\":\"data\",\"offset\":$((9*M)),\"count\":$((2*M))}"
  echo "{\"export\":\"data\",\"offset\":0,\"count\":$M}"
  echo "{\"export\":\"data\",\"offset\":$((11*M)),\"count\":1}"
} >"$tmpdir/manifest"

expect_status 1 "past the end" \
    ctl warm --manifest "$tmpdir/manifest" --no-progress
grep -qxF "nbdcachectl: $tmpdir/manifest:1: export \"data\" offset $((9*M)) count $((2*M)): range [$((9*M)), $((11*M))) runs past the end of the export (size $((10*M)))" \
    "$tmpdir/err" || fail "the range past the end is not reported"
grep -qxF "nbdcachectl: $tmpdir/manifest:3: export \"data\" offset $((11*M)) count 1: range [$((11*M)), $((11*M+1))) runs past the end of the export (size $((10*M)))" \
    "$tmpdir/err" || fail "the range beyond the end is not reported"
[ "$(grep -c "$tmpdir/manifest:" "$tmpdir/err")" -eq 2 ] ||
    fail "a good entry was reported"
grep -qx '  data: 1 range, 1M, 2 failed' "$tmpdir/out" ||
    fail "the summary does not count the failures"
grep -qE '^warmed 1 range of 1 export: 1M in .*, 2 failed$' "$tmpdir/out" ||
    fail "no total"
[ "$(cache_lines "$tmpdir/data.log")" = "0 $M" ] ||
    fail "the server did not get exactly the good range"
