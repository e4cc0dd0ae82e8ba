#!/usr/bin/env bash
# nbdcached tests: nbdcache_cache in one thread while another retires
# its own commands with nbdcache_aio_peek_command_completed, on one
# handle (test-lib-sync-peek.c).
source "$abs_srcdir/functions.sh"
set -e

requires nbdkit --version
make_tmpdir
start_nbdkit disk memory 1G
start_nbdcached -e disk="$disk_uri"

vg_prog "$abs_builddir/test-lib-sync-peek" "$sock"
