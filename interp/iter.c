/* iter.c — the builtin iterator types (one C layout, IterObj; the Python
** type tells them apart): iterators over lists, tuples, strs, bytes,
** ranges, dicts and sets, iter(callable, sentinel), the old __getitem__
** protocol, and the lazy builtins enumerate, zip, map, filter and
** reversed.
**
** Every type's `next` slot follows NextFn's contract: exhaustion returns
** V_UNDEF with no exception pending, so for-loops allocate no
** StopIteration; the __next__ method raises it for explicit calls. An
** exhausted iterator drops its source (src = None) and stays exhausted,
** as CPython's do. */
#include <string.h>
#include "iter.h"
#include "list.h"
#include "tuple.h"
#include "dict.h"
#include "set.h"
#include "range.h"
#include "bytes.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "func.h"
#include "type.h"
#include "exc.h"

#define ITER(v) ((IterObj *)AS_OBJ(v))

static Value exhausted(IterObj *it) {
  it->src = V_NONE;
  return V_UNDEF;
}

/* ---------------------------------------------------------------- sequences */

static Value list_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_LIST(it->src)) return V_UNDEF;
  ListObj *l = AS_LIST(it->src);
  /* index-based: items appended during the loop are seen */
  if (it->index < l->len) return l->items[it->index++];
  return exhausted(it);
}

static Value list_reviter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_LIST(it->src)) return V_UNDEF;
  ListObj *l = AS_LIST(it->src);
  if (it->index >= 0 && it->index < l->len) return l->items[it->index--];
  it->index = -1;
  return exhausted(it);
}

static Value tuple_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_TUPLE(it->src)) return V_UNDEF;
  TupleObj *t = AS_TUPLE(it->src);
  if (it->index < t->len) return t->items[it->index++];
  return exhausted(it);
}

/* str iterators walk byte offsets; each step makes a one-character str */
static Value str_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_STR(it->src)) return V_UNDEF;
  StrObj *s = AS_STR(it->src);
  if (it->index >= s->len) return exhausted(it);
  size_t adv = 1;
  if (!(s->obj.flags & STR_ASCII))
    utf8_decode(s->data + it->index, (size_t)(s->len - it->index), &adv);
  if (adv == 0) adv = 1;
  StrObj *c = str_new(vm, s->data + it->index, adv);
  if (c == NULL) return V_UNDEF;
  it->index += (int64_t)adv;
  return v_obj(c);
}

static Value bytes_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_BYTES(it->src)) return V_UNDEF;
  BytesObj *b = AS_BYTES(it->src);
  if (it->index < b->len) return v_int(b->data[it->index++]);
  return exhausted(it);
}

/* src = start, aux = step, index counts up to end = len; wrapping
** arithmetic is exact because every produced value fits */
static Value range_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (it->index >= it->end) return V_UNDEF;
  uint64_t v = (uint64_t)AS_INT(it->src) + (uint64_t)it->index * (uint64_t)AS_INT(it->aux);
  it->index++;
  return v_int((int64_t)v);
}

/* ---------------------------------------------------------------- dicts */

/* mode: 0 keys, 1 values, 2 items */
static Value dict_iter_result(VM *vm, IterObj *it, DictEntry *e) {
  if (it->mode == 0) return e->key;
  if (it->mode == 1) return e->value;
  TupleObj *t = tuple_pack(vm, 2, e->key, e->value);
  return t ? v_obj(t) : V_UNDEF;
}

/* the size check shared by forward and reverse dict iterators */
static bool dict_iter_size_ok(VM *vm, IterObj *it, DictObj *d) {
  if (it->end == d->len) return true;
  it->end = -1;  /* sticky, as in CPython */
  exc_raise(vm, EXC(vm, RuntimeError), "dictionary changed size during iteration");
  return false;
}

static Value dict_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_DICT(it->src)) return V_UNDEF;
  DictObj *d = AS_DICT(it->src);
  if (!dict_iter_size_ok(vm, it, d)) return V_UNDEF;
  int64_t i = it->index;
  while (i < d->used && IS_UNDEF(d->entries[i].key)) i++;
  if (i >= d->used) return exhausted(it);
  if (AS_INT(it->aux) == 0) {
    exhausted(it);
    return exc_raise(vm, EXC(vm, RuntimeError), "dictionary keys changed during iteration");
  }
  it->index = i + 1;
  it->aux = v_int(AS_INT(it->aux) - 1);
  return dict_iter_result(vm, it, &d->entries[i]);
}

static Value dict_reviter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_DICT(it->src)) return V_UNDEF;
  DictObj *d = AS_DICT(it->src);
  if (!dict_iter_size_ok(vm, it, d)) return V_UNDEF;
  int64_t i = it->index;
  if (i >= d->used) i = d->used - 1;
  while (i >= 0 && IS_UNDEF(d->entries[i].key)) i--;
  if (i < 0) return exhausted(it);
  it->index = i - 1;
  it->aux = v_int(AS_INT(it->aux) - 1);
  return dict_iter_result(vm, it, &d->entries[i]);
}

/* ---------------------------------------------------------------- sets */

static Value set_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_SET(it->src)) return V_UNDEF;
  SetObj *s = AS_SET(it->src);
  if (it->end != s->used) {
    it->end = -1;
    return exc_raise(vm, EXC(vm, RuntimeError), "Set changed size during iteration");
  }
  int64_t i = it->index;
  while (i <= s->mask && IS_UNDEF(s->table[i].key)) i++;
  it->index = i + 1;
  if (i > s->mask) return exhausted(it);
  return s->table[i].key;
}

/* ---------------------------------------------------------------- protocols */

/* iter(callable, sentinel): call until the result == sentinel */
static Value callable_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (IS_NONE(it->src)) return V_UNDEF;
  Value r = obj_call0(vm, it->src);
  if (IS_UNDEF(r)) {
    if (exc_pending_matches(vm, EXC(vm, StopIteration))) {
      exc_clear(vm);
      return exhausted(it);
    }
    return V_UNDEF;
  }
  gc_push_root(vm, r);
  int eq = obj_eq(vm, r, it->aux);
  gc_pop_roots(vm, 1);
  if (eq < 0) return V_UNDEF;
  if (eq) return exhausted(it);
  return r;
}

/* the __getitem__ protocol: seq[0], seq[1], … until IndexError/StopIteration */
static Value seq_iter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (it->mode) return V_UNDEF;  /* exhausted (src may itself be None) */
  Value r = obj_getitem(vm, it->src, v_int(it->index));
  if (IS_UNDEF(r)) {
    if (exc_pending_matches(vm, EXC(vm, IndexError)) || exc_pending_matches(vm, EXC(vm, StopIteration))) {
      exc_clear(vm);
      it->mode = 1;
      return exhausted(it);
    }
    return V_UNDEF;
  }
  it->index++;
  return r;
}

/* ---------------------------------------------------------------- lazy builtins */

static Value enumerate_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (IS_NONE(it->src)) return V_UNDEF;
  Value item = obj_next(vm, it->src);
  if (IS_UNDEF(item)) return V_UNDEF;
  TupleObj *t = tuple_pack(vm, 2, v_int(it->index), item);
  if (t == NULL) return V_UNDEF;
  it->index++;
  return v_obj(t);
}

/* zip(strict=True) found iterator i (0-based) exhausted; check the rest */
static Value zip_strict_fail(VM *vm, IterObj *it, int64_t i) {
  TupleObj *its = AS_TUPLE(it->aux);
  if (exc_pending(vm)) return V_UNDEF;
  const char *plural = i == 1 ? " " : "s 1-";
  if (i > 0)
    return exc_value_error(vm, "zip() argument %lld is shorter than argument%s%lld",
                           (long long)(i + 1), plural, (long long)i);
  for (int64_t j = 1; j < its->len; j++) {
    Value v = obj_next(vm, its->items[j]);
    if (!IS_UNDEF(v)) {
      plural = j == 1 ? " " : "s 1-";
      return exc_value_error(vm, "zip() argument %lld is longer than argument%s%lld",
                             (long long)(j + 1), plural, (long long)j);
    }
    if (exc_pending(vm)) return V_UNDEF;
  }
  return V_UNDEF;  /* all exhausted together */
}

static Value zip_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_TUPLE(it->aux)) return V_UNDEF;
  TupleObj *its = AS_TUPLE(it->aux);
  int64_t n = its->len;
  if (n == 0) return V_UNDEF;
  TupleObj *r = tuple_new(vm, n);
  if (r == NULL) return V_UNDEF;
  gc_push_root(vm, v_obj(r));
  for (int64_t i = 0; i < n; i++) {
    Value v = obj_next(vm, its->items[i]);
    if (IS_UNDEF(v)) {
      Value res = it->mode ? zip_strict_fail(vm, it, i) : V_UNDEF;
      gc_pop_roots(vm, 1);
      return res;
    }
    r->items[i] = v;
  }
  gc_pop_roots(vm, 1);
  return v_obj(r);
}

static Value map_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (!IS_TUPLE(it->aux)) return V_UNDEF;
  TupleObj *its = AS_TUPLE(it->aux);
  int64_t n = its->len;
  Value small[8];
  Value *args = small;
  TupleObj *big = NULL;
  if (n > 8) {
    big = tuple_new(vm, n);
    if (big == NULL) return V_UNDEF;
    gc_push_root(vm, v_obj(big));
    args = big->items;
  }
  int64_t pushed = 0;
  Value r = V_UNDEF;
  bool ok = true;
  for (int64_t i = 0; i < n; i++) {
    Value v = obj_next(vm, its->items[i]);
    if (IS_UNDEF(v)) {
      ok = false;
      break;
    }
    args[i] = v;
    if (!big) {
      gc_push_root(vm, v);
      pushed++;
    }
  }
  if (ok) r = obj_call(vm, it->src, args, (int)n, NULL);
  gc_pop_roots(vm, (int)pushed + (big ? 1 : 0));
  return r;
}

static Value filter_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (IS_NONE(it->src)) return V_UNDEF;
  for (;;) {
    Value item = obj_next(vm, it->src);
    if (IS_UNDEF(item)) return V_UNDEF;
    int truth;
    if (IS_NONE(it->aux) || (IS_OBJ(it->aux) && AS_OBJ(it->aux) == &vm->t_bool->obj)) {
      truth = obj_truthy(vm, item);
    } else {
      gc_push_root(vm, item);
      Value r = obj_call1(vm, it->aux, item);
      truth = IS_UNDEF(r) ? -1 : obj_truthy(vm, r);
      gc_pop_roots(vm, 1);
    }
    if (truth < 0) return V_UNDEF;
    if (truth) return item;
  }
}

static Value reversed_next(VM *vm, Value self) {
  IterObj *it = ITER(self);
  if (it->index >= 0 && !IS_NONE(it->src)) {
    Value r = obj_getitem(vm, it->src, v_int(it->index));
    if (!IS_UNDEF(r)) {
      it->index--;
      return r;
    }
    if (!exc_pending_matches(vm, EXC(vm, IndexError)) && !exc_pending_matches(vm, EXC(vm, StopIteration)))
      return V_UNDEF;
    exc_clear(vm);
  }
  it->index = -1;
  return exhausted(it);
}

/* ---------------------------------------------------------------- creation */

static IterObj *iter_alloc(VM *vm, Type *type, Value src, Value aux, int64_t index, int64_t end) {
  IterObj *it = gc_alloc_obj(vm, sizeof(IterObj), K_ITER, type);
  if (it == NULL) return NULL;
  it->src = src;
  it->aux = aux;
  it->index = index;
  it->end = end;
  return it;
}

Value iter_new(VM *vm, IterTypeId which, Value src, Value aux, int64_t index, int64_t end) {
  IterObj *it = iter_alloc(vm, vm->iter_types[which], src, aux, index, end);
  if (it == NULL) return V_UNDEF;
  switch (which) {
    case IT_DICT_VALUES: case IT_DICT_REVVALUES: it->mode = 1; break;
    case IT_DICT_ITEMS: case IT_DICT_REVITEMS: it->mode = 2; break;
    default: break;
  }
  return v_obj(it);
}

Value iter_callable_new(VM *vm, Value callable, Value sentinel) {
  return iter_new(vm, IT_CALLABLE, callable, sentinel, 0, 0);
}

Value iter_seq_new(VM *vm, Value seq) {
  return iter_new(vm, IT_SEQ, seq, V_NONE, 0, 0);
}

static bool is_my_iterator(VM *vm, Value v) {
  if (!IS_ITER(v)) return false;
  Type *t = AS_OBJ(v)->type;
  for (int i = 0; i < IT__COUNT; i++)
    if (vm->iter_types[i] == t) return true;
  return false;
}

Value iter_builtin(VM *vm, Value v) {
  if (!IS_OBJ(v)) return V_UNDEF;
  Obj *o = AS_OBJ(v);
  Type *t = o->type;
  if (t == vm->t_list) return iter_new(vm, IT_LIST, v, V_NONE, 0, 0);
  if (t == vm->t_tuple) return iter_new(vm, IT_TUPLE, v, V_NONE, 0, 0);
  if (t == vm->t_str)
    return iter_new(vm, (o->flags & STR_ASCII) ? IT_STR_ASCII : IT_STR, v, V_NONE, 0, 0);
  if (t == vm->t_dict) {
    DictObj *d = AS_DICT(v);
    return iter_new(vm, IT_DICT_KEYS, v, v_int(d->len), 0, d->len);
  }
  if (t == vm->t_range) {
    RangeObj *r = AS_RANGE(v);
    return iter_new(vm, IT_RANGE, v_int(r->start), v_int(r->step), 0, r->len);
  }
  if (t == vm->t_set || t == vm->t_frozenset) return iter_new(vm, IT_SET, v, V_NONE, 0, AS_SET(v)->used);
  if (t == vm->t_bytes) return iter_new(vm, IT_BYTES, v, V_NONE, 0, 0);
  if (t == vm->t_dict_keys || t == vm->t_dict_values || t == vm->t_dict_items) return t->iter(vm, v);
  if (is_my_iterator(vm, v) && t->next != NULL) return v;
  return V_UNDEF;
}

/* reversed(seq) */
Value iter_reversed(VM *vm, Value seq) {
  Type *t = obj_type(vm, seq);
  if (t == vm->t_list) return iter_new(vm, IT_LIST_REV, seq, V_NONE, AS_LIST(seq)->len - 1, 0);
  if (t == vm->t_range) {
    RangeObj *r = AS_RANGE(seq);
    int64_t last = (int64_t)((uint64_t)r->start + (uint64_t)(r->len ? r->len - 1 : 0) * (uint64_t)r->step);
    int64_t neg = (int64_t)(0 - (uint64_t)r->step);
    return iter_new(vm, IT_RANGE, v_int(last), v_int(neg), 0, r->len);
  }
  if (t == vm->t_tuple || t == vm->t_str || t == vm->t_bytes) {
    int64_t n = obj_len(vm, seq);
    if (n < 0) return V_UNDEF;
    return iter_new(vm, IT_REVERSED, seq, V_NONE, n - 1, 0);
  }
  Value fn = type_lookup(vm, t, NAME(vm, __reversed__));
  if (IS_NONE(fn)) return exc_type_error(vm, "'%T' object is not reversible", seq);
  if (!IS_UNDEF(fn)) return obj_call1(vm, fn, seq);
  if (IS_DICT(seq) || (t->getitem == NULL && IS_UNDEF(type_lookup(vm, t, NAME(vm, __getitem__)))))
    return exc_type_error(vm, "'%T' object is not reversible", seq);
  int64_t n = obj_len(vm, seq);
  if (n < 0) return V_UNDEF;
  return iter_new(vm, IT_REVERSED, seq, V_NONE, n - 1, 0);
}

/* ---------------------------------------------------------------- constructors */

static bool kw_is(TupleObj *kwnames, int64_t k, const char *name) {
  return strcmp(STR_CSTR((StrObj *)AS_OBJ(kwnames->items[k])), name) == 0;
}

static Value kw_invalid(VM *vm, TupleObj *kwnames, int64_t k, const char *fname) {
  return exc_type_error(vm, "'%U' is an invalid keyword argument for %s()",
                        (StrObj *)AS_OBJ(kwnames->items[k]), fname);
}

/* enumerate(iterable, start=0) */
static Value enumerate_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  Value iterable = V_UNDEF, start = V_UNDEF;
  if (nargs > 2) return exc_type_error(vm, "enumerate() takes at most 2 arguments (%d given)", nargs);
  if (nargs > 0) iterable = args[0];
  if (nargs > 1) start = args[1];
  int64_t nkw = kwnames ? kwnames->len : 0;
  for (int64_t k = 0; k < nkw; k++) {
    Value *slot = kw_is(kwnames, k, "iterable") ? &iterable : kw_is(kwnames, k, "start") ? &start : NULL;
    if (slot == NULL) return kw_invalid(vm, kwnames, k, "enumerate");
    if (!IS_UNDEF(*slot))
      return exc_type_error(vm, "argument for enumerate() given by name ('%U') and position (%d)",
                            (StrObj *)AS_OBJ(kwnames->items[k]), slot == &iterable ? 1 : 2);
    *slot = args[nargs + k];
  }
  if (IS_UNDEF(iterable)) return exc_type_error(vm, "enumerate() missing required argument 'iterable'");
  int64_t count = 0;
  if (!IS_UNDEF(start)) {
    int r = seq_key_index(vm, start, &count);
    if (r < 0) return V_UNDEF;
    if (r == 0) return exc_type_error(vm, "'%T' object cannot be interpreted as an integer", start);
  }
  Value it = obj_iter(vm, iterable);
  if (IS_UNDEF(it)) return V_UNDEF;
  IterObj *e = iter_alloc(vm, type, it, V_NONE, count, 0);
  return e ? v_obj(e) : V_UNDEF;
}

/* a tuple of iter(x) for each of args[0..n) */
static TupleObj *iter_tuple(VM *vm, Value *args, int n) {
  TupleObj *its = tuple_new(vm, n);
  if (its == NULL) return NULL;
  gc_push_root(vm, v_obj(its));
  for (int i = 0; i < n; i++) {
    Value it = obj_iter(vm, args[i]);
    if (IS_UNDEF(it)) {
      gc_pop_roots(vm, 1);
      return NULL;
    }
    its->items[i] = it;
  }
  gc_pop_roots(vm, 1);
  return its;
}

static Value zip_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  int strict = 0;
  int64_t nkw = kwnames ? kwnames->len : 0;
  for (int64_t k = 0; k < nkw; k++) {
    if (!kw_is(kwnames, k, "strict")) return kw_invalid(vm, kwnames, k, "zip");
    strict = obj_truthy(vm, args[nargs + k]);
    if (strict < 0) return V_UNDEF;
  }
  TupleObj *its = iter_tuple(vm, args, nargs);
  if (its == NULL) return V_UNDEF;
  IterObj *z = iter_alloc(vm, type, V_NONE, v_obj(its), 0, 0);
  if (z == NULL) return V_UNDEF;
  z->mode = strict;
  return v_obj(z);
}

static Value map_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (type == vm->iter_types[IT_MAP] && seq_no_kwargs(vm, "map", kwnames) < 0) return V_UNDEF;
  if (nargs < 2) return exc_type_error(vm, "map() must have at least two arguments.");
  TupleObj *its = iter_tuple(vm, args + 1, nargs - 1);
  if (its == NULL) return V_UNDEF;
  IterObj *m = iter_alloc(vm, type, args[0], v_obj(its), 0, 0);
  return m ? v_obj(m) : V_UNDEF;
}

static Value filter_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (type == vm->iter_types[IT_FILTER] && seq_no_kwargs(vm, "filter", kwnames) < 0) return V_UNDEF;
  if (seq_args_range(vm, "filter", nargs, 2, 2) < 0) return V_UNDEF;
  Value it = obj_iter(vm, args[1]);
  if (IS_UNDEF(it)) return V_UNDEF;
  IterObj *f = iter_alloc(vm, type, it, args[0], 0, 0);
  return f ? v_obj(f) : V_UNDEF;
}

static Value reversed_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (type == vm->iter_types[IT_REVERSED] && seq_no_kwargs(vm, "reversed", kwnames) < 0) return V_UNDEF;
  if (seq_args_range(vm, "reversed", nargs, 1, 1) < 0) return V_UNDEF;
  if (type == vm->iter_types[IT_REVERSED]) return iter_reversed(vm, args[0]);
  /* a subclass of reversed: only the sequence protocol */
  int64_t n = obj_len(vm, args[0]);
  if (n < 0) return V_UNDEF;
  IterObj *r = iter_alloc(vm, type, args[0], V_NONE, n - 1, 0);
  return r ? v_obj(r) : V_UNDEF;
}

/* ---------------------------------------------------------------- methods */

static Value iter_self(VM *vm, Value self) { return self; }

static Value iter_m_iter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (nargs != 1) return exc_type_error(vm, "expected 0 arguments, got %d", nargs - 1);
  return args[0];
}

static Value iter_m_next(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (nargs != 1 || !IS_OBJ(args[0]) || AS_OBJ(args[0])->type->next == NULL)
    return exc_type_error(vm, "expected 0 arguments, got %d", nargs - 1);
  Value r = AS_OBJ(args[0])->type->next(vm, args[0]);
  if (IS_UNDEF(r) && !exc_pending(vm)) {
    ExcObj *e = exc_new(vm, EXC(vm, StopIteration), NULL);
    if (e == NULL) return V_UNDEF;
    return exc_raise_obj(vm, e);
  }
  return r;
}

static const struct {
  const char *name;
  NextFn next;
  NewFn construct;
} iter_specs[IT__COUNT] = {
  [IT_LIST] = {"list_iterator", list_iter_next, NULL},
  [IT_LIST_REV] = {"list_reverseiterator", list_reviter_next, NULL},
  [IT_TUPLE] = {"tuple_iterator", tuple_iter_next, NULL},
  [IT_STR_ASCII] = {"str_ascii_iterator", str_iter_next, NULL},
  [IT_STR] = {"str_iterator", str_iter_next, NULL},
  [IT_BYTES] = {"bytes_iterator", bytes_iter_next, NULL},
  [IT_RANGE] = {"range_iterator", range_iter_next, NULL},
  [IT_DICT_KEYS] = {"dict_keyiterator", dict_iter_next, NULL},
  [IT_DICT_VALUES] = {"dict_valueiterator", dict_iter_next, NULL},
  [IT_DICT_ITEMS] = {"dict_itemiterator", dict_iter_next, NULL},
  [IT_DICT_REVKEYS] = {"dict_reversekeyiterator", dict_reviter_next, NULL},
  [IT_DICT_REVVALUES] = {"dict_reversevalueiterator", dict_reviter_next, NULL},
  [IT_DICT_REVITEMS] = {"dict_reverseitemiterator", dict_reviter_next, NULL},
  [IT_SET] = {"set_iterator", set_iter_next, NULL},
  [IT_CALLABLE] = {"callable_iterator", callable_iter_next, NULL},
  [IT_SEQ] = {"iterator", seq_iter_next, NULL},
  [IT_ENUMERATE] = {"enumerate", enumerate_next, enumerate_construct},
  [IT_ZIP] = {"zip", zip_next, zip_construct},
  [IT_MAP] = {"map", map_next, map_construct},
  [IT_FILTER] = {"filter", filter_next, filter_construct},
  [IT_REVERSED] = {"reversed", reversed_next, reversed_construct},
};

void iter_types_init(VM *vm) {
  vm->iter_types = gc_malloc(vm, IT__COUNT * sizeof(Type *));
  if (vm->iter_types == NULL) return;
  for (int i = 0; i < IT__COUNT; i++) {
    bool builtin = iter_specs[i].construct != NULL;
    Type *t = type_new_builtin(vm, iter_specs[i].name, NULL, K_ITER, builtin ? TF_BASETYPE : 0);
    vm->iter_types[i] = t;
    if (t == NULL) continue;
    t->next = iter_specs[i].next;
    t->iter = iter_self;
    t->construct = iter_specs[i].construct;
    define_native(vm, t->dict, "__iter__", iter_m_iter, NATIVE_METHOD);
    define_native(vm, t->dict, "__next__", iter_m_next, NATIVE_METHOD);
    if (builtin) dict_set_cstr(vm, vm->builtins, iter_specs[i].name, v_obj(t));
  }
}

void iter_trace(VM *vm, Obj *o) {
  IterObj *it = (IterObj *)o;
  gc_mark_value(vm, it->src);
  gc_mark_value(vm, it->aux);
}

void iter_free(VM *vm, Obj *o) { (void)vm; (void)o; }
