#!/bin/sh
# Install the Debian 12 packages nbdcached needs to build and test,
# skipping the ones already there.  Needs root when anything is missing.
set -eu

PACKAGES="
autoconf automake libtool pkg-config make gcc g++ binutils
libnbd-dev libevent-dev libjson-c-dev libsystemd-dev libinih-dev
perl python3
nbdkit libnbd-bin qemu-utils gnutls-bin util-linux systemd clang valgrind
"

missing=
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
