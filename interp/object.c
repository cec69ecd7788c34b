/* object.c — the generic object protocol (object.h) that the VM, the
** builtins and the stdlib use on any value: type, repr/str, hash,
** truth, comparisons and operators (with reflected and in-place dunders),
** containment, isinstance/issubclass, attribute access with descriptors,
** method lookup without bound-method allocation, subscripts, len and
** iteration. Calls (obj_call*) live in call.c. */
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "type.h"
#include "func.h"
#include "num.h"
#include "str.h"
#include "bytes.h"
#include "list.h"
#include "tuple.h"
#include "dict.h"
#include "set.h"
#include "iter.h"
#include "module.h"
#include "exc.h"

/* ---- types ---- */

Type *obj_type(VM *vm, Value v) {
  switch (v.tag) {
    case VT_OBJ: return AS_OBJ(v)->type;
    case VT_INT: return vm->t_int;
    case VT_BOOL: return vm->t_bool;
    case VT_FLOAT: return vm->t_float;
    default: return vm->t_NoneType;
  }
}

const char *obj_type_name(VM *vm, Value v) { return STR_CSTR(obj_type(vm, v)->name); }

bool type_is_subtype(Type *t, Type *base) {
  if (t == base) return true;
  TupleObj *mro = t->mro;
  if (mro) {
    for (int64_t i = 1; i < mro->len; i++)
      if (AS_OBJ(mro->items[i]) == &base->obj) return true;
    return false;
  }
  for (Type *k = t->base; k; k = k->base)
    if (k == base) return true;
  return false;
}

/* ---- repr, str, hash, truth ---- */

Value obj_repr(VM *vm, Value v) {
  Type *t = obj_type(vm, v);
  ReprFn f = t->repr ? t->repr : vm->t_object->repr;
  return f(vm, v);
}

Value obj_str(VM *vm, Value v) {
  if (IS_STR(v)) return v;
  Type *t = obj_type(vm, v);
  if (t->str) return t->str(vm, v);
  return obj_repr(vm, v);
}

int obj_hash(VM *vm, Value v, int64_t *out) {
  switch (v.tag) {
    case VT_INT: case VT_BOOL: case VT_FLOAT:
      return num_hash(v, out);
    case VT_OBJ:
      if (IS_STR(v)) {
        *out = str_hash(AS_STR(v));
        return 0;
      }
      break;
    default:
      break;
  }
  Type *t = obj_type(vm, v);
  if (t->hash) return t->hash(vm, v, out);
  /* CPython inherits object's hash only together with object's == */
  if (!t->richcmp && IS_OBJ(v)) return object_hash_identity(vm, v, out);
  exc_raise(vm, EXC(vm, TypeError), "unhashable type: '%s'", obj_type_name(vm, v));
  return -1;
}

int obj_truthy(VM *vm, Value v) {
  switch (v.tag) {
    case VT_BOOL: return AS_BOOL(v);
    case VT_INT: return AS_INT(v) != 0;
    case VT_FLOAT: return AS_FLOAT(v) != 0.0;
    case VT_OBJ: break;
    default: return 0;
  }
  switch (OBJ_KIND(v)) {
    case K_STR: return AS_STR(v)->len > 0;
    case K_LIST: return AS_LIST(v)->len > 0;
    case K_TUPLE: return AS_TUPLE(v)->len > 0;
    case K_DICT: return AS_DICT(v)->len > 0;
    default: break;
  }
  Type *t = obj_type(vm, v);
  if (t->truth) return t->truth(vm, v);
  if (t->len) {
    int64_t n = t->len(vm, v);
    return n < 0 ? -1 : n > 0;
  }
  return 1;
}

/* ---- comparisons ---- */

static const char *const cmp_symbols[] = {"<", "<=", "==", "!=", ">", ">="};
static const CmpOp cmp_swapped[] = {CMP_GT, CMP_GE, CMP_EQ, CMP_NE, CMP_LT, CMP_LE};

/* Rich comparison: a subclass's reflected method first when type(b) is a
** subclass of type(a), then a's, then b's reflected; when both say
** NotImplemented, == and != fall back to identity. */
Value obj_richcmp(VM *vm, Value a, Value b, CmpOp op) {
  if (IS_NUMBER(a) && IS_NUMBER(b)) return num_richcmp(vm, a, b, op);
  Type *ta = obj_type(vm, a), *tb = obj_type(vm, b);
  bool reflected_done = false;
  Value r;
  if (ta != tb && tb->richcmp && type_is_subtype(tb, ta)) {
    reflected_done = true;
    r = tb->richcmp(vm, b, a, cmp_swapped[op]);
    if (!IS_NOTIMPL(vm, r)) return r;
  }
  if (ta->richcmp) {
    r = ta->richcmp(vm, a, b, op);
    if (!IS_NOTIMPL(vm, r)) return r;
  }
  if (!reflected_done && tb->richcmp) {
    r = tb->richcmp(vm, b, a, cmp_swapped[op]);
    if (!IS_NOTIMPL(vm, r)) return r;
  }
  if (op == CMP_EQ) return v_bool(v_is(a, b));
  if (op == CMP_NE) return v_bool(!v_is(a, b));
  return exc_raise(vm, EXC(vm, TypeError), "'%s' not supported between instances of '%s' and '%s'",
                   cmp_symbols[op], obj_type_name(vm, a), obj_type_name(vm, b));
}

int obj_eq(VM *vm, Value a, Value b) {
  if (v_is(a, b)) return 1;
  if (IS_INT(a) && IS_INT(b)) return 0;
  if (IS_STR(a) && IS_STR(b)) return str_equal(AS_STR(a), AS_STR(b));
  Value r = obj_richcmp(vm, a, b, CMP_EQ);
  if (IS_UNDEF(r)) return -1;
  if (IS_BOOL(r)) return AS_BOOL(r);
  return obj_truthy(vm, r);
}

/* ---- binary and unary operators ---- */

static const char *const binop_symbols[BIN_COUNT] = {"+", "-", "*", "/", "//", "%", "**",
                                                     "<<", ">>", "&", "|", "^", "@"};

static StrObj *binop_dunder(VM *vm, int op, int form /* 0 forward, 1 reflected, 2 in-place */) {
#define BINOP_ROW(n) {NAME(vm, __##n##__), NAME(vm, __r##n##__), NAME(vm, __i##n##__)}
  StrObj *const table[BIN_COUNT][3] = {
      BINOP_ROW(add), BINOP_ROW(sub), BINOP_ROW(mul), BINOP_ROW(truediv), BINOP_ROW(floordiv),
      BINOP_ROW(mod), BINOP_ROW(pow), BINOP_ROW(lshift), BINOP_ROW(rshift), BINOP_ROW(and),
      BINOP_ROW(or), BINOP_ROW(xor), BINOP_ROW(matmul)};
#undef BINOP_ROW
  return table[op][form];
}

/* the C implementation of an operator for a builtin operand's kind; it
** handles either operand position, and says NotImplemented otherwise */
static Value builtin_binop(VM *vm, Value which, int op, Value a, Value b) {
  if (IS_NUMBER(which)) return num_binop(vm, op >= BIN_INPLACE ? op - BIN_INPLACE : op, a, b);
  if (IS_OBJ(which)) {
    switch (OBJ_KIND(which)) {
      case K_STR: return str_binop(vm, op, a, b);
      case K_BYTES: return bytes_binop(vm, op, a, b);
      case K_LIST: return list_binop(vm, op, a, b);
      case K_TUPLE: return tuple_binop(vm, op, a, b);
      case K_DICT: return dict_binop(vm, op, a, b);
      case K_SET: return set_binop(vm, op, a, b);
      case K_ITER: return dict_view_binop(vm, op, a, b); /* keys() & other… */
      default: break;
    }
  }
  return v_obj(vm->not_implemented);
}

static Value user_binop(VM *vm, Type *t, StrObj *dunder, Value self, Value other) {
  Value f = type_lookup(vm, t, dunder);
  if (IS_UNDEF(f)) return v_obj(vm->not_implemented);
  return call_with_self(vm, f, self, &other, 1, NULL);
}

/* a op b without the in-place forms: a's method, b's reflected method,
** the subclass's reflected method first when it overrides a's */
static Value binary_protocol(VM *vm, int op, Value a, Value b, Type *ta, Type *tb) {
  bool ha = ta->flags & TF_HEAP, hb = tb->flags & TF_HEAP;
  bool b_distinct = ta != tb;
  StrObj *rname = binop_dunder(vm, op, 1);
  Value r;
  if (b_distinct && hb && type_is_subtype(tb, ta)) {
    Value fb = type_lookup(vm, tb, rname), fa = type_lookup(vm, ta, rname);
    if (!IS_UNDEF(fb) && !v_is(fa, fb)) {
      r = user_binop(vm, tb, rname, b, a);
      if (!IS_NOTIMPL(vm, r)) return r;
      b_distinct = false;
    }
  }
  r = ha ? user_binop(vm, ta, binop_dunder(vm, op, 0), a, b) : builtin_binop(vm, a, op, a, b);
  if (!IS_NOTIMPL(vm, r)) return r;
  if (!b_distinct) return r;
  return hb ? user_binop(vm, tb, rname, b, a) : builtin_binop(vm, b, op, a, b);
}

Value obj_binop(VM *vm, int op, Value a, Value b) {
  bool inplace = op >= BIN_INPLACE;
  int bop = inplace ? op - BIN_INPLACE : op;
  if (bop < 0 || bop >= BIN_COUNT) return exc_raise(vm, EXC(vm, TypeError), "bad binary operator %d", op);
  Value r;
  if (IS_NUMBER(a) && IS_NUMBER(b)) {
    r = num_binop(vm, bop, a, b);
    if (!IS_NOTIMPL(vm, r)) return r;
    goto unsupported; /* 1 @ 2 */
  }
  Type *ta = obj_type(vm, a), *tb = obj_type(vm, b);
  bool ha = ta->flags & TF_HEAP, hb = tb->flags & TF_HEAP;
  if (inplace && ha) {
    r = user_binop(vm, ta, binop_dunder(vm, bop, 2), a, b);
    if (!IS_NOTIMPL(vm, r)) return r;
  } else if (inplace && !hb) {
    /* list += iterable, set |= set…: the builtin's own in-place form */
    r = builtin_binop(vm, a, op, a, b);
    if (!IS_NOTIMPL(vm, r)) return r;
  }
  r = binary_protocol(vm, bop, a, b, ta, tb);
  if (!IS_NOTIMPL(vm, r)) return r;
  if (inplace && !ha && hb) {
    r = builtin_binop(vm, a, op, a, b);
    if (!IS_NOTIMPL(vm, r)) return r;
  }
unsupported:
  if (bop == BIN_POW && !inplace)
    return exc_raise(vm, EXC(vm, TypeError), "unsupported operand type(s) for ** or pow(): '%s' and '%s'",
                     obj_type_name(vm, a), obj_type_name(vm, b));
  return exc_raise(vm, EXC(vm, TypeError), "unsupported operand type(s) for %s%s: '%s' and '%s'",
                   binop_symbols[bop], inplace ? "=" : "", obj_type_name(vm, a), obj_type_name(vm, b));
}

Value obj_unaryop(VM *vm, UnaryOp op, Value v) {
  if (op == UN_NOT) {
    int t = obj_truthy(vm, v);
    return t < 0 ? V_UNDEF : v_bool(!t);
  }
  if (IS_NUMBER(v)) return num_unaryop(vm, op, v);
  Type *t = obj_type(vm, v);
  static const char *const symbols[] = {"-", "+", "~"};
  if (t->flags & TF_HEAP) {
    StrObj *name = op == UN_NEG ? NAME(vm, __neg__) : op == UN_POS ? NAME(vm, __pos__) : NAME(vm, __invert__);
    Value f = type_lookup(vm, t, name);
    if (!IS_UNDEF(f)) return call_with_self(vm, f, v, NULL, 0, NULL);
  }
  return exc_raise(vm, EXC(vm, TypeError), "bad operand type for unary %s: '%s'", symbols[op],
                   obj_type_name(vm, v));
}

/* ---- containment, isinstance, issubclass ---- */

int obj_contains(VM *vm, Value container, Value item) {
  Type *t = obj_type(vm, container);
  if (t->contains) return t->contains(vm, container, item);
  if (!t->iter && !t->getitem) {
    exc_raise(vm, EXC(vm, TypeError), "argument of type '%s' is not iterable",
              obj_type_name(vm, container));
    return -1;
  }
  Value it = obj_iter(vm, container);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  int found = 0;
  for (;;) {
    Value x = obj_next(vm, it);
    if (IS_UNDEF(x)) {
      found = exc_pending(vm) ? -1 : 0;
      break;
    }
    int eq = obj_eq(vm, x, item);
    if (eq != 0) {
      found = eq;
      break;
    }
  }
  gc_pop_roots(vm, 1);
  return found;
}

static int check_depth(VM *vm, int depth, const char *where) {
  if (depth <= vm->recursion_limit) return 0;
  exc_raise(vm, EXC(vm, RecursionError), "maximum recursion depth exceeded in %s", where);
  return -1;
}

static int is_instance_rec(VM *vm, Value v, Value cls, int depth) {
  if (IS_TYPE(cls)) return type_is_subtype(obj_type(vm, v), AS_TYPE(cls));
  if (IS_TUPLE(cls)) {
    if (check_depth(vm, depth, "__instancecheck__") < 0) return -1;
    TupleObj *t = AS_TUPLE(cls);
    for (int64_t i = 0; i < t->len; i++) {
      int r = is_instance_rec(vm, v, t->items[i], depth + 1);
      if (r != 0) return r;
    }
    return 0;
  }
  exc_raise(vm, EXC(vm, TypeError), "isinstance() arg 2 must be a type, a tuple of types, or a union");
  return -1;
}

int obj_is_instance(VM *vm, Value v, Value cls_or_tuple) {
  return is_instance_rec(vm, v, cls_or_tuple, 0);
}

static int is_subclass_rec(VM *vm, Type *cls, Value target, int depth) {
  if (IS_TYPE(target)) return type_is_subtype(cls, AS_TYPE(target));
  if (IS_TUPLE(target)) {
    if (check_depth(vm, depth, "__subclasscheck__") < 0) return -1;
    TupleObj *t = AS_TUPLE(target);
    for (int64_t i = 0; i < t->len; i++) {
      int r = is_subclass_rec(vm, cls, t->items[i], depth + 1);
      if (r != 0) return r;
    }
    return 0;
  }
  exc_raise(vm, EXC(vm, TypeError), "issubclass() arg 2 must be a class, a tuple of classes, or a union");
  return -1;
}

int obj_is_subclass(VM *vm, Value cls, Value cls_or_tuple) {
  if (!IS_TYPE(cls)) {
    exc_raise(vm, EXC(vm, TypeError), "issubclass() arg 1 must be a class");
    return -1;
  }
  return is_subclass_rec(vm, AS_TYPE(cls), cls_or_tuple, 0);
}

/* ---- attributes ---- */

/* where an object keeps its attribute dict, or NULL if it has none */
static DictObj **obj_dict_slot(VM *vm, Value v) {
  if (!IS_OBJ(v)) return NULL;
  Obj *o = AS_OBJ(v);
  switch (o->kind) {
    case K_INSTANCE: return o->type == vm->t_object ? NULL : &((InstanceObj *)o)->dict;
    case K_FOREIGN: return &((ForeignObj *)o)->dict;
    case K_EXC: return &((ExcObj *)o)->dict;
    case K_FUNC: return &((FuncObj *)o)->dict;
    case K_MODULE: return &((ModuleObj *)o)->dict;
    default: return NULL;
  }
}

static StrObj *interned(VM *vm, StrObj *name) {
  if (name->obj.flags & STR_INTERNED) return name;
  return str_intern(vm, STR_CSTR(name), (size_t)name->len);
}

Value attr_error(VM *vm, Value self, StrObj *name) {
  if (IS_TYPE(self))
    return exc_raise(vm, EXC(vm, AttributeError), "type object '%U' has no attribute '%U'",
                     AS_TYPE(self)->name, name);
  if (IS_MODULE(self) && AS_MODULE(self)->name)
    return exc_raise(vm, EXC(vm, AttributeError), "module '%U' has no attribute '%U'",
                     AS_MODULE(self)->name, name);
  return exc_raise(vm, EXC(vm, AttributeError), "'%s' object has no attribute '%U'",
                   obj_type_name(vm, self), name);
}

/* The general descriptor protocol, for class instances with __get__
** (non-data) or __set__/__delete__ (data) used as class attributes:
** 0 none, 1 non-data, 2 data descriptor */
static int user_descriptor_kind(VM *vm, Value attr) {
  if (!IS_OBJ(attr) || !(AS_OBJ(attr)->type->flags & TF_HEAP)) return 0;
  Type *dt = AS_OBJ(attr)->type;
  if (!IS_UNDEF(type_lookup(vm, dt, NAME(vm, __set__))) ||
      !IS_UNDEF(type_lookup(vm, dt, NAME(vm, __delete__))))
    return 2;
  return IS_UNDEF(type_lookup(vm, dt, NAME(vm, __get__))) ? 0 : 1;
}

/* attr.__get__(self or None, owner); a data descriptor without __get__ is itself */
static Value user_descriptor_get(VM *vm, Value attr, Value self, Type *owner) {
  Value f = type_lookup(vm, AS_OBJ(attr)->type, NAME(vm, __get__));
  if (IS_UNDEF(f)) return attr;
  Value args[2] = {IS_UNDEF(self) ? V_NONE : self, v_obj(owner)};
  return call_with_self(vm, f, attr, args, 2, NULL);
}

static int user_descriptor_set(VM *vm, Value attr, Value self, Value value) {
  StrObj *name = IS_UNDEF(value) ? NAME(vm, __delete__) : NAME(vm, __set__);
  Value f = type_lookup(vm, AS_OBJ(attr)->type, name);
  if (IS_UNDEF(f)) {
    exc_raise(vm, EXC(vm, AttributeError), "%U", name);
    return -1;
  }
  Value args[2] = {self, value};
  Value r = call_with_self(vm, f, attr, args, IS_UNDEF(value) ? 1 : 2, NULL);
  return IS_UNDEF(r) ? -1 : 0;
}

static Value bind(VM *vm, Value attr, Value self, Type *owner, StrObj *name) {
  if (!IS_OBJ(attr)) return attr;
  switch (OBJ_KIND(attr)) {
    case K_FUNC: {
      if (IS_UNDEF(self)) return attr;
      BoundObj *b = bound_new(vm, attr, self);
      return b ? v_obj(b) : V_UNDEF;
    }
    case K_NATIVE: {
      NativeObj *n = AS_NATIVE(attr);
      NativeObj *b = NULL;
      if (!IS_UNDEF(n->self)) return attr;
      if (n->flags & NATIVE_CLASS)
        b = native_bind(vm, n, v_obj(IS_UNDEF(self) ? owner : obj_type(vm, self)));
      else if ((n->flags & NATIVE_METHOD) && !IS_UNDEF(self))
        b = native_bind(vm, n, self);
      else
        return attr;
      return b ? v_obj(b) : V_UNDEF;
    }
    case K_CLASSMETHOD: {
      Type *cls = IS_UNDEF(self) ? owner : obj_type(vm, self);
      BoundObj *b = bound_new(vm, AS_WRAPPER(attr)->func, v_obj(cls));
      return b ? v_obj(b) : V_UNDEF;
    }
    case K_STATICMETHOD:
      return AS_WRAPPER(attr)->func;
    case K_PROPERTY:
      return IS_UNDEF(self) ? attr : property_get(vm, attr, self, name);
    default:
      if (user_descriptor_kind(vm, attr)) return user_descriptor_get(vm, attr, self, owner);
      return attr;
  }
}

Value descr_bind(VM *vm, Value attr, Value self, Type *owner) {
  return bind(vm, attr, self, owner, NULL);
}

/* object.__getattribute__: a property on the type, then the instance
** dict, then the type's attribute bound to the instance */
static Value generic_getattr_impl(VM *vm, Value self, StrObj *name, bool raise) {
  name = interned(vm, name);
  if (!name) return V_UNDEF;
  Type *t = obj_type(vm, self);
  Value attr = type_lookup(vm, t, name);
  if (IS_PROPERTY(attr)) return property_get(vm, attr, self, name);
  if (user_descriptor_kind(vm, attr) == 2) return user_descriptor_get(vm, attr, self, t);
  if (name == NAME(vm, __class__)) return v_obj(t);
  DictObj **dp = obj_dict_slot(vm, self);
  if (dp) {
    if (name == NAME(vm, __dict__)) {
      if (!*dp) *dp = dict_new(vm);
      return *dp ? v_obj(*dp) : V_UNDEF;
    }
    if (*dp) {
      Value v = dict_get_str(vm, *dp, name);
      if (!IS_UNDEF(v)) return v;
    }
  }
  if (!IS_UNDEF(attr)) return bind(vm, attr, self, t, name);
  if (!raise) return V_UNDEF;
  return attr_error(vm, self, name);
}

Value generic_getattr(VM *vm, Value self, StrObj *name) {
  return generic_getattr_impl(vm, self, name, true);
}

Value generic_getattr_opt(VM *vm, Value self, StrObj *name) {
  return generic_getattr_impl(vm, self, name, false);
}

static int set_class_attr(VM *vm, Value self, Value value) {
  if (IS_UNDEF(value)) {
    exc_raise(vm, EXC(vm, TypeError), "can't delete __class__ attribute");
    return -1;
  }
  if (!IS_TYPE(value)) {
    exc_raise(vm, EXC(vm, TypeError), "__class__ must be set to a class, not '%s' object",
              obj_type_name(vm, value));
    return -1;
  }
  Type *old = obj_type(vm, self), *new = AS_TYPE(value);
  if (!(old->flags & TF_HEAP) || !(new->flags & TF_HEAP)) {
    exc_raise(vm, EXC(vm, TypeError),
              "__class__ assignment only supported for mutable types or ModuleType subclasses");
    return -1;
  }
  if (old->layout != new->layout || type_builtin_base(old) != type_builtin_base(new)) {
    exc_raise(vm, EXC(vm, TypeError), "__class__ assignment: '%U' object layout differs from '%U'",
              new->name, old->name);
    return -1;
  }
  AS_OBJ(self)->type = new;
  return 0;
}

static int set_dict_attr(VM *vm, DictObj **dp, Value value) {
  if (IS_UNDEF(value)) {
    *dp = NULL; /* a fresh empty one appears on next use, as in CPython */
    return 0;
  }
  if (!IS_DICT(value)) {
    exc_raise(vm, EXC(vm, TypeError), "__dict__ must be set to a dictionary, not a '%s'",
              obj_type_name(vm, value));
    return -1;
  }
  *dp = AS_DICT(value);
  return 0;
}

/* object.__setattr__ / __delattr__ (value V_UNDEF) */
int generic_setattr(VM *vm, Value self, StrObj *name, Value value) {
  name = interned(vm, name);
  if (!name) return -1;
  Type *t = obj_type(vm, self);
  Value attr = type_lookup(vm, t, name);
  if (IS_PROPERTY(attr)) return property_set(vm, attr, self, name, value);
  if (user_descriptor_kind(vm, attr) == 2) return user_descriptor_set(vm, attr, self, value);
  DictObj **dp = obj_dict_slot(vm, self);
  if (name == NAME(vm, __class__) && IS_OBJ(self) && OBJ_KIND(self) == K_INSTANCE && dp)
    return set_class_attr(vm, self, value);
  if (!dp) {
    if (!IS_UNDEF(attr))
      exc_raise(vm, EXC(vm, AttributeError), "'%s' object attribute '%U' is read-only",
                obj_type_name(vm, self), name);
    else
      attr_error(vm, self, name);
    return -1;
  }
  if (name == NAME(vm, __dict__)) return set_dict_attr(vm, dp, value);
  if (IS_UNDEF(value)) {
    int r = *dp ? dict_del(vm, *dp, v_obj(name)) : 0;
    if (r == 0) attr_error(vm, self, name);
    return r > 0 ? 0 : -1;
  }
  if (!*dp) {
    *dp = dict_new(vm);
    if (!*dp) return -1;
  }
  return dict_set_str(vm, *dp, name, value);
}

Value obj_getattr(VM *vm, Value v, StrObj *name) {
  Type *t = obj_type(vm, v);
  if (t->getattr) return t->getattr(vm, v, name);
  return generic_getattr(vm, v, name);
}

Value obj_getattr_cstr(VM *vm, Value v, const char *name) {
  StrObj *s = str_intern_cstr(vm, name);
  return s ? obj_getattr(vm, v, s) : V_UNDEF;
}

Value obj_getattr_opt(VM *vm, Value v, StrObj *name) {
  Type *t = obj_type(vm, v);
  GetAttrFn g = t->getattr;
  Value r;
  if (!g || g == generic_getattr) r = generic_getattr_opt(vm, v, name);
  else if (g == type_getattr) r = type_getattr_opt(vm, v, name);
  else r = g(vm, v, name);
  if (IS_UNDEF(r) && exc_pending_matches(vm, EXC(vm, AttributeError))) exc_clear(vm);
  return r;
}

int obj_setattr(VM *vm, Value v, StrObj *name, Value value) {
  Type *t = obj_type(vm, v);
  if (t->setattr) return t->setattr(vm, v, name, value);
  return generic_setattr(vm, v, name, value);
}

int obj_delattr(VM *vm, Value v, StrObj *name) { return obj_setattr(vm, v, name, V_UNDEF); }

/* LOAD_METHOD: a plain function or native method found on the type (and
** not shadowed by the instance dict) comes back unbound, with self */
int obj_get_method(VM *vm, Value v, StrObj *name, Value *callable, Value *self_or_undef) {
  Type *t = obj_type(vm, v);
  if ((!t->getattr || t->getattr == generic_getattr) && (name->obj.flags & STR_INTERNED)) {
    Value attr = type_lookup(vm, t, name);
    if (IS_FUNC(attr) || (IS_NATIVE(attr) && (AS_NATIVE(attr)->flags & NATIVE_METHOD) &&
                          IS_UNDEF(AS_NATIVE(attr)->self))) {
      DictObj **dp = obj_dict_slot(vm, v);
      if (dp && *dp) {
        Value shadow = dict_get_str(vm, *dp, name);
        if (!IS_UNDEF(shadow)) {
          *callable = shadow;
          *self_or_undef = V_UNDEF;
          return 0;
        }
      }
      *callable = attr;
      *self_or_undef = v;
      return 0;
    }
  }
  Value r = obj_getattr(vm, v, name);
  if (IS_UNDEF(r)) return -1;
  *callable = r;
  *self_or_undef = V_UNDEF;
  return 0;
}

/* Call f, found on type(self), as a method of self: no bound object is
** made. Descriptors found there keep their meaning (static and class
** methods); any other callable is called without self. */
Value call_with_self(VM *vm, Value f, Value self, Value *args, int nargs, TupleObj *kwnames) {
  int nkw = kwnames ? (int)kwnames->len : 0;
  if (IS_OBJ(f)) {
    switch (OBJ_KIND(f)) {
      case K_FUNC:
        break;
      case K_NATIVE: {
        NativeObj *n = AS_NATIVE(f);
        if (!IS_UNDEF(n->self)) return obj_call(vm, f, args, nargs, kwnames);
        if (n->flags & NATIVE_CLASS) {
          if (!IS_TYPE(self)) self = v_obj(obj_type(vm, self));
        } else if (!(n->flags & NATIVE_METHOD)) {
          return obj_call(vm, f, args, nargs, kwnames);
        }
        break;
      }
      case K_STATICMETHOD:
        return obj_call(vm, AS_WRAPPER(f)->func, args, nargs, kwnames);
      case K_CLASSMETHOD:
        f = AS_WRAPPER(f)->func;
        if (!IS_TYPE(self)) self = v_obj(obj_type(vm, self));
        break;
      case K_PROPERTY: {
        Value g = property_get(vm, f, self, NULL);
        if (IS_UNDEF(g)) return g;
        gc_push_root(vm, g);
        Value r = obj_call(vm, g, args, nargs, kwnames);
        gc_pop_roots(vm, 1);
        return r;
      }
      default:
        return obj_call(vm, f, args, nargs, kwnames);
    }
  } else {
    return obj_call(vm, f, args, nargs, kwnames);
  }
  /* the args and self are rooted by our caller; this array only copies them */
  Value small[8];
  int total = 1 + nargs + nkw;
  Value *argv = small;
  if (total > 8) {
    argv = gc_malloc(vm, (size_t)total * sizeof(Value));
    if (!argv) return V_UNDEF;
  }
  argv[0] = self;
  if (nargs + nkw > 0) memcpy(argv + 1, args, (size_t)(nargs + nkw) * sizeof(Value));
  Value r = IS_FUNC(f) ? vm_call_function(vm, AS_FUNC(f), argv, nargs + 1, kwnames)
                       : obj_call(vm, f, argv, nargs + 1, kwnames);
  if (argv != small) gc_free(vm, argv, (size_t)total * sizeof(Value));
  return r;
}

/* ---- subscripts, len, iteration ---- */

Value obj_getitem(VM *vm, Value v, Value key) {
  Type *t = obj_type(vm, v);
  if (t->getitem) return t->getitem(vm, v, key);
  if (IS_TYPE(v)) {
    Type *cls = AS_TYPE(v);
    Value f = type_lookup(vm, cls, NAME(vm, __class_getitem__));
    if (!IS_UNDEF(f)) {
      Value bound = descr_bind(vm, f, V_UNDEF, cls);
      if (IS_UNDEF(bound)) return bound;
      gc_push_root(vm, bound);
      Value r = obj_call1(vm, bound, key);
      gc_pop_roots(vm, 1);
      return r;
    }
    return exc_raise(vm, EXC(vm, TypeError), "type '%U' is not subscriptable", cls->name);
  }
  return exc_raise(vm, EXC(vm, TypeError), "'%s' object is not subscriptable", obj_type_name(vm, v));
}

int obj_setitem(VM *vm, Value v, Value key, Value value) {
  Type *t = obj_type(vm, v);
  if (t->setitem) return t->setitem(vm, v, key, value);
  exc_raise(vm, EXC(vm, TypeError), "'%s' object does not support item assignment",
            obj_type_name(vm, v));
  return -1;
}

int obj_delitem(VM *vm, Value v, Value key) {
  Type *t = obj_type(vm, v);
  if (t->setitem) return t->setitem(vm, v, key, V_UNDEF);
  exc_raise(vm, EXC(vm, TypeError), "'%s' object doesn't support item deletion", obj_type_name(vm, v));
  return -1;
}

int64_t obj_len(VM *vm, Value v) {
  if (IS_OBJ(v)) {
    switch (OBJ_KIND(v)) {
      case K_STR: return AS_STR(v)->length;
      case K_LIST: return AS_LIST(v)->len;
      case K_TUPLE: return AS_TUPLE(v)->len;
      case K_DICT: return AS_DICT(v)->len;
      default: break;
    }
  }
  Type *t = obj_type(vm, v);
  if (t->len) return t->len(vm, v);
  exc_raise(vm, EXC(vm, TypeError), "object of type '%s' has no len()", obj_type_name(vm, v));
  return -1;
}

Value obj_iter(VM *vm, Value v) {
  Type *t = obj_type(vm, v);
  if (t->iter) return t->iter(vm, v);
  if (t->getitem) return iter_seq_new(vm, v);
  return exc_raise(vm, EXC(vm, TypeError), "'%s' object is not iterable", obj_type_name(vm, v));
}

Value obj_next(VM *vm, Value it) {
  Type *t = obj_type(vm, it);
  if (t->next) return t->next(vm, it);
  return exc_raise(vm, EXC(vm, TypeError), "'%s' object is not an iterator", obj_type_name(vm, it));
}

bool obj_is_callable(VM *vm, Value v) { return obj_type(vm, v)->call != NULL; }
