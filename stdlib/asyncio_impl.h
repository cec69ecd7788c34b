/* asyncio_impl.h — what the asyncio module's C files (asyncio*.c) share:
** the per-VM module state, the generic coroutine frame, and small helpers
** over withy.h's async API. Private to the asyncio files. */
#ifndef WITHY_ASYNCIO_IMPL_H
#define WITHY_ASYNCIO_IMPL_H

#include "stdlib.h"

/* The module's state (one per VM, freed with the module): the classes the
** C code makes instances of or raises. */
typedef struct AioState {
  wy_Pin *frame_class;     /* _frame: the memory of a C coroutine between steps */
  wy_Pin *future_class;    /* the core's Future, Task, CancelledError … */
  wy_Pin *task_class;
  wy_Pin *cancelled_error;
  wy_Pin *invalid_state_error;
  wy_Pin *lock_class;      /* locks.Lock (Condition makes one) */
  wy_Pin *gathering_class; /* _GatheringFuture */
  wy_Pin *event_class;     /* locks.Event (Queue.join waits on one) */
  wy_Pin *timeout_class;   /* timeouts.Timeout */
  wy_Pin *loop_class;      /* what get_running_loop() returns */
  wy_Pin *loop;            /* the one loop object of this VM */
  wy_Pin *queue_empty;
  wy_Pin *queue_full;
} AioState;

/* A C coroutine's frame: FRAME_SLOTS value slots, numbered by each
** coroutine for itself (slot 0 is by convention the object it works on).
** One class for all of them keeps the module small. */
enum { FRAME_SLOTS = 8 };
wy_Value aio_frame(wy_State *W, AioState *st);
/* the slots of a frame (never NULL for a frame made by aio_frame) */
wy_Value *aio_slots(wy_State *W, wy_Value frame);
/* the module state a frame carries */
AioState *aio_state_of(wy_State *W, wy_Value frame);

/* The module state from an object whose C step has nothing else: the
** classes whose instances are coroutine states carry a frame in a class
** attribute `_aio_state` (set by aio_set_class_state). NULL + error. */
AioState *aio_class_state(wy_State *W, wy_Value obj);
int aio_set_class_state(wy_State *W, wy_Value cls, AioState *st);

/* ---- futures ---- */
bool aio_is_future(wy_State *W, AioState *st, wy_Value v);  /* isinstance(v, Future), errors dropped */
bool aio_future_done(wy_State *W, wy_Value fut);            /* done or cancelled */
bool aio_future_cancelled(wy_State *W, wy_Value fut);
/* ensure_future(v): a future as is; a coroutine or awaitable becomes a Task */
wy_Value aio_ensure_future(wy_State *W, AioState *st, wy_Value v);
/* a callable that does `if not fut.done(): fut.set_result(None)` whatever
** it is called with (tasks.py's _release_waiter, partially applied) */
wy_Value aio_release_waiter(wy_State *W, wy_Value fut);
/* make exc pending again as a bare `raise` does (its __context__ kept) */
void aio_reraise(wy_State *W, wy_Value exc);
/* whether the pending exception is a CancelledError (it stays pending) */
bool aio_cancelled_pending(wy_State *W, AioState *st);
/* "no running event loop" unless the loop runs */
int aio_need_running_loop(wy_State *W);

/* ---- errors and reprs ---- */
/* the exception instance cls(*args) with __cause__/__context__ set
** (either may be wy_error() for "leave as is"), raised */
wy_Value aio_raise_chained(wy_State *W, wy_Value cls, wy_Value cause, wy_Value context);
/* `<module.Name object at 0x… [extra]>`, object.__repr__ with extra inside */
wy_Value aio_repr_with(wy_State *W, wy_Value self, const char *extra);
/* give a class CPython's __module__ (e.g. "asyncio.locks") and the slots */
int aio_class_setup(wy_State *W, wy_Value cls, const char *module, int nslots);
/* cls made by wy_class, set up and put in the module */
wy_Value aio_add_class(wy_State *W, wy_Value m, const char *name, wy_Value base,
                       const wy_Method *methods, void *ud, const char *module, int nslots);
/* an object's slots when it is an instance of a class with >= n slots */
wy_Value *aio_self_slots(wy_State *W, int argc, const wy_Value *argv, int n, const char *cls);

/* the arguments of a method (argv[0] is self) by name, with CPython's
** messages for a Python method `qualname(self, names…)` */
int aio_method_args(wy_State *W, const char *qualname, int argc, const wy_Value *argv, wy_Value kw,
                    const char *const *names, int required, wy_Value *out);

/* ---- list helpers (the deques of waiters) ---- */
int aio_list_remove(wy_State *W, wy_Value list, wy_Value item);  /* by identity; 1 removed, 0 absent, -1 */
wy_Value aio_list_popleft(wy_State *W, wy_Value list);

/* ---- the module's parts (one file each) ---- */
int aio_tasks_add(wy_State *W, wy_Value m, AioState *st);    /* asyncio_tasks.c */
int aio_sync_add(wy_State *W, wy_Value m, AioState *st);     /* asyncio_sync.c */
int aio_queue_add(wy_State *W, wy_Value m, AioState *st);    /* asyncio_queue.c */
int aio_timeout_add(wy_State *W, wy_Value m, AioState *st);  /* asyncio_timeout.c */
int aio_loop_add(wy_State *W, wy_Value m, AioState *st);     /* asyncio_loop.c */
/* asyncio.gather(*aws, return_exceptions=...) for C callers (asyncio.run) */
wy_Value aio_gather(wy_State *W, AioState *st, int argc, const wy_Value *argv, bool return_exceptions);
/* a new Event (for Queue.join) and its wait() coroutine / set() / clear() */
wy_Value aio_event_new(wy_State *W, AioState *st);
wy_Value aio_event_wait(wy_State *W, AioState *st, wy_Value event);
int aio_event_set(wy_State *W, wy_Value event);
int aio_event_clear(wy_State *W, wy_Value event);

#endif
