/* set.h — set and frozenset. */
#ifndef WITHY_SET_H
#define WITHY_SET_H

#include "object.h"

/* The layout mimics CPython's setobject.c (table sizes, probing, resizing)
** so that iteration order — and therefore printed sets of small ints —
** matches CPython. The set.c owner defines the fields. */
typedef struct SetEntry { int64_t hash; Value key; } SetEntry;
typedef struct SetObj {
  Obj obj;            /* type is set or frozenset */
  int64_t fill, used, mask;
  SetEntry *table;
  int64_t hash;       /* frozenset hash cache, -1 until computed */
} SetObj;

#define IS_SET(v) IS_KIND(v, K_SET)
#define AS_SET(v) ((SetObj *)AS_OBJ(v))

SetObj *set_new(VM *vm, bool frozen);
int set_add(VM *vm, SetObj *s, Value v);
int set_contains(VM *vm, SetObj *s, Value v);
Value set_from_iterable(VM *vm, Value iterable, bool frozen);
/* |, &, -, ^ and comparisons; not_implemented for non-sets */
Value set_binop(VM *vm, int op, Value a, Value b);
void set_type_init(VM *vm);
void set_trace(VM *vm, Obj *o);
void set_free(VM *vm, Obj *o);

#endif
