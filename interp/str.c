/* str.c — the str object: creation, interning, equality/hash/ordering,
** repr with Python's quoting, UTF-8 helpers, the SBuf string builder,
** str_format_c (printf plus %T %R %S %U), the str operators (+ * % and
** indexing/slicing by code point) and the type's slots and constructor.
** The Python-visible methods are in str_methods.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "bytes.h"
#include "exc.h"
#include "format.h"
#include "vm.h"
#include "func.h"
#include "gc.h"
#include "iter.h"
#include "num.h"
#include "range.h"
#include "tuple.h"
#include "type.h"
#include "vm.h"

/* ------------------------------------------------------------- UTF-8 */

int64_t utf8_count(const char *s, size_t len) {
  int64_t n = 0;
  for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

size_t utf8_offset(StrObj *s, int64_t cp_index) {
  if (s->obj.flags & STR_ASCII) return (size_t)cp_index;
  if (cp_index <= 0) return 0;
  if (cp_index >= s->length) return (size_t)s->len;
  const unsigned char *d = (const unsigned char *)s->data;
  if (cp_index > s->length / 2) {
    /* nearer the end: walk back from it */
    size_t pos = (size_t)s->len;
    for (int64_t k = s->length; k > cp_index; k--) {
      pos--;
      while ((d[pos] & 0xC0) == 0x80) pos--;
    }
    return pos;
  }
  size_t pos = 0;
  for (int64_t k = 0; k < cp_index; k++) {
    pos++;
    while ((d[pos] & 0xC0) == 0x80) pos++;
  }
  return pos;
}

size_t utf8_encode(uint32_t cp, char out[4]) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    /* lone surrogates too: str may hold them, as in Python */
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

/* Decodes one code point of internal (valid) UTF-8; a malformed byte
** decodes as U+FFFD with *adv = 1. */
uint32_t utf8_decode(const char *s, size_t len, size_t *adv) {
  const unsigned char *u = (const unsigned char *)s;
  if (len == 0) {
    *adv = 0;
    return 0;
  }
  unsigned char c = u[0];
  if (c < 0x80) {
    *adv = 1;
    return c;
  }
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (n == 0 || n > len) {
    *adv = 1;
    return 0xFFFD;
  }
  uint32_t cp = c & (0x7F >> n);
  for (size_t i = 1; i < n; i++) {
    if ((u[i] & 0xC0) != 0x80) {
      *adv = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (u[i] & 0x3F);
  }
  *adv = n;
  return cp;
}

/* length of the valid UTF-8 sequence at s (1..4), or 0 when invalid
** (overlong forms, surrogates, beyond U+10FFFF, truncated) */
static size_t utf8_seq_valid(const unsigned char *s, size_t len) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;
  if (c < 0xE0) return len >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c < 0xF0) {
    if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;
    if (c == 0xED && s[1] >= 0xA0) return 0;
    return 3;
  }
  if (c < 0xF5) {
    if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;
    if (c == 0xF4 && s[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

bool utf8_valid(const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    if (u[i] < 0x80) {
      i++;
      continue;
    }
    size_t n = utf8_seq_valid(u + i, len - i);
    if (!n) return false;
    i += n;
  }
  return true;
}

const char *str_memmem(const char *hay, size_t n, const char *needle, size_t m) {
  if (m == 0) return hay;
  if (m > n) return NULL;
  const char *last = hay + (n - m);
  const char *p = hay;
  while (p <= last) {
    p = memchr(p, needle[0], (size_t)(last - p) + 1);
    if (!p) return NULL;
    if (memcmp(p + 1, needle + 1, m - 1) == 0) return p;
    p++;
  }
  return NULL;
}

/* ---------------------------------------------------------- creation */

StrObj *str_alloc(VM *vm, size_t len) {
  StrObj *s = gc_alloc_obj(vm, sizeof(StrObj) + len + 1, K_STR, vm->t_str);
  if (!s) return NULL;
  s->len = (int64_t)len;
  s->hash = -1;
  s->data[len] = '\0';
  return s;
}

void str_seal(StrObj *s) {
  size_t n = (size_t)s->len;
  const unsigned char *d = (const unsigned char *)s->data;
  size_t i = 0;
  while (i < n && d[i] < 0x80) i++;
  if (i == n) {
    s->length = s->len;
    s->obj.flags |= STR_ASCII;
  } else {
    s->length = (int64_t)i + utf8_count(s->data + i, n - i);
    s->obj.flags &= (uint16_t)~STR_ASCII;
  }
}

static StrObj *str_make(VM *vm, const char *data, size_t len) {
  StrObj *s = str_alloc(vm, len);
  if (!s) return NULL;
  if (len) memcpy(s->data, data, len);
  str_seal(s);
  return s;
}

StrObj *str_new(VM *vm, const char *data, size_t len) {
  if (len == 0 && vm->empty_str) return vm->empty_str;
  /* one-character ASCII strings (s[i], iteration) are shared */
  if (len == 1 && (unsigned char)data[0] < 0x80 && vm->intern) return str_intern(vm, data, 1);
  return str_make(vm, data, len);
}

StrObj *str_from_cstr(VM *vm, const char *cstr) { return str_new(vm, cstr, strlen(cstr)); }

StrObj *str_from_codepoint(VM *vm, uint32_t cp) {
  char buf[4];
  size_t n = utf8_encode(cp, buf);
  return str_new(vm, buf, n);
}

uint32_t str_char_at(StrObj *s, int64_t i) {
  if (s->obj.flags & STR_ASCII) return (unsigned char)s->data[i];
  size_t off = utf8_offset(s, i), adv;
  return utf8_decode(s->data + off, (size_t)s->len - off, &adv);
}

/* ---------------------------------------------------- hash, equality */

static int64_t hash_bytes(const char *data, size_t len) {
  /* FNV-1a: short identifiers and keys dominate */
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)data[i];
    h *= 1099511628211ULL;
  }
  int64_t r = (int64_t)(h >> 1);
  return r == -1 ? -2 : r;
}

int64_t str_hash_compute(StrObj *s) {
  s->hash = hash_bytes(s->data, (size_t)s->len);
  return s->hash;
}

bool str_equal(StrObj *a, StrObj *b) {
  if (a == b) return true;
  if (a->len != b->len) return false;
  if (a->obj.flags & b->obj.flags & STR_INTERNED) return false; /* one object per content */
  if (a->hash != -1 && b->hash != -1 && a->hash != b->hash) return false;
  return memcmp(a->data, b->data, (size_t)a->len) == 0;
}

/* UTF-8 byte order is code point order */
int str_compare(StrObj *a, StrObj *b) {
  size_t n = (size_t)(a->len < b->len ? a->len : b->len);
  int c = memcmp(a->data, b->data, n);
  if (c) return c;
  return a->len < b->len ? -1 : a->len > b->len;
}

/* --------------------------------------------------------- interning */

/* vm->intern is one block: the interned strings, densely in
** [0, intern_count) of intern_cap slots (so the GC can mark them as a
** plain array), followed by an open-addressing index of 2 * intern_cap
** uint32 slots holding position + 1 (0 = empty). */
static uint32_t *intern_index(VM *vm) { return (uint32_t *)(vm->intern + vm->intern_cap); }

static size_t intern_block_size(int64_t cap) {
  return (size_t)cap * sizeof(StrObj *) + (size_t)cap * 2 * sizeof(uint32_t);
}

static int intern_grow(VM *vm) {
  int64_t cap = vm->intern_cap ? vm->intern_cap * 2 : 512;
  StrObj **block = gc_malloc(vm, intern_block_size(cap));
  if (!block) return -1;
  memset(block, 0, intern_block_size(cap));
  if (vm->intern_count) memcpy(block, vm->intern, (size_t)vm->intern_count * sizeof(StrObj *));
  uint32_t *index = (uint32_t *)(block + cap);
  uint64_t mask = (uint64_t)cap * 2 - 1;
  for (int64_t k = 0; k < vm->intern_count; k++) {
    uint64_t slot = (uint64_t)str_hash(block[k]) & mask;
    while (index[slot]) slot = (slot + 1) & mask;
    index[slot] = (uint32_t)k + 1;
  }
  if (vm->intern) gc_free(vm, vm->intern, intern_block_size(vm->intern_cap));
  vm->intern = block;
  vm->intern_cap = cap;
  return 0;
}

StrObj *str_intern(VM *vm, const char *data, size_t len) {
  if (vm->intern_count >= vm->intern_cap && intern_grow(vm) < 0) return NULL;
  int64_t h = hash_bytes(data, len);
  uint32_t *index = intern_index(vm);
  uint64_t mask = (uint64_t)vm->intern_cap * 2 - 1;
  uint64_t slot = (uint64_t)h & mask;
  for (; index[slot]; slot = (slot + 1) & mask) {
    StrObj *s = vm->intern[index[slot] - 1];
    if (s->hash == h && (size_t)s->len == len && memcmp(s->data, data, len) == 0) return s;
  }
  StrObj *s = str_make(vm, data, len);
  if (!s) return NULL;
  s->hash = h;
  s->obj.flags |= STR_INTERNED;
  vm->intern[vm->intern_count] = s;
  index[slot] = (uint32_t)++vm->intern_count;
  return s;
}

StrObj *str_intern_cstr(VM *vm, const char *cstr) { return str_intern(vm, cstr, strlen(cstr)); }

void str_intern_free(VM *vm) {
  if (vm->intern) gc_free(vm, vm->intern, intern_block_size(vm->intern_cap));
  vm->intern = NULL;
  vm->intern_count = vm->intern_cap = 0;
}

void names_init(VM *vm) {
  static const char *const names[N__COUNT] = {
#define WY_NAME_STR(n) #n,
      WY_NAME_LIST(WY_NAME_STR)
#undef WY_NAME_STR
  };
  if (!vm->empty_str) vm->empty_str = str_intern(vm, "", 0);
  for (int i = 0; i < N__COUNT; i++) vm->names[i] = str_intern_cstr(vm, names[i]);
}

StrObj *str_concat(VM *vm, StrObj *a, StrObj *b) {
  if (b->len == 0 && a->obj.type == vm->t_str) return a;
  if (a->len == 0 && b->obj.type == vm->t_str) return b;
  StrObj *s = str_alloc(vm, (size_t)(a->len + b->len));
  if (!s) return NULL;
  memcpy(s->data, a->data, (size_t)a->len);
  memcpy(s->data + a->len, b->data, (size_t)b->len);
  s->length = a->length + b->length;
  if (a->obj.flags & b->obj.flags & STR_ASCII) s->obj.flags |= STR_ASCII;
  return s;
}

/* ---------------------------------------------------------------- SBuf */

/* SBuf lives outside the GC (no VM at hand in sbuf_add); a failed
** allocation poisons the buffer (cap == SIZE_MAX) and sbuf_finish then
** raises MemoryError. */
void sbuf_init(SBuf *b) {
  b->data = NULL;
  b->len = b->cap = 0;
}

static bool sbuf_reserve(SBuf *b, size_t extra) {
  if (b->cap == SIZE_MAX) return false;
  if (b->len + extra + 1 <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) {
    if (cap > SIZE_MAX / 2) goto fail;
    cap *= 2;
  }
  char *d = realloc(b->data, cap);
  if (!d) goto fail;
  b->data = d;
  b->cap = cap;
  return true;
fail:
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = SIZE_MAX;
  return false;
}

void sbuf_add(SBuf *b, const char *data, size_t len) {
  if (!sbuf_reserve(b, len)) return;
  if (len) memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void sbuf_addn(SBuf *b, const char *unit, size_t unit_len, int64_t count) {
  if (count <= 0 || unit_len == 0) return;
  if ((uint64_t)count > (SIZE_MAX / 4) / unit_len) {
    sbuf_reserve(b, SIZE_MAX / 2); /* fails: poisons the buffer */
    return;
  }
  size_t total = (size_t)count * unit_len;
  if (!sbuf_reserve(b, total)) return;
  char *p = b->data + b->len;
  if (unit_len == 1) {
    memset(p, unit[0], total);
  } else {
    for (int64_t k = 0; k < count; k++) memcpy(p + (size_t)k * unit_len, unit, unit_len);
  }
  b->len += total;
  b->data[b->len] = '\0';
}

void sbuf_adds(SBuf *b, const char *cstr) { sbuf_add(b, cstr, strlen(cstr)); }

void sbuf_addc(SBuf *b, char c) {
  if (b->len + 2 <= b->cap) {
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return;
  }
  sbuf_add(b, &c, 1);
}

static void sbuf_vprintf(SBuf *b, const char *fmt, va_list ap) {
  char small[128];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) {
    va_end(ap2);
    return;
  }
  if ((size_t)n < sizeof small) {
    sbuf_add(b, small, (size_t)n);
  } else if (sbuf_reserve(b, (size_t)n)) {
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
}

void sbuf_printf(SBuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sbuf_vprintf(b, fmt, ap);
  va_end(ap);
}

static void sbuf_add_strobj(SBuf *b, StrObj *s) { sbuf_add(b, s->data, (size_t)s->len); }

int sbuf_add_str(VM *vm, SBuf *b, Value v) {
  if (IS_STR(v) && AS_OBJ(v)->type == vm->t_str) {
    sbuf_add_strobj(b, AS_STR(v));
    return 0;
  }
  Value s = obj_str(vm, v);
  if (IS_UNDEF(s)) return -1;
  sbuf_add_strobj(b, AS_STR(s));
  return 0;
}

int sbuf_add_repr(VM *vm, SBuf *b, Value v) {
  Value s = obj_repr(vm, v);
  if (IS_UNDEF(s)) return -1;
  sbuf_add_strobj(b, AS_STR(s));
  return 0;
}

StrObj *sbuf_finish(VM *vm, SBuf *b) {
  if (b->cap == SIZE_MAX) {
    sbuf_init(b);
    exc_no_memory(vm);
    return NULL;
  }
  StrObj *s = str_new(vm, b->data ? b->data : "", b->len);
  sbuf_free(b);
  return s;
}

void sbuf_free(SBuf *b) {
  if (b->cap != SIZE_MAX) free(b->data);
  sbuf_init(b);
}

/* --------------------------------------------------------------- repr */

static void add_escape(SBuf *b, uint32_t cp) {
  if (cp < 0x100) sbuf_printf(b, "\\x%02x", cp);
  else if (cp < 0x10000) sbuf_printf(b, "\\u%04x", cp);
  else sbuf_printf(b, "\\U%08x", cp);
}

/* Python's repr of text: single quotes unless the text has ' and no ";
** \\ \n \r \t and the quote escaped; other controls and unprintable
** characters as \x \u \U; printable non-ASCII kept (escaped too when
** ascii_only, for ascii()) */
static void add_quoted(SBuf *b, const char *d, size_t len, bool ascii_only) {
  bool has_single = memchr(d, '\'', len) != NULL, has_double = memchr(d, '"', len) != NULL;
  char quote = has_single && !has_double ? '"' : '\'';
  sbuf_addc(b, quote);
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)d[i];
    if (c < 0x80) {
      i++;
      if (c == (unsigned char)quote || c == '\\') {
        sbuf_addc(b, '\\');
        sbuf_addc(b, (char)c);
      } else if (c == '\n') {
        sbuf_adds(b, "\\n");
      } else if (c == '\r') {
        sbuf_adds(b, "\\r");
      } else if (c == '\t') {
        sbuf_adds(b, "\\t");
      } else if (c < 0x20 || c == 0x7f) {
        add_escape(b, c);
      } else {
        sbuf_addc(b, (char)c);
      }
      continue;
    }
    size_t adv;
    uint32_t cp = utf8_decode(d + i, len - i, &adv);
    if (ascii_only || !uni_isprintable(cp)) add_escape(b, cp);
    else sbuf_add(b, d + i, adv);
    i += adv;
  }
  sbuf_addc(b, quote);
}

StrObj *str_repr_of(VM *vm, StrObj *s) {
  SBuf b;
  sbuf_init(&b);
  add_quoted(&b, s->data, (size_t)s->len, false);
  return sbuf_finish(vm, &b);
}

Value str_repr(VM *vm, Value s) {
  StrObj *r = str_repr_of(vm, AS_STR(s));
  return r ? v_obj(r) : V_UNDEF;
}

/* ascii(): the repr, then every non-ASCII character escaped */
Value str_ascii(VM *vm, Value v) {
  Value r = obj_repr(vm, v);
  if (IS_UNDEF(r)) return V_UNDEF;
  StrObj *s = AS_STR(r);
  if (s->obj.flags & STR_ASCII) return r;
  SBuf b;
  sbuf_init(&b);
  size_t i = 0, len = (size_t)s->len;
  while (i < len) {
    size_t adv;
    uint32_t cp = utf8_decode(s->data + i, len - i, &adv);
    if (cp < 0x80) sbuf_addc(&b, (char)cp);
    else add_escape(&b, cp);
    i += adv;
  }
  StrObj *out = sbuf_finish(vm, &b);
  return out ? v_obj(out) : V_UNDEF;
}

/* -------------------------------------------------------- str_format_c */

static void format_one_c(SBuf *b, const char *spec, size_t speclen, char conv, int lenmod,
                         va_list *ap) {
  char f[32];
  if (speclen > sizeof f - 1) speclen = sizeof f - 1;
  memcpy(f, spec, speclen);
  f[speclen] = '\0';
  switch (conv) {
    case 'd': case 'i':
      if (lenmod == 'z') sbuf_printf(b, f, va_arg(*ap, size_t));
      else if (lenmod == 'L') sbuf_printf(b, f, va_arg(*ap, long long));
      else if (lenmod == 'l') sbuf_printf(b, f, va_arg(*ap, long));
      else sbuf_printf(b, f, va_arg(*ap, int));
      break;
    case 'u': case 'x': case 'X': case 'o':
      if (lenmod == 'z') sbuf_printf(b, f, va_arg(*ap, size_t));
      else if (lenmod == 'L') sbuf_printf(b, f, va_arg(*ap, unsigned long long));
      else if (lenmod == 'l') sbuf_printf(b, f, va_arg(*ap, unsigned long));
      else sbuf_printf(b, f, va_arg(*ap, unsigned int));
      break;
    case 'c': sbuf_printf(b, f, va_arg(*ap, int)); break;
    case 'p': sbuf_printf(b, f, va_arg(*ap, void *)); break;
    case 'f': case 'g': case 'e': sbuf_printf(b, f, va_arg(*ap, double)); break;
    default: { /* 's' */
      const char *s = va_arg(*ap, const char *);
      sbuf_printf(b, f, s ? s : "(null)");
    }
  }
}

StrObj *str_vformat_c(VM *vm, const char *fmt, va_list ap_in) {
  SBuf b;
  sbuf_init(&b);
  va_list ap;
  va_copy(ap, ap_in);
  const char *p = fmt;
  while (*p) {
    const char *pct = strchr(p, '%');
    if (!pct) {
      sbuf_adds(&b, p);
      break;
    }
    sbuf_add(&b, p, (size_t)(pct - p));
    const char *q = pct + 1;
    while (*q && strchr("-+ #0", *q)) q++;
    while ((*q >= '0' && *q <= '9') || *q == '.' || *q == '*') q++;
    int lenmod = 0;
    if (*q == 'z') {
      lenmod = 'z';
      q++;
    } else if (*q == 'l') {
      lenmod = 'l';
      if (*++q == 'l') {
        lenmod = 'L';
        q++;
      }
    } else if (*q == 'h') {
      while (*q == 'h') q++;
    }
    char conv = *q;
    if (!conv) break;
    p = q + 1;
    Value v;
    Value s;
    switch (conv) {
      case '%': sbuf_addc(&b, '%'); break;
      case 'T':
        v = va_arg(ap, Value);
        sbuf_adds(&b, obj_type_name(vm, v));
        break;
      case 'R': case 'S':
        v = va_arg(ap, Value);
        s = conv == 'R' ? obj_repr(vm, v) : obj_str(vm, v);
        if (IS_UNDEF(s)) {
          va_end(ap);
          sbuf_free(&b);
          return NULL;
        }
        sbuf_add_strobj(&b, AS_STR(s));
        break;
      case 'U': {
        StrObj *u = va_arg(ap, StrObj *);
        if (u) sbuf_add_strobj(&b, u);
        break;
      }
      default: {
        /* rebuild a plain C spec without the length modifier */
        char spec[32];
        size_t n = 0;
        for (const char *c = pct; c < q && n < sizeof spec - 2; c++)
          if (*c != 'l' && *c != 'z' && *c != 'h') spec[n++] = *c;
        if (lenmod == 'z') {
          spec[n++] = 'z';
        } else if (lenmod == 'L') {
          memcpy(spec + n, "ll", 2);
          n += 2;
        } else if (lenmod == 'l') {
          spec[n++] = 'l';
        }
        spec[n++] = conv;
        if (memchr(spec, '*', n)) { /* width/precision from the arguments */
          int star = va_arg(ap, int);
          char spec2[48];
          size_t m = 0;
          for (size_t k = 0; k < n && m < sizeof spec2 - 12; k++) {
            if (spec[k] == '*') m += (size_t)snprintf(spec2 + m, sizeof spec2 - m, "%d", star);
            else spec2[m++] = spec[k];
          }
          format_one_c(&b, spec2, m, conv, lenmod, &ap);
        } else {
          format_one_c(&b, spec, n, conv, lenmod, &ap);
        }
      }
    }
  }
  va_end(ap);
  return sbuf_finish(vm, &b);
}

StrObj *str_format_c(VM *vm, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  StrObj *s = str_vformat_c(vm, fmt, ap);
  va_end(ap);
  return s;
}

/* ---------------------------------------------------------- operators */

static bool type_has(VM *vm, Value v, StrObj *name) {
  return !IS_UNDEF(type_lookup(vm, obj_type(vm, v), name));
}

static Value str_repeat(VM *vm, StrObj *s, int64_t n) {
  if (n <= 0 || s->len == 0) return v_obj(vm->empty_str);
  if (n == 1 && s->obj.type == vm->t_str) return v_obj(s);
  if (n > (INT64_MAX / 2) / s->len) return exc_no_memory(vm);
  StrObj *r = str_alloc(vm, (size_t)(s->len * n));
  if (!r) return V_UNDEF;
  if (s->len == 1) {
    memset(r->data, s->data[0], (size_t)n);
  } else {
    /* doubling copies: log(n) memcpy calls */
    memcpy(r->data, s->data, (size_t)s->len);
    size_t done = (size_t)s->len, total = (size_t)(s->len * n);
    while (done < total) {
      size_t chunk = done < total - done ? done : total - done;
      memcpy(r->data + done, r->data, chunk);
      done += chunk;
    }
  }
  r->length = s->length * n;
  if (s->obj.flags & STR_ASCII) r->obj.flags |= STR_ASCII;
  return v_obj(r);
}

/* the repeat count of str * x: ints and __index__ objects */
static Value repeat_by(VM *vm, StrObj *s, Value count) {
  if (IS_INTLIKE(count)) return str_repeat(vm, s, AS_INTLIKE(count));
  if (IS_OBJ(count) && type_has(vm, count, NAME(vm, __index__))) {
    int64_t n;
    if (num_as_index(vm, count, &n) < 0) return V_UNDEF;
    return str_repeat(vm, s, n);
  }
  if (type_has(vm, count, NAME(vm, __rmul__)) && !IS_FLOAT(count)) return v_obj(vm->not_implemented);
  return exc_type_error(vm, "can't multiply sequence by non-int of type '%s'", obj_type_name(vm, count));
}

Value str_binop(VM *vm, int op, Value a, Value b) {
  if (op >= BIN_INPLACE) op -= BIN_INPLACE;
  switch (op) {
    case BIN_ADD:
      if (IS_STR(a) && IS_STR(b)) {
        StrObj *r = str_concat(vm, AS_STR(a), AS_STR(b));
        return r ? v_obj(r) : V_UNDEF;
      }
      if (IS_STR(a) && !(IS_OBJ(b) && type_has(vm, b, NAME(vm, __radd__))))
        return exc_type_error(vm, "can only concatenate str (not \"%s\") to str", obj_type_name(vm, b));
      break;
    case BIN_MUL:
      if (IS_STR(a)) return repeat_by(vm, AS_STR(a), b);
      if (IS_STR(b) && IS_INTLIKE(a)) return str_repeat(vm, AS_STR(b), AS_INTLIKE(a));
      if (IS_STR(b) && IS_OBJ(a) && !type_has(vm, a, NAME(vm, __mul__)) &&
          type_has(vm, a, NAME(vm, __index__)))
        return repeat_by(vm, AS_STR(b), a);
      if (IS_STR(b) && IS_FLOAT(a))
        return exc_type_error(vm, "can't multiply sequence by non-int of type 'float'");
      break;
    case BIN_MOD:
      if (IS_STR(a)) return format_percent(vm, AS_STR(a), b);
      break;
    default: break;
  }
  return v_obj(vm->not_implemented);
}

/* ------------------------------------------------------------ indexing */

static Value str_slice(VM *vm, StrObj *s, SliceObj *sl) {
  int64_t start, stop, step;
  int64_t n = slice_indices(vm, sl, s->length, &start, &stop, &step);
  if (n < 0) return V_UNDEF;
  if (n == 0) return v_obj(vm->empty_str);
  bool ascii = (s->obj.flags & STR_ASCII) != 0;
  if (step == 1) {
    if (n == s->length && s->obj.type == vm->t_str) return v_obj(s);
    size_t from = utf8_offset(s, start);
    size_t to = ascii ? (size_t)stop : from;
    if (!ascii) {
      int64_t k = 0;
      while (k < n) {
        to++;
        while (to < (size_t)s->len && ((unsigned char)s->data[to] & 0xC0) == 0x80) to++;
        k++;
      }
    }
    StrObj *r = str_new(vm, s->data + from, to - from);
    return r ? v_obj(r) : V_UNDEF;
  }
  if (ascii) {
    StrObj *r = str_alloc(vm, (size_t)n);
    if (!r) return V_UNDEF;
    for (int64_t k = 0, i = start; k < n; k++, i += step) r->data[k] = s->data[i];
    r->length = n;
    r->obj.flags |= STR_ASCII;
    return v_obj(r);
  }
  /* non-ASCII with a step: find every code point's offset once */
  size_t *offs = malloc(((size_t)s->length + 1) * sizeof(size_t));
  if (!offs) return exc_no_memory(vm);
  size_t pos = 0;
  for (int64_t k = 0; k <= s->length; k++) {
    offs[k] = pos;
    if (k < s->length) {
      pos++;
      while (pos < (size_t)s->len && ((unsigned char)s->data[pos] & 0xC0) == 0x80) pos++;
    }
  }
  SBuf b;
  sbuf_init(&b);
  for (int64_t k = 0, i = start; k < n; k++, i += step)
    sbuf_add(&b, s->data + offs[i], offs[i + 1] - offs[i]);
  free(offs);
  StrObj *r = sbuf_finish(vm, &b);
  return r ? v_obj(r) : V_UNDEF;
}

Value str_getitem(VM *vm, Value self, Value key) {
  StrObj *s = AS_STR(self);
  int64_t i;
  if (IS_INTLIKE(key)) {
    i = AS_INTLIKE(key);
    if (i < 0) i += s->length;
    if (i < 0 || i >= s->length) return exc_raise(vm, EXC(vm, IndexError), "string index out of range");
  } else if (IS_SLICE(key)) {
    return str_slice(vm, s, AS_SLICE(key));
  } else if (IS_OBJ(key) && type_has(vm, key, NAME(vm, __index__))) {
    if (seq_index(vm, key, s->length, "string", &i) < 0) return V_UNDEF;
  } else {
    return exc_type_error(vm, "string indices must be integers, not '%s'", obj_type_name(vm, key));
  }
  if (s->obj.flags & STR_ASCII) {
    StrObj *c = str_intern(vm, s->data + i, 1);
    return c ? v_obj(c) : V_UNDEF;
  }
  size_t off = utf8_offset(s, i), adv;
  utf8_decode(s->data + off, (size_t)s->len - off, &adv);
  StrObj *r = str_new(vm, s->data + off, adv);
  return r ? v_obj(r) : V_UNDEF;
}

/* --------------------------------------------------------------- slots */

static Value str_repr_slot(VM *vm, Value self) { return str_repr(vm, self); }

static Value str_str_slot(VM *vm, Value self) {
  StrObj *s = AS_STR(self);
  if (s->obj.type == vm->t_str) return self;
  StrObj *r = str_make(vm, s->data, (size_t)s->len); /* str(subclass instance) is a plain str */
  return r ? v_obj(r) : V_UNDEF;
}

static int str_hash_slot(VM *vm, Value self, int64_t *out) {
  (void)vm;
  *out = str_hash(AS_STR(self));
  return 0;
}

static Value str_richcmp(VM *vm, Value a, Value b, int op) {
  if (!IS_STR(a) || !IS_STR(b)) return v_obj(vm->not_implemented);
  StrObj *x = AS_STR(a), *y = AS_STR(b);
  if (op == CMP_EQ) return v_bool(str_equal(x, y));
  if (op == CMP_NE) return v_bool(!str_equal(x, y));
  int c = str_compare(x, y);
  switch (op) {
    case CMP_LT: return v_bool(c < 0);
    case CMP_LE: return v_bool(c <= 0);
    case CMP_GT: return v_bool(c > 0);
    default: return v_bool(c >= 0);
  }
}

static int64_t str_len_slot(VM *vm, Value self) {
  (void)vm;
  return AS_STR(self)->length;
}

static int str_contains_slot(VM *vm, Value self, Value item) {
  if (!IS_STR(item)) {
    exc_type_error(vm, "'in <string>' requires string as left operand, not %s", obj_type_name(vm, item));
    return -1;
  }
  StrObj *s = AS_STR(self), *sub = AS_STR(item);
  if (sub->len == 0) return 1;
  return str_memmem(s->data, (size_t)s->len, sub->data, (size_t)sub->len) != NULL;
}

static int str_truth(VM *vm, Value self) {
  (void)vm;
  return AS_STR(self)->len != 0;
}

static Value str_iter_slot(VM *vm, Value self) { return iter_builtin(vm, self); }

/* a str of the given (sub)type with s's contents */
static Value str_as_type(VM *vm, Type *type, StrObj *s) {
  if (type == vm->t_str) return v_obj(s);
  StrObj *r = str_make(vm, s->data, (size_t)s->len);
  if (!r) return V_UNDEF;
  r->obj.type = type;
  return v_obj(r);
}

static const char *cstr_arg(VM *vm, Value v, const char *what) {
  if (!IS_STR(v)) {
    exc_type_error(vm, "str() argument '%s' must be str, not %s", what, obj_type_name(vm, v));
    return NULL;
  }
  return AS_STR(v)->data;
}

/* str(object='') / str(bytes, encoding='utf-8', errors='strict') */
static Value str_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"object", "encoding", "errors", NULL};
  Value a[3];
  if (arg_parse(vm, "str", args, nargs, kwnames, names, 0, a) < 0) return V_UNDEF;
  if (IS_UNDEF(a[0])) {
    if (IS_UNDEF(a[1]) && IS_UNDEF(a[2])) return str_as_type(vm, type, vm->empty_str);
    BytesObj *empty = bytes_new(vm, "", 0);
    if (!empty) return V_UNDEF;
    a[0] = v_obj(empty);
  }
  if (IS_UNDEF(a[1]) && IS_UNDEF(a[2])) {
    Value s = obj_str(vm, a[0]);
    if (IS_UNDEF(s)) return V_UNDEF;
    return str_as_type(vm, type, AS_STR(s));
  }
  const char *enc = "utf-8", *errors = "strict";
  if (!IS_UNDEF(a[1]) && !(enc = cstr_arg(vm, a[1], "encoding"))) return V_UNDEF;
  if (!IS_UNDEF(a[2]) && !(errors = cstr_arg(vm, a[2], "errors"))) return V_UNDEF;
  if (IS_STR(a[0])) return exc_type_error(vm, "decoding str is not supported");
  if (!IS_BYTES(a[0]))
    return exc_type_error(vm, "decoding to str: need a bytes-like object, %s found", obj_type_name(vm, a[0]));
  BytesObj *bo = AS_BYTES(a[0]);
  Value s = str_decode_bytes(vm, (const char *)bo->data, (size_t)bo->len, enc, errors);
  if (IS_UNDEF(s)) return V_UNDEF;
  return str_as_type(vm, type, AS_STR(s));
}

/* T.__new__(cls, *args) for the builtin types whose constructor is their
** construct slot (str, bytes, int, float, bool): what super().__new__(cls,
** value) in a subclass reaches */
static Value builtin_new(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Type *base = AS_TYPE(native_data(vm));
  const char *bn = base->name->data;
  if (nargs < 1) return exc_type_error(vm, "%s.__new__(): not enough arguments", bn);
  if (!IS_TYPE(args[0]))
    return exc_type_error(vm, "%s.__new__(X): X is not a type object (%s)", bn, obj_type_name(vm, args[0]));
  Type *t = AS_TYPE(args[0]);
  if (!type_is_subtype(t, base))
    return exc_type_error(vm, "%s.__new__(%s): %s is not a subtype of %s", bn, t->name->data, t->name->data, bn);
  return base->construct(vm, t, args + 1, nargs - 1, kwnames);
}

void define_builtin_new(VM *vm, Type *t) {
  NativeObj *n = define_native(vm, t->dict, "__new__", builtin_new, NATIVE_STATIC);
  if (n) n->data = v_obj(t);
}

void str_trace(VM *vm, Obj *o) {
  (void)vm;
  (void)o; /* a str holds no references */
}

void str_free(VM *vm, Obj *o) {
  (void)vm;
  (void)o; /* the text is inline */
}

void str_type_init(VM *vm) {
  Type *t = vm->t_str;
  t->flags |= TF_BASETYPE;
  t->repr = str_repr_slot;
  t->str = str_str_slot;
  t->hash = str_hash_slot;
  t->richcmp = str_richcmp;
  t->len = str_len_slot;
  t->getitem = str_getitem;
  t->contains = str_contains_slot;
  t->truth = str_truth;
  t->iter = str_iter_slot;
  t->construct = str_construct;
  if (!vm->empty_str) vm->empty_str = str_intern(vm, "", 0);
  str_methods_init(vm, t);
  define_builtin_new(vm, t);
}
