/* trace.c — the tracing mode: events of the context-manager protocol
** (enter, exit, suppression, unwinding) sent to a sink. Work in progress:
** the sinks are not wired to the VM yet. */
#include "vm.h"
#include "withy.h"
#include "list.h"

int wy_trace_to_file(wy_State *W, FILE *out, wy_TraceFormat format) {
  (void)W;
  (void)out;
  (void)format;
  return 0;
}

wy_Value wy_manager_stack(wy_State *W) { return wy_list(W); }
