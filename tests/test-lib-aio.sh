#!/usr/bin/env bash
# nbdcached tests: libnbdcache's asynchronous API (test-lib-aio.c)
# against a real daemon and nbdkit, then check that nbdkit received
# Cache requests covering exactly the submitted ranges.
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
make_tmpdir
start_logged_disk
start_nbdcached -e disk="$disk_uri"

vg_prog "$abs_builddir/test-lib-aio" "$sock" "$tmpdir/ranges"

cache_lines "$tmpdir/log" > "$tmpdir/cache"
# Every Cache request fits in the default maximum block size (32M);
# the submitted ranges do not overlap and the export advertises no
# minimum, so nbdkit must see exactly their union: every byte
# covered, and no byte more.
awk -v max=$((32 * 1024 * 1024)) '
    BEGIN { n = 0; bad = 0 }
    FNR == NR {
        if ($2 <= 0 || $2 > max) { print "bad Cache count: " $0; bad = 1 }
        cache_bytes += $2
        off[n] = $1; end[n] = $1 + $2; n++
        next
    }
    {
        want_bytes += $2
        # Is [$1, $1 + $2) inside the union of the Cache ranges?
        pos = $1; stop = $1 + $2
        for (i = 0; i < n && pos < stop; i++)
            if (off[i] <= pos && end[i] > pos) pos = end[i]
        if (pos < stop) {
            print "range not covered: " $0 " (up to " pos ")"
            bad = 1
        }
    }
    END {
        if (cache_bytes != want_bytes) {
            print "Cache bytes " cache_bytes " != submitted bytes " want_bytes
            bad = 1
        }
        exit bad
    }' "$tmpdir/cache" "$tmpdir/ranges" ||
    fail "nbdkit's Cache requests do not match the submitted ranges"

n=$(wc -l < "$tmpdir/cache")
[ "$n" -ge 500 ] || fail "only $n Cache requests for 500 commands"
