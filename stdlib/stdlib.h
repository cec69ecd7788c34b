/* stdlib.h — the modules every withy has (sys, io, os, os.path, time),
** written against withy.h only, exactly as an embedder writes a host
** module; and the few helpers they share (argument parsing, per-VM state). */
#ifndef WITHY_STDLIB_H
#define WITHY_STDLIB_H

#include "withy.h"

/* Register every stdlib module with wy_register_module (nothing is run:
** a module's init runs at its first import). Called by wy_open. */
int wy_open_stdlib(wy_State *W);

/* module initializers (one file each) */
int std_sys_init(wy_State *W, wy_Value m);
int std_io_init(wy_State *W, wy_Value m);
int std_os_init(wy_State *W, wy_Value m);
int std_os_path_init(wy_State *W, wy_Value m);
int std_time_init(wy_State *W, wy_Value m);
int std_contextlib_init(wy_State *W, wy_Value m);   /* contextlib.c */
int std_tempfile_init(wy_State *W, wy_Value m);     /* tempfile.c */
int std_gc_init(wy_State *W, wy_Value m);           /* gc.c */
int std_asyncio_init(wy_State *W, wy_Value m);      /* asyncio.c (+ asyncio_*.c) */
int std_afile_init(wy_State *W, wy_Value m);        /* afile.c */
/* exitstack.c: adds ExitStack (and its helpers) to the contextlib module */
int std_exitstack_add(wy_State *W, wy_Value contextlib_module);
/* files.c: installs the builtin open() and the file classes */
int std_files_install(wy_State *W);

/* Parse positional + keyword arguments by parameter name, like a Python
** function `fname(names[0], names[1], …)` whose first `required` are
** required. out[i] is wy_error() for an absent optional. Returns -1 with
** CPython's TypeError ("f() missing 1 required positional argument: 'x'",
** "f() got an unexpected keyword argument 'y'", …). */
int std_args(wy_State *W, const char *fname, int argc, const wy_Value *argv, wy_Value kwargs,
             const char *const *names, int required, wy_Value *out);
/* a function taking no keyword arguments: "f() takes no keyword arguments" */
int std_no_kwargs(wy_State *W, const char *fname, wy_Value kwargs);
/* argc in [min, max] (positional only) with CPython's builtin wording */
int std_argc(wy_State *W, const char *fname, int argc, int min, int max);

/* C state shared by one module's functions in one VM: zeroed memory that
** lives as long as the module (freed by the collector, at the latest by
** wy_close). Pass it as the userdata of the module's functions/classes. */
void *std_state_new(wy_State *W, wy_Value module, size_t size);

/* a str value's UTF-8 and its length in code points */
size_t std_utf8_length(const char *s, size_t len);

#endif
