/* ast.h — the abstract syntax tree the parser builds and the compiler
** walks. Nodes live in an Arena owned by the parse; nothing here is a GC
** object, so parsing and compiling never trigger a collection.
**
** Every node carries its source span (1-based line, 0-based UTF-8 byte
** column, end exclusive), which the compiler copies into the code object's
** location table for tracebacks and the tracer.
*/
#ifndef WITHY_AST_H
#define WITHY_AST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef struct Arena Arena;
void *arena_alloc(Arena *a, size_t size);        /* zeroed; aborts never: NULL on OOM */
char *arena_strdup(Arena *a, const char *s, size_t len); /* NUL-terminated copy */
Arena *arena_new(void);
void arena_free(Arena *a);

typedef struct Expr Expr;
typedef struct Stmt Stmt;

/* growable arrays allocated in the arena */
typedef struct ExprList { Expr **items; int len; } ExprList;
typedef struct StmtList { Stmt **items; int len; } StmtList;

typedef struct Span { int line, col, end_line, end_col; } Span;

typedef enum ExprKind {
  E_NAME,       /* name.id */
  E_CONST,      /* constant: None/True/False/int/float/str/bytes/Ellipsis */
  E_JOINEDSTR,  /* f-string: joined.parts (E_CONST str or E_FORMATTED) */
  E_FORMATTED,  /* {value!conv:spec} inside an f-string */
  E_ATTR,       /* attr.value . attr.name */
  E_SUBSCRIPT,  /* sub.value [ sub.index ]  (index may be E_SLICE or E_TUPLE) */
  E_SLICE,      /* slice.lower : slice.upper : slice.step (each may be NULL) */
  E_CALL,       /* call.func ( call.args , call.keywords ) */
  E_BINOP,      /* binop.left op binop.right; op is a BinOp (object.h) */
  E_UNARYOP,    /* unary.op (UnaryOp) unary.operand */
  E_BOOLOP,     /* boolop.is_or, boolop.values (>= 2) */
  E_COMPARE,    /* compare.left, compare.ops[i] / compare.comparators[i] */
  E_IFEXP,      /* ifexp.body if ifexp.test else ifexp.orelse */
  E_LAMBDA,     /* lambda.args : lambda.body */
  E_TUPLE,      /* seq.elts; may contain E_STARRED */
  E_LIST,       /* seq.elts */
  E_SET,        /* seq.elts */
  E_DICT,       /* dict.keys[i] : dict.values[i]; keys[i] == NULL means **values[i] */
  E_LISTCOMP,   /* comp.elt, comp.generators */
  E_SETCOMP,
  E_DICTCOMP,   /* comp.key : comp.elt */
  E_GENEXP,
  E_STARRED,    /* *starred.value (in calls, displays, targets) */
  E_YIELD,      /* yield [yield_.value] (value may be NULL) */
  E_YIELDFROM,  /* yield from yield_.value */
  E_AWAIT       /* await await_.value */
} ExprKind;

/* comparison operators of E_COMPARE (CmpOp values 0..5 from object.h, plus these) */
enum { CMPX_IS = 6, CMPX_IS_NOT, CMPX_IN, CMPX_NOT_IN };

typedef enum ConstKind { C_NONE, C_TRUE, C_FALSE, C_INT, C_FLOAT, C_STR, C_BYTES, C_ELLIPSIS } ConstKind;

typedef struct Keyword {
  const char *arg;   /* NULL for **value */
  Expr *value;
  Span span;
} Keyword;

typedef struct Arg {
  const char *name;
  Expr *annotation;  /* parsed, never evaluated; may be NULL */
  Span span;
} Arg;

/* a function's parameter list */
typedef struct Arguments {
  Arg *posonly; int nposonly;    /* before '/' */
  Arg *args; int nargs;          /* positional-or-keyword */
  Expr **defaults; int ndefaults;/* for the last ndefaults of posonly+args */
  Arg *vararg;                   /* *args, or NULL */
  Arg *kwonly; int nkwonly;
  Expr **kw_defaults;            /* nkwonly entries, NULL where no default */
  Arg *kwarg;                    /* **kwargs, or NULL */
} Arguments;

typedef struct Comprehension {
  Expr *target;
  Expr *iter;
  ExprList ifs;
  bool is_async;
} Comprehension;

struct Expr {
  ExprKind kind;
  Span span;
  union {
    struct { const char *id; } name;
    struct {
      ConstKind kind;
      int64_t i;
      double f;
      const char *s;   /* str: UTF-8 (escapes already decoded); bytes: raw */
      size_t len;
    } constant;
    struct { ExprList parts; } joined;
    struct { Expr *value; int conversion; /* 0, 's', 'r', 'a' */ Expr *spec; /* E_JOINEDSTR or NULL */ } formatted;
    struct { Expr *value; const char *name; } attr;
    struct { Expr *value; Expr *index; } sub;
    struct { Expr *lower, *upper, *step; } slice;
    struct { Expr *func; ExprList args; Keyword *keywords; int nkeywords; } call;
    struct { Expr *left; int op; Expr *right; } binop;
    struct { int op; Expr *operand; } unary;
    struct { bool is_or; ExprList values; } boolop;
    struct { Expr *left; int *ops; ExprList comparators; } compare;
    struct { Expr *test, *body, *orelse; } ifexp;
    struct { Arguments *args; Expr *body; } lambda;
    struct { ExprList elts; } seq;
    struct { ExprList keys; ExprList values; } dict;
    struct { Expr *key; Expr *elt; Comprehension *generators; int ngenerators; } comp;
    struct { Expr *value; } starred;
    struct { Expr *value; } yield_;
    struct { Expr *value; } await_;
  } u;
};

typedef enum StmtKind {
  S_EXPR,       /* expr.value */
  S_ASSIGN,     /* assign.targets[0] = ... = assign.targets[n-1] = assign.value */
  S_AUGASSIGN,  /* augassign.target op= value; op is a BinOp (without BIN_INPLACE) */
  S_ANNASSIGN,  /* annassign.target : annotation [= value]; value may be NULL */
  S_IF,         /* if_.test, if_.body, if_.orelse (elif is a nested S_IF in orelse) */
  S_WHILE,      /* while_.test, body, orelse */
  S_FOR,        /* for_.target in for_.iter: body else orelse; for_.is_async */
  S_BREAK, S_CONTINUE, S_PASS,
  S_RETURN,     /* return_.value may be NULL */
  S_FUNCDEF,    /* funcdef: name, args, body, decorators, returns (annotation), is_async */
  S_CLASSDEF,   /* classdef: name, bases, keywords, body, decorators */
  S_TRY,        /* try_.body, handlers, orelse, finalbody */
  S_RAISE,      /* raise.exc (NULL: bare raise), raise.cause (NULL: no from) */
  S_WITH,       /* with.items (context_expr, optional_vars), with.body, with.is_async */
  S_GLOBAL,     /* names.names */
  S_NONLOCAL,   /* names.names */
  S_DEL,        /* del_.targets */
  S_ASSERT,     /* assert_.test, assert_.msg (may be NULL) */
  S_IMPORT,     /* import.names: `import a.b as c` — dotted names allowed in the parse */
  S_IMPORTFROM  /* importfrom.module, importfrom.names, importfrom.level (relative dots) */
} StmtKind;

typedef struct ExceptHandler {
  Expr *type;        /* NULL for bare except */
  const char *name;  /* `as name`, or NULL */
  StmtList body;
  Span span;
} ExceptHandler;

typedef struct WithItem {
  Expr *context_expr;
  Expr *optional_vars; /* target after `as`, or NULL */
} WithItem;

typedef struct Alias {
  const char *name;    /* dotted for `import a.b` */
  const char *asname;  /* or NULL */
  Span span;
} Alias;

struct Stmt {
  StmtKind kind;
  Span span;
  union {
    struct { Expr *value; } expr;
    struct { ExprList targets; Expr *value; } assign;
    struct { Expr *target; int op; Expr *value; } augassign;
    struct { Expr *target; Expr *annotation; Expr *value; bool simple; } annassign;
    struct { Expr *test; StmtList body, orelse; } if_;
    struct { Expr *test; StmtList body, orelse; } while_;
    struct { Expr *target, *iter; StmtList body, orelse; bool is_async; } for_;
    struct { Expr *value; } return_;
    struct {
      const char *name; Arguments *args; StmtList body; ExprList decorators;
      Expr *returns; bool is_async;
    } funcdef;
    struct {
      const char *name; ExprList bases; Keyword *keywords; int nkeywords;
      StmtList body; ExprList decorators;
    } classdef;
    struct {
      StmtList body; ExceptHandler *handlers; int nhandlers;
      StmtList orelse, finalbody;
    } try_;
    struct { Expr *exc, *cause; } raise;
    struct { WithItem *items; int nitems; StmtList body; bool is_async; } with;
    struct { const char **names; int nnames; } names;
    struct { ExprList targets; } del_;
    struct { Expr *test, *msg; } assert_;
    struct { Alias *names; int nnames; } import;
    struct { const char *module; Alias *names; int nnames; int level; } importfrom;
  } u;
};

/* A parsed module */
typedef struct Module {
  StmtList body;
  Arena *arena;
} Module;

#endif
