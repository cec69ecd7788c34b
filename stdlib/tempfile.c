/* tempfile.c — the tempfile module: gettempdir, mkdtemp, mkstemp,
** TemporaryDirectory and NamedTemporaryFile, with CPython's names
** ("tmp" + 8 random characters) and reprs. Uses withy.h only.
**
** NamedTemporaryFile opens its file through the builtin open() (files.c)
** on the created fd and wraps it in _TemporaryFileWrapper, which forwards
** unknown attributes to the file and deletes it on close. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include "stdlib.h"

typedef struct TempState {
  wy_Pin *tmpdir_class;
  wy_Pin *wrapper_class;
  uint64_t rng;
} TempState;

/* ---- C helpers ---- */

static uint64_t next_random(TempState *st) {
  if (!st->rng) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (read(fd, &st->rng, sizeof st->rng) != (ssize_t)sizeof st->rng) st->rng = 0;
      close(fd);
    }
    st->rng ^= (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
    if (!st->rng) st->rng = 88172645463325252ull;
  }
  uint64_t x = st->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  st->rng = x;
  return x;
}

static void random_name(TempState *st, char out[9]) {
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
  uint64_t r = next_random(st);
  for (int i = 0; i < 8; i++) {
    out[i] = chars[r % 37];
    r /= 37;
  }
  out[8] = '\0';
}

/* Remove a directory tree. 0, or -1 with errno and the failing path in *bad (malloc'd). */
static int rmtree(const char *path, char **bad) {
  DIR *d = opendir(path);
  if (!d) goto fail;
  struct dirent *e;
  size_t plen = strlen(path);
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    size_t need = plen + strlen(e->d_name) + 2;
    char *child = malloc(need);
    if (!child) {
      closedir(d);
      errno = ENOMEM;
      return -1;
    }
    snprintf(child, need, "%s/%s", path, e->d_name);
    struct stat sb;
    int rc;
    if (lstat(child, &sb) == 0 && S_ISDIR(sb.st_mode)) rc = rmtree(child, bad);
    else if ((rc = unlink(child)) < 0 && bad && !*bad) {
      int err = errno;
      *bad = child;
      child = NULL;
      errno = err;
    }
    if (rc < 0) {
      int err = errno;
      free(child);
      closedir(d);
      errno = err;
      return -1;
    }
    free(child);
  }
  closedir(d);
  if (rmdir(path) == 0) return 0;
fail:
  if (bad && !*bad) {
    int err = errno;
    size_t n = strlen(path) + 1;
    *bad = malloc(n);
    if (*bad) memcpy(*bad, path, n);
    errno = err;
  }
  return -1;
}

/* ---- arguments ---- */

/* an optional str argument (None/absent -> dflt); NULL + TypeError otherwise */
static bool str_opt(wy_State *W, wy_Value v, const char *dflt, const char **out) {
  if (wy_is_error(v) || wy_is_none(v)) {
    *out = dflt;
    return true;
  }
  if (!wy_is_str(v) && !wy_is_none(v) && wy_hasattr(W, v, "__fspath__")) {
    v = wy_call_method(W, v, "__fspath__", 0, NULL);
    if (wy_is_error(v)) return false;
  }
  if (!wy_is_str(v)) {
    wy_raise(W, "TypeError", "expected str, not %s", wy_type_name(W, v));
    return false;
  }
  *out = wy_to_str(W, v, NULL);
  return *out != NULL;
}

static bool usable_dir(const char *d) {
  struct stat sb;
  return d && *d && stat(d, &sb) == 0 && S_ISDIR(sb.st_mode) && access(d, W_OK | X_OK) == 0;
}

static wy_Value gettempdir_value(wy_State *W) {
  const char *cands[] = {getenv("TMPDIR"), getenv("TEMP"), getenv("TMP"), "/tmp", "/var/tmp", "/usr/tmp"};
  for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
    if (!usable_dir(cands[i])) continue;
    if (cands[i][0] == '/') return wy_str(W, cands[i]);
    wy_Value os_path = wy_import(W, "os.path");
    if (wy_is_error(os_path)) return os_path;
    return wy_call_method(W, os_path, "abspath", 1, (wy_Value[]){wy_str(W, cands[i])});
  }
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd)) return wy_str(W, cwd);
  return wy_raise(W, "FileNotFoundError", "No usable temporary directory found");
}

typedef struct NameParts {
  const char *suffix, *prefix, *dir;
  wy_Value dir_value; /* keeps dir alive */
} NameParts;

static bool name_parts(wy_State *W, wy_Value suffix, wy_Value prefix, wy_Value dir, NameParts *np) {
  if (!str_opt(W, suffix, "", &np->suffix) || !str_opt(W, prefix, "tmp", &np->prefix)) return false;
  if (wy_is_error(dir) || wy_is_none(dir)) {
    np->dir_value = gettempdir_value(W);
    if (wy_is_error(np->dir_value)) return false;
    np->dir = wy_to_str(W, np->dir_value, NULL);
    return np->dir != NULL;
  }
  np->dir_value = dir;
  return str_opt(W, dir, "", &np->dir);
}

/* Create a uniquely named directory (or file, when fd_out). Returns the
** path (malloc'd), or NULL with the exception raised. */
static char *create_unique(wy_State *W, TempState *st, const NameParts *np, int *fd_out) {
  size_t need = strlen(np->dir) + strlen(np->prefix) + strlen(np->suffix) + 16;
  char *path = malloc(need);
  if (!path) {
    wy_raise(W, "MemoryError", "out of memory");
    return NULL;
  }
  for (int tries = 0; tries < 10000; tries++) {
    char rnd[9];
    random_name(st, rnd);
    const char *sep = (*np->dir && np->dir[strlen(np->dir) - 1] != '/') ? "/" : "";
    snprintf(path, need, "%s%s%s%s%s", np->dir, sep, np->prefix, rnd, np->suffix);
    int rc;
    if (fd_out) {
      rc = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (rc >= 0) {
        *fd_out = rc;
        return path;
      }
    } else {
      rc = mkdir(path, 0700);
      if (rc == 0) return path;
    }
    if (errno != EEXIST) {
      wy_raise_errno(W, errno, path);
      free(path);
      return NULL;
    }
  }
  wy_raise(W, "FileExistsError", "[Errno 17] No usable temporary file name found");
  free(path);
  return NULL;
}

/* ---- module functions ---- */

static wy_Value t_gettempdir(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "gettempdir", kw) < 0 || std_argc(W, "gettempdir", argc, 0, 0) < 0) return wy_error();
  return gettempdir_value(W);
}

/* mkdtemp(suffix=None, prefix=None, dir=None) */
static wy_Value t_mkdtemp(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"suffix", "prefix", "dir", NULL};
  wy_Value a[3];
  NameParts np;
  if (std_args(W, "mkdtemp", argc, argv, kw, names, 0, a) < 0 || !name_parts(W, a[0], a[1], a[2], &np))
    return wy_error();
  char *path = create_unique(W, ud, &np, NULL);
  if (!path) return wy_error();
  wy_Value r = wy_str(W, path);
  free(path);
  return r;
}

/* mkstemp(suffix=None, prefix=None, dir=None, text=False) -> (fd, path) */
static wy_Value t_mkstemp(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"suffix", "prefix", "dir", "text", NULL};
  wy_Value a[4];
  NameParts np;
  if (std_args(W, "mkstemp", argc, argv, kw, names, 0, a) < 0 || !name_parts(W, a[0], a[1], a[2], &np))
    return wy_error();
  int fd;
  char *path = create_unique(W, ud, &np, &fd);
  if (!path) return wy_error();
  wy_Value items[2] = {wy_int(fd), wy_str(W, path)};
  free(path);
  if (wy_is_error(items[1])) {
    close(fd);
    return wy_error();
  }
  return wy_tuple(W, 2, items);
}

/* ---- TemporaryDirectory ---- */

typedef struct TmpDir {
  char *path;
  bool cleaned;
  bool ignore_errors;
} TmpDir;

static void tmpdir_free(void *data) {
  TmpDir *t = data;
  free(t->path);
  free(t);
}

static TmpDir *tmpdir_of(wy_State *W, int argc, const wy_Value *argv, void *ud) {
  TempState *st = ud;
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return NULL;
  }
  return wy_instance_data(W, argv[0], wy_pinned(st->tmpdir_class));
}

/* TemporaryDirectory(suffix=None, prefix=None, dir=None, ignore_cleanup_errors=False) */
static wy_Value td_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"suffix", "prefix", "dir", "ignore_cleanup_errors", NULL};
  wy_Value a[4];
  NameParts np;
  if (argc < 1) return wy_raise(W, "TypeError", "descriptor needs an argument");
  if (std_args(W, "TemporaryDirectory", argc - 1, argv + 1, kw, names, 0, a) < 0 ||
      !name_parts(W, a[0], a[1], a[2], &np))
    return wy_error();
  bool ignore = false;
  if (!wy_is_error(a[3])) {
    int t = wy_truthy(W, a[3]);
    if (t < 0) return wy_error();
    ignore = t;
  }
  TmpDir *t = calloc(1, sizeof *t);
  if (!t) return wy_raise(W, "MemoryError", "out of memory");
  t->ignore_errors = ignore;
  t->path = create_unique(W, ud, &np, NULL);
  if (!t->path) {
    free(t);
    return wy_error();
  }
  wy_Value name = wy_str(W, t->path);
  if (wy_is_error(name) || wy_set_instance_data(W, argv[0], t, tmpdir_free) < 0) {
    rmdir(t->path);
    tmpdir_free(t);
    return wy_error();
  }
  if (wy_setattr(W, argv[0], "name", name) < 0) return wy_error();
  return wy_none();
}

static wy_Value td_cleanup(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  TmpDir *t = tmpdir_of(W, argc, argv, ud);
  if (!t) return wy_error();
  struct stat sb;
  bool first = !t->cleaned;
  t->cleaned = true;
  if (!first && lstat(t->path, &sb) != 0) return wy_none();
  char *bad = NULL;
  if (rmtree(t->path, &bad) < 0 && !t->ignore_errors) {
    int err = errno;
    wy_Value r = wy_raise_errno(W, err, bad ? bad : t->path);
    free(bad);
    return r;
  }
  free(bad);
  return wy_none();
}

static wy_Value td_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!tmpdir_of(W, argc, argv, ud)) return wy_error();
  return wy_getattr(W, argv[0], "name");
}

static wy_Value td_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value r = td_cleanup(W, argc < 1 ? argc : 1, argv, wy_none(), ud);
  return wy_is_error(r) ? r : wy_none();
}

static wy_Value td_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!tmpdir_of(W, argc, argv, ud)) return wy_error();
  wy_Value name = wy_getattr(W, argv[0], "name");
  wy_Value r = wy_is_error(name) ? name : wy_repr(W, name);
  if (wy_is_error(r)) return r;
  const char *s = wy_to_str(W, r, NULL);
  size_t need = strlen(s) + 32;
  char *buf = malloc(need);
  if (!buf) return wy_raise(W, "MemoryError", "out of memory");
  snprintf(buf, need, "<TemporaryDirectory %s>", s);
  wy_Value out = wy_str(W, buf);
  free(buf);
  return out;
}

static const wy_Method tmpdir_methods[] = {
  {"__init__", td_init}, {"cleanup", td_cleanup}, {"__enter__", td_enter},
  {"__exit__", td_exit}, {"__repr__", td_repr}, {NULL, NULL}
};

/* ---- _TemporaryFileWrapper ---- */

typedef struct TmpFile {
  char *path;
  bool delete_, closed;
} TmpFile;

static void tmpfile_free(void *data) {
  TmpFile *t = data;
  free(t->path);
  free(t);
}

static TmpFile *tmpfile_of(wy_State *W, int argc, const wy_Value *argv, void *ud) {
  TempState *st = ud;
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return NULL;
  }
  return wy_instance_data(W, argv[0], wy_pinned(st->wrapper_class));
}

/* _TemporaryFileWrapper(file, name, delete=True) */
static wy_Value tw_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"file", "name", "delete", NULL};
  wy_Value a[3];
  if (argc < 1) return wy_raise(W, "TypeError", "descriptor needs an argument");
  if (std_args(W, "_TemporaryFileWrapper", argc - 1, argv + 1, kw, names, 2, a) < 0) return wy_error();
  const char *name = wy_to_str(W, a[1], NULL);
  if (!name) return wy_error();
  int del = 1;
  if (!wy_is_error(a[2]) && (del = wy_truthy(W, a[2])) < 0) return wy_error();
  TmpFile *t = calloc(1, sizeof *t);
  size_t n = strlen(name) + 1;
  if (t) t->path = malloc(n);
  if (!t || !t->path) {
    free(t);
    return wy_raise(W, "MemoryError", "out of memory");
  }
  memcpy(t->path, name, n);
  t->delete_ = del;
  if (wy_set_instance_data(W, argv[0], t, tmpfile_free) < 0) {
    tmpfile_free(t);
    return wy_error();
  }
  if (wy_setattr(W, argv[0], "file", a[0]) < 0 || wy_setattr(W, argv[0], "name", a[1]) < 0 ||
      wy_setattr(W, argv[0], "delete", wy_bool(del)) < 0)
    return wy_error();
  return wy_none();
}

static wy_Value file_of(wy_State *W, wy_Value self) { return wy_getattr(W, self, "file"); }

static wy_Value tw_getattr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (argc != 2 || !wy_is_str(argv[1])) return wy_raise(W, "TypeError", "__getattr__ expects a name");
  const char *name = wy_to_str(W, argv[1], NULL);
  if (!strcmp(name, "file") || !strncmp(name, "__", 2))
    return wy_raise(W, "AttributeError", "'_TemporaryFileWrapper' object has no attribute '%s'", name);
  wy_Value f = file_of(W, argv[0]);
  if (wy_is_error(f)) return f;
  return wy_getattr(W, f, name);
}

static wy_Value tw_close(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  TmpFile *t = tmpfile_of(W, argc, argv, ud);
  if (!t) return wy_error();
  if (t->closed) return wy_none();
  t->closed = true;
  wy_Value f = file_of(W, argv[0]);
  wy_Value r = wy_is_error(f) ? f : wy_call_method(W, f, "close", 0, NULL);
  if (t->delete_ && unlink(t->path) < 0 && !wy_is_error(r)) return wy_raise_errno(W, errno, t->path);
  return wy_is_error(r) ? r : wy_none();
}

static wy_Value tw_enter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!tmpfile_of(W, argc, argv, ud)) return wy_error();
  wy_Value f = file_of(W, argv[0]);
  wy_Value r = wy_is_error(f) ? f : wy_call_method(W, f, "__enter__", 0, NULL);
  return wy_is_error(r) ? r : argv[0];
}

static wy_Value tw_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value r = tw_close(W, argc < 1 ? argc : 1, argv, wy_none(), ud);
  return wy_is_error(r) ? r : wy_none();
}

static wy_Value tw_iter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!tmpfile_of(W, argc, argv, ud)) return wy_error();
  wy_Value f = file_of(W, argv[0]);
  return wy_is_error(f) ? f : wy_iter(W, f);
}

static const wy_Method wrapper_methods[] = {
  {"__init__", tw_init}, {"__getattr__", tw_getattr}, {"close", tw_close},
  {"__enter__", tw_enter}, {"__exit__", tw_exit}, {"__iter__", tw_iter}, {NULL, NULL}
};

/* NamedTemporaryFile(mode='w+b', buffering=-1, encoding=None, newline=None,
**                    suffix=None, prefix=None, dir=None, delete=True, *, errors=None) */
static wy_Value t_named(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  TempState *st = ud;
  static const char *const names[] = {"mode", "buffering", "encoding", "newline", "suffix",
                                      "prefix", "dir", "delete", "errors", NULL};
  wy_Value a[9];
  NameParts np;
  if (std_args(W, "NamedTemporaryFile", argc, argv, kw, names, 0, a) < 0 || !name_parts(W, a[4], a[5], a[6], &np))
    return wy_error();
  int fd;
  char *path = create_unique(W, st, &np, &fd);
  if (!path) return wy_error();
  wy_Value none = wy_none();
  wy_Value args[6] = {
    wy_int(fd), wy_is_error(a[0]) ? wy_str(W, "w+b") : a[0], wy_is_error(a[1]) ? wy_int(-1) : a[1],
    wy_is_error(a[2]) ? none : a[2], wy_is_error(a[8]) ? none : a[8], wy_is_error(a[3]) ? none : a[3],
  };
  wy_Value file = wy_call(W, wy_builtin(W, "open"), 6, args);
  wy_Value name = wy_str(W, path);
  if (wy_is_error(file) || wy_is_error(name)) {
    close(fd);
    unlink(path);
    free(path);
    return wy_error();
  }
  free(path);
  if (wy_setattr(W, file, "name", name) < 0) return wy_error();
  wy_Value del = wy_is_error(a[7]) ? wy_bool(true) : a[7];
  return wy_call(W, wy_pinned(st->wrapper_class), 3, (wy_Value[]){file, name, del});
}

int std_tempfile_init(wy_State *W, wy_Value m) {
  TempState *st = std_state_new(W, m, sizeof *st);
  if (!st) return -1;
  wy_Value td = wy_class(W, "TemporaryDirectory", wy_none(), tmpdir_methods, st);
  if (wy_is_error(td) || !(st->tmpdir_class = wy_pin(W, td))) return -1;
  wy_Value tw = wy_class(W, "_TemporaryFileWrapper", wy_none(), wrapper_methods, st);
  if (wy_is_error(tw) || !(st->wrapper_class = wy_pin(W, tw))) return -1;
  if (wy_module_set(W, m, "TemporaryDirectory", td) < 0 || wy_module_set(W, m, "_TemporaryFileWrapper", tw) < 0 ||
      wy_module_set(W, m, "tempdir", wy_none()) < 0 || wy_module_set(W, m, "template", wy_str(W, "tmp")) < 0)
    return -1;
  if (wy_def(W, m, "gettempdir", t_gettempdir, st) < 0 || wy_def(W, m, "mkdtemp", t_mkdtemp, st) < 0 ||
      wy_def(W, m, "mkstemp", t_mkstemp, st) < 0 || wy_def(W, m, "NamedTemporaryFile", t_named, st) < 0)
    return -1;
  return 0;
}
