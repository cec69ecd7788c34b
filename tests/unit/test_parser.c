/* test_parser.c — the parser: AST shapes of representative programs (the
** expected trees were printed from CPython 3.11's ast module in the same
** notation), source spans, CPython's SyntaxError messages and positions
** for more than 250 broken programs (each checked against CPython 3.11's
** compile()), withy's own errors for features outside the language, the
** parse modes, `incomplete`, and inputs that must never crash. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parser.h"
#include "object.h"

/* ------------------------------------------------------------------ */
/* A compact dump of the tree, in the notation of the expected trees   */

static void dump_expr(FILE *out, const Expr *e);
static void dump_stmts(FILE *out, StmtList l);

static void dump_bytes(FILE *out, const char *s, size_t n) {
  fputc('"', out);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') fprintf(out, "\\x%02x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

static void dump_opt(FILE *out, const Expr *e) {
  if (e) dump_expr(out, e);
  else fputs("None", out);
}

static void dump_list(FILE *out, ExprList l) {
  fputc('[', out);
  for (int i = 0; i < l.len; i++) {
    if (i) fputc(',', out);
    dump_opt(out, l.items[i]);
  }
  fputc(']', out);
}

static const char *const binop_names[] = {"Add", "Sub", "Mult", "Div", "FloorDiv", "Mod", "Pow",
                                          "LShift", "RShift", "BitAnd", "BitOr", "BitXor", "MatMult"};
static const char *const cmpop_names[] = {"Lt", "LtE", "Eq", "NotEq", "Gt", "GtE", "Is", "IsNot", "In", "NotIn"};
static const char *const unop_names[] = {"USub", "UAdd", "Invert", "Not"};

static void dump_arg(FILE *out, const Arg *a) {
  fprintf(out, "arg(%s,", a->name);
  dump_opt(out, a->annotation);
  fputc(')', out);
}

static void dump_args(FILE *out, const Arguments *a) {
  fputs("args([", out);
  for (int i = 0; i < a->nposonly; i++) {
    if (i) fputc(',', out);
    dump_arg(out, &a->posonly[i]);
  }
  fputs("],[", out);
  for (int i = 0; i < a->nargs; i++) {
    if (i) fputc(',', out);
    dump_arg(out, &a->args[i]);
  }
  fputs("],", out);
  if (a->vararg) dump_arg(out, a->vararg);
  else fputs("None", out);
  fputs(",[", out);
  for (int i = 0; i < a->nkwonly; i++) {
    if (i) fputc(',', out);
    dump_arg(out, &a->kwonly[i]);
  }
  fputs("],[", out);
  for (int i = 0; i < a->nkwonly; i++) {
    if (i) fputc(',', out);
    dump_opt(out, a->kw_defaults[i]);
  }
  fputs("],", out);
  if (a->kwarg) dump_arg(out, a->kwarg);
  else fputs("None", out);
  fputs(",[", out);
  for (int i = 0; i < a->ndefaults; i++) {
    if (i) fputc(',', out);
    dump_expr(out, a->defaults[i]);
  }
  fputs("])", out);
}

static void dump_keywords(FILE *out, const Keyword *k, int n) {
  fputc('[', out);
  for (int i = 0; i < n; i++) {
    if (i) fputc(',', out);
    fprintf(out, "kw(%s,", k[i].arg ? k[i].arg : "None");
    dump_expr(out, k[i].value);
    fputc(')', out);
  }
  fputc(']', out);
}

static void dump_comps(FILE *out, const Comprehension *c, int n) {
  fputc('[', out);
  for (int i = 0; i < n; i++) {
    if (i) fputc(',', out);
    fputs("comp(", out);
    dump_expr(out, c[i].target);
    fputc(',', out);
    dump_expr(out, c[i].iter);
    fputc(',', out);
    dump_list(out, c[i].ifs);
    fprintf(out, ",%d)", c[i].is_async);
  }
  fputc(']', out);
}

static void dump_const(FILE *out, const Expr *e) {
  switch (e->u.constant.kind) {
    case C_NONE: fputs("Const(None)", out); break;
    case C_TRUE: fputs("Const(True)", out); break;
    case C_FALSE: fputs("Const(False)", out); break;
    case C_ELLIPSIS: fputs("Const(Ellipsis)", out); break;
    case C_INT: fprintf(out, "Const(%lld)", (long long)e->u.constant.i); break;
    case C_FLOAT: fprintf(out, "Const(%.17g)", e->u.constant.f); break;
    case C_STR:
      fputs("Const(", out);
      dump_bytes(out, e->u.constant.s, e->u.constant.len);
      fputc(')', out);
      break;
    case C_BYTES:
      fputs("Const(b", out);
      dump_bytes(out, e->u.constant.s, e->u.constant.len);
      fputc(')', out);
      break;
  }
}

static void dump_comp_expr(FILE *out, const Expr *e) {
  const char *name = e->kind == E_LISTCOMP ? "ListComp" : e->kind == E_SETCOMP ? "SetComp"
                     : e->kind == E_GENEXP ? "GenExp" : "DictComp";
  fprintf(out, "%s(", name);
  if (e->kind == E_DICTCOMP) {
    dump_expr(out, e->u.comp.key);
    fputc(',', out);
  }
  dump_expr(out, e->u.comp.elt);
  fputc(',', out);
  dump_comps(out, e->u.comp.generators, e->u.comp.ngenerators);
  fputc(')', out);
}

static void dump_expr(FILE *out, const Expr *e) {
  switch (e->kind) {
    case E_NAME: fprintf(out, "Name(%s)", e->u.name.id); break;
    case E_CONST: dump_const(out, e); break;
    case E_JOINEDSTR: fputs("JoinedStr(", out); dump_list(out, e->u.joined.parts); fputc(')', out); break;
    case E_FORMATTED:
      fprintf(out, "Fmt(%d,", e->u.formatted.conversion);
      dump_expr(out, e->u.formatted.value);
      fputc(',', out);
      dump_opt(out, e->u.formatted.spec);
      fputc(')', out);
      break;
    case E_ATTR: fputs("Attr(", out); dump_expr(out, e->u.attr.value); fprintf(out, ",%s)", e->u.attr.name); break;
    case E_SUBSCRIPT:
      fputs("Sub(", out);
      dump_expr(out, e->u.sub.value);
      fputc(',', out);
      dump_expr(out, e->u.sub.index);
      fputc(')', out);
      break;
    case E_SLICE:
      fputs("Slice(", out);
      dump_opt(out, e->u.slice.lower);
      fputc(',', out);
      dump_opt(out, e->u.slice.upper);
      fputc(',', out);
      dump_opt(out, e->u.slice.step);
      fputc(')', out);
      break;
    case E_CALL:
      fputs("Call(", out);
      dump_expr(out, e->u.call.func);
      fputc(',', out);
      dump_list(out, e->u.call.args);
      fputc(',', out);
      dump_keywords(out, e->u.call.keywords, e->u.call.nkeywords);
      fputc(')', out);
      break;
    case E_BINOP:
      fprintf(out, "BinOp(%s,", binop_names[e->u.binop.op]);
      dump_expr(out, e->u.binop.left);
      fputc(',', out);
      dump_expr(out, e->u.binop.right);
      fputc(')', out);
      break;
    case E_UNARYOP:
      fprintf(out, "Unary(%s,", unop_names[e->u.unary.op]);
      dump_expr(out, e->u.unary.operand);
      fputc(')', out);
      break;
    case E_BOOLOP:
      fprintf(out, "BoolOp(%s,", e->u.boolop.is_or ? "Or" : "And");
      dump_list(out, e->u.boolop.values);
      fputc(')', out);
      break;
    case E_COMPARE:
      fputs("Compare(", out);
      dump_expr(out, e->u.compare.left);
      fputs(",[", out);
      for (int i = 0; i < e->u.compare.comparators.len; i++) {
        if (i) fputc(',', out);
        fputs(cmpop_names[e->u.compare.ops[i]], out);
      }
      fputs("],", out);
      dump_list(out, e->u.compare.comparators);
      fputc(')', out);
      break;
    case E_IFEXP:
      fputs("IfExp(", out);
      dump_expr(out, e->u.ifexp.test);
      fputc(',', out);
      dump_expr(out, e->u.ifexp.body);
      fputc(',', out);
      dump_expr(out, e->u.ifexp.orelse);
      fputc(')', out);
      break;
    case E_LAMBDA:
      fputs("Lambda(", out);
      dump_args(out, e->u.lambda.args);
      fputc(',', out);
      dump_expr(out, e->u.lambda.body);
      fputc(')', out);
      break;
    case E_TUPLE: fputs("Tuple(", out); dump_list(out, e->u.seq.elts); fputc(')', out); break;
    case E_LIST: fputs("List(", out); dump_list(out, e->u.seq.elts); fputc(')', out); break;
    case E_SET: fputs("Set(", out); dump_list(out, e->u.seq.elts); fputc(')', out); break;
    case E_DICT:
      fputs("Dict(", out);
      dump_list(out, e->u.dict.keys);
      fputc(',', out);
      dump_list(out, e->u.dict.values);
      fputc(')', out);
      break;
    case E_LISTCOMP: case E_SETCOMP: case E_GENEXP: case E_DICTCOMP: dump_comp_expr(out, e); break;
    case E_STARRED: fputs("Starred(", out); dump_expr(out, e->u.starred.value); fputc(')', out); break;
    case E_YIELD: fputs("Yield(", out); dump_opt(out, e->u.yield_.value); fputc(')', out); break;
    case E_YIELDFROM: fputs("YieldFrom(", out); dump_expr(out, e->u.yield_.value); fputc(')', out); break;
    case E_AWAIT: fputs("Await(", out); dump_expr(out, e->u.await_.value); fputc(')', out); break;
  }
}

static void dump_names(FILE *out, const char *const *names, int n) {
  fputc('[', out);
  for (int i = 0; i < n; i++) {
    if (i) fputc(',', out);
    fputs(names[i], out);
  }
  fputc(']', out);
}

static void dump_aliases(FILE *out, const Alias *a, int n) {
  fputc('[', out);
  for (int i = 0; i < n; i++) {
    if (i) fputc(',', out);
    fprintf(out, "alias(%s,%s)", a[i].name, a[i].asname ? a[i].asname : "None");
  }
  fputc(']', out);
}

static void dump_try(FILE *out, const Stmt *s) {
  fputs("Try(", out);
  dump_stmts(out, s->u.try_.body);
  fputs(",[", out);
  for (int i = 0; i < s->u.try_.nhandlers; i++) {
    const ExceptHandler *h = &s->u.try_.handlers[i];
    if (i) fputc(',', out);
    fputs("handler(", out);
    dump_opt(out, h->type);
    fprintf(out, ",%s,", h->name ? h->name : "None");
    dump_stmts(out, h->body);
    fputc(')', out);
  }
  fputs("],", out);
  dump_stmts(out, s->u.try_.orelse);
  fputc(',', out);
  dump_stmts(out, s->u.try_.finalbody);
  fputc(')', out);
}

static void dump_stmt(FILE *out, const Stmt *s) {
  switch (s->kind) {
    case S_EXPR: fputs("Expr(", out); dump_expr(out, s->u.expr.value); fputc(')', out); break;
    case S_ASSIGN:
      fputs("Assign(", out);
      dump_list(out, s->u.assign.targets);
      fputc(',', out);
      dump_expr(out, s->u.assign.value);
      fputc(')', out);
      break;
    case S_AUGASSIGN:
      fprintf(out, "AugAssign(%s,", binop_names[s->u.augassign.op]);
      dump_expr(out, s->u.augassign.target);
      fputc(',', out);
      dump_expr(out, s->u.augassign.value);
      fputc(')', out);
      break;
    case S_ANNASSIGN:
      fputs("AnnAssign(", out);
      dump_expr(out, s->u.annassign.target);
      fputc(',', out);
      dump_expr(out, s->u.annassign.annotation);
      fputc(',', out);
      dump_opt(out, s->u.annassign.value);
      fprintf(out, ",%d)", s->u.annassign.simple);
      break;
    case S_IF: case S_WHILE:
      fputs(s->kind == S_IF ? "If(" : "While(", out);
      dump_expr(out, s->u.if_.test);
      fputc(',', out);
      dump_stmts(out, s->u.if_.body);
      fputc(',', out);
      dump_stmts(out, s->u.if_.orelse);
      fputc(')', out);
      break;
    case S_FOR:
      fputs(s->u.for_.is_async ? "AsyncFor(" : "For(", out);
      dump_expr(out, s->u.for_.target);
      fputc(',', out);
      dump_expr(out, s->u.for_.iter);
      fputc(',', out);
      dump_stmts(out, s->u.for_.body);
      fputc(',', out);
      dump_stmts(out, s->u.for_.orelse);
      fputc(')', out);
      break;
    case S_BREAK: fputs("Break", out); break;
    case S_CONTINUE: fputs("Continue", out); break;
    case S_PASS: fputs("Pass", out); break;
    case S_RETURN: fputs("Return(", out); dump_opt(out, s->u.return_.value); fputc(')', out); break;
    case S_FUNCDEF:
      fprintf(out, "%s(%s,", s->u.funcdef.is_async ? "AsyncFunctionDef" : "FunctionDef", s->u.funcdef.name);
      dump_args(out, s->u.funcdef.args);
      fputc(',', out);
      dump_stmts(out, s->u.funcdef.body);
      fputc(',', out);
      dump_list(out, s->u.funcdef.decorators);
      fputc(',', out);
      dump_opt(out, s->u.funcdef.returns);
      fputc(')', out);
      break;
    case S_CLASSDEF:
      fprintf(out, "ClassDef(%s,", s->u.classdef.name);
      dump_list(out, s->u.classdef.bases);
      fputc(',', out);
      dump_keywords(out, s->u.classdef.keywords, s->u.classdef.nkeywords);
      fputc(',', out);
      dump_stmts(out, s->u.classdef.body);
      fputc(',', out);
      dump_list(out, s->u.classdef.decorators);
      fputc(')', out);
      break;
    case S_TRY: dump_try(out, s); break;
    case S_RAISE:
      fputs("Raise(", out);
      dump_opt(out, s->u.raise.exc);
      fputc(',', out);
      dump_opt(out, s->u.raise.cause);
      fputc(')', out);
      break;
    case S_WITH:
      fputs(s->u.with.is_async ? "AsyncWith([" : "With([", out);
      for (int i = 0; i < s->u.with.nitems; i++) {
        if (i) fputc(',', out);
        fputs("item(", out);
        dump_expr(out, s->u.with.items[i].context_expr);
        fputc(',', out);
        dump_opt(out, s->u.with.items[i].optional_vars);
        fputc(')', out);
      }
      fputs("],", out);
      dump_stmts(out, s->u.with.body);
      fputc(')', out);
      break;
    case S_GLOBAL: case S_NONLOCAL:
      fputs(s->kind == S_GLOBAL ? "Global(" : "Nonlocal(", out);
      dump_names(out, s->u.names.names, s->u.names.nnames);
      fputc(')', out);
      break;
    case S_DEL: fputs("Delete(", out); dump_list(out, s->u.del_.targets); fputc(')', out); break;
    case S_ASSERT:
      fputs("Assert(", out);
      dump_expr(out, s->u.assert_.test);
      fputc(',', out);
      dump_opt(out, s->u.assert_.msg);
      fputc(')', out);
      break;
    case S_IMPORT: fputs("Import(", out); dump_aliases(out, s->u.import.names, s->u.import.nnames); fputc(')', out); break;
    case S_IMPORTFROM:
      fprintf(out, "ImportFrom(%s,", s->u.importfrom.module ? s->u.importfrom.module : "None");
      dump_aliases(out, s->u.importfrom.names, s->u.importfrom.nnames);
      fprintf(out, ",%d)", s->u.importfrom.level);
      break;
  }
}

static void dump_stmts(FILE *out, StmtList l) {
  fputc('[', out);
  for (int i = 0; i < l.len; i++) {
    if (i) fputc(',', out);
    dump_stmt(out, l.items[i]);
  }
  fputc(']', out);
}

/* The module's statements, one per line; or "ERROR: msg" */
static char *parse_dump(const char *src, int mode) {
  SyntaxErrorInfo err;
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  Module *m = parse_source(src, strlen(src), mode, &err);
  if (!m) {
    fprintf(out, "ERROR: %s", err.msg);
  } else {
    for (int i = 0; i < m->body.len; i++) {
      if (i) fputc('\n', out);
      dump_stmt(out, m->body.items[i]);
    }
    module_ast_free(m);
  }
  fclose(out);
  return buf;
}

/* ------------------------------------------------------------------ */
/* AST shapes: the expected trees come from CPython 3.11's ast module   */

static const struct { const char *src, *tree; } shapes[] = {
  {"x = 1\n",
   "Assign([Name(x)],Const(1))"},
  {"a = b = c\n",
   "Assign([Name(a),Name(b)],Name(c))"},
  {"x, *y = z\n",
   "Assign([Tuple([Name(x),Starred(Name(y))])],Name(z))"},
  {"[a, (b, c)] = d\n",
   "Assign([List([Name(a),Tuple([Name(b),Name(c)])])],Name(d))"},
  {"x.y[0] += 1\n",
   "AugAssign(Add,Sub(Attr(Name(x),y),Const(0)),Const(1))"},
  {"x: int = 5\n",
   "AnnAssign(Name(x),Name(int),Const(5),1)"},
  {"(x): int\n",
   "AnnAssign(Name(x),Name(int),None,0)"},
  {"x.y: 'str'\n",
   "AnnAssign(Attr(Name(x),y),Const(\"str\"),None,0)"},
  {"if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n",
   "If(Name(a),[Pass],[If(Name(b),[Pass],[Pass])])"},
  {"while x:\n    break\nelse:\n    continue\n",
   "While(Name(x),[Break],[Continue])"},
  {"for i, j in pairs:\n    pass\nelse:\n    pass\n",
   "For(Tuple([Name(i),Name(j)]),Name(pairs),[Pass],[Pass])"},
  {"async def f(a, /, b=1, *args, c, d=2, **kw) -> int:\n    async for x in y:\n        await z\n    async with a as b, c:\n        pass\n    return [x async for x in y]\n",
   "AsyncFunctionDef(f,args([arg(a,None)],[arg(b,None)],arg(args,None),[arg(c,None),arg(d,None)],[None,Const(2)],arg(kw,None),[Const(1)]),[AsyncFor(Name(x),Name(y),[Expr(Await(Name(z)))],[]),AsyncWith([item(Name(a),Name(b)),item(Name(c),None)],[Pass]),Return(ListComp(Name(x),[comp(Name(x),Name(y),[],1)]))],[],Name(int))"},
  {"def g():\n    x = yield\n    y = yield from z\n    f((yield x))\n    yield 1, 2\n",
   "FunctionDef(g,args([],[],None,[],[],None,[]),[Assign([Name(x)],Yield(None)),Assign([Name(y)],YieldFrom(Name(z))),Expr(Call(Name(f),[Yield(Name(x))],[])),Expr(Yield(Tuple([Const(1),Const(2)])))],[],None)"},
  {"lambda x, *y, z=1, **k: x\n",
   "Expr(Lambda(args([],[arg(x,None)],arg(y,None),[arg(z,None)],[Const(1)],arg(k,None),[]),Name(x)))"},
  {"class C(B, metaclass=M, *bases, **kw):\n    'doc'\n",
   "ClassDef(C,[Name(B),Starred(Name(bases))],[kw(metaclass,Name(M)),kw(None,Name(kw))],[Expr(Const(\"doc\"))],[])"},
  {"@dec\n@dec2(1)\ndef h(): ...\n",
   "FunctionDef(h,args([],[],None,[],[],None,[]),[Expr(Const(Ellipsis))],[Name(dec),Call(Name(dec2),[Const(1)],[])],None)"},
  {"try:\n    pass\nexcept (A, B) as e:\n    pass\nexcept C:\n    pass\nexcept:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
   "Try([Pass],[handler(Tuple([Name(A),Name(B)]),e,[Pass]),handler(Name(C),None,[Pass]),handler(None,None,[Pass])],[Pass],[Pass])"},
  {"raise\n",
   "Raise(None,None)"},
  {"raise X from Y\n",
   "Raise(Name(X),Name(Y))"},
  {"with (open(a) as f, open(b) as g):\n    pass\n",
   "With([item(Call(Name(open),[Name(a)],[]),Name(f)),item(Call(Name(open),[Name(b)],[]),Name(g))],[Pass])"},
  {"with (a, b):\n    pass\n",
   "With([item(Name(a),None),item(Name(b),None)],[Pass])"},
  {"with (a, b) as c:\n    pass\n",
   "With([item(Tuple([Name(a),Name(b)]),Name(c))],[Pass])"},
  {"global a, b\n",
   "Global([a,b])"},
  {"del a, b[0], c.d\n",
   "Delete([Name(a),Sub(Name(b),Const(0)),Attr(Name(c),d)])"},
  {"assert x, \"msg\"\n",
   "Assert(Name(x),Const(\"msg\"))"},
  {"import a.b.c as d, e\n",
   "Import([alias(a.b.c,d),alias(e,None)])"},
  {"from ..m import a, b as c\n",
   "ImportFrom(m,[alias(a,None),alias(b,c)],2)"},
  {"from . import (x, y,)\n",
   "ImportFrom(None,[alias(x,None),alias(y,None)],1)"},
  {"from m import *\n",
   "ImportFrom(m,[alias(*,None)],0)"},
  {"x = a if b else c\n",
   "Assign([Name(x)],IfExp(Name(b),Name(a),Name(c)))"},
  {"x = a or b and not c\n",
   "Assign([Name(x)],BoolOp(Or,[Name(a),BoolOp(And,[Name(b),Unary(Not,Name(c))])]))"},
  {"x = a < b <= c is not d not in e\n",
   "Assign([Name(x)],Compare(Name(a),[Lt,LtE,IsNot,NotIn],[Name(b),Name(c),Name(d),Name(e)]))"},
  {"x = -2**-2\n",
   "Assign([Name(x)],Unary(USub,BinOp(Pow,Const(2),Unary(USub,Const(2)))))"},
  {"x = a | b ^ c & d << e >> f + g - h * i / j // k % l @ m\n",
   "Assign([Name(x)],BinOp(BitOr,Name(a),BinOp(BitXor,Name(b),BinOp(BitAnd,Name(c),BinOp(RShift,BinOp(LShift,Name(d),Name(e)),BinOp(Sub,BinOp(Add,Name(f),Name(g)),BinOp(MatMult,BinOp(Mod,BinOp(FloorDiv,BinOp(Div,BinOp(Mult,Name(h),Name(i)),Name(j)),Name(k)),Name(l)),Name(m))))))))"},
  {"x = ~a\n",
   "Assign([Name(x)],Unary(Invert,Name(a)))"},
  {"x = a[1:2, ::3, ...]\n",
   "Assign([Name(x)],Sub(Name(a),Tuple([Slice(Const(1),Const(2),None),Slice(None,None,Const(3)),Const(Ellipsis)])))"},
  {"x = a[b:]\n",
   "Assign([Name(x)],Sub(Name(a),Slice(Name(b),None,None)))"},
  {"f(a, *b, c=1, **d)\n",
   "Expr(Call(Name(f),[Name(a),Starred(Name(b))],[kw(c,Const(1)),kw(None,Name(d))]))"},
  {"f(x for x in y)\n",
   "Expr(Call(Name(f),[GenExp(Name(x),[comp(Name(x),Name(y),[],0)])],[]))"},
  {"x = [*a, *b]\n",
   "Assign([Name(x)],List([Starred(Name(a)),Starred(Name(b))]))"},
  {"x = {**a, 'b': 1}\n",
   "Assign([Name(x)],Dict([None,Const(\"b\")],[Name(a),Const(1)]))"},
  {"x = {1, 2, *s}\n",
   "Assign([Name(x)],Set([Const(1),Const(2),Starred(Name(s))]))"},
  {"x = {k: v for k, v in items if k if v for z in k}\n",
   "Assign([Name(x)],DictComp(Name(k),Name(v),[comp(Tuple([Name(k),Name(v)]),Name(items),[Name(k),Name(v)],0),comp(Name(z),Name(k),[],0)]))"},
  {"x = {x for x in y}\n",
   "Assign([Name(x)],SetComp(Name(x),[comp(Name(x),Name(y),[],0)]))"},
  {"x = (x for x in y)\n",
   "Assign([Name(x)],GenExp(Name(x),[comp(Name(x),Name(y),[],0)]))"},
  {"x = ()\n",
   "Assign([Name(x)],Tuple([]))"},
  {"x = (1,)\n",
   "Assign([Name(x)],Tuple([Const(1)]))"},
  {"x = 1,\n",
   "Assign([Name(x)],Tuple([Const(1)]))"},
  {"x = \"a\" \"b\" 'c'\n",
   "Assign([Name(x)],Const(\"abc\"))"},
  {"x = b\"a\" b'\\x00'\n",
   "Assign([Name(x)],Const(b\"a\\x00\"))"},
  {"x = f\"a{b!r:>{w}}c{d=}e{{f}}\"\n",
   "Assign([Name(x)],JoinedStr([Const(\"a\"),Fmt(114,Name(b),JoinedStr([Const(\">\"),Fmt(0,Name(w),None)])),Const(\"cd=\"),Fmt(114,Name(d),None),Const(\"e{f}\")]))"},
  {"x = f\"{x=!s}\" f\"{y=:>10}\" \"tail\"\n",
   "Assign([Name(x)],JoinedStr([Const(\"x=\"),Fmt(115,Name(x),None),Const(\"y=\"),Fmt(0,Name(y),JoinedStr([Const(\">10\")])),Const(\"tail\")]))"},
  {"x = r\"\\n\" + \"\\t\\u00e9\"\n",
   "Assign([Name(x)],BinOp(Add,Const(\"\\x5cn\"),Const(\"\\x09\\xc3\\xa9\")))"},
  {"x = 0x_ff + 0o17 + 0b101 + 1_000 + 1.5e3 + .5 + 1.\n",
   "Assign([Name(x)],BinOp(Add,BinOp(Add,BinOp(Add,BinOp(Add,BinOp(Add,BinOp(Add,Const(255),Const(15)),Const(5)),Const(1000)),Const(1500)),Const(0.5)),Const(1)))"},
  {"x = True, False, None, ...\n",
   "Assign([Name(x)],Tuple([Const(True),Const(False),Const(None),Const(Ellipsis)]))"},
  {"print(*a, sep=\"\")\n",
   "Expr(Call(Name(print),[Starred(Name(a))],[kw(sep,Const(\"\"))]))"},
  {"nonlocal_ = match = case = _ = 1\n",
   "Assign([Name(nonlocal_),Name(match),Name(case),Name(_)],Const(1))"},
  {"match(x)\n",
   "Expr(Call(Name(match),[Name(x)],[]))"},
  {"x = a[b][c](d).e\n",
   "Assign([Name(x)],Attr(Call(Sub(Sub(Name(a),Name(b)),Name(c)),[Name(d)],[]),e))"},
  {"x = [i for i in range(3) if i]\n",
   "Assign([Name(x)],ListComp(Name(i),[comp(Name(i),Call(Name(range),[Const(3)],[]),[Name(i)],0)]))"},
  {"x = not not a\n",
   "Assign([Name(x)],Unary(Not,Unary(Not,Name(a))))"},
  {"x = lambda: (yield)\n",
   "Assign([Name(x)],Lambda(args([],[],None,[],[],None,[]),Yield(None)))"},
  {"x = await_ = 1\n",
   "Assign([Name(x),Name(await_)],Const(1))"},
  {"f(a)(b)\n",
   "Expr(Call(Call(Name(f),[Name(a)],[]),[Name(b)],[]))"},
  {"x = 1 if 2 else 3 if 4 else 5\n",
   "Assign([Name(x)],IfExp(Const(2),Const(1),IfExp(Const(4),Const(3),Const(5))))"},
  {"x = [1, 2,]\n",
   "Assign([Name(x)],List([Const(1),Const(2)]))"},
};

START_TEST(ast_shapes_match_cpython) {
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    char *got = parse_dump(shapes[i].src, PARSE_FILE);
    ck_assert_msg(strcmp(got, shapes[i].tree) == 0, "%s\n  got:  %s\n  want: %s", shapes[i].src, got,
                  shapes[i].tree);
    free(got);
  }
}
END_TEST

/* withy's ints are 64-bit: the one literal that fits only negated is
** folded by the parser (CPython keeps UnaryOp(USub, 9223372036854775808)) */
START_TEST(int64_min_literal_is_folded) {
  char *got = parse_dump("x = -9223372036854775808\n", PARSE_FILE);
  ck_assert_str_eq(got, "Assign([Name(x)],Const(-9223372036854775808))");
  free(got);
  got = parse_dump("x = -9223372036854775808 ** 2\n", PARSE_FILE);
  ck_assert_str_eq(got, "ERROR: integer literal too large for withy (ints are 64-bit)");
  free(got);
}
END_TEST

static void assert_span(Span s, int line, int col, int end_line, int end_col) {
  ck_assert_msg(s.line == line && s.col == col && s.end_line == end_line && s.end_col == end_col,
                "span %d:%d-%d:%d, want %d:%d-%d:%d", s.line, s.col, s.end_line, s.end_col, line, col,
                end_line, end_col);
}

/* Spans are CPython's: 1-based lines, 0-based byte columns. */
START_TEST(spans_match_cpython) {
  const char *src = "x = foo(a, (b + 1))\nif x:\n    s = '\xc3\xa9' + z\n    with open(p) as f: pass\n";
  SyntaxErrorInfo err;
  Module *m = parse_source(src, strlen(src), PARSE_FILE, &err);
  ck_assert_ptr_nonnull(m);
  Stmt *assign = m->body.items[0];
  assert_span(assign->span, 1, 0, 1, 19);
  Expr *call = assign->u.assign.value;
  assert_span(call->span, 1, 4, 1, 19);
  assert_span(call->u.call.args.items[1]->span, 1, 12, 1, 17);   /* the group's inside */
  Stmt *ifs = m->body.items[1];
  assert_span(ifs->span, 2, 0, 4, 27);
  Stmt *inner = ifs->u.if_.body.items[0];
  assert_span(inner->u.assign.value->span, 3, 8, 3, 16);          /* é is two bytes */
  assert_span(inner->u.assign.value->u.binop.right->span, 3, 15, 3, 16);
  Stmt *with = ifs->u.if_.body.items[1];
  assert_span(with->span, 4, 4, 4, 27);
  assert_span(with->u.with.items[0].optional_vars->span, 4, 20, 4, 21);
  module_ast_free(m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Syntax errors: message, kind and position exactly as CPython 3.11's  */
/* compile() reports them (kind 1 IndentationError, 2 TabError)         */

typedef struct ErrCase {
  const char *src;
  int mode, kind;
  const char *msg;
  int line, col, end_line, end_col;
} ErrCase;

static const ErrCase cpython_errors[] = {
  {"x = = 1", 0, 0, "invalid syntax", 1, 5, 1, 6},
  {"if x\n  pass", 0, 0, "expected ':'", 1, 5, 1, 5},
  {"f(a b)", 0, 0, "invalid syntax. Perhaps you forgot a comma?", 1, 3, 1, 6},
  {"[a b]", 0, 0, "invalid syntax. Perhaps you forgot a comma?", 1, 2, 1, 5},
  {"a b", 0, 0, "invalid syntax", 1, 3, 1, 4},
  {"if x:\npass", 0, 1, "expected an indented block after 'if' statement on line 1", 2, 1, 2, 5},
  {"\n\nif x:\n  pass\nelse:\nfoo", 0, 1, "expected an indented block after 'else' statement on line 5", 6, 1, 6, 4},
  {" x=1", 0, 1, "unexpected indent", 1, 1, 1, -1},
  {"if x:\n    a\n  b", 0, 1, "unindent does not match any outer indentation level", 3, 4, 3, -1},
  {"x = \"abc", 0, 0, "unterminated string literal (detected at line 1)", 1, 5, 1, 5},
  {"x = \"\"\"abc\n\n\n", 0, 0, "unterminated triple-quoted string literal (detected at line 3)", 1, 5, 1, 5},
  {"x = (1,", 0, 0, "'(' was never closed", 1, 5, 1, 0},
  {"x = 1)", 0, 0, "unmatched ')'", 1, 6, 1, 6},
  {"x = (1]", 0, 0, "closing parenthesis ']' does not match opening parenthesis '('", 1, 7, 1, 7},
  {"f() = 1", 0, 0, "cannot assign to function call here. Maybe you meant '==' instead of '='?", 1, 1, 1, 4},
  {"1 = x", 0, 0, "cannot assign to literal here. Maybe you meant '==' instead of '='?", 1, 1, 1, 2},
  {"a + b = 1", 0, 0, "cannot assign to expression here. Maybe you meant '==' instead of '='?", 1, 1, 1, 6},
  {"del f()", 0, 0, "cannot delete function call", 1, 5, 1, 8},
  {"if x = 1: pass", 0, 0, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?", 1, 4, 1, 9},
  {"f(a=1, b)", 0, 0, "positional argument follows keyword argument", 1, 9, 1, 10},
  {"f(**a, *b)", 0, 0, "iterable argument unpacking follows keyword argument unpacking", 1, 8, 1, 9},
  {"def f(a=1, b): pass", 0, 0, "non-default argument follows default argument", 1, 12, 1, 13},
  {"from m import a, b,", 0, 0, "trailing comma not allowed without surrounding parentheses", 1, 20, 1, 20},
  {"x = 1 +", 0, 0, "invalid syntax", 1, 8, 1, 8},
  {"def f(:", 0, 0, "invalid syntax", 1, 7, 1, 8},
  {"x = f\"{}\"", 0, 0, "f-string: empty expression not allowed", 1, 10, 1, 10},
  {"x = f\"{a\"", 0, 0, "f-string: expecting '}'", 1, 10, 1, 10},
  {"x = f\"a}\"", 0, 0, "f-string: single '}' is not allowed", 1, 10, 1, 10},
  {"x = f\"{a!x}\"", 0, 0, "f-string: invalid conversion character: expected 's', 'r', or 'a'", 1, 13, 1, 13},
  {"x = f\"{a!}\"", 0, 0, "f-string: invalid conversion character: expected 's', 'r', or 'a'", 1, 12, 1, 12},
  {"x = f\"{a b}\"", 0, 0, "f-string: invalid syntax. Perhaps you forgot a comma?", 1, 2, 1, 5},
  {"x = f\"{a\\n}\"", 0, 0, "f-string expression part cannot include a backslash", 1, 13, 1, 13},
  {"x = f\"{a#}\"", 0, 0, "f-string expression part cannot include '#'", 1, 12, 1, 12},
  {"x = f\"{a)}\"", 0, 0, "f-string: unmatched ')'", 1, 12, 1, 12},
  {"x = f\"{(a}\"", 0, 0, "f-string: closing parenthesis '}' does not match opening parenthesis '('", 1, 12, 1, 12},
  {"x = f\"{a:{b:{c}}}\"", 0, 0, "f-string: expressions nested too deeply", 1, 19, 1, 19},
  {"x = f\"{ }\"", 0, 0, "f-string: empty expression not allowed", 1, 11, 1, 11},
  {"x = f\"{a=!r:>5}\" f\"{=}\"", 0, 0, "f-string: expression required before '='", 1, 24, 1, 24},
  {"x = b\"a\" \"b\"", 0, 0, "cannot mix bytes and nonbytes literals", 1, 13, 1, 13},
  {"x = \"a\" b\"b\"", 0, 0, "cannot mix bytes and nonbytes literals", 1, 13, 1, 13},
  {"x = f\"{a!r=}\"", 0, 0, "f-string: expecting '}'", 1, 14, 1, 14},
  {"x = f\"{lambda x: 1}\"", 0, 0, "f-string: invalid syntax", 1, 10, 1, 11},
  {"x = f\"{*a}\"", 0, 0, "f-string: cannot use starred expression here", 1, 2, 1, 4},
  {"x = f\"{a:{b!}}\"", 0, 0, "f-string: invalid conversion character: expected 's', 'r', or 'a'", 1, 16, 1, 16},
  {"x = f\"\"\"\n{a b}\"\"\"", 0, 0, "f-string: invalid syntax. Perhaps you forgot a comma?", 2, 2, 2, 5},
  {"x = f\"{a}{", 0, 0, "unterminated string literal (detected at line 1)", 1, 5, 1, 5},
  {"x = f\"{1_}\"", 0, 0, "invalid decimal literal", 1, 3, 1, 3},
  {"x = f\"{a $ b}\"", 0, 0, "f-string: invalid syntax", 1, 4, 1, 5},
  {"x = f\"{a!r :>3}\"", 0, 0, "f-string: expecting '}'", 1, 17, 1, 17},
  {"x = f\"{\\n}\"", 0, 0, "f-string expression part cannot include a backslash", 1, 12, 1, 12},
  {"x = f\"{a}}\"", 0, 0, "f-string: single '}' is not allowed", 1, 12, 1, 12},
  {"x = f\"{a:x{{y}}\"", 0, 0, "f-string: expecting '}'", 1, 17, 1, 17},
  {"x = f\"{=a}\"", 0, 0, "f-string: expression required before '='", 1, 12, 1, 12},
  {"x = f\"{1+}\"", 0, 0, "f-string: invalid syntax", 1, 4, 1, 5},
  {"x = \"\\x4\"", 0, 0, "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: truncated \\xXX escape", 1, 10, 1, 10},
  {"x = 1 + \"\\x4\" \"a\"", 0, 0, "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: truncated \\xXX escape", 1, 18, 1, 18},
  {"x = f\"\\x4{a}\"", 0, 0, "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: truncated \\xXX escape", 1, 14, 1, 14},
  {"x = b\"\xc3""\xa9""\"", 0, 0, "bytes can only contain ASCII literal characters", 1, 5, 1, 9},
  {"print \"a\"", 0, 0, "Missing parentheses in call to 'print'. Did you mean print(...)?", 1, 1, 1, 10},
  {"x = yield = 1", 0, 0, "assignment to yield expression not possible", 1, 5, 1, 10},
  {"a, b += 1", 0, 0, "'tuple' is an illegal expression for augmented assignment", 1, 1, 1, 5},
  {"f() += 1", 0, 0, "'function call' is an illegal expression for augmented assignment", 1, 1, 1, 4},
  {"(a, b): int = 1", 0, 0, "only single target (not tuple) can be annotated", 1, 1, 1, 7},
  {"for 1 in x: pass", 0, 0, "cannot assign to literal", 1, 5, 1, 6},
  {"with a as 1: pass", 0, 0, "cannot assign to literal", 1, 11, 1, 12},
  {"del 1", 0, 0, "cannot delete literal", 1, 5, 1, 6},
  {"del (a, f())", 0, 0, "cannot delete function call", 1, 9, 1, 12},
  {"print(*a, **b, c)", 0, 0, "positional argument follows keyword argument unpacking", 1, 17, 1, 18},
  {"f(x for x in y, 1)", 0, 0, "Generator expression must be parenthesized", 1, 3, 1, 15},
  {"f(1, x for x in y)", 0, 0, "Generator expression must be parenthesized", 1, 6, 1, 18},
  {"x = 1 2", 0, 0, "invalid syntax", 1, 7, 1, 8},
  {"f() = x = 1", 0, 0, "cannot assign to function call", 1, 1, 1, 4},
  {"x = f() = 1", 0, 0, "cannot assign to function call", 1, 5, 1, 8},
  {"True = 1", 0, 0, "cannot assign to True", 1, 1, 1, 5},
  {"[a, f()] = 1", 0, 0, "cannot assign to function call", 1, 5, 1, 8},
  {"(a, 1) = x", 0, 0, "cannot assign to literal", 1, 5, 1, 6},
  {"f(a.b=1)", 0, 0, "expression cannot contain assignment, perhaps you meant \"==\"?", 1, 3, 1, 7},
  {"f(a=1=2)", 0, 0, "invalid syntax", 1, 6, 1, 7},
  {"x = (y = 1)", 0, 0, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?", 1, 6, 1, 11},
  {"[x = 1]", 0, 0, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?", 1, 2, 1, 7},
  {"a[x = 1]", 0, 0, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?", 1, 3, 1, 8},
  {"x = a if b", 0, 0, "expected 'else' after 'if' expression", 1, 5, 1, 11},
  {"x = a if b else", 0, 0, "invalid syntax", 1, 16, 1, 16},
  {"while x = 1: pass", 0, 0, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?", 1, 7, 1, 12},
  {"assert x = 1", 0, 0, "invalid syntax", 1, 10, 1, 11},
  {"print(x = 1 2)", 0, 0, "invalid syntax. Perhaps you forgot a comma?", 1, 11, 1, 14},
  {"x == 1 = 2", 0, 0, "cannot assign to comparison", 1, 1, 1, 7},
  {"x.y = 1 2", 0, 0, "invalid syntax", 1, 9, 1, 10},
  {"f(**k, a)", 0, 0, "positional argument follows keyword argument unpacking", 1, 9, 1, 10},
  {"f(a for a in b for)", 0, 0, "invalid syntax", 1, 19, 1, 20},
  {"f(1=2)", 0, 0, "expression cannot contain assignment, perhaps you meant \"==\"?", 1, 3, 1, 5},
  {"f(True=2)", 0, 0, "cannot assign to True", 1, 3, 1, 8},
  {"def f(*): pass", 0, 0, "named arguments must follow bare *", 1, 7, 1, 8},
  {"def f(*, **k): pass", 0, 0, "named arguments must follow bare *", 1, 7, 1, 8},
  {"def f(**k, a): pass", 0, 0, "arguments cannot follow var-keyword argument", 1, 12, 1, 13},
  {"def f(a, /, b, /): pass", 0, 0, "/ may appear only once", 1, 16, 1, 17},
  {"def f(*a, *b): pass", 0, 0, "* argument may appear only once", 1, 11, 1, 12},
  {"def f(*a=1): pass", 0, 0, "var-positional argument cannot have default value", 1, 9, 1, 10},
  {"def f(**a=1): pass", 0, 0, "var-keyword argument cannot have default value", 1, 10, 1, 11},
  {"def f(/): pass", 0, 0, "invalid syntax", 1, 7, 1, 8},
  {"@dec\n", 0, 0, "invalid syntax", 1, 0, 1, 0},
  {"if x:\n  @dec\nx=1", 0, 1, "unexpected unindent", 3, 0, 3, -1},
  {"if x:\n", 0, 1, "expected an indented block after 'if' statement on line 1", 1, 6, 1, -1},
  {"if x:\n\n\n", 0, 1, "expected an indented block after 'if' statement on line 1", 3, 1, 3, -1},
  {"if x:\n  pass\n  else: pass", 0, 0, "invalid syntax", 3, 3, 3, 7},
  {"x = (\n", 0, 0, "'(' was never closed", 1, 5, 1, 0},
  {"if x:", 0, 1, "expected an indented block after 'if' statement on line 1", 1, 6, 1, -1},
  {"def f():\n  x = 1\n    y = 2", 0, 1, "unexpected indent", 3, 4, 3, -1},
  {"for x in y:\n# c\nz", 0, 1, "expected an indented block after 'for' statement on line 1", 3, 1, 3, 2},
  {"class A(B):\n\"doc\"", 0, 1, "expected an indented block after class definition on line 1", 2, 1, 2, 6},
  {"try:\n  pass\nx", 0, 0, "expected 'except' or 'finally' block", 3, 1, 3, 2},
  {"try:\n  pass\n", 0, 0, "expected 'except' or 'finally' block", 2, 7, 2, -1},
  {"try:\n  pass\nfinally:\nx", 0, 1, "expected an indented block after 'finally' statement on line 3", 4, 1, 4, 2},
  {"while 1:\nx", 0, 1, "expected an indented block after 'while' statement on line 1", 2, 1, 2, 2},
  {"with a:\nx", 0, 1, "expected an indented block after 'with' statement on line 1", 2, 1, 2, 2},
  {"def f(): \nx", 0, 1, "expected an indented block after function definition on line 1", 2, 1, 2, 2},
  {"try:\n  pass\nexcept E:\nx", 0, 1, "expected an indented block after 'except' statement on line 3", 4, 1, 4, 2},
  {"if a:\n  pass\nelif b:\nx", 0, 1, "expected an indented block after 'elif' statement on line 3", 4, 1, 4, 2},
  {"x = 1\n  y = 2", 0, 1, "unexpected indent", 2, 2, 2, -1},
  {"async def f():\n  async with a:\n  x", 0, 1, "expected an indented block after 'with' statement on line 2", 3, 3, 3, 4},
  {"async def f():\n  async for a in b:\n  x", 0, 1, "expected an indented block after 'for' statement on line 2", 3, 3, 3, 4},
  {"if x y:\n  pass", 0, 0, "invalid syntax", 1, 6, 1, 7},
  {"class A x:\n  pass", 0, 0, "invalid syntax", 1, 9, 1, 10},
  {"class A\n  pass", 0, 0, "expected ':'", 1, 8, 1, 8},
  {"def f() x:\n  pass", 0, 0, "expected ':'", 1, 9, 1, 10},
  {"def f()\n  pass", 0, 0, "expected ':'", 1, 8, 1, 8},
  {"for x in y z:\n  pass", 0, 0, "invalid syntax", 1, 12, 1, 13},
  {"for x in y\n  pass", 0, 0, "expected ':'", 1, 11, 1, 11},
  {"while x y:\n  pass", 0, 0, "invalid syntax", 1, 9, 1, 10},
  {"while x\n  pass", 0, 0, "expected ':'", 1, 8, 1, 8},
  {"with a b:\n  pass", 0, 0, "invalid syntax", 1, 8, 1, 9},
  {"with a\n  pass", 0, 0, "expected ':'", 1, 7, 1, 7},
  {"try x:\n  pass", 0, 0, "expected ':'", 1, 5, 1, 6},
  {"try\n  pass", 0, 0, "expected ':'", 1, 4, 1, 4},
  {"if x:\n  pass\nelse x:\n  pass", 0, 0, "expected ':'", 3, 6, 3, 7},
  {"if x:\n  pass\nelse\n  pass", 0, 0, "expected ':'", 3, 5, 3, 5},
  {"try:\n  pass\nexcept E x:\n  pass", 0, 0, "invalid syntax", 3, 10, 3, 11},
  {"try:\n  pass\nexcept E\n  pass", 0, 0, "expected ':'", 3, 9, 3, 9},
  {"try:\n  pass\nfinally x:\n  pass", 0, 0, "expected ':'", 3, 9, 3, 10},
  {"try:\n  pass\nfinally\n  pass", 0, 0, "expected ':'", 3, 8, 3, 8},
  {"if x:\n  pass\nelif x y:\n  pass", 0, 0, "invalid syntax", 3, 8, 3, 9},
  {"if x:\n  pass\nelif y\n  pass", 0, 0, "expected ':'", 3, 7, 3, 7},
  {"lambda x y: 1", 0, 0, "invalid syntax", 1, 10, 1, 11},
  {"def f() -> x y:\n  pass", 0, 0, "expected ':'", 1, 14, 1, 15},
  {"for x y in z: pass", 0, 0, "invalid syntax", 1, 7, 1, 8},
  {"for x in\n", 0, 0, "invalid syntax", 1, 9, 1, 9},
  {"class A(:\n pass", 0, 0, "invalid syntax", 1, 9, 1, 10},
  {"def f(a b): pass", 0, 0, "invalid syntax", 1, 9, 1, 10},
  {"def f(a, b:\n pass", 0, 0, "'(' was never closed", 1, 6, 1, 0},
  {"try:\n pass\nexcept A, B:\n pass", 0, 0, "multiple exception types must be parenthesized", 3, 8, 3, 12},
  {"try:\n pass\nexcept A, B as e:\n pass", 0, 0, "multiple exception types must be parenthesized", 3, 8, 3, 17},
  {"try:\n pass\nexcept A, B\n", 0, 0, "invalid syntax", 3, 9, 3, 10},
  {"from m import (a\n", 0, 0, "'(' was never closed", 1, 15, 1, 0},
  {"from m import a as\n", 0, 0, "invalid syntax", 1, 19, 1, 19},
  {"import a.\n", 0, 0, "invalid syntax", 1, 10, 1, 10},
  {"global x,\n", 0, 0, "invalid syntax", 1, 10, 1, 10},
  {"a, b: int", 0, 0, "only single target (not tuple) can be annotated", 1, 1, 1, 2},
  {"[a]: int = 1", 0, 0, "only single target (not list) can be annotated", 1, 1, 1, 4},
  {"f(): int", 0, 0, "illegal target for annotation", 1, 1, 1, 4},
  {"x.y = 1 = 2", 0, 0, "cannot assign to literal", 1, 7, 1, 8},
  {"{} = 1", 0, 0, "cannot assign to dict literal here. Maybe you meant '==' instead of '='?", 1, 1, 1, 3},
  {"[x for x in y] = 1", 0, 0, "cannot assign to list comprehension here. Maybe you meant '==' instead of '='?", 1, 1, 1, 15},
  {"[x] + 1 = 2", 0, 0, "cannot assign to expression", 1, 1, 1, 8},
  {"f() = lambda: 1", 0, 0, "cannot assign to function call", 1, 1, 1, 4},
  {"f() = (yield)", 0, 0, "cannot assign to function call here. Maybe you meant '==' instead of '='?", 1, 1, 1, 4},
  {"f() =\n", 0, 0, "cannot assign to function call", 1, 1, 1, 4},
  {"x = 1 if 2", 0, 0, "expected 'else' after 'if' expression", 1, 5, 1, 11},
  {"x = 1\ny = 2", 1, 0, "multiple statements found while compiling a single statement", 1, 6, 1, 6},
  {"if x:\n  pass\nx=1", 1, 0, "invalid syntax", 3, 1, 3, 2},
  {" 1", 2, 1, "unexpected indent", 1, 1, 1, -1},
  {"1; 2", 2, 0, "invalid syntax", 1, 2, 1, 3},
  {"1 2", 2, 0, "invalid syntax", 1, 3, 1, 4},
  {"x=1", 2, 0, "invalid syntax", 1, 2, 1, 3},
  {"if x:\n", 1, 1, "expected an indented block after 'if' statement on line 1", 1, 6, 1, -1},
  {"yield", 2, 0, "invalid syntax", 1, 1, 1, 6},
  {"*a, b", 2, 0, "invalid syntax", 1, 1, 1, 2},
  {"x = f\"{f'{}'}\"", 0, 0, "f-string: f-string: empty expression not allowed", 1, 7, 1, 8},
  {"x = f\"{f'{a b}'}\"", 0, 0, "f-string: invalid syntax. Perhaps you forgot a comma?", 1, 2, 1, 5},
  {"x = f\"{'a' b'c'}\"", 0, 0, "f-string: cannot mix bytes and nonbytes literals", 1, 10, 1, 11},
  {"x = f\"{!r}\"", 0, 0, "f-string: expression required before '!'", 1, 12, 1, 12},
  {"x = f\"{a!r\"", 0, 0, "f-string: expecting '}'", 1, 12, 1, 12},
  {"x = f\"{a!\"", 0, 0, "f-string: expecting '}'", 1, 11, 1, 11},
  {"x = f\"{a:\"", 0, 0, "f-string: expecting '}'", 1, 11, 1, 11},
  {"x = f\"{a=\"", 0, 0, "f-string: expecting '}'", 1, 11, 1, 11},
  {"x = f\"{'a}\"", 0, 0, "f-string: unterminated string", 1, 12, 1, 12},
  {"x = f\"{a(}\"", 0, 0, "f-string: closing parenthesis '}' does not match opening parenthesis '('", 1, 12, 1, 12},
  {"x = f\"{a]}\"", 0, 0, "f-string: unmatched ']'", 1, 12, 1, 12},
  {"x = rf\"{a\\n}\"", 0, 0, "f-string expression part cannot include a backslash", 1, 14, 1, 14},
  {"if x:\n\ta\n        b", 0, 2, "inconsistent use of tabs and spaces in indentation", 3, 1, 3, 0},
  {"if x:\n        a\n\tb", 0, 2, "inconsistent use of tabs and spaces in indentation", 3, 1, 3, 0},
  {"x = 1 \\ y", 0, 0, "unexpected character after line continuation character", 1, 8, 1, 0},
  {"x = 1 \\", 0, 0, "unexpected EOF while parsing", 1, 8, 1, -1},
  {"x = 0777", 0, 0, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers", 1, 5, 1, 6},
  {"x = 1_", 0, 0, "invalid decimal literal", 1, 6, 1, 6},
  {"x = 0x", 0, 0, "invalid hexadecimal literal", 1, 6, 1, 6},
  {"x = 0b12", 0, 0, "invalid digit '2' in binary literal", 1, 8, 1, 8},
  {"x = 1e", 0, 0, "invalid decimal literal", 1, 5, 1, 5},
  {"x = 1.2.3", 0, 0, "invalid syntax", 1, 8, 1, 10},
  {"x = 5abc", 0, 0, "invalid decimal literal", 1, 5, 1, 5},
  {"x = $", 0, 0, "invalid syntax", 1, 5, 1, 6},
  {"x = a ? b", 0, 0, "invalid syntax", 1, 7, 1, 8},
  {"\xc3""\xa9"" = 1 +", 0, 0, "invalid syntax", 1, 8, 1, 8},
  {"x = \"\xc3""\xa9""\" +", 0, 0, "invalid syntax", 1, 10, 1, 10},
  {"x = \"\xc3""\xa9""\xc3""\xa9""\xc3""\xa9""\" b", 0, 0, "invalid syntax", 1, 11, 1, 12},
  {"f(\"\xc3""\xa9""\", a b)", 0, 0, "invalid syntax. Perhaps you forgot a comma?", 1, 8, 1, 11},
  {"x = \xe2""\x82""\xac""", 0, 0, "invalid character '\xe2""\x82""\xac""' (U+20AC)", 1, 5, 1, 5},
  {"x = a\xe2""\x84""\xa2""", 0, 0, "invalid character '\xe2""\x84""\xa2""' (U+2122)", 1, 6, 1, 6},
  {"x := 1", 0, 0, "invalid syntax", 1, 3, 1, 5},
  {"lambda *: 1", 0, 0, "named arguments must follow bare *", 1, 9, 1, 10},
  {"lambda x=1, y: 1", 0, 0, "non-default argument follows default argument", 1, 13, 1, 14},
  {"@\ndef f(): pass", 0, 0, "invalid syntax", 1, 2, 1, 2},
  {"@dec\nx = 1", 0, 0, "invalid syntax", 2, 1, 2, 2},
  {"[x for x in]", 0, 0, "invalid syntax", 1, 12, 1, 13},
  {"[x for in y]", 0, 0, "invalid syntax", 1, 8, 1, 10},
  {"[*a for a in b]", 0, 0, "iterable unpacking cannot be used in comprehension", 1, 2, 1, 4},
  {"{**a for a in b}", 0, 0, "dict unpacking cannot be used in dict comprehension", 1, 2, 1, 4},
  {"{a: *b}", 0, 0, "cannot use a starred expression in a dictionary value", 1, 5, 1, 7},
  {"{a: b, c}", 0, 0, "':' expected after dictionary key", 1, 8, 1, 0},
  {"{a, b: c}", 0, 0, "invalid syntax", 1, 6, 1, 7},
  {"f(*)", 0, 0, "invalid syntax", 1, 4, 1, 5},
  {"f(**)", 0, 0, "invalid syntax", 1, 5, 1, 6},
  {"x = [1, 2\ny = 3", 0, 0, "'[' was never closed", 1, 5, 1, 0},
  {"x = (1,\ny = 3\nz = 4 4", 0, 0, "'(' was never closed", 1, 5, 1, 0},
  {"def f(\n    a,\n    b", 0, 0, "'(' was never closed", 1, 6, 1, 0},
  {"x = [1, 2, 3)", 0, 0, "closing parenthesis ')' does not match opening parenthesis '['", 1, 13, 1, 13},
  {"x = {1: 2]", 0, 0, "closing parenthesis ']' does not match opening parenthesis '{'", 1, 10, 1, 10},
  {"x = )", 0, 0, "unmatched ')'", 1, 5, 1, 5},
  {"x = ]", 0, 0, "unmatched ']'", 1, 5, 1, 5},
  {"x = a.1", 0, 0, "invalid syntax", 1, 6, 1, 8},
  {"x = a.", 0, 0, "invalid syntax", 1, 7, 1, 7},
  {"import", 0, 0, "invalid syntax", 1, 7, 1, 7},
  {"from import a", 0, 0, "invalid syntax", 1, 6, 1, 12},
  {"from m import", 0, 0, "invalid syntax", 1, 14, 1, 14},
  {"from m import *, a", 0, 0, "invalid syntax", 1, 16, 1, 17},
  {"del", 0, 0, "invalid syntax", 1, 4, 1, 4},
  {"del *a", 0, 0, "cannot delete starred", 1, 5, 1, 7},
  {"del a, *b", 0, 0, "cannot delete starred", 1, 8, 1, 10},
  {"for f() in x: pass", 0, 0, "cannot assign to function call", 1, 5, 1, 8},
  {"with (a as b)(c): pass", 0, 0, "invalid syntax", 1, 14, 1, 15},
  {"with (a as 1): pass", 0, 0, "cannot assign to literal", 1, 12, 1, 13},
  {"with a as f(): pass", 0, 0, "cannot assign to function call", 1, 11, 1, 14},
  {"class A(x for x in y): pass", 0, 0, "invalid syntax", 1, 11, 1, 14},
  {"x = await", 0, 0, "invalid syntax", 1, 10, 1, 10},
  {"def f():\n    yield\n    x = yield\n    y = yield from z\n    f((yield x))\n    await = 1", 0, 0, "invalid syntax", 6, 11, 6, 12},
  {"global", 0, 0, "invalid syntax", 1, 7, 1, 7},
  {"assert", 0, 0, "invalid syntax", 1, 7, 1, 7},
  {"raise from x", 0, 0, "invalid syntax", 1, 7, 1, 11},
  {"raise X from", 0, 0, "invalid syntax", 1, 13, 1, 13},
  {"if x:\n    pass\nelif:\n    pass", 0, 0, "invalid syntax", 3, 5, 3, 6},
  {"while:\n    pass", 0, 0, "invalid syntax", 1, 6, 1, 7},
  {"else:\n    pass", 0, 0, "invalid syntax", 1, 1, 1, 5},
  {"x = 1 if else 2", 0, 0, "invalid syntax", 1, 10, 1, 14},
  {"x = not", 0, 0, "invalid syntax", 1, 8, 1, 8},
  {"x = a not b", 0, 0, "invalid syntax", 1, 11, 1, 12},
  {"x = a is not not b", 0, 0, "invalid syntax", 1, 14, 1, 17},
  {"x = a[]", 0, 0, "invalid syntax", 1, 7, 1, 8},
  {"x = ur'abc'", 0, 0, "invalid syntax", 1, 7, 1, 12},
  {"x = bf'abc'", 0, 0, "invalid syntax", 1, 7, 1, 12},
  {"if x: if y: pass", 0, 0, "invalid syntax", 1, 7, 1, 9},
  {"f(x=i for i in a)", 0, 0, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?", 1, 3, 1, 5},
};

static void check_error(const ErrCase *c) {
  SyntaxErrorInfo err;
  Module *m = parse_source(c->src, strlen(c->src), c->mode, &err);
  if (m) module_ast_free(m);
  ck_assert_msg(m == NULL, "no error for %s", c->src);
  ck_assert_msg(strcmp(err.msg, c->msg) == 0 && err.kind == c->kind && err.line == c->line &&
                err.col == c->col && err.end_line == c->end_line && err.end_col == c->end_col,
                "%s\n  got:  %d '%s' %d %d %d %d\n  want: %d '%s' %d %d %d %d", c->src, err.kind, err.msg,
                err.line, err.col, err.end_line, err.end_col, c->kind, c->msg, c->line, c->col,
                c->end_line, c->end_col);
}

START_TEST(syntax_errors_match_cpython) {
  for (size_t i = 0; i < sizeof cpython_errors / sizeof cpython_errors[0]; i++) check_error(&cpython_errors[i]);
}
END_TEST

/* Features outside withy's language are errors that name the feature. */
static const ErrCase withy_errors[] = {
  {"match x:\n    case 1:\n        pass\n", 0, 0, "the match statement is not supported by withy", 1, 1, 1, 6},
  {"def f():\n    match (a, b):\n        case _: pass\n", 0, 0, "the match statement is not supported by withy",
   2, 5, 2, 10},
  {"if (n := 10) > 5:\n    pass\n", 0, 0, "assignment expressions (:=) are not supported by withy", 1, 7, 1, 9},
  {"f(x := 1)\n", 0, 0, "assignment expressions (:=) are not supported by withy", 1, 5, 1, 7},
  {"[y := 1, y]\n", 0, 0, "assignment expressions (:=) are not supported by withy", 1, 4, 1, 6},
  {"try:\n    pass\nexcept* ValueError:\n    pass\n", 0, 0,
   "except* (exception groups) is not supported by withy", 3, 1, 3, 8},
  {"x = 18446744073709551616\n", 0, 0, "integer literal too large for withy (ints are 64-bit)", 1, 5, 1, 25},
  {"x = 9223372036854775808\n", 0, 0, "integer literal too large for withy (ints are 64-bit)", 1, 5, 1, 24},
  {"x = 2j\n", 0, 0, "complex numbers are not supported by withy", 1, 5, 1, 7},
  {"x = '\\N{BULLET}'\n", 0, 0,
   "\\N{...} escapes are not supported by withy; write the character itself or use \\u", 1, 17, 1, 17},
};

START_TEST(withy_names_unsupported_features) {
  for (size_t i = 0; i < sizeof withy_errors / sizeof withy_errors[0]; i++) check_error(&withy_errors[i]);
}
END_TEST

/* `match` is a soft keyword: these are ordinary code */
START_TEST(match_is_a_soft_keyword) {
  char *got = parse_dump("match = 1\nmatch(x)\nmatch.y = 2\nprint(match)\nmatch[0]: int\n", PARSE_FILE);
  ck_assert_str_eq(got, "Assign([Name(match)],Const(1))\n"
                        "Expr(Call(Name(match),[Name(x)],[]))\n"
                        "Assign([Attr(Name(match),y)],Const(2))\n"
                        "Expr(Call(Name(print),[Name(match)],[]))\n"
                        "AnnAssign(Sub(Name(match),Const(0)),Name(int),None,0)");
  free(got);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Modes and `incomplete`                                              */

START_TEST(single_and_eval_modes) {
  char *got = parse_dump("if x:\n    y = 1\n", PARSE_SINGLE);
  ck_assert_str_eq(got, "If(Name(x),[Assign([Name(y)],Const(1))],[])");
  free(got);
  got = parse_dump("x = 1; y = 2\n", PARSE_SINGLE);
  ck_assert_str_eq(got, "Assign([Name(x)],Const(1))\nAssign([Name(y)],Const(2))");
  free(got);
  got = parse_dump("", PARSE_SINGLE);
  ck_assert_str_eq(got, "");
  free(got);
  got = parse_dump("a, b + 1\n\n", PARSE_EVAL);
  ck_assert_str_eq(got, "Expr(Tuple([Name(a),BinOp(Add,Name(b),Const(1))]))");
  free(got);
  got = parse_dump("f(x) for", PARSE_EVAL);
  ck_assert_str_eq(got, "ERROR: invalid syntax");
  free(got);
}
END_TEST

static bool is_incomplete(const char *src, int mode) {
  SyntaxErrorInfo err;
  Module *m = parse_source(src, strlen(src), mode, &err);
  ck_assert_msg(m == NULL, "parsed: %s", src);
  return err.incomplete;
}

START_TEST(incomplete_input_is_flagged) {
  static const char *const more[] = {
    "if x:", "if x:\n", "def f():\n", "class A:\n    def f(self):\n", "x = (1,\n", "x = [1,\n 2",
    "x = '''abc\n", "try:\n    pass\n", "@dec\n", "for x in y:\n    if z:\n", "x = 1 \\\n",
    "with a as b:\n", "if x:\n    pass\nelse:\n",
  };
  static const char *const done[] = {"x = 1 +\n", "x = 1 2\n", "x = 'abc\n", "x = )\n", "if x pass\n", "f(a b)\n"};
  for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
    ck_assert_msg(is_incomplete(more[i], PARSE_SINGLE), "not incomplete: %s", more[i]);
  for (size_t i = 0; i < sizeof done / sizeof done[0]; i++)
    ck_assert_msg(!is_incomplete(done[i], PARSE_SINGLE), "incomplete: %s", done[i]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Robustness                                                          */

static const char sample[] =
  "# a sample\n"
  "import contextlib\n"
  "from . import (a, b as c,)\n"
  "@contextlib.contextmanager\n"
  "def managed(name, *args, level=1, **kw) -> 'gen':\n"
  "    \"\"\"doc \\\n    string\"\"\"\n"
  "    print(f\"enter {name!r:>{level}} {kw=}\", *args, sep='')\n"
  "    try:\n"
  "        yield [x ** 2 for x in range(3) if x], {k: v for k, v in kw.items()}\n"
  "    except (ValueError, KeyError) as e:\n"
  "        raise RuntimeError('bad') from e\n"
  "    finally:\n"
  "        print('exit', b'\\x00', r'\\n')\n"
  "class Box(object, metaclass=type):\n"
  "    size: int = 0\n"
  "    async def run(self):\n"
  "        async with self.lock as (a, *b):\n"
  "            await other(lambda y=1: -y ** 2)\n"
  "        async for item in self.items[1:-1:2]:\n"
  "            self.size += 1 if item else 0\n"
  "with (managed('a') as x,\n      managed('b') as y):\n"
  "    del x[0], y.z\n"
  "    assert x is not None, 'msg'\n"
  "while True:\n    break\nelse:\n    pass\n";

/* Every prefix, cut at every byte, in every mode: a tree or an error
** with a message and a line, never a crash; the buffer is exactly the
** prefix (not NUL-terminated), so a read past it is caught by ASan. */
START_TEST(every_prefix_parses_or_fails_cleanly) {
  size_t n = sizeof sample - 1;
  for (size_t len = 0; len <= n; len++) {
    for (int mode = PARSE_FILE; mode <= PARSE_EVAL; mode++) {
      char *src = malloc(len ? len : 1);
      memcpy(src, sample, len);
      SyntaxErrorInfo err;
      Module *m = parse_source(src, len, mode, &err);
      if (m) module_ast_free(m);
      else ck_assert_msg(err.msg[0] != '\0' && err.line >= 0, "prefix %zu mode %d: '%s' line %d", len, mode,
                         err.msg, err.line);
      free(src);
    }
  }
  char *whole = parse_dump(sample, PARSE_FILE);
  ck_assert_msg(strncmp(whole, "ERROR", 5) != 0, "%s", whole);
  free(whole);
}
END_TEST

START_TEST(odd_bytes_are_errors) {
  static const struct { const char *src; size_t len; const char *msg; } cases[] = {
    {"x = 1\0\n", 7, "source code cannot contain null bytes"},
    {"x = '\xff'\n", 9, "(unicode error) 'utf-8' codec can't decode byte 0xff in position 5: invalid start byte"},
    {"x = \xe2\x82\xac\n", 8, "invalid character '\xe2\x82\xac' (U+20AC)"},
    {"\xef\xbb\xbfx = 1 +\n", 11, "invalid syntax"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    SyntaxErrorInfo err;
    Module *m = parse_source(cases[i].src, cases[i].len, PARSE_FILE, &err);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(err.msg, cases[i].msg);
  }
  /* CRLF and a missing final newline are fine */
  SyntaxErrorInfo err;
  Module *m = parse_source("if x:\r\n    y\r\nz", 15, PARSE_FILE, &err);
  ck_assert_ptr_nonnull(m);
  ck_assert_int_eq(m->body.len, 2);
  module_ast_free(m);
}
END_TEST

static void expect_error_text(const char *src, const char *msg) {
  SyntaxErrorInfo err;
  Module *m = parse_source(src, strlen(src), PARSE_FILE, &err);
  if (m) module_ast_free(m);
  ck_assert_msg(m == NULL && strcmp(err.msg, msg) == 0, "%.40s...: got '%s'", src, m ? "no error" : err.msg);
}

/* Deep nesting is a SyntaxError, not a stack overflow. */
START_TEST(deep_nesting_is_an_error) {
  size_t n = 200000;
  char *src = malloc(3 * n + 8);
  memset(src, '(', n);
  strcpy(src + n, "1");
  expect_error_text(src, "too many nested parentheses");
  memset(src, '-', n);
  strcpy(src + n, "1\n");
  expect_error_text(src, "too many nested expressions");
  for (size_t i = 0; i < n; i++) memcpy(src + 3 * i, "**x", 3);
  src[0] = 'x';
  strcpy(src + 3 * n, "\n");
  expect_error_text(src, "too many nested expressions");
  for (size_t i = 0; i < n / 4; i++) memcpy(src + 4 * i, "not ", 4);
  strcpy(src + n, "x\n");
  expect_error_text(src, "too many nested expressions");
  free(src);
  /* 199 brackets are fine */
  char buf[1024];
  memset(buf, '[', 199);
  memset(buf + 199, ']', 199);
  strcpy(buf + 398, "\n");
  SyntaxErrorInfo err;
  Module *m = parse_source(buf, strlen(buf), PARSE_FILE, &err);
  ck_assert_ptr_nonnull(m);
  module_ast_free(m);
}
END_TEST

Suite *parser_suite(void) {
  Suite *s = suite_create("parser");
  TCase *tc = tcase_create("parser");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, ast_shapes_match_cpython);
  tcase_add_test(tc, int64_min_literal_is_folded);
  tcase_add_test(tc, spans_match_cpython);
  tcase_add_test(tc, syntax_errors_match_cpython);
  tcase_add_test(tc, withy_names_unsupported_features);
  tcase_add_test(tc, match_is_a_soft_keyword);
  tcase_add_test(tc, single_and_eval_modes);
  tcase_add_test(tc, incomplete_input_is_flagged);
  tcase_add_test(tc, every_prefix_parses_or_fails_cleanly);
  tcase_add_test(tc, odd_bytes_are_errors);
  tcase_add_test(tc, deep_nesting_is_an_error);
  suite_add_tcase(s, tc);
  return s;
}
