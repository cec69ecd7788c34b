/* contextlib.c — the contextlib module (in progress). */
#include "stdlib.h"

int std_contextlib_init(wy_State *W, wy_Value m) { return std_exitstack_add(W, m); }
