/* repl_complete.c — Tab completion for the REPL, after python3's
** rlcompleter: a bare word completes to keywords, __main__'s globals and
** builtins; `expr.word` evaluates expr in __main__ (calls included, as
** rlcompleter does: `open("/tmp/x","w").clo` opens the file) and
** completes word among dir() of the value. Callables get a "(" appended.
** Unlike python3's readline set-up, the expression before the dot may hold
** brackets and strings: it is found by scanning the line, not by
** readline's word breaks, which here end a word at "." too.
*/
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <readline/readline.h>
#include "repl.h"

/* python3's readline word breaks, plus "." (the attribute is the word) */
#define WORD_BREAKS " \t\n`~!@#$%^&*()-=+[{]}\\|;:'\",<>/?."

/* readline's hooks take no user pointer: the interpreter to ask */
static wy_State *complete_vm;

void repl_complete_target(wy_State *W) { complete_vm = W; }

/* ---- the list of matches ---- */

typedef struct Matches {
  char **items;
  size_t len, cap;
  size_t next;   /* for the generator readline calls */
} Matches;

static Matches current;

static void matches_clear(Matches *m) {
  for (size_t i = m->next; i < m->len; i++) free(m->items[i]);
  free(m->items);
  memset(m, 0, sizeof *m);
}

/* add word + suffix unless already there */
static void matches_add(Matches *m, const char *word, const char *suffix) {
  for (size_t i = 0; i < m->len; i++) {
    size_t n = strlen(word);
    if (strncmp(m->items[i], word, n) == 0 && (m->items[i][n] == '\0' || strcmp(m->items[i] + n, "(") == 0 ||
                                               strcmp(m->items[i] + n, " ") == 0 || strcmp(m->items[i] + n, ":") == 0))
      return;
  }
  if (m->len == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 32;
    char **bigger = realloc(m->items, cap * sizeof *bigger);
    if (!bigger) return;
    m->items = bigger;
    m->cap = cap;
  }
  size_t n = strlen(word), k = strlen(suffix);
  char *s = malloc(n + k + 1);
  if (!s) return;
  memcpy(s, word, n);
  memcpy(s + n, suffix, k + 1);
  m->items[m->len++] = s;
}

/* readline's generator: hands out the matches one by one (it frees them) */
static char *next_match(const char *text, int state) {
  (void)text;
  (void)state;
  if (current.next < current.len) return current.items[current.next++];
  return NULL;
}

/* ---- asking the interpreter ---- */

static bool is_callable(wy_State *W, wy_Value v) {
  wy_Value r = wy_call(W, wy_builtin(W, "callable"), 1, &v);
  if (wy_is_error(r)) {
    wy_clear_error(W);
    return false;
  }
  return wy_truthy(W, r) == 1;
}

/* the str keys of a dict or the str items of a list, with their prefix */
static void add_names(wy_State *W, wy_Value names, const char *prefix, wy_Value dict_or_none) {
  size_t n = strlen(prefix);
  wy_Value it = wy_iter(W, names);
  if (wy_is_error(it)) {
    wy_clear_error(W);
    return;
  }
  for (;;) {
    wy_Value key = wy_next(W, it);
    if (wy_is_error(key)) break;
    if (!wy_is_str(key)) continue;
    const char *word = wy_to_str(W, key, NULL);
    if (!word || strncmp(word, prefix, n) != 0 || strcmp(word, "__builtins__") == 0) continue;
    const char *suffix = "";
    if (!wy_is_none(dict_or_none)) {
      wy_Value value = wy_getitem(W, dict_or_none, key);
      if (wy_is_error(value)) wy_clear_error(W);
      else if (is_callable(W, value)) suffix = "(";
    }
    matches_add(&current, word, suffix);
  }
  wy_clear_error(W);
}

/* keywords of Python 3.11 (keyword.kwlist), with rlcompleter's suffixes */
static void add_keywords(const char *prefix) {
  static const char *const kwlist[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
    "return", "try", "while", "with", "yield", NULL};
  static const char *const bare[] = {"False", "None", "True", "break", "continue", "pass", "else", NULL};
  size_t n = strlen(prefix);
  for (int i = 0; kwlist[i]; i++) {
    if (strncmp(kwlist[i], prefix, n) != 0) continue;
    const char *suffix = " ";
    if (strcmp(kwlist[i], "try") == 0 || strcmp(kwlist[i], "finally") == 0) suffix = ":";
    for (int j = 0; bare[j]; j++)
      if (strcmp(kwlist[i], bare[j]) == 0) suffix = "";
    matches_add(&current, kwlist[i], suffix);
  }
}

static void global_matches(wy_State *W, const char *prefix) {
  add_keywords(prefix);
  wy_Value globals = wy_main_globals(W);
  if (wy_is_error(globals)) {
    wy_clear_error(W);
    return;
  }
  add_names(W, globals, prefix, globals);
  wy_Value builtins = wy_dict_get(W, globals, "__builtins__");
  if (!wy_is_error(builtins)) {
    wy_Value d = wy_getattr(W, builtins, "__dict__");   /* a module, as in CPython */
    if (wy_is_error(d)) {
      wy_clear_error(W);
      d = builtins;                                     /* withy keeps the dict */
    }
    add_names(W, d, prefix, d);
  }
  wy_clear_error(W);
}

/* getattr(type(obj), word) is a property: say so without running it */
static bool is_property_of_type(wy_State *W, wy_Value type, const char *word) {
  wy_Value attr = wy_getattr(W, type, word);
  if (wy_is_error(attr)) {
    wy_clear_error(W);
    return false;
  }
  wy_Value args[2] = {attr, wy_builtin(W, "property")};
  wy_Value r = wy_call(W, wy_builtin(W, "isinstance"), 2, args);
  if (wy_is_error(r)) {
    wy_clear_error(W);
    return false;
  }
  return wy_truthy(W, r) == 1;
}

/* rlcompleter's attr_matches: words of dir(obj); "_" names only when asked */
static void attr_matches(wy_State *W, const char *expr, const char *attr) {
  wy_Value obj = wy_eval(W, expr);
  if (wy_is_error(obj)) {
    wy_clear_error(W);
    return;
  }
  wy_Value names = wy_call(W, wy_builtin(W, "dir"), 1, &obj);
  wy_Value type = wy_call(W, wy_builtin(W, "type"), 1, &obj);
  if (wy_is_error(names) || wy_is_error(type)) {
    wy_clear_error(W);
    return;
  }
  size_t n = strlen(attr);
  /* without a prefix, names starting "_" (then "__") are left out unless
  ** nothing else matches */
  const char *noprefix = n == 0 ? "_" : strcmp(attr, "_") == 0 ? "__" : NULL;
  for (;;) {
    wy_Value it = wy_iter(W, names);
    if (wy_is_error(it)) break;
    for (;;) {
      wy_Value key = wy_next(W, it);
      if (wy_is_error(key)) break;
      const char *word = wy_is_str(key) ? wy_to_str(W, key, NULL) : NULL;
      if (!word || strncmp(word, attr, n) != 0) continue;
      if (noprefix && strncmp(word, noprefix, strlen(noprefix)) == 0) continue;
      const char *suffix = "";
      if (!is_property_of_type(W, type, word)) {
        wy_Value value = wy_getattr(W, obj, word);
        if (wy_is_error(value)) wy_clear_error(W);
        else if (is_callable(W, value)) suffix = "(";
      }
      matches_add(&current, word, suffix);
    }
    wy_clear_error(W);
    if (current.len || !noprefix) break;
    noprefix = strcmp(noprefix, "_") == 0 ? "__" : NULL;
  }
  wy_clear_error(W);
}

/* ---- finding the expression before the dot ---- */

static bool is_word_char(unsigned char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Scan line[0..end) once, forwards: for every closing bracket the index
** of its opener (or -1), for every closing quote the index where its
** string (prefix included) starts. Returns false when end is inside a
** string (nothing to complete there). */
static bool scan_line(const char *line, int end, int *opener_of, int *string_start) {
  int stack[256], depth = 0;
  for (int i = 0; i < end; i++) {
    opener_of[i] = string_start[i] = -1;
    char c = line[i];
    if (c == '#') return false;   /* a comment */
    if (c == '(' || c == '[' || c == '{') {
      if (depth < 256) stack[depth] = i;
      depth++;
    } else if (c == ')' || c == ']' || c == '}') {
      if (depth > 0) {
        depth--;
        if (depth < 256) opener_of[i] = stack[depth];
      }
    } else if (c == '\'' || c == '"') {
      int start = i;
      while (start > 0 && strchr("rRbBfFuU", line[start - 1]) && (start < 2 || !is_word_char((unsigned char)line[start - 2])))
        start--;
      bool triple = i + 2 < end && line[i + 1] == c && line[i + 2] == c;
      int j = i + (triple ? 3 : 1);
      for (; j < end; j++) {
        if (line[j] == '\\') {
          j++;
          continue;
        }
        if (line[j] == c && (!triple || (j + 2 < end && line[j + 1] == c && line[j + 2] == c))) break;
      }
      if (j >= end) return false;
      if (triple) j += 2;
      for (int k = i; k < j; k++) opener_of[k] = string_start[k] = -1;
      string_start[j] = start;
      i = j;
    }
  }
  return true;
}

/* The primary expression that ends just before line[dot] ('.'): names,
** dots, calls, subscripts, literals — `open("/tmp/x","w")`, `a.b[0]`.
** Returns its start, or -1. */
static int expression_start(const char *line, int dot) {
  if (dot <= 0) return -1;
  int *opener_of = malloc(2 * (size_t)dot * sizeof(int));
  if (!opener_of) return -1;
  int *string_start = opener_of + dot;
  int pos = dot, start = -1;
  if (!scan_line(line, dot, opener_of, string_start)) goto done;
  for (;;) {
    if (pos == 0) break;
    unsigned char c = (unsigned char)line[pos - 1];
    bool group = false;
    if (is_word_char(c)) {
      while (pos > 0 && is_word_char((unsigned char)line[pos - 1])) pos--;
    } else if ((c == ')' || c == ']' || c == '}') && opener_of[pos - 1] >= 0) {
      pos = opener_of[pos - 1];
      group = true;
    } else if ((c == '\'' || c == '"') && string_start[pos - 1] >= 0) {
      pos = string_start[pos - 1];
    } else {
      break;
    }
    start = pos;
    if (pos > 0 && line[pos - 1] == '.') {
      pos--;
      continue;
    }
    /* a call or subscript continues with what is called or indexed */
    if (group && pos > 0 && line[pos - 1] != ' ' && line[pos - 1] != '\t') {
      unsigned char b = (unsigned char)line[pos - 1];
      if (is_word_char(b) || b == ')' || b == ']' || b == '\'' || b == '"') continue;
    }
    break;
  }
  /* it must not be left hanging after a dot ("x..y" or ".y") */
  if (start >= 0 && line[start] == '.') start = -1;
done:
  free(opener_of);
  return start;
}

/* ---- readline's hooks ---- */

static char **attempt_completion(const char *text, int start, int end) {
  (void)end;
  rl_attempted_completion_over = 1;   /* never fall back to file names */
  rl_completion_append_character = '\0'; /* readline resets it each time */
  matches_clear(&current);
  wy_State *W = complete_vm;
  if (!W) return NULL;
  if (start > 0 && rl_line_buffer[start - 1] == '.') {
    int dot = start - 1;
    int from = expression_start(rl_line_buffer, dot);
    if (from < 0) return NULL;
    char *expr = strndup(rl_line_buffer + from, (size_t)(dot - from));
    if (!expr) return NULL;
    attr_matches(W, expr, text);
    free(expr);
  } else {
    global_matches(W, text);
  }
  if (current.len == 0) return NULL;
  return rl_completion_matches(text, next_match);
}

/* Tab: with nothing typed before the cursor (or after a space), indent,
** as python3's REPL does; otherwise complete */
static int tab_key(int count, int key) {
  int p = rl_point;
  while (p > 0 && !strchr(WORD_BREAKS, rl_line_buffer[p - 1])) p--;
  bool empty_word = p == rl_point;
  if (empty_word && !(p > 0 && rl_line_buffer[p - 1] == '.')) return rl_insert_text("\t") >= 0 ? 0 : 1;
  /* a second Tab lists the matches only when readline sees that the key
  ** before was its own rl_complete */
  if (rl_last_func == tab_key) rl_last_func = rl_complete;
  return rl_complete(count, key);
}

void repl_complete_install(void) {
  rl_attempted_completion_function = attempt_completion;
  rl_completer_word_break_characters = WORD_BREAKS;
  rl_bind_key('\t', tab_key);
}
