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

void num_types_init(VM *vm); /* int, bool, float type objects and their methods */

#endif
