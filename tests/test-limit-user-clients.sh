#!/usr/bin/env bash
# max-user-clients: a user (not root) with that many connections open
# gets EUSERS, with a message saying why, for the next one; root is
# not limited, and once the user closes one, it may connect again.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nobody

start_nbdkit disk memory 100M
start_nbdcached_conf <<EOC
[daemon]
socket-mode = 0666
max-user-clients = 3
[export disk]
uri = $disk_uri
EOC

# Three connections of nobody's, held open until $flags/go exists.
flags="$tmpdir/flags"
mkdir -m 0777 "$flags"
run_py_as_nobody "$flags" <<'PY' &
import os, sys, time
from rawclient import Client
held = [Client() for _ in range(3)]
for c in held:
    c.hello()
open(os.path.join(sys.argv[1], "held"), "w").close()
# Until told to go, or the test's directory is gone (the test ended).
while (os.path.isdir(sys.argv[1]) and
       not os.path.exists(os.path.join(sys.argv[1], "go"))):
    time.sleep(0.05)
PY
holder=$!
# The holder runs as nobody under setpriv, not as this shell's child
# itself: on any exit, let it go by its own flag.
cleanup_fn "touch $flags/go"
wait_until 10 test -e "$flags/held" || fail "nobody's connections did not open"

expect_status 1 "a fourth connection of nobody's" ctl_as_nobody exports
grep -q "too many connections from uid $(id -u nobody) (max-user-clients = 3)" \
    "$tmpdir/err" || fail "the refusal does not say why"
run_py_as_nobody <<'PY' ||
from rawclient import Client, check, expect_error
c = Client()
r = c.recv()
expect_error(r, "EUSERS")
check(r.get("id") is None, "the refusal has an id", r)
c.expect_closed()
PY
    fail "the refusal on the wire is not EUSERS with id null"
ctl exports >/dev/null || fail "root was limited"
ctl cache disk 0 1M

touch "$flags/go"
wait $holder
wait_until 5 ctl_as_nobody exports >/dev/null ||
    fail "nobody could not connect again after closing its connections"
stop_nbdcached
