/* gc.h — allocation and the precise, non-moving mark–sweep collector.
**
** When does it collect? Only at safe points: gc_safepoint() is called by
** the VM loop (calls, loop back-edges, allocating instructions) and by the
** API, where every live value is reachable from a root. Plain allocation
** never collects, so C code may hold fresh objects in C locals between
** allocations. C code that calls back into Python (obj_call, obj_repr of a
** user object, …) while holding a fresh object in a C local MUST root it
** first (gc_push_root / gc_pop_roots): the callee reaches safe points.
**
** Roots: the frames of the running call chain (locals, cells, the value
** stack up to sp), generator frames through their GenObj, vm->curexc, the
** handled-exception chain, the module table, builtins, the interned-string
** table, the builtin type objects, the temporary root stack, API handles.
**
** WITHY_GC_STRESS=1 in the environment collects at every safe point that
** follows an allocation, so a missing root shows up at once.
*/
#ifndef WITHY_GC_H
#define WITHY_GC_H

#include "object.h"

/* A new object, zeroed, header filled. NULL with MemoryError pending when
** out of memory (or over the embedder's memory cap). */
void *gc_alloc_obj(VM *vm, size_t size, ObjKind kind, Type *type);

/* Raw buffers owned by an object (list items, dict tables…), counted
** toward GC pressure and the memory cap. NULL + MemoryError on failure.
** gc_realloc(vm, p, old, 0) frees. Sizes are in bytes. */
void *gc_malloc(VM *vm, size_t size);
void *gc_realloc(VM *vm, void *p, size_t old_size, size_t new_size);
void gc_free(VM *vm, void *p, size_t size);
/* n * size with overflow check: SIZE_MAX on overflow (then gc_malloc fails cleanly) */
static inline size_t gc_array_size(size_t n, size_t size) {
  size_t total;
  return __builtin_mul_overflow(n, size, &total) ? SIZE_MAX : total;
}

void gc_mark_value(VM *vm, Value v);
void gc_mark_obj(VM *vm, Obj *o);   /* NULL is fine */

/* Temporary roots for C code (a stack; pop what you pushed). */
void gc_push_root(VM *vm, Value v);
void gc_pop_roots(VM *vm, int n);

void gc_collect(VM *vm);
/* gc_safepoint(vm), the cheap check, is a macro in vm.h (it reads VM fields) */
void gc_safepoint_slow(VM *vm);

void gc_init(VM *vm);
void gc_shutdown(VM *vm);   /* frees every object (no finalizers run Python code) */
/* gives the small-block slabs back to malloc: last, after every gc_free */
void gc_release_pools(VM *vm);

/* the tracing and freeing of each ObjKind lives in its module, dispatched here */
void gc_trace_children(VM *vm, Obj *o);
void gc_free_object(VM *vm, Obj *o);

#endif
