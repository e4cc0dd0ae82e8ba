#!/usr/bin/env bash
# nbdcached tests: one libnbdcache handle used by five threads at once
# (test-lib-threads.c), then check that nbdkit received exactly one
# Cache request for each of the 1000 commands.
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
make_tmpdir
start_logged_disk
start_nbdcached_nodedup disk="$disk_uri"

vg_prog "$abs_builddir/test-lib-threads" "$sock"

# Commands cover the 64K blocks 0 .. 999, one each.
cache_lines "$tmpdir/log" > "$tmpdir/cache"
for (( i=0; i < 1000; i++ )); do
    echo "$(( i * 65536 )) 65536"
done > "$tmpdir/expected"
if ! diff -u "$tmpdir/expected" "$tmpdir/cache" > "$tmpdir/diff"; then
    head -40 "$tmpdir/diff"
    fail "nbdkit's Cache requests ($(wc -l < "$tmpdir/cache")) are not" \
         "the 1000 expected"
fi
