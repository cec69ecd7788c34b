/* object.h — the object header, type objects, and the generic object
** protocol (attribute access, calls, operators, iteration) that every part
** of withy uses instead of poking at other modules' structs.
**
** Two ideas carry the design:
**  - every heap object starts with Obj: its Python type (a Type*, maybe a
**    user class) and its C layout (ObjKind). Layout checks (IS_LIST) accept
**    subclasses; exact type checks compare obj->type.
**  - a Type has C "slots" for the operations the VM needs fast. Builtin
**    types fill them with C functions; a user class gets generic slot
**    functions that look the dunder up on the type (never the instance),
**    exactly as CPython does.
**
** Error convention (everywhere in interp/ and stdlib/):
**  - a function returning Value returns V_UNDEF when it raised; the
**    exception is pending in vm->curexc (see exc.h);
**  - a function returning int returns -1 when it raised (0/1 otherwise);
**  - a function returning a pointer returns NULL when it raised.
*/
#ifndef WITHY_OBJECT_H
#define WITHY_OBJECT_H

#include "value.h"

typedef struct Type Type;
typedef struct StrObj StrObj;
typedef struct TupleObj TupleObj;
typedef struct ListObj ListObj;
typedef struct DictObj DictObj;

/* C layouts of heap objects. One per struct; a user subclass of a builtin
** shares its base's layout. */
typedef enum ObjKind {
  K_TYPE,        /* Type (classes, builtin or user) */
  K_STR,         /* StrObj */
  K_BYTES,       /* BytesObj */
  K_TUPLE,       /* TupleObj */
  K_LIST,        /* ListObj */
  K_DICT,        /* DictObj */
  K_SET,         /* SetObj (set and frozenset) */
  K_RANGE,       /* RangeObj */
  K_SLICE,       /* SliceObj */
  K_FUNC,        /* FuncObj: a Python function (closure) */
  K_NATIVE,      /* NativeObj: a C function, maybe bound to self */
  K_BOUND,       /* BoundObj: a Python function bound to self */
  K_CELL,        /* CellObj: a closure variable */
  K_CODE,        /* CodeObj */
  K_MODULE,      /* ModuleObj */
  K_INSTANCE,    /* InstanceObj: instance of a user class deriving from object */
  K_EXC,         /* ExcObj: exception instance (builtin or user subclass) */
  K_TRACEBACK,   /* TracebackObj */
  K_GEN,         /* GenObj: generator, coroutine or async generator */
  K_PROPERTY,    /* PropertyObj */
  K_STATICMETHOD,/* WrapperObj */
  K_CLASSMETHOD, /* WrapperObj */
  K_SUPER,       /* SuperObj */
  K_ITER,        /* IterObj: builtin iterators (list/str/dict/range iterators, map, zip…) */
  K_SINGLETON,   /* NotImplemented, Ellipsis */
  K_FOREIGN,     /* ForeignObj: an embedder's or stdlib module's C data */
  K_FRAME_HOLDER,/* reserved */
  K_COUNT
} ObjKind;

struct Obj {
  Type *type;      /* the Python type: type(obj) */
  Obj *gc_next;    /* all objects, for the sweep */
  uint8_t kind;    /* ObjKind: the C layout */
  uint8_t marked;  /* mark bit of the current GC cycle */
  uint16_t flags;  /* per-kind bits (e.g. StrObj interned) */
};

#define OBJ_KIND(v) ((ObjKind)AS_OBJ(v)->kind)
#define IS_KIND(v, k) (IS_OBJ(v) && AS_OBJ(v)->kind == (k))

/* ---- slot signatures ---- */

/* Call convention for everything callable from C and from the VM
** (vectorcall-like): args[0..nargs-1] are positional; when kwnames is not
** NULL, args[nargs..nargs+len(kwnames)-1] are the keyword values named by
** the str tuple kwnames. For a method called through a type's dict,
** args[0] is self. args lives on the VM stack or a rooted C array: it is
** GC-safe for the duration of the call. */
typedef Value (*NativeFn)(VM *vm, Value *args, int nargs, TupleObj *kwnames);

typedef Value (*ReprFn)(VM *vm, Value self);          /* -> str */
typedef int (*HashFn)(VM *vm, Value self, int64_t *out);
/* op is a CmpOp; returns a value, or vm->not_implemented */
typedef Value (*RichCmpFn)(VM *vm, Value a, Value b, int op);
typedef Value (*CallFn)(VM *vm, Value callee, Value *args, int nargs, TupleObj *kwnames);
/* getattr returns V_UNDEF with AttributeError pending when absent */
typedef Value (*GetAttrFn)(VM *vm, Value self, StrObj *name);
/* value V_UNDEF means delete */
typedef int (*SetAttrFn)(VM *vm, Value self, StrObj *name, Value value);
typedef Value (*UnaryFn)(VM *vm, Value self);
/* next: returns the next item; at exhaustion returns V_UNDEF WITHOUT an
** exception pending (vm->curexc stays NULL): no StopIteration allocated on
** the fast path. A real error returns V_UNDEF with curexc set. */
typedef Value (*NextFn)(VM *vm, Value self);
typedef int64_t (*LenFn)(VM *vm, Value self);         /* -1 on error */
typedef Value (*GetItemFn)(VM *vm, Value self, Value key);
/* value V_UNDEF means delete */
typedef int (*SetItemFn)(VM *vm, Value self, Value key, Value value);
typedef int (*ContainsFn)(VM *vm, Value self, Value item); /* 1/0/-1 */
typedef int (*BoolFn)(VM *vm, Value self);            /* 1/0/-1 */
/* construct: type(...) called; creates and initialises an instance */
typedef Value (*NewFn)(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames);
/* C awaitables (futures, C coroutines, async-generator awaitables): resume
** with a value / throw an exception in. 1: yielded *out; 0: finished with
** *out; -1: raised. A type with both is its own awaitable iterator. */
typedef int (*SendFn)(VM *vm, Value self, Value v, Value *out);
struct ExcObj;
typedef int (*ThrowFn)(VM *vm, Value self, struct ExcObj *exc, Value *out);

typedef enum CmpOp { CMP_LT, CMP_LE, CMP_EQ, CMP_NE, CMP_GT, CMP_GE } CmpOp;

/* Binary operators, also the oparg of BINARY_OP (in-place = +BIN_INPLACE). */
typedef enum BinOp {
  BIN_ADD, BIN_SUB, BIN_MUL, BIN_TRUEDIV, BIN_FLOORDIV, BIN_MOD, BIN_POW,
  BIN_LSHIFT, BIN_RSHIFT, BIN_AND, BIN_OR, BIN_XOR, BIN_MATMUL,
  BIN_COUNT,
  BIN_INPLACE = 16 /* BIN_INPLACE + BIN_ADD is `+=` */
} BinOp;

typedef enum UnaryOp { UN_NEG, UN_POS, UN_INVERT, UN_NOT } UnaryOp;

/* Type flags */
enum {
  TF_HEAP = 1 << 0,      /* created by a class statement */
  TF_BASETYPE = 1 << 1,  /* may be subclassed */
  TF_EXCEPTION = 1 << 2, /* BaseException or a subclass */
  TF_HAS_GETATTR = 1 << 3, /* a user __getattr__ fallback exists in the MRO */
  TF_ABSTRACT_NEW = 1 << 4, /* cannot be instantiated ("cannot create 'X' instances") */
  TF_HOST = 1 << 5       /* a C class made through withy.h (wy_class): its dunders
                            are dispatched through slots like a class's */
};

struct Type {
  Obj obj;
  StrObj *name;        /* __name__ */
  StrObj *qualname;    /* __qualname__ */
  StrObj *module;      /* __module__, or NULL for builtins */
  Type *base;          /* first base; determines layout */
  TupleObj *bases;     /* __bases__ */
  TupleObj *mro;       /* __mro__ (C3), includes the type itself first */
  DictObj *dict;       /* class namespace: methods, class attributes */
  uint32_t flags;      /* TF_* */
  uint8_t layout;      /* ObjKind of instances */
  uint8_t exc_family;  /* exc.c's cache of which builtin family an exception
                          class belongs to: 0 not yet known, else family + 1
                          (an MRO never changes once the class exists) */
  uint32_t version;    /* bumped when dict or an ancestor's dict changes;
                          keys attribute/method inline caches */
  /* slots; NULL means "not supported" (generic code raises TypeError) */
  ReprFn repr;
  ReprFn str;          /* NULL: use repr */
  HashFn hash;         /* NULL: unhashable */
  RichCmpFn richcmp;   /* NULL: identity for ==/!=, TypeError for order */
  CallFn call;
  GetAttrFn getattr;
  SetAttrFn setattr;
  UnaryFn iter;
  NextFn next;
  LenFn len;
  GetItemFn getitem;
  SetItemFn setitem;
  ContainsFn contains; /* NULL: iterate */
  BoolFn truth;        /* NULL: use len, else true */
  NewFn construct;     /* NULL: "cannot create 'X' instances" */
  SendFn send;         /* C awaitable iterators (see SendFn) */
  ThrowFn throw_;
};

/* ---- the generic object protocol (object.c) ----
** These are what the VM, builtins and stdlib call. They honour user
** dunders looked up on the type, and raise Python's exact TypeErrors. */

/* type(v) for any value, including unboxed ones */
Type *obj_type(VM *vm, Value v);
const char *obj_type_name(VM *vm, Value v); /* type(v).__name__ as C string */

Value obj_repr(VM *vm, Value v);   /* -> StrObj value */
Value obj_str(VM *vm, Value v);    /* -> StrObj value */
int obj_hash(VM *vm, Value v, int64_t *out);
int obj_truthy(VM *vm, Value v);   /* 1/0/-1 */
int obj_eq(VM *vm, Value a, Value b); /* == as bool: 1/0/-1 (identity first, like containers do) */
Value obj_richcmp(VM *vm, Value a, Value b, CmpOp op); /* full protocol incl. reflected */
Value obj_binop(VM *vm, int op, Value a, Value b);     /* BinOp, maybe + BIN_INPLACE */
Value obj_unaryop(VM *vm, UnaryOp op, Value v);
int obj_contains(VM *vm, Value container, Value item); /* `item in container` */
int obj_is_instance(VM *vm, Value v, Value cls_or_tuple); /* isinstance() */
int obj_is_subclass(VM *vm, Value cls, Value cls_or_tuple);
bool type_is_subtype(Type *t, Type *base); /* walks the mro */

Value obj_getattr(VM *vm, Value v, StrObj *name);
Value obj_getattr_cstr(VM *vm, Value v, const char *name);
/* like getattr but returns V_UNDEF with NO exception when absent */
Value obj_getattr_opt(VM *vm, Value v, StrObj *name);
int obj_setattr(VM *vm, Value v, StrObj *name, Value value);
int obj_delattr(VM *vm, Value v, StrObj *name);

/* Method lookup without allocating a bound method: on success sets
** *callable and *self_or_undef so that the call is
** callable(self, args...) when self is not V_UNDEF, else callable(args...).
** Returns 0, or -1 with AttributeError pending. */
int obj_get_method(VM *vm, Value v, StrObj *name, Value *callable, Value *self_or_undef);

Value obj_getitem(VM *vm, Value v, Value key);
int obj_setitem(VM *vm, Value v, Value key, Value value);
int obj_delitem(VM *vm, Value v, Value key);
int64_t obj_len(VM *vm, Value v);   /* len(); -1 on error */

Value obj_iter(VM *vm, Value v);    /* iter() */
/* next(): V_UNDEF + no exception = exhausted; V_UNDEF + exception = error */
Value obj_next(VM *vm, Value it);

/* call anything; see NativeFn for the convention. Implemented in vm.c
** because calling a Python function runs the interpreter. */
Value obj_call(VM *vm, Value callable, Value *args, int nargs, TupleObj *kwnames);
Value obj_call0(VM *vm, Value callable);
Value obj_call1(VM *vm, Value callable, Value a);
Value obj_call2(VM *vm, Value callable, Value a, Value b);
/* look up `name` on type(self) and call it with self + args; raises
** AttributeError if absent */
Value obj_call_method(VM *vm, Value self, const char *name, Value *args, int nargs);

/* a type's attribute lookup along its MRO, no descriptors applied; returns
** V_UNDEF (no exception) when absent */
Value type_lookup(VM *vm, Type *t, StrObj *name);

/* `callable()` */
bool obj_is_callable(VM *vm, Value v);

/* Singletons */
#define IS_NOTIMPL(vm, v) (IS_OBJ(v) && AS_OBJ(v) == (vm)->not_implemented)

#endif
