#!/usr/bin/env bash
# nbdcached tests: export names that need JSON escaping, and names the
# daemon does not have, through libnbdcache (test-lib-export-names.c).
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
make_tmpdir
start_nbdkit disk memory 1G
odd='we"ird \name/ '$'\xc3\xa9'
start_nbdcached -e disk="$disk_uri" -e "$odd=$disk_uri"

vg_prog "$abs_builddir/test-lib-export-names" "$sock" "$odd"
