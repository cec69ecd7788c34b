/* class.c — the class statement: __build_class__, type_new_class (bases,
** C3 method resolution order, instance layout), the generic slot
** functions that make a class's dunders work from C (looked up on the
** type, as CPython does), instantiation (__new__/__init__), and keeping
** versions and slots right when a class attribute changes. */
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "type.h"
#include "func.h"
#include "str.h"
#include "dict.h"
#include "tuple.h"
#include "exc.h"

/* ---- finding a class's dunders ---- */

/* the dunder `name` on t, and whether a class (not a builtin type) defines it */
static Value find_dunder(VM *vm, Type *t, StrObj *name, bool *user) {
  Type *owner;
  Value f = type_lookup_owner(vm, t, name, &owner);
  *user = owner && (owner->flags & (TF_HEAP | TF_HOST));
  return f;
}

/* where a generic slot falls back when the class no longer defines the
** dunder: the nearest ancestor whose slots are C code (a wy_class's are
** generic slots too) */
static Type *c_slot_base(Type *t) {
  while ((t->flags & (TF_HEAP | TF_HOST)) && t->base) t = t->base;
  return t;
}

static bool class_defines(VM *vm, Type *t, StrObj *name) {
  bool user;
  find_dunder(vm, t, name, &user);
  return user;
}

static Value call_dunder0(VM *vm, Value f, Value self) { return call_with_self(vm, f, self, NULL, 0, NULL); }
static Value call_dunder1(VM *vm, Value f, Value self, Value a) {
  return call_with_self(vm, f, self, &a, 1, NULL);
}

/* ---- the generic slots (installed only where a class defines the dunder;
** each falls back to its builtin base's slot if the dunder went away) ---- */

static Value slot_repr(VM *vm, Value self) {
  bool user;
  Type *t = obj_type(vm, self);
  Value f = find_dunder(vm, t, NAME(vm, __repr__), &user);
  if (!user) {
    Type *b = c_slot_base(t);
    return b->repr ? b->repr(vm, self) : vm->t_object->repr(vm, self);
  }
  Value r = call_dunder0(vm, f, self);
  if (IS_UNDEF(r) || IS_STR(r)) return r;
  return exc_raise(vm, EXC(vm, TypeError), "__repr__ returned non-string (type %s)",
                   obj_type_name(vm, r));
}

static Value slot_str(VM *vm, Value self) {
  bool user;
  Type *t = obj_type(vm, self);
  Value f = find_dunder(vm, t, NAME(vm, __str__), &user);
  if (!user) {
    Type *b = c_slot_base(t);
    return b->str ? b->str(vm, self) : obj_repr(vm, self);
  }
  Value r = call_dunder0(vm, f, self);
  if (IS_UNDEF(r) || IS_STR(r)) return r;
  return exc_raise(vm, EXC(vm, TypeError), "__str__ returned non-string (type %s)",
                   obj_type_name(vm, r));
}

static int slot_hash(VM *vm, Value self, int64_t *out) {
  bool user;
  Type *t = obj_type(vm, self);
  Value f = find_dunder(vm, t, NAME(vm, __hash__), &user);
  if (!user) {
    Type *b = c_slot_base(t);
    return b->hash ? b->hash(vm, self, out) : object_hash_identity(vm, self, out);
  }
  if (IS_NONE(f)) {
    exc_raise(vm, EXC(vm, TypeError), "unhashable type: '%s'", obj_type_name(vm, self));
    return -1;
  }
  Value r = call_dunder0(vm, f, self);
  if (IS_UNDEF(r)) return -1;
  if (!IS_INTLIKE(r)) {
    exc_raise(vm, EXC(vm, TypeError), "__hash__ method should return an integer");
    return -1;
  }
  int64_t h = AS_INTLIKE(r);
  *out = h == -1 ? -2 : h;
  return 0;
}

static StrObj *cmp_dunder(VM *vm, int op) {
  switch (op) {
    case CMP_LT: return NAME(vm, __lt__);
    case CMP_LE: return NAME(vm, __le__);
    case CMP_EQ: return NAME(vm, __eq__);
    case CMP_NE: return NAME(vm, __ne__);
    case CMP_GT: return NAME(vm, __gt__);
    default: return NAME(vm, __ge__);
  }
}

static Value slot_richcmp(VM *vm, Value a, Value b, int op) {
  bool user;
  Type *t = obj_type(vm, a);
  Value f = find_dunder(vm, t, cmp_dunder(vm, op), &user);
  if (!user) {
    /* object's rules, so that != still inverts a class's __eq__ */
    Type *bt = c_slot_base(t);
    return bt->richcmp ? bt->richcmp(vm, a, b, op) : object_richcmp(vm, a, b, op);
  }
  return call_dunder1(vm, f, a, b);
}

static Value slot_call(VM *vm, Value callee, Value *args, int nargs, TupleObj *kwnames) {
  bool user;
  Value f = find_dunder(vm, obj_type(vm, callee), NAME(vm, __call__), &user);
  if (IS_UNDEF(f))
    return exc_raise(vm, EXC(vm, TypeError), "'%s' object is not callable", obj_type_name(vm, callee));
  return call_with_self(vm, f, callee, args, nargs, kwnames);
}

Value class_call_target(VM *vm, Value callable) {
  Type *t = obj_type(vm, callable);
  if (t->call != slot_call) return V_UNDEF;
  Value f = type_lookup(vm, t, NAME(vm, __call__));
  if (IS_FUNC(f)) return f;
  if (IS_NATIVE(f) && (AS_NATIVE(f)->flags & NATIVE_METHOD) && !(AS_NATIVE(f)->flags & NATIVE_CLASS) &&
      IS_UNDEF(AS_NATIVE(f)->self))
    return f;
  return V_UNDEF;
}

/* __getattribute__ overrides, and the __getattr__ fallback when the normal
** lookup finds nothing */
static Value slot_getattr(VM *vm, Value self, StrObj *name) {
  bool user;
  Type *t = obj_type(vm, self);
  Value nv = v_obj(name);
  Value ga = find_dunder(vm, t, NAME(vm, __getattribute__), &user);
  Value r;
  if (user) {
    r = call_dunder1(vm, ga, self, nv);
  } else {
    Type *b = c_slot_base(t);
    GetAttrFn base_get = b->getattr ? b->getattr : generic_getattr;
    if (base_get == generic_getattr && (t->flags & TF_HAS_GETATTR)) {
      /* no AttributeError is made just to be thrown away */
      r = generic_getattr_opt(vm, self, name);
      if (!IS_UNDEF(r) || exc_pending(vm)) return r;
      goto fallback;
    }
    r = base_get(vm, self, name);
  }
  if (!IS_UNDEF(r) || !(t->flags & TF_HAS_GETATTR)) return r;
  if (!exc_pending_matches(vm, EXC(vm, AttributeError))) return r;
  exc_clear(vm);
fallback:;
  Value g = find_dunder(vm, t, NAME(vm, __getattr__), &user);
  if (IS_UNDEF(g)) return attr_error(vm, self, name);
  return call_dunder1(vm, g, self, nv);
}

static int slot_setattr(VM *vm, Value self, StrObj *name, Value value) {
  bool user;
  Type *t = obj_type(vm, self);
  Value f = find_dunder(vm, t, IS_UNDEF(value) ? NAME(vm, __delattr__) : NAME(vm, __setattr__), &user);
  if (!user) {
    Type *b = c_slot_base(t);
    return (b->setattr ? b->setattr : generic_setattr)(vm, self, name, value);
  }
  Value args[2] = {v_obj(name), value};
  Value r = call_with_self(vm, f, self, args, IS_UNDEF(value) ? 1 : 2, NULL);
  return IS_UNDEF(r) ? -1 : 0;
}

static Value slot_iter(VM *vm, Value self) {
  bool user;
  Value f = find_dunder(vm, obj_type(vm, self), NAME(vm, __iter__), &user);
  if (IS_UNDEF(f) || IS_NONE(f))
    return exc_raise(vm, EXC(vm, TypeError), "'%s' object is not iterable", obj_type_name(vm, self));
  Value r = call_dunder0(vm, f, self);
  if (IS_UNDEF(r)) return r;
  if (!obj_type(vm, r)->next)
    return exc_raise(vm, EXC(vm, TypeError), "iter() returned non-iterator of type '%s'",
                     obj_type_name(vm, r));
  return r;
}

/* a StopIteration from __next__ is exhaustion: V_UNDEF with no exception */
static Value slot_next(VM *vm, Value self) {
  bool user;
  Value f = find_dunder(vm, obj_type(vm, self), NAME(vm, __next__), &user);
  if (IS_UNDEF(f))
    return exc_raise(vm, EXC(vm, TypeError), "'%s' object is not an iterator", obj_type_name(vm, self));
  Value r = call_dunder0(vm, f, self);
  if (IS_UNDEF(r) && exc_pending_matches(vm, EXC(vm, StopIteration))) exc_clear(vm);
  return r;
}

static int64_t slot_len(VM *vm, Value self) {
  bool user;
  Value f = find_dunder(vm, obj_type(vm, self), NAME(vm, __len__), &user);
  if (IS_UNDEF(f)) {
    exc_raise(vm, EXC(vm, TypeError), "object of type '%s' has no len()", obj_type_name(vm, self));
    return -1;
  }
  Value r = call_dunder0(vm, f, self);
  if (IS_UNDEF(r)) return -1;
  if (!IS_INTLIKE(r)) {
    exc_raise(vm, EXC(vm, TypeError), "'%s' object cannot be interpreted as an integer",
              obj_type_name(vm, r));
    return -1;
  }
  if (AS_INTLIKE(r) < 0) {
    exc_raise(vm, EXC(vm, ValueError), "__len__() should return >= 0");
    return -1;
  }
  return AS_INTLIKE(r);
}

static Value slot_getitem(VM *vm, Value self, Value key) {
  bool user;
  Value f = find_dunder(vm, obj_type(vm, self), NAME(vm, __getitem__), &user);
  if (IS_UNDEF(f))
    return exc_raise(vm, EXC(vm, TypeError), "'%s' object is not subscriptable",
                     obj_type_name(vm, self));
  return call_dunder1(vm, f, self, key);
}

static int slot_setitem(VM *vm, Value self, Value key, Value value) {
  bool user;
  bool del = IS_UNDEF(value);
  StrObj *name = del ? NAME(vm, __delitem__) : NAME(vm, __setitem__);
  Value f = find_dunder(vm, obj_type(vm, self), name, &user);
  if (IS_UNDEF(f)) {
    exc_raise(vm, EXC(vm, AttributeError), "%U", name);
    return -1;
  }
  Value args[2] = {key, value};
  Value r = call_with_self(vm, f, self, args, del ? 1 : 2, NULL);
  return IS_UNDEF(r) ? -1 : 0;
}

static int slot_contains(VM *vm, Value self, Value item) {
  bool user;
  Value f = find_dunder(vm, obj_type(vm, self), NAME(vm, __contains__), &user);
  if (IS_UNDEF(f)) {
    exc_raise(vm, EXC(vm, TypeError), "argument of type '%s' is not iterable", obj_type_name(vm, self));
    return -1;
  }
  Value r = call_dunder1(vm, f, self, item);
  return IS_UNDEF(r) ? -1 : obj_truthy(vm, r);
}

static int slot_truth(VM *vm, Value self) {
  bool user;
  Type *t = obj_type(vm, self);
  Value f = find_dunder(vm, t, NAME(vm, __bool__), &user);
  if (!user) {
    Type *b = c_slot_base(t);
    if (b->truth) return b->truth(vm, self);
    if (t->len) {
      int64_t n = t->len(vm, self);
      return n < 0 ? -1 : n > 0;
    }
    return 1;
  }
  Value r = call_dunder0(vm, f, self);
  if (IS_UNDEF(r)) return -1;
  if (!IS_BOOL(r)) {
    exc_raise(vm, EXC(vm, TypeError), "__bool__ should return bool, returned %s", obj_type_name(vm, r));
    return -1;
  }
  return AS_BOOL(r);
}

/* ---- instantiation ---- */

/* Calling a class: __new__ (a class's own, implicitly static), then
** __init__ when __new__ returned an instance of the class. object's
** __new__/__init__ are not called through Python: their only work is the
** "A() takes no arguments" check and the allocation. */
static Value class_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  bool user_new, user_init;
  Value newf = find_dunder(vm, type, NAME(vm, __new__), &user_new);
  Value initf = find_dunder(vm, type, NAME(vm, __init__), &user_init);
  bool has_args = nargs > 0 || (kwnames && kwnames->len > 0);
  Type *base = type_builtin_base(type);
  Value self;
  if (user_new) {
    if (IS_STATICMETHOD(newf)) newf = AS_WRAPPER(newf)->func;
    self = call_with_self(vm, newf, v_obj(type), args, nargs, kwnames);
    if (IS_UNDEF(self)) return self;
    if (!type_is_subtype(obj_type(vm, self), type)) return self;
  } else if (base == vm->t_object) {
    if (has_args && !user_init)
      return exc_raise(vm, EXC(vm, TypeError), "%U() takes no arguments", type->name);
    InstanceObj *o = instance_new(vm, type);
    if (!o) return V_UNDEF;
    self = v_obj(o);
  } else if (type->layout == K_EXC && user_init) {
    /* BaseException.__new__'s part; the class's __init__ runs below */
    TupleObj *a = tuple_from(vm, args, nargs);
    ExcObj *e = a ? exc_new(vm, type, a) : NULL;
    if (!e) return V_UNDEF;
    self = v_obj(e);
  } else {
    /* the builtin base makes the instance, and runs __init__ itself for a
    ** C class (wy_class); an exception class without __init__ is done */
    if (!base->construct)
      return exc_raise(vm, EXC(vm, TypeError), "cannot create '%U' instances", type->name);
    return base->construct(vm, type, args, nargs, kwnames);
  }
  if (!user_init) return self;
  gc_push_root(vm, self);
  Value r = call_with_self(vm, initf, self, args, nargs, kwnames);
  gc_pop_roots(vm, 1);
  if (IS_UNDEF(r)) return r;
  if (!IS_NONE(r))
    return exc_raise(vm, EXC(vm, TypeError), "__init__() should return None, not '%s'",
                     obj_type_name(vm, r));
  return self;
}

/* The VM's inline instantiation: a plain class (no metaclass, no __new__,
** object as its builtin base) whose __init__ is a Python function can be
** made by allocating the instance and pushing __init__ as an ordinary
** frame, exactly what class_construct would do through a C re-entry. */
static FuncObj *find_fast_init(VM *vm, Type *t) {
  if (t->construct != class_construct || t->obj.type != vm->t_type || t->layout != K_INSTANCE ||
      (t->flags & (TF_HOST | TF_ABSTRACT_NEW)))
    return NULL;
  if (type_builtin_base(t) != vm->t_object) return NULL;
  bool user;
  find_dunder(vm, t, NAME(vm, __new__), &user);
  if (user) return NULL;
  Value init = find_dunder(vm, t, NAME(vm, __init__), &user);
  return user && IS_FUNC(init) ? AS_FUNC(init) : NULL;
}

FuncObj *class_fast_init(VM *vm, Type *t) {
  /* remembered per class version: any change to the class, an ancestor
  ** or its metaclass-relevant slots bumps the version */
  if (!(t->obj.flags & TYPE_OBJ_EXT)) return find_fast_init(vm, t);
  TypeExt *x = TYPE_EXT(t);
  if (x->init_version != t->version || x->init_version == 0) {
    x->init = find_fast_init(vm, t);
    x->init_version = t->version;
  }
  return x->init;
}

/* ---- slots of a class ---- */

void class_install_slots(VM *vm, Type *t) {
  Type *b = type_builtin_base(t);
  size_t off = offsetof(Type, repr);
  memcpy((char *)t + off, (char *)b + off, sizeof(Type) - off);
  if (class_defines(vm, t, NAME(vm, __repr__))) t->repr = slot_repr;
  if (class_defines(vm, t, NAME(vm, __str__))) t->str = slot_str;
  if (class_defines(vm, t, NAME(vm, __hash__))) t->hash = slot_hash;
  for (int op = CMP_LT; op <= CMP_GE; op++)
    if (class_defines(vm, t, cmp_dunder(vm, op))) t->richcmp = slot_richcmp;
  if (class_defines(vm, t, NAME(vm, __call__))) t->call = slot_call;
  t->flags &= ~(uint32_t)TF_HAS_GETATTR;
  if (class_defines(vm, t, NAME(vm, __getattr__))) t->flags |= TF_HAS_GETATTR;
  /* a builtin base with its own getattr (exceptions) runs __getattr__ itself */
  bool generic_base = !b->getattr || b->getattr == generic_getattr;
  if (((t->flags & TF_HAS_GETATTR) && generic_base) ||
      class_defines(vm, t, NAME(vm, __getattribute__)))
    t->getattr = slot_getattr;
  else if (!t->getattr)
    t->getattr = generic_getattr;
  if (class_defines(vm, t, NAME(vm, __setattr__)) || class_defines(vm, t, NAME(vm, __delattr__)))
    t->setattr = slot_setattr;
  else if (!t->setattr)
    t->setattr = generic_setattr;
  if (class_defines(vm, t, NAME(vm, __iter__))) t->iter = slot_iter;
  if (class_defines(vm, t, NAME(vm, __next__))) t->next = slot_next;
  if (class_defines(vm, t, NAME(vm, __len__))) t->len = slot_len;
  if (class_defines(vm, t, NAME(vm, __getitem__))) t->getitem = slot_getitem;
  if (class_defines(vm, t, NAME(vm, __setitem__)) || class_defines(vm, t, NAME(vm, __delitem__)))
    t->setitem = slot_setitem;
  if (class_defines(vm, t, NAME(vm, __contains__))) t->contains = slot_contains;
  if (class_defines(vm, t, NAME(vm, __bool__))) t->truth = slot_truth;
  /* a C class (wy_class) keeps the construct withy.h gave it */
  if (!(t->flags & TF_HOST)) t->construct = class_construct;
}

static void bump_version(ObjModelState *st, Type *t) {
  if (st->next_version < 2) st->next_version = 2; /* 0 and 1 are never a class's */
  t->version = st->next_version++;
}

static bool is_dunder(StrObj *name) {
  const char *s = STR_CSTR(name);
  return name->len > 4 && s[0] == '_' && s[1] == '_' && s[name->len - 1] == '_' &&
         s[name->len - 2] == '_';
}

void class_attr_changed(VM *vm, Type *t, StrObj *name) {
  ObjModelState *st = objmodel_state(vm);
  bool slots = !name || is_dunder(name);
  bump_version(st, t);
  if (slots && (t->flags & (TF_HEAP | TF_HOST))) class_install_slots(vm, t);
  if (!(t->obj.flags & TYPE_OBJ_EXT) || !TYPE_EXT(t)->has_subclasses) return;
  for (int i = 0; i < st->nclasses; i++) {
    Type *k = st->classes[i];
    if (!k || k == t || !type_is_subtype(k, t)) continue;
    bump_version(st, k);
    if (slots) class_install_slots(vm, k);
  }
}

void type_modified(VM *vm, Type *t) { class_attr_changed(vm, t, NULL); }

/* ---- creating a class ---- */

/* CPython's instance layouts that differ between builtin exception
** classes (extra C fields): two bases whose layouts are unrelated conflict */
static Type *exception_solid_base(VM *vm, Type *t) {
  for (Type *k = t; k; k = k->base) {
    if (k == EXC(vm, SystemExit) || k == EXC(vm, ImportError) || k == EXC(vm, OSError) ||
        k == EXC(vm, SyntaxError) || k == EXC(vm, StopIteration) || k == EXC(vm, UnicodeError) ||
        k == EXC(vm, AttributeError) || k == EXC(vm, NameError) || k == EXC(vm, BaseException))
      return k;
  }
  return t;
}

static Type *solid_base(VM *vm, Type *t) {
  Type *b = type_builtin_base(t);
  return (b->flags & TF_EXCEPTION) ? exception_solid_base(vm, b) : b;
}

/* withy subclasses object, classes, exceptions and C-defined classes
** (wy_class) only; other builtins CPython can subclass get withy's own
** message (a documented difference), the rest CPython's */
static int check_base(VM *vm, Type *base) {
  if ((base->flags & TF_HEAP) || base == vm->t_object || (base->flags & TF_EXCEPTION)) return 0;
  if (base->layout == K_FOREIGN && (base->flags & TF_BASETYPE)) return 0;
  Type *cpython_basetypes[] = {vm->t_int, vm->t_float, vm->t_str, vm->t_bytes, vm->t_tuple,
                               vm->t_list, vm->t_dict, vm->t_set, vm->t_frozenset,
                               vm->t_property, vm->t_staticmethod, vm->t_classmethod,
                               vm->t_super, vm->t_type, vm->t_module};
  bool cpython_basetype = (base->flags & TF_BASETYPE) != 0;
  for (size_t i = 0; i < sizeof cpython_basetypes / sizeof *cpython_basetypes; i++)
    cpython_basetype = cpython_basetype || base == cpython_basetypes[i];
  if (cpython_basetype)
    exc_raise(vm, EXC(vm, TypeError), "withy does not support subclassing the builtin type '%U'",
              base->name);
  else
    exc_raise(vm, EXC(vm, TypeError), "type '%U' is not an acceptable base type", base->name);
  return -1;
}

/* the base that fixes the instance layout (CPython's best_base) */
static Type *best_base(VM *vm, TupleObj *bases) {
  Type *winner = NULL, *best = NULL;
  for (int64_t i = 0; i < bases->len; i++) {
    Type *b = AS_TYPE(bases->items[i]);
    Type *s = solid_base(vm, b);
    if (!winner) {
      winner = s;
      best = b;
    } else if (type_is_subtype(winner, s)) {
      /* keep */
    } else if (type_is_subtype(s, winner)) {
      winner = s;
      best = b;
    } else {
      exc_raise(vm, EXC(vm, TypeError), "multiple bases have instance lay-out conflict");
      return NULL;
    }
  }
  return best;
}

static void mro_error(VM *vm, TupleObj **seqs, int64_t *pos, int nseq) {
  SBuf b;
  sbuf_init(&b);
  sbuf_adds(&b, "Cannot create a consistent method resolution\norder (MRO) for bases");
  Obj *seen[64];
  int nseen = 0;
  for (int i = 0; i < nseq; i++) {
    if (pos[i] >= seqs[i]->len) continue;
    Obj *h = AS_OBJ(seqs[i]->items[pos[i]]);
    bool dup = false;
    for (int j = 0; j < nseen; j++) dup = dup || seen[j] == h;
    if (!dup && nseen < 64) seen[nseen++] = h;
  }
  for (int j = 0; j < nseen; j++) {
    sbuf_addc(&b, ' ');
    sbuf_adds(&b, STR_CSTR(((Type *)seen[j])->name));
    if (j + 1 < nseen) sbuf_addc(&b, ',');
  }
  sbuf_addc(&b, '\0');
  exc_raise(vm, EXC(vm, TypeError), "%s", b.data);
  sbuf_free(&b);
}

static bool in_tail(TupleObj **seqs, int64_t *pos, int nseq, Value v) {
  for (int j = 0; j < nseq; j++)
    for (int64_t k = pos[j] + 1; k < seqs[j]->len; k++)
      if (AS_OBJ(seqs[j]->items[k]) == AS_OBJ(v)) return true;
  return false;
}

/* C3 linearization: t, then the merge of the bases' MROs and the bases */
static TupleObj *c3_mro(VM *vm, Type *t, TupleObj *bases) {
  if (bases->len == 1) {
    TupleObj *bm = AS_TYPE(bases->items[0])->mro;
    TupleObj *mro = tuple_new(vm, 1 + bm->len);
    if (!mro) return NULL;
    mro->items[0] = v_obj(t);
    for (int64_t i = 0; i < bm->len; i++) mro->items[1 + i] = bm->items[i];
    return mro;
  }
  int nseq = (int)bases->len + 1;
  int64_t total = 1;
  size_t meta = (size_t)nseq * (sizeof(TupleObj *) + sizeof(int64_t));
  TupleObj **seqs = gc_malloc(vm, meta);
  if (!seqs) return NULL;
  int64_t *pos = (int64_t *)(seqs + nseq);
  for (int i = 0; i < nseq - 1; i++) {
    seqs[i] = AS_TYPE(bases->items[i])->mro;
    total += seqs[i]->len;
  }
  seqs[nseq - 1] = bases;
  total += bases->len;
  memset(pos, 0, (size_t)nseq * sizeof(int64_t));
  Value *out = gc_malloc(vm, (size_t)total * sizeof(Value));
  TupleObj *mro = NULL;
  if (!out) goto done;
  int64_t n = 0;
  out[n++] = v_obj(t);
  for (;;) {
    bool any = false;
    Value cand = V_UNDEF;
    for (int i = 0; i < nseq; i++) {
      if (pos[i] >= seqs[i]->len) continue;
      any = true;
      Value h = seqs[i]->items[pos[i]];
      if (!in_tail(seqs, pos, nseq, h)) {
        cand = h;
        break;
      }
    }
    if (!any) break;
    if (IS_UNDEF(cand)) {
      mro_error(vm, seqs, pos, nseq);
      goto done;
    }
    out[n++] = cand;
    for (int i = 0; i < nseq; i++)
      if (pos[i] < seqs[i]->len && AS_OBJ(seqs[i]->items[pos[i]]) == AS_OBJ(cand)) pos[i]++;
  }
  mro = tuple_from(vm, out, n);
done:
  if (out) gc_free(vm, out, (size_t)total * sizeof(Value));
  gc_free(vm, seqs, meta);
  return mro;
}

static int check_bases(VM *vm, TupleObj *bases) {
  for (int64_t i = 0; i < bases->len; i++) {
    Value b = bases->items[i];
    if (!IS_TYPE(b)) {
      exc_raise(vm, EXC(vm, TypeError), "bases must be types");
      return -1;
    }
    if (check_base(vm, AS_TYPE(b)) < 0) return -1;
    for (int64_t j = 0; j < i; j++)
      if (AS_OBJ(bases->items[j]) == AS_OBJ(b)) {
        exc_raise(vm, EXC(vm, TypeError), "duplicate base class %U", AS_TYPE(b)->name);
        return -1;
      }
  }
  return 0;
}

/* __new__ is implicitly a staticmethod, __init_subclass__ and
** __class_getitem__ implicitly classmethods */
static int wrap_implicit(VM *vm, DictObj *d, StrObj *name, ObjKind kind) {
  Value f = dict_get_str(vm, d, name);
  if (!IS_FUNC(f)) return 0;
  WrapperObj *w = wrapper_new(vm, kind, f);
  return w ? dict_set_str(vm, d, name, v_obj(w)) : -1;
}

static int prepare_namespace(VM *vm, Type *t, DictObj *d) {
  if (!IS_UNDEF(dict_get_str(vm, d, NAME(vm, __slots__)))) {
    exc_raise(vm, EXC(vm, NotImplementedError), "__slots__ is not supported by withy");
    return -1;
  }
  Value qn = dict_get_str(vm, d, NAME(vm, __qualname__));
  if (!IS_UNDEF(qn)) {
    if (!IS_STR(qn)) {
      exc_raise(vm, EXC(vm, TypeError), "type __qualname__ must be a str, not %s",
                obj_type_name(vm, qn));
      return -1;
    }
    t->qualname = AS_STR(qn);
    if (dict_del(vm, d, v_obj(NAME(vm, __qualname__))) < 0) return -1;
  }
  Value mod = dict_get_str(vm, d, NAME(vm, __module__));
  if (IS_STR(mod)) t->module = AS_STR(mod);
  if (IS_UNDEF(dict_get_str(vm, d, NAME(vm, __doc__))) && dict_set_str(vm, d, NAME(vm, __doc__), V_NONE) < 0)
    return -1;
  /* a class that defines == but not hash() is unhashable */
  if (!IS_UNDEF(dict_get_str(vm, d, NAME(vm, __eq__))) &&
      IS_UNDEF(dict_get_str(vm, d, NAME(vm, __hash__))) &&
      dict_set_str(vm, d, NAME(vm, __hash__), V_NONE) < 0)
    return -1;
  if (wrap_implicit(vm, d, NAME(vm, __new__), K_STATICMETHOD) < 0 ||
      wrap_implicit(vm, d, NAME(vm, __init_subclass__), K_CLASSMETHOD) < 0 ||
      wrap_implicit(vm, d, NAME(vm, __class_getitem__), K_CLASSMETHOD) < 0)
    return -1;
  return 0;
}

Type *type_new_class(VM *vm, StrObj *name, TupleObj *bases, DictObj *ns) {
  if (bases->len == 0) {
    bases = tuple_pack(vm, 1, v_obj(vm->t_object));
    if (!bases) return NULL;
  }
  if (check_bases(vm, bases) < 0) return NULL;
  Type *best = best_base(vm, bases);
  if (!best) return NULL;
  Type *t = type_alloc(vm);
  if (!t) return NULL;
  gc_push_root(vm, v_obj(t));
  Type *solid = type_builtin_base(best);
  t->name = name;
  t->qualname = name;
  t->base = best;
  t->bases = bases;
  t->flags = TF_HEAP | TF_BASETYPE | (solid->flags & TF_EXCEPTION);
  t->layout = (solid->flags & TF_EXCEPTION) ? K_EXC : solid->layout;
  bump_version(objmodel_state(vm), t);
  TypeExt *x = TYPE_EXT(t);
  x->cache = gc_malloc(vm, TYPE_CACHE_SIZE * sizeof(TypeCacheEntry));
  Type *result = NULL;
  if (!x->cache) goto out;
  memset(x->cache, 0, TYPE_CACHE_SIZE * sizeof(TypeCacheEntry));
  t->dict = dict_copy(vm, ns);
  if (!t->dict || prepare_namespace(vm, t, t->dict) < 0) goto out;
  t->mro = c3_mro(vm, t, bases);
  if (!t->mro) goto out;
  for (int64_t i = 0; i < bases->len; i++) {
    Type *b = AS_TYPE(bases->items[i]);
    if (b->obj.flags & TYPE_OBJ_EXT) TYPE_EXT(b)->has_subclasses = true;
  }
  class_install_slots(vm, t);
  if (type_register_class(vm, t) < 0) goto out;
  result = t;
out:
  gc_pop_roots(vm, 1);
  return result;
}

/* attr.__set_name__(cls, name) for the class attributes that define it */
static int set_names(VM *vm, Type *cls) {
  int64_t pos = 0;
  Value k, v;
  bool any = false;
  while (dict_next(cls->dict, &pos, &k, &v))
    any = any || (IS_OBJ(v) && (AS_OBJ(v)->type->flags & TF_HEAP));
  if (!any) return 0;
  /* the calls may change the class dict: walk a copy */
  DictObj *copy = dict_copy(vm, cls->dict);
  if (!copy) return -1;
  gc_push_root(vm, v_obj(copy));
  int rc = 0;
  pos = 0;
  while (rc == 0 && dict_next(copy, &pos, &k, &v)) {
    if (!IS_OBJ(v) || !(AS_OBJ(v)->type->flags & TF_HEAP)) continue;
    Value f = type_lookup(vm, AS_OBJ(v)->type, NAME(vm, __set_name__));
    if (IS_UNDEF(f)) continue;
    Value args[2] = {v_obj(cls), k};
    if (IS_UNDEF(call_with_self(vm, f, v, args, 2, NULL))) rc = -1;
  }
  gc_pop_roots(vm, 1);
  return rc;
}

/* the end of class creation: __set_name__ on the attributes, then
** super(cls, cls).__init_subclass__(**kw) */
int class_init_subclass(VM *vm, Type *cls, Value *kwvalues, TupleObj *kwnames) {
  if (set_names(vm, cls) < 0) return -1;
  TupleObj *mro = cls->mro;
  Value f = V_UNDEF;
  Type *owner = NULL;
  for (int64_t i = 1; i < mro->len && IS_UNDEF(f); i++) {
    owner = AS_TYPE(mro->items[i]);
    f = dict_get_str(vm, owner->dict, NAME(vm, __init_subclass__));
  }
  if (IS_UNDEF(f)) return 0;
  bool nokw = !kwnames || kwnames->len == 0;
  if (nokw && owner == vm->t_object) return 0; /* object's does nothing */
  Value bound = descr_bind(vm, f, V_UNDEF, cls);
  if (IS_UNDEF(bound)) return -1;
  gc_push_root(vm, bound);
  Value r = obj_call(vm, bound, kwvalues, 0, nokw ? NULL : kwnames);
  gc_pop_roots(vm, 1);
  return IS_UNDEF(r) ? -1 : 0;
}

/* __build_class__(func, name, *bases, **kw): the class statement */
Value builtin_build_class(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (nargs < 2) return exc_raise(vm, EXC(vm, TypeError), "__build_class__: not enough arguments");
  if (!IS_FUNC(args[0]))
    return exc_raise(vm, EXC(vm, TypeError), "__build_class__: func must be a function");
  if (!IS_STR(args[1]))
    return exc_raise(vm, EXC(vm, TypeError), "__build_class__: name is not a string");
  if (kwnames)
    for (int64_t i = 0; i < kwnames->len; i++)
      if (strcmp(STR_CSTR(AS_STR(kwnames->items[i])), "metaclass") == 0)
        return exc_raise(vm, EXC(vm, TypeError), "metaclasses are not supported by withy");
  FuncObj *body = AS_FUNC(args[0]);
  TupleObj *bases = tuple_from(vm, args + 2, nargs - 2);
  if (!bases) return V_UNDEF;
  gc_push_root(vm, v_obj(bases));
  DictObj *ns = dict_new(vm);
  Value result = V_UNDEF;
  int nroots = 1;
  if (!ns) goto out;
  gc_push_root(vm, v_obj(ns));
  nroots++;
  /* what CPython's compiler puts at the top of every class body */
  Value mod = body->globals ? dict_get_str(vm, body->globals, NAME(vm, __name__)) : V_UNDEF;
  if (!IS_UNDEF(mod) && dict_set_str(vm, ns, NAME(vm, __module__), mod) < 0) goto out;
  if (body->qualname && dict_set_str(vm, ns, NAME(vm, __qualname__), v_obj(body->qualname)) < 0)
    goto out;
  Value cell = vm_run_class_body(vm, body, ns);
  if (IS_UNDEF(cell)) goto out;
  gc_push_root(vm, cell);
  nroots++;
  Type *cls = type_new_class(vm, AS_STR(args[1]), bases, ns);
  if (!cls) goto out;
  if (IS_CELL(cell)) AS_CELL(cell)->value = v_obj(cls);
  gc_push_root(vm, v_obj(cls));
  nroots++;
  if (class_init_subclass(vm, cls, args + nargs, kwnames) < 0) goto out;
  result = v_obj(cls);
out:
  gc_pop_roots(vm, nroots);
  return result;
}
