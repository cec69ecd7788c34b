/* call.c — calling things from C: obj_call and its shorthands, binding a
** call's arguments to a Python function's parameters (with CPython 3.11's
** TypeErrors), and running a function or class body as a new entry of the
** dispatch loop. The loop itself (vm.c) calls Python functions without C
** recursion; it only uses vm_bind_args from here. */
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "frame_simple.h"
#include "gen.h"
#include "str.h"
#include "tuple.h"
#include "dict.h"
#include "type.h"

#define GEN_FLAGS (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)

/* ---- argument binding errors (CPython's wording) ---- */

/* "'a'", "'a' and 'b'", "'a', 'b', and 'c'" */
static void add_name_list(SBuf *b, StrObj **names, int n) {
  for (int i = 0; i < n; i++) {
    if (i > 0) sbuf_adds(b, n == 2 ? " and " : (i == n - 1 ? ", and " : ", "));
    sbuf_addc(b, '\'');
    sbuf_add(b, STR_CSTR(names[i]), (size_t)names[i]->len);
    sbuf_addc(b, '\'');
  }
}

/* "f() missing 2 required positional arguments: 'x' and 'y'" for the
** unset parameters in [start, end) (kw-only ones with a default excluded) */
static int missing_arguments(VM *vm, FuncObj *f, Value *locals, int start, int end, bool kwonly) {
  CodeObj *co = f->code;
  StrObj *small[16];
  StrObj **names = small;
  int cap = end - start;
  if (cap > 16) {
    names = gc_malloc(vm, (size_t)cap * sizeof *names);
    if (!names) return -1;
  }
  int n = 0;
  for (int i = start; i < end; i++) {
    if (!IS_UNDEF(locals[i])) continue;
    if (kwonly && f->kwdefaults && !IS_UNDEF(dict_get_str(vm, f->kwdefaults, co->varnames[i]))) continue;
    names[n++] = co->varnames[i];
  }
  SBuf b;
  sbuf_init(&b);
  add_name_list(&b, names, n);
  sbuf_addc(&b, '\0');
  exc_raise(vm, EXC(vm, TypeError), "%U() missing %d required %s argument%s: %s", f->qualname, n,
            kwonly ? "keyword-only" : "positional", n == 1 ? "" : "s", b.data);
  sbuf_free(&b);
  if (names != small) gc_free(vm, names, (size_t)cap * sizeof *names);
  return -1;
}

/* "f() takes 2 positional arguments but 3 were given" and its variants */
static int too_many_positional(VM *vm, FuncObj *f, Value *locals, int given) {
  CodeObj *co = f->code;
  int kwonly_given = 0;
  for (int i = co->argcount; i < co->argcount + co->kwonlycount; i++)
    if (!IS_UNDEF(locals[i])) kwonly_given++;
  int defcount = f->defaults ? (int)f->defaults->len : 0;
  char sig[64], kwsig[96] = "";
  bool plural;
  if (defcount) {
    snprintf(sig, sizeof sig, "from %d to %d", co->argcount - defcount, co->argcount);
    plural = true;
  } else {
    snprintf(sig, sizeof sig, "%d", co->argcount);
    plural = co->argcount != 1;
  }
  if (kwonly_given)
    snprintf(kwsig, sizeof kwsig, " positional argument%s (and %d keyword-only argument%s)",
             given != 1 ? "s" : "", kwonly_given, kwonly_given != 1 ? "s" : "");
  exc_raise(vm, EXC(vm, TypeError), "%U() takes %s positional argument%s but %d%s %s given", f->qualname, sig,
            plural ? "s" : "", given, kwsig, (given == 1 && !kwonly_given) ? "was" : "were");
  return -1;
}

/* keyword arguments naming positional-only parameters, without **kwargs */
static bool posonly_passed_as_keyword(VM *vm, FuncObj *f, TupleObj *kwnames) {
  CodeObj *co = f->code;
  SBuf b;
  sbuf_init(&b);
  int conflicts = 0;
  for (int k = 0; k < co->posonlycount; k++) {
    for (int64_t j = 0; j < kwnames->len; j++) {
      if (str_equal(co->varnames[k], AS_STR(kwnames->items[j]))) {
        if (conflicts++) sbuf_adds(&b, ", ");
        sbuf_add(&b, STR_CSTR(co->varnames[k]), (size_t)co->varnames[k]->len);
        break;
      }
    }
  }
  if (conflicts) {
    sbuf_addc(&b, '\0');
    exc_raise(vm, EXC(vm, TypeError),
              "%U() got some positional-only arguments passed as keyword arguments: '%s'", f->qualname, b.data);
  }
  sbuf_free(&b);
  return conflicts > 0;
}

/* the local index of keyword `name` among the parameters that may be
** passed by keyword, or -1 */
static int find_keyword(CodeObj *co, StrObj *name) {
  int total = co->argcount + co->kwonlycount;
  for (int i = co->posonlycount; i < total; i++)
    if (co->varnames[i] == name) return i;
  for (int i = co->posonlycount; i < total; i++)
    if (str_equal(co->varnames[i], name)) return i;
  return -1;
}

/* ---- binding ---- */

int vm_bind_args(VM *vm, Frame *fr, FuncObj *f, Value self, Value *args, int nargs, TupleObj *kwnames) {
  CodeObj *co = f->code;
  Value *locals = FRAME_LOCALS(fr);
  int shift = IS_UNDEF(self) ? 0 : 1;
  int npos = nargs + shift;
  int nkw = kwnames ? (int)kwnames->len : 0;

  /* the common case: exactly the positional parameters */
  if (nkw == 0 && npos == co->argcount && co->kwonlycount == 0 &&
      !(co->flags & (CO_VARARGS | CO_VARKEYWORDS))) {
    if (shift) locals[0] = self;
    for (int i = 0; i < nargs; i++) locals[shift + i] = args[i];
    goto cells;
  }

  int argcount = co->argcount, total = co->argcount + co->kwonlycount;
  DictObj *kwdict = NULL;
  if (co->flags & CO_VARKEYWORDS) {
    kwdict = dict_new(vm);
    if (!kwdict) return -1;
    locals[total + ((co->flags & CO_VARARGS) ? 1 : 0)] = v_obj(kwdict);
  }
  int n = npos < argcount ? npos : argcount;
  for (int i = 0; i < n; i++) locals[i] = i < shift ? self : args[i - shift];
  if (co->flags & CO_VARARGS) {
    int extra = npos - n;
    TupleObj *t = extra > 0 ? tuple_new(vm, extra) : vm->empty_tuple;
    if (!t) return -1;
    for (int i = 0; i < extra; i++) {
      int k = n + i;
      t->items[i] = k < shift ? self : args[k - shift];
    }
    locals[total] = v_obj(t);
  }
  for (int j = 0; j < nkw; j++) {
    StrObj *name = AS_STR(kwnames->items[j]);
    Value val = args[nargs + j];
    int idx = find_keyword(co, name);
    if (idx < 0) {
      if (!kwdict) {
        if (co->posonlycount && posonly_passed_as_keyword(vm, f, kwnames)) return -1;
        exc_raise(vm, EXC(vm, TypeError), "%U() got an unexpected keyword argument '%U'", f->qualname, name);
        return -1;
      }
      if (dict_set(vm, kwdict, v_obj(name), val) < 0) return -1;
      continue;
    }
    if (!IS_UNDEF(locals[idx])) {
      exc_raise(vm, EXC(vm, TypeError), "%U() got multiple values for argument '%U'", f->qualname, name);
      return -1;
    }
    locals[idx] = val;
  }
  if (npos > argcount && !(co->flags & CO_VARARGS)) return too_many_positional(vm, f, locals, npos);
  if (npos < argcount) {
    int defcount = f->defaults ? (int)f->defaults->len : 0;
    int m = argcount - defcount;
    for (int i = npos; i < m; i++)
      if (IS_UNDEF(locals[i])) return missing_arguments(vm, f, locals, npos, m, false);
    for (int i = n > m ? n - m : 0; i < defcount; i++)
      if (IS_UNDEF(locals[m + i])) locals[m + i] = f->defaults->items[i];
  }
  if (co->kwonlycount > 0) {
    bool missing = false;
    for (int i = argcount; i < total; i++) {
      if (!IS_UNDEF(locals[i])) continue;
      if (f->kwdefaults) {
        Value d = dict_get_str(vm, f->kwdefaults, co->varnames[i]);
        if (!IS_UNDEF(d)) {
          locals[i] = d;
          continue;
        }
      }
      missing = true;
    }
    if (missing) return missing_arguments(vm, f, locals, argcount, total, true);
  }
cells:
  if (co->ncells || co->nfrees) return frame_init_cells(vm, fr, f);
  return 0;
}

/* ---- calling Python functions from C ---- */

static Value call_function_self(VM *vm, FuncObj *f, Value self, Value *args, int nargs, TupleObj *kwnames) {
  Frame *fr = kwnames ? NULL : frame_take_simple(vm, NULL, f, self, args, nargs);
  if (fr) return vm_run_frame(vm, fr);
  fr = frame_new(vm, f->code, f, f->globals);
  if (!fr) return V_UNDEF;
  if (vm_bind_args(vm, fr, f, self, args, nargs, kwnames) < 0) {
    frame_release(vm, fr);
    return V_UNDEF;
  }
  if (f->code->flags & GEN_FLAGS) {
    GenObj *g = gen_new(vm, fr, f);
    if (!g) {
      frame_release(vm, fr);
      return V_UNDEF;
    }
    return v_obj(g);
  }
  return vm_run_frame(vm, fr);
}

Value vm_call_function(VM *vm, FuncObj *f, Value *args, int nargs, TupleObj *kwnames) {
  return call_function_self(vm, f, V_UNDEF, args, nargs, kwnames);
}

Value vm_run_class_body(VM *vm, FuncObj *body, DictObj *ns) {
  Frame *fr = frame_new(vm, body->code, body, body->globals);
  if (!fr) return V_UNDEF;
  fr->locals_dict = ns;
  if (vm_bind_args(vm, fr, body, V_UNDEF, NULL, 0, NULL) < 0) {
    frame_release(vm, fr);
    return V_UNDEF;
  }
  return vm_run_frame(vm, fr);
}

/* ---- obj_call ---- */

static Value call_native(VM *vm, NativeObj *n, Value *args, int nargs, TupleObj *kwnames) {
  NativeObj *saved = vm->current_native;
  vm->current_native = n;
  Value r = n->fn(vm, args, nargs, kwnames);
  vm->current_native = saved;
  if (IS_UNDEF(r) && !vm->curexc)
    return exc_raise(vm, EXC(vm, RuntimeError), "%s() returned an error without setting an exception", n->name);
  return r;
}

/* callable(self, args...) where the callee is not a Python function:
** builds the contiguous argument array the convention needs */
static Value call_prepend(VM *vm, Value callable, Value self, Value *args, int nargs, TupleObj *kwnames) {
  int total = nargs + (kwnames ? (int)kwnames->len : 0) + 1;
  Value small[8];
  Value *buf = small;
  if (total > 8) {
    buf = gc_malloc(vm, (size_t)total * sizeof(Value));
    if (!buf) return V_UNDEF;
  }
  buf[0] = self;
  if (total > 1) memcpy(buf + 1, args, (size_t)(total - 1) * sizeof(Value));
  Value r = obj_call(vm, callable, buf, nargs + 1, kwnames);
  if (buf != small) gc_free(vm, buf, (size_t)total * sizeof(Value));
  return r;
}

Value obj_call(VM *vm, Value callable, Value *args, int nargs, TupleObj *kwnames) {
  if (IS_OBJ(callable)) {
    switch ((ObjKind)OBJ_KIND(callable)) {
      case K_FUNC:
        return call_function_self(vm, AS_FUNC(callable), V_UNDEF, args, nargs, kwnames);
      case K_NATIVE: {
        NativeObj *n = AS_NATIVE(callable);
        if (IS_UNDEF(n->self)) return call_native(vm, n, args, nargs, kwnames);
        int total = nargs + (kwnames ? (int)kwnames->len : 0) + 1;
        Value small[8];
        Value *buf = small;
        if (total > 8) {
          buf = gc_malloc(vm, (size_t)total * sizeof(Value));
          if (!buf) return V_UNDEF;
        }
        buf[0] = n->self;
        if (total > 1) memcpy(buf + 1, args, (size_t)(total - 1) * sizeof(Value));
        Value r = call_native(vm, n, buf, nargs + 1, kwnames);
        if (buf != small) gc_free(vm, buf, (size_t)total * sizeof(Value));
        return r;
      }
      case K_BOUND: {
        BoundObj *b = AS_BOUND(callable);
        if (IS_FUNC(b->func)) return call_function_self(vm, AS_FUNC(b->func), b->self, args, nargs, kwnames);
        return call_prepend(vm, b->func, b->self, args, nargs, kwnames);
      }
      default:
        break;
    }
  }
  Type *t = obj_type(vm, callable);
  if (!t->call) return exc_raise(vm, EXC(vm, TypeError), "'%T' object is not callable", callable);
  return t->call(vm, callable, args, nargs, kwnames);
}

/* The shorthands root their arguments: a C caller may hold them only in
** locals, and the callee may reach a safe point. */
Value obj_call0(VM *vm, Value callable) {
  gc_push_root(vm, callable);
  Value r = obj_call(vm, callable, NULL, 0, NULL);
  gc_pop_roots(vm, 1);
  return r;
}

Value obj_call1(VM *vm, Value callable, Value a) {
  Value args[1] = {a};
  gc_push_root(vm, callable);
  gc_push_root(vm, a);
  Value r = obj_call(vm, callable, args, 1, NULL);
  gc_pop_roots(vm, 2);
  return r;
}

Value obj_call2(VM *vm, Value callable, Value a, Value b) {
  Value args[2] = {a, b};
  gc_push_root(vm, callable);
  gc_push_root(vm, a);
  gc_push_root(vm, b);
  Value r = obj_call(vm, callable, args, 2, NULL);
  gc_pop_roots(vm, 3);
  return r;
}

Value obj_call_method(VM *vm, Value self, const char *name, Value *args, int nargs) {
  StrObj *n = str_intern_cstr(vm, name);
  if (!n) return V_UNDEF;
  Type *t = obj_type(vm, self);
  Value attr = type_lookup(vm, t, n);
  if (IS_UNDEF(attr))
    return exc_raise(vm, EXC(vm, AttributeError), "'%T' object has no attribute '%U'", self, n);
  gc_push_root(vm, self);
  Value r;
  if (IS_FUNC(attr)) {
    r = call_function_self(vm, AS_FUNC(attr), self, args, nargs, NULL);
  } else if (IS_NATIVE(attr) && (AS_NATIVE(attr)->flags & NATIVE_METHOD) && IS_UNDEF(AS_NATIVE(attr)->self)) {
    r = call_prepend(vm, attr, self, args, nargs, NULL);
  } else {
    Value bound = descr_bind(vm, attr, self, t);
    if (IS_UNDEF(bound)) {
      gc_pop_roots(vm, 1);
      return V_UNDEF;
    }
    gc_push_root(vm, bound);
    r = obj_call(vm, bound, args, nargs, NULL);
    gc_pop_roots(vm, 1);
  }
  gc_pop_roots(vm, 1);
  return r;
}

/* ---- naming a callable in call errors ---- */

StrObj *vm_callable_desc(VM *vm, Value callable) {
  gc_push_root(vm, callable);
  StrObj *res = NULL;
  Value qual = obj_getattr_opt(vm, callable, NAME(vm, __qualname__));
  if (IS_UNDEF(qual) || !IS_STR(qual)) {
    if (exc_pending(vm)) exc_clear(vm);
    Value s = obj_str(vm, callable);
    res = IS_UNDEF(s) ? NULL : AS_STR(s);
    gc_pop_roots(vm, 1);
    return res;
  }
  gc_push_root(vm, qual);
  Value mod = obj_getattr_opt(vm, callable, NAME(vm, __module__));
  if (exc_pending(vm)) exc_clear(vm);
  if (!IS_UNDEF(mod) && IS_STR(mod) && strcmp(STR_CSTR(AS_STR(mod)), "builtins") != 0)
    res = str_format_c(vm, "%U.%U()", AS_STR(mod), AS_STR(qual));
  else
    res = str_format_c(vm, "%U()", AS_STR(qual));
  gc_pop_roots(vm, 2);
  return res;
}
