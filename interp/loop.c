/* loop.c — the one event loop of a VM. A turn of the loop: wait (poll) for
** the nearest timer, a watched fd or a worker thread — not at all when
** callbacks are ready — then move what became due to the ready queue, then
** run the callbacks that were ready at the start of the turn (what they
** schedule runs next turn, so no task starves another). Tasks, sleeps,
** fd waits and thread jobs are all callbacks on this queue.
** A loop with nothing left that could ever finish the awaited future stops
** with a RuntimeError instead of hanging (CPython would block forever). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "async.h"
#include "api_internal.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "type.h"
#include "str.h"
#include "tuple.h"
#include "gen.h"

/* a wy_run_in_thread job: made on the loop's thread, run on its own thread,
** handed back through the wake pipe */
typedef struct Job {
  wy_WorkFn work;
  wy_WorkDone done;
  void *data;
  Value fut;
  pthread_t thread;
  int wake_fd;
  struct Job *next;
} Job;

/* the C data of a Handle (call_soon / call_later from Python) */
typedef struct Handle {
  Value callable, args;
  double when;       /* 0 for call_soon */
  bool cancelled;
} Handle;

double loop_time(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the state ---- */

static Value handle_repr(VM *vm, Value self);
static void handle_types_init(VM *vm, AsyncCore *ac);

AsyncCore *async_core(VM *vm) {
  if (vm->async) return vm->async;
  AsyncCore *ac = calloc(1, sizeof *ac);
  if (!ac) {
    exc_no_memory(vm);
    return NULL;
  }
  ac->wake_pipe[0] = ac->wake_pipe[1] = -1;
  ac->current_task = V_NONE;
  vm->async = ac;
  future_types_init(vm, ac);
  task_type_init(vm, ac);
  ccoro_type_init(vm, ac);
  handle_types_init(vm, ac);
  if (!ac->t_future || !ac->t_task || !ac->t_ccoro || !ac->t_handle || !ac->t_cancelled_error) {
    if (!exc_pending(vm)) exc_no_memory(vm);
    return NULL;   /* stays allocated (freed by async_shutdown); a later call retries nothing */
  }
  return ac;
}

void async_mark_roots(VM *vm) {
  AsyncCore *ac = vm->async;
  if (!ac) return;
  for (size_t i = 0; i < ac->ready_len; i++) {
    struct ReadyEntry *e = &ac->ready[(ac->ready_head + i) % ac->ready_cap];
    gc_mark_value(vm, e->a);
    gc_mark_value(vm, e->b);
  }
  for (size_t i = 0; i < ac->ntimers; i++) {
    gc_mark_value(vm, ac->timers[i].a);
    gc_mark_value(vm, ac->timers[i].b);
  }
  for (size_t i = 0; i < ac->nwatches; i++) gc_mark_value(vm, ac->watches[i].fut);
  for (Job *j = ac->jobs; j; j = j->next) gc_mark_value(vm, j->fut);
  for (int i = 0; i < ac->ntasks; i++)
    if (ac->tasks[i]) gc_mark_obj(vm, ac->tasks[i]);
  for (int i = 0; i < ac->nunretrieved; i++) gc_mark_value(vm, ac->unretrieved[i]);
  gc_mark_value(vm, ac->current_task);
  gc_mark_obj(vm, (Obj *)ac->fatal);
}

/* ---- the ready queue ---- */

int loop_call_soon(VM *vm, LoopFn fn, Value a, Value b, void *p) {
  AsyncCore *ac = async_core(vm);
  if (!ac) return -1;
  if (ac->ready_len == ac->ready_cap) {
    size_t cap = ac->ready_cap ? ac->ready_cap * 2 : 64;
    struct ReadyEntry *r = malloc(cap * sizeof *r);
    if (!r) {
      exc_no_memory(vm);
      return -1;
    }
    for (size_t i = 0; i < ac->ready_len; i++) r[i] = ac->ready[(ac->ready_head + i) % ac->ready_cap];
    free(ac->ready);
    ac->ready = r;
    ac->ready_head = 0;
    ac->ready_cap = cap;
  }
  ac->ready[(ac->ready_head + ac->ready_len++) % ac->ready_cap] = (struct ReadyEntry){fn, a, b, p};
  return 0;
}

/* ---- the timer heap ---- */

static bool timer_before(const struct TimerEntry *x, const struct TimerEntry *y) {
  return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

static void timer_swap(struct TimerEntry *h, size_t i, size_t j) {
  struct TimerEntry t = h[i];
  h[i] = h[j];
  h[j] = t;
}

int loop_call_at(VM *vm, double when, LoopFn fn, Value a, Value b) {
  AsyncCore *ac = async_core(vm);
  if (!ac) return -1;
  if (ac->ntimers == ac->timer_cap) {
    size_t cap = ac->timer_cap ? ac->timer_cap * 2 : 16;
    struct TimerEntry *t = realloc(ac->timers, cap * sizeof *t);
    if (!t) {
      exc_no_memory(vm);
      return -1;
    }
    ac->timers = t;
    ac->timer_cap = cap;
  }
  size_t i = ac->ntimers++;
  ac->timers[i] = (struct TimerEntry){when, ac->timer_seq++, fn, a, b};
  while (i > 0 && timer_before(&ac->timers[i], &ac->timers[(i - 1) / 2])) {
    timer_swap(ac->timers, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
  return 0;
}

static struct TimerEntry timer_pop(AsyncCore *ac) {
  struct TimerEntry top = ac->timers[0];
  ac->timers[0] = ac->timers[--ac->ntimers];
  size_t i = 0, n = ac->ntimers;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && timer_before(&ac->timers[l], &ac->timers[m])) m = l;
    if (r < n && timer_before(&ac->timers[r], &ac->timers[m])) m = r;
    if (m == i) break;
    timer_swap(ac->timers, i, m);
    i = m;
  }
  return top;
}

/* ---- sleeping ---- */

static void sleep_fire(VM *vm, Value fut, Value result, void *p) {
  if (future_of(fut)->state == FUT_PENDING) future_set_result(vm, fut, result);
}

Value loop_sleep_future(VM *vm, double delay, Value result) {
  AsyncCore *ac = async_core(vm);
  if (!ac) return V_UNDEF;
  Value fut = future_alloc(vm, ac->t_future);
  if (IS_UNDEF(fut)) return V_UNDEF;
  if (isnan(delay) || delay < 0) delay = 0;
  if (loop_call_at(vm, loop_time() + delay, sleep_fire, fut, result) < 0) return V_UNDEF;
  return fut;
}

/* a timer that can no longer do anything: its sleep future was cancelled,
** or its handle was */
static bool timer_dead(VM *vm, const struct TimerEntry *t);

/* ---- Python handles ---- */

static void handle_trace(VM *vm, void *data) {
  Handle *h = data;
  gc_mark_value(vm, h->callable);
  gc_mark_value(vm, h->args);
}

static void handle_finalize(VM *vm, void *data) { free(data); }

static Value handle_new(VM *vm, Value callable, Value args, double when) {
  AsyncCore *ac = async_core(vm);
  if (!ac) return V_UNDEF;
  Handle *h = malloc(sizeof *h);
  if (!h) return exc_no_memory(vm);
  *h = (Handle){callable, IS_UNDEF(args) ? V_NONE : args, when, false};
  ForeignObj *o = foreign_new(vm, ac->t_handle, h, handle_trace, handle_finalize);
  if (!o) {
    free(h);
    return V_UNDEF;
  }
  return v_obj(o);
}

static void run_handle(VM *vm, Value handle, Value unused, void *p) {
  Handle *h = AS_FOREIGN(handle)->data;
  if (h->cancelled) return;
  Value r = IS_TUPLE(h->args) ? obj_call(vm, h->callable, AS_TUPLE(h->args)->items, (int)AS_TUPLE(h->args)->len, NULL)
                              : obj_call0(vm, h->callable);
  if (IS_UNDEF(r)) loop_report_error(vm, "callback", handle);
}

static bool timer_dead(VM *vm, const struct TimerEntry *t) {
  if (t->fn == sleep_fire) return future_of(t->a)->state != FUT_PENDING;
  if (t->fn == run_handle) return ((Handle *)AS_FOREIGN(t->a)->data)->cancelled;
  return false;
}

Value loop_handle_soon(VM *vm, Value callable, Value args) {
  Value h = handle_new(vm, callable, args, 0);
  if (IS_UNDEF(h)) return V_UNDEF;
  gc_push_root(vm, h);
  int rc = loop_call_soon(vm, run_handle, h, V_NONE, NULL);
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : h;
}

Value loop_handle_later(VM *vm, double delay, Value callable, Value args) {
  if (isnan(delay) || delay < 0) delay = 0;
  double when = loop_time() + delay;
  Value h = handle_new(vm, callable, args, when);
  if (IS_UNDEF(h)) return V_UNDEF;
  gc_push_root(vm, h);
  int rc = loop_call_at(vm, when, run_handle, h, V_NONE);
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : h;
}

static Handle *self_handle(VM *vm, Value *args, int nargs) {
  if (nargs < 1 || !IS_FOREIGN(args[0]) || !vm->async || AS_OBJ(args[0])->type != vm->async->t_handle) {
    exc_type_error(vm, "expected a Handle");
    return NULL;
  }
  return AS_FOREIGN(args[0])->data;
}

static Value hm_cancel(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Handle *h = self_handle(vm, args, nargs);
  if (!h) return V_UNDEF;
  h->cancelled = true;
  return V_NONE;
}

static Value hm_cancelled(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Handle *h = self_handle(vm, args, nargs);
  return h ? v_bool(h->cancelled) : V_UNDEF;
}

static Value hm_when(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Handle *h = self_handle(vm, args, nargs);
  return h ? v_float(h->when) : V_UNDEF;
}

static Value handle_repr(VM *vm, Value self) {
  Handle *h = AS_FOREIGN(self)->data;
  const char *cls = h->when > 0 ? "TimerHandle" : "Handle";
  if (h->cancelled) return v_obj(str_format_c(vm, "<%s cancelled>", cls));
  return v_obj(str_format_c(vm, "<%s %R>", cls, h->callable));
}

static void handle_types_init(VM *vm, AsyncCore *ac) {
  Type *t = type_new_builtin(vm, "Handle", NULL, K_FOREIGN, TF_ABSTRACT_NEW);
  if (!t) return;
  t->module = str_intern_cstr(vm, "asyncio.events");
  t->repr = handle_repr;
  define_native(vm, t->dict, "cancel", hm_cancel, NATIVE_METHOD);
  define_native(vm, t->dict, "cancelled", hm_cancelled, NATIVE_METHOD);
  define_native(vm, t->dict, "when", hm_when, NATIVE_METHOD);
  ac->t_handle = t;
}

/* ---- fds ---- */

Value loop_wait_fd(VM *vm, int fd, int events) {
  AsyncCore *ac = async_core(vm);
  if (!ac) return V_UNDEF;
  if (fd < 0) return exc_value_error(vm, "file descriptor cannot be a negative integer (%d)", fd);
  Value fut = future_alloc(vm, ac->t_future);
  if (IS_UNDEF(fut)) return V_UNDEF;
  if (ac->nwatches == ac->watch_cap) {
    size_t cap = ac->watch_cap ? ac->watch_cap * 2 : 8;
    struct FdWatch *w = realloc(ac->watches, cap * sizeof *w);
    if (!w) return exc_no_memory(vm);
    ac->watches = w;
    ac->watch_cap = cap;
  }
  short ev = (short)(((events & WY_READABLE) ? POLLIN : 0) | ((events & WY_WRITABLE) ? POLLOUT : 0));
  ac->watches[ac->nwatches++] = (struct FdWatch){fd, ev, fut};
  return fut;
}

/* drop the watches whose future is done (cancelled by their awaiter) */
static void prune_watches(AsyncCore *ac) {
  size_t kept = 0;
  for (size_t i = 0; i < ac->nwatches; i++)
    if (future_of(ac->watches[i].fut)->state == FUT_PENDING) ac->watches[kept++] = ac->watches[i];
  ac->nwatches = kept;
}

/* ---- worker threads ---- */

static void *job_thread(void *arg) {
  Job *j = arg;
  j->work(j->data);
  ssize_t n;
  do n = write(j->wake_fd, &j, sizeof j);
  while (n < 0 && errno == EINTR);
  return NULL;
}

static int ensure_wake_pipe(VM *vm, AsyncCore *ac) {
  if (ac->wake_pipe[0] >= 0) return 0;
  if (pipe(ac->wake_pipe) < 0) {
    exc_raise_errno(vm, errno, NULL);
    return -1;
  }
  fcntl(ac->wake_pipe[0], F_SETFD, FD_CLOEXEC);
  fcntl(ac->wake_pipe[1], F_SETFD, FD_CLOEXEC);
  return 0;
}

Value loop_run_in_thread(VM *vm, wy_WorkFn work, wy_WorkDone done, void *data) {
  AsyncCore *ac = async_core(vm);
  if (!ac || ensure_wake_pipe(vm, ac) < 0) return V_UNDEF;
  Value fut = future_alloc(vm, ac->t_future);
  if (IS_UNDEF(fut)) return V_UNDEF;
  Job *j = calloc(1, sizeof *j);
  if (!j) return exc_no_memory(vm);
  *j = (Job){work, done, data, fut, 0, ac->wake_pipe[1], ac->jobs};
  int err = pthread_create(&j->thread, NULL, job_thread, j);
  if (err) {
    free(j);
    return exc_raise_errno(vm, err, NULL);
  }
  ac->jobs = j;
  ac->njobs++;
  return fut;
}

/* the job is over: join it, let done() make the result, complete the future */
static void finish_job(VM *vm, AsyncCore *ac, Job *j) {
  pthread_join(j->thread, NULL);
  for (Job **pp = &ac->jobs; *pp; pp = &(*pp)->next)
    if (*pp == j) {
      *pp = j->next;
      break;
    }
  ac->njobs--;
  Value fut = j->fut;
  gc_push_root(vm, fut);
  int mark = vm->api_scope_len;
  Value r = api_to_value(j->done(vm, j->data));
  gc_push_root(vm, r);
  vm->api_scope_len = mark;
  free(j);
  if (future_of(fut)->state != FUT_PENDING) {
    exc_clear(vm);   /* nobody waits for it any more */
  } else if (IS_UNDEF(r)) {
    ExcObj *e = exc_fetch(vm);
    if (!e) e = exc_new(vm, EXC(vm, RuntimeError), NULL);
    if (e) future_set_exception(vm, fut, v_obj(e));
  } else {
    future_set_result(vm, fut, r);
  }
  if (exc_pending(vm)) loop_report_error(vm, "thread job", fut);
  gc_pop_roots(vm, 2);
}

static void drain_wake_pipe(VM *vm, AsyncCore *ac) {
  Job *j;
  for (;;) {
    ssize_t n = read(ac->wake_pipe[0], &j, sizeof j);
    if (n == (ssize_t)sizeof j) {
      finish_job(vm, ac, j);
      if (ac->njobs == 0) return;
      /* more may be there: poll said readable once; check without blocking */
      struct pollfd p = {ac->wake_pipe[0], POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) return;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}

/* ---- reporting ---- */

void loop_report_error(VM *vm, const char *what, Value subject) {
  ExcObj *e = exc_fetch(vm);
  if (!e) return;
  gc_push_root(vm, v_obj(e));
  Value r = obj_repr(vm, subject);
  if (IS_UNDEF(r)) exc_clear(vm);
  fflush(stdout);
  fprintf(stderr, "Exception in %s %s\n", what, IS_UNDEF(r) ? "" : STR_CSTR(AS_STR(r)));
  exc_print(vm, e, stderr);
  gc_pop_roots(vm, 1);
}

/* ---- one turn ---- */

/* how long poll may wait, in ms: 0 when callbacks are ready, -1 forever */
static int turn_timeout(VM *vm, AsyncCore *ac) {
  if (ac->ready_len > 0) return 0;
  while (ac->ntimers > 0 && timer_dead(vm, &ac->timers[0])) timer_pop(ac);
  if (ac->ntimers == 0) return -1;
  double wait = ac->timers[0].when - loop_time();
  if (wait <= 0) return 0;
  double ms = ceil(wait * 1000.0);
  return ms > 1e9 ? 1000000000 : (int)ms;
}

static int wait_for_events(VM *vm, AsyncCore *ac, int timeout) {
  prune_watches(ac);
  size_t n = ac->nwatches + (ac->njobs > 0 ? 1 : 0);
  if (timeout < 0 && n == 0) {
    exc_raise(vm, EXC(vm, RuntimeError),
              "the event loop has nothing left to run: every task is waiting for something that "
              "nothing will ever do (a deadlock)");
    return -1;
  }
  struct pollfd stackfds[16];
  struct pollfd *fds = n <= 16 ? stackfds : malloc(n * sizeof *fds);
  if (!fds) {
    exc_no_memory(vm);
    return -1;
  }
  for (size_t i = 0; i < ac->nwatches; i++) fds[i] = (struct pollfd){ac->watches[i].fd, ac->watches[i].events, 0};
  if (ac->njobs > 0) fds[ac->nwatches] = (struct pollfd){ac->wake_pipe[0], POLLIN, 0};
  int r = poll(fds, (nfds_t)n, timeout);
  if (r < 0 && errno != EINTR) {
    if (fds != stackfds) free(fds);
    exc_raise_errno(vm, errno, NULL);
    return -1;
  }
  if (wy_check_interrupt(vm) < 0) {
    if (fds != stackfds) free(fds);
    return -1;
  }
  size_t nw = ac->nwatches;
  bool jobs_ready = ac->njobs > 0 && r > 0 && (fds[nw].revents & POLLIN);
  for (size_t i = 0; r > 0 && i < nw; i++) {
    short rev = fds[i].revents;
    if (!rev) continue;
    Value fut = ac->watches[i].fut;
    int ev = ((rev & POLLIN) ? WY_READABLE : 0) | ((rev & POLLOUT) ? WY_WRITABLE : 0) |
             ((rev & (POLLERR | POLLHUP | POLLNVAL)) ? WY_FD_ERROR : 0);
    if (future_of(fut)->state == FUT_PENDING && future_set_result(vm, fut, v_int(ev)) < 0) {
      if (fds != stackfds) free(fds);
      return -1;
    }
  }
  if (fds != stackfds) free(fds);
  if (jobs_ready) drain_wake_pipe(vm, ac);
  return 0;
}

static void run_due_timers(VM *vm, AsyncCore *ac) {
  double now = loop_time();
  while (ac->ntimers > 0 && ac->timers[0].when <= now) {
    struct TimerEntry t = timer_pop(ac);
    loop_call_soon(vm, t.fn, t.a, t.b, NULL);
  }
}

static int run_once(VM *vm, AsyncCore *ac) {
  int timeout = turn_timeout(vm, ac);
  if (timeout != 0 || ac->nwatches > 0 || ac->njobs > 0) {
    if (wait_for_events(vm, ac, timeout) < 0) return -1;
  }
  run_due_timers(vm, ac);
  size_t ntodo = ac->ready_len;
  for (size_t i = 0; i < ntodo && !ac->fatal; i++) {
    struct ReadyEntry e = ac->ready[ac->ready_head];
    ac->ready_head = (ac->ready_head + 1) % ac->ready_cap;
    ac->ready_len--;
    gc_push_root(vm, e.a);
    gc_push_root(vm, e.b);
    e.fn(vm, e.a, e.b, e.p);
    gc_pop_roots(vm, 2);
    if (exc_pending(vm)) loop_report_error(vm, "callback", e.a);
    if (vm->interrupted && wy_check_interrupt(vm) < 0) return -1;
  }
  return 0;
}

/* ---- running ---- */

static bool is_coroutine_like(VM *vm, Value v) {
  return (IS_GEN(v) && AS_GEN(v)->kind == GENK_COROUTINE) || ccoro_is(vm, v);
}

Value loop_run_until_complete(VM *vm, Value aw) {
  AsyncCore *ac = async_core(vm);
  if (!ac) return V_UNDEF;
  if (ac->running) return exc_raise(vm, EXC(vm, RuntimeError), "This event loop is already running");
  Value fut = aw;
  if (is_coroutine_like(vm, aw)) {
    fut = task_new(vm, aw, V_NONE);
    if (IS_UNDEF(fut)) return V_UNDEF;
  } else if (!async_is_future(vm, aw)) {
    return exc_type_error(vm, "An asyncio.Future, a coroutine or an awaitable is required");
  }
  gc_push_root(vm, fut);
  ac->running = true;
  ac->fatal = NULL;
  int rc = 0;
  while (future_of(fut)->state == FUT_PENDING && !ac->fatal)
    if ((rc = run_once(vm, ac)) < 0) break;
  ac->running = false;
  Value result = V_UNDEF;
  if (ac->fatal) {
    ExcObj *e = ac->fatal;
    ac->fatal = NULL;
    exc_restore(vm, e);
  } else if (rc == 0) {
    result = future_result(vm, fut);   /* first: fut's own exception is retrieved here */
    ExcObj *pending = exc_fetch(vm);
    if (pending) gc_push_root(vm, v_obj(pending));
    task_report_unretrieved(vm);
    if (pending) {
      exc_restore(vm, pending);
      gc_pop_roots(vm, 1);
    }
  }
  gc_pop_roots(vm, 1);
  return result;
}

void async_shutdown(VM *vm) {
  AsyncCore *ac = vm->async;
  if (!ac) return;
  while (ac->jobs) finish_job(vm, ac, ac->jobs);
  exc_clear(vm);
  if (ac->wake_pipe[0] >= 0) {
    close(ac->wake_pipe[0]);
    close(ac->wake_pipe[1]);
  }
  free(ac->ready);
  free(ac->timers);
  free(ac->watches);
  free(ac->tasks);
  free(ac->unretrieved);
  free(ac);
  vm->async = NULL;
}
