/* num.h — int (64-bit, unboxed), bool and float arithmetic and conversion. */
#ifndef WITHY_NUM_H
#define WITHY_NUM_H

#include "object.h"

/* Arithmetic on numbers (int, bool, float). Returns vm->not_implemented
** when an operand is not a number (so obj_binop can try the other side).
** Raises OverflowError on int64 overflow, ZeroDivisionError, etc. */
Value num_binop(VM *vm, int op, Value a, Value b);
Value num_unaryop(VM *vm, UnaryOp op, Value v);
/* comparisons between numbers; vm->not_implemented when not both numbers */
Value num_richcmp(VM *vm, Value a, Value b, CmpOp op);
int num_hash(Value v, int64_t *out);   /* hash(1) == hash(1.0) == hash(True) */

/* Python-exact text forms */
StrObj *int_to_str(VM *vm, int64_t i);
/* float repr: shortest string that round-trips (repr(0.1) == '0.1', '1e+16', 'inf', 'nan') */
void float_repr_buf(double f, char *buf, size_t size);
StrObj *float_repr(VM *vm, double f);
/* int(str, base) / float(str): raises ValueError with Python's message */
Value int_from_str(VM *vm, const char *s, size_t len, int base);
Value float_from_str(VM *vm, const char *s, size_t len);

/* conversions used by builtins: __index__ semantics (bool/int) */
int num_as_index(VM *vm, Value v, int64_t *out); /* TypeError "'X' object cannot be interpreted as an integer" */
int num_as_double(VM *vm, Value v, double *out); /* int/bool/float, else TypeError */

/* ---- added by the numstr helper ---- */

/* the one OverflowError message for every int64 overflow */
#define INT_OVERFLOW_MSG "integer overflow: withy ints are 64-bit"
Value int_overflow_error(VM *vm);   /* raises it; returns V_UNDEF */

/* builtins' abs(), round(x[, ndigits]) (ndigits V_UNDEF or None when
** absent), divmod(), pow(b, e, mod) (mod V_UNDEF or None: plain **);
** numbers natively, other objects through their dunders */
Value num_abs(VM *vm, Value x);
Value num_round(VM *vm, Value x, Value ndigits);
Value num_divmod(VM *vm, Value a, Value b);
Value num_pow3(VM *vm, Value b, Value e, Value mod);
/* bin()/oct()/hex(): base 2, 8 or 16 with its prefix: '0b101', '-0x1f' */
Value int_to_base(VM *vm, int64_t i, int base);
/* int64 to decimal text into buf (>= 21 bytes); returns the length */
size_t int_to_cbuf(int64_t i, char *buf);

/* float text (float_repr.c). type: 'r' (repr: shortest round-trip,
** prec ignored), 'e' 'E' 'f' 'F' (C-like, prec digits after the point),
** 'g' 'G' (Python's general format). The sign is written when x is
** negative (-0.0 included); inf/nan as 'inf'/'nan' ('INF'/'NAN' for
** upper-case types). */
enum { FLT_ALT = 1 << 0,       /* '#': keep trailing zeros / the point */
       FLT_ADD_DOT_0 = 1 << 1  /* format()'s no-letter type: 'g' that keeps a '.0' */ };
struct SBuf;
void float_to_text(struct SBuf *b, double x, char type, int prec, int flags);
/* round(x, ndigits) correctly rounded; false when the result overflows */
bool float_round_digits(double x, int64_t ndigits, double *out);
/* int()/float() parsing of text whose repr for the ValueError is
** `shown` (a str or a bytes value) */
Value int_parse_text(VM *vm, const char *s, size_t len, int base, Value shown);
Value float_parse_text(VM *vm, const char *s, size_t len, Value shown);
/* int(float): truncates; ValueError for NaN, OverflowError for inf and
** for values beyond int64 */
Value float_to_int(VM *vm, double d);
/* Python's hash of a double (equal to the int hash for integral values) */
int64_t float_hash(double f);

void num_types_init(VM *vm); /* int, bool, float type objects and their methods */

#endif
