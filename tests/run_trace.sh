#!/bin/sh
# run_trace.sh BIN — the trace goldens in tests/trace/:
#   NAME.py     a script (valid Python 3.11)
#   NAME.out    its stdout under CPython 3.11: withy --trace must print the same
#   NAME.trace  withy's text trace (UTF-8 locale), checked by hand when made
# and, for every script, the JSON-lines trace must parse and carry exactly
# the documented fields (tests/trace_json_check.py).
# WITHY_TRACE_UPDATE=1 rewrites the .trace files (then review the diff).
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DIR=$(cd "$(dirname "$0")" && pwd)/trace
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
for py in "$DIR"/*.py; do
  name=$(basename "$py" .py)
  ok=1
  # run from the script's directory so file names in the trace are stable
  (cd "$DIR" && LC_ALL=C.UTF-8 NO_COLOR=1 "$BIN" --trace-file "$TMP/$name.trace" "$name.py" >"$TMP/$name.stdout" 2>"$TMP/$name.stderr")
  if ! cmp -s "$TMP/$name.stdout" "$DIR/$name.out"; then
    echo "FAIL $name: stdout differs from CPython's"
    diff "$DIR/$name.out" "$TMP/$name.stdout" | head -10
    ok=0
  fi
  if [ "${WITHY_TRACE_UPDATE:-0}" = 1 ]; then
    cp "$TMP/$name.trace" "$DIR/$name.trace"
  elif ! cmp -s "$TMP/$name.trace" "$DIR/$name.trace"; then
    echo "FAIL $name: trace differs"
    diff "$DIR/$name.trace" "$TMP/$name.trace" | head -20
    ok=0
  fi
  (cd "$DIR" && "$BIN" --trace=json --trace-file "$TMP/$name.json" "$name.py" >/dev/null 2>&1)
  if ! python3 "$(dirname "$0")/trace_json_check.py" "$TMP/$name.json"; then
    echo "FAIL $name: JSON trace"
    ok=0
  fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "trace: $pass passed, $fail failed"
[ $fail = 0 ]
