/* gen.c — generators, coroutines and async generators. A GenObj owns a
** suspended heap frame; send/throw/close resume it through
** vm_resume_frame. Here live the states (created, suspended, running,
** closed), PEP 479, close() and GeneratorExit, the delegation of throw()
** and close() through `yield from` / `await`, the Python-visible methods
** and attributes, and the async-generator awaitables (asend/athrow/aclose)
** that the event loop drives.
**
** Each generator has its own handled-exception state (exc_state), pushed
** on vm->exc_info while it runs, so sys.exc_info() inside a generator and
** in its caller behave as in CPython. While it runs its frame is linked
** under the resumer's (frame->back), and unlinked while suspended. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "str.h"
#include "tuple.h"
#include "dict.h"
#include "type.h"
#include "opcodes.h"

static const char *kind_name(GenObj *g) {
  switch (g->kind) {
    case GENK_COROUTINE: return "coroutine";
    case GENK_ASYNC_GENERATOR: return "async generator";
    default: return "generator";
  }
}

/* ---- life cycle ---- */

GenObj *gen_new(VM *vm, Frame *f, FuncObj *func) {
  CodeObj *co = f->code;
  GenKind kind = (co->flags & CO_COROUTINE) ? GENK_COROUTINE
                 : (co->flags & CO_ASYNC_GENERATOR) ? GENK_ASYNC_GENERATOR
                                                      : GENK_GENERATOR;
  Type *t = kind == GENK_COROUTINE ? vm->t_coroutine
            : kind == GENK_ASYNC_GENERATOR ? vm->t_async_generator
                                           : vm->t_generator;
  GenObj *g = gc_alloc_obj(vm, sizeof(GenObj), K_GEN, t);
  if (!g) return NULL;
  g->frame = f;
  g->code = co;
  g->name = func ? func->name : co->name;
  g->qualname = func ? func->qualname : co->qualname;
  g->exc_state.exc = V_NONE;
  g->exc_state.prev = NULL;
  g->state = GEN_CREATED;
  g->kind = (uint8_t)kind;
  if (kind == GENK_COROUTINE) vm->unawaited_coroutines++;
  f->gen = g;
  f->on_heap_gen = 1;
  return g;
}

void gen_trace(VM *vm, Obj *o) {
  GenObj *g = (GenObj *)o;
  gc_mark_obj(vm, (Obj *)g->name);
  gc_mark_obj(vm, (Obj *)g->qualname);
  gc_mark_obj(vm, (Obj *)g->code);
  gc_mark_value(vm, g->exc_state.exc);
  if (g->frame) frame_trace(vm, g->frame);
}

void gen_free(VM *vm, Obj *o) {
  /* A generator dropped while suspended inside try/with is not closed
  ** here: no Python code runs from the collector (see the report). */
  GenObj *g = (GenObj *)o;
  if (g->state == GEN_CREATED && g->kind == GENK_COROUTINE) vm->unawaited_coroutines--;
  if (g->frame) {
    frame_release(vm, g->frame);
    g->frame = NULL;
  }
}

/* "coroutine 'f' was never awaited", for each unstarted coroutine the
** collector is about to free (every one when all: the VM is closing).
** Run before the sweep frees anything: the names are still there. */
void gen_warn_unawaited(VM *vm, bool all) {
  for (Obj *o = vm->objects; o; o = o->gc_next) {
    if (o->kind != K_GEN || (o->marked && !all)) continue;
    GenObj *g = (GenObj *)o;
    if (g->kind != GENK_COROUTINE || g->state != GEN_CREATED) continue;
    fflush(stdout);
    fprintf(stderr, "sys:1: RuntimeWarning: coroutine '%s' was never awaited\n", STR_CSTR(g->qualname));
  }
}

static void gen_finish(VM *vm, GenObj *g) {
  Frame *f = g->frame;
  g->frame = NULL;
  g->state = GEN_CLOSED;
  g->exc_state.exc = V_NONE;
  if (f) frame_release(vm, f);
}

/* ---- resuming ---- */

static int raise_already_running(VM *vm, GenObj *g) {
  exc_raise(vm, EXC(vm, ValueError), "%s already executing", kind_name(g));
  return -1;
}

/* PEP 479: StopIteration (and StopAsyncIteration in an async generator)
** must not escape the frame silently */
static void convert_stop_iteration(VM *vm, GenObj *g) {
  bool stop = exc_pending_matches(vm, EXC(vm, StopIteration));
  bool astop = g->kind == GENK_ASYNC_GENERATOR && exc_pending_matches(vm, EXC(vm, StopAsyncIteration));
  if (!stop && !astop) return;
  ExcObj *orig = exc_fetch(vm);
  gc_push_root(vm, v_obj(orig));
  exc_raise(vm, EXC(vm, RuntimeError), "%s raised %s", kind_name(g), stop ? "StopIteration" : "StopAsyncIteration");
  ExcObj *e = (ExcObj *)vm->curexc;
  if (e && e != orig) {
    e->cause = v_obj(orig);
    e->context = v_obj(orig);
    e->suppress_context = true;
  }
  gc_pop_roots(vm, 1);
}

/* Run g's frame: sent value or thrown exception. 1 yielded, 0 returned,
** -1 raised; the generator is finished after 0 and -1. */
static int gen_resume(VM *vm, GenObj *g, Value sent, ExcObj *thrown, Value *out) {
  if (g->state == GEN_RUNNING) return raise_already_running(vm, g);
  if (g->state == GEN_CLOSED) {
    if (thrown) {
      exc_raise_obj(vm, thrown);
      return -1;
    }
    if (g->kind == GENK_COROUTINE) {
      exc_raise(vm, EXC(vm, RuntimeError), "cannot reuse already awaited coroutine");
      return -1;
    }
    *out = V_NONE;
    return 0;
  }
  if (g->state == GEN_CREATED && !thrown && !IS_NONE(sent)) {
    exc_raise(vm, EXC(vm, TypeError), "can't send non-None value to a just-started %s", kind_name(g));
    return -1;
  }
  if (g->state == GEN_CREATED && g->kind == GENK_COROUTINE) vm->unawaited_coroutines--;
  /* no rooting needed: while the frame runs it is on vm->frame's chain,
  ** and its frame->gen marks g */
  g->state = GEN_RUNNING;
  g->exc_state.prev = vm->exc_info;
  vm->exc_info = &g->exc_state;
  int r = vm_resume_frame(vm, g->frame, sent, (Obj *)thrown, out);
  vm->exc_info = g->exc_state.prev;
  g->exc_state.prev = NULL;
  if (r == 1) {
    g->state = GEN_SUSPENDED;
  } else {
    gen_finish(vm, g);
    if (r < 0) convert_stop_iteration(vm, g);
  }
  return r;
}

bool gen_inline_enter(VM *vm, GenObj *g, Value sent, bool throwing) {
  if (g->kind == GENK_ASYNC_GENERATOR || vm->depth >= vm->recursion_limit) return false;
  if (g->state == GEN_CREATED) {
    if (throwing || !IS_NONE(sent)) return false;
    if (g->kind == GENK_COROUTINE) vm->unawaited_coroutines--;
  } else if (g->state != GEN_SUSPENDED) {
    return false;
  }
  g->state = GEN_RUNNING;
  g->exc_state.prev = vm->exc_info;
  vm->exc_info = &g->exc_state;
  return true;
}

void gen_inline_leave(VM *vm, GenObj *g, int r) {
  vm->exc_info = g->exc_state.prev;
  g->exc_state.prev = NULL;
  if (r == 1) {
    g->state = GEN_SUSPENDED;
    return;
  }
  gen_finish(vm, g);
  if (r < 0) convert_stop_iteration(vm, g);
}

int gen_send(VM *vm, GenObj *g, Value v, Value *out) {
  return gen_resume(vm, g, v, NULL, out);
}

Value gen_delegate(GenObj *g) {
  Frame *f = g->frame;
  if (!f || g->state != GEN_SUSPENDED || f->ip == f->code->code) return V_UNDEF;
  Instr last = f->ip[-1];
  if (INSTR_OP(last) != OP_YIELD_VALUE || INSTR_ARG(last) != 1) return V_UNDEF;
  return f->sp[-1];
}

/* take the value of a pending StopIteration (None when it has none) */
static Value fetch_stop_value(VM *vm) {
  ExcObj *e = exc_fetch(vm);
  if (!e) return V_NONE;
  if (!IS_UNDEF(e->value)) return e->value;
  if (e->args && e->args->len > 0) return e->args->items[0];
  return V_NONE;
}

/* close a sub-iterator we delegate to: gen_close, or its close() method */
static int close_iter(VM *vm, Value yf) {
  if (IS_GEN(yf)) return gen_close(vm, AS_GEN(yf));
  Value meth = obj_getattr_opt(vm, yf, NAME(vm, close));
  if (IS_UNDEF(meth)) return exc_pending(vm) ? -1 : 0;
  Value r = obj_call0(vm, meth);
  return IS_UNDEF(r) ? -1 : 0;
}

/* The delegate of an outer generator finished with `value` while we
** threw into it: the outer resumes where its SEND would have jumped. */
static int resume_after_delegate(VM *vm, GenObj *g, Value value, Value *out) {
  Frame *f = g->frame;
  Instr send = f->ip[-2];
  if (INSTR_OP(send) != OP_SEND) {
    exc_raise(vm, EXC(vm, RuntimeError), "internal error: YIELD_VALUE 1 does not follow SEND");
    return -1;
  }
  f->sp--; /* the sub-iterator */
  f->ip = f->code->code + INSTR_ARG(send);
  return gen_resume(vm, g, value, NULL, out);
}

int gen_throw(VM *vm, GenObj *g, ExcObj *exc, Value *out) {
  Value yf = gen_delegate(g);
  if (IS_UNDEF(yf)) return gen_resume(vm, g, V_NONE, exc, out);
  Value self = v_obj(g);
  gc_push_root(vm, self);
  gc_push_root(vm, v_obj(exc));
  gc_push_root(vm, yf);
  int r;
  if (exc_matches(vm, exc, EXC(vm, GeneratorExit))) {
    /* close the delegate first, then raise GeneratorExit in the outer */
    g->state = GEN_RUNNING;
    int err = close_iter(vm, yf);
    g->state = GEN_SUSPENDED;
    if (err < 0) {
      ExcObj *e = exc_fetch(vm);
      r = gen_resume(vm, g, V_NONE, e, out);
    } else {
      r = gen_resume(vm, g, V_NONE, exc, out);
    }
    gc_pop_roots(vm, 3);
    return r;
  }
  Value v = V_UNDEF;
  ThrowFn slot_throw = IS_GEN(yf) ? NULL : obj_type(vm, yf)->throw_;
  if (IS_GEN(yf) || slot_throw) {
    g->state = GEN_RUNNING;
    r = slot_throw ? slot_throw(vm, yf, exc, &v) : gen_throw(vm, AS_GEN(yf), exc, &v);
    g->state = GEN_SUSPENDED;
  } else {
    Value meth = obj_getattr_opt(vm, yf, NAME(vm, throw));
    if (IS_UNDEF(meth)) {
      if (exc_pending(vm)) {
        ExcObj *e = exc_fetch(vm);
        r = gen_resume(vm, g, V_NONE, e, out);
      } else {
        r = gen_resume(vm, g, V_NONE, exc, out);
      }
      gc_pop_roots(vm, 3);
      return r;
    }
    g->state = GEN_RUNNING;
    v = obj_call1(vm, meth, v_obj(exc));
    g->state = GEN_SUSPENDED;
    if (!IS_UNDEF(v))
      r = 1;
    else if (exc_pending_matches(vm, EXC(vm, StopIteration))) {
      v = fetch_stop_value(vm);
      r = 0;
    } else
      r = -1;
  }
  if (r == 1) {
    *out = v;
  } else if (r == 0) {
    r = resume_after_delegate(vm, g, v, out);
  } else {
    ExcObj *e = exc_fetch(vm);
    r = gen_resume(vm, g, V_NONE, e, out);
  }
  gc_pop_roots(vm, 3);
  return r;
}

int gen_close(VM *vm, GenObj *g) {
  if (g->state == GEN_CREATED) {
    if (g->kind == GENK_COROUTINE) vm->unawaited_coroutines--;
    gen_finish(vm, g);
    return 0;
  }
  if (g->state == GEN_CLOSED) return 0;
  if (g->state == GEN_RUNNING) return raise_already_running(vm, g);
  Value self = v_obj(g);
  gc_push_root(vm, self);
  ExcObj *exc = NULL;
  Value yf = gen_delegate(g);
  if (!IS_UNDEF(yf)) {
    g->state = GEN_RUNNING;
    int err = close_iter(vm, yf);
    g->state = GEN_SUSPENDED;
    if (err < 0) exc = exc_fetch(vm);
  }
  if (!exc) exc = exc_new(vm, EXC(vm, GeneratorExit), NULL);
  if (!exc) {
    gc_pop_roots(vm, 1);
    return -1;
  }
  Value v;
  int r = gen_resume(vm, g, V_NONE, exc, &v);
  gc_pop_roots(vm, 1);
  if (r == 1) {
    exc_raise(vm, EXC(vm, RuntimeError), "%s ignored GeneratorExit", kind_name(g));
    return -1;
  }
  if (r == 0) return 0;
  if (exc_pending_matches(vm, EXC(vm, StopIteration)) || exc_pending_matches(vm, EXC(vm, GeneratorExit))) {
    exc_clear(vm);
    return 0;
  }
  return -1;
}

/* ---- Python-level results ---- */

/* raise StopIteration(value), or StopIteration() for None */
static Value raise_stop(VM *vm, Value value) {
  TupleObj *args = NULL;
  if (!IS_NONE(value)) {
    args = tuple_pack(vm, 1, value);
    if (!args) return V_UNDEF;
  }
  ExcObj *e = exc_new(vm, EXC(vm, StopIteration), args);
  if (!e) return V_UNDEF;
  e->value = value;
  return exc_raise_obj(vm, e);
}

Value gen_send_result(VM *vm, int r, Value v) {
  if (r == 1) return v;
  if (r == 0) return raise_stop(vm, v);
  return V_UNDEF;
}

static GenObj *check_gen(VM *vm, Value *args, int nargs, const char *meth, Type *t) {
  if (nargs < 1 || !IS_GEN(args[0])) {
    exc_raise(vm, EXC(vm, TypeError), "descriptor '%s' for '%U' objects doesn't apply to a '%T' object", meth,
              t->name, nargs < 1 ? V_NONE : args[0]);
    return NULL;
  }
  return AS_GEN(args[0]);
}

#define SELF_GEN(meth)                                                     \
  GenObj *g = check_gen(vm, args, nargs, meth, vm->t_generator);          \
  if (!g) return V_UNDEF

static Value gen_m_send(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_GEN("send");
  if ((kwnames || nargs != 2) &&
      (arg_no_kwargs(vm, "send", kwnames) < 0 || arg_check_count(vm, "send", nargs - 1, 1, 1) < 0))
    return V_UNDEF;
  Value v;
  int r = gen_send(vm, g, args[1], &v);
  return gen_send_result(vm, r, v);
}

static Value gen_m_next(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_GEN("__next__");
  if (nargs != 1 && arg_check_count(vm, "__next__", nargs - 1, 0, 0) < 0) return V_UNDEF;
  Value v;
  int r = gen_send(vm, g, V_NONE, &v);
  return gen_send_result(vm, r, v);
}

static Value gen_m_iter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_GEN("__iter__");
  return v_obj(g);
}

/* throw(typ[, val[, tb]]) normalised as CPython 3.11 does */
ExcObj *gen_throw_args(VM *vm, Value typ, Value val, Value tb) {
  if (!IS_UNDEF(tb) && !IS_NONE(tb) && !IS_KIND(tb, K_TRACEBACK)) {
    exc_raise(vm, EXC(vm, TypeError), "throw() third argument must be a traceback object");
    return NULL;
  }
  ExcObj *e = NULL;
  bool noval = IS_UNDEF(val) || IS_NONE(val);
  if (IS_TYPE(typ) && (AS_TYPE(typ)->flags & TF_EXCEPTION)) {
    if (noval) {
      e = exc_from_value(vm, typ);
    } else if (IS_EXC(val) && type_is_subtype(AS_OBJ(val)->type, AS_TYPE(typ))) {
      e = AS_EXC(val);
    } else {
      Value r = IS_TUPLE(val) ? obj_call(vm, typ, AS_TUPLE(val)->items, (int)AS_TUPLE(val)->len, NULL)
                              : obj_call1(vm, typ, val);
      if (IS_UNDEF(r)) return NULL;
      if (!IS_EXC(r)) {
        exc_raise(vm, EXC(vm, TypeError),
                  "calling %R should have returned an instance of BaseException, not %T", typ, r);
        return NULL;
      }
      e = AS_EXC(r);
    }
  } else if (IS_EXC(typ)) {
    if (!noval) {
      exc_raise(vm, EXC(vm, TypeError), "instance exception may not have a separate value");
      return NULL;
    }
    e = AS_EXC(typ);
  } else {
    exc_raise(vm, EXC(vm, TypeError),
              "exceptions must be classes or instances deriving from BaseException, not %T", typ);
    return NULL;
  }
  if (e && !IS_UNDEF(tb) && !IS_NONE(tb)) e->traceback = (TracebackObj *)AS_OBJ(tb);
  return e;
}

static Value gen_m_throw(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_GEN("throw");
  if (arg_no_kwargs(vm, "throw", kwnames) < 0 || arg_check_count(vm, "throw", nargs - 1, 1, 3) < 0) return V_UNDEF;
  ExcObj *e = gen_throw_args(vm, args[1], nargs > 2 ? args[2] : V_UNDEF, nargs > 3 ? args[3] : V_UNDEF);
  if (!e) return V_UNDEF;
  Value v;
  int r = gen_throw(vm, g, e, &v);
  return gen_send_result(vm, r, v);
}

static Value gen_m_close(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_GEN("close");
  if (arg_check_count(vm, "close", nargs - 1, 0, 0) < 0) return V_UNDEF;
  return gen_close(vm, g) < 0 ? V_UNDEF : V_NONE;
}

static Value gen_m_await(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SELF_GEN("__await__");
  return v_obj(g);
}

/* the type's next slot: the slot convention (exhaustion = V_UNDEF with
** no exception), so the return value is dropped, as for loops and list()
** do; builtins' next() goes through gen_send to keep it */
static Value gen_iternext(VM *vm, Value self) {
  Value v;
  int r = gen_send(vm, AS_GEN(self), V_NONE, &v);
  return r == 1 ? v : V_UNDEF;
}

static Value gen_iter_slot(VM *vm, Value self) { return self; }

static Value gen_repr(VM *vm, Value self) {
  GenObj *g = AS_GEN(self);
  char addr[32];
  snprintf(addr, sizeof addr, "%p", (void *)g);
  const char *what = g->kind == GENK_COROUTINE ? "coroutine"
                     : g->kind == GENK_ASYNC_GENERATOR ? "async_generator"
                                                         : "generator";
  StrObj *s = str_format_c(vm, "<%s object %U at %s>", what, g->qualname, addr);
  return s ? v_obj(s) : V_UNDEF;
}

/* ---- attributes (read-only properties on the types) ---- */

static GenObj *prop_self(VM *vm, Value *args, int nargs) {
  if (nargs < 1 || !IS_GEN(args[0])) {
    exc_type_error(vm, "generator attribute read on a non-generator");
    return NULL;
  }
  return AS_GEN(args[0]);
}

#define PROP_SELF()                          \
  GenObj *g = prop_self(vm, args, nargs);    \
  if (!g) return V_UNDEF

static Value gp_running(VM *vm, Value *args, int nargs, TupleObj *kw) {
  PROP_SELF();
  return v_bool(g->state == GEN_RUNNING);
}
static Value gp_frame(VM *vm, Value *args, int nargs, TupleObj *kw) {
  /* withy has no frame objects: a live generator answers its code object */
  PROP_SELF();
  return g->frame ? v_obj(g->frame->code) : V_NONE;
}
static Value gp_code(VM *vm, Value *args, int nargs, TupleObj *kw) {
  PROP_SELF();
  return v_obj(g->code);
}
static Value gp_yieldfrom(VM *vm, Value *args, int nargs, TupleObj *kw) {
  PROP_SELF();
  Value d = gen_delegate(g);
  return IS_UNDEF(d) ? V_NONE : d;
}
static Value gp_name(VM *vm, Value *args, int nargs, TupleObj *kw) {
  PROP_SELF();
  return v_obj(g->name);
}
static Value gp_qualname(VM *vm, Value *args, int nargs, TupleObj *kw) {
  PROP_SELF();
  return v_obj(g->qualname);
}
static Value gp_ag_running(VM *vm, Value *args, int nargs, TupleObj *kw) {
  PROP_SELF();
  return v_bool(g->running_async);
}

static void define_property(VM *vm, Type *t, const char *name, NativeFn getter) {
  NativeObj *fget = native_new(vm, name, getter, 0);
  if (!fget) return;
  PropertyObj *p = gc_alloc_obj(vm, sizeof(PropertyObj), K_PROPERTY, vm->t_property);
  if (!p) return;
  p->fget = v_obj(fget);
  p->fset = V_NONE;
  p->fdel = V_NONE;
  p->doc = V_NONE;
  dict_set_cstr(vm, t->dict, name, v_obj(p));
}

/* ---- async generators: the wrapped yield and the awaitables ---- */

enum { AOP_ASEND, AOP_ATHROW, AOP_ACLOSE };
enum { AOP_INIT, AOP_ITER, AOP_CLOSED };

typedef struct AsyncOp {
  GenObj *gen;
  Value arg;     /* asend: the value to send; athrow: the exception */
  uint8_t kind;  /* AOP_ASEND / AOP_ATHROW / AOP_ACLOSE */
  uint8_t state; /* AOP_INIT / AOP_ITER / AOP_CLOSED */
} AsyncOp;

static void aop_trace(VM *vm, void *data) {
  AsyncOp *op = data;
  gc_mark_obj(vm, (Obj *)op->gen);
  gc_mark_value(vm, op->arg);
}


static bool is_aop(VM *vm, Value v) {
  if (!IS_FOREIGN(v)) return false;
  Type *t = AS_OBJ(v)->type;
  Type **pt = vm_private_types(vm);
  return t == pt[VM_PT_ASEND] || t == pt[VM_PT_ATHROW];
}

static Value aop_new(VM *vm, GenObj *g, int kind, Value arg) {
  Type **pt = vm_private_types(vm);
  ForeignObj *o = foreign_new_inline(vm, pt[kind == AOP_ASEND ? VM_PT_ASEND : VM_PT_ATHROW], sizeof(AsyncOp),
                                     aop_trace, NULL);
  if (!o) return V_UNDEF;
  AsyncOp *op = o->data;
  op->gen = g;
  op->arg = arg;
  op->kind = (uint8_t)kind;
  op->state = AOP_INIT;
  return v_obj(o);
}

Value gen_async_wrap(VM *vm, Value v) {
  Type *t = vm_private_types(vm)[VM_PT_WRAPPED];
  TupleObj *w = gc_alloc_obj(vm, sizeof(TupleObj) + sizeof(Value), K_TUPLE, t);
  if (!w) return V_UNDEF;
  w->len = 1;
  w->items[0] = v;
  return v_obj(w);
}

static bool is_wrapped(VM *vm, Value v) {
  return IS_OBJ(v) && AS_OBJ(v)->type == vm_private_types(vm)[VM_PT_WRAPPED];
}

/* CPython's async_gen_unwrap_value: a wrapped yield ends the awaitable
** with that value (0); a plain yield comes from an await inside and is
** passed up (1); a return ends the iteration (StopAsyncIteration) */
static int aop_unwrap(VM *vm, AsyncOp *op, int r, Value res, Value *out) {
  GenObj *g = op->gen;
  if (r < 0) {
    if (exc_pending_matches(vm, EXC(vm, StopAsyncIteration)) || exc_pending_matches(vm, EXC(vm, GeneratorExit)))
      g->ag_closed = true;
    g->running_async = false;
    op->state = AOP_CLOSED;
    return -1;
  }
  if (r == 0) {
    g->ag_closed = true;
    g->running_async = false;
    op->state = AOP_CLOSED;
    ExcObj *e = exc_new(vm, EXC(vm, StopAsyncIteration), NULL);
    if (e) exc_raise_obj(vm, e);
    return -1;
  }
  if (is_wrapped(vm, res)) {
    g->running_async = false;
    op->state = AOP_CLOSED;
    *out = AS_TUPLE(res)->items[0];
    return 0;
  }
  *out = res;
  return 1;
}

static int asend_send(VM *vm, AsyncOp *op, Value v, Value *out) {
  GenObj *g = op->gen;
  if (op->state == AOP_CLOSED) {
    exc_raise(vm, EXC(vm, RuntimeError), "cannot reuse already awaited __anext__()/asend()");
    return -1;
  }
  if (op->state == AOP_INIT) {
    if (g->running_async) {
      op->state = AOP_CLOSED;
      exc_raise(vm, EXC(vm, RuntimeError), "anext(): asynchronous generator is already running");
      return -1;
    }
    if (IS_NONE(v) || IS_UNDEF(v)) v = op->arg;
    op->state = AOP_ITER;
  }
  g->running_async = true;
  Value res = V_UNDEF;
  int r = gen_send(vm, g, v, &res);
  return aop_unwrap(vm, op, r, res, out);
}

static int asend_throw(VM *vm, AsyncOp *op, ExcObj *e, Value *out) {
  if (op->state == AOP_CLOSED) {
    exc_raise(vm, EXC(vm, RuntimeError), "cannot reuse already awaited __anext__()/asend()");
    return -1;
  }
  Value res = V_UNDEF;
  int r = gen_throw(vm, op->gen, e, &res);
  return aop_unwrap(vm, op, r, res, out);
}

/* athrow()/aclose(): the end of the throw, shared by send and throw */
static int athrow_result(VM *vm, AsyncOp *op, int r, Value res, Value *out) {
  GenObj *g = op->gen;
  if (op->kind == AOP_ACLOSE) {
    if (r == 1 && is_wrapped(vm, res)) {
      g->running_async = false;
      op->state = AOP_CLOSED;
      exc_raise(vm, EXC(vm, RuntimeError), "async generator ignored GeneratorExit");
      return -1;
    }
    if (r == 1) {
      *out = res;
      return 1;
    }
    g->running_async = false;
    op->state = AOP_CLOSED;
    if (r == 0) {
      *out = V_NONE;
      return 0;
    }
    if (exc_pending_matches(vm, EXC(vm, StopAsyncIteration)) || exc_pending_matches(vm, EXC(vm, GeneratorExit))) {
      exc_clear(vm);
      *out = V_NONE;
      return 0;
    }
    return -1;
  }
  return aop_unwrap(vm, op, r, res, out);
}

static int athrow_send(VM *vm, AsyncOp *op, Value v, Value *out) {
  GenObj *g = op->gen;
  bool aclose = op->kind == AOP_ACLOSE;
  if (op->state == AOP_CLOSED) {
    exc_raise(vm, EXC(vm, RuntimeError), "cannot reuse already awaited aclose()/athrow()");
    return -1;
  }
  if (g->state == GEN_CLOSED) {
    op->state = AOP_CLOSED;
    *out = V_NONE;
    return 0;
  }
  Value res = V_UNDEF;
  int r;
  if (op->state == AOP_INIT) {
    if (g->running_async) {
      op->state = AOP_CLOSED;
      exc_raise(vm, EXC(vm, RuntimeError), "%s(): asynchronous generator is already running",
                aclose ? "aclose" : "athrow");
      return -1;
    }
    if (g->ag_closed) {
      op->state = AOP_CLOSED;
      ExcObj *e = exc_new(vm, EXC(vm, StopAsyncIteration), NULL);
      if (e) exc_raise_obj(vm, e);
      return -1;
    }
    if (!IS_NONE(v) && !IS_UNDEF(v)) {
      exc_raise(vm, EXC(vm, RuntimeError), "can't send non-None value to a just-started coroutine");
      return -1;
    }
    op->state = AOP_ITER;
    g->running_async = true;
    ExcObj *e;
    if (aclose) {
      g->ag_closed = true;
      e = exc_new(vm, EXC(vm, GeneratorExit), NULL);
      if (!e) return -1;
    } else {
      e = AS_EXC(op->arg);
    }
    r = gen_throw(vm, g, e, &res);
  } else {
    r = gen_send(vm, g, v, &res);
  }
  return athrow_result(vm, op, r, res, out);
}

static int athrow_throw(VM *vm, AsyncOp *op, ExcObj *e, Value *out) {
  if (op->state == AOP_CLOSED) {
    exc_raise(vm, EXC(vm, RuntimeError), "cannot reuse already awaited aclose()/athrow()");
    return -1;
  }
  Value res = V_UNDEF;
  int r = gen_throw(vm, op->gen, e, &res);
  return athrow_result(vm, op, r, res, out);
}

static int aop_send(VM *vm, Value self, Value v, Value *out) {
  AsyncOp *op = AS_FOREIGN(self)->data;
  gc_push_root(vm, self);
  int r = op->kind == AOP_ASEND ? asend_send(vm, op, v, out) : athrow_send(vm, op, v, out);
  gc_pop_roots(vm, 1);
  return r;
}

static int aop_throw(VM *vm, Value self, ExcObj *e, Value *out) {
  AsyncOp *op = AS_FOREIGN(self)->data;
  gc_push_root(vm, self);
  int r = op->kind == AOP_ASEND ? asend_throw(vm, op, e, out) : athrow_throw(vm, op, e, out);
  gc_pop_roots(vm, 1);
  return r;
}

static Value aop_check(VM *vm, Value *args, int nargs) {
  if (nargs < 1 || !is_aop(vm, args[0])) return exc_type_error(vm, "expected an async generator awaitable");
  return args[0];
}

static Value aop_m_send(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (IS_UNDEF(aop_check(vm, args, nargs)) || arg_check_count(vm, "send", nargs - 1, 1, 1) < 0) return V_UNDEF;
  Value v;
  int r = aop_send(vm, args[0], args[1], &v);
  return gen_send_result(vm, r, v);
}

static Value aop_m_next(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (IS_UNDEF(aop_check(vm, args, nargs))) return V_UNDEF;
  Value v;
  int r = aop_send(vm, args[0], V_NONE, &v);
  return gen_send_result(vm, r, v);
}

static Value aop_m_throw(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (IS_UNDEF(aop_check(vm, args, nargs)) || arg_check_count(vm, "throw", nargs - 1, 1, 3) < 0) return V_UNDEF;
  ExcObj *e = gen_throw_args(vm, args[1], nargs > 2 ? args[2] : V_UNDEF, nargs > 3 ? args[3] : V_UNDEF);
  if (!e) return V_UNDEF;
  Value v;
  int r = aop_throw(vm, args[0], e, &v);
  return gen_send_result(vm, r, v);
}

static Value aop_m_close(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (IS_UNDEF(aop_check(vm, args, nargs))) return V_UNDEF;
  ((AsyncOp *)AS_FOREIGN(args[0])->data)->state = AOP_CLOSED;
  return V_NONE;
}

static Value aop_m_self(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  return aop_check(vm, args, nargs);
}

static Value aop_iternext(VM *vm, Value self) {
  Value v;
  int r = aop_send(vm, self, V_NONE, &v);
  if (r == 1) return v;
  if (r == 0) raise_stop(vm, v);
  return V_UNDEF;
}

static GenObj *check_agen(VM *vm, Value *args, int nargs, const char *meth) {
  if (nargs < 1 || !IS_GEN(args[0]) || AS_GEN(args[0])->kind != GENK_ASYNC_GENERATOR) {
    exc_raise(vm, EXC(vm, TypeError), "descriptor '%s' for 'async_generator' objects doesn't apply to a '%T' object",
              meth, nargs < 1 ? V_NONE : args[0]);
    return NULL;
  }
  return AS_GEN(args[0]);
}

static Value agen_m_anext(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  GenObj *g = check_agen(vm, args, nargs, "__anext__");
  return g ? aop_new(vm, g, AOP_ASEND, V_NONE) : V_UNDEF;
}

static Value agen_m_asend(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  GenObj *g = check_agen(vm, args, nargs, "asend");
  if (!g || arg_check_count(vm, "asend", nargs - 1, 1, 1) < 0) return V_UNDEF;
  return aop_new(vm, g, AOP_ASEND, args[1]);
}

static Value agen_m_athrow(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  GenObj *g = check_agen(vm, args, nargs, "athrow");
  if (!g || arg_check_count(vm, "athrow", nargs - 1, 1, 3) < 0) return V_UNDEF;
  ExcObj *e = gen_throw_args(vm, args[1], nargs > 2 ? args[2] : V_UNDEF, nargs > 3 ? args[3] : V_UNDEF);
  if (!e) return V_UNDEF;
  return aop_new(vm, g, AOP_ATHROW, v_obj(e));
}

static Value agen_m_aclose(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  GenObj *g = check_agen(vm, args, nargs, "aclose");
  return g ? aop_new(vm, g, AOP_ACLOSE, V_UNDEF) : V_UNDEF;
}

static Value agen_m_aiter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  GenObj *g = check_agen(vm, args, nargs, "__aiter__");
  return g ? args[0] : V_UNDEF;
}

/* ---- the opcodes' side ---- */

int gen_iter_send(VM *vm, Value it, Value v, Value *out) {
  if (IS_GEN(it)) return gen_send(vm, AS_GEN(it), v, out);
  Type *t = obj_type(vm, it);
  if (t->send) return t->send(vm, it, v, out);
  Value r;
  if (IS_NONE(v) && t->next && !(t->flags & TF_HEAP)) {
    r = t->next(vm, it);
    if (!IS_UNDEF(r)) {
      *out = r;
      return 1;
    }
    if (!exc_pending(vm)) {
      *out = V_NONE;
      return 0;
    }
  } else {
    r = IS_NONE(v) ? obj_call_method(vm, it, "__next__", NULL, 0) : obj_call_method(vm, it, "send", &v, 1);
    if (!IS_UNDEF(r)) {
      *out = r;
      return 1;
    }
  }
  if (exc_pending_matches(vm, EXC(vm, StopIteration))) {
    *out = fetch_stop_value(vm);
    return 0;
  }
  return -1;
}

int gen_iter_throw(VM *vm, Value it, ExcObj *exc, Value *out) {
  if (IS_GEN(it)) return gen_throw(vm, AS_GEN(it), exc, out);
  Type *t = obj_type(vm, it);
  if (t->throw_) return t->throw_(vm, it, exc, out);
  Value meth = obj_getattr_opt(vm, it, NAME(vm, throw));
  if (IS_UNDEF(meth)) {
    if (!exc_pending(vm)) exc_raise_obj(vm, exc);
    return -1;
  }
  Value r = obj_call1(vm, meth, v_obj(exc));
  if (!IS_UNDEF(r)) {
    *out = r;
    return 1;
  }
  if (exc_pending_matches(vm, EXC(vm, StopIteration))) {
    *out = fetch_stop_value(vm);
    return 0;
  }
  return -1;
}

Value gen_yield_from_iter(VM *vm, Value o, CodeObj *co) {
  if (IS_GEN(o)) {
    if (AS_GEN(o)->kind == GENK_COROUTINE && !(co->flags & CO_COROUTINE))
      return exc_type_error(vm, "cannot 'yield from' a coroutine object in a non-coroutine generator");
    return o;
  }
  return obj_iter(vm, o);
}

Value gen_get_awaitable(VM *vm, Value o, int where) {
  if (IS_GEN(o) && AS_GEN(o)->kind == GENK_COROUTINE) {
    if (!IS_UNDEF(gen_delegate(AS_GEN(o))))
      return exc_raise(vm, EXC(vm, RuntimeError), "coroutine is being awaited already");
    return o;
  }
  Type *t = obj_type(vm, o);
  if (t->send && t->throw_) return o;   /* C awaitables are their own iterators */
  Value aw = type_lookup(vm, t, NAME(vm, __await__));
  if (IS_UNDEF(aw) || (IS_GEN(o) && AS_GEN(o)->kind != GENK_COROUTINE)) {
    if (where == 1)
      return exc_type_error(vm, "'async with' received an object from __aenter__ that does not implement __await__: %s",
                            obj_type_name(vm, o));
    if (where == 2)
      return exc_type_error(vm, "'async with' received an object from __aexit__ that does not implement __await__: %s",
                            obj_type_name(vm, o));
    return exc_type_error(vm, "object %s can't be used in 'await' expression", obj_type_name(vm, o));
  }
  Value r = vm_call_special(vm, aw, o, NULL, 0);
  if (IS_UNDEF(r)) return V_UNDEF;
  if (IS_GEN(r) && AS_GEN(r)->kind == GENK_COROUTINE) return exc_type_error(vm, "__await__() returned a coroutine");
  if (!IS_GEN(r) && !obj_type(vm, r)->send && !obj_type(vm, r)->next)
    return exc_type_error(vm, "__await__() returned non-iterator of type '%s'", obj_type_name(vm, r));
  return r;
}

Value gen_get_aiter(VM *vm, Value o) {
  Type *t = obj_type(vm, o);
  Value m = type_lookup(vm, t, NAME(vm, __aiter__));
  if (IS_UNDEF(m)) return exc_type_error(vm, "'async for' requires an object with __aiter__ method, got %s", obj_type_name(vm, o));
  Value r = vm_call_special(vm, m, o, NULL, 0);
  if (IS_UNDEF(r)) return V_UNDEF;
  if (IS_UNDEF(type_lookup(vm, obj_type(vm, r), NAME(vm, __anext__))))
    return exc_type_error(vm, "'async for' received an object from __aiter__ that does not implement __anext__: %s",
                          obj_type_name(vm, r));
  return r;
}

Value gen_get_anext(VM *vm, Value aiter) {
  if (IS_GEN(aiter) && AS_GEN(aiter)->kind == GENK_ASYNC_GENERATOR)
    return aop_new(vm, AS_GEN(aiter), AOP_ASEND, V_NONE);
  Type *t = obj_type(vm, aiter);
  Value m = type_lookup(vm, t, NAME(vm, __anext__));
  if (IS_UNDEF(m))
    return exc_type_error(vm, "'async for' requires an iterator with __anext__ method, got %s", obj_type_name(vm, aiter));
  Value r = vm_call_special(vm, m, aiter, NULL, 0);
  if (IS_UNDEF(r)) return V_UNDEF;
  gc_push_root(vm, r);
  Value aw = gen_get_awaitable(vm, r, 0);
  if (IS_UNDEF(aw) && exc_pending_matches(vm, EXC(vm, TypeError))) {
    ExcObj *cause = exc_fetch(vm);
    gc_push_root(vm, v_obj(cause));
    exc_type_error(vm, "'async for' received an invalid object from __anext__: %s", obj_type_name(vm, r));
    ExcObj *e = (ExcObj *)vm->curexc;
    if (e) {
      e->cause = v_obj(cause);
      e->context = v_obj(cause);
      e->suppress_context = true;
    }
    gc_pop_roots(vm, 1);
  }
  gc_pop_roots(vm, 1);
  return aw;
}

/* ---- types ---- */

static void define_gen_properties(VM *vm, Type *t, const char *prefix) {
  char name[32];
  snprintf(name, sizeof name, "%s_running", prefix);
  define_property(vm, t, name, strcmp(prefix, "ag") == 0 ? gp_ag_running : gp_running);
  snprintf(name, sizeof name, "%s_frame", prefix);
  define_property(vm, t, name, gp_frame);
  snprintf(name, sizeof name, "%s_code", prefix);
  define_property(vm, t, name, gp_code);
  snprintf(name, sizeof name, "%s_%s", prefix, strcmp(prefix, "gi") == 0 ? "yieldfrom" : "await");
  define_property(vm, t, name, gp_yieldfrom);
  define_property(vm, t, "__name__", gp_name);
  define_property(vm, t, "__qualname__", gp_qualname);
}

void gen_types_init(VM *vm) {
  Type *gt = type_new_builtin(vm, "generator", NULL, K_GEN, 0);
  vm->t_generator = gt;
  gt->repr = gen_repr;
  gt->iter = gen_iter_slot;
  gt->next = gen_iternext;
  define_native(vm, gt->dict, "send", gen_m_send, NATIVE_METHOD | NATIVE_GEN_SEND);
  define_native(vm, gt->dict, "throw", gen_m_throw, NATIVE_METHOD | NATIVE_GEN_THROW);
  define_native(vm, gt->dict, "close", gen_m_close, NATIVE_METHOD);
  define_native(vm, gt->dict, "__next__", gen_m_next, NATIVE_METHOD | NATIVE_GEN_NEXT);
  define_native(vm, gt->dict, "__iter__", gen_m_iter, NATIVE_METHOD);
  define_gen_properties(vm, gt, "gi");

  Type *ct = type_new_builtin(vm, "coroutine", NULL, K_GEN, 0);
  vm->t_coroutine = ct;
  ct->repr = gen_repr;
  define_native(vm, ct->dict, "send", gen_m_send, NATIVE_METHOD | NATIVE_GEN_SEND);
  define_native(vm, ct->dict, "throw", gen_m_throw, NATIVE_METHOD | NATIVE_GEN_THROW);
  define_native(vm, ct->dict, "close", gen_m_close, NATIVE_METHOD);
  define_native(vm, ct->dict, "__await__", gen_m_await, NATIVE_METHOD);
  define_gen_properties(vm, ct, "cr");

  Type *at = type_new_builtin(vm, "async_generator", NULL, K_GEN, 0);
  vm->t_async_generator = at;
  at->repr = gen_repr;
  define_native(vm, at->dict, "__aiter__", agen_m_aiter, NATIVE_METHOD);
  define_native(vm, at->dict, "__anext__", agen_m_anext, NATIVE_METHOD);
  define_native(vm, at->dict, "asend", agen_m_asend, NATIVE_METHOD);
  define_native(vm, at->dict, "athrow", agen_m_athrow, NATIVE_METHOD);
  define_native(vm, at->dict, "aclose", agen_m_aclose, NATIVE_METHOD);
  define_gen_properties(vm, at, "ag");

  Type **pt = vm_private_types(vm);
  const char *names[2] = {"async_generator_asend", "async_generator_athrow"};
  for (int i = 0; i < 2; i++) {
    Type *t = type_new_builtin(vm, names[i], NULL, K_FOREIGN, 0);
    pt[i == 0 ? VM_PT_ASEND : VM_PT_ATHROW] = t;
    t->iter = gen_iter_slot;
    t->next = aop_iternext;
    t->send = aop_send;
    t->throw_ = aop_throw;
    t->flags |= TF_ABSTRACT_NEW;
    define_native(vm, t->dict, "send", aop_m_send, NATIVE_METHOD);
    define_native(vm, t->dict, "throw", aop_m_throw, NATIVE_METHOD);
    define_native(vm, t->dict, "close", aop_m_close, NATIVE_METHOD);
    define_native(vm, t->dict, "__next__", aop_m_next, NATIVE_METHOD);
    define_native(vm, t->dict, "__iter__", aop_m_self, NATIVE_METHOD);
    define_native(vm, t->dict, "__await__", aop_m_self, NATIVE_METHOD);
  }
  pt[VM_PT_WRAPPED] = type_new_builtin(vm, "async_generator_wrapped_value", NULL, K_TUPLE, 0);
}
