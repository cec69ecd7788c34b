/* contextlib.c — the contextlib module: contextmanager (and the
** _GeneratorContextManager it makes), ContextDecorator,
** AbstractContextManager, suppress, closing, nullcontext,
** redirect_stdout / redirect_stderr and chdir, following CPython 3.11's
** Lib/contextlib.py; and the logic @contextmanager shares with
** @asynccontextmanager (contextlib_async.c): what __exit__ / __aexit__
** decide from what the generator did. ExitStack lives in exitstack.c.
** Uses withy.h only.
**
** The state of the objects on hot paths (a @contextmanager object's gen,
** func, args and kwds; suppress's exceptions; the function objects) lives
** in value slots (wy_class_slots): the collector sees it, nothing needs a
** finalizer, and no attribute dict is made per object. Python sees the
** same attributes CPython has, through properties over the slots. The
** rest keeps plain instance attributes, as in CPython. */
#include <stdio.h>
#include <string.h>
#include "contextlib_internal.h"

/* ---- small helpers ---- */

void cl_try_setattr(wy_State *W, wy_Value obj, const char *name, wy_Value v) {
  if (wy_is_error(v) || wy_setattr(W, obj, name, v) < 0) wy_clear_error(W);
}

/* copy an attribute from src to dst when src has it (functools.wraps) */
static void copy_attr(wy_State *W, wy_Value dst, wy_Value src, const char *name) {
  if (!wy_hasattr(W, src, name)) return;
  cl_try_setattr(W, dst, name, wy_getattr(W, src, name));
}

static void wraps(wy_State *W, wy_Value wrapper, wy_Value wrapped) {
  copy_attr(W, wrapper, wrapped, "__module__");
  copy_attr(W, wrapper, wrapped, "__name__");
  copy_attr(W, wrapper, wrapped, "__qualname__");
  copy_attr(W, wrapper, wrapped, "__doc__");
  cl_try_setattr(W, wrapper, "__wrapped__", wrapped);
}

int cl_need_self(wy_State *W, int argc) {
  if (argc >= 1) return 0;
  wy_raise(W, "TypeError", "descriptor needs an argument");
  return -1;
}

wy_Value cl_runtime_error(wy_State *W, const char *msg) {
  wy_Value m = wy_str(W, msg);
  return wy_is_error(m) ? m : wy_call(W, wy_builtin(W, "RuntimeError"), 1, &m);
}

/* a RuntimeError(msg) raised `from None` in the except clause that caught
** `handled` (its __context__, hidden) */
static wy_Value runtime_error_from_none(wy_State *W, const char *msg, wy_Value handled) {
  wy_Value exc = cl_runtime_error(W, msg);
  if (wy_is_error(exc)) return exc;
  cl_try_setattr(W, exc, "__context__", handled);
  cl_try_setattr(W, exc, "__cause__", wy_none());
  cl_try_setattr(W, exc, "__suppress_context__", wy_bool(true));
  return wy_raise_value(W, exc);
}

wy_Value cl_raise_chained(wy_State *W, wy_Value other, wy_Value handled) {
  if (!wy_is(other, handled)) {
    wy_Value ctx = wy_getattr(W, other, "__context__");
    if (wy_is_error(ctx)) wy_clear_error(W);
    else if (wy_is_none(ctx)) cl_try_setattr(W, other, "__context__", handled);
  }
  return wy_raise_value(W, other);
}

int cl_module_class(wy_State *W, wy_Value m, const char *name, wy_Value cls) {
  /* in the class's namespace, where a Python class keeps it */
  wy_Value modname = wy_str(W, "contextlib");
  if (wy_is_error(modname) || wy_class_set(W, cls, "__module__", modname) < 0) return -1;
  return wy_module_set(W, m, name, cls);
}

wy_Value cl_state_class(wy_State *W, const char *name, int nslots) {
  wy_Value cls = wy_class(W, name, wy_none(), NULL, NULL);
  if (wy_is_error(cls) || wy_class_slots(W, cls, nslots) < 0) return wy_error();
  return cls;
}

/* the step of a coroutine that returns its state */
static wy_Step return_state_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  (void)W;
  (void)in;
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  *out = state;
  return WY_STEP_RETURN;
}

wy_Value cl_return_coro(wy_State *W, const char *name, wy_Value v) {
  return wy_coroutine(W, name, return_state_step, v);
}

/* ---- attributes kept in slots ---- */

typedef struct SlotAttr {
  int index;
  const char *name;
  bool dict_if_none;   /* None stands for an empty dict made when first read */
} SlotAttr;

static wy_Value slot_get(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  const SlotAttr *a = ud;
  wy_Value v;
  (void)kw;
  if (cl_need_self(W, argc) < 0) return wy_error();
  int k = wy_get_slot(W, argv[0], a->index, &v);
  if (k < 0) return wy_error();
  if (k == 0)
    return wy_raise(W, "AttributeError", "'%s' object has no attribute '%s'", wy_type_name(W, argv[0]), a->name);
  if (a->dict_if_none && wy_is_none(v)) {
    v = wy_dict(W);
    if (wy_is_error(v) || wy_set_slot(W, argv[0], a->index, v) < 0) return wy_error();
  }
  return v;
}

static wy_Value slot_set(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  const SlotAttr *a = ud;
  (void)kw;
  if (argc != 2) return wy_raise(W, "TypeError", "expected 1 argument");
  return wy_set_slot(W, argv[0], a->index, argv[1]) < 0 ? wy_error() : wy_none();
}

/* the attributes of a class whose values live in slots */
static int slot_properties(wy_State *W, wy_Value cls, const SlotAttr *attrs, int nslots) {
  if (wy_class_slots(W, cls, nslots) < 0) return -1;
  for (const SlotAttr *a = attrs; a->name; a++) {
    wy_Value get = wy_function(W, a->name, slot_get, (void *)a);
    wy_Value set = wy_function(W, a->name, slot_set, (void *)a);
    wy_Value prop = wy_is_error(get) || wy_is_error(set) ? wy_error() : wy_property(W, get, set);
    if (wy_is_error(prop) || wy_class_set(W, cls, a->name, prop) < 0) return -1;
  }
  return 0;
}

wy_Value cl_slot_or_raise(wy_State *W, wy_Value obj, int i, const char *name) {
  wy_Value v;
  int k = wy_get_slot(W, obj, i, &v);
  if (k > 0) return v;
  if (k == 0) wy_raise(W, "AttributeError", "'%s' object has no attribute '%s'", wy_type_name(W, obj), name);
  return wy_error();
}

wy_Value *cl_slots_of(wy_State *W, wy_Value obj, int n) {
  int have;
  wy_Value *slots = wy_slots(W, obj, &have);
  if (slots && have < n) {
    wy_raise(W, "TypeError", "contextlib: unexpected '%s' object", wy_type_name(W, obj));
    return NULL;
  }
  return slots;
}

/* the function-like objects' slots: what kind of call, and its two operands
** (helper: the generator function; decorated: the decorator and the function) */
enum { FN_KIND, FN_A, FN_B, FN_NSLOTS };

/* a function-like object (it takes attributes, binds as a method) whose
** calls go to the C code of `kind` with its operands a and b */
wy_Value cl_make_fn(wy_State *W, ContextlibState *st, int kind, wy_Value a, wy_Value b, wy_Value wrapped) {
  wy_Value f = wy_new_instance(W, wy_pinned(st->fn_class), NULL, NULL);
  if (wy_is_error(f)) return f;
  wy_Value *slots = cl_slots_of(W, f, FN_NSLOTS);
  if (!slots) return wy_error();
  slots[FN_KIND] = wy_int(kind);
  slots[FN_A] = a;
  slots[FN_B] = b;
  wraps(W, f, wrapped);
  return f;
}

/* ---- running a function inside a context manager (ContextDecorator) ---- */

/* `with cm: return func(*args, **kwds)`, written out */
static wy_Value with_call(wy_State *W, wy_Value cm, wy_Value func, int argc, const wy_Value *argv,
                          wy_Value kw) {
  wy_Value entered = wy_call_method(W, cm, "__enter__", 0, NULL);
  if (wy_is_error(entered)) return entered;
  wy_Value r = wy_call_kw(W, func, argc, argv, kw);
  if (!wy_is_error(r)) {
    wy_Value nones[3] = {wy_none(), wy_none(), wy_none()};
    wy_Value x = wy_call_method(W, cm, "__exit__", 3, nones);
    return wy_is_error(x) ? x : r;
  }
  wy_Value exc = wy_fetch_error(W);
  wy_Value xargs[3] = {wy_type_of(W, exc), exc, wy_getattr(W, exc, "__traceback__")};
  if (wy_is_error(xargs[0])) return wy_error();
  if (wy_is_error(xargs[2])) {
    wy_clear_error(W);
    xargs[2] = wy_none();
  }
  wy_Value x = wy_call_method(W, cm, "__exit__", 3, xargs);
  /* raised while exc was being handled: chain it as Python would */
  if (wy_is_error(x)) return cl_raise_chained(W, wy_fetch_error(W), exc);
  int suppress = wy_truthy(W, x);
  if (suppress < 0) return wy_error();
  if (suppress) return wy_none();
  return wy_raise_value(W, exc);
}

/* the function ContextDecorator.__call__ returns */
static wy_Value decorated_call(wy_State *W, wy_Value owner, wy_Value func, int argc, const wy_Value *argv,
                              wy_Value kw) {
  wy_Value cm = wy_call_method(W, owner, "_recreate_cm", 0, NULL);
  if (wy_is_error(cm)) return cm;
  return with_call(W, cm, func, argc, argv, kw);
}

/* ContextDecorator.__call__(self, func) / AsyncContextDecorator's */
static wy_Value decorator_call(wy_State *W, ContextlibState *st, int kind, int argc, const wy_Value *argv,
                               wy_Value kw) {
  static const char *const names[] = {"func", NULL};
  wy_Value a[1];
  if (cl_need_self(W, argc) < 0) return wy_error();
  if (std_args(W, "__call__", argc - 1, argv + 1, kw, names, 1, a) < 0) return wy_error();
  return cl_make_fn(W, st, kind, argv[0], a[0], a[0]);
}

wy_Value cl_cd_call(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return decorator_call(W, ud, FN_DECORATED, argc, argv, kw);
}

wy_Value cl_acd_call(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return decorator_call(W, ud, FN_ASYNC_DECORATED, argc, argv, kw);
}

/* ContextDecorator._recreate_cm(self), AbstractContextManager.__enter__: self */
wy_Value cl_return_self(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  return cl_need_self(W, argc) < 0 ? wy_error() : argv[0];
}

static wy_Value return_none(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)argv;
  (void)kw;
  (void)ud;
  return cl_need_self(W, argc) < 0 ? wy_error() : wy_none();
}

/* ---- @contextmanager and @asynccontextmanager: the verdicts ---- */

const GcmFlavor cl_sync_flavor = {
  false, "StopIteration", "generator didn't stop after throw()", "error: generator didn't stop after throw()",
  "", ""
};
const GcmFlavor cl_async_flavor = {
  true, "StopAsyncIteration", "generator didn't stop after athrow()", "error: generator didn't stop after athrow()",
  "anext: ", "athrow: "
};

const char *cl_described(wy_State *W, wy_Value v) {
  if (wy_is_error(v)) return NULL;
  wy_Value d = wy_describe(W, v);
  if (wy_is_error(d)) {
    wy_clear_error(W);
    return NULL;
  }
  return wy_to_str(W, d, NULL);
}

/* event gen_next or gen_throw: what the generator did, in words ("yielded
** 1"), with the value it produced or the exception it raised */
static void trace_gen_event(wy_State *W, const GcmFlavor *fl, const char *event, wy_Value thrown, const char *what,
                            wy_Value produced, wy_Value raised, const char *verdict) {
  char message[300];
  const char *p = cl_described(W, produced), *r = cl_described(W, raised);
  const char *prefix = event[4] == 'n' ? fl->next_words : fl->throw_words;
  snprintf(message, sizeof message, "%s%s%s%s", prefix, what, p || r ? " " : "", p ? p : r ? r : "");
  wy_TraceEvent ev = {.event = event, .exc = cl_described(W, thrown), .value = p, .message = message,
                      .verdict = verdict};
  wy_trace_emit(W, &ev);
}

/* the arguments are only evaluated while tracing */
#define trace_gen(W, ...)                                     \
  do {                                                        \
    if (wy_tracing(W)) trace_gen_event((W), __VA_ARGS__);     \
  } while (0)

/* the generator raised while resumed: trace it, leave it pending */
static wy_Value trace_raised(wy_State *W, const GcmFlavor *fl) {
  if (wy_tracing(W)) {
    wy_Value e = wy_fetch_error(W);
    trace_gen(W, fl, "gen_next", wy_error(), "raised", wy_error(), e, "raised");
    wy_raise_value(W, e);
  }
  return wy_error();
}

wy_Value cl_gcm_take_gen(wy_State *W, wy_Value self) {
  /* as CPython: the recreation data goes at the first __enter__, which makes
  ** the object one-shot (a second __enter__ is an AttributeError on 'args') */
  wy_Value *slots = cl_slots_of(W, self, GCM_NSLOTS);
  if (!slots) return wy_error();
  if (wy_is_error(slots[GCM_ARGS]))
    return wy_raise(W, "AttributeError", "'%s' object has no attribute 'args'", wy_type_name(W, self));
  slots[GCM_ARGS] = slots[GCM_KWDS] = slots[GCM_FUNC] = wy_error();
  /* read through wy_get_slot, which keeps gen alive while it runs even if
  ** the script rebinds cm.gen meanwhile */
  return cl_slot_or_raise(W, self, GCM_GEN, "gen");
}

wy_Value cl_gcm_enter_verdict(wy_State *W, const GcmFlavor *fl, int did, wy_Value r) {
  if (did == GEN_YIELDED) {
    trace_gen(W, fl, "gen_next", wy_error(), "yielded", r, wy_error(), NULL);
    return r;
  }
  if (did == GEN_RAISED) return trace_raised(W, fl);
  trace_gen(W, fl, "gen_next", wy_error(), "generator finished without yielding", wy_error(), wy_error(),
            "error: generator didn't yield");
  return runtime_error_from_none(W, "generator didn't yield", r);
}

/* __exit__ after the generator's throw() raised (value was thrown in) */
static wy_Value exit_raised(wy_State *W, const GcmFlavor *fl, wy_Value value, wy_Value tb) {
  wy_Value exc = wy_fetch_error(W);
  int k = wy_isinstance(W, exc, wy_builtin(W, fl->stop));
  if (k < 0) return wy_error();
  if (k) {
    /* finished: suppress, unless the exception is the body's own (re-raised
    ** by an iterator that is not a generator) */
    bool own = wy_is(exc, value);
    trace_gen(W, fl, "gen_throw", value, own ? "re-raised" : "finished", wy_error(), own ? exc : wy_error(),
              own ? "propagated" : "suppressed");
    return wy_bool(!own);
  }
  if (wy_is(exc, value)) {
    /* the exception passed through unchanged: let the with statement
    ** re-raise it with its own traceback */
    trace_gen(W, fl, "gen_throw", value, "re-raised", wy_error(), exc, "propagated");
    cl_try_setattr(W, exc, "__traceback__", tb);
    return wy_bool(false);
  }
  k = wy_isinstance(W, exc, wy_builtin(W, "RuntimeError"));
  if (k < 0) return wy_error();
  if (k) {
    /* a Stop(Async)Iteration from the body came back wrapped by PEP 479 */
    int v_stop = wy_isinstance(W, value, wy_builtin(W, "StopIteration"));
    if (v_stop == 0 && fl->async) v_stop = wy_isinstance(W, value, wy_builtin(W, "StopAsyncIteration"));
    if (v_stop < 0) return wy_error();
    if (v_stop) {
      wy_Value cause = wy_getattr(W, exc, "__cause__");
      if (wy_is_error(cause)) return cause;
      if (wy_is(cause, value)) {
        trace_gen(W, fl, "gen_throw", value, "re-raised it wrapped by PEP 479 as", wy_error(), exc, "propagated");
        cl_try_setattr(W, value, "__traceback__", tb);
        return wy_bool(false);
      }
    }
  }
  trace_gen(W, fl, "gen_throw", value, "raised another exception", wy_error(), exc, "replaced");
  return wy_raise_value(W, exc);
}

wy_Value cl_gcm_exit_verdict(wy_State *W, const GcmFlavor *fl, wy_Value thrown, wy_Value tb, int did,
                             wy_Value r, const char **didnt_stop) {
  *didnt_stop = NULL;
  if (wy_is_error(thrown)) {   /* resumed after a body that raised nothing */
    if (did == GEN_RAISED) return trace_raised(W, fl);
    if (did == GEN_FINISHED) {
      trace_gen(W, fl, "gen_next", wy_error(), "generator finished", wy_error(), wy_error(), NULL);
      return wy_bool(false);
    }
    trace_gen(W, fl, "gen_next", wy_error(), "yielded again", r, wy_error(), "error: generator didn't stop");
    *didnt_stop = "generator didn't stop";
    return wy_error();
  }
  if (did == GEN_RAISED) return exit_raised(W, fl, thrown, tb);
  if (did == GEN_FINISHED) {   /* the generator returned: suppressed */
    trace_gen(W, fl, "gen_throw", thrown, "generator finished", wy_error(), wy_error(), "suppressed");
    return wy_bool(true);
  }
  trace_gen(W, fl, "gen_throw", thrown, "yielded", r, wy_error(), fl->didnt_stop_after_verdict);
  *didnt_stop = fl->didnt_stop_after;
  return wy_error();
}

/* `try: raise RuntimeError(msg) finally: gen.close()` */
static wy_Value raise_and_close(wy_State *W, wy_Value gen, const char *msg) {
  wy_Value exc = cl_runtime_error(W, msg);
  if (wy_is_error(exc)) return exc;
  wy_Value r = wy_call_method(W, gen, "close", 0, NULL);
  /* close() failed while the RuntimeError was propagating */
  if (wy_is_error(r)) return cl_raise_chained(W, wy_fetch_error(W), exc);
  return wy_raise_value(W, exc);
}

/* ---- _GeneratorContextManager, and what the async one shares ---- */

static const SlotAttr gcm_attrs[] = {
  {GCM_GEN, "gen"}, {GCM_FUNC, "func"}, {GCM_ARGS, "args"}, {GCM_KWDS, "kwds", true}, {0, NULL}
};

int cl_gcm_setup(wy_State *W, wy_Value self, wy_Value func, wy_Value args, wy_Value kwds) {
  wy_Value gen = wy_call_args(W, func, args, kwds);
  if (wy_is_error(gen)) return -1;
  wy_Value *slots = cl_slots_of(W, self, GCM_NSLOTS);
  if (!slots) return -1;
  slots[GCM_GEN] = gen;
  slots[GCM_FUNC] = slots[GCM_DOC_FUNC] = func;
  slots[GCM_ARGS] = args;
  slots[GCM_KWDS] = kwds;
  return 0;
}

/* _GeneratorContextManager(func, args, kwds) */
wy_Value cl_gcm_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  static const char *const names[] = {"func", "args", "kwds", NULL};
  wy_Value a[3];
  if (cl_need_self(W, argc) < 0) return wy_error();
  if (std_args(W, "_GeneratorContextManager", argc - 1, argv + 1, kw, names, 3, a) < 0)
    return wy_error();
  if (!wy_is_none(a[2]) && wy_isinstance(W, a[2], wy_builtin(W, "dict")) != 1) {
    wy_clear_error(W);
    return wy_raise(W, "TypeError", "argument after ** must be a mapping, not %s", wy_type_name(W, a[2]));
  }
  if (wy_isinstance(W, a[1], wy_builtin(W, "tuple")) != 1) {
    wy_Value t = wy_call(W, wy_builtin(W, "tuple"), 1, &a[1]);
    if (wy_is_error(t)) return t;
    a[1] = t;
  }
  return cl_gcm_setup(W, argv[0], a[0], a[1], a[2]) < 0 ? wy_error() : wy_none();
}

/* __doc__: the generator function's docstring documents the object
** (ud: the class's own docstring, for a function without one) */
static wy_Value gcm_doc(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  wy_Value func, doc = wy_none();
  if (cl_need_self(W, argc) < 0) return wy_error();
  if (wy_get_slot(W, argv[0], GCM_DOC_FUNC, &func) > 0 && wy_hasattr(W, func, "__doc__"))
    doc = wy_getattr(W, func, "__doc__");
  if (!wy_is_error(doc) && !wy_is_none(doc)) return doc;
  wy_clear_error(W);
  return wy_str(W, ud);
}

int cl_gcm_class_attrs(wy_State *W, wy_Value cls, const char *default_doc) {
  if (slot_properties(W, cls, gcm_attrs, GCM_NSLOTS) < 0) return -1;
  wy_Value doc = wy_function(W, "__doc__", gcm_doc, (void *)default_doc);
  doc = wy_is_error(doc) ? doc : wy_property(W, doc, wy_none());
  return wy_is_error(doc) ? -1 : wy_class_set(W, cls, "__doc__", doc);
}

/* how traces name the object: <contextmanager tx> / <asynccontextmanager tx> */
static wy_Value trace_repr(wy_State *W, int argc, const wy_Value *argv, const char *word) {
  wy_Value func;
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value name = wy_get_slot(W, argv[0], GCM_DOC_FUNC, &func) > 0 ? wy_getattr(W, func, "__name__") : wy_error();
  const char *text = wy_is_error(name) || !wy_is_str(name) ? NULL : wy_to_str(W, name, NULL);
  wy_clear_error(W);
  char buf[200];
  snprintf(buf, sizeof buf, "<%s %s>", word, text ? text : "?");
  return wy_str(W, buf);
}

wy_Value cl_gcm_trace_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  return trace_repr(W, argc, argv, "contextmanager");
}

wy_Value cl_agcm_trace_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  return trace_repr(W, argc, argv, "asynccontextmanager");
}

wy_Value cl_gcm_recreate(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value self = argv[0];
  /* self.func, self.args, self.kwds: in this order, the first missing one
  ** is the error */
  static const char *const names[3] = {"func", "args", "kwds"};
  static const int index[3] = {GCM_FUNC, GCM_ARGS, GCM_KWDS};
  wy_Value a[3];
  for (int i = 0; i < 3; i++) {
    a[i] = cl_slot_or_raise(W, self, index[i], names[i]);
    if (wy_is_error(a[i])) return wy_error();
  }
  wy_Value cls = wy_type_of(W, self);
  if (wy_is_error(cls)) return cls;
  return wy_call(W, cls, 3, a);
}

static wy_Value gcm_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value gen = cl_gcm_take_gen(W, argv[0]), r = wy_none();
  if (wy_is_error(gen)) return gen;
  int did = wy_send(W, gen, wy_none(), &r);
  if (did == GEN_FINISHED) {
    /* the StopIteration next(gen) raises in CPython, for the context of
    ** the RuntimeError (wy_send makes none) */
    r = wy_is_none(r) ? wy_call(W, wy_builtin(W, "StopIteration"), 0, NULL)
                      : wy_call(W, wy_builtin(W, "StopIteration"), 1, &r);
    if (wy_is_error(r)) return r;
  }
  return cl_gcm_enter_verdict(W, &cl_sync_flavor, did, r);
}

static wy_Value gcm_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (cl_need_self(W, argc) < 0 || std_no_kwargs(W, "__exit__", kw) < 0 ||
      std_argc(W, "__exit__", argc - 1, 3, 3) < 0)
    return wy_error();
  wy_Value self = argv[0], typ = argv[1], value = argv[2], tb = argv[3], r = wy_none();
  wy_Value gen = cl_slot_or_raise(W, self, GCM_GEN, "gen");   /* kept alive while it runs */
  if (wy_is_error(gen)) return gen;
  int did;
  if (wy_is_none(typ)) {
    value = wy_error();
    did = wy_send(W, gen, wy_none(), &r);
  } else {
    if (wy_is_none(value)) {
      /* a bare exception class: instantiate it, as the throw would */
      value = wy_call(W, typ, 0, NULL);
      if (wy_is_error(value)) return value;
    }
    did = wy_throw(W, gen, value, &r);
  }
  const char *didnt_stop;
  wy_Value verdict = cl_gcm_exit_verdict(W, &cl_sync_flavor, value, tb, did, r, &didnt_stop);
  return didnt_stop ? raise_and_close(W, gen, didnt_stop) : verdict;
}

/* what the factory contextmanager(func) returns does when called */
static wy_Value cm_helper(wy_State *W, ContextlibState *st, wy_Value func, int argc, const wy_Value *argv,
                          wy_Value kw) {
  /* kwds stays None (read as {}) when there are no keyword arguments */
  wy_Value args = wy_tuple(W, argc, argv), kwds = kw;
  if (wy_is_error(args)) return wy_error();
  wy_Value self = wy_new_instance(W, wy_pinned(st->gcm_class), NULL, NULL);
  if (wy_is_error(self)) return self;
  return cl_gcm_setup(W, self, func, args, kwds) < 0 ? wy_error() : self;
}

/* contextmanager(func) */
static wy_Value contextmanager(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  ContextlibState *st = ud;
  static const char *const names[] = {"func", NULL};
  wy_Value a[1];
  if (std_args(W, "contextmanager", argc, argv, kw, names, 1, a) < 0) return wy_error();
  return cl_make_fn(W, st, FN_HELPER, a[0], wy_none(), a[0]);
}

/* ---- the function-like objects ---- */

static wy_Value fn_dispatch(wy_State *W, ContextlibState *st, wy_Value fn, int argc, const wy_Value *argv,
                            wy_Value kw) {
  wy_Value *slots = cl_slots_of(W, fn, FN_NSLOTS);
  if (!slots) return wy_error();
  int64_t k;
  if (wy_is_error(slots[FN_KIND]) || wy_to_int(W, slots[FN_KIND], &k) < 0)
    return wy_raise(W, "TypeError", "contextlib: uninitialized function object");
  /* the operands stay in fn's slots, which argv keeps alive, for the call */
  wy_Value a = slots[FN_A], b = slots[FN_B];
  switch (k) {
    case FN_HELPER: return cm_helper(W, st, a, argc, argv, kw);
    case FN_DECORATED: return decorated_call(W, a, b, argc, argv, kw);
    case FN_ASYNC_HELPER: return cl_async_helper_call(W, st, a, argc, argv, kw);
    default: return cl_async_decorated_call(W, st, a, b, argc, argv, kw);
  }
}

static wy_Value fn_call(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (cl_need_self(W, argc) < 0) return wy_error();
  return fn_dispatch(W, ud, argv[0], argc - 1, argv + 1, kw);
}

/* the bound method fn.__get__(obj) returns: an instance of a small class
** whose slots hold fn and obj (a C class, so that its calls get the
** module's state as userdata) */
enum { BOUND_FN, BOUND_SELF, BOUND_NSLOTS };

static wy_Value bound_call(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value *slots = cl_slots_of(W, argv[0], BOUND_NSLOTS);
  if (!slots) return wy_error();
  if (argc > 64) return wy_raise(W, "TypeError", "withy: too many arguments for contextlib");
  wy_Value items[64];
  /* argv[0], which keeps fn and obj alive, stays alive for the call */
  wy_Value fn = slots[BOUND_FN];
  items[0] = slots[BOUND_SELF];
  for (int i = 1; i < argc; i++) items[i] = argv[i];
  return fn_dispatch(W, ud, fn, argc, items, kw);
}

static wy_Value fn_get(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  ContextlibState *st = ud;
  (void)kw;
  if (cl_need_self(W, argc) < 0 || std_argc(W, "__get__", argc - 1, 1, 2) < 0) return wy_error();
  if (wy_is_none(argv[1])) return argv[0];
  wy_Value m = wy_new_instance(W, wy_pinned(st->bound_class), NULL, NULL);
  if (wy_is_error(m)) return m;
  wy_Value *slots = cl_slots_of(W, m, BOUND_NSLOTS);
  if (!slots) return wy_error();
  slots[BOUND_FN] = argv[0];
  slots[BOUND_SELF] = argv[1];
  return m;
}

/* ---- suppress ---- */

static const SlotAttr suppress_attrs[] = {{0, "_exceptions"}, {0, NULL}};

static wy_Value suppress_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (cl_need_self(W, argc) < 0 || std_no_kwargs(W, "suppress", kw) < 0) return wy_error();
  wy_Value t = wy_tuple(W, argc - 1, argv + 1);
  if (wy_is_error(t)) return t;
  return wy_set_slot(W, argv[0], 0, t) < 0 ? wy_error() : wy_none();
}

static wy_Value suppress_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (cl_need_self(W, argc) < 0 || std_no_kwargs(W, "__exit__", kw) < 0 ||
      std_argc(W, "__exit__", argc - 1, 3, 3) < 0)
    return wy_error();
  if (wy_is_none(argv[1])) return wy_bool(false);
  wy_Value excs = cl_slot_or_raise(W, argv[0], 0, "_exceptions");
  if (wy_is_error(excs)) return excs;
  int t = wy_issubclass(W, argv[1], excs);
  return t < 0 ? wy_error() : wy_bool(t);
}

/* ---- closing ---- */

static wy_Value closing_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  static const char *const names[] = {"thing", NULL};
  wy_Value a[1];
  if (cl_need_self(W, argc) < 0 || std_args(W, "closing", argc - 1, argv + 1, kw, names, 1, a) < 0)
    return wy_error();
  return wy_setattr(W, argv[0], "thing", a[0]) < 0 ? wy_error() : wy_none();
}

static wy_Value closing_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  return cl_need_self(W, argc) < 0 ? wy_error() : wy_getattr(W, argv[0], "thing");
}

static wy_Value closing_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value thing = wy_getattr(W, argv[0], "thing");
  if (wy_is_error(thing)) return thing;
  wy_Value r = wy_call_method(W, thing, "close", 0, NULL);
  return wy_is_error(r) ? r : wy_none();
}

/* ---- nullcontext ---- */

static wy_Value nullcontext_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  static const char *const names[] = {"enter_result", NULL};
  wy_Value a[1];
  if (cl_need_self(W, argc) < 0 ||
      std_args(W, "nullcontext", argc - 1, argv + 1, kw, names, 0, a) < 0)
    return wy_error();
  wy_Value v = wy_is_error(a[0]) ? wy_none() : a[0];
  return wy_setattr(W, argv[0], "enter_result", v) < 0 ? wy_error() : wy_none();
}

static wy_Value nullcontext_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  return cl_need_self(W, argc) < 0 ? wy_error() : wy_getattr(W, argv[0], "enter_result");
}

/* ---- redirect_stdout / redirect_stderr (ud: "stdout" or "stderr") ---- */

static wy_Value redirect_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"new_target", NULL};
  wy_Value a[1];
  const char *fname = strcmp(ud, "stdout") == 0 ? "redirect_stdout" : "redirect_stderr";
  if (cl_need_self(W, argc) < 0 || std_args(W, fname, argc - 1, argv + 1, kw, names, 1, a) < 0)
    return wy_error();
  wy_Value stack = wy_list(W);
  if (wy_is_error(stack)) return stack;
  if (wy_setattr(W, argv[0], "_new_target", a[0]) < 0 ||
      wy_setattr(W, argv[0], "_old_targets", stack) < 0)
    return wy_error();
  return wy_none();
}

static wy_Value redirect_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value sys = wy_import(W, "sys");
  if (wy_is_error(sys)) return sys;
  wy_Value stack = wy_getattr(W, argv[0], "_old_targets");
  wy_Value target = wy_getattr(W, argv[0], "_new_target");
  if (wy_is_error(stack) || wy_is_error(target)) return wy_error();
  wy_Value old = wy_getattr(W, sys, ud);
  if (wy_is_error(old)) return old;
  if (wy_is_error(wy_call_method(W, stack, "append", 1, &old))) return wy_error();
  if (wy_setattr(W, sys, ud, target) < 0) return wy_error();
  return target;
}

static wy_Value redirect_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value sys = wy_import(W, "sys");
  if (wy_is_error(sys)) return sys;
  wy_Value stack = wy_getattr(W, argv[0], "_old_targets");
  if (wy_is_error(stack)) return stack;
  wy_Value old = wy_call_method(W, stack, "pop", 0, NULL);
  if (wy_is_error(old)) return old;
  return wy_setattr(W, sys, ud, old) < 0 ? wy_error() : wy_none();
}

/* ---- chdir ---- */

/* os.<name>(*argv): a module function, looked up as an attribute */
static wy_Value os_call(wy_State *W, wy_Value os, const char *name, int argc, const wy_Value *argv) {
  wy_Value f = wy_getattr(W, os, name);
  return wy_is_error(f) ? f : wy_call(W, f, argc, argv);
}

static wy_Value chdir_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  static const char *const names[] = {"path", NULL};
  wy_Value a[1];
  if (cl_need_self(W, argc) < 0 || std_args(W, "chdir", argc - 1, argv + 1, kw, names, 1, a) < 0)
    return wy_error();
  wy_Value stack = wy_list(W);
  if (wy_is_error(stack)) return stack;
  if (wy_setattr(W, argv[0], "path", a[0]) < 0 || wy_setattr(W, argv[0], "_old_cwd", stack) < 0)
    return wy_error();
  return wy_none();
}

static wy_Value chdir_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value os = wy_import(W, "os");
  if (wy_is_error(os)) return os;
  wy_Value stack = wy_getattr(W, argv[0], "_old_cwd");
  wy_Value path = wy_getattr(W, argv[0], "path");
  if (wy_is_error(stack) || wy_is_error(path)) return wy_error();
  wy_Value cwd = os_call(W, os, "getcwd", 0, NULL);
  if (wy_is_error(cwd)) return cwd;
  if (wy_is_error(wy_call_method(W, stack, "append", 1, &cwd))) return wy_error();
  wy_Value r = os_call(W, os, "chdir", 1, &path);
  return wy_is_error(r) ? r : wy_none();
}

static wy_Value chdir_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  wy_Value os = wy_import(W, "os");
  if (wy_is_error(os)) return os;
  wy_Value stack = wy_getattr(W, argv[0], "_old_cwd");
  if (wy_is_error(stack)) return stack;
  wy_Value old = wy_call_method(W, stack, "pop", 0, NULL);
  if (wy_is_error(old)) return old;
  wy_Value r = os_call(W, os, "chdir", 1, &old);
  return wy_is_error(r) ? r : wy_none();
}

/* ---- the module ---- */

static const wy_Method abstract_methods[] = {
  {"__enter__", cl_return_self}, {"__exit__", return_none}, {NULL, NULL}
};
static const wy_Method decorator_methods[] = {
  {"_recreate_cm", cl_return_self}, {"__call__", cl_cd_call}, {NULL, NULL}
};
static const wy_Method gcm_methods[] = {
  {"__init__", cl_gcm_init}, {"_recreate_cm", cl_gcm_recreate}, {"__call__", cl_cd_call},
  {"__enter__", gcm_enter}, {"__exit__", gcm_exit}, {"__trace_repr__", cl_gcm_trace_repr}, {NULL, NULL}
};
static const wy_Method fn_methods[] = {
  {"__call__", fn_call}, {"__get__", fn_get}, {NULL, NULL}
};
static const wy_Method bound_methods[] = {{"__call__", bound_call}, {NULL, NULL}};
static const wy_Method suppress_methods[] = {
  {"__init__", suppress_init}, {"__enter__", return_none}, {"__exit__", suppress_exit}, {NULL, NULL}
};
static const wy_Method closing_methods[] = {
  {"__init__", closing_init}, {"__enter__", closing_enter}, {"__exit__", closing_exit}, {NULL, NULL}
};
static const wy_Method nullcontext_methods[] = {
  {"__init__", nullcontext_init}, {"__enter__", nullcontext_enter}, {"__exit__", return_none},
  {"__aenter__", cl_nullcontext_aenter}, {"__aexit__", cl_nullcontext_aexit}, {NULL, NULL}
};
static const wy_Method redirect_methods[] = {
  {"__init__", redirect_init}, {"__enter__", redirect_enter}, {"__exit__", redirect_exit},
  {NULL, NULL}
};
static const wy_Method chdir_methods[] = {
  {"__init__", chdir_init}, {"__enter__", chdir_enter}, {"__exit__", chdir_exit}, {NULL, NULL}
};

static int add_class(wy_State *W, wy_Value m, const char *name, const wy_Method *methods, void *ud,
                     wy_Value *out) {
  wy_Value cls = wy_class(W, name, wy_none(), methods, ud);
  if (wy_is_error(cls) || cl_module_class(W, m, name, cls) < 0) return -1;
  if (out) *out = cls;
  return 0;
}

/* a class only C code makes instances of, with n slots, pinned in *pin */
static int private_class(wy_State *W, const char *name, const wy_Method *methods, void *ud, int nslots,
                         wy_Pin **pin) {
  wy_Value cls = wy_class(W, name, wy_none(), methods, ud);
  if (wy_is_error(cls) || wy_class_slots(W, cls, nslots) < 0) return -1;
  *pin = wy_pin(W, cls);
  return *pin ? 0 : -1;
}

int std_contextlib_init(wy_State *W, wy_Value m) {
  ContextlibState *st = std_state_new(W, m, sizeof *st);
  if (!st) return -1;
  wy_Value gcm, suppress;
  static char stdout_name[] = "stdout", stderr_name[] = "stderr";
  if (add_class(W, m, "AbstractContextManager", abstract_methods, NULL, NULL) < 0 ||
      add_class(W, m, "ContextDecorator", decorator_methods, st, NULL) < 0 ||
      add_class(W, m, "_GeneratorContextManager", gcm_methods, st, &gcm) < 0 ||
      add_class(W, m, "suppress", suppress_methods, NULL, &suppress) < 0 ||
      add_class(W, m, "closing", closing_methods, NULL, NULL) < 0 ||
      add_class(W, m, "nullcontext", nullcontext_methods, NULL, NULL) < 0 ||
      add_class(W, m, "redirect_stdout", redirect_methods, stdout_name, NULL) < 0 ||
      add_class(W, m, "redirect_stderr", redirect_methods, stderr_name, NULL) < 0 ||
      add_class(W, m, "chdir", chdir_methods, NULL, NULL) < 0)
    return -1;
  if (cl_gcm_class_attrs(W, gcm, "Helper for @contextmanager decorator.") < 0 ||
      slot_properties(W, suppress, suppress_attrs, 1) < 0)
    return -1;
  st->gcm_class = wy_pin(W, gcm);
  if (!st->gcm_class) return -1;
  if (private_class(W, "function", fn_methods, st, FN_NSLOTS, &st->fn_class) < 0 ||
      private_class(W, "method", bound_methods, st, BOUND_NSLOTS, &st->bound_class) < 0)
    return -1;
  if (wy_def(W, m, "contextmanager", contextmanager, st) < 0) return -1;
  if (cl_async_add(W, m, st) < 0 || std_exitstack_add(W, m) < 0) return -1;
  return es_async_add(W, m, st);
}
