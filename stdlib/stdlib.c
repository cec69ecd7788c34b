/* stdlib.c — the registry of stdlib modules (wy_open_stdlib) and the
** helpers the stdlib's C modules share: argument parsing with CPython's
** messages, and per-VM module state. Uses withy.h only. */
#include <stdlib.h>
#include <string.h>
#include "stdlib.h"

int wy_open_stdlib(wy_State *W) {
  static const struct { const char *name; wy_ModuleInit init; } mods[] = {
    {"sys", std_sys_init},
    {"io", std_io_init},
    {"os", std_os_init},
    {"os.path", std_os_path_init},
    {"time", std_time_init},
    {"contextlib", std_contextlib_init},
    {"tempfile", std_tempfile_init},
    {"gc", std_gc_init},
    {"asyncio", std_asyncio_init},
    {"afile", std_afile_init},
  };
  for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
    if (wy_register_module(W, mods[i].name, mods[i].init) < 0) return -1;
  return std_files_install(W);
}

/* ---- arguments ---- */

static const char *plural(int n, const char *one, const char *many) { return n == 1 ? one : many; }

static wy_Value too_many_positional(wy_State *W, const char *fname, int max, int min, int given) {
  if (min == max)
    return wy_raise(W, "TypeError", "%s() takes %d positional %s but %d %s given", fname, max,
                    plural(max, "argument", "arguments"), given, plural(given, "was", "were"));
  return wy_raise(W, "TypeError", "%s() takes from %d to %d positional arguments but %d %s given",
                  fname, min, max, given, plural(given, "was", "were"));
}

/* "missing 2 required positional arguments: 'a' and 'b'" */
static wy_Value missing_arguments(wy_State *W, const char *fname, const char *const *names,
                                  const wy_Value *out, int required) {
  char list[512] = "";
  int nmissing = 0, seen = 0;
  for (int i = 0; i < required; i++) nmissing += wy_is_error(out[i]);
  for (int i = 0; i < required; i++) {
    if (!wy_is_error(out[i])) continue;
    seen++;
    const char *sepr = seen == 1 ? "" : seen == nmissing ? (nmissing > 2 ? ", and " : " and ") : ", ";
    size_t used = strlen(list);
    snprintf(list + used, sizeof list - used, "%s'%s'", sepr, names[i]);
  }
  return wy_raise(W, "TypeError", "%s() missing %d required positional %s: %s", fname, nmissing,
                  plural(nmissing, "argument", "arguments"), list);
}

static int keyword_arguments(wy_State *W, const char *fname, wy_Value kwargs,
                             const char *const *names, int nnames, wy_Value *out) {
  wy_Value it = wy_iter(W, kwargs);
  if (wy_is_error(it)) return -1;
  for (;;) {
    wy_Value key = wy_next(W, it);
    if (wy_is_error(key)) return wy_error_pending(W) ? -1 : 0;
    const char *k = wy_to_str(W, key, NULL);
    if (!k) return -1;
    int i = 0;
    while (i < nnames && strcmp(names[i], k) != 0) i++;
    if (i == nnames) {
      wy_raise(W, "TypeError", "%s() got an unexpected keyword argument '%s'", fname, k);
      return -1;
    }
    if (!wy_is_error(out[i])) {
      wy_raise(W, "TypeError", "%s() got multiple values for argument '%s'", fname, k);
      return -1;
    }
    out[i] = wy_getitem(W, kwargs, key);
    if (wy_is_error(out[i])) return -1;
  }
}

int std_args(wy_State *W, const char *fname, int argc, const wy_Value *argv, wy_Value kwargs,
             const char *const *names, int required, wy_Value *out) {
  int nnames = 0;
  while (names[nnames]) nnames++;
  if (argc > nnames) {
    too_many_positional(W, fname, nnames, required, argc);
    return -1;
  }
  for (int i = 0; i < nnames; i++) out[i] = i < argc ? argv[i] : wy_error();
  if (!wy_is_none(kwargs) && keyword_arguments(W, fname, kwargs, names, nnames, out) < 0) return -1;
  for (int i = 0; i < required; i++)
    if (wy_is_error(out[i])) {
      missing_arguments(W, fname, names, out, required);
      return -1;
    }
  return 0;
}

int std_no_kwargs(wy_State *W, const char *fname, wy_Value kwargs) {
  if (wy_is_none(kwargs) || wy_len(W, kwargs) == 0) return 0;
  wy_raise(W, "TypeError", "%s() takes no keyword arguments", fname);
  return -1;
}

int std_argc(wy_State *W, const char *fname, int argc, int min, int max) {
  if (argc >= min && argc <= max) return 0;
  if (min == max && max == 0)
    wy_raise(W, "TypeError", "%s() takes no arguments (%d given)", fname, argc);
  else if (min == max && max == 1)
    wy_raise(W, "TypeError", "%s() takes exactly one argument (%d given)", fname, argc);
  else if (min == max)
    wy_raise(W, "TypeError", "%s expected %d arguments, got %d", fname, max, argc);
  else if (argc > max)
    wy_raise(W, "TypeError", "%s expected at most %d %s, got %d", fname, max,
             plural(max, "argument", "arguments"), argc);
  else
    wy_raise(W, "TypeError", "%s expected at least %d %s, got %d", fname, min,
             plural(min, "argument", "arguments"), argc);
  return -1;
}

/* ---- per-VM module state ---- */

/* The state hangs off a hidden instance in the module's namespace: when
** the module dies (at the latest when the VM closes) the instance's
** finalizer frees it. */
void *std_state_new(wy_State *W, wy_Value module, size_t size) {
  static const wy_Method none[] = {{NULL, NULL}};
  void *state = calloc(1, size);
  if (!state) {
    wy_raise(W, "MemoryError", "out of memory");
    return NULL;
  }
  wy_Value cls = wy_class(W, "_state", wy_none(), none, NULL);
  wy_Value anchor = wy_is_error(cls) ? cls : wy_new_instance(W, cls, state, free);
  if (wy_is_error(anchor)) {
    free(state);
    return NULL;
  }
  if (wy_module_set(W, module, "_state", anchor) < 0) return NULL;
  return state;
}

size_t std_utf8_length(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}
