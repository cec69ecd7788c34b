/* func.c — callables and descriptors: Python functions (FuncObj), C
** functions and methods (NativeObj, with per-function data for C
** closures), bound methods, closure cells, property, staticmethod and
** classmethod, and the argument-checking helpers every C function uses. */
#include <stdio.h>
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "type.h"
#include "func.h"
#include "str.h"
#include "dict.h"
#include "tuple.h"
#include "exc.h"

static StrObj *interned(VM *vm, StrObj *name) {
  if (name->obj.flags & STR_INTERNED) return name;
  return str_intern(vm, STR_CSTR(name), (size_t)name->len);
}

static bool is_dunder_name(StrObj *name) {
  return STR_CSTR(name)[0] == '_' && STR_CSTR(name)[1] == '_';
}

static Value str_value(StrObj *s) { return s ? v_obj(s) : V_UNDEF; }

static Value address_repr(VM *vm, const char *fmt, const char *a, const void *p) {
  char addr[32];
  snprintf(addr, sizeof addr, "%p", p);
  return str_value(str_format_c(vm, fmt, a, addr));
}

/* ---- Python functions ---- */

FuncObj *func_new(VM *vm, CodeObj *code, DictObj *globals) {
  FuncObj *f = gc_alloc_obj(vm, sizeof(FuncObj), K_FUNC, vm->t_function);
  if (!f) return NULL;
  f->code = code;
  f->globals = globals;
  f->name = code->name;
  f->qualname = code->qualname ? code->qualname : code->name;
  Value mod = globals ? dict_get_str(vm, globals, NAME(vm, __name__)) : V_UNDEF;
  f->module = IS_UNDEF(mod) ? V_NONE : mod;
  f->doc = IS_UNDEF(code->doc) ? V_NONE : code->doc;
  func_set_fastcall(f);
  return f;
}

void func_set_fastcall(FuncObj *f) {
  CodeObj *co = f->code;
  uint32_t slow = CO_VARARGS | CO_VARKEYWORDS | CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR;
  bool simple = !(co->flags & slow) && co->kwonlycount == 0 && co->ncells == 0 && co->nfrees == 0;
  f->fast_size = (uint32_t)(co->nlocals + co->ncells + co->nfrees + co->stacksize);
  /* a frame too big for the VM's pool takes the general path */
  if (f->fast_size > FRAME_POOL_MAX_SLOTS) simple = false;
  f->fast_argc = simple ? co->argcount : -1;
}

static Value func_call(VM *vm, Value callee, Value *args, int nargs, TupleObj *kwnames) {
  return vm_call_function(vm, AS_FUNC(callee), args, nargs, kwnames);
}

static Value func_repr(VM *vm, Value self) {
  FuncObj *f = AS_FUNC(self);
  return address_repr(vm, "<function %s at %s>", STR_CSTR(f->qualname), f);
}

static Value func_special_attr(VM *vm, FuncObj *f, StrObj *name) {
  if (name == NAME(vm, __name__)) return v_obj(f->name);
  if (name == NAME(vm, __qualname__)) return v_obj(f->qualname);
  if (name == NAME(vm, __module__)) return f->module;
  if (name == NAME(vm, __doc__)) return f->doc;
  const char *n = STR_CSTR(name);
  if (strcmp(n, "__code__") == 0) return v_obj(f->code);
  if (strcmp(n, "__globals__") == 0) return f->globals ? v_obj(f->globals) : V_NONE;
  if (strcmp(n, "__defaults__") == 0) return f->defaults ? v_obj(f->defaults) : V_NONE;
  if (strcmp(n, "__kwdefaults__") == 0) return f->kwdefaults ? v_obj(f->kwdefaults) : V_NONE;
  if (strcmp(n, "__closure__") == 0) return f->closure ? v_obj(f->closure) : V_NONE;
  if (name == NAME(vm, __builtins__)) return v_obj(vm->builtins);
  if (name == NAME(vm, __annotations__)) {
    /* annotations are never evaluated (LANGUAGE.md) */
    DictObj *d = dict_new(vm);
    return d ? v_obj(d) : V_UNDEF;
  }
  return V_UNDEF;
}

static Value func_getattr(VM *vm, Value self, StrObj *name) {
  name = interned(vm, name);
  if (!name) return V_UNDEF;
  if (is_dunder_name(name)) {
    Value v = func_special_attr(vm, AS_FUNC(self), name);
    if (!IS_UNDEF(v) || exc_pending(vm)) return v;
  }
  return generic_getattr(vm, self, name);
}

static int type_error(VM *vm, const char *msg) {
  exc_raise(vm, EXC(vm, TypeError), "%s", msg);
  return -1;
}

static int func_setattr(VM *vm, Value self, StrObj *name, Value value) {
  FuncObj *f = AS_FUNC(self);
  name = interned(vm, name);
  if (!name) return -1;
  const char *n = STR_CSTR(name);
  if (name == NAME(vm, __name__) || name == NAME(vm, __qualname__)) {
    if (!IS_STR(value))
      return type_error(vm, name == NAME(vm, __name__) ? "__name__ must be set to a string object"
                                                       : "__qualname__ must be set to a string object");
    if (name == NAME(vm, __name__)) f->name = AS_STR(value);
    else f->qualname = AS_STR(value);
    return 0;
  }
  if (name == NAME(vm, __doc__)) {
    f->doc = IS_UNDEF(value) ? V_NONE : value;
    return 0;
  }
  if (name == NAME(vm, __module__)) {
    f->module = IS_UNDEF(value) ? V_NONE : value;
    return 0;
  }
  if (strcmp(n, "__defaults__") == 0) {
    if (IS_UNDEF(value) || IS_NONE(value)) f->defaults = NULL;
    else if (IS_TUPLE(value)) f->defaults = AS_TUPLE(value);
    else return type_error(vm, "__defaults__ must be set to a tuple object");
    return 0;
  }
  if (strcmp(n, "__kwdefaults__") == 0) {
    if (IS_UNDEF(value) || IS_NONE(value)) f->kwdefaults = NULL;
    else if (IS_DICT(value)) f->kwdefaults = AS_DICT(value);
    else return type_error(vm, "__kwdefaults__ must be set to a dict object");
    return 0;
  }
  if (strcmp(n, "__code__") == 0) {
    if (!IS_CODE(value)) return type_error(vm, "__code__ must be set to a code object");
    int32_t nfree = f->closure ? (int32_t)f->closure->len : 0;
    if (AS_CODE(value)->nfrees != nfree) {
      exc_raise(vm, EXC(vm, ValueError), "%U() requires a code object with %d free vars, not %d",
                f->name, (int)nfree, (int)AS_CODE(value)->nfrees);
      return -1;
    }
    f->code = AS_CODE(value);
    func_set_fastcall(f);
    return 0;
  }
  if (strcmp(n, "__globals__") == 0 || strcmp(n, "__closure__") == 0 ||
      name == NAME(vm, __builtins__)) {
    exc_raise(vm, EXC(vm, AttributeError), "readonly attribute");
    return -1;
  }
  return generic_setattr(vm, self, name, value);
}

/* ---- C functions ---- */

NativeObj *native_new(VM *vm, const char *name, NativeFn fn, int flags) {
  NativeObj *n = gc_alloc_obj(vm, sizeof(NativeObj), K_NATIVE, vm->t_builtin_function);
  if (!n) return NULL;
  n->name = name;
  n->fn = fn;
  n->self = V_UNDEF;
  n->data = V_UNDEF;
  n->flags = flags;
  return n;
}

NativeObj *native_bind(VM *vm, NativeObj *n, Value self) {
  NativeObj *b = gc_alloc_obj(vm, sizeof(NativeObj), K_NATIVE, n->obj.type);
  if (!b) return NULL;
  Obj header = b->obj;
  *b = *n;
  b->obj = header;
  b->self = self;
  return b;
}

/* the type whose dict is d, so that a method knows its receiver's type */
static Type *type_of_dict(VM *vm, DictObj *d) {
  ObjModelState *st = objmodel_state(vm);
  if (st->last_method_dict == d && st->last_method_owner && st->last_method_owner->dict == d)
    return st->last_method_owner;
  Type *found = NULL;
  for (int i = vm->nbuiltin_types - 1; i >= 0 && !found; i--)
    if (vm->builtin_types[i]->dict == d) found = vm->builtin_types[i];
  for (int i = 0; i < st->nclasses && !found; i++)
    if (st->classes[i] && st->classes[i]->dict == d) found = st->classes[i];
  st->last_method_dict = d;
  st->last_method_owner = found;
  return found;
}

NativeObj *define_native(VM *vm, DictObj *d, const char *name, NativeFn fn, int flags) {
  NativeObj *n = native_new(vm, name, fn, flags);
  if (!n) return NULL;
  Type *owner = (flags & (NATIVE_METHOD | NATIVE_CLASS | NATIVE_STATIC)) ? type_of_dict(vm, d) : NULL;
  n->owner = owner;
  StrObj *key = str_intern_cstr(vm, name);
  if (!key || dict_set_str(vm, d, key, v_obj(n)) < 0) return NULL;
  if (owner && (owner->flags & TF_HEAP)) class_attr_changed(vm, owner, key);
  return n;
}

Value native_data(VM *vm) {
  NativeObj *n = vm->current_native;
  return n ? n->data : V_UNDEF;
}

/* a method called unbound (list.append(x, 1)) must get a receiver of its
** type: the C code behind it trusts the layout of args[0] */
static int check_receiver(VM *vm, NativeObj *n, Value *args, int nargs) {
  Type *owner = n->owner;
  if (n->flags & NATIVE_METHOD) {
    if (nargs < 1) {
      exc_raise(vm, EXC(vm, TypeError), "unbound method %U.%s() needs an argument", owner->name, n->name);
      return -1;
    }
    Type *t = obj_type(vm, args[0]);
    if (t == owner || type_is_subtype(t, owner)) return 0;
    exc_raise(vm, EXC(vm, TypeError), "descriptor '%s' for '%U' objects doesn't apply to a '%s' object",
              n->name, owner->name, obj_type_name(vm, args[0]));
    return -1;
  }
  if (n->flags & NATIVE_CLASS) {
    if (nargs >= 1 && IS_TYPE(args[0]) && type_is_subtype(AS_TYPE(args[0]), owner)) return 0;
    exc_raise(vm, EXC(vm, TypeError), "descriptor '%s' for type '%U' needs a subtype of '%U' as arg 1",
              n->name, owner->name, owner->name);
    return -1;
  }
  return 0;
}

static Value run_native(VM *vm, NativeObj *n, Value *args, int nargs, TupleObj *kwnames) {
  NativeObj *saved = vm->current_native;
  vm->current_native = n;
  Value r = n->fn(vm, args, nargs, kwnames);
  vm->current_native = saved;
  if (IS_UNDEF(r) && !exc_pending(vm))
    return exc_raise(vm, EXC(vm, RuntimeError), "%s() returned an error without setting an exception",
                     n->name);
  return r;
}

Value native_invoke(VM *vm, NativeObj *n, Value *args, int nargs, TupleObj *kwnames) {
  if (IS_UNDEF(n->self)) {
    if (n->owner && (n->flags & (NATIVE_METHOD | NATIVE_CLASS)) && check_receiver(vm, n, args, nargs) < 0)
      return V_UNDEF;
    return run_native(vm, n, args, nargs, kwnames);
  }
  /* bound: self goes first. The array copies values its caller roots
  ** (self is held by the NativeObj, which the caller holds). */
  int nkw = kwnames ? (int)kwnames->len : 0;
  int total = 1 + nargs + nkw;
  Value small[8];
  Value *argv = small;
  if (total > 8) {
    argv = gc_malloc(vm, (size_t)total * sizeof(Value));
    if (!argv) return V_UNDEF;
  }
  argv[0] = n->self;
  if (nargs + nkw > 0) memcpy(argv + 1, args, (size_t)(nargs + nkw) * sizeof(Value));
  Value r = run_native(vm, n, argv, nargs + 1, kwnames);
  if (argv != small) gc_free(vm, argv, (size_t)total * sizeof(Value));
  return r;
}

static Value native_call(VM *vm, Value callee, Value *args, int nargs, TupleObj *kwnames) {
  return native_invoke(vm, AS_NATIVE(callee), args, nargs, kwnames);
}

static Value native_repr(VM *vm, Value self) {
  NativeObj *n = AS_NATIVE(self);
  if (IS_UNDEF(n->self)) {
    if (n->owner && (n->flags & (NATIVE_METHOD | NATIVE_CLASS)))
      return str_value(str_format_c(vm, "<method '%s' of '%U' objects>", n->name, n->owner->name));
    return str_value(str_format_c(vm, "<built-in function %s>", n->name));
  }
  if (IS_KIND(n->self, K_MODULE)) return str_value(str_format_c(vm, "<built-in function %s>", n->name));
  char addr[32];
  snprintf(addr, sizeof addr, "%p", IS_OBJ(n->self) ? (void *)AS_OBJ(n->self) : NULL);
  return str_value(str_format_c(vm, "<built-in method %s of %s object at %s>", n->name,
                                obj_type_name(vm, n->self), addr));
}

static Value native_getattr(VM *vm, Value self, StrObj *name) {
  NativeObj *n = AS_NATIVE(self);
  name = interned(vm, name);
  if (!name) return V_UNDEF;
  if (name == NAME(vm, __name__)) return str_value(str_intern_cstr(vm, n->name));
  if (name == NAME(vm, __qualname__)) {
    if (n->owner) return str_value(str_format_c(vm, "%U.%s", n->owner->name, n->name));
    return str_value(str_intern_cstr(vm, n->name));
  }
  if (name == NAME(vm, __doc__)) return n->doc ? str_value(str_from_cstr(vm, n->doc)) : V_NONE;
  if (name == NAME(vm, __module__)) return n->owner ? V_NONE : str_value(str_intern_cstr(vm, "builtins"));
  if (strcmp(STR_CSTR(name), "__self__") == 0) return IS_UNDEF(n->self) ? V_NONE : n->self;
  return generic_getattr(vm, self, name);
}

static int hash_of_self(VM *vm, Value self, int64_t *out) {
  if (IS_OBJ(self)) return object_hash_identity(vm, self, out);
  return obj_hash(vm, self, out);
}

static Value native_richcmp(VM *vm, Value a, Value b, int op) {
  if ((op != CMP_EQ && op != CMP_NE) || !IS_NATIVE(b)) return v_obj(vm->not_implemented);
  NativeObj *x = AS_NATIVE(a), *y = AS_NATIVE(b);
  bool eq = x->fn == y->fn && v_is(x->self, y->self) && v_is(x->data, y->data);
  return v_bool(op == CMP_EQ ? eq : !eq);
}

static int native_hash(VM *vm, Value self, int64_t *out) {
  NativeObj *n = AS_NATIVE(self);
  if (IS_UNDEF(n->self)) return object_hash_identity(vm, self, out);
  int64_t h;
  if (hash_of_self(vm, n->self, &h) < 0) return -1;
  *out = h ^ (int64_t)((uintptr_t)n->fn >> 4);
  if (*out == -1) *out = -2;
  return 0;
}

/* ---- bound methods ---- */

BoundObj *bound_new(VM *vm, Value func, Value self) {
  BoundObj *b = gc_alloc_obj(vm, sizeof(BoundObj), K_BOUND, vm->t_method);
  if (!b) return NULL;
  b->func = func;
  b->self = self;
  return b;
}

static Value bound_call(VM *vm, Value callee, Value *args, int nargs, TupleObj *kwnames) {
  BoundObj *b = AS_BOUND(callee);
  int nkw = kwnames ? (int)kwnames->len : 0;
  int total = 1 + nargs + nkw;
  Value small[8];
  Value *argv = small;
  if (total > 8) {
    argv = gc_malloc(vm, (size_t)total * sizeof(Value));
    if (!argv) return V_UNDEF;
  }
  argv[0] = b->self;
  if (nargs + nkw > 0) memcpy(argv + 1, args, (size_t)(nargs + nkw) * sizeof(Value));
  Value r = IS_FUNC(b->func) ? vm_call_function(vm, AS_FUNC(b->func), argv, nargs + 1, kwnames)
                             : obj_call(vm, b->func, argv, nargs + 1, kwnames);
  if (argv != small) gc_free(vm, argv, (size_t)total * sizeof(Value));
  return r;
}

static Value bound_repr(VM *vm, Value self) {
  BoundObj *b = AS_BOUND(self);
  Value qn = IS_FUNC(b->func) ? v_obj(AS_FUNC(b->func)->qualname)
                              : obj_getattr_opt(vm, b->func, NAME(vm, __qualname__));
  if (IS_UNDEF(qn) && exc_pending(vm)) return qn;
  if (!IS_STR(qn)) qn = v_obj(str_intern_cstr(vm, "?"));
  return str_value(str_format_c(vm, "<bound method %U of %R>", AS_STR(qn), b->self));
}

static Value bound_getattr(VM *vm, Value self, StrObj *name) {
  BoundObj *b = AS_BOUND(self);
  name = interned(vm, name);
  if (!name) return V_UNDEF;
  const char *n = STR_CSTR(name);
  if (strcmp(n, "__self__") == 0) return b->self;
  if (strcmp(n, "__func__") == 0) return b->func;
  if (name == NAME(vm, __class__)) return v_obj(vm->t_method);
  /* everything else is the function's */
  return obj_getattr(vm, b->func, name);
}

static Value bound_richcmp(VM *vm, Value a, Value b, int op) {
  if ((op != CMP_EQ && op != CMP_NE) || !IS_BOUND(b)) return v_obj(vm->not_implemented);
  BoundObj *x = AS_BOUND(a), *y = AS_BOUND(b);
  bool eq = v_is(x->self, y->self);
  if (eq) {
    int r = obj_eq(vm, x->func, y->func);
    if (r < 0) return V_UNDEF;
    eq = r;
  }
  return v_bool(op == CMP_EQ ? eq : !eq);
}

static int bound_hash(VM *vm, Value self, int64_t *out) {
  BoundObj *b = AS_BOUND(self);
  int64_t hs, hf;
  if (hash_of_self(vm, b->self, &hs) < 0 || obj_hash(vm, b->func, &hf) < 0) return -1;
  *out = hs ^ hf;
  if (*out == -1) *out = -2;
  return 0;
}

/* ---- cells ---- */

CellObj *cell_new(VM *vm, Value v) {
  CellObj *c = gc_alloc_obj(vm, sizeof(CellObj), K_CELL, vm->t_cell);
  if (c) c->value = v;
  return c;
}

static Value cell_repr(VM *vm, Value self) {
  CellObj *c = AS_CELL(self);
  char addr[32], vaddr[32];
  snprintf(addr, sizeof addr, "%p", (void *)c);
  if (IS_UNDEF(c->value)) return str_value(str_format_c(vm, "<cell at %s: empty>", addr));
  snprintf(vaddr, sizeof vaddr, "%p", IS_OBJ(c->value) ? (void *)AS_OBJ(c->value) : (void *)&c->value);
  return str_value(str_format_c(vm, "<cell at %s: %s object at %s>", addr,
                                obj_type_name(vm, c->value), vaddr));
}

static Value cell_getattr(VM *vm, Value self, StrObj *name) {
  if (strcmp(STR_CSTR(name), "cell_contents") == 0) {
    Value v = AS_CELL(self)->value;
    if (IS_UNDEF(v)) return exc_raise(vm, EXC(vm, ValueError), "Cell is empty");
    return v;
  }
  return generic_getattr(vm, self, name);
}

static int cell_setattr(VM *vm, Value self, StrObj *name, Value value) {
  if (strcmp(STR_CSTR(name), "cell_contents") == 0) {
    AS_CELL(self)->value = value;
    return 0;
  }
  return generic_setattr(vm, self, name, value);
}

/* ---- property ---- */

enum { PROPERTY_DOC_FROM_GETTER = 1 << 0 }; /* PropertyObj obj.flags */

PropertyObj *property_new(VM *vm, Value fget, Value fset, Value fdel, Value doc) {
  bool from_getter = false;
  if ((IS_UNDEF(doc) || IS_NONE(doc)) && !IS_UNDEF(fget) && !IS_NONE(fget)) {
    doc = obj_getattr_opt(vm, fget, NAME(vm, __doc__));
    if (IS_UNDEF(doc) && exc_pending(vm)) return NULL;
    from_getter = true;
  }
  PropertyObj *p = gc_alloc_obj(vm, sizeof(PropertyObj), K_PROPERTY, vm->t_property);
  if (!p) return NULL;
  p->fget = IS_UNDEF(fget) ? V_NONE : fget;
  p->fset = IS_UNDEF(fset) ? V_NONE : fset;
  p->fdel = IS_UNDEF(fdel) ? V_NONE : fdel;
  p->doc = IS_UNDEF(doc) ? V_NONE : doc;
  if (from_getter) p->obj.flags |= PROPERTY_DOC_FROM_GETTER;
  return p;
}

Value property_get(VM *vm, Value prop, Value self, StrObj *name) {
  PropertyObj *p = AS_PROPERTY(prop);
  if (IS_NONE(p->fget)) {
    if (name)
      return exc_raise(vm, EXC(vm, AttributeError), "property '%U' of '%s' object has no getter", name,
                       obj_type_name(vm, self));
    return exc_raise(vm, EXC(vm, AttributeError), "unreadable attribute");
  }
  return obj_call1(vm, p->fget, self);
}

int property_set(VM *vm, Value prop, Value self, StrObj *name, Value value) {
  PropertyObj *p = AS_PROPERTY(prop);
  bool del = IS_UNDEF(value);
  Value f = del ? p->fdel : p->fset;
  if (IS_NONE(f)) {
    exc_raise(vm, EXC(vm, AttributeError), "property '%U' of '%s' object has no %s", name,
              obj_type_name(vm, self), del ? "deleter" : "setter");
    return -1;
  }
  Value r = del ? obj_call1(vm, f, self) : obj_call2(vm, f, self, value);
  return IS_UNDEF(r) ? -1 : 0;
}

static Value property_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"fget", "fset", "fdel", "doc", NULL};
  Value a[4];
  if (arg_parse(vm, "property", args, nargs, kwnames, names, 0, a) < 0) return V_UNDEF;
  PropertyObj *p = property_new(vm, a[0], a[1], a[2], a[3]);
  return p ? v_obj(p) : V_UNDEF;
}

/* p.getter(f) / p.setter(f) / p.deleter(f): a copy with one function replaced */
static Value property_copy(VM *vm, Value *args, int nargs, const char *what, int which) {
  if (arg_check_count(vm, what, nargs, 2, 2) < 0) return V_UNDEF;
  PropertyObj *p = AS_PROPERTY(args[0]);
  Value f[3] = {p->fget, p->fset, p->fdel};
  f[which] = args[1];
  bool from_getter = p->obj.flags & PROPERTY_DOC_FROM_GETTER;
  Value doc = from_getter && which == 0 ? V_NONE : p->doc;
  PropertyObj *q = property_new(vm, f[0], f[1], f[2], from_getter && which == 0 ? V_UNDEF : doc);
  if (!q) return V_UNDEF;
  if (from_getter && which != 0) q->obj.flags |= PROPERTY_DOC_FROM_GETTER;
  return v_obj(q);
}

static Value property_getter_m(VM *vm, Value *args, int nargs, TupleObj *kw) {
  return arg_no_kwargs(vm, "getter", kw) < 0 ? V_UNDEF : property_copy(vm, args, nargs, "getter", 0);
}
static Value property_setter_m(VM *vm, Value *args, int nargs, TupleObj *kw) {
  return arg_no_kwargs(vm, "setter", kw) < 0 ? V_UNDEF : property_copy(vm, args, nargs, "setter", 1);
}
static Value property_deleter_m(VM *vm, Value *args, int nargs, TupleObj *kw) {
  return arg_no_kwargs(vm, "deleter", kw) < 0 ? V_UNDEF : property_copy(vm, args, nargs, "deleter", 2);
}

static Value property_get_m(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (arg_no_kwargs(vm, "__get__", kw) < 0 || arg_check_count(vm, "__get__", nargs, 2, 3) < 0)
    return V_UNDEF;
  if (IS_NONE(args[1])) return args[0];
  return property_get(vm, args[0], args[1], NULL);
}

static Value property_getattr(VM *vm, Value self, StrObj *name) {
  PropertyObj *p = AS_PROPERTY(self);
  const char *n = STR_CSTR(name);
  if (strcmp(n, "fget") == 0) return p->fget;
  if (strcmp(n, "fset") == 0) return p->fset;
  if (strcmp(n, "fdel") == 0) return p->fdel;
  if (strcmp(n, "__doc__") == 0) return p->doc;
  if (strcmp(n, "__isabstractmethod__") == 0) return V_FALSE;
  return generic_getattr(vm, self, name);
}

static int property_setattr(VM *vm, Value self, StrObj *name, Value value) {
  const char *n = STR_CSTR(name);
  if (strcmp(n, "__doc__") == 0) {
    AS_PROPERTY(self)->doc = IS_UNDEF(value) ? V_NONE : value;
    AS_PROPERTY(self)->obj.flags &= (uint16_t)~PROPERTY_DOC_FROM_GETTER;
    return 0;
  }
  if (strcmp(n, "fget") == 0 || strcmp(n, "fset") == 0 || strcmp(n, "fdel") == 0) {
    exc_raise(vm, EXC(vm, AttributeError), "readonly attribute");
    return -1;
  }
  return generic_setattr(vm, self, name, value);
}

/* ---- staticmethod, classmethod ---- */

WrapperObj *wrapper_new(VM *vm, ObjKind kind, Value func) {
  Type *t = kind == K_STATICMETHOD ? vm->t_staticmethod : vm->t_classmethod;
  WrapperObj *w = gc_alloc_obj(vm, sizeof(WrapperObj), kind, t);
  if (w) w->func = func;
  return w;
}

static Value wrapper_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  const char *name = STR_CSTR(type->name);
  if (kwnames && kwnames->len > 0)
    return exc_raise(vm, EXC(vm, TypeError), "%s() takes no keyword arguments", name);
  if (nargs != 1)
    return exc_raise(vm, EXC(vm, TypeError), "%s expected 1 argument, got %d", name, nargs);
  WrapperObj *w = wrapper_new(vm, (ObjKind)type->layout, args[0]);
  return w ? v_obj(w) : V_UNDEF;
}

static Value wrapper_repr(VM *vm, Value self) {
  return str_value(str_format_c(vm, "<%s(%R)>", obj_type_name(vm, self), AS_WRAPPER(self)->func));
}

static Value wrapper_getattr(VM *vm, Value self, StrObj *name) {
  WrapperObj *w = AS_WRAPPER(self);
  name = interned(vm, name);
  if (!name) return V_UNDEF;
  const char *n = STR_CSTR(name);
  if (strcmp(n, "__func__") == 0 || strcmp(n, "__wrapped__") == 0) return w->func;
  if (strcmp(n, "__isabstractmethod__") == 0) return V_FALSE;
  /* like functools.wraps, which 3.10+ applies to these wrappers */
  if (name == NAME(vm, __name__) || name == NAME(vm, __qualname__) || name == NAME(vm, __doc__) ||
      name == NAME(vm, __module__))
    return obj_getattr(vm, w->func, name);
  return generic_getattr(vm, self, name);
}

static Value staticmethod_call(VM *vm, Value callee, Value *args, int nargs, TupleObj *kwnames) {
  return obj_call(vm, AS_WRAPPER(callee)->func, args, nargs, kwnames);
}

/* ---- argument checking for C functions ---- */

int arg_check_count(VM *vm, const char *fname, int nargs, int min, int max) {
  if (nargs >= min && (max < 0 || nargs <= max)) return 0;
  if (min == max && max <= 1) {
    if (max == 0)
      exc_raise(vm, EXC(vm, TypeError), "%s() takes no arguments (%d given)", fname, nargs);
    else
      exc_raise(vm, EXC(vm, TypeError), "%s() takes exactly one argument (%d given)", fname, nargs);
  } else if (min == max) {
    exc_raise(vm, EXC(vm, TypeError), "%s expected %d argument%s, got %d", fname, min,
              min == 1 ? "" : "s", nargs);
  } else if (nargs < min) {
    exc_raise(vm, EXC(vm, TypeError), "%s expected at least %d argument%s, got %d", fname, min,
              min == 1 ? "" : "s", nargs);
  } else {
    exc_raise(vm, EXC(vm, TypeError), "%s expected at most %d argument%s, got %d", fname, max,
              max == 1 ? "" : "s", nargs);
  }
  return -1;
}

int arg_no_kwargs(VM *vm, const char *fname, TupleObj *kwnames) {
  if (!kwnames || kwnames->len == 0) return 0;
  exc_raise(vm, EXC(vm, TypeError), "%s() takes no keyword arguments", fname);
  return -1;
}

int arg_parse(VM *vm, const char *fname, Value *args, int nargs, TupleObj *kwnames,
              const char *const *names, int required, Value *out) {
  int n = 0;
  while (names[n]) n++;
  int nkw = kwnames ? (int)kwnames->len : 0;
  if (nargs + nkw > n) {
    exc_raise(vm, EXC(vm, TypeError), "%s() takes at most %d argument%s (%d given)", fname, n,
              n == 1 ? "" : "s", nargs + nkw);
    return -1;
  }
  for (int i = 0; i < n; i++) out[i] = i < nargs ? args[i] : V_UNDEF;
  for (int k = 0; k < nkw; k++) {
    StrObj *kw = AS_STR(kwnames->items[k]);
    int j = 0;
    while (j < n && strcmp(names[j], STR_CSTR(kw)) != 0) j++;
    if (j == n) {
      exc_raise(vm, EXC(vm, TypeError), "'%U' is an invalid keyword argument for %s()", kw, fname);
      return -1;
    }
    if (j < nargs) {
      exc_raise(vm, EXC(vm, TypeError), "argument for %s() given by name ('%s') and position (%d)",
                fname, names[j], j + 1);
      return -1;
    }
    out[j] = args[nargs + k];
  }
  for (int i = 0; i < required; i++)
    if (IS_UNDEF(out[i])) {
      exc_raise(vm, EXC(vm, TypeError), "%s() missing required argument '%s' (pos %d)", fname,
                names[i], i + 1);
      return -1;
    }
  return 0;
}

/* ---- types and GC ---- */

/* Called by type_types_init (object's methods need these types) and
** again in vm_new's sequence, where it does nothing. */
void func_types_init(VM *vm) {
  if (vm->t_function) return;
  Type *t;
  t = vm->t_function = type_new_builtin(vm, "function", NULL, K_FUNC, 0);
  if (!t) return;
  t->repr = func_repr;
  t->call = func_call;
  t->getattr = func_getattr;
  t->setattr = func_setattr;
  t->hash = object_hash_identity;

  t = vm->t_builtin_function = type_new_builtin(vm, "builtin_function_or_method", NULL, K_NATIVE, 0);
  if (!t) return;
  t->repr = native_repr;
  t->call = native_call;
  t->getattr = native_getattr;
  t->hash = native_hash;
  t->richcmp = native_richcmp;

  t = vm->t_method = type_new_builtin(vm, "method", NULL, K_BOUND, 0);
  if (!t) return;
  t->repr = bound_repr;
  t->call = bound_call;
  t->getattr = bound_getattr;
  t->hash = bound_hash;
  t->richcmp = bound_richcmp;

  t = vm->t_cell = type_new_builtin(vm, "cell", NULL, K_CELL, 0);
  if (!t) return;
  t->repr = cell_repr;
  t->getattr = cell_getattr;
  t->setattr = cell_setattr;

  t = vm->t_property = type_new_builtin(vm, "property", NULL, K_PROPERTY, TF_BASETYPE);
  if (!t) return;
  t->construct = property_construct;
  t->getattr = property_getattr;
  t->setattr = property_setattr;
  t->hash = object_hash_identity;
  define_native(vm, t->dict, "getter", property_getter_m, NATIVE_METHOD);
  define_native(vm, t->dict, "setter", property_setter_m, NATIVE_METHOD);
  define_native(vm, t->dict, "deleter", property_deleter_m, NATIVE_METHOD);
  define_native(vm, t->dict, "__get__", property_get_m, NATIVE_METHOD);

  t = vm->t_staticmethod = type_new_builtin(vm, "staticmethod", NULL, K_STATICMETHOD, TF_BASETYPE);
  if (!t) return;
  t->construct = wrapper_construct;
  t->repr = wrapper_repr;
  t->getattr = wrapper_getattr;
  t->call = staticmethod_call;
  t->hash = object_hash_identity;

  t = vm->t_classmethod = type_new_builtin(vm, "classmethod", NULL, K_CLASSMETHOD, TF_BASETYPE);
  if (!t) return;
  t->construct = wrapper_construct;
  t->repr = wrapper_repr;
  t->getattr = wrapper_getattr;
  t->hash = object_hash_identity;
}

void func_trace(VM *vm, Obj *o) {
  switch (o->kind) {
    case K_FUNC: {
      FuncObj *f = (FuncObj *)o;
      gc_mark_obj(vm, f->code ? &f->code->obj : NULL);
      gc_mark_obj(vm, f->globals ? &f->globals->obj : NULL);
      gc_mark_obj(vm, f->defaults ? &f->defaults->obj : NULL);
      gc_mark_obj(vm, f->kwdefaults ? &f->kwdefaults->obj : NULL);
      gc_mark_obj(vm, f->closure ? &f->closure->obj : NULL);
      gc_mark_obj(vm, f->name ? &f->name->obj : NULL);
      gc_mark_obj(vm, f->qualname ? &f->qualname->obj : NULL);
      gc_mark_obj(vm, f->dict ? &f->dict->obj : NULL);
      gc_mark_value(vm, f->module);
      gc_mark_value(vm, f->doc);
      break;
    }
    case K_NATIVE: {
      NativeObj *n = (NativeObj *)o;
      gc_mark_value(vm, n->self);
      gc_mark_value(vm, n->data);
      gc_mark_obj(vm, n->owner ? &n->owner->obj : NULL);
      break;
    }
    case K_BOUND:
      gc_mark_value(vm, ((BoundObj *)o)->func);
      gc_mark_value(vm, ((BoundObj *)o)->self);
      break;
    case K_CELL:
      gc_mark_value(vm, ((CellObj *)o)->value);
      break;
    case K_PROPERTY: {
      PropertyObj *p = (PropertyObj *)o;
      gc_mark_value(vm, p->fget);
      gc_mark_value(vm, p->fset);
      gc_mark_value(vm, p->fdel);
      gc_mark_value(vm, p->doc);
      break;
    }
    case K_STATICMETHOD:
    case K_CLASSMETHOD:
      gc_mark_value(vm, ((WrapperObj *)o)->func);
      break;
    default:
      break;
  }
}

void func_free(VM *vm, Obj *o) {
  /* none of these kinds own buffers */
  (void)vm;
  (void)o;
}
