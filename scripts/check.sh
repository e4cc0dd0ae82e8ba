#!/bin/sh
# Install what is missing, build with fatal warnings, run the tests.
# This is the project's one test command: the README and CI use it.
# Extra arguments go to configure; BUILD_DIR picks the build tree.
set -eu
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"

scripts/install-deps.sh
scripts/build.sh "$@"
if ! make -C "$build" -j"$(nproc)" check; then
    # Show the logs of failed tests, so CI output says what broke.
    for f in "$build"/tests/*.trs; do
        if grep -q '^:test-result: \(FAIL\|ERROR\)' "$f"; then
            echo "===== ${f%.trs}.log ====="
            tail -n 60 "${f%.trs}.log"
        fi
    done
    exit 1
fi
