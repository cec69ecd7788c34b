/* exitstack_async.c — contextlib.AsyncExitStack: _BaseExitStack's entry
** list and methods (exitstack.c) plus the async ones, written against
** withy.h only.
**
** Its entries carry the ENTRY_ASYNC bit when their call gives an awaitable
** (push_async_exit, enter_async_context, push_async_callback); __aexit__
** is the same unwinding algorithm as ExitStack.__exit__ (es_unwind_*),
** run by a C coroutine that awaits the async exits: its state array lives
** in the coroutine's state object between the steps. */
#include "contextlib_internal.h"

/* ---- __aexit__ ---- */

/* run the exits until one must be awaited, or the stack is empty */
static wy_Step unwind_steps(wy_State *W, EsUnwind *uw, wy_Value *out) {
  int k;
  while ((k = es_unwind_pop(W, uw)) > 0) {
    wy_Value r;
    if (uw->kind & ENTRY_ASYNC) {
      r = es_start_entry(W, uw);
      if (!wy_is_error(r)) {
        *out = r;
        return WY_STEP_AWAIT;
      }
    } else {
      r = es_run_entry(W, uw);
    }
    if (es_unwind_after(W, uw, r) < 0) return WY_STEP_ERROR;
  }
  if (k < 0) return WY_STEP_ERROR;
  *out = es_unwind_end(W, uw);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_RETURN;
}

static wy_Step aexit_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  int n;
  wy_Value *v = wy_slots(W, state, &n);
  if (!v) return WY_STEP_ERROR;
  EsUnwind uw;
  es_unwind_load(W, &uw, v);
  if (how == WY_RESUME_START) {
    es_unwind_start(W, &uw);
  } else {
    /* an awaited exit is done: a callback's result never counts */
    if (how == WY_RESUME_VALUE && ES_IS_CALLBACK(uw.kind)) in = wy_none();
    if (es_unwind_after(W, &uw, how == WY_RESUME_ERROR ? wy_error() : in) < 0) return WY_STEP_ERROR;
  }
  wy_Step step = unwind_steps(W, &uw, out);
  /* the values stay in the state's slots; the numbers wait there too */
  es_unwind_save(W, &uw);
  return step;
}

static wy_Value aes_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  ContextlibState *st = ud;
  if (es_need_self(W, argc, "__aexit__") < 0 || std_no_kwargs(W, "__aexit__", kw) < 0) return wy_error();
  wy_Value state = wy_new_instance(W, wy_pinned(st->unwind_state), NULL, NULL);
  if (wy_is_error(state)) return state;
  int n;
  wy_Value *v = wy_slots(W, state, &n);
  if (!v) return wy_error();
  EsUnwind uw;
  es_unwind_init(&uw, v, argv[0], argc - 1, argv + 1);
  es_unwind_save(W, &uw);
  return wy_coroutine(W, "AsyncExitStack.__aexit__", aexit_step, state);
}

/* ---- aclose(): await self.__aexit__(None, None, None) (state: self) ---- */

static wy_Step aclose_step(wy_State *W, wy_Value self, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  if (how == WY_RESUME_VALUE) {
    *out = wy_none();
    return WY_STEP_RETURN;
  }
  wy_Value nones[3] = {wy_none(), wy_none(), wy_none()};
  *out = wy_call_method(W, self, "__aexit__", 3, nones);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

static wy_Value aes_aclose(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "aclose") < 0 || std_no_kwargs(W, "aclose", kw) < 0) return wy_error();
  if (argc != 1)
    return wy_raise(W, "TypeError", "AsyncExitStack.aclose() takes 1 positional argument but %d were given", argc);
  return wy_coroutine(W, "AsyncExitStack.aclose", aclose_step, argv[0]);
}

static wy_Value aes_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "__aenter__") < 0) return wy_error();
  return cl_return_coro(W, "AsyncExitStack.__aenter__", argv[0]);
}

/* ---- enter_async_context(cm) ---- */

enum { EA_SELF, EA_CM, EA_EXIT, EA_NSLOTS };

static wy_Step enter_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  wy_Value *s = cl_slots_of(W, state, EA_NSLOTS);
  if (!s) return WY_STEP_ERROR;
  if (how == WY_RESUME_VALUE) {
    /* entered: push its __aexit__, give __aenter__'s result */
    if (es_push_entry(W, s[EA_SELF], ENTRY_CM_EXIT | ENTRY_ASYNC, s[EA_EXIT], s[EA_CM], wy_none()) < 0)
      return WY_STEP_ERROR;
    *out = in;
    return WY_STEP_RETURN;
  }
  /* the special methods are looked up on the type, as async with does */
  wy_Value cm = s[EA_CM];
  wy_Value enter = wy_lookup_special(W, cm, "__aenter__");
  wy_Value exit = wy_is_error(enter) ? enter : wy_lookup_special(W, cm, "__aexit__");
  if (wy_is_error(exit)) {
    es_protocol_error(W, cm, "asynchronous context manager");
    return WY_STEP_ERROR;
  }
  s[EA_EXIT] = exit;
  *out = wy_call(W, enter, 1, &cm);
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

static wy_Value aes_enter_async_context(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  ContextlibState *st = ud;
  if (es_need_self(W, argc, "enter_async_context") < 0) return wy_error();
  if (std_no_kwargs(W, "enter_async_context", kw) < 0) return wy_error();
  if (argc != 2)
    return wy_raise(W, "TypeError",
                    argc < 2 ? "AsyncExitStack.enter_async_context() missing 1 required positional argument: 'cm'"
                             : "AsyncExitStack.enter_async_context() takes 2 positional arguments but %d were given",
                    argc);
  wy_Value state = wy_new_instance(W, wy_pinned(st->enter_state), NULL, NULL);
  if (wy_is_error(state)) return state;
  wy_Value *s = cl_slots_of(W, state, EA_NSLOTS);
  if (!s) return wy_error();
  s[EA_SELF] = argv[0];
  s[EA_CM] = argv[1];
  return wy_coroutine(W, "AsyncExitStack.enter_async_context", enter_step, state);
}

/* ---- push_async_exit, push_async_callback ---- */

static wy_Value aes_push_async_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "push_async_exit") < 0) return wy_error();
  if (std_no_kwargs(W, "push_async_exit", kw) < 0) return wy_error();
  if (argc != 2)
    return wy_raise(W, "TypeError",
                    argc < 2 ? "AsyncExitStack.push_async_exit() missing 1 required positional argument: 'exit'"
                             : "AsyncExitStack.push_async_exit() takes 2 positional arguments but %d were given",
                    argc);
  wy_Value exit = argv[1];
  wy_Value method = wy_lookup_special_opt(W, exit, "__aexit__");
  int rc;
  if (wy_is_error(method)) {
    if (wy_error_pending(W)) return wy_error();
    /* not an async context manager: a coroutine function */
    rc = es_push_entry(W, argv[0], ENTRY_EXIT_FN | ENTRY_ASYNC, exit, wy_none(), wy_none());
  } else {
    rc = es_push_entry(W, argv[0], ENTRY_CM_EXIT | ENTRY_ASYNC, method, exit, wy_none());
  }
  return rc < 0 ? wy_error() : exit;
}

static wy_Value aes_push_async_callback(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "push_async_callback") < 0) return wy_error();
  return es_push_callback(W, argc, argv, kw, ENTRY_CALLBACK | ENTRY_ASYNC, "AsyncExitStack.push_async_callback");
}

/* ---- the class ---- */

static wy_Value state_class(wy_State *W, const char *name, int nslots, wy_Pin **pin) {
  wy_Value cls = cl_state_class(W, name, nslots);
  if (wy_is_error(cls)) return cls;
  *pin = wy_pin(W, cls);
  return *pin ? cls : wy_error();
}

int es_async_add(wy_State *W, wy_Value m, ContextlibState *st) {
  static const wy_Method methods[] = {
      {"__aenter__", aes_aenter},
      {"__aexit__", aes_aexit},
      {"enter_async_context", aes_enter_async_context},
      {"push_async_exit", aes_push_async_exit},
      {"push_async_callback", aes_push_async_callback},
      {"aclose", aes_aclose},
      {NULL, NULL},
  };
  wy_Value base_class = wy_getattr(W, m, "_BaseExitStack");
  if (wy_is_error(base_class)) return -1;
  if (wy_is_error(state_class(W, "_unwind_state", UNWIND_N, &st->unwind_state)) ||
      wy_is_error(state_class(W, "_enter_state", EA_NSLOTS, &st->enter_state)))
    return -1;
  wy_Value cls = wy_class(W, "AsyncExitStack", base_class, methods, st);
  if (wy_is_error(cls) || wy_class_slots(W, cls, EXITSTACK_NSLOTS) < 0) return -1;
  return cl_module_class(W, m, "AsyncExitStack", cls);
}
