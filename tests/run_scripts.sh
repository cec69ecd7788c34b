#!/usr/bin/env bash
# Golden script tests: for each DIR/NAME.wy (DIR defaults to tests/scripts),
# run `withy NAME.wy` from DIR and compare stdout with NAME.out, stderr with NAME.err
# (when present) and the exit status with NAME.status (default 0).
# Helper modules imported by tests are named *_helper.wy and are not run.
# Ends with "N passed, N failed"; exits 1 on any failure.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(cd "${2:-$(dirname "$0")/scripts}" && pwd)
label_dir=$(basename "$dir")
label=${WITHY_GC_STRESS:+ (WITHY_GC_STRESS=1)}
pass=0 fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for wy in "$dir"/*.wy; do
  name=$(basename "$wy" .wy)
  case "$name" in *_helper) continue ;; esac
  want_status=0; [ -f "$dir/$name.status" ] && want_status=$(cat "$dir/$name.status")
  args=(); [ -f "$dir/$name.args" ] && read -r -a args < "$dir/$name.args"
  (cd "$dir" && timeout 60 "$bin" "$name.wy" "${args[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null)
  status=$?
  # tracebacks name the script by its absolute path, as CPython does; the
  # golden files are made in this directory with that prefix removed
  sed -i "s|$dir/||g" "$tmp/err"
  why=""
  if [ -f "$dir/$name.out" ] && ! cmp -s "$tmp/out" "$dir/$name.out"; then why="stdout differs"; fi
  if [ -z "$why" ] && [ -f "$dir/$name.err" ] && ! cmp -s "$tmp/err" "$dir/$name.err"; then why="stderr differs"; fi
  if [ -z "$why" ] && [ "$status" != "$want_status" ]; then why="exit status $status, expected $want_status"; fi
  if [ -z "$why" ]; then pass=$((pass+1)); continue; fi
  fail=$((fail+1))
  echo "FAIL $label_dir/$name.wy$label ($why)"
  if [ "$why" = "stdout differs" ]; then diff -u "$dir/$name.out" "$tmp/out" | head -20 | sed 's/^/    /'; fi
  if [ "$why" = "stderr differs" ]; then diff -u "$dir/$name.err" "$tmp/err" | head -20 | sed 's/^/    /'; fi
  [ "$why" != "stderr differs" ] && head -5 "$tmp/err" | sed 's/^/    stderr: /'
done
echo "$label_dir$label: $pass passed, $fail failed"
[ $fail -eq 0 ]
