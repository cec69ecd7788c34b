/* exitstack.c — contextlib's _BaseExitStack and ExitStack, and the
** unwinding algorithm AsyncExitStack (exitstack_async.c) shares, written
** against withy.h only.
**
** The stack of exits is a list kept in the instance's value slot 0 (so the
** collector sees it and no attribute dict is needed). Each entry takes
** ENTRY_WIDTH consecutive items — kind, a, b, c — so pushing makes no
** wrapper object:
**   - ENTRY_CM_EXIT (a = type(cm).__exit__, b = cm): enter_context(cm) and
**     push(cm); called as a(cm, *exc_details), what MethodType(cm_exit, cm)
**     does in CPython;
**   - ENTRY_EXIT_FN (a = fn): push(fn) of any callable; a(*exc_details);
**   - ENTRY_CALLBACK (a = fn, b = args tuple, c = kwargs dict or None):
**     callback(fn, *args, **kwds); the exception details are not passed and
**     the result never suppresses;
**   - ENTRY_CALLBACK1 (a = fn, b = the one argument): callback(fn, arg),
**     the common shape, stored without an args tuple.
** With the ENTRY_ASYNC bit (AsyncExitStack's push_async_exit,
** enter_async_context, push_async_callback) the call gives an awaitable
** whose result counts instead. The unwinding runs them last-in first-out
** exactly as CPython 3.11's _BaseExitStack.__exit__ does, including the
** repair of __context__ chains when callbacks raise; its state lives in an
** array so that the async __aexit__ can keep it between its steps. */
#include <stdlib.h>
#include "contextlib_internal.h"

/* ---- the stack of exits ---- */

static wy_Value exits_of(wy_State *W, wy_Value self) {
  /* read in place: the list stays in its slot while the caller uses it,
  ** except across calls into script code, after which it is read again */
  int n;
  wy_Value *slots = wy_slots(W, self, &n);
  if (!slots) return wy_error();
  if (n <= SLOT_EXITS) return wy_raise(W, "TypeError", "ExitStack instance without its slots");
  if (!wy_is_error(slots[SLOT_EXITS])) return slots[SLOT_EXITS];
  /* a subclass whose __init__ did not call ours: start empty */
  wy_Value list = wy_list(W);
  if (!wy_is_error(list) && wy_set_slot(W, self, SLOT_EXITS, list) < 0) return wy_error();
  return list;
}

static void trace_push(wy_State *W, wy_Value list);

int es_push_entry(wy_State *W, wy_Value self, int kind, wy_Value a, wy_Value b, wy_Value c) {
  wy_Value list = exits_of(W, self);
  if (wy_is_error(list)) return -1;
  wy_Value items[ENTRY_WIDTH] = {wy_int(kind), a, b, c};
  if (wy_list_extend(W, list, ENTRY_WIDTH, items) < 0) return -1;
  if (wy_tracing(W)) trace_push(W, list);
  return 0;
}

static int64_t es_entry_kind(wy_State *W, const wy_Value *entry) {
  int64_t kind = 0;
  if (wy_to_int(W, entry[0], &kind) < 0) wy_clear_error(W);
  return kind;
}

/* ---- tracing (a no-op when tracing is off) ---- */

static const char *described(wy_State *W, wy_Value v) {
  const char *d = cl_described(W, v);
  return d ? d : "?";
}

/* "#3 <Res object>.__exit__" for the entry at position n (1-based) */
static void entry_words(wy_State *W, const wy_Value *entry, int64_t n, char *buf, size_t size) {
  int64_t kind = es_entry_kind(W, entry);
  const char *async = kind & ENTRY_ASYNC ? "async " : "";
  switch (kind & ~ENTRY_ASYNC) {
    case ENTRY_CM_EXIT:
      snprintf(buf, size, "#%lld %s.__%sexit__", (long long)n, described(W, entry[2]), *async ? "a" : "");
      break;
    case ENTRY_EXIT_FN:
      snprintf(buf, size, "#%lld %sexit function %s", (long long)n, async, described(W, entry[1]));
      break;
    default: {
      /* the arguments as the tuple CPython's wrapper holds */
      wy_Value args = (kind & ~ENTRY_ASYNC) == ENTRY_CALLBACK1 ? wy_tuple(W, 1, &entry[2]) : entry[2];
      snprintf(buf, size, "#%lld %scallback %s%s", (long long)n, async, described(W, entry[1]),
               wy_is_error(args) ? "?" : described(W, args));
    }
  }
}

static void trace_push(wy_State *W, wy_Value list) {
  if (!wy_tracing(W)) return;
  int64_t len = wy_len(W, list);
  if (len < ENTRY_WIDTH) return;
  wy_Value entry[ENTRY_WIDTH];
  for (int i = 0; i < ENTRY_WIDTH; i++) entry[i] = wy_getitem(W, list, wy_int(len - ENTRY_WIDTH + i));
  char words[400];
  entry_words(W, entry, len / ENTRY_WIDTH, words, sizeof words);
  wy_TraceEvent ev = {.event = "stack_push", .message = words};
  wy_trace_emit(W, &ev);
}

static void trace_unwind(wy_State *W, const wy_Value *entry, int64_t n, wy_Value result, wy_Value exc,
                         const char *verdict) {
  if (!wy_tracing(W)) return;
  char words[400];
  entry_words(W, entry, n, words, sizeof words);
  wy_TraceEvent ev = {.event = "stack_unwind", .message = words, .verdict = verdict,
                      .result = wy_is_error(result) ? NULL : described(W, result),
                      .exc = wy_is_error(exc) ? NULL : described(W, exc)};
  wy_trace_emit(W, &ev);
}

wy_Value es_start_entry(wy_State *W, const EsUnwind *uw) {
  const wy_Value *entry = uw->v + U_ENTRY, *details = uw->v + U_DETAILS;
  switch (uw->kind & ~ENTRY_ASYNC) {
    case ENTRY_CM_EXIT: {
      wy_Value args[4] = {entry[2], details[0], details[1], details[2]};
      return wy_call(W, entry[1], uw->ndetails + 1, args);
    }
    case ENTRY_EXIT_FN:
      return wy_call(W, entry[1], uw->ndetails, details);
    case ENTRY_CALLBACK1:
      return wy_call(W, entry[1], 1, &entry[2]);
    default:
      return wy_call_args(W, entry[1], entry[2], entry[3]);
  }
}

wy_Value es_run_entry(wy_State *W, const EsUnwind *uw) {
  wy_Value r = es_start_entry(W, uw);
  return ES_IS_CALLBACK(uw->kind) && !wy_is_error(r) ? wy_none() : r;
}

int es_need_self(wy_State *W, int argc, const char *method) {
  if (argc >= 1) return 0;
  wy_raise(W, "TypeError", "ExitStack.%s() missing 1 required positional argument: 'self'", method);
  return -1;
}

/* a method taking only self; CPython names the class defining it */
static int no_args(wy_State *W, int argc, const char *method) {
  if (argc == 1) return 0;
  const char *owner = method[0] == 'c' ? "ExitStack" : "_BaseExitStack";
  wy_raise(W, "TypeError", "%s.%s() takes 1 positional argument but %d were given", owner, method, argc);
  return -1;
}

/* ---- the unwinding, shared by ExitStack and AsyncExitStack ---- */

enum { ES_FIRST_ENTRIES = 8 };
enum { F_RECEIVED = 1, F_SUPPRESSED = 2, F_PENDING_RAISE = 4 };

static int64_t int_of(wy_State *W, wy_Value v) {
  int64_t i = 0;
  if (wy_to_int(W, v, &i) < 0) wy_clear_error(W);
  return i;
}

void es_unwind_init(EsUnwind *uw, wy_Value *v, wy_Value self, int ndetails, const wy_Value *details) {
  uw->v = v;
  v[U_SELF] = self;
  if (ndetails > 3) ndetails = 3;
  for (int i = 0; i < 3; i++) v[U_DETAILS + i] = i < ndetails ? details[i] : wy_none();
  v[U_FRAME_EXC] = wy_none();
  for (int i = U_ENTRY; i < UNWIND_N; i++) v[i] = wy_none();
  uw->ndetails = ndetails;
  uw->flags = ndetails > 0 && !wy_is_none(details[0]) ? F_RECEIVED : 0;
  uw->kind = 0;
  uw->position = 0;
}

void es_unwind_save(wy_State *W, const EsUnwind *uw) {
  uw->v[U_NDETAILS] = wy_int(uw->ndetails);
  uw->v[U_FLAGS] = wy_int(uw->flags);
  uw->v[U_POSITION] = wy_int(uw->position);
  uw->v[U_KIND] = wy_int(uw->kind);
}

void es_unwind_load(wy_State *W, EsUnwind *uw, wy_Value *v) {
  uw->v = v;
  uw->ndetails = (int)int_of(W, v[U_NDETAILS]);
  uw->flags = (int)int_of(W, v[U_FLAGS]);
  uw->position = int_of(W, v[U_POSITION]);
  uw->kind = (int)int_of(W, v[U_KIND]);
}

void es_unwind_start(wy_State *W, EsUnwind *uw) {
  /* the exception being handled where the unwinding starts: the chains
  ** this unwinding makes end there */
  uw->v[U_FRAME_EXC] = wy_handled_exception(W);
}

int es_unwind_pop(wy_State *W, EsUnwind *uw) {
  /* the list is read again each time, as CPython reads self._exit_callbacks
  ** (an exit may pop_all() the stack) */
  wy_Value list = exits_of(W, uw->v[U_SELF]);
  if (wy_is_error(list)) return -1;
  int64_t n = wy_len(W, list);
  if (n < 0) return -1;
  if (n < ENTRY_WIDTH) return 0;
  if (wy_list_pop_n(W, list, ENTRY_WIDTH, uw->v + U_ENTRY) < 0) return -1;
  uw->kind = (int)es_entry_kind(W, uw->v + U_ENTRY);
  uw->position = n / ENTRY_WIDTH;
  return 1;
}

/* CPython's _fix_exception_context: make old_exc the context at the end
** of new_exc's chain that this unwinding created (stopping at frame_exc) */
static int fix_exception_context(wy_State *W, wy_Value new_exc, wy_Value old_exc, wy_Value frame_exc) {
  for (;;) {
    wy_Value ctx = wy_getattr(W, new_exc, "__context__");
    if (wy_is_error(ctx)) return -1;
    if (wy_is_none(ctx) || wy_is(ctx, old_exc)) return 0;
    if (wy_is(ctx, frame_exc)) break;
    new_exc = ctx;
  }
  return wy_setattr(W, new_exc, "__context__", old_exc);
}

int es_unwind_after(wy_State *W, EsUnwind *uw, wy_Value r) {
  wy_Value *u = uw->v;
  if (!wy_is_error(r)) {
    /* `if cb(*exc_details):` — a failing truth test counts as the exit raising */
    int t = wy_truthy(W, r);
    if (t >= 0) {
      bool had_exc = !wy_is_none(u[U_DETAILS_1]);
      if (wy_tracing(W))
        trace_unwind(W, u + U_ENTRY, uw->position, r, wy_error(), !had_exc ? NULL : t ? "suppressed" : "propagated");
      if (t) {
        uw->flags = (uw->flags | F_SUPPRESSED) & ~F_PENDING_RAISE;
        u[U_DETAILS] = u[U_DETAILS_1] = u[U_DETAILS_2] = wy_none();
        uw->ndetails = 3;
      }
      return 0;
    }
  }
  wy_Value new_exc = wy_fetch_error(W);
  if (wy_is_none(new_exc)) return -1;   /* no exception: cannot happen */
  if (wy_tracing(W))
    trace_unwind(W, u + U_ENTRY, uw->position, wy_error(), new_exc, wy_is_none(u[U_DETAILS_1]) ? NULL : "replaced");
  /* simulate the stack of exceptions by setting the context */
  if (fix_exception_context(W, new_exc, u[U_DETAILS_1], u[U_FRAME_EXC]) < 0) return -1;
  wy_Value type = wy_type_of(W, new_exc);
  if (wy_is_error(type)) return -1;
  wy_Value tb = wy_getattr(W, new_exc, "__traceback__");
  if (wy_is_error(tb)) {
    wy_clear_error(W);
    tb = wy_none();
  }
  uw->flags |= F_PENDING_RAISE;
  u[U_DETAILS] = type;
  u[U_DETAILS_1] = new_exc;
  u[U_DETAILS_2] = tb;
  uw->ndetails = 3;
  return 0;
}

wy_Value es_unwind_end(wy_State *W, EsUnwind *uw) {
  if (uw->flags & F_PENDING_RAISE) {
    /* raise it again, keeping the context it has (the chain reads like
    ** nested with statements), as CPython's fixed_ctx dance does */
    wy_Value exc = uw->v[U_DETAILS_1];
    wy_Value fixed_ctx = wy_getattr(W, exc, "__context__");
    if (wy_is_error(fixed_ctx)) return fixed_ctx;
    wy_raise_value(W, exc);
    if (wy_setattr(W, exc, "__context__", fixed_ctx) < 0) return wy_error();
    return wy_error();
  }
  return wy_bool((uw->flags & F_RECEIVED) && (uw->flags & F_SUPPRESSED));
}

/* ---- the methods both stacks have (_BaseExitStack) ---- */

static wy_Value es_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "__init__") < 0) return wy_error();
  if (std_no_kwargs(W, "ExitStack", kw) < 0 || no_args(W, argc, "__init__") < 0) return wy_error();
  wy_Value list = wy_list(W);
  /* room for a few entries: stacks are mostly short-lived and small */
  if (wy_is_error(list) || wy_list_reserve(W, list, ES_FIRST_ENTRIES * ENTRY_WIDTH) < 0 ||
      wy_set_slot(W, argv[0], SLOT_EXITS, list) < 0)
    return wy_error();
  return wy_none();
}

wy_Value cl_class_label(wy_State *W, wy_Value cls) {
  wy_Value mod = wy_getattr(W, cls, "__module__");
  if (wy_is_error(mod)) return mod;
  wy_Value qual = wy_getattr(W, cls, "__qualname__");
  if (wy_is_error(qual)) return qual;
  mod = wy_str_of(W, mod);
  if (wy_is_error(mod)) return mod;
  qual = wy_str_of(W, qual);
  if (wy_is_error(qual)) return qual;
  size_t ml, ql;
  const char *m = wy_to_str(W, mod, &ml), *q = wy_to_str(W, qual, &ql);
  if (!m || !q) return wy_error();
  char *buf = malloc(ml + ql + 2);
  if (!buf) return wy_raise(W, "MemoryError", "out of memory");
  for (size_t i = 0; i < ml; i++) buf[i] = m[i];
  buf[ml] = '.';
  for (size_t i = 0; i < ql; i++) buf[ml + 1 + i] = q[i];
  wy_Value r = wy_strn(W, buf, ml + 1 + ql);
  free(buf);
  return r;
}

wy_Value es_protocol_error(wy_State *W, wy_Value cm, const char *what) {
  if (!wy_error_matches(W, "AttributeError")) return wy_error();
  wy_clear_error(W);
  wy_Value label = cl_class_label(W, wy_type_of(W, cm));
  if (wy_is_error(label)) return label;
  const char *text = wy_to_str(W, label, NULL);
  if (!text) return wy_error();
  wy_raise(W, "TypeError", "'%s' object does not support the %s protocol", text, what);
  wy_Value e = wy_fetch_error(W);
  wy_setattr(W, e, "__suppress_context__", wy_bool(true)); /* `from None` */
  wy_clear_error(W);
  return wy_raise_value(W, e);
}

static wy_Value es_enter_context(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "enter_context") < 0) return wy_error();
  if (std_no_kwargs(W, "enter_context", kw) < 0) return wy_error();
  if (argc != 2)
    return wy_raise(W, "TypeError", argc < 2 ? "_BaseExitStack.enter_context() missing 1 required positional argument: 'cm'"
                                             : "_BaseExitStack.enter_context() takes 2 positional arguments but %d were given",
                    argc);
  wy_Value cm = argv[1];
  wy_Value enter, exit;
  if (wy_context_methods(W, cm, &enter, &exit) < 0) return es_protocol_error(W, cm, "context manager");
  wy_Value result = wy_call(W, enter, 1, &cm);
  if (wy_is_error(result)) return result;
  if (es_push_entry(W, argv[0], ENTRY_CM_EXIT, exit, cm, wy_none()) < 0) return wy_error();
  return result;
}

static wy_Value es_push(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "push") < 0) return wy_error();
  if (std_no_kwargs(W, "push", kw) < 0) return wy_error();
  if (argc != 2)
    return wy_raise(W, "TypeError", argc < 2 ? "_BaseExitStack.push() missing 1 required positional argument: 'exit'"
                                             : "_BaseExitStack.push() takes 2 positional arguments but %d were given",
                    argc);
  wy_Value exit = argv[1];
  wy_Value method = wy_lookup_special_opt(W, exit, "__exit__");
  if (wy_is_error(method)) {
    if (wy_error_pending(W)) return wy_error();
    /* any callable */
    if (es_push_entry(W, argv[0], ENTRY_EXIT_FN, exit, wy_none(), wy_none()) < 0) return wy_error();
  } else if (es_push_entry(W, argv[0], ENTRY_CM_EXIT, method, exit, wy_none()) < 0) {
    return wy_error();
  }
  return exit;
}

wy_Value es_push_callback(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, int kind,
                          const char *qualname) {
  if (argc < 2)
    return wy_raise(W, "TypeError", "%s() missing 1 required positional argument: 'callback'", qualname);
  bool no_kwargs = wy_is_none(kw) || wy_len(W, kw) == 0;
  if (argc == 3 && no_kwargs) {
    int kind1 = (kind & ENTRY_ASYNC) | ENTRY_CALLBACK1;
    if (es_push_entry(W, argv[0], kind1, argv[1], argv[2], wy_none()) < 0) return wy_error();
    return argv[1];
  }
  wy_Value args = wy_tuple(W, argc - 2, argv + 2);
  if (wy_is_error(args)) return args;
  wy_Value kwds = wy_none();
  if (!wy_is_none(kw)) {
    int64_t n = wy_len(W, kw);
    if (n < 0) return wy_error();
    if (n > 0) kwds = kw;
  }
  if (es_push_entry(W, argv[0], kind, argv[1], args, kwds) < 0) return wy_error();
  return argv[1];
}

static wy_Value es_callback(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "callback") < 0) return wy_error();
  return es_push_callback(W, argc, argv, kw, ENTRY_CALLBACK, "_BaseExitStack.callback");
}

static wy_Value es_pop_all(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "pop_all") < 0) return wy_error();
  if (std_no_kwargs(W, "pop_all", kw) < 0 || no_args(W, argc, "pop_all") < 0) return wy_error();
  wy_Value cls = wy_type_of(W, argv[0]);
  if (wy_is_error(cls)) return cls;
  wy_Value stack = wy_call(W, cls, 0, NULL);
  if (wy_is_error(stack)) return stack;
  wy_Value list = exits_of(W, argv[0]);
  if (wy_is_error(list) || wy_set_slot(W, stack, SLOT_EXITS, list) < 0) return wy_error();
  wy_Value fresh = wy_list(W);
  if (wy_is_error(fresh) || wy_set_slot(W, argv[0], SLOT_EXITS, fresh) < 0) return wy_error();
  return stack;
}

const wy_Method es_base_methods[] = {
  {"__init__", es_init},
  {"enter_context", es_enter_context},
  {"push", es_push},
  {"callback", es_callback},
  {"pop_all", es_pop_all},
  {NULL, NULL},
};

/* ---- ExitStack ---- */

static wy_Value es_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "__enter__") < 0) return wy_error();
  return argv[0];
}

static wy_Value es_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "__exit__") < 0) return wy_error();
  if (std_no_kwargs(W, "__exit__", kw) < 0) return wy_error();
  wy_Value v[UNWIND_N];
  EsUnwind uw;
  es_unwind_init(&uw, v, argv[0], argc - 1, argv + 1);
  es_unwind_start(W, &uw);
  int k;
  while ((k = es_unwind_pop(W, &uw)) > 0) {
    /* cb(*exc_details): as many as __exit__ was given (CPython passes the
    ** tuple through), three once an exit has replaced them */
    wy_Value r = es_run_entry(W, &uw);
    if (es_unwind_after(W, &uw, r) < 0) return wy_error();
  }
  return k < 0 ? wy_error() : es_unwind_end(W, &uw);
}

static wy_Value es_close(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (es_need_self(W, argc, "close") < 0) return wy_error();
  if (std_no_kwargs(W, "close", kw) < 0 || no_args(W, argc, "close") < 0) return wy_error();
  wy_Value args[4] = {argv[0], wy_none(), wy_none(), wy_none()};
  wy_Value r = es_exit(W, 4, args, wy_none(), ud);
  return wy_is_error(r) ? r : wy_none();
}

/* a class of the contextlib module (its __module__ says so) */
static wy_Value module_class(wy_State *W, wy_Value m, const char *name, wy_Value base, const wy_Method *methods) {
  wy_Value cls = wy_class(W, name, base, methods, NULL);
  if (wy_is_error(cls)) return cls;
  return cl_module_class(W, m, name, cls) < 0 ? wy_error() : cls;
}

int std_exitstack_add(wy_State *W, wy_Value m) {
  static const wy_Method methods[] = {
      {"__enter__", es_enter},
      {"__exit__", es_exit},
      {"close", es_close},
      {NULL, NULL},
  };
  wy_Value base = module_class(W, m, "_BaseExitStack", wy_none(), es_base_methods);
  if (wy_is_error(base) || wy_class_slots(W, base, EXITSTACK_NSLOTS) < 0) return -1;
  wy_Value cls = module_class(W, m, "ExitStack", base, methods);
  return wy_is_error(cls) ? -1 : wy_class_slots(W, cls, EXITSTACK_NSLOTS);
}
