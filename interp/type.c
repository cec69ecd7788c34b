/* type.c — type objects: the bootstrap of type/object/str/dict/tuple,
** builtin types, attribute lookup along the MRO (with a per-class cache),
** the `type` type itself (repr, attribute access on classes, calling a
** class), `object` and its methods, NoneType, NotImplemented, Ellipsis,
** instances of user classes and foreign (C payload) objects, and the GC
** hooks for all of them. The class statement lives in class.c, super() in
** super.c, the generic object protocol in object.c. */
#include <stdio.h>
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "type.h"
#include "func.h"
#include "str.h"
#include "dict.h"
#include "tuple.h"
#include "list.h"
#include "exc.h"

/* ---- the shared state and type allocation ---- */

ObjModelState *objmodel_state(VM *vm) { return TYPE_EXT(vm->t_type)->state; }

Type *type_alloc(VM *vm) {
  TypeExt *x = gc_alloc_obj(vm, sizeof(TypeExt), K_TYPE, vm->t_type);
  if (!x) return NULL;
  x->type.obj.flags |= TYPE_OBJ_EXT;
  x->registry_index = -1;
  x->singleton = V_UNDEF;
  if (vm->t_type) {
    x->state = objmodel_state(vm);
    x->state->refs++;
  }
  return &x->type;
}

static int register_builtin_type(VM *vm, Type *t) {
  if (vm->nbuiltin_types == vm->cap_builtin_types) {
    int ncap = vm->cap_builtin_types ? vm->cap_builtin_types * 2 : 128;
    Type **items = gc_realloc(vm, vm->builtin_types, (size_t)vm->cap_builtin_types * sizeof(Type *),
                              (size_t)ncap * sizeof(Type *));
    if (!items) return -1;
    vm->builtin_types = items;
    vm->cap_builtin_types = ncap;
  }
  vm->builtin_types[vm->nbuiltin_types++] = t;
  return 0;
}

/* The registry of classes lets type_modified find a class's subclasses
** without strong references from a base to its subclasses (a class made
** in a loop must stay collectable). Freed entries become NULL holes,
** squeezed out when the array is full. */
int type_register_class(VM *vm, Type *t) {
  ObjModelState *st = objmodel_state(vm);
  if (st->nclasses == st->cap_classes) {
    int n = 0;
    for (int i = 0; i < st->nclasses; i++) {
      Type *k = st->classes[i];
      if (!k) continue;
      TYPE_EXT(k)->registry_index = n;
      st->classes[n++] = k;
    }
    st->nclasses = n;
  }
  if (st->nclasses == st->cap_classes) {
    int ncap = st->cap_classes ? st->cap_classes * 2 : 32;
    Type **items = gc_realloc(vm, st->classes, (size_t)st->cap_classes * sizeof(Type *),
                              (size_t)ncap * sizeof(Type *));
    if (!items) return -1;
    st->classes = items;
    st->cap_classes = ncap;
  }
  TYPE_EXT(t)->registry_index = st->nclasses;
  st->classes[st->nclasses++] = t;
  return 0;
}

/* ---- bootstrap and builtin types ---- */

static void set_builtin_fields(VM *vm, Type *t, const char *name, Type *base, ObjKind layout,
                               uint32_t flags) {
  t->name = str_intern_cstr(vm, name);
  t->qualname = t->name;
  t->module = NULL;
  t->base = base;
  t->bases = base ? tuple_pack(vm, 1, v_obj(base)) : tuple_new(vm, 0);
  int64_t nbase = base ? base->mro->len : 0;
  t->mro = tuple_new(vm, 1 + nbase);
  if (t->mro) {
    t->mro->items[0] = v_obj(t);
    for (int64_t i = 0; i < nbase; i++) t->mro->items[1 + i] = base->mro->items[i];
  }
  t->dict = dict_new(vm);
  t->flags = flags | (base ? (base->flags & TF_EXCEPTION) : 0);
  t->layout = (uint8_t)layout;
  t->version = 1;
}

/* type, object, str, dict and tuple are needed to make any other object
** (names are strs, namespaces dicts, MROs tuples): allocate them first,
** then give them names, dicts and MROs once their own types exist. */
void type_bootstrap(VM *vm) {
  ObjModelState *st = gc_malloc(vm, sizeof *st);
  if (!st) return;
  memset(st, 0, sizeof *st);
  st->next_version = 2;

  TypeExt *tx = gc_alloc_obj(vm, sizeof(TypeExt), K_TYPE, NULL);
  if (!tx) return;
  tx->type.obj.type = &tx->type;
  tx->type.obj.flags |= TYPE_OBJ_EXT;
  tx->registry_index = -1;
  tx->singleton = V_UNDEF;
  tx->state = st;
  st->refs = 1;
  vm->t_type = &tx->type;
  vm->t_object = type_alloc(vm);
  vm->t_str = type_alloc(vm);
  vm->t_dict = type_alloc(vm);
  vm->t_tuple = type_alloc(vm);
  if (!vm->t_object || !vm->t_str || !vm->t_dict || !vm->t_tuple) return;
  vm->t_object->layout = K_INSTANCE;
  vm->t_str->layout = K_STR;
  vm->t_dict->layout = K_DICT;
  vm->t_tuple->layout = K_TUPLE;

  set_builtin_fields(vm, vm->t_object, "object", NULL, K_INSTANCE, TF_BASETYPE);
  set_builtin_fields(vm, vm->t_type, "type", vm->t_object, K_TYPE, TF_BASETYPE);
  set_builtin_fields(vm, vm->t_str, "str", vm->t_object, K_STR, TF_BASETYPE);
  set_builtin_fields(vm, vm->t_dict, "dict", vm->t_object, K_DICT, TF_BASETYPE);
  set_builtin_fields(vm, vm->t_tuple, "tuple", vm->t_object, K_TUPLE, TF_BASETYPE);
  register_builtin_type(vm, vm->t_type);
  register_builtin_type(vm, vm->t_object);
  register_builtin_type(vm, vm->t_str);
  register_builtin_type(vm, vm->t_dict);
  register_builtin_type(vm, vm->t_tuple);
}

#define SLOTS_OFFSET offsetof(Type, repr)

Type *type_new_builtin(VM *vm, const char *name, Type *base, ObjKind layout, uint32_t flags) {
  if (!base) base = vm->t_object;
  Type *t = type_alloc(vm);
  if (!t) return NULL;
  set_builtin_fields(vm, t, name, base, layout, flags);
  if (!t->name || !t->bases || !t->mro || !t->dict) return NULL;
  /* Inherit the C slots of a builtin base other than object (exception
  ** classes inherit BaseException's, bool int's). object's are not copied:
  ** a NULL slot already means "object's behaviour" to the generic protocol,
  ** and copying object's hash would make e.g. list hashable. */
  if (base != vm->t_object)
    memcpy((char *)t + SLOTS_OFFSET, (char *)base + SLOTS_OFFSET, sizeof(Type) - SLOTS_OFFSET);
  if (register_builtin_type(vm, t) < 0) return NULL;
  return t;
}

Type *type_builtin_base(Type *t) {
  while ((t->flags & TF_HEAP) && t->base) t = t->base;
  return t;
}

/* ---- attribute lookup along the MRO ---- */

static Value mro_walk(VM *vm, Type *t, StrObj *name, Type **owner) {
  TupleObj *mro = t->mro;
  if (mro) {
    for (int64_t i = 0; i < mro->len; i++) {
      Type *k = AS_TYPE(mro->items[i]);
      Value v = k->dict ? dict_get_str(vm, k->dict, name) : V_UNDEF;
      if (!IS_UNDEF(v)) {
        *owner = k;
        return v;
      }
    }
  } else {
    for (Type *k = t; k; k = k->base) {
      Value v = k->dict ? dict_get_str(vm, k->dict, name) : V_UNDEF;
      if (!IS_UNDEF(v)) {
        *owner = k;
        return v;
      }
    }
  }
  *owner = NULL;
  return V_UNDEF;
}

static __attribute__((noinline)) Value lookup_fill(VM *vm, Type *t, StrObj *name, Type **owner,
                                                   TypeCacheEntry *e) {
  Type *where;
  Value v = mro_walk(vm, t, name, &where);
  if (e) {
    e->name = name;
    e->version = t->version;
    e->owner = where;
    e->value = v;
  }
  if (owner) *owner = where;
  return v;
}

/* Classes cache lookups (hits and misses) by interned name; an entry is
** valid while the class's version is the one it was filled under, and
** class_attr_changed gives the class and its subclasses new versions.
** Builtin types are not cached: their short MROs are cheap to walk. */
Value type_lookup_owner(VM *vm, Type *t, StrObj *name, Type **owner) {
  TypeCacheEntry *cache = (t->obj.flags & TYPE_OBJ_EXT) ? TYPE_EXT(t)->cache : NULL;
  if (!cache || !(name->obj.flags & STR_INTERNED)) return lookup_fill(vm, t, name, owner, NULL);
  uintptr_t p = (uintptr_t)name;
  TypeCacheEntry *e = &cache[((p >> 4) ^ (p >> 11)) & (TYPE_CACHE_SIZE - 1)];
  if (e->name != name || e->version != t->version) return lookup_fill(vm, t, name, owner, e);
  if (owner) *owner = e->owner;
  return e->value;
}

Value type_lookup(VM *vm, Type *t, StrObj *name) { return type_lookup_owner(vm, t, name, NULL); }

/* ---- the `type` type: classes as objects ---- */

static bool is_builtins_module(Value mod) {
  return !IS_STR(mod) || strcmp(STR_CSTR(AS_STR(mod)), "builtins") == 0;
}

/* __module__: a class's comes from its namespace (assignable), a builtin
** type's from its C definition */
static Value type_module(VM *vm, Type *t) {
  if (t->flags & (TF_HEAP | TF_HOST)) {
    Value m = dict_get_str(vm, t->dict, NAME(vm, __module__));
    if (!IS_UNDEF(m)) return m;
  }
  if (t->module) return v_obj(t->module);
  Value b = v_obj(str_intern_cstr(vm, "builtins"));
  return AS_OBJ(b) ? b : V_UNDEF;
}

static Value type_repr(VM *vm, Value self) {
  Type *t = AS_TYPE(self);
  Value mod = type_module(vm, t);
  if (IS_UNDEF(mod)) return V_UNDEF;
  StrObj *s = is_builtins_module(mod) ? str_format_c(vm, "<class '%U'>", t->qualname)
                                      : str_format_c(vm, "<class '%U.%U'>", AS_STR(mod), t->qualname);
  return s ? v_obj(s) : V_UNDEF;
}

/* the attributes every class has that live in `type` itself (data
** descriptors in CPython): V_UNDEF when `name` is not one of them */
static Value type_special_attr(VM *vm, Type *t, StrObj *name) {
  if (name == NAME(vm, __name__)) return v_obj(t->name);
  if (name == NAME(vm, __qualname__)) return v_obj(t->qualname);
  if (name == NAME(vm, __module__)) return type_module(vm, t);
  if (name == NAME(vm, __bases__)) return t->bases ? v_obj(t->bases) : v_obj(vm->empty_tuple);
  if (name == NAME(vm, __mro__)) return v_obj(t->mro);
  if (name == NAME(vm, __class__)) return v_obj(t->obj.type);
  if (name == NAME(vm, __dict__)) {
    DictObj *d = dict_copy(vm, t->dict);
    return d ? v_obj(d) : V_UNDEF;
  }
  if (name == NAME(vm, __doc__)) {
    Value d = dict_get_str(vm, t->dict, name);
    return IS_UNDEF(d) ? V_NONE : d;
  }
  if (strcmp(STR_CSTR(name), "__base__") == 0)
    return t->base ? v_obj(t->base) : V_NONE;
  return V_UNDEF;
}

static Value type_getattr_impl(VM *vm, Value self, StrObj *name, bool raise) {
  Type *cls = AS_TYPE(self);
  if (!(name->obj.flags & STR_INTERNED)) {
    name = str_intern(vm, STR_CSTR(name), (size_t)name->len);
    if (!name) return V_UNDEF;
  }
  if (STR_CSTR(name)[0] == '_' && STR_CSTR(name)[1] == '_') {
    Value sp = type_special_attr(vm, cls, name);
    if (!IS_UNDEF(sp) || exc_pending(vm)) return sp;
  }
  Value attr = type_lookup(vm, cls, name);
  if (!IS_UNDEF(attr)) return descr_bind(vm, attr, V_UNDEF, cls);
  Type *meta = cls->obj.type;
  Value mattr = type_lookup(vm, meta, name);
  if (!IS_UNDEF(mattr)) return descr_bind(vm, mattr, self, meta);
  if (!raise) return V_UNDEF;
  return exc_raise(vm, EXC(vm, AttributeError), "type object '%U' has no attribute '%U'", cls->name,
                   name);
}

Value type_getattr(VM *vm, Value self, StrObj *name) {
  return type_getattr_impl(vm, self, name, true);
}

Value type_getattr_opt(VM *vm, Value self, StrObj *name) {
  return type_getattr_impl(vm, self, name, false);
}

static int type_set_name(VM *vm, Type *cls, StrObj *name, Value value, StrObj **field) {
  if (IS_UNDEF(value)) {
    exc_raise(vm, EXC(vm, TypeError), "cannot delete '%U' attribute of type '%U'", name, cls->name);
    return -1;
  }
  if (!IS_STR(value)) {
    exc_raise(vm, EXC(vm, TypeError), "can only assign string to %U.%U, not '%T'", cls->name, name,
              value);
    return -1;
  }
  *field = AS_STR(value);
  return 0;
}

int type_setattr(VM *vm, Value self, StrObj *name, Value value) {
  Type *cls = AS_TYPE(self);
  if (!(name->obj.flags & STR_INTERNED)) {
    name = str_intern(vm, STR_CSTR(name), (size_t)name->len);
    if (!name) return -1;
  }
  if (!(cls->flags & TF_HEAP)) {
    exc_raise(vm, EXC(vm, TypeError), "cannot set '%U' attribute of immutable type '%U'", name,
              cls->name);
    return -1;
  }
  if (name == NAME(vm, __name__)) return type_set_name(vm, cls, name, value, &cls->name);
  if (name == NAME(vm, __qualname__)) return type_set_name(vm, cls, name, value, &cls->qualname);
  if (name == NAME(vm, __mro__) || name == NAME(vm, __class__)) {
    exc_raise(vm, EXC(vm, AttributeError), "readonly attribute");
    return -1;
  }
  if (name == NAME(vm, __dict__)) {
    exc_raise(vm, EXC(vm, AttributeError), "attribute '__dict__' of 'type' objects is not writable");
    return -1;
  }
  if (name == NAME(vm, __bases__)) {
    exc_raise(vm, EXC(vm, TypeError), "withy does not support assigning to __bases__");
    return -1;
  }
  if (IS_UNDEF(value)) {
    int r = dict_del(vm, cls->dict, v_obj(name));
    if (r < 0) return -1;
    if (r == 0) {
      exc_raise(vm, EXC(vm, AttributeError), "type object '%U' has no attribute '%U'", cls->name,
                name);
      return -1;
    }
  } else if (dict_set_str(vm, cls->dict, name, value) < 0) {
    return -1;
  }
  class_attr_changed(vm, cls, name);
  return 0;
}

/* calling a type object: its construct slot makes the instance */
static Value type_call(VM *vm, Value callee, Value *args, int nargs, TupleObj *kwnames) {
  Type *t = AS_TYPE(callee);
  if (!t->construct || (t->flags & TF_ABSTRACT_NEW))
    return exc_raise(vm, EXC(vm, TypeError), "cannot create '%U' instances", t->name);
  return t->construct(vm, t, args, nargs, kwnames);
}

/* type(x) and type(name, bases, dict) */
static Value type_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  int nkw = kwnames ? (int)kwnames->len : 0;
  if (nargs == 1 && nkw == 0) return v_obj(obj_type(vm, args[0]));
  if (nargs != 3) return exc_raise(vm, EXC(vm, TypeError), "type() takes 1 or 3 arguments");
  if (!IS_STR(args[0]))
    return exc_raise(vm, EXC(vm, TypeError), "type.__new__() argument 1 must be str, not %T", args[0]);
  if (!IS_TUPLE(args[1]))
    return exc_raise(vm, EXC(vm, TypeError), "type.__new__() argument 2 must be tuple, not %T",
                     args[1]);
  if (!IS_DICT(args[2]))
    return exc_raise(vm, EXC(vm, TypeError), "type.__new__() argument 3 must be dict, not %T", args[2]);
  DictObj *ns = dict_copy(vm, AS_DICT(args[2]));
  if (!ns) return V_UNDEF;
  gc_push_root(vm, v_obj(ns));
  /* like CPython, a class made by type() belongs to the calling module */
  if (IS_UNDEF(dict_get_str(vm, ns, NAME(vm, __module__))) && vm->frame && vm->frame->globals) {
    Value mod = dict_get_str(vm, vm->frame->globals, NAME(vm, __name__));
    if (!IS_UNDEF(mod) && dict_set_str(vm, ns, NAME(vm, __module__), mod) < 0) {
      gc_pop_roots(vm, 1);
      return V_UNDEF;
    }
  }
  Type *cls = type_new_class(vm, AS_STR(args[0]), AS_TUPLE(args[1]), ns);
  gc_pop_roots(vm, 1);
  if (!cls) return V_UNDEF;
  gc_push_root(vm, v_obj(cls));
  int r = class_init_subclass(vm, cls, args + nargs, kwnames);
  gc_pop_roots(vm, 1);
  return r < 0 ? V_UNDEF : v_obj(cls);
}

static Value type_mro_method(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_no_kwargs(vm, "mro", kwnames) < 0 || arg_check_count(vm, "mro", nargs, 1, 1) < 0)
    return V_UNDEF;
  TupleObj *mro = AS_TYPE(args[0])->mro;
  ListObj *l = list_new(vm, mro->len);
  if (!l) return V_UNDEF;
  for (int64_t i = 0; i < mro->len; i++)
    if (list_append(vm, l, mro->items[i]) < 0) return V_UNDEF;
  return v_obj(l);
}

static Value type_subclasses_method(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_no_kwargs(vm, "__subclasses__", kwnames) < 0 ||
      arg_check_count(vm, "__subclasses__", nargs, 1, 1) < 0)
    return V_UNDEF;
  Type *t = AS_TYPE(args[0]);
  ObjModelState *st = objmodel_state(vm);
  ListObj *l = list_new(vm, 0);
  if (!l) return V_UNDEF;
  for (int i = 0; i < st->nclasses; i++) {
    Type *k = st->classes[i];
    if (!k || !k->bases) continue;
    for (int64_t j = 0; j < k->bases->len; j++)
      if (AS_OBJ(k->bases->items[j]) == &t->obj) {
        if (list_append(vm, l, v_obj(k)) < 0) return V_UNDEF;
        break;
      }
  }
  return v_obj(l);
}

static Value type_instancecheck_method(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_no_kwargs(vm, "__instancecheck__", kwnames) < 0 ||
      arg_check_count(vm, "__instancecheck__", nargs, 2, 2) < 0)
    return V_UNDEF;
  int r = obj_is_instance(vm, args[1], args[0]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value type_subclasscheck_method(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_no_kwargs(vm, "__subclasscheck__", kwnames) < 0 ||
      arg_check_count(vm, "__subclasscheck__", nargs, 2, 2) < 0)
    return V_UNDEF;
  int r = obj_is_subclass(vm, args[1], args[0]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

/* ---- object ---- */

InstanceObj *instance_new(VM *vm, Type *type) {
  return gc_alloc_obj(vm, sizeof(InstanceObj), K_INSTANCE, type);
}

ForeignObj *foreign_new(VM *vm, Type *type, void *data, void (*trace)(VM *, void *),
                        void (*finalize)(VM *, void *)) {
  ForeignObj *f = gc_alloc_obj(vm, sizeof(ForeignObj), K_FOREIGN, type);
  if (!f) return NULL;
  f->data = data;
  f->trace = trace;
  f->finalize = finalize;
  return f;
}

ForeignObj *foreign_new_inline(VM *vm, Type *type, size_t size, void (*trace)(VM *, void *),
                               void (*finalize)(VM *, void *)) {
  size_t head = (sizeof(ForeignObj) + 15) & ~(size_t)15;
  ForeignObj *f = gc_alloc_obj(vm, head + size, K_FOREIGN, type);
  if (!f) return NULL;
  f->data = (char *)f + head;
  f->trace = trace;
  f->finalize = finalize;
  return f;
}

/* the default repr: <module.Qualname object at 0x…> */
static Value object_default_repr(VM *vm, Value self) {
  Type *t = obj_type(vm, self);
  char addr[32];
  snprintf(addr, sizeof addr, "%p", IS_OBJ(self) ? (void *)AS_OBJ(self) : NULL);
  Value mod = type_module(vm, t);
  if (IS_UNDEF(mod)) return V_UNDEF;
  StrObj *s = is_builtins_module(mod)
                  ? str_format_c(vm, "<%U object at %s>", t->qualname, addr)
                  : str_format_c(vm, "<%U.%U object at %s>", AS_STR(mod), t->qualname, addr);
  return s ? v_obj(s) : V_UNDEF;
}

int object_hash_identity(VM *vm, Value self, int64_t *out) {
  /* the low bits of an address are alignment zeros: rotate them away */
  uint64_t p = (uint64_t)(uintptr_t)AS_OBJ(self);
  int64_t h = (int64_t)((p >> 4) | (p << 60));
  *out = h == -1 ? -2 : h;
  return 0;
}

/* object's comparisons: == is identity; != inverts the type's ==; the
** orderings are not defined (NotImplemented) */
Value object_richcmp(VM *vm, Value a, Value b, int op) {
  if (op == CMP_EQ) return v_is(a, b) ? V_TRUE : v_obj(vm->not_implemented);
  if (op == CMP_NE) {
    Type *t = obj_type(vm, a);
    if (t->richcmp && t->richcmp != object_richcmp) {
      Value r = t->richcmp(vm, a, b, CMP_EQ);
      if (IS_UNDEF(r) || IS_NOTIMPL(vm, r)) return r;
      int truth = obj_truthy(vm, r);
      return truth < 0 ? V_UNDEF : v_bool(!truth);
    }
    return v_is(a, b) ? V_FALSE : v_obj(vm->not_implemented);
  }
  return v_obj(vm->not_implemented);
}

static bool is_native(Value v, NativeObj *n) { return IS_OBJ(v) && AS_OBJ(v) == &n->obj; }

static Value object_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (nargs > 0 || (kwnames && kwnames->len > 0))
    return exc_raise(vm, EXC(vm, TypeError), "object() takes no arguments");
  InstanceObj *o = instance_new(vm, type);
  return o ? v_obj(o) : V_UNDEF;
}

static Value object_init_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (nargs > 1 || (kwnames && kwnames->len > 0)) {
    ObjModelState *st = objmodel_state(vm);
    Type *t = obj_type(vm, args[0]);
    if (!is_native(type_lookup(vm, t, NAME(vm, __init__)), st->object_init))
      return exc_raise(vm, EXC(vm, TypeError),
                       "object.__init__() takes exactly one argument (the instance to initialize)");
    if (is_native(type_lookup(vm, t, NAME(vm, __new__)), st->object_new))
      return exc_raise(vm, EXC(vm, TypeError),
                       "%U.__init__() takes exactly one argument (the instance to initialize)", t->name);
  }
  return V_NONE;
}

static Value object_new_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (nargs < 1)
    return exc_raise(vm, EXC(vm, TypeError), "object.__new__(): not enough arguments");
  if (!IS_TYPE(args[0]))
    return exc_raise(vm, EXC(vm, TypeError), "object.__new__(X): X is not a type object (%T)",
                     args[0]);
  Type *t = AS_TYPE(args[0]);
  if (nargs > 1 || (kwnames && kwnames->len > 0)) {
    ObjModelState *st = objmodel_state(vm);
    if (!is_native(type_lookup(vm, t, NAME(vm, __new__)), st->object_new))
      return exc_raise(vm, EXC(vm, TypeError),
                       "object.__new__() takes exactly one argument (the type to instantiate)");
    if (is_native(type_lookup(vm, t, NAME(vm, __init__)), st->object_init))
      return exc_raise(vm, EXC(vm, TypeError), "%U() takes no arguments", t->name);
  }
  Type *b = type_builtin_base(t);
  if (b != vm->t_object && b->layout != K_INSTANCE)
    return exc_raise(vm, EXC(vm, TypeError), "object.__new__(%U) is not safe, use %U.__new__()",
                     t->name, b->name);
  InstanceObj *o = instance_new(vm, t);
  return o ? v_obj(o) : V_UNDEF;
}

static Value object_repr_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_check_count(vm, "__repr__", nargs, 1, 1) < 0) return V_UNDEF;
  return object_default_repr(vm, args[0]);
}

static Value object_str_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_check_count(vm, "__str__", nargs, 1, 1) < 0) return V_UNDEF;
  return obj_repr(vm, args[0]);
}

static Value object_hash_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_check_count(vm, "__hash__", nargs, 1, 1) < 0) return V_UNDEF;
  int64_t h;
  if (IS_OBJ(args[0])) object_hash_identity(vm, args[0], &h);
  else if (obj_hash(vm, args[0], &h) < 0) return V_UNDEF;
  return v_int(h);
}

static Value object_cmp_m(VM *vm, Value *args, int nargs, const char *name, int op) {
  if (arg_check_count(vm, name, nargs, 2, 2) < 0) return V_UNDEF;
  return object_richcmp(vm, args[0], args[1], op);
}
#define OBJECT_CMP(fname, op)                                                          \
  static Value object_##fname##_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) { \
    return object_cmp_m(vm, args, nargs, "__" #fname "__", op);                        \
  }
OBJECT_CMP(eq, CMP_EQ)
OBJECT_CMP(ne, CMP_NE)
OBJECT_CMP(lt, CMP_LT)
OBJECT_CMP(le, CMP_LE)
OBJECT_CMP(gt, CMP_GT)
OBJECT_CMP(ge, CMP_GE)

static Value object_format_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_check_count(vm, "__format__", nargs, 2, 2) < 0) return V_UNDEF;
  if (!IS_STR(args[1]))
    return exc_raise(vm, EXC(vm, TypeError), "__format__() argument must be str, not %T", args[1]);
  if (AS_STR(args[1])->len > 0)
    return exc_raise(vm, EXC(vm, TypeError), "unsupported format string passed to %s.__format__",
                     obj_type_name(vm, args[0]));
  return obj_str(vm, args[0]);
}

static Value object_init_subclass_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (kwnames && kwnames->len > 0)
    return exc_raise(vm, EXC(vm, TypeError), "%U.__init_subclass__() takes no keyword arguments",
                     AS_TYPE(args[0])->name);
  if (nargs > 1)
    return exc_raise(vm, EXC(vm, TypeError), "%U.__init_subclass__() takes no arguments (%d given)",
                     AS_TYPE(args[0])->name, nargs - 1);
  return V_NONE;
}

static int check_attr_name(VM *vm, Value name) {
  if (IS_STR(name)) return 0;
  exc_raise(vm, EXC(vm, TypeError), "attribute name must be string, not '%T'", name);
  return -1;
}

static Value object_getattribute_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_check_count(vm, "__getattribute__", nargs, 2, 2) < 0 || check_attr_name(vm, args[1]) < 0)
    return V_UNDEF;
  return generic_getattr(vm, args[0], AS_STR(args[1]));
}

static Value object_setattr_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_check_count(vm, "__setattr__", nargs, 3, 3) < 0 || check_attr_name(vm, args[1]) < 0)
    return V_UNDEF;
  return generic_setattr(vm, args[0], AS_STR(args[1]), args[2]) < 0 ? V_UNDEF : V_NONE;
}

static Value object_delattr_m(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (arg_check_count(vm, "__delattr__", nargs, 2, 2) < 0 || check_attr_name(vm, args[1]) < 0)
    return V_UNDEF;
  return generic_setattr(vm, args[0], AS_STR(args[1]), V_UNDEF) < 0 ? V_UNDEF : V_NONE;
}

static void object_type_init(VM *vm) {
  Type *o = vm->t_object;
  ObjModelState *st = objmodel_state(vm);
  o->repr = object_default_repr;
  o->hash = object_hash_identity;
  o->richcmp = object_richcmp;
  o->getattr = generic_getattr;
  o->setattr = generic_setattr;
  o->construct = object_construct;
  DictObj *d = o->dict;
  st->object_init = define_native(vm, d, "__init__", object_init_m, NATIVE_METHOD);
  st->object_new = define_native(vm, d, "__new__", object_new_m, NATIVE_STATIC);
  define_native(vm, d, "__repr__", object_repr_m, NATIVE_METHOD);
  define_native(vm, d, "__str__", object_str_m, NATIVE_METHOD);
  define_native(vm, d, "__hash__", object_hash_m, NATIVE_METHOD);
  define_native(vm, d, "__eq__", object_eq_m, NATIVE_METHOD);
  define_native(vm, d, "__ne__", object_ne_m, NATIVE_METHOD);
  define_native(vm, d, "__lt__", object_lt_m, NATIVE_METHOD);
  define_native(vm, d, "__le__", object_le_m, NATIVE_METHOD);
  define_native(vm, d, "__gt__", object_gt_m, NATIVE_METHOD);
  define_native(vm, d, "__ge__", object_ge_m, NATIVE_METHOD);
  define_native(vm, d, "__format__", object_format_m, NATIVE_METHOD);
  define_native(vm, d, "__init_subclass__", object_init_subclass_m, NATIVE_CLASS);
  define_native(vm, d, "__getattribute__", object_getattribute_m, NATIVE_METHOD);
  define_native(vm, d, "__setattr__", object_setattr_m, NATIVE_METHOD);
  define_native(vm, d, "__delattr__", object_delattr_m, NATIVE_METHOD);
  dict_set_str(vm, d, NAME(vm, __doc__), V_NONE);
}

static void type_type_init(VM *vm) {
  Type *t = vm->t_type;
  t->repr = type_repr;
  t->hash = object_hash_identity;
  t->call = type_call;
  t->getattr = type_getattr;
  t->setattr = type_setattr;
  t->construct = type_construct;
  define_native(vm, t->dict, "mro", type_mro_method, NATIVE_METHOD);
  define_native(vm, t->dict, "__subclasses__", type_subclasses_method, NATIVE_METHOD);
  define_native(vm, t->dict, "__instancecheck__", type_instancecheck_method, NATIVE_METHOD);
  define_native(vm, t->dict, "__subclasscheck__", type_subclasscheck_method, NATIVE_METHOD);
}

/* ---- None, NotImplemented, Ellipsis ---- */

static Value none_repr(VM *vm, Value self) {
  StrObj *s = str_intern_cstr(vm, "None");
  return s ? v_obj(s) : V_UNDEF;
}

static int none_truth(VM *vm, Value self) { return 0; }

static int none_hash(VM *vm, Value self, int64_t *out) {
  *out = 0x5f1e0a3b;
  return 0;
}

static Value singleton_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (nargs > 0 || (kwnames && kwnames->len > 0))
    return exc_raise(vm, EXC(vm, TypeError), "%U takes no arguments", type->name);
  if (type == vm->t_NoneType) return V_NONE;
  return TYPE_EXT(type)->singleton;
}

static Value singleton_repr(VM *vm, Value self) {
  Type *t = obj_type(vm, self);
  StrObj *s = str_intern_cstr(vm, t == vm->t_ellipsis ? "Ellipsis" : "NotImplemented");
  return s ? v_obj(s) : V_UNDEF;
}

static Obj *make_singleton(VM *vm, Type *t) {
  t->repr = singleton_repr;
  t->hash = object_hash_identity;
  t->construct = singleton_construct;
  Obj *o = gc_alloc_obj(vm, sizeof(Obj), K_SINGLETON, t);
  if (o) TYPE_EXT(t)->singleton = v_obj(o);
  return o;
}

void type_types_init(VM *vm) {
  /* object's and type's methods are builtin_function_or_method objects */
  func_types_init(vm);
  object_type_init(vm);
  type_type_init(vm);
  Type *n = type_new_builtin(vm, "NoneType", NULL, K_SINGLETON, 0);
  if (!n) return;
  n->repr = none_repr;
  n->truth = none_truth;
  n->hash = none_hash;
  n->construct = singleton_construct;
  vm->t_NoneType = n;
  vm->t_NotImplementedType = type_new_builtin(vm, "NotImplementedType", NULL, K_SINGLETON, 0);
  vm->t_ellipsis = type_new_builtin(vm, "ellipsis", NULL, K_SINGLETON, 0);
  if (!vm->t_NotImplementedType || !vm->t_ellipsis) return;
  vm->not_implemented = make_singleton(vm, vm->t_NotImplementedType);
  vm->ellipsis = make_singleton(vm, vm->t_ellipsis);
  super_type_init(vm);
}

/* ---- GC hooks ---- */

static void trace_type(VM *vm, Type *t) {
  gc_mark_obj(vm, &t->name->obj);
  gc_mark_obj(vm, t->qualname ? &t->qualname->obj : NULL);
  gc_mark_obj(vm, t->module ? &t->module->obj : NULL);
  gc_mark_obj(vm, t->base ? &t->base->obj : NULL);
  gc_mark_obj(vm, t->bases ? &t->bases->obj : NULL);
  gc_mark_obj(vm, t->mro ? &t->mro->obj : NULL);
  gc_mark_obj(vm, t->dict ? &t->dict->obj : NULL);
  if (!(t->obj.flags & TYPE_OBJ_EXT)) return;
  TypeExt *x = TYPE_EXT(t);
  gc_mark_value(vm, x->singleton);
  if (x->init && x->init_version == t->version) gc_mark_obj(vm, &x->init->obj);
  if (x->cache) {
    /* stale entries are never dereferenced, so only live ones are marked */
    for (int i = 0; i < TYPE_CACHE_SIZE; i++) {
      TypeCacheEntry *e = &x->cache[i];
      if (!e->name || e->version != t->version) continue;
      gc_mark_obj(vm, &e->name->obj);
      gc_mark_obj(vm, e->owner ? &e->owner->obj : NULL);
      gc_mark_value(vm, e->value);
    }
  }
}

void type_trace(VM *vm, Obj *o) {
  switch (o->kind) {
    case K_TYPE:
      trace_type(vm, (Type *)o);
      break;
    case K_INSTANCE: {
      InstanceObj *i = (InstanceObj *)o;
      gc_mark_obj(vm, &o->type->obj);
      gc_mark_obj(vm, i->dict ? &i->dict->obj : NULL);
      break;
    }
    case K_SUPER: {
      SuperObj *s = (SuperObj *)o;
      gc_mark_obj(vm, s->type ? &s->type->obj : NULL);
      gc_mark_obj(vm, s->self_type ? &s->self_type->obj : NULL);
      gc_mark_value(vm, s->self);
      break;
    }
    case K_FOREIGN: {
      ForeignObj *f = (ForeignObj *)o;
      gc_mark_obj(vm, &o->type->obj);
      gc_mark_obj(vm, f->dict ? &f->dict->obj : NULL);
      if (f->trace && f->data) f->trace(vm, f->data);
      break;
    }
    case K_SINGLETON:
      gc_mark_obj(vm, &o->type->obj);
      break;
    default:
      break;
  }
}

void type_free(VM *vm, Obj *o) {
  if (o->kind == K_FOREIGN) {
    ForeignObj *f = (ForeignObj *)o;
    if (f->finalize && f->data) f->finalize(vm, f->data);
    f->data = NULL;
    return;
  }
  if (o->kind != K_TYPE || !(o->flags & TYPE_OBJ_EXT)) return;
  TypeExt *x = (TypeExt *)o;
  ObjModelState *st = x->state;
  if (x->cache) gc_free(vm, x->cache, TYPE_CACHE_SIZE * sizeof(TypeCacheEntry));
  x->cache = NULL;
  if (!st) return;
  if (x->registry_index >= 0 && x->registry_index < st->nclasses) st->classes[x->registry_index] = NULL;
  if (st->last_method_owner == &x->type) {
    st->last_method_owner = NULL;
    st->last_method_dict = NULL;
  }
  /* the state is shared by all types and goes with the last of them */
  if (--st->refs == 0) {
    gc_free(vm, st->classes, (size_t)st->cap_classes * sizeof(Type *));
    gc_free(vm, st, sizeof *st);
  }
}
