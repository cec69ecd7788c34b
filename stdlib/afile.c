/* afile.c — the afile module: aiofiles-like async files. afile.open()
** returns an opener that is both awaitable (`f = await afile.open(p)`) and
** an async context manager (`async with afile.open(p) as f`); the
** AsyncFile it gives has coroutine methods (read, write, seek, close, …)
** and `async for`. Uses withy.h only.
**
** Threading: the blocking part of every operation (open, read, write,
** lseek, close…) runs on a worker thread through wy_run_in_thread, so the
** event loop keeps running other tasks while the disk works. Regular files
** cannot be made non-blocking with poll (they are always "ready"), which is
** why a thread and not wy_wait_fd. Who touches what:
**   - the worker thread touches only the fd, the file's buffer and its Job
**     (plain C data); it never calls withy;
**   - the loop's thread does everything else: the coroutine steps check
**     the arguments and launch the Job, the Job's done() turns its outcome
**     into a value or an exception and completes the future.
** One operation runs on a file at a time: `busy` is set while its Job is
** out, and other operations on that file wait, in order, on futures kept
** in the file's waiter list. A busy file is pinned, so it cannot be
** collected while a thread still uses its buffer, even when the task that
** started the operation was cancelled. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "stdlib.h"

#define BUFSIZE 8192

typedef struct AfileState {
  wy_Pin *file_cls, *opener_cls, *frame_cls, *unsupported;
} AfileState;

/* the C data of an AsyncFile */
typedef struct AFile {
  int fd;
  bool closed, busy;
  bool readable, writable, text, append;
  char mode[8];        /* the mode attribute */
  /* one buffer: read-ahead (rpos..rlen) or pending writes (wlen) */
  unsigned char *buf;
  size_t rpos, rlen, wlen;
  wy_State *W;         /* for the trace's leak warning from the finalizer */
  char *label;         /* "file 'notes.txt'", how traces name it */
  /* an acquire/release event done() saw happen, reported by the awaiting
  ** coroutine's next step so that the trace names the awaiting line */
  const char *trace_event;
  char trace_message[64];
} AFile;

enum Op {
  OP_OPEN, OP_AENTER, OP_READ, OP_READLINE, OP_READLINES, OP_ANEXT,
  OP_WRITE, OP_WRITELINES, OP_SEEK, OP_TELL, OP_FLUSH, OP_CLOSE
};
static const char *const op_names[] = {
  "open", "__aenter__", "read", "readline", "readlines", "__anext__",
  "write", "writelines", "seek", "tell", "flush", "close"
};

/* a growable byte string (C only: the worker fills it) */
typedef struct Bytes {
  char *p;
  size_t len, cap;
} Bytes;

/* one operation handed to a worker thread */
typedef struct Job {
  int op;
  AfileState *st;
  AFile *f;            /* OP_OPEN: the file being made, owned by the job */
  wy_Pin *self;        /* the AsyncFile while the job is out */
  wy_Pin *fut;         /* the future the job completes */
  int64_t a, b;        /* read: size; seek: offset, whence; write: the count to return */
  Bytes data;          /* write: the bytes to write; read: the bytes read */
  char *path;          /* open */
  int flags;           /* open: the open(2) flags */
  int64_t pos;         /* seek/tell: the position */
  int err;             /* errno of the failure, 0 when it worked */
} Job;

/* a coroutine's memory: slot 0 the file (or opener), slot 1 an argument */
typedef struct OpFrame {
  AfileState *st;
  int op, phase;
  int64_t a, b;
} OpFrame;
enum { PH_START, PH_WAITING, PH_RUNNING };

/* the opener's slots */
enum { OPENER_PATH, OPENER_MODE, OPENER_ENCODING, OPENER_FILE, OPENER_NSLOTS };

/* ---- tracing ---- */

static void trace_resource(wy_State *W, AFile *f, const char *event, const char *message) {
  if (!W || !f->label || !wy_tracing(W)) return;
  wy_TraceEvent ev = {.event = event, .manager = f->label, .message = message};
  wy_trace_emit(W, &ev);
}

static void trace_later(AFile *f, const char *event, const char *message) {
  if (!f->label) return;
  f->trace_event = event;
  snprintf(f->trace_message, sizeof f->trace_message, "%s", message);
}

/* report what trace_later kept (the step that resumes after the job) */
static void trace_now(wy_State *W, AFile *f) {
  if (!f || !f->trace_event) return;
  trace_resource(W, f, f->trace_event, f->trace_message);
  f->trace_event = NULL;
}

/* ---- C only: what the worker thread runs ---- */

static bool bytes_put(Bytes *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) return false;
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return true;
}

static int write_all(int fd, const void *data, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, (const char *)data + off, len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    off += (size_t)n;
  }
  return 0;
}

/* pending writes out; -1 with errno (what was not written stays) */
static int raw_flush(AFile *f) {
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

/* give read-ahead bytes back to the fd position (before a write) */
static int drop_readahead(AFile *f) {
  size_t ahead = f->rlen - f->rpos;
  f->rpos = f->rlen = 0;
  if (ahead && lseek(f->fd, -(off_t)ahead, SEEK_CUR) < 0) return -1;
  return 0;
}

/* more bytes into the buffer: >0 available, 0 at EOF, -1 with errno */
static ssize_t fill(AFile *f) {
  if (f->rpos < f->rlen) return (ssize_t)(f->rlen - f->rpos);
  f->rpos = f->rlen = 0;
  for (;;) {
    ssize_t n = read(f->fd, f->buf, BUFSIZE);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) f->rlen = (size_t)n;
    return n;
  }
}

/* Read up to `count` units (code points in text, bytes in binary; all when
** negative), stopping after a newline when `line`. Text reads see '\r' and
** "\r\n" as '\n' (newline=None). -1 with errno. */
static int read_into(AFile *f, int64_t count, bool line, Bytes *o) {
  int64_t n = 0;
  for (;;) {
    ssize_t avail = fill(f);
    if (avail <= 0) return (int)avail;
    unsigned char c = f->buf[f->rpos];
    bool cont = f->text && (c & 0xC0) == 0x80;
    if (!cont && count >= 0 && n >= count) return 0;
    f->rpos++;
    if (!cont) n++;
    if (f->text && c == '\r') {
      c = '\n';
      ssize_t more = fill(f);
      if (more < 0) return -1;
      if (more > 0 && f->buf[f->rpos] == '\n') f->rpos++;
    }
    if (!bytes_put(o, &c, 1)) {
      errno = ENOMEM;
      return -1;
    }
    if (line && c == '\n') return 0;
  }
}

static int put_bytes(AFile *f, const char *data, size_t len) {
  if (f->wlen + len > BUFSIZE && raw_flush(f) < 0) return -1;
  if (len >= BUFSIZE) return write_all(f->fd, data, len);
  memcpy(f->buf + f->wlen, data, len);
  f->wlen += len;
  return 0;
}

static int work_open(Job *j) {
  AFile *f = j->f;
  int fd;
  do fd = open(j->path, j->flags, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -1;
  struct stat sb;
  if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    close(fd);
    errno = EISDIR;
    return -1;
  }
  if (f->append) (void)lseek(fd, 0, SEEK_END);
  f->fd = fd;
  return 0;
}

static int work_seek(Job *j) {
  AFile *f = j->f;
  if (raw_flush(f) < 0) return -1;
  int64_t pos = j->a;
  if (j->b == 1) pos -= (int64_t)(f->rlen - f->rpos);
  f->rpos = f->rlen = 0;
  off_t r = lseek(f->fd, (off_t)pos, j->b == 0 ? SEEK_SET : j->b == 1 ? SEEK_CUR : SEEK_END);
  if (r < 0) return -1;
  j->pos = (int64_t)r;
  return 0;
}

static int work_close(AFile *f) {
  int err = raw_flush(f) < 0 ? errno : 0;
  f->wlen = f->rpos = f->rlen = 0;
  if (close(f->fd) < 0 && !err) err = errno;
  f->fd = -1;
  errno = err;
  return err ? -1 : 0;
}

/* the worker thread's part of a job: fd work only, no withy */
static void job_work(void *data) {
  Job *j = data;
  AFile *f = j->f;
  int rc = 0;
  switch (j->op) {
    case OP_OPEN: case OP_AENTER:
      rc = work_open(j);
      break;
    case OP_READ: case OP_READLINE: case OP_READLINES: case OP_ANEXT:
      rc = raw_flush(f);
      if (rc == 0) rc = read_into(f, j->a, j->op == OP_READLINE || j->op == OP_ANEXT, &j->data);
      break;
    case OP_WRITE: case OP_WRITELINES:
      rc = drop_readahead(f);
      if (rc == 0) rc = put_bytes(f, j->data.p ? j->data.p : "", j->data.len);
      break;
    case OP_SEEK:
      rc = work_seek(j);
      break;
    case OP_TELL: {
      off_t pos = lseek(f->fd, 0, SEEK_CUR);
      rc = pos < 0 ? -1 : 0;
      j->pos = (int64_t)pos + (int64_t)f->wlen - (int64_t)(f->rlen - f->rpos);
      break;
    }
    case OP_FLUSH:
      rc = raw_flush(f);
      break;
    case OP_CLOSE:
      rc = work_close(f);
      break;
  }
  j->err = rc < 0 ? errno : 0;
}

/* ---- the file object's C data ---- */

static void afile_release(AFile *f) {
  free(f->buf);
  free(f->label);
  free(f);
}

/* finalizer: a file collected open is flushed and closed here, and the
** trace warns (never while a job is out: a busy file is pinned) */
static void afile_free(void *data) {
  AFile *f = data;
  if (!f) return;
  if (!f->closed && f->fd >= 0) {
    trace_resource(f->W, f, "leak", "collected by the GC without close(): use `async with afile.open(...)`");
    if (f->wlen) (void)raw_flush(f);
    close(f->fd);
  }
  afile_release(f);
}

static void job_free(wy_State *W, Job *j) {
  if (j->self) wy_unpin(W, j->self);
  if (j->fut) wy_unpin(W, j->fut);
  free(j->data.p);
  free(j->path);
  free(j);
}

/* ---- Python-facing helpers (loop thread) ---- */

static wy_Value no_memory(wy_State *W) { return wy_raise(W, "MemoryError", "out of memory"); }

static wy_Value unsupported(wy_State *W, AfileState *st, const char *msg) {
  wy_Value exc = wy_call(W, wy_pinned(st->unsupported), 1, (wy_Value[]){wy_str(W, msg)});
  return wy_is_error(exc) ? exc : wy_raise_value(W, exc);
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
    size_t k = 1;
    while (k < n && i + k < len && (p[i + k] & 0xC0) == 0x80) k++;
    if (k < n && i + k < len) {
      wy_raise(W, "UnicodeDecodeError", "'utf-8' codec can't decode byte 0x%02x in position %zu: invalid continuation byte",
               c, i);
      return -1;
    }
    if (k < n) {
      if (k == 1)
        wy_raise(W, "UnicodeDecodeError", "'utf-8' codec can't decode byte 0x%02x in position %zu: unexpected end of data",
                 c, i);
      else
        wy_raise(W, "UnicodeDecodeError", "'utf-8' codec can't decode bytes in position %zu-%zu: unexpected end of data",
                 i, i + k - 1);
      return -1;
    }
    i += n;
  }
  return 0;
}

/* bytes read, as the file's str or bytes */
static wy_Value data_value(wy_State *W, AFile *f, const char *p, size_t len) {
  if (!f->text) return wy_bytes(W, p ? p : "", len);
  if (check_utf8(W, (const unsigned char *)p, len) < 0) return wy_error();
  return wy_strn(W, p ? p : "", len);
}

/* readlines(): the text read split after each '\n' */
static wy_Value lines_value(wy_State *W, AFile *f, const Bytes *b) {
  wy_Value lines = wy_list(W);
  if (wy_is_error(lines)) return lines;
  if (f->text && check_utf8(W, (const unsigned char *)b->p, b->len) < 0) return wy_error();
  size_t start = 0;
  while (start < b->len) {
    const char *nl = memchr(b->p + start, '\n', b->len - start);
    size_t end = nl ? (size_t)(nl - b->p) + 1 : b->len;
    wy_Value line = f->text ? wy_strn(W, b->p + start, end - start) : wy_bytes(W, b->p + start, end - start);
    if (wy_is_error(line) || wy_list_append(W, lines, line) < 0) return wy_error();
    start = end;
  }
  return lines;
}

/* the waiters of a file that was busy: wake them all; each checks again */
static void wake_waiters(wy_State *W, wy_Value file) {
  wy_Value waiters;
  if (wy_get_slot(W, file, 0, &waiters) != 1) return;
  wy_set_slot(W, file, 0, wy_error());
  int64_t n = wy_len(W, waiters);
  for (int64_t i = 0; i < n; i++) {
    wy_Value w = wy_getitem(W, waiters, wy_int(i));
    if (wy_is_error(w)) break;
    if (wy_future_state(W, w) == WY_FUTURE_PENDING) (void)wy_future_set_result(W, w, wy_none());
  }
  if (wy_error_pending(W)) wy_clear_error(W);
}

/* open's outcome: a new AsyncFile, its name and the acquire event */
static wy_Value open_result(wy_State *W, Job *j, bool cancelled) {
  AFile *f = j->f;
  j->f = NULL;   /* from here on, the instance (or this function) owns it */
  if (j->err) {
    afile_release(f);
    return j->err == ENOMEM ? no_memory(W) : wy_raise_errno(W, j->err, j->path);
  }
  if (cancelled) {   /* nobody will get the file: close it quietly */
    close(f->fd);
    afile_release(f);
    return wy_none();
  }
  wy_Value obj = wy_new_instance(W, wy_pinned(j->st->file_cls), f, afile_free);
  if (wy_is_error(obj)) {
    close(f->fd);
    afile_release(f);
    return obj;
  }
  wy_Value name = wy_str(W, j->path);
  if (wy_is_error(name) || wy_setattr(W, obj, "name", name) < 0) return wy_error();
  if (wy_tracing(W)) {
    wy_Value d = wy_describe(W, name);
    const char *desc = wy_is_error(d) ? "?" : wy_to_str(W, d, NULL);
    char words[64];
    f->W = W;
    f->label = malloc(strlen(desc) + 8);
    if (f->label) sprintf(f->label, "file %s", desc);
    snprintf(words, sizeof words, "(fd %d, mode '%s', async)", f->fd, f->mode);
    trace_later(f, "acquire", words);
  }
  return obj;
}

static wy_Value job_result(wy_State *W, Job *j) {
  AFile *f = j->f;
  if (j->op == OP_CLOSE) {
    f->closed = true;
    trace_later(f, "release", "(closed)");
  }
  if (j->err) return j->err == ENOMEM ? no_memory(W) : wy_raise_errno(W, j->err, NULL);
  switch (j->op) {
    case OP_READ: case OP_READLINE:
      return data_value(W, f, j->data.p, j->data.len);
    case OP_ANEXT:
      if (j->data.len == 0) return wy_raise_value(W, wy_builtin(W, "StopAsyncIteration"));
      return data_value(W, f, j->data.p, j->data.len);
    case OP_READLINES:
      return lines_value(W, f, &j->data);
    case OP_WRITE:
      return wy_int(j->b);
    case OP_SEEK: case OP_TELL:
      return wy_int(j->pos);
    default:
      return wy_none();
  }
}

/* done(): back on the loop's thread, the job's outcome becomes the
** future's result or exception */
static wy_Value job_done(wy_State *W, void *data) {
  Job *j = data;
  bool cancelled = j->fut && wy_future_state(W, wy_pinned(j->fut)) == WY_FUTURE_CANCELLED;
  wy_Value r;
  if (j->op == OP_OPEN || j->op == OP_AENTER) {
    r = open_result(W, j, cancelled);
  } else {
    j->f->busy = false;
    r = job_result(W, j);
    if (cancelled) trace_now(W, j->f);   /* no step will resume to say it */
    if (j->self) {
      wy_Value pending = wy_is_error(r) && wy_error_pending(W) ? wy_fetch_error(W) : wy_none();
      wake_waiters(W, wy_pinned(j->self));
      if (!wy_is_none(pending)) wy_raise_value(W, pending);
    }
  }
  job_free(W, j);
  return r;
}

/* hand j to a worker: the coroutine then awaits the future */
static wy_Step start_job(wy_State *W, OpFrame *op, Job *j, wy_Value file, wy_Value *out) {
  if (!wy_is_none(file) && !(j->self = wy_pin(W, file))) {
    job_free(W, j);
    no_memory(W);
    return WY_STEP_ERROR;
  }
  bool opening = j->op == OP_OPEN || j->op == OP_AENTER;
  AFile *f = j->f;
  if (!opening) f->busy = true;
  wy_Value fut = wy_run_in_thread(W, job_work, job_done, j);
  if (wy_is_error(fut)) {   /* no thread started: done() will not run */
    job_free(W, j);
    if (opening) {
      afile_release(f);
      return WY_STEP_ERROR;
    }
    f->busy = false;
    wy_Value err = wy_fetch_error(W);
    wake_waiters(W, file);   /* those queued behind this job must not hang */
    wy_raise_value(W, err);
    return WY_STEP_ERROR;
  }
  j->fut = wy_pin(W, fut);  /* only to tell a cancelled open; NULL is survivable */
  op->phase = PH_RUNNING;
  *out = fut;
  return WY_STEP_AWAIT;
}

static Job *new_job(wy_State *W, OpFrame *op, AFile *f) {
  Job *j = calloc(1, sizeof *j);
  if (!j) {
    no_memory(W);
    return NULL;
  }
  j->op = op->op;
  j->st = op->st;
  j->f = f;
  j->a = op->a;
  j->b = op->b;
  return j;
}

/* ---- opening ---- */

/* the names CPython's codec lookup takes for UTF-8 (case and '-'/'_' aside) */
static bool is_utf8_name(const char *enc) {
  char norm[16];
  size_t n = 0;
  for (; enc[n] && n < sizeof norm - 1; n++) {
    char c = enc[n];
    norm[n] = c == '-' || c == ' ' ? '_' : c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
  }
  if (enc[n]) return false;
  norm[n] = 0;
  static const char *const names[] = {"utf_8", "utf8", "u8", "utf", "cp65001", NULL};
  for (int i = 0; names[i]; i++)
    if (strcmp(norm, names[i]) == 0) return true;
  return false;
}

static char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* the opener's path as a C string: a str or an os.PathLike */
static const char *path_of(wy_State *W, wy_Value path) {
  if (!wy_is_str(path) && !wy_is_none(path) && !wy_is_int(path) && !wy_is_float(path) &&
      wy_hasattr(W, path, "__fspath__")) {
    path = wy_call_method(W, path, "__fspath__", 0, NULL);
    if (wy_is_error(path)) return NULL;
  }
  if (!wy_is_str(path)) {
    wy_raise(W, "TypeError", "expected str, bytes or os.PathLike object, not %s", wy_type_name(W, path));
    return NULL;
  }
  size_t len;
  const char *s = wy_to_str(W, path, &len);
  if (s && strlen(s) != len) {
    wy_raise(W, "ValueError", "embedded null byte");
    return NULL;
  }
  return s;
}

/* the mode string as _io.open checks it: the AFile's flags and open(2)'s */
static int parse_mode(wy_State *W, const char *mode, bool has_encoding, AFile *f, int *flags) {
  bool creating = false, reading = false, writing = false, appending = false, updating = false;
  bool text = false, binary = false;
  for (const char *c = mode; *c; c++) {
    if (!strchr("xrwab+t", *c) || strchr(c + 1, *c)) {
      wy_raise(W, "ValueError", "invalid mode: '%s'", mode);
      return -1;
    }
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
  int modes = creating + reading + writing + appending;
  const char *bad = text && binary ? "can't have text and binary mode at once"
                    : modes > 1    ? "must have exactly one of create/read/write/append mode"
                    : modes == 0   ? "Must have exactly one of create/read/write/append mode and at most one plus"
                    : binary && has_encoding ? "binary mode doesn't take an encoding argument"
                                             : NULL;
  if (bad) {
    wy_raise(W, "ValueError", "%s", bad);
    return -1;
  }
  f->readable = reading || updating;
  f->writable = !reading || updating;
  f->append = appending;
  f->text = !binary;
  if (binary)
    snprintf(f->mode, sizeof f->mode, "%s%s",
             creating ? "xb" : appending ? "ab" : reading || updating ? "rb" : "wb", updating ? "+" : "");
  else
    snprintf(f->mode, sizeof f->mode, "%s", mode);
  *flags = O_CLOEXEC | (updating ? O_RDWR : reading ? O_RDONLY : O_WRONLY);
  if (creating) *flags |= O_CREAT | O_EXCL;
  if (writing) *flags |= O_CREAT | O_TRUNC;
  if (appending) *flags |= O_CREAT | O_APPEND;
  return 0;
}

/* check the opener's arguments and send the open(2) to a worker */
static wy_Step launch_open(wy_State *W, OpFrame *op, wy_Value opener, wy_Value *out) {
  wy_Value v[3];
  for (int i = 0; i < 3; i++)
    if (wy_get_slot(W, opener, i, &v[i]) != 1) v[i] = wy_none();
  const char *path = path_of(W, v[OPENER_PATH]);
  if (!path) return WY_STEP_ERROR;
  if (!wy_is_str(v[OPENER_MODE])) {
    wy_raise(W, "TypeError", "open() argument 'mode' must be str, not %s", wy_type_name(W, v[OPENER_MODE]));
    return WY_STEP_ERROR;
  }
  wy_Value enc = v[OPENER_ENCODING];
  if (!wy_is_none(enc) && !wy_is_str(enc)) {
    wy_raise(W, "TypeError", "open() argument 'encoding' must be str or None, not %s", wy_type_name(W, enc));
    return WY_STEP_ERROR;
  }
  AFile *f = calloc(1, sizeof *f);
  int flags = 0;
  if (!f || !(f->buf = malloc(BUFSIZE))) {
    if (f) afile_release(f);
    no_memory(W);
    return WY_STEP_ERROR;
  }
  f->fd = -1;
  if (parse_mode(W, wy_to_str(W, v[OPENER_MODE], NULL), !wy_is_none(enc), f, &flags) < 0) {
    afile_release(f);
    return WY_STEP_ERROR;
  }
  if (f->text && !wy_is_none(enc) && !is_utf8_name(wy_to_str(W, enc, NULL))) {
    afile_release(f);
    wy_raise(W, "NotImplementedError", "afile.open(): only UTF-8 text is supported, not '%s'", wy_to_str(W, enc, NULL));
    return WY_STEP_ERROR;
  }
  Job *j = new_job(W, op, f);
  if (j) j->path = dupstr(path);
  if (!j || !j->path) {
    afile_release(f);
    if (j) {
      free(j);
      no_memory(W);
    }
    return WY_STEP_ERROR;
  }
  j->flags = flags;
  return start_job(W, op, j, wy_none(), out);
}

/* ---- the file operations ---- */

/* CPython's message for an operation on a closed file: the text layer
** says one thing, the binary layers each say their own */
static const char *closed_message(AFile *f, int op) {
  if (f->text) return "I/O operation on closed file.";
  switch (op) {
    case OP_READ: return "read of closed file";
    case OP_READLINE: case OP_ANEXT: return "readline of closed file";
    case OP_WRITE: return "write to closed file";
    case OP_SEEK: return "seek of closed file";
    case OP_TELL: return "I/O operation on closed file";
    case OP_FLUSH: return f->writable ? "flush of closed file" : "I/O operation on closed file.";
    default: return "I/O operation on closed file.";
  }
}

static bool reads(int op) { return op == OP_READ || op == OP_READLINE || op == OP_READLINES || op == OP_ANEXT; }
static bool writes(int op) { return op == OP_WRITE || op == OP_WRITELINES; }

/* a str for a text file, bytes for a binary one: TypeError otherwise */
static int check_data(wy_State *W, AFile *f, wy_Value v) {
  if (f->text && !wy_is_str(v)) {
    wy_raise(W, "TypeError", "write() argument must be str, not %s", wy_type_name(W, v));
    return -1;
  }
  if (!f->text && !wy_is_bytes(v)) {
    wy_raise(W, "TypeError", "a bytes-like object is required, not '%s'", wy_type_name(W, v));
    return -1;
  }
  return 0;
}

static int append_data(wy_State *W, AFile *f, Bytes *b, wy_Value v) {
  size_t len;
  const char *p = f->text ? wy_to_str(W, v, &len) : wy_to_bytes(W, v, &len);
  if (!p) return -1;
  if (!bytes_put(b, p, len)) {
    no_memory(W);
    return -1;
  }
  return 0;
}

/* writelines: the items, as one write. A bad item stops the collecting;
** the items before it are still written (as CPython does, one by one) and
** its TypeError is kept in the frame's slot 1 for after the write. */
static int collect_lines(wy_State *W, AFile *f, wy_Value frame, wy_Value iterable, Bytes *b) {
  wy_Value it = wy_iter(W, iterable);
  if (wy_is_error(it)) return -1;
  for (;;) {
    wy_Value line = wy_next(W, it);
    if (wy_is_error(line)) {
      if (!wy_error_pending(W)) return wy_set_slot(W, frame, 1, wy_error());   /* nothing kept */
      break;
    }
    if (check_data(W, f, line) < 0) break;
    if (append_data(W, f, b, line) < 0) return -1;
  }
  if (b->len == 0) return -1;   /* nothing to write first: raise now */
  return wy_set_slot(W, frame, 1, wy_fetch_error(W));
}

/* the size of read/readline: an int, or None / absent for "all" */
static int size_value(wy_State *W, wy_Value v, bool present, int64_t *size) {
  *size = -1;
  if (!present || wy_is_none(v)) return 0;
  if (wy_is_float(v) || !wy_is_int(v)) {
    wy_raise(W, "TypeError", "argument should be integer or None, not '%s'", wy_type_name(W, v));
    return -1;
  }
  return wy_to_int(W, v, size);
}

/* seek's (offset[, whence]) as integers */
static int seek_args(wy_State *W, wy_Value args, int64_t *pos, int64_t *whence) {
  int64_t n = wy_len(W, args);
  wy_Value v[2];
  for (int64_t i = 0; i < n && i < 2; i++)
    if (wy_is_error(v[i] = wy_getitem(W, args, wy_int(i)))) return -1;
  *whence = 0;
  for (int64_t i = 0; i < n && i < 2; i++)
    if (wy_is_float(v[i])) {
      wy_raise(W, "TypeError", "'float' object cannot be interpreted as an integer");
      return -1;
    }
  if (n < 1 || wy_to_int(W, v[0], pos) < 0) return -1;
  return n > 1 ? wy_to_int(W, v[1], whence) : 0;
}

/* a text file seeks to a position tell() gave, or to its end (after closed) */
static int text_seek_check(wy_State *W, AfileState *st, int64_t pos, int64_t whence) {
  if (whence != 0 && pos != 0) {
    unsupported(W, st, whence == 1 ? "can't do nonzero cur-relative seeks" : "can't do nonzero end-relative seeks");
    return -1;
  }
  if (whence < 0 || whence > 2) {
    wy_raise(W, "ValueError", "invalid whence (%lld, should be 0, 1 or 2)", (long long)whence);
    return -1;
  }
  if (pos < 0) {
    wy_raise(W, "ValueError", "negative seek position %lld", (long long)pos);
    return -1;
  }
  return 0;
}

/* check an operation on an idle file and hand it to a worker */
static wy_Step launch_op(wy_State *W, OpFrame *op, wy_Value frame, wy_Value file, AFile *f, wy_Value *out) {
  AfileState *st = op->st;
  wy_Value arg;
  bool has_arg = wy_get_slot(W, frame, 1, &arg) == 1;
  if (!has_arg) arg = wy_none();
  /* the arguments' types first, as CPython's argument parsing does */
  if (op->op == OP_WRITE && check_data(W, f, arg) < 0) return WY_STEP_ERROR;
  if ((op->op == OP_READ || op->op == OP_READLINE) && size_value(W, arg, has_arg, &op->a) < 0) return WY_STEP_ERROR;
  if (op->op == OP_SEEK && seek_args(W, arg, &op->a, &op->b) < 0) return WY_STEP_ERROR;
  if (op->op == OP_CLOSE && f->closed) {
    *out = wy_none();
    return WY_STEP_RETURN;
  }
  if (op->op == OP_SEEK && !f->text && (op->b < 0 || op->b > 2)) {   /* binary: before closed */
    wy_raise(W, "ValueError", "whence value %lld unsupported", (long long)op->b);
    return WY_STEP_ERROR;
  }
  /* the binary layers check readable/writable before closed */
  if (!f->text && ((reads(op->op) && op->op != OP_READLINES && !f->readable) || (op->op == OP_WRITE && !f->writable))) {
    unsupported(W, st, reads(op->op) ? "read" : "write");
    return WY_STEP_ERROR;
  }
  if (f->closed) {
    wy_raise(W, "ValueError", "%s", closed_message(f, op->op));
    return WY_STEP_ERROR;
  }
  if ((reads(op->op) && !f->readable) || (writes(op->op) && !f->writable)) {
    unsupported(W, st, reads(op->op) ? (f->text ? "not readable" : "read") : (f->text ? "not writable" : "write"));
    return WY_STEP_ERROR;
  }
  if (op->op == OP_SEEK && f->text && text_seek_check(W, st, op->a, op->b) < 0) return WY_STEP_ERROR;
  Job *j = new_job(W, op, f);
  if (!j) return WY_STEP_ERROR;
  int rc = 0;
  if (op->op == OP_WRITE) {
    rc = append_data(W, f, &j->data, arg);
    j->b = f->text ? (int64_t)std_utf8_length(j->data.p ? j->data.p : "", j->data.len) : (int64_t)j->data.len;
  } else if (op->op == OP_WRITELINES) {
    rc = collect_lines(W, f, frame, arg, &j->data);
  }
  if (rc < 0) {
    job_free(W, j);
    return WY_STEP_ERROR;
  }
  return start_job(W, op, j, file, out);
}

/* the operation is over: its result, or a TypeError writelines kept */
static wy_Step finish_op(wy_State *W, OpFrame *op, wy_Value frame, wy_Value result, wy_Value *out) {
  wy_Value held, target;
  if (op->op == OP_WRITELINES && wy_get_slot(W, frame, 1, &held) == 1) {
    wy_raise_value(W, held);
    return WY_STEP_ERROR;
  }
  if (op->op == OP_AENTER && wy_get_slot(W, frame, 0, &target) == 1 &&
      wy_set_slot(W, target, OPENER_FILE, result) < 0)
    return WY_STEP_ERROR;
  *out = result;
  return WY_STEP_RETURN;
}

/* the job's acquire/release event, now that the awaiting line is current */
static void report_trace(wy_State *W, OpFrame *op, wy_Value frame, wy_Resume how, wy_Value in) {
  if (!wy_tracing(W)) return;
  bool opening = op->op == OP_OPEN || op->op == OP_AENTER;
  wy_Value file = in;
  if (opening ? how != WY_RESUME_VALUE : wy_get_slot(W, frame, 0, &file) != 1) return;
  AFile *f = wy_instance_data(W, file, wy_pinned(op->st->file_cls));
  if (!f) {
    wy_clear_error(W);
    return;
  }
  trace_now(W, f);
}

/* The step of every afile coroutine: wait while the file is busy, then
** launch the job and await its future, then return what it made. */
static wy_Step op_step(wy_State *W, wy_Value frame, wy_Resume how, wy_Value in, wy_Value *out) {
  OpFrame *op = wy_instance_data(W, frame, wy_type_of(W, frame));
  if (!op) return WY_STEP_ERROR;
  if (op->phase == PH_RUNNING) report_trace(W, op, frame, how, in);
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  if (op->phase == PH_RUNNING) return finish_op(W, op, frame, in, out);
  wy_Value target;
  if (wy_get_slot(W, frame, 0, &target) != 1) {
    wy_raise(W, "RuntimeError", "afile: a coroutine without its file");
    return WY_STEP_ERROR;
  }
  if (op->op == OP_OPEN || op->op == OP_AENTER) return launch_open(W, op, target, out);
  AFile *f = wy_instance_data(W, target, wy_pinned(op->st->file_cls));
  if (!f) return WY_STEP_ERROR;
  if (f->busy) {   /* another operation has the file: queue up behind it */
    wy_Value waiters;
    if (wy_get_slot(W, target, 0, &waiters) != 1) {
      waiters = wy_list(W);
      if (wy_is_error(waiters) || wy_set_slot(W, target, 0, waiters) < 0) return WY_STEP_ERROR;
    }
    wy_Value waiter = wy_future(W);
    if (wy_is_error(waiter) || wy_list_append(W, waiters, waiter) < 0) return WY_STEP_ERROR;
    op->phase = PH_WAITING;
    *out = waiter;
    return WY_STEP_AWAIT;
  }
  return launch_op(W, op, frame, target, f, out);
}

/* a coroutine running operation `op` on target (a file or an opener) */
static wy_Value op_coroutine(wy_State *W, AfileState *st, int op, wy_Value target, wy_Value arg, int64_t a, int64_t b) {
  OpFrame *of = calloc(1, sizeof *of);
  if (!of) return no_memory(W);
  *of = (OpFrame){st, op, PH_START, a, b};
  wy_Value frame = wy_new_instance(W, wy_pinned(st->frame_cls), of, free);
  if (wy_is_error(frame)) {
    free(of);
    return frame;
  }
  if (wy_set_slot(W, frame, 0, target) < 0 || (!wy_is_error(arg) && wy_set_slot(W, frame, 1, arg) < 0))
    return wy_error();
  return wy_coroutine(W, op_names[op], op_step, frame);
}

/* ---- AsyncFile methods ---- */

static AFile *file_of(wy_State *W, int argc, const wy_Value *argv, AfileState *st) {
  if (argc < 1) {
    wy_raise(W, "TypeError", "descriptor needs an argument");
    return NULL;
  }
  return wy_instance_data(W, argv[0], wy_pinned(st->file_cls));
}

/* read(size=-1) / readline(size=-1): checked at the await, as CPython
** checks them in the thread */
static wy_Value sized_op(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, AfileState *st, int op) {
  const char *name = op_names[op];
  if (std_no_kwargs(W, name, kw) < 0 || std_argc(W, name, argc - 1, 0, 1) < 0) return wy_error();
  if (!file_of(W, argc, argv, st)) return wy_error();
  return op_coroutine(W, st, op, argv[0], argc > 1 ? argv[1] : wy_error(), -1, 0);
}

static wy_Value f_read(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return sized_op(W, argc, argv, kw, ud, OP_READ);
}

static wy_Value f_readline(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return sized_op(W, argc, argv, kw, ud, OP_READLINE);
}

/* operations with no argument, or one the step checks */
static wy_Value plain_op(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, AfileState *st, int op,
                         int nargs) {
  const char *name = op_names[op];
  if (std_no_kwargs(W, name, kw) < 0 || std_argc(W, name, argc - 1, nargs, nargs) < 0) return wy_error();
  if (!file_of(W, argc, argv, st)) return wy_error();
  return op_coroutine(W, st, op, argv[0], nargs ? argv[1] : wy_error(), -1, 0);
}

static wy_Value f_readlines(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return plain_op(W, argc, argv, kw, ud, OP_READLINES, 0);
}

static wy_Value f_anext(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return plain_op(W, argc, argv, kw, ud, OP_ANEXT, 0);
}

static wy_Value f_write(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return plain_op(W, argc, argv, kw, ud, OP_WRITE, 1);
}

static wy_Value f_writelines(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return plain_op(W, argc, argv, kw, ud, OP_WRITELINES, 1);
}

static wy_Value f_tell(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return plain_op(W, argc, argv, kw, ud, OP_TELL, 0);
}

static wy_Value f_flush(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return plain_op(W, argc, argv, kw, ud, OP_FLUSH, 0);
}

static wy_Value f_close(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return plain_op(W, argc, argv, kw, ud, OP_CLOSE, 0);
}

/* __aexit__(exc_type, exc, tb): close, never suppressing */
static wy_Value f_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!file_of(W, argc, argv, ud)) return wy_error();
  return op_coroutine(W, ud, OP_CLOSE, argv[0], wy_error(), -1, 0);
}

/* seek(offset, whence=0): the arguments go to the step as a tuple */
static wy_Value f_seek(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "seek", kw) < 0 || std_argc(W, "seek", argc - 1, 1, 2) < 0) return wy_error();
  if (!file_of(W, argc, argv, ud)) return wy_error();
  wy_Value args = wy_tuple(W, argc - 1, argv + 1);
  return wy_is_error(args) ? args : op_coroutine(W, ud, OP_SEEK, argv[0], args, 0, 0);
}

static wy_Step return_state_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  *out = state;
  return WY_STEP_RETURN;
}

static wy_Value f_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!file_of(W, argc, argv, ud)) return wy_error();
  return wy_coroutine(W, "__aenter__", return_state_step, argv[0]);
}

static wy_Value f_aiter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return file_of(W, argc, argv, ud) ? argv[0] : wy_error();
}

static wy_Value f_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AFile *f = file_of(W, argc, argv, ud);
  if (!f) return wy_error();
  wy_Value name = wy_getattr(W, argv[0], "name");
  wy_Value nr = wy_is_error(name) ? name : wy_repr(W, name);
  if (wy_is_error(nr)) return nr;
  const char *ns = wy_to_str(W, nr, NULL);
  size_t need = strlen(ns) + 64;
  char *s = malloc(need);
  if (!s) return no_memory(W);
  snprintf(s, need, "<afile.AsyncFile name=%s mode='%s'>", ns, f->mode);
  wy_Value r = wy_str(W, s);
  free(s);
  return r;
}

static wy_Value get_closed(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AFile *f = file_of(W, argc, argv, ud);
  return f ? wy_bool(f->closed) : wy_error();
}

static wy_Value get_mode(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AFile *f = file_of(W, argc, argv, ud);
  return f ? wy_str(W, f->mode) : wy_error();
}

static const wy_Method file_methods[] = {
  {"read", f_read}, {"readline", f_readline}, {"readlines", f_readlines},
  {"write", f_write}, {"writelines", f_writelines}, {"seek", f_seek}, {"tell", f_tell},
  {"flush", f_flush}, {"close", f_close}, {"__aiter__", f_aiter}, {"__anext__", f_anext},
  {"__aenter__", f_aenter}, {"__aexit__", f_aexit}, {"__repr__", f_repr}, {NULL, NULL}
};

/* ---- the opener: awaitable and async context manager ---- */

static wy_Value opener_self(wy_State *W, int argc, const wy_Value *argv, AfileState *st) {
  if (argc < 1) return wy_raise(W, "TypeError", "descriptor needs an argument");
  int r = wy_isinstance(W, argv[0], wy_pinned(st->opener_cls));
  if (r <= 0) return r < 0 ? wy_error() : wy_raise(W, "TypeError", "expected an afile opener");
  return argv[0];
}

static wy_Value o_await(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value self = opener_self(W, argc, argv, ud);
  return wy_is_error(self) ? self : op_coroutine(W, ud, OP_OPEN, self, wy_error(), 0, 0);
}

static wy_Value o_aenter(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value self = opener_self(W, argc, argv, ud);
  return wy_is_error(self) ? self : op_coroutine(W, ud, OP_AENTER, self, wy_error(), 0, 0);
}

/* __aexit__: close the file __aenter__ opened (never suppressing) */
static wy_Value o_aexit(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value self = opener_self(W, argc, argv, ud), file;
  if (wy_is_error(self)) return self;
  if (wy_get_slot(W, self, OPENER_FILE, &file) != 1)
    return wy_raise(W, "RuntimeError", "afile: __aexit__ without __aenter__");
  return op_coroutine(W, ud, OP_CLOSE, file, wy_error(), -1, 0);
}

static const wy_Method opener_methods[] = {
  {"__await__", o_await}, {"__aenter__", o_aenter}, {"__aexit__", o_aexit}, {NULL, NULL}
};

/* afile.open(file, mode='r', encoding=None): the checks wait for the await,
** where aiofiles (and the thread that runs open there) makes them */
static wy_Value af_open(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  AfileState *st = ud;
  static const char *const names[] = {"file", "mode", "encoding", NULL};
  wy_Value a[3];
  if (std_args(W, "open", argc, argv, kw, names, 1, a) < 0) return wy_error();
  if (wy_is_error(a[1])) a[1] = wy_str(W, "r");
  if (wy_is_error(a[2])) a[2] = wy_none();
  wy_Value opener = wy_new_instance(W, wy_pinned(st->opener_cls), NULL, NULL);
  if (wy_is_error(opener)) return opener;
  for (int i = 0; i < 3; i++)
    if (wy_set_slot(W, opener, i, a[i]) < 0) return wy_error();
  return opener;
}

/* ---- the module ---- */

static wy_Pin *pinned_class(wy_State *W, const char *name, wy_Value base, const wy_Method *methods, void *ud,
                            int nslots) {
  wy_Value cls = wy_class(W, name, base, methods, ud);
  if (wy_is_error(cls) || (nslots && wy_class_slots(W, cls, nslots) < 0)) return NULL;
  return wy_pin(W, cls);
}

static int add_property(wy_State *W, wy_Value cls, const char *name, wy_CFunction getter, void *ud) {
  wy_Value f = wy_function(W, name, getter, ud);
  wy_Value p = wy_is_error(f) ? f : wy_property(W, f, wy_none());
  return wy_is_error(p) ? -1 : wy_class_set(W, cls, name, p);
}

/* io.UnsupportedOperation's twin: an OSError and a ValueError, so that
** `except ValueError` catches "not readable" as it does in CPython (one
** base is all wy_class takes, hence type()) */
static wy_Pin *unsupported_class(wy_State *W) {
  wy_Value bases[2] = {wy_builtin(W, "OSError"), wy_builtin(W, "ValueError")};
  wy_Value ns = wy_dict(W);
  if (wy_is_error(ns) || wy_dict_set(W, ns, "__module__", wy_str(W, "io")) < 0) return NULL;
  wy_Value args[3] = {wy_str(W, "UnsupportedOperation"), wy_tuple(W, 2, bases), ns};
  wy_Value cls = wy_call(W, wy_builtin(W, "type"), 3, args);
  return wy_is_error(cls) ? NULL : wy_pin(W, cls);
}

int std_afile_init(wy_State *W, wy_Value m) {
  static const wy_Method none[] = {{NULL, NULL}};
  AfileState *st = std_state_new(W, m, sizeof *st);
  if (!st) return -1;
  if (!(st->file_cls = pinned_class(W, "AsyncFile", wy_none(), file_methods, st, 1)) ||
      !(st->opener_cls = pinned_class(W, "AFileContextManager", wy_none(), opener_methods, st, OPENER_NSLOTS)) ||
      !(st->frame_cls = pinned_class(W, "_afile_op", wy_none(), none, st, 2)) ||
      !(st->unsupported = unsupported_class(W)))
    return -1;
  wy_Value file_cls = wy_pinned(st->file_cls);
  if (add_property(W, file_cls, "closed", get_closed, st) < 0 || add_property(W, file_cls, "mode", get_mode, st) < 0)
    return -1;
  if (wy_def(W, m, "open", af_open, st) < 0 || wy_module_set(W, m, "AsyncFile", file_cls) < 0 ||
      wy_module_set(W, m, "UnsupportedOperation", wy_pinned(st->unsupported)) < 0)
    return -1;
  return 0;
}
