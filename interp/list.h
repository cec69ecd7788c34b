/* list.h — mutable sequences. */
#ifndef WITHY_LIST_H
#define WITHY_LIST_H

#include "object.h"

struct ListObj {
  Obj obj;
  int64_t len, cap;
  Value *items;  /* gc_realloc'd */
};

#define IS_LIST(v) IS_KIND(v, K_LIST)
#define AS_LIST(v) ((ListObj *)AS_OBJ(v))

ListObj *list_new(VM *vm, int64_t cap_hint);
/* room for `total` items in all, exactly (no growth policy): -1 on MemoryError */
int list_reserve_total(VM *vm, ListObj *l, int64_t total);
int list_append(VM *vm, ListObj *l, Value v);          /* -1 on MemoryError */
int list_append_n(VM *vm, ListObj *l, const Value *items, int64_t n); /* one growth at most */
int list_extend(VM *vm, ListObj *l, Value iterable);   /* any iterable */
Value list_from_iterable(VM *vm, Value iterable);      /* list(x) */
/* sort in place, key may be V_UNDEF/None; stable (like Python's sort) */
int list_sort(VM *vm, ListObj *l, Value key, bool reverse);
/* list + list, list * n, n * list, list += iterable (in place); not_implemented otherwise */
Value list_binop(VM *vm, int op, Value a, Value b);
void list_type_init(VM *vm);
void list_trace(VM *vm, Obj *o);
void list_free(VM *vm, Obj *o);

#endif
