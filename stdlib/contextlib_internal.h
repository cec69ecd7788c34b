/* contextlib_internal.h — what the four files of the contextlib module
** share: contextlib.c (the sync managers and the verdict logic of
** @contextmanager), contextlib_async.c (its async half), exitstack.c (the
** stack of exits and the one unwinding algorithm) and exitstack_async.c
** (AsyncExitStack). Like them it uses withy.h only. */
#ifndef WITHY_CONTEXTLIB_INTERNAL_H
#define WITHY_CONTEXTLIB_INTERNAL_H

#include "stdlib.h"

/* ---- per-VM state of the module ---- */

typedef struct ContextlibState {
  wy_Pin *gcm_class;    /* _GeneratorContextManager */
  wy_Pin *agcm_class;   /* _AsyncGeneratorContextManager */
  wy_Pin *fn_class;     /* the callables contextmanager / ContextDecorator return */
  wy_Pin *bound_class;  /* those callables bound to an instance (fn.__get__) */
  wy_Pin *aexit_state;  /* the memory of _AsyncGeneratorContextManager.__aexit__ */
  wy_Pin *inner_state;  /* the memory of AsyncContextDecorator's inner() */
  wy_Pin *unwind_state; /* the memory of AsyncExitStack.__aexit__ */
  wy_Pin *enter_state;  /* the memory of AsyncExitStack.enter_async_context */
} ContextlibState;

/* the function-like objects' kinds: the factory contextmanager(func) /
** asynccontextmanager(func) return, and the function a ContextDecorator /
** AsyncContextDecorator wraps around a decorated one */
enum { FN_HELPER = 0, FN_DECORATED = 1, FN_ASYNC_HELPER = 2, FN_ASYNC_DECORATED = 3 };
wy_Value cl_make_fn(wy_State *W, ContextlibState *st, int kind, wy_Value a, wy_Value b, wy_Value wrapped);

/* ---- small helpers ---- */

int cl_need_self(wy_State *W, int argc);
/* set an attribute that may legitimately be refused: the failure is dropped */
void cl_try_setattr(wy_State *W, wy_Value obj, const char *name, wy_Value v);
/* slot i of obj, raising the AttributeError of `name` when it is empty */
wy_Value cl_slot_or_raise(wy_State *W, wy_Value obj, int i, const char *name);
/* the slots of obj when it has at least n of them (TypeError otherwise) */
wy_Value *cl_slots_of(wy_State *W, wy_Value obj, int n);
/* raise `other`, which was raised while `handled` was on its way out: its
** __context__ becomes `handled` when it has none (Python's implicit
** chaining, done by hand because C code has no except block) */
wy_Value cl_raise_chained(wy_State *W, wy_Value other, wy_Value handled);
/* RuntimeError(msg), made and not raised */
wy_Value cl_runtime_error(wy_State *W, const char *msg);
/* m.name = cls, a class of the module (its __module__ says "contextlib") */
int cl_module_class(wy_State *W, wy_Value m, const char *name, wy_Value cls);
/* a class for the memory of C coroutines: n value slots, nothing else */
wy_Value cl_state_class(wy_State *W, const char *name, int nslots);
/* a coroutine that returns v at once (async def f(): return v) */
wy_Value cl_return_coro(wy_State *W, const char *name, wy_Value v);
/* 'module.qualname' of a class (the enter_context errors) */
wy_Value cl_class_label(wy_State *W, wy_Value cls);
/* the description of v for a trace, as a C string living as long as the
** call, or NULL */
const char *cl_described(wy_State *W, wy_Value v);

/* ---- @contextmanager and @asynccontextmanager: one verdict logic ----
** Both resume the generator (next / anext) or throw the body's exception
** into it (throw / athrow) and then decide from what it did. The sync
** half learns that from wy_send/wy_throw, the async half from awaiting
** asend/athrow; the decisions below are the same code for both. */

typedef struct GcmFlavor {
  bool async;
  const char *stop;              /* what says "finished": StopIteration / StopAsyncIteration */
  const char *didnt_stop_after;  /* "generator didn't stop after throw()" / "... athrow()" */
  const char *didnt_stop_after_verdict;   /* the same for traces: "error: ..." */
  const char *next_words;        /* how traces name the step: "" / "anext: " */
  const char *throw_words;       /* "" / "athrow: " */
} GcmFlavor;
extern const GcmFlavor cl_sync_flavor, cl_async_flavor;

/* what the generator did: it yielded *r, finished, or raised (pending) */
enum { GEN_RAISED = -1, GEN_FINISHED = 0, GEN_YIELDED = 1 };

/* the slots of a _GeneratorContextManager / _AsyncGeneratorContextManager:
** the generator; the function and the arguments it was called with (for
** _recreate_cm, gone after the first __enter__ as in CPython); the
** function again, for __doc__ */
enum { GCM_GEN, GCM_FUNC, GCM_ARGS, GCM_KWDS, GCM_DOC_FUNC, GCM_NSLOTS };

/* __enter__'s first step, shared: forget the recreation data (the object
** becomes one-shot) and give the generator; wy_error() + AttributeError on
** a second use */
wy_Value cl_gcm_take_gen(wy_State *W, wy_Value self);
/* __enter__ / __aenter__ after the generator was resumed: its result (r:
** what it yielded, or when it finished the Stop(Async)Iteration that said so) */
wy_Value cl_gcm_enter_verdict(wy_State *W, const GcmFlavor *fl, int did, wy_Value r);
/* __exit__ / __aexit__ after the generator was resumed (thrown = wy_error())
** or had `thrown` thrown into it: the method's result, or wy_error() with
** an exception pending, or wy_error() with *didnt_stop set to the message
** of the RuntimeError to raise once the generator is closed */
wy_Value cl_gcm_exit_verdict(wy_State *W, const GcmFlavor *fl, wy_Value thrown, wy_Value tb, int did,
                             wy_Value r, const char **didnt_stop);
/* fill a fresh (async) generator context manager: gen = func(*args, **kwds) */
int cl_gcm_setup(wy_State *W, wy_Value self, wy_Value func, wy_Value args, wy_Value kwds);
/* the methods both generator context managers share */
wy_Value cl_gcm_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);
wy_Value cl_gcm_recreate(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);
wy_Value cl_gcm_trace_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);
wy_Value cl_agcm_trace_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);
/* the slot properties (gen, func, args, kwds) and __doc__ of such a class */
int cl_gcm_class_attrs(wy_State *W, wy_Value cls, const char *default_doc);
/* ContextDecorator.__call__ / AsyncContextDecorator.__call__ (ud: the state) */
wy_Value cl_cd_call(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);
wy_Value cl_acd_call(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);
wy_Value cl_return_self(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);

/* ---- contextlib_async.c ---- */
/* adds asynccontextmanager, _AsyncGeneratorContextManager,
** AsyncContextDecorator, AbstractAsyncContextManager, aclosing */
int cl_async_add(wy_State *W, wy_Value m, ContextlibState *st);
/* what the async function-like objects do when called */
wy_Value cl_async_helper_call(wy_State *W, ContextlibState *st, wy_Value func, int argc, const wy_Value *argv,
                              wy_Value kw);
wy_Value cl_async_decorated_call(wy_State *W, ContextlibState *st, wy_Value owner, wy_Value func, int argc,
                                 const wy_Value *argv, wy_Value kw);
/* nullcontext's __aenter__ / __aexit__ */
wy_Value cl_nullcontext_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);
wy_Value cl_nullcontext_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud);

/* ---- the stack of exits (exitstack.c), shared with exitstack_async.c ----
** Each entry takes ENTRY_WIDTH consecutive items of the list in the
** stack's slot: kind, a, b, c (see exitstack.c). */
enum { ENTRY_CM_EXIT = 1, ENTRY_EXIT_FN = 2, ENTRY_CALLBACK = 3, ENTRY_CALLBACK1 = 4, ENTRY_ASYNC = 8 };
/* ENTRY_CALLBACK or ENTRY_CALLBACK1 (either with or without ENTRY_ASYNC) */
#define ES_IS_CALLBACK(kind) (((kind) & ~ENTRY_ASYNC) == ENTRY_CALLBACK || ((kind) & ~ENTRY_ASYNC) == ENTRY_CALLBACK1)
enum { ENTRY_WIDTH = 4, SLOT_EXITS = 0, EXITSTACK_NSLOTS = 1 };

int es_push_entry(wy_State *W, wy_Value self, int kind, wy_Value a, wy_Value b, wy_Value c);
int es_need_self(wy_State *W, int argc, const char *method);
/* the TypeError enter_context / enter_async_context raise for a cm that
** lacks the protocol (`what`: "context manager" / "asynchronous context
** manager"), from None */
wy_Value es_protocol_error(wy_State *W, wy_Value cm, const char *what);

/* The unwinding of a stack, as CPython 3.11's _BaseExitStack.__exit__
** does it: its values live in an array v[UNWIND_N] that the caller keeps
** rooted (C locals for ExitStack, whose entries are rooted in the API
** scope; a coroutine's slots for AsyncExitStack), its numbers in C:
**   es_unwind_init (the arguments); es_unwind_start (when the unwinding
**   really starts); while (es_unwind_pop() > 0) { run the entry at
**   v + U_ENTRY (es_run_entry, or es_start_entry and await it when
**   async); es_unwind_after(its result, or wy_error() with its exception
**   pending) }; es_unwind_end.
** Between two steps of AsyncExitStack.__aexit__ the numbers wait in v's
** last slots (es_unwind_save / es_unwind_load). */
enum {
  U_SELF, U_DETAILS, U_DETAILS_1, U_DETAILS_2, U_FRAME_EXC, U_ENTRY, U_ENTRY_1, U_ENTRY_2, U_ENTRY_3,
  U_NDETAILS, U_FLAGS, U_POSITION, U_KIND, UNWIND_N
};
typedef struct EsUnwind {
  wy_Value *v;       /* UNWIND_N values */
  int ndetails;      /* how many exception details the next exit gets */
  int flags;         /* what has happened so far (exitstack.c's F_*) */
  int kind;          /* the popped entry's kind (ENTRY_*, with ENTRY_ASYNC) */
  int64_t position;  /* its 1-based position in the stack, for traces */
} EsUnwind;
void es_unwind_init(EsUnwind *uw, wy_Value *v, wy_Value self, int ndetails, const wy_Value *details);
void es_unwind_start(wy_State *W, EsUnwind *uw);
int es_unwind_pop(wy_State *W, EsUnwind *uw);         /* 1: an entry at v + U_ENTRY; 0: done; -1 */
int es_unwind_after(wy_State *W, EsUnwind *uw, wy_Value result);   /* 0 or -1 */
wy_Value es_unwind_end(wy_State *W, EsUnwind *uw);
void es_unwind_save(wy_State *W, const EsUnwind *uw);
void es_unwind_load(wy_State *W, EsUnwind *uw, wy_Value *v);
/* call the popped entry: its raw result (an async entry's awaitable) */
wy_Value es_start_entry(wy_State *W, const EsUnwind *uw);
/* run the popped sync entry: its result (a callback's is None) */
wy_Value es_run_entry(wy_State *W, const EsUnwind *uw);
/* callback(fn, *args, **kwds) / push_async_callback: push an entry of kind */
wy_Value es_push_callback(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, int kind,
                          const char *qualname);

/* the methods both stacks share (enter_context, push, callback, pop_all) */
extern const wy_Method es_base_methods[];
/* exitstack_async.c: adds AsyncExitStack, a subclass of the module's
** _BaseExitStack (std_exitstack_add made it) */
int es_async_add(wy_State *W, wy_Value m, ContextlibState *st);

#endif
