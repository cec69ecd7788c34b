/* str_methods.c — the Python-visible methods of str (split, join, find,
** strip, replace, the case conversions, the is*() predicates, padding,
** encode, format, translate, …) and the dunder wrappers user code may
** call explicitly (str.__add__, super().__eq__ in a str subclass).
** Indexes are code points; ASCII strings take byte-level fast paths. */
#include <string.h>

#include "str.h"
#include "dict.h"
#include "exc.h"
#include "format.h"
#include "gc.h"
#include "vm.h"
#include "func.h"
#include "list.h"
#include "num.h"
#include "tuple.h"
#include "type.h"
#include "vm.h"

/* ------------------------------------------------------------ helpers */

static Value bad_self(VM *vm, const char *name, Value self) {
  return exc_type_error(vm, "descriptor '%s' for 'str' objects doesn't apply to a '%s' object", name,
                        obj_type_name(vm, self));
}

#define SELF_STR(name)                                                       \
  if (nargs < 1 || !IS_STR(args[0]))                                         \
    return bad_self(vm, name, nargs ? args[0] : V_NONE);                     \
  StrObj *self = AS_STR(args[0]);                                            \
  (void)self

static bool is_ascii(StrObj *s) { return (s->obj.flags & STR_ASCII) != 0; }

static Value ret_str(StrObj *s) { return s ? v_obj(s) : V_UNDEF; }

static Value new_str(VM *vm, const char *d, size_t n) { return ret_str(str_new(vm, d, n)); }

/* the method's own arguments (self excluded) must number min..max */
/* find/count/startswith… word their count errors differently */
static bool takes_style(const char *name) {
  static const char *const names[] = {"find", "rfind", "index", "rindex", "count", "startswith", "endswith", NULL};
  for (int k = 0; names[k]; k++)
    if (strcmp(name, names[k]) == 0) return true;
  return false;
}

/* the method's own arguments (self excluded) must number min..max;
** the messages are CPython's, which vary by method */
static int check_args(VM *vm, const char *name, int nargs, TupleObj *kwnames, int min, int max) {
  int n = nargs - 1;
  if (kwnames && kwnames->len) {
    exc_type_error(vm, "%s() takes no keyword arguments", name);
    return -1;
  }
  if (n >= min && n <= max) return 0;
  if (max == 0)
    exc_type_error(vm, "str.%s() takes no arguments (%d given)", name, n);
  else if (min == 1 && max == 1)
    exc_type_error(vm, "str.%s() takes exactly one argument (%d given)", name, n);
  else if (takes_style(name))
    exc_type_error(vm, "%s() takes at %s %d argument%s (%d given)", name, n < min ? "least" : "most",
                   n < min ? min : max, (n < min ? min : max) == 1 ? "" : "s", n);
  else if (n < min)
    exc_type_error(vm, "%s expected at least %d argument%s, got %d", name, min, min == 1 ? "" : "s", n);
  else
    exc_type_error(vm, "%s expected at most %d argument%s, got %d", name, max, max == 1 ? "" : "s", n);
  return -1;
}

static StrObj *str_arg(VM *vm, Value v) {
  if (IS_STR(v)) return AS_STR(v);
  exc_type_error(vm, "must be str, not %s", obj_type_name(vm, v));
  return NULL;
}

static int index_arg(VM *vm, Value v, int64_t *out) { return num_as_index(vm, v, out); }

/* next code point's byte length at d[i] */
static size_t cp_len(const char *d, size_t i, size_t len) {
  size_t j = i + 1;
  while (j < len && ((unsigned char)d[j] & 0xC0) == 0x80) j++;
  return j - i;
}

/* start of the code point that ends at byte i (exclusive) */
static size_t cp_prev(const char *d, size_t i) {
  do i--;
  while (i > 0 && ((unsigned char)d[i] & 0xC0) == 0x80);
  return i;
}

static int64_t cp_index_of(StrObj *s, size_t byte_off) {
  return is_ascii(s) ? (int64_t)byte_off : utf8_count(s->data, byte_off);
}

/* start/end arguments of find/count/startswith…: slice rules, code points */
static int parse_bounds(VM *vm, StrObj *s, Value *args, int nargs, int first, int64_t *from, int64_t *to) {
  int64_t len = s->length, a = 0, b = len;
  if (nargs > first && !IS_NONE(args[first]) && index_arg(vm, args[first], &a) < 0) return -1;
  if (nargs > first + 1 && !IS_NONE(args[first + 1]) && index_arg(vm, args[first + 1], &b) < 0) return -1;
  if (a < 0) a = a + len < 0 ? 0 : a + len;
  if (b > len) b = len;
  else if (b < 0) b = b + len < 0 ? 0 : b + len;
  *from = a;
  *to = b;
  return 0;
}

static const char *find_fwd(const char *hay, size_t n, const char *needle, size_t m) {
  if (m == 0) return hay;
  if (m > n) return NULL;
  return str_memmem(hay, n, needle, m);
}

static const char *find_back(const char *hay, size_t n, const char *needle, size_t m) {
  if (m == 0) return hay + n;
  if (m > n) return NULL;
  for (size_t i = n - m + 1; i-- > 0;)
    if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0) return hay + i;
  return NULL;
}

static bool is_space_at(const char *d, size_t i, size_t len, size_t *adv) {
  unsigned char c = (unsigned char)d[i];
  if (c < 0x80) {
    *adv = 1;
    return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f);
  }
  return uni_isspace(utf8_decode(d + i, len - i, adv));
}

/* ------------------------------------------------------------- search */

/* find/rfind/index/rindex share this: code-point index or -1; -2 on error */
static int64_t do_find(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool reverse) {
  if (check_args(vm, name, nargs, kw, 1, 3) < 0) return -2;
  StrObj *self = AS_STR(args[0]);
  StrObj *sub = str_arg(vm, args[1]);
  if (!sub) return -2;
  int64_t from, to;
  if (parse_bounds(vm, self, args, nargs, 2, &from, &to) < 0) return -2;
  if (from > self->length || to < from) return -1;
  size_t bf = utf8_offset(self, from), bt = utf8_offset(self, to);
  const char *hit = reverse ? find_back(self->data + bf, bt - bf, sub->data, (size_t)sub->len)
                            : find_fwd(self->data + bf, bt - bf, sub->data, (size_t)sub->len);
  if (!hit) return -1;
  return cp_index_of(self, (size_t)(hit - self->data));
}

static Value m_find(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("find");
  int64_t r = do_find(vm, args, nargs, kw, "find", false);
  return r == -2 ? V_UNDEF : v_int(r);
}

static Value m_rfind(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("rfind");
  int64_t r = do_find(vm, args, nargs, kw, "rfind", true);
  return r == -2 ? V_UNDEF : v_int(r);
}

static Value m_index(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("index");
  int64_t r = do_find(vm, args, nargs, kw, "index", false);
  if (r == -1) return exc_value_error(vm, "substring not found");
  return r == -2 ? V_UNDEF : v_int(r);
}

static Value m_rindex(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("rindex");
  int64_t r = do_find(vm, args, nargs, kw, "rindex", true);
  if (r == -1) return exc_value_error(vm, "substring not found");
  return r == -2 ? V_UNDEF : v_int(r);
}

static Value m_count(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("count");
  if (check_args(vm, "count", nargs, kw, 1, 3) < 0) return V_UNDEF;
  StrObj *sub = str_arg(vm, args[1]);
  if (!sub) return V_UNDEF;
  int64_t from, to;
  if (parse_bounds(vm, self, args, nargs, 2, &from, &to) < 0) return V_UNDEF;
  if (from > self->length || to < from) return v_int(0);
  if (sub->len == 0) return v_int(to - from + 1);
  size_t bf = utf8_offset(self, from), bt = utf8_offset(self, to);
  int64_t n = 0;
  const char *p = self->data + bf, *end = self->data + bt;
  while ((size_t)(end - p) >= (size_t)sub->len) {
    const char *hit = str_memmem(p, (size_t)(end - p), sub->data, (size_t)sub->len);
    if (!hit) break;
    n++;
    p = hit + sub->len;
  }
  return v_int(n);
}

static Value starts_ends(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool ends) {
  if (check_args(vm, name, nargs, kw, 1, 3) < 0) return V_UNDEF;
  StrObj *self = AS_STR(args[0]);
  int64_t from, to;
  if (parse_bounds(vm, self, args, nargs, 2, &from, &to) < 0) return V_UNDEF;
  Value pat = args[1];
  const Value *items = &pat;
  int64_t n = 1;
  if (IS_TUPLE(pat)) {
    items = AS_TUPLE(pat)->items;
    n = AS_TUPLE(pat)->len;
  } else if (!IS_STR(pat)) {
    return exc_type_error(vm, "%s first arg must be str or a tuple of str, not %s", name,
                          obj_type_name(vm, pat));
  }
  size_t bf = utf8_offset(self, from), bt = to >= from ? utf8_offset(self, to) : bf;
  for (int64_t k = 0; k < n; k++) {
    if (!IS_STR(items[k]))
      return exc_type_error(vm, "tuple for %s must only contain str, not %s", name,
                            obj_type_name(vm, items[k]));
    StrObj *p = AS_STR(items[k]);
    if (from > self->length) continue;
    if (to < from) continue;
    size_t avail = bt - bf, m = (size_t)p->len;
    if (m > avail) continue;
    const char *at = ends ? self->data + bt - m : self->data + bf;
    if (memcmp(at, p->data, m) == 0) return V_TRUE;
  }
  return V_FALSE;
}

static Value m_startswith(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("startswith");
  return starts_ends(vm, args, nargs, kw, "startswith", false);
}

static Value m_endswith(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("endswith");
  return starts_ends(vm, args, nargs, kw, "endswith", true);
}

static Value m_contains(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("__contains__");
  if (check_args(vm, "__contains__", nargs, kw, 1, 1) < 0) return V_UNDEF;
  if (!IS_STR(args[1]))
    return exc_type_error(vm, "'in <string>' requires string as left operand, not %s",
                          obj_type_name(vm, args[1]));
  StrObj *sub = AS_STR(args[1]);
  return v_bool(find_fwd(self->data, (size_t)self->len, sub->data, (size_t)sub->len) != NULL);
}

/* --------------------------------------------------------------- join */

static int join_add(VM *vm, SBuf *b, Value item, int64_t k, StrObj *sep) {
  if (!IS_STR(item)) {
    exc_type_error(vm, "sequence item %lld: expected str instance, %s found", (long long)k,
                   obj_type_name(vm, item));
    return -1;
  }
  if (k > 0) sbuf_add(b, sep->data, (size_t)sep->len);
  sbuf_add(b, AS_STR(item)->data, (size_t)AS_STR(item)->len);
  return 0;
}

static Value m_join(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("join");
  if (check_args(vm, "join", nargs, kw, 1, 1) < 0) return V_UNDEF;
  Value seq = args[1];
  SBuf b;
  sbuf_init(&b);
  if (IS_LIST(seq) || IS_TUPLE(seq)) {
    /* no user code runs: the items stay put */
    int64_t n = IS_LIST(seq) ? AS_LIST(seq)->len : AS_TUPLE(seq)->len;
    Value *items = IS_LIST(seq) ? AS_LIST(seq)->items : AS_TUPLE(seq)->items;
    if (n == 1 && IS_STR(items[0]) && AS_OBJ(items[0])->type == vm->t_str) return items[0];
    for (int64_t k = 0; k < n; k++) {
      if (join_add(vm, &b, items[k], k, self) < 0) {
        sbuf_free(&b);
        return V_UNDEF;
      }
    }
    return ret_str(sbuf_finish(vm, &b));
  }
  Value it = obj_iter(vm, seq);
  if (IS_UNDEF(it)) {
    if (exc_pending_matches(vm, EXC(vm, TypeError))) {
      exc_clear(vm);
      return exc_type_error(vm, "can only join an iterable");
    }
    return V_UNDEF;
  }
  gc_push_root(vm, it);
  int64_t k = 0;
  for (;; k++) {
    Value item = obj_next(vm, it);
    if (IS_UNDEF(item)) {
      if (exc_pending(vm)) goto fail;
      break;
    }
    if (join_add(vm, &b, item, k, self) < 0) goto fail;
  }
  gc_pop_roots(vm, 1);
  return ret_str(sbuf_finish(vm, &b));
fail:
  gc_pop_roots(vm, 1);
  sbuf_free(&b);
  return V_UNDEF;
}

/* -------------------------------------------------------------- split */

static int add_piece(VM *vm, ListObj *l, const char *d, size_t n) {
  StrObj *s = str_new(vm, d, n);
  if (!s) return -1;
  return list_append(vm, l, v_obj(s));
}

/* split's and rsplit's (sep=None, maxsplit=-1) */
static int split_args(VM *vm, const char *name, Value *args, int nargs, TupleObj *kw, StrObj **sep,
                      int64_t *maxsplit) {
  static const char *const names[] = {"self", "sep", "maxsplit", NULL};
  Value a[3];
  if (arg_parse(vm, name, args, nargs, kw, names, 1, a) < 0) return -1;
  *sep = NULL;
  *maxsplit = -1;
  if (!IS_UNDEF(a[1]) && !IS_NONE(a[1])) {
    if (!IS_STR(a[1])) {
      exc_type_error(vm, "must be str or None, not %s", obj_type_name(vm, a[1]));
      return -1;
    }
    *sep = AS_STR(a[1]);
    if ((*sep)->len == 0) {
      exc_value_error(vm, "empty separator");
      return -1;
    }
  }
  if (!IS_UNDEF(a[2]) && index_arg(vm, a[2], maxsplit) < 0) return -1;
  if (*maxsplit < 0) *maxsplit = INT64_MAX;
  return 0;
}

static Value split_whitespace(VM *vm, StrObj *s, int64_t maxsplit) {
  ListObj *l = list_new(vm, 0);
  if (!l) return V_UNDEF;
  const char *d = s->data;
  size_t len = (size_t)s->len, i = 0, adv;
  for (;;) {
    while (i < len && is_space_at(d, i, len, &adv)) i += adv;
    if (i >= len) break;
    if (maxsplit-- == 0) {
      /* the rest, trailing whitespace included */
      if (add_piece(vm, l, d + i, len - i) < 0) return V_UNDEF;
      break;
    }
    size_t start = i;
    while (i < len && !is_space_at(d, i, len, &adv)) i += adv;
    if (add_piece(vm, l, d + start, i - start) < 0) return V_UNDEF;
  }
  return v_obj(l);
}

static Value m_split(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("split");
  StrObj *sep;
  int64_t maxsplit;
  if (split_args(vm, "split", args, nargs, kw, &sep, &maxsplit) < 0) return V_UNDEF;
  if (!sep) return split_whitespace(vm, self, maxsplit);
  ListObj *l = list_new(vm, 0);
  if (!l) return V_UNDEF;
  const char *p = self->data, *end = self->data + self->len;
  while (maxsplit-- > 0) {
    const char *hit = find_fwd(p, (size_t)(end - p), sep->data, (size_t)sep->len);
    if (!hit) break;
    if (add_piece(vm, l, p, (size_t)(hit - p)) < 0) return V_UNDEF;
    p = hit + sep->len;
  }
  if (add_piece(vm, l, p, (size_t)(end - p)) < 0) return V_UNDEF;
  return v_obj(l);
}

/* builds right to left, then reverses the list in place */
static void reverse_list(ListObj *l) {
  for (int64_t i = 0, j = l->len - 1; i < j; i++, j--) {
    Value t = l->items[i];
    l->items[i] = l->items[j];
    l->items[j] = t;
  }
}

static Value m_rsplit(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("rsplit");
  StrObj *sep;
  int64_t maxsplit;
  if (split_args(vm, "rsplit", args, nargs, kw, &sep, &maxsplit) < 0) return V_UNDEF;
  ListObj *l = list_new(vm, 0);
  if (!l) return V_UNDEF;
  const char *d = self->data;
  size_t end = (size_t)self->len;
  if (!sep) {
    size_t i = end;
    for (;;) {
      /* skip trailing whitespace */
      while (i > 0) {
        size_t st = cp_prev(d, i), adv;
        if (!is_space_at(d, st, end, &adv)) break;
        i = st;
      }
      if (i == 0) break;
      if (maxsplit-- == 0) {
        if (add_piece(vm, l, d, i) < 0) return V_UNDEF;
        break;
      }
      size_t stop = i;
      while (i > 0) {
        size_t st = cp_prev(d, i), adv;
        if (is_space_at(d, st, end, &adv)) break;
        i = st;
      }
      if (add_piece(vm, l, d + i, stop - i) < 0) return V_UNDEF;
    }
  } else {
    size_t stop = end;
    while (maxsplit-- > 0) {
      const char *hit = find_back(d, stop, sep->data, (size_t)sep->len);
      if (!hit) break;
      size_t at = (size_t)(hit - d);
      if (add_piece(vm, l, hit + sep->len, stop - at - (size_t)sep->len) < 0) return V_UNDEF;
      stop = at;
    }
    if (add_piece(vm, l, d, stop) < 0) return V_UNDEF;
  }
  reverse_list(l);
  return v_obj(l);
}

/* a line break at d[i]: its byte length (\r\n is 2), 0 when none */
static size_t line_break_at(const char *d, size_t i, size_t len) {
  unsigned char c = (unsigned char)d[i];
  if (c == '\r') return i + 1 < len && d[i + 1] == '\n' ? 2 : 1;
  if (c == '\n' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e)) return 1;
  if (c == 0xC2 && i + 1 < len && (unsigned char)d[i + 1] == 0x85) return 2;
  if (c == 0xE2 && i + 2 < len && (unsigned char)d[i + 1] == 0x80 &&
      ((unsigned char)d[i + 2] == 0xA8 || (unsigned char)d[i + 2] == 0xA9))
    return 3;
  return 0;
}

static Value m_splitlines(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("splitlines");
  static const char *const names[] = {"self", "keepends", NULL};
  Value a[2];
  if (arg_parse(vm, "splitlines", args, nargs, kw, names, 1, a) < 0) return V_UNDEF;
  int keep = 0;
  if (!IS_UNDEF(a[1]) && (keep = obj_truthy(vm, a[1])) < 0) return V_UNDEF;
  ListObj *l = list_new(vm, 0);
  if (!l) return V_UNDEF;
  const char *d = self->data;
  size_t len = (size_t)self->len, start = 0, i = 0;
  while (i < len) {
    size_t br = line_break_at(d, i, len);
    if (!br) {
      i++;
      continue;
    }
    if (add_piece(vm, l, d + start, i - start + (keep ? br : 0)) < 0) return V_UNDEF;
    i += br;
    start = i;
  }
  if (start < len && add_piece(vm, l, d + start, len - start) < 0) return V_UNDEF;
  return v_obj(l);
}

static Value partition(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool reverse) {
  if (check_args(vm, name, nargs, kw, 1, 1) < 0) return V_UNDEF;
  StrObj *self = AS_STR(args[0]);
  StrObj *sep = str_arg(vm, args[1]);
  if (!sep) return V_UNDEF;
  if (sep->len == 0) return exc_value_error(vm, "empty separator");
  const char *hit = reverse ? find_back(self->data, (size_t)self->len, sep->data, (size_t)sep->len)
                            : find_fwd(self->data, (size_t)self->len, sep->data, (size_t)sep->len);
  TupleObj *t = tuple_new(vm, 3);
  if (!t) return V_UNDEF;
  Value whole = self->obj.type == vm->t_str ? v_obj(self) : new_str(vm, self->data, (size_t)self->len);
  if (IS_UNDEF(whole)) return V_UNDEF;
  Value empty = v_obj(vm->empty_str);
  if (!hit) {
    t->items[0] = reverse ? empty : whole;
    t->items[1] = empty;
    t->items[2] = reverse ? whole : empty;
    return v_obj(t);
  }
  size_t at = (size_t)(hit - self->data), after = at + (size_t)sep->len;
  Value left = new_str(vm, self->data, at);
  if (IS_UNDEF(left)) return V_UNDEF;
  t->items[0] = left;
  t->items[1] = sep->obj.type == vm->t_str ? v_obj(sep) : new_str(vm, sep->data, (size_t)sep->len);
  Value right = new_str(vm, self->data + after, (size_t)self->len - after);
  if (IS_UNDEF(right) || IS_UNDEF(t->items[1])) return V_UNDEF;
  t->items[2] = right;
  return v_obj(t);
}

static Value m_partition(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("partition");
  return partition(vm, args, nargs, kw, "partition", false);
}

static Value m_rpartition(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("rpartition");
  return partition(vm, args, nargs, kw, "rpartition", true);
}

/* -------------------------------------------------------------- strip */

/* is the code point at d[i] in `chars` (NULL: whitespace)? */
static bool strip_match(StrObj *chars, const char *d, size_t i, size_t len, size_t *adv) {
  if (!chars) return is_space_at(d, i, len, adv);
  *adv = cp_len(d, i, len);
  if (*adv == 1) return memchr(chars->data, d[i], (size_t)chars->len) != NULL;
  return find_fwd(chars->data, (size_t)chars->len, d + i, *adv) != NULL;
}

static Value do_strip(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool left, bool right) {
  if (check_args(vm, name, nargs, kw, 0, 1) < 0) return V_UNDEF;
  StrObj *self = AS_STR(args[0]), *chars = NULL;
  if (nargs > 1 && !IS_NONE(args[1])) {
    if (!IS_STR(args[1])) return exc_type_error(vm, "%s arg must be None or str", name);
    chars = AS_STR(args[1]);
  }
  const char *d = self->data;
  size_t len = (size_t)self->len, i = 0, j = len, adv;
  if (left)
    while (i < len && strip_match(chars, d, i, len, &adv)) i += adv;
  if (right)
    while (j > i) {
      size_t st = cp_prev(d, j);
      if (!strip_match(chars, d, st, len, &adv)) break;
      j = st;
    }
  if (i == 0 && j == len && self->obj.type == vm->t_str) return args[0];
  return new_str(vm, d + i, j - i);
}

static Value m_strip(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("strip");
  return do_strip(vm, args, nargs, kw, "strip", true, true);
}

static Value m_lstrip(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("lstrip");
  return do_strip(vm, args, nargs, kw, "lstrip", true, false);
}

static Value m_rstrip(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("rstrip");
  return do_strip(vm, args, nargs, kw, "rstrip", false, true);
}

static Value affix(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool suffix) {
  if (check_args(vm, name, nargs, kw, 1, 1) < 0) return V_UNDEF;
  StrObj *self = AS_STR(args[0]);
  if (!IS_STR(args[1]))
    return exc_type_error(vm, "%s() argument must be str, not %s", name, obj_type_name(vm, args[1]));
  StrObj *a = AS_STR(args[1]);
  size_t n = (size_t)self->len, m = (size_t)a->len;
  if (m && m <= n && memcmp(suffix ? self->data + n - m : self->data, a->data, m) == 0)
    return new_str(vm, suffix ? self->data : self->data + m, n - m);
  if (self->obj.type == vm->t_str) return args[0];
  return new_str(vm, self->data, n);
}

static Value m_removeprefix(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("removeprefix");
  return affix(vm, args, nargs, kw, "removeprefix", false);
}

static Value m_removesuffix(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("removesuffix");
  return affix(vm, args, nargs, kw, "removesuffix", true);
}

/* ------------------------------------------------------------ replace */

static Value m_replace(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("replace");
  if (check_args(vm, "replace", nargs, kw, 2, 3) < 0) return V_UNDEF;
  StrObj *old = str_arg(vm, args[1]), *rep = old ? str_arg(vm, args[2]) : NULL;
  if (!rep) return V_UNDEF;
  int64_t count = -1;
  if (nargs > 3 && index_arg(vm, args[3], &count) < 0) return V_UNDEF;
  if (count < 0) count = INT64_MAX;
  SBuf b;
  sbuf_init(&b);
  const char *p = self->data, *end = self->data + self->len;
  if (old->len == 0) {
    /* insert between code points, and at both ends */
    while (count > 0) {
      sbuf_add(&b, rep->data, (size_t)rep->len);
      count--;
      if (p >= end) break;
      size_t n = cp_len(p, 0, (size_t)(end - p));
      sbuf_add(&b, p, n);
      p += n;
    }
  } else {
    while (count-- > 0) {
      const char *hit = find_fwd(p, (size_t)(end - p), old->data, (size_t)old->len);
      if (!hit) break;
      sbuf_add(&b, p, (size_t)(hit - p));
      sbuf_add(&b, rep->data, (size_t)rep->len);
      p = hit + old->len;
    }
  }
  sbuf_add(&b, p, (size_t)(end - p));
  return ret_str(sbuf_finish(vm, &b));
}

/* ------------------------------------------------------- case mapping */

enum { CASE_UPPER, CASE_LOWER, CASE_SWAP, CASE_TITLE, CASE_CAPITALIZE, CASE_FOLD };

/* Greek capital sigma lowercases to final ς at the end of a word: after a
** cased letter and not before one (case-ignorable characters skipped) */
static bool final_sigma(const char *d, size_t at, size_t len) {
  size_t i = at, adv;
  bool before = false;
  while (i > 0) {
    i = cp_prev(d, i);
    uint32_t c = utf8_decode(d + i, len - i, &adv);
    if (uni_iscase_ignorable(c)) continue;
    before = uni_iscased(c);
    break;
  }
  if (!before) return false;
  i = at + 2; /* Σ is two bytes */
  while (i < len) {
    uint32_t c = utf8_decode(d + i, len - i, &adv);
    i += adv;
    if (uni_iscase_ignorable(c)) continue;
    return !uni_iscased(c);
  }
  return true;
}

static void add_mapped(SBuf *b, uint32_t cp, int kind, const char *d, size_t at, size_t len) {
  if (cp == 0x3A3 && kind == UNI_LOWER) {
    sbuf_adds(b, final_sigma(d, at, len) ? "\xcf\x82" : "\xcf\x83");
    return;
  }
  char out[UNI_MAP_MAX];
  size_t n = uni_case_map(cp, kind, out);
  sbuf_add(b, out, n);
}

static char ascii_case(char c, int mode, bool *prev_cased, bool first) {
  bool up = c >= 'A' && c <= 'Z', low = c >= 'a' && c <= 'z';
  char r = c;
  switch (mode) {
    case CASE_UPPER: if (low) r = (char)(c - 32); break;
    case CASE_LOWER: case CASE_FOLD: if (up) r = (char)(c + 32); break;
    case CASE_SWAP: if (up) r = (char)(c + 32); else if (low) r = (char)(c - 32); break;
    case CASE_TITLE:
      if (*prev_cased) { if (up) r = (char)(c + 32); }
      else if (low) r = (char)(c - 32);
      *prev_cased = up || low;
      break;
    default: /* capitalize */
      if (first) { if (low) r = (char)(c - 32); }
      else if (up) r = (char)(c + 32);
  }
  return r;
}

static Value case_convert(VM *vm, StrObj *s, int mode) {
  size_t len = (size_t)s->len;
  bool prev_cased = false;
  if (is_ascii(s)) {
    StrObj *r = str_alloc(vm, len);
    if (!r) return V_UNDEF;
    for (size_t i = 0; i < len; i++) r->data[i] = ascii_case(s->data[i], mode, &prev_cased, i == 0);
    r->length = s->length;
    r->obj.flags |= STR_ASCII;
    return v_obj(r);
  }
  SBuf b;
  sbuf_init(&b);
  const char *d = s->data;
  size_t i = 0, adv;
  while (i < len) {
    uint32_t c = utf8_decode(d + i, len - i, &adv);
    int kind = -1;
    switch (mode) {
      case CASE_UPPER: kind = UNI_UPPER; break;
      case CASE_LOWER: kind = UNI_LOWER; break;
      case CASE_FOLD: kind = UNI_FOLD; break;
      case CASE_SWAP:
        if (uni_isupper(c)) kind = UNI_LOWER;
        else if (uni_islower(c)) kind = UNI_UPPER;
        break;
      case CASE_TITLE:
        kind = prev_cased ? UNI_LOWER : UNI_TITLE;
        prev_cased = uni_iscased(c);
        break;
      default: kind = i == 0 ? UNI_TITLE : UNI_LOWER;
    }
    if (kind < 0) sbuf_add(&b, d + i, adv);
    else add_mapped(&b, c, kind, d, i, len);
    i += adv;
  }
  return ret_str(sbuf_finish(vm, &b));
}

#define CASE_METHOD(fn, pyname, mode)                                     \
  static Value fn(VM *vm, Value *args, int nargs, TupleObj *kw) {         \
    SELF_STR(pyname);                                                     \
    if (check_args(vm, pyname, nargs, kw, 0, 0) < 0) return V_UNDEF;      \
    return case_convert(vm, self, mode);                                  \
  }
CASE_METHOD(m_upper, "upper", CASE_UPPER)
CASE_METHOD(m_lower, "lower", CASE_LOWER)
CASE_METHOD(m_swapcase, "swapcase", CASE_SWAP)
CASE_METHOD(m_title, "title", CASE_TITLE)
CASE_METHOD(m_capitalize, "capitalize", CASE_CAPITALIZE)
CASE_METHOD(m_casefold, "casefold", CASE_FOLD)

/* ---------------------------------------------------------- predicates */

typedef bool (*CharPred)(uint32_t);

/* every code point satisfies pred (False for '') */
static Value all_chars(StrObj *s, CharPred pred) {
  if (s->len == 0) return V_FALSE;
  size_t i = 0, len = (size_t)s->len, adv;
  while (i < len) {
    if (!pred(utf8_decode(s->data + i, len - i, &adv))) return V_FALSE;
    i += adv;
  }
  return V_TRUE;
}

#define PRED_METHOD(fn, pyname, pred)                                     \
  static Value fn(VM *vm, Value *args, int nargs, TupleObj *kw) {         \
    SELF_STR(pyname);                                                     \
    if (check_args(vm, pyname, nargs, kw, 0, 0) < 0) return V_UNDEF;      \
    return all_chars(self, pred);                                         \
  }
PRED_METHOD(m_isalpha, "isalpha", uni_isalpha)
PRED_METHOD(m_isdigit, "isdigit", uni_isdigit)
PRED_METHOD(m_isdecimal, "isdecimal", uni_isdecimal)
PRED_METHOD(m_isnumeric, "isnumeric", uni_isnumeric)
PRED_METHOD(m_isalnum, "isalnum", uni_isalnum)
PRED_METHOD(m_isspace, "isspace", uni_isspace)

/* isupper/islower: at least one cased character, none of the other case */
static Value cased_pred(StrObj *s, bool upper) {
  bool cased = false;
  size_t i = 0, len = (size_t)s->len, adv;
  while (i < len) {
    uint32_t c = utf8_decode(s->data + i, len - i, &adv);
    i += adv;
    bool u = uni_isupper(c), l = uni_islower(c), t = uni_istitle(c);
    if (upper ? (l || t) : (u || t)) return V_FALSE;
    if (upper ? u : l) cased = true;
  }
  return v_bool(cased);
}

static Value m_isupper(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("isupper");
  if (check_args(vm, "isupper", nargs, kw, 0, 0) < 0) return V_UNDEF;
  return cased_pred(self, true);
}

static Value m_islower(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("islower");
  if (check_args(vm, "islower", nargs, kw, 0, 0) < 0) return V_UNDEF;
  return cased_pred(self, false);
}

static Value m_istitle(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("istitle");
  if (check_args(vm, "istitle", nargs, kw, 0, 0) < 0) return V_UNDEF;
  bool cased = false, prev_cased = false;
  size_t i = 0, len = (size_t)self->len, adv;
  while (i < len) {
    uint32_t c = utf8_decode(self->data + i, len - i, &adv);
    i += adv;
    if (uni_isupper(c) || uni_istitle(c)) {
      if (prev_cased) return V_FALSE;
      prev_cased = cased = true;
    } else if (uni_islower(c)) {
      if (!prev_cased) return V_FALSE;
      prev_cased = cased = true;
    } else {
      prev_cased = false;
    }
  }
  return v_bool(cased);
}

static Value m_isascii(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("isascii");
  if (check_args(vm, "isascii", nargs, kw, 0, 0) < 0) return V_UNDEF;
  return v_bool(is_ascii(self));
}

static Value m_isprintable(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("isprintable");
  if (check_args(vm, "isprintable", nargs, kw, 0, 0) < 0) return V_UNDEF;
  if (self->len == 0) return V_TRUE;
  return all_chars(self, uni_isprintable);
}

static Value m_isidentifier(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("isidentifier");
  if (check_args(vm, "isidentifier", nargs, kw, 0, 0) < 0) return V_UNDEF;
  size_t i = 0, len = (size_t)self->len, adv;
  if (len == 0) return V_FALSE;
  if (!uni_isidstart(utf8_decode(self->data, len, &adv))) return V_FALSE;
  for (i = adv; i < len; i += adv)
    if (!uni_isidcontinue(utf8_decode(self->data + i, len - i, &adv))) return V_FALSE;
  return V_TRUE;
}

/* ------------------------------------------------------------ padding */

/* fill character argument: exactly one code point; default ' ' */
static int fill_arg(VM *vm, Value *args, int nargs, int at, const char **fill, size_t *flen) {
  *fill = " ";
  *flen = 1;
  if (nargs <= at) return 0;
  if (!IS_STR(args[at])) {
    exc_type_error(vm, "The fill character must be a unicode character, not %s", obj_type_name(vm, args[at]));
    return -1;
  }
  StrObj *f = AS_STR(args[at]);
  if (f->length != 1) {
    exc_type_error(vm, "The fill character must be exactly one character long");
    return -1;
  }
  *fill = f->data;
  *flen = (size_t)f->len;
  return 0;
}

static Value pad(VM *vm, StrObj *s, int64_t left, int64_t right, const char *fill, size_t flen) {
  if (left <= 0 && right <= 0 && s->obj.type == vm->t_str) return v_obj(s);
  if (left < 0) left = 0;
  if (right < 0) right = 0;
  SBuf b;
  sbuf_init(&b);
  sbuf_addn(&b, fill, flen, left);
  sbuf_add(&b, s->data, (size_t)s->len);
  sbuf_addn(&b, fill, flen, right);
  return ret_str(sbuf_finish(vm, &b));
}

static Value justify(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, int how) {
  if (check_args(vm, name, nargs, kw, 1, 2) < 0) return V_UNDEF;
  StrObj *self = AS_STR(args[0]);
  int64_t width;
  if (index_arg(vm, args[1], &width) < 0) return V_UNDEF;
  const char *fill;
  size_t flen;
  if (fill_arg(vm, args, nargs, 2, &fill, &flen) < 0) return V_UNDEF;
  int64_t marg = width - self->length;
  if (marg <= 0) return pad(vm, self, 0, 0, fill, flen);
  if (how < 0) return pad(vm, self, 0, marg, fill, flen);
  if (how > 0) return pad(vm, self, marg, 0, fill, flen);
  int64_t left = marg / 2 + (marg & width & 1);
  return pad(vm, self, left, marg - left, fill, flen);
}

static Value m_ljust(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("ljust");
  return justify(vm, args, nargs, kw, "ljust", -1);
}

static Value m_rjust(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("rjust");
  return justify(vm, args, nargs, kw, "rjust", 1);
}

static Value m_center(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("center");
  return justify(vm, args, nargs, kw, "center", 0);
}

static Value m_zfill(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("zfill");
  if (check_args(vm, "zfill", nargs, kw, 1, 1) < 0) return V_UNDEF;
  int64_t width;
  if (index_arg(vm, args[1], &width) < 0) return V_UNDEF;
  int64_t fill = width - self->length;
  if (fill <= 0) return pad(vm, self, 0, 0, "0", 1);
  SBuf b;
  sbuf_init(&b);
  size_t skip = 0;
  if (self->len && (self->data[0] == '+' || self->data[0] == '-')) {
    sbuf_addc(&b, self->data[0]);
    skip = 1;
  }
  sbuf_addn(&b, "0", 1, fill);
  sbuf_add(&b, self->data + skip, (size_t)self->len - skip);
  return ret_str(sbuf_finish(vm, &b));
}

static Value m_expandtabs(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("expandtabs");
  static const char *const names[] = {"self", "tabsize", NULL};
  Value a[2];
  if (arg_parse(vm, "expandtabs", args, nargs, kw, names, 1, a) < 0) return V_UNDEF;
  int64_t tab = 8;
  if (!IS_UNDEF(a[1]) && index_arg(vm, a[1], &tab) < 0) return V_UNDEF;
  SBuf b;
  sbuf_init(&b);
  int64_t col = 0;
  size_t i = 0, len = (size_t)self->len;
  while (i < len) {
    char c = self->data[i];
    if (c == '\t') {
      if (tab > 0) {
        int64_t n = tab - col % tab;
        sbuf_addn(&b, " ", 1, n);
        col += n;
      }
      i++;
    } else {
      size_t n = cp_len(self->data, i, len);
      sbuf_add(&b, self->data + i, n);
      i += n;
      col = (c == '\n' || c == '\r') ? 0 : col + 1;
    }
  }
  return ret_str(sbuf_finish(vm, &b));
}

/* ---------------------------------------------- encode, format, translate */

static Value m_encode(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("encode");
  static const char *const names[] = {"self", "encoding", "errors", NULL};
  Value a[3];
  if (arg_parse(vm, "encode", args, nargs, kw, names, 1, a) < 0) return V_UNDEF;
  const char *enc = "utf-8", *errors = "strict";
  for (int k = 1; k <= 2; k++) {
    if (IS_UNDEF(a[k])) continue;
    if (!IS_STR(a[k]))
      return exc_type_error(vm, "encode() argument '%s' must be str, not %s", names[k], obj_type_name(vm, a[k]));
    if (k == 1) enc = AS_STR(a[k])->data;
    else errors = AS_STR(a[k])->data;
  }
  return str_encode(vm, self, enc, errors);
}

static Value m_format(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("format");
  return format_str_method(vm, self, args + 1, nargs - 1, kw);
}

static Value m_format_map(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("format_map");
  if (check_args(vm, "format_map", nargs, kw, 1, 1) < 0) return V_UNDEF;
  return format_str_map(vm, self, args[1]);
}

static Value m_dunder_format(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("__format__");
  if (check_args(vm, "__format__", nargs, kw, 1, 1) < 0) return V_UNDEF;
  if (!IS_STR(args[1]))
    return exc_type_error(vm, "__format__() argument must be str, not %s", obj_type_name(vm, args[1]));
  return format_value(vm, args[0], AS_STR(args[1]));
}

/* str.maketrans(x[, y[, z]]) -> {ord: str/int/None} */
static Value m_maketrans(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (check_args(vm, "maketrans", nargs + 1, kw, 1, 3) < 0) return V_UNDEF;
  DictObj *d = dict_new(vm);
  if (!d) return V_UNDEF;
  if (nargs == 1) {
    if (!IS_DICT(args[0]))
      return exc_type_error(vm, "if you give only one argument to maketrans it must be a dict");
    int64_t pos = 0;
    Value k, v;
    while (dict_next(AS_DICT(args[0]), &pos, &k, &v)) {
      Value key = k;
      if (IS_STR(k)) {
        if (AS_STR(k)->length != 1)
          return exc_value_error(vm, "string keys in translate table must be of length 1");
        key = v_int(str_char_at(AS_STR(k), 0));
      } else if (!IS_INTLIKE(k)) {
        return exc_type_error(vm, "keys in translate table must be strings or integers");
      }
      if (dict_set(vm, d, key, v) < 0) return V_UNDEF;
    }
    return v_obj(d);
  }
  if (!IS_STR(args[0]) || !IS_STR(args[1]))
    return exc_type_error(vm, "maketrans() argument %d must be str, not %s", IS_STR(args[0]) ? 2 : 1,
                          obj_type_name(vm, IS_STR(args[0]) ? args[1] : args[0]));
  StrObj *x = AS_STR(args[0]), *y = AS_STR(args[1]);
  if (x->length != y->length)
    return exc_value_error(vm, "the first two maketrans arguments must have equal length");
  for (int64_t k = 0; k < x->length; k++)
    if (dict_set(vm, d, v_int(str_char_at(x, k)), v_int(str_char_at(y, k))) < 0) return V_UNDEF;
  if (nargs == 3) {
    if (!IS_STR(args[2]))
      return exc_type_error(vm, "maketrans() argument 3 must be str, not %s", obj_type_name(vm, args[2]));
    StrObj *z = AS_STR(args[2]);
    for (int64_t k = 0; k < z->length; k++)
      if (dict_set(vm, d, v_int(str_char_at(z, k)), V_NONE) < 0) return V_UNDEF;
  }
  return v_obj(d);
}

static Value m_translate(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("translate");
  if (check_args(vm, "translate", nargs, kw, 1, 1) < 0) return V_UNDEF;
  Value table = args[1];
  SBuf b;
  sbuf_init(&b);
  size_t i = 0, len = (size_t)self->len, adv;
  while (i < len) {
    uint32_t c = utf8_decode(self->data + i, len - i, &adv);
    Value r = obj_getitem(vm, table, v_int(c));
    if (IS_UNDEF(r)) {
      if (!exc_pending_matches(vm, EXC(vm, LookupError))) goto fail;
      exc_clear(vm);
      sbuf_add(&b, self->data + i, adv);
    } else if (IS_INTLIKE(r)) {
      int64_t cp = AS_INTLIKE(r);
      if (cp < 0 || cp > 0x10FFFF) {
        exc_value_error(vm, "character mapping must be in range(0x110000)");
        goto fail;
      }
      char buf[4];
      sbuf_add(&b, buf, utf8_encode((uint32_t)cp, buf));
    } else if (IS_STR(r)) {
      sbuf_add(&b, AS_STR(r)->data, (size_t)AS_STR(r)->len);
    } else if (!IS_NONE(r)) {
      exc_type_error(vm, "character mapping must return integer, None or str");
      goto fail;
    }
    i += adv;
  }
  return ret_str(sbuf_finish(vm, &b));
fail:
  sbuf_free(&b);
  return V_UNDEF;
}

/* ------------------------------------------------------ dunder wrappers */

static Value m_len(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("__len__");
  if (check_args(vm, "__len__", nargs, kw, 0, 0) < 0) return V_UNDEF;
  return v_int(self->length);
}

static Value m_getitem(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("__getitem__");
  if (check_args(vm, "__getitem__", nargs, kw, 1, 1) < 0) return V_UNDEF;
  return str_getitem(vm, args[0], args[1]);
}

static Value m_binop(VM *vm, Value *args, int nargs, TupleObj *kw) {
  int64_t op = AS_INT(native_data(vm));
  bool reflected = op >= 100;
  if (reflected) op -= 100;
  SELF_STR(reflected ? "__rmul__" : op == BIN_ADD ? "__add__" : op == BIN_MUL ? "__mul__" : "__mod__");
  if (nargs != 2 || (kw && kw->len)) return exc_type_error(vm, "expected 1 argument, got %d", nargs - 1);
  return reflected ? str_binop(vm, (int)op, args[1], args[0]) : str_binop(vm, (int)op, args[0], args[1]);
}

static Value m_richcmp(VM *vm, Value *args, int nargs, TupleObj *kw) {
  static const char *const names[] = {"__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"};
  int op = (int)AS_INT(native_data(vm));
  SELF_STR(names[op]);
  if (check_args(vm, names[op], nargs, kw, 1, 1) < 0) return V_UNDEF;
  return vm->t_str->richcmp(vm, args[0], args[1], op);
}

static Value m_hash(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("__hash__");
  if (check_args(vm, "__hash__", nargs, kw, 0, 0) < 0) return V_UNDEF;
  return v_int(str_hash(self));
}

static Value m_repr(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("__repr__");
  if (check_args(vm, "__repr__", nargs, kw, 0, 0) < 0) return V_UNDEF;
  return str_repr(vm, args[0]);
}

static Value m_str(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("__str__");
  if (check_args(vm, "__str__", nargs, kw, 0, 0) < 0) return V_UNDEF;
  return vm->t_str->str(vm, args[0]);
}

static Value m_iter(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_STR("__iter__");
  if (check_args(vm, "__iter__", nargs, kw, 0, 0) < 0) return V_UNDEF;
  return vm->t_str->iter(vm, args[0]);
}

typedef struct MethodDef { const char *name; NativeFn fn; } MethodDef;

static const MethodDef str_methods[] = {
  {"find", m_find}, {"rfind", m_rfind}, {"index", m_index}, {"rindex", m_rindex},
  {"count", m_count}, {"startswith", m_startswith}, {"endswith", m_endswith},
  {"join", m_join}, {"split", m_split}, {"rsplit", m_rsplit}, {"splitlines", m_splitlines},
  {"partition", m_partition}, {"rpartition", m_rpartition},
  {"strip", m_strip}, {"lstrip", m_lstrip}, {"rstrip", m_rstrip},
  {"removeprefix", m_removeprefix}, {"removesuffix", m_removesuffix}, {"replace", m_replace},
  {"upper", m_upper}, {"lower", m_lower}, {"swapcase", m_swapcase}, {"title", m_title},
  {"capitalize", m_capitalize}, {"casefold", m_casefold},
  {"isalpha", m_isalpha}, {"isdigit", m_isdigit}, {"isdecimal", m_isdecimal},
  {"isnumeric", m_isnumeric}, {"isalnum", m_isalnum}, {"isspace", m_isspace},
  {"isupper", m_isupper}, {"islower", m_islower}, {"istitle", m_istitle},
  {"isascii", m_isascii}, {"isprintable", m_isprintable}, {"isidentifier", m_isidentifier},
  {"ljust", m_ljust}, {"rjust", m_rjust}, {"center", m_center}, {"zfill", m_zfill},
  {"expandtabs", m_expandtabs}, {"encode", m_encode}, {"format", m_format},
  {"format_map", m_format_map}, {"__format__", m_dunder_format}, {"translate", m_translate},
  {"__len__", m_len}, {"__getitem__", m_getitem}, {"__contains__", m_contains},
  {"__hash__", m_hash}, {"__repr__", m_repr}, {"__str__", m_str}, {"__iter__", m_iter},
};

void str_methods_init(VM *vm, Type *t) {
  for (size_t k = 0; k < sizeof str_methods / sizeof str_methods[0]; k++)
    define_native(vm, t->dict, str_methods[k].name, str_methods[k].fn, NATIVE_METHOD);
  define_native(vm, t->dict, "maketrans", m_maketrans, NATIVE_STATIC);
  static const struct { const char *name; int op; } binops[] = {
    {"__add__", BIN_ADD}, {"__mul__", BIN_MUL}, {"__rmul__", 100 + BIN_MUL}, {"__mod__", BIN_MOD}};
  for (size_t k = 0; k < sizeof binops / sizeof binops[0]; k++) {
    NativeObj *n = define_native(vm, t->dict, binops[k].name, m_binop, NATIVE_METHOD);
    if (n) n->data = v_int(binops[k].op);
  }
  static const char *const cmps[] = {"__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"};
  for (int op = CMP_LT; op <= CMP_GE; op++) {
    NativeObj *n = define_native(vm, t->dict, cmps[op], m_richcmp, NATIVE_METHOD);
    if (n) n->data = v_int(op);
  }
}
