#!/bin/sh
# trace_conformance.sh BIN [DIR] — tracing never changes what a program does:
# for every conformance case, stdout and the exit status with --trace (text
# and JSON) equal those without it.
set -u
BIN=$1
ROOT=${2:-${WITHY_SHARED:-../shared}/conformance}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
for py in "$ROOT"/*/*.py; do
  dir=$(dirname "$py")
  name=$(basename "$py")
  (cd "$dir" && timeout 20 "$BIN" "$name" >"$TMP/plain" 2>/dev/null; echo "status $?" >>"$TMP/plain")
  ok=1
  for fmt in text json; do
    (cd "$dir" && timeout 20 "$BIN" --trace=$fmt --trace-file "$TMP/trace" "$name" >"$TMP/traced" 2>/dev/null
     echo "status $?" >>"$TMP/traced")
    if ! cmp -s "$TMP/plain" "$TMP/traced"; then
      echo "FAIL $py (--trace=$fmt changes stdout or status)"
      diff "$TMP/plain" "$TMP/traced" | head -5
      ok=0
    fi
  done
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "trace-conformance: $pass passed, $fail failed"
[ $fail = 0 ]
