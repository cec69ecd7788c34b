/* asyncio_loop.c — the event loop as scripts see it: get_running_loop(),
** get_event_loop(), new_event_loop() and set_event_loop() all give the one
** loop object of this VM, a small veneer over the core's loop (time,
** call_soon, call_later, call_at, create_future, create_task, is_running,
** run_until_complete …). Its class is named as CPython's on Linux,
** _UnixSelectorEventLoop, with the same repr. Uses withy.h only. */
#include <stdio.h>
#include "asyncio_impl.h"

static int need_self(wy_State *W, int argc) {
  if (argc >= 1) return 0;
  wy_raise(W, "TypeError", "descriptor needs an argument");
  return -1;
}

/* callback and *args from argv[first..]: call_soon(callback, *args, context=None) */
static wy_Value schedule(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, const char *fname,
                         int first, double delay, bool later) {
  if (!wy_is_none(kw)) {
    /* only context= is known (and ignored: withy has no contextvars) */
    static const char *const names[] = {"context", NULL};
    wy_Value a[1];
    if (std_args(W, fname, 0, NULL, kw, names, 0, a) < 0) return wy_error();
  }
  if (argc <= first)
    return wy_raise(W, "TypeError", "%s() missing 1 required positional argument: 'callback'", fname);
  wy_Value args = wy_tuple(W, argc - first - 1, argv + first + 1);
  if (wy_is_error(args)) return args;
  return later ? wy_call_later(W, delay, argv[first], args) : wy_call_soon(W, argv[first], args);
}

static wy_Value loop_time(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (need_self(W, argc) < 0) return wy_error();
  return wy_float(wy_loop_time(W));
}

static wy_Value loop_call_soon(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (need_self(W, argc) < 0) return wy_error();
  return schedule(W, argc, argv, kw, "call_soon", 1, 0, false);
}

static wy_Value loop_call_later(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  double delay;
  if (need_self(W, argc) < 0) return wy_error();
  if (argc < 2) return wy_raise(W, "TypeError", "call_later() missing 2 required positional arguments: 'delay' and 'callback'");
  if (wy_to_float(W, argv[1], &delay) < 0) return wy_error();
  return schedule(W, argc, argv, kw, "call_later", 2, delay, true);
}

static wy_Value loop_call_at(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  double when;
  if (need_self(W, argc) < 0) return wy_error();
  if (argc < 2) return wy_raise(W, "TypeError", "call_at() missing 2 required positional arguments: 'when' and 'callback'");
  if (wy_to_float(W, argv[1], &when) < 0) return wy_error();
  return schedule(W, argc, argv, kw, "call_at", 2, when - wy_loop_time(W), true);
}

static wy_Value loop_create_future(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (need_self(W, argc) < 0) return wy_error();
  return wy_future(W);
}

static wy_Value loop_create_task(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"coro", "name", "context", NULL};
  wy_Value a[3];
  if (need_self(W, argc) < 0) return wy_error();
  if (argc > 2)
    return wy_raise(W, "TypeError", "create_task() takes 2 positional arguments but %d were given", argc);
  if (std_args(W, "create_task", argc - 1, argv + 1, kw, names, 1, a) < 0) return wy_error();
  wy_Value name = wy_is_error(a[1]) || wy_is_none(a[1]) ? wy_none() : a[1];
  if (!wy_is_none(name) && !wy_is_str(name)) name = wy_str_of(W, name);
  return wy_is_error(name) ? name : wy_task(W, a[0], name);
}

static wy_Value loop_is_running(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (need_self(W, argc) < 0) return wy_error();
  return wy_bool(wy_loop_running(W));
}

static wy_Value return_false(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return wy_bool(false);
}

static wy_Value return_none(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return wy_none();
}

static wy_Value loop_run_until_complete(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (need_self(W, argc) < 0 || std_argc(W, "run_until_complete", argc - 1, 1, 1) < 0) return wy_error();
  if (wy_loop_running(W)) return wy_raise(W, "RuntimeError", "This event loop is already running");
  return wy_run_until_complete(W, argv[1]);
}

static wy_Value loop_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  char buf[128];
  if (need_self(W, argc) < 0) return wy_error();
  snprintf(buf, sizeof buf, "<%s running=%s closed=False debug=False>", wy_type_name(W, argv[0]),
           wy_loop_running(W) ? "True" : "False");
  return wy_str(W, buf);
}

/* ---- the module's functions ---- */

static wy_Value get_running_loop(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AioState *st = ud;
  if (std_no_kwargs(W, "get_running_loop", kw) < 0 || std_argc(W, "get_running_loop", argc, 0, 0) < 0 ||
      aio_need_running_loop(W) < 0)
    return wy_error();
  return wy_pinned(st->loop);
}

static wy_Value get_event_loop(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AioState *st = ud;
  if (std_no_kwargs(W, "get_event_loop", kw) < 0 || std_argc(W, "get_event_loop", argc, 0, 0) < 0)
    return wy_error();
  return wy_pinned(st->loop);
}

static wy_Value set_event_loop(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "set_event_loop", kw) < 0 || std_argc(W, "set_event_loop", argc, 1, 1) < 0)
    return wy_error();
  return wy_none();
}

static const wy_Method loop_methods[] = {
  {"time", loop_time}, {"call_soon", loop_call_soon}, {"call_later", loop_call_later},
  {"call_at", loop_call_at}, {"create_future", loop_create_future}, {"create_task", loop_create_task},
  {"is_running", loop_is_running}, {"is_closed", return_false}, {"get_debug", return_false},
  {"close", return_none}, {"run_until_complete", loop_run_until_complete}, {"__repr__", loop_repr},
  {NULL, NULL},
};

int aio_loop_add(wy_State *W, wy_Value m, AioState *st) {
  wy_Value cls = wy_class(W, "_UnixSelectorEventLoop", wy_none(), loop_methods, st);
  if (wy_is_error(cls) || aio_class_setup(W, cls, "asyncio.unix_events", 0) < 0) return -1;
  wy_Value loop = wy_new_instance(W, cls, NULL, NULL);
  if (wy_is_error(loop)) return -1;
  st->loop_class = wy_pin(W, cls);
  st->loop = wy_pin(W, loop);
  if (!st->loop_class || !st->loop) return -1;
  static const struct { const char *name; wy_CFunction fn; } fns[] = {
    {"get_running_loop", get_running_loop}, {"get_event_loop", get_event_loop},
    {"new_event_loop", get_event_loop}, {"set_event_loop", set_event_loop},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (wy_def(W, m, fns[i].name, fns[i].fn, st) < 0) return -1;
  return 0;
}
