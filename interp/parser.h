/* parser.h — source text to AST (ast.h), with Python's SyntaxError
** messages. The lexer (lexer.h) is the parser's; nothing else uses it
** except the REPL (to know whether a block is complete) and the tests. */
#ifndef WITHY_PARSER_H
#define WITHY_PARSER_H

#include "ast.h"

/* A syntax error, as the CLI shows it:
**   File "x.wy", line 3
**     x = = 1
**         ^
**   SyntaxError: invalid syntax
** Positions are 1-based lines and 1-based columns (CPython's `offset`,
** counted in characters), end_col exclusive (0 = a single caret). */
typedef struct SyntaxErrorInfo {
  char msg[256];
  int line, col, end_line, end_col;
  int kind;           /* 0 SyntaxError, 1 IndentationError, 2 TabError */
  bool incomplete;    /* the input ended inside an open block/bracket/string
                         (the REPL then asks for more lines) */
} SyntaxErrorInfo;

enum ParseMode { PARSE_FILE = 0, PARSE_SINGLE = 1, PARSE_EVAL = 2 };

/* Parse a whole module. Returns NULL and fills *err on a syntax error.
** The Module owns an Arena; free it with module_ast_free. */
Module *parse_source(const char *src, size_t len, int mode, SyntaxErrorInfo *err);
void module_ast_free(Module *m);

#endif
