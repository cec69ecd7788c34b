/* range.h — range and slice objects, plus the small helpers the container
** files (tuple.c list.c dict.c set.c range.c iter.c) share: index
** normalisation, argument-count checks with CPython's messages, and the
** repr recursion guard. */
#ifndef WITHY_RANGE_H
#define WITHY_RANGE_H

#include "object.h"

typedef struct RangeObj {
  Obj obj;
  int64_t start, stop, step, len;
} RangeObj;

typedef struct SliceObj {
  Obj obj;
  Value start, stop, step;  /* None when omitted */
} SliceObj;

#define IS_RANGE(v) IS_KIND(v, K_RANGE)
#define AS_RANGE(v) ((RangeObj *)AS_OBJ(v))
#define IS_SLICE(v) IS_KIND(v, K_SLICE)
#define AS_SLICE(v) ((SliceObj *)AS_OBJ(v))

RangeObj *range_new(VM *vm, int64_t start, int64_t stop, int64_t step);
SliceObj *slice_new(VM *vm, Value start, Value stop, Value step);
/* Resolve a slice against a sequence length, Python's rules (PySlice_Unpack
** + AdjustIndices). Returns the item count, or -1 on error. */
int64_t slice_indices(VM *vm, SliceObj *s, int64_t len, int64_t *start, int64_t *stop, int64_t *step);
/* normalise a (possibly negative) index; raises IndexError "<what> index out of range" */
int seq_index(VM *vm, Value key, int64_t len, const char *what, int64_t *out);
void range_type_init(VM *vm);   /* range and slice */
void range_trace(VM *vm, Obj *o);   /* K_RANGE and K_SLICE */
void range_free(VM *vm, Obj *o);

/* ---- helpers shared by the container files ---- */

/* An int-like key (int, bool, or an object whose type has __index__):
** 1 and *out set; 0 when key is not index-like (no exception); -1 error. */
int seq_key_index(VM *vm, Value key, int64_t *out);

/* Positional-argument count checks with CPython's wording. nargs counts
** the arguments after self.
**   seq_args_range: "pop expected at most 1 argument, got 2"
**   seq_args_exact (n is 0 or 1): "list.copy() takes no arguments (1 given)",
**                  "list.append() takes exactly one argument (0 given)"
**   seq_no_kwargs:  "list.append() takes no keyword arguments" */
int seq_args_range(VM *vm, const char *name, int nargs, int min, int max);
int seq_args_exact(VM *vm, const char *qualname, int nargs, int n);
int seq_no_kwargs(VM *vm, const char *qualname, TupleObj *kwnames);

/* Check args[0] is an instance of t for a method called through the type
** (list.append(5, 1)): "descriptor 'append' for 'list' objects doesn't
** apply to a 'int' object". 0 ok, -1 raised. */
int seq_check_self(VM *vm, Value *args, int nargs, Type *t, const char *meth);

/* Does `type` (a subclass of the builtin `base`) get __init__ from
** somewhere other than base? Then base's construct only allocates and the
** class's __init__ fills the object (class.c calls it); otherwise
** construct does all of base(...)'s work. */
bool init_overridden(VM *vm, Type *type, Type *base);

/* C recursion through nested containers (repr, ==, hash) counts against
** the interpreter's recursion limit like Python calls do, so deep nesting
** raises RecursionError ("maximum recursion depth exceeded<where>")
** instead of overflowing the C stack. enter: 0 ok (leave must follow),
** -1 raised. */
int seq_recursion_enter(VM *vm, const char *where);
#define SEQ_IN_REPR " while getting the repr of an object"
#define SEQ_IN_CMP " in comparison"
void seq_recursion_leave(VM *vm);

/* The repr recursion guard: a container whose repr is in progress carries
** this bit in obj.flags (the flags of K_LIST, K_DICT, K_SET and K_ITER
** objects belong to the container files). A nested repr of the same object
** prints '[...]' / '{...}' instead of recursing. */
#define OBJ_FLAG_REPR_BUSY (1u << 15)

#endif
