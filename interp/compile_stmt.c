/* compile_stmt.c — code generation for statements: assignments and their
** targets, control flow (if / while / for / async for, break, continue,
** return), def and class, try / except / finally, with / async with,
** raise, del, assert, imports. The shapes of try and with are CPython
** 3.11's (see opcodes.h's header comment); the helpers they use for
** handlers and unwinding are in compiler.c. */
#include <string.h>

#include "compiler_internal.h"
#include "str.h"
#include "tuple.h"

static void compile_stmt(Compiler *c, Stmt *s);

bool is_docstring(const StmtList *body) {
  if (body->len == 0) return false;
  Stmt *s = body->items[0];
  return s->kind == S_EXPR && s->u.expr.value->kind == E_CONST &&
         s->u.expr.value->u.constant.kind == C_STR;
}

void compile_stmts_from(Compiler *c, const StmtList *body, int start) {
  for (int i = start; i < body->len && !c->failed; i++) compile_stmt(c, body->items[i]);
}

void compile_stmts(Compiler *c, const StmtList *body) { compile_stmts_from(c, body, 0); }

static void set_loc(Compiler *c, Span span) { c->u->loc = span_loc(span); }

static bool in_async_function(Compiler *c) {
  Scope *sc = c->u->scope;
  return sc->kind == SCOPE_FUNCTION && sc->is_async;
}

/* ------------------------------------------------------------------ */
/* Assignment targets                                                  */

/* UNPACK_SEQUENCE / UNPACK_EX for a tuple or list target */
static void compile_unpack(Compiler *c, Expr *target) {
  ExprList *elts = &target->u.seq.elts;
  int n = elts->len;
  int star = -1;
  for (int i = 0; i < n; i++) {
    if (elts->items[i]->kind != E_STARRED) continue;
    if (star >= 0) {
      compile_error(c, target->span, "multiple starred expressions in assignment");
      return;
    }
    star = i;
  }
  if (star < 0) {
    emit(c, OP_UNPACK_SEQUENCE, n);
    return;
  }
  int before = star, after = n - star - 1;
  if (before >= 256 || after >= (1 << 16)) {
    compile_error(c, target->span, "too many expressions in star-unpacking assignment");
    return;
  }
  emit(c, OP_UNPACK_EX, before | (after << 8));
}

void compile_store(Compiler *c, Expr *t) {
  if (c->failed || !compile_enter_recursion(c)) return;
  CodeLoc old = c->u->loc;
  set_loc(c, t->span);
  switch (t->kind) {
    case E_NAME:
      compile_name(c, t->u.name.id, CTX_STORE, t->span);
      break;
    case E_ATTR:
      compile_expr(c, t->u.attr.value);
      emit_attr_op(c, OP_STORE_ATTR, t);
      break;
    case E_SUBSCRIPT:
      compile_expr(c, t->u.sub.value);
      compile_expr(c, t->u.sub.index);
      emit(c, OP_STORE_SUBSCR, 0);
      break;
    case E_TUPLE: case E_LIST:
      compile_unpack(c, t);
      for (int i = 0; i < t->u.seq.elts.len; i++) {
        Expr *elt = t->u.seq.elts.items[i];
        compile_store(c, elt->kind == E_STARRED ? elt->u.starred.value : elt);
      }
      break;
    case E_STARRED:
      compile_error(c, t->span, "starred assignment target must be in a list or tuple");
      break;
    default:
      compile_error(c, t->span, "cannot assign to expression");
      break;
  }
  c->u->loc = old;
  c->depth--;
}

static void compile_delete(Compiler *c, Expr *t) {
  if (c->failed || !compile_enter_recursion(c)) return;
  CodeLoc old = c->u->loc;
  set_loc(c, t->span);
  switch (t->kind) {
    case E_NAME:
      compile_name(c, t->u.name.id, CTX_DEL, t->span);
      break;
    case E_ATTR:
      compile_expr(c, t->u.attr.value);
      emit_attr_op(c, OP_DELETE_ATTR, t);
      break;
    case E_SUBSCRIPT:
      compile_expr(c, t->u.sub.value);
      compile_expr(c, t->u.sub.index);
      emit(c, OP_DELETE_SUBSCR, 0);
      break;
    case E_TUPLE: case E_LIST:
      for (int i = 0; i < t->u.seq.elts.len; i++) compile_delete(c, t->u.seq.elts.items[i]);
      break;
    case E_STARRED:
      compile_error(c, t->span, "cannot delete starred");
      break;
    default:
      compile_error(c, t->span, "cannot delete expression");
      break;
  }
  c->u->loc = old;
  c->depth--;
}

static bool has_starred(ExprList *l) {
  for (int i = 0; i < l->len; i++)
    if (l->items[i]->kind == E_STARRED) return true;
  return false;
}

/* `a, b = b, a` without building a tuple: evaluate, then SWAP */
static bool compile_swap_assign(Compiler *c, Expr *target, Expr *value) {
  if ((target->kind != E_TUPLE && target->kind != E_LIST) ||
      (value->kind != E_TUPLE && value->kind != E_LIST))
    return false;
  int n = target->u.seq.elts.len;
  if (n < 2 || n > 3 || value->u.seq.elts.len != n) return false;
  if (has_starred(&target->u.seq.elts) || has_starred(&value->u.seq.elts)) return false;
  for (int i = 0; i < n; i++) compile_expr(c, value->u.seq.elts.items[i]);
  emit(c, OP_SWAP, n);
  for (int i = 0; i < n; i++) compile_store(c, target->u.seq.elts.items[i]);
  return true;
}

static void compile_assign(Compiler *c, Stmt *s) {
  ExprList *targets = &s->u.assign.targets;
  if (targets->len == 1 && compile_swap_assign(c, targets->items[0], s->u.assign.value)) return;
  compile_expr(c, s->u.assign.value);
  for (int i = 0; i < targets->len; i++) {
    if (i < targets->len - 1) emit(c, OP_COPY, 1);
    compile_store(c, targets->items[i]);
  }
}

static void compile_augassign(Compiler *c, Stmt *s) {
  Expr *t = s->u.augassign.target;
  int op = s->u.augassign.op + BIN_INPLACE;
  Unit *u = c->u;
  switch (t->kind) {
    case E_NAME:
      set_loc(c, t->span);
      compile_name(c, t->u.name.id, CTX_LOAD, t->span);
      compile_expr(c, s->u.augassign.value);
      set_loc(c, s->span);
      emit(c, OP_BINARY_OP, op);
      set_loc(c, t->span);
      compile_name(c, t->u.name.id, CTX_STORE, t->span);
      break;
    case E_ATTR:
      set_loc(c, t->span);
      compile_expr(c, t->u.attr.value);
      emit(c, OP_COPY, 1);
      emit_attr_op(c, OP_LOAD_ATTR, t);
      compile_expr(c, s->u.augassign.value);
      set_loc(c, s->span);
      emit(c, OP_BINARY_OP, op);
      set_loc(c, t->span);
      emit(c, OP_SWAP, 2);
      emit_attr_op(c, OP_STORE_ATTR, t);
      break;
    case E_SUBSCRIPT:
      set_loc(c, t->span);
      compile_expr(c, t->u.sub.value);
      compile_expr(c, t->u.sub.index);
      emit(c, OP_COPY, 2);
      emit(c, OP_COPY, 2);
      emit(c, OP_BINARY_SUBSCR, 0);
      compile_expr(c, s->u.augassign.value);
      set_loc(c, s->span);
      emit(c, OP_BINARY_OP, op);
      set_loc(c, t->span);
      emit(c, OP_SWAP, 3);
      emit(c, OP_SWAP, 2);
      emit(c, OP_STORE_SUBSCR, 0);
      break;
    default:
      compile_error(c, t->span, "'expression' is an illegal expression for augmented assignment");
      break;
  }
  u->loc = span_loc(s->span);
}

/* annotations are never evaluated; a target without a value still
** evaluates its object expression, as CPython does */
static void compile_annassign(Compiler *c, Stmt *s) {
  Expr *t = s->u.annassign.target;
  if (s->u.annassign.value != NULL) {
    compile_expr(c, s->u.annassign.value);
    compile_store(c, t);
    return;
  }
  if (t->kind == E_ATTR) {
    compile_expr(c, t->u.attr.value);
    emit(c, OP_POP_TOP, 0);
  } else if (t->kind == E_SUBSCRIPT) {
    compile_expr(c, t->u.sub.value);
    emit(c, OP_POP_TOP, 0);
    compile_expr(c, t->u.sub.index);
    emit(c, OP_POP_TOP, 0);
  }
}

static void compile_expr_stmt(Compiler *c, Stmt *s) {
  Expr *v = s->u.expr.value;
  if (c->mode == PARSE_SINGLE && c->u->scope->kind == SCOPE_MODULE) {
    compile_expr(c, v);
    set_loc(c, s->span);
    emit(c, OP_PRINT_EXPR, 0);
    return;
  }
  if (v->kind == E_CONST) return;   /* a bare literal does nothing */
  compile_expr(c, v);
  set_loc(c, s->span);
  emit(c, OP_POP_TOP, 0);
}

/* ------------------------------------------------------------------ */
/* Control flow                                                        */

static void compile_if(Compiler *c, Stmt *s) {
  int32_t end = new_label(c);
  int32_t orelse = s->u.if_.orelse.len > 0 ? new_label(c) : end;
  compile_jump_if(c, s->u.if_.test, orelse, false);
  compile_stmts(c, &s->u.if_.body);
  if (s->u.if_.orelse.len > 0) {
    emit_jump(c, OP_JUMP, end);
    bind_label(c, orelse);
    compile_stmts(c, &s->u.if_.orelse);
  }
  bind_label(c, end);
}

static void compile_while(Compiler *c, Stmt *s) {
  Unit *u = c->u;
  int32_t start = new_label(c), orelse = new_label(c), end = new_label(c);
  bind_label(c, start);
  compile_jump_if(c, s->u.while_.test, orelse, false);
  push_fblock(c, FB_WHILE, u->cur_handler, start, end);
  compile_stmts(c, &s->u.while_.body);
  pop_fblock(c);
  set_loc(c, s->span);
  emit_jump(c, OP_JUMP, start);
  bind_label(c, orelse);
  compile_stmts(c, &s->u.while_.orelse);
  bind_label(c, end);
}

static void compile_async_for(Compiler *c, Stmt *s) {
  Unit *u = c->u;
  if (!in_async_function(c)) {
    compile_error(c, s->span, "'async for' outside async function");
    return;
  }
  int32_t start = new_label(c), except = new_label(c), end = new_label(c);
  compile_expr(c, s->u.for_.iter);
  set_loc(c, s->span);
  emit(c, OP_GET_AITER, 0);
  bind_label(c, start);
  int32_t outer = u->cur_handler;
  /* StopAsyncIteration from __anext__ ends the loop (END_ASYNC_FOR) */
  setup_handler(c, new_handler(c, except, 0));
  emit(c, OP_GET_ANEXT, 0);
  emit_load_none(c);
  emit_yield_from_loop(c);
  u->cur_handler = outer;
  compile_store(c, s->u.for_.target);
  push_fblock(c, FB_ASYNC_FOR, outer, start, end);
  compile_stmts(c, &s->u.for_.body);
  pop_fblock(c);
  set_loc(c, s->span);
  emit_jump(c, OP_JUMP, start);
  bind_label(c, except);
  emit(c, OP_END_ASYNC_FOR, 0);
  compile_stmts(c, &s->u.for_.orelse);
  bind_label(c, end);
}

static void compile_for(Compiler *c, Stmt *s) {
  if (s->u.for_.is_async) { compile_async_for(c, s); return; }
  Unit *u = c->u;
  int32_t start = new_label(c), cleanup = new_label(c), end = new_label(c);
  compile_sequence_operand(c, s->u.for_.iter);
  set_loc(c, s->span);
  emit(c, OP_GET_ITER, 0);
  bind_label(c, start);
  emit_jump(c, OP_FOR_ITER, cleanup);
  compile_store(c, s->u.for_.target);
  push_fblock(c, FB_FOR, u->cur_handler, start, end);
  compile_stmts(c, &s->u.for_.body);
  pop_fblock(c);
  set_loc(c, s->span);
  emit_jump(c, OP_JUMP, start);
  bind_label(c, cleanup);
  compile_stmts(c, &s->u.for_.orelse);
  bind_label(c, end);
}

static int innermost_loop(Unit *u) {
  for (int i = u->nfblocks - 1; i >= 0; i--) {
    FBKind k = u->fblocks[i].kind;
    if (k == FB_WHILE || k == FB_FOR || k == FB_ASYNC_FOR) return i;
  }
  return -1;
}

static void compile_break_continue(Compiler *c, Stmt *s) {
  Unit *u = c->u;
  bool is_break = s->kind == S_BREAK;
  int loop = innermost_loop(u);
  if (loop < 0) {
    compile_error(c, s->span, is_break ? "'break' outside loop" : "'continue' not properly in loop");
    return;
  }
  UnwindState us;
  unwind_begin(c, &us);
  if (c->failed) return;
  us.how = is_break ? WITH_EXIT_BREAK : WITH_EXIT_CONTINUE;
  unwind_to(c, &us, loop, false);
  if (is_break) {
    unwind_one(c, &us, loop);
    emit_jump(c, OP_JUMP, us.saved[loop].exit);
  } else {
    emit_jump(c, OP_JUMP, us.saved[loop].start);
  }
  unwind_end(c, &us);
}

static void compile_return(Compiler *c, Stmt *s) {
  Scope *sc = c->u->scope;
  Expr *value = s->u.return_.value;
  if (!scope_is_function_like(sc)) {
    compile_error(c, s->span, "'return' outside function");
    return;
  }
  if (value != NULL && sc->is_coroutine && sc->is_generator) {
    compile_error(c, s->span, "'return' with value in async generator");
    return;
  }
  /* a constant return value is loaded after the unwinding */
  bool preserve = value != NULL && value->kind != E_CONST;
  if (preserve) compile_expr(c, value);
  UnwindState us;
  unwind_begin(c, &us);
  if (c->failed) return;
  us.how = WITH_EXIT_RETURN;
  unwind_to(c, &us, -1, preserve);
  if (value == NULL) emit_load_none(c);
  else if (!preserve) emit_load_const(c, const_value(c, value));
  emit(c, OP_RETURN_VALUE, 0);
  unwind_end(c, &us);
}

/* ------------------------------------------------------------------ */
/* def and class                                                       */

static void compile_decorators(Compiler *c, ExprList *decos) {
  for (int i = 0; i < decos->len; i++) {
    compile_expr(c, decos->items[i]);
    set_loc(c, decos->items[i]->span);
    emit(c, OP_PUSH_NULL, 0);
  }
}

/* innermost decorator first: d1(d2(f)) */
static void apply_decorators(Compiler *c, ExprList *decos) {
  for (int i = decos->len - 1; i >= 0; i--) {
    set_loc(c, decos->items[i]->span);
    emit(c, OP_CALL, 1);
  }
}

static void compile_funcdef(Compiler *c, Stmt *s) {
  ExprList *decos = &s->u.funcdef.decorators;
  compile_decorators(c, decos);
  int firstline = decos->len > 0 ? decos->items[0]->span.line : s->span.line;
  set_loc(c, s->span);
  int flags = compile_defaults(c, s->u.funcdef.args);
  Scope *sc = symtable_scope_of(c->st, s);
  if (sc == NULL) {
    compile_error(c, s->span, "internal compiler error: no scope for function");
    return;
  }
  StrObj *name = intern_cstr(c, s->u.funcdef.name);
  CodeObj *code = compile_function_code(c, sc, name, firstline, &s->u.funcdef.body, NULL, s->span);
  set_loc(c, s->span);
  make_function(c, code, flags);
  apply_decorators(c, decos);
  set_loc(c, s->span);
  compile_name(c, s->u.funcdef.name, CTX_STORE, s->span);
}

static CodeObj *compile_class_body(Compiler *c, Stmt *s, Scope *sc, StrObj *name, int firstline) {
  StrObj *qualname = make_qualname(c, sc, name);
  if (qualname == NULL) return NULL;
  Unit *u = enter_unit(c, sc, name, qualname, firstline);
  if (u == NULL) return NULL;
  set_loc(c, s->span);
  emit(c, OP_LOAD_NAME, add_name(c, c->s_name));
  emit(c, OP_STORE_NAME, add_name(c, c->s_module));
  emit_load_const(c, v_obj(qualname));
  emit(c, OP_STORE_NAME, add_name(c, c->s_qualname));
  const StmtList *body = &s->u.classdef.body;
  int start = 0;
  if (is_docstring(body)) {
    Expr *d = body->items[0]->u.expr.value;
    set_loc(c, d->span);
    u->doc = const_value(c, d);
    emit_load_const(c, u->doc);
    emit(c, OP_STORE_NAME, add_name(c, c->s_doc));
    start = 1;
  }
  compile_stmts_from(c, body, start);
  if (sc->needs_class_closure) {
    /* __build_class__ stores the new class into this cell */
    int32_t k = pi_get(&u->cell_ix, c->s_class);
    if (k >= 0) emit(c, OP_LOAD_CLOSURE, k);
  } else {
    emit_load_none(c);
  }
  emit(c, OP_RETURN_VALUE, 0);
  CodeObj *code = assemble(c);
  leave_unit(c);
  return code;
}

static void compile_classdef(Compiler *c, Stmt *s) {
  ExprList *decos = &s->u.classdef.decorators;
  compile_decorators(c, decos);
  int firstline = decos->len > 0 ? decos->items[0]->span.line : s->span.line;
  Scope *sc = symtable_scope_of(c->st, s);
  if (sc == NULL) {
    compile_error(c, s->span, "internal compiler error: no scope for class");
    return;
  }
  StrObj *name = intern_cstr(c, s->u.classdef.name);
  CodeObj *code = compile_class_body(c, s, sc, name, firstline);
  set_loc(c, s->span);
  emit(c, OP_LOAD_BUILD_CLASS, 0);
  emit(c, OP_PUSH_NULL, 0);
  make_function(c, code, 0);
  if (name != NULL) emit_load_const(c, v_obj(name));
  compile_call_helper(c, 2, &s->u.classdef.bases, s->u.classdef.keywords, s->u.classdef.nkeywords);
  apply_decorators(c, decos);
  set_loc(c, s->span);
  compile_name(c, s->u.classdef.name, CTX_STORE, s->span);
}

/* ------------------------------------------------------------------ */
/* try                                                                 */

/* try: body / except clauses / else (the finally part, if any, is
** compiled around this by compile_try_finally) */
static void compile_try_except(Compiler *c, Stmt *s) {
  Unit *u = c->u;
  int32_t outer = u->cur_handler;
  int32_t except = new_label(c), cleanup = new_label(c), end = new_label(c);
  setup_handler(c, new_handler(c, except, 0));
  push_fblock(c, FB_TRY_EXCEPT, outer, -1, -1);
  compile_stmts(c, &s->u.try_.body);
  pop_fblock(c);
  u->cur_handler = outer;
  compile_stmts(c, &s->u.try_.orelse);
  emit_jump(c, OP_JUMP, end);

  /* [exc] -> [prev, exc]; an exception while matching or in a handler
  ** goes to `cleanup`, which restores prev and re-raises */
  bind_label(c, except);
  int nh = s->u.try_.nhandlers;
  set_loc(c, nh > 0 ? s->u.try_.handlers[0].span : s->span);
  int32_t hc = new_handler(c, cleanup, 0);
  setup_handler(c, hc);
  emit(c, OP_PUSH_EXC_INFO, 0);
  push_fblock(c, FB_EXCEPTION_HANDLER, outer, -1, -1);
  bool last_bare = false;
  for (int i = 0; i < nh && !c->failed; i++) {
    ExceptHandler *h = &s->u.try_.handlers[i];
    set_loc(c, h->span);
    if (h->type == NULL && i < nh - 1) {
      compile_error(c, h->span, "default 'except:' must be last");
      return;
    }
    last_bare = h->type == NULL;
    int32_t next = new_label(c);
    if (h->type != NULL) {
      compile_expr(c, h->type);
      set_loc(c, h->span);
      emit(c, OP_CHECK_EXC_MATCH, 0);
      emit_jump(c, OP_POP_JUMP_IF_FALSE, next);
    }
    if (h->name != NULL) {
      compile_name(c, h->name, CTX_STORE, h->span);
      int32_t cleanup_end = new_label(c);
      setup_handler(c, new_handler(c, cleanup_end, 0));
      FBlock *fb = push_fblock(c, FB_HANDLER_CLEANUP, outer, -1, -1);
      if (fb != NULL) { fb->name = h->name; fb->span = h->span; }
      compile_stmts(c, &h->body);
      pop_fblock(c);
      u->cur_handler = outer;
      set_loc(c, h->span);
      emit(c, OP_POP_EXCEPT, 0);
      emit_load_none(c);
      compile_name(c, h->name, CTX_STORE, h->span);
      compile_name(c, h->name, CTX_DEL, h->span);
      emit_jump(c, OP_JUMP, end);
      /* the handler body raised: unbind the name, then on to cleanup */
      bind_label(c, cleanup_end);
      u->cur_handler = hc;
      emit_load_none(c);
      compile_name(c, h->name, CTX_STORE, h->span);
      compile_name(c, h->name, CTX_DEL, h->span);
      emit(c, OP_RERAISE, 0);
    } else {
      emit(c, OP_POP_TOP, 0);
      push_fblock(c, FB_HANDLER_CLEANUP, outer, -1, -1);
      compile_stmts(c, &h->body);
      pop_fblock(c);
      u->cur_handler = outer;
      set_loc(c, h->span);
      emit(c, OP_POP_EXCEPT, 0);
      emit_jump(c, OP_JUMP, end);
    }
    u->cur_handler = hc;
    bind_label(c, next);
  }
  pop_fblock(c);
  if (!last_bare) emit(c, OP_RERAISE, 0);   /* no clause matched */
  u->cur_handler = outer;
  bind_label(c, cleanup);
  emit(c, OP_POP_EXCEPT_AND_RERAISE, 0);
  bind_label(c, end);
}

static void compile_try_finally(Compiler *c, Stmt *s) {
  Unit *u = c->u;
  int32_t outer = u->cur_handler;
  int32_t fin = new_label(c), cleanup = new_label(c), exit = new_label(c);
  setup_handler(c, new_handler(c, fin, 0));
  FBlock *fb = push_fblock(c, FB_FINALLY_TRY, outer, -1, -1);
  if (fb != NULL) fb->stmt = s;
  if (s->u.try_.nhandlers > 0) compile_try_except(c, s);
  else compile_stmts(c, &s->u.try_.body);
  pop_fblock(c);
  u->cur_handler = outer;
  /* normal path */
  compile_stmts(c, &s->u.try_.finalbody);
  emit_jump(c, OP_JUMP, exit);
  /* exception path: [exc] -> [prev, exc]; finally body; re-raise */
  bind_label(c, fin);
  set_loc(c, s->span);
  int32_t hc = new_handler(c, cleanup, 0);
  setup_handler(c, hc);
  emit(c, OP_PUSH_EXC_INFO, 0);
  push_fblock(c, FB_FINALLY_END, outer, -1, -1);
  compile_stmts(c, &s->u.try_.finalbody);
  pop_fblock(c);
  emit(c, OP_RERAISE, 0);
  u->cur_handler = outer;
  bind_label(c, cleanup);
  emit(c, OP_POP_EXCEPT_AND_RERAISE, 0);
  bind_label(c, exit);
}

static void compile_try(Compiler *c, Stmt *s) {
  if (s->u.try_.finalbody.len > 0) compile_try_finally(c, s);
  else compile_try_except(c, s);
}

/* ------------------------------------------------------------------ */
/* with                                                                */

/* Item `item` of the with statement; the following items nest inside,
** so a failure in a later __enter__ exits the earlier managers. */
static void compile_with_item(Compiler *c, Stmt *s, int item) {
  if (c->failed) return;
  if (item == s->u.with.nitems) {
    compile_stmts(c, &s->u.with.body);
    return;
  }
  Unit *u = c->u;
  bool is_async = s->u.with.is_async;
  WithItem *wi = &s->u.with.items[item];
  CodeLoc wloc = span_loc(s->span);
  int32_t outer = u->cur_handler;
  int32_t handler = new_label(c), cleanup = new_label(c), suppress = new_label(c), after = new_label(c);

  compile_expr(c, wi->context_expr);
  u->loc = wloc;
  if (is_async) {
    emit(c, OP_BEFORE_ASYNC_WITH, 0);
    emit_await(c, 1);
  } else {
    emit(c, OP_BEFORE_WITH, 0);
  }
  /* [exit, enter_result]: the handler keeps `exit` (depth D+1) */
  setup_handler(c, new_handler(c, handler, -1));
  FBlock *fb = push_fblock(c, is_async ? FB_ASYNC_WITH : FB_WITH, outer, -1, -1);
  if (fb != NULL) fb->stmt = s;
  if (wi->optional_vars != NULL) compile_store(c, wi->optional_vars);
  else emit(c, OP_POP_TOP, 0);
  compile_with_item(c, s, item + 1);
  pop_fblock(c);
  u->cur_handler = outer;

  /* normal exit: exit(None, None, None) */
  u->loc = wloc;
  if (is_async) {
    emit(c, OP_WITH_EXIT, WITH_EXIT_KEEP);
    emit_await(c, 2);
    emit(c, OP_POP_TOP, 0);
  } else {
    emit(c, OP_WITH_EXIT, WITH_EXIT_NORMAL);
  }
  emit_jump(c, OP_JUMP, after);

  /* exceptional exit: [exit, exc] */
  bind_label(c, handler);
  int32_t hc = new_handler(c, cleanup, 0);
  setup_handler(c, hc);
  emit(c, OP_PUSH_EXC_INFO, 0);
  emit(c, OP_WITH_EXCEPT_START, 0);
  if (is_async) emit_await(c, 2);
  emit_jump(c, OP_POP_JUMP_IF_TRUE, suppress);
  emit(c, OP_RERAISE, 0);
  bind_label(c, suppress);
  emit(c, OP_POP_TOP, 0);
  emit(c, OP_POP_EXCEPT, 0);
  emit(c, OP_POP_TOP, 0);
  emit_jump(c, OP_JUMP, after);
  u->cur_handler = outer;
  bind_label(c, cleanup);
  emit(c, OP_POP_EXCEPT_AND_RERAISE, 0);
  bind_label(c, after);
}

static void compile_with(Compiler *c, Stmt *s) {
  if (s->u.with.is_async && !in_async_function(c)) {
    compile_error(c, s->span, "'async with' outside async function");
    return;
  }
  compile_with_item(c, s, 0);
}

/* ------------------------------------------------------------------ */
/* Simple statements                                                   */

static void compile_raise(Compiler *c, Stmt *s) {
  int n = 0;
  if (s->u.raise.exc != NULL) {
    compile_expr(c, s->u.raise.exc);
    n = 1;
    if (s->u.raise.cause != NULL) {
      compile_expr(c, s->u.raise.cause);
      n = 2;
    }
  }
  set_loc(c, s->span);
  emit(c, OP_RAISE_VARARGS, n);
}

static void compile_assert(Compiler *c, Stmt *s) {
  int32_t end = new_label(c);
  compile_jump_if(c, s->u.assert_.test, end, true);
  set_loc(c, s->span);
  emit(c, OP_LOAD_ASSERTION_ERROR, 0);
  if (s->u.assert_.msg != NULL) {
    emit(c, OP_PUSH_NULL, 0);
    compile_expr(c, s->u.assert_.msg);
    set_loc(c, s->span);
    emit(c, OP_CALL, 1);
  }
  emit(c, OP_RAISE_VARARGS, 1);
  bind_label(c, end);
}

/* store into the name `s[0:len]` (mangled as an identifier) */
static void store_name_part(Compiler *c, const char *s, size_t len, Span span) {
  StrObj *name = intern_len(c, s, len);
  if (name == NULL) return;
  name = symtable_mangle(c->vm, c->u->private_name, name);
  if (name == NULL) { compile_fail_pending(c); return; }
  compile_name_obj(c, name, CTX_STORE, span);
}

static void compile_import(Compiler *c, Stmt *s) {
  for (int i = 0; i < s->u.import.nnames && !c->failed; i++) {
    Alias *a = &s->u.import.names[i];
    set_loc(c, s->span);
    emit_load_none(c);
    emit(c, OP_IMPORT_NAME, add_name(c, intern_cstr(c, a->name)));
    const char *dot = strchr(a->name, '.');
    if (a->asname == NULL) {
      /* `import a.b.c` binds the top-level package a */
      store_name_part(c, a->name, dot ? (size_t)(dot - a->name) : strlen(a->name), s->span);
      continue;
    }
    if (dot == NULL) {
      compile_name(c, a->asname, CTX_STORE, s->span);
      continue;
    }
    /* `import a.b.c as d`: walk down to the submodule */
    while (dot != NULL) {
      const char *part = dot + 1;
      dot = strchr(part, '.');
      size_t len = dot ? (size_t)(dot - part) : strlen(part);
      emit(c, OP_IMPORT_FROM, add_name(c, intern_len(c, part, len)));
      if (dot != NULL) {
        emit(c, OP_SWAP, 2);
        emit(c, OP_POP_TOP, 0);
      }
    }
    compile_name(c, a->asname, CTX_STORE, s->span);
    emit(c, OP_POP_TOP, 0);
  }
}

static void compile_importfrom(Compiler *c, Stmt *s) {
  int n = s->u.importfrom.nnames;
  if (s->u.importfrom.level > 0 || s->u.importfrom.module == NULL) {
    compile_error(c, s->span, "relative imports are not supported by withy");
    return;
  }
  for (int i = 0; i < n; i++) {
    if (strcmp(s->u.importfrom.names[i].name, "*") == 0) {
      compile_error(c, s->u.importfrom.names[i].span, "'import *' is not supported by withy");
      return;
    }
  }
  TupleObj *fromlist = tuple_new(c->vm, n);
  if (fromlist == NULL) { compile_fail_pending(c); return; }
  for (int i = 0; i < n; i++) {
    StrObj *name = intern_cstr(c, s->u.importfrom.names[i].name);
    if (name == NULL) return;
    fromlist->items[i] = v_obj(name);
  }
  emit_load_const(c, v_obj(fromlist));
  emit(c, OP_IMPORT_NAME, add_name(c, intern_cstr(c, s->u.importfrom.module)));
  for (int i = 0; i < n; i++) {
    Alias *a = &s->u.importfrom.names[i];
    emit(c, OP_IMPORT_FROM, add_name(c, mangle_name(c, a->name)));
    compile_name(c, a->asname ? a->asname : a->name, CTX_STORE, a->span);
  }
  emit(c, OP_POP_TOP, 0);
}

static void compile_stmt(Compiler *c, Stmt *s) {
  if (!compile_enter_recursion(c)) return;
  set_loc(c, s->span);
  switch (s->kind) {
    case S_EXPR: compile_expr_stmt(c, s); break;
    case S_ASSIGN: compile_assign(c, s); break;
    case S_AUGASSIGN: compile_augassign(c, s); break;
    case S_ANNASSIGN: compile_annassign(c, s); break;
    case S_IF: compile_if(c, s); break;
    case S_WHILE: compile_while(c, s); break;
    case S_FOR: compile_for(c, s); break;
    case S_BREAK: case S_CONTINUE: compile_break_continue(c, s); break;
    case S_PASS: break;
    case S_RETURN: compile_return(c, s); break;
    case S_FUNCDEF: compile_funcdef(c, s); break;
    case S_CLASSDEF: compile_classdef(c, s); break;
    case S_TRY: compile_try(c, s); break;
    case S_RAISE: compile_raise(c, s); break;
    case S_WITH: compile_with(c, s); break;
    case S_GLOBAL: case S_NONLOCAL: break;
    case S_DEL:
      for (int i = 0; i < s->u.del_.targets.len; i++) compile_delete(c, s->u.del_.targets.items[i]);
      break;
    case S_ASSERT: compile_assert(c, s); break;
    case S_IMPORT: compile_import(c, s); break;
    case S_IMPORTFROM: compile_importfrom(c, s); break;
  }
  c->depth--;
}

void compile_module_body(Compiler *c, Module *m) {
  Unit *u = c->u;
  const StmtList *body = &m->body;
  if (body->len > 0) set_loc(c, body->items[0]->span);
  if (c->mode == PARSE_EVAL && body->len == 1 && body->items[0]->kind == S_EXPR) {
    compile_expr(c, body->items[0]->u.expr.value);
    emit(c, OP_RETURN_VALUE, 0);
    return;
  }
  int start = 0;
  if (c->mode == PARSE_FILE && is_docstring(body)) {
    u->doc = const_value(c, body->items[0]->u.expr.value);
    emit_load_const(c, u->doc);
    emit(c, OP_STORE_NAME, add_name(c, c->s_doc));
    start = 1;
  }
  compile_stmts_from(c, body, start);
  emit_load_none(c);
  emit(c, OP_RETURN_VALUE, 0);
}
