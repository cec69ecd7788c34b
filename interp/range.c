/* range.c — range and slice objects, slice resolution against a length
** (CPython's clamping rules), and the helpers every container file shares:
** index normalisation, argument-count checks worded like CPython's, and
** the `self` check of methods called through their type. */
#include <stdarg.h>
#include <string.h>
#include "range.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "num.h"
#include "tuple.h"
#include "func.h"
#include "type.h"
#include "exc.h"
#include "iter.h"
#include "dict.h"

/* ---------------------------------------------------------------- helpers */

int seq_key_index(VM *vm, Value key, int64_t *out) {
  if (IS_INTLIKE(key)) {
    *out = AS_INTLIKE(key);
    return 1;
  }
  if (!IS_OBJ(key)) return 0;
  Value fn = type_lookup(vm, obj_type(vm, key), NAME(vm, __index__));
  if (IS_UNDEF(fn)) return 0;
  Value r = obj_call1(vm, fn, key);
  if (IS_UNDEF(r)) return -1;
  if (!IS_INTLIKE(r)) {
    exc_type_error(vm, "__index__ returned non-int (type %T)", r);
    return -1;
  }
  *out = AS_INTLIKE(r);
  return 1;
}

int seq_index(VM *vm, Value key, int64_t len, const char *what, int64_t *out) {
  int64_t i;
  int r = seq_key_index(vm, key, &i);
  if (r < 0) return -1;
  if (r == 0) {
    exc_type_error(vm, "%s indices must be integers or slices, not %T", what, key);
    return -1;
  }
  if (i < 0) i += len;
  if (i < 0 || i >= len) {
    exc_raise(vm, EXC(vm, IndexError), "%s index out of range", what);
    return -1;
  }
  *out = i;
  return 0;
}

static const char *plural(int n) { return n == 1 ? "" : "s"; }

int seq_args_range(VM *vm, const char *name, int nargs, int min, int max) {
  if (nargs < min) {
    if (min == max)
      exc_type_error(vm, "%s expected %d argument%s, got %d", name, min, plural(min), nargs);
    else
      exc_type_error(vm, "%s expected at least %d argument%s, got %d", name, min, plural(min), nargs);
    return -1;
  }
  if (nargs > max) {
    if (min == max)
      exc_type_error(vm, "%s expected %d argument%s, got %d", name, max, plural(max), nargs);
    else
      exc_type_error(vm, "%s expected at most %d argument%s, got %d", name, max, plural(max), nargs);
    return -1;
  }
  return 0;
}

int seq_args_exact(VM *vm, const char *qualname, int nargs, int n) {
  if (nargs == n) return 0;
  if (n == 0)
    exc_type_error(vm, "%s() takes no arguments (%d given)", qualname, nargs);
  else
    exc_type_error(vm, "%s() takes exactly one argument (%d given)", qualname, nargs);
  return -1;
}

int seq_no_kwargs(VM *vm, const char *qualname, TupleObj *kwnames) {
  if (kwnames == NULL || kwnames->len == 0) return 0;
  exc_type_error(vm, "%s() takes no keyword arguments", qualname);
  return -1;
}

int seq_check_self(VM *vm, Value *args, int nargs, Type *t, const char *meth) {
  if (nargs < 1) {
    exc_type_error(vm, "unbound method %U.%s() needs an argument", t->name, meth);
    return -1;
  }
  if (IS_OBJ(args[0]) && type_is_subtype(AS_OBJ(args[0])->type, t)) return 0;
  if (meth[0] == '_' && meth[1] == '_')
    exc_type_error(vm, "descriptor '%s' requires a '%U' object but received a '%T'",
                   meth, t->name, args[0]);
  else
    exc_type_error(vm, "descriptor '%s' for '%U' objects doesn't apply to a '%T' object",
                   meth, t->name, args[0]);
  return -1;
}

int seq_recursion_enter(VM *vm, const char *where) {
  if (vm->depth >= vm->recursion_limit) {
    exc_raise(vm, EXC(vm, RecursionError), "maximum recursion depth exceeded%s", where);
    return -1;
  }
  vm->depth++;
  return 0;
}

void seq_recursion_leave(VM *vm) { vm->depth--; }

bool init_overridden(VM *vm, Type *type, Type *base) {
  Value mine = dict_get_str(vm, base->dict, NAME(vm, __init__));
  Value found = type_lookup(vm, type, NAME(vm, __init__));
  return !v_is(mine, found);
}

/* ---------------------------------------------------------------- slices */

SliceObj *slice_new(VM *vm, Value start, Value stop, Value step) {
  SliceObj *s = gc_alloc_obj(vm, sizeof(SliceObj), K_SLICE, vm->t_slice);
  if (s == NULL) return NULL;
  s->start = start;
  s->stop = stop;
  s->step = step;
  return s;
}

/* one slice bound: None -> *out untouched, returns 0; int -> 1; else TypeError */
static int slice_bound(VM *vm, Value v, int64_t *out) {
  if (IS_NONE(v)) return 0;
  int r = seq_key_index(vm, v, out);
  if (r == 0)
    exc_type_error(vm, "slice indices must be integers or None or have an __index__ method");
  return r < 0 || r == 0 ? -1 : 1;
}

/* PySlice_Unpack: step defaults to 1 (0 is an error), start and stop to
** the extremes the direction of the step asks for. */
static int slice_unpack(VM *vm, SliceObj *s, int64_t *start, int64_t *stop, int64_t *step) {
  *step = 1;
  if (slice_bound(vm, s->step, step) < 0) return -1;
  if (*step == 0) {
    exc_value_error(vm, "slice step cannot be zero");
    return -1;
  }
  if (*step < -INT64_MAX) *step = -INT64_MAX; /* so -step cannot overflow */
  *start = *step < 0 ? INT64_MAX : 0;
  if (slice_bound(vm, s->start, start) < 0) return -1;
  *stop = *step < 0 ? INT64_MIN : INT64_MAX;
  if (slice_bound(vm, s->stop, stop) < 0) return -1;
  return 0;
}

static int64_t clamp_bound(int64_t i, int64_t len, int64_t step) {
  if (i < 0) {
    i += len;
    if (i < 0) i = step < 0 ? -1 : 0;
  } else if (i >= len) {
    i = step < 0 ? len - 1 : len;
  }
  return i;
}

int64_t slice_indices(VM *vm, SliceObj *s, int64_t len, int64_t *start, int64_t *stop, int64_t *step) {
  if (slice_unpack(vm, s, start, stop, step) < 0) return -1;
  *start = clamp_bound(*start, len, *step);
  *stop = clamp_bound(*stop, len, *step);
  if (*step < 0) {
    if (*stop < *start) return (*start - *stop - 1) / (-*step) + 1;
  } else if (*start < *stop) {
    return (*stop - *start - 1) / *step + 1;
  }
  return 0;
}

static Value slice_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_no_kwargs(vm, "slice", kwnames) < 0) return V_UNDEF;
  if (seq_args_range(vm, "slice", nargs, 1, 3) < 0) return V_UNDEF;
  SliceObj *s;
  if (nargs == 1) s = slice_new(vm, V_NONE, args[0], V_NONE);
  else s = slice_new(vm, args[0], args[1], nargs == 3 ? args[2] : V_NONE);
  return s ? v_obj(s) : V_UNDEF;
}

static Value slice_repr(VM *vm, Value self) {
  SliceObj *s = AS_SLICE(self);
  StrObj *r = str_format_c(vm, "slice(%R, %R, %R)", s->start, s->stop, s->step);
  return r ? v_obj(r) : V_UNDEF;
}

/* slices compare like the tuples (start, stop, step) */
static Value slice_richcmp(VM *vm, Value a, Value b, int op) {
  if (!IS_SLICE(a) || !IS_SLICE(b)) return v_obj(vm->not_implemented);
  SliceObj *x = AS_SLICE(a), *y = AS_SLICE(b);
  TupleObj *tx = tuple_pack(vm, 3, x->start, x->stop, x->step);
  if (tx == NULL) return V_UNDEF;
  gc_push_root(vm, v_obj(tx));
  TupleObj *ty = tuple_pack(vm, 3, y->start, y->stop, y->step);
  if (ty == NULL) {
    gc_pop_roots(vm, 1);
    return V_UNDEF;
  }
  gc_push_root(vm, v_obj(ty));
  Value r = obj_richcmp(vm, v_obj(tx), v_obj(ty), (CmpOp)op);
  gc_pop_roots(vm, 2);
  return r;
}

static Value slice_indices_method(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_check_self(vm, args, nargs, vm->t_slice, "indices") < 0) return V_UNDEF;
  if (seq_no_kwargs(vm, "slice.indices", kwnames) < 0) return V_UNDEF;
  if (seq_args_exact(vm, "slice.indices", nargs - 1, 1) < 0) return V_UNDEF;
  int64_t len;
  int r = seq_key_index(vm, args[1], &len);
  if (r < 0) return V_UNDEF;
  if (r == 0) return exc_type_error(vm, "'%T' object cannot be interpreted as an integer", args[1]);
  if (len < 0) return exc_value_error(vm, "length should not be negative");
  int64_t start, stop, step;
  if (slice_indices(vm, AS_SLICE(args[0]), len, &start, &stop, &step) < 0) return V_UNDEF;
  TupleObj *t = tuple_pack(vm, 3, v_int(start), v_int(stop), v_int(step));
  return t ? v_obj(t) : V_UNDEF;
}

static bool name_is(VM *vm, StrObj *name, int id) {
  return name == vm->names[id] || str_equal(name, vm->names[id]);
}

static Value slice_getattr(VM *vm, Value self, StrObj *name) {
  SliceObj *s = AS_SLICE(self);
  if (name_is(vm, name, N_start)) return s->start;
  if (name_is(vm, name, N_stop)) return s->stop;
  if (name_is(vm, name, N_step)) return s->step;
  return generic_getattr(vm, self, name);
}

/* ---------------------------------------------------------------- ranges */

/* the item count of range(start, stop, step); false when it does not fit */
static bool range_length(int64_t start, int64_t stop, int64_t step, int64_t *len) {
  uint64_t n = 0;
  if (step > 0 && start < stop)
    n = ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
  else if (step < 0 && start > stop)
    n = ((uint64_t)start - (uint64_t)stop - 1) / (0 - (uint64_t)step) + 1;
  if (n > (uint64_t)INT64_MAX) return false;
  *len = (int64_t)n;
  return true;
}

/* start + i*step; the true result fits, so wrapping arithmetic is exact */
static int64_t range_item(RangeObj *r, int64_t i) {
  return (int64_t)((uint64_t)r->start + (uint64_t)i * (uint64_t)r->step);
}

static RangeObj *range_alloc(VM *vm, Type *type, int64_t start, int64_t stop, int64_t step) {
  int64_t len;
  if (!range_length(start, stop, step, &len)) {
    exc_raise(vm, EXC(vm, OverflowError), "Python int too large to convert to C ssize_t");
    return NULL;
  }
  RangeObj *r = gc_alloc_obj(vm, sizeof(RangeObj), K_RANGE, type);
  if (r == NULL) return NULL;
  r->start = start;
  r->stop = stop;
  r->step = step;
  r->len = len;
  return r;
}

RangeObj *range_new(VM *vm, int64_t start, int64_t stop, int64_t step) {
  return range_alloc(vm, vm->t_range, start, stop, step);
}

static int range_arg(VM *vm, Value v, int64_t *out) {
  int r = seq_key_index(vm, v, out);
  if (r == 0) exc_type_error(vm, "'%T' object cannot be interpreted as an integer", v);
  return r == 1 ? 0 : -1;
}

static Value range_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_no_kwargs(vm, "range", kwnames) < 0) return V_UNDEF;
  if (seq_args_range(vm, "range", nargs, 1, 3) < 0) return V_UNDEF;
  int64_t start = 0, stop, step = 1;
  if (nargs == 1) {
    if (range_arg(vm, args[0], &stop) < 0) return V_UNDEF;
  } else {
    if (range_arg(vm, args[0], &start) < 0 || range_arg(vm, args[1], &stop) < 0) return V_UNDEF;
    if (nargs == 3 && range_arg(vm, args[2], &step) < 0) return V_UNDEF;
    if (step == 0) return exc_value_error(vm, "range() arg 3 must not be zero");
  }
  RangeObj *r = range_alloc(vm, type, start, stop, step);
  return r ? v_obj(r) : V_UNDEF;
}

static Value range_repr(VM *vm, Value self) {
  RangeObj *r = AS_RANGE(self);
  StrObj *s = r->step == 1
                  ? str_format_c(vm, "range(%lld, %lld)", (long long)r->start, (long long)r->stop)
                  : str_format_c(vm, "range(%lld, %lld, %lld)", (long long)r->start,
                                 (long long)r->stop, (long long)r->step);
  return s ? v_obj(s) : V_UNDEF;
}

static int64_t range_len(VM *vm, Value self) { return AS_RANGE(self)->len; }

static int range_truth(VM *vm, Value self) { return AS_RANGE(self)->len != 0; }

/* r[slice] is a range: its items are r[start], r[start+step], … */
static Value range_slice(VM *vm, RangeObj *r, SliceObj *s) {
  int64_t start, stop, step;
  if (slice_indices(vm, s, r->len, &start, &stop, &step) < 0) return V_UNDEF;
  int64_t nstep, off_start, off_stop;
  if (__builtin_mul_overflow(r->step, step, &nstep) ||
      __builtin_mul_overflow(start, r->step, &off_start) ||
      __builtin_mul_overflow(stop, r->step, &off_stop) ||
      __builtin_add_overflow(r->start, off_start, &off_start) ||
      __builtin_add_overflow(r->start, off_stop, &off_stop))
    return exc_raise(vm, EXC(vm, OverflowError), "Python int too large to convert to C int64");
  RangeObj *res = range_new(vm, off_start, off_stop, nstep);
  return res ? v_obj(res) : V_UNDEF;
}

static Value range_getitem(VM *vm, Value self, Value key) {
  RangeObj *r = AS_RANGE(self);
  if (IS_SLICE(key)) return range_slice(vm, r, AS_SLICE(key));
  int64_t i;
  int k = seq_key_index(vm, key, &i);
  if (k < 0) return V_UNDEF;
  if (k == 0) return exc_type_error(vm, "range indices must be integers or slices, not %T", key);
  if (i < 0) i += r->len;
  if (i < 0 || i >= r->len)
    return exc_raise(vm, EXC(vm, IndexError), "range object index out of range");
  return v_int(range_item(r, i));
}

/* the index of int v in r, or -1 */
static int64_t range_find_int(RangeObj *r, int64_t v) {
  uint64_t diff;
  if (r->step > 0) {
    if (v < r->start || v >= r->stop) return -1;
    diff = (uint64_t)v - (uint64_t)r->start;
    if (diff % (uint64_t)r->step) return -1;
    return (int64_t)(diff / (uint64_t)r->step);
  }
  if (v > r->start || v <= r->stop) return -1;
  diff = (uint64_t)r->start - (uint64_t)v;
  uint64_t astep = 0 - (uint64_t)r->step;
  if (diff % astep) return -1;
  return (int64_t)(diff / astep);
}

/* the index of v in r by equality (for floats and other non-ints); -2 on error */
static int64_t range_find_slow(VM *vm, RangeObj *r, Value v) {
  for (int64_t i = 0; i < r->len; i++) {
    int eq = obj_eq(vm, v_int(range_item(r, i)), v);
    if (eq < 0) return -2;
    if (eq) return i;
  }
  return -1;
}

static int range_contains(VM *vm, Value self, Value item) {
  RangeObj *r = AS_RANGE(self);
  if (IS_INTLIKE(item)) return range_find_int(r, AS_INTLIKE(item)) >= 0;
  int64_t i = range_find_slow(vm, r, item);
  return i == -2 ? -1 : i >= 0;
}

static bool range_same(RangeObj *a, RangeObj *b) {
  if (a->len != b->len) return false;
  if (a->len == 0) return true;
  if (a->start != b->start) return false;
  return a->len == 1 || a->step == b->step;
}

static Value range_richcmp(VM *vm, Value a, Value b, int op) {
  if (!IS_RANGE(a) || !IS_RANGE(b) || (op != CMP_EQ && op != CMP_NE))
    return v_obj(vm->not_implemented);
  bool same = range_same(AS_RANGE(a), AS_RANGE(b));
  return v_bool(op == CMP_EQ ? same : !same);
}

/* hash((len, start, step)) with None for what does not matter, so equal
** ranges hash alike */
static int range_hash(VM *vm, Value self, int64_t *out) {
  RangeObj *r = AS_RANGE(self);
  Value start = r->len ? v_int(r->start) : V_NONE;
  Value step = r->len > 1 ? v_int(r->step) : V_NONE;
  TupleObj *t = tuple_pack(vm, 3, v_int(r->len), start, step);
  if (t == NULL) return -1;
  return obj_hash(vm, v_obj(t), out);
}

static Value range_iter(VM *vm, Value self) {
  RangeObj *r = AS_RANGE(self);
  return iter_new(vm, IT_RANGE, v_int(r->start), v_int(r->step), 0, r->len);
}

static Value range_m_reversed(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_check_self(vm, args, nargs, vm->t_range, "__reversed__") < 0) return V_UNDEF;
  if (seq_args_exact(vm, "range.__reversed__", nargs - 1, 0) < 0) return V_UNDEF;
  RangeObj *r = AS_RANGE(args[0]);
  int64_t last = r->len ? range_item(r, r->len - 1) : r->start;
  int64_t neg = (int64_t)(0 - (uint64_t)r->step);
  return iter_new(vm, IT_RANGE, v_int(last), v_int(neg), 0, r->len);
}

static Value range_m_index(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_check_self(vm, args, nargs, vm->t_range, "index") < 0) return V_UNDEF;
  if (seq_args_exact(vm, "range.index", nargs - 1, 1) < 0) return V_UNDEF;
  RangeObj *r = AS_RANGE(args[0]);
  Value v = args[1];
  if (IS_INTLIKE(v)) {
    int64_t i = range_find_int(r, AS_INTLIKE(v));
    if (i < 0) return exc_value_error(vm, "%R is not in range", v);
    return v_int(i);
  }
  int64_t i = range_find_slow(vm, r, v);
  if (i == -2) return V_UNDEF;
  if (i < 0) return exc_value_error(vm, "sequence.index(x): x not in sequence");
  return v_int(i);
}

static Value range_m_count(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_check_self(vm, args, nargs, vm->t_range, "count") < 0) return V_UNDEF;
  if (seq_args_exact(vm, "range.count", nargs - 1, 1) < 0) return V_UNDEF;
  RangeObj *r = AS_RANGE(args[0]);
  Value v = args[1];
  if (IS_INTLIKE(v)) return v_int(range_find_int(r, AS_INTLIKE(v)) >= 0);
  int64_t n = 0;
  for (int64_t i = 0; i < r->len; i++) {
    int eq = obj_eq(vm, v_int(range_item(r, i)), v);
    if (eq < 0) return V_UNDEF;
    n += eq;
  }
  return v_int(n);
}

static Value range_getattr(VM *vm, Value self, StrObj *name) {
  RangeObj *r = AS_RANGE(self);
  if (name_is(vm, name, N_start)) return v_int(r->start);
  if (name_is(vm, name, N_stop)) return v_int(r->stop);
  if (name_is(vm, name, N_step)) return v_int(r->step);
  return generic_getattr(vm, self, name);
}

void range_type_init(VM *vm) {
  Type *t = vm->t_range;
  if (t == NULL) t = vm->t_range = type_new_builtin(vm, "range", NULL, K_RANGE, 0);
  t->construct = range_construct;
  t->repr = range_repr;
  t->len = range_len;
  t->truth = range_truth;
  t->getitem = range_getitem;
  t->contains = range_contains;
  t->richcmp = range_richcmp;
  t->hash = range_hash;
  t->iter = range_iter;
  t->getattr = range_getattr;
  define_native(vm, t->dict, "__reversed__", range_m_reversed, NATIVE_METHOD);
  define_native(vm, t->dict, "index", range_m_index, NATIVE_METHOD);
  define_native(vm, t->dict, "count", range_m_count, NATIVE_METHOD);

  Type *s = vm->t_slice;
  if (s == NULL) s = vm->t_slice = type_new_builtin(vm, "slice", NULL, K_SLICE, 0);
  s->construct = slice_construct;
  s->repr = slice_repr;
  s->richcmp = slice_richcmp;
  s->getattr = slice_getattr;
  define_native(vm, s->dict, "indices", slice_indices_method, NATIVE_METHOD);
  dict_set_str(vm, s->dict, NAME(vm, __hash__), V_NONE);
}

void range_trace(VM *vm, Obj *o) {
  if (o->kind != K_SLICE) return;
  SliceObj *s = (SliceObj *)o;
  gc_mark_value(vm, s->start);
  gc_mark_value(vm, s->stop);
  gc_mark_value(vm, s->step);
}

void range_free(VM *vm, Obj *o) { (void)vm; (void)o; }
