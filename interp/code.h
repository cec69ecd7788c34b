/* code.h — compiled code objects: bytecode, constants, names, the
** exception table and the location table. Produced by compiler.c, run by
** vm.c. One CodeObj per module, class body, function, lambda,
** comprehension and generator expression. */
#ifndef WITHY_CODE_H
#define WITHY_CODE_H

#include "object.h"

/* Instruction word: low 8 bits opcode, high 24 bits oparg.
** Jump opargs are ABSOLUTE instruction indexes. */
typedef uint32_t Instr;
#define INSTR_OP(w) ((w) & 0xffu)
#define INSTR_ARG(w) ((w) >> 8)
#define MAKE_INSTR(op, arg) ((Instr)(op) | ((Instr)(arg) << 8))

/* Exception table: non-overlapping ranges [start, end) of instruction
** indexes, sorted by start. An exception raised by instruction i inside a
** range truncates the value stack to `depth` values (above the frame's
** stack base), pushes the exception and jumps to `target`. Instructions in
** no range propagate the exception to the caller. */
typedef struct ExcTableEntry {
  uint32_t start, end, target;
  uint32_t depth;
} ExcTableEntry;

/* Source span of one instruction (copied from the AST node it came from) */
typedef struct CodeLoc {
  int32_t line, end_line;
  int16_t col, end_col;   /* 0-based byte columns; -1 when unknown */
} CodeLoc;

/* Per-instruction inline caches for LOAD_ATTR / LOAD_METHOD / STORE_ATTR /
** LOAD_GLOBAL (the VM owns their meaning; the compiler only numbers them:
** those opcodes are followed by one CACHE word whose oparg is the cache index). */
typedef struct InlineCache {
  void *key;          /* e.g. the Type* seen last */
  uint32_t version;   /* e.g. that type's version */
  uint32_t index;
  Value value;        /* e.g. the method found (GC-marked) */
} InlineCache;

enum CodeFlags {
  CO_VARARGS = 1 << 0,    /* has *args (its slot follows the positional + kw-only args) */
  CO_VARKEYWORDS = 1 << 1,/* has **kwargs (slot after *args' slot, or after kw-only) */
  CO_GENERATOR = 1 << 2,
  CO_COROUTINE = 1 << 3,  /* async def */
  CO_ASYNC_GENERATOR = 1 << 4,
  CO_MODULE = 1 << 5,     /* module body: names resolve via LOAD_NAME on globals */
  CO_CLASS = 1 << 6,      /* class body: LOAD_NAME on the class namespace */
  CO_NESTED = 1 << 7,
  CO_LAMBDA = 1 << 8,
  CO_COMPREHENSION = 1 << 9
};

typedef struct CodeObj {
  Obj obj;
  Instr *code;
  CodeLoc *locs;           /* one per instruction */
  int32_t ncode;
  Value *consts;           /* ints, floats, strs, bytes, None/True/False, Ellipsis,
                              tuples of str (kwnames), nested CodeObjs */
  int32_t nconsts;
  StrObj **names;          /* global / attribute / import names */
  int32_t nnames;
  /* Fast locals: [0, nlocals). Parameters come first in this order:
  ** positional (posonly then normal), keyword-only, *args, **kwargs. */
  StrObj **varnames;
  int32_t nlocals;
  int32_t argcount;        /* positional parameters incl. posonly */
  int32_t posonlycount;
  int32_t kwonlycount;
  /* Cells: [0, ncells) are this code's captured variables (cellvars),
  ** [ncells, ncells+nfrees) the enclosing scopes' (freevars, taken from
  ** the function's closure tuple in order). cell2arg[k] >= 0 when cellvar k
  ** is also the parameter local cell2arg[k] (the VM moves the argument into
  ** the new cell at frame start). */
  StrObj **cellnames;
  int32_t *cell2arg;
  int32_t ncells;
  StrObj **freenames;
  int32_t nfrees;
  int32_t stacksize;       /* maximum value-stack depth, exact */
  ExcTableEntry *exctab;
  int32_t nexc;
  InlineCache *caches;
  int32_t ncaches;
  uint32_t flags;          /* CodeFlags */
  StrObj *name;            /* "f", "<module>", "<lambda>", "<listcomp>", "<genexpr>", class name */
  StrObj *qualname;        /* "C.f", "f.<locals>.g" */
  StrObj *filename;
  int32_t firstline;
  Value doc;               /* docstring or None */
} CodeObj;

#define IS_CODE(v) IS_KIND(v, K_CODE)
#define AS_CODE(v) ((CodeObj *)AS_OBJ(v))

CodeObj *code_new(VM *vm);   /* empty; the compiler fills it (buffers via gc_malloc) */
int code_line_at(CodeObj *c, int32_t instr_index);
/* innermost handler for instruction i, or NULL */
const ExcTableEntry *code_find_handler(CodeObj *c, int32_t instr_index);
void code_type_init(VM *vm);
void code_trace(VM *vm, Obj *o);
void code_free(VM *vm, Obj *o);
/* human-readable listing (for `withy --dis` and the tests) */
void code_disassemble(VM *vm, CodeObj *c, void *file /* FILE* */);

#endif
