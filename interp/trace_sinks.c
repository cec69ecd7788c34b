/* trace_sinks.c — the two built-in trace sinks of wy_trace_to_file: a
** readable text line per event (indented by the depth of active managers,
** Unicode arrows and rules when the locale is UTF-8, colour on a terminal
** unless NO_COLOR is set), and JSON lines with fixed field names for tools.
** Both flush each line, so on a terminal the trace (stderr) and the
** program's output (stdout) interleave in their true order. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "trace.h"

struct TextSink {
  FILE *out;
  wy_TraceFormat format;
  bool utf8;
  bool color;
};

static bool locale_is_utf8(void) {
  const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
  for (int i = 0; i < 3; i++) {
    const char *v = getenv(vars[i]);
    if (!v || !*v) continue;
    char low[64];
    size_t n = 0;
    for (; v[n] && n < sizeof low - 1; n++) low[n] = (char)tolower((unsigned char)v[n]);
    low[n] = '\0';
    return strstr(low, "utf-8") || strstr(low, "utf8");
  }
  return false;
}

struct TextSink *trace_text_sink_new(FILE *out, wy_TraceFormat format) {
  struct TextSink *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->out = out;
  s->format = format;
  s->utf8 = locale_is_utf8();
  const char *nc = getenv("NO_COLOR");
  s->color = format == WY_TRACE_TEXT && isatty(fileno(out)) && !(nc && *nc);
  return s;
}

/* ---- JSON lines ---- */

static void json_string(FILE *out, const char *s) {
  if (!s) {
    fputs("null", out);
    return;
  }
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", out); break;
      case '\\': fputs("\\\\", out); break;
      case '\n': fputs("\\n", out); break;
      case '\r': fputs("\\r", out); break;
      case '\t': fputs("\\t", out); break;
      default:
        if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
  }
  fputc('"', out);
}

static void write_json(FILE *out, const wy_TraceEvent *ev) {
  fputs("{\"event\": ", out);
  json_string(out, ev->event);
  fputs(", \"file\": ", out);
  json_string(out, ev->file);
  fprintf(out, ", \"line\": %d, \"depth\": %d", ev->line, ev->depth);
  const struct { const char *name, *value; } fields[] = {
    {"manager", ev->manager}, {"value", ev->value}, {"target", ev->target}, {"how", ev->how},
    {"exc", ev->exc},         {"args", ev->args},   {"result", ev->result}, {"verdict", ev->verdict},
    {"message", ev->message},
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    fprintf(out, ", \"%s\": ", fields[i].name);
    json_string(out, fields[i].value);
  }
  fputs("}\n", out);
}

/* ---- text ---- */

enum Colour { C_NONE, C_DIM, C_MANAGER, C_GOOD, C_BAD };

static void paint(struct TextSink *s, enum Colour c, const char *text) {
  static const char *const codes[] = {"", "\x1b[2m", "\x1b[36m", "\x1b[32m", "\x1b[31m"};
  if (!text) return;
  if (s->color && c != C_NONE) fprintf(s->out, "%s%s\x1b[0m", codes[c], text);
  else fputs(text, s->out);
}

static const char *arrow(struct TextSink *s) { return s->utf8 ? "\xe2\x86\x92" : "->"; }

static const char *base_name(const char *path) {
  const char *slash = path ? strrchr(path, '/') : NULL;
  return slash ? slash + 1 : path ? path : "?";
}

static bool is(const char *a, const char *b) { return a && strcmp(a, b) == 0; }

static enum Colour verdict_colour(const char *verdict) {
  if (is(verdict, "suppressed") || is(verdict, "finished")) return C_GOOD;
  if (is(verdict, "propagated") || is(verdict, "raised") || is(verdict, "replaced") || is(verdict, "error") ||
      is(verdict, "leaked"))
    return C_BAD;
  return C_NONE;
}

/* the words of one event, after the location and the indentation */
static void write_words(struct TextSink *s, const wy_TraceEvent *ev) {
  FILE *out = s->out;
  const char *a = arrow(s), *e = ev->event;
  if (is(e, "with")) {
    fputs(is(ev->message, "async") ? "async with " : "with ", out);
    paint(s, C_MANAGER, ev->manager);
  } else if (is(e, "aenter")) {
    fputs("await ", out);
    paint(s, C_MANAGER, ev->manager);
    fputs(".__aenter__()", out);
  } else if (is(e, "aexit")) {
    fputs("await ", out);
    paint(s, C_MANAGER, ev->manager);
    fprintf(out, ".__aexit__%s", ev->args ? ev->args : "(...)");
  } else if (is(e, "task_suspend")) {
    paint(s, C_MANAGER, ev->manager);
    fprintf(out, " suspends, awaiting %s (%s)", ev->value ? ev->value : "?", ev->message ? ev->message : "");
  } else if (is(e, "task_resume")) {
    paint(s, C_MANAGER, ev->manager);
    fputs(" resumes", out);
  } else if (is(e, "protocol_error")) {
    paint(s, C_MANAGER, ev->manager);
    fputs(" is not a context manager: ", out);
    paint(s, C_BAD, ev->exc);
  } else if (is(e, "enter")) {
    paint(s, C_MANAGER, ev->manager);
    fputs(".__enter__()", out);
  } else if (is(e, "entered")) {
    fprintf(out, "%s returned %s", a, ev->value ? ev->value : "?");
    if (ev->target) fprintf(out, ", bound to %s", ev->target);
  } else if (is(e, "enter_error")) {
    fprintf(out, "%s ", a);
    paint(s, C_BAD, "raised");
    fprintf(out, " %s: the body does not run", ev->exc ? ev->exc : "?");
  } else if (is(e, "body_exit")) {
    if (is(ev->how, "normal")) fputs("body finished normally", out);
    else if (is(ev->how, "exception")) fprintf(out, "body raised %s", ev->exc ? ev->exc : "?");
    else fprintf(out, "body left by %s", ev->how ? ev->how : "?");
  } else if (is(e, "exit")) {
    paint(s, C_MANAGER, ev->manager);
    fprintf(out, ".__exit__%s", ev->args ? ev->args : "(...)");
  } else if (is(e, "exit_result")) {
    fprintf(out, "%s returned %s", a, ev->result ? ev->result : "?");
    if (is(ev->verdict, "suppressed") || is(ev->verdict, "propagated")) {
      fprintf(out, ": %s ", ev->exc ? ev->exc : "the exception");
      paint(s, verdict_colour(ev->verdict), is(ev->verdict, "suppressed") ? "suppressed" : "propagates");
    }
  } else if (is(e, "exit_error")) {
    fprintf(out, "%s ", a);
    paint(s, C_BAD, "raised");
    fprintf(out, " %s", ev->exc ? ev->exc : "?");
    if (is(ev->verdict, "replaced") && ev->message) fprintf(out, ", which replaces %s", ev->message);
  } else if (is(e, "gen_next") || is(e, "gen_throw")) {
    if (is(e, "gen_next")) fputs("next(gen)", out);
    else fprintf(out, "gen.throw(%s)", ev->exc ? ev->exc : "?");
    fprintf(out, " %s ", a);
    if (ev->message) fputs(ev->message, out);
    if (ev->verdict) {
      fputs(": ", out);
      paint(s, verdict_colour(ev->verdict), ev->verdict);
    }
  } else if (is(e, "stack_push") || is(e, "stack_unwind")) {
    fputs(is(e, "stack_push") ? "ExitStack push: " : "ExitStack unwind: ", out);
    if (ev->message) fputs(ev->message, out);
    if (ev->result) fprintf(out, " %s returned %s", a, ev->result);
    if (ev->exc && !ev->result) fprintf(out, " %s raised %s", a, ev->exc);
    if (ev->verdict) {
      fputs(": ", out);
      paint(s, verdict_colour(ev->verdict), ev->verdict);
    }
  } else if (is(e, "leak")) {
    paint(s, C_BAD, "warning:");
    fputs(" ", out);
    paint(s, C_MANAGER, ev->manager);
    fprintf(out, " leaked: %s", ev->message ? ev->message : "never closed");
  } else {
    /* acquire, release, and events of embedders' own */
    fprintf(out, "%s ", e ? e : "?");
    paint(s, C_MANAGER, ev->manager);
    if (ev->message) fprintf(out, " %s", ev->message);
  }
}

static void write_text(struct TextSink *s, const wy_TraceEvent *ev) {
  char where[300];
  snprintf(where, sizeof where, "%s:%d:", base_name(ev->file), ev->line);
  paint(s, C_DIM, where);
  fputc(' ', s->out);
  for (int i = 0; i < ev->depth && i < 40; i++) fputs(s->utf8 ? "\xe2\x94\x82 " : "| ", s->out);
  write_words(s, ev);
  fputc('\n', s->out);
}

void trace_text_sink(wy_State *W, const wy_TraceEvent *ev, void *userdata) {
  (void)W;
  struct TextSink *s = userdata;
  if (!s || !s->out) return;
  if (s->format == WY_TRACE_JSON) write_json(s->out, ev);
  else write_text(s, ev);
  fflush(s->out);
}
