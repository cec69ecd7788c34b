/* exc.h — exception objects, the builtin exception hierarchy, raising,
** chaining (__context__/__cause__), tracebacks and their printing. */
#ifndef WITHY_EXC_H
#define WITHY_EXC_H

#include <stdio.h>
#include "object.h"
#include "code.h"

/* X(name, base) in hierarchy order: a base always comes before its subclasses */
#define WY_EXC_LIST(X) \
  X(BaseException, BaseException) \
  X(SystemExit, BaseException) \
  X(KeyboardInterrupt, BaseException) \
  X(GeneratorExit, BaseException) \
  X(Exception, BaseException) \
  X(StopIteration, Exception) \
  X(StopAsyncIteration, Exception) \
  X(ArithmeticError, Exception) \
  X(OverflowError, ArithmeticError) \
  X(ZeroDivisionError, ArithmeticError) \
  X(AssertionError, Exception) \
  X(AttributeError, Exception) \
  X(EOFError, Exception) \
  X(ImportError, Exception) \
  X(ModuleNotFoundError, ImportError) \
  X(LookupError, Exception) \
  X(IndexError, LookupError) \
  X(KeyError, LookupError) \
  X(MemoryError, Exception) \
  X(NameError, Exception) \
  X(UnboundLocalError, NameError) \
  X(OSError, Exception) \
  X(FileNotFoundError, OSError) \
  X(FileExistsError, OSError) \
  X(PermissionError, OSError) \
  X(IsADirectoryError, OSError) \
  X(NotADirectoryError, OSError) \
  X(BrokenPipeError, OSError) \
  X(ConnectionError, OSError) \
  X(ConnectionRefusedError, ConnectionError) \
  X(ConnectionResetError, ConnectionError) \
  X(TimeoutError, OSError) \
  X(RuntimeError, Exception) \
  X(NotImplementedError, RuntimeError) \
  X(RecursionError, RuntimeError) \
  X(SyntaxError, Exception) \
  X(IndentationError, SyntaxError) \
  X(TabError, IndentationError) \
  X(TypeError, Exception) \
  X(ValueError, Exception) \
  X(UnicodeError, ValueError) \
  X(UnicodeDecodeError, UnicodeError) \
  X(UnicodeEncodeError, UnicodeError) \
  X(Warning, Exception) \
  X(DeprecationWarning, Warning) \
  X(RuntimeWarning, Warning) \
  X(UserWarning, Warning) \
  X(ResourceWarning, Warning)

typedef enum ExcTypeId {
#define WY_EXC_ENUM(name, base) EXC_##name,
  WY_EXC_LIST(WY_EXC_ENUM)
#undef WY_EXC_ENUM
  EXC__COUNT
} ExcTypeId;

#define EXC(vm, name) ((vm)->exc_types[EXC_##name])
/* vm->exc_types is allocated by exc_types_init with gc_malloc of this many
** bytes (one slot past the classes holds the preallocated MemoryError);
** whoever frees the VM frees it with gc_free(vm, vm->exc_types, EXC_TYPES_ALLOC_SIZE). */
#define EXC_TYPES_ALLOC_SIZE ((size_t)(EXC__COUNT + 1) * sizeof(Type *))

typedef struct ExcObj ExcObj; /* also in vm.h (C11 allows the repeat) */

typedef struct TracebackObj {
  Obj obj;
  struct TracebackObj *next;  /* toward the frame where it was raised */
  CodeObj *code;
  int32_t instr;              /* instruction index (line via code_line_at) */
  int32_t line;
} TracebackObj;

struct ExcObj {
  Obj obj;
  DictObj *dict;          /* user attributes, created lazily */
  TupleObj *args;
  Value context;          /* __context__, None if unset */
  Value cause;            /* __cause__, None if unset */
  bool suppress_context;  /* __suppress_context__ */
  TracebackObj *traceback;/* __traceback__, NULL = None */
  Value value;            /* StopIteration.value / SystemExit.code; None otherwise */
};

#define IS_EXC(v) IS_KIND(v, K_EXC)
#define AS_EXC(v) ((ExcObj *)AS_OBJ(v))

/* a new exception instance of `type` with args (NULL = ()) */
ExcObj *exc_new(VM *vm, Type *type, TupleObj *args);
/* instantiate an exception class, or check an instance (raise semantics:
** "exceptions must derive from BaseException") */
ExcObj *exc_from_value(VM *vm, Value v);

/* Raise: make `exc` the pending exception (vm->curexc). Sets
** exc.__context__ to the handled exception (sys.exc_info()) unless that is
** exc itself, breaking cycles as CPython does. Always returns V_UNDEF so a
** Value-returning function can `return exc_raise_obj(vm, e);`. */
Value exc_raise_obj(VM *vm, ExcObj *exc);
/* Re-raise: make `exc` pending again WITHOUT touching its __context__
** (bare `raise`, RERAISE, POP_EXCEPT_AND_RERAISE: CPython restores the
** exception as it was). Returns V_UNDEF. */
Value exc_restore(VM *vm, ExcObj *exc);
/* Raise a new exception of `type` whose message is formatted like
** str_format_c (%s %d %ld %lld %zd %c %% and %T %R %S %U). */
Value exc_raise(VM *vm, Type *type, const char *fmt, ...);
/* the common ones */
Value exc_type_error(VM *vm, const char *fmt, ...);
Value exc_value_error(VM *vm, const char *fmt, ...);
Value exc_no_memory(VM *vm);        /* MemoryError without allocating when possible */
Value exc_raise_errno(VM *vm, int err, const char *filename); /* OSError subclass by errno */
Value exc_stop_iteration(VM *vm, Value value); /* raise StopIteration(value) */

/* the pending exception: take it (clears vm->curexc), or peek */
ExcObj *exc_fetch(VM *vm);
#define exc_pending(vm) ((vm)->curexc != NULL)
void exc_clear(VM *vm);
/* is the pending exception an instance of type? */
bool exc_pending_matches(VM *vm, Type *type);
bool exc_matches(VM *vm, ExcObj *exc, Type *type);

/* prepend a traceback entry for (code, instr) */
int exc_add_traceback(VM *vm, ExcObj *exc, CodeObj *code, int32_t instr);
/* str(exc) as Python prints it after "TypeError: " (KeyError uses repr of its arg) */
Value exc_str(VM *vm, ExcObj *exc);
/* Print "Traceback (most recent call last): …" with the chain
** (__cause__ / __context__ sections) to `out`, exactly as CPython 3.11
** does (source lines read from the files). */
void exc_print(VM *vm, ExcObj *exc, FILE *out);

/* raise a SyntaxError (or IndentationError/TabError) built from a parse
** or compile error: msg, filename, lineno, offset, text, end_lineno,
** end_offset attributes as CPython sets them */
struct SyntaxErrorInfo;
Value exc_raise_syntax(VM *vm, const struct SyntaxErrorInfo *info, const char *filename, const char *src, size_t srclen);

void exc_types_init(VM *vm);   /* creates the hierarchy and the traceback type */
void exc_trace(VM *vm, Obj *o);   /* K_EXC, K_TRACEBACK */
void exc_free(VM *vm, Obj *o);

#endif
