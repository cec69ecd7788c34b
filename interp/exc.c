/* exc.c — exception objects: the builtin hierarchy, construction and the
** per-class attributes (args, __context__, OSError.errno, SyntaxError.lineno
** …), raising with implicit chaining, traceback entries, errno mapping and
** SyntaxError construction. Printing a traceback lives in traceback.c.
**
** Where the class-specific attributes live: StopIteration.value and
** SystemExit.code use ExcObj.value. The other families (OSError,
** SyntaxError, ImportError, NameError, AttributeError) keep theirs in a
** small dict stored in ExcObj.value, so that e.__dict__ holds only what the
** user set, as in CPython where these are C struct members.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exc.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "tuple.h"
#include "dict.h"
#include "type.h"
#include "func.h"
#include "parser.h"

/* ---- families: classes whose instances carry extra attributes ---- */

typedef enum Family {
  FAM_PLAIN, FAM_STOP, FAM_EXIT, FAM_OS, FAM_SYNTAX, FAM_IMPORT, FAM_NAME, FAM_ATTR
} Family;

static Family family_walk(VM *vm, Type *t) {
  if (type_is_subtype(t, EXC(vm, StopIteration))) return FAM_STOP;
  if (type_is_subtype(t, EXC(vm, SystemExit))) return FAM_EXIT;
  if (type_is_subtype(t, EXC(vm, OSError))) return FAM_OS;
  if (type_is_subtype(t, EXC(vm, SyntaxError))) return FAM_SYNTAX;
  if (type_is_subtype(t, EXC(vm, ImportError))) return FAM_IMPORT;
  if (type_is_subtype(t, EXC(vm, NameError))) return FAM_NAME;
  if (type_is_subtype(t, EXC(vm, AttributeError))) return FAM_ATTR;
  return FAM_PLAIN;
}

static Family family_of(VM *vm, Type *t) {
  if (!t->exc_family) t->exc_family = (uint8_t)(family_walk(vm, t) + 1);
  return (Family)(t->exc_family - 1);
}

/* the slot attributes of each dict-backed family (NULL-terminated) */
static const char *const os_attrs[] = {"errno", "strerror", "filename", "filename2", NULL};
static const char *const syntax_attrs[] = {"msg", "filename", "lineno", "offset", "text",
                                           "end_lineno", "end_offset", "print_file_and_line", NULL};
static const char *const import_attrs[] = {"msg", "name", "path", NULL};
static const char *const name_attrs[] = {"name", NULL};
static const char *const attr_attrs[] = {"name", "obj", NULL};

static const char *const *family_attrs(Family f) {
  switch (f) {
    case FAM_OS: return os_attrs;
    case FAM_SYNTAX: return syntax_attrs;
    case FAM_IMPORT: return import_attrs;
    case FAM_NAME: return name_attrs;
    case FAM_ATTR: return attr_attrs;
    default: return NULL;
  }
}

static bool is_family_attr(Family f, StrObj *name) {
  const char *const *list = family_attrs(f);
  if (!list) return false;
  for (; *list; list++)
    if (strcmp(*list, STR_CSTR(name)) == 0) return true;
  return false;
}

/* the dict of slot attributes of a dict-backed family; NULL when absent
** (create = false) or on MemoryError (create = true) */
static DictObj *slot_dict(VM *vm, ExcObj *e, bool create) {
  if (IS_DICT(e->value)) return AS_DICT(e->value);
  if (!create) return NULL;
  DictObj *d = dict_new(vm);
  if (d) e->value = v_obj(d);
  return d;
}

static Value slot_get(VM *vm, ExcObj *e, const char *name) {
  DictObj *d = slot_dict(vm, e, false);
  if (!d) return V_NONE;
  Value v = dict_get_cstr(vm, d, name);
  if (IS_UNDEF(v)) {
    if (vm->curexc) exc_clear(vm);
    return V_NONE;
  }
  return v;
}

static int slot_set(VM *vm, ExcObj *e, const char *name, Value v) {
  DictObj *d = slot_dict(vm, e, true);
  if (!d) return -1;
  return dict_set_cstr(vm, d, name, v);
}

/* ---- construction ---- */

static TupleObj *as_args_tuple(VM *vm, TupleObj *args) { return args ? args : vm->empty_tuple; }

/* OSError(errno, strerror[, filename[, winerror[, filename2]]]) */
static int init_os_args(VM *vm, ExcObj *e) {
  TupleObj *a = e->args;
  if (a->len < 2 || a->len > 5) return 0;
  if (slot_set(vm, e, "errno", a->items[0]) < 0) return -1;
  if (slot_set(vm, e, "strerror", a->items[1]) < 0) return -1;
  if (a->len >= 3) {
    if (slot_set(vm, e, "filename", a->items[2]) < 0) return -1;
    if (a->len == 5 && slot_set(vm, e, "filename2", a->items[4]) < 0) return -1;
    /* like CPython, args keeps only (errno, strerror) when a filename is given */
    TupleObj *two = tuple_from(vm, a->items, 2);
    if (!two) return -1;
    e->args = two;
  }
  return 0;
}

/* SyntaxError(msg, (filename, lineno, offset, text[, end_lineno, end_offset])) */
static int init_syntax_args(VM *vm, ExcObj *e) {
  TupleObj *a = e->args;
  if (a->len >= 1 && slot_set(vm, e, "msg", a->items[0]) < 0) return -1;
  if (a->len != 2) return 0;
  /* the iterable may run Python code: e may be fresh and unreachable */
  gc_push_root(vm, v_obj(e));
  Value info = tuple_from_iterable(vm, a->items[1]);
  gc_pop_roots(vm, 1);
  if (IS_UNDEF(info)) return -1;
  TupleObj *t = AS_TUPLE(info);
  if (t->len < 4) {
    exc_type_error(vm, "function takes at least 4 arguments (%lld given)", (long long)t->len);
    return -1;
  }
  if (t->len > 6) {
    exc_type_error(vm, "function takes at most 6 arguments (%lld given)", (long long)t->len);
    return -1;
  }
  static const char *const fields[] = {"filename", "lineno", "offset", "text", "end_lineno", "end_offset"};
  for (int i = 0; i < 6; i++) {
    Value v = i < t->len ? t->items[i] : V_NONE;
    if (slot_set(vm, e, fields[i], v) < 0) return -1;
  }
  return 0;
}

/* Give the instance its args and derive the class-specific attributes from
** them, as BaseException.__new__/__init__ and the subclasses' inits do. */
static int exc_set_args(VM *vm, ExcObj *e, TupleObj *args) {
  e->args = as_args_tuple(vm, args);
  TupleObj *a = e->args;
  switch (family_of(vm, e->obj.type)) {
    case FAM_STOP:
      e->value = a->len > 0 ? a->items[0] : V_NONE;
      return 0;
    case FAM_EXIT:
      e->value = a->len == 0 ? V_NONE : a->len == 1 ? a->items[0] : v_obj(a);
      return 0;
    case FAM_OS: return init_os_args(vm, e);
    case FAM_SYNTAX: return init_syntax_args(vm, e);
    case FAM_IMPORT:
      return a->len == 1 ? slot_set(vm, e, "msg", a->items[0]) : 0;
    default: return 0;
  }
}

/* Keyword arguments of the builtin __init__s: ImportError(name=, path=),
** NameError(name=), AttributeError(name=, obj=); the rest take none. */
static int exc_set_kwargs(VM *vm, ExcObj *e, Value *kwvalues, TupleObj *kwnames) {
  if (!kwnames || kwnames->len == 0) return 0;
  Family f = family_of(vm, e->obj.type);
  const char *tname = STR_CSTR(e->obj.type->name);
  if (f != FAM_IMPORT && f != FAM_NAME && f != FAM_ATTR) {
    exc_type_error(vm, "%s() takes no keyword arguments", tname);
    return -1;
  }
  if (f == FAM_NAME && kwnames->len > 1) {
    exc_type_error(vm, "%s() takes at most 1 keyword argument (%lld given)", tname, (long long)kwnames->len);
    return -1;
  }
  const char *const *allowed = f == FAM_IMPORT ? import_attrs + 1 : family_attrs(f);
  for (int64_t i = 0; i < kwnames->len; i++) {
    StrObj *k = AS_STR(kwnames->items[i]);
    bool ok = false;
    for (const char *const *p = allowed; *p; p++)
      if (strcmp(*p, STR_CSTR(k)) == 0) ok = true;
    if (!ok) {
      exc_type_error(vm, "'%U' is an invalid keyword argument for %s()", k, tname);
      return -1;
    }
    if (slot_set(vm, e, STR_CSTR(k), kwvalues[i]) < 0) return -1;
  }
  return 0;
}

ExcObj *exc_new(VM *vm, Type *type, TupleObj *args) {
  ExcObj *e = gc_alloc_obj(vm, sizeof(ExcObj), K_EXC, type);
  if (!e) return NULL;
  e->args = vm->empty_tuple;
  e->context = V_NONE;
  e->cause = V_NONE;
  e->value = V_NONE;
  if (exc_set_args(vm, e, args) < 0) return NULL;
  return e;
}

/* errno -> the OSError subclass CPython picks */
static Type *errno_type(VM *vm, int64_t err) {
  switch (err) {
    case ENOENT: return EXC(vm, FileNotFoundError);
    case EEXIST: return EXC(vm, FileExistsError);
    case EACCES: case EPERM: return EXC(vm, PermissionError);
    case EISDIR: return EXC(vm, IsADirectoryError);
    case ENOTDIR: return EXC(vm, NotADirectoryError);
    case EPIPE: case ESHUTDOWN: return EXC(vm, BrokenPipeError);
    case ECONNREFUSED: return EXC(vm, ConnectionRefusedError);
    case ECONNRESET: return EXC(vm, ConnectionResetError);
    case ECONNABORTED: return EXC(vm, ConnectionError);
    case ETIMEDOUT: return EXC(vm, TimeoutError);
    default: return EXC(vm, OSError);
  }
}

static Value m_init(VM *vm, Value *args, int nargs, TupleObj *kwnames);

static bool has_builtin_init(VM *vm, Type *type) {
  /* a builtin exception class's namespace is fixed and none defines __init__ */
  if (!(type->flags & (TF_HEAP | TF_HOST))) return true;
  Value init = type_lookup(vm, type, NAME(vm, __init__));
  return IS_NATIVE(init) && AS_NATIVE(init)->fn == m_init;
}

/* __init__(self, *args, **kwargs) on a fresh instance */
static int call_init(VM *vm, ExcObj *e, Value *args, int nargs, TupleObj *kwnames) {
  Value init = type_lookup(vm, e->obj.type, NAME(vm, __init__));
  int total = nargs + (kwnames ? (int)kwnames->len : 0);
  Value *argv = gc_malloc(vm, sizeof(Value) * (size_t)(total + 1));
  if (!argv) return -1;
  argv[0] = v_obj(e);
  memcpy(argv + 1, args, sizeof(Value) * (size_t)total);
  gc_push_root(vm, v_obj(e));
  Value r = obj_call(vm, init, argv, nargs + 1, kwnames);
  gc_pop_roots(vm, 1);
  gc_free(vm, argv, sizeof(Value) * (size_t)(total + 1));
  if (IS_UNDEF(r)) return -1;
  if (!IS_NONE(r)) {
    exc_type_error(vm, "__init__() should return None, not '%T'", r);
    return -1;
  }
  return 0;
}

/* type(...) for every exception class: BaseException.__new__ semantics
** (args = the positional arguments, whatever __init__ later does). A user
** subclass's __init__ is called afterwards by the generic construct. */
static Value exc_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  if (type == EXC(vm, OSError) && nargs >= 2 && IS_INTLIKE(args[0]))
    type = errno_type(vm, AS_INTLIKE(args[0]));
  TupleObj *t = tuple_from(vm, args, nargs);
  if (!t) return V_UNDEF;
  ExcObj *e = exc_new(vm, type, t);
  if (!e) return V_UNDEF;
  if (has_builtin_init(vm, type)) {
    if (kwnames && kwnames->len > 0 && exc_set_kwargs(vm, e, args + nargs, kwnames) < 0) return V_UNDEF;
    return v_obj(e);
  }
  /* A C class (wy_class) with its own __init__: nobody else calls it.
  ** A class statement's class gets it called by the generic construct. */
  if (!(type->flags & TF_HEAP) && call_init(vm, e, args, nargs, kwnames) < 0) return V_UNDEF;
  return v_obj(e);
}

ExcObj *exc_from_value(VM *vm, Value v) {
  if (IS_EXC(v)) return AS_EXC(v);
  if (IS_TYPE(v) && type_is_subtype(AS_TYPE(v), EXC(vm, BaseException))) {
    Value inst = obj_call0(vm, v);
    if (IS_UNDEF(inst)) return NULL;
    if (!IS_EXC(inst)) {
      exc_type_error(vm, "calling %R should have returned an instance of BaseException, not %T", v, inst);
      return NULL;
    }
    return AS_EXC(inst);
  }
  exc_type_error(vm, "exceptions must derive from BaseException");
  return NULL;
}

/* ---- raising ---- */

/* Cut the link to `exc` in the context chain starting at `start`, so that
** making `start` the context of `exc` creates no cycle. Floyd's tortoise
** keeps a pre-existing cycle from hanging the walk. */
static void break_context_cycle(ExcObj *start, ExcObj *exc) {
  ExcObj *o = start, *slow = start;
  bool advance_slow = false;
  while (IS_EXC(o->context)) {
    ExcObj *ctx = AS_EXC(o->context);
    if (ctx == exc) {
      o->context = V_NONE;
      return;
    }
    o = ctx;
    if (o == slow) return;
    if (advance_slow) slow = IS_EXC(slow->context) ? AS_EXC(slow->context) : slow;
    advance_slow = !advance_slow;
  }
}

Value exc_raise_obj(VM *vm, ExcObj *exc) {
  Value handled = vm_handled_exception(vm);
  if (IS_EXC(handled) && AS_EXC(handled) != exc) {
    break_context_cycle(AS_EXC(handled), exc);
    exc->context = handled;
  }
  vm->curexc = (Obj *)exc;
  return V_UNDEF;
}

Value exc_restore(VM *vm, ExcObj *exc) {
  vm->curexc = (Obj *)exc;
  return V_UNDEF;
}

static Value raise_formatted(VM *vm, Type *type, const char *fmt, va_list ap) {
  StrObj *msg = str_vformat_c(vm, fmt, ap);
  if (!msg) return V_UNDEF;
  TupleObj *args = tuple_pack(vm, 1, v_obj(msg));
  if (!args) return V_UNDEF;
  ExcObj *e = exc_new(vm, type, args);
  if (!e) return V_UNDEF;
  return exc_raise_obj(vm, e);
}

Value exc_raise(VM *vm, Type *type, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  raise_formatted(vm, type, fmt, ap);
  va_end(ap);
  return V_UNDEF;
}

Value exc_type_error(VM *vm, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  raise_formatted(vm, EXC(vm, TypeError), fmt, ap);
  va_end(ap);
  return V_UNDEF;
}

Value exc_value_error(VM *vm, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  raise_formatted(vm, EXC(vm, ValueError), fmt, ap);
  va_end(ap);
  return V_UNDEF;
}

/* The MemoryError instance made at start-up sits in the slot after the
** last exception class (see EXC_TYPES_ALLOC_SIZE); MemoryError's dict
** holds it too, which is what keeps it alive. */
#define PREALLOC_MEMERR(vm) ((ExcObj *)(void *)(vm)->exc_types[EXC__COUNT])

Value exc_no_memory(VM *vm) {
  ExcObj *e = vm->exc_types ? PREALLOC_MEMERR(vm) : NULL;
  if (!e) {
    /* only before the exception classes exist: nothing can be raised yet */
    fputs("withy: out of memory during start-up\n", stderr);
    abort();
  }
  e->traceback = NULL;
  e->context = V_NONE;
  e->cause = V_NONE;
  e->suppress_context = false;
  return exc_raise_obj(vm, e);
}

/* a str from bytes that may not be UTF-8 (file names): bad bytes become '?' */
static StrObj *str_from_bytes_lossy(VM *vm, const char *s) {
  size_t len = strlen(s);
  if (utf8_valid(s, len)) return str_new(vm, s, len);
  SBuf b;
  sbuf_init(&b);
  for (size_t i = 0; i < len; i++) sbuf_addc(&b, (unsigned char)s[i] < 0x80 ? s[i] : '?');
  return sbuf_finish(vm, &b);
}

Value exc_raise_errno(VM *vm, int err, const char *filename) {
  StrObj *msg = str_from_cstr(vm, strerror(err));
  if (!msg) return V_UNDEF;
  Value fname = V_UNDEF;
  if (filename) {
    StrObj *f = str_from_bytes_lossy(vm, filename);
    if (!f) return V_UNDEF;
    fname = v_obj(f);
  }
  TupleObj *args = IS_UNDEF(fname) ? tuple_pack(vm, 2, v_int(err), v_obj(msg))
                                   : tuple_pack(vm, 3, v_int(err), v_obj(msg), fname);
  if (!args) return V_UNDEF;
  ExcObj *e = exc_new(vm, errno_type(vm, err), args);
  if (!e) return V_UNDEF;
  return exc_raise_obj(vm, e);
}

Value exc_stop_iteration(VM *vm, Value value) {
  TupleObj *args = NULL;
  if (!IS_UNDEF(value) && !IS_NONE(value)) {
    args = tuple_pack(vm, 1, value);
    if (!args) return V_UNDEF;
  }
  ExcObj *e = exc_new(vm, EXC(vm, StopIteration), args);
  if (!e) return V_UNDEF;
  return exc_raise_obj(vm, e);
}

ExcObj *exc_fetch(VM *vm) {
  ExcObj *e = (ExcObj *)vm->curexc;
  vm->curexc = NULL;
  return e;
}

void exc_clear(VM *vm) { vm->curexc = NULL; }

bool exc_matches(VM *vm, ExcObj *exc, Type *type) {
  (void)vm;
  return exc && type_is_subtype(exc->obj.type, type);
}

bool exc_pending_matches(VM *vm, Type *type) {
  return vm->curexc && type_is_subtype(vm->curexc->type, type);
}

int exc_add_traceback(VM *vm, ExcObj *exc, CodeObj *code, int32_t instr) {
  TracebackObj *tb = gc_alloc_obj(vm, sizeof(TracebackObj), K_TRACEBACK, vm->t_traceback);
  if (!tb) return -1;
  tb->next = exc->traceback;
  tb->code = code;
  tb->instr = instr;
  tb->line = code_line_at(code, instr);
  exc->traceback = tb;
  return 0;
}

/* ---- str / repr ---- */

static const char *path_basename(const char *p) {
  const char *slash = strrchr(p, '/');
  return slash ? slash + 1 : p;
}

static Value syntax_error_str(VM *vm, ExcObj *e) {
  Value msg = slot_get(vm, e, "msg");
  Value filename = slot_get(vm, e, "filename");
  Value lineno = slot_get(vm, e, "lineno");
  bool have_file = IS_STR(filename);
  bool have_line = IS_INT(lineno);
  StrObj *s;
  if (have_file && have_line)
    s = str_format_c(vm, "%S (%s, line %lld)", msg, path_basename(STR_CSTR(AS_STR(filename))),
                     (long long)AS_INT(lineno));
  else if (have_file)
    s = str_format_c(vm, "%S (%s)", msg, path_basename(STR_CSTR(AS_STR(filename))));
  else if (have_line)
    s = str_format_c(vm, "%S (line %lld)", msg, (long long)AS_INT(lineno));
  else
    return obj_str(vm, msg);
  return s ? v_obj(s) : V_UNDEF;
}

static Value os_error_str(VM *vm, ExcObj *e) {
  Value err = slot_get(vm, e, "errno"), strerr = slot_get(vm, e, "strerror");
  Value fname = slot_get(vm, e, "filename"), fname2 = slot_get(vm, e, "filename2");
  StrObj *s;
  if (!IS_NONE(fname)) {
    if (!IS_NONE(fname2))
      s = str_format_c(vm, "[Errno %S] %S: %R -> %R", err, strerr, fname, fname2);
    else
      s = str_format_c(vm, "[Errno %S] %S: %R", err, strerr, fname);
  } else if (!IS_NONE(err) && !IS_NONE(strerr)) {
    s = str_format_c(vm, "[Errno %S] %S", err, strerr);
  } else {
    return V_UNDEF; /* no exception: the caller falls back to the plain form */
  }
  return s ? v_obj(s) : V_UNDEF;
}

/* str() of the builtin classes (BaseException.__str__ and overrides) */
static Value exc_builtin_str(VM *vm, ExcObj *e) {
  Family f = family_of(vm, e->obj.type);
  if (f == FAM_SYNTAX) return syntax_error_str(vm, e);
  if (f == FAM_OS) {
    Value s = os_error_str(vm, e);
    if (!IS_UNDEF(s) || vm->curexc) return s;
  }
  if (f == FAM_IMPORT) {
    Value msg = slot_get(vm, e, "msg");
    if (IS_STR(msg) && AS_OBJ(msg)->type == vm->t_str) return msg;
  }
  TupleObj *a = e->args;
  if (a->len == 0) return v_obj(vm->empty_str);
  if (a->len == 1) {
    if (type_is_subtype(e->obj.type, EXC(vm, KeyError))) return obj_repr(vm, a->items[0]);
    return obj_str(vm, a->items[0]);
  }
  return obj_str(vm, v_obj(a));
}

Value exc_str(VM *vm, ExcObj *e) {
  if (e->obj.type->flags & TF_HEAP) return obj_str(vm, v_obj(e)); /* may override __str__ */
  return exc_builtin_str(vm, e);
}

static Value exc_repr(VM *vm, Value self) {
  ExcObj *e = AS_EXC(self);
  StrObj *name = e->obj.type->name;
  StrObj *s = e->args->len == 1 ? str_format_c(vm, "%U(%R)", name, e->args->items[0])
                                : str_format_c(vm, "%U%R", name, v_obj(e->args));
  return s ? v_obj(s) : V_UNDEF;
}

static Value exc_str_slot(VM *vm, Value self) { return exc_builtin_str(vm, AS_EXC(self)); }

static int identity_hash(VM *vm, Value self, int64_t *out) {
  (void)vm;
  *out = (int64_t)((uintptr_t)AS_OBJ(self) >> 4);
  return 0;
}

/* ---- attributes ---- */

static bool name_is(StrObj *name, StrObj *interned) {
  return name == interned || str_equal(name, interned);
}

/* The attributes served by C: the common ones of BaseException and the
** family's own. Returns true and sets *out (V_UNDEF on error) when `name`
** is one of them. */
static bool special_get(VM *vm, ExcObj *e, StrObj *name, Value *out) {
  if (name_is(name, NAME(vm, args))) { *out = v_obj(e->args); return true; }
  if (name_is(name, NAME(vm, __traceback__))) {
    *out = e->traceback ? v_obj(e->traceback) : V_NONE;
    return true;
  }
  if (name_is(name, NAME(vm, __context__))) { *out = e->context; return true; }
  if (name_is(name, NAME(vm, __cause__))) { *out = e->cause; return true; }
  if (name_is(name, NAME(vm, __suppress_context__))) { *out = v_bool(e->suppress_context); return true; }
  Family f = family_of(vm, e->obj.type);
  if ((f == FAM_STOP && name_is(name, NAME(vm, value))) || (f == FAM_EXIT && name_is(name, NAME(vm, code)))) {
    *out = e->value;
    return true;
  }
  if (is_family_attr(f, name)) {
    *out = slot_get(vm, e, STR_CSTR(name));
    return true;
  }
  return false;
}

static int set_traceback(VM *vm, ExcObj *e, Value tb) {
  if (IS_NONE(tb)) e->traceback = NULL;
  else if (IS_KIND(tb, K_TRACEBACK)) e->traceback = (TracebackObj *)AS_OBJ(tb);
  else {
    exc_type_error(vm, "__traceback__ must be a traceback or None");
    return -1;
  }
  return 0;
}

/* Setting (or, value V_UNDEF, deleting) a C-served attribute. Returns 1
** when done, 0 when `name` is not one, -1 on error. */
static int special_set(VM *vm, ExcObj *e, StrObj *name, Value v) {
  bool del = IS_UNDEF(v);
  if (name_is(name, NAME(vm, args))) {
    if (del) { exc_type_error(vm, "args may not be deleted"); return -1; }
    Value t = tuple_from_iterable(vm, v);
    if (IS_UNDEF(t)) return -1;
    e->args = AS_TUPLE(t);
    return 1;
  }
  if (name_is(name, NAME(vm, __traceback__))) {
    if (del) { exc_type_error(vm, "__traceback__ may not be deleted"); return -1; }
    return set_traceback(vm, e, v) < 0 ? -1 : 1;
  }
  if (name_is(name, NAME(vm, __context__)) || name_is(name, NAME(vm, __cause__))) {
    bool cause = name_is(name, NAME(vm, __cause__));
    if (del) { exc_type_error(vm, "%s may not be deleted", cause ? "__cause__" : "__context__"); return -1; }
    if (!IS_NONE(v) && !IS_EXC(v)) {
      exc_type_error(vm, "exception %s must be None or derive from BaseException",
                     cause ? "cause" : "context");
      return -1;
    }
    if (cause) {
      e->cause = v;
      e->suppress_context = true;
    } else {
      e->context = v;
    }
    return 1;
  }
  if (name_is(name, NAME(vm, __suppress_context__))) {
    if (del) { exc_type_error(vm, "__suppress_context__ may not be deleted"); return -1; }
    int t = obj_truthy(vm, v);
    if (t < 0) return -1;
    e->suppress_context = t;
    return 1;
  }
  Family f = family_of(vm, e->obj.type);
  if ((f == FAM_STOP && name_is(name, NAME(vm, value))) || (f == FAM_EXIT && name_is(name, NAME(vm, code)))) {
    e->value = del ? V_NONE : v;
    return 1;
  }
  if (is_family_attr(f, name)) return slot_set(vm, e, STR_CSTR(name), del ? V_NONE : v) < 0 ? -1 : 1;
  return 0;
}

static Value no_attribute(VM *vm, Value self, StrObj *name) {
  return exc_raise(vm, EXC(vm, AttributeError), "'%s' object has no attribute '%U'",
                   obj_type_name(vm, self), name);
}

/* object.__getattribute__ for exceptions: data descriptors (property) on
** the class, then the instance dict, then the class attribute. (A user
** __getattr__ comes after it, in exc_getattr.) */
static Value m_attr_get(VM *vm, Value *args, int nargs, TupleObj *kwnames);

/* a property made by define_attr (below) */
static bool is_attr_property(Value attr) {
  Value get = ((PropertyObj *)AS_OBJ(attr))->fget;
  return IS_KIND(get, K_NATIVE) && ((NativeObj *)AS_OBJ(get))->fn == m_attr_get;
}

static Value exc_lookup(VM *vm, Value self, StrObj *name) {
  ExcObj *e = AS_EXC(self);
  Type *t = e->obj.type;
  Value v;
  if (!(t->flags & TF_HEAP) && special_get(vm, e, name, &v)) return v;
  if (name_is(name, NAME(vm, __class__))) return v_obj(t);
  if (name_is(name, NAME(vm, __dict__))) {
    if (!e->dict && !(e->dict = dict_new(vm))) return V_UNDEF;
    return v_obj(e->dict);
  }
  Value attr = type_lookup(vm, t, name);
  if (IS_KIND(attr, K_PROPERTY)) {
    /* one of BaseException's own attributes, reached from a class
    ** statement's subclass: read it directly instead of calling the getter */
    if (is_attr_property(attr) && special_get(vm, e, name, &v)) return v;
    return descr_bind(vm, attr, self, t);
  }
  if (e->dict) {
    v = dict_get_str(vm, e->dict, name);
    if (!IS_UNDEF(v)) return v;
  }
  if (!IS_UNDEF(attr)) return descr_bind(vm, attr, self, t);
  return no_attribute(vm, self, name);
}

static Value exc_getattr(VM *vm, Value self, StrObj *name) {
  Value v = exc_lookup(vm, self, name);
  Type *t = AS_OBJ(self)->type;
  /* a user __getattr__: class.c leaves it to a builtin base's getattr */
  if (IS_UNDEF(v) && (t->flags & TF_HAS_GETATTR) && exc_pending_matches(vm, EXC(vm, AttributeError))) {
    Value ga = type_lookup(vm, t, NAME(vm, __getattr__));
    if (!IS_UNDEF(ga)) {
      exc_clear(vm);
      return obj_call2(vm, ga, self, v_obj(name));
    }
  }
  return v;
}

static int exc_setattr(VM *vm, Value self, StrObj *name, Value value) {
  ExcObj *e = AS_EXC(self);
  Type *t = e->obj.type;
  if (!(t->flags & TF_HEAP)) {
    int r = special_set(vm, e, name, value);
    if (r != 0) return r < 0 ? -1 : 0;
  }
  Value attr = type_lookup(vm, t, name);
  if (IS_KIND(attr, K_PROPERTY)) {
    PropertyObj *p = (PropertyObj *)AS_OBJ(attr);
    Value fn = IS_UNDEF(value) ? p->fdel : p->fset;
    if (IS_NONE(fn) || IS_UNDEF(fn)) {
      exc_raise(vm, EXC(vm, AttributeError), "property '%U' of '%U' object has no %s", name, t->name,
                IS_UNDEF(value) ? "deleter" : "setter");
      return -1;
    }
    Value r = IS_UNDEF(value) ? obj_call1(vm, fn, self) : obj_call2(vm, fn, self, value);
    return IS_UNDEF(r) ? -1 : 0;
  }
  if (name_is(name, NAME(vm, __dict__))) {
    if (!IS_DICT(value)) {
      exc_type_error(vm, "__dict__ must be set to a dictionary, not a '%T'", value);
      return -1;
    }
    e->dict = AS_DICT(value);
    return 0;
  }
  if (IS_UNDEF(value)) {
    int r = e->dict ? dict_del(vm, e->dict, v_obj(name)) : 0;
    if (r < 0) return -1;
    if (r == 0) {
      no_attribute(vm, self, name);
      return -1;
    }
    return 0;
  }
  if (!e->dict && !(e->dict = dict_new(vm))) return -1;
  return dict_set_str(vm, e->dict, name, value);
}

/* ---- methods and descriptors in the class dicts ---- */

static ExcObj *self_exc(VM *vm, Value *args, int nargs, const char *meth) {
  if (nargs < 1 || !IS_EXC(args[0])) {
    exc_type_error(vm, "descriptor '%s' requires a 'BaseException' object but received a '%s'", meth,
                   nargs < 1 ? "NoneType" : obj_type_name(vm, args[0]));
    return NULL;
  }
  return AS_EXC(args[0]);
}

/* BaseException.__init__(self, *args) */
static Value m_init(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ExcObj *e = self_exc(vm, args, nargs, "__init__");
  if (!e) return V_UNDEF;
  TupleObj *t = tuple_from(vm, args + 1, nargs - 1);
  if (!t) return V_UNDEF;
  if (exc_set_args(vm, e, t) < 0) return V_UNDEF;
  if (exc_set_kwargs(vm, e, args + nargs, kwnames) < 0) return V_UNDEF;
  return V_NONE;
}

/* BaseException.__new__(cls, *args, **kwargs): for a user __new__ that
** calls super().__new__(cls, ...) */
static Value m_new(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (nargs < 1) return exc_type_error(vm, "BaseException.__new__(): not enough arguments");
  if (!IS_TYPE(args[0]))
    return exc_type_error(vm, "BaseException.__new__(X): X is not a type object (%T)", args[0]);
  Type *t = AS_TYPE(args[0]);
  if (!type_is_subtype(t, EXC(vm, BaseException)))
    return exc_type_error(vm, "BaseException.__new__(%U): %U is not a subtype of BaseException", t->name, t->name);
  TupleObj *a = tuple_from(vm, args + 1, nargs - 1);
  if (!a) return V_UNDEF;
  ExcObj *e = exc_new(vm, t, a);
  return e ? v_obj(e) : V_UNDEF;
}

static Value m_str(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ExcObj *e = self_exc(vm, args, nargs, "__str__");
  if (!e || arg_no_kwargs(vm, "__str__", kwnames) < 0) return V_UNDEF;
  return exc_builtin_str(vm, e);
}

static Value m_repr(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ExcObj *e = self_exc(vm, args, nargs, "__repr__");
  if (!e || arg_no_kwargs(vm, "__repr__", kwnames) < 0) return V_UNDEF;
  return exc_repr(vm, args[0]);
}

static Value m_with_traceback(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ExcObj *e = self_exc(vm, args, nargs, "with_traceback");
  if (!e || arg_no_kwargs(vm, "with_traceback", kwnames) < 0) return V_UNDEF;
  if (nargs != 2) return exc_type_error(vm, "BaseException.with_traceback() takes exactly one argument (%d given)", nargs - 1);
  if (set_traceback(vm, e, args[1]) < 0) return V_UNDEF;
  return args[0];
}

static Value m_add_note(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  ExcObj *e = self_exc(vm, args, nargs, "add_note");
  if (!e || arg_no_kwargs(vm, "add_note", kwnames) < 0) return V_UNDEF;
  if (nargs != 2) return exc_type_error(vm, "BaseException.add_note() takes exactly one argument (%d given)", nargs - 1);
  if (!IS_STR(args[1])) return exc_type_error(vm, "note must be a str, not '%T'", args[1]);
  StrObj *key = str_intern_cstr(vm, "__notes__");
  if (!key) return V_UNDEF;
  Value notes = obj_getattr_opt(vm, args[0], key);
  if (IS_UNDEF(notes)) {
    if (vm->curexc) return V_UNDEF;
    Value l = obj_call0(vm, v_obj(vm->t_list));
    if (IS_UNDEF(l)) return V_UNDEF;
    gc_push_root(vm, l);
    int rc = obj_setattr(vm, args[0], key, l);
    gc_pop_roots(vm, 1);
    if (rc < 0) return V_UNDEF;
    notes = l;
  }
  if (!IS_KIND(notes, K_LIST)) return exc_type_error(vm, "Cannot add note: __notes__ is not a list");
  Value r = obj_call_method(vm, notes, "append", &args[1], 1);
  return IS_UNDEF(r) ? V_UNDEF : V_NONE;
}

/* getter/setter of a C-served attribute exposed as a property; the
** attribute's name is the native function's data */
static Value m_attr_get(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  (void)kwnames;
  StrObj *name = AS_STR(native_data(vm));
  ExcObj *e = self_exc(vm, args, nargs, STR_CSTR(name));
  if (!e) return V_UNDEF;
  Value v;
  if (special_get(vm, e, name, &v)) return v;
  return no_attribute(vm, args[0], name);
}

static Value m_attr_set(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  (void)kwnames;
  StrObj *name = AS_STR(native_data(vm));
  ExcObj *e = self_exc(vm, args, nargs, STR_CSTR(name));
  if (!e) return V_UNDEF;
  int r = special_set(vm, e, name, nargs > 1 ? args[1] : V_UNDEF);
  if (r < 0) return V_UNDEF;
  if (r == 0) return no_attribute(vm, args[0], name);
  return V_NONE;
}

static Value m_attr_del(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  (void)kwnames;
  return m_attr_set(vm, args, nargs < 1 ? nargs : 1, NULL);
}

/* A property in t's dict whose getter/setter are served by C, so that the
** attribute works through any generic attribute lookup (user subclasses). */
static void define_attr(VM *vm, Type *t, const char *name) {
  StrObj *key = str_intern_cstr(vm, name);
  NativeObj *get = native_new(vm, name, m_attr_get, 0);
  NativeObj *set = native_new(vm, name, m_attr_set, 0);
  NativeObj *del = native_new(vm, name, m_attr_del, 0);
  if (!key || !get || !set || !del) return;
  get->data = set->data = del->data = v_obj(key);
  PropertyObj *p = property_new(vm, v_obj(get), v_obj(set), v_obj(del), V_NONE);
  if (p) dict_set_str(vm, t->dict, key, v_obj(p));
}

static void define_family_attrs(VM *vm, Type *t, const char *const *names) {
  for (; *names; names++) define_attr(vm, t, *names);
}

/* ---- traceback objects ---- */

static Value tb_getattr(VM *vm, Value self, StrObj *name) {
  TracebackObj *tb = (TracebackObj *)AS_OBJ(self);
  const char *n = STR_CSTR(name);
  if (strcmp(n, "tb_next") == 0) return tb->next ? v_obj(tb->next) : V_NONE;
  if (strcmp(n, "tb_lineno") == 0) return v_int(tb->line);
  if (strcmp(n, "tb_lasti") == 0) return v_int((int64_t)tb->instr * 2);
  if (strcmp(n, "tb_frame") == 0) return V_NONE;
  if (name_is(name, NAME(vm, __class__))) return v_obj(tb->obj.type);
  Value attr = type_lookup(vm, tb->obj.type, name);
  if (!IS_UNDEF(attr)) return descr_bind(vm, attr, self, tb->obj.type);
  return no_attribute(vm, self, name);
}

static int tb_setattr(VM *vm, Value self, StrObj *name, Value value) {
  TracebackObj *tb = (TracebackObj *)AS_OBJ(self);
  if (strcmp(STR_CSTR(name), "tb_next") == 0 && !IS_UNDEF(value)) {
    if (IS_NONE(value)) {
      tb->next = NULL;
      return 0;
    }
    if (!IS_KIND(value, K_TRACEBACK)) {
      exc_type_error(vm, "expected traceback object or None, got '%T'", value);
      return -1;
    }
    for (TracebackObj *p = (TracebackObj *)AS_OBJ(value); p; p = p->next)
      if (p == tb) {
        exc_value_error(vm, "traceback loop detected");
        return -1;
      }
    tb->next = (TracebackObj *)AS_OBJ(value);
    return 0;
  }
  if (strncmp(STR_CSTR(name), "tb_", 3) == 0) {
    exc_raise(vm, EXC(vm, AttributeError), "attribute '%U' of 'traceback' objects is not writable", name);
    return -1;
  }
  no_attribute(vm, self, name);
  return -1;
}

static Value tb_repr(VM *vm, Value self) {
  StrObj *s = str_format_c(vm, "<traceback object at %p>", (void *)AS_OBJ(self));
  return s ? v_obj(s) : V_UNDEF;
}

/* ---- SyntaxError from the parser/compiler ---- */

/* line `lineno` (1-based) of src, with its newline when it has one */
static Value source_line(VM *vm, const char *src, size_t len, int lineno) {
  if (!src || lineno < 1) return V_NONE;
  size_t pos = 0;
  for (int l = 1; l < lineno; l++) {
    const char *nl = memchr(src + pos, '\n', len - pos);
    if (!nl) return V_NONE;
    pos = (size_t)(nl - src) + 1;
  }
  if (pos >= len) return V_NONE;
  const char *nl = memchr(src + pos, '\n', len - pos);
  size_t end = nl ? (size_t)(nl - src) + 1 : len;
  const char *line = src + pos;
  size_t n = end - pos;
  if (!utf8_valid(line, n)) return V_NONE;
  StrObj *s = str_new(vm, line, n);
  return s ? v_obj(s) : V_UNDEF;
}

Value exc_raise_syntax(VM *vm, const struct SyntaxErrorInfo *info, const char *filename, const char *src,
                       size_t srclen) {
  Type *type = info->kind == 2 ? EXC(vm, TabError) : info->kind == 1 ? EXC(vm, IndentationError)
                                                                     : EXC(vm, SyntaxError);
  StrObj *msg = str_from_cstr(vm, info->msg);
  StrObj *fname = str_from_bytes_lossy(vm, filename ? filename : "<string>");
  Value text = source_line(vm, src, srclen, info->line);
  if (!msg || !fname || IS_UNDEF(text)) return V_UNDEF;
  int end_line = info->end_line > 0 ? info->end_line : info->line;
  TupleObj *loc = tuple_pack(vm, 6, v_obj(fname), v_int(info->line), v_int(info->col), text,
                             v_int(end_line), v_int(info->end_col));
  if (!loc) return V_UNDEF;
  TupleObj *args = tuple_pack(vm, 2, v_obj(msg), v_obj(loc));
  if (!args) return V_UNDEF;
  ExcObj *e = exc_new(vm, type, args);
  if (!e) return V_UNDEF;
  return exc_raise_obj(vm, e);
}

/* ---- set-up and GC ---- */

static void set_exc_slots(Type *t) {
  t->repr = exc_repr;
  t->str = exc_str_slot;
  t->hash = identity_hash;
  t->getattr = exc_getattr;
  t->setattr = exc_setattr;
  t->construct = exc_construct;
}

static void make_traceback_type(VM *vm) {
  Type *t = type_new_builtin(vm, "traceback", NULL, K_TRACEBACK, 0);
  if (!t) return;
  t->repr = tb_repr;
  t->hash = identity_hash;
  t->getattr = tb_getattr;
  t->setattr = tb_setattr;
  vm->t_traceback = t;
}

static void define_base_methods(VM *vm, Type *base) {
  define_native(vm, base->dict, "__new__", m_new, NATIVE_STATIC);
  define_native(vm, base->dict, "__init__", m_init, NATIVE_METHOD);
  define_native(vm, base->dict, "__str__", m_str, NATIVE_METHOD);
  define_native(vm, base->dict, "__repr__", m_repr, NATIVE_METHOD);
  define_native(vm, base->dict, "with_traceback", m_with_traceback, NATIVE_METHOD);
  define_native(vm, base->dict, "add_note", m_add_note, NATIVE_METHOD);
  static const char *const common[] = {"args", "__context__", "__cause__", "__suppress_context__",
                                       "__traceback__", NULL};
  define_family_attrs(vm, base, common);
}

static void define_family_descriptors(VM *vm) {
  static const char *const stop[] = {"value", NULL};
  static const char *const code[] = {"code", NULL};
  define_family_attrs(vm, EXC(vm, StopIteration), stop);
  define_family_attrs(vm, EXC(vm, SystemExit), code);
  define_family_attrs(vm, EXC(vm, OSError), os_attrs);
  define_family_attrs(vm, EXC(vm, SyntaxError), syntax_attrs);
  define_family_attrs(vm, EXC(vm, ImportError), import_attrs);
  define_family_attrs(vm, EXC(vm, NameError), name_attrs);
  define_family_attrs(vm, EXC(vm, AttributeError), attr_attrs);
}

/* The MemoryError raised when an allocation fails: made now, so raising it
** never allocates (see exc_no_memory). */
static void preallocate_memory_error(VM *vm) {
  ExcObj *e = exc_new(vm, EXC(vm, MemoryError), NULL);
  if (!e) return;
  vm->exc_types[EXC__COUNT] = (Type *)(void *)e;
  dict_set_cstr(vm, EXC(vm, MemoryError)->dict, "<preallocated MemoryError>", v_obj(e));
}

void exc_types_init(VM *vm) {
  static const struct { const char *name; int base; } classes[] = {
#define WY_EXC_ROW(name, base) {#name, EXC_##base},
    WY_EXC_LIST(WY_EXC_ROW)
#undef WY_EXC_ROW
  };
  Type **types = gc_malloc(vm, EXC_TYPES_ALLOC_SIZE);
  if (!types) return;
  memset(types, 0, EXC_TYPES_ALLOC_SIZE);
  vm->exc_types = types;
  for (int i = 0; i < EXC__COUNT; i++) {
    Type *base = i == EXC_BaseException ? NULL : types[classes[i].base];
    Type *t = type_new_builtin(vm, classes[i].name, base, K_EXC, TF_BASETYPE | TF_EXCEPTION);
    if (!t) return;
    set_exc_slots(t);
    types[i] = t;
  }
  define_base_methods(vm, EXC(vm, BaseException));
  define_family_descriptors(vm);
  make_traceback_type(vm);
  preallocate_memory_error(vm);
}

void exc_trace(VM *vm, Obj *o) {
  if (o->kind == K_TRACEBACK) {
    TracebackObj *tb = (TracebackObj *)o;
    gc_mark_obj(vm, (Obj *)tb->next);
    gc_mark_obj(vm, (Obj *)tb->code);
    return;
  }
  ExcObj *e = (ExcObj *)o;
  gc_mark_obj(vm, (Obj *)e->dict);
  gc_mark_obj(vm, (Obj *)e->args);
  gc_mark_value(vm, e->context);
  gc_mark_value(vm, e->cause);
  gc_mark_obj(vm, (Obj *)e->traceback);
  gc_mark_value(vm, e->value);
}

void exc_free(VM *vm, Obj *o) {
  /* an exception owns no raw buffers: its dict, args and traceback are
  ** GC objects of their own */
  (void)vm;
  (void)o;
}
