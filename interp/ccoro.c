/* ccoro.c — coroutines written in C (wy_coroutine): a step function and
** the state it keeps between steps. The object behaves as a Python
** coroutine does to whoever drives it (await, a task, send/throw/close):
** when the step asks to await something, this object delegates to it —
** sends and throws go down to it, what it yields goes up — and calls the
** step again with its result or its exception. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "async.h"
#include "api_internal.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "type.h"
#include "str.h"
#include "gen.h"
#include "code.h"
#include "dict.h"

enum { CC_CREATED, CC_SUSPENDED, CC_RUNNING, CC_DONE };

typedef struct CCoro {
  wy_CoroStep step;
  Value state;     /* the step's memory */
  Value sub;       /* the awaitable iterator it waits on, or V_UNDEF */
  const char *name; /* the caller's (a literal): made into a str only when asked */
  uint8_t status;  /* CC_* */
} CCoro;

static CCoro *cc_of(Value v) { return (CCoro *)AS_FOREIGN(v)->data; }

bool ccoro_is(VM *vm, Value v) {
  return vm->async && IS_FOREIGN(v) && AS_OBJ(v)->type == vm->async->t_ccoro;
}

static void cc_trace(VM *vm, void *data) {
  CCoro *c = data;
  gc_mark_value(vm, c->state);
  gc_mark_value(vm, c->sub);
}

/* like Python, a coroutine made and never awaited says so (the GC is too
** late to name the line that dropped it, so it names none) */
static void cc_finalize(VM *vm, void *data) {
  CCoro *c = data;
  if (c->status == CC_CREATED) {
    fflush(stdout);
    fprintf(stderr, "sys:1: RuntimeWarning: coroutine '%s' was never awaited\n", c->name);
  }
}

Value ccoro_new(VM *vm, const char *name, wy_CoroStep step, Value state) {
  AsyncCore *ac = async_core(vm);
  if (!ac) return V_UNDEF;
  ForeignObj *o = foreign_new_inline(vm, ac->t_ccoro, sizeof(CCoro), cc_trace, cc_finalize);
  if (!o) return V_UNDEF;
  *(CCoro *)o->data = (CCoro){step, state, V_UNDEF, name ? name : "coroutine", CC_CREATED};
  return v_obj(o);
}

/* one call of the step, in an API scope of its own */
static wy_Step call_step(VM *vm, CCoro *c, wy_Resume how, Value in, Value *out) {
  int mark = vm->api_scope_len;
  api_scoped(vm, in);
  wy_Value wout = wy_none();
  wy_Step st = c->step(vm, api_to_wy(c->state), how, api_to_wy(in), &wout);
  *out = api_to_value(wout);
  vm->api_scope_len = mark;   /* the caller roots *out */
  return st;
}

/* Run steps until one yields (1), returns (0) or fails (-1). Each AWAIT
** starts the awaitable right away: only what it yields suspends us. */
static int cc_run(VM *vm, Value self, wy_Resume how, Value in, Value *out) {
  CCoro *c = cc_of(self);
  for (;;) {
    c->status = CC_RUNNING;
    Value o;
    wy_Step st = call_step(vm, c, how, in, &o);
    if (st == WY_STEP_RETURN) {
      if (exc_pending(vm)) exc_clear(vm);
      c->status = CC_DONE;
      *out = o;
      return 0;
    }
    if (st == WY_STEP_YIELD) {
      c->status = CC_SUSPENDED;
      *out = o;
      return 1;
    }
    if (st != WY_STEP_AWAIT) {
      c->status = CC_DONE;
      if (!exc_pending(vm))
        exc_raise(vm, EXC(vm, RuntimeError), "coroutine '%s' failed without raising an exception", c->name);
      return -1;
    }
    gc_push_root(vm, o);
    Value it = gen_get_awaitable(vm, o, 0);
    gc_pop_roots(vm, 1);
    if (IS_UNDEF(it)) {
      how = WY_RESUME_ERROR;
      in = V_NONE;
      continue;
    }
    c->sub = it;
    Value v = V_NONE;
    int r = gen_iter_send(vm, it, V_NONE, &v);
    if (r == 1) {
      c->status = CC_SUSPENDED;
      *out = v;
      return 1;
    }
    c->sub = V_UNDEF;
    how = r == 0 ? WY_RESUME_VALUE : WY_RESUME_ERROR;
    in = r == 0 ? v : V_NONE;
    gc_push_root(vm, in);   /* held only by this loop until the next step scopes it */
    gc_pop_roots(vm, 1);
  }
}

/* the awaited iterator answered (r, v): go on from there */
static int after_sub(VM *vm, Value self, int r, Value v, Value *out) {
  CCoro *c = cc_of(self);
  if (r == 1) {
    c->status = CC_SUSPENDED;
    *out = v;
    return 1;
  }
  c->sub = V_UNDEF;
  return r == 0 ? cc_run(vm, self, WY_RESUME_VALUE, v, out) : cc_run(vm, self, WY_RESUME_ERROR, V_NONE, out);
}

static int check_resumable(VM *vm, CCoro *c) {
  if (c->status == CC_RUNNING) {
    exc_raise(vm, EXC(vm, ValueError), "coroutine already executing");
    return -1;
  }
  if (c->status == CC_DONE) {
    exc_raise(vm, EXC(vm, RuntimeError), "cannot reuse already awaited coroutine");
    return -1;
  }
  return 0;
}

static int cc_send(VM *vm, Value self, Value v, Value *out) {
  CCoro *c = cc_of(self);
  if (check_resumable(vm, c) < 0) return -1;
  gc_push_root(vm, self);
  int r;
  if (c->status == CC_CREATED) {
    if (!IS_NONE(v)) {
      gc_pop_roots(vm, 1);
      exc_type_error(vm, "can't send non-None value to a just-started coroutine");
      return -1;
    }
    r = cc_run(vm, self, WY_RESUME_START, V_NONE, out);
  } else if (!IS_UNDEF(c->sub)) {
    Value got = V_NONE;
    c->status = CC_RUNNING;
    int sr = gen_iter_send(vm, c->sub, v, &got);
    r = after_sub(vm, self, sr, got, out);
  } else {
    r = cc_run(vm, self, WY_RESUME_VALUE, v, out);
  }
  gc_pop_roots(vm, 1);
  return r;
}

/* close the awaited iterator before GeneratorExit reaches the step */
static int close_sub(VM *vm, Value sub) {
  if (IS_GEN(sub)) return gen_close(vm, AS_GEN(sub));
  Value meth = obj_getattr_opt(vm, sub, NAME(vm, close));
  if (IS_UNDEF(meth)) return exc_pending(vm) ? -1 : 0;
  return IS_UNDEF(obj_call0(vm, meth)) ? -1 : 0;
}

static int cc_throw(VM *vm, Value self, ExcObj *exc, Value *out) {
  CCoro *c = cc_of(self);
  if (c->status == CC_RUNNING) return check_resumable(vm, c);
  if (c->status != CC_SUSPENDED) {
    c->status = CC_DONE;   /* like a coroutine never started or finished: it just raises */
    exc_restore(vm, exc);
    return -1;
  }
  gc_push_root(vm, self);
  gc_push_root(vm, v_obj(exc));
  int r;
  Value sub = c->sub;
  if (!IS_UNDEF(sub) && exc_matches(vm, exc, EXC(vm, GeneratorExit))) {
    c->sub = V_UNDEF;
    c->status = CC_RUNNING;
    if (close_sub(vm, sub) == 0) exc_restore(vm, exc);
    r = cc_run(vm, self, WY_RESUME_ERROR, V_NONE, out);
  } else if (!IS_UNDEF(sub)) {
    Value got = V_NONE;
    c->status = CC_RUNNING;
    int sr = gen_iter_throw(vm, sub, exc, &got);
    r = after_sub(vm, self, sr, got, out);
  } else {
    exc_restore(vm, exc);
    r = cc_run(vm, self, WY_RESUME_ERROR, V_NONE, out);
  }
  gc_pop_roots(vm, 2);
  return r;
}

static int cc_close(VM *vm, Value self) {
  CCoro *c = cc_of(self);
  if (c->status == CC_CREATED || c->status == CC_DONE) {
    c->status = CC_DONE;
    return 0;
  }
  ExcObj *ge = exc_new(vm, EXC(vm, GeneratorExit), NULL);
  if (!ge) return -1;
  Value v;
  int r = cc_throw(vm, self, ge, &v);
  if (r == 1) {
    exc_raise(vm, EXC(vm, RuntimeError), "coroutine ignored GeneratorExit");
    return -1;
  }
  if (r < 0 && (exc_pending_matches(vm, EXC(vm, GeneratorExit)) || exc_pending_matches(vm, EXC(vm, StopIteration)))) {
    exc_clear(vm);
    return 0;
  }
  return r < 0 ? -1 : 0;
}

/* ---- Python methods ---- */

static Value self_cc(VM *vm, Value *args, int nargs, const char *meth) {
  if (nargs < 1 || !ccoro_is(vm, args[0]))
    return exc_type_error(vm, "descriptor '%s' for 'coroutine' objects doesn't apply to a '%T' object", meth,
                          nargs < 1 ? V_NONE : args[0]);
  return args[0];
}

static Value cm_send(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_cc(vm, args, nargs, "send");
  if (IS_UNDEF(self) || arg_check_count(vm, "send", nargs - 1, 1, 1) < 0) return V_UNDEF;
  Value v;
  int r = cc_send(vm, self, args[1], &v);
  return gen_send_result(vm, r, v);
}

static Value cm_throw(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_cc(vm, args, nargs, "throw");
  if (IS_UNDEF(self) || arg_check_count(vm, "throw", nargs - 1, 1, 3) < 0) return V_UNDEF;
  ExcObj *e = gen_throw_args(vm, args[1], nargs > 2 ? args[2] : V_UNDEF, nargs > 3 ? args[3] : V_UNDEF);
  if (!e) return V_UNDEF;
  Value v;
  int r = cc_throw(vm, self, e, &v);
  return gen_send_result(vm, r, v);
}

static Value cm_close(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_cc(vm, args, nargs, "close");
  if (IS_UNDEF(self)) return V_UNDEF;
  return cc_close(vm, self) < 0 ? V_UNDEF : V_NONE;
}

static Value cm_await(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  return self_cc(vm, args, nargs, "__await__");
}

static Value cm_name(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_cc(vm, args, nargs, "__name__");
  if (IS_UNDEF(self)) return V_UNDEF;
  StrObj *s = str_new(vm, cc_of(self)->name, strlen(cc_of(self)->name));
  return s ? v_obj(s) : V_UNDEF;
}

static Value cc_iternext(VM *vm, Value self) {
  Value v;
  int r = cc_send(vm, self, V_NONE, &v);
  if (r == 1) return v;
  if (r == 0) return exc_stop_iteration(vm, v);
  return V_UNDEF;
}

static Value cc_repr(VM *vm, Value self) {
  char addr[32];
  snprintf(addr, sizeof addr, "%p", (void *)AS_OBJ(self));
  StrObj *s = str_format_c(vm, "<coroutine object %s at %s>", cc_of(self)->name, addr);
  return s ? v_obj(s) : V_UNDEF;
}

void ccoro_type_init(VM *vm, AsyncCore *ac) {
  Type *t = type_new_builtin(vm, "coroutine", NULL, K_FOREIGN, TF_ABSTRACT_NEW);
  if (!t) return;
  t->repr = cc_repr;
  t->next = cc_iternext;
  t->send = cc_send;
  t->throw_ = cc_throw;
  define_native(vm, t->dict, "send", cm_send, NATIVE_METHOD);
  define_native(vm, t->dict, "throw", cm_throw, NATIVE_METHOD);
  define_native(vm, t->dict, "close", cm_close, NATIVE_METHOD);
  define_native(vm, t->dict, "__await__", cm_await, NATIVE_METHOD);
  NativeObj *getter = native_new(vm, "__name__", cm_name, 0);
  PropertyObj *p = getter ? property_new(vm, v_obj(getter), V_NONE, V_NONE, V_NONE) : NULL;
  if (p) dict_set_cstr(vm, t->dict, "__name__", v_obj(p));
  ac->t_ccoro = t;
}
