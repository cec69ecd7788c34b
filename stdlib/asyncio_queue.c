/* asyncio_queue.c — asyncio's queues: Queue (FIFO), LifoQueue,
** PriorityQueue (a binary heap ordered by `<`, as heapq does it), and
** QueueEmpty / QueueFull, with CPython 3.11's Lib/asyncio/queues.py
** algorithms: getters and putters wait on futures in FIFO lists; a waiter
** that was woken but cancelled passes the wake-up on. Uses withy.h only. */
#include <stdio.h>
#include "asyncio_impl.h"

enum { Q_MAXSIZE, Q_ITEMS, Q_GETTERS, Q_PUTTERS, Q_UNFINISHED, Q_FINISHED, Q_KIND, Q_NSLOTS };
enum { KIND_FIFO, KIND_LIFO, KIND_PRIORITY };

static int64_t as_int(wy_State *W, wy_Value v) {
  int64_t i = 0;
  if (wy_to_int(W, v, &i) < 0) wy_clear_error(W);
  return i;
}

static wy_Value *queue_slots(wy_State *W, int argc, const wy_Value *argv) {
  wy_Value *s = aio_self_slots(W, argc, argv, Q_NSLOTS, "Queue");
  if (s && wy_is_error(s[Q_ITEMS])) {
    wy_raise(W, "AttributeError", "'%s' object has no attribute '_queue'", wy_type_name(W, argv[0]));
    return NULL;
  }
  return s;
}

static wy_Value *slots_of(wy_State *W, wy_Value q) {
  int n;
  return wy_slots(W, q, &n);
}

/* ---- the heap of PriorityQueue (heapq's _siftdown/_siftup) ---- */

/* a < b, through the builtin min so that the comparison and its TypeError
** are the interpreter's own: min(b, a) is a exactly when a < b */
static int less(wy_State *W, wy_Value a, wy_Value b) {
  if (wy_is(a, b)) return 0;
  wy_Value args[2] = {b, a};
  wy_Value m = wy_call(W, wy_builtin(W, "min"), 2, args);
  if (wy_is_error(m)) return -1;
  return wy_is(m, a) && !wy_is(m, b);
}

static wy_Value at(wy_State *W, wy_Value list, int64_t i) { return wy_getitem(W, list, wy_int(i)); }

static int put_at(wy_State *W, wy_Value list, int64_t i, wy_Value v) {
  wy_Value args[2] = {wy_int(i), v};
  return wy_is_error(wy_call_method(W, list, "__setitem__", 2, args)) ? -1 : 0;
}

static int sift_down(wy_State *W, wy_Value heap, int64_t start, int64_t pos) {
  wy_Value item = at(W, heap, pos);
  if (wy_is_error(item)) return -1;
  while (pos > start) {
    int64_t parent_pos = (pos - 1) >> 1;
    wy_Value parent = at(W, heap, parent_pos);
    int lt = wy_is_error(parent) ? -1 : less(W, item, parent);
    if (lt < 0) return -1;
    if (!lt) break;
    if (put_at(W, heap, pos, parent) < 0) return -1;
    pos = parent_pos;
  }
  return put_at(W, heap, pos, item);
}

static int sift_up(wy_State *W, wy_Value heap, int64_t pos) {
  int64_t end = wy_len(W, heap), start = pos;
  wy_Value item = at(W, heap, pos);
  if (wy_is_error(item)) return -1;
  int64_t child = 2 * pos + 1;
  while (child < end) {
    int64_t right = child + 1;
    if (right < end) {
      wy_Value c = at(W, heap, child), r = at(W, heap, right);
      int lt = wy_is_error(c) || wy_is_error(r) ? -1 : less(W, c, r);
      if (lt < 0) return -1;
      if (!lt) child = right;
    }
    wy_Value c = at(W, heap, child);
    if (wy_is_error(c) || put_at(W, heap, pos, c) < 0) return -1;
    pos = child;
    child = 2 * pos + 1;
  }
  if (put_at(W, heap, pos, item) < 0) return -1;
  return sift_down(W, heap, start, pos);
}

/* ---- _put / _get ---- */

static int queue_put_item(wy_State *W, wy_Value *s, wy_Value item) {
  wy_Value items = s[Q_ITEMS];
  if (wy_list_append(W, items, item) < 0) return -1;
  if (as_int(W, s[Q_KIND]) == KIND_PRIORITY) return sift_down(W, items, 0, wy_len(W, items) - 1);
  return 0;
}

static wy_Value queue_get_item(wy_State *W, wy_Value *s) {
  wy_Value items = s[Q_ITEMS];
  switch (as_int(W, s[Q_KIND])) {
  case KIND_FIFO: return aio_list_popleft(W, items);
  case KIND_LIFO: return wy_list_pop(W, items);
  default: {
    wy_Value last = wy_list_pop(W, items);
    if (wy_is_error(last) || wy_len(W, items) == 0) return last;
    wy_Value first = at(W, items, 0);
    if (wy_is_error(first) || put_at(W, items, 0, last) < 0 || sift_up(W, items, 0) < 0) return wy_error();
    return first;
  }
  }
}

/* ---- state ---- */

static int64_t qsize(wy_State *W, wy_Value *s) { return wy_len(W, s[Q_ITEMS]); }

static bool queue_full(wy_State *W, wy_Value *s) {
  int64_t max = as_int(W, s[Q_MAXSIZE]);
  return max > 0 && qsize(W, s) >= max;
}

/* _wakeup_next: pop waiters until one that is not done, and wake it */
static int wakeup_next(wy_State *W, wy_Value waiters) {
  while (wy_len(W, waiters) > 0) {
    wy_Value w = aio_list_popleft(W, waiters);
    if (wy_is_error(w)) return -1;
    if (!aio_future_done(W, w)) return wy_future_set_result(W, w, wy_none());
  }
  return 0;
}

static wy_Value raise_class(wy_State *W, wy_Pin *cls) {
  return wy_raise_value(W, wy_pinned(cls));
}

static int put_nowait(wy_State *W, AioState *st, wy_Value q, wy_Value item) {
  wy_Value *s = slots_of(W, q);
  if (!s) return -1;
  if (queue_full(W, s)) {
    raise_class(W, st->queue_full);
    return -1;
  }
  if (queue_put_item(W, s, item) < 0) return -1;
  s = slots_of(W, q);
  s[Q_UNFINISHED] = wy_int(as_int(W, s[Q_UNFINISHED]) + 1);
  if (aio_event_clear(W, s[Q_FINISHED]) < 0) return -1;
  return wakeup_next(W, s[Q_GETTERS]);
}

static wy_Value get_nowait(wy_State *W, AioState *st, wy_Value q) {
  wy_Value *s = slots_of(W, q);
  if (!s) return wy_error();
  if (qsize(W, s) == 0) return raise_class(W, st->queue_empty);
  wy_Value item = queue_get_item(W, s);
  if (wy_is_error(item) || wakeup_next(W, slots_of(W, q)[Q_PUTTERS]) < 0) return wy_error();
  return item;
}

/* ---- put() and get() ---- */

/* frame: the queue, the item (put), the waiting future, which one */
enum { QW_QUEUE, QW_ITEM, QW_WAITER, QW_IS_PUT };

/* `while full/empty: waiter = …; append; await waiter` — one turn */
static wy_Step queue_wait_or_finish(wy_State *W, AioState *st, wy_Value frame, wy_Value *out) {
  wy_Value *f = aio_slots(W, frame);
  wy_Value q = f[QW_QUEUE];
  bool is_put = wy_truthy(W, f[QW_IS_PUT]) > 0;
  wy_Value *s = slots_of(W, q);
  if (!s) return WY_STEP_ERROR;
  if (is_put ? !queue_full(W, s) : qsize(W, s) > 0) {
    if (is_put) {
      if (put_nowait(W, st, q, f[QW_ITEM]) < 0) return WY_STEP_ERROR;
      *out = wy_none();
    } else {
      *out = get_nowait(W, st, q);
      if (wy_is_error(*out)) return WY_STEP_ERROR;
    }
    return WY_STEP_RETURN;
  }
  wy_Value waiter = wy_future(W);
  if (wy_is_error(waiter) || wy_list_append(W, s[is_put ? Q_PUTTERS : Q_GETTERS], waiter) < 0)
    return WY_STEP_ERROR;
  aio_slots(W, frame)[QW_WAITER] = waiter;
  *out = waiter;
  return WY_STEP_AWAIT;
}

/* the bare `except:` around `await waiter` */
static wy_Step queue_wait_failed(wy_State *W, wy_Value frame) {
  wy_Value exc = wy_fetch_error(W);
  wy_Value *f = aio_slots(W, frame);
  wy_Value q = f[QW_QUEUE], waiter = f[QW_WAITER];
  bool is_put = wy_truthy(W, f[QW_IS_PUT]) > 0;
  if (wy_future_cancel(W, waiter, wy_none()) < 0) return WY_STEP_ERROR;
  wy_Value *s = slots_of(W, q);
  wy_Value waiters = s[is_put ? Q_PUTTERS : Q_GETTERS];
  if (aio_list_remove(W, waiters, waiter) < 0) return WY_STEP_ERROR;
  s = slots_of(W, q);
  bool ready = is_put ? !queue_full(W, s) : qsize(W, s) > 0;
  if (ready && !aio_future_cancelled(W, waiter) && wakeup_next(W, waiters) < 0) return WY_STEP_ERROR;
  aio_reraise(W, exc);
  return WY_STEP_ERROR;
}

static wy_Step queue_wait_step(wy_State *W, wy_Value frame, wy_Resume how, wy_Value in, wy_Value *out) {
  AioState *st = aio_state_of(W, frame);
  if (!st) return WY_STEP_ERROR;
  if (how == WY_RESUME_ERROR) return queue_wait_failed(W, frame);
  return queue_wait_or_finish(W, st, frame, out);
}

static wy_Value queue_coroutine(wy_State *W, AioState *st, wy_Value q, wy_Value item, bool is_put) {
  wy_Value frame = aio_frame(W, st);
  if (wy_is_error(frame)) return frame;
  wy_Value *f = aio_slots(W, frame);
  f[QW_QUEUE] = q;
  f[QW_ITEM] = item;
  f[QW_IS_PUT] = wy_bool(is_put);
  return wy_coroutine(W, is_put ? "Queue.put" : "Queue.get", queue_wait_step, frame);
}

/* ---- join ---- */

static wy_Step join_step(wy_State *W, wy_Value q, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how != WY_RESUME_START) {
    *out = wy_none();
    return how == WY_RESUME_ERROR ? WY_STEP_ERROR : WY_STEP_RETURN;
  }
  wy_Value *s = slots_of(W, q);
  if (!s) return WY_STEP_ERROR;
  if (as_int(W, s[Q_UNFINISHED]) <= 0) {
    *out = wy_none();
    return WY_STEP_RETURN;
  }
  AioState *st = aio_class_state(W, q);
  *out = st ? aio_event_wait(W, st, slots_of(W, q)[Q_FINISHED]) : wy_error();
  return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
}

/* ---- methods ---- */

static wy_Value queue_init_kind(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, AioState *st,
                                const char *qualname, int kind) {
  static const char *const names[] = {"maxsize", NULL};
  wy_Value a[1];
  wy_Value *s = aio_self_slots(W, argc, argv, Q_NSLOTS, "Queue");
  if (!s || aio_method_args(W, qualname, argc, argv, kw, names, 0, a) < 0) return wy_error();
  wy_Value items = wy_list(W), getters = wy_list(W), putters = wy_list(W);
  wy_Value finished = aio_event_new(W, st);
  if (wy_is_error(items) || wy_is_error(getters) || wy_is_error(putters) || wy_is_error(finished) ||
      aio_event_set(W, finished) < 0)
    return wy_error();
  s = slots_of(W, argv[0]);
  s[Q_MAXSIZE] = wy_is_error(a[0]) ? wy_int(0) : a[0];
  s[Q_ITEMS] = items;
  s[Q_GETTERS] = getters;
  s[Q_PUTTERS] = putters;
  s[Q_UNFINISHED] = wy_int(0);
  s[Q_FINISHED] = finished;
  s[Q_KIND] = wy_int(kind);
  return wy_none();
}

static wy_Value queue_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return queue_init_kind(W, argc, argv, kw, ud, "Queue.__init__", KIND_FIFO);
}
static wy_Value lifo_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return queue_init_kind(W, argc, argv, kw, ud, "Queue.__init__", KIND_LIFO);
}
static wy_Value priority_init(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return queue_init_kind(W, argc, argv, kw, ud, "Queue.__init__", KIND_PRIORITY);
}

static wy_Value queue_qsize(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = queue_slots(W, argc, argv);
  return s ? wy_int(qsize(W, s)) : wy_error();
}

static wy_Value queue_maxsize(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = queue_slots(W, argc, argv);
  return s ? s[Q_MAXSIZE] : wy_error();
}

static wy_Value queue_empty(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = queue_slots(W, argc, argv);
  return s ? wy_bool(qsize(W, s) == 0) : wy_error();
}

static wy_Value queue_full_fn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = queue_slots(W, argc, argv);
  return s ? wy_bool(queue_full(W, s)) : wy_error();
}

static wy_Value queue_put(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"item", NULL};
  wy_Value a[1];
  if (!queue_slots(W, argc, argv) || aio_method_args(W, "Queue.put", argc, argv, kw, names, 1, a) < 0)
    return wy_error();
  return queue_coroutine(W, ud, argv[0], a[0], true);
}

static wy_Value queue_get(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!queue_slots(W, argc, argv) || std_argc(W, "Queue.get", argc - 1, 0, 0) < 0) return wy_error();
  return queue_coroutine(W, ud, argv[0], wy_none(), false);
}

static wy_Value queue_put_nowait(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  static const char *const names[] = {"item", NULL};
  wy_Value a[1];
  if (!queue_slots(W, argc, argv) || aio_method_args(W, "Queue.put_nowait", argc, argv, kw, names, 1, a) < 0)
    return wy_error();
  return put_nowait(W, ud, argv[0], a[0]) < 0 ? wy_error() : wy_none();
}

static wy_Value queue_get_nowait(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!queue_slots(W, argc, argv)) return wy_error();
  return get_nowait(W, ud, argv[0]);
}

static wy_Value queue_task_done(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = queue_slots(W, argc, argv);
  if (!s) return wy_error();
  int64_t n = as_int(W, s[Q_UNFINISHED]);
  if (n <= 0) return wy_raise(W, "ValueError", "task_done() called too many times");
  s[Q_UNFINISHED] = wy_int(n - 1);
  if (n - 1 == 0 && aio_event_set(W, s[Q_FINISHED]) < 0) return wy_error();
  return wy_none();
}

static wy_Value queue_join(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (!queue_slots(W, argc, argv)) return wy_error();
  return wy_coroutine(W, "Queue.join", join_step, argv[0]);
}

/* _format(): "maxsize=0 _queue=[1, 2] _getters[1] tasks=2" */
static int queue_format(wy_State *W, wy_Value *s, char *buf, size_t size) {
  wy_Value max = wy_repr(W, s[Q_MAXSIZE]);
  const char *m = wy_is_error(max) ? NULL : wy_to_str(W, max, NULL);
  if (!m) return -1;
  size_t used = (size_t)snprintf(buf, size, "maxsize=%s", m);
  if (qsize(W, s) > 0) {
    wy_Value r = wy_repr(W, s[Q_ITEMS]);
    const char *items = wy_is_error(r) ? NULL : wy_to_str(W, r, NULL);
    if (!items) return -1;
    used += (size_t)snprintf(buf + used, used < size ? size - used : 0, " _queue=%s", items);
  }
  int64_t g = wy_len(W, s[Q_GETTERS]), p = wy_len(W, s[Q_PUTTERS]), t = as_int(W, s[Q_UNFINISHED]);
  if (g && used < size) used += (size_t)snprintf(buf + used, size - used, " _getters[%lld]", (long long)g);
  if (p && used < size) used += (size_t)snprintf(buf + used, size - used, " _putters[%lld]", (long long)p);
  if (t && used < size) snprintf(buf + used, size - used, " tasks=%lld", (long long)t);
  return 0;
}

static wy_Value queue_str(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = queue_slots(W, argc, argv);
  char buf[4096], out[4200];
  if (!s || queue_format(W, s, buf, sizeof buf) < 0) return wy_error();
  snprintf(out, sizeof out, "<%s %s>", wy_type_name(W, argv[0]), buf);
  return wy_str(W, out);
}

static wy_Value queue_repr(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value *s = queue_slots(W, argc, argv);
  char buf[4096], out[4200];
  if (!s || queue_format(W, s, buf, sizeof buf) < 0) return wy_error();
  wy_Value id = wy_call(W, wy_builtin(W, "id"), 1, argv);
  int64_t addr;
  if (wy_is_error(id) || wy_to_int(W, id, &addr) < 0) return wy_error();
  snprintf(out, sizeof out, "<%s at %#llx %s>", wy_type_name(W, argv[0]), (unsigned long long)addr, buf);
  return wy_str(W, out);
}

/* ---- registration ---- */

static const wy_Method queue_methods[] = {
  {"__init__", queue_init}, {"qsize", queue_qsize}, {"empty", queue_empty}, {"full", queue_full_fn},
  {"put", queue_put}, {"get", queue_get}, {"put_nowait", queue_put_nowait}, {"get_nowait", queue_get_nowait},
  {"task_done", queue_task_done}, {"join", queue_join}, {"__repr__", queue_repr}, {"__str__", queue_str},
  {NULL, NULL},
};
static const wy_Method lifo_methods[] = {{"__init__", lifo_init}, {NULL, NULL}};
static const wy_Method priority_methods[] = {{"__init__", priority_init}, {NULL, NULL}};
static const wy_Method no_methods[] = {{NULL, NULL}};

int aio_queue_add(wy_State *W, wy_Value m, AioState *st) {
  wy_Value exc = wy_builtin(W, "Exception");
  wy_Value empty = aio_add_class(W, m, "QueueEmpty", exc, no_methods, NULL, "asyncio.queues", 0);
  wy_Value full = aio_add_class(W, m, "QueueFull", exc, no_methods, NULL, "asyncio.queues", 0);
  if (wy_is_error(empty) || wy_is_error(full)) return -1;
  st->queue_empty = wy_pin(W, empty);
  st->queue_full = wy_pin(W, full);
  wy_Value queue = aio_add_class(W, m, "Queue", wy_none(), queue_methods, st, "asyncio.queues", Q_NSLOTS);
  wy_Value getter = wy_function(W, "maxsize", queue_maxsize, st);
  wy_Value prop = wy_is_error(getter) ? getter : wy_property(W, getter, wy_none());
  if (wy_is_error(queue) || wy_is_error(prop) || wy_class_set(W, queue, "maxsize", prop) < 0 ||
      aio_set_class_state(W, queue, st) < 0)
    return -1;
  if (wy_is_error(aio_add_class(W, m, "LifoQueue", queue, lifo_methods, st, "asyncio.queues", 0)) ||
      wy_is_error(aio_add_class(W, m, "PriorityQueue", queue, priority_methods, st, "asyncio.queues", 0)))
    return -1;
  return st->queue_empty && st->queue_full ? 0 : -1;
}
