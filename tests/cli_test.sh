#!/bin/sh
# cli_test.sh — the `withy` command line: options, -c, -, piped stdin,
# sys.argv, exit statuses, error messages on stderr and their order.
# Usage: tests/cli_test.sh [path/to/withy]   (default: ./withy)
# Prints "N passed, N failed"; exits non-zero when a check fails.

WITHY=${1:-./withy}
case $WITHY in /*) ;; *) WITHY=$(pwd)/$WITHY ;; esac
SCRIPTS=$(cd "$(dirname "$0")/scripts" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

# check NAME EXPECTED_STATUS EXPECTED_STDOUT EXPECTED_STDERR -- COMMAND…
# (the command runs through sh -c with its stdout/stderr captured)
check() {
  name=$1 want_status=$2 want_out=$3 want_err=$4
  shift 4
  sh -c "$*" >"$TMP/out" 2>"$TMP/err"
  status=$?
  printf '%s' "$want_out" >"$TMP/want_out"
  printf '%s' "$want_err" >"$TMP/want_err"
  if [ "$status" = "$want_status" ] && cmp -s "$TMP/out" "$TMP/want_out" &&
     cmp -s "$TMP/err" "$TMP/want_err"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name"
    echo "  command: $*"
    echo "  status: $status (want $want_status)"
    echo "  stdout:"; sed 's/^/    /' "$TMP/out"
    echo "  want stdout:"; sed 's/^/    /' "$TMP/want_out"
    echo "  stderr:"; sed 's/^/    /' "$TMP/err"
    echo "  want stderr:"; sed 's/^/    /' "$TMP/want_err"
  fi
}

NL='
'
USAGE="usage: withy [option] ... [-c cmd | file | -] [arg] ...${NL}Try \`withy -h' for more information.${NL}"

check "--version" 0 "withy 0.1.0$NL" "" "$WITHY --version"
check "-V" 0 "withy 0.1.0$NL" "" "$WITHY -V"
check "-h prints usage" 0 "usage: withy [option] ... [-c cmd | file | -] [arg] ...$NL" "" \
  "$WITHY -h | head -n 1"
check "--help exits 0" 0 "" "" "$WITHY --help >/dev/null"
check "unknown option" 2 "" "withy: unknown option -x$NL$USAGE" "$WITHY -x"
check "unknown long option" 2 "" "withy: unknown option --bogus$NL$USAGE" "$WITHY --bogus"
check "--trace=bogus" 2 "" "withy: unknown trace format in --trace=bogus (text or json)$NL$USAGE" "$WITHY --trace=bogus"
check "--trace-file needs a path" 2 "" "withy: option --trace-file needs a PATH$NL$USAGE" "$WITHY --trace-file"
check "--trace on stderr, stdout untouched" 0 "1$NL" \
  "<string>:2: with <suppress object>$NL<string>:2: <suppress object>.__enter__()$NL<string>:2: -> returned None$NL<string>:2: | body finished normally$NL<string>:2: <suppress object>.__exit__(None, None, None)$NL<string>:2: -> returned False$NL" \
  "LC_ALL=C $WITHY --trace -c 'import contextlib
with contextlib.suppress(): print(1)'"
check "--trace=json --trace-file" 0 "" "" \
  "$WITHY --trace=json --trace-file $TMP/t.json -c 'import contextlib
with contextlib.nullcontext(): pass' && python3 $(dirname "$0")/trace_json_check.py $TMP/t.json"
check "--trace-file that cannot be opened" 2 "" \
  "withy: can't open trace file '/nonexistent/t': [Errno 2] No such file or directory$NL" \
  "$WITHY --trace-file /nonexistent/t -c pass"
check "-c without its argument" 2 "" "Argument expected for the -c option$NL$USAGE" "$WITHY -c"

check "-c runs code" 0 "3$NL" "" "$WITHY -c 'print(1 + 2)'"
check "-c sys.argv" 0 "['-c', 'a', '-x']$NL" "" "$WITHY -c 'import sys; print(sys.argv)' a -x"
check "-cCODE in one word" 0 "ok$NL" "" "$WITHY \"-cprint('ok')\""
check "piped stdin" 0 "2$NL['']$NL" "" \
  "printf 'import sys\nprint(1 + 1)\nprint(sys.argv)\n' | $WITHY"
check "- reads stdin" 0 "['-', 'q', 'r']$NL" "" \
  "echo 'import sys; print(sys.argv)' | $WITHY - q r"
check "stdin program is <stdin>" 1 "" \
  "Traceback (most recent call last):$NL  File \"<stdin>\", line 1, in <module>${NL}ZeroDivisionError: division by zero$NL" \
  "echo '1 / 0' | $WITHY -"

printf 'import sys\nprint(sys.argv[1:])\n' >"$TMP/args.wy"
check "script arguments" 0 "['one', '-x', '--two']$NL" "" "$WITHY $TMP/args.wy one -x --two"
check "-- ends the options" 0 "[]$NL" "" "$WITHY -- $TMP/args.wy"

check "missing file" 2 "" \
  "withy: can't open file '$TMP/nope.wy': [Errno 2] No such file or directory$NL" \
  "cd $TMP && $WITHY nope.wy"
check "missing file, absolute" 2 "" \
  "withy: can't open file '/no/such/dir/x.wy': [Errno 2] No such file or directory$NL" \
  "$WITHY /no/such/dir/x.wy"
check "a directory is not a script" 2 "" \
  "withy: can't open file '$TMP': [Errno 21] Is a directory$NL" "$WITHY $TMP"

check "exit status of an exception" 1 "" \
  "Traceback (most recent call last):$NL  File \"<string>\", line 1, in <module>${NL}ZeroDivisionError: division by zero$NL" \
  "$WITHY -c '1 / 0'"
check "stdout comes before the traceback" 1 \
  "out${NL}Traceback (most recent call last):$NL  File \"<string>\", line 1, in <module>${NL}ValueError: v$NL" "" \
  "$WITHY -c 'print(\"out\"); raise ValueError(\"v\")' 2>&1"
check "sys.exit()" 0 "" "" "$WITHY -c 'import sys; sys.exit()'"
check "sys.exit(None)" 0 "" "" "$WITHY -c 'import sys; sys.exit(None)'"
check "sys.exit(3)" 3 "" "" "$WITHY -c 'import sys; sys.exit(3)'"
check "sys.exit(-1)" 255 "" "" "$WITHY -c 'import sys; sys.exit(-1)'"
check "sys.exit(256)" 0 "" "" "$WITHY -c 'import sys; sys.exit(256)'"
check "sys.exit(True)" 1 "" "" "$WITHY -c 'import sys; sys.exit(True)'"
check "sys.exit('msg')" 1 "before$NL" "msg$NL" "$WITHY -c 'import sys; print(\"before\"); sys.exit(\"msg\")'"
check "raise SystemExit(4)" 4 "" "" "$WITHY -c 'raise SystemExit(4)'"
check "KeyboardInterrupt dies of SIGINT" 130 "" \
  "Traceback (most recent call last):$NL  File \"<string>\", line 1, in <module>${NL}KeyboardInterrupt$NL" \
  "$WITHY -c 'raise KeyboardInterrupt'"

check "modules beside the script, from elsewhere" 0 "42 hello from lesson_helper$NL" "" \
  "cd / && $WITHY $SCRIPTS/import_user.wy | sed -n 3p"
check "-c imports from the current directory" 0 "lesson_helper: loading as lesson_helper$NL" "" \
  "cd $SCRIPTS && $WITHY -c 'import lesson_helper'"
check "stdin imports from the current directory" 0 "lesson_helper: loading as lesson_helper$NL" "" \
  "cd $SCRIPTS && echo 'import lesson_helper' | $WITHY"
printf 'print("from .py")\n' >"$TMP/pymod.py"
printf 'import pymod\n' >"$TMP/main.wy"
check ".py modules are found too" 0 "from .py$NL" "" "$WITHY $TMP/main.wy"
printf 'print("the .wy wins")\n' >"$TMP/pymod.wy"
check ".wy before .py" 0 "the .wy wins$NL" "" "$WITHY $TMP/main.wy"
check "-c: sys.path[0] is the current directory, made absolute" 0 "True$NL" "" \
  "cd / && $WITHY -c 'import sys, os; print(sys.path[0] == os.getcwd())'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
