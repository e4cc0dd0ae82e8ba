#!/usr/bin/env bash
# nbdcachectl warm --manifest: the ranges and whole exports of a
# manifest, over two exports, reach their servers exactly once, from a
# file or from standard input; a malformed manifest is refused with
# its line number before anything is sent; an entry for an unknown
# export fails, is named, and does not stop the others.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter log

start_nbdkit disk --filter=log memory 100M logfile="$tmpdir/disk.log"
start_nbdkit data --filter=log memory 10M logfile="$tmpdir/data.log"
start_nbdcached_nodedup disk="$disk_uri" data="$data_uri"

M=$((1024*1024))
cat >"$tmpdir/manifest" <<EOF2
# Boot ranges first, then all of data.
{"export":"disk","offset":0,"count":$((4*M))}

{"export":"data"}
  {"export":"disk", "offset":$((8*M)), "count":$((3*M))}
EOF2

# mark_logs: remember where both servers' logs end now.
mark_logs ()
{
    disk_mark=$(wc -l <"$tmpdir/disk.log")
    data_mark=$(wc -l <"$tmpdir/data.log")
}

# new_caches NAME: the Cache requests in NAME's log since mark_logs.
new_caches ()
{
    local mark="${1}_mark"
    tail -n +$((${!mark}+1)) "$tmpdir/$1.log" >"$tmpdir/$1.new"
    cache_lines "$tmpdir/$1.new"
}

# check_coverage: since mark_logs, the servers received exactly the
# manifest's ranges, each once: [0, 4M) and [8M, 11M) of disk, and all
# 10M of data.
check_coverage ()
{
    new_caches disk >"$tmpdir/disk.cache"
    new_caches data >"$tmpdir/data.cache"
    awk -v m=$((8*M)) '$1 < m' "$tmpdir/disk.cache" |
        check_chunks 0 $((4*M)) $((32*M)) 1 1
    awk -v m=$((8*M)) '$1 >= m' "$tmpdir/disk.cache" |
        check_chunks $((8*M)) $((11*M)) $((32*M)) 1 1
    check_chunks 0 $((10*M)) $((32*M)) 1 1 <"$tmpdir/data.cache"
}

# From a file.
mark_logs
ctl warm --manifest "$tmpdir/manifest" --no-progress \
    >"$tmpdir/out" 2>"$tmpdir/err"
cat "$tmpdir/out" "$tmpdir/err"
[ ! -s "$tmpdir/err" ] || fail "warm --manifest wrote to stderr"
grep -qx '  disk: 2 ranges, 7M' "$tmpdir/out" || fail "no summary for disk"
grep -qx '  data: 1 range, 10M' "$tmpdir/out" || fail "no summary for data"
grep -qE '^warmed 3 ranges of 2 exports: 17M in [0-9.]+s \(.*/s\)$' \
    "$tmpdir/out" || fail "no total"
check_coverage

# From standard input, in small requests with a narrow window, so
# that requests of different exports are in flight together.
mark_logs
ctl warm --manifest - --no-progress --request-size 1M --in-flight 3 \
    <"$tmpdir/manifest" >"$tmpdir/out"
grep -qE '^warmed 3 ranges of 2 exports: 17M ' "$tmpdir/out" ||
    fail "stdin: no total"
check_coverage
[ "$(wc -l <"$tmpdir/data.cache")" -eq 10 ] ||
    fail "data: expected 10 chunks of 1M"

# Bad JSON on line 3: exit 1, the line is named, nothing is sent.
{ echo '# ok so far'
  echo '{"export":"disk","offset":0,"count":1}'
  echo '{"export":"disk","offset":0,"count":1'
  echo '{"export":"data"}'
} >"$tmpdir/bad"
mark_logs
expect_status 1 "bad manifest" ctl warm --manifest "$tmpdir/bad" --no-progress
grep -q "^nbdcachectl: $tmpdir/bad:3: " "$tmpdir/err" ||
    fail "bad manifest: line 3 is not named"
[ "$(grep -c "$tmpdir/bad:" "$tmpdir/err")" -eq 1 ] ||
    fail "bad manifest: a good line was reported"
[ ! -s "$tmpdir/out" ] || fail "bad manifest: a summary was printed"
[ -z "$(new_caches disk)$(new_caches data)" ] ||
    fail "bad manifest: something was sent"

# Up to 20 bad lines are all reported; "too many errors" only when
# there is a 21st.
for n in 20 21; do
    for (( i = 0; i < n; i++ )); do echo '{"x":1}'; done >"$tmpdir/bad$n"
    expect_status 1 "$n bad lines" \
        ctl warm --manifest "$tmpdir/bad$n" --no-progress
    [ "$(grep -c "^nbdcachectl: $tmpdir/bad$n:[0-9]*: " "$tmpdir/err")" \
        -eq 20 ] || fail "$n bad lines: not 20 reported"
    if [ $n -eq 20 ]; then
        ! grep -q "too many errors" "$tmpdir/err" ||
            fail "20 bad lines: too many errors, although none was skipped"
    else
        grep -q "^nbdcachectl: $tmpdir/bad$n: too many errors, giving up$" \
            "$tmpdir/err" || fail "21 bad lines: no \"too many errors\""
    fi
done

# Integers only, and known members only.
for line in '{"export":"disk","offset":0,"count":1.0}' \
            '{"export":"disk","offset":"0","count":1}' \
            '{"export":"disk","offset":0,"count":1e3}' \
            '{"export":"disk","offset":0}' \
            '{"export":"disk","size":1}' \
            '["disk"]'; do
    status=0
    echo "$line" | ctl warm --manifest - 2>"$tmpdir/err" || status=$?
    [ $status -eq 1 ] && grep -q '^nbdcachectl: <stdin>:1: ' "$tmpdir/err" ||
        fail "'$line' was not refused: $(cat "$tmpdir/err")"
done

# Numbers are decimal without leading zeros: 00 and 010 are refused
# with the number named (json-c alone reads 00 as 0 and says only
# "number expected" of 010), before anything is sent; -0, a 0 after a
# decimal digit or in a name, and a 0 in an exponent are no such zero.
mark_logs
for number in 00 010 -00 007; do
    { echo '{"export":"disk","offset":0,"count":1}'
      echo "{\"export\":\"disk\",\"offset\":$number,\"count\":1}"
    } | expect_status 1 "offset $number" ctl warm --manifest - --no-progress
    grep -qx "nbdcachectl: <stdin>:2: malformed JSON: the number $number at byte 26 has a leading zero (numbers are decimal, without leading zeros)" \
        "$tmpdir/err" || fail "offset $number: not refused as such"
done
[ -z "$(new_caches disk)" ] || fail "leading zeros: something was sent"
echo '{"export":"disk-01","offset":-0,"count":10}' |
    expect_status 1 "-0 and a name with 01" ctl warm --manifest - --no-progress
grep -q ':1: export "disk-01" offset 0 count 10: .*no export named' \
    "$tmpdir/err" ||
    fail "-0 and a name with 01 were not accepted"

# A member given twice is an error, not "the last one wins".
for line in '{"export":"disk","export":"nope"}' \
            '{"export":"disk","offset":0,"count":1,"count":2}'; do
    status=0
    echo "$line" | ctl warm --manifest - 2>"$tmpdir/err" || status=$?
    [ $status -eq 1 ] &&
        grep -q '^nbdcachectl: <stdin>:1: a member is given more than once$' \
             "$tmpdir/err" ||
        fail "'$line' was not refused: $(cat "$tmpdir/err")"
done
# Colons and braces inside strings are not members.
echo '{"export":"d:i{s}k\":[x"}' |
    ctl warm --manifest - --no-progress 2>"$tmpdir/err" || :
! grep -q "more than once" "$tmpdir/err" ||
    fail "a colon in a string was counted as a member"

# An unknown export: its entry fails and is named, the others are
# warmed, and the exit status is 1.
{ echo '{"export":"disk","offset":0,"count":1048576}'
  echo '{"export":"nosuch"}'
  echo '{"export":"data","offset":0,"count":1048576}'
} >"$tmpdir/unknown"
mark_logs
expect_status 1 "unknown export" ctl warm --manifest "$tmpdir/unknown" --no-progress
grep -q "^nbdcachectl: $tmpdir/unknown:2: export \"nosuch\": .*nosuch" \
    "$tmpdir/err" || fail "unknown export: the entry is not reported"
grep -qx '  nosuch: 0 ranges, 0, 1 failed' "$tmpdir/out" ||
    fail "unknown export: not in the summary"
grep -qE '^warmed 2 ranges of 3 exports: 2M in .*, 1 failed$' "$tmpdir/out" ||
    fail "unknown export: the total does not count the failure"
[ "$(new_caches disk)" = "0 1048576" ] && [ "$(new_caches data)" = "0 1048576" ] ||
    fail "unknown export: the other entries were not warmed"

# --manifest and EXPORT together are a usage error.
status=0
ctl warm disk --manifest "$tmpdir/manifest" 2>/dev/null || status=$?
[ $status -eq 2 ] || fail "EXPORT with --manifest exited $status, expected 2"

# A byte-order mark before the first entry, as some editors write it:
# not data.
printf '\xef\xbb\xbf{"export":"disk","offset":4096,"count":4096}\n' \
    > "$tmpdir/bom"
mark_logs
ctl warm --manifest "$tmpdir/bom" --no-progress > /dev/null ||
    fail "a manifest starting with a byte-order mark was refused"
[ "$(new_caches disk)" = "4096 4096" ] ||
    fail "the entry after the byte-order mark was not warmed"

# A line too long for the memory nbdcachectl may have: an error naming
# the file and line, exit 1, nothing warmed.  (getline's ENOMEM is not
# the end of the file: before, the rest of the manifest was silently
# dropped and warm exited 0.)  Not under a sanitizer, which cannot run
# with so little address space.
if (ulimit -v 100000; "$NBDCACHECTL" --version) >/dev/null 2>&1; then
    { echo '{"export":"disk","offset":0,"count":1024}'
      head -c 120000000 /dev/zero | tr '\0' x; echo
      echo '{"export":"nosuch"}'; } > "$tmpdir/huge"
    mark_logs
    expect_status 1 "a line too long for memory" \
        bash -c 'ulimit -v 100000; exec "$@"' - \
        "$NBDCACHECTL" -s "$sock" warm --manifest "$tmpdir/huge" --no-progress
    grep -q "^nbdcachectl: $tmpdir/huge:2: Cannot allocate memory" \
        "$tmpdir/err" || fail "the huge line is not reported"
    [ -z "$(new_caches disk)" ] || fail "a manifest that failed was warmed"
    rm -f "$tmpdir/huge"
else
    echo "line too long for memory: skipped (cannot run in 100 MB)"
fi
