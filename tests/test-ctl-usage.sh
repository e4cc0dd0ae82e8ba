#!/usr/bin/env bash
# nbdcachectl's arguments, command by command, from one table: --help
# anywhere prints the command's help and exits 0; a missing or extra
# operand, an unknown option or a bad value is a usage error: exit 2,
# nothing on stdout, and on stderr exactly one line naming what is
# wrong, then the hint to --help.  No daemon is needed: the socket does
# not exist, so a command that got past its arguments would exit 1.
source "$abs_srcdir/functions.sh"
set -e
make_tmpdir

nosock="$tmpdir/no-daemon.sock"
out="$tmpdir/out"
err="$tmpdir/err"

# check STATUS MESSAGE ARGS...: nbdcachectl ARGS exits STATUS.  For 0,
# stdout starts with the Usage line of the command (ARGS[0]) and stderr
# is empty.  For 2, stdout is empty and stderr is two lines: the first
# "nbdcachectl: COMMAND: MESSAGE" (MESSAGE a fixed string), the second
# the hint to "nbdcachectl COMMAND --help".
check ()
{
    local want=$1 message=$2 cmd=$3
    shift 2
    expect_status "$want" "nbdcachectl $*" \
        $VG "$NBDCACHECTL" -s "$nosock" "$@" < /dev/null
    case "$want" in
    0)
        head -n1 "$out" | grep -q "^Usage: nbdcachectl .* $cmd" ||
            fail "nbdcachectl $*: no Usage line of $cmd"
        [ ! -s "$err" ] || fail "nbdcachectl $*: wrote to stderr"
        ;;
    2)
        [ ! -s "$out" ] || fail "nbdcachectl $*: wrote to stdout"
        [ "$(wc -l < "$err")" -eq 2 ] ||
            fail "nbdcachectl $*: not one error line and the hint"
        [ "$(head -n1 "$err")" = "nbdcachectl: $cmd: $message" ] ||
            fail "nbdcachectl $*: expected 'nbdcachectl: $cmd: $message'"
        [ "$(tail -n1 "$err")" = \
          "Try 'nbdcachectl $cmd --help' for more information." ] ||
            fail "nbdcachectl $*: no hint to $cmd --help"
        ;;
    esac
}

# The table: STATUS | MESSAGE (for 2) | ARGS, the arguments in shell
# quoting.  A "-1" is an operand wherever it is (so its command says
# what is wrong with it), and --help after it still helps.
while IFS='|' read -r status message args; do
    status=$(echo $status)
    [ -n "$status" ] && [ "${status:0:1}" != "#" ] || continue
    message="$(echo "$message" | sed 's/^ *//; s/ *$//')"
    eval "argv=($args)"
    check "$status" "$message" "${argv[@]}"
done <<'EOF'
# --help, wherever it is and whatever else is wrong
0 | | exports --help
0 | | exports extra --json --help
0 | | cache --help
0 | | cache disk 0 -1 --help
0 | | cache disk -1 --help
0 | | cache disk 0 1x 5 -h
0 | | warm --help
0 | | warm disk --in-flight=-1 --help
0 | | warm disk --in-flight 0x10 --request-size 1x --help
0 | | warm --manifest '' --help
0 | | stats --help
0 | | stats --json --prometheus --help
0 | | clients --help
0 | | pause -1 --help
0 | | resume --help
0 | | reload extra --help
# a missing operand
2 | missing EXPORT, or --manifest FILE | warm
2 | missing EXPORT, or --manifest FILE | warm --no-progress
2 | missing EXPORT | cache
2 | missing OFFSET | cache disk
2 | missing COUNT | cache disk 0
2 | missing EXPORT | pause
2 | missing EXPORT | resume
# an extra operand, "-1" too
2 | unexpected argument 'extra' | exports extra
2 | unexpected argument '-1' | exports -1
2 | unexpected argument 'extra' | stats --json extra
2 | unexpected argument '-1' | clients -1
2 | unexpected argument '2' | cache disk 0 1 2
2 | unexpected argument '-1' | cache disk 0 1 -1
2 | unexpected argument 'b' | warm a b
2 | unexpected argument '-1' | warm disk -1
2 | --manifest replaces EXPORT: unexpected 'disk' | warm --manifest m disk
2 | unexpected argument 'b' | pause a b
2 | unexpected argument 'b' | resume a b
2 | unexpected argument 'extra' | reload extra
2 | unexpected argument '-1' | reload -1
2 | unexpected argument '--help' | reload -- --help
# an unknown option, or a missing or unwanted value
2 | unrecognized option '--frob' | exports --frob
2 | invalid option -- 'x' | cache disk 0 5 -x
2 | option '--in-flight' requires an argument | warm disk --in-flight
2 | option '--json' doesn't allow an argument | stats --json=1
2 | --json and --prometheus are mutually exclusive | stats --json --prometheus
2 | --manifest: the file name is empty | warm --manifest ''
# an empty EXPORT, which no export is called
2 | EXPORT must not be empty | cache '' 0 1
2 | EXPORT must not be empty | warm ''
2 | EXPORT must not be empty | pause ''
2 | EXPORT must not be empty | resume ''
# bad numbers: empty, "1x", "-1", "0x10", 2^64
2 | OFFSET '': not a number | cache disk '' 1
2 | OFFSET '1x': unknown suffix (use K, M, G, T, P or E) | cache disk 1x 1
2 | OFFSET '-1': must not be negative | cache disk -1 1
2 | OFFSET '0x10': unknown suffix (use K, M, G, T, P or E) | cache disk 0x10 1
2 | OFFSET '18446744073709551616': too large | cache disk 18446744073709551616 1
2 | COUNT '': not a number | cache disk 0 ''
2 | COUNT '1x': unknown suffix (use K, M, G, T, P or E) | cache disk 0 1x
2 | COUNT '-1': must not be negative | cache disk 0 -1
2 | COUNT '0x10': unknown suffix (use K, M, G, T, P or E) | cache disk 0 0x10
2 | COUNT '18446744073709551616': too large | cache disk 0 18446744073709551616
2 | --in-flight '': expected a number from 1 to 1024 | warm disk --in-flight ''
2 | --in-flight '1x': expected a number from 1 to 1024 | warm disk --in-flight 1x
2 | --in-flight '-1': expected a number from 1 to 1024 | warm disk --in-flight -1
2 | --in-flight '-1': expected a number from 1 to 1024 | warm disk --in-flight=-1
2 | --in-flight '0x10': expected a number from 1 to 1024 | warm disk --in-flight 0x10
2 | --in-flight '18446744073709551616': expected a number from 1 to 1024 | warm disk --in-flight 18446744073709551616
2 | --request-size '': not a number | warm disk --request-size ''
2 | --request-size '1x': unknown suffix (use K, M, G, T, P or E) | warm disk --request-size 1x
2 | --request-size '-1': must not be negative | warm disk --request-size -1
2 | --request-size '0x10': unknown suffix (use K, M, G, T, P or E) | warm disk --request-size 0x10
2 | --request-size '18446744073709551616': too large | warm disk --request-size 18446744073709551616
2 | --request-size '0': must not be 0 | warm disk --request-size 0
EOF

# Arguments that are right get as far as connecting (exit 1), in any
# order, and "--" makes an operand of what would be an option.
for args in "cache disk 0 1" "cache -- disk 0 1" "warm --no-progress disk" \
            "warm disk --in-flight 010" "warm -- -1" "pause -- -x"; do
    expect_status 1 "nbdcachectl $args" \
        $VG "$NBDCACHECTL" -s "$nosock" $args
    grep -q "nbdcache_connect: .*No such file" "$err" ||
        fail "nbdcachectl $args: did not try to connect"
done
