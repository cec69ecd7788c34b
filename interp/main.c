/* main.c — the `withy` command: option parsing, running a script file,
** a -c string or standard input, and turning the outcome into an exit
** status the way python3 does. It uses only withy.h, like any embedder.
**
**   withy FILE [arg …]      run FILE; sys.argv = [FILE, arg …]
**   withy -c CODE [arg …]   run CODE; sys.argv = ['-c', arg …]
**   withy - [arg …]         run standard input; sys.argv = ['-', arg …]
**   withy                   the REPL (repl.c) on a terminal, else run
**                           standard input; sys.argv = ['']
** Exit status: 0; 1 when an exception escapes (its traceback on stderr);
** SystemExit's code; 2 for a bad command line or a file that can't be read.
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "withy.h"
#include "repl.h"

#define USAGE_LINE "usage: withy [option] ... [-c cmd | file | -] [arg] ..."

static const char usage_text[] =
  USAGE_LINE "\n"
  "Options:\n"
  "-c cmd  : program passed in as string (terminates option list)\n"
  "-h      : print this help message and exit (also -? or --help)\n"
  "-V      : print the withy version number and exit (also --version)\n"
  "--trace[=text|json] : trace every enter, exit, suppression and unwind step\n"
  "          (on stderr; docs/tracing.md)\n"
  "--trace-file PATH : write the trace to PATH instead (implies --trace)\n"
  "file    : program read from script file (.wy or .py)\n"
  "-       : program read from stdin (default when no file is given)\n"
  "arg ... : arguments passed to program in sys.argv[1:]\n";

/* The VM the SIGINT handler interrupts. A signal handler can reach
** nothing else, so this one pointer is the CLI's only global; the
** library itself keeps none. */
static wy_State *volatile interrupt_target;

static void on_sigint(int sig) {
  (void)sig;
  if (interrupt_target) wy_interrupt(interrupt_target);
}

static void install_sigint(wy_State *W) {
  interrupt_target = W;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  /* no SA_RESTART: a blocking read or sleep returns EINTR so the code
  ** waiting in it can raise KeyboardInterrupt at once */
  sigaction(SIGINT, &sa, NULL);
}

static int bad_usage(const char *fmt, const char *arg) {
  fputs("withy: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n" USAGE_LINE "\nTry `withy -h' for more information.\n", stderr);
  return 2;
}

/* "/abs/x.wy" for messages: relative paths are joined to the working directory */
static void absolute_path(const char *path, char *out, size_t size) {
  char cwd[4096];
  if (path[0] == '/' || !getcwd(cwd, sizeof cwd)) snprintf(out, size, "%s", path);
  else snprintf(out, size, "%s/%s", cwd, path);
}

/* python3's check before running a file: it must exist and be readable */
static int check_script(const char *path) {
  struct stat st;
  FILE *f = NULL;
  int err = 0;
  if (stat(path, &st) != 0) err = errno;
  else if (S_ISDIR(st.st_mode)) err = EISDIR;
  else if (!(f = fopen(path, "rb"))) err = errno;
  if (f) fclose(f);
  if (!err) return 0;
  char abs[8192];
  absolute_path(path, abs, sizeof abs);
  fprintf(stderr, "withy: can't open file '%s': [Errno %d] %s\n", abs, err, strerror(err));
  return 2;
}

/* all of standard input, NUL-terminated (malloc'd), or NULL */
static char *read_stdin(void) {
  size_t cap = 8192, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + len, 1, cap - len - 1, stdin);
    len += got;
    if (got == 0) {
      if (ferror(stdin) && errno == EINTR) {
        clearerr(stdin);
        continue;
      }
      break;
    }
    if (len + 1 == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        return NULL;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  if (buf) buf[len] = '\0';
  return buf;
}

/* What to run, from the command line */
typedef struct Command {
  const char *code;     /* -c CODE */
  const char *file;     /* FILE, or NULL for stdin */
  char **args;          /* sys.argv */
  int nargs;
  wy_TraceFormat trace; /* --trace */
  const char *trace_file;
} Command;

/* Parse the options; returns -1 to go on running, else an exit status. */
static int parse_command(int argc, char **argv, Command *cmd) {
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || strcmp(a, "-") == 0) break;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strncmp(a, "-c", 2) == 0) {
      if (a[2]) {
        cmd->code = a + 2;
      } else if (i + 1 < argc) {
        cmd->code = argv[++i];
      } else {
        fputs("Argument expected for the -c option\n" USAGE_LINE "\nTry `withy -h' for more information.\n",
              stderr);
        return 2;
      }
      i++;
      break;
    }
    if (strcmp(a, "--trace") == 0 || strcmp(a, "--trace=text") == 0) {
      cmd->trace = WY_TRACE_TEXT;
      continue;
    }
    if (strcmp(a, "--trace=json") == 0) {
      cmd->trace = WY_TRACE_JSON;
      continue;
    }
    if (strncmp(a, "--trace-file", 12) == 0 && (a[12] == '=' || a[12] == '\0')) {
      if (a[12] == '=') {
        cmd->trace_file = a + 13;
      } else if (i + 1 < argc) {
        cmd->trace_file = argv[++i];
      } else {
        return bad_usage("option %s needs a PATH", a);
      }
      if (cmd->trace == WY_TRACE_OFF) cmd->trace = WY_TRACE_TEXT;
      continue;
    }
    if (strncmp(a, "--trace=", 8) == 0) return bad_usage("unknown trace format in %s (text or json)", a);
    if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
      printf("withy %s\n", WY_VERSION);
      return 0;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "-?") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    }
    return bad_usage("unknown option %s", a);
  }
  /* sys.argv: argv[0] names the program source, the rest pass through */
  cmd->args = calloc((size_t)(argc - i + 2), sizeof *cmd->args);
  if (!cmd->args) {
    fputs("withy: out of memory\n", stderr);
    return 1;
  }
  if (cmd->code) {
    cmd->args[cmd->nargs++] = "-c";
  } else if (i < argc) {
    cmd->file = strcmp(argv[i], "-") == 0 ? NULL : argv[i];
    cmd->args[cmd->nargs++] = argv[i++];
  } else {
    cmd->args[cmd->nargs++] = "";
  }
  while (i < argc) cmd->args[cmd->nargs++] = argv[i++];
  return -1;
}

/* --trace: events go to stderr or the --trace-file; stdout becomes line
** buffered so that, on a terminal, output and trace interleave truly */
static int start_trace(wy_State *W, const Command *cmd, FILE **opened) {
  FILE *out = stderr;
  if (cmd->trace_file) {
    out = fopen(cmd->trace_file, "w");
    if (!out) {
      fprintf(stderr, "withy: can't open trace file '%s': [Errno %d] %s\n", cmd->trace_file, errno, strerror(errno));
      return 2;
    }
    *opened = out;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (wy_trace_to_file(W, out, cmd->trace) < 0) {
    fputs("withy: cannot start tracing (out of memory)\n", stderr);
    return 2;
  }
  return 0;
}

static int run(wy_State *W, const Command *cmd) {
  if (cmd->code) return wy_run_string(W, cmd->code, "<string>");
  if (cmd->file) return wy_run_file(W, cmd->file);
  char *src = read_stdin();
  if (!src) {
    fputs("withy: out of memory reading standard input\n", stderr);
    return -1;
  }
  int rc = wy_run_string(W, src, "<stdin>");
  free(src);
  return rc;
}

int main(int argc, char **argv) {
  Command cmd = {0};
  int status = parse_command(argc, argv, &cmd);
  if (status >= 0) return status;
  if (cmd.file && (status = check_script(cmd.file)) != 0) {
    free(cmd.args);
    return status;
  }
  if (argc == 1 && isatty(STDIN_FILENO)) { /* no arguments, a terminal: interactive */
    status = repl_main(cmd.nargs, cmd.args);
    free(cmd.args);
    return status;
  }
  wy_State *W = wy_open();
  if (!W) {
    fputs("withy: cannot start the interpreter (out of memory)\n", stderr);
    free(cmd.args);
    return 1;
  }
  wy_set_argv(W, cmd.nargs, cmd.args);
  install_sigint(W);
  FILE *trace_out = NULL;
  if (cmd.trace != WY_TRACE_OFF && start_trace(W, &cmd, &trace_out) != 0) {
    wy_close(W);
    free(cmd.args);
    return 2;
  }
  int rc = run(W, &cmd);
  bool interrupted = false;
  if (rc == WY_OK) {
    status = 0;
  } else if (rc == WY_EXIT) {
    status = wy_exit_status(W);
  } else if (rc == WY_ERROR) {
    interrupted = wy_error_matches(W, "KeyboardInterrupt");
    fflush(stdout); /* the program's output comes before its traceback */
    wy_print_error(W);
    status = 1;
  } else {
    status = 1;
  }
  if (fflush(stdout) != 0 && status == 0) status = 120; /* python3's code for a failed flush */
  interrupt_target = NULL;
  wy_close(W);
  if (trace_out) fclose(trace_out);
  free(cmd.args);
  if (interrupted) { /* die of SIGINT, so the shell sees why (as python3 does) */
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
  }
  return status & 0xff;
}
