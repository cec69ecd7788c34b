/* test_gc.c — the collector: rooted objects survive, garbage is freed,
** stress mode collects at every safe point, allocation failure is a
** MemoryError, and the value printers agree with CPython. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "list.h"
#include "dict.h"
#include "exc.h"
#include "num.h"

static size_t count_objects(VM *vm) {
  size_t n = 0;
  for (Obj *o = vm->objects; o; o = o->gc_next) n++;
  return n;
}

START_TEST(rooted_objects_survive_and_garbage_goes) {
  VM *vm = vm_new();
  ck_assert_ptr_nonnull(vm);
  gc_collect(vm);
  size_t base = count_objects(vm);
  ListObj *keep = list_new(vm, 0);
  gc_push_root(vm, v_obj(keep));
  for (int i = 0; i < 1000; i++) {
    StrObj *s = str_format_c(vm, "item %d", i);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(list_append(vm, keep, v_obj(s)), 0);
    str_format_c(vm, "garbage %d", i); /* unreachable at once */
  }
  gc_collect(vm);
  ck_assert_uint_eq(count_objects(vm), base + 1001);
  ck_assert_str_eq(AS_STR(keep->items[999])->data, "item 999");
  gc_pop_roots(vm, 1);
  gc_collect(vm);
  ck_assert_uint_eq(count_objects(vm), base);
  vm_free(vm);
}
END_TEST

START_TEST(cycles_are_collected) {
  VM *vm = vm_new();
  gc_collect(vm);
  size_t base = count_objects(vm);
  for (int i = 0; i < 100; i++) {
    ListObj *a = list_new(vm, 0), *b = list_new(vm, 0);
    list_append(vm, a, v_obj(b));
    list_append(vm, b, v_obj(a));
  }
  gc_collect(vm);
  ck_assert_uint_eq(count_objects(vm), base);
  vm_free(vm);
}
END_TEST

START_TEST(stress_mode_collects_at_safe_points) {
  setenv("WITHY_GC_STRESS", "1", 1);
  VM *vm = vm_new();
  unsetenv("WITHY_GC_STRESS");
  ck_assert(vm->gc_stress);
  ModuleObj *m = NULL;
  (void)m;
  DictObj *d = dict_new(vm);
  gc_push_root(vm, v_obj(d));
  dict_set_cstr(vm, d, "k", v_int(1));
  ck_assert(vm->allocated_since_gc);
  gc_safepoint(vm);
  ck_assert(!vm->allocated_since_gc);
  ck_assert_int_eq(AS_INT(dict_get_cstr(vm, d, "k")), 1);
  gc_pop_roots(vm, 1);
  vm_free(vm);
}
END_TEST

START_TEST(allocation_failure_is_memory_error) {
  VM *vm = vm_new();
  vm->mem_limit = vm->bytes_allocated + (1u << 20);
  void *p = gc_malloc(vm, 8u << 20);
  ck_assert_ptr_null(p);
  ck_assert(exc_pending_matches(vm, EXC(vm, MemoryError)));
  exc_clear(vm);
  ck_assert_ptr_null(gc_alloc_obj(vm, SIZE_MAX / 2, K_LIST, vm->t_list));
  ck_assert(exc_pending_matches(vm, EXC(vm, MemoryError)));
  exc_clear(vm);
  vm_free(vm);
}
END_TEST

static void check_float_repr(double d, const char *want) {
  char buf[64];
  float_repr_buf(d, buf, sizeof buf);
  ck_assert_str_eq(buf, want);
}

START_TEST(float_repr_matches_cpython) {
  /* each expectation is repr(x) under CPython 3.11 */
  check_float_repr(0.1, "0.1");
  check_float_repr(0.1 + 0.2, "0.30000000000000004");
  check_float_repr(1.0, "1.0");
  check_float_repr(-0.0, "-0.0");
  check_float_repr(1e16, "1e+16");
  check_float_repr(123456789012345678.0, "1.2345678901234568e+17");
  check_float_repr(1e-5, "1e-05");
  check_float_repr(0.0001, "0.0001");
  check_float_repr(1.5e-7, "1.5e-07");
  check_float_repr(9999999999999998.0, "9999999999999998.0");
  check_float_repr(1.0 / 3.0, "0.3333333333333333");
  check_float_repr(2.5, "2.5");
  check_float_repr(1e300 * 1e10, "inf");
  check_float_repr(-1e300 * 1e10, "-inf");
}
END_TEST

static void check_str_repr(VM *vm, const char *utf8, const char *want) {
  StrObj *s = str_from_cstr(vm, utf8);
  Value r = str_repr(vm, v_obj(s));
  ck_assert(IS_STR(r));
  ck_assert_str_eq(AS_STR(r)->data, want);
}

START_TEST(str_repr_matches_cpython) {
  VM *vm = vm_new();
  check_str_repr(vm, "abc", "'abc'");
  check_str_repr(vm, "it's", "\"it's\"");
  check_str_repr(vm, "a'b\"c", "'a\\'b\"c'");
  check_str_repr(vm, "tab\there\n", "'tab\\there\\n'");
  check_str_repr(vm, "\x01", "'\\x01'");
  check_str_repr(vm, "caf\xc3\xa9", "'caf\xc3\xa9'");
  check_str_repr(vm, "back\\slash", "'back\\\\slash'");
  vm_free(vm);
}
END_TEST

Suite *gc_suite(void) {
  Suite *s = suite_create("gc");
  TCase *tc = tcase_create("collector");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, rooted_objects_survive_and_garbage_goes);
  tcase_add_test(tc, cycles_are_collected);
  tcase_add_test(tc, stress_mode_collects_at_safe_points);
  tcase_add_test(tc, allocation_failure_is_memory_error);
  suite_add_tcase(s, tc);
  TCase *tv = tcase_create("values");
  tcase_add_test(tv, float_repr_matches_cpython);
  tcase_add_test(tv, str_repr_matches_cpython);
  suite_add_tcase(s, tv);
  return s;
}
