/* compiler_internal.h — what compiler.c (infrastructure, assembler),
** compile_stmt.c (statements) and compile_expr.c (expressions) share.
** Private to those three files; the public entry point is compiler.h. */
#ifndef WITHY_COMPILER_INTERNAL_H
#define WITHY_COMPILER_INTERNAL_H

#include "compiler.h"
#include "opcodes.h"
#include "symtable.h"

/* marks where a handler starts protecting code (arg: handler index);
** read by the stack-depth analysis, dropped from the final code */
#define PSEUDO_SETUP 255
/* deeper AST nesting raises RecursionError, as CPython does */
#define COMPILER_MAX_DEPTH 3000
/* beyond this many items, displays are built incrementally */
#define STACK_USE_GUIDELINE 30

/* an instruction before assembly; jump args are label ids */
typedef struct IInstr {
  uint8_t op;
  int32_t arg;
  int32_t handler;      /* index into Unit.handlers, or -1 */
  CodeLoc loc;
} IInstr;

typedef struct Handler {
  int32_t label;        /* where the handler code starts */
  int32_t delta;        /* its depth relative to the depth at PSEUDO_SETUP */
  int32_t depth;        /* computed by the flow analysis; -1 until then */
} Handler;

/* What break / continue / return must undo on their way out. */
typedef enum FBKind {
  FB_WHILE, FB_FOR, FB_ASYNC_FOR,
  FB_TRY_EXCEPT,        /* body of a try with except clauses: nothing to undo */
  FB_FINALLY_TRY,       /* body of a try with finally: inline the finally body */
  FB_FINALLY_END,       /* the finally body on the exception path: [prev, exc] */
  FB_WITH, FB_ASYNC_WITH,   /* body of a with: call __exit__(None, None, None) */
  FB_HANDLER_CLEANUP,   /* an except clause's body: POP_EXCEPT, unbind `as` name */
  FB_EXCEPTION_HANDLER, /* the matching code of except clauses */
  FB_POP_VALUE          /* a value (the return value) to drop */
} FBKind;

typedef struct FBlock {
  FBKind kind;
  int32_t outer_handler;  /* the handler current outside the block */
  int32_t start, exit;    /* loops: continue and break targets */
  const Stmt *stmt;       /* with / try statement */
  const char *name;       /* handler cleanup: the `as` name, or NULL */
  Span span;
} FBlock;

typedef struct PtrIndex {
  const void **keys;
  int32_t *vals;
  int cap, len;
} PtrIndex;

/* one code object under construction */
typedef struct Unit {
  struct Unit *parent;
  Scope *scope;
  StrObj *name, *qualname;
  StrObj *private_name;   /* class name for `__x` mangling */
  int firstline;
  Value doc;
  IInstr *instrs;
  int ninstrs, capinstrs;
  int32_t *labels;        /* label id -> instruction index */
  int nlabels, caplabels;
  Handler *handlers;
  int nhandlers, caphandlers;
  int32_t cur_handler;
  CodeLoc loc;            /* location given to the next instructions */
  FBlock *fblocks;
  int nfblocks, capfblocks;
  Value *consts;
  int nconsts, capconsts;
  int32_t *cindex;        /* open-addressing index over consts */
  int ncindex;
  StrObj **names;
  int nnames, capnames;
  PtrIndex names_ix;
  StrObj **varnames;
  int nvarnames, capvarnames;
  PtrIndex var_ix;
  StrObj **cellnames;
  int32_t *cell2arg;
  int ncells;
  PtrIndex cell_ix;
  StrObj **freenames;
  int nfrees;
  PtrIndex free_ix;
  int32_t ncaches;
} Unit;

typedef struct Compiler {
  VM *vm;
  Symtable *st;
  SyntaxErrorInfo *err;
  bool failed;            /* sticky: once set, emission does nothing */
  int mode;               /* ParseMode */
  int depth;              /* recursion guard */
  StrObj *filename;
  Unit *u;
  StrObj *s_class, *s_name, *s_module, *s_qualname, *s_doc;
} Compiler;

typedef enum Ctx { CTX_LOAD, CTX_STORE, CTX_DEL } Ctx;

typedef struct UnwindState {
  FBlock *saved;
  int n;
  int how;             /* why the blocks are left: a WITH_EXIT_* reason */
  int32_t handler;
  CodeLoc loc;
} UnwindState;

/* compiler.c */
void compile_error(Compiler *c, Span span, const char *fmt, ...);
void compile_fail_pending(Compiler *c);
bool compile_enter_recursion(Compiler *c);
int32_t pi_get(const PtrIndex *pi, const void *key);
int32_t add_const(Compiler *c, Value v);
int32_t add_name(Compiler *c, StrObj *name);
StrObj *intern_cstr(Compiler *c, const char *s);
StrObj *mangle_name(Compiler *c, const char *s);
CodeLoc span_loc(Span s);
CodeLoc attr_loc(Expr *attr);
int32_t emit(Compiler *c, int op, int32_t arg);
int32_t new_label(Compiler *c);
void bind_label(Compiler *c, int32_t label);
void emit_jump(Compiler *c, int op, int32_t label);
int32_t new_handler(Compiler *c, int32_t label, int32_t delta);
void setup_handler(Compiler *c, int32_t h);
void emit_load_const(Compiler *c, Value v);
void emit_load_none(Compiler *c);
void emit_attr_op(Compiler *c, int op, Expr *attr);
void emit_yield_from_loop(Compiler *c);
void emit_await(Compiler *c, int awaitable_kind);
void compile_name_obj(Compiler *c, StrObj *name, Ctx ctx, Span span);
void compile_name(Compiler *c, const char *id, Ctx ctx, Span span);
Unit *enter_unit(Compiler *c, Scope *sc, StrObj *name, StrObj *qualname, int firstline);
void leave_unit(Compiler *c);
StrObj *make_qualname(Compiler *c, Scope *child, StrObj *name);
void make_function(Compiler *c, CodeObj *code, int flags);
FBlock *push_fblock(Compiler *c, FBKind kind, int32_t outer_handler, int32_t start, int32_t exit);
void pop_fblock(Compiler *c);
void unwind_begin(Compiler *c, UnwindState *us);
void unwind_to(Compiler *c, UnwindState *us, int stop, bool preserve_tos);
void unwind_one(Compiler *c, UnwindState *us, int index);
void unwind_end(Compiler *c, UnwindState *us);
bool opcode_is_jump(int op);
CodeObj *assemble(Compiler *c);

/* compile_stmt.c */
void compile_module_body(Compiler *c, Module *m);
void compile_stmts(Compiler *c, const StmtList *body);
void compile_stmts_from(Compiler *c, const StmtList *body, int start);
void compile_store(Compiler *c, Expr *target);
bool is_docstring(const StmtList *body);

/* compile_expr.c */
void compile_expr(Compiler *c, Expr *e);
void compile_jump_if(Compiler *c, Expr *e, int32_t label, bool jump_if_true);
Value const_value(Compiler *c, Expr *e);
/* Python-level constant: a literal, or a tuple / negation of them */
bool fold_const(Compiler *c, Expr *e, Value *out);
int compile_defaults(Compiler *c, Arguments *a);
/* an iterable operand (`for x in [1, 2]`, `x in [1, 2]`): a list display
** of constants is loaded as a constant tuple */
void compile_sequence_operand(Compiler *c, Expr *e);
StrObj *intern_len(Compiler *c, const char *s, size_t len);
void compile_call_helper(Compiler *c, int npre, ExprList *args, Keyword *kws, int nkws);
/* a nested function-like code object (def body / lambda / comprehension) */
CodeObj *compile_function_code(Compiler *c, Scope *sc, StrObj *name, int firstline, const StmtList *body,
                               Expr *lambda_body, Span span);

#endif
