/* vm.h — the interpreter state (struct wy_State), frames, and the entry
** points that run code. Everything that is per-interpreter lives here:
** withy has no global mutable state, so a host may run several VMs. */
#ifndef WITHY_VM_H
#define WITHY_VM_H

#include <signal.h>
#include <stdio.h>
#include "object.h"
#include "names.h"
#include "code.h"

typedef struct FuncObj FuncObj;
typedef struct GenObj GenObj;
typedef struct ModuleObj ModuleObj;
typedef struct ExcObj ExcObj;

/* The builtin types every part of the core may need, as vm->t_<name>.
** Their owners create them in their *_type_init. */
#define WY_TYPE_LIST(X) \
  X(object) X(type) X(NoneType) X(bool) X(int) X(float) X(str) X(bytes) \
  X(tuple) X(list) X(dict) X(set) X(frozenset) X(range) X(slice) \
  X(function) X(builtin_function) X(method) X(cell) X(code) X(module) \
  X(generator) X(coroutine) X(async_generator) X(property) \
  X(staticmethod) X(classmethod) X(super) X(NotImplementedType) \
  X(ellipsis) X(traceback) X(dict_keys) X(dict_values) X(dict_items)

/* The "currently handled exception" (sys.exc_info()) is a chain: the VM's
** base state, with each running generator's own state pushed on top while
** it runs. sys.exc_info() reports the first non-None exc from the top. */
typedef struct ExcState {
  Value exc;               /* the handled exception, or None */
  struct ExcState *prev;
} ExcState;

/* A frame: heap-allocated, so a generator simply keeps its frame. Layout of
** slots: [nlocals fast locals][ncells + nfrees CellObj*][value stack]. */
typedef struct Frame {
  struct Frame *back;      /* the caller (NULL at the bottom, and for a suspended generator) */
  CodeObj *code;
  FuncObj *func;           /* NULL for module code */
  DictObj *globals;
  DictObj *builtins;
  DictObj *locals_dict;    /* module/class namespace for LOAD_NAME/STORE_NAME, else NULL */
  const Instr *ip;         /* next instruction to run */
  Value *sp;               /* one past the top of the value stack; kept up to date
                              whenever the frame is not the one executing, and
                              before anything that may reach a safe point */
  GenObj *gen;             /* the generator owning this frame, or NULL */
  uint8_t is_entry;        /* entered from C: the VM loop returns to C when it returns */
  uint8_t on_heap_gen;     /* owned by a generator (freed with it, not on return) */
  uint8_t ret_mode;        /* FRAME_RET_*: what RETURN_VALUE does with the value in the
                              caller (added by the VM; fits in the padding before size) */
  uint32_t size;           /* number of slots (for the frame allocator) */
  Value slots[];
} Frame;

#define FRAME_LOCALS(f) ((f)->slots)
#define FRAME_CELLS(f) ((f)->slots + (f)->code->nlocals)
#define FRAME_STACK(f) ((f)->slots + (f)->code->nlocals + (f)->code->ncells + (f)->code->nfrees)

/* a C module a script can import (filled through withy.h's wy_register_module) */
typedef struct ModuleDef {
  const char *name;
  int (*init)(VM *vm, ModuleObj *m);  /* fill m's dict; -1 on error */
} ModuleDef;

struct wy_State {
  /* --- the running program --- */
  Frame *frame;            /* innermost running frame */
  Obj *curexc;             /* the pending (being raised) exception, an ExcObj, or NULL */
  ExcState *exc_info;      /* top of the handled-exception chain */
  ExcState base_exc_info;
  int depth;               /* Python call depth (frames on the chain) */
  int c_depth;             /* nested C re-entries of the VM loop */
  int recursion_limit;     /* RecursionError past it (default 1000) */
  volatile sig_atomic_t interrupted; /* set by the SIGINT handler: KeyboardInterrupt at the next check */

  /* --- objects the core needs --- */
  StrObj *names[N__COUNT];
#define WY_TYPE_FIELD(n) Type *t_##n;
  WY_TYPE_LIST(WY_TYPE_FIELD)
#undef WY_TYPE_FIELD
  Type **exc_types;        /* indexed by ExcTypeId (exc.h); use EXC(vm, TypeError) */
  Type **iter_types;       /* owned by iter.c */
  Obj *not_implemented;
  Obj *ellipsis;
  StrObj *empty_str;
  TupleObj *empty_tuple;
  DictObj *builtins;       /* the builtins module's dict */
  DictObj *modules;        /* sys.modules: name -> module */
  ModuleObj *sys_module;
  ModuleObj *main_module;
  ModuleDef *module_defs;  /* registered C modules */
  int nmodule_defs, cap_module_defs;
  Value build_class;       /* the __build_class__ builtin */
  Type **builtin_types;    /* every type made by type_new_builtin (GC roots) */
  int nbuiltin_types, cap_builtin_types;

  /* --- interned strings (str.c) --- */
  StrObj **intern;
  int64_t intern_count, intern_cap;

  /* --- program environment --- */
  int argc;
  char **argv;             /* sys.argv */
  const char *script_path; /* the main script, for finding user modules */
  char *script_path_owned; /* api.c's absolute copy of it */
  bool interactive;

  /* --- GC (gc.c) --- */
  Obj *objects;            /* every heap object */
  void *gc_pools[33];      /* free small blocks (objects and arrays), by 16-byte size class */
  char *gc_slab_next, *gc_slab_end; /* the slab new small blocks are cut from */
  void *gc_slabs;          /* every slab, linked through its first word */
  size_t bytes_allocated;
  size_t next_gc;          /* collect when bytes_allocated passes this */
  size_t mem_limit;        /* 0 = none; beyond it allocations raise MemoryError */
  bool gc_stress;
  bool allocated_since_gc;
  bool gc_running;
  Obj **gray; size_t gray_len, gray_cap;
  Value *roots; int nroots, cap_roots;
  bool in_memory_error;    /* allocating the MemoryError itself */

  /* --- frames (vm.c) --- */
  void *frame_pool;        /* free lists of frames by size */

  /* --- embedding API (api.c) --- */
  Value *api_scope;        /* values created through withy.h during the current C call */
  int api_scope_len, api_scope_cap;
  void *pins;              /* wy_Pin list */
  int exit_status;         /* set by SystemExit handling in wy_run_* */
  Obj *api_carrier;        /* api.c: the running C function's data carrier (wy_closure_data) */
  struct NativeObj *current_native; /* the NativeObj being called: set by obj_call /
                              the VM just before calling its fn (read by native_data) */

  /* --- hooks --- */
  void *host;              /* embedder's user data */
  struct TraceState *trace; /* trace.h: non-NULL exactly while a trace sink is installed */
  char **stopped_managers; /* the managers active when the last KeyboardInterrupt hit */
  int nstopped_managers;
  int64_t instr_budget;    /* < 0 = unlimited; instruction-count cap for sandboxes */
  struct AsyncCore *async; /* async.h: the event loop, made on first use */
  int64_t unawaited_coroutines; /* coroutines made and not started: the
                              collector warns about those it frees */
};

#define gc_safepoint(vm) \
  do { if ((vm)->bytes_allocated > (vm)->next_gc || ((vm)->gc_stress && (vm)->allocated_since_gc)) \
         gc_safepoint_slow(vm); } while (0)

/* ---- running code (vm.c) ---- */

/* Create / destroy an interpreter: all types, builtins, sys, io. */
VM *vm_new(void);
void vm_free(VM *vm);

/* Run a module-level code object with the given globals; returns the
** result (None) or V_UNDEF with the exception pending. */
Value vm_run_code(VM *vm, CodeObj *code, DictObj *globals, DictObj *locals);
/* Call a Python function object (used by obj_call for K_FUNC). */
Value vm_call_function(VM *vm, FuncObj *f, Value *args, int nargs, TupleObj *kwnames);
/* Run a class body function with `ns` as its namespace (for __build_class__);
** returns what the body returned (the __class__ cell or None). */
Value vm_run_class_body(VM *vm, FuncObj *body, DictObj *ns);
/* Resume a generator's frame: pushes `sent` (unless the frame is fresh) or
** raises `thrown` (an ExcObj) at the suspension point, and runs until the
** frame yields or returns. Returns 1 and *out = yielded value, 0 and
** *out = return value, or -1 with the exception pending. */
int vm_resume_frame(VM *vm, Frame *f, Value sent, Obj *thrown, Value *out);

/* Frames: allocation from a pool; gen frames are kept by their GenObj */
Frame *frame_new(VM *vm, CodeObj *code, FuncObj *func, DictObj *globals);
void frame_release(VM *vm, Frame *f);
void frame_trace(VM *vm, Frame *f);   /* mark everything a frame holds */

/* Compile and run source text in a module namespace (used by the CLI, the
** REPL, imports, and the API). mode: 0 file, 1 single (REPL: echo
** expression values). Returns -1 with the exception pending (SyntaxError
** included). */
int vm_exec_source(VM *vm, const char *src, size_t len, const char *filename, ModuleObj *m, int mode);

/* the handled exception for sys.exc_info(): None when there is none */
Value vm_handled_exception(VM *vm);

/* ---- added by the VM helper ---- */

/* Frame.ret_mode: a frame the loop pushed on behalf of an opcode
** (WITH_EXIT 0 calls __exit__ as a Python frame) may have its result
** dropped instead of pushed on the caller's stack. */
enum { FRAME_RET_PUSH = 0, FRAME_RET_DISCARD = 1,
       /* an __init__ pushed by CALL on a class: the instance already sits
       ** on the caller's stack; the result must be None */
       FRAME_RET_INIT = 2,
       /* a generator's frame resumed in the loop (gen_inline_enter), by
       ** send()/next()/throw() (its return raises StopIteration(value)),
       ** FOR_ITER (its return ends the loop) or SEND (its return is the
       ** value of the yield from / await); a yield pushes the value on the
       ** caller's stack in every case */
       FRAME_RET_GEN_CALL = 3, FRAME_RET_GEN_FOR = 4, FRAME_RET_GEN_SEND = 5 };
/* class.c: the Python __init__ of a class that CALL may instantiate
** inline (see class_fast_init there), or NULL */
FuncObj *class_fast_init(VM *vm, Type *t);
/* for a call of an object whose class defines __call__ as a Python
** function or a C method: that function, which the VM then calls with the
** object as self in the stack slot CALL leaves for it; else V_UNDEF */
Value class_call_target(VM *vm, Value callable);

/* Guard for C code that re-enters the interpreter recursively (a repr of
** a nested container, a dunder calling a dunder …): 0 when there is room,
** else -1 with RecursionError("maximum recursion depth exceeded<where>")
** pending, e.g. where = " while getting the repr of an object". Every
** successful vm_enter_c must be paired with vm_leave_c. obj_call and the
** VM use it for every C re-entry of the dispatch loop. */
int vm_enter_c(VM *vm, const char *where);
#define vm_leave_c(vm) ((void)((vm)->c_depth--))
/* the most nested C re-entries allowed (the C stack's bound) */
#define WY_C_RECURSION_LIMIT 2000

/* Run `f` (a fresh frame, not yet linked) to completion as an entry frame:
** links it on vm->frame, runs the loop, unlinks it. Returns the return
** value or V_UNDEF with the exception pending. Used by calls from C. */
Value vm_run_frame(VM *vm, Frame *f);
/* Bind a call's arguments into a fresh frame of f (defaults, *args,
** **kwargs, keyword-only, cells, closure) with CPython's TypeErrors.
** self, unless V_UNDEF, is an extra first positional argument (a bound
** method's receiver). args holds nargs positional values followed by the
** keyword values named by kwnames. 0, or -1 with the exception pending
** (the frame is then still the caller's to release). */
int vm_bind_args(VM *vm, Frame *fr, FuncObj *f, Value self, Value *args, int nargs, TupleObj *kwnames);
/* Create the cells of a fresh frame (cellvars, moving cell2arg arguments
** in) and copy the free variables from func->closure. */
int frame_init_cells(VM *vm, Frame *f, FuncObj *func);

/* ---- opcode helpers shared by vm.c and vm_with.c (VM internals) ---- */

/* BEFORE_WITH / BEFORE_ASYNC_WITH: look __enter__/__exit__ (or the async
** pair) up on type(mgr) with CPython's TypeErrors; *enter is the raw
** attribute (call it with vm_call_special), *exit the bound __exit__. */
int vm_with_lookup(VM *vm, Value mgr, bool is_async, Value *enter, Value *exit);

/* WITH_EXIT 0 has consumed `exit`: a bound __exit__ made by
** vm_with_lookup goes back to a small pool (no allocation per with) */
void vm_with_recycle(VM *vm, Value exit);
/* creates the VM_PT_EXIT type and the pool (vm_new, after gen_types_init) */
void vm_with_init(VM *vm);
/* call an attribute found on type(self) as a method of self */
Value vm_call_special(VM *vm, Value attr, Value self, Value *args, int nargs);
/* RAISE_VARARGS n (0, 1, 2): always leaves an exception pending; returns
** 1 when it is a bare re-raise (the traceback is kept as it is), else 0 */
int vm_do_raise(VM *vm, int n, Value exc, Value cause);
/* CHECK_EXC_MATCH: 1/0, -1 when cls is not an exception class/tuple */
int vm_exc_match(VM *vm, Value exc, Value cls);
/* DICT_MERGE (callable non-UNDEF: its errors name it) / DICT_UPDATE */
int vm_dict_merge(VM *vm, DictObj *d, Value m, Value callable, bool merge);
/* CALL_FUNCTION_EX's argument tuple from any iterable (its TypeError names callable) */
Value vm_star_args(VM *vm, Value callable, Value it);
/* UNPACK_SEQUENCE: dest[0..n) receive the items in reverse (dest[n-1] is
** the first item); UNPACK_EX likewise with before/after. The dest slots
** must be GC-visible (the frame's stack below its sp). */
int vm_unpack(VM *vm, Value seq, int n, Value *dest);
int vm_unpack_ex(VM *vm, Value seq, int before, int after, Value *dest);
/* FORMAT_VALUE; spec V_UNDEF when absent */
Value vm_format_value(VM *vm, Value v, int conv, Value spec);
/* PRINT_EXPR */
int vm_print_expr(VM *vm, Value v);
/* the message of LIST_EXTEND's TypeError for a non-iterable */
void vm_fix_star_error(VM *vm, Value it);

/* The frame allocator's pool (vm->frame_pool), made and freed by
** vm_new/vm_free. Frames up to FRAME_POOL_MAX_SLOTS slots are kept on
** free lists by size (linked through back), so a call allocates nothing
** once the pool is warm; the loop pops and pushes them inline. */
/* types private to the VM's files, kept beside the frame pool: gen.c's
** async-generator awaitables and wrapped yields, vm_with.c's bound __exit__ */
enum { VM_PT_ASEND, VM_PT_ATHROW, VM_PT_WRAPPED, VM_PT_EXIT, VM_PT__COUNT };
#define FRAME_POOL_MAX_SLOTS 256
#define FRAME_POOL_MAX_PER_SIZE 1100  /* a recursion at the default limit stays pooled */
typedef struct FramePool {
  Frame *free[FRAME_POOL_MAX_SLOTS + 1];
  uint32_t nfree[FRAME_POOL_MAX_SLOTS + 1];
  char *c_stack_base;          /* where the outermost VM entry's C frame is */
  size_t c_stack_budget;       /* bytes of C stack nested entries may use */
  Type *private_types[VM_PT__COUNT]; /* GC roots through vm->builtin_types */
  ListObj *exit_pool;          /* recycled with-exit bound methods (kept alive
                                  by the VM_PT_EXIT type's dict) */
  struct WithCacheEntry {      /* BEFORE_WITH's lookups on classes, keyed by
                                  (class, version): versions are never reused */
    Type *type;
    uint32_t version;
    Value enter, exit;
  } with_cache[8];
} FramePool;

/* BEFORE_WITH's per-class cache holds classes only (class statements and
** C classes): their versions are unique, so a (class, version) key can
** never match a dead class's entry, and a match means the class's dict
** still holds the two functions */
static inline bool vm_with_cacheable(Type *t) { return (t->flags & (TF_HEAP | TF_HOST)) && t->version != 0; }
static inline struct WithCacheEntry *vm_with_cache_entry(VM *vm, Type *t) {
  return &((FramePool *)vm->frame_pool)->with_cache[((uintptr_t)t >> 5) & 7];
}
bool vm_with_methods_slow(VM *vm, Type *t, Value *enter, Value *exit);
/* t's __enter__ and __exit__ as they are in its MRO (unbound, not called),
** through that cache; false when one is missing */
static inline bool vm_with_methods(VM *vm, Type *t, Value *enter, Value *exit) {
  struct WithCacheEntry *ce = vm_with_cache_entry(vm, t);
  if (ce->type == t && ce->version == t->version) {   /* only cacheable classes get in */
    *enter = ce->enter;
    *exit = ce->exit;
    return true;
  }
  return vm_with_methods_slow(vm, t, enter, exit);
}
int frame_pool_init(VM *vm);
void frame_pool_free(VM *vm);
/* the types private to the VM's files (the pool's private_types) */
Type **vm_private_types(VM *vm);
/* "__main__.f()" — how CPython names a callable in call errors
** ("f() argument after ** must be a mapping, not int"); NULL on error */
StrObj *vm_callable_desc(VM *vm, Value callable);

#endif
