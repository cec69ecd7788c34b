/* range.h — range and slice objects. */
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
void range_trace(VM *vm, Obj *o);
void range_free(VM *vm, Obj *o);

#endif
