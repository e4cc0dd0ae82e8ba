#!/usr/bin/env python3
# jq.py EXPR: read JSON on stdin, bind it to "j", evaluate the Python
# expression EXPR and print the result: strings bare, everything else
# as JSON (so booleans print as true/false).  A tiny stand-in for jq(1)
# in the shell tests.
#
#   ctl exports --json | python3 "$abs_srcdir/jq.py" 'j[0]["state"]'

import json
import sys

j = json.load(sys.stdin)
v = eval(sys.argv[1], {"j": j})
print(v if isinstance(v, str) else json.dumps(v))
