/* func.h — Python functions (closures), C functions, bound methods,
** cells, and the three descriptor kinds withy supports: property,
** staticmethod, classmethod. */
#ifndef WITHY_FUNC_H
#define WITHY_FUNC_H

#include "object.h"
#include "code.h"

typedef struct CellObj {
  Obj obj;
  Value value;        /* V_UNDEF when empty */
} CellObj;

struct FuncObj {
  Obj obj;
  CodeObj *code;
  DictObj *globals;
  TupleObj *defaults;     /* for the last len(defaults) positional params, or NULL */
  DictObj *kwdefaults;    /* keyword-only defaults, or NULL */
  TupleObj *closure;      /* CellObj* for code->freenames, or NULL */
  StrObj *name;           /* __name__ (assignable) */
  StrObj *qualname;       /* __qualname__ */
  Value module;           /* __module__ */
  Value doc;              /* __doc__ */
  DictObj *dict;          /* function attributes (f.x = 1), created lazily */
  /* the VM's inline call path, computed from code whenever it is set:
  ** fast_argc is the number of arguments a call must pass to skip
  ** argument binding (plain positional parameters, no cells, not a
  ** generator), or -1; fast_size the frame's slot count */
  int32_t fast_argc;
  uint32_t fast_size;
};

enum {
  NATIVE_METHOD = 1 << 0,   /* lives in a type dict: binds self like a function */
  NATIVE_STATIC = 1 << 1,   /* in a type dict, but never binds */
  NATIVE_CLASS = 1 << 2,    /* binds the type (classmethod) */
  /* resumes a generator given as args[0]: the VM's CALL runs the frame in
  ** its own loop instead of calling the function (see gen_inline_enter) */
  NATIVE_GEN_SEND = 1 << 3,  /* send(g, v) */
  NATIVE_GEN_NEXT = 1 << 4,  /* next(g), g.__next__() */
  NATIVE_GEN_THROW = 1 << 5, /* throw(g, typ[, val[, tb]]) */
  NATIVE_GEN_RESUME = NATIVE_GEN_SEND | NATIVE_GEN_NEXT | NATIVE_GEN_THROW
};

typedef struct NativeObj {
  Obj obj;
  const char *name;        /* static C string */
  NativeFn fn;
  Value self;              /* bound receiver, prepended as args[0]; V_UNDEF if unbound */
  Type *owner;             /* the type it was defined on (for repr / checks), or NULL */
  Value data;              /* per-function value for C closures (see native_data) */
  const char *doc;
  int flags;               /* NATIVE_* */
} NativeObj;

typedef struct BoundObj {
  Obj obj;
  Value func;              /* a FuncObj (or any callable) */
  Value self;
} BoundObj;

typedef struct PropertyObj {
  Obj obj;
  Value fget, fset, fdel, doc;  /* None when absent */
} PropertyObj;

typedef struct WrapperObj { /* staticmethod / classmethod */
  Obj obj;
  Value func;
} WrapperObj;

#define IS_FUNC(v) IS_KIND(v, K_FUNC)
#define AS_FUNC(v) ((FuncObj *)AS_OBJ(v))
#define IS_NATIVE(v) IS_KIND(v, K_NATIVE)
#define AS_NATIVE(v) ((NativeObj *)AS_OBJ(v))
#define IS_BOUND(v) IS_KIND(v, K_BOUND)
#define AS_BOUND(v) ((BoundObj *)AS_OBJ(v))
#define IS_CELL(v) IS_KIND(v, K_CELL)
#define AS_CELL(v) ((CellObj *)AS_OBJ(v))

FuncObj *func_new(VM *vm, CodeObj *code, DictObj *globals);
/* recompute fast_argc / fast_size after f->code changed */
void func_set_fastcall(FuncObj *f);
NativeObj *native_new(VM *vm, const char *name, NativeFn fn, int flags);
/* the function currently running natively, to reach its data: pass args' callee? —
** C closures read their data with native_data(vm), valid during the call */
Value native_data(VM *vm);
BoundObj *bound_new(VM *vm, Value func, Value self);
CellObj *cell_new(VM *vm, Value v);

/* define a C method/function in a dict (type dict or module dict) */
NativeObj *define_native(VM *vm, DictObj *d, const char *name, NativeFn fn, int flags);

/* Argument checking for C functions, with Python's messages:
**   arg_check_count(vm, "len", nargs, 1, 1) ->
**   "len() takes exactly one argument (2 given)" etc.
** arg_parse: parse positional + keyword args by name into out[] (V_UNDEF for
** absent optionals). names is a NULL-terminated list; `required` of them
** must be present. Raises TypeError like CPython
** ("f() got an unexpected keyword argument 'x'", "f() missing required argument 'x' (pos 1)"). */
int arg_check_count(VM *vm, const char *fname, int nargs, int min, int max);
int arg_no_kwargs(VM *vm, const char *fname, TupleObj *kwnames);
int arg_parse(VM *vm, const char *fname, Value *args, int nargs, TupleObj *kwnames,
              const char *const *names, int required, Value *out);

void func_types_init(VM *vm);   /* function, builtin_function, method, cell, property, staticmethod, classmethod */
void func_trace(VM *vm, Obj *o);   /* all the kinds in this file */
void func_free(VM *vm, Obj *o);

#define IS_PROPERTY(v) IS_KIND(v, K_PROPERTY)
#define AS_PROPERTY(v) ((PropertyObj *)AS_OBJ(v))
#define IS_STATICMETHOD(v) IS_KIND(v, K_STATICMETHOD)
#define IS_CLASSMETHOD(v) IS_KIND(v, K_CLASSMETHOD)
#define AS_WRAPPER(v) ((WrapperObj *)AS_OBJ(v))

/* Call a NativeObj: prepends its bound self, checks an unbound method's
** receiver ("descriptor 'append' for 'list' objects doesn't apply to a
** 'int' object"), and makes it the current native while it runs, so that
** native_data() finds its data. It is the call slot of
** builtin_function_or_method: obj_call must reach natives through it (or
** the slot), never by calling n->fn directly. */
Value native_invoke(VM *vm, NativeObj *n, Value *args, int nargs, TupleObj *kwnames);
/* the bound form of a native method (what `[].append` evaluates to) */
NativeObj *native_bind(VM *vm, NativeObj *n, Value self);
/* descriptor objects, for C code (api.c's wy_property) */
PropertyObj *property_new(VM *vm, Value fget, Value fset, Value fdel, Value doc);
/* kind: K_STATICMETHOD or K_CLASSMETHOD */
WrapperObj *wrapper_new(VM *vm, ObjKind kind, Value func);

#endif
