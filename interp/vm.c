/* vm.c — the dispatch loop: execute() runs frames until its entry frame
** returns, yields (generators) or lets an exception escape. Calls of
** Python functions push a heap frame and stay in the same loop (no C
** recursion); calls into C (natives, dunders run on behalf of an opcode)
** re-enter through obj_call and come back as a nested execute().
**
** Conventions inside the loop:
**  - `sp`, `ip` live in registers; SYNC() stores them in the frame before
**    anything that may run Python code or reach a GC safe point. Handlers
**    SYNC before popping their operands, so the operands stay visible to
**    the GC (frame->sp covers them) while the operation runs.
**  - an error jumps to `error` (adds a traceback entry for this
**    instruction) or `exception_unwind` (re-raises keep the traceback).
**  - the opcodes' heavier helpers are in vm_with.c (with, raise, unpack,
**    merge, format) and gen.c (send, await, async iteration). */
#include <string.h>
#include "trace.h"
#include "vm.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "frame_simple.h"
#include "gen.h"
#include "str.h"
#include "num.h"
#include "tuple.h"
#include "list.h"
#include "dict.h"
#include "set.h"
#include "range.h"
#include "type.h"
#include "module.h"
#include "opcodes.h"

enum { EXEC_ERROR = -1, EXEC_RETURN = 0, EXEC_YIELD = 1 };

/* Full-width stores of the values the loop makes itself. value.h's
** constructors leave the 7 padding bytes after the tag unwritten, so the
** compiler stores the tag as a single byte; the next 8- or 16-byte load of
** that slot (a copy to a local, STORE_FAST, RETURN_VALUE) then cannot be
** forwarded from the store buffer and stalls (measured: ~6 ns against
** ~0.6 ns on this image's CPU). Writing both words avoids it. */
typedef union ValueBits {
  Value v;
  uint64_t w[2];
} ValueBits;

static inline void slot_set(Value *slot, uint64_t tag, uint64_t payload) {
  ValueBits b;
  b.w[0] = tag;
  b.w[1] = payload;
  *slot = b.v;
}
#define SET_INT(slot, i) slot_set((slot), VT_INT, (uint64_t)(int64_t)(i))
#define SET_BOOL(slot, b) slot_set((slot), VT_BOOL, (b) ? 1u : 0u)
#define SET_OBJ(slot, p) slot_set((slot), VT_OBJ, (uint64_t)(uintptr_t)(p))
static inline void set_float(Value *slot, double f) {
  uint64_t bits;
  memcpy(&bits, &f, sizeof bits);
  slot_set(slot, VT_FLOAT, bits);
}

#define GEN_FLAGS (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)

/* Slow paths stay out of line: inlined into execute() they raise the
** register pressure of the whole loop (sp and ip get spilled). */
#if defined(__GNUC__)
#define COLD __attribute__((noinline, cold))
#define NOINLINE __attribute__((noinline))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#define COLD
#define NOINLINE
#define UNLIKELY(x) (x)
#endif

/* obj_type with the heap-object case inline: the loop asks on every
** attribute, method and iterator step */
static ALWAYS_INLINE Type *type_of(VM *vm, Value v) { return IS_OBJ(v) ? AS_OBJ(v)->type : obj_type(vm, v); }

/* inline-cache kinds for LOAD_GLOBAL (stored in InlineCache.key) */
#define GCACHE_GLOBALS ((void *)1)
#define GCACHE_BUILTINS ((void *)2)

/* ---- small helpers (slow paths kept out of the loop body) ---- */

COLD static void raise_unbound_local(VM *vm, StrObj *name) {
  exc_raise(vm, EXC(vm, UnboundLocalError),
            "cannot access local variable '%U' where it is not associated with a value", name);
}

COLD static void raise_unbound_deref(VM *vm, CodeObj *co, uint32_t k) {
  if ((int32_t)k < co->ncells)
    raise_unbound_local(vm, co->cellnames[k]);
  else
    exc_raise(vm, EXC(vm, NameError),
              "cannot access free variable '%U' where it is not associated with a value in enclosing scope",
              co->freenames[k - (uint32_t)co->ncells]);
}

COLD static void raise_name_error(VM *vm, StrObj *name) {
  exc_raise(vm, EXC(vm, NameError), "name '%U' is not defined", name);
}

/* KeyboardInterrupt (SIGINT) and the sandbox's instruction budget, checked
** at loop back-edges and calls */
COLD static int eval_breaker(VM *vm) {
  if (vm->interrupted) {
    vm->interrupted = 0;
    trace_note_interrupt(vm);
    ExcObj *e = exc_new(vm, EXC(vm, KeyboardInterrupt), NULL);
    if (e) exc_raise_obj(vm, e);
    return -1;
  }
  if (vm->instr_budget >= 0) {
    if (vm->instr_budget == 0) {
      exc_raise(vm, EXC(vm, RuntimeError), "instruction budget exhausted");
      return -1;
    }
    vm->instr_budget--;
  }
  return 0;
}

/* the index of the entry whose key is `name` itself (interned), or -1 */
static int64_t dict_entry_of(DictObj *d, StrObj *name) {
  for (int64_t i = 0; i < d->used; i++)
    if (d->entries[i].key.tag == VT_OBJ && d->entries[i].key.u.o == (Obj *)name) return i;
  return -1;
}

static ALWAYS_INLINE bool cached_entry(DictObj *d, uint32_t idx, StrObj *name, Value *out) {
  if (idx >= d->used) return false;
  DictEntry *e = &d->entries[idx];
  if (e->key.tag != VT_OBJ || e->key.u.o != (Obj *)name) return false;
  *out = e->value;
  return true;
}

NOINLINE static Value load_global_slow(VM *vm, Frame *f, StrObj *name, InlineCache *c) {
  Value v = dict_get_str(vm, f->globals, name);
  if (!IS_UNDEF(v)) {
    int64_t idx = dict_entry_of(f->globals, name);
    if (idx >= 0 && idx <= UINT32_MAX) {
      c->value = v_obj(f->globals);
      c->key = GCACHE_GLOBALS;
      c->index = (uint32_t)idx;
    }
    return v;
  }
  if (exc_pending(vm)) return V_UNDEF;
  v = dict_get_str(vm, f->builtins, name);
  if (!IS_UNDEF(v)) {
    int64_t idx = f->builtins == vm->builtins ? dict_entry_of(f->builtins, name) : -1;
    if (idx >= 0 && idx <= UINT32_MAX) {
      c->value = v_obj(f->globals);
      c->key = GCACHE_BUILTINS;
      c->version = f->globals->version;
      c->index = (uint32_t)idx;
    }
    return v;
  }
  if (!exc_pending(vm)) raise_name_error(vm, name);
  return V_UNDEF;
}

NOINLINE static Value load_name(VM *vm, Frame *f, StrObj *name) {
  Value v;
  if (f->locals_dict) {
    v = dict_get_str(vm, f->locals_dict, name);
    if (!IS_UNDEF(v) || exc_pending(vm)) return v;
  }
  v = dict_get_str(vm, f->globals, name);
  if (!IS_UNDEF(v) || exc_pending(vm)) return v;
  v = dict_get_str(vm, f->builtins, name);
  if (!IS_UNDEF(v) || exc_pending(vm)) return v;
  raise_name_error(vm, name);
  return V_UNDEF;
}

/* Can the attribute/method caches look at instances of t? Only plain
** user-class instances whose attribute access is the generic protocol. */
static inline bool cacheable_instance(Type *t) {
  return t->layout == K_INSTANCE && t->getattr == generic_getattr;
}

/* Does c (LOAD_ATTR's or STORE_ATTR's) say "o's class has no descriptor
** for the name, which sits in the instance dict"? Only the slow paths
** below fill it, for classes of instance layout (cacheable_instance), and
** a class fixes its instances' layout (__class__ assignment keeps it), so
** a match of o's class means o is a plain instance. */
static ALWAYS_INLINE bool instance_attr_cached(const InlineCache *c, Value o) {
  return IS_OBJ(o) && c->key == NULL && c->value.u.o == (Obj *)AS_OBJ(o)->type &&
         c->version == AS_OBJ(o)->type->version;
}

/* LOAD_ATTR's slow path: the generic lookup, then remember "not on the
** type, lives in the instance dict" for plain instances */
NOINLINE static Value load_attr_slow(VM *vm, Value o, StrObj *name, InlineCache *c) {
  Value v = obj_getattr(vm, o, name);
  if (IS_UNDEF(v) || !IS_INSTANCE(o)) return v;
  Type *t = AS_OBJ(o)->type;
  InstanceObj *inst = AS_INSTANCE(o);
  if (!cacheable_instance(t)) return v;
  Value on_type = type_lookup(vm, t, name);
  if (IS_BOUND(v) && IS_FUNC(on_type) && v_is(AS_BOUND(v)->func, on_type) && v_is(AS_BOUND(v)->self, o)) {
    /* a method read as a value (`cb = obj.meth`): remember the function;
    ** key non-NULL tells this kind from the instance-dict one */
    c->value = v_obj(t);
    c->version = t->version;
    c->key = AS_OBJ(on_type);
    return v;
  }
  if (!inst->dict || !IS_UNDEF(on_type)) return v;
  int64_t idx = dict_entry_of(inst->dict, name);
  if (idx < 0 || idx > UINT32_MAX) return v;
  c->value = v_obj(t);
  c->version = t->version;
  c->index = (uint32_t)idx;
  c->key = NULL;
  return v;
}

NOINLINE static int store_attr_slow(VM *vm, Value o, StrObj *name, Value v, InlineCache *c) {
  if (obj_setattr(vm, o, name, v) < 0) return -1;
  if (!IS_INSTANCE(o)) return 0;
  Type *t = AS_OBJ(o)->type;
  InstanceObj *inst = AS_INSTANCE(o);
  if (!cacheable_instance(t) || t->setattr != generic_setattr || !inst->dict) return 0;
  if (!IS_UNDEF(type_lookup(vm, t, name))) return 0;
  int64_t idx = dict_entry_of(inst->dict, name);
  if (idx < 0 || idx > UINT32_MAX) return 0;
  c->value = v_obj(t);
  c->version = t->version;
  c->index = (uint32_t)idx;
  c->key = NULL;
  return 0;
}

/* LOAD_METHOD's slow path; caches "type(o).name is a plain function (or
** native method) and the instance cannot shadow it" */
NOINLINE static int load_method_slow(VM *vm, Value o, StrObj *name, InlineCache *c, Value *meth, Value *self) {
  if (obj_get_method(vm, o, name, meth, self) < 0) return -1;
  if (IS_UNDEF(*self)) return 0;
  Type *t = type_of(vm, o);
  bool ok;
  if (IS_INSTANCE(o))
    ok = cacheable_instance(t);
  else if (IS_KIND(o, K_FOREIGN))
    /* instances of C classes (wy_class) and of their subclasses: their
    ** attribute dict sits where an instance's does */
    ok = t->layout == K_FOREIGN && t->getattr == generic_getattr;
  else
    ok = !(t->flags & TF_HEAP) && !IS_KIND(o, K_TYPE) && !IS_KIND(o, K_MODULE) && !IS_KIND(o, K_EXC) &&
         !IS_KIND(o, K_FOREIGN) && !IS_KIND(o, K_FUNC) && !IS_KIND(o, K_INSTANCE);
  if (!ok || !IS_OBJ(*meth) || (t->getattr && t->getattr != generic_getattr)) return 0;
  if (!IS_FUNC(*meth) && !(IS_NATIVE(*meth) && (AS_NATIVE(*meth)->flags & NATIVE_METHOD))) return 0;
  Value found = type_lookup(vm, t, name);
  if (!v_is(found, *meth)) return 0;
  c->value = v_obj(t);
  c->version = t->version;
  c->key = AS_OBJ(*meth);
  return 0;
}

static ALWAYS_INLINE bool method_cache_hit(InlineCache *c, Type *t, Value o, StrObj *name, VM *vm) {
  /* a non-NULL key: value holds the class it was found on (v_obj) */
  if (c->key == NULL || c->value.u.o != (Obj *)t || c->version != t->version) return false;
  if (IS_INSTANCE(o) || IS_KIND(o, K_FOREIGN)) {
    DictObj *d = AS_INSTANCE(o)->dict;
    if (d && d->len > 0 && !IS_UNDEF(dict_get_str(vm, d, name))) return false;
  }
  return true;
}
_Static_assert(offsetof(InstanceObj, dict) == offsetof(ForeignObj, dict),
               "method_cache_hit reads a foreign object's dict as an instance's");

COLD static Value build_class_value(VM *vm) {
  if (IS_UNDEF(vm->build_class)) {
    NativeObj *n = native_new(vm, "__build_class__", builtin_build_class, 0);
    if (!n) return V_UNDEF;
    vm->build_class = v_obj(n);
  }
  return vm->build_class;
}

NOINLINE static Value make_function(VM *vm, Frame *f, uint32_t flags, Value *sp) {
  /* sp points one past the code object; the optional parts lie below it
  ** in the order defaults, kwdefaults, closure */
  Value code = sp[-1];
  Value *p = sp - 1;
  Value closure = V_UNDEF, kwdefaults = V_UNDEF, defaults = V_UNDEF;
  if (flags & 8) closure = *--p;
  if (flags & 2) kwdefaults = *--p;
  if (flags & 1) defaults = *--p;
  FuncObj *fn = func_new(vm, AS_CODE(code), f->globals);
  if (!fn) return V_UNDEF;
  if (!IS_UNDEF(defaults) && IS_TUPLE(defaults)) fn->defaults = AS_TUPLE(defaults);
  if (!IS_UNDEF(kwdefaults) && IS_DICT(kwdefaults)) fn->kwdefaults = AS_DICT(kwdefaults);
  if (!IS_UNDEF(closure) && IS_TUPLE(closure)) fn->closure = AS_TUPLE(closure);
  return v_obj(fn);
}

NOINLINE static Value build_string(VM *vm, Value *items, int n) {
  size_t total = 0;
  for (int i = 0; i < n; i++) total += (size_t)AS_STR(items[i])->len;
  StrObj *s;
  if (total <= 512) {
    /* the common f-string: assemble on the C stack, one allocation */
    char buf[512];
    size_t at = 0;
    for (int i = 0; i < n; i++) {
      memcpy(buf + at, STR_CSTR(AS_STR(items[i])), (size_t)AS_STR(items[i])->len);
      at += (size_t)AS_STR(items[i])->len;
    }
    s = str_new(vm, buf, total);
  } else {
    SBuf b;
    sbuf_init(&b);
    for (int i = 0; i < n; i++) sbuf_add(&b, STR_CSTR(AS_STR(items[i])), (size_t)AS_STR(items[i])->len);
    s = sbuf_finish(vm, &b);
  }
  return s ? v_obj(s) : V_UNDEF;
}

NOINLINE static Value build_map(VM *vm, Value *items, int n) {
  DictObj *d = dict_new(vm);
  if (!d) return V_UNDEF;
  Value dv = v_obj(d);
  gc_push_root(vm, dv);
  for (int i = 0; i < n; i++)
    if (dict_set(vm, d, items[2 * i], items[2 * i + 1]) < 0) {
      gc_pop_roots(vm, 1);
      return V_UNDEF;
    }
  gc_pop_roots(vm, 1);
  return dv;
}

NOINLINE static Value build_set(VM *vm, Value *items, int n) {
  SetObj *s = set_new(vm, false);
  if (!s) return V_UNDEF;
  Value sv = v_obj(s);
  gc_push_root(vm, sv);
  for (int i = 0; i < n; i++)
    if (set_add(vm, s, items[i]) < 0) {
      gc_pop_roots(vm, 1);
      return V_UNDEF;
    }
  gc_pop_roots(vm, 1);
  return sv;
}

NOINLINE static Value build_list(VM *vm, Value *items, int n) {
  ListObj *l = list_new(vm, n);
  if (!l) return V_UNDEF;
  if (l->cap >= n) {
    if (n) memcpy(l->items, items, (size_t)n * sizeof(Value));
    l->len = n;
  } else {
    for (int i = 0; i < n; i++)
      if (list_append(vm, l, items[i]) < 0) return V_UNDEF;
  }
  return v_obj(l);
}

NOINLINE static int set_update(VM *vm, SetObj *s, Value iterable) {
  Value it = obj_iter(vm, iterable);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  for (;;) {
    Value x = obj_next(vm, it);
    if (IS_UNDEF(x)) break;
    if (set_add(vm, s, x) < 0) break;
  }
  gc_pop_roots(vm, 1);
  return exc_pending(vm) ? -1 : 0;
}

/* the callable of a CALL_FUNCTION_EX whose dict is being merged: the
** stack is [callable, self_or_UNDEF, args, dict, ...] */
static Value merge_callable(Frame *f, Value *dict_slot) {
  Value *base = FRAME_STACK(f);
  return dict_slot - 3 >= base ? dict_slot[-3] : V_UNDEF;
}

/* a CALL_FUNCTION_EX's arguments, flattened for the vectorcall convention */
typedef struct ExArgs {
  Value small[16];
  Value *buf;
  size_t cap;
  int nargs;
  TupleObj *kwnames;
} ExArgs;

NOINLINE static int ex_args_build(VM *vm, ExArgs *ea, Value self, TupleObj *args, Value kwargs) {
  DictObj *kw = IS_UNDEF(kwargs) ? NULL : AS_DICT(kwargs);
  int64_t nkw = kw ? kw->len : 0;
  int64_t total = args->len + nkw + (IS_UNDEF(self) ? 0 : 1);
  ea->buf = ea->small;
  ea->cap = 0;
  ea->kwnames = NULL;
  if (total > 16) {
    ea->cap = (size_t)total * sizeof(Value);
    ea->buf = gc_malloc(vm, ea->cap);
    if (!ea->buf) return -1;
  }
  int n = 0;
  if (!IS_UNDEF(self)) ea->buf[n++] = self;
  for (int64_t i = 0; i < args->len; i++) ea->buf[n++] = args->items[i];
  ea->nargs = n;
  if (nkw > 0) {
    TupleObj *names = tuple_new(vm, nkw);
    if (!names) return -1;
    int64_t pos = 0, j = 0;
    Value k, v;
    while (dict_next(kw, &pos, &k, &v)) {
      if (!IS_STR(k)) {
        exc_raise(vm, EXC(vm, TypeError), "keywords must be strings");
        return -1;
      }
      names->items[j++] = k;
      ea->buf[n++] = v;
    }
    ea->kwnames = names;
  }
  return 0;
}

NOINLINE static void ex_args_free(VM *vm, ExArgs *ea) {
  if (ea->buf != ea->small) gc_free(vm, ea->buf, ea->cap);
}

/* Push a frame calling Python function f (args as for vm_bind_args) on top
** of `caller`. Returns the new frame (linked, current), or NULL with an
** exception pending; *gen receives a new generator instead when f is a
** generator/coroutine function (then NULL is returned with no exception). */
NOINLINE static Frame *push_frame(VM *vm, Frame *caller, FuncObj *f, Value self, Value *args, int nargs,
                         TupleObj *kwnames, const char *recursion_where, Value *gen) {
  if (vm->depth >= vm->recursion_limit) {
    exc_raise(vm, EXC(vm, RecursionError), "maximum recursion depth exceeded%s", recursion_where);
    return NULL;
  }
  Frame *nf = frame_new(vm, f->code, f, f->globals);
  if (!nf) return NULL;
  if (vm_bind_args(vm, nf, f, self, args, nargs, kwnames) < 0) {
    frame_release(vm, nf);
    return NULL;
  }
  if (f->code->flags & GEN_FLAGS) {
    GenObj *g = gen_new(vm, nf, f);
    if (!g) {
      frame_release(vm, nf);
      return NULL;
    }
    *gen = v_obj(g);
    return NULL;
  }
  nf->back = caller;
  vm->frame = nf;
  vm->depth++;
  return nf;
}

/* The common call, inline (frame_simple.h). NULL: take the general path. */
static ALWAYS_INLINE Frame *push_simple_frame(VM *vm, Frame *caller, FuncObj *fn, Value self, Value *args, int nargs) {
  Frame *f = frame_take_simple(vm, caller, fn, self, args, nargs);
  if (!f) return NULL;
  vm->frame = f;
  vm->depth++;
  return f;
}

static inline void release_frame_inline(VM *vm, Frame *f) {
  FramePool *p = vm->frame_pool;
  if (f->size <= FRAME_POOL_MAX_SLOTS && p->nfree[f->size] < FRAME_POOL_MAX_PER_SIZE) {
    f->back = p->free[f->size];
    p->free[f->size] = f;
    p->nfree[f->size]++;
  } else {
    frame_release(vm, f);
  }
}

/* Put a generator's frame (gen_inline_enter done) on top of `caller`, the
** sent value on its stack unless it has not started yet. */
static ALWAYS_INLINE Frame *push_gen_frame(VM *vm, Frame *caller, GenObj *g, Value sent, bool push_sent,
                                           uint8_t mode) {
  Frame *f = g->frame;
  if (push_sent && f->ip != f->code->code) *f->sp++ = sent;
  f->back = caller;
  f->is_entry = 0;
  f->ret_mode = mode;
  vm->frame = f;
  vm->depth++;
  return f;
}

/* Can a throw into g run in the loop? g and each generator it delegates to
** (yield from) must be suspended plain generators or coroutines, and the
** delegating ones must hold no handled exception of their own: gen_throw
** re-raises a delegate's exception in them, which chains it to that one.
** The chain must also fit under the recursion limit. */
static bool throw_chain_inlinable(VM *vm, GenObj *g) {
  int depth = vm->depth;
  for (;;) {
    if (g->state != GEN_SUSPENDED || g->kind == GENK_ASYNC_GENERATOR || ++depth > vm->recursion_limit)
      return false;
    Value yf = gen_delegate(g);
    if (IS_UNDEF(yf)) return true;
    if (!IS_GEN(yf) || IS_OBJ(g->exc_state.exc) || INSTR_OP(g->frame->ip[-2]) != OP_SEND) return false;
    g = AS_GEN(yf);
  }
}

/* The generator send()/next()/throw() native `fn` called on args[0..nargs):
** GEN_CALL_FRAME: the generator's frame is pushed to run in the loop (for a
** throw, with the exception pending: unwind from there); GEN_CALL_DONE:
** the call ran in C, its result (or V_UNDEF, raised) in *result;
** GEN_CALL_NO: nothing was done, call `fn` as any function. */
enum { GEN_CALL_NO, GEN_CALL_FRAME, GEN_CALL_DONE };
static int call_gen_inline(VM *vm, Frame *caller, Value *base, NativeObj *fn, Value *args, int nargs,
                           Value *result) {
  if (nargs < 1 || !IS_GEN(args[0])) return GEN_CALL_NO;
  GenObj *g = AS_GEN(args[0]);
  if (fn->flags & NATIVE_GEN_SEND) {
    if (nargs != 2 || !gen_inline_enter(vm, g, args[1], false)) return GEN_CALL_NO;
    caller->sp = base;
    push_gen_frame(vm, caller, g, args[1], true, FRAME_RET_GEN_CALL);
    return GEN_CALL_FRAME;
  }
  if (fn->flags & NATIVE_GEN_NEXT) {
    if (nargs != 1 || g->kind != GENK_GENERATOR || !gen_inline_enter(vm, g, V_NONE, false)) return GEN_CALL_NO;
    caller->sp = base;
    push_gen_frame(vm, caller, g, V_NONE, true, FRAME_RET_GEN_CALL);
    return GEN_CALL_FRAME;
  }
  /* throw: into a suspended generator, or down a chain of them delegating
  ** to one another by yield from (see throw_chain_inlinable) */
  if (nargs < 2 || nargs > 4 || !throw_chain_inlinable(vm, g)) return GEN_CALL_NO;
  ExcObj *e = gen_throw_args(vm, args[1], nargs > 2 ? args[2] : V_UNDEF, nargs > 3 ? args[3] : V_UNDEF);
  if (!e) {
    *result = V_UNDEF;
    return GEN_CALL_DONE;
  }
  /* making the exception may have run code that resumed g: look again; a
  ** GeneratorExit must close the delegates first (gen_throw does) */
  if (!throw_chain_inlinable(vm, g) ||
      (!IS_UNDEF(gen_delegate(g)) && exc_matches(vm, e, EXC(vm, GeneratorExit)))) {
    Value v;
    int r = gen_throw(vm, g, e, &v);
    *result = gen_send_result(vm, r, v);
    return GEN_CALL_DONE;
  }
  caller->sp = base;
  Frame *below = caller;
  uint8_t mode = FRAME_RET_GEN_CALL;
  for (;;) {
    Value yf = gen_delegate(g);
    gen_inline_enter(vm, g, V_NONE, true);
    if (IS_UNDEF(yf)) break;
    /* g runs again from its SEND, as though its delegate had just been
    ** sent to: the delegate's yield, return or exception then reaches g
    ** exactly as gen_throw hands them over */
    g->frame->ip--;
    below = push_gen_frame(vm, below, g, V_NONE, false, mode);
    mode = FRAME_RET_GEN_SEND;
    g = AS_GEN(yf);
  }
  push_gen_frame(vm, below, g, V_NONE, false, mode);
  /* as gen_throw: the exception chains only to the generator's own handled one */
  if (IS_OBJ(vm->exc_info->exc))
    exc_raise_obj(vm, e);
  else
    vm->curexc = (Obj *)e;
  return GEN_CALL_FRAME;
}

/* ---- the loop ---- */

#if defined(__GNUC__) && !defined(WY_NO_COMPUTED_GOTO)
#define USE_COMPUTED_GOTO 1
#endif

static int execute(VM *vm, Frame *entry, bool throwing, Value *out) {
  Frame *frame = entry;
  CodeObj *code;
  const Instr *ip;
  Value *sp;
  TupleObj *kwnames = NULL;
  Instr word;
  uint32_t oparg;

#define LOAD_FRAME()              \
  do {                            \
    code = frame->code;           \
    ip = frame->ip;               \
    sp = frame->sp;               \
  } while (0)
#define SYNC() (frame->sp = sp, frame->ip = ip)
#define PUSH(v) (*sp++ = (v))
#define POP() (*--sp)
#define TOP() (sp[-1])
#define PEEK(n) (sp[-(ptrdiff_t)(n)])
#define JUMPTO(target) (ip = code->code + (target))
#define CACHE_SLOT() (&code->caches[INSTR_ARG(*ip++)])
/* t = truth of TOS (not popped): bools inline, the rest through obj_truthy */
#define TRUTH_OF_TOP(t)                          \
  do {                                           \
    Value tv_ = TOP();                           \
    if (IS_BOOL(tv_)) {                          \
      (t) = AS_BOOL(tv_);                        \
    } else {                                     \
      SYNC();                                    \
      (t) = obj_truthy(vm, tv_);                 \
      if ((t) < 0) goto error;                   \
    }                                            \
  } while (0)
#define CHECK_BREAKER()                                          \
  do {                                                           \
    if (vm->interrupted || vm->instr_budget >= 0) {              \
      SYNC();                                                    \
      if (eval_breaker(vm) < 0) goto error;                      \
    }                                                            \
  } while (0)

#ifdef USE_COMPUTED_GOTO
  static const void *const dispatch_table[OP__COUNT] = {
#define WY_OP_LABEL(name, doc) [OP_##name] = &&L_##name,
      WY_OPCODES(WY_OP_LABEL)
#undef WY_OP_LABEL
  };
#define TARGET(name) L_##name:
#define DISPATCH()                               \
  do {                                           \
    word = *ip++;                                \
    oparg = INSTR_ARG(word);                     \
    goto *dispatch_table[INSTR_OP(word)];        \
  } while (0)
#else
#define TARGET(name) case OP_##name:
#define DISPATCH() goto dispatch
#endif

  LOAD_FRAME();
  if (throwing) goto error;

#ifdef USE_COMPUTED_GOTO
  DISPATCH();
#else
dispatch:
  word = *ip++;
  oparg = INSTR_ARG(word);
  switch ((Opcode)INSTR_OP(word)) {
#endif

  TARGET(NOP) DISPATCH();
  TARGET(CACHE) DISPATCH();
  TARGET(POP_TOP) {
    sp--;
    DISPATCH();
  }
  TARGET(PUSH_NULL) {
    slot_set(sp++, VT_UNDEF, 0);
    DISPATCH();
  }
  TARGET(COPY) {
    Value v = PEEK(oparg);
    PUSH(v);
    DISPATCH();
  }
  TARGET(SWAP) {
    Value t = sp[-1];
    sp[-1] = PEEK(oparg);
    PEEK(oparg) = t;
    DISPATCH();
  }
  TARGET(LOAD_CONST) {
    PUSH(code->consts[oparg]);
    DISPATCH();
  }
/* push local i; UnboundLocalError when it is unset */
#define PUSH_LOCAL(i)                                  \
  do {                                                 \
    Value v_ = FRAME_LOCALS(frame)[i];                 \
    if (IS_UNDEF(v_)) {                                \
      raise_unbound_local(vm, code->varnames[i]);      \
      goto error;                                      \
    }                                                  \
    PUSH(v_);                                          \
  } while (0)
  TARGET(LOAD_FAST) {
    PUSH_LOCAL(oparg);
    DISPATCH();
  }
  TARGET(STORE_FAST) {
    FRAME_LOCALS(frame)[oparg] = POP();
    DISPATCH();
  }
  /* the superinstructions: the second word is read, then skipped; an
  ** error in the second half is reported at it (ip is past it then) */
  TARGET(LOAD_FAST__LOAD_CONST) {
    PUSH_LOCAL(oparg);
    PUSH(code->consts[INSTR_ARG(*ip)]);
    ip++;
    DISPATCH();
  }
  TARGET(LOAD_FAST__LOAD_FAST) {
    PUSH_LOCAL(oparg);
    oparg = INSTR_ARG(*ip++);
    PUSH_LOCAL(oparg);
    DISPATCH();
  }
  TARGET(STORE_FAST__LOAD_FAST) {
    FRAME_LOCALS(frame)[oparg] = POP();
    oparg = INSTR_ARG(*ip++);
    PUSH_LOCAL(oparg);
    DISPATCH();
  }
#undef PUSH_LOCAL
  TARGET(DELETE_FAST) {
    if (IS_UNDEF(FRAME_LOCALS(frame)[oparg])) {
      raise_unbound_local(vm, code->varnames[oparg]);
      goto error;
    }
    FRAME_LOCALS(frame)[oparg] = V_UNDEF;
    DISPATCH();
  }
  TARGET(LOAD_DEREF) {
    Value v = AS_CELL(FRAME_CELLS(frame)[oparg])->value;
    if (IS_UNDEF(v)) {
      raise_unbound_deref(vm, code, oparg);
      goto error;
    }
    PUSH(v);
    DISPATCH();
  }
  TARGET(STORE_DEREF) {
    AS_CELL(FRAME_CELLS(frame)[oparg])->value = POP();
    DISPATCH();
  }
  TARGET(DELETE_DEREF) {
    CellObj *c = AS_CELL(FRAME_CELLS(frame)[oparg]);
    if (IS_UNDEF(c->value)) {
      raise_unbound_deref(vm, code, oparg);
      goto error;
    }
    c->value = V_UNDEF;
    DISPATCH();
  }
  TARGET(LOAD_CLOSURE) {
    PUSH(FRAME_CELLS(frame)[oparg]);
    DISPATCH();
  }
  TARGET(LOAD_CLASSDEREF) {
    StrObj *name = (int32_t)oparg < code->ncells ? code->cellnames[oparg]
                                                  : code->freenames[oparg - (uint32_t)code->ncells];
    Value v = V_UNDEF;
    if (frame->locals_dict) {
      v = dict_get_str(vm, frame->locals_dict, name);
      if (IS_UNDEF(v) && exc_pending(vm)) goto error;
    }
    if (IS_UNDEF(v)) {
      v = AS_CELL(FRAME_CELLS(frame)[oparg])->value;
      if (IS_UNDEF(v)) {
        raise_unbound_deref(vm, code, oparg);
        goto error;
      }
    }
    PUSH(v);
    DISPATCH();
  }
  TARGET(LOAD_GLOBAL) {
    InlineCache *c = CACHE_SLOT();
    StrObj *name = code->names[oparg];
    Value v;
    if (IS_OBJ(c->value) && AS_OBJ(c->value) == (Obj *)frame->globals) {
      if (c->key == GCACHE_GLOBALS && cached_entry(frame->globals, c->index, name, &v)) {
        PUSH(v);
        /* a global function about to be called: its PUSH_NULL rides along */
        if (*ip == (Instr)OP_PUSH_NULL) {
          ip++;
          slot_set(sp++, VT_UNDEF, 0);
        }
        DISPATCH();
      }
      if (c->key == GCACHE_BUILTINS && c->version == frame->globals->version &&
          cached_entry(frame->builtins, c->index, name, &v)) {
        PUSH(v);
        DISPATCH();
      }
    }
    SYNC();
    v = load_global_slow(vm, frame, name, c);
    if (IS_UNDEF(v)) goto error;
    PUSH(v);
    DISPATCH();
  }
  TARGET(STORE_GLOBAL) {
    SYNC();
    if (dict_set_str(vm, frame->globals, code->names[oparg], TOP()) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(DELETE_GLOBAL) {
    SYNC();
    int r = dict_del(vm, frame->globals, v_obj(code->names[oparg]));
    if (r < 0) goto error;
    if (r == 0) {
      raise_name_error(vm, code->names[oparg]);
      goto error;
    }
    DISPATCH();
  }
  TARGET(LOAD_NAME) {
    SYNC();
    Value v = load_name(vm, frame, code->names[oparg]);
    if (IS_UNDEF(v)) goto error;
    PUSH(v);
    DISPATCH();
  }
  TARGET(STORE_NAME) {
    SYNC();
    DictObj *ns = frame->locals_dict ? frame->locals_dict : frame->globals;
    if (dict_set_str(vm, ns, code->names[oparg], TOP()) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(DELETE_NAME) {
    SYNC();
    DictObj *ns = frame->locals_dict ? frame->locals_dict : frame->globals;
    int r = dict_del(vm, ns, v_obj(code->names[oparg]));
    if (r < 0) goto error;
    if (r == 0) {
      raise_name_error(vm, code->names[oparg]);
      goto error;
    }
    DISPATCH();
  }
  TARGET(LOAD_ATTR) {
    InlineCache *c = CACHE_SLOT();
    Value o = TOP();
    StrObj *name = code->names[oparg];
    if (instance_attr_cached(c, o)) {
      DictObj *d = AS_INSTANCE(o)->dict;
      Value v;
      if (d && cached_entry(d, c->index, name, &v)) {
        sp[-1] = v;
        DISPATCH();
      }
    }
    if (IS_INSTANCE(o) && method_cache_hit(c, AS_OBJ(o)->type, o, name, vm)) {
      /* a plain function on the class, not shadowed by the instance */
      SYNC();
      BoundObj *b = bound_new(vm, v_obj(c->key), o);
      if (!b) goto error;
      SET_OBJ(&sp[-1], b);
      DISPATCH();
    }
    SYNC();
    Value v = load_attr_slow(vm, o, name, c);
    if (IS_UNDEF(v)) goto error;
    sp[-1] = v;
    DISPATCH();
  }
  TARGET(STORE_ATTR) {
    InlineCache *c = CACHE_SLOT();
    Value o = sp[-1], v = sp[-2];
    StrObj *name = code->names[oparg];
    if (instance_attr_cached(c, o)) {
      DictObj *d = AS_INSTANCE(o)->dict;
      if (d && c->index < d->used) {
        DictEntry *e = &d->entries[c->index];
        if (e->key.tag == VT_OBJ && e->key.u.o == (Obj *)name) {
          e->value = v;
          sp -= 2;
          DISPATCH();
        }
      }
      /* the cache also says the type has no descriptor for name: a new
      ** attribute (self.x = … in __init__) goes straight into the dict */
      SYNC();
      if (!d && !(d = AS_INSTANCE(o)->dict = dict_new(vm))) goto error;
      if (dict_set_str(vm, d, name, v) < 0) goto error;
      sp -= 2;
      DISPATCH();
    }
    SYNC();
    if (store_attr_slow(vm, o, name, v, c) < 0) goto error;
    sp -= 2;
    DISPATCH();
  }
  TARGET(DELETE_ATTR) {
    SYNC();
    if (obj_delattr(vm, TOP(), code->names[oparg]) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(LOAD_METHOD) {
    InlineCache *c = CACHE_SLOT();
    Value o = TOP();
    StrObj *name = code->names[oparg];
    Type *t = type_of(vm, o);
    if (method_cache_hit(c, t, o, name, vm)) {
      SET_OBJ(&sp[-1], c->key);
      PUSH(o);
      DISPATCH();
    }
    SYNC();
    Value meth, self;
    if (load_method_slow(vm, o, name, c, &meth, &self) < 0) goto error;
    sp[-1] = meth;
    PUSH(self);
    DISPATCH();
  }
  TARGET(KW_NAMES) {
    kwnames = AS_TUPLE(code->consts[oparg]);
    DISPATCH();
  }
  TARGET(CALL) {
    Value *base = sp - oparg - 2;
    Value callable = base[0];
    if (IS_FUNC(callable) && !kwnames) {
      /* the common call first: a Python function, positional arguments */
      SYNC();
      CHECK_BREAKER();
      gc_safepoint(vm);
      Frame *nf = IS_UNDEF(base[1]) ? push_simple_frame(vm, frame, AS_FUNC(callable), V_UNDEF, base + 2, (int)oparg)
                                    : push_simple_frame(vm, frame, AS_FUNC(callable), V_UNDEF, base + 1, (int)oparg + 1);
      if (nf) {
        frame->sp = base;
        frame = nf;
        LOAD_FRAME();
        DISPATCH();
      }
      Value *args = IS_UNDEF(base[1]) ? base + 2 : base + 1;
      Value gen = V_UNDEF;
      nf = push_frame(vm, frame, AS_FUNC(callable), V_UNDEF, args, (int)(sp - args), NULL, "", &gen);
      if (!nf) {
        if (IS_UNDEF(gen)) goto error;
        sp = base;
        PUSH(gen);
        DISPATCH();
      }
      frame->sp = base;
      frame = nf;
      LOAD_FRAME();
      DISPATCH();
    }
    if (IS_KIND(callable, K_TYPE) && !kwnames && IS_UNDEF(base[1])) {
      FuncObj *init = class_fast_init(vm, AS_TYPE(callable));
      if (init && (int)oparg + 1 == init->fast_argc) {
        SYNC();
        CHECK_BREAKER();
        gc_safepoint(vm);
        InstanceObj *inst = instance_new(vm, AS_TYPE(callable));
        if (!inst) goto error;
        Frame *nf = push_simple_frame(vm, frame, init, v_obj(inst), base + 2, (int)oparg);
        if (nf) {
          /* the instance replaces the class on the caller's stack */
          nf->ret_mode = FRAME_RET_INIT;
          SET_OBJ(&base[0], inst);
          frame->sp = base + 1;
          frame = nf;
          LOAD_FRAME();
          DISPATCH();
        }
        if (vm->depth >= vm->recursion_limit) {
          /* CPython's wording for a Python-level call */
          exc_raise(vm, EXC(vm, RecursionError), "maximum recursion depth exceeded");
          goto error;
        }
        /* no pooled frame yet: the general path (the breaker was checked) */
        Value r = obj_call(vm, callable, base + 2, (int)oparg, NULL);
        if (IS_UNDEF(r)) goto error;
        sp = base;
        PUSH(r);
        DISPATCH();
      }
    }
    if (!IS_FUNC(callable) && IS_BOUND(callable) && IS_UNDEF(base[1])) {
      /* unpack a bound method in place: the receiver takes the self slot */
      base[1] = AS_BOUND(callable)->self;
      base[0] = callable = AS_BOUND(callable)->func;
    } else if (IS_UNDEF(base[1]) && (IS_INSTANCE(callable) || IS_KIND(callable, K_FOREIGN))) {
      /* obj(...) with a __call__: the object takes the self slot too */
      Value f = class_call_target(vm, callable);
      if (!IS_UNDEF(f)) {
        base[1] = callable;
        base[0] = callable = f;
      }
    }
    Value *args = IS_UNDEF(base[1]) ? base + 2 : base + 1;
    int nargs = (int)(sp - args) - (kwnames ? (int)kwnames->len : 0);
    TupleObj *kw = kwnames;
    kwnames = NULL;
    SYNC();
    CHECK_BREAKER();
    gc_safepoint(vm);
    if (IS_FUNC(callable)) {
      Frame *nf = kw ? NULL : push_simple_frame(vm, frame, AS_FUNC(callable), V_UNDEF, args, nargs);
      if (nf) {
        frame->sp = base;
        frame = nf;
        LOAD_FRAME();
        DISPATCH();
      }
      Value gen = V_UNDEF;
      nf = push_frame(vm, frame, AS_FUNC(callable), V_UNDEF, args, nargs, kw, "", &gen);
      if (!nf) {
        if (IS_UNDEF(gen)) goto error;
        sp = base;
        PUSH(gen);
        DISPATCH();
      }
      frame->sp = base;
      frame = nf;
      LOAD_FRAME();
      DISPATCH();
    }
    if (IS_NATIVE(callable) && (AS_NATIVE(callable)->flags & NATIVE_GEN_RESUME) && !kw) {
      Value r = V_UNDEF;
      int how = call_gen_inline(vm, frame, base, AS_NATIVE(callable), args, nargs, &r);
      if (how == GEN_CALL_FRAME) {
        frame = vm->frame;
        LOAD_FRAME();
        if (vm->curexc) goto error; /* a throw: raised at the generator's yield */
        DISPATCH();
      }
      if (how == GEN_CALL_DONE) {
        if (IS_UNDEF(r)) goto error;
        sp = base;
        PUSH(r);
        DISPATCH();
      }
    }
    Value r = obj_call(vm, callable, args, nargs, kw);
    if (IS_UNDEF(r)) goto error;
    sp = base;
    PUSH(r);
    DISPATCH();
  }
  TARGET(CALL_FUNCTION_EX) {
    Value kwargs = (oparg & 1) ? sp[-1] : V_UNDEF;
    Value *base = sp - 3 - (oparg & 1);
    if (IS_BOUND(base[0]) && IS_UNDEF(base[1])) {
      base[1] = AS_BOUND(base[0])->self;
      base[0] = AS_BOUND(base[0])->func;
    }
    Value callable = base[0], self = base[1];
    SYNC();
    CHECK_BREAKER();
    if (!IS_TUPLE(base[2])) {
      Value t = vm_star_args(vm, callable, base[2]);
      if (IS_UNDEF(t)) goto error;
      base[2] = t;
    }
    if (!IS_UNDEF(kwargs) && !IS_DICT(kwargs)) {
      DictObj *d = dict_new(vm);
      if (!d) goto error;
      Value dv = v_obj(d);
      gc_push_root(vm, dv);
      int mr = vm_dict_merge(vm, d, kwargs, callable, true);
      gc_pop_roots(vm, 1);
      if (mr < 0) goto error;
      sp[-1] = kwargs = dv;
    }
    ExArgs ea;
    if (ex_args_build(vm, &ea, self, AS_TUPLE(base[2]), kwargs) < 0) {
      ex_args_free(vm, &ea);
      goto error;
    }
    if (ea.kwnames) {
      /* keep the names tuple alive: it replaces the kwargs dict's slot
      ** only after the values were copied out */
      gc_push_root(vm, v_obj(ea.kwnames));
    }
    gc_safepoint(vm);
    if (IS_FUNC(callable)) {
      Value gen = V_UNDEF;
      Frame *nf = push_frame(vm, frame, AS_FUNC(callable), V_UNDEF, ea.buf, ea.nargs, ea.kwnames, "", &gen);
      if (ea.kwnames) gc_pop_roots(vm, 1);
      ex_args_free(vm, &ea);
      if (!nf) {
        if (IS_UNDEF(gen)) goto error;
        sp = base;
        PUSH(gen);
        DISPATCH();
      }
      frame->sp = base;
      frame = nf;
      LOAD_FRAME();
      DISPATCH();
    }
    Value r = obj_call(vm, callable, ea.buf, ea.nargs, ea.kwnames);
    if (ea.kwnames) gc_pop_roots(vm, 1);
    ex_args_free(vm, &ea);
    if (IS_UNDEF(r)) goto error;
    sp = base;
    PUSH(r);
    DISPATCH();
  }
  TARGET(MAKE_FUNCTION) {
    SYNC();
    Value fn = make_function(vm, frame, oparg, sp);
    if (IS_UNDEF(fn)) goto error;
    sp -= 1 + !!(oparg & 1) + !!(oparg & 2) + !!(oparg & 8);
    PUSH(fn);
    SYNC();
    gc_safepoint(vm);
    DISPATCH();
  }
  TARGET(RETURN_VALUE) {
    Value rv = POP();
    if (frame->is_entry) {
      SYNC();
      vm->frame = frame->back;
      vm->depth--;
      if (frame->gen) frame->back = NULL;
      *out = rv;
      return EXEC_RETURN;
    }
    Frame *caller = frame->back;
    uint8_t mode = frame->ret_mode;
    vm->frame = caller;
    vm->depth--;
    if (UNLIKELY(frame->gen != NULL)) {
      /* a generator resumed in the loop has finished */
      SYNC();
      gen_inline_leave(vm, frame->gen, 0);
      frame = caller;
      LOAD_FRAME();
      if (mode == FRAME_RET_GEN_CALL) {
        SYNC();
        gen_send_result(vm, 0, rv); /* raises StopIteration(rv) */
        goto error;
      }
      /* FOR_ITER ends its loop; SEND's value replaces the iterator */
      if (mode == FRAME_RET_GEN_FOR) sp--;
      else sp[-1] = rv;
      JUMPTO(INSTR_ARG(ip[-1]));
      DISPATCH();
    }
    release_frame_inline(vm, frame);
    frame = caller;
    LOAD_FRAME();
    if (mode == FRAME_RET_PUSH) {
      PUSH(rv);
    } else if (UNLIKELY(mode == FRAME_RET_INIT) && !IS_NONE(rv)) {
      SYNC();
      exc_raise(vm, EXC(vm, TypeError), "__init__() should return None, not '%s'", obj_type_name(vm, rv));
      goto error;
    }
    DISPATCH();
  }
/* + - * on two small ints: checked(x, y, &r) is false when r fits; else
** (other operands, overflow) the general BINARY_OP with the same oparg */
#define SMALL_INT_BINOP(checked)                                                       \
  do {                                                                                 \
    int64_t r_;                                                                        \
    if (IS_INT(sp[-2]) && IS_INT(sp[-1]) && !checked(AS_INT(sp[-2]), AS_INT(sp[-1]), &r_)) { \
      SET_INT(&sp[-2], r_);                                                            \
      sp--;                                                                            \
      DISPATCH();                                                                      \
    }                                                                                  \
    goto binop_general;                                                                \
  } while (0)
  TARGET(BINARY_ADD) SMALL_INT_BINOP(__builtin_add_overflow);
  TARGET(BINARY_SUB) SMALL_INT_BINOP(__builtin_sub_overflow);
  TARGET(BINARY_MUL) SMALL_INT_BINOP(__builtin_mul_overflow);
#undef SMALL_INT_BINOP
  TARGET(BINARY_MOD) {
    Value a = sp[-2], b = sp[-1];
    if (IS_INT(a) && IS_INT(b) && AS_INT(b) > 0) {
      /* C's remainder has the dividend's sign; Python's the divisor's */
      int64_t r = AS_INT(a) % AS_INT(b);
      if (r < 0) r += AS_INT(b);
      SET_INT(&sp[-2], r);
      sp--;
      DISPATCH();
    }
    goto binop_general;
  }
  TARGET(BINARY_OP)
  binop_general: {
    Value a = sp[-2], b = sp[-1];
    if (IS_INT(a) && IS_INT(b)) {
      int64_t x = AS_INT(a), y = AS_INT(b), r;
      /* + - * % come here from their own instructions only when those
      ** could not finish (overflow, a negative modulus) */
      switch (oparg) {
        case BIN_ADD: case BIN_ADD + BIN_INPLACE:
          if (!__builtin_add_overflow(x, y, &r)) goto int_result;
          goto binop_slow;
        case BIN_SUB: case BIN_SUB + BIN_INPLACE:
          if (!__builtin_sub_overflow(x, y, &r)) goto int_result;
          goto binop_slow;
        case BIN_MUL: case BIN_MUL + BIN_INPLACE:
          if (!__builtin_mul_overflow(x, y, &r)) goto int_result;
          goto binop_slow;
        case BIN_AND: case BIN_AND + BIN_INPLACE: r = x & y; goto int_result;
        case BIN_OR: case BIN_OR + BIN_INPLACE: r = x | y; goto int_result;
        case BIN_XOR: case BIN_XOR + BIN_INPLACE: r = x ^ y; goto int_result;
        case BIN_FLOORDIV: case BIN_FLOORDIV + BIN_INPLACE:
          if (y == 0 || (x == INT64_MIN && y == -1)) goto binop_slow;
          r = x / y;
          if ((x % y != 0) && ((x < 0) != (y < 0))) r--;
          goto int_result;
        case BIN_MOD: case BIN_MOD + BIN_INPLACE:
          if (y == 0) goto binop_slow;
          if (y == -1) {
            r = 0;
            goto int_result;
          }
          r = x % y;
          if (r != 0 && ((r < 0) != (y < 0))) r += y;
          goto int_result;
        case BIN_RSHIFT: case BIN_RSHIFT + BIN_INPLACE:
          if (y < 0) goto binop_slow;
          r = y >= 64 ? (x < 0 ? -1 : 0) : (x >> y);
          goto int_result;
        case BIN_TRUEDIV: case BIN_TRUEDIV + BIN_INPLACE:
          if (y == 0 || x > (1LL << 53) || x < -(1LL << 53) || y > (1LL << 53) || y < -(1LL << 53))
            goto binop_slow;
          set_float(&sp[-2], (double)x / (double)y);
          sp--;
          DISPATCH();
        default:
          goto binop_slow;
      }
    int_result:
      SET_INT(&sp[-2], r);
      sp--;
      DISPATCH();
    }
    if (IS_FLOAT(a) && IS_FLOAT(b)) {
      double x = AS_FLOAT(a), y = AS_FLOAT(b), r;
      switch (oparg >= BIN_INPLACE ? oparg - BIN_INPLACE : oparg) {
        case BIN_ADD: r = x + y; break;
        case BIN_SUB: r = x - y; break;
        case BIN_MUL: r = x * y; break;
        case BIN_TRUEDIV:
          if (y == 0.0) goto binop_slow;
          r = x / y;
          break;
        default: goto binop_slow;
      }
      set_float(&sp[-2], r);
      sp--;
      DISPATCH();
    }
  binop_slow: {
    SYNC();
    Value r = obj_binop(vm, (int)oparg, sp[-2], sp[-1]);
    if (IS_UNDEF(r)) goto error;
    sp[-2] = r;
    sp--;
    DISPATCH();
  }
  }
  TARGET(UNARY_OP) {
    Value a = TOP();
    if (oparg == UN_NOT) {
      int t;
      if (IS_BOOL(a))
        t = AS_BOOL(a);
      else {
        SYNC();
        t = obj_truthy(vm, a);
        if (t < 0) goto error;
      }
      SET_BOOL(&sp[-1], !t);
      DISPATCH();
    }
    if (oparg == UN_NEG && IS_INT(a) && AS_INT(a) != INT64_MIN) {
      SET_INT(&sp[-1], -AS_INT(a));
      DISPATCH();
    }
    SYNC();
    Value r = obj_unaryop(vm, (UnaryOp)oparg, a);
    if (IS_UNDEF(r)) goto error;
    sp[-1] = r;
    DISPATCH();
  }
  TARGET(COMPARE_OP) {
    Value a = sp[-2], b = sp[-1];
    bool r;
    if (IS_INT(a) && IS_INT(b)) {
      int64_t x = AS_INT(a), y = AS_INT(b);
      switch (oparg) {
        case CMP_LT: r = x < y; break;
        case CMP_LE: r = x <= y; break;
        case CMP_EQ: r = x == y; break;
        case CMP_NE: r = x != y; break;
        case CMP_GT: r = x > y; break;
        default: r = x >= y; break;
      }
      goto compare_result;
    }
    if (IS_FLOAT(a) && IS_FLOAT(b)) {
      double x = AS_FLOAT(a), y = AS_FLOAT(b);
      switch (oparg) {
        case CMP_LT: r = x < y; break;
        case CMP_LE: r = x <= y; break;
        case CMP_EQ: r = x == y; break;
        case CMP_NE: r = x != y; break;
        case CMP_GT: r = x > y; break;
        default: r = x >= y; break;
      }
      goto compare_result;
    }
    goto compare_slow;
  compare_result: {
    /* a comparison of numbers feeding a conditional jump jumps at once
    ** (no bool pushed and popped, one dispatch fewer) */
    Instr next = *ip;
    if (INSTR_OP(next) == OP_POP_JUMP_IF_FALSE) {
      sp -= 2;
      ip++;
      if (!r) JUMPTO(INSTR_ARG(next));
      DISPATCH();
    }
    if (INSTR_OP(next) == OP_POP_JUMP_IF_TRUE) {
      sp -= 2;
      ip++;
      if (r) JUMPTO(INSTR_ARG(next));
      DISPATCH();
    }
    SET_BOOL(&sp[-2], r);
    sp--;
    DISPATCH();
  }
  compare_slow:
    SYNC();
    Value rv = obj_richcmp(vm, a, b, (CmpOp)oparg);
    if (IS_UNDEF(rv)) goto error;
    sp[-2] = rv;
    sp--;
    DISPATCH();
  }
  TARGET(IS_OP) {
    bool r = v_is(sp[-2], sp[-1]);
    SET_BOOL(&sp[-2], oparg ? !r : r);
    sp--;
    DISPATCH();
  }
  TARGET(CONTAINS_OP) {
    SYNC();
    int r = obj_contains(vm, sp[-1], sp[-2]);
    if (r < 0) goto error;
    SET_BOOL(&sp[-2], oparg ? !r : r);
    sp--;
    DISPATCH();
  }
  TARGET(BINARY_SUBSCR) {
    Value o = sp[-2], key = sp[-1];
    if (IS_INT(key) && IS_OBJ(o)) {
      Type *t = AS_OBJ(o)->type;
      int64_t i = AS_INT(key);
      if (t == vm->t_list) {
        ListObj *l = AS_LIST(o);
        if (i < 0) i += l->len;
        if (i >= 0 && i < l->len) {
          sp[-2] = l->items[i];
          sp--;
          DISPATCH();
        }
      } else if (t == vm->t_tuple) {
        TupleObj *tu = AS_TUPLE(o);
        if (i < 0) i += tu->len;
        if (i >= 0 && i < tu->len) {
          sp[-2] = tu->items[i];
          sp--;
          DISPATCH();
        }
      }
    }
    SYNC();
    Value r = obj_getitem(vm, o, key);
    if (IS_UNDEF(r)) goto error;
    sp[-2] = r;
    sp--;
    DISPATCH();
  }
  TARGET(STORE_SUBSCR) {
    Value v = sp[-3], o = sp[-2], key = sp[-1];
    if (IS_INT(key) && IS_OBJ(o) && AS_OBJ(o)->type == vm->t_list) {
      ListObj *l = AS_LIST(o);
      int64_t i = AS_INT(key);
      if (i < 0) i += l->len;
      if (i >= 0 && i < l->len) {
        l->items[i] = v;
        sp -= 3;
        DISPATCH();
      }
    }
    SYNC();
    if (obj_setitem(vm, o, key, v) < 0) goto error;
    sp -= 3;
    DISPATCH();
  }
  TARGET(DELETE_SUBSCR) {
    SYNC();
    if (obj_delitem(vm, sp[-2], sp[-1]) < 0) goto error;
    sp -= 2;
    DISPATCH();
  }
  TARGET(BUILD_SLICE) {
    Value step = oparg == 3 ? POP() : V_NONE;
    Value stop = POP();
    Value start = POP();
    SliceObj *s = slice_new(vm, start, stop, step);
    if (!s) goto error;
    SET_OBJ(sp++, s);
    DISPATCH();
  }
  TARGET(BUILD_TUPLE) {
    TupleObj *t = tuple_from(vm, sp - oparg, oparg);
    if (!t) goto error;
    sp -= oparg;
    SET_OBJ(sp++, t);
    SYNC();
    gc_safepoint(vm);
    DISPATCH();
  }
  TARGET(BUILD_LIST) {
    Value l = build_list(vm, sp - oparg, (int)oparg);
    if (IS_UNDEF(l)) goto error;
    sp -= oparg;
    PUSH(l);
    SYNC();
    gc_safepoint(vm);
    DISPATCH();
  }
  TARGET(BUILD_SET) {
    SYNC();
    Value s = build_set(vm, sp - oparg, (int)oparg);
    if (IS_UNDEF(s)) goto error;
    sp -= oparg;
    PUSH(s);
    SYNC();
    gc_safepoint(vm);
    DISPATCH();
  }
  TARGET(BUILD_MAP) {
    SYNC();
    Value d = build_map(vm, sp - 2 * oparg, (int)oparg);
    if (IS_UNDEF(d)) goto error;
    sp -= 2 * oparg;
    PUSH(d);
    SYNC();
    gc_safepoint(vm);
    DISPATCH();
  }
  TARGET(BUILD_STRING) {
    Value s = build_string(vm, sp - oparg, (int)oparg);
    if (IS_UNDEF(s)) goto error;
    sp -= oparg;
    PUSH(s);
    SYNC();
    gc_safepoint(vm);
    DISPATCH();
  }
  TARGET(LIST_APPEND) {
    Value v = TOP();
    if (list_append(vm, AS_LIST(PEEK(oparg + 1)), v) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(SET_ADD) {
    SYNC();
    if (set_add(vm, AS_SET(PEEK(oparg + 1)), TOP()) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(MAP_ADD) {
    SYNC();
    if (dict_set(vm, AS_DICT(PEEK(oparg + 2)), sp[-2], sp[-1]) < 0) goto error;
    sp -= 2;
    DISPATCH();
  }
  TARGET(LIST_EXTEND) {
    SYNC();
    Value it = TOP();
    if (list_extend(vm, AS_LIST(PEEK(oparg + 1)), it) < 0) {
      vm_fix_star_error(vm, it);
      goto error;
    }
    sp--;
    DISPATCH();
  }
  TARGET(SET_UPDATE) {
    SYNC();
    if (set_update(vm, AS_SET(PEEK(oparg + 1)), TOP()) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(DICT_UPDATE) {
    SYNC();
    if (vm_dict_merge(vm, AS_DICT(PEEK(oparg + 1)), TOP(), V_UNDEF, false) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(DICT_MERGE) {
    SYNC();
    Value *dict_slot = sp - oparg - 1;
    if (vm_dict_merge(vm, AS_DICT(*dict_slot), TOP(), merge_callable(frame, dict_slot), true) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(LIST_TO_TUPLE) {
    ListObj *l = AS_LIST(TOP());
    TupleObj *t = tuple_from(vm, l->items, l->len);
    if (!t) goto error;
    SET_OBJ(&sp[-1], t);
    DISPATCH();
  }
  TARGET(UNPACK_SEQUENCE) {
    Value seq = TOP();
    if (IS_OBJ(seq) && (AS_OBJ(seq)->type == vm->t_tuple || AS_OBJ(seq)->type == vm->t_list)) {
      int64_t len = IS_TUPLE(seq) ? AS_TUPLE(seq)->len : AS_LIST(seq)->len;
      Value *items = IS_TUPLE(seq) ? AS_TUPLE(seq)->items : AS_LIST(seq)->items;
      if (len == (int64_t)oparg) {
        sp--;
        for (int64_t i = len - 1; i >= 0; i--) PUSH(items[i]);
        DISPATCH();
      }
    }
    SYNC();
    /* the items land in the slots from seq's own slot up; frame->sp is
    ** raised as they arrive (vm_unpack writes through dest) */
    if (vm_unpack(vm, seq, (int)oparg, sp - 1) < 0) goto error;
    sp += (int)oparg - 1;
    DISPATCH();
  }
  TARGET(UNPACK_EX) {
    SYNC();
    int before = (int)(oparg & 0xff), after = (int)(oparg >> 8);
    if (vm_unpack_ex(vm, TOP(), before, after, sp - 1) < 0) goto error;
    sp += before + after;
    DISPATCH();
  }
  TARGET(GET_ITER) {
    SYNC();
    Value it = obj_iter(vm, TOP());
    if (IS_UNDEF(it)) goto error;
    sp[-1] = it;
    DISPATCH();
  }
  TARGET(FOR_ITER) {
    Value it = TOP();
    Value v;
    SYNC();
    if (IS_GEN(it) && AS_GEN(it)->kind == GENK_GENERATOR) {
      if (gen_inline_enter(vm, AS_GEN(it), V_NONE, false)) {
        frame = push_gen_frame(vm, frame, AS_GEN(it), V_NONE, true, FRAME_RET_GEN_FOR);
        LOAD_FRAME();
        DISPATCH();
      }
      int r = gen_send(vm, AS_GEN(it), V_NONE, &v);
      if (r < 0) goto error;
      if (r == 0) {
        sp--;
        JUMPTO(oparg);
        DISPATCH();
      }
      PUSH(v);
      DISPATCH();
    }
    Type *t = type_of(vm, it);
    if (!t->next) {
      exc_raise(vm, EXC(vm, TypeError), "'%T' object is not an iterator", it);
      goto error;
    }
    v = t->next(vm, it);
    if (IS_UNDEF(v)) {
      if (exc_pending(vm)) {
        if (!exc_pending_matches(vm, EXC(vm, StopIteration))) goto error;
        exc_clear(vm);
      }
      sp--;
      JUMPTO(oparg);
      DISPATCH();
    }
    PUSH(v);
    DISPATCH();
  }
  TARGET(JUMP) {
    JUMPTO(oparg);
    DISPATCH();
  }
  TARGET(JUMP_BACKWARD) {
    CHECK_BREAKER();
    JUMPTO(oparg);
    if (vm->bytes_allocated > vm->next_gc || (vm->gc_stress && vm->allocated_since_gc)) {
      SYNC();
      gc_safepoint_slow(vm);
    }
    DISPATCH();
  }
  TARGET(POP_JUMP_IF_FALSE) {
    int t;
    TRUTH_OF_TOP(t);
    sp--;
    if (!t) JUMPTO(oparg);
    DISPATCH();
  }
  TARGET(POP_JUMP_IF_TRUE) {
    int t;
    TRUTH_OF_TOP(t);
    sp--;
    if (t) JUMPTO(oparg);
    DISPATCH();
  }
  TARGET(JUMP_IF_FALSE_OR_POP) {
    int t;
    TRUTH_OF_TOP(t);
    if (!t)
      JUMPTO(oparg);
    else
      sp--;
    DISPATCH();
  }
  TARGET(JUMP_IF_TRUE_OR_POP) {
    int t;
    TRUTH_OF_TOP(t);
    if (t)
      JUMPTO(oparg);
    else
      sp--;
    DISPATCH();
  }
  TARGET(POP_JUMP_IF_NONE) {
    Value v = POP();
    if (IS_NONE(v)) JUMPTO(oparg);
    DISPATCH();
  }
  TARGET(POP_JUMP_IF_NOT_NONE) {
    Value v = POP();
    if (!IS_NONE(v)) JUMPTO(oparg);
    DISPATCH();
  }
  TARGET(IMPORT_NAME) {
    SYNC();
    Value m = module_import(vm, code->names[oparg], TOP());
    if (IS_UNDEF(m)) goto error;
    sp[-1] = m;
    DISPATCH();
  }
  TARGET(IMPORT_FROM) {
    SYNC();
    Value v = module_import_from(vm, TOP(), code->names[oparg]);
    if (IS_UNDEF(v)) goto error;
    PUSH(v);
    DISPATCH();
  }
  TARGET(LOAD_BUILD_CLASS) {
    Value bc = build_class_value(vm);
    if (IS_UNDEF(bc)) goto error;
    PUSH(bc);
    DISPATCH();
  }
  TARGET(RAISE_VARARGS) {
    SYNC();
    Value cause = oparg == 2 ? sp[-1] : V_UNDEF;
    Value exc = oparg >= 1 ? sp[-(int)oparg] : V_UNDEF;
    int reraise = vm_do_raise(vm, (int)oparg, exc, cause);
    sp -= oparg;
    /* a bare raise re-raises as is: no new traceback entry (CPython's
    ** exception_unwind) */
    if (reraise) goto exception_unwind;
    goto error;
  }
  TARGET(RERAISE) {
    Value exc = POP();
    vm->curexc = AS_OBJ(exc);
    goto exception_unwind;
  }
  TARGET(PUSH_EXC_INFO) {
    Value exc = TOP();
    sp[-1] = vm->exc_info->exc;
    PUSH(exc);
    vm->exc_info->exc = exc;
    DISPATCH();
  }
  TARGET(POP_EXCEPT) {
    vm->exc_info->exc = POP();
    DISPATCH();
  }
  TARGET(POP_EXCEPT_AND_RERAISE) {
    Value exc = POP();
    vm->exc_info->exc = POP();
    vm->curexc = AS_OBJ(exc);
    goto exception_unwind;
  }
  TARGET(CHECK_EXC_MATCH) {
    SYNC();
    int r = vm_exc_match(vm, sp[-2], sp[-1]);
    if (r < 0) goto error;
    SET_BOOL(&sp[-1], r);
    DISPATCH();
  }
  TARGET(LOAD_ASSERTION_ERROR) {
    PUSH(v_obj(EXC(vm, AssertionError)));
    DISPATCH();
  }
  TARGET(BEFORE_WITH) {
    Value mgr = TOP();
    Value enter, exit;
    SYNC();
    if (UNLIKELY(vm->trace)) {
      Value r;
      if (trace_before_with(vm, mgr, &exit, &r) < 0) goto error;
      sp[-1] = exit;
      PUSH(r);
      DISPATCH();
    }
    if (vm_with_lookup(vm, mgr, false, &enter, &exit) < 0) goto error;
    /* [mgr] -> [exit, mgr] while __enter__ runs; its result replaces mgr */
    sp[-1] = exit;
    PUSH(mgr);
    SYNC();
    if (IS_FUNC(enter)) {
      Value gen = V_UNDEF;
      Frame *nf = push_simple_frame(vm, frame, AS_FUNC(enter), V_UNDEF, sp - 1, 1);
      if (!nf)
        nf = push_frame(vm, frame, AS_FUNC(enter), V_UNDEF, sp - 1, 1, NULL, " while calling a Python object", &gen);
      if (!nf) {
        if (IS_UNDEF(gen)) goto error;
        sp[-1] = gen;
        DISPATCH();
      }
      frame->sp = sp - 1;
      frame = nf;
      LOAD_FRAME();
      DISPATCH();
    }
    Value r = vm_call_special(vm, enter, mgr, NULL, 0);
    if (IS_UNDEF(r)) goto error;
    sp[-1] = r;
    DISPATCH();
  }
  TARGET(WITH_EXIT) {
    Value exit = TOP();
    Value none3[4] = {V_NONE, V_NONE, V_NONE, V_NONE};
    SYNC();
    if (UNLIKELY(vm->trace)) {
      Value r;
      if (trace_with_exit(vm, exit, (int)oparg, &r) < 0) goto error;
      if (oparg & WITH_EXIT_KEEP)
        sp[-1] = r;
      else
        sp--;
      DISPATCH();
    }
    if (!(oparg & WITH_EXIT_KEEP) && IS_BOUND(exit) && IS_FUNC(AS_BOUND(exit)->func)) {
      Value gen = V_UNDEF;
      FuncObj *fn = AS_FUNC(AS_BOUND(exit)->func);
      Value self = AS_BOUND(exit)->self;
      Frame *nf = push_simple_frame(vm, frame, fn, self, none3, 3);
      if (!nf) nf = push_frame(vm, frame, fn, self, none3, 3, NULL, " while calling a Python object", &gen);
      if (!nf) {
        if (IS_UNDEF(gen)) goto error;
        sp--;
        vm_with_recycle(vm, exit);
        DISPATCH();
      }
      nf->ret_mode = FRAME_RET_DISCARD;
      vm_with_recycle(vm, exit);
      frame->sp = sp - 1;
      frame = nf;
      LOAD_FRAME();
      DISPATCH();
    }
    Value r;
    if (IS_OBJ(exit) && AS_OBJ(exit)->type == vm_private_types(vm)[VM_PT_EXIT] && IS_NATIVE(AS_BOUND(exit)->func)) {
      /* a C class's __exit__ (contextlib's): called with its receiver
      ** directly; the pooled bound method goes back once it returned */
      Value a4[4] = {AS_BOUND(exit)->self, V_NONE, V_NONE, V_NONE};
      r = native_invoke(vm, AS_NATIVE(AS_BOUND(exit)->func), a4, 4, NULL);
      vm_with_recycle(vm, exit);
    } else {
      r = obj_call(vm, exit, none3, 3, NULL);
    }
    if (IS_UNDEF(r)) goto error;
    if (oparg & WITH_EXIT_KEEP)
      sp[-1] = r;
    else
      sp--;
    DISPATCH();
  }
  TARGET(WITH_EXCEPT_START) {
    Value exit = PEEK(3);
    Value exc = TOP();
    Value args[3];
    args[0] = v_obj(type_of(vm, exc));
    args[1] = exc;
    args[2] = (IS_EXC(exc) && AS_EXC(exc)->traceback) ? v_obj(AS_EXC(exc)->traceback) : V_NONE;
    SYNC();
    if (UNLIKELY(vm->trace)) {
      Value verdict;
      if (trace_with_except_start(vm, exit, exc, &verdict) < 0) goto error;
      PUSH(verdict);
      DISPATCH();
    }
    if (IS_BOUND(exit) && IS_FUNC(AS_BOUND(exit)->func)) {
      Value gen = V_UNDEF;
      FuncObj *fn = AS_FUNC(AS_BOUND(exit)->func);
      Value self = AS_BOUND(exit)->self;
      Frame *nf = push_simple_frame(vm, frame, fn, self, args, 3);
      if (!nf) nf = push_frame(vm, frame, fn, self, args, 3, NULL, " while calling a Python object", &gen);
      if (!nf) {
        if (IS_UNDEF(gen)) goto error;
        PUSH(gen);
        DISPATCH();
      }
      frame = nf;
      LOAD_FRAME();
      DISPATCH();
    }
    Value r = obj_call(vm, exit, args, 3, NULL);
    if (IS_UNDEF(r)) goto error;
    PUSH(r);
    DISPATCH();
  }
  TARGET(BEFORE_ASYNC_WITH) {
    Value mgr = TOP();
    Value enter, exit;
    SYNC();
    if (UNLIKELY(vm->trace)) {
      Value aw;
      if (trace_before_async_with(vm, mgr, &exit, &aw) < 0) goto error;
      sp[-1] = exit;
      PUSH(aw);
      DISPATCH();
    }
    if (vm_with_lookup(vm, mgr, true, &enter, &exit) < 0) goto error;
    sp[-1] = exit;
    PUSH(mgr);
    SYNC();
    Value r = vm_call_special(vm, enter, mgr, NULL, 0);
    if (IS_UNDEF(r)) goto error;
    sp[-1] = r;
    DISPATCH();
  }
  TARGET(GET_AWAITABLE) {
    SYNC();
    Value a = gen_get_awaitable(vm, TOP(), (int)oparg);
    if (IS_UNDEF(a)) goto error;
    sp[-1] = a;
    DISPATCH();
  }
  TARGET(GET_AITER) {
    SYNC();
    Value a = gen_get_aiter(vm, TOP());
    if (IS_UNDEF(a)) goto error;
    sp[-1] = a;
    DISPATCH();
  }
  TARGET(GET_ANEXT) {
    SYNC();
    Value a = gen_get_anext(vm, TOP());
    if (IS_UNDEF(a)) goto error;
    PUSH(a);
    DISPATCH();
  }
  TARGET(END_ASYNC_FOR) {
    Value exc = TOP();
    if (IS_EXC(exc) && exc_matches(vm, AS_EXC(exc), EXC(vm, StopAsyncIteration))) {
      sp -= 2;
      DISPATCH();
    }
    sp--;
    vm->curexc = AS_OBJ(exc);
    goto exception_unwind;
  }
  TARGET(GET_YIELD_FROM_ITER) {
    SYNC();
    Value it = gen_yield_from_iter(vm, TOP(), code);
    if (IS_UNDEF(it)) goto error;
    sp[-1] = it;
    DISPATCH();
  }
  TARGET(SEND) {
    Value v = sp[-1], it = sp[-2], r;
    if (IS_GEN(it) && gen_inline_enter(vm, AS_GEN(it), v, false)) {
      sp--;
      SYNC();
      frame = push_gen_frame(vm, frame, AS_GEN(it), v, true, FRAME_RET_GEN_SEND);
      LOAD_FRAME();
      DISPATCH();
    }
    SYNC();
    int st = gen_iter_send(vm, it, v, &r);
    if (st < 0) goto error;
    if (st == 1) {
      sp[-1] = r;
      DISPATCH();
    }
    sp -= 2;
    PUSH(r);
    JUMPTO(oparg);
    DISPATCH();
  }
  TARGET(YIELD_VALUE) {
    Value v = POP();
    SYNC();
    if (!frame->gen) {
      exc_raise(vm, EXC(vm, RuntimeError), "yield outside a generator frame");
      goto error;
    }
    Frame *caller = frame->back;
    vm->frame = caller;
    vm->depth--;
    frame->back = NULL;
    if (frame->is_entry) {
      *out = v;
      return EXEC_YIELD;
    }
    /* resumed in the loop: the value goes to the caller's stack */
    gen_inline_leave(vm, frame->gen, 1);
    frame = caller;
    LOAD_FRAME();
    PUSH(v);
    DISPATCH();
  }
  TARGET(ASYNC_GEN_WRAP) {
    Value w = gen_async_wrap(vm, TOP());
    if (IS_UNDEF(w)) goto error;
    sp[-1] = w;
    DISPATCH();
  }
  TARGET(FORMAT_VALUE) {
    Value spec = (oparg & 4) ? TOP() : V_UNDEF;
    Value v = (oparg & 4) ? sp[-2] : TOP();
    if (!(oparg & 7) && IS_OBJ(v) && AS_OBJ(v)->type == vm->t_str) {
      DISPATCH();
    }
    SYNC();
    Value r = vm_format_value(vm, v, (int)(oparg & 3), spec);
    if (IS_UNDEF(r)) goto error;
    if (oparg & 4) sp--;
    sp[-1] = r;
    DISPATCH();
  }
  TARGET(PRINT_EXPR) {
    SYNC();
    if (vm_print_expr(vm, TOP()) < 0) goto error;
    sp--;
    DISPATCH();
  }
  TARGET(SETUP_ANNOTATIONS) {
    SYNC();
    DictObj *ns = frame->locals_dict ? frame->locals_dict : frame->globals;
    Value a = dict_get_str(vm, ns, NAME(vm, __annotations__));
    if (IS_UNDEF(a)) {
      if (exc_pending(vm)) goto error;
      DictObj *d = dict_new(vm);
      if (!d || dict_set_str(vm, ns, NAME(vm, __annotations__), v_obj(d)) < 0) goto error;
    }
    DISPATCH();
  }

#ifndef USE_COMPUTED_GOTO
  default:
    exc_raise(vm, EXC(vm, RuntimeError), "unknown opcode %d", (int)INSTR_OP(word));
    goto error;
  }
#endif

error: {
  /* a new exception at instruction ip-1: record where, then unwind */
  kwnames = NULL;
  if (!vm->curexc)
    exc_raise(vm, EXC(vm, RuntimeError), "error return without an exception set");
  int32_t i = (int32_t)(ip - code->code) - 1;
  if (i < 0) i = 0;
  exc_add_traceback(vm, (ExcObj *)vm->curexc, code, i);
}
exception_unwind:
  for (;;) {
    kwnames = NULL;
    int32_t i = (int32_t)(ip - code->code) - 1;
    const ExcTableEntry *h = i >= 0 ? code_find_handler(code, i) : NULL;
    if (h) {
      sp = FRAME_STACK(frame) + h->depth;
      SET_OBJ(sp++, vm->curexc);
      vm->curexc = NULL;
      JUMPTO(h->target);
      DISPATCH();
    }
    /* no handler here: the frame is done */
    frame->sp = sp;
    frame->ip = ip;
    if (frame->is_entry) {
      vm->frame = frame->back;
      vm->depth--;
      if (frame->gen) frame->back = NULL;
      return EXEC_ERROR;
    }
    Frame *caller = frame->back;
    vm->frame = caller;
    vm->depth--;
    if (frame->gen)
      gen_inline_leave(vm, frame->gen, -1); /* a generator resumed in the loop raised */
    else
      frame_release(vm, frame);
    frame = caller;
    LOAD_FRAME();
    /* the caller's CALL raised: its traceback entry */
    exc_add_traceback(vm, (ExcObj *)vm->curexc, code, (int32_t)(ip - code->code) - 1);
  }

#undef LOAD_FRAME
#undef SYNC
#undef PUSH
#undef POP
#undef TOP
#undef PEEK
#undef JUMPTO
#undef CACHE_SLOT
#undef CHECK_BREAKER
#undef TARGET
#undef DISPATCH
}

/* ---- entering the loop from C ---- */

Value vm_run_frame(VM *vm, Frame *f) {
  if (vm_enter_c(vm, " while calling a Python object") < 0) {
    frame_release(vm, f);
    return V_UNDEF;
  }
  if (vm->depth >= vm->recursion_limit) {
    vm_leave_c(vm);
    frame_release(vm, f);
    return exc_raise(vm, EXC(vm, RecursionError), "maximum recursion depth exceeded while calling a Python object");
  }
  f->is_entry = 1;
  f->back = vm->frame;
  vm->frame = f;
  vm->depth++;
  Value out = V_UNDEF;
  int r = execute(vm, f, false, &out);
  frame_release(vm, f);
  vm_leave_c(vm);
  return r == EXEC_ERROR ? V_UNDEF : out;
}

int vm_resume_frame(VM *vm, Frame *f, Value sent, Obj *thrown, Value *out) {
  bool fresh = f->ip == f->code->code;
  if (vm_enter_c(vm, " while calling a Python object") < 0) return -1;
  if (vm->depth >= vm->recursion_limit) {
    vm_leave_c(vm);
    exc_raise(vm, EXC(vm, RecursionError), "maximum recursion depth exceeded while calling a Python object");
    return -1;
  }
  if (thrown) {
    /* like CPython's gen_throw: the exception chains only to the
    ** generator's own handled exception (vm->exc_info is its state now) */
    if (IS_OBJ(vm->exc_info->exc))
      exc_raise_obj(vm, (ExcObj *)thrown);
    else
      vm->curexc = thrown;
    if (fresh) {
      /* never started: it raises at its first line, and is finished */
      ExcObj *e = (ExcObj *)vm->curexc;
      if (exc_add_traceback(vm, e, f->code, 0) == 0 && e->traceback) e->traceback->line = f->code->firstline;
      vm_leave_c(vm);
      return -1;
    }
  }
  f->is_entry = 1;
  f->back = vm->frame;
  vm->frame = f;
  vm->depth++;
  if (!thrown && !fresh) *f->sp++ = sent;
  int r = execute(vm, f, thrown != NULL, out);
  vm_leave_c(vm);
  return r == EXEC_ERROR ? -1 : (r == EXEC_YIELD ? 1 : 0);
}
