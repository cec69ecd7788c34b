/* asyncio_timeout.c — asyncio.timeout(delay) / timeout_at(when) and the
** Timeout async context manager they return, as CPython 3.11's
** Lib/asyncio/timeouts.py: on expiry it cancels the task (task.cancel());
** its __aexit__ turns that cancellation, and only that one (task.uncancel()
** drops to 0), into TimeoutError whose __context__ is the CancelledError.
** Uses withy.h only. */
#include <stdio.h>
#include "asyncio_impl.h"

enum { T_STATE, T_HANDLER, T_TASK, T_WHEN, T_NSLOTS };
enum { CREATED, ENTERED, EXPIRING, EXPIRED, EXITED };
static const char *const state_names[] = {"created", "active", "expiring", "expired", "finished"};

static int64_t state_of(wy_State *W, wy_Value *s) {
  int64_t i = CREATED;
  if (!wy_is_error(s[T_STATE]) && wy_to_int(W, s[T_STATE], &i) < 0) wy_clear_error(W);
  return i;
}

static wy_Value *timeout_slots(wy_State *W, wy_Value self) {
  int n;
  wy_Value *s = wy_slots(W, self, &n);
  if (s && n < T_NSLOTS) {
    wy_raise(W, "TypeError", "descriptor requires a 'Timeout' object but received a '%s'", wy_type_name(W, self));
    return NULL;
  }
  return s;
}

static wy_Value *self_slots(wy_State *W, int argc, const wy_Value *argv) {
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return NULL;
  }
  return timeout_slots(W, argv[0]);
}

/* _on_timeout, a closure over the Timeout */
static wy_Value on_timeout(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value self = wy_closure_data(W);
  wy_Value *s = timeout_slots(W, self);
  if (!s) return wy_error();
  if (state_of(W, s) != ENTERED) return wy_raise(W, "AssertionError", "");
  if (wy_is_error(wy_call_method(W, s[T_TASK], "cancel", 0, NULL))) return wy_error();
  s = timeout_slots(W, self);
  s[T_STATE] = wy_int(EXPIRING);
  s[T_HANDLER] = wy_none();
  return wy_none();
}

static int cancel_handler(wy_State *W, wy_Value self) {
  wy_Value *s = timeout_slots(W, self);
  if (!s) return -1;
  wy_Value h = s[T_HANDLER];
  if (wy_is_none(h) || wy_is_error(h)) return 0;
  if (wy_is_error(wy_call_method(W, h, "cancel", 0, NULL))) return -1;
  timeout_slots(W, self)[T_HANDLER] = wy_none();
  return 0;
}

static int reschedule(wy_State *W, wy_Value self, wy_Value when) {
  wy_Value *s = timeout_slots(W, self);
  if (!s) return -1;
  int64_t state = state_of(W, s);
  if (state == CREATED) {
    wy_raise(W, "AssertionError", "");
    return -1;
  }
  if (state != ENTERED) {
    wy_raise(W, "RuntimeError", "Cannot change state of %s Timeout", state_names[state]);
    return -1;
  }
  double w = 0;
  if (!wy_is_none(when) && wy_to_float(W, when, &w) < 0) return -1;
  s[T_WHEN] = when;
  if (cancel_handler(W, self) < 0) return -1;
  if (wy_is_none(when)) return 0;
  wy_Value cb = wy_closure(W, "_on_timeout", on_timeout, self);
  if (wy_is_error(cb)) return -1;
  double now = wy_loop_time(W);
  wy_Value h = w <= now ? wy_call_soon(W, cb, wy_none()) : wy_call_later(W, w - now, cb, wy_none());
  if (wy_is_error(h)) return -1;
  timeout_slots(W, self)[T_HANDLER] = h;
  return 0;
}

/* __aenter__: state = the Timeout */
static wy_Step aenter_step(wy_State *W, wy_Value self, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how != WY_RESUME_START) return WY_STEP_ERROR;
  wy_Value *s = timeout_slots(W, self);
  if (!s) return WY_STEP_ERROR;
  s[T_STATE] = wy_int(ENTERED);
  wy_Value task = wy_current_task(W);
  if (wy_is_error(task)) return WY_STEP_ERROR;
  timeout_slots(W, self)[T_TASK] = task;
  if (wy_is_none(task)) {
    wy_raise(W, "RuntimeError", "Timeout should be used inside a task");
    return WY_STEP_ERROR;
  }
  if (reschedule(W, self, timeout_slots(W, self)[T_WHEN]) < 0) return WY_STEP_ERROR;
  *out = self;
  return WY_STEP_RETURN;
}

/* __aexit__: state = (self, exc_type, exc) */
static wy_Step aexit_step(wy_State *W, wy_Value args, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how != WY_RESUME_START) return WY_STEP_ERROR;
  wy_Value self = wy_getitem(W, args, wy_int(0));
  wy_Value exc_type = wy_getitem(W, args, wy_int(1));
  wy_Value exc = wy_getitem(W, args, wy_int(2));
  wy_Value *s = wy_is_error(self) || wy_is_error(exc_type) || wy_is_error(exc) ? NULL : timeout_slots(W, self);
  if (!s) return WY_STEP_ERROR;
  int64_t state = state_of(W, s);
  if (state != ENTERED && state != EXPIRING) {
    wy_raise(W, "AssertionError", "");
    return WY_STEP_ERROR;
  }
  if (cancel_handler(W, self) < 0) return WY_STEP_ERROR;
  *out = wy_none();
  s = timeout_slots(W, self);
  if (state == ENTERED) {
    s[T_STATE] = wy_int(EXITED);
    return WY_STEP_RETURN;
  }
  s[T_STATE] = wy_int(EXPIRED);
  wy_Value left = wy_call_method(W, s[T_TASK], "uncancel", 0, NULL);
  int64_t n;
  if (wy_is_error(left) || wy_to_int(W, left, &n) < 0) return WY_STEP_ERROR;
  AioState *st = aio_class_state(W, self);
  if (!st) return WY_STEP_ERROR;
  if (n == 0 && wy_is(exc_type, wy_pinned(st->cancelled_error))) {
    /* `raise TimeoutError` inside __aexit__: its context is the CancelledError */
    aio_raise_chained(W, wy_builtin(W, "TimeoutError"), wy_error(), exc);
    return WY_STEP_ERROR;
  }
  return WY_STEP_RETURN;
}

static wy_Value timeout_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"when", NULL};
  wy_Value a[1];
  wy_Value *s = self_slots(W, argc, argv);
  if (!s || aio_method_args(W, "Timeout.__init__", argc, argv, kw, names, 1, a) < 0) return wy_error();
  s = timeout_slots(W, argv[0]);
  s[T_STATE] = wy_int(CREATED);
  s[T_HANDLER] = wy_none();
  s[T_TASK] = wy_none();
  s[T_WHEN] = a[0];
  return wy_none();
}

static wy_Value timeout_when(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = self_slots(W, argc, argv);
  return s ? s[T_WHEN] : wy_error();
}

static wy_Value timeout_reschedule(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"when", NULL};
  wy_Value a[1];
  if (!self_slots(W, argc, argv) || aio_method_args(W, "Timeout.reschedule", argc, argv, kw, names, 1, a) < 0)
    return wy_error();
  return reschedule(W, argv[0], a[0]) < 0 ? wy_error() : wy_none();
}

static wy_Value timeout_expired(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = self_slots(W, argc, argv);
  if (!s) return wy_error();
  int64_t state = state_of(W, s);
  return wy_bool(state == EXPIRING || state == EXPIRED);
}

static wy_Value timeout_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = self_slots(W, argc, argv);
  if (!s) return wy_error();
  int64_t state = state_of(W, s);
  char buf[256];
  if (state == ENTERED) {
    wy_Value when = s[T_WHEN];
    if (!wy_is_none(when)) {
      wy_Value args[2] = {when, wy_int(3)};
      when = wy_call(W, wy_builtin(W, "round"), 2, args);
    }
    wy_Value r = wy_is_error(when) ? when : wy_repr(W, when);
    const char *w = wy_is_error(r) ? NULL : wy_to_str(W, r, NULL);
    if (!w) return wy_error();
    snprintf(buf, sizeof buf, "<Timeout [%s] when=%s>", state_names[state], w);
  } else {
    snprintf(buf, sizeof buf, "<Timeout [%s]>", state_names[state]);
  }
  return wy_str(W, buf);
}

static wy_Value timeout_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!self_slots(W, argc, argv)) return wy_error();
  return wy_coroutine(W, "Timeout.__aenter__", aenter_step, argv[0]);
}

static wy_Value timeout_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"exc_type", "exc_val", "exc_tb", NULL};
  wy_Value a[3];
  if (!self_slots(W, argc, argv) || aio_method_args(W, "Timeout.__aexit__", argc, argv, kw, names, 3, a) < 0)
    return wy_error();
  wy_Value items[3] = {argv[0], a[0], a[1]};
  wy_Value args = wy_tuple(W, 3, items);
  return wy_is_error(args) ? args : wy_coroutine(W, "Timeout.__aexit__", aexit_step, args);
}

/* timeout(delay): Timeout(loop.time() + delay), or Timeout(None) */
static wy_Value aio_timeout(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AioState *st = ud;
  static const char *const names[] = {"delay", NULL};
  wy_Value a[1];
  if (std_args(W, "timeout", argc, argv, kw, names, 1, a) < 0 || aio_need_running_loop(W) < 0) return wy_error();
  wy_Value when = wy_none();
  if (!wy_is_none(a[0])) {
    double d;
    if (wy_to_float(W, a[0], &d) < 0) return wy_error();
    when = wy_float(wy_loop_time(W) + d);
  }
  return wy_call(W, wy_pinned(st->timeout_class), 1, &when);
}

static wy_Value aio_timeout_at(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AioState *st = ud;
  static const char *const names[] = {"when", NULL};
  wy_Value a[1];
  if (std_args(W, "timeout_at", argc, argv, kw, names, 1, a) < 0) return wy_error();
  return wy_call(W, wy_pinned(st->timeout_class), 1, a);
}

static const wy_Method timeout_methods[] = {
  {"__init__", timeout_init}, {"when", timeout_when}, {"reschedule", timeout_reschedule},
  {"expired", timeout_expired}, {"__repr__", timeout_repr}, {"__aenter__", timeout_aenter},
  {"__aexit__", timeout_aexit}, {NULL, NULL},
};

int aio_timeout_add(wy_State *W, wy_Value m, AioState *st) {
  wy_Value cls = aio_add_class(W, m, "Timeout", wy_none(), timeout_methods, st, "asyncio.timeouts", T_NSLOTS);
  if (wy_is_error(cls) || aio_set_class_state(W, cls, st) < 0) return -1;
  st->timeout_class = wy_pin(W, cls);
  if (!st->timeout_class || wy_def(W, m, "timeout", aio_timeout, st) < 0 ||
      wy_def(W, m, "timeout_at", aio_timeout_at, st) < 0)
    return -1;
  return 0;
}
