/* api_interactive.c — the part of the embedding API (withy.h) that an
** interactive front end needs: deciding whether the lines typed so far
** make a complete statement (as python3's REPL decides it), running one
** statement in Python's 'single' mode (an expression statement's value is
** echoed with repr and kept in builtins._), and evaluating an expression
** in __main__ for tab completion.
**
** It sits beside api.c and follows its rules: a wy_Value handed out is
** rooted in the API scope (vm->api_scope), which a run clears.
*/
#include <stdlib.h>
#include <string.h>
#include "withy.h"
#include "vm.h"
#include "gc.h"
#include "exc.h"
#include "str.h"
#include "tuple.h"
#include "dict.h"
#include "module.h"
#include "lexer.h"
#include "parser.h"
#include "compiler.h"

static inline wy_Value to_wy(Value v) {
  wy_Value r;
  memcpy(&r, &v, sizeof r);
  return r;
}

/* Root v in the current API scope, as api.c does for every value it hands
** out (api.c keeps its helper private; this is the same few lines). */
static wy_Value scoped(VM *vm, Value v) {
  if (v.tag != VT_OBJ) return to_wy(v);
  if (vm->api_scope_len == vm->api_scope_cap) {
    int cap = vm->api_scope_cap ? vm->api_scope_cap * 2 : 64;
    Value *s = realloc(vm->api_scope, (size_t)cap * sizeof *s);
    if (!s) {
      exc_no_memory(vm);
      return to_wy(V_UNDEF);
    }
    vm->api_scope = s;
    vm->api_scope_cap = cap;
  }
  vm->api_scope[vm->api_scope_len++] = v;
  return to_wy(v);
}

/* ---- is the input complete? ---- */

/* only blank lines and comments: python3's REPL just prompts again */
static bool only_blanks_and_comments(const char *src) {
  for (const char *p = src; *p; p++) {
    if (*p == '#') {
      while (*p && *p != '\n') p++;
      if (!*p) break;
    } else if (*p != ' ' && *p != '\t' && *p != '\f' && *p != '\n' && *p != '\r') {
      return false;
    }
  }
  return true;
}

/* The last line typed was totally empty: in python3's REPL that (and only
** that: not a line of spaces, not a comment) ends a compound statement. */
static bool ends_with_empty_line(const char *src, size_t len) {
  while (len > 0 && src[len - 1] == '\r') len--;
  if (len == 0 || src[len - 1] != '\n') return false;
  len--;
  while (len > 0 && src[len - 1] == '\r') len--;
  return len == 0 || src[len - 1] == '\n';
}

/* The tokenizer itself wants more: an open bracket, an open triple-quoted
** string, a backslash continuation at the end. An empty line does not end
** any of these (python3 goes on prompting "... "). */
static bool lexer_wants_more(const char *src, size_t len) {
  Arena *arena = arena_new();
  if (!arena) return false;
  LexSource text;
  Token *toks = NULL;
  int ntoks = 0;
  LexError err;
  memset(&err, 0, sizeof err);
  bool more = false;
  if (lex_prepare(arena, src, len, &text) && text.bad.cls == LEXERR_NONE &&
      lex_tokens(arena, text.text, text.len, &toks, &ntoks, &err))
    more = err.cls != LEXERR_NONE && err.incomplete;
  arena_free(arena);
  return more;
}

static bool is_compound(const Stmt *s) {
  switch (s->kind) {
    case S_IF: case S_WHILE: case S_FOR: case S_FUNCDEF: case S_CLASSDEF:
    case S_TRY: case S_WITH:
      return true;
    default:
      return false;
  }
}

int wy_source_status(wy_State *W, const char *src) {
  (void)W;
  size_t len = strlen(src);
  if (only_blanks_and_comments(src)) return WY_SOURCE_COMPLETE;
  SyntaxErrorInfo err;
  Module *m = parse_source(src, len, PARSE_SINGLE, &err);
  if (m) {
    /* a compound statement may go on (elif, else, except, more body
    ** lines) until an empty line says it is over */
    bool open_block = m->body.len == 1 && is_compound(m->body.items[0]);
    module_ast_free(m);
    return open_block && !ends_with_empty_line(src, len) ? WY_SOURCE_INCOMPLETE : WY_SOURCE_COMPLETE;
  }
  if (!err.incomplete) return WY_SOURCE_ERROR;
  /* the parser ran out of input; an empty line ends a block that has no
  ** body yet ("if x:" then Enter twice: IndentationError), but not an
  ** open bracket or string */
  if (ends_with_empty_line(src, len) && !lexer_wants_more(src, len)) return WY_SOURCE_ERROR;
  return WY_SOURCE_INCOMPLETE;
}

/* ---- running interactive input ---- */

/* __main__, made on first use as wy_run_string makes it (no __file__) */
static ModuleObj *interactive_main(VM *vm) {
  if (vm->main_module) return vm->main_module;
  ModuleObj *m = module_new(vm, "__main__");
  if (!m) return NULL;
  vm->main_module = m;
  if (dict_set_cstr(vm, m->dict, "__builtins__", v_obj(vm->builtins)) < 0) return NULL;
  if (dict_set(vm, vm->modules, v_obj(m->name), v_obj(m)) < 0) return NULL;
  if (!vm->script_path) module_set_search_dir(vm, ".");
  return m;
}

/* SystemExit's code as a process status; a message (non-int code) is
** printed to stderr, as python3 does (the same rule as api.c's run) */
static int exit_status_of(VM *vm, ExcObj *exc) {
  Value code = exc->value;
  if (IS_UNDEF(code) || IS_NONE(code)) {
    if (exc->args && exc->args->len == 1) code = exc->args->items[0];
    else return 0;
  }
  if (IS_NONE(code)) return 0;
  if (IS_INTLIKE(code)) return (int)AS_INTLIKE(code);
  gc_push_root(vm, v_obj(exc));
  Value s = obj_str(vm, code);
  if (!IS_UNDEF(s)) {
    fflush(stdout);
    fprintf(stderr, "%s\n", AS_STR(s)->data);
  } else {
    exc_clear(vm);
  }
  gc_pop_roots(vm, 1);
  return 1;
}

int wy_run_interactive(wy_State *W, const char *src, const char *filename) {
  if (!filename) filename = "<stdin>";
  ModuleObj *m = interactive_main(W);
  int rc = m ? vm_exec_source(W, src, strlen(src), filename, m, PARSE_SINGLE) : -1;
  W->api_scope_len = 0;
  if (rc == 0) return WY_OK;
  if (W->curexc && exc_matches(W, (ExcObj *)W->curexc, EXC(W, SystemExit))) {
    ExcObj *e = exc_fetch(W);
    W->exit_status = exit_status_of(W, e);
    return WY_EXIT;
  }
  return WY_ERROR;
}

wy_Value wy_main_globals(wy_State *W) {
  ModuleObj *m = interactive_main(W);
  if (!m) return to_wy(V_UNDEF);
  return scoped(W, v_obj(m->dict));
}

wy_Value wy_eval(wy_State *W, const char *expr) {
  ModuleObj *m = interactive_main(W);
  if (!m) return to_wy(V_UNDEF);
  size_t len = strlen(expr);
  SyntaxErrorInfo err;
  Module *ast = parse_source(expr, len, PARSE_EVAL, &err);
  if (!ast) {
    exc_raise_syntax(W, &err, "<string>", expr, len);
    return to_wy(V_UNDEF);
  }
  CodeObj *code = compile_module(W, ast, "<string>", PARSE_EVAL, &err);
  module_ast_free(ast);
  if (!code) {
    if (!exc_pending(W)) exc_raise_syntax(W, &err, "<string>", expr, len);
    return to_wy(V_UNDEF);
  }
  gc_push_root(W, v_obj(m));
  gc_push_root(W, v_obj(code));
  Value r = vm_run_code(W, code, m->dict, m->dict);
  gc_pop_roots(W, 2);
  if (IS_UNDEF(r)) return to_wy(V_UNDEF);
  return scoped(W, r);
}
