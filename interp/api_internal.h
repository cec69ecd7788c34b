/* api_internal.h — what the files implementing withy.h share (api.c,
** api_interactive.c, api_async.c, ccoro.c): the wy_Value <-> Value mirror
** and the API scope that keeps values handed to C alive. Not for stdlib/. */
#ifndef WITHY_API_INTERNAL_H
#define WITHY_API_INTERNAL_H

#include <string.h>
#include "withy.h"
#include "vm.h"

static inline Value api_to_value(wy_Value v) {
  Value r;
  memcpy(&r, &v, sizeof r);
  return r;
}

static inline wy_Value api_to_wy(Value v) {
  wy_Value r;
  memcpy(&r, &v, sizeof r);
  return r;
}

/* root v in the current API scope (until the C function that got it
** returns) and hand it out; wy_error() when out of memory */
wy_Value api_scoped(VM *vm, Value v);

#endif
