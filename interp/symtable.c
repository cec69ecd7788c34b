/* symtable.c — the compiler's first pass: builds the tree of scopes of a
** module and resolves every name to local / global / free / cell, with
** CPython 3.11's rules and its compile-time SyntaxErrors about global,
** nonlocal, parameters and yield in comprehensions.
**
** Two steps, as in CPython: a walk over the AST records how each scope
** uses each name (DEF_* flags), then analyze_block() resolves the names
** top-down (which names enclosing functions bind) and bottom-up (which
** names nested scopes need as free variables, turning the binding
** function's locals into cells). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symtable.h"
#include "str.h"
#include "exc.h"
#include "vm.h"

/* deeper AST nesting than this raises RecursionError, as CPython does */
#define SYMTABLE_MAX_DEPTH 3000

/* ------------------------------------------------------------------ */
/* Sets of interned names (open addressing on the pointer)             */

#define NS_TOMBSTONE ((StrObj *)(uintptr_t)1)

typedef struct NameSet {
  StrObj **slots;
  int cap;      /* 0 or a power of two */
  int used;     /* live + tombstones */
} NameSet;

static size_t ptr_hash(const void *p) {
  uintptr_t x = (uintptr_t)p;
  x ^= x >> 17;
  x *= (uintptr_t)0x9E3779B97F4A7C15ull;
  return (size_t)(x ^ (x >> 29));
}

static bool ns_has(const NameSet *s, StrObj *name) {
  if (s == NULL || s->cap == 0) return false;
  size_t mask = (size_t)s->cap - 1;
  for (size_t i = ptr_hash(name) & mask;; i = (i + 1) & mask) {
    if (s->slots[i] == NULL) return false;
    if (s->slots[i] == name) return true;
  }
}

static bool ns_add(NameSet *s, StrObj *name);

static bool ns_grow(NameSet *s) {
  NameSet bigger = {0};
  bigger.cap = s->cap ? s->cap * 2 : 8;
  bigger.slots = calloc((size_t)bigger.cap, sizeof(StrObj *));
  if (bigger.slots == NULL) return false;
  for (int i = 0; i < s->cap; i++)
    if (s->slots[i] != NULL && s->slots[i] != NS_TOMBSTONE) ns_add(&bigger, s->slots[i]);
  free(s->slots);
  *s = bigger;
  return true;
}

static bool ns_add(NameSet *s, StrObj *name) {
  if ((s->used + 1) * 4 >= s->cap * 3 && !ns_grow(s)) return false;
  size_t mask = (size_t)s->cap - 1;
  size_t i = ptr_hash(name) & mask;
  for (;; i = (i + 1) & mask) {
    if (s->slots[i] == name) return true;
    if (s->slots[i] == NULL) break;
  }
  s->slots[i] = name;
  s->used++;
  return true;
}

static void ns_remove(NameSet *s, StrObj *name) {
  if (s == NULL || s->cap == 0) return;
  size_t mask = (size_t)s->cap - 1;
  for (size_t i = ptr_hash(name) & mask;; i = (i + 1) & mask) {
    if (s->slots[i] == NULL) return;
    if (s->slots[i] == name) { s->slots[i] = NS_TOMBSTONE; return; }
  }
}

static bool ns_union(NameSet *into, const NameSet *from) {
  if (from == NULL) return true;
  for (int i = 0; i < from->cap; i++) {
    StrObj *n = from->slots[i];
    if (n != NULL && n != NS_TOMBSTONE && !ns_add(into, n)) return false;
  }
  return true;
}

static void ns_free(NameSet *s) {
  free(s->slots);
  s->slots = NULL;
  s->cap = s->used = 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

struct Symtable {
  VM *vm;
  SyntaxErrorInfo *err;
  bool failed;
  int depth;
  Scope *top;
  Scope *cur;
  Scope **all;                 /* every scope, for symtable_free */
  int nall, capall;
  /* node -> scope, open addressing on the node address */
  const void **map_keys;
  Scope **map_vals;
  int map_cap, map_len;
  StrObj *s_class;             /* "__class__" */
  StrObj *s_super;             /* "super" */
  StrObj *s_dot0;              /* ".0" */
};

static void st_error(Symtable *st, Span span, const char *fmt, ...) {
  if (st->failed) return;
  st->failed = true;
  SyntaxErrorInfo *e = st->err;
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

/* out of memory (or a pending exception from the str/GC layer) */
static void st_nomem(Symtable *st) {
  if (st->failed) return;
  st->failed = true;
  memset(st->err, 0, sizeof *st->err);
  if (!exc_pending(st->vm)) exc_no_memory(st->vm);
}

static bool grow_array(void **arr, int *cap, int need, size_t elem) {
  if (need <= *cap) return true;
  int ncap = *cap ? *cap * 2 : 8;
  while (ncap < need) ncap *= 2;
  void *p = realloc(*arr, (size_t)ncap * elem);
  if (p == NULL) return false;
  *arr = p;
  *cap = ncap;
  return true;
}

static bool map_put(Symtable *st, const void *key, Scope *val);

static bool map_grow(Symtable *st) {
  int ocap = st->map_cap;
  const void **okeys = st->map_keys;
  Scope **ovals = st->map_vals;
  int ncap = ocap ? ocap * 2 : 32;
  st->map_keys = calloc((size_t)ncap, sizeof(void *));
  st->map_vals = calloc((size_t)ncap, sizeof(Scope *));
  if (st->map_keys == NULL || st->map_vals == NULL) {
    free(st->map_keys); free(st->map_vals);
    st->map_keys = okeys; st->map_vals = ovals;
    return false;
  }
  st->map_cap = ncap;
  st->map_len = 0;
  for (int i = 0; i < ocap; i++)
    if (okeys[i] != NULL) map_put(st, okeys[i], ovals[i]);
  free(okeys);
  free(ovals);
  return true;
}

static bool map_put(Symtable *st, const void *key, Scope *val) {
  if ((st->map_len + 1) * 2 >= st->map_cap && !map_grow(st)) return false;
  size_t mask = (size_t)st->map_cap - 1;
  size_t i = ptr_hash(key) & mask;
  while (st->map_keys[i] != NULL && st->map_keys[i] != key) i = (i + 1) & mask;
  if (st->map_keys[i] == NULL) st->map_len++;
  st->map_keys[i] = key;
  st->map_vals[i] = val;
  return true;
}

Scope *symtable_scope_of(Symtable *st, const void *node) {
  if (st->map_cap == 0 || node == NULL) return NULL;
  size_t mask = (size_t)st->map_cap - 1;
  for (size_t i = ptr_hash(node) & mask; st->map_keys[i] != NULL; i = (i + 1) & mask)
    if (st->map_keys[i] == node) return st->map_vals[i];
  return NULL;
}

Scope *symtable_top(Symtable *st) { return st->top; }

bool scope_is_function_like(const Scope *s) {
  return s->kind == SCOPE_FUNCTION || s->kind == SCOPE_LAMBDA || s->kind == SCOPE_COMPREHENSION;
}

/* ------------------------------------------------------------------ */
/* Symbols of one scope                                                */

Symbol *scope_lookup(const Scope *s, StrObj *name) {
  if (s->nindex == 0) return NULL;
  size_t mask = (size_t)s->nindex - 1;
  for (size_t i = ptr_hash(name) & mask; s->index[i] >= 0; i = (i + 1) & mask)
    if (s->syms[s->index[i]].name == name) return &s->syms[s->index[i]];
  return NULL;
}

SymScope scope_of_name(const Scope *s, StrObj *name) {
  Symbol *sym = scope_lookup(s, name);
  return sym != NULL && sym->scope != SYM_UNRESOLVED ? sym->scope : SYM_GLOBAL_IMPLICIT;
}

static void index_insert(Scope *s, StrObj *name, int32_t idx) {
  size_t mask = (size_t)s->nindex - 1;
  size_t i = ptr_hash(name) & mask;
  while (s->index[i] >= 0) i = (i + 1) & mask;
  s->index[i] = idx;
}

static bool index_grow(Scope *s) {
  int ncap = s->nindex ? s->nindex * 2 : 16;
  int32_t *idx = malloc((size_t)ncap * sizeof(int32_t));
  if (idx == NULL) return false;
  for (int i = 0; i < ncap; i++) idx[i] = -1;
  free(s->index);
  s->index = idx;
  s->nindex = ncap;
  for (int i = 0; i < s->nsyms; i++) index_insert(s, s->syms[i].name, i);
  return true;
}

/* the symbol for name (already mangled), created when absent */
static Symbol *scope_intern_symbol(Symtable *st, Scope *s, StrObj *name) {
  Symbol *sym = scope_lookup(s, name);
  if (sym != NULL) return sym;
  if ((s->nsyms + 1) * 2 >= s->nindex && !index_grow(s)) { st_nomem(st); return NULL; }
  if (!grow_array((void **)&s->syms, &s->capsyms, s->nsyms + 1, sizeof(Symbol))) {
    st_nomem(st);
    return NULL;
  }
  sym = &s->syms[s->nsyms];
  sym->name = name;
  sym->flags = 0;
  sym->scope = SYM_UNRESOLVED;
  index_insert(s, name, s->nsyms);
  s->nsyms++;
  return sym;
}

StrObj *symtable_mangle(VM *vm, StrObj *private_name, StrObj *name) {
  if (private_name == NULL) return name;
  const char *n = STR_CSTR(name);
  size_t len = (size_t)name->len;
  if (len < 2 || n[0] != '_' || n[1] != '_') return name;
  /* dunder names and dotted (import) names are never mangled */
  if (len >= 4 && n[len - 1] == '_' && n[len - 2] == '_') return name;
  if (memchr(n, '.', len) != NULL) return name;
  const char *p = STR_CSTR(private_name);
  while (*p == '_') p++;
  if (*p == '\0') return name;
  size_t plen = strlen(p);
  char stackbuf[256];
  char *buf = plen + len + 2 <= sizeof stackbuf ? stackbuf : malloc(plen + len + 2);
  if (buf == NULL) { exc_no_memory(vm); return NULL; }
  buf[0] = '_';
  memcpy(buf + 1, p, plen);
  memcpy(buf + 1 + plen, n, len);
  StrObj *r = str_intern(vm, buf, plen + len + 1);
  if (buf != stackbuf) free(buf);
  return r;
}

static StrObj *intern_name(Symtable *st, const char *name) {
  StrObj *s = str_intern_cstr(st->vm, name);
  if (s == NULL) st_nomem(st);
  return s;
}

/* the mangled, interned form of an identifier in the current scope */
static StrObj *scope_name(Symtable *st, const char *name) {
  StrObj *s = intern_name(st, name);
  if (s == NULL) return NULL;
  s = symtable_mangle(st->vm, st->cur->private_name, s);
  if (s == NULL) st_nomem(st);
  return s;
}

static Symbol *add_def(Symtable *st, const char *name, int flag, Span span) {
  if (st->failed) return NULL;
  StrObj *mangled = scope_name(st, name);
  if (mangled == NULL) return NULL;
  Symbol *sym = scope_intern_symbol(st, st->cur, mangled);
  if (sym == NULL) return NULL;
  if ((flag & DEF_PARAM) && (sym->flags & DEF_PARAM)) {
    st_error(st, span, "duplicate argument '%s' in function definition", name);
    return NULL;
  }
  sym->flags |= flag;
  return sym;
}

static void add_param(Symtable *st, const char *name, Span span) {
  Symbol *sym = add_def(st, name, DEF_PARAM, span);
  if (sym == NULL) return;
  Scope *s = st->cur;
  if (!grow_array((void **)&s->params, &s->capparams, s->nparams + 1, sizeof(StrObj *))) {
    st_nomem(st);
    return;
  }
  s->params[s->nparams++] = sym->name;
}

static void record_directive(Symtable *st, StrObj *name, Span span) {
  Scope *s = st->cur;
  for (int i = 0; i < s->ndirectives; i++)
    if (s->directives[i].name == name) return;
  if (!grow_array((void **)&s->directives, &s->capdirectives, s->ndirectives + 1, sizeof(Directive))) {
    st_nomem(st);
    return;
  }
  s->directives[s->ndirectives].name = name;
  s->directives[s->ndirectives].span = span;
  s->ndirectives++;
}

/* ------------------------------------------------------------------ */
/* Entering and leaving scopes                                         */

static Scope *enter_scope(Symtable *st, ScopeKind kind, const char *name, const void *node, Span span) {
  if (st->failed) return NULL;
  Scope *s = calloc(1, sizeof(Scope));
  if (s == NULL || !grow_array((void **)&st->all, &st->capall, st->nall + 1, sizeof(Scope *))) {
    free(s);
    st_nomem(st);
    return NULL;
  }
  st->all[st->nall++] = s;
  s->kind = kind;
  s->node = node;
  s->span = span;
  s->name = intern_name(st, name);
  Scope *parent = st->cur;
  s->parent = parent;
  if (parent != NULL) {
    s->private_name = parent->private_name;
    s->nested = scope_is_function_like(parent) || parent->nested;
    if (!grow_array((void **)&parent->children, &parent->capchildren, parent->nchildren + 1,
                    sizeof(Scope *))) {
      st_nomem(st);
      return NULL;
    }
    parent->children[parent->nchildren++] = s;
  }
  if (node != NULL && !map_put(st, node, s)) { st_nomem(st); return NULL; }
  st->cur = s;
  return s;
}

static void leave_scope(Symtable *st, Scope *s) {
  if (s != NULL && st->cur == s) st->cur = s->parent;
}

/* ------------------------------------------------------------------ */
/* The walk                                                            */

static void visit_expr(Symtable *st, Expr *e);
static void visit_stmts(Symtable *st, StmtList *body);

static void visit_exprs(Symtable *st, ExprList *l) {
  for (int i = 0; i < l->len && !st->failed; i++) visit_expr(st, l->items[i]);
}

/* an assignment / for / with / del target: names become locals */
static void visit_target(Symtable *st, Expr *e) {
  if (e == NULL || st->failed) return;
  switch (e->kind) {
    case E_NAME: add_def(st, e->u.name.id, DEF_LOCAL, e->span); break;
    case E_TUPLE: case E_LIST:
      for (int i = 0; i < e->u.seq.elts.len; i++) visit_target(st, e->u.seq.elts.items[i]);
      break;
    case E_STARRED: visit_target(st, e->u.starred.value); break;
    default: visit_expr(st, e); break;   /* attribute / subscript: their parts are reads */
  }
}

static void visit_params(Symtable *st, Arguments *a) {
  Scope *s = st->cur;
  if (a == NULL || s == NULL) return;
  for (int i = 0; i < a->nposonly; i++) add_param(st, a->posonly[i].name, a->posonly[i].span);
  for (int i = 0; i < a->nargs; i++) add_param(st, a->args[i].name, a->args[i].span);
  for (int i = 0; i < a->nkwonly; i++) add_param(st, a->kwonly[i].name, a->kwonly[i].span);
  if (a->vararg != NULL) add_param(st, a->vararg->name, a->vararg->span);
  if (a->kwarg != NULL) add_param(st, a->kwarg->name, a->kwarg->span);
  s->argcount = a->nposonly + a->nargs;
  s->posonlycount = a->nposonly;
  s->kwonlycount = a->nkwonly;
  s->has_varargs = a->vararg != NULL;
  s->has_varkw = a->kwarg != NULL;
}

/* defaults are evaluated in the enclosing scope */
static void visit_defaults(Symtable *st, Arguments *a) {
  if (a == NULL) return;
  for (int i = 0; i < a->ndefaults; i++) visit_expr(st, a->defaults[i]);
  for (int i = 0; i < a->nkwonly; i++)
    if (a->kw_defaults != NULL && a->kw_defaults[i] != NULL) visit_expr(st, a->kw_defaults[i]);
}

static const char *comp_description(int kind) {
  switch (kind) {
    case E_LISTCOMP: return "list comprehension";
    case E_SETCOMP: return "set comprehension";
    case E_DICTCOMP: return "dict comprehension";
    default: return "generator expression";
  }
}

static const char *comp_scope_name(int kind) {
  switch (kind) {
    case E_LISTCOMP: return "<listcomp>";
    case E_SETCOMP: return "<setcomp>";
    case E_DICTCOMP: return "<dictcomp>";
    default: return "<genexpr>";
  }
}

static void visit_comprehension(Symtable *st, Expr *e) {
  Comprehension *gens = e->u.comp.generators;
  int n = e->u.comp.ngenerators;
  if (n <= 0) return;
  /* the outermost iterable is evaluated where the comprehension appears */
  visit_expr(st, gens[0].iter);
  Scope *s = enter_scope(st, SCOPE_COMPREHENSION, comp_scope_name(e->kind), e, e->span);
  if (s == NULL) return;
  s->comp_kind = e->kind;
  if (e->kind == E_GENEXP) s->is_generator = true;
  if (gens[0].is_async) s->is_coroutine = true;
  add_param(st, ".0", e->span);
  s->argcount = 1;
  for (int k = 0; k < n && !st->failed; k++) {
    visit_target(st, gens[k].target);
    if (k > 0) visit_expr(st, gens[k].iter);
    visit_exprs(st, &gens[k].ifs);
    if (gens[k].is_async) s->is_coroutine = true;
  }
  if (e->kind == E_DICTCOMP) visit_expr(st, e->u.comp.key);
  visit_expr(st, e->u.comp.elt);
  leave_scope(st, s);
}

static void visit_expr(Symtable *st, Expr *e) {
  if (e == NULL || st->failed) return;
  if (++st->depth > SYMTABLE_MAX_DEPTH) {
    if (!st->failed) {
      st->failed = true;
      memset(st->err, 0, sizeof *st->err);
      exc_raise(st->vm, EXC(st->vm, RecursionError), "maximum recursion depth exceeded during compilation");
    }
    st->depth--;
    return;
  }
  switch (e->kind) {
    case E_NAME:
      add_def(st, e->u.name.id, DEF_USE, e->span);
      /* zero-argument super() needs the __class__ cell */
      if (scope_is_function_like(st->cur) && strcmp(e->u.name.id, "super") == 0)
        add_def(st, "__class__", DEF_USE, e->span);
      break;
    case E_CONST: break;
    case E_JOINEDSTR: visit_exprs(st, &e->u.joined.parts); break;
    case E_FORMATTED:
      visit_expr(st, e->u.formatted.value);
      visit_expr(st, e->u.formatted.spec);
      break;
    case E_ATTR: visit_expr(st, e->u.attr.value); break;
    case E_SUBSCRIPT:
      visit_expr(st, e->u.sub.value);
      visit_expr(st, e->u.sub.index);
      break;
    case E_SLICE:
      visit_expr(st, e->u.slice.lower);
      visit_expr(st, e->u.slice.upper);
      visit_expr(st, e->u.slice.step);
      break;
    case E_CALL:
      visit_expr(st, e->u.call.func);
      visit_exprs(st, &e->u.call.args);
      for (int i = 0; i < e->u.call.nkeywords; i++) visit_expr(st, e->u.call.keywords[i].value);
      break;
    case E_BINOP:
      visit_expr(st, e->u.binop.left);
      visit_expr(st, e->u.binop.right);
      break;
    case E_UNARYOP: visit_expr(st, e->u.unary.operand); break;
    case E_BOOLOP: visit_exprs(st, &e->u.boolop.values); break;
    case E_COMPARE:
      visit_expr(st, e->u.compare.left);
      visit_exprs(st, &e->u.compare.comparators);
      break;
    case E_IFEXP:
      visit_expr(st, e->u.ifexp.test);
      visit_expr(st, e->u.ifexp.body);
      visit_expr(st, e->u.ifexp.orelse);
      break;
    case E_LAMBDA: {
      visit_defaults(st, e->u.lambda.args);
      Scope *s = enter_scope(st, SCOPE_LAMBDA, "<lambda>", e, e->span);
      if (s == NULL) break;
      visit_params(st, e->u.lambda.args);
      visit_expr(st, e->u.lambda.body);
      leave_scope(st, s);
      break;
    }
    case E_TUPLE: case E_LIST: case E_SET: visit_exprs(st, &e->u.seq.elts); break;
    case E_DICT:
      for (int i = 0; i < e->u.dict.values.len; i++) {
        if (i < e->u.dict.keys.len) visit_expr(st, e->u.dict.keys.items[i]);
        visit_expr(st, e->u.dict.values.items[i]);
      }
      break;
    case E_LISTCOMP: case E_SETCOMP: case E_DICTCOMP: case E_GENEXP:
      visit_comprehension(st, e);
      break;
    case E_STARRED: visit_expr(st, e->u.starred.value); break;
    case E_YIELD: case E_YIELDFROM:
      visit_expr(st, e->u.yield_.value);
      st->cur->is_generator = true;
      if (st->cur->kind == SCOPE_COMPREHENSION)
        st_error(st, e->span, "'yield' inside %s", comp_description(st->cur->comp_kind));
      break;
    case E_AWAIT:
      visit_expr(st, e->u.await_.value);
      st->cur->is_coroutine = true;
      break;
  }
  st->depth--;
}

static void visit_global_or_nonlocal(Symtable *st, Stmt *s) {
  bool global = s->kind == S_GLOBAL;
  const char *what = global ? "global" : "nonlocal";
  for (int i = 0; i < s->u.names.nnames && !st->failed; i++) {
    const char *name = s->u.names.names[i];
    StrObj *mangled = scope_name(st, name);
    if (mangled == NULL) return;
    Symbol *sym = scope_lookup(st->cur, mangled);
    int cur = sym != NULL ? sym->flags : 0;
    if (cur & (DEF_PARAM | DEF_LOCAL | DEF_USE | DEF_ANNOT)) {
      if (cur & DEF_PARAM)
        st_error(st, s->span, "name '%s' is parameter and %s", name, what);
      else if (cur & DEF_USE)
        st_error(st, s->span, "name '%s' is used prior to %s declaration", name, what);
      else if (cur & DEF_ANNOT)
        st_error(st, s->span, "annotated name '%s' can't be %s", name, what);
      else
        st_error(st, s->span, "name '%s' is assigned to before %s declaration", name, what);
      return;
    }
    add_def(st, name, global ? DEF_GLOBAL : DEF_NONLOCAL, s->span);
    record_directive(st, mangled, s->span);
  }
}

static void visit_annassign(Symtable *st, Stmt *s) {
  Expr *target = s->u.annassign.target;
  if (target->kind == E_NAME) {
    StrObj *mangled = scope_name(st, target->u.name.id);
    if (mangled == NULL) return;
    Symbol *sym = scope_lookup(st->cur, mangled);
    int cur = sym != NULL ? sym->flags : 0;
    if ((cur & (DEF_GLOBAL | DEF_NONLOCAL)) && st->cur->kind != SCOPE_MODULE && s->u.annassign.simple) {
      st_error(st, s->span, "annotated name '%s' can't be %s", target->u.name.id,
               (cur & DEF_GLOBAL) ? "global" : "nonlocal");
      return;
    }
    if (s->u.annassign.simple)
      add_def(st, target->u.name.id, DEF_ANNOT | DEF_LOCAL, target->span);
    else if (s->u.annassign.value != NULL)
      add_def(st, target->u.name.id, DEF_LOCAL, target->span);
  } else {
    visit_target(st, target);
  }
  /* the annotation itself is never evaluated */
  visit_expr(st, s->u.annassign.value);
}

/* the name an import binds: `import a.b` binds a */
static void visit_alias(Symtable *st, Alias *a, bool from_import) {
  if (strcmp(a->name, "*") == 0) {
    if (st->cur->kind != SCOPE_MODULE) st_error(st, a->span, "import * only allowed at module level");
    return;
  }
  if (a->asname != NULL) { add_def(st, a->asname, DEF_IMPORT, a->span); return; }
  const char *dot = from_import ? NULL : strchr(a->name, '.');
  if (dot == NULL) { add_def(st, a->name, DEF_IMPORT, a->span); return; }
  size_t len = (size_t)(dot - a->name);
  char stackbuf[128];
  char *buf = len + 1 <= sizeof stackbuf ? stackbuf : malloc(len + 1);
  if (buf == NULL) { st_nomem(st); return; }
  memcpy(buf, a->name, len);
  buf[len] = '\0';
  add_def(st, buf, DEF_IMPORT, a->span);
  if (buf != stackbuf) free(buf);
}

static void visit_stmt(Symtable *st, Stmt *s) {
  if (s == NULL || st->failed) return;
  if (++st->depth > SYMTABLE_MAX_DEPTH) {
    st->failed = true;
    memset(st->err, 0, sizeof *st->err);
    exc_raise(st->vm, EXC(st->vm, RecursionError), "maximum recursion depth exceeded during compilation");
    st->depth--;
    return;
  }
  switch (s->kind) {
    case S_EXPR: visit_expr(st, s->u.expr.value); break;
    case S_ASSIGN:
      for (int i = 0; i < s->u.assign.targets.len; i++) visit_target(st, s->u.assign.targets.items[i]);
      visit_expr(st, s->u.assign.value);
      break;
    case S_AUGASSIGN:
      visit_target(st, s->u.augassign.target);
      visit_expr(st, s->u.augassign.value);
      break;
    case S_ANNASSIGN: visit_annassign(st, s); break;
    case S_IF:
      visit_expr(st, s->u.if_.test);
      visit_stmts(st, &s->u.if_.body);
      visit_stmts(st, &s->u.if_.orelse);
      break;
    case S_WHILE:
      visit_expr(st, s->u.while_.test);
      visit_stmts(st, &s->u.while_.body);
      visit_stmts(st, &s->u.while_.orelse);
      break;
    case S_FOR:
      visit_target(st, s->u.for_.target);
      visit_expr(st, s->u.for_.iter);
      visit_stmts(st, &s->u.for_.body);
      visit_stmts(st, &s->u.for_.orelse);
      break;
    case S_BREAK: case S_CONTINUE: case S_PASS: break;
    case S_RETURN: visit_expr(st, s->u.return_.value); break;
    case S_FUNCDEF: {
      add_def(st, s->u.funcdef.name, DEF_LOCAL, s->span);
      visit_defaults(st, s->u.funcdef.args);
      visit_exprs(st, &s->u.funcdef.decorators);
      Scope *f = enter_scope(st, SCOPE_FUNCTION, s->u.funcdef.name, s, s->span);
      if (f == NULL) break;
      if (s->u.funcdef.is_async) f->is_coroutine = f->is_async = true;
      visit_params(st, s->u.funcdef.args);
      visit_stmts(st, &s->u.funcdef.body);
      leave_scope(st, f);
      break;
    }
    case S_CLASSDEF: {
      add_def(st, s->u.classdef.name, DEF_LOCAL, s->span);
      visit_exprs(st, &s->u.classdef.bases);
      for (int i = 0; i < s->u.classdef.nkeywords; i++) visit_expr(st, s->u.classdef.keywords[i].value);
      visit_exprs(st, &s->u.classdef.decorators);
      Scope *c = enter_scope(st, SCOPE_CLASS, s->u.classdef.name, s, s->span);
      if (c == NULL) break;
      c->private_name = c->name;
      visit_stmts(st, &s->u.classdef.body);
      leave_scope(st, c);
      break;
    }
    case S_TRY:
      visit_stmts(st, &s->u.try_.body);
      for (int i = 0; i < s->u.try_.nhandlers; i++) {
        ExceptHandler *h = &s->u.try_.handlers[i];
        visit_expr(st, h->type);
        if (h->name != NULL) add_def(st, h->name, DEF_LOCAL, h->span);
        visit_stmts(st, &h->body);
      }
      visit_stmts(st, &s->u.try_.orelse);
      visit_stmts(st, &s->u.try_.finalbody);
      break;
    case S_RAISE:
      visit_expr(st, s->u.raise.exc);
      visit_expr(st, s->u.raise.cause);
      break;
    case S_WITH:
      for (int i = 0; i < s->u.with.nitems; i++) {
        visit_expr(st, s->u.with.items[i].context_expr);
        visit_target(st, s->u.with.items[i].optional_vars);
      }
      visit_stmts(st, &s->u.with.body);
      break;
    case S_GLOBAL: case S_NONLOCAL: visit_global_or_nonlocal(st, s); break;
    case S_DEL:
      for (int i = 0; i < s->u.del_.targets.len; i++) visit_target(st, s->u.del_.targets.items[i]);
      break;
    case S_ASSERT:
      visit_expr(st, s->u.assert_.test);
      visit_expr(st, s->u.assert_.msg);
      break;
    case S_IMPORT:
      for (int i = 0; i < s->u.import.nnames; i++) visit_alias(st, &s->u.import.names[i], false);
      break;
    case S_IMPORTFROM:
      for (int i = 0; i < s->u.importfrom.nnames; i++) visit_alias(st, &s->u.importfrom.names[i], true);
      break;
  }
  st->depth--;
}

static void visit_stmts(Symtable *st, StmtList *body) {
  for (int i = 0; i < body->len && !st->failed; i++) visit_stmt(st, body->items[i]);
}

/* ------------------------------------------------------------------ */
/* Resolution                                                          */

static Span directive_span(Scope *s, StrObj *name) {
  for (int i = 0; i < s->ndirectives; i++)
    if (s->directives[i].name == name) return s->directives[i].span;
  return s->span;
}

/* bound: names the enclosing functions bind (NULL at module level);
** local/free/global: as in CPython's analyze_name */
static bool analyze_name(Symtable *st, Scope *s, Symbol *sym, NameSet *bound, NameSet *local,
                         NameSet *free, NameSet *global) {
  int flags = sym->flags;
  const char *n = STR_CSTR(sym->name);
  if (flags & DEF_GLOBAL) {
    if (flags & DEF_NONLOCAL) {
      st_error(st, directive_span(s, sym->name), "name '%s' is nonlocal and global", n);
      return false;
    }
    sym->scope = SYM_GLOBAL_EXPLICIT;
    ns_remove(bound, sym->name);
    return ns_add(global, sym->name);
  }
  if (flags & DEF_NONLOCAL) {
    if (bound == NULL) {
      st_error(st, directive_span(s, sym->name), "nonlocal declaration not allowed at module level");
      return false;
    }
    if (!ns_has(bound, sym->name)) {
      st_error(st, directive_span(s, sym->name), "no binding for nonlocal '%s' found", n);
      return false;
    }
    sym->scope = SYM_FREE;
    return ns_add(free, sym->name);
  }
  if (flags & DEF_BOUND) {
    sym->scope = SYM_LOCAL;
    ns_remove(global, sym->name);
    return ns_add(local, sym->name);
  }
  if (ns_has(bound, sym->name)) {
    sym->scope = SYM_FREE;
    return ns_add(free, sym->name);
  }
  sym->scope = SYM_GLOBAL_IMPLICIT;
  return true;
}

/* free variables of children that are locals here become cells */
static void analyze_cells(Scope *s, NameSet *free) {
  for (int i = 0; i < s->nsyms; i++) {
    Symbol *sym = &s->syms[i];
    if (sym->scope == SYM_LOCAL && ns_has(free, sym->name)) {
      sym->scope = SYM_CELL;
      ns_remove(free, sym->name);
    }
  }
}

/* children's free variables not bound here pass through as free here */
static bool update_symbols(Symtable *st, Scope *s, NameSet *bound, NameSet *free, bool is_class) {
  for (int i = 0; i < free->cap; i++) {
    StrObj *name = free->slots[i];
    if (name == NULL || name == NS_TOMBSTONE) continue;
    Symbol *sym = scope_lookup(s, name);
    if (sym != NULL) {
      if (is_class && (sym->flags & (DEF_BOUND | DEF_GLOBAL))) sym->flags |= DEF_FREE_CLASS;
      continue;
    }
    if (bound != NULL && !ns_has(bound, name)) continue;   /* a global in the children */
    sym = scope_intern_symbol(st, s, name);
    if (sym == NULL) return false;
    sym->scope = SYM_FREE;
  }
  return true;
}

static bool analyze_block(Symtable *st, Scope *s, NameSet *bound, NameSet *free_out, NameSet *global) {
  NameSet local = {0}, newglobal = {0}, newfree = {0}, newbound = {0}, allfree = {0};
  bool ok = true;
  bool is_class = s->kind == SCOPE_CLASS;
  /* a class's own names are invisible to its methods: what they see is
  ** decided before the class body's names are analysed */
  if (is_class) ok = ns_union(&newglobal, global) && ns_union(&newbound, bound);
  int nsyms = s->nsyms;   /* update_symbols may add more later */
  for (int i = 0; ok && i < nsyms; i++)
    ok = analyze_name(st, s, &s->syms[i], bound, &local, free_out, global);
  if (ok && !is_class) {
    if (scope_is_function_like(s)) ok = ns_union(&newbound, &local);
    ok = ok && ns_union(&newbound, bound) && ns_union(&newglobal, global);
  } else if (ok) {
    ok = ns_add(&newbound, st->s_class);
  }
  for (int i = 0; ok && i < s->nchildren; i++) {
    NameSet cbound = {0}, cfree = {0}, cglobal = {0};
    ok = ns_union(&cbound, &newbound) && ns_union(&cglobal, &newglobal) &&
         analyze_block(st, s->children[i], &cbound, &cfree, &cglobal) && ns_union(&allfree, &cfree);
    ns_free(&cbound);
    ns_free(&cfree);
    ns_free(&cglobal);
  }
  ok = ok && ns_union(&newfree, &allfree);
  if (ok) {
    if (scope_is_function_like(s)) {
      analyze_cells(s, &newfree);
    } else if (is_class && ns_has(&newfree, st->s_class)) {
      ns_remove(&newfree, st->s_class);
      s->needs_class_closure = true;
    }
    ok = update_symbols(st, s, bound, &newfree, is_class) && ns_union(free_out, &newfree);
  }
  if (!ok && !st->failed) st_nomem(st);
  ns_free(&local);
  ns_free(&newglobal);
  ns_free(&newfree);
  ns_free(&newbound);
  ns_free(&allfree);
  return ok;
}

/* ------------------------------------------------------------------ */

Symtable *symtable_build(VM *vm, Module *m, SyntaxErrorInfo *err) {
  Symtable *st = calloc(1, sizeof(Symtable));
  if (st == NULL) {
    memset(err, 0, sizeof *err);
    exc_no_memory(vm);
    return NULL;
  }
  st->vm = vm;
  st->err = err;
  st->s_class = intern_name(st, "__class__");
  st->s_super = intern_name(st, "super");
  st->s_dot0 = intern_name(st, ".0");
  Span none = {1, 0, 1, 0};
  st->top = enter_scope(st, SCOPE_MODULE, "<module>", NULL, none);
  if (st->top != NULL) visit_stmts(st, &m->body);
  if (!st->failed) {
    NameSet free = {0}, global = {0};
    analyze_block(st, st->top, NULL, &free, &global);
    ns_free(&free);
    ns_free(&global);
  }
  if (st->failed) {
    symtable_free(st);
    return NULL;
  }
  return st;
}

void symtable_free(Symtable *st) {
  if (st == NULL) return;
  for (int i = 0; i < st->nall; i++) {
    Scope *s = st->all[i];
    free(s->children);
    free(s->syms);
    free(s->index);
    free(s->params);
    free(s->directives);
    free(s);
  }
  free(st->all);
  free(st->map_keys);
  free(st->map_vals);
  free(st);
}
