/* asyncio_tasks.c — asyncio's functions over tasks: gather, wait_for,
** shield (and the _GatheringFuture gather returns), following CPython
** 3.11's Lib/asyncio/tasks.py step by step: wait_for is 3.11's algorithm
** (on timeout: cancel the inner awaitable, wait until it is really done,
** then raise TimeoutError from its CancelledError). Uses withy.h only. */
#include "asyncio_impl.h"

/* ---- small helpers ---- */

static int call_method1(wy_State *W, wy_Value obj, const char *name, wy_Value arg) {
  return wy_is_error(wy_call_method(W, obj, name, 1, &arg)) ? -1 : 0;
}

/* fut.exception(), which also marks it retrieved */
static wy_Value future_exception(wy_State *W, wy_Value fut) {
  return wy_call_method(W, fut, "exception", 0, NULL);
}

/* fut._make_cancelled_error(): what fut.result() raises once cancelled */
static wy_Value cancelled_error_of(wy_State *W, wy_Value fut) {
  wy_Value r = wy_future_result(W, fut);
  if (!wy_is_error(r)) return wy_raise(W, "RuntimeError", "gather: cancelled future has a result");
  return wy_fetch_error(W);
}

/* a number compared with 0 the way `x <= 0` does, with its TypeError */
static int compare_le_zero(wy_State *W, wy_Value x, double *d) {
  if (!wy_is_int(x) && !wy_is_float(x)) {
    wy_raise(W, "TypeError", "'<=' not supported between instances of '%s' and 'int'", wy_type_name(W, x));
    return -1;
  }
  if (wy_to_float(W, x, d) < 0) return -1;
  return *d <= 0;
}

/* ---- gather ---- */

/* the gather's state, a frame shared by the children's done callbacks */
enum { G_OUTER, G_CHILDREN, G_NFUTS, G_NFINISHED, G_RETURN_EXC, G_CANCEL_REQUESTED };

static int64_t slot_int(wy_State *W, wy_Value v) {
  int64_t i = 0;
  if (wy_to_int(W, v, &i) < 0) wy_clear_error(W);
  return i;
}

/* the list of results once every child is done (return_exceptions, or
** all succeeded): a result, an exception, or a CancelledError(msg) each */
static wy_Value gather_results(wy_State *W, AioState *st, wy_Value children) {
  wy_Value results = wy_list(W);
  int64_t n = wy_len(W, children);
  for (int64_t i = 0; i < n && !wy_is_error(results); i++) {
    wy_Value child = wy_getitem(W, children, wy_int(i)), res;
    if (wy_is_error(child)) return child;
    if (aio_future_cancelled(W, child)) {
      /* CancelledError('' if msg is None else msg), a fresh one */
      wy_Value err = cancelled_error_of(W, child);
      wy_Value args = wy_is_error(err) ? err : wy_getattr(W, err, "args");
      if (wy_is_error(args)) return args;
      wy_Value msg = wy_len(W, args) > 0 ? wy_getitem(W, args, wy_int(0)) : wy_str(W, "");
      res = wy_is_error(msg) ? msg : wy_call(W, wy_pinned(st->cancelled_error), 1, &msg);
    } else {
      res = future_exception(W, child);
      if (!wy_is_error(res) && wy_is_none(res)) res = wy_future_result(W, child);
    }
    if (wy_is_error(res) || wy_list_append(W, results, res) < 0) return wy_error();
  }
  return results;
}

/* tasks.py's _done_callback of gather, for one child; arg = (frame, child) */
static void gather_child_done(wy_State *W, wy_Value arg) {
  wy_Value frame = wy_getitem(W, arg, wy_int(0));
  wy_Value child = wy_getitem(W, arg, wy_int(1));
  if (wy_is_error(frame) || wy_is_error(child)) return;
  AioState *st = aio_state_of(W, frame);
  wy_Value *g = aio_slots(W, frame);
  if (!st || !g) return;
  g[G_NFINISHED] = wy_int(slot_int(W, g[G_NFINISHED]) + 1);
  wy_Value outer = g[G_OUTER];
  if (aio_future_done(W, outer)) {
    if (!aio_future_cancelled(W, child)) (void)future_exception(W, child);
    return;
  }
  if (!wy_truthy(W, g[G_RETURN_EXC])) {
    if (aio_future_cancelled(W, child)) {
      wy_Value exc = cancelled_error_of(W, child);
      if (!wy_is_error(exc)) wy_future_set_exception(W, outer, exc);
      return;
    }
    wy_Value exc = future_exception(W, child);
    if (wy_is_error(exc)) return;
    if (!wy_is_none(exc)) {
      wy_future_set_exception(W, outer, exc);
      return;
    }
  }
  if (slot_int(W, g[G_NFINISHED]) < slot_int(W, g[G_NFUTS])) return;
  wy_Value results = gather_results(W, st, g[G_CHILDREN]);
  if (wy_is_error(results)) return;
  if (wy_truthy(W, g[G_CANCEL_REQUESTED])) {
    wy_Value exc = cancelled_error_of(W, child);
    if (!wy_is_error(exc)) wy_future_set_exception(W, outer, exc);
  } else {
    wy_future_set_result(W, outer, results);
  }
}

/* _GatheringFuture.cancel's work: cancel the children (not the outer,
** which ends with CancelledError once they have all finished) */
static int gather_cancel_children(wy_State *W, wy_Value frame, wy_Value msg) {
  wy_Value *g = aio_slots(W, frame);
  if (!g) return -1;
  wy_Value children = g[G_CHILDREN];
  int64_t n = wy_len(W, children);
  bool any = false;
  for (int64_t i = 0; i < n; i++) {
    wy_Value child = wy_getitem(W, children, wy_int(i));
    int r = wy_is_error(child) ? -1 : wy_future_cancel(W, child, msg);
    if (r < 0) return -1;
    any |= r > 0;
  }
  g = aio_slots(W, frame);
  if (any) g[G_CANCEL_REQUESTED] = wy_bool(true);
  return any;
}

/* _GatheringFuture.cancel(self, msg=None) */
static wy_Value gathering_cancel(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"msg", NULL};
  wy_Value a[1];
  if (aio_method_args(W, "_GatheringFuture.cancel", argc, argv, kw, names, 0, a) < 0) return wy_error();
  if (aio_future_done(W, argv[0])) return wy_bool(false);
  wy_Value frame = wy_getattr(W, argv[0], "_gather_state");
  if (wy_is_error(frame)) return frame;
  int r = gather_cancel_children(W, frame, wy_is_error(a[0]) ? wy_none() : a[0]);
  return r < 0 ? wy_error() : wy_bool(r > 0);
}

/* The outer future of a gather, a _GatheringFuture: a Future subclass
** (made with type(), so that its instances are the core's futures) whose
** cancel() cancels the children and lets the outer end only once they
** have finished. The core's Task.cancel() cancels the future its task
** waits on without calling such an override, so a done callback passes a
** direct cancellation of the outer on to the children too: there the
** difference from CPython is that a task cancelled while it awaits
** gather() resumes at once, not after the children finished. */
static void outer_cancelled(wy_State *W, wy_Value frame) {
  wy_Value *g = aio_slots(W, frame);
  if (g && aio_future_cancelled(W, g[G_OUTER])) (void)gather_cancel_children(W, frame, wy_none());
}

static wy_Value gather_outer(wy_State *W, AioState *st, wy_Value frame) {
  wy_Value outer = wy_call(W, wy_pinned(st->gathering_class), 0, NULL);
  if (wy_is_error(outer) || wy_setattr(W, outer, "_gather_state", frame) < 0 ||
      wy_setattr(W, outer, "_children", aio_slots(W, frame)[G_CHILDREN]) < 0 ||
      wy_future_on_done(W, outer, outer_cancelled, frame) < 0)
    return wy_error();
  return outer;
}

static int make_gathering_class(wy_State *W, AioState *st) {
  wy_Value cancel = wy_closure(W, "cancel", gathering_cancel, wy_none());
  wy_Value ns = wy_is_error(cancel) ? cancel : wy_dict(W);
  wy_Value base = wy_pinned(st->future_class);
  wy_Value bases = wy_tuple(W, 1, &base);
  if (wy_is_error(ns) || wy_is_error(bases) || wy_dict_set(W, ns, "cancel", cancel) < 0 ||
      wy_dict_set(W, ns, "__module__", wy_str(W, "asyncio.tasks")) < 0)
    return -1;
  wy_Value args[3] = {wy_str(W, "_GatheringFuture"), bases, ns};
  wy_Value cls = wy_call(W, wy_builtin(W, "type"), 3, args);
  if (wy_is_error(cls)) return -1;
  st->gathering_class = wy_pin(W, cls);
  return st->gathering_class ? 0 : -1;
}

wy_Value aio_gather(wy_State *W, AioState *st, int argc, const wy_Value *argv, bool return_exceptions) {
  if (argc == 0) {
    wy_Value outer = wy_future(W), empty = wy_list(W);
    if (wy_is_error(outer) || wy_is_error(empty) || wy_future_set_result(W, outer, empty) < 0)
      return wy_error();
    return outer;
  }
  wy_Value frame = aio_frame(W, st);
  wy_Value children = wy_list(W);
  if (wy_is_error(frame) || wy_is_error(children)) return wy_error();
  wy_Value *g = aio_slots(W, frame);
  g[G_CHILDREN] = children;
  g[G_RETURN_EXC] = wy_bool(return_exceptions);
  g[G_CANCEL_REQUESTED] = wy_bool(false);
  g[G_NFINISHED] = wy_int(0);
  int nfuts = 0;
  for (int i = 0; i < argc; i++) {
    /* the same awaitable twice is one child (arg_to_fut) */
    int same = 0;
    while (same < i && !wy_is(argv[same], argv[i])) same++;
    wy_Value fut;
    if (same < i) {
      fut = wy_getitem(W, children, wy_int(same));
    } else {
      fut = aio_ensure_future(W, st, argv[i]);
      if (wy_is_error(fut)) return fut;
      wy_Value arg[2] = {frame, fut};
      wy_Value pair = wy_tuple(W, 2, arg);
      if (wy_is_error(pair) || wy_future_on_done(W, fut, gather_child_done, pair) < 0) return wy_error();
      nfuts++;
    }
    if (wy_is_error(fut) || wy_list_append(W, children, fut) < 0) return wy_error();
  }
  g = aio_slots(W, frame);
  g[G_NFUTS] = wy_int(nfuts);
  wy_Value outer = gather_outer(W, st, frame);
  if (wy_is_error(outer)) return outer;
  aio_slots(W, frame)[G_OUTER] = outer;
  return outer;
}

static wy_Value aio_gather_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  bool return_exceptions = false;
  if (!wy_is_none(kw)) {
    static const char *const names[] = {"return_exceptions", NULL};
    wy_Value a[1];
    if (std_args(W, "gather", 0, NULL, kw, names, 0, a) < 0) return wy_error();
    int t = wy_is_error(a[0]) ? 0 : wy_truthy(W, a[0]);
    if (t < 0) return wy_error();
    return_exceptions = t;
  }
  return aio_gather(W, ud, argc, argv, return_exceptions);
}

/* ---- wait_for ---- */

/* its frame: the awaitable and timeout, then the machinery of the wait */
enum { WF_FUT, WF_TIMEOUT, WF_PHASE, WF_WAITER, WF_HANDLE, WF_CB, WF_CB2, WF_EXC };
enum {
  WF_DIRECT,            /* timeout None: await fut */
  WF_WAITING,           /* awaiting the waiter (fut done or the timer fired) */
  WF_CANCEL_TIMEOUT,    /* timed out: cancelling fut and waiting for it */
  WF_CANCEL_CANCELLED,  /* cancelled ourselves: cancelling fut, then re-raise */
  WF_CANCEL_ZERO,       /* timeout <= 0: cancelling fut at once */
};

/* _cancel_and_wait(fut): the first half; the caller awaits *out, then
** calls cancel_and_wait_done */
static int cancel_and_wait_start(wy_State *W, wy_Value *f, wy_Value *out) {
  wy_Value waiter = wy_future(W);
  wy_Value cb = wy_is_error(waiter) ? waiter : aio_release_waiter(W, waiter);
  if (wy_is_error(cb)) return -1;
  f[WF_CB2] = cb;
  if (call_method1(W, f[WF_FUT], "add_done_callback", cb) < 0) return -1;
  if (wy_is_error(wy_call_method(W, f[WF_FUT], "cancel", 0, NULL))) return -1;
  *out = waiter;
  return 0;
}

/* `finally: fut.remove_done_callback(cb)` with the pending exception kept */
static int remove_callback_keeping_error(wy_State *W, wy_Value fut, wy_Value cb) {
  wy_Value pending = wy_error_pending(W) ? wy_fetch_error(W) : wy_none();
  int r = call_method1(W, fut, "remove_done_callback", cb);
  if (r == 0 && !wy_is_none(pending)) aio_reraise(W, pending);
  return r;
}

static int cancel_handle_keeping_error(wy_State *W, wy_Value handle) {
  if (wy_is_error(handle) || wy_is_none(handle)) return 0;
  wy_Value pending = wy_error_pending(W) ? wy_fetch_error(W) : wy_none();
  int r = wy_is_error(wy_call_method(W, handle, "cancel", 0, NULL)) ? -1 : 0;
  if (r == 0 && !wy_is_none(pending)) aio_reraise(W, pending);
  return r;
}

/* `try: return fut.result() except CancelledError as exc: raise
** TimeoutError() from exc` */
static wy_Step result_or_timeout(wy_State *W, AioState *st, wy_Value fut, wy_Value *out) {
  *out = wy_future_result(W, fut);
  if (!wy_is_error(*out)) return WY_STEP_RETURN;
  if (!aio_cancelled_pending(W, st)) return WY_STEP_ERROR;
  wy_Value exc = wy_fetch_error(W);
  aio_raise_chained(W, wy_builtin(W, "TimeoutError"), exc, exc);
  return WY_STEP_ERROR;
}

static wy_Step wait_for_start(wy_State *W, AioState *st, wy_Value frame, wy_Value *f, wy_Value *out) {
  if (aio_need_running_loop(W) < 0) return WY_STEP_ERROR;
  if (wy_is_none(f[WF_TIMEOUT])) {
    f[WF_PHASE] = wy_int(WF_DIRECT);
    *out = f[WF_FUT];
    return WY_STEP_AWAIT;
  }
  double timeout;
  int le = compare_le_zero(W, f[WF_TIMEOUT], &timeout);
  if (le < 0) return WY_STEP_ERROR;
  wy_Value fut = aio_ensure_future(W, st, f[WF_FUT]);
  if (wy_is_error(fut)) return WY_STEP_ERROR;
  f = aio_slots(W, frame);
  if (le) {
    f[WF_FUT] = fut;
    if (aio_future_done(W, fut)) {
      *out = wy_future_result(W, fut);
      return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_RETURN;
    }
    f[WF_PHASE] = wy_int(WF_CANCEL_ZERO);
    return cancel_and_wait_start(W, f, out) < 0 ? WY_STEP_ERROR : WY_STEP_AWAIT;
  }
  /* the waiter is released by whichever comes first: fut done, or the timer
  ** (the timer is set before ensure_future, as tasks.py does) */
  wy_Value waiter = wy_future(W);
  wy_Value cb = wy_is_error(waiter) ? waiter : aio_release_waiter(W, waiter);
  wy_Value handle = wy_is_error(cb) ? cb : wy_call_later(W, timeout, cb, wy_none());
  if (wy_is_error(handle)) return WY_STEP_ERROR;
  f = aio_slots(W, frame);
  f[WF_FUT] = fut;
  f[WF_WAITER] = waiter;
  f[WF_HANDLE] = handle;
  f[WF_CB] = cb;
  f[WF_PHASE] = wy_int(WF_WAITING);
  if (call_method1(W, fut, "add_done_callback", cb) < 0) {
    cancel_handle_keeping_error(W, handle);
    return WY_STEP_ERROR;
  }
  *out = waiter;
  return WY_STEP_AWAIT;
}

/* back from `await waiter` */
static wy_Step wait_for_woken(wy_State *W, AioState *st, wy_Value frame, wy_Value *f, wy_Resume how,
                              wy_Value *out) {
  wy_Value fut = f[WF_FUT];
  if (how == WY_RESUME_ERROR) {
    if (!aio_cancelled_pending(W, st)) {
      cancel_handle_keeping_error(W, f[WF_HANDLE]);
      return WY_STEP_ERROR;
    }
    if (aio_future_done(W, fut)) {
      wy_clear_error(W);
      *out = wy_future_result(W, fut);
      cancel_handle_keeping_error(W, f[WF_HANDLE]);
      return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_RETURN;
    }
    wy_Value exc = wy_fetch_error(W);
    f = aio_slots(W, frame);
    f[WF_EXC] = exc;
    f[WF_PHASE] = wy_int(WF_CANCEL_CANCELLED);
  } else {
    if (aio_future_done(W, fut)) {
      *out = wy_future_result(W, fut);
      cancel_handle_keeping_error(W, f[WF_HANDLE]);
      return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_RETURN;
    }
    f[WF_PHASE] = wy_int(WF_CANCEL_TIMEOUT);
  }
  if (call_method1(W, fut, "remove_done_callback", f[WF_CB]) < 0 ||
      cancel_and_wait_start(W, aio_slots(W, frame), out) < 0) {
    cancel_handle_keeping_error(W, aio_slots(W, frame)[WF_HANDLE]);
    return WY_STEP_ERROR;
  }
  return WY_STEP_AWAIT;
}

/* back from _cancel_and_wait's `await waiter` */
static wy_Step wait_for_cancelled(wy_State *W, AioState *st, wy_Value frame, wy_Value *f, wy_Resume how,
                                  wy_Value *out) {
  int phase = (int)slot_int(W, f[WF_PHASE]);
  wy_Step r;
  if (remove_callback_keeping_error(W, f[WF_FUT], f[WF_CB2]) < 0) {
    r = WY_STEP_ERROR;
  } else if (how == WY_RESUME_ERROR) {
    r = WY_STEP_ERROR;
  } else if (phase == WF_CANCEL_CANCELLED) {
    aio_reraise(W, aio_slots(W, frame)[WF_EXC]);
    r = WY_STEP_ERROR;
  } else {
    r = result_or_timeout(W, st, aio_slots(W, frame)[WF_FUT], out);
  }
  if (phase != WF_CANCEL_ZERO && cancel_handle_keeping_error(W, aio_slots(W, frame)[WF_HANDLE]) < 0)
    return WY_STEP_ERROR;
  return r;
}

static wy_Step wait_for_step(wy_State *W, wy_Value frame, wy_Resume how, wy_Value in, wy_Value *out) {
  AioState *st = aio_state_of(W, frame);
  wy_Value *f = st ? aio_slots(W, frame) : NULL;
  if (!f) return WY_STEP_ERROR;
  if (how == WY_RESUME_START) return wait_for_start(W, st, frame, f, out);
  switch (slot_int(W, f[WF_PHASE])) {
  case WF_DIRECT:
    *out = in;
    return how == WY_RESUME_ERROR ? WY_STEP_ERROR : WY_STEP_RETURN;
  case WF_WAITING: return wait_for_woken(W, st, frame, f, how, out);
  default: return wait_for_cancelled(W, st, frame, f, how, out);
  }
}

static wy_Value aio_wait_for(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"fut", "timeout", NULL};
  wy_Value a[2];
  if (std_args(W, "wait_for", argc, argv, kw, names, 2, a) < 0) return wy_error();
  wy_Value frame = aio_frame(W, ud);
  if (wy_is_error(frame)) return frame;
  wy_Value *f = aio_slots(W, frame);
  f[WF_FUT] = a[0];
  f[WF_TIMEOUT] = a[1];
  f[WF_HANDLE] = wy_none();
  return wy_coroutine(W, "wait_for", wait_for_step, frame);
}

/* ---- shield ---- */

/* _inner_done_callback(inner), closure data = outer */
static wy_Value shield_inner_done(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value outer = wy_closure_data(W);
  if (argc < 1) return wy_raise(W, "TypeError", "_inner_done_callback() missing 1 required positional argument: 'inner'");
  wy_Value inner = argv[0];
  if (aio_future_cancelled(W, outer)) {
    if (!aio_future_cancelled(W, inner) && wy_is_error(future_exception(W, inner))) return wy_error();
    return wy_none();
  }
  if (aio_future_cancelled(W, inner))
    return wy_future_cancel(W, outer, wy_none()) < 0 ? wy_error() : wy_none();
  wy_Value exc = future_exception(W, inner);
  if (wy_is_error(exc)) return exc;
  if (!wy_is_none(exc)) return wy_future_set_exception(W, outer, exc) < 0 ? wy_error() : wy_none();
  wy_Value r = wy_future_result(W, inner);
  return wy_is_error(r) || wy_future_set_result(W, outer, r) < 0 ? wy_error() : wy_none();
}

/* _outer_done_callback(outer), closure data = (inner, inner's callback) */
static wy_Value shield_outer_done(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value data = wy_closure_data(W);
  wy_Value inner = wy_getitem(W, data, wy_int(0));
  wy_Value cb = wy_getitem(W, data, wy_int(1));
  if (wy_is_error(inner) || wy_is_error(cb)) return wy_error();
  if (!aio_future_done(W, inner) && call_method1(W, inner, "remove_done_callback", cb) < 0) return wy_error();
  return wy_none();
}

static wy_Value aio_shield(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"arg", NULL};
  wy_Value a[1];
  if (std_args(W, "shield", argc, argv, kw, names, 1, a) < 0) return wy_error();
  wy_Value inner = aio_ensure_future(W, ud, a[0]);
  if (wy_is_error(inner) || aio_future_done(W, inner)) return inner;
  wy_Value outer = wy_future(W);
  wy_Value inner_cb = wy_is_error(outer) ? outer : wy_closure(W, "_inner_done_callback", shield_inner_done, outer);
  if (wy_is_error(inner_cb)) return inner_cb;
  wy_Value pair[2] = {inner, inner_cb};
  wy_Value data = wy_tuple(W, 2, pair);
  wy_Value outer_cb = wy_is_error(data) ? data : wy_closure(W, "_outer_done_callback", shield_outer_done, data);
  if (wy_is_error(outer_cb) || call_method1(W, inner, "add_done_callback", inner_cb) < 0 ||
      call_method1(W, outer, "add_done_callback", outer_cb) < 0)
    return wy_error();
  return outer;
}

/* ---- registration ---- */

int aio_tasks_add(wy_State *W, wy_Value m, AioState *st) {
  static const struct { const char *name; wy_CFunction fn; } fns[] = {
    {"gather", aio_gather_fn}, {"wait_for", aio_wait_for}, {"shield", aio_shield},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (wy_def(W, m, fns[i].name, fns[i].fn, st) < 0) return -1;
  return make_gathering_class(W, st);
}
