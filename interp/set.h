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
  int64_t fill, used, mask;  /* fill: active + dummy slots; used: active; mask: size - 1 */
  SetEntry *table;    /* empty slot: key V_UNDEF, hash 0; dummy: key V_UNDEF, hash -1 */
  int64_t hash;       /* frozenset hash cache, -1 until computed */
  int64_t finger;     /* where pop() resumes its search */
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

/* ---- additions used by the other container files (dict views) ---- */
/* s |= iterable, s -= iterable, s ^= iterable (any iterable); -1 on error */
int set_update_from(VM *vm, SetObj *s, Value iterable);
int set_difference_update_from(VM *vm, SetObj *s, Value iterable);
int set_symmetric_difference_update_from(VM *vm, SetObj *s, Value iterable);
/* s.intersection(other) for one iterable other: a new set */
Value set_intersection_with(VM *vm, SetObj *s, Value other);
void set_trace(VM *vm, Obj *o);
void set_free(VM *vm, Obj *o);

#endif
