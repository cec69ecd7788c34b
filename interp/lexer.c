/* lexer.c — source text to tokens (lexer.h), and the decoding of string
** literal bodies.
**
** The token rules, and the text and position of every lexical error,
** follow CPython 3.11's tokenizer: indentation measured with tabs to 8
** columns and, as a consistency check, to 1 column; brackets nesting at
** most 200 deep; number literals checked as they are scanned; a string
** literal found by its quotes, its escapes decoded later by the parser.
*/
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lexer.h"
#include "str.h"   /* uni_isidstart & co: CPython's Unicode tables (unicode.c) */

/* ------------------------------------------------------------------ */
/* UTF-8 helpers                                                        */

int utf8_chars(const char *s, size_t n) {
  int count = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
  return count;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (and *why set to
** CPython's reason) when it is invalid. */
static int utf8_seq_len(const unsigned char *s, size_t n, const char **why) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  int len;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;        /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;        /* nothing above U+10FFFF */
  } else {
    *why = "invalid start byte";
    return 0;
  }
  for (int i = 1; i < len; i++) {
    if ((size_t)i >= n || s[i] == '\n') {
      *why = "unexpected end of data";
      return 0;
    }
    unsigned b = s[i];
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
      *why = "invalid continuation byte";
      return 0;
    }
  }
  return len;
}

static uint32_t lx_utf8_decode(const unsigned char *s, int len) {
  switch (len) {
    case 1: return s[0];
    case 2: return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    case 3: return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    default:
      return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
             ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
  }
}

static int lx_utf8_encode(uint32_t cp, char *out) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* ------------------------------------------------------------------ */
/* Source preparation                                                   */

static void set_bad(LexError *e, int line, int offset, const char *fmt, ...) {
  e->cls = LEXERR_RAISED;
  e->kind = 0;
  e->line = e->end_line = line;
  e->offset = offset;
  e->end_offset = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
}

bool lex_prepare(Arena *a, const char *src, size_t len, LexSource *out) {
  memset(out, 0, sizeof *out);
  if (len >= 3 && (unsigned char)src[0] == 0xEF && (unsigned char)src[1] == 0xBB &&
      (unsigned char)src[2] == 0xBF) {
    src += 3;
    len -= 3;
  }
  /* positions are ints: a larger text is refused (as out of memory) */
  if (len > (size_t)INT_MAX / 2) return false;
  char *text = arena_alloc(a, len + 2);
  if (!text) return false;
  size_t n = 0;
  int line = 1;
  size_t line_start = 0;   /* in the output */
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c == '\r') {
      if (i + 1 < len && src[i + 1] == '\n') i++;
      c = '\n';
    }
    if (c == 0) {
      if (out->bad.cls == LEXERR_NONE)
        set_bad(&out->bad, line, utf8_chars(text + line_start, n - line_start) + 1,
                "source code cannot contain null bytes");
      c = ' ';   /* keeps the copy NUL-free for the lexer */
    }
    if (c >= 0x80) {
      const char *why = NULL;
      int sl = utf8_seq_len((const unsigned char *)src + i, len - i, &why);
      if (sl > 1) {
        memcpy(text + n, src + i, (size_t)sl);
        n += (size_t)sl;
        i += (size_t)sl - 1;
        continue;
      }
      if (out->bad.cls == LEXERR_NONE) {
        /* CPython reports the position within the line, counted in
        ** characters decoded so far. */
        int pos = utf8_chars(text + line_start, n - line_start);
        set_bad(&out->bad, line, pos + 1,
                "(unicode error) 'utf-8' codec can't decode byte 0x%02x in position %d: %s",
                c, pos, why);
      }
    }
    text[n++] = (char)c;
    if (c == '\n') {
      line++;
      line_start = n;
    }
  }
  if (n > 0 && text[n - 1] != '\n') text[n++] = '\n';
  text[n] = '\0';
  out->text = text;
  out->len = n;
  return true;
}

/* ------------------------------------------------------------------ */
/* The tokenizer state                                                  */

typedef struct Lexer {
  Arena *arena;
  const char *s;
  size_t len;              /* end of the region being lexed */
  size_t pos;
  int line;
  size_t line_start, prev_line_start;
  /* indentation: tabs to 8 columns (ind) and to 1 column (altind) */
  int ind[LEX_MAXINDENT + 1], altind[LEX_MAXINDENT + 1];
  int indent, pendin;
  int pend_line, pend_cur_col;   /* where pending INDENT/DEDENTs are */
  bool atbol;
  /* open brackets */
  int level;
  char paren[LEX_MAXLEVEL + 1];
  int paren_line[LEX_MAXLEVEL + 1];
  size_t paren_pos[LEX_MAXLEVEL + 1], paren_line_start[LEX_MAXLEVEL + 1];
  /* f-string expression mode: columns of errors on the first line count
  ** from a virtual '(' just before fexpr_start */
  bool fexpr;
  size_t fexpr_start, fexpr_line_start;
  Token *toks;
  int ntoks, cap;
  LexError *err;
  bool oom;
} Lexer;

enum { TABSIZE = 8 };

static int getc_(Lexer *lx) {
  if (lx->pos >= lx->len) return 0;
  return (unsigned char)lx->s[lx->pos++];
}

static void backup(Lexer *lx, int c) {
  if (c != 0) lx->pos--;
}

static int peekc(Lexer *lx, size_t k) {
  return lx->pos + k < lx->len ? (unsigned char)lx->s[lx->pos + k] : 0;
}

static void newline_passed(Lexer *lx) {
  lx->line++;
  lx->prev_line_start = lx->line_start;
  lx->line_start = lx->pos;
}

/* CPython's error column: characters from the line's start to pos. */
static int err_chars(Lexer *lx, size_t line_start, size_t pos) {
  if (pos < line_start) pos = line_start;
  if (lx->fexpr && line_start == lx->fexpr_line_start && pos >= lx->fexpr_start)
    return 1 + utf8_chars(lx->s + lx->fexpr_start, pos - lx->fexpr_start);
  return utf8_chars(lx->s + line_start, pos - line_start);
}

/* Byte column of pos on the current line, counted in an f-string field
** from the virtual '(' as CPython does. */
static int byte_col(Lexer *lx, size_t pos) {
  if (lx->fexpr && lx->line_start == lx->fexpr_line_start && pos >= lx->fexpr_start)
    return (int)(pos - lx->fexpr_start) + 1;
  return (int)(pos - lx->line_start);
}

static void lex_error(Lexer *lx, int cls, int kind, int line, int offset,
                      int end_offset, const char *fmt, ...) {
  LexError *e = lx->err;
  e->cls = cls;
  e->kind = kind;
  e->line = e->end_line = line;
  e->offset = offset;
  e->end_offset = end_offset;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
}

/* CPython's tokenizer syntaxerror(): positioned at the current point. */
static void lex_raise(Lexer *lx, const char *fmt, const char *arg) {
  int off = err_chars(lx, lx->line_start, lx->pos);
  char msg[200];
  snprintf(msg, sizeof msg, fmt, arg);
  lex_error(lx, LEXERR_RAISED, 0, lx->line, off, off, "%s", msg);
}

static Token *push_token(Lexer *lx) {
  if (lx->ntoks == lx->cap) {
    int ncap = lx->cap ? lx->cap * 2 : 64;
    Token *nt = arena_alloc(lx->arena, (size_t)ncap * sizeof(Token));
    if (!nt) {
      lx->oom = true;
      return NULL;
    }
    if (lx->ntoks) memcpy(nt, lx->toks, (size_t)lx->ntoks * sizeof(Token));
    lx->toks = nt;
    lx->cap = ncap;
  }
  Token *t = &lx->toks[lx->ntoks++];
  memset(t, 0, sizeof *t);
  return t;
}

/* A token spanning start..pos, all on the current line unless given. */
static Token *emit(Lexer *lx, int kind, size_t start, int line, size_t line_start) {
  Token *t = push_token(lx);
  if (!t) return NULL;
  t->kind = (uint8_t)kind;
  t->start = start;
  t->end = lx->pos;
  t->line = line;
  t->col = (int)(start - line_start);
  t->end_line = lx->line;
  t->end_col = (int)(lx->pos - lx->line_start);
  t->cur_col = t->end_col;
  t->level = (uint8_t)lx->level;
  return t;
}

/* INDENT, DEDENT, ENDMARKER: no columns of their own (CPython's -1). */
static Token *emit_virtual(Lexer *lx, int kind, int line, int cur_col) {
  Token *t = push_token(lx);
  if (!t) return NULL;
  t->kind = (uint8_t)kind;
  t->start = t->end = lx->pos;
  t->line = t->end_line = line;
  t->col = t->end_col = -1;
  t->cur_col = cur_col;
  t->level = (uint8_t)lx->level;
  return t;
}

static Token *emit_error(Lexer *lx) {
  Token *t = emit_virtual(lx, TK_ERROR, lx->line, (int)(lx->pos - lx->line_start));
  return t;
}

/* Where the end of input is, as CPython reports it: on the last line,
** after its newline. */
static void eof_position(Lexer *lx, int *line, int *cur_col) {
  if (lx->fexpr || lx->len == 0 || lx->pos < lx->len || lx->line_start != lx->len) {
    *line = lx->line;
    *cur_col = (int)(lx->pos - lx->line_start);
  } else {
    *line = lx->line - 1;
    *cur_col = (int)(lx->len - lx->prev_line_start);
  }
}

/* ------------------------------------------------------------------ */
/* Keywords and names                                                   */

static const struct { const char *s; int kind; } keywords[] = {
  {"False", TK_FALSE}, {"None", TK_NONE}, {"True", TK_TRUE}, {"and", TK_AND},
  {"as", TK_AS}, {"assert", TK_ASSERT}, {"async", TK_ASYNC}, {"await", TK_AWAIT},
  {"break", TK_BREAK}, {"class", TK_CLASS}, {"continue", TK_CONTINUE},
  {"def", TK_DEF}, {"del", TK_DEL}, {"elif", TK_ELIF}, {"else", TK_ELSE},
  {"except", TK_EXCEPT}, {"finally", TK_FINALLY}, {"for", TK_FOR},
  {"from", TK_FROM}, {"global", TK_GLOBAL}, {"if", TK_IF}, {"import", TK_IMPORT},
  {"in", TK_IN}, {"is", TK_IS}, {"lambda", TK_LAMBDA}, {"nonlocal", TK_NONLOCAL},
  {"not", TK_NOT}, {"or", TK_OR}, {"pass", TK_PASS}, {"raise", TK_RAISE},
  {"return", TK_RETURN}, {"try", TK_TRY}, {"while", TK_WHILE}, {"with", TK_WITH},
  {"yield", TK_YIELD},
};

int lex_keyword(const char *s, size_t n) {
  if (n < 2 || n > 8) return TK_NAME;
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strlen(keywords[i].s) == n && memcmp(keywords[i].s, s, n) == 0) return keywords[i].kind;
  return TK_NAME;
}

static bool is_id_start_byte(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 128;
}

static bool is_id_byte(int c) {
  return is_id_start_byte(c) || (c >= '0' && c <= '9');
}

/* A name with non-ASCII characters must be a valid identifier; otherwise
** CPython names the first offending character. */
static bool verify_identifier(Lexer *lx, size_t start) {
  size_t i = start;
  bool first = true;
  while (i < lx->pos) {
    const char *why = NULL;
    int n = utf8_seq_len((const unsigned char *)lx->s + i, lx->pos - i, &why);
    if (n == 0) n = 1;   /* cannot happen: the source was validated */
    uint32_t cp = lx_utf8_decode((const unsigned char *)lx->s + i, n);
    bool ok = first ? uni_isidstart(cp) : uni_isidcontinue(cp);
    if (!ok) {
      if (i + (size_t)n < lx->pos) lx->pos = i + (size_t)n;
      int off = err_chars(lx, lx->line_start, lx->pos);
      if (uni_isprintable(cp)) {
        char ch[5] = {0};
        lx_utf8_encode(cp, ch);
        lex_error(lx, LEXERR_RAISED, 0, lx->line, off, off, "invalid character '%s' (U+%04X)", ch, (unsigned)cp);
      } else {
        lex_error(lx, LEXERR_RAISED, 0, lx->line, off, off, "invalid non-printable character U+%04X", (unsigned)cp);
      }
      return false;
    }
    first = false;
    i += (size_t)n;
  }
  return true;
}

/* ------------------------------------------------------------------ */
/* Numbers                                                              */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_xdigit(int c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* digits and single underscores between them; returns the char after
** them, or -1 after an error */
static int decimal_tail(Lexer *lx) {
  int c;
  for (;;) {
    do c = getc_(lx); while (is_digit(c));
    if (c != '_') break;
    c = getc_(lx);
    if (!is_digit(c)) {
      backup(lx, c);
      lex_raise(lx, "invalid decimal literal", NULL);
      return -1;
    }
  }
  return c;
}

/* The rest of a keyword follows, and then no more name characters. */
static bool lookahead(Lexer *lx, const char *rest) {
  size_t i = 0;
  for (; rest[i]; i++)
    if (peekc(lx, i) != (unsigned char)rest[i]) return false;
  return !is_id_byte(peekc(lx, i));
}

/* A number may be followed by a keyword (1if x else y: CPython warns, we
** accept) but not by other name characters. c was just read. */
static bool verify_end_of_number(Lexer *lx, int c, const char *kind) {
  bool kw = false;
  switch (c) {
    case 'a': kw = lookahead(lx, "nd"); break;
    case 'e': kw = lookahead(lx, "lse"); break;
    case 'f': kw = lookahead(lx, "or"); break;
    case 'i': kw = peekc(lx, 0) == 'f' || peekc(lx, 0) == 'n' || peekc(lx, 0) == 's'; break;
    case 'o': kw = lookahead(lx, "r"); break;
    case 'n': kw = lookahead(lx, "ot"); break;
    default: break;
  }
  if (kw) return true;
  if (is_id_byte(c)) {
    backup(lx, c);
    lex_raise(lx, "invalid %s literal", kind);
    return false;
  }
  return true;
}

/* digits of a hex/octal/binary literal after its 0x prefix; c is the
** first char after the prefix. Returns the char after, or -1. */
static int radix_digits(Lexer *lx, int c, int radix, const char *kind) {
  do {
    if (c == '_') c = getc_(lx);
    bool ok = radix == 16 ? is_xdigit(c) : (c >= '0' && c < '0' + radix);
    if (!ok) {
      if (radix != 16 && is_digit(c)) {
        char d[2] = {(char)c, 0};
        char fmt[64];
        snprintf(fmt, sizeof fmt, "invalid digit '%%s' in %s literal", kind);
        lex_raise(lx, fmt, d);
        return -1;
      }
      backup(lx, c);
      lex_raise(lx, "invalid %s literal", kind);
      return -1;
    }
    do {
      c = getc_(lx);
    } while (radix == 16 ? is_xdigit(c) : (c >= '0' && c < '0' + radix));
  } while (c == '_');
  if (radix != 16 && is_digit(c)) {
    char d[2] = {(char)c, 0};
    char fmt[64];
    snprintf(fmt, sizeof fmt, "invalid digit '%%s' in %s literal", kind);
    lex_raise(lx, fmt, d);
    return -1;
  }
  return c;
}

/* The value of a scanned literal s[start..end). */
static void number_value(Lexer *lx, Token *t) {
  const char *s = lx->s + t->start;
  size_t n = t->end - t->start;
  if (s[n - 1] == 'j' || s[n - 1] == 'J') {
    t->flags |= NUM_IMAG;
    n--;
  }
  int radix = 10;
  size_t i = 0;
  if (n >= 2 && s[0] == '0' && strchr("xXoObB", s[1])) {
    radix = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
    i = 2;
  } else {
    for (size_t k = 0; k < n; k++)
      if (s[k] == '.' || s[k] == 'e' || s[k] == 'E') t->flags |= NUM_FLOAT;
    if (t->flags & NUM_IMAG) t->flags |= NUM_FLOAT;
  }
  if (t->flags & NUM_FLOAT) {
    char small[128];
    char *buf = n < sizeof small ? small : arena_alloc(lx->arena, n + 1);
    if (!buf) {
      lx->oom = true;
      return;
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
      if (s[k] != '_') buf[m++] = s[k];
    buf[m] = '\0';
    t->num.f = strtod(buf, NULL);
    return;
  }
  uint64_t v = 0;
  bool over = false;
  for (; i < n; i++) {
    int c = (unsigned char)s[i];
    if (c == '_') continue;
    int d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)radix) over = true;
    v = v * (uint64_t)radix + (uint64_t)d;
  }
  if (over || v > (uint64_t)INT64_MAX) {
    t->flags |= NUM_TOOBIG;
    if (over) v = 0;
  }
  t->num.u = v;
}

/* CPython's number scanner; start is where the literal began and c its
** first character (already read). */
static bool scan_number(Lexer *lx, size_t start, int c) {
  if (c == '0') {
    c = getc_(lx);
    if (c == 'x' || c == 'X') {
      c = radix_digits(lx, getc_(lx), 16, "hexadecimal");
      if (c < 0 || !verify_end_of_number(lx, c, "hexadecimal")) return false;
    } else if (c == 'o' || c == 'O') {
      c = radix_digits(lx, getc_(lx), 8, "octal");
      if (c < 0 || !verify_end_of_number(lx, c, "octal")) return false;
    } else if (c == 'b' || c == 'B') {
      c = radix_digits(lx, getc_(lx), 2, "binary");
      if (c < 0 || !verify_end_of_number(lx, c, "binary")) return false;
    } else {
      bool nonzero = false;
      for (;;) {   /* zeros, maybe with underscores */
        if (c == '_') {
          c = getc_(lx);
          if (!is_digit(c)) {
            backup(lx, c);
            lex_raise(lx, "invalid decimal literal", NULL);
            return false;
          }
        }
        if (c != '0') break;
        c = getc_(lx);
      }
      size_t zeros_end = lx->pos;
      if (is_digit(c)) {
        nonzero = true;
        c = decimal_tail(lx);
        if (c < 0) return false;
      }
      if (c == '.') {
        c = getc_(lx);
        goto fraction;
      } else if (c == 'e' || c == 'E') {
        goto exponent;
      } else if (c == 'j' || c == 'J') {
        goto imaginary;
      } else if (nonzero) {
        backup(lx, c);
        /* CPython gives this range in bytes, not characters */
        lex_error(lx, LEXERR_RAISED, 0, lx->line, byte_col(lx, start) + 1, byte_col(lx, zeros_end),
                  "leading zeros in decimal integer literals are not permitted; "
                  "use an 0o prefix for octal integers");
        return false;
      }
      if (!verify_end_of_number(lx, c, "decimal")) return false;
    }
  } else {
    c = decimal_tail(lx);
    if (c < 0) return false;
    if (c == '.') {
      c = getc_(lx);
    fraction:
      if (is_digit(c)) {
        c = decimal_tail(lx);
        if (c < 0) return false;
      }
    }
    if (c == 'e' || c == 'E') {
      int e;
    exponent:
      e = c;
      c = getc_(lx);
      if (c == '+' || c == '-') {
        c = getc_(lx);
        if (!is_digit(c)) {
          backup(lx, c);
          lex_raise(lx, "invalid decimal literal", NULL);
          return false;
        }
      } else if (!is_digit(c)) {
        backup(lx, c);
        if (!verify_end_of_number(lx, e, "decimal")) return false;
        backup(lx, e);
        return true;
      }
      c = decimal_tail(lx);
      if (c < 0) return false;
    }
    if (c == 'j' || c == 'J') {
    imaginary:
      c = getc_(lx);
      if (!verify_end_of_number(lx, c, "imaginary")) return false;
    } else if (!verify_end_of_number(lx, c, "decimal")) {
      return false;
    }
  }
  backup(lx, c);
  return true;
}

/* ------------------------------------------------------------------ */
/* Strings                                                              */

/* Scans a string literal whose prefix starts at start and whose opening
** quote is the next character. */
static bool scan_string(Lexer *lx, size_t start, int flags) {
  int first_line = lx->line;
  size_t first_line_start = lx->line_start;
  size_t quote_pos = lx->pos;
  int quote = getc_(lx);
  int quote_size = 1, end_quote_size = 0;
  int c = getc_(lx);
  if (c == quote) {
    c = getc_(lx);
    if (c == quote) quote_size = 3;
    else end_quote_size = 1;   /* an empty string */
  }
  if (c != quote) backup(lx, c);
  bool cont_at_end = false;
  while (end_quote_size != quote_size) {
    c = getc_(lx);
    if (c == 0 || (quote_size == 1 && c == '\n')) {
      int detected = lx->line;
      if (c == 0 && !lx->fexpr && lx->len > 0 && lx->line_start == lx->len) detected--;
      int off = err_chars(lx, first_line_start, start + 1);
      lex_error(lx, LEXERR_RAISED, 0, first_line, off, off,
                quote_size == 3 ? "unterminated triple-quoted string literal (detected at line %d)"
                                : "unterminated string literal (detected at line %d)",
                detected);
      lx->err->incomplete = c == 0 && (quote_size == 3 || cont_at_end);
      lx->pos = start + 1;
      return false;
    }
    cont_at_end = false;
    if (c == quote) {
      end_quote_size++;
    } else {
      end_quote_size = 0;
      if (c == '\n') newline_passed(lx);
      if (c == '\\') {
        c = getc_(lx);
        if (c == '\n') {
          newline_passed(lx);
          cont_at_end = true;
        }
      }
    }
  }
  Token *t = emit(lx, TK_STRING, start, first_line, first_line_start);
  if (!t) return false;
  t->flags = (uint8_t)(flags | (quote_size == 3 ? STR_TRIPLE : 0));
  t->prefix_len = (uint8_t)(quote_pos - start);
  return true;
}

/* ------------------------------------------------------------------ */
/* Operators                                                            */

static int one_char(int c) {
  switch (c) {
    case '(': return TK_LPAR;     case ')': return TK_RPAR;
    case '[': return TK_LSQB;     case ']': return TK_RSQB;
    case '{': return TK_LBRACE;   case '}': return TK_RBRACE;
    case ':': return TK_COLON;    case ',': return TK_COMMA;
    case ';': return TK_SEMI;     case '+': return TK_PLUS;
    case '-': return TK_MINUS;    case '*': return TK_STAR;
    case '/': return TK_SLASH;    case '|': return TK_VBAR;
    case '&': return TK_AMPER;    case '<': return TK_LESS;
    case '>': return TK_GREATER;  case '=': return TK_EQUAL;
    case '.': return TK_DOT;      case '%': return TK_PERCENT;
    case '~': return TK_TILDE;    case '^': return TK_CIRCUMFLEX;
    case '@': return TK_AT;       case '!': return TK_BANG;
    default: return TK_OTHER;
  }
}

static int two_chars(int c1, int c2) {
  switch (c1) {
    case '!': return c2 == '=' ? TK_NOTEQUAL : -1;
    case '%': return c2 == '=' ? TK_PERCENTEQUAL : -1;
    case '&': return c2 == '=' ? TK_AMPEREQUAL : -1;
    case '*': return c2 == '*' ? TK_DSTAR : c2 == '=' ? TK_STAREQUAL : -1;
    case '+': return c2 == '=' ? TK_PLUSEQUAL : -1;
    case '-': return c2 == '=' ? TK_MINEQUAL : c2 == '>' ? TK_ARROW : -1;
    case '/': return c2 == '/' ? TK_DSLASH : c2 == '=' ? TK_SLASHEQUAL : -1;
    case ':': return c2 == '=' ? TK_COLONEQUAL : -1;
    case '<': return c2 == '<' ? TK_LSHIFT : c2 == '=' ? TK_LESSEQUAL : c2 == '>' ? TK_LTGT : -1;
    case '=': return c2 == '=' ? TK_EQEQUAL : -1;
    case '>': return c2 == '=' ? TK_GREATEREQUAL : c2 == '>' ? TK_RSHIFT : -1;
    case '@': return c2 == '=' ? TK_ATEQUAL : -1;
    case '^': return c2 == '=' ? TK_CIRCUMFLEXEQUAL : -1;
    case '|': return c2 == '=' ? TK_VBAREQUAL : -1;
    default: return -1;
  }
}

static int three_chars(int c1, int c2, int c3) {
  if (c3 != '=') return c1 == '.' && c2 == '.' && c3 == '.' ? TK_ELLIPSIS : -1;
  if (c1 == '*' && c2 == '*') return TK_DSTAREQUAL;
  if (c1 == '/' && c2 == '/') return TK_DSLASHEQUAL;
  if (c1 == '<' && c2 == '<') return TK_LSHIFTEQUAL;
  if (c1 == '>' && c2 == '>') return TK_RSHIFTEQUAL;
  return -1;
}

static bool open_bracket(Lexer *lx, int c, size_t start) {
  if (lx->level >= LEX_MAXLEVEL) {
    lex_raise(lx, "too many nested parentheses", NULL);
    return false;
  }
  lx->paren[lx->level] = (char)c;
  lx->paren_line[lx->level] = lx->line;
  lx->paren_pos[lx->level] = start;
  lx->paren_line_start[lx->level] = lx->line_start;
  lx->level++;
  return true;
}

static bool close_bracket(Lexer *lx, int c) {
  if (lx->level == 0 || (lx->fexpr && lx->level == 1)) {
    char ch[2] = {(char)c, 0};
    lex_raise(lx, "unmatched '%s'", ch);
    return false;
  }
  lx->level--;
  int open = lx->paren[lx->level];
  if (!((open == '(' && c == ')') || (open == '[' && c == ']') || (open == '{' && c == '}'))) {
    int off = err_chars(lx, lx->line_start, lx->pos);
    if (lx->paren_line[lx->level] != lx->line)
      lex_error(lx, LEXERR_RAISED, 0, lx->line, off, off,
                "closing parenthesis '%c' does not match opening parenthesis '%c' on line %d",
                c, open, lx->paren_line[lx->level]);
    else
      lex_error(lx, LEXERR_RAISED, 0, lx->line, off, off,
                "closing parenthesis '%c' does not match opening parenthesis '%c'", c, open);
    return false;
  }
  return true;
}

/* ------------------------------------------------------------------ */
/* The main loop                                                        */

static void eof_in_brackets(Lexer *lx) {
  int i = lx->level - 1;
  int off = err_chars(lx, lx->paren_line_start[i], lx->paren_pos[i]) + 1;
  lex_error(lx, LEXERR_EOF_PAREN, 0, lx->paren_line[i], off, 0, "'%c' was never closed", lx->paren[i]);
  lx->err->paren_line = lx->paren_line[i];
  lx->err->incomplete = true;
}

/* Reads a backslash continuation (the backslash already consumed).
** Returns false after an error. */
static bool continuation(Lexer *lx) {
  int c = getc_(lx);
  if (c != '\n') {
    /* CPython: the column of the character after the backslash */
    int off = err_chars(lx, lx->line_start, lx->pos == 0 ? 0 : lx->pos - 1) + 1;
    lex_error(lx, LEXERR_PLAIN, 0, lx->line, off, 0,
              "unexpected character after line continuation character");
    return false;
  }
  newline_passed(lx);
  if (lx->pos >= lx->len) {
    int line, col;
    if (lx->level > 0) {
      eof_in_brackets(lx);
      return false;
    }
    eof_position(lx, &line, &col);
    lex_error(lx, LEXERR_PLAIN, 0, line, err_chars(lx, lx->prev_line_start, lx->len), -1,
              "unexpected EOF while parsing");
    lx->err->incomplete = true;
    return false;
  }
  return true;
}

/* Measures the indentation at the start of a line and queues INDENT or
** DEDENT tokens. Returns false after an error. */
static bool indentation(Lexer *lx, bool *blank) {
  int col = 0, altcol = 0, cont_col = 0;
  int c;
  for (;;) {
    c = getc_(lx);
    if (c == ' ') {
      col++;
      altcol++;
    } else if (c == '\t') {
      col = (col / TABSIZE + 1) * TABSIZE;
      altcol++;
    } else if (c == '\f') {
      col = altcol = 0;
    } else if (c == '\\') {
      cont_col = cont_col ? cont_col : col;
      if (!continuation(lx)) return false;
    } else {
      break;
    }
  }
  backup(lx, c);
  *blank = c == '#' || c == '\n';
  if (*blank || lx->level != 0) return true;
  if (cont_col) col = altcol = cont_col;
  if (c == 0) eof_position(lx, &lx->pend_line, &lx->pend_cur_col);
  else {
    lx->pend_line = lx->line;
    lx->pend_cur_col = (int)(lx->pos - lx->line_start);
  }
  if (col == lx->ind[lx->indent]) {
    if (altcol != lx->altind[lx->indent]) goto tab_error;
  } else if (col > lx->ind[lx->indent]) {
    if (lx->indent + 1 >= LEX_MAXINDENT) {
      lex_error(lx, LEXERR_PLAIN, 1, lx->line, 1, 0, "too many levels of indentation");
      return false;
    }
    if (altcol <= lx->altind[lx->indent]) goto tab_error;
    lx->pendin++;
    lx->indent++;
    lx->ind[lx->indent] = col;
    lx->altind[lx->indent] = altcol;
  } else {
    while (lx->indent > 0 && col < lx->ind[lx->indent]) {
      lx->pendin--;
      lx->indent--;
    }
    if (col != lx->ind[lx->indent]) {
      /* CPython reports the end of the offending line */
      size_t eol = lx->pos;
      while (eol < lx->len && lx->s[eol] != '\n') eol++;
      if (eol < lx->len) eol++;
      lex_error(lx, LEXERR_PLAIN, 1, lx->line, err_chars(lx, lx->line_start, eol), -1,
                "unindent does not match any outer indentation level");
      return false;
    }
    if (altcol != lx->altind[lx->indent]) goto tab_error;
  }
  return true;
tab_error:
  lex_error(lx, LEXERR_PLAIN, 2, lx->line, 1, 0, "inconsistent use of tabs and spaces in indentation");
  return false;
}

/* Produces the next token. Returns false at the end (ENDMARKER or an
** error token emitted) or when out of memory. */
static bool next_token(Lexer *lx) {
  int c;
  bool blank = false;
nextline:
  blank = false;
  if (lx->atbol) {
    lx->atbol = false;
    if (!indentation(lx, &blank)) goto error;
  }
  if (lx->pendin != 0) {
    int kind = lx->pendin < 0 ? TK_DEDENT : TK_INDENT;
    lx->pendin += lx->pendin < 0 ? 1 : -1;
    return emit_virtual(lx, kind, lx->pend_line, lx->pend_cur_col) != NULL;
  }
again:
  do c = getc_(lx); while (c == ' ' || c == '\t' || c == '\f');
  size_t start = lx->pos - (c != 0);
  /* CPython's NEWLINE after a comment starts where the comment does */
  size_t newline_start = start;
  if (c == '#') {
    while (c != 0 && c != '\n') c = getc_(lx);
    start = lx->pos - (c != 0);
  }
  if (c == 0) {
    if (lx->fexpr) {
      Token *t = emit(lx, TK_ENDMARKER, lx->pos, lx->line, lx->line_start);
      if (!t) return false;
      t->end_col = t->col + 1;   /* the virtual ')' */
      t->level = 0;
      return false;
    }
    if (lx->level > 0) {
      eof_in_brackets(lx);
      goto error;
    }
    int line, col;
    eof_position(lx, &line, &col);
    emit_virtual(lx, TK_ENDMARKER, line, col);
    return false;
  }
  if (is_id_start_byte(c)) {
    /* string prefixes: b r u f in CPython's legal combinations */
    bool saw_b = false, saw_r = false, saw_u = false, saw_f = false;
    for (;;) {
      if (!(saw_b || saw_u || saw_f) && (c == 'b' || c == 'B')) saw_b = true;
      else if (!(saw_b || saw_u || saw_r || saw_f) && (c == 'u' || c == 'U')) saw_u = true;
      else if (!(saw_r || saw_u) && (c == 'r' || c == 'R')) saw_r = true;
      else if (!(saw_f || saw_b || saw_u) && (c == 'f' || c == 'F')) saw_f = true;
      else break;
      c = getc_(lx);
      if (c == '"' || c == '\'') {
        backup(lx, c);
        int flags = (saw_b ? STR_BYTES : 0) | (saw_r ? STR_RAW : 0) | (saw_f ? STR_F : 0) | (saw_u ? STR_U : 0);
        if (!scan_string(lx, start, flags)) goto error;
        return true;
      }
    }
    bool nonascii = false;
    while (is_id_byte(c)) {
      if (c >= 128) nonascii = true;
      c = getc_(lx);
    }
    backup(lx, c);
    if (nonascii && !verify_identifier(lx, start)) goto error;
    Token *t = emit(lx, lex_keyword(lx->s + start, lx->pos - start), start, lx->line, lx->line_start);
    return t != NULL;
  }
  if (c == '\n') {
    size_t nl = lx->pos - 1;
    int line = lx->line;
    size_t ls = lx->line_start;
    newline_passed(lx);
    lx->atbol = !lx->fexpr;
    if (blank || lx->level > 0) goto nextline;
    Token *t = push_token(lx);
    if (!t) return false;
    t->kind = TK_NEWLINE;
    t->start = t->end = nl;
    t->line = t->end_line = line;
    t->col = (int)(newline_start - ls);
    t->end_col = t->cur_col = (int)(nl - ls);
    t->level = 0;
    return true;
  }
  if (c == '.') {
    int c2 = peekc(lx, 0);
    if (is_digit(c2)) {
      c = getc_(lx);
      goto fraction_start;
    }
    if (c2 == '.' && peekc(lx, 1) == '.') {
      lx->pos += 2;
      return emit(lx, TK_ELLIPSIS, start, lx->line, lx->line_start) != NULL;
    }
    return emit(lx, TK_DOT, start, lx->line, lx->line_start) != NULL;
  }
  if (is_digit(c)) {
    if (!scan_number(lx, start, c)) goto error;
    goto number_done;
  }
  if (c == '"' || c == '\'') {
    backup(lx, c);
    if (!scan_string(lx, start, 0)) goto error;
    return true;
  }
  if (c == '\\') {
    if (!continuation(lx)) goto error;
    goto again;
  }
  {
    int c2 = peekc(lx, 0);
    int kind = -1;
    if (c2) {
      int c3 = peekc(lx, 1);
      if (c3 && (kind = three_chars(c, c2, c3)) >= 0) {
        lx->pos += 2;
      } else if ((kind = two_chars(c, c2)) >= 0) {
        lx->pos += 1;
      }
    }
    if (kind < 0) {
      kind = one_char(c);
      if (c == '(' || c == '[' || c == '{') {
        if (!open_bracket(lx, c, start)) goto error;
      } else if (c == ')' || c == ']' || c == '}') {
        if (!close_bracket(lx, c)) goto error;
      }
    }
    return emit(lx, kind, start, lx->line, lx->line_start) != NULL;
  }

fraction_start:
  /* ".5": scan the fraction like CPython's fraction label */
  {
    if (is_digit(c)) {
      c = decimal_tail(lx);
      if (c < 0) goto error;
    }
    if (c == 'e' || c == 'E') {
      int e = c;
      c = getc_(lx);
      if (c == '+' || c == '-') {
        c = getc_(lx);
        if (!is_digit(c)) {
          backup(lx, c);
          lex_raise(lx, "invalid decimal literal", NULL);
          goto error;
        }
      } else if (!is_digit(c)) {
        backup(lx, c);
        if (!verify_end_of_number(lx, e, "decimal")) goto error;
        backup(lx, e);
        goto number_done;
      }
      c = decimal_tail(lx);
      if (c < 0) goto error;
    }
    if (c == 'j' || c == 'J') {
      c = getc_(lx);
      if (!verify_end_of_number(lx, c, "imaginary")) goto error;
    } else if (!verify_end_of_number(lx, c, "decimal")) {
      goto error;
    }
    backup(lx, c);
  }
number_done: {
    Token *t = emit(lx, TK_NUMBER, start, lx->line, lx->line_start);
    if (!t) return false;
    number_value(lx, t);
    return !lx->oom;
  }
error:
  emit_error(lx);
  return false;
}

static bool run_lexer(Lexer *lx, Token **toks, int *ntoks) {
  /* a first guess from the size of the text to lex (an f-string field
  ** lexes only its own few bytes); push_token grows it when needed */
  size_t size = lx->len - lx->pos;
  if (size / 6 > (size_t)1 << 28) return false;
  lx->cap = (int)(size / 6) + 16;
  lx->toks = arena_alloc(lx->arena, (size_t)lx->cap * sizeof(Token));
  if (!lx->toks) return false;
  while (next_token(lx)) {
  }
  if (lx->oom) return false;
  *toks = lx->toks;
  *ntoks = lx->ntoks;
  return true;
}

bool lex_tokens(Arena *a, const char *text, size_t len, Token **toks, int *ntoks, LexError *err) {
  Lexer *lx = arena_alloc(a, sizeof *lx);
  if (!lx) return false;
  memset(err, 0, sizeof *err);
  lx->arena = a;
  lx->s = text;
  lx->len = len;
  lx->line = 1;
  lx->atbol = true;
  lx->err = err;
  return run_lexer(lx, toks, ntoks);
}

bool lex_fstring_expr(Arena *a, const char *text, size_t start, size_t end, int line,
                      size_t line_start, Token **toks, int *ntoks, LexError *err) {
  Lexer *lx = arena_alloc(a, sizeof *lx);
  if (!lx) return false;
  memset(err, 0, sizeof *err);
  lx->arena = a;
  lx->s = text;
  lx->pos = start;
  lx->len = end;
  lx->line = line;
  lx->line_start = lx->prev_line_start = line_start;
  lx->fexpr = true;
  lx->fexpr_start = start;
  lx->fexpr_line_start = line_start;
  lx->level = 1;
  lx->paren[0] = '(';
  lx->paren_line[0] = line;
  lx->paren_pos[0] = start;
  lx->paren_line_start[0] = line_start;
  lx->err = err;
  return run_lexer(lx, toks, ntoks);
}

const char *tok_kind_name(int kind) {
  static const char *const names[TK_COUNT] = {
    [TK_ENDMARKER] = "ENDMARKER", [TK_NAME] = "NAME", [TK_NUMBER] = "NUMBER",
    [TK_STRING] = "STRING", [TK_NEWLINE] = "NEWLINE", [TK_INDENT] = "INDENT",
    [TK_DEDENT] = "DEDENT", [TK_ERROR] = "ERRORTOKEN",
    [TK_LPAR] = "(", [TK_RPAR] = ")", [TK_LSQB] = "[", [TK_RSQB] = "]",
    [TK_LBRACE] = "{", [TK_RBRACE] = "}", [TK_COLON] = ":", [TK_COMMA] = ",",
    [TK_SEMI] = ";", [TK_DOT] = ".", [TK_ELLIPSIS] = "...", [TK_ARROW] = "->",
    [TK_COLONEQUAL] = ":=", [TK_EQUAL] = "=", [TK_TILDE] = "~",
    [TK_PLUS] = "+", [TK_MINUS] = "-", [TK_STAR] = "*", [TK_SLASH] = "/",
    [TK_DSLASH] = "//", [TK_PERCENT] = "%", [TK_DSTAR] = "**", [TK_LSHIFT] = "<<",
    [TK_RSHIFT] = ">>", [TK_AMPER] = "&", [TK_VBAR] = "|", [TK_CIRCUMFLEX] = "^",
    [TK_AT] = "@", [TK_PLUSEQUAL] = "+=", [TK_MINEQUAL] = "-=", [TK_STAREQUAL] = "*=",
    [TK_SLASHEQUAL] = "/=", [TK_DSLASHEQUAL] = "//=", [TK_PERCENTEQUAL] = "%=",
    [TK_DSTAREQUAL] = "**=", [TK_LSHIFTEQUAL] = "<<=", [TK_RSHIFTEQUAL] = ">>=",
    [TK_AMPEREQUAL] = "&=", [TK_VBAREQUAL] = "|=", [TK_CIRCUMFLEXEQUAL] = "^=",
    [TK_ATEQUAL] = "@=", [TK_EQEQUAL] = "==", [TK_NOTEQUAL] = "!=", [TK_LESS] = "<",
    [TK_GREATER] = ">", [TK_LESSEQUAL] = "<=", [TK_GREATEREQUAL] = ">=",
    [TK_BANG] = "!", [TK_LTGT] = "<>", [TK_OTHER] = "OP",
    [TK_FALSE] = "False", [TK_NONE] = "None", [TK_TRUE] = "True", [TK_AND] = "and",
    [TK_AS] = "as", [TK_ASSERT] = "assert", [TK_ASYNC] = "async", [TK_AWAIT] = "await",
    [TK_BREAK] = "break", [TK_CLASS] = "class", [TK_CONTINUE] = "continue",
    [TK_DEF] = "def", [TK_DEL] = "del", [TK_ELIF] = "elif", [TK_ELSE] = "else",
    [TK_EXCEPT] = "except", [TK_FINALLY] = "finally", [TK_FOR] = "for",
    [TK_FROM] = "from", [TK_GLOBAL] = "global", [TK_IF] = "if", [TK_IMPORT] = "import",
    [TK_IN] = "in", [TK_IS] = "is", [TK_LAMBDA] = "lambda", [TK_NONLOCAL] = "nonlocal",
    [TK_NOT] = "not", [TK_OR] = "or", [TK_PASS] = "pass", [TK_RAISE] = "raise",
    [TK_RETURN] = "return", [TK_TRY] = "try", [TK_WHILE] = "while", [TK_WITH] = "with",
    [TK_YIELD] = "yield",
  };
  if (kind < 0 || kind >= TK_COUNT || !names[kind]) return "?";
  return names[kind];
}

/* ------------------------------------------------------------------ */
/* Escape decoding                                                      */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* CPython reports escape errors at positions in the body with every
** non-ASCII character first rewritten as a 10-character \U escape. */
static int cpython_pos(const char *body, size_t i) {
  int pos = 0;
  for (size_t k = 0; k < i; k++) {
    unsigned char c = (unsigned char)body[k];
    if (c < 0x80) pos++;
    else if ((c & 0xC0) != 0x80) pos += 10;
  }
  return pos;
}

static char *decode_escapes(Arena *a, const char *body, size_t n, bool bytes,
                            size_t *outlen, StrDecodeError *e) {
  char *out = arena_alloc(a, n + 1);   /* escapes never grow the text */
  if (!out) {
    e->msg[0] = '\0';
    return NULL;
  }
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)body[i];
    if (c != '\\' || i + 1 >= n) {
      out[o++] = (char)c;
      i++;
      continue;
    }
    size_t esc = i;
    int k = (unsigned char)body[i + 1];
    i += 2;
    switch (k) {
      case '\n': break;
      case '\\': out[o++] = '\\'; break;
      case '\'': out[o++] = '\''; break;
      case '"': out[o++] = '"'; break;
      case 'a': out[o++] = '\a'; break;
      case 'b': out[o++] = '\b'; break;
      case 'f': out[o++] = '\f'; break;
      case 'n': out[o++] = '\n'; break;
      case 'r': out[o++] = '\r'; break;
      case 't': out[o++] = '\t'; break;
      case 'v': out[o++] = '\v'; break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        uint32_t v = (uint32_t)(k - '0');
        for (int d = 0; d < 2 && i < n && body[i] >= '0' && body[i] <= '7'; d++) v = v * 8 + (uint32_t)(body[i++] - '0');
        if (bytes) out[o++] = (char)(v & 0xFF);
        else o += (size_t)lx_utf8_encode(v, out + o);
        break;
      }
      case 'x': case 'u': case 'U': {
        int want = k == 'x' ? 2 : k == 'u' ? 4 : 8;
        if (bytes && k != 'x') {
          out[o++] = '\\';
          out[o++] = (char)k;
          break;
        }
        uint32_t v = 0;
        int got = 0;
        while (got < want && i < n && hexval((unsigned char)body[i]) >= 0) {
          v = v * 16 + (uint32_t)hexval((unsigned char)body[i++]);
          got++;
        }
        if (got < want) {
          if (bytes) {
            snprintf(e->msg, sizeof e->msg, "(value error) invalid \\x escape at position %d", (int)esc);
          } else {
            snprintf(e->msg, sizeof e->msg,
                     "(unicode error) 'unicodeescape' codec can't decode bytes in position %d-%d: truncated \\%s escape",
                     cpython_pos(body, esc), cpython_pos(body, i) - 1,
                     k == 'x' ? "xXX" : k == 'u' ? "uXXXX" : "UXXXXXXXX");
          }
          e->unicode_error = true;
          return NULL;
        }
        if (bytes) {
          out[o++] = (char)v;
        } else if (v > 0x10FFFF) {
          snprintf(e->msg, sizeof e->msg,
                   "(unicode error) 'unicodeescape' codec can't decode bytes in position %d-%d: illegal Unicode character",
                   cpython_pos(body, esc), cpython_pos(body, i) - 1);
          e->unicode_error = true;
          return NULL;
        } else {
          /* lone surrogates are kept as their 3-byte form, as CPython
          ** keeps them in the str */
          o += (size_t)lx_utf8_encode(v, out + o);
        }
        break;
      }
      case 'N':
        if (!bytes) {
          size_t j = i;
          bool well_formed = j < n && body[j] == '{';
          if (well_formed) {
            while (j < n && body[j] != '}') j++;
            well_formed = j < n && j > i + 1;
          }
          if (!well_formed) {
            snprintf(e->msg, sizeof e->msg,
                     "(unicode error) 'unicodeescape' codec can't decode bytes in position %d-%d: malformed \\N character escape",
                     cpython_pos(body, esc), cpython_pos(body, j < n ? j + 1 : n) - 1);
          } else {
            snprintf(e->msg, sizeof e->msg,
                     "\\N{...} escapes are not supported by withy; write the character itself or use \\u");
          }
          e->unicode_error = true;
          return NULL;
        }
        /* fall through - in bytes \N is no escape */
      default:
        /* an unknown escape keeps its backslash (CPython only warns) */
        out[o++] = '\\';
        i--;
        break;
    }
  }
  out[o] = '\0';
  *outlen = o;
  return out;
}

char *lex_decode_str(Arena *a, const char *body, size_t n, int flags, size_t *outlen,
                     StrDecodeError *e) {
  memset(e, 0, sizeof *e);
  if (flags & STR_RAW) {
    char *s = arena_strdup(a, body, n);
    if (s) *outlen = n;
    return s;
  }
  return decode_escapes(a, body, n, false, outlen, e);
}

char *lex_decode_bytes(Arena *a, const char *body, size_t n, int flags, size_t *outlen,
                       StrDecodeError *e) {
  memset(e, 0, sizeof *e);
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)body[i] >= 0x80) {
      snprintf(e->msg, sizeof e->msg, "bytes can only contain ASCII literal characters");
      return NULL;
    }
  }
  if (flags & STR_RAW) {
    char *s = arena_strdup(a, body, n);
    if (s) *outlen = n;
    return s;
  }
  return decode_escapes(a, body, n, true, outlen, e);
}
