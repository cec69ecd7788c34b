/* super.c — super(): the two-argument form, the zero-argument form (which
** reads the calling frame's first argument and its __class__ cell), and
** attribute lookup that starts after a class in the instance's MRO. */
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

/* super() in a method: the method's first argument (maybe moved into a
** cell because a closure captures it) and the __class__ cell the compiler
** made for the class body. vm->frame is the caller's frame while a native
** runs (natives get no frame of their own). */
static int zero_arg_super(VM *vm, Type **type, Value *obj) {
  Frame *f = vm->frame;
  if (!f || !f->code)
    return exc_raise(vm, EXC(vm, RuntimeError), "super(): no current frame"), -1;
  CodeObj *c = f->code;
  if (c->argcount == 0)
    return exc_raise(vm, EXC(vm, RuntimeError), "super(): no arguments"), -1;
  Value first = c->nlocals > 0 ? FRAME_LOCALS(f)[0] : V_UNDEF;
  for (int32_t k = 0; c->cell2arg && k < c->ncells; k++)
    if (c->cell2arg[k] == 0) {
      Value cell = FRAME_CELLS(f)[k];
      if (IS_CELL(cell)) first = AS_CELL(cell)->value;
    }
  if (IS_UNDEF(first))
    return exc_raise(vm, EXC(vm, RuntimeError), "super(): arg[0] deleted"), -1;
  for (int32_t i = 0; i < c->nfrees; i++) {
    if (!str_equal(c->freenames[i], NAME(vm, __class__))) continue;
    Value cell = FRAME_CELLS(f)[c->ncells + i];
    Value cls = IS_CELL(cell) ? AS_CELL(cell)->value : V_UNDEF;
    if (IS_UNDEF(cls))
      return exc_raise(vm, EXC(vm, RuntimeError), "super(): empty __class__ cell"), -1;
    if (!IS_TYPE(cls))
      return exc_raise(vm, EXC(vm, RuntimeError), "super(): __class__ is not a type (%s)",
                       obj_type_name(vm, cls)), -1;
    *type = AS_TYPE(cls);
    *obj = first;
    return 0;
  }
  return exc_raise(vm, EXC(vm, RuntimeError), "super(): __class__ cell not found"), -1;
}

/* the type whose MRO is searched: obj's class, or obj itself for
** super() in a classmethod */
static Type *super_check(VM *vm, Type *type, Value obj) {
  if (IS_TYPE(obj) && type_is_subtype(AS_TYPE(obj), type)) return AS_TYPE(obj);
  Type *t = obj_type(vm, obj);
  if (type_is_subtype(t, type)) return t;
  exc_raise(vm, EXC(vm, TypeError), "super(type, obj): obj must be an instance or subtype of type");
  return NULL;
}

Value builtin_super(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (kwnames && kwnames->len > 0)
    return exc_raise(vm, EXC(vm, TypeError), "super() takes no keyword arguments");
  if (nargs > 2)
    return exc_raise(vm, EXC(vm, TypeError), "super() expected at most 2 arguments, got %d", nargs);
  Type *type;
  Value obj = V_UNDEF;
  if (nargs == 0) {
    if (zero_arg_super(vm, &type, &obj) < 0) return V_UNDEF;
  } else {
    if (!IS_TYPE(args[0]))
      return exc_raise(vm, EXC(vm, TypeError), "super() argument 1 must be a type, not %s",
                       obj_type_name(vm, args[0]));
    type = AS_TYPE(args[0]);
    if (nargs == 2 && !IS_NONE(args[1])) obj = args[1];
  }
  Type *self_type = NULL;
  if (!IS_UNDEF(obj)) {
    self_type = super_check(vm, type, obj);
    if (!self_type) return V_UNDEF;
  }
  SuperObj *s = gc_alloc_obj(vm, sizeof(SuperObj), K_SUPER, vm->t_super);
  if (!s) return V_UNDEF;
  s->type = type;
  s->self = obj;
  s->self_type = self_type;
  return v_obj(s);
}

static Value super_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  return builtin_super(vm, args, nargs, kwnames);
}

/* Look `name` up in the classes after s->type in the MRO of s->self_type.
** Functions bind to the instance (or stay plain when super() was given a
** class), classmethods to the class, properties run their getter. */
static Value super_lookup(VM *vm, SuperObj *s, StrObj *name) {
  Type *start = s->self_type;
  if (!start || name == NAME(vm, __class__)) return V_UNDEF;
  TupleObj *mro = start->mro;
  int64_t i = 0;
  while (i < mro->len && AS_OBJ(mro->items[i]) != &s->type->obj) i++;
  for (i++; i < mro->len; i++) {
    Type *k = AS_TYPE(mro->items[i]);
    Value v = dict_get_str(vm, k->dict, name);
    if (IS_UNDEF(v)) continue;
    bool on_class = IS_TYPE(s->self) && AS_OBJ(s->self) == &start->obj;
    if (IS_PROPERTY(v)) return on_class ? v : property_get(vm, v, s->self, name);
    return descr_bind(vm, v, on_class ? V_UNDEF : s->self, start);
  }
  return V_UNDEF;
}

static Value super_getattr(VM *vm, Value self, StrObj *name) {
  SuperObj *s = (SuperObj *)AS_OBJ(self);
  if (!(name->obj.flags & STR_INTERNED)) {
    name = str_intern(vm, STR_CSTR(name), (size_t)name->len);
    if (!name) return V_UNDEF;
  }
  Value v = super_lookup(vm, s, name);
  if (!IS_UNDEF(v) || exc_pending(vm)) return v;
  const char *n = STR_CSTR(name);
  if (name == NAME(vm, __class__)) return v_obj(vm->t_super);
  if (strcmp(n, "__thisclass__") == 0) return v_obj(s->type);
  if (strcmp(n, "__self__") == 0) return IS_UNDEF(s->self) ? V_NONE : s->self;
  if (strcmp(n, "__self_class__") == 0) return s->self_type ? v_obj(s->self_type) : V_NONE;
  return generic_getattr(vm, self, name);
}

static Value super_repr(VM *vm, Value self) {
  SuperObj *s = (SuperObj *)AS_OBJ(self);
  StrObj *r = s->self_type
                  ? str_format_c(vm, "<super: <class '%U'>, <%U object>>", s->type->name,
                                 s->self_type->name)
                  : str_format_c(vm, "<super: <class '%U'>, NULL>", s->type->name);
  return r ? v_obj(r) : V_UNDEF;
}

void super_type_init(VM *vm) {
  Type *t = type_new_builtin(vm, "super", NULL, K_SUPER, TF_BASETYPE);
  if (!t) return;
  t->construct = super_construct;
  t->getattr = super_getattr;
  t->repr = super_repr;
  t->hash = object_hash_identity;
  vm->t_super = t;
}
