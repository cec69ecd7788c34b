/* io.c — the io module: StringIO, an in-memory text file (what
** print(..., file=buf) and contextlib.redirect_stdout write into).
** Uses withy.h only.
**
** The text is kept as UTF-8; positions (tell/seek/truncate) count code
** points as in Python. When the text is pure ASCII (the usual case) a
** position is also its byte offset, so nothing is scanned. */
#include <stdlib.h>
#include <string.h>
#include "stdlib.h"

typedef struct StringIO {
  char *buf;
  size_t len, cap;     /* bytes */
  size_t nchars;       /* code points in buf */
  size_t pos;          /* the position, in code points; may lie past the end */
  bool closed;
} StringIO;

typedef struct IoState {
  wy_Pin *stringio_class;
} IoState;

static void stringio_free(void *data) {
  StringIO *s = data;
  free(s->buf);
  free(s);
}

/* the StringIO behind self; ValueError once closed (when open is asked) */
static StringIO *self_of(wy_State *W, int argc, const wy_Value *argv, void *ud, bool open) {
  IoState *st = ud;
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return NULL;
  }
  StringIO *s = wy_instance_data(W, argv[0], wy_pinned(st->stringio_class));
  if (!s) {
    if (!wy_error_pending(W)) wy_raise(W, "ValueError", "I/O operation on uninitialized object");
    return NULL;
  }
  if (open && s->closed) {
    wy_raise(W, "ValueError", "I/O operation on closed file");
    return NULL;
  }
  return s;
}

/* byte offset of code point `index` (clamped to the end) */
static size_t byte_offset(const StringIO *s, size_t index) {
  if (index >= s->nchars) return s->len;
  if (s->nchars == s->len) return index;
  size_t off = 0;
  for (size_t seen = 0; off < s->len; off++) {
    if (((unsigned char)s->buf[off] & 0xC0) != 0x80) {
      if (seen == index) return off;
      seen++;
    }
  }
  return s->len;
}

static bool reserve(StringIO *s, size_t need) {
  if (need <= s->cap) return true;
  size_t cap = s->cap ? s->cap : 64;
  while (cap < need) cap *= 2;
  char *bigger = realloc(s->buf, cap);
  if (!bigger) return false;
  s->buf = bigger;
  s->cap = cap;
  return true;
}

/* Put `text` at the position, overwriting what is there and padding with
** NULs when the position lies past the end (as Python's StringIO does). */
static bool put_text(StringIO *s, const char *text, size_t len, size_t nchars) {
  if (len == 0) return true; /* writing "" changes nothing, not even past the end */
  if (s->pos > s->nchars) {
    size_t pad = s->pos - s->nchars;
    if (!reserve(s, s->len + pad)) return false;
    memset(s->buf + s->len, 0, pad);
    s->len += pad;
    s->nchars += pad;
  }
  size_t start = byte_offset(s, s->pos);
  size_t end = byte_offset(s, s->pos + nchars);
  size_t replaced = std_utf8_length(s->buf + start, end - start);
  size_t newlen = s->len - (end - start) + len;
  if (!reserve(s, newlen)) return false;
  memmove(s->buf + start + len, s->buf + end, s->len - end);
  memcpy(s->buf + start, text, len);
  s->len = newlen;
  s->nchars = s->nchars - replaced + nchars;
  s->pos += nchars;
  return true;
}

static wy_Value no_memory(wy_State *W) { return wy_raise(W, "MemoryError", "out of memory"); }

/* StringIO(initial_value='', newline='\n') */
static wy_Value sio_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"initial_value", "newline", NULL};
  wy_Value a[2];
  if (argc < 1) return wy_raise(W, "TypeError", "descriptor needs an argument");
  if (std_args(W, "StringIO", argc - 1, argv + 1, kw, names, 0, a) < 0) return wy_error();
  size_t len = 0;
  const char *text = "";
  if (!wy_is_error(a[0]) && !wy_is_none(a[0])) {
    if (!wy_is_str(a[0]))
      return wy_raise(W, "TypeError", "initial_value must be str or None, not %s", wy_type_name(W, a[0]));
    text = wy_to_str(W, a[0], &len);
  }
  if (!wy_is_error(a[1]) && !wy_is_none(a[1]) && !wy_is_str(a[1]))
    return wy_raise(W, "TypeError", "newline must be str or None, not %s", wy_type_name(W, a[1]));
  StringIO *s = calloc(1, sizeof *s);
  if (!s || !put_text(s, text, len, std_utf8_length(text, len))) {
    if (s) stringio_free(s);
    return no_memory(W);
  }
  s->pos = 0;
  if (wy_set_instance_data(W, argv[0], s, stringio_free) < 0) {
    stringio_free(s);
    return wy_error();
  }
  return wy_none();
}

static wy_Value sio_write(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "write", kw) < 0 || std_argc(W, "write", argc - 1, 1, 1) < 0) return wy_error();
  StringIO *s = self_of(W, argc, argv, ud, true);
  if (!s) return wy_error();
  if (!wy_is_str(argv[1]))
    return wy_raise(W, "TypeError", "string argument expected, got '%s'", wy_type_name(W, argv[1]));
  size_t len;
  const char *text = wy_to_str(W, argv[1], &len);
  size_t n = std_utf8_length(text, len);
  if (!put_text(s, text, len, n)) return no_memory(W);
  return wy_int((int64_t)n);
}

static wy_Value sio_writelines(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "writelines", kw) < 0 || std_argc(W, "writelines", argc - 1, 1, 1) < 0)
    return wy_error();
  if (!self_of(W, argc, argv, ud, true)) return wy_error();
  wy_Value it = wy_iter(W, argv[1]);
  if (wy_is_error(it)) return it;
  for (;;) {
    wy_Value line = wy_next(W, it);
    if (wy_is_error(line)) return wy_error_pending(W) ? line : wy_none();
    wy_Value args[2] = {argv[0], line};
    if (wy_is_error(sio_write(W, 2, args, wy_none(), ud))) return wy_error();
  }
}

static wy_Value sio_getvalue(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StringIO *s = self_of(W, argc, argv, ud, true);
  return s ? wy_strn(W, s->buf ? s->buf : "", s->len) : wy_error();
}

/* an optional size argument: -1 (or None) means "all" */
static int size_arg(wy_State *W, int argc, const wy_Value *argv, int64_t *size) {
  *size = -1;
  if (argc < 2 || wy_is_none(argv[1])) return 0;
  if (wy_is_float(argv[1]) || !wy_is_int(argv[1])) {
    wy_raise(W, "TypeError", "argument should be integer or None, not '%s'", wy_type_name(W, argv[1]));
    return -1;
  }
  return wy_to_int(W, argv[1], size);
}

/* the next `count` characters (all when negative), or up to a newline */
static wy_Value take(wy_State *W, StringIO *s, int64_t count, bool line) {
  if (s->pos >= s->nchars) return wy_str(W, "");
  size_t start = byte_offset(s, s->pos), end = start, n = 0;
  while (end < s->len && (count < 0 || n < (size_t)count)) {
    unsigned char c = (unsigned char)s->buf[end++];
    while (end < s->len && ((unsigned char)s->buf[end] & 0xC0) == 0x80) end++;
    n++;
    if (line && c == '\n') break;
  }
  s->pos += n;
  return wy_strn(W, s->buf + start, end - start);
}

static wy_Value sio_read(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "read", kw) < 0 || std_argc(W, "read", argc - 1, 0, 1) < 0) return wy_error();
  StringIO *s = self_of(W, argc, argv, ud, true);
  int64_t size;
  if (!s || size_arg(W, argc, argv, &size) < 0) return wy_error();
  return take(W, s, size, false);
}

static wy_Value sio_readline(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "readline", kw) < 0 || std_argc(W, "readline", argc - 1, 0, 1) < 0)
    return wy_error();
  StringIO *s = self_of(W, argc, argv, ud, true);
  int64_t size;
  if (!s || size_arg(W, argc, argv, &size) < 0) return wy_error();
  return take(W, s, size, true);
}

static wy_Value sio_readlines(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StringIO *s = self_of(W, argc, argv, ud, true);
  if (!s) return wy_error();
  wy_Value lines = wy_list(W);
  while (!wy_is_error(lines) && s->pos < s->nchars)
    if (wy_list_append(W, lines, take(W, s, -1, true)) < 0) return wy_error();
  return lines;
}

static wy_Value sio_next(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StringIO *s = self_of(W, argc, argv, ud, true);
  if (!s) return wy_error();
  if (s->pos >= s->nchars) return wy_raise_value(W, wy_builtin(W, "StopIteration"));
  return take(W, s, -1, true);
}

/* seek(pos, whence=0) */
static wy_Value sio_seek(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "seek", kw) < 0 || std_argc(W, "seek", argc - 1, 1, 2) < 0) return wy_error();
  StringIO *s = self_of(W, argc, argv, ud, true);
  if (!s) return wy_error();
  int64_t pos, whence = 0;
  if (wy_is_float(argv[1]))
    return wy_raise(W, "TypeError", "'float' object cannot be interpreted as an integer");
  if (wy_to_int(W, argv[1], &pos) < 0) return wy_error();
  if (argc > 2 && wy_to_int(W, argv[2], &whence) < 0) return wy_error();
  if (whence < 0 || whence > 2)
    return wy_raise(W, "ValueError", "Invalid whence (%lld, should be 0, 1 or 2)", (long long)whence);
  if (whence == 0 && pos < 0) return wy_raise(W, "ValueError", "Negative seek position %lld", (long long)pos);
  if (whence != 0 && pos != 0)
    return wy_raise(W, "OSError", "Can't do nonzero %s seeks", whence == 1 ? "cur-relative" : "end-relative");
  if (whence == 0) s->pos = (size_t)pos;
  else if (whence == 2) s->pos = s->nchars;
  return wy_int((int64_t)s->pos);
}

static wy_Value sio_tell(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StringIO *s = self_of(W, argc, argv, ud, true);
  return s ? wy_int((int64_t)s->pos) : wy_error();
}

/* truncate(size=None): cut the text at size (default: the position) */
static wy_Value sio_truncate(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "truncate", kw) < 0 || std_argc(W, "truncate", argc - 1, 0, 1) < 0)
    return wy_error();
  StringIO *s = self_of(W, argc, argv, ud, true);
  int64_t size;
  if (!s || size_arg(W, argc, argv, &size) < 0) return wy_error();
  if (argc < 2 || wy_is_none(argv[1])) size = (int64_t)s->pos;
  else if (size < 0) return wy_raise(W, "ValueError", "Negative size value %lld", (long long)size);
  if ((size_t)size < s->nchars) {
    s->len = byte_offset(s, (size_t)size);
    s->nchars = (size_t)size;
  }
  return wy_int(size);
}

static wy_Value sio_close(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StringIO *s = self_of(W, argc, argv, ud, false);
  if (!s) return wy_error();
  s->closed = true;
  free(s->buf); /* CPython frees the text too: getvalue() now raises */
  s->buf = NULL;
  s->len = s->cap = s->nchars = s->pos = 0;
  return wy_none();
}

static wy_Value sio_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value r = sio_close(W, argc < 1 ? argc : 1, argv, wy_none(), ud);
  return wy_is_error(r) ? r : wy_none();
}

static wy_Value sio_self(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return self_of(W, argc, argv, ud, true) ? argv[0] : wy_error();
}

static wy_Value sio_true(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return self_of(W, argc, argv, ud, true) ? wy_bool(true) : wy_error();
}

static wy_Value sio_false(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return self_of(W, argc, argv, ud, true) ? wy_bool(false) : wy_error();
}

static wy_Value sio_flush(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return self_of(W, argc, argv, ud, true) ? wy_none() : wy_error();
}

static wy_Value sio_get_closed(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  StringIO *s = self_of(W, argc, argv, ud, false);
  return s ? wy_bool(s->closed) : wy_error();
}

static wy_Value sio_get_line_buffering(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return self_of(W, argc, argv, ud, true) ? wy_bool(false) : wy_error();
}

static const wy_Method stringio_methods[] = {
  {"__init__", sio_init}, {"write", sio_write}, {"writelines", sio_writelines},
  {"getvalue", sio_getvalue}, {"read", sio_read}, {"readline", sio_readline},
  {"readlines", sio_readlines}, {"seek", sio_seek}, {"tell", sio_tell},
  {"truncate", sio_truncate}, {"close", sio_close}, {"flush", sio_flush},
  {"readable", sio_true}, {"writable", sio_true}, {"seekable", sio_true},
  {"isatty", sio_false}, {"__iter__", sio_self}, {"__next__", sio_next},
  {"__enter__", sio_self}, {"__exit__", sio_exit}, {NULL, NULL}
};

static int add_property(wy_State *W, wy_Value cls, const char *name, wy_CFunction getter, void *ud) {
  wy_Value f = wy_function(W, name, getter, ud);
  wy_Value p = wy_is_error(f) ? f : wy_property(W, f, wy_none());
  return wy_is_error(p) ? -1 : wy_class_set(W, cls, name, p);
}

int std_io_init(wy_State *W, wy_Value m) {
  IoState *st = std_state_new(W, m, sizeof *st);
  if (!st) return -1;
  wy_Value cls = wy_class(W, "StringIO", wy_none(), stringio_methods, st);
  if (wy_is_error(cls)) return -1;
  st->stringio_class = wy_pin(W, cls);
  if (!st->stringio_class) return -1;
  if (add_property(W, cls, "closed", sio_get_closed, st) < 0 ||
      add_property(W, cls, "line_buffering", sio_get_line_buffering, st) < 0)
    return -1;
  return wy_module_set(W, m, "StringIO", cls);
}
