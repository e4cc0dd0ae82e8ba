#!/usr/bin/env bash
# Every reply fits in one message (PROTOCOL.md section 1), however
# many clients and exports there are: lists that would not fit end
# early, and "clients_omitted" / "exports_omitted" count what they
# leave out.  Before, 300 clients with long names made the admin's
# "stats" and "clients" replies too long for any client to read.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires python3 --version

# 700 exports, all down (their server never exists): an entry each in
# "exports" and "stats", with no NBD traffic.
nr_exports=700
for (( i=0; i < nr_exports - 1; i++ )); do
    printf '[export e%03d]\nuri = nbd+unix:///?socket=%s/none.sock\n' \
        $i "$tmpdir"
done > "$tmpdir/conf"
# And the last one up, on a real server: left out of the lists, but
# still there when asked for by name.
requires nbdkit --version
start_nbdkit disk memory 64M
printf '[export last]\nuri = %s\n' "$disk_uri" >> "$tmpdir/conf"
start_nbdcached -c "$tmpdir/conf"

# 300 clients whose names escape to 126 bytes each, held open until
# $tmpdir/go exists.
run_py_bg "$tmpdir" <<'PY'
import os, sys, time
from rawclient import Client, check
held = []
for _ in range(300):
    c = Client()
    r = c.request({"op": "hello", "version": 2, "client": '"' * 63})
    check(r["ok"], "hello", r)
    held.append(c)
open(os.path.join(sys.argv[1], "held"), "w").close()
while (os.path.isdir(sys.argv[1]) and
       not os.path.exists(os.path.join(sys.argv[1], "go"))):
    time.sleep(0.05)
PY
cleanup_fn "touch $tmpdir/go"
wait_until 30 test -e "$tmpdir/held" || fail "the clients did not connect"

# On the wire: each reply under the limit, and its lists plus their
# omitted counts add up to everything there is.
run_py $nr_exports <<'PY' || fail "a reply is too long or miscounts"
import json, sys
from rawclient import Client, check
nr_exports = int(sys.argv[1])
c = Client()
c.hello(2)

def ask(op):
    rid = c.send({"op": op})
    line = c.recv_line()
    check(len(line) <= 65535, "%s reply of %d bytes" % (op, len(line)))
    r = json.loads(line)
    check(r["ok"] and r["id"] == rid, op, r)
    return r

stats = ask("stats")
nr_clients = stats["clients"]
check(nr_clients == 301, "clients", nr_clients)
check(len(stats["exports"]) + stats.get("exports_omitted", 0) == nr_exports,
      "stats exports", len(stats["exports"]), stats.get("exports_omitted"))
check(len(stats["client_list"]) + stats.get("clients_omitted", 0)
      == nr_clients, "stats client_list")
check(stats.get("exports_omitted", 0) > 0, "no export left out of stats")
clients = ask("clients")
check(clients.get("clients_omitted", 0) > 0, "no client left out")
check(len(clients["clients"]) + clients["clients_omitted"] == nr_clients,
      "clients", len(clients["clients"]), clients["clients_omitted"])
exports = ask("exports")
check(exports.get("exports_omitted", 0) > 0, "no export left out")
check(len(exports["exports"]) + exports["exports_omitted"] == nr_exports,
      "exports")
print("stats: %d of %d exports, %d of %d clients; clients: %d; "
      "exports: %d" % (len(stats["exports"]), nr_exports,
                       len(stats["client_list"]), nr_clients,
                       len(clients["clients"]), len(exports["exports"])))
PY

# An export left out of the list is still found by name, as
# nbdcache_get_size (and so "warm") asks.
wait_until 10 run_py <<'PY' || fail "the last export is not up"
from rawclient import Client, check
c = Client(); c.hello(2)
r = c.request({"op": "exports", "export": "last"})
check(r["ok"] and [e["name"] for e in r["exports"]] == ["last"] and
      r["exports"][0].get("size") == 64 << 20, "exports of last", r)
PY
ctl warm last > /dev/null || fail "warm of an export left out of the list"
expect_status 1 "asking for no such export" ctl warm nosuch
grep -q 'no export named "nosuch"' "$tmpdir/err" || fail "nosuch: unclear"

# And through the library and nbdcachectl, which refuse over-long
# messages.
for cmd in "stats" "stats --json" "clients" "exports --json"; do
    ctl $cmd > "$tmpdir/out" || fail "nbdcachectl $cmd failed"
done
grep -q '"clients_omitted"' <(ctl stats --json) ||
    fail "stats --json does not say clients were left out"
touch "$tmpdir/go"
