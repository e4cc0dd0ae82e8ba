#!/bin/sh
# Install what is missing, build with fatal warnings, run the tests.
# This is the project's one test command: the README and CI use it.
set -eu
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh
if ! make -j"$(nproc)" check; then
    # Show the logs of failed tests, so CI output says what broke.
    for f in tests/*.log; do
        case "$f" in tests/test-suite.log) continue ;; esac
        if grep -q '^:test-result: FAIL\|^:test-result: ERROR' \
                "${f%.log}.trs" 2>/dev/null; then
            echo "===== $f ====="
            tail -n 60 "$f"
        fi
    done
    exit 1
fi
