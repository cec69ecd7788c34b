/* iter.h — builtin iterator objects: sequence iterators (list, tuple, str,
** bytes, range, dict keys/values/items), and the lazy builtins enumerate,
** zip, map, filter, reversed, plus iter(callable, sentinel).
** One C layout (IterObj) with a small per-iterator state; the Python type
** tells them apart (list_iterator, dict_keyiterator, enumerate, zip, …). */
#ifndef WITHY_ITER_H
#define WITHY_ITER_H

#include "object.h"

typedef struct IterObj {
  Obj obj;
  Value src;        /* the sequence / underlying iterator / function */
  Value aux;        /* second value (e.g. map's iterators tuple, filter's predicate) */
  int64_t index;    /* position, or enumerate's count */
  int64_t end;      /* for reversed/range iterators; dict version for dicts */
  int mode;         /* per-type selector */
} IterObj;

#define IS_ITER(v) IS_KIND(v, K_ITER)

/* builtin iterator for a list/tuple/str/bytes/range/dict/set: NULL when v
** is not one of those (no exception) */
Value iter_builtin(VM *vm, Value v);
/* dict views: d.keys()/values()/items() objects (iterable, len, in, repr) */
Value dict_view_new(VM *vm, DictObj *d, int which); /* 0 keys, 1 values, 2 items */
/* the old sequence protocol: an iterator calling __getitem__(0), (1), … until IndexError */
Value iter_seq_new(VM *vm, Value seq);
void iter_types_init(VM *vm); /* also registers enumerate, zip, map, filter, reversed */
void iter_trace(VM *vm, Obj *o);
void iter_free(VM *vm, Obj *o);

#endif
