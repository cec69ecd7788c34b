/* tuple.c — the tuple type: creation (also used internally for argument
** tuples, kwnames, bases and MROs), repr, indexing and slicing,
** lexicographic comparison, CPython's tuple hash (so sets and dicts keyed
** by tuples behave alike), concatenation and repetition, count/index. */
#include <stdarg.h>
#include <string.h>
#include "tuple.h"
#include "list.h"
#include "range.h"
#include "iter.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "func.h"
#include "type.h"
#include "exc.h"
#include "dict.h"

/* ---------------------------------------------------------------- creation */

static TupleObj *tuple_alloc(VM *vm, Type *type, int64_t len) {
  size_t size = gc_array_size((size_t)len, sizeof(Value));
  if (size != SIZE_MAX) size += sizeof(TupleObj);
  TupleObj *t = gc_alloc_obj(vm, size, K_TUPLE, type);
  if (t == NULL) return NULL;
  t->len = len;
  for (int64_t i = 0; i < len; i++) t->items[i] = V_NONE;
  return t;
}

TupleObj *tuple_new(VM *vm, int64_t len) {
  /* the empty tuple is shared once it exists (bootstrap makes a few
  ** before tuple_type_init creates it) */
  if (len == 0 && vm->empty_tuple != NULL) return vm->empty_tuple;
  return tuple_alloc(vm, vm->t_tuple, len);
}

TupleObj *tuple_from(VM *vm, const Value *items, int64_t len) {
  if (len == 0 && vm->empty_tuple != NULL) return vm->empty_tuple;
  size_t size = gc_array_size((size_t)len, sizeof(Value));
  if (size != SIZE_MAX) size += sizeof(TupleObj);
  TupleObj *t = gc_alloc_obj(vm, size, K_TUPLE, vm->t_tuple);
  if (t == NULL) return NULL;
  t->len = len;
  if (len) memcpy(t->items, items, (size_t)len * sizeof(Value));
  return t;
}

TupleObj *tuple_pack(VM *vm, int n, ...) {
  TupleObj *t = tuple_new(vm, n);
  if (t == NULL) return NULL;
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) t->items[i] = va_arg(ap, Value);
  va_end(ap);
  return t;
}

/* a tuple of `type` holding the items of any iterable */
static Value tuple_of_type(VM *vm, Type *type, Value iterable) {
  if (type == vm->t_tuple && IS_OBJ(iterable) && AS_OBJ(iterable)->type == vm->t_tuple)
    return iterable;
  Value items;
  if (IS_LIST(iterable) || IS_TUPLE(iterable)) {
    items = iterable;
  } else {
    items = list_from_iterable(vm, iterable);
    if (IS_UNDEF(items)) return V_UNDEF;
  }
  const Value *src = IS_LIST(items) ? AS_LIST(items)->items : AS_TUPLE(items)->items;
  int64_t len = IS_LIST(items) ? AS_LIST(items)->len : AS_TUPLE(items)->len;
  TupleObj *t = type == vm->t_tuple ? tuple_new(vm, len) : tuple_alloc(vm, type, len);
  if (t == NULL) return V_UNDEF;
  if (len) memcpy(t->items, src, (size_t)len * sizeof(Value));
  return v_obj(t);
}

Value tuple_from_iterable(VM *vm, Value iterable) {
  return tuple_of_type(vm, vm->t_tuple, iterable);
}

static Value tuple_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_no_kwargs(vm, "tuple", kwnames) < 0) return V_UNDEF;
  if (seq_args_range(vm, "tuple", nargs, 0, 1) < 0) return V_UNDEF;
  if (nargs == 0) {
    TupleObj *t = type == vm->t_tuple ? tuple_new(vm, 0) : tuple_alloc(vm, type, 0);
    return t ? v_obj(t) : V_UNDEF;
  }
  return tuple_of_type(vm, type, args[0]);
}

/* ---------------------------------------------------------------- repr */

static Value tuple_repr_nested(VM *vm, Value self) {
  TupleObj *t = AS_TUPLE(self);
  if (t->len == 0) return v_obj(str_from_cstr(vm, "()"));
  if (t->obj.flags & OBJ_FLAG_REPR_BUSY) return v_obj(str_from_cstr(vm, "(...)"));
  t->obj.flags |= OBJ_FLAG_REPR_BUSY;
  SBuf b;
  sbuf_init(&b);
  sbuf_addc(&b, '(');
  for (int64_t i = 0; i < t->len; i++) {
    if (i) sbuf_adds(&b, ", ");
    if (sbuf_add_repr(vm, &b, t->items[i]) < 0) {
      t->obj.flags &= ~OBJ_FLAG_REPR_BUSY;
      sbuf_free(&b);
      return V_UNDEF;
    }
  }
  if (t->len == 1) sbuf_addc(&b, ',');
  sbuf_addc(&b, ')');
  t->obj.flags &= ~OBJ_FLAG_REPR_BUSY;
  StrObj *s = sbuf_finish(vm, &b);
  return s ? v_obj(s) : V_UNDEF;
}

/* guarded against deep nesting (see seq_recursion_enter) */
static Value tuple_repr(VM *vm, Value self) {
  if (seq_recursion_enter(vm, SEQ_IN_REPR) < 0) return V_UNDEF;
  Value r = tuple_repr_nested(vm, self);
  seq_recursion_leave(vm);
  return r;
}

/* ---------------------------------------------------------------- sequence */

static int64_t tuple_len(VM *vm, Value self) { return AS_TUPLE(self)->len; }

static Value tuple_slice(VM *vm, TupleObj *t, SliceObj *s) {
  int64_t start, stop, step;
  int64_t n = slice_indices(vm, s, t->len, &start, &stop, &step);
  if (n < 0) return V_UNDEF;
  if (step == 1 && n == t->len && t->obj.type == vm->t_tuple) return v_obj(t);
  TupleObj *r = tuple_new(vm, n);
  if (r == NULL) return V_UNDEF;
  for (int64_t i = 0, j = start; i < n; i++, j += step) r->items[i] = t->items[j];
  return v_obj(r);
}

static Value tuple_getitem(VM *vm, Value self, Value key) {
  TupleObj *t = AS_TUPLE(self);
  if (IS_INT(key)) {
    int64_t i = AS_INT(key);
    if (i < 0) i += t->len;
    if (i < 0 || i >= t->len)
      return exc_raise(vm, EXC(vm, IndexError), "tuple index out of range");
    return t->items[i];
  }
  if (IS_SLICE(key)) return tuple_slice(vm, t, AS_SLICE(key));
  int64_t i;
  if (seq_index(vm, key, t->len, "tuple", &i) < 0) return V_UNDEF;
  return t->items[i];
}

static int tuple_contains(VM *vm, Value self, Value item) {
  TupleObj *t = AS_TUPLE(self);
  for (int64_t i = 0; i < t->len; i++) {
    int eq = obj_eq(vm, t->items[i], item);
    if (eq != 0) return eq;
  }
  return 0;
}

static Value tuple_iter(VM *vm, Value self) {
  return iter_new(vm, IT_TUPLE, self, V_NONE, 0, 0);
}

/* Lexicographic comparison of two item arrays, the algorithm lists and
** tuples share: find the first differing pair by ==, then compare that
** pair with the requested operator (or the lengths when one ran out).
** The arrays are re-read after every comparison because user __eq__ may
** shrink a list. */
static Value seq_richcmp_nested(VM *vm, Value a, Value b, int op) {
#define SEQ_LEN(v) (IS_LIST(v) ? AS_LIST(v)->len : AS_TUPLE(v)->len)
#define SEQ_ITEM(v, i) (IS_LIST(v) ? AS_LIST(v)->items[i] : AS_TUPLE(v)->items[i])
  int64_t la = SEQ_LEN(a), lb = SEQ_LEN(b), i;
  if (la != lb && (op == CMP_EQ || op == CMP_NE)) return v_bool(op == CMP_NE);
  for (i = 0; i < SEQ_LEN(a) && i < SEQ_LEN(b); i++) {
    Value x = SEQ_ITEM(a, i), y = SEQ_ITEM(b, i);
    if (v_is(x, y)) continue;
    int eq = obj_eq(vm, x, y);
    if (eq < 0) return V_UNDEF;
    if (!eq) break;
  }
  la = SEQ_LEN(a);
  lb = SEQ_LEN(b);
  if (i >= la || i >= lb) {
    switch (op) {
      case CMP_LT: return v_bool(la < lb);
      case CMP_LE: return v_bool(la <= lb);
      case CMP_EQ: return v_bool(la == lb);
      case CMP_NE: return v_bool(la != lb);
      case CMP_GT: return v_bool(la > lb);
      default: return v_bool(la >= lb);
    }
  }
  if (op == CMP_EQ) return V_FALSE;
  if (op == CMP_NE) return V_TRUE;
  return obj_richcmp(vm, SEQ_ITEM(a, i), SEQ_ITEM(b, i), (CmpOp)op);
#undef SEQ_LEN
#undef SEQ_ITEM
}

Value seq_richcmp_items(VM *vm, Value a, Value b, int op) {
  if (seq_recursion_enter(vm, SEQ_IN_CMP) < 0) return V_UNDEF;
  Value r = seq_richcmp_nested(vm, a, b, op);
  seq_recursion_leave(vm);
  return r;
}

static Value tuple_richcmp(VM *vm, Value a, Value b, int op) {
  if (!IS_TUPLE(a) || !IS_TUPLE(b)) return v_obj(vm->not_implemented);
  if ((op == CMP_EQ || op == CMP_NE) && AS_OBJ(a) == AS_OBJ(b)) return v_bool(op == CMP_EQ);
  return seq_richcmp_items(vm, a, b, op);
}

/* CPython 3.11's tuple hash (an xxHash-style mix of the item hashes), so
** that tuples of ints hash as there and sets of them iterate alike. */
static int tuple_hash_nested(VM *vm, Value self, int64_t *out) {
  TupleObj *t = AS_TUPLE(self);
  const uint64_t p1 = 11400714785074694791ULL, p2 = 14029467366897019727ULL,
                 p5 = 2870177450012600261ULL;
  uint64_t acc = p5;
  for (int64_t i = 0; i < t->len; i++) {
    int64_t h;
    if (obj_hash(vm, t->items[i], &h) < 0) return -1;
    acc += (uint64_t)h * p2;
    acc = (acc << 31) | (acc >> 33);
    acc *= p1;
  }
  acc += (uint64_t)t->len ^ (p5 ^ 3527539ULL);
  if (acc == (uint64_t)-1) acc = 1546275796;
  *out = (int64_t)acc;
  return 0;
}

/* guarded against deep nesting (see seq_recursion_enter) */
static int tuple_hash(VM *vm, Value self, int64_t *out) {
  if (seq_recursion_enter(vm, "") < 0) return -1;
  int r = tuple_hash_nested(vm, self, out);
  seq_recursion_leave(vm);
  return r;
}

/* ---------------------------------------------------------------- operators */

Value tuple_binop(VM *vm, int op, Value a, Value b) {
  if (op >= BIN_INPLACE) op -= BIN_INPLACE;  /* tuples are immutable: t += x is t = t + x */
  if (op == BIN_ADD) {
    if (!IS_TUPLE(a)) return v_obj(vm->not_implemented);
    if (!IS_TUPLE(b)) {
      if (IS_OBJ(b) && (AS_OBJ(b)->type->flags & TF_HEAP)) return v_obj(vm->not_implemented);
      return exc_type_error(vm, "can only concatenate tuple (not \"%s\") to tuple",
                            obj_type_name(vm, b));
    }
    TupleObj *x = AS_TUPLE(a), *y = AS_TUPLE(b);
    if (y->len == 0 && x->obj.type == vm->t_tuple) return a;
    if (x->len == 0 && y->obj.type == vm->t_tuple) return b;
    TupleObj *r = tuple_new(vm, x->len + y->len);
    if (r == NULL) return V_UNDEF;
    memcpy(r->items, x->items, (size_t)x->len * sizeof(Value));
    memcpy(r->items + x->len, y->items, (size_t)y->len * sizeof(Value));
    return v_obj(r);
  }
  if (op == BIN_MUL) {
    Value seq = IS_TUPLE(a) ? a : b, count = IS_TUPLE(a) ? b : a;
    if (!IS_TUPLE(seq)) return v_obj(vm->not_implemented);
    int64_t n;
    int k = seq_key_index(vm, count, &n);
    if (k < 0) return V_UNDEF;
    if (k == 0) {
      if (IS_OBJ(count) && (AS_OBJ(count)->type->flags & TF_HEAP)) return v_obj(vm->not_implemented);
      return exc_type_error(vm, "can't multiply sequence by non-int of type '%T'", count);
    }
    TupleObj *t = AS_TUPLE(seq);
    if (n <= 0 || t->len == 0) return v_obj(tuple_new(vm, 0));
    if (n == 1 && t->obj.type == vm->t_tuple) return seq;
    if (n > INT64_MAX / t->len) return exc_no_memory(vm);
    TupleObj *r = tuple_new(vm, t->len * n);
    if (r == NULL) return V_UNDEF;
    for (int64_t i = 0; i < n; i++)
      memcpy(r->items + i * t->len, t->items, (size_t)t->len * sizeof(Value));
    return v_obj(r);
  }
  return v_obj(vm->not_implemented);
}

/* ---------------------------------------------------------------- methods */

#define TUPLE_SELF(meth)                                                   \
  if (seq_check_self(vm, args, nargs, vm->t_tuple, meth) < 0) return V_UNDEF; \
  TupleObj *t = AS_TUPLE(args[0]);

static Value tuple_m_count(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  TUPLE_SELF("count");
  if (seq_no_kwargs(vm, "tuple.count", kwnames) < 0) return V_UNDEF;
  if (seq_args_exact(vm, "tuple.count", nargs - 1, 1) < 0) return V_UNDEF;
  int64_t n = 0;
  for (int64_t i = 0; i < t->len; i++) {
    int eq = obj_eq(vm, t->items[i], args[1]);
    if (eq < 0) return V_UNDEF;
    n += eq;
  }
  return v_int(n);
}

/* the optional start/end of index(): ints (clamped like slices) */
int seq_index_bounds(VM *vm, Value *args, int nargs, int64_t len, int64_t *start, int64_t *end) {
  *start = 0;
  *end = len;
  for (int k = 0; k < nargs; k++) {
    int64_t v;
    int r = IS_NONE(args[k]) ? 0 : seq_key_index(vm, args[k], &v);
    if (r < 0) return -1;
    if (r == 0) {
      exc_type_error(vm, "slice indices must be integers or have an __index__ method");
      return -1;
    }
    if (v < 0) {
      v += len;
      if (v < 0) v = 0;
    }
    if (k == 0) *start = v;
    else *end = v;
  }
  return 0;
}

static Value tuple_m_index(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  TUPLE_SELF("index");
  if (seq_no_kwargs(vm, "tuple.index", kwnames) < 0) return V_UNDEF;
  if (seq_args_range(vm, "index", nargs - 1, 1, 3) < 0) return V_UNDEF;
  int64_t start, end;
  if (seq_index_bounds(vm, args + 2, nargs - 2, t->len, &start, &end) < 0) return V_UNDEF;
  for (int64_t i = start; i < end && i < t->len; i++) {
    int eq = obj_eq(vm, t->items[i], args[1]);
    if (eq < 0) return V_UNDEF;
    if (eq) return v_int(i);
  }
  return exc_value_error(vm, "tuple.index(x): x not in tuple");
}

static Value tuple_m_getitem(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  TUPLE_SELF("__getitem__");
  if (seq_args_exact(vm, "tuple.__getitem__", nargs - 1, 1) < 0) return V_UNDEF;
  return tuple_getitem(vm, v_obj(t), args[1]);
}

static Value tuple_m_len(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  TUPLE_SELF("__len__");
  if (seq_args_exact(vm, "tuple.__len__", nargs - 1, 0) < 0) return V_UNDEF;
  return v_int(t->len);
}

static Value tuple_m_contains(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  TUPLE_SELF("__contains__");
  if (seq_args_exact(vm, "tuple.__contains__", nargs - 1, 1) < 0) return V_UNDEF;
  int r = tuple_contains(vm, v_obj(t), args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value tuple_m_iter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  TUPLE_SELF("__iter__");
  if (seq_args_exact(vm, "tuple.__iter__", nargs - 1, 0) < 0) return V_UNDEF;
  return tuple_iter(vm, v_obj(t));
}

void tuple_type_init(VM *vm) {
  Type *t = vm->t_tuple;
  t->flags |= TF_BASETYPE;
  t->construct = tuple_construct;
  t->repr = tuple_repr;
  t->len = tuple_len;
  t->getitem = tuple_getitem;
  t->contains = tuple_contains;
  t->iter = tuple_iter;
  t->richcmp = tuple_richcmp;
  t->hash = tuple_hash;
  if (vm->empty_tuple == NULL) vm->empty_tuple = tuple_alloc(vm, t, 0);
  define_native(vm, t->dict, "count", tuple_m_count, NATIVE_METHOD);
  define_native(vm, t->dict, "index", tuple_m_index, NATIVE_METHOD);
  define_native(vm, t->dict, "__getitem__", tuple_m_getitem, NATIVE_METHOD);
  define_native(vm, t->dict, "__len__", tuple_m_len, NATIVE_METHOD);
  define_native(vm, t->dict, "__contains__", tuple_m_contains, NATIVE_METHOD);
  define_native(vm, t->dict, "__iter__", tuple_m_iter, NATIVE_METHOD);
}

void tuple_trace(VM *vm, Obj *o) {
  TupleObj *t = (TupleObj *)o;
  for (int64_t i = 0; i < t->len; i++) gc_mark_value(vm, t->items[i]);
}

void tuple_free(VM *vm, Obj *o) { (void)vm; (void)o; }
