/* trace.h — the tracing mode inside the core. When vm->trace is NULL
** (tracing off) the VM runs its usual fast paths; the only cost is one
** test of that pointer in BEFORE_WITH, WITH_EXIT and WITH_EXCEPT_START.
** When it is set, those opcodes call the trace_* hooks below instead, which
** do the same work through the generic (C-recursive) call path and report
** every step to the sink. docs/tracing.md lists the events. */
#ifndef WITHY_TRACE_H
#define WITHY_TRACE_H

#include "vm.h"
#include "withy.h"

typedef struct TraceState {
  wy_TraceSink sink;
  void *userdata;
  int depth;               /* managers entered and not yet exited */
  bool in_sink;            /* an event is being delivered: no nested events */
  struct TextSink *file;   /* the built-in sink of wy_trace_to_file, or NULL */
} TraceState;

/* BEFORE_WITH while tracing: look up the protocol, call __enter__, report;
** *exit = the bound __exit__ and *result = what __enter__ returned */
int trace_before_with(VM *vm, Value mgr, Value *exit, Value *result);
/* WITH_EXIT while tracing (oparg as the instruction's): *result = exit's */
int trace_with_exit(VM *vm, Value exit, int oparg, Value *result);
/* WITH_EXCEPT_START while tracing: *result = True/False, the verdict */
int trace_with_except_start(VM *vm, Value exit, Value exc, Value *result);

/* remember the managers active now (a KeyboardInterrupt is being raised):
** vm->stopped_managers, for wy_manager_stack */
void trace_note_interrupt(VM *vm);
void trace_free(VM *vm);

/* A short description of v that runs no script code: the repr of builtin
** values (strs and containers cut short), "<Tx object>" for instances,
** "KeyError('x')" for exceptions. Malloc'd; the caller frees it. */
char *trace_describe(VM *vm, Value v);

/* trace_sinks.c: the text and JSON-lines writers */
struct TextSink;
struct TextSink *trace_text_sink_new(FILE *out, wy_TraceFormat format);
void trace_text_sink(wy_State *W, const wy_TraceEvent *ev, void *userdata);

#endif
