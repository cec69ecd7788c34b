/* async.h — the core's asynchronous machinery, one piece per file:
** future.c (asyncio's Future: a result that arrives later), task.c (a
** coroutine driven by the loop, CPython 3.11's Task.__step semantics),
** ccoro.c (coroutines written in C as step functions), loop.c (the one
** event loop of a VM: ready queue, timer heap, fd readiness through poll,
** worker threads). api_async.c puts withy.h's async section over it.
**
** How a task waits: its coroutine awaits a Future; the future, not done,
** yields itself up the await chain to the task, which adds a wake-up
** callback to it. set_result/cancel schedule the callbacks on the loop; the
** task's next step resumes the coroutine, where the future's send returns
** the result (or its throw raises the exception) at the await point. */
#ifndef WITHY_ASYNC_H
#define WITHY_ASYNC_H

#include "object.h"
#include "vm.h"
#include "type.h"
#include "withy.h"

enum { FUT_PENDING = WY_FUTURE_PENDING, FUT_DONE = WY_FUTURE_DONE, FUT_CANCELLED = WY_FUTURE_CANCELLED };

/* Something the loop calls: fn(vm, a, b, p). An exception it leaves
** pending is reported on stderr ("Exception in callback …") and cleared. */
typedef void (*LoopFn)(VM *vm, Value a, Value b, void *p);

typedef struct FutCallback {
  LoopFn fn;          /* called as fn(vm, a, the future, p) */
  Value a;
  void *p;
} FutCallback;

/* The C data of a Future or a Task (a ForeignObj). */
typedef struct Future {
  uint8_t state;          /* FUT_* */
  bool blocking;          /* _asyncio_future_blocking: yielded to a task */
  bool log_exc;           /* it holds an exception nobody has retrieved */
  bool is_task;
  Value result;
  Value exc;              /* the exception (FUT_DONE), or None */
  Value cancel_msg;       /* cancel(msg) */
  Value cancelled_exc;    /* the CancelledError that ended it, re-raised by result() */
  FutCallback *cbs;
  int ncbs, cbcap;
  /* tasks only */
  Value coro;
  Value waiter;           /* the future it waits for, or None */
  Value name;
  bool must_cancel;       /* cancel() came while it was not waiting */
  int num_cancels;        /* cancelling(): requests not yet uncancel()ed */
  int task_index;         /* its place in AsyncCore.tasks, -1 once done */
  int trace_depth;        /* managers open in this task (tracing) */
} Future;

/* per-VM async state: vm->async, made on first use */
typedef struct AsyncCore {
  Type *t_future, *t_task, *t_handle, *t_ccoro;
  Type *t_cancelled_error, *t_invalid_state_error;
  /* ready queue: a ring of callbacks to run on the next turn */
  struct ReadyEntry { LoopFn fn; Value a, b; void *p; } *ready;
  size_t ready_head, ready_len, ready_cap;
  /* timers: a binary min-heap on (when, seq) */
  struct TimerEntry { double when; uint64_t seq; LoopFn fn; Value a, b; } *timers;
  size_t ntimers, timer_cap;
  uint64_t timer_seq;
  /* fds watched for wy_wait_fd */
  struct FdWatch { int fd; short events; Value fut; } *watches;
  size_t nwatches, watch_cap;
  /* worker threads of wy_run_in_thread */
  struct Job *jobs;
  int njobs;
  int wake_pipe[2];       /* a worker writes its Job* here when done; -1 until needed */
  /* tasks */
  Obj **tasks;            /* every task not done yet, in creation order
                             (wy_all_tasks); NULL where one ended */
  int ntasks, task_cap, task_holes;
  Value current_task;     /* None outside a task step */
  uint64_t task_counter;  /* for "Task-N" names */
  Value *unretrieved;     /* tasks that ended with an exception: checked
                             for "Task exception was never retrieved" */
  int nunretrieved, unretrieved_cap;
  bool running;
  ExcObj *fatal;          /* KeyboardInterrupt/SystemExit out of a task: stops the loop */
} AsyncCore;

/* the VM's async state and types, made on first use (NULL + MemoryError) */
AsyncCore *async_core(VM *vm);
void async_mark_roots(VM *vm);     /* called by the GC through api_mark_roots */
void async_shutdown(VM *vm);       /* vm_free: join workers, free the state */

/* ---- future.c ---- */
void future_types_init(VM *vm, AsyncCore *ac);
bool async_is_future(VM *vm, Value v);          /* a Future or a Task */
static inline Future *future_of(Value v) { return (Future *)((ForeignObj *)AS_OBJ(v))->data; }
Value future_alloc(VM *vm, Type *t);            /* a pending future of type t (Future or Task) */
int future_set_result(VM *vm, Value fut, Value result);
int future_set_exception(VM *vm, Value fut, Value exc);
/* cancel(msg) on a future or a task: 1 cancelled/requested, 0 already done */
int future_cancel(VM *vm, Value fut, Value msg);
/* Future.cancel itself, for the task's own end */
int future_cancel_plain(VM *vm, Value fut, Value msg);
Value future_result(VM *vm, Value fut);         /* result() */
/* the exception awaiting fut would raise (its exception or a fresh
** CancelledError), retrieved: for the task's wake-up; NULL if none */
ExcObj *future_take_exception(VM *vm, Value fut);
int future_add_callback(VM *vm, Value fut, LoopFn fn, Value a, void *p);
/* "<Future finished result=1>" with cls for "Future" */
Value future_repr_state(VM *vm, Value fut, const char *cls);
ExcObj *future_cancelled_error(VM *vm, Value fut);   /* _make_cancelled_error */

/* ---- task.c ---- */
void task_type_init(VM *vm, AsyncCore *ac);
Value task_new(VM *vm, Value coro, Value name);
int task_cancel(VM *vm, Value task, Value msg);
/* print "Task exception was never retrieved" for the tasks that still
** hold one (end of a loop run) */
void task_report_unretrieved(VM *vm);

/* ---- ccoro.c ---- */
void ccoro_type_init(VM *vm, AsyncCore *ac);
Value ccoro_new(VM *vm, const char *name, wy_CoroStep step, Value state);
bool ccoro_is(VM *vm, Value v);

/* ---- loop.c ---- */
double loop_time(void);
int loop_call_soon(VM *vm, LoopFn fn, Value a, Value b, void *p);
int loop_call_at(VM *vm, double when, LoopFn fn, Value a, Value b);
/* Python-level call_soon / call_later: a Handle object */
Value loop_handle_soon(VM *vm, Value callable, Value args);
Value loop_handle_later(VM *vm, double delay, Value callable, Value args);
Value loop_sleep_future(VM *vm, double delay, Value result);
Value loop_wait_fd(VM *vm, int fd, int events);
Value loop_run_in_thread(VM *vm, wy_WorkFn work, wy_WorkDone done, void *data);
Value loop_run_until_complete(VM *vm, Value awaitable);
/* report the pending exception of a loop callback on stderr and clear it */
void loop_report_error(VM *vm, const char *what, Value subject);

#endif
