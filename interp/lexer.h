/* lexer.h — Python 3 tokens for the parser (parser.c), the REPL and the
** unit tests.
**
** The lexer turns a whole source text into an array of tokens up front:
** the parser then looks ahead freely and backtracks cheaply. It works on
** a normalized copy of the source (lex_prepare): "\r\n" and "\r" become
** "\n", a missing final newline is added (as CPython does), and the copy
** is NUL-terminated, so nothing ever reads past the caller's buffer.
**
** A lexical error ends the token array with a TK_ERROR token; the error
** itself (message, CPython's position, and how it ranks against the
** parser's own errors) is in the LexError.
*/
#ifndef WITHY_LEXER_H
#define WITHY_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ast.h"

/* CPython's limits: brackets nest 200 deep, blocks 100 deep. */
enum { LEX_MAXLEVEL = 200, LEX_MAXINDENT = 100 };

typedef enum TokKind {
  TK_ENDMARKER, TK_NAME, TK_NUMBER, TK_STRING, TK_NEWLINE, TK_INDENT,
  TK_DEDENT, TK_ERROR,
  /* brackets and punctuation */
  TK_LPAR, TK_RPAR, TK_LSQB, TK_RSQB, TK_LBRACE, TK_RBRACE,
  TK_COLON, TK_COMMA, TK_SEMI, TK_DOT, TK_ELLIPSIS, TK_ARROW, TK_COLONEQUAL,
  TK_EQUAL, TK_TILDE,
  /* binary operators, in BinOp order (object.h): TK_PLUS + BIN_x */
  TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_DSLASH, TK_PERCENT, TK_DSTAR,
  TK_LSHIFT, TK_RSHIFT, TK_AMPER, TK_VBAR, TK_CIRCUMFLEX, TK_AT,
  /* augmented assignment, same order: TK_PLUSEQUAL + BIN_x */
  TK_PLUSEQUAL, TK_MINEQUAL, TK_STAREQUAL, TK_SLASHEQUAL, TK_DSLASHEQUAL,
  TK_PERCENTEQUAL, TK_DSTAREQUAL, TK_LSHIFTEQUAL, TK_RSHIFTEQUAL,
  TK_AMPEREQUAL, TK_VBAREQUAL, TK_CIRCUMFLEXEQUAL, TK_ATEQUAL,
  /* comparisons */
  TK_EQEQUAL, TK_NOTEQUAL, TK_LESS, TK_GREATER, TK_LESSEQUAL, TK_GREATEREQUAL,
  /* tokens no rule accepts: '!', '<>', '$', '?', '`' */
  TK_BANG, TK_LTGT, TK_OTHER,
  /* keywords */
  TK_FALSE, TK_NONE, TK_TRUE, TK_AND, TK_AS, TK_ASSERT, TK_ASYNC, TK_AWAIT,
  TK_BREAK, TK_CLASS, TK_CONTINUE, TK_DEF, TK_DEL, TK_ELIF, TK_ELSE,
  TK_EXCEPT, TK_FINALLY, TK_FOR, TK_FROM, TK_GLOBAL, TK_IF, TK_IMPORT, TK_IN,
  TK_IS, TK_LAMBDA, TK_NONLOCAL, TK_NOT, TK_OR, TK_PASS, TK_RAISE, TK_RETURN,
  TK_TRY, TK_WHILE, TK_WITH, TK_YIELD,
  TK_COUNT
} TokKind;

/* Token.flags */
enum {
  /* TK_NUMBER */
  NUM_FLOAT = 1,     /* value in num.f */
  NUM_IMAG = 2,      /* 1j: lexed so the parser can name the feature */
  NUM_TOOBIG = 4,    /* an int that does not fit 64 bits (num.u holds the
                        low bits; exactly 2**63 is usable after unary -) */
  /* TK_STRING */
  STR_RAW = 1, STR_BYTES = 2, STR_F = 4, STR_TRIPLE = 8, STR_U = 16
};

typedef struct Token {
  uint8_t kind;
  uint8_t flags;
  uint8_t prefix_len;   /* TK_STRING: length of the r/b/f prefix */
  uint8_t level;        /* bracket depth after the token (CPython's level) */
  /* Span: 1-based line, 0-based byte column, end exclusive. INDENT, DEDENT
  ** and ENDMARKER have col == end_col == -1 like CPython's; their cur_col
  ** is where the tokenizer stood when it made them. */
  int line, col, end_line, end_col;
  int cur_col;
  size_t start, end;    /* byte offsets into the normalized source */
  union { uint64_t u; double f; } num;
} Token;

enum LexErrClass {
  LEXERR_NONE = 0,
  LEXERR_RAISED,    /* CPython raises it from the tokenizer: it wins over a
                       parser error found earlier in the file */
  LEXERR_EOF_PAREN, /* end of input inside brackets: "'(' was never closed" */
  LEXERR_PLAIN      /* indentation, tab, continuation errors: reported only
                       when the parser reaches them */
};

typedef struct LexError {
  int cls;            /* LexErrClass */
  int kind;           /* 0 SyntaxError, 1 IndentationError, 2 TabError */
  char msg[200];
  /* CPython's numbers: 1-based line, 1-based character offset, end_offset
  ** (0 when CPython has none) */
  int line, offset, end_line, end_offset;
  int paren_line;     /* LEXERR_EOF_PAREN: line of the unclosed bracket */
  bool incomplete;    /* the input ended too early (REPL: ask for more) */
} LexError;

/* Source prepared for lexing: the normalized, NUL-terminated copy. */
typedef struct LexSource {
  const char *text;
  size_t len;
  /* the first embedded NUL, or invalid UTF-8, as an error (cls != NONE) */
  LexError bad;
} LexSource;

/* Copy src[0..len) into the arena, normalized (see above); skips a UTF-8
** BOM. Returns false only when out of memory. */
bool lex_prepare(Arena *a, const char *src, size_t len, LexSource *out);

/* Tokenize text[0..len) (a LexSource text). Returns false when out of
** memory; otherwise *toks and *ntoks hold the tokens, ending with TK_ENDMARKER
** or, after a lexical error described in *err, TK_ERROR. */
bool lex_tokens(Arena *a, const char *text, size_t len, Token **toks,
                int *ntoks, LexError *err);

/* Tokenize one f-string replacement field's expression text[start..end)
** as if it were inside brackets (newlines join lines, no indentation).
** line/line_start locate `start`; error offsets are counted the way
** CPython 3.11 counts them for f-strings: from a virtual '(' before
** `start`. Ends with TK_ENDMARKER at `end` or TK_ERROR. */
bool lex_fstring_expr(Arena *a, const char *text, size_t start, size_t end,
                      int line, size_t line_start, Token **toks, int *ntoks,
                      LexError *err);

/* The keyword spelled by s[0..n), or TK_NAME. */
int lex_keyword(const char *s, size_t n);

/* A token kind's spelling for messages and tests ("'('", "NAME", ...). */
const char *tok_kind_name(int kind);

/* Number of UTF-8 characters in s[0..n) (continuation bytes not counted). */
int utf8_chars(const char *s, size_t n);

/* Decoding of string literal bodies (escapes), used by the parser. */
typedef struct StrDecodeError {
  char msg[200];
  bool unicode_error; /* CPython's "(unicode error) 'unicodeescape' codec..." */
} StrDecodeError;

/* Decode body[0..n) of a str literal (flags: STR_RAW) to UTF-8 into a new
** arena buffer; returns NULL and fills *e on a bad escape (e->msg empty:
** out of memory). */
char *lex_decode_str(Arena *a, const char *body, size_t n, int flags,
                     size_t *outlen, StrDecodeError *e);
/* Decode a bytes literal body; only ASCII characters are allowed. */
char *lex_decode_bytes(Arena *a, const char *body, size_t n, int flags,
                       size_t *outlen, StrDecodeError *e);

#endif
