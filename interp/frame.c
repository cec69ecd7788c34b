/* frame.c — heap frames: allocation from per-size free lists (so a call of
** a Python function allocates nothing once the pool is warm), the cells a
** fresh frame needs, and the tracing of everything a frame holds.
**
** Frames are not GC objects: a frame on the running chain is a root (gc.c
** walks vm->frame -> back), a suspended generator's frame is reached
** through its GenObj, and a frame in the pool holds nothing. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "vm.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "frame_simple.h"
#include "tuple.h"
#include "gen.h"

Type **vm_private_types(VM *vm) { return ((FramePool *)vm->frame_pool)->private_types; }

static size_t frame_bytes(uint32_t size) { return sizeof(Frame) + (size_t)size * sizeof(Value); }

int frame_pool_init(VM *vm) {
  FramePool *p = calloc(1, sizeof *p);
  if (!p) return -1;
  /* Nested C re-entries of the loop are also bounded by bytes of C stack:
  ** three quarters of the soft limit, at most 6 MiB (threads of embedders
  ** usually get less than the main thread; keep the margin generous). */
  size_t budget = (size_t)6 << 20;
  struct rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    size_t soft = (size_t)rl.rlim_cur / 4 * 3;
    if (soft < budget) budget = soft;
  }
  p->c_stack_budget = budget;
  vm->frame_pool = p;
  return 0;
}

void frame_pool_free(VM *vm) {
  FramePool *p = vm->frame_pool;
  if (!p) return;
  for (int i = 0; i <= FRAME_POOL_MAX_SLOTS; i++) {
    Frame *f = p->free[i];
    while (f) {
      Frame *next = f->back;
      gc_free(vm, f, frame_bytes(f->size));
      f = next;
    }
  }
  free(p);
  vm->frame_pool = NULL;
}

int vm_enter_c(VM *vm, const char *where) {
  FramePool *p = vm->frame_pool;
  char here;
  if (vm->c_depth == 0) p->c_stack_base = &here;
  size_t used = p->c_stack_base > &here ? (size_t)(p->c_stack_base - &here) : 0;
  if (vm->c_depth >= WY_C_RECURSION_LIMIT || used > p->c_stack_budget) {
    exc_raise(vm, EXC(vm, RecursionError), "maximum recursion depth exceeded%s", where ? where : "");
    return -1;
  }
  vm->c_depth++;
  return 0;
}

Frame *frame_new(VM *vm, CodeObj *code, FuncObj *func, DictObj *globals) {
  uint32_t size = (uint32_t)(code->nlocals + code->ncells + code->nfrees + code->stacksize);
  FramePool *p = vm->frame_pool;
  Frame *f = NULL;
  if (size <= FRAME_POOL_MAX_SLOTS && p->free[size]) {
    f = p->free[size];
    p->free[size] = f->back;
    p->nfree[size]--;
  } else {
    /* through gc_malloc: frames count toward GC pressure and the
    ** embedder's memory cap (MemoryError past it) */
    f = gc_malloc(vm, frame_bytes(size));
    if (!f) return NULL;
  }
  f->back = NULL;
  frame_set_fields(vm, f, code, func, globals);
  f->size = size;
  /* locals and cells start unbound (VT_UNDEF is 0); the stack is empty */
  size_t nvars = (size_t)(code->nlocals + code->ncells + code->nfrees);
  memset(f->slots, 0, nvars * sizeof(Value));
  f->sp = f->slots + nvars;
  return f;
}

void frame_release(VM *vm, Frame *f) {
  if (!f) return;
  FramePool *p = vm->frame_pool;
  if (p && f->size <= FRAME_POOL_MAX_SLOTS && p->nfree[f->size] < FRAME_POOL_MAX_PER_SIZE) {
    f->back = p->free[f->size];
    p->free[f->size] = f;
    p->nfree[f->size]++;
  } else {
    gc_free(vm, f, frame_bytes(f->size));
  }
}

int frame_init_cells(VM *vm, Frame *f, FuncObj *func) {
  CodeObj *co = f->code;
  Value *cells = FRAME_CELLS(f);
  for (int32_t k = 0; k < co->ncells; k++) {
    Value init = V_UNDEF;
    if (co->cell2arg && co->cell2arg[k] >= 0) init = FRAME_LOCALS(f)[co->cell2arg[k]];
    CellObj *c = cell_new(vm, init);
    if (!c) return -1;
    cells[k] = v_obj(c);
  }
  if (co->nfrees > 0) {
    TupleObj *closure = func ? func->closure : NULL;
    if (!closure || closure->len < co->nfrees) {
      exc_raise(vm, EXC(vm, RuntimeError), "code object %U needs %d free variables but the closure is missing",
                co->name, (int)co->nfrees);
      return -1;
    }
    for (int32_t i = 0; i < co->nfrees; i++) cells[co->ncells + i] = closure->items[i];
  }
  return 0;
}

void frame_trace(VM *vm, Frame *f) {
  gc_mark_obj(vm, (Obj *)f->code);
  gc_mark_obj(vm, (Obj *)f->func);
  gc_mark_obj(vm, (Obj *)f->globals);
  gc_mark_obj(vm, (Obj *)f->builtins);
  gc_mark_obj(vm, (Obj *)f->locals_dict);
  gc_mark_obj(vm, (Obj *)f->gen);
  for (Value *v = f->slots; v < f->sp; v++) gc_mark_value(vm, *v);
}
