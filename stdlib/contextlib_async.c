/* contextlib_async.c — contextlib's async half: asynccontextmanager (and
** the _AsyncGeneratorContextManager it makes), AsyncContextDecorator,
** AbstractAsyncContextManager, aclosing and nullcontext's async methods,
** following CPython 3.11's Lib/contextlib.py. AsyncExitStack lives in
** exitstack_async.c.
**
** Every async method returns a C coroutine (wy_coroutine): a step function
** that awaits what the Python code awaits (anext(gen), gen.athrow(...),
** gen.aclose()) and is resumed with its result or its exception. What a
** step decides from the generator's behaviour is the sync half's code
** (cl_gcm_enter_verdict / cl_gcm_exit_verdict in contextlib.c): only the
** way the generator is resumed differs. A coroutine that needs memory
** between steps keeps it in the slots of a small state object; one whose
** steps only need self uses self as its state. */
#include <stdio.h>
#include "contextlib_internal.h"

/* anext(obj): obj.__anext__(), looked up as the builtin does */
static wy_Value anext_of(wy_State *W, wy_Value obj) {
  wy_Value method = wy_lookup_special(W, obj, "__anext__");
  if (wy_is_error(method)) {
    if (!wy_error_matches(W, "AttributeError")) return method;
    wy_clear_error(W);
    return wy_raise(W, "TypeError", "'%s' object is not an async iterator", wy_type_name(W, obj));
  }
  return wy_call(W, method, 1, &obj);
}

/* after an awaited anext/asend: what the generator did (a pending
** StopAsyncIteration, meaning "finished", is taken into *in) */
static int resumed_outcome(wy_State *W, wy_Resume how, wy_Value *in) {
  if (how != WY_RESUME_ERROR) return GEN_YIELDED;
  if (!wy_error_matches(W, "StopAsyncIteration")) return GEN_RAISED;
  *in = wy_fetch_error(W);
  return GEN_FINISHED;
}

/* ---- _AsyncGeneratorContextManager.__aenter__ (its state: self) ---- */

static wy_Step aenter_step(wy_State *W, wy_Value self, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_START) {
    wy_Value gen = cl_gcm_take_gen(W, self);
    *out = wy_is_error(gen) ? gen : anext_of(W, gen);
    return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
  }
  int did = resumed_outcome(W, how, &in);
  *out = cl_gcm_enter_verdict(W, &cl_async_flavor, did, in);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_RETURN;
}

static wy_Value agcm_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  return wy_coroutine(W, "_AsyncGeneratorContextManager.__aenter__", aenter_step, argv[0]);
}

/* ---- _AsyncGeneratorContextManager.__aexit__ ---- */

/* its memory: the arguments, the generator, what it awaits now, and the
** RuntimeError waiting for aclose() to finish */
enum { AX_SELF, AX_TYP, AX_VALUE, AX_TB, AX_GEN, AX_PHASE, AX_EXC, AX_NSLOTS };
enum { AWAITING_ANEXT, AWAITING_ATHROW, AWAITING_ACLOSE };

/* the first step: resume the generator, or throw the exception into it */
static wy_Step aexit_start(wy_State *W, wy_Value *s, wy_Value *out) {
  wy_Value gen = cl_slot_or_raise(W, s[AX_SELF], GCM_GEN, "gen");
  if (wy_is_error(gen)) return WY_STEP_ERROR;
  s[AX_GEN] = gen;
  if (wy_is_none(s[AX_TYP])) {
    s[AX_PHASE] = wy_int(AWAITING_ANEXT);
    *out = anext_of(W, gen);
    return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
  }
  if (wy_is_none(s[AX_VALUE])) {
    /* a bare exception class: instantiate it, to tell it when it comes back */
    wy_Value value = wy_call(W, s[AX_TYP], 0, NULL);
    if (wy_is_error(value)) return WY_STEP_ERROR;
    s[AX_VALUE] = value;
  }
  s[AX_PHASE] = wy_int(AWAITING_ATHROW);
  wy_Value args[3] = {s[AX_TYP], s[AX_VALUE], s[AX_TB]};
  *out = wy_call_method(W, gen, "athrow", 3, args);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

/* `try: raise RuntimeError(msg) finally: await self.gen.aclose()` */
static wy_Step aexit_raise_and_close(wy_State *W, wy_Value *s, const char *msg, wy_Value *out) {
  wy_Value exc = cl_runtime_error(W, msg);
  if (wy_is_error(exc)) return WY_STEP_ERROR;
  s[AX_EXC] = exc;
  wy_Value gen = cl_slot_or_raise(W, s[AX_SELF], GCM_GEN, "gen");
  *out = wy_is_error(gen) ? gen : wy_call_method(W, gen, "aclose", 0, NULL);
  if (wy_is_error(*out)) {
    cl_raise_chained(W, wy_fetch_error(W), exc);
    return WY_STEP_ERROR;
  }
  s[AX_PHASE] = wy_int(AWAITING_ACLOSE);
  return WY_STEP_AWAIT;
}

static wy_Step aexit_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  wy_Value *s = cl_slots_of(W, state, AX_NSLOTS);
  if (!s) return WY_STEP_ERROR;
  if (how == WY_RESUME_START) return aexit_start(W, s, out);
  int64_t phase = 0;
  if (wy_to_int(W, s[AX_PHASE], &phase) < 0) return WY_STEP_ERROR;
  if (phase == AWAITING_ACLOSE) {
    /* aclose() is done: raise the RuntimeError, or what aclose() raised */
    wy_Value exc = s[AX_EXC];
    if (how == WY_RESUME_ERROR) cl_raise_chained(W, wy_fetch_error(W), exc);
    else wy_raise_value(W, exc);
    return WY_STEP_ERROR;
  }
  int did = phase == AWAITING_ANEXT ? resumed_outcome(W, how, &in)
                                    : how == WY_RESUME_ERROR ? GEN_RAISED : GEN_YIELDED;
  wy_Value thrown = phase == AWAITING_ANEXT ? wy_error() : s[AX_VALUE];
  const char *didnt_stop;
  *out = cl_gcm_exit_verdict(W, &cl_async_flavor, thrown, s[AX_TB], did, in, &didnt_stop);
  if (didnt_stop) return aexit_raise_and_close(W, s, didnt_stop, out);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_RETURN;
}

static wy_Value agcm_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  ContextlibState *st = ud;
  static const char *const names[] = {"typ", "value", "traceback", NULL};
  wy_Value a[3];
  if (cl_need_self(W, argc) < 0) return wy_error();
  if (argc == 4 && wy_is_none(kw)) {   /* the async with statement's call: nothing to parse */
    a[0] = argv[1];
    a[1] = argv[2];
    a[2] = argv[3];
  } else if (std_args(W, "_AsyncGeneratorContextManager.__aexit__", argc - 1, argv + 1, kw, names, 3, a) < 0) {
    return wy_error();
  }
  wy_Value state = wy_new_instance(W, wy_pinned(st->aexit_state), NULL, NULL);
  if (wy_is_error(state)) return state;
  wy_Value *s = cl_slots_of(W, state, AX_NSLOTS);
  if (!s) return wy_error();
  s[AX_SELF] = argv[0];
  s[AX_TYP] = a[0];
  s[AX_VALUE] = a[1];
  s[AX_TB] = a[2];
  return wy_coroutine(W, "_AsyncGeneratorContextManager.__aexit__", aexit_step, state);
}

/* ---- asynccontextmanager ---- */

/* what the factory asynccontextmanager(func) returns does when called */
wy_Value cl_async_helper_call(wy_State *W, ContextlibState *st, wy_Value func, int argc, const wy_Value *argv,
                              wy_Value kw) {
  wy_Value args = wy_tuple(W, argc, argv);
  if (wy_is_error(args)) return args;
  wy_Value self = wy_new_instance(W, wy_pinned(st->agcm_class), NULL, NULL);
  if (wy_is_error(self)) return self;
  return cl_gcm_setup(W, self, func, args, kw) < 0 ? wy_error() : self;
}

static wy_Value asynccontextmanager(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"func", NULL};
  wy_Value a[1];
  if (std_args(W, "asynccontextmanager", argc, argv, kw, names, 1, a) < 0) return wy_error();
  return cl_make_fn(W, ud, FN_ASYNC_HELPER, a[0], wy_none(), a[0]);
}

/* ---- AsyncContextDecorator: the inner() coroutine ----
** async def inner(*args, **kwds):
**     async with self._recreate_cm():
**         return await func(*args, **kwds)
** written out as the async with statement runs it. */

enum { IN_OWNER, IN_FUNC, IN_ARGS, IN_KWDS, IN_CM, IN_EXIT, IN_RESULT, IN_EXC, IN_PHASE, IN_NSLOTS };
enum { IN_ENTERING, IN_BODY, IN_EXITING, IN_EXITING_EXC };

/* __aenter__ and __aexit__ as `async with` finds them (on the type) */
static wy_Value async_with_enter(wy_State *W, wy_Value *s) {
  wy_Value cm = wy_call_method(W, s[IN_OWNER], "_recreate_cm", 0, NULL);
  if (wy_is_error(cm)) return cm;
  s[IN_CM] = cm;
  wy_Value enter = wy_lookup_special(W, cm, "__aenter__");
  wy_Value exit = wy_is_error(enter) ? enter : wy_lookup_special(W, cm, "__aexit__");
  if (wy_is_error(exit)) {
    if (!wy_error_matches(W, "AttributeError")) return wy_error();
    wy_clear_error(W);
    return wy_raise(W, "TypeError", "'%s' object does not support the asynchronous context manager protocol%s",
                    wy_type_name(W, cm), wy_is_error(enter) ? "" : " (missed __aexit__ method)");
  }
  s[IN_EXIT] = exit;
  return wy_call(W, enter, 1, &cm);
}

/* await cm.__aexit__(type, exc, tb) for the exception pending now */
static wy_Step inner_exit_with_error(wy_State *W, wy_Value *s, wy_Value *out) {
  wy_Value exc = wy_fetch_error(W);
  s[IN_EXC] = exc;
  wy_Value tb = wy_getattr(W, exc, "__traceback__");
  if (wy_is_error(tb)) {
    wy_clear_error(W);
    tb = wy_none();
  }
  wy_Value args[4] = {s[IN_CM], wy_type_of(W, exc), exc, tb};
  *out = wy_call(W, s[IN_EXIT], 4, args);
  if (wy_is_error(*out)) {
    cl_raise_chained(W, wy_fetch_error(W), exc);
    return WY_STEP_ERROR;
  }
  s[IN_PHASE] = wy_int(IN_EXITING_EXC);
  return WY_STEP_AWAIT;
}

static wy_Step inner_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  wy_Value *s = cl_slots_of(W, state, IN_NSLOTS);
  if (!s) return WY_STEP_ERROR;
  if (how == WY_RESUME_START) {
    s[IN_PHASE] = wy_int(IN_ENTERING);
    *out = async_with_enter(W, s);
    return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
  }
  int64_t phase = 0;
  if (wy_to_int(W, s[IN_PHASE], &phase) < 0) return WY_STEP_ERROR;
  switch (phase) {
    case IN_ENTERING:
      if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
      *out = wy_call_args(W, s[IN_FUNC], s[IN_ARGS], s[IN_KWDS]);
      if (wy_is_error(*out)) return inner_exit_with_error(W, s, out);
      s[IN_PHASE] = wy_int(IN_BODY);
      return WY_STEP_AWAIT;
    case IN_BODY: {
      if (how == WY_RESUME_ERROR) return inner_exit_with_error(W, s, out);
      s[IN_RESULT] = in;
      wy_Value args[4] = {s[IN_CM], wy_none(), wy_none(), wy_none()};
      *out = wy_call(W, s[IN_EXIT], 4, args);
      s[IN_PHASE] = wy_int(IN_EXITING);
      return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
    }
    case IN_EXITING:
      if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
      *out = s[IN_RESULT];
      return WY_STEP_RETURN;
    default: {   /* IN_EXITING_EXC: __aexit__ decides the body's exception */
      wy_Value exc = s[IN_EXC];
      if (how == WY_RESUME_ERROR) {
        cl_raise_chained(W, wy_fetch_error(W), exc);
        return WY_STEP_ERROR;
      }
      int suppress = wy_truthy(W, in);
      if (suppress < 0) return WY_STEP_ERROR;
      if (!suppress) {
        wy_raise_value(W, exc);
        return WY_STEP_ERROR;
      }
      *out = wy_none();
      return WY_STEP_RETURN;
    }
  }
}

/* the function AsyncContextDecorator.__call__ returns, called: a coroutine */
wy_Value cl_async_decorated_call(wy_State *W, ContextlibState *st, wy_Value owner, wy_Value func, int argc,
                                 const wy_Value *argv, wy_Value kw) {
  wy_Value args = wy_tuple(W, argc, argv);
  if (wy_is_error(args)) return args;
  wy_Value state = wy_new_instance(W, wy_pinned(st->inner_state), NULL, NULL);
  if (wy_is_error(state)) return state;
  wy_Value *s = cl_slots_of(W, state, IN_NSLOTS);
  if (!s) return wy_error();
  s[IN_OWNER] = owner;
  s[IN_FUNC] = func;
  s[IN_ARGS] = args;
  s[IN_KWDS] = kw;
  return wy_coroutine(W, "AsyncContextDecorator.__call__.<locals>.inner", inner_step, state);
}

/* ---- AbstractAsyncContextManager ---- */

static wy_Value aacm_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  return cl_return_coro(W, "AbstractAsyncContextManager.__aenter__", argv[0]);
}

static wy_Value aacm_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  static const char *const names[] = {"exc_type", "exc_value", "traceback", NULL};
  wy_Value a[3];
  if (cl_need_self(W, argc) < 0 ||
      std_args(W, "AbstractAsyncContextManager.__aexit__", argc - 1, argv + 1, kw, names, 3, a) < 0)
    return wy_error();
  return cl_return_coro(W, "AbstractAsyncContextManager.__aexit__", wy_none());
}

/* ---- aclosing (state: self) ---- */

static wy_Value aclosing_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  static const char *const names[] = {"thing", NULL};
  wy_Value a[1];
  if (cl_need_self(W, argc) < 0 || std_args(W, "aclosing", argc - 1, argv + 1, kw, names, 1, a) < 0)
    return wy_error();
  return wy_setattr(W, argv[0], "thing", a[0]) < 0 ? wy_error() : wy_none();
}

/* a coroutine returning self.<name> when it runs */
static wy_Step attr_step(wy_State *W, wy_Value self, wy_Resume how, const char *name, wy_Value *out) {
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  *out = wy_getattr(W, self, name);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_RETURN;
}

static wy_Step aclosing_aenter_step(wy_State *W, wy_Value self, wy_Resume how, wy_Value in, wy_Value *out) {
  (void)in;
  return attr_step(W, self, how, "thing", out);
}

static wy_Value aclosing_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  return wy_coroutine(W, "aclosing.__aenter__", aclosing_aenter_step, argv[0]);
}

/* await self.thing.aclose(); the result is None, whatever aclose returned */
static wy_Step aclosing_aexit_step(wy_State *W, wy_Value self, wy_Resume how, wy_Value in, wy_Value *out) {
  (void)in;
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  if (how == WY_RESUME_VALUE) {
    *out = wy_none();
    return WY_STEP_RETURN;
  }
  wy_Value thing = wy_getattr(W, self, "thing");
  *out = wy_is_error(thing) ? thing : wy_call_method(W, thing, "aclose", 0, NULL);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

static wy_Value aclosing_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (cl_need_self(W, argc) < 0 || std_no_kwargs(W, "aclosing.__aexit__", kw) < 0) return wy_error();
  return wy_coroutine(W, "aclosing.__aexit__", aclosing_aexit_step, argv[0]);
}

/* ---- nullcontext's async methods ---- */

static wy_Step nullcontext_aenter_step(wy_State *W, wy_Value self, wy_Resume how, wy_Value in, wy_Value *out) {
  (void)in;
  return attr_step(W, self, how, "enter_result", out);
}

wy_Value cl_nullcontext_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (cl_need_self(W, argc) < 0) return wy_error();
  return wy_coroutine(W, "nullcontext.__aenter__", nullcontext_aenter_step, argv[0]);
}

wy_Value cl_nullcontext_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)argv;
  (void)ud;
  if (cl_need_self(W, argc) < 0 || std_no_kwargs(W, "nullcontext.__aexit__", kw) < 0) return wy_error();
  return cl_return_coro(W, "nullcontext.__aexit__", wy_none());
}

/* ---- the module's async members ---- */

static const wy_Method aacm_methods[] = {
  {"__aenter__", aacm_aenter}, {"__aexit__", aacm_aexit}, {NULL, NULL}
};
static const wy_Method acd_methods[] = {
  {"_recreate_cm", cl_return_self}, {"__call__", cl_acd_call}, {NULL, NULL}
};
static const wy_Method agcm_methods[] = {
  {"__init__", cl_gcm_init}, {"_recreate_cm", cl_gcm_recreate}, {"__call__", cl_acd_call},
  {"__aenter__", agcm_aenter}, {"__aexit__", agcm_aexit}, {"__trace_repr__", cl_agcm_trace_repr},
  {NULL, NULL}
};
static const wy_Method aclosing_methods[] = {
  {"__init__", aclosing_init}, {"__aenter__", aclosing_aenter}, {"__aexit__", aclosing_aexit}, {NULL, NULL}
};

static wy_Value add_class(wy_State *W, wy_Value m, const char *name, wy_Value base, const wy_Method *methods,
                          void *ud) {
  wy_Value cls = wy_class(W, name, base, methods, ud);
  if (wy_is_error(cls) || cl_module_class(W, m, name, cls) < 0) return wy_error();
  return cls;
}

/* a state class, pinned in *pin */
static int state_class(wy_State *W, const char *name, int nslots, wy_Pin **pin) {
  wy_Value cls = cl_state_class(W, name, nslots);
  if (wy_is_error(cls)) return -1;
  *pin = wy_pin(W, cls);
  return *pin ? 0 : -1;
}

int cl_async_add(wy_State *W, wy_Value m, ContextlibState *st) {
  wy_Value aacm = add_class(W, m, "AbstractAsyncContextManager", wy_none(), aacm_methods, NULL);
  if (wy_is_error(aacm)) return -1;
  if (wy_is_error(add_class(W, m, "AsyncContextDecorator", wy_none(), acd_methods, st)) ||
      wy_is_error(add_class(W, m, "aclosing", aacm, aclosing_methods, NULL)))
    return -1;
  wy_Value agcm = add_class(W, m, "_AsyncGeneratorContextManager", aacm, agcm_methods, st);
  if (wy_is_error(agcm) || cl_gcm_class_attrs(W, agcm, "Helper for @asynccontextmanager decorator.") < 0)
    return -1;
  st->agcm_class = wy_pin(W, agcm);
  if (!st->agcm_class) return -1;
  if (state_class(W, "_aexit_state", AX_NSLOTS, &st->aexit_state) < 0 ||
      state_class(W, "_inner_state", IN_NSLOTS, &st->inner_state) < 0)
    return -1;
  return wy_def(W, m, "asynccontextmanager", asynccontextmanager, st);
}
