#!/usr/bin/env bash
# The NBD server is killed (SIGKILL) with hundreds of chunks in
# flight.  The daemon reconnects with backoff once a new server
# listens, sends the lost chunks again (cache is idempotent), and
# every cookie completes exactly once, successfully.  Another export
# is served throughout.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir
requires nbdkit --version
requires python3 --version
requires_nbdkit_filter delay
requires_nbdkit_filter blocksize-policy

# 64 KiB maximum: 200 requests of 256 KiB are 800 chunks, and each
# takes 0.2 s at the server, so hundreds are in flight when it dies.
start_nbdkit doomed --filter=log --filter=blocksize-policy --filter=delay \
    memory 64M blocksize-maximum=65536 delay-cache=200ms \
    logfile="$tmpdir/before.log"
start_nbdkit other memory 1G
start_nbdcached_conf <<EOC
[export doomed]
uri = $doomed_uri
reconnect-delay = 0.1
reconnect-max-delay = 0.5
request-timeout = 30
[export other]
uri = $other_uri
EOC

pipeline doomed 200 262144 30 > "$tmpdir/result" &
pipe=$!
for (( i=0; i < 50; i++ )); do
    n="$(ctl stats --json | jq \
         '[e["chunks_in_flight"] for e in j["exports"] if e["name"] == "doomed"][0]')"
    [ "$n" -ge 200 ] && break
    sleep 0.1
done
[ "$n" -ge 200 ] || fail "only $n chunks in flight"
echo "killing nbdkit with $n chunks in flight"
kill -9 "$doomed_pid"
sleep 1
# Meanwhile the other export is unaffected.
ctl cache other 0 100M

# A new server on the same socket; this one answers at once.
rm -f "$tmpdir/doomed.sock"
start_nbdkit doomed --filter=log --filter=blocksize-policy \
    memory 64M blocksize-maximum=65536 logfile="$tmpdir/after.log"
wait $pipe || fail "exactly-once check failed: $(cat "$tmpdir/result")"
cat "$tmpdir/result"
[ "$(jq '[j["accepted"], j["ok"], j["failed"]]' \
     < "$tmpdir/result")" = '[200, 200, {}]' ] ||
    fail "not every request succeeded: $(cat "$tmpdir/result")"

ctl stats --json > "$tmpdir/stats"
jq \
    '[(e["reconnects"], e["retries"]) for e in j["exports"] if e["name"] == "doomed"][0]' \
    < "$tmpdir/stats" > "$tmpdir/counts"
cat "$tmpdir/counts"
python3 -c 'import json,sys; r, t = json.load(open(sys.argv[1])); sys.exit(not (r >= 1 and t >= 1))' \
    "$tmpdir/counts" || fail "no reconnect or retry counted"
# The second server received every chunk the first never answered.
[ "$(cache_lines "$tmpdir/after.log" | wc -l)" -ge 1 ] ||
    fail "nothing was resent to the new server"
stop_nbdcached
