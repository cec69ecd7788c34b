/* parse_stmt.c — the parser's entry point (parse_source), its token
** cursor, error reporting and memory helpers, and every statement rule.
**
** Statements follow CPython 3.11's grammar (python.gram), rule by rule,
** and so do the error messages: the `invalid_*` rules CPython tries on
** its second pass become checks made at the point where the first pass
** would fail, reporting the same text at the same place.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parser_internal.h"

/* ------------------------------------------------------------------ */
/* Tokens                                                              */

_Noreturn static void perr_lex(Parser *p);

Token *tok_at(Parser *p, int i) {
  if (i >= p->ntoks) i = p->ntoks - 1;
  if (i > p->fillpos) p->fillpos = i;
  if (i > p->maxpos) {
    p->maxpos = i;
    /* CPython's tokenizer reports its error the moment the parser asks
    ** for the token that failed */
    if (p->toks[i].kind == TK_ERROR) perr_lex(p);
  }
  return &p->toks[i];
}

Token *advance(Parser *p) {
  Token *t = cur(p);
  if (p->pos < p->ntoks - 1) p->pos++;
  return t;
}

bool accept(Parser *p, int kind) {
  if (cur_kind(p) != kind) return false;
  advance(p);
  return true;
}

Token *expect(Parser *p, int kind) {
  if (cur_kind(p) != kind) perr_invalid(p);
  return advance(p);
}

bool tok_is_word(Parser *p, const Token *t, const char *word) {
  size_t n = strlen(word);
  return t->kind == TK_NAME && t->end - t->start == n && memcmp(p->src + t->start, word, n) == 0;
}

const char *tok_name(Parser *p, const Token *t) {
  return pstrdup(p, p->src + t->start, t->end - t->start);
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */

void *palloc(Parser *p, size_t size) {
  void *mem = arena_alloc(p->arena, size);
  if (!mem) perr_oom(p);
  return mem;
}

char *pstrdup(Parser *p, const char *s, size_t len) {
  char *d = arena_strdup(p->arena, s, len);
  if (!d) perr_oom(p);
  return d;
}

void *vec_grow(Parser *p, void *items, int len, int *cap, size_t elem) {
  if (len < *cap) return items;
  int ncap = *cap ? *cap * 2 : 4;
  void *fresh = palloc(p, (size_t)ncap * elem);
  if (len) memcpy(fresh, items, (size_t)len * elem);
  *cap = ncap;
  return fresh;
}

void exprvec_push(Parser *p, ExprVec *v, Expr *e) {
  v->items = vec_grow(p, v->items, v->len, &v->cap, sizeof(Expr *));
  v->items[v->len++] = e;
}

void stmtvec_push(Parser *p, StmtVec *v, Stmt *s) {
  v->items = vec_grow(p, v->items, v->len, &v->cap, sizeof(Stmt *));
  v->items[v->len++] = s;
}

/* ------------------------------------------------------------------ */
/* Spans                                                               */

Span span_tok(const Token *t) {
  Span s = {t->line, t->col, t->end_line, t->end_col};
  return s;
}

Span span_from(Parser *p, const Token *start) {
  const Token *last = prev_tok(p);
  Span s = {start->line, start->col, last->end_line, last->end_col};
  return s;
}

Span span_join(Span a, Span b) {
  Span s = {a.line, a.col, b.end_line, b.end_col};
  return s;
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/* Byte offset where `line` starts; the table is built on the first error. */
static size_t line_start_of(Parser *p, int line) {
  if (!p->line_starts) {
    int n = 1;
    for (size_t i = 0; i < p->srclen; i++)
      if (p->src[i] == '\n') n++;
    int *starts = arena_alloc(p->arena, (size_t)(n + 1) * sizeof(int));
    if (!starts) return 0;
    int k = 0;
    starts[k++] = 0;
    for (size_t i = 0; i < p->srclen; i++)
      if (p->src[i] == '\n') starts[k++] = (int)(i + 1);
    p->line_starts = starts;
    p->nlines = k;
  }
  if (line < 1) return 0;
  if (line > p->nlines) return p->srclen;
  return (size_t)p->line_starts[line - 1];
}

/* Characters before byte column `col` of `line`, as CPython counts them:
** in an f-string field, the first line counts from a virtual '(' placed
** before the expression. */
static int char_col(Parser *p, int line, int col) {
  if (col <= 0) return col < 0 ? col : 0;
  size_t ls = line_start_of(p, line);
  size_t pos = ls + (size_t)col;
  if (pos > p->srclen) pos = p->srclen;
  if (p->fstring && line == p->fx_line && pos >= p->fx_start)
    return 1 + utf8_chars(p->src + p->fx_start, pos - p->fx_start);
  return utf8_chars(p->src + ls, pos - ls);
}

_Noreturn static void unwind(Parser *p) {
  longjmp(*p->jmp, 1);
}

static void write_msg(Parser *p, int kind, const char *text) {
  memset(&p->err, 0, sizeof p->err);
  p->err_generic = false;
  p->final_err = false;
  p->err.kind = kind;
  snprintf(p->err.msg, sizeof p->err.msg, "%s%.*s", p->fstring ? "f-string: " : "",
           (int)sizeof p->err.msg - 16, text);
}

/* A specific error; inside CPython's *_without_invalid rules there are
** none, only the failure of the rule. */
static void set_msg_text(Parser *p, int kind, const char *text) {
  if (p->no_invalid) perr_invalid(p);
  write_msg(p, kind, text);
}

static void set_msg(Parser *p, int kind, const char *fmt, va_list ap) {
  char body[sizeof p->err.msg];
  vsnprintf(body, sizeof body, fmt, ap);
  set_msg_text(p, kind, body);
}

/* CPython's RAISE_ERROR_KNOWN_LOCATION: 0-based byte columns in, 1-based
** character offsets out; a column of -1 (INDENT, DEDENT, ENDMARKER)
** becomes 0. */
/* The end offset of a range that ends on a later line: CPython converts
** it with the text of the range's first line, clamped to that line's
** length (+1). */
static int end_col_on_first_line(Parser *p, int line, int end_col) {
  size_t ls = line_start_of(p, line);
  size_t le = ls;
  while (le < p->srclen && p->src[le] != '\n') le++;
  size_t linelen = le - ls;
  size_t b = (size_t)end_col + 1;
  if (b > linelen) return utf8_chars(p->src + ls, linelen) + 1;
  return utf8_chars(p->src + ls, b);
}

_Noreturn static void raise_at(Parser *p, int kind, Span s, const char *fmt, va_list ap) {
  set_msg(p, kind, fmt, ap);
  p->err.line = s.line;
  p->err.col = s.col < 0 ? 0 : char_col(p, s.line, s.col) + 1;
  p->err.end_line = s.end_line;
  if (s.end_col < 0) p->err.end_col = 0;
  else if (s.end_line != s.line && !p->fstring) p->err.end_col = end_col_on_first_line(p, s.line, s.end_col);
  else p->err.end_col = char_col(p, s.end_line, s.end_col) + 1;
  unwind(p);
}

void perr_tok(Parser *p, const Token *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  raise_at(p, 0, span_tok(t), fmt, ap);
}

void perr_cols(Parser *p, int line, int col, int end_line, int end_col, const char *fmt, ...) {
  Span s = {line, col, end_line, end_col};
  va_list ap;
  va_start(ap, fmt);
  raise_at(p, 0, s, fmt, ap);
}

void perr_span(Parser *p, Span s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  raise_at(p, 0, s, fmt, ap);
}

void perr_range(Parser *p, Span from, Span to, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  raise_at(p, 0, span_join(from, to), fmt, ap);
}

/* CPython's RAISE_SYNTAX_ERROR without a location: at the last token
** fetched; for a token without columns, where the tokenizer stood. */
void perr_last(Parser *p, int kind, const char *fmt, ...) {
  Token *t = &p->toks[p->maxpos];
  va_list ap;
  va_start(ap, fmt);
  if (t->col >= 0) raise_at(p, kind, span_tok(t), fmt, ap);
  set_msg(p, kind, fmt, ap);
  va_end(ap);
  p->err.line = t->line;
  p->err.col = char_col(p, t->line, t->cur_col);
  p->err.end_line = t->end_line;
  p->err.end_col = -1;
  unwind(p);
}

/* _PyPegen_set_syntax_error's generic case. */
void perr_invalid(Parser *p) {
  perr_invalid_at(p, &p->toks[p->maxpos]);
}

void perr_invalid_at(Parser *p, const Token *t) {
  Span s = span_tok(t);
  if (t->kind == TK_INDENT || t->kind == TK_DEDENT) {
    write_msg(p, 1, t->kind == TK_INDENT ? "unexpected indent" : "unexpected unindent");
    p->final_err = true;
    p->err.line = t->line;
    p->err.col = char_col(p, t->line, t->cur_col);
    p->err.end_line = t->end_line;
    p->err.end_col = -1;
  } else {
    write_msg(p, 0, "invalid syntax");
    p->err.line = s.line;
    p->err.col = s.col < 0 ? 0 : char_col(p, s.line, s.col) + 1;
    p->err.end_line = s.end_line;
    p->err.end_col = s.end_col < 0 ? 0 : char_col(p, s.end_line, s.end_col) + 1;
  }
  p->err_generic = true;
  unwind(p);
}

/* RAISE_SYNTAX_ERROR_STARTING_FROM: from a node to where the tokenizer
** stands (the end of the last token fetched). */
void perr_starting_from(Parser *p, Span from, const Token *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_msg(p, 0, fmt, ap);
  va_end(ap);
  p->err.line = from.line;
  p->err.col = char_col(p, from.line, from.col) + 1;
  p->err.end_line = t->end_line;
  p->err.end_col = char_col(p, t->end_line, t->col < 0 ? t->cur_col : t->end_col);
  unwind(p);
}

void perr_final(Parser *p, const SyntaxErrorInfo *e) {
  p->err = *e;
  p->err_generic = false;
  p->final_err = false;
  unwind(p);
}

void perr_oom(Parser *p) {
  p->oom = true;
  memset(&p->err, 0, sizeof p->err);
  snprintf(p->err.msg, sizeof p->err.msg, "out of memory while parsing");
  unwind(p);
}

/* The lexer's error, already in CPython's numbers. */
static void perr_lex(Parser *p) {
  LexError *e = &p->lexerr;
  p->lexfail = true;
  memset(&p->err, 0, sizeof p->err);
  snprintf(p->err.msg, sizeof p->err.msg, "%s", e->msg);
  p->err.kind = e->kind;
  p->err.line = e->line;
  p->err.col = e->offset;
  p->err.end_line = e->end_line;
  p->err.end_col = e->end_offset;
  p->err.incomplete = e->incomplete;
  unwind(p);
}

void enter_nested(Parser *p) {
  if (++p->depth > PARSER_MAX_DEPTH) {
    Token *t = cur(p);
    Span s = span_tok(t);
    set_msg_text(p, 0, "too many nested expressions");
    p->err.line = s.line;
    p->err.col = char_col(p, s.line, s.col) + 1;
    p->err.end_line = s.end_line;
    p->err.end_col = char_col(p, s.end_line, s.end_col) + 1;
    /* inside an error heuristic, this only means the heuristic failed */
    p->err_generic = true;
    unwind(p);
  }
}

/* ------------------------------------------------------------------ */
/* Backtracking                                                        */

bool try_run(Parser *p, int pos, TryFn fn, void *ctx, int *endpos) {
  return try_run_ex(p, pos, fn, ctx, endpos, false);
}

bool try_run_ex(Parser *p, int pos, TryFn fn, void *ctx, int *endpos, bool first_pass) {
  jmp_buf here;
  jmp_buf *outer = p->jmp;
  int saved_pos = p->pos, saved_depth = p->depth, saved_max = p->maxpos;
  int saved_heuristics = p->heuristics;
  bool saved_no_invalid = p->no_invalid;
  p->jmp = &here;
  p->pos = pos;
  if (setjmp(here) == 0) {
    fn(p, ctx);
    p->jmp = outer;
    if (endpos) *endpos = p->pos;
    p->pos = saved_pos;
    if (!first_pass) p->maxpos = saved_max;
    return true;
  }
  p->jmp = outer;
  /* running out of memory, or into the lexer's error, ends the parse */
  if (p->oom || p->lexfail) unwind(p);
  p->pos = saved_pos;
  p->depth = saved_depth;
  p->heuristics = saved_heuristics;
  p->no_invalid = saved_no_invalid;
  if (!first_pass) p->maxpos = saved_max;
  if (endpos) *endpos = pos;
  return false;
}

typedef struct TryExpr { ParseFn fn; Expr *result; } TryExpr;

static void run_expr_fn(Parser *p, void *ctx) {
  TryExpr *t = ctx;
  t->result = t->fn(p);
}

Expr *try_parse(Parser *p, int pos, ParseFn fn, int *endpos) {
  TryExpr t = {fn, NULL};
  if (!try_run(p, pos, run_expr_fn, &t, endpos)) return NULL;
  return t.result;
}

/* ------------------------------------------------------------------ */
/* Blocks                                                              */

static void parse_statement(Parser *p, StmtVec *out);
static void parse_simple_stmts(Parser *p, StmtVec *out);

static StmtList stmtvec_list(StmtVec *v) {
  StmtList l = {v->items, v->len};
  return l;
}

/* block: NEWLINE INDENT statements DEDENT | simple_stmts
** `what` names the statement for "expected an indented block after ..." */
static StmtList parse_block(Parser *p, const char *what, int line) {
  StmtVec v = {0};
  if (cur_kind(p) == TK_NEWLINE) {
    advance(p);
    if (cur_kind(p) != TK_INDENT)
      perr_last(p, 1, "expected an indented block after %s on line %d", what, line);
    advance(p);
    while (cur_kind(p) != TK_DEDENT && cur_kind(p) != TK_ENDMARKER) parse_statement(p, &v);
    expect(p, TK_DEDENT);
  } else {
    parse_simple_stmts(p, &v);
  }
  return stmtvec_list(&v);
}

/* The ':' before a block. CPython insists on it ("expected ':'") after
** def, try, else and finally whatever follows; after the other headers
** only when the line ends there. */
static void expect_colon(Parser *p, bool forced) {
  if (cur_kind(p) == TK_COLON) {
    advance(p);
    return;
  }
  if (forced || cur_kind(p) == TK_NEWLINE) perr_tok(p, cur(p), "expected ':'");
  perr_invalid(p);
}

/* A compound statement's span ends with its last body statement. */
static Span span_to_body(const Token *start, StmtList body) {
  Span s = {start->line, start->col, start->end_line, start->end_col};
  if (body.len > 0) {
    Span last = body.items[body.len - 1]->span;
    s.end_line = last.end_line;
    s.end_col = last.end_col;
  }
  return s;
}

/* ------------------------------------------------------------------ */
/* Compound statements                                                 */

/* if_stmt: 'if' named_expression ':' block (elif_stmt | [else_block]) */
static Stmt *parse_if(Parser *p, bool is_elif) {
  Token *kw = advance(p);
  Expr *test = parse_named_expression(p);
  expect_colon(p, false);
  StmtList body = parse_block(p, is_elif ? "'elif' statement" : "'if' statement", kw->line);
  Stmt *s = new_stmt(p, S_IF, span_to_body(kw, body));
  s->u.if_.test = test;
  s->u.if_.body = body;
  if (cur_kind(p) == TK_ELIF) {
    Stmt *elif = parse_if(p, true);
    Stmt **one = palloc(p, sizeof(Stmt *));
    one[0] = elif;
    s->u.if_.orelse.items = one;
    s->u.if_.orelse.len = 1;
    s->span.end_line = elif->span.end_line;
    s->span.end_col = elif->span.end_col;
  } else if (cur_kind(p) == TK_ELSE) {
    Token *e = advance(p);
    expect_colon(p, true);
    s->u.if_.orelse = parse_block(p, "'else' statement", e->line);
    s->span = span_to_body(kw, s->u.if_.orelse);
  }
  return s;
}

/* [else_block] of while, for and try */
static StmtList parse_else_block(Parser *p) {
  StmtList none = {NULL, 0};
  if (cur_kind(p) != TK_ELSE) return none;
  Token *e = advance(p);
  expect_colon(p, true);
  return parse_block(p, "'else' statement", e->line);
}

static Stmt *parse_while(Parser *p) {
  Token *kw = advance(p);
  Expr *test = parse_named_expression(p);
  expect_colon(p, false);
  StmtList body = parse_block(p, "'while' statement", kw->line);
  StmtList orelse = parse_else_block(p);
  Stmt *s = new_stmt(p, S_WHILE, span_to_body(kw, orelse.len ? orelse : body));
  s->u.while_.test = test;
  s->u.while_.body = body;
  s->u.while_.orelse = orelse;
  return s;
}

/* for_stmt: ['async'] 'for' star_targets 'in' star_expressions ':' block [else_block] */
static Stmt *parse_for(Parser *p, Token *start, bool is_async) {
  Token *kw = advance(p);
  int target_pos = p->pos;
  Expr *target = parse_for_targets(p);
  if (cur_kind(p) != TK_IN) invalid_for_target(p, target_pos);
  check_target(p, target, FOR_TARGETS);
  advance(p);
  Expr *iter = parse_star_expressions(p);
  expect_colon(p, false);
  StmtList body = parse_block(p, "'for' statement", kw->line);
  StmtList orelse = parse_else_block(p);
  Stmt *s = new_stmt(p, S_FOR, span_to_body(start, orelse.len ? orelse : body));
  s->u.for_.target = target;
  s->u.for_.iter = iter;
  s->u.for_.body = body;
  s->u.for_.orelse = orelse;
  s->u.for_.is_async = is_async;
  return s;
}

/* ---- with ---- */

typedef struct WithItems { WithItem *items; int n, cap; } WithItems;

/* with_item: expression ['as' star_target &(',' | ')' | ':')] */
static void parse_with_item(Parser *p, WithItems *w) {
  Expr *ctx = parse_expression(p);
  Expr *vars = NULL;
  if (accept(p, TK_AS)) {
    /* star_target &(',' | ')' | ':'); a NEWLINE after a good target gets
    ** invalid_with_stmt's "expected ':'" from the caller */
    int target_pos = p->pos;
    vars = parse_target_item(p);
    int k = cur_kind(p);
    if (k == TK_NEWLINE && !invalid_target(vars, STAR_TARGETS)) k = TK_COLON;
    if (k != TK_COMMA && k != TK_RPAR && k != TK_COLON) {
      /* invalid_with_item: `expression 'as' expression &(',' | ')' | ':')` */
      int end;
      Expr *e = try_parse(p, target_pos, parse_expression, &end);
      k = p->toks[end].kind;
      if (e && (k == TK_COMMA || k == TK_RPAR || k == TK_COLON)) check_target(p, e, STAR_TARGETS);
      perr_invalid(p);
    }
    check_target(p, vars, STAR_TARGETS);
  }
  w->items = vec_grow(p, w->items, w->n, &w->cap, sizeof(WithItem));
  w->items[w->n].context_expr = ctx;
  w->items[w->n].optional_vars = vars;
  w->n++;
}

/* 'with' '(' ','.with_item+ ','? ')' &':' — tried first, from the '(' */
static void parse_paren_with_items(Parser *p, void *ctx) {
  WithItems *w = ctx;
  w->n = 0;
  expect(p, TK_LPAR);
  for (;;) {
    parse_with_item(p, w);
    if (!accept(p, TK_COMMA)) break;
    if (cur_kind(p) == TK_RPAR) break;
  }
  expect(p, TK_RPAR);
  if (cur_kind(p) != TK_COLON) perr_invalid(p);
}

static void parse_plain_with_items(Parser *p, void *ctx) {
  WithItems *w = ctx;
  w->n = 0;
  do parse_with_item(p, w);
  while (accept(p, TK_COMMA));
}

static Stmt *parse_with(Parser *p, Token *start, bool is_async) {
  Token *kw = advance(p);
  WithItems w = {0};
  int after_kw = p->pos, end;
  bool done = false;
  if (cur_kind(p) == TK_LPAR) {
    /* `with (a as b, c):` and `with (a, b):` are lists of items, but
    ** `with (a, b) as c:` and `with (yield):` start an expression: CPython
    ** tries the parenthesized form first and backtracks */
    done = try_run_ex(p, after_kw, parse_paren_with_items, &w, &end, true);
    if (done) {
      p->pos = end;
    } else {
      SyntaxErrorInfo first = p->err;
      bool first_generic = p->err_generic;
      if (!try_run_ex(p, after_kw, parse_plain_with_items, &w, &end, true)) {
        if (!first_generic) perr_final(p, &first);
        parse_plain_with_items(p, &w);   /* fails again, with its own error */
      }
      p->pos = end;
    }
  } else {
    parse_plain_with_items(p, &w);
  }
  expect_colon(p, false);
  StmtList body = parse_block(p, "'with' statement", kw->line);
  Stmt *s = new_stmt(p, S_WITH, span_to_body(start, body));
  s->u.with.items = w.items;
  s->u.with.nitems = w.n;
  s->u.with.body = body;
  s->u.with.is_async = is_async;
  return s;
}

/* ---- try ---- */

/* invalid_except_stmt: `except A, B:` names more types than it may */
static void parse_more_types(Parser *p, void *ctx) {
  while (accept(p, TK_COMMA)) parse_expression(p);
  if (accept(p, TK_AS)) expect(p, TK_NAME);
  expect(p, TK_COLON);
}

static void parse_except_clause(Parser *p, ExceptHandler *h) {
  Token *kw = advance(p);
  if (cur_kind(p) == TK_NEWLINE) perr_last(p, 0, "expected ':'");
  if (cur_kind(p) == TK_STAR)
    perr_range(p, span_tok(kw), span_tok(cur(p)), "except* (exception groups) is not supported by withy");
  if (cur_kind(p) != TK_COLON) {
    Expr *type = parse_expression(p);
    int end;
    if (cur_kind(p) == TK_COMMA && try_run(p, p->pos, parse_more_types, NULL, &end))
      perr_starting_from(p, type->span, &p->toks[end - 1], "multiple exception types must be parenthesized");
    h->type = type;
    if (accept(p, TK_AS)) {
      if (cur_kind(p) != TK_NAME) perr_invalid(p);
      h->name = tok_name(p, advance(p));
    }
  }
  expect_colon(p, false);
  h->body = parse_block(p, "'except' statement", kw->line);
  h->span = span_to_body(kw, h->body);
}

static Stmt *parse_try(Parser *p) {
  Token *kw = advance(p);
  expect_colon(p, true);
  StmtList body = parse_block(p, "'try' statement", kw->line);
  Stmt *s = new_stmt(p, S_TRY, span_to_body(kw, body));
  s->u.try_.body = body;
  int cap = 0;
  while (cur_kind(p) == TK_EXCEPT) {
    s->u.try_.handlers = vec_grow(p, s->u.try_.handlers, s->u.try_.nhandlers, &cap, sizeof(ExceptHandler));
    ExceptHandler *h = &s->u.try_.handlers[s->u.try_.nhandlers++];
    memset(h, 0, sizeof *h);
    parse_except_clause(p, h);
    s->span.end_line = h->span.end_line;
    s->span.end_col = h->span.end_col;
  }
  if (s->u.try_.nhandlers > 0) {
    s->u.try_.orelse = parse_else_block(p);
    if (s->u.try_.orelse.len) s->span = span_to_body(kw, s->u.try_.orelse);
  }
  if (cur_kind(p) == TK_FINALLY) {
    Token *f = advance(p);
    expect_colon(p, true);
    s->u.try_.finalbody = parse_block(p, "'finally' statement", f->line);
    s->span = span_to_body(kw, s->u.try_.finalbody);
  } else if (s->u.try_.nhandlers == 0) {
    perr_last(p, 0, "expected 'except' or 'finally' block");
  }
  return s;
}

/* ---- def and class ---- */

static Stmt *parse_funcdef(Parser *p, Token *start, bool is_async, ExprList decorators) {
  Token *kw = advance(p);
  if (cur_kind(p) != TK_NAME) perr_invalid(p);
  const char *name = tok_name(p, advance(p));
  if (cur_kind(p) != TK_LPAR) perr_tok(p, cur(p), "expected '('");
  advance(p);
  Arguments *args = parse_parameters(p, false);
  expect(p, TK_RPAR);
  Expr *returns = NULL;
  /* without an expression after it, the '->' is where ':' was expected */
  if (cur_kind(p) == TK_ARROW && can_start_expression(peek_kind(p, 1))) {
    advance(p);
    returns = parse_expression(p);
  }
  expect_colon(p, true);
  StmtList body = parse_block(p, "function definition", kw->line);
  Stmt *s = new_stmt(p, S_FUNCDEF, span_to_body(start, body));
  s->u.funcdef.name = name;
  s->u.funcdef.args = args;
  s->u.funcdef.body = body;
  s->u.funcdef.decorators = decorators;
  s->u.funcdef.returns = returns;
  s->u.funcdef.is_async = is_async;
  return s;
}

static Stmt *parse_classdef(Parser *p, ExprList decorators) {
  Token *kw = advance(p);
  if (cur_kind(p) != TK_NAME) perr_invalid(p);
  const char *name = tok_name(p, advance(p));
  ExprList bases = {NULL, 0};
  Keyword *kws = NULL;
  int nkws = 0;
  if (accept(p, TK_LPAR)) parse_call_args(p, &bases, &kws, &nkws, false);
  expect_colon(p, false);
  StmtList body = parse_block(p, "class definition", kw->line);
  Stmt *s = new_stmt(p, S_CLASSDEF, span_to_body(kw, body));
  s->u.classdef.name = name;
  s->u.classdef.bases = bases;
  s->u.classdef.keywords = kws;
  s->u.classdef.nkeywords = nkws;
  s->u.classdef.body = body;
  s->u.classdef.decorators = decorators;
  return s;
}

/* decorators: ('@' named_expression NEWLINE)+, then a def or a class */
static Stmt *parse_decorated(Parser *p) {
  ExprVec decs = {0};
  while (accept(p, TK_AT)) {
    exprvec_push(p, &decs, parse_named_expression(p));
    expect(p, TK_NEWLINE);
  }
  ExprList list = exprvec_list(&decs);
  Token *start = cur(p);
  if (start->kind == TK_DEF) return parse_funcdef(p, start, false, list);
  if (start->kind == TK_CLASS) return parse_classdef(p, list);
  if (start->kind == TK_ASYNC && peek_kind(p, 1) == TK_DEF) {
    advance(p);
    return parse_funcdef(p, start, true, list);
  }
  perr_invalid(p);
}

static Stmt *parse_async(Parser *p) {
  Token *start = advance(p);
  ExprList none = {NULL, 0};
  switch (cur_kind(p)) {
    case TK_DEF: return parse_funcdef(p, start, true, none);
    case TK_WITH: return parse_with(p, start, true);
    case TK_FOR: return parse_for(p, start, true);
    default: perr_invalid(p);
  }
}

/* `match` is a soft keyword: `match x:` heads a match statement, while
** `match = 1` and `match(x)` are ordinary code. A simple statement never
** ends with ':' at bracket level 0, so a line that does is a match. */
static bool is_match_statement(Parser *p) {
  if (!tok_is_word(p, cur(p), "match")) return false;
  int i = p->pos + 1;
  const Token *t = &p->toks[i < p->ntoks ? i : p->ntoks - 1];
  if (t->kind == TK_COLON || t->kind == TK_EQUAL || t->kind == TK_NEWLINE) return false;
  const Token *last = NULL;
  for (; i < p->ntoks; i++) {
    t = &p->toks[i];
    if (t->kind == TK_NEWLINE || t->kind == TK_ENDMARKER || t->kind == TK_ERROR || t->kind == TK_SEMI)
      break;
    last = t;
  }
  return last && last->kind == TK_COLON && last->level == 0 && t->kind == TK_NEWLINE;
}

static Stmt *parse_compound(Parser *p) {
  switch (cur_kind(p)) {
    case TK_IF: return parse_if(p, false);
    case TK_WHILE: return parse_while(p);
    case TK_FOR: return parse_for(p, cur(p), false);
    case TK_WITH: return parse_with(p, cur(p), false);
    case TK_TRY: return parse_try(p);
    case TK_DEF: {
      ExprList none = {NULL, 0};
      return parse_funcdef(p, cur(p), false, none);
    }
    case TK_CLASS: {
      ExprList none = {NULL, 0};
      return parse_classdef(p, none);
    }
    case TK_AT: return parse_decorated(p);
    case TK_ASYNC: return parse_async(p);
    default: return NULL;
  }
}

/* ------------------------------------------------------------------ */
/* Assignments and expression statements                               */

static bool is_single_target(const Expr *e) {
  return e->kind == E_NAME || e->kind == E_ATTR || e->kind == E_SUBSCRIPT;
}

/* invalid_assignment's second case reads the first target as
** star_named_expressions, so the element right before its '=' gets
** invalid_named_expression's hints: `a, f() = 1` is "cannot assign to
** function call here...", and `a = f(), x = 1` is "Maybe you meant '=='
** or ':='..." about `a = f()`. */
static void first_target_hint(Parser *p, Expr *first, int first_pos, int eq_pos) {
  if (p->toks[eq_pos - 1].kind == TK_COMMA || p->toks[first_pos].kind == TK_YIELD) return;
  int start = first_pos;
  for (int i = first_pos; i < eq_pos; i++)
    if (p->toks[i].kind == TK_COMMA && p->toks[i].level == 0) start = i + 1;
  if (p->toks[start].kind == TK_STAR) return;
  Expr *elem = first;
  if (start != first_pos && first->kind == E_TUPLE && first->u.seq.elts.len > 0)
    elem = first->u.seq.elts.items[first->u.seq.elts.len - 1];
  if (elem->kind == E_NAME && start + 1 == eq_pos) {
    int end;
    Expr *value = try_parse(p, eq_pos + 1, parse_bitwise_or, &end);
    int after = p->toks[end].kind;
    if (value && after != TK_EQUAL && after != TK_COLONEQUAL)
      perr_range(p, elem->span, value->span, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?");
    return;
  }
  if (meant_equality(p, start, eq_pos))
    perr_span(p, elem->span, "cannot assign to %s here. Maybe you meant '==' instead of '='?", expr_name(elem));
}

typedef struct AssignChain { Expr *first; int first_pos, first_eq; } AssignChain;

/* Checks the target before the '=' at eq_pos. */
static void check_assign_target(Parser *p, const AssignChain *c, Expr *t, int t_pos) {
  bool yield = (t->kind == E_YIELD || t->kind == E_YIELDFROM) && p->toks[t_pos].kind == TK_YIELD;
  Expr *bad = yield ? NULL : invalid_target(t, STAR_TARGETS);
  if (!yield && !bad) return;
  first_target_hint(p, c->first, c->first_pos, c->first_eq);
  if (yield) perr_span(p, t->span, "assignment to yield expression not possible");
  perr_span(p, bad->span, "cannot assign to %s", expr_name(bad));
}

static Expr *parse_assign_value(Parser *p) {
  return cur_kind(p) == TK_YIELD ? parse_yield_expr(p) : parse_star_expressions(p);
}

/* (star_targets '=')+ (yield_expr | star_expressions) */
static Stmt *parse_assignment(Parser *p, Token *start, Expr *first, int first_pos) {
  ExprVec parts = {0};
  exprvec_push(p, &parts, first);
  int part_pos = first_pos;
  AssignChain chain = {first, first_pos, p->pos};
  while (cur_kind(p) == TK_EQUAL) {
    check_assign_target(p, &chain, parts.items[parts.len - 1], part_pos);
    advance(p);
    part_pos = p->pos;
    exprvec_push(p, &parts, parse_assign_value(p));
  }
  Stmt *s = new_stmt(p, S_ASSIGN, span_from(p, start));
  s->u.assign.targets.items = parts.items;
  s->u.assign.targets.len = parts.len - 1;
  s->u.assign.value = parts.items[parts.len - 1];
  return s;
}

static Stmt *parse_annassign(Parser *p, Token *start, Expr *target, bool bare_tuple) {
  Token *colon = advance(p);
  Expr *annotation;
  if (is_single_target(target)) {
    annotation = parse_expression(p);
  } else {
    /* CPython's first pass fails at the ':'; its second names the bad
    ** target when an annotation follows */
    annotation = try_parse(p, p->pos, parse_expression, NULL);
    if (!annotation) perr_invalid_at(p, colon);
  }
  if (bare_tuple)
    perr_span(p, target->u.seq.elts.items[0]->span, "only single target (not tuple) can be annotated");
  if (target->kind == E_TUPLE || target->kind == E_LIST)
    perr_span(p, target->span, "only single target (not %s) can be annotated",
              target->kind == E_TUPLE ? "tuple" : "list");
  if (!is_single_target(target)) perr_span(p, target->span, "illegal target for annotation");
  Expr *value = NULL;
  if (accept(p, TK_EQUAL)) value = parse_assign_value(p);
  Stmt *s = new_stmt(p, S_ANNASSIGN, span_from(p, start));
  s->u.annassign.target = target;
  s->u.annassign.annotation = annotation;
  s->u.annassign.value = value;
  s->u.annassign.simple = target->kind == E_NAME && start->kind != TK_LPAR;
  return s;
}

static Stmt *parse_augassign(Parser *p, Token *start, Expr *target) {
  int op = cur_kind(p) - TK_PLUSEQUAL;
  advance(p);
  Expr *value = parse_assign_value(p);
  if (!is_single_target(target))
    perr_span(p, target->span, "'%s' is an illegal expression for augmented assignment", expr_name(target));
  Stmt *s = new_stmt(p, S_AUGASSIGN, span_from(p, start));
  s->u.augassign.target = target;
  s->u.augassign.op = op;
  s->u.augassign.value = value;
  return s;
}

static Stmt *parse_expr_stmt(Parser *p) {
  Token *start = cur(p);
  int first_pos = p->pos;
  bool bare = false;
  bool is_yield = cur_kind(p) == TK_YIELD;
  Expr *first = is_yield ? parse_yield_expr(p) : parse_star_expressions_ex(p, &bare);
  int k = cur_kind(p);
  if (k == TK_EQUAL) return parse_assignment(p, start, first, first_pos);
  /* a statement starting with yield can be nothing else */
  if (is_yield) k = TK_NEWLINE;
  if (k == TK_COLON) return parse_annassign(p, start, first, bare);
  if (k >= TK_PLUSEQUAL && k <= TK_ATEQUAL) return parse_augassign(p, start, first);
  Stmt *s = new_stmt(p, S_EXPR, first->span);
  s->u.expr.value = first;
  return s;
}

/* ------------------------------------------------------------------ */
/* Other simple statements                                             */

static Stmt *parse_return(Parser *p) {
  Token *kw = advance(p);
  Expr *value = NULL;
  if (cur_kind(p) != TK_NEWLINE && cur_kind(p) != TK_SEMI) value = parse_star_expressions(p);
  Stmt *s = new_stmt(p, S_RETURN, span_from(p, kw));
  s->u.return_.value = value;
  return s;
}

static Stmt *parse_raise(Parser *p) {
  Token *kw = advance(p);
  Stmt *s = new_stmt(p, S_RAISE, span_tok(kw));
  if (cur_kind(p) != TK_NEWLINE && cur_kind(p) != TK_SEMI) {
    s->u.raise.exc = parse_expression(p);
    if (accept(p, TK_FROM)) s->u.raise.cause = parse_expression(p);
  }
  s->span = span_from(p, kw);
  return s;
}

static Stmt *parse_global(Parser *p, StmtKind kind) {
  Token *kw = advance(p);
  const char **names = NULL;
  int n = 0, cap = 0;
  do {
    if (cur_kind(p) != TK_NAME) perr_invalid(p);
    names = vec_grow(p, names, n, &cap, sizeof(char *));
    names[n++] = tok_name(p, advance(p));
  } while (accept(p, TK_COMMA));
  Stmt *s = new_stmt(p, kind, span_from(p, kw));
  s->u.names.names = names;
  s->u.names.nnames = n;
  return s;
}

/* del_stmt: 'del' del_targets &(';' | NEWLINE); bad targets are named
** (invalid_del_stmt) */
static Stmt *parse_del(Parser *p) {
  Token *kw = advance(p);
  bool bare = false;
  Expr *targets = parse_star_expressions_ex(p, &bare);
  Expr *bad = invalid_target(targets, DEL_TARGETS);
  if (bad) perr_span(p, bad->span, "cannot delete %s", expr_name(bad));
  if (cur_kind(p) != TK_NEWLINE && cur_kind(p) != TK_SEMI) perr_invalid(p);
  Stmt *s = new_stmt(p, S_DEL, span_from(p, kw));
  if (bare) {
    s->u.del_.targets = targets->u.seq.elts;
  } else {
    Expr **one = palloc(p, sizeof(Expr *));
    one[0] = targets;
    s->u.del_.targets.items = one;
    s->u.del_.targets.len = 1;
  }
  return s;
}

static Stmt *parse_assert(Parser *p) {
  Token *kw = advance(p);
  Stmt *s = new_stmt(p, S_ASSERT, span_tok(kw));
  s->u.assert_.test = parse_expression(p);
  if (accept(p, TK_COMMA)) s->u.assert_.msg = parse_expression(p);
  s->span = span_from(p, kw);
  return s;
}

/* dotted_name: NAME ('.' NAME)* — the text with its dots */
static const char *parse_dotted_name(Parser *p) {
  Token *first = cur(p);
  if (first->kind != TK_NAME) perr_invalid(p);
  advance(p);
  size_t len = first->end - first->start;
  int start_pos = p->pos - 1;
  while (cur_kind(p) == TK_DOT) {
    advance(p);
    if (cur_kind(p) != TK_NAME) perr_invalid(p);
    Token *t = advance(p);
    len += 1 + (t->end - t->start);
  }
  char *s = palloc(p, len + 1);
  size_t o = 0;
  for (int i = start_pos; i < p->pos; i++) {
    const Token *t = &p->toks[i];
    if (t->kind == TK_DOT) s[o++] = '.';
    else {
      memcpy(s + o, p->src + t->start, t->end - t->start);
      o += t->end - t->start;
    }
  }
  s[o] = '\0';
  return s;
}

typedef struct AliasVec { Alias *items; int n, cap; } AliasVec;

static void push_alias(Parser *p, AliasVec *v, Token *start, const char *name) {
  const char *asname = NULL;
  if (accept(p, TK_AS)) {
    if (cur_kind(p) != TK_NAME) perr_invalid(p);
    asname = tok_name(p, advance(p));
  }
  v->items = vec_grow(p, v->items, v->n, &v->cap, sizeof(Alias));
  Alias *a = &v->items[v->n++];
  a->name = name;
  a->asname = asname;
  a->span = span_from(p, start);
}

static Stmt *parse_import(Parser *p) {
  Token *kw = advance(p);
  AliasVec v = {0};
  do {
    Token *start = cur(p);
    push_alias(p, &v, start, parse_dotted_name(p));
  } while (accept(p, TK_COMMA));
  Stmt *s = new_stmt(p, S_IMPORT, span_from(p, kw));
  s->u.import.names = v.items;
  s->u.import.nnames = v.n;
  return s;
}

/* import_from: 'from' ('.' | '...')* dotted_name 'import' targets
**            | 'from' ('.' | '...')+ 'import' targets */
static Stmt *parse_from_import(Parser *p) {
  Token *kw = advance(p);
  int level = 0;
  for (;;) {
    if (accept(p, TK_DOT)) level++;
    else if (accept(p, TK_ELLIPSIS)) level += 3;
    else break;
  }
  const char *module = NULL;
  if (level == 0 || cur_kind(p) != TK_IMPORT) module = parse_dotted_name(p);
  expect(p, TK_IMPORT);
  AliasVec v = {0};
  if (cur_kind(p) == TK_STAR) {
    Token *star = advance(p);
    v.items = vec_grow(p, v.items, v.n, &v.cap, sizeof(Alias));
    v.items[0].name = "*";
    v.items[0].span = span_tok(star);
    v.n = 1;
  } else if (accept(p, TK_LPAR)) {
    do {
      if (cur_kind(p) == TK_RPAR && v.n > 0) break;
      Token *start = cur(p);
      if (start->kind != TK_NAME) perr_invalid(p);
      push_alias(p, &v, start, tok_name(p, advance(p)));
    } while (accept(p, TK_COMMA));
    expect(p, TK_RPAR);
  } else {
    for (;;) {
      Token *start = cur(p);
      if (start->kind != TK_NAME) perr_invalid(p);
      push_alias(p, &v, start, tok_name(p, advance(p)));
      if (!accept(p, TK_COMMA)) break;
      if (cur_kind(p) == TK_NEWLINE)
        perr_last(p, 0, "trailing comma not allowed without surrounding parentheses");
    }
  }
  Stmt *s = new_stmt(p, S_IMPORTFROM, span_from(p, kw));
  s->u.importfrom.module = module;
  s->u.importfrom.names = v.items;
  s->u.importfrom.nnames = v.n;
  s->u.importfrom.level = level;
  return s;
}

static Stmt *parse_simple_stmt(Parser *p) {
  Token *t = cur(p);
  switch (t->kind) {
    case TK_PASS: case TK_BREAK: case TK_CONTINUE: {
      advance(p);
      return new_stmt(p, t->kind == TK_PASS ? S_PASS : t->kind == TK_BREAK ? S_BREAK : S_CONTINUE,
                      span_tok(t));
    }
    case TK_RETURN: return parse_return(p);
    case TK_RAISE: return parse_raise(p);
    case TK_GLOBAL: return parse_global(p, S_GLOBAL);
    case TK_NONLOCAL: return parse_global(p, S_NONLOCAL);
    case TK_DEL: return parse_del(p);
    case TK_ASSERT: return parse_assert(p);
    case TK_IMPORT: return parse_import(p);
    case TK_FROM: return parse_from_import(p);
    default: return parse_expr_stmt(p);
  }
}

/* simple_stmts: simple_stmt (';' simple_stmt)* [';'] NEWLINE */
static void parse_simple_stmts(Parser *p, StmtVec *out) {
  for (;;) {
    stmtvec_push(p, out, parse_simple_stmt(p));
    if (accept(p, TK_SEMI)) {
      if (cur_kind(p) == TK_NEWLINE) break;
      continue;
    }
    break;
  }
  expect(p, TK_NEWLINE);
}

static void parse_statement(Parser *p, StmtVec *out) {
  if (is_match_statement(p)) perr_tok(p, cur(p), "the match statement is not supported by withy");
  Stmt *s = parse_compound(p);
  if (s) stmtvec_push(p, out, s);
  else parse_simple_stmts(p, out);
}

/* ------------------------------------------------------------------ */
/* Modules                                                             */

static void parse_file_input(Parser *p, StmtVec *body) {
  while (cur_kind(p) != TK_ENDMARKER) parse_statement(p, body);
}

/* One interactive statement, compound or a line of simple ones. */
static void parse_single_input(Parser *p, StmtVec *body) {
  if (cur_kind(p) == TK_ENDMARKER) return;
  Stmt *s = parse_compound(p);
  if (s) {
    stmtvec_push(p, body, s);
    if (cur_kind(p) != TK_ENDMARKER) perr_invalid(p);
    return;
  }
  if (is_match_statement(p)) perr_tok(p, cur(p), "the match statement is not supported by withy");
  parse_simple_stmts(p, body);
  if (cur_kind(p) != TK_ENDMARKER)
    perr_tok(p, prev_tok(p), "multiple statements found while compiling a single statement");
}

/* eval: expressions NEWLINE* ENDMARKER */
static void parse_eval_input(Parser *p, StmtVec *body) {
  Token *start = cur(p);
  Expr *e = parse_expression(p);
  if (cur_kind(p) == TK_COMMA) {
    ExprVec elts = {0};
    exprvec_push(p, &elts, e);
    while (accept(p, TK_COMMA)) {
      if (cur_kind(p) == TK_NEWLINE || cur_kind(p) == TK_ENDMARKER) break;
      exprvec_push(p, &elts, parse_expression(p));
    }
    e = new_expr(p, E_TUPLE, span_from(p, start));
    e->u.seq.elts = exprvec_list(&elts);
  }
  while (accept(p, TK_NEWLINE)) {
  }
  if (cur_kind(p) != TK_ENDMARKER) perr_invalid(p);
  Stmt *s = new_stmt(p, S_EXPR, e->span);
  s->u.expr.value = e;
  stmtvec_push(p, body, s);
}

static void oom_error(SyntaxErrorInfo *err) {
  memset(err, 0, sizeof *err);
  snprintf(err->msg, sizeof err->msg, "out of memory while parsing");
}

/* Which error CPython reports when the parser failed: a tokenizer error
** anywhere in the file wins over a parser error (CPython tokenizes the
** rest of the file to look for one), and an unclosed bracket wins over a
** parser error on a later line. */
static void final_error(Parser *p, SyntaxErrorInfo *err) {
  *err = p->err;
  if (p->oom || p->lexfail) return;
  static const LexError none;
  const LexError *le = p->final_err ? &none : &p->lexerr;
  /* CPython compares the unclosed bracket's line with the line of the
  ** last token it fetched, not with the error's */
  int fill_line = p->toks[p->fillpos].line;
  bool lex_wins = le->cls == LEXERR_RAISED || (le->cls == LEXERR_EOF_PAREN && fill_line > le->paren_line);
  if (lex_wins) {
    memset(err, 0, sizeof *err);
    snprintf(err->msg, sizeof err->msg, "%s", le->msg);
    err->kind = le->kind;
    err->line = le->line;
    err->col = le->offset;
    err->end_line = le->end_line;
    err->end_col = le->end_offset;
    err->incomplete = le->incomplete;
    return;
  }
  /* the input stopped where the parser needed more (the REPL reads on):
  ** it failed at the end, or at the DEDENTs the end of input produced */
  bool at_end = true;
  for (int i = p->maxpos; i < p->ntoks && at_end; i++)
    at_end = p->toks[i].kind == TK_DEDENT || p->toks[i].kind == TK_ENDMARKER;
  err->incomplete = at_end;
}

static bool run_parser(Parser *p, StmtVec *body) {
  jmp_buf here;
  p->jmp = &here;
  if (setjmp(here) != 0) return false;
  switch (p->mode) {
    case PARSE_SINGLE: parse_single_input(p, body); break;
    case PARSE_EVAL: parse_eval_input(p, body); break;
    default: parse_file_input(p, body); break;
  }
  return true;
}

Module *parse_source(const char *src, size_t len, int mode, SyntaxErrorInfo *err) {
  memset(err, 0, sizeof *err);
  Arena *arena = arena_new();
  if (!arena) {
    oom_error(err);
    return NULL;
  }
  LexSource text;
  Token *toks;
  int ntoks;
  Parser *p = arena_alloc(arena, sizeof *p);
  if (!p || !lex_prepare(arena, src, len, &text)) goto oom;
  if (text.bad.cls != LEXERR_NONE) {
    p->lexerr = text.bad;
    p->toks = NULL;
    snprintf(err->msg, sizeof err->msg, "%s", text.bad.msg);
    err->line = text.bad.line;
    err->col = text.bad.offset;
    err->end_line = text.bad.end_line;
    err->end_col = text.bad.end_offset;
    arena_free(arena);
    return NULL;
  }
  if (!lex_tokens(arena, text.text, text.len, &toks, &ntoks, &p->lexerr)) goto oom;
  p->arena = arena;
  p->src = text.text;
  p->srclen = text.len;
  p->toks = toks;
  p->ntoks = ntoks;
  p->mode = mode;
  p->maxpos = p->fillpos = -1;
  StmtVec *body = arena_alloc(arena, sizeof *body);
  Module *m = arena_alloc(arena, sizeof *m);
  if (!body || !m) goto oom;
  if (!run_parser(p, body)) {
    final_error(p, err);
    arena_free(arena);
    return NULL;
  }
  m->body.items = body->items;
  m->body.len = body->len;
  m->arena = arena;
  return m;
oom:
  oom_error(err);
  arena_free(arena);
  return NULL;
}

void module_ast_free(Module *m) {
  if (m) arena_free(m->arena);
}
