#!/usr/bin/env bash
# nbdcached --check-config: a good INI file is accepted and its exports
# counted; each kind of mistake is rejected with exit 1 and a message
# naming FILE:LINE (or the export, or the path); a malformed -e is a
# usage error (exit 2).
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir

out="$tmpdir/out"
err="$tmpdir/err"

# check_config STATUS ARGS...: run nbdcached --check-config ARGS,
# which must exit STATUS.
check_config ()
{
    local want=$1 status=0; shift
    $VG "$NBDCACHED" --check-config "$@" >"$out" 2>"$err" || status=$?
    [ "$status" -eq "$want" ] || {
        cat "$out" "$err" >&2
        fail "--check-config $* exited $status, expected $want"
    }
}

# expect_err PATTERN: stderr of the last run matches PATTERN.
expect_err ()
{
    grep -qE -- "$1" "$err" || {
        cat "$err" >&2
        fail "stderr does not match '$1'"
    }
}

good="$tmpdir/good.ini"
cat >"$good" <<'INI'
# A comment.
[daemon]
socket = /nonexistent/nbdcached.sock
threads = 2
pid-file = /nonexistent/nbdcached.pid

[export disk]
uri = nbd+unix:///?socket=/nonexistent/disk.sock
connections = 2
max-in-flight = 16
connect-timeout = 5

[export other]
uri = nbd://localhost/other
INI
check_config 0 -c "$good"
grep -qx "configuration OK: 2 exports" "$out" ||
    fail "good config: unexpected output: $(cat "$out")"

# -e adds to the file's exports.
check_config 0 -c "$good" -e third=nbd://localhost/third
grep -qx "configuration OK: 3 exports" "$out" ||
    fail "config + -e: unexpected output: $(cat "$out")"
check_config 0 -e only=nbd://localhost
grep -qx "configuration OK: 1 export" "$out" ||
    fail "-e only: unexpected output: $(cat "$out")"

# bad_file LINE PATTERN TEXT: a file whose error is on LINE must be
# rejected with "FILE:LINE: ..." matching PATTERN.
n=0
bad_file ()
{
    local line=$1 pattern=$2 text=$3 f
    n=$((n+1))
    f="$tmpdir/bad$n.ini"
    printf '%s\n' "$text" >"$f"
    check_config 1 -c "$f"
    expect_err "$f:$line: .*$pattern"
    [ ! -s "$out" ] || fail "bad config $n: printed '$(cat "$out")'"
}

bad_file 3 'unknown key "bogus"' \
"[daemon]
threads = 1
bogus = 1"
bad_file 4 '\[nosuch\]: unknown section' \
"[export a]
uri = nbd://localhost

[nosuch]
x = 1"
bad_file 3 'unknown key "bogus"' \
"[export a]
uri = nbd://localhost
bogus = 1"
bad_file 3 'connections = 0: must be 1 to 64' \
"[export a]
uri = nbd://localhost
connections = 0"
bad_file 2 'connections = 65: must be 1 to 64' \
"[export a]
connections = 65
uri = nbd://localhost"
bad_file 3 'max-in-flight = 99999: must be 1 to 4096' \
"[export a]
uri = nbd://localhost
max-in-flight = 99999"
bad_file 2 'max-in-flight = -1: must be 1 to 4096' \
"[export a]
max-in-flight = -1"
bad_file 2 'connect-timeout = 0: must be 0.1 to 3600 seconds' \
"[export a]
connect-timeout = 0"
bad_file 3 'max-chunk = 1000: must be 4K to 4G' \
"[export a]
uri = nbd://localhost
max-chunk = 1000"
bad_file 2 'max-chunk = 5G: must be 4K to 4G' \
"[export a]
max-chunk = 5G"
# A size with only a lower bound names it.
bad_file 2 'max-client-output = 1K: must be at least 64K' \
"[daemon]
max-client-output = 1K"
bad_file 2 'max-user-requests = 0: must be 1 to 16777216' \
"[daemon]
max-user-requests = 0"
bad_file 2 'threads = many: must be 0 to 64' \
"[daemon]
threads = many"
# Counts are decimal: a leading 0 is not octal, and hex is refused.
bad_file 2 'connections = 0x2: must be 1 to 64' \
"[export a]
connections = 0x2"
bad_file 2 'connections = \+2: must be 1 to 64' \
"[export a]
connections = +2"
bad_file 2 'threads = -0: must be 0 to 64' \
"[daemon]
threads = -0"
# The socket's mode is octal, with or without its leading 0; a value
# that is no octal mode is refused rather than read in another base.
bad_file 2 'socket-mode = 999: must be an octal mode, 0 to 0777' \
"[daemon]
socket-mode = 999"
bad_file 2 'socket-mode = 1000: must be an octal mode, 0 to 0777' \
"[daemon]
socket-mode = 1000"
bad_file 2 'socket-mode = -0: must be an octal mode, 0 to 0777' \
"[daemon]
socket-mode = -0"
bad_file 1 'export name is empty' \
"[export ]
uri = nbd://localhost"

# Each key once per section; an indented line would continue the
# value above it in inih, which would silently replace the value.
bad_file 3 'connections is set twice \(first on line 2\)' \
"[export a]
connections = 2
connections = 3
uri = nbd://localhost"
bad_file 3 'allow-users is set twice \(first on line 2\)' \
"[export a]
allow-users = root,
  daemon
uri = nbd://localhost"
# Only the first mistake is reported, with its own line.
bad_file 2 'unknown key "bogus"' \
"[export a]
bogus = 1
connections = zz"
bad_file 2 'syntax error' \
"[export a]
this line has no equals sign
connections = zz"
bad_file 1 '"uri" comes before any \[section\]' \
"uri = nbd://localhost
[export a]"
# Lines longer than inih's 200-byte buffer are read whole: a value
# padded past it is still checked, and a long line without "=" is
# still a syntax error, on its own line.
pad="$(printf '%*s' 250 '')"
bad_file 2 'connections = 65: must be 1 to 64' \
"[export a]
connections = $pad 65 $pad ; a comment
uri = nbd://localhost"
bad_file 3 'syntax error' \
"[export a]
uri = nbd://localhost
x$pad x"
bad_file 1 'export name is longer than 255 bytes' \
"[export $(printf 'n%.0s' {1..256})]
uri = nbd://localhost"

# Each kind of value names what it expected.
bad_file 3 'coalesce = maybe: expected true or false' \
"[export a]
uri = nbd://localhost
coalesce = maybe"
bad_file 2 'fallback = sometimes: expected error or read' \
"[export a]
fallback = sometimes
uri = nbd://localhost"
bad_file 2 'tls = on: expected off, allow or require' \
"[export a]
tls = on
uri = nbd://localhost"
bad_file 2 'allow-transports = tcp, pigeon: expected a list of tcp, unix, vsock' \
"[export a]
allow-transports = tcp, pigeon
uri = nbd://localhost"
bad_file 2 'allow-transports = ,: no transport listed' \
"[export a]
allow-transports = ,
uri = nbd://localhost"
bad_file 2 'allow-users = root, nbdc-no-such-user: unknown user' \
"[export a]
allow-users = root, nbdc-no-such-user
uri = nbd://localhost"
bad_file 2 'allow-groups = nbdc-no-such-group: unknown group' \
"[export a]
allow-groups = nbdc-no-such-group
uri = nbd://localhost"
bad_file 2 'socket-owner = nbdc-no-such-user: unknown user' \
"[daemon]
socket-owner = nbdc-no-such-user"
bad_file 2 'socket-group = nbdc-no-such-group: unknown group' \
"[daemon]
socket-group = nbdc-no-such-group"
bad_file 3 '\[daemon\] appears twice' \
"[daemon]
threads = 1
[daemon]
threads = 2"
# And takes every spelling it documents (each value in one file or
# another, cycling through the shorter lists).
bools=(true yes 1 on TRUE false no 0 off Off)
fallbacks=(error read)
tlss=(off allow require)
transports=(tcp unix vsock "tcp, unix, vsock")
spellings="$tmpdir/spellings.ini"
for (( i=0; i < ${#bools[@]}; i++ )); do
    cat > "$spellings" <<INI
[export a]
uri = nbd://localhost
coalesce = ${bools[i]}
fallback = ${fallbacks[i % 2]}
tls = ${tlss[i % 3]}
allow-transports = ${transports[i % 4]}
allow-users = root, 0
allow-groups = root, 0
[daemon]
socket-owner = root
socket-group = 0
INI
    check_config 0 -c "$spellings"
done
# A file without exports is valid (a reload may add them), but warned of.
printf '[daemon]\nthreads = 1\n' > "$tmpdir/none.ini"
check_config 0 -c "$tmpdir/none.ini"
grep -qx "configuration OK: 0 exports" "$out" ||
    fail "no exports: unexpected output: $(cat "$out")"
expect_err 'no exports are configured'

# An empty access list is refused: it would open the export to all.
bad_file 3 'allow-users = : names no user' \
"[export a]
uri = nbd://localhost
allow-users ="
bad_file 2 'allow-groups = , ,: names no group' \
"[export a]
allow-groups = , ,
uri = nbd://localhost"

# An export without a uri, and delays the wrong way round: mistakes
# of a whole section, reported at the section's line.
f="$tmpdir/nouri.ini"
printf '[export first]\nuri = nbd://localhost\n\n[export lonely]\nconnections = 2\n' >"$f"
check_config 1 -c "$f"
expect_err "^nbdcached: warning: $f:4: \\[export lonely\\]: no uri\$"
f="$tmpdir/delays.ini"
printf '[export slow]\nuri = nbd://localhost\nreconnect-delay = 10\nreconnect-max-delay = 1\n' >"$f"
check_config 1 -c "$f"
expect_err "$f:1: \\[export slow\\]: reconnect-max-delay is below reconnect-delay"

# A missing file: exit 1, the path in the message.
check_config 1 -c "$tmpdir/does-not-exist.ini"
expect_err "$tmpdir/does-not-exist.ini"
# A file that opens but cannot be read (a directory): the path and why.
check_config 1 -c "$tmpdir"
expect_err "$tmpdir: reading: Is a directory"

# -e without NAME=URI is a usage error (2).  A name that is taken or
# invalid makes the configuration invalid: nbdcached(8) allows 1 or 2
# for that, but never 0.
check_config 2 -e justaname
expect_err 'justaname: expected NAME=URI'
check_config 2 -e a=
expect_err 'expected NAME=URI'

# check_bad_name PATTERN ARGS...: exit 1 or 2, with PATTERN on stderr.
check_bad_name ()
{
    local pattern=$1 status=0; shift
    $VG "$NBDCACHED" --check-config "$@" >"$out" 2>"$err" || status=$?
    [ $status -eq 1 ] || [ $status -eq 2 ] || {
        cat "$out" "$err" >&2
        fail "--check-config $* exited $status, expected 1 or 2"
    }
    expect_err "$pattern"
}
check_bad_name 'export a: export is defined twice' \
    -e a=nbd://localhost/a -e a=nbd://localhost/b
check_bad_name 'export name is empty' -e =nbd://localhost
