#!/usr/bin/env bash
# The admin commands (clients, pause, resume, reload) work for root;
# for any other user each fails with EPERM and changes nothing, and
# that user's stats list only its own client.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nobody

start_nbdkit disk memory 1G
start_nbdcached_conf <<EOC
[daemon]
socket-mode = 0666
[export disk]
uri = $disk_uri
EOC

paused () { ctl exports --json | jq 'j[0]["paused"]'; }

# Root: each admin command works.
ctl clients >"$tmpdir/out"
cat "$tmpdir/out"
head -n 1 "$tmpdir/out" | grep -qE '^ *ID +PID +UID +NAME +REQUESTS +IN-FLIGHT +QUEUED +HELD$' ||
    fail "clients: no header"
grep -qE '^ *[0-9]+ +[0-9]+ +0 +libnbdcache ' "$tmpdir/out" ||
    fail "clients: root's own client is not listed"
ctl clients --json | jq 'j[0]["uid"]' | grep -qx 0 || fail "clients --json"
ctl pause disk
[ "$(paused)" = true ] || fail "root's pause did not pause"
ctl resume disk
[ "$(paused)" = false ] || fail "root's resume did not resume"
ctl reload

# nobody: each fails with EPERM, exit 1.
for op in clients "pause disk" "resume disk" reload; do
    expect_status 1 "nobody's '$op'" ctl_as_nobody $op
    grep -q "Operation not permitted" "$tmpdir/err" ||
        fail "nobody's '$op': not EPERM"
    [ ! -s "$tmpdir/out" ] || fail "nobody's '$op' printed something"
done
# ... and changed nothing.
status=0
ctl_as_nobody pause disk 2>/dev/null || status=$?
[ $status -eq 1 ] && [ "$(paused)" = false ] || fail "nobody paused disk"

# With a second client of root's connected (a cache waiting behind a
# pause), root sees both clients and nobody sees only itself.
ctl pause disk
ctl cache disk 0 1M &
cache_pid=$!
cleanup_fn "kill $cache_pid 2>/dev/null"
for (( i=0; i < 50; i++ )); do
    [ "$(ctl clients --json | jq 'len(j)')" -ge 2 ] && break
    sleep 0.1
done
[ "$(ctl stats --json | jq 'len(j["client_list"])')" -ge 2 ] ||
    fail "root's stats do not list every client"
nobody_uid="$(id -u nobody)"
ctl_as_nobody stats --json >"$tmpdir/stats"
[ "$(jq '[c["uid"] for c in j["client_list"]]' <"$tmpdir/stats")" = \
  "[$nobody_uid]" ] ||
    fail "nobody's stats list other clients: $(cat "$tmpdir/stats")"
ctl resume disk
wait $cache_pid || fail "the paused cache failed after resume"
