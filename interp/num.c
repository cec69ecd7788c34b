/* num.c — int (64-bit, unboxed), bool and float: arithmetic with
** Python's semantics (floor division and modulo toward -inf, true
** division, exact int/float comparison), Python's numeric hash, the
** text forms of ints, and parsing of int()/float() literals.
** The type objects, constructors and methods live in num_type.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "exc.h"
#include "str.h"
#include "tuple.h"
#include "vm.h"

/* ---------------------------------------------------------------- errors */

Value int_overflow_error(VM *vm) {
  return exc_raise(vm, EXC(vm, OverflowError), INT_OVERFLOW_MSG);
}

static Value zero_division(VM *vm, const char *msg) {
  return exc_raise(vm, EXC(vm, ZeroDivisionError), "%s", msg);
}

static Value not_implemented(VM *vm) { return v_obj(vm->not_implemented); }

/* ------------------------------------------------------------ int math */

static int64_t floor_div_i(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static int64_t floor_mod_i(int64_t a, int64_t b) {
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

static int bit_length_u(uint64_t u) { return u ? 64 - __builtin_clzll(u) : 0; }

/* a / b correctly rounded, for ints beyond 2^53 where converting both to
** double first would round twice: a quotient with 55+ bits and a sticky
** bit for the remainder converts to double with one correct rounding. */
static double int_true_div(int64_t a, int64_t b) {
  const int64_t exact = (int64_t)1 << 53;
  if (a >= -exact && a <= exact && b >= -exact && b <= exact) return (double)a / (double)b;
  bool neg = (a < 0) != (b < 0);
  uint64_t n = a < 0 ? -(uint64_t)a : (uint64_t)a;
  uint64_t d = b < 0 ? -(uint64_t)b : (uint64_t)b;
  if (n == 0) return neg ? -0.0 : 0.0;
  int shift = 56 - (bit_length_u(n) - bit_length_u(d));
  if (shift < 0) shift = 0;
  unsigned __int128 num = (unsigned __int128)n << shift;
  unsigned __int128 q = num / d, r = num % d;
  uint64_t q64 = (uint64_t)q | (r != 0);
  double res = ldexp((double)q64, -shift);
  return neg ? -res : res;
}

static Value int_pow(VM *vm, int64_t base, int64_t e) {
  if (e < 0) {
    if (base == 0) return zero_division(vm, "0.0 cannot be raised to a negative power");
    return v_float(pow((double)base, (double)e));
  }
  int64_t result = 1;
  while (e) {
    if (e & 1)
      if (__builtin_mul_overflow(result, base, &result)) return int_overflow_error(vm);
    e >>= 1;
    if (e && __builtin_mul_overflow(base, base, &base)) {
      /* the square overflows, but a base of 0/±1 never gets here, so
      ** any remaining factor overflows the result too */
      return int_overflow_error(vm);
    }
  }
  return v_int(result);
}

static Value int_shift(VM *vm, int op, int64_t a, int64_t n) {
  if (n < 0) return exc_value_error(vm, "negative shift count");
  if (op == BIN_RSHIFT) {
    if (n >= 64) return v_int(a < 0 ? -1 : 0);
    return v_int(a >> n); /* arithmetic shift: floors like Python */
  }
  if (a == 0) return v_int(0);
  if (n >= 64) return int_overflow_error(vm);
  int64_t r = (int64_t)((uint64_t)a << n);
  if ((r >> n) != a) return int_overflow_error(vm);
  return v_int(r);
}

static Value int_binop(VM *vm, int op, int64_t a, int64_t b) {
  int64_t r;
  switch (op) {
    case BIN_ADD:
      if (__builtin_add_overflow(a, b, &r)) return int_overflow_error(vm);
      return v_int(r);
    case BIN_SUB:
      if (__builtin_sub_overflow(a, b, &r)) return int_overflow_error(vm);
      return v_int(r);
    case BIN_MUL:
      if (__builtin_mul_overflow(a, b, &r)) return int_overflow_error(vm);
      return v_int(r);
    case BIN_TRUEDIV:
      if (b == 0) return zero_division(vm, "division by zero");
      return v_float(int_true_div(a, b));
    case BIN_FLOORDIV:
      if (b == 0) return zero_division(vm, "integer division or modulo by zero");
      if (a == INT64_MIN && b == -1) return int_overflow_error(vm);
      return v_int(floor_div_i(a, b));
    case BIN_MOD:
      if (b == 0) return zero_division(vm, "integer modulo by zero");
      if (b == -1) return v_int(0);
      return v_int(floor_mod_i(a, b));
    case BIN_POW: return int_pow(vm, a, b);
    case BIN_LSHIFT: case BIN_RSHIFT: return int_shift(vm, op, a, b);
    case BIN_AND: return v_int(a & b);
    case BIN_OR: return v_int(a | b);
    case BIN_XOR: return v_int(a ^ b);
    default: return not_implemented(vm);
  }
}

/* ---------------------------------------------------------- float math */

/* Python's float modulo: the sign of the divisor, -0.0/0.0 kept right */
static double float_mod(double a, double b) {
  double m = fmod(a, b);
  if (m != 0) {
    if ((b < 0) != (m < 0)) m += b;
  } else {
    m = copysign(0.0, b);
  }
  return m;
}

/* Python's float floor division, consistent with float_mod */
static double float_floordiv(double a, double b) {
  double m = fmod(a, b);
  double div = (a - m) / b;
  if (m != 0 && ((b < 0) != (m < 0))) div -= 1.0;
  if (div == 0) return copysign(0.0, a / b);
  double fl = floor(div);
  if (div - fl > 0.5) fl += 1.0;
  return fl;
}

static Value float_pow(VM *vm, double x, double y) {
  if (y == 0) return v_float(1.0);
  if (isnan(x) || isnan(y)) return v_float(x == 1.0 ? 1.0 : NAN);
  if (isinf(y)) {
    double ax = fabs(x);
    if (ax == 1.0) return v_float(1.0);
    return v_float((y > 0) == (ax > 1.0) ? INFINITY : 0.0);
  }
  if (x == 0 && y < 0) return zero_division(vm, "0.0 cannot be raised to a negative power");
  if (x < 0 && isfinite(x) && isfinite(y) && y != floor(y))
    /* CPython returns a complex here; withy has no complex numbers */
    return exc_value_error(vm, "negative number cannot be raised to a fractional power");
  double r = pow(x, y);
  if (isinf(r) && isfinite(x) && isfinite(y))
    return exc_raise(vm, EXC(vm, OverflowError), "(34, 'Numerical result out of range')");
  return v_float(r);
}

static double as_double(Value v) {
  return IS_FLOAT(v) ? AS_FLOAT(v) : (double)AS_INTLIKE(v);
}

static Value float_binop(VM *vm, int op, double a, double b) {
  switch (op) {
    case BIN_ADD: return v_float(a + b);
    case BIN_SUB: return v_float(a - b);
    case BIN_MUL: return v_float(a * b);
    case BIN_TRUEDIV:
      if (b == 0) return zero_division(vm, "float division by zero");
      return v_float(a / b);
    case BIN_FLOORDIV:
      if (b == 0) return zero_division(vm, "float floor division by zero");
      return v_float(float_floordiv(a, b));
    case BIN_MOD:
      if (b == 0) return zero_division(vm, "float modulo");
      return v_float(float_mod(a, b));
    case BIN_POW: return float_pow(vm, a, b);
    default: return not_implemented(vm);
  }
}

Value num_binop(VM *vm, int op, Value a, Value b) {
  if (op >= BIN_INPLACE) op -= BIN_INPLACE;
  if (IS_INTLIKE(a) && IS_INTLIKE(b)) {
    if (IS_BOOL(a) && IS_BOOL(b)) {
      /* bool & | ^ bool stays a bool */
      if (op == BIN_AND) return v_bool(AS_BOOL(a) && AS_BOOL(b));
      if (op == BIN_OR) return v_bool(AS_BOOL(a) || AS_BOOL(b));
      if (op == BIN_XOR) return v_bool(AS_BOOL(a) != AS_BOOL(b));
    }
    return int_binop(vm, op, AS_INTLIKE(a), AS_INTLIKE(b));
  }
  if (!IS_NUMBER(a) || !IS_NUMBER(b)) return not_implemented(vm);
  return float_binop(vm, op, as_double(a), as_double(b));
}

static const char *const unary_symbol[] = {"-", "+", "~", "not"};

Value num_unaryop(VM *vm, UnaryOp op, Value v) {
  if (!IS_NUMBER(v)) return not_implemented(vm);
  if (op == UN_NOT) {
    if (IS_FLOAT(v)) return v_bool(AS_FLOAT(v) == 0);
    return v_bool(AS_INTLIKE(v) == 0);
  }
  if (IS_FLOAT(v)) {
    double f = AS_FLOAT(v);
    if (op == UN_NEG) return v_float(-f);
    if (op == UN_POS) return v;
    return exc_type_error(vm, "bad operand type for unary %s: 'float'", unary_symbol[op]);
  }
  int64_t i = AS_INTLIKE(v);
  switch (op) {
    case UN_NEG:
      if (i == INT64_MIN) return int_overflow_error(vm);
      return v_int(-i);
    case UN_POS: return v_int(i);
    default: return v_int(~i);
  }
}

/* ---------------------------------------------------------- comparison */

static bool cmp_result(int c, CmpOp op) {
  switch (op) {
    case CMP_LT: return c < 0;
    case CMP_LE: return c <= 0;
    case CMP_EQ: return c == 0;
    case CMP_NE: return c != 0;
    case CMP_GT: return c > 0;
    default: return c >= 0;
  }
}

/* Compare an int with a (non-NaN) double exactly: converting a big int to
** double would round (2**53 + 1 == 2.0**53 must be False). */
static int cmp_int_double(int64_t i, double d) {
  const double two63 = 9223372036854775808.0;
  if (d >= two63) return -1;
  if (d < -two63) return 1;
  if (i > -(1LL << 53) && i < (1LL << 53)) {
    double x = (double)i;
    return x < d ? -1 : x > d;
  }
  /* |i| >= 2^53 and d is in int64 range: compare integer parts, then d's
  ** fraction (only possible when |d| < 2^53) */
  double fl = floor(d);
  int64_t di = (int64_t)fl;
  if (i != di) return i < di ? -1 : 1;
  return fl < d ? -1 : 0;
}

Value num_richcmp(VM *vm, Value a, Value b, CmpOp op) {
  if (IS_INTLIKE(a) && IS_INTLIKE(b)) {
    int64_t x = AS_INTLIKE(a), y = AS_INTLIKE(b);
    return v_bool(cmp_result(x < y ? -1 : x > y, op));
  }
  if (!IS_NUMBER(a) || !IS_NUMBER(b)) return not_implemented(vm);
  if (IS_FLOAT(a) && IS_FLOAT(b)) {
    double x = AS_FLOAT(a), y = AS_FLOAT(b);
    switch (op) {
      case CMP_LT: return v_bool(x < y);
      case CMP_LE: return v_bool(x <= y);
      case CMP_EQ: return v_bool(x == y);
      case CMP_NE: return v_bool(x != y);
      case CMP_GT: return v_bool(x > y);
      default: return v_bool(x >= y);
    }
  }
  double d = IS_FLOAT(a) ? AS_FLOAT(a) : AS_FLOAT(b);
  if (isnan(d)) return v_bool(op == CMP_NE);
  int c = IS_FLOAT(a) ? -cmp_int_double(AS_INTLIKE(b), d) : cmp_int_double(AS_INTLIKE(a), d);
  return v_bool(cmp_result(c, op));
}

/* ---------------------------------------------------------------- hash */

/* Python's numeric hash: the value modulo the prime 2^61 - 1, so equal
** numbers of different types (1, 1.0, True) hash alike. */
#define HASH_MODULUS (((uint64_t)1 << 61) - 1)

static int64_t int_hash(int64_t i) {
  uint64_t mag = i < 0 ? -(uint64_t)i : (uint64_t)i;
  int64_t h = (int64_t)(mag % HASH_MODULUS);
  if (i < 0) h = -h;
  return h == -1 ? -2 : h;
}

int64_t float_hash(double f) {
  if (isinf(f)) return f > 0 ? 314159 : -314159;
  if (isnan(f)) return 0;
  int e;
  double m = frexp(fabs(f), &e);
  /* |f| = M * 2^E with M a 53-bit integer (< the modulus) */
  uint64_t h = (uint64_t)ldexp(m, 53);
  int k = (e - 53) % 61;
  if (k < 0) k += 61;
  /* multiplying by 2^k modulo 2^61 - 1 rotates the 61-bit value */
  if (k) h = ((h << k) & HASH_MODULUS) | (h >> (61 - k));
  int64_t r = (int64_t)h;
  if (f < 0) r = -r;
  return r == -1 ? -2 : r;
}

int num_hash(Value v, int64_t *out) {
  if (IS_FLOAT(v)) *out = float_hash(AS_FLOAT(v));
  else *out = int_hash(AS_INTLIKE(v));
  return 0;
}

/* ---------------------------------------------------------------- text */

size_t int_to_cbuf(int64_t i, char *buf) {
  char tmp[24];
  size_t n = 0;
  uint64_t mag = i < 0 ? -(uint64_t)i : (uint64_t)i;
  do {
    tmp[n++] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag);
  size_t len = 0;
  if (i < 0) buf[len++] = '-';
  while (n) buf[len++] = tmp[--n];
  buf[len] = '\0';
  return len;
}

StrObj *int_to_str(VM *vm, int64_t i) {
  char buf[24];
  size_t n = int_to_cbuf(i, buf);
  return str_new(vm, buf, n);
}

Value int_to_base(VM *vm, int64_t i, int base) {
  char buf[72];
  size_t pos = sizeof buf;
  uint64_t mag = i < 0 ? -(uint64_t)i : (uint64_t)i;
  do {
    buf[--pos] = "0123456789abcdef"[mag % (uint64_t)base];
    mag /= (uint64_t)base;
  } while (mag);
  buf[--pos] = base == 2 ? 'b' : base == 8 ? 'o' : 'x';
  buf[--pos] = '0';
  if (i < 0) buf[--pos] = '-';
  StrObj *s = str_new(vm, buf + pos, sizeof buf - pos);
  return s ? v_obj(s) : V_UNDEF;
}

/* Python's whitespace for int()/float(): str.isspace() */
static size_t skip_space(const char *s, size_t i, size_t len) {
  while (i < len) {
    size_t adv;
    uint32_t cp = utf8_decode(s + i, len - i, &adv);
    if (!uni_isspace(cp)) break;
    i += adv;
  }
  return i;
}

static size_t trim_space_end(const char *s, size_t start, size_t len) {
  while (len > start) {
    size_t back = 1;
    while (back < len - start && ((unsigned char)s[len - back] & 0xC0) == 0x80) back++;
    size_t adv;
    uint32_t cp = utf8_decode(s + len - back, back, &adv);
    if (!uni_isspace(cp)) break;
    len -= back;
  }
  return len;
}

static int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

enum { PARSE_OK, PARSE_INVALID, PARSE_OVERFLOW };

/* The digits of an int literal with Python's rules: optional prefix
** matching the base (any prefix with base 0), single underscores between
** digits (and one right after a prefix), no leading zeros in base 0. */
static int parse_int(const char *s, size_t len, int base, int64_t *out) {
  size_t i = skip_space(s, 0, len);
  len = trim_space_end(s, i, len);
  bool neg = false;
  if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  bool prefixed = false;
  if (i + 1 < len && s[i] == '0') {
    char p = (char)(s[i + 1] | 0x20);
    int pbase = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (pbase && (base == 0 || base == pbase)) {
      base = pbase;
      i += 2;
      prefixed = true;
      if (i < len && s[i] == '_') i++;
    }
  }
  bool decimal_base0 = base == 0;
  if (base == 0) base = 10;
  uint64_t limit = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
  uint64_t acc = 0;
  bool overflow = false, nonzero_seen = false, first_zero = false;
  size_t ndigits = 0;
  for (; i < len; i++) {
    char c = s[i];
    if (c == '_') {
      /* only between two digits */
      if (ndigits == 0 || i + 1 >= len || s[i + 1] == '_') return PARSE_INVALID;
      continue;
    }
    int d = digit_value(c);
    if (d >= base) return PARSE_INVALID;
    if (ndigits == 0) first_zero = d == 0;
    if (d) nonzero_seen = true;
    ndigits++;
    if (!overflow) {
      if (acc > (limit - (uint64_t)d) / (uint64_t)base) overflow = true;
      else acc = acc * (uint64_t)base + (uint64_t)d;
    }
  }
  if (ndigits == 0) return PARSE_INVALID;
  if (decimal_base0 && !prefixed && first_zero && nonzero_seen) return PARSE_INVALID;
  if (overflow) return PARSE_OVERFLOW;
  *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
  return PARSE_OK;
}

/* int literal with the ValueError naming `shown` (the repr of the
** argument: a str or a bytes) */
/* Non-ASCII text as int()/float() read it: Unicode digits become ASCII
** digits, Unicode spaces a space, anything else a character no literal
** has. Returns a malloc'd copy (NULL when s is ASCII or on failure). */
static char *ascii_digits(const char *s, size_t len, size_t *outlen) {
  size_t i = 0;
  while (i < len && (unsigned char)s[i] < 0x80) i++;
  if (i == len) return NULL;
  char *out = malloc(len + 1);
  if (!out) return NULL;
  size_t n = 0;
  for (i = 0; i < len;) {
    size_t adv;
    uint32_t cp = utf8_decode(s + i, len - i, &adv);
    i += adv;
    int d;
    if (cp < 0x80) out[n++] = (char)cp;
    else if ((d = uni_decimal_value(cp)) >= 0) out[n++] = (char)('0' + d);
    else if (uni_isspace(cp)) out[n++] = ' ';
    else out[n++] = '\x01';
  }
  out[n] = '\0';
  *outlen = n;
  return out;
}

Value int_parse_text(VM *vm, const char *s, size_t len, int base, Value shown) {
  if (base != 0 && (base < 2 || base > 36))
    return exc_value_error(vm, "int() base must be >= 2 and <= 36, or 0");
  int64_t v;
  size_t alen;
  char *ascii = IS_STR(shown) ? ascii_digits(s, len, &alen) : NULL;
  int rc = ascii ? parse_int(ascii, alen, base, &v) : parse_int(s, len, base, &v);
  free(ascii);
  switch (rc) {
    case PARSE_OK: return v_int(v);
    case PARSE_OVERFLOW: return int_overflow_error(vm);
    default:
      return exc_value_error(vm, "invalid literal for int() with base %d: %R", base, shown);
  }
}

Value int_from_str(VM *vm, const char *s, size_t len, int base) {
  StrObj *shown = str_new(vm, s, len);
  if (!shown) return V_UNDEF;
  return int_parse_text(vm, s, len, base, v_obj(shown));
}

static bool ascii_ieq(const char *s, size_t len, const char *word) {
  size_t n = strlen(word);
  if (len != n) return false;
  for (size_t i = 0; i < n; i++)
    if ((s[i] | 0x20) != word[i]) return false;
  return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Copy the digits of a float literal to `out` without underscores;
** false when it is not one (underscores only between digits, decimal
** only: no hex floats, which strtod would take). */
static bool clean_float_literal(const char *s, size_t len, char *out) {
  size_t n = 0;
  bool mant_digits = false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '_') {
      if (i == 0 || i + 1 >= len || !is_digit(s[i - 1]) || !is_digit(s[i + 1])) return false;
      continue;
    }
    if (is_digit(c)) {
      mant_digits = true;
    } else if (c == 'e' || c == 'E') {
      if (!mant_digits) return false;
    } else if (c != '.' && c != '+' && c != '-') {
      return false;
    }
    out[n++] = c;
  }
  out[n] = '\0';
  return mant_digits;
}

static bool parse_float(const char *s, size_t len, double *out) {
  size_t i = skip_space(s, 0, len);
  len = trim_space_end(s, i, len);
  s += i;
  len -= i;
  if (len == 0) return false;
  size_t j = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    j = 1;
  }
  if (ascii_ieq(s + j, len - j, "inf") || ascii_ieq(s + j, len - j, "infinity")) {
    *out = neg ? -INFINITY : INFINITY;
    return true;
  }
  if (ascii_ieq(s + j, len - j, "nan")) {
    *out = neg ? -NAN : NAN;
    return true;
  }
  char small[64];
  char *buf = len < sizeof small ? small : malloc(len + 1);
  if (!buf) return false;
  bool ok = clean_float_literal(s, len, buf);
  if (ok) {
    char *end;
    *out = strtod(buf, &end);
    ok = *end == '\0';
  }
  if (buf != small) free(buf);
  return ok;
}

Value float_parse_text(VM *vm, const char *s, size_t len, Value shown) {
  double d;
  size_t alen;
  char *ascii = IS_STR(shown) ? ascii_digits(s, len, &alen) : NULL;
  bool ok = ascii ? parse_float(ascii, alen, &d) : parse_float(s, len, &d);
  free(ascii);
  if (!ok)
    return exc_value_error(vm, "could not convert string to float: %R", shown);
  return v_float(d);
}

Value float_from_str(VM *vm, const char *s, size_t len) {
  StrObj *shown = str_new(vm, s, len);
  if (!shown) return V_UNDEF;
  return float_parse_text(vm, s, len, v_obj(shown));
}

/* --------------------------------------------------------- conversions */

int num_as_index(VM *vm, Value v, int64_t *out) {
  if (IS_INTLIKE(v)) {
    *out = AS_INTLIKE(v);
    return 0;
  }
  if (IS_OBJ(v)) {
    Value m = type_lookup(vm, obj_type(vm, v), NAME(vm, __index__));
    if (!IS_UNDEF(m)) {
      Value r = obj_call1(vm, m, v);
      if (IS_UNDEF(r)) return -1;
      if (!IS_INTLIKE(r)) {
        exc_type_error(vm, "__index__ returned non-int (type %s)", obj_type_name(vm, r));
        return -1;
      }
      *out = AS_INTLIKE(r);
      return 0;
    }
  }
  exc_type_error(vm, "'%s' object cannot be interpreted as an integer", obj_type_name(vm, v));
  return -1;
}

int num_as_double(VM *vm, Value v, double *out) {
  if (IS_FLOAT(v)) {
    *out = AS_FLOAT(v);
    return 0;
  }
  if (IS_INTLIKE(v)) {
    *out = (double)AS_INTLIKE(v);
    return 0;
  }
  if (IS_OBJ(v)) {
    Type *t = obj_type(vm, v);
    Value m = type_lookup(vm, t, NAME(vm, __float__));
    if (!IS_UNDEF(m)) {
      Value r = obj_call1(vm, m, v);
      if (IS_UNDEF(r)) return -1;
      if (!IS_FLOAT(r)) {
        exc_type_error(vm, "%s.__float__ returned non-float (type %s)", obj_type_name(vm, v),
                       obj_type_name(vm, r));
        return -1;
      }
      *out = AS_FLOAT(r);
      return 0;
    }
    m = type_lookup(vm, t, NAME(vm, __index__));
    if (!IS_UNDEF(m)) {
      int64_t i;
      if (num_as_index(vm, v, &i) < 0) return -1;
      *out = (double)i;
      return 0;
    }
  }
  exc_type_error(vm, "must be real number, not %s", obj_type_name(vm, v));
  return -1;
}

/* float -> int truncating, with Python's errors for inf/nan and ours
** for values beyond int64 */
Value float_to_int(VM *vm, double d) {
  if (isnan(d)) return exc_value_error(vm, "cannot convert float NaN to integer");
  if (isinf(d))
    return exc_raise(vm, EXC(vm, OverflowError), "cannot convert float infinity to integer");
  double t = trunc(d);
  if (t >= 9223372036854775808.0 || t < -9223372036854775808.0) return int_overflow_error(vm);
  return v_int((int64_t)t);
}

/* ------------------------------------------------- builtins' helpers */

/* call type(self).<name>(self, args...) if the type defines it; *found
** tells whether it did */
static Value call_dunder(VM *vm, Value self, StrObj *name, Value *args, int nargs, bool *found) {
  Value m = type_lookup(vm, obj_type(vm, self), name);
  *found = !IS_UNDEF(m);
  if (!*found) return V_UNDEF;
  Value argv[3];
  argv[0] = self;
  for (int i = 0; i < nargs; i++) argv[i + 1] = args[i];
  return obj_call(vm, m, argv, nargs + 1, NULL);
}

Value num_abs(VM *vm, Value x) {
  if (IS_FLOAT(x)) return v_float(fabs(AS_FLOAT(x)));
  if (IS_INTLIKE(x)) {
    int64_t i = AS_INTLIKE(x);
    if (i == INT64_MIN) return int_overflow_error(vm);
    return v_int(i < 0 ? -i : i);
  }
  bool found;
  Value r = call_dunder(vm, x, NAME(vm, __abs__), NULL, 0, &found);
  if (!found) return exc_type_error(vm, "bad operand type for abs(): '%s'", obj_type_name(vm, x));
  return r;
}

/* round an int to a multiple of 10^-ndigits (ndigits < 0), half-even */
static Value int_round(VM *vm, int64_t x, int64_t ndigits) {
  if (ndigits >= 0) return v_int(x);
  if (ndigits < -18) return v_int(0); /* |x| < 0.5 * 10^19 */
  int64_t unit = 1;
  for (int64_t k = 0; k < -ndigits; k++) unit *= 10;
  int64_t q = floor_div_i(x, unit), r = floor_mod_i(x, unit);
  /* compare 2r with unit without overflow */
  if (r > unit - r || (r == unit - r && (q & 1))) q++;
  int64_t res;
  if (__builtin_mul_overflow(q, unit, &res)) return int_overflow_error(vm);
  return v_int(res);
}

Value num_round(VM *vm, Value x, Value ndigits) {
  bool have_nd = !IS_UNDEF(ndigits) && !IS_NONE(ndigits);
  if (!IS_NUMBER(x)) {
    bool found;
    Value r = call_dunder(vm, x, NAME(vm, __round__), &ndigits, have_nd ? 1 : 0, &found);
    if (!found)
      return exc_type_error(vm, "type %s doesn't define __round__ method", obj_type_name(vm, x));
    return r;
  }
  int64_t nd = 0;
  if (have_nd && num_as_index(vm, ndigits, &nd) < 0) return V_UNDEF;
  if (IS_INTLIKE(x)) return have_nd ? int_round(vm, AS_INTLIKE(x), nd) : v_int(AS_INTLIKE(x));
  double d = AS_FLOAT(x);
  if (!have_nd) {
    if (!isfinite(d)) return float_to_int(vm, d);
    return float_to_int(vm, nearbyint(d)); /* default rounding mode: half-even */
  }
  double r;
  if (!float_round_digits(d, nd, &r))
    return exc_raise(vm, EXC(vm, OverflowError), "rounded value too large to represent");
  return v_float(r);
}

Value num_divmod(VM *vm, Value a, Value b) {
  if (IS_INTLIKE(a) && IS_INTLIKE(b)) {
    int64_t x = AS_INTLIKE(a), y = AS_INTLIKE(b);
    if (y == 0) return zero_division(vm, "integer division or modulo by zero");
    if (x == INT64_MIN && y == -1) return int_overflow_error(vm);
    TupleObj *t = tuple_pack(vm, 2, v_int(floor_div_i(x, y)), v_int(floor_mod_i(x, y)));
    return t ? v_obj(t) : V_UNDEF;
  }
  if (IS_NUMBER(a) && IS_NUMBER(b)) {
    double x = as_double(a), y = as_double(b);
    if (y == 0) return zero_division(vm, "float divmod()");
    TupleObj *t = tuple_pack(vm, 2, v_float(float_floordiv(x, y)), v_float(float_mod(x, y)));
    return t ? v_obj(t) : V_UNDEF;
  }
  bool found;
  Value r = call_dunder(vm, a, str_intern_cstr(vm, "__divmod__"), &b, 1, &found);
  if (found && (IS_UNDEF(r) || !IS_NOTIMPL(vm, r))) return r;
  if (obj_type(vm, a) != obj_type(vm, b)) {
    r = call_dunder(vm, b, str_intern_cstr(vm, "__rdivmod__"), &a, 1, &found);
    if (found && (IS_UNDEF(r) || !IS_NOTIMPL(vm, r))) return r;
  }
  return exc_type_error(vm, "unsupported operand type(s) for divmod(): '%s' and '%s'",
                        obj_type_name(vm, a), obj_type_name(vm, b));
}

/* (a * b) mod m for 0 <= a, b < m */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) {
  return (uint64_t)(((unsigned __int128)a * b) % m);
}

/* the inverse of a modulo m (0 <= a < m, m > 1), or false when
** gcd(a, m) != 1 */
static bool mod_inverse(uint64_t a, uint64_t m, uint64_t *out) {
  __int128 old_r = a, r = m, old_s = 1, s = 0;
  while (r != 0) {
    __int128 q = old_r / r, tmp = old_r - q * r;
    old_r = r;
    r = tmp;
    tmp = old_s - q * s;
    old_s = s;
    s = tmp;
  }
  if (old_r != 1) return false;
  __int128 inv = old_s % (__int128)m;
  if (inv < 0) inv += m;
  *out = (uint64_t)inv;
  return true;
}

Value num_pow3(VM *vm, Value b, Value e, Value mod) {
  if (IS_UNDEF(mod) || IS_NONE(mod)) return obj_binop(vm, BIN_POW, b, e);
  if (!IS_INTLIKE(b) || !IS_INTLIKE(e) || !IS_INTLIKE(mod)) {
    if (IS_NUMBER(b) && IS_NUMBER(e) && IS_NUMBER(mod))
      return exc_type_error(vm, "pow() 3rd argument not allowed unless all arguments are integers");
    bool found;
    Value args[2] = {e, mod};
    Value r = call_dunder(vm, b, NAME(vm, __pow__), args, 2, &found);
    if (found && (IS_UNDEF(r) || !IS_NOTIMPL(vm, r))) return r;
    return exc_type_error(vm, "unsupported operand type(s) for pow(): '%s', '%s', '%s'",
                          obj_type_name(vm, b), obj_type_name(vm, e), obj_type_name(vm, mod));
  }
  int64_t base = AS_INTLIKE(b), ex = AS_INTLIKE(e), m = AS_INTLIKE(mod);
  if (m == 0) return exc_value_error(vm, "pow() 3rd argument cannot be 0");
  uint64_t um = m < 0 ? -(uint64_t)m : (uint64_t)m;
  if (um == 1) return v_int(0);
  /* base reduced into [0, |m|) */
  __int128 b128 = (__int128)base % (__int128)um;
  uint64_t x = (uint64_t)(b128 < 0 ? b128 + um : b128);
  uint64_t uex = ex < 0 ? -(uint64_t)ex : (uint64_t)ex;
  if (ex < 0 && !mod_inverse(x, um, &x))
    return exc_value_error(vm, "base is not invertible for the given modulus");
  uint64_t r = 1;
  for (; uex; uex >>= 1) {
    if (uex & 1) r = mulmod(r, x, um);
    x = mulmod(x, x, um);
  }
  /* the result takes the modulus' sign */
  if (m < 0 && r) return v_int((int64_t)((__int128)r - (__int128)um));
  return v_int((int64_t)r);
}
