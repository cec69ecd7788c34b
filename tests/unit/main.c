/* main.c — runs every Check suite of tests/unit. Each test file defines
** `Suite *NAME_suite(void)`; the Makefile collects the names into
** suites.inc (one X(NAME) per suite). */
#include <check.h>
#include <stdlib.h>

#define X(name) Suite *name##_suite(void);
#include "suites.inc"
#undef X

int main(void) {
  SRunner *runner = srunner_create(NULL);
#define X(name) srunner_add_suite(runner, name##_suite());
#include "suites.inc"
#undef X
  srunner_run_all(runner, CK_ENV);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
