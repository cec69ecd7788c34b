/* dict.h — insertion-ordered hash maps (compact layout: an index table
** into a dense entries array, as in CPython 3.6+). Keys use obj_hash and
** obj_eq, so user __hash__/__eq__ are honoured. */
#ifndef WITHY_DICT_H
#define WITHY_DICT_H

#include "object.h"

typedef struct DictEntry {
  int64_t hash;
  Value key;    /* V_UNDEF for a deleted entry */
  Value value;
} DictEntry;

struct DictObj {
  Obj obj;
  int64_t len;        /* live entries */
  int64_t used;       /* entries[0..used) in use, including deleted */
  int64_t cap;        /* capacity of entries */
  int64_t nindex;     /* size of index table (power of 2) */
  int64_t *index;     /* -1 empty, -2 dummy, else entry number */
  DictEntry *entries;
  uint32_t version;   /* bumped on every mutation (iteration checks) */
  uint64_t hashbits;  /* DICT_HASH_BIT of every key added since the last
                      ** rebuild: a clear bit proves a key absent without
                      ** probing (misses are common: method names looked
                      ** for in instance dicts, builtins in globals) */
};

#define DICT_HASH_BIT(hash) ((uint64_t)1 << (((uint64_t)(hash) ^ ((uint64_t)(hash) >> 58)) & 63))

#define IS_DICT(v) IS_KIND(v, K_DICT)
#define AS_DICT(v) ((DictObj *)AS_OBJ(v))

DictObj *dict_new(VM *vm);
/* get: returns V_UNDEF with no exception when absent; V_UNDEF + exception on error */
Value dict_get(VM *vm, DictObj *d, Value key);
int dict_set(VM *vm, DictObj *d, Value key, Value value);
int dict_del(VM *vm, DictObj *d, Value key);   /* 1 deleted, 0 absent (no exception), -1 error */
/* fast paths for str keys (attribute dicts, globals): never call user code */
Value dict_get_str(VM *vm, DictObj *d, StrObj *key);
int dict_set_str(VM *vm, DictObj *d, StrObj *key, Value value);
Value dict_get_cstr(VM *vm, DictObj *d, const char *key);
int dict_set_cstr(VM *vm, DictObj *d, const char *key, Value value);
/* iteration: *pos starts at 0; returns false at the end */
bool dict_next(DictObj *d, int64_t *pos, Value *key, Value *value);
int dict_update(VM *vm, DictObj *d, Value mapping_or_pairs);
DictObj *dict_copy(VM *vm, DictObj *d);
Value dict_binop(VM *vm, int op, Value a, Value b); /* |, |= */
void dict_type_init(VM *vm);

/* ---- additions used by the other container files ---- */
/* like dict_next, also giving the stored hash */
bool dict_next_hash(DictObj *d, int64_t *pos, Value *key, Value *value, int64_t *hash);
/* key in d, its hash already known: 1/0/-1 */
int dict_contains_hash(VM *vm, DictObj *d, Value key, int64_t hash);
/* raise KeyError(key) (the key itself as the only arg); returns V_UNDEF */
Value dict_key_error(VM *vm, Value key);
/* & | - ^ on dict keys/items views (either operand a view); not_implemented otherwise */
Value dict_view_binop(VM *vm, int op, Value a, Value b);
void dict_trace(VM *vm, Obj *o);
void dict_free(VM *vm, Obj *o);

#endif
