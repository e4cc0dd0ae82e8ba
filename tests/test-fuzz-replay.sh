#!/usr/bin/env bash
# Every seed input goes through both decoders and the re-encoders
# without crashing or failing an assertion.
source "$abs_srcdir/functions.sh"
set -e

"$abs_builddir/fuzz-replay" "$abs_srcdir"/fuzz/corpus/* | grep -q 'inputs OK'
