/* future.c — asyncio's Future in the core: a result (or an exception, or a
** cancellation) that arrives later, with callbacks that the loop runs once
** it is there. A future is its own awaitable iterator: sent a value while
** pending it yields itself (a task then waits on it); once done, sending
** returns its result and throwing raises at the await point. CPython 3.11's
** _asyncio.Future is the reference for every message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "async.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "type.h"
#include "str.h"
#include "tuple.h"
#include "gen.h"

bool async_is_future(VM *vm, Value v) {
  AsyncCore *ac = vm->async;
  if (!ac || !IS_FOREIGN(v)) return false;
  Type *t = AS_OBJ(v)->type;
  return t == ac->t_future || t == ac->t_task || type_is_subtype(t, ac->t_future);
}

static void future_trace(VM *vm, void *data) {
  Future *f = data;
  gc_mark_value(vm, f->result);
  gc_mark_value(vm, f->exc);
  gc_mark_value(vm, f->cancel_msg);
  gc_mark_value(vm, f->cancelled_exc);
  gc_mark_value(vm, f->coro);
  gc_mark_value(vm, f->waiter);
  gc_mark_value(vm, f->name);
  for (int i = 0; i < f->ncbs; i++) gc_mark_value(vm, f->cbs[i].a);
}

static void future_finalize(VM *vm, void *data) {
  Future *f = data;
  free(f->cbs);
  free(f);
}

Value future_alloc(VM *vm, Type *t) {
  Future *f = calloc(1, sizeof *f);
  if (!f) return exc_no_memory(vm);
  f->result = f->exc = f->cancel_msg = f->cancelled_exc = V_NONE;
  f->coro = f->waiter = f->name = V_NONE;
  f->task_index = -1;
  ForeignObj *o = foreign_new(vm, t, f, future_trace, future_finalize);
  if (!o) {
    free(f);
    return V_UNDEF;
  }
  return v_obj(o);
}

static Value invalid_state(VM *vm, const char *msg) {
  return exc_raise(vm, vm->async->t_invalid_state_error, "%s", msg);
}

/* the callbacks go to the loop, in the order they were added */
static int schedule_callbacks(VM *vm, Value fut) {
  Future *f = future_of(fut);
  FutCallback *cbs = f->cbs;
  int n = f->ncbs;
  f->cbs = NULL;
  f->ncbs = f->cbcap = 0;
  int rc = 0;
  for (int i = 0; i < n; i++)
    if (loop_call_soon(vm, cbs[i].fn, cbs[i].a, fut, cbs[i].p) < 0) rc = -1;
  free(cbs);
  return rc;
}

int future_set_result(VM *vm, Value fut, Value result) {
  Future *f = future_of(fut);
  if (f->state != FUT_PENDING) {
    invalid_state(vm, "invalid state");
    return -1;
  }
  f->result = result;
  f->state = FUT_DONE;
  return schedule_callbacks(vm, fut);
}

int future_set_exception(VM *vm, Value fut, Value exc) {
  Future *f = future_of(fut);
  if (f->state != FUT_PENDING) {
    invalid_state(vm, "invalid state");
    return -1;
  }
  ExcObj *e = exc_from_value(vm, exc);
  if (!e) return -1;
  if (exc_matches(vm, e, EXC(vm, StopIteration))) {
    exc_type_error(vm, "StopIteration interacts badly with generators and cannot be raised into a Future");
    return -1;
  }
  f->exc = v_obj(e);
  f->state = FUT_DONE;
  f->log_exc = true;
  return schedule_callbacks(vm, fut);
}

int future_cancel_plain(VM *vm, Value fut, Value msg) {
  Future *f = future_of(fut);
  f->log_exc = false;
  if (f->state != FUT_PENDING) return 0;
  f->state = FUT_CANCELLED;
  f->cancel_msg = msg;
  return schedule_callbacks(vm, fut) < 0 ? -1 : 1;
}

int future_cancel(VM *vm, Value fut, Value msg) {
  return future_of(fut)->is_task ? task_cancel(vm, fut, msg) : future_cancel_plain(vm, fut, msg);
}

ExcObj *future_cancelled_error(VM *vm, Value fut) {
  Future *f = future_of(fut);
  if (IS_EXC(f->cancelled_exc)) {
    ExcObj *e = AS_EXC(f->cancelled_exc);
    f->cancelled_exc = V_NONE;
    return e;
  }
  TupleObj *args = NULL;
  if (!IS_NONE(f->cancel_msg)) {
    args = tuple_new(vm, 1);
    if (!args) return NULL;
    args->items[0] = f->cancel_msg;
  }
  return exc_new(vm, vm->async->t_cancelled_error, args);
}

Value future_result(VM *vm, Value fut) {
  Future *f = future_of(fut);
  if (f->state == FUT_CANCELLED) {
    ExcObj *e = future_cancelled_error(vm, fut);
    return e ? exc_raise_obj(vm, e) : V_UNDEF;
  }
  if (f->state == FUT_PENDING) return invalid_state(vm, "Result is not set.");
  f->log_exc = false;
  if (IS_EXC(f->exc)) return exc_raise_obj(vm, AS_EXC(f->exc));
  return f->result;
}

ExcObj *future_take_exception(VM *vm, Value fut) {
  Future *f = future_of(fut);
  if (f->state == FUT_CANCELLED) return future_cancelled_error(vm, fut);
  f->log_exc = false;
  return IS_EXC(f->exc) ? AS_EXC(f->exc) : NULL;
}

int future_add_callback(VM *vm, Value fut, LoopFn fn, Value a, void *p) {
  Future *f = future_of(fut);
  if (f->state != FUT_PENDING) return loop_call_soon(vm, fn, a, fut, p);
  if (f->ncbs == f->cbcap) {
    int cap = f->cbcap ? f->cbcap * 2 : 2;
    FutCallback *cbs = realloc(f->cbs, (size_t)cap * sizeof *cbs);
    if (!cbs) {
      exc_no_memory(vm);
      return -1;
    }
    f->cbs = cbs;
    f->cbcap = cap;
  }
  f->cbs[f->ncbs++] = (FutCallback){fn, a, p};
  return 0;
}

/* ---- awaiting: the future is its own iterator ---- */

static int future_send(VM *vm, Value self, Value v, Value *out) {
  Future *f = future_of(self);
  if (f->state == FUT_PENDING) {
    f->blocking = true;
    *out = self;
    return 1;
  }
  Value r = future_result(vm, self);
  if (IS_UNDEF(r)) return -1;
  *out = r;
  return 0;
}

static int future_throw(VM *vm, Value self, ExcObj *exc, Value *out) {
  exc_restore(vm, exc);
  return -1;
}

/* ---- Python methods ---- */

static Value self_future(VM *vm, Value *args, int nargs, const char *meth) {
  if (nargs < 1 || !async_is_future(vm, args[0]))
    return exc_type_error(vm, "descriptor '%s' for '_asyncio.Future' objects doesn't apply to a '%T' object", meth,
                          nargs < 1 ? V_NONE : args[0]);
  return args[0];
}

#define SELF_NOARGS(meth)                                                 \
  Value self = self_future(vm, args, nargs, meth);                        \
  if (IS_UNDEF(self)) return V_UNDEF;                                     \
  if (arg_no_kwargs(vm, meth, kwnames) < 0 || arg_check_count(vm, meth, nargs - 1, 0, 0) < 0) return V_UNDEF; \
  Future *f = future_of(self);

static Value fm_result(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_NOARGS("result");
  (void)f;
  return future_result(vm, self);
}

static Value fm_exception(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_NOARGS("exception");
  if (f->state == FUT_CANCELLED) {
    ExcObj *e = future_cancelled_error(vm, self);
    return e ? exc_raise_obj(vm, e) : V_UNDEF;
  }
  if (f->state == FUT_PENDING) return invalid_state(vm, "Exception is not set.");
  f->log_exc = false;
  return f->exc;
}

static Value fm_done(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_NOARGS("done");
  return v_bool(f->state != FUT_PENDING);
}

static Value fm_cancelled(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_NOARGS("cancelled");
  return v_bool(f->state == FUT_CANCELLED);
}

static Value fm_cancel(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_future(vm, args, nargs, "cancel");
  if (IS_UNDEF(self)) return V_UNDEF;
  static const char *const names[] = {"msg", NULL};
  Value msg;
  if (arg_parse(vm, "cancel", args + 1, nargs - 1, kwnames, names, 0, &msg) < 0) return V_UNDEF;
  int r = future_cancel(vm, self, IS_UNDEF(msg) ? V_NONE : msg);
  return r < 0 ? V_UNDEF : v_bool(r == 1);
}

static Value fm_set_result(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_future(vm, args, nargs, "set_result");
  if (IS_UNDEF(self)) return V_UNDEF;
  if (arg_no_kwargs(vm, "set_result", kwnames) < 0 || arg_check_count(vm, "set_result", nargs - 1, 1, 1) < 0)
    return V_UNDEF;
  if (future_of(self)->is_task)
    return exc_raise(vm, EXC(vm, RuntimeError), "Task does not support set_result operation");
  return future_set_result(vm, self, args[1]) < 0 ? V_UNDEF : V_NONE;
}

static Value fm_set_exception(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_future(vm, args, nargs, "set_exception");
  if (IS_UNDEF(self)) return V_UNDEF;
  if (arg_no_kwargs(vm, "set_exception", kwnames) < 0 || arg_check_count(vm, "set_exception", nargs - 1, 1, 1) < 0)
    return V_UNDEF;
  if (future_of(self)->is_task)
    return exc_raise(vm, EXC(vm, RuntimeError), "Task does not support set_exception operation");
  return future_set_exception(vm, self, args[1]) < 0 ? V_UNDEF : V_NONE;
}

/* a Python done-callback: fn(future) */
static void call_python_callback(VM *vm, Value fn, Value fut, void *p) {
  Value r = obj_call1(vm, fn, fut);
  if (IS_UNDEF(r)) loop_report_error(vm, "callback", fn);
}

static Value fm_add_done_callback(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_future(vm, args, nargs, "add_done_callback");
  if (IS_UNDEF(self)) return V_UNDEF;
  static const char *const names[] = {"fn", "context", NULL};
  Value a[2];
  if (arg_parse(vm, "add_done_callback", args + 1, nargs - 1, kwnames, names, 1, a) < 0) return V_UNDEF;
  return future_add_callback(vm, self, call_python_callback, a[0], NULL) < 0 ? V_UNDEF : V_NONE;
}

static Value fm_remove_done_callback(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_future(vm, args, nargs, "remove_done_callback");
  if (IS_UNDEF(self)) return V_UNDEF;
  if (arg_no_kwargs(vm, "remove_done_callback", kwnames) < 0 ||
      arg_check_count(vm, "remove_done_callback", nargs - 1, 1, 1) < 0)
    return V_UNDEF;
  Future *f = future_of(self);
  int kept = 0, removed = 0;
  for (int i = 0; i < f->ncbs; i++) {
    int eq = f->cbs[i].fn == call_python_callback ? obj_eq(vm, f->cbs[i].a, args[1]) : 0;
    if (eq < 0) return V_UNDEF;
    if (eq)
      removed++;
    else
      f->cbs[kept++] = f->cbs[i];
  }
  f->ncbs = kept;
  return v_int(removed);
}

static Value fm_self(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  return self_future(vm, args, nargs, "__await__");
}

static Value fm_send(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_future(vm, args, nargs, "send");
  if (IS_UNDEF(self) || arg_check_count(vm, "send", nargs - 1, 1, 1) < 0) return V_UNDEF;
  Value v;
  int r = future_send(vm, self, args[1], &v);
  return gen_send_result(vm, r, v);
}

static Value fm_next(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_future(vm, args, nargs, "__next__");
  if (IS_UNDEF(self)) return V_UNDEF;
  Value v;
  int r = future_send(vm, self, V_NONE, &v);
  return gen_send_result(vm, r, v);
}

static Value fm_throw(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_future(vm, args, nargs, "throw");
  if (IS_UNDEF(self) || arg_check_count(vm, "throw", nargs - 1, 1, 3) < 0) return V_UNDEF;
  ExcObj *e = gen_throw_args(vm, args[1], nargs > 2 ? args[2] : V_UNDEF, nargs > 3 ? args[3] : V_UNDEF);
  if (!e) return V_UNDEF;
  return exc_restore(vm, e);
}

static Value future_iternext(VM *vm, Value self) {
  Value v;
  int r = future_send(vm, self, V_NONE, &v);
  if (r == 1) return v;
  if (r == 0) return exc_stop_iteration(vm, v);
  return V_UNDEF;
}

static Value future_iter(VM *vm, Value self) { return self; }

static Value future_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"loop", NULL};
  Value loop;
  if (arg_parse(vm, "Future", args, nargs, kwnames, names, 0, &loop) < 0) return V_UNDEF;
  return future_alloc(vm, type);
}

/* "<Future finished result=1>": the state, then what it holds */
Value future_repr_state(VM *vm, Value self, const char *cls) {
  Future *f = future_of(self);
  if (f->state == FUT_CANCELLED) return v_obj(str_format_c(vm, "<%s cancelled>", cls));
  if (f->state == FUT_PENDING) {
    bool waking = f->ncbs > 0 && f->cbs[0].fn != call_python_callback;   /* a task waits on it */
    return v_obj(str_format_c(vm, waking ? "<%s pending cb=[Task.task_wakeup()]>" : "<%s pending>", cls));
  }
  if (IS_EXC(f->exc)) return v_obj(str_format_c(vm, "<%s finished exception=%R>", cls, f->exc));
  return v_obj(str_format_c(vm, "<%s finished result=%R>", cls, f->result));
}

static Value future_repr(VM *vm, Value self) {
  return future_repr_state(vm, self, STR_CSTR(AS_OBJ(self)->type->name));
}

void future_types_init(VM *vm, AsyncCore *ac) {
  Type *t = type_new_builtin(vm, "Future", NULL, K_FOREIGN, TF_BASETYPE);
  if (!t) return;
  t->module = str_intern_cstr(vm, "_asyncio");
  t->repr = future_repr;
  t->iter = future_iter;
  t->next = future_iternext;
  t->send = future_send;
  t->throw_ = future_throw;
  t->construct = future_construct;
  static const struct { const char *name; NativeFn fn; } methods[] = {
    {"result", fm_result}, {"exception", fm_exception}, {"done", fm_done}, {"cancelled", fm_cancelled},
    {"cancel", fm_cancel}, {"set_result", fm_set_result}, {"set_exception", fm_set_exception},
    {"add_done_callback", fm_add_done_callback}, {"remove_done_callback", fm_remove_done_callback},
    {"__await__", fm_self}, {"__iter__", fm_self}, {"send", fm_send}, {"throw", fm_throw}, {"__next__", fm_next},
  };
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    define_native(vm, t->dict, methods[i].name, methods[i].fn, NATIVE_METHOD);
  ac->t_future = t;

  Type *ce = type_new_builtin(vm, "CancelledError", EXC(vm, BaseException), K_EXC, TF_BASETYPE | TF_EXCEPTION);
  Type *ise = type_new_builtin(vm, "InvalidStateError", EXC(vm, Exception), K_EXC, TF_BASETYPE | TF_EXCEPTION);
  if (!ce || !ise) return;
  ce->module = ise->module = str_intern_cstr(vm, "asyncio.exceptions");
  ac->t_cancelled_error = ce;
  ac->t_invalid_state_error = ise;
}
