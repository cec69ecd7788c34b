/* api.c — the embedding API of withy.h, built on the internal modules.
**
** The one idea to know: a wy_Value handed to C is rooted in the "API
** scope" (vm->api_scope) until the C function that received or created it
** returns; the trampoline that calls a C function made with wy_function
** truncates the scope back when it returns. Values that must live longer
** are pinned (wy_pin), which links them into a list the GC marks.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "withy.h"
#include "vm.h"
#include "gc.h"
#include "str.h"
#include "bytes.h"
#include "tuple.h"
#include "list.h"
#include "dict.h"
#include "func.h"
#include "type.h"
#include "exc.h"
#include "module.h"
#include "gen.h"
#include "trace.h"
#include "api_internal.h"
#include "async.h"
#include "../stdlib/stdlib.h"

_Static_assert(sizeof(wy_Value) == sizeof(Value), "wy_Value must mirror Value");
_Static_assert(offsetof(wy_Value, u_) == offsetof(Value, u), "wy_Value must mirror Value");
_Static_assert(sizeof(((wy_Value *)0)->tag_) == sizeof(((Value *)0)->tag), "wy_Value must mirror Value");

struct wy_Pin {
  Value value;
  struct wy_Pin *prev, *next;
};

/* A C function made through the API: what the trampoline needs to call it */
typedef struct ApiFunction {
  wy_CFunction fn;
  void *userdata;
} ApiFunction;

/* The C side of an instance of a wy_class class: its wy_new_instance /
** wy_set_instance_data payload and its wy_class_slots Values. It lives in
** the same allocation as the ForeignObj, right after it. */
typedef struct ApiBox {
  void *data;
  wy_Finalizer finalize;
  int nslots;
  Value slots[];
} ApiBox;

/* C modules registered through wy_register_module */
typedef struct ApiModule {
  char *name;
  wy_ModuleInit init;
  struct ApiModule *next;
} ApiModule;

/* per-VM API state, hung off vm->host's neighbour: kept in a static-free
** way by storing it in vm->pins' list head */
#define API_NAME_CACHE 128

typedef struct ApiState {
  wy_Pin *pins;
  ApiModule *modules;
  /* C-string names (nearly always literals, so at stable addresses) to
  ** their interned str: wy_getattr(W, o, "close") must not hash "close"
  ** on every call. Interned strs live as long as the VM. */
  struct { const char *cstr; StrObj *name; } names[API_NAME_CACHE];
} ApiState;

static ApiState *api_state(VM *vm) { return (ApiState *)vm->pins; }

/* the interned str for a C-string name, through the address-keyed cache
** (checked by content: a caller may reuse a buffer for another name) */
static StrObj *api_name(VM *vm, const char *cstr) {
  ApiState *st = api_state(vm);
  if (!st) return str_intern_cstr(vm, cstr);
  uintptr_t p = (uintptr_t)cstr;
  size_t slot = ((p >> 3) ^ (p >> 10)) & (API_NAME_CACHE - 1);
  StrObj *hit = st->names[slot].name;
  if (st->names[slot].cstr == cstr && hit && strcmp(hit->data, cstr) == 0) return hit;
  StrObj *n = str_intern_cstr(vm, cstr);
  if (n) {
    st->names[slot].cstr = cstr;
    st->names[slot].name = n;
  }
  return n;
}

/* the mirror conversions of api_internal.h, by their short local names */
#define to_value(v) api_to_value(v)
#define to_wy(v) api_to_wy(v)

static wy_Value scoped_grow(VM *vm, Value v);

/* root a value in the current API scope and hand it out */
static inline wy_Value scoped(VM *vm, Value v) {
  if (v.tag != VT_OBJ) return to_wy(v);
  if (vm->api_scope_len < vm->api_scope_cap) {
    vm->api_scope[vm->api_scope_len++] = v;
    return to_wy(v);
  }
  return scoped_grow(vm, v);
}

/* room for n more values in the scope; -1 with MemoryError */
static int scope_reserve(VM *vm, int n) {
  int cap = vm->api_scope_cap ? vm->api_scope_cap : 64;
  while (cap - vm->api_scope_len < n) cap *= 2;
  if (cap == vm->api_scope_cap) return 0;
  Value *s = realloc(vm->api_scope, (size_t)cap * sizeof *s);
  if (!s) {
    exc_no_memory(vm);
    return -1;
  }
  vm->api_scope = s;
  vm->api_scope_cap = cap;
  return 0;
}

static wy_Value scoped_grow(VM *vm, Value v) {
  if (vm->api_scope_len == vm->api_scope_cap && scope_reserve(vm, 1) < 0) return to_wy(V_UNDEF);
  vm->api_scope[vm->api_scope_len++] = v;
  return to_wy(v);
}

wy_Value api_scoped(VM *vm, Value v) { return scoped(vm, v); }

void api_mark_roots(VM *vm) {
  async_mark_roots(vm);
  ApiState *st = api_state(vm);
  if (!st) return;
  for (wy_Pin *p = st->pins; p; p = p->next) gc_mark_value(vm, p->value);
}

/* ---- lifecycle ---- */

wy_State *wy_open(void) {
  VM *vm = vm_new();
  if (!vm) return NULL;
  ApiState *st = calloc(1, sizeof *st);
  if (!st) {
    vm_free(vm);
    return NULL;
  }
  vm->pins = st;
  if (wy_open_stdlib(vm) != 0) {
    wy_print_error(vm);
    wy_close(vm);
    return NULL;
  }
  Value sys = module_import(vm, str_intern_cstr(vm, "sys"), V_NONE);
  if (IS_UNDEF(sys)) {
    wy_print_error(vm);
    wy_close(vm);
    return NULL;
  }
  vm->sys_module = AS_MODULE(sys);
  vm->api_scope_len = 0;
  return vm;
}

void wy_close(wy_State *W) {
  if (!W) return;
  ApiState *st = api_state(W);
  if (st) {
    while (st->pins) {
      wy_Pin *p = st->pins;
      st->pins = p->next;
      free(p);
    }
    while (st->modules) {
      ApiModule *m = st->modules;
      st->modules = m->next;
      free(m->name);
      free(m);
    }
    free(st);
    W->pins = NULL;
  }
  free(W->api_scope);
  W->api_scope = NULL;
  free(W->script_path_owned);
  W->script_path_owned = NULL;
  W->api_scope_len = W->api_scope_cap = 0;
  vm_free(W);
}

void wy_set_argv(wy_State *W, int argc, char **argv) {
  W->argc = argc;
  W->argv = argv;
  if (!W->sys_module) return;
  ListObj *l = list_new(W, argc);
  if (!l) {
    exc_clear(W);
    return;
  }
  gc_push_root(W, v_obj(l));
  for (int i = 0; i < argc; i++) {
    StrObj *s = str_from_cstr(W, argv[i]);
    if (!s || list_append(W, l, v_obj(s)) < 0) exc_clear(W);
  }
  dict_set_cstr(W, W->sys_module->dict, "argv", v_obj(l));
  gc_pop_roots(W, 1);
}

/* SystemExit -> a process status, as CPython's handle_system_exit */
static int exit_status_of(VM *vm, ExcObj *exc) {
  Value code = exc->value;
  if (IS_UNDEF(code) || IS_NONE(code)) {
    if (exc->args && exc->args->len == 1) code = exc->args->items[0];
    else return 0;
  }
  if (IS_NONE(code)) return 0;
  if (IS_INTLIKE(code)) return (int)AS_INTLIKE(code);
  gc_push_root(vm, v_obj(exc));
  Value s = obj_str(vm, code);
  if (!IS_UNDEF(s)) {
    fflush(stdout);
    fprintf(stderr, "%s\n", AS_STR(s)->data);
  } else {
    exc_clear(vm);
  }
  gc_pop_roots(vm, 1);
  return 1;
}

/* after running __main__: classify the outcome */
static int run_outcome(VM *vm, int rc) {
  vm->api_scope_len = 0;
  if (rc == 0) return WY_OK;
  if (vm->curexc && exc_matches(vm, (ExcObj *)vm->curexc, EXC(vm, SystemExit))) {
    ExcObj *e = exc_fetch(vm);
    vm->exit_status = exit_status_of(vm, e);
    return WY_EXIT;
  }
  return WY_ERROR;
}

/* __main__; a script file gives it a __file__, `-c` and stdin don't (as CPython) */
static ModuleObj *main_module(VM *vm, const char *filename) {
  ModuleObj *m = module_new(vm, "__main__");
  if (!m) return NULL;
  vm->main_module = m;
  if (filename) {
    StrObj *f = str_from_cstr(vm, filename);
    if (!f || dict_set_cstr(vm, m->dict, "__file__", v_obj(f)) < 0) return NULL;
  }
  if (dict_set_cstr(vm, m->dict, "__builtins__", v_obj(vm->builtins)) < 0) return NULL;
  if (dict_set(vm, vm->modules, v_obj(m->name), v_obj(m)) < 0) return NULL;
  return m;
}

/* the directory part of a path ("." when it has none) */
static void set_search_dir(VM *vm, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    module_set_search_dir(vm, ".");
    return;
  }
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *dir = malloc(n + 1);
  if (!dir) return;
  memcpy(dir, path, n);
  dir[n] = '\0';
  module_set_search_dir(vm, dir);
  free(dir);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 8192, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
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
  *len = n;
  return buf;
}

/* CPython names the main script by its absolute path (os.path.abspath:
** no symlink resolution) in __file__ and in tracebacks; so does withy */
static char *absolute_path(const char *path) {
  if (path[0] == '/') return strdup(path);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return strdup(path);
  while (path[0] == '.' && path[1] == '/') path += 2;
  size_t n = strlen(cwd) + 1 + strlen(path) + 1;
  char *abs = malloc(n);
  if (abs) snprintf(abs, n, "%s/%s", cwd, path);
  return abs;
}

int wy_run_file(wy_State *W, const char *path) {
  size_t len = 0;
  char *src = read_file(path, &len);
  if (!src) {
    exc_raise_errno(W, errno, path);
    return WY_ERROR;
  }
  char *abs = absolute_path(path);
  if (!abs) {
    free(src);
    exc_no_memory(W);
    return WY_ERROR;
  }
  free(W->script_path_owned);
  W->script_path_owned = abs;
  W->script_path = abs;
  set_search_dir(W, abs);
  ModuleObj *m = main_module(W, abs);
  int rc = m ? vm_exec_source(W, src, len, abs, m, 0) : -1;
  free(src);
  return run_outcome(W, rc);
}

int wy_run_string(wy_State *W, const char *src, const char *filename) {
  if (!filename) filename = "<string>";
  if (!W->script_path) module_set_search_dir(W, ".");
  ModuleObj *m = W->main_module ? W->main_module : main_module(W, NULL);
  int rc = m ? vm_exec_source(W, src, strlen(src), filename, m, 0) : -1;
  return run_outcome(W, rc);
}

int wy_exit_status(wy_State *W) { return W->exit_status; }

void wy_print_error(wy_State *W) {
  ExcObj *e = exc_fetch(W);
  if (!e) return;
  fflush(stdout);
  gc_push_root(W, v_obj(e));
  exc_print(W, e, stderr);
  gc_pop_roots(W, 1);
  fflush(stderr);
}

/* ---- making values ---- */

wy_Value wy_none(void) { return to_wy(V_NONE); }
wy_Value wy_bool(bool b) { return to_wy(v_bool(b)); }
wy_Value wy_int(int64_t i) { return to_wy(v_int(i)); }
wy_Value wy_float(double d) { return to_wy(v_float(d)); }
wy_Value wy_error(void) { return to_wy(V_UNDEF); }
bool wy_is_error(wy_Value v) { return v.tag_ == VT_UNDEF; }

static wy_Value obj_or_error(VM *vm, void *o) {
  return o ? scoped(vm, v_obj(o)) : wy_error();
}

wy_Value wy_str(wy_State *W, const char *utf8) { return wy_strn(W, utf8, strlen(utf8)); }

wy_Value wy_strn(wy_State *W, const char *utf8, size_t len) {
  if (!utf8_valid(utf8, len))
    return wy_raise(W, "UnicodeDecodeError", "wy_strn: invalid UTF-8");
  return obj_or_error(W, str_new(W, utf8, len));
}

wy_Value wy_bytes(wy_State *W, const void *data, size_t len) {
  return obj_or_error(W, bytes_new(W, data, len));
}

wy_Value wy_tuple(wy_State *W, int n, const wy_Value *items) {
  return obj_or_error(W, tuple_from(W, (const Value *)items, n));
}

wy_Value wy_list(wy_State *W) { return obj_or_error(W, list_new(W, 0)); }

int wy_list_append(wy_State *W, wy_Value list, wy_Value item) {
  Value l = to_value(list);
  if (!IS_LIST(l)) {
    exc_type_error(W, "wy_list_append: expected a list, got '%T'", l);
    return -1;
  }
  return list_append(W, AS_LIST(l), to_value(item));
}

wy_Value wy_dict(wy_State *W) { return obj_or_error(W, dict_new(W)); }

int wy_dict_set(wy_State *W, wy_Value dict, const char *key, wy_Value value) {
  Value d = to_value(dict);
  if (!IS_DICT(d)) {
    exc_type_error(W, "wy_dict_set: expected a dict, got '%T'", d);
    return -1;
  }
  StrObj *k = str_from_cstr(W, key);
  return k ? dict_set(W, AS_DICT(d), v_obj(k), to_value(value)) : -1;
}

wy_Value wy_dict_get(wy_State *W, wy_Value dict, const char *key) {
  Value d = to_value(dict);
  if (!IS_DICT(d)) {
    exc_type_error(W, "wy_dict_get: expected a dict, got '%T'", d);
    return wy_error();
  }
  return scoped(W, dict_get_cstr(W, AS_DICT(d), key));
}

/* ---- reading values ---- */

bool wy_is_none(wy_Value v) { return v.tag_ == VT_NONE; }
bool wy_is_int(wy_Value v) { return v.tag_ == VT_INT || v.tag_ == VT_BOOL; }
bool wy_is_float(wy_Value v) { return v.tag_ == VT_FLOAT; }
bool wy_is_str(wy_Value v) { return IS_STR(to_value(v)); }
bool wy_is_bytes(wy_Value v) { return IS_BYTES(to_value(v)); }
bool wy_is(wy_Value a, wy_Value b) { return v_is(to_value(a), to_value(b)); }

const char *wy_type_name(wy_State *W, wy_Value v) { return obj_type_name(W, to_value(v)); }

int wy_to_int(wy_State *W, wy_Value v, int64_t *out) {
  Value x = to_value(v);
  if (IS_INTLIKE(x)) {
    *out = AS_INTLIKE(x);
    return 0;
  }
  exc_type_error(W, "'%T' object cannot be interpreted as an integer", x);
  return -1;
}

int wy_to_float(wy_State *W, wy_Value v, double *out) {
  Value x = to_value(v);
  if (IS_FLOAT(x)) *out = AS_FLOAT(x);
  else if (IS_INTLIKE(x)) *out = (double)AS_INTLIKE(x);
  else {
    exc_type_error(W, "must be real number, not %T", x);
    return -1;
  }
  return 0;
}

const char *wy_to_str(wy_State *W, wy_Value v, size_t *len) {
  Value x = to_value(v);
  if (!IS_STR(x)) {
    exc_type_error(W, "expected str, got %T", x);
    return NULL;
  }
  if (len) *len = (size_t)AS_STR(x)->len;
  return AS_STR(x)->data;
}

const void *wy_to_bytes(wy_State *W, wy_Value v, size_t *len) {
  Value x = to_value(v);
  if (!IS_BYTES(x)) {
    exc_type_error(W, "a bytes-like object is required, not '%T'", x);
    return NULL;
  }
  if (len) *len = (size_t)AS_BYTES(x)->len;
  return AS_BYTES(x)->data;
}

int wy_truthy(wy_State *W, wy_Value v) { return obj_truthy(W, to_value(v)); }
int64_t wy_len(wy_State *W, wy_Value v) { return obj_len(W, to_value(v)); }

/* ---- objects ---- */

wy_Value wy_getattr(wy_State *W, wy_Value obj, const char *name) {
  return scoped(W, obj_getattr(W, to_value(obj), api_name(W, name)));
}

int wy_setattr(wy_State *W, wy_Value obj, const char *name, wy_Value value) {
  return obj_setattr(W, to_value(obj), api_name(W, name), to_value(value));
}

bool wy_hasattr(wy_State *W, wy_Value obj, const char *name) {
  Value r = obj_getattr_opt(W, to_value(obj), api_name(W, name));
  if (IS_UNDEF(r)) {
    exc_clear(W);
    return false;
  }
  return true;
}

wy_Value wy_call(wy_State *W, wy_Value callable, int argc, const wy_Value *argv) {
  return scoped(W, obj_call(W, to_value(callable), (Value *)argv, argc, NULL));
}

wy_Value wy_call_kw(wy_State *W, wy_Value callable, int argc, const wy_Value *argv, wy_Value kwargs) {
  Value kw = to_value(kwargs);
  if (IS_NONE(kw) || (IS_DICT(kw) && AS_DICT(kw)->len == 0)) return wy_call(W, callable, argc, argv);
  if (!IS_DICT(kw)) {
    exc_type_error(W, "argument after ** must be a mapping, not %T", kw);
    return wy_error();
  }
  /* the vectorcall shape: positional values, then the keyword values named by a tuple */
  DictObj *d = AS_DICT(kw);
  int64_t nkw = d->len;
  TupleObj *names = tuple_new(W, nkw);
  if (!names) return wy_error();
  gc_push_root(W, v_obj(names));
  Value *args = malloc(sizeof(Value) * (size_t)(argc + nkw + 1));
  Value r = V_UNDEF;
  if (!args) {
    exc_no_memory(W);
  } else {
    if (argc) memcpy(args, argv, sizeof(Value) * (size_t)argc);
    int64_t pos = 0, i = 0;
    Value k, v;
    bool ok = true;
    while (dict_next(d, &pos, &k, &v)) {
      if (!IS_STR(k)) {
        exc_type_error(W, "keywords must be strings");
        ok = false;
        break;
      }
      names->items[i] = k;
      args[argc + i++] = v;
    }
    if (ok) r = obj_call(W, to_value(callable), args, argc, names);
    free(args);
  }
  gc_pop_roots(W, 1);
  return scoped(W, r);
}

wy_Value wy_call_method(wy_State *W, wy_Value obj, const char *name, int argc, const wy_Value *argv) {
  StrObj *n = api_name(W, name);
  if (!n) return wy_error();
  Value callable, self;
  if (obj_get_method(W, to_value(obj), n, &callable, &self) < 0) return wy_error();
  if (IS_UNDEF(self)) return scoped(W, obj_call(W, callable, (Value *)argv, argc, NULL));
  /* callable(self, *argv) */
  Value small[9];
  Value *args = argc + 1 <= 9 ? small : malloc(sizeof(Value) * (size_t)(argc + 1));
  if (!args) {
    exc_no_memory(W);
    return wy_error();
  }
  args[0] = self;
  if (argc) memcpy(args + 1, argv, sizeof(Value) * (size_t)argc);
  gc_push_root(W, callable);
  Value r = obj_call(W, callable, args, argc + 1, NULL);
  gc_pop_roots(W, 1);
  if (args != small) free(args);
  return scoped(W, r);
}

int wy_delattr(wy_State *W, wy_Value obj, const char *name) {
  StrObj *n = api_name(W, name);
  return n ? obj_delattr(W, to_value(obj), n) : -1;
}

wy_Value wy_repr(wy_State *W, wy_Value v) { return scoped(W, obj_repr(W, to_value(v))); }
wy_Value wy_str_of(wy_State *W, wy_Value v) { return scoped(W, obj_str(W, to_value(v))); }
wy_Value wy_getitem(wy_State *W, wy_Value obj, wy_Value key) {
  return scoped(W, obj_getitem(W, to_value(obj), to_value(key)));
}
wy_Value wy_iter(wy_State *W, wy_Value v) { return scoped(W, obj_iter(W, to_value(v))); }
wy_Value wy_next(wy_State *W, wy_Value it) { return scoped(W, obj_next(W, to_value(it))); }
bool wy_error_pending(wy_State *W) { return W->curexc != NULL; }

/* ---- exceptions ---- */

static Type *builtin_exc_class(VM *vm, const char *name) {
  /* through the name cache: wy_error_matches runs on hot paths. A failure
  ** to intern must not replace the exception being asked about. */
  Obj *pending = vm->curexc;
  StrObj *n = api_name(vm, name);
  vm->curexc = pending;
  if (!n) return NULL;
  Value t = dict_get_str(vm, vm->builtins, n);
  if (IS_TYPE(t) && (AS_TYPE(t)->flags & TF_EXCEPTION)) return AS_TYPE(t);
  return NULL;
}

wy_Value wy_raise(wy_State *W, const char *exc_class, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  Type *t = builtin_exc_class(W, exc_class);
  if (!t) t = EXC(W, RuntimeError);
  exc_raise(W, t, "%s", buf);
  return wy_error();
}

wy_Value wy_raise_value(wy_State *W, wy_Value exc) {
  ExcObj *e = exc_from_value(W, to_value(exc));
  if (e) exc_raise_obj(W, e);
  return wy_error();
}

wy_Value wy_raise_errno(wy_State *W, int err, const char *filename) {
  exc_raise_errno(W, err, filename);
  return wy_error();
}

bool wy_error_matches(wy_State *W, const char *exc_class) {
  Type *t = builtin_exc_class(W, exc_class);
  return t && W->curexc && exc_matches(W, (ExcObj *)W->curexc, t);
}

wy_Value wy_fetch_error(wy_State *W) {
  ExcObj *e = exc_fetch(W);
  return e ? scoped(W, v_obj(e)) : wy_none();
}

void wy_clear_error(wy_State *W) { exc_clear(W); }
wy_Value wy_handled_exception(wy_State *W) { return scoped(W, vm_handled_exception(W)); }

wy_Value wy_builtin(wy_State *W, const char *name) {
  StrObj *n = api_name(W, name);
  if (!n) return wy_error();
  Value v = dict_get_str(W, W->builtins, n);
  if (IS_UNDEF(v) && !W->curexc) exc_raise(W, EXC(W, NameError), "name '%s' is not defined", name);
  return scoped(W, v);
}

/* ---- pinning ---- */

wy_Pin *wy_pin(wy_State *W, wy_Value v) {
  ApiState *st = api_state(W);
  wy_Pin *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->value = to_value(v);
  p->next = st->pins;
  if (st->pins) st->pins->prev = p;
  st->pins = p;
  return p;
}

wy_Value wy_pinned(wy_Pin *p) { return to_wy(p->value); }

void wy_unpin(wy_State *W, wy_Pin *p) {
  if (!p) return;
  ApiState *st = api_state(W);
  if (p->prev) p->prev->next = p->next;
  else st->pins = p->next;
  if (p->next) p->next->prev = p->prev;
  free(p);
}

/* ---- C functions ---- */

static void api_function_finalize(VM *vm, void *data) { free(data); }

static Value kwargs_dict(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (!kwnames || kwnames->len == 0) return V_NONE;
  DictObj *d = dict_new(vm);
  if (!d) return V_UNDEF;
  for (int64_t i = 0; i < kwnames->len; i++)
    if (dict_set(vm, d, kwnames->items[i], args[nargs + i]) < 0) return V_UNDEF;
  return v_obj(d);
}

/* Every C function made through the API runs through here: it finds its
** ApiFunction in the NativeObj being called, opens a handle scope, and
** closes it when the function returns. */
static Value api_trampoline(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  NativeObj *self = vm->current_native;
  if (!self || !IS_FOREIGN(self->data))
    return exc_raise(vm, EXC(vm, RuntimeError), "withy API: C function called without its data");
  ApiFunction *af = AS_FOREIGN(self->data)->data;
  Obj *saved_carrier = vm->api_carrier;
  vm->api_carrier = AS_OBJ(self->data);
  int mark = vm->api_scope_len;
  Value kw = kwargs_dict(vm, args, nargs, kwnames);
  if (IS_UNDEF(kw)) return V_UNDEF;
  scoped(vm, kw);
  wy_Value r = af->fn(vm, nargs, (const wy_Value *)args, to_wy(kw), af->userdata);
  vm->api_scope_len = mark;
  vm->api_carrier = saved_carrier;
  Value res = to_value(r);
  if (IS_UNDEF(res) && !vm->curexc)
    return exc_raise(vm, EXC(vm, RuntimeError), "%s returned an error without setting an exception", self->name);
  return res;
}

static NativeObj *api_native(VM *vm, const char *name, wy_CFunction fn, void *userdata, int flags) {
  ApiFunction *af = malloc(sizeof *af);
  if (!af) {
    exc_no_memory(vm);
    return NULL;
  }
  af->fn = fn;
  af->userdata = userdata;
  ForeignObj *carrier = foreign_new(vm, vm->t_object, af, NULL, api_function_finalize);
  if (!carrier) {
    free(af);
    return NULL;
  }
  gc_push_root(vm, v_obj(carrier));
  /* the name must outlive the NativeObj: intern it */
  StrObj *iname = str_intern_cstr(vm, name);
  NativeObj *n = iname ? native_new(vm, iname->data, api_trampoline, flags) : NULL;
  if (n) n->data = v_obj(carrier);
  gc_pop_roots(vm, 1);
  return n;
}

wy_Value wy_function(wy_State *W, const char *name, wy_CFunction fn, void *userdata) {
  return obj_or_error(W, api_native(W, name, fn, userdata, 0));
}

wy_Value wy_closure(wy_State *W, const char *name, wy_CFunction fn, wy_Value data) {
  /* NATIVE_METHOD without an owner: binds like a function, checks no receiver */
  NativeObj *n = api_native(W, name, fn, NULL, NATIVE_METHOD);
  if (!n) return wy_error();
  gc_push_root(W, v_obj(n));
  ForeignObj *carrier = AS_FOREIGN(n->data);
  int rc = -1;
  if (!carrier->dict) carrier->dict = dict_new(W);
  if (carrier->dict) rc = dict_set_cstr(W, carrier->dict, "data", to_value(data));
  gc_pop_roots(W, 1);
  return rc < 0 ? wy_error() : scoped(W, v_obj(n));
}

wy_Value wy_closure_data(wy_State *W) {
  Obj *c = W->api_carrier;
  if (!c || c->kind != K_FOREIGN || !((ForeignObj *)c)->dict) return wy_none();
  Value v = dict_get_cstr(W, ((ForeignObj *)c)->dict, "data");
  return IS_UNDEF(v) ? wy_none() : scoped(W, v);
}

int wy_set_builtin(wy_State *W, const char *name, wy_Value value) {
  return dict_set_cstr(W, W->builtins, name, to_value(value));
}

int wy_def(wy_State *W, wy_Value module, const char *name, wy_CFunction fn, void *userdata) {
  wy_Value f = wy_function(W, name, fn, userdata);
  if (wy_is_error(f)) return -1;
  return wy_module_set(W, module, name, f);
}

/* ---- modules ---- */

static int api_module_init(VM *vm, ModuleObj *m) {
  for (ApiModule *am = api_state(vm)->modules; am; am = am->next)
    if (strcmp(am->name, m->name->data) == 0) {
      int mark = vm->api_scope_len;
      int rc = am->init(vm, to_wy(v_obj(m)));
      vm->api_scope_len = mark;
      return rc;
    }
  exc_raise(vm, EXC(vm, ImportError), "no initializer for module '%s'", m->name->data);
  return -1;
}

int wy_register_module(wy_State *W, const char *name, wy_ModuleInit init) {
  ApiModule *am = calloc(1, sizeof *am);
  char *copy = am ? strdup(name) : NULL;
  if (!copy) {
    free(am);
    exc_no_memory(W);
    return -1;
  }
  am->name = copy;
  am->init = init;
  ApiState *st = api_state(W);
  am->next = st->modules;
  st->modules = am;
  return module_register(W, am->name, api_module_init);
}

int wy_module_set(wy_State *W, wy_Value module, const char *name, wy_Value value) {
  Value m = to_value(module);
  if (!IS_MODULE(m)) {
    exc_type_error(W, "wy_module_set: expected a module, got '%T'", m);
    return -1;
  }
  return dict_set_cstr(W, AS_MODULE(m)->dict, name, to_value(value));
}

wy_Value wy_import(wy_State *W, const char *name) {
  StrObj *n = api_name(W, name);
  return n ? scoped(W, module_import(W, n, V_NONE)) : wy_error();
}

wy_Value wy_modules(wy_State *W) { return scoped(W, v_obj(W->modules)); }
int wy_recursion_limit(wy_State *W) { return W->recursion_limit; }
void wy_set_recursion_limit(wy_State *W, int limit) { W->recursion_limit = limit; }
void wy_interrupt(wy_State *W) { W->interrupted = 1; }

int wy_check_interrupt(wy_State *W) {
  if (!W->interrupted) return 0;
  W->interrupted = 0;
  trace_note_interrupt(W);
  exc_raise(W, EXC(W, KeyboardInterrupt), "");
  return -1;
}
void wy_set_memory_limit(wy_State *W, size_t bytes) { W->mem_limit = bytes; }

int64_t wy_gc_collect(wy_State *W) {
  gc_collect(W);
  int64_t n = 0;
  for (Obj *o = W->objects; o; o = o->gc_next) n++;
  return n;
}

wy_Value wy_gc_objects(wy_State *W) {
  int64_t n = 0;
  for (Obj *o = W->objects; o; o = o->gc_next) n++;
  ListObj *l = list_new(W, n);   /* room for all: filling it allocates nothing */
  if (!l) return wy_error();
  int64_t i = 0;
  for (Obj *o = l->obj.gc_next; o && i < n; o = o->gc_next)
    if (o->kind != K_FRAME_HOLDER) l->items[i++] = v_obj(o);
  l->len = i;
  return scoped(W, v_obj(l));
}

size_t wy_heap_bytes(wy_State *W) { return W->bytes_allocated; }

/* ---- classes implemented in C ---- */

static void api_box_finalize(VM *vm, void *data) {
  ApiBox *box = data;
  if (box && box->finalize && box->data) box->finalize(box->data);
}

static void api_box_trace(VM *vm, void *data) {
  ApiBox *box = data;
  for (int i = 0; i < box->nslots; i++) gc_mark_value(vm, box->slots[i]);
}

/* the slot count of a class: its own, or the nearest ancestor's that has one */
static int slot_count(Type *t) {
  for (; t; t = t->base)
    if ((t->obj.flags & TYPE_OBJ_EXT) && TYPE_EXT(t)->host_slots) return TYPE_EXT(t)->host_slots;
  return 0;
}

/* an instance of a C class: the ForeignObj with its ApiBox after it */
static ForeignObj *api_instance_new(VM *vm, Type *type) {
  int n = slot_count(type);
  size_t size = sizeof(ForeignObj) + sizeof(ApiBox) + (size_t)n * sizeof(Value);
  ForeignObj *o = gc_alloc_obj(vm, size, K_FOREIGN, type);
  if (!o) return NULL;
  ApiBox *box = (ApiBox *)(o + 1);
  box->data = NULL;
  box->finalize = NULL;
  box->nslots = n;
  for (int i = 0; i < n; i++) box->slots[i] = V_UNDEF;
  o->dict = NULL;
  o->data = box;
  o->trace = n ? api_box_trace : NULL;
  o->finalize = api_box_finalize;
  return o;
}

static Value foreign_construct(VM *vm, Type *type, Value *args, int nargs, TupleObj *kwnames) {
  ForeignObj *o = api_instance_new(vm, type);
  if (!o) return V_UNDEF;
  Value self = v_obj(o);
  Value init = type_lookup(vm, type, NAME(vm, __init__));
  if (IS_UNDEF(init)) return self;
  gc_push_root(vm, self);
  /* call __init__(self, *args, **kw) */
  int total = nargs + (kwnames ? (int)kwnames->len : 0);
  Value small[16];
  Value *call_args = total + 1 <= 16 ? small : malloc(sizeof(Value) * (size_t)(total + 1));
  Value r = V_UNDEF;
  if (call_args) {
    call_args[0] = self;
    if (total) memcpy(call_args + 1, args, sizeof(Value) * (size_t)total);
    r = obj_call(vm, init, call_args, nargs + 1, kwnames);
    if (call_args != small) free(call_args);
  } else {
    exc_no_memory(vm);
  }
  gc_pop_roots(vm, 1);
  if (IS_UNDEF(r)) return V_UNDEF;
  return self;
}

/* Slots a C class inherits from its base when it doesn't define them */
static void inherit_slots(Type *t, Type *base) {
#define INHERIT(slot) if (!t->slot) t->slot = base->slot;
  INHERIT(repr) INHERIT(str) INHERIT(hash) INHERIT(richcmp) INHERIT(call)
  INHERIT(getattr) INHERIT(setattr) INHERIT(iter) INHERIT(next) INHERIT(len)
  INHERIT(getitem) INHERIT(setitem) INHERIT(contains) INHERIT(truth)
#undef INHERIT
}

wy_Value wy_class(wy_State *W, const char *name, wy_Value base, const wy_Method *methods, void *userdata) {
  Value b = to_value(base);
  Type *base_type = IS_NONE(b) ? W->t_object : IS_TYPE(b) ? AS_TYPE(b) : NULL;
  if (!base_type) {
    exc_type_error(W, "wy_class: base must be a class or None, not '%T'", b);
    return wy_error();
  }
  bool is_exc = (base_type->flags & TF_EXCEPTION) != 0;
  /* a C class's instances carry an ApiBox: only a base whose instances do
  ** too (object, another C class) or an exception class has that layout */
  if (!is_exc && base_type != W->t_object && !(base_type->flags & TF_HOST)) {
    exc_type_error(W, "wy_class: cannot derive a C class from '%U' (use object, an exception class or another C class)",
                   base_type->name);
    return wy_error();
  }
  Type *t = type_new_builtin(W, name, base_type, is_exc ? K_EXC : K_FOREIGN,
                             TF_BASETYPE | TF_HOST | (is_exc ? TF_EXCEPTION : 0));
  if (!t) return wy_error();
  gc_push_root(W, v_obj(t));
  /* C classes get the per-class attribute cache Python classes have: their
  ** methods are looked up on every call */
  if (t->obj.flags & TYPE_OBJ_EXT) {
    TypeExt *x = TYPE_EXT(t);
    x->cache = gc_malloc(W, TYPE_CACHE_SIZE * sizeof(TypeCacheEntry));
    if (!x->cache) {
      gc_pop_roots(W, 1);
      return wy_error();
    }
    memset(x->cache, 0, TYPE_CACHE_SIZE * sizeof(TypeCacheEntry));
  }
  inherit_slots(t, base_type);
  t->construct = is_exc ? base_type->construct : foreign_construct;
  int rc = 0;
  for (const wy_Method *m = methods; m && m->name && rc == 0; m++) {
    NativeObj *n = api_native(W, m->name, m->fn, userdata, NATIVE_METHOD);
    rc = n ? dict_set_cstr(W, t->dict, m->name, v_obj(n)) : -1;
  }
  /* a change to a C base must reach this class's caches too (type_modified
  ** walks the registry for subclasses of a class that has some) */
  if (rc == 0 && (t->obj.flags & TYPE_OBJ_EXT)) rc = type_register_class(W, t);
  if (rc == 0 && (base_type->flags & TF_HOST) && (base_type->obj.flags & TYPE_OBJ_EXT))
    TYPE_EXT(base_type)->has_subclasses = true;
  if (rc == 0) type_modified(W, t);
  gc_pop_roots(W, 1);
  return rc == 0 ? scoped(W, v_obj(t)) : wy_error();
}

int wy_class_set(wy_State *W, wy_Value cls, const char *name, wy_Value value) {
  Value c = to_value(cls);
  if (!IS_TYPE(c)) {
    exc_type_error(W, "wy_class_set: expected a class, got '%T'", c);
    return -1;
  }
  if (dict_set_cstr(W, AS_TYPE(c)->dict, name, to_value(value)) < 0) return -1;
  type_modified(W, AS_TYPE(c));
  return 0;
}

wy_Value wy_property(wy_State *W, wy_Value getter, wy_Value setter) {
  Value prop = dict_get_cstr(W, W->builtins, "property");
  Value args[2] = {to_value(getter), to_value(setter)};
  return scoped(W, obj_call(W, prop, args, IS_NONE(args[1]) ? 1 : 2, NULL));
}

wy_Value wy_new_instance(wy_State *W, wy_Value cls, void *data, wy_Finalizer finalize) {
  Value c = to_value(cls);
  if (!IS_TYPE(c) || AS_TYPE(c)->layout != K_FOREIGN) {
    exc_type_error(W, "wy_new_instance: expected a class made by wy_class");
    return wy_error();
  }
  ForeignObj *o = api_instance_new(W, AS_TYPE(c));
  if (!o) return wy_error();
  ApiBox *box = o->data;
  box->data = data;
  box->finalize = finalize;
  return scoped(W, v_obj(o));
}

static ApiBox *instance_box(wy_State *W, wy_Value obj, wy_Value cls) {
  Value o = to_value(obj), c = to_value(cls);
  if (!IS_FOREIGN(o) || !IS_TYPE(c) || !type_is_subtype(AS_OBJ(o)->type, AS_TYPE(c)) ||
      AS_FOREIGN(o)->finalize != api_box_finalize) {
    exc_type_error(W, "expected %s, got '%T'", IS_TYPE(c) ? AS_TYPE(c)->name->data : "an instance", o);
    return NULL;
  }
  return AS_FOREIGN(o)->data;
}

void *wy_instance_data(wy_State *W, wy_Value obj, wy_Value cls) {
  ApiBox *box = instance_box(W, obj, cls);
  return box ? box->data : NULL;
}

int wy_set_instance_data(wy_State *W, wy_Value obj, void *data, wy_Finalizer finalize) {
  Value o = to_value(obj);
  if (!IS_FOREIGN(o) || AS_FOREIGN(o)->finalize != api_box_finalize) {
    exc_type_error(W, "wy_set_instance_data: not an instance of a class made by wy_class");
    return -1;
  }
  ApiBox *box = AS_FOREIGN(o)->data;
  if (box->finalize && box->data && box->data != data) box->finalize(box->data);
  box->data = data;
  box->finalize = finalize;
  return 0;
}

/* ---- value slots ---- */

int wy_class_slots(wy_State *W, wy_Value cls, int n) {
  Value c = to_value(cls);
  if (!IS_TYPE(c) || AS_TYPE(c)->layout != K_FOREIGN || !(AS_OBJ(c)->flags & TYPE_OBJ_EXT) || n < 0 ||
      n > 4096) {
    exc_type_error(W, "wy_class_slots: expected a class made by wy_class and a count from 0 to 4096");
    return -1;
  }
  TYPE_EXT(AS_TYPE(c))->host_slots = n;
  return 0;
}

static ApiBox *slot_box(wy_State *W, wy_Value obj, int i) {
  Value o = to_value(obj);
  if (!IS_FOREIGN(o) || AS_FOREIGN(o)->finalize != api_box_finalize) {
    exc_type_error(W, "wy_slot: '%T' object is not an instance of a class made by wy_class", o);
    return NULL;
  }
  ApiBox *box = AS_FOREIGN(o)->data;
  if (i < 0 || i >= box->nslots) {
    exc_raise(W, EXC(W, IndexError), "wy_slot: slot %d out of range (the class has %d)", i, box->nslots);
    return NULL;
  }
  return box;
}

wy_Value *wy_slots(wy_State *W, wy_Value obj, int *n) {
  Value o = to_value(obj);
  if (!IS_FOREIGN(o) || AS_FOREIGN(o)->finalize != api_box_finalize) {
    exc_type_error(W, "wy_slots: '%T' object is not an instance of a class made by wy_class", o);
    return NULL;
  }
  ApiBox *box = AS_FOREIGN(o)->data;
  *n = box->nslots;
  return (wy_Value *)box->slots;
}

int wy_get_slot(wy_State *W, wy_Value obj, int i, wy_Value *out) {
  ApiBox *box = slot_box(W, obj, i);
  if (!box) return -1;
  if (IS_UNDEF(box->slots[i])) return 0;
  *out = scoped(W, box->slots[i]);
  return 1;
}

int wy_set_slot(wy_State *W, wy_Value obj, int i, wy_Value value) {
  ApiBox *box = slot_box(W, obj, i);
  if (!box) return -1;
  box->slots[i] = to_value(value);
  return 0;
}

/* ---- generators, types and calls: the shortcuts C modules need ---- */

int wy_send(wy_State *W, wy_Value it, wy_Value value, wy_Value *out) {
  Value r = V_NONE, v = to_value(it);
  int rc;
  if (IS_GEN(v)) {
    rc = gen_send(W, AS_GEN(v), to_value(value), &r);
  } else if (obj_type(W, v)->send) {
    rc = obj_type(W, v)->send(W, v, to_value(value), &r);
  } else if (IS_NONE(to_value(value))) {
    /* next(it), with next()'s "is not an iterator" TypeError */
    r = obj_next(W, v);
    if (IS_UNDEF(r)) {
      if (W->curexc) return -1;
      *out = wy_none();
      return 0;
    }
    rc = 1;
  } else {
    rc = gen_iter_send(W, v, to_value(value), &r);
  }
  if (rc < 0) return -1;
  *out = scoped(W, r);
  return rc;
}

int wy_throw(wy_State *W, wy_Value it, wy_Value exc, wy_Value *out) {
  Value v = to_value(it), e = to_value(exc);
  if (!IS_EXC(e)) {
    exc_type_error(W, "exceptions must derive from BaseException");
    return -1;
  }
  if (!IS_GEN(v) && !obj_type(W, v)->throw_) {
    /* any other iterator: its throw() method, whose StopIteration is
    ** passed on as an error (only a generator's finishing is a return) */
    wy_Value r = wy_call_method(W, it, "throw", 1, &exc);
    if (wy_is_error(r)) return -1;
    *out = r;
    return 1;
  }
  Value r = V_NONE;
  int rc = gen_iter_throw(W, v, AS_EXC(e), &r);
  if (rc < 0) return -1;
  *out = scoped(W, r);
  return rc;
}

wy_Value wy_type_of(wy_State *W, wy_Value v) { return scoped(W, v_obj(obj_type(W, to_value(v)))); }

int wy_isinstance(wy_State *W, wy_Value v, wy_Value cls) { return obj_is_instance(W, to_value(v), to_value(cls)); }

int wy_issubclass(wy_State *W, wy_Value cls, wy_Value classinfo) {
  return obj_is_subclass(W, to_value(cls), to_value(classinfo));
}

static bool plain_function(Value f) { return IS_KIND(f, K_FUNC) || IS_KIND(f, K_NATIVE); }

wy_Value wy_lookup_special(wy_State *W, wy_Value obj, const char *name) {
  StrObj *n = api_name(W, name);
  if (!n) return wy_error();
  Type *t = obj_type(W, to_value(obj));
  Value f = type_lookup(W, t, n);
  /* plain functions are what getattr(type(obj), name) gives back as they are */
  if (plain_function(f)) return scoped(W, f);
  return scoped(W, obj_getattr(W, v_obj(t), n));
}

int wy_context_methods(wy_State *W, wy_Value cm, wy_Value *enter, wy_Value *exit) {
  Value e, x;
  /* the with statement's cache answers for classes whose two methods are
  ** plain functions, what getattr(type(cm), name) gives back as they are */
  if (vm_with_methods(W, obj_type(W, to_value(cm)), &e, &x) && plain_function(e) && plain_function(x)) {
    *enter = scoped(W, e);
    *exit = scoped(W, x);
    return 0;
  }
  *enter = wy_lookup_special(W, cm, "__enter__");
  *exit = wy_is_error(*enter) ? *enter : wy_lookup_special(W, cm, "__exit__");
  return wy_is_error(*exit) ? -1 : 0;
}

wy_Value wy_lookup_special_opt(wy_State *W, wy_Value obj, const char *name) {
  StrObj *n = api_name(W, name);
  if (!n) return wy_error();
  Type *t = obj_type(W, to_value(obj));
  /* the common miss answered without making an AttributeError: a class
  ** of the plain metaclass, and a name neither it nor `type` has */
  if (t->obj.type == W->t_type && IS_UNDEF(type_lookup(W, t, n)) && IS_UNDEF(type_lookup(W, W->t_type, n)))
    return wy_error();
  wy_Value r = wy_lookup_special(W, obj, name);
  if (wy_is_error(r) && exc_pending_matches(W, EXC(W, AttributeError))) exc_clear(W);
  return r;
}

wy_Value wy_call_args(wy_State *W, wy_Value callable, wy_Value args, wy_Value kwargs) {
  Value a = to_value(args);
  if (!IS_TUPLE(a)) {
    exc_type_error(W, "wy_call_args: the arguments must be a tuple, not '%T'", a);
    return wy_error();
  }
  return wy_call_kw(W, callable, (int)AS_TUPLE(a)->len, (const wy_Value *)AS_TUPLE(a)->items, kwargs);
}

static ListObj *api_list(wy_State *W, wy_Value list, const char *fn) {
  Value l = to_value(list);
  if (IS_LIST(l)) return AS_LIST(l);
  exc_type_error(W, "%s: expected a list, got '%T'", fn, l);
  return NULL;
}

int wy_list_extend(wy_State *W, wy_Value list, int n, const wy_Value *items) {
  ListObj *l = api_list(W, list, "wy_list_extend");
  if (!l) return -1;
  if (n < 0) {
    exc_raise(W, EXC(W, ValueError), "wy_list_extend: negative count");
    return -1;
  }
  return list_append_n(W, l, (const Value *)items, n);
}

int wy_list_reserve(wy_State *W, wy_Value list, int64_t total) {
  ListObj *l = api_list(W, list, "wy_list_reserve");
  return l ? list_reserve_total(W, l, total) : -1;
}

int wy_list_pop_n(wy_State *W, wy_Value list, int n, wy_Value *out) {
  ListObj *l = api_list(W, list, "wy_list_pop_n");
  if (!l) return -1;
  if (n < 0 || l->len < n) {
    exc_raise(W, EXC(W, IndexError), "pop from empty list");
    return -1;
  }
  /* rooted in the scope in one block (numbers too: the marker skips them) */
  if (W->api_scope_cap - W->api_scope_len < n && scope_reserve(W, n) < 0) return -1;
  l->len -= n;
  memcpy(W->api_scope + W->api_scope_len, l->items + l->len, (size_t)n * sizeof(Value));
  W->api_scope_len += n;
  memcpy(out, l->items + l->len, (size_t)n * sizeof(Value));
  return 0;
}

wy_Value wy_list_pop(wy_State *W, wy_Value list) {
  Value l = to_value(list);
  if (!IS_LIST(l)) {
    exc_type_error(W, "wy_list_pop: expected a list, got '%T'", l);
    return wy_error();
  }
  ListObj *lo = AS_LIST(l);
  if (lo->len == 0) {
    exc_raise(W, EXC(W, IndexError), "pop from empty list");
    return wy_error();
  }
  return scoped(W, lo->items[--lo->len]);
}
