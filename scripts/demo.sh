#!/bin/sh
# Install what is missing, build, and warm a real export: start nbdkit
# (a 1 GiB in-memory disk behind the log filter), start nbdcached on a
# private socket, list the exports, warm a range and the whole export
# with nbdcachectl, show what reached the server, and stop both.
set -eu
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh >/dev/null

dir="$(mktemp -d /tmp/nbdcached-demo.XXXXXX)"
nbdkit_pid=
daemon_pid=
cleanup () {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    [ -n "$nbdkit_pid" ] && kill "$nbdkit_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

echo "== starting nbdkit: a 1 GiB memory disk, logging every request"
# --exit-with-parent keeps nbdkit in the foreground, so background it.
nbdkit --exit-with-parent -U "$dir/nbd.sock" -P "$dir/nbdkit.pid" \
    --filter=log memory 1G logfile="$dir/nbdkit.log" &
nbdkit_pid=$!
while [ ! -s "$dir/nbdkit.pid" ]; do
    kill -0 "$nbdkit_pid" || { echo "nbdkit failed to start" >&2; exit 1; }
    sleep 0.1
done

echo "== starting nbdcached"
build/daemon/nbdcached -s "$dir/nbdcached.sock" -P "$dir/nbdcached.pid" \
    -e "disk=nbd+unix:///?socket=$dir/nbd.sock" &
daemon_pid=$!
while [ ! -s "$dir/nbdcached.pid" ]; do
    kill -0 "$daemon_pid" || { echo "nbdcached failed to start" >&2; exit 1; }
    sleep 0.1
done

ctl () { echo "\$ nbdcachectl $*"; build/ctl/nbdcachectl -s "$dir/nbdcached.sock" "$@"; }

echo
ctl exports
echo
ctl cache disk 1000 100M
echo "NBD cache commands the server received for that request:"
grep ' Cache id=' "$dir/nbdkit.log" | grep -v return | sed 's/^[^ ]* [^ ]* /  /'
echo
ctl warm disk
echo
ctl stats
echo
echo "total NBD cache commands received by nbdkit: $(grep -c ' Cache id=.*offset' "$dir/nbdkit.log")"
echo "demo OK"
