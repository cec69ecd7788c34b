/* symtable.h — scope analysis for the compiler: which scopes a module
** has (module, class, function, lambda, comprehension / generator
** expression), and for each name in each scope whether it is a fast local,
** a global, a free variable taken from an enclosing function, or a cell
** that nested functions capture. The rules are CPython 3.11's: class
** scopes do not make their names visible to nested functions, a method
** that uses `super` or `__class__` captures the implicit `__class__` cell,
** and a comprehension is a nested function whose single parameter `.0` is
** the outermost iterator.
**
** The compiler runs symtable_build once per module, then asks
** symtable_scope_of(node) for the scope of each def, class, lambda and
** comprehension it compiles. Names are interned StrObj* (already mangled
** for class-private `__x` names), so symbols compare by pointer. */
#ifndef WITHY_SYMTABLE_H
#define WITHY_SYMTABLE_H

#include "ast.h"
#include "parser.h"
#include "object.h"

typedef enum ScopeKind {
  SCOPE_MODULE,
  SCOPE_CLASS,
  SCOPE_FUNCTION,
  SCOPE_LAMBDA,
  SCOPE_COMPREHENSION   /* list/set/dict comprehension or generator expression */
} ScopeKind;

/* how a name is used inside one scope (bits of Symbol.flags) */
enum {
  DEF_GLOBAL = 1 << 0,      /* `global x` */
  DEF_LOCAL = 1 << 1,       /* assigned, deleted, def/class/for/with/except target */
  DEF_PARAM = 1 << 2,       /* a parameter */
  DEF_NONLOCAL = 1 << 3,    /* `nonlocal x` */
  DEF_USE = 1 << 4,         /* read */
  DEF_FREE_CLASS = 1 << 5,  /* a class-scope name that a method also captures from outside */
  DEF_IMPORT = 1 << 6,      /* bound by import */
  DEF_ANNOT = 1 << 7,       /* `x: T` */
  DEF_COMP_ITER = 1 << 8    /* a comprehension's iteration variable */
};
#define DEF_BOUND (DEF_LOCAL | DEF_PARAM | DEF_IMPORT)

/* where a name lives, once the analysis is done */
typedef enum SymScope {
  SYM_UNRESOLVED = 0,
  SYM_LOCAL,            /* fast local (function-like) or namespace entry (module, class) */
  SYM_GLOBAL_EXPLICIT,  /* declared `global` */
  SYM_GLOBAL_IMPLICIT,  /* not bound in any enclosing function: globals, then builtins */
  SYM_FREE,             /* bound in an enclosing function: read through a cell */
  SYM_CELL              /* local here, captured by a nested scope */
} SymScope;

typedef struct Symbol {
  StrObj *name;
  int flags;            /* DEF_* */
  SymScope scope;
} Symbol;

/* the first `global`/`nonlocal` statement naming a symbol (for error spans) */
typedef struct Directive {
  StrObj *name;
  Span span;
} Directive;

typedef struct Scope {
  ScopeKind kind;
  int comp_kind;              /* E_LISTCOMP, E_SETCOMP, E_DICTCOMP or E_GENEXP */
  StrObj *name;               /* "f", "<lambda>", "<listcomp>", "C", "<module>" */
  const void *node;           /* the Stmt or Expr that opened it (NULL: module) */
  Span span;
  struct Scope *parent;
  struct Scope **children;
  int nchildren, capchildren;
  /* symbols in order of first use; `index` is an open-addressing table of
  ** indexes into syms, keyed by the name's address */
  Symbol *syms;
  int nsyms, capsyms;
  int32_t *index;
  int nindex;
  /* parameters in fast-local order: positional (posonly first), kw-only,
  ** *args, **kwargs — or `.0` for a comprehension */
  StrObj **params;
  int nparams, capparams;
  int argcount, posonlycount, kwonlycount;
  bool has_varargs, has_varkw;
  Directive *directives;
  int ndirectives, capdirectives;
  StrObj *private_name;       /* enclosing class name, for `__x` mangling, or NULL */
  bool is_generator;          /* contains yield / yield from (or is a genexp) */
  bool is_coroutine;          /* async def, or a comprehension with await / async for */
  bool is_async;              /* declared `async def` */
  bool needs_class_closure;   /* class: a method captures __class__ */
  bool nested;                /* defined inside a function-like scope */
} Scope;

typedef struct Symtable Symtable;

/* Analyse a module. NULL on a SyntaxError (err filled) or out of memory
** (err->msg empty, MemoryError pending). */
Symtable *symtable_build(VM *vm, Module *m, SyntaxErrorInfo *err);
void symtable_free(Symtable *st);
Scope *symtable_top(Symtable *st);
/* the scope a FuncDef/ClassDef statement or a lambda/comprehension
** expression opened, or NULL */
Scope *symtable_scope_of(Symtable *st, const void *node);

Symbol *scope_lookup(const Scope *s, StrObj *name);
/* the resolved scope of a name; names the analysis never saw count as
** implicit globals */
SymScope scope_of_name(const Scope *s, StrObj *name);
/* functions, lambdas and comprehensions: fast locals, cells, LOAD_GLOBAL */
bool scope_is_function_like(const Scope *s);

/* Python's private name mangling: `__x` inside class `C` is `_C__x`.
** Returns `name` itself when no mangling applies, NULL on MemoryError. */
StrObj *symtable_mangle(VM *vm, StrObj *private_name, StrObj *name);

#endif
