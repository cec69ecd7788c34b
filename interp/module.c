/* module.c — module objects, the registry of C modules, and `import`.
**
** Where `import m` looks, in order (module.h):
**   1. sys.modules (vm->modules), so a module runs once per interpreter;
**   2. the C modules registered with module_register (stdlib/, embedders);
**   3. m.wy, then m.py, in each directory of sys.path ('' = the current
**      directory). sys.path[0] is the main script's directory.
** A module enters sys.modules BEFORE its code (or C init) runs, so an
** import cycle sees the partial module instead of looping; if the code
** fails, the module is taken out again and the error propagates.
**
** There are no packages: a dotted name `a.b` is the C module registered
** as "a.b", stored as attribute `b` of `a` (enough for `import os.path`).
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "module.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "tuple.h"
#include "list.h"
#include "dict.h"
#include "func.h"
#include "type.h"
#include "exc.h"

/* ModuleObj obj.flags */
enum {
  MODULE_INITIALIZING = 1 << 0, /* its code (or C init) is still running */
  MODULE_BUILTIN = 1 << 1       /* a C module (repr says "(built-in)") */
};

/* ---- module objects ---- */

ModuleObj *module_new(VM *vm, const char *name) {
  StrObj *iname = str_intern_cstr(vm, name);
  if (!iname) return NULL;
  ModuleObj *m = gc_alloc_obj(vm, sizeof *m, K_MODULE, vm->t_module);
  if (!m) return NULL;
  m->name = iname;
  m->dict = dict_new(vm);
  if (!m->dict) return NULL;
  if (dict_set_str(vm, m->dict, NAME(vm, __name__), v_obj(iname)) < 0 ||
      dict_set_str(vm, m->dict, NAME(vm, __doc__), V_NONE) < 0)
    return NULL;
  return m;
}

/* the name a module reports in its repr and errors: __name__, else '?' */
static Value module_display_name(VM *vm, ModuleObj *m) {
  Value n = dict_get_str(vm, m->dict, NAME(vm, __name__));
  if (IS_STR(n)) return n;
  StrObj *q = str_from_cstr(vm, "?");
  return q ? v_obj(q) : V_UNDEF;
}

static Value module_repr(VM *vm, Value self) {
  ModuleObj *m = AS_MODULE(self);
  Value name = module_display_name(vm, m);
  if (IS_UNDEF(name)) return V_UNDEF;
  Value file = dict_get_str(vm, m->dict, NAME(vm, __file__));
  StrObj *s;
  if (IS_STR(file))
    s = str_format_c(vm, "<module %R from %R>", name, file);
  else if ((m->obj.flags & MODULE_BUILTIN) || m->name == NAME(vm, __main__))
    s = str_format_c(vm, "<module %R (built-in)>", name); /* __main__ of -c / stdin, as CPython */
  else
    s = str_format_c(vm, "<module %R>", name);
  return s ? v_obj(s) : V_UNDEF;
}

/* modules hash by identity, like every object without __eq__ */
static int module_hash(VM *vm, Value self, int64_t *out) {
  *out = (int64_t)((uintptr_t)AS_OBJ(self) >> 4);
  return 0;
}

static Value raise_no_attribute(VM *vm, ModuleObj *m, StrObj *name) {
  Value mname = module_display_name(vm, m);
  if (IS_UNDEF(mname)) return V_UNDEF;
  if (m->obj.flags & MODULE_INITIALIZING)
    return exc_raise(vm, EXC(vm, AttributeError),
                     "partially initialized module %R has no attribute '%U' "
                     "(most likely due to a circular import)", mname, name);
  return exc_raise(vm, EXC(vm, AttributeError), "module %R has no attribute '%U'", mname, name);
}

/* Attributes the module's dict doesn't have: __dict__, __class__, what the
** module type (and object) define, then a module-level __getattr__ (PEP 562). */
static Value module_getattr_slow(VM *vm, ModuleObj *m, StrObj *name) {
  Value self = v_obj(m);
  if (name == NAME(vm, __dict__)) return v_obj(m->dict);
  if (name == NAME(vm, __class__)) return v_obj(m->obj.type);
  Value attr = type_lookup(vm, m->obj.type, name);
  if (!IS_UNDEF(attr)) return descr_bind(vm, attr, self, m->obj.type);
  Value hook = dict_get_str(vm, m->dict, NAME(vm, __getattr__));
  if (!IS_UNDEF(hook)) return obj_call1(vm, hook, v_obj(name));
  return raise_no_attribute(vm, m, name);
}

static Value module_getattr(VM *vm, Value self, StrObj *name) {
  Value v = dict_get_str(vm, AS_MODULE(self)->dict, name);
  if (!IS_UNDEF(v)) return v;
  return module_getattr_slow(vm, AS_MODULE(self), name);
}

static int module_setattr(VM *vm, Value self, StrObj *name, Value value) {
  ModuleObj *m = AS_MODULE(self);
  if (name == NAME(vm, __dict__) || name == NAME(vm, __class__)) {
    exc_raise(vm, EXC(vm, AttributeError), "readonly attribute");
    return -1;
  }
  if (!IS_UNDEF(value)) return dict_set_str(vm, m->dict, name, value);
  int rc = dict_del(vm, m->dict, v_obj(name));
  if (rc == 0) {
    exc_raise(vm, EXC(vm, AttributeError), "'module' object has no attribute '%U'", name);
    return -1;
  }
  return rc < 0 ? -1 : 0;
}

/* type(sys)(name, doc=None): a new, empty module */
static Value module_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"name", "doc", NULL};
  Value a[2];
  if (arg_parse(vm, "module", args, nargs, kwnames, names, 1, a) < 0) return V_UNDEF;
  if (!IS_STR(a[0]))
    return exc_type_error(vm, "module() argument 'name' must be str, not %T", a[0]);
  ModuleObj *m = module_new(vm, STR_CSTR(AS_STR(a[0])));
  if (!m) return V_UNDEF;
  m->obj.type = type;
  if (!IS_UNDEF(a[1]) && dict_set_str(vm, m->dict, NAME(vm, __doc__), a[1]) < 0) return V_UNDEF;
  return v_obj(m);
}

void module_types_init(VM *vm) {
  Type *t = type_new_builtin(vm, "module", NULL, K_MODULE, TF_BASETYPE);
  if (!t) return;
  vm->t_module = t;
  t->repr = module_repr;
  t->hash = module_hash;
  t->getattr = module_getattr;
  t->setattr = module_setattr;
  t->construct = module_construct;
}

void module_trace(VM *vm, Obj *o) {
  ModuleObj *m = (ModuleObj *)o;
  gc_mark_obj(vm, (Obj *)m->name);
  gc_mark_obj(vm, (Obj *)m->dict);
}

void module_free(VM *vm, Obj *o) {
  (void)vm;
  (void)o; /* the name and dict are GC objects of their own */
}

/* ---- the registry of C modules ---- */

static ModuleDef *find_def(VM *vm, const char *name) {
  for (int i = 0; i < vm->nmodule_defs; i++)
    if (strcmp(vm->module_defs[i].name, name) == 0) return &vm->module_defs[i];
  return NULL;
}

int module_register(VM *vm, const char *name, int (*init)(VM *vm, ModuleObj *m)) {
  ModuleDef *def = find_def(vm, name);
  if (def) { /* registering again replaces: an embedder may override a stdlib module */
    def->init = init;
    return 0;
  }
  if (vm->nmodule_defs == vm->cap_module_defs) {
    int cap = vm->cap_module_defs ? vm->cap_module_defs * 2 : 16;
    ModuleDef *defs = gc_realloc(vm, vm->module_defs,
                                 (size_t)vm->cap_module_defs * sizeof *defs,
                                 (size_t)cap * sizeof *defs);
    if (!defs) return -1;
    vm->module_defs = defs;
    vm->cap_module_defs = cap;
  }
  vm->module_defs[vm->nmodule_defs++] = (ModuleDef){.name = name, .init = init};
  return 0;
}

/* ---- import errors ---- */

static Value raise_import_error(VM *vm, Type *type, StrObj *msg, StrObj *modname, Value path) {
  TupleObj *args = tuple_pack(vm, 1, v_obj(msg));
  ExcObj *e = args ? exc_new(vm, type, args) : NULL;
  if (!e) return V_UNDEF;
  gc_push_root(vm, v_obj(e));
  int rc = modname ? obj_setattr(vm, v_obj(e), NAME(vm, name), v_obj(modname)) : 0;
  if (rc == 0 && !IS_UNDEF(path)) rc = obj_setattr(vm, v_obj(e), str_intern_cstr(vm, "path"), path);
  gc_pop_roots(vm, 1);
  if (rc < 0) return V_UNDEF;
  return exc_raise_obj(vm, e);
}

/* ModuleNotFoundError "No module named 'x'"; for a dotted name whose
** parent was found, "No module named 'a.b'; 'a' is not a package" (withy
** has no packages: even os, with its registered os.path, is a plain
** module, as CPython's os is) */
static Value raise_not_found(VM *vm, StrObj *fullname, StrObj *parent) {
  StrObj *msg = parent
                    ? str_format_c(vm, "No module named '%U'; '%U' is not a package", fullname, parent)
                    : str_format_c(vm, "No module named '%U'", fullname);
  if (!msg) return V_UNDEF;
  return raise_import_error(vm, EXC(vm, ModuleNotFoundError), msg, fullname, V_UNDEF);
}

/* ---- loading ---- */

/* Take a failed module out of sys.modules; the pending exception stays. */
static void forget_module(VM *vm, StrObj *name) {
  Obj *pending = vm->curexc;
  vm->curexc = NULL;
  if (dict_del(vm, vm->modules, v_obj(name)) < 0) exc_clear(vm);
  vm->curexc = pending;
}

static Value load_c_module(VM *vm, StrObj *name, ModuleDef *def) {
  /* the registry may grow while init runs: copy the function pointer first */
  int (*init)(VM *, ModuleObj *) = def->init;
  ModuleObj *m = module_new(vm, STR_CSTR(name));
  if (!m) return V_UNDEF;
  if (dict_set_str(vm, vm->modules, name, v_obj(m)) < 0) return V_UNDEF;
  m->obj.flags |= MODULE_INITIALIZING | MODULE_BUILTIN;
  int rc = init(vm, m);
  m->obj.flags &= (uint16_t)~MODULE_INITIALIZING;
  if (rc < 0) {
    if (!exc_pending(vm))
      exc_raise(vm, EXC(vm, ImportError), "initialization of %s failed", STR_CSTR(name));
    forget_module(vm, name);
    return V_UNDEF;
  }
  if (strcmp(STR_CSTR(name), "sys") == 0) vm->sys_module = m;
  return v_obj(m);
}

/* `import builtins`: a module object over the builtins dict itself */
static Value load_builtins_module(VM *vm, StrObj *name) {
  ModuleObj *m = module_new(vm, STR_CSTR(name));
  if (!m) return V_UNDEF;
  m->dict = vm->builtins;
  m->obj.flags |= MODULE_BUILTIN;
  if (dict_set_str(vm, m->dict, NAME(vm, __name__), v_obj(name)) < 0 ||
      dict_set_str(vm, vm->modules, name, v_obj(m)) < 0)
    return V_UNDEF;
  return v_obj(m);
}

/* Whole file into a malloc'd, NUL-terminated buffer; NULL + errno on failure. */
static char *read_source(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      errno = ENOMEM;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  int err = ferror(f) ? errno : 0;
  fclose(f);
  if (buf && err) {
    free(buf);
    errno = err;
    return NULL;
  }
  if (buf) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}

static bool is_regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir + "/" + name + ext, malloc'd; '' means the current directory (made
** absolute, as CPython's path finder reports __file__) */
static char *join_candidate(const char *dir, const char *name, const char *ext) {
  char cwd[4096];
  if (dir[0] == '\0') {
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    dir = cwd;
  }
  size_t n = strlen(dir) + 1 + strlen(name) + strlen(ext) + 1;
  char *path = malloc(n);
  if (path) snprintf(path, n, "%s%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name, ext);
  return path;
}

/* sys.path as the search list; the current directory when sys is absent */
static ListObj *search_path(VM *vm) {
  ModuleObj *sys = vm->sys_module;
  if (!sys) return NULL;
  Value p = dict_get_cstr(vm, sys->dict, "path");
  return IS_LIST(p) ? AS_LIST(p) : NULL;
}

/* the first name.wy / name.py on the search path, malloc'd; NULL if none */
static char *find_source(VM *vm, const char *name) {
  static const char *const exts[] = {".wy", ".py"};
  ListObj *dirs = search_path(vm);
  int64_t ndirs = dirs ? dirs->len : 1;
  for (int64_t i = 0; i < ndirs; i++) {
    const char *dir = "";
    if (dirs) {
      if (i >= dirs->len || !IS_STR(dirs->items[i])) continue;
      dir = STR_CSTR(AS_STR(dirs->items[i]));
    }
    for (int k = 0; k < 2; k++) {
      char *path = join_candidate(dir, name, exts[k]);
      if (path && is_regular_file(path)) return path;
      free(path);
    }
  }
  return NULL;
}

/* Run name.wy/.py as a module; V_UNDEF without an exception when no file */
static Value load_user_module(VM *vm, StrObj *name) {
  char *path = find_source(vm, STR_CSTR(name));
  if (!path) return V_UNDEF;
  size_t len = 0;
  char *src = read_source(path, &len);
  if (!src) {
    exc_raise_errno(vm, errno, path);
    free(path);
    return V_UNDEF;
  }
  Value result = V_UNDEF;
  ModuleObj *m = module_new(vm, STR_CSTR(name));
  StrObj *file = m ? str_from_cstr(vm, path) : NULL;
  if (file && dict_set_str(vm, m->dict, NAME(vm, __file__), v_obj(file)) == 0 &&
      dict_set_str(vm, vm->modules, name, v_obj(m)) == 0) {
    m->obj.flags |= MODULE_INITIALIZING;
    int rc = vm_exec_source(vm, src, len, path, m, 0);
    m->obj.flags &= (uint16_t)~MODULE_INITIALIZING;
    if (rc < 0) {
      forget_module(vm, name);
    } else {
      /* a module may replace itself in sys.modules; the import gets that */
      result = dict_get_str(vm, vm->modules, name);
      if (IS_UNDEF(result)) result = v_obj(m);
    }
  }
  free(src);
  free(path);
  return result;
}

/* Import one level: `fullname`, whose parent module (for a dotted name) is
** `parent` named `parent_name`. */
static Value import_one(VM *vm, StrObj *fullname, Value parent, StrObj *parent_name) {
  Value m = dict_get_str(vm, vm->modules, fullname);
  if (!IS_UNDEF(m)) {
    if (IS_NONE(m)) {
      StrObj *msg = str_format_c(vm, "import of %U halted; None in sys.modules", fullname);
      return msg ? raise_import_error(vm, EXC(vm, ModuleNotFoundError), msg, fullname, V_UNDEF)
                 : V_UNDEF;
    }
    return m;
  }
  ModuleDef *def = find_def(vm, STR_CSTR(fullname));
  if (def) {
    m = load_c_module(vm, fullname, def);
  } else if (!parent_name && strcmp(STR_CSTR(fullname), "builtins") == 0) {
    m = load_builtins_module(vm, fullname);
  } else if (!parent_name) {
    m = load_user_module(vm, fullname);
    if (IS_UNDEF(m) && !exc_pending(vm)) return raise_not_found(vm, fullname, NULL);
  } else {
    return raise_not_found(vm, fullname, parent_name);
  }
  if (IS_UNDEF(m) || !parent_name) return m;
  /* a submodule becomes an attribute of its parent */
  const char *child = STR_CSTR(fullname) + parent_name->len + 1;
  StrObj *cname = str_intern_cstr(vm, child);
  if (!cname) return V_UNDEF;
  gc_push_root(vm, m);
  int rc = obj_setattr(vm, parent, cname, m);
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : m;
}

static bool fromlist_nonempty(Value fromlist) {
  if (IS_TUPLE(fromlist)) return AS_TUPLE(fromlist)->len > 0;
  if (IS_LIST(fromlist)) return AS_LIST(fromlist)->len > 0;
  return false;
}

/* `import a.b.c`: import a, then a.b, then a.b.c; the statement binds `a`
** (the top) unless it is a `from a.b import x` (fromlist non-empty). */
static Value import_dotted(VM *vm, StrObj *name, Value fromlist) {
  const char *full = STR_CSTR(name);
  Value top = V_UNDEF, parent = V_UNDEF;
  StrObj *parent_name = NULL;
  int pushed = 0;
  for (const char *end = full;; end++) {
    if (*end != '.' && *end != '\0') continue;
    if (end == full || end[-1] == '.') { /* "a..b", ".a", "a." */
      gc_pop_roots(vm, pushed);
      return raise_not_found(vm, name, NULL);
    }
    StrObj *prefix = *end ? str_intern(vm, full, (size_t)(end - full)) : name;
    Value m = prefix ? import_one(vm, prefix, parent, parent_name) : V_UNDEF;
    if (IS_UNDEF(m)) {
      gc_pop_roots(vm, pushed);
      return V_UNDEF;
    }
    gc_push_root(vm, m);
    pushed++;
    if (IS_UNDEF(top)) top = m;
    parent = m;
    parent_name = prefix;
    if (!*end) break;
  }
  gc_pop_roots(vm, pushed);
  return fromlist_nonempty(fromlist) ? parent : top;
}

Value module_import(VM *vm, StrObj *name, Value fromlist) {
  Value m = dict_get_str(vm, vm->modules, name);
  if (!IS_UNDEF(m) && !IS_NONE(m) && !strchr(STR_CSTR(name), '.')) return m;
  if (strchr(STR_CSTR(name), '.') || name->len == 0) return import_dotted(vm, name, fromlist);
  return import_one(vm, name, V_UNDEF, NULL);
}

/* `from m import x` when m has no attribute x: maybe x is a submodule
** ("m.x"), else ImportError with CPython 3.11's wording. */
Value module_import_from(VM *vm, Value module, StrObj *name) {
  Value v = obj_getattr_opt(vm, module, name);
  if (!IS_UNDEF(v) || exc_pending(vm)) return v;
  if (!IS_MODULE(module))
    return exc_raise(vm, EXC(vm, ImportError), "cannot import name '%U'", name);
  ModuleObj *m = AS_MODULE(module);
  Value mname = dict_get_str(vm, m->dict, NAME(vm, __name__));
  if (IS_STR(mname)) {
    StrObj *sub = str_format_c(vm, "%U.%U", AS_STR(mname), name);
    if (!sub) return V_UNDEF;
    if (!IS_UNDEF(dict_get_str(vm, vm->modules, sub)) || find_def(vm, STR_CSTR(sub))) {
      gc_push_root(vm, v_obj(sub));
      Value r = import_dotted(vm, sub, V_NONE);
      gc_pop_roots(vm, 1);
      if (IS_UNDEF(r)) return r;
      return dict_get_str(vm, vm->modules, sub);
    }
  } else {
    mname = V_UNDEF;
  }
  Value file = dict_get_str(vm, m->dict, NAME(vm, __file__));
  const char *partial = (m->obj.flags & MODULE_INITIALIZING)
                            ? "partially initialized module " : "";
  const char *cycle = (m->obj.flags & MODULE_INITIALIZING)
                          ? " (most likely due to a circular import)" : "";
  StrObj *msg;
  if (IS_UNDEF(mname))
    msg = str_format_c(vm, "cannot import name '%U' from %s'<unknown module name>' (unknown location)",
                       name, partial);
  else if (IS_STR(file))
    msg = str_format_c(vm, "cannot import name '%U' from %s%R%s (%S)", name, partial, mname, cycle, file);
  else
    msg = str_format_c(vm, "cannot import name '%U' from %s%R%s (unknown location)", name, partial,
                       mname, cycle);
  if (!msg) return V_UNDEF;
  return raise_import_error(vm, EXC(vm, ImportError), msg, IS_STR(mname) ? AS_STR(mname) : NULL,
                            IS_STR(file) ? file : V_UNDEF);
}

/* sys.path[0] := dir, made absolute with symlinks resolved (as CPython
** does for the script's directory) */
void module_set_search_dir(VM *vm, const char *dir) {
  if (!vm->sys_module) return;
  char *abs = realpath(dir, NULL);
  StrObj *s = str_from_cstr(vm, abs ? abs : dir);
  free(abs);
  if (!s) {
    exc_clear(vm);
    return;
  }
  ListObj *path = search_path(vm);
  if (path && path->len > 0) {
    path->items[0] = v_obj(s);
    return;
  }
  if (path) {
    if (list_append(vm, path, v_obj(s)) < 0) exc_clear(vm);
    return;
  }
  gc_push_root(vm, v_obj(s));
  ListObj *l = list_new(vm, 1);
  if (!l || list_append(vm, l, v_obj(s)) < 0 ||
      dict_set_cstr(vm, vm->sys_module->dict, "path", v_obj(l)) < 0)
    exc_clear(vm);
  gc_pop_roots(vm, 1);
}
