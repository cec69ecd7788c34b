/* task.c — a Task: a coroutine that the loop drives, one step per turn.
** A step sends into (or throws into) the coroutine; what comes back
** decides the next step: a future it waits for (wake up when done), None
** (run again soon), a return (the task's result), an exception (the task's
** exception), CancelledError (the task is cancelled). cancel() reaches the
** coroutine as CancelledError at its await point, so its `finally` blocks
** and __aexit__ run. CPython 3.11's Task.__step / __wakeup / cancel are the
** reference for the order of things and every message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "async.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "type.h"
#include "str.h"
#include "gen.h"
#include "code.h"
#include "trace.h"

static void task_step(VM *vm, Value task, Value exc, void *p);

/* ---- the set of tasks not done yet ---- */

static int tasks_add(VM *vm, AsyncCore *ac, Value task) {
  if (ac->ntasks == ac->task_cap) {
    int cap = ac->task_cap ? ac->task_cap * 2 : 16;
    Obj **t = realloc(ac->tasks, (size_t)cap * sizeof *t);
    if (!t) {
      exc_no_memory(vm);
      return -1;
    }
    ac->tasks = t;
    ac->task_cap = cap;
  }
  future_of(task)->task_index = ac->ntasks;
  ac->tasks[ac->ntasks++] = AS_OBJ(task);
  return 0;
}

/* compact the list once it is mostly holes, keeping the order */
static void tasks_compact(AsyncCore *ac) {
  int kept = 0;
  for (int i = 0; i < ac->ntasks; i++) {
    Obj *o = ac->tasks[i];
    if (!o) continue;
    ((Future *)((ForeignObj *)o)->data)->task_index = kept;
    ac->tasks[kept++] = o;
  }
  ac->ntasks = kept;
  ac->task_holes = 0;
}

static void tasks_remove(AsyncCore *ac, Value task) {
  Future *t = future_of(task);
  int i = t->task_index;
  if (i < 0) return;
  ac->tasks[i] = NULL;
  t->task_index = -1;
  ac->task_holes++;
  if (ac->task_holes > 16 && ac->task_holes * 2 > ac->ntasks) tasks_compact(ac);
}

/* a task that ended with an exception is remembered until the loop run
** ends, to report it if nobody retrieved it */
static void remember_exception(VM *vm, AsyncCore *ac, Value task) {
  if (ac->nunretrieved == ac->unretrieved_cap) {
    int cap = ac->unretrieved_cap ? ac->unretrieved_cap * 2 : 8;
    Value *u = realloc(ac->unretrieved, (size_t)cap * sizeof *u);
    if (!u) return;   /* only a report is lost */
    ac->unretrieved = u;
    ac->unretrieved_cap = cap;
  }
  ac->unretrieved[ac->nunretrieved++] = task;
}

static bool is_coroutine(VM *vm, Value v) {
  return (IS_GEN(v) && AS_GEN(v)->kind == GENK_COROUTINE) || ccoro_is(vm, v);
}

Value task_new(VM *vm, Value coro, Value name) {
  AsyncCore *ac = async_core(vm);
  if (!ac) return V_UNDEF;
  if (!is_coroutine(vm, coro)) return exc_type_error(vm, "a coroutine was expected, got %R", coro);
  Value task = future_alloc(vm, ac->t_task);
  if (IS_UNDEF(task)) return V_UNDEF;
  gc_push_root(vm, task);
  Future *t = future_of(task);
  t->is_task = true;
  t->coro = coro;
  if (IS_NONE(name) || IS_UNDEF(name)) {
    StrObj *s = str_format_c(vm, "Task-%lld", (long long)++ac->task_counter);
    if (!s) goto fail;
    t->name = v_obj(s);
  } else if (IS_STR(name)) {
    t->name = name;
  } else {
    Value s = obj_str(vm, name);
    if (IS_UNDEF(s)) goto fail;
    t->name = s;
  }
  if (tasks_add(vm, ac, task) < 0 || loop_call_soon(vm, task_step, task, V_UNDEF, NULL) < 0) goto fail;
  gc_pop_roots(vm, 1);
  return task;
fail:
  gc_pop_roots(vm, 1);
  return V_UNDEF;
}

/* waiter.cancel(msg): a subclass of Future (asyncio's gathering future)
** may override cancel, so anything but the core's own types is asked
** through the method */
static int waiter_cancel(VM *vm, Value waiter, Value msg) {
  AsyncCore *ac = vm->async;
  Type *t = AS_OBJ(waiter)->type;
  if (t == ac->t_future || t == ac->t_task) return future_cancel(vm, waiter, msg);
  Value args[1] = {msg};
  Value r = obj_call_method(vm, waiter, "cancel", args, 1);
  if (IS_UNDEF(r)) return -1;
  return obj_truthy(vm, r);
}

int task_cancel(VM *vm, Value task, Value msg) {
  Future *t = future_of(task);
  t->log_exc = false;
  if (t->state != FUT_PENDING) return 0;
  t->num_cancels++;
  if (!IS_NONE(t->waiter)) {
    int r = waiter_cancel(vm, t->waiter, msg);
    if (r != 0) return r;
  }
  t->must_cancel = true;
  t->cancel_msg = msg;
  return 1;
}

/* ---- the step ---- */

static void task_wakeup(VM *vm, Value task, Value fut, void *p) {
  ExcObj *e = future_take_exception(vm, fut);
  if (!e && exc_pending(vm)) e = exc_fetch(vm);
  task_step(vm, task, e ? v_obj(e) : V_UNDEF, NULL);
}

static void finish_task(VM *vm, AsyncCore *ac, Value task) {
  tasks_remove(ac, task);
  if (future_of(task)->log_exc) remember_exception(vm, ac, task);
}

/* an error of the protocol: thrown into the coroutine on the next turn */
static void step_again_with(VM *vm, Value task, Value exc) {
  loop_call_soon(vm, task_step, task, exc, NULL);
}

static void handle_yield(VM *vm, Value task, Value result) {
  Future *t = future_of(task);
  if (IS_NONE(result)) {
    loop_call_soon(vm, task_step, task, V_UNDEF, NULL);
    return;
  }
  if (async_is_future(vm, result)) {
    Future *w = future_of(result);
    if (!w->blocking) {
      exc_raise(vm, EXC(vm, RuntimeError), "yield was used instead of yield from in task %R with %R", task, result);
    } else if (AS_OBJ(result) == AS_OBJ(task)) {
      exc_raise(vm, EXC(vm, RuntimeError), "Task cannot await on itself: %R", task);
    } else {
      w->blocking = false;
      if (future_add_callback(vm, result, task_wakeup, task, NULL) < 0) return;
      t->waiter = result;
      if (t->must_cancel && waiter_cancel(vm, result, t->cancel_msg) == 1) t->must_cancel = false;
      return;
    }
  } else if (IS_GEN(result) && AS_GEN(result)->kind == GENK_GENERATOR) {
    exc_raise(vm, EXC(vm, RuntimeError), "yield was used instead of yield from for generator in task %R with %R", task,
              result);
  } else {
    exc_raise(vm, EXC(vm, RuntimeError), "Task got bad yield: %R", result);
  }
  if (exc_pending(vm)) step_again_with(vm, task, v_obj(exc_fetch(vm)));
}

static void handle_error(VM *vm, AsyncCore *ac, Value task) {
  ExcObj *e = exc_fetch(vm);
  Future *t = future_of(task);
  if (exc_matches(vm, e, ac->t_cancelled_error)) {
    t->cancelled_exc = v_obj(e);
    future_cancel_plain(vm, task, V_NONE);
    return;
  }
  gc_push_root(vm, v_obj(e));
  future_set_exception(vm, task, v_obj(e));
  gc_pop_roots(vm, 1);
  if (exc_matches(vm, e, EXC(vm, KeyboardInterrupt)) || exc_matches(vm, e, EXC(vm, SystemExit))) {
    t->log_exc = false;
    ac->fatal = e;   /* stops the loop: run_until_complete raises it */
  }
}

static void task_step(VM *vm, Value task, Value exc, void *p) {
  AsyncCore *ac = vm->async;
  Future *t = future_of(task);
  if (t->state != FUT_PENDING) {
    exc_raise(vm, ac->t_invalid_state_error, "_step(): already done: %R, %R", task, IS_UNDEF(exc) ? V_NONE : exc);
    loop_report_error(vm, "task step", task);
    return;
  }
  gc_push_root(vm, task);
  if (t->must_cancel) {
    if (IS_UNDEF(exc) || !exc_matches(vm, AS_EXC(exc), ac->t_cancelled_error)) {
      ExcObj *ce = future_cancelled_error(vm, task);
      if (ce) exc = v_obj(ce);
    }
    t->must_cancel = false;
  }
  gc_push_root(vm, exc);
  t->waiter = V_NONE;
  Value saved = ac->current_task;
  ac->current_task = task;
  int outer_depth = vm->trace ? trace_task_resume(vm, &t->trace_depth, task) : 0;
  Value out = V_NONE;
  int r = IS_UNDEF(exc) ? gen_iter_send(vm, t->coro, V_NONE, &out) : gen_iter_throw(vm, t->coro, AS_EXC(exc), &out);
  gc_push_root(vm, out);
  if (vm->trace) trace_task_suspend(vm, &t->trace_depth, task, r == 1 ? out : V_UNDEF, outer_depth);
  if (r == 1) {
    handle_yield(vm, task, out);
  } else if (r == 0) {
    if (t->must_cancel) {
      t->must_cancel = false;
      future_cancel_plain(vm, task, t->cancel_msg);
    } else {
      future_set_result(vm, task, out);
    }
  } else {
    handle_error(vm, ac, task);
  }
  if (t->state != FUT_PENDING) finish_task(vm, ac, task);
  ac->current_task = saved;
  gc_pop_roots(vm, 3);
}

/* ---- reporting ---- */

/* "main() running at /tmp/x.py:5" / "boom() done, defined at /tmp/x.py:3" */
static Value describe_coro(VM *vm, Value coro) {
  if (!IS_GEN(coro)) return obj_repr(vm, coro);
  GenObj *g = AS_GEN(coro);
  CodeObj *co = g->code;
  if (!co) return v_obj(str_format_c(vm, "%U()", g->qualname));
  Frame *f = g->frame;
  if (f && g->state != GEN_CLOSED) {
    int line = f->ip > co->code ? code_line_at(co, (int32_t)(f->ip - co->code - 1)) : co->firstline;
    return v_obj(str_format_c(vm, "%U() running at %U:%d", g->qualname, co->filename, line));
  }
  return v_obj(str_format_c(vm, "%U() done, defined at %U:%d", g->qualname, co->filename, co->firstline));
}

static Value task_repr(VM *vm, Value self) {
  Future *t = future_of(self);
  Value coro = describe_coro(vm, t->coro);
  if (IS_UNDEF(coro)) return V_UNDEF;
  gc_push_root(vm, coro);
  StrObj *s;
  if (t->state == FUT_CANCELLED)
    s = str_format_c(vm, "<Task cancelled name=%R coro=<%S>>", t->name, coro);
  else if (t->state == FUT_PENDING && !IS_NONE(t->waiter)) {
    Value w = obj_repr(vm, t->waiter);
    s = IS_UNDEF(w) ? NULL : str_format_c(vm, "<Task pending name=%R coro=<%S> wait_for=%S>", t->name, coro, w);
  } else if (t->state == FUT_PENDING)
    s = str_format_c(vm, "<Task pending name=%R coro=<%S>>", t->name, coro);
  else if (IS_EXC(t->exc))
    s = str_format_c(vm, "<Task finished name=%R coro=<%S> exception=%R>", t->name, coro, t->exc);
  else
    s = str_format_c(vm, "<Task finished name=%R coro=<%S> result=%R>", t->name, coro, t->result);
  gc_pop_roots(vm, 1);
  return s ? v_obj(s) : V_UNDEF;
}

void task_report_unretrieved(VM *vm) {
  AsyncCore *ac = vm->async;
  if (!ac) return;
  for (int i = 0; i < ac->nunretrieved; i++) {
    Value task = ac->unretrieved[i];
    Future *t = future_of(task);
    if (!t->log_exc) continue;
    t->log_exc = false;
    Value r = task_repr(vm, task);
    fflush(stdout);
    fprintf(stderr, "Task exception was never retrieved\nfuture: %s\n", IS_UNDEF(r) ? "<Task>" : STR_CSTR(AS_STR(r)));
    if (IS_UNDEF(r)) exc_clear(vm);
    exc_print(vm, AS_EXC(t->exc), stderr);
  }
  ac->nunretrieved = 0;
}

/* ---- Python methods ---- */

static Value self_task(VM *vm, Value *args, int nargs, const char *meth) {
  if (nargs < 1 || !IS_FOREIGN(args[0]) || !async_is_future(vm, args[0]) || !future_of(args[0])->is_task)
    return exc_type_error(vm, "descriptor '%s' for '_asyncio.Task' objects doesn't apply to a '%T' object", meth,
                          nargs < 1 ? V_NONE : args[0]);
  return args[0];
}

static Value tm_cancel(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_task(vm, args, nargs, "cancel");
  if (IS_UNDEF(self)) return V_UNDEF;
  static const char *const names[] = {"msg", NULL};
  Value msg;
  if (arg_parse(vm, "cancel", args + 1, nargs - 1, kwnames, names, 0, &msg) < 0) return V_UNDEF;
  int r = task_cancel(vm, self, IS_UNDEF(msg) ? V_NONE : msg);
  return r < 0 ? V_UNDEF : v_bool(r == 1);
}

static Value tm_get_name(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_task(vm, args, nargs, "get_name");
  return IS_UNDEF(self) ? V_UNDEF : future_of(self)->name;
}

static Value tm_set_name(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_task(vm, args, nargs, "set_name");
  if (IS_UNDEF(self) || arg_check_count(vm, "set_name", nargs - 1, 1, 1) < 0) return V_UNDEF;
  Value s = IS_STR(args[1]) ? args[1] : obj_str(vm, args[1]);
  if (IS_UNDEF(s)) return V_UNDEF;
  future_of(self)->name = s;
  return V_NONE;
}

static Value tm_get_coro(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_task(vm, args, nargs, "get_coro");
  return IS_UNDEF(self) ? V_UNDEF : future_of(self)->coro;
}

static Value tm_cancelling(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_task(vm, args, nargs, "cancelling");
  return IS_UNDEF(self) ? V_UNDEF : v_int(future_of(self)->num_cancels);
}

static Value tm_uncancel(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value self = self_task(vm, args, nargs, "uncancel");
  if (IS_UNDEF(self)) return V_UNDEF;
  Future *t = future_of(self);
  if (t->num_cancels > 0) t->num_cancels--;
  return v_int(t->num_cancels);
}

static Value task_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"coro", "loop", "name", "context", NULL};
  Value a[4];
  if (arg_parse(vm, "Task", args, nargs, kwnames, names, 1, a) < 0) return V_UNDEF;
  return task_new(vm, a[0], IS_UNDEF(a[2]) ? V_NONE : a[2]);
}

void task_type_init(VM *vm, AsyncCore *ac) {
  Type *t = type_new_builtin(vm, "Task", ac->t_future, K_FOREIGN, TF_BASETYPE);
  if (!t) return;
  t->module = str_intern_cstr(vm, "_asyncio");
  t->repr = task_repr;
  t->construct = task_construct;
  static const struct { const char *name; NativeFn fn; } methods[] = {
    {"cancel", tm_cancel}, {"get_name", tm_get_name}, {"set_name", tm_set_name}, {"get_coro", tm_get_coro},
    {"cancelling", tm_cancelling}, {"uncancel", tm_uncancel},
  };
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    define_native(vm, t->dict, methods[i].name, methods[i].fn, NATIVE_METHOD);
  ac->t_task = t;
}
