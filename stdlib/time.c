/* time.c — the time module: wall clock, monotonic and CPU clocks, and
** sleep (which Ctrl-C interrupts). Uses withy.h only. */
#include <errno.h>
#include <math.h>
#include <time.h>
#include "stdlib.h"

static int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static wy_Value no_args(wy_State *W, const char *fname, int argc, wy_Value kw) {
  if (std_no_kwargs(W, fname, kw) < 0 || std_argc(W, fname, argc, 0, 0) < 0) return wy_error();
  return wy_none();
}

#define CLOCK_FUNCTIONS(X) \
  X(time, CLOCK_REALTIME) X(monotonic, CLOCK_MONOTONIC) X(perf_counter, CLOCK_MONOTONIC) \
  X(process_time, CLOCK_PROCESS_CPUTIME_ID)

#define DEFINE_CLOCK(name, id) \
  static wy_Value time_##name(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) { \
    if (wy_is_error(no_args(W, #name, argc, kw))) return wy_error(); \
    return wy_float(clock_seconds(id)); \
  } \
  static wy_Value time_##name##_ns(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) { \
    if (wy_is_error(no_args(W, #name "_ns", argc, kw))) return wy_error(); \
    return wy_int(clock_ns(id)); \
  }
CLOCK_FUNCTIONS(DEFINE_CLOCK)
#undef DEFINE_CLOCK

/* sleep(secs): nanosleep, resumed after signals unless the signal was
** Ctrl-C (then KeyboardInterrupt, as in Python) */
static wy_Value time_sleep(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  if (std_no_kwargs(W, "sleep", kw) < 0 || std_argc(W, "sleep", argc, 1, 1) < 0) return wy_error();
  if (!wy_is_int(argv[0]) && !wy_is_float(argv[0]))
    return wy_raise(W, "TypeError", "'%s' object cannot be interpreted as an integer",
                    wy_type_name(W, argv[0]));
  double secs;
  if (wy_to_float(W, argv[0], &secs) < 0) return wy_error();
  if (isnan(secs)) return wy_raise(W, "ValueError", "Invalid value NaN (not a number)");
  if (secs < 0) return wy_raise(W, "ValueError", "sleep length must be non-negative");
  if (secs > 9.2e9) return wy_raise(W, "OverflowError", "sleep length is too large");
  struct timespec req, rem;
  req.tv_sec = (time_t)secs;
  req.tv_nsec = (long)((secs - (double)req.tv_sec) * 1e9);
  if (req.tv_nsec >= 1000000000L) req.tv_nsec = 999999999L;
  while (nanosleep(&req, &rem) != 0) {
    if (errno != EINTR) return wy_raise_errno(W, errno, NULL);
    if (wy_check_interrupt(W) < 0) return wy_error();
    req = rem;
  }
  return wy_none();
}

int std_time_init(wy_State *W, wy_Value m) {
#define DEF_CLOCK(name, id) \
  if (wy_def(W, m, #name, time_##name, NULL) < 0 || \
      wy_def(W, m, #name "_ns", time_##name##_ns, NULL) < 0) \
    return -1;
  CLOCK_FUNCTIONS(DEF_CLOCK)
#undef DEF_CLOCK
  return wy_def(W, m, "sleep", time_sleep, NULL);
}
