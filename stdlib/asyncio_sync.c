/* asyncio_sync.c — asyncio's synchronization primitives: Lock, Event,
** Semaphore, BoundedSemaphore and Condition, with CPython 3.11's
** Lib/asyncio/locks.py algorithms: waiters are futures in a FIFO list, a
** release wakes the first waiter that is not done, and a waiter cancelled
** after it was woken passes the wake-up on. Uses withy.h only.
**
** Each primitive keeps its state in slots. Its `async def` methods are C
** coroutines whose state is the primitive itself: the common case (a free
** lock, a set event) finishes in the first step with no allocation beyond
** the coroutine. Only a real wait makes a frame and a second coroutine,
** "the waiter" (waiter_step), which awaits the future and takes it out of
** the list again whatever happens, then lets the primitive finish. */
#include <stdio.h>
#include "asyncio_impl.h"

/* ---- slots ---- */

enum { L_LOCKED, L_WAITERS, L_NSLOTS };                       /* Lock */
enum { E_VALUE, E_WAITERS, E_NSLOTS };                        /* Event */
enum { S_VALUE, S_WAITERS, S_BOUND, S_NSLOTS };               /* Semaphore */
enum { C_LOCK, C_WAITERS, C_NSLOTS };                         /* Condition */

/* the slots of self, filled with the defaults when __init__ did not run
** (a subclass that forgot super().__init__()) */
static wy_Value *prim_slots(wy_State *W, int argc, const wy_Value *argv, int n, const char *cls) {
  wy_Value *s = aio_self_slots(W, argc, argv, n, cls);
  if (s && wy_is_error(s[0])) {
    s[0] = n == S_NSLOTS ? wy_int(1) : wy_bool(false);
    s[1] = wy_none();
    if (n == S_NSLOTS) s[S_BOUND] = wy_none();
  }
  return s;
}

static wy_Value *state_slots(wy_State *W, wy_Value self) {
  int n;
  return wy_slots(W, self, &n);
}

static int64_t as_int(wy_State *W, wy_Value v) {
  int64_t i = 0;
  if (wy_to_int(W, v, &i) < 0) wy_clear_error(W);
  return i;
}

/* the waiters list in slot i, made on first use */
static wy_Value waiters_of(wy_State *W, wy_Value self, int i) {
  wy_Value *s = state_slots(W, self);
  if (!s) return wy_error();
  if (wy_is_none(s[i]) || wy_is_error(s[i])) {
    wy_Value list = wy_list(W);
    if (wy_is_error(list)) return list;
    state_slots(W, self)[i] = list;
  }
  return state_slots(W, self)[i];
}

static int64_t nwaiters(wy_State *W, wy_Value waiters) {
  return wy_is_none(waiters) || wy_is_error(waiters) ? 0 : wy_len(W, waiters);
}

/* repr: object's, with [extra, waiters:N] inside */
static wy_Value repr_with_waiters(wy_State *W, wy_Value self, const char *extra, wy_Value waiters) {
  char buf[128];
  int64_t n = nwaiters(W, waiters);
  if (n > 0) snprintf(buf, sizeof buf, "%s, waiters:%lld", extra, (long long)n);
  else snprintf(buf, sizeof buf, "%s", extra);
  return aio_repr_with(W, self, buf);
}

/* fut.set_result(value) unless it is done */
static int wake(wy_State *W, wy_Value fut, wy_Value value) {
  if (aio_future_done(W, fut)) return 0;
  return wy_future_set_result(W, fut, value) < 0 ? -1 : 1;
}

/* ---- the waiter: append a future, await it, remove it ---- */

/* frame slots: the primitive, the future, the waiters list, what to do
** after, and that step's own two */
enum { WT_OWNER, WT_FUT, WT_LIST, WT_KIND, WT_A, WT_B };
enum { KIND_LOCK, KIND_EVENT, KIND_SEMAPHORE, KIND_CONDITION };

static wy_Step lock_after_wait(wy_State *W, wy_Value *f, wy_Value exc, wy_Value *out);
static wy_Step event_after_wait(wy_State *W, wy_Value *f, wy_Value exc, wy_Value *out);
static wy_Step semaphore_after_wait(wy_State *W, wy_Value *f, wy_Value exc, wy_Value *out);

static wy_Step waiter_step(wy_State *W, wy_Value frame, wy_Resume how, wy_Value in, wy_Value *out) {
  wy_Value *f = aio_slots(W, frame);
  if (!f) return WY_STEP_ERROR;
  if (how == WY_RESUME_START) {
    *out = f[WT_FUT];
    return WY_STEP_AWAIT;
  }
  /* finally: self._waiters.remove(fut) — with the exception set aside */
  wy_Value exc = how == WY_RESUME_ERROR ? wy_fetch_error(W) : wy_none();
  if (aio_list_remove(W, f[WT_LIST], f[WT_FUT]) < 0) return WY_STEP_ERROR;
  f = aio_slots(W, frame);
  switch (as_int(W, f[WT_KIND])) {
  case KIND_LOCK: return lock_after_wait(W, f, exc, out);
  case KIND_SEMAPHORE: return semaphore_after_wait(W, f, exc, out);
  default: return event_after_wait(W, f, exc, out);
  }
}

/* a new waiter future in owner's list (slot list_slot), and the coroutine
** that waits on it */
static wy_Value begin_wait(wy_State *W, AioState *st, wy_Value owner, int list_slot, int kind,
                           const char *name) {
  wy_Value list = waiters_of(W, owner, list_slot);
  wy_Value fut = wy_is_error(list) ? list : wy_future(W);
  wy_Value frame = wy_is_error(fut) ? fut : aio_frame(W, st);
  if (wy_is_error(frame) || wy_list_append(W, list, fut) < 0) return wy_error();
  wy_Value *f = aio_slots(W, frame);
  f[WT_OWNER] = owner;
  f[WT_FUT] = fut;
  f[WT_LIST] = list;
  f[WT_KIND] = wy_int(kind);
  return wy_coroutine(W, name, waiter_step, frame);
}

/* whether the pending-aside exception exc is a CancelledError */
static bool is_cancelled_error(wy_State *W, AioState *st, wy_Value exc) {
  if (wy_is_none(exc)) return false;
  int r = wy_isinstance(W, exc, wy_pinned(st->cancelled_error));
  if (r < 0) wy_clear_error(W);
  return r > 0;
}

/* put exc back and say so */
static wy_Step reraise(wy_State *W, wy_Value exc) {
  if (!wy_error_pending(W)) aio_reraise(W, exc);
  return WY_STEP_ERROR;
}

/* the module state, from a waiter frame f or (f NULL) from a primitive */
static AioState *owner_state(wy_State *W, wy_Value *f, wy_Value frame_like);

/* ---- Lock ---- */

static int lock_wake_up_first(wy_State *W, wy_Value *s) {
  wy_Value waiters = s[L_WAITERS];
  if (nwaiters(W, waiters) <= 0) return 0;
  wy_Value first = wy_getitem(W, waiters, wy_int(0));
  return wy_is_error(first) ? -1 : wake(W, first, wy_bool(true));
}

/* not locked, and no waiter that is not cancelled */
static bool lock_free(wy_State *W, wy_Value *s) {
  if (wy_truthy(W, s[L_LOCKED]) > 0) return false;
  wy_Value waiters = s[L_WAITERS];
  int64_t n = nwaiters(W, waiters);
  for (int64_t i = 0; i < n; i++) {
    wy_Value w = wy_getitem(W, waiters, wy_int(i));
    if (!wy_is_error(w) && !aio_future_cancelled(W, w)) return false;
  }
  return true;
}

static wy_Step lock_after_wait(wy_State *W, wy_Value *f, wy_Value exc, wy_Value *out) {
  wy_Value *s = state_slots(W, f[WT_OWNER]);
  if (!s) return WY_STEP_ERROR;
  if (!wy_is_none(exc)) {
    AioState *st = owner_state(W, f, wy_none());
    if (st && is_cancelled_error(W, st, exc) && !wy_truthy(W, s[L_LOCKED]) &&
        lock_wake_up_first(W, s) < 0)
      return WY_STEP_ERROR;
    return reraise(W, exc);
  }
  s[L_LOCKED] = wy_bool(true);
  *out = wy_bool(true);
  return WY_STEP_RETURN;
}

/* acquire() and __aenter__: state = the lock; WT_A of nothing: the result
** differs (True / None), so two step functions share this */
static wy_Step lock_acquire_common(wy_State *W, wy_Value lock, wy_Resume how, wy_Value in, wy_Value *out,
                                   wy_Value result) {
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  if (how == WY_RESUME_VALUE) {
    *out = result;
    return WY_STEP_RETURN;
  }
  wy_Value *s = state_slots(W, lock);
  if (!s) return WY_STEP_ERROR;
  if (lock_free(W, s)) {
    s[L_LOCKED] = wy_bool(true);
    *out = result;
    return WY_STEP_RETURN;
  }
  AioState *st = owner_state(W, NULL, lock);
  *out = st ? begin_wait(W, st, lock, L_WAITERS, KIND_LOCK, "acquire") : wy_error();
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

static wy_Step lock_acquire_step(wy_State *W, wy_Value lock, wy_Resume how, wy_Value in, wy_Value *out) {
  return lock_acquire_common(W, lock, how, in, out, wy_bool(true));
}

static wy_Step lock_aenter_step(wy_State *W, wy_Value lock, wy_Resume how, wy_Value in, wy_Value *out) {
  return lock_acquire_common(W, lock, how, in, out, wy_none());
}

static int lock_release(wy_State *W, wy_Value *s) {
  if (wy_truthy(W, s[L_LOCKED]) <= 0) {
    wy_raise(W, "RuntimeError", "Lock is not acquired.");
    return -1;
  }
  s[L_LOCKED] = wy_bool(false);
  return lock_wake_up_first(W, s) < 0 ? -1 : 0;
}

static wy_Value lock_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {NULL};
  wy_Value *s = aio_self_slots(W, argc, argv, L_NSLOTS, "Lock");
  if (!s || aio_method_args(W, "Lock.__init__", argc, argv, kw, names, 0, NULL) < 0) return wy_error();
  s[L_LOCKED] = wy_bool(false);
  s[L_WAITERS] = wy_none();
  return wy_none();
}

static wy_Value lock_locked(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = prim_slots(W, argc, argv, L_NSLOTS, "Lock");
  return s ? wy_bool(wy_truthy(W, s[L_LOCKED]) > 0) : wy_error();
}

static wy_Value lock_acquire(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!prim_slots(W, argc, argv, L_NSLOTS, "Lock")) return wy_error();
  return wy_coroutine(W, "Lock.acquire", lock_acquire_step, argv[0]);
}

static wy_Value lock_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!prim_slots(W, argc, argv, L_NSLOTS, "Lock")) return wy_error();
  return wy_coroutine(W, "_ContextManagerMixin.__aenter__", lock_aenter_step, argv[0]);
}

static wy_Value lock_release_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = prim_slots(W, argc, argv, L_NSLOTS, "Lock");
  return s && lock_release(W, s) == 0 ? wy_none() : wy_error();
}

/* __aexit__ of Lock, Semaphore and Condition: `self.release()` when the
** coroutine runs; state = self */
static wy_Step release_aexit_step(wy_State *W, wy_Value self, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how != WY_RESUME_START) return how == WY_RESUME_ERROR ? WY_STEP_ERROR : WY_STEP_RETURN;
  *out = wy_call_method(W, self, "release", 0, NULL);
  if (wy_is_error(*out)) return WY_STEP_ERROR;
  *out = wy_none();
  return WY_STEP_RETURN;
}

/* Lock's own: no method lookup on the hot path of `async with lock` */
static wy_Step lock_aexit_step(wy_State *W, wy_Value lock, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how != WY_RESUME_START) return how == WY_RESUME_ERROR ? WY_STEP_ERROR : WY_STEP_RETURN;
  wy_Value *s = state_slots(W, lock);
  if (!s || lock_release(W, s) < 0) return WY_STEP_ERROR;
  *out = wy_none();
  return WY_STEP_RETURN;
}

static wy_Value aexit_release(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (argc < 1) return wy_raise(W, "TypeError", "descriptor needs an argument");
  return wy_coroutine(W, "_ContextManagerMixin.__aexit__", release_aexit_step, argv[0]);
}

static wy_Value lock_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!prim_slots(W, argc, argv, L_NSLOTS, "Lock")) return wy_error();
  /* a subclass may override release(): go through it then */
  wy_Value cls = wy_type_of(W, argv[0]);
  if (!wy_is(cls, ud ? wy_pinned(((AioState *)ud)->lock_class) : cls))
    return aexit_release(W, argc, argv, kw, ud);
  return wy_coroutine(W, "_ContextManagerMixin.__aexit__", lock_aexit_step, argv[0]);
}

static wy_Value lock_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = prim_slots(W, argc, argv, L_NSLOTS, "Lock");
  if (!s) return wy_error();
  return repr_with_waiters(W, argv[0], wy_truthy(W, s[L_LOCKED]) > 0 ? "locked" : "unlocked", s[L_WAITERS]);
}

/* ---- Event ---- */

static wy_Step event_after_wait(wy_State *W, wy_Value *f, wy_Value exc, wy_Value *out) {
  if (!wy_is_none(exc)) return reraise(W, exc);
  *out = wy_bool(true);
  return WY_STEP_RETURN;
}

static wy_Step event_wait_step(wy_State *W, wy_Value event, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how != WY_RESUME_START) {
    *out = in;
    return how == WY_RESUME_ERROR ? WY_STEP_ERROR : WY_STEP_RETURN;
  }
  wy_Value *s = state_slots(W, event);
  if (!s) return WY_STEP_ERROR;
  if (wy_truthy(W, s[E_VALUE]) > 0) {
    *out = wy_bool(true);
    return WY_STEP_RETURN;
  }
  AioState *st = owner_state(W, NULL, event);
  *out = st ? begin_wait(W, st, event, E_WAITERS, KIND_EVENT, "Event.wait") : wy_error();
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

static wy_Value event_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {NULL};
  wy_Value *s = aio_self_slots(W, argc, argv, E_NSLOTS, "Event");
  if (!s || aio_method_args(W, "Event.__init__", argc, argv, kw, names, 0, NULL) < 0) return wy_error();
  wy_Value list = wy_list(W);
  if (wy_is_error(list)) return list;
  s[E_VALUE] = wy_bool(false);
  s[E_WAITERS] = list;
  return wy_none();
}

int aio_event_set(wy_State *W, wy_Value event) {
  wy_Value *s = state_slots(W, event);
  if (!s) return -1;
  if (wy_truthy(W, s[E_VALUE]) > 0) return 0;
  s[E_VALUE] = wy_bool(true);
  wy_Value waiters = s[E_WAITERS];
  int64_t n = nwaiters(W, waiters);
  for (int64_t i = 0; i < n; i++) {
    wy_Value w = wy_getitem(W, waiters, wy_int(i));
    if (wy_is_error(w) || wake(W, w, wy_bool(true)) < 0) return -1;
  }
  return 0;
}

int aio_event_clear(wy_State *W, wy_Value event) {
  wy_Value *s = state_slots(W, event);
  if (!s) return -1;
  s[E_VALUE] = wy_bool(false);
  return 0;
}

wy_Value aio_event_new(wy_State *W, AioState *st) {
  return wy_call(W, wy_pinned(st->event_class), 0, NULL);
}

wy_Value aio_event_wait(wy_State *W, AioState *st, wy_Value event) {
  return wy_coroutine(W, "Event.wait", event_wait_step, event);
}

static wy_Value event_is_set(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = prim_slots(W, argc, argv, E_NSLOTS, "Event");
  return s ? wy_bool(wy_truthy(W, s[E_VALUE]) > 0) : wy_error();
}

static wy_Value event_set_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!prim_slots(W, argc, argv, E_NSLOTS, "Event")) return wy_error();
  return aio_event_set(W, argv[0]) < 0 ? wy_error() : wy_none();
}

static wy_Value event_clear_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!prim_slots(W, argc, argv, E_NSLOTS, "Event")) return wy_error();
  return aio_event_clear(W, argv[0]) < 0 ? wy_error() : wy_none();
}

static wy_Value event_wait_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!prim_slots(W, argc, argv, E_NSLOTS, "Event")) return wy_error();
  return aio_event_wait(W, ud, argv[0]);
}

static wy_Value event_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = prim_slots(W, argc, argv, E_NSLOTS, "Event");
  if (!s) return wy_error();
  return repr_with_waiters(W, argv[0], wy_truthy(W, s[E_VALUE]) > 0 ? "set" : "unset", s[E_WAITERS]);
}

/* ---- Semaphore, BoundedSemaphore ---- */

/* value == 0, or a waiter that is not cancelled */
static bool semaphore_locked(wy_State *W, wy_Value *s) {
  if (as_int(W, s[S_VALUE]) == 0) return true;
  wy_Value waiters = s[S_WAITERS];
  int64_t n = nwaiters(W, waiters);
  for (int64_t i = 0; i < n; i++) {
    wy_Value w = wy_getitem(W, waiters, wy_int(i));
    if (!wy_is_error(w) && !aio_future_cancelled(W, w)) return true;
  }
  return false;
}

/* wake the first waiter that is not done, taking one unit for it */
static int semaphore_wake_up_next(wy_State *W, wy_Value *s) {
  wy_Value waiters = s[S_WAITERS];
  int64_t n = nwaiters(W, waiters);
  for (int64_t i = 0; i < n; i++) {
    wy_Value w = wy_getitem(W, waiters, wy_int(i));
    if (wy_is_error(w)) return -1;
    if (!aio_future_done(W, w)) {
      s[S_VALUE] = wy_int(as_int(W, s[S_VALUE]) - 1);
      return wy_future_set_result(W, w, wy_bool(true));
    }
  }
  return 0;
}

static wy_Step semaphore_after_wait(wy_State *W, wy_Value *f, wy_Value exc, wy_Value *out) {
  wy_Value *s = state_slots(W, f[WT_OWNER]);
  if (!s) return WY_STEP_ERROR;
  if (!wy_is_none(exc)) {
    AioState *st = owner_state(W, f, wy_none());
    if (st && is_cancelled_error(W, st, exc) && !aio_future_cancelled(W, f[WT_FUT])) {
      /* woken, then cancelled: give the unit back and pass it on */
      s[S_VALUE] = wy_int(as_int(W, s[S_VALUE]) + 1);
      if (semaphore_wake_up_next(W, s) < 0) return WY_STEP_ERROR;
    }
    return reraise(W, exc);
  }
  if (as_int(W, s[S_VALUE]) > 0 && semaphore_wake_up_next(W, s) < 0) return WY_STEP_ERROR;
  *out = wy_bool(true);
  return WY_STEP_RETURN;
}

static wy_Step semaphore_acquire_common(wy_State *W, wy_Value sem, wy_Resume how, wy_Value in, wy_Value *out,
                                        wy_Value result) {
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  if (how == WY_RESUME_VALUE) {
    *out = result;
    return WY_STEP_RETURN;
  }
  wy_Value *s = state_slots(W, sem);
  if (!s) return WY_STEP_ERROR;
  if (!semaphore_locked(W, s)) {
    s[S_VALUE] = wy_int(as_int(W, s[S_VALUE]) - 1);
    *out = result;
    return WY_STEP_RETURN;
  }
  AioState *st = owner_state(W, NULL, sem);
  *out = st ? begin_wait(W, st, sem, S_WAITERS, KIND_SEMAPHORE, "Semaphore.acquire") : wy_error();
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

static wy_Step semaphore_acquire_step(wy_State *W, wy_Value sem, wy_Resume how, wy_Value in, wy_Value *out) {
  return semaphore_acquire_common(W, sem, how, in, out, wy_bool(true));
}

static wy_Step semaphore_aenter_step(wy_State *W, wy_Value sem, wy_Resume how, wy_Value in, wy_Value *out) {
  return semaphore_acquire_common(W, sem, how, in, out, wy_none());
}

static wy_Value semaphore_init_as(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, const char *qualname,
                                  bool bounded) {
  static const char *const names[] = {"value", NULL};
  wy_Value a[1];
  wy_Value *s = aio_self_slots(W, argc, argv, S_NSLOTS, "Semaphore");
  if (!s || aio_method_args(W, qualname, argc, argv, kw, names, 0, a) < 0) return wy_error();
  int64_t value = 1;
  if (!wy_is_error(a[0]) && wy_to_int(W, a[0], &value) < 0) return wy_error();
  if (value < 0) return wy_raise(W, "ValueError", "Semaphore initial value must be >= 0");
  s[S_VALUE] = wy_int(value);
  s[S_WAITERS] = wy_none();
  s[S_BOUND] = bounded ? wy_int(value) : wy_none();
  return wy_none();
}

static wy_Value semaphore_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return semaphore_init_as(W, argc, argv, kw, "Semaphore.__init__", false);
}

static wy_Value bounded_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return semaphore_init_as(W, argc, argv, kw, "BoundedSemaphore.__init__", true);
}

static wy_Value semaphore_locked_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = prim_slots(W, argc, argv, S_NSLOTS, "Semaphore");
  return s ? wy_bool(semaphore_locked(W, s)) : wy_error();
}

static wy_Value semaphore_acquire(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!prim_slots(W, argc, argv, S_NSLOTS, "Semaphore")) return wy_error();
  return wy_coroutine(W, "Semaphore.acquire", semaphore_acquire_step, argv[0]);
}

static wy_Value semaphore_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!prim_slots(W, argc, argv, S_NSLOTS, "Semaphore")) return wy_error();
  return wy_coroutine(W, "_ContextManagerMixin.__aenter__", semaphore_aenter_step, argv[0]);
}

static wy_Value semaphore_release(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = prim_slots(W, argc, argv, S_NSLOTS, "Semaphore");
  if (!s) return wy_error();
  if (!wy_is_none(s[S_BOUND]) && as_int(W, s[S_VALUE]) >= as_int(W, s[S_BOUND]))
    return wy_raise(W, "ValueError", "BoundedSemaphore released too many times");
  s[S_VALUE] = wy_int(as_int(W, s[S_VALUE]) + 1);
  return semaphore_wake_up_next(W, s) < 0 ? wy_error() : wy_none();
}

static wy_Value semaphore_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = prim_slots(W, argc, argv, S_NSLOTS, "Semaphore");
  if (!s) return wy_error();
  char extra[64];
  if (semaphore_locked(W, s)) snprintf(extra, sizeof extra, "locked");
  else snprintf(extra, sizeof extra, "unlocked, value:%lld", (long long)as_int(W, s[S_VALUE]));
  return repr_with_waiters(W, argv[0], extra, s[S_WAITERS]);
}

/* ---- Condition ---- */

/* wait()'s frame, after the waiter slots: how the wait ended (the
** exception, or None), and whether a reacquire was cancelled */
enum { CW_PHASE = WT_A, CW_EXC = WT_B, CW_CANCELLED = WT_B + 1 };
enum { CW_WAITING, CW_REACQUIRING };

static wy_Value cond_lock(wy_State *W, wy_Value cond) {
  wy_Value *s = state_slots(W, cond);
  if (!s) return wy_error();
  if (wy_is_error(s[C_LOCK])) return wy_raise(W, "AttributeError", "'Condition' object has no attribute '_lock'");
  return s[C_LOCK];
}

static int cond_is_locked(wy_State *W, wy_Value cond) {
  wy_Value lock = cond_lock(W, cond);
  wy_Value r = wy_is_error(lock) ? lock : wy_call_method(W, lock, "locked", 0, NULL);
  return wy_is_error(r) ? -1 : wy_truthy(W, r);
}

/* the reacquire loop of wait()'s outer finally: await self.acquire() until
** it is not cancelled */
static wy_Step cond_reacquire(wy_State *W, wy_Value frame, wy_Value *out) {
  wy_Value lock = cond_lock(W, aio_slots(W, frame)[WT_OWNER]);
  *out = wy_is_error(lock) ? lock : wy_call_method(W, lock, "acquire", 0, NULL);
  if (wy_is_error(*out)) return WY_STEP_ERROR;
  aio_slots(W, frame)[CW_PHASE] = wy_int(CW_REACQUIRING);
  return WY_STEP_AWAIT;
}

static wy_Step cond_wait_step(wy_State *W, wy_Value frame, wy_Resume how, wy_Value in, wy_Value *out) {
  wy_Value *f = aio_slots(W, frame);
  AioState *st = aio_state_of(W, frame);
  if (!f || !st) return WY_STEP_ERROR;
  if (how == WY_RESUME_START) {
    wy_Value cond = f[WT_OWNER];
    int locked = cond_is_locked(W, cond);
    if (locked < 0) return WY_STEP_ERROR;
    if (!locked) {
      wy_raise(W, "RuntimeError", "cannot wait on un-acquired lock");
      return WY_STEP_ERROR;
    }
    wy_Value lock = cond_lock(W, cond);
    if (wy_is_error(lock) || wy_is_error(wy_call_method(W, lock, "release", 0, NULL))) return WY_STEP_ERROR;
    wy_Value list = waiters_of(W, cond, C_WAITERS);
    wy_Value fut = wy_is_error(list) ? list : wy_future(W);
    if (wy_is_error(fut) || wy_list_append(W, list, fut) < 0) return WY_STEP_ERROR;
    f = aio_slots(W, frame);
    f[WT_FUT] = fut;
    f[WT_LIST] = list;
    f[CW_PHASE] = wy_int(CW_WAITING);
    f[CW_CANCELLED] = wy_bool(false);
    *out = fut;
    return WY_STEP_AWAIT;
  }
  wy_Value exc = how == WY_RESUME_ERROR ? wy_fetch_error(W) : wy_none();
  if (as_int(W, f[CW_PHASE]) == CW_WAITING) {
    if (aio_list_remove(W, f[WT_LIST], f[WT_FUT]) < 0) return WY_STEP_ERROR;
    aio_slots(W, frame)[CW_EXC] = exc;
    return cond_reacquire(W, frame, out);
  }
  /* reacquiring */
  if (!wy_is_none(exc)) {
    if (!is_cancelled_error(W, st, exc)) return reraise(W, exc);
    aio_slots(W, frame)[CW_CANCELLED] = wy_bool(true);
    return cond_reacquire(W, frame, out);
  }
  f = aio_slots(W, frame);
  if (wy_truthy(W, f[CW_CANCELLED]) > 0) {
    wy_Value err = wy_call(W, wy_pinned(st->cancelled_error), 0, NULL);
    if (!wy_is_error(err)) wy_raise_value(W, err);
    return WY_STEP_ERROR;
  }
  if (!wy_is_none(f[CW_EXC])) return reraise(W, f[CW_EXC]);
  *out = wy_bool(true);
  return WY_STEP_RETURN;
}

/* wait_for(predicate): state = frame (condition, predicate) */
enum { CF_COND, CF_PREDICATE };

static wy_Step cond_wait_for_step(wy_State *W, wy_Value frame, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  wy_Value *f = aio_slots(W, frame);
  if (!f) return WY_STEP_ERROR;
  wy_Value result = wy_call(W, f[CF_PREDICATE], 0, NULL);
  int t = wy_is_error(result) ? -1 : wy_truthy(W, result);
  if (t < 0) return WY_STEP_ERROR;
  if (t) {
    *out = result;
    return WY_STEP_RETURN;
  }
  *out = wy_call_method(W, aio_slots(W, frame)[CF_COND], "wait", 0, NULL);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

static wy_Value cond_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AioState *st = ud;
  static const char *const names[] = {"lock", NULL};
  wy_Value a[1];
  wy_Value *s = aio_self_slots(W, argc, argv, C_NSLOTS, "Condition");
  if (!s || aio_method_args(W, "Condition.__init__", argc, argv, kw, names, 0, a) < 0) return wy_error();
  wy_Value lock = wy_is_error(a[0]) || wy_is_none(a[0]) ? wy_call(W, wy_pinned(st->lock_class), 0, NULL) : a[0];
  wy_Value list = wy_is_error(lock) ? lock : wy_list(W);
  if (wy_is_error(list)) return list;
  s = state_slots(W, argv[0]);
  s[C_LOCK] = lock;
  s[C_WAITERS] = list;
  return wy_none();
}

static wy_Value cond_delegate(wy_State *W, int argc, const wy_Value *argv, const char *method) {
  if (!aio_self_slots(W, argc, argv, C_NSLOTS, "Condition")) return wy_error();
  wy_Value lock = cond_lock(W, argv[0]);
  return wy_is_error(lock) ? lock : wy_call_method(W, lock, method, 0, NULL);
}

static wy_Value cond_locked(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return cond_delegate(W, argc, argv, "locked");
}
static wy_Value cond_acquire(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return cond_delegate(W, argc, argv, "acquire");
}
static wy_Value cond_release(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return cond_delegate(W, argc, argv, "release");
}

/* __aenter__: await self.acquire(), then None */
static wy_Step cond_aenter_step(wy_State *W, wy_Value cond, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_START) {
    *out = wy_call_method(W, cond, "acquire", 0, NULL);
    return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
  }
  *out = wy_none();
  return how == WY_RESUME_ERROR ? WY_STEP_ERROR : WY_STEP_RETURN;
}

static wy_Value cond_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!aio_self_slots(W, argc, argv, C_NSLOTS, "Condition")) return wy_error();
  return wy_coroutine(W, "_ContextManagerMixin.__aenter__", cond_aenter_step, argv[0]);
}

static wy_Value cond_wait(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!aio_self_slots(W, argc, argv, C_NSLOTS, "Condition")) return wy_error();
  wy_Value frame = aio_frame(W, ud);
  if (wy_is_error(frame)) return frame;
  aio_slots(W, frame)[WT_OWNER] = argv[0];
  return wy_coroutine(W, "Condition.wait", cond_wait_step, frame);
}

static wy_Value cond_wait_for(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"predicate", NULL};
  wy_Value a[1];
  if (!aio_self_slots(W, argc, argv, C_NSLOTS, "Condition") ||
      aio_method_args(W, "Condition.wait_for", argc, argv, kw, names, 1, a) < 0)
    return wy_error();
  wy_Value frame = aio_frame(W, ud);
  if (wy_is_error(frame)) return frame;
  wy_Value *f = aio_slots(W, frame);
  f[CF_COND] = argv[0];
  f[CF_PREDICATE] = a[0];
  return wy_coroutine(W, "Condition.wait_for", cond_wait_for_step, frame);
}

static int cond_notify_n(wy_State *W, wy_Value cond, int64_t n) {
  int locked = cond_is_locked(W, cond);
  if (locked < 0) return -1;
  if (!locked) {
    wy_raise(W, "RuntimeError", "cannot notify on un-acquired lock");
    return -1;
  }
  wy_Value waiters = state_slots(W, cond)[C_WAITERS];
  int64_t count = nwaiters(W, waiters), woken = 0;
  for (int64_t i = 0; i < count && woken < n; i++) {
    wy_Value w = wy_getitem(W, waiters, wy_int(i));
    if (wy_is_error(w)) return -1;
    if (aio_future_done(W, w)) continue;
    woken++;
    if (wy_future_set_result(W, w, wy_bool(false)) < 0) return -1;
  }
  return 0;
}

static wy_Value cond_notify(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"n", NULL};
  wy_Value a[1];
  if (!aio_self_slots(W, argc, argv, C_NSLOTS, "Condition") ||
      aio_method_args(W, "Condition.notify", argc, argv, kw, names, 0, a) < 0)
    return wy_error();
  int64_t n = 1;
  if (!wy_is_error(a[0]) && wy_to_int(W, a[0], &n) < 0) return wy_error();
  return cond_notify_n(W, argv[0], n) < 0 ? wy_error() : wy_none();
}

static wy_Value cond_notify_all(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!aio_self_slots(W, argc, argv, C_NSLOTS, "Condition")) return wy_error();
  int64_t n = nwaiters(W, state_slots(W, argv[0])[C_WAITERS]);
  return cond_notify_n(W, argv[0], n) < 0 ? wy_error() : wy_none();
}

static wy_Value cond_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!aio_self_slots(W, argc, argv, C_NSLOTS, "Condition")) return wy_error();
  int locked = cond_is_locked(W, argv[0]);
  if (locked < 0) return wy_error();
  return repr_with_waiters(W, argv[0], locked ? "locked" : "unlocked", state_slots(W, argv[0])[C_WAITERS]);
}

/* ---- the module state from a step ---- */

/* A step whose state is the primitive itself (no frame, to keep the
** uncontended path cheap) finds the module state through the primitive's
** class: each class carries a frame in its `_aio_state` attribute. Only
** the slow paths (a real wait) come here. */
static AioState *owner_state(wy_State *W, wy_Value *f, wy_Value prim) {
  return aio_class_state(W, f ? f[WT_OWNER] : prim);
}

/* ---- registration ---- */

static const wy_Method lock_methods[] = {
  {"__init__", lock_init}, {"locked", lock_locked}, {"acquire", lock_acquire}, {"release", lock_release_fn},
  {"__aenter__", lock_aenter}, {"__aexit__", lock_aexit}, {"__repr__", lock_repr}, {NULL, NULL},
};
static const wy_Method event_methods[] = {
  {"__init__", event_init}, {"is_set", event_is_set}, {"set", event_set_fn}, {"clear", event_clear_fn},
  {"wait", event_wait_fn}, {"__repr__", event_repr}, {NULL, NULL},
};
static const wy_Method semaphore_methods[] = {
  {"__init__", semaphore_init}, {"locked", semaphore_locked_fn}, {"acquire", semaphore_acquire},
  {"release", semaphore_release}, {"__aenter__", semaphore_aenter}, {"__aexit__", aexit_release},
  {"__repr__", semaphore_repr}, {NULL, NULL},
};
static const wy_Method bounded_methods[] = {{"__init__", bounded_init}, {NULL, NULL}};
static const wy_Method condition_methods[] = {
  {"__init__", cond_init}, {"locked", cond_locked}, {"acquire", cond_acquire}, {"release", cond_release},
  {"wait", cond_wait}, {"wait_for", cond_wait_for}, {"notify", cond_notify}, {"notify_all", cond_notify_all},
  {"__aenter__", cond_aenter}, {"__aexit__", aexit_release}, {"__repr__", cond_repr}, {NULL, NULL},
};

int aio_sync_add(wy_State *W, wy_Value m, AioState *st) {
  struct { const char *name; const wy_Method *methods; int nslots; wy_Value cls; } c[] = {
    {"Lock", lock_methods, L_NSLOTS, wy_none()},
    {"Event", event_methods, E_NSLOTS, wy_none()},
    {"Semaphore", semaphore_methods, S_NSLOTS, wy_none()},
    {"BoundedSemaphore", bounded_methods, 0, wy_none()},
    {"Condition", condition_methods, C_NSLOTS, wy_none()},
  };
  for (int i = 0; i < 5; i++) {
    wy_Value base = i == 3 ? c[2].cls : wy_none();
    c[i].cls = aio_add_class(W, m, c[i].name, base, c[i].methods, st, "asyncio.locks", c[i].nslots);
    if (wy_is_error(c[i].cls) || aio_set_class_state(W, c[i].cls, st) < 0) return -1;
  }
  st->lock_class = wy_pin(W, c[0].cls);
  st->event_class = wy_pin(W, c[1].cls);
  return st->lock_class && st->event_class ? 0 : -1;
}
