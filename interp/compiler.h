/* compiler.h — AST to bytecode (code.h / opcodes.h): scope analysis
** (locals, globals, cells, free variables), code generation, the
** exception table, exact stack depths. */
#ifndef WITHY_COMPILER_H
#define WITHY_COMPILER_H

#include "ast.h"
#include "code.h"
#include "parser.h"

/* Compile a parsed module. mode is a ParseMode: PARSE_SINGLE echoes
** expression statements with PRINT_EXPR (the REPL); PARSE_EVAL compiles
** one expression whose value is returned. Returns NULL and fills *err on
** a compile-time SyntaxError ("'return' outside function", "'break' outside
** loop", "no binding for nonlocal 'x' found", "name 'x' is used prior to
** global declaration", …). Allocates GC objects but never collects. */
CodeObj *compile_module(VM *vm, Module *m, const char *filename, int mode, SyntaxErrorInfo *err);

/* `withy --dis`: parse and compile source text (a file, mode PARSE_FILE)
** and print the disassembly of its code objects (code_disassemble) to
** `out` (a FILE*). Returns 0, or -1 with the exception (SyntaxError
** included) pending. Added by the compiler helper. */
int compile_dump(VM *vm, const char *src, size_t len, const char *filename, void *out);

#endif
