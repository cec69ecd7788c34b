/* vm_with.c — the heavier halves of some opcodes, kept out of the dispatch
** loop: the with-statement lookups (BEFORE_WITH, BEFORE_ASYNC_WITH),
** raise / except matching, ** and * argument merging, unpacking,
** f-string formatting and the REPL echo. Each function raises with
** CPython 3.11's exact message. */
#include <stddef.h>
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "exc.h"
#include "func.h"
#include "str.h"
#include "tuple.h"
#include "list.h"
#include "dict.h"
#include "type.h"
#include "format.h"
#include "builtins.h"

/* ---- with ---- */

static int with_lookup_slow(VM *vm, Value mgr, bool is_async, Value *enter, Value *exit) {
  Type *t = obj_type(vm, mgr);
  const char *kind = is_async ? "asynchronous " : "";
  Value e = type_lookup(vm, t, is_async ? NAME(vm, __aenter__) : NAME(vm, __enter__));
  if (IS_UNDEF(e)) {
    exc_raise(vm, EXC(vm, TypeError), "'%T' object does not support the %scontext manager protocol", mgr, kind);
    return -1;
  }
  Value x = type_lookup(vm, t, is_async ? NAME(vm, __aexit__) : NAME(vm, __exit__));
  if (IS_UNDEF(x)) {
    exc_raise(vm, EXC(vm, TypeError), "'%T' object does not support the %scontext manager protocol (missed %s method)",
              mgr, kind, is_async ? "__aexit__" : "__exit__");
    return -1;
  }
  *enter = e;
  *exit = x;
  return 0;
}

bool vm_with_methods_slow(VM *vm, Type *t, Value *enter, Value *exit) {
  Value e = type_lookup(vm, t, NAME(vm, __enter__));
  if (IS_UNDEF(e)) return false;
  Value x = type_lookup(vm, t, NAME(vm, __exit__));
  if (IS_UNDEF(x)) return false;
  if (vm_with_cacheable(t)) {
    struct WithCacheEntry *ce = vm_with_cache_entry(vm, t);
    ce->type = t;
    ce->version = t->version;
    ce->enter = e;
    ce->exit = x;
  }
  *enter = e;
  *exit = x;
  return true;
}

int vm_with_lookup(VM *vm, Value mgr, bool is_async, Value *enter, Value *exit) {
  FramePool *p = vm->frame_pool;
  Type *t = obj_type(vm, mgr);
  Value e, x;
  if (is_async || !vm_with_methods(vm, t, &e, &x)) {
    /* async, or a method missing: the slow path raises CPython's message */
    if (with_lookup_slow(vm, mgr, is_async, &e, &x) < 0) return -1;
  }
  Value bound;
  Type *exit_type = p->private_types[VM_PT_EXIT];
  bool plain_native = IS_NATIVE(x) && (AS_NATIVE(x)->flags & NATIVE_METHOD) && IS_UNDEF(AS_NATIVE(x)->self);
  if ((IS_FUNC(x) || plain_native) && exit_type) {
    /* the common case: a plain function (or a C class's method), bound
    ** without allocating when the pool has a bound method left by an
    ** earlier with */
    BoundObj *b;
    if (p->exit_pool && p->exit_pool->len > 0) {
      b = AS_BOUND(p->exit_pool->items[--p->exit_pool->len]);
    } else {
      b = gc_alloc_obj(vm, sizeof(BoundObj), K_BOUND, exit_type);
      if (!b) return -1;
    }
    b->func = x;
    b->self = mgr;
    bound = v_obj(b);
  } else {
    bound = descr_bind(vm, x, mgr, t);
    if (IS_UNDEF(bound)) return -1;
  }
  *enter = e;
  *exit = bound;
  return 0;
}

/* Only the bound methods made above are recycled: their type is private,
** so user code never holds one (they live in the with's stack slot, and
** WITH_EXIT 0 calls their function with their self, not them). */
void vm_with_recycle(VM *vm, Value exit) {
  FramePool *p = vm->frame_pool;
  ListObj *pool = p->exit_pool;
  if (!IS_OBJ(exit) || AS_OBJ(exit)->type != p->private_types[VM_PT_EXIT] || !pool) return;
  if (pool->len >= 64 || pool->len >= pool->cap) return;
  BoundObj *b = AS_BOUND(exit);
  b->func = V_NONE;
  b->self = V_NONE;
  pool->items[pool->len++] = exit;
}

void vm_with_init(VM *vm) {
  Type *t = type_new_builtin(vm, "method", NULL, K_BOUND, 0);
  if (!t || !vm->t_method) return;
  /* behaves as a method everywhere: the slots of vm->t_method */
  size_t off = offsetof(Type, repr);
  memcpy((char *)t + off, (char *)vm->t_method + off, sizeof(Type) - off);
  ListObj *pool = list_new(vm, 64);
  if (!pool) return;
  if (dict_set_cstr(vm, t->dict, "pool", v_obj(pool)) < 0) return;
  ((FramePool *)vm->frame_pool)->exit_pool = pool;
  vm_private_types(vm)[VM_PT_EXIT] = t;
}

Value vm_call_special(VM *vm, Value attr, Value self, Value *args, int nargs) {
  bool plain = IS_FUNC(attr) || (IS_NATIVE(attr) && (AS_NATIVE(attr)->flags & NATIVE_METHOD) &&
                                 IS_UNDEF(AS_NATIVE(attr)->self));
  if (plain) {
    Value small[8];
    Value *buf = small;
    size_t size = (size_t)(nargs + 1) * sizeof(Value);
    if (nargs + 1 > 8) {
      buf = gc_malloc(vm, size);
      if (!buf) return V_UNDEF;
    }
    buf[0] = self;
    if (nargs) memcpy(buf + 1, args, (size_t)nargs * sizeof(Value));
    Value r = obj_call(vm, attr, buf, nargs + 1, NULL);
    if (buf != small) gc_free(vm, buf, size);
    return r;
  }
  Value bound = descr_bind(vm, attr, self, obj_type(vm, self));
  if (IS_UNDEF(bound)) return V_UNDEF;
  gc_push_root(vm, bound);
  Value r = obj_call(vm, bound, args, nargs, NULL);
  gc_pop_roots(vm, 1);
  return r;
}

/* ---- raise and except ---- */

static bool is_exception_class(Value v) {
  return IS_TYPE(v) && (AS_TYPE(v)->flags & TF_EXCEPTION);
}

int vm_do_raise(VM *vm, int n, Value exc, Value cause) {
  if (n == 0) {
    Value h = vm_handled_exception(vm);
    if (!IS_OBJ(h)) {
      exc_raise(vm, EXC(vm, RuntimeError), "No active exception to reraise");
      return 0;
    }
    vm->curexc = AS_OBJ(h);
    return 1;
  }
  ExcObj *e = exc_from_value(vm, exc);
  if (!e) return 0;
  if (n == 2) {
    gc_push_root(vm, v_obj(e));
    Value c = V_NONE;
    if (is_exception_class(cause)) {
      ExcObj *ce = exc_from_value(vm, cause);
      if (!ce) {
        gc_pop_roots(vm, 1);
        return 0;
      }
      c = v_obj(ce);
    } else if (IS_EXC(cause)) {
      c = cause;
    } else if (!IS_NONE(cause)) {
      gc_pop_roots(vm, 1);
      exc_raise(vm, EXC(vm, TypeError), "exception causes must derive from BaseException");
      return 0;
    }
    e->cause = c;
    e->suppress_context = true;
    gc_pop_roots(vm, 1);
  }
  exc_raise_obj(vm, e);
  return 0;
}

int vm_exc_match(VM *vm, Value exc, Value cls) {
  if (IS_TUPLE(cls)) {
    TupleObj *t = AS_TUPLE(cls);
    for (int64_t i = 0; i < t->len; i++)
      if (!is_exception_class(t->items[i])) goto bad;
    Type *et = obj_type(vm, exc);
    for (int64_t i = 0; i < t->len; i++)
      if (type_is_subtype(et, AS_TYPE(t->items[i]))) return 1;
    return 0;
  }
  if (!is_exception_class(cls)) goto bad;
  return type_is_subtype(obj_type(vm, exc), AS_TYPE(cls)) ? 1 : 0;
bad:
  exc_raise(vm, EXC(vm, TypeError), "catching classes that do not inherit from BaseException is not allowed");
  return -1;
}

/* ---- ** and * in calls and displays ---- */

static bool type_is_iterable(Type *t) {
  return t->iter != NULL || t->getitem != NULL;
}

void vm_fix_star_error(VM *vm, Value it) {
  if (!exc_pending_matches(vm, EXC(vm, TypeError)) || type_is_iterable(obj_type(vm, it))) return;
  exc_clear(vm);
  exc_raise(vm, EXC(vm, TypeError), "Value after * must be an iterable, not %T", it);
}

Value vm_star_args(VM *vm, Value callable, Value it) {
  Value t = tuple_from_iterable(vm, it);
  if (!IS_UNDEF(t)) return t;
  if (!exc_pending_matches(vm, EXC(vm, TypeError)) || type_is_iterable(obj_type(vm, it))) return V_UNDEF;
  exc_clear(vm);
  StrObj *desc = vm_callable_desc(vm, callable);
  if (!desc) return V_UNDEF;
  return exc_raise(vm, EXC(vm, TypeError), "%U argument after * must be an iterable, not %T", desc, it);
}

static int merge_one(VM *vm, DictObj *d, Value k, Value v, Value callable, bool merge) {
  if (merge) {
    if (!IS_STR(k)) {
      exc_raise(vm, EXC(vm, TypeError), "keywords must be strings");
      return -1;
    }
    Value old = dict_get(vm, d, k);
    if (!IS_UNDEF(old)) {
      StrObj *desc = vm_callable_desc(vm, callable);
      if (!desc) return -1;
      exc_raise(vm, EXC(vm, TypeError), "%U got multiple values for keyword argument '%U'", desc, AS_STR(k));
      return -1;
    }
    if (exc_pending(vm)) return -1;
  }
  return dict_set(vm, d, k, v);
}

int vm_dict_merge(VM *vm, DictObj *d, Value m, Value callable, bool merge) {
  if (IS_DICT(m)) {
    DictObj *src = AS_DICT(m);
    int64_t pos = 0;
    Value k, v;
    while (dict_next(src, &pos, &k, &v))
      if (merge_one(vm, d, k, v, callable, merge) < 0) return -1;
    return 0;
  }
  Value keys = obj_getattr_opt(vm, m, NAME(vm, keys));
  if (IS_UNDEF(keys)) {
    if (exc_pending(vm)) return -1;
    if (merge && !IS_UNDEF(callable)) {
      StrObj *desc = vm_callable_desc(vm, callable);
      if (!desc) return -1;
      exc_raise(vm, EXC(vm, TypeError), "%U argument after ** must be a mapping, not %T", desc, m);
    } else {
      exc_raise(vm, EXC(vm, TypeError), "'%T' object is not a mapping", m);
    }
    return -1;
  }
  gc_push_root(vm, keys);
  Value ks = obj_call0(vm, keys);
  gc_pop_roots(vm, 1);
  if (IS_UNDEF(ks)) return -1;
  gc_push_root(vm, ks);
  Value it = obj_iter(vm, ks);
  if (IS_UNDEF(it)) {
    gc_pop_roots(vm, 1);
    return -1;
  }
  gc_push_root(vm, it);
  int rc = 0;
  for (;;) {
    Value k = obj_next(vm, it);
    if (IS_UNDEF(k)) {
      if (exc_pending(vm)) rc = -1;
      break;
    }
    gc_push_root(vm, k);
    Value v = obj_getitem(vm, m, k);
    if (IS_UNDEF(v)) {
      gc_pop_roots(vm, 1);
      rc = -1;
      break;
    }
    gc_push_root(vm, v);
    int r = merge_one(vm, d, k, v, callable, merge);
    gc_pop_roots(vm, 2);
    if (r < 0) {
      rc = -1;
      break;
    }
  }
  gc_pop_roots(vm, 2);
  return rc;
}

/* ---- unpacking ---- */

static Value unpack_iter(VM *vm, Value seq) {
  Value it = obj_iter(vm, seq);
  if (!IS_UNDEF(it)) return it;
  if (exc_pending_matches(vm, EXC(vm, TypeError)) && !type_is_iterable(obj_type(vm, seq))) {
    exc_clear(vm);
    exc_raise(vm, EXC(vm, TypeError), "cannot unpack non-iterable %T object", seq);
  }
  return V_UNDEF;
}

int vm_unpack(VM *vm, Value seq, int n, Value *dest) {
  if (IS_TUPLE(seq) || IS_LIST(seq)) {
    Type *t = AS_OBJ(seq)->type;
    if (t == vm->t_tuple || t == vm->t_list) {
      int64_t len = IS_TUPLE(seq) ? AS_TUPLE(seq)->len : AS_LIST(seq)->len;
      Value *items = IS_TUPLE(seq) ? AS_TUPLE(seq)->items : AS_LIST(seq)->items;
      if (len < n) {
        exc_raise(vm, EXC(vm, ValueError), "not enough values to unpack (expected %d, got %lld)", n, (long long)len);
        return -1;
      }
      if (len > n) {
        exc_raise(vm, EXC(vm, ValueError), "too many values to unpack (expected %d)", n);
        return -1;
      }
      for (int i = 0; i < n; i++) dest[n - 1 - i] = items[i];
      return 0;
    }
  }
  Value it = unpack_iter(vm, seq);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  TupleObj *got = tuple_new(vm, n);
  if (!got) {
    gc_pop_roots(vm, 1);
    return -1;
  }
  gc_push_root(vm, v_obj(got));
  int rc = -1;
  for (int i = 0; i < n; i++) {
    Value x = obj_next(vm, it);
    if (IS_UNDEF(x)) {
      if (!exc_pending(vm))
        exc_raise(vm, EXC(vm, ValueError), "not enough values to unpack (expected %d, got %d)", n, i);
      goto done;
    }
    got->items[i] = x;
  }
  Value extra = obj_next(vm, it);
  if (!IS_UNDEF(extra)) {
    exc_raise(vm, EXC(vm, ValueError), "too many values to unpack (expected %d)", n);
    goto done;
  }
  if (exc_pending(vm)) goto done;
  for (int i = 0; i < n; i++) dest[n - 1 - i] = got->items[i];
  rc = 0;
done:
  gc_pop_roots(vm, 2);
  return rc;
}

int vm_unpack_ex(VM *vm, Value seq, int before, int after, Value *dest) {
  Value it = unpack_iter(vm, seq);
  if (IS_UNDEF(it)) return -1;
  gc_push_root(vm, it);
  Value lv = list_from_iterable(vm, it);
  gc_pop_roots(vm, 1);
  if (IS_UNDEF(lv)) return -1;
  ListObj *all = AS_LIST(lv);
  int64_t len = all->len;
  if (len < before + after) {
    exc_raise(vm, EXC(vm, ValueError), "not enough values to unpack (expected at least %d, got %lld)",
              before + after, (long long)len);
    return -1;
  }
  gc_push_root(vm, lv);
  int64_t nmid = len - before - after;
  ListObj *mid = list_new(vm, nmid);
  gc_pop_roots(vm, 1);
  if (!mid) return -1;
  for (int64_t j = 0; j < nmid; j++)
    if (list_append(vm, mid, all->items[before + j]) < 0) return -1;
  int k = 0;
  for (int64_t j = len - 1; j >= len - after; j--) dest[k++] = all->items[j];
  dest[k++] = v_obj(mid);
  for (int64_t j = before - 1; j >= 0; j--) dest[k++] = all->items[j];
  return 0;
}

/* ---- f-strings and the REPL ---- */

/* ascii(): repr with every non-ASCII code point escaped */
static Value ascii_of(VM *vm, Value v) {
  Value r = obj_repr(vm, v);
  if (IS_UNDEF(r)) return V_UNDEF;
  StrObj *s = AS_STR(r);
  if (s->obj.flags & STR_ASCII) return r;
  SBuf b;
  sbuf_init(&b);
  size_t i = 0, n = (size_t)s->len;
  while (i < n) {
    size_t adv = 1;
    uint32_t cp = utf8_decode(STR_CSTR(s) + i, n - i, &adv);
    if (cp < 0x80)
      sbuf_addc(&b, (char)cp);
    else if (cp < 0x100)
      sbuf_printf(&b, "\\x%02x", cp);
    else if (cp < 0x10000)
      sbuf_printf(&b, "\\u%04x", cp);
    else
      sbuf_printf(&b, "\\U%08x", cp);
    i += adv ? adv : 1;
  }
  StrObj *out = sbuf_finish(vm, &b);
  return out ? v_obj(out) : V_UNDEF;
}

Value vm_format_value(VM *vm, Value v, int conv, Value spec) {
  switch (conv) {
    case 1: v = obj_str(vm, v); break;
    case 2: v = obj_repr(vm, v); break;
    case 3: v = ascii_of(vm, v); break;
    default: break;
  }
  if (IS_UNDEF(v)) return V_UNDEF;
  if (IS_UNDEF(spec)) {
    if (IS_OBJ(v) && AS_OBJ(v)->type == vm->t_str) return v;
    spec = v_obj(vm->empty_str);
  }
  gc_push_root(vm, v);
  Value r = format_value(vm, v, AS_STR(spec));
  gc_pop_roots(vm, 1);
  return r;
}

int vm_print_expr(VM *vm, Value v) {
  if (IS_NONE(v)) return 0;
  StrObj *underscore = str_intern_cstr(vm, "_");
  if (!underscore || dict_set_str(vm, vm->builtins, underscore, V_NONE) < 0) return -1;
  Value r = obj_repr(vm, v);
  if (IS_UNDEF(r)) return -1;
  gc_push_root(vm, r);
  int rc = builtins_write_stdout(vm, STR_CSTR(AS_STR(r)), (size_t)AS_STR(r)->len);
  if (rc >= 0) rc = builtins_write_stdout(vm, "\n", 1);
  gc_pop_roots(vm, 1);
  if (rc < 0) return -1;
  return dict_set_str(vm, vm->builtins, underscore, v) < 0 ? -1 : 0;
}
