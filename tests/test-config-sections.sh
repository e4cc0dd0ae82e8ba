#!/usr/bin/env bash
# Every section header of the configuration file counts, not only the
# key lines under it (nbdcached(8): export names are unique, an unknown
# section is an error, an export without uri is an error, exports from
# -e are added to the file's):
#   - [export NAME] twice in a file,
#   - [export NAME] in the file and -e NAME=URI on the command line,
#   - [export NAME] with no keys (so no uri),
#   - an unknown section with no keys
# are each rejected, naming the problem.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir

out="$tmpdir/out"
err="$tmpdir/err"
failures=0

# reject WHAT PATTERN ARGS...: --check-config ARGS must exit 1 or 2
# with PATTERN on stderr.  Reports and counts a failure otherwise.
reject ()
{
    local what=$1 pattern=$2 status=0; shift 2
    $VG "$NBDCACHED" --check-config "$@" >"$out" 2>"$err" || status=$?
    if { [ $status -ne 1 ] && [ $status -ne 2 ]; } ||
       ! grep -qE -- "$pattern" "$err"; then
        echo "$0: FAIL: $what: exit $status, output:" >&2
        cat "$out" "$err" >&2
        failures=$((failures+1))
    fi
}

printf '[export a]\nuri = nbd://localhost/one\n\n[export a]\nuri = nbd://localhost/two\n' \
    >"$tmpdir/twice.ini"
reject "[export a] twice" "twice.ini:[45]: .*(twice|duplicate)" \
    -c "$tmpdir/twice.ini"

printf '[export a]\nuri = nbd://localhost/file\n' >"$tmpdir/one.ini"
reject "[export a] and -e a=" "export a.*(twice|duplicate)" \
    -c "$tmpdir/one.ini" -e a=nbd://localhost/cmdline

printf '[export lonely]\n\n[export b]\nuri = nbd://localhost/b\n' \
    >"$tmpdir/empty-export.ini"
reject "an empty [export lonely]" "lonely" -c "$tmpdir/empty-export.ini"

printf '[nosuch]\n\n[export b]\nuri = nbd://localhost/b\n' \
    >"$tmpdir/empty-section.ini"
reject "an empty unknown section" "nosuch" -c "$tmpdir/empty-section.ini"

[ $failures -eq 0 ] || fail "$failures configuration mistakes were accepted"
