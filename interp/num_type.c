/* num_type.c — the int, bool and float type objects: constructors
** (int(x, base), bool(x), float(x)), slots (repr, hash, comparison,
** truth), the numeric dunders user code may call explicitly
** ((5).__mod__(3), super().__eq__(other)), and the methods
** (bit_length, to_bytes, is_integer, hex, …). The arithmetic itself is
** num.c's. ints, bools and floats are unboxed Values: these types have no
** instances in the heap and cannot be subclassed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "bytes.h"
#include "dict.h"
#include "exc.h"
#include "format.h"
#include "str.h"
#include "tuple.h"
#include "type.h"
#include "vm.h"
#include "func.h"

/* --------------------------------------------------------------- slots */

static Value int_repr_slot(VM *vm, Value self) {
  StrObj *s = int_to_str(vm, AS_INTLIKE(self));
  return s ? v_obj(s) : V_UNDEF;
}

static Value bool_repr_slot(VM *vm, Value self) {
  bool b = IS_BOOL(self) ? AS_BOOL(self) : AS_INTLIKE(self) != 0;
  StrObj *s = str_intern_cstr(vm, b ? "True" : "False");
  return s ? v_obj(s) : V_UNDEF;
}

static Value float_repr_slot(VM *vm, Value self) {
  StrObj *s = float_repr(vm, AS_FLOAT(self));
  return s ? v_obj(s) : V_UNDEF;
}

static int num_hash_slot(VM *vm, Value self, int64_t *out) {
  (void)vm;
  return num_hash(self, out);
}

static Value num_richcmp_slot(VM *vm, Value a, Value b, int op) { return num_richcmp(vm, a, b, (CmpOp)op); }

static int num_truth(VM *vm, Value self) {
  (void)vm;
  if (IS_FLOAT(self)) return AS_FLOAT(self) != 0;
  return AS_INTLIKE(self) != 0;
}

/* -------------------------------------------------------- constructors */

static Value call_conversion(VM *vm, Value x, StrObj *name, bool *found) {
  Value m = type_lookup(vm, obj_type(vm, x), name);
  *found = !IS_UNDEF(m);
  if (!*found) return V_UNDEF;
  return obj_call1(vm, m, x);
}

/* int(x) without a base */
static Value int_from_value(VM *vm, Value x) {
  if (IS_INTLIKE(x)) return v_int(AS_INTLIKE(x));
  if (IS_FLOAT(x)) return float_to_int(vm, AS_FLOAT(x));
  if (IS_STR(x)) return int_parse_text(vm, AS_STR(x)->data, (size_t)AS_STR(x)->len, 10, x);
  if (IS_BYTES(x)) return int_parse_text(vm, (const char *)AS_BYTES(x)->data, (size_t)AS_BYTES(x)->len, 10, x);
  bool found;
  Value r = call_conversion(vm, x, NAME(vm, __int__), &found);
  if (found) {
    if (IS_UNDEF(r)) return V_UNDEF;
    if (!IS_INTLIKE(r)) return exc_type_error(vm, "__int__ returned non-int (type %s)", obj_type_name(vm, r));
    return v_int(AS_INTLIKE(r));
  }
  if (!IS_UNDEF(type_lookup(vm, obj_type(vm, x), NAME(vm, __index__)))) {
    int64_t i;
    if (num_as_index(vm, x, &i) < 0) return V_UNDEF;
    return v_int(i);
  }
  r = call_conversion(vm, x, str_intern_cstr(vm, "__trunc__"), &found);
  if (found) {
    if (IS_UNDEF(r)) return V_UNDEF;
    if (!IS_INTLIKE(r)) return exc_type_error(vm, "__trunc__ returned non-Integral (type %s)", obj_type_name(vm, r));
    return v_int(AS_INTLIKE(r));
  }
  return exc_type_error(vm, "int() argument must be a string, a bytes-like object or a real number, not '%s'",
                        obj_type_name(vm, x));
}

static Value int_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  (void)type;
  Value x = nargs > 0 ? args[0] : V_UNDEF, base = nargs > 1 ? args[1] : V_UNDEF;
  int nkw = kwnames ? (int)kwnames->len : 0;
  if (nargs + nkw > 2) return exc_type_error(vm, "int() takes at most 2 arguments (%d given)", nargs + nkw);
  for (int k = 0; k < nkw; k++) {
    StrObj *name = AS_STR(kwnames->items[k]);
    if (strcmp(name->data, "base") != 0 || nargs > 1)
      return exc_type_error(vm, strcmp(name->data, "base") == 0
                                    ? "argument for int() given by name ('base') and position (2)"
                                    : "'%s' is an invalid keyword argument for int()",
                            name->data);
    base = args[nargs + k];
  }
  if (IS_UNDEF(x)) {
    if (!IS_UNDEF(base)) return exc_type_error(vm, "int() missing string argument");
    return v_int(0);
  }
  if (IS_UNDEF(base)) return int_from_value(vm, x);
  int64_t b;
  if (num_as_index(vm, base, &b) < 0) return V_UNDEF;
  if (b != 0 && (b < 2 || b > 36)) return exc_value_error(vm, "int() base must be >= 2 and <= 36, or 0");
  if (IS_STR(x)) return int_parse_text(vm, AS_STR(x)->data, (size_t)AS_STR(x)->len, (int)b, x);
  if (IS_BYTES(x))
    return int_parse_text(vm, (const char *)AS_BYTES(x)->data, (size_t)AS_BYTES(x)->len, (int)b, x);
  return exc_type_error(vm, "int() can't convert non-string with explicit base");
}

static Value bool_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  (void)type;
  if (kwnames && kwnames->len) return exc_type_error(vm, "bool() takes no keyword arguments");
  if (nargs > 1) return exc_type_error(vm, "bool expected at most 1 argument, got %d", nargs);
  if (nargs == 0) return V_FALSE;
  int t = obj_truthy(vm, args[0]);
  return t < 0 ? V_UNDEF : v_bool(t);
}

static Value float_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  (void)type;
  if (kwnames && kwnames->len) return exc_type_error(vm, "float() takes no keyword arguments");
  if (nargs > 1) return exc_type_error(vm, "float expected at most 1 argument, got %d", nargs);
  if (nargs == 0) return v_float(0.0);
  Value x = args[0];
  if (IS_FLOAT(x)) return x;
  if (IS_INTLIKE(x)) return v_float((double)AS_INTLIKE(x));
  if (IS_STR(x)) return float_parse_text(vm, AS_STR(x)->data, (size_t)AS_STR(x)->len, x);
  if (IS_BYTES(x)) return float_parse_text(vm, (const char *)AS_BYTES(x)->data, (size_t)AS_BYTES(x)->len, x);
  Type *t = obj_type(vm, x);
  if (IS_UNDEF(type_lookup(vm, t, NAME(vm, __float__))) && IS_UNDEF(type_lookup(vm, t, NAME(vm, __index__))))
    return exc_type_error(vm, "float() argument must be a string or a real number, not '%s'", obj_type_name(vm, x));
  double d;
  if (num_as_double(vm, x, &d) < 0) return V_UNDEF;
  return v_float(d);
}

/* ------------------------------------------------------ dunder wrappers */

/* which operand types a type's dunders accept */
enum { OWNER_INT, OWNER_BOOL, OWNER_FLOAT };

static const char *const owner_name[] = {"int", "bool", "float"};

static bool self_ok(int owner, Value v) {
  if (owner == OWNER_FLOAT) return IS_FLOAT(v);
  if (owner == OWNER_BOOL) return IS_BOOL(v);
  return IS_INTLIKE(v);
}

static bool other_ok(int owner, Value v) { return owner == OWNER_FLOAT ? IS_NUMBER(v) : IS_INTLIKE(v); }

static Value descr_error(VM *vm, const char *name, int owner, Value self) {
  return exc_type_error(vm, "descriptor '%s' requires a '%s' object but received a '%s'", name,
                        owner_name[owner], obj_type_name(vm, self));
}

static Value arg_count_error(VM *vm, int want, int got) {
  return exc_type_error(vm, "expected %d argument%s, got %d", want, want == 1 ? "" : "s", got);
}

/* native data of an arithmetic dunder: op | reflected << 8 | owner << 9 */
#define DUNDER_DATA(op, refl, owner) ((op) | ((refl) << 8) | ((owner) << 9))
enum { OP_DIVMOD = 64 };

static const char *const binop_dunder[][2] = {
  [BIN_ADD] = {"__add__", "__radd__"}, [BIN_SUB] = {"__sub__", "__rsub__"},
  [BIN_MUL] = {"__mul__", "__rmul__"}, [BIN_TRUEDIV] = {"__truediv__", "__rtruediv__"},
  [BIN_FLOORDIV] = {"__floordiv__", "__rfloordiv__"}, [BIN_MOD] = {"__mod__", "__rmod__"},
  [BIN_POW] = {"__pow__", "__rpow__"}, [BIN_LSHIFT] = {"__lshift__", "__rlshift__"},
  [BIN_RSHIFT] = {"__rshift__", "__rrshift__"}, [BIN_AND] = {"__and__", "__rand__"},
  [BIN_OR] = {"__or__", "__ror__"}, [BIN_XOR] = {"__xor__", "__rxor__"},
};

static Value d_binop(VM *vm, Value *args, int nargs, TupleObj *kw) {
  int d = (int)AS_INT(native_data(vm));
  int op = d & 0xff, refl = (d >> 8) & 1, owner = d >> 9;
  const char *name = op == OP_DIVMOD ? (refl ? "__rdivmod__" : "__divmod__") : binop_dunder[op][refl];
  if (nargs < 1 || !self_ok(owner, args[0])) return descr_error(vm, name, owner, nargs ? args[0] : V_NONE);
  if (kw && kw->len) return exc_type_error(vm, "%s() takes no keyword arguments", name);
  bool ternary = op == BIN_POW && !refl;
  if (nargs < 2 || nargs > (ternary ? 3 : 2)) return arg_count_error(vm, 1, nargs - 1);
  Value a = args[0], b = args[1];
  if (!other_ok(owner, b)) return v_obj(vm->not_implemented);
  if (refl) {
    Value t = a;
    a = b;
    b = t;
  }
  Value r;
  if (op == OP_DIVMOD) r = num_divmod(vm, a, b);
  else if (ternary && nargs == 3 && !IS_NONE(args[2])) r = num_pow3(vm, a, b, args[2]);
  else r = num_binop(vm, op, a, b);
  /* int.__and__(True, True) is 1: only bool's own dunders keep bools */
  if (owner == OWNER_INT && IS_BOOL(r)) r = v_int(AS_BOOL(r));
  return r;
}

static const char *const cmp_dunder[] = {"__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"};

static Value d_richcmp(VM *vm, Value *args, int nargs, TupleObj *kw) {
  int d = (int)AS_INT(native_data(vm));
  int op = d & 0xff, owner = d >> 9;
  if (nargs < 1 || !self_ok(owner, args[0]))
    return descr_error(vm, cmp_dunder[op], owner, nargs ? args[0] : V_NONE);
  if (nargs != 2 || (kw && kw->len)) return arg_count_error(vm, 1, nargs - 1);
  if (!other_ok(owner, args[1])) return v_obj(vm->not_implemented);
  return num_richcmp(vm, args[0], args[1], (CmpOp)op);
}

enum {
  U_NEG, U_POS, U_INVERT, U_ABS, U_BOOL, U_INT, U_FLOAT, U_INDEX, U_HASH, U_REPR,
  U_TRUNC, U_FLOOR, U_CEIL, U_CONJUGATE, U_COUNT
};

static const char *const unary_dunder[U_COUNT] = {
  "__neg__", "__pos__", "__invert__", "__abs__", "__bool__", "__int__", "__float__",
  "__index__", "__hash__", "__repr__", "__trunc__", "__floor__", "__ceil__", "conjugate"};

static Value d_unary(VM *vm, Value *args, int nargs, TupleObj *kw) {
  int d = (int)AS_INT(native_data(vm));
  int which = d & 0xff, owner = d >> 9;
  if (nargs < 1 || !self_ok(owner, args[0]))
    return descr_error(vm, unary_dunder[which], owner, nargs ? args[0] : V_NONE);
  if (nargs != 1 || (kw && kw->len))
    return exc_type_error(vm, "%s.%s() takes no arguments (%d given)", owner_name[owner], unary_dunder[which],
                          nargs - 1);
  Value v = args[0];
  switch (which) {
    case U_NEG: return num_unaryop(vm, UN_NEG, v);
    case U_POS: return num_unaryop(vm, UN_POS, v);
    case U_INVERT: return num_unaryop(vm, UN_INVERT, v);
    case U_ABS: return num_abs(vm, v);
    case U_BOOL: return v_bool(num_truth(vm, v));
    case U_INT: case U_INDEX: case U_TRUNC:
      return IS_FLOAT(v) ? float_to_int(vm, AS_FLOAT(v)) : v_int(AS_INTLIKE(v));
    case U_FLOOR: return IS_FLOAT(v) ? float_to_int(vm, floor(AS_FLOAT(v))) : v_int(AS_INTLIKE(v));
    case U_CEIL: return IS_FLOAT(v) ? float_to_int(vm, ceil(AS_FLOAT(v))) : v_int(AS_INTLIKE(v));
    case U_FLOAT: return IS_FLOAT(v) ? v : v_float((double)AS_INTLIKE(v));
    case U_HASH: {
      int64_t h;
      num_hash(v, &h);
      return v_int(h);
    }
    case U_REPR:
      return IS_FLOAT(v) ? float_repr_slot(vm, v) : IS_BOOL(v) ? bool_repr_slot(vm, v) : int_repr_slot(vm, v);
    default: /* conjugate */
      return IS_BOOL(v) ? v_int(AS_BOOL(v)) : v;
  }
}

static Value d_round(VM *vm, Value *args, int nargs, TupleObj *kw) {
  int owner = (int)AS_INT(native_data(vm)) >> 9;
  if (nargs < 1 || !self_ok(owner, args[0])) return descr_error(vm, "__round__", owner, nargs ? args[0] : V_NONE);
  if (kw && kw->len) return exc_type_error(vm, "__round__() takes no keyword arguments");
  if (nargs > 2) return exc_type_error(vm, "__round__ expected at most 1 argument, got %d", nargs - 1);
  return num_round(vm, args[0], nargs > 1 ? args[1] : V_UNDEF);
}

static Value d_format(VM *vm, Value *args, int nargs, TupleObj *kw) {
  int owner = (int)AS_INT(native_data(vm)) >> 9;
  if (nargs < 1 || !self_ok(owner, args[0])) return descr_error(vm, "__format__", owner, nargs ? args[0] : V_NONE);
  if (nargs != 2 || (kw && kw->len)) return arg_count_error(vm, 1, nargs - 1);
  if (!IS_STR(args[1]))
    return exc_type_error(vm, "__format__() argument must be str, not %s", obj_type_name(vm, args[1]));
  return format_value(vm, args[0], AS_STR(args[1]));
}

/* ------------------------------------------------------------- methods */

static Value m_bit_length(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (nargs < 1 || !IS_INTLIKE(args[0])) return descr_error(vm, "bit_length", OWNER_INT, nargs ? args[0] : V_NONE);
  if (nargs != 1 || (kw && kw->len))
    return exc_type_error(vm, "int.bit_length() takes no arguments (%d given)", nargs - 1);
  int64_t i = AS_INTLIKE(args[0]);
  uint64_t mag = i < 0 ? -(uint64_t)i : (uint64_t)i;
  return v_int(mag ? 64 - __builtin_clzll(mag) : 0);
}

static Value m_bit_count(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (nargs < 1 || !IS_INTLIKE(args[0])) return descr_error(vm, "bit_count", OWNER_INT, nargs ? args[0] : V_NONE);
  if (nargs != 1 || (kw && kw->len))
    return exc_type_error(vm, "int.bit_count() takes no arguments (%d given)", nargs - 1);
  int64_t i = AS_INTLIKE(args[0]);
  uint64_t mag = i < 0 ? -(uint64_t)i : (uint64_t)i;
  return v_int(__builtin_popcountll(mag));
}

static Value int_ratio(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (nargs < 1 || !IS_INTLIKE(args[0]))
    return descr_error(vm, "as_integer_ratio", OWNER_INT, nargs ? args[0] : V_NONE);
  if (nargs != 1 || (kw && kw->len))
    return exc_type_error(vm, "int.as_integer_ratio() takes no arguments (%d given)", nargs - 1);
  TupleObj *t = tuple_pack(vm, 2, v_int(AS_INTLIKE(args[0])), v_int(1));
  return t ? v_obj(t) : V_UNDEF;
}

/* byteorder argument: true for 'little' */
static int byteorder_arg(VM *vm, Value v, bool *little) {
  if (IS_UNDEF(v)) {
    *little = false;
    return 0;
  }
  if (!IS_STR(v)) {
    exc_type_error(vm, "to_bytes() argument 'byteorder' must be str, not %s", obj_type_name(vm, v));
    return -1;
  }
  const char *s = AS_STR(v)->data;
  if (strcmp(s, "little") == 0) *little = true;
  else if (strcmp(s, "big") == 0) *little = false;
  else {
    exc_value_error(vm, "byteorder must be either 'little' or 'big'");
    return -1;
  }
  return 0;
}

static Value m_to_bytes(VM *vm, Value *args, int nargs, TupleObj *kw) {
  static const char *const names[] = {"self", "length", "byteorder", "signed", NULL};
  Value a[4];
  if (nargs < 1 || !IS_INTLIKE(args[0])) return descr_error(vm, "to_bytes", OWNER_INT, nargs ? args[0] : V_NONE);
  if (arg_parse(vm, "to_bytes", args, nargs, kw, names, 1, a) < 0) return V_UNDEF;
  int64_t length = 1;
  if (!IS_UNDEF(a[1]) && num_as_index(vm, a[1], &length) < 0) return V_UNDEF;
  if (length < 0) return exc_value_error(vm, "length argument must be non-negative");
  bool little, sign = false;
  if (byteorder_arg(vm, a[2], &little) < 0) return V_UNDEF;
  if (!IS_UNDEF(a[3])) {
    int t = obj_truthy(vm, a[3]);
    if (t < 0) return V_UNDEF;
    sign = t;
  }
  int64_t x = AS_INTLIKE(args[0]);
  if (x < 0 && !sign) return exc_raise(vm, EXC(vm, OverflowError), "can't convert negative int to unsigned");
  /* does x fit in `length` bytes? */
  if (length < 8) {
    int64_t bits = length * 8;
    bool fits = sign ? (bits == 0 ? x == 0 : x >= -((int64_t)1 << (bits - 1)) && x < ((int64_t)1 << (bits - 1)))
                     : (bits == 0 ? x == 0 : (uint64_t)x < ((uint64_t)1 << bits));
    if (!fits) return exc_raise(vm, EXC(vm, OverflowError), "int too big to convert");
  }
  if (length > (int64_t)1 << 40) return exc_no_memory(vm);
  uint8_t *buf = calloc((size_t)length + 1, 1);
  if (!buf) return exc_no_memory(vm);
  uint64_t u = (uint64_t)x;
  for (int64_t k = 0; k < length; k++) {
    uint8_t byte = k < 8 ? (uint8_t)(u >> (8 * k)) : (x < 0 ? 0xFF : 0);
    buf[little ? k : length - 1 - k] = byte;
  }
  BytesObj *b = bytes_new(vm, buf, (size_t)length);
  free(buf);
  return b ? v_obj(b) : V_UNDEF;
}

static Value m_from_bytes(VM *vm, Value *args, int nargs, TupleObj *kw) {
  static const char *const names[] = {"cls", "bytes", "byteorder", "signed", NULL};
  Value a[4];
  if (arg_parse(vm, "from_bytes", args, nargs, kw, names, 2, a) < 0) return V_UNDEF;
  bool little, sign = false;
  if (byteorder_arg(vm, a[2], &little) < 0) return V_UNDEF;
  if (!IS_UNDEF(a[3])) {
    int t = obj_truthy(vm, a[3]);
    if (t < 0) return V_UNDEF;
    sign = t;
  }
  Value src = a[1];
  if (!IS_BYTES(src)) {
    Value args1[1] = {src};
    src = obj_call(vm, v_obj(vm->t_bytes), args1, 1, NULL);
    if (IS_UNDEF(src)) return V_UNDEF;
  }
  BytesObj *b = AS_BYTES(src);
  int64_t n = b->len;
  uint64_t acc = 0;
  bool neg = sign && n > 0 && (b->data[little ? n - 1 : 0] & 0x80);
  for (int64_t k = 0; k < n; k++) {
    uint8_t byte = b->data[little ? n - 1 - k : k]; /* most significant first */
    if (k < n - 8) {
      /* bytes beyond the low 8 must be sign fill */
      if (byte != (neg ? 0xFF : 0x00)) return int_overflow_error(vm);
      continue;
    }
    acc = (acc << 8) | byte;
  }
  if (neg && n < 8) acc |= ~(uint64_t)0 << (8 * n);
  if (!neg && acc > (uint64_t)INT64_MAX) return int_overflow_error(vm);
  if (neg && !((int64_t)acc < 0)) return int_overflow_error(vm);
  return v_int((int64_t)acc);
}

static Value m_is_integer(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (nargs < 1 || !IS_FLOAT(args[0])) return descr_error(vm, "is_integer", OWNER_FLOAT, nargs ? args[0] : V_NONE);
  if (nargs != 1 || (kw && kw->len))
    return exc_type_error(vm, "float.is_integer() takes no arguments (%d given)", nargs - 1);
  double d = AS_FLOAT(args[0]);
  return v_bool(isfinite(d) && d == floor(d));
}

static Value float_ratio(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (nargs < 1 || !IS_FLOAT(args[0]))
    return descr_error(vm, "as_integer_ratio", OWNER_FLOAT, nargs ? args[0] : V_NONE);
  if (nargs != 1 || (kw && kw->len))
    return exc_type_error(vm, "float.as_integer_ratio() takes no arguments (%d given)", nargs - 1);
  double d = AS_FLOAT(args[0]);
  if (isinf(d)) return exc_raise(vm, EXC(vm, OverflowError), "cannot convert Infinity to integer ratio");
  if (isnan(d)) return exc_value_error(vm, "cannot convert NaN to integer ratio");
  int e;
  double m = frexp(d, &e);
  /* scale the mantissa to an integer */
  for (int k = 0; k < 300 && m != floor(m); k++) {
    m *= 2.0;
    e--;
  }
  if (fabs(m) >= 9223372036854775808.0) return int_overflow_error(vm);
  int64_t num = (int64_t)m, den = 1;
  if (e > 0) {
    if (e >= 63 || (num != 0 && llabs(num) > (INT64_MAX >> e))) return int_overflow_error(vm);
    num <<= e;
  } else if (e < 0) {
    if (-e >= 63) return int_overflow_error(vm);
    den = (int64_t)1 << -e;
  }
  TupleObj *t = tuple_pack(vm, 2, v_int(num), v_int(den));
  return t ? v_obj(t) : V_UNDEF;
}

static Value m_float_hex(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (nargs < 1 || !IS_FLOAT(args[0])) return descr_error(vm, "hex", OWNER_FLOAT, nargs ? args[0] : V_NONE);
  if (nargs != 1 || (kw && kw->len)) return exc_type_error(vm, "float.hex() takes no arguments (%d given)", nargs - 1);
  double d = AS_FLOAT(args[0]);
  char buf[64];
  if (isnan(d) || isinf(d)) {
    snprintf(buf, sizeof buf, "%s", isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
  } else if (d == 0) {
    snprintf(buf, sizeof buf, "%s0x0.0p+0", signbit(d) ? "-" : "");
  } else {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    int exp = (int)((bits >> 52) & 0x7FF);
    uint64_t frac = bits & (((uint64_t)1 << 52) - 1);
    int lead = exp ? 1 : 0;
    int e = exp ? exp - 1023 : -1022;
    snprintf(buf, sizeof buf, "%s0x%d.%013llxp%+d", signbit(d) ? "-" : "", lead, (unsigned long long)frac, e);
  }
  StrObj *s = str_new(vm, buf, strlen(buf));
  return s ? v_obj(s) : V_UNDEF;
}

static Value m_float_fromhex(VM *vm, Value *args, int nargs, TupleObj *kw) {
  if (kw && kw->len) return exc_type_error(vm, "float.fromhex() takes no keyword arguments");
  if (nargs != 2) return exc_type_error(vm, "float.fromhex() takes exactly one argument (%d given)", nargs - 1);
  if (!IS_STR(args[1]))
    return exc_type_error(vm, "fromhex() argument must be str, not %s", obj_type_name(vm, args[1]));
  StrObj *s = AS_STR(args[1]);
  const char *p = s->data;
  while (*p == ' ' || (*p >= 9 && *p <= 13)) p++;
  char buf[128];
  size_t n = 0;
  if (*p == '+' || *p == '-') buf[n++] = *p++;
  bool word = (p[0] | 0x20) == 'i' || (p[0] | 0x20) == 'n';
  if (!word && !(p[0] == '0' && (p[1] | 0x20) == 'x')) {
    buf[n++] = '0';
    buf[n++] = 'x';
  }
  size_t rest = strlen(p);
  if (n + rest >= sizeof buf) return exc_value_error(vm, "invalid hexadecimal floating-point string");
  memcpy(buf + n, p, rest + 1);
  char *end;
  double d = strtod(buf, &end);
  while (*end == ' ' || (*end >= 9 && *end <= 13)) end++;
  if (*end || end == buf) return exc_value_error(vm, "invalid hexadecimal floating-point string");
  if (isinf(d) && !word)
    return exc_raise(vm, EXC(vm, OverflowError), "hexadecimal value too large to represent as a float");
  return v_float(d);
}

/* the read-only attributes real, imag, numerator, denominator */
static Value p_number_attr(VM *vm, Value *args, int nargs, TupleObj *kw) {
  int which = (int)AS_INT(native_data(vm));
  if (nargs != 1 || (kw && kw->len) || !IS_NUMBER(args[0])) return exc_type_error(vm, "bad property call");
  Value v = args[0];
  switch (which) {
    case 0: return IS_FLOAT(v) ? v : v_int(AS_INTLIKE(v));          /* real */
    case 1: return IS_FLOAT(v) ? v_float(0.0) : v_int(0);           /* imag */
    case 2: return v_int(AS_INTLIKE(v));                            /* numerator */
    default: return v_int(1);                                       /* denominator */
  }
}

static void def_property(VM *vm, Type *t, const char *name, int which) {
  NativeObj *getter = native_new(vm, name, p_number_attr, 0);
  if (!getter) return;
  getter->data = v_int(which);
  Value g = v_obj(getter);
  Value prop = obj_call(vm, v_obj(vm->t_property), &g, 1, NULL);
  if (IS_UNDEF(prop)) {
    exc_clear(vm);
    return;
  }
  dict_set_cstr(vm, t->dict, name, prop);
}

/* ---------------------------------------------------------------- init */

static void def_dunder(VM *vm, Type *t, const char *name, NativeFn fn, int data) {
  NativeObj *n = define_native(vm, t->dict, name, fn, NATIVE_METHOD);
  if (n) n->data = v_int(data);
}

static void def_arith(VM *vm, Type *t, int owner) {
  static const int int_ops[] = {BIN_ADD, BIN_SUB, BIN_MUL, BIN_TRUEDIV, BIN_FLOORDIV, BIN_MOD, BIN_POW,
                                BIN_LSHIFT, BIN_RSHIFT, BIN_AND, BIN_OR, BIN_XOR};
  int nops = owner == OWNER_FLOAT ? 7 : 12;
  for (int k = 0; k < nops; k++)
    for (int refl = 0; refl < 2; refl++)
      def_dunder(vm, t, binop_dunder[int_ops[k]][refl], d_binop, DUNDER_DATA(int_ops[k], refl, owner));
  def_dunder(vm, t, "__divmod__", d_binop, DUNDER_DATA(OP_DIVMOD, 0, owner));
  def_dunder(vm, t, "__rdivmod__", d_binop, DUNDER_DATA(OP_DIVMOD, 1, owner));
  for (int op = CMP_LT; op <= CMP_GE; op++) def_dunder(vm, t, cmp_dunder[op], d_richcmp, DUNDER_DATA(op, 0, owner));
  for (int u = 0; u < U_COUNT; u++) {
    if (owner == OWNER_FLOAT && (u == U_INVERT || u == U_INDEX)) continue;
    def_dunder(vm, t, unary_dunder[u], d_unary, DUNDER_DATA(u, 0, owner));
  }
  def_dunder(vm, t, "__round__", d_round, DUNDER_DATA(0, 0, owner));
  def_dunder(vm, t, "__format__", d_format, DUNDER_DATA(0, 0, owner));
}

void num_types_init(VM *vm) {
  Type *ti = type_new_builtin(vm, "int", NULL, K_INSTANCE, 0);
  vm->t_int = ti;
  ti->repr = int_repr_slot;
  ti->hash = num_hash_slot;
  ti->richcmp = num_richcmp_slot;
  ti->truth = num_truth;
  ti->construct = int_construct;
  def_arith(vm, ti, OWNER_INT);
  define_builtin_new(vm, ti);
  define_native(vm, ti->dict, "bit_length", m_bit_length, NATIVE_METHOD);
  define_native(vm, ti->dict, "bit_count", m_bit_count, NATIVE_METHOD);
  define_native(vm, ti->dict, "as_integer_ratio", int_ratio, NATIVE_METHOD);
  define_native(vm, ti->dict, "to_bytes", m_to_bytes, NATIVE_METHOD);
  define_native(vm, ti->dict, "from_bytes", m_from_bytes, NATIVE_CLASS);
  def_property(vm, ti, "real", 0);
  def_property(vm, ti, "imag", 1);
  def_property(vm, ti, "numerator", 2);
  def_property(vm, ti, "denominator", 3);

  Type *tb = type_new_builtin(vm, "bool", ti, K_INSTANCE, 0);
  vm->t_bool = tb;
  tb->repr = bool_repr_slot;
  tb->hash = num_hash_slot;
  tb->richcmp = num_richcmp_slot;
  tb->truth = num_truth;
  tb->construct = bool_construct;
  define_builtin_new(vm, tb);
  def_dunder(vm, tb, "__repr__", d_unary, DUNDER_DATA(U_REPR, 0, OWNER_BOOL));
  static const int bool_ops[] = {BIN_AND, BIN_OR, BIN_XOR};
  for (int k = 0; k < 3; k++)
    for (int refl = 0; refl < 2; refl++)
      /* bool & bool is a bool; with an int, int's answer */
      def_dunder(vm, tb, binop_dunder[bool_ops[k]][refl], d_binop, DUNDER_DATA(bool_ops[k], refl, OWNER_BOOL));

  Type *tf = type_new_builtin(vm, "float", NULL, K_INSTANCE, 0);
  vm->t_float = tf;
  tf->repr = float_repr_slot;
  tf->hash = num_hash_slot;
  tf->richcmp = num_richcmp_slot;
  tf->truth = num_truth;
  tf->construct = float_construct;
  def_arith(vm, tf, OWNER_FLOAT);
  define_builtin_new(vm, tf);
  define_native(vm, tf->dict, "is_integer", m_is_integer, NATIVE_METHOD);
  define_native(vm, tf->dict, "as_integer_ratio", float_ratio, NATIVE_METHOD);
  define_native(vm, tf->dict, "hex", m_float_hex, NATIVE_METHOD);
  define_native(vm, tf->dict, "fromhex", m_float_fromhex, NATIVE_CLASS);
  def_property(vm, tf, "real", 0);
  def_property(vm, tf, "imag", 1);
}
