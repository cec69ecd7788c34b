/* exitstack.c — contextlib.ExitStack, written against withy.h only.
**
** An ExitStack keeps its exit callbacks in a Python list stored in the
** instance's attribute dict ("_exit_callbacks"), so the collector sees
** them. Each entry is a callable taking (type, value, traceback):
**   - enter_context(cm) / push(cm): a wrapper binding type(cm).__exit__ to
**     cm (what MethodType(cm_exit, cm) is in CPython);
**   - push(fn): fn itself;
**   - callback(fn, *args, **kwds): a wrapper calling fn(*args, **kwds) and
**     ignoring the exception details (its result never suppresses).
** __exit__ unwinds them last-in first-out exactly as CPython 3.11's
** _BaseExitStack.__exit__ does, including the repair of __context__
** chains when callbacks raise. */
#include <stdlib.h>
#include "stdlib.h"

#define CALLBACKS "_exit_callbacks"

static wy_Value type_of(wy_State *W, wy_Value v) {
  wy_Value type = wy_builtin(W, "type");
  if (wy_is_error(type)) return type;
  return wy_call(W, type, 1, &v);
}

/* the items of a tuple or list as a malloc'd array (*n items); NULL on
** error (an exception is raised) — an empty sequence gives a non-NULL
** array too */
static wy_Value *items_of(wy_State *W, wy_Value seq, int skip, int *n) {
  int64_t len = wy_len(W, seq);
  if (len < 0) return NULL;
  int count = len > skip ? (int)(len - skip) : 0;
  wy_Value *items = malloc(sizeof *items * (size_t)(count + 1));
  if (!items) {
    wy_raise(W, "MemoryError", "out of memory");
    return NULL;
  }
  for (int i = 0; i < count; i++) {
    items[i] = wy_getitem(W, seq, wy_int(i + skip));
    if (wy_is_error(items[i])) {
      free(items);
      return NULL;
    }
  }
  *n = count;
  return items;
}

/* ---- the wrappers stored on the stack ---- */

/* data: (cm_exit, cm) — calls cm_exit(cm, *args), like a bound method */
static wy_Value cm_exit_wrapper(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  wy_Value data = wy_closure_data(W);
  wy_Value fn = wy_getitem(W, data, wy_int(0));
  if (wy_is_error(fn)) return fn;
  wy_Value cm = wy_getitem(W, data, wy_int(1));
  if (wy_is_error(cm)) return cm;
  wy_Value *args = malloc(sizeof *args * (size_t)(argc + 1));
  if (!args) return wy_raise(W, "MemoryError", "out of memory");
  args[0] = cm;
  for (int i = 0; i < argc; i++) args[i + 1] = argv[i];
  wy_Value r = wy_call(W, fn, argc + 1, args);
  free(args);
  return r;
}

/* Call fn(*args, **kwds). withy.h has no way to pass keyword arguments to
** a call, so callback() refuses them when registered (see callback). */
static wy_Value call_args(wy_State *W, wy_Value fn, int argc, const wy_Value *argv, wy_Value kwds) {
  return wy_call_kw(W, fn, argc, argv, kwds);
}

/* data: (callback, kwds, *args) — calls callback(*args, **kwds); the
** exception details it is given are ignored, and so is its result */
static wy_Value callback_wrapper(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)argc;
  (void)argv;
  (void)kw;
  (void)ud;
  wy_Value data = wy_closure_data(W);
  wy_Value fn = wy_getitem(W, data, wy_int(0));
  if (wy_is_error(fn)) return fn;
  wy_Value kwds = wy_getitem(W, data, wy_int(1));
  if (wy_is_error(kwds)) return kwds;
  int n = 0;
  wy_Value *args = items_of(W, data, 2, &n);
  if (!args) return wy_error();
  wy_Value r = call_args(W, fn, n, args, kwds);
  free(args);
  if (wy_is_error(r)) return r;
  return wy_none();
}

/* ---- helpers on the stack itself ---- */

static wy_Value callbacks_of(wy_State *W, wy_Value self) { return wy_getattr(W, self, CALLBACKS); }

static int push_callback(wy_State *W, wy_Value self, wy_Value cb) {
  wy_Value list = callbacks_of(W, self);
  if (wy_is_error(list)) return -1;
  return wy_list_append(W, list, cb);
}

static int push_cm_exit(wy_State *W, wy_Value self, wy_Value cm, wy_Value cm_exit) {
  wy_Value pair[2] = {cm_exit, cm};
  wy_Value data = wy_tuple(W, 2, pair);
  if (wy_is_error(data)) return -1;
  wy_Value wrapper = wy_closure(W, "_exit_wrapper", cm_exit_wrapper, data);
  if (wy_is_error(wrapper)) return -1;
  if (wy_setattr(W, wrapper, "__self__", cm) < 0) wy_clear_error(W);
  return push_callback(W, self, wrapper);
}

static int need_self(wy_State *W, int argc, const char *method) {
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

/* ---- the methods ---- */

static wy_Value es_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (need_self(W, argc, "__init__") < 0) return wy_error();
  if (std_no_kwargs(W, "ExitStack", kw) < 0 || no_args(W, argc, "__init__") < 0) return wy_error();
  wy_Value list = wy_list(W);
  if (wy_is_error(list) || wy_setattr(W, argv[0], CALLBACKS, list) < 0) return wy_error();
  return wy_none();
}

static wy_Value es_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  (void)kw;
  if (need_self(W, argc, "__enter__") < 0) return wy_error();
  return argv[0];
}

/* 'module.qualname' of a class, for the enter_context error */
static wy_Value class_label(wy_State *W, wy_Value cls) {
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

static wy_Value es_enter_context(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (need_self(W, argc, "enter_context") < 0) return wy_error();
  if (std_no_kwargs(W, "enter_context", kw) < 0) return wy_error();
  if (argc != 2)
    return wy_raise(W, "TypeError", argc < 2 ? "_BaseExitStack.enter_context() missing 1 required positional argument: 'cm'"
                                             : "_BaseExitStack.enter_context() takes 2 positional arguments but %d were given",
                    argc);
  wy_Value cm = argv[1];
  wy_Value cls = type_of(W, cm);
  if (wy_is_error(cls)) return cls;
  wy_Value enter = wy_getattr(W, cls, "__enter__");
  wy_Value exit = wy_is_error(enter) ? enter : wy_getattr(W, cls, "__exit__");
  if (wy_is_error(exit)) {
    if (!wy_error_matches(W, "AttributeError")) return wy_error();
    wy_clear_error(W);
    wy_Value label = class_label(W, cls);
    if (wy_is_error(label)) return label;
    size_t len;
    const char *text = wy_to_str(W, label, &len);
    if (!text) return wy_error();
    wy_raise(W, "TypeError", "'%s' object does not support the context manager protocol", text);
    wy_Value e = wy_fetch_error(W);
    wy_setattr(W, e, "__suppress_context__", wy_bool(true)); /* `from None` */
    wy_clear_error(W);
    return wy_raise_value(W, e);
  }
  wy_Value result = wy_call(W, enter, 1, &cm);
  if (wy_is_error(result)) return result;
  if (push_cm_exit(W, argv[0], cm, exit) < 0) return wy_error();
  return result;
}

static wy_Value es_push(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (need_self(W, argc, "push") < 0) return wy_error();
  if (std_no_kwargs(W, "push", kw) < 0) return wy_error();
  if (argc != 2)
    return wy_raise(W, "TypeError", argc < 2 ? "_BaseExitStack.push() missing 1 required positional argument: 'exit'"
                                             : "_BaseExitStack.push() takes 2 positional arguments but %d were given",
                    argc);
  wy_Value exit = argv[1];
  wy_Value cls = type_of(W, exit);
  if (wy_is_error(cls)) return cls;
  wy_Value method = wy_getattr(W, cls, "__exit__");
  if (wy_is_error(method)) {
    if (!wy_error_matches(W, "AttributeError")) return wy_error();
    wy_clear_error(W);
    if (push_callback(W, argv[0], exit) < 0) return wy_error();   /* any callable */
  } else if (push_cm_exit(W, argv[0], exit, method) < 0) {
    return wy_error();
  }
  return exit;
}

static wy_Value es_callback(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (need_self(W, argc, "callback") < 0) return wy_error();
  if (argc < 2)
    return wy_raise(W, "TypeError", "_BaseExitStack.callback() missing 1 required positional argument: 'callback'");
  bool has_kw = false;
  if (!wy_is_none(kw)) {
    int64_t n = wy_len(W, kw);
    if (n < 0) return wy_error();
    has_kw = n > 0;
  }
  wy_Value *items = malloc(sizeof *items * (size_t)argc);
  if (!items) return wy_raise(W, "MemoryError", "out of memory");
  items[0] = argv[1];
  items[1] = has_kw ? kw : wy_none();
  for (int i = 2; i < argc; i++) items[i] = argv[i];
  wy_Value data = wy_tuple(W, argc, items);
  free(items);
  if (wy_is_error(data)) return data;
  wy_Value wrapper = wy_closure(W, "_exit_wrapper", callback_wrapper, data);
  if (wy_is_error(wrapper)) return wrapper;
  if (wy_setattr(W, wrapper, "__wrapped__", argv[1]) < 0) wy_clear_error(W);
  if (push_callback(W, argv[0], wrapper) < 0) return wy_error();
  return argv[1];
}

static wy_Value es_pop_all(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (need_self(W, argc, "pop_all") < 0) return wy_error();
  if (std_no_kwargs(W, "pop_all", kw) < 0 || no_args(W, argc, "pop_all") < 0) return wy_error();
  wy_Value cls = type_of(W, argv[0]);
  if (wy_is_error(cls)) return cls;
  wy_Value stack = wy_call(W, cls, 0, NULL);
  if (wy_is_error(stack)) return stack;
  wy_Value list = callbacks_of(W, argv[0]);
  if (wy_is_error(list) || wy_setattr(W, stack, CALLBACKS, list) < 0) return wy_error();
  wy_Value fresh = wy_list(W);
  if (wy_is_error(fresh) || wy_setattr(W, argv[0], CALLBACKS, fresh) < 0) return wy_error();
  return stack;
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

static wy_Value es_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)ud;
  if (need_self(W, argc, "__exit__") < 0) return wy_error();
  if (std_no_kwargs(W, "__exit__", kw) < 0) return wy_error();
  wy_Value details[3] = {wy_none(), wy_none(), wy_none()};
  int ndetails = argc - 1;
  for (int i = 0; i < ndetails && i < 3; i++) details[i] = argv[i + 1];
  bool received_exc = ndetails > 0 && !wy_is_none(argv[1]);
  wy_Value frame_exc = wy_handled_exception(W);
  bool suppressed_exc = false, pending_raise = false;
  wy_Value list = callbacks_of(W, argv[0]);
  if (wy_is_error(list)) return list;
  for (;;) {
    int64_t n = wy_len(W, list);
    if (n < 0) return wy_error();
    if (n == 0) break;
    wy_Value cb = wy_call_method(W, list, "pop", 0, NULL);
    if (wy_is_error(cb)) return cb;
    /* cb(*exc_details): as many as __exit__ was given (CPython passes the
    ** tuple through), three once a callback has replaced them */
    wy_Value r = wy_call(W, cb, ndetails, details);
    if (!wy_is_error(r)) {
      int t = wy_truthy(W, r);
      if (t < 0) {
        r = wy_error();
      } else {
        if (t) {
          suppressed_exc = true;
          pending_raise = false;
          details[0] = details[1] = details[2] = wy_none();
          ndetails = 3;
        }
        continue;
      }
    }
    wy_Value new_exc = wy_fetch_error(W);
    if (wy_is_none(new_exc)) return wy_error();   /* no exception: cannot happen */
    if (fix_exception_context(W, new_exc, details[1], frame_exc) < 0) return wy_error();
    wy_Value type = type_of(W, new_exc);
    if (wy_is_error(type)) return type;
    wy_Value tb = wy_getattr(W, new_exc, "__traceback__");
    if (wy_is_error(tb)) {
      wy_clear_error(W);
      tb = wy_none();
    }
    pending_raise = true;
    details[0] = type;
    details[1] = new_exc;
    details[2] = tb;
    ndetails = 3;
  }
  if (pending_raise) {
    /* raise it again, keeping the context it has (the chain reads like
    ** nested with statements), as CPython's fixed_ctx dance does */
    wy_Value fixed_ctx = wy_getattr(W, details[1], "__context__");
    if (wy_is_error(fixed_ctx)) return fixed_ctx;
    wy_raise_value(W, details[1]);
    if (wy_setattr(W, details[1], "__context__", fixed_ctx) < 0) return wy_error();
    return wy_error();
  }
  return wy_bool(received_exc && suppressed_exc);
}

static wy_Value es_close(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (need_self(W, argc, "close") < 0) return wy_error();
  if (std_no_kwargs(W, "close", kw) < 0 || no_args(W, argc, "close") < 0) return wy_error();
  wy_Value args[4] = {argv[0], wy_none(), wy_none(), wy_none()};
  wy_Value r = es_exit(W, 4, args, wy_none(), ud);
  return wy_is_error(r) ? r : wy_none();
}

int std_exitstack_add(wy_State *W, wy_Value m) {
  static const wy_Method methods[] = {
      {"__init__", es_init},
      {"__enter__", es_enter},
      {"__exit__", es_exit},
      {"enter_context", es_enter_context},
      {"push", es_push},
      {"callback", es_callback},
      {"pop_all", es_pop_all},
      {"close", es_close},
      {NULL, NULL},
  };
  wy_Value cls = wy_class(W, "ExitStack", wy_none(), methods, NULL);
  if (wy_is_error(cls)) return -1;
  wy_Value modname = wy_str(W, "contextlib");
  if (wy_is_error(modname) || wy_setattr(W, cls, "__module__", modname) < 0) wy_clear_error(W);
  return wy_module_set(W, m, "ExitStack", cls);
}
