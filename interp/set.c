/* set.c — set and frozenset. The hash table follows CPython 3.11's
** setobject.c in every decision that shows in iteration order: table
** sizes (8, then powers of two), where an entry lands (linear probing of
** up to 9 neighbours, then perturbed probing), when the table grows
** (fill*5 >= mask*3, to used*4 or used*2 past 50000), dummies left by
** deletion, and the order in which each operation builds its result. So a
** printed set of small ints lists its items as CPython would. */
#include <string.h>
#include "set.h"
#include "dict.h"
#include "tuple.h"
#include "list.h"
#include "range.h"
#include "iter.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "num.h"
#include "func.h"
#include "type.h"
#include "exc.h"

#define SET_MINSIZE 8
#define LINEAR_PROBES 9
#define PERTURB_SHIFT 5

/* slot states: active (key set), empty (key UNDEF, hash 0), dummy (key UNDEF, hash -1) */
#define SLOT_EMPTY(e) (IS_UNDEF((e)->key) && (e)->hash == 0)
#define SLOT_ACTIVE(e) (!IS_UNDEF((e)->key))

static inline int key_hash(VM *vm, Value key, int64_t *h) {
  if (IS_OBJ(key) && AS_OBJ(key)->type == vm->t_str) {
    *h = str_hash(AS_STR(key));
    return 0;
  }
  if (IS_INT(key)) return num_hash(key, h);
  return obj_hash(vm, key, h);
}

static inline bool is_exact_str(VM *vm, Value v) {
  return IS_OBJ(v) && AS_OBJ(v)->type == vm->t_str;
}

static bool set_is_frozen(VM *vm, SetObj *s) {
  Type *t = s->obj.type;
  return t == vm->t_frozenset || (t != vm->t_set && type_is_subtype(t, vm->t_frozenset));
}

/* ---------------------------------------------------------------- table */

static SetEntry *table_alloc(VM *vm, int64_t size) {
  SetEntry *t = gc_malloc(vm, gc_array_size((size_t)size, sizeof(SetEntry)));
  if (t == NULL) return NULL;
  for (int64_t i = 0; i < size; i++) {
    t[i].hash = 0;
    t[i].key = V_UNDEF;
  }
  return t;
}

static SetObj *set_alloc(VM *vm, Type *type) {
  SetObj *s = gc_alloc_obj(vm, sizeof(SetObj), K_SET, type);
  if (s == NULL) return NULL;
  s->hash = -1;
  s->mask = SET_MINSIZE - 1;
  s->table = table_alloc(vm, SET_MINSIZE);
  if (s->table == NULL) {
    s->mask = -1;
    return NULL;
  }
  return s;
}

SetObj *set_new(VM *vm, bool frozen) {
  return set_alloc(vm, frozen ? vm->t_frozenset : vm->t_set);
}

/* the type of a result built from s: set or frozenset, never a subclass */
static Type *base_type(VM *vm, SetObj *s) {
  return set_is_frozen(vm, s) ? vm->t_frozenset : vm->t_set;
}

/* put key in a table with no dummies and no equal key (rebuilds) */
static void insert_clean(SetEntry *table, uint64_t mask, Value key, int64_t hash) {
  uint64_t perturb = (uint64_t)hash, i = (uint64_t)hash & mask;
  SetEntry *e;
  for (;;) {
    e = &table[i];
    if (IS_UNDEF(e->key)) goto found;
    if (i + LINEAR_PROBES <= mask) {
      for (int j = 0; j < LINEAR_PROBES; j++) {
        e++;
        if (IS_UNDEF(e->key)) goto found;
      }
    }
    perturb >>= PERTURB_SHIFT;
    i = (i * 5 + 1 + perturb) & mask;
  }
found:
  e->key = key;
  e->hash = hash;
}

/* Move to the smallest table larger than minused; drops dummies. */
static int set_table_resize(VM *vm, SetObj *s, int64_t minused) {
  int64_t newsize = SET_MINSIZE;
  while (newsize <= minused) newsize <<= 1;
  SetEntry *newtable = table_alloc(vm, newsize);
  if (newtable == NULL) return -1;
  SetEntry *old = s->table;
  int64_t oldmask = s->mask;
  for (int64_t i = 0; i <= oldmask; i++)
    if (SLOT_ACTIVE(&old[i])) insert_clean(newtable, (uint64_t)newsize - 1, old[i].key, old[i].hash);
  s->table = newtable;
  s->mask = newsize - 1;
  s->fill = s->used;
  gc_free(vm, old, (size_t)(oldmask + 1) * sizeof(SetEntry));
  return 0;
}

/* The slot holding key, or NULL when absent (*err = 0) or on error (*err = -1). */
static SetEntry *set_lookkey(VM *vm, SetObj *s, Value key, int64_t hash, int *err) {
  *err = 0;
restart:;
  uint64_t mask = (uint64_t)s->mask, perturb = (uint64_t)hash, i = (uint64_t)hash & mask;
  for (;;) {
    SetEntry *e = &s->table[i];
    int probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
    do {
      if (SLOT_EMPTY(e)) return NULL;
      if (e->hash == hash && SLOT_ACTIVE(e)) {
        Value start = e->key;
        if (v_is(start, key)) return e;
        if (is_exact_str(vm, start) && is_exact_str(vm, key)) {
          if (str_equal(AS_STR(start), AS_STR(key))) return e;
        } else if (!(IS_INT(start) && IS_INT(key))) {
          SetEntry *table = s->table;
          gc_push_root(vm, start);
          gc_push_root(vm, key);
          int eq = obj_eq(vm, start, key);
          gc_pop_roots(vm, 2);
          if (eq < 0) {
            *err = -1;
            return NULL;
          }
          if (table != s->table || !v_is(e->key, start)) goto restart;
          if (eq) return e;
          mask = (uint64_t)s->mask;
        }
      }
      e++;
    } while (probes--);
    perturb >>= PERTURB_SHIFT;
    i = (i * 5 + 1 + perturb) & mask;
  }
}

static int set_add_entry(VM *vm, SetObj *s, Value key, int64_t hash) {
restart:;
  uint64_t mask = (uint64_t)s->mask, perturb = (uint64_t)hash, i = (uint64_t)hash & mask;
  SetEntry *freeslot = NULL, *e;
  for (;;) {
    e = &s->table[i];
    int probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
    do {
      if (SLOT_EMPTY(e)) goto found_unused_or_dummy;
      if (e->hash == hash && SLOT_ACTIVE(e)) {
        Value start = e->key;
        if (v_is(start, key)) return 0;
        if (is_exact_str(vm, start) && is_exact_str(vm, key)) {
          if (str_equal(AS_STR(start), AS_STR(key))) return 0;
        } else if (!(IS_INT(start) && IS_INT(key))) {
          SetEntry *table = s->table;
          gc_push_root(vm, start);
          gc_push_root(vm, key);
          int eq = obj_eq(vm, start, key);
          gc_pop_roots(vm, 2);
          if (eq > 0) return 0;
          if (eq < 0) return -1;
          if (table != s->table || !v_is(e->key, start)) goto restart;
          mask = (uint64_t)s->mask;
        }
      } else if (!SLOT_ACTIVE(e) && e->hash == -1) {
        freeslot = e;  /* the last dummy on the path, as CPython 3.11 does */
      }
      e++;
    } while (probes--);
    perturb >>= PERTURB_SHIFT;
    i = (i * 5 + 1 + perturb) & mask;
  }
found_unused_or_dummy:
  if (freeslot != NULL) {
    s->used++;
    freeslot->key = key;
    freeslot->hash = hash;
    return 0;
  }
  s->fill++;
  s->used++;
  e->key = key;
  e->hash = hash;
  if ((uint64_t)s->fill * 5 < mask * 3) return 0;
  return set_table_resize(vm, s, s->used > 50000 ? s->used * 2 : s->used * 4);
}

static int set_contains_entry(VM *vm, SetObj *s, Value key, int64_t hash) {
  int err;
  SetEntry *e = set_lookkey(vm, s, key, hash, &err);
  return e ? 1 : err;
}

/* 1 discarded, 0 absent, -1 error */
static int set_discard_entry(VM *vm, SetObj *s, Value key, int64_t hash) {
  int err;
  SetEntry *e = set_lookkey(vm, s, key, hash, &err);
  if (e == NULL) return err;
  e->key = V_UNDEF;
  e->hash = -1;
  s->used--;
  return 1;
}

int set_add(VM *vm, SetObj *s, Value v) {
  int64_t hash;
  if (key_hash(vm, v, &hash) < 0) return -1;
  return set_add_entry(vm, s, v, hash);
}

int set_contains(VM *vm, SetObj *s, Value v) {
  int64_t hash;
  if (key_hash(vm, v, &hash) < 0) return -1;
  return set_contains_entry(vm, s, v, hash);
}

/* next active slot at or after *pos */
static bool set_next(SetObj *s, int64_t *pos, SetEntry **entry) {
  int64_t i = *pos;
  while (i <= s->mask && !SLOT_ACTIVE(&s->table[i])) i++;
  *pos = i + 1;
  if (i > s->mask) return false;
  *entry = &s->table[i];
  return true;
}

static int set_clear_internal(VM *vm, SetObj *s) {
  SetEntry *t = table_alloc(vm, SET_MINSIZE);
  if (t == NULL) return -1;
  gc_free(vm, s->table, (size_t)(s->mask + 1) * sizeof(SetEntry));
  s->table = t;
  s->mask = SET_MINSIZE - 1;
  s->fill = s->used = 0;
  return 0;
}

/* ---------------------------------------------------------------- update */

/* s |= other for another set: one resize up front, then copy */
static int set_merge(VM *vm, SetObj *s, SetObj *other) {
  if (other == s || other->used == 0) return 0;
  if ((s->fill + other->used) * 5 >= s->mask * 3) {
    if (set_table_resize(vm, s, (s->used + other->used) * 2) < 0) return -1;
  }
  /* empty and same size, no dummies: copy the slots as they are */
  if (s->fill == 0 && s->mask == other->mask && other->fill == other->used) {
    for (int64_t i = 0; i <= other->mask; i++)
      if (SLOT_ACTIVE(&other->table[i])) s->table[i] = other->table[i];
    s->fill = s->used = other->used;
    return 0;
  }
  if (s->fill == 0) {
    s->fill = s->used = other->used;
    for (int64_t i = 0; i <= other->mask; i++)
      if (SLOT_ACTIVE(&other->table[i]))
        insert_clean(s->table, (uint64_t)s->mask, other->table[i].key, other->table[i].hash);
    return 0;
  }
  for (int64_t i = 0; i <= other->mask; i++) {
    SetEntry e = other->table[i];
    if (SLOT_ACTIVE(&e) && set_add_entry(vm, s, e.key, e.hash) < 0) return -1;
  }
  return 0;
}

int set_update_from(VM *vm, SetObj *s, Value other) {
  if (IS_SET(other)) return set_merge(vm, s, AS_SET(other));
  if (IS_OBJ(other) && AS_OBJ(other)->type == vm->t_dict) {
    DictObj *d = AS_DICT(other);
    if ((s->fill + d->len) * 5 >= s->mask * 3) {
      if (set_table_resize(vm, s, (s->used + d->len) * 2) < 0) return -1;
    }
    int64_t pos = 0, hash;
    Value k;
    while (dict_next_hash(d, &pos, &k, NULL, &hash))
      if (set_add_entry(vm, s, k, hash) < 0) return -1;
    return 0;
  }
  gc_push_root(vm, v_obj(s));
  Value it = obj_iter(vm, other);
  if (IS_UNDEF(it)) {
    gc_pop_roots(vm, 1);
    return -1;
  }
  gc_push_root(vm, it);
  int rc = 0;
  for (;;) {
    Value k = obj_next(vm, it);
    if (IS_UNDEF(k)) {
      rc = exc_pending(vm) ? -1 : 0;
      break;
    }
    if (set_add(vm, s, k) < 0) {
      rc = -1;
      break;
    }
  }
  gc_pop_roots(vm, 2);
  return rc;
}

static SetObj *make_new_set(VM *vm, Type *type, Value iterable) {
  SetObj *s = set_alloc(vm, type);
  if (s == NULL) return NULL;
  if (IS_UNDEF(iterable)) return s;
  gc_push_root(vm, v_obj(s));
  int rc = set_update_from(vm, s, iterable);
  gc_pop_roots(vm, 1);
  return rc < 0 ? NULL : s;
}

Value set_from_iterable(VM *vm, Value iterable, bool frozen) {
  SetObj *s = make_new_set(vm, frozen ? vm->t_frozenset : vm->t_set, iterable);
  return s ? v_obj(s) : V_UNDEF;
}

static SetObj *set_copy(VM *vm, SetObj *s) {
  return make_new_set(vm, base_type(vm, s), v_obj(s));
}

/* ---------------------------------------------------------------- algebra */

/* s & other, built as CPython builds it (iterating the smaller set) */
static Value set_intersection(VM *vm, SetObj *s, Value other) {
  if (IS_SET(other) && AS_SET(other) == s) {
    SetObj *c = set_copy(vm, s);
    return c ? v_obj(c) : V_UNDEF;
  }
  SetObj *r = set_alloc(vm, base_type(vm, s));
  if (r == NULL) return V_UNDEF;
  gc_push_root(vm, v_obj(r));
  int rc = 0;
  if (IS_SET(other)) {
    SetObj *a = s, *b = AS_SET(other);
    if (b->used > a->used) {
      SetObj *t = a;
      a = b;
      b = t;
    }
    int64_t pos = 0;
    SetEntry *e;
    while (set_next(b, &pos, &e)) {
      SetEntry copy = *e;
      rc = set_contains_entry(vm, a, copy.key, copy.hash);
      if (rc > 0) rc = set_add_entry(vm, r, copy.key, copy.hash);
      if (rc < 0) break;
    }
  } else {
    Value it = obj_iter(vm, other);
    if (IS_UNDEF(it)) {
      rc = -1;
    } else {
      gc_push_root(vm, it);
      for (;;) {
        Value k = obj_next(vm, it);
        if (IS_UNDEF(k)) {
          rc = exc_pending(vm) ? -1 : 0;
          break;
        }
        gc_push_root(vm, k);
        int64_t hash;
        rc = key_hash(vm, k, &hash);
        if (rc == 0) rc = set_contains_entry(vm, s, k, hash);
        if (rc > 0) rc = set_add_entry(vm, r, k, hash);
        gc_pop_roots(vm, 1);
        if (rc < 0) break;
        if (r->used >= s->used) break;
      }
      gc_pop_roots(vm, 1);
    }
  }
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : v_obj(r);
}

Value set_intersection_with(VM *vm, SetObj *s, Value other) {
  return set_intersection(vm, s, other);
}

/* swap the tables of a and b (in-place ops compute a new set first) */
static void set_swap_bodies(SetObj *a, SetObj *b) {
  SetObj t = *a;
  a->fill = b->fill;
  a->used = b->used;
  a->mask = b->mask;
  a->table = b->table;
  a->hash = -1;
  b->fill = t.fill;
  b->used = t.used;
  b->mask = t.mask;
  b->table = t.table;
  b->hash = -1;
}

static int set_intersection_update(VM *vm, SetObj *s, Value other) {
  Value r = set_intersection(vm, s, other);
  if (IS_UNDEF(r)) return -1;
  set_swap_bodies(s, AS_SET(r));
  return 0;
}

int set_difference_update_from(VM *vm, SetObj *s, Value other) {
  if (IS_SET(other) && AS_SET(other) == s) return set_clear_internal(vm, s);
  gc_push_root(vm, v_obj(s));
  int rc = 0;
  if (IS_SET(other)) {
    /* much larger other: iterate the intersection instead */
    if ((AS_SET(other)->used >> 3) > s->used) {
      other = set_intersection(vm, s, other);
      if (IS_UNDEF(other)) {
        gc_pop_roots(vm, 1);
        return -1;
      }
    }
    gc_push_root(vm, other);
    int64_t pos = 0;
    SetEntry *e;
    while (set_next(AS_SET(other), &pos, &e)) {
      SetEntry copy = *e;
      if (set_discard_entry(vm, s, copy.key, copy.hash) < 0) {
        rc = -1;
        break;
      }
    }
    gc_pop_roots(vm, 1);
  } else {
    Value it = obj_iter(vm, other);
    if (IS_UNDEF(it)) {
      rc = -1;
    } else {
      gc_push_root(vm, it);
      for (;;) {
        Value k = obj_next(vm, it);
        if (IS_UNDEF(k)) {
          rc = exc_pending(vm) ? -1 : 0;
          break;
        }
        int64_t hash;
        gc_push_root(vm, k);
        rc = key_hash(vm, k, &hash);
        if (rc == 0) rc = set_discard_entry(vm, s, k, hash);
        gc_pop_roots(vm, 1);
        if (rc < 0) break;
      }
      gc_pop_roots(vm, 1);
    }
  }
  gc_pop_roots(vm, 1);
  if (rc < 0) return -1;
  /* more than a quarter dummies: rebuild */
  if ((uint64_t)(s->fill - s->used) <= (uint64_t)s->mask / 4) return 0;
  return set_table_resize(vm, s, s->used > 50000 ? s->used * 2 : s->used * 4);
}

static Value set_copy_and_difference(VM *vm, SetObj *s, Value other) {
  SetObj *r = set_copy(vm, s);
  if (r == NULL) return V_UNDEF;
  gc_push_root(vm, v_obj(r));
  int rc = set_difference_update_from(vm, r, other);
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : v_obj(r);
}

static Value set_difference(VM *vm, SetObj *s, Value other) {
  int64_t other_size;
  bool other_dict = IS_OBJ(other) && AS_OBJ(other)->type == vm->t_dict;
  if (IS_SET(other)) other_size = AS_SET(other)->used;
  else if (other_dict) other_size = AS_DICT(other)->len;
  else return set_copy_and_difference(vm, s, other);
  if ((s->used >> 2) > other_size) return set_copy_and_difference(vm, s, other);

  SetObj *r = set_alloc(vm, base_type(vm, s));
  if (r == NULL) return V_UNDEF;
  gc_push_root(vm, v_obj(r));
  int64_t pos = 0;
  SetEntry *e;
  int rc = 0;
  while (set_next(s, &pos, &e)) {
    SetEntry copy = *e;
    rc = other_dict ? dict_contains_hash(vm, AS_DICT(other), copy.key, copy.hash)
                    : set_contains_entry(vm, AS_SET(other), copy.key, copy.hash);
    if (rc == 0) rc = set_add_entry(vm, r, copy.key, copy.hash);
    if (rc < 0) break;
  }
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : v_obj(r);
}

int set_symmetric_difference_update_from(VM *vm, SetObj *s, Value other) {
  if (IS_SET(other) && AS_SET(other) == s) return set_clear_internal(vm, s);
  gc_push_root(vm, v_obj(s));
  int rc = 0;
  if (IS_OBJ(other) && AS_OBJ(other)->type == vm->t_dict) {
    int64_t pos = 0, hash;
    Value k;
    while (dict_next_hash(AS_DICT(other), &pos, &k, NULL, &hash)) {
      rc = set_discard_entry(vm, s, k, hash);
      if (rc == 0) rc = set_add_entry(vm, s, k, hash);
      if (rc < 0) break;
    }
    gc_pop_roots(vm, 1);
    return rc < 0 ? -1 : 0;
  }
  SetObj *o;
  if (IS_SET(other)) {
    o = AS_SET(other);
  } else {
    o = make_new_set(vm, base_type(vm, s), other);
    if (o == NULL) {
      gc_pop_roots(vm, 1);
      return -1;
    }
  }
  gc_push_root(vm, v_obj(o));
  int64_t pos = 0;
  SetEntry *e;
  while (set_next(o, &pos, &e)) {
    SetEntry copy = *e;
    rc = set_discard_entry(vm, s, copy.key, copy.hash);
    if (rc == 0) rc = set_add_entry(vm, s, copy.key, copy.hash);
    if (rc < 0) break;
  }
  gc_pop_roots(vm, 2);
  return rc < 0 ? -1 : 0;
}

static Value set_symmetric_difference(VM *vm, SetObj *s, Value other) {
  SetObj *r = make_new_set(vm, base_type(vm, s), other);
  if (r == NULL) return V_UNDEF;
  gc_push_root(vm, v_obj(r));
  int rc = set_symmetric_difference_update_from(vm, r, v_obj(s));
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : v_obj(r);
}

/* s <= other */
static int set_issubset(VM *vm, SetObj *s, Value other) {
  if (!IS_SET(other)) {
    Value t = set_intersection(vm, s, other);
    if (IS_UNDEF(t)) return -1;
    return AS_SET(t)->used == s->used;
  }
  SetObj *o = AS_SET(other);
  if (s->used > o->used) return 0;
  int64_t pos = 0;
  SetEntry *e;
  while (set_next(s, &pos, &e)) {
    SetEntry copy = *e;
    int r = set_contains_entry(vm, o, copy.key, copy.hash);
    if (r <= 0) return r;
  }
  return 1;
}

/* s >= other */
static int set_issuperset(VM *vm, SetObj *s, Value other) {
  if (IS_SET(other)) return set_issubset(vm, AS_SET(other), v_obj(s));
  Value it = obj_iter(vm, other);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  int r = 1;
  for (;;) {
    Value k = obj_next(vm, it);
    if (IS_UNDEF(k)) {
      if (exc_pending(vm)) r = -1;
      break;
    }
    r = set_contains(vm, s, k);
    if (r <= 0) break;
  }
  gc_pop_roots(vm, 1);
  return r;
}

static int set_isdisjoint(VM *vm, SetObj *s, Value other) {
  if (IS_SET(other) && AS_SET(other) == s) return s->used == 0;
  if (IS_OBJ(other) && (AS_OBJ(other)->type == vm->t_set || AS_OBJ(other)->type == vm->t_frozenset)) {
    SetObj *a = s, *b = AS_SET(other);
    if (b->used > a->used) {
      SetObj *t = a;
      a = b;
      b = t;
    }
    int64_t pos = 0;
    SetEntry *e;
    while (set_next(b, &pos, &e)) {
      SetEntry copy = *e;
      int r = set_contains_entry(vm, a, copy.key, copy.hash);
      if (r != 0) return r < 0 ? -1 : 0;
    }
    return 1;
  }
  Value it = obj_iter(vm, other);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  int r = 1;
  for (;;) {
    Value k = obj_next(vm, it);
    if (IS_UNDEF(k)) {
      if (exc_pending(vm)) r = -1;
      break;
    }
    int c = set_contains(vm, s, k);
    if (c != 0) {
      r = c < 0 ? -1 : 0;
      break;
    }
  }
  gc_pop_roots(vm, 1);
  return r;
}

Value set_binop(VM *vm, int op, Value a, Value b) {
  if (!IS_SET(a) || !IS_SET(b)) return v_obj(vm->not_implemented);
  SetObj *s = AS_SET(a);
  bool inplace = op >= BIN_INPLACE;
  if (inplace) {
    op -= BIN_INPLACE;
    if (set_is_frozen(vm, s)) inplace = false;  /* fs |= x rebinds to fs | x */
  }
  if (!inplace) {
    switch (op) {
      case BIN_OR: {
        SetObj *r = set_copy(vm, s);
        if (r == NULL) return V_UNDEF;
        if (AS_SET(b) == s) return v_obj(r);
        gc_push_root(vm, v_obj(r));
        int rc = set_merge(vm, r, AS_SET(b));
        gc_pop_roots(vm, 1);
        return rc < 0 ? V_UNDEF : v_obj(r);
      }
      case BIN_AND: return set_intersection(vm, s, b);
      case BIN_SUB: return set_difference(vm, s, b);
      case BIN_XOR: return set_symmetric_difference(vm, s, b);
      default: return v_obj(vm->not_implemented);
    }
  }
  int rc;
  switch (op) {
    case BIN_OR: rc = set_merge(vm, s, AS_SET(b)); break;
    case BIN_AND: rc = set_intersection_update(vm, s, b); break;
    case BIN_SUB: rc = set_difference_update_from(vm, s, b); break;
    case BIN_XOR: rc = set_symmetric_difference_update_from(vm, s, b); break;
    default: return v_obj(vm->not_implemented);
  }
  return rc < 0 ? V_UNDEF : a;
}

/* ---------------------------------------------------------------- slots */

static Value set_richcmp_nested(VM *vm, Value a, Value b, int op) {
  if (!IS_SET(a) || !IS_SET(b)) return v_obj(vm->not_implemented);
  SetObj *x = AS_SET(a), *y = AS_SET(b);
  int r;
  switch (op) {
    case CMP_EQ:
    case CMP_NE:
      if (x->used != y->used) r = 0;
      else if (x->hash != -1 && y->hash != -1 && x->hash != y->hash) r = 0;
      else r = set_issubset(vm, x, b);
      if (r >= 0 && op == CMP_NE) r = !r;
      break;
    case CMP_LE: r = set_issubset(vm, x, b); break;
    case CMP_GE: r = set_issuperset(vm, x, b); break;
    case CMP_LT: r = x->used >= y->used ? 0 : set_issubset(vm, x, b); break;
    default: r = x->used <= y->used ? 0 : set_issuperset(vm, x, b); break;
  }
  return r < 0 ? V_UNDEF : v_bool(r);
}

/* guarded against deep nesting (see seq_recursion_enter) */
static Value set_richcmp(VM *vm, Value a, Value b, int op) {
  if (seq_recursion_enter(vm, SEQ_IN_CMP) < 0) return V_UNDEF;
  Value r = set_richcmp_nested(vm, a, b, op);
  seq_recursion_leave(vm);
  return r;
}

/* CPython's frozenset hash: order-independent xor of shuffled entry
** hashes over the whole table, corrected for empty and dummy slots */
static uint64_t shuffle_bits(uint64_t h) { return ((h ^ 89869747ULL) ^ (h << 16)) * 3644798167ULL; }

static int frozenset_hash(VM *vm, Value self, int64_t *out) {
  SetObj *s = AS_SET(self);
  if (s->hash != -1) {
    *out = s->hash;
    return 0;
  }
  uint64_t hash = 0;
  for (int64_t i = 0; i <= s->mask; i++) hash ^= shuffle_bits((uint64_t)s->table[i].hash);
  if ((s->mask + 1 - s->fill) & 1) hash ^= shuffle_bits(0);
  if ((s->fill - s->used) & 1) hash ^= shuffle_bits((uint64_t)-1);
  hash ^= ((uint64_t)s->used + 1) * 1927868237ULL;
  hash ^= (hash >> 11) ^ (hash >> 25);
  hash = hash * 69069U + 907133923ULL;
  if (hash == (uint64_t)-1) hash = 590923713ULL;
  s->hash = (int64_t)hash;
  *out = s->hash;
  return 0;
}

static int64_t set_len(VM *vm, Value self) { return AS_SET(self)->used; }

/* `x in s`; a set x is looked up as the equal frozenset */
static int set_contains_slot(VM *vm, Value self, Value key) {
  int r = set_contains(vm, AS_SET(self), key);
  if (r < 0 && IS_SET(key) && exc_pending_matches(vm, EXC(vm, TypeError))) {
    exc_clear(vm);
    SetObj *tmp = make_new_set(vm, vm->t_frozenset, key);
    if (tmp == NULL) return -1;
    r = set_contains(vm, AS_SET(self), v_obj(tmp));
  }
  return r;
}

static Value set_iter(VM *vm, Value self) {
  return iter_new(vm, IT_SET, self, V_NONE, 0, AS_SET(self)->used);
}

static Value set_repr_nested(VM *vm, Value self) {
  SetObj *s = AS_SET(self);
  Type *t = s->obj.type;
  bool plain = t == vm->t_set;
  if (s->obj.flags & OBJ_FLAG_REPR_BUSY) return v_obj(str_format_c(vm, "%U(...)", t->name));
  if (s->used == 0) return v_obj(str_format_c(vm, "%U()", t->name));
  /* snapshot the items: a user __repr__ may change the set */
  ListObj *items = list_new(vm, s->used);
  if (items == NULL) return V_UNDEF;
  int64_t pos = 0;
  SetEntry *e;
  while (set_next(s, &pos, &e)) items->items[items->len++] = e->key;
  gc_push_root(vm, v_obj(items));
  s->obj.flags |= OBJ_FLAG_REPR_BUSY;
  SBuf b;
  sbuf_init(&b);
  if (!plain) {
    sbuf_add(&b, STR_CSTR(t->name), (size_t)t->name->len);
    sbuf_addc(&b, '(');
  }
  sbuf_addc(&b, '{');
  bool failed = false;
  for (int64_t i = 0; i < items->len && !failed; i++) {
    if (i) sbuf_adds(&b, ", ");
    failed = sbuf_add_repr(vm, &b, items->items[i]) < 0;
  }
  s->obj.flags &= ~OBJ_FLAG_REPR_BUSY;
  gc_pop_roots(vm, 1);
  if (failed) {
    sbuf_free(&b);
    return V_UNDEF;
  }
  sbuf_addc(&b, '}');
  if (!plain) sbuf_addc(&b, ')');
  StrObj *r = sbuf_finish(vm, &b);
  return r ? v_obj(r) : V_UNDEF;
}

/* guarded against deep nesting (see seq_recursion_enter) */
static Value set_repr(VM *vm, Value self) {
  if (seq_recursion_enter(vm, SEQ_IN_REPR) < 0) return V_UNDEF;
  Value r = set_repr_nested(vm, self);
  seq_recursion_leave(vm);
  return r;
}

static Value set_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  /* a subclass with its own __init__ fills the set there */
  bool fill = type == vm->t_set || !init_overridden(vm, type, vm->t_set);
  if (fill) {
    if (seq_no_kwargs(vm, "set", kwnames) < 0) return V_UNDEF;
    if (seq_args_range(vm, "set", nargs, 0, 1) < 0) return V_UNDEF;
  }
  SetObj *s = make_new_set(vm, type, fill && nargs ? args[0] : V_UNDEF);
  return s ? v_obj(s) : V_UNDEF;
}

static Value frozenset_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_no_kwargs(vm, "frozenset", kwnames) < 0) return V_UNDEF;
  if (seq_args_range(vm, "frozenset", nargs, 0, 1) < 0) return V_UNDEF;
  if (type == vm->t_frozenset && nargs && IS_OBJ(args[0]) && AS_OBJ(args[0])->type == vm->t_frozenset)
    return args[0];
  SetObj *s = make_new_set(vm, type, nargs ? args[0] : V_UNDEF);
  return s ? v_obj(s) : V_UNDEF;
}

/* ---------------------------------------------------------------- methods */

/* methods of set only */
#define SET_SELF(meth)                                                    \
  if (seq_check_self(vm, args, nargs, vm->t_set, meth) < 0) return V_UNDEF; \
  SetObj *s = AS_SET(args[0]);

/* methods set and frozenset share */
#define ANYSET_SELF(meth)                                                   \
  if (nargs < 1 || !IS_SET(args[0])) {                                      \
    if (seq_check_self(vm, args, nargs, vm->t_set, meth) < 0) return V_UNDEF; \
  }                                                                         \
  SetObj *s = AS_SET(args[0]);

#define NO_KW(qual) \
  if (seq_no_kwargs(vm, qual, kwnames) < 0) return V_UNDEF;

#define ONE_ARG(qual)                    \
  NO_KW(qual);                           \
  if (seq_args_exact(vm, qual, nargs - 1, 1) < 0) return V_UNDEF;

#define NO_ARGS(qual)                    \
  NO_KW(qual);                           \
  if (seq_args_exact(vm, qual, nargs - 1, 0) < 0) return V_UNDEF;

static Value set_m_add(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("add");
  ONE_ARG("set.add");
  return set_add(vm, s, args[1]) < 0 ? V_UNDEF : V_NONE;
}

/* discard key, a set key being looked up as a frozenset: 1/0/-1 */
static int set_discard_key(VM *vm, SetObj *s, Value key) {
  int64_t hash;
  if (key_hash(vm, key, &hash) < 0) {
    if (!IS_SET(key) || !exc_pending_matches(vm, EXC(vm, TypeError))) return -1;
    exc_clear(vm);
    SetObj *tmp = make_new_set(vm, vm->t_frozenset, key);
    if (tmp == NULL) return -1;
    gc_push_root(vm, v_obj(tmp));
    int r = set_discard_key(vm, s, v_obj(tmp));
    gc_pop_roots(vm, 1);
    return r;
  }
  return set_discard_entry(vm, s, key, hash);
}

static Value set_m_remove(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("remove");
  ONE_ARG("set.remove");
  int r = set_discard_key(vm, s, args[1]);
  if (r < 0) return V_UNDEF;
  if (r == 0) return dict_key_error(vm, args[1]);
  return V_NONE;
}

static Value set_m_discard(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("discard");
  ONE_ARG("set.discard");
  return set_discard_key(vm, s, args[1]) < 0 ? V_UNDEF : V_NONE;
}

static Value set_m_pop(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("pop");
  NO_ARGS("set.pop");
  if (s->used == 0) return dict_key_error(vm, v_obj(str_from_cstr(vm, "pop from an empty set")));
  int64_t i = s->finger & s->mask;
  while (!SLOT_ACTIVE(&s->table[i])) {
    i++;
    if (i > s->mask) i = 0;
  }
  Value key = s->table[i].key;
  s->table[i].key = V_UNDEF;
  s->table[i].hash = -1;
  s->used--;
  s->finger = i + 1;
  return key;
}

static Value set_m_clear(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("clear");
  NO_ARGS("set.clear");
  return set_clear_internal(vm, s) < 0 ? V_UNDEF : V_NONE;
}

static Value set_m_copy(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("copy");
  NO_ARGS(set_is_frozen(vm, s) ? "frozenset.copy" : "set.copy");
  if (s->obj.type == vm->t_frozenset) return args[0];
  SetObj *r = set_copy(vm, s);
  return r ? v_obj(r) : V_UNDEF;
}

static Value set_m_update(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("update");
  NO_KW("set.update");
  for (int i = 1; i < nargs; i++)
    if (set_update_from(vm, s, args[i]) < 0) return V_UNDEF;
  return V_NONE;
}

static Value set_m_init(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("__init__");
  NO_KW("set");
  if (seq_args_range(vm, "set", nargs - 1, 0, 1) < 0) return V_UNDEF;
  if (set_clear_internal(vm, s) < 0) return V_UNDEF;
  if (nargs > 1 && set_update_from(vm, s, args[1]) < 0) return V_UNDEF;
  return V_NONE;
}

static Value set_m_union(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("union");
  NO_KW("set.union");
  SetObj *r = set_copy(vm, s);
  if (r == NULL) return V_UNDEF;
  gc_push_root(vm, v_obj(r));
  int rc = 0;
  for (int i = 1; i < nargs && rc == 0; i++)
    if (!(IS_SET(args[i]) && AS_SET(args[i]) == s)) rc = set_update_from(vm, r, args[i]);
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : v_obj(r);
}

static Value set_m_intersection(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("intersection");
  NO_KW("set.intersection");
  if (nargs == 1) {
    SetObj *r = set_copy(vm, s);
    return r ? v_obj(r) : V_UNDEF;
  }
  Value r = v_obj(s);
  int pushed = 0;
  for (int i = 1; i < nargs; i++) {
    r = set_intersection(vm, AS_SET(r), args[i]);
    if (IS_UNDEF(r)) break;
    gc_push_root(vm, r);
    pushed++;
  }
  gc_pop_roots(vm, pushed);
  return r;
}

static Value set_m_intersection_update(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("intersection_update");
  NO_KW("set.intersection_update");
  Value r = set_m_intersection(vm, args, nargs, NULL);
  if (IS_UNDEF(r)) return V_UNDEF;
  set_swap_bodies(s, AS_SET(r));
  return V_NONE;
}

static Value set_m_difference(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("difference");
  NO_KW("set.difference");
  if (nargs == 1) {
    SetObj *r = set_copy(vm, s);
    return r ? v_obj(r) : V_UNDEF;
  }
  Value r = set_difference(vm, s, args[1]);
  if (IS_UNDEF(r)) return V_UNDEF;
  gc_push_root(vm, r);
  for (int i = 2; i < nargs; i++) {
    if (set_difference_update_from(vm, AS_SET(r), args[i]) < 0) {
      r = V_UNDEF;
      break;
    }
  }
  gc_pop_roots(vm, 1);
  return r;
}

static Value set_m_difference_update(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("difference_update");
  NO_KW("set.difference_update");
  for (int i = 1; i < nargs; i++)
    if (set_difference_update_from(vm, s, args[i]) < 0) return V_UNDEF;
  return V_NONE;
}

static Value set_m_symmetric_difference(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("symmetric_difference");
  ONE_ARG(set_is_frozen(vm, s) ? "frozenset.symmetric_difference" : "set.symmetric_difference");
  return set_symmetric_difference(vm, s, args[1]);
}

static Value set_m_symmetric_difference_update(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  SET_SELF("symmetric_difference_update");
  ONE_ARG("set.symmetric_difference_update");
  return set_symmetric_difference_update_from(vm, s, args[1]) < 0 ? V_UNDEF : V_NONE;
}

static Value set_m_issubset(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("issubset");
  ONE_ARG(set_is_frozen(vm, s) ? "frozenset.issubset" : "set.issubset");
  int r = set_issubset(vm, s, args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value set_m_issuperset(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("issuperset");
  ONE_ARG(set_is_frozen(vm, s) ? "frozenset.issuperset" : "set.issuperset");
  int r = set_issuperset(vm, s, args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value set_m_isdisjoint(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("isdisjoint");
  ONE_ARG(set_is_frozen(vm, s) ? "frozenset.isdisjoint" : "set.isdisjoint");
  int r = set_isdisjoint(vm, s, args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value set_m_contains(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("__contains__");
  ONE_ARG("set.__contains__");
  int r = set_contains_slot(vm, v_obj(s), args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value set_m_len(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("__len__");
  NO_ARGS("set.__len__");
  return v_int(s->used);
}

static Value set_m_iter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ANYSET_SELF("__iter__");
  NO_ARGS("set.__iter__");
  return set_iter(vm, v_obj(s));
}

#define SET_BINOP_METHOD(fname, op, swap)                                   \
  static Value fname(VM *vm, Value *args, int nargs, TupleObj *kwnames) {   \
    ANYSET_SELF(#fname);                                                    \
    (void)s;                                                                \
    if (seq_args_exact(vm, #fname, nargs - 1, 1) < 0) return V_UNDEF;       \
    return swap ? set_binop(vm, op, args[1], args[0]) : set_binop(vm, op, args[0], args[1]); \
  }
SET_BINOP_METHOD(set_m_or, BIN_OR, 0)
SET_BINOP_METHOD(set_m_ror, BIN_OR, 1)
SET_BINOP_METHOD(set_m_and, BIN_AND, 0)
SET_BINOP_METHOD(set_m_rand, BIN_AND, 1)
SET_BINOP_METHOD(set_m_sub, BIN_SUB, 0)
SET_BINOP_METHOD(set_m_rsub, BIN_SUB, 1)
SET_BINOP_METHOD(set_m_xor, BIN_XOR, 0)
SET_BINOP_METHOD(set_m_rxor, BIN_XOR, 1)
SET_BINOP_METHOD(set_m_ior, BIN_INPLACE + BIN_OR, 0)
SET_BINOP_METHOD(set_m_iand, BIN_INPLACE + BIN_AND, 0)
SET_BINOP_METHOD(set_m_isub, BIN_INPLACE + BIN_SUB, 0)
SET_BINOP_METHOD(set_m_ixor, BIN_INPLACE + BIN_XOR, 0)

typedef struct MethodDef { const char *name; NativeFn fn; } MethodDef;

static void set_common_init(VM *vm, Type *t) {
  t->flags |= TF_BASETYPE;
  t->repr = set_repr;
  t->len = set_len;
  t->contains = set_contains_slot;
  t->iter = set_iter;
  t->richcmp = set_richcmp;
  static const MethodDef shared[] = {
    {"copy", set_m_copy}, {"union", set_m_union}, {"intersection", set_m_intersection},
    {"difference", set_m_difference}, {"symmetric_difference", set_m_symmetric_difference},
    {"issubset", set_m_issubset}, {"issuperset", set_m_issuperset},
    {"isdisjoint", set_m_isdisjoint}, {"__contains__", set_m_contains},
    {"__len__", set_m_len}, {"__iter__", set_m_iter},
    {"__or__", set_m_or}, {"__ror__", set_m_ror}, {"__and__", set_m_and},
    {"__rand__", set_m_rand}, {"__sub__", set_m_sub}, {"__rsub__", set_m_rsub},
    {"__xor__", set_m_xor}, {"__rxor__", set_m_rxor},
  };
  for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
    define_native(vm, t->dict, shared[i].name, shared[i].fn, NATIVE_METHOD);
}

void set_type_init(VM *vm) {
  if (vm->t_set == NULL) vm->t_set = type_new_builtin(vm, "set", NULL, K_SET, TF_BASETYPE);
  if (vm->t_frozenset == NULL)
    vm->t_frozenset = type_new_builtin(vm, "frozenset", NULL, K_SET, TF_BASETYPE);
  Type *t = vm->t_set;
  set_common_init(vm, t);
  t->construct = set_construct;
  static const MethodDef methods[] = {
    {"add", set_m_add}, {"remove", set_m_remove}, {"discard", set_m_discard},
    {"pop", set_m_pop}, {"clear", set_m_clear}, {"update", set_m_update},
    {"intersection_update", set_m_intersection_update},
    {"difference_update", set_m_difference_update},
    {"symmetric_difference_update", set_m_symmetric_difference_update},
    {"__init__", set_m_init}, {"__ior__", set_m_ior}, {"__iand__", set_m_iand},
    {"__isub__", set_m_isub}, {"__ixor__", set_m_ixor},
  };
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    define_native(vm, t->dict, methods[i].name, methods[i].fn, NATIVE_METHOD);
  dict_set_str(vm, t->dict, NAME(vm, __hash__), V_NONE);

  Type *f = vm->t_frozenset;
  set_common_init(vm, f);
  f->construct = frozenset_construct;
  f->hash = frozenset_hash;
}

void set_trace(VM *vm, Obj *o) {
  SetObj *s = (SetObj *)o;
  if (s->table == NULL) return;
  for (int64_t i = 0; i <= s->mask; i++)
    if (SLOT_ACTIVE(&s->table[i])) gc_mark_value(vm, s->table[i].key);
}

void set_free(VM *vm, Obj *o) {
  SetObj *s = (SetObj *)o;
  if (s->table) gc_free(vm, s->table, (size_t)(s->mask + 1) * sizeof(SetEntry));
  s->table = NULL;
}
