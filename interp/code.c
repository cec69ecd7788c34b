/* code.c — code objects: creation, the `code` type, GC tracing and
** freeing, lookups the VM needs at run time (line of an instruction,
** exception handler of an instruction), and the disassembler behind
** `withy --dis`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "opcodes.h"
#include "gc.h"
#include "vm.h"
#include "str.h"
#include "tuple.h"
#include "bytes.h"
#include "set.h"
#include "type.h"
#include "exc.h"

const char *const opcode_names[OP__COUNT] = {
#define WY_OP_NAME(name, doc) #name,
  WY_OPCODES(WY_OP_NAME)
#undef WY_OP_NAME
};

CodeObj *code_new(VM *vm) {
  CodeObj *c = gc_alloc_obj(vm, sizeof(CodeObj), K_CODE, vm->t_code);
  if (c == NULL) return NULL;
  c->doc = V_NONE;
  c->firstline = 1;
  return c;
}

int code_line_at(CodeObj *c, int32_t instr_index) {
  if (c->ncode <= 0 || c->locs == NULL) return c->firstline;
  if (instr_index < 0) instr_index = 0;
  if (instr_index >= c->ncode) instr_index = c->ncode - 1;
  return c->locs[instr_index].line;
}

const ExcTableEntry *code_find_handler(CodeObj *c, int32_t instr_index) {
  if (instr_index < 0) return NULL;
  uint32_t i = (uint32_t)instr_index;
  /* the last entry whose start is <= i; entries never overlap */
  int32_t lo = 0, hi = c->nexc - 1, found = -1;
  while (lo <= hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (c->exctab[mid].start <= i) { found = mid; lo = mid + 1; }
    else hi = mid - 1;
  }
  if (found < 0 || i >= c->exctab[found].end) return NULL;
  return &c->exctab[found];
}

void code_trace(VM *vm, Obj *o) {
  CodeObj *c = (CodeObj *)o;
  for (int32_t i = 0; i < c->nconsts; i++) gc_mark_value(vm, c->consts[i]);
  for (int32_t i = 0; i < c->nnames; i++) gc_mark_obj(vm, (Obj *)c->names[i]);
  for (int32_t i = 0; i < c->nlocals; i++) gc_mark_obj(vm, (Obj *)c->varnames[i]);
  for (int32_t i = 0; i < c->ncells; i++) gc_mark_obj(vm, (Obj *)c->cellnames[i]);
  for (int32_t i = 0; i < c->nfrees; i++) gc_mark_obj(vm, (Obj *)c->freenames[i]);
  for (int32_t i = 0; i < c->ncaches; i++) gc_mark_value(vm, c->caches[i].value);
  gc_mark_obj(vm, (Obj *)c->name);
  gc_mark_obj(vm, (Obj *)c->qualname);
  gc_mark_obj(vm, (Obj *)c->filename);
  gc_mark_value(vm, c->doc);
}

#define FREE_ARRAY(vm, p, n, type) \
  do { if ((p) != NULL) gc_free((vm), (p), (size_t)(n) * sizeof(type)); (p) = NULL; } while (0)

void code_free(VM *vm, Obj *o) {
  CodeObj *c = (CodeObj *)o;
  FREE_ARRAY(vm, c->code, c->ncode, Instr);
  FREE_ARRAY(vm, c->locs, c->ncode, CodeLoc);
  FREE_ARRAY(vm, c->consts, c->nconsts, Value);
  FREE_ARRAY(vm, c->names, c->nnames, StrObj *);
  FREE_ARRAY(vm, c->varnames, c->nlocals, StrObj *);
  FREE_ARRAY(vm, c->cellnames, c->ncells, StrObj *);
  FREE_ARRAY(vm, c->cell2arg, c->ncells, int32_t);
  FREE_ARRAY(vm, c->freenames, c->nfrees, StrObj *);
  FREE_ARRAY(vm, c->exctab, c->nexc, ExcTableEntry);
  FREE_ARRAY(vm, c->caches, c->ncaches, InlineCache);
}

static Value code_repr(VM *vm, Value self) {
  CodeObj *c = AS_CODE(self);
  const char *name = c->name ? STR_CSTR(c->name) : "?";
  const char *file = c->filename ? STR_CSTR(c->filename) : "?";
  /* str_format_c has no %p: format the address with snprintf */
  const char *fmt = "<code object %s at %p, file \"%s\", line %d>";
  int len = snprintf(NULL, 0, fmt, name, (void *)c, file, (int)c->firstline);
  if (len < 0) return exc_no_memory(vm);
  char *buf = malloc((size_t)len + 1);
  if (buf == NULL) return exc_no_memory(vm);
  snprintf(buf, (size_t)len + 1, fmt, name, (void *)c, file, (int)c->firstline);
  StrObj *s = str_new(vm, buf, (size_t)len);
  free(buf);
  return s ? v_obj(s) : V_UNDEF;
}

/* code objects hash by identity, like functions */
static int code_hash(VM *vm, Value self, int64_t *out) {
  (void)vm;
  *out = (int64_t)((uintptr_t)AS_OBJ(self) >> 4);
  return 0;
}

void code_type_init(VM *vm) {
  Type *t = type_new_builtin(vm, "code", NULL, K_CODE, 0);
  if (t == NULL) return;
  t->repr = code_repr;
  t->hash = code_hash;
  vm->t_code = t;
}

/* ------------------------------------------------------------------ */
/* Disassembler                                                        */

static void dis_print_str(FILE *f, const char *s, int64_t len) {
  fputc('\'', f);
  for (int64_t i = 0; i < len && i < 60; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n') fputs("\\n", f);
    else if (ch == '\'' || ch == '\\') { fputc('\\', f); fputc(ch, f); }
    else if (ch < 32) fprintf(f, "\\x%02x", ch);
    else fputc(ch, f);
  }
  if (len > 60) fputs("...", f);
  fputc('\'', f);
}

static void dis_print_value(VM *vm, FILE *f, Value v) {
  switch (v.tag) {
    case VT_NONE: fputs("None", f); return;
    case VT_BOOL: fputs(AS_BOOL(v) ? "True" : "False", f); return;
    case VT_INT: fprintf(f, "%" PRId64, AS_INT(v)); return;
    case VT_FLOAT: fprintf(f, "%.17g", AS_FLOAT(v)); return;
    case VT_UNDEF: fputs("<undef>", f); return;
    default: break;
  }
  Obj *o = AS_OBJ(v);
  switch ((ObjKind)o->kind) {
    case K_STR: dis_print_str(f, STR_CSTR((StrObj *)o), ((StrObj *)o)->len); return;
    case K_BYTES:
      fputc('b', f);
      dis_print_str(f, (const char *)((BytesObj *)o)->data, ((BytesObj *)o)->len);
      return;
    case K_TUPLE: {
      TupleObj *t = (TupleObj *)o;
      fputc('(', f);
      for (int64_t i = 0; i < t->len; i++) {
        if (i) fputs(", ", f);
        dis_print_value(vm, f, t->items[i]);
      }
      if (t->len == 1) fputc(',', f);
      fputc(')', f);
      return;
    }
    case K_SET: {
      SetObj *set = (SetObj *)o;
      bool first = true;
      fputs("frozenset({", f);
      for (int64_t i = 0; set->table != NULL && i <= set->mask; i++) {
        if (IS_UNDEF(set->table[i].key)) continue;
        if (!first) fputs(", ", f);
        dis_print_value(vm, f, set->table[i].key);
        first = false;
      }
      fputs("})", f);
      return;
    }
    case K_CODE: {
      CodeObj *c = (CodeObj *)o;
      fprintf(f, "<code object %s, line %d>", c->name ? STR_CSTR(c->name) : "?", (int)c->firstline);
      return;
    }
    default:
      if (o == vm->ellipsis) fputs("Ellipsis", f);
      else fprintf(f, "<%s object>", o->type && o->type->name ? STR_CSTR(o->type->name) : "?");
      return;
  }
}

static bool is_jump_op(int op) {
  switch (op) {
    case OP_JUMP: case OP_JUMP_BACKWARD: case OP_POP_JUMP_IF_FALSE: case OP_POP_JUMP_IF_TRUE:
    case OP_JUMP_IF_FALSE_OR_POP: case OP_JUMP_IF_TRUE_OR_POP: case OP_POP_JUMP_IF_NONE:
    case OP_POP_JUMP_IF_NOT_NONE: case OP_FOR_ITER: case OP_SEND:
      return true;
    default:
      return false;
  }
}

static const char *const binop_names[] = {
  "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "@"
};
static const char *const cmp_names[] = { "<", "<=", "==", "!=", ">", ">=" };
static const char *const unary_names[] = { "-", "+", "~", "not" };

static const char *cell_name(CodeObj *c, uint32_t k) {
  if (k < (uint32_t)c->ncells) return STR_CSTR(c->cellnames[k]);
  k -= (uint32_t)c->ncells;
  if (k < (uint32_t)c->nfrees) return STR_CSTR(c->freenames[k]);
  return "?";
}

/* the "(meaning)" column of one instruction */
static void dis_arg_meaning(VM *vm, CodeObj *c, int op, uint32_t arg, FILE *f) {
  switch (op) {
    case OP_LOAD_CONST: case OP_KW_NAMES:
      if (arg < (uint32_t)c->nconsts) { fputs("(", f); dis_print_value(vm, f, c->consts[arg]); fputs(")", f); }
      return;
    case OP_LOAD_FAST: case OP_STORE_FAST: case OP_DELETE_FAST: case OP_LOAD_FAST__LOAD_CONST:
    case OP_LOAD_FAST__LOAD_FAST: case OP_STORE_FAST__LOAD_FAST:
      if (arg < (uint32_t)c->nlocals) fprintf(f, "(%s)", STR_CSTR(c->varnames[arg]));
      return;
    case OP_LOAD_DEREF: case OP_STORE_DEREF: case OP_DELETE_DEREF: case OP_LOAD_CLOSURE:
    case OP_LOAD_CLASSDEREF:
      fprintf(f, "(%s)", cell_name(c, arg));
      return;
    case OP_LOAD_GLOBAL: case OP_STORE_GLOBAL: case OP_DELETE_GLOBAL: case OP_LOAD_NAME:
    case OP_STORE_NAME: case OP_DELETE_NAME: case OP_LOAD_ATTR: case OP_STORE_ATTR:
    case OP_DELETE_ATTR: case OP_LOAD_METHOD: case OP_IMPORT_NAME: case OP_IMPORT_FROM:
      if (arg < (uint32_t)c->nnames) fprintf(f, "(%s)", STR_CSTR(c->names[arg]));
      return;
    case OP_BINARY_OP: case OP_BINARY_ADD: case OP_BINARY_SUB: case OP_BINARY_MUL: case OP_BINARY_MOD:
      if ((arg & 15) < BIN_COUNT) fprintf(f, "(%s%s)", binop_names[arg & 15], (arg & BIN_INPLACE) ? "=" : "");
      return;
    case OP_COMPARE_OP:
      if (arg < 6) fprintf(f, "(%s)", cmp_names[arg]);
      return;
    case OP_UNARY_OP:
      if (arg < 4) fprintf(f, "(%s)", unary_names[arg]);
      return;
    case OP_IS_OP: fputs(arg ? "(is not)" : "(is)", f); return;
    case OP_CONTAINS_OP: fputs(arg ? "(not in)" : "(in)", f); return;
    case OP_UNPACK_EX: fprintf(f, "(%u before, %u after)", arg & 0xff, arg >> 8); return;
    case OP_FORMAT_VALUE: {
      static const char *const conv[] = { "", "str", "repr", "ascii" };
      fprintf(f, "(%s%s)", conv[arg & 3], (arg & 4) ? ((arg & 3) ? ", with format" : "with format") : "");
      return;
    }
    case OP_MAKE_FUNCTION:
      fprintf(f, "(%s%s%s)", (arg & 1) ? "defaults " : "", (arg & 2) ? "kwdefaults " : "",
              (arg & 8) ? "closure" : "");
      return;
    default:
      if (is_jump_op(op)) fprintf(f, "(to %u)", arg);
      return;
  }
}

static bool op_has_arg(int op) {
  switch (op) {
    case OP_NOP: case OP_POP_TOP: case OP_PUSH_NULL: case OP_RETURN_VALUE: case OP_BINARY_SUBSCR:
    case OP_STORE_SUBSCR: case OP_DELETE_SUBSCR: case OP_LIST_TO_TUPLE: case OP_GET_ITER:
    case OP_LOAD_BUILD_CLASS: case OP_RERAISE: case OP_PUSH_EXC_INFO: case OP_POP_EXCEPT:
    case OP_POP_EXCEPT_AND_RERAISE: case OP_CHECK_EXC_MATCH: case OP_LOAD_ASSERTION_ERROR:
    case OP_BEFORE_WITH: case OP_WITH_EXCEPT_START: case OP_BEFORE_ASYNC_WITH: case OP_GET_AITER:
    case OP_GET_ANEXT: case OP_END_ASYNC_FOR: case OP_GET_YIELD_FROM_ITER: case OP_ASYNC_GEN_WRAP:
    case OP_PRINT_EXPR: case OP_SETUP_ANNOTATIONS:
      return false;
    default:
      return true;
  }
}

static void dis_flags(CodeObj *c, FILE *f) {
  static const char *const names[] = {
    "VARARGS", "VARKEYWORDS", "GENERATOR", "COROUTINE", "ASYNC_GENERATOR", "MODULE", "CLASS",
    "NESTED", "LAMBDA", "COMPREHENSION"
  };
  bool first = true;
  for (int i = 0; i < 10; i++) {
    if (c->flags & (1u << i)) {
      fprintf(f, "%s%s", first ? "" : ", ", names[i]);
      first = false;
    }
  }
  if (first) fputs("-", f);
}

static void dis_one(VM *vm, CodeObj *c, FILE *f) {
  fprintf(f, "Disassembly of <code object %s, file \"%s\", line %d>:\n",
          c->qualname ? STR_CSTR(c->qualname) : "?", c->filename ? STR_CSTR(c->filename) : "?",
          (int)c->firstline);
  fprintf(f, "  args %d (posonly %d, kwonly %d), locals %d, cells %d, frees %d, stack %d, flags ",
          (int)c->argcount, (int)c->posonlycount, (int)c->kwonlycount, (int)c->nlocals,
          (int)c->ncells, (int)c->nfrees, (int)c->stacksize);
  dis_flags(c, f);
  fputc('\n', f);
  if (c->nlocals) {
    fputs("  varnames:", f);
    for (int32_t i = 0; i < c->nlocals; i++) fprintf(f, " %s", STR_CSTR(c->varnames[i]));
    fputc('\n', f);
  }
  if (c->ncells) {
    fputs("  cellvars:", f);
    for (int32_t i = 0; i < c->ncells; i++) {
      fprintf(f, " %s", STR_CSTR(c->cellnames[i]));
      if (c->cell2arg && c->cell2arg[i] >= 0) fprintf(f, "(arg %d)", (int)c->cell2arg[i]);
    }
    fputc('\n', f);
  }
  if (c->nfrees) {
    fputs("  freevars:", f);
    for (int32_t i = 0; i < c->nfrees; i++) fprintf(f, " %s", STR_CSTR(c->freenames[i]));
    fputc('\n', f);
  }
  int last_line = -1;
  for (int32_t i = 0; i < c->ncode; i++) {
    Instr w = c->code[i];
    int op = (int)INSTR_OP(w);
    uint32_t arg = INSTR_ARG(w);
    int line = c->locs ? c->locs[i].line : -1;
    if (op == OP_CACHE) continue;
    if (line != last_line) {
      if (i > 0) fputc('\n', f);
      fprintf(f, "%4d ", line);
      last_line = line;
    } else {
      fputs("     ", f);
    }
    const char *name = op < OP__COUNT ? opcode_names[op] : "<bad opcode>";
    fprintf(f, "%6d %-22s", (int)i, name);
    if (op_has_arg(op)) {
      fprintf(f, " %6u ", arg);
      dis_arg_meaning(vm, c, op, arg, f);
    }
    fputc('\n', f);
  }
  if (c->nexc) {
    fputs("ExceptionTable:\n", f);
    for (int32_t i = 0; i < c->nexc; i++) {
      const ExcTableEntry *e = &c->exctab[i];
      fprintf(f, "  %u to %u -> %u [%u]\n", e->start, e->end, e->target, e->depth);
    }
  }
}

void code_disassemble(VM *vm, CodeObj *c, void *file) {
  FILE *f = file ? (FILE *)file : stdout;
  dis_one(vm, c, f);
  for (int32_t i = 0; i < c->nconsts; i++) {
    if (IS_CODE(c->consts[i])) {
      fputc('\n', f);
      code_disassemble(vm, AS_CODE(c->consts[i]), f);
    }
  }
}
