/* gc.c — the `gc` module: what a script needs to check for leaks (collect,
** get_objects) and CPython's switches, which withy's collector accepts but
** does not need (it is a tracing collector: there are no cycles to find
** separately). Uses withy.h only. */
#include "stdlib.h"

typedef struct GcState {
  bool enabled;
} GcState;

static wy_Value gc_collect_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"generation", NULL};
  wy_Value gen;
  if (std_args(W, "collect", argc, argv, kw, names, 0, &gen) < 0) return wy_error();
  wy_gc_collect(W);
  return wy_int(0);   /* CPython counts unreachable cycles; a tracing collector frees them unnamed */
}

static wy_Value gc_get_objects(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"generation", NULL};
  wy_Value gen;
  if (std_args(W, "get_objects", argc, argv, kw, names, 0, &gen) < 0) return wy_error();
  return wy_gc_objects(W);
}

static wy_Value gc_isenabled(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "isenabled", kw) < 0 || std_argc(W, "isenabled", argc, 0, 0) < 0) return wy_error();
  return wy_bool(((GcState *)ud)->enabled);
}

static wy_Value gc_switch(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, GcState *st, bool on,
                          const char *name) {
  if (std_no_kwargs(W, name, kw) < 0 || std_argc(W, name, argc, 0, 0) < 0) return wy_error();
  st->enabled = on;   /* recorded only: withy collects when memory asks for it */
  return wy_none();
}

static wy_Value gc_enable(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return gc_switch(W, argc, argv, kw, ud, true, "enable");
}

static wy_Value gc_disable(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return gc_switch(W, argc, argv, kw, ud, false, "disable");
}

int std_gc_init(wy_State *W, wy_Value m) {
  GcState *st = std_state_new(W, m, sizeof *st);
  if (!st) return -1;
  st->enabled = true;
  if (wy_def(W, m, "collect", gc_collect_fn, st) < 0 || wy_def(W, m, "get_objects", gc_get_objects, st) < 0 ||
      wy_def(W, m, "isenabled", gc_isenabled, st) < 0 || wy_def(W, m, "enable", gc_enable, st) < 0 ||
      wy_def(W, m, "disable", gc_disable, st) < 0)
    return -1;
  return 0;
}
