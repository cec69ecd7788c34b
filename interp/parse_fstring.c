/* parse_fstring.c — string literals: adjacent literals concatenated,
** escapes decoded, and f-strings split into literal text and replacement
** fields (E_JOINEDSTR of E_CONST and E_FORMATTED parts).
**
** The f-string scanner follows CPython 3.11's string parser: a field's
** expression text is found by tracking quotes and brackets, then lexed
** again on its own (lex_fstring_expr) and parsed by a sub-parser as if it
** stood inside parentheses, so `f"{a, b}"` is a tuple. Errors carry
** CPython's texts and positions: the scanner's at the token after the
** literals, the sub-parser's counted from a virtual '(' before the field.
*/
#include <stdio.h>
#include <string.h>
#include "parser_internal.h"

/* Literal text collected across adjacent literals and fields. */
typedef struct StrBuf { char *s; size_t len, cap; } StrBuf;

static void buf_add(Parser *p, StrBuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap * 2 : 64;
    while (ncap < b->len + n + 1) ncap *= 2;
    char *fresh = palloc(p, ncap);
    if (b->len) memcpy(fresh, b->s, b->len);
    b->s = fresh;
    b->cap = ncap;
  }
  if (n) memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

/* The parts of one joined string (or format spec) being built. */
typedef struct Parts {
  ExprVec parts;
  StrBuf lit;       /* literal text not yet made a part */
  Span span;        /* every part gets the whole literal's span, as in CPython */
} Parts;

static void flush_literal(Parser *p, Parts *pt) {
  if (pt->lit.len == 0) return;
  Expr *c = new_expr(p, E_CONST, pt->span);
  c->u.constant.kind = C_STR;
  c->u.constant.s = pstrdup(p, pt->lit.s, pt->lit.len);
  c->u.constant.len = pt->lit.len;
  exprvec_push(p, &pt->parts, c);
  pt->lit.len = 0;
}

static Expr *finish_joined(Parser *p, Parts *pt) {
  flush_literal(p, pt);
  Expr *j = new_expr(p, E_JOINEDSTR, pt->span);
  j->u.joined.parts = exprvec_list(&pt->parts);
  return j;
}

/* A decoding error: escapes are reported where CPython's string parser
** stands (the token after the literals), non-ASCII bytes at the literal. */
_Noreturn static void decode_error(Parser *p, const Token *t, const StrDecodeError *e) {
  if (e->msg[0] == '\0') perr_oom(p);
  if (e->unicode_error) perr_last(p, 0, "%s", e->msg);
  perr_tok(p, t, "%s", e->msg);
}

/* Decodes body[0..n) of a (non-f) str literal and appends it. */
static void add_decoded(Parser *p, StrBuf *b, const Token *t, const char *body, size_t n, bool raw) {
  size_t outlen;
  StrDecodeError e;
  char *s = lex_decode_str(p->arena, body, n, raw ? STR_RAW : 0, &outlen, &e);
  if (!s) decode_error(p, t, &e);
  buf_add(p, b, s, outlen);
}

/* ------------------------------------------------------------------ */
/* f-strings                                                           */

typedef struct FScan {
  const Token *tok;      /* the f-string literal */
  const char *s;         /* the source */
  size_t end;            /* end of the literal's body */
  bool raw;
} FScan;

static void fstring_scan(Parser *p, FScan *f, size_t *pos, int level, Parts *out);

static bool is_fspace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Where the field's expression ends: at '!', ':', '=' or '}' outside
** brackets and strings (but not in '!=', '==', '<=', '>='). */
static size_t find_expr_end(Parser *p, FScan *f, size_t pos) {
  char stack[LEX_MAXLEVEL];
  int depth = 0;
  char quote = 0;
  int quote_size = 0;
  const char *s = f->s;
  for (; pos < f->end; pos++) {
    char ch = s[pos];
    if (ch == '\\') perr_last(p, 0, "f-string expression part cannot include a backslash");
    if (quote) {
      if (ch == quote) {
        if (quote_size == 3) {
          if (pos + 2 < f->end && s[pos + 1] == ch && s[pos + 2] == ch) {
            pos += 2;
            quote = 0;
          }
        } else {
          quote = 0;
        }
      }
      continue;
    }
    if (ch == '\'' || ch == '"') {
      if (pos + 2 < f->end && s[pos + 1] == ch && s[pos + 2] == ch) {
        quote_size = 3;
        pos += 2;
      } else {
        quote_size = 1;
      }
      quote = ch;
    } else if (ch == '[' || ch == '{' || ch == '(') {
      if (depth >= LEX_MAXLEVEL) perr_last(p, 0, "f-string: too many nested parenthesis");
      stack[depth++] = ch;
    } else if (ch == '#') {
      perr_last(p, 0, "f-string expression part cannot include '#'");
    } else if (depth == 0 && (ch == '!' || ch == ':' || ch == '}' || ch == '=' || ch == '>' || ch == '<')) {
      if (pos + 1 < f->end && s[pos + 1] == '=' && ch != ':' && ch != '}') {
        pos++;
        continue;
      }
      if (ch == '>' || ch == '<') continue;
      break;
    } else if (ch == ']' || ch == '}' || ch == ')') {
      if (depth == 0) perr_last(p, 0, "f-string: unmatched '%c'", ch);
      char open = stack[--depth];
      if (!((open == '(' && ch == ')') || (open == '[' && ch == ']') || (open == '{' && ch == '}')))
        perr_last(p, 0, "f-string: closing parenthesis '%c' does not match opening parenthesis '%c'", ch, open);
    }
  }
  if (quote) perr_last(p, 0, "f-string: unterminated string");
  if (depth) perr_last(p, 0, "f-string: unmatched '%c'", stack[depth - 1]);
  return pos;
}

/* The line and line start of source offset `at`, inside literal t. */
static void locate(Parser *p, const Token *t, size_t at, int *line, size_t *line_start) {
  int l = t->line;
  size_t ls = t->start - (size_t)t->col;
  for (size_t i = t->start; i < at; i++) {
    if (p->src[i] == '\n') {
      l++;
      ls = i + 1;
    }
  }
  *line = l;
  *line_start = ls;
}

_Noreturn static void expecting_brace(Parser *p) {
  perr_last(p, 0, "f-string: expecting '}'");
}

/* A replacement field starting at the '{' at *pos. */
static void fstring_field(Parser *p, FScan *f, size_t *pos, int level, Parts *out) {
  const char *s = f->s;
  if (level >= 2) perr_last(p, 0, "f-string: expressions nested too deeply");
  size_t expr_start = *pos + 1;
  size_t expr_end = find_expr_end(p, f, expr_start);
  if (expr_end >= f->end) expecting_brace(p);
  size_t k = expr_start;
  while (k < expr_end && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\f')) k++;
  if (k == expr_end) {
    char c = s[expr_end];
    if (c == '!' || c == ':' || c == '=') perr_last(p, 0, "f-string: expression required before '%c'", c);
    perr_last(p, 0, "f-string: empty expression not allowed");
  }
  int line;
  size_t line_start;
  locate(p, f->tok, expr_start, &line, &line_start);
  Expr *value = parse_fstring_field_expr(p, expr_start, expr_end, line, line_start);

  size_t at = expr_end;
  bool debug = false;
  if (s[at] == '=') {
    /* f"{x=}": the expression's text, '=' and spaces included, then its repr */
    at++;
    while (at < f->end && is_fspace(s[at])) at++;
    if (at >= f->end) expecting_brace(p);
    buf_add(p, &out->lit, s + expr_start, at - expr_start);
    debug = true;
  }
  int conversion = 0;
  if (s[at] == '!') {
    at++;
    if (at >= f->end) expecting_brace(p);
    conversion = (unsigned char)s[at++];
    if (conversion != 's' && conversion != 'r' && conversion != 'a')
      perr_last(p, 0, "f-string: invalid conversion character: expected 's', 'r', or 'a'");
  }
  Expr *spec = NULL;
  if (at < f->end && s[at] == ':') {
    at++;
    if (at >= f->end) expecting_brace(p);
    Parts sp = {{0}, {0}, out->span};
    fstring_scan(p, f, &at, level + 1, &sp);
    spec = finish_joined(p, &sp);
  }
  if (at >= f->end || s[at] != '}') expecting_brace(p);
  at++;
  if (debug && !spec && !conversion) conversion = 'r';
  flush_literal(p, out);
  Expr *fv = new_expr(p, E_FORMATTED, out->span);
  fv->u.formatted.value = value;
  fv->u.formatted.conversion = conversion;
  fv->u.formatted.spec = spec;
  exprvec_push(p, &out->parts, fv);
  *pos = at;
}

/* Literal text and fields from *pos up to the end of the literal or, in
** a format spec (level > 0), up to the '}' that closes the field. */
static void fstring_scan(Parser *p, FScan *f, size_t *pos, int level, Parts *out) {
  const char *s = f->s;
  size_t i = *pos;
  for (;;) {
    size_t lit_start = i;
    bool doubled = false;
    while (i < f->end) {
      char ch = s[i++];
      if (!f->raw && ch == '\\' && i < f->end) {
        ch = s[i++];
        if (ch == 'N') {
          /* "\N{name}": its braces are no field */
          if (i < f->end && s[i++] == '{') {
            while (i < f->end && s[i++] != '}') {
            }
          }
          continue;
        }
      }
      if (ch == '{' || ch == '}') {
        if (level == 0) {
          if (i < f->end && s[i] == ch) {
            doubled = true;
            break;
          }
          if (ch == '}') perr_last(p, 0, "f-string: single '}' is not allowed");
        }
        i--;
        break;
      }
    }
    add_decoded(p, &out->lit, f->tok, s + lit_start, i - lit_start, f->raw);
    if (doubled) {
      i++;   /* the second brace of "{{" or "}}" */
      continue;
    }
    if (i >= f->end || s[i] == '}') break;
    fstring_field(p, f, &i, level, out);
  }
  *pos = i;
}

/* ------------------------------------------------------------------ */
/* The sub-parser of a field's expression                              */

static void final_sub_error(Parser *sub, SyntaxErrorInfo *e) {
  *e = sub->err;
  if (sub->lexfail) return;
  const LexError *le = &sub->lexerr;
  if (le->cls == LEXERR_RAISED || (le->cls == LEXERR_EOF_PAREN && sub->toks[sub->fillpos].line > le->paren_line)) {
    memset(e, 0, sizeof *e);
    snprintf(e->msg, sizeof e->msg, "%s", le->msg);
    e->kind = le->kind;
    e->line = le->line;
    e->col = le->offset;
    e->end_line = le->end_line;
    e->end_col = le->end_offset;
  }
}

Expr *parse_fstring_field_expr(Parser *p, size_t start, size_t end, int line, size_t line_start) {
  Token *toks;
  int ntoks;
  Parser *sub = palloc(p, sizeof *sub);
  if (!lex_fstring_expr(p->arena, p->src, start, end, line, line_start, &toks, &ntoks, &sub->lexerr))
    perr_oom(p);
  sub->arena = p->arena;
  sub->src = p->src;
  sub->srclen = p->srclen;
  sub->toks = toks;
  sub->ntoks = ntoks;
  sub->maxpos = sub->fillpos = -1;
  sub->mode = PARSE_EVAL;
  sub->depth = p->depth;
  sub->fstring = true;
  sub->fx_start = start;
  sub->fx_line = line;
  jmp_buf here;
  sub->jmp = &here;
  if (setjmp(here) != 0) {
    if (sub->oom) perr_oom(p);
    SyntaxErrorInfo e;
    final_sub_error(sub, &e);
    perr_final(p, &e);
  }
  Token *first = cur(sub);
  Expr *e = parse_paren_body(sub, first, TK_ENDMARKER);
  return e;
}

/* ------------------------------------------------------------------ */
/* Adjacent literals                                                   */

Expr *parse_strings(Parser *p) {
  int first = p->pos;
  while (cur_kind(p) == TK_STRING) advance(p);
  int last = p->pos - 1;
  Token *t0 = &p->toks[first];
  bool bytes = (t0->flags & STR_BYTES) != 0, any_f = false;
  for (int i = first; i <= last; i++) {
    if (((p->toks[i].flags & STR_BYTES) != 0) != bytes) perr_last(p, 0, "cannot mix bytes and nonbytes literals");
    if (p->toks[i].flags & STR_F) any_f = true;
  }
  Parts pt = {{0}, {0}, span_from(p, t0)};
  for (int i = first; i <= last; i++) {
    const Token *t = &p->toks[i];
    size_t q = (t->flags & STR_TRIPLE) ? 3 : 1;
    size_t body = t->start + t->prefix_len + q;
    size_t body_end = t->end - q;
    bool raw = (t->flags & STR_RAW) != 0;
    if (bytes) {
      size_t outlen;
      StrDecodeError e;
      char *s = lex_decode_bytes(p->arena, p->src + body, body_end - body, raw ? STR_RAW : 0, &outlen, &e);
      if (!s) decode_error(p, t, &e);
      buf_add(p, &pt.lit, s, outlen);
    } else if (t->flags & STR_F) {
      FScan f = {t, p->src, body_end, raw};
      size_t pos = body;
      fstring_scan(p, &f, &pos, 0, &pt);
    } else {
      add_decoded(p, &pt.lit, t, p->src + body, body_end - body, raw);
    }
  }
  if (any_f) return finish_joined(p, &pt);
  Expr *c = new_expr(p, E_CONST, pt.span);
  c->u.constant.kind = bytes ? C_BYTES : C_STR;
  c->u.constant.s = pt.lit.s ? pt.lit.s : pstrdup(p, "", 0);
  c->u.constant.len = pt.lit.len;
  return c;
}
