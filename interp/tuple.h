/* tuple.h — immutable sequences; also used internally for argument
** tuples, kwnames, bases and MROs. */
#ifndef WITHY_TUPLE_H
#define WITHY_TUPLE_H

#include "object.h"

struct TupleObj {
  Obj obj;
  int64_t len;
  Value items[];
};

#define IS_TUPLE(v) IS_KIND(v, K_TUPLE)
#define AS_TUPLE(v) ((TupleObj *)AS_OBJ(v))

/* items are set to None; fill them before the next allocation-safe point */
TupleObj *tuple_new(VM *vm, int64_t len);
TupleObj *tuple_from(VM *vm, const Value *items, int64_t len);
TupleObj *tuple_pack(VM *vm, int n, ...); /* n Values */
Value tuple_from_iterable(VM *vm, Value iterable);
Value tuple_binop(VM *vm, int op, Value a, Value b); /* +, * */
void tuple_type_init(VM *vm);

/* shared with list.c: lexicographic comparison of two lists/tuples (any
** mix), CPython's algorithm; returns a bool value or V_UNDEF */
Value seq_richcmp_items(VM *vm, Value a, Value b, int op);
/* the optional (start, end) arguments of index(): clamped like slices;
** "slice indices must be integers or have an __index__ method" */
int seq_index_bounds(VM *vm, Value *args, int nargs, int64_t len, int64_t *start, int64_t *end);
void tuple_trace(VM *vm, Obj *o);
void tuple_free(VM *vm, Obj *o);

#endif
