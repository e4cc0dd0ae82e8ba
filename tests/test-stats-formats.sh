#!/usr/bin/env bash
# stats in its three forms after some caches, one of them failed by
# the server: the table shows the export, --json counts the error by
# errno and every request in the latency histogram, and --prometheus
# is valid text exposition format with the same figures.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter log
requires_nbdkit_filter error

# The error filter fails every Cache while $tmpdir/inject exists.
touch "$tmpdir/inject"
start_nbdkit disk --filter=log --filter=error memory 100M \
    error-cache=EIO error-cache-rate=100% error-cache-file="$tmpdir/inject" \
    logfile="$tmpdir/log"
start_nbdkit other memory 1M
# A name with the characters a Prometheus label value must escape.
odd='we"ird\name'
start_nbdcached -e disk="$disk_uri" -e "$odd=$other_uri"

status=0
ctl cache disk 0 1M 2>/dev/null || status=$?
[ $status -eq 1 ] || fail "the injected error did not fail the cache"
rm "$tmpdir/inject"
ctl cache disk 1M 1M
ctl cache disk 2M 2M
[ "$(cache_lines "$tmpdir/log" | wc -l)" -eq 3 ] ||
    fail "expected 3 Cache requests: $(cache_lines "$tmpdir/log")"

# The table.
ctl stats >"$tmpdir/table"
cat "$tmpdir/table"
grep -qE '^requests: +3$' "$tmpdir/table" || fail "table: requests"
grep -qE '^disk +up ' "$tmpdir/table" || fail "table: no row for disk"
grep -q 'latency.count' "$tmpdir/table" || fail "table: no latency summary"

# JSON.
ctl stats --json >"$tmpdir/json"
python3 - "$tmpdir/json" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
disk = [e for e in stats["exports"] if e["name"] == "disk"][0]
def check(cond, what):
    if not cond:
        sys.exit("stats --json: %s: %r" % (what, disk))
check(disk["requests"] == 3 and disk["errors"] == 1, "requests, errors")
check(disk["errors_by_errno"].get("EIO", 0) >= 1, "errors_by_errno.EIO")
lat = disk["latency"]
check(lat["count"] == disk["requests"], "latency.count != requests")
check(len(lat["counts"]) == len(lat["bounds_us"]) + 1, "counts length")
check(sum(lat["counts"]) == lat["count"], "counts do not add up")
check(disk["paused"] is False, "paused")
check(stats["draining"] is False, "draining")
PY

# Prometheus.
ctl stats --prometheus >"$tmpdir/prom"
cat "$tmpdir/prom"
python3 - "$tmpdir/prom" "$odd" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
odd = sys.argv[2]
if lines[-1] != "":
    sys.exit("the output does not end with a newline")
sample_re = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [0-9.eE+-]+$')
label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
helps, types, samples = {}, {}, []
for n, line in enumerate(lines[:-1], 1):
    if line.startswith("# HELP "):
        helps[line.split(" ")[2]] = n
    elif line.startswith("# TYPE "):
        name, kind = line.split(" ")[2:4]
        types[name] = kind
    elif line.startswith("#"):
        continue
    else:
        if not sample_re.match(line):
            sys.exit("line %d is not a sample: %r" % (n, line))
        name = re.match(r'[^{ ]*', line).group(0)
        labels = {}
        if "{" in line:
            text = line[line.index("{") + 1:line.rindex("}")]
            labels = {k: re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)
                      for k, v in label_re.findall(text)}
        samples.append((n, name, labels, float(line.rsplit(" ", 1)[1])))

def family(name):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return name

for n, name, labels, value in samples:
    f = family(name)
    if f not in helps or f not in types:
        sys.exit("line %d: no HELP or TYPE for %s" % (n, f))
    if helps[f] > n:
        sys.exit("line %d: %s comes before its HELP" % (n, f))
    if not name.startswith("nbdcached_"):
        sys.exit("line %d: %s is not nbdcached_*" % (n, name))
    if types[f] == "counter" and not f.endswith("_total"):
        sys.exit("counter %s does not end in _total" % f)

def get(name, **want):
    found = [v for n, nm, l, v in samples if nm == name
             and all(l.get(k) == w for k, w in want.items())]
    if len(found) != 1:
        sys.exit("expected one sample %s%r, found %d" % (name, want, len(found)))
    return found[0]

# Histograms: cumulative buckets ending in +Inf == _count.
for export in ("disk", odd):
    buckets = [(l["le"], v) for n, nm, l, v in samples
               if nm == "nbdcached_request_duration_seconds_bucket"
               and l.get("export") == export]
    if not buckets or buckets[-1][0] != "+Inf":
        sys.exit("%r: buckets do not end with +Inf: %r" % (export, buckets))
    counts = [v for le, v in buckets]
    bounds = [float(le) for le, v in buckets[:-1]]
    if counts != sorted(counts) or bounds != sorted(bounds):
        sys.exit("%r: buckets are not cumulative: %r" % (export, buckets))
    if counts[-1] != get("nbdcached_request_duration_seconds_count", export=export):
        sys.exit("%r: +Inf bucket != _count" % export)

if get("nbdcached_request_duration_seconds_count", export="disk") != 3:
    sys.exit("disk: _count is not 3")
if get("nbdcached_request_duration_seconds_bucket", export="disk", le="0.0001") > 3:
    sys.exit("disk: bad first bucket")
if get("nbdcached_export_requests_total", export="disk") != 3:
    sys.exit("disk: requests_total")
if get("nbdcached_export_errors_total", export="disk", errno="EIO") < 1:
    sys.exit("disk: no EIO error")
if get("nbdcached_export_state", export="disk", state="up") != 1:
    sys.exit("disk: state")
if get("nbdcached_requests_total") != 3:
    sys.exit("requests_total")
if types.get("nbdcached_export_deduplicated_total") != "counter":
    sys.exit("deduplicated is not a typed counter")
get("nbdcached_export_deduplicated_total", export="disk")
if types.get("nbdcached_export_requests_queued") != "gauge" or \
        get("nbdcached_export_requests_queued", export="disk") != 0:
    sys.exit("queued is not a gauge at 0")
if types.get("nbdcached_request_duration_seconds") != "histogram":
    sys.exit("no latency histogram")
print("prometheus output: %d samples OK" % len(samples))
PY
# The label value is escaped: \" and \\.
grep -qF 'export="we\"ird\\name"' "$tmpdir/prom" || fail "label not escaped"

status=0
ctl stats --json --prometheus 2>"$tmpdir/err" || status=$?
[ $status -eq 2 ] || fail "--json --prometheus exited $status, expected 2"
grep -q "mutually exclusive" "$tmpdir/err" || fail "no reason given"

# With every export and client listed, nbdcachectl has nothing to say
# about entries left out (test-limit-reply-size has the other case),
# and Prometheus gets *_omitted samples of 0 (a gauge an alert can
# watch without "or vector(0)").
for cmd in "stats" "stats --json" "stats --prometheus" "exports" \
           "exports --json" "clients" "clients --json"; do
    ctl $cmd >"$tmpdir/out" 2>"$tmpdir/err" || fail "nbdcachectl $cmd failed"
    [ ! -s "$tmpdir/err" ] ||
        fail "nbdcachectl $cmd wrote to stderr: $(cat "$tmpdir/err")"
done
for list in exports clients; do
    grep -qx "nbdcached_${list}_omitted 0" "$tmpdir/prom" ||
        fail "prometheus: no nbdcached_${list}_omitted 0 sample"
done
