/* opcodes.h — the withy instruction set. The contract between compiler.c
** (which emits it) and vm.c (which runs it); the disassembler and the
** tracer read names from the same table.
**
** Notation: the stack is written bottom→top, e.g. [a, b] -> [c] pops b
** (top) then a and pushes c. UNDEF is the "no value" marker (value.h).
** Jump opargs are absolute instruction indexes. Instructions marked
** "+CACHE" are followed by one CACHE word whose oparg is an InlineCache
** index (code.h); the VM skips it.
**
** Calls. Every call site builds [callable, self_or_UNDEF, arg0..argN-1]:
**   f(a)      LOAD f; PUSH_NULL; LOAD a; CALL 1
**   o.m(a)    LOAD o; LOAD_METHOD m; LOAD a; CALL 1
** CALL n calls callable(self, args) when self is not UNDEF (n+1 args,
** contiguous from the self slot), else callable(args). A KW_NAMES k just
** before CALL says the last len(consts[k]) args are keywords named by the
** str tuple consts[k].
**
** Exceptions use the code object's exception table, not a block stack.
** When instruction i raises, the VM adds a traceback entry for this frame
** (unless the instruction is RERAISE or POP_EXCEPT_AND_RERAISE), finds the
** entry covering i, truncates the stack to entry.depth, pushes the
** exception object and jumps to entry.target.
**
** The `with` statement (CPython 3.11's shape):
**     <context expr>
**     BEFORE_WITH                  [mgr] -> [exit, enter_result]
**   protected by handler H (depth = D+1, i.e. `exit` stays):
**     STORE target | POP_TOP
**     <body>
**   end of protected range
**     WITH_EXIT 0                  [exit] -> []      calls exit(None, None, None)
**     JUMP after
**   H:                             [exit, exc]
**   protected by handler C (depth = D+2):
**     PUSH_EXC_INFO                [exit, prev, exc]
**     WITH_EXCEPT_START            [exit, prev, exc, res]
**     POP_JUMP_IF_TRUE S
**     RERAISE                      re-raises exc (no new traceback entry)
**   S:  POP_TOP                    [exit, prev]
**     POP_EXCEPT                   [exit]
**     POP_TOP                      []
**     JUMP after
**   end of protected range
**   C:                             [exit, prev, exc2]
**     POP_EXCEPT_AND_RERAISE       restores prev, re-raises exc2
**   after:
** break/continue/return inside the body call the exit first, with the
** instructions of that unwinding OUTSIDE the body's protected range (an
** exception in __exit__ must not call __exit__ again):
**     return v  ->  <v>; SWAP 2; WITH_EXIT 6; ...; RETURN_VALUE
** WITH_EXIT's oparg: bit 0 (WITH_EXIT_KEEP) keeps exit's result on the
** stack (async with awaits it); the bits above say how the body was left
** (WITH_EXIT_NORMAL, _BREAK, _CONTINUE, _RETURN), which only the tracer reads.
*/
#ifndef WITHY_OPCODES_H
#define WITHY_OPCODES_H

#include <stdbool.h>

enum { WITH_EXIT_KEEP = 1 };
enum { WITH_EXIT_NORMAL = 0, WITH_EXIT_BREAK = 1, WITH_EXIT_CONTINUE = 2, WITH_EXIT_RETURN = 3 };

/* OP(name, comment) */
#define WY_OPCODES(OP) \
  OP(NOP,               "do nothing") \
  OP(CACHE,             "inline-cache slot following a +CACHE instruction; never executed") \
  OP(POP_TOP,           "[x] -> []") \
  OP(PUSH_NULL,         "[] -> [UNDEF]  (the self slot of a plain call)") \
  OP(COPY,              "[.., x_n, .., x_1] -> [.., x_n, .., x_1, x_n]  (COPY 1 duplicates TOS)") \
  OP(SWAP,              "swap TOS with the n-th item (SWAP 2 swaps the top two)") \
  OP(LOAD_CONST,        "[] -> [consts[k]]") \
  OP(LOAD_FAST,         "[] -> [local i]; UnboundLocalError if unset") \
  OP(STORE_FAST,        "[v] -> []; local i = v") \
  OP(DELETE_FAST,       "local i = UNDEF; UnboundLocalError if unset") \
  OP(LOAD_DEREF,        "[] -> [cell k's value]; NameError/UnboundLocalError if empty") \
  OP(STORE_DEREF,       "[v] -> []; cell k = v") \
  OP(DELETE_DEREF,      "empty cell k") \
  OP(LOAD_CLOSURE,      "[] -> [cell k itself]  (to build a closure tuple)") \
  OP(LOAD_CLASSDEREF,   "class body reading a free variable k: the class namespace first, then the cell") \
  OP(LOAD_GLOBAL,       "+CACHE [] -> [globals[names[n]] or builtins[...]]; NameError") \
  OP(STORE_GLOBAL,      "[v] -> []; globals[names[n]] = v") \
  OP(DELETE_GLOBAL,     "del globals[names[n]]; NameError") \
  OP(LOAD_NAME,         "[] -> [locals_dict, then globals, then builtins [names[n]]]; NameError") \
  OP(STORE_NAME,        "[v] -> []; locals_dict[names[n]] = v") \
  OP(DELETE_NAME,       "del locals_dict[names[n]]; NameError") \
  OP(LOAD_ATTR,         "+CACHE [o] -> [o.names[n]]") \
  OP(STORE_ATTR,        "+CACHE [v, o] -> []; o.names[n] = v") \
  OP(DELETE_ATTR,       "[o] -> []; del o.names[n]") \
  OP(LOAD_METHOD,       "+CACHE [o] -> [meth, o] when names[n] is a plain function/native method on type(o), else [o.names[n], UNDEF]") \
  OP(KW_NAMES,          "the next CALL's last len(consts[k]) args are keywords named by consts[k] (a tuple of str)") \
  OP(CALL,              "[callable, self_or_UNDEF, arg_1..arg_n] -> [result]") \
  OP(CALL_FUNCTION_EX,  "[callable, self_or_UNDEF, args_tuple] -> [result]; flag 1: [callable, self_or_UNDEF, args_tuple, kwargs_dict] -> [result]") \
  OP(MAKE_FUNCTION,     "[defaults_tuple if f&1, kwdefaults_dict if f&2, closure_tuple if f&8, code] -> [function]") \
  OP(RETURN_VALUE,      "[v] -> return v to the caller") \
  OP(BINARY_OP,         "[a, b] -> [a op b]; op is a BinOp, +BIN_INPLACE for augmented assignment") \
  OP(UNARY_OP,          "[a] -> [op a]; op is a UnaryOp (UN_NOT gives a bool)") \
  OP(COMPARE_OP,        "[a, b] -> [a op b]; op is a CmpOp") \
  OP(IS_OP,             "[a, b] -> [a is b]; arg 1: is not") \
  OP(CONTAINS_OP,       "[a, b] -> [a in b]; arg 1: not in") \
  OP(BINARY_SUBSCR,     "[o, key] -> [o[key]]") \
  OP(STORE_SUBSCR,      "[v, o, key] -> []; o[key] = v") \
  OP(DELETE_SUBSCR,     "[o, key] -> []; del o[key]") \
  OP(BUILD_SLICE,       "[start, stop] or [start, stop, step] (n = 2 or 3) -> [slice]") \
  OP(BUILD_TUPLE,       "[x_1..x_n] -> [tuple]") \
  OP(BUILD_LIST,        "[x_1..x_n] -> [list]") \
  OP(BUILD_SET,         "[x_1..x_n] -> [set]") \
  OP(BUILD_MAP,         "[k_1, v_1, .., k_n, v_n] -> [dict]") \
  OP(BUILD_STRING,      "[s_1..s_n] -> [s_1 + .. + s_n]  (all str; for f-strings)") \
  OP(LIST_APPEND,       "[.., list, .. (i-1 more), v] -> [.., list, ..]; the list is at depth i after popping v") \
  OP(SET_ADD,           "like LIST_APPEND for a set") \
  OP(MAP_ADD,           "[.., dict, .., k, v] -> [.., dict, ..]; dict at depth i after popping k, v") \
  OP(LIST_EXTEND,       "[.., list, .., it] -> [.., list, ..]; list.extend(it), list at depth i after popping") \
  OP(SET_UPDATE,        "like LIST_EXTEND for a set") \
  OP(DICT_UPDATE,       "[.., dict, .., m] -> dict.update(m)  ({**m} displays)") \
  OP(DICT_MERGE,        "like DICT_UPDATE, but TypeError on a repeated key: f() got multiple values for keyword argument 'x' (the callable is 2 below the dict)") \
  OP(LIST_TO_TUPLE,     "[list] -> [tuple]") \
  OP(UNPACK_SEQUENCE,   "[seq] -> [x_n, .., x_1]  (x_1 on top); ValueError on a length mismatch") \
  OP(UNPACK_EX,         "starred unpack: arg = before | after << 8; [seq] -> [after.., list, before..] with the first item on top") \
  OP(GET_ITER,          "[o] -> [iter(o)]") \
  OP(FOR_ITER,          "[it] -> [it, next(it)]; on exhaustion pops it and jumps to the target") \
  OP(JUMP,              "jump forward to the target") \
  OP(JUMP_BACKWARD,     "jump back to the target (a loop edge: GC safe point, interrupt check)") \
  OP(POP_JUMP_IF_FALSE, "[x] -> []; jump if not x") \
  OP(POP_JUMP_IF_TRUE,  "[x] -> []; jump if x") \
  OP(JUMP_IF_FALSE_OR_POP, "[x] -> [x] and jump if not x, else [] ") \
  OP(JUMP_IF_TRUE_OR_POP,  "[x] -> [x] and jump if x, else []") \
  OP(POP_JUMP_IF_NONE,  "[x] -> []; jump if x is None") \
  OP(POP_JUMP_IF_NOT_NONE, "[x] -> []; jump if x is not None") \
  OP(IMPORT_NAME,       "[fromlist] -> [module]  (names[n] may be dotted; fromlist None or a tuple of str)") \
  OP(IMPORT_FROM,       "[module] -> [module, module.names[n]]; ImportError: cannot import name 'x' from 'm'") \
  OP(LOAD_BUILD_CLASS,  "[] -> [__build_class__]; called as __build_class__(body_function, name, *bases, **kw)") \
  OP(RAISE_VARARGS,     "0: bare raise; 1: [exc] raise exc; 2: [exc, cause] raise exc from cause") \
  OP(RERAISE,           "[exc] -> raise exc again without a new traceback entry") \
  OP(PUSH_EXC_INFO,     "[exc] -> [prev_handled, exc]; exc becomes the handled exception (sys.exc_info)") \
  OP(POP_EXCEPT,        "[prev_handled] -> []; restore the handled exception") \
  OP(POP_EXCEPT_AND_RERAISE, "[prev_handled, exc] -> restore prev_handled, re-raise exc (no new traceback entry)") \
  OP(CHECK_EXC_MATCH,   "[exc, cls] -> [exc, isinstance(exc, cls)]; TypeError if cls is not an exception class/tuple") \
  OP(LOAD_ASSERTION_ERROR, "[] -> [AssertionError]") \
  OP(BEFORE_WITH,       "[mgr] -> [bound __exit__, result of __enter__()]; both looked up on type(mgr)") \
  OP(WITH_EXIT,         "[exit] -> [] calling exit(None, None, None); arg 1 (async): [exit] -> [exit(None, None, None)]") \
  OP(WITH_EXCEPT_START, "[exit, prev, exc] -> [exit, prev, exc, exit(type(exc), exc, exc.__traceback__)]") \
  OP(BEFORE_ASYNC_WITH, "[mgr] -> [bound __aexit__, result of __aenter__()] (the second is then awaited)") \
  OP(GET_AWAITABLE,     "[o] -> [awaitable iterator]; arg 1/2: o came from __aenter__/__aexit__ (for the error message)") \
  OP(GET_AITER,         "[o] -> [o.__aiter__()]") \
  OP(GET_ANEXT,         "[aiter] -> [aiter, awaitable of aiter.__anext__()]") \
  OP(END_ASYNC_FOR,     "[aiter, exc] -> []: if exc is StopAsyncIteration end the loop, else re-raise") \
  OP(GET_YIELD_FROM_ITER, "[o] -> [iterator for yield from]") \
  OP(SEND,              "[it, v] -> [it, y] if it yielded y, else -> [r] and jump to the target when it returned r") \
  OP(YIELD_VALUE,       "[v] -> suspend the generator yielding v; on resume -> [sent]; arg 1: inside yield from/await (the sub-iterator is the new TOS)") \
  OP(ASYNC_GEN_WRAP,    "[v] -> [v wrapped so an async generator's yield is told apart from an await]") \
  OP(FORMAT_VALUE,      "[v] or [v, spec] (f&4) -> [str]; f&3: 0 format, 1 str, 2 repr, 3 ascii first") \
  OP(PRINT_EXPR,        "[v] -> []; the REPL's echo: prints repr(v) unless None, sets builtins._") \
  OP(SETUP_ANNOTATIONS, "reserved (annotations are never evaluated)") \
  /* superinstructions: assemble() rewrites the first of two common \
  ** neighbours; the second word stays as it was (a jump may land on it) \
  ** and the pair runs in one dispatch, skipping it */ \
  OP(LOAD_FAST__LOAD_CONST, "LOAD_FAST i, then the LOAD_CONST word after it") \
  OP(LOAD_FAST__LOAD_FAST,  "LOAD_FAST i, then the LOAD_FAST word after it") \
  OP(STORE_FAST__LOAD_FAST, "STORE_FAST i, then the LOAD_FAST word after it") \
  /* BINARY_OP of one operator (its oparg unchanged), also made by \
  ** assemble(): the small-int case without the operator dispatch */ \
  OP(BINARY_ADD,        "BINARY_OP BIN_ADD (or +=)") \
  OP(BINARY_SUB,        "BINARY_OP BIN_SUB (or -=)") \
  OP(BINARY_MUL,        "BINARY_OP BIN_MUL (or *=)") \
  OP(BINARY_MOD,        "BINARY_OP BIN_MOD (or %=)")

typedef enum Opcode {
#define WY_OP_ENUM(name, doc) OP_##name,
  WY_OPCODES(WY_OP_ENUM)
#undef WY_OP_ENUM
  OP__COUNT
} Opcode;

extern const char *const opcode_names[OP__COUNT];

/* Stack effect of one instruction for the compiler's depth analysis:
** `jump` selects the branch-taken effect for conditional jumps, FOR_ITER
** and SEND. Defined in compiler.c. */
int opcode_stack_effect(int op, int arg, bool jump);

/* true for the instructions followed by a CACHE word */
#define OPCODE_HAS_CACHE(op) \
  ((op) == OP_LOAD_GLOBAL || (op) == OP_LOAD_ATTR || (op) == OP_STORE_ATTR || (op) == OP_LOAD_METHOD)

#endif
