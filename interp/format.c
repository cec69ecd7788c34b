/* format.c — Python's three ways of formatting values as text:
**  - format(value, spec) and f-string fields: the format-spec
**    mini-language ([[fill]align][sign][z][#][0][width][grouping]
**    [.precision][type]) for int, bool, float and str, and __format__
**    for everything else;
**  - str.format() / str.format_map(): replacement fields with auto or
**    manual numbering, attribute and item access, conversions, nested
**    specs;
**  - printf-style `%` for str and bytes.
** Error messages are CPython 3.11's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "bytes.h"
#include "dict.h"
#include "exc.h"
#include "gc.h"
#include "num.h"
#include "str.h"
#include "tuple.h"
#include "type.h"
#include "vm.h"

/* ======================================================= spec parsing */

typedef struct Spec {
  char fill[4];       /* UTF-8 of the fill character */
  size_t fill_len;
  bool fill_given;
  char align;         /* '<' '>' '^' '=' or 0 */
  char sign;          /* '+' '-' ' ' or 0 */
  bool no_neg_zero;   /* 'z' */
  bool alt;           /* '#' */
  int64_t width;      /* -1 when absent */
  char grouping;      /* ',' '_' or 0 */
  int group_every;    /* 3, or 4 for '_' with b/o/x/X */
  int64_t precision;  /* -1 when absent */
  char type;          /* 0 when absent */
} Spec;

static bool is_align(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }

/* reads decimal digits; -2 when there are too many of them */
static int64_t read_number(const char *s, size_t len, size_t *pos) {
  int64_t n = 0;
  size_t start = *pos;
  while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
    if (*pos - start >= 18) return -2;
    n = n * 10 + (s[*pos] - '0');
    (*pos)++;
  }
  return *pos == start ? -1 : n;
}

static int too_many_digits(VM *vm) {
  exc_value_error(vm, "Too many decimal digits in format string");
  return -1;
}

/* default_align is '>' for numbers and '<' for str; default_type the
** type letter grouping errors name when none is given */
static int parse_spec(VM *vm, StrObj *spec_str, Spec *s, const char *type_name, char default_align,
                      char default_type) {
  const char *p = spec_str->data;
  size_t len = (size_t)spec_str->len, pos = 0;
  memset(s, 0, sizeof *s);
  s->fill[0] = ' ';
  s->fill_len = 1;
  s->width = s->precision = -1;
  s->group_every = 3;
  /* a fill character is any code point followed by an alignment */
  size_t first = len ? (size_t)(((unsigned char)p[0] < 0x80) ? 1 : 0) : 0;
  if (len && !first) {
    size_t adv;
    utf8_decode(p, len, &adv);
    first = adv;
  }
  bool align_given = false;
  if (len > first && is_align(p[first])) {
    memcpy(s->fill, p, first);
    s->fill_len = first;
    s->fill_given = true;
    s->align = p[first];
    align_given = true;
    pos = first + 1;
  } else if (len && is_align(p[0])) {
    s->align = p[0];
    align_given = true;
    pos = 1;
  }
  if (pos < len && (p[pos] == '+' || p[pos] == '-' || p[pos] == ' ')) s->sign = p[pos++];
  if (pos < len && p[pos] == 'z') {
    s->no_neg_zero = true;
    pos++;
  }
  if (pos < len && p[pos] == '#') {
    s->alt = true;
    pos++;
  }
  if (!s->fill_given && pos < len && p[pos] == '0') {
    s->fill[0] = '0';
    s->fill_len = 1;
    s->fill_given = true;
    if (!align_given && default_align == '>') s->align = '=';
    pos++;
  }
  s->width = read_number(p, len, &pos);
  if (s->width == -2) return too_many_digits(vm);
  if (pos < len && p[pos] == ',') {
    s->grouping = ',';
    pos++;
  }
  if (pos < len && p[pos] == '_') {
    if (s->grouping) {
      exc_value_error(vm, "Cannot specify both ',' and '_'.");
      return -1;
    }
    s->grouping = '_';
    pos++;
  }
  if (pos < len && p[pos] == ',') {
    exc_value_error(vm, "Cannot specify both ',' and '_'.");
    return -1;
  }
  if (pos < len && p[pos] == '.') {
    pos++;
    s->precision = read_number(p, len, &pos);
    if (s->precision == -2) return too_many_digits(vm);
    if (s->precision == -1) {
      exc_value_error(vm, "Format specifier missing precision");
      return -1;
    }
  }
  if (len - pos > 1) {
    exc_value_error(vm, "Invalid format specifier '%s' for object of type '%s'", p, type_name);
    return -1;
  }
  if (pos < len) s->type = p[pos];
  if (s->grouping) {
    char t = s->type ? s->type : default_type;
    switch (t) {
      case 'd': case 'e': case 'f': case 'g': case 'E': case 'G': case '%': case 'F': case 0:
        break;
      case 'b': case 'o': case 'x': case 'X':
        if (s->grouping == '_') {
          s->group_every = 4;
          break;
        }
        /* fall through */
      default:
        if ((unsigned char)t > 32 && (unsigned char)t < 128)
          exc_value_error(vm, "Cannot specify '%c' with '%c'.", s->grouping, t);
        else
          exc_value_error(vm, "Cannot specify '%c' with '\\x%x'.", s->grouping, (unsigned)(unsigned char)t);
        return -1;
    }
  }
  return 0;
}

static Value unknown_code(VM *vm, char type, const char *type_name) {
  if ((unsigned char)type > 32 && (unsigned char)type < 128)
    return exc_value_error(vm, "Unknown format code '%c' for object of type '%s'", type, type_name);
  return exc_value_error(vm, "Unknown format code '\\x%x' for object of type '%s'", (unsigned)(unsigned char)type,
                         type_name);
}

/* ========================================================== assembly */

static void add_fill(SBuf *b, const Spec *s, int64_t n) {
  sbuf_addn(b, s->fill, s->fill_len, n);
}

/* body (of body_cps code points) aligned in s->width */
static void emit_aligned(SBuf *out, const Spec *s, const char *body, size_t body_len, int64_t body_cps,
                         char default_align) {
  int64_t pad = s->width > body_cps ? s->width - body_cps : 0;
  char align = s->align ? s->align : default_align;
  int64_t left = align == '>' ? pad : align == '^' ? pad / 2 : 0;
  add_fill(out, s, left);
  sbuf_add(out, body, body_len);
  add_fill(out, s, pad - left);
}

/* digits grouped by sep every `every`, from the right, padded with
** zeros to at least min_width characters (the '0' flag with grouping) */
static void add_grouped(SBuf *out, const char *digits, int64_t n, char sep, int every, int64_t min_width) {
  /* built right to left in a scratch buffer */
  int64_t cap = (n > min_width ? n : min_width) * 2 + 8;
  char *tmp = malloc((size_t)cap);
  if (!tmp) {
    sbuf_add(out, digits, (size_t)n); /* degrade: ungrouped */
    return;
  }
  int64_t w = cap, remaining = n;
  bool use_sep = false;
  for (;;) {
    int64_t l = remaining > min_width ? remaining : min_width;
    if (l < 1) l = 1;
    if (l > every) l = every;
    int64_t zeros = l - remaining > 0 ? l - remaining : 0;
    int64_t chars = remaining < l ? remaining : l;
    if (chars < 0) chars = 0;
    if (use_sep) tmp[--w] = sep;
    for (int64_t k = 0; k < chars; k++) tmp[--w] = digits[remaining - 1 - k];
    for (int64_t k = 0; k < zeros; k++) tmp[--w] = '0';
    use_sep = true;
    remaining -= chars;
    min_width -= l;
    if (remaining <= 0 && min_width <= 0) break;
    min_width -= 1;
  }
  sbuf_add(out, tmp + w, (size_t)(cap - w));
  free(tmp);
}

/* sign + prefix + digits (grouped) + rest, padded as the spec says */
static void emit_number(SBuf *out, const Spec *s, char signch, const char *prefix, const char *digits,
                        size_t ndigits, const char *rest, size_t nrest) {
  SBuf num;
  sbuf_init(&num);
  size_t lead = (signch ? 1 : 0) + strlen(prefix);
  char align = s->align ? s->align : '>';
  if (s->grouping && ndigits > 0) {
    int64_t min_digits = 0;
    if (s->fill_len == 1 && s->fill[0] == '0' && align == '=' && s->width > 0)
      min_digits = s->width - (int64_t)lead - (int64_t)nrest;
    add_grouped(&num, digits, (int64_t)ndigits, s->grouping, s->group_every, min_digits);
  } else {
    sbuf_add(&num, digits, ndigits);
  }
  sbuf_add(&num, rest, nrest);
  int64_t total = (int64_t)lead + (int64_t)num.len;
  int64_t pad = s->width > total ? s->width - total : 0;
  int64_t left = align == '>' ? pad : align == '^' ? pad / 2 : 0;
  if (align != '=') add_fill(out, s, left);
  if (signch) sbuf_addc(out, signch);
  sbuf_adds(out, prefix);
  if (align == '=') add_fill(out, s, pad);
  sbuf_add(out, num.data ? num.data : "", num.len);
  if (align != '=') add_fill(out, s, pad - left);
  sbuf_free(&num);
}

static char sign_char(const Spec *s, bool negative) {
  if (negative) return '-';
  if (s->sign == '+') return '+';
  if (s->sign == ' ') return ' ';
  return 0;
}

static Value finish(VM *vm, SBuf *b) {
  StrObj *r = sbuf_finish(vm, b);
  return r ? v_obj(r) : V_UNDEF;
}

/* ============================================================= values */

static Value format_str_spec(VM *vm, StrObj *str, const Spec *s) {
  if (s->type && s->type != 's') return unknown_code(vm, s->type, "str");
  if (s->sign) return exc_value_error(vm, "Sign not allowed in string format specifier");
  if (s->no_neg_zero)
    return exc_value_error(vm, "Negative zero coercion (z) not allowed in string format specifier");
  if (s->alt) return exc_value_error(vm, "Alternate form (#) not allowed in string format specifier");
  if (s->align == '=') return exc_value_error(vm, "'=' alignment not allowed in string format specifier");
  size_t blen = (size_t)str->len;
  int64_t cps = str->length;
  if (s->precision >= 0 && s->precision < cps) {
    blen = utf8_offset(str, s->precision);
    cps = s->precision;
  }
  if (s->width <= cps && blen == (size_t)str->len && str->obj.type == vm->t_str) return v_obj(str);
  SBuf b;
  sbuf_init(&b);
  emit_aligned(&b, s, str->data, blen, cps, '<');
  return finish(vm, &b);
}

static Value format_float_spec(VM *vm, double x, Spec *s, const char *type_name);

static Value format_int_spec(VM *vm, int64_t v, Spec *s, const char *type_name) {
  char type = s->type ? s->type : 'd';
  switch (type) {
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%':
      return format_float_spec(vm, (double)v, s, type_name);
    case 'b': case 'c': case 'd': case 'o': case 'x': case 'X': case 'n':
      break;
    default:
      return unknown_code(vm, type, type_name);
  }
  if (s->precision >= 0) return exc_value_error(vm, "Precision not allowed in integer format specifier");
  if (s->no_neg_zero)
    return exc_value_error(vm, "Negative zero coercion (z) not allowed in integer format specifier");
  SBuf b;
  sbuf_init(&b);
  if (type == 'c') {
    if (s->sign) return exc_value_error(vm, "Sign not allowed with integer format specifier 'c'");
    if (s->alt) return exc_value_error(vm, "Alternate form (#) not allowed with integer format specifier 'c'");
    if (v < 0 || v > 0x10FFFF) return exc_raise(vm, EXC(vm, OverflowError), "%%c arg not in range(0x110000)");
    char buf[4];
    size_t n = utf8_encode((uint32_t)v, buf);
    emit_aligned(&b, s, buf, n, 1, '>');
    return finish(vm, &b);
  }
  int base = type == 'b' ? 2 : type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
  const char *digitset = type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  char digits[72];
  size_t pos = sizeof digits;
  uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
  do {
    digits[--pos] = digitset[mag % (uint64_t)base];
    mag /= (uint64_t)base;
  } while (mag);
  const char *prefix = "";
  if (s->alt) prefix = type == 'b' ? "0b" : type == 'o' ? "0o" : type == 'x' ? "0x" : type == 'X' ? "0X" : "";
  emit_number(&b, s, sign_char(s, v < 0), prefix, digits + pos, sizeof digits - pos, "", 0);
  return finish(vm, &b);
}

/* is every digit of the formatted magnitude a zero? ('z' drops the sign) */
static bool all_zero_digits(const char *t, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (t[i] == 'e' || t[i] == 'E') break;
    if (t[i] >= '1' && t[i] <= '9') return false;
  }
  return true;
}

static Value format_float_spec(VM *vm, double x, Spec *s, const char *type_name) {
  char type = s->type;
  int flags = s->alt ? FLT_ALT : 0;
  int64_t prec = s->precision;
  switch (type) {
    case 0:
      if (prec >= 0) {
        type = 'g';
        flags |= FLT_ADD_DOT_0;
      } else {
        type = 'r';
      }
      break;
    case 'n': type = 'g'; break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%': break;
    default: return unknown_code(vm, type, type_name);
  }
  if (prec < 0) prec = 6;
  if (prec > 100000) return exc_value_error(vm, "precision too big");
  bool negative = signbit(x) && !isnan(x);
  double ax = fabs(x);
  SBuf t;
  sbuf_init(&t);
  if (type == '%') {
    float_to_text(&t, ax * 100, 'f', (int)prec, flags);
    sbuf_addc(&t, '%');
  } else {
    float_to_text(&t, ax, type, (int)prec, flags);
  }
  if (t.cap == SIZE_MAX) return exc_no_memory(vm);
  const char *text = t.data;
  size_t n = t.len;
  if (negative && s->no_neg_zero && isfinite(x) && all_zero_digits(text, n)) negative = false;
  /* the leading digits group; the point, fraction, exponent and % follow */
  size_t nd = 0;
  if (isfinite(x))
    while (nd < n && text[nd] >= '0' && text[nd] <= '9') nd++;
  SBuf b;
  sbuf_init(&b);
  emit_number(&b, s, sign_char(s, negative), "", text, nd, text + nd, n - nd);
  sbuf_free(&t);
  return finish(vm, &b);
}

Value format_object_default(VM *vm, Value self, StrObj *spec) {
  if (spec->len > 0)
    return exc_type_error(vm, "unsupported format string passed to %s.__format__", obj_type_name(vm, self));
  return obj_str(vm, self);
}

Value format_value(VM *vm, Value v, StrObj *spec) {
  Spec s;
  if (IS_STR(v) && AS_OBJ(v)->type == vm->t_str) {
    if (spec->len == 0) return v;
    if (parse_spec(vm, spec, &s, "str", '<', 's') < 0) return V_UNDEF;
    return format_str_spec(vm, AS_STR(v), &s);
  }
  if (IS_INT(v)) {
    if (spec->len == 0) {
      StrObj *r = int_to_str(vm, AS_INT(v));
      return r ? v_obj(r) : V_UNDEF;
    }
    if (parse_spec(vm, spec, &s, "int", '>', 'd') < 0) return V_UNDEF;
    return format_int_spec(vm, AS_INT(v), &s, "int");
  }
  if (IS_BOOL(v)) {
    if (spec->len == 0) return obj_str(vm, v);
    if (parse_spec(vm, spec, &s, "bool", '>', 'd') < 0) return V_UNDEF;
    return format_int_spec(vm, AS_BOOL(v), &s, "bool");
  }
  if (IS_FLOAT(v)) {
    if (parse_spec(vm, spec, &s, "float", '>', 0) < 0) return V_UNDEF;
    return format_float_spec(vm, AS_FLOAT(v), &s, "float");
  }
  Value m = type_lookup(vm, obj_type(vm, v), NAME(vm, __format__));
  if (IS_UNDEF(m)) return format_object_default(vm, v, spec);
  Value r = obj_call2(vm, m, v, v_obj(spec));
  if (IS_UNDEF(r)) return V_UNDEF;
  if (!IS_STR(r))
    return exc_type_error(vm, "__format__ must return a str, not %s", obj_type_name(vm, r));
  return r;
}

/* ========================================================= str.format */

typedef struct FmtArgs {
  Value *args;          /* positional */
  int nargs;
  TupleObj *kwnames;    /* keyword names, values at args[nargs..] */
  Value mapping;        /* format_map's mapping, else V_UNDEF */
  int numbering;        /* 0 undecided, 1 automatic, 2 manual */
  int next_auto;
} FmtArgs;

static int fmt_error(VM *vm, const char *msg) {
  exc_value_error(vm, "%s", msg);
  return -1;
}

static bool all_digits(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static int64_t parse_index(const char *s, size_t n) {
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (v > (INT64_MAX - 9) / 10) return INT64_MAX;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* the object the first part of a field name refers to */
static Value field_first(VM *vm, FmtArgs *a, const char *name, size_t n) {
  if (n == 0 || all_digits(name, n)) {
    if (!IS_UNDEF(a->mapping)) return exc_value_error(vm, "Format string contains positional fields");
    int64_t index;
    if (n == 0) {
      if (a->numbering == 2)
        return exc_value_error(vm, "cannot switch from manual field specification to automatic field numbering");
      a->numbering = 1;
      index = a->next_auto++;
    } else {
      if (a->numbering == 1)
        return exc_value_error(vm, "cannot switch from automatic field numbering to manual field specification");
      a->numbering = 2;
      index = parse_index(name, n);
    }
    if (index >= a->nargs)
      return exc_raise(vm, EXC(vm, IndexError), "Replacement index %lld out of range for positional args tuple",
                       (long long)index);
    return a->args[index];
  }
  StrObj *key = str_new(vm, name, n);
  if (!key) return V_UNDEF;
  if (!IS_UNDEF(a->mapping)) {
    gc_push_root(vm, v_obj(key));
    Value r = obj_getitem(vm, a->mapping, v_obj(key));
    gc_pop_roots(vm, 1);
    return r;
  }
  int64_t nkw = a->kwnames ? a->kwnames->len : 0;
  for (int64_t k = 0; k < nkw; k++)
    if (str_equal(AS_STR(a->kwnames->items[k]), key)) return a->args[a->nargs + k];
  return exc_raise(vm, EXC(vm, KeyError), "%U", key);
}

/* resolve "name.attr[key]…" to a value */
static Value resolve_field(VM *vm, FmtArgs *a, const char *f, size_t n) {
  size_t i = 0;
  while (i < n && f[i] != '.' && f[i] != '[') i++;
  Value v = field_first(vm, a, f, i);
  while (!IS_UNDEF(v) && i < n) {
    gc_push_root(vm, v);
    if (f[i] == '.') {
      size_t start = ++i;
      while (i < n && f[i] != '.' && f[i] != '[') i++;
      if (i == start) {
        gc_pop_roots(vm, 1);
        return exc_value_error(vm, "Empty attribute in format string");
      }
      StrObj *attr = str_intern(vm, f + start, i - start);
      v = attr ? obj_getattr(vm, v, attr) : V_UNDEF;
    } else {
      size_t start = ++i;
      while (i < n && f[i] != ']') i++;
      if (i >= n) {
        gc_pop_roots(vm, 1);
        return exc_value_error(vm, "Missing ']' in format string");
      }
      if (i == start) {
        gc_pop_roots(vm, 1);
        return exc_value_error(vm, "Empty attribute in format string");
      }
      Value key;
      if (all_digits(f + start, i - start)) {
        key = v_int(parse_index(f + start, i - start));
      } else {
        StrObj *ks = str_new(vm, f + start, i - start);
        key = ks ? v_obj(ks) : V_UNDEF;
      }
      i++; /* ']' */
      if (i < n && f[i] != '.' && f[i] != '[') {
        gc_pop_roots(vm, 1);
        return exc_value_error(vm, "Only '.' or '[' may follow ']' in format field specifier");
      }
      if (!IS_UNDEF(key)) {
        gc_push_root(vm, key);
        v = obj_getitem(vm, v, key);
        gc_pop_roots(vm, 1);
      } else {
        v = V_UNDEF;
      }
    }
    gc_pop_roots(vm, 1);
  }
  return v;
}

static int render(VM *vm, FmtArgs *a, const char *s, size_t len, SBuf *out, int depth);

/* one replacement field: the text between '{' and its '}' */
static int render_field(VM *vm, FmtArgs *a, const char *f, size_t n, SBuf *out, int depth) {
  /* field name: up to '!' or ':' outside brackets */
  size_t i = 0;
  while (i < n && f[i] != '!' && f[i] != ':') {
    if (f[i] == '[')
      while (i < n && f[i] != ']') i++;
    if (i < n) i++;
  }
  size_t name_end = i;
  char conv = 0;
  if (i < n && f[i] == '!') {
    if (i + 1 >= n) return fmt_error(vm, "end of string while looking for conversion specifier");
    conv = f[i + 1];
    i += 2;
    if (i < n && f[i] != ':') return fmt_error(vm, "expected ':' after conversion specifier");
  }
  const char *spec = i < n ? f + i + 1 : f + n;
  size_t spec_len = i < n ? n - i - 1 : 0;
  Value v = resolve_field(vm, a, f, name_end);
  if (IS_UNDEF(v)) return -1;
  if (conv == 'r') v = obj_repr(vm, v);
  else if (conv == 's') v = obj_str(vm, v);
  else if (conv == 'a') v = str_ascii(vm, v);
  else if (conv) {
    exc_value_error(vm, "Unknown conversion specifier %c", conv);
    return -1;
  }
  if (IS_UNDEF(v)) return -1;
  gc_push_root(vm, v);
  Value spec_str;
  if (memchr(spec, '{', spec_len)) {
    /* nested fields in the spec are expanded first */
    if (depth <= 1) {
      gc_pop_roots(vm, 1);
      return fmt_error(vm, "Max string recursion exceeded");
    }
    SBuf sb;
    sbuf_init(&sb);
    if (render(vm, a, spec, spec_len, &sb, depth - 1) < 0) {
      sbuf_free(&sb);
      gc_pop_roots(vm, 1);
      return -1;
    }
    StrObj *ss = sbuf_finish(vm, &sb);
    spec_str = ss ? v_obj(ss) : V_UNDEF;
  } else if (spec_len == 0) {
    spec_str = v_obj(vm->empty_str);
  } else {
    StrObj *ss = str_new(vm, spec, spec_len);
    spec_str = ss ? v_obj(ss) : V_UNDEF;
  }
  if (IS_UNDEF(spec_str)) {
    gc_pop_roots(vm, 1);
    return -1;
  }
  Value r;
  if (AS_STR(spec_str)->len == 0 && IS_STR(v) && AS_OBJ(v)->type == vm->t_str) {
    r = v;
  } else {
    gc_push_root(vm, spec_str);
    r = format_value(vm, v, AS_STR(spec_str));
    gc_pop_roots(vm, 1);
  }
  gc_pop_roots(vm, 1);
  if (IS_UNDEF(r)) return -1;
  sbuf_add(out, AS_STR(r)->data, (size_t)AS_STR(r)->len);
  return 0;
}

static int render(VM *vm, FmtArgs *a, const char *s, size_t len, SBuf *out, int depth) {
  size_t i = 0;
  while (i < len) {
    char c = s[i];
    if (c == '}') {
      if (i + 1 < len && s[i + 1] == '}') {
        sbuf_addc(out, '}');
        i += 2;
        continue;
      }
      return fmt_error(vm, "Single '}' encountered in format string");
    }
    if (c != '{') {
      size_t j = i;
      while (j < len && s[j] != '{' && s[j] != '}') j++;
      sbuf_add(out, s + i, j - i);
      i = j;
      continue;
    }
    if (i + 1 < len && s[i + 1] == '{') {
      sbuf_addc(out, '{');
      i += 2;
      continue;
    }
    if (i + 1 >= len) return fmt_error(vm, "Single '{' encountered in format string");
    /* find the matching '}': brackets in the name hide braces, the spec
    ** may nest one level of fields */
    size_t j = i + 1, nest = 1;
    bool in_spec = false;
    while (j < len) {
      char d = s[j];
      if (!in_spec && d == '[') {
        while (j < len && s[j] != ']') j++;
        if (j >= len) break;
      } else if (!in_spec && d == ':') {
        in_spec = true;
      } else if (!in_spec && d == '!') {
        /* the conversion letter may be any character, even a brace */
        if (j + 1 < len && s[j + 1] == '}' && (j + 2 >= len || s[j + 2] != '}')) {
          return fmt_error(vm, "unmatched '{' in format spec");
        }
        if (j + 1 < len) j++;
      } else if (d == '{') {
        nest++;
      } else if (d == '}') {
        if (--nest == 0) break;
      }
      j++;
    }
    if (j >= len) return fmt_error(vm, "expected '}' before end of string");
    if (render_field(vm, a, s + i + 1, j - i - 1, out, depth) < 0) return -1;
    i = j + 1;
  }
  return 0;
}

Value format_str_method(VM *vm, StrObj *fmt, Value *args, int nargs, TupleObj *kwnames) {
  FmtArgs a = {args, nargs, kwnames, V_UNDEF, 0, 0};
  SBuf out;
  sbuf_init(&out);
  if (render(vm, &a, fmt->data, (size_t)fmt->len, &out, 2) < 0) {
    sbuf_free(&out);
    return V_UNDEF;
  }
  return finish(vm, &out);
}

Value format_str_map(VM *vm, StrObj *fmt, Value mapping) {
  FmtArgs a = {NULL, 0, NULL, mapping, 0, 0};
  SBuf out;
  sbuf_init(&out);
  if (render(vm, &a, fmt->data, (size_t)fmt->len, &out, 2) < 0) {
    sbuf_free(&out);
    return V_UNDEF;
  }
  return finish(vm, &out);
}

/* ========================================================== % format */

typedef struct Pct {
  bool left, plus, space, alt, zero;
  int64_t width, prec;  /* -1 when absent */
} Pct;

/* pad `body` (body_cps code points) to the width, numbers with zeros
** after the sign/prefix when the '0' flag is given */
static void pct_emit(SBuf *out, const Pct *p, const char *lead, const char *body, size_t body_len,
                     int64_t body_cps, bool numeric) {
  int64_t total = (int64_t)strlen(lead) + body_cps;
  int64_t pad = p->width > total ? p->width - total : 0;
  if (p->left) {
    sbuf_adds(out, lead);
    sbuf_add(out, body, body_len);
    sbuf_addn(out, " ", 1, pad);
  } else if (p->zero && numeric) {
    sbuf_adds(out, lead);
    sbuf_addn(out, "0", 1, pad);
    sbuf_add(out, body, body_len);
  } else {
    sbuf_addn(out, " ", 1, pad);
    sbuf_adds(out, lead);
    sbuf_add(out, body, body_len);
  }
}

static bool has_dunder(VM *vm, Value v, StrObj *name) {
  return IS_OBJ(v) && !IS_UNDEF(type_lookup(vm, obj_type(vm, v), name));
}

/* %d %i %u %o %x %X */
static int pct_int(VM *vm, SBuf *out, const Pct *p, char conv, Value v) {
  int64_t i;
  if (IS_INTLIKE(v)) {
    i = AS_INTLIKE(v);
  } else if (IS_FLOAT(v) && (conv == 'd' || conv == 'i' || conv == 'u')) {
    Value r = float_to_int(vm, AS_FLOAT(v));
    if (IS_UNDEF(r)) return -1;
    i = AS_INT(r);
  } else if (has_dunder(vm, v, NAME(vm, __index__))) {
    if (num_as_index(vm, v, &i) < 0) return -1;
  } else if ((conv == 'd' || conv == 'i' || conv == 'u') && has_dunder(vm, v, NAME(vm, __int__))) {
    Value m = type_lookup(vm, obj_type(vm, v), NAME(vm, __int__));
    Value r = obj_call1(vm, m, v);
    if (IS_UNDEF(r)) return -1;
    if (!IS_INTLIKE(r)) {
      exc_type_error(vm, "__int__ returned non-int (type %s)", obj_type_name(vm, r));
      return -1;
    }
    i = AS_INTLIKE(r);
  } else {
    if (conv == 'd' || conv == 'i' || conv == 'u')
      exc_type_error(vm, "%%%c format: a real number is required, not %s", conv, obj_type_name(vm, v));
    else
      exc_type_error(vm, "%%%c format: an integer is required, not %s", conv, obj_type_name(vm, v));
    return -1;
  }
  int base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
  const char *set = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  char digits[80];
  size_t pos = sizeof digits;
  uint64_t mag = i < 0 ? -(uint64_t)i : (uint64_t)i;
  do {
    digits[--pos] = set[mag % (uint64_t)base];
    mag /= (uint64_t)base;
  } while (mag);
  while (p->prec > 0 && (int64_t)(sizeof digits - pos) < p->prec && pos > 0) digits[--pos] = '0';
  char lead[8];
  size_t ln = 0;
  if (i < 0) lead[ln++] = '-';
  else if (p->plus) lead[ln++] = '+';
  else if (p->space) lead[ln++] = ' ';
  if (p->alt && base != 10) {
    lead[ln++] = '0';
    lead[ln++] = conv == 'o' ? 'o' : conv;
  }
  lead[ln] = '\0';
  pct_emit(out, p, lead, digits + pos, sizeof digits - pos, (int64_t)(sizeof digits - pos), true);
  return 0;
}

/* %e %E %f %F %g %G */
static int pct_float(VM *vm, SBuf *out, const Pct *p, char conv, Value v) {
  double d;
  if (num_as_double(vm, v, &d) < 0) return -1;
  SBuf t;
  sbuf_init(&t);
  int64_t prec = p->prec < 0 ? 6 : p->prec;
  if (prec > 100000) prec = 100000;
  float_to_text(&t, fabs(d), conv, (int)prec, p->alt ? FLT_ALT : 0);
  char lead[2] = {0, 0};
  if (signbit(d) && !isnan(d)) lead[0] = '-';
  else if (p->plus) lead[0] = '+';
  else if (p->space) lead[0] = ' ';
  pct_emit(out, p, lead, t.data ? t.data : "", t.len, (int64_t)t.len, isfinite(d));
  sbuf_free(&t);
  return 0;
}

static int pct_text(VM *vm, SBuf *out, const Pct *p, StrObj *s) {
  (void)vm;
  size_t blen = (size_t)s->len;
  int64_t cps = s->length;
  if (p->prec >= 0 && p->prec < cps) {
    blen = utf8_offset(s, p->prec);
    cps = p->prec;
  }
  pct_emit(out, p, "", s->data, blen, cps, false);
  return 0;
}

/* bytes %s / %b: bytes or __bytes__ */
static int pct_bytes_arg(VM *vm, SBuf *out, const Pct *p, Value v) {
  if (!IS_BYTES(v) && has_dunder(vm, v, str_intern_cstr(vm, "__bytes__"))) {
    Value m = type_lookup(vm, obj_type(vm, v), str_intern_cstr(vm, "__bytes__"));
    v = obj_call1(vm, m, v);
    if (IS_UNDEF(v)) return -1;
  }
  if (!IS_BYTES(v)) {
    exc_type_error(vm, "%%b requires a bytes-like object, or an object that implements __bytes__, not '%s'",
                   obj_type_name(vm, v));
    return -1;
  }
  BytesObj *b = AS_BYTES(v);
  size_t n = (size_t)b->len;
  if (p->prec >= 0 && (size_t)p->prec < n) n = (size_t)p->prec;
  pct_emit(out, p, "", (const char *)b->data, n, (int64_t)n, false);
  return 0;
}

static int pct_char(VM *vm, SBuf *out, const Pct *p, Value v, bool bytes_mode) {
  char buf[4];
  size_t n;
  if (IS_STR(v) && !bytes_mode) {
    if (AS_STR(v)->length != 1) {
      exc_type_error(vm, "%%c requires int or char");
      return -1;
    }
    pct_emit(out, p, "", AS_STR(v)->data, (size_t)AS_STR(v)->len, 1, false);
    return 0;
  }
  if (IS_BYTES(v) && bytes_mode) {
    if (AS_BYTES(v)->len != 1) {
      exc_type_error(vm, "%%c requires an integer in range(256) or a single byte");
      return -1;
    }
    pct_emit(out, p, "", (const char *)AS_BYTES(v)->data, 1, 1, false);
    return 0;
  }
  int64_t i;
  if (!IS_INTLIKE(v) && !has_dunder(vm, v, NAME(vm, __index__))) {
    exc_type_error(vm, bytes_mode ? "%%c requires an integer in range(256) or a single byte" : "%%c requires int or char");
    return -1;
  }
  if (num_as_index(vm, v, &i) < 0) return -1;
  if (bytes_mode) {
    if (i < 0 || i > 255) {
      exc_raise(vm, EXC(vm, OverflowError), "%%c arg not in range(256)");
      return -1;
    }
    buf[0] = (char)i;
    n = 1;
  } else {
    if (i < 0 || i > 0x10FFFF) {
      exc_raise(vm, EXC(vm, OverflowError), "%%c arg not in range(0x110000)");
      return -1;
    }
    n = utf8_encode((uint32_t)i, buf);
  }
  pct_emit(out, p, "", buf, n, 1, false);
  return 0;
}

/* a `*` width or precision from the arguments */
static int pct_star(VM *vm, Value *argv, int64_t argc, int64_t *argi, int64_t *out) {
  if (*argi >= argc) {
    exc_type_error(vm, "not enough arguments for format string");
    return -1;
  }
  Value v = argv[(*argi)++];
  if (!IS_INTLIKE(v)) {
    exc_type_error(vm, "* wants int");
    return -1;
  }
  *out = AS_INTLIKE(v);
  return 0;
}

static bool is_mapping(VM *vm, Value v) {
  if (!IS_OBJ(v) || IS_TUPLE(v) || IS_STR(v) || IS_BYTES(v)) return false;
  Type *t = obj_type(vm, v);
  return t->getitem != NULL || !IS_UNDEF(type_lookup(vm, t, NAME(vm, __getitem__)));
}

/* the arguments of a `%` format: a tuple, a mapping (for %(key)s; it
** also counts as one positional value), or one value */
typedef struct PctArgs {
  Value *argv;
  int64_t argc, next;
  Value dict;
} PctArgs;

/* %(key): the mapping's item; *pos is past the '(' and moves past ')' */
static Value pct_keyed_arg(VM *vm, PctArgs *a, const char *fmt, size_t len, size_t *pos, bool bytes_mode) {
  if (IS_UNDEF(a->dict)) return exc_type_error(vm, "format requires a mapping");
  size_t depth = 1, start = *pos, k = start;
  while (k < len && depth) {
    if (fmt[k] == '(') depth++;
    else if (fmt[k] == ')') depth--;
    if (depth) k++;
  }
  if (k >= len) return exc_value_error(vm, "incomplete format key");
  Obj *kobj = bytes_mode ? (Obj *)bytes_new(vm, fmt + start, k - start) : (Obj *)str_new(vm, fmt + start, k - start);
  if (!kobj) return V_UNDEF;
  gc_push_root(vm, v_obj(kobj));
  Value arg = obj_getitem(vm, a->dict, v_obj(kobj));
  gc_pop_roots(vm, 1);
  *pos = k + 1;
  return arg;
}

/* a decimal field of a spec (width or precision), or -1 when absent */
static int pct_number(VM *vm, const char *fmt, size_t len, size_t *pos, int64_t *out, const char *what) {
  while (*pos < len && fmt[*pos] >= '0' && fmt[*pos] <= '9') {
    *out = (*out < 0 ? 0 : *out) * 10 + (fmt[(*pos)++] - '0');
    if (*out > 1000000000) {
      exc_value_error(vm, "%s too big", what);
      return -1;
    }
  }
  return 0;
}

/* flags, width and precision of one conversion spec */
static int pct_parse_spec(VM *vm, PctArgs *a, const char *fmt, size_t len, size_t *pos, Pct *p) {
  size_t i = *pos;
  for (; i < len; i++) {
    char c = fmt[i];
    if (c == '-') p->left = true;
    else if (c == '+') p->plus = true;
    else if (c == ' ') p->space = true;
    else if (c == '#') p->alt = true;
    else if (c == '0') p->zero = true;
    else break;
  }
  if (i < len && fmt[i] == '*') {
    if (pct_star(vm, a->argv, a->argc, &a->next, &p->width) < 0) return -1;
    if (p->width < 0) {
      p->left = true;
      p->width = -p->width;
    }
    i++;
  } else if (pct_number(vm, fmt, len, &i, &p->width, "width") < 0) {
    return -1;
  }
  if (i < len && fmt[i] == '.') {
    i++;
    p->prec = 0;
    if (i < len && fmt[i] == '*') {
      if (pct_star(vm, a->argv, a->argc, &a->next, &p->prec) < 0) return -1;
      if (p->prec < 0) p->prec = 0;
      i++;
    } else if (pct_number(vm, fmt, len, &i, &p->prec, "precision") < 0) {
      return -1;
    }
  }
  while (i < len && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L')) i++;
  *pos = i;
  return 0;
}

static int pct_unsupported(VM *vm, const char *fmt, size_t len, size_t at, bool bytes_mode) {
  size_t adv = 1;
  uint32_t cp = (unsigned char)fmt[at];
  if (cp >= 0x80 && !bytes_mode) cp = utf8_decode(fmt + at, len - at, &adv);
  char ch = cp >= 32 && cp <= 126 ? (char)cp : '?';
  exc_value_error(vm, "unsupported format character '%c' (0x%x) at index %lld", ch, cp,
                  (long long)(bytes_mode ? (int64_t)at : utf8_count(fmt, at)));
  return -1;
}

/* one conversion of `arg` by the letter conv */
static int pct_convert(VM *vm, SBuf *out, const Pct *p, char conv, Value arg, bool bytes_mode) {
  switch (conv) {
    case 'd': case 'i': case 'u': case 'o': case 'x': case 'X':
      return pct_int(vm, out, p, conv, arg);
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      return pct_float(vm, out, p, conv, arg);
    case 'c':
      return pct_char(vm, out, p, arg, bytes_mode);
    case 'b':
      if (bytes_mode) return pct_bytes_arg(vm, out, p, arg);
      return -2;
    case 's':
      if (bytes_mode) return pct_bytes_arg(vm, out, p, arg);
      /* fall through */
    case 'r': case 'a': {
      Value s = conv == 's' ? obj_str(vm, arg) : (conv == 'r' && !bytes_mode) ? obj_repr(vm, arg) : str_ascii(vm, arg);
      if (IS_UNDEF(s)) return -1;
      return pct_text(vm, out, p, AS_STR(s));
    }
    default:
      return -2;
  }
}

static int percent_core(VM *vm, const char *fmt, size_t len, Value values, bool bytes_mode, SBuf *out) {
  PctArgs a = {&values, 1, 0, V_UNDEF};
  if (IS_TUPLE(values)) {
    a.argv = AS_TUPLE(values)->items;
    a.argc = AS_TUPLE(values)->len;
  } else if (is_mapping(vm, values)) {
    a.dict = values;
  }
  size_t i = 0;
  while (i < len) {
    const char *pct = memchr(fmt + i, '%', len - i);
    if (!pct) {
      sbuf_add(out, fmt + i, len - i);
      break;
    }
    sbuf_add(out, fmt + i, (size_t)(pct - (fmt + i)));
    i = (size_t)(pct - fmt) + 1;
    Value arg = V_UNDEF;
    if (i < len && fmt[i] == '(') {
      i++;
      arg = pct_keyed_arg(vm, &a, fmt, len, &i, bytes_mode);
      if (IS_UNDEF(arg)) return -1;
    }
    Pct p = {false, false, false, false, false, -1, -1};
    if (pct_parse_spec(vm, &a, fmt, len, &i, &p) < 0) return -1;
    if (i >= len) {
      exc_value_error(vm, "incomplete format");
      return -1;
    }
    char conv = fmt[i++];
    if (conv == '%') {
      sbuf_addc(out, '%');
      continue;
    }
    if (IS_UNDEF(arg)) {
      if (a.next >= a.argc) {
        exc_type_error(vm, "not enough arguments for format string");
        return -1;
      }
      arg = a.argv[a.next++];
    }
    int rc = pct_convert(vm, out, &p, conv, arg, bytes_mode);
    if (rc == -2) return pct_unsupported(vm, fmt, len, i - 1, bytes_mode);
    if (rc < 0) return -1;
  }
  if (a.next < a.argc && IS_UNDEF(a.dict)) {
    exc_type_error(vm, bytes_mode ? "not all arguments converted during bytes formatting"
                                  : "not all arguments converted during string formatting");
    return -1;
  }
  return 0;
}

Value format_percent(VM *vm, StrObj *fmt, Value values) {
  SBuf out;
  sbuf_init(&out);
  if (percent_core(vm, fmt->data, (size_t)fmt->len, values, false, &out) < 0) {
    sbuf_free(&out);
    return V_UNDEF;
  }
  return finish(vm, &out);
}

Value format_percent_bytes(VM *vm, const uint8_t *fmt, size_t len, Value values) {
  SBuf out;
  sbuf_init(&out);
  if (percent_core(vm, (const char *)fmt, len, values, true, &out) < 0) {
    sbuf_free(&out);
    return V_UNDEF;
  }
  if (out.cap == SIZE_MAX) return exc_no_memory(vm);
  BytesObj *b = bytes_new(vm, out.data ? out.data : "", out.len);
  sbuf_free(&out);
  return b ? v_obj(b) : V_UNDEF;
}
