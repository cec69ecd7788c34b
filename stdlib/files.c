/* files.c — the builtin open() and the file objects it returns:
** TextIOWrapper (text, UTF-8), BufferedReader / BufferedWriter /
** BufferedRandom (binary) and FileIO (binary, buffering=0), with
** CPython's names, reprs and messages. Uses withy.h only.
**
** A file is a POSIX fd with one buffer that holds either data read ahead
** or data not yet written. Text positions (tell/seek) are byte offsets,
** which is what CPython's opaque cookies are for UTF-8 text. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "stdlib.h"

#define BUFSIZE 8192

enum { K_TEXT, K_READER, K_WRITER, K_RANDOM, K_FILEIO, K_COUNT };
static const char *const kind_names[K_COUNT] = {
  "TextIOWrapper", "BufferedReader", "BufferedWriter", "BufferedRandom", "FileIO"
};

typedef struct FilesState FilesState;
typedef struct KindInfo {
  FilesState *st;
  int kind;
  wy_Pin *cls;
} KindInfo;

struct FilesState {
  KindInfo kinds[K_COUNT];
  wy_Pin *unsupported; /* io.UnsupportedOperation-like class */
};

typedef struct File {
  int fd;
  int kind;
  bool closed, closefd;
  bool readable, writable, append, text;
  bool universal;      /* newline=None: \r and \r\n read as \n */
  char *newline_out;   /* what '\n' is written as (NULL: '\n') */
  char *mode;          /* the mode attribute */
  char *encoding;
  /* one buffer: read-ahead (rpos..rlen) or pending writes (wlen) */
  unsigned char *buf;
  size_t rpos, rlen, wlen;
  wy_State *W;         /* for the trace's leak warning from the finalizer */
  char *label;         /* "file 'notes.txt'", how traces name it */
} File;

/* acquire / release / leak events of the trace (no-ops when it is off) */
static void trace_resource(wy_State *W, File *f, const char *event, const char *message) {
  if (!W || !f->label || !wy_tracing(W)) return;
  wy_TraceEvent ev = {.event = event, .manager = f->label, .message = message};
  wy_trace_emit(W, &ev);
}

/* ---- C helpers (no Python) ---- */

static int raw_flush(File *f) {
  size_t off = 0;
  while (off < f->wlen) {
    ssize_t n = write(f->fd, f->buf + off, f->wlen - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      memmove(f->buf, f->buf + off, f->wlen - off);
      f->wlen -= off;
      errno = e;
      return -1;
    }
    off += (size_t)n;
  }
  f->wlen = 0;
  return 0;
}

/* give back read-ahead bytes to the fd position */
static int drop_readahead(File *f) {
  if (f->rlen > f->rpos) {
    if (lseek(f->fd, -(off_t)(f->rlen - f->rpos), SEEK_CUR) < 0) {
      f->rpos = f->rlen = 0;
      return -1;
    }
  }
  f->rpos = f->rlen = 0;
  return 0;
}

static void file_free(void *data) {
  File *f = data;
  if (!f) return;
  if (!f->closed) {
    trace_resource(f->W, f, "leak", "collected by the GC without close(): use `with open(...)`");
    if (f->wlen) (void)raw_flush(f);
    if (f->closefd && f->fd >= 0) close(f->fd);
  }
  free(f->buf);
  free(f->mode);
  free(f->encoding);
  free(f->newline_out);
  free(f->label);
  free(f);
}

/* ---- Python-facing helpers ---- */

static wy_Value no_memory(wy_State *W) { return wy_raise(W, "MemoryError", "out of memory"); }

static wy_Value os_error(wy_State *W, int err) { return wy_raise_errno(W, err, NULL); }

static wy_Value unsupported(wy_State *W, FilesState *st, const char *msg) {
  wy_Value cls = wy_pinned(st->unsupported);
  wy_Value exc = wy_call(W, cls, 1, (wy_Value[]){wy_str(W, msg)});
  if (wy_is_error(exc)) return exc;
  return wy_raise_value(W, exc);
}

/* the File behind self; ValueError once closed when `open` is asked */
static File *self_of(wy_State *W, int argc, const wy_Value *argv, void *ud, bool open) {
  KindInfo *k = ud;
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return NULL;
  }
  File *f = wy_instance_data(W, argv[0], wy_pinned(k->cls));
  if (!f) {
    if (!wy_error_pending(W)) wy_raise(W, "ValueError", "I/O operation on uninitialized object");
    return NULL;
  }
  if (open && f->closed) {
    wy_raise(W, "ValueError", "I/O operation on closed file.");
    return NULL;
  }
  return f;
}

/* a growable byte string */
typedef struct Out {
  char *p;
  size_t len, cap;
} Out;

static bool out_put(Out *o, const void *data, size_t n) {
  if (o->len + n > o->cap) {
    size_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + n) cap *= 2;
    char *q = realloc(o->p, cap);
    if (!q) return false;
    o->p = q;
    o->cap = cap;
  }
  memcpy(o->p + o->len, data, n);
  o->len += n;
  return true;
}

/* prepare for reading: pending writes go out first. -1 with errno */
static int to_read(File *f) {
  if (f->wlen) return raw_flush(f);
  return 0;
}

/* prepare for writing: read-ahead is given back */
static int to_write(File *f) { return drop_readahead(f); }

/* more bytes into the buffer: >0 available, 0 at EOF, -1 with errno */
static ssize_t fill(File *f) {
  if (f->rpos < f->rlen) return (ssize_t)(f->rlen - f->rpos);
  f->rpos = f->rlen = 0;
  for (;;) {
    ssize_t n = read(f->fd, f->buf, BUFSIZE);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) f->rlen = (size_t)n;
    return n;
  }
}

/* Read up to `count` units (code points in text, bytes in binary; all
** when negative), stopping after a newline when `line`. */
static int read_into(File *f, int64_t count, bool line, Out *o) {
  int64_t n = 0;
  for (;;) {
    ssize_t avail = fill(f);
    if (avail < 0) return -1;
    if (avail == 0) return 0;
    unsigned char c = f->buf[f->rpos];
    bool cont = f->text && (c & 0xC0) == 0x80;
    if (!cont && count >= 0 && n >= count) return 0;
    f->rpos++;
    if (!cont) n++;
    if (f->text && f->universal && c == '\r') {
      c = '\n';
      ssize_t more = fill(f);
      if (more < 0) return -1;
      if (more > 0 && f->buf[f->rpos] == '\n') f->rpos++;
    }
    if (!out_put(o, &c, 1)) {
      errno = ENOMEM;
      return -1;
    }
    if (line && c == '\n') return 0;
  }
}

/* UTF-8 check with CPython's UnicodeDecodeError wording; 0 when valid */
static int check_utf8(wy_State *W, const unsigned char *p, size_t len) {
  for (size_t i = 0; i < len;) {
    unsigned char c = p[i];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0) {
      wy_raise(W, "UnicodeDecodeError", "'utf-8' codec can't decode byte 0x%02x in position %zu: invalid start byte",
               c, i);
      return -1;
    }
    size_t j = 1;
    for (; j < n && i + j < len; j++) {
      if ((p[i + j] & 0xC0) != 0x80) {
        wy_raise(W, "UnicodeDecodeError",
                 "'utf-8' codec can't decode byte 0x%02x in position %zu: invalid continuation byte", c, i);
        return -1;
      }
    }
    if (j < n) {
      if (j == 1)
        wy_raise(W, "UnicodeDecodeError", "'utf-8' codec can't decode byte 0x%02x in position %zu: unexpected end of data",
                 c, i);
      else
        wy_raise(W, "UnicodeDecodeError", "'utf-8' codec can't decode bytes in position %zu-%zu: unexpected end of data",
                 i, i + j - 1);
      return -1;
    }
    i += n;
  }
  return 0;
}

static wy_Value result_of(wy_State *W, File *f, Out *o) {
  if (f->text && check_utf8(W, (const unsigned char *)o->p, o->len) < 0) {
    free(o->p);
    return wy_error();
  }
  wy_Value r = f->text ? wy_strn(W, o->p ? o->p : "", o->len) : wy_bytes(W, o->p ? o->p : "", o->len);
  free(o->p);
  return r;
}

static wy_Value read_op(wy_State *W, FilesState *st, File *f, int64_t count, bool line) {
  if (!f->readable) return unsupported(W, st, f->text ? "not readable" : "read");
  Out o = {0};
  if (to_read(f) < 0 || read_into(f, count, line, &o) < 0) {
    int e = errno;
    free(o.p);
    return e == ENOMEM ? no_memory(W) : os_error(W, e);
  }
  return result_of(W, f, &o);
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

/* ---- methods ---- */

static wy_Value f_read(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "read", kw) < 0 || std_argc(W, "read", argc - 1, 0, 1) < 0) return wy_error();
  File *f = self_of(W, argc, argv, ud, true);
  int64_t size;
  if (!f || size_arg(W, argc, argv, &size) < 0) return wy_error();
  return read_op(W, ((KindInfo *)ud)->st, f, size, false);
}

static wy_Value f_readline(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "readline", kw) < 0 || std_argc(W, "readline", argc - 1, 0, 1) < 0)
    return wy_error();
  File *f = self_of(W, argc, argv, ud, true);
  int64_t size;
  if (!f || size_arg(W, argc, argv, &size) < 0) return wy_error();
  return read_op(W, ((KindInfo *)ud)->st, f, size, true);
}

static wy_Value f_readlines(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "readlines", kw) < 0 || std_argc(W, "readlines", argc - 1, 0, 1) < 0)
    return wy_error();
  File *f = self_of(W, argc, argv, ud, true);
  if (!f) return wy_error();
  wy_Value lines = wy_list(W);
  if (wy_is_error(lines)) return lines;
  for (;;) {
    wy_Value line = read_op(W, ((KindInfo *)ud)->st, f, -1, true);
    if (wy_is_error(line)) return line;
    int64_t n = wy_len(W, line);
    if (n < 0) return wy_error();
    if (n == 0) return lines;
    if (wy_list_append(W, lines, line) < 0) return wy_error();
  }
}

static wy_Value f_next(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = self_of(W, argc, argv, ud, true);
  if (!f) return wy_error();
  wy_Value line = read_op(W, ((KindInfo *)ud)->st, f, -1, true);
  if (wy_is_error(line)) return line;
  int64_t n = wy_len(W, line);
  if (n < 0) return wy_error();
  if (n == 0) return wy_raise_value(W, wy_builtin(W, "StopIteration"));
  return line;
}

static int put_bytes(File *f, const char *data, size_t len) {
  if (f->kind == K_FILEIO) { /* unbuffered */
    f->wlen = 0;
    size_t off = 0;
    while (off < len) {
      ssize_t n = write(f->fd, data + off, len - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      off += (size_t)n;
    }
    return 0;
  }
  if (f->wlen + len > BUFSIZE && raw_flush(f) < 0) return -1;
  if (len >= BUFSIZE) {
    size_t off = 0;
    while (off < len) {
      ssize_t n = write(f->fd, data + off, len - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      off += (size_t)n;
    }
    return 0;
  }
  memcpy(f->buf + f->wlen, data, len);
  f->wlen += len;
  return 0;
}

static wy_Value write_value(wy_State *W, KindInfo *k, File *f, wy_Value v) {
  if (f->text) {
    if (!wy_is_str(v)) return wy_raise(W, "TypeError", "write() argument must be str, not %s", wy_type_name(W, v));
  } else if (!wy_is_bytes(v)) {
    return wy_raise(W, "TypeError", "a bytes-like object is required, not '%s'", wy_type_name(W, v));
  }
  if (!f->writable) return unsupported(W, k->st, f->text ? "not writable" : "write");
  size_t len;
  const char *data = f->text ? wy_to_str(W, v, &len) : wy_to_bytes(W, v, &len);
  if (!data) return wy_error();
  if (to_write(f) < 0) return os_error(W, errno);
  int rc = 0;
  if (f->text && f->newline_out) {
    size_t start = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
      if (data[i] != '\n') continue;
      rc = put_bytes(f, data + start, i - start);
      if (rc == 0) rc = put_bytes(f, f->newline_out, strlen(f->newline_out));
      start = i + 1;
    }
    if (rc == 0) rc = put_bytes(f, data + start, len - start);
  } else {
    rc = put_bytes(f, data, len);
  }
  if (rc < 0) return os_error(W, errno);
  if (f->text && memchr(data, '\n', len) && isatty(f->fd) && raw_flush(f) < 0) return os_error(W, errno);
  return wy_int((int64_t)(f->text ? std_utf8_length(data, len) : len));
}

static wy_Value f_write(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "write", kw) < 0 || std_argc(W, "write", argc - 1, 1, 1) < 0) return wy_error();
  File *f = self_of(W, argc, argv, ud, true);
  if (!f) return wy_error();
  return write_value(W, ud, f, argv[1]);
}

static wy_Value f_writelines(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "writelines", kw) < 0 || std_argc(W, "writelines", argc - 1, 1, 1) < 0)
    return wy_error();
  File *f = self_of(W, argc, argv, ud, true);
  if (!f) return wy_error();
  wy_Value it = wy_iter(W, argv[1]);
  if (wy_is_error(it)) return it;
  for (;;) {
    wy_Value line = wy_next(W, it);
    if (wy_is_error(line)) return wy_error_pending(W) ? line : wy_none();
    f = self_of(W, argc, argv, ud, true);
    if (!f || wy_is_error(write_value(W, ud, f, line))) return wy_error();
  }
}

static wy_Value f_tell(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "tell", kw) < 0 || std_argc(W, "tell", argc - 1, 0, 0) < 0) return wy_error();
  File *f = self_of(W, argc, argv, ud, true);
  if (!f) return wy_error();
  off_t pos = lseek(f->fd, 0, SEEK_CUR);
  if (pos < 0) return os_error(W, errno);
  return wy_int((int64_t)pos + (int64_t)f->wlen - (int64_t)(f->rlen - f->rpos));
}

/* seek(pos, whence=0) */
static wy_Value f_seek(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  KindInfo *k = ud;
  if (std_no_kwargs(W, "seek", kw) < 0 || std_argc(W, "seek", argc - 1, 1, 2) < 0) return wy_error();
  File *f = self_of(W, argc, argv, ud, true);
  if (!f) return wy_error();
  int64_t pos, whence = 0;
  if (wy_is_float(argv[1]))
    return wy_raise(W, "TypeError", "'float' object cannot be interpreted as an integer");
  if (wy_to_int(W, argv[1], &pos) < 0) return wy_error();
  if (argc > 2 && wy_to_int(W, argv[2], &whence) < 0) return wy_error();
  if (f->text) {
    if (whence < 0 || whence > 2)
      return wy_raise(W, "ValueError", "invalid whence (%lld, should be 0, 1 or 2)", (long long)whence);
    if (whence == 0 && pos < 0) return wy_raise(W, "ValueError", "negative seek position %lld", (long long)pos);
    if (whence != 0 && pos != 0)
      return unsupported(W, k->st, whence == 1 ? "can't do nonzero cur-relative seeks"
                                               : "can't do nonzero end-relative seeks");
  } else if (whence < 0 || whence > 2) {
    return wy_raise(W, "ValueError", "whence value %lld unsupported", (long long)whence);
  }
  if (raw_flush(f) < 0) return os_error(W, errno);
  if (whence == 1) pos -= (int64_t)(f->rlen - f->rpos);
  f->rpos = f->rlen = 0;
  off_t r = lseek(f->fd, (off_t)pos, whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END);
  if (r < 0) return os_error(W, errno);
  return wy_int((int64_t)r);
}

/* truncate(size=None) */
static wy_Value f_truncate(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "truncate", kw) < 0 || std_argc(W, "truncate", argc - 1, 0, 1) < 0)
    return wy_error();
  File *f = self_of(W, argc, argv, ud, true);
  int64_t size;
  if (!f || size_arg(W, argc, argv, &size) < 0) return wy_error();
  if (!f->writable) return unsupported(W, ((KindInfo *)ud)->st, f->text ? "not writable" : "truncate");
  if (raw_flush(f) < 0 || drop_readahead(f) < 0) return os_error(W, errno);
  if (argc < 2 || wy_is_none(argv[1])) {
    off_t pos = lseek(f->fd, 0, SEEK_CUR);
    if (pos < 0) return os_error(W, errno);
    size = (int64_t)pos;
  }
  if (ftruncate(f->fd, (off_t)size) < 0) return os_error(W, errno);
  return wy_int(size);
}

static wy_Value f_flush(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = self_of(W, argc, argv, ud, true);
  if (!f) return wy_error();
  if (raw_flush(f) < 0) return os_error(W, errno);
  return wy_none();
}

static wy_Value f_close(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = self_of(W, argc, argv, ud, false);
  if (!f) return wy_error();
  if (f->closed) return wy_none();
  int err = 0;
  if (raw_flush(f) < 0) err = errno;
  f->closed = true;
  f->wlen = f->rpos = f->rlen = 0;
  if (f->closefd && close(f->fd) < 0 && !err) err = errno;
  trace_resource(W, f, "release", "(closed)");
  if (err) return os_error(W, err);
  return wy_none();
}

static wy_Value f_exit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value r = f_close(W, argc < 1 ? argc : 1, argv, wy_none(), ud);
  return wy_is_error(r) ? r : wy_none();
}

static wy_Value f_self(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return self_of(W, argc, argv, ud, true) ? argv[0] : wy_error();
}

static File *open_or_closed_msg(wy_State *W, int argc, const wy_Value *argv, void *ud) {
  File *f = self_of(W, argc, argv, ud, false);
  if (f && f->closed && !f->text) {
    wy_raise(W, "ValueError", "I/O operation on closed file");
    return NULL;
  }
  return f;
}

static wy_Value f_readable(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = open_or_closed_msg(W, argc, argv, ud);
  return f ? wy_bool(f->readable) : wy_error();
}

static wy_Value f_writable(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = open_or_closed_msg(W, argc, argv, ud);
  return f ? wy_bool(f->writable) : wy_error();
}

static wy_Value f_seekable(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = open_or_closed_msg(W, argc, argv, ud);
  if (!f) return wy_error();
  return wy_bool(lseek(f->fd, 0, SEEK_CUR) >= 0);
}

static wy_Value f_fileno(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = self_of(W, argc, argv, ud, false);
  if (f && f->closed) {
    wy_raise(W, "ValueError", "I/O operation on closed file");
    return wy_error();
  }
  return f ? wy_int(f->fd) : wy_error();
}

static wy_Value f_isatty(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = self_of(W, argc, argv, ud, true);
  return f ? wy_bool(isatty(f->fd)) : wy_error();
}

static wy_Value f_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  KindInfo *k = ud;
  File *f = self_of(W, argc, argv, ud, false);
  if (!f) return wy_error();
  const char *cls = kind_names[k->kind];
  if (f->closed && k->kind == K_FILEIO) return wy_str(W, "<_io.FileIO [closed]>");
  wy_Value name = wy_getattr(W, argv[0], "name");
  if (wy_is_error(name)) return name;
  wy_Value nr = wy_repr(W, name);
  if (wy_is_error(nr)) return nr;
  const char *ns = wy_to_str(W, nr, NULL);
  size_t need = strlen(ns) + strlen(f->mode) + strlen(f->encoding ? f->encoding : "") + 96;
  char *s = malloc(need);
  if (!s) return no_memory(W);
  if (k->kind == K_TEXT)
    snprintf(s, need, "<_io.TextIOWrapper name=%s mode='%s' encoding='%s'>", ns, f->mode, f->encoding);
  else if (k->kind == K_FILEIO)
    snprintf(s, need, "<_io.FileIO name=%s mode='%s' closefd=%s>", ns, f->mode, f->closefd ? "True" : "False");
  else
    snprintf(s, need, "<_io.%s name=%s>", cls, ns);
  wy_Value r = wy_str(W, s);
  free(s);
  return r;
}

/* properties */
static wy_Value get_closed(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = self_of(W, argc, argv, ud, false);
  return f ? wy_bool(f->closed) : wy_error();
}

static wy_Value get_mode(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = self_of(W, argc, argv, ud, false);
  return f ? wy_str(W, f->mode) : wy_error();
}

static wy_Value get_encoding(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  File *f = self_of(W, argc, argv, ud, false);
  if (!f) return wy_error();
  if (!f->text) return wy_raise(W, "AttributeError", "'%s' object has no attribute 'encoding'",
                                kind_names[((KindInfo *)ud)->kind]);
  return wy_str(W, f->encoding);
}

static const wy_Method file_methods[] = {
  {"read", f_read}, {"readline", f_readline}, {"readlines", f_readlines},
  {"write", f_write}, {"writelines", f_writelines}, {"seek", f_seek}, {"tell", f_tell},
  {"truncate", f_truncate}, {"flush", f_flush}, {"close", f_close},
  {"readable", f_readable}, {"writable", f_writable}, {"seekable", f_seekable},
  {"fileno", f_fileno}, {"isatty", f_isatty}, {"__iter__", f_self}, {"__next__", f_next},
  {"__enter__", f_self}, {"__exit__", f_exit}, {"__repr__", f_repr}, {NULL, NULL}
};

static int add_property(wy_State *W, wy_Value cls, const char *name, wy_CFunction getter, void *ud) {
  wy_Value f = wy_function(W, name, getter, ud);
  wy_Value p = wy_is_error(f) ? f : wy_property(W, f, wy_none());
  return wy_is_error(p) ? -1 : wy_class_set(W, cls, name, p);
}

/* ---- open() ---- */

static const char *opt_str(wy_State *W, wy_Value v, const char *argname, bool *bad) {
  *bad = false;
  if (wy_is_error(v) || wy_is_none(v)) return NULL;
  if (!wy_is_str(v)) {
    wy_raise(W, "TypeError", "open() argument '%s' must be str or None, not %s", argname, wy_type_name(W, v));
    *bad = true;
    return NULL;
  }
  return wy_to_str(W, v, NULL);
}

static char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* open(file, mode='r', buffering=-1, encoding=None, errors=None, newline=None, closefd=True, opener=None) */
static wy_Value b_open(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  FilesState *st = ud;
  static const char *const names[] = {"file", "mode", "buffering", "encoding", "errors",
                                      "newline", "closefd", "opener", NULL};
  wy_Value a[8];
  if (std_args(W, "open", argc, argv, kw, names, 1, a) < 0) return wy_error();
  wy_Value file = a[0];
  const char *path = NULL;
  int64_t fdnum = -1;
  if (wy_is_str(file)) {
    path = wy_to_str(W, file, NULL);
  } else if (wy_is_int(file) && !wy_is_float(file)) {
    if (wy_to_int(W, file, &fdnum) < 0) return wy_error();
    if (fdnum < 0) return wy_raise(W, "ValueError", "negative file descriptor");
  } else if (!wy_is_none(file) && !wy_is_float(file) && wy_hasattr(W, file, "__fspath__")) {
    file = wy_call_method(W, file, "__fspath__", 0, NULL);
    if (wy_is_error(file)) return file;
    if (!wy_is_str(file)) return wy_raise(W, "TypeError", "expected str, bytes or os.PathLike object, not %s",
                                          wy_type_name(W, file));
    path = wy_to_str(W, file, NULL);
  } else {
    return wy_raise(W, "TypeError", "expected str, bytes or os.PathLike object, not %s", wy_type_name(W, file));
  }
  const char *mode = "r";
  if (!wy_is_error(a[1])) {
    if (!wy_is_str(a[1])) return wy_raise(W, "TypeError", "open() argument 'mode' must be str, not %s",
                                          wy_type_name(W, a[1]));
    mode = wy_to_str(W, a[1], NULL);
  }
  int64_t buffering = -1;
  if (!wy_is_error(a[2])) {
    if (wy_is_float(a[2])) return wy_raise(W, "TypeError", "'float' object cannot be interpreted as an integer");
    if (wy_to_int(W, a[2], &buffering) < 0) return wy_error();
  }
  bool bad;
  const char *encoding = opt_str(W, a[3], "encoding", &bad);
  if (bad) return wy_error();
  const char *errors = opt_str(W, a[4], "errors", &bad);
  if (bad) return wy_error();
  const char *newline = opt_str(W, a[5], "newline", &bad);
  if (bad) return wy_error();
  bool closefd = true;
  if (!wy_is_error(a[6])) {
    int t = wy_truthy(W, a[6]);
    if (t < 0) return wy_error();
    closefd = t;
  }
  if (!wy_is_error(a[7]) && !wy_is_none(a[7]))
    return wy_raise(W, "NotImplementedError", "open(): opener is not supported");

  /* the mode, as _io.open checks it */
  bool creating = false, reading = false, writing = false, appending = false, updating = false;
  bool text = false, binary = false;
  for (const char *c = mode; *c; c++) {
    const char *ok = "xrwab+t";
    if (!strchr(ok, *c) || strchr(c + 1, *c)) return wy_raise(W, "ValueError", "invalid mode: '%s'", mode);
    switch (*c) {
      case 'x': creating = true; break;
      case 'r': reading = true; break;
      case 'w': writing = true; break;
      case 'a': appending = true; break;
      case '+': updating = true; break;
      case 't': text = true; break;
      case 'b': binary = true; break;
    }
  }
  if (text && binary) return wy_raise(W, "ValueError", "can't have text and binary mode at once");
  int modes = creating + reading + writing + appending;
  if (modes > 1) return wy_raise(W, "ValueError", "must have exactly one of create/read/write/append mode");
  if (modes == 0)
    return wy_raise(W, "ValueError",
                    "Must have exactly one of create/read/write/append mode and at most one plus");
  if (binary && encoding) return wy_raise(W, "ValueError", "binary mode doesn't take an encoding argument");
  if (binary && errors) return wy_raise(W, "ValueError", "binary mode doesn't take an errors argument");
  if (binary && newline) return wy_raise(W, "ValueError", "binary mode doesn't take a newline argument");
  if (!binary && buffering == 0) return wy_raise(W, "ValueError", "can't have unbuffered text I/O");
  if (newline && strcmp(newline, "") && strcmp(newline, "\n") && strcmp(newline, "\r") &&
      strcmp(newline, "\r\n")) {
    wy_Value r = wy_repr(W, a[5]);
    return wy_raise(W, "ValueError", "illegal newline value: %s", wy_is_error(r) ? "?" : wy_to_str(W, r, NULL));
  }
  if (path && !closefd) return wy_raise(W, "ValueError", "Cannot use closefd=False with file name");

  int flags = O_CLOEXEC;
  if (updating) flags |= O_RDWR;
  else if (reading) flags |= O_RDONLY;
  else flags |= O_WRONLY;
  if (creating) flags |= O_CREAT | O_EXCL;
  if (writing) flags |= O_CREAT | O_TRUNC;
  if (appending) flags |= O_CREAT | O_APPEND;

  int fd;
  if (path) {
    do fd = open(path, flags, 0666);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return wy_raise_errno(W, errno, path);
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
      close(fd);
      return wy_raise_errno(W, EISDIR, path);
    }
  } else {
    fd = (int)fdnum;
    struct stat sb;
    if (fstat(fd, &sb) < 0) return os_error(W, errno);
    if (S_ISDIR(sb.st_mode)) return wy_raise_errno(W, EISDIR, NULL);
  }
  if (appending) (void)lseek(fd, 0, SEEK_END);

  int kind = !binary ? K_TEXT : buffering == 0 ? K_FILEIO : updating ? K_RANDOM : reading ? K_READER : K_WRITER;
  File *f = calloc(1, sizeof *f);
  char mbuf[8];
  if (!binary) {
    snprintf(mbuf, sizeof mbuf, "%s", "");
  } else {
    snprintf(mbuf, sizeof mbuf, "%s%s", creating ? "xb" : appending ? "ab" : reading ? "rb" : updating ? "rb" : "wb",
             updating ? "+" : "");
  }
  if (f) {
    f->fd = fd;
    f->kind = kind;
    f->closefd = closefd;
    f->readable = reading || updating;
    f->writable = !reading || updating;
    f->append = appending;
    f->text = !binary;
    f->universal = !binary && !newline;
    f->mode = dupstr(binary ? mbuf : mode);
    f->encoding = dupstr(encoding ? encoding : "UTF-8");
    f->buf = malloc(BUFSIZE);
    if (newline && (!strcmp(newline, "\r") || !strcmp(newline, "\r\n"))) f->newline_out = dupstr(newline);
  }
  if (!f || !f->mode || !f->encoding || !f->buf ||
      (newline && (!strcmp(newline, "\r") || !strcmp(newline, "\r\n")) && !f->newline_out)) {
    if (f) f->closefd = path != NULL;
    if (path) close(fd);
    if (f) {
      f->closed = true;
      file_free(f);
    }
    return no_memory(W);
  }
  KindInfo *k = &st->kinds[kind];
  wy_Value obj = wy_new_instance(W, wy_pinned(k->cls), f, file_free);
  if (wy_is_error(obj)) {
    f->closefd = path != NULL;
    file_free(f);
    return obj;
  }
  if (wy_setattr(W, obj, "name", file) < 0) return wy_error();
  if (wy_tracing(W)) {
    wy_Value d = wy_describe(W, file);
    const char *name = wy_is_error(d) ? "?" : wy_to_str(W, d, NULL);
    char *label = malloc(strlen(name) + 8), words[64];
    if (label) sprintf(label, "file %s", name);
    f->W = W;
    f->label = label;
    snprintf(words, sizeof words, "(fd %d, mode '%s')", fd, f->mode);
    trace_resource(W, f, "acquire", words);
  }
  return obj;
}

int std_files_install(wy_State *W) {
  /* the state lives as long as the VM: an instance that owns it, pinned */
  static const wy_Method no_methods[] = {{NULL, NULL}};
  FilesState *st = calloc(1, sizeof *st);
  if (!st) return -1;
  wy_Value scls = wy_class(W, "_files_state", wy_none(), no_methods, NULL);
  wy_Value anchor = wy_is_error(scls) ? scls : wy_new_instance(W, scls, st, free);
  if (wy_is_error(anchor)) {
    free(st);
    return -1;
  }
  if (!wy_pin(W, anchor)) return -1;
  wy_Value exc = wy_class(W, "UnsupportedOperation", wy_builtin(W, "OSError"), no_methods, NULL);
  if (wy_is_error(exc)) return -1;
  st->unsupported = wy_pin(W, exc);
  if (!st->unsupported) return -1;
  for (int i = 0; i < K_COUNT; i++) {
    KindInfo *k = &st->kinds[i];
    k->st = st;
    k->kind = i;
    wy_Value cls = wy_class(W, kind_names[i], wy_none(), file_methods, k);
    if (wy_is_error(cls)) return -1;
    k->cls = wy_pin(W, cls);
    if (!k->cls) return -1;
    if (add_property(W, cls, "closed", get_closed, k) < 0 || add_property(W, cls, "mode", get_mode, k) < 0 ||
        (i == K_TEXT && add_property(W, cls, "encoding", get_encoding, k) < 0))
      return -1;
  }
  wy_Value fn = wy_function(W, "open", b_open, st);
  if (wy_is_error(fn)) return -1;
  return wy_set_builtin(W, "open", fn);
}
