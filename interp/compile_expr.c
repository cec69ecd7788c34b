/* compile_expr.c — code generation for expressions: names, constants and
** constant folding, f-strings, attributes and subscripts, calls (plain,
** method, keyword, *args / **kwargs), operators and short-circuit logic,
** displays, lambdas and nested function bodies, comprehensions and
** generator expressions, yield / yield from / await. Evaluation order is
** always CPython's. */
#include <string.h>

#include "compiler_internal.h"
#include "str.h"
#include "tuple.h"
#include "bytes.h"
#include "set.h"
#include "vm.h"

static void compile_expr_inner(Compiler *c, Expr *e);

void compile_expr(Compiler *c, Expr *e) {
  if (e == NULL || !compile_enter_recursion(c)) return;
  Unit *u = c->u;
  CodeLoc old = u->loc;
  u->loc = span_loc(e->span);
  compile_expr_inner(c, e);
  u->loc = old;
  c->depth--;
}

/* ------------------------------------------------------------------ */
/* Constants                                                           */

Value const_value(Compiler *c, Expr *e) {
  switch (e->u.constant.kind) {
    case C_NONE: return V_NONE;
    case C_TRUE: return V_TRUE;
    case C_FALSE: return V_FALSE;
    case C_INT: return v_int(e->u.constant.i);
    case C_FLOAT: return v_float(e->u.constant.f);
    case C_STR: {
      const char *s = e->u.constant.s ? e->u.constant.s : "";
      StrObj *str = intern_len(c, s, e->u.constant.s ? e->u.constant.len : 0);
      return str ? v_obj(str) : V_NONE;
    }
    case C_BYTES: {
      if (c->failed) return V_NONE;
      BytesObj *b = bytes_new(c->vm, e->u.constant.s ? e->u.constant.s : "", e->u.constant.s ? e->u.constant.len : 0);
      if (b == NULL) { compile_fail_pending(c); return V_NONE; }
      return v_obj(b);
    }
    case C_ELLIPSIS: return v_obj(c->vm->ellipsis);
  }
  return V_NONE;
}

static bool is_const_expr(Expr *e) {
  switch (e->kind) {
    case E_CONST: return true;
    case E_TUPLE:
      for (int i = 0; i < e->u.seq.elts.len; i++)
        if (!is_const_expr(e->u.seq.elts.items[i])) return false;
      return true;
    case E_UNARYOP: {
      Expr *o = e->u.unary.operand;
      if (o->kind != E_CONST) return false;
      ConstKind k = o->u.constant.kind;
      switch (e->u.unary.op) {
        case UN_NEG: return (k == C_INT && o->u.constant.i != INT64_MIN) || k == C_FLOAT;
        case UN_POS: return k == C_INT || k == C_FLOAT;
        case UN_INVERT: return k == C_INT;
        default: return false;
      }
    }
    default: return false;
  }
}

static Value build_const(Compiler *c, Expr *e) {
  switch (e->kind) {
    case E_TUPLE: {
      int n = e->u.seq.elts.len;
      if (c->failed) return V_NONE;
      TupleObj *t = tuple_new(c->vm, n);
      if (t == NULL) { compile_fail_pending(c); return V_NONE; }
      for (int i = 0; i < n; i++) t->items[i] = build_const(c, e->u.seq.elts.items[i]);
      return v_obj(t);
    }
    case E_UNARYOP: {
      Value v = const_value(c, e->u.unary.operand);
      if (e->u.unary.op == UN_NEG) return IS_INT(v) ? v_int(-AS_INT(v)) : v_float(-AS_FLOAT(v));
      if (e->u.unary.op == UN_INVERT) return v_int(~AS_INT(v));
      return v;
    }
    default:
      return const_value(c, e);
  }
}

bool fold_const(Compiler *c, Expr *e, Value *out) {
  if (!is_const_expr(e)) return false;
  *out = build_const(c, e);
  return true;
}

static bool all_const(ExprList *l) {
  for (int i = 0; i < l->len; i++)
    if (!is_const_expr(l->items[i])) return false;
  return true;
}

static bool has_starred(ExprList *l) {
  for (int i = 0; i < l->len; i++)
    if (l->items[i]->kind == E_STARRED) return true;
  return false;
}

/* a constant tuple holding the values of a list of constant expressions */
static Value const_tuple_of(Compiler *c, ExprList *l) {
  if (c->failed) return V_NONE;
  TupleObj *t = tuple_new(c->vm, l->len);
  if (t == NULL) { compile_fail_pending(c); return V_NONE; }
  for (int i = 0; i < l->len; i++) t->items[i] = build_const(c, l->items[i]);
  return v_obj(t);
}

/* a constant frozenset for a set display of constants (never deduplicated) */
static Value const_frozenset_of(Compiler *c, ExprList *l) {
  if (c->failed) return V_NONE;
  SetObj *set = set_new(c->vm, true);
  if (set == NULL) { compile_fail_pending(c); return V_NONE; }
  for (int i = 0; i < l->len; i++) {
    /* constants hash without running Python code */
    if (set_add(c->vm, set, build_const(c, l->items[i])) < 0) { compile_fail_pending(c); return V_NONE; }
  }
  return v_obj(set);
}

void compile_sequence_operand(Compiler *c, Expr *e) {
  bool is_list = e->kind == E_LIST, is_set = e->kind == E_SET;
  if ((is_list || is_set) && e->u.seq.elts.len > 0 && !has_starred(&e->u.seq.elts) &&
      all_const(&e->u.seq.elts)) {
    CodeLoc old = c->u->loc;
    c->u->loc = span_loc(e->span);
    emit_load_const(c, is_list ? const_tuple_of(c, &e->u.seq.elts) : const_frozenset_of(c, &e->u.seq.elts));
    c->u->loc = old;
    return;
  }
  compile_expr(c, e);
}

/* ------------------------------------------------------------------ */
/* Displays                                                            */

typedef enum SeqKind { SEQ_LIST, SEQ_SET, SEQ_TUPLE } SeqKind;

/* [a, *b, c] and friends; `pushed` items are already on the stack and
** become the first items */
static void compile_starunpack(Compiler *c, ExprList *elts, int pushed, SeqKind kind) {
  int n = elts->len;
  int build = kind == SEQ_SET ? OP_BUILD_SET : OP_BUILD_LIST;
  int add = kind == SEQ_SET ? OP_SET_ADD : OP_LIST_APPEND;
  int extend = kind == SEQ_SET ? OP_SET_UPDATE : OP_LIST_EXTEND;
  if (n > 2 && !has_starred(elts) && all_const(elts)) {
    /* as CPython: a constant tuple (or frozenset, which fixes the table
    ** layout and so the iteration order of the new set) extends an empty
    ** display */
    emit(c, build, pushed);
    Value items = const_tuple_of(c, elts);
    if (kind == SEQ_SET && !c->failed) {
      items = set_from_iterable(c->vm, items, true);
      if (IS_UNDEF(items)) { compile_fail_pending(c); items = V_NONE; }
    }
    emit_load_const(c, items);
    emit(c, extend, 1);
    if (kind == SEQ_TUPLE) emit(c, OP_LIST_TO_TUPLE, 0);
    return;
  }
  bool star = has_starred(elts);
  bool big = n + pushed > STACK_USE_GUIDELINE;
  if (!star && !big) {
    for (int i = 0; i < n; i++) compile_expr(c, elts->items[i]);
    emit(c, kind == SEQ_TUPLE ? OP_BUILD_TUPLE : build, n + pushed);
    return;
  }
  bool built = false;
  if (big) {
    emit(c, build, pushed);
    built = true;
  }
  for (int i = 0; i < n; i++) {
    Expr *elt = elts->items[i];
    if (elt->kind == E_STARRED) {
      if (!built) {
        emit(c, build, i + pushed);
        built = true;
      }
      compile_expr(c, elt->u.starred.value);
      emit(c, extend, 1);
    } else {
      compile_expr(c, elt);
      if (built) emit(c, add, 1);
    }
  }
  if (kind == SEQ_TUPLE) emit(c, OP_LIST_TO_TUPLE, 0);
}

static void compile_dict(Compiler *c, Expr *e) {
  ExprList *keys = &e->u.dict.keys, *values = &e->u.dict.values;
  int n = values->len, pending = 0;
  bool have_dict = false;
  for (int i = 0; i < n; i++) {
    Expr *key = i < keys->len ? keys->items[i] : NULL;
    if (key == NULL || pending * 2 >= STACK_USE_GUIDELINE) {
      if (pending > 0) {
        emit(c, OP_BUILD_MAP, pending);
        if (have_dict) emit(c, OP_DICT_UPDATE, 1);
        have_dict = true;
        pending = 0;
      }
    }
    if (key == NULL) {
      if (!have_dict) {
        emit(c, OP_BUILD_MAP, 0);
        have_dict = true;
      }
      compile_expr(c, values->items[i]);
      emit(c, OP_DICT_UPDATE, 1);
    } else {
      compile_expr(c, key);
      compile_expr(c, values->items[i]);
      pending++;
    }
  }
  if (pending > 0 || !have_dict) {
    emit(c, OP_BUILD_MAP, pending);
    if (have_dict) emit(c, OP_DICT_UPDATE, 1);
  }
}

static void compile_slice(Compiler *c, Expr *e) {
  if (e->u.slice.lower) compile_expr(c, e->u.slice.lower); else emit_load_none(c);
  if (e->u.slice.upper) compile_expr(c, e->u.slice.upper); else emit_load_none(c);
  if (e->u.slice.step) {
    compile_expr(c, e->u.slice.step);
    emit(c, OP_BUILD_SLICE, 3);
  } else {
    emit(c, OP_BUILD_SLICE, 2);
  }
}

/* ------------------------------------------------------------------ */
/* f-strings                                                           */

static void compile_formatted(Compiler *c, Expr *e) {
  compile_expr(c, e->u.formatted.value);
  int conv = e->u.formatted.conversion;
  int flags = conv == 's' ? 1 : conv == 'r' ? 2 : conv == 'a' ? 3 : 0;
  if (e->u.formatted.spec != NULL) {
    compile_expr(c, e->u.formatted.spec);
    flags |= 4;
  }
  emit(c, OP_FORMAT_VALUE, flags);
}

static void compile_joined(Compiler *c, Expr *e) {
  ExprList *parts = &e->u.joined.parts;
  if (parts->len == 0) {
    StrObj *empty = intern_len(c, "", 0);
    if (empty) emit_load_const(c, v_obj(empty));
    return;
  }
  for (int i = 0; i < parts->len; i++) compile_expr(c, parts->items[i]);
  if (parts->len > 1) emit(c, OP_BUILD_STRING, parts->len);
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */

static bool check_keywords(Compiler *c, Keyword *kws, int nkws) {
  for (int j = 1; j < nkws; j++) {
    if (kws[j].arg == NULL) continue;
    for (int i = 0; i < j; i++) {
      if (kws[i].arg != NULL && strcmp(kws[i].arg, kws[j].arg) == 0) {
        compile_error(c, kws[j].span, "keyword argument repeated: %s", kws[j].arg);
        return false;
      }
    }
  }
  return true;
}

static void emit_kw_names(Compiler *c, Keyword *kws, int nkws) {
  if (c->failed) return;
  TupleObj *names = tuple_new(c->vm, nkws);
  if (names == NULL) { compile_fail_pending(c); return; }
  for (int i = 0; i < nkws; i++) {
    StrObj *s = intern_cstr(c, kws[i].arg);
    if (s == NULL) return;
    names->items[i] = v_obj(s);
  }
  int32_t k = add_const(c, v_obj(names));
  if (k >= 0) emit(c, OP_KW_NAMES, k);
}

/* a dict {name: value} of keywords [begin, end) */
static void compile_subkwargs(Compiler *c, Keyword *kws, int begin, int end) {
  for (int i = begin; i < end; i++) {
    StrObj *s = intern_cstr(c, kws[i].arg);
    if (s == NULL) return;
    emit_load_const(c, v_obj(s));
    compile_expr(c, kws[i].value);
  }
  emit(c, OP_BUILD_MAP, end - begin);
}

/* [callable, self_or_UNDEF, npre already-pushed args] + args + keywords */
void compile_call_helper(Compiler *c, int npre, ExprList *args, Keyword *kws, int nkws) {
  if (!check_keywords(c, kws, nkws)) return;
  bool dstar = false;
  for (int i = 0; i < nkws; i++)
    if (kws[i].arg == NULL) dstar = true;
  if (!has_starred(args) && !dstar) {
    for (int i = 0; i < args->len; i++) compile_expr(c, args->items[i]);
    for (int i = 0; i < nkws; i++) compile_expr(c, kws[i].value);
    if (nkws > 0) emit_kw_names(c, kws, nkws);
    emit(c, OP_CALL, npre + args->len + nkws);
    return;
  }
  /* CALL_FUNCTION_EX: a positional tuple, then a keyword dict. A lone *x
  ** goes as it is: the VM turns it into a tuple itself, and its error names
  ** the function ("f() argument after * must be an iterable, not int") */
  if (npre == 0 && args->len == 1 && args->items[0]->kind == E_STARRED)
    compile_expr(c, args->items[0]->u.starred.value);
  else
    compile_starunpack(c, args, npre, SEQ_TUPLE);
  if (nkws > 0) {
    bool have_dict = false;
    int seen = 0;
    for (int i = 0; i < nkws; i++) {
      if (kws[i].arg != NULL) { seen++; continue; }
      if (seen > 0) {
        compile_subkwargs(c, kws, i - seen, i);
        if (have_dict) emit(c, OP_DICT_MERGE, 1);
        have_dict = true;
        seen = 0;
      }
      if (!have_dict) {
        emit(c, OP_BUILD_MAP, 0);
        have_dict = true;
      }
      compile_expr(c, kws[i].value);
      emit(c, OP_DICT_MERGE, 1);
    }
    if (seen > 0) {
      compile_subkwargs(c, kws, nkws - seen, nkws);
      if (have_dict) emit(c, OP_DICT_MERGE, 1);
    }
  }
  emit(c, OP_CALL_FUNCTION_EX, nkws > 0 ? 1 : 0);
}

static void compile_call(Compiler *c, Expr *e) {
  Expr *f = e->u.call.func;
  ExprList *args = &e->u.call.args;
  Keyword *kws = e->u.call.keywords;
  int nkws = e->u.call.nkeywords;
  bool method = f->kind == E_ATTR && !has_starred(args);
  for (int i = 0; i < nkws && method; i++)
    if (kws[i].arg == NULL) method = false;
  if (!method) {
    compile_expr(c, f);
    emit(c, OP_PUSH_NULL, 0);
    compile_call_helper(c, 0, args, kws, nkws);
    return;
  }
  /* o.m(args): LOAD_METHOD avoids making a bound method */
  if (!check_keywords(c, kws, nkws)) return;
  compile_expr(c, f->u.attr.value);
  emit_attr_op(c, OP_LOAD_METHOD, f);
  for (int i = 0; i < args->len; i++) compile_expr(c, args->items[i]);
  for (int i = 0; i < nkws; i++) compile_expr(c, kws[i].value);
  /* CPython 3.11 reports the call on the line of `.m` */
  c->u->loc.line = f->span.end_line;
  if (nkws > 0) emit_kw_names(c, kws, nkws);
  emit(c, OP_CALL, args->len + nkws);
}

/* ------------------------------------------------------------------ */
/* Operators                                                           */

static void emit_compare_op(Compiler *c, int op) {
  switch (op) {
    case CMPX_IS: emit(c, OP_IS_OP, 0); break;
    case CMPX_IS_NOT: emit(c, OP_IS_OP, 1); break;
    case CMPX_IN: emit(c, OP_CONTAINS_OP, 0); break;
    case CMPX_NOT_IN: emit(c, OP_CONTAINS_OP, 1); break;
    default: emit(c, OP_COMPARE_OP, op); break;
  }
}

static void compile_compare_operand(Compiler *c, Expr *e, int op) {
  if (op == CMPX_IN || op == CMPX_NOT_IN) compile_sequence_operand(c, e);
  else compile_expr(c, e);
}

/* a < b < c: b is evaluated once; the chain stops at the first false */
static void compile_compare(Compiler *c, Expr *e) {
  int n = e->u.compare.comparators.len;
  Expr **comps = e->u.compare.comparators.items;
  int *ops = e->u.compare.ops;
  compile_expr(c, e->u.compare.left);
  if (n == 1) {
    compile_compare_operand(c, comps[0], ops[0]);
    emit_compare_op(c, ops[0]);
    return;
  }
  int32_t cleanup = new_label(c), end = new_label(c);
  for (int i = 0; i < n - 1; i++) {
    compile_compare_operand(c, comps[i], ops[i]);
    emit(c, OP_SWAP, 2);
    emit(c, OP_COPY, 2);
    emit_compare_op(c, ops[i]);
    emit_jump(c, OP_JUMP_IF_FALSE_OR_POP, cleanup);
  }
  compile_compare_operand(c, comps[n - 1], ops[n - 1]);
  emit_compare_op(c, ops[n - 1]);
  emit_jump(c, OP_JUMP, end);
  bind_label(c, cleanup);
  emit(c, OP_SWAP, 2);
  emit(c, OP_POP_TOP, 0);
  bind_label(c, end);
}

static void compile_boolop(Compiler *c, Expr *e) {
  ExprList *values = &e->u.boolop.values;
  int32_t end = new_label(c);
  int op = e->u.boolop.is_or ? OP_JUMP_IF_TRUE_OR_POP : OP_JUMP_IF_FALSE_OR_POP;
  for (int i = 0; i < values->len - 1; i++) {
    compile_expr(c, values->items[i]);
    emit_jump(c, op, end);
  }
  compile_expr(c, values->items[values->len - 1]);
  bind_label(c, end);
}

/* the truth value of a constant, or -1 when not known at compile time */
static int const_truth(Expr *e) {
  if (e->kind != E_CONST) return -1;
  switch (e->u.constant.kind) {
    case C_NONE: case C_FALSE: return 0;
    case C_TRUE: case C_ELLIPSIS: return 1;
    case C_INT: return e->u.constant.i != 0;
    case C_FLOAT: return e->u.constant.f != 0.0;
    case C_STR: case C_BYTES: return e->u.constant.len != 0;
  }
  return -1;
}

static bool is_none_const(Expr *e) {
  return e->kind == E_CONST && e->u.constant.kind == C_NONE;
}

/* jump to `label` when bool(e) == jump_if_true; no value is left */
void compile_jump_if(Compiler *c, Expr *e, int32_t label, bool jump_if_true) {
  if (c->failed || !compile_enter_recursion(c)) return;
  Unit *u = c->u;
  CodeLoc old = u->loc;
  u->loc = span_loc(e->span);
  switch (e->kind) {
    case E_UNARYOP:
      if (e->u.unary.op == UN_NOT) {
        compile_jump_if(c, e->u.unary.operand, label, !jump_if_true);
        goto done;
      }
      break;
    case E_BOOLOP: {
      bool is_or = e->u.boolop.is_or;
      ExprList *values = &e->u.boolop.values;
      /* `a or b` jumping on true (or `a and b` on false) can jump at once */
      bool same = is_or == jump_if_true;
      int32_t next = same ? label : new_label(c);
      for (int i = 0; i < values->len - 1; i++) compile_jump_if(c, values->items[i], next, is_or);
      compile_jump_if(c, values->items[values->len - 1], label, jump_if_true);
      if (!same) bind_label(c, next);
      goto done;
    }
    case E_COMPARE:
      if (e->u.compare.comparators.len == 1 && is_none_const(e->u.compare.comparators.items[0]) &&
          (e->u.compare.ops[0] == CMPX_IS || e->u.compare.ops[0] == CMPX_IS_NOT)) {
        bool is_not = e->u.compare.ops[0] == CMPX_IS_NOT;
        compile_expr(c, e->u.compare.left);
        emit_jump(c, (jump_if_true != is_not) ? OP_POP_JUMP_IF_NONE : OP_POP_JUMP_IF_NOT_NONE, label);
        goto done;
      }
      break;
    case E_CONST: {
      int truth = const_truth(e);
      if (truth >= 0) {
        if ((truth == 1) == jump_if_true) emit_jump(c, OP_JUMP, label);
        goto done;
      }
      break;
    }
    default:
      break;
  }
  compile_expr(c, e);
  emit_jump(c, jump_if_true ? OP_POP_JUMP_IF_TRUE : OP_POP_JUMP_IF_FALSE, label);
done:
  u->loc = old;
  c->depth--;
}

static void compile_ifexp(Compiler *c, Expr *e) {
  int32_t orelse = new_label(c), end = new_label(c);
  compile_jump_if(c, e->u.ifexp.test, orelse, false);
  compile_expr(c, e->u.ifexp.body);
  emit_jump(c, OP_JUMP, end);
  bind_label(c, orelse);
  compile_expr(c, e->u.ifexp.orelse);
  bind_label(c, end);
}

/* ------------------------------------------------------------------ */
/* Functions                                                           */

/* push the defaults tuple / kw-only defaults dict; MAKE_FUNCTION flags */
int compile_defaults(Compiler *c, Arguments *a) {
  int flags = 0;
  if (a == NULL) return 0;
  if (a->ndefaults > 0) {
    ExprList defaults = { a->defaults, a->ndefaults };
    if (all_const(&defaults)) {
      emit_load_const(c, const_tuple_of(c, &defaults));
    } else {
      for (int i = 0; i < a->ndefaults; i++) compile_expr(c, a->defaults[i]);
      emit(c, OP_BUILD_TUPLE, a->ndefaults);
    }
    flags |= 1;
  }
  int nkw = 0;
  for (int i = 0; i < a->nkwonly; i++) {
    if (a->kw_defaults == NULL || a->kw_defaults[i] == NULL) continue;
    StrObj *name = mangle_name(c, a->kwonly[i].name);
    if (name == NULL) return 0;
    emit_load_const(c, v_obj(name));
    compile_expr(c, a->kw_defaults[i]);
    nkw++;
  }
  if (nkw > 0) {
    emit(c, OP_BUILD_MAP, nkw);
    flags |= 2;
  }
  return flags;
}

CodeObj *compile_function_code(Compiler *c, Scope *sc, StrObj *name, int firstline, const StmtList *body,
                               Expr *lambda_body, Span span) {
  if (c->failed) return NULL;
  if (sc == NULL) {
    compile_error(c, span, "internal compiler error: no scope for function");
    return NULL;
  }
  StrObj *qualname = make_qualname(c, sc, name);
  if (qualname == NULL) return NULL;
  Unit *u = enter_unit(c, sc, name, qualname, firstline);
  if (u == NULL) return NULL;
  u->loc = span_loc(span);
  if (lambda_body != NULL) {
    compile_expr(c, lambda_body);
    emit(c, OP_RETURN_VALUE, 0);
  } else {
    int start = 0;
    if (is_docstring(body)) {
      u->doc = const_value(c, body->items[0]->u.expr.value);
      start = 1;
    }
    compile_stmts_from(c, body, start);
    emit_load_none(c);
    emit(c, OP_RETURN_VALUE, 0);
  }
  CodeObj *code = assemble(c);
  leave_unit(c);
  return code;
}

static void compile_lambda(Compiler *c, Expr *e) {
  int flags = compile_defaults(c, e->u.lambda.args);
  Scope *sc = symtable_scope_of(c->st, e);
  StrObj *name = intern_cstr(c, "<lambda>");
  CodeObj *code = compile_function_code(c, sc, name, e->span.line, NULL, e->u.lambda.body, e->span);
  make_function(c, code, flags);
}

/* ------------------------------------------------------------------ */
/* Comprehensions and generator expressions                            */

static bool scope_is_async_gen(Scope *sc) { return sc->is_coroutine && sc->is_generator; }

static void compile_comp_element(Compiler *c, Expr *e) {
  int depth = e->u.comp.ngenerators + 1;   /* the collection sits below the iterators */
  switch (e->kind) {
    case E_GENEXP:
      compile_expr(c, e->u.comp.elt);
      if (scope_is_async_gen(c->u->scope)) emit(c, OP_ASYNC_GEN_WRAP, 0);
      emit(c, OP_YIELD_VALUE, 0);
      emit(c, OP_POP_TOP, 0);
      break;
    case E_LISTCOMP:
      compile_expr(c, e->u.comp.elt);
      emit(c, OP_LIST_APPEND, depth);
      break;
    case E_SETCOMP:
      compile_expr(c, e->u.comp.elt);
      emit(c, OP_SET_ADD, depth);
      break;
    default:
      compile_expr(c, e->u.comp.key);
      compile_expr(c, e->u.comp.elt);
      emit(c, OP_MAP_ADD, depth);
      break;
  }
}

/* one `for ... in ... if ...` clause, with the following ones nested */
static void compile_comp_generator(Compiler *c, Expr *e, int k) {
  if (!compile_enter_recursion(c)) return;
  Comprehension *g = &e->u.comp.generators[k];
  Unit *u = c->u;
  int32_t start = new_label(c), if_cleanup = new_label(c), anchor = new_label(c);
  if (k == 0) {
    emit(c, OP_LOAD_FAST, 0);   /* .0: the outermost iterator, made by the caller */
  } else {
    compile_sequence_operand(c, g->iter);
    emit(c, g->is_async ? OP_GET_AITER : OP_GET_ITER, 0);
  }
  bind_label(c, start);
  if (g->is_async) {
    int32_t outer = u->cur_handler;
    setup_handler(c, new_handler(c, anchor, 0));
    emit(c, OP_GET_ANEXT, 0);
    emit_load_none(c);
    emit_yield_from_loop(c);
    u->cur_handler = outer;
  } else {
    emit_jump(c, OP_FOR_ITER, anchor);
  }
  compile_store(c, g->target);
  for (int i = 0; i < g->ifs.len; i++) compile_jump_if(c, g->ifs.items[i], if_cleanup, false);
  if (k + 1 < e->u.comp.ngenerators) compile_comp_generator(c, e, k + 1);
  else compile_comp_element(c, e);
  bind_label(c, if_cleanup);
  emit_jump(c, OP_JUMP, start);
  bind_label(c, anchor);
  if (g->is_async) emit(c, OP_END_ASYNC_FOR, 0);
  c->depth--;
}

static const char *comp_name(int kind) {
  switch (kind) {
    case E_LISTCOMP: return "<listcomp>";
    case E_SETCOMP: return "<setcomp>";
    case E_DICTCOMP: return "<dictcomp>";
    default: return "<genexpr>";
  }
}

static void compile_comprehension(Compiler *c, Expr *e) {
  Scope *sc = symtable_scope_of(c->st, e);
  if (sc == NULL || e->u.comp.ngenerators <= 0) {
    compile_error(c, e->span, "internal compiler error: no scope for comprehension");
    return;
  }
  Scope *outer = c->u->scope;
  bool is_async = sc->is_coroutine;
  bool outer_async = (outer->kind == SCOPE_FUNCTION && outer->is_async) || outer->kind == SCOPE_COMPREHENSION;
  if (is_async && e->kind != E_GENEXP && !outer_async) {
    compile_error(c, e->span, "asynchronous comprehension outside of an asynchronous function");
    return;
  }
  StrObj *name = intern_cstr(c, comp_name(e->kind));
  StrObj *qualname = make_qualname(c, sc, name);
  if (qualname == NULL) return;
  Unit *u = enter_unit(c, sc, name, qualname, e->span.line);
  if (u == NULL) return;
  u->loc = span_loc(e->span);
  if (e->kind == E_LISTCOMP) emit(c, OP_BUILD_LIST, 0);
  else if (e->kind == E_SETCOMP) emit(c, OP_BUILD_SET, 0);
  else if (e->kind == E_DICTCOMP) emit(c, OP_BUILD_MAP, 0);
  compile_comp_generator(c, e, 0);
  u->loc = span_loc(e->span);
  if (e->kind == E_GENEXP) emit_load_none(c);
  emit(c, OP_RETURN_VALUE, 0);
  CodeObj *code = assemble(c);
  leave_unit(c);

  Comprehension *first = &e->u.comp.generators[0];
  make_function(c, code, 0);
  emit(c, OP_PUSH_NULL, 0);
  compile_sequence_operand(c, first->iter);
  emit(c, first->is_async ? OP_GET_AITER : OP_GET_ITER, 0);
  emit(c, OP_CALL, 1);
  if (is_async && e->kind != E_GENEXP) emit_await(c, 0);
}

/* ------------------------------------------------------------------ */
/* yield, yield from, await                                            */

static void compile_yield(Compiler *c, Expr *e) {
  Scope *sc = c->u->scope;
  if (!scope_is_function_like(sc)) {
    compile_error(c, e->span, "'yield' outside function");
    return;
  }
  if (e->kind == E_YIELDFROM) {
    if (sc->kind == SCOPE_FUNCTION && sc->is_async) {
      compile_error(c, e->span, "'yield from' inside async function");
      return;
    }
    compile_expr(c, e->u.yield_.value);
    emit(c, OP_GET_YIELD_FROM_ITER, 0);
    emit_load_none(c);
    emit_yield_from_loop(c);
    return;
  }
  if (e->u.yield_.value != NULL) compile_expr(c, e->u.yield_.value);
  else emit_load_none(c);
  if (scope_is_async_gen(sc)) emit(c, OP_ASYNC_GEN_WRAP, 0);
  emit(c, OP_YIELD_VALUE, 0);
}

static void compile_await(Compiler *c, Expr *e) {
  Scope *sc = c->u->scope;
  if (!scope_is_function_like(sc)) {
    compile_error(c, e->span, "'await' outside function");
    return;
  }
  if (!(sc->kind == SCOPE_FUNCTION && sc->is_async) && sc->kind != SCOPE_COMPREHENSION) {
    compile_error(c, e->span, "'await' outside async function");
    return;
  }
  compile_expr(c, e->u.await_.value);
  emit_await(c, 0);
}

/* ------------------------------------------------------------------ */

static void compile_expr_inner(Compiler *c, Expr *e) {
  switch (e->kind) {
    case E_NAME:
      compile_name(c, e->u.name.id, CTX_LOAD, e->span);
      break;
    case E_CONST:
      emit_load_const(c, const_value(c, e));
      break;
    case E_JOINEDSTR:
      compile_joined(c, e);
      break;
    case E_FORMATTED:
      compile_formatted(c, e);
      break;
    case E_ATTR:
      compile_expr(c, e->u.attr.value);
      emit_attr_op(c, OP_LOAD_ATTR, e);
      break;
    case E_SUBSCRIPT:
      compile_expr(c, e->u.sub.value);
      compile_expr(c, e->u.sub.index);
      emit(c, OP_BINARY_SUBSCR, 0);
      break;
    case E_SLICE:
      compile_slice(c, e);
      break;
    case E_CALL:
      compile_call(c, e);
      break;
    case E_BINOP:
      compile_expr(c, e->u.binop.left);
      compile_expr(c, e->u.binop.right);
      emit(c, OP_BINARY_OP, e->u.binop.op);
      break;
    case E_UNARYOP: {
      Value v;
      if (fold_const(c, e, &v)) {
        emit_load_const(c, v);
        break;
      }
      compile_expr(c, e->u.unary.operand);
      emit(c, OP_UNARY_OP, e->u.unary.op);
      break;
    }
    case E_BOOLOP:
      compile_boolop(c, e);
      break;
    case E_COMPARE:
      compile_compare(c, e);
      break;
    case E_IFEXP:
      compile_ifexp(c, e);
      break;
    case E_LAMBDA:
      compile_lambda(c, e);
      break;
    case E_TUPLE: {
      Value v;
      if (fold_const(c, e, &v)) emit_load_const(c, v);
      else compile_starunpack(c, &e->u.seq.elts, 0, SEQ_TUPLE);
      break;
    }
    case E_LIST:
      compile_starunpack(c, &e->u.seq.elts, 0, SEQ_LIST);
      break;
    case E_SET:
      compile_starunpack(c, &e->u.seq.elts, 0, SEQ_SET);
      break;
    case E_DICT:
      compile_dict(c, e);
      break;
    case E_LISTCOMP: case E_SETCOMP: case E_DICTCOMP: case E_GENEXP:
      compile_comprehension(c, e);
      break;
    case E_STARRED:
      compile_error(c, e->span, "can't use starred expression here");
      break;
    case E_YIELD: case E_YIELDFROM:
      compile_yield(c, e);
      break;
    case E_AWAIT:
      compile_await(c, e);
      break;
  }
}
