/* sys.c — the sys module: argv, path, modules, exit, exc_info, the
** standard streams (C-backed text files over stdin/stdout/stderr), the
** recursion limit and version facts. Uses withy.h only.
**
** The streams write through C's stdio, as print does, so the order of
** output is the order of the calls; stdout is flushed before a traceback
** is printed (main.c / wy_print_error). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stdlib.h"

typedef struct StdStream {
  FILE *fp;
  const char *name;    /* "<stdout>" */
  const char *mode;    /* "r" or "w" */
  bool closed;
} StdStream;

typedef struct SysState {
  wy_Pin *stream_class;
} SysState;

/* the stream behind self, or NULL + TypeError / ValueError when closed */
static StdStream *stream_of(wy_State *W, int argc, const wy_Value *argv, void *ud, bool open) {
  SysState *st = ud;
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return NULL;
  }
  StdStream *s = wy_instance_data(W, argv[0], wy_pinned(st->stream_class));
  if (s && open && s->closed) {
    wy_raise(W, "ValueError", "I/O operation on closed file.");
    return NULL;
  }
  return s;
}

static wy_Value stream_write(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "write", kw) < 0 || std_argc(W, "write", argc - 1, 1, 1) < 0) return wy_error();
  StdStream *s = stream_of(W, argc, argv, ud, true);
  if (!s) return wy_error();
  if (!wy_is_str(argv[1]))
    return wy_raise(W, "TypeError", "write() argument must be str, not %s", wy_type_name(W, argv[1]));
  if (s->mode[0] != 'w') return wy_raise(W, "OSError", "not writable");
  size_t len;
  const char *text = wy_to_str(W, argv[1], &len);
  if (len && fwrite(text, 1, len, s->fp) != len) {
    int err = errno;
    clearerr(s->fp);
    return wy_raise_errno(W, err ? err : EIO, NULL);
  }
  return wy_int((int64_t)std_utf8_length(text, len));
}

static wy_Value stream_flush(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, true);
  if (!s) return wy_error();
  if (s->mode[0] == 'w' && fflush(s->fp) != 0) {
    int err = errno;
    clearerr(s->fp);
    return wy_raise_errno(W, err, NULL);
  }
  return wy_none();
}

/* readline([size]): one line including its "\n"; "" at end of file */
static wy_Value stream_readline(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "readline", kw) < 0 || std_argc(W, "readline", argc - 1, 0, 1) < 0)
    return wy_error();
  StdStream *s = stream_of(W, argc, argv, ud, true);
  if (!s) return wy_error();
  if (s->mode[0] != 'r') return wy_raise(W, "OSError", "not readable");
  int64_t limit = -1;
  if (argc > 1 && !wy_is_none(argv[1]) && wy_to_int(W, argv[1], &limit) < 0) return wy_error();
  char *line = NULL;
  size_t cap = 0, len = 0;
  int c;
  while ((limit < 0 || (int64_t)len < limit) && (c = fgetc(s->fp)) != EOF) {
    if (len + 1 >= cap) {
      cap = cap ? cap * 2 : 128;
      char *bigger = realloc(line, cap);
      if (!bigger) {
        free(line);
        return wy_raise(W, "MemoryError", "out of memory");
      }
      line = bigger;
    }
    line[len++] = (char)c;
    if (c == '\n') break;
  }
  if (ferror(s->fp)) clearerr(s->fp);
  wy_Value r = wy_strn(W, line ? line : "", len);
  free(line);
  return r;
}

/* read([size]): the rest of the input (or size characters' worth of bytes) */
static wy_Value stream_read(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "read", kw) < 0 || std_argc(W, "read", argc - 1, 0, 1) < 0) return wy_error();
  StdStream *s = stream_of(W, argc, argv, ud, true);
  if (!s) return wy_error();
  if (s->mode[0] != 'r') return wy_raise(W, "OSError", "not readable");
  int64_t limit = -1;
  if (argc > 1 && !wy_is_none(argv[1]) && wy_to_int(W, argv[1], &limit) < 0) return wy_error();
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf && (limit < 0 || (int64_t)len < limit)) {
    size_t want = cap - len;
    if (limit >= 0 && (int64_t)want > limit - (int64_t)len) want = (size_t)(limit - (int64_t)len);
    size_t got = fread(buf + len, 1, want, s->fp);
    len += got;
    if (got < want) break;
    if (len == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  if (!buf) return wy_raise(W, "MemoryError", "out of memory");
  if (ferror(s->fp)) clearerr(s->fp);
  wy_Value r = wy_strn(W, buf, len);
  free(buf);
  return r;
}

static wy_Value stream_readlines(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value lines = wy_list(W);
  if (wy_is_error(lines)) return lines;
  for (;;) {
    wy_Value line = stream_readline(W, 1, argv, wy_none(), ud);
    if (wy_is_error(line)) return line;
    if (wy_len(W, line) == 0) return lines;
    if (wy_list_append(W, lines, line) < 0) return wy_error();
  }
}

static wy_Value stream_next(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value line = stream_readline(W, 1, argv, wy_none(), ud);
  if (wy_is_error(line)) return line;
  if (wy_len(W, line) == 0) return wy_raise_value(W, wy_builtin(W, "StopIteration"));
  return line;
}

static wy_Value stream_self(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, true);
  return s ? argv[0] : wy_error();
}

static wy_Value stream_close(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, false);
  if (!s) return wy_error();
  /* the process's own streams stay usable by C code: only mark them closed */
  if (!s->closed && s->mode[0] == 'w') fflush(s->fp);
  s->closed = true;
  return wy_none();
}

static wy_Value stream_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value r = stream_close(W, 1, argv, wy_none(), ud);
  return wy_is_error(r) ? r : wy_none();
}

static wy_Value stream_fileno(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, true);
  return s ? wy_int(fileno(s->fp)) : wy_error();
}

static wy_Value stream_isatty(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, true);
  return s ? wy_bool(isatty(fileno(s->fp))) : wy_error();
}

static wy_Value stream_writable(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, true);
  return s ? wy_bool(s->mode[0] == 'w') : wy_error();
}

static wy_Value stream_readable(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, true);
  return s ? wy_bool(s->mode[0] == 'r') : wy_error();
}

static wy_Value stream_seekable(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, true);
  return s ? wy_bool(false) : wy_error();
}

static wy_Value stream_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, false);
  if (!s) return wy_error();
  char buf[128];
  snprintf(buf, sizeof buf, "<_io.TextIOWrapper name='%s' mode='%s' encoding='utf-8'>", s->name, s->mode);
  return wy_str(W, buf);
}

static wy_Value stream_get_name(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, false);
  return s ? wy_str(W, s->name) : wy_error();
}

static wy_Value stream_get_mode(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, false);
  return s ? wy_str(W, s->mode) : wy_error();
}

static wy_Value stream_get_closed(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StdStream *s = stream_of(W, argc, argv, ud, false);
  return s ? wy_bool(s->closed) : wy_error();
}

static const wy_Method stream_methods[] = {
  {"write", stream_write}, {"flush", stream_flush}, {"readline", stream_readline},
  {"read", stream_read}, {"readlines", stream_readlines}, {"close", stream_close},
  {"fileno", stream_fileno}, {"isatty", stream_isatty}, {"writable", stream_writable},
  {"readable", stream_readable}, {"seekable", stream_seekable}, {"__iter__", stream_self},
  {"__next__", stream_next}, {"__enter__", stream_self}, {"__exit__", stream_exit},
  {"__repr__", stream_repr}, {NULL, NULL}
};

static int add_property(wy_State *W, wy_Value cls, const char *name, wy_CFunction getter, void *ud) {
  wy_Value f = wy_function(W, name, getter, ud);
  wy_Value p = wy_is_error(f) ? f : wy_property(W, f, wy_none());
  return wy_is_error(p) ? -1 : wy_class_set(W, cls, name, p);
}

static wy_Value make_stream_class(wy_State *W, SysState *st) {
  wy_Value cls = wy_class(W, "TextIOWrapper", wy_none(), stream_methods, st);
  if (wy_is_error(cls)) return cls;
  if (add_property(W, cls, "name", stream_get_name, st) < 0 ||
      add_property(W, cls, "mode", stream_get_mode, st) < 0 ||
      add_property(W, cls, "closed", stream_get_closed, st) < 0 ||
      wy_class_set(W, cls, "encoding", wy_str(W, "utf-8")) < 0 ||
      wy_class_set(W, cls, "errors", wy_str(W, "strict")) < 0)
    return wy_error();
  return cls;
}

static int add_stream(wy_State *W, wy_Value m, wy_Value cls, FILE *fp, const char *name,
                      const char *mode, const char *attr, const char *dunder) {
  StdStream *s = calloc(1, sizeof *s);
  if (!s) {
    wy_raise(W, "MemoryError", "out of memory");
    return -1;
  }
  *s = (StdStream){.fp = fp, .name = name, .mode = mode};
  wy_Value obj = wy_new_instance(W, cls, s, free);
  if (wy_is_error(obj)) {
    free(s);
    return -1;
  }
  return wy_module_set(W, m, attr, obj) < 0 || wy_module_set(W, m, dunder, obj) < 0 ? -1 : 0;
}

/* ---- functions ---- */

/* exit([status]): raise SystemExit(status); exit(None) is SystemExit()
** (args == ()), as in CPython */
static wy_Value sys_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "exit", kw) < 0 || std_argc(W, "exit", argc, 0, 1) < 0) return wy_error();
  if (argc == 1 && wy_is_none(argv[0])) argc = 0;
  wy_Value exc = wy_call(W, wy_builtin(W, "SystemExit"), argc, argv);
  return wy_is_error(exc) ? exc : wy_raise_value(W, exc);
}

static wy_Value sys_exception(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "exception", kw) < 0 || std_argc(W, "exception", argc, 0, 0) < 0)
    return wy_error();
  return wy_handled_exception(W);
}

/* exc_info(): (type, value, traceback) of the exception being handled */
static wy_Value sys_exc_info(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "exc_info", kw) < 0 || std_argc(W, "exc_info", argc, 0, 0) < 0)
    return wy_error();
  wy_Value exc = wy_handled_exception(W);
  if (wy_is_error(exc)) return exc;
  wy_Value items[3] = {wy_none(), wy_none(), wy_none()};
  if (!wy_is_none(exc)) {
    items[0] = wy_call(W, wy_builtin(W, "type"), 1, &exc);
    items[1] = exc;
    items[2] = wy_getattr(W, exc, "__traceback__");
    if (wy_is_error(items[0]) || wy_is_error(items[2])) return wy_error();
  }
  return wy_tuple(W, 3, items);
}

static wy_Value sys_getrecursionlimit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "getrecursionlimit", kw) < 0 ||
      std_argc(W, "getrecursionlimit", argc, 0, 0) < 0)
    return wy_error();
  return wy_int(wy_recursion_limit(W));
}

static wy_Value sys_setrecursionlimit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "setrecursionlimit", kw) < 0 ||
      std_argc(W, "setrecursionlimit", argc, 1, 1) < 0)
    return wy_error();
  int64_t n;
  if (wy_is_float(argv[0])) return wy_raise(W, "TypeError", "'float' object cannot be interpreted as an integer");
  if (wy_to_int(W, argv[0], &n) < 0) return wy_error();
  if (n > INT_MAX) return wy_raise(W, "OverflowError", "Python int too large to convert to C int");
  if (n < 1) return wy_raise(W, "ValueError", "recursion limit must be greater or equal than 1");
  wy_set_recursion_limit(W, (int)n);
  return wy_none();
}

static wy_Value sys_getdefaultencoding(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_argc(W, "getdefaultencoding", argc, 0, 0) < 0) return wy_error();
  return wy_str(W, "utf-8");
}

/* ---- the module ---- */

static const char *byteorder(void) {
  const uint16_t probe = 1;
  return *(const uint8_t *)&probe ? "little" : "big";
}

static int set_str_list(wy_State *W, wy_Value m, const char *name, const char *item) {
  wy_Value l = wy_list(W);
  if (wy_is_error(l) || wy_list_append(W, l, wy_str(W, item)) < 0) return -1;
  return wy_module_set(W, m, name, l);
}

static int set_version(wy_State *W, wy_Value m) {
  wy_Value info[5] = {wy_int(3), wy_int(11), wy_int(0), wy_str(W, "final"), wy_int(0)};
  wy_Value vi = wy_tuple(W, 5, info);
  if (wy_is_error(vi)) return -1;
  return wy_module_set(W, m, "version", wy_str(W, "3.11.0 (withy " WY_VERSION ")")) < 0 ||
                 wy_module_set(W, m, "version_info", vi) < 0 ||
                 wy_module_set(W, m, "hexversion", wy_int(0x030b00f0)) < 0
             ? -1 : 0;
}

int std_sys_init(wy_State *W, wy_Value m) {
  SysState *st = std_state_new(W, m, sizeof *st);
  if (!st) return -1;
  wy_Value cls = make_stream_class(W, st);
  if (wy_is_error(cls)) return -1;
  st->stream_class = wy_pin(W, cls);
  if (!st->stream_class) return -1;
  static const struct { const char *name; wy_CFunction fn; } fns[] = {
    {"exit", sys_exit}, {"exc_info", sys_exc_info}, {"exception", sys_exception},
    {"getrecursionlimit", sys_getrecursionlimit}, {"setrecursionlimit", sys_setrecursionlimit},
    {"getdefaultencoding", sys_getdefaultencoding},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (wy_def(W, m, fns[i].name, fns[i].fn, st) < 0) return -1;
  if (add_stream(W, m, cls, stdin, "<stdin>", "r", "stdin", "__stdin__") < 0 ||
      add_stream(W, m, cls, stdout, "<stdout>", "w", "stdout", "__stdout__") < 0 ||
      add_stream(W, m, cls, stderr, "<stderr>", "w", "stderr", "__stderr__") < 0)
    return -1;
  /* argv and path[0] are set by the host (wy_set_argv, wy_run_file) */
  if (set_str_list(W, m, "argv", "") < 0 || set_str_list(W, m, "path", "") < 0) return -1;
  if (set_version(W, m) < 0) return -1;
  wy_Value modules = wy_modules(W);
  if (wy_is_error(modules) || wy_module_set(W, m, "modules", modules) < 0) return -1;
  return wy_module_set(W, m, "platform", wy_str(W, "linux")) < 0 ||
                 wy_module_set(W, m, "maxsize", wy_int(INT64_MAX)) < 0 ||
                 wy_module_set(W, m, "byteorder", wy_str(W, byteorder())) < 0
             ? -1 : 0;
}
