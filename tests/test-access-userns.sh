#!/usr/bin/env bash
# A daemon in a user namespace that maps only some ids (a container)
# sees every peer it does not map as the overflow uid and gid, 65534
# (nobody, nogroup), whoever that peer is.  Such a peer matches no
# allow-users or allow-groups entry, and is no admin even when the
# daemon runs as the overflow uid itself; root, mapped, still is.
# The user of uid 60123 here has no passwd entry at all.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires_nobody
requires unshare --user --map-user=65534 --map-group=65534 true

start_nbdkit disk memory 100M
# start_nbdcached DAEMON-ARGS, with the daemon in a user namespace made
# by unshare UNSHARE-ARGS (unshare execs it: the pid stays the same).
in_userns () {
    local map=$1; shift
    printf '#!/bin/sh\nexec unshare --user %s "%s" "$@"\n' "$map" \
        "$NBDCACHED" > "$tmpdir/userns-nbdcached"
    chmod +x "$tmpdir/userns-nbdcached"
    NBDCACHED="$tmpdir/userns-nbdcached" VG= start_nbdcached "$@"
}
cat > "$tmpdir/conf" <<EOC
[daemon]
socket-mode = 0666
[export by-user]
uri = $disk_uri
allow-users = nobody
[export by-group]
uri = $disk_uri
allow-groups = nogroup
EOC
as_stranger () {
    setpriv --reuid=60123 --regid=60123 --clear-groups -- \
        "$NBDCACHECTL" -s "$sock" "$@"
}
names () { jq '[e["name"] for e in j]'; }

# Only root mapped: the stranger shows as uid 65534, gid 65534.
in_userns --map-root-user -c "$tmpdir/conf"
grep -q "does not map every id" "$tmpdir/nbdcached.log" ||
    fail "the daemon did not notice its user namespace"
[ "$(ctl exports --json | names)" = '["by-user", "by-group"]' ] ||
    fail "root does not see both exports"
[ "$(as_stranger exports --json | names)" = '[]' ] ||
    fail "an unmapped peer passed for nobody: $(as_stranger exports)"
expect_status 1 "an unmapped peer warming nobody's export" \
    as_stranger cache by-user 0 1M
expect_status 1 "an unmapped peer warming nogroup's export" \
    as_stranger cache by-group 0 1M
grep -q "No such file or directory" "$tmpdir/err" || fail "not ENOENT"
stop_nbdcached

# The daemon runs as the overflow uid: an unmapped peer is not it.
in_userns "--map-user=65534 --map-group=65534" -c "$tmpdir/conf"
expect_status 1 "an unmapped peer pausing an export" \
    as_stranger pause by-user
grep -q "only root or the daemon's user" "$tmpdir/err" ||
    fail "an unmapped peer ran an admin op"
stop_nbdcached
