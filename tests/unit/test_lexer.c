/* test_lexer.c — the tokenizer: token kinds and positions of tricky
** input (indentation, continuation lines, brackets, string prefixes,
** numbers, operators), CPython 3.11's lexical errors with their
** positions, the f-string field lexer, and the decoding of escapes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lexer.h"

typedef struct Lexed {
  Arena *arena;
  LexSource text;
  Token *toks;
  int ntoks;
  LexError err;
} Lexed;

static Lexed lex(const char *src) {
  Lexed l;
  memset(&l, 0, sizeof l);
  l.arena = arena_new();
  ck_assert_ptr_nonnull(l.arena);
  ck_assert(lex_prepare(l.arena, src, strlen(src), &l.text));
  ck_assert(lex_tokens(l.arena, l.text.text, l.text.len, &l.toks, &l.ntoks, &l.err));
  return l;
}

/* The token kinds, space-separated, as tok_kind_name spells them. */
static char *kinds(const char *src) {
  Lexed l = lex(src);
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  for (int i = 0; i < l.ntoks; i++) fprintf(out, "%s%s", i ? " " : "", tok_kind_name(l.toks[i].kind));
  fclose(out);
  arena_free(l.arena);
  return buf;
}

static void expect_kinds(const char *src, const char *want) {
  char *got = kinds(src);
  ck_assert_msg(strcmp(got, want) == 0, "%s\n  got:  %s\n  want: %s", src, got, want);
  free(got);
}

START_TEST(indentation_and_line_structure) {
  expect_kinds("if x:\n    y\n\n  # comment only\n    z\nw\n",
               "if NAME : NEWLINE INDENT NAME NEWLINE NAME NEWLINE DEDENT NAME NEWLINE ENDMARKER");
  expect_kinds("def f():\n\tif a:\n\t\tpass\n", "def NAME ( ) : NEWLINE INDENT if NAME : NEWLINE INDENT pass NEWLINE "
                                               "DEDENT DEDENT ENDMARKER");
  /* brackets and backslashes join lines; no final newline gets one */
  expect_kinds("x = (1,\n     2)\ny = 1 + \\\n    2", "NAME = ( NUMBER , NUMBER ) NEWLINE NAME = NUMBER + NUMBER "
                                                      "NEWLINE ENDMARKER");
  expect_kinds("", "ENDMARKER");
  expect_kinds("\n\n# only a comment", "ENDMARKER");
  expect_kinds("a\r\nb\rc", "NAME NEWLINE NAME NEWLINE NAME NEWLINE ENDMARKER");
}
END_TEST

START_TEST(operators_and_keywords) {
  expect_kinds("a **= b // c -> d ... e := f != g <> h @= i >>= j",
               "NAME **= NAME // NAME -> NAME ... NAME := NAME != NAME <> NAME @= NAME >>= NAME NEWLINE ENDMARKER");
  expect_kinds("x.y(not None) is True and False or await z",
               "NAME . NAME ( not None ) is True and False or await NAME NEWLINE ENDMARKER");
  expect_kinds("match case _ async", "NAME NAME NAME async NEWLINE ENDMARKER");
  expect_kinds("a $ b ! c ? d", "NAME OP NAME ! NAME OP NAME NEWLINE ENDMARKER");
  ck_assert_int_eq(lex_keyword("lambda", 6), TK_LAMBDA);
  ck_assert_int_eq(lex_keyword("lambdas", 7), TK_NAME);
  ck_assert_int_eq(lex_keyword("match", 5), TK_NAME);
}
END_TEST

START_TEST(numbers) {
  Lexed l = lex("0x_ff 0o17 0b101 1_000 1.5e3 .5 1. 2j 18446744073709551616 9223372036854775808 0 00 1if x\n");
  ck_assert_int_eq(l.err.cls, LEXERR_NONE);
  ck_assert_uint_eq(l.toks[0].num.u, 255);
  ck_assert_uint_eq(l.toks[1].num.u, 15);
  ck_assert_uint_eq(l.toks[2].num.u, 5);
  ck_assert_uint_eq(l.toks[3].num.u, 1000);
  ck_assert(l.toks[4].flags & NUM_FLOAT);
  ck_assert_double_eq(l.toks[4].num.f, 1500.0);
  ck_assert_double_eq(l.toks[5].num.f, 0.5);
  ck_assert_double_eq(l.toks[6].num.f, 1.0);
  ck_assert(l.toks[7].flags & NUM_IMAG);
  ck_assert(l.toks[8].flags & NUM_TOOBIG);
  ck_assert(l.toks[9].flags & NUM_TOOBIG);
  ck_assert_uint_eq(l.toks[9].num.u, (uint64_t)1 << 63);
  ck_assert_uint_eq(l.toks[10].num.u, 0);
  ck_assert_uint_eq(l.toks[11].num.u, 0);
  /* `1if`: the number ends before a keyword (CPython only warns) */
  ck_assert_int_eq(l.toks[12].kind, TK_NUMBER);
  ck_assert_int_eq(l.toks[13].kind, TK_IF);
  arena_free(l.arena);
}
END_TEST

START_TEST(strings_and_prefixes) {
  Lexed l = lex("rb'a' Rb\"b\" f'{x}' u'c' '''d\ne''' fr'x' br\"\" bu ub\n");
  ck_assert_int_eq(l.err.cls, LEXERR_NONE);
  ck_assert_int_eq(l.toks[0].flags, STR_RAW | STR_BYTES);
  ck_assert_int_eq(l.toks[0].prefix_len, 2);
  ck_assert_int_eq(l.toks[1].flags, STR_RAW | STR_BYTES);
  ck_assert_int_eq(l.toks[2].flags, STR_F);
  ck_assert_int_eq(l.toks[3].flags, STR_U);
  ck_assert_int_eq(l.toks[4].flags, STR_TRIPLE);
  ck_assert_int_eq(l.toks[4].line, 1);
  ck_assert_int_eq(l.toks[4].end_line, 2);
  ck_assert_int_eq(l.toks[5].flags, STR_F | STR_RAW);
  ck_assert_int_eq(l.toks[6].flags, STR_RAW | STR_BYTES);
  /* "bu" and "ub" are no prefixes: names */
  ck_assert_int_eq(l.toks[7].kind, TK_NAME);
  ck_assert_int_eq(l.toks[8].kind, TK_NAME);
  arena_free(l.arena);
}
END_TEST

/* Columns are 0-based bytes; INDENT/DEDENT/ENDMARKER have none. A
** NEWLINE after a comment starts at the comment, as in CPython. */
START_TEST(token_positions) {
  Lexed l = lex("s = '\xc3\xa9' # note\nif s:\n  pass\n");
  ck_assert_int_eq(l.toks[2].col, 4);
  ck_assert_int_eq(l.toks[2].end_col, 8);
  ck_assert_int_eq(l.toks[3].kind, TK_NEWLINE);
  ck_assert_int_eq(l.toks[3].col, 9);
  ck_assert_int_eq(l.toks[3].end_col, 15);
  ck_assert_int_eq(l.toks[8].kind, TK_INDENT);
  ck_assert_int_eq(l.toks[8].col, -1);
  ck_assert_int_eq(l.toks[8].cur_col, 2);
  ck_assert_int_eq(l.toks[9].line, 3);
  ck_assert_int_eq(l.toks[9].col, 2);
  ck_assert_int_eq(l.toks[4].level, 0);
  arena_free(l.arena);
  l = lex("f(a[1],\n  {2})\n");
  ck_assert_int_eq(l.toks[1].level, 1);
  ck_assert_int_eq(l.toks[3].level, 2);
  ck_assert_int_eq(l.toks[7].level, 2);
  ck_assert_int_eq(l.toks[7].line, 2);
  ck_assert_int_eq(l.toks[9].level, 1);
  ck_assert_int_eq(l.toks[10].level, 0);
  arena_free(l.arena);
}
END_TEST

typedef struct LexErrCase {
  const char *src;
  int cls, kind;
  const char *msg;
  int line, offset, end_offset;
  bool incomplete;
} LexErrCase;

/* Messages and positions checked against CPython 3.11. */
static const LexErrCase lex_errors[] = {
  {"x = 'abc\n", LEXERR_RAISED, 0, "unterminated string literal (detected at line 1)", 1, 5, 5, false},
  {"x = '''abc\n\n\n", LEXERR_RAISED, 0, "unterminated triple-quoted string literal (detected at line 3)", 1, 5, 5,
   true},
  {"x = (1,\n2\n", LEXERR_EOF_PAREN, 0, "'(' was never closed", 1, 5, 0, true},
  {"x = 1)\n", LEXERR_RAISED, 0, "unmatched ')'", 1, 6, 6, false},
  {"x = (1]\n", LEXERR_RAISED, 0, "closing parenthesis ']' does not match opening parenthesis '('", 1, 7, 7, false},
  {"x = (1,\n2]\n", LEXERR_RAISED, 0,
   "closing parenthesis ']' does not match opening parenthesis '(' on line 1", 2, 2, 2, false},
  {"x = 1_\n", LEXERR_RAISED, 0, "invalid decimal literal", 1, 6, 6, false},
  {"x = 0b12\n", LEXERR_RAISED, 0, "invalid digit '2' in binary literal", 1, 8, 8, false},
  {"x = 0777\n", LEXERR_RAISED, 0,
   "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers", 1, 5, 6, false},
  {"x = 1orb\n", LEXERR_RAISED, 0, "invalid decimal literal", 1, 5, 5, false},
  {"x = a\xe2\x84\xa2\n", LEXERR_RAISED, 0, "invalid character '\xe2\x84\xa2' (U+2122)", 1, 6, 6, false},
  {"x = 1 \\ y\n", LEXERR_PLAIN, 0, "unexpected character after line continuation character", 1, 8, 0, false},
  {"if x:\n    a\n  b\n", LEXERR_PLAIN, 1, "unindent does not match any outer indentation level", 3, 4, -1, false},
  {"if x:\n\ta\n        b\n", LEXERR_PLAIN, 2, "inconsistent use of tabs and spaces in indentation", 3, 1, 0, false},
};

START_TEST(lexical_errors) {
  for (size_t i = 0; i < sizeof lex_errors / sizeof lex_errors[0]; i++) {
    const LexErrCase *c = &lex_errors[i];
    Lexed l = lex(c->src);
    ck_assert_int_eq(l.toks[l.ntoks - 1].kind, TK_ERROR);
    ck_assert_msg(l.err.cls == c->cls && l.err.kind == c->kind && strcmp(l.err.msg, c->msg) == 0 &&
                  l.err.line == c->line && l.err.offset == c->offset && l.err.end_offset == c->end_offset &&
                  l.err.incomplete == c->incomplete,
                  "%s\n  got:  %d %d '%s' %d %d %d %d", c->src, l.err.cls, l.err.kind, l.err.msg, l.err.line,
                  l.err.offset, l.err.end_offset, l.err.incomplete);
    arena_free(l.arena);
  }
}
END_TEST

START_TEST(source_preparation) {
  Arena *a = arena_new();
  LexSource s;
  ck_assert(lex_prepare(a, "\xef\xbb\xbfx\r\ny", 7, &s));
  ck_assert_str_eq(s.text, "x\ny\n");
  ck_assert_int_eq(s.bad.cls, LEXERR_NONE);
  ck_assert(lex_prepare(a, "ab\0c", 4, &s));
  ck_assert_str_eq(s.bad.msg, "source code cannot contain null bytes");
  ck_assert(lex_prepare(a, "x = '\xc3'\n", 8, &s));
  ck_assert_str_eq(s.bad.msg, "(unicode error) 'utf-8' codec can't decode byte 0xc3 in position 5: "
                              "invalid continuation byte");
  ck_assert_int_eq(utf8_chars("a\xc3\xa9\xe2\x82\xac", 6), 3);
  arena_free(a);
}
END_TEST

/* An f-string field is lexed on its own, as if inside parentheses;
** error offsets count from a virtual '(' before it. */
START_TEST(fstring_fields) {
  Arena *a = arena_new();
  const char *text = "x = f\"{a +\n b}\"\n";
  Token *toks;
  int n;
  LexError err;
  ck_assert(lex_fstring_expr(a, text, 7, 13, 1, 0, &toks, &n, &err));
  ck_assert_int_eq(n, 4);
  ck_assert_int_eq(toks[0].kind, TK_NAME);
  ck_assert_int_eq(toks[0].col, 7);
  ck_assert_int_eq(toks[1].kind, TK_PLUS);
  ck_assert_int_eq(toks[2].line, 2);
  ck_assert_int_eq(toks[3].kind, TK_ENDMARKER);
  const char *bad = "x = f\"{1_}\"\n";
  ck_assert(lex_fstring_expr(a, bad, 7, 9, 1, 0, &toks, &n, &err));
  ck_assert_int_eq(toks[n - 1].kind, TK_ERROR);
  ck_assert_str_eq(err.msg, "invalid decimal literal");
  ck_assert_int_eq(err.offset, 3);
  arena_free(a);
}
END_TEST

START_TEST(escape_decoding) {
  Arena *a = arena_new();
  size_t n;
  StrDecodeError e;
  const char *body = "a\\n\\t\\x41\\101\\u00e9\\U0001F600\\q\\\n!";
  char *s = lex_decode_str(a, body, strlen(body), 0, &n, &e);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s, "a\n\tAA\xc3\xa9\xf0\x9f\x98\x80\\q!");
  s = lex_decode_str(a, "\\n", 2, STR_RAW, &n, &e);
  ck_assert_str_eq(s, "\\n");
  s = lex_decode_str(a, "\\x4", 3, 0, &n, &e);
  ck_assert_ptr_null(s);
  ck_assert_str_eq(e.msg, "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: "
                          "truncated \\xXX escape");
  s = lex_decode_bytes(a, "\\x00\\xff\\u", 10, 0, &n, &e);
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(n, 4);
  ck_assert(memcmp(s, "\0\xff\\u", 4) == 0);
  s = lex_decode_bytes(a, "\xc3\xa9", 2, 0, &n, &e);
  ck_assert_ptr_null(s);
  ck_assert_str_eq(e.msg, "bytes can only contain ASCII literal characters");
  arena_free(a);
}
END_TEST

/* The lexer never reads past its input: every prefix of tricky text. */
START_TEST(every_prefix_lexes) {
  static const char text[] = "if x:\n\tf'{a!r:>{w}}' \"\"\"t\n\" b'\\x00' 0x1_f 1.5e-3j \\\n  (a, [b\n]) # c\n";
  for (size_t len = 0; len < sizeof text; len++) {
    Arena *a = arena_new();
    char *src = malloc(len ? len : 1);
    memcpy(src, text, len);
    LexSource s;
    Token *toks;
    int n;
    LexError err;
    ck_assert(lex_prepare(a, src, len, &s));
    ck_assert(lex_tokens(a, s.text, s.len, &toks, &n, &err));
    ck_assert(toks[n - 1].kind == TK_ENDMARKER || toks[n - 1].kind == TK_ERROR);
    free(src);
    arena_free(a);
  }
}
END_TEST

Suite *lexer_suite(void) {
  Suite *s = suite_create("lexer");
  TCase *tc = tcase_create("lexer");
  tcase_add_test(tc, indentation_and_line_structure);
  tcase_add_test(tc, operators_and_keywords);
  tcase_add_test(tc, numbers);
  tcase_add_test(tc, strings_and_prefixes);
  tcase_add_test(tc, token_positions);
  tcase_add_test(tc, lexical_errors);
  tcase_add_test(tc, source_preparation);
  tcase_add_test(tc, fstring_fields);
  tcase_add_test(tc, escape_decoding);
  tcase_add_test(tc, every_prefix_lexes);
  suite_add_tcase(s, tc);
  return s;
}
