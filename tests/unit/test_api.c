/* test_api.c — the embedding API (withy.h) from the host's side: running
** code, reading results, C functions and modules, C classes as context
** managers, errors in both directions, SystemExit, pinning. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "withy.h"

static wy_Value main_attr(wy_State *W, const char *name) {
  wy_Value m = wy_import(W, "__main__");
  return wy_getattr(W, m, name);
}

START_TEST(run_string_and_read_result) {
  wy_State *W = wy_open();
  ck_assert_ptr_nonnull(W);
  ck_assert_int_eq(wy_run_string(W, "x = 6 * 7\ns = 'wi' + 'thy'\n", "<test>"), WY_OK);
  int64_t x = 0;
  ck_assert_int_eq(wy_to_int(W, main_attr(W, "x"), &x), 0);
  ck_assert_int_eq(x, 42);
  size_t len = 0;
  const char *s = wy_to_str(W, main_attr(W, "s"), &len);
  ck_assert_str_eq(s, "withy");
  ck_assert_uint_eq(len, 5);
  wy_close(W);
}
END_TEST

static wy_Value c_add(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  int64_t a, b;
  if (argc != 2) return wy_raise(W, "TypeError", "add() takes 2 arguments (%d given)", argc);
  if (wy_to_int(W, argv[0], &a) < 0 || wy_to_int(W, argv[1], &b) < 0) return wy_error();
  return wy_int(a + b + (int64_t)(intptr_t)ud);
}

/* a C context manager that records what its exit saw */
typedef struct Probe { int enters, exits; char exc_type[64]; } Probe;

static wy_Value probe_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  ((Probe *)ud)->enters++;
  return argv[0];
}

static wy_Value probe_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  Probe *p = ud;
  p->exits++;
  if (argc == 4 && !wy_is_none(argv[1])) {
    wy_Value name = wy_getattr(W, argv[1], "__name__");
    const char *n = wy_to_str(W, name, NULL);
    snprintf(p->exc_type, sizeof p->exc_type, "%s", n ? n : "?");
  }
  return wy_bool(true); /* suppress */
}

static Probe probe;

static int init_hostmod(wy_State *W, wy_Value m) {
  static const wy_Method methods[] = {{"__enter__", probe_enter}, {"__exit__", probe_exit}, {NULL, NULL}};
  if (wy_def(W, m, "add", c_add, (void *)(intptr_t)1000) < 0) return -1;
  wy_Value cls = wy_class(W, "Probe", wy_none(), methods, &probe);
  if (wy_is_error(cls)) return -1;
  return wy_module_set(W, m, "Probe", cls);
}

START_TEST(c_module_function_and_context_manager) {
  wy_State *W = wy_open();
  memset(&probe, 0, sizeof probe);
  ck_assert_int_eq(wy_register_module(W, "hostmod", init_hostmod), 0);
  const char *src =
      "import hostmod\n"
      "r = hostmod.add(2, 3)\n"
      "with hostmod.Probe() as p:\n"
      "    raise KeyError('k')\n"
      "after = 'reached'\n"
      "try:\n"
      "    hostmod.add(1)\n"
      "except TypeError as e:\n"
      "    msg = str(e)\n";
  int rc = wy_run_string(W, src, "<test>");
  if (rc != WY_OK) wy_print_error(W);
  ck_assert_int_eq(rc, WY_OK);
  int64_t r = 0;
  wy_to_int(W, main_attr(W, "r"), &r);
  ck_assert_int_eq(r, 1005);
  ck_assert_int_eq(probe.enters, 1);
  ck_assert_int_eq(probe.exits, 1);
  ck_assert_str_eq(probe.exc_type, "KeyError");
  ck_assert_str_eq(wy_to_str(W, main_attr(W, "after"), NULL), "reached");
  ck_assert_str_eq(wy_to_str(W, main_attr(W, "msg"), NULL), "add() takes 2 arguments (1 given)");
  wy_close(W);
}
END_TEST

START_TEST(errors_reach_the_host) {
  wy_State *W = wy_open();
  ck_assert_int_eq(wy_run_string(W, "x = (1,\n", "<test>"), WY_ERROR);
  ck_assert(wy_error_matches(W, "SyntaxError"));
  wy_clear_error(W);
  ck_assert_int_eq(wy_run_string(W, "{}['missing']\n", "<test>"), WY_ERROR);
  ck_assert(wy_error_matches(W, "KeyError"));
  ck_assert(wy_error_matches(W, "LookupError"));
  wy_Value e = wy_fetch_error(W);
  ck_assert(!wy_error_pending(W));
  ck_assert_str_eq(wy_to_str(W, wy_repr(W, e), NULL), "KeyError('missing')");
  wy_close(W);
}
END_TEST

START_TEST(system_exit_status) {
  wy_State *W = wy_open();
  ck_assert_int_eq(wy_run_string(W, "import sys\nsys.exit(3)\n", "<test>"), WY_EXIT);
  ck_assert_int_eq(wy_exit_status(W), 3);
  wy_close(W);
}
END_TEST

START_TEST(pinned_value_survives_collection) {
  wy_State *W = wy_open();
  ck_assert_int_eq(wy_run_string(W, "keep = ['a', 'b'] * 3\n", "<test>"), WY_OK);
  wy_Pin *pin = wy_pin(W, main_attr(W, "keep"));
  ck_assert_int_eq(wy_run_string(W, "del keep\njunk = [[i] for i in range(20000)]\n", "<test>"), WY_OK);
  ck_assert_int_eq(wy_len(W, wy_pinned(pin)), 6);
  wy_unpin(W, pin);
  wy_close(W);
}
END_TEST

START_TEST(memory_limit_gives_memory_error) {
  wy_State *W = wy_open();
  wy_set_memory_limit(W, 64u << 20);
  ck_assert_int_eq(wy_run_string(W, "x = [0] * (1 << 30)\n", "<test>"), WY_ERROR);
  ck_assert(wy_error_matches(W, "MemoryError"));
  wy_clear_error(W);
  ck_assert_int_eq(wy_run_string(W, "y = [0] * 10\n", "<test>"), WY_OK);
  wy_close(W);
}
END_TEST

static wy_Value closure_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value items[2] = {wy_closure_data(W), wy_int(argc)};
  return wy_tuple(W, 2, items);
}

static int init_closmod(wy_State *W, wy_Value m) {
  wy_Value f = wy_closure(W, "tagged", closure_fn, wy_str(W, "payload"));
  if (wy_is_error(f)) return -1;
  return wy_module_set(W, m, "tagged", f);
}

/* a class keeping a counter in slot 0: Box().bump() returns 1, 2, … */
static wy_Value box_bump(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  int n;
  wy_Value *slots = wy_slots(W, argv[0], &n);
  if (!slots) return wy_error();
  int64_t count = 0;
  if (!wy_is_error(slots[0]) && wy_to_int(W, slots[0], &count) < 0) return wy_error();
  slots[0] = wy_int(count + 1);
  slots[1] = wy_list(W);   /* an object held only by the slot */
  return slots[0];
}

START_TEST(slots_hold_values_the_collector_keeps) {
  wy_State *W = wy_open();
  static const wy_Method methods[] = {{"bump", box_bump}, {NULL, NULL}};
  wy_Value cls = wy_class(W, "Box", wy_none(), methods, NULL);
  ck_assert_int_eq(wy_class_slots(W, cls, 2), 0);
  ck_assert_int_eq(wy_set_builtin(W, "Box", cls), 0);
  ck_assert_int_eq(wy_run_string(W,
      "class Sub(Box): pass\n"
      "b = Sub()\n"
      "junk = [[i] for i in range(200000)]\n"   /* forces collections */
      "r = (b.bump(), b.bump(), b.bump())\n", "<test>"), WY_OK);
  wy_Value b = main_attr(W, "b"), v;
  ck_assert_int_eq(wy_get_slot(W, b, 0, &v), 1);
  int64_t count = 0;
  ck_assert_int_eq(wy_to_int(W, v, &count), 0);
  ck_assert_int_eq(count, 3);
  ck_assert_int_eq(wy_get_slot(W, b, 1, &v), 1);
  ck_assert_int_eq(wy_len(W, v), 0);
  ck_assert_int_eq(wy_get_slot(W, b, 2, &v), -1);   /* out of range */
  ck_assert(wy_error_matches(W, "IndexError"));
  wy_clear_error(W);
  ck_assert_int_eq(wy_set_slot(W, b, 0, wy_error()), 0);
  ck_assert_int_eq(wy_get_slot(W, b, 0, &v), 0);     /* emptied */
  int n;
  ck_assert_ptr_null(wy_slots(W, wy_int(1), &n));
  ck_assert(wy_error_matches(W, "TypeError"));
  wy_close(W);
}
END_TEST

START_TEST(send_and_throw_drive_a_generator) {
  wy_State *W = wy_open();
  ck_assert_int_eq(wy_run_string(W,
      "def g():\n"
      "    try:\n"
      "        x = yield 1\n"
      "        yield x * 2\n"
      "    except KeyError:\n"
      "        return 'caught'\n"
      "gen = g()\n", "<test>"), WY_OK);
  wy_Value gen = main_attr(W, "gen"), out;
  int64_t i = 0;
  ck_assert_int_eq(wy_send(W, gen, wy_none(), &out), 1);
  ck_assert_int_eq(wy_to_int(W, out, &i), 0);
  ck_assert_int_eq(i, 1);
  ck_assert_int_eq(wy_send(W, gen, wy_int(21), &out), 1);
  ck_assert_int_eq(wy_to_int(W, out, &i), 0);
  ck_assert_int_eq(i, 42);
  wy_Value exc = wy_call(W, wy_builtin(W, "KeyError"), 0, NULL);
  ck_assert_int_eq(wy_throw(W, gen, exc, &out), 0);   /* finished: no StopIteration */
  ck_assert_str_eq(wy_to_str(W, out, NULL), "caught");
  ck_assert(!wy_error_pending(W));
  ck_assert_int_eq(wy_send(W, gen, wy_none(), &out), 0);   /* exhausted */
  ck_assert_int_eq(wy_send(W, wy_int(3), wy_none(), &out), -1);
  ck_assert(wy_error_matches(W, "TypeError"));   /* 'int' object is not an iterator */
  wy_clear_error(W);
  ck_assert_int_eq(wy_isinstance(W, exc, wy_builtin(W, "LookupError")), 1);
  ck_assert_int_eq(wy_issubclass(W, wy_type_of(W, exc), wy_builtin(W, "ValueError")), 0);
  wy_close(W);
}
END_TEST

START_TEST(closures_carry_data_and_bind_like_functions) {
  wy_State *W = wy_open();
  ck_assert_int_eq(wy_register_module(W, "closmod", init_closmod), 0);
  ck_assert_int_eq(wy_set_builtin(W, "answer", wy_int(42)), 0);
  const char *src =
      "import closmod\n"
      "plain = closmod.tagged(1, 2)\n"
      "class A:\n"
      "    m = closmod.tagged\n"
      "bound = A().m(7)\n"
      "seen = answer\n";
  int rc = wy_run_string(W, src, "<test>");
  if (rc != WY_OK) wy_print_error(W);
  ck_assert_int_eq(rc, WY_OK);
  ck_assert_str_eq(wy_to_str(W, wy_repr(W, main_attr(W, "plain")), NULL), "('payload', 2)");
  ck_assert_str_eq(wy_to_str(W, wy_repr(W, main_attr(W, "bound")), NULL), "('payload', 2)");
  int64_t seen = 0;
  wy_to_int(W, main_attr(W, "seen"), &seen);
  ck_assert_int_eq(seen, 42);
  wy_close(W);
}
END_TEST

/* records of a fixed width in a list: appended and popped several at once */
START_TEST(list_extend_and_pop_n_move_records) {
  wy_State *W = wy_open();
  wy_Value list = wy_list(W);
  wy_Value rec[3] = {wy_int(1), wy_str(W, "two"), wy_none()};
  for (int i = 0; i < 5; i++) {
    rec[0] = wy_int(i);
    ck_assert_int_eq(wy_list_extend(W, list, 3, rec), 0);
  }
  ck_assert_int_eq(wy_len(W, list), 15);
  wy_Value out[3];
  ck_assert_int_eq(wy_list_pop_n(W, list, 3, out), 0);
  int64_t first = -1;
  wy_to_int(W, out[0], &first);
  ck_assert_int_eq(first, 4);   /* the last record, in list order */
  ck_assert_str_eq(wy_to_str(W, out[1], NULL), "two");
  ck_assert(wy_is_none(out[2]));
  ck_assert_int_eq(wy_len(W, list), 12);
  /* asking for more than the list holds: IndexError, the list unchanged */
  wy_Value many[16];
  ck_assert_int_eq(wy_list_pop_n(W, list, 13, many), -1);
  ck_assert(wy_error_matches(W, "IndexError"));
  wy_clear_error(W);
  ck_assert_int_eq(wy_len(W, list), 12);
  /* not a list: TypeError */
  ck_assert_int_eq(wy_list_extend(W, wy_int(3), 1, rec), -1);
  ck_assert(wy_error_matches(W, "TypeError"));
  wy_clear_error(W);
  ck_assert_int_eq(wy_list_extend(W, list, -1, rec), -1);
  ck_assert(wy_error_matches(W, "ValueError"));
  wy_clear_error(W);
  /* the values stay alive in the list across a collection */
  wy_gc_collect(W);
  ck_assert_int_eq(wy_list_pop_n(W, list, 3, out), 0);
  ck_assert_str_eq(wy_to_str(W, out[1], NULL), "two");
  wy_close(W);
}
END_TEST

/* room made up front; the length stays; popped records stay rooted */
START_TEST(list_reserve_keeps_length_and_pop_n_roots) {
  wy_State *W = wy_open();
  wy_Value list = wy_list(W);
  ck_assert_int_eq(wy_list_reserve(W, list, 64), 0);
  ck_assert_int_eq(wy_len(W, list), 0);
  wy_Value rec[2] = {wy_int(7), wy_none()};
  for (int i = 0; i < 40; i++) {
    char text[32];
    snprintf(text, sizeof text, "item %d", i);
    rec[1] = wy_str(W, text);
    ck_assert_int_eq(wy_list_extend(W, list, 2, rec), 0);
  }
  ck_assert_int_eq(wy_len(W, list), 80);   /* past the reservation: it grows */
  ck_assert_int_eq(wy_list_reserve(W, list, 10), 0);   /* smaller: nothing to do */
  ck_assert_int_eq(wy_len(W, list), 80);
  wy_Value out[2];
  ck_assert_int_eq(wy_list_pop_n(W, list, 2, out), 0);
  /* out[1] is held by nothing but the scope now */
  wy_gc_collect(W);
  ck_assert_str_eq(wy_to_str(W, out[1], NULL), "item 39");
  ck_assert_int_eq(wy_list_reserve(W, wy_int(1), 8), -1);
  ck_assert(wy_error_matches(W, "TypeError"));
  wy_clear_error(W);
  wy_close(W);
}
END_TEST

/* both protocol methods, unbound, as getattr(type(cm), name) gives them,
** and a class changed later is read again */
START_TEST(context_methods_follow_the_class) {
  wy_State *W = wy_open();
  ck_assert_int_eq(wy_run_string(W,
                                 "class CM:\n"
                                 "    def __enter__(self): return 'in'\n"
                                 "    def __exit__(self, *a): return 'out'\n"
                                 "def other_exit(self, *a): return 'other'\n"
                                 "class Half:\n"
                                 "    def __enter__(self): return self\n"
                                 "class Static:\n"
                                 "    __enter__ = staticmethod(lambda: 'static')\n"
                                 "    def __exit__(self, *a): return None\n"
                                 "cm, half, st = CM(), Half(), Static()\n",
                                 "<test>"),
                   WY_OK);
  wy_Value cm = main_attr(W, "cm"), enter, exit;
  for (int round = 0; round < 2; round++) {   /* the second from the cache */
    ck_assert_int_eq(wy_context_methods(W, cm, &enter, &exit), 0);
    ck_assert_str_eq(wy_to_str(W, wy_call(W, enter, 1, &cm), NULL), "in");
    ck_assert_str_eq(wy_to_str(W, wy_call(W, exit, 1, &cm), NULL), "out");
  }
  ck_assert_int_eq(wy_run_string(W, "CM.__exit__ = other_exit\n", "<test>"), WY_OK);
  ck_assert_int_eq(wy_context_methods(W, cm, &enter, &exit), 0);
  ck_assert_str_eq(wy_to_str(W, wy_call(W, exit, 1, &cm), NULL), "other");
  /* a staticmethod comes back as the function it wraps */
  ck_assert_int_eq(wy_context_methods(W, main_attr(W, "st"), &enter, &exit), 0);
  ck_assert_str_eq(wy_to_str(W, wy_call(W, enter, 0, NULL), NULL), "static");
  /* a missing __exit__: AttributeError */
  ck_assert_int_eq(wy_context_methods(W, main_attr(W, "half"), &enter, &exit), -1);
  ck_assert(wy_error_matches(W, "AttributeError"));
  wy_clear_error(W);
  ck_assert_int_eq(wy_context_methods(W, wy_int(3), &enter, &exit), -1);
  ck_assert(wy_error_matches(W, "AttributeError"));
  wy_clear_error(W);
  wy_close(W);
}
END_TEST

Suite *api_suite(void) {
  Suite *s = suite_create("api");
  TCase *tc = tcase_create("embedding");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, run_string_and_read_result);
  tcase_add_test(tc, c_module_function_and_context_manager);
  tcase_add_test(tc, errors_reach_the_host);
  tcase_add_test(tc, system_exit_status);
  tcase_add_test(tc, pinned_value_survives_collection);
  tcase_add_test(tc, memory_limit_gives_memory_error);
  tcase_add_test(tc, closures_carry_data_and_bind_like_functions);
  tcase_add_test(tc, slots_hold_values_the_collector_keeps);
  tcase_add_test(tc, send_and_throw_drive_a_generator);
  tcase_add_test(tc, list_extend_and_pop_n_move_records);
  tcase_add_test(tc, list_reserve_keeps_length_and_pop_n_roots);
  tcase_add_test(tc, context_methods_follow_the_class);
  suite_add_tcase(s, tc);
  return s;
}
