/* asyncio.c — the asyncio module: its init, run, sleep, create_task,
** ensure_future, current_task, all_tasks, iscoroutine, the exception
** classes, and the helpers the other asyncio files share (asyncio_impl.h).
** The event loop, Future and Task are the core's (withy.h "async"); this
** module is the veneer CPython 3.11's asyncio package puts over its loop,
** following Lib/asyncio/{runners,tasks}.py. gather/wait_for/shield are in
** asyncio_tasks.c, Lock/Event/Semaphore/Condition in asyncio_sync.c, the
** queues in asyncio_queue.c, timeout() in asyncio_timeout.c and the loop
** object in asyncio_loop.c. Uses withy.h only.
**
** Every `async def` of CPython's asyncio is here a C coroutine
** (wy_coroutine): a step function plus a state value. Those that need
** memory between steps keep it in a _frame (aio_frame), an instance with
** value slots whose C data is the module state. */
#include <stdio.h>
#include <string.h>
#include "asyncio_impl.h"

/* ---- frames ---- */

wy_Value aio_frame(wy_State *W, AioState *st) {
  return wy_new_instance(W, wy_pinned(st->frame_class), st, NULL);
}

wy_Value *aio_slots(wy_State *W, wy_Value frame) {
  int n;
  return wy_slots(W, frame, &n);
}

AioState *aio_state_of(wy_State *W, wy_Value frame) {
  return wy_instance_data(W, frame, wy_type_of(W, frame));
}

AioState *aio_class_state(wy_State *W, wy_Value obj) {
  wy_Value holder = wy_getattr(W, wy_type_of(W, obj), "_aio_state");
  return wy_is_error(holder) ? NULL : aio_state_of(W, holder);
}

int aio_set_class_state(wy_State *W, wy_Value cls, AioState *st) {
  wy_Value holder = aio_frame(W, st);
  return wy_is_error(holder) ? -1 : wy_class_set(W, cls, "_aio_state", holder);
}

/* ---- futures ---- */

bool aio_is_future(wy_State *W, AioState *st, wy_Value v) {
  int r = wy_isinstance(W, v, wy_pinned(st->future_class));
  if (r < 0) wy_clear_error(W);
  return r > 0;
}

bool aio_future_done(wy_State *W, wy_Value fut) {
  int s = wy_future_state(W, fut);
  if (s >= 0) return s != WY_FUTURE_PENDING;
  /* a duck-typed future: ask it */
  wy_clear_error(W);
  wy_Value r = wy_call_method(W, fut, "done", 0, NULL);
  int t = wy_is_error(r) ? -1 : wy_truthy(W, r);
  if (t < 0) wy_clear_error(W);
  return t > 0;
}

bool aio_future_cancelled(wy_State *W, wy_Value fut) {
  int s = wy_future_state(W, fut);
  if (s >= 0) return s == WY_FUTURE_CANCELLED;
  wy_clear_error(W);
  wy_Value r = wy_call_method(W, fut, "cancelled", 0, NULL);
  int t = wy_is_error(r) ? -1 : wy_truthy(W, r);
  if (t < 0) wy_clear_error(W);
  return t > 0;
}

static bool is_coroutine(wy_State *W, wy_Value v) {
  return strcmp(wy_type_name(W, v), "coroutine") == 0;
}

/* tasks.py's _wrap_awaitable: `return (yield from awaitable.__await__())`,
** i.e. a coroutine that awaits the object */
static wy_Step wrap_awaitable_step(wy_State *W, wy_Value awaitable, wy_Resume how, wy_Value in,
                                   wy_Value *out) {
  if (how == WY_RESUME_START) {
    *out = awaitable;
    return WY_STEP_AWAIT;
  }
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  *out = in;
  return WY_STEP_RETURN;
}

wy_Value aio_ensure_future(wy_State *W, AioState *st, wy_Value v) {
  if (aio_is_future(W, st, v)) return v;
  if (is_coroutine(W, v)) return wy_task(W, v, wy_none());
  if (wy_hasattr(W, v, "__await__")) {
    wy_Value coro = wy_coroutine(W, "_wrap_awaitable", wrap_awaitable_step, v);
    return wy_is_error(coro) ? coro : wy_task(W, coro, wy_none());
  }
  return wy_raise(W, "TypeError", "An asyncio.Future, a coroutine or an awaitable is required");
}

static wy_Value release_waiter_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value waiter = wy_closure_data(W);
  if (!aio_future_done(W, waiter) && wy_future_set_result(W, waiter, wy_none()) < 0) return wy_error();
  return wy_none();
}

wy_Value aio_release_waiter(wy_State *W, wy_Value fut) {
  return wy_closure(W, "_release_waiter", release_waiter_fn, fut);
}

/* Put exc back as the pending exception the way a bare `raise` does:
** without giving it the handled exception as a new __context__. */
void aio_reraise(wy_State *W, wy_Value exc) {
  wy_Value ctx = wy_getattr(W, exc, "__context__");
  if (wy_is_error(ctx)) {
    wy_clear_error(W);
    wy_raise_value(W, exc);
    return;
  }
  wy_raise_value(W, exc);
  wy_Value now = wy_getattr(W, exc, "__context__");
  if (wy_is_error(now)) return;   /* cannot happen: leave the raise as is */
  if (!wy_is(now, ctx)) {
    wy_Value pending = wy_fetch_error(W);
    if (wy_setattr(W, exc, "__context__", ctx) < 0) wy_clear_error(W);
    wy_raise_value(W, pending);   /* same object: its context stays */
  }
}

bool aio_cancelled_pending(wy_State *W, AioState *st) {
  if (!wy_error_pending(W)) return false;
  wy_Value exc = wy_fetch_error(W);
  int r = wy_isinstance(W, exc, wy_pinned(st->cancelled_error));
  if (r < 0) wy_clear_error(W);
  aio_reraise(W, exc);
  return r > 0;
}

int aio_need_running_loop(wy_State *W) {
  if (wy_loop_running(W)) return 0;
  wy_raise(W, "RuntimeError", "no running event loop");
  return -1;
}

/* ---- errors and reprs ---- */

wy_Value aio_raise_chained(wy_State *W, wy_Value cls, wy_Value cause, wy_Value context) {
  wy_Value exc = wy_call(W, cls, 0, NULL);
  if (wy_is_error(exc)) return exc;
  if (!wy_is_error(cause) && wy_setattr(W, exc, "__cause__", cause) < 0) return wy_error();
  wy_raise_value(W, exc);
  /* after the raise: it sets __context__ to the handled exception */
  if (!wy_is_error(context)) {
    wy_Value pending = wy_fetch_error(W);
    if (wy_setattr(W, pending, "__context__", context) < 0) wy_clear_error(W);
    aio_reraise(W, pending);
  }
  return wy_error();
}

/* the __module__ a C class was given by aio_class_setup, for a core that
** reports "builtins" for every C class; NULL when there is none */
static const char *own_module(wy_State *W, wy_Value cls) {
  wy_Value mod = wy_getattr(W, cls, "__module__");
  const char *m = wy_is_error(mod) ? NULL : wy_to_str(W, mod, NULL);
  if (!m || strcmp(m, "builtins") != 0) {
    wy_clear_error(W);
    return NULL;
  }
  wy_Value ns = wy_getattr(W, cls, "__dict__");
  wy_Value key = wy_str(W, "__module__");
  wy_Value own = wy_is_error(ns) || wy_is_error(key) ? wy_error() : wy_getitem(W, ns, key);
  m = wy_is_error(own) ? NULL : wy_to_str(W, own, NULL);
  if (!m) wy_clear_error(W);
  return m;
}

wy_Value aio_repr_with(wy_State *W, wy_Value self, const char *extra) {
  wy_Value object_repr = wy_getattr(W, wy_builtin(W, "object"), "__repr__");
  if (wy_is_error(object_repr)) return object_repr;
  wy_Value base = wy_call(W, object_repr, 1, &self);
  size_t len;
  const char *s = wy_is_error(base) ? NULL : wy_to_str(W, base, &len);
  if (!s) return wy_error();
  const char *mod = own_module(W, wy_type_of(W, self));
  char buf[512];
  /* s is "<… object at 0x…>": keep what is inside the brackets */
  snprintf(buf, sizeof buf, "<%s%s%.*s [%s]>", mod ? mod : "", mod ? "." : "", (int)(len >= 2 ? len - 2 : 0),
           s + 1, extra);
  return wy_str(W, buf);
}

int aio_class_setup(wy_State *W, wy_Value cls, const char *module, int nslots) {
  wy_Value mod = wy_str(W, module);
  if (wy_is_error(mod) || wy_class_set(W, cls, "__module__", mod) < 0) return -1;
  return nslots > 0 ? wy_class_slots(W, cls, nslots) : 0;
}

wy_Value aio_add_class(wy_State *W, wy_Value m, const char *name, wy_Value base,
                       const wy_Method *methods, void *ud, const char *module, int nslots) {
  wy_Value cls = wy_class(W, name, base, methods, ud);
  if (wy_is_error(cls) || aio_class_setup(W, cls, module, nslots) < 0 ||
      wy_module_set(W, m, name, cls) < 0)
    return wy_error();
  return cls;
}

wy_Value *aio_self_slots(wy_State *W, int argc, const wy_Value *argv, int n, const char *cls) {
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return NULL;
  }
  int have;
  wy_Value *slots = wy_slots(W, argv[0], &have);
  if (!slots) return NULL;
  if (have < n) {
    wy_raise(W, "TypeError", "descriptor requires a '%s' object but received a '%s'", cls,
             wy_type_name(W, argv[0]));
    return NULL;
  }
  return slots;
}

int aio_method_args(wy_State *W, const char *qualname, int argc, const wy_Value *argv, wy_Value kw,
                    const char *const *names, int required, wy_Value *out) {
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return -1;
  }
  int nnames = 0;
  while (names[nnames]) nnames++;
  int given = argc;   /* self counts, as in CPython's message */
  if (given > nnames + 1) {
    if (required == nnames)
      wy_raise(W, "TypeError", "%s() takes %d positional argument%s but %d were given", qualname, nnames + 1,
               nnames ? "s" : "", given);
    else
      wy_raise(W, "TypeError", "%s() takes from %d to %d positional arguments but %d were given", qualname,
               required + 1, nnames + 1, given);
    return -1;
  }
  return std_args(W, qualname, argc - 1, argv + 1, kw, names, required, out);
}

/* ---- lists used as deques ---- */

int aio_list_remove(wy_State *W, wy_Value list, wy_Value item) {
  int64_t n = wy_len(W, list);
  for (int64_t i = 0; i < n; i++) {
    wy_Value v = wy_getitem(W, list, wy_int(i));
    if (wy_is_error(v)) return -1;
    if (wy_is(v, item)) {
      wy_Value idx = wy_int(i);
      wy_Value r = wy_call_method(W, list, "pop", 1, &idx);
      return wy_is_error(r) ? -1 : 1;
    }
  }
  return n < 0 ? -1 : 0;
}

wy_Value aio_list_popleft(wy_State *W, wy_Value list) {
  wy_Value zero = wy_int(0);
  return wy_call_method(W, list, "pop", 1, &zero);
}

/* ---- run ---- */

/* runners.py's _cancel_all_tasks: cancel what is left, let it finish, and
** report the tasks that ended with an exception other than cancellation */
static int cancel_all_tasks(wy_State *W, AioState *st) {
  wy_Value tasks = wy_all_tasks(W);
  int64_t n = wy_is_error(tasks) ? -1 : wy_len(W, tasks);
  if (n <= 0) return (int)n;
  wy_Value items[n];
  for (int64_t i = 0; i < n; i++) {
    items[i] = wy_getitem(W, tasks, wy_int(i));
    if (wy_is_error(items[i]) || wy_future_cancel(W, items[i], wy_none()) < 0) return -1;
  }
  wy_Value all = aio_gather(W, st, (int)n, items, true);
  if (wy_is_error(all) || wy_is_error(wy_run_until_complete(W, all))) return -1;
  for (int64_t i = 0; i < n; i++) {
    if (aio_future_cancelled(W, items[i])) continue;
    wy_Value exc = wy_call_method(W, items[i], "exception", 0, NULL);
    if (wy_is_error(exc)) return -1;
    if (wy_is_none(exc)) continue;
    wy_Value desc = wy_repr(W, items[i]);
    const char *d = wy_is_error(desc) ? NULL : wy_to_str(W, desc, NULL);
    if (!d) return -1;
    fflush(stdout);
    fprintf(stderr, "unhandled exception during asyncio.run() shutdown\ntask: %s\n", d);
    wy_raise_value(W, exc);
    wy_print_error(W);
  }
  return 0;
}

static wy_Value aio_run(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AioState *st = ud;
  static const char *const names[] = {"main", "debug", NULL};
  wy_Value a[2];
  if (std_args(W, "run", argc, argv, kw, names, 1, a) < 0) return wy_error();
  if (wy_loop_running(W))
    return wy_raise(W, "RuntimeError", "asyncio.run() cannot be called from a running event loop");
  if (!is_coroutine(W, a[0])) {
    wy_Value r = wy_repr(W, a[0]);
    const char *s = wy_is_error(r) ? NULL : wy_to_str(W, r, NULL);
    return s ? wy_raise(W, "ValueError", "a coroutine was expected, got %s", s) : wy_error();
  }
  wy_Value task = wy_task(W, a[0], wy_none());
  if (wy_is_error(task)) return task;
  wy_Value result = wy_run_until_complete(W, task);
  wy_Value exc = wy_is_error(result) ? wy_fetch_error(W) : wy_none();
  /* the shutdown runs whatever main's outcome; its own failure wins */
  if (cancel_all_tasks(W, st) < 0) return wy_error();
  if (!wy_is_none(exc)) {
    aio_reraise(W, exc);
    return wy_error();
  }
  return result;
}

/* ---- sleep ---- */

/* sleep(0) (tasks.py's __sleep0): one bare yield, which tells the task
** "run me again on the next turn". state is the result. */
static wy_Step sleep0_step(wy_State *W, wy_Value result, wy_Resume how, wy_Value in, wy_Value *out) {
  switch (how) {
  case WY_RESUME_START: *out = wy_none(); return WY_STEP_YIELD;
  case WY_RESUME_VALUE: *out = result; return WY_STEP_RETURN;
  default: return WY_STEP_ERROR;
  }
}

/* sleep(delay > 0): await a future the loop completes with the result;
** a cancellation cancels that future, which drops the timer. state is
** the tuple (delay, result). */
static wy_Step sleep_step(wy_State *W, wy_Value args, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  if (how == WY_RESUME_VALUE) {
    *out = in;
    return WY_STEP_RETURN;
  }
  wy_Value delay = wy_getitem(W, args, wy_int(0));
  wy_Value result = wy_getitem(W, args, wy_int(1));
  double d;
  if (wy_is_error(delay) || wy_is_error(result)) return WY_STEP_ERROR;
  if (!wy_is_int(delay) && !wy_is_float(delay)) {
    wy_raise(W, "TypeError", "'<=' not supported between instances of '%s' and 'int'",
             wy_type_name(W, delay));
    return WY_STEP_ERROR;
  }
  if (wy_to_float(W, delay, &d) < 0) return WY_STEP_ERROR;
  *out = wy_sleep_future(W, d, result);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

static bool delay_is_zero_or_less(wy_State *W, wy_Value delay) {
  int64_t i;
  double d;
  if (wy_is_int(delay)) return wy_to_int(W, delay, &i) == 0 && i <= 0;
  if (wy_is_float(delay)) return wy_to_float(W, delay, &d) == 0 && d <= 0;
  return false;
}

static wy_Value aio_sleep(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value a[2];
  if (argc == 1 && wy_is_none(kw)) {   /* the hot path: sleep(0) */
    a[0] = argv[0];
    a[1] = wy_none();
  } else {
    static const char *const names[] = {"delay", "result", NULL};
    if (std_args(W, "sleep", argc, argv, kw, names, 1, a) < 0) return wy_error();
    if (wy_is_error(a[1])) a[1] = wy_none();
  }
  if (delay_is_zero_or_less(W, a[0]))
    return wy_coroutine(W, "sleep", sleep0_step, a[1]);
  wy_Value args = wy_tuple(W, 2, a);
  return wy_is_error(args) ? args : wy_coroutine(W, "sleep", sleep_step, args);
}

/* ---- tasks ---- */

/* a task's name as Task.set_name stores it: str(name), or None */
static wy_Value task_name(wy_State *W, wy_Value name) {
  if (wy_is_error(name) || wy_is_none(name)) return wy_none();
  return wy_is_str(name) ? name : wy_str_of(W, name);
}

static wy_Value aio_create_task(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"coro", "name", "context", NULL};
  wy_Value a[3];
  if (argc > 1)
    return wy_raise(W, "TypeError", "create_task() takes 1 positional argument but %d were given", argc);
  if (std_args(W, "create_task", argc, argv, kw, names, 1, a) < 0) return wy_error();
  if (aio_need_running_loop(W) < 0) return wy_error();
  wy_Value name = task_name(W, a[1]);
  return wy_is_error(name) ? name : wy_task(W, a[0], name);
}

static wy_Value aio_ensure_future_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"coro_or_future", "loop", NULL};
  wy_Value a[2];
  if (argc > 1)
    return wy_raise(W, "TypeError", "ensure_future() takes 1 positional argument but %d were given", argc);
  if (std_args(W, "ensure_future", argc, argv, kw, names, 1, a) < 0) return wy_error();
  return aio_ensure_future(W, ud, a[0]);
}

static wy_Value aio_current_task(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"loop", NULL};
  wy_Value a[1];
  if (std_args(W, "current_task", argc, argv, kw, names, 0, a) < 0) return wy_error();
  if (aio_need_running_loop(W) < 0) return wy_error();
  return wy_current_task(W);
}

static wy_Value aio_all_tasks(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"loop", NULL};
  wy_Value a[1];
  if (std_args(W, "all_tasks", argc, argv, kw, names, 0, a) < 0) return wy_error();
  if (aio_need_running_loop(W) < 0) return wy_error();
  wy_Value tasks = wy_all_tasks(W);
  return wy_is_error(tasks) ? tasks : wy_call(W, wy_builtin(W, "set"), 1, &tasks);
}

static wy_Value aio_iscoroutine(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "iscoroutine", kw) < 0 || std_argc(W, "iscoroutine", argc, 1, 1) < 0)
    return wy_error();
  return wy_bool(is_coroutine(W, argv[0]));
}

/* ---- the module ---- */

static const wy_Method no_methods[] = {{NULL, NULL}};

static int export_core_classes(wy_State *W, wy_Value m, AioState *st) {
  static const char *const core[] = {"Future", "Task", "Handle", "CancelledError", "InvalidStateError"};
  wy_Value cls[5];
  for (int i = 0; i < 5; i++) {
    cls[i] = wy_async_class(W, core[i]);
    if (wy_is_error(cls[i]) || wy_module_set(W, m, core[i], cls[i]) < 0) return -1;
  }
  st->future_class = wy_pin(W, cls[0]);
  st->task_class = wy_pin(W, cls[1]);
  st->cancelled_error = wy_pin(W, cls[3]);
  st->invalid_state_error = wy_pin(W, cls[4]);
  if (!st->future_class || !st->task_class || !st->cancelled_error || !st->invalid_state_error) return -1;
  /* 3.11: asyncio.TimeoutError is the builtin; TimerHandle is a Handle */
  if (wy_module_set(W, m, "TimeoutError", wy_builtin(W, "TimeoutError")) < 0 ||
      wy_module_set(W, m, "TimerHandle", cls[2]) < 0)
    return -1;
  return 0;
}

int std_asyncio_init(wy_State *W, wy_Value m) {
  AioState *st = std_state_new(W, m, sizeof *st);
  if (!st) return -1;
  wy_Value frame = wy_class(W, "_frame", wy_none(), no_methods, NULL);
  if (wy_is_error(frame) || wy_class_slots(W, frame, FRAME_SLOTS) < 0) return -1;
  st->frame_class = wy_pin(W, frame);
  if (!st->frame_class || export_core_classes(W, m, st) < 0) return -1;
  static const struct { const char *name; wy_CFunction fn; } fns[] = {
    {"run", aio_run}, {"sleep", aio_sleep}, {"create_task", aio_create_task},
    {"ensure_future", aio_ensure_future_fn}, {"current_task", aio_current_task},
    {"all_tasks", aio_all_tasks}, {"iscoroutine", aio_iscoroutine},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (wy_def(W, m, fns[i].name, fns[i].fn, st) < 0) return -1;
  if (aio_sync_add(W, m, st) < 0 || aio_queue_add(W, m, st) < 0 || aio_tasks_add(W, m, st) < 0 ||
      aio_timeout_add(W, m, st) < 0 || aio_loop_add(W, m, st) < 0)
    return -1;
  return 0;
}
