#!/usr/bin/env bash
# nbdcached tests: libnbdcache's error reporting (test-lib-errors.c)
# against a real daemon and nbdkit.
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
make_tmpdir
start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"

vg_prog "$abs_builddir/test-lib-errors" "$sock"
