#!/usr/bin/env bash
# The systemd units in systemd/ load and are sandboxed, checked without
# systemd running as init:
#  - make substituted the install paths into the generated units;
#  - the socket, the service, the warm unit and the sysusers.d file
#    agree on the socket path, the user and the group;
#  - "systemd-analyze verify" accepts the units: no unknown keys or bad
#    values, dependencies that resolve, executables that exist, man
#    pages that exist;
#  - "systemd-analyze security --offline" rates nbdcached.service at
#    most 2.0 (measured 1.5 with systemd 252) and the warm unit at most
#    1.0 (measured 0.4);
#  - systemd-sysusers creates user nbdcached with primary group
#    nbdcache from the sysusers.d file;
#  - nbdcached --check-config accepts nbdcached.conf.example.
source "$abs_srcdir/functions.sh"
set -e

SYSTEMD_ANALYZE=${SYSTEMD_ANALYZE:-systemd-analyze}
[ "$SYSTEMD_ANALYZE" != no ] || SYSTEMD_ANALYZE=systemd-analyze
requires "$SYSTEMD_ANALYZE" --version
# --offline arrived in systemd 250.
version=$("$SYSTEMD_ANALYZE" --version | awk 'NR == 1 { print $2 + 0 }')
[ "$version" -ge 250 ] || skip "systemd $version lacks security --offline"

src=$abs_top_srcdir/systemd
gen=$abs_top_builddir/systemd
daemon=$abs_top_builddir/daemon/nbdcached
ctlprog=$abs_top_builddir/ctl/nbdcachectl
for f in "$gen/nbdcached.service" "$gen/nbdcache-warm@.service" \
         "$daemon" "$ctlprog"; do
    [ -e "$f" ] || fail "$f is missing: run make first"
done

make_tmpdir
export LC_ALL=C SYSTEMD_EMOJI=0 SYSTEMD_PAGER=cat

# value FILE KEY: the last value of KEY= in FILE.
value ()
{
    sed -n "s/^$2=//p" "$1" | tail -n 1
}

# 1. The generated units name the installed programs.
for f in "$gen/nbdcached.service" "$gen/nbdcache-warm@.service"; do
    if grep -n '@[a-z_]*@' "$f"; then
        fail "$f: placeholder left unsubstituted"
    fi
done
grep -qxF "ExecStart=$sbindir/nbdcached -c /etc/nbdcached/nbdcached.conf" \
     "$gen/nbdcached.service" ||
    fail "nbdcached.service does not run $sbindir/nbdcached"
grep -qF "ExecStart=$bindir/nbdcachectl " "$gen/nbdcache-warm@.service" ||
    fail "nbdcache-warm@.service does not run $bindir/nbdcachectl"

# 2. The units agree with each other and with sysusers.d.
sock=$(value "$src/nbdcached.socket" ListenStream)
user=$(value "$gen/nbdcached.service" User)
group=$(value "$gen/nbdcached.service" Group)
[ "$sock" = /run/nbdcached/nbdcached.sock ] || fail "socket path is $sock"
[ "$user" = nbdcached ] && [ "$group" = nbdcache ] ||
    fail "the service runs as $user:$group"
[ "$(value "$src/nbdcached.socket" SocketUser)" = "$user" ] &&
[ "$(value "$src/nbdcached.socket" SocketGroup)" = "$group" ] ||
    fail "the socket is not owned by $user:$group"
[ "$(value "$src/nbdcached.socket" SocketMode)" = 0660 ] ||
    fail "the socket mode is not 0660"
[ "$(value "$gen/nbdcache-warm@.service" SupplementaryGroups)" = "$group" ] ||
    fail "the warm unit is not in group $group"
grep -qF "/nbdcachectl -s $sock " "$gen/nbdcache-warm@.service" ||
    fail "the warm unit does not connect to $sock"
[ "$(value "$gen/nbdcached.service" RuntimeDirectory)" = nbdcached ] ||
    fail "RuntimeDirectory is not the socket's directory"

# 3. systemd-analyze verify, on copies of the units that run the
# programs of the build tree (verify insists that executables exist)
# and read the man pages of the build tree, all in one directory so
# that Requires=nbdcached.socket resolves to our socket unit.
units=$tmpdir/units
mkdir "$units"
# to_build FILE: FILE with the installed program paths replaced.
to_build ()
{
    local line
    while IFS= read -r line; do
        line=${line//"$sbindir/nbdcached"/"$daemon"}
        line=${line//"$bindir/nbdcachectl"/"$ctlprog"}
        printf '%s\n' "$line"
    done < "$1"
}
to_build "$gen/nbdcached.service" > "$units/nbdcached.service"
to_build "$gen/nbdcache-warm@.service" > "$units/nbdcache-warm@.service"
cp "$src/nbdcached.socket" "$units/"
grep -qF "ExecStart=$daemon " "$units/nbdcached.service" &&
grep -qF "ExecStart=$ctlprog " "$units/nbdcache-warm@.service" ||
    fail "could not point the test units at the build tree"

man_opt=--man=no
if command -v man >/dev/null &&
   [ -f "$abs_top_builddir/daemon/nbdcached.8" ] &&
   [ -f "$abs_top_builddir/ctl/nbdcachectl.1" ]; then
    mkdir -p "$tmpdir/man/man1" "$tmpdir/man/man8"
    ln -s "$abs_top_builddir/daemon/nbdcached.8" "$tmpdir/man/man8/"
    ln -s "$abs_top_builddir/ctl/nbdcachectl.1" "$tmpdir/man/man1/"
    export MANPATH=$tmpdir/man
    man_opt=--man=yes
fi

status=0
"$SYSTEMD_ANALYZE" verify $man_opt "$units/nbdcached.socket" \
    "$units/nbdcached.service" "$units/nbdcache-warm@.service" \
    > "$tmpdir/verify.out" 2>&1 || status=$?
cat "$tmpdir/verify.out"
# systemd 252's verify does not look up User=, Group=, SocketUser= or
# SocketGroup=, so it passes on a machine where systemd-sysusers has
# not created nbdcached and nbdcache yet, like a build machine.  Should
# a later systemd complain about them, that complaint alone is
# tolerated, and only while the user or group really is missing;
# anything else it prints (even a mere warning, such as an unknown
# key, which leaves its exit status 0) fails the test.
if getent passwd nbdcached >/dev/null && getent group nbdcache >/dev/null
then
    grep . "$tmpdir/verify.out" > "$tmpdir/verify.bad" || :
else
    grep -v -E 'nbdcache.*(user|group)|(user|group).*nbdcache' \
         "$tmpdir/verify.out" > "$tmpdir/verify.bad" || :
    if [ $status -ne 0 ] && [ ! -s "$tmpdir/verify.bad" ]; then
        echo "$0: verify failed only over the missing user or group" >&2
        status=0
    fi
fi
[ $status -eq 0 ] || fail "systemd-analyze verify exited with $status"
[ ! -s "$tmpdir/verify.bad" ] || fail "systemd-analyze verify complained"

# 4. Exposure scores.
# exposure UNITFILE: the overall exposure level, e.g. 1.5.
exposure ()
{
    "$SYSTEMD_ANALYZE" security --offline=yes --no-pager "$1" |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p'
}
check_exposure ()
{
    local unit=$1 max=$2 score
    score=$(exposure "$units/$unit")
    [ -n "$score" ] || fail "no exposure level for $unit"
    echo "$0: $unit: exposure $score (at most $max)"
    awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' ||
        fail "$unit: exposure $score is above $max"
}
check_exposure nbdcached.service 2.0
check_exposure nbdcache-warm@.service 1.0

# 5. The sysusers.d file, applied to an empty root.
if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$tmpdir/root/etc"
    systemd-sysusers --root="$tmpdir/root" \
        "$src/sysusers.d/nbdcached.conf" > "$tmpdir/sysusers.out" 2>&1 || {
        cat "$tmpdir/sysusers.out" >&2
        fail "systemd-sysusers failed"
    }
    gid=$(awk -F: '$1 == "nbdcache" { print $3 }' "$tmpdir/root/etc/group")
    [ -n "$gid" ] || fail "sysusers: no group nbdcache"
    awk -F: -v gid="$gid" '$1 == "nbdcached" && $4 == gid && $3 < 1000 &&
                           $7 ~ /nologin$/ { found = 1 }
                           END { exit !found }' \
        "$tmpdir/root/etc/passwd" ||
        fail "sysusers: no system user nbdcached in group nbdcache:" \
             "$(cat "$tmpdir/root/etc/passwd")"
else
    echo "$0: systemd-sysusers missing: sysusers.d file not checked"
fi

# 6. The example configuration is valid.  Its allow-groups name groups
# a fleet would have (vmhost, nbdcache), which the daemon refuses when
# they do not exist here, so check a copy restricted to root instead.
sed -E 's/^(allow-(users|groups)) = .*/\1 = root/' \
    "$src/nbdcached.conf.example" > "$tmpdir/example.conf"
"$NBDCACHED" --check-config -c "$tmpdir/example.conf" ||
    fail "nbdcached.conf.example is not a valid configuration"
