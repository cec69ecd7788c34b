/* parse_expr.c — expressions: atoms and trailers, operators by
** precedence climbing, comprehensions, call arguments, parameters of def
** and lambda, and assignment targets.
**
** Rules are named after CPython 3.11's grammar. Binary operators from
** `|` down to `*` share one precedence-climbing loop; `**` binds tighter
** than a unary minus on its left (-2**2 == -4) and is right-associative,
** so it is parsed by factor/power as in the grammar.
*/
#include <string.h>
#include "parser_internal.h"

/* ------------------------------------------------------------------ */
/* Nodes                                                               */

Expr *new_expr(Parser *p, ExprKind kind, Span span) {
  Expr *e = palloc(p, sizeof *e);
  e->kind = kind;
  e->span = span;
  return e;
}

Stmt *new_stmt(Parser *p, StmtKind kind, Span span) {
  Stmt *s = palloc(p, sizeof *s);
  s->kind = kind;
  s->span = span;
  return s;
}

static Expr *new_const(Parser *p, ConstKind kind, Span span) {
  Expr *e = new_expr(p, E_CONST, span);
  e->u.constant.kind = kind;
  return e;
}

static Expr *new_seq(Parser *p, ExprKind kind, Span span, ExprVec *elts) {
  Expr *e = new_expr(p, kind, span);
  e->u.seq.elts = exprvec_list(elts);
  return e;
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */

const char *expr_name(const Expr *e) {
  switch (e->kind) {
    case E_ATTR: return "attribute";
    case E_SUBSCRIPT: return "subscript";
    case E_STARRED: return "starred";
    case E_NAME: return "name";
    case E_LIST: return "list";
    case E_TUPLE: return "tuple";
    case E_LAMBDA: return "lambda";
    case E_CALL: return "function call";
    case E_BOOLOP: case E_BINOP: case E_UNARYOP: return "expression";
    case E_GENEXP: return "generator expression";
    case E_YIELD: case E_YIELDFROM: return "yield expression";
    case E_AWAIT: return "await expression";
    case E_LISTCOMP: return "list comprehension";
    case E_SETCOMP: return "set comprehension";
    case E_DICTCOMP: return "dict comprehension";
    case E_DICT: return "dict literal";
    case E_SET: return "set display";
    case E_JOINEDSTR: case E_FORMATTED: return "f-string expression";
    case E_COMPARE: return "comparison";
    case E_IFEXP: return "conditional expression";
    case E_SLICE: return "slice";
    case E_CONST:
      switch (e->u.constant.kind) {
        case C_NONE: return "None";
        case C_TRUE: return "True";
        case C_FALSE: return "False";
        case C_ELLIPSIS: return "ellipsis";
        default: return "literal";
      }
  }
  return "expression";
}

Expr *invalid_target(Expr *e, int type) {
  switch (e->kind) {
    case E_LIST: case E_TUPLE:
      for (int i = 0; i < e->u.seq.elts.len; i++) {
        Expr *bad = invalid_target(e->u.seq.elts.items[i], type);
        if (bad) return bad;
      }
      return NULL;
    case E_STARRED:
      if (type == DEL_TARGETS) return e;
      return invalid_target(e->u.starred.value, type);
    case E_COMPARE:
      /* `for a in b` may come here as a comparison: look at its left */
      if (type == FOR_TARGETS) {
        if (e->u.compare.ops[0] == CMPX_IN) return invalid_target(e->u.compare.left, type);
        return NULL;
      }
      return e;
    case E_NAME: case E_SUBSCRIPT: case E_ATTR:
      return NULL;
    default:
      return e;
  }
}

void check_target(Parser *p, Expr *e, int type) {
  Expr *bad = invalid_target(e, type);
  if (bad)
    perr_span(p, bad->span, type == DEL_TARGETS ? "cannot delete %s" : "cannot assign to %s", expr_name(bad));
}

bool can_start_expression(int kind) {
  switch (kind) {
    case TK_NAME: case TK_NUMBER: case TK_STRING: case TK_LPAR: case TK_LSQB:
    case TK_LBRACE: case TK_MINUS: case TK_PLUS: case TK_TILDE: case TK_NOT:
    case TK_LAMBDA: case TK_AWAIT: case TK_NONE: case TK_TRUE: case TK_FALSE:
    case TK_ELLIPSIS:
      return true;
    default:
      return false;
  }
}

/* CPython 3.11's SOFT_KEYWORD token test compares only the NAME's own
** length, so any prefix of a soft keyword ("c", "ma", ...) counts. */
static bool is_soft_keyword(Parser *p, const Token *t) {
  static const char *const soft[] = {"_", "case", "match"};
  size_t n = t->end - t->start;
  if (t->kind != TK_NAME) return false;
  for (size_t i = 0; i < sizeof soft / sizeof soft[0]; i++)
    if (n <= strlen(soft[i]) && memcmp(p->src + t->start, soft[i], n) == 0) return true;
  return false;
}

static bool is_legacy_name(Parser *p, const Token *t) {
  return tok_is_word(p, t, "print") || tok_is_word(p, t, "exec");
}

bool meant_equality(Parser *p, int target_pos, int eq_pos) {
  int end;
  if (!try_parse(p, target_pos, parse_bitwise_or, &end) || end != eq_pos) return false;
  int k = p->toks[target_pos].kind;
  if (k == TK_TRUE || k == TK_NONE || k == TK_FALSE) return false;
  if (k == TK_LSQB || k == TK_LPAR) {
    Expr *atom = try_parse(p, target_pos, parse_atom, NULL);
    if (atom && (atom->kind == E_LIST || atom->kind == E_TUPLE || atom->kind == E_GENEXP)) return false;
  }
  if (!try_parse(p, eq_pos + 1, parse_bitwise_or, &end)) return false;
  k = p->toks[end].kind;
  return k != TK_EQUAL && k != TK_COLONEQUAL;
}

/* ------------------------------------------------------------------ */
/* Atoms                                                               */

static Expr *parse_number(Parser *p) {
  Token *t = advance(p);
  if (t->flags & NUM_IMAG) perr_tok(p, t, "complex numbers are not supported by withy");
  if (t->flags & NUM_TOOBIG) perr_tok(p, t, "integer literal too large for withy (ints are 64-bit)");
  Expr *e;
  if (t->flags & NUM_FLOAT) {
    e = new_const(p, C_FLOAT, span_tok(t));
    e->u.constant.f = t->num.f;
  } else {
    e = new_const(p, C_INT, span_tok(t));
    e->u.constant.i = (int64_t)t->num.u;
  }
  return e;
}

static Expr *parse_star_named_expression(Parser *p);
static Comprehension *parse_comp_for(Parser *p, int *ncomp);

static Expr *new_comp(Parser *p, ExprKind kind, Span span, Expr *key, Expr *elt) {
  Expr *e = new_expr(p, kind, span);
  e->u.comp.key = key;
  e->u.comp.elt = elt;
  e->u.comp.generators = parse_comp_for(p, &e->u.comp.ngenerators);
  return e;
}

static bool at_comp_for(Parser *p) {
  int k = cur_kind(p);
  return k == TK_FOR || (k == TK_ASYNC && peek_kind(p, 1) == TK_FOR);
}

/* The same for an error heuristic: looking past 'async' must not move
** where a generic error is reported. */
static bool heuristic_at_comp_for(Parser *p) {
  int k = cur_kind(p);
  int next = p->toks[p->pos + 1 < p->ntoks ? p->pos + 1 : p->pos].kind;
  return k == TK_FOR || (k == TK_ASYNC && next == TK_FOR);
}

/* (*a for ...) and friends */
static void check_comp_element(Parser *p, Expr *elt) {
  if (elt->kind == E_STARRED) perr_span(p, elt->span, "iterable unpacking cannot be used in comprehension");
}

static void run_comp_for(Parser *p, void *ctx) {
  int n;
  parse_comp_for(p, &n);
}

/* invalid_comprehension: `[a, b for b in c]` and `[a, for b in c]` */
static void check_comp_target(Parser *p, ExprVec *elts, const Token *comma) {
  if (!heuristic_at_comp_for(p)) return;
  if (!try_run(p, p->pos, run_comp_for, NULL, NULL)) {
    if (!p->err_generic) perr_final(p, &p->err);
    return;
  }
  Span last = comma ? span_tok(comma) : elts->items[elts->len - 1]->span;
  perr_range(p, elts->items[0]->span, last, "did you forget parentheses around the comprehension target?");
}

/* Elements of a display after its first one, up to `close`; in a list
** or set (comp_hint), a comprehension after them is named. */
static void parse_display_rest(Parser *p, ExprVec *elts, int close, bool comp_hint) {
  while (cur_kind(p) == TK_COMMA) {
    Token *comma = advance(p);
    if (cur_kind(p) == close) break;
    if (comp_hint) check_comp_target(p, elts, elts->len == 1 ? comma : NULL);
    exprvec_push(p, elts, parse_star_named_expression(p));
  }
  if (comp_hint && elts->len > 1) check_comp_target(p, elts, NULL);
}

/* invalid_comprehension reads a starred first element as `'*' expression`,
** which may find a missing comma in it: `[*ran ge(3)]` */
static void starred_first_hint(Parser *p, Expr *first) {
  if (first->kind != E_STARRED || !can_start_expression(cur_kind(p)) || p->no_invalid) return;
  int star = p->pos;
  while (star > 0 && (p->toks[star].kind != TK_STAR || p->toks[star].line != first->span.line ||
                      p->toks[star].col != first->span.col))
    star--;
  if (!try_parse(p, star + 1, parse_expression, NULL) && !p->err_generic) perr_final(p, &p->err);
}

Expr *parse_paren_body(Parser *p, const Token *open, int close) {
  if (cur_kind(p) == close) {
    advance(p);
    return new_expr(p, E_TUPLE, span_from(p, open));
  }
  if (cur_kind(p) == TK_YIELD) {
    Expr *y = parse_yield_expr(p);
    expect(p, close);
    return y;
  }
  Expr *first = parse_star_named_expression(p);
  starred_first_hint(p, first);
  if (at_comp_for(p)) {
    check_comp_element(p, first);
    Expr *g = new_comp(p, E_GENEXP, span_tok(open), NULL, first);
    expect(p, close);
    g->span = span_from(p, open);
    return g;
  }
  if (cur_kind(p) == TK_COMMA) {
    ExprVec elts = {0};
    exprvec_push(p, &elts, first);
    parse_display_rest(p, &elts, close, false);
    expect(p, close);
    return new_seq(p, E_TUPLE, span_from(p, open), &elts);
  }
  if (first->kind == E_STARRED && cur_kind(p) == close)
    perr_span(p, first->span, "cannot use starred expression here");
  expect(p, close);
  return first;
}

static Expr *parse_list_display(Parser *p) {
  Token *open = advance(p);
  ExprVec elts = {0};
  if (accept(p, TK_RSQB)) return new_seq(p, E_LIST, span_from(p, open), &elts);
  Expr *first = parse_star_named_expression(p);
  starred_first_hint(p, first);
  if (at_comp_for(p)) {
    check_comp_element(p, first);
    Expr *c = new_comp(p, E_LISTCOMP, span_tok(open), NULL, first);
    expect(p, TK_RSQB);
    c->span = span_from(p, open);
    return c;
  }
  exprvec_push(p, &elts, first);
  parse_display_rest(p, &elts, TK_RSQB, true);
  expect(p, TK_RSQB);
  return new_seq(p, E_LIST, span_from(p, open), &elts);
}

/* ':' expression, after a dictionary key */
static Expr *parse_dict_value(Parser *p) {
  Token *colon = advance(p);
  if (cur_kind(p) == TK_STAR) {
    Token *star = advance(p);
    parse_bitwise_or(p);
    perr_starting_from(p, span_tok(star), &p->toks[p->maxpos],
                       "cannot use a starred expression in a dictionary value");
  }
  if (cur_kind(p) == TK_RBRACE || cur_kind(p) == TK_COMMA)
    perr_tok(p, colon, "expression expected after dictionary key and ':'");
  return parse_expression(p);
}

/* dict, set, dictcomp, setcomp */
static Expr *parse_brace_display(Parser *p) {
  Token *open = advance(p);
  ExprVec keys = {0}, values = {0};
  if (accept(p, TK_RBRACE)) {
    Expr *d = new_expr(p, E_DICT, span_from(p, open));
    return d;
  }
  Expr *first_key = NULL, *first_value;
  Token *dstar = NULL;
  if (cur_kind(p) == TK_DSTAR) {
    dstar = advance(p);
    first_value = parse_bitwise_or(p);
  } else {
    first_key = parse_star_named_expression(p);
    starred_first_hint(p, first_key);
    if (cur_kind(p) != TK_COLON || first_key->kind == E_STARRED) {
      /* a set */
      if (at_comp_for(p)) {
        check_comp_element(p, first_key);
        Expr *c = new_comp(p, E_SETCOMP, span_tok(open), NULL, first_key);
        expect(p, TK_RBRACE);
        c->span = span_from(p, open);
        return c;
      }
      ExprVec elts = {0};
      exprvec_push(p, &elts, first_key);
      parse_display_rest(p, &elts, TK_RBRACE, true);
      expect(p, TK_RBRACE);
      return new_seq(p, E_SET, span_from(p, open), &elts);
    }
    first_value = parse_dict_value(p);
    if (at_comp_for(p)) {
      Expr *c = new_comp(p, E_DICTCOMP, span_tok(open), first_key, first_value);
      expect(p, TK_RBRACE);
      c->span = span_from(p, open);
      return c;
    }
  }
  if (dstar && at_comp_for(p)) perr_tok(p, dstar, "dict unpacking cannot be used in dict comprehension");
  exprvec_push(p, &keys, first_key);
  exprvec_push(p, &values, first_value);
  while (accept(p, TK_COMMA)) {
    if (cur_kind(p) == TK_RBRACE) break;
    if (accept(p, TK_DSTAR)) {
      exprvec_push(p, &keys, NULL);
      exprvec_push(p, &values, parse_bitwise_or(p));
    } else {
      /* CPython names no missing comma in a later key, only the ':' */
      bool quiet = p->no_invalid;
      p->no_invalid = true;
      Expr *key = parse_expression(p);
      p->no_invalid = quiet;
      if (cur_kind(p) != TK_COLON)
        perr_cols(p, key->span.line, key->span.end_col - 1, key->span.end_line, -1,
                  "':' expected after dictionary key");
      exprvec_push(p, &keys, key);
      exprvec_push(p, &values, parse_dict_value(p));
    }
  }
  expect(p, TK_RBRACE);
  Expr *d = new_expr(p, E_DICT, span_from(p, open));
  d->u.dict.keys = exprvec_list(&keys);
  d->u.dict.values = exprvec_list(&values);
  return d;
}

Expr *parse_atom(Parser *p) {
  Token *t = cur(p);
  switch (t->kind) {
    case TK_NAME: {
      advance(p);
      Expr *e = new_expr(p, E_NAME, span_tok(t));
      e->u.name.id = tok_name(p, t);
      return e;
    }
    case TK_TRUE: advance(p); return new_const(p, C_TRUE, span_tok(t));
    case TK_FALSE: advance(p); return new_const(p, C_FALSE, span_tok(t));
    case TK_NONE: advance(p); return new_const(p, C_NONE, span_tok(t));
    case TK_ELLIPSIS: advance(p); return new_const(p, C_ELLIPSIS, span_tok(t));
    case TK_NUMBER: return parse_number(p);
    case TK_STRING: return parse_strings(p);
    case TK_LPAR: advance(p); return parse_paren_body(p, t, TK_RPAR);
    case TK_LSQB: return parse_list_display(p);
    case TK_LBRACE: return parse_brace_display(p);
    default: perr_invalid(p);
  }
}

/* ------------------------------------------------------------------ */
/* Primaries                                                           */

/* slice: [expression] ':' [expression] [':' [expression]] | named_expression */
static Expr *parse_slice(Parser *p) {
  Token *start = cur(p);
  if (start->kind == TK_STAR) {
    advance(p);
    Expr *s = new_expr(p, E_STARRED, span_tok(start));
    s->u.starred.value = parse_bitwise_or(p);
    s->span = span_from(p, start);
    return s;
  }
  Expr *lower = NULL;
  if (cur_kind(p) != TK_COLON) {
    lower = parse_named_expression(p);
    if (cur_kind(p) != TK_COLON) return lower;
  }
  advance(p);   /* ':' */
  Expr *s = new_expr(p, E_SLICE, span_tok(start));
  s->u.slice.lower = lower;
  int k = cur_kind(p);
  if (k != TK_COLON && k != TK_COMMA && k != TK_RSQB) s->u.slice.upper = parse_expression(p);
  if (accept(p, TK_COLON)) {
    k = cur_kind(p);
    if (k != TK_COMMA && k != TK_RSQB) s->u.slice.step = parse_expression(p);
  }
  s->span = span_from(p, start);
  return s;
}

/* slices: slice !',' | ','.(slice | starred_expression)+ [','] */
static Expr *parse_slices(Parser *p) {
  Token *start = cur(p);
  Expr *first = parse_slice(p);
  if (cur_kind(p) != TK_COMMA) return first;
  ExprVec elts = {0};
  exprvec_push(p, &elts, first);
  while (accept(p, TK_COMMA)) {
    if (cur_kind(p) == TK_RSQB) break;
    exprvec_push(p, &elts, parse_slice(p));
  }
  return new_seq(p, E_TUPLE, span_from(p, start), &elts);
}

static Expr *last_comprehension_item(Expr *genexp) {
  Comprehension *c = &genexp->u.comp.generators[genexp->u.comp.ngenerators - 1];
  return c->ifs.len ? c->ifs.items[c->ifs.len - 1] : c->iter;
}

typedef struct KwVec { Keyword *items; int n, cap; } KwVec;

/* (',' argument)* — read and dropped */
static void skip_args(Parser *p, void *ctx) {
  while (accept(p, TK_COMMA)) {
    int k = cur_kind(p);
    if (k == TK_RPAR) return;
    if (k == TK_NAME && peek_kind(p, 1) == TK_EQUAL) {
      advance(p);
      advance(p);
    } else if (k == TK_STAR || k == TK_DSTAR) {
      advance(p);
    }
    parse_expression(p);
  }
}

static void push_keyword(Parser *p, KwVec *kws, const Token *start, const char *arg, Expr *value) {
  kws->items = vec_grow(p, kws->items, kws->n, &kws->cap, sizeof(Keyword));
  Keyword *k = &kws->items[kws->n++];
  k->arg = arg;
  k->value = value;
  k->span = span_from(p, start);
}

/* One positional argument (or a generator expression). */
static Expr *parse_positional_arg(Parser *p, const Token *open, int nargs_before, bool allow_genexp) {
  Token *start = cur(p);
  if (start->kind == TK_NAME && peek_kind(p, 1) == TK_COLONEQUAL)
    perr_tok(p, tok_at(p, p->pos + 1), "assignment expressions (:=) are not supported by withy");
  Expr *e = parse_expression(p);
  if (nargs_before == 0 && allow_genexp ? at_comp_for(p) : heuristic_at_comp_for(p)) {
    if (!allow_genexp) perr_tok(p, cur(p), "invalid syntax");
    Expr *g = new_comp(p, E_GENEXP, span_tok(open), NULL, e);
    /* a lone generator argument needs no parentheses of its own */
    if (nargs_before > 0 || cur_kind(p) == TK_COMMA)
      perr_range(p, e->span, last_comprehension_item(g)->span, "Generator expression must be parenthesized");
    if (cur_kind(p) != TK_RPAR) perr_invalid(p);
    g->span = span_join(span_tok(open), span_tok(cur(p)));
    return g;
  }
  if (cur_kind(p) == TK_EQUAL)
    perr_range(p, e->span, span_tok(cur(p)), "expression cannot contain assignment, perhaps you meant \"==\"?");
  if (cur_kind(p) == TK_COLONEQUAL)
    perr_tok(p, cur(p), "assignment expressions (:=) are not supported by withy");
  return e;
}

void parse_call_args(Parser *p, ExprList *args, Keyword **kws_out, int *nkws, bool allow_genexp) {
  const Token *open = prev_tok(p);
  ExprVec pos = {0};
  KwVec kws = {0};
  bool seen_kw = false, seen_dstar = false;
  while (cur_kind(p) != TK_RPAR) {
    Token *t = cur(p);
    if (t->kind == TK_STAR) {
      if (seen_dstar) perr_tok(p, t, "iterable argument unpacking follows keyword argument unpacking");
      advance(p);
      Expr *s = new_expr(p, E_STARRED, span_tok(t));
      s->u.starred.value = parse_expression(p);
      s->span = span_from(p, t);
      exprvec_push(p, &pos, s);
    } else if (t->kind == TK_DSTAR) {
      advance(p);
      push_keyword(p, &kws, t, NULL, parse_expression(p));
      seen_dstar = true;
    } else if ((t->kind == TK_NAME || t->kind == TK_TRUE || t->kind == TK_FALSE || t->kind == TK_NONE) &&
               peek_kind(p, 1) == TK_EQUAL) {
      Token *eq = tok_at(p, p->pos + 1);
      if (t->kind != TK_NAME)
        perr_range(p, span_tok(t), span_tok(eq), "cannot assign to %s", tok_kind_name(t->kind));
      advance(p);
      advance(p);
      Expr *value = parse_expression(p);
      if (heuristic_at_comp_for(p))
        perr_range(p, span_tok(t), span_tok(eq), "invalid syntax. Maybe you meant '==' or ':=' instead of '='?");
      push_keyword(p, &kws, t, tok_name(p, t), value);
      seen_kw = true;
    } else {
      exprvec_push(p, &pos, parse_positional_arg(p, open, pos.len + kws.n, allow_genexp));
      if (seen_kw || seen_dstar) {
        /* _PyPegen_arguments_parsing_error, after CPython read the rest
        ** of the arguments: at the last token that took */
        try_run_ex(p, p->pos, skip_args, NULL, NULL, true);
        perr_last(p, 0, seen_dstar ? "positional argument follows keyword argument unpacking"
                                   : "positional argument follows keyword argument");
      }
    }
    if (!accept(p, TK_COMMA)) break;
  }
  expect(p, TK_RPAR);
  *args = exprvec_list(&pos);
  *kws_out = kws.items;
  *nkws = kws.n;
}

typedef struct Trailer { Expr *value; const Token *start; Expr *result; } Trailer;

/* '(' arguments ')'. CPython memoizes `arguments`: arguments that failed
** while its error rules were off stay failed without them, so their
** errors are not named later. */
static void parse_call_trailer(Parser *p, void *ctx) {
  Trailer *t = ctx;
  int at = p->pos;
  for (int i = 0; i < p->nquiet_args; i++)
    if (p->quiet_args[i] == at) p->no_invalid = true;
  advance(p);
  Expr *c = new_expr(p, E_CALL, span_tok(t->start));
  c->u.call.func = t->value;
  parse_call_args(p, &c->u.call.args, &c->u.call.keywords, &c->u.call.nkeywords, true);
  c->span = span_from(p, t->start);
  t->result = c;
}

/* '[' slices ']' */
static void parse_subscript_trailer(Parser *p, void *ctx) {
  Trailer *t = ctx;
  advance(p);
  Expr *s = new_expr(p, E_SUBSCRIPT, span_tok(t->start));
  s->u.sub.value = t->value;
  s->u.sub.index = parse_slices(p);
  expect(p, TK_RSQB);
  s->span = span_from(p, t->start);
  t->result = s;
}

/* primary: atom followed by '.' NAME, '(' arguments ')', '[' slices ']'.
** A trailer that does not parse leaves the primary without it, as
** CPython's PEG rule does: the error is then reported where the first
** failure was (maxpos), and the error heuristics see what CPython sees. */
static Expr *parse_primary(Parser *p) {
  Token *start = cur(p);
  Expr *e = parse_atom(p);
  for (;;) {
    int k = cur_kind(p);
    if (k == TK_DOT) {
      if (peek_kind(p, 1) != TK_NAME) return e;
      advance(p);
      Token *name = advance(p);
      Expr *a = new_expr(p, E_ATTR, span_from(p, start));
      a->u.attr.value = e;
      a->u.attr.name = tok_name(p, name);
      e = a;
    } else if (k == TK_LPAR || k == TK_LSQB) {
      Trailer t = {e, start, NULL};
      int end;
      bool quiet = p->no_invalid;
      if (!try_run_ex(p, p->pos, k == TK_LPAR ? parse_call_trailer : parse_subscript_trailer, &t, &end, true)) {
        if (!p->err_generic) perr_final(p, &p->err);
        if (quiet && k == TK_LPAR && p->nquiet_args < (int)(sizeof p->quiet_args / sizeof p->quiet_args[0]))
          p->quiet_args[p->nquiet_args++] = p->pos;
        return e;
      }
      p->no_invalid = quiet;
      p->pos = end;
      e = t.result;
    } else {
      return e;
    }
  }
}

/* ------------------------------------------------------------------ */
/* Operators                                                           */

static Expr *parse_factor(Parser *p);
static bool operand_follows(Parser *p, int len, bool allow_not);

/* power: await_primary ['**' factor] */
static Expr *parse_power(Parser *p) {
  Token *start = cur(p);
  Expr *e;
  if (start->kind == TK_AWAIT) {
    advance(p);
    e = new_expr(p, E_AWAIT, span_tok(start));
    e->u.await_.value = parse_primary(p);
    e->span = span_from(p, start);
  } else {
    e = parse_primary(p);
  }
  if (cur_kind(p) == TK_DSTAR && operand_follows(p, 1, false)) {
    advance(p);
    enter_nested(p);   /* a ** b ** c ... recurses on the right */
    Expr *right = parse_factor(p);
    leave_nested(p);
    Expr *b = new_expr(p, E_BINOP, span_from(p, start));
    b->u.binop.left = e;
    b->u.binop.op = BIN_POW;
    b->u.binop.right = right;
    e = b;
  }
  return e;
}

/* factor: ('+' | '-' | '~') factor | power */
static Expr *parse_factor(Parser *p) {
  Token *t = cur(p);
  int op;
  switch (t->kind) {
    case TK_MINUS: op = UN_NEG; break;
    case TK_PLUS: op = UN_POS; break;
    case TK_TILDE: op = UN_INVERT; break;
    default: return parse_power(p);
  }
  /* -9223372036854775808 is the one literal that only fits negated */
  Token *num = op == UN_NEG ? tok_at(p, p->pos + 1) : t;
  if (op == UN_NEG && num->kind == TK_NUMBER && (num->flags & NUM_TOOBIG) && !(num->flags & NUM_IMAG) &&
      num->num.u == (uint64_t)1 << 63) {
    int after = peek_kind(p, 2);
    if (after != TK_DSTAR && after != TK_DOT && after != TK_LPAR && after != TK_LSQB) {
      advance(p);
      advance(p);
      Expr *e = new_const(p, C_INT, span_from(p, t));
      e->u.constant.i = INT64_MIN;
      return e;
    }
  }
  enter_nested(p);
  advance(p);
  Expr *operand = parse_factor(p);
  leave_nested(p);
  Expr *e = new_expr(p, E_UNARYOP, span_join(span_tok(t), operand->span));
  e->u.unary.op = op;
  e->u.unary.operand = operand;
  return e;
}

/* Binding strength of the binary operators from '|' (1) to '*' (6). */
static int binop_prec(int kind) {
  switch (kind) {
    case TK_VBAR: return 1;
    case TK_CIRCUMFLEX: return 2;
    case TK_AMPER: return 3;
    case TK_LSHIFT: case TK_RSHIFT: return 4;
    case TK_PLUS: case TK_MINUS: return 5;
    case TK_STAR: case TK_SLASH: case TK_DSLASH: case TK_PERCENT: case TK_AT: return 6;
    default: return 0;
  }
}

/* Whether the token after an operator of `len` tokens can start its
** operand. When it cannot, the operator is left alone, as CPython's PEG
** rules backtrack to the shorter expression before reporting an error. */
static bool operand_follows(Parser *p, int len, bool allow_not) {
  int k = peek_kind(p, len);
  return can_start_expression(k) && k != TK_LAMBDA && (allow_not || k != TK_NOT);
}

static Expr *parse_binary(Parser *p, int min_prec) {
  Token *start = cur(p);
  Expr *left = parse_factor(p);
  for (;;) {
    int k = cur_kind(p);
    int prec = binop_prec(k);
    if (prec == 0 || prec < min_prec || !operand_follows(p, 1, false)) return left;
    advance(p);
    Expr *right = parse_binary(p, prec + 1);
    Expr *b = new_expr(p, E_BINOP, span_from(p, start));
    b->u.binop.left = left;
    b->u.binop.op = k - TK_PLUS;
    b->u.binop.right = right;
    left = b;
  }
}

Expr *parse_bitwise_or(Parser *p) {
  return parse_binary(p, 1);
}

/* The comparison operator at the current token (consumed when its
** operand follows), or -1. */
static int parse_compare_op(Parser *p) {
  int op, len = 1;
  switch (cur_kind(p)) {
    case TK_EQEQUAL: op = CMP_EQ; break;
    case TK_NOTEQUAL: op = CMP_NE; break;
    case TK_LESS: op = CMP_LT; break;
    case TK_LESSEQUAL: op = CMP_LE; break;
    case TK_GREATER: op = CMP_GT; break;
    case TK_GREATEREQUAL: op = CMP_GE; break;
    case TK_IN: op = CMPX_IN; break;
    case TK_NOT:
      if (peek_kind(p, 1) != TK_IN) return -1;
      op = CMPX_NOT_IN;
      len = 2;
      break;
    case TK_IS:
      op = CMPX_IS;
      if (peek_kind(p, 1) == TK_NOT) {
        op = CMPX_IS_NOT;
        len = 2;
      }
      break;
    default: return -1;
  }
  if (!operand_follows(p, len, false)) return -1;
  while (len--) advance(p);
  return op;
}

static Expr *parse_comparison(Parser *p) {
  Token *start = cur(p);
  Expr *left = parse_bitwise_or(p);
  int op = parse_compare_op(p);
  if (op < 0) return left;
  ExprVec comps = {0};
  int *ops = NULL;
  int cap = 0;
  do {
    ops = vec_grow(p, ops, comps.len, &cap, sizeof(int));
    ops[comps.len] = op;
    exprvec_push(p, &comps, parse_bitwise_or(p));
  } while ((op = parse_compare_op(p)) >= 0);
  Expr *e = new_expr(p, E_COMPARE, span_from(p, start));
  e->u.compare.left = left;
  e->u.compare.ops = ops;
  e->u.compare.comparators = exprvec_list(&comps);
  return e;
}

/* inversion: 'not' inversion | comparison */
static Expr *parse_inversion(Parser *p) {
  Token *t = cur(p);
  if (t->kind != TK_NOT) return parse_comparison(p);
  enter_nested(p);
  advance(p);
  Expr *operand = parse_inversion(p);
  leave_nested(p);
  Expr *e = new_expr(p, E_UNARYOP, span_join(span_tok(t), operand->span));
  e->u.unary.op = UN_NOT;
  e->u.unary.operand = operand;
  return e;
}

/* conjunction and disjunction: one rule for 'and' and 'or' */
static Expr *parse_boolop(Parser *p, bool is_or) {
  int kw = is_or ? TK_OR : TK_AND;
  Token *start = cur(p);
  Expr *first = is_or ? parse_boolop(p, false) : parse_inversion(p);
  if (cur_kind(p) != kw || !operand_follows(p, 1, true)) return first;
  ExprVec values = {0};
  exprvec_push(p, &values, first);
  while (cur_kind(p) == kw && operand_follows(p, 1, true)) {
    advance(p);
    exprvec_push(p, &values, is_or ? parse_boolop(p, false) : parse_inversion(p));
  }
  Expr *e = new_expr(p, E_BOOLOP, span_from(p, start));
  e->u.boolop.is_or = is_or;
  e->u.boolop.values = exprvec_list(&values);
  return e;
}

Expr *parse_disjunction(Parser *p) {
  return parse_boolop(p, true);
}

/* ------------------------------------------------------------------ */
/* expression                                                          */

static Expr *parse_lambda(Parser *p) {
  Token *kw = advance(p);
  Arguments *args = parse_parameters(p, true);
  expect(p, TK_COLON);
  Expr *body = parse_expression(p);
  Expr *e = new_expr(p, E_LAMBDA, span_join(span_tok(kw), body->span));
  e->u.lambda.args = args;
  e->u.lambda.body = body;
  return e;
}

static Expr *parse_expression_without_invalid(Parser *p) {
  bool saved = p->no_invalid;
  p->no_invalid = true;
  Expr *e = parse_expression(p);
  p->no_invalid = saved;
  return e;
}

/* An expression right after another one, where the grammar has none:
** CPython's second pass tries invalid_expression (inside brackets, most
** likely a missing comma: `f(a b)`) and invalid_legacy_expression
** (`print "x"`; parsing what follows a NAME may find a better error). */
static void check_missing_comma(Parser *p, int start_pos, Expr *a) {
  if (p->no_invalid || !can_start_expression(cur_kind(p)) || p->heuristics > 16) return;
  p->heuristics++;
  const Token *first = &p->toks[start_pos];
  const Token *second = &p->toks[start_pos + 1];
  int end;
  bool name_string = first->kind == TK_NAME && second->kind == TK_STRING;
  bool legacy = a->kind == E_NAME && is_legacy_name(p, first);
  if (!name_string && !is_soft_keyword(p, first) && !legacy) {
    Expr *b = try_parse(p, p->pos, parse_expression_without_invalid, &end);
    if (b && p->toks[end - 1].level > 0)
      perr_range(p, a->span, b->span, "invalid syntax. Perhaps you forgot a comma?");
  }
  if (first->kind == TK_NAME && second->kind != TK_LPAR) {
    Expr *b = try_parse(p, start_pos + 1, parse_star_expressions, &end);
    if (!b && !p->err_generic) perr_final(p, &p->err);
    if (b && is_legacy_name(p, first)) {
      const char *name = tok_is_word(p, first, "print") ? "print" : "exec";
      perr_range(p, span_tok(first), b->span, "Missing parentheses in call to '%s'. Did you mean %s(...)?",
                 name, name);
    }
  }
  p->heuristics--;
}

/* expression: disjunction ['if' disjunction 'else' expression] | lambdef */
Expr *parse_expression(Parser *p) {
  if (cur_kind(p) == TK_LAMBDA) {
    enter_nested(p);
    Expr *l = parse_lambda(p);
    leave_nested(p);
    return l;
  }
  enter_nested(p);
  int start_pos = p->pos;
  Token *start = cur(p);
  Expr *body = parse_disjunction(p);
  if (cur_kind(p) != TK_IF) {
    check_missing_comma(p, start_pos, body);
    leave_nested(p);
    return body;
  }
  int if_pos = p->pos;
  advance(p);
  Expr *test = parse_disjunction(p);
  if (cur_kind(p) != TK_ELSE) {
    if (!p->no_invalid && cur_kind(p) != TK_COLON)
      perr_range(p, body->span, test->span, "expected 'else' after 'if' expression");
    /* PEG: the expression is the disjunction alone; the caller fails at 'if' */
    p->pos = if_pos;
    leave_nested(p);
    return body;
  }
  advance(p);
  Expr *orelse = parse_expression(p);
  leave_nested(p);
  Expr *e = new_expr(p, E_IFEXP, span_from(p, start));
  e->u.ifexp.test = test;
  e->u.ifexp.body = body;
  e->u.ifexp.orelse = orelse;
  return e;
}

/* named_expression: withy has no ':='; `x = 1` where a value is expected
** gets CPython's hints (invalid_named_expression). */
Expr *parse_named_expression(Parser *p) {
  int start_pos = p->pos;
  if (cur_kind(p) == TK_NAME && peek_kind(p, 1) == TK_COLONEQUAL)
    perr_tok(p, tok_at(p, p->pos + 1), "assignment expressions (:=) are not supported by withy");
  Expr *e = parse_expression(p);
  int k = cur_kind(p);
  if (k == TK_COLONEQUAL) perr_tok(p, cur(p), "assignment expressions (:=) are not supported by withy");
  if (k != TK_EQUAL || p->no_invalid) return e;
  int eq_pos = p->pos;
  if (e->kind == E_NAME && eq_pos == start_pos + 1) {
    int end;
    Expr *value = try_parse(p, eq_pos + 1, parse_bitwise_or, &end);
    int after = p->toks[end].kind;
    if (value && after != TK_EQUAL && after != TK_COLONEQUAL)
      perr_range(p, e->span, value->span, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?");
  } else if (meant_equality(p, start_pos, eq_pos)) {
    perr_span(p, e->span, "cannot assign to %s here. Maybe you meant '==' instead of '='?", expr_name(e));
  }
  return e;
}

static Expr *parse_starred(Parser *p) {
  Token *star = advance(p);
  Expr *s = new_expr(p, E_STARRED, span_tok(star));
  s->u.starred.value = parse_bitwise_or(p);
  s->span = span_from(p, star);
  return s;
}

/* star_named_expression: '*' bitwise_or | named_expression */
static Expr *parse_star_named_expression(Parser *p) {
  if (cur_kind(p) == TK_STAR) return parse_starred(p);
  return parse_named_expression(p);
}

static Expr *parse_star_expression(Parser *p) {
  if (cur_kind(p) == TK_STAR) return parse_starred(p);
  return parse_expression(p);
}

/* item (',' item)* [','] — a tuple when there is a comma */
static Expr *parse_item_list(Parser *p, Expr *(*item)(Parser *), bool *bare_tuple) {
  Token *start = cur(p);
  Expr *first = item(p);
  if (bare_tuple) *bare_tuple = false;
  if (cur_kind(p) != TK_COMMA) return first;
  ExprVec elts = {0};
  exprvec_push(p, &elts, first);
  while (accept(p, TK_COMMA)) {
    int k = cur_kind(p);
    if (!can_start_expression(k) && k != TK_STAR) break;
    exprvec_push(p, &elts, item(p));
  }
  if (bare_tuple) *bare_tuple = true;
  return new_seq(p, E_TUPLE, span_from(p, start), &elts);
}

Expr *parse_star_expressions_ex(Parser *p, bool *bare_tuple) {
  return parse_item_list(p, parse_star_expression, bare_tuple);
}

Expr *parse_star_expressions(Parser *p) {
  return parse_item_list(p, parse_star_expression, NULL);
}

Expr *parse_star_named_expressions(Parser *p) {
  return parse_item_list(p, parse_star_named_expression, NULL);
}

/* yield_expr: 'yield' 'from' expression | 'yield' [star_expressions] */
Expr *parse_yield_expr(Parser *p) {
  Token *kw = expect(p, TK_YIELD);
  if (accept(p, TK_FROM)) {
    Expr *e = new_expr(p, E_YIELDFROM, span_tok(kw));
    e->u.yield_.value = parse_expression(p);
    e->span = span_from(p, kw);
    return e;
  }
  Expr *e = new_expr(p, E_YIELD, span_tok(kw));
  int k = cur_kind(p);
  if (can_start_expression(k) || k == TK_STAR) e->u.yield_.value = parse_star_expressions(p);
  e->span = span_from(p, kw);
  return e;
}

Expr *parse_yield_or_star_expressions(Parser *p) {
  return cur_kind(p) == TK_YIELD ? parse_yield_expr(p) : parse_star_expressions(p);
}

/* ------------------------------------------------------------------ */
/* Targets of for and comprehensions                                   */

/* star_target: CPython reads targets with their own rules (t_primary):
** no operators, so `for a + b in c` fails at the '+' */
Expr *parse_target_item(Parser *p) {
  Token *star = cur(p);
  if (star->kind != TK_STAR) return parse_primary(p);
  advance(p);
  Expr *s = new_expr(p, E_STARRED, span_tok(star));
  s->u.starred.value = parse_primary(p);
  s->span = span_from(p, star);
  return s;
}

Expr *parse_target_list(Parser *p) {
  Token *start = cur(p);
  Expr *first = parse_target_item(p);
  if (cur_kind(p) != TK_COMMA) return first;
  ExprVec elts = {0};
  exprvec_push(p, &elts, first);
  while (accept(p, TK_COMMA)) {
    int k = cur_kind(p);
    if (k == TK_IN || (!can_start_expression(k) && k != TK_STAR)) break;
    exprvec_push(p, &elts, parse_target_item(p));
  }
  return new_seq(p, E_TUPLE, span_from(p, start), &elts);
}

static void run_target_list(Parser *p, void *ctx) {
  *(Expr **)ctx = parse_target_list(p);
}

Expr *parse_for_targets(Parser *p) {
  int target_pos = p->pos, end;
  Expr *targets = NULL;
  if (!try_run_ex(p, target_pos, run_target_list, &targets, &end, true)) {
    if (!p->err_generic) perr_final(p, &p->err);
    invalid_for_target(p, target_pos);
  }
  p->pos = end;
  return targets;
}

void invalid_for_target(Parser *p, int target_pos) {
  /* invalid_for_target: CPython reads the targets again as
  ** star_expressions, which names a bad target or a missing comma */
  int end;
  Expr *e = try_parse(p, target_pos, parse_star_expressions, &end);
  if (!e && !p->err_generic) perr_final(p, &p->err);
  if (e) check_target(p, e, FOR_TARGETS);
  perr_invalid(p);
}

/* for_if_clauses: (['async'] 'for' star_targets 'in' disjunction ('if' disjunction)*)+ */
static Comprehension *parse_comp_for(Parser *p, int *ncomp) {
  Comprehension *gens = NULL;
  int n = 0, cap = 0;
  while (at_comp_for(p)) {
    gens = vec_grow(p, gens, n, &cap, sizeof(Comprehension));
    Comprehension *c = &gens[n++];
    memset(c, 0, sizeof *c);
    c->is_async = accept(p, TK_ASYNC);
    advance(p);   /* 'for' */
    int target_pos = p->pos;
    c->target = parse_for_targets(p);
    if (cur_kind(p) != TK_IN) invalid_for_target(p, target_pos);
    check_target(p, c->target, FOR_TARGETS);
    advance(p);
    c->iter = parse_disjunction(p);
    ExprVec ifs = {0};
    while (accept(p, TK_IF)) exprvec_push(p, &ifs, parse_disjunction(p));
    c->ifs = exprvec_list(&ifs);
  }
  *ncomp = n;
  return gens;
}

/* ------------------------------------------------------------------ */
/* Parameters of def and lambda                                        */

typedef struct ArgVec { Arg *items; int n, cap; } ArgVec;

/* param: NAME [':' expression]  (lambdas take no annotations) */
static Arg parse_param(Parser *p, bool is_lambda) {
  Token *name = cur(p);
  if (name->kind != TK_NAME) perr_invalid(p);
  advance(p);
  Arg a = {tok_name(p, name), NULL, span_tok(name)};
  if (!is_lambda && accept(p, TK_COLON)) a.annotation = parse_expression(p);
  a.span = span_from(p, name);
  return a;
}

static Arg *arg_copy(Parser *p, Arg a) {
  Arg *c = palloc(p, sizeof *c);
  *c = a;
  return c;
}

static void arg_push(Parser *p, ArgVec *v, Arg a) {
  v->items = vec_grow(p, v->items, v->n, &v->cap, sizeof(Arg));
  v->items[v->n++] = a;
}

/* Everything after '**kwargs' is an error. */
_Noreturn static void after_kwarg(Parser *p) {
  Token *t = cur(p);
  if (t->kind == TK_NAME) {
    Arg a = parse_param(p, false);
    perr_span(p, a.span, "arguments cannot follow var-keyword argument");
  }
  if (t->kind == TK_STAR || t->kind == TK_DSTAR || t->kind == TK_SLASH)
    perr_tok(p, t, "arguments cannot follow var-keyword argument");
  perr_invalid(p);
}

/* '(' param (',' param)* [','] ')' — where a parameter list cannot have
** parentheses; leaves maxpos at the ')' */
static void parse_parenthesized_params(Parser *p, void *ctx) {
  bool is_lambda = *(bool *)ctx;
  expect(p, TK_LPAR);
  do {
    if (cur_kind(p) == TK_RPAR) break;
    parse_param(p, is_lambda);
  } while (accept(p, TK_COMMA));
  expect(p, TK_RPAR);
}

Arguments *parse_parameters(Parser *p, bool is_lambda) {
  int close = is_lambda ? TK_COLON : TK_RPAR;
  Arguments *args = palloc(p, sizeof *args);
  ArgVec plain = {0}, kwonly = {0};
  ExprVec defaults = {0}, kw_defaults = {0};
  bool seen_star = false, seen_dstar = false;
  while (cur_kind(p) != close) {
    Token *t = cur(p);
    if (seen_dstar) after_kwarg(p);
    if (t->kind == TK_SLASH) {
      if (args->nposonly > 0 || args->posonly) perr_tok(p, t, "/ may appear only once");
      if (seen_star) perr_tok(p, t, "/ must be ahead of *");
      if (plain.n == 0) {
        if (peek_kind(p, 1) == TK_COMMA) perr_tok(p, t, "at least one argument must precede /");
        perr_tok(p, t, "invalid syntax");
      }
      advance(p);
      args->posonly = plain.items;
      args->nposonly = plain.n;
      plain.items = NULL;
      plain.n = plain.cap = 0;
    } else if (t->kind == TK_STAR) {
      if (seen_star) perr_tok(p, t, "* argument may appear only once");
      advance(p);
      seen_star = true;
      if (cur_kind(p) == close ||
          (cur_kind(p) == TK_COMMA && (peek_kind(p, 1) == close || peek_kind(p, 1) == TK_DSTAR))) {
        /* lambda's version of the rule has no location: the last token */
        if (is_lambda) perr_last(p, 0, "named arguments must follow bare *");
        perr_tok(p, t, "named arguments must follow bare *");
      }
      if (cur_kind(p) != TK_COMMA) {
        args->vararg = arg_copy(p, parse_param(p, is_lambda));
        if (cur_kind(p) == TK_EQUAL) perr_tok(p, cur(p), "var-positional argument cannot have default value");
      }
    } else if (t->kind == TK_DSTAR) {
      advance(p);
      args->kwarg = arg_copy(p, parse_param(p, is_lambda));
      if (cur_kind(p) == TK_EQUAL) perr_tok(p, cur(p), "var-keyword argument cannot have default value");
      seen_dstar = true;
    } else if (t->kind == TK_NAME) {
      Arg a = parse_param(p, is_lambda);
      Expr *def = NULL;
      if (cur_kind(p) == TK_EQUAL) {
        Token *eq = advance(p);
        if (cur_kind(p) == TK_COMMA || cur_kind(p) == close) perr_tok(p, eq, "expected default value expression");
        def = parse_expression(p);
      }
      if (seen_star) {
        arg_push(p, &kwonly, a);
        exprvec_push(p, &kw_defaults, def);
      } else {
        if (def) exprvec_push(p, &defaults, def);
        else if (defaults.len > 0 && (cur_kind(p) == TK_COMMA || cur_kind(p) == close))
          perr_span(p, a.span, "non-default argument follows default argument");
        arg_push(p, &plain, a);
      }
    } else {
      int end;
      if (t->kind == TK_LPAR && try_run(p, p->pos, parse_parenthesized_params, &is_lambda, &end))
        perr_range(p, span_tok(t), span_tok(&p->toks[end - 1]), is_lambda
                   ? "Lambda expression parameters cannot be parenthesized"
                   : "Function parameters cannot be parenthesized");
      perr_invalid_at(p, t);
    }
    if (!accept(p, TK_COMMA)) break;
  }
  args->args = plain.items;
  args->nargs = plain.n;
  args->defaults = defaults.items;
  args->ndefaults = defaults.len;
  args->kwonly = kwonly.items;
  args->nkwonly = kwonly.n;
  args->kw_defaults = kw_defaults.items;
  return args;
}
