/* test_loop.c — the core's event loop through withy.h, from a host
** module's side: a C test module ("pipewait") whose coroutines are C step
** functions that wait on a pipe (wy_wait_fd), on timers (wy_sleep_future)
** and on a worker thread (wy_run_in_thread); scripts drive them as tasks.
** No asyncio needed: the module offers run() and spawn() itself. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "withy.h"

/* ---- the module ---- */

static wy_Value pw_pipe(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  int fds[2];
  if (pipe(fds) < 0) return wy_raise_errno(W, 2, NULL);
  wy_Value items[2] = {wy_int(fds[0]), wy_int(fds[1])};
  return wy_tuple(W, 2, items);
}

static wy_Value pw_write(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  int64_t fd;
  size_t len;
  if (argc != 2 || wy_to_int(W, argv[0], &fd) < 0) return wy_raise(W, "TypeError", "write(fd, data)");
  const void *data = wy_to_bytes(W, argv[1], &len);
  if (!data) return wy_error();
  return wy_int((int64_t)write((int)fd, data, len));
}

/* read_when_ready(fd): a C coroutine — await the fd, then read it. Its
** state is a list [fd]. */
static wy_Step read_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  wy_Value fdv = wy_getitem(W, state, wy_int(0));
  int64_t fd;
  if (wy_to_int(W, fdv, &fd) < 0) return WY_STEP_ERROR;
  if (how == WY_RESUME_START) {
    *out = wy_wait_fd(W, (int)fd, WY_READABLE);
    return wy_is_error(*out) ? WY_STEP_ERROR : WY_STEP_AWAIT;
  }
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;   /* e.g. cancelled: pass it on */
  char buf[256];
  ssize_t n = read((int)fd, buf, sizeof buf);
  if (n < 0) return wy_is_error(wy_raise_errno(W, 5, NULL)) ? WY_STEP_ERROR : WY_STEP_ERROR;
  *out = wy_bytes(W, buf, (size_t)n);
  return WY_STEP_RETURN;
}

static wy_Value pw_read_when_ready(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  wy_Value state = wy_list(W);
  if (argc != 1 || wy_list_append(W, state, argv[0]) < 0) return wy_raise(W, "TypeError", "read_when_ready(fd)");
  return wy_coroutine(W, "read_when_ready", read_step, state);
}

/* sleep(seconds): await a timer future; yields nothing else */
static wy_Step sleep_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_START) {
    double d;
    if (wy_to_float(W, state, &d) < 0) return WY_STEP_ERROR;
    *out = wy_sleep_future(W, d, wy_str(W, "slept"));
    return WY_STEP_AWAIT;
  }
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  *out = in;
  return WY_STEP_RETURN;
}

static wy_Value pw_sleep(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (argc != 1) return wy_raise(W, "TypeError", "sleep(seconds)");
  return wy_coroutine(W, "sleep", sleep_step, argv[0]);
}

/* yield_once(): one bare yield (a task runs it again next turn) */
static wy_Step yield_step(wy_State *W, wy_Value state, wy_Resume how, wy_Value in, wy_Value *out) {
  if (how == WY_RESUME_START) {
    *out = wy_none();
    return WY_STEP_YIELD;
  }
  if (how == WY_RESUME_ERROR) return WY_STEP_ERROR;
  *out = wy_int(1);
  return WY_STEP_RETURN;
}

static wy_Value pw_yield_once(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return wy_coroutine(W, "yield_once", yield_step, wy_none());
}

/* compute(n): sum 1..n on a worker thread */
typedef struct SumJob { int64_t n, sum; } SumJob;
static void sum_work(void *data) {
  SumJob *j = data;
  struct timespec ts = {0, 5 * 1000 * 1000};
  nanosleep(&ts, NULL);
  for (int64_t i = 1; i <= j->n; i++) j->sum += i;
}
static wy_Value sum_done(wy_State *W, void *data) {
  SumJob *j = data;
  int64_t s = j->sum;
  free(j);
  return wy_int(s);
}
static wy_Value pw_compute(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  int64_t n;
  if (argc != 1 || wy_to_int(W, argv[0], &n) < 0) return wy_error();
  SumJob *j = calloc(1, sizeof *j);
  j->n = n;
  return wy_run_in_thread(W, sum_work, sum_done, j);
}

static wy_Value pw_run(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return wy_run_until_complete(W, argv[0]);
}

static wy_Value pw_spawn(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return wy_task(W, argv[0], argc > 1 ? argv[1] : wy_none());
}

static wy_Value pw_future(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return wy_future(W);
}

static wy_Value pw_current(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  return wy_current_task(W);
}

static int pipewait_init(wy_State *W, wy_Value m) {
  static const struct { const char *name; wy_CFunction fn; } fns[] = {
    {"pipe", pw_pipe}, {"write", pw_write}, {"read_when_ready", pw_read_when_ready}, {"sleep", pw_sleep},
    {"yield_once", pw_yield_once}, {"compute", pw_compute}, {"run", pw_run}, {"spawn", pw_spawn},
    {"current_task", pw_current}, {"future", pw_future},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (wy_def(W, m, fns[i].name, fns[i].fn, NULL) < 0) return -1;
  if (wy_module_set(W, m, "CancelledError", wy_async_class(W, "CancelledError")) < 0) return -1;
  return 0;
}

static wy_State *open_with_module(void) {
  wy_State *W = wy_open();
  ck_assert_ptr_nonnull(W);
  ck_assert_int_eq(wy_register_module(W, "pipewait", pipewait_init), 0);
  return W;
}

static void run_ok(wy_State *W, const char *src) {
  int rc = wy_run_string(W, src, "<loop-test>");
  if (rc != WY_OK) wy_print_error(W);
  ck_assert_int_eq(rc, WY_OK);
}

static void expect_str(wy_State *W, const char *expr, const char *want) {
  wy_Value v = wy_eval(W, expr);
  if (wy_is_error(v)) wy_print_error(W);
  ck_assert(!wy_is_error(v));
  const char *s = wy_to_str(W, v, NULL);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s, want);
}

START_TEST(a_task_waits_on_a_pipe_until_another_writes) {
  wy_State *W = open_with_module();
  run_ok(W,
         "import pipewait as pw\n"
         "r, w = pw.pipe()\n"
         "log = []\n"
         "async def writer():\n"
         "    log.append('writer sleeps')\n"
         "    log.append(await pw.sleep(0.02))\n"
         "    pw.write(w, b'hello')\n"
         "    log.append('written')\n"
         "async def main():\n"
         "    t = pw.spawn(writer())\n"
         "    log.append('reader waits')\n"
         "    data = await pw.read_when_ready(r)\n"
         "    log.append('read ' + data.decode())\n"
         "    await t\n"
         "    return len(data)\n"
         "n = pw.run(main())\n"
         "out = ' | '.join(log) + ' | ' + str(n)\n");
  expect_str(W, "out", "reader waits | writer sleeps | slept | written | read hello | 5");
  wy_close(W);
}
END_TEST

START_TEST(cancelling_a_fd_wait_reaches_the_await_point) {
  wy_State *W = open_with_module();
  run_ok(W,
         "import pipewait as pw\n"
         "r, w = pw.pipe()\n"
         "log = []\n"
         "async def reader():\n"
         "    try:\n"
         "        await pw.read_when_ready(r)\n"
         "    except pw.CancelledError:\n"
         "        log.append('reader cancelled')\n"
         "        raise\n"
         "    finally:\n"
         "        log.append('finally ran')\n"
         "async def main():\n"
         "    t = pw.spawn(reader())\n"
         "    await pw.yield_once()\n"
         "    t.cancel()\n"
         "    try:\n"
         "        await t\n"
         "    except pw.CancelledError:\n"
         "        log.append('main saw CancelledError')\n"
         "    log.append('cancelled=' + str(t.cancelled()))\n"
         "pw.run(main())\n"
         "out = ' | '.join(log)\n");
  expect_str(W, "out", "reader cancelled | finally ran | main saw CancelledError | cancelled=True");
  wy_close(W);
}
END_TEST

START_TEST(worker_threads_complete_futures_on_the_loop) {
  wy_State *W = open_with_module();
  run_ok(W,
         "import pipewait as pw\n"
         "async def main():\n"
         "    a = pw.compute(100)\n"
         "    b = pw.compute(1000)\n"
         "    ticks = 0\n"
         "    while not (a.done() and b.done()):\n"
         "        ticks += 1\n"
         "        await pw.sleep(0.001)\n"
         "    return (await a) + (await b)\n"
         "out = str(pw.run(main()))\n");
  expect_str(W, "out", "505550");
  wy_close(W);
}
END_TEST

START_TEST(tasks_interleave_in_creation_order) {
  wy_State *W = open_with_module();
  run_ok(W,
         "import pipewait as pw\n"
         "log = []\n"
         "async def worker(name, n):\n"
         "    for i in range(n):\n"
         "        log.append(name + str(i))\n"
         "        await pw.yield_once()\n"
         "    return name\n"
         "async def main():\n"
         "    ts = [pw.spawn(worker(c, 3)) for c in 'abc']\n"
         "    names = []\n"
         "    for t in ts:\n"
         "        names.append(await t)\n"
         "    return ''.join(names)\n"
         "res = pw.run(main())\n"
         "out = ' '.join(log) + ' ' + res\n");
  expect_str(W, "out", "a0 b0 c0 a1 b1 c1 a2 b2 c2 abc");
  wy_close(W);
}
END_TEST

START_TEST(a_deadlock_is_an_error_not_a_hang) {
  wy_State *W = open_with_module();
  int rc = wy_run_string(W,
                         "import pipewait as pw\n"
                         "async def main():\n"
                         "    await pw.future()\n"   /* nobody will ever complete it */
                         "pw.run(main())\n",
                         "<loop-test>");
  ck_assert_int_eq(rc, WY_ERROR);
  ck_assert(wy_error_matches(W, "RuntimeError"));
  wy_clear_error(W);
  /* the state is still usable, and the loop runs again; a task awaiting
  ** itself gets Python's RuntimeError at its await */
  run_ok(W,
         "import pipewait as pw\n"
         "async def selfish():\n"
         "    try:\n"
         "        await pw.current_task()\n"
         "    except RuntimeError as e:\n"
         "        return str(e).split(':')[0]\n"
         "out = pw.run(selfish())\n");
  expect_str(W, "out", "Task cannot await on itself");
  wy_close(W);
}
END_TEST

START_TEST(c_coroutines_pass_errors_and_results) {
  wy_State *W = open_with_module();
  run_ok(W,
         "import pipewait as pw\n"
         "c = pw.sleep('x')\n"
         "try:\n"
         "    c.send(None)\n"
         "except TypeError as e:\n"
         "    first = type(e).__name__\n"
         "try:\n"
         "    c.send(None)\n"
         "except RuntimeError as e:\n"
         "    second = str(e)\n"
         "y = pw.yield_once()\n"
         "got = [y.send(None)]\n"
         "try:\n"
         "    y.send(None)\n"
         "except StopIteration as e:\n"
         "    got.append(e.value)\n"
         "out = first + ' | ' + second + ' | ' + repr(got) + ' | ' + type(y).__name__\n");
  expect_str(W, "out", "TypeError | cannot reuse already awaited coroutine | [None, 1] | coroutine");
  wy_close(W);
}
END_TEST

Suite *loop_suite(void) {
  Suite *s = suite_create("loop");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, a_task_waits_on_a_pipe_until_another_writes);
  tcase_add_test(tc, cancelling_a_fd_wait_reaches_the_await_point);
  tcase_add_test(tc, worker_threads_complete_futures_on_the_loop);
  tcase_add_test(tc, tasks_interleave_in_creation_order);
  tcase_add_test(tc, a_deadlock_is_an_error_not_a_hang);
  tcase_add_test(tc, c_coroutines_pass_errors_and_results);
  suite_add_tcase(s, tc);
  return s;
}
