/* dict.c — insertion-ordered hash maps in CPython's compact layout: a
** power-of-two index table of entry numbers (-1 empty, -2 dummy) in front
** of a dense entries array. Deletion leaves a hole in the entries and a
** dummy in the index; a resize compacts both. Also the dict type's
** methods and the keys/values/items views.
**
** User __eq__ may run Python code that mutates the dict being probed: the
** lookup re-checks the table after every such call and restarts if it
** changed. The *_str paths compare strs by content and never run user
** code (attribute dicts, globals). */
#include <string.h>
#include "dict.h"
#include "tuple.h"
#include "list.h"
#include "set.h"
#include "range.h"
#include "iter.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "num.h"
#include "func.h"
#include "type.h"
#include "exc.h"

#define IX_EMPTY (-1)
#define IX_DUMMY (-2)
#define DICT_MIN_INDEX 8
#define PERTURB_SHIFT 5

/* entries a table of n index slots may hold (2/3 full at most) */
static int64_t usable_for(int64_t n) { return (n << 1) / 3; }

/* hash(key), without the generic protocol for exact strs and ints */
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

Value dict_key_error(VM *vm, Value key) {
  TupleObj *args = tuple_pack(vm, 1, key);
  if (args == NULL) return V_UNDEF;
  ExcObj *e = exc_new(vm, EXC(vm, KeyError), args);
  if (e == NULL) return V_UNDEF;
  return exc_raise_obj(vm, e);
}

/* ---------------------------------------------------------------- table */

DictObj *dict_new(VM *vm) {
  return gc_alloc_obj(vm, sizeof(DictObj), K_DICT, vm->t_dict);
}

static DictObj *dict_alloc(VM *vm, Type *type) {
  return gc_alloc_obj(vm, sizeof(DictObj), K_DICT, type);
}

/* the first empty index slot on hash's probe sequence (the table has no
** dummies on that path that we care to reuse) */
static int64_t find_empty_slot(int64_t *index, int64_t nindex, int64_t hash) {
  uint64_t mask = (uint64_t)nindex - 1, perturb = (uint64_t)hash;
  uint64_t i = (uint64_t)hash & mask;
  while (index[i] != IX_EMPTY) {
    perturb >>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
  return (int64_t)i;
}

/* Rebuild with an index of nindex slots, dropping deleted entries. */
/* the index and the entries share one block (index first): one malloc per
** table instead of two, which matters for the many small instance dicts */
static size_t storage_bytes(int64_t nindex, int64_t cap) {
  size_t a = gc_array_size((size_t)nindex, sizeof(int64_t)), b = gc_array_size((size_t)cap, sizeof(DictEntry));
  return a == SIZE_MAX || b == SIZE_MAX || a + b < a ? SIZE_MAX : a + b;
}

static void storage_free(VM *vm, DictObj *d) {
  if (d->index) gc_free(vm, d->index, storage_bytes(d->nindex, d->cap));
}

static int dict_resize(VM *vm, DictObj *d, int64_t nindex) {
  int64_t cap = usable_for(nindex);
  int64_t *index = gc_malloc(vm, storage_bytes(nindex, cap));
  if (index == NULL) return -1;
  DictEntry *entries = (DictEntry *)(index + nindex);
  memset(index, 0xff, (size_t)nindex * sizeof(int64_t)); /* all IX_EMPTY */
  int64_t n = 0;
  uint64_t hashbits = 0;
  for (int64_t i = 0; i < d->used; i++) {
    DictEntry *e = &d->entries[i];
    if (IS_UNDEF(e->key)) continue;
    hashbits |= DICT_HASH_BIT(e->hash);
    entries[n] = *e;
    index[find_empty_slot(index, nindex, e->hash)] = n;
    n++;
  }
  storage_free(vm, d);
  d->index = index;
  d->nindex = nindex;
  d->entries = entries;
  d->cap = cap;
  d->used = n;
  d->len = n;
  d->hashbits = hashbits;
  return 0;
}

/* room for one more entry: grow to the smallest table >= 3 * len */
static int dict_grow(VM *vm, DictObj *d) {
  int64_t want = d->len * 3, n = DICT_MIN_INDEX;
  while (n < want) n <<= 1;
  return dict_resize(vm, d, n);
}

/* Probe for key (whose hash is `hash`). Returns its entry number and sets
** *pos to its index slot; or -1 when absent, *pos then being the slot a
** new entry takes (-1 when the table is empty); or -2 on error. `protect`
** is a value the caller still needs, kept alive while user __eq__ runs. */
static int64_t dict_lookup(VM *vm, DictObj *d, Value key, int64_t hash, int64_t *pos, Value protect) {
restart:
  if (d->nindex == 0) {
    *pos = -1;
    return -1;
  }
  uint64_t mask = (uint64_t)d->nindex - 1, perturb = (uint64_t)hash;
  uint64_t i = (uint64_t)hash & mask;
  int64_t freeslot = -1;
  bool key_is_str = is_exact_str(vm, key);
  for (;;) {
    int64_t ix = d->index[i];
    if (ix == IX_EMPTY) {
      *pos = freeslot >= 0 ? freeslot : (int64_t)i;
      return -1;
    }
    if (ix == IX_DUMMY) {
      if (freeslot < 0) freeslot = (int64_t)i;
    } else {
      DictEntry *e = &d->entries[ix];
      if (v_is(e->key, key)) {
        *pos = (int64_t)i;
        return ix;
      }
      if (e->hash == hash) {
        Value ekey = e->key;
        int eq;
        if (key_is_str && is_exact_str(vm, ekey)) {
          eq = str_equal(AS_STR(ekey), AS_STR(key));
        } else if (IS_INT(key) && IS_INT(ekey)) {
          eq = 0;
        } else {
          DictEntry *entries = d->entries;
          int64_t *index = d->index;
          gc_push_root(vm, key);
          gc_push_root(vm, protect);
          gc_push_root(vm, ekey);
          eq = obj_eq(vm, ekey, key);
          gc_pop_roots(vm, 3);
          if (eq < 0) return -2;
          /* the dict changed under us: start again */
          if (d->entries != entries || d->index != index || ix >= d->used ||
              !v_is(d->entries[ix].key, ekey))
            goto restart;
        }
        if (eq) {
          *pos = (int64_t)i;
          return ix;
        }
      }
    }
    perturb >>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
}

/* append a new entry for a key known to be absent; pos from dict_lookup */
static int dict_add_entry(VM *vm, DictObj *d, int64_t pos, Value key, int64_t hash, Value value) {
  if (pos < 0 || d->used >= d->cap) {
    if (dict_grow(vm, d) < 0) return -1;
    pos = find_empty_slot(d->index, d->nindex, hash);
  }
  DictEntry *e = &d->entries[d->used];
  d->hashbits |= DICT_HASH_BIT(hash);
  e->hash = hash;
  e->key = key;
  e->value = value;
  d->index[pos] = d->used;
  d->used++;
  d->len++;
  d->version++;
  return 0;
}

static int dict_insert(VM *vm, DictObj *d, Value key, int64_t hash, Value value) {
  int64_t pos;
  int64_t ix = dict_lookup(vm, d, key, hash, &pos, value);
  if (ix == -2) return -1;
  if (ix >= 0) {
    d->entries[ix].value = value;
    d->version++;
    return 0;
  }
  return dict_add_entry(vm, d, pos, key, hash, value);
}

/* insert a key known to be absent (copying another dict) */
static int dict_insert_clean(VM *vm, DictObj *d, Value key, int64_t hash, Value value) {
  if (d->used >= d->cap && dict_grow(vm, d) < 0) return -1;
  return dict_add_entry(vm, d, find_empty_slot(d->index, d->nindex, hash), key, hash, value);
}

static void dict_remove_at(DictObj *d, int64_t pos, int64_t ix) {
  d->index[pos] = IX_DUMMY;
  d->entries[ix].key = V_UNDEF;
  d->entries[ix].value = V_UNDEF;
  d->len--;
  d->version++;
}

Value dict_get(VM *vm, DictObj *d, Value key) {
  int64_t hash, pos;
  if (key_hash(vm, key, &hash) < 0) return V_UNDEF;
  if (!(d->hashbits & DICT_HASH_BIT(hash))) return V_UNDEF;
  int64_t ix = dict_lookup(vm, d, key, hash, &pos, V_UNDEF);
  return ix >= 0 ? d->entries[ix].value : V_UNDEF;
}

int dict_set(VM *vm, DictObj *d, Value key, Value value) {
  int64_t hash;
  if (key_hash(vm, key, &hash) < 0) return -1;
  return dict_insert(vm, d, key, hash, value);
}

int dict_del(VM *vm, DictObj *d, Value key) {
  int64_t hash, pos;
  if (key_hash(vm, key, &hash) < 0) return -1;
  int64_t ix = dict_lookup(vm, d, key, hash, &pos, V_UNDEF);
  if (ix < 0) return ix == -2 ? -1 : 0;
  dict_remove_at(d, pos, ix);
  return 1;
}

int dict_contains_hash(VM *vm, DictObj *d, Value key, int64_t hash) {
  int64_t pos;
  int64_t ix = dict_lookup(vm, d, key, hash, &pos, V_UNDEF);
  return ix == -2 ? -1 : ix >= 0;
}

/* str keys: compare by pointer (interned), then by content; other keys
** are skipped, so no user code runs */
static int64_t dict_lookup_str(DictObj *d, StrObj *key, int64_t hash, int64_t *pos) {
  if (d->nindex == 0) {
    *pos = -1;
    return -1;
  }
  uint64_t mask = (uint64_t)d->nindex - 1, perturb = (uint64_t)hash;
  uint64_t i = (uint64_t)hash & mask;
  int64_t freeslot = -1;
  for (;;) {
    int64_t ix = d->index[i];
    if (ix == IX_EMPTY) {
      *pos = freeslot >= 0 ? freeslot : (int64_t)i;
      return -1;
    }
    if (ix == IX_DUMMY) {
      if (freeslot < 0) freeslot = (int64_t)i;
    } else {
      DictEntry *e = &d->entries[ix];
      if (IS_OBJ(e->key) && (AS_OBJ(e->key) == &key->obj ||
                             (e->hash == hash && AS_OBJ(e->key)->kind == K_STR &&
                              str_equal(AS_STR(e->key), key)))) {
        *pos = (int64_t)i;
        return ix;
      }
    }
    perturb >>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
}

Value dict_get_str(VM *vm, DictObj *d, StrObj *key) {
  (void)vm;
  int64_t hash = str_hash(key);
  if (!(d->hashbits & DICT_HASH_BIT(hash))) return V_UNDEF;
  int64_t pos;
  int64_t ix = dict_lookup_str(d, key, hash, &pos);
  return ix >= 0 ? d->entries[ix].value : V_UNDEF;
}

int dict_set_str(VM *vm, DictObj *d, StrObj *key, Value value) {
  int64_t pos, hash = str_hash(key);
  int64_t ix = dict_lookup_str(d, key, hash, &pos);
  if (ix >= 0) {
    d->entries[ix].value = value;
    d->version++;
    return 0;
  }
  return dict_add_entry(vm, d, pos, v_obj(key), hash, value);
}

Value dict_get_cstr(VM *vm, DictObj *d, const char *key) {
  StrObj *s = str_intern_cstr(vm, key);
  if (s == NULL) return V_UNDEF;
  return dict_get_str(vm, d, s);
}

int dict_set_cstr(VM *vm, DictObj *d, const char *key, Value value) {
  StrObj *s = str_intern_cstr(vm, key);
  if (s == NULL) return -1;
  return dict_set_str(vm, d, s, value);
}

bool dict_next(DictObj *d, int64_t *pos, Value *key, Value *value) {
  int64_t hash;
  return dict_next_hash(d, pos, key, value, &hash);
}

bool dict_next_hash(DictObj *d, int64_t *pos, Value *key, Value *value, int64_t *hash) {
  int64_t i = *pos;
  while (i < d->used && IS_UNDEF(d->entries[i].key)) i++;
  if (i >= d->used) {
    *pos = i;
    return false;
  }
  if (key) *key = d->entries[i].key;
  if (value) *value = d->entries[i].value;
  if (hash) *hash = d->entries[i].hash;
  *pos = i + 1;
  return true;
}

static void dict_clear(VM *vm, DictObj *d) {
  storage_free(vm, d);
  d->index = NULL;
  d->entries = NULL;
  d->nindex = d->cap = d->used = d->len = 0;
  d->hashbits = 0;
  d->version++;
}

/* ---------------------------------------------------------------- update */

/* add every entry of src to d (later values win) */
static int dict_merge_dict(VM *vm, DictObj *d, DictObj *src) {
  if (src == d || src->len == 0) return 0;
  /* one resize up front when d is empty (like a copy) */
  if (d->len == 0 && d->cap - d->used < src->len) {
    int64_t n = DICT_MIN_INDEX;
    while (usable_for(n) < src->len) n <<= 1;
    if (dict_resize(vm, d, n) < 0) return -1;
  }
  /* src may change under user __eq__: re-read its bounds every step */
  for (int64_t i = 0; i < src->used; i++) {
    DictEntry e = src->entries[i];
    if (IS_UNDEF(e.key)) continue;
    if (dict_insert(vm, d, e.key, e.hash, e.value) < 0) return -1;
  }
  return 0;
}

/* PySequence_Fast for one element of the pairs form */
static Value pair_items(VM *vm, Value item, int64_t n, int64_t *len) {
  if (IS_TUPLE(item)) {
    *len = AS_TUPLE(item)->len;
    return item;
  }
  if (IS_LIST(item)) {
    *len = AS_LIST(item)->len;
    return item;
  }
  Value it = obj_iter(vm, item);
  if (IS_UNDEF(it)) {
    if (exc_pending_matches(vm, EXC(vm, TypeError))) {
      exc_clear(vm);
      exc_type_error(vm, "cannot convert dictionary update sequence element #%lld to a sequence",
                     (long long)n);
    }
    return V_UNDEF;
  }
  gc_push_root(vm, it);
  Value l = list_from_iterable(vm, it);
  gc_pop_roots(vm, 1);
  if (!IS_UNDEF(l)) *len = AS_LIST(l)->len;
  return l;
}

static int dict_merge_pairs(VM *vm, DictObj *d, Value pairs) {
  Value it = obj_iter(vm, pairs);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  int rc = 0;
  for (int64_t n = 0;; n++) {
    Value item = obj_next(vm, it);
    if (IS_UNDEF(item)) {
      rc = exc_pending(vm) ? -1 : 0;
      break;
    }
    gc_push_root(vm, item);
    int64_t len = 0;
    Value seq = pair_items(vm, item, n, &len);
    if (IS_UNDEF(seq)) {
      gc_pop_roots(vm, 1);
      rc = -1;
      break;
    }
    gc_push_root(vm, seq);
    if (len != 2) {
      exc_value_error(vm, "dictionary update sequence element #%lld has length %lld; 2 is required",
                      (long long)n, (long long)len);
      rc = -1;
    } else {
      Value *kv = IS_TUPLE(seq) ? AS_TUPLE(seq)->items : AS_LIST(seq)->items;
      rc = dict_set(vm, d, kv[0], kv[1]);
    }
    gc_pop_roots(vm, 2);
    if (rc < 0) break;
  }
  gc_pop_roots(vm, 1);
  return rc;
}

/* a mapping with keys(): d[k] = m[k] for k in m.keys() */
static int dict_merge_mapping(VM *vm, DictObj *d, Value m, Value keys_fn) {
  gc_push_root(vm, keys_fn);
  Value keys = obj_call0(vm, keys_fn);
  gc_pop_roots(vm, 1);
  if (IS_UNDEF(keys)) return -1;
  gc_push_root(vm, keys);
  Value it = obj_iter(vm, keys);
  gc_pop_roots(vm, 1);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  int rc = 0;
  for (;;) {
    Value k = obj_next(vm, it);
    if (IS_UNDEF(k)) {
      rc = exc_pending(vm) ? -1 : 0;
      break;
    }
    gc_push_root(vm, k);
    Value v = obj_getitem(vm, m, k);
    if (IS_UNDEF(v)) rc = -1;
    else rc = dict_set(vm, d, k, v);
    gc_pop_roots(vm, 1);
    if (rc < 0) break;
  }
  gc_pop_roots(vm, 1);
  return rc;
}

int dict_update(VM *vm, DictObj *d, Value arg) {
  if (IS_OBJ(arg) && AS_OBJ(arg)->type == vm->t_dict) return dict_merge_dict(vm, d, AS_DICT(arg));
  gc_push_root(vm, v_obj(d));
  gc_push_root(vm, arg);
  int rc;
  Value keys_fn = obj_getattr_opt(vm, arg, NAME(vm, keys));
  if (!IS_UNDEF(keys_fn)) rc = dict_merge_mapping(vm, d, arg, keys_fn);
  else if (exc_pending(vm)) rc = -1;
  else rc = dict_merge_pairs(vm, d, arg);
  gc_pop_roots(vm, 2);
  return rc;
}

/* d.update(*args, **kwargs) / dict(*args, **kwargs) */
static int dict_update_args(VM *vm, DictObj *d, const char *name, Value *args, int nargs, TupleObj *kwnames) {
  if (seq_args_range(vm, name, nargs, 0, 1) < 0) return -1;
  if (nargs == 1 && dict_update(vm, d, args[0]) < 0) return -1;
  int64_t nkw = kwnames ? kwnames->len : 0;
  for (int64_t k = 0; k < nkw; k++)
    if (dict_set(vm, d, kwnames->items[k], args[nargs + k]) < 0) return -1;
  return 0;
}

DictObj *dict_copy(VM *vm, DictObj *d) {
  DictObj *r = dict_new(vm);
  if (r == NULL) return NULL;
  if (d->len == 0) return r;
  int64_t n = DICT_MIN_INDEX;
  while (usable_for(n) < d->len) n <<= 1;
  if (dict_resize(vm, r, n) < 0) return NULL;
  for (int64_t i = 0; i < d->used; i++) {
    DictEntry *e = &d->entries[i];
    if (IS_UNDEF(e->key)) continue;
    if (dict_insert_clean(vm, r, e->key, e->hash, e->value) < 0) return NULL;
  }
  return r;
}

Value dict_binop(VM *vm, int op, Value a, Value b) {
  if (op == BIN_OR) {
    if (!IS_DICT(a) || !IS_DICT(b)) return v_obj(vm->not_implemented);
    DictObj *r = dict_copy(vm, AS_DICT(a));
    if (r == NULL) return V_UNDEF;
    gc_push_root(vm, v_obj(r));
    int rc = dict_update(vm, r, b);
    gc_pop_roots(vm, 1);
    return rc < 0 ? V_UNDEF : v_obj(r);
  }
  if (op == BIN_INPLACE + BIN_OR) {
    if (!IS_DICT(a)) return v_obj(vm->not_implemented);
    if (dict_update(vm, AS_DICT(a), b) < 0) return V_UNDEF;
    return a;
  }
  return v_obj(vm->not_implemented);
}

/* ---------------------------------------------------------------- slots */

static Value dict_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  DictObj *d = dict_alloc(vm, type);
  if (d == NULL) return V_UNDEF;
  /* a subclass with its own __init__ fills the dict there */
  if (type != vm->t_dict && init_overridden(vm, type, vm->t_dict)) return v_obj(d);
  gc_push_root(vm, v_obj(d));
  int rc = dict_update_args(vm, d, "dict", args, nargs, kwnames);
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : v_obj(d);
}

static Value dict_repr_nested(VM *vm, Value self) {
  DictObj *d = AS_DICT(self);
  if (d->len == 0) return v_obj(str_from_cstr(vm, "{}"));
  if (d->obj.flags & OBJ_FLAG_REPR_BUSY) return v_obj(str_from_cstr(vm, "{...}"));
  d->obj.flags |= OBJ_FLAG_REPR_BUSY;
  SBuf b;
  sbuf_init(&b);
  sbuf_addc(&b, '{');
  bool first = true, failed = false;
  for (int64_t i = 0; i < d->used && !failed; i++) {
    DictEntry e = d->entries[i];
    if (IS_UNDEF(e.key)) continue;
    if (!first) sbuf_adds(&b, ", ");
    first = false;
    /* the key's __repr__ may delete the entry: keep both alive */
    gc_push_root(vm, e.key);
    gc_push_root(vm, e.value);
    failed = sbuf_add_repr(vm, &b, e.key) < 0;
    if (!failed) {
      sbuf_adds(&b, ": ");
      failed = sbuf_add_repr(vm, &b, e.value) < 0;
    }
    gc_pop_roots(vm, 2);
  }
  d->obj.flags &= ~OBJ_FLAG_REPR_BUSY;
  if (failed) {
    sbuf_free(&b);
    return V_UNDEF;
  }
  sbuf_addc(&b, '}');
  StrObj *s = sbuf_finish(vm, &b);
  return s ? v_obj(s) : V_UNDEF;
}

/* guarded against deep nesting (see seq_recursion_enter) */
static Value dict_repr(VM *vm, Value self) {
  if (seq_recursion_enter(vm, SEQ_IN_REPR) < 0) return V_UNDEF;
  Value r = dict_repr_nested(vm, self);
  seq_recursion_leave(vm);
  return r;
}

static int64_t dict_len(VM *vm, Value self) { return AS_DICT(self)->len; }

static Value dict_getitem(VM *vm, Value self, Value key) {
  DictObj *d = AS_DICT(self);
  Value v = dict_get(vm, d, key);
  if (!IS_UNDEF(v) || exc_pending(vm)) return v;
  if (d->obj.type != vm->t_dict) {
    Value missing = type_lookup(vm, d->obj.type, NAME(vm, __missing__));
    if (!IS_UNDEF(missing)) return obj_call2(vm, missing, self, key);
  }
  return dict_key_error(vm, key);
}

static int dict_setitem(VM *vm, Value self, Value key, Value value) {
  DictObj *d = AS_DICT(self);
  if (!IS_UNDEF(value)) return dict_set(vm, d, key, value);
  int r = dict_del(vm, d, key);
  if (r == 0) {
    dict_key_error(vm, key);
    return -1;
  }
  return r < 0 ? -1 : 0;
}

static int dict_contains(VM *vm, Value self, Value key) {
  int64_t hash;
  if (key_hash(vm, key, &hash) < 0) return -1;
  return dict_contains_hash(vm, AS_DICT(self), key, hash);
}

static Value dict_iter(VM *vm, Value self) {
  DictObj *d = AS_DICT(self);
  return iter_new(vm, IT_DICT_KEYS, self, v_int(d->len), 0, d->len);
}

/* a == b for two dicts: same length, and every a[k] == b[k] */
static int dict_equal_nested(VM *vm, DictObj *a, DictObj *b) {
  if (a->len != b->len) return 0;
  for (int64_t i = 0; i < a->used; i++) {
    DictEntry e = a->entries[i];
    if (IS_UNDEF(e.key)) continue;
    gc_push_root(vm, e.key);
    gc_push_root(vm, e.value);
    int64_t pos;
    int64_t ix = dict_lookup(vm, b, e.key, e.hash, &pos, V_UNDEF);
    int r;
    if (ix < 0) {
      r = ix == -2 ? -1 : 0;
    } else {
      Value bv = b->entries[ix].value;
      gc_push_root(vm, bv);
      r = obj_eq(vm, e.value, bv);
      gc_pop_roots(vm, 1);
    }
    gc_pop_roots(vm, 2);
    if (r <= 0) return r;
  }
  return 1;
}

/* guarded against deep nesting (see seq_recursion_enter) */
static int dict_equal(VM *vm, DictObj *a, DictObj *b) {
  if (seq_recursion_enter(vm, SEQ_IN_CMP) < 0) return -1;
  int r = dict_equal_nested(vm, a, b);
  seq_recursion_leave(vm);
  return r;
}

static Value dict_richcmp(VM *vm, Value a, Value b, int op) {
  if (!IS_DICT(a) || !IS_DICT(b) || (op != CMP_EQ && op != CMP_NE)) return v_obj(vm->not_implemented);
  int eq = AS_OBJ(a) == AS_OBJ(b) ? 1 : dict_equal(vm, AS_DICT(a), AS_DICT(b));
  if (eq < 0) return V_UNDEF;
  return v_bool(op == CMP_EQ ? eq : !eq);
}

/* ---------------------------------------------------------------- methods */

#define DICT_SELF(meth)                                                    \
  if (seq_check_self(vm, args, nargs, vm->t_dict, meth) < 0) return V_UNDEF; \
  DictObj *d = AS_DICT(args[0]);

#define NO_KW(qual) \
  if (seq_no_kwargs(vm, qual, kwnames) < 0) return V_UNDEF;

static Value dict_m_keys(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("keys");
  NO_KW("dict.keys");
  if (seq_args_exact(vm, "dict.keys", nargs - 1, 0) < 0) return V_UNDEF;
  return dict_view_new(vm, d, 0);
}

static Value dict_m_values(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("values");
  NO_KW("dict.values");
  if (seq_args_exact(vm, "dict.values", nargs - 1, 0) < 0) return V_UNDEF;
  return dict_view_new(vm, d, 1);
}

static Value dict_m_items(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("items");
  NO_KW("dict.items");
  if (seq_args_exact(vm, "dict.items", nargs - 1, 0) < 0) return V_UNDEF;
  return dict_view_new(vm, d, 2);
}

static Value dict_m_get(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("get");
  NO_KW("dict.get");
  if (seq_args_range(vm, "get", nargs - 1, 1, 2) < 0) return V_UNDEF;
  Value v = dict_get(vm, d, args[1]);
  if (!IS_UNDEF(v) || exc_pending(vm)) return v;
  return nargs > 2 ? args[2] : V_NONE;
}

static Value dict_m_pop(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("pop");
  NO_KW("dict.pop");
  if (seq_args_range(vm, "pop", nargs - 1, 1, 2) < 0) return V_UNDEF;
  int64_t hash, pos;
  if (key_hash(vm, args[1], &hash) < 0) return V_UNDEF;
  int64_t ix = dict_lookup(vm, d, args[1], hash, &pos, V_UNDEF);
  if (ix == -2) return V_UNDEF;
  if (ix < 0) return nargs > 2 ? args[2] : dict_key_error(vm, args[1]);
  Value v = d->entries[ix].value;
  dict_remove_at(d, pos, ix);
  return v;
}

static Value dict_m_popitem(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("popitem");
  NO_KW("dict.popitem");
  if (seq_args_exact(vm, "dict.popitem", nargs - 1, 0) < 0) return V_UNDEF;
  if (d->len == 0) {
    Value msg = v_obj(str_from_cstr(vm, "popitem(): dictionary is empty"));
    return dict_key_error(vm, msg);
  }
  int64_t ix = d->used - 1;
  while (IS_UNDEF(d->entries[ix].key)) ix--;
  DictEntry e = d->entries[ix];
  TupleObj *t = tuple_pack(vm, 2, e.key, e.value);
  if (t == NULL) return V_UNDEF;
  /* find the index slot that points at ix */
  uint64_t mask = (uint64_t)d->nindex - 1, perturb = (uint64_t)e.hash;
  uint64_t i = (uint64_t)e.hash & mask;
  while (d->index[i] != ix) {
    perturb >>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
  dict_remove_at(d, (int64_t)i, ix);
  d->used = ix;  /* the tail is all holes now: reuse it */
  return v_obj(t);
}

static Value dict_m_setdefault(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("setdefault");
  NO_KW("dict.setdefault");
  if (seq_args_range(vm, "setdefault", nargs - 1, 1, 2) < 0) return V_UNDEF;
  Value dflt = nargs > 2 ? args[2] : V_NONE;
  int64_t hash, pos;
  if (key_hash(vm, args[1], &hash) < 0) return V_UNDEF;
  int64_t ix = dict_lookup(vm, d, args[1], hash, &pos, dflt);
  if (ix == -2) return V_UNDEF;
  if (ix >= 0) return d->entries[ix].value;
  if (dict_add_entry(vm, d, pos, args[1], hash, dflt) < 0) return V_UNDEF;
  return dflt;
}

static Value dict_m_update(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("update");
  if (dict_update_args(vm, d, "update", args + 1, nargs - 1, kwnames) < 0) return V_UNDEF;
  return V_NONE;
}

static Value dict_m_init(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__init__");
  if (dict_update_args(vm, d, "dict", args + 1, nargs - 1, kwnames) < 0) return V_UNDEF;
  return V_NONE;
}

static Value dict_m_copy(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("copy");
  NO_KW("dict.copy");
  if (seq_args_exact(vm, "dict.copy", nargs - 1, 0) < 0) return V_UNDEF;
  DictObj *r = dict_copy(vm, d);
  return r ? v_obj(r) : V_UNDEF;
}

static Value dict_m_clear(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("clear");
  NO_KW("dict.clear");
  if (seq_args_exact(vm, "dict.clear", nargs - 1, 0) < 0) return V_UNDEF;
  dict_clear(vm, d);
  return V_NONE;
}

/* dict.fromkeys(iterable, value=None), a classmethod: args[0] is the class */
static Value dict_m_fromkeys(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  NO_KW("dict.fromkeys");
  if (seq_args_range(vm, "fromkeys", nargs - 1, 1, 2) < 0) return V_UNDEF;
  Value value = nargs > 2 ? args[2] : V_NONE;
  Value cls = args[0];
  Value target = IS_OBJ(cls) && AS_OBJ(cls) == &vm->t_dict->obj ? v_obj(dict_new(vm)) : obj_call0(vm, cls);
  if (IS_UNDEF(target) || (IS_OBJ(target) && AS_OBJ(target) == NULL)) return V_UNDEF;
  gc_push_root(vm, target);
  bool exact = IS_OBJ(target) && AS_OBJ(target)->type == vm->t_dict;
  int rc = 0;
  Value src = args[1];
  if (exact && IS_OBJ(src) && AS_OBJ(src)->type == vm->t_dict) {
    int64_t pos = 0, hash;
    Value k;
    while (rc == 0 && dict_next_hash(AS_DICT(src), &pos, &k, NULL, &hash))
      rc = dict_insert(vm, AS_DICT(target), k, hash, value);
  } else {
    Value it = obj_iter(vm, src);
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
        rc = exact ? dict_set(vm, AS_DICT(target), k, value) : obj_setitem(vm, target, k, value);
        if (rc < 0) break;
      }
      gc_pop_roots(vm, 1);
    }
  }
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : target;
}

static Value dict_m_contains(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__contains__");
  (void)d;
  if (seq_args_exact(vm, "dict.__contains__", nargs - 1, 1) < 0) return V_UNDEF;
  int r = dict_contains(vm, args[0], args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value dict_m_getitem(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__getitem__");
  (void)d;
  if (seq_args_exact(vm, "dict.__getitem__", nargs - 1, 1) < 0) return V_UNDEF;
  return dict_getitem(vm, args[0], args[1]);
}

static Value dict_m_setitem(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__setitem__");
  if (seq_args_range(vm, "__setitem__", nargs - 1, 2, 2) < 0) return V_UNDEF;
  return dict_set(vm, d, args[1], args[2]) < 0 ? V_UNDEF : V_NONE;
}

static Value dict_m_delitem(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__delitem__");
  (void)d;
  if (seq_args_exact(vm, "dict.__delitem__", nargs - 1, 1) < 0) return V_UNDEF;
  return dict_setitem(vm, args[0], args[1], V_UNDEF) < 0 ? V_UNDEF : V_NONE;
}

static Value dict_m_len(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__len__");
  if (seq_args_exact(vm, "dict.__len__", nargs - 1, 0) < 0) return V_UNDEF;
  return v_int(d->len);
}

static Value dict_m_iter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__iter__");
  (void)d;
  if (seq_args_exact(vm, "dict.__iter__", nargs - 1, 0) < 0) return V_UNDEF;
  return dict_iter(vm, args[0]);
}

static Value dict_m_reversed(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__reversed__");
  if (seq_args_exact(vm, "dict.__reversed__", nargs - 1, 0) < 0) return V_UNDEF;
  return iter_new(vm, IT_DICT_REVKEYS, args[0], v_int(d->len), d->used - 1, d->len);
}

static Value dict_m_or(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__or__");
  (void)d;
  if (seq_args_exact(vm, "dict.__or__", nargs - 1, 1) < 0) return V_UNDEF;
  return dict_binop(vm, BIN_OR, args[0], args[1]);
}

static Value dict_m_ror(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__ror__");
  (void)d;
  if (seq_args_exact(vm, "dict.__ror__", nargs - 1, 1) < 0) return V_UNDEF;
  return dict_binop(vm, BIN_OR, args[1], args[0]);
}

static Value dict_m_ior(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  DICT_SELF("__ior__");
  (void)d;
  if (seq_args_exact(vm, "dict.__ior__", nargs - 1, 1) < 0) return V_UNDEF;
  return dict_binop(vm, BIN_INPLACE + BIN_OR, args[0], args[1]);
}

/* ---------------------------------------------------------------- views */

/* A view is an IterObj of type dict_keys / dict_values / dict_items:
** src is the dict, mode says which. */
static Type *view_type(VM *vm, int which) {
  return which == 0 ? vm->t_dict_keys : which == 1 ? vm->t_dict_values : vm->t_dict_items;
}

Value dict_view_new(VM *vm, DictObj *d, int which) {
  IterObj *v = gc_alloc_obj(vm, sizeof(IterObj), K_ITER, view_type(vm, which));
  if (v == NULL) return V_UNDEF;
  v->src = v_obj(d);
  v->aux = V_NONE;
  v->mode = which;
  return v_obj(v);
}

static bool is_view(VM *vm, Value v) {
  if (!IS_ITER(v)) return false;
  Type *t = AS_OBJ(v)->type;
  return t == vm->t_dict_keys || t == vm->t_dict_values || t == vm->t_dict_items;
}

/* keys and items views are set-like; values views are not */
static bool is_setlike_view(VM *vm, Value v) {
  if (!IS_ITER(v)) return false;
  Type *t = AS_OBJ(v)->type;
  return t == vm->t_dict_keys || t == vm->t_dict_items;
}

static DictObj *view_dict(Value v) { return AS_DICT(((IterObj *)AS_OBJ(v))->src); }
static int view_which(Value v) { return ((IterObj *)AS_OBJ(v))->mode; }

static int64_t view_len(VM *vm, Value self) { return view_dict(self)->len; }

static Value view_iter(VM *vm, Value self) {
  DictObj *d = view_dict(self);
  static const IterTypeId kinds[] = {IT_DICT_KEYS, IT_DICT_VALUES, IT_DICT_ITEMS};
  return iter_new(vm, kinds[view_which(self)], v_obj(d), v_int(d->len), 0, d->len);
}

static int view_contains(VM *vm, Value self, Value item) {
  DictObj *d = view_dict(self);
  switch (view_which(self)) {
    case 0:
      return dict_contains(vm, v_obj(d), item);
    case 1:
      for (int64_t i = 0; i < d->used; i++) {
        Value v = d->entries[i].value;
        if (IS_UNDEF(d->entries[i].key)) continue;
        int eq = obj_eq(vm, v, item);
        if (eq != 0) return eq;
      }
      return 0;
    default: {
      if (!IS_TUPLE(item) || AS_TUPLE(item)->len != 2) return 0;
      Value found = dict_get(vm, d, AS_TUPLE(item)->items[0]);
      if (IS_UNDEF(found)) return exc_pending(vm) ? -1 : 0;
      return obj_eq(vm, found, AS_TUPLE(item)->items[1]);
    }
  }
}

static Value view_repr_nested(VM *vm, Value self) {
  Obj *o = AS_OBJ(self);
  if (o->flags & OBJ_FLAG_REPR_BUSY) return v_obj(str_from_cstr(vm, "..."));
  Value items = list_from_iterable(vm, self);
  if (IS_UNDEF(items)) return V_UNDEF;
  gc_push_root(vm, items);
  o->flags |= OBJ_FLAG_REPR_BUSY;
  StrObj *s = str_format_c(vm, "%U(%R)", o->type->name, items);
  o->flags &= ~OBJ_FLAG_REPR_BUSY;
  gc_pop_roots(vm, 1);
  return s ? v_obj(s) : V_UNDEF;
}

/* guarded against deep nesting (see seq_recursion_enter) */
static Value view_repr(VM *vm, Value self) {
  if (seq_recursion_enter(vm, SEQ_IN_REPR) < 0) return V_UNDEF;
  Value r = view_repr_nested(vm, self);
  seq_recursion_leave(vm);
  return r;
}

/* every item of a is in b */
static int all_contained_in(VM *vm, Value a, Value b) {
  Value it = obj_iter(vm, a);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  int r = 1;
  for (;;) {
    Value v = obj_next(vm, it);
    if (IS_UNDEF(v)) {
      if (exc_pending(vm)) r = -1;
      break;
    }
    r = obj_contains(vm, b, v);
    if (r <= 0) break;
  }
  gc_pop_roots(vm, 1);
  return r;
}

static Value view_richcmp(VM *vm, Value a, Value b, int op) {
  if (!is_setlike_view(vm, a) || !(IS_SET(b) || is_setlike_view(vm, b)))
    return v_obj(vm->not_implemented);
  int64_t la = obj_len(vm, a), lb = obj_len(vm, b);
  if (la < 0 || lb < 0) return V_UNDEF;
  int ok = 0;
  switch (op) {
    case CMP_EQ:
    case CMP_NE:
      if (la == lb) ok = all_contained_in(vm, a, b);
      if (op == CMP_NE && ok >= 0) ok = !ok;
      break;
    case CMP_LT: if (la < lb) ok = all_contained_in(vm, a, b); break;
    case CMP_LE: if (la <= lb) ok = all_contained_in(vm, a, b); break;
    case CMP_GT: if (la > lb) ok = all_contained_in(vm, b, a); break;
    default: if (la >= lb) ok = all_contained_in(vm, b, a); break;
  }
  return ok < 0 ? V_UNDEF : v_bool(ok);
}

/* set(view) as CPython builds it: a keys view of a plain dict goes
** through the dict (known hashes) */
static Value view_to_set(VM *vm, Value v) {
  if (is_view(vm, v) && view_which(v) == 0 && view_dict(v)->obj.type == vm->t_dict)
    v = v_obj(view_dict(v));
  return set_from_iterable(vm, v, false);
}

/* view & other: the items of other that are in the view */
static Value view_and(VM *vm, Value self, Value other) {
  if (!is_setlike_view(vm, self)) {
    Value t = self;
    self = other;
    other = t;
  }
  int64_t len_self = view_len(vm, self);
  if (IS_OBJ(other) && AS_OBJ(other)->type == vm->t_set) {
    int64_t lo = obj_len(vm, other);
    if (len_self <= lo) return set_intersection_with(vm, AS_SET(other), self);
  }
  if (is_setlike_view(vm, other) && view_len(vm, other) > len_self) {
    Value t = self;
    self = other;
    other = t;
  }
  SetObj *r = set_new(vm, false);
  if (r == NULL) return V_UNDEF;
  gc_push_root(vm, v_obj(r));
  Value it = obj_iter(vm, other);
  if (IS_UNDEF(it)) {
    gc_pop_roots(vm, 1);
    return V_UNDEF;
  }
  gc_push_root(vm, it);
  int rc = 0;
  for (;;) {
    Value k = obj_next(vm, it);
    if (IS_UNDEF(k)) {
      rc = exc_pending(vm) ? -1 : 0;
      break;
    }
    gc_push_root(vm, k);
    rc = view_contains(vm, self, k);
    if (rc > 0) rc = set_add(vm, r, k);
    gc_pop_roots(vm, 1);
    if (rc < 0) break;
  }
  gc_pop_roots(vm, 2);
  return rc < 0 ? V_UNDEF : v_obj(r);
}

static Value view_binop(VM *vm, int op, Value a, Value b) {
  if (!is_setlike_view(vm, a) && !is_setlike_view(vm, b)) return v_obj(vm->not_implemented);
  if (op == BIN_AND) return view_and(vm, a, b);
  Value r = view_to_set(vm, a);
  if (IS_UNDEF(r)) return V_UNDEF;
  gc_push_root(vm, r);
  int rc;
  switch (op) {
    case BIN_OR: rc = set_update_from(vm, AS_SET(r), b); break;
    case BIN_SUB: rc = set_difference_update_from(vm, AS_SET(r), b); break;
    default: rc = set_symmetric_difference_update_from(vm, AS_SET(r), b); break;
  }
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : r;
}

#define VIEW_SELF(meth)                                                      \
  if (nargs < 1 || !is_view(vm, args[0]))                                    \
    return exc_type_error(vm, "descriptor '%s' needs a dict view", meth);

#define VIEW_BINOP(fname, op, swap)                                                   \
  static Value fname(VM *vm, Value *args, int nargs, TupleObj *kwnames) {             \
    VIEW_SELF(#op);                                                                   \
    if (seq_args_exact(vm, "view." #op, nargs - 1, 1) < 0) return V_UNDEF;           \
    return swap ? view_binop(vm, op, args[1], args[0]) : view_binop(vm, op, args[0], args[1]); \
  }
VIEW_BINOP(view_m_and, BIN_AND, 0)
VIEW_BINOP(view_m_rand, BIN_AND, 1)
VIEW_BINOP(view_m_or, BIN_OR, 0)
VIEW_BINOP(view_m_ror, BIN_OR, 1)
VIEW_BINOP(view_m_sub, BIN_SUB, 0)
VIEW_BINOP(view_m_rsub, BIN_SUB, 1)
VIEW_BINOP(view_m_xor, BIN_XOR, 0)
VIEW_BINOP(view_m_rxor, BIN_XOR, 1)

static Value view_m_isdisjoint(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  VIEW_SELF("isdisjoint");
  if (seq_args_exact(vm, "isdisjoint", nargs - 1, 1) < 0) return V_UNDEF;
  Value self = args[0], other = args[1];
  if (v_is(self, other)) return v_bool(view_len(vm, self) == 0);
  if (IS_SET(other) || is_setlike_view(vm, other)) {
    int64_t lo = obj_len(vm, other);
    if (lo < 0) return V_UNDEF;
    if (lo > view_len(vm, self)) {
      Value t = self;
      self = other;
      other = t;
    }
  }
  Value it = obj_iter(vm, other);
  if (IS_UNDEF(it)) return V_UNDEF;
  gc_push_root(vm, it);
  int r = 1;
  for (;;) {
    Value v = obj_next(vm, it);
    if (IS_UNDEF(v)) {
      if (exc_pending(vm)) r = -1;
      break;
    }
    int c = obj_contains(vm, self, v);
    if (c != 0) {
      r = c < 0 ? -1 : 0;
      break;
    }
  }
  gc_pop_roots(vm, 1);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value view_m_len(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  VIEW_SELF("__len__");
  return v_int(view_len(vm, args[0]));
}

static Value view_m_iter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  VIEW_SELF("__iter__");
  return view_iter(vm, args[0]);
}

static Value view_m_contains(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  VIEW_SELF("__contains__");
  if (seq_args_exact(vm, "__contains__", nargs - 1, 1) < 0) return V_UNDEF;
  int r = view_contains(vm, args[0], args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value view_m_reversed(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  VIEW_SELF("__reversed__");
  DictObj *d = view_dict(args[0]);
  static const IterTypeId kinds[] = {IT_DICT_REVKEYS, IT_DICT_REVVALUES, IT_DICT_REVITEMS};
  return iter_new(vm, kinds[view_which(args[0])], v_obj(d), v_int(d->len), d->used - 1, d->len);
}

Value dict_view_binop(VM *vm, int op, Value a, Value b) {
  if (op >= BIN_INPLACE) op -= BIN_INPLACE;
  if (op != BIN_AND && op != BIN_OR && op != BIN_SUB && op != BIN_XOR) return v_obj(vm->not_implemented);
  return view_binop(vm, op, a, b);
}

static void view_type_init(VM *vm, Type *t, bool setlike) {
  t->len = view_len;
  t->iter = view_iter;
  t->contains = view_contains;
  t->repr = view_repr;
  define_native(vm, t->dict, "__len__", view_m_len, NATIVE_METHOD);
  define_native(vm, t->dict, "__iter__", view_m_iter, NATIVE_METHOD);
  define_native(vm, t->dict, "__contains__", view_m_contains, NATIVE_METHOD);
  define_native(vm, t->dict, "__reversed__", view_m_reversed, NATIVE_METHOD);
  if (!setlike) return;
  t->richcmp = view_richcmp;
  static const struct { const char *name; NativeFn fn; } ops[] = {
    {"__and__", view_m_and}, {"__rand__", view_m_rand}, {"__or__", view_m_or},
    {"__ror__", view_m_ror}, {"__sub__", view_m_sub}, {"__rsub__", view_m_rsub},
    {"__xor__", view_m_xor}, {"__rxor__", view_m_rxor}, {"isdisjoint", view_m_isdisjoint},
  };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    define_native(vm, t->dict, ops[i].name, ops[i].fn, NATIVE_METHOD);
  dict_set_str(vm, t->dict, NAME(vm, __hash__), V_NONE);
}

/* ---------------------------------------------------------------- init */

void dict_type_init(VM *vm) {
  Type *t = vm->t_dict;
  t->flags |= TF_BASETYPE;
  t->construct = dict_construct;
  t->repr = dict_repr;
  t->len = dict_len;
  t->getitem = dict_getitem;
  t->setitem = dict_setitem;
  t->contains = dict_contains;
  t->iter = dict_iter;
  t->richcmp = dict_richcmp;
  static const struct { const char *name; NativeFn fn; } methods[] = {
    {"keys", dict_m_keys}, {"values", dict_m_values}, {"items", dict_m_items},
    {"get", dict_m_get}, {"pop", dict_m_pop}, {"popitem", dict_m_popitem},
    {"setdefault", dict_m_setdefault}, {"update", dict_m_update}, {"copy", dict_m_copy},
    {"clear", dict_m_clear}, {"__init__", dict_m_init}, {"__contains__", dict_m_contains},
    {"__getitem__", dict_m_getitem}, {"__setitem__", dict_m_setitem},
    {"__delitem__", dict_m_delitem}, {"__len__", dict_m_len}, {"__iter__", dict_m_iter},
    {"__reversed__", dict_m_reversed}, {"__or__", dict_m_or}, {"__ror__", dict_m_ror},
    {"__ior__", dict_m_ior},
  };
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    define_native(vm, t->dict, methods[i].name, methods[i].fn, NATIVE_METHOD);
  define_native(vm, t->dict, "fromkeys", dict_m_fromkeys, NATIVE_CLASS);
  dict_set_str(vm, t->dict, NAME(vm, __hash__), V_NONE);

  if (vm->t_dict_keys == NULL) vm->t_dict_keys = type_new_builtin(vm, "dict_keys", NULL, K_ITER, 0);
  if (vm->t_dict_values == NULL) vm->t_dict_values = type_new_builtin(vm, "dict_values", NULL, K_ITER, 0);
  if (vm->t_dict_items == NULL) vm->t_dict_items = type_new_builtin(vm, "dict_items", NULL, K_ITER, 0);
  view_type_init(vm, vm->t_dict_keys, true);
  view_type_init(vm, vm->t_dict_values, false);
  view_type_init(vm, vm->t_dict_items, true);
}

void dict_trace(VM *vm, Obj *o) {
  DictObj *d = (DictObj *)o;
  for (int64_t i = 0; i < d->used; i++) {
    DictEntry *e = &d->entries[i];
    if (IS_UNDEF(e->key)) continue;
    gc_mark_value(vm, e->key);
    gc_mark_value(vm, e->value);
  }
}

void dict_free(VM *vm, Obj *o) {
  DictObj *d = (DictObj *)o;
  storage_free(vm, d);
  d->index = NULL;
  d->entries = NULL;
}
