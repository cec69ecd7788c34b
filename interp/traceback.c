/* traceback.c — printing an uncaught exception exactly as CPython 3.11's
** default sys.excepthook does: the __cause__/__context__ chain first, then
** "Traceback (most recent call last):", one entry per frame with its
** source line and 3.11's caret line, recursion collapsed into "[Previous
** line repeated N more times]", SyntaxError's file/line/caret block, the
** "Type: message" line and the __notes__.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exc.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "tuple.h"
#include "list.h"
#include "dict.h"
#include "parser.h"
#include "type.h"

#define TB_RECURSIVE_CUTOFF 3  /* identical entries shown before collapsing */
#define TB_LIMIT 1000          /* entries shown at most (the oldest are dropped) */

/* One source file, read whole, so that a deep recursion's traceback reads
** its file once. Plain malloc: it lives only during one exc_print. */
typedef struct SourceCache {
  char *path;
  char *data;
  size_t len;
} SourceCache;

static void cache_free(SourceCache *c) {
  free(c->path);
  free(c->data);
  c->path = c->data = NULL;
  c->len = 0;
}

static bool cache_load(SourceCache *c, const char *path) {
  if (c->path && strcmp(c->path, path) == 0) return c->data != NULL;
  cache_free(c);
  c->path = strdup(path);
  if (!c->path) return false;
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  size_t cap = 8192, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  fclose(f);
  c->data = buf;
  c->len = n;
  return buf != NULL;
}

/* Line `lineno` (1-based) of the file without its line end, like
** linecache; false when the file or the line cannot be read. */
static bool source_line(SourceCache *c, const char *path, int lineno, const char **line, size_t *len) {
  if (lineno < 1 || path[0] == '<' || !cache_load(c, path)) return false;
  const char *p = c->data, *end = c->data + c->len;
  for (int l = 1; l < lineno; l++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return false;
    p = nl + 1;
  }
  if (p >= end) return false;
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  const char *stop = nl ? nl : end;
  if (stop > p && stop[-1] == '\r') stop--;
  *line = p;
  *len = (size_t)(stop - p);
  return true;
}

#define IS_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\f')

/* code points in the first `bytes` bytes of s (CPython clips the byte
** offset to the line's length + 1) */
static long char_offset(const char *s, size_t len, long bytes) {
  if (bytes > (long)len + 1) bytes = (long)len + 1;
  if (bytes > (long)len) return (long)utf8_count(s, len) + 1;
  return (long)utf8_count(s, (size_t)bytes);
}

/* ---- 3.11's anchors: '~~^~~' under a binary operation or a subscript ---- */

typedef struct Anchors {
  long left, right;      /* character offsets in the line; -1 = none */
  char primary, secondary;
} Anchors;

static void binop_anchors(const char *seg, Expr *e, Anchors *a) {
  long left_end = e->u.binop.left->span.end_col, right_start = e->u.binop.right->span.col;
  for (long i = left_end; i < right_start; i++) {
    if (IS_WS(seg[i])) continue;
    a->left = i;
    a->right = i + 1;
    /* a two-character operator (//, **, <<) */
    if (i + 1 < right_start && !IS_WS(seg[i + 1])) a->right++;
    /* a closing parenthesis of the left operand is not the operator */
    if (i + 1 < right_start && seg[i] == ')') continue;
    a->primary = '~';
    a->secondary = '^';
    break;
  }
}

static void subscript_anchors(const char *seg, size_t seglen, Expr *e, Anchors *a) {
  long len = (long)seglen;
  long left = e->u.sub.value->span.end_col, right = e->u.sub.index->span.end_col + 1;
  while (left < len && seg[left] != '[') left++;
  while (right < len && seg[right] != ']') right++;
  if (right < len) right++;
  a->left = left;
  a->right = right;
  a->primary = '~';
  a->secondary = '^';
}

/* Parse the failing expression's text alone; a binary operation or a
** subscript gets its operator / brackets singled out. Offsets come back
** relative to the line (characters). */
static void find_anchors(const char *line, size_t linelen, long col_byte, long end_byte, long start_char,
                         Anchors *a) {
  a->left = a->right = -1;
  a->primary = a->secondary = '^';
  if (col_byte < 0 || end_byte > (long)linelen || end_byte <= col_byte) return;
  size_t seglen = (size_t)(end_byte - col_byte);
  char *seg = malloc(seglen + 1);
  if (!seg) return;
  memcpy(seg, line + col_byte, seglen);
  seg[seglen] = '\0';
  SyntaxErrorInfo err;
  Module *m = parse_source(seg, seglen, PARSE_FILE, &err);
  if (m) {
    if (m->body.len == 1 && m->body.items[0]->kind == S_EXPR) {
      Expr *e = m->body.items[0]->u.expr.value;
      if (e->kind == E_BINOP) binop_anchors(seg, e, a);
      else if (e->kind == E_SUBSCRIPT) subscript_anchors(seg, seglen, e, a);
    }
    module_ast_free(m);
  }
  if (a->left >= 0) {
    a->left = char_offset(seg, seglen, a->left) + start_char;
    a->right = char_offset(seg, seglen, a->right) + start_char;
  }
  free(seg);
}

/* The caret line under a traceback entry's source line, when the failing
** instruction covers only part of it. */
static void print_carets(FILE *out, const CodeLoc *loc, int lineno, const char *line, size_t len, long ws) {
  if (loc->line != lineno || loc->line < 0 || loc->end_line < 0 || loc->col < 0 || loc->end_col < 0) return;
  long start = char_offset(line, len, loc->col);
  long end;
  Anchors a = {-1, -1, '^', '^'};
  if (loc->end_line == loc->line) {
    end = char_offset(line, len, loc->end_col);
    find_anchors(line, len, loc->col, loc->end_col, start, &a);
  } else {
    /* a multi-line expression: up to the last non-blank of its first line */
    long i = (long)len;
    while (--i >= 0 && IS_WS(line[i])) {}
    end = i + 1;
  }
  long stripped_len = (long)utf8_count(line, len) - ws;
  bool secondary = a.left != -1 || a.right != -1;
  if (end - start == stripped_len && !secondary) return;
  for (long off = ws - 4 + 1; off <= end; off++) {
    char c;
    if (off <= start) c = ' ';
    else if (secondary && a.left < off && off <= a.right) c = a.secondary;
    else c = a.primary;
    fputc(c, out);
  }
  fputc('\n', out);
}

static void print_entry(VM *vm, FILE *out, TracebackObj *tb, SourceCache *cache) {
  (void)vm;
  CodeObj *code = tb->code;
  const char *path = STR_CSTR(code->filename);
  fprintf(out, "  File \"%s\", line %d, in %s\n", path, tb->line, STR_CSTR(code->name));
  const char *line;
  size_t len;
  if (!source_line(cache, path, tb->line, &line, &len)) return;
  size_t ws = 0;
  while (ws < len && IS_WS(line[ws])) ws++;
  fputs("    ", out);
  fwrite(line + ws, 1, len - ws, out);
  fputc('\n', out);
  if (code->locs && tb->instr >= 0 && tb->instr < code->ncode)
    print_carets(out, &code->locs[tb->instr], tb->line, line, len, (long)utf8_count(line, ws));
}

static void print_repeated(FILE *out, int cnt) {
  cnt -= TB_RECURSIVE_CUTOFF;
  fprintf(out, "  [Previous line repeated %d more time%s]\n", cnt, cnt > 1 ? "s" : "");
}

static bool same_str(StrObj *a, StrObj *b) { return a == b || (a && b && str_equal(a, b)); }

static void print_traceback(VM *vm, FILE *out, TracebackObj *tb, SourceCache *cache) {
  fputs("Traceback (most recent call last):\n", out);
  long depth = 0;
  for (TracebackObj *t = tb; t; t = t->next) depth++;
  while (tb && depth > TB_LIMIT) {
    depth--;
    tb = tb->next;
  }
  StrObj *last_file = NULL, *last_name = NULL;
  int last_line = -1, cnt = 0;
  for (; tb; tb = tb->next) {
    CodeObj *code = tb->code;
    if (!last_file || !same_str(code->filename, last_file) || tb->line != last_line ||
        !same_str(code->name, last_name)) {
      if (cnt > TB_RECURSIVE_CUTOFF) print_repeated(out, cnt);
      last_file = code->filename;
      last_line = tb->line;
      last_name = code->name;
      cnt = 0;
    }
    cnt++;
    if (cnt <= TB_RECURSIVE_CUTOFF) print_entry(vm, out, tb, cache);
  }
  if (cnt > TB_RECURSIVE_CUTOFF) print_repeated(out, cnt);
}

/* ---- SyntaxError's own block ---- */

static Value get_attr_cstr(VM *vm, Value v, const char *name) {
  Value r = obj_getattr_cstr(vm, v, name);
  if (IS_UNDEF(r)) exc_clear(vm);
  return r;
}

/* the source line with the caret(s) under offset..end_offset (1-based) */
static void print_error_text(FILE *out, long offset, long end_offset, const char *text) {
  long reps = (end_offset > 0 && end_offset > offset) ? end_offset - offset : 1;
  offset--;
  while (IS_WS(*text)) {
    text++;
    offset--;
  }
  long len = (long)strlen(text);
  if (len > 0 && text[len - 1] == '\n') len--;
  if (offset > len) offset = len;
  for (;;) {
    const char *nl = strchr(text, '\n');
    if (!nl) break;
    long inl = nl - text;
    if (inl >= offset) break;
    inl++;
    text += inl;
    len -= inl;
    offset -= inl;
  }
  fputs("    ", out);
  fputs(text, out);
  if (text[len] != '\n') fputc('\n', out);
  if (offset < 0) return;
  fputs("    ", out);
  while (--offset >= 0) fputc(' ', out);
  while (reps-- > 0) fputc('^', out);
  fputc('\n', out);
}

/* '  File "x.py", line 3' and the text block; returns the message to print
** after "SyntaxError: " (V_UNDEF: use the exception itself) */
static Value print_syntax_block(VM *vm, FILE *out, ExcObj *e) {
  Value self = v_obj(e);
  Value msg = get_attr_cstr(vm, self, "msg");
  Value filename = get_attr_cstr(vm, self, "filename");
  Value lineno = get_attr_cstr(vm, self, "lineno");
  Value offset = get_attr_cstr(vm, self, "offset");
  if (IS_UNDEF(msg) || IS_UNDEF(filename) || !IS_INTLIKE(lineno) || IS_UNDEF(offset)) return V_UNDEF;
  if (!IS_NONE(offset) && !IS_INTLIKE(offset)) return V_UNDEF;
  long line = (long)AS_INTLIKE(lineno);
  long off = IS_NONE(offset) ? -1 : (long)AS_INTLIKE(offset);
  long end_line = line, end_off = -1;
  if (e->obj.type == EXC(vm, SyntaxError)) {
    Value el = get_attr_cstr(vm, self, "end_lineno"), eo = get_attr_cstr(vm, self, "end_offset");
    if (IS_INTLIKE(el)) end_line = (long)AS_INTLIKE(el);
    else if (!IS_NONE(el)) return V_UNDEF;
    if (IS_INTLIKE(eo)) end_off = (long)AS_INTLIKE(eo);
    else if (!IS_NONE(eo)) return V_UNDEF;
  }
  Value text = get_attr_cstr(vm, self, "text");
  gc_push_root(vm, msg);
  gc_push_root(vm, text);
  Value fname = IS_NONE(filename) ? V_UNDEF : obj_str(vm, filename);
  if (IS_UNDEF(fname)) exc_clear(vm);
  fprintf(out, "  File \"%s\", line %ld\n", IS_UNDEF(fname) ? "<string>" : STR_CSTR(AS_STR(fname)), line);
  if (IS_STR(text)) {
    const char *t = STR_CSTR(AS_STR(text));
    long size = (long)AS_STR(text)->len;
    if (end_line > line) end_off = size;
    if (end_off > size + 1) end_off = size + 1;
    print_error_text(out, off, end_off, t);
  }
  gc_pop_roots(vm, 2);
  return msg;
}

/* ---- the "Type: message" line and the notes ---- */

static void print_type_name(VM *vm, FILE *out, Type *t) {
  StrObj *module = t->module;
  if (!module) {
    Value m = t->dict ? dict_get_str(vm, t->dict, NAME(vm, __module__)) : V_UNDEF;
    if (IS_UNDEF(m) && vm->curexc) exc_clear(vm);
    if (IS_STR(m)) module = AS_STR(m);
  }
  if (module && strcmp(STR_CSTR(module), "builtins") != 0 && strcmp(STR_CSTR(module), "__main__") != 0)
    fprintf(out, "%s.", STR_CSTR(module));
  StrObj *qual = t->qualname ? t->qualname : t->name;
  fputs(STR_CSTR(qual), out);
}

static void print_message_line(VM *vm, FILE *out, ExcObj *e, Value message) {
  print_type_name(vm, out, e->obj.type);
  Value s = obj_str(vm, IS_UNDEF(message) ? v_obj(e) : message);
  if (IS_UNDEF(s)) {
    exc_clear(vm);
    fputs(": <exception str() failed>", out);
  } else if (AS_STR(s)->len > 0) {
    fputs(": ", out);
    fwrite(STR_CSTR(AS_STR(s)), 1, (size_t)AS_STR(s)->len, out);
  }
  fputc('\n', out);
}

static void print_notes(VM *vm, FILE *out, ExcObj *e) {
  StrObj *key = str_intern_cstr(vm, "__notes__");
  if (!key) {
    exc_clear(vm);
    return;
  }
  Value notes = obj_getattr_opt(vm, v_obj(e), key);
  if (IS_UNDEF(notes)) {
    exc_clear(vm);
    return;
  }
  gc_push_root(vm, notes);
  if (!IS_LIST(notes) && !IS_TUPLE(notes) && !IS_STR(notes)) {
    Value r = obj_repr(vm, notes);
    if (IS_UNDEF(r)) {
      exc_clear(vm);
      fputs("<__notes__ repr() failed>", out);
    } else {
      fputs(STR_CSTR(AS_STR(r)), out);
    }
    /* no newline here: CPython 3.11 writes none either */
    gc_pop_roots(vm, 1);
    return;
  }
  int64_t n = obj_len(vm, notes);
  for (int64_t i = 0; i < n; i++) {
    Value note = obj_getitem(vm, notes, v_int(i));
    Value s = IS_UNDEF(note) ? V_UNDEF : obj_str(vm, note);
    if (IS_UNDEF(s)) {
      exc_clear(vm);
      fputs("<note str() failed>", out);
    } else {
      fwrite(STR_CSTR(AS_STR(s)), 1, (size_t)AS_STR(s)->len, out);
    }
    fputc('\n', out);
  }
  if (n < 0) exc_clear(vm);
  gc_pop_roots(vm, 1);
}

static void print_one(VM *vm, FILE *out, ExcObj *e, SourceCache *cache) {
  fflush(stdout);
  if (e->traceback) print_traceback(vm, out, e->traceback, cache);
  Value message = V_UNDEF;
  if (type_is_subtype(e->obj.type, EXC(vm, SyntaxError))) message = print_syntax_block(vm, out, e);
  gc_push_root(vm, message);
  print_message_line(vm, out, e, message);
  gc_pop_roots(vm, 1);
  print_notes(vm, out, e);
}

/* ---- the chain ---- */

static const char CAUSE_MESSAGE[] =
    "\nThe above exception was the direct cause of the following exception:\n\n";
static const char CONTEXT_MESSAGE[] =
    "\nDuring handling of the above exception, another exception occurred:\n\n";

static bool seen_before(ExcObj **chain, size_t n, ExcObj *e) {
  for (size_t i = 0; i < n; i++)
    if (chain[i] == e) return true;
  return false;
}

void exc_print(VM *vm, ExcObj *exc, FILE *out) {
  Obj *saved = vm->curexc;
  vm->curexc = NULL;
  gc_push_root(vm, v_obj(exc));
  /* chain[0] is exc; chain[i+1] is the cause or context of chain[i], and
  ** links[i] says which. Printed from the oldest, as CPython recurses. */
  size_t n = 0, cap = 8;
  ExcObj **chain = malloc(cap * sizeof *chain);
  const char **links = malloc(cap * sizeof *links);
  if (chain && links) {
    chain[n++] = exc;
    for (;;) {
      ExcObj *cur = chain[n - 1], *next = NULL;
      const char *link = NULL;
      if (!IS_NONE(cur->cause)) {
        if (IS_EXC(cur->cause) && !seen_before(chain, n, AS_EXC(cur->cause))) {
          next = AS_EXC(cur->cause);
          link = CAUSE_MESSAGE;
        }
      } else if (!cur->suppress_context && IS_EXC(cur->context) &&
                 !seen_before(chain, n, AS_EXC(cur->context))) {
        next = AS_EXC(cur->context);
        link = CONTEXT_MESSAGE;
      }
      if (!next) break;
      if (n == cap) {
        ExcObj **c2 = realloc(chain, cap * 2 * sizeof *c2);
        if (c2) chain = c2;
        const char **l2 = c2 ? realloc(links, cap * 2 * sizeof *l2) : NULL;
        if (l2) links = l2;
        if (!c2 || !l2) break;
        cap *= 2;
      }
      links[n - 1] = link;
      chain[n++] = next;
    }
  } else {
    n = 0;
  }
  SourceCache cache = {NULL, NULL, 0};
  if (n == 0) {
    print_one(vm, out, exc, &cache);
  } else {
    for (size_t i = n; i-- > 0;) {
      print_one(vm, out, chain[i], &cache);
      if (i > 0) fputs(links[i - 1], out);
    }
  }
  cache_free(&cache);
  free(chain);
  free(links);
  fflush(out);
  gc_pop_roots(vm, 1);
  vm->curexc = saved;
}
