/* parser_internal.h — state shared by the parser's files: parse_stmt.c
** (statements, errors, the module entry), parse_expr.c (expressions,
** targets, call arguments) and parse_fstring.c (f-strings).
**
** The parser is recursive descent over the lexer's token array. Errors
** unwind with longjmp to the entry point (as Lua's parser does): every
** node lives in the parse's Arena, so nothing leaks, and no rule has to
** check for failure after each call. The first error is final: it is
** stored in CPython's form (message, 1-based line and character offsets)
** the moment it is found.
*/
#ifndef WITHY_PARSER_INTERNAL_H
#define WITHY_PARSER_INTERNAL_H

#include <setjmp.h>
#include <stdarg.h>
#include "parser.h"
#include "lexer.h"
#include "object.h"

/* Nesting of expressions that do not go through brackets (unary chains,
** lambdas, conditional expressions, f-string fields), counted per rule
** entry; brackets are limited to LEX_MAXLEVEL by the lexer already. */
enum { PARSER_MAX_DEPTH = 1000 };

typedef struct Parser {
  Arena *arena;
  const char *src;        /* the normalized, NUL-terminated source */
  size_t srclen;
  Token *toks;
  int ntoks;
  int pos;                /* the current token */
  int maxpos;             /* the furthest token looked at (CPython's
                             last fetched token: generic errors go there) */
  int fillpos;            /* ... counting error heuristics too */
  LexError lexerr;        /* the lexer's error when toks end in TK_ERROR */
  int mode;               /* ParseMode */
  int depth;
  jmp_buf *jmp;           /* where an error unwinds to */
  SyntaxErrorInfo err;    /* the error, in CPython's numbers */
  bool oom;
  bool lexfail;           /* the error is the lexer's (TK_ERROR reached) */
  int *line_starts;       /* byte offset of each line, built on the first error */
  int nlines;
  /* an f-string replacement field's expression being parsed: error
  ** offsets on its first line count from a virtual '(' before fx_start,
  ** and messages get CPython's "f-string: " prefix */
  bool fstring;
  size_t fx_start;
  int fx_line;
  int fstring_level;      /* nesting of format specs (CPython allows 2) */
  bool no_invalid;        /* parsing as CPython's *_without_invalid rules */
  bool err_generic;       /* the error is a plain "invalid syntax": inside
                             try_run it only means "this alternative failed" */
  int heuristics;         /* nesting of error heuristics (bounded) */
  int quiet_args[8];      /* '(' of call arguments that failed with the
                             heuristics off (see parse_call_trailer) */
  int nquiet_args;
  bool final_err;         /* "unexpected indent"/"unindent": CPython does not
                             look for tokenizer errors further on */
} Parser;

/* ---- tokens (parse_stmt.c) ---- */

/* The token at index i, recording it as looked at; reaching the lexer's
** TK_ERROR token fails with the lexical error. */
Token *tok_at(Parser *p, int i);
static inline Token *cur(Parser *p) { return tok_at(p, p->pos); }
static inline int cur_kind(Parser *p) { return tok_at(p, p->pos)->kind; }
static inline int peek_kind(Parser *p, int k) { return tok_at(p, p->pos + k)->kind; }
/* The token just consumed (spans end there). */
static inline Token *prev_tok(Parser *p) { return &p->toks[p->pos > 0 ? p->pos - 1 : 0]; }
Token *advance(Parser *p);
bool accept(Parser *p, int kind);
/* The current token when it is `kind`, consumed; else "invalid syntax". */
Token *expect(Parser *p, int kind);
/* A NAME token whose text is `word` (soft keywords). */
bool tok_is_word(Parser *p, const Token *t, const char *word);
/* The NAME token's text, copied into the arena. */
const char *tok_name(Parser *p, const Token *t);

/* ---- memory (parse_stmt.c) ---- */

void *palloc(Parser *p, size_t size);   /* zeroed; unwinds when out of memory */
char *pstrdup(Parser *p, const char *s, size_t len);

/* Growable arrays: push doubles the arena buffer when full. */
typedef struct ExprVec { Expr **items; int len, cap; } ExprVec;
void exprvec_push(Parser *p, ExprVec *v, Expr *e);
static inline ExprList exprvec_list(ExprVec *v) { ExprList l = {v->items, v->len}; return l; }
typedef struct StmtVec { Stmt **items; int len, cap; } StmtVec;
void stmtvec_push(Parser *p, StmtVec *v, Stmt *s);
/* Generic growth for arrays of structs (Arg, Keyword, ...). */
void *vec_grow(Parser *p, void *items, int len, int *cap, size_t elem);

/* ---- errors (parse_stmt.c); all of these unwind ---- */

/* CPython's RAISE_SYNTAX_ERROR_KNOWN_LOCATION at a token. */
_Noreturn void perr_tok(Parser *p, const Token *t, const char *fmt, ...);
/* ... at 0-based byte columns; -1 columns give CPython's 0. */
_Noreturn void perr_cols(Parser *p, int line, int col, int end_line, int end_col, const char *fmt, ...);
/* ... at a source range (byte columns, 0-based; the end exclusive). */
_Noreturn void perr_span(Parser *p, Span s, const char *fmt, ...);
_Noreturn void perr_range(Parser *p, Span from, Span to, const char *fmt, ...);
/* CPython's RAISE_SYNTAX_ERROR: at the last token looked at. kind is
** 0 SyntaxError, 1 IndentationError. */
_Noreturn void perr_last(Parser *p, int kind, const char *fmt, ...);
/* RAISE_SYNTAX_ERROR_STARTING_FROM: from a node to where the tokenizer
** stands, after token `last`. */
_Noreturn void perr_starting_from(Parser *p, Span from, const Token *last, const char *fmt, ...);
/* "invalid syntax" at the last token looked at (CPython's generic error;
** "unexpected indent" / "unexpected unindent" there). */
_Noreturn void perr_invalid(Parser *p);
_Noreturn void perr_invalid_at(Parser *p, const Token *t);
/* An error already in its final form (from an f-string's sub-parser). */
_Noreturn void perr_final(Parser *p, const SyntaxErrorInfo *e);
_Noreturn void perr_oom(Parser *p);
/* Runs fn from token `pos` with errors caught: its result, or NULL when
** it failed (the error dropped, unless out of memory or the lexer's).
** p->pos is restored; *endpos gets where fn stopped. */
typedef Expr *(*ParseFn)(Parser *p);
Expr *try_parse(Parser *p, int pos, ParseFn fn, int *endpos);
/* The same for any rule: fn(p, ctx) fills ctx. False when it failed;
** p->err then holds the dropped error. */
typedef void (*TryFn)(Parser *p, void *ctx);
bool try_run(Parser *p, int pos, TryFn fn, void *ctx, int *endpos);
/* CPython's error heuristics run on a second pass and do not move the
** place of a generic "invalid syntax": try_run forgets how far fn looked
** ahead. An alternative of the first pass (first_pass) does not. */
bool try_run_ex(Parser *p, int pos, TryFn fn, void *ctx, int *endpos, bool first_pass);
/* Counts one level of nesting; unwinds when too deep. */
void enter_nested(Parser *p);
static inline void leave_nested(Parser *p) { p->depth--; }

/* ---- spans ---- */

Span span_tok(const Token *t);
/* From token `start` to the end of the last consumed token. */
Span span_from(Parser *p, const Token *start);
Span span_join(Span a, Span b);

/* ---- nodes (parse_expr.c) ---- */

Expr *new_expr(Parser *p, ExprKind kind, Span span);
Stmt *new_stmt(Parser *p, StmtKind kind, Span span);

/* ---- expressions (parse_expr.c) ---- */

/* CPython's rule names. */
Expr *parse_expression(Parser *p);          /* expression (incl. lambda, ifexp) */
Expr *parse_named_expression(Parser *p);    /* expression, naming `:=` and `x = y` */
Expr *parse_star_expressions(Parser *p);    /* a, *b, c  (a tuple when a comma is seen) */
/* ... telling whether it built a tuple without parentheses */
Expr *parse_star_expressions_ex(Parser *p, bool *bare_tuple);
Expr *parse_atom(Parser *p);                /* an atom, without trailers */
/* The inside of '(' ... ')' (or of an f-string field, close TK_ENDMARKER):
** a group, a tuple, a generator expression or a yield. */
Expr *parse_paren_body(Parser *p, const Token *open, int close);
Expr *parse_star_named_expressions(Parser *p); /* same, with named_expression items */
Expr *parse_bitwise_or(Parser *p);
Expr *parse_disjunction(Parser *p);
Expr *parse_yield_expr(Parser *p);          /* at 'yield' */
Expr *parse_yield_or_star_expressions(Parser *p);
/* A target list as in `for t in`, `del t`: comma-separated (starred)
** bitwise_or expressions, a tuple when a comma is seen. */
Expr *parse_target_list(Parser *p);
Expr *parse_target_item(Parser *p);         /* one star_target */
/* The targets of `for`: a target list, or CPython's error for them. */
Expr *parse_for_targets(Parser *p);
/* Unwinds with CPython's error for `for` targets at target_pos that are
** not followed by 'in'. */
_Noreturn void invalid_for_target(Parser *p, int target_pos);
/* Arguments of a call or class bases; the '(' has been consumed, and
** the ')' is consumed here. */
void parse_call_args(Parser *p, ExprList *args, Keyword **kws, int *nkws, bool allow_genexp);
/* Parameters of def (allow_annotations) or lambda, up to `close`
** (TK_RPAR or TK_COLON, not consumed). */
Arguments *parse_parameters(Parser *p, bool is_lambda);
bool can_start_expression(int kind);
/* invalid_named_expression's third case: the bitwise_or at target_pos
** ends at the '=' at eq_pos, is not a list, tuple, generator expression,
** True, None or False, and the '=' is followed by a bitwise_or that is not
** followed by another '=' or ':=' — then CPython says "cannot assign to
** X here. Maybe you meant '==' instead of '='?". */
bool meant_equality(Parser *p, int target_pos, int eq_pos);

/* ---- targets (parse_expr.c) ---- */

enum TargetsType { STAR_TARGETS, DEL_TARGETS, FOR_TARGETS };
/* The first node of e that cannot be assigned (or deleted), or NULL. */
Expr *invalid_target(Expr *e, int type);
/* CPython's name of an expression kind for messages ("function call"). */
const char *expr_name(const Expr *e);
/* Unwinds with "cannot assign to %s" / "cannot delete %s" when e is not
** a valid target. */
void check_target(Parser *p, Expr *e, int type);

/* ---- strings (parse_fstring.c) ---- */

/* Adjacent string literals at the current token, concatenated: an
** E_CONST str/bytes, or an E_JOINEDSTR when one is an f-string. */
Expr *parse_strings(Parser *p);

/* Parses text[start..end) as an f-string field's expression. */
Expr *parse_fstring_field_expr(Parser *p, size_t start, size_t end, int line,
                               size_t line_start);

#endif
