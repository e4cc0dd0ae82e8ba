#!/usr/bin/env bash
# An export whose server cannot be reached does not stop the daemon:
# it is listed as "down", requests for it fail with ENOTCONN, and the
# other exports work.  Admins (root here) are told why it is down;
# other users are not (the reason can name the server).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter log

start_nbdkit good --filter=log memory 1G logfile="$tmpdir/log"
start_nbdcached_conf <<EOC
[daemon]
socket-mode = 0666
[export bad]
uri = nbd+unix:///?socket=$tmpdir/nobody-listens.sock
[export good]
uri = $good_uri
EOC

ctl exports --json >"$tmpdir/exports"
cat "$tmpdir/exports"
[ "$(jq '[e["name"] for e in j]' <"$tmpdir/exports")" = \
  '["bad", "good"]' ] || fail "unexpected exports"
[ "$(jq 'j[0]["state"]' <"$tmpdir/exports")" = down ] ||
    fail "bad should be down"
[ "$(jq 'j[0]["connections"]["up"]' \
     <"$tmpdir/exports")" = 0 ] || fail "bad: a connection is up"
# Never up, so nothing is known about it.
[ "$(jq '"size" in j[0] or "block_size" in j[0]' \
     <"$tmpdir/exports")" = false ] || fail "bad: size known"
[ "$(jq 'j[1]["state"]' <"$tmpdir/exports")" = up ] ||
    fail "good should be up"

ctl exports | grep -qE '^bad +down ' || fail "table: bad is not shown down"

# Why, for an admin: in the JSON, and after the table.
[ "$(jq '"No such file or directory" in j[0]["reason"]' \
     <"$tmpdir/exports")" = true ] || fail "bad: no reason given"
[ "$(jq '"reason" in j[1]' <"$tmpdir/exports")" = false ] ||
    fail "good: a reason given although it is up"
ctl exports | grep -qE '^bad: down: .*No such file or directory$' ||
    fail "table: no reason after it: $(ctl exports)"
if can_be_nobody; then
    chmod 0755 "$tmpdir"
    [ "$(ctl_as_nobody exports --json | jq '"reason" in j[0]')" = false ] ||
        fail "nobody is told the reason"
    ! ctl_as_nobody exports | grep -q '^bad: ' ||
        fail "nobody's table gives the reason"
fi

status=0
ctl cache bad 0 1 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "cache bad exited $status, expected 1"
grep -q "down" "$tmpdir/err" || fail "the message does not say the export is down"

status=0
ctl warm bad --no-progress 2>"$tmpdir/err" || status=$?
cat "$tmpdir/err"
[ $status -eq 1 ] || fail "warm bad exited $status, expected 1"

ctl cache good 0 1M
[ "$(cache_lines "$tmpdir/log")" = "0 1048576" ] || fail "good did not warm"

# The daemon logged why.
grep -q "export bad: down: .*No such file or directory" \
     "$tmpdir/nbdcached.log" || fail "the daemon did not log why bad is down"
