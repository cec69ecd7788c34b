/* repl.c — withy's interactive prompt: `withy` with no arguments on a
** terminal. GNU readline edits the lines (its callback interface, so that
** Ctrl-C at the prompt is seen at once), wy_source_status decides when
** the lines typed make a statement ("... " asks for more, as python3's
** REPL does) and wy_run_interactive runs it in __main__, echoing values.
** Lines starting with ':' are REPL commands (:help lists them); the
** history lives in ~/.withy_history or $WITHY_HISTORY. docs/repl.md is
** the user's guide. Like main.c, this uses withy.h only.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>
#include <readline/history.h>
#include <readline/readline.h>
#include "repl.h"

#define PS1 ">>> "
#define PS2 "... "
#define HISTORY_MAX 1000

static const char repl_help_text[] =
  "Type Python statements; a compound statement (with, def, if, for, ...)\n"
  "ends at an empty line. An expression's value is printed and kept in _.\n"
  "Commands:\n"
  "  :help              this text\n"
  "  :trace on|off|json trace the context-manager protocol to stderr\n"
  "  :load FILE         run FILE in this session's namespace\n"
  "  :stack             the context managers active now, innermost first\n"
  "  :reset             start a fresh interpreter (all names are lost)\n"
  "  :quit              leave (as does Ctrl-D on an empty line)\n"
  "Keys: Tab completes names and obj.attributes, Up/Down walk the history,\n"
  "Ctrl-C stops running code (KeyboardInterrupt) or drops the line typed,\n"
  "Ctrl-D on an empty line exits. help(obj) shows obj's docstring.\n";

typedef struct Repl {
  wy_State *W;
  int argc;
  char **argv;
  char *history_path;   /* NULL: no history file */
  char *buf;            /* the statement typed so far, lines ended by '\n' */
  size_t len, cap;
  /* what readline's line handler delivered */
  bool got_line;
  char *line;           /* NULL at end of input (Ctrl-D) */
} Repl;

/* The CLI's only globals, because neither a signal handler nor readline's
** line handler takes a user pointer: the interpreter Ctrl-C interrupts,
** whether one came, and the REPL the line handler fills. */
static wy_State *volatile sigint_target;
static volatile sig_atomic_t sigint_seen;
static Repl *line_target;

static void on_sigint(int sig) {
  (void)sig;
  sigint_seen = 1;
  if (sigint_target) wy_interrupt(sigint_target);
}

static void install_sigint(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  /* no SA_RESTART: select() at the prompt must return EINTR */
  sigaction(SIGINT, &sa, NULL);
}

/* ---- the interpreter ---- */

static wy_Value print_text(wy_State *W, const char *text) {
  wy_Value s = wy_str(W, text);
  if (wy_is_error(s)) return s;
  return wy_call(W, wy_builtin(W, "print"), 1, &s);
}

/* help(obj): obj's docstring, python-like but simple; help(): the REPL's help */
static wy_Value builtin_help(wy_State *W, int argc, const wy_Value *argv, wy_Value kw, void *ud) {
  (void)kw;
  (void)ud;
  if (argc == 0) return print_text(W, repl_help_text);
  wy_Value obj = argv[0];
  wy_Value name = wy_getattr(W, obj, "__name__");
  if (wy_is_error(name) || !wy_is_str(name)) {
    wy_clear_error(W);
    name = wy_repr(W, obj);
    if (wy_is_error(name)) return name;
  }
  wy_Value doc = wy_getattr(W, obj, "__doc__");
  if (wy_is_error(doc)) wy_clear_error(W);
  const char *name_s = wy_to_str(W, name, NULL);
  if (wy_is_error(doc) || !wy_is_str(doc)) {
    size_t n = strlen(name_s) + 64;
    char *msg = malloc(n);
    if (!msg) return wy_raise(W, "MemoryError", "out of memory");
    snprintf(msg, n, "No documentation found for %s.", name_s);
    wy_Value r = print_text(W, msg);
    free(msg);
    return wy_is_error(r) ? r : wy_none();
  }
  /* "Help on <type> <name>:" then the docstring indented by four */
  const char *doc_s = wy_to_str(W, doc, NULL);
  const char *kind = wy_type_name(W, obj);
  if (strcmp(kind, "type") == 0) kind = "class";
  else if (strcmp(kind, "builtin_function_or_method") == 0) kind = "built-in function";
  size_t lines = 1;
  for (const char *p = doc_s; *p; p++) lines += *p == '\n';
  size_t n = strlen(kind) + strlen(name_s) + strlen(doc_s) + 4 * lines + 32;
  char *text = malloc(n), *out = text;
  if (!text) return wy_raise(W, "MemoryError", "out of memory");
  out += sprintf(out, "Help on %s %s:\n\n    ", kind, name_s);
  for (const char *p = doc_s; *p; p++) {
    *out++ = *p;
    if (*p == '\n' && p[1]) out += sprintf(out, "    ");
  }
  *out = '\0';
  wy_Value r = print_text(W, text);
  free(text);
  return wy_is_error(r) ? r : wy_none();
}

/* a fresh interpreter for the session; false when it cannot start */
static bool open_interpreter(Repl *R) {
  wy_State *W = wy_open();
  if (!W) {
    fputs("withy: cannot start the interpreter (out of memory)\n", stderr);
    return false;
  }
  wy_set_argv(W, R->argc, R->argv);
  wy_Value help = wy_function(W, "help", builtin_help, NULL);
  if (wy_is_error(help) || wy_set_builtin(W, "help", help) < 0) wy_clear_error(W);
  if (wy_is_error(wy_main_globals(W))) wy_print_error(W);
  R->W = W;
  sigint_target = W;
  repl_complete_target(W);
  return true;
}

static void close_interpreter(Repl *R) {
  repl_complete_target(NULL);
  sigint_target = NULL;
  fflush(stdout);
  wy_close(R->W);
  R->W = NULL;
}

/* a request for KeyboardInterrupt that nothing consumed: drop it */
static void forget_interrupt(wy_State *W) {
  if (wy_check_interrupt(W) < 0) wy_clear_error(W);
  sigint_seen = 0;
}

/* The outcome of running something: print an escaped exception; on
** SystemExit (exit(), sys.exit(n)) say the session is over. */
static bool finish_run(Repl *R, int rc, int *status) {
  fflush(stdout);
  if (rc == WY_ERROR) {
    wy_print_error(R->W);
  } else if (rc == WY_EXIT) {
    *status = wy_exit_status(R->W);
    return true;
  }
  return false;
}

/* ---- history ---- */

static char *history_file_path(void) {
  const char *env = getenv("WITHY_HISTORY");
  if (env) return env[0] ? strdup(env) : NULL;
  const char *home = getenv("HOME");
  if (!home || !home[0]) return NULL;
  size_t n = strlen(home) + sizeof "/.withy_history";
  char *path = malloc(n);
  if (path) snprintf(path, n, "%s/.withy_history", home);
  return path;
}

static void history_open(Repl *R) {
  R->history_path = history_file_path();
  if (!R->history_path) return;
  /* append_history needs the file to exist */
  int fd = open(R->history_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) close(fd);
  read_history(R->history_path);
}

/* every line goes to the file at once: a killed session keeps its lines */
static void history_add(Repl *R, const char *line) {
  if (!line[0]) return;
  HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
  if (last && strcmp(last->line, line) == 0) return;   /* no repeats, as python3 */
  add_history(line);
  if (R->history_path) append_history(1, R->history_path);
}

static void history_close(Repl *R) {
  if (R->history_path) history_truncate_file(R->history_path, HISTORY_MAX);
  free(R->history_path);
  R->history_path = NULL;
}

/* ---- reading a line ---- */

enum { READ_LINE, READ_EOF, READ_INTERRUPT };

static void on_line(char *line) {
  line_target->got_line = true;
  line_target->line = line;
  rl_callback_handler_remove();
}

/* Ctrl-C at the prompt: forget the line, give the terminal back */
static int drop_line(Repl *R) {
  rl_free_line_state();
  rl_callback_sigcleanup();
  rl_cleanup_after_signal();
  rl_callback_handler_remove();
  forget_interrupt(R->W);
  return READ_INTERRUPT;
}

/* One line from readline, waiting in pselect() so that a Ctrl-C (SIGINT,
** EINTR) drops what was typed, as python3's prompt does. */
static int read_line(Repl *R, const char *prompt) {
  fflush(stdout);
  fflush(stderr);
  forget_interrupt(R->W);
  R->got_line = false;
  R->line = NULL;
  line_target = R;
  rl_callback_handler_install(prompt, on_line);
  int in = fileno(rl_instream ? rl_instream : stdin);
  sigset_t sigint, unblocked;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  while (!R->got_line) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(in, &fds);
    /* SIGINT is blocked from the check to the wait, which unblocks it
    ** atomically: a Ctrl-C in between is not left unseen */
    sigprocmask(SIG_BLOCK, &sigint, &unblocked);
    int n = sigint_seen ? -1 : pselect(in + 1, &fds, NULL, NULL, NULL, &unblocked);
    if (n < 0 && sigint_seen) errno = EINTR;
    sigprocmask(SIG_SETMASK, &unblocked, NULL);
    if (n < 0 && errno == EINTR) {
      if (!sigint_seen) continue;   /* another signal (a resize) */
      return drop_line(R);
    }
    if (n < 0) {
      rl_callback_handler_remove();
      return READ_EOF;
    }
    rl_callback_read_char();
    /* a Ctrl-C that came while readline worked (a completion evaluating a
    ** slow expression) drops the line too */
    if (sigint_seen && !R->got_line) return drop_line(R);
  }
  return R->line ? READ_LINE : READ_EOF;
}

/* ---- the statement being typed ---- */

static bool buf_append(Repl *R, const char *s, size_t n) {
  if (R->len + n + 1 > R->cap) {
    size_t cap = R->cap ? R->cap : 256;
    while (R->len + n + 1 > cap) cap *= 2;
    char *bigger = realloc(R->buf, cap);
    if (!bigger) return false;
    R->buf = bigger;
    R->cap = cap;
  }
  memcpy(R->buf + R->len, s, n);
  R->len += n;
  R->buf[R->len] = '\0';
  return true;
}

static void buf_clear(Repl *R) {
  R->len = 0;
  if (R->buf) R->buf[0] = '\0';
}

/* ---- commands ---- */

static char *read_whole_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 8192, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n + 1 < cap) break;
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  int err = ferror(f) ? errno : 0;
  fclose(f);
  if (buf && err) {
    free(buf);
    errno = err;
    return NULL;
  }
  if (buf) buf[n] = '\0';
  return buf;
}

static bool cmd_load(Repl *R, const char *path, int *status) {
  if (!path[0]) {
    fputs(":load needs a file name: :load FILE\n", stderr);
    return false;
  }
  char *src = read_whole_file(path);
  if (!src) {
    int err = errno;
    fprintf(stderr, "withy: can't open file '%s': [Errno %d] %s\n", path, err, strerror(err));
    return false;
  }
  int rc = wy_run_string(R->W, src, path);
  free(src);
  return finish_run(R, rc, status);
}

static void cmd_trace(Repl *R, const char *arg) {
  wy_TraceFormat format;
  const char *what;
  if (strcmp(arg, "on") == 0) {
    format = WY_TRACE_TEXT;
    what = "tracing on (text, to stderr)";
  } else if (strcmp(arg, "json") == 0) {
    format = WY_TRACE_JSON;
    what = "tracing on (JSON lines, to stderr)";
  } else if (strcmp(arg, "off") == 0) {
    format = WY_TRACE_OFF;
    what = "tracing off";
  } else {
    fputs("usage: :trace on|off|json\n", stderr);
    return;
  }
  if (wy_trace_to_file(R->W, stderr, format) < 0) {
    wy_print_error(R->W);
    return;
  }
  printf("%s\n", what);
}

static void cmd_stack(Repl *R) {
  wy_Value stack = wy_manager_stack(R->W);
  int64_t n = wy_is_error(stack) ? -1 : wy_len(R->W, stack);
  if (n < 0) {
    wy_print_error(R->W);
    return;
  }
  if (n == 0) {
    puts("(no active context managers)");
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    wy_Value item = wy_getitem(R->W, stack, wy_int(i));
    wy_Value s = wy_is_error(item) ? item : wy_str_of(R->W, item);
    const char *text = wy_is_error(s) ? NULL : wy_to_str(R->W, s, NULL);
    if (!text) {
      wy_print_error(R->W);
      return;
    }
    puts(text);
  }
}

/* Run a ':' command. Returns true when the session must end (*status). */
static bool run_command(Repl *R, const char *line, int *status) {
  char name[32];
  size_t n = 0;
  line++;   /* the ':' */
  while (*line && *line != ' ' && *line != '\t' && n + 1 < sizeof name) name[n++] = *line++;
  name[n] = '\0';
  while (*line == ' ' || *line == '\t') line++;
  char arg[4096];
  snprintf(arg, sizeof arg, "%s", line);
  for (size_t k = strlen(arg); k > 0 && (arg[k - 1] == ' ' || arg[k - 1] == '\t'); k--) arg[k - 1] = '\0';

  if (strcmp(name, "help") == 0) {
    fputs(repl_help_text, stdout);
  } else if (strcmp(name, "quit") == 0) {
    *status = 0;
    return true;
  } else if (strcmp(name, "trace") == 0) {
    cmd_trace(R, arg);
  } else if (strcmp(name, "load") == 0) {
    return cmd_load(R, arg, status);
  } else if (strcmp(name, "stack") == 0) {
    cmd_stack(R);
  } else if (strcmp(name, "reset") == 0) {
    close_interpreter(R);
    if (!open_interpreter(R)) {
      *status = 1;
      return true;
    }
    puts("(a fresh interpreter)");
  } else {
    fprintf(stderr, "unknown command :%s (:help lists the commands)\n", name);
  }
  return false;
}

/* ---- the loop ---- */

/* Take one typed line (a paste may bring several at once). Returns true
** when the session must end (*status). */
static bool take_line(Repl *R, const char *line, int *status) {
  const char *p = line;
  while (*p == ' ' || *p == '\t') p++;
  if (R->len == 0 && *p == ':') return run_command(R, p, status);
  if (!buf_append(R, line, strlen(line)) || !buf_append(R, "\n", 1)) {
    fputs("withy: out of memory\n", stderr);
    buf_clear(R);
    return false;
  }
  if (wy_source_status(R->W, R->buf) == WY_SOURCE_INCOMPLETE) return false;
  int rc = wy_run_interactive(R->W, R->buf, "<stdin>");
  buf_clear(R);
  return finish_run(R, rc, status);
}

static void setup_readline(void) {
  rl_readline_name = "withy";
  /* python3 turns bracketed paste off so that a pasted block arrives line
  ** by line; an inputrc may turn it back on (take_line splits a paste) */
  rl_variable_bind("enable-bracketed-paste", "off");
  rl_catch_signals = 0;   /* SIGINT is ours: see read_line */
  /* prompts go where the user looks when stdout is redirected */
  if (!isatty(STDOUT_FILENO)) rl_outstream = stderr;
  repl_complete_install();
  rl_initialize();
}

/* one line (possibly several, pasted) taken apart at its newlines */
static bool take_lines(Repl *R, char *line, int *status) {
  char *start = line;
  for (;;) {
    char *nl = strchr(start, '\n');
    if (nl) *nl = '\0';
    if (take_line(R, start, status)) return true;
    if (!nl) return false;
    start = nl + 1;
  }
}

int repl_main(int argc, char **argv) {
  Repl repl = {0};
  Repl *R = &repl;
  R->argc = argc;
  R->argv = argv;
  if (!open_interpreter(R)) return 1;
  install_sigint();
  setup_readline();
  history_open(R);
  fprintf(stderr, "withy %s, an interpreter for a subset of Python 3.11\n"
                  "Type :help for commands, help(obj) for help on obj, Ctrl-D to exit.\n", WY_VERSION);
  int status = 0;
  bool done = false;
  while (!done) {
    int got = read_line(R, R->len ? PS2 : PS1);
    if (got == READ_INTERRUPT) {
      fputs("\nKeyboardInterrupt\n", stdout);
      buf_clear(R);
      continue;
    }
    if (got == READ_EOF) {
      fputs("\n", stdout);
      if (R->len == 0) break;
      /* Ctrl-D inside a statement runs what was typed, as python3 does */
      int rc = wy_run_interactive(R->W, R->buf, "<stdin>");
      buf_clear(R);
      done = finish_run(R, rc, &status);
      continue;
    }
    history_add(R, R->line);
    done = take_lines(R, R->line, &status);
    free(R->line);
    R->line = NULL;
  }
  history_close(R);
  close_interpreter(R);
  free(R->buf);
  return status & 0xff;
}
