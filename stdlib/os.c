/* os.c — the os module (environment, working directory, files and
** directories) and os.path (POSIX path arithmetic and tests), with
** CPython's results and error messages. Uses withy.h only.
**
** Paths are str. Failing system calls raise the OSError subclass of their
** errno with the file name: FileNotFoundError "[Errno 2] No such file or
** directory: 'x'". */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "stdlib.h"

extern char **environ;

typedef struct OsState {
  wy_Pin *environ; /* os.environ: os.getenv reads it, as CPython's does */
} OsState;

/* ---- arguments ---- */

/* a path argument as a C string: a str, or an object with __fspath__ */
static const char *path_arg(wy_State *W, const char *fname, const char *argname, wy_Value v) {
  if (wy_is_str(v)) return wy_to_str(W, v, NULL);
  if (!wy_is_none(v) && !wy_is_int(v) && !wy_is_float(v) && wy_hasattr(W, v, "__fspath__")) {
    wy_Value p = wy_call_method(W, v, "__fspath__", 0, NULL);
    if (wy_is_error(p)) return NULL;
    if (wy_is_str(p)) return wy_to_str(W, p, NULL);
  }
  wy_raise(W, "TypeError", "%s: %s should be string, bytes or os.PathLike, not %s", fname, argname,
           wy_type_name(W, v));
  return NULL;
}

/* the single path argument of a function f(path) */
static const char *one_path(wy_State *W, const char *fname, int argc, const wy_Value *argv, wy_Value kw) {
  static const char *const names[] = {"path", NULL};
  wy_Value a[1];
  if (std_args(W, fname, argc, argv, kw, names, 1, a) < 0) return NULL;
  return path_arg(W, fname, "path", a[0]);
}

static int64_t int_arg(wy_State *W, wy_Value v, int64_t absent, bool *ok) {
  int64_t n = absent;
  *ok = wy_is_error(v) || wy_to_int(W, v, &n) == 0;
  return n;
}

/* ---- environment ---- */

static wy_Value make_environ(wy_State *W) {
  wy_Value env = wy_dict(W);
  if (wy_is_error(env)) return env;
  for (char **e = environ; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    if (!eq || eq == *e) continue;
    size_t klen = (size_t)(eq - *e);
    char *key = malloc(klen + 1);
    if (!key) return wy_raise(W, "MemoryError", "out of memory");
    memcpy(key, *e, klen);
    key[klen] = '\0';
    wy_Value val = wy_str(W, eq + 1);
    if (wy_is_error(val)) { /* not UTF-8: leave it out rather than fail the import */
      wy_clear_error(W);
      free(key);
      continue;
    }
    int rc = wy_dict_set(W, env, key, val);
    free(key);
    if (rc < 0) return wy_error();
  }
  return env;
}

/* getenv(key, default=None) */
static wy_Value os_getenv(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"key", "default", NULL};
  wy_Value a[2];
  if (std_args(W, "getenv", argc, argv, kw, names, 1, a) < 0) return wy_error();
  if (!wy_is_str(a[0])) return wy_raise(W, "TypeError", "str expected, not %s", wy_type_name(W, a[0]));
  wy_Value dflt = wy_is_error(a[1]) ? wy_none() : a[1];
  wy_Value env = wy_pinned(((OsState *)ud)->environ);
  wy_Value v = wy_dict_get(W, env, wy_to_str(W, a[0], NULL));
  if (wy_is_error(v)) return wy_error_pending(W) ? v : dflt;
  return v;
}

static wy_Value os_getcwd(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "getcwd", kw) < 0 || std_argc(W, "getcwd", argc, 0, 0) < 0) return wy_error();
  char *cwd = getcwd(NULL, 0);
  if (!cwd) return wy_raise_errno(W, errno, NULL);
  wy_Value r = wy_str(W, cwd);
  free(cwd);
  return r;
}

static wy_Value os_getpid(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_argc(W, "getpid", argc, 0, 0) < 0) return wy_error();
  return wy_int((int64_t)getpid());
}

static wy_Value os_strerror(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  int64_t code;
  if (std_argc(W, "strerror", argc, 1, 1) < 0 || wy_to_int(W, argv[0], &code) < 0) return wy_error();
  return wy_str(W, strerror((int)code));
}

static wy_Value os_fspath(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_argc(W, "fspath", argc, 1, 1) < 0) return wy_error();
  if (wy_is_str(argv[0]) || wy_is_bytes(argv[0])) return argv[0];
  if (wy_hasattr(W, argv[0], "__fspath__")) return wy_call_method(W, argv[0], "__fspath__", 0, NULL);
  return wy_raise(W, "TypeError", "expected str, bytes or os.PathLike object, not %s",
                  wy_type_name(W, argv[0]));
}

/* ---- files and directories ---- */

static wy_Value os_chdir(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  const char *path = one_path(W, "chdir", argc, argv, kw);
  if (!path) return wy_error();
  if (chdir(path) != 0) return wy_raise_errno(W, errno, path);
  return wy_none();
}

/* mkdir(path, mode=0o777) */
static wy_Value os_mkdir(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"path", "mode", NULL};
  wy_Value a[2];
  bool ok;
  if (std_args(W, "mkdir", argc, argv, kw, names, 1, a) < 0) return wy_error();
  const char *path = path_arg(W, "mkdir", "path", a[0]);
  int64_t mode = int_arg(W, a[1], 0777, &ok);
  if (!path || !ok) return wy_error();
  if (mkdir(path, (mode_t)mode) != 0) return wy_raise_errno(W, errno, path);
  return wy_none();
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* makedirs(name, mode=0o777, exist_ok=False): every missing parent, then name */
static wy_Value os_makedirs(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"name", "mode", "exist_ok", NULL};
  wy_Value a[3];
  bool ok;
  if (std_args(W, "makedirs", argc, argv, kw, names, 1, a) < 0) return wy_error();
  const char *name = path_arg(W, "makedirs", "path", a[0]);
  int64_t mode = int_arg(W, a[1], 0777, &ok);
  int exist_ok = wy_is_error(a[2]) ? 0 : wy_truthy(W, a[2]);
  if (!name || !ok || exist_ok < 0) return wy_error();
  char *path = strdup(name);
  if (!path) return wy_raise(W, "MemoryError", "out of memory");
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/') path[--len] = '\0';
  /* the parents: each prefix ending before a '/' (intermediate ones may exist) */
  for (size_t i = 1; i < len; i++) {
    if (path[i] != '/' || path[i - 1] == '/') continue;
    path[i] = '\0';
    int rc = is_dir(path) ? 0 : mkdir(path, 0777);
    int err = errno;
    path[i] = '/';
    if (rc != 0 && err != EEXIST) {
      path[i] = '\0';
      wy_Value r = wy_raise_errno(W, err, path);
      free(path);
      return r;
    }
  }
  free(path);
  if (mkdir(name, (mode_t)mode) != 0) {
    int err = errno;
    if (!(err == EEXIST && exist_ok && is_dir(name))) return wy_raise_errno(W, err, name);
  }
  return wy_none();
}

static wy_Value os_remove(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  const char *path = one_path(W, "remove", argc, argv, kw);
  if (!path) return wy_error();
  if (unlink(path) != 0) return wy_raise_errno(W, errno, path);
  return wy_none();
}

static wy_Value os_unlink(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  const char *path = one_path(W, "unlink", argc, argv, kw);
  if (!path) return wy_error();
  if (unlink(path) != 0) return wy_raise_errno(W, errno, path);
  return wy_none();
}

static wy_Value os_rmdir(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  const char *path = one_path(W, "rmdir", argc, argv, kw);
  if (!path) return wy_error();
  if (rmdir(path) != 0) return wy_raise_errno(W, errno, path);
  return wy_none();
}

/* OSError(errno, strerror, src, None, dst): "[Errno 2] …: 'a' -> 'b'" */
static wy_Value raise_errno2(wy_State *W, int err, const char *src, const char *dst) {
  wy_Value args[5] = {wy_int(err), wy_str(W, strerror(err)), wy_str(W, src), wy_none(), wy_str(W, dst)};
  for (int i = 0; i < 5; i++)
    if (wy_is_error(args[i])) return wy_error();
  wy_Value exc = wy_call(W, wy_builtin(W, "OSError"), 5, args);
  return wy_is_error(exc) ? exc : wy_raise_value(W, exc);
}

static wy_Value rename_impl(wy_State *W, const char *fname, int argc, const wy_Value *argv, wy_Value kw) {
  static const char *const names[] = {"src", "dst", NULL};
  wy_Value a[2];
  if (std_args(W, fname, argc, argv, kw, names, 2, a) < 0) return wy_error();
  const char *src = path_arg(W, fname, "src", a[0]);
  const char *dst = src ? path_arg(W, fname, "dst", a[1]) : NULL;
  if (!dst) return wy_error();
  if (rename(src, dst) != 0) return raise_errno2(W, errno, src, dst);
  return wy_none();
}

static wy_Value os_rename(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return rename_impl(W, "rename", argc, argv, kw);
}

static wy_Value os_replace(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return rename_impl(W, "replace", argc, argv, kw);
}

/* listdir(path='.'): the names in the directory, without '.' and '..' */
static wy_Value os_listdir(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"path", NULL};
  wy_Value a[1];
  if (std_args(W, "listdir", argc, argv, kw, names, 0, a) < 0) return wy_error();
  const char *path = wy_is_error(a[0]) || wy_is_none(a[0]) ? "." : path_arg(W, "listdir", "path", a[0]);
  if (!path) return wy_error();
  DIR *dir = opendir(path);
  if (!dir) return wy_raise_errno(W, errno, path);
  wy_Value list = wy_list(W);
  struct dirent *e;
  while (!wy_is_error(list) && (e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    wy_Value name = wy_str(W, e->d_name);
    if (wy_is_error(name) || wy_list_append(W, list, name) < 0) list = wy_error();
  }
  closedir(dir);
  return list;
}

static const struct { const char *name; wy_CFunction fn; } os_functions[] = {
  {"getenv", os_getenv}, {"getcwd", os_getcwd}, {"getpid", os_getpid},
  {"strerror", os_strerror}, {"fspath", os_fspath}, {"chdir", os_chdir},
  {"mkdir", os_mkdir}, {"makedirs", os_makedirs}, {"remove", os_remove},
  {"unlink", os_unlink}, {"rmdir", os_rmdir}, {"rename", os_rename},
  {"replace", os_replace}, {"listdir", os_listdir},
};

int std_os_init(wy_State *W, wy_Value m) {
  OsState *st = std_state_new(W, m, sizeof *st);
  if (!st) return -1;
  wy_Value env = make_environ(W);
  if (wy_is_error(env) || !(st->environ = wy_pin(W, env))) return -1;
  for (size_t i = 0; i < sizeof os_functions / sizeof os_functions[0]; i++)
    if (wy_def(W, m, os_functions[i].name, os_functions[i].fn, st) < 0) return -1;
  static const struct { const char *name, *value; } consts[] = {
    {"name", "posix"}, {"sep", "/"}, {"linesep", "\n"}, {"curdir", "."}, {"pardir", ".."},
    {"extsep", "."}, {"pathsep", ":"}, {"devnull", "/dev/null"},
  };
  for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
    if (wy_module_set(W, m, consts[i].name, wy_str(W, consts[i].value)) < 0) return -1;
  if (wy_module_set(W, m, "altsep", wy_none()) < 0 || wy_module_set(W, m, "environ", env) < 0)
    return -1;
  /* `import os` also makes os.path: importing the submodule sets the attribute */
  return wy_is_error(wy_import(W, "os.path")) ? -1 : 0;
}

/* ---- os.path ---- */

/* A growable C string for building paths */
typedef struct PathBuf { char *s; size_t len, cap; bool failed; } PathBuf;

static void pb_add(PathBuf *b, const char *s, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) cap *= 2;
    char *bigger = realloc(b->s, cap);
    if (!bigger) {
      b->failed = true;
      return;
    }
    b->s = bigger;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static wy_Value pb_finish(wy_State *W, PathBuf *b) {
  wy_Value r = b->failed ? wy_raise(W, "MemoryError", "out of memory") : wy_strn(W, b->s ? b->s : "", b->len);
  free(b->s);
  return r;
}

/* the str argument of a path function, with posixpath's TypeError */
static const char *str_path(wy_State *W, const char *fname, wy_Value v, size_t *len) {
  if (wy_is_str(v)) return wy_to_str(W, v, len);
  if (!wy_is_none(v) && !wy_is_int(v) && !wy_is_float(v) && wy_hasattr(W, v, "__fspath__")) {
    wy_Value p = wy_call_method(W, v, "__fspath__", 0, NULL);
    if (wy_is_error(p)) return NULL;
    if (wy_is_str(p)) return wy_to_str(W, p, len);
  }
  if (strcmp(fname, "join") == 0)
    wy_raise(W, "TypeError", "join() argument must be str, bytes, or os.PathLike object, not '%s'",
             wy_type_name(W, v));
  else
    wy_raise(W, "TypeError", "expected str, bytes or os.PathLike object, not %s", wy_type_name(W, v));
  return NULL;
}

/* the single path argument of os.path.f(p) */
static const char *path1(wy_State *W, const char *fname, int argc, const wy_Value *argv, wy_Value kw,
                         size_t *len) {
  static const char *const names[] = {"p", NULL};
  wy_Value a[1];
  if (std_args(W, fname, argc, argv, kw, names, 1, a) < 0) return NULL;
  return str_path(W, fname, a[0], len);
}

static size_t last_slash_end(const char *p, size_t len) {
  size_t i = len;
  while (i > 0 && p[i - 1] != '/') i--;
  return i; /* index just after the last '/', 0 if none */
}

/* split's head: up to the last '/', trailing slashes removed unless all slashes */
static size_t head_len(const char *p, size_t len) {
  size_t i = last_slash_end(p, len), h = i;
  bool all_slashes = true;
  for (size_t k = 0; k < i; k++) all_slashes &= p[k] == '/';
  if (i > 0 && !all_slashes)
    while (h > 0 && p[h - 1] == '/') h--;
  return h;
}

static wy_Value path_join(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "join", kw) < 0) return wy_error();
  if (argc < 1) return wy_raise(W, "TypeError", "join() missing 1 required positional argument: 'a'");
  PathBuf b = {0};
  for (int i = 0; i < argc; i++) {
    size_t n;
    const char *part = str_path(W, "join", argv[i], &n);
    if (!part) {
      free(b.s);
      return wy_error();
    }
    if (i > 0 && n > 0 && part[0] == '/') b.len = 0;
    else if (i > 0 && b.len > 0 && b.s[b.len - 1] != '/') pb_add(&b, "/", 1);
    pb_add(&b, part, n);
  }
  return pb_finish(W, &b);
}

static wy_Value path_basename(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "basename", argc, argv, kw, &len);
  if (!p) return wy_error();
  size_t i = last_slash_end(p, len);
  return wy_strn(W, p + i, len - i);
}

static wy_Value path_dirname(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "dirname", argc, argv, kw, &len);
  return p ? wy_strn(W, p, head_len(p, len)) : wy_error();
}

static wy_Value path_split(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "split", argc, argv, kw, &len);
  if (!p) return wy_error();
  size_t i = last_slash_end(p, len);
  wy_Value parts[2] = {wy_strn(W, p, head_len(p, len)), wy_strn(W, p + i, len - i)};
  return wy_tuple(W, 2, parts);
}

/* splitext: the extension starts at the last '.' of the last component,
** unless that component is only leading dots before it (".bashrc") */
static wy_Value path_splitext(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "splitext", argc, argv, kw, &len);
  if (!p) return wy_error();
  size_t name = last_slash_end(p, len), dot = len;
  for (size_t i = len; i > name; i--)
    if (p[i - 1] == '.') {
      dot = i - 1;
      break;
    }
  size_t cut = len;
  if (dot < len)
    for (size_t i = name; i < dot; i++)
      if (p[i] != '.') {
        cut = dot;
        break;
      }
  wy_Value parts[2] = {wy_strn(W, p, cut), wy_strn(W, p + cut, len - cut)};
  return wy_tuple(W, 2, parts);
}

static wy_Value path_isabs(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "isabs", argc, argv, kw, &len);
  return p ? wy_bool(len > 0 && p[0] == '/') : wy_error();
}

/* normpath: drop '.' and empty components, resolve '..' lexically */
static void normalize(PathBuf *out, const char *p, size_t len) {
  if (len == 0) {
    pb_add(out, ".", 1);
    return;
  }
  int slashes = p[0] == '/' ? (len >= 2 && p[1] == '/' && !(len >= 3 && p[2] == '/') ? 2 : 1) : 0;
  pb_add(out, "//", (size_t)slashes);
  size_t base = out->len;
  int ncomps = 0;
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && p[j] != '/') j++;
    size_t n = j - i;
    const char *comp = p + i;
    i = j + 1;
    if (n == 0 || (n == 1 && comp[0] == '.')) continue;
    bool dotdot = n == 2 && comp[0] == '.' && comp[1] == '.';
    bool last_is_dotdot = ncomps > 0 && out->len >= base + 2 && out->s[out->len - 1] == '.' &&
                          out->s[out->len - 2] == '.' && (out->len == base + 2 || out->s[out->len - 3] == '/');
    if (!dotdot || (!slashes && ncomps == 0) || last_is_dotdot) {
      if (ncomps > 0) pb_add(out, "/", 1);
      pb_add(out, comp, n);
      ncomps++;
    } else if (ncomps > 0) { /* pop the last component */
      size_t k = out->len;
      while (k > base && out->s[k - 1] != '/') k--;
      out->len = k > base ? k - 1 : base;
      if (!out->failed) out->s[out->len] = '\0';
      ncomps--;
    }
  }
  if (out->len == 0) pb_add(out, ".", 1);
}

static wy_Value path_normpath(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "normpath", argc, argv, kw, &len);
  if (!p) return wy_error();
  PathBuf b = {0};
  normalize(&b, p, len);
  return pb_finish(W, &b);
}

static wy_Value path_abspath(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "abspath", argc, argv, kw, &len);
  if (!p) return wy_error();
  PathBuf joined = {0}, b = {0};
  if (len == 0 || p[0] != '/') {
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return wy_raise_errno(W, errno, NULL);
    pb_add(&joined, cwd, strlen(cwd));
    free(cwd);
    if (joined.len > 0 && joined.s[joined.len - 1] != '/') pb_add(&joined, "/", 1);
  }
  pb_add(&joined, p, len);
  if (joined.failed) {
    free(joined.s);
    return wy_raise(W, "MemoryError", "out of memory");
  }
  normalize(&b, joined.s, joined.len);
  free(joined.s);
  return pb_finish(W, &b);
}

static wy_Value path_realpath(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "realpath", argc, argv, kw, &len);
  if (!p) return wy_error();
  char *real = realpath(p, NULL);
  if (!real) return path_abspath(W, argc, argv, kw, ud); /* missing parts stay as written */
  wy_Value r = wy_str(W, real);
  free(real);
  return r;
}

static wy_Value path_expanduser(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  size_t len;
  const char *p = path1(W, "expanduser", argc, argv, kw, &len);
  if (!p) return wy_error();
  const char *home = getenv("HOME");
  if (len == 0 || p[0] != '~' || (len > 1 && p[1] != '/') || !home) return argv[0];
  PathBuf b = {0};
  size_t hlen = strlen(home);
  while (hlen > 1 && home[hlen - 1] == '/') hlen--;
  pb_add(&b, home, hlen);
  pb_add(&b, p + 1, len - 1);
  if (!b.failed && b.len == 0) pb_add(&b, "/", 1);
  return pb_finish(W, &b);
}

/* exists/isfile/isdir/islink: False on any OSError, as CPython */
static wy_Value stat_test(wy_State *W, const char *fname, int argc, const wy_Value *argv, wy_Value kw,
                          bool use_lstat, int want) {
  size_t len;
  if (std_no_kwargs(W, fname, kw) < 0 || std_argc(W, fname, argc, 1, 1) < 0) return wy_error();
  const char *p = wy_is_str(argv[0]) ? wy_to_str(W, argv[0], &len) : path_arg(W, "stat", "path", argv[0]);
  if (!p) return wy_error();
  struct stat st;
  if ((use_lstat ? lstat(p, &st) : stat(p, &st)) != 0) return wy_bool(false);
  switch (want) {
    case 'f': return wy_bool(S_ISREG(st.st_mode));
    case 'd': return wy_bool(S_ISDIR(st.st_mode));
    case 'l': return wy_bool(S_ISLNK(st.st_mode));
    default: return wy_bool(true);
  }
}

static wy_Value path_exists(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return stat_test(W, "exists", argc, argv, kw, false, 'e');
}
static wy_Value path_lexists(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return stat_test(W, "lexists", argc, argv, kw, true, 'e');
}
static wy_Value path_isfile(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return stat_test(W, "isfile", argc, argv, kw, false, 'f');
}
static wy_Value path_isdir(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return stat_test(W, "isdir", argc, argv, kw, false, 'd');
}
static wy_Value path_islink(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return stat_test(W, "islink", argc, argv, kw, true, 'l');
}

static wy_Value path_getsize(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "getsize", kw) < 0 || std_argc(W, "getsize", argc, 1, 1) < 0) return wy_error();
  const char *p = path_arg(W, "stat", "path", argv[0]);
  if (!p) return wy_error();
  struct stat st;
  if (stat(p, &st) != 0) return wy_raise_errno(W, errno, p);
  return wy_int((int64_t)st.st_size);
}

static const struct { const char *name; wy_CFunction fn; } path_functions[] = {
  {"join", path_join}, {"basename", path_basename}, {"dirname", path_dirname},
  {"split", path_split}, {"splitext", path_splitext}, {"isabs", path_isabs},
  {"normpath", path_normpath}, {"abspath", path_abspath}, {"realpath", path_realpath},
  {"expanduser", path_expanduser}, {"exists", path_exists}, {"lexists", path_lexists},
  {"isfile", path_isfile}, {"isdir", path_isdir}, {"islink", path_islink},
  {"getsize", path_getsize},
};

int std_os_path_init(wy_State *W, wy_Value m) {
  for (size_t i = 0; i < sizeof path_functions / sizeof path_functions[0]; i++)
    if (wy_def(W, m, path_functions[i].name, path_functions[i].fn, NULL) < 0) return -1;
  return wy_module_set(W, m, "sep", wy_str(W, "/")) < 0 ||
                 wy_module_set(W, m, "curdir", wy_str(W, ".")) < 0 ||
                 wy_module_set(W, m, "pardir", wy_str(W, "..")) < 0
             ? -1 : 0;
}
