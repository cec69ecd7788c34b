/* names.h — identifiers the core looks up often, interned once at start-up.
** Use NAME(vm, __enter__) to get the StrObj*. Add a name here rather than
** calling str_intern on a hot path. */
#ifndef WITHY_NAMES_H
#define WITHY_NAMES_H

#define WY_NAME_LIST(X) \
  X(__init__) X(__new__) X(__del__) X(__repr__) X(__str__) X(__hash__) \
  X(__eq__) X(__ne__) X(__lt__) X(__le__) X(__gt__) X(__ge__) X(__bool__) \
  X(__len__) X(__iter__) X(__next__) X(__getitem__) X(__setitem__) \
  X(__delitem__) X(__contains__) X(__call__) X(__getattr__) \
  X(__getattribute__) X(__setattr__) X(__delattr__) X(__enter__) X(__exit__) \
  X(__aenter__) X(__aexit__) X(__aiter__) X(__anext__) X(__await__) \
  X(__add__) X(__radd__) X(__iadd__) X(__sub__) X(__rsub__) X(__isub__) \
  X(__mul__) X(__rmul__) X(__imul__) X(__truediv__) X(__rtruediv__) \
  X(__itruediv__) X(__floordiv__) X(__rfloordiv__) X(__ifloordiv__) \
  X(__mod__) X(__rmod__) X(__imod__) X(__pow__) X(__rpow__) X(__ipow__) \
  X(__lshift__) X(__rlshift__) X(__ilshift__) X(__rshift__) X(__rrshift__) \
  X(__irshift__) X(__and__) X(__rand__) X(__iand__) X(__or__) X(__ror__) \
  X(__ior__) X(__xor__) X(__rxor__) X(__ixor__) X(__matmul__) \
  X(__rmatmul__) X(__imatmul__) X(__neg__) X(__pos__) X(__invert__) \
  X(__abs__) X(__int__) X(__float__) X(__index__) X(__format__) \
  X(__name__) X(__qualname__) X(__module__) X(__doc__) X(__dict__) \
  X(__class__) X(__bases__) X(__mro__) X(__file__) X(__builtins__) \
  X(__context__) X(__cause__) X(__suppress_context__) X(__traceback__) \
  X(__reversed__) X(__round__) X(__set_name__) X(__init_subclass__) \
  X(__class_getitem__) X(__missing__) X(__main__) X(__all__) X(__annotations__) \
  X(__get__) X(__set__) X(__delete__) X(__slots__) X(__weakref__) \
  X(args) X(value) X(send) X(throw) X(close) X(keys) X(items) X(values) \
  X(append) X(write) X(flush) X(read) X(readline) X(name) X(self) X(key) \
  X(reverse) X(sep) X(end) X(file) X(default) X(start) X(stop) X(step) \
  X(errno) X(strerror) X(filename) X(code) X(msg) X(lineno) X(offset) X(text)

enum {
#define WY_NAME_ENUM(n) N_##n,
  WY_NAME_LIST(WY_NAME_ENUM)
#undef WY_NAME_ENUM
  N__COUNT
};

/* vm->names is filled by names_init() in str.c */
#define NAME(vm, n) ((vm)->names[N_##n])

#endif
