/* compiler.c — the compiler's infrastructure: code units (one per code
** object being built), instruction emission with labels and exception
** handlers, the constant / name / variable tables, name resolution into
** LOAD_FAST / LOAD_DEREF / LOAD_GLOBAL / LOAD_NAME, the unwinding of
** frame blocks for break / continue / return, the assembler (exact stack
** depth by flow analysis, exception table, final CodeObj), and
** compile_module. The code generation for statements lives in
** compile_stmt.c and for expressions in compile_expr.c.
**
** How exception handlers are laid out: every instruction records the
** handler that is current when it is emitted. A pseudo-instruction
** (PSEUDO_SETUP) marks where a handler starts protecting code, so that the
** flow analysis can read the stack depth there; it is dropped from the
** final code. Consecutive instructions with the same handler become one
** exception-table entry. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler_internal.h"
#include "gc.h"
#include "vm.h"
#include "str.h"
#include "tuple.h"
#include "bytes.h"
#include "exc.h"

/* ------------------------------------------------------------------ */
/* Errors                                                              */

void compile_error(Compiler *c, Span span, const char *fmt, ...) {
  if (c->failed) return;
  c->failed = true;
  SyntaxErrorInfo *e = c->err;
  memset(e, 0, sizeof *e);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  /* CPython reports compile-time errors at the node's byte offset + 1 */
  e->line = span.line;
  e->col = span.col + 1;
  e->end_line = span.end_line;
  e->end_col = span.end_col + 1;
}

/* out of memory, or an exception already pending (MemoryError,
** RecursionError): compile_module returns NULL with err->msg empty */
void compile_fail_pending(Compiler *c) {
  if (c->failed) return;
  c->failed = true;
  memset(c->err, 0, sizeof *c->err);
  if (!exc_pending(c->vm)) exc_no_memory(c->vm);
}

bool compile_enter_recursion(Compiler *c) {
  if (c->failed) return false;
  if (++c->depth > COMPILER_MAX_DEPTH) {
    c->depth--;
    c->failed = true;
    memset(c->err, 0, sizeof *c->err);
    exc_raise(c->vm, EXC(c->vm, RecursionError), "maximum recursion depth exceeded during compilation");
    return false;
  }
  return true;
}

static bool grow(Compiler *c, void **arr, int *cap, int need, size_t elem) {
  if (need <= *cap) return true;
  int ncap = *cap ? *cap * 2 : 16;
  while (ncap < need) ncap *= 2;
  void *p = realloc(*arr, (size_t)ncap * elem);
  if (p == NULL) { compile_fail_pending(c); return false; }
  *arr = p;
  *cap = ncap;
  return true;
}

/* ------------------------------------------------------------------ */
/* Pointer -> index maps (names, variables, cells)                     */

static size_t ptr_hash(const void *p) {
  uintptr_t x = (uintptr_t)p;
  x ^= x >> 17;
  x *= (uintptr_t)0x9E3779B97F4A7C15ull;
  return (size_t)(x ^ (x >> 29));
}

int32_t pi_get(const PtrIndex *pi, const void *key) {
  if (pi->cap == 0) return -1;
  size_t mask = (size_t)pi->cap - 1;
  for (size_t i = ptr_hash(key) & mask; pi->keys[i] != NULL; i = (i + 1) & mask)
    if (pi->keys[i] == key) return pi->vals[i];
  return -1;
}

static bool pi_put(PtrIndex *pi, const void *key, int32_t val);

static bool pi_grow(PtrIndex *pi) {
  PtrIndex bigger = {0};
  bigger.cap = pi->cap ? pi->cap * 2 : 16;
  bigger.keys = calloc((size_t)bigger.cap, sizeof(void *));
  bigger.vals = calloc((size_t)bigger.cap, sizeof(int32_t));
  if (bigger.keys == NULL || bigger.vals == NULL) {
    free(bigger.keys);
    free(bigger.vals);
    return false;
  }
  for (int i = 0; i < pi->cap; i++)
    if (pi->keys[i] != NULL) pi_put(&bigger, pi->keys[i], pi->vals[i]);
  free(pi->keys);
  free(pi->vals);
  *pi = bigger;
  return true;
}

static bool pi_put(PtrIndex *pi, const void *key, int32_t val) {
  if ((pi->len + 1) * 2 >= pi->cap && !pi_grow(pi)) return false;
  size_t mask = (size_t)pi->cap - 1;
  size_t i = ptr_hash(key) & mask;
  while (pi->keys[i] != NULL && pi->keys[i] != key) i = (i + 1) & mask;
  if (pi->keys[i] == NULL) pi->len++;
  pi->keys[i] = key;
  pi->vals[i] = val;
  return true;
}

static void pi_free(PtrIndex *pi) {
  free(pi->keys);
  free(pi->vals);
  memset(pi, 0, sizeof *pi);
}

/* append name to a table unless present; returns its index */
static int32_t name_table_add(Compiler *c, StrObj ***arr, int *n, int *cap, PtrIndex *ix, StrObj *name) {
  int32_t i = pi_get(ix, name);
  if (i >= 0) return i;
  if (!grow(c, (void **)arr, cap, *n + 1, sizeof(StrObj *))) return -1;
  if (!pi_put(ix, name, *n)) { compile_fail_pending(c); return -1; }
  (*arr)[*n] = name;
  return (*n)++;
}

/* ------------------------------------------------------------------ */
/* Constants: deduplicated by value and type (1, 1.0 and True differ)  */

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

static uint64_t bytes_fnv(const void *p, size_t len) {
  const unsigned char *s = p;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < len; i++) h = (h ^ s[i]) * 1099511628211ull;
  return h;
}

static uint64_t const_hash(Value v) {
  switch (v.tag) {
    case VT_NONE: return 1;
    case VT_BOOL: return 2 + (uint64_t)AS_BOOL(v);
    case VT_INT: return mix64((uint64_t)AS_INT(v)) ^ 0x10;
    case VT_FLOAT: {
      uint64_t bits;
      double f = AS_FLOAT(v);
      memcpy(&bits, &f, sizeof bits);
      return mix64(bits) ^ 0x20;
    }
    case VT_OBJ: break;
    default: return 0;
  }
  Obj *o = AS_OBJ(v);
  switch ((ObjKind)o->kind) {
    case K_STR: return bytes_fnv(((StrObj *)o)->data, (size_t)((StrObj *)o)->len) ^ 0x30;
    case K_BYTES: return bytes_fnv(((BytesObj *)o)->data, (size_t)((BytesObj *)o)->len) ^ 0x40;
    case K_TUPLE: {
      TupleObj *t = (TupleObj *)o;
      uint64_t h = 0x50 + (uint64_t)t->len;
      for (int64_t i = 0; i < t->len; i++) h = mix64(h ^ const_hash(t->items[i]));
      return h;
    }
    default: return mix64((uint64_t)(uintptr_t)o);
  }
}

static bool const_same(Value a, Value b) {
  if (a.tag != b.tag) return false;
  switch (a.tag) {
    case VT_NONE: case VT_UNDEF: return true;
    case VT_BOOL: return AS_BOOL(a) == AS_BOOL(b);
    case VT_INT: return AS_INT(a) == AS_INT(b);
    case VT_FLOAT: {
      double x = AS_FLOAT(a), y = AS_FLOAT(b);
      return memcmp(&x, &y, sizeof x) == 0;   /* 0.0 and -0.0 differ */
    }
    default: break;
  }
  Obj *x = AS_OBJ(a), *y = AS_OBJ(b);
  if (x == y) return true;
  if (x->kind != y->kind) return false;
  switch ((ObjKind)x->kind) {
    case K_STR: {
      StrObj *s = (StrObj *)x, *t = (StrObj *)y;
      return s->len == t->len && memcmp(s->data, t->data, (size_t)s->len) == 0;
    }
    case K_BYTES: {
      BytesObj *s = (BytesObj *)x, *t = (BytesObj *)y;
      return s->len == t->len && memcmp(s->data, t->data, (size_t)s->len) == 0;
    }
    case K_TUPLE: {
      TupleObj *s = (TupleObj *)x, *t = (TupleObj *)y;
      if (s->len != t->len) return false;
      for (int64_t i = 0; i < s->len; i++)
        if (!const_same(s->items[i], t->items[i])) return false;
      return true;
    }
    default: return false;   /* code objects are never shared */
  }
}

static bool cindex_grow(Unit *u) {
  int ncap = u->ncindex ? u->ncindex * 2 : 32;
  int32_t *idx = malloc((size_t)ncap * sizeof(int32_t));
  if (idx == NULL) return false;
  for (int i = 0; i < ncap; i++) idx[i] = -1;
  size_t mask = (size_t)ncap - 1;
  for (int k = 0; k < u->nconsts; k++) {
    if (IS_CODE(u->consts[k])) continue;
    size_t i = (size_t)const_hash(u->consts[k]) & mask;
    while (idx[i] >= 0) i = (i + 1) & mask;
    idx[i] = k;
  }
  free(u->cindex);
  u->cindex = idx;
  u->ncindex = ncap;
  return true;
}

static int32_t const_append(Compiler *c, Value v) {
  Unit *u = c->u;
  if (!grow(c, (void **)&u->consts, &u->capconsts, u->nconsts + 1, sizeof(Value))) return -1;
  u->consts[u->nconsts] = v;
  return u->nconsts++;
}

int32_t add_const(Compiler *c, Value v) {
  Unit *u = c->u;
  if (c->failed) return -1;
  if (IS_CODE(v)) return const_append(c, v);
  if ((u->nconsts + 1) * 2 >= u->ncindex && !cindex_grow(u)) { compile_fail_pending(c); return -1; }
  size_t mask = (size_t)u->ncindex - 1;
  size_t i = (size_t)const_hash(v) & mask;
  for (; u->cindex[i] >= 0; i = (i + 1) & mask)
    if (const_same(u->consts[u->cindex[i]], v)) return u->cindex[i];
  int32_t k = const_append(c, v);
  if (k >= 0) u->cindex[i] = k;
  return k;
}

int32_t add_name(Compiler *c, StrObj *name) {
  if (c->failed || name == NULL) return -1;
  Unit *u = c->u;
  return name_table_add(c, &u->names, &u->nnames, &u->capnames, &u->names_ix, name);
}

StrObj *intern_cstr(Compiler *c, const char *s) {
  if (c->failed) return NULL;
  StrObj *r = str_intern_cstr(c->vm, s);
  if (r == NULL) compile_fail_pending(c);
  return r;
}

StrObj *intern_len(Compiler *c, const char *s, size_t len) {
  if (c->failed) return NULL;
  StrObj *r = str_intern(c->vm, s, len);
  if (r == NULL) compile_fail_pending(c);
  return r;
}

StrObj *mangle_name(Compiler *c, const char *s) {
  StrObj *r = intern_cstr(c, s);
  if (r == NULL) return NULL;
  r = symtable_mangle(c->vm, c->u->private_name, r);
  if (r == NULL) compile_fail_pending(c);
  return r;
}

/* ------------------------------------------------------------------ */
/* Emission                                                            */

CodeLoc span_loc(Span s) {
  CodeLoc l;
  l.line = s.line;
  l.end_line = s.end_line;
  l.col = (int16_t)((s.col >= 0 && s.col <= INT16_MAX) ? s.col : -1);
  l.end_col = (int16_t)((s.end_col >= 0 && s.end_col <= INT16_MAX) ? s.end_col : -1);
  return l;
}

int32_t emit(Compiler *c, int op, int32_t arg) {
  if (c->failed) return -1;
  Unit *u = c->u;
  if (arg < 0 || arg >= (1 << 24)) {
    compile_error(c, (Span){u->loc.line, 0, u->loc.end_line, 0}, "code object too large");
    return -1;
  }
  if (!grow(c, (void **)&u->instrs, &u->capinstrs, u->ninstrs + 2, sizeof(IInstr))) return -1;
  int32_t at = u->ninstrs;
  IInstr *in = &u->instrs[u->ninstrs++];
  in->op = (uint8_t)op;
  in->arg = arg;
  in->handler = u->cur_handler;
  in->loc = u->loc;
  if (OPCODE_HAS_CACHE(op)) {
    IInstr *cw = &u->instrs[u->ninstrs++];
    *cw = *in;
    cw->op = OP_CACHE;
    cw->arg = u->ncaches++;
  }
  return at;
}

int32_t new_label(Compiler *c) {
  if (c->failed) return -1;
  Unit *u = c->u;
  if (!grow(c, (void **)&u->labels, &u->caplabels, u->nlabels + 1, sizeof(int32_t))) return -1;
  u->labels[u->nlabels] = -1;
  return u->nlabels++;
}

void bind_label(Compiler *c, int32_t label) {
  if (c->failed || label < 0) return;
  c->u->labels[label] = c->u->ninstrs;
}

void emit_jump(Compiler *c, int op, int32_t label) {
  if (label < 0) return;
  emit(c, op, label);
}

int32_t new_handler(Compiler *c, int32_t label, int32_t delta) {
  if (c->failed) return -1;
  Unit *u = c->u;
  if (!grow(c, (void **)&u->handlers, &u->caphandlers, u->nhandlers + 1, sizeof(Handler))) return -1;
  Handler *h = &u->handlers[u->nhandlers];
  h->label = label;
  h->delta = delta;
  h->depth = -1;
  return u->nhandlers++;
}

void setup_handler(Compiler *c, int32_t h) {
  if (c->failed || h < 0) return;
  emit(c, PSEUDO_SETUP, h);
  c->u->cur_handler = h;
}

void emit_load_const(Compiler *c, Value v) {
  int32_t k = add_const(c, v);
  if (k >= 0) emit(c, OP_LOAD_CONST, k);
}

void emit_load_none(Compiler *c) { emit_load_const(c, V_NONE); }

/* attribute instructions carry the attribute's own position when the
** expression spans lines (`obj\n  .method()`), as CPython 3.11 does */
CodeLoc attr_loc(Expr *e) {
  CodeLoc l = span_loc(e->span);
  if (e->span.line != e->span.end_line) {
    l.line = e->span.end_line;
    int len = (int)strlen(e->u.attr.name);
    l.col = (int16_t)(l.end_col >= len ? l.end_col - len : -1);
    if (l.col < 0) l.end_col = -1;
  }
  return l;
}

void emit_attr_op(Compiler *c, int op, Expr *attr) {
  StrObj *name = mangle_name(c, attr->u.attr.name);
  int32_t k = add_name(c, name);
  if (k < 0) return;
  CodeLoc old = c->u->loc;
  c->u->loc = attr_loc(attr);
  emit(c, op, k);
  c->u->loc = old;
}

/* the await / yield-from loop: [it, v] -> [result] (opcodes.h SEND) */
void emit_yield_from_loop(Compiler *c) {
  int32_t send = new_label(c), exit = new_label(c);
  bind_label(c, send);
  emit_jump(c, OP_SEND, exit);
  emit(c, OP_YIELD_VALUE, 1);
  emit_jump(c, OP_JUMP, send);   /* assembled as JUMP_BACKWARD */
  bind_label(c, exit);
}

void emit_await(Compiler *c, int awaitable_kind) {
  emit(c, OP_GET_AWAITABLE, awaitable_kind);
  emit_load_none(c);
  emit_yield_from_loop(c);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

/* index of a cell or free variable as LOAD_CLOSURE / LOAD_DEREF see it */
static int32_t cell_index(Unit *u, StrObj *name, bool prefer_cell) {
  int32_t i = pi_get(&u->cell_ix, name);
  if (i >= 0 && prefer_cell) return i;
  int32_t f = pi_get(&u->free_ix, name);
  if (f >= 0) return u->ncells + f;
  return i;
}

void compile_name_obj(Compiler *c, StrObj *name, Ctx ctx, Span span) {
  if (c->failed || name == NULL) return;
  Unit *u = c->u;
  Scope *sc = u->scope;
  bool fn = scope_is_function_like(sc);
  SymScope where = scope_of_name(sc, name);
  int op;
  int32_t arg;
  if (where == SYM_FREE || where == SYM_CELL) {
    arg = cell_index(u, name, where == SYM_CELL);
    if (arg < 0) {
      compile_error(c, span, "internal compiler error: no cell for '%s'", STR_CSTR(name));
      return;
    }
    if (ctx == CTX_LOAD) op = sc->kind == SCOPE_CLASS ? OP_LOAD_CLASSDEREF : OP_LOAD_DEREF;
    else op = ctx == CTX_STORE ? OP_STORE_DEREF : OP_DELETE_DEREF;
  } else if (where == SYM_LOCAL && fn) {
    arg = name_table_add(c, &u->varnames, &u->nvarnames, &u->capvarnames, &u->var_ix, name);
    op = ctx == CTX_LOAD ? OP_LOAD_FAST : ctx == CTX_STORE ? OP_STORE_FAST : OP_DELETE_FAST;
  } else if (where == SYM_GLOBAL_EXPLICIT || (where == SYM_GLOBAL_IMPLICIT && fn)) {
    arg = add_name(c, name);
    op = ctx == CTX_LOAD ? OP_LOAD_GLOBAL : ctx == CTX_STORE ? OP_STORE_GLOBAL : OP_DELETE_GLOBAL;
  } else {
    /* module and class namespaces */
    arg = add_name(c, name);
    op = ctx == CTX_LOAD ? OP_LOAD_NAME : ctx == CTX_STORE ? OP_STORE_NAME : OP_DELETE_NAME;
  }
  if (arg >= 0) emit(c, op, arg);
}

void compile_name(Compiler *c, const char *id, Ctx ctx, Span span) {
  compile_name_obj(c, mangle_name(c, id), ctx, span);
}

/* ------------------------------------------------------------------ */
/* Units                                                               */

Unit *enter_unit(Compiler *c, Scope *sc, StrObj *name, StrObj *qualname, int firstline) {
  if (c->failed) return NULL;
  Unit *u = calloc(1, sizeof(Unit));
  if (u == NULL) { compile_fail_pending(c); return NULL; }
  u->parent = c->u;
  u->scope = sc;
  u->name = name;
  u->qualname = qualname;
  u->firstline = firstline;
  u->doc = V_NONE;
  u->cur_handler = -1;
  u->loc = (CodeLoc){firstline, firstline, -1, -1};
  if (sc->kind == SCOPE_CLASS) u->private_name = sc->name;
  else u->private_name = u->parent ? u->parent->private_name : NULL;
  c->u = u;
  if (scope_is_function_like(sc)) {
    for (int i = 0; i < sc->nparams; i++)
      name_table_add(c, &u->varnames, &u->nvarnames, &u->capvarnames, &u->var_ix, sc->params[i]);
    for (int i = 0; i < sc->nsyms; i++)
      if (sc->syms[i].scope == SYM_LOCAL)
        name_table_add(c, &u->varnames, &u->nvarnames, &u->capvarnames, &u->var_ix, sc->syms[i].name);
  }
  int capcells = 0, capfrees = 0, capc2a = 0;
  for (int i = 0; i < sc->nsyms + 1; i++) {
    StrObj *cell = NULL;
    if (i < sc->nsyms && sc->syms[i].scope == SYM_CELL) cell = sc->syms[i].name;
    if (i == sc->nsyms && sc->kind == SCOPE_CLASS && sc->needs_class_closure) cell = c->s_class;
    if (cell == NULL) continue;
    int32_t before = u->ncells;
    int32_t k = name_table_add(c, &u->cellnames, &u->ncells, &capcells, &u->cell_ix, cell);
    if (k < 0 || k != before) continue;
    if (!grow(c, (void **)&u->cell2arg, &capc2a, u->ncells, sizeof(int32_t))) break;
    bool is_param = i < sc->nsyms && (sc->syms[i].flags & DEF_PARAM);
    u->cell2arg[k] = is_param ? pi_get(&u->var_ix, cell) : -1;
  }
  for (int i = 0; i < sc->nsyms; i++) {
    Symbol *s = &sc->syms[i];
    if (s->scope == SYM_FREE || (s->flags & DEF_FREE_CLASS))
      name_table_add(c, &u->freenames, &u->nfrees, &capfrees, &u->free_ix, s->name);
  }
  return u;
}

void leave_unit(Compiler *c) {
  Unit *u = c->u;
  if (u == NULL) return;
  c->u = u->parent;
  free(u->instrs);
  free(u->labels);
  free(u->handlers);
  free(u->fblocks);
  free(u->consts);
  free(u->cindex);
  free(u->names);
  free(u->varnames);
  free(u->cellnames);
  free(u->cell2arg);
  free(u->freenames);
  pi_free(&u->names_ix);
  pi_free(&u->var_ix);
  pi_free(&u->cell_ix);
  pi_free(&u->free_ix);
  free(u);
}

/* CPython's __qualname__ rules: "f", "C.m", "f.<locals>.g" */
StrObj *make_qualname(Compiler *c, Scope *child, StrObj *name) {
  Unit *parent = c->u;
  if (c->failed || name == NULL) return NULL;
  if (parent == NULL || parent->scope->kind == SCOPE_MODULE) return name;
  if (child->kind == SCOPE_FUNCTION || child->kind == SCOPE_CLASS) {
    StrObj *mangled = symtable_mangle(c->vm, parent->private_name, name);
    if (mangled == NULL) { compile_fail_pending(c); return NULL; }
    if (scope_of_name(parent->scope, mangled) == SYM_GLOBAL_EXPLICIT) return name;
  }
  const char *base = STR_CSTR(parent->qualname);
  /* comprehensions add no ".<locals>" (CPython 3.11) */
  bool locals = parent->scope->kind == SCOPE_FUNCTION || parent->scope->kind == SCOPE_LAMBDA;
  StrObj *q = str_format_c(c->vm, "%s%s.%s", base, locals ? ".<locals>" : "", STR_CSTR(name));
  if (q == NULL) { compile_fail_pending(c); return NULL; }
  return q;
}

/* push the cells a nested code object needs, then MAKE_FUNCTION */
void make_function(Compiler *c, CodeObj *code, int flags) {
  if (c->failed || code == NULL) return;
  Unit *u = c->u;
  if (code->nfrees > 0) {
    for (int32_t i = 0; i < code->nfrees; i++) {
      StrObj *name = code->freenames[i];
      bool class_cell = u->scope->kind == SCOPE_CLASS && name == c->s_class;
      int32_t k = cell_index(u, name, class_cell || scope_of_name(u->scope, name) == SYM_CELL);
      if (k < 0) {
        compile_error(c, (Span){code->firstline, 0, code->firstline, 0},
                      "internal compiler error: no closure cell for '%s'", STR_CSTR(name));
        return;
      }
      emit(c, OP_LOAD_CLOSURE, k);
    }
    emit(c, OP_BUILD_TUPLE, code->nfrees);
    flags |= 8;
  }
  int32_t k = add_const(c, v_obj(code));
  if (k < 0) return;
  emit(c, OP_LOAD_CONST, k);
  emit(c, OP_MAKE_FUNCTION, flags);
}

/* ------------------------------------------------------------------ */
/* Frame blocks and unwinding                                          */

FBlock *push_fblock(Compiler *c, FBKind kind, int32_t outer_handler, int32_t start, int32_t exit) {
  if (c->failed) return NULL;
  Unit *u = c->u;
  if (!grow(c, (void **)&u->fblocks, &u->capfblocks, u->nfblocks + 1, sizeof(FBlock))) return NULL;
  FBlock *fb = &u->fblocks[u->nfblocks++];
  memset(fb, 0, sizeof *fb);
  fb->kind = kind;
  fb->outer_handler = outer_handler;
  fb->start = start;
  fb->exit = exit;
  return fb;
}

void pop_fblock(Compiler *c) {
  if (c->u->nfblocks > 0) c->u->nfblocks--;
}

/* The code that leaves one block early (break / continue / return). It
** runs under the handler that was current outside the block, so that an
** exception raised by __exit__ or by a finally body does not re-enter
** the same block's handler. */
static void unwind_fblock(Compiler *c, const FBlock *fb, bool preserve_tos, int how) {
  Unit *u = c->u;
  switch (fb->kind) {
    case FB_WHILE: case FB_TRY_EXCEPT: case FB_EXCEPTION_HANDLER:
      return;
    case FB_FOR: case FB_ASYNC_FOR: case FB_POP_VALUE:
      if (preserve_tos) emit(c, OP_SWAP, 2);
      emit(c, OP_POP_TOP, 0);
      return;
    case FB_WITH: case FB_ASYNC_WITH: {
      CodeLoc old = u->loc;
      u->loc = span_loc(fb->stmt->span);
      if (preserve_tos) emit(c, OP_SWAP, 2);
      if (fb->kind == FB_ASYNC_WITH) {
        emit(c, OP_WITH_EXIT, WITH_EXIT_KEEP | how << 1);
        emit_await(c, 2);
        emit(c, OP_POP_TOP, 0);
      } else {
        emit(c, OP_WITH_EXIT, how << 1);
      }
      u->loc = old;
      return;
    }
    case FB_FINALLY_TRY: {
      CodeLoc old = u->loc;
      if (preserve_tos) push_fblock(c, FB_POP_VALUE, u->cur_handler, -1, -1);
      compile_stmts(c, &fb->stmt->u.try_.finalbody);
      if (preserve_tos) pop_fblock(c);
      u->loc = old;
      return;
    }
    case FB_FINALLY_END:
      /* [prev, exc] under the value: drop exc, restore the handled exception */
      if (preserve_tos) emit(c, OP_SWAP, 2);
      emit(c, OP_POP_TOP, 0);
      if (preserve_tos) emit(c, OP_SWAP, 2);
      emit(c, OP_POP_EXCEPT, 0);
      return;
    case FB_HANDLER_CLEANUP:
      if (preserve_tos) emit(c, OP_SWAP, 2);
      emit(c, OP_POP_EXCEPT, 0);
      if (fb->name != NULL) {
        /* `except E as e` unbinds e on every way out */
        emit_load_none(c);
        compile_name(c, fb->name, CTX_STORE, fb->span);
        compile_name(c, fb->name, CTX_DEL, fb->span);
      }
      return;
  }
}

void unwind_begin(Compiler *c, UnwindState *us) {
  Unit *u = c->u;
  us->n = u->nfblocks;
  us->handler = u->cur_handler;
  us->loc = u->loc;
  us->how = WITH_EXIT_NORMAL;
  us->saved = NULL;
  if (us->n > 0) {
    us->saved = malloc((size_t)us->n * sizeof(FBlock));
    if (us->saved == NULL) { compile_fail_pending(c); us->n = 0; return; }
    memcpy(us->saved, u->fblocks, (size_t)us->n * sizeof(FBlock));
  }
}

/* unwind the blocks above index `stop` (-1: all of them) */
void unwind_to(Compiler *c, UnwindState *us, int stop, bool preserve_tos) {
  Unit *u = c->u;
  for (int i = us->n - 1; i > stop && !c->failed; i--) {
    u->nfblocks = i;
    u->cur_handler = us->saved[i].outer_handler;
    unwind_fblock(c, &us->saved[i], preserve_tos, us->how);
  }
  u->loc = us->loc;
}

/* unwinding the loop block itself (break) */
void unwind_one(Compiler *c, UnwindState *us, int index) {
  Unit *u = c->u;
  if (index < 0 || index >= us->n) return;
  u->nfblocks = index;
  u->cur_handler = us->saved[index].outer_handler;
  unwind_fblock(c, &us->saved[index], false, us->how);
  u->loc = us->loc;
}

void unwind_end(Compiler *c, UnwindState *us) {
  Unit *u = c->u;
  if (us->saved != NULL && u->capfblocks >= us->n)
    memcpy(u->fblocks, us->saved, (size_t)us->n * sizeof(FBlock));
  u->nfblocks = us->n;
  u->cur_handler = us->handler;
  u->loc = us->loc;
  free(us->saved);
  us->saved = NULL;
}

/* ------------------------------------------------------------------ */
/* Stack effects                                                       */

int opcode_stack_effect(int op, int arg, bool jump) {
  switch (op) {
    case OP_NOP: case OP_CACHE: case OP_SWAP: case OP_DELETE_FAST: case OP_DELETE_DEREF:
    case OP_DELETE_GLOBAL: case OP_DELETE_NAME: case OP_LOAD_ATTR: case OP_KW_NAMES:
    case OP_UNARY_OP: case OP_LIST_TO_TUPLE: case OP_GET_ITER: case OP_IMPORT_NAME:
    case OP_CHECK_EXC_MATCH: case OP_GET_AWAITABLE: case OP_GET_AITER:
    case OP_GET_YIELD_FROM_ITER: case OP_YIELD_VALUE: case OP_ASYNC_GEN_WRAP:
    case OP_SETUP_ANNOTATIONS: case OP_JUMP: case OP_JUMP_BACKWARD:
      return 0;
    case OP_POP_TOP: case OP_STORE_FAST: case OP_STORE_DEREF: case OP_STORE_GLOBAL:
    case OP_STORE_NAME: case OP_DELETE_ATTR: case OP_RETURN_VALUE: case OP_BINARY_OP:
    case OP_COMPARE_OP: case OP_IS_OP: case OP_CONTAINS_OP: case OP_BINARY_SUBSCR:
    case OP_LIST_APPEND: case OP_SET_ADD: case OP_LIST_EXTEND: case OP_SET_UPDATE:
    case OP_DICT_UPDATE: case OP_DICT_MERGE: case OP_POP_JUMP_IF_FALSE: case OP_POP_JUMP_IF_TRUE:
    case OP_POP_JUMP_IF_NONE: case OP_POP_JUMP_IF_NOT_NONE: case OP_RERAISE: case OP_POP_EXCEPT:
    case OP_PRINT_EXPR:
      return -1;
    case OP_PUSH_NULL: case OP_COPY: case OP_LOAD_CONST: case OP_LOAD_FAST: case OP_LOAD_DEREF:
    case OP_LOAD_CLOSURE: case OP_LOAD_CLASSDEREF: case OP_LOAD_GLOBAL: case OP_LOAD_NAME:
    case OP_LOAD_METHOD: case OP_IMPORT_FROM: case OP_LOAD_BUILD_CLASS: case OP_PUSH_EXC_INFO:
    case OP_LOAD_ASSERTION_ERROR: case OP_BEFORE_WITH: case OP_WITH_EXCEPT_START:
    case OP_BEFORE_ASYNC_WITH: case OP_GET_ANEXT:
      return 1;
    case OP_STORE_ATTR: case OP_DELETE_SUBSCR: case OP_MAP_ADD: case OP_POP_EXCEPT_AND_RERAISE:
    case OP_END_ASYNC_FOR:
      return -2;
    case OP_STORE_SUBSCR:
      return -3;
    case OP_CALL:
      return -(arg + 1);
    case OP_CALL_FUNCTION_EX:
      return (arg & 1) ? -3 : -2;
    case OP_MAKE_FUNCTION:
      return -(((arg & 1) != 0) + ((arg & 2) != 0) + ((arg & 4) != 0) + ((arg & 8) != 0));
    case OP_BUILD_SLICE: case OP_BUILD_TUPLE: case OP_BUILD_LIST: case OP_BUILD_SET:
    case OP_BUILD_STRING:
      return 1 - arg;
    case OP_BUILD_MAP:
      return 1 - 2 * arg;
    case OP_UNPACK_SEQUENCE:
      return arg - 1;
    case OP_UNPACK_EX:
      return (arg & 0xff) + (arg >> 8);
    case OP_FOR_ITER:
      return jump ? -1 : 1;
    case OP_JUMP_IF_FALSE_OR_POP: case OP_JUMP_IF_TRUE_OR_POP:
      return jump ? 0 : -1;
    case OP_RAISE_VARARGS:
      return -arg;
    case OP_WITH_EXIT:
      return (arg & WITH_EXIT_KEEP) ? 0 : -1;
    case OP_SEND:
      return jump ? -1 : 0;
    case OP_FORMAT_VALUE:
      return (arg & 4) ? -1 : 0;
    default:
      return 0;
  }
}

bool opcode_is_jump(int op) {
  switch (op) {
    case OP_JUMP: case OP_JUMP_BACKWARD: case OP_POP_JUMP_IF_FALSE: case OP_POP_JUMP_IF_TRUE:
    case OP_JUMP_IF_FALSE_OR_POP: case OP_JUMP_IF_TRUE_OR_POP: case OP_POP_JUMP_IF_NONE:
    case OP_POP_JUMP_IF_NOT_NONE: case OP_FOR_ITER: case OP_SEND:
      return true;
    default:
      return false;
  }
}

/* no fall-through to the next instruction */
static bool opcode_ends_flow(int op) {
  switch (op) {
    case OP_JUMP: case OP_JUMP_BACKWARD: case OP_RETURN_VALUE: case OP_RAISE_VARARGS:
    case OP_RERAISE: case OP_POP_EXCEPT_AND_RERAISE:
      return true;
    default:
      return false;
  }
}

/* ------------------------------------------------------------------ */
/* Assembly                                                            */

typedef struct Flow {
  int32_t *depth;   /* per internal instruction, -1 = not reached yet */
  int32_t *work;
  int nwork;
  int32_t max;
  bool bad;
} Flow;

static void flow_reach(Flow *f, Unit *u, int32_t target, int32_t d) {
  if (target < 0 || target >= u->ninstrs || d < 0) { f->bad = true; return; }
  if (d > f->max) f->max = d;
  if (f->depth[target] < 0) {
    f->depth[target] = d;
    f->work[f->nwork++] = target;
  } else if (f->depth[target] != d) {
    f->bad = true;
  }
}

/* The exact maximum stack depth, and each handler's depth, by following
** every path: fall-through, jumps, and handler entries. *depth_out gets
** each instruction's entry depth (-1: unreachable); the caller frees it. */
static int32_t compute_stack_depth(Compiler *c, Unit *u, int32_t **depth_out) {
  int n = u->ninstrs;
  *depth_out = NULL;
  if (n == 0) return 0;
  Flow f = {0};
  f.depth = malloc((size_t)n * sizeof(int32_t));
  f.work = malloc((size_t)n * sizeof(int32_t));
  if (f.depth == NULL || f.work == NULL) {
    free(f.depth);
    free(f.work);
    compile_fail_pending(c);
    return -1;
  }
  for (int i = 0; i < n; i++) f.depth[i] = -1;
  flow_reach(&f, u, 0, 0);
  while (f.nwork > 0 && !f.bad) {
    int32_t i = f.work[--f.nwork];
    int32_t d = f.depth[i];
    for (;;) {
      IInstr *in = &u->instrs[i];
      if (in->op == PSEUDO_SETUP) {
        Handler *h = &u->handlers[in->arg];
        int32_t hd = d + h->delta;
        if (h->depth < 0) h->depth = hd;
        else if (h->depth != hd) f.bad = true;
      } else {
        if (in->handler >= 0 && in->op != OP_CACHE) {
          Handler *h = &u->handlers[in->handler];
          if (h->depth < 0) f.bad = true;
          else flow_reach(&f, u, u->labels[h->label], h->depth + 1);
        }
        if (opcode_is_jump(in->op))
          flow_reach(&f, u, u->labels[in->arg], d + opcode_stack_effect(in->op, in->arg, true));
        d += opcode_stack_effect(in->op, in->arg, false);
        if (d < 0) f.bad = true;
        if (d > f.max) f.max = d;
        if (opcode_ends_flow(in->op)) break;
      }
      if (f.bad || ++i >= n) break;
      if (f.depth[i] >= 0) {
        if (f.depth[i] != d) f.bad = true;
        break;
      }
      f.depth[i] = d;
    }
  }
  int32_t result = f.max;
  free(f.work);
  if (f.bad) {
    free(f.depth);
    compile_error(c, (Span){u->firstline, 0, u->firstline, 0},
                  "internal compiler error: inconsistent stack depth in %s", STR_CSTR(u->name));
    return -1;
  }
  *depth_out = f.depth;
  return result;
}

static void *gc_copy(Compiler *c, const void *src, size_t n, size_t elem) {
  if (n == 0) return NULL;
  void *p = gc_malloc(c->vm, n * elem);
  if (p == NULL) { compile_fail_pending(c); return NULL; }
  memcpy(p, src, n * elem);
  return p;
}

static uint32_t code_flags(Scope *sc) {
  uint32_t flags = 0;
  switch (sc->kind) {
    case SCOPE_MODULE: flags |= CO_MODULE; break;
    case SCOPE_CLASS: flags |= CO_CLASS; break;
    default:
      if (sc->has_varargs) flags |= CO_VARARGS;
      if (sc->has_varkw) flags |= CO_VARKEYWORDS;
      if (sc->is_coroutine && sc->is_generator) flags |= CO_ASYNC_GENERATOR;
      else if (sc->is_coroutine) flags |= CO_COROUTINE;
      else if (sc->is_generator) flags |= CO_GENERATOR;
      if (sc->kind == SCOPE_LAMBDA) flags |= CO_LAMBDA;
      if (sc->kind == SCOPE_COMPREHENSION) flags |= CO_COMPREHENSION;
      break;
  }
  if (sc->nested) flags |= CO_NESTED;
  return flags;
}

/* the exception table: runs of final instructions with the same handler */
static bool build_exception_table(Compiler *c, Unit *u, CodeObj *code, const int32_t *handler_of,
                                  const int32_t *final_of) {
  int32_t n = code->ncode, count = 0;
  for (int32_t i = 0; i < n; i++)
    if (handler_of[i] >= 0 && (i == 0 || handler_of[i - 1] != handler_of[i])) count++;
  if (count == 0) return true;
  code->exctab = gc_malloc(c->vm, (size_t)count * sizeof(ExcTableEntry));
  if (code->exctab == NULL) { compile_fail_pending(c); return false; }
  code->nexc = count;
  int32_t k = 0;
  for (int32_t i = 0; i < n;) {
    int32_t h = handler_of[i], j = i + 1;
    while (j < n && handler_of[j] == h) j++;
    if (h >= 0) {
      Handler *hd = &u->handlers[h];
      ExcTableEntry *e = &code->exctab[k++];
      e->start = (uint32_t)i;
      e->end = (uint32_t)j;
      e->target = (uint32_t)final_of[u->labels[hd->label]];
      e->depth = (uint32_t)(hd->depth >= 0 ? hd->depth : 0);
    }
    i = j;
  }
  return true;
}

static bool fill_code_arrays(Compiler *c, Unit *u, CodeObj *code) {
  Scope *sc = u->scope;
  code->nconsts = u->nconsts;
  code->consts = gc_copy(c, u->consts, (size_t)u->nconsts, sizeof(Value));
  code->nnames = u->nnames;
  code->names = gc_copy(c, u->names, (size_t)u->nnames, sizeof(StrObj *));
  if (scope_is_function_like(sc)) {
    code->nlocals = u->nvarnames;
    code->varnames = gc_copy(c, u->varnames, (size_t)u->nvarnames, sizeof(StrObj *));
    code->argcount = sc->argcount;
    code->posonlycount = sc->posonlycount;
    code->kwonlycount = sc->kwonlycount;
  }
  code->ncells = u->ncells;
  code->cellnames = gc_copy(c, u->cellnames, (size_t)u->ncells, sizeof(StrObj *));
  code->cell2arg = gc_copy(c, u->cell2arg, (size_t)u->ncells, sizeof(int32_t));
  code->nfrees = u->nfrees;
  code->freenames = gc_copy(c, u->freenames, (size_t)u->nfrees, sizeof(StrObj *));
  if (u->ncaches > 0) {
    code->caches = gc_malloc(c->vm, (size_t)u->ncaches * sizeof(InlineCache));
    if (code->caches == NULL) { compile_fail_pending(c); return false; }
    memset(code->caches, 0, (size_t)u->ncaches * sizeof(InlineCache));
    for (int32_t i = 0; i < u->ncaches; i++) code->caches[i].value = V_UNDEF;
    code->ncaches = u->ncaches;
  }
  return !c->failed;
}

/* Turn the current unit into a CodeObj (NULL on error). */
/* BINARY_OP of a common operator becomes that operator's instruction, and
** the first of each common pair of neighbours becomes the pair's
** superinstruction (opcodes.h); the second keeps its word, so a jump to it
** and the line of an error in it are as before */
static int binary_op_for(uint32_t arg) {
  switch (arg & ~(uint32_t)BIN_INPLACE) {
    case BIN_ADD: return OP_BINARY_ADD;
    case BIN_SUB: return OP_BINARY_SUB;
    case BIN_MUL: return OP_BINARY_MUL;
    case BIN_MOD: return OP_BINARY_MOD;
    default: return OP_BINARY_OP;
  }
}

static void fuse_superinstructions(CodeObj *code) {
  for (int32_t j = 0; j < code->ncode; j++)
    if (INSTR_OP(code->code[j]) == OP_BINARY_OP)
      code->code[j] = MAKE_INSTR(binary_op_for(INSTR_ARG(code->code[j])), INSTR_ARG(code->code[j]));
  for (int32_t j = 0; j + 1 < code->ncode; j++) {
    int op = (int)INSTR_OP(code->code[j]), next = (int)INSTR_OP(code->code[j + 1]);
    int fused = op == OP_LOAD_FAST && next == OP_LOAD_CONST  ? OP_LOAD_FAST__LOAD_CONST
                : op == OP_LOAD_FAST && next == OP_LOAD_FAST ? OP_LOAD_FAST__LOAD_FAST
                : op == OP_STORE_FAST && next == OP_LOAD_FAST ? OP_STORE_FAST__LOAD_FAST
                                                              : -1;
    if (fused < 0) continue;
    code->code[j] = MAKE_INSTR(fused, INSTR_ARG(code->code[j]));
    j++;   /* the second stays a plain instruction */
  }
}

CodeObj *assemble(Compiler *c) {
  Unit *u = c->u;
  if (c->failed) return NULL;
  int n = u->ninstrs;
  for (int i = 0; i < u->nlabels; i++)
    if (u->labels[i] < 0) u->labels[i] = n;   /* never targeted by a reachable jump */
  int32_t *depth = NULL;
  int32_t stacksize = compute_stack_depth(c, u, &depth);
  if (stacksize < 0) return NULL;
  int32_t *final_of = malloc((size_t)(n + 1) * sizeof(int32_t));
  int32_t *handler_of = malloc((size_t)(n + 1) * sizeof(int32_t));
  if (final_of == NULL || handler_of == NULL) {
    free(final_of);
    free(handler_of);
    free(depth);
    compile_fail_pending(c);
    return NULL;
  }
  /* unreachable instructions are dropped: a label on one can only be the
  ** target of unreachable jumps, so it maps to the next kept instruction */
  int32_t nfinal = 0;
  for (int i = 0; i < n; i++) {
    final_of[i] = nfinal;
    if (u->instrs[i].op != PSEUDO_SETUP && depth != NULL && depth[i] >= 0) nfinal++;
    else u->instrs[i].op = PSEUDO_SETUP;
  }
  final_of[n] = nfinal;
  free(depth);
  CodeObj *code = code_new(c->vm);
  if (code == NULL) goto fail;
  code->flags = code_flags(u->scope);
  code->name = u->name;
  code->qualname = u->qualname;
  code->filename = c->filename;
  code->firstline = u->firstline;
  code->doc = u->doc;
  code->stacksize = stacksize;
  if (nfinal > 0) {
    code->code = gc_malloc(c->vm, (size_t)nfinal * sizeof(Instr));
    code->locs = gc_malloc(c->vm, (size_t)nfinal * sizeof(CodeLoc));
    if (code->code == NULL || code->locs == NULL) {
      /* leave the object consistent for code_free */
      if (code->code) gc_free(c->vm, code->code, (size_t)nfinal * sizeof(Instr));
      if (code->locs) gc_free(c->vm, code->locs, (size_t)nfinal * sizeof(CodeLoc));
      code->code = NULL;
      code->locs = NULL;
      goto fail;
    }
    code->ncode = nfinal;
  }
  for (int i = 0, j = 0; i < n; i++) {
    IInstr *in = &u->instrs[i];
    if (in->op == PSEUDO_SETUP) continue;
    int op = in->op;
    int32_t arg = in->arg;
    if (opcode_is_jump(op)) {
      arg = final_of[u->labels[arg]];
      if (op == OP_JUMP || op == OP_JUMP_BACKWARD) op = arg <= j ? OP_JUMP_BACKWARD : OP_JUMP;
    }
    code->code[j] = MAKE_INSTR(op, (uint32_t)arg);
    code->locs[j] = in->loc;
    handler_of[j] = in->handler;
    j++;
  }
  fuse_superinstructions(code);
  if (!build_exception_table(c, u, code, handler_of, final_of)) goto fail;
  if (!fill_code_arrays(c, u, code)) goto fail;
  free(final_of);
  free(handler_of);
  return code;
fail:
  free(final_of);
  free(handler_of);
  compile_fail_pending(c);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */

static bool init_names(Compiler *c) {
  c->s_class = intern_cstr(c, "__class__");
  c->s_name = intern_cstr(c, "__name__");
  c->s_module = intern_cstr(c, "__module__");
  c->s_qualname = intern_cstr(c, "__qualname__");
  c->s_doc = intern_cstr(c, "__doc__");
  return !c->failed;
}

CodeObj *compile_module(VM *vm, Module *m, const char *filename, int mode, SyntaxErrorInfo *err) {
  memset(err, 0, sizeof *err);
  Symtable *st = symtable_build(vm, m, err);
  if (st == NULL) return NULL;
  Compiler c;
  memset(&c, 0, sizeof c);
  c.vm = vm;
  c.st = st;
  c.err = err;
  c.mode = mode;
  c.filename = intern_cstr(&c, filename ? filename : "<string>");
  CodeObj *code = NULL;
  if (init_names(&c)) {
    Scope *top = symtable_top(st);
    StrObj *name = intern_cstr(&c, "<module>");
    if (enter_unit(&c, top, name, name, 1) != NULL) {
      compile_module_body(&c, m);
      code = assemble(&c);
      leave_unit(&c);
    }
  }
  symtable_free(st);
  if (c.failed) return NULL;
  return code;
}

int compile_dump(VM *vm, const char *src, size_t len, const char *filename, void *out) {
  SyntaxErrorInfo err;
  memset(&err, 0, sizeof err);
  Module *ast = parse_source(src, len, PARSE_FILE, &err);
  if (ast == NULL) {
    exc_raise_syntax(vm, &err, filename, src, len);
    return -1;
  }
  CodeObj *code = compile_module(vm, ast, filename, PARSE_FILE, &err);
  module_ast_free(ast);
  if (code == NULL) {
    if (!exc_pending(vm)) exc_raise_syntax(vm, &err, filename, src, len);
    return -1;
  }
  /* printing runs no Python code, so the code object needs no rooting */
  code_disassemble(vm, code, out);
  return 0;
}
