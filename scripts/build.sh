#!/bin/sh
# Configure (once) and build nbdcached out of tree, in $BUILD_DIR
# (default: build/).  Extra arguments go to configure, e.g.
#   BUILD_DIR=build-asan scripts/build.sh --enable-sanitizers=address,undefined
# Used by check.sh, demo.sh and CI.
set -eu
cd "$(dirname "$0")/.."
src="$(pwd)"
build="${BUILD_DIR:-build}"

if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    ./autogen.sh
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$src/configure" -nt config.status ] || [ $# -gt 0 ]; then
    "$src/configure" --enable-gcc-warnings "$@"
fi
make -j"$(nproc)"
