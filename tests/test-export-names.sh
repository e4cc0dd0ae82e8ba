#!/usr/bin/env bash
# Export names: any UTF-8 text of 1 to 255 bytes without control
# characters works end to end (configuration, exports, cache), JSON
# special characters included; names that could never be used on the
# wire (control characters, too long, not UTF-8) are refused when the
# configuration is read, since the protocol carries UTF-8 only
# (PROTOCOL.md section 1).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version

start_logged_disk

odd1='we"ird\name/with spaces'
odd2=$'caf\xc3\xa9-\xe2\x82\xac'           # "café-€"
long="$(printf 'n%.0s' {1..255})"
start_nbdcached -e "$odd1=$disk_uri" -e "$odd2=$disk_uri" -e "$long=$disk_uri"

ctl exports --json >"$tmpdir/exports"
export odd1 odd2 long
python3 - "$tmpdir/exports" <<'PY'
import json, os, sys
with open(sys.argv[1], "rb") as f:
    names = [e["name"] for e in json.loads(f.read().decode("utf-8"))]
want = [os.environ[k] for k in ("odd1", "odd2", "long")]
# The shell passed the names as bytes; compare as UTF-8 text.
want = [os.fsencode(w).decode("utf-8") for w in want]
if names != want:
    sys.exit("names do not round-trip: %r != %r" % (names, want))
PY

# The exports table lines up: a column starts at the same character
# position on every row, whatever bytes the names before it take.
ctl exports >"$tmpdir/table"
cat "$tmpdir/table"
python3 - "$tmpdir/table" <<'PY'
import sys
rows = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
# Where the second column starts: after the first cell and its blanks.
def second_column(row):
    first_gap = row.index("  ")
    return first_gap + len(row[first_gap:]) - len(row[first_gap:].lstrip(" "))
if len({second_column(r) for r in rows}) != 1:
    sys.exit("the exports table does not line up: %r" % rows)
PY

ctl cache "$odd1" 0 4K
ctl cache "$odd2" 4K 4K
ctl cache "$long" 8K 4K
[ "$(cache_lines "$tmpdir/log" | tr '\n' ' ')" = "0 4096 4096 4096 8192 4096 " ] ||
    fail "not every export warmed: $(cache_lines "$tmpdir/log")"

# Names that cannot be used are refused up front.
# check_bad_e NAME: -e NAME=URI is refused (exit 1 or 2, as
# nbdcached(8) allows; the daemon uses 2 for -e today).
check_bad_e ()
{
    local status=0
    $VG "$NBDCACHED" --check-config -e "$1=nbd://localhost" \
        >"$tmpdir/out" 2>"$tmpdir/err" || status=$?
    cat "$tmpdir/out" "$tmpdir/err"
    [ $status -eq 1 ] || [ $status -eq 2 ] ||
        fail "-e $(printf %q "$1")=...: exit $status, expected 1 or 2"
}
check_bad_e "n${long}"                  # 256 bytes
check_bad_e $'tab\there'
check_bad_e $'del\x7f'
check_bad_e $'latin1-caf\xe9'           # not UTF-8
check_bad_e $'cut-\xe2\x82'             # a truncated UTF-8 sequence

printf '[export latin1-caf\xe9]\nuri = nbd://localhost\n' >"$tmpdir/bad.ini"
status=0
$VG "$NBDCACHED" --check-config -c "$tmpdir/bad.ini" \
    >"$tmpdir/out" 2>"$tmpdir/err" || status=$?
cat "$tmpdir/out" "$tmpdir/err"
[ $status -eq 1 ] || fail "a non-UTF-8 name in a file: exit $status, expected 1"
grep -q "$tmpdir/bad.ini:1: " "$tmpdir/err" || fail "the file and line are not named"
