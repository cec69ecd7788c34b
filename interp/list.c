/* list.c — the list type: growth, append/extend/insert/pop/remove…,
** indexing and slice get/set/delete (extended slices included), repr with
** a recursion guard, comparison, + * += *=, and sort(): a stable merge
** sort shaped like CPython's timsort (runs found the same way, binary
** insertion for short ones) so that user __lt__ sees the same calls and
** error messages name the same operands. */
#include <string.h>
#include "list.h"
#include "tuple.h"
#include "range.h"
#include "iter.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "func.h"
#include "type.h"
#include "exc.h"
#include "dict.h"

/* memmove of n Values that tolerates n == 0 with NULL buffers (an empty
** list has no items array, and memcpy(NULL, NULL, 0) is undefined) */
static inline void values_move(Value *dst, const Value *src, int64_t n) {
  if (n > 0) memmove(dst, src, (size_t)n * sizeof(Value));
}

/* ---------------------------------------------------------------- storage */

static ListObj *list_alloc(VM *vm, Type *type, int64_t cap) {
  ListObj *l = gc_alloc_obj(vm, sizeof(ListObj), K_LIST, type);
  if (l == NULL) return NULL;
  if (cap > 0) {
    l->items = gc_malloc(vm, gc_array_size((size_t)cap, sizeof(Value)));
    if (l->items == NULL) return NULL;
    l->cap = cap;
  }
  return l;
}

ListObj *list_new(VM *vm, int64_t cap_hint) {
  return list_alloc(vm, vm->t_list, cap_hint < 0 ? 0 : cap_hint);
}

/* make room for at least `need` items (amortised growth) */
static int list_reserve(VM *vm, ListObj *l, int64_t need) {
  if (need <= l->cap) return 0;
  /* small lists double (each realloc copies; stacks of a few dozen items
  ** are common), big ones grow by half */
  int64_t cap = l->cap < 8 ? 8 : l->cap < 1024 ? l->cap * 2 : l->cap + (l->cap >> 1);
  if (cap < need) cap = need;
  size_t newsize = gc_array_size((size_t)cap, sizeof(Value));
  Value *items = gc_realloc(vm, l->items, (size_t)l->cap * sizeof(Value), newsize);
  if (items == NULL) return -1;
  l->items = items;
  l->cap = cap;
  return 0;
}

/* give back memory after a large shrink */
static void list_shrink(VM *vm, ListObj *l) {
  if (l->len == 0 && l->cap > 16) {
    gc_free(vm, l->items, (size_t)l->cap * sizeof(Value));
    l->items = NULL;
    l->cap = 0;
  } else if (l->cap > 64 && l->len < l->cap / 4) {
    int64_t cap = l->len + (l->len >> 1) + 4;
    Value *items = gc_realloc(vm, l->items, (size_t)l->cap * sizeof(Value), (size_t)cap * sizeof(Value));
    if (items == NULL) {
      exc_clear(vm);  /* shrinking is only an optimisation */
      return;
    }
    l->items = items;
    l->cap = cap;
  }
}

int list_reserve_total(VM *vm, ListObj *l, int64_t total) {
  if (total <= l->cap) return 0;
  Value *items = gc_realloc(vm, l->items, (size_t)l->cap * sizeof(Value), gc_array_size((size_t)total, sizeof(Value)));
  if (items == NULL) return -1;
  l->items = items;
  l->cap = total;
  return 0;
}

int list_append_n(VM *vm, ListObj *l, const Value *items, int64_t n) {
  if (l->len + n > l->cap && list_reserve(vm, l, l->len + n) < 0) return -1;
  memcpy(l->items + l->len, items, (size_t)n * sizeof(Value));
  l->len += n;
  return 0;
}

int list_append(VM *vm, ListObj *l, Value v) {
  if (l->len == l->cap && list_reserve(vm, l, l->len + 1) < 0) return -1;
  l->items[l->len++] = v;
  return 0;
}

static int list_append_items(VM *vm, ListObj *l, const Value *items, int64_t n) {
  if (n == 0) return 0;
  if (list_reserve(vm, l, l->len + n) < 0) return -1;
  /* items may be l's own buffer (l.extend(l)): it was not moved if the
  ** reserve did not grow, and memmove copes with the overlap */
  values_move(l->items + l->len, items, n);
  l->len += n;
  return 0;
}

int list_extend(VM *vm, ListObj *l, Value iterable) {
  if (IS_LIST(iterable)) {
    ListObj *src = AS_LIST(iterable);
    int64_t n = src->len;
    if (list_reserve(vm, l, l->len + n) < 0) return -1;
    values_move(l->items + l->len, src->items, n);
    l->len += n;
    return 0;
  }
  if (IS_TUPLE(iterable))
    return list_append_items(vm, l, AS_TUPLE(iterable)->items, AS_TUPLE(iterable)->len);
  gc_push_root(vm, v_obj(l));
  Value it = obj_iter(vm, iterable);
  if (IS_UNDEF(it)) {
    gc_pop_roots(vm, 1);
    return -1;
  }
  gc_push_root(vm, it);
  int rc = 0;
  for (;;) {
    Value v = obj_next(vm, it);
    if (IS_UNDEF(v)) {
      rc = exc_pending(vm) ? -1 : 0;
      break;
    }
    if (list_append(vm, l, v) < 0) {
      rc = -1;
      break;
    }
  }
  gc_pop_roots(vm, 2);
  return rc;
}

Value list_from_iterable(VM *vm, Value iterable) {
  int64_t hint = IS_LIST(iterable) ? AS_LIST(iterable)->len
               : IS_TUPLE(iterable) ? AS_TUPLE(iterable)->len : 0;
  ListObj *l = list_new(vm, hint);
  if (l == NULL) return V_UNDEF;
  if (list_extend(vm, l, iterable) < 0) return V_UNDEF;
  return v_obj(l);
}

/* PySequence_Fast: a list or tuple holding the items of v; a TypeError from
** iter(v) is replaced by `msg` */
static Value seq_fast(VM *vm, Value v, const char *msg) {
  if (IS_LIST(v) || IS_TUPLE(v)) return v;
  Value it = obj_iter(vm, v);
  if (IS_UNDEF(it)) {
    if (exc_pending_matches(vm, EXC(vm, TypeError))) {
      exc_clear(vm);
      exc_type_error(vm, "%s", msg);
    }
    return V_UNDEF;
  }
  gc_push_root(vm, it);
  Value l = list_from_iterable(vm, it);
  gc_pop_roots(vm, 1);
  return l;
}

static const Value *seq_items(Value v, int64_t *n) {
  if (IS_LIST(v)) {
    *n = AS_LIST(v)->len;
    return AS_LIST(v)->items;
  }
  *n = AS_TUPLE(v)->len;
  return AS_TUPLE(v)->items;
}

/* ---------------------------------------------------------------- construct */

static Value list_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (type == vm->t_list && seq_no_kwargs(vm, "list", kwnames) < 0) return V_UNDEF;
  if (type == vm->t_list && seq_args_range(vm, "list", nargs, 0, 1) < 0) return V_UNDEF;
  ListObj *l = list_alloc(vm, type, 0);
  if (l == NULL) return V_UNDEF;
  /* A subclass with its own __init__ gets an empty list (as from
  ** CPython's list.__new__) and fills it there; otherwise construct is
  ** the whole of list(...), list.__init__'s work included. */
  if (type != vm->t_list) {
    if (init_overridden(vm, type, vm->t_list)) return v_obj(l);
    if (seq_no_kwargs(vm, "list", kwnames) < 0) return V_UNDEF;
    if (seq_args_range(vm, "list", nargs, 0, 1) < 0) return V_UNDEF;
  }
  if (nargs == 0) return v_obj(l);
  if (list_extend(vm, l, args[0]) < 0) return V_UNDEF;
  return v_obj(l);
}

/* ---------------------------------------------------------------- repr */

static Value list_repr_nested(VM *vm, Value self) {
  ListObj *l = AS_LIST(self);
  if (l->len == 0) return v_obj(str_from_cstr(vm, "[]"));
  if (l->obj.flags & OBJ_FLAG_REPR_BUSY) return v_obj(str_from_cstr(vm, "[...]"));
  l->obj.flags |= OBJ_FLAG_REPR_BUSY;
  SBuf b;
  sbuf_init(&b);
  sbuf_addc(&b, '[');
  /* re-read len each time: a user __repr__ may change the list */
  for (int64_t i = 0; i < l->len; i++) {
    if (i) sbuf_adds(&b, ", ");
    if (sbuf_add_repr(vm, &b, l->items[i]) < 0) {
      l->obj.flags &= ~OBJ_FLAG_REPR_BUSY;
      sbuf_free(&b);
      return V_UNDEF;
    }
  }
  sbuf_addc(&b, ']');
  l->obj.flags &= ~OBJ_FLAG_REPR_BUSY;
  StrObj *s = sbuf_finish(vm, &b);
  return s ? v_obj(s) : V_UNDEF;
}

/* guarded against deep nesting (see seq_recursion_enter) */
static Value list_repr(VM *vm, Value self) {
  if (seq_recursion_enter(vm, SEQ_IN_REPR) < 0) return V_UNDEF;
  Value r = list_repr_nested(vm, self);
  seq_recursion_leave(vm);
  return r;
}

/* ---------------------------------------------------------------- indexing */

static int64_t list_len(VM *vm, Value self) { return AS_LIST(self)->len; }

static Value list_slice(VM *vm, ListObj *l, SliceObj *s) {
  int64_t start, stop, step;
  int64_t n = slice_indices(vm, s, l->len, &start, &stop, &step);
  if (n < 0) return V_UNDEF;
  ListObj *r = list_new(vm, n);
  if (r == NULL) return V_UNDEF;
  if (step == 1) {
    if (n) values_move(r->items, l->items + start, n);
  } else {
    for (int64_t i = 0, j = start; i < n; i++, j += step) r->items[i] = l->items[j];
  }
  r->len = n;
  return v_obj(r);
}

static Value list_getitem(VM *vm, Value self, Value key) {
  ListObj *l = AS_LIST(self);
  if (IS_INT(key)) {
    int64_t i = AS_INT(key);
    if (i < 0) i += l->len;
    if (i < 0 || i >= l->len) return exc_raise(vm, EXC(vm, IndexError), "list index out of range");
    return l->items[i];
  }
  if (IS_SLICE(key)) return list_slice(vm, l, AS_SLICE(key));
  int64_t i;
  if (seq_index(vm, key, l->len, "list", &i) < 0) return V_UNDEF;
  return l->items[i];
}

/* remove items [lo, hi) */
static void list_remove_range(VM *vm, ListObj *l, int64_t lo, int64_t hi) {
  if (hi <= lo) return;
  values_move(l->items + lo, l->items + hi, (l->len - hi));
  l->len -= hi - lo;
  list_shrink(vm, l);
}

/* l[lo:hi] = items (n of them); items do not alias l's buffer */
static int list_replace_range(VM *vm, ListObj *l, int64_t lo, int64_t hi, const Value *items, int64_t n) {
  if (hi < lo) hi = lo;
  int64_t delta = n - (hi - lo);
  if (delta > 0 && list_reserve(vm, l, l->len + delta) < 0) return -1;
  values_move(l->items + hi + delta, l->items + hi, (l->len - hi));
  if (n) values_move(l->items + lo, items, n);
  l->len += delta;
  if (delta < 0) list_shrink(vm, l);
  return 0;
}

static int list_del_slice(VM *vm, ListObj *l, SliceObj *s) {
  int64_t start, stop, step;
  int64_t n = slice_indices(vm, s, l->len, &start, &stop, &step);
  if (n < 0) return -1;
  if (step == 1) {
    list_remove_range(vm, l, start, stop);
    return 0;
  }
  if (n == 0) return 0;
  if (step < 0) {  /* delete the same positions walking forward */
    start = start + (n - 1) * step;
    step = -step;
  }
  int64_t dst = start, removed = 0;
  for (int64_t src = start; src < l->len; src++) {
    if (removed < n && src == start + removed * step) {
      removed++;
      continue;
    }
    l->items[dst++] = l->items[src];
  }
  l->len = dst;
  list_shrink(vm, l);
  return 0;
}

static int list_set_slice(VM *vm, ListObj *l, SliceObj *s, Value value) {
  int64_t start, stop, step;
  int64_t n = slice_indices(vm, s, l->len, &start, &stop, &step);
  if (n < 0) return -1;
  if (step == 1) {
    /* a[i:j] = a copies a first */
    Value src = IS_LIST(value) && AS_OBJ(value) == &l->obj
                    ? list_from_iterable(vm, value)
                    : seq_fast(vm, value, "can only assign an iterable");
    if (IS_UNDEF(src)) return -1;
    gc_push_root(vm, src);
    int64_t m;
    const Value *items = seq_items(src, &m);
    /* seq_fast may have run Python code that resized l: re-resolve */
    n = slice_indices(vm, s, l->len, &start, &stop, &step);
    int rc = n < 0 ? -1 : list_replace_range(vm, l, start, stop, items, m);
    gc_pop_roots(vm, 1);
    return rc;
  }
  Value src = IS_LIST(value) && AS_OBJ(value) == &l->obj
                  ? list_from_iterable(vm, value)
                  : seq_fast(vm, value, "must assign iterable to extended slice");
  if (IS_UNDEF(src)) return -1;
  gc_push_root(vm, src);
  n = slice_indices(vm, s, l->len, &start, &stop, &step);
  gc_pop_roots(vm, 1);
  if (n < 0) return -1;
  int64_t m;
  const Value *items = seq_items(src, &m);
  if (m != n) {
    exc_value_error(vm, "attempt to assign sequence of size %lld to extended slice of size %lld",
                    (long long)m, (long long)n);
    return -1;
  }
  for (int64_t i = 0, j = start; i < n; i++, j += step) l->items[j] = items[i];
  return 0;
}

static int list_setitem(VM *vm, Value self, Value key, Value value) {
  ListObj *l = AS_LIST(self);
  if (IS_SLICE(key))
    return IS_UNDEF(value) ? list_del_slice(vm, l, AS_SLICE(key)) : list_set_slice(vm, l, AS_SLICE(key), value);
  int64_t i;
  int k = seq_key_index(vm, key, &i);
  if (k < 0) return -1;
  if (k == 0) {
    exc_type_error(vm, "list indices must be integers or slices, not %T", key);
    return -1;
  }
  if (i < 0) i += l->len;
  if (i < 0 || i >= l->len) {
    exc_raise(vm, EXC(vm, IndexError), "list assignment index out of range");
    return -1;
  }
  if (IS_UNDEF(value)) list_remove_range(vm, l, i, i + 1);
  else l->items[i] = value;
  return 0;
}

static int list_contains(VM *vm, Value self, Value item) {
  ListObj *l = AS_LIST(self);
  for (int64_t i = 0; i < l->len; i++) {
    int eq = obj_eq(vm, l->items[i], item);
    if (eq != 0) return eq;
  }
  return 0;
}

static Value list_iter(VM *vm, Value self) {
  return iter_new(vm, IT_LIST, self, V_NONE, 0, 0);
}

static Value list_richcmp(VM *vm, Value a, Value b, int op) {
  if (!IS_LIST(a) || !IS_LIST(b)) return v_obj(vm->not_implemented);
  return seq_richcmp_items(vm, a, b, op);
}

/* ---------------------------------------------------------------- operators */

/* a user class may still handle the operation (__radd__, __rmul__) */
static bool is_user_value(Value v) {
  return IS_OBJ(v) && (AS_OBJ(v)->type->flags & TF_HEAP);
}

/* the repeat count of l * n, or a TypeError as CPython words it;
** 1 ok, 0 not an int from a user class (NotImplemented), -1 error */
static int repeat_count(VM *vm, Value count, int64_t *n) {
  int k = seq_key_index(vm, count, n);
  if (k != 0) return k;
  if (is_user_value(count)) return 0;
  exc_type_error(vm, "can't multiply sequence by non-int of type '%T'", count);
  return -1;
}

static Value list_repeat(VM *vm, ListObj *l, int64_t n) {
  if (n < 0) n = 0;
  if (l->len && n > INT64_MAX / l->len) return exc_no_memory(vm);
  ListObj *r = list_new(vm, l->len * n);
  if (r == NULL) return V_UNDEF;
  for (int64_t i = 0; i < n; i++)
    values_move(r->items + i * l->len, l->items, l->len);
  r->len = l->len * n;
  return v_obj(r);
}

static int list_repeat_inplace(VM *vm, ListObj *l, int64_t n) {
  if (n <= 0 || l->len == 0) {
    l->len = 0;
    list_shrink(vm, l);
    return 0;
  }
  if (n > INT64_MAX / l->len) {
    exc_no_memory(vm);
    return -1;
  }
  int64_t len = l->len;
  if (list_reserve(vm, l, len * n) < 0) return -1;
  for (int64_t i = 1; i < n; i++) values_move(l->items + i * len, l->items, len);
  l->len = len * n;
  return 0;
}

Value list_binop(VM *vm, int op, Value a, Value b) {
  switch (op) {
    case BIN_ADD: {
      if (!IS_LIST(a)) return v_obj(vm->not_implemented);
      if (!IS_LIST(b)) {
        if (is_user_value(b)) return v_obj(vm->not_implemented);
        return exc_type_error(vm, "can only concatenate list (not \"%s\") to list", obj_type_name(vm, b));
      }
      ListObj *x = AS_LIST(a), *y = AS_LIST(b);
      ListObj *r = list_new(vm, x->len + y->len);
      if (r == NULL) return V_UNDEF;
      values_move(r->items, x->items, x->len);
      values_move(r->items + x->len, y->items, y->len);
      r->len = x->len + y->len;
      return v_obj(r);
    }
    case BIN_MUL: {
      Value seq = IS_LIST(a) ? a : b, count = IS_LIST(a) ? b : a;
      if (!IS_LIST(seq)) return v_obj(vm->not_implemented);
      int64_t n;
      int k = repeat_count(vm, count, &n);
      if (k <= 0) return k == 0 ? v_obj(vm->not_implemented) : V_UNDEF;
      return list_repeat(vm, AS_LIST(seq), n);
    }
    case BIN_INPLACE + BIN_ADD:
      if (!IS_LIST(a)) return v_obj(vm->not_implemented);
      if (list_extend(vm, AS_LIST(a), b) < 0) return V_UNDEF;
      return a;
    case BIN_INPLACE + BIN_MUL: {
      if (!IS_LIST(a)) return list_binop(vm, BIN_MUL, a, b);
      int64_t n;
      int k = repeat_count(vm, b, &n);
      if (k <= 0) return k == 0 ? v_obj(vm->not_implemented) : V_UNDEF;
      if (list_repeat_inplace(vm, AS_LIST(a), n) < 0) return V_UNDEF;
      return a;
    }
    default:
      return v_obj(vm->not_implemented);
  }
}

/* ---------------------------------------------------------------- sort */

/* `a < b` as a C truth value: 1/0/-1. Ints, floats and strs compare
** without the generic protocol. */
static int sort_lt(VM *vm, Value a, Value b) {
  if (IS_INT(a) && IS_INT(b)) return AS_INT(a) < AS_INT(b);
  if (IS_FLOAT(a) && IS_FLOAT(b)) return AS_FLOAT(a) < AS_FLOAT(b);
  if (IS_OBJ(a) && IS_OBJ(b) && AS_OBJ(a)->type == vm->t_str && AS_OBJ(b)->type == vm->t_str)
    return str_compare((StrObj *)AS_OBJ(a), (StrObj *)AS_OBJ(b)) < 0;
  Value r = obj_richcmp(vm, a, b, CMP_LT);
  if (IS_UNDEF(r)) return -1;
  if (IS_BOOL(r)) return AS_BOOL(r);
  return obj_truthy(vm, r);
}

/* The arrays being sorted: keys are compared; vals (NULL when the items
** are their own keys) move along. Both, and the scratch space, live in
** rooted lists so user code run by comparisons may collect garbage. */
typedef struct SortState {
  VM *vm;
  Value *keys, *vals;
  Value *tmp_keys, *tmp_vals;
  int64_t run_base[96], run_len[96];
  int nruns;
} SortState;

static void sort_swap_reverse(Value *a, int64_t lo, int64_t hi) {
  for (hi--; lo < hi; lo++, hi--) {
    Value t = a[lo];
    a[lo] = a[hi];
    a[hi] = t;
  }
}

static void sort_reverse(SortState *ss, int64_t lo, int64_t hi) {
  sort_swap_reverse(ss->keys, lo, hi);
  if (ss->vals) sort_swap_reverse(ss->vals, lo, hi);
}

/* the length of the run starting at lo: non-descending, or strictly
** descending (*desc set); -1 on error */
static int64_t sort_count_run(SortState *ss, int64_t lo, int64_t hi, bool *desc) {
  *desc = false;
  if (lo + 1 == hi) return 1;
  int64_t n = 2;
  int lt = sort_lt(ss->vm, ss->keys[lo + 1], ss->keys[lo]);
  if (lt < 0) return -1;
  if (lt) {
    *desc = true;
    for (int64_t i = lo + 2; i < hi; i++, n++) {
      lt = sort_lt(ss->vm, ss->keys[i], ss->keys[i - 1]);
      if (lt < 0) return -1;
      if (!lt) break;
    }
  } else {
    for (int64_t i = lo + 2; i < hi; i++, n++) {
      lt = sort_lt(ss->vm, ss->keys[i], ss->keys[i - 1]);
      if (lt < 0) return -1;
      if (lt) break;
    }
  }
  return n;
}

/* binary insertion sort of [lo, hi) where [lo, start) is already sorted */
static int sort_binary_insertion(SortState *ss, int64_t lo, int64_t hi, int64_t start) {
  if (start == lo) start++;
  for (; start < hi; start++) {
    Value pivot = ss->keys[start];
    int64_t l = lo, r = start;
    do {
      int64_t p = l + ((r - l) >> 1);
      int lt = sort_lt(ss->vm, pivot, ss->keys[p]);
      if (lt < 0) return -1;
      if (lt) r = p;
      else l = p + 1;
    } while (l < r);
    values_move(ss->keys + l + 1, ss->keys + l, (start - l));
    ss->keys[l] = pivot;
    if (ss->vals) {
      Value pv = ss->vals[start];
      values_move(ss->vals + l + 1, ss->vals + l, (start - l));
      ss->vals[l] = pv;
    }
  }
  return 0;
}

/* merge the adjacent sorted runs [lo, mid) and [mid, hi); stable: an item
** of the right run goes first only when it is < the left one */
static int sort_merge(SortState *ss, int64_t lo, int64_t mid, int64_t hi) {
  int64_t nleft = mid - lo;
  values_move(ss->tmp_keys, ss->keys + lo, nleft);
  if (ss->vals) values_move(ss->tmp_vals, ss->vals + lo, nleft);
  int64_t i = 0, j = mid, d = lo;
  int rc = 0;
  while (i < nleft && j < hi) {
    int lt = sort_lt(ss->vm, ss->keys[j], ss->tmp_keys[i]);
    if (lt < 0) {
      rc = -1;
      break;
    }
    if (lt) {
      ss->keys[d] = ss->keys[j];
      if (ss->vals) ss->vals[d] = ss->vals[j];
      j++;
    } else {
      ss->keys[d] = ss->tmp_keys[i];
      if (ss->vals) ss->vals[d] = ss->tmp_vals[i];
      i++;
    }
    d++;
  }
  /* what is left of the left run fills the gap exactly (also on error) */
  values_move(ss->keys + d, ss->tmp_keys + i, (nleft - i));
  if (ss->vals) values_move(ss->vals + d, ss->tmp_vals + i, (nleft - i));
  return rc;
}

static int sort_merge_at(SortState *ss, int k) {
  int64_t lo = ss->run_base[k], mid = ss->run_base[k + 1], hi = mid + ss->run_len[k + 1];
  ss->run_len[k] += ss->run_len[k + 1];
  for (int j = k + 1; j + 1 < ss->nruns; j++) {
    ss->run_base[j] = ss->run_base[j + 1];
    ss->run_len[j] = ss->run_len[j + 1];
  }
  ss->nruns--;
  return sort_merge(ss, lo, mid, hi);
}

/* keep the pending run lengths balanced (timsort's invariants) */
static int sort_merge_collapse(SortState *ss) {
  int64_t *len = ss->run_len;
  while (ss->nruns > 1) {
    int n = ss->nruns - 2;
    if ((n > 0 && len[n - 1] <= len[n] + len[n + 1]) || (n > 1 && len[n - 2] <= len[n - 1] + len[n])) {
      if (len[n - 1] < len[n + 1]) n--;
      if (sort_merge_at(ss, n) < 0) return -1;
    } else if (len[n] <= len[n + 1]) {
      if (sort_merge_at(ss, n) < 0) return -1;
    } else {
      break;
    }
  }
  return 0;
}

static int64_t sort_minrun(int64_t n) {
  int64_t r = 0;
  while (n >= 64) {
    r |= n & 1;
    n >>= 1;
  }
  return n + r;
}

static int sort_run_all(SortState *ss, int64_t n) {
  if (n < 2) return 0;
  int64_t minrun = sort_minrun(n), lo = 0, remaining = n;
  ss->nruns = 0;
  while (remaining) {
    bool desc;
    int64_t run = sort_count_run(ss, lo, lo + remaining, &desc);
    if (run < 0) return -1;
    if (desc) sort_reverse(ss, lo, lo + run);
    if (run < minrun) {
      int64_t force = remaining <= minrun ? remaining : minrun;
      if (sort_binary_insertion(ss, lo, lo + force, lo + run) < 0) return -1;
      run = force;
    }
    ss->run_base[ss->nruns] = lo;
    ss->run_len[ss->nruns] = run;
    ss->nruns++;
    if (sort_merge_collapse(ss) < 0) return -1;
    lo += run;
    remaining -= run;
  }
  while (ss->nruns > 1) {
    int k = ss->nruns - 2;
    if (k > 0 && ss->run_len[k - 1] < ss->run_len[k + 1]) k--;
    if (sort_merge_at(ss, k) < 0) return -1;
  }
  return 0;
}

/* A rooted scratch list of n Nones (its buffer is the sort's workspace). */
static ListObj *sort_workspace(VM *vm, int64_t n) {
  ListObj *w = list_new(vm, n);
  if (w == NULL) return NULL;
  for (int64_t i = 0; i < n; i++) w->items[i] = V_NONE;
  w->len = n;
  gc_push_root(vm, v_obj(w));
  return w;
}

int list_sort(VM *vm, ListObj *l, Value key, bool reverse) {
  bool has_key = !IS_UNDEF(key) && !IS_NONE(key);
  /* Move the items into a private list while user code runs, so changes
  ** to l during the sort can be detected (CPython empties the list too). */
  ListObj *saved = list_new(vm, 0);
  if (saved == NULL) return -1;
  gc_push_root(vm, v_obj(l));
  gc_push_root(vm, v_obj(saved));
  int nroots = 2;
  saved->items = l->items;
  saved->len = l->len;
  saved->cap = l->cap;
  l->items = NULL;
  l->len = l->cap = 0;
  int64_t n = saved->len;
  int rc = -1;

  SortState ss = {.vm = vm, .keys = saved->items};
  ListObj *keys = NULL, *work;
  if (has_key && n > 0) {
    keys = sort_workspace(vm, n);
    if (keys == NULL) goto done;
    nroots++;
    for (int64_t i = 0; i < n; i++) {
      Value k = obj_call1(vm, key, saved->items[i]);
      if (IS_UNDEF(k)) goto done;
      keys->items[i] = k;
    }
    ss.keys = keys->items;
    ss.vals = saved->items;
  }
  work = sort_workspace(vm, has_key ? 2 * n : n);
  if (work == NULL) goto done;
  nroots++;
  ss.tmp_keys = work->items;
  ss.tmp_vals = has_key ? work->items + n : NULL;

  /* reverse=True keeps equal items in their original order: reverse,
  ** sort stably, reverse back */
  if (reverse) sort_reverse(&ss, 0, n);
  rc = sort_run_all(&ss, n);
  if (reverse && rc == 0) sort_reverse(&ss, 0, n);

done:;
  bool modified = l->items != NULL || l->len != 0;
  if (modified && l->items) gc_free(vm, l->items, (size_t)l->cap * sizeof(Value));
  l->items = saved->items;
  l->len = saved->len;
  l->cap = saved->cap;
  saved->items = NULL;
  saved->len = saved->cap = 0;
  if (rc == 0 && modified) {
    exc_value_error(vm, "list modified during sort");
    rc = -1;
  }
  gc_pop_roots(vm, nroots);
  return rc;
}

/* ---------------------------------------------------------------- methods */

#define LIST_SELF(meth)                                                    \
  if (seq_check_self(vm, args, nargs, vm->t_list, meth) < 0) return V_UNDEF; \
  ListObj *l = AS_LIST(args[0]);

#define NO_KW(qual) \
  if (seq_no_kwargs(vm, qual, kwnames) < 0) return V_UNDEF;

static Value list_m_append(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("append");
  NO_KW("list.append");
  if (seq_args_exact(vm, "list.append", nargs - 1, 1) < 0) return V_UNDEF;
  if (list_append(vm, l, args[1]) < 0) return V_UNDEF;
  return V_NONE;
}

static Value list_m_extend(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("extend");
  NO_KW("list.extend");
  if (seq_args_exact(vm, "list.extend", nargs - 1, 1) < 0) return V_UNDEF;
  if (list_extend(vm, l, args[1]) < 0) return V_UNDEF;
  return V_NONE;
}

static int int_arg(VM *vm, Value v, int64_t *out) {
  int k = seq_key_index(vm, v, out);
  if (k == 0) exc_type_error(vm, "'%T' object cannot be interpreted as an integer", v);
  return k == 1 ? 0 : -1;
}

static Value list_m_insert(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("insert");
  NO_KW("list.insert");
  if (seq_args_range(vm, "insert", nargs - 1, 2, 2) < 0) return V_UNDEF;
  int64_t i;
  if (int_arg(vm, args[1], &i) < 0) return V_UNDEF;
  if (i < 0) {
    i += l->len;
    if (i < 0) i = 0;
  }
  if (i > l->len) i = l->len;
  if (list_reserve(vm, l, l->len + 1) < 0) return V_UNDEF;
  values_move(l->items + i + 1, l->items + i, (l->len - i));
  l->items[i] = args[2];
  l->len++;
  return V_NONE;
}

static Value list_m_pop(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("pop");
  NO_KW("list.pop");
  if (seq_args_range(vm, "pop", nargs - 1, 0, 1) < 0) return V_UNDEF;
  int64_t i = -1;
  if (nargs > 1 && int_arg(vm, args[1], &i) < 0) return V_UNDEF;
  if (l->len == 0) return exc_raise(vm, EXC(vm, IndexError), "pop from empty list");
  if (i < 0) i += l->len;
  if (i < 0 || i >= l->len) return exc_raise(vm, EXC(vm, IndexError), "pop index out of range");
  Value v = l->items[i];
  list_remove_range(vm, l, i, i + 1);
  return v;
}

/* the first index of v in l[start:end] by ==, -1 absent, -2 error */
static int64_t list_find(VM *vm, ListObj *l, Value v, int64_t start, int64_t end) {
  for (int64_t i = start; i < end && i < l->len; i++) {
    int eq = obj_eq(vm, l->items[i], v);
    if (eq < 0) return -2;
    if (eq) return i;
  }
  return -1;
}

static Value list_m_remove(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("remove");
  NO_KW("list.remove");
  if (seq_args_exact(vm, "list.remove", nargs - 1, 1) < 0) return V_UNDEF;
  int64_t i = list_find(vm, l, args[1], 0, INT64_MAX);
  if (i == -2) return V_UNDEF;
  if (i < 0) return exc_value_error(vm, "list.remove(x): x not in list");
  list_remove_range(vm, l, i, i + 1);
  return V_NONE;
}

static Value list_m_index(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("index");
  NO_KW("list.index");
  if (seq_args_range(vm, "index", nargs - 1, 1, 3) < 0) return V_UNDEF;
  int64_t start, end;
  if (seq_index_bounds(vm, args + 2, nargs - 2, l->len, &start, &end) < 0) return V_UNDEF;
  int64_t i = list_find(vm, l, args[1], start, end);
  if (i == -2) return V_UNDEF;
  if (i < 0) return exc_value_error(vm, "%R is not in list", args[1]);
  return v_int(i);
}

static Value list_m_count(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("count");
  NO_KW("list.count");
  if (seq_args_exact(vm, "list.count", nargs - 1, 1) < 0) return V_UNDEF;
  int64_t n = 0;
  for (int64_t i = 0; i < l->len; i++) {
    int eq = obj_eq(vm, l->items[i], args[1]);
    if (eq < 0) return V_UNDEF;
    n += eq;
  }
  return v_int(n);
}

static bool kw_is(TupleObj *kwnames, int64_t k, const char *name) {
  return strcmp(STR_CSTR((StrObj *)AS_OBJ(kwnames->items[k])), name) == 0;
}

static Value list_m_sort(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("sort");
  if (nargs > 1) return exc_type_error(vm, "sort() takes no positional arguments");
  Value key = V_NONE;
  int64_t reverse = 0;
  int64_t nkw = kwnames ? kwnames->len : 0;
  for (int64_t k = 0; k < nkw; k++) {
    Value v = args[nargs + k];
    if (kw_is(kwnames, k, "key")) {
      key = v;
    } else if (kw_is(kwnames, k, "reverse")) {
      if (int_arg(vm, v, &reverse) < 0) return V_UNDEF;
    } else {
      return exc_type_error(vm, "'%U' is an invalid keyword argument for sort()",
                            (StrObj *)AS_OBJ(kwnames->items[k]));
    }
  }
  if (list_sort(vm, l, key, reverse != 0) < 0) return V_UNDEF;
  return V_NONE;
}

static Value list_m_reverse(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("reverse");
  NO_KW("list.reverse");
  if (seq_args_exact(vm, "list.reverse", nargs - 1, 0) < 0) return V_UNDEF;
  sort_swap_reverse(l->items, 0, l->len);
  return V_NONE;
}

static Value list_m_copy(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("copy");
  NO_KW("list.copy");
  if (seq_args_exact(vm, "list.copy", nargs - 1, 0) < 0) return V_UNDEF;
  ListObj *r = list_new(vm, l->len);
  if (r == NULL) return V_UNDEF;
  values_move(r->items, l->items, l->len);
  r->len = l->len;
  return v_obj(r);
}

static Value list_m_clear(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("clear");
  NO_KW("list.clear");
  if (seq_args_exact(vm, "list.clear", nargs - 1, 0) < 0) return V_UNDEF;
  l->len = 0;
  list_shrink(vm, l);
  return V_NONE;
}

/* list.__init__(self, iterable=()): what a subclass's constructor runs */
static Value list_m_init(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__init__");
  NO_KW("list");
  if (seq_args_range(vm, "list", nargs - 1, 0, 1) < 0) return V_UNDEF;
  l->len = 0;
  if (nargs > 1 && list_extend(vm, l, args[1]) < 0) return V_UNDEF;
  return V_NONE;
}

static Value list_m_getitem(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__getitem__");
  if (seq_args_exact(vm, "list.__getitem__", nargs - 1, 1) < 0) return V_UNDEF;
  return list_getitem(vm, v_obj(l), args[1]);
}

static Value list_m_setitem(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__setitem__");
  if (seq_args_range(vm, "__setitem__", nargs - 1, 2, 2) < 0) return V_UNDEF;
  return list_setitem(vm, v_obj(l), args[1], args[2]) < 0 ? V_UNDEF : V_NONE;
}

static Value list_m_delitem(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__delitem__");
  if (seq_args_exact(vm, "list.__delitem__", nargs - 1, 1) < 0) return V_UNDEF;
  return list_setitem(vm, v_obj(l), args[1], V_UNDEF) < 0 ? V_UNDEF : V_NONE;
}

static Value list_m_len(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__len__");
  if (seq_args_exact(vm, "list.__len__", nargs - 1, 0) < 0) return V_UNDEF;
  return v_int(l->len);
}

static Value list_m_contains(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__contains__");
  if (seq_args_exact(vm, "list.__contains__", nargs - 1, 1) < 0) return V_UNDEF;
  int r = list_contains(vm, v_obj(l), args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value list_m_iter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__iter__");
  if (seq_args_exact(vm, "list.__iter__", nargs - 1, 0) < 0) return V_UNDEF;
  return list_iter(vm, v_obj(l));
}

static Value list_m_reversed(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__reversed__");
  if (seq_args_exact(vm, "list.__reversed__", nargs - 1, 0) < 0) return V_UNDEF;
  return iter_new(vm, IT_LIST_REV, v_obj(l), V_NONE, l->len - 1, 0);
}

static Value list_m_iadd(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__iadd__");
  if (seq_args_exact(vm, "list.__iadd__", nargs - 1, 1) < 0) return V_UNDEF;
  return list_binop(vm, BIN_INPLACE + BIN_ADD, v_obj(l), args[1]);
}

static Value list_m_add(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__add__");
  if (seq_args_exact(vm, "list.__add__", nargs - 1, 1) < 0) return V_UNDEF;
  if (!IS_LIST(args[1])) return v_obj(vm->not_implemented);
  return list_binop(vm, BIN_ADD, v_obj(l), args[1]);
}

static Value list_m_mul(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__mul__");
  if (seq_args_exact(vm, "list.__mul__", nargs - 1, 1) < 0) return V_UNDEF;
  return list_binop(vm, BIN_MUL, v_obj(l), args[1]);
}

static Value list_m_imul(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  LIST_SELF("__imul__");
  if (seq_args_exact(vm, "list.__imul__", nargs - 1, 1) < 0) return V_UNDEF;
  return list_binop(vm, BIN_INPLACE + BIN_MUL, v_obj(l), args[1]);
}

void list_type_init(VM *vm) {
  Type *t = vm->t_list;
  if (t == NULL) t = vm->t_list = type_new_builtin(vm, "list", NULL, K_LIST, TF_BASETYPE);
  t->construct = list_construct;
  t->repr = list_repr;
  t->len = list_len;
  t->getitem = list_getitem;
  t->setitem = list_setitem;
  t->contains = list_contains;
  t->iter = list_iter;
  t->richcmp = list_richcmp;
  static const struct { const char *name; NativeFn fn; } methods[] = {
    {"append", list_m_append}, {"extend", list_m_extend}, {"insert", list_m_insert},
    {"pop", list_m_pop}, {"remove", list_m_remove}, {"index", list_m_index},
    {"count", list_m_count}, {"sort", list_m_sort}, {"reverse", list_m_reverse},
    {"copy", list_m_copy}, {"clear", list_m_clear}, {"__init__", list_m_init},
    {"__getitem__", list_m_getitem}, {"__setitem__", list_m_setitem},
    {"__delitem__", list_m_delitem}, {"__len__", list_m_len},
    {"__contains__", list_m_contains}, {"__iter__", list_m_iter},
    {"__reversed__", list_m_reversed}, {"__iadd__", list_m_iadd},
    {"__add__", list_m_add}, {"__mul__", list_m_mul}, {"__rmul__", list_m_mul},
    {"__imul__", list_m_imul},
  };
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    define_native(vm, t->dict, methods[i].name, methods[i].fn, NATIVE_METHOD);
  dict_set_str(vm, t->dict, NAME(vm, __hash__), V_NONE);
}

void list_trace(VM *vm, Obj *o) {
  ListObj *l = (ListObj *)o;
  for (int64_t i = 0; i < l->len; i++) gc_mark_value(vm, l->items[i]);
}

void list_free(VM *vm, Obj *o) {
  ListObj *l = (ListObj *)o;
  if (l->items) gc_free(vm, l->items, (size_t)l->cap * sizeof(Value));
  l->items = NULL;
}
