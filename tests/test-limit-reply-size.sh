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
# messages.  nbdcachectl prints what it got and exits 0, but says on
# stderr, in every format, how many entries of a list the daemon left
# out: no table silently lacks rows.  The rows it prints and the count
# it gives add up to every export (700) and every client (the 300, and
# nbdcachectl itself).
nr_clients=301

# omitted CMD NOUN: from the stderr of nbdcachectl CMD, the N of "left
# N of TOTAL NOUN out"; fails unless TOTAL is what the test made.
omitted ()
{
    local line total
    line="$(grep -E "^nbdcachectl: $1: the daemon left [0-9]+ of [0-9]+ $2 out of its reply \\(a reply holds at most 64 KiB\\)\$" "$tmpdir/err")" ||
        fail "$1: no line saying how many $2 were left out"
    [ "$(wc -l <<< "$line")" -eq 1 ] || fail "$1: $2 reported twice"
    total="$(sed -E 's/.* of ([0-9]+) .*/\1/' <<< "$line")"
    case "$2" in
        exports) [ "$total" -eq $nr_exports ] ;;
        clients) [ "$total" -eq $nr_clients ] ;;
    esac || fail "$1: $total $2 in all, expected otherwise: $line"
    sed -E 's/.* left ([0-9]+) of .*/\1/' <<< "$line"
}

# table_rows [TITLE]: the rows of the table in $tmpdir/out (after the
# line "TITLE:" if given), without its header, up to a blank line.
table_rows ()
{
    awk -v title="${1:-}" '
        title != "" && !seen { seen = ($0 == title ":"); next }
        NF == 0 { exit }
        { n++ }
        END { print n - 1 }' "$tmpdir/out"
}

# ctl_ok ARGS...: nbdcachectl ARGS must exit 0; its stdout is left in
# $tmpdir/out, its stderr in $tmpdir/err (and shown).
ctl_ok ()
{
    expect_status 0 "nbdcachectl $*" ctl "$@" > /dev/null
    cat "$tmpdir/err" >&2
}

# adds_up WHAT SHOWN OMITTED TOTAL
adds_up ()
{
    [ "$3" -gt 0 ] || fail "$1: nothing left out"
    [ $(( $2 + $3 )) -eq "$4" ] ||
        fail "$1: $2 shown + $3 left out is not $4"
}

# (Each "omitted" is assigned first, so that its failure ends the test.)
for list in exports clients; do
    if [ $list = exports ]; then total=$nr_exports; else total=$nr_clients; fi
    ctl_ok $list
    left="$(omitted $list $list)"
    adds_up "$list" "$(table_rows)" "$left" $total
    ctl_ok $list --json
    left="$(omitted $list $list)"
    adds_up "$list --json" "$(jq 'len(j)' < "$tmpdir/out")" "$left" $total
done

# stats lists both; the exports fill the reply, so that its list of
# clients may well be empty: then the table must not say "none".
ctl_ok stats
left="$(omitted stats exports)"
adds_up "stats" "$(table_rows exports)" "$left" $nr_exports
grep -qE "^exports_omitted: +$left\$" "$tmpdir/out" ||
    fail "stats: no exports_omitted line"
left="$(omitted stats clients)"
if [ "$left" = $nr_clients ]; then
    grep -qx "client_list: none in the reply, which left $left out" \
        "$tmpdir/out" || fail "stats: the empty client_list says none"
fi
! grep -qx "client_list: none" "$tmpdir/out" ||
    fail "stats: client_list: none, with $left clients left out"
# --json passes the daemon's counts on.
ctl_ok stats --json
left="$(omitted stats exports)"
[ "$(jq 'j["exports_omitted"]' < "$tmpdir/out")" = "$left" ] ||
    fail "stats --json: exports_omitted differs from the message"
adds_up "stats --json" "$(jq 'len(j["exports"])' < "$tmpdir/out")" \
    "$left" $nr_exports
left="$(omitted stats clients)"
[ "$(jq 'j.get("clients_omitted")' < "$tmpdir/out")" = "$left" ] ||
    fail "stats --json: clients_omitted differs from the message"
adds_up "stats --json clients" \
    "$(jq 'len(j["client_list"])' < "$tmpdir/out")" "$left" $nr_clients
# --prometheus: a gauge of what is missing.
ctl_ok stats --prometheus
left="$(omitted stats exports)"
grep -q '^# TYPE nbdcached_exports_omitted gauge$' "$tmpdir/out" ||
    fail "stats --prometheus: exports_omitted is no gauge"
grep -qx "nbdcached_exports_omitted $left" "$tmpdir/out" ||
    fail "stats --prometheus: no sample nbdcached_exports_omitted $left"
adds_up "stats --prometheus" \
    "$(grep -c '^nbdcached_export_requests_total{' "$tmpdir/out")" \
    "$left" $nr_exports
touch "$tmpdir/go"
