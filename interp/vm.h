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
  bool interactive;

  /* --- GC (gc.c) --- */
  Obj *objects;            /* every heap object */
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

  /* --- hooks --- */
  void *trace;             /* the trace sink (issue: tracing); NULL = off */
  void *host;              /* embedder's user data */
  int64_t instr_budget;    /* < 0 = unlimited; instruction-count cap for sandboxes */
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

#endif
