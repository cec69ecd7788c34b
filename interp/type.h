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
/* the same with a zeroed payload of `size` bytes in the object's own block
** (no malloc; `finalize`, if any, must not free it) */
ForeignObj *foreign_new_inline(VM *vm, Type *type, size_t size, void (*trace)(VM *, void *),
                               void (*finalize)(VM *, void *));

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

/* ---- object-model internals, shared by type.c, class.c, super.c,
** object.c and func.c (nobody else should need them) ---- */

/* Type.obj.flags bit: the type was allocated as a TypeExt (every Type is:
** type_new_builtin, type_new_class and type_bootstrap are the only makers). */
enum { TYPE_OBJ_EXT = 1 << 0 };

/* per-VM state of the object model. It is reached through vm->t_type and
** owned jointly by every type object (refs), so it outlives them all
** whatever order the GC frees them in. */
typedef struct ObjModelState {
  int refs;                  /* type objects alive */
  uint32_t next_version;     /* class versions are unique: caches keyed by
                                (Type*, version) never see a recycled address match */
  Type **classes;            /* every live class made by type_new_class (weak) */
  int nclasses, cap_classes;
  struct NativeObj *object_init, *object_new; /* object.__init__/__new__ */
  DictObj *last_method_dict; /* define_native's memo: methods come in runs */
  Type *last_method_owner;
} ObjModelState;

/* a type's attribute-lookup cache entry (classes only) */
typedef struct TypeCacheEntry {
  StrObj *name;              /* interned */
  uint32_t version;          /* the type's version when filled */
  Type *owner;               /* where it was found along the MRO, NULL if absent */
  Value value;               /* V_UNDEF if absent */
} TypeCacheEntry;

#define TYPE_CACHE_SIZE 32

typedef struct TypeExt {
  Type type;
  ObjModelState *state;
  TypeCacheEntry *cache;     /* TYPE_CACHE_SIZE entries, made with the class; classes only */
  Value singleton;           /* NotImplemented / Ellipsis, kept alive by its type */
  int registry_index;        /* index in state->classes, or -1 */
  bool has_subclasses;       /* a class was made with this one among its bases */
  int host_slots;            /* wy_class_slots: Value slots of each instance (C classes) */
  /* class_fast_init's answer, valid while init_version == type.version
  ** (0: not asked yet); init is NULL when the class has no fast path */
  struct FuncObj *init;
  uint32_t init_version;
} TypeExt;

#define TYPE_EXT(t) ((TypeExt *)(t))

ObjModelState *objmodel_state(VM *vm);
/* type_lookup that also says where along the MRO the value was found */
Value type_lookup_owner(VM *vm, Type *t, StrObj *name, Type **owner);
/* the nearest builtin (non-heap) ancestor: whose C slots a class inherits */
Type *type_builtin_base(Type *t);
/* allocate a type object (TypeExt), registered with the shared state */
Type *type_alloc(VM *vm);
/* add a class to state->classes */
int type_register_class(VM *vm, Type *t);
/* the class statement's slots (class.c): install the generic slot
** functions for the dunders a class (or a class in its MRO) defines */
void class_install_slots(VM *vm, Type *t);
/* a class attribute changed: versions (and, for dunders, slots) of the class
** and its subclasses; name NULL = anything may have changed */
void class_attr_changed(VM *vm, Type *t, StrObj *name);
/* finish a new class: __set_name__ on its attributes, then its bases'
** __init_subclass__ with the class statement's keywords */
int class_init_subclass(VM *vm, Type *cls, Value *kwvalues, TupleObj *kwnames);
/* call f(self, args...) (+ keywords) without a bound-method object; f was
** found on type(self) (plain function, native method, or descriptor) */
Value call_with_self(VM *vm, Value f, Value self, Value *args, int nargs, TupleObj *kwnames);
/* getattr without raising AttributeError when absent (V_UNDEF, no exception) */
Value generic_getattr_opt(VM *vm, Value self, StrObj *name);
/* AttributeError "'A' object has no attribute 'x'" */
Value attr_error(VM *vm, Value self, StrObj *name);
/* the property descriptor protocol, with CPython's messages naming attr `name` */
Value property_get(VM *vm, Value prop, Value self, StrObj *name);
int property_set(VM *vm, Value prop, Value self, StrObj *name, Value value);
InstanceObj *instance_new(VM *vm, Type *type);
/* attribute access on class objects (the `type` type's slots) */
Value type_getattr(VM *vm, Value self, StrObj *name);
Value type_getattr_opt(VM *vm, Value self, StrObj *name);
int type_setattr(VM *vm, Value self, StrObj *name, Value value);
void super_type_init(VM *vm);   /* super.c */
int object_hash_identity(VM *vm, Value self, int64_t *out);
Value object_richcmp(VM *vm, Value a, Value b, int op);

#endif
