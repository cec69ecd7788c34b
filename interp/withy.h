/* withy.h — the one public header of withy, for embedders and for the
** modules under stdlib/ (which use nothing else).
**
** Values cross the boundary as wy_Value, a small opaque struct passed by
** value. Lifetime rule (like a V8 handle scope): every value your C
** function receives, and every value it creates through this API, stays
** alive until your function returns. To keep one longer (in a C struct,
** across calls), pin it with wy_pin and release it with wy_unpin.
**
** Errors are values too: a function that fails returns wy_error() after
** raising a Python exception with wy_raise; wy_is_error() tests for it.
** Every API call that can fail says so and returns that sentinel (or -1).
*/
#ifndef WITHY_H
#define WITHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WY_VERSION "0.1.0"

typedef struct wy_State wy_State;

/* opaque: do not read the fields */
typedef struct wy_Value {
  uint64_t tag_;
  union { int64_t i_; double f_; void *p_; } u_;
} wy_Value;

/* A C function callable from scripts. argv[0..argc-1] are the positional
** arguments; for a method, argv[0] is self. Keyword arguments are in
** kwargs (a dict) or wy_none() when there are none. Return a value, or
** wy_error() after wy_raise. */
typedef wy_Value (*wy_CFunction)(wy_State *W, int argc, const wy_Value *argv,
                                 wy_Value kwargs, void *userdata);

/* ---- lifecycle and running code ---- */
wy_State *wy_open(void);            /* NULL if out of memory */
void wy_close(wy_State *W);
void wy_set_argv(wy_State *W, int argc, char **argv);   /* sys.argv */

enum { WY_OK = 0, WY_ERROR = 1, WY_EXIT = 2 };
/* Run a script file / source text as __main__. Return WY_OK, WY_ERROR
** (an exception escaped: wy_print_error prints it), or WY_EXIT (SystemExit:
** wy_exit_status gives the status). */
int wy_run_file(wy_State *W, const char *path);
int wy_run_string(wy_State *W, const char *src, const char *filename);
int wy_exit_status(wy_State *W);
/* print the pending exception's traceback to stderr, then clear it */
void wy_print_error(wy_State *W);

/* ---- making values ---- */
wy_Value wy_none(void);
wy_Value wy_bool(bool b);
wy_Value wy_int(int64_t i);
wy_Value wy_float(double d);
wy_Value wy_str(wy_State *W, const char *utf8);
wy_Value wy_strn(wy_State *W, const char *utf8, size_t len);
wy_Value wy_bytes(wy_State *W, const void *data, size_t len);
wy_Value wy_tuple(wy_State *W, int n, const wy_Value *items);
wy_Value wy_list(wy_State *W);
int wy_list_append(wy_State *W, wy_Value list, wy_Value item);
wy_Value wy_dict(wy_State *W);
int wy_dict_set(wy_State *W, wy_Value dict, const char *key, wy_Value value);
wy_Value wy_dict_get(wy_State *W, wy_Value dict, const char *key); /* wy_error() with no exception when absent */
wy_Value wy_error(void);
bool wy_is_error(wy_Value v);

/* ---- reading values ---- */
bool wy_is_none(wy_Value v);
bool wy_is_int(wy_Value v);         /* int or bool */
bool wy_is_float(wy_Value v);
bool wy_is_str(wy_Value v);
bool wy_is_bytes(wy_Value v);
const char *wy_type_name(wy_State *W, wy_Value v);
/* conversions that raise TypeError with Python's message and return -1 */
int wy_to_int(wy_State *W, wy_Value v, int64_t *out);
int wy_to_float(wy_State *W, wy_Value v, double *out);   /* int or float */
/* str contents: valid while v is alive; NULL + TypeError when not a str */
const char *wy_to_str(wy_State *W, wy_Value v, size_t *len);
const void *wy_to_bytes(wy_State *W, wy_Value v, size_t *len);
int wy_truthy(wy_State *W, wy_Value v);  /* 1/0/-1 */
int64_t wy_len(wy_State *W, wy_Value v); /* -1 on error */
bool wy_is(wy_Value a, wy_Value b);

/* ---- objects ---- */
wy_Value wy_getattr(wy_State *W, wy_Value obj, const char *name);
int wy_setattr(wy_State *W, wy_Value obj, const char *name, wy_Value value);
bool wy_hasattr(wy_State *W, wy_Value obj, const char *name);
wy_Value wy_call(wy_State *W, wy_Value callable, int argc, const wy_Value *argv);
/* callable(*argv, **kwargs); kwargs is a dict with str keys, or None */
wy_Value wy_call_kw(wy_State *W, wy_Value callable, int argc, const wy_Value *argv, wy_Value kwargs);
/* obj.name(*argv), as Python code would call it (instance attributes, module functions…) */
wy_Value wy_call_method(wy_State *W, wy_Value obj, const char *name, int argc, const wy_Value *argv);
int wy_delattr(wy_State *W, wy_Value obj, const char *name);
wy_Value wy_repr(wy_State *W, wy_Value v);   /* a str value */
wy_Value wy_str_of(wy_State *W, wy_Value v); /* str(v) */
wy_Value wy_getitem(wy_State *W, wy_Value obj, wy_Value key);
wy_Value wy_iter(wy_State *W, wy_Value v);
/* next item; wy_error() at the end with NO exception pending, or with one on error */
wy_Value wy_next(wy_State *W, wy_Value it);
bool wy_error_pending(wy_State *W);

/* ---- exceptions ---- */
/* raise a builtin exception by class name ("TypeError", "OSError", …) */
wy_Value wy_raise(wy_State *W, const char *exc_class, const char *fmt, ...);
/* raise an exception object or class (raise statement semantics) */
wy_Value wy_raise_value(wy_State *W, wy_Value exc);
/* raise the OSError subclass for errno (FileNotFoundError…), with filename */
wy_Value wy_raise_errno(wy_State *W, int err, const char *filename);
bool wy_error_matches(wy_State *W, const char *exc_class);
wy_Value wy_fetch_error(wy_State *W);  /* take the pending exception (wy_none() if none) */
void wy_clear_error(wy_State *W);
wy_Value wy_handled_exception(wy_State *W); /* sys.exc_info()[1], or None */
wy_Value wy_builtin(wy_State *W, const char *name);  /* a builtin by name (a type, exception class, function) */

/* ---- pinning ---- */
typedef struct wy_Pin wy_Pin;
wy_Pin *wy_pin(wy_State *W, wy_Value v);
wy_Value wy_pinned(wy_Pin *p);
void wy_unpin(wy_State *W, wy_Pin *p);

/* ---- modules, functions, classes ---- */
typedef int (*wy_ModuleInit)(wy_State *W, wy_Value module);
/* make `import name` load a C module: init fills it (wy_module_set / wy_def) */
int wy_register_module(wy_State *W, const char *name, wy_ModuleInit init);
int wy_module_set(wy_State *W, wy_Value module, const char *name, wy_Value value);
wy_Value wy_import(wy_State *W, const char *name);
/* a C function object */
wy_Value wy_function(wy_State *W, const char *name, wy_CFunction fn, void *userdata);
/* define a function in a module */
int wy_def(wy_State *W, wy_Value module, const char *name, wy_CFunction fn, void *userdata);
/* A C function that carries a Python value (read it inside the call with
** wy_closure_data) and, stored in a class, binds to instances like a
** Python function does (self becomes argv[0]). For decorators and
** wrappers written in C. */
wy_Value wy_closure(wy_State *W, const char *name, wy_CFunction fn, wy_Value data);
/* the value given to wy_closure, inside that closure's call (else None) */
wy_Value wy_closure_data(wy_State *W);
/* add or replace a builtin (e.g. open) */
int wy_set_builtin(wy_State *W, const char *name, wy_Value value);

/* A class implemented in C. methods: a {name, fn} table ended by {NULL};
** "__enter__"/"__exit__" make its instances context managers. base:
** wy_none() for object, or an exception class for exceptions. */
typedef struct wy_Method { const char *name; wy_CFunction fn; } wy_Method;
wy_Value wy_class(wy_State *W, const char *name, wy_Value base, const wy_Method *methods, void *userdata);
/* a static method / property in a class made with wy_class */
int wy_class_set(wy_State *W, wy_Value cls, const char *name, wy_Value value);
wy_Value wy_property(wy_State *W, wy_Value getter, wy_Value setter);

/* Instances carrying C data. finalize runs when the object is collected
** (never call withy from it); it is where a leaked resource is released. */
typedef void (*wy_Finalizer)(void *data);
wy_Value wy_new_instance(wy_State *W, wy_Value cls, void *data, wy_Finalizer finalize);
/* the C data of an instance of cls (or a subclass); NULL + TypeError otherwise */
void *wy_instance_data(wy_State *W, wy_Value obj, wy_Value cls);

/* set the C data of an instance (e.g. from a C __init__) */
int wy_set_instance_data(wy_State *W, wy_Value obj, void *data, wy_Finalizer finalize);

/* ---- the interpreter ---- */
wy_Value wy_modules(wy_State *W);        /* sys.modules */
int wy_recursion_limit(wy_State *W);
void wy_set_recursion_limit(wy_State *W, int limit);
/* async-signal-safe: raise KeyboardInterrupt in the running code at the next check */
void wy_interrupt(wy_State *W);
/* 0, or -1 with KeyboardInterrupt raised when wy_interrupt was called since
** the last check (clears the request): for C code that blocks (time.sleep,
** waits on I/O) and must stop on Ctrl-C. */
int wy_check_interrupt(wy_State *W);

/* ---- shortcuts for C modules: state in slots, generators, types ---- */
/* Give each instance of a wy_class class n Value slots: C state that the
** collector keeps alive and scripts cannot see (subclasses inherit them).
** Call before the first instance is made. */
int wy_class_slots(wy_State *W, wy_Value cls, int n);
/* 1 with *out = slot i, 0 when the slot is empty, -1 on a bad object/index */
int wy_get_slot(wy_State *W, wy_Value obj, int i, wy_Value *out);
/* store value in slot i (wy_error() empties it); -1 on a bad object/index */
int wy_set_slot(wy_State *W, wy_Value obj, int i, wy_Value value);
/* The slots themselves (*n of them), for hot paths: read and write them in
** place (an empty one holds wy_error()). A value read there is kept alive
** by obj only while it stays in its slot. NULL with TypeError raised when
** obj is not an instance of a wy_class class. */
wy_Value *wy_slots(wy_State *W, wy_Value obj, int *n);
/* Resume a generator (or any iterator, through __next__/send) with value:
** 1 when it yielded (*out = the value), 0 when it finished (*out = its
** return value, no StopIteration is made), -1 with an exception raised. */
int wy_send(wy_State *W, wy_Value it, wy_Value value, wy_Value *out);
/* gen.throw(exc) with the same results; for an object that is not a
** generator its throw() method is called and a StopIteration from it is
** reported as an error (-1), as Python code would see it */
int wy_throw(wy_State *W, wy_Value it, wy_Value exc, wy_Value *out);
wy_Value wy_type_of(wy_State *W, wy_Value v);                       /* type(v) */
int wy_isinstance(wy_State *W, wy_Value v, wy_Value cls);           /* 1/0/-1 */
int wy_issubclass(wy_State *W, wy_Value cls, wy_Value classinfo);   /* 1/0/-1 */
/* getattr(type(obj), name): how the with statement finds __enter__ */
wy_Value wy_lookup_special(wy_State *W, wy_Value obj, const char *name);
/* the same, but a name that is absent gives wy_error() with no exception
** set (another error stays raised), and the miss costs no exception */
wy_Value wy_lookup_special_opt(wy_State *W, wy_Value obj, const char *name);
/* Both halves of the context manager protocol at once: *enter and *exit
** as wy_lookup_special gives type(cm).__enter__ and type(cm).__exit__
** (unbound: call them with cm first), through the with statement's
** per-class cache. -1 with AttributeError raised when one is missing. */
int wy_context_methods(wy_State *W, wy_Value cm, wy_Value *enter, wy_Value *exit);
/* callable(*args, **kwargs): args a tuple, kwargs a dict or None */
wy_Value wy_call_args(wy_State *W, wy_Value callable, wy_Value args, wy_Value kwargs);
wy_Value wy_list_pop(wy_State *W, wy_Value list);   /* list.pop() */
/* Several items at once, for a C type that keeps fixed-width records in a
** list: append items[0..n) (one growth at most), and move the last n items
** into out[0..n) in list order, shortening the list (IndexError "pop from
** empty list" when it holds fewer, leaving it as it was). -1 on error. */
int wy_list_extend(wy_State *W, wy_Value list, int n, const wy_Value *items);
int wy_list_pop_n(wy_State *W, wy_Value list, int n, wy_Value *out);
/* room for `total` items in all, so that appends up to that length do not
** reallocate (the length does not change); -1 on error */
int wy_list_reserve(wy_State *W, wy_Value list, int64_t total);

/* ---- interactive use (the REPL) ---- */
enum { WY_SOURCE_COMPLETE = 0, WY_SOURCE_INCOMPLETE = 1, WY_SOURCE_ERROR = 2 };
/* Whether src — the lines typed so far, each ended by '\n' — is one
** complete statement, needs more lines ("... "), or is a syntax error
** (wy_run_interactive then raises it), decided as python3's REPL does: a
** compound statement ends only at an empty line; an open bracket, string
** or backslash continuation always asks for more. */
int wy_source_status(wy_State *W, const char *src);
/* Run one interactive statement in __main__, compiled in Python's 'single'
** mode: the value of an expression statement is printed with repr (unless
** None) and kept in builtins._ . Returns as wy_run_string. */
int wy_run_interactive(wy_State *W, const char *src, const char *filename);
/* __main__'s namespace (a dict), made on first use */
wy_Value wy_main_globals(wy_State *W);
/* the value of a Python expression evaluated in __main__'s namespace */
wy_Value wy_eval(wy_State *W, const char *expr);

/* ---- tracing: the context-manager protocol step by step (docs/tracing.md) ---- */
/* One step of the protocol. Every field but event may be NULL (not part of
** this event); the strings live until the sink returns. */
typedef struct wy_TraceEvent {
  const char *event;    /* with, protocol_error, enter, entered, enter_error,
                           body_exit, exit, exit_result, exit_error, gen_next,
                           gen_throw, stack_push, stack_unwind, acquire,
                           release, leak; async with: aenter, aexit (then
                           entered / exit_result when the await ends),
                           task_suspend, task_resume */
  const char *file;     /* where the script is (filled in by the core) */
  int line;
  int depth;            /* managers entered and not yet exited */
  const char *manager;  /* the manager, described: "<Tx object>" */
  const char *value;    /* the value the step produced (enter's result, a yielded value) */
  const char *target;   /* entered: the `as` target, e.g. "tx" */
  const char *how;      /* body_exit: normal, exception, break, continue, return */
  const char *exc;      /* the exception involved, e.g. "KeyError('k')" */
  const char *args;     /* exit: the three arguments, e.g. "(None, None, None)" */
  const char *result;   /* exit_result: what __exit__ returned */
  const char *verdict;  /* suppressed, propagated, replaced, raised, finished… */
  const char *message;  /* the rest, as words */
} wy_TraceEvent;
typedef void (*wy_TraceSink)(wy_State *W, const wy_TraceEvent *ev, void *userdata);
/* Install a sink (NULL turns tracing off). A sink must not call back into
** the interpreter: it only records or prints what it is given. */
void wy_set_trace_sink(wy_State *W, wy_TraceSink sink, void *userdata);
bool wy_tracing(wy_State *W);
/* for C modules: report ev (file, line and depth are filled in); a no-op
** when tracing is off */
void wy_trace_emit(wy_State *W, wy_TraceEvent *ev);
/* a short description of v for a trace, made without running script code */
wy_Value wy_describe(wy_State *W, wy_Value v);

typedef enum { WY_TRACE_OFF = 0, WY_TRACE_TEXT = 1, WY_TRACE_JSON = 2 } wy_TraceFormat;
/* The built-in sinks: events to out (line-flushed) as readable text
** (Unicode when the locale is UTF-8, colour on a terminal unless NO_COLOR
** is set) or as JSON lines; WY_TRACE_OFF stops tracing. out stays the
** caller's (never closed). */
int wy_trace_to_file(wy_State *W, FILE *out, wy_TraceFormat format);
/* The context managers active now, innermost first, as a list of short
** descriptions (str); after a run stopped by KeyboardInterrupt, those that
** were active where it stopped. */
wy_Value wy_manager_stack(wy_State *W);

/* ---- async: C coroutines, futures, tasks, the event loop (docs/embedding.md "Async") ----
** One event loop lives in each wy_State. It runs only inside
** wy_run_until_complete (asyncio.run is built on it); everything below
** may be called at any time from the loop's thread, never from another. */

/* A coroutine written in C: a state machine the awaiting code drives.
** step runs first with how = WY_RESUME_START and in = None. It returns
**   WY_STEP_AWAIT  *out = an awaitable (coroutine, future, anything with
**                  __await__) to wait for; when it finishes, step runs
**                  again with WY_RESUME_VALUE and in = its result, or with
**                  WY_RESUME_ERROR and its exception pending;
**   WY_STEP_YIELD  *out is yielded as is to whatever drives the coroutine
**                  (to a task: None = "run me again soon", a future = "wake
**                  me when it is done"); the value sent back arrives as
**                  WY_RESUME_VALUE;
**   WY_STEP_RETURN *out = the coroutine's result;
**   WY_STEP_ERROR  after raising (or to let a pending exception go on).
** A cancellation or close() arrives as WY_RESUME_ERROR with CancelledError
** or GeneratorExit pending (after the awaited object was told first).
** On WY_RESUME_ERROR, step either handles the exception (wy_fetch_error)
** or returns WY_STEP_ERROR with it still pending. state is the
** coroutine's memory between steps (e.g. a wy_class instance with slots);
** the coroutine keeps it alive. type(coro).__name__ is "coroutine" and the
** repr names it `name`, like a Python coroutine; `name` is kept as a
** pointer (pass a string literal, or one that outlives the coroutine). */
typedef enum { WY_RESUME_START, WY_RESUME_VALUE, WY_RESUME_ERROR } wy_Resume;
typedef enum { WY_STEP_RETURN, WY_STEP_AWAIT, WY_STEP_YIELD, WY_STEP_ERROR } wy_Step;
typedef wy_Step (*wy_CoroStep)(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out);
wy_Value wy_coroutine(wy_State *W, const char *name, wy_CoroStep step, wy_Value state);

/* The core's async classes, by name: "Future", "Task", "Handle" (what
** call_soon/call_later return: cancel(), cancelled(), when()),
** "CancelledError" (a BaseException), "InvalidStateError". asyncio
** re-exports them. wy_error() + NameError for another name. */
wy_Value wy_async_class(wy_State *W, const char *name);

/* Futures (asyncio.Future's semantics; awaiting one suspends the task until
** it is done). Done callbacks run from the loop, soon after, in order. */
enum { WY_FUTURE_PENDING = 0, WY_FUTURE_DONE = 1, WY_FUTURE_CANCELLED = 2 };
wy_Value wy_future(wy_State *W);                                 /* a new pending future */
int wy_future_state(wy_State *W, wy_Value fut);                  /* WY_FUTURE_*, -1 + TypeError if not a future */
int wy_future_set_result(wy_State *W, wy_Value fut, wy_Value result);  /* -1 + InvalidStateError when done */
int wy_future_set_exception(wy_State *W, wy_Value fut, wy_Value exc);  /* an exception instance or class */
/* fut.cancel(msg) (tasks too: the task is told at its await point): 1 when
** the cancellation was requested, 0 when fut was already done; msg None or a str */
int wy_future_cancel(wy_State *W, wy_Value fut, wy_Value msg);
/* fut.result(): its result, or raises its exception / CancelledError /
** InvalidStateError("Result is not set.") */
wy_Value wy_future_result(wy_State *W, wy_Value fut);
/* call cb(W, arg) from the loop once fut is done (right away, soon, if it
** is); an exception cb leaves pending is reported on stderr like asyncio's
** "Exception in callback" and cleared */
typedef void (*wy_Callback)(wy_State *W, wy_Value arg);
int wy_future_on_done(wy_State *W, wy_Value fut, wy_Callback cb, wy_Value arg);

/* Tasks: a coroutine scheduled on the loop (asyncio.create_task). name: a
** str, or None for "Task-N". The coroutine starts on the next loop turn. */
wy_Value wy_task(wy_State *W, wy_Value coro, wy_Value name);
wy_Value wy_current_task(wy_State *W);     /* the running task, or None */
wy_Value wy_all_tasks(wy_State *W);        /* a list of the tasks not done yet */

/* The loop. Time is monotonic seconds. call_soon / call_later run
** callable(*args) (args a tuple or None) and return a Handle whose cancel()
** stops it. */
double wy_loop_time(wy_State *W);
bool wy_loop_running(wy_State *W);
wy_Value wy_call_soon(wy_State *W, wy_Value callable, wy_Value args);
wy_Value wy_call_later(wy_State *W, double delay, wy_Value callable, wy_Value args);
/* a future that is done with result after delay seconds (the core of
** asyncio.sleep; cancelling it drops the timer) */
wy_Value wy_sleep_future(wy_State *W, double delay, wy_Value result);
/* A future done when fd is ready: its result is the events that happened
** (WY_READABLE | WY_WRITABLE, or WY_FD_ERROR on POLLERR/POLLHUP/POLLNVAL).
** Cancelling it stops the watch. How a C module awaits a socket. */
enum { WY_READABLE = 1, WY_WRITABLE = 2, WY_FD_ERROR = 4 };
wy_Value wy_wait_fd(wy_State *W, int fd, int events);
/* Run work(data) on a worker thread (it must not call withy), then
** done(W, data) on the loop's thread: its return value (or the exception
** it raised, returning wy_error()) completes the returned future. done
** always runs exactly once, even when the future was cancelled meanwhile
** (its result is then dropped) or the state is closed first: free data there. */
typedef void (*wy_WorkFn)(void *data);
typedef wy_Value (*wy_WorkDone)(wy_State *W, void *data);
wy_Value wy_run_in_thread(wy_State *W, wy_WorkFn work, wy_WorkDone done, void *data);
/* Run the loop until awaitable (a coroutine, task or future) is done and
** return its result (or wy_error() with its exception raised). A coroutine
** becomes a task. RuntimeError when the loop is already running. The tasks
** still pending afterwards stay pending (asyncio.run cancels them). */
wy_Value wy_run_until_complete(wy_State *W, wy_Value awaitable);

/* ---- limits and the heap ---- */
void wy_set_memory_limit(wy_State *W, size_t bytes);  /* 0 = none */
/* a full collection now; returns the number of objects still alive */
int64_t wy_gc_collect(wy_State *W);
/* every object alive on the heap now (after a collection: the reachable
** ones), as a list — for leak checks (gc.get_objects) */
wy_Value wy_gc_objects(wy_State *W);
size_t wy_heap_bytes(wy_State *W);   /* bytes the heap holds now */

#ifdef __cplusplus
}
#endif
#endif
