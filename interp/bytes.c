/* bytes.c — the immutable bytes type (literal-style repr, indexing to
** ints, slicing, + * %, comparisons, the common methods) and the text
** codecs str.encode()/bytes.decode() use: UTF-8, ASCII and Latin-1 with
** CPython's error handlers and UnicodeDecodeError/EncodeError messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "exc.h"
#include "format.h"
#include "gc.h"
#include "iter.h"
#include "list.h"
#include "num.h"
#include "range.h"
#include "str.h"
#include "tuple.h"
#include "type.h"
#include "vm.h"
#include "func.h"

/* ------------------------------------------------------------ creation */

static BytesObj *bytes_alloc(VM *vm, size_t len) {
  BytesObj *b = gc_alloc_obj(vm, sizeof(BytesObj) + len + 1, K_BYTES, vm->t_bytes);
  if (!b) return NULL;
  b->len = (int64_t)len;
  b->hash = -1;
  b->data[len] = 0;
  return b;
}

BytesObj *bytes_new(VM *vm, const void *data, size_t len) {
  BytesObj *b = bytes_alloc(vm, len);
  if (b && len) memcpy(b->data, data, len);
  return b;
}

static Value ret_bytes(BytesObj *b) { return b ? v_obj(b) : V_UNDEF; }

static Value ret_str(StrObj *s) { return s ? v_obj(s) : V_UNDEF; }

/* ---------------------------------------------------------------- repr */

Value bytes_repr(VM *vm, Value v) {
  BytesObj *b = AS_BYTES(v);
  const uint8_t *d = b->data;
  size_t n = (size_t)b->len;
  bool has_single = memchr(d, '\'', n) != NULL, has_double = memchr(d, '"', n) != NULL;
  char quote = has_single && !has_double ? '"' : '\'';
  SBuf s;
  sbuf_init(&s);
  sbuf_addc(&s, 'b');
  sbuf_addc(&s, quote);
  for (size_t i = 0; i < n; i++) {
    uint8_t c = d[i];
    if (c == (uint8_t)quote || c == '\\') {
      sbuf_addc(&s, '\\');
      sbuf_addc(&s, (char)c);
    } else if (c == '\t') {
      sbuf_adds(&s, "\\t");
    } else if (c == '\n') {
      sbuf_adds(&s, "\\n");
    } else if (c == '\r') {
      sbuf_adds(&s, "\\r");
    } else if (c < 0x20 || c >= 0x7f) {
      sbuf_printf(&s, "\\x%02x", c);
    } else {
      sbuf_addc(&s, (char)c);
    }
  }
  sbuf_addc(&s, quote);
  return ret_str(sbuf_finish(vm, &s));
}

/* ------------------------------------------------------------- codecs */

const char *str_encoding_name(const char *name) {
  char norm[32];
  size_t n = 0;
  for (; name[n] && n < sizeof norm - 1; n++) {
    char c = name[n];
    if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
    if (c == '_' || c == ' ') c = '-';
    norm[n] = c;
  }
  if (name[n]) return NULL;
  norm[n] = '\0';
  static const char *const utf8[] = {"utf-8", "utf8", "u8", "utf", "cp65001", NULL};
  static const char *const ascii[] = {"ascii", "us-ascii", "646", "us", NULL};
  static const char *const latin1[] = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "8859", "cp819",
                                       "latin", "l1", "iso-ir-100", NULL};
  for (int k = 0; utf8[k]; k++)
    if (strcmp(norm, utf8[k]) == 0) return "utf-8";
  for (int k = 0; ascii[k]; k++)
    if (strcmp(norm, ascii[k]) == 0) return "ascii";
  for (int k = 0; latin1[k]; k++)
    if (strcmp(norm, latin1[k]) == 0) return "latin-1";
  return NULL;
}

static const char *encoding_or_raise(VM *vm, const char *encoding) {
  const char *e = str_encoding_name(encoding);
  if (!e) exc_raise(vm, EXC(vm, LookupError), "unknown encoding: %s", encoding);
  return e;
}

enum { ERR_STRICT, ERR_REPLACE, ERR_IGNORE, ERR_BACKSLASH, ERR_SURROGATE, ERR_XMLREF, ERR_UNKNOWN };

static int error_mode(const char *errors) {
  if (strcmp(errors, "strict") == 0) return ERR_STRICT;
  if (strcmp(errors, "replace") == 0) return ERR_REPLACE;
  if (strcmp(errors, "ignore") == 0) return ERR_IGNORE;
  if (strcmp(errors, "backslashreplace") == 0) return ERR_BACKSLASH;
  if (strcmp(errors, "surrogateescape") == 0) return ERR_SURROGATE;
  if (strcmp(errors, "xmlcharrefreplace") == 0) return ERR_XMLREF;
  return ERR_UNKNOWN;
}

/* Classify the UTF-8 at s[0..] (a non-ASCII lead byte): 0 when it is a
** well-formed sequence, else the number of bytes making up the invalid
** sequence (CPython's maximal subpart) and its reason. */
static size_t utf8_bad_span(const uint8_t *s, size_t len, const char **reason) {
  uint8_t c = s[0];
  size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  if (c < 0xC2 || c > 0xF4) {
    *reason = "invalid start byte";
    return 1;
  }
  size_t i = 1;
  for (; i < need && i < len; i++) {
    uint8_t lo = 0x80, hi = 0xBF;
    if (i == 1) {
      if (c == 0xE0) lo = 0xA0;
      else if (c == 0xED) hi = 0x9F;
      else if (c == 0xF0) lo = 0x90;
      else if (c == 0xF4) hi = 0x8F;
    }
    if (s[i] < lo || s[i] > hi) {
      *reason = "invalid continuation byte";
      return i;
    }
  }
  if (i == need) return 0;
  *reason = "unexpected end of data";
  return i;
}

static Value decode_error(VM *vm, const char *enc, const uint8_t *data, size_t start, size_t end,
                          const char *reason) {
  if (end - start == 1)
    return exc_raise(vm, EXC(vm, UnicodeDecodeError), "'%s' codec can't decode byte 0x%02x in position %zd: %s",
                     enc, data[start], start, reason);
  return exc_raise(vm, EXC(vm, UnicodeDecodeError), "'%s' codec can't decode bytes in position %zd-%zd: %s", enc,
                   start, end - 1, reason);
}

/* the replacement text of undecodable bytes data[start..end) */
static int decode_handle(VM *vm, SBuf *b, int mode, const char *errors, const char *enc, const uint8_t *data,
                         size_t start, size_t end, const char *reason) {
  char buf[8];
  switch (mode) {
    case ERR_REPLACE: sbuf_adds(b, "\xef\xbf\xbd"); return 0;
    case ERR_IGNORE: return 0;
    case ERR_BACKSLASH:
      for (size_t k = start; k < end; k++) sbuf_printf(b, "\\x%02x", data[k]);
      return 0;
    case ERR_SURROGATE:
      for (size_t k = start; k < end; k++) {
        if (data[k] < 0x80) goto strict;
        sbuf_add(b, buf, utf8_encode(0xDC00u + data[k], buf));
      }
      return 0;
    case ERR_UNKNOWN:
      exc_raise(vm, EXC(vm, LookupError), "unknown error handler name '%s'", errors);
      return -1;
    default:
    strict:
      decode_error(vm, enc, data, start, end, reason);
      return -1;
  }
}

Value str_decode_bytes(VM *vm, const char *data, size_t len, const char *encoding, const char *errors) {
  const char *enc = encoding_or_raise(vm, encoding);
  if (!enc) return V_UNDEF;
  const uint8_t *d = (const uint8_t *)data;
  if (strcmp(enc, "utf-8") == 0 && utf8_valid(data, len)) return ret_str(str_new(vm, data, len));
  int mode = error_mode(errors);
  SBuf b;
  sbuf_init(&b);
  size_t i = 0;
  while (i < len) {
    if (d[i] < 0x80) {
      sbuf_addc(&b, (char)d[i++]);
      continue;
    }
    if (strcmp(enc, "latin-1") == 0) {
      char buf[4];
      sbuf_add(&b, buf, utf8_encode(d[i++], buf));
      continue;
    }
    size_t span = 1;
    const char *reason = "ordinal not in range(128)";
    if (strcmp(enc, "utf-8") == 0) {
      const char *r = NULL;
      size_t bad = utf8_bad_span(d + i, len - i, &r);
      if (bad == 0) { /* well-formed: copy it */
        size_t need = d[i] >= 0xF0 ? 4 : d[i] >= 0xE0 ? 3 : 2;
        sbuf_add(&b, data + i, need);
        i += need;
        continue;
      }
      span = bad;
      reason = r;
    }
    if (decode_handle(vm, &b, mode, errors, enc, d, i, i + span, reason) < 0) {
      sbuf_free(&b);
      return V_UNDEF;
    }
    i += span;
  }
  return ret_str(sbuf_finish(vm, &b));
}

static void add_char_escape(SBuf *b, uint32_t cp) {
  if (cp < 0x100) sbuf_printf(b, "\\x%02x", cp);
  else if (cp < 0x10000) sbuf_printf(b, "\\u%04x", cp);
  else sbuf_printf(b, "\\U%08x", cp);
}

static Value encode_error(VM *vm, const char *enc, StrObj *s, int64_t start, int64_t end, const char *reason) {
  if (end - start == 1) {
    SBuf ch;
    sbuf_init(&ch);
    add_char_escape(&ch, str_char_at(s, start));
    Value r = exc_raise(vm, EXC(vm, UnicodeEncodeError), "'%s' codec can't encode character '%s' in position %lld: %s",
                        enc, ch.data ? ch.data : "", (long long)start, reason);
    sbuf_free(&ch);
    return r;
  }
  return exc_raise(vm, EXC(vm, UnicodeEncodeError), "'%s' codec can't encode characters in position %lld-%lld: %s",
                   enc, (long long)start, (long long)end - 1, reason);
}

Value str_encode(VM *vm, StrObj *s, const char *encoding, const char *errors) {
  const char *enc = encoding_or_raise(vm, encoding);
  if (!enc) return V_UNDEF;
  if (s->obj.flags & STR_ASCII) return ret_bytes(bytes_new(vm, s->data, (size_t)s->len));
  uint32_t limit = strcmp(enc, "ascii") == 0 ? 0x80 : strcmp(enc, "latin-1") == 0 ? 0x100 : 0x110000;
  const char *reason = limit == 0x80 ? "ordinal not in range(128)"
                       : limit == 0x100 ? "ordinal not in range(256)" : "surrogates not allowed";
  int mode = error_mode(errors);
  SBuf b;
  sbuf_init(&b);
  size_t i = 0, len = (size_t)s->len, adv;
  int64_t cpi = 0;
  while (i < len) {
    uint32_t cp = utf8_decode(s->data + i, len - i, &adv);
    bool bad = cp >= limit || (cp >= 0xD800 && cp <= 0xDFFF);
    if (!bad) {
      if (limit == 0x110000) sbuf_add(&b, s->data + i, adv);
      else sbuf_addc(&b, (char)cp);
      i += adv;
      cpi++;
      continue;
    }
    /* a run of unencodable characters is reported together */
    int64_t start = cpi;
    size_t j = i;
    int64_t endi = cpi;
    while (j < len) {
      size_t a2;
      uint32_t c2 = utf8_decode(s->data + j, len - j, &a2);
      if (!(c2 >= limit || (c2 >= 0xD800 && c2 <= 0xDFFF))) break;
      if (mode == ERR_REPLACE) sbuf_addc(&b, '?');
      else if (mode == ERR_BACKSLASH) add_char_escape(&b, c2);
      else if (mode == ERR_XMLREF) sbuf_printf(&b, "&#%u;", c2);
      else if (mode == ERR_SURROGATE && c2 >= 0xDC80 && c2 <= 0xDCFF) sbuf_addc(&b, (char)(c2 - 0xDC00));
      else if (mode != ERR_IGNORE) break;
      j += a2;
      endi++;
    }
    if (j == i) {
      /* strict (or a handler that cannot deal with it) */
      if (mode == ERR_UNKNOWN) {
        sbuf_free(&b);
        return exc_raise(vm, EXC(vm, LookupError), "unknown error handler name '%s'", errors);
      }
      int64_t e = cpi + 1;
      size_t k = i + adv;
      while (limit != 0x110000 && k < len) {
        size_t a2;
        uint32_t c2 = utf8_decode(s->data + k, len - k, &a2);
        if (c2 < limit && !(c2 >= 0xD800 && c2 <= 0xDFFF)) break;
        k += a2;
        e++;
      }
      sbuf_free(&b);
      return encode_error(vm, enc, s, start, e, reason);
    }
    i = j;
    cpi = endi;
  }
  if (b.cap == SIZE_MAX) return exc_no_memory(vm);
  BytesObj *r = bytes_new(vm, b.data ? b.data : "", b.len);
  sbuf_free(&b);
  return ret_bytes(r);
}

/* ------------------------------------------------------------ helpers */

static Value bad_self(VM *vm, const char *name, Value self) {
  return exc_type_error(vm, "descriptor '%s' for 'bytes' objects doesn't apply to a '%s' object", name,
                        obj_type_name(vm, self));
}

#define SELF_BYTES(name)                                                     \
  if (nargs < 1 || !IS_BYTES(args[0]))                                       \
    return bad_self(vm, name, nargs ? args[0] : V_NONE);                     \
  BytesObj *self = AS_BYTES(args[0]);                                        \
  (void)self

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
    exc_type_error(vm, "bytes.%s() takes no arguments (%d given)", name, n);
  else if (min == 1 && max == 1)
    exc_type_error(vm, "bytes.%s() takes exactly one argument (%d given)", name, n);
  else if (takes_style(name))
    exc_type_error(vm, "%s() takes at %s %d argument%s (%d given)", name, n < min ? "least" : "most",
                   n < min ? min : max, (n < min ? min : max) == 1 ? "" : "s", n);
  else if (n < min)
    exc_type_error(vm, "%s expected at least %d argument%s, got %d", name, min, min == 1 ? "" : "s", n);
  else
    exc_type_error(vm, "%s expected at most %d argument%s, got %d", name, max, max == 1 ? "" : "s", n);
  return -1;
}

/* a bytes-like argument (bytes only in withy) */
static BytesObj *bytes_arg(VM *vm, Value v) {
  if (IS_BYTES(v)) return AS_BYTES(v);
  exc_type_error(vm, "a bytes-like object is required, not '%s'", obj_type_name(vm, v));
  return NULL;
}

static const uint8_t *find_fwd(const uint8_t *h, size_t n, const uint8_t *nd, size_t m) {
  return (const uint8_t *)str_memmem((const char *)h, n, (const char *)nd, m);
}

static const uint8_t *find_back(const uint8_t *h, size_t n, const uint8_t *nd, size_t m) {
  if (m == 0) return h + n;
  if (m > n) return NULL;
  for (size_t i = n - m + 1; i-- > 0;)
    if (h[i] == nd[0] && memcmp(h + i, nd, m) == 0) return h + i;
  return NULL;
}

static int parse_bounds(VM *vm, int64_t len, Value *args, int nargs, int first, int64_t *from, int64_t *to) {
  int64_t a = 0, b = len;
  if (nargs > first && !IS_NONE(args[first]) && num_as_index(vm, args[first], &a) < 0) return -1;
  if (nargs > first + 1 && !IS_NONE(args[first + 1]) && num_as_index(vm, args[first + 1], &b) < 0) return -1;
  if (a < 0) a = a + len < 0 ? 0 : a + len;
  if (b > len) b = len;
  else if (b < 0) b = b + len < 0 ? 0 : b + len;
  *from = a;
  *to = b;
  return 0;
}

/* the needle of find/count/index: bytes or an int in range(256) */
static int needle_arg(VM *vm, Value v, uint8_t *one, const uint8_t **p, size_t *n) {
  if (IS_BYTES(v)) {
    *p = AS_BYTES(v)->data;
    *n = (size_t)AS_BYTES(v)->len;
    return 0;
  }
  if (IS_INTLIKE(v) || (IS_OBJ(v) && !IS_UNDEF(type_lookup(vm, obj_type(vm, v), NAME(vm, __index__))))) {
    int64_t i;
    if (num_as_index(vm, v, &i) < 0) return -1;
    if (i < 0 || i > 255) {
      exc_value_error(vm, "byte must be in range(0, 256)");
      return -1;
    }
    *one = (uint8_t)i;
    *p = one;
    *n = 1;
    return 0;
  }
  exc_type_error(vm, "argument should be integer or bytes-like object, not '%s'", obj_type_name(vm, v));
  return -1;
}

/* ------------------------------------------------------------- binops */

static Value bytes_repeat(VM *vm, BytesObj *b, int64_t n) {
  if (n <= 0 || b->len == 0) return ret_bytes(bytes_new(vm, "", 0));
  if (n > (INT64_MAX / 2) / b->len) return exc_no_memory(vm);
  BytesObj *r = bytes_alloc(vm, (size_t)(b->len * n));
  if (!r) return V_UNDEF;
  for (int64_t k = 0; k < n; k++) memcpy(r->data + k * b->len, b->data, (size_t)b->len);
  return v_obj(r);
}

Value bytes_binop(VM *vm, int op, Value a, Value b) {
  if (op >= BIN_INPLACE) op -= BIN_INPLACE;
  if (op == BIN_ADD && IS_BYTES(a)) {
    if (!IS_BYTES(b)) {
      if (IS_OBJ(b) && !IS_UNDEF(type_lookup(vm, obj_type(vm, b), NAME(vm, __radd__))))
        return v_obj(vm->not_implemented);
      return exc_type_error(vm, "can't concat %s to bytes", obj_type_name(vm, b));
    }
    BytesObj *x = AS_BYTES(a), *y = AS_BYTES(b);
    BytesObj *r = bytes_alloc(vm, (size_t)(x->len + y->len));
    if (!r) return V_UNDEF;
    memcpy(r->data, x->data, (size_t)x->len);
    memcpy(r->data + x->len, y->data, (size_t)y->len);
    return v_obj(r);
  }
  if (op == BIN_MUL) {
    Value seq = IS_BYTES(a) ? a : b, count = IS_BYTES(a) ? b : a;
    if (!IS_BYTES(seq)) return v_obj(vm->not_implemented);
    if (IS_INTLIKE(count)) return bytes_repeat(vm, AS_BYTES(seq), AS_INTLIKE(count));
    if (IS_OBJ(count) && !IS_UNDEF(type_lookup(vm, obj_type(vm, count), NAME(vm, __index__)))) {
      int64_t n;
      if (num_as_index(vm, count, &n) < 0) return V_UNDEF;
      return bytes_repeat(vm, AS_BYTES(seq), n);
    }
    if (IS_OBJ(count) && !IS_UNDEF(type_lookup(vm, obj_type(vm, count), NAME(vm, __rmul__))))
      return v_obj(vm->not_implemented);
    return exc_type_error(vm, "can't multiply sequence by non-int of type '%s'", obj_type_name(vm, count));
  }
  if (op == BIN_MOD && IS_BYTES(a))
    return format_percent_bytes(vm, AS_BYTES(a)->data, (size_t)AS_BYTES(a)->len, b);
  return v_obj(vm->not_implemented);
}

/* --------------------------------------------------------------- slots */

static int64_t bytes_hash_value(BytesObj *b) {
  if (b->hash == -1) {
    uint64_t h = 14695981039346656037ULL;
    for (int64_t i = 0; i < b->len; i++) {
      h ^= b->data[i];
      h *= 1099511628211ULL;
    }
    int64_t r = (int64_t)(h >> 1);
    b->hash = r == -1 ? -2 : r;
  }
  return b->hash;
}

static int bytes_hash_slot(VM *vm, Value self, int64_t *out) {
  (void)vm;
  *out = bytes_hash_value(AS_BYTES(self));
  return 0;
}

static Value bytes_richcmp(VM *vm, Value a, Value b, int op) {
  if (!IS_BYTES(a) || !IS_BYTES(b)) return v_obj(vm->not_implemented);
  BytesObj *x = AS_BYTES(a), *y = AS_BYTES(b);
  size_t n = (size_t)(x->len < y->len ? x->len : y->len);
  int c = memcmp(x->data, y->data, n);
  if (c == 0) c = x->len < y->len ? -1 : x->len > y->len;
  switch (op) {
    case CMP_LT: return v_bool(c < 0);
    case CMP_LE: return v_bool(c <= 0);
    case CMP_EQ: return v_bool(c == 0);
    case CMP_NE: return v_bool(c != 0);
    case CMP_GT: return v_bool(c > 0);
    default: return v_bool(c >= 0);
  }
}

static int64_t bytes_len_slot(VM *vm, Value self) {
  (void)vm;
  return AS_BYTES(self)->len;
}

static Value bytes_getitem(VM *vm, Value self, Value key) {
  BytesObj *b = AS_BYTES(self);
  if (IS_SLICE(key)) {
    int64_t start, stop, step;
    int64_t n = slice_indices(vm, AS_SLICE(key), b->len, &start, &stop, &step);
    if (n < 0) return V_UNDEF;
    if (step == 1) {
      if (n == b->len && b->obj.type == vm->t_bytes) return self;
      return ret_bytes(bytes_new(vm, b->data + start, (size_t)n));
    }
    BytesObj *r = bytes_alloc(vm, (size_t)n);
    if (!r) return V_UNDEF;
    for (int64_t k = 0, i = start; k < n; k++, i += step) r->data[k] = b->data[i];
    return v_obj(r);
  }
  int64_t i;
  if (IS_INTLIKE(key)) {
    i = AS_INTLIKE(key);
  } else if (IS_OBJ(key) && !IS_UNDEF(type_lookup(vm, obj_type(vm, key), NAME(vm, __index__)))) {
    if (num_as_index(vm, key, &i) < 0) return V_UNDEF;
  } else {
    return exc_type_error(vm, "byte indices must be integers or slices, not %s", obj_type_name(vm, key));
  }
  if (i < 0) i += b->len;
  if (i < 0 || i >= b->len) return exc_raise(vm, EXC(vm, IndexError), "index out of range");
  return v_int(b->data[i]);
}

static int bytes_contains_slot(VM *vm, Value self, Value item) {
  uint8_t one;
  const uint8_t *p;
  size_t n;
  if (IS_STR(item)) {
    exc_type_error(vm, "a bytes-like object is required, not 'str'");
    return -1;
  }
  if (needle_arg(vm, item, &one, &p, &n) < 0) return -1;
  BytesObj *b = AS_BYTES(self);
  return find_fwd(b->data, (size_t)b->len, p, n) != NULL;
}

static int bytes_truth(VM *vm, Value self) {
  (void)vm;
  return AS_BYTES(self)->len != 0;
}

static Value bytes_iter_slot(VM *vm, Value self) { return iter_builtin(vm, self); }

/* bytes(iterable of ints) */
static Value bytes_from_iterable(VM *vm, Value src) {
  Value it = obj_iter(vm, src);
  if (IS_UNDEF(it)) {
    if (exc_pending_matches(vm, EXC(vm, TypeError))) {
      exc_clear(vm);
      return exc_type_error(vm, "cannot convert '%s' object to bytes", obj_type_name(vm, src));
    }
    return V_UNDEF;
  }
  gc_push_root(vm, it);
  SBuf b;
  sbuf_init(&b);
  for (;;) {
    Value x = obj_next(vm, it);
    if (IS_UNDEF(x)) {
      if (exc_pending(vm)) goto fail;
      break;
    }
    int64_t i;
    if (num_as_index(vm, x, &i) < 0) goto fail;
    if (i < 0 || i > 255) {
      exc_value_error(vm, "bytes must be in range(0, 256)");
      goto fail;
    }
    sbuf_addc(&b, (char)i);
  }
  gc_pop_roots(vm, 1);
  if (b.cap == SIZE_MAX) return exc_no_memory(vm);
  BytesObj *r = bytes_new(vm, b.data ? b.data : "", b.len);
  sbuf_free(&b);
  return ret_bytes(r);
fail:
  gc_pop_roots(vm, 1);
  sbuf_free(&b);
  return V_UNDEF;
}

static Value bytes_as_type(VM *vm, Type *type, Value v) {
  if (IS_UNDEF(v) || type == vm->t_bytes) return v;
  BytesObj *b = AS_BYTES(v);
  BytesObj *r = bytes_new(vm, b->data, (size_t)b->len);
  if (!r) return V_UNDEF;
  r->obj.type = type;
  return v_obj(r);
}

static Value bytes_construct_value(VM *vm, Value *a) {
  Value src = a[0];
  bool has_enc = !IS_UNDEF(a[1]), has_err = !IS_UNDEF(a[2]);
  if (IS_UNDEF(src)) {
    if (has_enc || has_err) return exc_type_error(vm, has_enc ? "encoding without a string argument"
                                                             : "errors without a string argument");
    return ret_bytes(bytes_new(vm, "", 0));
  }
  if (IS_STR(src)) {
    if (!has_enc) return exc_type_error(vm, "string argument without an encoding");
    if (!IS_STR(a[1]))
      return exc_type_error(vm, "bytes() argument 'encoding' must be str, not %s", obj_type_name(vm, a[1]));
    if (has_err && !IS_STR(a[2]))
      return exc_type_error(vm, "bytes() argument 'errors' must be str, not %s", obj_type_name(vm, a[2]));
    return str_encode(vm, AS_STR(src), AS_STR(a[1])->data, has_err ? AS_STR(a[2])->data : "strict");
  }
  if (has_enc) return exc_type_error(vm, "encoding without a string argument");
  if (has_err) return exc_type_error(vm, "errors without a string argument");
  if (IS_BYTES(src)) return src;
  if (IS_OBJ(src)) {
    Value m = type_lookup(vm, obj_type(vm, src), str_intern_cstr(vm, "__bytes__"));
    if (!IS_UNDEF(m)) {
      Value r = obj_call1(vm, m, src);
      if (IS_UNDEF(r)) return V_UNDEF;
      if (!IS_BYTES(r))
        return exc_type_error(vm, "__bytes__ returned non-bytes (type %s)", obj_type_name(vm, r));
      return r;
    }
  }
  if (IS_INTLIKE(src) || (IS_OBJ(src) && !IS_UNDEF(type_lookup(vm, obj_type(vm, src), NAME(vm, __index__))))) {
    int64_t n;
    if (num_as_index(vm, src, &n) < 0) return V_UNDEF;
    if (n < 0) return exc_value_error(vm, "negative count");
    if (n > ((int64_t)1 << 40)) return exc_no_memory(vm);
    BytesObj *r = bytes_alloc(vm, (size_t)n);
    if (!r) return V_UNDEF;
    memset(r->data, 0, (size_t)n);
    return v_obj(r);
  }
  if (IS_FLOAT(src)) return exc_type_error(vm, "cannot convert 'float' object to bytes");
  return bytes_from_iterable(vm, src);
}

static Value bytes_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"source", "encoding", "errors", NULL};
  Value a[3];
  if (arg_parse(vm, "bytes", args, nargs, kwnames, names, 0, a) < 0) return V_UNDEF;
  return bytes_as_type(vm, type, bytes_construct_value(vm, a));
}

/* ------------------------------------------------------------- methods */

static Value m_decode(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("decode");
  static const char *const names[] = {"self", "encoding", "errors", NULL};
  Value a[3];
  if (arg_parse(vm, "decode", args, nargs, kw, names, 1, a) < 0) return V_UNDEF;
  const char *enc = "utf-8", *errors = "strict";
  for (int k = 1; k <= 2; k++) {
    if (IS_UNDEF(a[k])) continue;
    if (!IS_STR(a[k]))
      return exc_type_error(vm, "decode() argument '%s' must be str, not %s", names[k], obj_type_name(vm, a[k]));
    if (k == 1) enc = AS_STR(a[k])->data;
    else errors = AS_STR(a[k])->data;
  }
  return str_decode_bytes(vm, (const char *)self->data, (size_t)self->len, enc, errors);
}

static Value m_hex(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("hex");
  static const char *const names[] = {"self", "sep", "bytes_per_sep", NULL};
  Value a[3];
  if (arg_parse(vm, "hex", args, nargs, kw, names, 1, a) < 0) return V_UNDEF;
  const char *sep = NULL;
  size_t seplen = 0;
  int64_t per = 1;
  if (!IS_UNDEF(a[1])) {
    if (IS_STR(a[1])) {
      sep = AS_STR(a[1])->data;
      seplen = (size_t)AS_STR(a[1])->len;
    } else if (IS_BYTES(a[1])) {
      sep = (const char *)AS_BYTES(a[1])->data;
      seplen = (size_t)AS_BYTES(a[1])->len;
    } else {
      return exc_type_error(vm, "sep must be str or bytes.");
    }
    if (seplen != 1) return exc_value_error(vm, "sep must be length 1.");
  }
  if (!IS_UNDEF(a[2]) && num_as_index(vm, a[2], &per) < 0) return V_UNDEF;
  SBuf b;
  sbuf_init(&b);
  int64_t n = self->len, group = per < 0 ? -per : per;
  for (int64_t i = 0; i < n; i++) {
    if (sep && group && i > 0) {
      /* positive bytes_per_sep counts groups from the right */
      bool boundary = per > 0 ? (n - i) % group == 0 : i % group == 0;
      if (boundary) sbuf_add(&b, sep, seplen);
    }
    sbuf_printf(&b, "%02x", self->data[i]);
  }
  return ret_str(sbuf_finish(vm, &b));
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static Value m_fromhex(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (check_args(vm, "fromhex", nargs, kw, 1, 1) < 0) return V_UNDEF;
  if (!IS_STR(args[1]))
    return exc_type_error(vm, "fromhex() argument must be str, not %s", obj_type_name(vm, args[1]));
  StrObj *s = AS_STR(args[1]);
  SBuf b;
  sbuf_init(&b);
  for (int64_t i = 0; i < s->len;) {
    char c = s->data[i];
    if (c == ' ' || (c >= 9 && c <= 13)) {
      i++;
      continue;
    }
    int hi = hex_digit(c), lo = i + 1 < s->len ? hex_digit(s->data[i + 1]) : -1;
    if (hi < 0 || lo < 0) {
      sbuf_free(&b);
      int64_t pos = hi < 0 ? i : i + 1;
      return exc_value_error(vm, "non-hexadecimal number found in fromhex() arg at position %lld", (long long)pos);
    }
    sbuf_addc(&b, (char)(hi * 16 + lo));
    i += 2;
  }
  if (b.cap == SIZE_MAX) return exc_no_memory(vm);
  BytesObj *r = bytes_new(vm, b.data ? b.data : "", b.len);
  sbuf_free(&b);
  return ret_bytes(r);
}

static Value m_join(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("join");
  if (check_args(vm, "join", nargs, kw, 1, 1) < 0) return V_UNDEF;
  Value it = obj_iter(vm, args[1]);
  if (IS_UNDEF(it)) {
    if (exc_pending_matches(vm, EXC(vm, TypeError))) {
      exc_clear(vm);
      return exc_type_error(vm, "can only join an iterable");
    }
    return V_UNDEF;
  }
  gc_push_root(vm, it);
  SBuf b;
  sbuf_init(&b);
  for (int64_t k = 0;; k++) {
    Value x = obj_next(vm, it);
    if (IS_UNDEF(x)) {
      if (exc_pending(vm)) goto fail;
      break;
    }
    if (!IS_BYTES(x)) {
      exc_type_error(vm, "sequence item %lld: expected a bytes-like object, %s found", (long long)k,
                     obj_type_name(vm, x));
      goto fail;
    }
    if (k) sbuf_add(&b, (const char *)self->data, (size_t)self->len);
    sbuf_add(&b, (const char *)AS_BYTES(x)->data, (size_t)AS_BYTES(x)->len);
  }
  gc_pop_roots(vm, 1);
  if (b.cap == SIZE_MAX) return exc_no_memory(vm);
  BytesObj *r = bytes_new(vm, b.data ? b.data : "", b.len);
  sbuf_free(&b);
  return ret_bytes(r);
fail:
  gc_pop_roots(vm, 1);
  sbuf_free(&b);
  return V_UNDEF;
}

static Value starts_ends(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool ends) {
  if (check_args(vm, name, nargs, kw, 1, 3) < 0) return V_UNDEF;
  BytesObj *self = AS_BYTES(args[0]);
  int64_t from, to;
  if (parse_bounds(vm, self->len, args, nargs, 2, &from, &to) < 0) return V_UNDEF;
  Value pat = args[1];
  const Value *items = &pat;
  int64_t n = 1;
  if (IS_TUPLE(pat)) {
    items = AS_TUPLE(pat)->items;
    n = AS_TUPLE(pat)->len;
  } else if (!IS_BYTES(pat)) {
    return exc_type_error(vm, "%s first arg must be bytes or a tuple of bytes, not %s", name, obj_type_name(vm, pat));
  }
  for (int64_t k = 0; k < n; k++) {
    if (!IS_BYTES(items[k]))
      return exc_type_error(vm, "a bytes-like object is required, not '%s'", obj_type_name(vm, items[k]));
    BytesObj *p = AS_BYTES(items[k]);
    if (from > self->len || to < from || p->len > to - from) continue;
    const uint8_t *at = ends ? self->data + to - p->len : self->data + from;
    if (memcmp(at, p->data, (size_t)p->len) == 0) return V_TRUE;
  }
  return V_FALSE;
}

static Value m_startswith(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("startswith");
  return starts_ends(vm, args, nargs, kw, "startswith", false);
}

static Value m_endswith(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("endswith");
  return starts_ends(vm, args, nargs, kw, "endswith", true);
}

static int64_t do_find(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool reverse) {
  if (check_args(vm, name, nargs, kw, 1, 3) < 0) return -2;
  BytesObj *self = AS_BYTES(args[0]);
  uint8_t one;
  const uint8_t *p;
  size_t m;
  if (needle_arg(vm, args[1], &one, &p, &m) < 0) return -2;
  int64_t from, to;
  if (parse_bounds(vm, self->len, args, nargs, 2, &from, &to) < 0) return -2;
  if (from > self->len || to < from) return -1;
  const uint8_t *hit = reverse ? find_back(self->data + from, (size_t)(to - from), p, m)
                               : find_fwd(self->data + from, (size_t)(to - from), p, m);
  return hit ? hit - self->data : -1;
}

static Value m_find(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("find");
  int64_t r = do_find(vm, args, nargs, kw, "find", false);
  return r == -2 ? V_UNDEF : v_int(r);
}

static Value m_rfind(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("rfind");
  int64_t r = do_find(vm, args, nargs, kw, "rfind", true);
  return r == -2 ? V_UNDEF : v_int(r);
}

static Value m_index(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("index");
  int64_t r = do_find(vm, args, nargs, kw, "index", false);
  if (r == -1) return exc_value_error(vm, "subsection not found");
  return r == -2 ? V_UNDEF : v_int(r);
}

static Value m_rindex(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("rindex");
  int64_t r = do_find(vm, args, nargs, kw, "rindex", true);
  if (r == -1) return exc_value_error(vm, "subsection not found");
  return r == -2 ? V_UNDEF : v_int(r);
}

static Value m_count(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("count");
  if (check_args(vm, "count", nargs, kw, 1, 3) < 0) return V_UNDEF;
  uint8_t one;
  const uint8_t *p;
  size_t m;
  if (needle_arg(vm, args[1], &one, &p, &m) < 0) return V_UNDEF;
  int64_t from, to;
  if (parse_bounds(vm, self->len, args, nargs, 2, &from, &to) < 0) return V_UNDEF;
  if (from > self->len || to < from) return v_int(0);
  if (m == 0) return v_int(to - from + 1);
  int64_t n = 0;
  const uint8_t *q = self->data + from, *end = self->data + to;
  while ((size_t)(end - q) >= m) {
    const uint8_t *hit = find_fwd(q, (size_t)(end - q), p, m);
    if (!hit) break;
    n++;
    q = hit + m;
  }
  return v_int(n);
}

static bool is_ascii_space(uint8_t c) { return c == ' ' || (c >= 9 && c <= 13); }

static int add_piece(VM *vm, ListObj *l, const uint8_t *d, size_t n) {
  BytesObj *b = bytes_new(vm, d, n);
  if (!b) return -1;
  return list_append(vm, l, v_obj(b));
}

static int split_args(VM *vm, const char *name, Value *args, int nargs, TupleObj *kw, BytesObj **sep,
                      int64_t *maxsplit) {
  static const char *const names[] = {"self", "sep", "maxsplit", NULL};
  Value a[3];
  if (arg_parse(vm, name, args, nargs, kw, names, 1, a) < 0) return -1;
  *sep = NULL;
  *maxsplit = -1;
  if (!IS_UNDEF(a[1]) && !IS_NONE(a[1])) {
    if (!(*sep = bytes_arg(vm, a[1]))) return -1;
    if ((*sep)->len == 0) {
      exc_value_error(vm, "empty separator");
      return -1;
    }
  }
  if (!IS_UNDEF(a[2]) && num_as_index(vm, a[2], maxsplit) < 0) return -1;
  if (*maxsplit < 0) *maxsplit = INT64_MAX;
  return 0;
}

static Value m_split(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("split");
  BytesObj *sep;
  int64_t maxsplit;
  if (split_args(vm, "split", args, nargs, kw, &sep, &maxsplit) < 0) return V_UNDEF;
  ListObj *l = list_new(vm, 0);
  if (!l) return V_UNDEF;
  const uint8_t *d = self->data;
  size_t len = (size_t)self->len, i = 0;
  if (!sep) {
    for (;;) {
      while (i < len && is_ascii_space(d[i])) i++;
      if (i >= len) break;
      if (maxsplit-- == 0) {
        if (add_piece(vm, l, d + i, len - i) < 0) return V_UNDEF;
        break;
      }
      size_t start = i;
      while (i < len && !is_ascii_space(d[i])) i++;
      if (add_piece(vm, l, d + start, i - start) < 0) return V_UNDEF;
    }
    return v_obj(l);
  }
  const uint8_t *p = d, *end = d + len;
  while (maxsplit-- > 0) {
    const uint8_t *hit = find_fwd(p, (size_t)(end - p), sep->data, (size_t)sep->len);
    if (!hit) break;
    if (add_piece(vm, l, p, (size_t)(hit - p)) < 0) return V_UNDEF;
    p = hit + sep->len;
  }
  if (add_piece(vm, l, p, (size_t)(end - p)) < 0) return V_UNDEF;
  return v_obj(l);
}

static Value m_rsplit(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("rsplit");
  BytesObj *sep;
  int64_t maxsplit;
  if (split_args(vm, "rsplit", args, nargs, kw, &sep, &maxsplit) < 0) return V_UNDEF;
  ListObj *l = list_new(vm, 0);
  if (!l) return V_UNDEF;
  const uint8_t *d = self->data;
  size_t i = (size_t)self->len;
  if (!sep) {
    for (;;) {
      while (i > 0 && is_ascii_space(d[i - 1])) i--;
      if (i == 0) break;
      if (maxsplit-- == 0) {
        if (add_piece(vm, l, d, i) < 0) return V_UNDEF;
        break;
      }
      size_t stop = i;
      while (i > 0 && !is_ascii_space(d[i - 1])) i--;
      if (add_piece(vm, l, d + i, stop - i) < 0) return V_UNDEF;
    }
  } else {
    while (maxsplit-- > 0) {
      const uint8_t *hit = find_back(d, i, sep->data, (size_t)sep->len);
      if (!hit) break;
      size_t at = (size_t)(hit - d);
      if (add_piece(vm, l, hit + sep->len, i - at - (size_t)sep->len) < 0) return V_UNDEF;
      i = at;
    }
    if (add_piece(vm, l, d, i) < 0) return V_UNDEF;
  }
  for (int64_t a = 0, b = l->len - 1; a < b; a++, b--) {
    Value t = l->items[a];
    l->items[a] = l->items[b];
    l->items[b] = t;
  }
  return v_obj(l);
}

static Value do_strip(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool left, bool right) {
  if (check_args(vm, name, nargs, kw, 0, 1) < 0) return V_UNDEF;
  BytesObj *self = AS_BYTES(args[0]), *chars = NULL;
  if (nargs > 1 && !IS_NONE(args[1]) && !(chars = bytes_arg(vm, args[1]))) return V_UNDEF;
  size_t i = 0, j = (size_t)self->len;
  const uint8_t *d = self->data;
#define STRIPPED(c) (chars ? memchr(chars->data, (c), (size_t)chars->len) != NULL : is_ascii_space(c))
  if (left)
    while (i < j && STRIPPED(d[i])) i++;
  if (right)
    while (j > i && STRIPPED(d[j - 1])) j--;
#undef STRIPPED
  return ret_bytes(bytes_new(vm, d + i, j - i));
}

static Value m_strip(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("strip");
  return do_strip(vm, args, nargs, kw, "strip", true, true);
}

static Value m_lstrip(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("lstrip");
  return do_strip(vm, args, nargs, kw, "lstrip", true, false);
}

static Value m_rstrip(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("rstrip");
  return do_strip(vm, args, nargs, kw, "rstrip", false, true);
}

static Value case_map(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, bool upper) {
  if (check_args(vm, name, nargs, kw, 0, 0) < 0) return V_UNDEF;
  BytesObj *self = AS_BYTES(args[0]);
  BytesObj *r = bytes_alloc(vm, (size_t)self->len);
  if (!r) return V_UNDEF;
  for (int64_t i = 0; i < self->len; i++) {
    uint8_t c = self->data[i];
    if (upper && c >= 'a' && c <= 'z') c = (uint8_t)(c - 32);
    else if (!upper && c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
    r->data[i] = c;
  }
  return v_obj(r);
}

static Value m_upper(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("upper");
  return case_map(vm, args, nargs, kw, "upper", true);
}

static Value m_lower(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("lower");
  return case_map(vm, args, nargs, kw, "lower", false);
}

static Value m_replace(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("replace");
  if (check_args(vm, "replace", nargs, kw, 2, 3) < 0) return V_UNDEF;
  BytesObj *old = bytes_arg(vm, args[1]), *rep = old ? bytes_arg(vm, args[2]) : NULL;
  if (!rep) return V_UNDEF;
  int64_t count = -1;
  if (nargs > 3 && num_as_index(vm, args[3], &count) < 0) return V_UNDEF;
  if (count < 0) count = INT64_MAX;
  SBuf b;
  sbuf_init(&b);
  const uint8_t *p = self->data, *end = self->data + self->len;
  if (old->len == 0) {
    while (count-- > 0) {
      sbuf_add(&b, (const char *)rep->data, (size_t)rep->len);
      if (p >= end) break;
      sbuf_addc(&b, (char)*p++);
    }
  } else {
    while (count-- > 0) {
      const uint8_t *hit = find_fwd(p, (size_t)(end - p), old->data, (size_t)old->len);
      if (!hit) break;
      sbuf_add(&b, (const char *)p, (size_t)(hit - p));
      sbuf_add(&b, (const char *)rep->data, (size_t)rep->len);
      p = hit + old->len;
    }
  }
  sbuf_add(&b, (const char *)p, (size_t)(end - p));
  if (b.cap == SIZE_MAX) return exc_no_memory(vm);
  BytesObj *r = bytes_new(vm, b.data ? b.data : "", b.len);
  sbuf_free(&b);
  return ret_bytes(r);
}

typedef bool (*BytePred)(uint8_t);
static bool b_isdigit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool b_isalpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool b_isalnum(uint8_t c) { return b_isdigit(c) || b_isalpha(c); }

static Value all_bytes(VM *vm, Value *args, int nargs, TupleObj *kw, const char *name, BytePred pred) {
  if (check_args(vm, name, nargs, kw, 0, 0) < 0) return V_UNDEF;
  BytesObj *self = AS_BYTES(args[0]);
  if (self->len == 0) return V_FALSE;
  for (int64_t i = 0; i < self->len; i++)
    if (!pred(self->data[i])) return V_FALSE;
  return V_TRUE;
}

static Value m_isdigit(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("isdigit");
  return all_bytes(vm, args, nargs, kw, "isdigit", b_isdigit);
}

static Value m_isalpha(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("isalpha");
  return all_bytes(vm, args, nargs, kw, "isalpha", b_isalpha);
}

static Value m_isalnum(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("isalnum");
  return all_bytes(vm, args, nargs, kw, "isalnum", b_isalnum);
}

static Value m_isspace(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("isspace");
  return all_bytes(vm, args, nargs, kw, "isspace", is_ascii_space);
}

static Value m_partition(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("partition");
  bool reverse = AS_INT(native_data(vm)) != 0;
  const char *name = reverse ? "rpartition" : "partition";
  if (check_args(vm, name, nargs, kw, 1, 1) < 0) return V_UNDEF;
  BytesObj *sep = bytes_arg(vm, args[1]);
  if (!sep) return V_UNDEF;
  if (sep->len == 0) return exc_value_error(vm, "empty separator");
  const uint8_t *hit = reverse ? find_back(self->data, (size_t)self->len, sep->data, (size_t)sep->len)
                               : find_fwd(self->data, (size_t)self->len, sep->data, (size_t)sep->len);
  TupleObj *t = tuple_new(vm, 3);
  if (!t) return V_UNDEF;
  BytesObj *empty = bytes_new(vm, "", 0);
  if (!empty) return V_UNDEF;
  if (!hit) {
    t->items[0] = reverse ? v_obj(empty) : args[0];
    t->items[1] = v_obj(empty);
    t->items[2] = reverse ? args[0] : v_obj(empty);
    return v_obj(t);
  }
  size_t at = (size_t)(hit - self->data), after = at + (size_t)sep->len;
  BytesObj *l = bytes_new(vm, self->data, at);
  BytesObj *r = bytes_new(vm, self->data + after, (size_t)self->len - after);
  if (!l || !r) return V_UNDEF;
  t->items[0] = v_obj(l);
  t->items[1] = args[1];
  t->items[2] = v_obj(r);
  return v_obj(t);
}

static Value m_affix(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("removeprefix");
  bool suffix = AS_INT(native_data(vm)) != 0;
  if (check_args(vm, suffix ? "removesuffix" : "removeprefix", nargs, kw, 1, 1) < 0) return V_UNDEF;
  BytesObj *a = bytes_arg(vm, args[1]);
  if (!a) return V_UNDEF;
  size_t n = (size_t)self->len, m = (size_t)a->len;
  if (m && m <= n && memcmp(suffix ? self->data + n - m : self->data, a->data, m) == 0)
    return ret_bytes(bytes_new(vm, suffix ? self->data : self->data + m, n - m));
  return args[0];
}

static Value m_splitlines(VM *vm, Value *args, int nargs, TupleObj *kw) {
  SELF_BYTES("splitlines");
  static const char *const names[] = {"self", "keepends", NULL};
  Value a[2];
  if (arg_parse(vm, "splitlines", args, nargs, kw, names, 1, a) < 0) return V_UNDEF;
  int keep = 0;
  if (!IS_UNDEF(a[1]) && (keep = obj_truthy(vm, a[1])) < 0) return V_UNDEF;
  ListObj *l = list_new(vm, 0);
  if (!l) return V_UNDEF;
  const uint8_t *d = self->data;
  size_t len = (size_t)self->len, start = 0, i = 0;
  while (i < len) {
    size_t br = d[i] == '\r' ? (i + 1 < len && d[i + 1] == '\n' ? 2 : 1) : d[i] == '\n' ? 1 : 0;
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

/* dunder wrappers for explicit calls */
static Value m_dunder(VM *vm, Value *args, int nargs, TupleObj *kw) {
  int which = (int)AS_INT(native_data(vm));
  static const char *const names[] = {"__len__", "__getitem__", "__contains__", "__add__", "__mul__",
                                      "__rmul__", "__hash__", "__repr__", "__iter__", "__mod__"};
  SELF_BYTES(names[which]);
  int want = (which == 0 || which == 6 || which == 7 || which == 8) ? 0 : 1;
  if (nargs - 1 != want || (kw && kw->len))
    return exc_type_error(vm, "expected %d argument%s, got %d", want, want == 1 ? "" : "s", nargs - 1);
  switch (which) {
    case 0: return v_int(self->len);
    case 1: return bytes_getitem(vm, args[0], args[1]);
    case 2: {
      int r = bytes_contains_slot(vm, args[0], args[1]);
      return r < 0 ? V_UNDEF : v_bool(r);
    }
    case 3: return bytes_binop(vm, BIN_ADD, args[0], args[1]);
    case 4: return bytes_binop(vm, BIN_MUL, args[0], args[1]);
    case 5: return bytes_binop(vm, BIN_MUL, args[1], args[0]);
    case 6: return v_int(bytes_hash_value(self));
    case 7: return bytes_repr(vm, args[0]);
    case 8: return iter_builtin(vm, args[0]);
    default: return bytes_binop(vm, BIN_MOD, args[0], args[1]);
  }
}

static Value m_richcmp(VM *vm, Value *args, int nargs, TupleObj *kw) {
  static const char *const names[] = {"__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"};
  int op = (int)AS_INT(native_data(vm));
  SELF_BYTES(names[op]);
  if (nargs != 2 || (kw && kw->len)) return exc_type_error(vm, "expected 1 argument, got %d", nargs - 1);
  return bytes_richcmp(vm, args[0], args[1], op);
}

void bytes_trace(VM *vm, Obj *o) {
  (void)vm;
  (void)o;
}

void bytes_free(VM *vm, Obj *o) {
  (void)vm;
  (void)o;
}

static void def(VM *vm, Type *t, const char *name, NativeFn fn, int data, int flags) {
  NativeObj *n = define_native(vm, t->dict, name, fn, flags);
  if (n) n->data = v_int(data);
}

void bytes_type_init(VM *vm) {
  Type *t = type_new_builtin(vm, "bytes", NULL, K_BYTES, TF_BASETYPE);
  vm->t_bytes = t;
  t->repr = bytes_repr;
  t->hash = bytes_hash_slot;
  t->richcmp = bytes_richcmp;
  t->len = bytes_len_slot;
  t->getitem = bytes_getitem;
  t->contains = bytes_contains_slot;
  t->truth = bytes_truth;
  t->iter = bytes_iter_slot;
  t->construct = bytes_construct;
  static const struct { const char *name; NativeFn fn; } methods[] = {
    {"decode", m_decode}, {"hex", m_hex}, {"join", m_join}, {"startswith", m_startswith},
    {"endswith", m_endswith}, {"find", m_find}, {"rfind", m_rfind}, {"index", m_index},
    {"rindex", m_rindex}, {"count", m_count}, {"split", m_split}, {"rsplit", m_rsplit},
    {"strip", m_strip}, {"lstrip", m_lstrip}, {"rstrip", m_rstrip}, {"upper", m_upper},
    {"lower", m_lower}, {"replace", m_replace}, {"isdigit", m_isdigit}, {"isalpha", m_isalpha},
    {"isalnum", m_isalnum}, {"isspace", m_isspace}, {"splitlines", m_splitlines}};
  for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++)
    define_native(vm, t->dict, methods[k].name, methods[k].fn, NATIVE_METHOD);
  def(vm, t, "partition", m_partition, 0, NATIVE_METHOD);
  def(vm, t, "rpartition", m_partition, 1, NATIVE_METHOD);
  def(vm, t, "removeprefix", m_affix, 0, NATIVE_METHOD);
  def(vm, t, "removesuffix", m_affix, 1, NATIVE_METHOD);
  define_native(vm, t->dict, "fromhex", m_fromhex, NATIVE_CLASS);
  define_builtin_new(vm, t);
  static const char *const dunders[] = {"__len__", "__getitem__", "__contains__", "__add__", "__mul__",
                                        "__rmul__", "__hash__", "__repr__", "__iter__", "__mod__"};
  for (int k = 0; k < 10; k++) def(vm, t, dunders[k], m_dunder, k, NATIVE_METHOD);
  static const char *const cmps[] = {"__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"};
  for (int op = CMP_LT; op <= CMP_GE; op++) def(vm, t, cmps[op], m_richcmp, op, NATIVE_METHOD);
}
