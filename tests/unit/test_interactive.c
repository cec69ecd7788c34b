/* test_interactive.c — the API behind the REPL (withy.h, "interactive
** use"): wy_source_status decides like python3's REPL whether the lines
** typed so far are complete; wy_run_interactive runs them in 'single'
** mode (values echoed with repr, kept in _); wy_eval and wy_main_globals
** serve tab completion. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "withy.h"

static const char *const complete_inputs[] = {
  "x = 1\n", "", "\n", "# only a comment\n", "   \n", "1; 2\n",
  "x = (1,\n2)\n", "if x:\n    pass\n\n", "for i in range(3): i\n\n",
  "@dec\ndef f():\n    pass\n\n", "try:\n    pass\nfinally:\n    pass\n\n",
  "'''a\n\nb'''\n", "x = 1 + \\\n2\n", NULL};

static const char *const incomplete_inputs[] = {
  "if x:\n", "if x:\n    pass\n", "if x: pass\n", "x = (1,\n", "x = (1,\n\n",
  "'''abc\n", "'''abc\n\n", "x = 1 + \\\n", "def f():\n", "@dec\n",
  "try:\n    pass\n", "try:\n    pass\nexcept E:\n    pass\n", "with open('f') as f:\n",
  "with a() as x, b() as y:\n    pass\n", "class A:\n    x = 1\n",
  "async def f():\n", "if x:\n    pass\n    \n", "if x:\n    pass\n# more to come\n",
  "while True:\n    pass\nelse:\n", NULL};

static const char *const error_inputs[] = {
  "x = = 1\n", "if x:\n\n", "  1\n", "if x:\n    pass\nx = 3\n", "1 +\n",
  "@dec\n\n", "'abc\n", "def f():\n\n", NULL};

START_TEST(source_status_decides_like_python) {
  wy_State *W = wy_open();
  ck_assert_ptr_nonnull(W);
  for (int i = 0; complete_inputs[i]; i++)
    ck_assert_msg(wy_source_status(W, complete_inputs[i]) == WY_SOURCE_COMPLETE, "complete: %s", complete_inputs[i]);
  for (int i = 0; incomplete_inputs[i]; i++)
    ck_assert_msg(wy_source_status(W, incomplete_inputs[i]) == WY_SOURCE_INCOMPLETE, "incomplete: %s",
                  incomplete_inputs[i]);
  for (int i = 0; error_inputs[i]; i++)
    ck_assert_msg(wy_source_status(W, error_inputs[i]) == WY_SOURCE_ERROR, "error: %s", error_inputs[i]);
  ck_assert(!wy_error_pending(W));
  wy_close(W);
}
END_TEST

/* sys.stdout replaced by a StringIO kept in __main__ as `out` */
static void capture_stdout(wy_State *W) {
  ck_assert_int_eq(wy_run_string(W, "import sys, io\nout = io.StringIO()\nsys.stdout = out\n", "<test>"), WY_OK);
}

static const char *captured(wy_State *W) {
  wy_Value text = wy_eval(W, "out.getvalue()");
  ck_assert(!wy_is_error(text));
  return wy_to_str(W, text, NULL);
}

START_TEST(run_interactive_echoes_values) {
  wy_State *W = wy_open();
  ck_assert_ptr_nonnull(W);
  capture_stdout(W);
  ck_assert_int_eq(wy_run_interactive(W, "6 * 7\n", "<stdin>"), WY_OK);
  ck_assert_int_eq(wy_run_interactive(W, "None\n", "<stdin>"), WY_OK);       /* not echoed */
  ck_assert_int_eq(wy_run_interactive(W, "x = 'set'\n", "<stdin>"), WY_OK);  /* not echoed */
  ck_assert_int_eq(wy_run_interactive(W, "x\n", "<stdin>"), WY_OK);
  ck_assert_int_eq(wy_run_interactive(W, "1; 2\n", "<stdin>"), WY_OK);
  ck_assert_int_eq(wy_run_interactive(W, "for i in range(2): i\n\n", "<stdin>"), WY_OK);
  ck_assert_int_eq(wy_run_interactive(W, "def f():\n    'not echoed'\n    5\n\n", "<stdin>"), WY_OK);
  ck_assert_int_eq(wy_run_interactive(W, "f()\n", "<stdin>"), WY_OK);       /* None */
  ck_assert_str_eq(captured(W), "42\n'set'\n1\n2\n0\n1\n");
  wy_close(W);
}
END_TEST

START_TEST(underscore_keeps_the_last_value) {
  wy_State *W = wy_open();
  ck_assert_ptr_nonnull(W);
  capture_stdout(W);
  ck_assert_int_eq(wy_run_interactive(W, "[1, 2]\n", "<stdin>"), WY_OK);
  ck_assert_int_eq(wy_run_interactive(W, "None\n", "<stdin>"), WY_OK);
  ck_assert_int_eq(wy_run_interactive(W, "_ + [3]\n", "<stdin>"), WY_OK);
  ck_assert_str_eq(captured(W), "[1, 2]\n[1, 2, 3]\n");
  /* _ lives in builtins, as sys.displayhook puts it, not in __main__ */
  wy_Value g = wy_main_globals(W);
  ck_assert(wy_is_error(wy_dict_get(W, g, "_")));
  ck_assert(!wy_error_pending(W));
  wy_close(W);
}
END_TEST

START_TEST(errors_leave_the_session_intact) {
  wy_State *W = wy_open();
  ck_assert_ptr_nonnull(W);
  ck_assert_int_eq(wy_run_interactive(W, "kept = 41\n", "<stdin>"), WY_OK);
  ck_assert_int_eq(wy_run_interactive(W, "kept += 1\n1 / 0\n", "<stdin>"), WY_ERROR);
  ck_assert(wy_error_matches(W, "SyntaxError"));   /* two statements: not one */
  wy_clear_error(W);
  ck_assert_int_eq(wy_run_interactive(W, "kept += 1; 1 / 0\n", "<stdin>"), WY_ERROR);
  ck_assert(wy_error_matches(W, "ZeroDivisionError"));
  wy_clear_error(W);
  ck_assert_int_eq(wy_run_interactive(W, "x = = 1\n", "<stdin>"), WY_ERROR);
  ck_assert(wy_error_matches(W, "SyntaxError"));
  wy_clear_error(W);
  int64_t kept = 0;
  ck_assert_int_eq(wy_to_int(W, wy_eval(W, "kept"), &kept), 0);
  ck_assert_int_eq(kept, 42);
  /* SystemExit ends the session with its status */
  ck_assert_int_eq(wy_run_interactive(W, "import sys\nsys.exit(kept - 39)\n", "<stdin>"), WY_ERROR);
  wy_clear_error(W);
  ck_assert_int_eq(wy_run_interactive(W, "import sys; sys.exit(kept - 39)\n", "<stdin>"), WY_EXIT);
  ck_assert_int_eq(wy_exit_status(W), 3);
  wy_close(W);
}
END_TEST

START_TEST(eval_and_globals_for_completion) {
  wy_State *W = wy_open();
  ck_assert_ptr_nonnull(W);
  wy_Value g = wy_main_globals(W);
  ck_assert(!wy_is_error(g));
  ck_assert_int_eq(wy_run_interactive(W, "name = 'withy'\n", "<stdin>"), WY_OK);
  wy_Value v = wy_dict_get(W, g, "name");
  ck_assert_str_eq(wy_to_str(W, v, NULL), "withy");
  v = wy_eval(W, "name.upper()");
  ck_assert_str_eq(wy_to_str(W, v, NULL), "WITHY");
  ck_assert(wy_is_error(wy_eval(W, "undefined_name")));
  ck_assert(wy_error_matches(W, "NameError"));
  wy_clear_error(W);
  ck_assert(wy_is_error(wy_eval(W, "x = 1")));
  ck_assert(wy_error_matches(W, "SyntaxError"));
  wy_clear_error(W);
  /* the same __main__ as wy_run_string's */
  ck_assert_int_eq(wy_run_string(W, "from_script = 1\n", "<test>"), WY_OK);
  ck_assert(!wy_is_error(wy_eval(W, "from_script + 1")));
  wy_close(W);
}
END_TEST

Suite *interactive_suite(void) {
  Suite *s = suite_create("interactive");
  TCase *tc = tcase_create("repl-api");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, source_status_decides_like_python);
  tcase_add_test(tc, run_interactive_echoes_values);
  tcase_add_test(tc, underscore_keeps_the_last_value);
  tcase_add_test(tc, errors_leave_the_session_intact);
  tcase_add_test(tc, eval_and_globals_for_completion);
  suite_add_tcase(s, tc);
  return s;
}
