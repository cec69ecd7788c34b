/* builtins.c — the builtins module: the functions (print, len, min, getattr
** …) with CPython 3.11's argument handling and messages, and the
** registration of every builtin name: types, exception classes,
** constants, __build_class__.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "builtins.h"
#include "vm.h"
#include "gc.h"
#include "exc.h"
#include "str.h"
#include "bytes.h"
#include "num.h"
#include "tuple.h"
#include "list.h"
#include "dict.h"
#include "iter.h"
#include "format.h"
#include "func.h"
#include "type.h"
#include "module.h"
#include "gen.h"

/* ---- argument checks with CPython's two wordings ---- */

/* METH_O functions: "len() takes exactly one argument (2 given)" */
static int one_arg(VM *vm, const char *name, int nargs, TupleObj *kwnames) {
  if (kwnames && kwnames->len > 0) {
    exc_type_error(vm, "%s() takes no keyword arguments", name);
    return -1;
  }
  if (nargs != 1) {
    exc_type_error(vm, "%s() takes exactly one argument (%d given)", name, nargs);
    return -1;
  }
  return 0;
}

/* METH_NOARGS functions: "locals() takes no arguments (1 given)" */
static int no_args(VM *vm, const char *name, int nargs, TupleObj *kwnames) {
  if (kwnames && kwnames->len > 0) {
    exc_type_error(vm, "%s() takes no keyword arguments", name);
    return -1;
  }
  if (nargs != 0) {
    exc_type_error(vm, "%s() takes no arguments (%d given)", name, nargs);
    return -1;
  }
  return 0;
}

/* positional-only functions: "getattr expected at least 2 arguments, got 1" */
static int positional(VM *vm, const char *name, int nargs, TupleObj *kwnames, int min, int max) {
  if (kwnames && kwnames->len > 0) {
    exc_type_error(vm, "%s() takes no keyword arguments", name);
    return -1;
  }
  if (nargs < min) {
    exc_type_error(vm, "%s expected %s%d argument%s, got %d", name, min == max ? "" : "at least ", min,
                   min == 1 ? "" : "s", nargs);
    return -1;
  }
  if (nargs > max) {
    exc_type_error(vm, "%s expected %s%d argument%s, got %d", name, min == max ? "" : "at most ", max,
                   max == 1 ? "" : "s", nargs);
    return -1;
  }
  return 0;
}

static bool kw_is(TupleObj *kwnames, int64_t i, const char *name) {
  return strcmp(STR_CSTR(AS_STR(kwnames->items[i])), name) == 0;
}

static Value invalid_keyword(VM *vm, TupleObj *kwnames, int64_t i, const char *fname) {
  return exc_type_error(vm, "'%U' is an invalid keyword argument for %s()", AS_STR(kwnames->items[i]), fname);
}

static int check_attr_name(VM *vm, Value name) {
  if (IS_STR(name)) return 0;
  exc_type_error(vm, "attribute name must be string, not '%T'", name);
  return -1;
}

/* ---- iterating anything, with lists and tuples walked directly ---- */

typedef struct Walk {
  Value seq;     /* a list or tuple walked by index, else V_UNDEF */
  Value it;      /* the iterator otherwise (rooted by walk_start) */
  int64_t i;
} Walk;

/* Starts a walk; roots one value (pop it with walk_end). -1 on error. */
static int walk_start(VM *vm, Walk *w, Value iterable) {
  w->i = 0;
  w->seq = w->it = V_UNDEF;
  if ((IS_LIST(iterable) && AS_OBJ(iterable)->type == vm->t_list) ||
      (IS_TUPLE(iterable) && AS_OBJ(iterable)->type == vm->t_tuple)) {
    w->seq = iterable;
  } else {
    w->it = obj_iter(vm, iterable);
    if (IS_UNDEF(w->it)) return -1;
  }
  gc_push_root(vm, IS_UNDEF(w->seq) ? w->it : w->seq);
  return 0;
}

/* the next item; V_UNDEF at the end (vm->curexc set on error) */
static Value walk_next(VM *vm, Walk *w) {
  if (IS_LIST(w->seq)) {
    ListObj *l = AS_LIST(w->seq);
    return w->i < l->len ? l->items[w->i++] : V_UNDEF;
  }
  if (IS_TUPLE(w->seq)) {
    TupleObj *t = AS_TUPLE(w->seq);
    return w->i < t->len ? t->items[w->i++] : V_UNDEF;
  }
  return obj_next(vm, w->it);
}

static void walk_end(VM *vm) { gc_pop_roots(vm, 1); }

/* a temporary root that can be updated in place */
static int root_slot(VM *vm, Value v) {
  gc_push_root(vm, v);
  return vm->nroots - 1;
}

static void root_set(VM *vm, int slot, Value v) {
  if (slot >= 0 && slot < vm->nroots) vm->roots[slot] = v;
}

/* ---- sys.stdout ---- */

/* sys.<name> (stdout, stderr, stdin): V_UNDEF + RuntimeError "lost sys.stdout" */
static Value sys_stream(VM *vm, const char *name) {
  Value v = vm->sys_module ? dict_get_cstr(vm, vm->sys_module->dict, name) : V_UNDEF;
  if (IS_UNDEF(v) && !vm->curexc) exc_raise(vm, EXC(vm, RuntimeError), "lost sys.%s", name);
  return v;
}

/* file.write(s) through a method looked up once */
typedef struct Writer {
  Value fn, self;
} Writer;

static int writer_open(VM *vm, Writer *w, Value file) {
  return obj_get_method(vm, file, NAME(vm, write), &w->fn, &w->self);
}

static int writer_put(VM *vm, Writer *w, Value s) {
  Value argv[2];
  int n = 0;
  if (!IS_UNDEF(w->self)) argv[n++] = w->self;
  argv[n++] = s;
  gc_push_root(vm, s);
  Value r = obj_call(vm, w->fn, argv, n, NULL);
  gc_pop_roots(vm, 1);
  return IS_UNDEF(r) ? -1 : 0;
}

static int call_flush(VM *vm, Value file) {
  Value r = obj_call_method(vm, file, "flush", NULL, 0);
  return IS_UNDEF(r) ? -1 : 0;
}

int builtins_write_stdout(VM *vm, const char *s, size_t len) {
  Value out = sys_stream(vm, "stdout");
  if (IS_UNDEF(out)) return -1;
  if (IS_NONE(out)) return 0;
  StrObj *str = str_new(vm, s, len);
  if (!str) return -1;
  gc_push_root(vm, out);
  Writer w;
  int rc = writer_open(vm, &w, out);
  if (rc == 0) {
    gc_push_root(vm, w.fn);
    rc = writer_put(vm, &w, v_obj(str));
    gc_pop_roots(vm, 1);
  }
  gc_pop_roots(vm, 1);
  return rc;
}

/* ---- print / input ---- */

static int text_or_none(VM *vm, Value v, const char *what) {
  if (IS_NONE(v) || IS_STR(v)) return 0;
  exc_type_error(vm, "%s must be None or a string, not %T", what, v);
  return -1;
}

static Value bi_print(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value sep = V_NONE, end = V_NONE, file = V_NONE, flush = V_FALSE;
  for (int64_t i = 0; kwnames && i < kwnames->len; i++) {
    Value v = args[nargs + i];
    if (kw_is(kwnames, i, "sep")) sep = v;
    else if (kw_is(kwnames, i, "end")) end = v;
    else if (kw_is(kwnames, i, "file")) file = v;
    else if (kw_is(kwnames, i, "flush")) flush = v;
    else return invalid_keyword(vm, kwnames, i, "print");
  }
  if (IS_NONE(file)) {
    file = sys_stream(vm, "stdout");
    if (IS_UNDEF(file)) return V_UNDEF;
    if (IS_NONE(file)) return V_NONE;
  }
  if (text_or_none(vm, sep, "sep") < 0 || text_or_none(vm, end, "end") < 0) return V_UNDEF;
  gc_push_root(vm, file);
  Writer w;
  int rc = writer_open(vm, &w, file);
  if (rc < 0) {
    gc_pop_roots(vm, 1);
    return V_UNDEF;
  }
  gc_push_root(vm, w.fn);
  StrObj *space = IS_NONE(sep) ? str_intern_cstr(vm, " ") : AS_STR(sep);
  StrObj *newline = IS_NONE(end) ? str_intern_cstr(vm, "\n") : AS_STR(end);
  if (!space || !newline) rc = -1;
  for (int i = 0; i < nargs && rc == 0; i++) {
    if (i > 0) rc = writer_put(vm, &w, v_obj(space));
    if (rc < 0) break;
    Value s = IS_STR(args[i]) && AS_OBJ(args[i])->type == vm->t_str ? args[i] : obj_str(vm, args[i]);
    rc = IS_UNDEF(s) ? -1 : writer_put(vm, &w, s);
  }
  if (rc == 0) rc = writer_put(vm, &w, v_obj(newline));
  if (rc == 0) {
    int t = obj_truthy(vm, flush);
    rc = t < 0 ? -1 : t ? call_flush(vm, file) : 0;
  }
  gc_pop_roots(vm, 2);
  return rc < 0 ? V_UNDEF : V_NONE;
}

/* a line from the C stdin (when sys.stdin is not there to ask) */
static Value read_c_stdin(VM *vm) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (n < 0) {
    free(line);
    return v_obj(vm->empty_str);
  }
  StrObj *s = str_new(vm, line, (size_t)n);
  free(line);
  return s ? v_obj(s) : V_UNDEF;
}

static Value bi_input(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "input", nargs, kwnames, 0, 1) < 0) return V_UNDEF;
  Value out = sys_stream(vm, "stdout");
  if (IS_UNDEF(out)) return V_UNDEF;
  gc_push_root(vm, out);
  int rc = 0;
  if (nargs == 1 && !IS_NONE(out)) {
    Value s = obj_str(vm, args[0]);
    Writer w;
    if (IS_UNDEF(s) || writer_open(vm, &w, out) < 0) rc = -1;
    else {
      gc_push_root(vm, w.fn);
      rc = writer_put(vm, &w, s);
      gc_pop_roots(vm, 1);
    }
  }
  if (rc == 0 && !IS_NONE(out)) rc = call_flush(vm, out);
  gc_pop_roots(vm, 1);
  if (rc < 0) return V_UNDEF;
  Value in = vm->sys_module ? dict_get_cstr(vm, vm->sys_module->dict, "stdin") : V_UNDEF;
  if (IS_UNDEF(in) && vm->curexc) return V_UNDEF;
  if (IS_NONE(in)) return exc_raise(vm, EXC(vm, RuntimeError), "input(): lost sys.stdin");
  Value line = IS_UNDEF(in) ? read_c_stdin(vm) : obj_call_method(vm, in, "readline", NULL, 0);
  if (IS_UNDEF(line)) return V_UNDEF;
  if (!IS_STR(line)) return exc_type_error(vm, "object.readline() returned non-string");
  StrObj *s = AS_STR(line);
  if (s->len == 0) return exc_raise(vm, EXC(vm, EOFError), "EOF when reading a line");
  if (s->data[s->len - 1] != '\n') return line;
  StrObj *r = str_new(vm, s->data, (size_t)s->len - 1);
  return r ? v_obj(r) : V_UNDEF;
}

/* ---- simple one-argument functions ---- */

static Value bi_len(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "len", nargs, kwnames) < 0) return V_UNDEF;
  int64_t n = obj_len(vm, args[0]);
  return n < 0 ? V_UNDEF : v_int(n);
}

static Value bi_repr(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "repr", nargs, kwnames) < 0) return V_UNDEF;
  return obj_repr(vm, args[0]);
}

static Value bi_ascii(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "ascii", nargs, kwnames) < 0) return V_UNDEF;
  return str_ascii(vm, args[0]);
}

static Value bi_hash(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "hash", nargs, kwnames) < 0) return V_UNDEF;
  int64_t h;
  if (obj_hash(vm, args[0], &h) < 0) return V_UNDEF;
  return v_int(h);
}

/* id(): an object's address; unboxed values get odd numbers derived from
** their content, so `a is b` implies id(a) == id(b) */
static Value bi_id(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "id", nargs, kwnames) < 0) return V_UNDEF;
  Value v = args[0];
  uint64_t bits;
  switch (v.tag) {
    case VT_OBJ: return v_int((int64_t)(uintptr_t)AS_OBJ(v));
    case VT_NONE: return v_int(1);
    case VT_BOOL: return v_int(AS_BOOL(v) ? 5 : 3);
    case VT_INT: bits = (uint64_t)AS_INT(v); return v_int((int64_t)((bits << 3) | 7) & INT64_MAX);
    default:
      memcpy(&bits, &v.u.f, sizeof bits);
      return v_int((int64_t)(((bits >> 1) << 2) | 1) & INT64_MAX);
  }
}

static Value to_base(VM *vm, const char *name, Value *args, int nargs, TupleObj *kwnames, int base) {
  if (one_arg(vm, name, nargs, kwnames) < 0) return V_UNDEF;
  int64_t i;
  if (num_as_index(vm, args[0], &i) < 0) return V_UNDEF;
  return int_to_base(vm, i, base);
}

static Value bi_hex(VM *vm, Value *args, int nargs, TupleObj *kw) { return to_base(vm, "hex", args, nargs, kw, 16); }
static Value bi_oct(VM *vm, Value *args, int nargs, TupleObj *kw) { return to_base(vm, "oct", args, nargs, kw, 8); }
static Value bi_bin(VM *vm, Value *args, int nargs, TupleObj *kw) { return to_base(vm, "bin", args, nargs, kw, 2); }

static Value bi_ord(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "ord", nargs, kwnames) < 0) return V_UNDEF;
  Value c = args[0];
  if (IS_STR(c)) {
    StrObj *s = AS_STR(c);
    if (s->length != 1)
      return exc_type_error(vm, "ord() expected a character, but string of length %lld found", (long long)s->length);
    size_t adv;
    return v_int(utf8_decode(s->data, (size_t)s->len, &adv));
  }
  if (IS_BYTES(c)) {
    BytesObj *b = AS_BYTES(c);
    if (b->len != 1)
      return exc_type_error(vm, "ord() expected a character, but string of length %lld found", (long long)b->len);
    return v_int(b->data[0]);
  }
  return exc_type_error(vm, "ord() expected string of length 1, but %T found", c);
}

static Value bi_chr(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "chr", nargs, kwnames) < 0) return V_UNDEF;
  int64_t i;
  if (num_as_index(vm, args[0], &i) < 0) return V_UNDEF;
  if (i < 0 || i > 0x10ffff) return exc_value_error(vm, "chr() arg not in range(0x110000)");
  StrObj *s = str_from_codepoint(vm, (uint32_t)i);
  return s ? v_obj(s) : V_UNDEF;
}

static Value bi_callable(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "callable", nargs, kwnames) < 0) return V_UNDEF;
  return v_bool(obj_is_callable(vm, args[0]));
}

static Value bi_isinstance(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "isinstance", nargs, kwnames, 2, 2) < 0) return V_UNDEF;
  int r = obj_is_instance(vm, args[0], args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

static Value bi_issubclass(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "issubclass", nargs, kwnames, 2, 2) < 0) return V_UNDEF;
  int r = obj_is_subclass(vm, args[0], args[1]);
  return r < 0 ? V_UNDEF : v_bool(r);
}

/* ---- arithmetic ---- */

static Value bi_abs(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "abs", nargs, kwnames) < 0) return V_UNDEF;
  return num_abs(vm, args[0]);
}

static Value bi_round(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"number", "ndigits", NULL};
  Value a[2];
  if (arg_parse(vm, "round", args, nargs, kwnames, names, 1, a) < 0) return V_UNDEF;
  return num_round(vm, a[0], a[1]);
}

static Value bi_divmod(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "divmod", nargs, kwnames, 2, 2) < 0) return V_UNDEF;
  return num_divmod(vm, args[0], args[1]);
}

static Value bi_pow(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"base", "exp", "mod", NULL};
  Value a[3];
  if (arg_parse(vm, "pow", args, nargs, kwnames, names, 2, a) < 0) return V_UNDEF;
  return num_pow3(vm, a[0], a[1], a[2]);
}

/* ---- reductions over iterables ---- */

static Value minmax(VM *vm, Value *args, int nargs, TupleObj *kwnames, bool is_max) {
  const char *name = is_max ? "max" : "min";
  Value key = V_NONE, dflt = V_UNDEF;
  for (int64_t i = 0; kwnames && i < kwnames->len; i++) {
    if (kw_is(kwnames, i, "key")) key = args[nargs + i];
    else if (kw_is(kwnames, i, "default")) dflt = args[nargs + i];
    else return invalid_keyword(vm, kwnames, i, name);
  }
  if (nargs == 0) return exc_type_error(vm, "%s expected at least 1 argument, got 0", name);
  if (nargs > 1 && !IS_UNDEF(dflt))
    return exc_type_error(vm, "Cannot specify a default for %s() with multiple positional arguments", name);
  Walk w;
  if (nargs == 1) {
    if (walk_start(vm, &w, args[0]) < 0) return V_UNDEF;
  } else {
    TupleObj *t = tuple_from(vm, args, nargs);
    if (!t || walk_start(vm, &w, v_obj(t)) < 0) return V_UNDEF;
  }
  int best_slot = root_slot(vm, V_UNDEF), key_slot = root_slot(vm, V_UNDEF);
  Value best = V_UNDEF, best_key = V_UNDEF;
  bool failed = false;
  for (;;) {
    Value item = walk_next(vm, &w);
    if (IS_UNDEF(item)) {
      failed = vm->curexc != NULL;
      break;
    }
    Value k = item;
    if (!IS_NONE(key)) {
      gc_push_root(vm, item);
      k = obj_call1(vm, key, item);
      gc_pop_roots(vm, 1);
      if (IS_UNDEF(k)) {
        failed = true;
        break;
      }
    }
    bool take = IS_UNDEF(best);
    if (!take) {
      gc_push_root(vm, item);
      gc_push_root(vm, k);
      Value c = obj_richcmp(vm, k, best_key, is_max ? CMP_GT : CMP_LT);
      int t = IS_UNDEF(c) ? -1 : obj_truthy(vm, c);
      gc_pop_roots(vm, 2);
      if (t < 0) {
        failed = true;
        break;
      }
      take = t;
    }
    if (take) {
      best = item;
      best_key = k;
      root_set(vm, best_slot, best);
      root_set(vm, key_slot, best_key);
    }
  }
  gc_pop_roots(vm, 2);
  walk_end(vm);
  if (failed) return V_UNDEF;
  if (IS_UNDEF(best)) {
    if (!IS_UNDEF(dflt)) return dflt;
    return exc_value_error(vm, "%s() arg is an empty sequence", name);
  }
  return best;
}

static Value bi_max(VM *vm, Value *args, int nargs, TupleObj *kw) { return minmax(vm, args, nargs, kw, true); }
static Value bi_min(VM *vm, Value *args, int nargs, TupleObj *kw) { return minmax(vm, args, nargs, kw, false); }

/* result + item with the int and float cases inline */
static Value sum_add(VM *vm, Value acc, Value item) {
  if (IS_INT(acc) && IS_INT(item)) {
    int64_t r;
    if (!__builtin_add_overflow(AS_INT(acc), AS_INT(item), &r)) return v_int(r);
  } else if (IS_FLOAT(acc) && IS_FLOAT(item)) {
    return v_float(AS_FLOAT(acc) + AS_FLOAT(item));
  }
  return obj_binop(vm, BIN_ADD, acc, item);
}

static Value bi_sum(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value start = V_UNDEF;
  for (int64_t i = 0; kwnames && i < kwnames->len; i++) {
    if (kw_is(kwnames, i, "start") && nargs < 2) start = args[nargs + i];
    else if (kw_is(kwnames, i, "start"))
      return exc_type_error(vm, "argument for sum() given by name ('start') and position (2)");
    else return exc_type_error(vm, "sum() got an unexpected keyword argument '%U'", AS_STR(kwnames->items[i]));
  }
  if (nargs < 1) return exc_type_error(vm, "sum() takes at least 1 positional argument (%d given)", nargs);
  if (nargs > 2) return exc_type_error(vm, "sum() takes at most 2 arguments (%d given)", nargs);
  if (nargs == 2) start = args[1];
  Value acc = IS_UNDEF(start) ? v_int(0) : start;
  if (IS_STR(acc)) return exc_type_error(vm, "sum() can't sum strings [use ''.join(seq) instead]");
  if (IS_BYTES(acc)) return exc_type_error(vm, "sum() can't sum bytes [use b''.join(seq) instead]");
  Walk w;
  if (walk_start(vm, &w, args[0]) < 0) return V_UNDEF;
  int acc_slot = root_slot(vm, acc);
  for (;;) {
    Value item = walk_next(vm, &w);
    if (IS_UNDEF(item)) {
      if (vm->curexc) acc = V_UNDEF;
      break;
    }
    gc_push_root(vm, item);
    acc = sum_add(vm, acc, item);
    gc_pop_roots(vm, 1);
    if (IS_UNDEF(acc)) break;
    root_set(vm, acc_slot, acc);
  }
  gc_pop_roots(vm, 1);
  walk_end(vm);
  return acc;
}

/* any() / all(): stop at the first item whose truth is `stop_on` */
static Value any_all(VM *vm, const char *name, Value *args, int nargs, TupleObj *kwnames, bool stop_on) {
  if (one_arg(vm, name, nargs, kwnames) < 0) return V_UNDEF;
  Walk w;
  if (walk_start(vm, &w, args[0]) < 0) return V_UNDEF;
  Value result = v_bool(!stop_on);
  for (;;) {
    Value item = walk_next(vm, &w);
    if (IS_UNDEF(item)) {
      if (vm->curexc) result = V_UNDEF;
      break;
    }
    int t = obj_truthy(vm, item);
    if (t < 0) {
      result = V_UNDEF;
      break;
    }
    if ((bool)t == stop_on) {
      result = v_bool(stop_on);
      break;
    }
  }
  walk_end(vm);
  return result;
}

static Value bi_any(VM *vm, Value *args, int nargs, TupleObj *kw) { return any_all(vm, "any", args, nargs, kw, true); }
static Value bi_all(VM *vm, Value *args, int nargs, TupleObj *kw) { return any_all(vm, "all", args, nargs, kw, false); }

static Value bi_sorted(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  Value key = V_NONE, reverse = V_FALSE;
  for (int64_t i = 0; kwnames && i < kwnames->len; i++) {
    if (kw_is(kwnames, i, "key")) key = args[nargs + i];
    else if (kw_is(kwnames, i, "reverse")) reverse = args[nargs + i];
    else return invalid_keyword(vm, kwnames, i, "sort");
  }
  if (nargs != 1) return exc_type_error(vm, "sorted expected 1 argument, got %d", nargs);
  int rev = obj_truthy(vm, reverse);
  if (rev < 0) return V_UNDEF;
  Value l = list_from_iterable(vm, args[0]);
  if (IS_UNDEF(l)) return V_UNDEF;
  gc_push_root(vm, l);
  int rc = list_sort(vm, AS_LIST(l), key, rev);
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : l;
}

/* ---- iteration ---- */

static Value bi_iter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "iter", nargs, kwnames, 1, 2) < 0) return V_UNDEF;
  if (nargs == 1) return obj_iter(vm, args[0]);
  if (!obj_is_callable(vm, args[0])) return exc_type_error(vm, "iter(v, w): v must be callable");
  return iter_callable_new(vm, args[0], args[1]);
}

static Value bi_next(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "next", nargs, kwnames, 1, 2) < 0) return V_UNDEF;
  Value it = args[0];
  Value dflt = nargs == 2 ? args[1] : V_UNDEF;
  Type *t = obj_type(vm, it);
  if (!t->next) return exc_type_error(vm, "'%s' object is not an iterator", obj_type_name(vm, it));
  if (IS_GEN(it) && AS_GEN(it)->kind == GENK_GENERATOR) {
    /* through gen_send, so that a return value reaches StopIteration */
    Value out;
    int r = gen_send(vm, AS_GEN(it), V_NONE, &out);
    if (r == 1) return out;
    if (r == 0) return IS_UNDEF(dflt) ? exc_stop_iteration(vm, out) : dflt;
  } else {
    Value v = obj_next(vm, it);
    if (!IS_UNDEF(v)) return v;
    if (!vm->curexc) return IS_UNDEF(dflt) ? exc_stop_iteration(vm, V_NONE) : dflt;
  }
  if (!IS_UNDEF(dflt) && exc_pending_matches(vm, EXC(vm, StopIteration))) {
    exc_clear(vm);
    return dflt;
  }
  return V_UNDEF;
}

static Value bi_aiter(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (one_arg(vm, "aiter", nargs, kwnames) < 0) return V_UNDEF;
  Value fn = type_lookup(vm, obj_type(vm, args[0]), NAME(vm, __aiter__));
  if (IS_UNDEF(fn)) return exc_type_error(vm, "'%s' object is not an async iterable", obj_type_name(vm, args[0]));
  Value r = obj_call1(vm, fn, args[0]);
  if (IS_UNDEF(r)) return V_UNDEF;
  if (IS_UNDEF(type_lookup(vm, obj_type(vm, r), NAME(vm, __anext__))))
    return exc_type_error(vm, "aiter() returned not an async iterator of type '%s'", obj_type_name(vm, r));
  return r;
}

static Value bi_anext(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "anext", nargs, kwnames, 1, 2) < 0) return V_UNDEF;
  Value fn = type_lookup(vm, obj_type(vm, args[0]), NAME(vm, __anext__));
  if (IS_UNDEF(fn)) return exc_type_error(vm, "'%s' object is not an async iterator", obj_type_name(vm, args[0]));
  if (nargs == 2)
    return exc_raise(vm, EXC(vm, NotImplementedError), "anext() with a default arrives with the asyncio support");
  return obj_call1(vm, fn, args[0]);
}

/* ---- attributes ---- */

static Value bi_getattr(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "getattr", nargs, kwnames, 2, 3) < 0 || check_attr_name(vm, args[1]) < 0) return V_UNDEF;
  Value v = obj_getattr(vm, args[0], AS_STR(args[1]));
  if (IS_UNDEF(v) && nargs == 3 && exc_pending_matches(vm, EXC(vm, AttributeError))) {
    exc_clear(vm);
    return args[2];
  }
  return v;
}

static Value bi_setattr(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "setattr", nargs, kwnames, 3, 3) < 0 || check_attr_name(vm, args[1]) < 0) return V_UNDEF;
  return obj_setattr(vm, args[0], AS_STR(args[1]), args[2]) < 0 ? V_UNDEF : V_NONE;
}

static Value bi_delattr(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "delattr", nargs, kwnames, 2, 2) < 0 || check_attr_name(vm, args[1]) < 0) return V_UNDEF;
  return obj_delattr(vm, args[0], AS_STR(args[1])) < 0 ? V_UNDEF : V_NONE;
}

static Value bi_hasattr(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "hasattr", nargs, kwnames, 2, 2) < 0 || check_attr_name(vm, args[1]) < 0) return V_UNDEF;
  Value v = obj_getattr(vm, args[0], AS_STR(args[1]));
  if (!IS_UNDEF(v)) return V_TRUE;
  if (exc_pending_matches(vm, EXC(vm, AttributeError))) {
    exc_clear(vm);
    return V_FALSE;
  }
  return V_UNDEF;
}

static Value bi_format(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "format", nargs, kwnames, 1, 2) < 0) return V_UNDEF;
  StrObj *spec = vm->empty_str;
  if (nargs == 2) {
    if (!IS_STR(args[1])) return exc_type_error(vm, "format() argument 2 must be str, not %T", args[1]);
    spec = AS_STR(args[1]);
  }
  return format_value(vm, args[0], spec);
}

/* ---- namespaces ---- */

static Value bi_globals(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (no_args(vm, "globals", nargs, kwnames) < 0) return V_UNDEF;
  if (vm->frame) return v_obj(vm->frame->globals);
  if (vm->main_module) return v_obj(vm->main_module->dict);
  DictObj *d = dict_new(vm);
  return d ? v_obj(d) : V_UNDEF;
}

/* a function frame's variables as a fresh dict: fast locals, then cells */
static Value frame_locals_dict(VM *vm, Frame *f) {
  DictObj *d = dict_new(vm);
  if (!d) return V_UNDEF;
  CodeObj *c = f->code;
  for (int32_t i = 0; i < c->nlocals; i++) {
    Value v = FRAME_LOCALS(f)[i];
    if (!IS_UNDEF(v) && dict_set_str(vm, d, c->varnames[i], v) < 0) return V_UNDEF;
  }
  for (int32_t k = 0; k < c->ncells + c->nfrees; k++) {
    Value cell = FRAME_CELLS(f)[k];
    if (!IS_CELL(cell) || IS_UNDEF(AS_CELL(cell)->value)) continue;
    StrObj *name = k < c->ncells ? c->cellnames[k] : c->freenames[k - c->ncells];
    if (dict_set_str(vm, d, name, AS_CELL(cell)->value) < 0) return V_UNDEF;
  }
  return v_obj(d);
}

static Value current_locals(VM *vm) {
  Frame *f = vm->frame;
  if (!f) return bi_globals(vm, NULL, 0, NULL);
  if (f->locals_dict) return v_obj(f->locals_dict);
  return frame_locals_dict(vm, f);
}

static Value bi_locals(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (no_args(vm, "locals", nargs, kwnames) < 0) return V_UNDEF;
  return current_locals(vm);
}

static Value bi_vars(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "vars", nargs, kwnames, 0, 1) < 0) return V_UNDEF;
  if (nargs == 0) return current_locals(vm);
  Value d = obj_getattr(vm, args[0], NAME(vm, __dict__));
  if (IS_UNDEF(d) && exc_pending_matches(vm, EXC(vm, AttributeError))) {
    exc_clear(vm);
    return exc_type_error(vm, "vars() argument must have __dict__ attribute");
  }
  return d;
}

/* add the str keys of d to the set-like dict `names` */
static int add_keys(VM *vm, DictObj *names, DictObj *d) {
  int64_t pos = 0;
  Value k, v;
  while (dict_next(d, &pos, &k, &v)) {
    /* hidden entries (the preallocated MemoryError) are not names */
    if (!IS_STR(k) || STR_CSTR(AS_STR(k))[0] == '<') continue;
    if (dict_set(vm, names, k, V_NONE) < 0) return -1;
  }
  return 0;
}

static int add_type_keys(VM *vm, DictObj *names, Type *t) {
  for (int64_t i = 0; t->mro && i < t->mro->len; i++) {
    Value c = t->mro->items[i];
    if (IS_TYPE(c) && AS_TYPE(c)->dict && add_keys(vm, names, AS_TYPE(c)->dict) < 0) return -1;
  }
  return 0;
}

static Value sorted_keys(VM *vm, DictObj *names) {
  ListObj *l = list_new(vm, names->len);
  if (!l) return V_UNDEF;
  int64_t pos = 0;
  Value k, v;
  while (dict_next(names, &pos, &k, &v))
    if (list_append(vm, l, k) < 0) return V_UNDEF;
  gc_push_root(vm, v_obj(l));
  int rc = list_sort(vm, l, V_NONE, false);
  gc_pop_roots(vm, 1);
  return rc < 0 ? V_UNDEF : v_obj(l);
}

static Value dir_of(VM *vm, Value obj) {
  Type *t = obj_type(vm, obj);
  StrObj *dir_name = str_intern_cstr(vm, "__dir__");
  if (!dir_name) return V_UNDEF;
  Value custom = type_lookup(vm, t, dir_name);
  if (!IS_UNDEF(custom)) {
    Value r = obj_call1(vm, custom, obj);
    if (IS_UNDEF(r)) return V_UNDEF;
    gc_push_root(vm, r);
    Value l = list_from_iterable(vm, r);
    gc_pop_roots(vm, 1);
    if (IS_UNDEF(l)) return V_UNDEF;
    gc_push_root(vm, l);
    int rc = list_sort(vm, AS_LIST(l), V_NONE, false);
    gc_pop_roots(vm, 1);
    return rc < 0 ? V_UNDEF : l;
  }
  DictObj *names = dict_new(vm);
  if (!names) return V_UNDEF;
  gc_push_root(vm, v_obj(names));
  int rc = 0;
  if (IS_MODULE(obj)) {
    rc = add_keys(vm, names, AS_MODULE(obj)->dict);
  } else if (IS_TYPE(obj)) {
    rc = add_type_keys(vm, names, AS_TYPE(obj));
  } else {
    Value d = obj_getattr_opt(vm, obj, NAME(vm, __dict__));
    if (IS_UNDEF(d) && vm->curexc) exc_clear(vm);
    if (IS_DICT(d)) rc = add_keys(vm, names, AS_DICT(d));
    if (rc == 0) rc = add_type_keys(vm, names, t);
  }
  Value r = rc < 0 ? V_UNDEF : sorted_keys(vm, names);
  gc_pop_roots(vm, 1);
  return r;
}

static Value bi_dir(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  if (positional(vm, "dir", nargs, kwnames, 0, 1) < 0) return V_UNDEF;
  if (nargs == 1) return dir_of(vm, args[0]);
  Value loc = current_locals(vm);
  if (IS_UNDEF(loc)) return V_UNDEF;
  gc_push_root(vm, loc);
  DictObj *names = dict_new(vm);
  Value r = V_UNDEF;
  if (names) {
    gc_push_root(vm, v_obj(names));
    if (add_keys(vm, names, AS_DICT(loc)) == 0) r = sorted_keys(vm, names);
    gc_pop_roots(vm, 1);
  }
  gc_pop_roots(vm, 1);
  return r;
}

/* ---- the rest ---- */

static Value bi_open(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  return exc_raise(vm, EXC(vm, NotImplementedError), "open() arrives with the files issue");
}

/* exit([code]) / quit([code]): raise SystemExit(code) */
static Value bi_exit(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  static const char *const names[] = {"code", NULL};
  Value a[1];
  if (nargs > 1)
    return exc_type_error(vm, "Quitter.__call__() takes from 1 to 2 positional arguments but %d were given", nargs + 1);
  if (arg_parse(vm, "__call__", args, nargs, kwnames, names, 0, a) < 0) return V_UNDEF;
  TupleObj *t = tuple_pack(vm, 1, IS_UNDEF(a[0]) ? V_NONE : a[0]);
  if (!t) return V_UNDEF;
  ExcObj *e = exc_new(vm, EXC(vm, SystemExit), t);
  return e ? exc_raise_obj(vm, e) : V_UNDEF;
}

static Value bi_build_class(VM *vm, Value *args, int nargs, TupleObj *kwnames) {
  return builtin_build_class(vm, args, nargs, kwnames);
}

/* ---- registration ---- */

static void set_builtin(VM *vm, const char *name, Value v) {
  if (!IS_UNDEF(v)) dict_set_cstr(vm, vm->builtins, name, v);
}

static void register_types(VM *vm) {
  static const struct { const char *name; size_t offset; } types[] = {
#define T(n) {#n, offsetof(VM, t_##n)}
    T(object), T(type), T(int), T(float), T(bool), T(str), T(bytes), T(list), T(tuple), T(dict),
    T(set), T(frozenset), T(range), T(slice), T(property), T(staticmethod), T(classmethod), T(super),
#undef T
  };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    Type *t = *(Type **)((char *)vm + types[i].offset);
    if (t) set_builtin(vm, types[i].name, v_obj(t));
  }
}

static void register_exceptions(VM *vm) {
  if (!vm->exc_types) return;
  for (int i = 0; i < EXC__COUNT; i++) {
    Type *t = vm->exc_types[i];
    if (t) set_builtin(vm, STR_CSTR(t->name), v_obj(t));
  }
  /* the historical aliases CPython keeps */
  set_builtin(vm, "EnvironmentError", v_obj(EXC(vm, OSError)));
  set_builtin(vm, "IOError", v_obj(EXC(vm, OSError)));
}

static void register_functions(VM *vm) {
  static const struct { const char *name; NativeFn fn; } fns[] = {
    {"print", bi_print}, {"input", bi_input}, {"len", bi_len}, {"repr", bi_repr},
    {"ascii", bi_ascii}, {"hash", bi_hash}, {"id", bi_id}, {"hex", bi_hex}, {"oct", bi_oct},
    {"bin", bi_bin}, {"ord", bi_ord}, {"chr", bi_chr}, {"callable", bi_callable},
    {"isinstance", bi_isinstance}, {"issubclass", bi_issubclass}, {"abs", bi_abs},
    {"round", bi_round}, {"divmod", bi_divmod}, {"pow", bi_pow}, {"min", bi_min},
    {"max", bi_max}, {"sum", bi_sum}, {"any", bi_any}, {"all", bi_all},
    {"sorted", bi_sorted}, {"iter", bi_iter}, {"next", bi_next}, {"aiter", bi_aiter},
    {"anext", bi_anext}, {"getattr", bi_getattr}, {"setattr", bi_setattr},
    {"delattr", bi_delattr}, {"hasattr", bi_hasattr}, {"format", bi_format},
    {"globals", bi_globals}, {"locals", bi_locals}, {"vars", bi_vars}, {"dir", bi_dir},
    {"open", bi_open}, {"exit", bi_exit}, {"quit", bi_exit},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    define_native(vm, vm->builtins, fns[i].name, fns[i].fn, fns[i].fn == bi_next ? NATIVE_GEN_NEXT : 0);
  NativeObj *bc = define_native(vm, vm->builtins, "__build_class__", bi_build_class, 0);
  if (bc) vm->build_class = v_obj(bc);
}

void builtins_init(VM *vm) {
  register_types(vm);
  register_exceptions(vm);
  register_functions(vm);
  if (vm->not_implemented) set_builtin(vm, "NotImplemented", v_obj(vm->not_implemented));
  if (vm->ellipsis) set_builtin(vm, "Ellipsis", v_obj(vm->ellipsis));
  set_builtin(vm, "__debug__", V_TRUE);
  StrObj *name = str_from_cstr(vm, "builtins");
  if (name) set_builtin(vm, "__name__", v_obj(name));
}
