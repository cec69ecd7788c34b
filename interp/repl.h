/* repl.h — the interactive REPL of the withy command (repl.c) and its tab
** completion (repl_complete.c). Part of the CLI, not of libwithy: like
** main.c it uses withy.h only, plus GNU readline. */
#ifndef WITHY_REPL_H
#define WITHY_REPL_H

#include "withy.h"

/* Run the REPL on the terminal; argv becomes sys.argv. Returns the exit
** status (0 after Ctrl-D or :quit, SystemExit's code after exit(n)). */
int repl_main(int argc, char **argv);

/* Install the completer into readline (call once, before reading). */
void repl_complete_install(void);
/* The interpreter completion looks names up in (NULL: none). */
void repl_complete_target(wy_State *W);

#endif
