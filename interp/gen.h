/* gen.h — generators, coroutines and async generators: a GenObj owns a
** suspended heap Frame; send/throw/close resume it through
** vm_resume_frame. yield from / await delegation (throw and close passed
** to the sub-iterator) lives here. */
#ifndef WITHY_GEN_H
#define WITHY_GEN_H

#include "object.h"
#include "vm.h"

typedef enum GenState { GEN_CREATED, GEN_SUSPENDED, GEN_RUNNING, GEN_CLOSED } GenState;
typedef enum GenKind { GENK_GENERATOR, GENK_COROUTINE, GENK_ASYNC_GENERATOR } GenKind;

struct GenObj {
  Obj obj;
  Frame *frame;           /* NULL once finished */
  StrObj *name, *qualname;
  ExcState exc_state;     /* its own handled exception, pushed while it runs */
  uint8_t state;          /* GenState */
  uint8_t kind;           /* GenKind */
  bool running_async;     /* async generator bookkeeping (issue: async) */
  CodeObj *code;          /* gi_code, kept after the frame is gone (added by the VM helper) */
  bool ag_closed;         /* async generator: aclose() started, or it ended by
                             StopAsyncIteration/GeneratorExit (added by the VM helper) */
};

#define IS_GEN(v) IS_KIND(v, K_GEN)
#define AS_GEN(v) ((GenObj *)AS_OBJ(v))

/* wrap a fresh frame of a generator/coroutine function (called by the VM
** when such a function is called) */
GenObj *gen_new(VM *vm, Frame *f, FuncObj *func);

/* The three resumption primitives. Return 1 with *out = yielded value,
** 0 with *out = the return value (generator finished: callers that want
** Python semantics turn that into StopIteration(value)), -1 with the
** exception pending (PEP 479: a StopIteration escaping the body becomes
** RuntimeError("generator raised StopIteration")). Errors with Python's
** messages: "generator already executing", "can't send non-None value to
** a just-started generator", "cannot reuse already awaited coroutine". */
int gen_send(VM *vm, GenObj *g, Value v, Value *out);
int gen_throw(VM *vm, GenObj *g, ExcObj *exc, Value *out);
/* close(): throw GeneratorExit; "generator ignored GeneratorExit" */
int gen_close(VM *vm, GenObj *g);

/* ---- resuming inside the running VM loop (vm.c) ----
** FOR_ITER, SEND, g.send()/next(g)/g.throw() resume a generator's frame
** on top of the caller's in the same dispatch loop, with no C re-entry.
** gen_inline_enter makes the state changes gen_resume makes before running
** the frame, or returns false, changing nothing, when the C path must take
** it (closed, running, an error to raise, an async generator, the
** recursion limit, a throw into a never-started generator).
** gen_inline_leave makes those after: r as gen_send's result (it finishes
** the generator and frees its frame on 0 and -1; on -1 it applies PEP 479
** to the pending exception). */
bool gen_inline_enter(VM *vm, GenObj *g, Value sent, bool throwing);
void gen_inline_leave(VM *vm, GenObj *g, int r);

/* ---- added by the VM helper: the opcodes' side of delegation ---- */

/* SEND on any iterator (generator, coroutine, the async-generator
** awaitables, builtin iterators, objects with __next__/send): 1 with
** *out yielded, 0 with *out the return value (StopIteration's value), -1
** with the exception pending */
int gen_iter_send(VM *vm, Value it, Value v, Value *out);
/* throw into any iterator (generator, C awaitable, or its throw() method;
** one without throw() gets the exception raised): results as gen_iter_send */
int gen_iter_throw(VM *vm, Value it, ExcObj *exc, Value *out);
/* throw()'s arguments (typ[, val[, tb]]) made into the exception to throw */
ExcObj *gen_throw_args(VM *vm, Value typ, Value val, Value tb);
/* a resumption's result as send() returns it: the value, StopIteration(v) raised, or V_UNDEF */
Value gen_send_result(VM *vm, int r, Value v);
/* the sub-iterator a suspended generator delegates to (yield from /
** await), or V_UNDEF */
Value gen_delegate(GenObj *g);
/* ASYNC_GEN_WRAP: mark an async generator's yielded value */
Value gen_async_wrap(VM *vm, Value v);
/* GET_AWAITABLE (where: 0 await, 1 the result of __aenter__, 2 of
** __aexit__), GET_AITER, GET_ANEXT (the awaitable of __anext__) */
Value gen_get_awaitable(VM *vm, Value o, int where);
Value gen_get_aiter(VM *vm, Value o);
Value gen_get_anext(VM *vm, Value aiter);
/* GET_YIELD_FROM_ITER in code `co` */
Value gen_yield_from_iter(VM *vm, Value o, CodeObj *co);

void gen_warn_unawaited(VM *vm, bool all);   /* the collector, before a sweep */
void gen_types_init(VM *vm);   /* generator, coroutine, async_generator types + methods */
void gen_trace(VM *vm, Obj *o);
void gen_free(VM *vm, Obj *o);

#endif
