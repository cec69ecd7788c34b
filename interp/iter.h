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

/* The iterator types iter.c makes, indexes into vm->iter_types (an array of
** IT__COUNT Type* allocated with gc_malloc; whoever frees the VM frees it
** with gc_free(vm, vm->iter_types, IT__COUNT * sizeof(Type *))). */
typedef enum IterTypeId {
  IT_LIST,          /* list_iterator: src list, index */
  IT_LIST_REV,      /* list_reverseiterator: src list, index counts down */
  IT_TUPLE,         /* tuple_iterator */
  IT_STR_ASCII,     /* str_ascii_iterator: index = byte offset */
  IT_STR,           /* str_iterator: index = byte offset */
  IT_BYTES,         /* bytes_iterator */
  IT_RANGE,         /* range_iterator: src = start, aux = step (ints), index, end = len */
  IT_DICT_KEYS,     /* dict_keyiterator: src dict, index = entry position,
                       end = dict size when made (-1: sticky error), aux = remaining */
  IT_DICT_VALUES,   /* dict_valueiterator */
  IT_DICT_ITEMS,    /* dict_itemiterator */
  IT_DICT_REVKEYS,  /* dict_reversekeyiterator */
  IT_DICT_REVVALUES,/* dict_reversevalueiterator */
  IT_DICT_REVITEMS, /* dict_reverseitemiterator */
  IT_SET,           /* set_iterator: src set, index = slot, end = set size when made */
  IT_CALLABLE,      /* callable_iterator: src callable, aux sentinel */
  IT_SEQ,           /* iterator: the __getitem__ protocol */
  IT_ENUMERATE,     /* enumerate: src iterator, index = count */
  IT_ZIP,           /* zip: aux = tuple of iterators, mode = strict */
  IT_MAP,           /* map: src = function, aux = tuple of iterators */
  IT_FILTER,        /* filter: src iterator, aux predicate (None: truth) */
  IT_REVERSED,      /* reversed: src sequence, index counts down */
  IT__COUNT
} IterTypeId;

/* a new builtin iterator of kind `which`, fields as listed above (mode is
** set from `which`: dict iterators 0 keys, 1 values, 2 items) */
Value iter_new(VM *vm, IterTypeId which, Value src, Value aux, int64_t index, int64_t end);
/* iter(callable, sentinel) */
Value iter_callable_new(VM *vm, Value callable, Value sentinel);
/* reversed(seq): builtin sequences natively, else __reversed__, else the
** __len__/__getitem__ protocol; "'int' object is not reversible" */
Value iter_reversed(VM *vm, Value seq);
void iter_trace(VM *vm, Obj *o);
void iter_free(VM *vm, Obj *o);

#endif
