/* builtins.h — the builtins module: print, len, isinstance, … and the
** registration of every builtin name (types and exceptions included). */
#ifndef WITHY_BUILTINS_H
#define WITHY_BUILTINS_H

#include "object.h"

/* fills vm->builtins; call after every *_types_init */
void builtins_init(VM *vm);
/* write str to sys.stdout / sys.stderr (honours redirection) */
int builtins_write_stdout(VM *vm, const char *s, size_t len);

#endif
