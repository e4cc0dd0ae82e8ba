#!/usr/bin/env bash
# nbdcached tests: libnbdcache exports only nbdcache_* symbols, each
# with the version of the release that added it (NBDCACHE_0.1,
# NBDCACHE_0.2 or NBDCACHE_0.4), and every call declared in
# include/nbdcache.h is among them and checked by test-header-cxx.
source "$abs_srcdir/functions.sh"
set -e

lib="${LIBNBDCACHE_SO:-$abs_builddir/../libclient/.libs/libnbdcache.so}"
header="$abs_srcdir/../include/nbdcache.h"
requires nm --version
requires objdump --version
[ -f "$lib" ] || fail "$lib not found"
make_tmpdir

# Defined dynamic symbols, without the version nodes themselves.
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' |
    sed 's/@.*//' | sort -u > "$tmpdir/exported"
[ -s "$tmpdir/exported" ] || fail "nm found no symbols in $lib"
if grep -v '^nbdcache_' "$tmpdir/exported"; then
    fail "symbols above are exported but are not nbdcache_*"
fi

# Every exported symbol carries the version of the release that added
# it: the calls of 0.2.0 NBDCACHE_0.2, those of 0.4.0 NBDCACHE_0.4,
# all others NBDCACHE_0.1, which must never change.  objdump -T prints the version before the name:
# "... .text  ...  NBDCACHE_0.1  nbdcache_poll".
expected_version ()
{
    case "$1" in
        nbdcache_get_clients_json | nbdcache_pause_export | \
        nbdcache_resume_export | nbdcache_reload)
            echo NBDCACHE_0.2 ;;
        nbdcache_get_clients_reply_json | nbdcache_get_exports_reply_json)
            echo NBDCACHE_0.4 ;;
        *)
            echo NBDCACHE_0.1 ;;
    esac
}
objdump -T "$lib" | awk '$NF ~ /^nbdcache_/ && $0 !~ /\*UND\*/' \
    > "$tmpdir/objdump"
while read -r sym; do
    version="$(awk -v s="$sym" '$NF == s { print $(NF-1) }' "$tmpdir/objdump")"
    want="$(expected_version "$sym")"
    [ -n "$version" ] || fail "$sym: not in objdump -T output"
    [ "$version" = "$want" ] ||
        fail "$sym has version '$version', expected $want"
done < "$tmpdir/exported"

# Every function the header declares ("extern TYPE name (...)").
sed -n 's/^extern .*[ *]\(nbdcache_[a-z_]*\) *(.*/\1/p' "$header" |
    sort -u > "$tmpdir/declared"
[ "$(wc -l < "$tmpdir/declared")" -ge 22 ] ||
    fail "found only $(wc -l < "$tmpdir/declared") declarations in $header"
if ! diff -u "$tmpdir/declared" "$tmpdir/exported"; then
    fail "the header's calls and the exported symbols differ"
fi
# test-header-cxx.cpp takes the address of every one of them.
while read -r fn; do
    grep -q "= *$fn;\$\|^ *$fn;\$" "$abs_srcdir/test-header-cxx.cpp" ||
        fail "test-header-cxx.cpp does not take the address of $fn"
done < "$tmpdir/declared"
# And each has its LIBNBDCACHE_HAVE_ macro.
while read -r fn; do
    macro="LIBNBDCACHE_HAVE_$(tr a-z A-Z <<< "$fn")"
    grep -q "^#define $macro 1\$" "$header" || fail "$header lacks $macro"
done < "$tmpdir/declared"
