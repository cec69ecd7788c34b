/* trace_async.c — tracing of `async with` and of task switches.
** An async with awaits __aenter__()'s and __aexit__()'s results, so their
** outcome is known only when the await finishes, possibly turns of the loop
** later. While tracing, the VM awaits a small C coroutine instead that
** awaits the real awaitable and then reports what came of it (entered,
** exit_result, exit_error). Nothing of this exists with tracing off.
** Each task keeps its own depth of open managers: the depth shown is the
** running task's, and a task that suspends or resumes inside a manager's
** lifetime says so (task_suspend / task_resume). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
#include "async.h"
#include "api_internal.h"
#include "gc.h"
#include "exc.h"
#include "str.h"
#include "tuple.h"
#include "opcodes.h"
#include "gen.h"

enum { AW_ENTER, AW_EXIT, AW_EXCEPT };
/* the wrapper's state: (awaitable, kind, manager, target-or-None, exc-or-None) */
enum { S_AWAITABLE, S_KIND, S_MANAGER, S_TARGET, S_EXC, S__COUNT };

static const char *cstr_or_null(Value v) { return IS_STR(v) ? STR_CSTR(AS_STR(v)) : NULL; }

static void report_result(VM *vm, TupleObj *st, Value result, int truth) {
  const char *mgr = cstr_or_null(st->items[S_MANAGER]);
  char *value = trace_describe(vm, result);
  int64_t kind = AS_INT(st->items[S_KIND]);
  wy_TraceEvent ev;
  if (kind == AW_ENTER) {
    ev = (wy_TraceEvent){.event = "entered", .manager = mgr, .value = value,
                         .target = cstr_or_null(st->items[S_TARGET])};
    trace_deliver_at(vm, &ev, 0);
    if (vm->trace) vm->trace->depth++;
  } else if (kind == AW_EXIT) {
    ev = (wy_TraceEvent){.event = "exit_result", .manager = mgr, .result = value, .verdict = "done"};
    trace_deliver_at(vm, &ev, 0);
  } else {
    ev = (wy_TraceEvent){.event = "exit_result", .manager = mgr, .result = value,
                         .exc = cstr_or_null(st->items[S_EXC]), .verdict = truth ? "suppressed" : "propagated"};
    trace_deliver_at(vm, &ev, 0);
  }
  free(value);
}

static void report_error(VM *vm, TupleObj *st) {
  const char *mgr = cstr_or_null(st->items[S_MANAGER]);
  char *exc = trace_describe_pending(vm);
  int64_t kind = AS_INT(st->items[S_KIND]);
  wy_TraceEvent ev;
  if (kind == AW_ENTER)
    ev = (wy_TraceEvent){.event = "enter_error", .manager = mgr, .exc = exc, .verdict = "raised"};
  else if (kind == AW_EXIT)
    ev = (wy_TraceEvent){.event = "exit_error", .manager = mgr, .exc = exc, .verdict = "raised"};
  else
    ev = (wy_TraceEvent){.event = "exit_error", .manager = mgr, .exc = exc, .verdict = "replaced",
                         .message = cstr_or_null(st->items[S_EXC])};
  trace_deliver_at(vm, &ev, 0);
  free(exc);
}

static wy_Step reporter_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  VM *vm = W;
  TupleObj *st = AS_TUPLE(api_to_value(state));
  if (how == WY_RESUME_START) {
    *out = api_to_wy(st->items[S_AWAITABLE]);
    return WY_STEP_AWAIT;
  }
  if (how == WY_RESUME_ERROR) {
    report_error(vm, st);
    return WY_STEP_ERROR;
  }
  Value result = api_to_value(in);
  if (AS_INT(st->items[S_KIND]) != AW_EXCEPT) {
    report_result(vm, st, result, 0);
    *out = in;
    return WY_STEP_RETURN;
  }
  /* the verdict is decided here, once: the VM then tests this bool */
  int truth = obj_truthy(vm, result);
  if (truth < 0) {
    report_error(vm, st);
    return WY_STEP_ERROR;
  }
  report_result(vm, st, result, truth);
  *out = api_to_wy(v_bool(truth));
  return WY_STEP_RETURN;
}

static Value str_or_none(VM *vm, const char *s) {
  if (!s) return V_NONE;
  StrObj *o = str_new(vm, s, strlen(s));
  return o ? v_obj(o) : V_UNDEF;
}

static Value reporter(VM *vm, Value awaitable, int kind, const char *mgr, const char *target, const char *exc,
                      const char *name) {
  TupleObj *st = tuple_new(vm, S__COUNT);
  if (!st) return V_UNDEF;
  for (int i = 0; i < S__COUNT; i++) st->items[i] = V_NONE;
  gc_push_root(vm, v_obj(st));
  st->items[S_AWAITABLE] = awaitable;
  st->items[S_KIND] = v_int(kind);
  Value r = V_UNDEF;
  if (!IS_UNDEF(st->items[S_MANAGER] = str_or_none(vm, mgr)) &&
      !IS_UNDEF(st->items[S_TARGET] = str_or_none(vm, target)) &&
      !IS_UNDEF(st->items[S_EXC] = str_or_none(vm, exc)))
    r = ccoro_new(vm, name, reporter_step, v_obj(st));
  gc_pop_roots(vm, 1);
  return r;
}

/* the `as` target of an async with: the store after the await loop that
** follows BEFORE_ASYNC_WITH (GET_AWAITABLE, LOAD_CONST None, SEND -> there) */
static const char *async_target(VM *vm, char *buf, size_t size) {
  Frame *f = vm->frame;
  if (!f || f->ip + 2 >= f->code->code + f->code->ncode) return NULL;
  Instr send = f->ip[2];
  if (INSTR_OP(send) != OP_SEND) return NULL;
  return trace_target_at(f->code, f->code->code + INSTR_ARG(send), buf, size);
}

int trace_before_async_with(VM *vm, Value mgr, Value *exit_out, Value *awaitable) {
  char *desc = trace_describe(vm, mgr);
  wy_TraceEvent ev = {.event = "with", .manager = desc, .message = "async"};
  trace_deliver_at(vm, &ev, 0);
  Value enter, exit;
  if (vm_with_lookup(vm, mgr, true, &enter, &exit) < 0) {
    char *exc = trace_describe_pending(vm);
    ev = (wy_TraceEvent){.event = "protocol_error", .manager = desc, .exc = exc};
    trace_deliver_at(vm, &ev, 0);
    free(exc);
    free(desc);
    return -1;
  }
  gc_push_root(vm, exit);
  ev = (wy_TraceEvent){.event = "aenter", .manager = desc};
  trace_deliver_at(vm, &ev, 0);
  Value r = vm_call_special(vm, enter, mgr, NULL, 0);
  Value wrapped = V_UNDEF;
  if (!IS_UNDEF(r)) {
    gc_push_root(vm, r);
    char buf[160];
    wrapped = reporter(vm, r, AW_ENTER, desc, async_target(vm, buf, sizeof buf), NULL, "__aenter__");
    gc_pop_roots(vm, 1);
  } else {
    char *exc = trace_describe_pending(vm);
    ev = (wy_TraceEvent){.event = "enter_error", .manager = desc, .exc = exc, .verdict = "raised"};
    trace_deliver_at(vm, &ev, 0);
    free(exc);
  }
  gc_pop_roots(vm, 1);
  free(desc);
  if (IS_UNDEF(wrapped)) return -1;
  *exit_out = exit;
  *awaitable = wrapped;
  return 0;
}

Value trace_wrap_aexit(VM *vm, Value exit, Value awaitable, Value exc) {
  char *mgr = trace_describe(vm, trace_exit_owner(exit));
  char *e = IS_UNDEF(exc) ? NULL : trace_describe(vm, exc);
  gc_push_root(vm, awaitable);
  Value r = reporter(vm, awaitable, IS_UNDEF(exc) ? AW_EXIT : AW_EXCEPT, mgr, NULL, e, "__aexit__");
  gc_pop_roots(vm, 1);
  free(mgr);
  free(e);
  return r;
}

/* ---- task switches ---- */

static char *task_label(VM *vm, Value task) {
  Value name = future_of(task)->name;
  const char *n = IS_STR(name) ? STR_CSTR(AS_STR(name)) : "?";
  char *s = malloc(strlen(n) + 8);
  if (s) sprintf(s, "task %s", n);
  return s;
}

/* the line where a task's coroutine is suspended (0 if not a Python one) */
static int coro_line(Value task) {
  Value coro = future_of(task)->coro;
  if (!IS_GEN(coro) || !AS_GEN(coro)->frame) return 0;
  Frame *f = AS_GEN(coro)->frame;
  return f->ip > f->code->code ? code_line_at(f->code, (int32_t)(f->ip - f->code->code) - 1) : f->code->firstline;
}

int trace_task_resume(VM *vm, int *task_depth, Value task) {
  TraceState *ts = vm->trace;
  if (!ts) return 0;
  int outer = ts->depth;
  ts->depth = *task_depth;
  if (*task_depth == 0) return outer;
  char *label = task_label(vm, task);
  wy_TraceEvent ev = {.event = "task_resume", .manager = label};
  trace_deliver_at(vm, &ev, coro_line(task));
  free(label);
  return outer;
}

void trace_task_suspend(VM *vm, int *task_depth, Value task, Value awaited, int outer) {
  TraceState *ts = vm->trace;
  if (!ts) return;
  *task_depth = ts->depth;
  if (ts->depth > 0 && !IS_UNDEF(awaited)) {
    char *label = task_label(vm, task);
    char *what = IS_NONE(awaited) ? NULL : trace_describe(vm, awaited);
    char msg[64];
    snprintf(msg, sizeof msg, "inside %d open manager%s", ts->depth, ts->depth == 1 ? "" : "s");
    wy_TraceEvent ev = {.event = "task_suspend", .manager = label, .value = what ? what : "the next turn",
                        .message = msg};
    trace_deliver_at(vm, &ev, coro_line(task));
    free(label);
    free(what);
  }
  ts->depth = outer;
}
