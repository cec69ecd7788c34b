/* api_async.c — withy.h's async section: C coroutines, futures, tasks and
** the loop, for embedders and stdlib modules (asyncio is built on these
** alone). Each function checks its arguments and hands over to async.h. */
#include <string.h>
#include "async.h"
#include "api_internal.h"
#include "exc.h"
#include "list.h"
#include "gc.h"

static wy_Value out(VM *vm, Value v) { return IS_UNDEF(v) ? wy_error() : api_scoped(vm, v); }

static bool check_future(VM *vm, Value v) {
  if (async_core(vm) && async_is_future(vm, v)) return true;
  if (!exc_pending(vm)) exc_type_error(vm, "expected an asyncio.Future or Task, got '%T'", v);
  return false;
}

wy_Value wy_coroutine(wy_State *W, const char *name, wy_CoroStep step, wy_Value state) {
  return out(W, ccoro_new(W, name, step, api_to_value(state)));
}

wy_Value wy_async_class(wy_State *W, const char *name) {
  AsyncCore *ac = async_core(W);
  if (!ac) return wy_error();
  Type *t = strcmp(name, "Future") == 0                ? ac->t_future
            : strcmp(name, "Task") == 0              ? ac->t_task
            : strcmp(name, "Handle") == 0            ? ac->t_handle
            : strcmp(name, "CancelledError") == 0    ? ac->t_cancelled_error
            : strcmp(name, "InvalidStateError") == 0 ? ac->t_invalid_state_error
                                                     : NULL;
  if (!t) {
    exc_raise(W, EXC(W, NameError), "no async class named '%s'", name);
    return wy_error();
  }
  return out(W, v_obj(t));
}

wy_Value wy_future(wy_State *W) {
  AsyncCore *ac = async_core(W);
  return ac ? out(W, future_alloc(W, ac->t_future)) : wy_error();
}

int wy_future_state(wy_State *W, wy_Value fut) {
  Value f = api_to_value(fut);
  return check_future(W, f) ? future_of(f)->state : -1;
}

int wy_future_set_result(wy_State *W, wy_Value fut, wy_Value result) {
  Value f = api_to_value(fut);
  return check_future(W, f) ? future_set_result(W, f, api_to_value(result)) : -1;
}

int wy_future_set_exception(wy_State *W, wy_Value fut, wy_Value exc) {
  Value f = api_to_value(fut);
  return check_future(W, f) ? future_set_exception(W, f, api_to_value(exc)) : -1;
}

int wy_future_cancel(wy_State *W, wy_Value fut, wy_Value msg) {
  Value f = api_to_value(fut);
  return check_future(W, f) ? future_cancel(W, f, api_to_value(msg)) : -1;
}

wy_Value wy_future_result(wy_State *W, wy_Value fut) {
  Value f = api_to_value(fut);
  return check_future(W, f) ? out(W, future_result(W, f)) : wy_error();
}

/* a wy_Callback, called in an API scope of its own */
static void call_c_callback(VM *vm, Value arg, Value fut, void *p) {
  wy_Callback cb = (wy_Callback)(uintptr_t)p;
  int mark = vm->api_scope_len;
  cb(vm, api_scoped(vm, arg));
  vm->api_scope_len = mark;
}

int wy_future_on_done(wy_State *W, wy_Value fut, wy_Callback cb, wy_Value arg) {
  Value f = api_to_value(fut);
  if (!check_future(W, f)) return -1;
  return future_add_callback(W, f, call_c_callback, api_to_value(arg), (void *)(uintptr_t)cb);
}

wy_Value wy_task(wy_State *W, wy_Value coro, wy_Value name) {
  return out(W, task_new(W, api_to_value(coro), api_to_value(name)));
}

wy_Value wy_current_task(wy_State *W) {
  return W->async ? out(W, W->async->current_task) : wy_none();
}

wy_Value wy_all_tasks(wy_State *W) {
  ListObj *l = list_new(W, 0);
  if (!l) return wy_error();
  wy_Value res = out(W, v_obj(l));
  AsyncCore *ac = W->async;
  for (int i = 0; ac && i < ac->ntasks; i++)
    if (ac->tasks[i] && list_append(W, l, v_obj(ac->tasks[i])) < 0) return wy_error();
  return res;
}

double wy_loop_time(wy_State *W) { return loop_time(); }

bool wy_loop_running(wy_State *W) { return W->async && W->async->running; }

wy_Value wy_call_soon(wy_State *W, wy_Value callable, wy_Value args) {
  return out(W, loop_handle_soon(W, api_to_value(callable), api_to_value(args)));
}

wy_Value wy_call_later(wy_State *W, double delay, wy_Value callable, wy_Value args) {
  return out(W, loop_handle_later(W, delay, api_to_value(callable), api_to_value(args)));
}

wy_Value wy_sleep_future(wy_State *W, double delay, wy_Value result) {
  return out(W, loop_sleep_future(W, delay, api_to_value(result)));
}

wy_Value wy_wait_fd(wy_State *W, int fd, int events) { return out(W, loop_wait_fd(W, fd, events)); }

wy_Value wy_run_in_thread(wy_State *W, wy_WorkFn work, wy_WorkDone done, void *data) {
  return out(W, loop_run_in_thread(W, work, done, data));
}

wy_Value wy_run_until_complete(wy_State *W, wy_Value awaitable) {
  return out(W, loop_run_until_complete(W, api_to_value(awaitable)));
}
