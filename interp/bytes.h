/* bytes.h — immutable byte strings. */
#ifndef WITHY_BYTES_H
#define WITHY_BYTES_H

#include "object.h"

typedef struct BytesObj {
  Obj obj;
  int64_t len;
  int64_t hash;     /* -1 until computed */
  uint8_t data[];   /* NUL-terminated for convenience */
} BytesObj;

#define IS_BYTES(v) IS_KIND(v, K_BYTES)
#define AS_BYTES(v) ((BytesObj *)AS_OBJ(v))

BytesObj *bytes_new(VM *vm, const void *data, size_t len);
Value bytes_repr(VM *vm, Value b);   /* b'...' exactly as Python */
Value bytes_binop(VM *vm, int op, Value a, Value b); /* +, * */
void bytes_type_init(VM *vm);
void bytes_trace(VM *vm, Obj *o);
void bytes_free(VM *vm, Obj *o);

#endif
