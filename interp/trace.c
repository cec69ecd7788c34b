/* trace.c — the tracing mode: the with-statement hooks the VM calls while
** tracing, the safe descriptions of values they report, and the tracing
** part of withy.h (sinks, wy_trace_emit, wy_manager_stack). The text and
** JSON writers are in trace_sinks.c.
**
** Tracing must never change what the program does, so nothing here runs
** script code except the protocol calls themselves (__enter__, __exit__
** and the truth test of __exit__'s result, each exactly once, as the
** untraced VM does): values are described from their C contents, never
** through a user-defined __repr__. */
#include <stdlib.h>
#include <string.h>
#include "trace.h"
#include "gc.h"
#include "code.h"
#include "exc.h"
#include "func.h"
#include "gen.h"
#include "list.h"
#include "module.h"
#include "opcodes.h"
#include "str.h"
#include "tuple.h"
#include "bytes.h"
#include "dict.h"
#include "type.h"

Value vm_call_special(VM *vm, Value attr, Value self, Value *args, int nargs);
int vm_with_lookup(VM *vm, Value mgr, bool is_async, Value *enter, Value *exit);

/* ---- describing values without running script code ---- */

enum { DESCRIBE_STR_MAX = 40, DESCRIBE_ITEMS_MAX = 4, DESCRIBE_DEPTH_MAX = 2 };

static void describe_into(VM *vm, SBuf *b, Value v, int depth);

static void describe_items(VM *vm, SBuf *b, const Value *items, int64_t n, int depth, const char *open,
                           const char *close) {
  sbuf_adds(b, open);
  if (depth >= DESCRIBE_DEPTH_MAX && n > 0) {
    sbuf_adds(b, "...");
  } else {
    for (int64_t i = 0; i < n; i++) {
      if (i) sbuf_adds(b, ", ");
      if (i == DESCRIBE_ITEMS_MAX) {
        sbuf_adds(b, "...");
        break;
      }
      describe_into(vm, b, items[i], depth + 1);
    }
  }
  sbuf_adds(b, close);
}

/* the repr of a builtin value whose repr runs no script code */
static void add_builtin_repr(VM *vm, SBuf *b, Value v, size_t max) {
  Value r = obj_repr(vm, v);
  if (IS_UNDEF(r)) {
    exc_clear(vm);
    sbuf_adds(b, "<?>");
    return;
  }
  StrObj *s = AS_STR(r);
  size_t n = (size_t)s->len;
  if (n <= max) {
    sbuf_add(b, STR_CSTR(s), n);
    return;
  }
  /* cut at a UTF-8 boundary and keep the closing quote visible */
  size_t cut = max;
  while (cut > 0 && ((unsigned char)STR_CSTR(s)[cut] & 0xC0) == 0x80) cut--;
  sbuf_add(b, STR_CSTR(s), cut);
  sbuf_adds(b, "...");
  char last = STR_CSTR(s)[n - 1];
  if (last == '\'' || last == '"') sbuf_addc(b, last);
}

static const char *type_name_of(VM *vm, Value v) { return STR_CSTR(obj_type(vm, v)->name); }

static bool has_own_repr(VM *vm, Type *t) {
  Value r = type_lookup(vm, t, NAME(vm, __repr__));
  Value base = type_lookup(vm, vm->t_object, NAME(vm, __repr__));
  return !v_is(r, base) && IS_NATIVE(r) && !(t->flags & TF_HEAP);
}

/* C classes may describe themselves for traces with a C __trace_repr__ */
static bool describe_host(VM *vm, SBuf *b, Value v, Type *t) {
  StrObj *name = str_intern_cstr(vm, "__trace_repr__");
  Value f = name ? type_lookup(vm, t, name) : V_UNDEF;
  if (!IS_NATIVE(f)) return false;
  Value r = obj_call(vm, f, &v, 1, NULL);
  if (IS_UNDEF(r) || !IS_STR(r)) {
    exc_clear(vm);
    return false;
  }
  sbuf_add(b, STR_CSTR(AS_STR(r)), (size_t)AS_STR(r)->len);
  return true;
}

static void describe_into(VM *vm, SBuf *b, Value v, int depth) {
  if (depth < 0) {
    /* an exception's message: shown in full up to a longer limit */
    if (IS_STR(v)) {
      add_builtin_repr(vm, b, v, 3 * DESCRIBE_STR_MAX);
      return;
    }
    depth = 1;
  }
  if (!IS_OBJ(v)) {
    add_builtin_repr(vm, b, v, DESCRIBE_STR_MAX);   /* None, bools, ints, floats */
    return;
  }
  Type *t = obj_type(vm, v);
  if (IS_STR(v) || IS_BYTES(v)) {
    add_builtin_repr(vm, b, v, DESCRIBE_STR_MAX);
  } else if (IS_EXC(v)) {
    ExcObj *e = AS_EXC(v);
    sbuf_adds(b, STR_CSTR(t->name));
    if (e->args && e->args->len == 1) {
      sbuf_addc(b, '(');
      describe_into(vm, b, e->args->items[0], -1);
      sbuf_addc(b, ')');
    } else {
      describe_items(vm, b, e->args ? e->args->items : NULL, e->args ? e->args->len : 0, depth, "(", ")");
    }
  } else if (t == vm->t_tuple) {
    TupleObj *tu = AS_TUPLE(v);
    describe_items(vm, b, tu->items, tu->len, depth, "(", tu->len == 1 ? ",)" : ")");
  } else if (t == vm->t_list) {
    describe_items(vm, b, AS_LIST(v)->items, AS_LIST(v)->len, depth, "[", "]");
  } else if (t == vm->t_dict) {
    sbuf_printf(b, AS_DICT(v)->len ? "{...%lld items}" : "{}", (long long)AS_DICT(v)->len);
  } else if (IS_TYPE(v)) {
    sbuf_printf(b, "<class '%s'>", STR_CSTR(AS_TYPE(v)->name));
  } else if (IS_FUNC(v)) {
    sbuf_printf(b, "<function %s>", STR_CSTR(AS_FUNC(v)->qualname));
  } else if (IS_BOUND(v)) {
    Value f = AS_BOUND(v)->func;
    const char *name = IS_FUNC(f) ? STR_CSTR(AS_FUNC(f)->qualname) : IS_NATIVE(f) ? AS_NATIVE(f)->name : "?";
    sbuf_printf(b, "<bound method %s of ", name);
    describe_into(vm, b, AS_BOUND(v)->self, DESCRIBE_DEPTH_MAX);
    sbuf_addc(b, '>');
  } else if (IS_NATIVE(v)) {
    sbuf_printf(b, "<built-in function %s>", AS_NATIVE(v)->name);
  } else if (IS_GEN(v)) {
    sbuf_printf(b, "<%s %s>", type_name_of(vm, v), AS_GEN(v)->qualname ? STR_CSTR(AS_GEN(v)->qualname) : "?");
  } else if (IS_KIND(v, K_MODULE)) {
    sbuf_printf(b, "<module '%s'>", STR_CSTR(((ModuleObj *)AS_OBJ(v))->name));
  } else if (IS_KIND(v, K_TRACEBACK)) {
    sbuf_adds(b, "<traceback>");
  } else if ((t->flags & TF_HOST) && describe_host(vm, b, v, t)) {
    /* a C class's own trace description (__trace_repr__) */
  } else if (has_own_repr(vm, t) && (t->flags & TF_HOST)) {
    /* a C class's own repr (an open file's name and mode) */
    add_builtin_repr(vm, b, v, 80);
  } else {
    sbuf_printf(b, "<%s object>", STR_CSTR(t->name));
  }
}

char *trace_describe(VM *vm, Value v) {
  SBuf b;
  sbuf_init(&b);
  Obj *pending = vm->curexc;   /* describing must not disturb an exception in flight */
  vm->curexc = NULL;
  describe_into(vm, &b, v, 0);
  vm->curexc = pending;
  sbuf_addc(&b, '\0');
  if (!b.data) return NULL;
  return b.data;
}

/* ---- delivering events ---- */

static void current_place(VM *vm, const char **file, int *line) {
  *file = "<unknown>";
  *line = 0;
  Frame *f = vm->frame;
  if (!f || !f->code) return;
  CodeObj *c = f->code;
  *file = c->filename ? STR_CSTR(c->filename) : "<unknown>";
  int32_t i = (int32_t)(f->ip - c->code) - 1;
  *line = code_line_at(c, i);
}

void trace_deliver_at(VM *vm, wy_TraceEvent *ev, int line) {
  TraceState *ts = vm->trace;
  if (!ts || ts->in_sink) return;
  current_place(vm, &ev->file, &ev->line);
  if (line > 0) ev->line = line;
  ev->depth = ts->depth;
  ts->in_sink = true;
  ts->sink(vm, ev, ts->userdata);
  ts->in_sink = false;
}

static void deliver(VM *vm, wy_TraceEvent *ev) { trace_deliver_at(vm, ev, 0); }

/* the line of the body where exc came out, in the running frame: the head
** of its traceback is this frame's entry when the with's handler catches it */
int trace_line_of_exception(VM *vm, Value exc) {
  if (!IS_EXC(exc) || !AS_EXC(exc)->traceback || !vm->frame) return 0;
  TracebackObj *tb = AS_EXC(exc)->traceback;
  return tb->code == vm->frame->code ? tb->line : 0;
}

/* an event with up to three described values; NULL values are left out */
typedef struct Described {
  char *text[3];
} Described;

static void described_free(Described *d) {
  for (int i = 0; i < 3; i++) free(d->text[i]);
}

char *trace_describe_pending(VM *vm) {
  return vm->curexc ? trace_describe(vm, v_obj(vm->curexc)) : NULL;
}

/* the object an exit callable is bound to: the manager */
Value trace_exit_owner(Value exit) {
  if (IS_BOUND(exit)) return AS_BOUND(exit)->self;
  if (IS_NATIVE(exit) && !IS_UNDEF(AS_NATIVE(exit)->self)) return AS_NATIVE(exit)->self;
  return exit;
}

/* the `as` target of the with statement whose BEFORE_WITH just ran */
static const char *with_target(VM *vm, char *buf, size_t size) {
  Frame *f = vm->frame;
  return f ? trace_target_at(f->code, f->ip, buf, size) : NULL;
}

const char *trace_target_at(CodeObj *c, const Instr *ip, char *buf, size_t size) {
  if (!c || ip < c->code || ip >= c->code + c->ncode) return NULL;
  Instr in = *ip;
  int op = (int)(in & 0xff);
  uint32_t arg = in >> 8;
  switch (op) {
    case OP_STORE_FAST: case OP_STORE_FAST__LOAD_FAST:
      return arg < (uint32_t)c->nlocals ? STR_CSTR(c->varnames[arg]) : NULL;
    case OP_STORE_NAME: case OP_STORE_GLOBAL:
      return arg < (uint32_t)c->nnames ? STR_CSTR(c->names[arg]) : NULL;
    case OP_STORE_DEREF:
      if (arg < (uint32_t)c->ncells) return STR_CSTR(c->cellnames[arg]);
      if (arg < (uint32_t)(c->ncells + c->nfrees)) return STR_CSTR(c->freenames[arg - (uint32_t)c->ncells]);
      return NULL;
    case OP_STORE_ATTR:
      snprintf(buf, size, "an attribute .%s", arg < (uint32_t)c->nnames ? STR_CSTR(c->names[arg]) : "?");
      return buf;
    case OP_UNPACK_SEQUENCE: case OP_UNPACK_EX:
      return "a tuple of targets";
    case OP_STORE_SUBSCR:
      return "an item";
    default:
      return NULL;
  }
}

/* ---- the with-statement hooks ---- */

int trace_before_with(VM *vm, Value mgr, Value *exit_out, Value *result) {
  TraceState *ts = vm->trace;
  Described d = {{trace_describe(vm, mgr), NULL, NULL}};
  wy_TraceEvent ev = {.event = "with", .manager = d.text[0]};
  deliver(vm, &ev);
  Value enter, exit;
  if (vm_with_lookup(vm, mgr, false, &enter, &exit) < 0) {
    d.text[1] = trace_describe_pending(vm);
    ev = (wy_TraceEvent){.event = "protocol_error", .manager = d.text[0], .exc = d.text[1]};
    deliver(vm, &ev);
    described_free(&d);
    return -1;
  }
  gc_push_root(vm, exit);
  ev = (wy_TraceEvent){.event = "enter", .manager = d.text[0]};
  deliver(vm, &ev);
  Value r = vm_call_special(vm, enter, mgr, NULL, 0);
  if (IS_UNDEF(r)) {
    gc_pop_roots(vm, 1);
    d.text[1] = trace_describe_pending(vm);
    ev = (wy_TraceEvent){.event = "enter_error", .manager = d.text[0], .exc = d.text[1], .verdict = "raised"};
    deliver(vm, &ev);
    described_free(&d);
    return -1;
  }
  gc_pop_roots(vm, 1);
  char buf[160];
  d.text[1] = trace_describe(vm, r);
  ev = (wy_TraceEvent){.event = "entered", .manager = d.text[0], .value = d.text[1],
                       .target = with_target(vm, buf, sizeof buf)};
  deliver(vm, &ev);
  described_free(&d);
  ts = vm->trace;   /* the enter may have switched tracing */
  if (ts) ts->depth++;
  *exit_out = exit;
  *result = r;
  return 0;
}

static const char *how_names[] = {"normal", "break", "continue", "return"};

void trace_leave_depth(VM *vm) {
  if (vm->trace && vm->trace->depth > 0) vm->trace->depth--;
}

int trace_with_exit(VM *vm, Value exit, int oparg, Value *result) {
  Described d = {{trace_describe(vm, trace_exit_owner(exit)), NULL, NULL}};
  int how = (oparg >> 1) & 3;
  wy_TraceEvent ev = {.event = "body_exit", .manager = d.text[0], .how = how_names[how]};
  deliver(vm, &ev);
  trace_leave_depth(vm);
  bool is_async = (oparg & WITH_EXIT_KEEP) != 0;
  ev = (wy_TraceEvent){.event = is_async ? "aexit" : "exit", .manager = d.text[0], .args = "(None, None, None)"};
  deliver(vm, &ev);
  Value none3[3] = {V_NONE, V_NONE, V_NONE};
  Value r = obj_call(vm, exit, none3, 3, NULL);
  if (is_async && !IS_UNDEF(r)) {
    /* its outcome is reported when the awaitable finishes */
    described_free(&d);
    r = trace_wrap_aexit(vm, exit, r, V_UNDEF);
    if (IS_UNDEF(r)) return -1;
    *result = r;
    return 0;
  }
  if (IS_UNDEF(r)) {
    d.text[1] = trace_describe_pending(vm);
    ev = (wy_TraceEvent){.event = "exit_error", .manager = d.text[0], .exc = d.text[1], .verdict = "raised"};
    deliver(vm, &ev);
    described_free(&d);
    return -1;
  }
  d.text[1] = trace_describe(vm, r);
  ev = (wy_TraceEvent){.event = "exit_result", .manager = d.text[0], .result = d.text[1], .verdict = "done"};
  deliver(vm, &ev);
  described_free(&d);
  *result = r;
  return 0;
}

/* is the running instruction WITH_EXCEPT_START of an async with (its
** result is awaited next)? */
static bool awaits_exit_next(VM *vm) {
  Frame *f = vm->frame;
  if (!f || f->ip >= f->code->code + f->code->ncode) return false;
  return INSTR_OP(*f->ip) == OP_GET_AWAITABLE && INSTR_ARG(*f->ip) == 2;
}

int trace_with_except_start(VM *vm, Value exit, Value exc, Value *result) {
  Described d = {{trace_describe(vm, trace_exit_owner(exit)), trace_describe(vm, exc), NULL}};
  wy_TraceEvent ev = {.event = "body_exit", .manager = d.text[0], .how = "exception", .exc = d.text[1]};
  trace_deliver_at(vm, &ev, trace_line_of_exception(vm, exc));
  trace_leave_depth(vm);
  Value args[3];
  args[0] = v_obj(obj_type(vm, exc));
  args[1] = exc;
  args[2] = (IS_EXC(exc) && AS_EXC(exc)->traceback) ? v_obj(AS_EXC(exc)->traceback) : V_NONE;
  char argtext[200];
  snprintf(argtext, sizeof argtext, "(%s, %s, %s)", type_name_of(vm, exc), d.text[1] ? d.text[1] : "?",
           IS_NONE(args[2]) ? "None" : "<traceback>");
  bool is_async = awaits_exit_next(vm);
  ev = (wy_TraceEvent){.event = is_async ? "aexit" : "exit", .manager = d.text[0], .args = argtext, .exc = d.text[1]};
  deliver(vm, &ev);
  Value r = obj_call(vm, exit, args, 3, NULL);
  if (is_async && !IS_UNDEF(r)) {
    described_free(&d);
    r = trace_wrap_aexit(vm, exit, r, exc);
    if (IS_UNDEF(r)) return -1;
    *result = r;
    return 0;
  }
  int truth = IS_UNDEF(r) ? -1 : obj_truthy(vm, r);
  if (truth < 0) {
    d.text[2] = trace_describe_pending(vm);
    ev = (wy_TraceEvent){.event = "exit_error", .manager = d.text[0], .exc = d.text[2], .verdict = "replaced",
                         .message = d.text[1]};
    deliver(vm, &ev);
    described_free(&d);
    return -1;
  }
  d.text[2] = trace_describe(vm, r);
  ev = (wy_TraceEvent){.event = "exit_result", .manager = d.text[0], .result = d.text[2], .exc = d.text[1],
                       .verdict = truth ? "suppressed" : "propagated"};
  deliver(vm, &ev);
  described_free(&d);
  *result = v_bool(truth);
  return 0;
}

/* ---- the managers active now ---- */

/* is v the bound __exit__ (or __aexit__) a with statement keeps on the stack? */
static bool is_with_exit(VM *vm, Value v) {
  if (!IS_OBJ(v)) return false;
  const char *name = NULL;
  if (IS_BOUND(v)) {
    Value f = AS_BOUND(v)->func;
    name = IS_FUNC(f) ? STR_CSTR(AS_FUNC(f)->name) : IS_NATIVE(f) ? AS_NATIVE(f)->name : NULL;
  } else if (IS_NATIVE(v) && !IS_UNDEF(AS_NATIVE(v)->self)) {
    name = AS_NATIVE(v)->name;
  }
  (void)vm;
  return name && (strcmp(name, "__exit__") == 0 || strcmp(name, "__aexit__") == 0);
}

/* descriptions of the active managers, innermost first (malloc'd array of
** malloc'd strings; *n of them) */
static char **active_managers(VM *vm, int *n) {
  int cap = 8, count = 0;
  char **out = malloc((size_t)cap * sizeof *out);
  if (!out) return NULL;
  for (Frame *f = vm->frame; f; f = f->back) {
    Value *base = FRAME_STACK(f);
    for (Value *p = f->sp - 1; p >= base; p--) {
      if (!is_with_exit(vm, *p)) continue;
      if (count == cap) {
        char **grown = realloc(out, (size_t)(cap *= 2) * sizeof *out);
        if (!grown) break;
        out = grown;
      }
      char *desc = trace_describe(vm, trace_exit_owner(*p));
      char *line = desc ? malloc(strlen(desc) + 64) : NULL;
      if (line) {
        sprintf(line, "%s (%s:%d)", desc, STR_CSTR(f->code->filename),
                code_line_at(f->code, (int32_t)(f->ip - f->code->code) - 1));
        out[count++] = line;
      }
      free(desc);
    }
  }
  *n = count;
  return out;
}

static void free_strings(char **s, int n) {
  for (int i = 0; i < n; i++) free(s[i]);
  free(s);
}

void trace_note_interrupt(VM *vm) {
  free_strings(vm->stopped_managers, vm->nstopped_managers);
  vm->stopped_managers = active_managers(vm, &vm->nstopped_managers);
  if (!vm->stopped_managers) vm->nstopped_managers = 0;
}

void trace_free(VM *vm) {
  free_strings(vm->stopped_managers, vm->nstopped_managers);
  vm->stopped_managers = NULL;
  vm->nstopped_managers = 0;
  TraceState *ts = vm->trace;
  if (!ts) return;
  free(ts->file);
  free(ts);
  vm->trace = NULL;
}

/* ---- withy.h ---- */

/* vm->trace exists exactly while a sink is installed: the VM tests that
** one pointer to choose its traced paths */
void wy_set_trace_sink(wy_State *W, wy_TraceSink sink, void *userdata) {
  TraceState *ts = W->trace;
  if (!sink) {
    if (ts) {
      free(ts->file);
      free(ts);
      W->trace = NULL;
    }
    return;
  }
  if (!ts && !(ts = W->trace = calloc(1, sizeof(TraceState)))) return;
  if (sink != trace_text_sink || userdata != ts->file) {
    free(ts->file);
    ts->file = NULL;
  }
  ts->sink = sink;
  ts->userdata = userdata;
}

bool wy_tracing(wy_State *W) { return W->trace != NULL; }

void wy_trace_emit(wy_State *W, wy_TraceEvent *ev) {
  if (wy_tracing(W)) deliver(W, ev);
}

wy_Value wy_describe(wy_State *W, wy_Value v) {
  Value val;
  memcpy(&val, &v, sizeof val);
  char *text = trace_describe(W, val);
  if (!text) return wy_raise(W, "MemoryError", "out of memory");
  wy_Value r = wy_str(W, text);
  free(text);
  return r;
}

int wy_trace_to_file(wy_State *W, FILE *out, wy_TraceFormat format) {
  if (format == WY_TRACE_OFF || !out) {
    wy_set_trace_sink(W, NULL, NULL);
    return 0;
  }
  struct TextSink *sink = trace_text_sink_new(out, format);
  if (!sink) return -1;
  wy_set_trace_sink(W, trace_text_sink, sink);
  if (!W->trace) {
    free(sink);
    return -1;
  }
  W->trace->file = sink;
  return 0;
}

wy_Value wy_manager_stack(wy_State *W) {
  wy_Value list = wy_list(W);
  if (wy_is_error(list)) return list;
  int n = 0;
  char **now = active_managers(W, &n);
  if (!now) return wy_raise(W, "MemoryError", "out of memory");
  char **shown = now;
  int nshown = n;
  /* nothing running: what was active when the last run was interrupted */
  if (n == 0 && W->nstopped_managers) {
    shown = W->stopped_managers;
    nshown = W->nstopped_managers;
  }
  for (int i = 0; i < nshown; i++) {
    wy_Value s = wy_str(W, shown[i]);
    if (wy_is_error(s) || wy_list_append(W, list, s) < 0) {
      free_strings(now, n);
      return wy_error();
    }
  }
  free_strings(now, n);
  return list;
}
