/* format.h — the format-spec mini-language (format(), f-strings,
** str.format) and printf-style `%` formatting. */
#ifndef WITHY_FORMAT_H
#define WITHY_FORMAT_H

#include "object.h"

/* format(value, spec): ints, floats, strs natively (fill, align, sign, #,
** 0, width, grouping , and _, precision, types b c d o x X n e E f F g G %
** s); other objects call __format__, whose default (object.__format__)
** accepts only an empty spec ("unsupported format string passed to
** X.__format__"). Returns a str value or V_UNDEF. */
Value format_value(VM *vm, Value v, StrObj *spec);
/* str.format(*args, **kwargs) */
Value format_str_method(VM *vm, StrObj *fmt, Value *args, int nargs, TupleObj *kwnames);
/* str.format_map(mapping): fields name keys of `mapping` */
Value format_str_map(VM *vm, StrObj *fmt, Value mapping);
/* `fmt % values` for str */
Value format_percent(VM *vm, StrObj *fmt, Value values);

/* ---- added by the numstr helper ---- */
/* object.__format__(self, spec): str(self) for '', else TypeError
** "unsupported format string passed to X.__format__" */
Value format_object_default(VM *vm, Value self, StrObj *spec);
/* `fmt % values` for bytes */
Value format_percent_bytes(VM *vm, const uint8_t *fmt, size_t len, Value values);

#endif
