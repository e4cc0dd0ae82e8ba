#!/bin/sh
# Configure (once) and build nbdcached in the source tree.  Extra
# arguments go to configure.  Used by check.sh and demo.sh.
set -eu
cd "$(dirname "$0")/.."

if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    ./autogen.sh
fi
if [ ! -f Makefile ] || [ configure -nt config.status ] || [ $# -gt 0 ]; then
    ./configure --enable-gcc-warnings "$@"
fi
make -j"$(nproc)"
