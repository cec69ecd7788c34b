/* type.h — type objects and classes: creation by the class statement
** (__build_class__), C3 MRO, instances of user classes, attribute lookup
** with descriptors, super(), and the generic slot functions that make a
** user class's dunders work (looked up on the type, as CPython does). */
#ifndef WITHY_TYPE_H
#define WITHY_TYPE_H

#include "object.h"

typedef struct InstanceObj {
  Obj obj;
  DictObj *dict;          /* __dict__ */
} InstanceObj;

typedef struct SuperObj {
  Obj obj;
  Type *type;             /* the class super() starts after */
  Value self;             /* the instance (or class for classmethods) */
  Type *self_type;
} SuperObj;

/* A C-defined class's instance with a C payload (stdlib and embedders:
** files, StringIO, db connections…). finalize runs when the GC frees it:
** it must release the resource and never call into Python. */
typedef struct ForeignObj {
  Obj obj;
  DictObj *dict;          /* attributes, created lazily */
  void *data;
  void (*trace)(VM *vm, void *data);     /* mark Values the payload holds, or NULL */
  void (*finalize)(VM *vm, void *data);  /* or NULL */
} ForeignObj;

#define IS_TYPE(v) IS_KIND(v, K_TYPE)
#define AS_TYPE(v) ((Type *)AS_OBJ(v))
#define IS_INSTANCE(v) IS_KIND(v, K_INSTANCE)
#define AS_INSTANCE(v) ((InstanceObj *)AS_OBJ(v))
#define IS_FOREIGN(v) IS_KIND(v, K_FOREIGN)
#define AS_FOREIGN(v) ((ForeignObj *)AS_OBJ(v))

/* A builtin type: name, base (NULL = object), layout, flags. Its slots are
** then set by the owner; its dict is created empty. */
Type *type_new_builtin(VM *vm, const char *name, Type *base, ObjKind layout, uint32_t flags);
/* A class as the class statement makes it: computes the C3 MRO (TypeError
** "Cannot create a consistent method resolution order (MRO) for bases A, B"),
** picks the layout, installs the dunder slots. */
Type *type_new_class(VM *vm, StrObj *name, TupleObj *bases, DictObj *ns);
/* recompute slots/version after a class attribute changes */
void type_modified(VM *vm, Type *t);
/* generic attribute protocol (object.__getattribute__ / __setattr__) */
Value generic_getattr(VM *vm, Value self, StrObj *name);
int generic_setattr(VM *vm, Value self, StrObj *name, Value value);
/* bind a descriptor found on the type (function, native method, property,
** classmethod, staticmethod) to self; other values are returned as they are */
Value descr_bind(VM *vm, Value attr, Value self, Type *owner);

ForeignObj *foreign_new(VM *vm, Type *type, void *data,
                        void (*trace)(VM *, void *), void (*finalize)(VM *, void *));

Value builtin_build_class(VM *vm, Value *args, int nargs, TupleObj *kwnames);
/* zero-argument super() reads the calling frame's first argument and its
** __class__ cell */
Value builtin_super(VM *vm, Value *args, int nargs, TupleObj *kwnames);

/* First step of vm_new, right after gc_init: creates the type objects that
** every other allocation needs (type, object, str, dict, tuple) and wires
** them together (names, dicts). */
void type_bootstrap(VM *vm);
void type_types_init(VM *vm);   /* object, type, super, NoneType, NotImplementedType, ellipsis */
void type_trace(VM *vm, Obj *o);    /* K_TYPE, K_INSTANCE, K_SUPER, K_FOREIGN, K_SINGLETON */
void type_free(VM *vm, Obj *o);

#endif
