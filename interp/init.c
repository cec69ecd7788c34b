/* init.c — an interpreter's birth and death (vm_new / vm_free, in the
** start-up order of the common brief), and the entry points that run a
** module's code: vm_run_code, vm_exec_source (parse + compile + run,
** syntax errors becoming SyntaxError), vm_handled_exception. */
#include <stdlib.h>
#include <string.h>
#include "trace.h"
#include "vm.h"
#include "async.h"
#include "gc.h"
#include "exc.h"
#include "str.h"
#include "num.h"
#include "bytes.h"
#include "tuple.h"
#include "list.h"
#include "dict.h"
#include "set.h"
#include "range.h"
#include "iter.h"
#include "func.h"
#include "type.h"
#include "gen.h"
#include "module.h"
#include "builtins.h"
#include "parser.h"
#include "compiler.h"

VM *vm_new(void) {
  VM *vm = calloc(1, sizeof *vm);
  if (!vm) return NULL;
  if (frame_pool_init(vm) < 0) {
    free(vm);
    return NULL;
  }
  vm->recursion_limit = 1000;
  vm->instr_budget = -1;
  vm->base_exc_info.exc = V_NONE;
  vm->base_exc_info.prev = NULL;
  vm->exc_info = &vm->base_exc_info;
  vm->build_class = V_UNDEF;

  gc_init(vm);
  type_bootstrap(vm);
  names_init(vm);
  vm->builtins = dict_new(vm);
  vm->modules = dict_new(vm);
  type_types_init(vm);
  func_types_init(vm);
  num_types_init(vm);
  str_type_init(vm);
  bytes_type_init(vm);
  tuple_type_init(vm);
  list_type_init(vm);
  dict_type_init(vm);
  set_type_init(vm);
  range_type_init(vm);
  iter_types_init(vm);
  code_type_init(vm);
  module_types_init(vm);
  exc_types_init(vm);
  gen_types_init(vm);
  vm_with_init(vm);
  builtins_init(vm);
  if (vm->curexc || !vm->builtins || !vm->modules) {
    /* start-up ran out of memory: nothing useful can run */
    vm_free(vm);
    return NULL;
  }
  return vm;
}

void vm_free(VM *vm) {
  if (!vm) return;
  async_shutdown(vm);   /* first: a worker's done() still runs with the VM whole */
  vm->frame = NULL;
  vm->curexc = NULL;
  gc_shutdown(vm);
  trace_free(vm);   /* after the GC: finalizers may still report leaks */
  frame_pool_free(vm);
  /* tables of the core that live outside the GC heap (gc_malloc'd: they
  ** go back with their sizes, before the pools they may sit in) */
  str_intern_free(vm);
  gc_free(vm, vm->builtin_types, (size_t)vm->cap_builtin_types * sizeof(Type *));
  gc_free(vm, vm->module_defs, (size_t)vm->cap_module_defs * sizeof *vm->module_defs);
  gc_free(vm, vm->exc_types, EXC_TYPES_ALLOC_SIZE);
  gc_free(vm, vm->iter_types, IT__COUNT * sizeof(Type *));
  gc_release_pools(vm);
  free(vm);
}

Value vm_run_code(VM *vm, CodeObj *code, DictObj *globals, DictObj *locals) {
  Frame *f = frame_new(vm, code, NULL, globals);
  if (!f) return V_UNDEF;
  f->locals_dict = locals ? locals : globals;
  if ((code->ncells || code->nfrees) && frame_init_cells(vm, f, NULL) < 0) {
    frame_release(vm, f);
    return V_UNDEF;
  }
  return vm_run_frame(vm, f);
}

int vm_exec_source(VM *vm, const char *src, size_t len, const char *filename, ModuleObj *m, int mode) {
  SyntaxErrorInfo err;
  memset(&err, 0, sizeof err);
  Module *ast = parse_source(src, len, mode, &err);
  if (!ast) {
    exc_raise_syntax(vm, &err, filename, src, len);
    return -1;
  }
  CodeObj *code = compile_module(vm, ast, filename, mode, &err);
  module_ast_free(ast);
  if (!code) {
    if (!exc_pending(vm)) exc_raise_syntax(vm, &err, filename, src, len);
    return -1;
  }
  Value mv = v_obj(m);
  gc_push_root(vm, mv);
  gc_push_root(vm, v_obj(code));
  Value r = vm_run_code(vm, code, m->dict, m->dict);
  gc_pop_roots(vm, 2);
  return IS_UNDEF(r) ? -1 : 0;
}

Value vm_handled_exception(VM *vm) {
  for (ExcState *s = vm->exc_info; s; s = s->prev)
    if (IS_OBJ(s->exc)) return s->exc;
  return V_NONE;
}
