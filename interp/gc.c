/* gc.c — allocation accounting and the precise, non-moving mark–sweep
** collector (see gc.h for when it runs and what the roots are).
**
** Every object is a malloc'd block with a small hidden header recording its
** size, so the sweep can keep exact byte counts without asking each kind.
** Marking is iterative (an explicit gray stack) so a long linked structure
** cannot overflow the C stack.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gc.h"
#include "vm.h"
#include "exc.h"
#include "str.h"
#include "gen.h"

/* The hidden header in front of every object. Sized to keep the object
** itself maximally aligned. */
typedef union GcHeader {
  size_t size;
  max_align_t align_;
} GcHeader;

#define HEADER_OF(o) ((GcHeader *)(o) - 1)
#ifndef GC_MIN_THRESHOLD
#define GC_MIN_THRESHOLD ((size_t)4 << 20)
#endif

/* Small objects (header included, up to GC_POOL_LIMIT bytes) are recycled
** through per-size-class free lists instead of going back to malloc: most
** objects die young, and malloc+free per object was a fifth of a generator
** benchmark. A block no list has yet is cut from a 64 KiB slab (calloc per
** object cost more than the object's whole construction); slabs go back to
** malloc only when the VM closes. The sanitizer build turns pooling off so
** ASan still sees use-after-free. */
#define GC_POOL_LIMIT 512
#define GC_POOL_CLASS(total) (((total) + 15) >> 4)
#define GC_SLAB_BYTES ((size_t)64 * 1024 - 64)

typedef struct PoolBlock { struct PoolBlock *next; } PoolBlock;

#ifndef WITHY_GC_NO_POOLS
/* a fresh block of `rounded` bytes from the current slab, or NULL */
static void *slab_cut(VM *vm, size_t rounded) {
  if ((size_t)(vm->gc_slab_end - vm->gc_slab_next) < rounded) {
    /* the old slab's tail (under GC_POOL_LIMIT bytes) is left unused */
    char *slab = malloc(GC_SLAB_BYTES);
    if (!slab) return NULL;
    *(void **)slab = vm->gc_slabs;
    vm->gc_slabs = slab;
    vm->gc_slab_next = slab + sizeof(max_align_t); /* the link, keeping blocks aligned */
    vm->gc_slab_end = slab + GC_SLAB_BYTES;
  }
  void *b = vm->gc_slab_next;
  vm->gc_slab_next += rounded;
  return b;
}
#endif

/* memset with a size the compiler knows, for the common small classes:
** stores inline instead of a library call per object */
static inline void zero_block(void *p, size_t cls) {
  switch (cls) {
#define ZERO_CASE(n) case n: memset(p, 0, (n) * 16); break;
    ZERO_CASE(1) ZERO_CASE(2) ZERO_CASE(3) ZERO_CASE(4) ZERO_CASE(5) ZERO_CASE(6) ZERO_CASE(7) ZERO_CASE(8)
    ZERO_CASE(9) ZERO_CASE(10) ZERO_CASE(11) ZERO_CASE(12)
#undef ZERO_CASE
    default: memset(p, 0, cls << 4);
  }
}

static GcHeader *block_alloc(VM *vm, size_t total) {
#ifndef WITHY_GC_NO_POOLS
  if (total <= GC_POOL_LIMIT) {
    size_t cls = GC_POOL_CLASS(total);
    size_t rounded = cls << 4;
    PoolBlock *b = vm->gc_pools[cls];
    void *p;
    if (b) {
      vm->gc_pools[cls] = b->next;
      p = b;
    } else {
      p = slab_cut(vm, rounded);
      if (!p) return NULL;
    }
    zero_block(p, cls);
    GcHeader *h = p;
    h->size = rounded;
    return h;
  }
#else
  (void)vm;
#endif
  GcHeader *h = calloc(1, total);
  if (h) h->size = total;
  return h;
}

static void block_release(VM *vm, GcHeader *h) {
#ifndef WITHY_GC_NO_POOLS
  if (h->size <= GC_POOL_LIMIT) {
    PoolBlock *b = (PoolBlock *)h;
    size_t cls = h->size >> 4;
    b->next = vm->gc_pools[cls];
    vm->gc_pools[cls] = b;
    return;
  }
#else
  (void)vm;
#endif
  free(h);
}

void gc_release_pools(VM *vm) {
  for (size_t c = 0; c < sizeof vm->gc_pools / sizeof vm->gc_pools[0]; c++) vm->gc_pools[c] = NULL;
  void *slab = vm->gc_slabs;
  while (slab) {
    void *next = *(void **)slab;
    free(slab);
    slab = next;
  }
  vm->gc_slabs = NULL;
  vm->gc_slab_next = vm->gc_slab_end = NULL;
}

/* api.c marks its handle scope and pins through this hook */
void api_mark_roots(VM *vm);

/* ---- accounting ---- */

/* No single block may be this big: such a request is a MemoryError at
** once, without asking malloc (which may overcommit, or abort under ASan) */
#define GC_MAX_BLOCK ((size_t)1 << 40)

/* Would growing by `extra` bytes break the embedder's memory cap? */
static bool over_limit(VM *vm, size_t extra) {
  if (extra >= GC_MAX_BLOCK) return true;
  return vm->mem_limit != 0 && vm->bytes_allocated + extra > vm->mem_limit;
}

/* Arrays (gc_malloc) carry no header: their owner states the size again
** when it frees or grows them, and small ones share the objects' size
** classes (a dict's first table, a list's items, a frame).
** The sanitizer build has no pools; instead it keeps the size in a header
** and aborts when a caller states another, so the suite checks the
** contract the pooled build relies on. */
#ifdef WITHY_GC_NO_POOLS
static void *array_alloc(VM *vm, size_t size) {
  (void)vm;
  GcHeader *h = malloc(sizeof(GcHeader) + size);
  if (!h) return NULL;
  h->size = size;
  return h + 1;
}

static GcHeader *array_header(void *p, size_t size) {
  GcHeader *h = (GcHeader *)p - 1;
  if (h->size != size) {
    fprintf(stderr, "withy: internal error: array of %zu bytes released as %zu bytes\n", h->size, size);
    abort();
  }
  return h;
}

static void array_release(VM *vm, void *p, size_t size) {
  (void)vm;
  free(array_header(p, size));
}

static void *array_resize(VM *vm, void *p, size_t old_size, size_t new_size) {
  (void)vm;
  GcHeader *h = realloc(array_header(p, old_size), sizeof(GcHeader) + new_size);
  if (!h) return NULL;
  h->size = new_size;
  return h + 1;
}
#else
static void *array_alloc(VM *vm, size_t size) {
  if (size > GC_POOL_LIMIT) return malloc(size);
  size_t cls = GC_POOL_CLASS(size);
  PoolBlock *b = vm->gc_pools[cls];
  if (b) {
    vm->gc_pools[cls] = b->next;
    return b;
  }
  return slab_cut(vm, cls << 4);
}

static void array_release(VM *vm, void *p, size_t size) {
  if (size > GC_POOL_LIMIT) {
    free(p);
    return;
  }
  PoolBlock *b = p;
  size_t cls = GC_POOL_CLASS(size);
  b->next = vm->gc_pools[cls];
  vm->gc_pools[cls] = b;
}

static void *array_resize(VM *vm, void *p, size_t old_size, size_t new_size) {
  if (old_size > GC_POOL_LIMIT && new_size > GC_POOL_LIMIT) return realloc(p, new_size);
  if (old_size <= GC_POOL_LIMIT && new_size <= GC_POOL_LIMIT && GC_POOL_CLASS(old_size) == GC_POOL_CLASS(new_size))
    return p;
  void *q = array_alloc(vm, new_size);
  if (!q) return NULL;
  memcpy(q, p, old_size < new_size ? old_size : new_size);
  array_release(vm, p, old_size);
  return q;
}
#endif

void *gc_malloc(VM *vm, size_t size) {
  if (size == 0) size = 1;
  void *p = over_limit(vm, size) ? NULL : array_alloc(vm, size);
  if (!p) {
    exc_no_memory(vm);
    return NULL;
  }
  vm->bytes_allocated += size;
  vm->allocated_since_gc = true;
  return p;
}

void *gc_realloc(VM *vm, void *p, size_t old_size, size_t new_size) {
  if (new_size == 0) {
    gc_free(vm, p, old_size);
    return NULL;
  }
  if (!p) return gc_malloc(vm, new_size);
  if (old_size == 0) old_size = 1; /* what gc_malloc(0) took */
  size_t grow = new_size > old_size ? new_size - old_size : 0;
  void *q = over_limit(vm, grow) ? NULL : array_resize(vm, p, old_size, new_size);
  if (!q) {
    exc_no_memory(vm);
    return NULL;
  }
  vm->bytes_allocated = vm->bytes_allocated - old_size + new_size;
  vm->allocated_since_gc = true;
  return q;
}

void gc_free(VM *vm, void *p, size_t size) {
  if (!p) return;
  if (size == 0) size = 1;
  array_release(vm, p, size);
  vm->bytes_allocated -= size < vm->bytes_allocated ? size : vm->bytes_allocated;
}

void *gc_alloc_obj(VM *vm, size_t size, ObjKind kind, Type *type) {
  size_t total = sizeof(GcHeader) + size;
  GcHeader *h = over_limit(vm, total) ? NULL : block_alloc(vm, total);
  if (!h) {
    exc_no_memory(vm);
    return NULL;
  }
  Obj *o = (Obj *)(h + 1);
  o->type = type;
  o->kind = (uint8_t)kind;
  o->gc_next = vm->objects;
  vm->objects = o;
  vm->bytes_allocated += h->size;
  vm->allocated_since_gc = true;
  return o;
}

/* ---- marking ---- */

static void gray_push(VM *vm, Obj *o) {
  if (vm->gray_len == vm->gray_cap) {
    size_t cap = vm->gray_cap ? vm->gray_cap * 2 : 256;
    /* the gray stack is the collector's own memory: plain realloc, and on
    ** failure fall back to tracing this object right away (recursively) */
    Obj **g = realloc(vm->gray, cap * sizeof *g);
    if (!g) {
      gc_trace_children(vm, o);
      return;
    }
    vm->gray = g;
    vm->gray_cap = cap;
  }
  vm->gray[vm->gray_len++] = o;
}

void gc_mark_obj(VM *vm, Obj *o) {
  if (!o || o->marked) return;
  o->marked = 1;
  gray_push(vm, o);
}

void gc_mark_value(VM *vm, Value v) {
  if (v.tag == VT_OBJ) gc_mark_obj(vm, v.u.o);
}

static void mark_exc_states(VM *vm) {
  for (ExcState *s = vm->exc_info; s; s = s->prev) gc_mark_value(vm, s->exc);
  gc_mark_value(vm, vm->base_exc_info.exc);
}

static void mark_roots(VM *vm) {
  for (int i = 0; i < N__COUNT; i++) gc_mark_obj(vm, (Obj *)vm->names[i]);
#define WY_MARK_TYPE(n) gc_mark_obj(vm, (Obj *)vm->t_##n);
  WY_TYPE_LIST(WY_MARK_TYPE)
#undef WY_MARK_TYPE
  for (int i = 0; i < vm->nbuiltin_types; i++) gc_mark_obj(vm, (Obj *)vm->builtin_types[i]);
  if (vm->exc_types)
    for (int i = 0; i < EXC__COUNT; i++) gc_mark_obj(vm, (Obj *)vm->exc_types[i]);
  gc_mark_obj(vm, vm->not_implemented);
  gc_mark_obj(vm, vm->ellipsis);
  gc_mark_obj(vm, (Obj *)vm->empty_str);
  gc_mark_obj(vm, (Obj *)vm->empty_tuple);
  gc_mark_obj(vm, (Obj *)vm->builtins);
  gc_mark_obj(vm, (Obj *)vm->modules);
  gc_mark_obj(vm, (Obj *)vm->sys_module);
  gc_mark_obj(vm, (Obj *)vm->main_module);
  gc_mark_value(vm, vm->build_class);
  for (int64_t i = 0; i < vm->intern_cap; i++)
    if (vm->intern && vm->intern[i]) gc_mark_obj(vm, (Obj *)vm->intern[i]);
  gc_mark_obj(vm, vm->curexc);
  mark_exc_states(vm);
  for (Frame *f = vm->frame; f; f = f->back) frame_trace(vm, f);
  for (int i = 0; i < vm->nroots; i++) gc_mark_value(vm, vm->roots[i]);
  for (int i = 0; i < vm->api_scope_len; i++) gc_mark_value(vm, vm->api_scope[i]);
  api_mark_roots(vm);
}

static void drain_gray(VM *vm) {
  while (vm->gray_len > 0) gc_trace_children(vm, vm->gray[--vm->gray_len]);
}

/* ---- sweeping ---- */

static void free_block(VM *vm, Obj *o) {
  gc_free_object(vm, o);
  GcHeader *h = HEADER_OF(o);
  size_t size = h->size;
  block_release(vm, h);
  vm->bytes_allocated -= size < vm->bytes_allocated ? size : vm->bytes_allocated;
}

static void sweep(VM *vm) {
  Obj **link = &vm->objects;
  while (*link) {
    Obj *o = *link;
    if (o->marked) {
      o->marked = 0;
      link = &o->gc_next;
    } else {
      *link = o->gc_next;
      free_block(vm, o);
    }
  }
}

void gc_collect(VM *vm) {
  if (vm->gc_running) return;
  vm->gc_running = true;
  mark_roots(vm);
  drain_gray(vm);
  if (vm->unawaited_coroutines > 0) gen_warn_unawaited(vm, false);
  sweep(vm);
  size_t next = vm->bytes_allocated * 2;
  vm->next_gc = next < GC_MIN_THRESHOLD ? GC_MIN_THRESHOLD : next;
  vm->allocated_since_gc = false;
  vm->gc_running = false;
}

void gc_safepoint_slow(VM *vm) { gc_collect(vm); }

/* ---- temporary roots ---- */

void gc_push_root(VM *vm, Value v) {
  if (vm->nroots == vm->cap_roots) {
    int cap = vm->cap_roots ? vm->cap_roots * 2 : 64;
    Value *r = realloc(vm->roots, (size_t)cap * sizeof *r);
    if (!r) {
      /* cannot root: make collection impossible until the pop instead */
      vm->gc_running = true;
      return;
    }
    vm->roots = r;
    vm->cap_roots = cap;
  }
  vm->roots[vm->nroots++] = v;
}

void gc_pop_roots(VM *vm, int n) {
  vm->nroots = n > vm->nroots ? 0 : vm->nroots - n;
}

/* ---- per-kind dispatch ---- */

#include "bytes.h"
#include "code.h"
#include "dict.h"
#include "func.h"
#include "gen.h"
#include "iter.h"
#include "list.h"
#include "module.h"
#include "range.h"
#include "set.h"
#include "tuple.h"
#include "type.h"

void gc_trace_children(VM *vm, Obj *o) {
  gc_mark_obj(vm, (Obj *)o->type);
  switch ((ObjKind)o->kind) {
    case K_TYPE: case K_INSTANCE: case K_SUPER: case K_FOREIGN: case K_SINGLETON:
      type_trace(vm, o); break;
    case K_STR: str_trace(vm, o); break;
    case K_BYTES: bytes_trace(vm, o); break;
    case K_TUPLE: tuple_trace(vm, o); break;
    case K_LIST: list_trace(vm, o); break;
    case K_DICT: dict_trace(vm, o); break;
    case K_SET: set_trace(vm, o); break;
    case K_RANGE: case K_SLICE: range_trace(vm, o); break;
    case K_FUNC: case K_NATIVE: case K_BOUND: case K_CELL: case K_PROPERTY:
    case K_STATICMETHOD: case K_CLASSMETHOD:
      func_trace(vm, o); break;
    case K_CODE: code_trace(vm, o); break;
    case K_MODULE: module_trace(vm, o); break;
    case K_EXC: case K_TRACEBACK: exc_trace(vm, o); break;
    case K_GEN: gen_trace(vm, o); break;
    case K_ITER: iter_trace(vm, o); break;
    case K_FRAME_HOLDER: case K_COUNT: break;
  }
}

void gc_free_object(VM *vm, Obj *o) {
  switch ((ObjKind)o->kind) {
    case K_TYPE: case K_INSTANCE: case K_SUPER: case K_FOREIGN: case K_SINGLETON:
      type_free(vm, o); break;
    case K_STR: str_free(vm, o); break;
    case K_BYTES: bytes_free(vm, o); break;
    case K_TUPLE: tuple_free(vm, o); break;
    case K_LIST: list_free(vm, o); break;
    case K_DICT: dict_free(vm, o); break;
    case K_SET: set_free(vm, o); break;
    case K_RANGE: case K_SLICE: range_free(vm, o); break;
    case K_FUNC: case K_NATIVE: case K_BOUND: case K_CELL: case K_PROPERTY:
    case K_STATICMETHOD: case K_CLASSMETHOD:
      func_free(vm, o); break;
    case K_CODE: code_free(vm, o); break;
    case K_MODULE: module_free(vm, o); break;
    case K_EXC: case K_TRACEBACK: exc_free(vm, o); break;
    case K_GEN: gen_free(vm, o); break;
    case K_ITER: iter_free(vm, o); break;
    case K_FRAME_HOLDER: case K_COUNT: break;
  }
}

/* ---- life cycle ---- */

void gc_init(VM *vm) {
  vm->next_gc = GC_MIN_THRESHOLD;
  const char *stress = getenv("WITHY_GC_STRESS");
  vm->gc_stress = stress && *stress && strcmp(stress, "0") != 0;
}

void gc_shutdown(VM *vm) {
  if (vm->unawaited_coroutines > 0) gen_warn_unawaited(vm, true);
  Obj *o = vm->objects;
  vm->objects = NULL;
  while (o) {
    Obj *next = o->gc_next;
    free_block(vm, o);
    o = next;
  }
  free(vm->gray);
  vm->gray = NULL;
  vm->gray_len = vm->gray_cap = 0;
  free(vm->roots);
  vm->roots = NULL;
  vm->nroots = vm->cap_roots = 0;
}
