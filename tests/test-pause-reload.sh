#!/usr/bin/env bash
# A pause is the admin's, on the export's name, and outlives a reload:
# when a reload changes a paused export, the new one is paused too, and
# "resume" lets go the requests of both the new export and the old one
# that is finishing its requests.  A paused export that a reload
# removes can still be resumed by name (but not paused again).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version

start_logged_disk 100M
conf () {                                   # EXPORT-NAME CONNECTIONS
    printf '[export %s]\nuri = %s\nrequest-timeout = 30\nconnections = %s\n' \
        "$1" "$disk_uri" "$2" > "$tmpdir/conf"
}
conf x 4
start_nbdcached -c "$tmpdir/conf"
paused () { ctl exports --json | jq 'j[0]["paused"]'; }
arrived () { cache_lines "$tmpdir/log" | wc -l; }

ctl pause x
ctl cache x 0 1M &
held=$!
sleep 0.5
conf x 2                                    # changed: a new export x
ctl reload
[ "$(paused)" = true ] || fail "the reload lost the pause"
ctl cache x 1M 1M &
new=$!
cleanup_fn "kill $held $new 2>/dev/null"
sleep 1
[ "$(arrived)" -eq 0 ] || fail "a Cache reached the server while paused"

start=$SECONDS
ctl resume x
wait $held || fail "the request held by the old export failed"
wait $new || fail "the request on the new export failed"
[ $((SECONDS - start)) -le 5 ] || fail "resume took $((SECONDS - start)) s"
[ "$(cache_lines "$tmpdir/log" | tr '\n' ' ')" = "0 1048576 1048576 1048576 " ] ||
    fail "after resume: $(cache_lines "$tmpdir/log")"

# Removed while paused: resumed by name.
ctl pause x
ctl cache x 2M 1M &
held=$!
sleep 0.5
conf y 1
ctl reload
status=0
ctl pause x 2>/dev/null || status=$?
[ $status -eq 1 ] || fail "pausing a removed export: status $status"
ctl resume x || fail "a removed paused export could not be resumed"
wait $held || fail "the request held by the removed export failed"
[ "$(arrived)" -eq 3 ] || fail "after resuming the removed export: $(cache_lines "$tmpdir/log")"
stop_nbdcached
