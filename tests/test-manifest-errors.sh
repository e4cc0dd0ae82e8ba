#!/usr/bin/env bash
# nbdcachectl warm --manifest: each kind of mistake in a manifest is
# refused with exit 1 and a message that names the file, the line and
# what is wrong, before the daemon is even asked (there is none here:
# the socket does not exist, so anything sent would fail otherwise).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
export NBDCACHE_SOCKET="$tmpdir/no-daemon.sock"

# refused LINE MESSAGE: a manifest of LINE alone is refused with
# "nbdcachectl: <stdin>:1: MESSAGE".
refused ()
{
    local status=0
    printf '%s\n' "$1" |
        $VG "$NBDCACHECTL" warm --manifest - --no-progress \
            >"$tmpdir/out" 2>"$tmpdir/err" || status=$?
    [ $status -eq 1 ] || fail "'$1': exit $status, expected 1"
    [ "$(cat "$tmpdir/err")" = "nbdcachectl: <stdin>:1: $2" ] ||
        fail "'$1': '$(cat "$tmpdir/err")', expected '$2'"
    [ ! -s "$tmpdir/out" ] || fail "'$1': printed $(cat "$tmpdir/out")"
}

refused '{"export":"disk","offset":-1,"count":1}' \
    '"offset" must not be negative'
refused '{"export":"disk","offset":0,"count":9223372036854775808}' \
    '"count" is larger than 2^63-1'
refused '{"export":"disk","offset":9223372036854775807,"count":1}' \
    'offset + count is larger than 2^63-1'
refused '{"export":"disk","offset":0,"count":0}' '"count" must not be 0'
refused '{"export":1,"offset":0,"count":1}' '"export" must be a string'
refused '{"export":"di\u0000sk","offset":0,"count":1}' \
    '"export" contains a NUL character'
refused '{"offset":0,"count":1}' '"export" is missing'
refused '{"export":"","offset":0,"count":1}' '"export" must not be empty'
refused "{\"export\":\"$(printf 'n%.0s' {1..256})\",\"offset\":0,\"count\":1}" \
    '"export" is longer than 255 bytes'
refused '{"export":' \
    'invalid JSON: the object is not complete (each entry must be on one line)'
refused '{"export":"disk","count":1} x' 'invalid JSON: unexpected character'
# What json-c alone would let through, refused as the daemon refuses it
# in a message (proto/json-text.c).
refused "$(printf '{"export":"d\001isk"}')" \
    'malformed JSON: raw control character 0x01 in a string at byte 12 (it must be escaped)'
refused "$(printf '{"export":"d\300\257isk"}')" 'the line is not valid UTF-8'
refused '{"export":"d\ud800isk"}' \
    'malformed JSON: \ud800 at byte 12 is half of a UTF-16 surrogate pair without its other half'
refused '{"export":"disk","offset":00,"count":1}' \
    'malformed JSON: the number 00 at byte 26 has a leading zero (numbers are decimal, without leading zeros)'

# A NUL byte cannot be passed as an argument: write it.
printf '{"export":"d\0isk"}\n' |
    { $VG "$NBDCACHECTL" warm --manifest - 2>"$tmpdir/err" || echo $? > "$tmpdir/status"; }
[ "$(cat "$tmpdir/status")" = 1 ] &&
    [ "$(cat "$tmpdir/err")" = "nbdcachectl: <stdin>:1: the line contains a NUL byte" ] ||
    fail "a NUL byte: $(cat "$tmpdir/err")"

# The file itself: missing, or listing nothing.
expect_status 1 "a missing manifest" \
    $VG "$NBDCACHECTL" warm --manifest "$tmpdir/nosuch"
[ "$(cat "$tmpdir/err")" = "nbdcachectl: $tmpdir/nosuch: No such file or directory" ] ||
    fail "a missing manifest: $(cat "$tmpdir/err")"
printf '# only a comment\n\n' > "$tmpdir/empty"
expect_status 1 "an empty manifest" \
    $VG "$NBDCACHECTL" warm --manifest "$tmpdir/empty"
[ "$(cat "$tmpdir/err")" = "nbdcachectl: $tmpdir/empty: the manifest lists nothing to warm" ] ||
    fail "an empty manifest: $(cat "$tmpdir/err")"
