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

/* async with while tracing (trace_async.c): BEFORE_ASYNC_WITH's work, with
** __aenter__'s awaitable wrapped so that its result is reported */
int trace_before_async_with(VM *vm, Value mgr, Value *exit, Value *awaitable);
/* WITH_EXIT / WITH_EXCEPT_START of an async with: wrap __aexit__'s
** awaitable so that its outcome is reported once awaited */
Value trace_wrap_aexit(VM *vm, Value exit, Value awaitable, Value exc);
/* a task's step begins (resume) / ended with the task waiting on awaited:
** per-task depth, and task_resume / task_suspend events inside managers */
int trace_task_resume(VM *vm, int *task_depth, Value task);   /* -> the depth outside tasks */
void trace_task_suspend(VM *vm, int *task_depth, Value task, Value awaited, int outer);

/* shared by trace.c and trace_async.c */
#include "code.h"
void trace_deliver_at(VM *vm, wy_TraceEvent *ev, int line);   /* line 0: the running frame's */
int trace_line_of_exception(VM *vm, Value exc);
char *trace_describe_pending(VM *vm);
Value trace_exit_owner(Value exit);        /* the manager a bound __exit__ belongs to */
void trace_leave_depth(VM *vm);
const char *trace_target_at(CodeObj *c, const Instr *ip, char *buf, size_t size);  /* a with's `as` target */

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
