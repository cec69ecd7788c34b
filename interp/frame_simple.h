/* frame_simple.h — the frame of the common call, shared by the VM's CALL
** (vm.c) and calls from C (call.c): a plain Python function given exactly
** its positional parameters (no defaults, keywords, cells, not a
** generator — func.c's fast_argc), in a pooled frame of its size. */
#ifndef WITHY_FRAME_SIMPLE_H
#define WITHY_FRAME_SIMPLE_H

#include "vm.h"
#include "func.h"

/* a fresh frame's fields for running code (frame_new does the same) */
static inline void frame_set_fields(VM *vm, Frame *f, CodeObj *code, FuncObj *func, DictObj *globals) {
  f->code = code;
  f->func = func;
  f->globals = globals;
  f->builtins = vm->builtins;
  f->locals_dict = NULL;
  f->ip = code->code;
  f->gen = NULL;
  f->is_entry = 0;
  f->on_heap_gen = 0;
  f->ret_mode = FRAME_RET_PUSH;
}

/* the frame, its locals bound (self first when not V_UNDEF), its back
** link set to caller; NULL when the call needs the general binding, would
** pass the recursion limit, or no frame of that size is free */
static inline __attribute__((always_inline)) Frame *frame_take_simple(VM *vm, Frame *caller, FuncObj *fn, Value self,
                                                                      const Value *args, int nargs) {
  int shift = IS_UNDEF(self) ? 0 : 1;
  if (nargs + shift != fn->fast_argc || vm->depth >= vm->recursion_limit) return NULL;
  uint32_t size = fn->fast_size;
  FramePool *p = vm->frame_pool;
  Frame *f = p->free[size];
  if (!f) return NULL;
  CodeObj *co = fn->code;
  p->free[size] = f->back;
  p->nfree[size]--;
  f->back = caller;
  frame_set_fields(vm, f, co, fn, fn->globals);
  Value *l = f->slots;
  if (shift) l[0] = self;
  for (int i = 0; i < nargs; i++) l[shift + i] = args[i];
  for (int32_t i = nargs + shift; i < co->nlocals; i++) {
    l[i].tag = VT_UNDEF;
    l[i].u.i = 0;
  }
  f->sp = l + co->nlocals;
  return f;
}

#endif
